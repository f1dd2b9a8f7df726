//! How privacy-center pages are made: the two message catalogues, the templates built into the
//! binary, and the frame every page extends. The language, the time format and the stylesheet are
//! the console's, and so is `Pages`, which parses the catalogues and compiles the templates once.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use minijinja::{Environment, Value};
use vow_engine::VaultError;

use crate::console::view::{Catalogue, Lang, Pages};
use crate::error::ApiError;

pub(crate) const KO_MESSAGES: &str = include_str!("messages/ko.toml");
pub(crate) const EN_MESSAGES: &str = include_str!("messages/en.toml");

pub(crate) fn base(lang: Lang) -> &'static str {
    match lang {
        Lang::Ko => "/privacy",
        Lang::En => "/privacy/en",
    }
}

const TEMPLATES: [(&str, &str); 11] = [
    ("consent.html", include_str!("templates/consent.html")),
    ("base.html", include_str!("templates/base.html")),
    ("message.html", include_str!("templates/message.html")),
    ("home.html", include_str!("templates/home.html")),
    ("verify.html", include_str!("templates/verify.html")),
    ("code.html", include_str!("templates/code.html")),
    ("link.html", include_str!("templates/link.html")),
    ("me.html", include_str!("templates/me.html")),
    (
        "new_request.html",
        include_str!("templates/new_request.html"),
    ),
    ("request.html", include_str!("templates/request.html")),
    ("package.html", include_str!("templates/package.html")),
];

static PAGES: Pages = Pages::new("privacy-center", KO_MESSAGES, EN_MESSAGES, &TEMPLATES);

pub(crate) fn catalogue(lang: Lang) -> &'static Catalogue {
    PAGES.catalogue(lang)
}

pub(crate) fn message(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    PAGES.message(lang, key, args)
}

fn templates() -> &'static Environment<'static> {
    PAGES.templates()
}

/// What every page's frame needs.
#[derive(Clone)]
pub(crate) struct Frame {
    pub(crate) lang: Lang,
    /// The page's path under the language's base, for the language switch.
    pub(crate) path: String,
    pub(crate) signed_in: bool,
    pub(crate) csrf: String,
    pub(crate) flash: Option<String>,
    pub(crate) service: String,
}

impl Frame {
    pub(crate) fn t(&self, key: &str, args: &[(&str, &str)]) -> String {
        message(self.lang, key, args)
    }

    pub(crate) fn base(&self) -> &'static str {
        base(self.lang)
    }

    pub(crate) fn render(&self, status: StatusCode, template: &str, page: Value) -> Response {
        let context = minijinja::context! {
            ..page,
            ..minijinja::context! {
                t => Value::from(minijinja::value::Serde(catalogue(self.lang))),
                base => self.base(),
                other_base => base(self.lang.other()),
                path => self.path.as_str(),
                signed_in => self.signed_in,
                csrf => self.csrf.as_str(),
                flash => self.flash.as_deref(),
                service => self.service.as_str(),
                lang => self.lang.code(),
            }
        };
        match templates()
            .get_template(template)
            .and_then(|t| t.render(context))
        {
            Ok(html) => (status, Html(html)).into_response(),
            Err(error) => {
                tracing::error!(template, kind = ?error.kind(), "a privacy-center page could not be rendered");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Html("<!doctype html><title>vow</title><p>This page could not be shown.</p>"),
                )
                    .into_response()
            }
        }
    }

    pub(crate) fn message_page(&self, status: StatusCode, heading: &str, text: &str) -> Response {
        self.render(
            status,
            "message.html",
            minijinja::context! {
                heading => heading,
                message => text,
                is_error => status.is_client_error() || status.is_server_error(),
            },
        )
    }

    /// A vault error as a page: the status the API would answer and a message that names the
    /// problem, never a value.
    pub(crate) fn error_page(&self, error: VaultError) -> Response {
        let api = ApiError::from(error);
        let text = match api.status {
            StatusCode::NOT_FOUND | StatusCode::GONE => self.t("error_not_found", &[]),
            StatusCode::UNAUTHORIZED => self.t("error_expired", &[]),
            StatusCode::SERVICE_UNAVAILABLE | StatusCode::INTERNAL_SERVER_ERROR => {
                self.t("error_store", &[])
            }
            StatusCode::TOO_MANY_REQUESTS => self.t("error_rate", &[]),
            _ => self.t("error_invalid", &[("why", &api.body.message)]),
        };
        self.message_page(api.status, &self.t("error_title", &[]), &text)
    }

    pub(crate) fn forbidden_csrf(&self) -> Response {
        self.message_page(
            StatusCode::FORBIDDEN,
            &self.t("error_title", &[]),
            &self.t("error_csrf", &[]),
        )
    }

    pub(crate) fn too_many(&self) -> Response {
        self.message_page(
            StatusCode::TOO_MANY_REQUESTS,
            &self.t("error_title", &[]),
            &self.t("error_rate", &[]),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_catalogues_have_the_same_keys_and_english_has_no_korean() {
        let ko: Catalogue = toml::from_str(KO_MESSAGES).expect("ko.toml parses");
        let en: Catalogue = toml::from_str(EN_MESSAGES).expect("en.toml parses");
        let only_ko: Vec<_> = ko.keys().filter(|k| !en.contains_key(*k)).collect();
        let only_en: Vec<_> = en.keys().filter(|k| !ko.contains_key(*k)).collect();
        assert!(
            only_ko.is_empty() && only_en.is_empty(),
            "only in ko: {only_ko:?}; only in en: {only_en:?}"
        );
        for (key, text) in &en {
            assert!(
                !text.chars().any(|c| ('\u{ac00}'..='\u{d7a3}').contains(&c))
                    || key == "other_lang_name",
                "en {key} has Korean: {text}"
            );
        }
    }

    #[test]
    fn every_template_compiles_and_uses_only_keys_the_catalogues_have() {
        let ko = catalogue(Lang::Ko);
        let mut env = Environment::new();
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
    }
}
