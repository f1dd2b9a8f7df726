//! The two backends: a connection, its migrations and transactions. What each capability does in
//! SQL lives beside the capability (`consent/sqlite.rs`, `consent/postgres.rs`, …).

pub(crate) mod postgres;
pub(crate) mod sqlite;
