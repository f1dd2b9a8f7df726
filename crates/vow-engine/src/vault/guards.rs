//! Checks more than one capability makes, written once.

use vow_policy::model::DataClass;

use crate::vault::{Caller, Vault, VaultError};

impl Vault {
    /// Whether the caller may store `category` as something readable — a record or an upload: a
    /// credential is kept only as a hash, as an item, never readable; and the role must be granted
    /// the write.
    pub(crate) fn may_store_readable(
        &self,
        caller: &Caller,
        category: &str,
    ) -> Result<(), VaultError> {
        if self.declared_category(category)?.class == DataClass::Credential {
            return Err(VaultError::Invalid {
                what: "category",
                why: format!(
                    "{category} is a credential: store it as an item, kept only as a hash"
                ),
            });
        }
        if !self.grants(caller)?.may_write(category) {
            return Err(Self::forbidden(caller, format!("write {category}")));
        }
        Ok(())
    }
}
