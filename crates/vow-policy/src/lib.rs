//! The vow policy file.
