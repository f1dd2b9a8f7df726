//! Children (PIPA 제22조의2): whether a person is a child the policy refuses or whose data waits for a
//! guardian, and the one fact kept about their age — the earliest day they can have been born, sealed.

use time::Date;
use vow_policy::model::ChildPolicy;

use crate::marketing::korean_date;
use crate::vault::*;

/// What a child's sealed earliest birthday is bound to.
pub(crate) const BORN_BINDING: &str = "@born";

/// The earliest day a person can have been born, from what was said of their age on `now_ms`: the
/// birth date itself, or for an age of `n` full years the day after the date `n + 1` years ago.
pub(crate) fn earliest_birthday(now_ms: i64) -> impl Fn(AgeEvidence) -> Option<Date> {
    move |age| match age {
        AgeEvidence::BirthDate(born) => Some(born),
        AgeEvidence::Age(years) => {
            let today = korean_date(now_ms);
            let year = today.year() - i32::from(years) - 1;
            let same_day = Date::from_calendar_date(year, today.month(), today.day())
                // 29 February in a year without one: the next day is 1 March either way.
                .or_else(|_| Date::from_calendar_date(year, time::Month::March, 1))
                .ok()?;
            same_day.next_day()
        }
    }
}

/// Age in full years (만 나이) on `today`.
pub fn full_years(born: Date, today: Date) -> u32 {
    let mut years = today.year() - born.year();
    if (today.month(), today.day()) < (born.month(), born.day()) {
        years -= 1;
    }
    u32::try_from(years).unwrap_or(0)
}

impl Vault {
    /// Whether a person of this age, at collection, is a child the policy refuses or whose data
    /// waits for a guardian (`Ok(true)`), or an adult (`Ok(false)`).
    pub(crate) fn is_minor(
        &self,
        kind: &str,
        age: Option<AgeEvidence>,
    ) -> Result<bool, VaultError> {
        let declared_child = self
            .policy
            .subjects
            .iter()
            .any(|s| s.key == kind && s.child);
        let today = korean_date(self.clock.now_ms());
        let years = match age {
            None => None,
            Some(AgeEvidence::Age(years)) if years > 150 => {
                return Err(VaultError::Invalid {
                    what: "age",
                    why: "is more than 150 years".into(),
                })
            }
            Some(AgeEvidence::Age(years)) => Some(u32::from(years)),
            Some(AgeEvidence::BirthDate(born)) => {
                if born > today || born.year() < today.year() - 150 {
                    return Err(VaultError::Invalid {
                        what: "birth_date",
                        why: "is in the future or more than 150 years ago".into(),
                    });
                }
                Some(full_years(born, today))
            }
        };
        let Some(children) = &self.policy.children else {
            return Ok(declared_child);
        };
        let child = declared_child || years.is_some_and(|y| y < u32::from(children.age));
        if !child {
            return Ok(false);
        }
        let statement = children
            .statement
            .as_ref()
            .and_then(|t| t.en.clone().or_else(|| t.ko.clone()));
        match children.policy {
            ChildPolicy::Refuse => Err(VaultError::ChildRefused {
                rule: format!(
                    "[children] policy = \"refuse\": no data of children under {} is collected{}",
                    children.age,
                    statement.map(|s| format!(" ({})", clip(&s))).unwrap_or_default()
                ),
            }),
            ChildPolicy::GuardianConsent if children.methods.is_empty() => {
                Err(VaultError::ChildRefused {
                    rule: format!(
                        "children under {} need a guardian's verified consent, and the policy names no way to verify it ([children] methods)",
                        children.age
                    ),
                })
            }
            ChildPolicy::GuardianConsent => Ok(true),
        }
    }

    /// A child's earliest possible birthday, when their age was given.
    pub(crate) fn born(
        &self,
        subject: &vow_store::SubjectRecord,
    ) -> Result<Option<Date>, VaultError> {
        let Some(sealed) = &subject.born_sealed else {
            return Ok(None);
        };
        let data_key = self.data_key(&subject.wrapped_key, &subject.id)?;
        let plain = data_key.open(
            sealed,
            &vow_crypto::Binding {
                subject_id: &subject.id,
                category: BORN_BINDING,
            },
        )?;
        let format = time::macros::format_description!("[year]-[month]-[day]");
        Ok(std::str::from_utf8(&plain)
            .ok()
            .and_then(|text| Date::parse(text, &format).ok()))
    }
}
