//! Running the router on a listener: TLS (rustls) when given a certificate, the caps on connections,
//! the header deadlines, and the access log's checkpoints every second and at shutdown.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::conn;
use crate::limits::Limits;
use crate::routes::router;
use crate::state::AppState;

/// TLS settings: a PEM certificate chain and private key; `tls13_only` refuses TLS 1.2.
#[derive(Clone, Debug)]
pub struct Tls {
    pub cert: PathBuf,
    pub key: PathBuf,
    pub tls13_only: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("TLS: {0}")]
    Tls(String),
    #[error("listener: {0}")]
    Io(#[from] std::io::Error),
}

fn rustls_config(tls: &Tls) -> Result<axum_server::tls_rustls::RustlsConfig, ServeError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_file_iter(&tls.cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| ServeError::Tls(format!("certificate {}: {e}", tls.cert.display())))?;
    if certs.is_empty() {
        return Err(ServeError::Tls(format!(
            "certificate {}: no certificate in the file",
            tls.cert.display()
        )));
    }
    let key = PrivateKeyDer::from_pem_file(&tls.key)
        .map_err(|e| ServeError::Tls(format!("private key {}: {e}", tls.key.display())))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let versions: &[&rustls::SupportedProtocolVersion] = if tls.tls13_only {
        &[&rustls::version::TLS13]
    } else {
        rustls::DEFAULT_VERSIONS
    };
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .map_err(|e| ServeError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| ServeError::Tls(e.to_string()))?;
    // HTTP/1.1 only: hyper's HTTP/2 has no deadline for a connection that goes quiet after its first
    // request, so idle HTTP/2 connections could hold the connection cap for ever.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(axum_server::tls_rustls::RustlsConfig::from_config(
        Arc::new(config),
    ))
}

/// The server with every limit on its connections: the caps around `acceptor` (plain or TLS),
/// HTTP/1.1 only, and the header deadlines.
fn guarded<Acc>(
    server: axum_server::Server<SocketAddr>,
    acceptor: Acc,
    handle: axum_server::Handle<SocketAddr>,
    limits: Limits,
) -> axum_server::Server<SocketAddr, conn::Capped<Acc>> {
    let mut server = server
        .acceptor(conn::Capped::new(
            acceptor,
            limits.max_connections,
            limits.max_connections_per_address,
        ))
        .handle(handle)
        .http1_only()
        .first_request_timeout(limits.header_timeout);
    server
        .http_builder()
        .http1()
        .header_read_timeout(limits.header_timeout);
    server
}

/// Serves until `shutdown` resolves, then drains connections (up to 10 s) and writes a last
/// checkpoint of the access log.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    tls: Option<Tls>,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    listener.set_nonblocking(true)?;
    let app = router(state.clone(), limits).into_make_service_with_connect_info::<SocketAddr>();
    let handle = axum_server::Handle::new();
    let checkpoints = {
        let vault = Arc::clone(&state.vault);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                if let Err(error) = vault.checkpoint().await {
                    tracing::error!(%error, "could not write an access-log checkpoint");
                }
            }
        })
    };
    {
        let handle = handle.clone();
        tokio::spawn(async move {
            shutdown.await;
            handle.graceful_shutdown(Some(Duration::from_secs(10)));
        });
    }
    let served = match tls {
        Some(tls) => {
            let tls = axum_server::tls_rustls::RustlsAcceptor::new(rustls_config(&tls)?);
            guarded(axum_server::from_tcp(listener)?, tls, handle, limits)
                .serve(app)
                .await
        }
        None => {
            let plain = axum_server::accept::DefaultAcceptor;
            guarded(axum_server::from_tcp(listener)?, plain, handle, limits)
                .serve(app)
                .await
        }
    };
    checkpoints.abort();
    if let Err(error) = state.vault.checkpoint().await {
        tracing::error!(%error, "could not write the final access-log checkpoint");
    }
    Ok(served?)
}
