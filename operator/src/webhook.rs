//! The validating admission webhook: `POST /validate` over HTTPS takes an `AdmissionReview`,
//! judges the object with the same evaluation core as `govkh check` and the audit
//! (`Evaluator::review`, with the request's `userInfo`, against the inventory of the last
//! audit), and answers: refused when a policy denies, with every denial's message and
//! articles; allowed with a warning per `warn` finding. A policy that fails at run time does
//! not refuse the request (it is reported as a warning and in the metrics): the operator must
//! not lock ministries out of their namespaces because of a bug in a policy.
//!
//! The handler (`admit`) is pure; `serve` adds TLS (rustls with ring, certificates re-read when
//! their files change, as Secret volumes do on rotation) and HTTP/1.1 (hyper).

use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, SystemTime},
};

use http_body_util::{BodyExt, Full, Limited};
use hyper::{Request, Response, body::Bytes, service::service_fn};
use hyper_util::rt::TokioIo;
use k8s_openapi::jiff::Timestamp;
use kube::core::{
    DynamicObject,
    admission::{AdmissionRequest, AdmissionResponse, AdmissionReview, Operation},
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
use tokio::net::TcpListener;

use crate::controller::Context;
use govkh_core::{
    evaluate::{Evaluator, Operation as ReviewOperation, Review},
    finding::{Action, Finding},
    policy::Library,
    summary::Snapshot,
};

/// Largest AdmissionReview read: an object and its old version, 1.5 MiB each, and the envelope.
pub const MAX_BODY: usize = 8 * 1024 * 1024;

/// The path the API server posts to.
pub const PATH: &str = "/validate";

/// What one review came to, for the metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdmissionOutcome {
    /// Allowed with no finding.
    Allowed,
    /// Allowed with warnings.
    Warned,
    /// Refused.
    Denied,
    /// Allowed without judging: no inventory has been read yet.
    NotJudged,
}

impl AdmissionOutcome {
    /// Its name as a metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            AdmissionOutcome::Allowed => "allowed",
            AdmissionOutcome::Warned => "warned",
            AdmissionOutcome::Denied => "denied",
            AdmissionOutcome::NotJudged => "not-judged",
        }
    }
}

fn line(f: &Finding) -> String {
    let mut s = format!("[{}] {}", f.policy, f.message);
    if !f.articles.is_empty() {
        s.push_str(&format!(" (Art. {}", f.articles.join(", ")));
        if let Some(p) = &f.penalty {
            s.push_str(&format!("; penalty Art. {}", p.article));
        }
        s.push(')');
    }
    s
}

fn operation(op: &Operation) -> ReviewOperation {
    match op {
        Operation::Create => ReviewOperation::Create,
        Operation::Update => ReviewOperation::Update,
        Operation::Delete => ReviewOperation::Delete,
        Operation::Connect => ReviewOperation::Connect,
    }
}

/// Judge one request (pure): the response and what it came to.
pub fn judge(
    req: &AdmissionRequest<DynamicObject>,
    snapshot: Option<&Snapshot>,
    policies: &Library,
    now: Timestamp,
) -> (AdmissionResponse, AdmissionOutcome) {
    let response = AdmissionResponse::from(req);
    let Some(snapshot) = snapshot else {
        let mut r = response;
        r.warnings = Some(vec![
            "govkh has not read the cluster yet: this request was not judged".into(),
        ]);
        return (r, AdmissionOutcome::NotJudged);
    };
    // A deletion carries only the object that goes.
    let Some(object) = req.object.as_ref().or(req.old_object.as_ref()) else {
        return (response, AdmissionOutcome::Allowed);
    };
    let to_json = |o: &DynamicObject| serde_json::to_value(o).unwrap_or_default();
    let review = Review {
        operation: operation(&req.operation),
        object: to_json(object),
        old_object: req.old_object.as_ref().map(to_json),
        user_info: serde_json::to_value(&req.user_info).ok(),
        source: None,
    };
    // The inventory converted by the audit serves every request of its day; after midnight
    // (Phnom Penh) approvals and grants may have changed state, so convert it anew.
    let evaluator = if snapshot.prepared.today == govkh_core::api::Day::in_phnom_penh(now) {
        Evaluator::with_prepared(&snapshot.inventory, policies, now, &snapshot.prepared)
    } else {
        Evaluator::new(&snapshot.inventory, policies, now, &snapshot.tenancies)
    };
    let findings = evaluator.review(&review);
    let denials: Vec<String> = findings
        .iter()
        .filter(|f| f.action == Action::Deny)
        .map(line)
        .collect();
    let warnings: Vec<String> = findings
        .iter()
        .filter(|f| matches!(f.action, Action::Warn | Action::Error))
        .map(line)
        .collect();
    let mut response = if denials.is_empty() {
        response
    } else {
        response.deny(format!(
            "refused under the Law on Digital Government: {}",
            denials.join("; ")
        ))
    };
    let outcome = if !denials.is_empty() {
        AdmissionOutcome::Denied
    } else if warnings.is_empty() {
        AdmissionOutcome::Allowed
    } else {
        AdmissionOutcome::Warned
    };
    if !warnings.is_empty() {
        response.warnings = Some(warnings);
    }
    (response, outcome)
}

/// Answer one AdmissionReview body (pure): the review to send back, or why the body is not
/// one (the server answers 400).
pub fn admit(
    body: &[u8],
    snapshot: Option<&Snapshot>,
    policies: &Library,
    now: Timestamp,
) -> Result<(AdmissionReview<DynamicObject>, AdmissionOutcome), String> {
    let review: AdmissionReview<DynamicObject> =
        serde_json::from_slice(body).map_err(|e| format!("not an AdmissionReview: {e}"))?;
    let req: AdmissionRequest<DynamicObject> = review
        .try_into()
        .map_err(|e| format!("AdmissionReview without a request: {e}"))?;
    let (response, outcome) = judge(&req, snapshot, policies, now);
    Ok((response.into_review(), outcome))
}

/// The certificate and key files the webhook serves.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    /// PEM certificate chain.
    pub cert: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
}

/// Build the TLS configuration from the files.
pub fn tls_config(files: &TlsFiles) -> Result<Arc<rustls::ServerConfig>, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| format!("{}: {e}", files.cert.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", files.cert.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no certificate", files.cert.display()));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|e| format!("{}: {e}", files.key.display()))?;
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(|e| format!("{} and {}: {e}", files.cert.display(), files.key.display()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn modified(files: &TlsFiles) -> Option<(SystemTime, SystemTime)> {
    let m = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    Some((m(&files.cert)?, m(&files.key)?))
}

fn reply(status: u16, content_type: &str, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK);
    if let Ok(v) = http::HeaderValue::from_str(content_type) {
        r.headers_mut().insert(http::header::CONTENT_TYPE, v);
    }
    r
}

async fn handle(
    req: Request<hyper::body::Incoming>,
    ctx: Arc<Context>,
    policies: Arc<Library>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    if req.uri().path() != PATH {
        return Ok(reply(404, "text/plain", b"not found\n".to_vec()));
    }
    if req.method() != http::Method::POST {
        return Ok(reply(405, "text/plain", b"POST only\n".to_vec()));
    }
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            return Ok(reply(
                413,
                "text/plain",
                format!("cannot read the request: {e}\n").into_bytes(),
            ));
        }
    };
    let snapshot = ctx.snapshot();
    match admit(&body, snapshot.as_deref(), &policies, (ctx.now)()) {
        Ok((review, outcome)) => {
            ctx.metrics.admitted(outcome.as_str());
            match serde_json::to_vec(&review) {
                Ok(json) => Ok(reply(200, "application/json", json)),
                Err(e) => Ok(reply(500, "text/plain", e.to_string().into_bytes())),
            }
        }
        Err(e) => {
            ctx.metrics.admitted("malformed");
            Ok(reply(400, "text/plain", format!("{e}\n").into_bytes()))
        }
    }
}

/// Serve the webhook on `listener` until the task is dropped. Fails at once if the certificate
/// cannot be loaded; later, changed files are re-read (a failed re-read keeps the old ones).
pub async fn serve(
    listener: TcpListener,
    files: TlsFiles,
    ctx: Arc<Context>,
    policies: Arc<Library>,
) -> Result<(), String> {
    let mut config = tls_config(&files)?;
    let mut loaded = modified(&files);
    tokio::spawn(async move {
        loop {
            let (stream, peer) = match listener.accept().await {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors, say: wait rather than spin.
                    tracing::warn!(error = %e, "webhook cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
            };
            let now = modified(&files);
            if now != loaded {
                match tls_config(&files) {
                    Ok(c) => {
                        tracing::info!("webhook certificate reloaded");
                        config = c;
                        loaded = now;
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot reload the webhook certificate"),
                }
            }
            let acceptor = tokio_rustls::TlsAcceptor::from(config.clone());
            let (ctx, policies) = (ctx.clone(), policies.clone());
            tokio::spawn(async move {
                // A slow or silent client cannot hold a connection for ever.
                let served = tokio::time::timeout(Duration::from_secs(60), async {
                    let tls = acceptor.accept(stream).await.map_err(|e| e.to_string())?;
                    let service = service_fn(move |req| handle(req, ctx.clone(), policies.clone()));
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), service)
                        .await
                        .map_err(|e| e.to_string())
                })
                .await;
                match served {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::debug!(%peer, error = %e, "webhook connection failed"),
                    Err(_) => tracing::debug!(%peer, "webhook connection timed out"),
                }
            });
        }
    });
    Ok(())
}
