//! Access rights (안전성 확보조치 기준 제5조): console users and API keys with their roles, the
//! history of every grant, enrolment, disabling and revocation, and the actions on them — for a role
//! the policy marks `admin`.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use serde::Deserialize;

use super::session::Signed;
use super::sign_in::CsrfForm;
use super::view::{role_label, when};

pub(crate) async fn page(mut page: Signed) -> Response {
    page.frame.page = "nav_access";
    render(page, None).await
}

async fn render(page: Signed, enrol_link: Option<minijinja::Value>) -> Response {
    let caller = page.caller();
    let users = match page.vault.console_users(caller).await {
        Ok(users) => users,
        Err(error) => return page.frame.error_page(error),
    };
    let keys = match page.vault.list_api_keys(caller).await {
        Ok(keys) => keys,
        Err(error) => return page.frame.error_page(error),
    };
    let history = match page.vault.grant_history(caller, None, 500).await {
        Ok(history) => history,
        Err(error) => return page.frame.error_page(error),
    };
    let policy = page.vault.policy();
    let lang = page.frame.lang;
    let t = |key: &str| page.frame.t(key, &[]);
    let names: std::collections::HashMap<String, String> = users
        .iter()
        .map(|u| (u.id.clone(), u.email.clone()))
        .chain(keys.iter().map(|k| (k.id.clone(), k.label.clone())))
        .collect();
    let name_of = |id: &str| -> String {
        let bare = id.split_once(':').map_or(id, |(_, rest)| rest);
        names.get(bare).cloned().unwrap_or_else(|| id.to_string())
    };
    let users: Vec<_> = users
        .iter()
        .map(|u| {
            let status = if u.disabled_ms.is_some() {
                t("status_disabled")
            } else if u.enrolled_ms.is_none() {
                t("status_pending")
            } else {
                t("status_active")
            };
            minijinja::context! {
                id => u.id.as_str(), email => u.email.as_str(),
                role => role_label(policy, &u.role, lang),
                created => when(u.created_ms),
                enrolled => u.enrolled_ms.map(when).unwrap_or_default(),
                status => status,
                can_disable => u.disabled_ms.is_none() && u.id != page.session.user.id,
            }
        })
        .collect();
    let keys: Vec<_> = keys
        .iter()
        .map(|k| {
            minijinja::context! {
                id => k.id.as_str(), label => k.label.as_str(),
                role => role_label(policy, &k.role, lang),
                created => when(k.created_ms),
                status => if k.revoked_ms.is_some() { t("status_revoked") } else { t("status_active") },
                live => k.revoked_ms.is_none(),
            }
        })
        .collect();
    let history: Vec<_> = history
        .iter()
        .map(|h| {
            minijinja::context! {
                when => when(h.at_ms),
                grantee => name_of(&h.grantee),
                role => role_label(policy, &h.role, lang),
                change => page.frame.t(&format!("change_{}", h.change), &[]),
                actor => name_of(&h.actor),
            }
        })
        .collect();
    let roles: Vec<_> = policy
        .roles
        .iter()
        .map(|r| minijinja::context! { key => r.key.as_str(), label => role_label(policy, &r.key, lang) })
        .collect();
    page.frame.render(
        StatusCode::OK,
        "access.html",
        minijinja::context! {
            users => users, keys => keys, history => history, roles => roles,
            enrol_link => enrol_link,
        },
    )
}

#[derive(Deserialize)]
pub(crate) struct AddUserForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
}

/// Adds a person and shows their enrolment link once, in the answer (never in a URL or a log).
pub(crate) async fn add_user(
    mut page: Signed,
    headers: axum::http::HeaderMap,
    Form(form): Form<AddUserForm>,
) -> Response {
    if let Some(refused) = page.csrf_refusal(&form.csrf) {
        return refused;
    }
    page.frame.page = "nav_access";
    match page
        .vault
        .add_console_user(page.caller(), &form.email, &form.role)
        .await
    {
        Ok(new) => {
            let host = headers
                .get(axum::http::header::HOST)
                .and_then(|h| h.to_str().ok())
                .filter(|h| h.len() < 256 && !h.contains(['/', ' ']))
                .unwrap_or("localhost");
            let scheme = if page.secure { "https" } else { "http" };
            let link = minijinja::context! {
                text => page.frame.t("enrol_link_once", &[("email", &new.user.email)]),
                url => format!("{scheme}://{host}{}/enrol/{}", page.frame.base(), new.token.as_str()),
            };
            render(page, Some(link)).await
        }
        Err(error) => page.frame.error_page(error),
    }
}

/// The access page again after an action, with its confirmation, or the action's error.
async fn after(page: Signed, done: Result<(), vow_engine::VaultError>, flash: &str) -> Response {
    match done {
        Ok(()) => {
            let flash = page.frame.t(flash, &[]);
            render(page.with_flash(flash), None).await
        }
        Err(error) => page.frame.error_page(error),
    }
}

pub(crate) async fn disable_user(
    mut page: Signed,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Some(refused) = page.csrf_refusal(&form.csrf) {
        return refused;
    }
    page.frame.page = "nav_access";
    let done = page.vault.disable_console_user(page.caller(), &id).await;
    after(page, done, "user_disabled").await
}

pub(crate) async fn revoke_key(
    mut page: Signed,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Some(refused) = page.csrf_refusal(&form.csrf) {
        return refused;
    }
    page.frame.page = "nav_access";
    let done = page.vault.revoke_api_key(page.caller(), &id).await;
    after(page, done, "key_revoked").await
}
