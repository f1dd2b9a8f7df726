//! `/metrics`: calls by route and status, values replaced or refused by kind — counts, never values.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

use vow_pii::Entity;

use crate::kinds::Media;

/// (route, status) → (count, seconds).
type Requests = BTreeMap<(&'static str, u16), (u64, f64)>;

#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<Requests>,
    values: Mutex<BTreeMap<(Entity, &'static str), u64>>,
    media: Mutex<BTreeMap<(Media, &'static str), u64>>,
}

impl Metrics {
    pub fn request(&self, route: &'static str, status: u16, took: Duration) {
        if let Ok(mut requests) = self.requests.lock() {
            let entry = requests.entry((route, status)).or_default();
            entry.0 += 1;
            entry.1 += took.as_secs_f64();
        }
    }

    pub fn values(&self, counts: &BTreeMap<Entity, u64>, action: &'static str) {
        if let Ok(mut values) = self.values.lock() {
            for (kind, n) in counts {
                *values.entry((*kind, action)).or_default() += n;
            }
        }
    }

    pub fn media(&self, counts: &BTreeMap<Media, u64>, action: &'static str) {
        if counts.is_empty() {
            return;
        }
        if let Ok(mut media) = self.media.lock() {
            for (kind, n) in counts {
                *media.entry((*kind, action)).or_default() += n;
            }
        }
    }

    pub fn render(&self, processor: &str) -> String {
        let mut out = String::new();
        out.push_str("# HELP vow_proxy_requests_total Calls to the AI provider proxy, by route and status.\n");
        out.push_str("# TYPE vow_proxy_requests_total counter\n");
        let requests = self.requests.lock().map(|r| r.clone()).unwrap_or_default();
        for ((route, status), (count, _)) in &requests {
            let _ = writeln!(out, "vow_proxy_requests_total{{processor=\"{processor}\",route=\"{route}\",status=\"{status}\"}} {count}");
        }
        out.push_str("# HELP vow_proxy_request_seconds_sum Time spent answering (until the answer starts), by route.\n");
        out.push_str("# TYPE vow_proxy_request_seconds_sum counter\n");
        for ((route, status), (_, seconds)) in &requests {
            let _ = writeln!(out, "vow_proxy_request_seconds_sum{{processor=\"{processor}\",route=\"{route}\",status=\"{status}\"}} {seconds}");
        }
        out.push_str("# HELP vow_proxy_values_total Personal data values of kinds not declared for the processor, pseudonymised or refused.\n");
        out.push_str("# TYPE vow_proxy_values_total counter\n");
        if let Ok(values) = self.values.lock() {
            for ((kind, action), count) in values.iter() {
                let _ = writeln!(out, "vow_proxy_values_total{{processor=\"{processor}\",kind=\"{}\",action=\"{action}\"}} {count}", kind.as_str());
            }
        }
        out.push_str("# HELP vow_proxy_content_total Parts the proxy cannot read inside (images, audio, video, documents), passed as the policy declares them for the processor or refused.\n");
        out.push_str("# TYPE vow_proxy_content_total counter\n");
        if let Ok(media) = self.media.lock() {
            for ((kind, action), count) in media.iter() {
                let _ = writeln!(out, "vow_proxy_content_total{{processor=\"{processor}\",kind=\"{}\",action=\"{action}\"}} {count}", kind.as_str());
            }
        }
        out
    }
}
