//! The privacy center: the people whose data it is, acting on it themselves (PIPA 제35조–제38조;
//! GDPR Art. 7(3), 12–22). A person proves who they are one of two ways — a short-lived single-use
//! link their service asked for after signing them in (`logged_in_session`), or a six-digit code sent
//! to a contact the vault already holds for them (found through the blind index) — and then holds a
//! session that acts for that one subject only: their requests, their consents, their answers.
//!
//! **Invariants.** A session's caller reaches no subject but its own: every method here takes the
//! subject from the session, never from the page. An unknown contact gets the same answer, and does
//! the same work, as a known one (a challenge row is written either way; it can never be redeemed).
//! Every secret (code, link, session, download link) is kept only as a keyed digest, used once or
//! until its time runs out; a code allows five tries.

use serde::{Deserialize, Serialize};
use vow_audit::Action;
use vow_crypto::Zeroizing;
use vow_policy::model::MaskStyle;
use vow_store::{
    Outcome, PrivacyOp, PrivacyTokenRow, RecentCap, Request, RequestOp, SubjectOp, TokenKind,
};

use crate::consent::{ConsentChange, ConsentRecorded, Evidence, SubjectConsents};
use crate::requests::{AccessExport, NewRequest, RightsRequest, Verification};
use crate::vault::{unexpected, validate_text, Caller, Vault, VaultError};

/// The event a code by text message goes out as, to the service's webhook alone
/// ([`crate::outbox::WEBHOOK_ONLY`]).
pub const SMS_CODE_EVENT: &str = "privacy.code";

/// How long a code by e-mail or text message may be typed.
pub const CODE_VALID_MS: i64 = 10 * 60_000;
/// Wrong codes one challenge allows; then a new code must be asked for.
pub const CODE_TRIES: i64 = 5;
/// Codes one person may be sent in an hour and in a day, whatever addresses and servers ask:
/// with [`CODE_TRIES`] each, this bounds the guesses at one person's codes to 100 a day (one in
/// 10,000 of the million codes) however the per-address limits are spread. Kept in the store, so
/// every server and a restart count the same.
pub const CODES_PER_SUBJECT_HOUR: i64 = 5;
pub const CODES_PER_SUBJECT_DAY: i64 = 20;
/// How long a link from the service works.
pub const LINK_VALID_MS: i64 = 15 * 60_000;
/// A session nobody used for this long is over.
pub const SESSION_IDLE_MS: i64 = 30 * 60_000;
/// A session ends this long after the sign-in however much it is used: a session cookie left on a
/// shared computer that someone keeps using still runs out.
pub const SESSION_MAX_MS: i64 = 12 * 3_600_000;
/// A session's expiry is moved at most this often, so reading pages is not a write each.
const SESSION_TOUCH_MS: i64 = 60_000;
/// How long a link to download an answer works.
pub const DOWNLOAD_VALID_MS: i64 = 24 * 3_600_000;
/// The role a data subject's session acts under. Not a policy role: its grants are built in (read
/// and export one's own data in full, one's own consents) and only callers this module makes —
/// whose key id is `subject:<id>`, which no API key or console user can have — get them.
pub const SELF_SERVICE_ROLE: &str = "vow:data-subject";
const SELF_SERVICE_KEY_PREFIX: &str = "subject:";

/// The category a representative's power of attorney is kept under (not a policy category: it is
/// evidence for one request, destroyed when that request closes).
pub const ATTORNEY_CATEGORY: &str = "rights.power_of_attorney";
/// The largest power of attorney taken (a scan or a PDF).
pub const ATTORNEY_MAX_BYTES: u64 = 10 * 1024 * 1024;
/// What a power of attorney may be.
pub const ATTORNEY_TYPES: [&str; 3] = ["application/pdf", "image/png", "image/jpeg"];

pub const CHALLENGE_PREFIX: &str = "vpc_";
pub const LINK_PREFIX: &str = "vpl_";
pub const SESSION_PREFIX: &str = "vps_";
pub const DOWNLOAD_PREFIX: &str = "vpd_";

/// How a contact typed into the privacy center reaches its owner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// By e-mail, to the address typed (which equals the one the vault holds).
    Email { to: String },
    /// By text message, which the service sends: a signed webhook event carries the code and the
    /// subject, never the number.
    Sms,
}

/// A code to send: exists only here and in the message.
pub struct CodeToSend {
    pub delivery: Delivery,
    pub subject: String,
    pub code: Zeroizing<String>,
}

impl std::fmt::Debug for CodeToSend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeToSend")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// What asking for a code gives back: the challenge to type the code against, the same whether the
/// contact is known or not, and, only when it is, the code to send.
#[derive(Debug)]
pub struct Challenge {
    pub token: String,
    pub expires_ms: i64,
    pub send: Option<CodeToSend>,
}

/// Why a code was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeRefusal {
    /// Wrong code; more tries are left.
    Wrong,
    /// Five wrong tries: ask for a new code.
    Locked,
    /// Used, expired, or never issued.
    Expired,
}

/// A data subject signed in to the privacy center.
#[derive(Clone, Debug)]
pub struct SubjectSession {
    pub subject: String,
    /// How they proved who they are (`email_code`, `sms_code`, `logged_in_session`).
    pub method: String,
    pub csrf: String,
    caller: Caller,
}

impl SubjectSession {
    pub fn caller(&self) -> &Caller {
        &self.caller
    }
    /// Whether a form's CSRF token is this session's (compared in constant time).
    pub fn csrf_matches(&self, submitted: &str) -> bool {
        !submitted.is_empty() && vow_crypto::ct_eq(self.csrf.as_bytes(), submitted.as_bytes())
    }
}

/// A session just opened: its token exists only here and in the cookie.
pub struct OpenedSession {
    pub token: Zeroizing<String>,
    pub session: SubjectSession,
}

impl std::fmt::Debug for OpenedSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedSession")
            .field("subject", &self.session.subject)
            .finish_non_exhaustive()
    }
}

/// A link the service hands its signed-in user.
pub struct PrivacyLink {
    pub token: Zeroizing<String>,
    pub expires_ms: i64,
}

impl std::fmt::Debug for PrivacyLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivacyLink")
            .field("expires_ms", &self.expires_ms)
            .finish_non_exhaustive()
    }
}

/// The format of a downloaded answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PackageFormat {
    /// Machine-readable (portability).
    Json,
    /// A page to read and print.
    Html,
}

/// What a person files from the privacy center.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SelfServiceRequest {
    /// The right's name (`access`, `erasure`, …).
    pub kind: String,
    /// For a rectification: the categories to correct.
    pub categories: Vec<String>,
    /// Filed by a legal representative or a delegate.
    pub representative: bool,
    /// `kr` or `eu`.
    pub jurisdiction: Option<String>,
    /// How they want the answer: `privacy_center`, `email`, `post`.
    pub answer_by: String,
}

#[derive(Serialize, Deserialize)]
struct TokenDetail {
    method: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    format: Option<PackageFormat>,
}

fn secret_token(prefix: &str) -> Zeroizing<String> {
    Zeroizing::new(format!(
        "{prefix}{}",
        &vow_crypto::new_api_secret()[vow_crypto::API_SECRET_PREFIX.len()..]
    ))
}

/// Six random digits (a 64-bit draw reduced mod 10⁶: the bias is below 10⁻¹³).
fn six_digits() -> Result<Zeroizing<String>, VaultError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| VaultError::Invalid {
        what: "random source",
        why: e.to_string(),
    })?;
    Ok(Zeroizing::new(format!(
        "{:06}",
        u64::from_le_bytes(bytes) % 1_000_000
    )))
}

/// A contact as typed, trimmed, and whether it looks like an e-mail address or a phone number.
fn contact_kind(contact: &str) -> Option<MaskStyle> {
    if contact.contains('@') {
        Some(MaskStyle::Email)
    } else if contact.chars().filter(char::is_ascii_digit).count() >= 8
        && contact
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' ' | '(' | ')' | '.'))
    {
        Some(MaskStyle::Phone)
    } else {
        None
    }
}

impl Caller {
    /// A data subject acting on their own data through the privacy center.
    fn data_subject(subject_id: &str, source: &str) -> Caller {
        Caller {
            key_id: format!("{SELF_SERVICE_KEY_PREFIX}{subject_id}"),
            role: SELF_SERVICE_ROLE.to_string(),
            source: source.to_string(),
            reason: Some("privacy center".to_string()),
            purpose: None,
        }
    }

    pub(crate) fn is_self_service(&self) -> bool {
        self.role == SELF_SERVICE_ROLE && self.key_id.starts_with(SELF_SERVICE_KEY_PREFIX)
    }

    /// A data subject's caller reaches their own subject and no other; every other caller is judged
    /// by its role. Checked where a subject is named (its items, export, requests, consents), so a
    /// page that passed the wrong id would still reach nobody else; another subject is answered as
    /// one that does not exist.
    pub(crate) fn may_reach(&self, subject_id: &str) -> Result<(), VaultError> {
        match self.key_id.strip_prefix(SELF_SERVICE_KEY_PREFIX) {
            Some(own) if self.is_self_service() && own != subject_id => {
                Err(VaultError::NoSubject(crate::vault::clip(subject_id)))
            }
            _ => Ok(()),
        }
    }
}

impl Vault {
    async fn privacy(&self, op: PrivacyOp) -> Result<Outcome, VaultError> {
        Ok(self.store().apply(Request::unlogged(op)).await?)
    }

    fn digest(&self, token: &str) -> Vec<u8> {
        self.keys().api_key_digest(token).to_vec()
    }

    fn code_digest(&self, challenge: &str, code: &str) -> Vec<u8> {
        self.keys()
            .api_key_digest(&format!("vow.privacy.code.v1\u{1f}{challenge}\u{1f}{code}"))
            .to_vec()
    }

    fn privacy_csrf(&self, token: &str) -> String {
        hex::encode(
            &self
                .keys()
                .api_key_digest(&format!("vow.privacy.csrf.v1\u{1f}{token}"))[..16],
        )
    }

    /// The key that counts codes asked for one contact (rate limits), whoever holds it: keyed, so
    /// the limiter's memory holds no contact.
    pub fn contact_key(&self, contact: &str) -> String {
        // As the lookup reads it, so that `010-2345-6789`, `+82 10 2345 6789` and `01023456789`
        // share one count, as `Han@Example.com` and `han@example.com` do.
        let normalised = match contact_kind(contact.trim()) {
            Some(MaskStyle::Email) => vow_crypto::normalise_for_lookup("email", contact),
            Some(_) => vow_crypto::normalise_for_lookup("phone", contact),
            None => contact.trim().to_lowercase(),
        };
        hex::encode(
            &self
                .keys()
                .api_key_digest(&format!("vow.privacy.contact.v1\u{1f}{normalised}"))[..16],
        )
    }

    /// The categories a contact of this shape (e-mail or phone) is looked up in.
    fn code_categories(&self, kind: MaskStyle) -> Vec<&str> {
        self.policy()
            .categories
            .iter()
            .filter(|c| {
                c.lookup
                    && c.class != vow_policy::model::DataClass::Credential
                    && crate::mask::style_for(c) == kind
            })
            .map(|c| c.key.as_str())
            .collect()
    }

    /// Whether people can ask for a code by e-mail and by text message: the policy has a lookup
    /// category of that shape (so the server can say at start what it needs to send them).
    pub fn code_channels(&self) -> (bool, bool) {
        (
            !self.code_categories(MaskStyle::Email).is_empty(),
            !self.code_categories(MaskStyle::Phone).is_empty(),
        )
    }

    /// Asks for a code for the person who holds `contact` (an e-mail address or a phone number
    /// the policy lets subjects be found by). Known or not, the answer has the same shape and the
    /// same work is done; only a known contact's answer carries a code to send.
    pub async fn start_code(&self, contact: &str, source: &str) -> Result<Challenge, VaultError> {
        let contact = contact.trim();
        validate_text("contact", contact, 254)?;
        let Some(kind) = contact_kind(contact) else {
            return Err(VaultError::Invalid {
                what: "contact",
                why: "must be an e-mail address or a phone number".into(),
            });
        };
        let lookup_categories = self.code_categories(kind);
        // Every subject that holds the contact, in any category of its shape.
        let mut holders: Vec<String> = Vec::new();
        let caller = Caller {
            key_id: "privacy-center".into(),
            role: SELF_SERVICE_ROLE.into(),
            source: source.to_string(),
            reason: Some("privacy center: a code asked for".into()),
            purpose: None,
        };
        for category in &lookup_categories {
            let normalised = vow_crypto::normalise_for_lookup(category, contact);
            let blind_index = self.keys().blind_index(category, &normalised).to_vec();
            let entry = self.entry(&caller, Action::Lookup, None, &[category]);
            match self
                .store()
                .apply(Request::logged(
                    // A contact the person says is wrong (under correction) may be someone
                    // else's: it proves nothing.
                    SubjectOp::Lookup {
                        category: (*category).to_string(),
                        blind_index,
                        include_contested: false,
                    },
                    entry,
                ))
                .await?
            {
                Outcome::Subjects(ids) => {
                    for id in ids {
                        if !holders.contains(&id) {
                            holders.push(id);
                        }
                    }
                }
                other => return Err(unexpected(other)),
            }
        }
        // A contact two people share (a family's address) cannot say which of them is asking: no
        // code goes out, as for a contact nobody holds; the service's link still works for each.
        let found = match holders.as_slice() {
            [one] => Some(one.clone()),
            _ => None,
        };
        let token = secret_token(CHALLENGE_PREFIX);
        let code = six_digits()?;
        let now = self.now_ms();
        let expires_ms = now + CODE_VALID_MS;
        let method = match kind {
            MaskStyle::Email => "email_code",
            _ => "sms_code",
        };
        let row = PrivacyTokenRow {
            digest: self.digest(&token),
            kind: TokenKind::Code.as_str().into(),
            subject_id: found.clone(),
            request_id: None,
            secret: Some(self.code_digest(&token, &code)),
            detail: serde_json::json!({ "method": method }).to_string(),
            created_ms: now,
            expires_ms,
            used_ms: None,
            tries: 0,
        };
        let caps = vec![
            RecentCap {
                since_ms: now - 3_600_000 + 1,
                at_most: CODES_PER_SUBJECT_HOUR,
            },
            RecentCap {
                since_ms: now - 86_400_000 + 1,
                at_most: CODES_PER_SUBJECT_DAY,
            },
        ];
        // Over a cap, the challenge is kept without its person and nothing is sent: the page
        // looks as it does for a contact nobody holds, so the cap tells nothing either.
        let sent = match self.privacy(PrivacyOp::InsertCapped { row, caps }).await? {
            Outcome::Created => found,
            Outcome::Stale => None,
            other => return Err(unexpected(other)),
        };
        let send = sent.map(|subject| CodeToSend {
            delivery: match kind {
                MaskStyle::Email => Delivery::Email {
                    to: contact.to_string(),
                },
                _ => Delivery::Sms,
            },
            subject,
            code,
        });
        Ok(Challenge {
            token: token.to_string(),
            expires_ms,
            send,
        })
    }

    /// A code by text message goes out as an event the service's webhook sends on: the subject and
    /// the code, never the number. The caller runs it apart from the answer to the person (as it
    /// sends an e-mail), so that a known number's answer takes no longer than an unknown one's.
    pub async fn announce_sms_code(
        &self,
        subject: &str,
        code: &str,
        expires_ms: i64,
    ) -> Result<(), VaultError> {
        let record = vow_store::OutboxRecord {
            seq: 0,
            id: crate::vault::new_id("evt"),
            subject_id: Some(subject.to_string()),
            kind: SMS_CODE_EVENT.into(),
            body: serde_json::json!({ "subject": subject, "code": code, "expires_ms": expires_ms })
                .to_string(),
            created_ms: self.now_ms(),
            attempts: 0,
            delivered_ms: None,
        };
        match self
            .store()
            .apply(Request::unlogged(vow_store::OutboxOp::Enqueue(record)))
            .await?
        {
            Outcome::Created | Outcome::AlreadyExists { .. } => Ok(()),
            other => Err(unexpected(other)),
        }
    }

    async fn insert_token(&self, row: PrivacyTokenRow) -> Result<(), VaultError> {
        match self.privacy(PrivacyOp::Insert(row)).await? {
            Outcome::Created => Ok(()),
            other => Err(unexpected(other)),
        }
    }

    /// Checks a code typed against its challenge; the right one opens a session.
    pub async fn verify_code(
        &self,
        challenge: &str,
        code: &str,
        source: &str,
    ) -> Result<Result<OpenedSession, CodeRefusal>, VaultError> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if !challenge.starts_with(CHALLENGE_PREFIX) || challenge.len() > 200 {
            return Ok(Err(CodeRefusal::Expired));
        }
        let outcome = self
            .privacy(PrivacyOp::TryCode {
                digest: self.digest(challenge),
                code_digest: self.code_digest(challenge, &code),
                now_ms: self.now_ms(),
                max_tries: CODE_TRIES,
            })
            .await?;
        match outcome {
            Outcome::PrivacyTokens(mut rows) => match rows.pop() {
                Some(PrivacyTokenRow {
                    subject_id: Some(subject),
                    detail,
                    ..
                }) => {
                    let method = serde_json::from_str::<TokenDetail>(&detail)
                        .map(|d| d.method)
                        .unwrap_or_else(|_| "email_code".into());
                    Ok(Ok(self.open_session(&subject, &method, source).await?))
                }
                _ => Ok(Err(CodeRefusal::Expired)),
            },
            Outcome::Stale => Ok(Err(CodeRefusal::Wrong)),
            Outcome::Closed => Ok(Err(CodeRefusal::Locked)),
            Outcome::NotFound => Ok(Err(CodeRefusal::Expired)),
            other => Err(unexpected(other)),
        }
    }

    /// A single-use link, valid 15 minutes, for a subject the service has signed in: the service's
    /// backend (a role that may export and sees every category in full) asks for it (`POST /v1/privacy-links`) and sends its user there.
    pub async fn create_privacy_link(
        &self,
        caller: &Caller,
        subject_id: &str,
    ) -> Result<PrivacyLink, VaultError> {
        // The session sees the subject's data in full and exports it: only a role that may do both
        // itself hands one out (a role that sees any value masked must not get around its mask).
        let grants = self.grants(caller)?;
        let sees_everything = self
            .policy()
            .categories
            .iter()
            .all(|c| grants.may_see_in_full(&c.key));
        if !caller.is_operator() && (!grants.may_export() || !sees_everything) {
            return Err(Self::forbidden(caller, "create privacy center links"));
        }
        let subject = self.subject(subject_id).await?;
        if subject.closed_ms.is_some() {
            return Err(VaultError::SubjectClosed);
        }
        let token = secret_token(LINK_PREFIX);
        let now = self.now_ms();
        let expires_ms = now + LINK_VALID_MS;
        let entry = self.entry(caller, Action::SignIn, Some(subject_id), &["privacy_link"]);
        match self
            .store()
            .apply(Request::logged(
                PrivacyOp::Insert(PrivacyTokenRow {
                    digest: self.digest(&token),
                    kind: TokenKind::Link.as_str().into(),
                    subject_id: Some(subject_id.to_string()),
                    request_id: None,
                    secret: None,
                    detail: serde_json::json!({ "method": "logged_in_session" }).to_string(),
                    created_ms: now,
                    expires_ms,
                    used_ms: None,
                    tries: 0,
                }),
                entry,
            ))
            .await?
        {
            Outcome::Created => Ok(PrivacyLink { token, expires_ms }),
            other => Err(unexpected(other)),
        }
    }

    /// Uses a link from the service once: a session for its subject, or `Unauthenticated` when it
    /// is unknown, used or past its time.
    pub async fn redeem_privacy_link(
        &self,
        token: &str,
        source: &str,
    ) -> Result<OpenedSession, VaultError> {
        if !token.starts_with(LINK_PREFIX) || token.len() > 200 {
            return Err(VaultError::Unauthenticated);
        }
        match self
            .privacy(PrivacyOp::Redeem {
                digest: self.digest(token),
                kind: TokenKind::Link,
                now_ms: self.now_ms(),
            })
            .await?
        {
            Outcome::PrivacyTokens(mut rows) => match rows.pop().and_then(|r| r.subject_id) {
                Some(subject) => {
                    self.open_session(&subject, "logged_in_session", source)
                        .await
                }
                None => Err(VaultError::Unauthenticated),
            },
            Outcome::NotFound => Err(VaultError::Unauthenticated),
            other => Err(unexpected(other)),
        }
    }

    async fn open_session(
        &self,
        subject_id: &str,
        method: &str,
        source: &str,
    ) -> Result<OpenedSession, VaultError> {
        let subject = self.subject(subject_id).await?;
        if subject.closed_ms.is_some() {
            return Err(VaultError::SubjectClosed);
        }
        let token = secret_token(SESSION_PREFIX);
        let now = self.now_ms();
        let caller = Caller::data_subject(subject_id, source);
        let entry = self.entry(&caller, Action::SignIn, Some(subject_id), &[method]);
        match self
            .store()
            .apply(Request::logged(
                PrivacyOp::Insert(PrivacyTokenRow {
                    digest: self.digest(&token),
                    kind: TokenKind::Session.as_str().into(),
                    subject_id: Some(subject_id.to_string()),
                    request_id: None,
                    secret: None,
                    detail: serde_json::json!({ "method": method }).to_string(),
                    created_ms: now,
                    expires_ms: now + SESSION_IDLE_MS,
                    used_ms: None,
                    tries: 0,
                }),
                entry,
            ))
            .await?
        {
            Outcome::Created => {}
            other => return Err(unexpected(other)),
        }
        let csrf = self.privacy_csrf(&token);
        Ok(OpenedSession {
            token,
            session: SubjectSession {
                subject: subject_id.to_string(),
                method: method.to_string(),
                csrf,
                caller,
            },
        })
    }

    /// The session a cookie names, if it is live (used within 30 minutes, its subject not erased or
    /// closed). Using it keeps it alive.
    pub async fn subject_session(
        &self,
        token: &str,
        source: &str,
    ) -> Result<SubjectSession, VaultError> {
        if !token.starts_with(SESSION_PREFIX) || token.len() > 200 {
            return Err(VaultError::Unauthenticated);
        }
        let digest = self.digest(token);
        let now = self.now_ms();
        let row = match self
            .privacy(PrivacyOp::Live {
                digest: digest.clone(),
                kind: TokenKind::Session,
                now_ms: now,
            })
            .await?
        {
            Outcome::PrivacyTokens(mut rows) => rows.pop(),
            other => return Err(unexpected(other)),
        }
        .filter(|row| vow_crypto::ct_eq(&row.digest, &digest))
        .ok_or(VaultError::Unauthenticated)?;
        let subject_id = row.subject_id.clone().ok_or(VaultError::Unauthenticated)?;
        match self.subject(&subject_id).await {
            Ok(subject) if subject.closed_ms.is_none() => {}
            Ok(_) | Err(VaultError::NoSubject(_)) => {
                // Erased or closed: every session and link of theirs ends, not only this one.
                for kind in [TokenKind::Session, TokenKind::Link, TokenKind::Download] {
                    self.privacy(PrivacyOp::EndAllOf {
                        subject_id: subject_id.clone(),
                        kind,
                    })
                    .await?;
                }
                return Err(VaultError::Unauthenticated);
            }
            Err(other) => return Err(other),
        }
        // Kept alive by use, but never past its absolute lifetime from the sign-in.
        let extended = (now + SESSION_IDLE_MS).min(row.created_ms + SESSION_MAX_MS);
        if extended - row.expires_ms >= SESSION_TOUCH_MS {
            self.privacy(PrivacyOp::Extend {
                digest,
                expires_ms: extended,
                now_ms: now,
            })
            .await?;
        }
        let method = serde_json::from_str::<TokenDetail>(&row.detail)
            .map(|d| d.method)
            .unwrap_or_default();
        Ok(SubjectSession {
            caller: Caller::data_subject(&subject_id, source),
            subject: subject_id,
            method,
            csrf: self.privacy_csrf(token),
        })
    }

    pub async fn end_subject_session(&self, token: &str) -> Result<(), VaultError> {
        self.privacy(PrivacyOp::End {
            digest: self.digest(token),
        })
        .await?;
        Ok(())
    }

    /// Removes the privacy center's secrets that ran out a day ago or more (the sweeper runs it).
    pub async fn prune_privacy_tokens(&self) -> Result<u64, VaultError> {
        match self
            .privacy(PrivacyOp::Prune {
                before_ms: self.now_ms() - 86_400_000,
            })
            .await?
        {
            Outcome::Removed(n) => Ok(n),
            other => Err(unexpected(other)),
        }
    }

    /// Files a request for the session's subject, recording how they proved who they are.
    pub async fn file_own_request(
        &self,
        session: &SubjectSession,
        request: SelfServiceRequest,
    ) -> Result<RightsRequest, VaultError> {
        self.file_own_request_with(session, request, None).await
    }

    /// Files a request with a power of attorney stored first ([`Vault::store_power_of_attorney`]):
    /// the upload is destroyed if the request cannot be filed, and with the request when it closes.
    pub async fn file_own_request_with(
        &self,
        session: &SubjectSession,
        request: SelfServiceRequest,
        attorney: Option<String>,
    ) -> Result<RightsRequest, VaultError> {
        let filed = self.file_own_request_inner(session, request).await;
        let Some(upload) = attorney else {
            return filed;
        };
        let filed = match filed {
            Ok(filed) => filed,
            Err(error) => {
                self.destroy_uploads(&session.caller, &session.subject, &[upload], "refused")
                    .await?;
                return Err(error);
            }
        };
        let mut detail = filed.detail.clone();
        detail.attachments.push(upload.clone());
        let row = vow_store::RightsRequestRow {
            id: filed.id.clone(),
            subject_id: filed.subject.clone(),
            kind: filed.kind.clone(),
            state: filed.state.clone(),
            received_ms: filed.received_ms,
            due_ms: filed.due_ms,
            updated_ms: self.now_ms(),
            detail: serde_json::to_string(&detail).unwrap_or_default(),
        };
        match self
            .store()
            .apply(Request::unlogged(RequestOp::UpdateRightsRequest {
                row: row.clone(),
                expected_state: filed.state.clone(),
            }))
            .await?
        {
            Outcome::Done => self.to_request(row),
            // Handled already (in the instant since): the attachment is not needed any more.
            _ => {
                self.destroy_uploads(&session.caller, &session.subject, &[upload], "refused")
                    .await?;
                Ok(filed)
            }
        }
    }

    async fn file_own_request_inner(
        &self,
        session: &SubjectSession,
        request: SelfServiceRequest,
    ) -> Result<RightsRequest, VaultError> {
        let answer_by = match request.answer_by.as_str() {
            "" | "privacy_center" => "privacy_center",
            "email" => "email",
            "post" => "post",
            _ => {
                return Err(VaultError::Invalid {
                    what: "answer_by",
                    why: "must be privacy_center, email or post".into(),
                })
            }
        };
        self.file_request(
            &session.caller,
            NewRequest {
                subject: session.subject.clone(),
                kind: request.kind,
                jurisdiction: request.jurisdiction,
                verification: Verification {
                    method: session.method.clone(),
                    by: Some(format!("privacy center; answer by {answer_by}")),
                    representative: request.representative,
                },
                categories: request.categories,
                at_ms: None,
            },
        )
        .await
    }

    /// Keeps a representative's power of attorney for the session's subject, encrypted like any
    /// upload, until the request it is filed with closes. A PDF, PNG or JPEG of at most
    /// [`ATTORNEY_MAX_BYTES`]; the bytes must be what the type says.
    pub async fn store_power_of_attorney(
        &self,
        session: &SubjectSession,
        content_type: Option<&str>,
        body: &mut (impl tokio::io::AsyncRead + Unpin),
    ) -> Result<String, VaultError> {
        let media_type = crate::uploads::media_type(content_type)?;
        if !ATTORNEY_TYPES.contains(&media_type.as_str()) {
            return Err(VaultError::Invalid {
                what: "power of attorney",
                why: "must be a PDF, PNG or JPEG file".into(),
            });
        }
        let mut checked = MagicCheck::new(&media_type, body);
        let stored = self
            .store_upload(
                &session.caller,
                &session.subject,
                ATTORNEY_CATEGORY,
                media_type,
                &mut checked,
                ATTORNEY_MAX_BYTES,
            )
            .await?;
        if !checked.matched() {
            self.destroy_uploads(&session.caller, &session.subject, &[stored.id], "refused")
                .await?;
            return Err(VaultError::Invalid {
                what: "power of attorney",
                why: "the file is not what its type says (PDF, PNG or JPEG)".into(),
            });
        }
        Ok(stored.id)
    }

    /// Destroys powers of attorney a form stored but that no request will hold (the form broke off
    /// after them, came with more than one, or named no representative), through the ledger.
    pub async fn discard_powers_of_attorney(
        &self,
        session: &SubjectSession,
        ids: &[String],
    ) -> Result<(), VaultError> {
        self.destroy_uploads(&session.caller, &session.subject, ids, "refused")
            .await
    }

    /// Destroys uploads of a subject now, each a line in the destruction ledger.
    pub(crate) async fn destroy_uploads(
        &self,
        caller: &Caller,
        subject_id: &str,
        ids: &[String],
        rule: &str,
    ) -> Result<(), VaultError> {
        caller.may_reach(subject_id)?;
        if ids.is_empty() {
            return Ok(());
        }
        let disposals = ids
            .iter()
            .map(|id| vow_store::Disposal::Destroy {
                piece: vow_store::Piece::Upload { id: id.clone() },
                category: ATTORNEY_CATEGORY.to_string(),
                rule: rule.to_string(),
                basis: "request".into(),
                law: None,
            })
            .collect();
        let request = self.disposal_request(caller, subject_id, disposals, "request_closed", false);
        match self.store().apply(request).await? {
            Outcome::Disposed(done) => {
                self.remove_upload_files(&done.uploads);
                Ok(())
            }
            // The subject was erased meanwhile, and the upload with it.
            Outcome::NotFound => Ok(()),
            other => Err(unexpected(other)),
        }
    }

    /// Destroys what was filed with a request that has closed.
    pub(crate) async fn destroy_attachments(
        &self,
        caller: &Caller,
        request: &RightsRequest,
    ) -> Result<(), VaultError> {
        self.destroy_uploads(
            caller,
            &request.subject,
            &request.detail.attachments,
            "request_closed",
        )
        .await
    }

    /// The session's subject's requests, newest first.
    pub async fn own_requests(
        &self,
        session: &SubjectSession,
    ) -> Result<Vec<RightsRequest>, VaultError> {
        match self
            .store()
            .apply(Request::unlogged(RequestOp::RightsRequestsOf {
                subject_ids: vec![session.subject.clone()],
            }))
            .await?
        {
            Outcome::RightsRequests(rows) => rows
                .into_iter()
                .filter(|r| r.subject_id == session.subject)
                .map(|r| self.to_request(r))
                .collect(),
            other => Err(unexpected(other)),
        }
    }

    /// One of the session's subject's requests; another person's is `NoRequest`, as an unknown one.
    pub async fn own_request(
        &self,
        session: &SubjectSession,
        id: &str,
    ) -> Result<RightsRequest, VaultError> {
        let request = self.load_request(id).await?;
        if request.subject != session.subject {
            return Err(VaultError::NoRequest);
        }
        Ok(request)
    }

    /// A single-use link, valid 24 hours, to download the answer to a completed access or
    /// portability request of the session's subject.
    pub async fn package_link(
        &self,
        session: &SubjectSession,
        request_id: &str,
        format: PackageFormat,
    ) -> Result<PrivacyLink, VaultError> {
        let request = self.own_request(session, request_id).await?;
        if request.state != "completed"
            || !matches!(request.kind.as_str(), "access" | "portability")
        {
            return Err(VaultError::RequestState {
                state: request.state,
                why: "only a completed access or portability request has an answer to download"
                    .into(),
            });
        }
        let token = secret_token(DOWNLOAD_PREFIX);
        let now = self.now_ms();
        let expires_ms = now + DOWNLOAD_VALID_MS;
        self.insert_token(PrivacyTokenRow {
            digest: self.digest(&token),
            kind: TokenKind::Download.as_str().into(),
            subject_id: Some(session.subject.clone()),
            request_id: Some(request.id),
            secret: None,
            detail: serde_json::to_string(&TokenDetail {
                method: session.method.clone(),
                format: Some(format),
            })
            .unwrap_or_default(),
            created_ms: now,
            expires_ms,
            used_ms: None,
            tries: 0,
        })
        .await?;
        Ok(PrivacyLink { token, expires_ms })
    }

    /// A download link that is live and the session's own: until when it works. Another's, used,
    /// past its time or unknown is `Unauthenticated`.
    pub async fn download_ready(
        &self,
        session: &SubjectSession,
        token: &str,
    ) -> Result<i64, VaultError> {
        if !token.starts_with(DOWNLOAD_PREFIX) || token.len() > 200 {
            return Err(VaultError::Unauthenticated);
        }
        match self
            .privacy(PrivacyOp::Live {
                digest: self.digest(token),
                kind: TokenKind::Download,
                now_ms: self.now_ms(),
            })
            .await?
        {
            Outcome::PrivacyTokens(rows) => match rows.first() {
                Some(row) if row.subject_id.as_deref() == Some(session.subject.as_str()) => {
                    Ok(row.expires_ms)
                }
                _ => Err(VaultError::Unauthenticated),
            },
            other => Err(unexpected(other)),
        }
    }

    /// Downloads an answer once, in the session of the person it is for (a link alone, copied
    /// from a history or a proxy's log, opens nothing): the export as the person may see it (in
    /// full), logged as an export by them. A link not theirs, used, past its time or unknown is
    /// `Unauthenticated`.
    pub async fn download_package(
        &self,
        session: &SubjectSession,
        token: &str,
    ) -> Result<(PackageFormat, String, AccessExport), VaultError> {
        self.download_ready(session, token).await?;
        let row = match self
            .privacy(PrivacyOp::Redeem {
                digest: self.digest(token),
                kind: TokenKind::Download,
                now_ms: self.now_ms(),
            })
            .await?
        {
            Outcome::PrivacyTokens(mut rows) => rows.pop().ok_or(VaultError::Unauthenticated)?,
            Outcome::NotFound => return Err(VaultError::Unauthenticated),
            other => return Err(unexpected(other)),
        };
        let format = serde_json::from_str::<TokenDetail>(&row.detail)
            .ok()
            .and_then(|d| d.format)
            .unwrap_or(PackageFormat::Json);
        let mut caller = session.caller.clone();
        caller.reason = Some(format!(
            "privacy center: the answer to {} downloaded",
            row.request_id.as_deref().unwrap_or("a request")
        ));
        let export = self.access_export(&caller, &session.subject).await?;
        Ok((format, row.request_id.unwrap_or_default(), export))
    }

    /// The session's subject's consents and their history.
    pub async fn own_consents(
        &self,
        session: &SubjectSession,
    ) -> Result<SubjectConsents, VaultError> {
        self.consents(&session.caller, &session.subject).await
    }

    /// Gives or withdraws one of the session's subject's consents, with the privacy center as the
    /// evidence and the policy's wording as they read it.
    pub async fn change_own_consent(
        &self,
        session: &SubjectSession,
        purpose: &str,
        channel: Option<String>,
        night: bool,
        granted: bool,
        wording: Option<String>,
    ) -> Result<ConsentRecorded, VaultError> {
        self.record_consent(
            &session.caller,
            &session.subject,
            ConsentChange {
                purpose: purpose.to_string(),
                channel,
                night,
                granted,
                evidence: Evidence {
                    method: "privacy_center".into(),
                    location: Some("/privacy/consent".into()),
                    wording,
                },
                at_ms: None,
                by_guardian: false,
            },
        )
        .await
    }
}

/// The built-in grants of [`SELF_SERVICE_ROLE`]: every category of the policy read in full (it is
/// the person's own data), export, and their own consents; nothing else.
pub(crate) fn self_service_role(policy: &vow_policy::Policy) -> vow_policy::model::Role {
    vow_policy::model::Role {
        key: SELF_SERVICE_ROLE.into(),
        label: Default::default(),
        read: Vec::new(),
        write: Vec::new(),
        full_view: policy.categories.iter().map(|c| c.key.clone()).collect(),
        erase: false,
        export: true,
        admin: false,
        lookup: Some(Vec::new()),
        lookups_per_minute: Some(0),
        consents: true,
        separated: false,
        requests: false,
        send_to: Vec::new(),
    }
}

/// Reads through to the upload while checking that its first bytes are those of the type it
/// claims (`%PDF-`, the PNG signature, the JPEG SOI marker): a script or a page sent as a "PDF" is
/// refused and destroyed.
struct MagicCheck<'r, R> {
    inner: &'r mut R,
    expected: &'static [u8],
    seen: Vec<u8>,
}

impl<'r, R> MagicCheck<'r, R> {
    fn new(media_type: &str, inner: &'r mut R) -> MagicCheck<'r, R> {
        let expected: &'static [u8] = match media_type {
            "application/pdf" => b"%PDF-",
            "image/png" => b"\x89PNG\r\n\x1a\n",
            _ => b"\xff\xd8\xff",
        };
        MagicCheck {
            inner,
            expected,
            seen: Vec::new(),
        }
    }

    fn matched(&self) -> bool {
        self.seen.starts_with(self.expected)
    }
}

impl<R: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for MagicCheck<'_, R> {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = std::pin::Pin::new(&mut *this.inner).poll_read(cx, buf);
        if this.seen.len() < this.expected.len() {
            let fresh = &buf.filled()[before..];
            let want = this.expected.len() - this.seen.len();
            this.seen.extend_from_slice(&fresh[..fresh.len().min(want)]);
        }
        polled
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Arc;

    use super::{ATTORNEY_CATEGORY, ATTORNEY_MAX_BYTES};
    use crate::vault::{Caller, Vault, VaultConfig, VaultError};

    fn caller(role: &str) -> Caller {
        Caller {
            key_id: format!("key_{role}"),
            role: role.into(),
            source: "127.0.0.1".into(),
            reason: None,
            purpose: None,
        }
    }

    /// A person's caller names another subject for an upload, to store one or to destroy one: it
    /// is answered as for a subject that does not exist, and nothing is stored or destroyed.
    #[tokio::test]
    async fn a_persons_caller_stores_and_destroys_no_upload_of_another_subject() {
        let dir = tempfile::tempdir().unwrap();
        let policy = std::fs::read_to_string(format!(
            "{}/../../examples/policies/imagesfactory.toml",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let key_file = dir.path().join("vow.keys");
        let (keys, _) = vow_crypto::KeyRing::load_or_create(&key_file).unwrap();
        let vault = Vault::new(VaultConfig {
            policy: vow_policy::parse(policy.as_bytes(), "test policy").unwrap(),
            keys,
            key_file: Some(key_file),
            store: vow_store::Store::open(
                &vow_store::Location::Directory(dir.path().join("data")),
                vow_store::StoreOptions::default(),
            )
            .unwrap(),
            clock: Arc::new(crate::SystemClock),
            checkpoints: None,
        })
        .with_uploads(dir.path().join("uploads"));
        let service = caller("service");
        let officer = caller("privacy_officer");
        let theirs = vault
            .create_subject(&service, "u-theirs", "member")
            .await
            .unwrap();
        let mine = vault
            .create_subject(&service, "u-mine", "member")
            .await
            .unwrap();
        let link = vault.create_privacy_link(&officer, &theirs).await.unwrap();
        let them = vault
            .redeem_privacy_link(&link.token, "10.0.0.6")
            .await
            .unwrap()
            .session;
        let mut pdf: &[u8] = b"%PDF-1.7\n%%EOF\n";
        let upload = vault
            .store_power_of_attorney(&them, Some("application/pdf"), &mut pdf)
            .await
            .unwrap();
        let me = Caller::data_subject(&mine, "10.0.0.7");

        assert!(matches!(
            vault
                .destroy_uploads(&me, &theirs, std::slice::from_ref(&upload), "refused")
                .await,
            Err(VaultError::NoSubject(_))
        ));
        assert!(vault.get_upload(&officer, &theirs, &upload).await.is_ok());

        let mut pdf: &[u8] = b"%PDF-1.7\n%%EOF\n";
        assert!(matches!(
            vault
                .store_upload(
                    &me,
                    &theirs,
                    ATTORNEY_CATEGORY,
                    "application/pdf".into(),
                    &mut pdf,
                    ATTORNEY_MAX_BYTES,
                )
                .await,
            Err(VaultError::NoSubject(_))
        ));
        let files = std::fs::read_dir(dir.path().join("uploads"))
            .unwrap()
            .count();
        assert_eq!(files, 1, "only their own upload is on disk");
    }
}
