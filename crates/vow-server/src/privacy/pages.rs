//! The privacy center's pages and forms.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRef, FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;
use vow_engine::privacy_center::{
    CodeRefusal, Delivery, PackageFormat, SelfServiceRequest, SubjectSession,
};
use vow_engine::requests::RightsRequest;
use vow_engine::{ItemValue, Vault, VaultError};
use vow_policy::model::LegalBasis;

use super::mail::Outgoing;
use super::view::{base, message, Frame};
use super::PrivacyCenter;
use crate::console::session::{cookie, source};
use crate::console::view::{day, when, Lang};
use crate::error::ApiError;
use crate::state::AppState;

const SESSION_COOKIE: &str = "vow_privacy";
const PRE_COOKIE: &str = "vow_privacy_pre";

fn set_cookie(name: &str, value: Option<&str>, secure: bool) -> HeaderValue {
    crate::console::session::set_cookie_at("/privacy", name, value, secure)
}

/// The language and the path under the language's base.
fn lang_and_path(parts: &Parts) -> (Lang, String) {
    let path = parts.uri.path();
    let (lang, rest) = match path
        .strip_prefix("/privacy/en")
        .filter(|rest| rest.is_empty() || rest.starts_with('/'))
    {
        Some(rest) => (Lang::En, rest),
        None => (Lang::Ko, path.strip_prefix("/privacy").unwrap_or(path)),
    };
    // Tokens in a path (links, downloads) are not repeated in the language switch, which goes to
    // the other language's start instead ("/#", which no menu entry is).
    let rest = if rest.starts_with("/link/") || rest.starts_with("/download/") {
        "/#"
    } else if rest.is_empty() {
        "/"
    } else {
        rest
    };
    (lang, rest.to_string())
}

fn service_name(vault: &Vault, lang: Lang) -> String {
    vault.policy().policy.service.get(lang.into()).to_string()
}

/// Form fields from a urlencoded body, repeated names kept (checkbox groups).
struct Fields(Vec<(String, String)>);

impl Fields {
    fn parse(body: &Bytes) -> Fields {
        Fields(
            url::form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }
    fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }
    fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// Someone not (necessarily) verified: the frame, with a fresh pre-session CSRF token for the
/// verification forms (double submit: the form's token must equal the cookie's).
pub(crate) struct Visitor {
    frame: Frame,
    vault: Arc<Vault>,
    center: Arc<PrivacyCenter>,
    presented: Option<String>,
    source: String,
}

impl<S> FromRequestParts<S> for Visitor
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Visitor, Response> {
        let app = AppState::from_ref(state);
        let (lang, path) = lang_and_path(parts);
        let source = source(parts);
        let signed_in = match cookie(&parts.headers, SESSION_COOKIE, app.privacy.secure_cookies) {
            Some(token) => app.vault.subject_session(token, &source).await.is_ok(),
            None => false,
        };
        Ok(Visitor {
            frame: Frame {
                lang,
                path,
                signed_in,
                csrf: String::new(),
                flash: None,
                service: service_name(&app.vault, lang),
            },
            presented: cookie(&parts.headers, PRE_COOKIE, app.privacy.secure_cookies)
                .map(str::to_string),
            source,
            vault: Arc::clone(&app.vault),
            center: Arc::clone(&app.privacy),
        })
    }
}

impl Visitor {
    /// The source as the rate limits count it (an IPv6 address by its /64).
    fn counted_source(&self) -> String {
        match self.source.parse() {
            Ok(ip) => crate::limits::counted_as(ip).to_string(),
            Err(_) => self.source.clone(),
        }
    }

    fn render(mut self, status: StatusCode, template: &str, page: minijinja::Value) -> Response {
        let token = vow_crypto::new_api_secret()[vow_crypto::API_SECRET_PREFIX.len()..].to_string();
        self.frame.csrf = token.clone();
        let mut response = self.frame.render(status, template, page);
        response.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(PRE_COOKIE, Some(&token), self.center.secure_cookies),
        );
        response
    }

    fn csrf_matches(&self, submitted: &str) -> bool {
        self.presented.as_deref().is_some_and(|cookie| {
            !cookie.is_empty() && vow_crypto::ct_eq(cookie.as_bytes(), submitted.as_bytes())
        })
    }

    fn now_ms(&self) -> i64 {
        self.vault.now_ms()
    }

    /// The session's cookie, and to the person's page.
    fn signed_in(&self, token: &str) -> Response {
        let mut response = Redirect::to(&format!("{}/me", self.frame.base())).into_response();
        let headers = response.headers_mut();
        headers.append(
            header::SET_COOKIE,
            set_cookie(SESSION_COOKIE, Some(token), self.center.secure_cookies),
        );
        headers.append(
            header::SET_COOKIE,
            set_cookie(PRE_COOKIE, None, self.center.secure_cookies),
        );
        response
    }
}

/// A verified person: their session, which names the one subject every page acts for.
pub(crate) struct Person {
    session: SubjectSession,
    token: String,
    frame: Frame,
    vault: Arc<Vault>,
    center: Arc<PrivacyCenter>,
}

impl<S> FromRequestParts<S> for Person
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Person, Response> {
        let app = AppState::from_ref(state);
        let (lang, path) = lang_and_path(parts);
        let verify = format!("{}/verify", base(lang));
        let Some(token) =
            cookie(&parts.headers, SESSION_COOKIE, app.privacy.secure_cookies).map(str::to_string)
        else {
            return Err(Redirect::to(&verify).into_response());
        };
        match app.vault.subject_session(&token, &source(parts)).await {
            Ok(session) => Ok(Person {
                frame: Frame {
                    lang,
                    path,
                    signed_in: true,
                    csrf: session.csrf.clone(),
                    flash: None,
                    service: service_name(&app.vault, lang),
                },
                session,
                token,
                vault: Arc::clone(&app.vault),
                center: Arc::clone(&app.privacy),
            }),
            Err(VaultError::Unauthenticated) => {
                let mut response = Redirect::to(&verify).into_response();
                response.headers_mut().append(
                    header::SET_COOKIE,
                    set_cookie(SESSION_COOKIE, None, app.privacy.secure_cookies),
                );
                Err(response)
            }
            Err(other) => Err(Frame {
                lang,
                path,
                signed_in: false,
                csrf: String::new(),
                flash: None,
                service: service_name(&app.vault, lang),
            }
            .error_page(other)),
        }
    }
}

impl Person {
    fn csrf_refusal(&self, submitted: &str) -> Option<Response> {
        (!self.session.csrf_matches(submitted)).then(|| self.frame.forbidden_csrf())
    }
    fn t(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.frame.t(key, args)
    }
}

// ---- the policy

pub(crate) async fn home(page: Visitor) -> Response {
    let policy = page.vault.policy();
    let lang = page.frame.lang;
    let text = |t: &vow_policy::model::Text| t.get(lang.into()).to_string();
    let rights: Vec<String> = policy
        .rights
        .as_ref()
        .map(|r| {
            r.rights
                .iter()
                .map(|right| message(lang, &format!("kind_{}", right.name()), &[]))
                .collect()
        })
        .unwrap_or_default();
    let deadline = policy
        .rights
        .as_ref()
        .map_or(10, |r| r.deadline_days)
        .to_string();
    let (policy_href, history_href) = match lang {
        Lang::Ko => ("/privacy/site/index.html", "/privacy/site/history/ko.html"),
        Lang::En => ("/privacy/site/en.html", "/privacy/site/history/en.html"),
    };
    let officer = &policy.officer;
    let context = minijinja::context! {
        version => policy.policy.version.as_str(),
        effective => policy.policy.effective.to_string(),
        policy_href, history_href,
        rights,
        deadline_days => deadline,
        officer_name => text(&officer.name),
        officer_title => officer.title.as_ref().map(text),
        officer_email => officer.email.as_deref(),
        officer_phone => officer.phone.as_deref(),
    };
    page.render(StatusCode::OK, "home.html", context)
}

/// A file of the published policy (`vow policy publish`'s layout), made from the running policy.
pub(crate) async fn site_file(
    axum::extract::State(state): axum::extract::State<AppState>,
    Path(path): Path<String>,
) -> Response {
    let Some(contents) = state.privacy.site.get(&path) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let content_type = match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("json") => "application/json",
        _ => "text/plain; charset=utf-8",
    };
    let mut response = ([(header::CONTENT_TYPE, content_type)], contents.clone()).into_response();
    // The published pages carry their own styles in the page.
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        ),
    );
    response
}

// ---- proving who one is

pub(crate) async fn verify_page(page: Visitor) -> Response {
    page.render(StatusCode::OK, "verify.html", minijinja::context! {})
}

pub(crate) async fn send_code(page: Visitor, body: Bytes) -> Response {
    let form = Fields::parse(&body);
    if !page.csrf_matches(form.get("csrf")) {
        return page.frame.forbidden_csrf();
    }
    let contact = form.get("contact").trim().to_string();
    let now = page.now_ms();
    let limits = page.center.limits;
    let by_address = page.center.limiter.take(
        &format!("code-address:{}", page.counted_source()),
        limits.codes_per_address,
        now,
    );
    if by_address.is_err() {
        // Refused here, the request takes nothing from the contact's count: one address over its
        // limit cannot use up another person's codes by asking for their contact.
        return page.frame.too_many();
    }
    // Counted per contact typed, known or not, so the limit itself tells nothing.
    let by_contact = page.center.limiter.take(
        &format!("code-contact:{}", page.vault.contact_key(&contact)),
        limits.codes_per_contact,
        now,
    );
    if by_contact.is_err() {
        return page.frame.too_many();
    }
    match page.vault.start_code(&contact, &page.source).await {
        Ok(challenge) => {
            if let Some(send) = challenge.send {
                match send.delivery {
                    // Nothing would take it: the page is the same, and no code is kept where the
                    // database's readers would find it.
                    Delivery::Sms if !page.center.text_codes => tracing::warn!(
                        "a code by text message was asked for, but no webhook delivers events; none was sent"
                    ),
                    Delivery::Sms => {
                        let vault = Arc::clone(&page.vault);
                        let expires_ms = challenge.expires_ms;
                        tokio::spawn(async move {
                            if let Err(error) = vault
                                .announce_sms_code(&send.subject, &send.code, expires_ms)
                                .await
                            {
                                tracing::warn!(%error, "a privacy-center code by text message could not be queued");
                            }
                        });
                    }
                    Delivery::Email { to } => {
                        let service = page.frame.service.clone();
                        let lang = page.frame.lang;
                        page.center.mailer.send(Outgoing {
                            to,
                            subject: message(lang, "mail_subject", &[("service", &service)]),
                            body: message(
                                lang,
                                "mail_body",
                                &[("code", send.code.as_str()), ("service", &service)],
                            )
                            .replace("\\n", "\n"),
                        });
                    }
                }
            }
            page.render(
                StatusCode::OK,
                "code.html",
                minijinja::context! { challenge => challenge.token },
            )
        }
        Err(VaultError::Invalid { .. }) => {
            let error = page.frame.t("contact_invalid", &[]);
            page.render(
                StatusCode::BAD_REQUEST,
                "verify.html",
                minijinja::context! { error },
            )
        }
        Err(other) => page.frame.error_page(other),
    }
}

pub(crate) async fn check_code(page: Visitor, body: Bytes) -> Response {
    let form = Fields::parse(&body);
    if !page.csrf_matches(form.get("csrf")) {
        return page.frame.forbidden_csrf();
    }
    if page
        .center
        .limiter
        .take(
            &format!("code-try:{}", page.counted_source()),
            page.center.limits.tries_per_address,
            page.now_ms(),
        )
        .is_err()
    {
        return page.frame.too_many();
    }
    let challenge = form.get("challenge").to_string();
    match page
        .vault
        .verify_code(&challenge, form.get("code"), &page.source)
        .await
    {
        Ok(Ok(opened)) => page.signed_in(&opened.token),
        Ok(Err(CodeRefusal::Wrong)) => {
            let error = page.frame.t("code_wrong", &[]);
            page.render(
                StatusCode::BAD_REQUEST,
                "code.html",
                minijinja::context! { challenge, error },
            )
        }
        Ok(Err(refusal)) => {
            let error = page.frame.t(
                if refusal == CodeRefusal::Locked {
                    "code_locked"
                } else {
                    "code_expired"
                },
                &[],
            );
            page.render(
                StatusCode::BAD_REQUEST,
                "verify.html",
                minijinja::context! { error },
            )
        }
        Err(other) => page.frame.error_page(other),
    }
}

/// A link from the service: a page with one button, so that a link checker or a browser's
/// prefetch cannot use it up; the button's POST opens the session.
pub(crate) async fn link_page(page: Visitor, Path(token): Path<String>) -> Response {
    let token: String = token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
        .take(200)
        .collect();
    page.render(StatusCode::OK, "link.html", minijinja::context! { token })
}

pub(crate) async fn follow_link(page: Visitor, Path(token): Path<String>, body: Bytes) -> Response {
    let form = Fields::parse(&body);
    if !page.csrf_matches(form.get("csrf")) {
        return page.frame.forbidden_csrf();
    }
    match page.vault.redeem_privacy_link(&token, &page.source).await {
        Ok(opened) => page.signed_in(&opened.token),
        Err(VaultError::Unauthenticated) => page.frame.message_page(
            StatusCode::UNAUTHORIZED,
            &page.frame.t("error_title", &[]),
            &page.frame.t("error_expired", &[]),
        ),
        Err(other) => page.frame.error_page(other),
    }
}

pub(crate) async fn logout(page: Person, body: Bytes) -> Response {
    let form = Fields::parse(&body);
    if let Some(refusal) = page.csrf_refusal(form.get("csrf")) {
        return refusal;
    }
    if let Err(error) = page.vault.end_subject_session(&page.token).await {
        return page.frame.error_page(error);
    }
    let mut response = Redirect::to(&format!("{}/", page.frame.base())).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, None, page.center.secure_cookies),
    );
    response
}

// ---- requests

#[derive(Serialize)]
struct RequestRow {
    id: String,
    kind_label: String,
    state_label: String,
    received: String,
    due: String,
}

fn row(lang: Lang, request: &RightsRequest) -> RequestRow {
    RequestRow {
        id: request.id.clone(),
        kind_label: message(lang, &format!("kind_{}", request.kind), &[]),
        state_label: message(lang, &format!("state_{}", request.state), &[]),
        received: day(request.received_ms),
        due: day(request.due_ms),
    }
}

pub(crate) async fn me(page: Person) -> Response {
    match page.vault.own_requests(&page.session).await {
        Ok(requests) => {
            let rows: Vec<RequestRow> = requests.iter().map(|r| row(page.frame.lang, r)).collect();
            page.frame.render(
                StatusCode::OK,
                "me.html",
                minijinja::context! { requests => minijinja::Value::from(minijinja::value::Serde(&rows)) },
            )
        }
        Err(error) => page.frame.error_page(error),
    }
}

#[derive(Serialize)]
struct Choice {
    key: String,
    label: String,
}

fn request_form(page: &Person, status: StatusCode, error: Option<String>) -> Response {
    let policy = page.vault.policy();
    let lang = page.frame.lang;
    let rights: Vec<Choice> = policy
        .rights
        .as_ref()
        .map(|r| {
            r.rights
                .iter()
                .map(|right| Choice {
                    key: right.name().to_string(),
                    label: message(lang, &format!("kind_{}", right.name()), &[]),
                })
                .collect()
        })
        .unwrap_or_default();
    let correctable = policy
        .rights
        .as_ref()
        .is_some_and(|r| r.rights.contains(&vow_policy::model::Right::Rectification));
    let categories: Vec<Choice> = if correctable {
        policy
            .categories
            .iter()
            .filter(|c| {
                !matches!(
                    c.class,
                    vow_policy::model::DataClass::Credential
                        | vow_policy::model::DataClass::Generated
                )
            })
            .map(|c| Choice {
                key: c.key.clone(),
                label: c.label.get(lang.into()).to_string(),
            })
            .collect()
    } else {
        Vec::new()
    };
    page.frame.render(
        status,
        "new_request.html",
        minijinja::context! {
            rights => minijinja::Value::from(minijinja::value::Serde(&rights)),
            categories => minijinja::Value::from(minijinja::value::Serde(&categories)),
            error,
            representatives => policy.rights.as_ref().is_some_and(|r| r.representatives),
        },
    )
}

pub(crate) async fn new_request(page: Person) -> Response {
    request_form(&page, StatusCode::OK, None)
}

/// The request form, urlencoded or (with a representative's power of attorney) multipart: the
/// fields come before the file, so the CSRF token is checked before a byte of the file is stored.
pub(crate) async fn file_request(mut page: Person, request: axum::extract::Request) -> Response {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > vow_engine::privacy_center::ATTORNEY_MAX_BYTES + 64 * 1024) {
        return refused_request(
            &page,
            VaultError::UploadTooLarge {
                limit: vow_engine::privacy_center::ATTORNEY_MAX_BYTES,
            },
        );
    }
    // Every power of attorney stored while reading the form: whatever ends the form early, none is
    // left behind without a request to hold it.
    let mut stored: Vec<String> = Vec::new();
    let read = read_request_form(&page, request, multipart, &mut stored).await;
    let form = match read {
        Ok(form) => form,
        Err(response) => {
            discard(&page, &stored).await;
            return response;
        }
    };
    let representative = form.get("representative") == "yes";
    let attorney = match (stored.as_slice(), representative) {
        ([], _) => None,
        ([one], true) => Some(one.clone()),
        // A power of attorney with no representative is not needed, not kept; two are one too many.
        (_, false) => {
            discard(&page, &stored).await;
            None
        }
        (_, true) => {
            discard(&page, &stored).await;
            return bad_form(&page);
        }
    };
    let request = SelfServiceRequest {
        kind: form.get("kind").to_string(),
        categories: form.all("category"),
        representative,
        jurisdiction: Some(form.get("jurisdiction"))
            .filter(|j| !j.is_empty())
            .map(str::to_string),
        answer_by: form.get("answer_by").to_string(),
    };
    match page
        .vault
        .file_own_request_with(&page.session, request, attorney)
        .await
    {
        Ok(filed) => {
            page.frame.flash = Some(page.t("filed", &[("due", &day(filed.due_ms))]));
            render_request(&page, StatusCode::CREATED, &filed)
        }
        Err(error) => refused_request(&page, error),
    }
}

/// The request form's fields, its CSRF token checked (before any file streams), each power of
/// attorney in it stored as it arrives (its id pushed to `stored`).
async fn read_request_form(
    page: &Person,
    request: axum::extract::Request,
    multipart: bool,
    stored: &mut Vec<String>,
) -> Result<Fields, Response> {
    let form = if multipart {
        use axum::extract::FromRequest;
        let mut parts = axum::extract::Multipart::from_request(request, &())
            .await
            .map_err(|_| bad_form(page))?;
        let mut fields = Vec::new();
        loop {
            let field = match parts.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                Err(_) => return Err(bad_form(page)),
            };
            let name = field.name().unwrap_or_default().to_string();
            if name != "attorney" {
                match field.text().await {
                    Ok(text) if fields.len() < 200 => fields.push((name, text)),
                    _ => return Err(bad_form(page)),
                }
                continue;
            }
            let so_far = Fields(std::mem::take(&mut fields));
            if let Some(refusal) = page.csrf_refusal(so_far.get("csrf")) {
                return Err(refusal);
            }
            fields = so_far.0;
            if field.file_name().unwrap_or_default().is_empty() {
                continue;
            }
            let content_type = field.content_type().map(str::to_string);
            let stream = futures_util::TryStreamExt::map_err(field, |e| {
                std::io::Error::other(format!("{BODY_BROKE}: {e}"))
            });
            let mut reader = tokio_util::io::StreamReader::new(stream);
            match page
                .vault
                .store_power_of_attorney(&page.session, content_type.as_deref(), &mut reader)
                .await
            {
                Ok(id) => stored.push(id),
                // The body broke off or outgrew its limit while streaming: the form's fault.
                Err(VaultError::UploadIo(why)) if why.starts_with(BODY_BROKE) => {
                    return Err(bad_form(page))
                }
                Err(error) => return Err(refused_request(page, error)),
            }
        }
        Fields(fields)
    } else {
        match axum::body::to_bytes(request.into_body(), 256 * 1024).await {
            Ok(body) => Fields::parse(&body),
            Err(_) => return Err(bad_form(page)),
        }
    };
    if let Some(refusal) = page.csrf_refusal(form.get("csrf")) {
        return Err(refusal);
    }
    Ok(form)
}

async fn discard(page: &Person, stored: &[String]) {
    if let Err(error) = page
        .vault
        .discard_powers_of_attorney(&page.session, stored)
        .await
    {
        tracing::error!(%error, "a power of attorney no request holds could not be destroyed");
    }
}

/// How a read error of the request's own body is told from a disk's.
const BODY_BROKE: &str = "the request body broke off";

fn bad_form(page: &Person) -> Response {
    let text = page.t("error_invalid", &[("why", "the form could not be read")]);
    request_form(page, StatusCode::BAD_REQUEST, Some(text))
}

fn refused_request(page: &Person, error: VaultError) -> Response {
    let api = ApiError::from(error);
    if api.status.is_client_error() {
        let text = page.t("error_invalid", &[("why", &api.body.message)]);
        request_form(page, api.status, Some(text))
    } else {
        page.frame.message_page(
            api.status,
            &page.t("error_title", &[]),
            &page.t("error_store", &[]),
        )
    }
}

fn render_request(page: &Person, status: StatusCode, request: &RightsRequest) -> Response {
    let lang = page.frame.lang;
    let row = row(lang, request);
    let detail = &request.detail;
    let mut messages = vec![message(
        lang,
        "msg_received",
        &[("at", &when(request.received_ms))],
    )];
    match request.state.as_str() {
        "in_progress" => messages.push(message(lang, "msg_in_progress", &[])),
        "extended" => messages.push(message(
            lang,
            "msg_extended",
            &[("why", detail.extension_reason.as_deref().unwrap_or(""))],
        )),
        "refused" => {
            messages.push(message(
                lang,
                "msg_refused",
                &[("why", detail.reason.as_deref().unwrap_or(""))],
            ));
            messages.push(message(
                lang,
                "msg_objection",
                &[("how", detail.objection.as_deref().unwrap_or(""))],
            ));
        }
        "completed" => {
            messages.push(message(lang, "msg_completed", &[]));
            if request.kind == "erasure"
                && detail
                    .result
                    .as_ref()
                    .and_then(|r| r.get("kept"))
                    .and_then(|k| k.as_array())
                    .is_some_and(|k| !k.is_empty())
            {
                messages.push(message(lang, "msg_kept", &[]));
            }
        }
        _ => {}
    }
    let method_label = message(lang, &format!("method_{}", detail.verification.method), &[]);
    page.frame.render(
        status,
        "request.html",
        minijinja::context! {
            id => row.id, kind_label => row.kind_label, state_label => row.state_label,
            received => row.received, due => row.due, method_label, messages,
            downloadable => request.state == "completed"
                && matches!(request.kind.as_str(), "access" | "portability"),
        },
    )
}

pub(crate) async fn request(page: Person, Path(id): Path<String>) -> Response {
    match page.vault.own_request(&page.session, &id).await {
        Ok(request) => render_request(&page, StatusCode::OK, &request),
        Err(error) => page.frame.error_page(error),
    }
}

pub(crate) async fn package(page: Person, Path(id): Path<String>, body: Bytes) -> Response {
    let form = Fields::parse(&body);
    if let Some(refusal) = page.csrf_refusal(form.get("csrf")) {
        return refusal;
    }
    let format = match form.get("format") {
        "json" => PackageFormat::Json,
        _ => PackageFormat::Html,
    };
    match page.vault.package_link(&page.session, &id, format).await {
        Ok(link) => page.frame.render(
            StatusCode::OK,
            "package.html",
            minijinja::context! {
                id,
                link => format!("{}/download/{}", page.frame.base(), link.token.as_str()),
                until => when(link.expires_ms),
            },
        ),
        Err(error) => page.frame.error_page(error),
    }
}

#[derive(Serialize)]
struct PieceRow {
    label: String,
    value: String,
    purposes: String,
    kept: String,
}

/// A download's page again (bookmarked, or opened after signing in): its button, while it is live
/// and the session's own; 410 otherwise. A GET never uses it up.
pub(crate) async fn download_page(page: Person, Path(token): Path<String>) -> Response {
    match page.vault.download_ready(&page.session, &token).await {
        Ok(expires_ms) => page.frame.render(
            StatusCode::OK,
            "package.html",
            minijinja::context! {
                link => format!("{}/download/{}", page.frame.base(), token),
                until => when(expires_ms),
            },
        ),
        Err(VaultError::Unauthenticated) => download_gone(&page),
        Err(other) => page.frame.error_page(other),
    }
}

fn download_gone(page: &Person) -> Response {
    page.frame.message_page(
        StatusCode::GONE,
        &page.frame.t("error_title", &[]),
        &page.frame.t("error_not_found", &[]),
    )
}

/// The answer, once, by a POST from the person's own session: JSON as a file, or a page to read.
/// A download used, past its time or another's is 410.
pub(crate) async fn download(page: Person, Path(token): Path<String>, body: Bytes) -> Response {
    let form = Fields::parse(&body);
    if let Some(refusal) = page.csrf_refusal(form.get("csrf")) {
        return refusal;
    }
    match page.vault.download_package(&page.session, &token).await {
        Ok((PackageFormat::Json, request, export)) => {
            let body = serde_json::to_string_pretty(&export).unwrap_or_default();
            let name: String = request
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            (
                [
                    (header::CONTENT_TYPE, "application/json".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"personal-data-{name}.json\""),
                    ),
                ],
                body,
            )
                .into_response()
        }
        Ok((PackageFormat::Html, _, export)) => {
            let policy = page.vault.policy();
            let lang = page.frame.lang;
            let label = |key: &str| crate::console::view::category_label(policy, key, lang);
            let pieces: Vec<PieceRow> = export
                .items
                .iter()
                .chain(export.records.iter())
                .map(|piece| PieceRow {
                    label: label(&piece.category),
                    value: match &piece.value {
                        ItemValue::Full(v) | ItemValue::Masked(v) => v.clone(),
                        _ => "—".into(),
                    },
                    purposes: piece
                        .uses
                        .purposes
                        .iter()
                        .map(|key| {
                            policy
                                .purposes
                                .iter()
                                .find(|p| &p.key == key)
                                .map_or(key.clone(), |p| p.label.get(lang.into()).to_string())
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                    kept: match &piece.retention {
                        vow_engine::retention::Fate::Keep {
                            until_ms: Some(until),
                            ..
                        } => day(*until),
                        vow_engine::retention::Fate::Separate { until_ms, .. } => day(*until_ms),
                        vow_engine::retention::Fate::Keep { until_ms: None, .. } => {
                            message(lang, "kept_in_use", &[])
                        }
                        _ => "—".into(),
                    },
                })
                .collect();
            let generated = when(page.vault.now_ms());
            page.frame.render(
                StatusCode::OK,
                "package.html",
                minijinja::context! { pieces => minijinja::Value::from(minijinja::value::Serde(&pieces)), generated },
            )
        }
        Err(VaultError::Unauthenticated) => download_gone(&page),
        Err(other) => page.frame.error_page(other),
    }
}

// ---- consent

#[derive(Serialize)]
struct ConsentChoice {
    purpose: String,
    channel: Option<String>,
    night: bool,
    label: String,
    wording: String,
    granted: bool,
    since: Option<String>,
}

async fn render_consent(page: &Person, status: StatusCode, error: Option<String>) -> Response {
    let consents = match page.vault.own_consents(&page.session).await {
        Ok(consents) => consents,
        Err(error) => return page.frame.error_page(error),
    };
    let policy = page.vault.policy();
    let lang = page.frame.lang;
    let advertising = policy
        .advertising
        .as_ref()
        .and_then(|ad| ad.purpose.clone());
    let mut choices = Vec::new();
    for purpose in policy
        .purposes
        .iter()
        .filter(|p| p.basis == LegalBasis::Consent)
    {
        let label = purpose.label.get(lang.into()).to_string();
        let wording = purpose
            .details
            .iter()
            .map(|d| d.get(lang.into()).to_string())
            .collect::<Vec<_>>()
            .join(" · ");
        let mut slots: Vec<(Option<String>, bool)> = Vec::new();
        if advertising.as_deref() == Some(purpose.key.as_str()) {
            for channel in policy.advertising.iter().flat_map(|ad| ad.channels.iter()) {
                let name = vow_engine::marketing::channel_name(*channel).to_string();
                slots.push((Some(name.clone()), false));
                if policy.advertising.as_ref().is_some_and(|ad| ad.night_time) {
                    slots.push((Some(name), true));
                }
            }
        } else {
            slots.push((None, false));
        }
        for (channel, night) in slots {
            let current = consents
                .current
                .iter()
                .find(|c| c.purpose == purpose.key && c.channel == channel && c.night == night);
            let mut shown = label.clone();
            if let Some(channel) = &channel {
                shown = format!("{shown} ({channel})");
            }
            if night {
                shown = format!("{shown}: {}", message(lang, "night", &[]));
            }
            choices.push(ConsentChoice {
                purpose: purpose.key.clone(),
                channel,
                night,
                label: shown,
                wording: wording.clone(),
                granted: current.is_some_and(|c| c.granted),
                since: current.filter(|c| c.granted).map(|c| day(c.since_ms)),
            });
        }
    }
    page.frame.render(
        status,
        "consent.html",
        minijinja::context! { choices => minijinja::Value::from(minijinja::value::Serde(&choices)), error },
    )
}

pub(crate) async fn consent(page: Person) -> Response {
    render_consent(&page, StatusCode::OK, None).await
}

pub(crate) async fn change_consent(mut page: Person, body: Bytes) -> Response {
    let form = Fields::parse(&body);
    if let Some(refusal) = page.csrf_refusal(form.get("csrf")) {
        return refusal;
    }
    let granted = match form.get("change") {
        "grant" => true,
        "withdraw" => false,
        _ => {
            let text = page.t(
                "error_invalid",
                &[("why", "change must be grant or withdraw")],
            );
            return render_consent(&page, StatusCode::BAD_REQUEST, Some(text)).await;
        }
    };
    let purpose = form.get("purpose").to_string();
    let wording = page
        .vault
        .policy()
        .purposes
        .iter()
        .find(|p| p.key == purpose)
        .map(|p| {
            let lang = page.frame.lang;
            let details: Vec<String> = p
                .details
                .iter()
                .map(|d| d.get(lang.into()).to_string())
                .collect();
            format!("{}: {}", p.label.get(lang.into()), details.join(" "))
        });
    let channel = Some(form.get("channel"))
        .filter(|c| !c.is_empty())
        .map(str::to_string);
    match page
        .vault
        .change_own_consent(
            &page.session,
            &purpose,
            channel,
            form.get("night") == "yes",
            granted,
            wording,
        )
        .await
    {
        Ok(_) => {
            page.frame.flash = Some(page.t(if granted { "granted" } else { "withdrawn" }, &[]));
            render_consent(&page, StatusCode::OK, None).await
        }
        Err(error) => {
            let api = ApiError::from(error);
            let text = page.t("error_invalid", &[("why", &api.body.message)]);
            render_consent(&page, api.status, Some(text)).await
        }
    }
}
