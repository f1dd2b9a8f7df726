//! What vow's test suites share, so that each does not keep a copy: the PostgreSQL a test runs
//! against. A dev-dependency only; nothing in the binary uses it.

use std::io::Write as _;

/// The PostgreSQL to test against (`VOW_TEST_DATABASE_URL`), or `None` when none is given: the test
/// is then skipped, and says so past libtest's capture, under the name of the thread it runs on
/// (libtest names it after the test). With `VOW_REQUIRE_POSTGRES=1`, as CI sets it, a missing URL
/// fails the test instead, so a PostgreSQL suite can never pass by not running.
pub fn postgres_url() -> Option<String> {
    let thread = std::thread::current();
    postgres_url_for(thread.name().unwrap_or("a test"))
}

/// [`postgres_url`], naming the skipped test `test` (for a test whose thread is not named after it).
pub fn postgres_url_for(test: &str) -> Option<String> {
    match std::env::var("VOW_TEST_DATABASE_URL") {
        Ok(url) => Some(url),
        Err(_) => {
            assert!(
                std::env::var("VOW_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "VOW_REQUIRE_POSTGRES=1 but VOW_TEST_DATABASE_URL is not set"
            );
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: {test} — set VOW_TEST_DATABASE_URL to run it against PostgreSQL"
            );
            None
        }
    }
}
