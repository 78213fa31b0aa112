//! A one-request HTTPS client for the webhook's tests: trusts only the certificate it is given,
//! and presents a client certificate when asked (mutual TLS).

use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A client certificate and its key, as the API server presents to a webhook.
pub type Identity = (CertificateDer<'static>, PrivateKeyDer<'static>);

/// Send `request` (a whole HTTP/1.1 request, `Connection: close`) to `addr` over TLS, trusting
/// only `server_ca` for `server_name`, presenting `identity` if given. The status and body, or
/// how the exchange failed (the handshake, or the connection closed without an HTTP answer).
pub async fn exchange(
    addr: std::net::SocketAddr,
    server_ca: CertificateDer<'static>,
    server_name: &str,
    identity: Option<Identity>,
    request: &[u8],
) -> Result<(u16, Vec<u8>), String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(server_ca).map_err(|e| e.to_string())?;
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots);
    let config = match identity {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => builder
            .with_client_auth_cert(vec![cert], key)
            .map_err(|e| e.to_string())?,
    };
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let name = ServerName::try_from(server_name.to_string()).map_err(|e| e.to_string())?;
    let mut tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    // With TLS 1.3 the server judges the client's certificate after the client has finished its
    // handshake: a refusal shows as a failed write or read.
    tls.write_all(request)
        .await
        .map_err(|e| format!("write: {e}"))?;
    let mut out = Vec::new();
    if let Err(e) = tls.read_to_end(&mut out).await
        && out.is_empty()
    {
        return Err(format!("read: {e}"));
    }
    let text = String::from_utf8_lossy(&out).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| "no HTTP answer".to_string())?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.as_bytes().to_vec())
        .unwrap_or_default();
    Ok((status, body))
}
