//! A report a person can read: counts per kind and per column, examples shown masked, never in clear.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{Entity, Finding, Operator, Redactor};

/// How many masked examples a report keeps per kind.
const EXAMPLES: usize = 3;

/// What was found in one input.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// Bytes read.
    pub bytes: u64,
    /// Findings per kind.
    pub counts: BTreeMap<Entity, u64>,
    /// Up to three masked examples per kind (`010-****-5678`).
    pub examples: BTreeMap<Entity, Vec<String>>,
    /// Per CSV column (empty for other formats).
    pub columns: Vec<ColumnReport>,
    /// Places where a line longer than the chunk size had to be cut with no safe boundary nearby; a value
    /// spanning such a cut may have been missed.
    pub hard_cuts: u64,
    /// The highest score of any finding (0 when there is none).
    pub max_score: f32,
}

/// What one CSV column holds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ColumnReport {
    /// Position, from 0.
    pub index: usize,
    /// The header, if the file has one.
    pub name: String,
    /// Non-empty values seen.
    pub values: u64,
    /// Values with at least one finding.
    pub values_with_findings: u64,
    /// Findings per kind.
    pub counts: BTreeMap<Entity, u64>,
    /// The header names a kind of personal data (`전화번호`, `email`).
    pub header_says_personal: bool,
    /// The column is personal data: its header says so, or at least a fifth of its values hold some.
    pub personal: bool,
}

/// One line of a report: a kind and its count.
#[derive(Clone, Debug, Serialize)]
pub struct ReportEntry {
    /// The kind.
    pub entity: Entity,
    /// How many were found.
    pub count: u64,
}

impl Report {
    /// Counts a finding and keeps a masked example while there are fewer than three.
    pub fn add(&mut self, f: &Finding, value: &[u8]) {
        *self.counts.entry(f.entity).or_default() += 1;
        self.max_score = self.max_score.max(f.score);
        let ex = self.examples.entry(f.entity).or_default();
        if ex.len() < EXAMPLES && value.len() <= 256 {
            let mut masked = Vec::new();
            Redactor::new(Operator::Mask).replace(f.entity, value, &mut masked);
            let masked = String::from_utf8_lossy(&masked).into_owned();
            if !ex.contains(&masked) {
                ex.push(masked);
            }
        }
    }

    /// Adds another report's figures to this one.
    pub fn merge(&mut self, other: Report) {
        self.bytes += other.bytes;
        self.hard_cuts += other.hard_cuts;
        self.max_score = self.max_score.max(other.max_score);
        for (e, c) in other.counts {
            *self.counts.entry(e).or_default() += c;
        }
        for (e, list) in other.examples {
            let ex = self.examples.entry(e).or_default();
            for m in list {
                if ex.len() < EXAMPLES && !ex.contains(&m) {
                    ex.push(m);
                }
            }
        }
        for col in other.columns {
            match self.columns.iter_mut().find(|c| c.index == col.index) {
                Some(c) => {
                    c.values += col.values;
                    c.values_with_findings += col.values_with_findings;
                    for (e, n) in col.counts {
                        *c.counts.entry(e).or_default() += n;
                    }
                    c.header_says_personal |= col.header_says_personal;
                    if c.name.is_empty() {
                        c.name = col.name;
                    }
                }
                None => self.columns.push(col),
            }
        }
        self.columns.sort_by_key(|c| c.index);
    }

    /// Decides which columns are personal data, once every value has been counted.
    pub fn finish(&mut self) {
        for c in &mut self.columns {
            c.personal =
                c.header_says_personal || (c.values > 0 && c.values_with_findings * 5 >= c.values);
        }
    }

    /// Total findings.
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    /// Counts per kind, largest first.
    pub fn entries(&self) -> Vec<ReportEntry> {
        let mut v: Vec<ReportEntry> = self
            .counts
            .iter()
            .map(|(&entity, &count)| ReportEntry { entity, count })
            .collect();
        v.sort_by(|a, b| b.count.cmp(&a.count).then(a.entity.cmp(&b.entity)));
        v
    }
}
