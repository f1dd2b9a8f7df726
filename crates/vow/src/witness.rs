//! `--checkpoint-witness URL`: each signed checkpoint is POSTed as JSON to a service that keeps it
//! where the database's owner cannot rewrite it. Plain HTTP/1.1 only: a witness is a collector on
//! loopback or the local network, or a TLS-terminating proxy in front of one.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use vow_audit::{AuditError, Checkpoint};

/// How long one delivery may take before it counts as failed (the next checkpoint covers it).
const TIMEOUT: Duration = Duration::from_secs(2);

/// A parsed `http://host[:port][/path]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Witness {
    url: String,
    /// `host[:port]` as written, for the Host header.
    authority: String,
    host: String,
    port: u16,
    path: String,
}

impl Witness {
    /// For clap: the URL's shape is checked when vow starts, not at the first checkpoint.
    pub fn parse(url: &str) -> Result<Witness, String> {
        let Some(rest) = url.strip_prefix("http://") else {
            return Err(format!(
                "{url:?}: give an http:// URL (for HTTPS, put a TLS-terminating proxy on loopback in front of the witness)"
            ));
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let port_of = |text: &str| {
            text.parse::<u16>()
                .map_err(|_| format!("{url:?}: {text:?} is not a port number"))
        };
        let (host, port) = match authority.strip_prefix('[') {
            // [v6 address]:port
            Some(rest) => match rest.split_once(']') {
                Some((host, "")) => (host, 80),
                Some((host, after)) => match after.strip_prefix(':') {
                    Some(port) => (host, port_of(port)?),
                    None => return Err(format!("{url:?} is not a URL vow can post to")),
                },
                None => return Err(format!("{url:?} is not a URL vow can post to")),
            },
            None => match authority.split_once(':') {
                Some((host, port)) => (host, port_of(port)?),
                None => (authority, 80),
            },
        };
        if host.is_empty() || authority.contains('@') || path.contains(char::is_whitespace) {
            return Err(format!("{url:?} is not a URL vow can post to"));
        }
        Ok(Witness {
            url: url.to_string(),
            authority: authority.to_string(),
            host: host.to_string(),
            port,
            path: path.to_string(),
        })
    }

    /// The URL as given.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// POSTs one checkpoint as JSON; any answer but 2xx is a failure.
    pub fn send(&self, checkpoint: &Checkpoint) -> Result<(), AuditError> {
        let fail = |reason: String| AuditError::Witness {
            url: self.url.clone(),
            reason,
        };
        let body = serde_json::to_string(checkpoint).map_err(|e| fail(e.to_string()))?;
        let address = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| fail(e.to_string()))?
            .next()
            .ok_or_else(|| fail("the host has no address".to_string()))?;
        let mut stream =
            TcpStream::connect_timeout(&address, TIMEOUT).map_err(|e| fail(e.to_string()))?;
        stream
            .set_read_timeout(Some(TIMEOUT))
            .and_then(|()| stream.set_write_timeout(Some(TIMEOUT)))
            .map_err(|e| fail(e.to_string()))?;
        let request = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.path,
            self.authority,
            body.len()
        );
        stream
            .write_all(request.as_bytes())
            .map_err(|e| fail(e.to_string()))?;
        let mut head = [0u8; 64];
        let mut read = 0;
        while read < 12 {
            match stream.read(&mut head[read..]) {
                Ok(0) => break,
                Ok(n) => read += n,
                Err(e) => return Err(fail(e.to_string())),
            }
        }
        let status = std::str::from_utf8(&head[..read])
            .ok()
            .and_then(|line| line.split_whitespace().nth(1))
            .and_then(|code| code.parse::<u16>().ok());
        match status {
            Some(code) if (200..300).contains(&code) => Ok(()),
            Some(code) => Err(fail(format!("answered {code}"))),
            None => Err(fail("no HTTP answer".to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Witness;

    #[test]
    fn witness_urls_are_read_with_their_host_port_and_path() {
        let w =
            Witness::parse("http://127.0.0.1:9000/checkpoints").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (w.host.as_str(), w.port, w.path.as_str()),
            ("127.0.0.1", 9000, "/checkpoints")
        );
        let w = Witness::parse("http://collector").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (w.host.as_str(), w.port, w.path.as_str()),
            ("collector", 80, "/")
        );
        let w = Witness::parse("http://[::1]:81/w").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (w.host.as_str(), w.port, w.authority.as_str()),
            ("::1", 81, "[::1]:81")
        );
    }

    #[test]
    fn witness_urls_vow_cannot_post_to_are_refused_at_start() {
        for url in [
            "https://w.example/",
            "ftp://x",
            "http://:80/",
            "http://u:p@host/",
            "http://h:x/",
        ] {
            assert!(Witness::parse(url).is_err(), "{url}");
        }
        let https = Witness::parse("https://w.example/")
            .err()
            .unwrap_or_default();
        assert!(https.contains("TLS-terminating proxy"), "{https}");
    }
}
