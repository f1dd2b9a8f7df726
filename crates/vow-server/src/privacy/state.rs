//! What the privacy center keeps beside the vault, apart from its pages so that the server's
//! shared state can hold it without importing them.

use std::collections::BTreeMap;

use vow_engine::RateLimiter;

use super::mail::Mailer;

/// How often one address or one contact may ask for codes and try them, per minute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrivacyLimits {
    /// Codes asked for from one address.
    pub codes_per_address: u32,
    /// Codes asked for one contact (known or not, counted alike), from anywhere.
    pub codes_per_contact: u32,
    /// Codes typed from one address (each challenge also locks after five wrong ones).
    pub tries_per_address: u32,
}

impl Default for PrivacyLimits {
    fn default() -> PrivacyLimits {
        PrivacyLimits {
            codes_per_address: 10,
            codes_per_contact: 3,
            tries_per_address: 30,
        }
    }
}

/// What the privacy center keeps beside the vault.
pub struct PrivacyCenter {
    /// The published policy's files by path (`index.html`, `versions/<v>/ko.html`, …).
    pub(crate) site: BTreeMap<String, String>,
    pub(crate) mailer: Mailer,
    /// Whether codes by text message can go out (a webhook delivers events): without one a code is
    /// never queued, so it never sits readable in the outbox with nobody to take it.
    pub(crate) text_codes: bool,
    pub(crate) limiter: RateLimiter,
    pub(crate) limits: PrivacyLimits,
    pub(crate) secure_cookies: bool,
}

impl std::fmt::Debug for PrivacyCenter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivacyCenter")
            .field("site_files", &self.site.len())
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl PrivacyCenter {
    /// The privacy center of `policy`, with its earlier versions (`vow policy publish --history`),
    /// published as of `now_ms`.
    pub fn new(
        policy: &vow_policy::Policy,
        history: Vec<vow_policy::Version>,
        now_ms: i64,
    ) -> PrivacyCenter {
        let korea = time::UtcOffset::from_hms(9, 0, 0).unwrap_or(time::UtcOffset::UTC);
        let today = time::OffsetDateTime::from_unix_timestamp(now_ms.div_euclid(1000))
            .map(|t| t.to_offset(korea).date())
            .unwrap_or(time::Date::MIN);
        let mut versions = history;
        versions.push(vow_policy::Version {
            source: "the running policy".into(),
            policy: policy.clone(),
        });
        let site = match vow_policy::publish(
            versions,
            &vow_policy::PublishOptions {
                today: vow_policy::Date(today),
                base_url: None,
            },
        ) {
            Ok(files) => files.into_iter().map(|f| (f.path, f.contents)).collect(),
            Err(error) => {
                tracing::error!(%error, "the policy's public pages could not be made");
                BTreeMap::new()
            }
        };
        PrivacyCenter {
            site,
            mailer: Mailer::default(),
            text_codes: false,
            limiter: RateLimiter::default(),
            limits: PrivacyLimits::default(),
            secure_cookies: false,
        }
    }

    pub fn with_mailer(mut self, mailer: Mailer) -> PrivacyCenter {
        self.mailer = mailer;
        self
    }

    /// Codes by text message go out as `privacy.code` events: say so only when a webhook delivers
    /// events (`vow serve --webhook-url`).
    pub fn with_text_codes(mut self, delivered: bool) -> PrivacyCenter {
        self.text_codes = delivered;
        self
    }

    pub fn with_limits(mut self, limits: PrivacyLimits) -> PrivacyCenter {
        self.limits = limits;
        self
    }

    pub(crate) fn with_secure_cookies(mut self, secure: bool) -> PrivacyCenter {
        self.secure_cookies = secure;
        self
    }
}
