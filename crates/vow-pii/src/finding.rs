//! What a recognizer reports.

use serde::Serialize;

use crate::Entity;

/// How a finding was validated, strongest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Validation {
    /// A checksum passed (Luhn, mod-97, resident-number check digit, business-number check digit).
    Checksum,
    /// The structure is valid (date and gender digit, prefix, region code) but the number carries no
    /// checksum to verify, or its checksum is not meaningful (resident numbers issued since October 2020).
    Structure,
    /// Only the shape matched; the score rests on the context words around it.
    Context,
}

/// One piece of personal data found in a text: its kind, where it is (byte offsets into the text that was
/// scanned, end exclusive), how sure the recognizer is, and how it was validated.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Finding {
    /// The kind of personal data.
    pub entity: Entity,
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset one past the last byte.
    pub end: usize,
    /// 0.0 (surely not) to 1.0 (surely), after context words.
    pub score: f32,
    /// How the value was validated.
    pub validation: Validation,
}

impl Finding {
    /// The byte range of the finding.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start..self.end
    }
}
