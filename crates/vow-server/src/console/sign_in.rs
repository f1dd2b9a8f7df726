//! Signing in and out, and enrolment: the pages a person sees before they have a session.

use std::time::Instant;

use axum::extract::{Path, Query};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Deserialize;
use vow_engine::VaultError;

use super::session::{set_cookie, Anonymous, Signed, PRE_COOKIE, SESSION_COOKIE};
use super::view::{role_label, when};
use super::{ConsoleState, SignInKey};
use crate::auth::Verdict;

#[derive(Deserialize)]
pub(crate) struct LoginQuery {
    #[serde(default)]
    m: Option<String>,
}

pub(crate) async fn login_page(page: Anonymous, Query(query): Query<LoginQuery>) -> Response {
    // Someone signed in already goes to Today.
    if let Some(token) = page.session_token.as_deref() {
        if page
            .vault
            .console_session(token, &page.source)
            .await
            .is_ok()
        {
            return Redirect::to(&format!("{}/", page.frame.base())).into_response();
        }
    }
    let flash = match query.m.as_deref() {
        Some("out") => Some(page.frame.t("signed_out", &[])),
        Some("expired") => Some(page.frame.t("session_over", &[])),
        Some("enrolled") => Some(page.frame.t("enrol_done", &[])),
        _ => None,
    };
    let mut page = page;
    page.frame.flash = flash;
    page.render(StatusCode::OK, "login.html", minijinja::context! {})
}

#[derive(Deserialize)]
pub(crate) struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    code: String,
}

pub(crate) async fn login(page: Anonymous, Form(form): Form<LoginForm>) -> Response {
    if !page.csrf_matches(&form.csrf) {
        return page.frame.forbidden_csrf();
    }
    let key = sign_in_key(&page.console, &page.source, &form.email);
    match page.console.lockout.verdict(key, Instant::now()) {
        Verdict::Locked { retry_after } => {
            let text = page
                .frame
                .t("login_locked", &[("n", &retry_after.as_secs().to_string())]);
            let mut response = page.render(
                StatusCode::TOO_MANY_REQUESTS,
                "login.html",
                minijinja::context! { error => text },
            );
            if let Ok(value) = retry_after.as_secs().to_string().parse() {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return response;
        }
        Verdict::Proceed { delay } if !delay.is_zero() => tokio::time::sleep(delay).await,
        Verdict::Proceed { .. } => {}
    }
    match page
        .vault
        .console_sign_in(&form.email, &form.password, &form.code, &page.source)
        .await
    {
        Ok(signed) => {
            let mut response = Redirect::to(&format!("{}/", page.frame.base())).into_response();
            let headers = response.headers_mut();
            // A new session every time: whatever cookie came in is replaced.
            headers.append(
                header::SET_COOKIE,
                set_cookie(
                    SESSION_COOKIE,
                    Some(&signed.token),
                    page.console.secure_cookies,
                ),
            );
            headers.append(
                header::SET_COOKIE,
                set_cookie(PRE_COOKIE, None, page.console.secure_cookies),
            );
            response
        }
        Err(VaultError::Unauthenticated) => {
            page.console.lockout.failed(key, Instant::now());
            tracing::info!(source = %page.source, "a console sign-in failed");
            let text = page.frame.t("login_failed", &[]);
            page.render(
                StatusCode::UNAUTHORIZED,
                "login.html",
                minijinja::context! { error => text },
            )
        }
        Err(other) => page.frame.error_page(other),
    }
}

/// Whose failures a sign-in counts with: the address as every per-address limit counts it (an IPv6
/// address by its /64, so one host cannot spread its guesses over 2^64 counters) and a keyed hash of
/// the account typed.
fn sign_in_key(console: &ConsoleState, source: &str, email: &str) -> SignInKey {
    let address = source
        .parse()
        .unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]));
    let account =
        vow_crypto::hmac_sha256(&console.account_key, email.trim().to_lowercase().as_bytes());
    SignInKey {
        address: crate::limits::counted_as(address),
        account: account[..16].try_into().unwrap_or([0; 16]),
    }
}

#[derive(Deserialize)]
pub(crate) struct CsrfForm {
    #[serde(default)]
    pub(crate) csrf: String,
}

pub(crate) async fn logout(page: Signed, Form(form): Form<CsrfForm>) -> Response {
    if let Some(refused) = page.csrf_refusal(&form.csrf) {
        return refused;
    }
    if let Err(error) = page.vault.console_sign_out(&page.token).await {
        return page.frame.error_page(error);
    }
    let mut response = Redirect::to(&format!("{}/login?m=out", page.frame.base())).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, None, page.secure),
    );
    response
}

pub(crate) async fn enrol_page(page: Anonymous, Path(token): Path<String>) -> Response {
    match page.vault.pending_enrolment(&token).await {
        Ok(pending) => {
            let context = enrol_context(&page, &token, &pending);
            page.render(StatusCode::OK, "enrol.html", context)
        }
        Err(VaultError::Unauthenticated) => page.render(
            StatusCode::NOT_FOUND,
            "enrol.html",
            minijinja::context! { invalid => true },
        ),
        Err(other) => page.frame.error_page(other),
    }
}

fn enrol_context(
    page: &Anonymous,
    token: &str,
    pending: &vow_engine::console::PendingEnrolment,
) -> minijinja::Value {
    let issuer = format!(
        "vow {}",
        page.vault
            .policy()
            .policy
            .service
            .get(vow_policy::model::Lang::Ko)
    );
    let uri = pending.totp.otpauth_uri(issuer.trim(), &pending.email);
    let qr = qrcode::QrCode::new(uri.as_bytes())
        .map(|code| {
            code.render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(200, 200)
                .quiet_zone(true)
                .build()
        })
        .unwrap_or_default();
    // The SVG's own XML declaration cannot stand inside HTML.
    let qr = qr
        .split_once("?>")
        .map_or(qr.as_str(), |(_, svg)| svg)
        .trim()
        .to_string();
    minijinja::context! {
        token => token,
        email => pending.email.as_str(),
        role_label => role_label(page.vault.policy(), &pending.role, page.frame.lang),
        until => when(pending.expires_ms),
        qr_svg => qr,
        totp_key => pending.totp.base32().as_str(),
        totp_uri => uri.as_str(),
    }
}

#[derive(Deserialize)]
pub(crate) struct EnrolForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password2: String,
    #[serde(default)]
    code: String,
}

pub(crate) async fn enrol(
    page: Anonymous,
    Path(token): Path<String>,
    Form(form): Form<EnrolForm>,
) -> Response {
    if !page.csrf_matches(&form.csrf) {
        return page.frame.forbidden_csrf();
    }
    let pending = match page.vault.pending_enrolment(&token).await {
        Ok(pending) => pending,
        Err(VaultError::Unauthenticated) => {
            return page.render(
                StatusCode::NOT_FOUND,
                "enrol.html",
                minijinja::context! { invalid => true },
            )
        }
        Err(other) => return page.frame.error_page(other),
    };
    let problem = if form.password != form.password2 {
        Some(page.frame.t("passwords_differ", &[]))
    } else {
        match page
            .vault
            .complete_enrolment(&token, &form.password, &form.code)
            .await
        {
            Ok(_) => None,
            Err(VaultError::Invalid { what, why }) => Some(
                page.frame
                    .t("error_invalid", &[("why", &format!("{what}: {why}"))]),
            ),
            Err(VaultError::Unauthenticated) => {
                return page.render(
                    StatusCode::NOT_FOUND,
                    "enrol.html",
                    minijinja::context! { invalid => true },
                )
            }
            Err(other) => return page.frame.error_page(other),
        }
    };
    match problem {
        None => Redirect::to(&format!("{}/login?m=enrolled", page.frame.base())).into_response(),
        Some(error) => {
            let context =
                minijinja::context! { error => error, ..enrol_context(&page, &token, &pending) };
            page.render(StatusCode::UNPROCESSABLE_ENTITY, "enrol.html", context)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sign_in_key;
    use crate::console::ConsoleState;

    #[test]
    fn failed_sign_ins_from_one_ipv6_host_count_together() {
        let console = ConsoleState::default();
        let email = "officer@example.com";
        // One host's /64: every address in it is one counter, for the same account.
        assert_eq!(
            sign_in_key(&console, "2001:db8:1:2::1", email),
            sign_in_key(&console, "2001:db8:1:2:ffff::7", email)
        );
        assert_ne!(
            sign_in_key(&console, "2001:db8:1:3::1", email),
            sign_in_key(&console, "2001:db8:1:2::1", email)
        );
        // IPv4 by itself; the account typed is counted apart, case and spaces aside.
        assert_ne!(
            sign_in_key(&console, "192.0.2.7", email),
            sign_in_key(&console, "192.0.2.8", email)
        );
        assert_eq!(
            sign_in_key(&console, "192.0.2.7", " Officer@Example.com"),
            sign_in_key(&console, "192.0.2.7", email)
        );
        assert_ne!(
            sign_in_key(&console, "192.0.2.7", "other@example.com"),
            sign_in_key(&console, "192.0.2.7", email)
        );
    }
}
