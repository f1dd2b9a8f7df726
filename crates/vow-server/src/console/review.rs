//! The monthly review of the access log (안전성 확보조치 기준 제8조): downloads and exports, bulk
//! reads and lookups, reads outside working hours, refused attempts and access-right changes, each
//! with who, when, whose and what; a finding per line; the month's sign-off, itself a log entry.

use std::collections::HashMap;

use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use serde::{Deserialize, Serialize};
use vow_audit::{Flagged, Review};
use vow_engine::console::SignOffKind;

use super::records::{MonthQuery, SignForm};
use super::session::Signed;
use super::view::{previous_month, short, valid_month, when, Frame};

#[derive(Serialize)]
struct Line {
    /// The log entry's chain and number, when the line is one entry (a finding is kept against it).
    chain: u32,
    seq: Option<u64>,
    when: String,
    who: String,
    whose: String,
    what: String,
    finding: String,
}

#[derive(Serialize)]
struct Section {
    id: &'static str,
    title: String,
    lines: Vec<Line>,
}

fn who(id: &str, label: &Option<String>, role: &str) -> String {
    match label {
        Some(label) => format!("{label} ({role})"),
        None => format!("{} ({role})", short(id)),
    }
}

/// The officer's notes of a month, by entry (chain, seq).
type Findings = HashMap<(i64, i64), String>;

fn flagged(line: &Flagged, findings: &Findings) -> Line {
    let what = if line.categories.is_empty() {
        line.action.to_string()
    } else {
        format!("{} · {}", line.action, line.categories.join(", "))
    };
    let what = match &line.reason {
        Some(reason) => format!("{what} — {reason}"),
        None => what,
    };
    Line {
        chain: line.chain,
        seq: Some(line.seq),
        when: line.local_time.clone(),
        who: who(&line.key_id, &line.key_label, &line.role),
        whose: line.subject_id.as_deref().map(short).unwrap_or_default(),
        what,
        finding: i64::try_from(line.seq)
            .ok()
            .and_then(|seq| findings.get(&(i64::from(line.chain), seq)).cloned())
            .unwrap_or_default(),
    }
}

fn sections(frame: &Frame, review: &Review, findings: &Findings) -> Vec<Section> {
    let lines = |flagged_lines: &[Flagged]| -> Vec<Line> {
        flagged_lines.iter().map(|l| flagged(l, findings)).collect()
    };
    vec![
        Section {
            id: "exports",
            title: frame.t("review_exports", &[]),
            lines: lines(&review.exports),
        },
        Section {
            id: "bulk",
            title: frame.t("review_bulk", &[]),
            lines: review
                .bulk_reads
                .iter()
                .map(|b| Line {
                    chain: 0,
                    seq: None,
                    when: b.date.clone(),
                    who: who(&b.key_id, &b.key_label, &b.role),
                    whose: b.subjects.to_string(),
                    what: "read".to_string(),
                    finding: String::new(),
                })
                .chain(review.bulk_lookups.iter().map(|b| Line {
                    chain: 0,
                    seq: None,
                    when: b.date.clone(),
                    who: who(&b.key_id, &b.key_label, &b.role),
                    whose: format!("{} / {}", b.unmatched, b.lookups),
                    what: "lookup".to_string(),
                    finding: String::new(),
                }))
                .collect(),
        },
        Section {
            id: "off-hours",
            title: frame.t("review_off_hours", &[]),
            lines: lines(&review.off_hours_reads),
        },
        Section {
            id: "changes",
            title: frame.t("review_changes", &[]),
            lines: lines(&review.access_changes),
        },
        Section {
            id: "denied",
            title: frame.t("review_denied", &[]),
            lines: review
                .denied
                .iter()
                .map(|d| Line {
                    chain: 0,
                    seq: None,
                    when: format!("{} – {}", d.first, d.last),
                    who: who(&d.key_id, &d.key_label, &d.roles.join(", ")),
                    whose: String::new(),
                    what: d
                        .routes
                        .iter()
                        .map(|r| format!("{} ×{}", r.route, r.attempts))
                        .collect::<Vec<_>>()
                        .join("; "),
                    finding: String::new(),
                })
                .collect(),
        },
    ]
}

pub(crate) async fn page(mut page: Signed, Query(query): Query<MonthQuery>) -> Response {
    page.frame.page = "nav_review";
    let month = query
        .month
        .as_deref()
        .and_then(valid_month)
        .unwrap_or_else(|| previous_month(page.vault.now_ms()));
    render(page, month).await
}

async fn render(page: Signed, month: String) -> Response {
    let review = match page.vault.access_review(page.caller(), &month).await {
        Ok(review) => review,
        Err(error) => return page.frame.error_page(error),
    };
    let findings: Findings = match page.vault.findings(page.caller(), &month).await {
        Ok(findings) => findings
            .into_iter()
            .map(|f| ((f.entry_chain, f.entry_seq), f.note))
            .collect(),
        Err(error) => return page.frame.error_page(error),
    };
    let signed = match page
        .vault
        .sign_offs(page.caller(), SignOffKind::Review, 120)
        .await
    {
        Ok(all) => all.into_iter().find(|s| s.period == month),
        Err(error) => return page.frame.error_page(error),
    };
    let per_key: Vec<_> = review
        .per_key
        .iter()
        .map(|k| {
            minijinja::context! {
                who => k.key_label.clone().unwrap_or_else(|| short(&k.key_id)),
                roles => k.roles.join(", "),
                reads => k.reads, writes => k.writes, subjects => k.distinct_subjects,
            }
        })
        .collect();
    let signed = signed.map(|s| {
        let who = review.key_name(&s.by_user);
        page.frame
            .t("review_signed", &[("who", &who), ("when", &when(s.at_ms))])
    });
    let intro = page.frame.t("review_intro", &[("month", &month)]);
    page.frame.render(
        StatusCode::OK,
        "review.html",
        minijinja::context! {
            month => month, intro => intro, entries => review.entries,
            sections => minijinja::Value::from(minijinja::value::Serde(sections(&page.frame, &review, &findings))),
            per_key => per_key, signed => signed,
        },
    )
}

#[derive(Deserialize)]
pub(crate) struct FindingForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    month: String,
    #[serde(default)]
    chain: u32,
    #[serde(default)]
    seq: u64,
    #[serde(default)]
    note: String,
}

pub(crate) async fn finding(mut page: Signed, Form(form): Form<FindingForm>) -> Response {
    if let Some(refused) = page.csrf_refusal(&form.csrf) {
        return refused;
    }
    page.frame.page = "nav_review";
    match page
        .vault
        .record_finding(
            page.caller(),
            &form.month,
            vow_audit::Position {
                chain: form.chain,
                seq: form.seq,
            },
            &form.note,
        )
        .await
    {
        Ok(()) => {
            let flash = page.frame.t("finding_saved", &[]);
            render(page.with_flash(flash), form.month).await
        }
        Err(error) => page.frame.error_page(error),
    }
}

pub(crate) async fn sign(mut page: Signed, Form(form): Form<SignForm>) -> Response {
    if let Some(refused) = page.csrf_refusal(&form.csrf) {
        return refused;
    }
    page.frame.page = "nav_review";
    match page
        .vault
        .sign_off(page.caller(), SignOffKind::Review, &form.month, &form.note)
        .await
    {
        Ok(signed) => render(page, signed.period).await,
        Err(error) => page.frame.error_page(error),
    }
}
