//! The data subject's rights requests: access, portability, rectification, erasure, restriction
//! (처리정지), objection and consent withdrawal — only the rights the policy grants — each with the
//! identity verification that was done, a due date from the subject's jurisdiction, and a life of
//! `received` → `in_progress` → `completed`, `refused` (a reason and how to object, both required) or
//! `extended` (GDPR only, once, by up to two months, with a reason).
//!
//! Completing a request does what it asks: an access or portability request returns the export;
//! an erasure destroys everything no law still requires and separates the rest, and the answer says
//! what was kept under which law; a restriction stops reads for use; a rectification marks the items
//! as under correction from the moment it is filed; a consent withdrawal withdraws every consent
//! given. Each change goes out as an event through the outbox.

use serde::{Deserialize, Serialize};
use vow_audit::Action;
use vow_policy::model::Right;
use vow_store::{
    OutboxOp, OutboxRecord, Outcome, Request, RequestOp, RetentionOp, RightsRequestRow, SubjectOp,
};

pub use crate::vault::{Erasure, KeptApart};

use crate::consent::{ConsentChange, Evidence};
use crate::retention::{add_period, plan, Fate, PieceTimes};
use crate::vault::{clip, list, new_id, unexpected, Caller, Vault, VaultError};

/// The rights a request can exercise. A request's type is the right's name, as the policy file
/// writes it (`Right::name`): one vocabulary from the file to the API and the command line.
pub const KINDS: [Right; 7] = [
    Right::Access,
    Right::Portability,
    Right::Rectification,
    Right::Erasure,
    Right::Restriction,
    Right::Objection,
    Right::ConsentWithdrawal,
];

/// A request whose due date is this close is listed as nearly due.
pub const NEARLY_DUE_MS: i64 = 3 * 86_400_000;

/// How the requester's identity was verified (PIPA 시행령 제41조; GDPR Art. 12(6)).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verification {
    /// `logged_in_session`, `mobile_identity`, `ipin`, `id_document`, `email_link`, …
    pub method: String,
    /// Who verified it (a staff member's name or id), when not the service itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// A legal representative or delegate files it on the subject's behalf.
    #[serde(default)]
    pub representative: bool,
}

/// What is kept with a request beside its state: no personal values.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestDetail {
    /// `kr` (PIPA) or `eu` (GDPR).
    pub jurisdiction: String,
    pub verification: Verification,
    /// For rectification: the categories to correct.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objection: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extension_reason: Option<String>,
    /// What completing it did: for an erasure, what was kept and under which rule and law.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<serde_json::Value>,
    /// Who handled it last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handled_by: Option<String>,
    /// Uploads filed with it (a representative's power of attorney), destroyed when it closes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<String>,
}

/// A request as the API returns it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RightsRequest {
    pub id: String,
    pub subject: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub state: String,
    pub received_ms: i64,
    pub due_ms: i64,
    /// `overdue`, `nearly_due`, `on_time`, or `closed`.
    pub urgency: &'static str,
    #[serde(flatten)]
    pub detail: RequestDetail,
}

/// A new request as the caller files it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewRequest {
    pub subject: String,
    pub kind: String,
    pub jurisdiction: Option<String>,
    pub verification: Verification,
    pub categories: Vec<String>,
    pub at_ms: Option<i64>,
}

/// What the privacy officer does with a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RequestAction {
    Start,
    Extend { reason: String },
    Refuse { reason: String, objection: String },
    Complete,
}

fn is_open(state: &str) -> bool {
    !matches!(state, "completed" | "refused")
}

fn text(what: &'static str, value: &str, max: usize) -> Result<String, VaultError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(VaultError::Invalid {
            what,
            why: "is required and cannot be blank".into(),
        });
    }
    crate::vault::validate_text(what, value, max)?;
    Ok(value.to_string())
}

impl Vault {
    pub(crate) fn to_request(&self, row: RightsRequestRow) -> Result<RightsRequest, VaultError> {
        let detail: RequestDetail =
            serde_json::from_str(&row.detail).map_err(|e| VaultError::Invalid {
                what: "stored request",
                why: format!("its detail is not readable: {e}"),
            })?;
        let now = self.now_ms();
        let urgency = if !is_open(&row.state) {
            "closed"
        } else if row.due_ms < now {
            "overdue"
        } else if row.due_ms - now <= NEARLY_DUE_MS {
            "nearly_due"
        } else {
            "on_time"
        };
        Ok(RightsRequest {
            id: row.id,
            subject: row.subject_id,
            kind: row.kind,
            state: row.state,
            received_ms: row.received_ms,
            due_ms: row.due_ms,
            urgency,
            detail,
        })
    }

    /// Refuses reads for use of a subject who asked to stop processing, or a child whose guardian
    /// withdrew the consent their data rests on — unless the caller answers requests (a law's
    /// duty) — then the stated purpose. Every read route of a subject's data passes here.
    pub(crate) async fn check_use(
        &self,
        caller: &Caller,
        subject_id: &str,
    ) -> Result<(), VaultError> {
        caller.may_reach(subject_id)?;
        let subject = self.subject(subject_id).await?;
        // The person themselves, in the privacy center, reads their own data whatever its state.
        let answering = caller.is_operator()
            || caller.is_self_service()
            || self.grants(caller)?.may_handle_requests();
        if subject.restricted && !answering {
            return Err(VaultError::Restricted);
        }
        if subject.minor && !answering && self.guardian_withdrew(subject_id).await? {
            return Err(VaultError::GuardianConsentMissing {
                age: self.policy().children.as_ref().map_or(14, |c| c.age),
            });
        }
        self.check_purpose_of(caller, &subject).await
    }

    /// The due date: the policy's `[rights] deadline_days` (PIPA: 10 days); for a GDPR subject also
    /// never later than one month.
    fn due_ms(&self, received_ms: i64, jurisdiction: &str) -> i64 {
        let days = self
            .policy()
            .rights
            .as_ref()
            .map_or(10, |r| r.deadline_days);
        let by_policy = received_ms.saturating_add(i64::from(days) * 86_400_000);
        if jurisdiction == "eu" {
            by_policy.min(add_period(
                received_ms,
                vow_policy::model::Period::Months(1),
            ))
        } else {
            by_policy
        }
    }

    /// Files a request for the subject. The right must be one the policy offers.
    pub async fn file_request(
        &self,
        caller: &Caller,
        new: NewRequest,
    ) -> Result<RightsRequest, VaultError> {
        let grants = self.grants(caller)?;
        caller.may_reach(&new.subject)?;
        // The person files for themselves from the privacy center, which names only their subject.
        if !caller.is_self_service()
            && !grants.may_create_subjects()
            && !grants.may_handle_requests()
        {
            return Err(Self::forbidden(caller, "file rights requests"));
        }
        let offered: Vec<Right> = self
            .policy()
            .rights
            .as_ref()
            .map(|r| r.rights.clone())
            .unwrap_or_default();
        let requestable = || {
            list(
                KINDS
                    .iter()
                    .filter(|r| offered.contains(r))
                    .map(|r| r.name()),
            )
        };
        let Some(right) = KINDS.iter().copied().find(|r| r.name() == new.kind) else {
            return Err(VaultError::Invalid {
                what: "type",
                why: format!(
                    "{:?} is not a kind of request; this policy offers: {}",
                    clip(&new.kind),
                    requestable()
                ),
            });
        };
        // Only what the policy grants: it is what the published policy promises the person.
        if !offered.contains(&right) {
            return Err(VaultError::RightNotOffered {
                right: right.name().to_string(),
                offered: requestable(),
            });
        }
        let kind = &right.name();
        let jurisdiction = new.jurisdiction.as_deref().unwrap_or("kr");
        if !matches!(jurisdiction, "kr" | "eu") {
            return Err(VaultError::Invalid {
                what: "jurisdiction",
                why: "must be \"kr\" (PIPA) or \"eu\" (GDPR)".into(),
            });
        }
        let mut verification = new.verification.clone();
        verification.method = text("verification.method", &verification.method, 100)?;
        if let Some(by) = &verification.by {
            verification.by = Some(text("verification.by", by, 200)?);
        }
        if verification.representative
            && !self
                .policy()
                .rights
                .as_ref()
                .is_some_and(|r| r.representatives)
        {
            return Err(VaultError::Invalid {
                what: "verification.representative",
                why: "the policy does not let representatives exercise rights".into(),
            });
        }
        let mut categories = new.categories.clone();
        if *kind == "rectification" {
            if categories.is_empty() {
                return Err(VaultError::Invalid {
                    what: "categories",
                    why: "a rectification names the categories to correct".into(),
                });
            }
            for category in &categories {
                self.declared_category(category)?;
            }
            categories.sort();
            categories.dedup();
        } else {
            categories.clear();
        }
        let received_ms = self.reported_time(new.at_ms)?;
        let row = RightsRequestRow {
            id: new_id("req"),
            subject_id: new.subject.clone(),
            kind: kind.to_string(),
            state: "received".into(),
            received_ms,
            due_ms: self.due_ms(received_ms, jurisdiction),
            updated_ms: self.now_ms(),
            detail: String::new(),
        };
        let detail = RequestDetail {
            jurisdiction: jurisdiction.to_string(),
            verification,
            categories: categories.clone(),
            handled_by: Some(caller.key_id.clone()),
            ..RequestDetail::default()
        };
        let row = RightsRequestRow {
            detail: serde_json::to_string(&detail).unwrap_or_default(),
            ..row
        };
        let entry = self.entry(caller, Action::RightsRequest, Some(&new.subject), &[kind]);
        match self
            .store()
            .apply(Request::logged(
                RequestOp::CreateRightsRequest(row.clone()),
                entry,
            ))
            .await?
        {
            Outcome::Created => {}
            Outcome::NotFound => return Err(VaultError::NoSubject(clip(&new.subject))),
            other => return Err(unexpected(other)),
        }
        // From now on the values to correct are neither used nor given.
        for category in &categories {
            let _ = self
                .store()
                .apply(Request::unlogged(SubjectOp::SetContested {
                    subject_id: new.subject.clone(),
                    category: category.clone(),
                    contested: true,
                }))
                .await?;
        }
        let request = self.to_request(row)?;
        self.announce_request(&request).await?;
        Ok(request)
    }

    async fn announce_request(&self, request: &RightsRequest) -> Result<(), VaultError> {
        let body = serde_json::json!({
            "request": request.id,
            "type": request.kind,
            "state": request.state,
            "due_ms": request.due_ms,
        });
        let record = OutboxRecord {
            seq: 0,
            id: format!("evt_{}_{}", request.id, request.state),
            subject_id: Some(request.subject.clone()),
            kind: format!("request.{}", request.state),
            body: body.to_string(),
            created_ms: self.now_ms(),
            attempts: 0,
            delivered_ms: None,
        };
        match self
            .store()
            .apply(Request::unlogged(OutboxOp::Enqueue(record)))
            .await?
        {
            Outcome::Created | Outcome::AlreadyExists { .. } => Ok(()),
            other => Err(unexpected(other)),
        }
    }

    /// Requests by due date; with `open_only`, those still to answer.
    pub async fn rights_requests(
        &self,
        caller: &Caller,
        open_only: bool,
    ) -> Result<Vec<RightsRequest>, VaultError> {
        if !caller.is_operator() && !self.grants(caller)?.may_handle_requests() {
            return Err(Self::forbidden(caller, "list rights requests"));
        }
        match self
            .store()
            .apply(Request::unlogged(RequestOp::RightsRequests {
                open_only,
                limit: 100_000,
            }))
            .await?
        {
            Outcome::RightsRequests(rows) => rows.into_iter().map(|r| self.to_request(r)).collect(),
            other => Err(unexpected(other)),
        }
    }

    /// A page of requests in due order, after the cursor `(due_ms, id)` of the previous page's last
    /// one: paged by key, so page 1,000 costs what page 1 does.
    pub async fn rights_requests_page(
        &self,
        caller: &Caller,
        open_only: bool,
        after: Option<(i64, String)>,
        limit: usize,
    ) -> Result<Vec<RightsRequest>, VaultError> {
        if !caller.is_operator() && !self.grants(caller)?.may_handle_requests() {
            return Err(Self::forbidden(caller, "list rights requests"));
        }
        match self
            .store()
            .apply(Request::unlogged(RequestOp::RightsRequestsPage {
                open_only,
                after,
                limit: limit.min(1000),
            }))
            .await?
        {
            Outcome::RightsRequests(rows) => rows.into_iter().map(|r| self.to_request(r)).collect(),
            other => Err(unexpected(other)),
        }
    }

    /// Every request of these subjects, newest first (for a search by contact, and to tell
    /// duplicates apart).
    pub async fn rights_requests_of(
        &self,
        caller: &Caller,
        subject_ids: &[String],
    ) -> Result<Vec<RightsRequest>, VaultError> {
        if !caller.is_operator() && !self.grants(caller)?.may_handle_requests() {
            return Err(Self::forbidden(caller, "list rights requests"));
        }
        if subject_ids.is_empty() {
            return Ok(Vec::new());
        }
        match self
            .store()
            .apply(Request::unlogged(RequestOp::RightsRequestsOf {
                subject_ids: subject_ids.iter().take(1000).cloned().collect(),
            }))
            .await?
        {
            Outcome::RightsRequests(rows) => rows.into_iter().map(|r| self.to_request(r)).collect(),
            other => Err(unexpected(other)),
        }
    }

    pub async fn rights_request(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<RightsRequest, VaultError> {
        if !caller.is_operator() && !self.grants(caller)?.may_handle_requests() {
            return Err(Self::forbidden(caller, "read rights requests"));
        }
        self.load_request(id).await
    }

    pub(crate) async fn load_request(&self, id: &str) -> Result<RightsRequest, VaultError> {
        match self
            .store()
            .apply(Request::unlogged(RequestOp::GetRightsRequest {
                id: id.to_string(),
            }))
            .await?
        {
            Outcome::RightsRequests(mut rows) if !rows.is_empty() => {
                self.to_request(rows.remove(0))
            }
            Outcome::NotFound | Outcome::RightsRequests(_) => Err(VaultError::NoRequest),
            other => Err(unexpected(other)),
        }
    }

    /// Moves a request on: start, extend (GDPR, once, with a reason), refuse (reason and how to
    /// object), or complete it — which carries it out.
    pub async fn act_on_request(
        &self,
        caller: &Caller,
        id: &str,
        action: RequestAction,
    ) -> Result<(RightsRequest, Option<serde_json::Value>), VaultError> {
        if !caller.is_operator() && !self.grants(caller)?.may_handle_requests() {
            return Err(Self::forbidden(caller, "handle rights requests"));
        }
        let current = self.load_request(id).await?;
        if !is_open(&current.state) {
            return Err(VaultError::RequestState {
                state: current.state.clone(),
                why: "a closed request does not change; file a new one".into(),
            });
        }
        let mut detail = current.detail.clone();
        detail.handled_by = Some(caller.key_id.clone());
        let mut due_ms = current.due_ms;
        let mut answer = None;
        let state = match action {
            RequestAction::Start => {
                if current.state != "received" {
                    return Err(VaultError::RequestState {
                        state: current.state.clone(),
                        why: "only a received request is started".into(),
                    });
                }
                "in_progress"
            }
            RequestAction::Extend { reason } => {
                if detail.jurisdiction != "eu" {
                    return Err(VaultError::RequestState {
                        state: current.state.clone(),
                        why: "only a GDPR request's deadline may be extended (Art. 12(3)); PIPA's is fixed".into(),
                    });
                }
                if detail.extension_reason.is_some() {
                    return Err(VaultError::RequestState {
                        state: current.state.clone(),
                        why: "it was extended once already".into(),
                    });
                }
                detail.extension_reason = Some(text("reason", &reason, 1000)?);
                due_ms = add_period(current.due_ms, vow_policy::model::Period::Months(2));
                "extended"
            }
            RequestAction::Refuse { reason, objection } => {
                detail.reason = Some(text("reason", &reason, 1000)?);
                detail.objection = Some(text("objection", &objection, 1000)?);
                self.clear_contested(&current).await?;
                "refused"
            }
            RequestAction::Complete => {
                let result = self.carry_out(caller, &current).await?;
                detail.result = Some(summary(&result));
                answer = Some(result);
                "completed"
            }
        };
        let row = RightsRequestRow {
            id: current.id.clone(),
            subject_id: current.subject.clone(),
            kind: current.kind.clone(),
            state: state.to_string(),
            received_ms: current.received_ms,
            due_ms,
            updated_ms: self.now_ms(),
            detail: serde_json::to_string(&detail).unwrap_or_default(),
        };
        let entry = self.entry(
            caller,
            Action::RightsRequest,
            Some(&current.subject),
            &[current.kind.as_str()],
        );
        match self
            .store()
            .apply(Request::logged(
                RequestOp::UpdateRightsRequest {
                    row: row.clone(),
                    expected_state: current.state.clone(),
                },
                entry,
            ))
            .await?
        {
            Outcome::Done => {}
            Outcome::Stale => {
                return Err(VaultError::RequestState {
                    state: current.state,
                    why: "another change came first; read it again".into(),
                })
            }
            Outcome::NotFound => return Err(VaultError::NoRequest),
            other => return Err(unexpected(other)),
        }
        let request = self.to_request(row)?;
        if !is_open(&request.state) {
            // What was filed with it (a power of attorney) goes with the request: destroyed, in the
            // ledger. An erasure may have destroyed it already with the rest.
            self.destroy_attachments(caller, &request).await?;
        }
        self.announce_request(&request).await?;
        Ok((request, answer))
    }

    async fn clear_contested(&self, request: &RightsRequest) -> Result<(), VaultError> {
        for category in &request.detail.categories {
            let _ = self
                .store()
                .apply(Request::unlogged(SubjectOp::SetContested {
                    subject_id: request.subject.clone(),
                    category: category.clone(),
                    contested: false,
                }))
                .await?;
        }
        Ok(())
    }

    /// Does what the request asks and returns the answer for the subject.
    async fn carry_out(
        &self,
        caller: &Caller,
        request: &RightsRequest,
    ) -> Result<serde_json::Value, VaultError> {
        let subject = request.subject.as_str();
        match request.kind.as_str() {
            "access" | "portability" => Ok(serde_json::to_value(
                self.access_export(caller, subject).await?,
            )
            .unwrap_or_default()),
            "erasure" => {
                // Destruction is the power to erase, whoever asks for it.
                if !caller.is_operator() && !self.grants(caller)?.may_erase() {
                    return Err(Self::forbidden(
                        caller,
                        "carry out an erasure (the erase grant)",
                    ));
                }
                self.erase_under_holds(caller, subject).await
            }
            "restriction" | "objection" => {
                self.set_restricted(subject, true).await?;
                Ok(serde_json::json!({ "restricted": true }))
            }
            "rectification" => {
                // Completed once the corrected values are written; the mark goes either way.
                self.clear_contested(request).await?;
                Ok(serde_json::json!({ "corrected": request.detail.categories }))
            }
            "consent_withdrawal" => {
                let consents = self.consents(caller, subject).await?;
                let mut withdrawn = Vec::new();
                for state in consents.current.iter().filter(|s| s.granted) {
                    if state.purpose.starts_with('@') {
                        continue;
                    }
                    self.record_consent(
                        &Caller::operator(Some(format!("rights request {}", request.id))),
                        subject,
                        ConsentChange {
                            purpose: state.purpose.clone(),
                            channel: state.channel.clone(),
                            night: state.night,
                            granted: false,
                            evidence: Evidence {
                                method: "rights_request".into(),
                                location: Some(request.id.clone()),
                                wording: None,
                            },
                            at_ms: None,
                            by_guardian: false,
                        },
                    )
                    .await?;
                    withdrawn.push(state.purpose.clone());
                }
                Ok(serde_json::json!({ "withdrawn": withdrawn }))
            }
            other => Err(VaultError::Invalid {
                what: "type",
                why: format!("{other:?} cannot be carried out"),
            }),
        }
    }

    async fn set_restricted(&self, subject_id: &str, restricted: bool) -> Result<(), VaultError> {
        match self
            .store()
            .apply(Request::unlogged(SubjectOp::SetRestricted {
                subject_id: subject_id.to_string(),
                restricted,
            }))
            .await?
        {
            Outcome::Done => Ok(()),
            Outcome::NotFound => Err(VaultError::NoSubject(clip(subject_id))),
            other => Err(unexpected(other)),
        }
    }

    /// Erasure at the subject's request: everything no law still requires is destroyed now; what a
    /// law requires moves to separated storage. The answer lists what was kept, under which rule and
    /// law, until when.
    pub async fn erase_under_holds(
        &self,
        caller: &Caller,
        subject_id: &str,
    ) -> Result<serde_json::Value, VaultError> {
        let erasure = self
            .erase_keeping_holds(caller, subject_id, "erasure_request")
            .await?;
        Ok(serde_json::to_value(erasure).unwrap_or_default())
    }

    /// Ends the subject's use and destroys everything of it no law still requires, one ledger line
    /// per destruction; what a law requires (in use or apart already) is kept apart, and the data key
    /// goes when nothing is left. Later sweeps destroy what was kept when its law's period ends.
    ///
    /// The subject is closed first, in a transaction of its own: from that commit on no write is
    /// taken for it, so the view read next holds everything there is to dispose of.
    pub(crate) async fn erase_keeping_holds(
        &self,
        caller: &Caller,
        subject_id: &str,
        cause: &str,
    ) -> Result<Erasure, VaultError> {
        let subject = self.subject(subject_id).await?;
        let already_erased = subject.erasure_ms.is_some();
        let now = self.now_ms();
        let entry = self.entry(
            caller,
            Action::Erase,
            Some(subject_id),
            &[vow_store::CONSENT_EVIDENCE],
        );
        match self
            .store()
            .apply(Request::logged(
                RetentionOp::CloseSubject {
                    subject_id: subject_id.to_string(),
                    at_ms: now,
                    erasure: true,
                    cause: cause.to_string(),
                    method: crate::retention::DESTRUCTION_METHOD.to_string(),
                    by_key: caller.key_id.clone(),
                },
                entry,
            ))
            .await?
        {
            Outcome::Done => {}
            Outcome::NotFound => return Err(VaultError::NoSubject(clip(subject_id))),
            other => return Err(unexpected(other)),
        }
        let view = self
            .retention_view(subject_id)
            .await?
            .ok_or_else(|| VaultError::NoSubject(clip(subject_id)))?;
        let (disposals, planned) = plan(self.policy(), &view, now, true);
        let request = self.disposal_request(caller, subject_id, disposals, cause, true);
        let done = match self.store().apply(request).await? {
            Outcome::Disposed(done) => {
                self.remove_upload_files(&done.uploads);
                done
            }
            Outcome::NotFound => return Err(VaultError::NoSubject(clip(subject_id))),
            other => return Err(unexpected(other)),
        };
        if done.shredded {
            self.lock_data_keys().remove(subject_id);
        }
        let law_of = |rule: &str| {
            self.policy()
                .retention
                .iter()
                .find(|r| r.key.as_str() == rule)
                .and_then(|r| r.law.as_ref())
                .map(crate::retention::law_text)
        };
        // What this erasure moved apart, and what was apart already and stays.
        let mut kept_apart: Vec<KeptApart> = planned
            .iter()
            .filter_map(|p| match &p.fate {
                Fate::Separate { rule, until_ms } => Some(KeptApart {
                    category: p.category.clone(),
                    rule: rule.clone(),
                    law: law_of(rule),
                    until_ms: *until_ms,
                }),
                _ => None,
            })
            .collect();
        let destroyed_apart: std::collections::HashSet<&str> = planned
            .iter()
            .filter(|p| p.storage == "separated")
            .filter_map(|p| p.piece_id.as_deref())
            .collect();
        for piece in view
            .separated
            .iter()
            .filter(|s| !destroyed_apart.contains(s.id.as_str()))
        {
            kept_apart.push(KeptApart {
                category: piece.category.clone(),
                rule: piece.rule.clone(),
                law: law_of(&piece.rule),
                until_ms: crate::retention::separated_until(self.policy(), &view, piece),
            });
        }
        let mut kept_by_rule = std::collections::BTreeMap::new();
        for kept in &kept_apart {
            *kept_by_rule.entry(kept.rule.clone()).or_insert(0) += 1;
        }
        Ok(Erasure {
            destroyed: done.destroyed,
            kept_apart,
            kept_by_rule,
            data_key_destroyed: done.shredded,
            already_erased,
        })
    }

    /// The subject's access export: every item and record (in full or masked as the caller's role
    /// allows), consents, the purposes and recipients the policy declares for each category, and
    /// each piece's retention deadline.
    pub async fn access_export(
        &self,
        caller: &Caller,
        subject_id: &str,
    ) -> Result<AccessExport, VaultError> {
        let exported = self.export(caller, subject_id).await?;
        let records = match self.records(caller, subject_id).await {
            Ok(records) => records,
            Err(VaultError::Forbidden { .. }) => Vec::new(),
            Err(error) => return Err(error),
        };
        let consents = if self.grants(caller)?.may_handle_consents() || caller.is_operator() {
            Some(self.consents(caller, subject_id).await?)
        } else {
            None
        };
        let now = self.now_ms();
        let view = self.retention_view(subject_id).await?.unwrap_or_default();
        let retention_of = |category: &str, own_ms: i64, is_record: bool| {
            crate::retention::decide(
                self.policy(),
                &view,
                category,
                if is_record {
                    PieceTimes::record(own_ms)
                } else {
                    PieceTimes::item(own_ms)
                },
                now,
                false,
            )
        };
        let policy = self.policy();
        let about = |category: &str| CategoryUse {
            purposes: policy
                .collections
                .iter()
                .filter(|c| {
                    c.required
                        .iter()
                        .chain(c.optional.iter())
                        .any(|k| k.as_str() == category)
                })
                .flat_map(|c| c.purposes.iter().map(|p| p.to_string()))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect(),
            recipients: policy
                .third_parties
                .iter()
                .filter(|t| t.categories.iter().any(|k| k.as_str() == category))
                .map(|t| t.key.to_string())
                .chain(
                    policy
                        .processors
                        .iter()
                        .filter(|p| p.categories.iter().any(|k| k.as_str() == category))
                        .map(|p| p.key.to_string()),
                )
                .collect(),
        };
        let items = exported
            .items
            .into_iter()
            .map(|item| AccessPiece {
                retention: retention_of(&item.category, item.updated_ms, false),
                uses: about(&item.category),
                category: item.category,
                at_ms: item.updated_ms,
                value: item.value,
                record: None,
            })
            .collect();
        let records = records
            .into_iter()
            .map(|record| AccessPiece {
                retention: retention_of(&record.category, record.at_ms, true),
                uses: about(&record.category),
                category: record.category,
                at_ms: record.at_ms,
                value: record.value,
                record: Some(record.id),
            })
            .collect();
        Ok(AccessExport {
            subject: exported.id,
            external_id: exported.external_id,
            kind: exported.kind,
            created_ms: exported.created_ms,
            items,
            records,
            consents: consents.map(|c| serde_json::to_value(c).unwrap_or_default()),
        })
    }
}

/// A piece of the access export.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccessPiece {
    pub category: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    pub at_ms: i64,
    pub value: crate::vault::ItemValue,
    #[serde(flatten)]
    pub uses: CategoryUse,
    pub retention: Fate,
}

/// What the policy says a category is for and who receives it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CategoryUse {
    pub purposes: Vec<String>,
    pub recipients: Vec<String>,
}

/// Everything held about a subject, for access and portability.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AccessExport {
    pub subject: String,
    pub external_id: String,
    pub kind: String,
    pub created_ms: i64,
    pub items: Vec<AccessPiece>,
    pub records: Vec<AccessPiece>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consents: Option<serde_json::Value>,
}

/// What a completed request keeps in its detail: counts, never values.
fn summary(result: &serde_json::Value) -> serde_json::Value {
    match result {
        serde_json::Value::Object(map) if map.contains_key("items") => serde_json::json!({
            "exported_items": map.get("items").and_then(|v| v.as_array()).map_or(0, Vec::len),
            "exported_records": map.get("records").and_then(|v| v.as_array()).map_or(0, Vec::len),
        }),
        other => other.clone(),
    }
}
