//! The operator's plain-HTTP endpoints for the kubelet and Prometheus: `/healthz` (the process
//! answers), `/readyz` (the CRDs are established and the webhook serves), `/metrics`.
//! Deliberately tiny: three GET routes, bounded reads, a timeout per connection; no TLS (it is
//! not the webhook).

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

use crate::metrics::Metrics;

/// Largest request head read.
const MAX_REQUEST: usize = 8 * 1024;

/// What the endpoints report.
#[derive(Clone, Debug)]
pub struct Probes {
    /// Set once the CRDs are established, the webhook (if any) serves and the live index has
    /// listed every kind; a standby waiting for the Lease is ready too.
    pub ready: Arc<AtomicBool>,
    /// The metrics registry.
    pub metrics: Arc<Metrics>,
}

/// The response to one request line.
pub fn respond(request_line: &str, probes: &Probes) -> (u16, &'static str, String) {
    let mut parts = request_line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if method != "GET" {
        return (405, "text/plain", "method not allowed\n".into());
    }
    match path.split('?').next().unwrap_or("") {
        "/healthz" => (200, "text/plain", "ok\n".into()),
        "/readyz" if probes.ready.load(Ordering::Relaxed) => (200, "text/plain", "ready\n".into()),
        "/readyz" => (
            503,
            "text/plain",
            "waiting for the CRDs and the first list of every watched kind\n".into(),
        ),
        "/metrics" => (
            200,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            probes.metrics.render(),
        ),
        _ => (404, "text/plain", "not found\n".into()),
    }
}

async fn handle(mut stream: TcpStream, probes: Probes) -> std::io::Result<()> {
    let mut buf = vec![0u8; MAX_REQUEST];
    let mut len = 0;
    let read = async {
        loop {
            let n = stream.read(&mut buf[len..]).await?;
            len += n;
            if n == 0 || buf[..len].windows(4).any(|w| w == b"\r\n\r\n") || len == buf.len() {
                return Ok::<_, std::io::Error>(());
            }
        }
    };
    if tokio::time::timeout(Duration::from_secs(5), read)
        .await
        .is_err()
    {
        return Ok(());
    }
    let head = String::from_utf8_lossy(&buf[..len]);
    let line = head.lines().next().unwrap_or("");
    let (code, content_type, body) = respond(line, &probes);
    let reason = match code {
        200 => "OK",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Service Unavailable",
    };
    let response = format!(
        "HTTP/1.1 {code} {reason}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

/// Serve the endpoints on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, probes: Probes) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let probes = probes.clone();
        tokio::spawn(async move {
            if let Err(e) = handle(stream, probes).await {
                tracing::debug!(error = %e, "probe connection failed");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn health_readiness_and_metrics_over_loopback() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let probes = Probes {
            ready: Arc::new(AtomicBool::new(false)),
            metrics: Arc::new(Metrics::new()),
        };
        probes.metrics.reconciled("cloudtenancy", 0.01, None);
        let server = tokio::spawn(serve(listener, probes.clone()));
        let get = |path: &'static str| async move {
            let mut s = TcpStream::connect(addr).await.unwrap();
            s.write_all(format!("GET {path} HTTP/1.1\r\nhost: x\r\n\r\n").as_bytes())
                .await
                .unwrap();
            let mut out = String::new();
            s.read_to_string(&mut out).await.unwrap();
            out
        };
        assert!(get("/healthz").await.starts_with("HTTP/1.1 200 OK"));
        assert!(get("/readyz").await.starts_with("HTTP/1.1 503"));
        probes.ready.store(true, Ordering::Relaxed);
        assert!(get("/readyz").await.starts_with("HTTP/1.1 200 OK"));
        let metrics = get("/metrics").await;
        assert!(
            metrics.contains("govkh_reconciles_total{controller=\"cloudtenancy\"} 1"),
            "{metrics}"
        );
        assert!(get("/nope").await.starts_with("HTTP/1.1 404"));
        server.abort();
    }

    #[test]
    fn only_get_is_answered() {
        let probes = Probes {
            ready: Arc::new(AtomicBool::new(true)),
            metrics: Arc::new(Metrics::new()),
        };
        assert_eq!(respond("POST /healthz HTTP/1.1", &probes).0, 405);
        assert_eq!(respond("", &probes).0, 405);
    }
}
