//! How console pages are made: the two message catalogues, the templates built into the binary, the
//! page frame every template extends, and the formatting of times and states.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use minijinja::{Environment, Value};
use serde::Serialize;
use vow_engine::console::ConsoleSession;
use vow_engine::VaultError;

use crate::error::ApiError;

/// The console's two languages: Korean at `/console/`, English at `/console/en/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lang {
    Ko,
    En,
}

impl Lang {
    pub(crate) fn base(self) -> &'static str {
        match self {
            Lang::Ko => "/console",
            Lang::En => "/console/en",
        }
    }
    pub(crate) fn other(self) -> Lang {
        match self {
            Lang::Ko => Lang::En,
            Lang::En => Lang::Ko,
        }
    }
    pub(crate) fn code(self) -> &'static str {
        match self {
            Lang::Ko => "ko",
            Lang::En => "en",
        }
    }
}

pub(crate) const KO_MESSAGES: &str = include_str!("messages/ko.toml");
pub(crate) const EN_MESSAGES: &str = include_str!("messages/en.toml");

/// One language's messages, by key.
pub(crate) type Catalogue = BTreeMap<String, String>;

/// A site's pages built into the binary: its two message catalogues and its templates, each parsed or
/// compiled once. The console and the privacy center have one each.
pub(crate) struct Pages {
    /// What the site is called in the server's log.
    name: &'static str,
    /// The Korean and the English catalogue, as TOML.
    messages: [&'static str; 2],
    templates: &'static [(&'static str, &'static str)],
    catalogues: [OnceLock<Catalogue>; 2],
    environment: OnceLock<Environment<'static>>,
}

impl Pages {
    pub(crate) const fn new(
        name: &'static str,
        ko: &'static str,
        en: &'static str,
        templates: &'static [(&'static str, &'static str)],
    ) -> Pages {
        Pages {
            name,
            messages: [ko, en],
            templates,
            catalogues: [OnceLock::new(), OnceLock::new()],
            environment: OnceLock::new(),
        }
    }

    /// One language's catalogue. Catalogues are part of the binary, so a parse error is a build
    /// mistake that the catalogue tests catch; here it only yields an empty catalogue (keys then
    /// show as is).
    pub(crate) fn catalogue(&self, lang: Lang) -> &Catalogue {
        let i = match lang {
            Lang::Ko => 0,
            Lang::En => 1,
        };
        self.catalogues[i].get_or_init(|| toml::from_str(self.messages[i]).unwrap_or_default())
    }

    /// A message with `{name}` placeholders filled in.
    pub(crate) fn message(&self, lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
        let mut text = self
            .catalogue(lang)
            .get(key)
            .cloned()
            .unwrap_or_else(|| key.to_string());
        for (name, value) in args {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }

    /// The templates, compiled once. HTML is escaped by default (the `.html` names turn it on).
    pub(crate) fn templates(&self) -> &Environment<'static> {
        self.environment.get_or_init(|| {
            let mut env = Environment::new();
            for &(name, source) in self.templates {
                if let Err(error) = env.add_template(name, source) {
                    tracing::error!(%error, template = name, "a {} template does not compile", self.name);
                }
            }
            env
        })
    }
}

static PAGES: Pages = Pages::new("console", KO_MESSAGES, EN_MESSAGES, &TEMPLATES);

pub(crate) fn catalogue(lang: Lang) -> &'static Catalogue {
    PAGES.catalogue(lang)
}

pub(crate) fn message(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    PAGES.message(lang, key, args)
}

const TEMPLATES: [(&str, &str); 17] = [
    ("base.html", include_str!("templates/base.html")),
    ("login.html", include_str!("templates/login.html")),
    ("enrol.html", include_str!("templates/enrol.html")),
    ("message.html", include_str!("templates/message.html")),
    ("today.html", include_str!("templates/today.html")),
    (
        "request_rows.html",
        include_str!("templates/request_rows.html"),
    ),
    ("requests.html", include_str!("templates/requests.html")),
    ("request.html", include_str!("templates/request.html")),
    ("notice.html", include_str!("templates/notice.html")),
    ("subject.html", include_str!("templates/subject.html")),
    ("consent.html", include_str!("templates/consent.html")),
    ("retention.html", include_str!("templates/retention.html")),
    ("ledger.html", include_str!("templates/ledger.html")),
    ("review.html", include_str!("templates/review.html")),
    ("access.html", include_str!("templates/access.html")),
    ("provisions.html", include_str!("templates/provisions.html")),
    ("policy.html", include_str!("templates/policy.html")),
];

pub(crate) fn templates() -> &'static Environment<'static> {
    PAGES.templates()
}

/// The navigation, in order: (message key, path under the language's base).
const NAV: [(&str, &str); 8] = [
    ("nav_today", "/"),
    ("nav_requests", "/requests"),
    ("nav_consent", "/consent"),
    ("nav_retention", "/retention"),
    ("nav_review", "/review"),
    ("nav_provisions", "/provisions"),
    ("nav_policy", "/policy"),
    ("nav_access", "/access"),
];

#[derive(Serialize)]
struct NavItem {
    key: &'static str,
    path: &'static str,
}

/// What every page's frame needs: the language, where the page is, and who is signed in.
#[derive(Clone)]
pub(crate) struct Frame {
    pub(crate) lang: Lang,
    /// The page's path under the language's base (`/requests/req_…`), for the language switch.
    pub(crate) path: String,
    /// Which navigation entry is current.
    pub(crate) page: &'static str,
    pub(crate) session: Option<ConsoleSession>,
    /// The CSRF token of this page's forms (the session's, or the sign-in forms' own).
    pub(crate) csrf: String,
    pub(crate) flash: Option<String>,
    pub(crate) role_label: String,
}

impl Frame {
    pub(crate) fn t(&self, key: &str, args: &[(&str, &str)]) -> String {
        message(self.lang, key, args)
    }

    pub(crate) fn base(&self) -> &'static str {
        self.lang.base()
    }

    fn context(&self) -> Value {
        let nav: Vec<NavItem> = NAV
            .iter()
            .map(|(key, path)| NavItem { key, path })
            .collect();
        minijinja::context! {
            t => Value::from(minijinja::value::Serde(catalogue(self.lang))),
            base => self.lang.base(),
            other_base => self.lang.other().base(),
            path => if self.path == "/" { "/" } else { self.path.as_str() },
            page => self.page,
            nav => Value::from(minijinja::value::Serde(&nav)),
            user => self.session.as_ref().map(|s| Value::from(minijinja::value::Serde(&s.user))),
            role_label => self.role_label.as_str(),
            csrf => self.csrf.as_str(),
            flash => self.flash.as_deref(),
            lang => self.lang.code(),
        }
    }

    /// Renders `template` with the frame's values and the page's own.
    pub(crate) fn render(&self, status: StatusCode, template: &str, page: Value) -> Response {
        let context = minijinja::context! { ..page, ..self.context() };
        match templates()
            .get_template(template)
            .and_then(|t| t.render(context))
        {
            Ok(html) => (status, Html(html)).into_response(),
            Err(error) => {
                // A template mistake, not the user's: logged without the context (which may hold
                // personal values), answered with a plain page.
                tracing::error!(template, kind = ?error.kind(), "a console page could not be rendered");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Html("<!doctype html><title>vow</title><p>This page could not be shown.</p>"),
                )
                    .into_response()
            }
        }
    }

    /// A page that says one thing (an error, a confirmation) with a link back.
    pub(crate) fn message_page(&self, status: StatusCode, heading: &str, text: &str) -> Response {
        self.render(
            status,
            "message.html",
            minijinja::context! {
                heading => heading,
                message => text,
                is_error => status.is_client_error() || status.is_server_error(),
                back_href => format!("{}/", self.base()),
                back_text => self.t("back", &[]),
            },
        )
    }

    /// A vault error as a page: the status the API would answer, and a message that names the
    /// problem but never a submitted value (the vault's errors never contain one).
    pub(crate) fn error_page(&self, error: VaultError) -> Response {
        let api = ApiError::from(error);
        let text = self.api_error_text(&api);
        self.message_page(api.status, &self.t("error_title", &[]), &text)
    }

    /// What [`Frame::error_page`] would say, for a part of a page.
    pub(crate) fn error_text(&self, error: VaultError) -> String {
        self.api_error_text(&ApiError::from(error))
    }

    fn api_error_text(&self, api: &ApiError) -> String {
        match api.status {
            StatusCode::FORBIDDEN => self.t("error_forbidden", &[]),
            StatusCode::NOT_FOUND | StatusCode::GONE => self.t("error_not_found", &[]),
            StatusCode::SERVICE_UNAVAILABLE | StatusCode::INTERNAL_SERVER_ERROR => {
                self.t("error_store", &[])
            }
            _ => self.t("error_invalid", &[("why", &api.body.message)]),
        }
    }

    pub(crate) fn forbidden_csrf(&self) -> Response {
        self.message_page(
            StatusCode::FORBIDDEN,
            &self.t("error_title", &[]),
            &self.t("error_csrf", &[]),
        )
    }
}

/// Korean time for every date the console shows (the review counts days in it too).
const KST: time::UtcOffset = time::macros::offset!(+9);

pub(crate) fn when(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map(|t| {
            let t = t.to_offset(KST);
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02}",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute()
            )
        })
        .unwrap_or_default()
}

pub(crate) fn day(ms: i64) -> String {
    when(ms).chars().take(10).collect()
}

/// `YYYY-MM` of an instant, in Korean time.
pub(crate) fn month_of(ms: i64) -> String {
    when(ms).chars().take(7).collect()
}

/// The month before the one `ms` falls in, as `YYYY-MM`.
pub(crate) fn previous_month(ms: i64) -> String {
    let this = month_of(ms);
    let (year, month) = (
        this.get(..4)
            .and_then(|y| y.parse::<i32>().ok())
            .unwrap_or(1970),
        this.get(5..7)
            .and_then(|m| m.parse::<u8>().ok())
            .unwrap_or(1),
    );
    if month == 1 {
        format!("{:04}-12", year - 1)
    } else {
        format!("{year:04}-{:02}", month - 1)
    }
}

/// A month as a form or query gives it, if it is one (`YYYY-MM`).
pub(crate) fn valid_month(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let ok = bytes.len() == 7
        && bytes[4] == b'-'
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[5..].iter().all(u8::is_ascii_digit)
        && text[5..].parse::<u8>().is_ok_and(|m| (1..=12).contains(&m));
    ok.then(|| text.to_string())
}

impl From<Lang> for vow_policy::model::Lang {
    fn from(lang: Lang) -> Self {
        match lang {
            Lang::Ko => vow_policy::model::Lang::Ko,
            Lang::En => vow_policy::model::Lang::En,
        }
    }
}

/// The role's label in the page's language, or its key.
pub(crate) fn role_label(policy: &vow_policy::Policy, role: &str, lang: Lang) -> String {
    policy
        .roles
        .iter()
        .find(|r| r.key == role)
        .map(|r| r.label.get(lang.into()).to_string())
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| role.to_string())
}

/// A category's name in the page's language, or its key.
pub(crate) fn category_label(policy: &vow_policy::Policy, key: &str, lang: Lang) -> String {
    policy
        .categories
        .iter()
        .find(|c| c.key == key)
        .map(|c| c.label.get(lang.into()).to_string())
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| key.to_string())
}

/// An id shortened for a table cell (the full id is in the link).
pub(crate) fn short(id: &str) -> String {
    id.chars().take(12).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_catalogues_parse_and_have_the_same_keys() {
        let ko: Catalogue = toml::from_str(KO_MESSAGES).expect("ko.toml parses");
        let en: Catalogue = toml::from_str(EN_MESSAGES).expect("en.toml parses");
        let only_ko: Vec<_> = ko.keys().filter(|k| !en.contains_key(*k)).collect();
        let only_en: Vec<_> = en.keys().filter(|k| !ko.contains_key(*k)).collect();
        assert!(
            only_ko.is_empty() && only_en.is_empty(),
            "only in ko: {only_ko:?}; only in en: {only_en:?}"
        );
        assert!(ko.len() > 100);
        for (key, text) in &en {
            assert!(!text.trim().is_empty(), "en {key} is empty");
            assert!(
                !text.chars().any(|c| ('\u{ac00}'..='\u{d7a3}').contains(&c))
                    || key == "other_lang_name",
                "en {key} has Korean: {text}"
            );
            let placeholders = |s: &str| {
                let mut names: Vec<String> = s
                    .split('{')
                    .skip(1)
                    .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_string()))
                    .collect();
                names.sort();
                names
            };
            assert_eq!(
                placeholders(text),
                placeholders(&ko[key]),
                "placeholders of {key}"
            );
        }
    }

    #[test]
    fn every_template_compiles_and_every_message_key_they_use_exists() {
        let mut env = Environment::new();
        let ko = catalogue(Lang::Ko);
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            for used in source.split("t.").skip(1) {
                let key: String = used
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !key.is_empty() && source.contains(&format!("{{{{ t.{key}")) {
                    assert!(
                        ko.contains_key(&key),
                        "{name} uses t.{key}, which no catalogue has"
                    );
                }
            }
        }
        for (key, _) in NAV {
            assert!(ko.contains_key(key), "{key}");
        }
    }

    #[test]
    fn months_and_times_are_korean_time() {
        // 2026-11-30 15:30 UTC is 2026-12-01 00:30 in Korea.
        let ms = 1_796_052_600_000;
        assert_eq!(when(ms), "2026-12-01 00:30");
        assert_eq!(month_of(ms), "2026-12");
        assert_eq!(previous_month(ms), "2026-11");
        assert_eq!(previous_month(1_767_225_600_000 + 9 * 3_600_000), "2025-12");
        assert_eq!(valid_month("2026-02").as_deref(), Some("2026-02"));
        for bad in ["2026-13", "2026-1", "202602", "abcd-ef", "2026-00"] {
            assert!(valid_month(bad).is_none(), "{bad}");
        }
    }
}
