//! The request queue: by urgency with the time left, unverified and duplicate requests apart, a search
//! by contact through the blind index, each request's timeline and actions, the notices, CSV.

use std::collections::HashMap;

use axum::extract::{Path, Query};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::{Deserialize, Serialize};
use vow_engine::requests::{RequestAction, RightsRequest};
use vow_engine::VaultError;

use super::session::Signed;
use super::view::{category_label, day, when, Frame};

/// Requests per page.
const PAGE: usize = 50;
const DAY_MS: i64 = 86_400_000;

/// Methods that say identity was not verified (the API takes the method as given).
pub(crate) fn is_unverified(method: &str) -> bool {
    matches!(
        method.trim().to_ascii_lowercase().as_str(),
        "" | "none" | "unverified" | "pending"
    )
}

/// A request as a table row shows it.
#[derive(Serialize)]
pub(crate) struct Row {
    id: String,
    short_id: String,
    subject: String,
    state: String,
    kind_label: String,
    state_label: String,
    received: String,
    due: String,
    left: String,
    urgency: &'static str,
    verification: String,
    unverified: bool,
    duplicate: bool,
    extended: bool,
    open: bool,
    extendable: bool,
    handled_by: Option<String>,
    extension_reason: Option<String>,
    reason: Option<String>,
    objection: Option<String>,
    result: Option<String>,
}

pub(crate) fn row(frame: &Frame, request: &RightsRequest, now_ms: i64, duplicate: bool) -> Row {
    let open = !matches!(request.state.as_str(), "completed" | "refused");
    let left = if !open {
        frame.t(&format!("urgency_{}", request.urgency), &[])
    } else {
        let days = (request.due_ms - now_ms).div_euclid(DAY_MS);
        match days {
            d if d < 0 => frame.t("days_over", &[("n", &(-d).to_string())]),
            0 => frame.t("due_today", &[]),
            d => frame.t("days_left", &[("n", &d.to_string())]),
        }
    };
    let detail = &request.detail;
    Row {
        id: request.id.clone(),
        short_id: super::view::short(&request.id),
        subject: request.subject.clone(),
        state: request.state.clone(),
        kind_label: frame.t(&format!("kind_{}", request.kind), &[]),
        state_label: frame.t(&format!("state_{}", request.state), &[]),
        received: when(request.received_ms),
        due: day(request.due_ms),
        left,
        urgency: request.urgency,
        verification: detail.verification.method.clone(),
        unverified: is_unverified(&detail.verification.method),
        duplicate,
        extended: detail.extension_reason.is_some(),
        open,
        extendable: open && detail.jurisdiction == "eu" && detail.extension_reason.is_none(),
        handled_by: detail.handled_by.clone(),
        extension_reason: detail.extension_reason.clone(),
        reason: detail.reason.clone(),
        objection: detail.objection.clone(),
        result: detail.result.as_ref().map(|r| r.to_string()),
    }
}

/// Which requests are duplicates: an open request of the same subject and type received after
/// another open one.
fn duplicates(requests: &[RightsRequest]) -> std::collections::HashSet<String> {
    let mut first: HashMap<(&str, &str), (i64, &str)> = HashMap::new();
    for r in requests
        .iter()
        .filter(|r| !matches!(r.state.as_str(), "completed" | "refused"))
    {
        let key = (r.subject.as_str(), r.kind.as_str());
        let entry = first.entry(key).or_insert((r.received_ms, r.id.as_str()));
        if (r.received_ms, r.id.as_str()) < *entry {
            *entry = (r.received_ms, r.id.as_str());
        }
    }
    requests
        .iter()
        .filter(|r| !matches!(r.state.as_str(), "completed" | "refused"))
        .filter(|r| {
            first
                .get(&(r.subject.as_str(), r.kind.as_str()))
                .is_some_and(|(_, id)| *id != r.id)
        })
        .map(|r| r.id.clone())
        .collect()
}

#[derive(Deserialize)]
pub(crate) struct ListQuery {
    #[serde(default)]
    view: Option<String>,
    /// `due_ms.id` of the previous page's last request.
    #[serde(default)]
    after: Option<String>,
}

fn cursor(text: Option<&str>) -> Option<(i64, String)> {
    let (due, id) = text?.split_once('.')?;
    let id_ok = !id.is_empty()
        && id.len() <= 100
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    Some((due.parse().ok()?, id.to_string())).filter(|_| id_ok)
}

/// A page of the queue, and with it the duplicate marks: a request is checked against every open
/// request of its subject, not only those on the page.
async fn page_rows(
    page: &Signed,
    view: &str,
    after: Option<(i64, String)>,
    limit: usize,
) -> Result<(Vec<Row>, Option<String>), VaultError> {
    let open_only = view != "all";
    // A filtered view reads on until it has a page, doubling the batch each round (to 800): a page
    // of rare rows costs a few queries, and a page of common ones reads little more than itself.
    let mut batch = limit;
    let mut rows = Vec::new();
    let mut cursor = after;
    let now = page.vault.now_ms();
    for _ in 0..20 {
        let requests = page
            .vault
            .rights_requests_page(page.caller(), open_only, cursor.clone(), batch)
            .await?;
        let mut subjects: Vec<String> = requests.iter().map(|r| r.subject.clone()).collect();
        subjects.sort();
        subjects.dedup();
        let related = page
            .vault
            .rights_requests_of(page.caller(), &subjects)
            .await?;
        let dups = duplicates(&related);
        for r in &requests {
            cursor = Some((r.due_ms, r.id.clone()));
            let duplicate = dups.contains(&r.id);
            let apart = duplicate || is_unverified(&r.detail.verification.method);
            let shown = match view {
                "unverified" => apart,
                "all" => true,
                _ => !apart,
            };
            if shown {
                rows.push(row(&page.frame, r, now, duplicate));
                if rows.len() == limit {
                    // The next page starts after the last request looked at.
                    return Ok((rows, cursor.map(|(due, id)| format!("{due}.{id}"))));
                }
            }
        }
        if requests.len() < batch {
            return Ok((rows, None));
        }
        batch = (batch * 2).min(800);
    }
    // Twenty batches without a full page: show what was found, and go on from where it stopped.
    Ok((rows, cursor.map(|(due, id)| format!("{due}.{id}"))))
}

fn lookup_categories(page: &Signed) -> Vec<minijinja::Value> {
    let policy = page.vault.policy();
    let grants = page
        .vault
        .policy()
        .roles
        .iter()
        .find(|r| r.key == page.caller().role);
    policy
        .categories
        .iter()
        .filter(|c| c.lookup)
        .filter(|c| grants.is_some_and(|role| vow_engine::Grants::new(role).may_lookup(&c.key)))
        .map(|c| {
            minijinja::context! {
                key => c.key.as_str(),
                label => category_label(policy, &c.key, page.frame.lang),
            }
        })
        .collect()
}

fn view_name(view: Option<&str>) -> &'static str {
    match view {
        Some("unverified") => "unverified",
        Some("all") => "all",
        _ => "open",
    }
}

pub(crate) async fn list(mut page: Signed, Query(query): Query<ListQuery>) -> Response {
    page.frame.page = "nav_requests";
    let view = view_name(query.view.as_deref());
    let after = cursor(query.after.as_deref());
    let paged = after.is_some();
    match page_rows(&page, view, after, PAGE).await {
        Ok((rows, next)) => page.frame.render(
            StatusCode::OK,
            "requests.html",
            minijinja::context! {
                rows => minijinja::Value::from(minijinja::value::Serde(&rows)), next => next, paged => paged, view => view,
                lookup_categories => lookup_categories(&page),
            },
        ),
        Err(error) => page.frame.error_page(error),
    }
}

#[derive(Deserialize)]
pub(crate) struct SearchForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    value: String,
}

/// A search by contact: the value goes to the vault's lookup (a blind index, logged, within the
/// role's lookup budget) and is never put in a URL or echoed back.
pub(crate) async fn search(mut page: Signed, Form(form): Form<SearchForm>) -> Response {
    if let Some(refused) = page.csrf_refusal(&form.csrf) {
        return refused;
    }
    page.frame.page = "nav_requests";
    let subjects = match page
        .vault
        .lookup(page.caller(), &form.category, &form.value)
        .await
    {
        Ok(subjects) => subjects,
        Err(error) => return page.frame.error_page(error),
    };
    let now = page.vault.now_ms();
    match page
        .vault
        .rights_requests_of(page.caller(), &subjects)
        .await
    {
        Ok(requests) => {
            let dups = duplicates(&requests);
            let rows: Vec<Row> = requests
                .iter()
                .map(|r| row(&page.frame, r, now, dups.contains(&r.id)))
                .collect();
            page.frame.render(
                StatusCode::OK,
                "requests.html",
                minijinja::context! {
                    rows => minijinja::Value::from(minijinja::value::Serde(&rows)), view => "search", searched => true,
                    lookup_categories => lookup_categories(&page),
                },
            )
        }
        Err(error) => page.frame.error_page(error),
    }
}

/// The queue as CSV for an audit: no personal values (the subject is an opaque id), formula
/// characters defused.
pub(crate) async fn csv(page: Signed, Query(query): Query<ListQuery>) -> Response {
    let view = view_name(query.view.as_deref());
    let mut out = String::from(
        "id,type,state,subject,received,due,time_left,verification,duplicate,extended\r\n",
    );
    let mut after = None;
    loop {
        let (rows, next) = match page_rows(&page, view, after, 500).await {
            Ok(found) => found,
            Err(error) => return page.frame.error_page(error),
        };
        for r in &rows {
            let cells = [
                r.id.as_str(),
                r.kind_label.as_str(),
                r.state_label.as_str(),
                r.subject.as_str(),
                r.received.as_str(),
                r.due.as_str(),
                r.left.as_str(),
                r.verification.as_str(),
                if r.duplicate { "yes" } else { "no" },
                if r.extended { "yes" } else { "no" },
            ];
            let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
            out.push_str(&line.join(","));
            out.push_str("\r\n");
        }
        match next.and_then(|n| cursor(Some(&n))) {
            Some(cursor) => after = Some(cursor),
            None => break,
        }
    }
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"vow-requests.csv\"",
            ),
        ],
        out,
    )
        .into_response()
}

/// One CSV cell: quoted when it must be, and a leading formula character defused.
pub(crate) fn csv_cell(text: &str) -> String {
    let defused = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if defused.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", defused.replace('"', "\"\""))
    } else {
        defused
    }
}

/// The request's timeline, from its own record and the access log's entries about its subject.
fn timeline(frame: &Frame, r: &RightsRequest) -> Vec<minijinja::Value> {
    let mut lines = vec![minijinja::context! {
        when => when(r.received_ms),
        what => format!("{} ({})", frame.t("received_at", &[]), r.detail.verification.method),
    }];
    if let Some(reason) = &r.detail.extension_reason {
        lines.push(minijinja::context! {
            when => "",
            what => format!("{}: {reason}", frame.t("state_extended", &[])),
        });
    }
    if r.state != "received" {
        lines.push(minijinja::context! {
            when => "",
            what => frame.t(&format!("state_{}", r.state), &[]),
        });
    }
    lines
}

pub(crate) async fn detail(mut page: Signed, Path(id): Path<String>) -> Response {
    page.frame.page = "nav_requests";
    match page.vault.rights_request(page.caller(), &id).await {
        Ok(request) => render_detail(&page, &request).await,
        Err(error) => page.frame.error_page(error),
    }
}

async fn render_detail(page: &Signed, request: &RightsRequest) -> Response {
    let now = page.vault.now_ms();
    let mut request = request.clone();
    if let Some(by) = &request.detail.handled_by {
        if let Ok(names) = page.vault.staff_names(page.caller()).await {
            request.detail.handled_by = Some(names.get(by).cloned().unwrap_or_else(|| by.clone()));
        }
    }
    let request = &request;
    let heading = page
        .frame
        .t("request_title", &[("id", &super::view::short(&request.id))]);
    page.frame.render(
        StatusCode::OK,
        "request.html",
        minijinja::context! {
            heading => heading,
            r => minijinja::Value::from(minijinja::value::Serde(row(&page.frame, request, now, false))),
            timeline => timeline(&page.frame, request),
            attachments => request.detail.attachments.clone(),
        },
    )
}

#[derive(Deserialize)]
pub(crate) struct ActForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    objection: String,
}

/// Start, extend, refuse or complete: the same engine call as `POST /v1/requests/{id}`.
pub(crate) async fn act(
    page: Signed,
    Path(id): Path<String>,
    Form(form): Form<ActForm>,
) -> Response {
    if let Some(refused) = page.csrf_refusal(&form.csrf) {
        return refused;
    }
    let action = match form.action.as_str() {
        "start" => RequestAction::Start,
        "extend" => RequestAction::Extend {
            reason: form.reason,
        },
        "refuse" => RequestAction::Refuse {
            reason: form.reason,
            objection: form.objection,
        },
        "complete" => RequestAction::Complete,
        _ => {
            return page.frame.error_page(VaultError::Invalid {
                what: "action",
                why: "one of start, extend, refuse, complete".into(),
            })
        }
    };
    let mut page = page;
    page.frame.page = "nav_requests";
    match page.vault.act_on_request(page.caller(), &id, action).await {
        Ok((request, _answer)) => {
            let flash = page.frame.t(
                "acted",
                &[(
                    "state",
                    &page.frame.t(&format!("state_{}", request.state), &[]),
                )],
            );
            let page = page.with_flash(flash);
            render_detail(&page, &request).await
        }
        Err(error) => page.frame.error_page(error),
    }
}

/// The notice the person receives (열람 통지, 연기·거절 통지), printable, in the page's language.
pub(crate) async fn notice(mut page: Signed, Path(id): Path<String>) -> Response {
    page.frame.page = "nav_requests";
    let request = match page.vault.rights_request(page.caller(), &id).await {
        Ok(request) => request,
        Err(error) => return page.frame.error_page(error),
    };
    let frame = &page.frame;
    let kind = frame.t(&format!("kind_{}", request.kind), &[]);
    let received = day(request.received_ms);
    let due = day(request.due_ms);
    let today = day(page.vault.now_ms());
    let (heading, body, reason, objection) = match request.state.as_str() {
        "refused" => (
            frame.t("notice_refuse_title", &[("kind", &kind)]),
            frame.t(
                "notice_body_refuse",
                &[("kind", &kind), ("received", &received)],
            ),
            request.detail.reason.clone(),
            request.detail.objection.clone(),
        ),
        "extended" => (
            frame.t("notice_extend_title", &[("kind", &kind)]),
            frame.t(
                "notice_body_extend",
                &[("kind", &kind), ("received", &received), ("due", &due)],
            ),
            request.detail.extension_reason.clone(),
            None,
        ),
        "completed" => (
            frame.t("notice_title", &[("kind", &kind)]),
            frame.t(
                "notice_body_done",
                &[("kind", &kind), ("received", &received), ("date", &today)],
            ),
            None,
            None,
        ),
        _ => (
            frame.t("notice_title", &[("kind", &kind)]),
            frame.t("notice_body_open", &[("due", &due)]),
            None,
            None,
        ),
    };
    let policy = page.vault.policy();
    let lang = frame.lang.into();
    frame.render(
        StatusCode::OK,
        "notice.html",
        minijinja::context! {
            heading => heading, body => body, reason => reason, objection => objection,
            date => today,
            controller => policy.controller.name.get(lang),
            officer => policy.officer.name.get(lang),
        },
    )
}

/// A file filed with a request (a representative's power of attorney), for whoever answers it.
pub(crate) async fn attachment(
    page: Signed,
    Path((id, upload)): Path<(String, String)>,
) -> Response {
    let request = match page.vault.rights_request(page.caller(), &id).await {
        Ok(request) => request,
        Err(error) => return page.frame.error_page(error),
    };
    if !request.detail.attachments.contains(&upload) {
        return page.frame.error_page(VaultError::NoUpload);
    }
    match page
        .vault
        .get_upload(page.caller(), &request.subject, &upload)
        .await
    {
        Ok((info, reader)) => {
            let mut response = crate::routes::uploads::upload_response(&info, reader);
            response.headers_mut().insert(
                axum::http::header::CONTENT_DISPOSITION,
                axum::http::HeaderValue::from_static("attachment"),
            );
            response
        }
        Err(error) => page.frame.error_page(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("-1"), "'-1");
    }

    #[test]
    fn a_cursor_is_a_due_time_and_an_id_and_nothing_else() {
        assert_eq!(
            cursor(Some("1700.req_ab12")),
            Some((1700, "req_ab12".to_string()))
        );
        for bad in ["", "1700", "x.req_1", "1700.", "1700.req 1", "1700.req/1"] {
            assert_eq!(cursor(Some(bad)), None, "{bad}");
        }
    }
}
