//! The consent ledger: grants, re-confirmations and withdrawals per subject and purpose — for
//! advertising per channel, night-time apart — checked against the policy, each one appended with its
//! evidence, logged, and announced through the outbox in the same transaction. Also children: their
//! age at collection, and the guardian whose verified consent their data waits for.
//!
//! Withdrawing takes exactly what granting takes: the same route, the same fields, the same role.
//! The advertising gate and its lists are in `campaign.rs`, the outbox in `outbox.rs`, children in
//! `children.rs`; their public types are re-exported here, where callers have found them.

use serde::{Deserialize, Serialize};
use vow_audit::Action;
use vow_policy::model::{ChildPolicy, LegalBasis, Purpose};
use vow_store::{
    ConsentEvent, ConsentOp, ConsentState, OutboxRecord, Outcome, Request, RetentionOp,
    GUARDIAN_PURPOSE,
};

pub use crate::campaign::{DueConsent, MAX_CAMPAIGN};
pub(crate) use crate::children::{earliest_birthday, BORN_BINDING};
pub use crate::outbox::AppEvent;
pub use crate::vault::AgeEvidence;

use crate::marketing::{self, korean_date};
use crate::vault::rfc3339;
use crate::vault::{clip, list, new_id, unexpected, Caller, Vault, VaultError};

/// A reported time may run ahead of vow's clock by this much (clocks drift); further is refused.
pub const CLOCK_SKEW_MS: i64 = 5 * 60 * 1000;
/// Times before this are refused as mistakes (2000-01-01).
pub(crate) const EARLIEST_MS: i64 = 946_684_800_000;

/// How and where a consent was collected: the proof an audit asks for. Sealed with the subject's data
/// key, so it goes with the subject.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    /// How: `web_form`, `app_checkbox`, `paper_form`, `phone_call`, `email_reply`, …
    pub method: String,
    /// Where: the page, screen or form (`https://example.com/signup`, `app/settings/marketing`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The wording the person agreed to, or its version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wording: Option<String>,
}

impl Evidence {
    pub(crate) fn validate(&self) -> Result<(), VaultError> {
        let invalid = |why: &str| VaultError::Invalid {
            what: "evidence",
            why: why.to_string(),
        };
        let method = self.method.trim();
        if method.is_empty() || method.len() > 100 || method.chars().any(char::is_control) {
            return Err(invalid(
                "method must say how consent was collected (1 to 100 bytes, no control characters)",
            ));
        }
        if let Some(location) = &self.location {
            if location.len() > 500 || location.chars().any(char::is_control) {
                return Err(invalid(
                    "location must be at most 500 bytes without control characters",
                ));
            }
        }
        if let Some(wording) = &self.wording {
            if wording.len() > 4000
                || wording
                    .chars()
                    .any(|c| c.is_control() && c != '\n' && c != '\t')
            {
                return Err(invalid(
                    "wording must be at most 4000 bytes without control characters",
                ));
            }
        }
        Ok(())
    }
}

/// A consent given or withdrawn.
#[derive(Clone, Debug, Default)]
pub struct ConsentChange {
    /// A `[[purpose]]` key whose basis is consent.
    pub purpose: String,
    /// For the advertising purpose: a channel the policy lists.
    pub channel: Option<String>,
    /// For the advertising purpose: consent to messages between 21:00 and 08:00.
    pub night: bool,
    pub granted: bool,
    pub evidence: Evidence,
    /// When the person gave or withdrew it; now when absent.
    pub at_ms: Option<i64>,
    /// Given by the child's legal guardian.
    pub by_guardian: bool,
}

/// What was recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConsentRecorded {
    /// The ledger entry's id (also the idempotency key of its event).
    pub id: String,
    /// `grant`, `reconfirm` (a grant of a consent already given restarts its re-confirmation
    /// clock) or `withdraw`.
    pub change: &'static str,
    pub at_ms: i64,
    /// For advertising: the result must be told to the person by this time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice_due_ms: Option<i64>,
}

/// One current consent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CurrentConsent {
    pub purpose: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    pub night: bool,
    pub granted: bool,
    /// The last grant or re-confirmation.
    pub since_ms: i64,
    pub changed_ms: i64,
    /// For advertising consents that stand: the last day (Korea time) before re-confirmation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reconfirm_by: Option<String>,
}

/// One change in the ledger, as the API and the audit export show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LedgerEntry {
    pub id: String,
    pub seq: i64,
    pub subject: String,
    pub purpose: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    pub night: bool,
    pub change: String,
    pub at_ms: i64,
    pub recorded_ms: i64,
    pub policy_version: String,
    pub by_guardian: bool,
    pub recorded_by: String,
    /// `None` once the subject is erased: the evidence went with their key.
    pub evidence: Option<Evidence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice_due_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice_sent_ms: Option<i64>,
}

/// A subject's consents now, and how they came to be.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SubjectConsents {
    pub subject: String,
    /// A child under the policy's age when collected.
    pub minor: bool,
    pub current: Vec<CurrentConsent>,
    pub history: Vec<LedgerEntry>,
}

const EVIDENCE_CATEGORY: &str = vow_store::CONSENT_EVIDENCE;

impl Vault {
    /// Refuses a caller whose role may not handle consents (`consents = true` in its `[[role]]`).
    /// The operator at the command line (who holds the key file anyway) passes, as for keys.
    pub fn require_consent_grant(&self, caller: &Caller, what: &str) -> Result<(), VaultError> {
        if caller.is_operator() || self.grants(caller)?.may_handle_consents() {
            Ok(())
        } else {
            Err(Self::forbidden(caller, what))
        }
    }

    pub(crate) fn consent_purposes(&self) -> String {
        list(
            self.policy
                .purposes
                .iter()
                .filter(|p| p.basis == LegalBasis::Consent)
                .map(|p| p.key.as_str()),
        )
    }

    /// The purpose, if the policy declares it and it rests on consent.
    pub(crate) fn consent_purpose(&self, purpose: &str) -> Result<&Purpose, VaultError> {
        let refuse = |why| VaultError::NotAConsentPurpose {
            purpose: clip(purpose),
            why,
            allowed: self.consent_purposes(),
        };
        let declared = self
            .policy
            .purposes
            .iter()
            .find(|p| p.key == purpose)
            .ok_or_else(|| refuse("is not declared in the policy"))?;
        if declared.basis != LegalBasis::Consent {
            return Err(refuse("does not rest on consent (its basis is another)"));
        }
        Ok(declared)
    }

    pub(crate) fn advertising_purpose(&self) -> Option<&str> {
        self.policy
            .advertising
            .as_ref()
            .filter(|ad| ad.sends)
            .and_then(|ad| ad.purpose.as_deref())
    }

    pub(crate) fn advertising_channels(&self) -> String {
        list(
            self.policy
                .advertising
                .iter()
                .flat_map(|ad| ad.channels.iter())
                .map(|c| marketing::channel_name(*c)),
        )
    }

    /// A reported time: not in the future beyond clock skew, not absurdly old.
    pub(crate) fn reported_time(&self, at_ms: Option<i64>) -> Result<i64, VaultError> {
        let now = self.clock.now_ms();
        let at = at_ms.unwrap_or(now);
        if at > now.saturating_add(CLOCK_SKEW_MS) {
            return Err(VaultError::Invalid {
                what: "at",
                why: "is in the future, more than 5 minutes ahead of the server's clock".into(),
            });
        }
        if at < EARLIEST_MS {
            return Err(VaultError::Invalid {
                what: "at",
                why: "is before the year 2000".into(),
            });
        }
        Ok(at)
    }

    /// The subject's consent states and, with `read_by`, the whole history — a read of the evidence,
    /// logged as one.
    pub(crate) async fn states_of(
        &self,
        subject_id: &str,
        read_by: Option<&Caller>,
    ) -> Result<(Vec<ConsentState>, Vec<ConsentEvent>), VaultError> {
        let op = ConsentOp::Consents {
            subject_id: subject_id.to_string(),
            history: read_by.is_some(),
        };
        let request = match read_by {
            Some(caller) => Request::logged(
                op,
                self.entry(caller, Action::Read, Some(subject_id), &[EVIDENCE_CATEGORY]),
            ),
            None => Request::unlogged(op),
        };
        match self.store.apply(request).await? {
            Outcome::Consents { states, history } => Ok((states, history)),
            Outcome::NotFound => Err(VaultError::NoSubject(clip(subject_id))),
            other => Err(unexpected(other)),
        }
    }

    /// The subject's states and every change of their consents, unlogged (the gate reads no
    /// evidence).
    pub(crate) async fn history_of(
        &self,
        subject_id: &str,
    ) -> Result<(Vec<ConsentState>, Vec<ConsentEvent>), VaultError> {
        match self
            .store
            .apply(Request::unlogged(ConsentOp::Consents {
                subject_id: subject_id.to_string(),
                history: true,
            }))
            .await?
        {
            Outcome::Consents { states, history } => Ok((states, history)),
            Outcome::NotFound => Err(VaultError::NoSubject(clip(subject_id))),
            other => Err(unexpected(other)),
        }
    }

    /// Records a consent given, re-confirmed or withdrawn.
    pub async fn record_consent(
        &self,
        caller: &Caller,
        subject_id: &str,
        change: ConsentChange,
    ) -> Result<ConsentRecorded, VaultError> {
        self.require_consent_grant(caller, "record consents")?;
        caller.may_reach(subject_id)?;
        let purpose = self.consent_purpose(&change.purpose)?.key.clone();
        let advertising = self.advertising_purpose() == Some(purpose.as_str());
        let channel = match (&change.channel, advertising) {
            (Some(name), true) => {
                let listed = marketing::channel(name).filter(|c| {
                    self.policy
                        .advertising
                        .as_ref()
                        .is_some_and(|ad| ad.channels.contains(c))
                });
                match listed {
                    Some(channel) => marketing::channel_name(channel).to_string(),
                    None => {
                        return Err(VaultError::UnknownChannel {
                            channel: clip(name),
                            why: "is not one the policy sends advertising through",
                            allowed: self.advertising_channels(),
                        })
                    }
                }
            }
            (None, true) => {
                return Err(VaultError::UnknownChannel {
                    channel: String::new(),
                    why: "is missing: advertising consent is given per channel",
                    allowed: self.advertising_channels(),
                })
            }
            (Some(name), false) => {
                return Err(VaultError::UnknownChannel {
                    channel: clip(name),
                    why: "applies only to the advertising purpose",
                    allowed: self.advertising_channels(),
                })
            }
            (None, false) => String::new(),
        };
        if change.night {
            let night_allowed = advertising
                && self
                    .policy
                    .advertising
                    .as_ref()
                    .is_some_and(|ad| ad.night_time);
            if !night_allowed && change.granted {
                return Err(VaultError::Invalid {
                    what: "night",
                    why: "the policy sends no advertising between 21:00 and 08:00 ([advertising] night_time), so there is no night-time consent to give".into(),
                });
            }
        }
        self.record(caller, subject_id, purpose, channel, change, advertising)
            .await
    }

    /// Records a legal guardian's consent for a child, verified by one of the methods the policy
    /// names (시행령 제17조의2), or its withdrawal.
    pub async fn record_guardian_consent(
        &self,
        caller: &Caller,
        subject_id: &str,
        granted: bool,
        evidence: Evidence,
        at_ms: Option<i64>,
    ) -> Result<ConsentRecorded, VaultError> {
        self.require_consent_grant(caller, "record consents")?;
        let methods: Vec<&str> = self
            .policy
            .children
            .iter()
            .filter(|c| c.policy == ChildPolicy::GuardianConsent)
            .flat_map(|c| c.methods.iter().map(|m| m.as_str()))
            .collect();
        if !methods.contains(&evidence.method.as_str()) {
            return Err(VaultError::UnknownMethod {
                what: "guardian verification method",
                allowed: list(methods.into_iter()),
            });
        }
        let change = ConsentChange {
            purpose: GUARDIAN_PURPOSE.to_string(),
            channel: None,
            night: false,
            granted,
            evidence,
            at_ms,
            by_guardian: true,
        };
        self.record(
            caller,
            subject_id,
            GUARDIAN_PURPOSE.to_string(),
            String::new(),
            change,
            false,
        )
        .await
    }

    pub(crate) async fn record(
        &self,
        caller: &Caller,
        subject_id: &str,
        purpose: String,
        channel: String,
        change: ConsentChange,
        advertising: bool,
    ) -> Result<ConsentRecorded, VaultError> {
        change.evidence.validate()?;
        let at_ms = self.reported_time(change.at_ms)?;
        let subject = self.subject(subject_id).await?;
        let guardian = purpose == GUARDIAN_PURPOSE;
        if guardian && !subject.minor {
            return Err(VaultError::Invalid {
                what: "subject",
                why: "is not a child under the policy's age: no guardian's consent applies".into(),
            });
        }
        let (states, _) = self.states_of(subject_id, None).await?;
        if !guardian && subject.minor && change.granted {
            // A child's own consent is not valid: their guardian's is, once verified. A withdrawal
            // only lessens what is done with the child's data: it never waits for the guardian.
            let verified = states
                .iter()
                .any(|s| s.purpose == GUARDIAN_PURPOSE && s.granted);
            if !change.by_guardian || !verified {
                return Err(VaultError::GuardianConsentMissing {
                    age: self.policy.children.as_ref().map_or(14, |c| c.age),
                });
            }
        }
        if guardian {
            if let Some(born) = self.born(&subject)? {
                let born_ms = born
                    .midnight()
                    .assume_offset(marketing::KST)
                    .unix_timestamp()
                    .saturating_mul(1000);
                if at_ms < born_ms {
                    return Err(VaultError::Timeline {
                        why: "a guardian's consent cannot be dated before the child was born"
                            .into(),
                    });
                }
            }
        }
        if change.by_guardian && !subject.minor {
            return Err(VaultError::Invalid {
                what: "by",
                why: "a guardian acts only for a child under the policy's age".into(),
            });
        }
        let data_key = self.data_key(&subject.wrapped_key, subject_id)?;
        let evidence_json =
            serde_json::to_vec(&change.evidence).map_err(|e| VaultError::Invalid {
                what: "evidence",
                why: e.to_string(),
            })?;
        let sealed = data_key.seal(
            &evidence_json,
            &vow_crypto::Binding {
                subject_id,
                category: EVIDENCE_CATEGORY,
            },
        )?;
        let mut states = states;
        // A change races with another writer only if that writer changed the same consent between
        // our read and our write; the store then refuses and we decide again on the new state.
        for _ in 0..3 {
            let state = states
                .iter()
                .find(|s| s.purpose == purpose && s.channel == channel && s.night == change.night);
            let current = state.map(|s| s.granted);
            // A change dated "now" by this server that lost a race to a concurrent one takes that
            // one's time instead.
            // The ledger is a timeline: no change, grant or withdrawal, is dated before the change
            // it follows (a withdrawal dated before its grant would show the state changing before
            // it existed).
            let at_ms =
                match state {
                    Some(s) if at_ms < s.changed_ms => {
                        if change.at_ms.is_some() {
                            return Err(VaultError::Timeline {
                                why: format!(
                                "this consent last changed at {}; a {} cannot be dated before it",
                                rfc3339(s.changed_ms),
                                if change.granted { "grant" } else { "withdrawal" }
                            ),
                            });
                        }
                        s.changed_ms
                    }
                    _ => at_ms,
                };
            let kind = match (change.granted, current) {
                (true, Some(true)) => "reconfirm",
                (true, _) => "grant",
                (false, Some(true)) => "withdraw",
                (false, _) => {
                    return Err(VaultError::NothingToWithdraw {
                        purpose: describe(&purpose, &channel, change.night),
                    })
                }
            };
            let notice_due_ms = (advertising && kind != "reconfirm")
                .then(|| at_ms + marketing::days_ms(marketing::NOTICE_DAYS));
            let id = new_id("con");
            let event = ConsentEvent {
                seq: 0,
                id: id.clone(),
                subject_id: subject_id.to_string(),
                purpose: purpose.clone(),
                channel: channel.clone(),
                night: change.night,
                change: kind.to_string(),
                at_ms,
                recorded_ms: self.clock.now_ms(),
                policy_version: self.policy.policy.version.clone(),
                by_guardian: change.by_guardian,
                evidence: sealed.clone(),
                key_id: caller.key_id.clone(),
                notice_due_ms,
                notice_sent_ms: None,
            };
            let body = serde_json::json!({
                "consent": id,
                "subject": subject_id,
                "purpose": purpose,
                "channel": (!channel.is_empty()).then_some(&channel),
                "night": change.night,
                "change": kind,
                "at_ms": at_ms,
                "policy_version": self.policy.policy.version,
                "by_guardian": change.by_guardian,
            });
            let outbox = OutboxRecord {
                seq: 0,
                id: format!("evt_{}", id.trim_start_matches("con_")),
                subject_id: Some(subject_id.to_string()),
                kind: format!(
                    "consent.{}",
                    match kind {
                        "withdraw" => "withdrawn",
                        "reconfirm" => "reconfirmed",
                        _ => "granted",
                    }
                ),
                body: body.to_string(),
                created_ms: self.clock.now_ms(),
                attempts: 0,
                delivered_ms: None,
            };
            let action = if kind == "withdraw" {
                Action::ConsentWithdraw
            } else {
                Action::ConsentGrant
            };
            let what = describe(&purpose, &channel, change.night);
            let entry = self.entry(caller, action, Some(subject_id), &[what.as_str()]);
            match self
                .store
                .apply(Request::logged(
                    ConsentOp::RecordConsent {
                        event: Box::new(event),
                        expected: current,
                        outbox: Box::new(outbox),
                    },
                    entry,
                ))
                .await?
            {
                Outcome::Done => {
                    // A withdrawal starts the clocks of retention rules `from = "consent_withdrawn"`
                    // over the categories collected for this purpose (and no other).
                    if kind == "withdraw" {
                        self.store
                            .apply(Request::unlogged(RetentionOp::RecordRetentionEvent {
                                subject_id: subject_id.to_string(),
                                event: crate::retention::withdrawal_event(&purpose),
                                at_ms,
                                recorded_ms: self.clock.now_ms(),
                            }))
                            .await?;
                    }
                    return Ok(ConsentRecorded {
                        id,
                        change: kind,
                        at_ms,
                        notice_due_ms,
                    });
                }
                Outcome::Stale => states = self.states_of(subject_id, None).await?.0,
                Outcome::Closed => return Err(VaultError::SubjectClosed),
                Outcome::NotFound => return Err(VaultError::NoSubject(clip(subject_id))),
                other => return Err(unexpected(other)),
            }
        }
        Err(VaultError::Store(vow_store::StoreError::RolledBack(
            "the consent kept changing under concurrent writers; try again".into(),
        )))
    }

    /// A subject's consents: where they stand and every change, with its evidence.
    pub async fn consents(
        &self,
        caller: &Caller,
        subject_id: &str,
    ) -> Result<SubjectConsents, VaultError> {
        self.require_consent_grant(caller, "read consents")?;
        caller.may_reach(subject_id)?;
        let subject = self.subject(subject_id).await?;
        let (states, history) = self.states_of(subject_id, Some(caller)).await?;
        let data_key = self.data_key(&subject.wrapped_key, subject_id)?;
        let months = self
            .policy
            .advertising
            .as_ref()
            .map_or(24, |ad| ad.reconfirm_months);
        let current = states
            .into_iter()
            .map(|s| CurrentConsent {
                reconfirm_by: (s.granted && !s.channel.is_empty())
                    .then(|| marketing::reconfirm_by(korean_date(s.since_ms), months).to_string()),
                channel: (!s.channel.is_empty()).then_some(s.channel),
                purpose: s.purpose,
                night: s.night,
                granted: s.granted,
                since_ms: s.since_ms,
                changed_ms: s.changed_ms,
            })
            .collect();
        let history = history
            .into_iter()
            .map(|e| self.ledger_entry(e, Some(&data_key)))
            .collect();
        Ok(SubjectConsents {
            subject: subject.id,
            minor: subject.minor,
            current,
            history,
        })
    }

    pub(crate) fn ledger_entry(
        &self,
        e: ConsentEvent,
        key: Option<&vow_crypto::DataKey>,
    ) -> LedgerEntry {
        let evidence = key
            .and_then(|key| {
                key.open(
                    &e.evidence,
                    &vow_crypto::Binding {
                        subject_id: &e.subject_id,
                        category: EVIDENCE_CATEGORY,
                    },
                )
                .ok()
            })
            .and_then(|plain| serde_json::from_slice(&plain).ok());
        LedgerEntry {
            id: e.id,
            seq: e.seq,
            subject: e.subject_id,
            purpose: e.purpose,
            channel: (!e.channel.is_empty()).then_some(e.channel),
            night: e.night,
            change: e.change,
            at_ms: e.at_ms,
            recorded_ms: e.recorded_ms,
            policy_version: e.policy_version,
            by_guardian: e.by_guardian,
            recorded_by: e.key_id,
            evidence,
            notice_due_ms: e.notice_due_ms,
            notice_sent_ms: e.notice_sent_ms,
        }
    }

    /// The whole ledger in order, for an audit: every change with its evidence (absent for erased
    /// subjects). Only a role that handles consents, or the operator.
    pub async fn consent_ledger(
        &self,
        caller: &Caller,
        subject_id: Option<&str>,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<LedgerEntry>, VaultError> {
        self.require_consent_grant(caller, "read the consent ledger")?;
        let events = match self
            .store
            .apply(Request::unlogged(ConsentOp::ConsentLedger {
                subject_id: subject_id.map(str::to_string),
                after_seq,
                limit,
            }))
            .await?
        {
            Outcome::ConsentEvents(events) => events,
            other => return Err(unexpected(other)),
        };
        let mut entries = Vec::with_capacity(events.len());
        // A subject's changes come in runs: its key is fetched once per page, not once per change.
        let mut keys: std::collections::HashMap<
            String,
            Option<std::sync::Arc<vow_crypto::DataKey>>,
        > = std::collections::HashMap::new();
        for event in events {
            if !keys.contains_key(&event.subject_id) {
                let key = match self.subject(&event.subject_id).await {
                    Ok(subject) => Some(self.data_key(&subject.wrapped_key, &event.subject_id)?),
                    Err(VaultError::NoSubject(_)) => None,
                    Err(error) => return Err(error),
                };
                keys.insert(event.subject_id.clone(), key);
            }
            let key = keys.get(&event.subject_id).cloned().flatten();
            entries.push(self.ledger_entry(event, key.as_deref()));
        }
        Ok(entries)
    }

    /// Refuses processing for a purpose that rests on consent the subject has not given, or has
    /// withdrawn, or that their use ended (account closed, erased). Called by every read that
    /// states a purpose.
    pub(crate) async fn check_purpose(
        &self,
        caller: &Caller,
        subject_id: &str,
    ) -> Result<(), VaultError> {
        caller.may_reach(subject_id)?;
        if caller.purpose.is_none() {
            return Ok(());
        }
        let subject = self.subject(subject_id).await?;
        self.check_purpose_of(caller, &subject).await
    }

    pub(crate) async fn check_purpose_of(
        &self,
        caller: &Caller,
        subject: &vow_store::SubjectRecord,
    ) -> Result<(), VaultError> {
        let Some(purpose) = caller.purpose.as_deref() else {
            return Ok(());
        };
        let declared = self
            .policy
            .purposes
            .iter()
            .find(|p| p.key == purpose)
            .ok_or_else(|| VaultError::NotAConsentPurpose {
                purpose: clip(purpose),
                why: "is not declared in the policy",
                allowed: list(self.policy.purposes.iter().map(|p| p.key.as_str())),
            })?;
        if declared.basis != LegalBasis::Consent {
            return Ok(());
        }
        // An ended subject's consents count as withdrawn.
        if subject.closed_ms.is_some() {
            return Err(VaultError::NoConsent {
                purpose: purpose.to_string(),
                state: "closed their account or was erased, so no longer gives",
            });
        }
        let (states, _) = self.states_of(&subject.id, None).await?;
        // A child's consents stand only while their guardian's does.
        if states
            .iter()
            .any(|s| s.purpose == GUARDIAN_PURPOSE && !s.granted)
        {
            return Err(VaultError::NoConsent {
                purpose: purpose.to_string(),
                state: "(through their guardian, who withdrew) has not given",
            });
        }
        let mine: Vec<&ConsentState> = states.iter().filter(|s| s.purpose == purpose).collect();
        if mine.iter().any(|s| s.granted) {
            return Ok(());
        }
        Err(VaultError::NoConsent {
            purpose: purpose.to_string(),
            state: if mine.is_empty() {
                "has not given"
            } else {
                "has withdrawn"
            },
        })
    }

    /// Whether a child's legal guardian has withdrawn the consent the child's data rests on.
    pub(crate) async fn guardian_withdrew(&self, subject_id: &str) -> Result<bool, VaultError> {
        let (states, _) = self.states_of(subject_id, None).await?;
        Ok(states
            .iter()
            .any(|s| s.purpose == GUARDIAN_PURPOSE && !s.granted))
    }
}

fn describe(purpose: &str, channel: &str, night: bool) -> String {
    let mut what = purpose.to_string();
    if !channel.is_empty() {
        what.push('/');
        what.push_str(channel);
    }
    if night {
        what.push_str("/night");
    }
    what
}
