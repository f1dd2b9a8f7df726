//! The vow policy file: a privacy policy (개인정보 처리방침) stated as data.
//!
//! [`model`] is the file's structure. A policy file is TOML; see `vow init` for a commented starter.

pub mod model;

pub use model::*;

/// Reads a policy from TOML text, checking only its structure.
pub fn from_toml_str(source: &str) -> Result<Policy, toml::de::Error> {
    toml::from_str(source)
}
