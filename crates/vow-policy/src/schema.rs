//! The policy file's format as data: every table and field, its type, whether it is required, its default,
//! what it states and the law it serves.
//!
//! Two things are made from it. [`check_structure`] walks a file's TOML against it and reports every missing
//! field, unknown field and value of the wrong type in one pass, each at its `file:line:col` (serde stops at
//! the first). [`reference_markdown`] writes `docs/policy-reference.md`. The model in [`crate::model`] stays
//! the one definition of what a file means: values are checked by the model's own `Deserialize` of each
//! field's type, enum values are read from the model's enums, and `tests/reference.rs` fails when a table or
//! field of the model is missing here, when one here is not in the model, or when a required flag or a
//! default disagrees with serde.

use std::cell::Cell;
use std::fmt::Write as _;

use serde::de::{self, DeserializeOwned, Visitor};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::diagnostic::{Diagnostic, DocPath, SourceMap};
use crate::load::closest;
use crate::model::{
    AdChannel, AiApi, AutomaticKind, ChildPolicy, DataClass, Date, GuardianVerification,
    Jurisdiction, LegalBasis, MaskStyle, Period, RetentionBasis, RetentionEvent, Right,
    RightSpelling, Text, TrainingDisposal,
};

/// A table of the file: `[policy]`, `[[category]]`, `[officer.deputy]`, or the file itself.
#[derive(Debug)]
pub struct Table {
    /// The table's name as the file writes it (`officer.deputy`); empty for the file itself.
    pub name: &'static str,
    /// What the table states, in one sentence.
    pub about: &'static str,
    /// The law the table serves.
    pub law: &'static str,
    /// The field that names an entry of a list of tables in messages (`key`, `recipient`).
    pub names_entry: Option<&'static str>,
    pub fields: &'static [Field],
}

/// A field of a table.
#[derive(Debug)]
pub struct Field {
    /// The name as the file writes it.
    pub name: &'static str,
    pub kind: Kind,
    /// Whether the value is a list of `kind` (for a table: a list of tables, `[[name]]`).
    pub list: bool,
    pub default: WhenOmitted,
    /// What the field states, in one sentence.
    pub about: &'static str,
    /// The law the field serves, when it is more precise than its table's.
    pub law: &'static str,
    /// Checks a value of the field with the model's own `Deserialize`; `None` for tables, which
    /// [`check_structure`] walks field by field.
    check: Option<fn(toml::Value) -> Result<(), String>>,
}

impl Field {
    /// Whether a file must give the field.
    pub fn required(&self) -> bool {
        matches!(self.default, WhenOmitted::Required)
    }
}

/// What a field is when the file leaves it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenOmitted {
    /// The file must give it.
    Required,
    /// It is absent, which means what the text says.
    Absent(&'static str),
    /// It takes this value, written as TOML.
    Value(&'static str),
}

/// The type of a field's value.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// A string, taken as written.
    Str,
    /// Text for people: a string (Korean) or `{ ko = "...", en = "..." }`.
    Text,
    Bool,
    /// A whole number, not negative.
    Int,
    /// `YYYY-MM-DD`.
    Date,
    /// A span of time: `24h`, `10d`, `6mo`, `5y`.
    Period,
    /// One of the names the model's enum accepts.
    Enum(fn() -> &'static [&'static str]),
    /// The key of an entry of the named list of tables (`purpose`, `category`).
    Key(&'static str),
    /// A category key, or a pattern ending in `.*`, or `*`.
    Pattern,
    Table(&'static Table),
}

impl Kind {
    fn words(&self, list: bool) -> String {
        let names = |variants: &[&str]| {
            variants
                .iter()
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let key_of = |table: &str| {
            if table == "processor or third_party" {
                "`[[processor]]` or `[[third_party]]`".to_string()
            } else {
                format!("`[[{table}]]`")
            }
        };
        match (self, list) {
            (Kind::Str, false) => "string".to_string(),
            (Kind::Str, true) => "list of strings".to_string(),
            (Kind::Text, false) => "text".to_string(),
            (Kind::Text, true) => "list of texts".to_string(),
            (Kind::Bool, _) => "boolean".to_string(),
            (Kind::Int, _) => "integer".to_string(),
            (Kind::Date, _) => "date".to_string(),
            (Kind::Period, _) => "period".to_string(),
            (Kind::Enum(variants), false) => format!("one of {}", names(variants())),
            (Kind::Enum(variants), true) => format!("list, each one of {}", names(variants())),
            (Kind::Key(table), false) => format!("key of a {}", key_of(table)),
            (Kind::Key(table), true) => format!("list of keys of {}", key_of(table)),
            (Kind::Pattern, false) => "category pattern".to_string(),
            (Kind::Pattern, true) => "list of category patterns".to_string(),
            (Kind::Table(t), false) => format!("table `[{}]`", t.name),
            (Kind::Table(t), true) => format!("tables `[[{}]]`", t.name),
        }
    }

    /// A value of this kind as a starting point in a `help` line.
    fn example(&self) -> &'static str {
        match self {
            Kind::Str | Kind::Key(_) | Kind::Pattern => "\"...\"",
            Kind::Text => "{ ko = \"...\", en = \"...\" }",
            Kind::Bool => "true",
            Kind::Int => "0",
            Kind::Date => "2025-01-01",
            Kind::Period => "\"1y\"",
            Kind::Enum(_) => "\"...\"",
            Kind::Table(_) => "{ ... }",
        }
    }
}

/// Checks a value by deserialising it into the model's type `T`.
fn leaf<T: DeserializeOwned>(value: toml::Value) -> Result<(), String> {
    T::deserialize(value)
        .map(|_| ())
        .map_err(|err| err.message().trim().to_string())
}

/// The names an enum of the model accepts, read from its `Deserialize` (serde hands them to the
/// deserializer), so they cannot differ from what the parser takes.
pub fn variants<T: DeserializeOwned>() -> &'static [&'static str] {
    let found = Cell::new(&[][..]);
    let _ = T::deserialize(VariantProbe(&found));
    found.get()
}

struct VariantProbe<'a>(&'a Cell<&'static [&'static str]>);

impl<'de> de::Deserializer<'de> for VariantProbe<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not an enum"))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.set(variants);
        Err(de::Error::custom("probed"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
        unit unit_struct newtype_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

macro_rules! field {
    ($name:literal, $ty:ty, $kind:expr, $default:expr, $about:literal, $law:literal) => {
        Field {
            name: $name,
            kind: $kind,
            list: false,
            default: $default,
            about: $about,
            law: $law,
            check: Some(leaf::<$ty>),
        }
    };
}

macro_rules! list {
    ($name:literal, $ty:ty, $kind:expr, $default:expr, $about:literal, $law:literal) => {
        Field {
            name: $name,
            kind: $kind,
            list: true,
            default: $default,
            about: $about,
            law: $law,
            check: Some(leaf::<Vec<$ty>>),
        }
    };
}

macro_rules! table {
    ($name:literal, $table:expr, $many:expr, $default:expr, $about:literal) => {
        Field {
            name: $name,
            kind: Kind::Table(&$table),
            list: $many,
            default: $default,
            about: $about,
            law: "",
            check: None,
        }
    };
}

use WhenOmitted::{Absent, Required, Value};

const NONE: WhenOmitted = Absent("none");
const EMPTY: WhenOmitted = Value("[]");
const FALSE: WhenOmitted = Value("false");

/// The whole file.
#[rustfmt::skip]
pub static FILE: Table = Table {
    name: "",
    about: "A privacy policy (개인정보 처리방침) as data.",
    law: "PIPA 제30조",
    names_entry: None,
    fields: &[
        table!("policy", POLICY, false, Required, "Identity, version and dates of this policy."),
        table!("controller", CONTROLLER, false, Required, "Who is responsible (개인정보처리자)."),
        table!("officer", OFFICER, false, Required, "The privacy officer (개인정보 보호책임자)."),
        table!("department", DEPARTMENT, false, NONE, "The department that receives requests."),
        table!("subject", SUBJECT, true, EMPTY, "Kinds of data subject."),
        table!("category", CATEGORY, true, EMPTY, "Every category of personal data processed."),
        table!("collection", COLLECTION, true, EMPTY, "Points where data is collected."),
        table!("purpose", PURPOSE, true, EMPTY, "Purposes of processing and their legal bases."),
        table!("retention", RETENTION, true, EMPTY, "How long categories are kept, and why."),
        table!("destruction", DESTRUCTION, false, NONE, "How data is destroyed."),
        table!("third_party", THIRD_PARTY, true, EMPTY, "Recipients of personal data."),
        table!("processor", PROCESSOR, true, EMPTY, "Processors the controller entrusts processing to."),
        table!("overseas_transfer", OVERSEAS_TRANSFER, true, EMPTY, "Transfers of personal data abroad."),
        table!("sensitive", SENSITIVE, false, NONE, "The sensitive data statement."),
        table!("pseudonymised", PSEUDONYMISED, false, NONE, "The pseudonymised data statement."),
        table!("automatic_collection", AUTOMATIC_COLLECTION, true, EMPTY, "Cookies and other devices that collect data automatically."),
        table!("rights", RIGHTS, false, NONE, "The subject's rights, how to exercise them, the deadline."),
        table!("children", CHILDREN, false, NONE, "How children's data is treated."),
        table!("safety", SAFETY, false, NONE, "Safety measures."),
        table!("advertising", ADVERTISING, false, NONE, "Advertising messages."),
        table!("ai", AI, false, NONE, "Promises specific to AI services."),
        table!("remedies", REMEDIES, false, NONE, "Where to turn for remedies."),
        table!("changes", CHANGES, false, NONE, "How changes to the policy are announced."),
        table!("role", ROLE, true, EMPTY, "Roles that may access personal data (enforced by the vault)."),
        table!("waiver", WAIVER, true, EMPTY, "Lint rules this policy waives, each with a reason."),
    ],
};

#[rustfmt::skip]
static POLICY: Table = Table {
    name: "policy",
    about: "Identity, version and dates of this policy.",
    law: "PIPA 제30조, 시행령 제31조",
    names_entry: None,
    fields: &[
        field!("format", u32, Kind::Int, Required, "The file format version; this vow reads `1`.", ""),
        field!("service", Text, Kind::Text, Required, "The service's name, as the document's title shows it.", ""),
        field!("version", String, Kind::Str, Required, "This version's label (`v3`, `2025-11-23`); a part of the published URLs.", "PIPC 작성지침 (처리방침의 변경)"),
        field!("announced", Date, Kind::Date, Absent("not announced; `vow policy diff` then cannot check the notice period"), "The day the policy is announced (공고일).", "PIPA 시행령 제31조②"),
        field!("effective", Date, Kind::Date, Required, "The day it takes effect (시행일).", "PIPA 시행령 제31조②"),
        list!("jurisdictions", Jurisdiction, Kind::Enum(variants::<Jurisdiction>), Value("[\"KR\"]"), "The laws the service answers to; `EU` adds the GDPR Art. 13 lint.", "GDPR Art. 3, 13"),
        field!("previous_versions", String, Kind::Str, NONE, "Where earlier versions can be read.", "PIPC 작성지침 (처리방침의 변경)"),
        field!("preamble", Text, Kind::Text, NONE, "An opening statement above the first section.", ""),
    ],
};

#[rustfmt::skip]
static CONTROLLER: Table = Table {
    name: "controller",
    about: "Who is responsible for the processing (개인정보처리자).",
    law: "PIPA 제30조①; GDPR Art. 13(1)(a)",
    names_entry: None,
    fields: &[
        field!("name", Text, Kind::Text, Required, "The controller's name.", ""),
        field!("representative", Text, Kind::Text, NONE, "The representative (대표자).", ""),
        field!("address", Text, Kind::Text, NONE, "The address.", ""),
        field!("email", String, Kind::Str, NONE, "An e-mail address.", "GDPR Art. 13(1)(a)"),
        field!("phone", String, Kind::Str, NONE, "A phone number.", "GDPR Art. 13(1)(a)"),
        field!("website", String, Kind::Str, NONE, "The website.", ""),
        field!("business_registration_number", String, Kind::Str, NONE, "사업자등록번호.", ""),
        field!("mail_order_registration", String, Kind::Str, NONE, "통신판매업 신고번호.", "전자상거래법 제12조"),
        field!("eu_representative", Text, Kind::Text, NONE, "The representative in the European Union of a controller established outside it: name and contact.", "GDPR Art. 27, 13(1)(a)"),
    ],
};

#[rustfmt::skip]
static OFFICER: Table = Table {
    name: "officer",
    about: "The privacy officer (개인정보 보호책임자); a name and a phone number or e-mail are required.",
    law: "PIPA 제31조, 제30조①6",
    names_entry: None,
    fields: &[
        field!("name", Text, Kind::Text, Required, "The officer's name (or title, where the name is not published).", ""),
        field!("title", Text, Kind::Text, NONE, "The officer's position.", ""),
        field!("department", Text, Kind::Text, NONE, "The officer's department.", ""),
        field!("email", String, Kind::Str, NONE, "An e-mail address (this or `phone` is required).", ""),
        field!("phone", String, Kind::Str, NONE, "A phone number (this or `email` is required).", ""),
        table!("deputy", DEPUTY, false, NONE, "A staff member who assists the officer (개인정보 보호담당자)."),
    ],
};

#[rustfmt::skip]
static DEPUTY: Table = Table {
    name: "officer.deputy",
    about: "A staff member who assists the privacy officer (개인정보 보호담당자).",
    law: "PIPC 작성지침",
    names_entry: None,
    fields: &[
        field!("name", Text, Kind::Text, Required, "The name.", ""),
        field!("title", Text, Kind::Text, NONE, "The position.", ""),
        field!("department", Text, Kind::Text, NONE, "The department.", ""),
        field!("email", String, Kind::Str, NONE, "An e-mail address.", ""),
        field!("phone", String, Kind::Str, NONE, "A phone number.", ""),
    ],
};

#[rustfmt::skip]
static DEPARTMENT: Table = Table {
    name: "department",
    about: "The department that receives and handles requests (열람청구 접수·처리 부서).",
    law: "PIPA 제35조, PIPC 작성지침",
    names_entry: None,
    fields: &[
        field!("name", Text, Kind::Text, Required, "The department's name.", ""),
        field!("contact", Text, Kind::Text, NONE, "The person to contact.", ""),
        field!("email", String, Kind::Str, NONE, "An e-mail address.", ""),
        field!("phone", String, Kind::Str, NONE, "A phone number.", ""),
    ],
};

#[rustfmt::skip]
static SUBJECT: Table = Table {
    name: "subject",
    about: "A kind of data subject: member, business contact, child.",
    law: "PIPA 제30조①",
    names_entry: Some("key"),
    fields: &[
        field!("key", String, Kind::Str, Required, "The key the API uses (`\"kind\": \"member\"`).", ""),
        field!("label", Text, Kind::Text, Required, "The name people read.", ""),
        field!("child", bool, Kind::Bool, FALSE, "Whether subjects of this kind are children under the age of consent.", "PIPA 제22조의2"),
    ],
};

#[rustfmt::skip]
static CATEGORY: Table = Table {
    name: "category",
    about: "A category of personal data. The vault stores nothing that is not declared.",
    law: "PIPA 제30조①1, 시행령 제31조①1",
    names_entry: Some("key"),
    fields: &[
        field!("key", String, Kind::Str, Required, "A dot path of lower-case segments (`user.contact.email`).", ""),
        field!("label", Text, Kind::Text, Required, "The item as the document names it.", ""),
        field!("class", DataClass, Kind::Enum(variants::<DataClass>), Value("\"ordinary\""), "How the law classes it; decides how vow stores it.", "PIPA 제23조, 제24조; 안전성 확보조치 기준 제7조"),
        field!("lookup", bool, Kind::Bool, FALSE, "Whether the vault keeps a blind index to find subjects by this value.", ""),
        field!("note", Text, Kind::Text, NONE, "A note shown beside the item.", ""),
        field!("mask", MaskStyle, Kind::Enum(variants::<MaskStyle>), Absent("chosen from the key's last part (`email`, `phone`, `name`), else `hidden`"), "How a role that may not see it in full sees it.", "안전성 확보조치 기준 제5조"),
    ],
};

#[rustfmt::skip]
static COLLECTION: Table = Table {
    name: "collection",
    about: "A point where personal data is collected, with its required and optional items.",
    law: "PIPA 제15조②, 제16조, 제30조①1",
    names_entry: Some("key"),
    fields: &[
        field!("key", String, Kind::Str, Required, "The entry's key.", ""),
        field!("label", Text, Kind::Text, Required, "When or where (`회원가입 시`).", ""),
        list!("subjects", String, Kind::Key("subject"), Absent("every kind of subject"), "The kinds of subject it applies to.", ""),
        field!("method", Text, Kind::Text, NONE, "How it is collected.", "PIPC 작성지침 (수집 방법)"),
        field!("automatic", bool, Kind::Bool, FALSE, "Whether the data is generated automatically rather than entered.", "PIPA 제30조①7"),
        list!("required", String, Kind::Key("category"), EMPTY, "Items the subject must provide.", "PIPA 제16조"),
        list!("optional", String, Kind::Key("category"), EMPTY, "Items the subject may choose to provide.", "PIPA 제16조②③"),
        list!("purposes", String, Kind::Key("purpose"), EMPTY, "The purposes what is collected here serves.", "PIPA 제15조②1"),
    ],
};

#[rustfmt::skip]
static PURPOSE: Table = Table {
    name: "purpose",
    about: "A purpose of processing, with its legal basis.",
    law: "PIPA 제15조①, 제30조①1; GDPR Art. 6(1), 13(1)(c)",
    names_entry: Some("key"),
    fields: &[
        field!("key", String, Kind::Str, Required, "The entry's key.", ""),
        field!("label", Text, Kind::Text, Required, "The purpose as the document names it.", ""),
        list!("details", Text, Kind::Text, EMPTY, "The concrete uses, one line each (for legitimate interests: the interests).", "GDPR Art. 13(1)(d)"),
        field!("basis", LegalBasis, Kind::Enum(variants::<LegalBasis>), Required, "The legal basis.", "PIPA 제15조①; GDPR Art. 6(1)"),
        field!("separate_consent", bool, Kind::Bool, FALSE, "Whether consent to it is asked separately from other consents.", "PIPA 제22조"),
    ],
};

#[rustfmt::skip]
static RETENTION: Table = Table {
    name: "retention",
    about: "How long some categories are kept, from which event, and why.",
    law: "PIPA 제21조, 제30조①2",
    names_entry: Some("key"),
    fields: &[
        field!("key", String, Kind::Str, Required, "The entry's key; the vault names it when it keeps or destroys a piece.", ""),
        field!("label", Text, Kind::Text, Required, "What is kept (`대금결제 및 재화 등의 공급에 관한 기록`).", ""),
        list!("categories", String, Kind::Key("category"), Required, "The categories the rule governs.", ""),
        field!("from", RetentionEvent, Kind::Enum(variants::<RetentionEvent>), Required, "The event that starts the clock.", ""),
        field!("period", Period, Kind::Period, Absent("destroyed as soon as the event happens"), "How long after `from` the data is kept.", "PIPA 제21조①"),
        field!("basis", RetentionBasis, Kind::Enum(variants::<RetentionBasis>), Required, "Why it is kept this long.", "PIPA 제21조①"),
        field!("law", Text, Kind::Text, NONE, "The law that requires it (with `basis = \"law\"`).", "PIPA 제21조①, 제30조①3의2"),
        field!("reason", Text, Kind::Text, NONE, "The reason in words (with `basis = \"internal_policy\"`).", ""),
        field!("separate_storage", bool, Kind::Bool, FALSE, "Whether the data moves to separated storage while it is kept.", "PIPA 제21조③"),
    ],
};

#[rustfmt::skip]
static DESTRUCTION: Table = Table {
    name: "destruction",
    about: "How data is destroyed (파기 절차 및 방법).",
    law: "PIPA 제21조, 제30조①3의2, 시행령 제16조",
    names_entry: None,
    fields: &[
        field!("procedure", Text, Kind::Text, Required, "The procedure in words.", ""),
        field!("within_days", u32, Kind::Int, Value("0"), "Days after the period ends within which data is destroyed (`0`: without delay).", "PIPA 제21조①"),
        field!("electronic", Text, Kind::Text, Required, "How electronic files are destroyed.", "PIPA 시행령 제16조①1"),
        field!("paper", Text, Kind::Text, NONE, "How paper is destroyed.", "PIPA 시행령 제16조①2"),
    ],
};

#[rustfmt::skip]
static THIRD_PARTY: Table = Table {
    name: "third_party",
    about: "A recipient of personal data (제3자 제공).",
    law: "PIPA 제17조②, 제30조①3",
    names_entry: Some("key"),
    fields: &[
        field!("key", String, Kind::Str, Required, "The entry's key.", ""),
        field!("name", Text, Kind::Text, Required, "The recipient.", ""),
        field!("purpose", Text, Kind::Text, Required, "The recipient's purpose.", ""),
        list!("categories", String, Kind::Key("category"), Required, "The items provided.", ""),
        field!("retention", Text, Kind::Text, Required, "How long the recipient keeps them.", ""),
        field!("basis", LegalBasis, Kind::Enum(variants::<LegalBasis>), Value("\"consent\""), "The legal basis of the provision.", "PIPA 제17조①"),
        field!("country", String, Kind::Str, Absent("in Korea"), "The country, when abroad (ISO 3166-1 alpha-2); an `[[overseas_transfer]]` must then describe it.", "PIPA 제28조의8"),
    ],
};

#[rustfmt::skip]
static PROCESSOR: Table = Table {
    name: "processor",
    about: "A processor entrusted with processing (수탁자).",
    law: "PIPA 제26조②, 제30조①4",
    names_entry: Some("key"),
    fields: &[
        field!("key", String, Kind::Str, Required, "The entry's key (`send_to` and `[[overseas_transfer]]` name it).", ""),
        field!("name", Text, Kind::Text, Required, "The processor.", ""),
        field!("task", Text, Kind::Text, Required, "The task entrusted (위탁업무 내용).", ""),
        list!("categories", String, Kind::Key("category"), EMPTY, "The items it handles; for an AI provider, what `vow proxy` lets through.", ""),
        field!("retention", Text, Kind::Text, NONE, "How long it keeps them.", ""),
        field!("country", String, Kind::Str, Absent("in Korea"), "The country, when abroad (ISO 3166-1 alpha-2); an `[[overseas_transfer]]` must then describe it.", "PIPA 제28조의8"),
        field!("ai_provider", bool, Kind::Bool, FALSE, "Whether it is an AI model provider that receives prompts or uploads.", ""),
        field!("endpoint", String, Kind::Str, NONE, "The AI provider's API origin, where `vow proxy` forwards calls.", ""),
        field!("api", AiApi, Kind::Enum(variants::<AiApi>), Absent("both"), "The API the AI provider speaks.", ""),
        field!("subprocessing", Text, Kind::Text, NONE, "Whether and to whom it may sub-contract (재위탁).", "PIPA 제26조⑥"),
    ],
};

#[rustfmt::skip]
static OVERSEAS_TRANSFER: Table = Table {
    name: "overseas_transfer",
    about: "Personal data sent abroad (국외 이전), stated in the items the law lists.",
    law: "PIPA 제28조의8②; GDPR Art. 13(1)(f)",
    names_entry: Some("recipient"),
    fields: &[
        field!("recipient", String, Kind::Key("processor or third_party"), Required, "Who receives it.", ""),
        field!("country", String, Kind::Str, Required, "The country (ISO 3166-1 alpha-2).", ""),
        field!("contact", String, Kind::Str, NONE, "The recipient's contact for privacy matters (the lint asks for it).", "PIPA 제28조의8②"),
        list!("categories", String, Kind::Key("category"), Required, "The items transferred.", ""),
        field!("when_and_how", Text, Kind::Text, Required, "When and how they are transferred.", ""),
        field!("purpose", Text, Kind::Text, Required, "The recipient's purpose.", ""),
        field!("retention", Text, Kind::Text, Required, "How long the recipient keeps them.", ""),
        field!("ground", Text, Kind::Text, NONE, "The legal ground of the transfer (consent, contract, adequacy, safeguards).", "PIPA 제28조의8①; GDPR Art. 13(1)(f)"),
        field!("refusal", Text, Kind::Text, Required, "How to refuse, and what refusing means.", ""),
    ],
};

#[rustfmt::skip]
static SENSITIVE: Table = Table {
    name: "sensitive",
    about: "The sensitive data (민감정보) statement.",
    law: "PIPA 제23조, 제30조①3의3",
    names_entry: None,
    fields: &[
        field!("processed", bool, Kind::Bool, Required, "Whether any sensitive data is processed (the categories of class `sensitive` are listed).", ""),
        field!("statement", Text, Kind::Text, NONE, "The statement in words.", ""),
        field!("disclosure_risk", Text, Kind::Text, NONE, "The warning that using the service may reveal sensitive data.", "PIPA 제23조③"),
    ],
};

#[rustfmt::skip]
static PSEUDONYMISED: Table = Table {
    name: "pseudonymised",
    about: "The pseudonymised data (가명정보) statement.",
    law: "PIPA 제28조의2–7, 제30조①4의2",
    names_entry: None,
    fields: &[
        field!("processed", bool, Kind::Bool, Required, "Whether pseudonymised data is processed.", ""),
        field!("purpose", Text, Kind::Text, NONE, "Its purpose.", ""),
        field!("retention", Text, Kind::Text, NONE, "How long it is kept.", ""),
        field!("safeguards", Text, Kind::Text, NONE, "The safeguards.", "PIPA 제28조의4"),
    ],
};

#[rustfmt::skip]
static AUTOMATIC_COLLECTION: Table = Table {
    name: "automatic_collection",
    about:
        "A device that collects data automatically: cookies, web storage, SDKs, advertising ids.",
    law: "PIPA 제30조①7",
    names_entry: Some("kind"),
    fields: &[
        field!("kind", AutomaticKind, Kind::Enum(variants::<AutomaticKind>), Required, "The kind of device.", ""),
        field!("description", Text, Kind::Text, NONE, "What it is.", ""),
        list!("purposes", Text, Kind::Text, Required, "What it is used for, one line each.", ""),
        field!("refusal", Text, Kind::Text, Required, "How to refuse it.", ""),
        field!("consequence", Text, Kind::Text, NONE, "What refusing means.", ""),
    ],
};

#[rustfmt::skip]
static RIGHTS: Table = Table {
    name: "rights",
    about: "The subject's rights, how to exercise them and the deadline for an answer.",
    law: "PIPA 제35–38조, 제30조①5; GDPR Art. 12–22, 13(2)(b)",
    names_entry: None,
    fields: &[
        list!("rights", RightSpelling, Kind::Enum(Right::names), Required, "The rights the subject can exercise; the vault accepts requests for these only.", ""),
        list!("how", Text, Kind::Text, Required, "How to exercise them, one way per line.", "PIPA 제38조"),
        field!("deadline_days", u32, Kind::Int, Required, "Days within which a request is answered (PIPA: 10; GDPR: a month).", "PIPA 시행령 제41조④; GDPR Art. 12(3)"),
        field!("refusal", Text, Kind::Text, NONE, "When a request may be refused, and how the subject learns why and how to object.", "PIPA 제35조④, 제37조②"),
        field!("representatives", bool, Kind::Bool, Value("true"), "Whether a legal representative or delegate may act for the subject.", "PIPA 제38조①"),
    ],
};

#[rustfmt::skip]
static CHILDREN: Table = Table {
    name: "children",
    about: "How data of children under the age of consent is treated.",
    law: "PIPA 제22조의2, 시행령 제17조의2",
    names_entry: None,
    fields: &[
        field!("policy", ChildPolicy, Kind::Enum(variants::<ChildPolicy>), Required, "`refuse` collects nothing of children; `guardian_consent` collects with a verified guardian's consent.", ""),
        field!("age", u8, Kind::Int, Value("14"), "The age of consent.", "PIPA 제22조의2①"),
        field!("verification", Text, Kind::Text, NONE, "How the guardian's consent is verified (with `guardian_consent`).", "PIPA 시행령 제17조의2"),
        field!("statement", Text, Kind::Text, NONE, "What happens when a child's data is found.", ""),
        list!("methods", GuardianVerification, Kind::Enum(variants::<GuardianVerification>), EMPTY, "The ways the vault records a guardian's consent; none: it accepts no child's data.", "PIPA 시행령 제17조의2①"),
    ],
};

#[rustfmt::skip]
static SAFETY: Table = Table {
    name: "safety",
    about: "Safety measures (안전성 확보조치); the flags are promises vow keeps.",
    law: "PIPA 제29조, 시행령 제30조, 개인정보의 안전성 확보조치 기준",
    names_entry: None,
    fields: &[
        list!("administrative", Text, Kind::Text, EMPTY, "Administrative measures, one per line.", "PIPA 시행령 제30조①"),
        list!("technical", Text, Kind::Text, EMPTY, "Technical measures, one per line.", "PIPA 시행령 제30조①"),
        list!("physical", Text, Kind::Text, EMPTY, "Physical measures, one per line.", "PIPA 시행령 제30조①"),
        field!("encryption_at_rest", bool, Kind::Bool, Value("true"), "Personal data is encrypted at rest.", "안전성 확보조치 기준 제7조"),
        field!("password_hashing", bool, Kind::Bool, Value("true"), "Passwords are stored one-way.", "안전성 확보조치 기준 제7조"),
        field!("access_log_retention", Period, Kind::Period, Value("\"2y\""), "How long the access log is kept (≥ 1 year; ≥ 2 years with 50,000+ subjects, unique identifiers or sensitive data).", "안전성 확보조치 기준 제8조①"),
        field!("monthly_log_review", bool, Kind::Bool, Value("true"), "The access log is reviewed monthly.", "안전성 확보조치 기준 제8조②"),
    ],
};

#[rustfmt::skip]
static ADVERTISING: Table = Table {
    name: "advertising",
    about: "Advertising messages (광고성 정보 전송).",
    law: "정보통신망법 제50조, 시행령 제61조–제62조의3",
    names_entry: None,
    fields: &[
        field!("sends", bool, Kind::Bool, Required, "Whether the service sends advertising at all.", ""),
        list!("channels", AdChannel, Kind::Enum(variants::<AdChannel>), EMPTY, "The channels it is sent through.", ""),
        field!("purpose", String, Kind::Key("purpose"), NONE, "The purpose under which consent to advertising is collected.", "정보통신망법 제50조①"),
        field!("night_time", bool, Kind::Bool, FALSE, "Whether messages are sent between 21:00 and 08:00 (only with separate consent).", "정보통신망법 제50조③"),
        field!("label", String, Kind::Str, Value("\"(광고)\""), "The label placed first in every message.", "정보통신망법 제50조④, 시행령 제61조"),
        field!("reconfirm_months", u32, Kind::Int, Value("24"), "Months between re-confirmations of consent.", "정보통신망법 시행령 제62조의3"),
        field!("opt_out", Text, Kind::Text, NONE, "How a recipient opts out, free of charge.", "정보통신망법 제50조④⑧"),
    ],
};

#[rustfmt::skip]
static AI: Table = Table {
    name: "ai",
    about: "Promises specific to AI services: uploads, training data, labelling, chat logs.",
    law: "PIPA 제3조⑤ (처리의 투명성)",
    names_entry: None,
    fields: &[
        table!("uploads", AI_UPLOADS, false, NONE, "When uploaded files are deleted."),
        table!("training", AI_TRAINING, false, NONE, "What happens to training data once the model is made."),
        field!("label_generated_content", bool, Kind::Bool, FALSE, "Generated content is labelled as made by AI.", "인공지능 기본법 제31조"),
        table!("chat_logs", AI_CHAT_LOGS, false, NONE, "Chat logs and their use."),
        list!("notes", Text, Kind::Text, EMPTY, "Further statements, one line each.", ""),
    ],
};

#[rustfmt::skip]
static AI_UPLOADS: Table = Table {
    name: "ai.uploads",
    about: "Uploaded files are deleted this long after processing.",
    law: "PIPA 제21조①",
    names_entry: None,
    fields: &[
        field!("category", String, Kind::Key("category"), Required, "The upload category.", ""),
        field!("delete_after", Period, Kind::Period, Required, "How long after processing they are deleted.", ""),
        field!("unless_saved", bool, Kind::Bool, FALSE, "Whether the subject may keep uploads in the account.", ""),
    ],
};

#[rustfmt::skip]
static AI_TRAINING: Table = Table {
    name: "ai.training",
    about: "Training data after the model is made.",
    law: "PIPA 제21조①",
    names_entry: None,
    fields: &[
        list!("categories", String, Kind::Key("category"), Required, "The training-data categories.", ""),
        field!("after_model", TrainingDisposal, Kind::Enum(variants::<TrainingDisposal>), Required, "What happens to them once the model is made.", ""),
        field!("model_has_no_personal_data", bool, Kind::Bool, FALSE, "The model contains no information that identifies a person.", ""),
    ],
};

#[rustfmt::skip]
static AI_CHAT_LOGS: Table = Table {
    name: "ai.chat_logs",
    about: "Chat logs and their use to improve the service.",
    law: "PIPA 제15조①, 제18조",
    names_entry: None,
    fields: &[
        field!("category", String, Kind::Key("category"), Required, "The chat-log category.", ""),
        field!("used_for_improvement", bool, Kind::Bool, FALSE, "Whether chat logs are analysed to improve the service.", ""),
        field!("redacted_before_use", bool, Kind::Bool, FALSE, "Whether personal data is removed (`vow redact`) before they are used.", ""),
        field!("advice", Text, Kind::Text, NONE, "Advice to users (not to enter sensitive data).", ""),
    ],
};

#[rustfmt::skip]
static REMEDIES: Table = Table {
    name: "remedies",
    about: "Where to turn for remedies besides the controller (권익침해 구제방법).",
    law: "PIPC 작성지침; GDPR Art. 13(2)(d)",
    names_entry: None,
    fields: &[
        field!("standard_bodies", bool, Kind::Bool, Value("true"), "List the four public bodies (KISA 118, 분쟁조정위원회, 대검찰청, 경찰청).", ""),
        list!("others", Text, Kind::Text, EMPTY, "Other bodies, one per line (under the GDPR: the supervisory authority).", "GDPR Art. 13(2)(d)"),
    ],
};

#[rustfmt::skip]
static CHANGES: Table = Table {
    name: "changes",
    about: "How changes to the policy are announced (고지의 의무).",
    law: "PIPA 제30조②, PIPC 작성지침 (처리방침의 변경)",
    names_entry: None,
    fields: &[
        field!("ordinary_days", u32, Kind::Int, Required, "Days before an ordinary change takes effect that it is announced (≥ 7).", ""),
        field!("material_days", u32, Kind::Int, Required, "Days before a material change takes effect (≥ `ordinary_days`; 30 in practice).", ""),
        list!("channels", Text, Kind::Text, EMPTY, "Where changes are announced.", ""),
        field!("reconsent_on_material", bool, Kind::Bool, FALSE, "Whether consent is asked again for material changes.", ""),
    ],
};

#[rustfmt::skip]
static ROLE: Table = Table {
    name: "role",
    about: "A role that may access personal data, enforced by the vault (deny by default); patterns may end in `.*`.",
    law: "안전성 확보조치 기준 제5조 (접근 권한의 관리)",
    names_entry: Some("key"),
    fields: &[
        field!("key", String, Kind::Str, Required, "The role's key; each API key has one role.", ""),
        field!("label", Text, Kind::Text, Required, "The role's name.", ""),
        list!("read", String, Kind::Pattern, EMPTY, "Categories it may read (masked unless also in `full_view`).", ""),
        list!("write", String, Kind::Pattern, EMPTY, "Categories it may write.", ""),
        list!("full_view", String, Kind::Pattern, EMPTY, "Categories it sees in full rather than masked.", ""),
        field!("erase", bool, Kind::Bool, FALSE, "Whether it may erase subjects.", "PIPA 제36조"),
        field!("export", bool, Kind::Bool, FALSE, "Whether it may export a subject's data.", "PIPA 제35조"),
        field!("admin", bool, Kind::Bool, FALSE, "Whether it administers API keys and roles (it sees no personal data by this).", ""),
        list!("lookup", String, Kind::Pattern, Absent("the categories it sees in full"), "Categories it may find subjects by, by exact value.", ""),
        field!("lookups_per_minute", u32, Kind::Int, Absent("60"), "Lookups by value and credential checks one key may make per minute.", "안전성 확보조치 기준 제5조⑥"),
        field!("consents", bool, Kind::Bool, FALSE, "Whether it records and reads consents, asks the advertising gate and reads the operator lists.", ""),
        field!("separated", bool, Kind::Bool, FALSE, "Whether it reads data kept in separated storage (every read is logged).", "PIPA 제21조③"),
        field!("requests", bool, Kind::Bool, FALSE, "Whether it handles rights requests and reads the destruction ledger.", "PIPA 제35–38조"),
        list!("send_to", String, Kind::Key("processor"), EMPTY, "The AI providers (`ai_provider = true`) it may send prompts to through `vow proxy`.", "PIPA 제26조"),
    ],
};

#[rustfmt::skip]
static WAIVER: Table = Table {
    name: "waiver",
    about: "A lint rule this policy waives; every check prints the reason.",
    law: "",
    names_entry: Some("rule"),
    fields: &[
        field!("rule", String, Kind::Str, Required, "The rule's id, as `vow policy check` prints it.", ""),
        field!("reason", String, Kind::Str, Required, "Why the rule does not apply; never empty.", ""),
    ],
};

/// Every table of the file, depth first, the file itself excluded.
pub fn tables() -> Vec<(&'static Field, &'static Table)> {
    fn walk(table: &'static Table, out: &mut Vec<(&'static Field, &'static Table)>) {
        for field in table.fields {
            if let Kind::Table(inner) = field.kind {
                out.push((field, inner));
                walk(inner, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(&FILE, &mut out);
    out
}

// ---------------------------------------------------------------------------------------------------------
// Checking a file's structure
// ---------------------------------------------------------------------------------------------------------

/// The most structural problems reported for one file; the rest are counted.
const MAX_REPORTED: usize = 200;

/// Every missing field, unknown field and value of the wrong type in `text`, in the order of the file, each
/// located. Empty when the text is not TOML (the parser's own error says where) or has none of these.
pub fn check_structure(text: &str) -> Vec<Diagnostic> {
    let Ok(document) = DeTable::parse(text) else {
        return Vec::new();
    };
    let mut walker = Walker { out: Vec::new() };
    walker.table(&FILE, document.get_ref(), None, &DocPath::default(), None);
    let mut out = walker.out;
    // Problems without a place (a missing top-level table) first, then in the order of the file.
    out.sort_by_key(|d| d.span.as_ref().map_or((0, 0), |s| (1, s.start)));
    let total = out.len();
    out.truncate(MAX_REPORTED);
    let map = SourceMap::offsets_only(text);
    for d in &mut out {
        map.locate(d);
    }
    if total > MAX_REPORTED {
        out.push(Diagnostic::error(format!(
            "{} more errors are not shown; fix these first",
            total - MAX_REPORTED
        )));
    }
    out
}

struct Walker {
    out: Vec<Diagnostic>,
}

type Span = std::ops::Range<usize>;

impl Walker {
    fn push(&mut self, mut d: Diagnostic, span: Option<Span>, section: Option<&str>) {
        d.span = span;
        if let Some(section) = section {
            d.section = Some(section.to_string());
        }
        self.out.push(d);
    }

    /// Checks one table: unknown keys, each value, then the required fields it lacks (pointed at `header`).
    fn table(
        &mut self,
        schema: &'static Table,
        table: &DeTable<'_>,
        header: Option<Span>,
        path: &DocPath,
        section: Option<&str>,
    ) {
        let names: Vec<&str> = schema.fields.iter().map(|f| f.name).collect();
        for (key, value) in table {
            let name: &str = key.get_ref();
            let Some(field) = schema.fields.iter().find(|f| f.name == name) else {
                let expected = names
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let what = if schema.name.is_empty() {
                    "section"
                } else {
                    "field"
                };
                let mut d = Diagnostic::error(format!(
                    "unknown {what} `{name}`, expected one of {expected}"
                ))
                .at(path.clone().key(name));
                if let Some(best) = suggestion(name, &names) {
                    d.help = Some(format!("did you mean `{best}`?"));
                }
                self.push(d, Some(key.span()), section);
                continue;
            };
            self.value(field, value, path.clone().key(name), section);
        }
        for field in schema.fields.iter().filter(|f| f.required()) {
            if table.contains_key(field.name) {
                continue;
            }
            let d = if schema.name.is_empty() {
                Diagnostic::error(format!("the file has no `[{}]` table", field.name)).with_help(
                    format!(
                        "add a `[{}]` table: {} `vow init` writes a commented starter",
                        field.name,
                        field.about.trim_end_matches('.').to_string() + ";"
                    ),
                )
            } else {
                Diagnostic::error(format!("missing field `{}`", field.name)).with_help(format!(
                    "add `{} = {}`: {}",
                    field.name,
                    if field.list {
                        "[...]"
                    } else {
                        field.kind.example()
                    },
                    field.about
                ))
            };
            self.push(d.at(path.clone()), header.clone(), section);
        }
    }

    fn value(
        &mut self,
        field: &'static Field,
        value: &Spanned<DeValue<'_>>,
        path: DocPath,
        section: Option<&str>,
    ) {
        if let Kind::Table(schema) = field.kind {
            self.nested(field, schema, value, path, section);
            return;
        }
        let Some(check) = field.check else {
            return;
        };
        let result = match to_value(value.get_ref(), 0) {
            Some(v) => check(v),
            None => Err(
                "this value cannot be read (a number out of range, or nested too deeply)".into(),
            ),
        };
        if let Err(message) = result {
            let mut d = Diagnostic::error(message.clone()).at(path);
            if let (Kind::Enum(variants), Some(unknown)) =
                (field.kind, quoted_after(&message, "unknown variant "))
            {
                if let Some(best) = suggestion(unknown, variants()) {
                    d.help = Some(format!("did you mean `{best}`?"));
                }
            }
            self.push(d, Some(value.span()), section);
        }
    }

    /// A table field: `[name]` (or an inline table), or a list of tables `[[name]]`.
    fn nested(
        &mut self,
        field: &'static Field,
        schema: &'static Table,
        value: &Spanned<DeValue<'_>>,
        path: DocPath,
        section: Option<&str>,
    ) {
        match (field.list, value.get_ref()) {
            (false, DeValue::Table(table)) => {
                let section = format!("[{}]", schema.name);
                self.table(schema, table, Some(value.span()), &path, Some(&section));
            }
            (true, DeValue::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    let path = path.clone().index(i);
                    let DeValue::Table(table) = item.get_ref() else {
                        let d = Diagnostic::error(format!(
                            "each entry of `{}` is a table; write it as `[[{}]]`",
                            schema.name, schema.name
                        ))
                        .at(path);
                        self.push(d, Some(item.span()), section);
                        continue;
                    };
                    let named = schema
                        .names_entry
                        .and_then(|k| table.get(k))
                        .and_then(|v| v.get_ref().as_str().map(str::to_string));
                    let section = match (schema.names_entry, named) {
                        (Some(k), Some(v)) => format!("[[{}]] {k} = {v:?}", schema.name),
                        _ => format!("[[{}]] #{}", schema.name, i + 1),
                    };
                    self.table(schema, table, Some(item.span()), &path, Some(&section));
                }
            }
            (true, DeValue::Table(_)) => {
                let d = Diagnostic::error(format!(
                    "`{}` is a list of tables: write `[[{}]]`, not `[{}]`",
                    schema.name, schema.name, schema.name
                ))
                .at(path);
                self.push(d, Some(value.span()), section);
            }
            (many, other) => {
                let expected = if many {
                    format!("a list of tables `[[{}]]`", schema.name)
                } else {
                    format!("a table `[{}]`", schema.name)
                };
                let d = Diagnostic::error(format!(
                    "`{}` must be {expected}, found {}",
                    schema.name,
                    other.type_str()
                ))
                .at(path);
                self.push(d, Some(value.span()), section);
            }
        }
    }
}

/// The longest name compared with the expected ones: a misspelling is short, and comparing costs the
/// product of the lengths, which a hostile file must not be able to multiply.
const MAX_SUGGESTED_LEN: usize = 64;

fn suggestion<'c>(word: &str, candidates: &[&'c str]) -> Option<&'c str> {
    (word.len() <= MAX_SUGGESTED_LEN)
        .then(|| closest(word, candidates))
        .flatten()
}

/// The backquoted name right after `prefix` in `message`: "unknown variant `contrct`, ..." → `contrct`.
fn quoted_after<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    let rest = message.strip_prefix(prefix)?.strip_prefix('`')?;
    rest.split('`').next()
}

/// The deepest value a field's check converts; a policy's values are at most a list of texts deep.
const MAX_VALUE_DEPTH: usize = 8;

/// A parsed value as a `toml::Value`, which the model's types deserialise from.
fn to_value(value: &DeValue<'_>, depth: usize) -> Option<toml::Value> {
    if depth > MAX_VALUE_DEPTH {
        return None;
    }
    Some(match value {
        DeValue::String(s) => toml::Value::String(s.to_string()),
        DeValue::Integer(i) => {
            toml::Value::Integer(i64::from_str_radix(i.as_str(), i.radix()).ok()?)
        }
        DeValue::Float(f) => toml::Value::Float(f.as_str().replace('_', "").parse().ok()?),
        DeValue::Boolean(b) => toml::Value::Boolean(*b),
        DeValue::Datetime(d) => toml::Value::Datetime(*d),
        DeValue::Array(items) => toml::Value::Array(
            items
                .iter()
                .map(|item| to_value(item.get_ref(), depth + 1))
                .collect::<Option<Vec<_>>>()?,
        ),
        DeValue::Table(table) => toml::Value::Table(
            table
                .iter()
                .map(|(k, v)| Some((k.get_ref().to_string(), to_value(v.get_ref(), depth + 1)?)))
                .collect::<Option<toml::Table>>()?,
        ),
    })
}

// ---------------------------------------------------------------------------------------------------------
// The reference
// ---------------------------------------------------------------------------------------------------------

/// `docs/policy-reference.md`: every table and field with its type, whether it is required, its default,
/// what it states and the law it serves. `tests/reference.rs` keeps the file equal to this.
pub fn reference_markdown() -> String {
    let mut out = String::new();
    out.push_str(REFERENCE_INTRO);
    out.push_str("\n## Tables\n\n");
    out.push_str("| Table | Required | What it states | Law |\n|---|---|---|---|\n");
    for (field, table) in tables() {
        let header = header(field, table);
        let _ = writeln!(
            out,
            "| [`{header}`](#{}) | {} | {} | {} |",
            anchor(table.name),
            yes_no(field.required()),
            cell(table.about),
            cell(or_dash(table.law)),
        );
    }
    for (field, table) in tables() {
        let _ = writeln!(out, "\n<a id=\"{}\"></a>\n", anchor(table.name));
        let _ = writeln!(out, "## `{}`\n", header(field, table));
        let _ = write!(out, "{}", table.about);
        if !table.law.is_empty() {
            let _ = write!(out, " Law: {}.", table.law);
        }
        let presence = match (field.required(), field.list) {
            (true, _) => " The file must have it.".to_string(),
            (false, true) => " Optional; as many entries as needed.".to_string(),
            (false, false) => " Optional.".to_string(),
        };
        out.push_str(&presence);
        out.push_str("\n\n| Field | Type | Required | Default | What it states | Law |\n");
        out.push_str("|---|---|---|---|---|---|\n");
        for f in table.fields {
            let default = match f.default {
                Required => "—".to_string(),
                Absent(meaning) => format!("absent: {meaning}"),
                Value(v) => format!("`{v}`"),
            };
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} | {} |",
                f.name,
                cell(&f.kind.words(f.list)),
                yes_no(f.required()),
                cell(&default),
                cell(f.about),
                cell(or_dash(f.law)),
            );
        }
    }
    out
}

fn header(field: &Field, table: &Table) -> String {
    if field.list {
        format!("[[{}]]", table.name)
    } else {
        format!("[{}]", table.name)
    }
}

fn anchor(name: &str) -> String {
    name.replace(['.', '_'], "-")
}

fn yes_no(value: bool) -> &'static str {
    if value {
        "yes"
    } else {
        "no"
    }
}

fn or_dash(text: &str) -> &str {
    if text.is_empty() {
        "—"
    } else {
        text
    }
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

const REFERENCE_INTRO: &str = "\
# The policy file: a reference

<!-- Generated from crates/vow-policy/src/schema.rs; do not edit by hand. After changing the model and the
schema, regenerate with: VOW_UPDATE_REFERENCE=1 cargo test -p vow-policy --test reference -->

A vow policy file is the privacy policy (개인정보 처리방침) of a service written as TOML. This page lists
every table and field the file may hold: its type, whether the file must give it, what it is when left
out, what it states and the law it serves. `vow init` writes a commented starter; `vow policy check FILE`
reports every missing field, unknown field and value of the wrong type in one run, each at
`file:line:col`, then checks references between sections and lints what the law requires a policy to say
(each finding names its rule and the law; `vow policy check --help` lists the rules).

The tests in `crates/vow-policy/tests/reference.rs` hold this page to the model the parser uses: a table
or field the model has and this page lacks, or the other way round, a required field documented as
optional, or a default that is not the parser's, fails them.

Types:

- **text**: words for people, a plain string (taken as Korean) or a table with both languages,
  `{ ko = \"...\", en = \"...\" }`. The English document needs the English: a Korean-only text is a
  `translation-missing` finding.
- **string**: taken as written (e-mail addresses, URLs, codes).
- **date**: `2025-11-23`, a TOML date or a string; it must exist (`2025-02-30` is refused).
- **period**: a number and a unit, `24h`, `10d`, `6mo`, `5y` (also `5 years`, `3개월`); months and years
  are counted on the calendar.
- **key of a `[[table]]`**: the `key` of an entry declared in that table; `vow policy check` refuses a key
  that is not declared.
- **category pattern**: a category key, a prefix ending in `.*` (`user.contact.*`), or `*`.
- A table written `[[name]]` is a list: repeat it once per entry.

Laws are cited as the file's checks cite them: PIPA is 개인정보 보호법 (and its 시행령), 정보통신망법 the
Network Act, 안전성 확보조치 기준 the PIPC's 개인정보의 안전성 확보조치 기준, PIPC 작성지침 the PIPC's guideline
for writing a privacy policy, GDPR the EU General Data Protection Regulation (when `jurisdictions`
includes `EU`).
";
