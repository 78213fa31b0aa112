//! `govkh report --cluster` reads the cluster through kube against a mocked API server
//! (tower-test): the exact requests, pagination, metadata-only reads of Secrets and
//! ConfigMaps, a missing optional CRD, namespaces outside the ministries ignored — and the same
//! evaluation as from manifests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::{
    collections::{BTreeMap, BTreeSet},
    path::PathBuf,
    pin::pin,
};

use govkh::cluster;
use govkh_core::{
    evaluate::evaluate, finding::ActionCounts, inventory::Inventory, loading::manifest::Loader,
    policy::Library,
};
use http::{Request, Response};
use kube::client::Body;
use serde_json::{Value, json};

fn examples() -> Vec<Value> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples");
    Loader::new()
        .load_paths(&[root], &mut std::io::empty())
        .objects
        .into_iter()
        .map(|o| o.raw)
        .collect()
}

fn catalogue() -> govkh_core::clouds::Catalogue {
    govkh_core::clouds::Catalogue::builtin().unwrap()
}

fn plural(kind: &str) -> String {
    govkh_core::resources::RESOURCES
        .iter()
        .find(|r| r.kind == kind)
        .map(|r| r.plural.to_string())
        .unwrap_or_default()
}

/// What the mocked API server holds, by plural.
fn cluster_objects() -> BTreeMap<String, Vec<Value>> {
    let mut by: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for o in examples() {
        // A cloud API's kind (two of them are called Bucket) is held by its path.
        let key = match plural(o["kind"].as_str().unwrap()) {
            p if p.is_empty() => format!(
                "{}/{}s",
                o["apiVersion"].as_str().unwrap(),
                o["kind"].as_str().unwrap().to_lowercase()
            ),
            p => p,
        };
        by.entry(key).or_default().push(o);
    }
    // The Namespaces the operator would have created, and one that is nobody's.
    let all: Vec<Value> = by.values().flatten().cloned().collect();
    by.entry("namespaces".into())
        .or_default()
        .extend(common::provisioned_namespaces(&all));
    by.entry("namespaces".into()).or_default().push(
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system"}}),
    );
    by.entry("deployments".into()).or_default().push(json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "coredns", "namespace": "kube-system"}, "spec": {"template": {"spec": {"containers": []}}}}));
    by.entry("secrets".into())
        .or_default()
        .push(json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "db", "namespace": "mef-tax"}, "data": {"password": "c2VjcmV0"}}));
    by
}

fn list(items: Vec<Value>, next: Option<&str>) -> Value {
    json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": "42", "continue": next.unwrap_or("")}, "items": items})
}

/// A mocked API server holding `objects` (by plural): lists them (Ministries in two pages,
/// VolumeSnapshots not found, Secrets and ConfigMaps as metadata when asked); returns the
/// client and, once the client is dropped, the requests it saw.
fn serve(
    objects: BTreeMap<String, Vec<Value>>,
) -> (kube::Client, tokio::task::JoinHandle<Vec<String>>) {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let responder = tokio::spawn(async move {
        let mut handle = pin!(handle);
        let mut seen = Vec::new();
        while let Some((request, send)) = handle.next_request().await {
            let uri = request.uri().to_string();
            let metadata_only = request
                .headers()
                .get(http::header::ACCEPT)
                .is_some_and(|a| a.to_str().unwrap_or("").contains("PartialObjectMetadata"));
            seen.push(format!(
                "{} {uri}{}",
                request.method(),
                if metadata_only { " (metadata)" } else { "" }
            ));
            let path = uri.split('?').next().unwrap_or("");
            let resource = path.rsplit('/').next().unwrap_or("").to_string();
            // The cloud APIs' discovery: the groups of the cloud objects held, and a group
            // that is no cloud's.
            let cloud: BTreeSet<&str> = objects
                .keys()
                .filter_map(|k| k.rsplit_once('/').map(|(gv, _)| gv))
                .collect();
            let gv = path.strip_prefix("/apis/").unwrap_or("");
            let (status, body) = if path == "/apis" {
                let groups: Vec<Value> = cloud
                    .iter()
                    .chain(&["apps/v1"])
                    .map(|gv| {
                        let (g, v) = gv.split_once('/').unwrap();
                        let version = json!({"groupVersion": gv, "version": v});
                        json!({"name": g, "versions": [version], "preferredVersion": version})
                    })
                    .collect();
                (
                    200,
                    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}),
                )
            } else if cloud.contains(gv) {
                let verbs = json!(["get", "list", "watch"]);
                let resources: Vec<Value> = objects.iter().filter(|(k, _)| k.starts_with(&format!("{gv}/"))).flat_map(|(k, v)| {
                    let plural = k.rsplit('/').next().unwrap();
                    let kind = v[0]["kind"].clone();
                    [json!({"name": plural, "singularName": "", "namespaced": true, "kind": kind, "verbs": verbs}),
                     json!({"name": format!("{plural}/status"), "singularName": "", "namespaced": true, "kind": kind, "verbs": verbs})]
                }).collect();
                (
                    200,
                    json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}),
                )
            } else if resource == "volumesnapshots" {
                (
                    404,
                    json!({"apiVersion": "v1", "kind": "Status", "status": "Failure", "reason": "NotFound", "code": 404, "message": "the server could not find the requested resource"}),
                )
            } else {
                let held = objects
                    .keys()
                    .find(|k| k.contains('/') && path.ends_with(&format!("/{k}")))
                    .unwrap_or(&resource);
                let mut items = objects.get(held).cloned().unwrap_or_default();
                if metadata_only {
                    items = items.into_iter().map(|o| json!({"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata", "metadata": o["metadata"]})).collect();
                }
                // Ministries come in two pages.
                if resource == "ministries" && !uri.contains("continue=") {
                    let rest = items.split_off(3);
                    drop(rest);
                    (200, list(items, Some("page-2")))
                } else if resource == "ministries" {
                    (200, list(items.split_off(3), None))
                } else {
                    (200, list(items, None))
                }
            };
            let response = Response::builder()
                .status(status)
                .header("content-type", "application/json")
                .body(Body::from(serde_json::to_vec(&body).unwrap()))
                .unwrap();
            send.send_response(response);
        }
        seen
    });
    (kube::Client::new(service, "default"), responder)
}

#[tokio::test]
async fn report_reads_the_cluster_like_the_manifests() {
    let (client, responder) = serve(cluster_objects());
    let loader = Loader::new();
    let loaded = cluster::read(client, &loader, &catalogue()).await.unwrap();
    let requests = responder.await.unwrap();

    let expected = [
        "GET /apis/digital.gov.kh/v1alpha1/governmentclouds?&limit=500",
        "GET /apis/digital.gov.kh/v1alpha1/ministries?&limit=500",
        "GET /apis/digital.gov.kh/v1alpha1/ministries?&limit=500&continue=page-2",
        "GET /apis/digital.gov.kh/v1alpha1/cloudtenancies?&limit=500",
        "GET /apis/digital.gov.kh/v1alpha1/privatenetworklinks?&limit=500",
        "GET /apis/digital.gov.kh/v1alpha1/dataclasses?&limit=500",
        "GET /apis/digital.gov.kh/v1alpha1/dataaccessgrants?&limit=500",
        "GET /apis/digital.gov.kh/v1alpha1/approvals?&limit=500",
        "GET /api/v1/namespaces?&limit=500",
        "GET /apis/apps/v1/deployments?&limit=500",
        "GET /apis/apps/v1/statefulsets?&limit=500",
        "GET /apis/apps/v1/daemonsets?&limit=500",
        "GET /apis/batch/v1/jobs?&limit=500",
        "GET /apis/batch/v1/cronjobs?&limit=500",
        "GET /api/v1/persistentvolumeclaims?&limit=500",
        "GET /api/v1/services?&limit=500",
        "GET /apis/networking.k8s.io/v1/ingresses?&limit=500",
        "GET /apis/networking.k8s.io/v1/networkpolicies?&limit=500",
        "GET /api/v1/secrets?&limit=500 (metadata)",
        "GET /api/v1/configmaps?&limit=500 (metadata)",
        "GET /apis/snapshot.storage.k8s.io/v1/volumesnapshots?&limit=500",
        "GET /apis/gateway.networking.k8s.io/v1/httproutes?&limit=500",
        // The cloud APIs, found through discovery (the `apps` group and the buckets' status
        // subresources are not watched), listed by metadata only.
        "GET /apis",
        "GET /apis/s3.aws.m.upbound.io/v1beta1",
        "GET /apis/s3.services.k8s.aws/v1alpha1",
        "GET /apis/s3.aws.m.upbound.io/v1beta1/buckets?&limit=500 (metadata)",
        "GET /apis/s3.services.k8s.aws/v1alpha1/buckets?&limit=500 (metadata)",
    ];
    assert_eq!(requests, expected);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    assert!(
        !loaded.objects.iter().any(|o| o.name == "coredns"),
        "kube-system is nobody's namespace"
    );
    let secret = loaded.objects.iter().find(|o| o.kind == "Secret").unwrap();
    assert!(
        secret.raw.get("data").is_none(),
        "a Secret's data is never read"
    );
    assert!(
        loaded
            .objects
            .iter()
            .all(|o| o.raw["metadata"].get("managedFields").is_none())
    );

    // `check FILE --cluster`: the cluster read as the context of a ministry's own file, which
    // exists to show an official-domain denial; only that file's findings are reported.
    let own = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/workloads/moeys-elearning.yaml");
    let own = Loader::new().load_paths(&[own], &mut std::io::empty());
    let context = govkh_core::loading::manifest::LoadResult {
        objects: loaded.objects.clone(),
        errors: Vec::new(),
    };
    let in_context = govkh_core::evaluate::evaluate_in_context(
        own,
        Some(context),
        &Library::builtin().unwrap(),
        "2026-11-26T03:00:00Z".parse().unwrap(),
    );
    assert!(
        in_context
            .findings
            .iter()
            .any(|f| f.policy == "official-domain" && f.ministry.as_deref() == Some("moeys")),
        "{:#?}",
        in_context.findings
    );
    assert!(in_context.findings.iter().all(|f| {
        f.source
            .as_ref()
            .is_some_and(|s| s.file.ends_with("moeys-elearning.yaml"))
    }));

    // The same verdicts as from the manifests (14 deny, 9 warn) but for what a cluster read
    // lacks here: the VolumeSnapshot (its CRD is missing). The cloud resources, read by their
    // metadata, are judged as their manifests are (the top-secret bucket denied, the undeclared
    // one warned).
    let (inv, errors) = Inventory::build(loaded.objects);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(inv.ministries.len(), 8);
    let lib = Library::builtin().unwrap();
    let eval = evaluate(&inv, &lib, "2026-11-26T03:00:00Z".parse().unwrap());
    let counts = ActionCounts::of(&eval.findings);
    assert_eq!(
        (counts.deny, counts.warn, counts.error),
        (13, 9, 0),
        "{:#?}",
        eval.findings
    );
    // A Secret read by its metadata alone takes its namespace's class; the only unclassified
    // object is the one the examples leave unclassified on purpose.
    let unclassified: Vec<String> = eval
        .findings
        .iter()
        .filter(|f| f.policy == "unclassified-data")
        .map(|f| f.resource.display())
        .collect();
    assert_eq!(unclassified, ["ConfigMap/gdt-sandbox/settings"]);
}

#[tokio::test]
async fn missing_crds_are_named_with_the_fix() {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let responder = tokio::spawn(async move {
        let mut handle = pin!(handle);
        if let Some((_, send)) = handle.next_request().await {
            let body = json!({"apiVersion": "v1", "kind": "Status", "status": "Failure", "reason": "NotFound", "code": 404, "message": "not found"});
            send.send_response(
                Response::builder()
                    .status(404)
                    .body(Body::from(serde_json::to_vec(&body).unwrap()))
                    .unwrap(),
            );
        }
    });
    let err = cluster::read(
        kube::Client::new(service, "default"),
        &Loader::new(),
        &catalogue(),
    )
    .await
    .unwrap_err()
    .to_string();
    responder.await.unwrap();
    assert_eq!(
        err,
        "the digital.gov.kh CRDs are not installed in this cluster (governmentclouds.digital.gov.kh not found): kubectl apply -f crds/"
    );
}

#[tokio::test]
async fn kubectl_govkh_status_and_trace_read_the_cluster() {
    // The statuses the operator writes: each ministry's compliance (the audit's), each
    // tenancy's clock state.
    let now: k8s_openapi::jiff::Timestamp = "2026-11-26T03:00:00Z".parse().unwrap();
    let lib = Library::builtin().unwrap();
    let loaded = govkh_core::loading::manifest::LoadResult {
        objects: Loader::new()
            .load_paths(
                &[PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples")],
                &mut std::io::empty(),
            )
            .objects,
        errors: Vec::new(),
    };
    let (inv, eval, problems) = govkh_core::evaluate::evaluate_loaded(loaded, &lib, now);
    let audit = govkh_core::audit::summarize(&inv, &eval, problems);
    let mut objects = cluster_objects();
    for m in objects.get_mut("ministries").unwrap() {
        let code = m["metadata"]["name"].as_str().unwrap().to_string();
        m["status"] = json!({"compliance": audit.ministries[&code]});
    }
    for t in objects.get_mut("cloudtenancies").unwrap() {
        let name = t["metadata"]["name"].as_str().unwrap();
        let clock = eval.tenancies.iter().find(|c| c.name == name).unwrap();
        t["status"] = json!({"state": clock.state});
    }

    let (client, _) = serve(objects.clone());
    let rows = govkh::plugin::status(client).await.unwrap();
    let mef = rows.iter().find(|r| r.ministry == "mef").unwrap();
    assert_eq!(mef.score, Some(70));
    assert_eq!((mef.deny, mef.warn), (1, 1));
    assert_eq!(
        mef.tenancies,
        BTreeMap::from([
            ("Compliant".to_string(), 2),
            ("ExceptionExpired".to_string(), 1)
        ])
    );
    let text = govkh::plugin::status_text(&rows, false);
    assert!(
        text.starts_with("MINISTRY  SCORE  DENY  WARN  NEXT-DEADLINE  TENANCIES\n"),
        "{text}"
    );
    assert!(
        text.contains("moh           0     4     0  -              1 Compliant"),
        "{text}"
    );
    assert!(govkh::plugin::status_text(&rows, true).contains("\u{1b}[31m    0\u{1b}[0m"));

    // trace ministry/mef: judged live, as `check --cluster` does.
    let (client, _) = serve(objects);
    let loaded = cluster::read(client, &Loader::new(), &catalogue())
        .await
        .unwrap();
    let (inv, eval, _) = govkh_core::evaluate::evaluate_loaded(loaded, &lib, now);
    let tree = govkh_core::trace::trace(&inv, &eval, "ministry/mef").unwrap();
    let text = govkh_core::trace::trace_text(&tree, false);
    let lines: Vec<&str> = text.lines().collect();
    // The top-secret bucket, read from its cloud API by metadata, is MEF's denial.
    assert_eq!(lines[0], "Ministry/mef  1 deny, 1 warn", "{text}");
    // What could not be judged is counted apart, never as a denial.
    let mut with_error = eval.clone();
    let mut unjudged = with_error
        .findings
        .iter()
        .find(|f| f.ministry.as_deref() == Some("mef"))
        .unwrap()
        .clone();
    unjudged.action = govkh_core::finding::Action::Error;
    with_error.findings.push(unjudged);
    let errored = govkh_core::trace::trace(&inv, &with_error, "ministry/mef").unwrap();
    assert_eq!(
        errored.state.as_deref(),
        Some("1 deny, 1 warn, 1 error"),
        "{errored:?}"
    );
    for expected in [
        "├─ CloudTenancy/mef-analytics  ExceptionExpired",
        "│  ├─ CloudTenancy/mef-analytics [statutory-clock]  warn",
        "│  ├─ Approval/mef-analytics-continuation  Expired",
        "│  └─ Namespace/mef-analytics  confidential",
        "│     └─ Bucket/mef-open-budget/treasury-keys-backup [cloud-resources]  deny",
        "├─ PrivateNetworkLink/mef-gdt-microwave  mef → gdt",
        "│  ├─ Approval/mef-gdt-microwave  InForce",
        "│  └─ DataAccessGrant/gdt-declarations-to-mef  Active",
    ] {
        assert!(lines.contains(&expected), "missing {expected:?} in\n{text}");
    }
    // -o wide adds the findings' messages; -o json the same tree as data.
    let wide = govkh_core::trace::trace_text(&tree, true);
    assert!(
        wide.contains("warn  — runs outside the government cloud"),
        "{wide}"
    );
    let json = serde_json::to_value(&tree).unwrap();
    assert_eq!(json["object"], "Ministry/mef");
    assert!(json["children"].as_array().unwrap().len() >= 5);
    // Unknown targets are said.
    assert_eq!(
        govkh_core::trace::trace(&inv, &eval, "ministry/nobody").unwrap_err(),
        "Ministry nobody not found"
    );
    assert!(
        govkh_core::trace::trace(&inv, &eval, "pod/x")
            .unwrap_err()
            .contains("trace follows ministry")
    );
}
