//! Uploads: reference images, datasets, generated images — files tied to a subject, streamed in and
//! out in bounded memory, encrypted with their own key (STREAM, `vow_crypto::BlobKey`) sealed with the
//! subject's data key. The file lives in the uploads directory under its id; the key lives in the
//! store. Retention treats an upload as one piece of its category: rules `from =
//! "processing_completed"` count from when the application reports it processed, unless the subject
//! chose to keep it; destroying it deletes the row (the key: the file can no longer be opened,
//! wherever copies went) and then the file.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use tokio::io::{AsyncRead, AsyncReadExt};
use vow_audit::Action;
use vow_crypto::{Binding, BlobDecryptor, BlobKey, BLOB_CHUNK, BLOB_MAGIC, BLOB_SEALED_CHUNK};
use vow_store::{Outcome, Request, UploadOp, UploadRow};

use crate::vault::{clip, new_id, unexpected, Caller, Vault, VaultError};

/// An upload as the API describes it (never its contents).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UploadInfo {
    pub id: String,
    pub category: String,
    pub bytes: i64,
    pub media_type: String,
    pub created_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processed_ms: Option<i64>,
    pub keep: bool,
}

impl UploadInfo {
    fn of(row: &UploadRow, media_type: String) -> UploadInfo {
        UploadInfo {
            id: row.id.clone(),
            category: row.category.clone(),
            bytes: row.bytes,
            media_type,
            created_ms: row.created_ms,
            processed_ms: row.processed_ms,
            keep: row.keep,
        }
    }
}

/// The media types an upload may have: images, documents, datasets, audio and video a service keeps
/// for its users. Anything else is refused: a type is echoed back on download, so it must be one a
/// browser treats as data.
pub const MEDIA_TYPES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/webp",
    "image/gif",
    "image/heic",
    "image/avif",
    "application/pdf",
    "text/plain",
    "text/csv",
    "application/json",
    "application/x-ndjson",
    "application/zip",
    "application/octet-stream",
    "audio/mpeg",
    "audio/wav",
    "audio/webm",
    "video/mp4",
    "video/webm",
];

/// The blob key's sealed plaintext is the 32-byte key followed by the media type, so the type is
/// sealed with the subject's data key like everything else about the upload.
const BLOB_KEY_BYTES: usize = 32;

fn key_binding(id: &str) -> String {
    format!("upload#{id}")
}

fn io(error: impl std::fmt::Display) -> VaultError {
    VaultError::UploadIo(error.to_string())
}

/// Reads until `buf` is full or the input ends; returns how much was read.
async fn fill(reader: &mut (impl AsyncRead + Unpin), buf: &mut [u8]) -> Result<usize, VaultError> {
    let mut filled = 0;
    while filled < buf.len() {
        let n = reader.read(&mut buf[filled..]).await.map_err(io)?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(filled)
}

/// A media type as the client states it, checked against [`MEDIA_TYPES`]: the essence only, lower
/// case; parameters are dropped (text is kept as UTF-8), so nothing the client wrote is echoed.
pub fn media_type(text: Option<&str>) -> Result<String, VaultError> {
    let text = text.unwrap_or("application/octet-stream");
    let essence = text
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match MEDIA_TYPES.iter().find(|t| **t == essence) {
        Some(allowed) => Ok((*allowed).to_string()),
        None => Err(VaultError::Invalid {
            what: "content-type",
            why: format!("uploads take these media types: {}", MEDIA_TYPES.join(", ")),
        }),
    }
}

/// A type stored before types were sealed, shown only if it is one of [`MEDIA_TYPES`].
fn stored_media_type(row: &UploadRow) -> String {
    media_type(Some(&row.media_type)).unwrap_or_else(|_| "application/octet-stream".to_string())
}

/// The decrypted contents of an upload, chunk by chunk.
pub struct UploadReader {
    file: tokio::fs::File,
    decryptor: BlobDecryptor,
    current: Vec<u8>,
    next: Vec<u8>,
    done: bool,
}

impl UploadReader {
    /// The next piece of plaintext, or `None` at the end. A file cut, extended or altered fails
    /// here rather than yielding altered bytes.
    pub async fn next_chunk(
        &mut self,
    ) -> Result<Option<vow_crypto::Zeroizing<Vec<u8>>>, VaultError> {
        if self.done {
            return Ok(None);
        }
        // `current` holds the chunk read ahead; reading the one after tells whether it is the last.
        let mut next = std::mem::take(&mut self.next);
        next.resize(BLOB_SEALED_CHUNK, 0);
        let n = fill(&mut self.file, &mut next).await?;
        next.truncate(n);
        let last = n == 0;
        let plain = self
            .decryptor
            .open_chunk(&self.current, last)
            .map_err(VaultError::Crypto)?;
        self.next = std::mem::replace(&mut self.current, next);
        self.done = last;
        Ok(Some(plain))
    }
}

/// The blob key and media type sealed in an upload's row (before types were sealed, the row held
/// the key alone and the type in the clear).
fn open_metadata(
    data_key: &vow_crypto::DataKey,
    subject_id: &str,
    row: &UploadRow,
) -> Result<(BlobKey, String), VaultError> {
    let binding = key_binding(&row.id);
    let plain = data_key.open(
        &row.sealed_key,
        &Binding {
            subject_id,
            category: &binding,
        },
    )?;
    if plain.len() < BLOB_KEY_BYTES {
        return Err(VaultError::Crypto(vow_crypto::CryptoError::Malformed(
            "sealed upload key too short",
        )));
    }
    let (key, sealed_type) = plain.split_at(BLOB_KEY_BYTES);
    let media_type = if sealed_type.is_empty() {
        stored_media_type(row)
    } else {
        media_type(std::str::from_utf8(sealed_type).ok())?
    };
    Ok((BlobKey::from_bytes(key)?, media_type))
}

/// An upload's file, opened for decryption from its first chunk.
async fn open_blob(path: &Path, blob_key: &BlobKey) -> Result<UploadReader, VaultError> {
    let mut file = tokio::fs::File::open(path).await.map_err(io)?;
    let mut magic = vec![0u8; BLOB_MAGIC.len()];
    if fill(&mut file, &mut magic).await? != BLOB_MAGIC.len() || magic != BLOB_MAGIC {
        return Err(VaultError::Crypto(vow_crypto::CryptoError::Decrypt));
    }
    let mut current = vec![0u8; BLOB_SEALED_CHUNK];
    let n = fill(&mut file, &mut current).await?;
    current.truncate(n);
    Ok(UploadReader {
        file,
        decryptor: blob_key.decryptor()?,
        current,
        next: Vec::with_capacity(BLOB_SEALED_CHUNK),
        done: false,
    })
}

impl Vault {
    fn uploads_dir(&self) -> Result<&Path, VaultError> {
        self.uploads.as_deref().ok_or(VaultError::UploadsDisabled)
    }

    fn upload_path(&self, id: &str) -> Result<PathBuf, VaultError> {
        // Ids are ours (`upl_` and hex), never the caller's: still, nothing but those reaches a path.
        if !id.starts_with("upl_") || !id[4..].chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(VaultError::NoUpload);
        }
        Ok(self.uploads_dir()?.join(id))
    }

    /// Stores an upload for the subject, reading `body` to its end (at most `limit` bytes) and
    /// writing it encrypted, one chunk in memory at a time. The row is stored only once the file is
    /// complete and on disk; a failure leaves neither.
    pub async fn put_upload(
        &self,
        caller: &Caller,
        subject_id: &str,
        category: &str,
        content_type: Option<&str>,
        body: &mut (impl AsyncRead + Unpin),
        limit: u64,
    ) -> Result<UploadInfo, VaultError> {
        self.may_store_readable(caller, category)?;
        let media_type = media_type(content_type)?;
        self.store_upload(caller, subject_id, category, media_type, body, limit)
            .await
    }

    /// Stores an upload whose category and type the caller has already checked.
    pub(crate) async fn store_upload(
        &self,
        caller: &Caller,
        subject_id: &str,
        category: &str,
        media_type: String,
        body: &mut (impl AsyncRead + Unpin),
        limit: u64,
    ) -> Result<UploadInfo, VaultError> {
        caller.may_reach(subject_id)?;
        let dir = self.uploads_dir()?.to_path_buf();
        let subject = self.subject(subject_id).await?;
        // Refused before a byte is read; the store refuses again if it closed meanwhile.
        if subject.closed_ms.is_some() {
            return Err(VaultError::SubjectClosed);
        }
        let data_key = self.data_key(&subject.wrapped_key, subject_id)?;
        let id = new_id("upl");
        let blob_key = BlobKey::generate()?;
        let binding = key_binding(&id);
        let mut metadata = vow_crypto::Zeroizing::new(blob_key.as_bytes().to_vec());
        metadata.extend_from_slice(media_type.as_bytes());
        let sealed_key = data_key.seal(
            &metadata,
            &Binding {
                subject_id,
                category: &binding,
            },
        )?;
        vow_crypto::create_private_dir(&dir).map_err(io)?;
        let partial = dir.join(format!(".partial-{id}"));
        // Whatever ends this early — an error, or the request dropped at its deadline while the
        // body streams — leaves no partial file behind.
        let mut unfinished = RemoveOnDrop(Some(partial.clone()));
        let bytes = self.write_blob(&partial, &blob_key, body, limit).await?;
        let path = dir.join(&id);
        std::fs::rename(&partial, &path).map_err(io)?;
        // From here the file is the final one, and no guard may take it: once handed to the
        // store, the row is committed even if this future is dropped (the request's deadline),
        // and a row whose file was removed is an upload nobody can open. The file is removed
        // below only when the store answers that it recorded nothing.
        unfinished.0 = None;
        let row = UploadRow {
            id: id.clone(),
            subject_id: subject_id.to_string(),
            category: category.to_string(),
            sealed_key,
            bytes: i64::try_from(bytes).unwrap_or(i64::MAX),
            // Sealed with the key above; the column keeps nothing.
            media_type: String::new(),
            created_ms: self.now_ms(),
            processed_ms: None,
            keep: false,
            contested: false,
        };
        let entry = self.entry(caller, Action::Create, Some(subject_id), &[category]);
        let outcome = self
            .store()
            .apply(Request::logged(UploadOp::PutUpload(row.clone()), entry))
            .await;
        match outcome {
            Ok(Outcome::Created) => Ok(UploadInfo::of(&row, media_type)),
            other => {
                let _ = std::fs::remove_file(&path);
                match other? {
                    Outcome::NotFound => Err(VaultError::NoSubject(clip(subject_id))),
                    Outcome::Closed => Err(VaultError::SubjectClosed),
                    Outcome::NeedsGuardian => Err(VaultError::GuardianConsentMissing {
                        age: self.policy().children.as_ref().map_or(14, |c| c.age),
                    }),
                    other => Err(unexpected(other)),
                }
            }
        }
    }

    async fn write_blob(
        &self,
        path: &Path,
        key: &BlobKey,
        body: &mut (impl AsyncRead + Unpin),
        limit: u64,
    ) -> Result<u64, VaultError> {
        let file = vow_crypto::create_private_file(path)
            .and_then(|()| std::fs::OpenOptions::new().write(true).open(path))
            .map_err(io)?;
        let mut out = std::io::BufWriter::with_capacity(BLOB_SEALED_CHUNK, file);
        out.write_all(BLOB_MAGIC).map_err(io)?;
        let mut encryptor = key.encryptor()?;
        let mut current = vec![0u8; BLOB_CHUNK];
        let mut next = vec![0u8; BLOB_CHUNK];
        let mut current_len = fill(body, &mut current).await?;
        let mut total = current_len as u64;
        loop {
            if total > limit {
                return Err(VaultError::UploadTooLarge { limit });
            }
            // A full chunk is the last only if nothing follows it: read ahead to know.
            let next_len = if current_len == BLOB_CHUNK {
                fill(body, &mut next).await?
            } else {
                0
            };
            let last = next_len == 0;
            let sealed = encryptor.seal_chunk(&current[..current_len], last)?;
            // Writing is a system call on a local file; a chunk at a time keeps the runtime responsive.
            out.write_all(&sealed).map_err(io)?;
            if last {
                break;
            }
            std::mem::swap(&mut current, &mut next);
            current_len = next_len;
            total += next_len as u64;
        }
        let file = out.into_inner().map_err(io)?;
        file.sync_all().map_err(io)?;
        Ok(total)
    }

    /// An upload's description and its decrypted contents, for a role that may read its category in
    /// full. A logged read.
    pub async fn get_upload(
        &self,
        caller: &Caller,
        subject_id: &str,
        id: &str,
    ) -> Result<(UploadInfo, UploadReader), VaultError> {
        let path = self.upload_path(id)?;
        let grants = self.grants(caller)?;
        let (row, wrapped_key) = match self
            .store()
            .apply(Request::unlogged(UploadOp::GetUpload {
                subject_id: subject_id.to_string(),
                id: id.to_string(),
            }))
            .await?
        {
            Outcome::Upload {
                row,
                wrapped_key,
                restricted: _,
            } => (row, wrapped_key),
            Outcome::NotFound => return Err(VaultError::NoUpload),
            other => return Err(unexpected(other)),
        };
        // A file is not masked: only a role that sees the category in full receives it. A power of
        // attorney filed with a request is for whoever answers requests.
        let attorney = row.category == crate::privacy_center::ATTORNEY_CATEGORY
            && (grants.may_handle_requests() || caller.is_operator());
        if !attorney && !grants.may_see_in_full(&row.category) {
            return Err(Self::forbidden(
                caller,
                format!("download {}", row.category),
            ));
        }
        if row.contested && !grants.may_handle_requests() {
            return Err(VaultError::UnderCorrection {
                category: row.category.clone(),
            });
        }
        self.check_use(caller, subject_id).await?;
        let entry = self.entry(caller, Action::Download, Some(subject_id), &[&row.category]);
        // The read is logged before a byte leaves.
        match self
            .store()
            .apply(Request::logged(
                UploadOp::GetUpload {
                    subject_id: subject_id.to_string(),
                    id: id.to_string(),
                },
                entry,
            ))
            .await?
        {
            Outcome::Upload { .. } => {}
            Outcome::NotFound => return Err(VaultError::NoUpload),
            other => return Err(unexpected(other)),
        }
        let data_key = self.data_key(&wrapped_key, subject_id)?;
        let (blob_key, media_type) = open_metadata(&data_key, subject_id, &row)?;
        // Every chunk is checked before the first byte is handed out: a file cut, altered or
        // swapped is refused whole, never sent as an authentic prefix followed by an abort.
        let mut check = open_blob(&path, &blob_key).await?;
        while check.next_chunk().await?.is_some() {}
        Ok((
            UploadInfo::of(&row, media_type),
            open_blob(&path, &blob_key).await?,
        ))
    }

    /// The subject's uploads (descriptions only).
    pub async fn uploads(
        &self,
        caller: &Caller,
        subject_id: &str,
    ) -> Result<Vec<UploadInfo>, VaultError> {
        let grants = self.grants(caller)?;
        self.check_use(caller, subject_id).await?;
        let rows = self.upload_rows(subject_id).await?;
        let readable: Vec<&UploadRow> = rows
            .iter()
            .filter(|r| grants.may_read(&r.category))
            .collect();
        if readable.is_empty() {
            return Ok(Vec::new());
        }
        // The media types are sealed with the subject's data key.
        let subject = self.subject(subject_id).await?;
        let data_key = self.data_key(&subject.wrapped_key, subject_id)?;
        readable
            .into_iter()
            .map(|row| {
                let (_, media_type) = open_metadata(&data_key, subject_id, row)?;
                Ok(UploadInfo::of(row, media_type))
            })
            .collect()
    }

    async fn upload_rows(&self, subject_id: &str) -> Result<Vec<UploadRow>, VaultError> {
        match self
            .store()
            .apply(Request::unlogged(UploadOp::Uploads {
                subject_id: subject_id.to_string(),
            }))
            .await?
        {
            Outcome::Uploads(rows) => Ok(rows),
            Outcome::NotFound => Err(VaultError::NoSubject(clip(subject_id))),
            other => Err(unexpected(other)),
        }
    }

    /// The application reports an upload processed (its time-to-live starts), and/or the subject's
    /// choice to keep it.
    pub async fn update_upload(
        &self,
        caller: &Caller,
        subject_id: &str,
        id: &str,
        processed: bool,
        keep: Option<bool>,
    ) -> Result<(), VaultError> {
        let grants = self.grants(caller)?;
        // A report about the file, not a read of it: no check of use.
        let category = self
            .upload_rows(subject_id)
            .await?
            .into_iter()
            .find(|u| u.id == id && grants.may_read(&u.category))
            .map(|u| u.category)
            .ok_or(VaultError::NoUpload)?;
        if !grants.may_write(&category) {
            return Err(Self::forbidden(caller, format!("write {category}")));
        }
        let entry = self.entry(caller, Action::Update, Some(subject_id), &[&category]);
        match self
            .store()
            .apply(Request::logged(
                UploadOp::UpdateUpload {
                    subject_id: subject_id.to_string(),
                    id: id.to_string(),
                    processed_ms: processed.then(|| self.now_ms()),
                    keep,
                },
                entry,
            ))
            .await?
        {
            Outcome::Done => Ok(()),
            Outcome::NotFound => Err(VaultError::NoUpload),
            other => Err(unexpected(other)),
        }
    }

    /// Removes the files of uploads whose rows were destroyed. Their keys are gone already, so a
    /// file that stays (a crash between the two) can no longer be opened.
    pub(crate) fn remove_upload_files(&self, ids: &[String]) {
        for id in ids {
            if let Ok(path) = self.upload_path(id) {
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

/// Removes the file it names when dropped, unless told the file is kept (`.0 = None`). Only for a
/// file no row refers to yet (a `.partial-` one).
struct RemoveOnDrop(Option<std::path::PathBuf>);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}
