//! The CloudTenancy reconciler against a mocked API server (tower-test), asserting every request
//! in order: method, path (with the field manager) and body.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{pin::pin, sync::Arc, time::Duration};

use govkh::{
    api::CloudTenancy,
    controller::{Context, Error, tenancy},
};
use http::{Request, Response};
use k8s_openapi::jiff::Timestamp;
use kube::{client::Body, runtime::controller::Action};
use serde_json::{Value, json};

/// What the mocked API server holds.
#[derive(Clone)]
struct Server {
    ministry: Option<Value>,
    cloud: Value,
    approvals: Vec<Value>,
}

fn server() -> Server {
    Server {
        ministry: Some(
            json!({"apiVersion": "digital.gov.kh/v1alpha1", "kind": "Ministry", "metadata": {"name": "nssf"},
            "spec": {"displayName": "NSSF", "domain": "nssf.gov.kh", "resourceLevel": "limited", "digitalTransformationUnit": {"contactEmail": "it@nssf.gov.kh", "groups": ["nssf-dtu"]}}}),
        ),
        cloud: json!({"apiVersion": "digital.gov.kh/v1alpha1", "kind": "GovernmentCloud", "metadata": {"name": "national"},
            "spec": {"establishedOn": "2026-03-01", "operator": "mptc", "privateNetwork": {"cidrs": ["10.80.0.0/12"]}}}),
        approvals: vec![],
    }
}

fn tenancy_json(finalizer: bool) -> Value {
    let mut t = json!({"apiVersion": "digital.gov.kh/v1alpha1", "kind": "CloudTenancy",
        "metadata": {"name": "nssf-claims", "uid": "4c1e0000-0000-4000-8000-00000000000a", "generation": 1, "resourceVersion": "7"},
        "spec": {"ministry": "nssf", "placement": "ministry-private", "provider": "nssf-datacenter",
                 "namespaces": [{"name": "nssf-claims", "dataClass": "confidential", "quota": {"cpu": "4", "pods": 50}}]}});
    if finalizer {
        t["metadata"]["finalizers"] = json!([tenancy::FINALIZER]);
    }
    t
}

fn respond(status: u16, body: &Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(serde_json::to_vec(body).unwrap()))
        .unwrap()
}

/// A mocked API server answering from `route(method, path, body)`; returns the requests seen.
async fn with_server<F, Fut, T>(
    route: impl Fn(&str, &str, &Value) -> (u16, Value) + Send + 'static,
    body: F,
) -> (T, Vec<(String, Value)>)
where
    F: FnOnce(kube::Client) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let responder = tokio::spawn(async move {
        let mut handle = pin!(handle);
        let mut seen = Vec::new();
        while let Some((request, send)) = handle.next_request().await {
            let method = request.method().to_string();
            let uri = request.uri().to_string();
            let bytes = http_body_util::BodyExt::collect(request.into_body())
                .await
                .unwrap()
                .to_bytes();
            let b: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            let (status, out) = route(&method, uri.split('?').next().unwrap(), &b);
            seen.push((format!("{method} {uri}"), b));
            send.send_response(respond(status, &out));
        }
        seen
    });
    let out = body(kube::Client::new(service, "default")).await;
    (out, responder.await.unwrap())
}

/// The mocked API server of the tenancy tests.
fn tenancy_routes(
    tenancy: Value,
    server: Server,
) -> impl Fn(&str, &str, &Value) -> (u16, Value) + Send + 'static {
    move |method, path, body| {
        let not_found = json!({"apiVersion": "v1", "kind": "Status", "status": "Failure", "reason": "NotFound", "code": 404, "message": "not found"});
        match (method, path) {
            ("GET", "/apis/digital.gov.kh/v1alpha1/ministries/nssf") => match &server.ministry {
                Some(m) => (200, m.clone()),
                None => (404, not_found),
            },
            ("GET", "/apis/digital.gov.kh/v1alpha1/governmentclouds/national") => {
                (200, server.cloud.clone())
            }
            ("GET", "/apis/digital.gov.kh/v1alpha1/approvals") => (
                200,
                json!({"apiVersion": "v1", "kind": "List", "metadata": {}, "items": server.approvals}),
            ),
            ("PATCH", p) if p.starts_with("/apis/digital.gov.kh/v1alpha1/cloudtenancies/") => {
                let mut t = tenancy.clone();
                if p.ends_with("/status") {
                    t["status"] = body["status"].clone();
                } else if let Some(ops) = body.as_array() {
                    // The finalizer helper's JSON patch: apply its "add"/"remove" of finalizers.
                    for op in ops {
                        if op["op"] == "add" && op["path"] == "/metadata/finalizers" {
                            t["metadata"]["finalizers"] = op["value"].clone();
                        }
                        if op["op"] == "remove" {
                            t["metadata"]["finalizers"] = json!([]);
                        }
                    }
                }
                (200, t)
            }
            ("PATCH", p)
                if p.starts_with("/api/v1/namespaces/")
                    && !p.contains("/resourcequotas/")
                    && !p.contains("/limitranges/") =>
            {
                (
                    200,
                    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": p.rsplit('/').next().unwrap()}}),
                )
            }
            ("PATCH", _) => (200, body.clone()),
            _ => (404, not_found),
        }
    }
}

/// Run one reconcile; return its result and the requests as "METHOD uri" with their bodies.
async fn reconcile(
    t: Value,
    server: Server,
    now: &str,
) -> (Result<Action, Error>, Vec<(String, Value)>) {
    let now: Timestamp = now.parse().unwrap();
    let obj: CloudTenancy = serde_json::from_value(t.clone()).unwrap();
    with_server(tenancy_routes(t, server), move |client| async move {
        let ctx = Arc::new(Context::new(client, Arc::new(move || now)));
        tenancy::reconcile(Arc::new(obj), ctx).await
    })
    .await
}

const APPLY: &str = "?&force=true&fieldManager=govkh";

fn first_reconcile_requests() -> Vec<String> {
    let ns = "/api/v1/namespaces/nssf-claims";
    let netpol = "/apis/networking.k8s.io/v1/namespaces/nssf-claims/networkpolicies";
    vec![
        "GET /apis/digital.gov.kh/v1alpha1/ministries/nssf".into(),
        "GET /apis/digital.gov.kh/v1alpha1/governmentclouds/national".into(),
        "GET /apis/digital.gov.kh/v1alpha1/approvals?".into(),
        format!("PATCH {ns}{APPLY}"),
        format!("PATCH {ns}/resourcequotas/govkh-quota{APPLY}"),
        format!("PATCH {ns}/limitranges/govkh-limits{APPLY}"),
        format!("PATCH {netpol}/govkh-default-deny{APPLY}"),
        format!("PATCH {netpol}/govkh-allow-ministry{APPLY}"),
        format!("PATCH {netpol}/govkh-allow-private-network{APPLY}"),
        format!(
            "PATCH /apis/rbac.authorization.k8s.io/v1/namespaces/nssf-claims/rolebindings/govkh-dtu-admin{APPLY}"
        ),
    ]
}

#[tokio::test]
async fn first_reconcile_provisions_everything_and_writes_the_clock_into_status() {
    let (result, requests) = reconcile(tenancy_json(true), server(), "2026-11-26T03:00:00Z").await;
    let action = result.unwrap();
    let mut expected = first_reconcile_requests();
    expected.push(format!(
        "PATCH /apis/digital.gov.kh/v1alpha1/cloudtenancies/nssf-claims/status{APPLY}"
    ));
    let got: Vec<&str> = requests.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(got, expected);
    let ns = &requests[3].1;
    assert_eq!(ns["metadata"]["labels"]["digital.gov.kh/ministry"], "nssf");
    assert_eq!(ns["metadata"]["ownerReferences"][0]["name"], "nssf-claims");
    assert_eq!(
        requests[4].1["spec"]["hard"],
        json!({"requests.cpu": "4", "pods": "50"})
    );
    let status = &requests.last().unwrap().1["status"];
    assert_eq!(status["state"], "ApplicationWindowMissed");
    assert_eq!(status["applicationDeadline"], "2026-05-30");
    assert_eq!(status["migrationDeadline"], "2027-03-01");
    assert_eq!(status["nextBoundary"], "2027-03-02");
    assert_eq!(status["observedGeneration"], 1);
    assert_eq!(status["namespaces"], json!(["nssf-claims"]));
    let compliant = status["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Compliant")
        .unwrap();
    assert_eq!(
        (
            compliant["status"].as_str(),
            compliant["reason"].as_str(),
            compliant["observedGeneration"].as_i64()
        ),
        (Some("False"), Some("ApplicationWindowMissed"), Some(1))
    );
    // Requeued exactly when the migration deadline passes: 2027-03-02 00:00 in Phnom Penh.
    let until: Timestamp = "2027-03-01T17:00:00Z".parse().unwrap();
    let now: Timestamp = "2026-11-26T03:00:00Z".parse().unwrap();
    assert_eq!(
        action,
        Action::requeue(Duration::from_secs(
            (until.as_second() - now.as_second()) as u64
        ))
    );
}

#[tokio::test]
async fn a_second_reconcile_of_an_unchanged_tenancy_writes_no_status() {
    let (_, requests) = reconcile(tenancy_json(true), server(), "2026-11-26T03:00:00Z").await;
    let mut t = tenancy_json(true);
    t["status"] = requests.last().unwrap().1["status"].clone();
    // A day later nothing has changed for the law: same status, no status write.
    let (result, requests) = reconcile(t, server(), "2026-11-27T03:00:00Z").await;
    result.unwrap();
    let got: Vec<&str> = requests.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(got, first_reconcile_requests());
}

#[tokio::test]
async fn the_finalizer_is_added_first() {
    let (result, requests) = reconcile(tenancy_json(false), server(), "2026-11-26T03:00:00Z").await;
    assert_eq!(result.unwrap(), Action::await_change());
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].0,
        "PATCH /apis/digital.gov.kh/v1alpha1/cloudtenancies/nssf-claims?"
    );
    assert!(requests[0].1.to_string().contains(tenancy::FINALIZER));
}

#[tokio::test]
async fn an_expiring_approval_requeues_at_its_end_and_then_reports_expired() {
    let mut s = server();
    s.approvals = vec![
        json!({"apiVersion": "digital.gov.kh/v1alpha1", "kind": "Approval", "metadata": {"name": "nssf-continuation"},
        "spec": {"subject": {"kind": "CloudTenancy", "name": "nssf-claims"}, "article": "10",
                 "request": {"requestedOn": "2026-05-01", "requestedBy": "it@nssf.gov.kh", "document": "NSSF/1"},
                 "decision": {"verdict": "Approved", "decidedOn": "2026-05-20", "document": "DGC/9", "reviewer": "DGC"},
                 "validUntil": "2026-12-31"}}),
    ];
    let (result, requests) = reconcile(tenancy_json(true), s.clone(), "2026-11-26T03:00:00Z").await;
    let status = &requests.last().unwrap().1["status"];
    assert_eq!(
        (status["state"].as_str(), status["approval"].as_str()),
        (Some("Compliant"), Some("nssf-continuation"))
    );
    let boundary: Timestamp = "2026-12-31T17:00:00Z".parse().unwrap();
    let now: Timestamp = "2026-11-26T03:00:00Z".parse().unwrap();
    assert_eq!(
        result.unwrap(),
        Action::requeue(Duration::from_secs(
            (boundary.as_second() - now.as_second()) as u64
        ))
    );
    // At the boundary the approval has expired.
    let mut t = tenancy_json(true);
    t["status"] = status.clone();
    let (_, requests) = reconcile(t, s, "2026-12-31T17:00:00Z").await;
    let status = &requests.last().unwrap().1["status"];
    assert_eq!(status["state"], "ExceptionExpired");
    assert!(status.get("approval").is_none());
}

#[tokio::test]
async fn a_tenancy_of_an_unknown_ministry_waits_and_says_why() {
    let mut s = server();
    s.ministry = None;
    let (result, requests) = reconcile(tenancy_json(true), s, "2026-11-26T03:00:00Z").await;
    let err = result.unwrap_err();
    assert!(err.is_invalid(), "{err}");
    let got: Vec<&str> = requests.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(
        got[..3],
        first_reconcile_requests()[..3]
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()[..]
    );
    assert_eq!(
        got[3],
        format!("PATCH /apis/digital.gov.kh/v1alpha1/cloudtenancies/nssf-claims/status{APPLY}")
    );
    let ready = &requests[3].1["status"]["conditions"][0];
    assert_eq!(
        (
            ready["type"].as_str(),
            ready["status"].as_str(),
            ready["reason"].as_str()
        ),
        (Some("Ready"), Some("False"), Some("MinistryNotFound"))
    );
    assert_eq!(requests.len(), 4, "nothing provisioned");
}

fn deleted(policy: &str) -> Value {
    let mut t = tenancy_json(true);
    t["metadata"]["deletionTimestamp"] = json!("2026-11-26T03:00:00Z");
    t["spec"]["deletionPolicy"] = json!(policy);
    t["status"] = json!({"namespaces": ["nssf-claims", "nssf-old"]});
    t
}

#[tokio::test]
async fn deleting_a_retain_tenancy_keeps_and_labels_its_namespaces() {
    let (result, requests) = reconcile(deleted("Retain"), server(), "2026-11-26T03:00:00Z").await;
    result.unwrap();
    let got: Vec<&str> = requests.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(
        got,
        [
            "PATCH /api/v1/namespaces/nssf-claims?",
            "PATCH /api/v1/namespaces/nssf-old?",
            "PATCH /apis/digital.gov.kh/v1alpha1/cloudtenancies/nssf-claims?"
        ]
    );
    assert_eq!(
        requests[0].1,
        json!({"metadata": {"labels": {"digital.gov.kh/orphaned": "true"}, "ownerReferences": null}})
    );
    assert!(
        requests[2].1.to_string().contains("remove"),
        "the finalizer is removed last"
    );
}

#[tokio::test]
async fn deleting_a_delete_tenancy_leaves_its_namespaces_to_the_garbage_collector() {
    let (result, requests) = reconcile(deleted("Delete"), server(), "2026-11-26T03:00:00Z").await;
    result.unwrap();
    let got: Vec<&str> = requests.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(
        got,
        ["PATCH /apis/digital.gov.kh/v1alpha1/cloudtenancies/nssf-claims?"]
    );
}

#[tokio::test]
async fn a_namespace_dropped_from_the_spec_is_released() {
    let mut t = tenancy_json(true);
    t["status"] = json!({"namespaces": ["nssf-claims", "nssf-archive"]});
    let (_, requests) = reconcile(t, server(), "2026-11-26T03:00:00Z").await;
    let got: Vec<&str> = requests.iter().map(|(r, _)| r.as_str()).collect();
    assert!(
        got.contains(&"PATCH /api/v1/namespaces/nssf-archive?"),
        "{got:#?}"
    );
    let status = &requests.last().unwrap().1["status"];
    assert_eq!(status["namespaces"], json!(["nssf-claims"]));
}

// ---- PrivateNetworkLink ----

use govkh::{api::PrivateNetworkLink, controller::link};

fn link_json(network: &str, status_policies: &[&str]) -> Value {
    let mut l = json!({"apiVersion": "digital.gov.kh/v1alpha1", "kind": "PrivateNetworkLink",
        "metadata": {"name": "mef-gdt-microwave", "uid": "22220000-0000-4000-8000-000000000002", "generation": 3},
        "spec": {"from": {"ministry": "mef", "namespaces": ["mef-tax"]}, "to": {"ministry": "gdt", "namespaces": ["gdt-api"]},
                 "ports": [{"protocol": "TCP", "port": 443}], "network": network, "approval": "mef-gdt-microwave"}});
    if !status_policies.is_empty() {
        l["status"] = json!({"networkPolicies": status_policies});
    }
    l
}

fn approval(valid_until: &str) -> Value {
    json!({"apiVersion": "digital.gov.kh/v1alpha1", "kind": "Approval", "metadata": {"name": "mef-gdt-microwave"},
        "spec": {"subject": {"kind": "PrivateNetworkLink", "name": "mef-gdt-microwave"}, "article": "9",
                 "request": {"requestedOn": "2026-08-01", "requestedBy": "dtu@mef.gov.kh", "document": "MEF/77"},
                 "decision": {"verdict": "Approved", "decidedOn": "2026-08-20", "document": "DGC/44", "reviewer": "DGC"},
                 "validUntil": valid_until}})
}

fn link_routes(
    approval: Option<Value>,
    link: Value,
) -> impl Fn(&str, &str, &Value) -> (u16, Value) + Send + 'static {
    move |method, path, body| {
        let ministry = |code: &str| {
            json!({"apiVersion": "digital.gov.kh/v1alpha1", "kind": "Ministry", "metadata": {"name": code},
            "spec": {"displayName": code, "domain": format!("{code}.gov.kh"), "resourceLevel": "full", "digitalTransformationUnit": {"contactEmail": format!("dtu@{code}.gov.kh")}}})
        };
        let not_found = json!({"apiVersion": "v1", "kind": "Status", "status": "Failure", "reason": "NotFound", "code": 404, "message": "not found"});
        match (method, path) {
            ("GET", "/apis/digital.gov.kh/v1alpha1/ministries/mef") => (200, ministry("mef")),
            ("GET", "/apis/digital.gov.kh/v1alpha1/ministries/gdt") => (200, ministry("gdt")),
            ("GET", "/apis/digital.gov.kh/v1alpha1/approvals/mef-gdt-microwave") => match &approval
            {
                Some(a) => (200, a.clone()),
                None => (404, not_found),
            },
            ("PATCH", p) if p.ends_with("/status") => {
                let mut l = link.clone();
                l["status"] = body["status"].clone();
                (200, l)
            }
            ("PATCH", _) => (200, body.clone()),
            ("DELETE", _) => (
                200,
                json!({"apiVersion": "v1", "kind": "Status", "status": "Success"}),
            ),
            _ => (404, not_found),
        }
    }
}

async fn reconcile_link(
    l: Value,
    approval: Option<Value>,
    now: &str,
) -> (Result<Action, Error>, Vec<(String, Value)>) {
    let now: Timestamp = now.parse().unwrap();
    let obj: PrivateNetworkLink = serde_json::from_value(l.clone()).unwrap();
    with_server(link_routes(approval, l), move |client| async move {
        let ctx = Arc::new(Context::new(client, Arc::new(move || now)));
        link::reconcile(Arc::new(obj), ctx).await
    })
    .await
}

#[tokio::test]
async fn an_approved_alternative_link_gets_its_policies_and_is_requeued_when_the_approval_ends() {
    let (result, requests) = reconcile_link(
        link_json("alternative", &[]),
        Some(approval("2027-06-30")),
        "2026-11-26T03:00:00Z",
    )
    .await;
    let got: Vec<&str> = requests.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(
        got,
        [
            "GET /apis/digital.gov.kh/v1alpha1/ministries/mef",
            "GET /apis/digital.gov.kh/v1alpha1/ministries/gdt",
            "GET /apis/digital.gov.kh/v1alpha1/approvals/mef-gdt-microwave",
            "PATCH /apis/networking.k8s.io/v1/namespaces/mef-tax/networkpolicies/govkh-link-mef-gdt-microwave?&force=true&fieldManager=govkh",
            "PATCH /apis/networking.k8s.io/v1/namespaces/gdt-api/networkpolicies/govkh-link-mef-gdt-microwave?&force=true&fieldManager=govkh",
            "PATCH /apis/digital.gov.kh/v1alpha1/privatenetworklinks/mef-gdt-microwave/status?&force=true&fieldManager=govkh",
        ]
    );
    assert_eq!(
        requests[3].1["spec"]["egress"][0]["ports"],
        json!([{"protocol": "TCP", "port": 443}])
    );
    let status = &requests[5].1["status"];
    assert_eq!(status["state"], "Established");
    assert_eq!(
        status["networkPolicies"],
        json!([
            "mef-tax/govkh-link-mef-gdt-microwave",
            "gdt-api/govkh-link-mef-gdt-microwave"
        ])
    );
    let boundary: Timestamp = "2027-06-30T17:00:00Z".parse().unwrap();
    let now: Timestamp = "2026-11-26T03:00:00Z".parse().unwrap();
    assert_eq!(
        result.unwrap(),
        Action::requeue(Duration::from_secs(
            (boundary.as_second() - now.as_second()) as u64
        ))
    );
}

#[tokio::test]
async fn when_the_approval_expires_the_policies_are_removed_and_the_link_refused() {
    let carried = [
        "mef-tax/govkh-link-mef-gdt-microwave",
        "gdt-api/govkh-link-mef-gdt-microwave",
    ];
    let (result, requests) = reconcile_link(
        link_json("alternative", &carried),
        Some(approval("2027-06-30")),
        "2027-06-30T17:00:00Z",
    )
    .await;
    assert_eq!(result.unwrap(), Action::await_change());
    let got: Vec<&str> = requests.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(
        got[3..],
        [
            "DELETE /apis/networking.k8s.io/v1/namespaces/mef-tax/networkpolicies/govkh-link-mef-gdt-microwave?",
            "DELETE /apis/networking.k8s.io/v1/namespaces/gdt-api/networkpolicies/govkh-link-mef-gdt-microwave?",
            "PATCH /apis/digital.gov.kh/v1alpha1/privatenetworklinks/mef-gdt-microwave/status?&force=true&fieldManager=govkh",
        ]
    );
    let status = &requests[5].1["status"];
    assert_eq!(status["state"], "Refused");
    assert!(status.get("networkPolicies").is_none());
    let compliant = status["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Compliant")
        .unwrap();
    assert_eq!(compliant["reason"], "ApprovalExpired");
}

#[tokio::test]
async fn an_alternative_link_without_its_approval_awaits_it_and_carries_nothing() {
    let (result, requests) =
        reconcile_link(link_json("alternative", &[]), None, "2026-11-26T03:00:00Z").await;
    assert_eq!(result.unwrap(), Action::await_change());
    let got: Vec<&str> = requests.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(got.len(), 4, "{got:#?}");
    assert_eq!(requests[3].1["status"]["state"], "AwaitingApproval");
}

#[tokio::test]
async fn a_private_network_link_needs_no_approval() {
    let (_, requests) = reconcile_link(
        link_json("government-private", &[]),
        None,
        "2026-11-26T03:00:00Z",
    )
    .await;
    let got: Vec<&str> = requests.iter().map(|(r, _)| r.as_str()).collect();
    assert!(!got.iter().any(|r| r.contains("/approvals/")), "{got:#?}");
    assert_eq!(requests.last().unwrap().1["status"]["state"], "Established");
}
