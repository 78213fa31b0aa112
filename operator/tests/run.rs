//! `govkh run` whole, against a mocked API server holding the examples: every kind is listed
//! and watched exactly once in the whole process over a (simulated) hour (the index's watches
//! serve the controllers too, and the audit reads the index), and each of the six controllers
//! reconciles the objects of its kind from them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::{
    collections::BTreeMap,
    pin::pin,
    sync::{Arc, Mutex},
    time::Duration,
};

use govkh::run::{RunOptions, run_with};
use govkh_core::resources::RESOURCES;
use http::{Request, Response};
use k8s_openapi::jiff::Timestamp;
use kube::client::Body;
use serde_json::{Value, json};

const NOW: &str = "2026-11-26T03:00:00Z";

/// One request as the mocked API server saw it.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    path: String,
    query: String,
}

impl Seen {
    fn is_watch(&self) -> bool {
        self.query.split('&').any(|p| p == "watch=true")
    }
}

/// The collection path of a watched kind.
fn collection(r: &govkh_core::resources::Resource) -> String {
    if r.group.is_empty() {
        format!("/api/{}/{}", r.version, r.plural)
    } else {
        format!("/apis/{}/{}/{}", r.group, r.version, r.plural)
    }
}

/// The path of the kind `r`'s objects in `namespace`.
fn collection_in(r: &govkh_core::resources::Resource, namespace: &str) -> String {
    let base = collection(r);
    let (prefix, plural) = base.rsplit_once('/').unwrap();
    format!("{prefix}/namespaces/{namespace}/{plural}")
}

/// The namespace whose collection of `r` `path` is, if it is one.
fn namespace_of(r: &govkh_core::resources::Resource, path: &str) -> Option<String> {
    let base = collection(r);
    let (prefix, plural) = base.rsplit_once('/').unwrap();
    let ns = path
        .strip_prefix(&format!("{prefix}/namespaces/"))?
        .strip_suffix(&format!("/{plural}"))?;
    (!ns.contains('/')).then(|| ns.to_string())
}

/// The ministries' namespaces of the examples: where the kinds watched per namespace are.
fn ministry_namespaces() -> std::collections::BTreeSet<String> {
    common::index_of(&common::examples_in_cluster()).ministry_namespaces()
}

/// The CRDs as an API server that has established them lists them.
fn crd_list() -> Value {
    let items: Vec<Value> = govkh_core::api::crdgen::all()
        .into_iter()
        .map(|(_, crd)| {
            let mut v = serde_json::to_value(crd).unwrap();
            v["status"] = json!({"conditions": [{"type": "Established", "status": "True"}],
                "acceptedNames": {"kind": "", "plural": ""}, "storedVersions": ["v1alpha1"]});
            v
        })
        .collect();
    json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinitionList",
        "metadata": {"resourceVersion": "1"}, "items": items})
}

/// The discovery path of an optional kind's group and version.
fn discovery(r: &govkh_core::resources::Resource) -> String {
    format!("/apis/{}/{}", r.group, r.version)
}

/// What the API server answers: lists of the examples (with uids), watches never answered
/// (held open), patches echoed back onto the stored object, the optional kinds' groups served
/// or not (`optional_served`), anything else 404.
fn answer(
    seen: &Seen,
    body: &[u8],
    objects: &BTreeMap<String, Value>,
    (optional_served, forbidden): (bool, Option<&str>),
) -> Option<(u16, Value)> {
    if let Some(r) = RESOURCES
        .iter()
        .find(|r| Some(r.kind) == forbidden && collection(r) == seen.path)
    {
        return Some((
            403,
            json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Forbidden",
                   "message": format!("{} is forbidden", r.plural), "code": 403}),
        ));
    }
    if seen.method == "GET"
        && seen.path == "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
    {
        return (!seen.is_watch()).then(|| (200, crd_list()));
    }
    if let Some(r) = RESOURCES
        .iter()
        .find(|r| r.optional && discovery(r) == seen.path && optional_served)
    {
        return Some((
            200,
            json!({"apiVersion": "v1", "kind": "APIResourceList", "groupVersion": r.api_version(),
                "resources": [{"name": r.plural, "singularName": "", "namespaced": true, "kind": r.kind,
                               "verbs": ["get", "list", "watch"]}]}),
        ));
    }
    // A kind watched per namespace is served in each namespace, and never cluster-wide.
    let scope = |r: &govkh_core::resources::Resource| -> Option<Option<String>> {
        if r.per_namespace {
            namespace_of(r, &seen.path).map(Some)
        } else {
            (collection(r) == seen.path).then_some(None)
        }
    };
    if let Some((r, namespace)) = RESOURCES
        .iter()
        .filter(|r| optional_served || !r.optional)
        .find_map(|r| scope(r).map(|ns| (r, ns)))
    {
        if seen.is_watch() {
            return None;
        }
        let items: Vec<Value> = objects
            .values()
            .filter(|o| o["kind"] == r.kind && o["apiVersion"] == r.api_version().as_str())
            .filter(|o| {
                namespace
                    .as_deref()
                    .is_none_or(|ns| o["metadata"]["namespace"] == ns)
            })
            .map(|o| {
                if r.metadata_only {
                    json!({"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata", "metadata": o["metadata"]})
                } else {
                    o.clone()
                }
            })
            .collect();
        let (api_version, kind) = if r.metadata_only {
            (
                "meta.k8s.io/v1".to_string(),
                "PartialObjectMetadataList".to_string(),
            )
        } else {
            (r.api_version(), format!("{}List", r.kind))
        };
        return Some((
            200,
            json!({"apiVersion": api_version, "kind": kind,
            "metadata": {"resourceVersion": "1"}, "items": items}),
        ));
    }
    // The label-selected lists a tenancy's prune makes of the kinds nobody watches.
    if seen.method == "GET" && seen.query.contains("labelSelector=") {
        return Some((
            200,
            json!({"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadataList",
            "metadata": {"resourceVersion": "1"}, "items": []}),
        ));
    }
    if seen.method == "PATCH" || seen.method == "POST" {
        let mut sent: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        // A status patch returns the whole object with its new status.
        let key = seen.path.trim_end_matches("/status");
        if let Some(stored) = objects.get(key) {
            let mut whole = stored.clone();
            if let Some(status) = sent.get("status") {
                whole["status"] = status.clone();
            }
            return Some((200, whole));
        }
        if sent["metadata"]["uid"].is_null() && sent.is_object() {
            sent["metadata"]["uid"] = json!("00000000-0000-4000-8000-0000000000ff");
        }
        return Some((if seen.method == "POST" { 201 } else { 200 }, sent));
    }
    Some((
        404,
        json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound",
               "message": format!("{} not found", seen.path), "code": 404}),
    ))
}

/// The examples as stored objects, by their object path, each with a uid and resourceVersion.
fn stored() -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for (i, mut o) in common::examples_in_cluster().into_iter().enumerate() {
        let Some(r) = RESOURCES
            .iter()
            .find(|r| o["kind"] == r.kind && o["apiVersion"] == r.api_version().as_str())
        else {
            continue;
        };
        o["metadata"]["uid"] = json!(format!("00000000-0000-4000-8000-{i:012}"));
        // As an earlier run left them: a tenancy without govkh's finalizer gets it first, and
        // provisions on the watch event that follows (which this server does not send).
        if o["kind"] == "CloudTenancy" {
            o["metadata"]["finalizers"] = json!([govkh::controller::tenancy::FINALIZER]);
        }
        o["metadata"]["resourceVersion"] = json!("1");
        let name = o["metadata"]["name"].as_str().unwrap().to_string();
        let path = match o["metadata"]["namespace"].as_str() {
            Some(ns) if r.namespaced => {
                let base = collection(r);
                let (prefix, plural) = base.rsplit_once('/').unwrap();
                format!("{prefix}/namespaces/{ns}/{plural}/{name}")
            }
            _ => format!("{}/{name}", collection(r)),
        };
        out.insert(path, o);
    }
    out
}

/// `govkh run` against the mocked API server until every controller has written the status of
/// every object of its kind, then for an hour of steady state: what the server saw.
async fn run_an_hour(optional_served: bool, forbidden: Option<&'static str>) -> Vec<Seen> {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let log: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let seen = log.clone();
    let objects = stored();
    tokio::spawn(async move {
        let mut handle = pin!(handle);
        // Watches are held open, unanswered, for the test's length.
        let mut held = Vec::new();
        while let Some((request, send)) = handle.next_request().await {
            let (parts, body) = request.into_parts();
            let body = body.collect_bytes().await.unwrap_or_default();
            let request = Seen {
                method: parts.method.to_string(),
                path: parts.uri.path().to_string(),
                query: parts.uri.query().unwrap_or_default().to_string(),
            };
            seen.lock().unwrap().push(request.clone());
            match answer(&request, &body, &objects, (optional_served, forbidden)) {
                Some((status, value)) => send.send_response(
                    Response::builder()
                        .status(status)
                        .body(Body::from(serde_json::to_vec(&value).unwrap()))
                        .unwrap(),
                ),
                None => held.push(send),
            }
        }
    });
    let client = kube::Client::new(service, "default");
    let now: Timestamp = NOW.parse().unwrap();
    let options = RunOptions {
        engine: Default::default(),
        probe_addr: "127.0.0.1:0".parse().unwrap(),
        crd_timeout: Duration::from_secs(10),
        kubeconfig: None,
        concurrency: 4,
        audit_interval: Duration::from_secs(3600),
        identity: "govkh-test".into(),
        leader_election: None,
        webhook: None,
        history_namespace: None,
        reports: None,
        secrets_reader: Some("govkh-secrets-reader=govkh-system/govkh".parse().unwrap()),
        authority: Default::default(),
        clock_start: None,
        shutdown_delay: Duration::ZERO,
    };
    let running = tokio::spawn(run_with(client, Arc::new(move || now), options));
    if forbidden.is_some() {
        // A kind that cannot be listed keeps the index unsynced: nothing is reconciled or
        // audited against a partial cluster (fail closed), and /readyz says which kind.
        tokio::time::sleep(Duration::from_secs(3600)).await;
        assert!(!running.is_finished(), "govkh run stopped");
        running.abort();
        let log = log.lock().unwrap().clone();
        assert!(
            !log.iter().any(|s| s.method == "PATCH"),
            "nothing written on a partial index"
        );
        return log;
    }

    // Each controller writes the status of every object of its kind the examples hold.
    let statuses: Vec<String> = stored()
        .iter()
        .filter(|(_, o)| o["apiVersion"] == "digital.gov.kh/v1alpha1" && o["kind"] != "DataClass")
        .map(|(path, _)| format!("{path}/status"))
        .collect();
    assert!(statuses.len() >= 6, "{statuses:?}");
    let patched = |log: &[Seen]| -> Vec<String> {
        statuses
            .iter()
            .filter(|s| !log.iter().any(|r| r.method == "PATCH" && &r.path == *s))
            .cloned()
            .collect()
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let missing = patched(&log.lock().unwrap());
        if missing.is_empty() {
            break;
        }
        assert!(!running.is_finished(), "govkh run stopped");
        assert!(
            tokio::time::Instant::now() < deadline,
            "no status written for {missing:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // An hour of steady state: requeues, audits, anything periodic; no watch restarts (the
    // server holds them open), so no kind may be listed or watched again.
    let before = log.lock().unwrap().len();
    tokio::time::sleep(Duration::from_secs(3600)).await;
    // Nothing changed in the hour (this server sends no watch event): the audit found the
    // index and the day as it had judged them and did not run again, so nothing was rewritten.
    let hour: Vec<Seen> = log.lock().unwrap()[before..].to_vec();
    let writes: Vec<&Seen> = hour
        .iter()
        .filter(|s| s.method == "PATCH" || s.method == "POST")
        .collect();
    assert!(writes.is_empty(), "an idle hour wrote {writes:?}");
    assert!(!running.is_finished(), "govkh run stopped");
    running.abort();
    log.lock().unwrap().clone()
}

// Time is paused (and jumps ahead whenever every task waits): the hour passes at once.
#[tokio::test(start_paused = true)]
async fn one_watch_per_kind_serves_the_index_and_all_six_controllers() {
    let log = run_an_hour(true, None).await;
    let ministries = ministry_namespaces();
    assert!(!ministries.is_empty());
    for r in RESOURCES {
        let of = |path: &str, watch: bool| {
            log.iter()
                .filter(|s| s.method == "GET" && s.path == path && s.is_watch() == watch)
                .count()
        };
        let path = collection(r);
        if r.per_namespace {
            // Secrets: never everywhere, once in each ministry's namespace and nowhere else.
            assert_eq!((of(&path, false), of(&path, true)), (0, 0), "{}", r.kind);
            let read: std::collections::BTreeSet<String> = log
                .iter()
                .filter_map(|s| namespace_of(r, &s.path))
                .collect();
            assert_eq!(read, ministries, "{} read in", r.kind);
            for ns in &ministries {
                let path = collection_in(r, ns);
                assert_eq!(
                    (of(&path, false), of(&path, true)),
                    (1, 1),
                    "{} in {ns}",
                    r.kind
                );
            }
        } else {
            assert_eq!(
                (of(&path, false), of(&path, true)),
                (1, 1),
                "{} listed, watched",
                r.kind
            );
        }
    }
    // No other read but a tenancy's prune of the children of kinds nobody watches (quotas,
    // limit ranges, role bindings), by label: the reconcilers read the index and their stores.
    let unwatched = [
        "/api/v1/resourcequotas",
        "/api/v1/limitranges",
        "/apis/rbac.authorization.k8s.io/v1/rolebindings",
    ];
    let gets: Vec<&Seen> = log
        .iter()
        .filter(|s| {
            s.method == "GET"
                && !RESOURCES.iter().any(|r| {
                    collection(r) == s.path
                        || (r.per_namespace && namespace_of(r, &s.path).is_some())
                })
                && s.path != "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
                && s.path != "/apis"
                && !RESOURCES
                    .iter()
                    .any(|r| r.optional && discovery(r) == s.path)
                && !(unwatched.contains(&s.path.as_str())
                    && s.query.contains("owner-kind%3DCloudTenancy"))
        })
        .collect();
    assert!(gets.is_empty(), "{gets:?}");
    // The cloud APIs are looked for once, when the CRDs are first listed, not polled.
    let discoveries = log
        .iter()
        .filter(|s| s.method == "GET" && s.path == "/apis")
        .count();
    assert_eq!(discoveries, 1, "GET /apis over the hour");
    // Every tenancy provisioned the namespaces it holds, from the store its controller reads,
    // and gave the operator's service account (--secrets-reader) the reading of their
    // Secrets; the namespaces the fence refuses it (kube-system, another's) it never touched.
    let holders = common::index_of(&common::examples_in_cluster()).inventory();
    let mut refused = 0;
    for (_, t) in stored().iter().filter(|(_, o)| o["kind"] == "CloudTenancy") {
        for ns in t["spec"]["namespaces"].as_array().unwrap() {
            let ns = ns["name"].as_str().unwrap();
            let held = holders
                .namespaces
                .get(ns)
                .and_then(|i| i.tenancy.as_deref())
                == t["metadata"]["name"].as_str();
            refused += usize::from(!held);
            for path in [
                format!("/api/v1/namespaces/{ns}"),
                format!(
                    "/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings/govkh-secrets-reader"
                ),
            ] {
                assert_eq!(
                    log.iter().any(|s| s.method == "PATCH" && s.path == path),
                    held,
                    "{path}: applied only where the tenancy holds the namespace"
                );
            }
        }
    }
    assert_eq!(refused, 2, "moeys-overreach's kube-system and gdt-sandbox");
    // The optional kinds were found through discovery, once each, at start.
    for r in RESOURCES.iter().filter(|r| r.optional) {
        let asked = log.iter().filter(|s| s.path == discovery(r)).count();
        assert_eq!(asked, 1, "{} discovered {asked} times", r.kind);
    }
    // The CRDs are watched (metadata only) to see an optional kind arrive or go.
    assert_eq!(
        log.iter()
            .filter(
                |s| s.path == "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
                    && s.is_watch()
            )
            .count(),
        1
    );
}

/// On a real API server without the VolumeSnapshot and HTTPRoute CRDs, govkh listed both about
/// once a second for ever (64 404s in 36 s). A kind the cluster does not serve is found absent
/// through discovery at start and never listed; the index counts it as synced and empty, and
/// every controller works as before.
#[tokio::test(start_paused = true)]
async fn a_kind_the_cluster_does_not_serve_is_never_listed() {
    let log = run_an_hour(false, None).await;
    for r in RESOURCES.iter().filter(|r| r.optional) {
        let listed = log.iter().filter(|s| s.path == collection(r)).count();
        assert_eq!(listed, 0, "{} listed {listed} times", r.kind);
        let asked = log.iter().filter(|s| s.path == discovery(r)).count();
        assert_eq!(asked, 1, "{} discovered {asked} times in an hour", r.kind);
    }
    for r in RESOURCES.iter().filter(|r| !r.optional) {
        let paths: Vec<String> = if r.per_namespace {
            ministry_namespaces()
                .iter()
                .map(|ns| collection_in(r, ns))
                .collect()
        } else {
            vec![collection(r)]
        };
        for path in paths {
            let listed = log
                .iter()
                .filter(|s| s.path == path && !s.is_watch())
                .count();
            assert_eq!(listed, 1, "{path} listed {listed} times");
        }
    }
}

/// A watch the API server keeps refusing (RBAC changed: 403) is retried with a backoff that
/// grows to 5 minutes, not every few seconds for ever; the other kinds and the controllers work.
#[tokio::test(start_paused = true)]
async fn a_refused_watch_backs_off_to_minutes() {
    let log = run_an_hour(true, Some("ConfigMap")).await;
    let r = RESOURCES.iter().find(|r| r.kind == "ConfigMap").unwrap();
    let tries = log.iter().filter(|s| s.path == collection(r)).count();
    // From 1 s doubling (with jitter) to 300 s: about 20 tries in an hour (at kube's default,
    // at most 30 s apart, it would be over 100).
    assert!(
        (8..=40).contains(&tries),
        "ConfigMaps listed {tries} times in an hour"
    );
}
