//! The advertising tools on the vault: the gate for one subject or a page of a campaign (judged as of
//! the send time), re-confirmations due, the 14-day result notices owed and marked sent.

use serde::Serialize;
use time::Date;
use vow_audit::Action;
use vow_store::*;

use crate::consent::*;
use crate::marketing::{self, korean_date, Verdict};
use crate::vault::*;

/// How many subjects one store request of a campaign check carries.
const CAMPAIGN_CHUNK: usize = 2_000;

/// Most subjects one call checks: a campaign comes a page at a time (5,000 ids fit the API's
/// 256 KiB body limit), so no call holds more than a page.
pub const MAX_CAMPAIGN: usize = 5_000;

/// A consent whose re-confirmation falls due.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DueConsent {
    pub subject: String,
    pub purpose: String,
    pub channel: Option<String>,
    pub night: bool,
    pub since_ms: i64,
    /// The last day (Korea time) the consent stands without re-confirmation.
    pub reconfirm_by: String,
    pub overdue: bool,
}

impl Vault {
    /// The advertising gate for one subject.
    pub async fn marketing_check(
        &self,
        caller: &Caller,
        subject_id: &str,
        channel: &str,
        at_ms: Option<i64>,
    ) -> Result<Verdict, VaultError> {
        let mut verdicts = self
            .marketing_campaign(caller, &[subject_id.to_string()], channel, at_ms)
            .await?;
        verdicts
            .pop()
            .map(|(_, verdict)| verdict)
            .ok_or_else(|| unexpected(Outcome::NotFound))
    }

    /// The advertising gate for a whole campaign, in the order given.
    pub async fn marketing_campaign(
        &self,
        caller: &Caller,
        subject_ids: &[String],
        channel: &str,
        at_ms: Option<i64>,
    ) -> Result<Vec<(String, Verdict)>, VaultError> {
        self.require_consent_grant(caller, "check advertising")?;
        if subject_ids.len() > MAX_CAMPAIGN {
            return Err(VaultError::Invalid {
                what: "subjects",
                why: format!(
                    "{} subjects in one call; check a campaign in pages of at most {MAX_CAMPAIGN}",
                    subject_ids.len()
                ),
            });
        }
        let at_ms = match at_ms {
            Some(at) if at < EARLIEST_MS => {
                return Err(VaultError::Invalid {
                    what: "at",
                    why: "is before the year 2000".into(),
                })
            }
            Some(at) => at,
            None => self.clock.now_ms(),
        };
        let Some(parsed) = marketing::channel(channel) else {
            return Err(VaultError::UnknownChannel {
                channel: clip(channel),
                why: "is not a channel vow knows (email, sms, push, phone, kakao)",
                allowed: self.advertising_channels(),
            });
        };
        let advertising = self.policy.advertising.as_ref();
        let purpose = self.advertising_purpose().unwrap_or_default().to_string();
        // Rules that refuse whatever the subject did need no store.
        let blanket = marketing::judge(advertising, parsed, Some(&[]), None, at_ms);
        if matches!(
            blanket.rule,
            marketing::Rule::NoAdvertising | marketing::Rule::ChannelNotInPolicy
        ) {
            return Ok(subject_ids
                .iter()
                .map(|id| (id.clone(), blanket.clone()))
                .collect());
        }
        let mut verdicts = Vec::with_capacity(subject_ids.len());
        for chunk in subject_ids.chunks(CAMPAIGN_CHUNK) {
            let found = match self
                .store
                .apply(Request::unlogged(ConsentOp::CampaignStates {
                    subject_ids: chunk.to_vec(),
                    purpose: purpose.clone(),
                    channel: marketing::channel_name(parsed).to_string(),
                }))
                .await?
            {
                Outcome::CampaignStates(found) => found,
                other => return Err(unexpected(other)),
            };
            let by_id: std::collections::HashMap<&str, &vow_store::CampaignSubject> =
                found.iter().map(|s| (s.id.as_str(), s)).collect();
            // A state changed after the send time does not say how things stood then: that
            // subject's ledger is read back to the send time. Sends checked as they happen need none.
            let mut rebuilt: std::collections::HashMap<String, Vec<ConsentState>> =
                std::collections::HashMap::new();
            for subject in found.iter().filter(|s| {
                s.closed_ms.is_none_or(|c| c > at_ms)
                    && s.states.iter().any(|state| state.changed_ms > at_ms)
            }) {
                let (_, history) = self.history_of(&subject.id).await?;
                let relevant: Vec<ConsentEvent> = history
                    .into_iter()
                    .filter(|e| {
                        e.purpose == GUARDIAN_PURPOSE
                            || (e.purpose == purpose
                                && e.channel == marketing::channel_name(parsed))
                    })
                    .collect();
                rebuilt.insert(
                    subject.id.clone(),
                    marketing::states_as_of(&relevant, at_ms),
                );
            }
            for id in chunk {
                let subject = by_id.get(id.as_str()).copied();
                let states = match (subject, rebuilt.get(id.as_str())) {
                    (Some(_), Some(states)) => Some(states.as_slice()),
                    (Some(subject), None) => Some(subject.states.as_slice()),
                    (None, _) => None,
                };
                verdicts.push((
                    id.clone(),
                    marketing::judge(
                        advertising,
                        parsed,
                        states,
                        subject.and_then(|s| s.closed_ms),
                        at_ms,
                    ),
                ));
            }
        }
        Ok(verdicts)
    }

    /// Advertising consents whose re-confirmation is due within `within_days` (and those overdue).
    pub async fn consents_due(
        &self,
        caller: &Caller,
        within_days: u32,
        limit: usize,
    ) -> Result<Vec<DueConsent>, VaultError> {
        self.require_consent_grant(caller, "list consents due")?;
        let Some(purpose) = self.advertising_purpose().map(str::to_string) else {
            return Ok(Vec::new());
        };
        let months = self
            .policy
            .advertising
            .as_ref()
            .map_or(24, |ad| ad.reconfirm_months);
        let today = korean_date(self.clock.now_ms());
        let horizon = today
            .checked_add(time::Duration::days(i64::from(within_days)))
            .unwrap_or(Date::MAX);
        // A consent falls due at least `months × 28` days after it was given: a bound the store can
        // filter by; the calendar decides exactly below. Sorted by age, so the cut is exact.
        let bound = (horizon
            .midnight()
            .assume_offset(marketing::KST)
            .unix_timestamp()
            + 2 * 86_400)
            .saturating_mul(1000)
            .saturating_sub(marketing::days_ms(i64::from(months) * 28));
        let states = match self
            .store
            .apply(Request::unlogged(ConsentOp::ConsentsDue {
                purpose: purpose.clone(),
                since_before_ms: bound,
                limit,
            }))
            .await?
        {
            Outcome::ConsentStates(states) => states,
            other => return Err(unexpected(other)),
        };
        Ok(states
            .into_iter()
            .filter_map(|s| {
                let by = marketing::reconfirm_by(korean_date(s.since_ms), months);
                (by <= horizon).then(|| DueConsent {
                    subject: s.subject_id,
                    purpose: s.purpose,
                    channel: (!s.channel.is_empty()).then_some(s.channel),
                    night: s.night,
                    since_ms: s.since_ms,
                    reconfirm_by: by.to_string(),
                    overdue: by < today,
                })
            })
            .collect())
    }

    /// Consent changes whose result notice (14 days, 시행령 제62조의2) is still owed.
    pub async fn owed_notices(
        &self,
        caller: &Caller,
        limit: usize,
    ) -> Result<Vec<LedgerEntry>, VaultError> {
        self.require_consent_grant(caller, "list owed notices")?;
        match self
            .store
            .apply(Request::unlogged(ConsentOp::OwedNotices { limit }))
            .await?
        {
            // The evidence stays sealed here: the list is for sending notices, not for proof.
            Outcome::ConsentEvents(events) => Ok(events
                .into_iter()
                .map(|e| self.ledger_entry(e, None))
                .collect()),
            other => Err(unexpected(other)),
        }
    }

    /// Records that the result notice of a consent change was sent.
    pub async fn mark_notice_sent(
        &self,
        caller: &Caller,
        consent_id: &str,
        at_ms: Option<i64>,
    ) -> Result<(), VaultError> {
        self.require_consent_grant(caller, "mark notices sent")?;
        let at_ms = self.reported_time(at_ms)?;
        // The 14-day duty is then met: a change to the record, logged with the change's id.
        let entry = self.entry(caller, Action::ConsentNotice, None, &[consent_id]);
        match self
            .store
            .apply(Request::logged(
                ConsentOp::MarkNoticeSent {
                    event_id: consent_id.to_string(),
                    at_ms,
                    key_id: caller.key_id.clone(),
                },
                entry,
            ))
            .await?
        {
            Outcome::Done => Ok(()),
            Outcome::AlreadyExists { .. } => Err(VaultError::Invalid {
                what: "notice",
                why: "was already marked sent".into(),
            }),
            Outcome::NotFound => Err(VaultError::Invalid {
                what: "consent id",
                why: "names no advertising consent change that owes a notice".into(),
            }),
            Outcome::Stale => Err(VaultError::Invalid {
                what: "at",
                why: "is before the change the notice tells of".into(),
            }),
            other => Err(unexpected(other)),
        }
    }

    /// Puts a `consent.reconfirmation_due` event in the outbox for every advertising consent due
    /// within `within_days`, once per consent and clock start (the event id says which), however
    /// often and by however many servers this runs. Returns how many were new.
    pub async fn announce_due_reconfirmations(&self, within_days: u32) -> Result<u64, VaultError> {
        let due = self
            .consents_due(&Caller::operator(None), within_days, 100_000)
            .await?;
        let mut added = 0;
        for consent in due {
            let id = format!(
                "due_{}_{}_{}_{}_{}",
                consent.subject,
                consent.purpose,
                consent.channel.as_deref().unwrap_or(""),
                u8::from(consent.night),
                consent.since_ms
            );
            let record = OutboxRecord {
                seq: 0,
                id,
                subject_id: Some(consent.subject.clone()),
                kind: crate::outbox::RECONFIRMATION_DUE.into(),
                body: serde_json::to_string(&consent).unwrap_or_default(),
                created_ms: self.clock.now_ms(),
                attempts: 0,
                delivered_ms: None,
            };
            if self
                .store
                .apply(Request::unlogged(OutboxOp::Enqueue(record)))
                .await?
                == Outcome::Created
            {
                added += 1;
            }
        }
        Ok(added)
    }
}
