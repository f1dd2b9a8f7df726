//! The advertising gate's calendar and message rules hold for every input, not only the examples:
//! nothing panics, due dates stay where the law puts them, and a lawful message always starts with
//! the label.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use time::{Date, Duration};
use vow_engine::marketing::{is_night, korean_date, make_lawful, reconfirm_by, Draft};

fn any_date() -> impl Strategy<Value = Date> {
    (1900i32..=9000, 1u8..=12, 1u8..=31).prop_filter_map("a real calendar day", |(y, m, d)| {
        Date::from_calendar_date(y, time::Month::try_from(m).ok()?, d).ok()
    })
}

static POLICY: std::sync::LazyLock<vow_policy::model::Policy> = std::sync::LazyLock::new(|| {
    vow_policy::load(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/policies/imagesfactory.toml"
    )))
    .unwrap()
});

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn a_consent_is_due_the_day_before_its_anniversary_or_at_the_months_end(consented in any_date(), months in 1u32..=240) {
        let due = reconfirm_by(consented, months);
        let next = due.next_day().unwrap();
        // The day after the due date is the anniversary itself, or the first of the month after a
        // month that has no such day.
        prop_assert!(next.day() == consented.day() || (next.day() == 1 && consented.day() > due.day()));
        let approx = Duration::days(i64::from(months) * 31);
        prop_assert!(due >= consented && due - consented <= approx);
        // Months later always means no earlier.
        prop_assert!(reconfirm_by(consented, months + 1) > due);
    }

    #[test]
    fn any_instant_has_a_korean_day_and_a_time_of_day(at_ms in any::<i64>()) {
        let _ = korean_date(at_ms);
        let _ = is_night(at_ms);
    }

    #[test]
    fn a_lawful_message_starts_with_the_label_whatever_it_was_given(
        title in ".{0,80}", body in ".{0,400}", channel in "(email|sms|push|fax|)", lang in proptest::option::of("(ko|en|xx)"),
    ) {
        let policy = &*POLICY;
        let draft = Draft { channel, title: Some(title), body, lang, ..Draft::default() };
        if let Ok(lawful) = make_lawful(policy, &draft) {
            let first = lawful.title.as_deref().unwrap_or(&lawful.body);
            prop_assert!(first.starts_with("(광고)"));
            // The sender is named, and a free way to opt out is given.
            prop_assert!(lawful.body.contains("엠제이스튜디오") || lawful.body.contains("MJ Studio"));
            prop_assert!(["수신거부", "opt out", "opt-out"].iter().any(|w| lawful.body.contains(w)));
        }
    }
}
