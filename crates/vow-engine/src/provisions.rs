//! The provision log: each time personal data is given to a third party (제3자 제공) or a processor
//! (위탁), what went where — recipient, categories, purpose, count, time, the key that gave it — never
//! the values. Only recipients the policy names, and for each only the categories the policy lists for
//! it; and a role can only give what it may read.

use serde::Serialize;
use vow_audit::Action;
use vow_store::{Outcome, ProvisionOp, ProvisionRow, Request, RetentionOp, SubjectOp, UploadOp};

use crate::vault::{clip, list, unexpected, Caller, Vault, VaultError};

/// Largest count one provision may report (a bulk transfer of ten million records).
pub const MAX_PROVISION_COUNT: i64 = 10_000_000;

/// A provision as the caller reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewProvision {
    /// A `[[third_party]]` or `[[processor]]` key.
    pub recipient: String,
    pub categories: Vec<String>,
    /// The purpose the policy declares for the recipient (its `purpose`, or a processor's `task`), in
    /// either language; absent: that purpose is recorded. Nothing else is taken, so the log holds
    /// no free text a caller wrote.
    pub purpose: Option<String>,
    /// What vow itself notes about the provision (`vow proxy`: the route, the bytes, the kinds and
    /// counts pseudonymised) — never a caller's text, never a value.
    pub detail: Option<String>,
    /// How many records or subjects' data went (1 when one subject's).
    pub count: i64,
    /// When one subject's data was given.
    pub subject: Option<String>,
    pub at_ms: Option<i64>,
}

/// A line of the provision log as the API returns it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Provision {
    pub seq: i64,
    pub at_ms: i64,
    pub recipient: String,
    pub recipient_kind: String,
    pub categories: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    pub count: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub by: String,
    pub role: String,
}

impl Vault {
    /// Records a provision after checking it against the policy; refuses one the policy does not
    /// allow.
    pub async fn record_provision(
        &self,
        caller: &Caller,
        new: NewProvision,
    ) -> Result<Provision, VaultError> {
        let grants = self.grants(caller)?;
        let policy = self.policy();
        let (kind, allowed, declared): (&str, Vec<&str>, &vow_policy::model::Text) =
            if let Some(third) = policy
                .third_parties
                .iter()
                .find(|t| t.key.as_str() == new.recipient)
            {
                (
                    "third_party",
                    third.categories.iter().map(|c| c.as_str()).collect(),
                    &third.purpose,
                )
            } else if let Some(processor) = policy
                .processors
                .iter()
                .find(|p| p.key.as_str() == new.recipient)
            {
                (
                    "processor",
                    processor.categories.iter().map(|c| c.as_str()).collect(),
                    &processor.task,
                )
            } else {
                return Err(VaultError::Invalid {
                    what: "recipient",
                    why: format!(
                        "{:?} is not a third party or processor the policy names; it names: {}",
                        clip(&new.recipient),
                        list(
                            policy
                                .third_parties
                                .iter()
                                .map(|t| t.key.as_str())
                                .chain(policy.processors.iter().map(|p| p.key.as_str()))
                        )
                    ),
                });
            };
        if new.categories.is_empty() {
            return Err(VaultError::Invalid {
                what: "categories",
                why: "name the categories given".into(),
            });
        }
        let mut categories = new.categories.clone();
        categories.sort();
        categories.dedup();
        for category in &categories {
            self.declared_category(category)?;
            if !allowed.contains(&category.as_str()) {
                return Err(VaultError::Invalid {
                    what: "categories",
                    why: format!(
                        "the policy does not list {category} for {}; it lists: {}",
                        new.recipient,
                        list(allowed.iter().copied())
                    ),
                });
            }
            if !grants.may_read(category) {
                return Err(Self::forbidden(
                    caller,
                    format!("give {category} (it may not read it)"),
                ));
            }
        }
        if !(1..=MAX_PROVISION_COUNT).contains(&new.count) {
            return Err(VaultError::Invalid {
                what: "count",
                why: format!("must be between 1 and {MAX_PROVISION_COUNT}"),
            });
        }
        let declared_text = crate::retention::law_text(declared);
        if let Some(purpose) = &new.purpose {
            let stated = purpose.trim();
            let matches = [declared.ko.as_deref(), declared.en.as_deref()]
                .into_iter()
                .flatten()
                .any(|text| text.trim() == stated);
            if !matches {
                return Err(VaultError::Invalid {
                    what: "purpose",
                    why: format!(
                        "the policy declares one purpose for {}: {:?}; state it (in Korean or English) or leave purpose out to record it",
                        new.recipient,
                        clip(&declared_text)
                    ),
                });
            }
        }
        if let Some(subject) = &new.subject {
            self.check_provision_of(subject, &categories).await?;
        }
        let purpose = match &new.detail {
            Some(detail) => format!("{declared_text} ({detail})"),
            None => declared_text,
        };
        let at_ms = self.reported_time(new.at_ms)?;
        let refs: Vec<&str> = categories.iter().map(String::as_str).collect();
        let mut entry = self.entry(caller, Action::Provide, new.subject.as_deref(), &refs);
        entry.reason = Some(match entry.reason.take() {
            Some(reason) => format!("to {}: {reason}", new.recipient),
            None => format!("to {}", new.recipient),
        });
        let row = ProvisionRow {
            seq: 0,
            at_ms,
            recipient: new.recipient.clone(),
            recipient_kind: kind.to_string(),
            categories: serde_json::to_string(&categories).unwrap_or_default(),
            purpose: Some(purpose),
            count: new.count,
            subject_id: new.subject.clone(),
            key_id: caller.key_id.clone(),
            role: caller.role.clone(),
        };
        match self
            .store()
            .apply(Request::logged(
                ProvisionOp::RecordProvision(row.clone()),
                entry,
            ))
            .await?
        {
            Outcome::Appended { seq } => Ok(provision(ProvisionRow { seq, ..row })),
            Outcome::NotFound => Err(VaultError::NoSubject(clip(
                new.subject.as_deref().unwrap_or_default(),
            ))),
            other => Err(unexpected(other)),
        }
    }

    /// A subject's data is neither used nor given while the subject asked to stop its processing,
    /// while a child's guardian has withdrawn, once the subject is erased, or — for a category — while
    /// its value is being corrected.
    async fn check_provision_of(
        &self,
        subject_id: &str,
        categories: &[String],
    ) -> Result<(), VaultError> {
        let subject = self.subject(subject_id).await?;
        if subject.erasure_ms.is_some() {
            return Err(VaultError::SubjectClosed);
        }
        if subject.restricted {
            return Err(VaultError::Restricted);
        }
        if subject.minor && self.guardian_withdrew(subject_id).await? {
            return Err(VaultError::GuardianConsentMissing {
                age: self.policy().children.as_ref().map_or(14, |c| c.age),
            });
        }
        for contested in self.contested_categories(subject_id).await? {
            if categories.contains(&contested) {
                return Err(VaultError::UnderCorrection {
                    category: contested,
                });
            }
        }
        Ok(())
    }

    /// The categories of the subject's items, records and uploads under correction.
    async fn contested_categories(&self, subject_id: &str) -> Result<Vec<String>, VaultError> {
        let mut contested = Vec::new();
        let not_found = || VaultError::NoSubject(clip(subject_id));
        let id = subject_id.to_string();
        match self
            .store()
            .apply(Request::unlogged(SubjectOp::Export {
                subject_id: id.clone(),
            }))
            .await?
        {
            Outcome::Export { items, .. } => contested.extend(
                items
                    .into_iter()
                    .filter(|i| i.contested)
                    .map(|i| i.category),
            ),
            Outcome::NotFound => return Err(not_found()),
            other => return Err(unexpected(other)),
        }
        match self
            .store()
            .apply(Request::unlogged(RetentionOp::Records {
                subject_id: id.clone(),
            }))
            .await?
        {
            Outcome::Records(rows) => {
                contested.extend(rows.into_iter().filter(|r| r.contested).map(|r| r.category))
            }
            Outcome::NotFound => return Err(not_found()),
            other => return Err(unexpected(other)),
        }
        match self
            .store()
            .apply(Request::unlogged(UploadOp::Uploads { subject_id: id }))
            .await?
        {
            Outcome::Uploads(rows) => {
                contested.extend(rows.into_iter().filter(|u| u.contested).map(|u| u.category))
            }
            Outcome::NotFound => return Err(not_found()),
            other => return Err(unexpected(other)),
        }
        contested.sort();
        contested.dedup();
        Ok(contested)
    }

    /// The provision log after `after_seq`, for the privacy officer.
    pub async fn provisions(
        &self,
        caller: &Caller,
        after_seq: i64,
        limit: usize,
    ) -> Result<Vec<Provision>, VaultError> {
        if !caller.is_operator() && !self.grants(caller)?.may_handle_requests() {
            return Err(Self::forbidden(caller, "read the provision log"));
        }
        match self
            .store()
            .apply(Request::unlogged(ProvisionOp::Provisions {
                after_seq,
                limit,
            }))
            .await?
        {
            Outcome::Provisions(rows) => Ok(rows.into_iter().map(provision).collect()),
            other => Err(unexpected(other)),
        }
    }
}

fn provision(row: ProvisionRow) -> Provision {
    Provision {
        seq: row.seq,
        at_ms: row.at_ms,
        recipient: row.recipient,
        recipient_kind: row.recipient_kind,
        categories: serde_json::from_str(&row.categories).unwrap_or_default(),
        purpose: row.purpose,
        count: row.count,
        subject: row.subject_id,
        by: row.key_id,
        role: row.role,
    }
}
