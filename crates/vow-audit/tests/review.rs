#![allow(clippy::unwrap_used)]

use time::macros::datetime;
use time::OffsetDateTime;
use vow_audit::{chain, Action, Entry, NewEntry, Review, ReviewOptions};

fn ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

fn e(
    at: OffsetDateTime,
    key: &str,
    role: &str,
    action: Action,
    subject: Option<&str>,
    reason: Option<&str>,
) -> NewEntry {
    NewEntry {
        at_ms: ms(at),
        key_id: key.into(),
        role: role.into(),
        source: "203.0.113.7".into(),
        subject_id: subject.map(str::to_string),
        action,
        categories: if subject.is_some() {
            vec!["user.contact.email".into()]
        } else {
            vec![]
        },
        reason: reason.map(str::to_string),
    }
}

/// November 2026 in KST: the 2nd is a Monday, the 7th/8th a weekend.
fn month() -> Vec<Entry> {
    let list = vec![
        e(
            datetime!(2026-10-31 23:59 +9),
            "key_support",
            "support",
            Action::Read,
            Some("sub_0"),
            None,
        ), // October: not counted
        e(
            datetime!(2026-11-01 00:30 +9),
            "key_support",
            "support",
            Action::Read,
            Some("sub_9"),
            None,
        ), // Sunday (Oct 31 in UTC)
        e(
            datetime!(2026-11-02 10:00 +9),
            "key_support",
            "support",
            Action::Read,
            Some("sub_1"),
            Some("ticket 12"),
        ),
        e(
            datetime!(2026-11-02 23:30 +9),
            "key_support",
            "support",
            Action::Read,
            Some("sub_2"),
            None,
        ), // night
        e(
            datetime!(2026-11-03 14:00 +9),
            "key_admin",
            "admin",
            Action::Export,
            Some("sub_1"),
            Some("열람 요청 #12"),
        ),
        e(
            datetime!(2026-11-03 15:00 +9),
            "key_admin",
            "admin",
            Action::Download,
            None,
            None,
        ),
        e(
            datetime!(2026-11-04 09:00 +9),
            "key_batch",
            "batch",
            Action::Read,
            Some("sub_1"),
            None,
        ),
        e(
            datetime!(2026-11-04 09:01 +9),
            "key_batch",
            "batch",
            Action::Read,
            Some("sub_2"),
            None,
        ),
        e(
            datetime!(2026-11-04 09:02 +9),
            "key_batch",
            "batch",
            Action::Lookup,
            Some("sub_3"),
            None,
        ),
        e(
            datetime!(2026-11-04 09:03 +9),
            "key_batch",
            "batch",
            Action::Read,
            Some("sub_4"),
            None,
        ),
        e(
            datetime!(2026-11-04 09:04 +9),
            "key_batch",
            "batch",
            Action::Read,
            Some("sub_4"),
            None,
        ), // same subject again
        e(
            datetime!(2026-11-05 10:00 +9),
            "key_admin",
            "admin",
            Action::RoleChange,
            None,
            Some("new hire"),
        ),
        e(
            datetime!(2026-11-05 11:00 +9),
            "key_support",
            "support",
            Action::Update,
            Some("sub_1"),
            None,
        ),
        e(
            datetime!(2026-11-06 08:00 +9),
            "key_support",
            "support",
            Action::Read,
            Some("sub_5"),
            None,
        ), // start of hours
        e(
            datetime!(2026-11-06 20:00 +9),
            "key_support",
            "support",
            Action::Read,
            Some("sub_6"),
            None,
        ), // end of hours: outside
        e(
            datetime!(2026-11-07 11:00 +9),
            "key_support",
            "support",
            Action::Read,
            Some("sub_3"),
            None,
        ), // Saturday
        e(
            datetime!(2026-11-07 12:00 +9),
            "key_support",
            "support",
            Action::Update,
            Some("sub_3"),
            None,
        ), // weekend write: not a read
        e(
            datetime!(2026-11-09 10:00 +9),
            "key_admin",
            "admin",
            Action::Erase,
            Some("sub_7"),
            Some("deletion request"),
        ),
        e(
            datetime!(2026-12-01 00:30 +9),
            "key_support",
            "support",
            Action::Read,
            Some("sub_8"),
            None,
        ), // December locally
    ];
    let mut out: Vec<Entry> = vec![];
    for n in list {
        let next = chain(out.last(), n);
        out.push(next);
    }
    out
}

fn opts() -> ReviewOptions {
    ReviewOptions {
        bulk_threshold: 3,
        ..ReviewOptions::for_month(2026, 11)
    }
}

fn review() -> Review {
    Review::build(month().into_iter(), &opts())
}

#[test]
fn only_entries_in_the_local_month_are_counted() {
    assert_eq!(review().entries, 17);
}

#[test]
fn exports_and_downloads_are_listed_one_by_one() {
    let r = review();
    let seqs: Vec<u64> = r.exports.iter().map(|f| f.seq).collect();
    assert_eq!(seqs, vec![5, 6]);
    assert_eq!(r.exports[0].reason.as_deref(), Some("열람 요청 #12"));
}

#[test]
fn night_read_is_flagged() {
    let r = review();
    let night: Vec<u64> = r
        .off_hours_reads
        .iter()
        .filter(|f| f.why == "night")
        .map(|f| f.seq)
        .collect();
    assert_eq!(night, vec![4, 15]);
}

#[test]
fn weekend_read_is_flagged_even_in_daytime() {
    let r = review();
    let weekend: Vec<u64> = r
        .off_hours_reads
        .iter()
        .filter(|f| f.why == "weekend")
        .map(|f| f.seq)
        .collect();
    assert_eq!(weekend, vec![2, 16]);
}

#[test]
fn reads_inside_working_hours_and_weekend_writes_are_not_flagged() {
    let r = review();
    for seq in [3, 7, 14, 17] {
        assert!(
            !r.off_hours_reads.iter().any(|f| f.seq == seq),
            "seq {seq} flagged"
        );
    }
}

#[test]
fn bulk_read_is_flagged_when_one_key_reads_more_than_the_threshold_of_distinct_subjects_in_a_day() {
    let r = review();
    assert_eq!(r.bulk_reads.len(), 1);
    assert_eq!(
        (
            r.bulk_reads[0].key_id.as_str(),
            r.bulk_reads[0].date.as_str(),
            r.bulk_reads[0].subjects
        ),
        ("key_batch", "2026-11-04", 4)
    );
    let r4 = Review::build(
        month().into_iter(),
        &ReviewOptions {
            bulk_threshold: 4,
            ..opts()
        },
    );
    assert!(r4.bulk_reads.is_empty(), "4 subjects is not more than 4");
}

#[test]
fn per_key_counts_add_up() {
    let r = review();
    let keys: Vec<&str> = r.per_key.iter().map(|k| k.key_id.as_str()).collect();
    assert_eq!(keys, vec!["key_admin", "key_batch", "key_support"]);
    let admin = &r.per_key[0];
    assert_eq!(
        (admin.total, admin.exports, admin.deletions, admin.other),
        (4, 2, 1, 1)
    );
    let batch = &r.per_key[1];
    assert_eq!(
        (batch.total, batch.reads, batch.distinct_subjects),
        (5, 5, 4)
    );
    let support = &r.per_key[2];
    assert_eq!(
        (
            support.total,
            support.reads,
            support.writes,
            support.off_hours
        ),
        (8, 6, 2, 4)
    );
    assert_eq!(r.per_key.iter().map(|k| k.total).sum::<u64>(), r.entries);
}

#[test]
fn utc_offset_moves_entries_between_days_and_months() {
    let utc = Review::build(
        month().into_iter(),
        &ReviewOptions {
            utc_offset_hours: 0,
            ..opts()
        },
    );
    // In UTC the Nov 1 00:30 KST read is in October and the Dec 1 00:30 KST read is in November.
    assert!(!utc.off_hours_reads.iter().any(|f| f.seq == 2));
    assert_eq!(utc.entries, 17);
}

#[test]
fn review_text_report_snapshot() {
    insta::assert_snapshot!(review().to_text());
}

#[test]
fn review_json_snapshot() {
    insta::assert_json_snapshot!(serde_json::to_value(review()).unwrap()["bulk_reads"]);
}

#[test]
fn quiet_month_says_there_is_nothing_to_look_into() {
    let r = Review::build(std::iter::empty(), &ReviewOptions::for_month(2026, 11));
    assert!(r.is_quiet());
    assert!(r.to_text().contains("Nothing to look into"));
}

#[test]
fn entries_with_unrepresentable_times_are_skipped_and_counted_not_panicked_on() {
    let mut list = month();
    let mut bad = list[3].clone();
    bad.at_ms = i64::MAX;
    list.push(bad.clone());
    bad.at_ms = i64::MIN;
    list.push(bad);
    let r = Review::build(list.into_iter(), &opts());
    assert_eq!((r.entries, r.skipped), (17, 2));
    assert!(r.to_text().contains("Skipped"));
}

#[test]
fn working_hours_across_midnight_flag_daytime_reads() {
    let night_shift = ReviewOptions {
        work_start_hour: 22,
        work_end_hour: 6,
        ..opts()
    };
    let r = Review::build(month().into_iter(), &night_shift);
    assert!(
        !r.off_hours_reads.iter().any(|f| f.seq == 4),
        "23:30 is inside a 22–06 shift"
    );
    assert!(
        r.off_hours_reads.iter().any(|f| f.seq == 3),
        "10:00 is outside a 22–06 shift"
    );
}

#[test]
fn provisions_are_counted_per_recipient_with_the_keys_that_made_them() {
    let mut list = vec![];
    for (key, reason) in [
        (
            "key_app",
            "to openai: vow proxy /v1/chat/completions: 4096 bytes",
        ),
        ("key_app", "to openai"),
        ("key_batch", "to openai: nightly"),
        (
            "key_app",
            "to stability: vow proxy /v1/chat/completions: 12 bytes",
        ),
    ] {
        list.push(e(
            datetime!(2026-11-03 10:00 +9),
            key,
            "service",
            Action::Provide,
            None,
            Some(reason),
        ));
    }
    let mut entries: Vec<Entry> = Vec::new();
    for n in list {
        let next = chain(entries.last(), n);
        entries.push(next);
    }
    let review = Review::build(entries.into_iter(), &opts());
    assert_eq!(review.transfers.len(), 2);
    assert_eq!(review.transfers[0].recipient, "openai");
    assert_eq!(review.transfers[0].provisions, 3);
    assert_eq!(review.transfers[0].keys, vec!["key_app", "key_batch"]);
    assert_eq!(review.transfers[1].recipient, "stability");
    assert!(review
        .to_text()
        .contains("## 6. 제공·위탁 / Provisions per recipient (2)"));
}

fn denied(at: OffsetDateTime, key: &str, role: &str, route: &str) -> NewEntry {
    NewEntry {
        categories: vec![route.to_string()],
        ..e(at, key, role, Action::Denied, None, None)
    }
}

fn with_denials() -> Vec<Entry> {
    let mut entries = month();
    for n in [
        denied(
            datetime!(2026-11-10 09:00 +9),
            "key_support",
            "support",
            "GET /v1/subjects/{id}/export",
        ),
        denied(
            datetime!(2026-11-10 09:01 +9),
            "key_support",
            "support",
            "DELETE /v1/subjects/{id}",
        ),
        denied(
            datetime!(2026-11-11 22:00 +9),
            "key_support",
            "support",
            "GET /v1/subjects/{id}/export",
        ),
        denied(
            datetime!(2026-12-02 10:00 +9),
            "key_batch",
            "batch",
            "GET /v1/subjects/{id}/export",
        ), // December
    ] {
        let next = chain(entries.last(), n);
        entries.push(next);
    }
    entries
}

#[test]
fn refused_attempts_are_counted_per_key_and_route_and_are_something_to_look_into() {
    let r = Review::build(with_denials().into_iter(), &opts());
    assert_eq!(r.denied.len(), 1, "{:?}", r.denied);
    let d = &r.denied[0];
    assert_eq!((d.key_id.as_str(), d.attempts), ("key_support", 3));
    let routes: Vec<(&str, u64)> = d
        .routes
        .iter()
        .map(|r| (r.route.as_str(), r.attempts))
        .collect();
    assert_eq!(
        routes,
        vec![
            ("GET /v1/subjects/{id}/export", 2),
            ("DELETE /v1/subjects/{id}", 1)
        ]
    );
    assert_eq!(
        (d.first.as_str(), d.last.as_str()),
        ("2026-11-10 09:00 (Tue)", "2026-11-11 22:00 (Wed)")
    );
    let support = r
        .per_key
        .iter()
        .find(|k| k.key_id == "key_support")
        .unwrap();
    assert_eq!(support.denied, 3);
    assert!(!r.is_quiet());
    let text = r.to_text();
    assert!(
        text.contains("## 7. 거부된 시도 / Attempts refused (403), per key (1)"),
        "{text}"
    );
    assert!(
        text.contains("     2  GET /v1/subjects/{id}/export"),
        "{text}"
    );
    assert!(text.contains("거부 denied: 3"), "{text}");
}

#[test]
fn keys_are_named_by_their_label_with_their_id() {
    let mut r = Review::build(with_denials().into_iter(), &opts());
    let labels = [
        ("key_support", "Front desk laptop"),
        ("key_admin", "Privacy officer"),
        ("key_batch", "  "),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    r.label_keys(&labels);
    assert_eq!(r.key_name("key_support"), "Front desk laptop (key_support)");
    // A blank label is no label.
    assert_eq!(r.key_name("key_batch"), "key_batch");
    assert_eq!(r.exports[0].key_label.as_deref(), Some("Privacy officer"));
    assert_eq!(r.denied[0].key_label.as_deref(), Some("Front desk laptop"));
    let text = r.to_text();
    assert!(
        text.contains("key Front desk laptop (key_support), role support: 3 refused"),
        "{text}"
    );
    assert!(
        text.contains("export   key Privacy officer (key_admin), role admin"),
        "{text}"
    );
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["per_key"][2]["key_label"], "Front desk laptop");
    assert_eq!(json["key_labels"]["key_admin"], "Privacy officer");
}

#[test]
fn a_month_without_entries_says_so_and_a_default_month_is_named_as_such() {
    let mut r = Review::build(month().into_iter(), &ReviewOptions::for_month(2025, 3));
    r.default_month = true;
    let text = r.to_text();
    assert!(text.contains("No access-log entries in 2025-03"), "{text}");
    assert!(text.contains("the previous calendar month"), "{text}");
}
