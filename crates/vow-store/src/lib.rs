//! Where vow keeps what it keeps: subjects, their sealed items, API keys and the access log.
//!
//! One interface ([`Store`]) over two backends: SQLite in a data directory (the embedded default) and
//! PostgreSQL (several `vow serve` processes on one database). Every change arrives as an [`Op`] with the
//! access-log entry that records it; the store applies the operation and appends the entry, chained to the
//! one before, in the same transaction. Operations from many callers are applied together by one committer
//! thread per process (group commit), so one disk flush covers many requests.
//!
//! The key store, kept apart from the data, also remembers ([`Remembered`]) the public half of the key
//! file's audit key and the newest signed head of the access log; [`inspect`] reads what a store holds
//! without creating or writing anything.
//!
//! **Invariants.** Only this crate knows SQL. It never sees plaintext personal data: values arrive sealed
//! (`vow-crypto`) and lookups arrive as blind indexes. An operation and its log entry commit together or
//! not at all; one failing operation in a batch does not undo the others (the batch is rolled back and
//! replayed one transaction per operation).

mod batch;
mod committer;
mod postgres;
mod remembered;
mod schema;
mod sqlite;

use std::path::PathBuf;

pub use committer::{Store, StoreOptions};
pub use remembered::{inspect, Inspection, Remembered};

pub use vow_audit::{Entry, NewEntry};

/// A data subject as stored: an opaque id, the service's own id for them, their kind (from the policy),
/// and their data key wrapped by the key-encryption key. `wrapped_key` is gone once the subject is erased.
#[derive(Clone, PartialEq, Eq)]
pub struct SubjectRecord {
    pub id: String,
    pub external_id: String,
    pub kind: String,
    pub wrapped_key: Vec<u8>,
    pub created_ms: i64,
    /// A child under the policy's age of consent when collected: their data waits for a guardian's
    /// verified consent (a consent under [`GUARDIAN_PURPOSE`]).
    pub minor: bool,
    /// Processing restricted (처리정지) at the subject's request: reads for use are refused.
    pub restricted: bool,
    /// When the account was closed (the `account_closure` event) or the subject erased: from then on
    /// no new item, upload or consent is taken, and a record only into separated storage.
    pub closed_ms: Option<i64>,
    /// When an erasure (a `DELETE` or an erasure request) ended the subject: only what a law still
    /// holds is left, kept apart.
    pub erasure_ms: Option<i64>,
    /// For a child: the earliest day they can have been born, sealed with their data key (never
    /// kept for an adult).
    pub born_sealed: Option<Vec<u8>>,
}

/// What a record's seal is bound to: its category and its id, so one record's sealed value cannot be
/// passed off as another's.
pub fn record_binding(category: &str, id: &str) -> String {
    format!("{category}#{id}")
}

/// The record id a seal's binding names (`category#id`), or `None` for an item's binding.
pub fn record_of_binding(binding: &str) -> Option<String> {
    binding.split_once('#').map(|(_, id)| id.to_string())
}

/// The purpose under which a guardian's consent for a child is kept in the consent ledger. Policy
/// keys cannot start with `@`, so it never clashes with a purpose of the policy.
pub const GUARDIAN_PURPOSE: &str = "@guardian";

/// What the access log and the destruction ledger call the evidence of a subject's consents (sealed
/// with the subject's data key, bound to this name).
pub const CONSENT_EVIDENCE: &str = "consent.evidence";

impl std::fmt::Debug for SubjectRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubjectRecord")
            .field("id", &self.id)
            .field("kind", &self.kind)
            .field("created_ms", &self.created_ms)
            .field("minor", &self.minor)
            .field("closed_ms", &self.closed_ms)
            .field("erasure_ms", &self.erasure_ms)
            .finish_non_exhaustive()
    }
}

/// One change in the consent ledger: a grant, a re-confirmation or a withdrawal, as the subject (or
/// their guardian) made it. Rows are only ever appended. `evidence` is sealed with the subject's data
/// key, so erasing the subject makes it unreadable while the ledger's shape stays as proof.
#[derive(Clone, PartialEq, Eq)]
pub struct ConsentEvent {
    /// Order in the ledger; assigned by the store.
    pub seq: i64,
    pub id: String,
    pub subject_id: String,
    pub purpose: String,
    /// The advertising channel, or empty for a purpose without channels.
    pub channel: String,
    /// Consent to advertising between 21:00 and 08:00, kept apart from daytime consent.
    pub night: bool,
    /// `grant`, `reconfirm` or `withdraw`.
    pub change: String,
    /// When the subject gave or withdrew it.
    pub at_ms: i64,
    /// When vow recorded it.
    pub recorded_ms: i64,
    pub policy_version: String,
    /// Given by the child's legal guardian rather than the subject.
    pub by_guardian: bool,
    pub evidence: Vec<u8>,
    /// The API key that recorded it.
    pub key_id: String,
    /// For advertising consents: the result must be told to the person by this time (14 days).
    pub notice_due_ms: Option<i64>,
    /// When that notice was marked sent (read back only).
    pub notice_sent_ms: Option<i64>,
}

impl std::fmt::Debug for ConsentEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsentEvent")
            .field("seq", &self.seq)
            .field("id", &self.id)
            .field("subject_id", &self.subject_id)
            .field("purpose", &self.purpose)
            .field("channel", &self.channel)
            .field("night", &self.night)
            .field("change", &self.change)
            .field("at_ms", &self.at_ms)
            .finish_non_exhaustive()
    }
}

/// Where a subject's consent for one purpose (and channel, and time of day) stands now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConsentState {
    pub subject_id: String,
    pub purpose: String,
    pub channel: String,
    pub night: bool,
    pub granted: bool,
    /// The last grant or re-confirmation: the two-year re-confirmation clock runs from here.
    pub since_ms: i64,
    /// The last change of any kind.
    pub changed_ms: i64,
}

/// An event for the application, written in the same transaction as the change it reports and
/// delivered from there (the transactional outbox). `body` is JSON that names ids, never values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxRecord {
    /// Order of the outbox; assigned by the store.
    pub seq: i64,
    /// The idempotency key the receiver deduplicates by.
    pub id: String,
    pub subject_id: Option<String>,
    pub kind: String,
    pub body: String,
    pub created_ms: i64,
    pub attempts: i64,
    pub delivered_ms: Option<i64>,
}

/// One personal-data item of a subject, sealed. `blind_index` is set for categories the policy marks as
/// lookup keys.
#[derive(Clone, PartialEq, Eq)]
pub struct ItemRecord {
    pub category: String,
    pub sealed: Vec<u8>,
    pub blind_index: Option<Vec<u8>>,
    pub updated_ms: i64,
    /// The subject asked for it to be corrected: until written anew it is neither used nor given.
    pub contested: bool,
}

impl std::fmt::Debug for ItemRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ItemRecord")
            .field("category", &self.category)
            .field("sealed_len", &self.sealed.len())
            .field("updated_ms", &self.updated_ms)
            .finish_non_exhaustive()
    }
}

/// One record of a subject: an entry of its own time among many of one category (an order, a
/// payment, a visit, a complaint), so that "5 years from the transaction" is counted per record.
/// `sealed` is bound to the category and the record's id.
#[derive(Clone, PartialEq, Eq)]
pub struct RecordRow {
    pub id: String,
    pub subject_id: String,
    pub category: String,
    pub sealed: Vec<u8>,
    /// When it happened (the transaction, the visit): the clock of `from = "transaction"` rules.
    pub at_ms: i64,
    pub created_ms: i64,
    /// Under correction at the subject's request: neither used nor given until resolved.
    pub contested: bool,
}

impl std::fmt::Debug for RecordRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordRow")
            .field("id", &self.id)
            .field("category", &self.category)
            .field("at_ms", &self.at_ms)
            .finish_non_exhaustive()
    }
}

/// Data kept apart (분리보관) because a rule still requires it after its use ended: readable only
/// by roles granted separated storage, destroyed at `until_ms`. `binding` is what the seal is bound
/// to (the category, or the category and record id), kept so the value can still be opened.
#[derive(Clone, PartialEq, Eq)]
pub struct SeparatedRow {
    pub id: String,
    pub subject_id: String,
    pub category: String,
    pub binding: String,
    pub sealed: Vec<u8>,
    /// When the data was collected or the record happened.
    pub at_ms: i64,
    /// The retention rule that keeps it.
    pub rule: String,
    pub until_ms: i64,
    pub moved_ms: i64,
}

impl std::fmt::Debug for SeparatedRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SeparatedRow")
            .field("id", &self.id)
            .field("category", &self.category)
            .field("rule", &self.rule)
            .field("until_ms", &self.until_ms)
            .finish_non_exhaustive()
    }
}

/// What the retention sweeper needs to decide about one live subject: times and categories, never
/// a value.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct RetentionView {
    pub subject_id: String,
    pub kind: String,
    pub created_ms: i64,
    /// When the account was closed or the subject erased.
    pub closed_ms: Option<i64>,
    /// When an erasure ended the subject: only rules resting on a law still hold anything.
    pub erasure_ms: Option<i64>,
    /// Each reported event with the time it last happened.
    pub events: Vec<(String, i64)>,
    /// Items: category and when collected (last written).
    pub items: Vec<(String, i64)>,
    /// Records: id, category, time.
    pub records: Vec<(String, String, i64)>,
    /// Separated rows.
    pub separated: Vec<SeparatedPiece>,
    /// Uploads: id, category, created, processed, keep.
    pub uploads: Vec<(String, String, i64, Option<i64>, bool)>,
}

/// A separated row as the sweeper sees it: no value.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SeparatedPiece {
    pub id: String,
    pub category: String,
    pub rule: String,
    pub until_ms: i64,
    /// When the data was collected or the record happened.
    pub at_ms: i64,
    /// The record's own id when the row was a record (its seal is bound to it); `None` for an item.
    pub record: Option<String>,
}

/// A subject of a campaign check: whether (and since when) their use ended, and their states.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CampaignSubject {
    pub id: String,
    pub closed_ms: Option<i64>,
    pub states: Vec<ConsentState>,
}

/// A piece of a subject's data the sweeper decided about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    Upload { id: String },
    Item { category: String },
    Record { id: String },
    Separated { id: String },
}

/// A line of the destruction ledger (파기 관리대장): what kind and how many, when, under which rule
/// and basis, by which method. Never a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DestructionRow {
    /// Order in the ledger; assigned by the store.
    pub seq: i64,
    pub at_ms: i64,
    pub subject_id: String,
    pub category: String,
    /// `active`, `separated`, or `subject_key` (the data key destroyed: crypto-shredding).
    pub storage: String,
    pub count: i64,
    /// The retention rule's key, or the request that erased it.
    pub rule: String,
    pub basis: String,
    pub law: Option<String>,
    /// `retention` (the period ended) or `erasure_request`.
    pub cause: String,
    pub method: String,
    /// The key that ran the sweep or the request.
    pub by_key: String,
}

/// What to do with one piece: destroy it (naming the rule whose end, or the request, decided it) or
/// move it to separated storage under the rule that still requires it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Disposal {
    Destroy {
        piece: Piece,
        category: String,
        rule: String,
        basis: String,
        law: Option<String>,
    },
    Separate {
        piece: Piece,
        category: String,
        rule: String,
        until_ms: i64,
        /// The id the separated row gets.
        new_id: String,
    },
}

/// What a disposal did: only what this transaction changed counts, so two sweepers racing on one
/// piece report it once between them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Disposed {
    pub destroyed: u64,
    pub separated: u64,
    pub shredded: bool,
    /// Uploads whose rows (and keys) were destroyed: their files are to be removed.
    pub uploads: Vec<String>,
}

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

/// A provision of personal data to a third party or processor: who, which categories, for what,
/// how many, when, by which key. Never a value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProvisionRow {
    /// Order of the log; assigned by the store.
    pub seq: i64,
    pub at_ms: i64,
    pub recipient: String,
    /// `third_party` or `processor`.
    pub recipient_kind: String,
    /// JSON array of category keys.
    pub categories: String,
    pub purpose: Option<String>,
    pub count: i64,
    /// When one subject's data was given.
    pub subject_id: Option<String>,
    pub key_id: String,
    pub role: String,
}

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

/// An API key as stored: only a digest of its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub id: String,
    pub digest: Vec<u8>,
    pub role: String,
    pub label: String,
    pub created_ms: i64,
    pub revoked_ms: Option<i64>,
}

/// What a caller asks of the store.
#[derive(Clone, Debug)]
pub enum Op {
    /// `Created` or, when the external id is taken, `AlreadyExists` with the subject that holds it.
    CreateSubject(SubjectRecord),
    /// The subject (with its wrapped data key), or `NotFound` if absent or erased.
    GetSubject {
        subject_id: String,
    },
    /// Inserts or replaces one item: `Stored { replaced }`.
    PutItem {
        subject_id: String,
        item: ItemRecord,
    },
    /// `Item` with the subject's wrapped key, so one round trip is enough to decrypt, and whether
    /// the subject's data may be used (restricted; a child whose guardian withdrew).
    GetItem {
        subject_id: String,
        category: String,
    },
    /// Subjects holding `category` with this blind index; a value under correction (contested) is
    /// found only with `include_contested` (for the role that answers the request).
    Lookup {
        category: String,
        blind_index: Vec<u8>,
        include_contested: bool,
    },
    /// Everything held about the subject.
    Export {
        subject_id: String,
    },
    CreateApiKey(ApiKeyRecord),
    RevokeApiKey {
        id: String,
        at_ms: i64,
    },
    ListApiKeys,
    /// Replaces a subject's wrapped key (key rotation). `Done`, or `NotFound` if erased meanwhile.
    Rewrap {
        subject_id: String,
        wrapped_key: Vec<u8>,
    },
    /// Live subject ids after `after` in id order, at most `limit` (for rotation and sweeps).
    SubjectIds {
        after: String,
        limit: usize,
    },
    /// Appends a consent change and its outbox event, and moves the current state. `expected` is the
    /// state the caller decided on (`None`: no consent recorded before); when another writer changed
    /// it meanwhile the answer is `Stale` and nothing is written. `NotFound` when the subject is not
    /// live.
    RecordConsent {
        event: Box<ConsentEvent>,
        expected: Option<bool>,
        outbox: Box<OutboxRecord>,
    },
    /// The subject's current consents and, with `history`, every change: `Consents`, or `NotFound`.
    Consents {
        subject_id: String,
        history: bool,
    },
    /// For an advertising campaign: the states of `purpose` on `channel` (day and night) of those
    /// subjects that are live, and for a child the guardian's state ([`GUARDIAN_PURPOSE`]):
    /// `CampaignStates`.
    CampaignStates {
        subject_ids: Vec<String>,
        purpose: String,
        channel: String,
    },
    /// Granted consents to `purpose` whose clock started before `since_before_ms`, oldest first.
    ConsentsDue {
        purpose: String,
        since_before_ms: i64,
        limit: usize,
    },
    /// Consent changes whose result notice is owed, earliest deadline first.
    OwedNotices {
        limit: usize,
    },
    /// Marks a change's result notice as sent: `Done`, `NotFound` (no such change, or none that needs a
    /// notice), `AlreadyExists`, or `Stale` when `at_ms` is before the change.
    MarkNoticeSent {
        event_id: String,
        at_ms: i64,
        key_id: String,
    },
    /// The ledger in order, after `after_seq`, of one subject or all.
    ConsentLedger {
        subject_id: Option<String>,
        after_seq: i64,
        limit: usize,
    },
    /// Adds an event to the outbox unless one with its id is there already (`Created` or
    /// `AlreadyExists`).
    Enqueue(OutboxRecord),
    /// Claims undelivered events for delivery until `lease_until_ms`: only each subject's oldest
    /// undelivered event, so a subject's events are delivered in order.
    ClaimOutbox {
        now_ms: i64,
        lease_until_ms: i64,
        limit: usize,
    },
    /// Records a delivery (`delivered_ms`) or a failure to retry at `next_attempt_ms`.
    FinishDelivery {
        seq: i64,
        delivered_ms: Option<i64>,
        next_attempt_ms: i64,
        error: Option<String>,
    },
    /// The outbox in order after `after_seq` (for clients that poll).
    OutboxPage {
        after_seq: i64,
        limit: usize,
    },
    /// Stores one record: `Created`, `NotFound` (subject not live), `NeedsGuardian`, or `Closed`
    /// when the subject's account is closed or the subject erased.
    PutRecord(RecordRow),
    /// Stores a piece straight into separated storage (a record a law requires that arrives after the
    /// account closed): `Created`, or `NotFound` when the subject is not live.
    PutSeparated(SeparatedRow),
    /// Ends the subject's use: marks the account closed (and, with `erasure`, erased), records the
    /// `account_closure` retention event, and for an erasure drops the consent states and destroys the
    /// consent evidence, writing its ledger line. `Done`, or `NotFound` when the subject is not live.
    CloseSubject {
        subject_id: String,
        at_ms: i64,
        erasure: bool,
        cause: String,
        method: String,
        by_key: String,
    },
    /// The subject's records, oldest first: `Records`, or `NotFound`.
    Records {
        subject_id: String,
    },
    /// Records that a retention event happened: `Created`, or `NotFound`.
    RecordRetentionEvent {
        subject_id: String,
        event: String,
        at_ms: i64,
        recorded_ms: i64,
    },
    /// What the sweeper needs about live subjects after `after` in id order, at most `limit`.
    RetentionPage {
        after: String,
        limit: usize,
    },
    /// Carries out disposals for one subject and writes their ledger lines; when `shred_when_empty`
    /// and nothing is left of the subject, erases it (its data key destroyed). `Disposed`, or
    /// `NotFound` when the subject is not live.
    Dispose {
        subject_id: String,
        at_ms: i64,
        disposals: Vec<Disposal>,
        cause: String,
        method: String,
        by_key: String,
        shred_when_empty: bool,
    },
    /// The destruction ledger in order after `after_seq`.
    Destructions {
        after_seq: i64,
        limit: usize,
    },
    /// The subject's separated rows: `Separated`, or `NotFound`.
    SeparatedOf {
        subject_id: String,
    },
    /// `Created`, or `NotFound` when the subject is not live.
    CreateRightsRequest(RightsRequestRow),
    /// Replaces a request if its state is still `expected_state`: `Done`, `Stale` or `NotFound`.
    UpdateRightsRequest {
        row: RightsRequestRow,
        expected_state: String,
    },
    /// One request: `RightsRequests` with one row, or `NotFound`.
    GetRightsRequest {
        id: String,
    },
    /// Requests by due date; with `open_only`, those not completed or refused.
    RightsRequests {
        open_only: bool,
        limit: usize,
    },
    /// Marks the subject restricted (처리정지) or lifts it: `Done` or `NotFound`.
    SetRestricted {
        subject_id: String,
        restricted: bool,
    },
    /// Appends a provision to the provision log: `Appended` with its number, or `NotFound` when it
    /// names a subject that is not live.
    RecordProvision(ProvisionRow),
    /// The provision log in order after `after_seq`.
    Provisions {
        after_seq: i64,
        limit: usize,
    },
    /// Stores an upload's row once its file is written: `Created`, `NotFound` or `NeedsGuardian`.
    PutUpload(UploadRow),
    /// One upload with the subject's wrapped key: `Upload`, or `NotFound`.
    GetUpload {
        subject_id: String,
        id: String,
    },
    /// The subject's uploads: `Uploads`, or `NotFound`.
    Uploads {
        subject_id: String,
    },
    /// Marks an upload processed (at `processed_ms`) and/or kept: `Done` or `NotFound`.
    UpdateUpload {
        subject_id: String,
        id: String,
        processed_ms: Option<i64>,
        keep: Option<bool>,
    },
    /// Marks the subject's items, records and uploads of a category as under correction, or clears
    /// the mark: `Done`, or `NotFound` when it holds none of them.
    SetContested {
        subject_id: String,
        category: String,
        contested: bool,
    },
    /// Changes nothing; only the request's log entry is written (an attempt the vault refused, for
    /// one): `Done`.
    LogOnly,
}

/// What the store answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Done,
    Created,
    /// Appended to a numbered log, with the number it got.
    Appended {
        seq: i64,
    },
    AlreadyExists {
        id: String,
    },
    Stored {
        replaced: bool,
    },
    Subject(SubjectRecord),
    Item {
        wrapped_key: Vec<u8>,
        item: ItemRecord,
        /// The subject asked to stop processing (처리정지).
        restricted: bool,
        /// A child whose legal guardian withdrew the consent their data rests on.
        guardian_withdrawn: bool,
    },
    Subjects(Vec<String>),
    Export {
        subject: SubjectRecord,
        items: Vec<ItemRecord>,
    },
    ApiKeys(Vec<ApiKeyRecord>),
    NotFound,
    /// The state changed since the caller read it; nothing was written.
    Stale,
    /// The subject is a child whose guardian has not consented; nothing was written.
    NeedsGuardian,
    /// The subject's account is closed or the subject erased; nothing was written.
    Closed,
    Consents {
        states: Vec<ConsentState>,
        history: Vec<ConsentEvent>,
    },
    /// Per live subject, its states (none, day, night or both) and whether its use ended.
    CampaignStates(Vec<CampaignSubject>),
    ConsentStates(Vec<ConsentState>),
    ConsentEvents(Vec<ConsentEvent>),
    Outbox(Vec<OutboxRecord>),
    Records(Vec<RecordRow>),
    RetentionViews(Vec<RetentionView>),
    Disposed(Disposed),
    Destructions(Vec<DestructionRow>),
    Separated(Vec<SeparatedRow>),
    RightsRequests(Vec<RightsRequestRow>),
    Provisions(Vec<ProvisionRow>),
    Upload {
        row: UploadRow,
        wrapped_key: Vec<u8>,
        restricted: bool,
    },
    Uploads(Vec<UploadRow>),
}

impl Outcome {
    /// Whether the operation touched data, so its access-log entry is written. A miss (`NotFound`,
    /// `AlreadyExists`) changes and reveals nothing and is not logged as an access.
    fn is_access(&self) -> bool {
        !matches!(
            self,
            Outcome::NotFound
                | Outcome::AlreadyExists { .. }
                | Outcome::Stale
                | Outcome::NeedsGuardian
                | Outcome::Closed
        ) && *self != Outcome::Disposed(Disposed::default())
    }
}

/// An operation and the access-log entry that records it (none for operations on no personal data,
/// such as listing API keys).
#[derive(Clone, Debug)]
pub struct Request {
    pub op: Op,
    pub audit: Option<NewEntry>,
}

impl Request {
    pub fn logged(op: Op, audit: NewEntry) -> Request {
        Request {
            op,
            audit: Some(audit),
        }
    }
    pub fn unlogged(op: Op) -> Request {
        Request { op, audit: None }
    }
}

/// When a commit counts as done.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Durability {
    /// After the commit is on disk (fsync): an acknowledged write survives a power cut. One flush
    /// per batch, which group commit shares among the batch's requests.
    #[default]
    Full,
    /// After the commit is in the operating system (SQLite WAL with synchronous=NORMAL,
    /// PostgreSQL synchronous_commit=off): survives the process being killed, not a power cut,
    /// which may lose the last moments' writes and log entries. Reads, which write log entries,
    /// get about twice as fast.
    Normal,
}

/// Where the data lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// A data directory holding `vow.db` (SQLite, WAL).
    Directory(PathBuf),
    /// A PostgreSQL connection URL, optionally with a schema to use (created when missing).
    Postgres { url: String, schema: Option<String> },
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot use the data directory {path}: {reason}")]
    Directory { path: PathBuf, reason: String },
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] ::postgres::Error),
    #[error("the database schema is version {found}, newer than this vow understands ({supported}); upgrade vow")]
    SchemaTooNew { found: i64, supported: i64 },
    #[error("PostgreSQL schema name {0:?}: use lowercase letters, digits and _ only (at most 63)")]
    InvalidSchema(String),
    #[error("corrupt row in {table}: {reason}")]
    Corrupt { table: &'static str, reason: String },
    #[error("the transaction was rolled back, nothing of it was stored: {0}")]
    RolledBack(String),
    #[error("cannot start the committer thread: {0}")]
    Thread(String),
    #[error("the store has shut down")]
    Closed,
}

impl StoreError {
    /// A unique constraint refused a row: another writer stored the same value first.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Postgres(error) => {
                error.code() == Some(&::postgres::error::SqlState::UNIQUE_VIOLATION)
            }
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(error, _)) => {
                error.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            }
            _ => false,
        }
    }
}
