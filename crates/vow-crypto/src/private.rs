//! Private files: what vow keeps at rest (the key file, the databases, the checkpoint file and the
//! data directory holding them) is for the user running vow alone: created so here, and one check for
//! all of them:
//! group or others having any access is refused, with the `chmod` that fixes it; the mode is never
//! tightened silently, because whoever could read the file may already have.

use std::path::Path;

use crate::CryptoError;

/// The permission bits when group or others have any access, else `None` (always `None` off unix).
pub(crate) fn loose_mode(meta: &std::fs::Metadata) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        None
    }
}

/// The command that makes `path` private: `chmod 700` for a directory, `chmod 600` for a file.
pub(crate) fn fix(path: &Path, meta: &std::fs::Metadata) -> String {
    let mode = if meta.is_dir() { "700" } else { "600" };
    format!("chmod {mode} {}", path.display())
}

/// Refuses a file or directory that group or others may access ([`CryptoError::NotPrivate`], naming
/// it and the `chmod` that fixes it). A path that does not exist passes: there is nothing to expose.
pub fn require_private(path: &Path) -> Result<(), CryptoError> {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(CryptoError::Inspect {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })
        }
    };
    match loose_mode(&meta) {
        Some(mode) => Err(CryptoError::NotPrivate {
            path: path.to_path_buf(),
            mode,
            fix: fix(path, &meta),
        }),
        None => Ok(()),
    }
}

/// Creates a file empty with mode 0600 when it does not exist yet. For a database: SQLite, which gives
/// its journal, WAL and shared-memory files the database file's mode, keeps all of them private.
pub fn create_private_file(path: &Path) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Creates a directory (and its missing parents) with mode 0700.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}
