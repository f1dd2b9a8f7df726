//! Standard output and colour as every subcommand uses them, the way ripgrep does it.
//!
//! A report written to standard output goes through [`stdout`], whose writes return errors instead of
//! panicking as `println!` does. When the reader goes away early (`vow scan … | head -1`), the write
//! fails with a broken pipe; `main` recognises it with [`is_closed_pipe`] and ends quietly with
//! success, since the reader got what it asked for. Colour (only the server's log has any) is used
//! only on a terminal and never when `NO_COLOR` is set.

use std::io::{self, IsTerminal, Write};

/// Standard output, buffered and locked for the life of the command. Call `flush()?` at the end: a
/// buffer flushed on drop would lose its error.
pub fn stdout() -> io::BufWriter<io::StdoutLock<'static>> {
    io::BufWriter::new(io::stdout().lock())
}

/// Writes `text` to standard output and flushes it; a failure (a closed pipe) is returned, not a panic.
pub fn print(text: impl std::fmt::Display) -> io::Result<()> {
    let mut out = io::stdout().lock();
    write!(out, "{text}")?;
    out.flush()
}

/// [`print`] with a line end.
pub fn println(text: impl std::fmt::Display) -> io::Result<()> {
    print(format_args!("{text}\n"))
}

/// Whether `error` (or anything it was caused by) is a write into a pipe whose reader is gone.
pub fn is_closed_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        let kind = if let Some(io) = cause.downcast_ref::<io::Error>() {
            Some(io.kind())
        } else if let Some(json) = cause.downcast_ref::<serde_json::Error>() {
            json.io_error_kind()
        } else if let Some(csv) = cause.downcast_ref::<csv::Error>() {
            match csv.kind() {
                csv::ErrorKind::Io(io) => Some(io.kind()),
                _ => None,
            }
        } else {
            None
        };
        kind == Some(io::ErrorKind::BrokenPipe)
    })
}

/// Whether to colour what goes to standard error: only on a terminal, and never with `NO_COLOR` set to
/// anything but the empty string (<https://no-color.org>).
pub fn colour_on_stderr() -> bool {
    colour(
        io::stderr().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    )
}

fn colour(terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
    terminal && no_color.is_none_or(|value| value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_and_never_with_no_color() {
        assert!(colour(true, None));
        assert!(!colour(false, None));
        assert!(!colour(true, Some("1".as_ref())));
        assert!(!colour(false, Some("1".as_ref())));
        // An empty NO_COLOR is as if unset.
        assert!(colour(true, Some("".as_ref())));
    }

    #[test]
    fn a_broken_pipe_is_found_under_any_context() {
        let error = anyhow::Error::new(io::Error::from(io::ErrorKind::BrokenPipe))
            .context("writing the report");
        assert!(is_closed_pipe(&error));
        let json = serde_json::Error::io(io::Error::from(io::ErrorKind::BrokenPipe));
        assert!(is_closed_pipe(&anyhow::Error::new(json).context("report")));
        let other = anyhow::Error::new(io::Error::from(io::ErrorKind::PermissionDenied));
        assert!(!is_closed_pipe(&other));
        assert!(!is_closed_pipe(&anyhow::anyhow!("broken pipe")));
    }
}
