//! Who is signed in: the session cookie and the CSRF tokens.
//!
//! The session's token lives only in an `HttpOnly; SameSite=Strict` cookie scoped to `/console`
//! (and `Secure` under TLS); the vault keeps its keyed digest. Each form carries a CSRF token derived
//! from the session; the sign-in and enrolment forms, which have no session yet, carry a random one
//! that must equal the `vow_console_pre` cookie (double submit). A sign-in always mints a new
//! session, so a cookie planted before it is never the one used after it.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use vow_engine::console::ConsoleSession;
use vow_engine::{Vault, VaultError};

use super::view::{role_label, Frame, Lang};
use super::ConsoleState;
use crate::state::AppState;

pub(crate) const SESSION_COOKIE: &str = "vow_console";
pub(crate) const PRE_COOKIE: &str = "vow_console_pre";

/// A cookie's name as sent: under TLS with the `__Secure-` prefix, which a browser accepts only from a
/// secure origin with `Secure` set, so a plain-HTTP page of the same host cannot plant or overwrite it.
pub(crate) fn cookie_name(name: &str, secure: bool) -> String {
    if secure {
        format!("__Secure-{name}")
    } else {
        name.to_string()
    }
}

/// A cookie's value from the request's `Cookie` headers (`secure`: the server runs TLS, so the
/// cookie carries the `__Secure-` prefix).
pub(crate) fn cookie<'h>(headers: &'h HeaderMap, name: &str, secure: bool) -> Option<&'h str> {
    let name = cookie_name(name, secure);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name.as_str())
        .map(|(_, value)| value)
}

/// A `Set-Cookie` value for a console cookie; `None` clears it.
pub(crate) fn set_cookie(name: &str, value: Option<&str>, secure: bool) -> HeaderValue {
    set_cookie_at("/console", name, value, secure)
}

/// A `Set-Cookie` value for a cookie of the pages under `path` (the console's, the privacy
/// center's): `HttpOnly`, `SameSite=Strict`, and under TLS `Secure` with the `__Secure-` prefix;
/// `None` clears it.
pub(crate) fn set_cookie_at(
    path: &str,
    name: &str,
    value: Option<&str>,
    secure: bool,
) -> HeaderValue {
    let name = cookie_name(name, secure);
    let secure = if secure { "; Secure" } else { "" };
    let text = match value {
        Some(value) => format!("{name}={value}; Path={path}; HttpOnly; SameSite=Strict{secure}"),
        None => format!("{name}=; Path={path}; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
    };
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The language and path of a console request, taken from its URI.
pub(crate) fn lang_and_path(parts: &Parts) -> (Lang, String) {
    let path = parts.uri.path();
    // `/console/en` and `/console/en/…`, not `/console/enrol/…`.
    let english = path
        .strip_prefix("/console/en")
        .filter(|rest| rest.is_empty() || rest.starts_with('/'));
    if let Some(rest) = english {
        (
            Lang::En,
            if rest.is_empty() {
                "/".into()
            } else {
                rest.to_string()
            },
        )
    } else {
        let rest = path.strip_prefix("/console").unwrap_or(path);
        (
            Lang::Ko,
            if rest.is_empty() {
                "/".into()
            } else {
                rest.to_string()
            },
        )
    }
}

/// The client's address, as the access log records it.
pub(crate) fn source(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip().to_string())
        .unwrap_or_else(|| "unknown".to_string())
}

/// A page for a signed-in person: the session and the frame to render with. Without a live session
/// the request ends in a redirect to the sign-in page (which says so when a session just ran out).
pub(crate) struct Signed {
    pub(crate) session: ConsoleSession,
    /// The session's token, from the cookie (to end the session at sign-out).
    pub(crate) token: String,
    pub(crate) frame: Frame,
    pub(crate) vault: Arc<Vault>,
    /// The server runs TLS (links it makes are https).
    pub(crate) secure: bool,
}

impl Signed {
    pub(crate) fn caller(&self) -> &vow_engine::Caller {
        &self.session.caller
    }

    /// The refusal for a form whose CSRF token is not the session's, or `None` when it is.
    pub(crate) fn csrf_refusal(&self, submitted: &str) -> Option<Response> {
        (!self.session.csrf_matches(submitted)).then(|| self.frame.forbidden_csrf())
    }

    /// A page with a message at the top, after a form did something (Post/Redirect/Get would lose
    /// it without a flash store; the page is rendered in the POST's answer instead).
    pub(crate) fn with_flash(mut self, flash: String) -> Signed {
        self.frame.flash = Some(flash);
        self
    }
}

impl<S> FromRequestParts<S> for Signed
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Signed, Response> {
        let app = AppState::from_ref(state);
        let (lang, path) = lang_and_path(parts);
        let login = format!("{}/login", lang.base());
        let Some(token) =
            cookie(&parts.headers, SESSION_COOKIE, app.console.secure_cookies).map(str::to_string)
        else {
            return Err(Redirect::to(&login).into_response());
        };
        match app.vault.console_session(&token, &source(parts)).await {
            Ok(session) => {
                let role_label = role_label(app.vault.policy(), &session.user.role, lang);
                let csrf = session.csrf.clone();
                Ok(Signed {
                    frame: Frame {
                        lang,
                        path,
                        page: "",
                        session: Some(session.clone()),
                        csrf,
                        flash: None,
                        role_label,
                    },
                    session,
                    token,
                    secure: app.console.secure_cookies,
                    vault: Arc::clone(&app.vault),
                })
            }
            Err(VaultError::Unauthenticated) => {
                let mut response = Redirect::to(&format!("{login}?m=expired")).into_response();
                response.headers_mut().append(
                    header::SET_COOKIE,
                    set_cookie(SESSION_COOKIE, None, app.console.secure_cookies),
                );
                Err(response)
            }
            Err(other) => Err(Frame::anonymous(lang, path).error_page(other)),
        }
    }
}

/// A page for someone not signed in (sign-in, enrolment): the frame, with a fresh pre-session
/// CSRF token to put in a cookie and in the form.
pub(crate) struct Anonymous {
    pub(crate) frame: Frame,
    pub(crate) vault: Arc<Vault>,
    pub(crate) console: Arc<ConsoleState>,
    /// The pre-session token the request's cookie carried, to check a posted form against.
    pub(crate) presented: Option<String>,
    pub(crate) source: String,
    pub(crate) session_token: Option<String>,
}

impl Anonymous {
    /// Renders a sign-in or enrolment page with a new pre-session token in the form and a cookie.
    pub(crate) fn render(
        mut self,
        status: StatusCode,
        template: &str,
        page: minijinja::Value,
    ) -> Response {
        let token = vow_crypto::new_api_secret()[vow_crypto::API_SECRET_PREFIX.len()..].to_string();
        self.frame.csrf = token.clone();
        let mut response = self.frame.render(status, template, page);
        response.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(PRE_COOKIE, Some(&token), self.console.secure_cookies),
        );
        response
    }

    /// A posted sign-in or enrolment form's token equals the cookie's (compared in constant time).
    pub(crate) fn csrf_matches(&self, submitted: &str) -> bool {
        self.presented.as_deref().is_some_and(|cookie| {
            !cookie.is_empty() && vow_crypto::ct_eq(cookie.as_bytes(), submitted.as_bytes())
        })
    }
}

impl<S> FromRequestParts<S> for Anonymous
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Anonymous, Response> {
        let app = AppState::from_ref(state);
        let (lang, path) = lang_and_path(parts);
        Ok(Anonymous {
            frame: Frame::anonymous(lang, path),
            presented: cookie(&parts.headers, PRE_COOKIE, app.console.secure_cookies)
                .map(str::to_string),
            session_token: cookie(&parts.headers, SESSION_COOKIE, app.console.secure_cookies)
                .map(str::to_string),
            source: source(parts),
            vault: Arc::clone(&app.vault),
            console: Arc::clone(&app.console),
        })
    }
}

impl Frame {
    pub(crate) fn anonymous(lang: Lang, path: String) -> Frame {
        Frame {
            lang,
            path,
            page: "",
            session: None,
            csrf: String::new(),
            flash: None,
            role_label: String::new(),
        }
    }
}
