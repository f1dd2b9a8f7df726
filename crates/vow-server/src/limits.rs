//! The limits that protect the server from its clients.

use std::time::Duration;

/// Limits that protect the server from its clients.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub body_bytes: usize,
    /// From a request's headers to its answer, body included.
    pub request_timeout: Duration,
    /// A connection must deliver its first request's headers (and each later request's, once it
    /// starts one) within this time, or it is closed: slow senders cannot hold connections.
    pub header_timeout: Duration,
    /// Open connections at most; a connection beyond it is closed at once.
    pub max_connections: usize,
    /// Open connections from one source address at most (a NAT or proxy is one address).
    pub max_connections_per_address: usize,
    /// Longest path and query accepted.
    pub uri_bytes: usize,
    /// A streamed body (an upload) must keep arriving: a gap longer than this ends it with 408.
    pub body_idle: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body_bytes: 256 * 1024,
            request_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(5),
            max_connections: 4096,
            max_connections_per_address: 512,
            uri_bytes: 8 * 1024,
            body_idle: Duration::from_secs(10),
        }
    }
}
