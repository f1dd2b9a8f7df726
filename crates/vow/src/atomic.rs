//! Writing output files so that a reader never sees half of one.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

/// Writes `bytes` to a temporary file beside `path`, syncs it, and renames it over `path`. An interrupted
/// run leaves either the old file or the new one, never a truncated file presented as complete.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut temp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot create a file in {}", dir.display()))?;
    // Output files are documents to publish or edit, not secrets: readable like any file the user creates.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        temp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    temp.write_all(bytes)
        .with_context(|| format!("cannot write {}", path.display()))?;
    temp.as_file()
        .sync_all()
        .with_context(|| format!("cannot write {}", path.display()))?;
    temp.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// A file written as a stream and shown under its name only when complete: the bytes go to a temporary
/// file beside `path`, and [`AtomicFile::commit`] syncs and renames it. Dropped without `commit` (an error,
/// a panic, Ctrl-C), the temporary file is removed and `path` is untouched.
pub struct AtomicFile {
    path: std::path::PathBuf,
    temp: std::io::BufWriter<tempfile::NamedTempFile>,
}

impl AtomicFile {
    /// Creates the temporary file beside `path`.
    pub fn create(path: &Path) -> anyhow::Result<AtomicFile> {
        let dir = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        let temp = tempfile::NamedTempFile::new_in(dir)
            .with_context(|| format!("cannot create a file in {}", dir.display()))?;
        // Like any file the user creates (tempfile's default is owner-only).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            temp.as_file()
                .set_permissions(std::fs::Permissions::from_mode(0o644))
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        Ok(AtomicFile {
            path: path.to_path_buf(),
            temp: std::io::BufWriter::with_capacity(1 << 20, temp),
        })
    }

    /// The writer to stream into.
    pub fn writer(&mut self) -> &mut std::io::BufWriter<tempfile::NamedTempFile> {
        &mut self.temp
    }

    /// Flushes, syncs and renames the file into place.
    pub fn commit(self) -> anyhow::Result<()> {
        let path = self.path;
        let temp = self
            .temp
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("cannot write {}", path.display()))?;
        temp.as_file()
            .sync_all()
            .with_context(|| format!("cannot write {}", path.display()))?;
        temp.persist(&path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(())
    }
}
