//! Caps on open connections: an acceptor that holds a permit for as long as its connection lives,
//! one from the global cap and one from its source address's, and closes a connection at once when
//! either is used up. A flood of idle or slow connections runs into a limit instead of exhausting
//! the process's file descriptors, and one address cannot take the whole cap from everyone else.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum_server::accept::Accept;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Wraps another acceptor (plain TCP or TLS) with the caps.
#[derive(Clone)]
pub struct Capped<A> {
    inner: A,
    permits: Arc<Semaphore>,
    per_address: Arc<PerAddress>,
}

impl<A> Capped<A> {
    pub fn new(inner: A, max_connections: usize, max_per_address: usize) -> Capped<A> {
        Capped {
            inner,
            permits: Arc::new(Semaphore::new(max_connections.max(1))),
            per_address: Arc::new(PerAddress {
                max: max_per_address.max(1),
                open: Mutex::default(),
            }),
        }
    }
}

/// Open connections per source address.
struct PerAddress {
    max: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

impl PerAddress {
    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, usize>> {
        match self.open.lock() {
            Ok(table) => table,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn take(self: &Arc<Self>, address: IpAddr) -> Option<AddressSlot> {
        let mut table = self.table();
        let open = table.entry(address).or_insert(0);
        if *open >= self.max {
            return None;
        }
        *open += 1;
        Some(AddressSlot {
            table: Arc::clone(self),
            address,
        })
    }
}

/// One connection's place in its address's count, given back when the connection ends.
struct AddressSlot {
    table: Arc<PerAddress>,
    address: IpAddr,
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut table = self.table.table();
        if let Some(open) = table.get_mut(&self.address) {
            *open = open.saturating_sub(1);
            if *open == 0 {
                table.remove(&self.address);
            }
        }
    }
}

fn refuse<T: Send + 'static>(
    why: &'static str,
) -> Pin<Box<dyn Future<Output = io::Result<T>> + Send>> {
    tracing::warn!("connection refused: {why}");
    Box::pin(std::future::ready(Err(io::Error::other(why))))
}

impl<A, S> Accept<TcpStream, S> for Capped<A>
where
    A: Accept<TcpStream, S>,
    A::Future: Send + 'static,
    A::Stream: Send + 'static,
    A::Service: Send + 'static,
{
    type Stream = Counted<A::Stream>;
    type Service = A::Service;
    type Future = Pin<Box<dyn Future<Output = io::Result<(Self::Stream, Self::Service)>> + Send>>;

    fn accept(&self, stream: TcpStream, service: S) -> Self::Future {
        // Dropping the stream on a refusal closes the connection.
        let Ok(permit) = Arc::clone(&self.permits).try_acquire_owned() else {
            return refuse("the connection limit is reached");
        };
        let slot = match stream.peer_addr() {
            Ok(peer) => match self.per_address.take(crate::limits::counted_as(peer.ip())) {
                Some(slot) => Some(slot),
                None => return refuse("the connection limit of one address is reached"),
            },
            Err(_) => None,
        };
        let accepted = self.inner.accept(stream, service);
        Box::pin(async move {
            let (stream, service) = accepted.await?;
            Ok((
                Counted {
                    stream,
                    _permit: permit,
                    _slot: slot,
                },
                service,
            ))
        })
    }
}

/// A connection's stream with the permits that count it.
pub struct Counted<S> {
    stream: S,
    _permit: OwnedSemaphorePermit,
    _slot: Option<AddressSlot>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Counted<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Counted<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}
