//! Uploads: a row per file (its key sealed under the subject's data key); the file itself lives in
//! the uploads directory, which the engine handles.

use crate::subjects::SubjectTx;
use crate::*;

macro_rules! upload_columns {
    () => {
        "id, subject_id, category, sealed_key, bytes, media_type, created_ms, processed_ms, keep, contested"
    };
}

mod postgres;
mod sqlite;

/// An upload (an image, a dataset) of a subject: the file lives encrypted in the uploads directory
/// under `id`; its own key, sealed with the subject's data key, lives here. Deleting the row destroys
/// the only way to open the file.
#[derive(Clone, PartialEq, Eq)]
pub struct UploadRow {
    pub id: String,
    pub subject_id: String,
    pub category: String,
    pub sealed_key: Vec<u8>,
    pub bytes: i64,
    pub media_type: String,
    pub created_ms: i64,
    /// When the application reported it processed: time-to-live rules count from here.
    pub processed_ms: Option<i64>,
    /// The subject chose to keep it: rules counted from processing do not apply.
    pub keep: bool,
    /// Under correction at the subject's request: neither used nor given until resolved.
    pub contested: bool,
}

impl std::fmt::Debug for UploadRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadRow")
            .field("id", &self.id)
            .field("category", &self.category)
            .field("bytes", &self.bytes)
            .finish_non_exhaustive()
    }
}

/// What is asked of the store about uploads.
#[derive(Clone, Debug)]
pub enum UploadOp {
    /// Stores an upload's row once its file is written: `Created`, `NotFound` or `NeedsGuardian`.
    PutUpload(UploadRow),
    /// One upload with the subject's wrapped key: `Upload`, or `NotFound`.
    GetUpload { subject_id: String, id: String },
    /// The subject's uploads: `Uploads`, or `NotFound`.
    Uploads { subject_id: String },
    /// Marks an upload processed (at `processed_ms`) and/or kept: `Done` or `NotFound`.
    UpdateUpload {
        subject_id: String,
        id: String,
        processed_ms: Option<i64>,
        keep: Option<bool>,
    },
}

impl From<UploadOp> for Op {
    fn from(op: UploadOp) -> Op {
        Op::Uploads(op)
    }
}

/// The SQL primitives of uploads, written once per backend (`sqlite.rs`, `postgres.rs`).
pub(crate) trait UploadTx {
    fn insert_upload(&mut self, row: &UploadRow) -> Result<(), StoreError>;
    /// A live subject's upload with the subject's wrapped key and restriction mark.
    fn upload(
        &mut self,
        subject_id: &str,
        id: &str,
    ) -> Result<Option<(UploadRow, Vec<u8>, bool)>, StoreError>;
    fn uploads(&mut self, subject_id: &str) -> Result<Vec<UploadRow>, StoreError>;
    fn update_upload(
        &mut self,
        subject_id: &str,
        id: &str,
        processed_ms: Option<i64>,
        keep: Option<bool>,
    ) -> Result<bool, StoreError>;
    fn take_upload(&mut self, subject_id: &str, id: &str) -> Result<Option<UploadRow>, StoreError>;
}

pub(crate) fn run(
    tx: &mut (impl UploadTx + SubjectTx),
    op: &UploadOp,
) -> Result<Outcome, StoreError> {
    Ok(match op {
        UploadOp::PutUpload(row) => match tx.subject(&row.subject_id)? {
            Some(subject) if subject.closed_ms.is_some() => Outcome::Closed,
            Some(subject) if subject.minor && !tx.guardian_consented(&row.subject_id)? => {
                Outcome::NeedsGuardian
            }
            Some(_) => {
                tx.insert_upload(row)?;
                Outcome::Created
            }
            None => Outcome::NotFound,
        },
        UploadOp::GetUpload { subject_id, id } => match tx.upload(subject_id, id)? {
            Some((row, wrapped_key, restricted)) => Outcome::Upload {
                row,
                wrapped_key,
                restricted,
            },
            None => Outcome::NotFound,
        },
        UploadOp::Uploads { subject_id } => match tx.subject(subject_id)? {
            Some(_) => Outcome::Uploads(tx.uploads(subject_id)?),
            None => Outcome::NotFound,
        },
        UploadOp::UpdateUpload {
            subject_id,
            id,
            processed_ms,
            keep,
        } => {
            if tx.subject(subject_id)?.is_some()
                && tx.update_upload(subject_id, id, *processed_ms, *keep)?
            {
                Outcome::Done
            } else {
                Outcome::NotFound
            }
        }
    })
}

pub(crate) const UPLOAD_COLUMNS: &str =
    "id, subject_id, category, sealed_key, bytes, media_type, created_ms, processed_ms, keep, contested";

pub(crate) fn upload_from(row: &impl Cols) -> Result<UploadRow, StoreError> {
    Ok(UploadRow {
        id: row.col(0)?,
        subject_id: row.col(1)?,
        category: row.col(2)?,
        sealed_key: row.col(3)?,
        bytes: row.col(4)?,
        media_type: row.col(5)?,
        created_ms: row.col(6)?,
        processed_ms: row.col(7)?,
        keep: row.col(8)?,
        contested: row.col(9)?,
    })
}
