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
        self.keep_example(f.entity, value);
    }

    /// Counts every finding of `found`, whose offsets are into `scanned`, as [`Report::add`] does one by
    /// one, with one map lookup per kind rather than per finding: a dense file holds a finding every
    /// hundred bytes.
    pub fn add_all(&mut self, found: &[Finding], scanned: &[u8]) {
        let mut counts = [0u64; Entity::ALL.len()];
        let mut full = [false; Entity::ALL.len()];
        for f in found {
            let kind = f.entity as usize;
            // A kind missing from `Entity::ALL`, or a finding outside `scanned`, is counted one by one.
            let (Some(count), Some(value)) = (counts.get_mut(kind), scanned.get(f.start..f.end))
            else {
                *self.counts.entry(f.entity).or_default() += 1;
                self.max_score = self.max_score.max(f.score);
                continue;
            };
            *count += 1;
            self.max_score = self.max_score.max(f.score);
            if !full[kind] {
                full[kind] = !self.keep_example(f.entity, value);
            }
        }
        for (entity, n) in Entity::ALL.into_iter().zip(counts) {
            if n > 0 {
                *self.counts.entry(entity).or_default() += n;
            }
        }
    }

    /// Keeps `value` masked as an example of `entity` while there are fewer than three; false once
    /// there are three.
    fn keep_example(&mut self, entity: Entity, value: &[u8]) -> bool {
        let ex = self.examples.entry(entity).or_default();
        if ex.len() >= EXAMPLES {
            return false;
        }
        if value.len() <= 256 {
            let mut masked = Vec::new();
            Redactor::new(Operator::Mask).replace(entity, value, &mut masked);
            let masked = String::from_utf8_lossy(&masked).into_owned();
            if !ex.contains(&masked) {
                ex.push(masked);
            }
        }
        true
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_indexed_by_its_place_in_the_list_of_all() {
        for (i, e) in Entity::ALL.into_iter().enumerate() {
            assert_eq!(e as usize, i, "{e:?}");
        }
    }

    #[test]
    fn counting_findings_together_gives_the_report_counting_them_one_by_one() {
        let text = "주민번호 901231-1234563, 010-1234-5678, kim@example.com, 010-9876-5432, \
                    lee@example.org, 010-5555-1234, park@example.net, 010-2222-3333, 김민수 고객님";
        let found = crate::Scanner::new().scan(text.as_bytes());
        assert!(found.len() >= 9, "{found:?}");
        let mut one_by_one = Report::default();
        for f in &found {
            one_by_one.add(f, &text.as_bytes()[f.start..f.end]);
        }
        let mut together = Report::default();
        together.add_all(&found, text.as_bytes());
        assert_eq!(together.counts, one_by_one.counts);
        assert_eq!(together.examples, one_by_one.examples);
        assert_eq!(together.max_score, one_by_one.max_score);
        assert_eq!(together.examples[&Entity::KrPhone].len(), EXAMPLES);
    }
}
