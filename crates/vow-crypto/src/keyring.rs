//! The key ring and its file.
//!
//! Key file (and `VOW_KEYS`) format, JSON:
//!
//! ```json
//! {
//!   "vow_keys": 1,
//!   "current_kek": 2,
//!   "keks": [ { "version": 1, "key": "<base64, 32 bytes>" }, { "version": 2, "key": "..." } ],
//!   "index_key": "<base64, 32 bytes>",
//!   "signing_key": "<base64, 32 bytes: ed25519 secret>"
//! }
//! ```
//!
//! `VOW_KEYS` holds either that JSON text itself, or standard base64 of it (whitespace and line breaks
//! ignored), which is easier to put into a secret store. Text starting with `{` is read as JSON.
//!
//! The index key is a root: the blind-index key and the API-key digest key are derived from it with
//! HKDF-SHA256 under distinct labels, so neither use can be turned into the other. It is never rotated
//! with the KEKs, because blind indexes must stay stable.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use hkdf::Hkdf;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

use crate::envelope::{self, push_lp, DataKey, WrappedKey, KEY_LEN, WRAPPED_ENVELOPE_LEN};
use crate::{fingerprint, normalise_for_lookup, random, AuditSigner, CryptoError};

/// Format number in the `vow_keys` field.
pub const KEY_FILE_FORMAT: u64 = 1;
/// Key files larger than this are refused before parsing (a real one is under 1 KiB per KEK).
const MAX_KEY_TEXT: usize = 1 << 20;

const WRAP_DOMAIN: &[u8] = b"vow.wrap.v1";
const BLIND_LABEL: &[u8] = b"vow blind-index key v1";
const API_LABEL: &[u8] = b"vow api-key digest key v1";

type Key = Zeroizing<[u8; KEY_LEN]>;

/// The key file: versioned key-encryption keys (KEKs), the blind-index root key and the audit
/// signing key. `Debug` prints only fingerprints.
pub struct KeyRing {
    keks: BTreeMap<u32, Key>,
    current: u32,
    index_key: Key,
    blind_key: Key,
    api_key: Key,
    signer: AuditSigner,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keks: BTreeMap<u32, String> = self
            .keks
            .iter()
            .map(|(v, k)| (*v, fingerprint(&k[..])))
            .collect();
        f.debug_struct("KeyRing")
            .field("current_kek", &self.current)
            .field("keks", &keks)
            .field("index_key", &fingerprint(&self.index_key[..]))
            .field("signer", &self.signer)
            .finish()
    }
}

fn derive(root: &[u8; KEY_LEN], label: &[u8]) -> Key {
    let mut out = Zeroizing::new([0u8; KEY_LEN]);
    // 32 bytes is far below HKDF-SHA256's 8160-byte limit, so expand cannot fail.
    let _ = Hkdf::<Sha256>::new(None, root).expand(label, &mut out[..]);
    out
}

fn new_key() -> Key {
    Zeroizing::new(random::array_or_abort::<KEY_LEN>())
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

fn text_err(reason: impl Into<String>) -> CryptoError {
    CryptoError::KeyText(reason.into())
}

fn decode_key(value: Option<&serde_json::Value>, what: &str) -> Result<Key, CryptoError> {
    let s = value
        .and_then(|v| v.as_str())
        .ok_or_else(|| text_err(format!("`{what}` is missing or not a string")))?;
    let bytes = Zeroizing::new(
        b64()
            .decode(s.trim())
            .map_err(|_| text_err(format!("`{what}` is not valid base64")))?,
    );
    if bytes.len() != KEY_LEN {
        return Err(text_err(format!(
            "`{what}` must be {KEY_LEN} bytes, found {}",
            bytes.len()
        )));
    }
    let mut k = Zeroizing::new([0u8; KEY_LEN]);
    k.copy_from_slice(&bytes);
    Ok(k)
}

/// serde_json's own messages can quote the offending value, which here is key material, so only the
/// position is kept.
fn json_err(e: &serde_json::Error) -> CryptoError {
    text_err(format!(
        "not valid JSON (line {}, column {})",
        e.line(),
        e.column()
    ))
}

/// Drops a parsed JSON tree after overwriting its strings, since they held key material.
struct ScrubbedJson(serde_json::Value);

impl Drop for ScrubbedJson {
    fn drop(&mut self) {
        fn scrub(v: &mut serde_json::Value) {
            match v {
                serde_json::Value::String(s) => s.zeroize(),
                serde_json::Value::Array(a) => a.iter_mut().for_each(scrub),
                serde_json::Value::Object(o) => o.values_mut().for_each(scrub),
                _ => {}
            }
        }
        scrub(&mut self.0);
    }
}

impl KeyRing {
    /// A fresh ring in memory: one KEK (version 1), an index key and a signing key.
    ///
    /// # Panics
    /// Only if the operating system's random number generator fails.
    pub fn generate() -> KeyRing {
        let mut keks = BTreeMap::new();
        keks.insert(1, new_key());
        KeyRing::assemble(keks, 1, new_key(), AuditSigner::generate())
    }

    fn assemble(
        keks: BTreeMap<u32, Key>,
        current: u32,
        index_key: Key,
        signer: AuditSigner,
    ) -> KeyRing {
        let blind_key = derive(&index_key, BLIND_LABEL);
        let api_key = derive(&index_key, API_LABEL);
        KeyRing {
            keks,
            current,
            index_key,
            blind_key,
            api_key,
            signer,
        }
    }

    /// Reads key-file text: the JSON itself, or standard base64 of it (the form `VOW_KEYS` may use).
    pub fn from_text(text: &str) -> Result<KeyRing, CryptoError> {
        if text.len() > MAX_KEY_TEXT {
            return Err(text_err("larger than 1 MiB; this is not a vow key file"));
        }
        let trimmed = text.trim_start_matches('\u{feff}').trim();
        let json: Zeroizing<Vec<u8>> = if trimmed.starts_with('{') {
            Zeroizing::new(trimmed.as_bytes().to_vec())
        } else {
            let compact: Zeroizing<String> = Zeroizing::new(
                trimmed
                    .chars()
                    .filter(|c| !c.is_ascii_whitespace())
                    .collect(),
            );
            if compact.is_empty() {
                return Err(text_err("empty"));
            }
            Zeroizing::new(
                b64()
                    .decode(compact.as_bytes())
                    .map_err(|_| text_err("neither JSON (starting with `{`) nor base64 of it"))?,
            )
        };
        let value = ScrubbedJson(serde_json::from_slice(&json).map_err(|e| json_err(&e))?);
        let obj = value
            .0
            .as_object()
            .ok_or_else(|| text_err("top level must be a JSON object"))?;
        for k in obj.keys() {
            if !matches!(
                k.as_str(),
                "vow_keys" | "current_kek" | "keks" | "index_key" | "signing_key"
            ) {
                return Err(text_err(format!("unknown field `{k}`")));
            }
        }
        match obj.get("vow_keys").and_then(|v| v.as_u64()) {
            Some(KEY_FILE_FORMAT) => {}
            Some(n) => {
                return Err(text_err(format!(
                    "key file format {n} is not supported (expected {KEY_FILE_FORMAT})"
                )))
            }
            None => return Err(text_err("`vow_keys` (format number) is missing")),
        }
        let current = obj
            .get("current_kek")
            .and_then(|v| v.as_u64())
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| text_err("`current_kek` is missing or not a version number"))?;
        let list = obj
            .get("keks")
            .and_then(|v| v.as_array())
            .ok_or_else(|| text_err("`keks` is missing or not a list"))?;
        let mut keks = BTreeMap::new();
        for (i, entry) in list.iter().enumerate() {
            let version = entry
                .get("version")
                .and_then(|v| v.as_u64())
                .and_then(|v| u32::try_from(v).ok())
                .filter(|v| *v >= 1)
                .ok_or_else(|| {
                    text_err(format!("keks[{i}].version is missing or not a number ≥ 1"))
                })?;
            let key = decode_key(entry.get("key"), &format!("keks[{i}].key"))?;
            if keks.insert(version, key).is_some() {
                return Err(text_err(format!("KEK version {version} appears twice")));
            }
        }
        if !keks.contains_key(&current) {
            return Err(text_err(format!(
                "`current_kek` {current} is not among `keks`"
            )));
        }
        let index_key = decode_key(obj.get("index_key"), "index_key")?;
        let signing = decode_key(obj.get("signing_key"), "signing_key")?;
        let signer = AuditSigner::from_secret(&signing);
        Ok(KeyRing::assemble(keks, current, index_key, signer))
    }

    /// The key-file format (pretty JSON). Contains every secret: write it only to a 0600 file.
    pub fn to_text(&self) -> String {
        let mut s = self.to_text_zeroizing();
        std::mem::take(&mut *s)
    }

    fn to_text_zeroizing(&self) -> Zeroizing<String> {
        // Built by hand so no intermediate copy of the keys escapes zeroizing buffers.
        let mut s = Zeroizing::new(String::with_capacity(256 + 80 * self.keks.len()));
        s.push_str(&format!(
            "{{\n  \"vow_keys\": {KEY_FILE_FORMAT},\n  \"current_kek\": {},\n  \"keks\": [\n",
            self.current
        ));
        let n = self.keks.len();
        for (i, (v, k)) in self.keks.iter().enumerate() {
            s.push_str(&format!("    {{ \"version\": {v}, \"key\": \""));
            b64().encode_string(&k[..], &mut s);
            s.push_str(if i + 1 == n { "\" }\n" } else { "\" },\n" });
        }
        s.push_str("  ],\n  \"index_key\": \"");
        b64().encode_string(&self.index_key[..], &mut s);
        s.push_str("\",\n  \"signing_key\": \"");
        b64().encode_string(&self.signer.secret_bytes()[..], &mut s);
        s.push_str("\"\n}\n");
        s
    }

    /// Loads the key file, or creates it when missing (mode 0600, parent directories 0700, written
    /// atomically: temp file + fsync + link/rename + directory fsync). Returns `(ring, created)`.
    ///
    /// Refuses (on unix) a key file that group or others may read or write: those keys must be
    /// treated as leaked, and silently tightening the mode would hide that.
    pub fn load_or_create(path: &Path) -> Result<(KeyRing, bool), CryptoError> {
        match std::fs::symlink_metadata(path) {
            Ok(_) => Ok((KeyRing::load(path)?, false)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let ring = KeyRing::generate();
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    crate::private::create_private_dir(parent)
                        .map_err(|e| io_err(path, "create its directory", &e))?;
                }
                match write_atomic(path, ring.to_text_zeroizing().as_bytes(), false) {
                    Ok(true) => Ok((ring, true)),
                    // Another process created it between our check and our link: use theirs.
                    Ok(false) => Ok((KeyRing::load(path)?, false)),
                    Err(e) => Err(io_err(path, "create", &e)),
                }
            }
            Err(e) => Err(io_err(path, "inspect", &e)),
        }
    }

    fn load(path: &Path) -> Result<KeyRing, CryptoError> {
        let meta = std::fs::metadata(path).map_err(|e| io_err(path, "read", &e))?;
        if !meta.is_file() {
            return Err(key_file_err(path, "not a regular file"));
        }
        check_private(path, &meta)?;
        if meta.len() > MAX_KEY_TEXT as u64 {
            return Err(key_file_err(
                path,
                "larger than 1 MiB; this is not a vow key file",
            ));
        }
        let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| io_err(path, "read", &e))?);
        let text = std::str::from_utf8(&bytes).map_err(|_| key_file_err(path, "not UTF-8 text"))?;
        KeyRing::from_text(text).map_err(|e| match e {
            CryptoError::KeyText(reason) => key_file_err(path, &reason),
            other => other,
        })
    }

    pub fn current_version(&self) -> u32 {
        self.current
    }

    /// All KEK versions held, oldest first.
    pub fn kek_versions(&self) -> Vec<u32> {
        self.keks.keys().copied().collect()
    }

    /// Adds a new KEK version, makes it current, and (with a path) saves the ring atomically.
    /// Old versions stay, so existing wrapped keys still unwrap until [`KeyRing::rewrap`]ped.
    /// If saving fails the ring is left as it was.
    pub fn rotate(&mut self, path: Option<&Path>) -> Result<u32, CryptoError> {
        let last = self.keks.keys().next_back().copied().unwrap_or(0);
        let next = last
            .checked_add(1)
            .ok_or(CryptoError::Malformed("KEK version space exhausted"))?;
        let previous = self.current;
        self.keks.insert(next, new_key());
        self.current = next;
        if let Some(path) = path {
            if let Err(e) = write_atomic(path, self.to_text_zeroizing().as_bytes(), true) {
                self.keks.remove(&next);
                self.current = previous;
                return Err(io_err(path, "save the rotated key ring to", &e));
            }
        }
        Ok(next)
    }

    /// Removes an old KEK version for good (refuses the current one) and, with a path, saves atomically.
    ///
    /// This is what makes erasure reach backups: a database backup still holds the wrapped key of a
    /// subject erased after it was taken. After erasing, `rotate`, `rewrap` every remaining subject,
    /// then retire the old versions: the wrapped keys in old backups name a KEK that no longer exists
    /// anywhere (keep the key file out of database backups). If saving fails the ring is unchanged.
    pub fn retire_kek(&mut self, version: u32, path: Option<&Path>) -> Result<(), CryptoError> {
        if version == self.current {
            return Err(CryptoError::Malformed(
                "the current KEK cannot be retired; rotate first",
            ));
        }
        let removed = self
            .keks
            .remove(&version)
            .ok_or(CryptoError::UnknownKeyVersion(version))?;
        if let Some(path) = path {
            if let Err(e) = write_atomic(path, self.to_text_zeroizing().as_bytes(), true) {
                self.keks.insert(version, removed);
                return Err(io_err(path, "save the key ring to", &e));
            }
        }
        Ok(())
    }

    fn kek(&self, version: u32) -> Result<&Key, CryptoError> {
        self.keks
            .get(&version)
            .ok_or(CryptoError::UnknownKeyVersion(version))
    }

    fn wrap_aad(version: u32, subject_id: &str) -> Vec<u8> {
        let mut aad = Vec::with_capacity(WRAP_DOMAIN.len() + 8 + subject_id.len());
        aad.extend_from_slice(WRAP_DOMAIN);
        aad.extend_from_slice(&version.to_be_bytes());
        push_lp(&mut aad, subject_id.as_bytes());
        aad
    }

    fn wrap(&self, key: &DataKey, subject_id: &str) -> Result<WrappedKey, CryptoError> {
        let kek = self.kek(self.current)?;
        let bytes =
            envelope::seal_raw(kek, key.bytes(), &Self::wrap_aad(self.current, subject_id))?;
        Ok(WrappedKey {
            kek_version: self.current,
            bytes,
        })
    }

    /// A fresh per-subject data key, and that key wrapped under the current KEK with the subject id
    /// as associated data (a wrapped key copied to another subject will not unwrap).
    pub fn new_data_key(&self, subject_id: &str) -> Result<(DataKey, WrappedKey), CryptoError> {
        let key = DataKey::generate()?;
        let wrapped = self.wrap(&key, subject_id)?;
        Ok((key, wrapped))
    }

    pub fn unwrap_key(
        &self,
        wrapped: &WrappedKey,
        subject_id: &str,
    ) -> Result<DataKey, CryptoError> {
        if wrapped.bytes.len() != WRAPPED_ENVELOPE_LEN {
            return Err(CryptoError::Malformed("wrapped key has the wrong length"));
        }
        let kek = self.kek(wrapped.kek_version)?;
        let plain = envelope::open_raw(
            kek,
            &wrapped.bytes,
            &Self::wrap_aad(wrapped.kek_version, subject_id),
        )?;
        let mut k = [0u8; KEY_LEN];
        if plain.len() != KEY_LEN {
            return Err(CryptoError::Malformed(
                "wrapped key holds a key of the wrong length",
            ));
        }
        k.copy_from_slice(&plain);
        let key = DataKey::from_bytes(k);
        k.zeroize();
        Ok(key)
    }

    /// Re-wraps under the current KEK (for `vow keys rotate`). The data key, and so every value
    /// sealed with it, is unchanged.
    pub fn rewrap(
        &self,
        wrapped: &WrappedKey,
        subject_id: &str,
    ) -> Result<WrappedKey, CryptoError> {
        let key = self.unwrap_key(wrapped, subject_id)?;
        self.wrap(&key, subject_id)
    }

    /// Keyed HMAC-SHA256 over (category, [`normalise_for_lookup`]`(category, value)`): exact lookup
    /// without decrypting. Stable across KEK rotation; different categories never share an index.
    pub fn blind_index(&self, category: &str, value: &str) -> [u8; 32] {
        let norm = Zeroizing::new(normalise_for_lookup(category, value));
        let mut msg = Zeroizing::new(Vec::with_capacity(16 + category.len() + norm.len()));
        msg.extend_from_slice(b"vow.blind.v1");
        push_lp(&mut msg, category.as_bytes());
        push_lp(&mut msg, norm.as_bytes());
        hmac(&self.blind_key, &msg)
    }

    /// HMAC-SHA256 of an API key secret under a dedicated derived key. API secrets carry 256 bits of
    /// entropy, so a keyed hash is enough (no Argon2), and it lets a key be found by its digest.
    pub fn api_key_digest(&self, secret: &str) -> [u8; 32] {
        hmac(&self.api_key, secret.as_bytes())
    }

    pub fn signing_key(&self) -> &AuditSigner {
        &self.signer
    }
}

fn hmac(key: &[u8; KEY_LEN], msg: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    // HMAC accepts keys of any length, so this cannot fail.
    if let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        mac.update(msg);
        out.copy_from_slice(&mac.finalize().into_bytes());
    }
    out
}

fn key_file_err(path: &Path, reason: &str) -> CryptoError {
    CryptoError::KeyFile {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

fn io_err(path: &Path, doing: &str, e: &std::io::Error) -> CryptoError {
    key_file_err(path, &format!("could not {doing} it: {e}"))
}

fn check_private(path: &Path, meta: &std::fs::Metadata) -> Result<(), CryptoError> {
    match crate::private::loose_mode(meta) {
        Some(mode) => Err(key_file_err(
            path,
            &format!(
                "mode {mode:04o} lets group or others access it; treat these keys as exposed, then \
                 restrict it with `{}` (vow refuses to use it until then)",
                crate::private::fix(path, meta)
            ),
        )),
        None => Ok(()),
    }
}

fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tag = hex::encode(random::array_or_abort::<6>());
    path.with_file_name(format!(".{name}.{}.{tag}.tmp", std::process::id()))
}

/// Writes `data` to `path` atomically with mode 0600. With `replace == false` the final step is a
/// hard link, which fails if the path exists, so two processes creating the key file at once never
/// overwrite each other's keys; returns `Ok(false)` when someone else won.
fn write_atomic(path: &Path, data: &[u8], replace: bool) -> std::io::Result<bool> {
    let tmp = temp_path(path);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let result = (|| {
        let mut f = opts.open(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        drop(f);
        let placed = if replace {
            std::fs::rename(&tmp, path)?;
            true
        } else {
            match std::fs::hard_link(&tmp, path) {
                Ok(()) => true,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => false,
                // Some filesystems (FAT, some FUSE mounts) have no hard links: fall back to rename,
                // which leaves only a tiny window for a concurrent creator.
                Err(_) if !path.exists() => {
                    std::fs::rename(&tmp, path)?;
                    true
                }
                Err(_) => false,
            }
        };
        sync_parent(path)?;
        Ok(placed)
    })();
    if tmp.exists() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn sync_parent(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        std::fs::File::open(parent)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}
