//! Rights requests: their rows and their states (the detail is the engine's JSON, never values).

use crate::subjects::SubjectTx;
use crate::*;

mod postgres;
mod sqlite;

/// A data subject's rights request as stored. `detail` is JSON the engine owns (verification,
/// reasons, what was kept), never personal values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RightsRequestRow {
    pub id: String,
    pub subject_id: String,
    pub kind: String,
    pub state: String,
    pub received_ms: i64,
    pub due_ms: i64,
    pub updated_ms: i64,
    pub detail: String,
}

/// What is asked of the store about requests.
#[derive(Clone, Debug)]
pub enum RequestOp {
    /// `Created`, or `NotFound` when the subject is not live.
    CreateRightsRequest(RightsRequestRow),
    /// Replaces a request if its state is still `expected_state`: `Done`, `Stale` or `NotFound`.
    UpdateRightsRequest {
        row: RightsRequestRow,
        expected_state: String,
    },
    /// One request: `RightsRequests` with one row, or `NotFound`.
    GetRightsRequest { id: String },
    /// Requests by due date; with `open_only`, those not completed or refused.
    RightsRequests { open_only: bool, limit: usize },
    /// Requests ordered by (due_ms, id), strictly after `after` when given, at most `limit`; with
    /// `open_only`, those not completed or refused. Paged by key, never by offset: `RightsRequests`.
    RightsRequestsPage {
        open_only: bool,
        after: Option<(i64, String)>,
        limit: usize,
    },
    /// The requests of these subjects (at most 1,000 ids), newest received first: `RightsRequests`.
    RightsRequestsOf { subject_ids: Vec<String> },
}

impl From<RequestOp> for Op {
    fn from(op: RequestOp) -> Op {
        Op::Requests(op)
    }
}

/// The SQL primitives of requests, written once per backend (`sqlite.rs`, `postgres.rs`).
pub(crate) trait RequestTx {
    fn insert_rights_request(&mut self, row: &RightsRequestRow) -> Result<(), StoreError>;
    /// Returns false when the request is not in `expected_state` (or does not exist).
    fn update_rights_request(
        &mut self,
        row: &RightsRequestRow,
        expected_state: &str,
    ) -> Result<bool, StoreError>;
    fn rights_requests(
        &mut self,
        id: Option<&str>,
        open_only: bool,
        limit: usize,
    ) -> Result<Vec<RightsRequestRow>, StoreError>;
    fn rights_requests_after(
        &mut self,
        open_only: bool,
        after: (i64, &str),
        limit: usize,
    ) -> Result<Vec<RightsRequestRow>, StoreError>;
    /// Every request of these subjects, in one query (newest received first).
    fn rights_requests_of(
        &mut self,
        subject_ids: &[String],
    ) -> Result<Vec<RightsRequestRow>, StoreError>;
}

pub(crate) fn run(
    tx: &mut (impl RequestTx + SubjectTx),
    op: &RequestOp,
) -> Result<Outcome, StoreError> {
    Ok(match op {
        RequestOp::CreateRightsRequest(row) => match tx.subject(&row.subject_id)? {
            Some(_) => {
                tx.insert_rights_request(row)?;
                Outcome::Created
            }
            None => Outcome::NotFound,
        },
        RequestOp::UpdateRightsRequest {
            row,
            expected_state,
        } => {
            if tx.rights_requests(Some(&row.id), false, 1)?.is_empty() {
                Outcome::NotFound
            } else if tx.update_rights_request(row, expected_state)? {
                Outcome::Done
            } else {
                Outcome::Stale
            }
        }
        RequestOp::GetRightsRequest { id } => match tx.rights_requests(Some(id), false, 1)? {
            rows if rows.is_empty() => Outcome::NotFound,
            rows => Outcome::RightsRequests(rows),
        },
        RequestOp::RightsRequests { open_only, limit } => {
            Outcome::RightsRequests(tx.rights_requests(None, *open_only, *limit)?)
        }
        RequestOp::RightsRequestsPage {
            open_only,
            after,
            limit,
        } => {
            let (due, id) = match after {
                Some((due, id)) => (*due, id.as_str()),
                None => (i64::MIN, ""),
            };
            Outcome::RightsRequests(tx.rights_requests_after(*open_only, (due, id), *limit)?)
        }
        RequestOp::RightsRequestsOf { subject_ids } => {
            let ids = &subject_ids[..subject_ids.len().min(1000)];
            Outcome::RightsRequests(tx.rights_requests_of(ids)?)
        }
    })
}

pub(crate) const REQUEST_COLUMNS: &str =
    "id, subject_id, kind, state, received_ms, due_ms, updated_ms, detail";

pub(crate) fn request_from(row: &impl Cols) -> Result<RightsRequestRow, StoreError> {
    Ok(RightsRequestRow {
        id: row.col(0)?,
        subject_id: row.col(1)?,
        kind: row.col(2)?,
        state: row.col(3)?,
        received_ms: row.col(4)?,
        due_ms: row.col(5)?,
        updated_ms: row.col(6)?,
        detail: row.col(7)?,
    })
}
