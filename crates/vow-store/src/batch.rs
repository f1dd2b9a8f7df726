//! What an operation means, once for both backends: each backend supplies the SQL primitives ([`Tx`]),
//! this module composes them into operations and chains their access-log entries.

use vow_audit::Entry;

use crate::audit::AuditTx;
use crate::consent::ConsentTx;
use crate::console::ConsoleTx;
use crate::keys::KeyTx;
use crate::outbox::OutboxTx;
use crate::privacy::PrivacyTx;
use crate::provisions::ProvisionTx;
use crate::requests::RequestTx;
use crate::retention::RetentionTx;
use crate::subjects::SubjectTx;
use crate::uploads::UploadTx;

use crate::{
    AuditOp, ConsentOp, Op, OutboxOp, Outcome, ProvisionOp, Request, RetentionOp, StoreError,
};

/// The SQL primitives of one open transaction: every capability's, each written once per backend
/// beside the capability.
pub(crate) trait Tx:
    AuditTx
    + SubjectTx
    + KeyTx
    + ConsentTx
    + OutboxTx
    + RetentionTx
    + RequestTx
    + UploadTx
    + ProvisionTx
    + ConsoleTx
    + PrivacyTx
{
}

impl<T> Tx for T where
    T: AuditTx
        + SubjectTx
        + KeyTx
        + ConsentTx
        + OutboxTx
        + RetentionTx
        + RequestTx
        + UploadTx
        + ProvisionTx
        + ConsoleTx
        + PrivacyTx
{
}

/// Applies every request of a batch inside one open transaction, without savepoints (each would
/// cost a round trip on PostgreSQL). On the first failure it stops and says which request failed;
/// the caller then rolls the transaction back and applies the requests one transaction each (see
/// [`apply_each`]), so a failing request leaves no trace and does not undo its neighbours.
pub(crate) fn apply_all(
    tx: &mut impl Tx,
    batch: &[Request],
) -> Result<Vec<Outcome>, (usize, StoreError)> {
    // The commit-order lock is taken only when the batch numbers rows in commit order, and then
    // first: a batch that locked a row (an item it updates, an event it claims) before it would wait
    // for the lock while another server's batch, holding it, waits for that row — a deadlock
    // PostgreSQL breaks only after a second, by aborting one of them. Taking it before any row keeps
    // one order for every transaction. The log needs no lock: each writer extends its own chain.
    if batch.iter().any(numbers_in_commit_order) {
        tx.lock_commit_order().map_err(|e| (0, e))?;
    }
    let mut head = if batch.iter().any(|request| request.audit.is_some()) {
        tx.audit_head().map_err(|e| (0, e))?
    } else {
        None
    };
    let chain = tx.chain_id();
    let mut entries = Vec::new();
    let mut outcomes: Vec<Option<Outcome>> = vec![None; batch.len()];
    for index in locking_order(batch) {
        let outcome =
            apply_one(tx, &batch[index], chain, &mut head, &mut entries).map_err(|e| (index, e))?;
        outcomes[index] = Some(outcome);
    }
    let outcomes = outcomes
        .into_iter()
        .map(|outcome| outcome.ok_or((0, StoreError::Closed)))
        .collect::<Result<Vec<_>, _>>()?;
    // Nothing in a batch reads the log, so its entries are written together at the end.
    if !entries.is_empty() {
        tx.append_audit(&entries)
            .map_err(|e| (batch.len().saturating_sub(1), e))?;
    }
    Ok(outcomes)
}

/// The order a batch is applied in: requests about no subject first, as they came, then by subject
/// id, each subject's requests as they came. Two servers' batches then lock subjects' rows in one
/// order, so they wait for each other at most, never deadlock (with one chain per writer, nothing
/// else orders them). Requests of one batch were in flight at once, so none depends on another's
/// order except a subject's own, which is kept.
fn locking_order(batch: &[Request]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..batch.len()).collect();
    order.sort_by_key(|&index| batch[index].subject());
    order
}

/// The result of applying requests in one transaction: committed outcomes, or the first request that
/// failed (the transaction is then rolled back).
pub(crate) type Attempt = Result<Vec<Outcome>, (usize, StoreError)>;

/// Applies a batch with `in_one_transaction`; when a request fails, the batch is rolled back and
/// each request is applied again in a transaction of its own, so only the failing one fails.
pub(crate) fn apply_with_fallback(
    batch: &[Request],
    mut in_one_transaction: impl FnMut(&[Request]) -> Result<Attempt, StoreError>,
) -> Result<Vec<Result<Outcome, StoreError>>, StoreError> {
    let first = in_one_transaction(batch)?;
    let mut alone = |request: &Request| match in_one_transaction(std::slice::from_ref(request)) {
        Ok(Ok(mut outcomes)) => outcomes.pop().ok_or(StoreError::Closed),
        Ok(Err((_, error))) | Err(error) => Err(error),
    };
    match first {
        Ok(outcomes) => Ok(outcomes.into_iter().map(Ok).collect()),
        Err((_, error)) if batch.len() == 1 => {
            Ok(vec![after_lost_race(error, || alone(&batch[0]))])
        }
        Err(_) => Ok(batch
            .iter()
            .map(|request| match alone(request) {
                Err(error) => after_lost_race(error, || alone(request)),
                done => done,
            })
            .collect()),
    }
}

/// Another process committed the same unique value (one external id) between this transaction's
/// check and its insert: once more, the check sees the winner and answers as for any existing
/// value, instead of failing as a storage error. Or PostgreSQL broke a deadlock by aborting this
/// transaction (two servers waiting on each other's rows that subject order does not cover, such
/// as one external id each): once more, the other has committed by now.
fn after_lost_race(
    error: StoreError,
    again: impl FnOnce() -> Result<Outcome, StoreError>,
) -> Result<Outcome, StoreError> {
    if error.is_unique_violation() || error.is_deadlock() {
        again()
    } else {
        Err(error)
    }
}

/// Whether a request numbers rows (the consent ledger, the outbox) in commit order, or checks
/// then writes what another process may write at once (a cut, which must start where the chain's
/// newest ended), which the commit-order lock orders even across processes.
fn numbers_in_commit_order(request: &Request) -> bool {
    matches!(
        request.op,
        Op::Audit(AuditOp::RecordCut(_))
            | Op::Consent(ConsentOp::RecordConsent { .. })
            | Op::Outbox(OutboxOp::Enqueue(_))
            | Op::Retention(
                RetentionOp::Dispose { .. }
                    | RetentionOp::RecordRetentionEvent { .. }
                    | RetentionOp::CloseSubject { .. }
            )
            | Op::Provisions(ProvisionOp::RecordProvision(_))
    )
}

/// Applies one request; `head` is the head of this writer's chain, read by [`apply_all`] whenever
/// any request of the batch is logged.
fn apply_one(
    tx: &mut impl Tx,
    request: &Request,
    chain: u32,
    head: &mut Option<Entry>,
    entries: &mut Vec<Entry>,
) -> Result<Outcome, StoreError> {
    let outcome = run(tx, &request.op)?;
    if let (Some(new_entry), true) = (&request.audit, outcome.is_access()) {
        // A lookup is an access to every subject it finds: one entry each, so the monthly review and
        // a subject's own access history see it.
        let subjects: Vec<Option<String>> = match &outcome {
            Outcome::Subjects(ids) if !ids.is_empty() => ids.iter().cloned().map(Some).collect(),
            _ => vec![new_entry.subject_id.clone()],
        };
        for subject_id in subjects {
            let mut new_entry = new_entry.clone();
            new_entry.subject_id = subject_id;
            let entry = vow_audit::chain_in(chain, head.as_ref(), new_entry);
            *head = Some(entry.clone());
            entries.push(entry);
        }
    }
    Ok(outcome)
}

fn run(tx: &mut impl Tx, op: &Op) -> Result<Outcome, StoreError> {
    match op {
        Op::Audit(op) => crate::audit::run(tx, op),
        Op::Subjects(op) => crate::subjects::run(tx, op),
        Op::Keys(op) => crate::keys::run(tx, op),
        Op::Consent(op) => crate::consent::run(tx, op),
        Op::Outbox(op) => crate::outbox::run(tx, op),
        Op::Retention(op) => crate::retention::run(tx, op),
        Op::Requests(op) => crate::requests::run(tx, op),
        Op::Uploads(op) => crate::uploads::run(tx, op),
        Op::Provisions(op) => crate::provisions::run(tx, op),
        Op::Console(op) => crate::console::run(tx, op),
        Op::Privacy(op) => crate::privacy::run(tx, op),
    }
}
