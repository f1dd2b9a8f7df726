//! The people who use the privacy officer's console, apart from API keys (안전성 확보조치 기준
//! 제5조, 제6조): each is added by an administrator under one `[[role]]` of the policy, enrols once
//! through a link that works for 24 hours (a password and a TOTP second factor), signs in with both,
//! and acts as a [`Caller`] whose key id is their own id — so every read a console page makes is in
//! the access log under the person, masked as their role's grants say.
//!
//! Nothing personal is kept in the clear: the e-mail is sealed (found through its blind index), the
//! password is an Argon2id hash, the TOTP secret is sealed, and tokens (enrolment, session) are kept
//! only as keyed digests. Every grant, enrolment, disabling and revocation is kept in the grant
//! history, never deleted.

use serde::Serialize;
use vow_audit::Action;
use vow_crypto::{Binding, TotpSecret, WrappedKey, Zeroizing, WRAPPED_KEY_LEN};
use vow_store::{
    ConsoleOp, ConsoleSessionRow, ConsoleUserRow, FindingRow, GrantRow, Outcome, Request,
    SignOffRow, UserKey,
};

use crate::vault::{clip, list, new_id, unexpected, Caller, Vault, VaultError};

/// How long an enrolment link works.
pub const ENROL_VALID_MS: i64 = 24 * 3_600_000;
/// A session nobody used for this long is over (제6조: sign out after a period of inactivity).
pub const SESSION_IDLE_MS: i64 = 30 * 60_000;
/// A session's last use is written at most this often, so reading pages is not a write each.
const SESSION_TOUCH_MS: i64 = 60_000;
/// The shortest password accepted (KISA's guidance: ten characters of two kinds, or eight of three).
pub const MIN_PASSWORD_CHARS: usize = 10;
const MAX_PASSWORD_BYTES: usize = 1024;
const MAX_EMAIL_BYTES: usize = 254;
/// Prefixes of the secrets the console hands out, so a secret scanner can recognise a leaked one.
pub const SESSION_PREFIX: &str = "vcs_";
pub const ENROL_PREFIX: &str = "vce_";
/// The category the console users' e-mails are indexed and sealed under (not a policy category:
/// staff are not the service's subjects).
const EMAIL_CATEGORY: &str = "console.email";
const TOTP_CATEGORY: &str = "console.totp";

/// An Argon2id hash of a random secret nobody knows, checked when the e-mail is unknown so that an
/// unknown e-mail takes as long to refuse as a wrong password.
fn decoy_phc() -> String {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY
        .get_or_init(|| vow_crypto::hash_secret(&vow_crypto::new_api_secret()).unwrap_or_default())
        .clone()
}

/// A console user as pages and the command line show them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConsoleUser {
    pub id: String,
    pub email: String,
    pub role: String,
    pub created_ms: i64,
    pub created_by: String,
    pub enrolled_ms: Option<i64>,
    pub disabled_ms: Option<i64>,
    /// An enrolment link is outstanding (and not expired).
    pub enrol_pending: bool,
}

/// A user just added or sent back to enrol: the link's token exists only here.
pub struct NewEnrolment {
    pub user: ConsoleUser,
    pub token: Zeroizing<String>,
    pub expires_ms: i64,
}

impl std::fmt::Debug for NewEnrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewEnrolment")
            .field("user", &self.user.id)
            .field("expires_ms", &self.expires_ms)
            .finish_non_exhaustive()
    }
}

/// An enrolment link that still works: who it is for and the TOTP secret to show them. The secret
/// is derived from the link's token, so the page that shows it and the form that confirms it agree
/// without keeping it anywhere in between.
#[derive(Debug)]
pub struct PendingEnrolment {
    pub user_id: String,
    pub email: String,
    pub role: String,
    pub totp: TotpSecret,
    pub expires_ms: i64,
}

/// A signed-in person, for one request.
#[derive(Clone, Debug)]
pub struct ConsoleSession {
    pub user: ConsoleUser,
    /// Who the vault sees: the user's id and role.
    pub caller: Caller,
    /// The token every form of this session carries (derived from the session, compared in
    /// constant time by [`ConsoleSession::csrf_matches`]).
    pub csrf: String,
}

impl ConsoleSession {
    pub fn csrf_matches(&self, submitted: &str) -> bool {
        vow_crypto::ct_eq(self.csrf.as_bytes(), submitted.as_bytes())
    }
}

/// A sign-in that succeeded: the session's token goes into a cookie and is kept nowhere else.
pub struct SignedIn {
    pub token: Zeroizing<String>,
    pub session: ConsoleSession,
}

impl std::fmt::Debug for SignedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedIn")
            .field("user", &self.session.user.id)
            .finish_non_exhaustive()
    }
}

/// One change of who may access what.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GrantChange {
    pub seq: i64,
    pub at_ms: i64,
    pub actor: String,
    pub grantee: String,
    pub role: String,
    pub change: String,
}

impl From<GrantRow> for GrantChange {
    fn from(row: GrantRow) -> Self {
        GrantChange {
            seq: row.seq,
            at_ms: row.at_ms,
            actor: row.actor,
            grantee: row.grantee,
            role: row.role,
            change: row.change,
        }
    }
}

/// A period signed off.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignOff {
    pub kind: String,
    pub period: String,
    pub by_user: String,
    pub at_ms: i64,
    pub note: String,
}

/// What an officer noted on one access-log entry while reviewing a month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The entry's chain (0 unless several servers write the log).
    pub entry_chain: i64,
    pub entry_seq: i64,
    pub by_user: String,
    pub at_ms: i64,
    pub note: String,
}

/// What the officer signs: the month's access-log review or the month's destruction ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignOffKind {
    Review,
    Ledger,
}

impl SignOffKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SignOffKind::Review => "review",
            SignOffKind::Ledger => "ledger",
        }
    }
}

fn email_of(text: &str) -> Result<String, VaultError> {
    let email = text.trim().to_lowercase();
    let valid = email.len() <= MAX_EMAIL_BYTES
        && !email.chars().any(|c| c.is_control() || c.is_whitespace())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if valid {
        Ok(email)
    } else {
        Err(VaultError::Invalid {
            what: "e-mail address",
            why: format!("expected name@example.com, at most {MAX_EMAIL_BYTES} bytes"),
        })
    }
}

fn password_problem(password: &str, email: &str) -> Option<String> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Some(format!("at least {MIN_PASSWORD_CHARS} characters"));
    }
    if password.len() > MAX_PASSWORD_BYTES || password.chars().any(char::is_control) {
        return Some(format!(
            "at most {MAX_PASSWORD_BYTES} bytes, no control characters"
        ));
    }
    let local = email.split('@').next().unwrap_or_default();
    if local.len() >= 3 && password.to_lowercase().contains(local) {
        return Some("not containing the e-mail address".to_string());
    }
    let kinds = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_numeric()),
        password.chars().any(|c| !c.is_alphanumeric()),
        password.chars().any(|c| c.is_alphabetic() && !c.is_ascii()),
    ];
    if kinds.iter().filter(|k| **k).count() < 2 {
        return Some("at least two kinds of character (letters, digits, symbols)".to_string());
    }
    None
}

impl Vault {
    fn console_key(&self, user_id: &str, category: &str) -> String {
        format!("{user_id}\u{1f}{category}")
    }

    /// Seals a console user's value with a data key of its own, wrapped and kept in front of the
    /// ciphertext: `wrapped key || envelope`.
    fn seal_for_user(
        &self,
        user_id: &str,
        category: &str,
        value: &[u8],
    ) -> Result<Vec<u8>, VaultError> {
        let keys = self.keys();
        let owner = self.console_key(user_id, category);
        let (key, wrapped) = keys.new_data_key(&owner)?;
        let mut sealed = wrapped.to_bytes();
        sealed.extend(key.seal(
            value,
            &Binding {
                subject_id: user_id,
                category,
            },
        )?);
        Ok(sealed)
    }

    fn open_for_user(
        &self,
        user_id: &str,
        category: &str,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, VaultError> {
        if sealed.len() <= WRAPPED_KEY_LEN {
            return Err(VaultError::Invalid {
                what: "stored console user",
                why: "a sealed value is too short".into(),
            });
        }
        let (wrapped, envelope) = sealed.split_at(WRAPPED_KEY_LEN);
        let keys = self.keys();
        let wrapped = WrappedKey::from_bytes(wrapped)?;
        let key = keys.unwrap_key(&wrapped, &self.console_key(user_id, category))?;
        Ok(key.open(
            envelope,
            &Binding {
                subject_id: user_id,
                category,
            },
        )?)
    }

    fn console_user(&self, row: &ConsoleUserRow) -> ConsoleUser {
        let email = self
            .open_for_user(&row.id, EMAIL_CATEGORY, &row.email_sealed)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes.to_vec()).ok())
            .unwrap_or_else(|| "(unreadable: sealed under a retired key)".to_string());
        ConsoleUser {
            id: row.id.clone(),
            email,
            role: row.role.clone(),
            created_ms: row.created_ms,
            created_by: row.created_by.clone(),
            enrolled_ms: row.enrolled_ms,
            disabled_ms: row.disabled_ms,
            enrol_pending: row
                .enrol_expires_ms
                .is_some_and(|expires| expires > self.now_ms()),
        }
    }

    async fn console(&self, op: ConsoleOp) -> Result<Outcome, VaultError> {
        Ok(self.store().apply(Request::unlogged(op)).await?)
    }

    async fn user_row(&self, key: UserKey) -> Result<Option<ConsoleUserRow>, VaultError> {
        match self.console(ConsoleOp::User(key)).await? {
            Outcome::ConsoleUsers(mut rows) => Ok(rows.pop()),
            other => Err(unexpected(other)),
        }
    }

    fn known_role(&self, role: &str) -> Result<(), VaultError> {
        if self.policy().roles.iter().any(|r| r.key == role) {
            Ok(())
        } else {
            Err(VaultError::UnknownRole {
                role: clip(role),
                allowed: list(self.policy().roles.iter().map(|r| r.key.as_str())),
            })
        }
    }

    /// Keeps one change in the grant history (never deleted; shown on the access-rights page).
    pub(crate) async fn record_grant(
        &self,
        actor: &Caller,
        grantee: String,
        role: &str,
        change: &str,
    ) -> Result<(), VaultError> {
        match self
            .console(ConsoleOp::RecordGrant(GrantRow {
                seq: 0,
                at_ms: self.now_ms(),
                actor: actor.key_id.clone(),
                grantee,
                role: role.to_string(),
                change: change.to_string(),
            }))
            .await?
        {
            Outcome::Created => Ok(()),
            other => Err(unexpected(other)),
        }
    }

    fn enrol_token(&self) -> (Zeroizing<String>, [u8; 32]) {
        let token = Zeroizing::new(format!(
            "{ENROL_PREFIX}{}",
            &vow_crypto::new_api_secret()[vow_crypto::API_SECRET_PREFIX.len()..]
        ));
        let digest = self.keys().api_key_digest(&token);
        (token, digest)
    }

    /// Adds a person under a role of the policy and returns their one-time enrolment link's token.
    pub async fn add_console_user(
        &self,
        caller: &Caller,
        email: &str,
        role: &str,
    ) -> Result<NewEnrolment, VaultError> {
        self.require_admin(caller)?;
        let email = email_of(email)?;
        self.known_role(role)?;
        let id = new_id("usr");
        let (token, digest) = self.enrol_token();
        let now = self.now_ms();
        let row = ConsoleUserRow {
            id: id.clone(),
            email_index: self.keys().blind_index(EMAIL_CATEGORY, &email).to_vec(),
            email_sealed: self.seal_for_user(&id, EMAIL_CATEGORY, email.as_bytes())?,
            role: role.to_string(),
            password_phc: None,
            totp_sealed: None,
            totp_last_step: 0,
            enrol_digest: Some(digest.to_vec()),
            enrol_expires_ms: Some(now + ENROL_VALID_MS),
            created_ms: now,
            created_by: caller.key_id.clone(),
            enrolled_ms: None,
            disabled_ms: None,
        };
        let mut entry = self.entry(caller, Action::KeyCreate, None, &[]);
        entry.reason = Some(crate::vault::with_reason(
            format!("added console user {id} with role {role}"),
            &caller.reason,
        ));
        match self
            .store()
            .apply(Request::logged(ConsoleOp::AddUser(row.clone()), entry))
            .await?
        {
            Outcome::Created => {}
            Outcome::AlreadyExists { .. } => {
                return Err(VaultError::Invalid {
                    what: "e-mail address",
                    why: "a console user with this address exists; disable it or send it a new enrolment link (vow users reenrol)".into(),
                })
            }
            other => return Err(unexpected(other)),
        }
        self.record_grant(caller, format!("user:{id}"), role, "granted")
            .await?;
        Ok(NewEnrolment {
            user: self.console_user(&row),
            token,
            expires_ms: now + ENROL_VALID_MS,
        })
    }

    /// A new enrolment link for a user who lost their phone or password: the old password and second
    /// factor stop working and their sessions end.
    pub async fn reenrol_console_user(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<NewEnrolment, VaultError> {
        self.require_admin(caller)?;
        let (token, digest) = self.enrol_token();
        let expires_ms = self.now_ms() + ENROL_VALID_MS;
        match self
            .console(ConsoleOp::Reenrol {
                id: id.to_string(),
                enrol_digest: digest.to_vec(),
                enrol_expires_ms: expires_ms,
            })
            .await?
        {
            Outcome::Done => {}
            Outcome::NotFound => return Err(no_user(id)),
            other => return Err(unexpected(other)),
        }
        let row = self
            .user_row(UserKey::Id(id.to_string()))
            .await?
            .ok_or_else(|| no_user(id))?;
        self.record_grant(caller, format!("user:{id}"), &row.role, "reenrol")
            .await?;
        Ok(NewEnrolment {
            user: self.console_user(&row),
            token,
            expires_ms,
        })
    }

    /// Disables a user: they cannot sign in, and every session of theirs ends at once.
    pub async fn disable_console_user(&self, caller: &Caller, id: &str) -> Result<(), VaultError> {
        self.require_admin(caller)?;
        let row = self
            .user_row(UserKey::Id(id.to_string()))
            .await?
            .ok_or_else(|| no_user(id))?;
        let mut entry = self.entry(caller, Action::KeyRevoke, None, &[]);
        entry.reason = Some(crate::vault::with_reason(
            format!("disabled console user {}", clip(id)),
            &caller.reason,
        ));
        match self
            .store()
            .apply(Request::logged(
                ConsoleOp::DisableUser {
                    id: id.to_string(),
                    at_ms: self.now_ms(),
                },
                entry,
            ))
            .await?
        {
            Outcome::Done => {}
            Outcome::NotFound => {
                return Err(VaultError::Invalid {
                    what: "user id",
                    why: format!("no console user {} that is not disabled already", clip(id)),
                })
            }
            other => return Err(unexpected(other)),
        }
        self.record_grant(caller, format!("user:{id}"), &row.role, "disabled")
            .await
    }

    pub async fn console_users(&self, caller: &Caller) -> Result<Vec<ConsoleUser>, VaultError> {
        self.require_admin(caller)?;
        self.all_console_users().await
    }

    /// Every console user, for labelling the access log's key ids (no permission: ids and e-mails
    /// of staff, shown only to whoever already reads the log).
    pub(crate) async fn all_console_users(&self) -> Result<Vec<ConsoleUser>, VaultError> {
        match self.console(ConsoleOp::ListUsers).await? {
            Outcome::ConsoleUsers(rows) => Ok(rows.iter().map(|r| self.console_user(r)).collect()),
            other => Err(unexpected(other)),
        }
    }

    /// Who an id in a record names — a console user's e-mail or an API key's label — for the pages
    /// that show who handled, signed or confirmed something. For whoever answers requests or
    /// administers access.
    pub async fn staff_names(
        &self,
        caller: &Caller,
    ) -> Result<std::collections::BTreeMap<String, String>, VaultError> {
        let allowed = caller.is_operator() || {
            let grants = self.grants(caller)?;
            grants.may_handle_requests() || grants.is_admin()
        };
        if !allowed {
            return Err(Self::forbidden(caller, "read the names of staff"));
        }
        let mut names: std::collections::BTreeMap<String, String> = self
            .all_api_keys()
            .await?
            .into_iter()
            .map(|k| {
                let name = if k.label.is_empty() {
                    k.id.clone()
                } else {
                    k.label
                };
                (k.id, name)
            })
            .collect();
        for user in self.all_console_users().await? {
            names.insert(user.id, user.email);
        }
        Ok(names)
    }

    /// The grant history, newest first: users and API keys granted, enrolled, disabled, revoked.
    pub async fn grant_history(
        &self,
        caller: &Caller,
        before_seq: Option<i64>,
        limit: usize,
    ) -> Result<Vec<GrantChange>, VaultError> {
        self.require_admin(caller)?;
        match self
            .console(ConsoleOp::Grants {
                before_seq,
                limit: limit.min(1000),
            })
            .await?
        {
            Outcome::Grants(rows) => Ok(rows.into_iter().map(GrantChange::from).collect()),
            other => Err(unexpected(other)),
        }
    }

    fn totp_of_token(&self, token: &str) -> Result<TotpSecret, VaultError> {
        let derived = self
            .keys()
            .api_key_digest(&format!("vow.console.totp.v1\u{1f}{token}"));
        Ok(TotpSecret::from_bytes(
            &derived[..vow_crypto::TOTP_SECRET_LEN],
        )?)
    }

    /// The enrolment a link's token opens, if it still works. Unknown, used and expired tokens get
    /// the same answer.
    pub async fn pending_enrolment(&self, token: &str) -> Result<PendingEnrolment, VaultError> {
        if !token.starts_with(ENROL_PREFIX) || token.len() > 200 {
            return Err(VaultError::Unauthenticated);
        }
        let digest = self.keys().api_key_digest(token);
        let row = self
            .user_row(UserKey::EnrolDigest(digest.to_vec()))
            .await?
            .filter(|row| {
                row.disabled_ms.is_none()
                    && row.enrol_expires_ms.is_some_and(|e| e > self.now_ms())
                    && row
                        .enrol_digest
                        .as_deref()
                        .is_some_and(|d| vow_crypto::ct_eq(d, &digest))
            })
            .ok_or(VaultError::Unauthenticated)?;
        let user = self.console_user(&row);
        Ok(PendingEnrolment {
            user_id: row.id,
            email: user.email,
            role: row.role,
            totp: self.totp_of_token(token)?,
            expires_ms: row.enrol_expires_ms.unwrap_or_default(),
        })
    }

    /// Completes an enrolment: the password (checked for length and kinds of character) and a code
    /// from the authenticator app that proves the second factor was set up. The link then stops
    /// working.
    pub async fn complete_enrolment(
        &self,
        token: &str,
        password: &str,
        code: &str,
    ) -> Result<ConsoleUser, VaultError> {
        let pending = self.pending_enrolment(token).await?;
        if let Some(problem) = password_problem(password, &pending.email) {
            return Err(VaultError::Invalid {
                what: "password",
                why: problem,
            });
        }
        if pending
            .totp
            .verify(code, self.now_ms().div_euclid(1000))
            .is_none()
        {
            return Err(VaultError::Invalid {
                what: "one-time code",
                why: "it does not match the authenticator app's current code; check the phone's clock and type the six digits shown now".into(),
            });
        }
        let password = Zeroizing::new(password.to_string());
        let phc = self
            .hash_work(move || vow_crypto::hash_secret(&password))
            .await??;
        let totp_sealed =
            self.seal_for_user(&pending.user_id, TOTP_CATEGORY, pending.totp.as_bytes())?;
        let digest = self.keys().api_key_digest(token);
        match self
            .console(ConsoleOp::Enrol {
                id: pending.user_id.clone(),
                enrol_digest: digest.to_vec(),
                now_ms: self.now_ms(),
                password_phc: phc,
                totp_sealed,
            })
            .await?
        {
            Outcome::Done => {}
            Outcome::NotFound => return Err(VaultError::Unauthenticated),
            other => return Err(unexpected(other)),
        }
        let operator = Caller::operator(None);
        let actor = Caller {
            key_id: pending.user_id.clone(),
            ..operator
        };
        self.record_grant(
            &actor,
            format!("user:{}", pending.user_id),
            &pending.role,
            "enrolled",
        )
        .await?;
        let row = self
            .user_row(UserKey::Id(pending.user_id.clone()))
            .await?
            .ok_or_else(|| no_user(&pending.user_id))?;
        Ok(self.console_user(&row))
    }

    /// Signs a person in with e-mail, password and a TOTP code. Unknown e-mail, wrong password, wrong
    /// or reused code, a user not enrolled and a disabled one all get the same answer, after the same
    /// password hashing work.
    pub async fn console_sign_in(
        &self,
        email: &str,
        password: &str,
        code: &str,
        source: &str,
    ) -> Result<SignedIn, VaultError> {
        let result = self.try_sign_in(email, password, code, source).await;
        if matches!(result, Err(VaultError::Unauthenticated)) {
            self.log_failed_sign_in(source).await?;
        }
        result
    }

    async fn try_sign_in(
        &self,
        email: &str,
        password: &str,
        code: &str,
        source: &str,
    ) -> Result<SignedIn, VaultError> {
        let row = match email_of(email) {
            Ok(email) => {
                self.user_row(UserKey::EmailIndex(
                    self.keys().blind_index(EMAIL_CATEGORY, &email).to_vec(),
                ))
                .await?
            }
            Err(_) => None,
        };
        let phc = row.as_ref().and_then(|r| r.password_phc.clone());
        let candidate = Zeroizing::new(password.to_string());
        let password_ok = self
            .hash_work(move || {
                let phc = phc.unwrap_or_else(decoy_phc);
                vow_crypto::verify_secret(&phc, &candidate)
            })
            .await?;
        let Some(row) =
            row.filter(|r| password_ok && r.disabled_ms.is_none() && r.password_phc.is_some())
        else {
            return Err(VaultError::Unauthenticated);
        };
        let Some(totp_sealed) = row.totp_sealed.as_deref() else {
            return Err(VaultError::Unauthenticated);
        };
        let secret =
            TotpSecret::from_bytes(&self.open_for_user(&row.id, TOTP_CATEGORY, totp_sealed)?)?;
        let Some(step) = secret.verify(code, self.now_ms().div_euclid(1000)) else {
            return Err(VaultError::Unauthenticated);
        };
        match self
            .console(ConsoleOp::AcceptTotpStep {
                id: row.id.clone(),
                step,
            })
            .await?
        {
            Outcome::Done => {}
            // The code was used already (or an older one): one code signs in once.
            Outcome::Stale | Outcome::NotFound => return Err(VaultError::Unauthenticated),
            other => return Err(unexpected(other)),
        }
        let token = Zeroizing::new(format!(
            "{SESSION_PREFIX}{}",
            &vow_crypto::new_api_secret()[vow_crypto::API_SECRET_PREFIX.len()..]
        ));
        let digest = self.keys().api_key_digest(&token);
        let now = self.now_ms();
        let user = self.console_user(&row);
        let caller = self.caller_of(&user, source);
        let entry = self.entry(&caller, Action::SignIn, None, &[]);
        match self
            .store()
            .apply(Request::logged(
                ConsoleOp::CreateSession(ConsoleSessionRow {
                    digest: digest.to_vec(),
                    user_id: row.id.clone(),
                    created_ms: now,
                    last_seen_ms: now,
                }),
                entry,
            ))
            .await?
        {
            Outcome::Created => {}
            other => return Err(unexpected(other)),
        }
        let csrf = self.csrf_of(&token);
        Ok(SignedIn {
            token,
            session: ConsoleSession { user, caller, csrf },
        })
    }

    fn caller_of(&self, user: &ConsoleUser, source: &str) -> Caller {
        Caller {
            key_id: user.id.clone(),
            role: user.role.clone(),
            source: source.to_string(),
            reason: None,
            purpose: None,
        }
    }

    fn csrf_of(&self, token: &str) -> String {
        hex::encode(
            &self
                .keys()
                .api_key_digest(&format!("vow.console.csrf.v1\u{1f}{token}"))[..16],
        )
    }

    /// The session a cookie's token names, if it is live: not idle for 30 minutes, its user not
    /// disabled. Using it keeps it alive.
    pub async fn console_session(
        &self,
        token: &str,
        source: &str,
    ) -> Result<ConsoleSession, VaultError> {
        if !token.starts_with(SESSION_PREFIX) || token.len() > 200 {
            return Err(VaultError::Unauthenticated);
        }
        let digest = self.keys().api_key_digest(token).to_vec();
        let session = match self
            .console(ConsoleOp::Session {
                digest: digest.clone(),
            })
            .await?
        {
            Outcome::ConsoleSessions(mut rows) => rows.pop(),
            other => return Err(unexpected(other)),
        }
        .filter(|s| vow_crypto::ct_eq(&s.digest, &digest))
        .ok_or(VaultError::Unauthenticated)?;
        let now = self.now_ms();
        if now - session.last_seen_ms > SESSION_IDLE_MS {
            self.console(ConsoleOp::EndSession { digest }).await?;
            return Err(VaultError::Unauthenticated);
        }
        let row = self
            .user_row(UserKey::Id(session.user_id.clone()))
            .await?
            .filter(|r| r.disabled_ms.is_none())
            .ok_or(VaultError::Unauthenticated)?;
        if now - session.last_seen_ms > SESSION_TOUCH_MS {
            self.console(ConsoleOp::TouchSession { digest, at_ms: now })
                .await?;
        }
        let user = self.console_user(&row);
        let caller = self.caller_of(&user, source);
        Ok(ConsoleSession {
            user,
            caller,
            csrf: self.csrf_of(token),
        })
    }

    pub async fn console_sign_out(&self, token: &str) -> Result<(), VaultError> {
        let digest = self.keys().api_key_digest(token).to_vec();
        self.console(ConsoleOp::EndSession { digest }).await?;
        Ok(())
    }

    /// Removes sessions idle past the limit (the sweeper runs it); returns how many.
    pub async fn prune_console_sessions(&self) -> Result<u64, VaultError> {
        match self
            .console(ConsoleOp::PruneSessions {
                before_ms: self.now_ms() - SESSION_IDLE_MS,
            })
            .await?
        {
            Outcome::Removed(n) => Ok(n),
            other => Err(unexpected(other)),
        }
    }

    /// Signs a month off (the review of the access log, or the destruction ledger). The signature
    /// is itself an entry of the access log. A month is signed once.
    pub async fn sign_off(
        &self,
        caller: &Caller,
        kind: SignOffKind,
        period: &str,
        note: &str,
    ) -> Result<SignOff, VaultError> {
        if !caller.is_operator() && !self.grants(caller)?.may_handle_requests() {
            return Err(Self::forbidden(caller, "sign off a review or ledger"));
        }
        let period = month_of(period)?;
        if !note.trim().is_empty() {
            crate::vault::validate_text("note", note.trim(), 2000)?;
        }
        let row = SignOffRow {
            kind: kind.as_str().to_string(),
            period: period.clone(),
            by_user: caller.key_id.clone(),
            at_ms: self.now_ms(),
            note: note.trim().to_string(),
        };
        let what = format!("{}:{period}", kind.as_str());
        let entry = self.entry(caller, Action::SignOff, None, &[what.as_str()]);
        match self
            .store()
            .apply(Request::logged(ConsoleOp::SignOff(row.clone()), entry))
            .await?
        {
            Outcome::Created => Ok(SignOff {
                kind: row.kind,
                period: row.period,
                by_user: row.by_user,
                at_ms: row.at_ms,
                note: row.note,
            }),
            Outcome::AlreadyExists { id } => Err(VaultError::Invalid {
                what: "sign-off",
                why: format!("{period} was signed off already, by {}", clip(&id)),
            }),
            other => Err(unexpected(other)),
        }
    }

    pub async fn sign_offs(
        &self,
        caller: &Caller,
        kind: SignOffKind,
        limit: usize,
    ) -> Result<Vec<SignOff>, VaultError> {
        if !caller.is_operator() && !self.grants(caller)?.may_handle_requests() {
            return Err(Self::forbidden(caller, "read sign-offs"));
        }
        match self
            .console(ConsoleOp::SignOffs {
                kind: kind.as_str().to_string(),
                limit: limit.min(1000),
            })
            .await?
        {
            Outcome::SignOffs(rows) => Ok(rows
                .into_iter()
                .map(|r| SignOff {
                    kind: r.kind,
                    period: r.period,
                    by_user: r.by_user,
                    at_ms: r.at_ms,
                    note: r.note,
                })
                .collect()),
            other => Err(unexpected(other)),
        }
    }

    /// The monthly access-log review (제8조) of `month` (`YYYY-MM`, Korean time), with the log's key
    /// ids named: API keys by their label, console users by their e-mail.
    pub async fn access_review(
        &self,
        caller: &Caller,
        month: &str,
    ) -> Result<vow_audit::Review, VaultError> {
        if !caller.is_operator() && !self.grants(caller)?.may_handle_requests() {
            return Err(Self::forbidden(caller, "review the access log"));
        }
        let period = month_of(month)?;
        let (year, number) = match (period[..4].parse::<i32>(), period[5..].parse::<u8>()) {
            (Ok(year), Ok(number)) => (year, number),
            _ => {
                return Err(VaultError::Invalid {
                    what: "month",
                    why: "expected YYYY-MM".into(),
                })
            }
        };
        let options = vow_audit::ReviewOptions::for_month(year, number);
        // Only the entries near the month are kept in memory; the review picks the month's own.
        let start = month_start_ms(year, number) - 86_400_000;
        let end = month_start_ms(year + i32::from(number == 12), number % 12 + 1) + 86_400_000;
        let mut entries = Vec::new();
        for head in self.store().audit_heads().await? {
            let mut after = self.last_seq_before(head.chain, head.seq, start).await?;
            loop {
                let page = self.chain_page(head.chain, after, 5_000).await?;
                let Some(last) = page.last() else { break };
                after = last.seq;
                let past_end = last.at_ms >= end;
                entries.extend(
                    page.into_iter()
                        .filter(|e| e.at_ms >= start && e.at_ms < end),
                );
                if past_end {
                    break;
                }
            }
        }
        let mut review = vow_audit::Review::build(entries.into_iter(), &options);
        let mut labels: std::collections::BTreeMap<String, String> = self
            .all_api_keys()
            .await?
            .into_iter()
            .map(|k| (k.id, k.label))
            .collect();
        for user in self.all_console_users().await? {
            labels.insert(user.id, user.email);
        }
        review.label_keys(&labels);
        Ok(review)
    }

    /// The access log's newest entry (its number and time), and up to `tail` entries before it, for
    /// the console's overview and alerts.
    pub async fn log_tail(
        &self,
        caller: &Caller,
        tail: u64,
    ) -> Result<Vec<vow_audit::Entry>, VaultError> {
        if !caller.is_operator() && !self.grants(caller)?.may_handle_requests() {
            return Err(Self::forbidden(caller, "read the access log"));
        }
        // The newest `tail` of each chain holds the newest `tail` of the whole log.
        let mut entries = Vec::new();
        for head in self.store().audit_heads().await? {
            let mut after = head.seq.saturating_sub(tail);
            while after < head.seq {
                let page = self.chain_page(head.chain, after, 5_000).await?;
                let Some(last) = page.last() else { break };
                after = last.seq;
                entries.extend(page);
            }
        }
        entries.sort_by_key(|e| (e.at_ms, e.position()));
        let keep = usize::try_from(tail).unwrap_or(usize::MAX);
        let excess = entries.len().saturating_sub(keep);
        entries.drain(..excess);
        Ok(entries)
    }

    /// Entries of one chain after `after`, in order, at most `limit` (a page of the log stops at
    /// its chain's end).
    async fn chain_page(
        &self,
        chain: u32,
        after: u64,
        limit: usize,
    ) -> Result<Vec<vow_audit::Entry>, VaultError> {
        let mut page = self
            .store()
            .audit_page(vow_audit::Position { chain, seq: after }, limit)
            .await?;
        page.retain(|e| e.chain == chain);
        Ok(page)
    }

    /// The number of the last entry of `chain` (whose newest is `head`) written before `at_ms` (0:
    /// none), found by bisection over the chain's numbers, whose times rise with them: a month's
    /// review reads that month, not the whole log before it.
    async fn last_seq_before(&self, chain: u32, head: u64, at_ms: i64) -> Result<u64, VaultError> {
        // Invariant: entry `low` (0 = before the first) is before `at_ms`; entries after `high` are not.
        let (mut low, mut high) = (0u64, head);
        while low < high {
            let mid = low + (high - low).div_ceil(2);
            let entry = self.chain_page(chain, mid - 1, 1).await?;
            match entry.first() {
                Some(e) if e.at_ms < at_ms => low = e.seq.max(mid),
                _ => high = mid - 1,
            }
        }
        Ok(low)
    }

    /// The alert rules (the "monitoring and threat detection" a policy may promise) over the
    /// newest [`ALERT_TAIL`] log entries of the last seven days: a key or person reading more than
    /// [`ALERT_BULK_SUBJECTS`] subjects in a day, [`ALERT_DENIED`] or more refused attempts (failed
    /// console sign-ins among them, per address), and reads between 22:00 and 06:00 Korean time.
    pub async fn alerts(&self, caller: &Caller) -> Result<Vec<Alert>, VaultError> {
        let entries = self.log_tail(caller, ALERT_TAIL).await?;
        Ok(alerts_of(&entries, self.now_ms()))
    }

    /// Raises each alert once as a `console.alert` event through the outbox (and so the signed
    /// webhooks): the event id names the rule, who and the day, so a rule that goes on firing
    /// is not sent again. Returns how many were new. `vow serve`'s sweeper runs it.
    pub async fn raise_alerts(&self) -> Result<u64, VaultError> {
        let operator = Caller::operator(None);
        let mut raised = 0;
        for alert in self.alerts(&operator).await? {
            let id = format!(
                "alert_{}_{}",
                alert.rule,
                hex::encode(
                    &self
                        .keys()
                        .api_key_digest(&format!("{}\u{1f}{}", alert.who, alert.day))[..8]
                )
            );
            let body = serde_json::json!({
                "rule": alert.rule, "who": alert.who, "day": alert.day, "count": alert.count,
            });
            match self
                .store()
                .apply(Request::unlogged(vow_store::OutboxOp::Enqueue(
                    vow_store::OutboxRecord {
                        seq: 0,
                        id,
                        subject_id: None,
                        kind: "console.alert".into(),
                        body: body.to_string(),
                        created_ms: self.now_ms(),
                        attempts: 0,
                        delivered_ms: None,
                    },
                )))
                .await?
            {
                Outcome::Created => raised += 1,
                Outcome::AlreadyExists { .. } => {}
                other => return Err(unexpected(other)),
            }
        }
        Ok(raised)
    }

    /// A failed sign-in, in the log as a refused attempt from its address (never the e-mail
    /// typed), so the review and the alerts see guessing.
    async fn log_failed_sign_in(&self, source: &str) -> Result<(), VaultError> {
        let caller = Caller {
            key_id: "console-sign-in".into(),
            role: "none".into(),
            source: source.to_string(),
            reason: None,
            purpose: None,
        };
        let entry = self.entry(&caller, Action::Denied, None, &["POST /console/login"]);
        self.store()
            .apply(Request::logged(vow_store::AuditOp::LogOnly, entry))
            .await?;
        Ok(())
    }

    /// The last checkpoint this process signed, and whether its checkpoints are failing.
    pub fn checkpoint_state(&self) -> crate::vault::CheckpointState {
        self.lock_checkpoint_state().clone()
    }

    /// Notes a reason or finding on one entry of a month under review.
    pub async fn record_finding(
        &self,
        caller: &Caller,
        period: &str,
        entry: vow_audit::Position,
        note: &str,
    ) -> Result<(), VaultError> {
        if !caller.is_operator() && !self.grants(caller)?.may_handle_requests() {
            return Err(Self::forbidden(caller, "review the access log"));
        }
        let period = month_of(period)?;
        let note = note.trim();
        if note.is_empty() {
            return Err(VaultError::Invalid {
                what: "note",
                why: "is required and cannot be blank".into(),
            });
        }
        crate::vault::validate_text("note", note, 2000)?;
        // Only an entry the log holds: a made-up chain or number would keep a note no review shows
        // (and on SQLite, whose findings are keyed by month and number, take another's place).
        let held = self
            .store()
            .audit_page(
                vow_audit::Position {
                    chain: entry.chain,
                    seq: entry.seq.saturating_sub(1),
                },
                1,
            )
            .await?;
        if held.first().is_none_or(|e| e.position() != entry) {
            return Err(VaultError::Invalid {
                what: "entry",
                why: format!("{entry} is not in the access log"),
            });
        }
        match self
            .console(ConsoleOp::RecordFinding(FindingRow {
                period,
                entry_chain: i64::from(entry.chain),
                entry_seq: i64::try_from(entry.seq).unwrap_or(i64::MAX),
                by_user: caller.key_id.clone(),
                at_ms: self.now_ms(),
                note: note.to_string(),
            }))
            .await?
        {
            Outcome::Stored { .. } => Ok(()),
            other => Err(unexpected(other)),
        }
    }

    pub async fn findings(
        &self,
        caller: &Caller,
        period: &str,
    ) -> Result<Vec<Finding>, VaultError> {
        if !caller.is_operator() && !self.grants(caller)?.may_handle_requests() {
            return Err(Self::forbidden(caller, "review the access log"));
        }
        match self
            .console(ConsoleOp::Findings {
                period: month_of(period)?,
            })
            .await?
        {
            Outcome::Findings(rows) => Ok(rows
                .into_iter()
                .map(|r| Finding {
                    entry_chain: r.entry_chain,
                    entry_seq: r.entry_seq,
                    by_user: r.by_user,
                    at_ms: r.at_ms,
                    note: r.note,
                })
                .collect()),
            other => Err(unexpected(other)),
        }
    }
}

fn no_user(id: &str) -> VaultError {
    VaultError::Invalid {
        what: "user id",
        why: format!("no console user {}", clip(id)),
    }
}

/// The first instant of a month in Korean time (UTC+9), in Unix milliseconds.
fn month_start_ms(year: i32, month: u8) -> i64 {
    let Ok(month) = time::Month::try_from(month) else {
        return 0;
    };
    time::Date::from_calendar_date(year, month, 1)
        .map(|date| {
            date.with_hms(0, 0, 0)
                .map(|t| t.assume_offset(time::macros::offset!(+9)).unix_timestamp() * 1000)
                .unwrap_or_default()
        })
        .unwrap_or_default()
}

/// Alerts look this far back.
const ALERT_WINDOW_MS: i64 = 7 * 86_400_000;
/// Log entries the alerts read at most (the newest).
pub const ALERT_TAIL: u64 = 5_000;
/// One key or person reading more distinct subjects than this in a day raises an alert.
pub const ALERT_BULK_SUBJECTS: usize = 100;
/// Refused attempts by one key (or failed sign-ins from one address) in the window that raise one.
pub const ALERT_DENIED: usize = 5;

/// One alert: which rule, who (a key or user id, or an address for failed sign-ins), the day
/// (Korean time) or `7d`, and how many.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Alert {
    /// `bulk_read`, `denied`, `failed_sign_in` or `night_read`.
    pub rule: &'static str,
    pub who: String,
    pub day: String,
    pub count: usize,
}

fn kst_day_hour(at_ms: i64) -> (String, u8) {
    let Ok(t) = time::OffsetDateTime::from_unix_timestamp(at_ms.div_euclid(1000)) else {
        return (String::new(), 12);
    };
    let t = t.to_offset(time::macros::offset!(+9));
    (
        format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day()),
        t.hour(),
    )
}

fn alerts_of(entries: &[vow_audit::Entry], now_ms: i64) -> Vec<Alert> {
    use std::collections::{BTreeMap, BTreeSet};
    let mut subjects_per_day: BTreeMap<(String, String), BTreeSet<&str>> = BTreeMap::new();
    let mut denied: BTreeMap<(&'static str, String), usize> = BTreeMap::new();
    let mut night: BTreeMap<(String, String), usize> = BTreeMap::new();
    for entry in entries
        .iter()
        .filter(|e| e.at_ms >= now_ms - ALERT_WINDOW_MS)
    {
        let (day, hour) = kst_day_hour(entry.at_ms);
        if entry.action.is_read() {
            if let Some(subject) = &entry.subject_id {
                subjects_per_day
                    .entry((entry.key_id.clone(), day.clone()))
                    .or_default()
                    .insert(subject);
            }
            if !(6..22).contains(&hour) {
                *night.entry((entry.key_id.clone(), day)).or_default() += 1;
            }
        } else if entry.action == Action::Denied {
            let key = if entry.key_id == "console-sign-in" {
                ("failed_sign_in", entry.source.clone())
            } else {
                ("denied", entry.key_id.clone())
            };
            *denied.entry(key).or_default() += 1;
        }
    }
    let mut alerts: Vec<Alert> = subjects_per_day
        .into_iter()
        .filter(|(_, subjects)| subjects.len() > ALERT_BULK_SUBJECTS)
        .map(|((who, day), subjects)| Alert {
            rule: "bulk_read",
            who,
            day,
            count: subjects.len(),
        })
        .collect();
    alerts.extend(denied.into_iter().filter(|(_, n)| *n >= ALERT_DENIED).map(
        |((rule, who), count)| Alert {
            rule,
            who,
            day: "7d".into(),
            count,
        },
    ));
    alerts.extend(night.into_iter().map(|((who, day), count)| Alert {
        rule: "night_read",
        who,
        day,
        count,
    }));
    alerts
}

/// `YYYY-MM`, a real month.
fn month_of(text: &str) -> Result<String, VaultError> {
    let text = text.trim();
    let valid = text.len() == 7
        && text.as_bytes()[4] == b'-'
        && text[..4].bytes().all(|b| b.is_ascii_digit())
        && text[5..].parse::<u8>().is_ok_and(|m| (1..=12).contains(&m))
        && text[5..].bytes().all(|b| b.is_ascii_digit());
    if valid {
        Ok(text.to_string())
    } else {
        Err(VaultError::Invalid {
            what: "month",
            why: "expected YYYY-MM".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_need_length_and_two_kinds_and_not_the_address() {
        let email = "officer@example.com";
        assert!(password_problem("short1!", email).is_some());
        assert!(password_problem("alllowercaseletters", email).is_some());
        assert!(password_problem("Officer-2026-pass", email).is_some());
        assert!(password_problem("correct horse 42", email).is_none());
        assert!(password_problem("개인정보보호책임자2026", email).is_none());
        assert!(password_problem(&"a1".repeat(600), email).is_some());
    }

    #[test]
    fn addresses_and_months_are_checked() {
        assert_eq!(
            email_of(" Officer@Example.COM ").ok().as_deref(),
            Some("officer@example.com")
        );
        for bad in [
            "",
            "officer",
            "@example.com",
            "a@b",
            "a b@example.com",
            "a@.com",
        ] {
            assert!(email_of(bad).is_err(), "{bad:?}");
        }
        assert!(month_of("2026-11").is_ok());
        for bad in [
            "2026-13", "2026-1", "26-11", "2026-00", "2026/11", "2026-+1",
        ] {
            assert!(month_of(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_decoy_is_a_real_argon2id_hash_that_no_guess_matches() {
        let decoy = decoy_phc();
        assert!(
            decoy.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{decoy}"
        );
        assert!(!vow_crypto::verify_secret(&decoy, ""));
        assert!(!vow_crypto::verify_secret(&decoy, "password"));
    }
}
