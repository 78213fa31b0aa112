//! The admission webhook: the handler on the examples' inventory (the same core as `check`),
//! and the server over real TLS with a certificate made for the test, including rotation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::{path::PathBuf, sync::Arc};

use common::tls::Identity;
use govkh::{
    context::Context,
    webhook::{self, AdmissionOutcome, TlsFiles},
};
use govkh_core::{admission::Snapshot, evaluate::evaluate_loaded, policy::Library};
use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

const NOW: &str = "2026-11-26T03:00:00Z";

fn snapshot() -> Snapshot {
    let loaded = common::examples();
    let lib = Library::builtin().unwrap();
    let (inventory, eval, problems) = evaluate_loaded(loaded, &lib, NOW.parse().unwrap());
    assert_eq!(problems, 0);
    Snapshot::new(
        NOW.parse().unwrap(),
        std::sync::Arc::new(inventory),
        eval.tenancies,
    )
}

fn review(operation: &str, object: Value, groups: &[&str]) -> Vec<u8> {
    common::admission_review(
        "705ab4f5-6393-11e8-b7cc-42010a800002",
        "sok@moeys.gov.kh",
        operation,
        &object,
        groups,
    )
}

fn ingress(namespace: &str, host: &str) -> Value {
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": "site", "namespace": namespace},
        "spec": {"rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix",
            "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}})
}

fn approval() -> Value {
    json!({"apiVersion": "digital.gov.kh/v1alpha1", "kind": "Approval", "metadata": {"name": "moeys-self-approved"},
        "spec": {"subject": {"kind": "CloudTenancy", "name": "moeys-elearning"}, "article": "10",
                 "request": {"requestedOn": "2026-05-28", "requestedBy": "dtu@moeys.gov.kh", "document": "MOEYS/1"},
                 "decision": {"verdict": "Approved", "decidedOn": "2026-11-20", "document": "X", "reviewer": "MoEYS"}}})
}

fn judge(body: &[u8], snapshot: Option<&Snapshot>) -> (Value, AdmissionOutcome) {
    let lib = Library::builtin().unwrap();
    let (review, outcome) = webhook::admit(body, snapshot, &lib, NOW.parse().unwrap()).unwrap();
    (serde_json::to_value(review).unwrap(), outcome)
}

#[test]
fn a_site_outside_the_ministrys_domain_is_refused_naming_the_articles() {
    let s = snapshot();
    let (r, outcome) = judge(
        &review(
            "CREATE",
            ingress("moeys-elearning", "elearning-moeys.example.com"),
            &[],
        ),
        Some(&s),
    );
    assert_eq!(outcome, AdmissionOutcome::Denied);
    let response = &r["response"];
    assert_eq!(response["uid"], "705ab4f5-6393-11e8-b7cc-42010a800002");
    assert_eq!(response["allowed"], false);
    let message = response["status"]["message"].as_str().unwrap();
    assert!(
        message.contains("[official-domain]")
            && message.contains("Art. 20, 21")
            && message.contains("penalty Art. 38"),
        "{message}"
    );
}

#[test]
fn the_same_site_on_the_ministrys_domain_is_allowed() {
    let s = snapshot();
    let (r, outcome) = judge(
        &review(
            "CREATE",
            ingress("moeys-elearning", "elearning.moeys.gov.kh"),
            &[],
        ),
        Some(&s),
    );
    assert_eq!(r["response"]["allowed"], true, "{r}");
    assert_eq!(outcome, AdmissionOutcome::Allowed);
}

#[test]
fn only_the_committee_writes_approvals() {
    let s = snapshot();
    let (r, outcome) = judge(&review("CREATE", approval(), &["moeys-dtu"]), Some(&s));
    assert_eq!(outcome, AdmissionOutcome::Denied);
    let message = r["response"]["status"]["message"].as_str().unwrap();
    assert!(
        message.contains("[approval-authority]") && message.contains("sok@moeys.gov.kh"),
        "{message}"
    );
    let (r, outcome) = judge(
        &review("CREATE", approval(), &["digital-government-committee"]),
        Some(&s),
    );
    assert_eq!(outcome, AdmissionOutcome::Allowed, "{r}");
}

#[test]
fn before_the_index_has_listed_the_cluster_requests_are_refused() {
    let (r, outcome) = judge(
        &review(
            "CREATE",
            ingress("moeys-elearning", "elearning.moeys.gov.kh"),
            &[],
        ),
        None,
    );
    assert_eq!(outcome, AdmissionOutcome::NotJudged);
    assert_eq!(r["response"]["allowed"], false, "fail closed: {r}");
    assert!(
        r["response"]["status"]["message"]
            .as_str()
            .unwrap()
            .contains("has not finished reading the cluster"),
        "{r}"
    );
}

#[test]
fn a_body_that_is_not_an_admission_review_is_an_error() {
    let lib = Library::builtin().unwrap();
    let now: Timestamp = NOW.parse().unwrap();
    let err = webhook::admit(b"{\"kind\": 3", None, &lib, now).unwrap_err();
    assert!(err.to_string().contains("not an AdmissionReview"), "{err}");
    let err = webhook::admit(
        br#"{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}"#,
        None,
        &lib,
        now,
    )
    .unwrap_err();
    assert!(err.to_string().contains("without a request"), "{err}");
}

// ---- over TLS ----

/// A self-signed certificate for `localhost`, written as PEM files; returns its DER too.
fn certificate(dir: &std::path::Path) -> (TlsFiles, Vec<u8>) {
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    let cert = params.self_signed(&key).unwrap();
    let files = TlsFiles {
        cert: dir.join("tls.crt"),
        key: dir.join("tls.key"),
        client_ca: None,
    };
    std::fs::write(&files.cert, cert.pem()).unwrap();
    std::fs::write(&files.key, key.serialize_pem()).unwrap();
    (files, cert.der().to_vec())
}

/// One HTTPS request to `addr`, trusting only `ca`; returns the status and body.
async fn https(
    addr: std::net::SocketAddr,
    ca: &[u8],
    method: &str,
    path: &str,
    body: &[u8],
) -> (u16, Vec<u8>) {
    https_as(addr, ca, None, method, path, body).await.unwrap()
}

/// One HTTPS request, presenting `identity` if given; `Err` says how the exchange failed.
async fn https_as(
    addr: std::net::SocketAddr,
    ca: &[u8],
    identity: Option<Identity>,
    method: &str,
    path: &str,
    body: &[u8],
) -> Result<(u16, Vec<u8>), String> {
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    let ca = rustls::pki_types::CertificateDer::from(ca.to_vec());
    common::tls::exchange(addr, ca, "localhost", identity, &request).await
}

async fn server(files: TlsFiles) -> (std::net::SocketAddr, Arc<Context>) {
    let client = common::offline_client();
    let now: Timestamp = NOW.parse().unwrap();
    let ctx = Arc::new(
        Context::new(client, Arc::new(move || now))
            .with_index(common::index_of(&common::examples_in_cluster())),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let admission = webhook::Admission::new(ctx.clone(), Arc::new(Library::builtin().unwrap()));
    webhook::serve(listener, files, Arc::new(admission))
        .await
        .unwrap();
    (addr, ctx)
}

fn tempdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("govkh-webhook-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[tokio::test]
async fn the_api_server_gets_a_refusal_over_tls_and_the_metrics_count_it() {
    let dir = tempdir("serve");
    let (files, ca) = certificate(&dir);
    let (addr, ctx) = server(files).await;
    let body = review(
        "CREATE",
        ingress("moeys-elearning", "elearning-moeys.example.com"),
        &[],
    );
    let (status, out) = https(addr, &ca, "POST", "/validate", &body).await;
    assert_eq!(status, 200);
    let r: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(r["kind"], "AdmissionReview");
    assert_eq!(r["response"]["allowed"], false);
    assert_eq!(
        https(addr, &ca, "POST", "/validate", b"nonsense").await.0,
        400
    );
    assert_eq!(https(addr, &ca, "GET", "/validate", b"").await.0, 405);
    assert_eq!(https(addr, &ca, "POST", "/other", b"").await.0, 404);
    let metrics = ctx.metrics.render();
    assert!(
        metrics.contains("govkh_admission_reviews_total{result=\"denied\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("govkh_admission_reviews_total{result=\"malformed\"} 1"));
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_rotated_certificate_is_served_without_a_restart() {
    let dir = tempdir("rotate");
    let (files, first) = certificate(&dir);
    let (addr, _ctx) = server(files).await;
    let body = review(
        "CREATE",
        ingress("moeys-elearning", "elearning.moeys.gov.kh"),
        &[],
    );
    assert_eq!(https(addr, &first, "POST", "/validate", &body).await.0, 200);
    // Secret volumes are updated by replacing the files; make sure the mtime moves.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let (_, second) = certificate(&dir);
    assert_ne!(first, second);
    assert_eq!(
        https(addr, &second, "POST", "/validate", &body).await.0,
        200
    );
    std::fs::remove_dir_all(dir).unwrap();
}

/// A certificate authority, and a client certificate it signed.
fn client_ca(dir: &std::path::Path, name: &str) -> (PathBuf, Identity) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, format!("{name} client CA"));
    let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "kube-apiserver");
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ClientAuth];
    let cert = params.signed_by(&key, &ca).unwrap();
    let path = dir.join(format!("{name}-ca.crt"));
    std::fs::write(&path, ca.pem()).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).unwrap();
    (path, (cert.der().clone(), key))
}

#[tokio::test]
async fn with_a_client_ca_only_the_api_servers_certificate_is_served() {
    let dir = tempdir("mtls");
    let (mut files, server_ca) = certificate(&dir);
    let (ca_file, apiserver) = client_ca(&dir, "apiserver");
    let (_, stranger) = client_ca(&dir, "stranger");
    files.client_ca = Some(ca_file);
    let (addr, ctx) = server(files).await;
    let body = review(
        "CREATE",
        ingress("moeys-elearning", "elearning-moeys.example.com"),
        &[],
    );
    // The API server, with the certificate the configured CA signed: judged.
    let (status, out) = https_as(
        addr,
        &server_ca,
        Some(apiserver),
        "POST",
        "/validate",
        &body,
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    let r: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(r["response"]["allowed"], false);
    // Anyone else who reaches the port: no certificate, or one another CA signed.
    let none = https_as(addr, &server_ca, None, "POST", "/validate", &body).await;
    assert!(
        none.is_err(),
        "served without a client certificate: {none:?}"
    );
    let other = https_as(addr, &server_ca, Some(stranger), "POST", "/validate", &body).await;
    assert!(other.is_err(), "served a stranger's certificate: {other:?}");
    // Only the API server's review was judged.
    let metrics = ctx.metrics.render();
    assert!(
        metrics.contains("govkh_admission_reviews_total{result=\"denied\"} 1"),
        "{metrics}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_client_ca_that_is_not_a_certificate_stops_the_start() {
    let dir = tempdir("mtls-bad");
    let (mut files, _) = certificate(&dir);
    let bad = dir.join("ca.crt");
    std::fs::write(&bad, "not a certificate").unwrap();
    files.client_ca = Some(bad.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ctx = Arc::new(Context::new(
        common::offline_client(),
        Arc::new(Timestamp::now),
    ));
    let admission = webhook::Admission::new(ctx, Arc::new(Library::builtin().unwrap()));
    let err = webhook::serve(listener, files, Arc::new(admission))
        .await
        .expect_err("a client CA file without a certificate must stop the start")
        .to_string();
    assert!(err.contains(&bad.display().to_string()), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_missing_certificate_stops_the_start() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = common::offline_client();
    let ctx = Arc::new(Context::new(client, Arc::new(Timestamp::now)));
    let files = TlsFiles {
        cert: PathBuf::from("/nonexistent/tls.crt"),
        key: PathBuf::from("/nonexistent/tls.key"),
        client_ca: None,
    };
    let admission = webhook::Admission::new(ctx, Arc::new(Library::builtin().unwrap()));
    let err = webhook::serve(listener, files, Arc::new(admission))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("/nonexistent/tls.crt"), "{err}");
}

#[test]
fn a_review_on_a_later_day_than_the_audit_is_judged_as_of_that_day() {
    let s = snapshot();
    let lib = Library::builtin().unwrap();
    // The audit's day is 2026-11-26; a request months later still gets the law applied.
    let later: Timestamp = "2027-03-15T03:00:00Z".parse().unwrap();
    let body = review(
        "CREATE",
        ingress("moeys-elearning", "elearning-moeys.example.com"),
        &[],
    );
    let (_, outcome) = webhook::admit(&body, Some(&s), &lib, later).unwrap();
    assert_eq!(outcome, AdmissionOutcome::Denied);
    assert_ne!(
        s.prepared.today,
        govkh_core::api::Day::in_phnom_penh(later),
        "the prepared inventory is not reused across days"
    );
}
