//! A subject's data and consent ledger, the consent duties, retention (the sweep and the destruction
//! ledger, 파기 관리대장).

use std::collections::BTreeMap;

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use serde::Deserialize;
use vow_engine::console::SignOffKind;
use vow_engine::retention::Fate;
use vow_engine::{ItemValue, VaultError};

use super::session::Signed;
use super::sign_in::CsrfForm;
use super::view::{category_label, day, month_of, short, valid_month, when};

/// A subject's data as the signed-in role reads it (masked on the server as the API masks it),
/// and their consent ledger when the role keeps it. Both reads are logged under the person.
pub(crate) async fn subject(mut page: Signed, Path(id): Path<String>) -> Response {
    page.frame.page = "nav_requests";
    let policy = page.vault.policy();
    let lang = page.frame.lang;
    let (items, items_error) = match page.vault.export(page.caller(), &id).await {
        Ok(exported) => (
            exported
                .items
                .iter()
                .map(|item| {
                    let value = match &item.value {
                        ItemValue::Full(v) | ItemValue::Masked(v) => v.clone(),
                        ItemValue::Credential => "••••••".to_string(),
                    };
                    minijinja::context! {
                        label => category_label(policy, &item.category, lang),
                        value => value,
                    }
                })
                .collect::<Vec<_>>(),
            None,
        ),
        // A role without the export grant reads item by item what it may read, each masked as
        // its grants say and each read logged.
        Err(VaultError::Forbidden { .. }) => readable_items(&page, &id).await,
        Err(VaultError::NoSubject(_)) => return page.frame.error_page(VaultError::NoRequest),
        Err(error) => (Vec::new(), Some(page.frame.error_text(error))),
    };
    let (consents, consents_error) = match page
        .vault
        .consent_ledger(page.caller(), Some(&id), 0, 200)
        .await
    {
        Ok(lines) => (
            lines
                .iter()
                .map(|l| {
                    minijinja::context! {
                        when => when(l.at_ms),
                        purpose => purpose_label(&page, &l.purpose, l.channel.as_deref(), l.night),
                        change => l.change.as_str(),
                        evidence => l.evidence.as_ref().map(|e| match &e.wording {
                            Some(wording) => format!("{} — {wording}", e.method),
                            None => e.method.clone(),
                        }).unwrap_or_default(),
                    }
                })
                .collect::<Vec<_>>(),
            None,
        ),
        Err(VaultError::Forbidden { .. }) => (Vec::new(), Some(page.frame.t("not_permitted", &[]))),
        Err(error) => (Vec::new(), Some(page.frame.error_text(error))),
    };
    let heading = page.frame.t("subject_title", &[("id", &short(&id))]);
    page.frame.render(
        StatusCode::OK,
        "subject.html",
        minijinja::context! {
            heading => heading, items => items, items_error => items_error,
            consents => consents, consents_error => consents_error,
        },
    )
}

async fn readable_items(page: &Signed, id: &str) -> (Vec<minijinja::Value>, Option<String>) {
    let policy = page.vault.policy();
    let Some(role) = policy.roles.iter().find(|r| r.key == page.caller().role) else {
        return (Vec::new(), Some(page.frame.t("not_permitted", &[])));
    };
    let grants = vow_engine::Grants::new(role);
    let mut items = Vec::new();
    for category in policy.categories.iter().filter(|c| grants.may_read(&c.key)) {
        match page.vault.get_item(page.caller(), id, &category.key).await {
            Ok(value) => items.push(minijinja::context! {
                label => category_label(policy, &category.key, page.frame.lang),
                value => match value {
                    ItemValue::Full(v) | ItemValue::Masked(v) => v,
                    ItemValue::Credential => "••••••".to_string(),
                },
            }),
            Err(VaultError::NoItem { .. }) => {}
            Err(VaultError::NoSubject(_)) => {
                return (Vec::new(), Some(page.frame.t("error_not_found", &[])))
            }
            Err(error) => return (items, Some(page.frame.error_text(error))),
        }
    }
    if items.is_empty() && !policy.categories.iter().any(|c| grants.may_read(&c.key)) {
        return (items, Some(page.frame.t("not_permitted", &[])));
    }
    (items, None)
}

fn purpose_label(page: &Signed, purpose: &str, channel: Option<&str>, night: bool) -> String {
    let lang = page.frame.lang.into();
    let mut label = page
        .vault
        .policy()
        .purposes
        .iter()
        .find(|p| p.key == purpose)
        .map(|p| p.label.get(lang).to_string())
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| purpose.to_string());
    if let Some(channel) = channel {
        label.push_str(&format!(" · {channel}"));
    }
    if night {
        label.push_str(" · 21–08");
    }
    label
}

/// The consent duties: result notices owed (within 14 days of a change) and re-confirmations due.
pub(crate) async fn consent(mut page: Signed) -> Response {
    page.frame.page = "nav_consent";
    render_consent(page).await
}

async fn render_consent(page: Signed) -> Response {
    let notices = match page.vault.owed_notices(page.caller(), 200).await {
        Ok(notices) => notices,
        Err(VaultError::Forbidden { .. }) => {
            return page.frame.render(
                StatusCode::OK,
                "consent.html",
                minijinja::context! { not_permitted => true },
            )
        }
        Err(error) => return page.frame.error_page(error),
    };
    let due = match page.vault.consents_due(page.caller(), 30, 200).await {
        Ok(due) => due,
        Err(error) => return page.frame.error_page(error),
    };
    let notices: Vec<_> = notices
        .iter()
        .map(|n| {
            minijinja::context! {
                id => n.id.as_str(),
                subject => n.subject.as_str(),
                short_subject => short(&n.subject),
                purpose => purpose_label(&page, &n.purpose, n.channel.as_deref(), n.night),
                change => n.change.as_str(),
                when => when(n.at_ms),
                due => n.notice_due_ms.map(day).unwrap_or_default(),
            }
        })
        .collect();
    let due: Vec<_> = due
        .iter()
        .map(|d| {
            minijinja::context! {
                subject => d.subject.as_str(),
                short_subject => short(&d.subject),
                purpose => purpose_label(&page, &d.purpose, d.channel.as_deref(), d.night),
                due => d.reconfirm_by.as_str(),
            }
        })
        .collect();
    page.frame.render(
        StatusCode::OK,
        "consent.html",
        minijinja::context! { notices => notices, due => due },
    )
}

pub(crate) async fn notice_sent(
    mut page: Signed,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Some(refused) = page.csrf_refusal(&form.csrf) {
        return refused;
    }
    page.frame.page = "nav_consent";
    match page.vault.mark_notice_sent(page.caller(), &id, None).await {
        Ok(()) => {
            let flash = page.frame.t("marked_sent", &[]);
            render_consent(page.with_flash(flash)).await
        }
        Err(error) => page.frame.error_page(error),
    }
}

#[derive(Deserialize)]
pub(crate) struct PreviewQuery {
    #[serde(default)]
    preview: Option<String>,
}

/// The retention page; with `?preview=1`, what the next sweep would do, counted by rule and fate
/// (nothing is destroyed to show it). The preview walks every subject, as the sweep does, so it is
/// computed when asked for, not on every visit.
pub(crate) async fn retention(mut page: Signed, Query(query): Query<PreviewQuery>) -> Response {
    page.frame.page = "nav_retention";
    if query.preview.is_some() {
        render_retention(page).await
    } else {
        page.frame
            .render(StatusCode::OK, "retention.html", minijinja::context! {})
    }
}

async fn render_retention(page: Signed) -> Response {
    let report = match page
        .vault
        .sweep(page.caller(), page.vault.now_ms(), true, |_| {})
        .await
    {
        Ok(report) => report,
        Err(error) => return page.frame.error_page(error),
    };
    let mut by_rule: BTreeMap<(String, &'static str), u64> = BTreeMap::new();
    for planned in &report.planned {
        match &planned.fate {
            Fate::Destroy { rule, .. } => {
                *by_rule.entry((rule.clone(), "fate_destroy")).or_default() += 1
            }
            Fate::Separate { rule, .. } => {
                *by_rule.entry((rule.clone(), "fate_separate")).or_default() += 1
            }
            Fate::Keep { .. } => {}
        }
    }
    let rules: Vec<_> = by_rule
        .into_iter()
        .map(|((rule, fate), count)| {
            minijinja::context! { rule => rule, fate => page.frame.t(fate, &[]), count => count }
        })
        .collect();
    page.frame.render(
        StatusCode::OK,
        "retention.html",
        minijinja::context! {
            dry => minijinja::context! {
                subjects => report.subjects, destroyed => report.destroyed,
                separated => report.separated, rules => rules,
            },
        },
    )
}

#[derive(Deserialize)]
pub(crate) struct SweepForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    confirm: Option<String>,
}

/// Runs the sweep, with the officer's confirmation, as `vow sweep` does.
pub(crate) async fn sweep(mut page: Signed, Form(form): Form<SweepForm>) -> Response {
    if let Some(refused) = page.csrf_refusal(&form.csrf) {
        return refused;
    }
    page.frame.page = "nav_retention";
    if form.confirm.as_deref() != Some("yes") {
        let flash = page.frame.t("sweep_confirm_needed", &[]);
        return render_retention(page.with_flash(flash)).await;
    }
    match page
        .vault
        .sweep(page.caller(), page.vault.now_ms(), false, |_| {})
        .await
    {
        Ok(report) => {
            let flash = page.frame.t(
                "sweep_done",
                &[
                    ("destroyed", &report.destroyed.to_string()),
                    ("separated", &report.separated.to_string()),
                ],
            );
            render_retention(page.with_flash(flash)).await
        }
        Err(error) => page.frame.error_page(error),
    }
}

#[derive(Deserialize)]
pub(crate) struct MonthQuery {
    #[serde(default)]
    pub(crate) month: Option<String>,
}

/// The destruction ledger of a month, in the columns of the official form (date, items, reason,
/// count, method, handler, confirmer), and its sign-off.
pub(crate) async fn ledger(mut page: Signed, Query(query): Query<MonthQuery>) -> Response {
    page.frame.page = "nav_retention";
    let month = query
        .month
        .as_deref()
        .and_then(valid_month)
        .unwrap_or_else(|| month_of(page.vault.now_ms()));
    render_ledger(page, month).await
}

async fn render_ledger(page: Signed, month: String) -> Response {
    let policy = page.vault.policy();
    let lang = page.frame.lang;
    let mut lines = Vec::new();
    let mut after = 0;
    loop {
        let batch = match page
            .vault
            .destruction_ledger(page.caller(), after, 1000)
            .await
        {
            Ok(batch) => batch,
            Err(error) => return page.frame.error_page(error),
        };
        let Some(last) = batch.last() else { break };
        after = last.seq;
        lines.extend(batch.into_iter().filter(|l| month_of(l.at_ms) == month));
    }
    let names = page
        .vault
        .staff_names(page.caller())
        .await
        .unwrap_or_default();
    let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_string());
    let method = page.frame.t("method_shred", &[]);
    let lines: Vec<_> = lines
        .iter()
        .map(|l| {
            let reason = match &l.law {
                Some(law) => format!("{} ({}; {law})", l.cause, l.rule),
                None => format!("{} ({})", l.cause, l.rule),
            };
            minijinja::context! {
                when => when(l.at_ms),
                items => format!("{} · {}", category_label(policy, &l.category, lang), l.storage),
                reason => reason,
                count => l.count,
                method => if l.method.is_empty() { method.clone() } else { format!("{} — {}", l.method, method) },
                handler => name(&l.by),
            }
        })
        .collect();
    let signed = match page
        .vault
        .sign_offs(page.caller(), SignOffKind::Ledger, 120)
        .await
    {
        Ok(all) => all.into_iter().find(|s| s.period == month),
        Err(error) => return page.frame.error_page(error),
    };
    let confirmer = signed
        .as_ref()
        .map(|s| name(&s.by_user))
        .unwrap_or_default();
    let signed_text = signed.map(|s| {
        page.frame.t(
            "ledger_signed",
            &[("who", &name(&s.by_user)), ("when", &when(s.at_ms))],
        )
    });
    let intro = page.frame.t("ledger_intro", &[("month", &month)]);
    page.frame.render(
        StatusCode::OK,
        "ledger.html",
        minijinja::context! {
            month => month, intro => intro, lines => lines,
            signed => signed_text, confirmer => confirmer,
        },
    )
}

#[derive(Deserialize)]
pub(crate) struct SignForm {
    #[serde(default)]
    pub(crate) csrf: String,
    #[serde(default)]
    pub(crate) month: String,
    #[serde(default)]
    pub(crate) note: String,
}

pub(crate) async fn sign_ledger(mut page: Signed, Form(form): Form<SignForm>) -> Response {
    if let Some(refused) = page.csrf_refusal(&form.csrf) {
        return refused;
    }
    page.frame.page = "nav_retention";
    match page
        .vault
        .sign_off(page.caller(), SignOffKind::Ledger, &form.month, &form.note)
        .await
    {
        Ok(signed) => render_ledger(page, signed.period).await,
        Err(error) => page.frame.error_page(error),
    }
}
