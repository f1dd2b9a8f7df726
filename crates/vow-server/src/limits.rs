//! The limits that protect the server from its clients.

use std::net::{IpAddr, Ipv6Addr};
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

/// What an address is counted as by the limits on one source (connections, failed
/// authentications, privacy-center codes): an IPv4 address itself, an IPv6 address by its /64.
/// A host is usually given a whole /64, so counting single IPv6 addresses would let one host
/// take 2^64 fresh counters.
pub(crate) fn counted_as(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::counted_as;
    use std::net::IpAddr;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or_else(|_| panic!("{text}"))
    }

    #[test]
    fn an_ipv6_host_is_counted_by_its_64_and_ipv4_by_itself() {
        assert_eq!(counted_as(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(
            counted_as(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")),
            counted_as(ip("2001:db8:1:2::7"))
        );
        assert_ne!(
            counted_as(ip("2001:db8:1:3::1")),
            counted_as(ip("2001:db8:1:2::1"))
        );
        assert_eq!(counted_as(ip("192.0.2.7")), ip("192.0.2.7"));
        assert_ne!(counted_as(ip("192.0.2.7")), counted_as(ip("192.0.2.8")));
        // An IPv4 address written as IPv6 is the IPv4 address.
        assert_eq!(counted_as(ip("::ffff:192.0.2.7")), ip("192.0.2.7"));
    }
}
