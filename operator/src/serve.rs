//! The operator's plain-HTTP endpoints for the kubelet and Prometheus: `/healthz` (the process
//! answers), `/readyz` (the CRDs are established, the webhook serves and the live index has
//! listed every kind), `/metrics`. Three GET routes served by the same HTTP stack as the
//! webhook (hyper, HTTP/1.1), with the same connection discipline (`http`: keep-alive while
//! used, a bound on each request's head and on idleness, a graceful drain on shutdown) and a
//! pause after a failed accept instead of a spin; no TLS (it is not the webhook).

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use http_body_util::Full;
use hyper::body::Bytes;
use tokio::net::TcpListener;

use crate::{connections, metrics::Metrics};

/// Largest request head read.
const MAX_REQUEST: usize = 8 * 1024;

/// What the endpoints report.
#[derive(Clone)]
pub struct Probes {
    /// Set once the CRDs are established, the webhook (if any) serves and the live index has
    /// listed every kind; a standby waiting for the Lease is ready too.
    pub ready: Arc<AtomicBool>,
    /// The metrics registry.
    pub metrics: Arc<Metrics>,
    /// The live index: `/readyz` names the kinds it does not hold as the cluster has them.
    pub index: Arc<crate::index::Index>,
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
        "/readyz" => {
            let not_synced = probes.index.not_synced();
            match (probes.ready.load(Ordering::Relaxed), not_synced.is_empty()) {
                (true, true) => (200, "text/plain", "ready\n".into()),
                (true, false) => (
                    503,
                    "text/plain",
                    format!("not synced: {}\n", not_synced.join(", ")),
                ),
                (false, _) => (
                    503,
                    "text/plain",
                    format!(
                        "waiting for the CRDs and the first list of every watched kind{}\n",
                        if not_synced.is_empty() {
                            String::new()
                        } else {
                            format!(" (not synced: {})", not_synced.join(", "))
                        }
                    ),
                ),
            }
        }
        "/metrics" => (
            200,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
            probes.metrics.render(),
        ),
        _ => (404, "text/plain", "not found\n".into()),
    }
}

async fn handle(
    req: hyper::Request<hyper::body::Incoming>,
    probes: Probes,
) -> Result<hyper::Response<Full<Bytes>>, std::convert::Infallible> {
    let line = format!("{} {}", req.method(), req.uri().path());
    let (code, content_type, body) = respond(&line, &probes);
    let mut r = hyper::Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() =
        http::StatusCode::from_u16(code).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = http::HeaderValue::from_str(content_type) {
        r.headers_mut().insert(http::header::CONTENT_TYPE, v);
    }
    Ok(r)
}

/// Serve the endpoints on `listener` in a task of their own, until [`connections::Server::shutdown`].
pub fn serve(listener: TcpListener, probes: Probes) -> connections::Server {
    connections::Server::spawn(
        listener,
        connections::Drain::default(),
        move |stream, _, drain| {
            let (probes, drain) = (probes.clone(), drain.watch());
            async move {
                let service = hyper::service::service_fn(move |req| handle(req, probes.clone()));
                if let Err(e) = connections::serve_connection(
                    stream,
                    service,
                    MAX_REQUEST,
                    connections::HEAD_TIMEOUT,
                    drain,
                )
                .await
                {
                    tracing::debug!(error = %e, "probe connection failed");
                }
            }
        },
    )
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
            index: Arc::new(crate::index::Index::new()),
        };
        probes.metrics.reconciled("cloudtenancy", 0.01, None);
        let server = serve(listener, probes.clone());
        let get = |path: &'static str| async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
            s.write_all(
                format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").as_bytes(),
            )
            .await
            .unwrap();
            let mut out = String::new();
            s.read_to_string(&mut out).await.unwrap();
            out
        };
        assert!(get("/healthz").await.starts_with("HTTP/1.1 200 OK"));
        let waiting = get("/readyz").await;
        assert!(waiting.starts_with("HTTP/1.1 503"), "{waiting}");
        assert!(waiting.contains("Namespace (not listed yet)"), "{waiting}");
        for r in govkh_core::resources::RESOURCES {
            probes.index.mark_synced(r);
        }
        probes.ready.store(true, Ordering::Relaxed);
        assert!(get("/readyz").await.starts_with("HTTP/1.1 200 OK"));
        // A watch that keeps failing (RBAC changed): not ready, saying which kind and why.
        probes
            .index
            .set_failing("Secret", Some("403 Forbidden".into()));
        let failing = get("/readyz").await;
        assert!(failing.starts_with("HTTP/1.1 503"), "{failing}");
        assert!(
            failing.contains("not synced: Secret (watch failing: 403 Forbidden)"),
            "{failing}"
        );
        probes.index.set_failing("Secret", None);
        assert!(get("/readyz").await.starts_with("HTTP/1.1 200 OK"));
        let metrics = get("/metrics").await;
        assert!(
            metrics.contains("govkh_reconciles_total{controller=\"cloudtenancy\"} 1"),
            "{metrics}"
        );
        assert!(get("/nope").await.starts_with("HTTP/1.1 404"));
        server.shutdown().await;
        assert!(
            tokio::net::TcpStream::connect(addr).await.is_err(),
            "stopped"
        );
    }

    #[test]
    fn only_get_is_answered() {
        let probes = Probes {
            ready: Arc::new(AtomicBool::new(true)),
            metrics: Arc::new(Metrics::new()),
            index: Arc::new(crate::index::Index::new()),
        };
        assert_eq!(respond("POST /healthz HTTP/1.1", &probes).0, 405);
        assert_eq!(respond("", &probes).0, 405);
    }
}
