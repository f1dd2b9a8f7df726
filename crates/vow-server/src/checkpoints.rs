//! Delivering checkpoints beyond the checkpoint file: copies (`--checkpoint-copy`) and witnesses
//! (`--checkpoint-witness`).
//!
//! A copy or a witness that fails has not lost a checkpoint: it is already written to the local
//! checkpoint file and remembered by the key store, and the next checkpoint delivered covers every
//! entry before it. So a failed delivery is logged as what it is — which destination, what happened,
//! that the checkpoint is kept locally — and counted per destination in `/metrics`
//! (`vow_checkpoint_delivery_failures_total`), instead of failing the checkpoint.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use vow_audit::Checkpoint;
use vow_engine::CheckpointSink;

/// What a destination is, as its `kind` label says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Destination {
    /// A file every checkpoint is also appended to.
    Copy,
    /// A service every checkpoint is POSTed to.
    Witness,
}

impl Destination {
    fn as_str(self) -> &'static str {
        match self {
            Destination::Copy => "copy",
            Destination::Witness => "witness",
        }
    }
}

/// Delivery failures per destination, for `/metrics`. Every destination is listed from the start,
/// at 0, so a scraper sees the series before the first failure.
#[derive(Debug, Default)]
pub struct CheckpointDeliveries {
    failures: Mutex<BTreeMap<(Destination, String), u64>>,
}

impl CheckpointDeliveries {
    fn table(&self) -> std::sync::MutexGuard<'_, BTreeMap<(Destination, String), u64>> {
        match self.failures.lock() {
            Ok(table) => table,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// A sink for [`vow_engine::Vault::with_checkpoint_sink`] that hands each checkpoint to
    /// `deliver`; a failure is logged as a delivery failure and counted, and never fails the
    /// checkpoint, which is already kept locally.
    pub fn sink<E: std::fmt::Display>(
        self: &Arc<Self>,
        kind: Destination,
        to: String,
        deliver: impl Fn(&Checkpoint) -> Result<(), E> + Send + Sync + 'static,
    ) -> CheckpointSink {
        self.table().entry((kind, to.clone())).or_insert(0);
        let deliveries = Arc::clone(self);
        Box::new(move |checkpoint| {
            if let Err(error) = deliver(checkpoint) {
                *deliveries.table().entry((kind, to.clone())).or_insert(0) += 1;
                tracing::warn!(
                    seq = checkpoint.seq,
                    "checkpoint of {} could not be delivered to the {} {to}: {error}. It is \
                     written in the local checkpoint file; the next checkpoint delivered covers \
                     everything before it",
                    checkpoint.describe(),
                    kind.as_str(),
                );
            }
            Ok(())
        })
    }

    /// Failures so far to `to`, if it is a destination.
    pub fn failures(&self, kind: Destination, to: &str) -> Option<u64> {
        self.table().get(&(kind, to.to_string())).copied()
    }

    pub(crate) fn render(&self, out: &mut String) {
        let table = self.table();
        if table.is_empty() {
            return;
        }
        out.push_str(
            "# HELP vow_checkpoint_delivery_failures_total Checkpoints that could not be delivered to a copy or a witness (each is kept in the local checkpoint file).\n",
        );
        out.push_str("# TYPE vow_checkpoint_delivery_failures_total counter\n");
        for ((kind, to), count) in table.iter() {
            let _ = writeln!(
                out,
                "vow_checkpoint_delivery_failures_total{{kind=\"{}\",to=\"{}\"}} {count}",
                kind.as_str(),
                label_value(to)
            );
        }
    }
}

/// A Prometheus label value: backslash, double quote and line feed escaped.
fn label_value(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_are_listed_at_zero_and_labels_are_escaped() {
        let deliveries = Arc::new(CheckpointDeliveries::default());
        let _sink = deliveries.sink(Destination::Copy, "/a \"b\"\\c".into(), |_| {
            Ok::<(), String>(())
        });
        let mut out = String::new();
        deliveries.render(&mut out);
        assert!(
            out.contains(
                r#"vow_checkpoint_delivery_failures_total{kind="copy",to="/a \"b\"\\c"} 0"#
            ),
            "{out}"
        );
    }
}
