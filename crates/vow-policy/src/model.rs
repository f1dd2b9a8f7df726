//! The policy file's data model.
//!
//! Everything a privacy policy (개인정보 처리방침) promises is stated here with structure, not prose: the
//! engine enforces these values and the renderer writes the published document from them. Free text appears
//! only where the law expects a description (a procedure, a method, a reason) and is always a [`Text`] that
//! may carry Korean and English.
//!
//! References between sections use keys: a collection point lists category keys, a retention rule lists
//! category keys, an overseas transfer names a recipient key. [`crate::validate`] checks every reference.
//!
//! Field order in each struct is the order a policy author meets them in the starter file (`vow init`).

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The version of the policy file format this crate reads. A file states it as `[policy] format = 1`.
pub const FORMAT_VERSION: u32 = 1;

/// A whole policy file.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Identity, version and dates of this policy.
    pub policy: PolicyMeta,
    /// The personal information controller (개인정보처리자).
    pub controller: Controller,
    /// The privacy officer (개인정보 보호책임자).
    pub officer: Officer,
    /// The department that receives and handles requests (개인정보 열람청구 접수·처리 부서).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<Department>,
    /// Kinds of data subject: member, business contact, child under 14, ...
    #[serde(default, rename = "subject")]
    pub subjects: Vec<SubjectKind>,
    /// Every category of personal data the service processes. Nothing undeclared may be stored.
    #[serde(default, rename = "category")]
    pub categories: Vec<Category>,
    /// Points where data is collected (sign-up, payment, support, automatic), with required and optional items.
    #[serde(default, rename = "collection")]
    pub collections: Vec<Collection>,
    /// Purposes of processing, each with its legal basis.
    #[serde(default, rename = "purpose")]
    pub purposes: Vec<Purpose>,
    /// Retention rules: how long each category is kept, from which event, under which law.
    #[serde(default, rename = "retention")]
    pub retention: Vec<RetentionRule>,
    /// Destruction procedure, deadline and methods (파기).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destruction: Option<Destruction>,
    /// Provision to third parties (제3자 제공).
    #[serde(default, rename = "third_party")]
    pub third_parties: Vec<ThirdParty>,
    /// Processors the controller entrusts processing to (처리위탁).
    #[serde(default, rename = "processor")]
    pub processors: Vec<Processor>,
    /// Transfers of personal data abroad (국외 이전).
    #[serde(default, rename = "overseas_transfer")]
    pub overseas_transfers: Vec<OverseasTransfer>,
    /// Sensitive data (민감정보) processing statement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sensitive: Option<SensitiveData>,
    /// Pseudonymised data (가명정보) processing statement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pseudonymised: Option<Pseudonymised>,
    /// Devices that collect data automatically: cookies, web storage, SDKs (자동 수집 장치).
    #[serde(default, rename = "automatic_collection")]
    pub automatic_collection: Vec<AutomaticCollection>,
    /// The data subject's rights, how to exercise them and the deadline for an answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rights: Option<Rights>,
    /// Children under the age of consent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub children: Option<Children>,
    /// Safety measures (안전성 확보조치).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safety: Option<SafetyMeasures>,
    /// Advertising messages (광고성 정보 전송).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advertising: Option<Advertising>,
    /// Promises specific to AI services: uploads, training data, providers, labelling, chat logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ai: Option<AiPromises>,
    /// Where to turn for remedies besides the controller (권익침해 구제방법).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remedies: Option<Remedies>,
    /// How changes to this policy are announced (고지의 의무).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<ChangeNotice>,
    /// Roles that may access personal data, and what each may do with which categories.
    #[serde(default, rename = "role")]
    pub roles: Vec<Role>,
    /// Lint rules this policy waives, each with a written reason that the check output shows.
    #[serde(default, rename = "waiver")]
    pub waivers: Vec<Waiver>,
}

// ---------------------------------------------------------------------------------------------------------
// Text and small value types
// ---------------------------------------------------------------------------------------------------------

/// Human text in Korean and/or English.
///
/// In the file it is either a plain string (taken as Korean, the language of the PIPC guideline) or a table
/// `{ ko = "...", en = "..." }`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Text {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ko: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
}

impl Text {
    /// Text with only a Korean form.
    pub fn ko(s: impl Into<String>) -> Self {
        Text {
            ko: Some(s.into()),
            en: None,
        }
    }

    /// The text in `lang`, falling back to the other language when that one is missing.
    pub fn get(&self, lang: Lang) -> &str {
        let (first, second) = match lang {
            Lang::Ko => (&self.ko, &self.en),
            Lang::En => (&self.en, &self.ko),
        };
        first.as_deref().or(second.as_deref()).unwrap_or("")
    }

    /// Whether the text has a form in `lang` (no fallback).
    pub fn has(&self, lang: Lang) -> bool {
        match lang {
            Lang::Ko => self.ko.as_deref().is_some_and(|s| !s.trim().is_empty()),
            Lang::En => self.en.as_deref().is_some_and(|s| !s.trim().is_empty()),
        }
    }

    /// Whether neither language has any non-blank text.
    pub fn is_blank(&self) -> bool {
        !self.has(Lang::Ko) && !self.has(Lang::En)
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Text;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(r#"a string, or a table { ko = "...", en = "..." }"#)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Text, E> {
                Ok(Text::ko(v))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Text, A::Error> {
                let mut text = Text::default();
                while let Some(key) = map.next_key::<String>()? {
                    let slot = match key.as_str() {
                        "ko" => &mut text.ko,
                        "en" => &mut text.en,
                        other => return Err(de::Error::unknown_field(other, &["ko", "en"])),
                    };
                    if slot.is_some() {
                        return Err(de::Error::custom(format!("duplicate key `{key}`")));
                    }
                    *slot = Some(map.next_value()?);
                }
                if text.ko.is_none() && text.en.is_none() {
                    return Err(de::Error::custom("text needs at least one of `ko` or `en`"));
                }
                Ok(text)
            }
        }
        deserializer.deserialize_any(TextVisitor)
    }
}

/// A language a policy can be rendered in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Ko,
    En,
}

/// A calendar date (`2025-11-23`), checked to exist: `2025-02-30` is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(pub time::Date);

impl Date {
    /// Days from `self` to `later` (negative when `later` is earlier).
    pub fn days_until(self, later: Date) -> i64 {
        (later.0 - self.0).whole_days()
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        write!(
            f,
            "{:04}-{:02}-{:02}",
            d.year(),
            u8::from(d.month()),
            d.day()
        )
    }
}

impl std::str::FromStr for Date {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // `2025-01-08T09:00:00` (a TOML date-time, or the same as a string) has a time of day.
        if let Some((date, _)) = s.trim().split_once(['T', 't', ' ']) {
            if date.len() == 10 {
                return Err(format!(
                    "`{}` has a time of day; a policy date is only YYYY-MM-DD",
                    s.trim()
                ));
            }
        }
        let parts: Vec<&str> = s.trim().split('-').collect();
        let [y, m, d] = parts.as_slice() else {
            return Err(format!("`{s}` is not a date; write it as YYYY-MM-DD"));
        };
        let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i32>(), m.parse::<u8>(), d.parse::<u8>()) else {
            return Err(format!("`{s}` is not a date; write it as YYYY-MM-DD"));
        };
        let month =
            time::Month::try_from(m).map_err(|_| format!("`{s}`: there is no month {m}"))?;
        time::Date::from_calendar_date(y, month, d)
            .map(Date)
            .map_err(|_| format!("`{s}`: {month} {y} has no day {d}"))
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // TOML dates arrive as `toml::value::Datetime`; JSON and hand-written strings as strings.
        // Both go through the same checked parser.
        let value = toml::Value::deserialize(deserializer)?;
        let text = match value {
            toml::Value::Datetime(dt) => {
                if dt.time.is_some() || dt.offset.is_some() {
                    return Err(de::Error::custom(format!(
                        "`{dt}` has a time of day; a policy date is only YYYY-MM-DD"
                    )));
                }
                dt.to_string()
            }
            toml::Value::String(s) => s,
            other => {
                return Err(de::Error::custom(format!(
                    "expected a date YYYY-MM-DD, found {}",
                    other.type_str()
                )))
            }
        };
        text.parse().map_err(de::Error::custom)
    }
}

/// A span of time in a retention rule or deadline: `24h`, `10d`, `6mo`, `5y` (also `5 years`, `3개월`, `24시간`).
///
/// Months and years are calendar units, kept as such so that "5 years from 2024-02-29" is computed on the
/// calendar rather than as a count of days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Period {
    Hours(u32),
    Days(u32),
    Months(u32),
    Years(u32),
}

impl Period {
    /// An upper bound of the period in hours, for comparing periods of different units (a month counts 31 days,
    /// a year 366).
    pub fn max_hours(self) -> u64 {
        match self {
            Period::Hours(n) => u64::from(n),
            Period::Days(n) => u64::from(n) * 24,
            Period::Months(n) => u64::from(n) * 31 * 24,
            Period::Years(n) => u64::from(n) * 366 * 24,
        }
    }

    /// The period in Korean as a policy states it: `5년`, `6개월`, `90일`, `24시간`.
    pub fn to_korean(self) -> String {
        match self {
            Period::Hours(n) => format!("{n}시간"),
            Period::Days(n) => format!("{n}일"),
            Period::Months(n) => format!("{n}개월"),
            Period::Years(n) => format!("{n}년"),
        }
    }

    /// The period in English: `5 years`, `1 month`.
    pub fn to_english(self) -> String {
        let (n, unit) = match self {
            Period::Hours(n) => (n, "hour"),
            Period::Days(n) => (n, "day"),
            Period::Months(n) => (n, "month"),
            Period::Years(n) => (n, "year"),
        };
        if n == 1 {
            format!("1 {unit}")
        } else {
            format!("{n} {unit}s")
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Hours(n) => write!(f, "{n}h"),
            Period::Days(n) => write!(f, "{n}d"),
            Period::Months(n) => write!(f, "{n}mo"),
            Period::Years(n) => write!(f, "{n}y"),
        }
    }
}

impl std::str::FromStr for Period {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let hint = "write a number and a unit: `24h`, `10d`, `6mo`, `5y` (or `5 years`, `3개월`)";
        let trimmed = s.trim();
        let digits_end = trimmed
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(trimmed.len());
        if digits_end == 0 {
            return Err(format!("`{s}` is not a period; {hint}"));
        }
        let n: u32 = trimmed[..digits_end]
            .parse()
            .map_err(|_| format!("`{s}`: the number is too large"))?;
        let unit = trimmed[digits_end..].trim();
        let period = match unit {
            "h" | "hour" | "hours" | "시간" => Period::Hours(n),
            "d" | "day" | "days" | "일" => Period::Days(n),
            "w" | "week" | "weeks" | "주" => {
                Period::Days(n.checked_mul(7).ok_or_else(|| format!("`{s}`: too long"))?)
            }
            "mo" | "month" | "months" | "개월" | "달" => Period::Months(n),
            "y" | "year" | "years" | "년" => Period::Years(n),
            "" => return Err(format!("`{s}` has no unit; {hint}")),
            other => return Err(format!("`{other}` is not a unit of time; {hint}")),
        };
        Ok(period)
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(de::Error::custom)
    }
}

/// A category key: a dot path such as `user.contact.email`, in the spirit of the fideslang taxonomy.
/// Lower-case ASCII letters, digits and `_`, segments separated by single dots.
pub type CategoryKey = String;

/// A key that names an entry of another section (a purpose, a subject kind, a recipient, a role).
pub type Key = String;

// ---------------------------------------------------------------------------------------------------------
// Sections
// ---------------------------------------------------------------------------------------------------------

/// `[policy]`: identity, version and dates.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyMeta {
    /// Format version of the file; this crate reads [`FORMAT_VERSION`].
    pub format: u32,
    /// Service name as the document's title shows it.
    pub service: Text,
    /// Version label of this policy (e.g. `2025-11-23` or `v3`).
    pub version: String,
    /// The day the policy was announced (공고일).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub announced: Option<Date>,
    /// The day it takes effect (시행일).
    pub effective: Date,
    /// Laws the service answers to. `KR` (PIPA, 정보통신망법) is assumed; `EU` adds the GDPR Art. 13 lint.
    #[serde(default = "default_jurisdictions")]
    pub jurisdictions: Vec<Jurisdiction>,
    /// Where earlier versions can be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_versions: Option<String>,
    /// An opening statement placed above the first section.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preamble: Option<Text>,
}

fn default_jurisdictions() -> Vec<Jurisdiction> {
    vec![Jurisdiction::Kr]
}

/// A legal regime the policy must satisfy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
pub enum Jurisdiction {
    /// Korea: 개인정보 보호법, 정보통신망법.
    #[serde(rename = "KR")]
    Kr,
    /// The European Union: GDPR.
    #[serde(rename = "EU")]
    Eu,
}

/// `[controller]`: who is responsible.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Controller {
    pub name: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub representative: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    /// 사업자등록번호.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_registration_number: Option<String>,
    /// 통신판매업 신고번호.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail_order_registration: Option<String>,
    /// GDPR Art. 27 representative in the Union, when the controller is outside it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eu_representative: Option<Text>,
}

/// `[officer]`: the privacy officer (개인정보 보호책임자), PIPA 제31조.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Officer {
    pub name: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// A staff member who assists the officer (개인정보 보호담당자).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deputy: Option<Contact>,
}

/// A named contact.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    pub name: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// `[department]`: where requests are received and handled (열람청구 접수·처리 부서).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Department {
    pub name: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

/// `[[subject]]`: a kind of data subject.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectKind {
    /// Key used by the API (`"kind": "member"`).
    pub key: Key,
    pub label: Text,
    /// Whether subjects of this kind are children under 14 (their data needs a guardian's consent).
    #[serde(default)]
    pub child: bool,
}

/// `[[category]]`: a category of personal data.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// Dot path, e.g. `user.contact.email`.
    pub key: CategoryKey,
    pub label: Text,
    /// How the law classes this data; decides how vow stores it.
    #[serde(default)]
    pub class: DataClass,
    /// Whether the vault keeps a blind index for exact lookup by this value (e-mail, phone).
    #[serde(default)]
    pub lookup: bool,
    /// A note shown beside the item (e.g. `카드사명, 결제 승인번호 등`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<Text>,
    /// How the vault masks this category for roles that may read it but not see it in full. When
    /// absent, the vault picks from the key's last part (`email`, `phone`, `name`) and otherwise
    /// hides the value entirely.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mask: Option<MaskStyle>,
}

/// How a masked value is shown. Each style reveals a fixed, small part of a value of the right shape
/// and hides everything of a value that does not have that shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MaskStyle {
    /// Nothing of the value: `****`.
    Hidden,
    /// The domain and, for a local part of four or more characters, its first character:
    /// `k***@example.com`.
    Email,
    /// The first digit group and the last four digits: `010-****-5678`.
    Phone,
    /// A payment card's first four and last four digits: `4111-****-****-1111`.
    Card,
    /// A resident registration number's birth date and gender digit: `901231-1******`.
    ResidentNumber,
    /// The last four digits of an account or other number of ten or more digits: `******7890`.
    Digits,
    /// The first character of a name: `김**`.
    Name,
    /// Free text: every piece of personal data found in it (every kind vow-pii knows, every run of
    /// five or more digits, every `x@y`) is masked; the rest of the text is shown.
    Text,
}

/// The legal class of a category, which decides its protection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DataClass {
    /// Ordinary personal data: encrypted at rest by vow.
    #[default]
    Ordinary,
    /// Credentials (passwords): stored only as a one-way hash, verifiable, never readable (안전성 확보조치 기준 제7조).
    Credential,
    /// Unique identifying information (고유식별정보: RRN, passport, driver licence, foreigner number), PIPA 제24조.
    UniqueIdentifier,
    /// Sensitive data (민감정보: health, beliefs, biometrics, ...), PIPA 제23조; needs separate consent.
    Sensitive,
    /// Financial data (card, account numbers): encrypted at rest.
    Financial,
    /// Data generated automatically while the service is used (logs, IP, cookies, device ids).
    Generated,
}

/// `[[collection]]`: a point where personal data is collected.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Collection {
    pub key: Key,
    /// When or where: `회원가입 시 (이메일 로그인)`.
    pub label: Text,
    /// Subject kinds this collection applies to; empty means all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subjects: Vec<Key>,
    /// How it is collected: `웹사이트 및 모바일 앱을 통한 회원가입`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<Text>,
    /// Whether the data is generated automatically rather than entered by the subject.
    #[serde(default)]
    pub automatic: bool,
    /// Categories the subject must provide.
    #[serde(default)]
    pub required: Vec<CategoryKey>,
    /// Categories the subject may choose to provide.
    #[serde(default)]
    pub optional: Vec<CategoryKey>,
    /// Purposes served by what is collected here.
    #[serde(default)]
    pub purposes: Vec<Key>,
}

/// `[[purpose]]`: a purpose of processing.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Purpose {
    pub key: Key,
    pub label: Text,
    /// The concrete uses under this purpose, one line each.
    #[serde(default)]
    pub details: Vec<Text>,
    /// Legal basis (PIPA 제15조①, GDPR Art. 6(1)).
    pub basis: LegalBasis,
    /// Whether consent for this purpose is asked separately from other consents (선택 동의, 별도 동의).
    #[serde(default)]
    pub separate_consent: bool,
}

/// A legal basis for processing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalBasis {
    Consent,
    Contract,
    LegalObligation,
    VitalInterest,
    PublicTask,
    LegitimateInterest,
}

/// `[[retention]]`: how long some categories are kept, from which event, and why.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionRule {
    pub key: Key,
    /// What is kept: `대금결제 및 재화 등의 공급에 관한 기록`.
    pub label: Text,
    /// Categories this rule governs.
    pub categories: Vec<CategoryKey>,
    /// The event that starts the clock.
    pub from: RetentionEvent,
    /// How long after `from` the data is kept. Absent: destroyed as soon as the event happens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    /// Why it is kept this long.
    pub basis: RetentionBasis,
    /// The law that requires it (for `basis = "law"`): `전자상거래 등에서의 소비자보호에 관한 법률 시행령 제6조`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub law: Option<Text>,
    /// The reason in words (for internal-policy retention): `부정 이용자의 재가입 방지`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Text>,
    /// Whether the data moves to separated storage (분리보관, PIPA 제21조③) while it is kept.
    #[serde(default)]
    pub separate_storage: bool,
}

/// An event that starts a retention clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RetentionEvent {
    Collection,
    AccountClosure,
    ContractEnd,
    PurposeAchieved,
    ProcessingCompleted,
    ConsentWithdrawn,
    Transaction,
}

/// Why data is retained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RetentionBasis {
    /// A law requires it.
    Law,
    /// The subject agreed to this period.
    Consent,
    /// The controller's internal policy (must give a reason).
    InternalPolicy,
}

/// `[destruction]`: how data is destroyed (PIPA 제21조, 시행령 제16조).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Destruction {
    /// The procedure in words.
    pub procedure: Text,
    /// Days after the retention period ends within which data is destroyed (`0`: without delay).
    #[serde(default)]
    pub within_days: u32,
    /// How electronic files are destroyed.
    pub electronic: Text,
    /// How paper is destroyed, when the service keeps any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paper: Option<Text>,
}

/// `[[third_party]]`: a recipient of personal data (제3자 제공, PIPA 제17조).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ThirdParty {
    pub key: Key,
    pub name: Text,
    /// The recipient's purpose.
    pub purpose: Text,
    pub categories: Vec<CategoryKey>,
    /// How long the recipient keeps it.
    pub retention: Text,
    #[serde(default = "default_consent")]
    pub basis: LegalBasis,
    /// Country, when abroad (ISO 3166-1 alpha-2); an [`OverseasTransfer`] must then describe it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

fn default_consent() -> LegalBasis {
    LegalBasis::Consent
}

/// `[[processor]]`: a processor entrusted with processing (수탁자, PIPA 제26조).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Processor {
    pub key: Key,
    pub name: Text,
    /// The task entrusted (위탁업무 내용).
    pub task: Text,
    /// Categories the processor handles.
    #[serde(default)]
    pub categories: Vec<CategoryKey>,
    /// How long the processor keeps them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<Text>,
    /// Country, when abroad (ISO 3166-1 alpha-2); an [`OverseasTransfer`] must then describe it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Whether the processor is an AI model provider that receives prompts or uploads.
    #[serde(default)]
    pub ai_provider: bool,
    /// The base URL of the AI provider's API (its origin, e.g. `https://api.openai.com`), where
    /// `vow proxy` forwards the calls it lets through. `--upstream` overrides it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Which API the AI provider speaks, and so which routes `vow proxy` serves for it: `openai`
    /// (Chat Completions, Responses, Embeddings) or `anthropic` (Messages). Absent: both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<AiApi>,
    /// Whether the processor may sub-contract (재위탁).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subprocessing: Option<Text>,
}

/// The API an AI provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AiApi {
    /// OpenAI's: Chat Completions, Responses, Embeddings (and the many providers that copy it).
    Openai,
    /// Anthropic's Messages API.
    Anthropic,
}

/// `[[overseas_transfer]]`: personal data sent abroad (PIPA 제28조의8).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OverseasTransfer {
    /// The processor or third party that receives it (its key).
    pub recipient: Key,
    /// Country (ISO 3166-1 alpha-2).
    pub country: String,
    /// The recipient's contact for privacy matters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    pub categories: Vec<CategoryKey>,
    /// When and how it is transferred: `서비스 이용 시 네트워크를 통해 수시로 전송`.
    pub when_and_how: Text,
    /// The recipient's purpose.
    pub purpose: Text,
    /// How long the recipient keeps it.
    pub retention: Text,
    /// The legal ground for the transfer (consent, contract necessity, adequacy, certification).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ground: Option<Text>,
    /// How the subject can refuse, and what refusing means.
    pub refusal: Text,
}

/// `[sensitive]`: sensitive data statement (PIPA 제23조).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SensitiveData {
    /// Whether any sensitive data is processed. When true, the categories of class `sensitive` are listed.
    pub processed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<Text>,
    /// Whether the service warns that disclosing its services may reveal sensitive data (PIPA 제23조③).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disclosure_risk: Option<Text>,
}

/// `[pseudonymised]`: pseudonymised data statement (PIPA 제28조의2–7).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Pseudonymised {
    pub processed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<Text>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safeguards: Option<Text>,
}

/// `[[automatic_collection]]`: a device that collects data automatically (PIPA 시행령 제31조①).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AutomaticCollection {
    pub kind: AutomaticKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<Text>,
    pub purposes: Vec<Text>,
    /// How to refuse it.
    pub refusal: Text,
    /// What refusing means for the subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consequence: Option<Text>,
}

/// A kind of automatic collection device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AutomaticKind {
    Cookie,
    WebStorage,
    Sdk,
    AdvertisingId,
}

/// `[rights]`: the subject's rights (PIPA 제35–38조, GDPR Art. 15–22).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(from = "RightsFile")]
pub struct Rights {
    /// Rights the subject can exercise.
    pub rights: Vec<Right>,
    /// How to exercise them (one line each).
    pub how: Vec<Text>,
    /// Deadline for an answer, in days (PIPA: 10).
    pub deadline_days: u32,
    /// When and how a request may be refused, and how the subject is told (reasons and how to object).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<Text>,
    /// Whether a legal representative or delegate may exercise them on the subject's behalf.
    #[serde(default = "default_true")]
    pub representatives: bool,
    /// Rights written with an older name (`correction` for `rectification`, …): the position in
    /// `rights` and the name as written, for the lint's hint. Never written back.
    #[serde(skip)]
    pub old_names: Vec<(usize, &'static str)>,
}

/// `[rights]` as the file writes it: rights may carry the names vow used before one vocabulary ran
/// from the policy file to the API.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RightsFile {
    rights: Vec<RightSpelling>,
    how: Vec<Text>,
    deadline_days: u32,
    #[serde(default)]
    refusal: Option<Text>,
    #[serde(default = "default_true")]
    representatives: bool,
}

impl From<RightsFile> for Rights {
    fn from(file: RightsFile) -> Rights {
        let old_names = file
            .rights
            .iter()
            .enumerate()
            .filter_map(|(i, name)| name.old.map(|old| (i, old)))
            .collect();
        Rights {
            rights: file.rights.into_iter().map(|name| name.right).collect(),
            how: file.how,
            deadline_days: file.deadline_days,
            refusal: file.refusal,
            representatives: file.representatives,
            old_names,
        }
    }
}

fn default_true() -> bool {
    true
}

/// A right of the data subject. The names are the API's and the command line's too: a rights request
/// of type `erasure` exercises the right `erasure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Right {
    /// 열람 (access, GDPR Art. 15).
    Access,
    /// 정정 (rectification, Art. 16).
    Rectification,
    /// 삭제 (erasure, Art. 17).
    Erasure,
    /// 처리정지 (restriction of processing, Art. 18).
    Restriction,
    /// 동의 철회 (withdrawal of consent, Art. 7(3)).
    ConsentWithdrawal,
    /// 전송요구 / portability (Art. 20).
    Portability,
    /// 이의 제기 (objection, Art. 21).
    Objection,
    /// 자동화된 결정에 대한 권리 (automated decisions, Art. 22; PIPA 제37조의2).
    AutomatedDecision,
    /// 처리현황 통지 요구.
    Notification,
}

impl Right {
    /// Every right, in the order a policy usually lists them.
    pub const ALL: [Right; 9] = [
        Right::Access,
        Right::Rectification,
        Right::Erasure,
        Right::Restriction,
        Right::ConsentWithdrawal,
        Right::Portability,
        Right::Objection,
        Right::AutomatedDecision,
        Right::Notification,
    ];

    /// Every right's name, in the order of [`Right::ALL`].
    pub fn names() -> &'static [&'static str] {
        &[
            "access",
            "rectification",
            "erasure",
            "restriction",
            "consent_withdrawal",
            "portability",
            "objection",
            "automated_decision",
            "notification",
        ]
    }

    /// The name the policy file, the API and the command line use.
    pub fn name(self) -> &'static str {
        match self {
            Right::Access => "access",
            Right::Rectification => "rectification",
            Right::Erasure => "erasure",
            Right::Restriction => "restriction",
            Right::ConsentWithdrawal => "consent_withdrawal",
            Right::Portability => "portability",
            Right::Objection => "objection",
            Right::AutomatedDecision => "automated_decision",
            Right::Notification => "notification",
        }
    }

    /// A right by its name, or by the name vow used for it before (`correction`, `deletion`,
    /// `suspension`, `withdraw_consent`), which is returned too.
    pub fn from_name(name: &str) -> Option<(Right, Option<&'static str>)> {
        if let Some(right) = Right::ALL.into_iter().find(|r| r.name() == name) {
            return Some((right, None));
        }
        OLD_RIGHT_NAMES
            .iter()
            .find(|(old, _)| *old == name)
            .map(|(old, right)| (*right, Some(*old)))
    }
}

/// Names of rights vow once used, still read with a lint hint.
pub const OLD_RIGHT_NAMES: [(&str, Right); 4] = [
    ("correction", Right::Rectification),
    ("deletion", Right::Erasure),
    ("suspension", Right::Restriction),
    ("withdraw_consent", Right::ConsentWithdrawal),
];

/// A right as a policy file writes it: its name, or the older name it was written with.
pub struct RightSpelling {
    pub right: Right,
    pub old: Option<&'static str>,
}

impl<'de> Deserialize<'de> for RightSpelling {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        match Right::from_name(&name) {
            Some((right, old)) => Ok(RightSpelling { right, old }),
            None => Err(serde::de::Error::unknown_variant(&name, Right::names())),
        }
    }
}

/// `[children]`: how children under the age of consent are treated (PIPA 제22조의2).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Children {
    /// `refuse`: no data of children under `age` is collected. `guardian_consent`: collected with a verified
    /// legal guardian's consent.
    pub policy: ChildPolicy,
    /// The age of consent (PIPA: 14).
    #[serde(default = "default_child_age")]
    pub age: u8,
    /// How the guardian's consent is verified (required with `guardian_consent`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<Text>,
    /// What happens when a child's data is found (with `refuse`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<Text>,
    /// The ways a guardian's consent is verified (시행령 제17조의2①). The vault records a guardian's
    /// consent only by one of these, so a policy that names none accepts no child's data.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub methods: Vec<GuardianVerification>,
}

/// A way of verifying a legal guardian's consent, as 개인정보 보호법 시행령 제17조의2① lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GuardianVerification {
    /// A text message to the guardian's mobile phone, answered with consent (1호).
    Sms,
    /// The guardian's credit or debit card details (2호).
    Card,
    /// Identity verification of the guardian's own mobile phone (3호).
    MobileIdentity,
    /// A signed consent form by post, fax or in person (4호).
    Document,
    /// An e-mail to the guardian, answered with consent (5호).
    Email,
    /// A phone call in which the guardian consents (6호).
    PhoneCall,
}

impl GuardianVerification {
    pub const ALL: [GuardianVerification; 6] = [
        GuardianVerification::Sms,
        GuardianVerification::Card,
        GuardianVerification::MobileIdentity,
        GuardianVerification::Document,
        GuardianVerification::Email,
        GuardianVerification::PhoneCall,
    ];

    /// The name the policy file and the API use.
    pub fn as_str(self) -> &'static str {
        match self {
            GuardianVerification::Sms => "sms",
            GuardianVerification::Card => "card",
            GuardianVerification::MobileIdentity => "mobile_identity",
            GuardianVerification::Document => "document",
            GuardianVerification::Email => "email",
            GuardianVerification::PhoneCall => "phone_call",
        }
    }
}

fn default_child_age() -> u8 {
    14
}

/// Treatment of children's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChildPolicy {
    Refuse,
    GuardianConsent,
}

/// `[safety]`: safety measures (PIPA 제29조, 안전성 확보조치 기준). The structured flags are promises vow keeps.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SafetyMeasures {
    #[serde(default)]
    pub administrative: Vec<Text>,
    #[serde(default)]
    pub technical: Vec<Text>,
    #[serde(default)]
    pub physical: Vec<Text>,
    /// Personal data encrypted at rest (vow encrypts every stored value; AES-256-GCM).
    #[serde(default = "default_true")]
    pub encryption_at_rest: bool,
    /// Passwords stored one-way (Argon2id).
    #[serde(default = "default_true")]
    pub password_hashing: bool,
    /// How long the access log is kept (≥ 1 year; ≥ 2 years for 50,000+ subjects or unique identifiers).
    #[serde(default = "default_access_log")]
    pub access_log_retention: Period,
    /// Whether access-log review happens monthly.
    #[serde(default = "default_true")]
    pub monthly_log_review: bool,
}

fn default_access_log() -> Period {
    Period::Years(2)
}

/// `[advertising]`: advertising messages (정보통신망법 제50조).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Advertising {
    /// Whether the service sends advertising at all.
    pub sends: bool,
    #[serde(default)]
    pub channels: Vec<AdChannel>,
    /// The purpose key under which advertising consent is collected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<Key>,
    /// Whether messages between 21:00 and 08:00 are sent (only with separate consent).
    #[serde(default)]
    pub night_time: bool,
    /// The label placed first in every message.
    #[serde(default = "default_ad_label")]
    pub label: String,
    /// Months between re-confirmations of consent (law: every 2 years = 24).
    #[serde(default = "default_reconfirm")]
    pub reconfirm_months: u32,
    /// How a recipient opts out, free of charge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opt_out: Option<Text>,
}

fn default_ad_label() -> String {
    "(광고)".to_string()
}

fn default_reconfirm() -> u32 {
    24
}

/// A channel advertising is sent through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AdChannel {
    Email,
    Sms,
    Push,
    Phone,
    Kakao,
}

/// `[ai]`: promises specific to AI services.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AiPromises {
    /// Uploaded files are deleted this long after processing, unless the subject keeps them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uploads: Option<UploadPromise>,
    /// What happens to training data once the model is made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training: Option<TrainingPromise>,
    /// Generated content is labelled as AI-generated.
    #[serde(default)]
    pub label_generated_content: bool,
    /// Chat logs and their use for improvement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_logs: Option<ChatLogPromise>,
    /// Further AI statements, one line each.
    #[serde(default)]
    pub notes: Vec<Text>,
}

/// Deletion of uploads.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UploadPromise {
    /// The upload category (e.g. `user.content.upload`).
    pub category: CategoryKey,
    /// Deleted this long after processing.
    pub delete_after: Period,
    /// Whether the subject can choose to keep uploads in their account.
    #[serde(default)]
    pub unless_saved: bool,
}

/// Training data after the model is made.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingPromise {
    /// The training-data categories.
    pub categories: Vec<CategoryKey>,
    pub after_model: TrainingDisposal,
    /// The model contains no information that identifies a person.
    #[serde(default)]
    pub model_has_no_personal_data: bool,
}

/// What happens to training data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TrainingDisposal {
    Delete,
    Anonymise,
    DeleteOrAnonymise,
}

/// Chat logs.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ChatLogPromise {
    pub category: CategoryKey,
    /// Whether chat logs are collected and analysed to improve the service.
    #[serde(default)]
    pub used_for_improvement: bool,
    /// Whether personal data is removed (by `vow redact`) before logs are used.
    #[serde(default)]
    pub redacted_before_use: bool,
    /// Advice to users (e.g. not to enter sensitive data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advice: Option<Text>,
}

/// `[remedies]`: bodies to turn to (권익침해 구제방법). The four public bodies are listed by default.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Remedies {
    /// Whether to list the standard public bodies (KISA 118, 분쟁조정위원회, 대검찰청, 경찰청).
    #[serde(default = "default_true")]
    pub standard_bodies: bool,
    #[serde(default)]
    pub others: Vec<Text>,
}

/// `[changes]`: how policy changes are announced.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeNotice {
    /// Days before an ordinary change takes effect that it is announced.
    pub ordinary_days: u32,
    /// Days before a material change (new item, purpose, recipient, processor, transfer; longer retention).
    pub material_days: u32,
    /// Where changes are announced.
    #[serde(default)]
    pub channels: Vec<Text>,
    /// Whether consent is asked again for material changes.
    #[serde(default)]
    pub reconsent_on_material: bool,
}

/// `[[role]]`: a role that may access personal data, with per-category grants. Patterns may end in `.*`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    pub key: Key,
    pub label: Text,
    /// Categories this role may read (masked unless also in `full_view`).
    #[serde(default)]
    pub read: Vec<String>,
    /// Categories this role may write.
    #[serde(default)]
    pub write: Vec<String>,
    /// Categories this role sees in full rather than masked.
    #[serde(default)]
    pub full_view: Vec<String>,
    /// Whether this role may erase subjects and export their data.
    #[serde(default)]
    pub erase: bool,
    #[serde(default)]
    pub export: bool,
    /// Whether this role administers keys and roles.
    #[serde(default)]
    pub admin: bool,
    /// Categories this role may find subjects by, by exact value. Absent: the categories it may
    /// see in full — a role that sees a value masked must not be able to guess it through lookups.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookup: Option<Vec<String>>,
    /// Lookups by value and credential checks (each a guess at a value) one key of this role may
    /// make per minute, together (default 60).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookups_per_minute: Option<u32>,
    /// Whether this role records and reads consents (grants, withdrawals, guardians' consents), asks
    /// the advertising gate and reads the operator lists (re-confirmations due, notices owed).
    #[serde(default)]
    pub consents: bool,
    /// Whether this role reads data kept in separated storage (분리보관, PIPA 제21조③): records
    /// another law still requires after their use ended. Every such read is logged.
    #[serde(default)]
    pub separated: bool,
    /// Whether this role handles data subjects' rights requests (extends, refuses, completes them,
    /// lists those due) and reads the destruction ledger.
    #[serde(default)]
    pub requests: bool,
    /// The AI processors (`[[processor]]` keys with `ai_provider = true`) this role may send
    /// prompts to through `vow proxy`. Deny by default.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub send_to: Vec<Key>,
}

/// `[[waiver]]`: a lint rule this policy waives.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    /// The rule's id, as `vow policy check` prints it (e.g. `officer-contact`).
    pub rule: String,
    /// Why — shown in the check output and never empty.
    pub reason: String,
}

/// The categories a policy collects somewhere (required or optional in some `[[collection]]`).
pub fn collected_categories(policy: &Policy) -> std::collections::BTreeSet<&str> {
    policy
        .collections
        .iter()
        .flat_map(|c| c.required.iter().chain(&c.optional))
        .map(String::as_str)
        .collect()
}
