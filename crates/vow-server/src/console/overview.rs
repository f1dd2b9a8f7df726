//! Today (what is due, what needs a signature, alerts, the log), the provisions by recipient and
//! month, and the policy in force.

use std::collections::{BTreeMap, BTreeSet};

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use vow_engine::console::SignOffKind;
use vow_engine::VaultError;

use super::requests::row;
use super::session::Signed;
use super::view::{month_of, previous_month, role_label, when, Frame};

const DAY_MS: i64 = 86_400_000;

pub(crate) async fn today(mut page: Signed) -> Response {
    page.frame.page = "nav_today";
    let now = page.vault.now_ms();
    let caller = page.caller().clone();
    let mut counts = BTreeMap::from([
        ("overdue", 0usize),
        ("due_week", 0),
        ("open", 0),
        ("unverified", 0),
    ]);
    let mut urgent = Vec::new();
    let mut may_handle = true;
    match page
        .vault
        .rights_requests_page(&caller, true, None, 1000)
        .await
    {
        Ok(open) => {
            for r in &open {
                *counts.entry("open").or_default() += 1;
                if r.due_ms < now {
                    *counts.entry("overdue").or_default() += 1;
                } else if r.due_ms < now + 7 * DAY_MS {
                    *counts.entry("due_week").or_default() += 1;
                }
                if super::requests::is_unverified(&r.detail.verification.method) {
                    *counts.entry("unverified").or_default() += 1;
                }
                if r.due_ms < now + 7 * DAY_MS && urgent.len() < 10 {
                    urgent.push(row(&page.frame, r, now, false));
                }
            }
        }
        Err(VaultError::Forbidden { .. }) => may_handle = false,
        Err(error) => return page.frame.error_page(error),
    }
    let consent = match (
        page.vault.consents_due(&caller, 30, 1000).await,
        page.vault.owed_notices(&caller, 1000).await,
    ) {
        (Ok(due), Ok(notices)) => {
            Some(minijinja::context! { due => due.len(), notices => notices.len() })
        }
        _ => None,
    };
    let mut signatures = Vec::new();
    let mut alerts = Vec::new();
    let mut checkpoint = None;
    let mut checkpoint_failing = None;
    if may_handle {
        let last_month = previous_month(now);
        for (kind, unsigned, href) in [
            (SignOffKind::Review, "today_review_unsigned", "/review"),
            (
                SignOffKind::Ledger,
                "today_ledger_unsigned",
                "/retention/ledger",
            ),
        ] {
            let signed = match page.vault.sign_offs(&caller, kind, 24).await {
                Ok(all) => all.into_iter().find(|s| s.period == last_month),
                Err(error) => return page.frame.error_page(error),
            };
            let entry = match (signed, kind) {
                (Some(s), SignOffKind::Review) => {
                    let names = page.vault.staff_names(&caller).await.unwrap_or_default();
                    let who = names.get(&s.by_user).cloned().unwrap_or(s.by_user.clone());
                    minijinja::context! {
                        class => "signed",
                        text => page.frame.t("today_review_signed", &[("month", &last_month), ("who", &who), ("when", &when(s.at_ms))]),
                    }
                }
                (Some(_), SignOffKind::Ledger) => continue,
                (None, _) => minijinja::context! {
                    class => "unsigned",
                    text => page.frame.t(unsigned, &[("month", &last_month)]),
                    href => format!("{}{href}?month={last_month}", page.frame.base()),
                    link => page.frame.t(if kind == SignOffKind::Review { "go_review" } else { "go_ledger" }, &[]),
                },
            };
            signatures.push(entry);
        }
        match page.vault.alerts(&caller).await {
            Ok(found) => {
                let names = page.vault.staff_names(&caller).await.unwrap_or_default();
                alerts = alert_lines(&page.frame, &found, &names);
            }
            Err(error) => return page.frame.error_page(error),
        }
        // What this process signed last, with the time of the newest entry it covers (not the
        // log's newest entry: when checkpoints fail, the two part), and a failure in plain sight.
        let state = page.vault.checkpoint_state();
        if let Some((entries, up_to_ms)) = state.signed {
            checkpoint = Some(page.frame.t(
                "today_log_checkpoint",
                &[("seq", &entries.to_string()), ("when", &when(up_to_ms))],
            ));
        }
        if let Some((since, error)) = state.failing {
            checkpoint_failing = Some(page.frame.t(
                "today_log_failing",
                &[("since", &when(since)), ("error", &error)],
            ));
        }
    }
    page.frame.render(
        StatusCode::OK,
        "today.html",
        minijinja::context! {
            counts => counts, urgent => minijinja::Value::from(minijinja::value::Serde(&urgent)), consent => consent,
            signatures => signatures, alerts => alerts, checkpoint => checkpoint,
            checkpoint_failing => checkpoint_failing,
        },
    )
}

/// The vault's alerts in the page's language, people named by e-mail or key label.
fn alert_lines(
    frame: &Frame,
    alerts: &[vow_engine::console::Alert],
    names: &std::collections::BTreeMap<String, String>,
) -> Vec<String> {
    alerts
        .iter()
        .map(|a| {
            let who = names
                .get(&a.who)
                .cloned()
                .unwrap_or_else(|| super::view::short(&a.who));
            frame.t(
                &format!("alert_{}", a.rule),
                &[("who", &who), ("day", &a.day), ("n", &a.count.to_string())],
            )
        })
        .collect()
}

/// What one recipient was given in one month.
#[derive(Default)]
struct Provided {
    times: u64,
    categories: BTreeSet<String>,
    subjects: BTreeSet<String>,
}

/// Provisions by month and recipient: how many, of which items, to how many subjects.
pub(crate) async fn provisions(mut page: Signed) -> Response {
    page.frame.page = "nav_provisions";
    let mut groups: BTreeMap<(String, String), Provided> = BTreeMap::new();
    let mut after = 0;
    loop {
        let batch = match page.vault.provisions(page.caller(), after, 1000).await {
            Ok(batch) => batch,
            Err(error) => return page.frame.error_page(error),
        };
        let Some(last) = batch.last() else { break };
        after = last.seq;
        for p in batch {
            let group = groups
                .entry((month_of(p.at_ms), p.recipient.clone()))
                .or_default();
            group.times += u64::try_from(p.count.max(1)).unwrap_or(1);
            group.categories.extend(p.categories.iter().cloned());
            if let Some(subject) = p.subject {
                group.subjects.insert(subject);
            }
        }
    }
    let rows: Vec<_> = groups
        .into_iter()
        .rev()
        .map(
            |(
                (month, recipient),
                Provided {
                    times,
                    categories,
                    subjects,
                },
            )| {
                minijinja::context! {
                    month => month, recipient => recipient,
                    categories => categories.into_iter().collect::<Vec<_>>().join(", "),
                    times => times, subjects => subjects.len(),
                }
            },
        )
        .collect();
    page.frame.render(
        StatusCode::OK,
        "provisions.html",
        minijinja::context! { rows => rows },
    )
}

/// The policy in force: its version, officer, purposes and roles.
pub(crate) async fn policy(mut page: Signed) -> Response {
    page.frame.page = "nav_policy";
    let policy = page.vault.policy();
    let lang = page.frame.lang.into();
    let officer = {
        let o = &policy.officer;
        let mut text = o.name.get(lang).to_string();
        if let Some(email) = &o.email {
            text.push_str(&format!(" · {email}"));
        }
        text
    };
    let purposes: Vec<String> = policy
        .purposes
        .iter()
        .map(|p| format!("{} ({})", p.label.get(lang), p.key))
        .collect();
    let roles: Vec<_> = policy
        .roles
        .iter()
        .map(|r| minijinja::context! { key => r.key.as_str(), label => role_label(policy, &r.key, page.frame.lang) })
        .collect();
    page.frame.render(
        StatusCode::OK,
        "policy.html",
        minijinja::context! {
            version => policy.policy.version.as_str(),
            effective => policy.policy.effective.to_string(),
            officer => officer, purposes => purposes, roles => roles,
        },
    )
}

/// The published page as the policy file renders it now. The document carries its own styles, so
/// this one answer allows inline styles (never scripts).
pub(crate) async fn policy_preview(page: Signed) -> Response {
    let lang = page.frame.lang.into();
    match vow_policy::Renderer::new().render(
        page.vault.policy(),
        lang,
        vow_policy::render::Format::Html,
    ) {
        Ok(html) => {
            let mut response = Html(html).into_response();
            response.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
                ),
            );
            response
        }
        Err(_) => page.frame.message_page(
            StatusCode::INTERNAL_SERVER_ERROR,
            &page.frame.t("error_title", &[]),
            &page.frame.t("error_store", &[]),
        ),
    }
}
