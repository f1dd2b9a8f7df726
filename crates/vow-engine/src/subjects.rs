//! Subjects and their items: registration (children included), one sealed item per category, reads
//! in full or masked, credentials checked, lookup by blind index, export, and erasure.

use std::sync::Arc;

use vow_audit::Action;
use vow_crypto::{Binding, CryptoError, DataKey};
use vow_policy::model::DataClass;
use vow_store::*;

use crate::access::Grants;
use crate::vault::*;

impl Vault {
    /// Registers a subject; the id returned is what the service stores instead of personal data.
    pub async fn create_subject(
        &self,
        caller: &Caller,
        external_id: &str,
        kind: &str,
    ) -> Result<String, VaultError> {
        self.create_subject_aged(caller, external_id, kind, None)
            .await
    }

    /// Registers a subject whose age at collection is known. Under `[children] policy = "refuse"`
    /// a child is refused; under `guardian_consent` the child is registered, and their data waits
    /// for a guardian's verified consent. Only that fact is kept, never the date of birth.
    pub async fn create_subject_aged(
        &self,
        caller: &Caller,
        external_id: &str,
        kind: &str,
        age: Option<crate::consent::AgeEvidence>,
    ) -> Result<String, VaultError> {
        let grants = self.grants(caller)?;
        if !grants.may_create_subjects() {
            return Err(Self::forbidden(caller, "create subjects"));
        }
        validate_text("external_id", external_id, MAX_ID_BYTES)?;
        if external_id.trim().is_empty() || external_id.chars().any(char::is_control) {
            return Err(VaultError::Invalid {
                what: "external_id",
                why: "blank, or holds control characters".into(),
            });
        }
        if !self.policy.subjects.iter().any(|s| s.key == kind) {
            return Err(VaultError::UnknownKind {
                kind: clip(kind),
                allowed: list(self.policy.subjects.iter().map(|s| s.key.as_str())),
            });
        }
        let minor = self.is_minor(kind, age)?;
        let id = new_id("sub");
        let (data_key, wrapped) = self.keys().new_data_key(&id)?;
        // A child's earliest possible birthday, sealed: a guardian's consent cannot be older. An
        // adult's age is kept nowhere.
        let born_sealed = match (
            minor,
            age.and_then(crate::consent::earliest_birthday(self.clock.now_ms())),
        ) {
            (true, Some(born)) => Some(data_key.seal(
                born.to_string().as_bytes(),
                &Binding {
                    subject_id: &id,
                    category: crate::consent::BORN_BINDING,
                },
            )?),
            _ => None,
        };
        let record = SubjectRecord {
            id: id.clone(),
            external_id: external_id.to_string(),
            kind: kind.to_string(),
            wrapped_key: wrapped.to_bytes(),
            created_ms: self.clock.now_ms(),
            minor,
            restricted: false,
            closed_ms: None,
            erasure_ms: None,
            born_sealed,
        };
        let entry = self.entry(caller, Action::Create, Some(&id), &[]);
        match self
            .store
            .apply(Request::logged(SubjectOp::CreateSubject(record), entry))
            .await?
        {
            Outcome::Created => {
                self.remember_key(&id, data_key);
                Ok(id)
            }
            Outcome::AlreadyExists { .. } => Err(VaultError::Conflict),
            other => Err(unexpected(other)),
        }
    }

    /// Stores one item, replacing what was there. Returns whether a value was replaced.
    pub async fn put_item(
        &self,
        caller: &Caller,
        subject_id: &str,
        category: &str,
        value: &str,
    ) -> Result<bool, VaultError> {
        let declared = self.category(category)?;
        if !self.grants(caller)?.may_write(category) {
            return Err(Self::forbidden(caller, format!("write {category}")));
        }
        validate_text("value", value, MAX_VALUE_BYTES)?;
        let data_key = match self.cached_key(subject_id) {
            Some(key) => key,
            None => {
                let subject = self.subject(subject_id).await?;
                self.data_key(&subject.wrapped_key, subject_id)?
            }
        };
        let binding = Binding {
            subject_id,
            category,
        };
        let mut plaintext = vow_crypto::Zeroizing::new(Vec::with_capacity(value.len() + 1));
        let blind_index = if declared.class == DataClass::Credential {
            let secret = vow_crypto::Zeroizing::new(value.to_string());
            let hash = self
                .hash_work(move || vow_crypto::hash_secret(&secret))
                .await??;
            plaintext.push(SEALED_CREDENTIAL_HASH);
            plaintext.extend_from_slice(hash.as_bytes());
            None
        } else {
            plaintext.push(SEALED_VALUE);
            plaintext.extend_from_slice(value.as_bytes());
            declared.lookup.then(|| {
                let normalised = vow_crypto::normalise_for_lookup(category, value);
                self.keys().blind_index(category, &normalised).to_vec()
            })
        };
        let item = ItemRecord {
            category: category.to_string(),
            sealed: data_key.seal(&plaintext, &binding)?,
            blind_index,
            updated_ms: self.clock.now_ms(),
            contested: false,
        };
        let entry = self.entry(caller, Action::Update, Some(subject_id), &[category]);
        match self
            .store
            .apply(Request::logged(
                SubjectOp::PutItem {
                    subject_id: subject_id.to_string(),
                    item,
                },
                entry,
            ))
            .await?
        {
            Outcome::Stored { replaced } => Ok(replaced),
            Outcome::Closed => Err(VaultError::SubjectClosed),
            Outcome::NeedsGuardian => Err(VaultError::GuardianConsentMissing {
                age: self.policy.children.as_ref().map_or(14, |c| c.age),
            }),
            Outcome::NotFound => Err(VaultError::NoSubject(clip(subject_id))),
            other => Err(unexpected(other)),
        }
    }

    /// One item, in full or masked as the caller's role allows.
    pub async fn get_item(
        &self,
        caller: &Caller,
        subject_id: &str,
        category: &str,
    ) -> Result<ItemValue, VaultError> {
        self.category(category)?;
        let grants = self.grants(caller)?;
        if !grants.may_read(category) {
            return Err(Self::forbidden(caller, format!("read {category}")));
        }
        self.check_purpose(caller, subject_id).await?;
        let (data_key, item) = self.read_item(caller, subject_id, category).await?;
        self.shown(&grants, &data_key, subject_id, &item)
    }

    /// Fetches one sealed item (logging the read) and the subject's data key.
    pub(crate) async fn read_item(
        &self,
        caller: &Caller,
        subject_id: &str,
        category: &str,
    ) -> Result<(Arc<DataKey>, ItemRecord), VaultError> {
        caller.may_reach(subject_id)?;
        let entry = self.entry(caller, Action::Read, Some(subject_id), &[category]);
        let (wrapped_key, item) = match self
            .store
            .apply(Request::logged(
                SubjectOp::GetItem {
                    subject_id: subject_id.to_string(),
                    category: category.to_string(),
                },
                entry,
            ))
            .await?
        {
            Outcome::Item {
                wrapped_key,
                item,
                restricted,
                guardian_withdrawn,
            } => {
                // Processing stopped at the subject's request, a child's guardian withdrew, or the
                // value is being corrected: only the privacy officer's role (which answers the
                // request) still reads it.
                let answering = self.grants(caller)?.may_handle_requests();
                if restricted && !answering {
                    return Err(VaultError::Restricted);
                }
                if guardian_withdrawn && !answering {
                    return Err(VaultError::GuardianConsentMissing {
                        age: self.policy.children.as_ref().map_or(14, |c| c.age),
                    });
                }
                if item.contested && !answering {
                    return Err(VaultError::UnderCorrection {
                        category: item.category.clone(),
                    });
                }
                (wrapped_key, item)
            }
            Outcome::NotFound => return Err(self.missing(subject_id, category).await),
            other => return Err(unexpected(other)),
        };
        Ok((self.data_key(&wrapped_key, subject_id)?, item))
    }

    /// Checks a candidate against a stored credential (a password): true when it matches.
    pub async fn verify_credential(
        &self,
        caller: &Caller,
        subject_id: &str,
        category: &str,
        candidate: &str,
    ) -> Result<bool, VaultError> {
        let declared = self.category(category)?;
        if declared.class != DataClass::Credential {
            return Err(VaultError::Invalid {
                what: "category",
                why: format!("{category} is not a credential; read it instead"),
            });
        }
        let grants = self.grants(caller)?;
        if !grants.may_read(category) {
            return Err(Self::forbidden(caller, format!("verify {category}")));
        }
        validate_text("value", candidate, MAX_VALUE_BYTES)?;
        // Each check is a guess at a secret: it draws on the same per-key budget as lookups.
        self.take_guess(caller, &grants)?;
        let (data_key, item) = self.read_item(caller, subject_id, category).await?;
        let plaintext = data_key.open(
            &item.sealed,
            &Binding {
                subject_id,
                category,
            },
        )?;
        match plaintext.split_first() {
            Some((&SEALED_CREDENTIAL_HASH, phc)) => {
                let Ok(phc) = std::str::from_utf8(phc).map(str::to_string) else {
                    return Ok(false);
                };
                let candidate = vow_crypto::Zeroizing::new(candidate.to_string());
                self.hash_work(move || vow_crypto::verify_secret(&phc, &candidate))
                    .await
            }
            _ => Err(VaultError::Invalid {
                what: "stored credential",
                why: "it was stored before the policy marked the category as a credential; store it again".into(),
            }),
        }
    }

    /// Subjects whose `category` equals `value`, found through the blind index without decrypting.
    pub async fn lookup(
        &self,
        caller: &Caller,
        category: &str,
        value: &str,
    ) -> Result<Vec<String>, VaultError> {
        let declared = self.category(category)?;
        if !declared.lookup || declared.class == DataClass::Credential {
            return Err(VaultError::NotALookupKey {
                category: clip(category),
                allowed: list(
                    self.policy
                        .categories
                        .iter()
                        .filter(|c| c.lookup && c.class != DataClass::Credential)
                        .map(|c| c.key.as_str()),
                ),
            });
        }
        let grants = self.grants(caller)?;
        if !grants.may_lookup(category) {
            return Err(Self::forbidden(
                caller,
                format!("look up subjects by {category}"),
            ));
        }
        validate_text("value", value, MAX_VALUE_BYTES)?;
        self.take_guess(caller, &grants)?;
        let normalised = vow_crypto::normalise_for_lookup(category, value);
        let blind_index = self.keys().blind_index(category, &normalised).to_vec();
        let entry = self.entry(caller, Action::Lookup, None, &[category]);
        match self
            .store
            .apply(Request::logged(
                SubjectOp::Lookup {
                    category: category.to_string(),
                    blind_index,
                    // A value under correction is not found for use, only by who answers the request.
                    include_contested: grants.may_handle_requests(),
                },
                entry,
            ))
            .await?
        {
            Outcome::Subjects(ids) => {
                // A subject not to be used for this caller's purpose — processing stopped, a
                // child's guardian withdrew, no consent to the stated purpose — is not found for
                // use either.
                let mut found = Vec::with_capacity(ids.len());
                for id in ids {
                    match self.check_use(caller, &id).await {
                        Ok(()) => found.push(id),
                        Err(
                            VaultError::Restricted
                            | VaultError::GuardianConsentMissing { .. }
                            | VaultError::NoConsent { .. }
                            | VaultError::NoSubject(_),
                        ) => {}
                        Err(error) => return Err(error),
                    }
                }
                Ok(found)
            }
            other => Err(unexpected(other)),
        }
    }

    /// Erases a subject: everything no law still requires is destroyed (one ledger line per
    /// destruction) and, when nothing is left, the data key too, so every copy of their sealed data,
    /// backups included, becomes unreadable. What a law still requires (imagesfactory's contract
    /// records) stays, kept apart, and the answer says under which rule and law, until when. From then
    /// on the subject is not used: no new data, consent or advertising. A second erasure of an erased
    /// subject is refused (`AlreadyErased`) once it has made sure nothing was left behind.
    pub async fn erase(
        &self,
        caller: &Caller,
        subject_id: &str,
    ) -> Result<crate::requests::Erasure, VaultError> {
        if !self.grants(caller)?.may_erase() {
            return Err(Self::forbidden(caller, "erase subjects"));
        }
        let erasure = self
            .erase_keeping_holds(caller, subject_id, "erasure")
            .await?;
        if erasure.already_erased && erasure.destroyed == 0 {
            return Err(VaultError::AlreadyErased {
                kept: erasure.kept_apart.len(),
            });
        }
        Ok(erasure)
    }

    /// Everything held about a subject (the right of access and to portability), each item in full
    /// or masked as the caller's role allows.
    pub async fn export(&self, caller: &Caller, subject_id: &str) -> Result<Exported, VaultError> {
        let grants = self.grants(caller)?;
        if !grants.may_export() {
            return Err(Self::forbidden(caller, "export subjects' data"));
        }
        // A subject who asked to stop processing is exported only to answer a request.
        self.check_use(caller, subject_id).await?;
        let answering = grants.may_handle_requests();
        // The export holds exactly what the role may read, and the log says which categories.
        let readable: Vec<&str> = self
            .policy
            .categories
            .iter()
            .map(|c| c.key.as_str())
            .filter(|c| grants.may_read(c))
            .collect();
        let entry = self.entry(caller, Action::Export, Some(subject_id), &readable);
        let (subject, items) = match self
            .store
            .apply(Request::logged(
                SubjectOp::Export {
                    subject_id: subject_id.to_string(),
                },
                entry,
            ))
            .await?
        {
            Outcome::Export { subject, items } => (subject, items),
            Outcome::NotFound => return Err(VaultError::NoSubject(clip(subject_id))),
            other => return Err(unexpected(other)),
        };
        let data_key = self.data_key(&subject.wrapped_key, subject_id)?;
        let mut exported = Vec::with_capacity(items.len());
        // A value under correction is neither used nor given until written anew.
        for item in items
            .iter()
            .filter(|i| grants.may_read(&i.category) && (answering || !i.contested))
        {
            let (label_ko, label_en) = self
                .policy
                .categories
                .iter()
                .find(|c| c.key == item.category)
                .map(|c| {
                    let ko = c.label.ko.clone().unwrap_or_default();
                    let en = c.label.en.clone().unwrap_or_else(|| ko.clone());
                    (ko, en)
                })
                .unwrap_or_default();
            exported.push(ExportedItem {
                category: item.category.clone(),
                label_ko,
                label_en,
                updated_ms: item.updated_ms,
                value: self.shown(&grants, &data_key, subject_id, item)?,
            });
        }
        // The service's own id for the person can be personal data too (an e-mail, a phone number):
        // a role that sees any of its categories masked sees it masked as free text.
        let external_id = if readable.iter().all(|c| grants.may_see_in_full(c)) {
            subject.external_id
        } else {
            self.masker
                .mask(vow_policy::model::MaskStyle::Text, &subject.external_id)
        };
        Ok(Exported {
            id: subject.id,
            external_id,
            kind: subject.kind,
            created_ms: subject.created_ms,
            items: exported,
        })
    }

    pub(crate) fn shown(
        &self,
        grants: &Grants<'_>,
        data_key: &DataKey,
        subject_id: &str,
        item: &ItemRecord,
    ) -> Result<ItemValue, VaultError> {
        let plaintext = data_key.open(
            &item.sealed,
            &Binding {
                subject_id,
                category: &item.category,
            },
        )?;
        match plaintext.split_first() {
            Some((&SEALED_VALUE, value)) => Ok(self.shown_value(
                grants,
                &item.category,
                String::from_utf8_lossy(value).into_owned(),
            )),
            Some((&SEALED_CREDENTIAL_HASH, _)) => Ok(ItemValue::Credential),
            _ => Err(VaultError::Crypto(CryptoError::Malformed(
                "sealed item of unknown kind",
            ))),
        }
    }

    /// Tells a missing subject from a missing item, for the error message.
    pub(crate) async fn missing(&self, subject_id: &str, category: &str) -> VaultError {
        match self.subject(subject_id).await {
            Ok(_) => VaultError::NoItem {
                subject: clip(subject_id),
                category: category.to_string(),
            },
            Err(error) => error,
        }
    }
}
