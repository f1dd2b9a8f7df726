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

/// Proxies whose `X-Forwarded-For` is believed (`vow serve --trusted-proxy`): a request from one of
/// them is taken to come from the address it names, so the access log, the lockouts and the rate
/// limits see the client and not the proxy. Anyone else's header is ignored: a client cannot name
/// its own address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

impl TrustedProxies {
    /// Parses `ADDR` or `ADDR/PREFIX` (IPv4 or IPv6) each.
    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<TrustedProxies, String> {
        let mut nets = Vec::new();
        for item in items {
            let item = item.as_ref().trim();
            let (address, prefix) = match item.split_once('/') {
                Some((address, prefix)) => (address, Some(prefix)),
                None => (item, None),
            };
            let address: IpAddr = address.parse().map_err(|_| {
                format!(
                    "--trusted-proxy {item:?} is not an address or a network (ADDR or ADDR/PREFIX)"
                )
            })?;
            let max = if address.is_ipv4() { 32 } else { 128 };
            let prefix = match prefix {
                Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(|| {
                    format!("--trusted-proxy {item:?}: the prefix must be 0 to {max}")
                })?,
                None => max,
            };
            nets.push((address, prefix));
        }
        Ok(TrustedProxies(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|&(net, prefix)| match (net, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        })
    }

    /// The client behind `peer`: `peer` itself unless it is trusted; then, reading
    /// `X-Forwarded-For` from the right, the first address that is not a trusted proxy (an
    /// unreadable entry stops the walk at the last trusted hop). An entry may carry a port, as
    /// some proxies write it (`192.0.2.1:5678`, `[2001:db8::1]:443`); the port is ignored.
    pub fn client(&self, peer: IpAddr, forwarded: &[&str]) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let mut client = peer;
        for hop in forwarded.iter().flat_map(|header| header.split(',')).rev() {
            match forwarded_address(hop) {
                Ok(address) => {
                    client = address;
                    if !self.trusts(address) {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        client
    }
}

/// One `X-Forwarded-For` entry's address: a bare address (`192.0.2.1`, `2001:db8::1`), or one with
/// its port (`192.0.2.1:5678`, `[2001:db8::1]:443`) or in brackets without one (`[2001:db8::1]`).
fn forwarded_address(hop: &str) -> Result<IpAddr, std::net::AddrParseError> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<std::net::SocketAddr>().map(|s| s.ip()))
        .or_else(|error| {
            hop.strip_prefix('[')
                .and_then(|rest| rest.strip_suffix(']'))
                .ok_or(error)
                .and_then(|inner| inner.parse::<std::net::Ipv6Addr>().map(IpAddr::V6))
        })
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
#[allow(clippy::unwrap_used)]
mod tests {
    use super::counted_as;
    use std::net::IpAddr;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or_else(|_| panic!("{text}"))
    }

    #[test]
    fn only_a_trusted_proxy_names_the_client_and_only_the_first_untrusted_hop_counts() {
        let trusted = super::TrustedProxies::parse(&["10.0.0.0/8", "2001:db8::1"]).unwrap();
        // A client's own header is ignored.
        assert_eq!(
            trusted.client(ip("203.0.113.7"), &["198.51.100.1"]),
            ip("203.0.113.7")
        );
        // The proxy names the client; a client-planted entry further left is not believed.
        assert_eq!(
            trusted.client(ip("10.1.2.3"), &["6.6.6.6, 203.0.113.7"]),
            ip("203.0.113.7")
        );
        // Two proxies in a row, in two headers.
        assert_eq!(
            trusted.client(ip("10.1.2.3"), &["203.0.113.7", "10.9.9.9"]),
            ip("203.0.113.7")
        );
        assert_eq!(
            trusted.client(ip("2001:db8::1"), &["2001:db8:5::9"]),
            ip("2001:db8:5::9")
        );
        // Garbage stops the walk at the last trusted hop; no header leaves the proxy.
        assert_eq!(
            trusted.client(ip("10.1.2.3"), &["not an address"]),
            ip("10.1.2.3")
        );
        assert_eq!(trusted.client(ip("10.1.2.3"), &[]), ip("10.1.2.3"));
        for bad in ["10.0.0.0/33", "proxy.internal", "::1/129", ""] {
            assert!(super::TrustedProxies::parse(&[bad]).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_forwarded_entry_with_a_port_names_its_address() {
        let trusted = super::TrustedProxies::parse(&["10.0.0.0/8", "2001:db8::1"]).unwrap();
        for (entry, client) in [
            ("203.0.113.7:5678", "203.0.113.7"),
            ("[2001:db8:5::9]:443", "2001:db8:5::9"),
            ("[2001:db8:5::9]", "2001:db8:5::9"),
            (" 203.0.113.7:1 ", "203.0.113.7"),
        ] {
            assert_eq!(
                trusted.client(ip("10.1.2.3"), &[entry]),
                ip(client),
                "{entry}"
            );
        }
        // A trusted hop written with its port is still trusted: the walk goes on past it.
        assert_eq!(
            trusted.client(ip("10.1.2.3"), &["203.0.113.7:5678, 10.9.9.9:80"]),
            ip("203.0.113.7")
        );
        assert_eq!(
            trusted.client(ip("2001:db8::1"), &["198.51.100.4, [2001:db8::1]:8443"]),
            ip("198.51.100.4")
        );
        // Still only from a trusted peer, and garbage still stops the walk.
        assert_eq!(
            trusted.client(ip("203.0.113.9"), &["198.51.100.1:80"]),
            ip("203.0.113.9")
        );
        for bad in [
            "203.0.113.7:port",
            "[203.0.113.7]",
            "[2001:db8::9",
            "2001:db8::9]:1",
        ] {
            assert_eq!(
                trusted.client(ip("10.1.2.3"), &[bad]),
                ip("10.1.2.3"),
                "{bad}"
            );
        }
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
