//! The live index and admission on it: the index fed by scripted watch events as kube's
//! watcher delivers them (so a request that follows a change is judged with it), a relist cut
//! short that leaves the index as it was, and admission reading through to a mocked API server
//! for what the index does not hold yet — refusing when it cannot read it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::{pin::pin, sync::Arc, time::Duration};

use govkh::{
    context::Context,
    index::{Index, handle_event},
    webhook::{Admission, AdmissionOutcome},
};
use govkh_core::{policy::Library, resources::RESOURCES};
use http::{Request, Response};
use k8s_openapi::jiff::Timestamp;
use kube::{client::Body, runtime::watcher::Event};
use serde_json::{Value, json};

const NOW: &str = "2026-11-26T03:00:00Z";

fn kind(name: &str) -> &'static govkh_core::resources::Resource {
    RESOURCES.iter().find(|r| r.kind == name).unwrap()
}

fn review(operation: &str, object: &Value, groups: &[&str]) -> Vec<u8> {
    common::admission_review(
        "0b6c1b9e-0000-4000-8000-000000000001",
        "dara@moh.gov.kh",
        operation,
        object,
        groups,
    )
}

fn volume(name: &str, class: Option<&str>, clone_of: Option<&str>) -> Value {
    let mut v = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": "moh-records"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}});
    if let Some(c) = class {
        v["metadata"]["labels"] = json!({"digital.gov.kh/data-class": c});
    }
    if let Some(source) = clone_of {
        v["spec"]["dataSource"] = json!({"kind": "PersistentVolumeClaim", "name": source});
    }
    v
}

/// A kube client on a mocked API server: `route` answers each request (method, path); the
/// requests are counted in the returned log.
fn mocked(
    route: impl Fn(&str, &str) -> (u16, Value) + Send + 'static,
) -> (kube::Client, Arc<std::sync::Mutex<Vec<String>>>) {
    mocked_with(move |method, path, _| Some(route(method, path)))
}

/// `mocked`, with the query given to `route` too; `None` holds the request open, unanswered
/// (a watch with nothing to say).
fn mocked_with(
    route: impl Fn(&str, &str, &str) -> Option<(u16, Value)> + Send + 'static,
) -> (kube::Client, Arc<std::sync::Mutex<Vec<String>>>) {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let log = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = log.clone();
    tokio::spawn(async move {
        let mut handle = pin!(handle);
        let mut held = Vec::new();
        while let Some((request, send)) = handle.next_request().await {
            let method = request.method().to_string();
            let path = request.uri().path().to_string();
            let query = request.uri().query().unwrap_or_default().to_string();
            seen.lock().unwrap().push(format!("{method} {path}"));
            let Some((status, body)) = route(&method, &path, &query) else {
                held.push(send);
                continue;
            };
            send.send_response(
                Response::builder()
                    .status(status)
                    .body(Body::from(serde_json::to_vec(&body).unwrap()))
                    .unwrap(),
            );
        }
    });
    (kube::Client::new(service, "default"), log)
}

fn not_found(what: &str) -> (u16, Value) {
    (
        404,
        json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
               "message": format!("{what} not found"), "code": 404}),
    )
}

/// A client whose API server never answers.
fn silent() -> kube::Client {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    // Keep the handle alive for the test's length: requests wait, unanswered.
    std::mem::forget(handle);
    kube::Client::new(service, "default")
}

fn admission(client: kube::Client, index: Arc<Index>) -> Admission {
    let now: Timestamp = NOW.parse().unwrap();
    let ctx = Arc::new(Context::new(client, Arc::new(move || now)).with_index(index));
    let mut a = Admission::new(ctx, Arc::new(Library::builtin().unwrap()));
    a.deadline = Duration::from_millis(500);
    // These tests assert the reads admission makes; the refusal's Event has its own test.
    a.events = false;
    a
}

async fn answer(a: &Admission, body: &[u8]) -> (bool, String, AdmissionOutcome) {
    let (review, outcome) = a.review(body).await.unwrap();
    let r = serde_json::to_value(review).unwrap();
    (
        r["response"]["allowed"].as_bool().unwrap(),
        r["response"]["status"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        outcome,
    )
}

#[tokio::test]
async fn a_volume_created_then_cloned_in_the_next_request_is_refused() {
    let index = common::index_of(&common::examples_in_cluster());
    let a = admission(silent(), index.clone());
    let secret = volume("registry-keys", Some("top-secret"), None);
    let clone = volume("registry-keys-copy", None, Some("registry-keys"));
    // The first document of the apply is created; its watch event reaches the index.
    handle_event(
        &index,
        kind("PersistentVolumeClaim"),
        Event::Apply(secret),
        &mut None,
    );
    let (allowed, message, outcome) = answer(&a, &review("CREATE", &clone, &[])).await;
    assert!(!allowed, "the clone of a top-secret volume was admitted");
    assert_eq!(outcome, AdmissionOutcome::Denied);
    assert!(
        message.contains("[no-reproduction]") && message.contains("registry-keys"),
        "{message}"
    );
}

#[tokio::test]
async fn a_new_claim_leaves_the_shared_context_as_it_was_and_its_clone_is_still_judged() {
    let index = common::index_of(&common::examples_in_cluster());
    let a = admission(silent(), index.clone());
    let now: Timestamp = NOW.parse().unwrap();
    let before = index.snapshot(now);
    // A thousand claims, the last top-secret: none of them is the policies' shared context,
    // which stays the one computed before them; each review looks its source up alone.
    for i in 0..1000 {
        let class = (i == 999).then_some("top-secret");
        handle_event(
            &index,
            kind("PersistentVolumeClaim"),
            Event::Apply(volume(&format!("claim-{i}"), class, None)),
            &mut None,
        );
    }
    let after = index.snapshot(now);
    assert!(
        after.prepared.is_shared_with(&before.prepared),
        "a volume claim made the shared context be computed again"
    );
    assert!(after.inventory.others.len() >= before.inventory.others.len() + 1000);
    let clone = volume("claim-copy", None, Some("claim-999"));
    let (allowed, message, _) = answer(&a, &review("CREATE", &clone, &[])).await;
    assert!(!allowed, "the clone of a top-secret volume was admitted");
    assert!(message.contains("claim-999"), "{message}");
    let open = volume("claim-copy", None, Some("claim-5"));
    let (allowed, message, _) = answer(&a, &review("CREATE", &open, &[])).await;
    assert!(allowed, "{message}");
    // A Namespace is context: a change of one is computed again.
    handle_event(
        &index,
        kind("Namespace"),
        Event::Apply(json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "moh-records", "labels": {"team": "records"}}})),
        &mut None,
    );
    assert!(
        !index
            .snapshot(now)
            .prepared
            .is_shared_with(&before.prepared)
    );
}

#[tokio::test]
async fn a_clone_of_a_volume_the_index_has_not_seen_reads_it_through() {
    let index = common::index_of(&common::examples_in_cluster());
    let (client, log) = mocked(|method, path| {
        if method == "GET"
            && path == "/api/v1/namespaces/moh-records/persistentvolumeclaims/registry-keys"
        {
            (200, volume("registry-keys", Some("top-secret"), None))
        } else {
            not_found(path)
        }
    });
    let a = admission(client, index);
    let clone = volume("registry-keys-copy", None, Some("registry-keys"));
    let (allowed, message, _) = answer(&a, &review("CREATE", &clone, &[])).await;
    assert!(!allowed, "{message}");
    assert!(message.contains("[no-reproduction]"), "{message}");
    assert_eq!(
        log.lock().unwrap().clone(),
        ["GET /api/v1/namespaces/moh-records/persistentvolumeclaims/registry-keys"]
    );
    let metrics = a.ctx.metrics.render();
    assert!(
        metrics.contains("govkh_admission_reads_through_total 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_clone_of_a_volume_that_does_not_exist_is_judged_without_it() {
    let index = common::index_of(&common::examples_in_cluster());
    let (client, log) = mocked(|_, path| not_found(path));
    let a = admission(client, index);
    let clone = volume("registry-keys-copy", None, Some("nothing-here"));
    let (_, message, outcome) = answer(&a, &review("CREATE", &clone, &[])).await;
    assert!(!message.contains("[no-reproduction]"), "{message}");
    assert_ne!(outcome, AdmissionOutcome::Unverified);
    assert_eq!(log.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn what_cannot_be_read_in_time_refuses_the_request_saying_what() {
    let index = common::index_of(&common::examples_in_cluster());
    let a = admission(silent(), index);
    let clone = volume("registry-keys-copy", None, Some("registry-keys"));
    let (allowed, message, outcome) = answer(&a, &review("CREATE", &clone, &[])).await;
    assert!(!allowed);
    assert_eq!(outcome, AdmissionOutcome::Unverified);
    assert!(
        message.contains("could not verify PersistentVolumeClaim moh-records/registry-keys")
            && message.contains("no answer within 500 ms"),
        "{message}"
    );
    // An API error is refused the same way, with its status in one line.
    let (client, _) = mocked(|_, _| {
        (
            503,
            json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "ServiceUnavailable",
                   "message": "etcd is down", "code": 503}),
        )
    });
    let a = admission(client, common::index_of(&common::examples_in_cluster()));
    let (allowed, message, _) = answer(&a, &review("CREATE", &clone, &[])).await;
    assert!(!allowed);
    assert!(
        message.contains("(503 ServiceUnavailable: etcd is down)"),
        "{message}"
    );
}

fn ingress(namespace: &str, host: &str) -> Value {
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": "site", "namespace": namespace},
        "spec": {"rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix",
            "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}})
}

fn namespace(name: &str, ministry: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": name, "labels": {"digital.gov.kh/ministry": ministry}}})
}

#[tokio::test]
async fn a_namespace_created_then_given_a_site_outside_the_ministrys_domain_is_refused() {
    // Through the index: the Namespace's watch event arrived first.
    let index = common::index_of(&common::examples_in_cluster());
    handle_event(
        &index,
        kind("Namespace"),
        Event::Apply(namespace("moeys-new", "moeys")),
        &mut None,
    );
    let a = admission(silent(), index);
    let site = ingress("moeys-new", "elearning-moeys.example.com");
    let (allowed, message, _) = answer(&a, &review("CREATE", &site, &[])).await;
    assert!(!allowed, "{message}");
    assert!(message.contains("[official-domain]"), "{message}");
    // Through a read: the event has not arrived; the API server has the Namespace.
    let (client, log) = mocked(|_, path| {
        if path == "/api/v1/namespaces/moeys-new" {
            (200, namespace("moeys-new", "moeys"))
        } else {
            not_found(path)
        }
    });
    let a = admission(client, common::index_of(&common::examples_in_cluster()));
    let (allowed, message, _) = answer(&a, &review("CREATE", &site, &[])).await;
    assert!(!allowed, "{message}");
    assert!(message.contains("[official-domain]"), "{message}");
    assert_eq!(
        log.lock().unwrap().clone(),
        ["GET /api/v1/namespaces/moeys-new"]
    );
}

#[tokio::test]
async fn a_namespace_a_tenancy_just_provisioned_carries_its_placement_into_the_next_request() {
    // MoH's records run on a government-leased cloud: top-secret data may not (Art. 10, 25).
    let index = common::index_of(&common::examples_in_cluster());
    let mut tenancy = common::examples_in_cluster()
        .into_iter()
        .find(|o| o["kind"] == "CloudTenancy" && o["metadata"]["name"] == "moh-records")
        .expect("the examples' MoH tenancy");
    tenancy["spec"]["namespaces"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "moh-archive"}));
    handle_event(
        &index,
        kind("CloudTenancy"),
        Event::Apply(tenancy),
        &mut None,
    );
    let a = admission(silent(), index);
    let workload = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "vault", "namespace": "moh-archive", "labels": {"digital.gov.kh/data-class": "top-secret"}},
        "spec": {"selector": {"matchLabels": {"app": "vault"}},
                 "template": {"metadata": {"labels": {"app": "vault"}}, "spec": {"containers": [{"name": "v", "image": "vault"}]}}}});
    let (allowed, message, _) = answer(&a, &review("CREATE", &workload, &[])).await;
    assert!(!allowed, "{message}");
    assert!(message.contains("[data-placement]"), "{message}");
}

/// The answer's warnings, one line each.
async fn warnings(a: &Admission, body: &[u8]) -> (bool, Vec<String>) {
    let (review, _) = a.review(body).await.unwrap();
    let r = serde_json::to_value(review).unwrap();
    let w = r["response"]["warnings"]
        .as_array()
        .map(|w| {
            w.iter()
                .filter_map(|l| l.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    (r["response"]["allowed"].as_bool().unwrap(), w)
}

/// A link whose grant is gone is admitted (it opens nothing until a grant arrives: the link
/// reconciler waits, AwaitingGrant), with the denial as a warning — so a link and its grant
/// applied together need no order; the audit still counts it.
#[tokio::test]
async fn a_link_whose_grant_was_deleted_is_admitted_waiting_with_a_warning() {
    let objects = common::examples_in_cluster();
    let link = objects
        .iter()
        .find(|o| o["kind"] == "PrivateNetworkLink" && o["metadata"]["name"] == "mef-to-gdt")
        .cloned()
        .unwrap();
    let grant = objects
        .iter()
        .find(|o| {
            o["kind"] == "DataAccessGrant" && o["metadata"]["name"] == "gdt-declarations-to-mef"
        })
        .cloned()
        .unwrap();
    let index = common::index_of(&objects);
    let a = admission(silent(), index.clone());
    let (allowed, w) = warnings(&a, &review("UPDATE", &link, &[])).await;
    assert!(allowed && w.is_empty(), "with the grant in force: {w:?}");
    handle_event(
        &index,
        kind("DataAccessGrant"),
        Event::Delete(grant),
        &mut None,
    );
    let (allowed, w) = warnings(&a, &review("UPDATE", &link, &[])).await;
    assert!(allowed, "a link waiting for its grant is admitted");
    assert!(
        w.iter().any(|l| l.contains("[no-dissemination]")
            && l.contains("without an active DataAccessGrant")
            && l.contains("admitted, waiting for its DataAccessGrant")),
        "{w:?}"
    );
}

#[test]
fn a_relist_cut_short_leaves_the_index_as_it_was_and_a_complete_one_replaces_the_kind() {
    let index = common::index_of(&common::examples_in_cluster());
    let pvc = kind("PersistentVolumeClaim");
    let mut buffer = None;
    handle_event(
        &index,
        pvc,
        Event::Apply(volume("a", Some("open"), None)),
        &mut buffer,
    );
    handle_event(
        &index,
        pvc,
        Event::Apply(volume("b", Some("open"), None)),
        &mut buffer,
    );
    let key = |n: &str| format!("v1/PersistentVolumeClaim/moh-records/{n}");
    let has = |index: &Index, n: &str| index.inventory().others.contains_key(&key(n));
    assert!(has(&index, "a") && has(&index, "b"));
    let before = index.version();
    // The watch expires; the relist starts and the stream dies after one object.
    handle_event(&index, pvc, Event::Init, &mut buffer);
    handle_event(
        &index,
        pvc,
        Event::InitApply(volume("c", None, None)),
        &mut buffer,
    );
    assert!(has(&index, "a") && has(&index, "b") && !has(&index, "c"));
    assert_eq!(index.version(), before, "nothing applied mid-list");
    // The retry lists again, completely: what the cluster holds now replaces the kind.
    handle_event(&index, pvc, Event::Init, &mut buffer);
    handle_event(
        &index,
        pvc,
        Event::InitApply(volume("b", Some("open"), None)),
        &mut buffer,
    );
    handle_event(
        &index,
        pvc,
        Event::InitApply(volume("d", None, None)),
        &mut buffer,
    );
    handle_event(&index, pvc, Event::InitDone, &mut buffer);
    assert!(!has(&index, "a") && has(&index, "b") && !has(&index, "c") && has(&index, "d"));
}

#[test]
fn the_index_keeps_out_malformed_objects_and_what_no_policy_reads() {
    let index = common::index_of(&common::examples_in_cluster());
    let ministry = kind("Ministry");
    let mut broken = common::examples_in_cluster()
        .into_iter()
        .find(|o| o["kind"] == "Ministry" && o["metadata"]["name"] == "mef")
        .unwrap();
    broken["spec"]["domain"] = json!("mef.example.com");
    handle_event(&index, ministry, Event::Apply(broken), &mut None);
    assert!(!index.inventory().ministries.contains_key("mef"));
    let refused = index.refused();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(
        refused[0].message.contains("spec.domain"),
        "{}",
        refused[0].message
    );
    // The others stay.
    assert!(index.inventory().ministries.contains_key("moh"));
    // managedFields, the last-applied copy and the status of workloads are dropped.
    let mut d = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "moh-records",
                     "managedFields": [{"manager": "kubectl"}],
                     "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{...}", "keep": "me"}},
        "spec": {"template": {"spec": {"containers": []}}}, "status": {"replicas": 3}});
    handle_event(
        &index,
        kind("Deployment"),
        Event::Apply(d.clone()),
        &mut None,
    );
    let held = index
        .object("apps/v1", "Deployment", Some("moh-records"), "web")
        .unwrap();
    assert!(index.judges("apps/v1", "Deployment", Some("moh-records"), "web"));
    assert!(held["metadata"].get("managedFields").is_none());
    assert!(held["status"].is_null());
    assert_eq!(held["metadata"]["annotations"], json!({"keep": "me"}));
    // Outside ministries' namespaces objects are held but not judged; they join when their
    // namespace becomes a ministry's.
    d["metadata"]["namespace"] = json!("kube-system");
    handle_event(&index, kind("Deployment"), Event::Apply(d), &mut None);
    let judged = |index: &Index| index.judges("apps/v1", "Deployment", Some("kube-system"), "web");
    assert!(
        index
            .object("apps/v1", "Deployment", Some("kube-system"), "web")
            .is_some()
    );
    assert!(!judged(&index));
    handle_event(
        &index,
        kind("Namespace"),
        Event::Apply(namespace("kube-system", "mptc")),
        &mut None,
    );
    assert!(judged(&index));
    // Volume claims shape the policies' context: they join the inventory itself.
    handle_event(
        &index,
        kind("PersistentVolumeClaim"),
        Event::Apply(json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data", "namespace": "kube-system"}, "spec": {}})),
        &mut None,
    );
    assert!(
        index
            .inventory()
            .others
            .contains_key("v1/PersistentVolumeClaim/kube-system/data")
    );
}

#[tokio::test]
async fn the_verdicts_follow_the_day_without_a_change() {
    // The MEF-GDT grant ends on 2027-06-30: on 2027-07-01 the link needs a new one.
    let objects = common::examples_in_cluster();
    let link = objects
        .iter()
        .find(|o| o["kind"] == "PrivateNetworkLink" && o["metadata"]["name"] == "mef-to-gdt")
        .cloned()
        .unwrap();
    let index = common::index_of(&objects);
    let day = index.snapshot(NOW.parse().unwrap());
    let same = index.snapshot("2026-11-26T09:00:00Z".parse().unwrap());
    assert!(
        Arc::ptr_eq(&day, &same),
        "one computation per day and change"
    );
    let later = index.snapshot("2027-07-01T03:00:00Z".parse().unwrap());
    assert_ne!(day.prepared.today, later.prepared.today);
    let now: Timestamp = "2027-07-01T03:00:00Z".parse().unwrap();
    let ctx = Arc::new(Context::new(silent(), Arc::new(move || now)).with_index(index));
    let a = Admission::new(ctx, Arc::new(Library::builtin().unwrap()));
    // Admitted (it waits), but not as it was: the grant it needs has ended.
    let (allowed, w) = warnings(&a, &review("UPDATE", &link, &[])).await;
    assert!(
        allowed && w.iter().any(|l| l.contains("[no-dissemination]")),
        "{w:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn the_audit_reads_the_index_and_lists_nothing_over_an_hour() {
    let (client, log) = mocked(|_, path| not_found(path));
    let now: Timestamp = NOW.parse().unwrap();
    let index = common::index_of(&common::examples_in_cluster());
    let ctx = Arc::new(Context::new(client, Arc::new(move || now)).with_index(index.clone()));
    let (done, mut audits) = tokio::sync::watch::channel(0u64);
    // The first audit's own duration in real time is at most this much: the pause after it is
    // AUDIT_DUTY times that when longer than AUDIT_MIN_GAP (a loaded machine lengthens it).
    let real = std::time::Instant::now();
    let task = tokio::spawn(govkh::audit::audit_loop(
        ctx.clone(),
        Arc::new(Library::builtin().unwrap()),
        Duration::from_secs(300),
        Arc::new(std::sync::atomic::AtomicBool::new(true)),
        done,
        None,
        None,
    ));
    audits.changed().await.unwrap();
    // The same summary as from the manifests (`govkh check`/`report` on examples/).
    let first = ctx.audit().expect("an audit");
    let lib = Library::builtin().unwrap();
    // The example cloud resources included: the index holds them by their metadata, as their
    // cloud APIs' watches bring them.
    let files = common::examples();
    let (inv, eval, problems) = govkh_core::evaluate::evaluate_loaded(files, &lib, now);
    let from_files = govkh_core::audit::summarize(&inv, &eval, problems);
    assert_eq!(first.ministries, from_files.ministries);
    assert_eq!(first.tenancies, from_files.tenancies);
    assert_eq!(first.findings, from_files.findings);
    let took = real.elapsed();
    // A change in the index wakes the audit within the gap after the last, not the interval.
    handle_event(
        &index,
        kind("Namespace"),
        Event::Apply(namespace("moeys-new", "moeys")),
        &mut None,
    );
    let start = tokio::time::Instant::now();
    audits.changed().await.unwrap();
    let gap = govkh::audit::audit_gap(took);
    assert!(
        start.elapsed() <= gap + Duration::from_secs(1) && gap < Duration::from_secs(300),
        "woken {:?} after the change; the gap was {gap:?}",
        start.elapsed()
    );
    // Then an hour with nothing changing: the index and the day are those the last audit
    // judged, so no audit runs again (idle is idle), though the interval passes 12 times.
    let idle = tokio::time::timeout(Duration::from_secs(3600), audits.changed()).await;
    assert!(idle.is_err(), "an audit ran with nothing changed");
    // A change, and the next interval brings an audit again.
    handle_event(
        &index,
        kind("Namespace"),
        Event::Apply(namespace("moeys-later", "moeys")),
        &mut None,
    );
    audits.changed().await.unwrap();
    task.abort();
    assert!(
        log.lock().unwrap().is_empty(),
        "the audit talked to the API server: {:?}",
        log.lock().unwrap()
    );
}

/// The audit loop with `--reports` on a replica `leading` or not: the requests it made.
async fn audit_with_reports(leading: bool) -> Vec<String> {
    let (client, log) = mocked(|method, path| match (method, path) {
        ("GET", "/apis/openreports.io/v1alpha1") => (
            200,
            json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": "openreports.io/v1alpha1",
                   "resources": [
                       {"name": "reports", "singularName": "", "namespaced": true, "kind": "Report", "verbs": ["list"]},
                       {"name": "clusterreports", "singularName": "", "namespaced": false, "kind": "ClusterReport", "verbs": ["list"]}]}),
        ),
        ("GET", _) => (
            200,
            json!({"apiVersion": "openreports.io/v1alpha1", "kind": "ReportList", "metadata": {}, "items": []}),
        ),
        _ => (
            200,
            json!({"apiVersion": "openreports.io/v1alpha1", "kind": "Report", "metadata": {"name": "govkh"}, "source": "govkh", "summary": {}}),
        ),
    });
    let now: Timestamp = NOW.parse().unwrap();
    let index = common::index_of(&common::examples_in_cluster());
    let ctx = Arc::new(Context::new(client, Arc::new(move || now)).with_index(index));
    let (done, mut audits) = tokio::sync::watch::channel(0u64);
    let task = tokio::spawn(govkh::audit::audit_loop(
        ctx,
        Arc::new(Library::builtin().unwrap()),
        Duration::from_secs(300),
        Arc::new(std::sync::atomic::AtomicBool::new(leading)),
        done,
        None,
        Some(govkh_core::render::openreports::Options {
            flavour: govkh_core::render::openreports::Flavour::Openreports,
            pass: true,
            max_results: 1000,
        }),
    ));
    audits.changed().await.unwrap();
    task.abort();
    log.lock().unwrap().clone()
}

#[tokio::test]
async fn only_the_leader_writes_the_compliance_reports_after_its_audit() {
    let led = audit_with_reports(true).await;
    assert_eq!(led[0], "GET /apis/openreports.io/v1alpha1");
    assert!(
        led.iter()
            .any(|l| l == "PATCH /apis/openreports.io/v1alpha1/clusterreports/govkh"),
        "{led:?}"
    );
    assert!(
        led.iter()
            .any(|l| l.starts_with("PATCH /apis/openreports.io/v1alpha1/namespaces/")),
        "{led:?}"
    );
    let standby = audit_with_reports(false).await;
    assert!(standby.is_empty(), "a standby wrote: {standby:?}");
}

#[tokio::test]
async fn a_refusal_leaves_an_event_on_the_namespace_and_is_counted() {
    let index = common::index_of(&common::examples_in_cluster());
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let seen: Arc<std::sync::Mutex<Vec<(String, Value)>>> = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        let mut handle = pin!(handle);
        while let Some((request, send)) = handle.next_request().await {
            let line = format!("{} {}", request.method(), request.uri().path());
            let body = http_body_util::BodyExt::collect(request.into_body())
                .await
                .unwrap()
                .to_bytes();
            let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let (status, answer) = if line.starts_with("POST") {
                (201, body.clone())
            } else {
                not_found(&line)
            };
            log.lock().unwrap().push((line, body));
            send.send_response(
                Response::builder()
                    .status(status)
                    .body(Body::from(serde_json::to_vec(&answer).unwrap()))
                    .unwrap(),
            );
        }
    });
    let mut a = admission(kube::Client::new(service, "default"), index.clone());
    a.events = true;
    let secret = volume("registry-keys", Some("top-secret"), None);
    handle_event(
        &index,
        kind("PersistentVolumeClaim"),
        Event::Apply(secret),
        &mut None,
    );
    let clone = volume("registry-keys-copy", None, Some("registry-keys"));
    let (allowed, _, _) = answer(&a, &review("CREATE", &clone, &[])).await;
    assert!(!allowed);
    // The Event is published off the answer's path: wait for it (bounded).
    let mut event = None;
    for _ in 0..200 {
        event = seen
            .lock()
            .unwrap()
            .iter()
            .find(|(l, _)| l.starts_with("POST"))
            .cloned();
        if event.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (line, body) = event.expect("an Event for the refusal");
    assert_eq!(
        line,
        "POST /apis/events.k8s.io/v1/namespaces/moh-records/events"
    );
    assert_eq!(body["reason"], "PolicyViolation");
    assert_eq!(body["type"], "Warning");
    assert_eq!(body["regarding"]["kind"], "Namespace");
    assert_eq!(body["regarding"]["name"], "moh-records");
    assert_eq!(
        body["note"],
        "dara@moh.gov.kh: create PersistentVolumeClaim/registry-keys-copy refused under the Law on Digital Government: [no-reproduction] Art. 26"
    );
    // Counted for MoH, whose namespace it is.
    let now: Timestamp = NOW.parse().unwrap();
    assert_eq!(
        index.refused_last_day(now),
        std::collections::BTreeMap::from([("moh".to_string(), 1)])
    );
    // An allowed request leaves neither.
    let fine = volume("registry-scratch", None, None);
    let (allowed, message, _) = answer(&a, &review("CREATE", &fine, &[])).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(allowed, "{message}");
    assert_eq!(
        seen.lock()
            .unwrap()
            .iter()
            .filter(|(l, _)| l.starts_with("POST"))
            .count(),
        1
    );
    assert_eq!(index.refused_last_day(now)["moh"], 1);
}

#[tokio::test]
async fn a_controllers_mirror_is_kept_by_the_index_watch_malformed_objects_included() {
    use futures::StreamExt;
    use govkh_core::api::Ministry;
    let index = Index::new();
    let mirror = index.mirror::<Ministry>();
    let mut triggers = Box::pin(mirror.triggers());
    let ministry = kind("Ministry");
    let example = |name: &str| {
        common::examples_in_cluster()
            .into_iter()
            .find(|o| o["kind"] == "Ministry" && o["metadata"]["name"] == name)
            .unwrap()
    };
    let names = |mirror: &govkh::index::Mirror<Ministry>| {
        let mut n: Vec<String> = mirror
            .store()
            .state()
            .iter()
            .map(|g| kube::ResourceExt::name_any(g.as_ref()))
            .collect();
        n.sort();
        n
    };
    // The first list: the store is filled when it completes, and every object is a trigger.
    let mut buffer = None;
    handle_event(&index, ministry, Event::Init, &mut buffer);
    handle_event(
        &index,
        ministry,
        Event::InitApply(example("mef")),
        &mut buffer,
    );
    handle_event(
        &index,
        ministry,
        Event::InitApply(example("moh")),
        &mut buffer,
    );
    assert!(names(&mirror).is_empty(), "not before the list completes");
    handle_event(&index, ministry, Event::InitDone, &mut buffer);
    assert_eq!(names(&mirror), ["mef", "moh"]);
    let mut first: Vec<String> = vec![
        kube::ResourceExt::name_any(triggers.next().await.unwrap().as_ref()),
        kube::ResourceExt::name_any(triggers.next().await.unwrap().as_ref()),
    ];
    first.sort();
    assert_eq!(first, ["mef", "moh"]);
    // A malformed object: out of the index, in the store as its error (its controller says
    // why), and triggered.
    let mut broken = example("mef");
    broken["spec"] = json!("not a mapping");
    handle_event(&index, ministry, Event::Apply(broken), &mut None);
    assert!(!index.inventory().ministries.contains_key("mef"));
    let next = triggers.next().await.unwrap();
    assert_eq!(kube::ResourceExt::name_any(next.as_ref()), "mef");
    assert!(next.0.is_err(), "kept as its error: {:?}", next.0);
    // Deleted: gone from the store, and no trigger.
    handle_event(&index, ministry, Event::Delete(example("moh")), &mut None);
    assert_eq!(names(&mirror), ["mef"]);
    assert!(futures::FutureExt::now_or_never(triggers.next()).is_none());
    // A relist cut short leaves the store as it was.
    let mut buffer = None;
    handle_event(&index, ministry, Event::Init, &mut buffer);
    handle_event(
        &index,
        ministry,
        Event::InitApply(example("moeys")),
        &mut buffer,
    );
    assert_eq!(names(&mirror), ["mef"]);
    // A controller started later (a replica that became the leader) begins with the store.
    let late = Box::pin(mirror.triggers());
    let got: Vec<String> = late
        .take(1)
        .map(|g| kube::ResourceExt::name_any(g.as_ref()))
        .collect()
        .await;
    assert_eq!(got, ["mef"]);
}

/// With nothing changing the audit ran every few seconds: every watch event counted as a
/// change, though most only move an object's resourceVersion. An update that says what the
/// index holds is no change (no audit woken, no controller triggered); a real one is.
#[tokio::test]
async fn an_update_that_only_moves_the_resource_version_is_not_a_change() {
    let index = Index::new();
    let mut changes = index.subscribe();
    let ns = |rv: &str, label: &str| {
        json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "mef-tax", "resourceVersion": rv,
                         "labels": {"digital.gov.kh/ministry": "mef", "team": label}}})
    };
    let woken =
        |index: &Index| futures::FutureExt::now_or_never(index.notifier().notified()).is_some();
    index.apply(kind("Namespace"), ns("1", "a"));
    assert!(woken(&index), "a new object is a change");
    assert_eq!(changes.try_recv().unwrap().kind, "Namespace");
    index.apply(kind("Namespace"), ns("2", "a"));
    assert!(!woken(&index), "only the resourceVersion moved");
    assert!(
        changes.try_recv().is_err(),
        "and no controller is triggered"
    );
    index.apply(kind("Namespace"), ns("3", "b"));
    assert!(woken(&index), "a label changed");
    assert_eq!(changes.try_recv().unwrap().kind, "Namespace");
    // Deleted and applied again as it was: a change (it came back).
    index.delete(kind("Namespace"), &ns("4", "b"));
    assert!(woken(&index));
    let _ = changes.try_recv();
    index.apply(kind("Namespace"), ns("5", "b"));
    assert!(woken(&index), "back after a deletion");
}

fn bucket(api_version: &str, namespace: &str, name: &str, class: Option<&str>) -> Value {
    let mut meta = json!({"name": name, "namespace": namespace});
    if let Some(c) = class {
        meta["labels"] = json!({"digital.gov.kh/data-class": c});
    }
    let _ = api_version;
    json!({"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata", "metadata": meta})
}

/// The `cloud-resources` findings of the audit of `index`: (ministry, action, object).
fn cloud_findings(index: &govkh::index::Index) -> Vec<(String, &'static str, String)> {
    let lib = Library::builtin().unwrap();
    let (_, eval, _) = govkh::audit::evaluation(index, &lib, NOW.parse().unwrap());
    eval.findings
        .iter()
        .filter(|f| f.policy == "cloud-resources")
        .map(|f| {
            (
                f.ministry.clone().unwrap_or_default(),
                f.action.as_str(),
                f.resource.display(),
            )
        })
        .collect()
}

#[test]
fn cloud_kinds_found_by_discovery_are_judged_wherever_they_are_and_two_buckets_stay_apart() {
    use govkh_core::resources::cloud_kind;
    let now: Timestamp = NOW.parse().unwrap();
    let lib = Library::builtin().unwrap();
    let index = common::index_of(&common::examples_in_cluster());
    let crossplane = cloud_kind("s3.aws.m.upbound.io", "v1beta1", "Bucket", "buckets", true);
    let ack = cloud_kind("s3.services.k8s.aws", "v1alpha1", "Bucket", "buckets", true);
    let before = cloud_findings(&index);
    // The examples' buckets: MEF's top-secret one denied, MoEYS's undeclared one warned.
    assert_eq!(
        before,
        [
            (
                "mef".to_string(),
                "deny",
                "Bucket/mef-open-budget/treasury-keys-backup".to_string()
            ),
            (
                "moeys".to_string(),
                "warn",
                "Bucket/moeys-elearning/course-videos".to_string()
            )
        ],
        "{before:?}"
    );
    // A bucket in nobody's namespace is judged too: it cannot be attributed (a finding, not a
    // pass), though the same namespace's Deployments are not judged at all.
    handle_event(
        &index,
        ack,
        Event::Apply(bucket(
            "s3.services.k8s.aws/v1alpha1",
            "default",
            "stray",
            None,
        )),
        &mut None,
    );
    let stray = cloud_findings(&index);
    assert!(
        stray.contains(&(String::new(), "warn", "Bucket/default/stray".to_string())),
        "{stray:?}"
    );
    assert!(index.judges(
        "s3.services.k8s.aws/v1alpha1",
        "Bucket",
        Some("default"),
        "stray"
    ));
    // ACK's Buckets relisted empty (its CRD gone): Crossplane's Buckets, of the same kind name,
    // stay.
    index.restart(ack, Vec::new());
    assert!(
        index
            .object(
                "s3.services.k8s.aws/v1alpha1",
                "Bucket",
                Some("moeys-elearning"),
                "course-videos"
            )
            .is_none()
    );
    assert!(
        index
            .object(
                "s3.aws.m.upbound.io/v1beta1",
                "Bucket",
                Some("mef-open-budget"),
                "treasury-keys-backup"
            )
            .is_some()
    );
    assert_eq!(cloud_findings(&index), before[..1]);
    // A cloud API whose objects cannot be read is said as a problem, not counted as empty.
    let problems = govkh::audit::of_index(&index, &lib, now).problems;
    index.set_failing(&crossplane.watch_name(), Some("403 Forbidden".into()));
    let unread = index.unread_clouds();
    assert_eq!(unread.len(), 1);
    assert_eq!(unread[0].1, "403 Forbidden");
    assert_eq!(
        govkh::audit::of_index(&index, &lib, now).problems,
        problems + 1
    );
    assert!(
        index.not_synced().is_empty(),
        "a cloud API does not hold readiness"
    );
}

/// A mocked API server that lists each namespace's Secrets (one, `key-NAMESPACE`), refuses
/// those of `refused` (403, as RBAC without a RoleBinding there), and holds every watch open
/// unanswered.
fn secrets_server(refused: &'static str) -> (kube::Client, Arc<std::sync::Mutex<Vec<String>>>) {
    secrets_server_refusing(move |ns| ns == refused)
}

/// `secrets_server`, refusing the namespaces `refused` says (asked at each request).
fn secrets_server_refusing(
    refused: impl Fn(&str) -> bool + Send + 'static,
) -> (kube::Client, Arc<std::sync::Mutex<Vec<String>>>) {
    mocked_with(move |_, path, query| {
        if query.contains("watch=true") {
            return None;
        }
        let ns = path
            .strip_prefix("/api/v1/namespaces/")
            .and_then(|p| p.strip_suffix("/secrets"))
            .unwrap_or_default()
            .to_string();
        Some(if refused(&ns) {
            (
                403,
                json!({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                       "reason": "Forbidden", "code": 403,
                       "message": format!("secrets is forbidden in {ns}")}),
            )
        } else {
            (
                200,
                json!({"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1",
                       "metadata": {"resourceVersion": "7"},
                       "items": [{"kind": "PartialObjectMetadata",
                                  "apiVersion": "meta.k8s.io/v1",
                                  "metadata": {"name": format!("key-{ns}"), "namespace": ns,
                                               "resourceVersion": "7"}}]}),
            )
        })
    })
}

/// Wait (up to 10 s) until `check` holds.
async fn eventually(what: &str, check: impl Fn() -> bool) {
    let start = std::time::Instant::now();
    while !check() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{what}: not so after 10 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn secrets_are_read_only_in_ministries_namespaces_and_one_that_cannot_be_read_is_said() {
    let index = Arc::new(Index::new());
    let namespaces = [
        namespace("moeys-a", "moeys"),
        namespace("moh-records", "moh"),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}}),
    ];
    for (r, objects) in [
        (kind("Namespace"), namespaces.to_vec()),
        (kind("CloudTenancy"), Vec::new()),
    ] {
        let prepared = objects.into_iter().map(|o| index.prepare(r, o)).collect();
        index.restart(r, prepared);
        index.mark_synced(r);
    }
    let (client, log) = secrets_server("moh-records");
    let secret = kind("Secret");
    let task = tokio::spawn(govkh::index::watch_ministries(
        client,
        index.clone(),
        secret,
    ));
    let held = |ns: &str| {
        index
            .object("v1", "Secret", Some(ns), &format!("key-{ns}"))
            .is_some()
    };
    // Synced once each ministry's namespace is listed, or refused.
    eventually("Secrets synced", || index.kind_synced("Secret")).await;
    assert!(held("moeys-a"));
    assert!(!held("moh-records") && !held("kube-system"));
    let unread = index.unread_namespaces();
    assert_eq!(unread.len(), 1, "{unread:?}");
    assert_eq!(unread[0].1, "moh-records");
    assert!(unread[0].2.contains("403"), "{unread:?}");
    // The audit says so: not judged is not compliant.
    let now: Timestamp = NOW.parse().unwrap();
    let (_, eval, problems) = govkh::audit::evaluation(&index, &Library::builtin().unwrap(), now);
    assert!(problems >= 1);
    assert!(
        eval.findings.iter().any(|f| f.message.contains("secrets")
            && f.message.contains("moh-records")
            && f.message.contains("cannot be read")),
        "no finding says the Secrets of moh-records were not read"
    );
    // A namespace becomes a ministry's: its Secrets are watched; one stops being one: its
    // Secrets are forgotten and its watch stopped.
    handle_event(
        &index,
        kind("Namespace"),
        Event::Apply(namespace("moeys-b", "moeys")),
        &mut None,
    );
    eventually("the Secrets of moeys-b read", || held("moeys-b")).await;
    handle_event(
        &index,
        kind("Namespace"),
        Event::Delete(namespace("moeys-a", "moeys")),
        &mut None,
    );
    eventually("the Secrets of moeys-a forgotten", || !held("moeys-a")).await;
    assert!(held("moeys-b"));
    task.abort();
    // Never a Secret outside a ministry's namespace, never all of them at once.
    let requests = log.lock().unwrap().clone();
    let ministries = ["moeys-a", "moeys-b", "moh-records"]
        .map(|ns| format!("GET /api/v1/namespaces/{ns}/secrets"));
    assert!(
        requests.iter().all(|r| ministries.contains(r)),
        "{requests:?}"
    );
    for listed in &ministries {
        assert!(requests.contains(listed), "not {listed}: {requests:?}");
    }
}

#[test]
fn a_kind_watched_per_namespace_says_an_outage_once_not_once_per_namespace() {
    let index = Index::new();
    let secret = kind("Secret");
    let cause = |c: &str| Some(c.to_string());
    // The first namespace's watch to fail says so; the others failing alike do not.
    assert!(index.set_failing_in(secret, "a", cause("the list failed")));
    assert!(!index.set_failing_in(secret, "b", cause("the list failed")));
    // Another cause is news.
    assert!(index.set_failing_in(secret, "c", cause("403 Forbidden")));
    // Recovery is said when the last one recovers.
    assert!(!index.set_failing_in(secret, "a", None));
    assert!(!index.set_failing_in(secret, "b", None));
    assert!(index.set_failing_in(secret, "c", None));
    assert!(index.unread_namespaces().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_refused_namespace_is_read_at_once_when_its_reader_role_is_bound() {
    let index = Arc::new(Index::new());
    for (r, objects) in [
        (kind("Namespace"), vec![namespace("moh-records", "moh")]),
        (kind("CloudTenancy"), Vec::new()),
    ] {
        let prepared = objects.into_iter().map(|o| index.prepare(r, o)).collect();
        index.restart(r, prepared);
        index.mark_synced(r);
    }
    // RBAC refuses the namespace's Secrets until the reader role is bound there.
    let bound = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (client, log) = secrets_server_refusing({
        let bound = bound.clone();
        move |_| !bound.load(std::sync::atomic::Ordering::SeqCst)
    });
    let task = tokio::spawn(govkh::index::watch_ministries(
        client,
        index.clone(),
        kind("Secret"),
    ));
    // Twenty minutes refused: the watch's backoff has grown to minutes between tries.
    tokio::time::sleep(Duration::from_secs(1200)).await;
    let tries = log.lock().unwrap().len();
    assert!((5..=20).contains(&tries), "{tries} tries in 20 minutes");
    assert_eq!(index.unread_namespaces().len(), 1);
    // Nothing refused elsewhere is woken by a binding here.
    assert_eq!(index.retry_refused_in("moeys-a"), 0);
    // The tenancy reconciler binds the reader role, and says so to the index: the watch tries
    // again at once — within 100 ms, not at its next backoff minutes away.
    bound.store(true, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(index.retry_refused_in("moh-records"), 1);
    let held = || {
        index
            .object("v1", "Secret", Some("moh-records"), "key-moh-records")
            .is_some()
    };
    let read = tokio::time::timeout(Duration::from_millis(100), async {
        while !held() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    assert!(read.is_ok(), "not read within 100 ms of the binding");
    assert!(index.unread_namespaces().is_empty());
    task.abort();
}

#[tokio::test]
async fn a_refused_dry_run_has_no_side_effect() {
    // `kubectl apply --dry-run=server` of the clone of a top-secret volume the index does not
    // hold: refused all the same, but nothing read through, no Event, no refusal counted.
    let index = common::index_of(&common::examples_in_cluster());
    let (client, log) = mocked(|_, _| (404, json!({"kind": "Status", "code": 404})));
    let mut a = admission(client, index.clone());
    a.events = true;
    handle_event(
        &index,
        kind("PersistentVolumeClaim"),
        Event::Apply(volume("registry-keys", Some("top-secret"), None)),
        &mut None,
    );
    let clone = volume("registry-keys-copy", None, Some("registry-keys"));
    let mut body: Value = serde_json::from_slice(&review("CREATE", &clone, &[])).unwrap();
    body["request"]["dryRun"] = json!(true);
    let (allowed, message, _) = answer(&a, &serde_json::to_vec(&body).unwrap()).await;
    assert!(!allowed, "a dry run is judged as the real request would be");
    assert!(message.contains("[no-reproduction]"), "{message}");
    // A dry run of a clone of a volume the index lacks: judged on the index alone.
    let unknown = volume("copy-of-unknown", None, Some("not-in-the-index"));
    let mut body: Value = serde_json::from_slice(&review("CREATE", &unknown, &[])).unwrap();
    body["request"]["dryRun"] = json!(true);
    answer(&a, &serde_json::to_vec(&body).unwrap()).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(log.lock().unwrap().is_empty(), "{:?}", log.lock().unwrap());
    let now: Timestamp = NOW.parse().unwrap();
    assert!(index.refused_last_day(now).is_empty());
}
