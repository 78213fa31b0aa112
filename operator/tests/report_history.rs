//! The committee's record over time: the leader's daily records in ConfigMaps (against a mocked
//! API server, asserting the exact requests and what they carry), and `govkh report --history`
//! over saved reports (the trend shows the change and the first day a breach was seen).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::{
    collections::BTreeMap,
    pin::pin,
    sync::{Arc, Mutex},
};

use govkh::writers::history::{KEY, Keeper};
use govkh_core::{
    audit::history::History, audit::summarize, evaluate::evaluate_loaded, policy::Library,
};
use http::{Request, Response};
use k8s_openapi::jiff::Timestamp;
use kube::client::Body;
use serde_json::{Value, json};

use common::govkh;

/// Each request the mocked API server saw: method and URI, and its body.
type Log = Arc<Mutex<Vec<(String, Value)>>>;

/// A mocked API server holding `stored` ConfigMaps; it logs each request with its body.
fn api_server(stored: Vec<Value>) -> (kube::Client, Log) {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    tokio::spawn(async move {
        let mut handle = pin!(handle);
        while let Some((request, send)) = handle.next_request().await {
            let line = format!("{} {}", request.method(), request.uri());
            let body = http_body_util::BodyExt::collect(request.into_body())
                .await
                .unwrap()
                .to_bytes();
            let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let response = if line.starts_with("GET") {
                json!({"apiVersion": "v1", "kind": "ConfigMapList", "metadata": {"resourceVersion": "1"}, "items": stored})
            } else {
                body.clone()
            };
            seen.lock().unwrap().push((line, body));
            send.send_response(
                Response::builder()
                    .status(200)
                    .header("content-type", "application/json")
                    .body(Body::from(serde_json::to_vec(&response).unwrap()))
                    .unwrap(),
            );
        }
    });
    (kube::Client::new(service, "default"), log)
}

fn observations(day: &str) -> BTreeMap<String, govkh_core::audit::history::Observation> {
    let now: Timestamp = format!("{day}T03:00:00Z").parse().unwrap();
    let lib = Library::builtin().unwrap();
    let (inv, eval, problems) = evaluate_loaded(common::examples(), &lib, now);
    summarize(&inv, &eval, problems).observations
}

#[tokio::test]
async fn the_leader_records_each_day_once_and_an_unchanged_day_writes_nothing() {
    let (client, log) = api_server(Vec::new());
    let mut keeper = Keeper::default();
    let day = observations("2026-11-26");
    assert_eq!(day.len(), 8);
    let written = keeper
        .record(client.clone(), "govkh-system", &day)
        .await
        .unwrap();
    assert_eq!(written, 8);
    // The same day again: nothing to write.
    assert_eq!(
        keeper
            .record(client.clone(), "govkh-system", &day)
            .await
            .unwrap(),
        0
    );
    // The next day: one record more per ministry, in the same ConfigMaps.
    assert_eq!(
        keeper
            .record(client, "govkh-system", &observations("2026-11-27"))
            .await
            .unwrap(),
        8
    );
    let log = log.lock().unwrap();
    let lines: Vec<&str> = log.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(
        lines[0],
        "GET /api/v1/namespaces/govkh-system/configmaps?&labelSelector=digital.gov.kh%2Fhistory%3Dtrue"
    );
    assert_eq!(lines.len(), 1 + 8 + 8, "{lines:#?}");
    assert_eq!(
        lines[1],
        "PATCH /api/v1/namespaces/govkh-system/configmaps/govkh-history-gdt-2026?&force=true&fieldManager=govkh"
    );
    // What the last write of MoH holds: two days, its score, and its open breaches with the
    // first day each was seen.
    let (_, moh) = log
        .iter()
        .rev()
        .find(|(l, _)| l.contains("govkh-history-moh-2026"))
        .unwrap();
    assert_eq!(moh["metadata"]["labels"]["digital.gov.kh/ministry"], "moh");
    assert_eq!(moh["metadata"]["labels"]["digital.gov.kh/history"], "true");
    let stored: Value = serde_json::from_str(moh["data"][KEY].as_str().unwrap()).unwrap();
    let days: Vec<&str> = stored["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["day"].as_str().unwrap())
        .collect();
    assert_eq!(days, ["2026-11-26", "2026-11-27"]);
    assert_eq!(stored["days"][0]["score"], 0);
    assert_eq!(stored["days"][0]["findings"]["deny"], 4);
    assert_eq!(
        stored["open"]["data-placement|PersistentVolumeClaim/moh-registry/registry-data"],
        "2026-11-26",
        "{stored:#}"
    );
}

#[tokio::test]
async fn a_stored_history_is_carried_on_and_a_broken_one_is_refused() {
    // MoH's record says its claim's breach began on 2026-10-01.
    let stored = json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "govkh-history-moh-2026", "namespace": "govkh-system",
                     "labels": {"digital.gov.kh/history": "true", "digital.gov.kh/ministry": "moh"}},
        "data": {KEY: json!({
            "days": [{"day": "2026-10-01", "score": 50, "findings": {"deny": 2}}],
            "open": {"data-placement|PersistentVolumeClaim/moh-registry/registry-data": "2026-10-01"}
        }).to_string()}
    });
    let (client, log) = api_server(vec![stored.clone()]);
    let mut keeper = Keeper::default();
    keeper
        .record(client, "govkh-system", &observations("2026-11-26"))
        .await
        .unwrap();
    let moh = log
        .lock()
        .unwrap()
        .iter()
        .find(|(l, _)| l.contains("govkh-history-moh-2026"))
        .unwrap()
        .1
        .clone();
    let kept: Value = serde_json::from_str(moh["data"][KEY].as_str().unwrap()).unwrap();
    assert_eq!(kept["days"].as_array().unwrap().len(), 2);
    assert_eq!(
        kept["open"]["data-placement|PersistentVolumeClaim/moh-registry/registry-data"],
        "2026-10-01",
        "the breach's first day is kept"
    );
    // The snapshot copy was not open on 2026-10-01's record: it starts today.
    assert_eq!(
        kept["open"]["no-reproduction|VolumeSnapshot/moh-registry/registry-data-copy"],
        "2026-11-26"
    );

    let mut broken = stored;
    broken["data"][KEY] = json!("not a record");
    let (client, _) = api_server(vec![broken]);
    let err = Keeper::default()
        .record(client, "govkh-system", &observations("2026-11-26"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("ConfigMap govkh-system/govkh-history-moh-2026:"),
        "{err}"
    );
}

#[test]
fn report_history_shows_the_change_and_the_first_day_of_each_breach() {
    let dir = std::env::temp_dir().join(format!("govkh-history-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Two saved reports of earlier days.
    for day in ["2026-04-01", "2026-11-26"] {
        let out = govkh(&["report", "examples/", "--as-of", day, "-f", "json"]);
        assert_eq!(out.status.code(), Some(0));
        std::fs::write(dir.join(format!("report-{day}.json")), out.stdout).unwrap();
    }
    let history = dir.to_str().unwrap();
    let out = govkh(&[
        "report",
        "examples/",
        "--as-of",
        "2027-03-15",
        "-f",
        "json",
        "--history",
        history,
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ministry = |code: &str| {
        v["ministries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["code"] == code)
            .unwrap()
            .clone()
    };
    // GDT over three days: its scores, oldest first, ending today.
    let gdt = ministry("gdt");
    let scores: Vec<(String, u64)> = gdt["history"]["scores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_str().unwrap().to_string(), p[1].as_u64().unwrap()))
        .collect();
    let days: Vec<&str> = scores.iter().map(|(d, _)| d.as_str()).collect();
    assert_eq!(days, ["2026-04-01", "2026-11-26", "2027-03-15"]);
    assert_eq!(scores[1].1, 59);
    assert!(
        scores[2].1 < scores[1].1,
        "GDT's tenancies fell overdue: {scores:?}"
    );
    let b = &gdt["history"]["biennial"];
    assert_eq!(b["from"], "2026-04-01");
    assert_eq!(
        b["change"].as_i64().unwrap(),
        scores[2].1 as i64 - scores[0].1 as i64
    );
    // First days: the MoEYS Ingress has been denied since the first report; MoH's link into
    // NSSF's claims since its grant expired (first seen on 2026-11-26); GDT's overdue tenancy
    // is new today.
    let first = |m: &Value, key: &str| m["history"]["firstSeen"][key].as_str().map(str::to_string);
    assert_eq!(
        first(
            &ministry("moeys"),
            "official-domain|Ingress/moeys-elearning/elearning"
        )
        .as_deref(),
        Some("2026-04-01")
    );
    assert_eq!(
        first(
            &ministry("moh"),
            "personal-data-consent|PrivateNetworkLink/moh-to-nssf-claims"
        )
        .as_deref(),
        Some("2026-11-26")
    );
    assert_eq!(
        first(&gdt, "statutory-clock|CloudTenancy/gdt-legacy").as_deref(),
        Some("2026-04-01"),
        "warned since the first report, denied today: one breach"
    );
    // The Markdown and HTML say it to people.
    let render = |format: &str| {
        let out = govkh(&[
            "report",
            "examples/",
            "--as-of",
            "2027-03-15",
            "-f",
            format,
            "--history",
            history,
        ]);
        String::from_utf8(out.stdout).unwrap()
    };
    let md = render("md");
    assert!(md.contains("## Two years (Art. 34)"), "{md}");
    assert!(md.contains("*since 2026-04-01*"), "{md}");
    let html = render("html");
    assert!(html.contains("<polyline"), "a sparkline");
    assert!(html.contains("since 2026-11-26"));
    // A file that is not a report is named; a directory with none is an error.
    std::fs::write(dir.join("notes.json"), "{\"hello\": 1}").unwrap();
    let bad = govkh(&[
        "report",
        "examples/",
        "--as-of",
        "2027-03-15",
        "--history",
        history,
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("notes.json: not a govkh report"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_offence_found_again_after_a_clean_day_is_a_repeat_in_every_format_and_language() {
    let dir = std::env::temp_dir().join(format!("govkh-repeats-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    // 2026-04-01: MoEYS publishes a commercial host and writes from webmail (Art. 38, twice).
    let out = govkh(&["report", "examples/", "--as-of", "2026-04-01", "-f", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let first: Value = serde_json::from_slice(&out.stdout).unwrap();
    std::fs::write(dir.join("report-2026-04-01.json"), &out.stdout).unwrap();
    // 2026-06-01: the same report with MoEYS's Art. 38 findings gone — the day it complied.
    let mut clean = first.clone();
    clean["asOf"] = "2026-06-01".into();
    let mut removed = 0;
    for m in clean["ministries"].as_array_mut().unwrap() {
        if m["code"] != "moeys" {
            continue;
        }
        for findings in m["findingsByArticle"].as_object_mut().unwrap().values_mut() {
            let list = findings.as_array_mut().unwrap();
            let before = list.len();
            list.retain(|f| f["penalty"]["article"] != "38");
            removed += before - list.len();
        }
    }
    assert_eq!(removed, 2, "MoEYS's Ingress and its request from webmail");
    std::fs::write(dir.join("report-2026-06-01.json"), clean.to_string()).unwrap();
    let history = dir.to_str().unwrap();
    let render = |format: &str, lang: &str| {
        common::govkh_stdout(&[
            "report",
            "examples/",
            "--as-of",
            "2026-11-26",
            "-f",
            format,
            "--lang",
            lang,
            "--history",
            history,
        ])
    };
    // Today (the examples as they are) the offence is back: a repeat of Art. 38, found twice.
    let v: Value = serde_json::from_str(&render("json", "en")).unwrap();
    let repeats = |code: &str| {
        v["ministries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["code"] == code)
            .unwrap()["history"]["repeats"]
            .clone()
    };
    assert_eq!(
        repeats("moeys"),
        serde_json::json!([{"article": "38", "firstFound": "2026-04-01", "times": 2, "againSince": "2026-11-26"}])
    );
    // MoH's Art. 40 offences never ended: not a repeat.
    assert!(repeats("moh").is_null(), "{}", repeats("moh"));
    let md = render("md", "en");
    assert!(md.contains("### Repeat offences (Art. 42)"), "{md}");
    assert!(
        md.contains(
            "- Art. 38 offence found again since 2026-11-26: 2 separate times since 2026-04-01"
        ),
        "{md}"
    );
    assert!(md.contains("imprisonment from 6 days to 2 years"), "{md}");
    let html = render("html", "km");
    assert!(html.contains("បទល្មើសដដែលៗ (មាត្រា 42)"), "a Khmer heading");
    assert!(
        html.contains("បទល្មើសមាត្រា 38 រកឃើញម្តងទៀតចាប់ពីថ្ងៃ 2026-11-26"),
        "a Khmer line"
    );
    let md_km = render("md", "km");
    assert!(
        md_km.contains("មាត្រា 42៖ រូបវន្តបុគ្គល"),
        "Art. 42's penalties in Khmer"
    );
    // The annex cites Art. 42, and says it is read from the history.
    assert!(md.contains("The same offence committed again"), "{md}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn histories_are_bounded() {
    let mut h = History::default();
    let lib = Library::builtin().unwrap();
    let (inv, eval, problems) = evaluate_loaded(
        common::examples(),
        &lib,
        "2026-11-26T03:00:00Z".parse().unwrap(),
    );
    let o = summarize(&inv, &eval, problems).observations["moh"].clone();
    let start: govkh_core::api::Day = "2024-01-01".parse().unwrap();
    for n in 0..1000 {
        let mut day = o.clone();
        day.record.day = start.plus_days(n);
        h.record(day);
    }
    assert_eq!(h.days.len(), govkh_core::audit::history::MAX_DAYS);
    assert_eq!(h.days.last().unwrap().day, start.plus_days(999));
    // Open breaches keep their first day across the run.
    assert!(h.open.values().all(|d| *d == start), "{:?}", h.open);
    let b = h.biennial().unwrap();
    assert_eq!(b.to, start.plus_days(999));
    assert!(
        (729..=731).contains(&govkh_core::law::clock::days_between(b.from, b.to)),
        "{b:?}"
    );
}
