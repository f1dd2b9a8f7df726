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
///
/// A long stream is synced as it goes: after every [`SYNC_EVERY`] bytes a helper thread asks the disk to
/// hold what was written so far, while the stream goes on. The sync at `commit` then has only the last
/// stretch left to write, instead of the whole file at once while nothing else happens (45 ms of 100 MB
/// on the machine `docs/benchmarks.md` names).
pub struct AtomicFile {
    path: std::path::PathBuf,
    temp: std::io::BufWriter<SyncingFile>,
}

/// Bytes written between two syncs in the background.
const SYNC_EVERY: u64 = 16 << 20;

/// The temporary file, counting what is written to it and handing syncs to a helper thread.
pub struct SyncingFile {
    temp: tempfile::NamedTempFile,
    since_sync: u64,
    /// Syncs handed to the helper so far.
    syncs_asked: u64,
    /// Wakes the helper; a full channel means a sync is already asked for, which covers this one too.
    wake: Option<std::sync::mpsc::SyncSender<()>>,
    helper: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl SyncingFile {
    fn new(temp: tempfile::NamedTempFile) -> SyncingFile {
        // Without a second handle (or a thread), the file is still synced once, at commit.
        let (wake, helper) = match temp.as_file().try_clone() {
            Ok(file) => {
                let (wake, asked) = std::sync::mpsc::sync_channel::<()>(1);
                let helper = std::thread::Builder::new()
                    .name("vow-sync".into())
                    .spawn(move || {
                        // The first failure is kept for commit, which then refuses to rename the file.
                        while asked.recv().is_ok() {
                            file.sync_data()?;
                        }
                        Ok(())
                    })
                    .ok();
                (helper.is_some().then_some(wake), helper)
            }
            Err(_) => (None, None),
        };
        SyncingFile {
            temp,
            since_sync: 0,
            syncs_asked: 0,
            wake,
            helper,
        }
    }

    /// Stops the helper and returns the file, or the error a sync in the background met.
    fn finish(mut self) -> std::io::Result<tempfile::NamedTempFile> {
        self.wake = None;
        if let Some(helper) = self.helper.take() {
            helper
                .join()
                .map_err(|_| std::io::Error::other("the thread syncing the file stopped"))??;
        }
        Ok(self.temp)
    }
}

impl Write for SyncingFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.temp.write(buf)?;
        self.since_sync += n as u64;
        if self.since_sync >= SYNC_EVERY {
            self.since_sync = 0;
            if let Some(wake) = &self.wake {
                // Full: a sync is pending and will take these bytes too. Disconnected: the helper met
                // an error, which `finish` reports.
                if wake.try_send(()).is_ok() {
                    self.syncs_asked += 1;
                }
            }
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.temp.flush()
    }
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
            temp: std::io::BufWriter::with_capacity(1 << 20, SyncingFile::new(temp)),
        })
    }

    /// The writer to stream into.
    pub fn writer(&mut self) -> &mut std::io::BufWriter<SyncingFile> {
        &mut self.temp
    }

    /// Flushes, syncs and renames the file into place.
    pub fn commit(self) -> anyhow::Result<()> {
        let path = self.path;
        let temp = self
            .temp
            .into_inner()
            .map_err(|e| e.into_error())
            .and_then(SyncingFile::finish)
            .with_context(|| format!("cannot write {}", path.display()))?;
        temp.as_file()
            .sync_all()
            .with_context(|| format!("cannot write {}", path.display()))?;
        temp.persist(&path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_long_stream_is_synced_as_it_goes_and_appears_whole_only_at_commit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        let mut file = AtomicFile::create(&path).unwrap();
        let line: Vec<u8> = (0..=255u8).cycle().take(1 << 16).collect();
        let lines = (3 * SYNC_EVERY as usize + 1) / line.len() + 1;
        for _ in 0..lines {
            file.writer().write_all(&line).unwrap();
        }
        file.writer().flush().unwrap();
        assert!(
            // The first ask always finds the one-slot channel empty; later ones may find it full.
            file.writer().get_ref().syncs_asked >= 1,
            "{} syncs asked in the background for {} MiB",
            file.writer().get_ref().syncs_asked,
            (lines * line.len()) >> 20
        );
        assert!(
            !path.exists(),
            "the file is shown under its name before commit"
        );
        file.commit().unwrap();
        let written = std::fs::read(&path).unwrap();
        assert_eq!(written.len(), lines * line.len());
        assert!(written.chunks(line.len()).all(|c| c == line.as_slice()));
        assert_eq!(
            entries(dir.path()),
            ["out.txt"],
            "a temporary file is left beside it"
        );
    }

    #[test]
    fn a_stream_dropped_without_commit_leaves_nothing_and_the_old_file_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        std::fs::write(&path, b"the old file").unwrap();
        let mut file = AtomicFile::create(&path).unwrap();
        let chunk = vec![b'x'; 1 << 20];
        for _ in 0..(SYNC_EVERY >> 20) + 2 {
            file.writer().write_all(&chunk).unwrap();
        }
        drop(file);
        assert_eq!(std::fs::read(&path).unwrap(), b"the old file");
        assert_eq!(entries(dir.path()), ["out.txt"]);
    }
}
