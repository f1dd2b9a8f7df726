//! The advertising gate (정보통신망법 제50조, 시행령 제62조의2·3): whether an advertising message may go
//! to a subject on a channel at a time, the date by which each consent must be re-confirmed, and the
//! lawful shape of the message itself.
//!
//! Everything here is a pure function of the policy, the subject's consent states and the time, so
//! the rules read like the law and are tested without a store.

use serde::Serialize;
use time::{Date, Duration, Month, OffsetDateTime, UtcOffset};
use vow_policy::model::{AdChannel, Advertising, Policy};
use vow_store::{ConsentEvent, ConsentState, GUARDIAN_PURPOSE};

/// Korea Standard Time, the clock of the night-time rule; Korea keeps no daylight saving time.
pub const KST: UtcOffset = match UtcOffset::from_hms(9, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

/// Advertising from 21:00 until 08:00 needs its own consent (법 제50조③, 시행령 제61조).
const NIGHT_STARTS: u8 = 21;
const NIGHT_ENDS: u8 = 8;

/// The result of a consent change must reach the person within 14 days (시행령 제62조의2).
pub const NOTICE_DAYS: i64 = 14;

/// Why a message may or may not be sent. The names are the API's `rule`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Allowed: the subject consented on this channel (and at night, to night-time messages) and the
    /// consent is within its re-confirmation period.
    Consented,
    /// The policy says the service sends no advertising.
    NoAdvertising,
    /// The policy does not list this channel for advertising.
    ChannelNotInPolicy,
    /// No live subject has this id.
    NoSubject,
    /// The subject never consented on this channel.
    NoConsent,
    /// The subject withdrew consent on this channel.
    Withdrawn,
    /// A night-time send, and the policy says the service does not send at night.
    NightTimeNotInPolicy,
    /// A night-time send without the separate night-time consent.
    NoNightConsent,
    /// A night-time send after the night-time consent was withdrawn.
    NightConsentWithdrawn,
    /// The consent is older than the re-confirmation period and was not re-confirmed.
    ReconfirmationOverdue,
    /// A child whose legal guardian withdrew their consent: the child's consents rest on it.
    NoGuardianConsent,
    /// The subject's account was closed, or the subject erased, by the send time: their consents
    /// count as withdrawn.
    Closed,
}

impl Rule {
    pub fn allows(self) -> bool {
        self == Rule::Consented
    }
}

/// The gate's answer for one subject.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub allowed: bool,
    pub rule: Rule,
    /// The last day (Korea time) the deciding consent is valid without a re-confirmation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reconfirm_by: Option<String>,
}

impl Verdict {
    fn refused(rule: Rule) -> Verdict {
        Verdict {
            allowed: false,
            rule,
            reconfirm_by: None,
        }
    }
}

/// The day in Korea of a Unix time in milliseconds.
pub fn korean_date(at_ms: i64) -> Date {
    korean_time(at_ms).date()
}

/// A Unix time in milliseconds in Korea. `to_offset` panics past 9999-12-31 in Korea (which is
/// 15:00 UTC that day): such a time stays in UTC.
fn korean_time(at_ms: i64) -> OffsetDateTime {
    let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(at_ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    at.checked_to_offset(KST).unwrap_or(at)
}

/// Whether a time falls in the night-time window, Korea time.
pub fn is_night(at_ms: i64) -> bool {
    let hour = korean_time(at_ms).hour();
    !(NIGHT_ENDS..NIGHT_STARTS).contains(&hour)
}

/// The last day a consent given (or last re-confirmed) on `consented` is valid without being
/// re-confirmed: 시행령 제62조의3 asks for the re-confirmation "before the same day" `months` later.
/// A day that month does not have (29 February in a common year, the 31st of a short month) counts,
/// as 민법 제160조③ says, as the end of that month: consent given on 29 February 2024 must be
/// re-confirmed by 28 February 2026, as must one given on 1 March 2024.
pub fn reconfirm_by(consented: Date, months: u32) -> Date {
    let total = i64::from(consented.year()) * 12 + i64::from(u8::from(consented.month())) - 1
        + i64::from(months);
    let year = i32::try_from(total.div_euclid(12)).unwrap_or(i32::MAX);
    let month = Month::try_from(u8::try_from(total.rem_euclid(12) + 1).unwrap_or(1))
        .unwrap_or(Month::January);
    match Date::from_calendar_date(year, month, consented.day()) {
        // The day before the anniversary.
        Ok(anniversary) => anniversary.previous_day().unwrap_or(anniversary),
        // No such day that month: the end of the month.
        Err(_) => {
            let last_day = time::util::days_in_month(month, year);
            Date::from_calendar_date(year, month, last_day).unwrap_or(consented)
        }
    }
}

/// The consent states as they stood at `at_ms`, rebuilt from the subject's ledger: a change dated
/// after `at_ms` did not count yet. Per purpose, channel and time of day, the latest change at or
/// before `at_ms` decides whether consent stood, and the latest grant or re-confirmation then is
/// where its re-confirmation clock starts.
pub fn states_as_of(history: &[ConsentEvent], at_ms: i64) -> Vec<ConsentState> {
    let mut events: Vec<&ConsentEvent> = history.iter().filter(|e| e.at_ms <= at_ms).collect();
    events.sort_by_key(|e| (e.at_ms, e.seq));
    let mut states: Vec<ConsentState> = Vec::new();
    for event in events {
        let granted = event.change != "withdraw";
        let position = states.iter().position(|s| {
            s.purpose == event.purpose && s.channel == event.channel && s.night == event.night
        });
        match position {
            Some(i) => {
                let state = &mut states[i];
                if granted {
                    state.since_ms = event.at_ms;
                }
                state.granted = granted;
                state.changed_ms = event.at_ms;
            }
            None => states.push(ConsentState {
                subject_id: event.subject_id.clone(),
                purpose: event.purpose.clone(),
                channel: event.channel.clone(),
                night: event.night,
                granted,
                since_ms: event.at_ms,
                changed_ms: event.at_ms,
            }),
        }
    }
    states
}

/// Parses a channel name as the policy writes it.
pub fn channel(name: &str) -> Option<AdChannel> {
    serde_json::from_value(serde_json::Value::String(name.to_string())).ok()
}

pub fn channel_name(channel: AdChannel) -> &'static str {
    match channel {
        AdChannel::Email => "email",
        AdChannel::Sms => "sms",
        AdChannel::Push => "push",
        AdChannel::Phone => "phone",
        AdChannel::Kakao => "kakao",
    }
}

/// The gate for one subject: `states` are the subject's consent states for the advertising purpose
/// on this channel (day and night) and, for a child, the guardian's ([`GUARDIAN_PURPOSE`]), as they
/// stood at `at_ms` (see [`states_as_of`]); `None` when no live subject has the id. `closed_ms` is
/// when the subject's use ended, if it did.
pub fn judge(
    advertising: Option<&Advertising>,
    channel: AdChannel,
    states: Option<&[ConsentState]>,
    closed_ms: Option<i64>,
    at_ms: i64,
) -> Verdict {
    let Some(ad) = advertising.filter(|ad| ad.sends) else {
        return Verdict::refused(Rule::NoAdvertising);
    };
    if !ad.channels.contains(&channel) {
        return Verdict::refused(Rule::ChannelNotInPolicy);
    }
    let Some(states) = states else {
        return Verdict::refused(Rule::NoSubject);
    };
    if closed_ms.is_some_and(|closed| closed <= at_ms) {
        return Verdict::refused(Rule::Closed);
    }
    // A child's consents stand only while their guardian's does.
    if states
        .iter()
        .any(|s| s.purpose == GUARDIAN_PURPOSE && !s.granted)
    {
        return Verdict::refused(Rule::NoGuardianConsent);
    }
    let day = states
        .iter()
        .find(|s| !s.night && s.purpose != GUARDIAN_PURPOSE);
    let today = korean_date(at_ms);
    let valid =
        |state: &ConsentState| reconfirm_by(korean_date(state.since_ms), ad.reconfirm_months);
    let day_until = match day {
        None => return Verdict::refused(Rule::NoConsent),
        Some(state) if !state.granted => return Verdict::refused(Rule::Withdrawn),
        Some(state) => valid(state),
    };
    if today > day_until {
        return Verdict::refused(Rule::ReconfirmationOverdue);
    }
    let mut until = day_until;
    if is_night(at_ms) {
        if !ad.night_time {
            return Verdict::refused(Rule::NightTimeNotInPolicy);
        }
        match states
            .iter()
            .find(|s| s.night && s.purpose != GUARDIAN_PURPOSE)
        {
            None => return Verdict::refused(Rule::NoNightConsent),
            Some(state) if !state.granted => return Verdict::refused(Rule::NightConsentWithdrawn),
            Some(state) => {
                let night_until = valid(state);
                if today > night_until {
                    return Verdict::refused(Rule::ReconfirmationOverdue);
                }
                until = until.min(night_until);
            }
        }
    }
    Verdict {
        allowed: true,
        rule: Rule::Consented,
        reconfirm_by: Some(until.to_string()),
    }
}

/// A message to be made lawful: also the body of the HTTP API's `POST /v1/marketing/format`, whose
/// OpenAPI document shows these fields' comments.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Draft {
    /// `email` or `sms` (push, phone and kakao take the SMS shape).
    pub channel: String,
    /// The e-mail's subject line.
    #[serde(default)]
    pub title: Option<String>,
    pub body: String,
    // Where to opt out with one click (e-mail), shown beside the policy's opt-out text. (A plain
    // comment: the published API document has never described this field.)
    #[serde(default)]
    pub opt_out_url: Option<String>,
    /// A free (080) number to opt out by, for text messages.
    #[serde(default)]
    pub opt_out_number: Option<String>,
    /// `ko` (default) or `en`.
    #[serde(default)]
    pub lang: Option<String>,
}

/// The message as it may be sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Lawful {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub body: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DraftError {
    #[error("{0}")]
    Invalid(String),
}

const MAX_DRAFT_BYTES: usize = 64 * 1024;

/// Puts the label first, and the sender's name and contact and a free way to opt out last, as
/// 법 제50조④ and 시행령 제61조 ask: in the subject line and body of an e-mail, at the start and end of
/// a text message.
pub fn make_lawful(policy: &Policy, draft: &Draft) -> Result<Lawful, DraftError> {
    let invalid = |why: &str| DraftError::Invalid(why.to_string());
    let ad = policy
        .advertising
        .as_ref()
        .filter(|ad| ad.sends)
        .ok_or_else(|| {
            invalid("the policy says the service sends no advertising ([advertising] sends)")
        })?;
    let channel = channel(&draft.channel)
        .ok_or_else(|| invalid("channel must be one of email, sms, push, phone, kakao"))?;
    if !ad.channels.contains(&channel) {
        return Err(DraftError::Invalid(format!(
            "the policy does not list {} among its advertising channels",
            channel_name(channel)
        )));
    }
    let total = draft.body.len() + draft.title.as_deref().map_or(0, str::len);
    if draft.body.trim().is_empty() || total > MAX_DRAFT_BYTES {
        return Err(invalid(
            "body must be non-empty and at most 64 KiB with the title",
        ));
    }
    // A title becomes a mail header (Subject): a line break in it would add headers (`Bcc:`).
    if let Some(title) = &draft.title {
        if title.chars().any(breaks_a_header) {
            return Err(invalid(
                "title must be one line: no control characters or line breaks (it becomes the Subject header)",
            ));
        }
    }
    if draft
        .body
        .chars()
        .any(|c| breaks_a_header(c) && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(invalid(
            "body must hold no control characters other than line breaks and tabs",
        ));
    }
    if let Some(url) = &draft.opt_out_url {
        opt_out_url(url).map_err(|why| DraftError::Invalid(why.to_string()))?;
    }
    if let Some(number) = &draft.opt_out_number {
        let digits = number.chars().filter(char::is_ascii_digit).count();
        if number.len() > 30
            || !(7..=15).contains(&digits)
            || !number
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '+' | '(' | ')'))
        {
            return Err(invalid(
                "opt_out_number must be a telephone number (digits, spaces, -, +, parentheses; 7 to 15 digits)",
            ));
        }
    }
    let english = draft.lang.as_deref() == Some("en");
    let pick = |ko: &str, en: &str| {
        if english {
            en.to_string()
        } else {
            ko.to_string()
        }
    };
    let controller = &policy.controller;
    let name = text_of(&controller.name, english);
    let contact: Vec<&str> = [controller.email.as_deref(), controller.phone.as_deref()]
        .into_iter()
        .flatten()
        .collect();
    let label = ad.label.trim();
    let strip = |text: &str| {
        text.trim_start()
            .trim_start_matches(label)
            .trim_start()
            .to_string()
    };
    match channel {
        AdChannel::Email => {
            let title = draft
                .title
                .as_deref()
                .filter(|t| !t.trim().is_empty())
                .ok_or_else(|| invalid("an e-mail needs a title (its subject line)"))?;
            let mut footer = vec![format!(
                "{}: {name}{}",
                pick("발신자", "Sender"),
                if contact.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", contact.join(", "))
                }
            )];
            if let Some(address) = &controller.address {
                footer.push(format!(
                    "{}: {}",
                    pick("주소", "Address"),
                    text_of(address, english)
                ));
            }
            let opt_out = ad
                .opt_out
                .as_ref()
                .map(|t| text_of(t, english))
                .unwrap_or_else(|| {
                    pick(
                        "수신을 원하지 않으시면 아래 방법으로 무료로 수신을 거부할 수 있습니다.",
                        "If you no longer wish to receive these messages, you can opt out free of charge below.",
                    )
                });
            footer.push(format!("{}: {opt_out}", pick("수신거부", "Opt out")));
            match (&draft.opt_out_url, controller.email.as_deref()) {
                // As a browser reads it, not as it was written.
                (Some(url), _) => footer.push(
                    opt_out_url(url)
                        .map_err(|why| DraftError::Invalid(why.to_string()))?
                        .to_string(),
                ),
                (None, Some(email)) => footer.push(pick(
                    &format!("{email}로 \"수신거부\"라고 회신하시면 됩니다."),
                    &format!("Reply to {email} with \"unsubscribe\"."),
                )),
                (None, None) => return Err(invalid(
                    "no way to opt out: give opt_out_url or set [controller] email in the policy",
                )),
            }
            Ok(Lawful {
                title: Some(format!("{label} {}", strip(title))),
                body: format!("{}\n\n---\n{}", strip(&draft.body), footer.join("\n")),
            })
        }
        AdChannel::Sms | AdChannel::Push | AdChannel::Kakao | AdChannel::Phone => {
            let number = draft
                .opt_out_number
                .as_deref()
                .or(controller.phone.as_deref())
                .ok_or_else(|| {
                    invalid("a text message needs a free opt-out number: give opt_out_number (an 080 number)")
                })?;
            Ok(Lawful {
                title: None,
                body: format!(
                    "{label}{name}\n{}\n{} {number}",
                    strip(&draft.body),
                    pick("무료수신거부", "Free opt-out:")
                ),
            })
        }
    }
}

/// Whether a character may not stand in a header line: control characters, and the Unicode line
/// and paragraph separators some mailers and terminals break lines at.
fn breaks_a_header(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')
}

/// An opt-out link a person can follow: `https:` with a host, or `mailto:` an address; nothing a
/// browser would run (`javascript:`), no credentials, no control characters or spaces.
pub fn opt_out_url(text: &str) -> Result<url::Url, &'static str> {
    if text.len() > 2000
        || text
            .chars()
            .any(|c| breaks_a_header(c) || c.is_whitespace())
    {
        return Err("opt_out_url must be one URL of at most 2,000 characters, without spaces or control characters");
    }
    let url = url::Url::parse(text).map_err(|_| "opt_out_url is not a URL")?;
    match url.scheme() {
        "https" if url.host_str().is_some_and(|h| !h.is_empty()) => {
            if !url.username().is_empty() || url.password().is_some() {
                return Err("opt_out_url must not carry a user name or password");
            }
            Ok(url)
        }
        "mailto" if url.path().contains('@') => Ok(url),
        _ => Err("opt_out_url must be an https: link (or a mailto: address)"),
    }
}

fn text_of(text: &vow_policy::model::Text, english: bool) -> String {
    let (first, second) = if english {
        (&text.en, &text.ko)
    } else {
        (&text.ko, &text.en)
    };
    first.clone().or_else(|| second.clone()).unwrap_or_default()
}

/// Milliseconds in `days` days.
pub fn days_ms(days: i64) -> i64 {
    Duration::days(days).whole_milliseconds() as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn re_confirmation_is_due_the_day_before_the_anniversary() {
        assert_eq!(
            reconfirm_by(date!(2024 - 03 - 15), 24),
            date!(2026 - 03 - 14)
        );
        assert_eq!(
            reconfirm_by(date!(2024 - 01 - 01), 24),
            date!(2025 - 12 - 31)
        );
        assert_eq!(
            reconfirm_by(date!(2023 - 12 - 31), 24),
            date!(2025 - 12 - 30)
        );
    }

    #[test]
    fn a_missing_anniversary_counts_as_the_end_of_its_month() {
        assert_eq!(
            reconfirm_by(date!(2024 - 02 - 29), 24),
            date!(2026 - 02 - 28)
        );
        assert_eq!(
            reconfirm_by(date!(2024 - 02 - 29), 48),
            date!(2028 - 02 - 28)
        );
        assert_eq!(
            reconfirm_by(date!(2023 - 08 - 31), 6),
            date!(2024 - 02 - 29)
        );
        assert_eq!(
            reconfirm_by(date!(2024 - 03 - 01), 24),
            date!(2026 - 02 - 28)
        );
    }

    #[test]
    fn night_is_from_nine_in_the_evening_to_eight_in_the_morning_korea_time() {
        let ms = |t: OffsetDateTime| (t.unix_timestamp_nanos() / 1_000_000) as i64;
        assert!(!is_night(ms(datetime!(2026-11-26 20:59:59 +9))));
        assert!(is_night(ms(datetime!(2026-11-26 21:00 +9))));
        assert!(is_night(ms(datetime!(2026-11-27 07:59:59 +9))));
        assert!(!is_night(ms(datetime!(2026-11-27 08:00 +9))));
        // 12:30 UTC is 21:30 in Seoul.
        assert!(is_night(ms(datetime!(2026-11-26 12:30 UTC))));
    }
}
