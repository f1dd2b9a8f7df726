//! `vow-pii`: finding personal data in Korean and English text, CSV and JSON, and de-identifying it.
//!
//! It owns the recognizers ([`Scanner`], one pass over the bytes with per-kind validators and context
//! words), the operators ([`Operator`]: mask, replace, keyed hash, pseudonymise, encrypt and decrypt), the
//! format readers that apply them to plain text, CSV and JSON without touching anything that is not
//! personal data ([`process`] with a [`Format`]), and a report a person
//! can read ([`Report`], examples shown masked, never in clear).
//!
//! **Invariant: no I/O of its own.** Every reader and writer is handed in by the caller (`impl BufRead`,
//! `impl Write`); the crate never opens a file, a socket or reads the clock. Personal data in clear never
//! appears in an error, a `Debug` output or a report.

mod context;
mod entity;
mod finding;
pub mod formats;
mod key;
mod names;
mod normalize;
mod ops;
mod report;
mod scanner;
mod text;
pub mod validate;

pub use entity::Entity;
pub use finding::{Finding, Validation};
pub use formats::{process, Format, FormatError, Job, Limits, Located, Outcome};
pub use key::{Key, KeyError};
pub use normalize::Normalized;
pub use ops::{
    decrypt_stream, decrypt_tokens, DecryptError, DecryptStreamError, Operator, Redactor,
    RedactorError,
};
pub use report::{ColumnReport, Report, ReportEntry};
pub use scanner::{Scanner, DEFAULT_MIN_SCORE};
pub use validate::Date;
