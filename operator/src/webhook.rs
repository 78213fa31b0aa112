//! The validating admission webhook: `POST /validate` over HTTPS takes an `AdmissionReview`,
//! judges the object with the same evaluation core as `govkh check` and the audit
//! (`Evaluator::review`, with the request's `userInfo`, against the live index), and answers:
//! refused when a policy denies, with every denial's message and articles; allowed with a
//! warning per `warn` finding. A policy whose action is deny that fails at run time (an error,
//! its time or memory limit) refuses the request, naming the policy and the error: an object it
//! could not judge is not lawful for want of a verdict; a failing `warn` policy warns.
//!
//! The index follows the cluster by watch, but a request can outrun it (a claim that clones a
//! volume created a moment ago in the same `kubectl apply`). So before judging, `review` reads
//! through to the API server for every object the verdict depends on that the index does not
//! hold yet (`dependents::admission_needs`), within `READ_THROUGH_DEADLINE`; what cannot be
//! read refuses the request and says what could not be verified. Until the index has listed
//! every kind once, requests are refused too: there is nothing to judge them against.
//! Evaluation runs on blocking threads, at most one per core at a time.
//!
//! `judge` and `admit` are pure; `serve` adds TLS (rustls with ring, certificates re-read when
//! their files change, as Secret volumes do on rotation) and HTTP/1.1 (hyper).

use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, SystemTime},
};

use http_body_util::{BodyExt, Full, Limited};
use hyper::{Request, Response, body::Bytes, service::service_fn};
use k8s_openapi::jiff::Timestamp;
use kube::core::{
    DynamicObject,
    admission::{AdmissionRequest, AdmissionResponse, AdmissionReview, Operation},
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
use tokio::net::TcpListener;

use crate::{connections, context::Context};
use govkh_core::{
    admission::{self, Snapshot},
    evaluate::{Operation as ReviewOperation, Review},
    finding::Finding,
    policy::Library,
};

/// Largest AdmissionReview read: the API server's own limits bound what it sends — an object and
/// its old version of at most 1.5 MiB each (etcd's request limit, which the API server applies
/// to what it stores) — and the envelope (request, user, kind) beside them.
pub const MAX_BODY: usize = 3 * 1024 * 1024 + 256 * 1024;

/// How long one request may take to arrive whole, head and body: the API server gives up on a
/// webhook after its `timeoutSeconds`, at most 30 s; a client still sending after that is no
/// API server's.
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(30);

/// The path the API server posts to.
pub const PATH: &str = "/validate";

/// Largest request head read (the API server sends a few hundred bytes).
const MAX_HEAD: usize = 64 * 1024;

/// What one review came to, for the metrics (decided in the core's `admission`).
pub use govkh_core::admission::Outcome as AdmissionOutcome;

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
    let (response, outcome, _) = judge_with_findings(req, snapshot, policies, now);
    (response, outcome)
}

/// `judge`, with the findings that refused the request (its denials).
pub fn judge_with_findings(
    req: &AdmissionRequest<DynamicObject>,
    snapshot: Option<&Snapshot>,
    policies: &Library,
    now: Timestamp,
) -> (AdmissionResponse, AdmissionOutcome, Vec<Finding>) {
    // A deletion carries only the object that goes.
    let review = req
        .object
        .as_ref()
        .or(req.old_object.as_ref())
        .map(|object| Review {
            operation: operation(&req.operation),
            object: object_json(req, object),
            old_object: req.old_object.as_ref().map(|o| object_json(req, o)),
            user_info: serde_json::to_value(&req.user_info).ok(),
            source: None,
        });
    let decision = admission::decide(review.as_ref(), snapshot, policies, now);
    let mut response = AdmissionResponse::from(req);
    if let Some(reason) = decision.denial {
        response = response.deny(reason);
    }
    if !decision.warnings.is_empty() {
        response.warnings = Some(decision.warnings);
    }
    (response, decision.outcome, decision.denied)
}

/// The request of an AdmissionReview body.
fn request_of(body: &[u8]) -> Result<AdmissionRequest<DynamicObject>, Error> {
    let review: AdmissionReview<DynamicObject> = serde_json::from_slice(body)
        .map_err(|e| Error::Malformed(format!("not an AdmissionReview: {e}")))?;
    review
        .try_into()
        .map_err(|e| Error::Malformed(format!("AdmissionReview without a request: {e}")))
}

/// An object of a request as JSON, with the request's namespace when the object omits it (as
/// it may on create).
fn object_json(req: &AdmissionRequest<DynamicObject>, o: &DynamicObject) -> serde_json::Value {
    let mut v = serde_json::to_value(o).unwrap_or_default();
    if let (Some(ns), Some(meta)) = (
        req.namespace.as_deref(),
        v.get_mut("metadata")
            .and_then(serde_json::Value::as_object_mut),
    ) {
        meta.entry("namespace")
            .or_insert_with(|| serde_json::Value::from(ns));
    }
    v
}

/// Answer one AdmissionReview body (pure): the review to send back, or why the body is not
/// one (the server answers 400).
pub fn admit(
    body: &[u8],
    snapshot: Option<&Snapshot>,
    policies: &Library,
    now: Timestamp,
) -> Result<(AdmissionReview<DynamicObject>, AdmissionOutcome), Error> {
    let req = request_of(body)?;
    let (response, outcome) = judge(&req, snapshot, policies, now);
    Ok((response.into_review(), outcome))
}

/// How long admission may spend reading through to the API server: well below the webhook's
/// `timeoutSeconds` (10 s in the chart), so the answer is ours, not the API server's timeout.
pub const READ_THROUGH_DEADLINE: Duration = Duration::from_secs(3);

/// What admission needs beside the request: the index to judge against, the client to read
/// through with, the policies, and the pool that bounds evaluation to the cores.
pub struct Admission {
    /// The context: index, client, clock and metrics.
    pub ctx: Arc<Context>,
    /// The policies.
    pub policies: Arc<Library>,
    /// At most this many evaluations at once (one per core): CPU-bound work stays off the async
    /// workers and cannot queue without bound.
    pub pool: Arc<tokio::sync::Semaphore>,
    /// The deadline for reads through and for a place in the pool.
    pub deadline: Duration,
    /// Whether each refusal also emits an Event (`PolicyViolation`, on the request's
    /// namespace): a trace for `kubectl get events`, published off the answer's path.
    pub events: bool,
}

impl Admission {
    /// Admission on `ctx` with one evaluation slot per core.
    pub fn new(ctx: Arc<Context>, policies: Arc<Library>) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Admission {
            ctx,
            policies,
            pool: Arc::new(tokio::sync::Semaphore::new(cores)),
            deadline: READ_THROUGH_DEADLINE,
            events: true,
        }
    }

    /// Answer one AdmissionReview body: read through for what the index lacks, then judge on
    /// the pool. `Err` when the body is not an AdmissionReview (the server answers 400).
    pub async fn review(
        &self,
        body: &[u8],
    ) -> Result<(AdmissionReview<DynamicObject>, AdmissionOutcome), Error> {
        let started = tokio::time::Instant::now();
        let now = (self.ctx.now)();
        // Parsing a body of up to MAX_BODY, and computing the policies' context when it has
        // changed, are CPU work: done on the blocking pool, off the runtime's workers that
        // renew the Lease and answer the probes.
        let index = self.ctx.index.clone();
        let body = body.to_vec();
        let (req, snapshot) = tokio::task::spawn_blocking(move || {
            let req = request_of(&body)?;
            let snapshot = index.is_synced().then(|| index.snapshot(now));
            Ok::<_, Error>((req, snapshot))
        })
        .await
        .map_err(|e| Error::Evaluation(e.to_string()))??;
        // A dry run changes nothing, so its review has no side effect either: no read through
        // to the API server, no Event, no refusal counted (`sideEffects: None`).
        let dry_run = req.dry_run;
        let snapshot = match (snapshot, req.object.as_ref().or(req.old_object.as_ref())) {
            (Some(snap), Some(object)) if !dry_run => {
                let object = object_json(&req, object);
                match self.read_through(&snap, &object, started).await {
                    Ok(None) => Some(snap),
                    Ok(Some(extended)) => Some(Arc::new(extended)),
                    Err(unverified) => {
                        let response = AdmissionResponse::from(&req).deny(format!(
                            "refused under the Law on Digital Government: govkh could not verify {unverified}, on which the verdict depends; retry when the API server answers"
                        ));
                        return Ok((response.into_review(), AdmissionOutcome::Unverified));
                    }
                }
            }
            (snap, _) => snap,
        };
        let left = self.deadline.saturating_sub(started.elapsed());
        let Ok(Ok(permit)) = tokio::time::timeout(left, self.pool.clone().acquire_owned()).await
        else {
            let response = AdmissionResponse::from(&req)
                .deny("govkh is too busy to judge this request in time: retry");
            return Ok((response.into_review(), AdmissionOutcome::Unverified));
        };
        let policies = self.policies.clone();
        let judged = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let (response, outcome, denials) =
                judge_with_findings(&req, snapshot.as_deref(), &policies, now);
            (response, outcome, denials, req)
        })
        .await
        .map_err(|e| Error::Evaluation(e.to_string()))?;
        let (response, outcome, denials, req) = judged;
        if outcome == AdmissionOutcome::Denied && !dry_run {
            self.refused(&req, &denials, now);
        }
        Ok((response.into_review(), outcome))
    }

    /// A refusal leaves a trace: counted for each ministry concerned, and an Event on the
    /// request's namespace (the object itself when it has none) naming the policies, the
    /// articles and the user. The Event is published on its own task: the answer never waits
    /// for it, and a failure to publish is logged, never a reason to change the answer.
    fn refused(&self, req: &AdmissionRequest<DynamicObject>, denials: &[Finding], now: Timestamp) {
        let ministries: std::collections::BTreeSet<&str> = denials
            .iter()
            .filter_map(|f| f.ministry.as_deref())
            .collect();
        for m in ministries {
            self.ctx.index.count_refusal(m, now);
        }
        if !self.events {
            return;
        }
        // The user name comes from the authenticator: shown, never obeyed by a terminal.
        let user = govkh_core::printable::printable(
            req.user_info
                .username
                .as_deref()
                .unwrap_or("an unknown user"),
        );
        let what = format!(
            "{} {}/{}",
            operation(&req.operation).as_str().to_lowercase(),
            req.kind.kind,
            req.name
        );
        let reasons: Vec<String> = denials
            .iter()
            .map(|f| {
                format!(
                    "[{}] Art. {}",
                    f.policy,
                    govkh_core::audit::sort_articles(f.articles.clone()).join(", ")
                )
            })
            .collect();
        let note = format!(
            "{user}: {what} refused under the Law on Digital Government: {}",
            reasons.join("; ")
        );
        let reference = match req.namespace.as_deref().filter(|n| !n.is_empty()) {
            Some(ns) => k8s_openapi::api::core::v1::ObjectReference {
                api_version: Some("v1".into()),
                kind: Some("Namespace".into()),
                name: Some(ns.to_string()),
                namespace: Some(ns.to_string()),
                ..Default::default()
            },
            None => k8s_openapi::api::core::v1::ObjectReference {
                api_version: Some(if req.kind.group.is_empty() {
                    req.kind.version.clone()
                } else {
                    format!("{}/{}", req.kind.group, req.kind.version)
                }),
                kind: Some(req.kind.kind.clone()),
                name: Some(req.name.clone()),
                ..Default::default()
            },
        };
        let ctx = self.ctx.clone();
        tokio::spawn(async move {
            ctx.refusal_event(&reference, &note).await;
        });
    }

    /// Fetch from the API server what the verdict on `object` depends on and `snap` lacks.
    /// `Ok(None)`: nothing was missing; `Ok(Some)`: the snapshot with what was fetched (an
    /// object that does not exist is simply absent); `Err`: what could not be read.
    async fn read_through(
        &self,
        snap: &Snapshot,
        object: &serde_json::Value,
        started: tokio::time::Instant,
    ) -> Result<Option<Snapshot>, String> {
        // Only names an object can have are looked for: one that cannot exist is absent, and
        // the path of a GET is never built from text a request made up.
        let missing: Vec<_> = govkh_core::dependents::admission_needs(object)
            .into_iter()
            .filter(|n| {
                valid_name(&n.name)
                    && n.namespace.as_deref().is_none_or(valid_namespace)
                    && !snap
                        .inventory
                        .holds(n.api_version, n.kind, n.namespace.as_deref(), &n.name)
            })
            .collect();
        if missing.is_empty() {
            return Ok(None);
        }
        let mut fetched = Vec::new();
        for need in &missing {
            let what = match &need.namespace {
                Some(ns) => format!("{} {ns}/{}", need.kind, need.name),
                None => format!("{} {}", need.kind, need.name),
            };
            let Some(r) = crate::index::resource_of_kind(need.api_version, need.kind) else {
                return Err(format!("{what} (a kind govkh does not read)"));
            };
            let gvk = kube::core::GroupVersionKind::gvk(r.group, r.version, r.kind);
            let ar = kube::core::ApiResource::from_gvk_with_plural(&gvk, r.plural);
            let api: kube::Api<DynamicObject> = match &need.namespace {
                Some(ns) => kube::Api::namespaced_with(self.ctx.client.clone(), ns, &ar),
                None => kube::Api::all_with(self.ctx.client.clone(), &ar),
            };
            let left = self.deadline.saturating_sub(started.elapsed());
            match tokio::time::timeout(left, api.get_opt(&need.name)).await {
                Ok(Ok(Some(o))) => {
                    let v = serde_json::to_value(o).map_err(|e| format!("{what} ({e})"))?;
                    fetched.push((r, v));
                }
                Ok(Ok(None)) => {}
                // A kind whose CRD is not installed has no such object.
                Ok(Err(kube::Error::Api(s))) if s.code == 404 && r.optional => {}
                Ok(Err(e)) => return Err(format!("{what} ({})", crate::controller::api_error(&e))),
                Err(_) => {
                    return Err(format!(
                        "{what} (no answer within {} ms)",
                        self.deadline.as_millis()
                    ));
                }
            }
        }
        self.ctx.metrics.read_through(fetched.len());
        if fetched.is_empty() {
            return Ok(None);
        }
        let mut inventory = (*snap.inventory).clone();
        for (r, v) in fetched {
            match self.ctx.index.decode(r, v) {
                Ok(loaded) => inventory.upsert(Arc::new(loaded)),
                Err(e) => return Err(format!("{} ({})", e.object.unwrap_or_default(), e.message)),
            }
        }
        Ok(Some(Snapshot::of(snap.at, Arc::new(inventory))))
    }
}

/// Whether `name` can be an object's name: a DNS subdomain (lower-case letters, digits, `-` and
/// `.`, at most 253 characters), the widest of Kubernetes' name rules.
fn valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 253
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-' || *c == b'.')
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
}

/// Whether `name` can be a namespace's name: a DNS label (at most 63 characters, no `.`).
fn valid_namespace(name: &str) -> bool {
    name.len() <= 63 && !name.contains('.') && valid_name(name)
}

/// Why the webhook cannot serve, or a request cannot be answered.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The body is not an AdmissionReview with a request (the server answers 400).
    #[error("{0}")]
    Malformed(String),
    /// A certificate or key file cannot be read or holds nothing usable.
    #[error("{file}: {message}")]
    Certificate {
        /// The file.
        file: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The certificate and key do not make a TLS configuration.
    #[error("{cert} and {key}: {source}")]
    Tls {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// rustls's reason.
        source: rustls::Error,
    },
    /// The evaluation thread failed.
    #[error("the evaluation failed: {0}")]
    Evaluation(String),
}

/// The certificate and key files the webhook serves.
#[derive(Clone, Debug)]
pub struct TlsFiles {
    /// PEM certificate chain.
    pub cert: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
    /// PEM certificate(s) of the CA that signs the API server's client certificate: when given,
    /// only a client presenting a certificate it signed is served (mutual TLS), so nobody else
    /// who can reach the port can post reviews.
    pub client_ca: Option<PathBuf>,
}

/// Build the TLS configuration from the files.
pub fn tls_config(files: &TlsFiles) -> Result<Arc<rustls::ServerConfig>, Error> {
    let bad = |file: &Path, message: String| Error::Certificate {
        file: file.to_path_buf(),
        message,
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| bad(&files.cert, e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| bad(&files.cert, e.to_string()))?;
    if certs.is_empty() {
        return Err(bad(&files.cert, "no certificate".into()));
    }
    let key =
        PrivateKeyDer::from_pem_file(&files.key).map_err(|e| bad(&files.key, e.to_string()))?;
    let tls = |source: rustls::Error| Error::Tls {
        cert: files.cert.clone(),
        key: files.key.clone(),
        source,
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(tls)?;
    let builder = match &files.client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            for c in CertificateDer::pem_file_iter(ca).map_err(|e| bad(ca, e.to_string()))? {
                roots
                    .add(c.map_err(|e| bad(ca, e.to_string()))?)
                    .map_err(|e| bad(ca, e.to_string()))?;
            }
            if roots.is_empty() {
                return Err(bad(ca, "no CA certificate".into()));
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .map_err(|e| bad(ca, e.to_string()))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder.with_single_cert(certs, key).map_err(tls)?;
    // HTTP/1.1 only, as controller-runtime's, knative's and operator-framework's webhook servers
    // by default since the HTTP/2 Rapid Reset and stream-cancellation advisories
    // (CVE-2023-44487, kubernetes/kubernetes#121197); HTTP/2 would also pin all of the API
    // server's admission traffic to one replica, over its one multiplexed connection.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn modified(files: &TlsFiles) -> Option<(SystemTime, SystemTime, Option<SystemTime>)> {
    let m = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    Some((
        m(&files.cert)?,
        m(&files.key)?,
        files.client_ca.as_deref().and_then(m),
    ))
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
    admission: Arc<Admission>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    if req.uri().path() != PATH {
        return Ok(reply(404, "text/plain", b"not found\n".to_vec()));
    }
    if req.method() != http::Method::POST {
        return Ok(reply(405, "text/plain", b"POST only\n".to_vec()));
    }
    let body = match tokio::time::timeout(
        REQUEST_DEADLINE,
        Limited::new(req.into_body(), MAX_BODY).collect(),
    )
    .await
    {
        Ok(Ok(b)) => b.to_bytes(),
        Ok(Err(e)) => {
            return Ok(reply(
                413,
                "text/plain",
                format!("cannot read the request: {e}\n").into_bytes(),
            ));
        }
        Err(_) => {
            return Ok(reply(
                408,
                "text/plain",
                format!(
                    "the request did not arrive within {} s\n",
                    REQUEST_DEADLINE.as_secs()
                )
                .into_bytes(),
            ));
        }
    };
    let started = std::time::Instant::now();
    match admission.review(&body).await {
        Ok((review, outcome)) => {
            let ctx = &admission.ctx;
            ctx.metrics.admitted(outcome.as_str());
            ctx.metrics.admission_took(started.elapsed().as_secs_f64());
            match serde_json::to_vec(&review) {
                Ok(json) => Ok(reply(200, "application/json", json)),
                Err(e) => Ok(reply(500, "text/plain", e.to_string().into_bytes())),
            }
        }
        Err(e) => {
            admission.ctx.metrics.admitted("malformed");
            Ok(reply(400, "text/plain", format!("{e}\n").into_bytes()))
        }
    }
}

/// Serve the webhook on `listener` in a task of its own, until [`connections::Server::shutdown`]
/// (which lets the requests in flight be answered). Fails at once if the certificate cannot be
/// loaded. Later, changed files are re-read at the next connection (a failed re-read keeps the
/// old ones), and the connections opened under the old certificate drain: each answers what it
/// has in flight, then closes, and the API server reconnects under the new one.
pub async fn serve(
    listener: TcpListener,
    files: TlsFiles,
    admission: Arc<Admission>,
) -> Result<connections::Server, Error> {
    let mut config = tls_config(&files)?;
    let mut loaded = modified(&files);
    Ok(connections::Server::spawn(
        listener,
        connections::Drain::default(),
        move |stream, peer, drain| {
            let now = modified(&files);
            if now != loaded {
                match tls_config(&files) {
                    Ok(c) => {
                        tracing::info!("webhook certificate reloaded");
                        config = c;
                        loaded = now;
                        drain.drain();
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot reload the webhook certificate"),
                }
            }
            let acceptor = tokio_rustls::TlsAcceptor::from(config.clone());
            let (admission, drain) = (admission.clone(), drain.watch());
            async move {
                // A client that never finishes its handshake cannot hold a connection.
                let tls = match tokio::time::timeout(
                    connections::HANDSHAKE_TIMEOUT,
                    acceptor.accept(stream),
                )
                .await
                {
                    Ok(Ok(tls)) => tls,
                    Ok(Err(e)) => {
                        tracing::debug!(%peer, error = %e, "webhook TLS handshake failed");
                        return;
                    }
                    Err(_) => {
                        tracing::debug!(%peer, "webhook TLS handshake timed out");
                        return;
                    }
                };
                let service = service_fn(move |req| handle(req, admission.clone()));
                if let Err(e) = connections::serve_connection(
                    tls,
                    service,
                    MAX_HEAD,
                    connections::HEAD_TIMEOUT,
                    drain,
                )
                .await
                {
                    tracing::debug!(%peer, error = %e, "webhook connection failed");
                }
            }
        },
    ))
}

#[cfg(test)]
mod name_tests {
    use super::*;

    #[test]
    fn only_names_an_object_can_have_are_looked_for() {
        for ok in ["registry-data", "a", "db.v1", "x".repeat(253).as_str()] {
            assert!(valid_name(ok), "{ok}");
        }
        for bad in [
            "",
            "../secrets",
            "a/b",
            "Upper",
            "-a",
            "a-",
            "a?b=c",
            &"x".repeat(254),
        ] {
            assert!(!valid_name(bad), "{bad}");
        }
        assert!(valid_namespace("mef-tax"));
        assert!(!valid_namespace("mef.tax") && !valid_namespace(&"n".repeat(64)));
    }
}
