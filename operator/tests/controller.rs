//! The CloudTenancy reconciler against a mocked API server (tower-test), asserting every request
//! in order: method, path (with the field manager) and body.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::mock::{CHILDREN, with_server};

use std::{sync::Arc, time::Duration};

use govkh::{
    context::Context,
    controller::{Error, tenancy},
};
use govkh_core::api::CloudTenancy;
use k8s_openapi::jiff::Timestamp;
use kube::runtime::controller::Action;
use serde_json::{Value, json};

/// What the mocked API server holds.
#[derive(Clone)]
struct Server {
    ministry: Option<Value>,
    cloud: Value,
    approvals: Vec<Value>,
    /// Children carrying govkh's owner labels, as the label-selected lists return them.
    children: Vec<Value>,
    /// Namespaces that exist, as the live index holds them.
    namespaces: Vec<Value>,
    /// Other tenancies the live index holds.
    tenancies: Vec<Value>,
}

/// A namespace govkh holds for the tenancy `nssf-claims`: recorded on it, and, when `created`,
/// made by govkh for it (else handed over by the platform).
fn held_namespace(name: &str, created: bool) -> Value {
    let mut ns = json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": name, "labels": {"digital.gov.kh/ministry": "nssf",
            "digital.gov.kh/tenancy": "nssf-claims", "digital.gov.kh/data-class": "confidential",
            "digital.gov.kh/placement": "ministry-private", "team": "claims"}}});
    if created {
        ns["metadata"]["annotations"] = json!({"digital.gov.kh/created-by": "nssf-claims"});
    }
    ns
}

/// The NetworkPolicies of `children`, as the live index holds them (it watches that kind; the
/// prune reads them from it, and lists only the kinds it does not watch).
fn policies_of(children: &[Value]) -> Vec<Value> {
    children
        .iter()
        .filter(|c| c["kind"] == "NetworkPolicy")
        .cloned()
        .collect()
}

/// The query of a prune's list of an owner's children.
fn owned_by(kind: &str, name: &str) -> String {
    format!(
        "?&labelSelector=app.kubernetes.io%2Fmanaged-by%3Dgovkh%2Cdigital.gov.kh%2Fowner-kind%3D{kind}%2Cdigital.gov.kh%2Fowner-name%3D{name}"
    )
}

/// A child as govkh labels it.
fn child(kind: &str, api_version: &str, namespace: &str, name: &str, owner: (&str, &str)) -> Value {
    json!({"apiVersion": api_version, "kind": kind,
        "metadata": {"name": name, "namespace": namespace, "labels": {
            "app.kubernetes.io/managed-by": "govkh", "digital.gov.kh/owner-kind": owner.0,
            "digital.gov.kh/owner-name": owner.1}}})
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
        children: vec![],
        namespaces: vec![],
        tenancies: vec![],
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

/// The body of the last status write.
fn last_status(requests: &[(String, Value)]) -> &Value {
    &requests
        .iter()
        .rev()
        .find(|(r, _)| r.contains("/status?"))
        .expect("a status write")
        .1["status"]
}

/// The Events published, as (type, reason, regarding object's name).
fn events(requests: &[(String, Value)]) -> Vec<(String, String, String)> {
    requests
        .iter()
        .filter(|(r, _)| r.starts_with("POST /apis/events.k8s.io/v1/namespaces/default/events"))
        .map(|(_, b)| {
            (
                b["type"].as_str().unwrap_or_default().to_string(),
                b["reason"].as_str().unwrap_or_default().to_string(),
                b["regarding"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

const EVENTS: &str = "POST /apis/events.k8s.io/v1/namespaces/default/events?";

/// The mocked API server of the tenancy tests. The Ministry, the cloud and the approvals are
/// read from the live index (`reconcile` seeds it from `Server`): a GET of them here is a 404.
fn tenancy_routes(tenancy: Value) -> impl Fn(&str, &str, &Value) -> (u16, Value) + Send + 'static {
    move |method, path, body| {
        let not_found = json!({"apiVersion": "v1", "kind": "Status", "status": "Failure", "reason": "NotFound", "code": 404, "message": "not found"});
        match (method, path) {
            ("PATCH", p) if p.starts_with("/apis/digital.gov.kh/v1alpha1/cloudtenancies/") => {
                let mut t = tenancy.clone();
                if p.ends_with("/status") {
                    t["status"] = body["status"].clone();
                } else if body["metadata"].is_object() && !body.is_array() {
                    // Our server-side apply of metadata.finalizers alone.
                    match body["metadata"].get("finalizers") {
                        Some(f) => t["metadata"]["finalizers"] = f.clone(),
                        None => {
                            t["metadata"].as_object_mut().unwrap().remove("finalizers");
                        }
                    }
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
            ("POST", "/api/v1/namespaces") => (201, body.clone()),
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
    reconcile_in(t, server, now, |ctx| ctx).await
}

/// `reconcile`, with the context `configure` makes of the test's (its index seeded).
async fn reconcile_in(
    t: Value,
    server: Server,
    now: &str,
    configure: impl FnOnce(Context) -> Context,
) -> (Result<Action, Error>, Vec<(String, Value)>) {
    let now: Timestamp = now.parse().unwrap();
    let obj: CloudTenancy = serde_json::from_value(t.clone()).unwrap();
    // The reconciler reads the Ministry, the cloud and the approvals from the live index.
    let mut held = vec![server.cloud.clone()];
    held.extend(server.ministry.clone());
    held.extend(server.approvals.clone());
    held.extend(server.namespaces.clone());
    held.extend(server.tenancies.clone());
    // The NetworkPolicies the index watches: what the prune reads instead of a list.
    held.extend(policies_of(&server.children));
    let index = common::index_of(&held);
    CHILDREN.with(|c| *c.borrow_mut() = server.children.clone());
    with_server(tenancy_routes(t), move |client| async move {
        let ctx = Arc::new(configure(
            Context::new(client, Arc::new(move || now)).with_index(index),
        ));
        tenancy::reconcile(Arc::new(obj), ctx).await
    })
    .await
}

const APPLY: &str = "?&force=true&fieldManager=govkh";

/// What the tenancy `nssf-claims` applies under its own field manager.
const TENANCY_APPLY: &str = "?&force=true&fieldManager=govkh%2Fcloudtenancy%2Fnssf-claims";

/// The creation of a namespace the tenancy declares and nobody has made.
const CREATE_NAMESPACE: &str = "POST /api/v1/namespaces?&fieldManager=govkh";

/// The requeue of a reconcile run at `now` that should come back exactly at `at`.
fn requeue_from_to(now: &str, at: &str) -> Action {
    let (now, at): (Timestamp, Timestamp) = (now.parse().unwrap(), at.parse().unwrap());
    Action::requeue(Duration::from_secs(
        (at.as_second() - now.as_second()) as u64,
    ))
}

#[tokio::test]
async fn binding_the_reader_role_wakes_a_refused_secrets_watch_of_the_namespace() {
    // The index's Secrets watch in the tenancy's namespace is refused (403) and backing off.
    let secret = govkh_core::resources::RESOURCES
        .iter()
        .find(|r| r.kind == "Secret")
        .unwrap();
    let woken = Arc::new(std::sync::Mutex::new(None));
    let keep = woken.clone();
    let (result, requests) = reconcile_in(
        tenancy_json(true),
        server(),
        "2026-11-26T03:00:00Z",
        move |ctx| {
            ctx.index
                .set_failing_in(secret, "nssf-claims", Some("403 Forbidden".into()));
            *keep.lock().unwrap() = Some(ctx.index.retry_signal_in(secret, "nssf-claims"));
            ctx.with_secrets_reader(Some(
                "govkh-secrets-reader=govkh-system/govkh".parse().unwrap(),
            ))
        },
    )
    .await;
    result.unwrap();
    assert!(requests.iter().any(|(r, _)| r.starts_with(
        "PATCH /apis/rbac.authorization.k8s.io/v1/namespaces/nssf-claims/rolebindings/govkh-secrets-reader"
    )));
    // Woken: the watch's wait ends at once (the signal holds a permit).
    let signal = woken.lock().unwrap().take().unwrap();
    let at_once = tokio::time::timeout(Duration::from_millis(100), signal.notified()).await;
    assert!(at_once.is_ok(), "the refused watch was not woken");
}

/// What a reconcile of the tenancy applies and lists, its namespace existing already.
fn reconcile_requests() -> Vec<String> {
    let ns = "/api/v1/namespaces/nssf-claims";
    let netpol = "/apis/networking.k8s.io/v1/namespaces/nssf-claims/networkpolicies";
    vec![
        format!("PATCH {ns}{TENANCY_APPLY}"),
        format!("PATCH {ns}/resourcequotas/govkh-quota{TENANCY_APPLY}"),
        format!("PATCH {ns}/limitranges/govkh-limits{TENANCY_APPLY}"),
        format!("PATCH {netpol}/govkh-default-deny{TENANCY_APPLY}"),
        format!("PATCH {netpol}/govkh-allow-ministry{TENANCY_APPLY}"),
        format!("PATCH {netpol}/govkh-allow-private-network{TENANCY_APPLY}"),
        format!(
            "PATCH /apis/rbac.authorization.k8s.io/v1/namespaces/nssf-claims/rolebindings/govkh-dtu-admin{TENANCY_APPLY}"
        ),
        format!(
            "GET /api/v1/resourcequotas{}",
            owned_by("CloudTenancy", "nssf-claims")
        ),
        format!(
            "GET /api/v1/limitranges{}",
            owned_by("CloudTenancy", "nssf-claims")
        ),
        format!(
            "GET /apis/rbac.authorization.k8s.io/v1/rolebindings{}",
            owned_by("CloudTenancy", "nssf-claims")
        ),
    ]
}

/// The first reconcile: the namespace created, then everything applied.
fn first_reconcile_requests() -> Vec<String> {
    let mut r = vec![CREATE_NAMESPACE.to_string()];
    r.extend(reconcile_requests());
    r
}

#[tokio::test]
async fn first_reconcile_provisions_everything_and_writes_the_clock_into_status() {
    let (result, requests) = reconcile(tenancy_json(true), server(), "2026-11-26T03:00:00Z").await;
    let action = result.unwrap();
    let mut expected = first_reconcile_requests();
    expected.push(format!(
        "PATCH /apis/digital.gov.kh/v1alpha1/cloudtenancies/nssf-claims/status{APPLY}"
    ));
    expected.push(EVENTS.into());
    let got: Vec<&str> = requests.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(got, expected);
    assert_eq!(
        events(&requests),
        [(
            "Warning".to_string(),
            "ApplicationWindowMissed".to_string(),
            "nssf-claims".to_string()
        )]
    );
    assert_eq!(
        requests.last().unwrap().1["reportingController"],
        "digital.gov.kh/govkh"
    );
    // Created recorded as made by govkh for the tenancy and held by it; then applied in full.
    assert_eq!(
        requests[0].1["metadata"]["annotations"]["digital.gov.kh/created-by"],
        "nssf-claims"
    );
    assert_eq!(
        requests[0].1["metadata"]["labels"],
        json!({"digital.gov.kh/tenancy": "nssf-claims"})
    );
    let ns = &requests[1].1;
    assert_eq!(ns["metadata"]["labels"]["digital.gov.kh/ministry"], "nssf");
    assert_eq!(
        ns["metadata"]["labels"]["digital.gov.kh/tenancy"],
        "nssf-claims"
    );
    assert_eq!(ns["metadata"]["ownerReferences"][0]["name"], "nssf-claims");
    assert_eq!(
        ns["metadata"]["annotations"]["digital.gov.kh/created-by"],
        "nssf-claims"
    );
    assert_eq!(
        requests[2].1["spec"]["hard"],
        json!({"requests.cpu": "4", "pods": "50"})
    );
    let status = last_status(&requests);
    assert_eq!(status["state"], "ApplicationWindowMissed");
    assert_eq!(condition(status, "NamespacesClaimed")["status"], "True");
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
    assert_eq!(
        action,
        requeue_from_to("2026-11-26T03:00:00Z", "2027-03-01T17:00:00Z")
    );
}

#[tokio::test]
async fn a_second_reconcile_of_an_unchanged_tenancy_writes_no_status() {
    let (_, requests) = reconcile(tenancy_json(true), server(), "2026-11-26T03:00:00Z").await;
    let mut t = tenancy_json(true);
    t["status"] = last_status(&requests).clone();
    // A day later nothing has changed for the law: same status, no status write, no Event;
    // the namespace is the tenancy's now, so it is applied, not created.
    let mut s = server();
    s.namespaces = vec![held_namespace("nssf-claims", true)];
    let (result, requests) = reconcile(t, s, "2026-11-27T03:00:00Z").await;
    result.unwrap();
    let got: Vec<&str> = requests.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(got, reconcile_requests());
}

/// CI on 8d1d411: a reconcile that read the namespace as created (the index not yet holding
/// the apply that followed) found it held by nobody, released it, and so took the tenancy's
/// labels off its own namespace for good (Ready False for the rest of the run).
#[tokio::test]
async fn a_reconcile_that_sees_the_namespace_only_as_created_keeps_it() {
    let (_, requests) = reconcile(tenancy_json(true), server(), "2026-11-26T03:00:00Z").await;
    assert_eq!(requests[0].0, CREATE_NAMESPACE);
    let mut created = requests[0].1.clone();
    created["apiVersion"] = json!("v1");
    created["kind"] = json!("Namespace");
    let mut t = tenancy_json(true);
    t["status"] = last_status(&requests).clone();
    let mut s = server();
    s.namespaces = vec![created];
    let (result, requests) = reconcile(t, s, "2026-11-26T03:00:05Z").await;
    result.unwrap();
    let ns = requests
        .iter()
        .find(|(r, _)| r.starts_with("PATCH /api/v1/namespaces/nssf-claims?"))
        .map(|(_, b)| b)
        .expect("the namespace is applied");
    assert_eq!(
        ns["metadata"]["labels"]["digital.gov.kh/tenancy"], "nssf-claims",
        "applied in full, not released: {ns}"
    );
    assert!(ns["metadata"]["labels"]["digital.gov.kh/orphaned"].is_null());
    assert!(
        !requests
            .iter()
            .any(|(r, _)| r.starts_with("POST /api/v1/namespaces?")),
        "it exists: not created again"
    );
    // Nothing changed for the tenancy: its status (Ready, NamespacesClaimed) stands unwritten.
    assert!(
        !requests.iter().any(|(r, _)| r.contains("/status")),
        "the status changed: {requests:?}"
    );
}

#[tokio::test]
async fn the_finalizer_is_added_first() {
    let (result, requests) = reconcile(tenancy_json(false), server(), "2026-11-26T03:00:00Z").await;
    assert_eq!(result.unwrap(), Action::await_change());
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].0,
        format!("PATCH /apis/digital.gov.kh/v1alpha1/cloudtenancies/nssf-claims{APPLY}")
    );
    assert_eq!(
        requests[0].1["metadata"]["finalizers"],
        json!([tenancy::FINALIZER]),
        "applied, not a JSON patch with a test of the current list"
    );
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
    let status = last_status(&requests);
    assert_eq!(
        (status["state"].as_str(), status["approval"].as_str()),
        (Some("Compliant"), Some("nssf-continuation"))
    );
    assert_eq!(
        result.unwrap(),
        requeue_from_to("2026-11-26T03:00:00Z", "2026-12-31T17:00:00Z")
    );
    // At the boundary the approval has expired.
    let mut t = tenancy_json(true);
    t["status"] = status.clone();
    let (_, requests) = reconcile(t, s, "2026-12-31T17:00:00Z").await;
    let status = last_status(&requests);
    assert_eq!(status["state"], "ExceptionExpired");
    assert!(status.get("approval").is_none());
    assert_eq!(
        events(&requests),
        [(
            "Warning".to_string(),
            "ExceptionExpired".to_string(),
            "nssf-claims".to_string()
        )]
    );
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
        got[0],
        format!("PATCH /apis/digital.gov.kh/v1alpha1/cloudtenancies/nssf-claims/status{APPLY}")
    );
    let ready = &requests[0].1["status"]["conditions"][0];
    assert_eq!(
        (
            ready["type"].as_str(),
            ready["status"].as_str(),
            ready["reason"].as_str()
        ),
        (Some("Ready"), Some("False"), Some("MinistryNotFound"))
    );
    assert_eq!(requests.len(), 2, "nothing provisioned: {got:#?}");
    assert_eq!(
        events(&requests),
        [(
            "Warning".to_string(),
            "MinistryNotFound".to_string(),
            "nssf-claims".to_string()
        )]
    );
}

fn deleted(policy: &str) -> Value {
    let mut t = tenancy_json(true);
    t["metadata"]["deletionTimestamp"] = json!("2026-11-26T03:00:00Z");
    t["spec"]["deletionPolicy"] = json!(policy);
    t["status"] = json!({"namespaces": ["nssf-claims", "nssf-old"]});
    t
}

/// The cluster of a deleted tenancy: `nssf-claims` made by govkh for it, `nssf-old` handed
/// over by the platform, and `elsewhere` another tenancy's.
fn deleted_server() -> Server {
    let mut s = server();
    let mut other = held_namespace("elsewhere", true);
    other["metadata"]["labels"]["digital.gov.kh/tenancy"] = json!("someone-else");
    s.namespaces = vec![
        held_namespace("nssf-claims", true),
        held_namespace("nssf-old", false),
        other,
    ];
    s
}

#[tokio::test]
async fn deleting_a_retain_tenancy_keeps_and_labels_its_namespaces() {
    let mut t = deleted("Retain");
    t["status"]["namespaces"] = json!(["nssf-claims", "nssf-old", "elsewhere"]);
    let (result, requests) = reconcile(t, deleted_server(), "2026-11-26T03:00:00Z").await;
    result.unwrap();
    let got: Vec<&str> = requests.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(
        got,
        [
            &format!("PATCH /api/v1/namespaces/nssf-claims{TENANCY_APPLY}"),
            &format!("PATCH /api/v1/namespaces/nssf-old{TENANCY_APPLY}"),
            &format!("PATCH /apis/digital.gov.kh/v1alpha1/cloudtenancies/nssf-claims{APPLY}")
        ],
        "another tenancy's namespace is not this one's to let go of"
    );
    // Released by the tenancy's own apply: orphaned, still classified and attributed; no owner
    // reference, placement or annotation of its own left; others' labels untouched (not named).
    let released = &requests[0].1["metadata"];
    assert_eq!(
        released["labels"],
        json!({"app.kubernetes.io/managed-by": "govkh", "digital.gov.kh/ministry": "nssf",
            "digital.gov.kh/tenancy": "nssf-claims", "digital.gov.kh/data-class": "confidential",
            "digital.gov.kh/orphaned": "true"})
    );
    assert!(released.get("ownerReferences").is_none());
    assert!(released.get("annotations").is_none());
    assert!(
        requests[2].1["metadata"].get("finalizers").is_none(),
        "the finalizer is removed last, by an apply without it"
    );
}

#[tokio::test]
async fn deleting_a_delete_tenancy_releases_what_was_handed_over_and_leaves_the_rest_to_the_garbage_collector()
 {
    let (result, requests) =
        reconcile(deleted("Delete"), deleted_server(), "2026-11-26T03:00:00Z").await;
    result.unwrap();
    let got: Vec<&str> = requests.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(
        got,
        [
            format!("PATCH /api/v1/namespaces/nssf-old{TENANCY_APPLY}"),
            format!("PATCH /apis/digital.gov.kh/v1alpha1/cloudtenancies/nssf-claims{APPLY}")
        ],
        "only the namespace govkh created for it goes with it"
    );
}

#[tokio::test]
async fn a_finalizer_added_by_an_earlier_json_patch_is_still_removed() {
    // The cluster's tenancy carries the finalizer under another manager: our apply without
    // it leaves it, so it is taken out of the list by a merge patch guarded by resourceVersion.
    let t = deleted("Retain");
    let obj: CloudTenancy = serde_json::from_value(t.clone()).unwrap();
    let now: Timestamp = "2026-11-26T03:00:00Z".parse().unwrap();
    let (result, requests) = with_server(
        move |method: &str, path: &str, body: &Value| {
            let mut current = t.clone();
            current["metadata"]["finalizers"] = json!(["other.example/keep", tenancy::FINALIZER]);
            current["metadata"]["resourceVersion"] = json!("77");
            match method {
                "PATCH" if path.starts_with("/apis/digital.gov.kh/") => {
                    if body["metadata"]["finalizers"].is_array() && body.get("apiVersion").is_none()
                    {
                        current["metadata"]["finalizers"] = body["metadata"]["finalizers"].clone();
                    }
                    (200, current)
                }
                _ => (
                    200,
                    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}}),
                ),
            }
        },
        move |client| async move {
            let ctx = Arc::new(Context::new(client, Arc::new(move || now)));
            tenancy::reconcile(Arc::new(obj), ctx).await
        },
    )
    .await;
    result.unwrap();
    let last = requests.last().unwrap();
    assert_eq!(
        last.0,
        "PATCH /apis/digital.gov.kh/v1alpha1/cloudtenancies/nssf-claims?"
    );
    assert_eq!(
        last.1,
        json!({"metadata": {"finalizers": ["other.example/keep"], "resourceVersion": "77"}})
    );
}

#[tokio::test]
async fn a_namespace_dropped_from_the_spec_is_released() {
    let mut t = tenancy_json(true);
    t["status"] = json!({"namespaces": ["nssf-claims", "nssf-archive"]});
    let mut s = server();
    s.namespaces = vec![
        held_namespace("nssf-claims", true),
        held_namespace("nssf-archive", true),
    ];
    let (_, requests) = reconcile(t, s, "2026-11-26T03:00:00Z").await;
    let got: Vec<&str> = requests.iter().map(|(r, _)| r.as_str()).collect();
    let release = format!("PATCH /api/v1/namespaces/nssf-archive{TENANCY_APPLY}");
    assert!(got.contains(&release.as_str()), "{got:#?}");
    let status = last_status(&requests);
    assert_eq!(status["namespaces"], json!(["nssf-claims"]));
}

// ---- PrivateNetworkLink ----

use govkh::controller::link;
use govkh_core::api::PrivateNetworkLink;

fn link_json(network: &str, status_policies: &[&str]) -> Value {
    let mut l = json!({"apiVersion": "digital.gov.kh/v1alpha1", "kind": "PrivateNetworkLink",
        "metadata": {"name": "mef-gdt-microwave", "uid": "22220000-0000-4000-8000-000000000002", "generation": 3,
            "annotations": {"digital.gov.kh/accepted-generation": "3"}},
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

/// The mocked API server of the link and grant tests. The reconcilers read Ministries and
/// Approvals from the live index: a GET of them here is a 404, and fails the test.
fn link_routes(link: Value) -> impl Fn(&str, &str, &Value) -> (u16, Value) + Send + 'static {
    move |method, path, body| {
        let not_found = json!({"apiVersion": "v1", "kind": "Status", "status": "Failure", "reason": "NotFound", "code": 404, "message": "not found"});
        match (method, path) {
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
    // The cluster holds the policies the link's status reports.
    let children = carried_children(&l, ("PrivateNetworkLink", "mef-gdt-microwave"));
    reconcile_link_with(l, approval, now, children, &["mef-tax", "gdt-api"]).await
}

/// The condition of `type_` in a status.
fn condition<'a>(status: &'a Value, type_: &str) -> &'a Value {
    status["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == type_)
        .unwrap()
}

/// A Namespace as the index holds it, labelled with its ministry (the part before the `-`).
fn namespace_json(name: &str) -> Value {
    let ministry = name.split('-').next().unwrap();
    json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": name, "labels": {"digital.gov.kh/ministry": ministry}}})
}

/// The NetworkPolicies `owner`'s status reports, as the cluster holds them (labelled).
fn carried_children(o: &Value, owner: (&str, &str)) -> Vec<Value> {
    o["status"]["networkPolicies"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p.as_str()?.split_once('/'))
        .map(|(ns, name)| child("NetworkPolicy", "networking.k8s.io/v1", ns, name, owner))
        .collect()
}

async fn reconcile_link_with(
    l: Value,
    approval: Option<Value>,
    now: &str,
    children: Vec<Value>,
    namespaces: &[&str],
) -> (Result<Action, Error>, Vec<(String, Value)>) {
    let mut held = vec![ministry_json("mef"), ministry_json("gdt")];
    held.extend(namespaces.iter().map(|n| namespace_json(n)));
    held.extend(approval.clone());
    held.extend(policies_of(&children));
    CHILDREN.with(|c| *c.borrow_mut() = children);
    let now: Timestamp = now.parse().unwrap();
    let obj: PrivateNetworkLink = serde_json::from_value(l.clone()).unwrap();
    let index = common::index_of(&held);
    with_server(link_routes(l), move |client| async move {
        let ctx = Arc::new(Context::new(client, Arc::new(move || now)).with_index(index));
        link::reconcile(Arc::new(obj), ctx).await
    })
    .await
}

fn ministry_json(code: &str) -> Value {
    json!({"apiVersion": "digital.gov.kh/v1alpha1", "kind": "Ministry", "metadata": {"name": code},
        "spec": {"displayName": code, "domain": format!("{code}.gov.kh"), "resourceLevel": "full", "digitalTransformationUnit": {"contactEmail": format!("dtu@{code}.gov.kh")}}})
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
            "PATCH /apis/networking.k8s.io/v1/namespaces/mef-tax/networkpolicies/govkh-link-mef-gdt-microwave?&force=true&fieldManager=govkh%2Fprivatenetworklink%2Fmef-gdt-microwave",
            "PATCH /apis/networking.k8s.io/v1/namespaces/gdt-api/networkpolicies/govkh-link-mef-gdt-microwave?&force=true&fieldManager=govkh%2Fprivatenetworklink%2Fmef-gdt-microwave",
            "PATCH /apis/digital.gov.kh/v1alpha1/privatenetworklinks/mef-gdt-microwave/status?&force=true&fieldManager=govkh",
            EVENTS,
        ]
    );
    assert_eq!(
        events(&requests),
        [(
            "Normal".to_string(),
            "LinkEstablished".to_string(),
            "mef-gdt-microwave".to_string()
        )]
    );
    assert_eq!(
        requests[0].1["spec"]["egress"][0]["ports"],
        json!([{"protocol": "TCP", "port": 443}])
    );
    let status = &requests[2].1["status"];
    assert_eq!(status["state"], "Established");
    assert_eq!(
        status["networkPolicies"],
        json!([
            "mef-tax/govkh-link-mef-gdt-microwave",
            "gdt-api/govkh-link-mef-gdt-microwave"
        ])
    );
    assert_eq!(
        result.unwrap(),
        requeue_from_to("2026-11-26T03:00:00Z", "2027-06-30T17:00:00Z")
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
        got,
        [
            "DELETE /apis/networking.k8s.io/v1/namespaces/gdt-api/networkpolicies/govkh-link-mef-gdt-microwave?",
            "DELETE /apis/networking.k8s.io/v1/namespaces/mef-tax/networkpolicies/govkh-link-mef-gdt-microwave?",
            "PATCH /apis/digital.gov.kh/v1alpha1/privatenetworklinks/mef-gdt-microwave/status?&force=true&fieldManager=govkh",
            EVENTS,
        ]
    );
    assert_eq!(events(&requests)[0].1, "LinkRefused");
    let status = &requests[2].1["status"];
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
    assert_eq!(got.len(), 2, "{got:#?}");
    assert_eq!(requests[0].1["status"]["state"], "AwaitingApproval");
    assert_eq!(events(&requests)[0].1, "LinkAwaitingApproval");
}

/// On a real API server the links reconciled before the tenancies had made their namespaces,
/// and every apply into a missing namespace was a 404, a WARN and a retry. A policy whose
/// namespace the index does not hold yet is not applied: the link applies the rest, says in
/// `Ready` (reason `NamespaceMissing`) which namespace it waits for, and waits without an
/// error — the namespace's arrival in the index triggers it again (dependents::of_change).
#[tokio::test]
async fn a_link_whose_namespace_does_not_exist_yet_waits_for_it_without_failing() {
    let l = link_json("government-private", &[]);
    let (result, requests) =
        reconcile_link_with(l, None, "2026-11-26T03:00:00Z", Vec::new(), &["mef-tax"]).await;
    assert_eq!(result.unwrap(), Action::await_change());
    let got: Vec<&str> = requests.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(
        got,
        [
            "PATCH /apis/networking.k8s.io/v1/namespaces/mef-tax/networkpolicies/govkh-link-mef-gdt-microwave?&force=true&fieldManager=govkh%2Fprivatenetworklink%2Fmef-gdt-microwave",
            "PATCH /apis/digital.gov.kh/v1alpha1/privatenetworklinks/mef-gdt-microwave/status?&force=true&fieldManager=govkh",
            EVENTS,
        ]
    );
    let status = &requests[1].1["status"];
    assert_eq!(status["state"], "Established");
    assert_eq!(
        status["networkPolicies"],
        json!(["mef-tax/govkh-link-mef-gdt-microwave"])
    );
    let ready = condition(status, "Ready");
    assert_eq!(ready["status"], "False");
    assert_eq!(ready["reason"], "NamespaceMissing");
    assert!(
        ready["message"].as_str().unwrap().contains("gdt-api"),
        "{ready}"
    );
    // Once the namespace exists, the same link is Ready and carries both policies.
    let (_, requests) = reconcile_link_with(
        link_json("government-private", &[]),
        None,
        "2026-11-26T03:00:00Z",
        Vec::new(),
        &["mef-tax", "gdt-api"],
    )
    .await;
    let status = last_status(&requests);
    assert_eq!(status["networkPolicies"].as_array().unwrap().len(), 2);
    let ready = condition(status, "Ready");
    assert_eq!(ready["status"], "True", "{ready}");
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
    assert_eq!(last_status(&requests)["state"], "Established");
}

// ---- DataAccessGrant ----

use govkh::controller::grant;
use govkh_core::api::DataAccessGrant;

fn grant_json(grantee: Value, status_policies: &[&str]) -> Value {
    let mut g = json!({"apiVersion": "digital.gov.kh/v1alpha1", "kind": "DataAccessGrant",
        "metadata": {"name": "gdt-declarations-to-mef", "uid": "33330000-0000-4000-8000-000000000003", "generation": 1},
        "spec": {"owner": "gdt", "grantee": grantee, "dataClass": "confidential", "namespaces": ["gdt-declarations"],
                 "dataTypes": ["tax declarations"], "reason": "revenue audit", "authorizedBy": "owner-ministry", "document": "GDT/2026/7",
                 "validFrom": "2026-06-01", "validUntil": "2026-12-31", "access": {"ports": [{"protocol": "TCP", "port": 5432}]}}});
    if !status_policies.is_empty() {
        g["status"] = json!({"state": "Active", "networkPolicies": status_policies});
    }
    g
}

async fn reconcile_grant(g: Value, now: &str) -> (Result<Action, Error>, Vec<(String, Value)>) {
    let children = carried_children(&g, ("DataAccessGrant", "gdt-declarations-to-mef"));
    let mut held = vec![
        ministry_json("mef"),
        ministry_json("gdt"),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "mef-core", "labels": {"digital.gov.kh/ministry": "mef"}}}),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "mef-tax", "labels": {"digital.gov.kh/ministry": "mef"}}}),
        namespace_json("gdt-declarations"),
    ];
    held.extend(policies_of(&children));
    CHILDREN.with(|c| *c.borrow_mut() = children);
    let now: Timestamp = now.parse().unwrap();
    let obj: DataAccessGrant = serde_json::from_value(g.clone()).unwrap();
    let index = common::index_of(&held);
    with_server(link_routes(g), move |client| async move {
        let ctx = Arc::new(Context::new(client, Arc::new(move || now)).with_index(index));
        grant::reconcile(Arc::new(obj), ctx).await
    })
    .await
}

const GRANT_POLICIES: [&str; 3] = [
    "mef-core/govkh-grant-gdt-declarations-to-mef",
    "mef-tax/govkh-grant-gdt-declarations-to-mef",
    "gdt-declarations/govkh-grant-gdt-declarations-to-mef",
];

#[tokio::test]
async fn an_active_grant_opens_exactly_the_granted_path_until_its_last_day() {
    let (result, requests) = reconcile_grant(
        grant_json(json!({"ministry": "mef"}), &[]),
        "2026-11-26T03:00:00Z",
    )
    .await;
    let got: Vec<&str> = requests.iter().map(|(r, _)| r.as_str()).collect();
    let netpol = |ns: &str| {
        format!(
            "PATCH /apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies/govkh-grant-gdt-declarations-to-mef?&force=true&fieldManager=govkh%2Fdataaccessgrant%2Fgdt-declarations-to-mef"
        )
    };
    assert_eq!(
        got,
        [
            &netpol("mef-core"),
            &netpol("mef-tax"),
            &netpol("gdt-declarations"),
            &format!(
                "PATCH /apis/digital.gov.kh/v1alpha1/dataaccessgrants/gdt-declarations-to-mef/status{APPLY}"
            ),
            EVENTS,
        ]
    );
    // Egress from the grantee's namespaces to the owner's listed namespace, on 5432 only.
    let egress = &requests[0].1["spec"];
    assert_eq!(egress["policyTypes"], json!(["Egress"]));
    assert_eq!(
        egress["egress"][0]["ports"],
        json!([{"protocol": "TCP", "port": 5432}])
    );
    assert_eq!(
        egress["egress"][0]["to"][0]["namespaceSelector"]["matchExpressions"][0]["values"],
        json!(["gdt-declarations"])
    );
    let ingress = &requests[2].1;
    assert_eq!(
        ingress["spec"]["ingress"][0]["from"][0]["namespaceSelector"]["matchExpressions"][0]["values"],
        json!(["mef-core", "mef-tax"])
    );
    assert_eq!(
        ingress["metadata"]["labels"]["digital.gov.kh/grant"],
        "gdt-declarations-to-mef"
    );
    assert_eq!(
        ingress["metadata"]["ownerReferences"][0]["kind"],
        "DataAccessGrant"
    );
    let status = last_status(&requests);
    assert_eq!(status["state"], "Active");
    assert_eq!(status["networkPolicies"], json!(GRANT_POLICIES));
    assert_eq!(events(&requests)[0].1, "GrantActive");
    // Requeued at the first instant after the last day: 2027-01-01 00:00 in Phnom Penh.
    assert_eq!(
        result.unwrap(),
        requeue_from_to("2026-11-26T03:00:00Z", "2026-12-31T17:00:00Z")
    );
}

#[tokio::test]
async fn a_grant_that_ends_closes_its_path_and_says_so() {
    let (result, requests) = reconcile_grant(
        grant_json(json!({"ministry": "mef"}), &GRANT_POLICIES),
        "2026-12-31T17:00:00Z",
    )
    .await;
    assert_eq!(result.unwrap(), Action::await_change());
    let got: Vec<&str> = requests.iter().map(|(r, _)| r.as_str()).collect();
    let delete = |ns: &str| {
        format!(
            "DELETE /apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies/govkh-grant-gdt-declarations-to-mef?"
        )
    };
    assert_eq!(
        got,
        [
            // In the index's order (namespace, name), not the order they were carried in.
            delete("gdt-declarations").as_str(),
            &delete("mef-core"),
            &delete("mef-tax"),
            &format!(
                "PATCH /apis/digital.gov.kh/v1alpha1/dataaccessgrants/gdt-declarations-to-mef/status{APPLY}"
            ),
            EVENTS,
        ]
    );
    let status = last_status(&requests);
    assert_eq!(status["state"], "Expired");
    assert!(status.get("networkPolicies").is_none());
    assert_eq!(
        events(&requests),
        [(
            "Normal".to_string(),
            "GrantExpired".to_string(),
            "gdt-declarations-to-mef".to_string()
        )]
    );
    // Once expired, a second reconcile writes nothing at all.
    let mut g = grant_json(json!({"ministry": "mef"}), &[]);
    g["status"] = status.clone();
    let (_, requests) = reconcile_grant(g, "2027-01-05T03:00:00Z").await;
    assert!(
        requests.iter().all(|(r, _)| r.starts_with("GET ")),
        "{requests:#?}"
    );
}

#[tokio::test]
async fn a_grant_to_a_person_opens_no_network_path() {
    let (_, requests) = reconcile_grant(
        grant_json(json!({"person": "Dr. Sok Dara"}), &[]),
        "2026-11-26T03:00:00Z",
    )
    .await;
    let got: Vec<&str> = requests.iter().map(|(r, _)| r.as_str()).collect();
    // Nothing opened (the prune's list of the grant's children is a read).
    assert!(
        !got.iter()
            .any(|r| !r.starts_with("GET ") && r.contains("networkpolicies")),
        "{got:#?}"
    );
    assert_eq!(last_status(&requests)["state"], "Active");
}

// ---- Approval ----

use govkh::controller::approval as approval_controller;
use govkh_core::api::Approval;

#[tokio::test]
async fn an_approval_reports_its_state_and_expires_on_the_day_after_valid_until() {
    let a = approval("2026-12-31");
    let obj: Approval = serde_json::from_value(a.clone()).unwrap();
    let run = |now: &'static str, obj: Approval, a: Value| async move {
        let now: Timestamp = now.parse().unwrap();
        // The subject link is read from the live index; only the status write reaches here.
        with_server(
            move |method: &str, _: &str, body: &Value| match method {
                "PATCH" => {
                    let mut out = a.clone();
                    out["status"] = body["status"].clone();
                    (200, out)
                }
                _ => (404, json!({"kind": "Status", "code": 404})),
            },
            move |client| async move {
                let index = common::index_of(&[link_json("alternative", &[])]);
                let ctx = Arc::new(Context::new(client, Arc::new(move || now)).with_index(index));
                approval_controller::reconcile(Arc::new(obj), ctx).await
            },
        )
        .await
    };
    let (result, requests) = run("2026-11-26T03:00:00Z", obj.clone(), a.clone()).await;
    let got: Vec<&str> = requests.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(
        got,
        [
            &format!(
                "PATCH /apis/digital.gov.kh/v1alpha1/approvals/mef-gdt-microwave/status{APPLY}"
            ),
            EVENTS,
        ]
    );
    assert_eq!(last_status(&requests)["state"], "InForce");
    assert_eq!(events(&requests)[0].1, "ApprovalInForce");
    assert_eq!(
        result.unwrap(),
        requeue_from_to("2026-11-26T03:00:00Z", "2026-12-31T17:00:00Z")
    );
    // At the boundary: Expired, a Warning Event; the link controller sees the status change.
    let mut obj2 = obj.clone();
    obj2.status = serde_json::from_value(last_status(&requests).clone()).unwrap();
    let (result, requests) = run("2026-12-31T17:00:00Z", obj2, a).await;
    assert_eq!(result.unwrap(), Action::await_change());
    assert_eq!(last_status(&requests)["state"], "Expired");
    assert_eq!(
        events(&requests),
        [(
            "Warning".to_string(),
            "ApprovalExpired".to_string(),
            "mef-gdt-microwave".to_string()
        )]
    );
}

// ---- Ministry and GovernmentCloud (from the audit) ----

use govkh::controller::{cloud, ministry};
use govkh_core::{
    api::{GovernmentCloud, Ministry},
    audit::Audit,
};

fn audit_of_examples(now: &str) -> Audit {
    let loaded = common::examples();
    let lib = govkh_core::policy::Library::builtin().unwrap();
    let (inv, eval, problems) =
        govkh_core::evaluate::evaluate_loaded(loaded, &lib, now.parse().unwrap());
    govkh_core::audit::summarize(&inv, &eval, problems)
}

fn example(kind: &str, name: &str) -> Value {
    let loaded = common::examples();
    let o = loaded
        .objects
        .into_iter()
        .find(|o| o.kind == kind && o.name == name)
        .unwrap();
    let mut v = o.raw;
    v["metadata"]["generation"] = json!(1);
    v
}

#[tokio::test]
async fn a_ministry_shows_its_namespaces_and_the_audit_of_the_same_core_as_check() {
    let m = example("Ministry", "mef");
    let obj: Ministry = serde_json::from_value(m.clone()).unwrap();
    let audit = audit_of_examples("2026-11-26T03:00:00Z");
    let expected = audit.ministries["mef"].clone();
    let now: Timestamp = "2026-11-26T03:00:00Z".parse().unwrap();
    let (result, requests) = with_server(
        // The namespaces are read from the live index; only the status write reaches here.
        move |_: &str, _: &str, body: &Value| {
            let mut out = m.clone();
            out["status"] = body["status"].clone();
            (200, out)
        },
        move |client| async move {
            let index = common::index_of(&[
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "mef-tax", "labels": {"digital.gov.kh/ministry": "mef"}}}),
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "mef-core", "labels": {"digital.gov.kh/ministry": "mef"}}}),
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "moh-records", "labels": {"digital.gov.kh/ministry": "moh"}}}),
            ]);
            let ctx = Arc::new(Context::new(client, Arc::new(move || now)).with_index(index));
            ctx.set_audit(audit, true);
            let r = ministry::reconcile(Arc::new(obj), ctx.clone()).await;
            let metrics = ctx.metrics.render();
            assert!(
                metrics.contains("govkh_compliance_score{ministry=\"mef\"}"),
                "{metrics}"
            );
            r
        },
    )
    .await;
    assert_eq!(result.unwrap(), Action::await_change());
    let got: Vec<&str> = requests.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(
        got[..1],
        [&format!(
            "PATCH /apis/digital.gov.kh/v1alpha1/ministries/mef/status{APPLY}"
        )]
    );
    let status = last_status(&requests);
    assert_eq!(status["namespaces"], json!(["mef-core", "mef-tax"]));
    assert_eq!(
        status["compliance"],
        serde_json::to_value(&expected).unwrap()
    );
    let compliant = status["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "Compliant")
        .unwrap();
    assert_eq!(
        compliant["status"],
        if expected.findings.deny == 0 {
            "True"
        } else {
            "False"
        }
    );
    assert_eq!(
        events(&requests).len(),
        1,
        "one Event for the first verdict"
    );
}

#[tokio::test]
async fn the_government_cloud_counts_tenancies_and_warns_when_some_fall_overdue() {
    let gc = example("GovernmentCloud", "national");
    let obj: GovernmentCloud = serde_json::from_value(gc.clone()).unwrap();
    let audit = audit_of_examples("2027-03-15T03:00:00Z");
    let counts = audit.tenancies.clone();
    let now: Timestamp = "2027-03-15T03:00:00Z".parse().unwrap();
    let (result, requests) = with_server(
        // The operating Ministry is read from the live index; only status writes and Events
        // reach here.
        move |_: &str, _: &str, body: &Value| {
            let mut out = gc.clone();
            out["status"] = body["status"].clone();
            (200, out)
        },
        move |client| async move {
            let index = common::index_of(&[ministry_json("mptc")]);
            let ctx = Arc::new(Context::new(client, Arc::new(move || now)).with_index(index));
            ctx.set_audit(audit, true);
            cloud::reconcile(Arc::new(obj), ctx).await
        },
    )
    .await;
    result.unwrap();
    let status = last_status(&requests);
    assert_eq!(status["ministries"], 8);
    assert_eq!(status["tenancies"], serde_json::to_value(&counts).unwrap());
    assert!(counts.overdue >= 1);
    assert_eq!(
        events(&requests),
        [(
            "Warning".to_string(),
            "MigrationOverdue".to_string(),
            "national".to_string()
        )]
    );
}

// ---- Malformed objects ----

#[tokio::test]
async fn a_malformed_object_is_skipped_with_a_warning_event_and_waits_for_a_change() {
    let guard: kube::core::DeserializeGuard<CloudTenancy> = serde_json::from_value(
        json!({"apiVersion": "digital.gov.kh/v1alpha1", "kind": "CloudTenancy", "metadata": {"name": "broken", "uid": "1"},
               "spec": {"ministry": 42}}),
    )
    .unwrap();
    assert!(guard.0.is_err());
    let (result, requests) = with_server(
        |_: &str, _: &str, _: &Value| (404, json!({})),
        move |client| async move {
            let ctx = Arc::new(Context::new(client, Arc::new(Timestamp::now)));
            govkh::controller::guarded(Arc::new(guard), ctx, tenancy::reconcile).await
        },
    )
    .await;
    let err = result.unwrap_err();
    assert!(
        err.is_invalid() && err.to_string().contains("broken"),
        "{err}"
    );
    assert_eq!(
        events(&requests),
        [(
            "Warning".to_string(),
            "InvalidObject".to_string(),
            "broken".to_string()
        )]
    );
    assert_eq!(requests.len(), 1, "nothing but the Event: {requests:#?}");
}

#[tokio::test]
async fn a_grant_of_an_unknown_ministry_opens_nothing_and_waits_saying_why() {
    let mut g = grant_json(json!({"ministry": "mef"}), &[]);
    g["spec"]["owner"] = json!("nope");
    let (result, requests) = reconcile_grant(g, "2026-11-26T03:00:00Z").await;
    assert!(result.unwrap_err().is_invalid());
    let got: Vec<&str> = requests.iter().map(|(r, _)| r.as_str()).collect();
    // Nothing opened (the prune's list of the grant's children is a read).
    assert!(
        !got.iter()
            .any(|r| !r.starts_with("GET ") && r.contains("networkpolicies")),
        "{got:#?}"
    );
    let ready = &last_status(&requests)["conditions"][0];
    assert_eq!(
        (ready["status"].as_str(), ready["reason"].as_str()),
        (Some("False"), Some("MinistryNotFound"))
    );
    let reasons: Vec<String> = events(&requests).into_iter().map(|e| e.1).collect();
    assert_eq!(reasons, ["MinistryNotFound"]);
}

// ---- Pruning: what is no longer desired is taken back ----

fn deletes(requests: &[(String, Value)]) -> Vec<String> {
    requests
        .iter()
        .filter(|(r, _)| r.starts_with("DELETE "))
        .map(|(r, _)| r.trim_end_matches('?').to_string())
        .collect()
}

/// What the tenancy of `server()` provisioned in the cluster, labelled as govkh labels it.
fn nssf_children() -> Vec<Value> {
    let owner = ("CloudTenancy", "nssf-claims");
    vec![
        child("ResourceQuota", "v1", "nssf-claims", "govkh-quota", owner),
        child("LimitRange", "v1", "nssf-claims", "govkh-limits", owner),
        child(
            "RoleBinding",
            "rbac.authorization.k8s.io/v1",
            "nssf-claims",
            "govkh-dtu-admin",
            owner,
        ),
        child(
            "NetworkPolicy",
            "networking.k8s.io/v1",
            "nssf-claims",
            "govkh-default-deny",
            owner,
        ),
    ]
}

#[tokio::test]
async fn emptying_the_dtu_groups_revokes_their_admin_binding() {
    let mut s = server();
    s.ministry.as_mut().unwrap()["spec"]["digitalTransformationUnit"]["groups"] = json!([]);
    s.children = nssf_children();
    let (result, requests) = reconcile(tenancy_json(true), s, "2026-11-26T03:00:00Z").await;
    result.unwrap();
    assert_eq!(
        deletes(&requests),
        [
            "DELETE /apis/rbac.authorization.k8s.io/v1/namespaces/nssf-claims/rolebindings/govkh-dtu-admin"
        ]
    );
    assert!(
        !requests
            .iter()
            .any(|(r, _)| r.starts_with("PATCH") && r.contains("/rolebindings/")),
        "no binding applied"
    );
}

#[tokio::test]
async fn removing_a_namespaces_quota_deletes_its_quota_and_limits() {
    let mut t = tenancy_json(true);
    t["spec"]["namespaces"][0]
        .as_object_mut()
        .unwrap()
        .remove("quota");
    let mut s = server();
    s.children = nssf_children();
    let (result, requests) = reconcile(t, s, "2026-11-26T03:00:00Z").await;
    result.unwrap();
    assert_eq!(
        deletes(&requests),
        [
            "DELETE /api/v1/namespaces/nssf-claims/resourcequotas/govkh-quota",
            "DELETE /api/v1/namespaces/nssf-claims/limitranges/govkh-limits",
        ]
    );
}

#[tokio::test]
async fn a_child_made_by_hand_with_the_owner_labels_is_pruned_and_an_unlabelled_one_never() {
    let mut s = server();
    s.children = nssf_children();
    // Labelled as the tenancy's, but nothing the tenancy desires: pruned.
    s.children.push(child(
        "NetworkPolicy",
        "networking.k8s.io/v1",
        "nssf-claims",
        "allow-everything",
        ("CloudTenancy", "nssf-claims"),
    ));
    // Same name as a child of the tenancy, in another namespace, without govkh's labels: the
    // label-selected list never returns it, so it is never touched.
    s.children.push(json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "govkh-default-deny", "namespace": "kube-system", "labels": {"team": "platform"}}}));
    // Another tenancy's child: not this one's to prune.
    s.children.push(child(
        "NetworkPolicy",
        "networking.k8s.io/v1",
        "mef-tax",
        "govkh-default-deny",
        ("CloudTenancy", "mef-core"),
    ));
    let (result, requests) = reconcile(tenancy_json(true), s, "2026-11-26T03:00:00Z").await;
    result.unwrap();
    assert_eq!(
        deletes(&requests),
        [
            "DELETE /apis/networking.k8s.io/v1/namespaces/nssf-claims/networkpolicies/allow-everything"
        ]
    );
}

#[tokio::test]
async fn a_links_policies_are_found_and_removed_even_when_its_status_forgot_them() {
    // The status that remembered the policies was lost; the cluster still holds them.
    let owner = ("PrivateNetworkLink", "mef-gdt-microwave");
    let children = vec![
        child(
            "NetworkPolicy",
            "networking.k8s.io/v1",
            "mef-tax",
            "govkh-link-mef-gdt-microwave",
            owner,
        ),
        child(
            "NetworkPolicy",
            "networking.k8s.io/v1",
            "gdt-api",
            "govkh-link-mef-gdt-microwave",
            owner,
        ),
    ];
    let (result, requests) = reconcile_link_with(
        link_json("alternative", &[]),
        Some(approval("2027-06-30")),
        "2027-06-30T17:00:00Z",
        children,
        &["mef-tax", "gdt-api"],
    )
    .await;
    assert_eq!(result.unwrap(), Action::await_change());
    assert_eq!(
        deletes(&requests),
        [
            "DELETE /apis/networking.k8s.io/v1/namespaces/gdt-api/networkpolicies/govkh-link-mef-gdt-microwave",
            "DELETE /apis/networking.k8s.io/v1/namespaces/mef-tax/networkpolicies/govkh-link-mef-gdt-microwave",
        ]
    );
    assert_eq!(last_status(&requests)["state"], "Refused");
}

#[test]
fn children_carry_their_owners_labels_even_with_long_names() {
    use govkh_core::provision::desired::{LABEL_OWNER_NAME, label_value, owner_selector};
    assert_eq!(label_value("nssf-claims"), "nssf-claims");
    let long = "a".repeat(70);
    let v = label_value(&long);
    assert!(v.len() <= 63, "{v}");
    assert_eq!(v, label_value(&long), "stable");
    assert_ne!(label_value(&"b".repeat(70)), v);
    assert!(owner_selector("CloudTenancy", &long).ends_with(&format!("{LABEL_OWNER_NAME}={v}")));
}

// ---- The fence: whose namespaces are whose, and where paths may go ----

#[tokio::test]
async fn a_tenancy_never_touches_a_reserved_contested_foreign_or_unhanded_namespace() {
    let mut t = tenancy_json(true);
    t["spec"]["namespaces"] = json!([
        {"name": "kube-system"}, {"name": "govkh-system"}, {"name": "mef-tax"},
        {"name": "victim-legacy"}, {"name": "nssf-claims"}
    ]);
    t["spec"]["deletionPolicy"] = json!("Delete");
    let mut s = server();
    let mut mef = held_namespace("mef-tax", true);
    mef["metadata"]["labels"]["digital.gov.kh/tenancy"] = json!("mef-core");
    mef["metadata"]["labels"]["digital.gov.kh/ministry"] = json!("mef");
    s.namespaces = vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}}),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "victim-legacy"}}),
        mef,
    ];
    s.tenancies.push(json!({"apiVersion": "digital.gov.kh/v1alpha1", "kind": "CloudTenancy",
        "metadata": {"name": "mef-core"},
        "spec": {"ministry": "mef", "placement": "government-private", "namespaces": [{"name": "mef-tax"}]}}));
    let (result, requests) = reconcile(t, s, "2026-11-26T03:00:00Z").await;
    result.unwrap();
    let touched: Vec<&str> = requests
        .iter()
        .map(|(r, _)| r.as_str())
        .filter(|r| {
            !r.starts_with("GET ") && !r.contains("/cloudtenancies/") && !r.contains("/events")
        })
        .collect();
    // Only its own namespace is created and provisioned.
    assert!(
        touched
            .iter()
            .all(|r| r.contains("nssf-claims") || *r == CREATE_NAMESPACE),
        "{touched:#?}"
    );
    assert_eq!(touched[0], CREATE_NAMESPACE);
    assert_eq!(requests[0].1["metadata"]["name"], "nssf-claims");
    let status = last_status(&requests);
    assert_eq!(status["namespaces"], json!(["nssf-claims"]));
    let claimed = condition(status, "NamespacesClaimed");
    assert_eq!(claimed["status"], "False");
    let message = claimed["message"].as_str().unwrap();
    for (ns, why) in [
        ("kube-system", "reserved"),
        ("govkh-system", "reserved"),
        ("mef-tax", "held by CloudTenancy mef-core"),
        ("victim-legacy", "only the platform can hand it over"),
    ] {
        assert!(
            message.contains(&format!("namespace {ns} ")) && message.contains(why),
            "{ns}: {message}"
        );
    }
    let ready = condition(status, "Ready");
    assert_eq!(
        (ready["status"].as_str(), ready["reason"].as_str()),
        (Some("False"), Some("NamespaceReserved"))
    );
    assert!(
        events(&requests)
            .iter()
            .any(|(t, r, _)| t == "Warning" && r == "NamespaceReserved")
    );
}

#[tokio::test]
async fn a_namespace_the_platform_handed_over_is_provisioned_but_never_owned() {
    let mut t = tenancy_json(true);
    t["spec"]["namespaces"][0]["adopt"] = json!(true);
    let mut s = server();
    s.namespaces = vec![json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": "nssf-claims", "labels": {"team": "claims"}}})];
    let (result, requests) = reconcile(t, s, "2026-11-26T03:00:00Z").await;
    result.unwrap();
    let got: Vec<&str> = requests.iter().map(|(r, _)| r.as_str()).collect();
    assert!(!got.contains(&CREATE_NAMESPACE), "it exists: {got:#?}");
    let ns = &requests[0];
    assert_eq!(
        ns.0,
        format!("PATCH /api/v1/namespaces/nssf-claims{TENANCY_APPLY}")
    );
    assert_eq!(
        ns.1["metadata"]["labels"]["digital.gov.kh/tenancy"],
        "nssf-claims"
    );
    assert!(
        ns.1["metadata"].get("ownerReferences").is_none(),
        "never deleted with the tenancy"
    );
    assert!(
        ns.1["metadata"]["annotations"]
            .get("digital.gov.kh/created-by")
            .is_none()
    );
    assert_eq!(
        condition(last_status(&requests), "NamespacesClaimed")["status"],
        "True"
    );
}

#[tokio::test]
async fn two_tenancies_declaring_one_namespace_are_both_told_and_the_holder_keeps_it() {
    // nssf-claims made for this tenancy; another tenancy declares it too (admitted while the
    // webhook was down): this one keeps it, and says so.
    let mut s = server();
    s.namespaces = vec![held_namespace("nssf-claims", true)];
    let mut other = tenancy_json(true);
    other["metadata"]["name"] = json!("nssf-rival");
    s.tenancies.push(other);
    let (result, requests) = reconcile(tenancy_json(true), s, "2026-11-26T03:00:00Z").await;
    result.unwrap();
    let status = last_status(&requests);
    assert_eq!(status["namespaces"], json!(["nssf-claims"]));
    let claimed = condition(status, "NamespacesClaimed");
    assert_eq!(
        (claimed["status"].as_str(), claimed["reason"].as_str()),
        (Some("False"), Some("NamespaceConflict"))
    );
    assert!(
        claimed["message"].as_str().unwrap().contains("nssf-rival"),
        "{claimed}"
    );
    assert_eq!(
        condition(status, "Ready")["status"],
        "True",
        "it holds what it declares"
    );
}

#[tokio::test]
async fn a_link_the_receiving_ministry_has_not_agreed_to_opens_nothing() {
    for annotations in [
        json!({}),
        json!({"digital.gov.kh/accepted-generation": "2"}),
    ] {
        let mut l = link_json("government-private", &[]);
        l["metadata"]["annotations"] = annotations;
        let (result, requests) = reconcile_link(l, None, "2026-11-26T03:00:00Z").await;
        assert_eq!(result.unwrap(), Action::await_change());
        assert!(
            !requests.iter().any(|(r, _)| r.contains("networkpolicies")),
            "{requests:#?}"
        );
        let status = last_status(&requests);
        assert_eq!(status["state"], "AwaitingAcceptance");
        let compliant = condition(status, "Compliant");
        assert_eq!(compliant["reason"], "AwaitingAcceptance");
        assert!(
            compliant["message"]
                .as_str()
                .unwrap()
                .contains("accepted-generation=3"),
            "{compliant}"
        );
    }
}

#[tokio::test]
async fn a_link_into_another_ministrys_namespace_or_outside_the_private_network_is_refused() {
    let mut into_mef = link_json("government-private", &[]);
    into_mef["spec"]["to"]["namespaces"] = json!(["mef-tax"]);
    let mut outside = link_json("government-private", &[]);
    outside["spec"]["to"] = json!({"cidrs": ["0.0.0.0/0"]});
    for (l, reason) in [
        (into_mef, "NamespaceNotOwned"),
        (outside, "OutsidePrivateNetwork"),
    ] {
        let (result, requests) = reconcile_link(l, None, "2026-11-26T03:00:00Z").await;
        result.unwrap();
        assert!(
            !requests
                .iter()
                .any(|(r, _)| r.starts_with("PATCH") && r.contains("networkpolicies")),
            "{requests:#?}"
        );
        let status = last_status(&requests);
        assert_eq!(status["state"], "Refused");
        assert_eq!(condition(status, "Compliant")["reason"], reason);
    }
}

#[tokio::test]
async fn a_grant_of_top_secret_data_opens_nothing() {
    let mut g = grant_json(json!({"ministry": "mef"}), &[]);
    g["spec"]["dataClass"] = json!("top-secret");
    let (result, requests) = reconcile_grant(g, "2026-11-26T03:00:00Z").await;
    result.unwrap();
    assert!(
        !requests
            .iter()
            .any(|(r, _)| r.starts_with("PATCH") && r.contains("networkpolicies")),
        "{requests:#?}"
    );
    let ready = &last_status(&requests)["conditions"][0];
    assert_eq!(
        (ready["status"].as_str(), ready["reason"].as_str()),
        (Some("False"), Some("TopSecretData"))
    );
}

#[tokio::test]
async fn a_tenancy_of_a_long_name_and_a_namespace_of_63_characters_is_provisioned_within_the_limits()
 {
    let long = format!("nssf-{}", "c".repeat(195));
    let ns = format!("n{}", "x".repeat(62));
    let mut t = tenancy_json(true);
    t["metadata"]["name"] = json!(long);
    t["spec"]["namespaces"][0]["name"] = json!(ns);
    let (result, requests) = reconcile(t, server(), "2026-11-26T03:00:00Z").await;
    result.unwrap();
    let applied: Vec<&(String, Value)> = requests
        .iter()
        .filter(|(r, _)| r.starts_with("PATCH") && r.contains(&ns))
        .collect();
    assert!(applied.len() >= 7, "{requests:#?}");
    for (r, body) in applied {
        let manager = r.split("fieldManager=").nth(1).unwrap();
        let manager = manager.replace("%2F", "/");
        assert!(manager.len() <= 128, "{manager}");
        assert!(
            manager.starts_with("govkh/cloudtenancy/nssf-ccc"),
            "{manager}"
        );
        for v in body["metadata"]["labels"].as_object().unwrap().values() {
            assert!(v.as_str().unwrap().len() <= 63, "{r}: {v}");
        }
    }
    assert_eq!(last_status(&requests)["namespaces"], json!([ns]));
}

#[tokio::test]
async fn a_namespace_deleted_while_its_tenancy_holds_it_is_made_again() {
    // The tenancy held nssf-claims (its status says so); someone deleted the namespace and the
    // index no longer holds it: it is the tenancy's to create again, recorded anew.
    let mut t = tenancy_json(true);
    t["status"] = json!({"namespaces": ["nssf-claims"]});
    let (result, requests) = reconcile(t, server(), "2026-11-26T03:00:00Z").await;
    result.unwrap();
    assert_eq!(requests[0].0, CREATE_NAMESPACE);
    assert_eq!(requests[0].1["metadata"]["name"], "nssf-claims");
    assert_eq!(last_status(&requests)["namespaces"], json!(["nssf-claims"]));
}
