//! The kinds of personal data the recognizers know, with the names other tools rely on.

use serde::{Serialize, Serializer};

/// A kind of personal data. The names (`as_str`) are fixed: other tools and policy files rely on them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Entity {
    /// 주민등록번호, Korean resident registration number.
    KrRrn,
    /// 외국인등록번호, Korean foreigner registration number.
    KrFrn,
    /// Korean passport number (old and 2021 formats).
    KrPassport,
    /// Korean driver licence number.
    KrDriverLicense,
    /// 사업자등록번호, Korean business registration number.
    KrBrn,
    /// Korean phone number (mobile, area codes, 070, +82).
    KrPhone,
    /// Korean bank account number (anchored on context words).
    KrBankAccount,
    /// 건강보험증 번호 (anchored on context words).
    KrHealthInsurance,
    /// E-mail address.
    Email,
    /// A phone number outside Korea (E.164 or North American).
    Phone,
    /// Payment card number (Luhn and issuer prefix).
    CreditCard,
    /// IPv4 or IPv6 address.
    IpAddress,
    /// International bank account number (mod-97).
    Iban,
    /// US social security number.
    UsSsn,
    /// API keys, access tokens, passwords in `key=value` form.
    Secret,
    /// A person's name, Korean or English (anchored on honorifics, titles, name fields, sign-offs).
    Person,
    /// A postal address: Korean road-name or lot-number addresses, US street addresses.
    Address,
}

impl Entity {
    /// Every entity, in a fixed order used for reports.
    pub const ALL: [Entity; 17] = [
        Entity::KrRrn,
        Entity::KrFrn,
        Entity::KrPassport,
        Entity::KrDriverLicense,
        Entity::KrBrn,
        Entity::KrPhone,
        Entity::KrBankAccount,
        Entity::KrHealthInsurance,
        Entity::Email,
        Entity::Phone,
        Entity::CreditCard,
        Entity::IpAddress,
        Entity::Iban,
        Entity::UsSsn,
        Entity::Secret,
        Entity::Person,
        Entity::Address,
    ];

    /// The stable name, e.g. `KR_RRN`.
    pub fn as_str(self) -> &'static str {
        match self {
            Entity::KrRrn => "KR_RRN",
            Entity::KrFrn => "KR_FRN",
            Entity::KrPassport => "KR_PASSPORT",
            Entity::KrDriverLicense => "KR_DRIVER_LICENSE",
            Entity::KrBrn => "KR_BRN",
            Entity::KrPhone => "KR_PHONE",
            Entity::KrBankAccount => "KR_BANK_ACCOUNT",
            Entity::KrHealthInsurance => "KR_HEALTH_INSURANCE",
            Entity::Email => "EMAIL",
            Entity::Phone => "PHONE",
            Entity::CreditCard => "CREDIT_CARD",
            Entity::IpAddress => "IP_ADDRESS",
            Entity::Iban => "IBAN",
            Entity::UsSsn => "US_SSN",
            Entity::Secret => "SECRET",
            Entity::Person => "PERSON",
            Entity::Address => "ADDRESS",
        }
    }

    /// Parses a stable name (case-insensitive).
    pub fn parse(name: &str) -> Option<Entity> {
        Entity::ALL
            .into_iter()
            .find(|e| e.as_str().eq_ignore_ascii_case(name))
    }

    /// A bit for sets of entities.
    pub(crate) fn bit(self) -> u32 {
        1 << (self as u32)
    }

    /// Whether a value of this kind carries a checksum, so that a valid one is never a coincidence.
    pub fn has_checksum(self) -> bool {
        matches!(
            self,
            Entity::KrRrn | Entity::KrFrn | Entity::KrBrn | Entity::CreditCard | Entity::Iban
        )
    }
}

impl std::fmt::Display for Entity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Entity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}
