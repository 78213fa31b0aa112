//! The leader's compliance reports (OpenReports `Report`/`ClusterReport`, or the older
//! `wgpolicyk8s.io` kinds) written against a mocked API server, asserting the exact requests:
//! created once, an unchanged audit writes nothing, a report that shrinks is applied again with
//! its remaining results' first timestamps, a namespace with no results left loses its report,
//! a restart reads back what was written, and absent CRDs are skipped.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::{
    pin::pin,
    sync::{Arc, Mutex},
};

use govkh::writers::openreports::{Writer, Written};
use govkh_core::{
    policy::Library,
    render::openreports::{Flavour, Options, Outcome, Report},
};
use http::{Request, Response};
use k8s_openapi::jiff::Timestamp;
use kube::client::Body;
use serde_json::{Value, json};

/// Each request the mocked API server saw: method and URI, and its body.
type Log = Arc<Mutex<Vec<(String, Value)>>>;

/// A mocked API server that serves the report kinds of `flavour` (or not, `served: false`),
/// holds `stored` reports (returned by its lists), echoes applies and accepts deletes.
fn api_server(flavour: Flavour, served: bool, stored: Vec<Value>) -> (kube::Client, Log) {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    let discovery = format!("/apis/{}", flavour.api_version());
    tokio::spawn(async move {
        let mut handle = pin!(handle);
        while let Some((request, send)) = handle.next_request().await {
            let line = format!("{} {}", request.method(), request.uri());
            let path = request.uri().path().to_string();
            let body = http_body_util::BodyExt::collect(request.into_body())
                .await
                .unwrap()
                .to_bytes();
            let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let (status, response) = if path == discovery {
                if served {
                    let resources: Vec<Value> = [true, false]
                        .iter()
                        .map(|&n| json!({"name": flavour.plural(n), "singularName": "", "namespaced": n, "kind": flavour.kind(n), "verbs": ["get", "list", "patch", "delete"]}))
                        .collect();
                    (
                        200,
                        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": flavour.api_version(), "resources": resources}),
                    )
                } else {
                    (
                        404,
                        json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404, "message": "the server could not find the requested resource"}),
                    )
                }
            } else if line.starts_with("GET") {
                let namespaced = path.ends_with(&format!("/{}", flavour.plural(true)));
                let items: Vec<&Value> = stored
                    .iter()
                    .filter(|r| r["metadata"]["namespace"].is_string() == namespaced)
                    .collect();
                (
                    200,
                    json!({"apiVersion": flavour.api_version(), "kind": format!("{}List", flavour.kind(namespaced)), "metadata": {"resourceVersion": "1"}, "items": items}),
                )
            } else if line.starts_with("DELETE") {
                (
                    200,
                    json!({"kind": "Status", "apiVersion": "v1", "status": "Success", "code": 200}),
                )
            } else {
                (200, body.clone())
            };
            seen.lock().unwrap().push((line, body));
            send.send_response(
                Response::builder()
                    .status(status)
                    .header("content-type", "application/json")
                    .body(Body::from(serde_json::to_vec(&response).unwrap()))
                    .unwrap(),
            );
        }
    });
    (kube::Client::new(service, "default"), log)
}

fn at(day: &str) -> Timestamp {
    format!("{day}T03:00:00Z").parse().unwrap()
}

/// The reports the operator's audit of the examples (as a cluster holds them) makes.
fn audited(flavour: Flavour, pass: bool) -> Vec<Report> {
    let index = common::index_of(&common::examples_in_cluster());
    let lib = Library::builtin().unwrap();
    let options = Options {
        flavour,
        pass,
        max_results: 1000,
    };
    govkh::audit::with_reports(&index, &lib, at("2026-11-26"), Some(&options)).1
}

/// A writer that has written `reports` on 2026-11-26 to a fresh mocked API server, whose log
/// is then emptied.
async fn written_once(reports: &[Report]) -> (Writer, kube::Client, Log) {
    let (client, log) = api_server(Flavour::Openreports, true, Vec::new());
    let mut writer = Writer::new(Flavour::Openreports);
    writer
        .write(&client, reports.to_vec(), at("2026-11-26"))
        .await
        .unwrap();
    (writer, client, log)
}

fn take(log: &Log) -> Vec<(String, Value)> {
    std::mem::take(&mut *log.lock().unwrap())
}

fn lines(requests: &[(String, Value)]) -> Vec<String> {
    requests.iter().map(|(l, _)| l.clone()).collect()
}

#[tokio::test]
async fn reports_are_created_once_and_an_unchanged_audit_writes_nothing() {
    let reports = audited(Flavour::Openreports, true);
    let namespaces: Vec<Option<&str>> = reports.iter().map(|r| r.namespace()).collect();
    assert!(
        namespaces.contains(&None),
        "no ClusterReport: {namespaces:?}"
    );
    let (client, log) = api_server(Flavour::Openreports, true, Vec::new());
    let mut writer = Writer::new(Flavour::Openreports);
    let done = writer
        .write(&client, reports.clone(), at("2026-11-26"))
        .await
        .unwrap();
    assert_eq!(
        done,
        Written {
            applied: reports.len(),
            deleted: 0,
            skipped: 0
        }
    );
    let requests = take(&log);
    let mut expected = vec![
        "GET /apis/openreports.io/v1alpha1".to_string(),
        "GET /apis/openreports.io/v1alpha1/reports?&labelSelector=app.kubernetes.io%2Fmanaged-by%3Dgovkh".to_string(),
        "GET /apis/openreports.io/v1alpha1/clusterreports?&labelSelector=app.kubernetes.io%2Fmanaged-by%3Dgovkh".to_string(),
    ];
    for ns in &namespaces {
        expected.push(match ns {
            Some(ns) => format!(
                "PATCH /apis/openreports.io/v1alpha1/namespaces/{ns}/reports/govkh?&force=true&fieldManager=govkh"
            ),
            None => "PATCH /apis/openreports.io/v1alpha1/clusterreports/govkh?&force=true&fieldManager=govkh".to_string(),
        });
    }
    assert_eq!(lines(&requests), expected);
    // What a Report carries: the result per finding, its article, and the law's penalty.
    let cluster = requests
        .iter()
        .find(|(l, _)| l.contains("/clusterreports/govkh"))
        .map(|(_, b)| b)
        .unwrap();
    assert_eq!(cluster["kind"], "ClusterReport");
    assert_eq!(cluster["source"], "govkh");
    assert_eq!(
        cluster["metadata"]["labels"]["app.kubernetes.io/managed-by"],
        "govkh"
    );
    let fails: Vec<&Value> = requests
        .iter()
        .flat_map(|(_, b)| b["results"].as_array().into_iter().flatten())
        .filter(|r| r["result"] == "fail")
        .collect();
    assert!(!fails.is_empty());
    for r in &fails {
        assert!(
            r["category"]
                .as_str()
                .is_some_and(|c| c.starts_with("Art. ")),
            "{r}"
        );
        assert_eq!(r["source"], "govkh");
        assert!(r["timestamp"]["seconds"].as_i64() == Some(at("2026-11-26").as_second()));
        assert!(r["properties"]["articles"].is_string(), "{r}");
        assert!(r["resources"][0]["name"].is_string(), "{r}");
    }
    // The law's fines ride along where a policy names them.
    assert!(
        fails
            .iter()
            .any(|r| r["properties"]["penaltyArticle"] == "40"
                && r["properties"]["legalPersonMaxRiel"].is_string()),
        "no fail with its penalty"
    );
    // Passes where a policy judged an object and found nothing, counted in the summary.
    let summary_pass: i64 = requests
        .iter()
        .map(|(_, b)| b["summary"]["pass"].as_i64().unwrap_or(0))
        .sum();
    assert!(summary_pass > 0);

    // The next audit, a day later, finds the same: nothing is written, nothing is read.
    let again = audited(Flavour::Openreports, true);
    let done = writer
        .write(&client, again, at("2026-11-27"))
        .await
        .unwrap();
    assert_eq!(done, Written::default());
    assert_eq!(lines(&take(&log)), Vec::<String>::new());
}

#[tokio::test]
async fn a_shrinking_report_is_applied_again_and_an_empty_namespace_loses_its_report() {
    let reports = audited(Flavour::Openreports, false);
    let (mut writer, client, log) = written_once(&reports).await;
    take(&log);
    // One namespace's report loses a result (its object was mended); another namespace has no
    // result left.
    let mut next = reports.clone();
    let shrink = next
        .iter()
        .position(|r| r.namespace().is_some() && r.results.len() > 1)
        .expect("a namespaced report with two results");
    let gone = next
        .iter()
        .position(|r| r.namespace().is_some() && r.namespace() != next[shrink].namespace())
        .expect("a second namespaced report");
    let (shrunk_ns, gone_ns) = (
        next[shrink].namespace().unwrap().to_string(),
        next[gone].namespace().unwrap().to_string(),
    );
    let dropped = next[shrink].results.remove(0);
    next[shrink].summary = {
        let mut s = next[shrink].summary.clone();
        match dropped.result {
            Some(Outcome::Fail) => s.fail -= 1,
            Some(Outcome::Warn) => s.warn -= 1,
            _ => s.error -= 1,
        }
        s
    };
    next.remove(gone);
    let done = writer.write(&client, next, at("2026-11-28")).await.unwrap();
    assert_eq!(
        done,
        Written {
            applied: 1,
            deleted: 1,
            skipped: 0
        }
    );
    let requests = take(&log);
    assert_eq!(
        lines(&requests),
        vec![
            format!(
                "PATCH /apis/openreports.io/v1alpha1/namespaces/{shrunk_ns}/reports/govkh?&force=true&fieldManager=govkh"
            ),
            format!("DELETE /apis/openreports.io/v1alpha1/namespaces/{gone_ns}/reports/govkh?"),
        ]
    );
    let body = &requests[0].1;
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), reports[shrink].results.len() - 1);
    // The results still there were found on the first day, not on the day of the write.
    for r in results {
        assert_eq!(
            r["timestamp"]["seconds"].as_i64(),
            Some(at("2026-11-26").as_second()),
            "{r}"
        );
    }
}

#[tokio::test]
async fn a_new_leader_reads_back_the_reports_and_rewrites_none() {
    let reports = audited(Flavour::Openreports, true);
    let (_, _, log) = written_once(&reports).await;
    // What the API server holds: the applied bodies, with what it adds.
    let stored: Vec<Value> = take(&log)
        .into_iter()
        .filter(|(l, _)| l.starts_with("PATCH"))
        .map(|(_, mut b)| {
            b["metadata"]["uid"] = json!("0a1b");
            b["metadata"]["resourceVersion"] = json!("7");
            b["metadata"]["labels"]["added-by"] = json!("someone-else");
            b
        })
        .collect();
    let (client, log) = api_server(Flavour::Openreports, true, stored);
    let mut writer = Writer::new(Flavour::Openreports);
    let done = writer
        .write(&client, reports, at("2026-12-01"))
        .await
        .unwrap();
    assert_eq!(done, Written::default());
    assert!(
        lines(&take(&log)).iter().all(|l| l.starts_with("GET")),
        "a restart rewrote unchanged reports"
    );
}

#[tokio::test]
async fn without_the_report_crds_nothing_is_written_and_discovery_is_not_repeated_at_once() {
    let reports = audited(Flavour::Openreports, true);
    let (client, log) = api_server(Flavour::Openreports, false, Vec::new());
    let mut writer = Writer::new(Flavour::Openreports);
    let done = writer
        .write(&client, reports.clone(), at("2026-11-26"))
        .await
        .unwrap();
    assert_eq!(done, Written::default());
    assert_eq!(
        lines(&take(&log)),
        vec!["GET /apis/openreports.io/v1alpha1".to_string()]
    );
    writer
        .write(&client, reports, at("2026-11-26"))
        .await
        .unwrap();
    assert_eq!(lines(&take(&log)), Vec::<String>::new());
}

#[tokio::test]
async fn the_wgpolicyk8s_flavour_writes_policy_reports() {
    let reports = audited(Flavour::Wgpolicyk8s, false);
    assert!(
        reports
            .iter()
            .all(|r| r.api_version == "wgpolicyk8s.io/v1alpha2")
    );
    let (client, log) = api_server(Flavour::Wgpolicyk8s, true, Vec::new());
    let mut writer = Writer::new(Flavour::Wgpolicyk8s);
    writer
        .write(&client, reports, at("2026-11-26"))
        .await
        .unwrap();
    let requests = take(&log);
    let patched: Vec<&String> = requests
        .iter()
        .map(|(l, _)| l)
        .filter(|l| l.starts_with("PATCH"))
        .collect();
    assert!(
        patched
            .iter()
            .any(|l| l.contains("/apis/wgpolicyk8s.io/v1alpha2/namespaces/")
                && l.contains("/policyreports/govkh"))
    );
    assert!(
        patched
            .iter()
            .any(|l| l.contains("/apis/wgpolicyk8s.io/v1alpha2/clusterpolicyreports/govkh"))
    );
    for (l, b) in &requests {
        if l.starts_with("PATCH") {
            assert!(["PolicyReport", "ClusterPolicyReport"].contains(&b["kind"].as_str().unwrap()));
            // Without passes, only what needs attention.
            assert!(
                b["results"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|r| r["result"] != "pass")
            );
        }
    }
}

#[test]
fn a_namespace_no_ministry_holds_gets_no_report_of_passes() {
    let lib = Library::builtin().unwrap();
    let (_, eval, _) =
        govkh_core::evaluate::evaluate_loaded(common::examples(), &lib, at("2026-11-26"));
    let coredns = |ministry: Option<&str>| govkh_core::evaluate::Judged {
        resource: govkh_core::finding::ResourceRef {
            api_version: Some("apps/v1".to_string()),
            kind: Some("Deployment".to_string()),
            name: Some("coredns".to_string()),
            namespace: Some("kube-system".to_string()),
        },
        uid: Some("cd".to_string()),
        ministry: ministry.map(str::to_string),
    };
    let options = Options {
        flavour: Flavour::Openreports,
        pass: true,
        max_results: 1000,
    };
    let with = |j: govkh_core::evaluate::Judged| {
        let mut judged = eval.judged.clone();
        judged.push(j);
        govkh_core::render::openreports::reports(&eval.findings, &judged, &lib, &options)
    };
    let in_kube_system =
        |reports: &[Report]| reports.iter().any(|r| r.namespace() == Some("kube-system"));
    assert!(!in_kube_system(&with(coredns(None))));
    // The same Deployment in a ministry's namespace passes, with its uid.
    let reports = with(coredns(Some("mef")));
    assert!(in_kube_system(&reports));
    let passes: Vec<_> = reports
        .iter()
        .flat_map(|r| &r.results)
        .filter(|r| r.result == Some(Outcome::Pass) && r.resources[0].uid.as_deref() == Some("cd"))
        .collect();
    assert_eq!(
        passes.iter().map(|r| r.policy.as_str()).collect::<Vec<_>>(),
        vec!["data-placement", "unclassified-data"]
    );
    assert!(passes.iter().all(|r| {
        r.category
            .as_deref()
            .is_some_and(|c| c.starts_with("Art. "))
    }));
}

#[test]
fn a_namespace_gone_or_being_deleted_is_no_failure_to_write_and_anything_else_is() {
    use govkh::writers::openreports::namespace_going;
    let api = |status: Value| {
        kube::Error::Api(Box::new(
            serde_json::from_value::<kube::core::Status>(status).unwrap(),
        ))
    };
    // As the API server answers a create in a terminating namespace (seen in the e2e suite).
    let terminating = api(
        json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 403,
        "reason": "Forbidden",
        "message": "reports.openreports.io \"govkh\" is forbidden: unable to create new content in namespace gdt-e2e-later because it is being terminated",
        "details": {"name": "govkh", "group": "openreports.io", "kind": "reports",
            "causes": [{"reason": "NamespaceTerminating", "message": "namespace gdt-e2e-later is being terminated", "field": "metadata.namespace"}]}}),
    );
    assert!(namespace_going(&terminating));
    let gone = api(
        json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 404, "reason": "NotFound"}),
    );
    assert!(namespace_going(&gone));
    // Forbidden for want of a permission is a failure to say out loud.
    let rbac = api(
        json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 403, "reason": "Forbidden",
        "message": "reports.openreports.io is forbidden: User cannot create resource"}),
    );
    assert!(!namespace_going(&rbac));
}
