use std::path::PathBuf;

/// Everything that can go wrong in `vow-crypto`.
///
/// No variant carries plaintext, key bytes or a parser message that could quote them: a key-file
/// syntax error names only the line and column.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The key file could not be read, written, parsed or trusted.
    #[error("key file {path}: {reason}")]
    KeyFile { path: PathBuf, reason: String },
    /// A file or directory holding vow's secrets or data that group or others may access.
    #[error("{path}: mode {mode:04o} lets group or others access it; restrict it with `{fix}` (vow refuses to start until then)")]
    NotPrivate {
        path: PathBuf,
        mode: u32,
        fix: String,
    },
    /// A file's mode could not be read.
    #[error("{path}: cannot inspect it: {reason}")]
    Inspect { path: PathBuf, reason: String },
    /// Key text (from `VOW_KEYS` or a key file's contents) is not a valid vow key ring.
    #[error("key text: {0}")]
    KeyText(String),
    /// Authentication failed: wrong key, wrong binding (subject or category), or tampered bytes.
    #[error("decryption failed: wrong key, wrong subject/category binding, or tampered data")]
    Decrypt,
    /// A wrapped key names a key-encryption-key version the key ring does not hold.
    #[error(
        "unknown key-encryption-key version {0} (was the key file replaced or a version removed?)"
    )]
    UnknownKeyVersion(u32),
    /// Sealed bytes or a wrapped key start with a format version this build does not know.
    #[error("unknown envelope format version {0}")]
    UnknownFormat(u8),
    /// Bytes too short, too long, or otherwise not in the expected shape.
    #[error("malformed input: {0}")]
    Malformed(&'static str),
    /// The operating system's random number generator failed.
    #[error("random number generator failed")]
    Rng,
    /// Argon2 refused its input or parameters (never includes the secret).
    #[error("secret hashing failed: {0}")]
    Hash(String),
}
