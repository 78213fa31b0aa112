//! The live index at national scale: memory, the latency of a watch event to an updated
//! verdict, and admission over TLS under load. Run: `cargo bench --bench index`
//! (admission needs `oha` on the PATH: `cargo install oha`). Reported, never asserted.
//!
//! - Memory: the whole process's resident set, in a child process per variant, holding the
//!   national examples plus 10,000 generated Deployments of 3-6 KB: the live index (objects
//!   slimmed and held once, the day's verdicts computed) against the audit's previous way in
//!   the same run (the objects as listed, loaded, indexed and evaluated, kept as its snapshot).
//!   Peak (VmHWM) includes one full audit of what is held.
//! - Event to verdict: 1,000 watch events at 100 per second (one in ten a volume claim, which
//!   moves the policies' context; the rest Deployments), each timed from its arrival to the
//!   day's verdicts (`Index::snapshot`) including it.
//! - Admission: the webhook over TLS on loopback with the index loaded, `oha` sending an
//!   AdmissionReview (a Deployment in a ministry's namespace) at 500 and 1,000 requests/s,
//!   30 s each, with the allocator the binary ships (regorus's mimalloc, which every binary
//!   linking govkh gets).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

#[path = "../../core/benches/support/workloads.rs"]
mod workloads;

#[path = "../tests/common/mod.rs"]
mod common;

use std::{
    process::Command,
    sync::Arc,
    time::{Duration, Instant},
};

use govkh::{
    context::Context,
    index::handle_event,
    webhook::{Admission, TlsFiles},
};
use govkh_core::{
    admission::Snapshot,
    audit::summarize,
    evaluate::evaluate_loaded,
    loading::manifest::{LoadResult, Loader, Source},
    policy::Library,
    resources::RESOURCES,
};
use k8s_openapi::jiff::Timestamp;
use kube::runtime::watcher::Event;
use serde_json::{Value, json};

const N: usize = 10_000;
const NOW: &str = "2026-11-26T03:00:00Z";

/// The examples as the API server holds them (with the namespaces the operator creates) and
/// `n` workloads as served.
fn cluster_objects(n: usize) -> Vec<Value> {
    let mut out = common::examples_in_cluster();
    out.extend((0..n).map(served));
    out
}

/// Workload `i` as the API server serves it: with managedFields, the last-applied copy
/// kubectl keeps, and status.
fn served(i: usize) -> Value {
    let mut w = workloads::workload(i);
    let copy = w.to_string();
    w["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = json!(copy);
    w["metadata"]["managedFields"] = json!([{"manager": "kubectl-client-side-apply", "operation": "Update",
        "apiVersion": "apps/v1", "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:labels": {}}, "f:spec": {"f:replicas": {}}}}]);
    w["status"] = json!({"replicas": 2, "readyReplicas": 2, "observedGeneration": 3,
        "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"}]});
    w
}

/// (VmRSS, VmHWM) of this process, in MiB.
fn rss() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// A child process: hold the objects one way, report memory. The objects arrive one at a
/// time, as a watch or a paged list delivers them, so the input itself is never all held.
fn memory_child(variant: &str) {
    let lib = Library::builtin().unwrap();
    let now: Timestamp = NOW.parse().unwrap();
    let (start, _) = rss();
    let examples = cluster_objects(0);
    match variant {
        "index" => {
            let index = common::index_of(&examples);
            let deployment = RESOURCES.iter().find(|r| r.kind == "Deployment").unwrap();
            for i in 0..N {
                handle_event(&index, deployment, Event::Apply(served(i)), &mut None);
            }
            let _snapshot = index.snapshot(now);
            let (held, _) = rss();
            let audit = govkh::audit::of_index(&index, &lib, now);
            let (_, peak) = rss();
            println!(
                "{held:.0} {peak:.0} {start:.0} {} {}",
                index.len(),
                audit.findings.values().sum::<u32>()
            );
        }
        _ => {
            // The audit's previous way: every page of the LIST kept, loaded and indexed,
            // evaluated, the inventory kept as the webhook's snapshot.
            let loader = Loader::new();
            let mut loaded = LoadResult::default();
            let source = Source {
                file: "cluster".into(),
                document: 0,
                line: 0,
            };
            let items = examples.into_iter().chain((0..N).map(served));
            for mut o in items {
                if let Some(meta) = o["metadata"].as_object_mut() {
                    meta.remove("managedFields");
                }
                match loader.load_value(&source, o) {
                    Ok(l) => loaded.objects.push(l),
                    Err(e) => loaded.errors.push(e),
                }
            }
            let (inventory, eval, problems) = evaluate_loaded(loaded, &lib, now);
            let audit = summarize(&inventory, &eval, problems);
            let snapshot = Snapshot::new(now, Arc::new(inventory), eval.tenancies);
            let (held, peak) = rss();
            println!(
                "{held:.0} {peak:.0} {start:.0} {} {}",
                snapshot.inventory.len(),
                audit.findings.values().sum::<u32>()
            );
        }
    }
}

fn memory() {
    println!("## Memory: examples + {N} Deployments of 3-6 KB (whole process, MiB)\n");
    println!(
        "| variant | resident, held | per object | peak, with one audit | objects | findings of the audit |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    let exe = std::env::current_exe().unwrap();
    let mut baseline = 0.0;
    for (variant, label) in [
        (
            "baseline",
            "listed, loaded, evaluated, kept (the previous audit)",
        ),
        ("index", "live index"),
    ] {
        let out = Command::new(&exe)
            .args(["--memory", variant])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text.lines().last().unwrap_or_default();
        let v: Vec<f64> = line
            .split_whitespace()
            .filter_map(|x| x.parse().ok())
            .collect();
        if v.len() < 4 {
            eprintln!("{variant}: {text} {}", String::from_utf8_lossy(&out.stderr));
            continue;
        }
        if variant == "baseline" {
            baseline = v[0];
        }
        let ratio = if variant == "index" && baseline > 0.0 {
            format!(" ({:.2}x)", v[0] / baseline)
        } else {
            String::new()
        };
        println!(
            "| {label} | {:.0}{ratio} | {:.1} KB | {:.0} | {:.0} | {:.0} |",
            v[0],
            (v[0] - v[2]) * 1024.0 / v[3],
            v[1],
            v[3],
            v.get(4).copied().unwrap_or_default()
        );
    }
    println!();
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn event_to_verdict() {
    let now: Timestamp = NOW.parse().unwrap();
    let index = common::index_of(&cluster_objects(N));
    let _ = index.snapshot(now);
    let deployment = RESOURCES.iter().find(|r| r.kind == "Deployment").unwrap();
    let claim = RESOURCES
        .iter()
        .find(|r| r.kind == "PersistentVolumeClaim")
        .unwrap();
    let mut by_kind: [Vec<f64>; 2] = [Vec::new(), Vec::new()];
    let start = Instant::now();
    for i in 0..1000usize {
        // 100 events per second.
        let due = Duration::from_millis(10 * i as u64);
        if let Some(wait) = due.checked_sub(start.elapsed()) {
            std::thread::sleep(wait);
        }
        let t = Instant::now();
        if i % 10 == 0 {
            let pvc = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": {"name": format!("data-{i}"), "namespace": "moh-records",
                             "labels": {"digital.gov.kh/data-class": "confidential"}},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}});
            handle_event(&index, claim, Event::Apply(pvc), &mut None);
        } else {
            let mut w = workloads::workload(i);
            w["metadata"]["annotations"]["revision"] = json!(i.to_string());
            handle_event(&index, deployment, Event::Apply(w), &mut None);
        }
        let snap = index.snapshot(now);
        std::hint::black_box(&snap);
        by_kind[usize::from(i % 10 == 0)].push(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!("## Watch event to updated verdict (index of {N} + examples, 100 events/s, ms)\n");
    println!("| event | events | p50 | p99 | max |");
    println!("|---|---:|---:|---:|---:|");
    for (label, mut v) in [
        ("Deployment (context unchanged)", by_kind[0].clone()),
        (
            "PersistentVolumeClaim (context recomputed)",
            by_kind[1].clone(),
        ),
        (
            "all",
            by_kind.iter().flatten().copied().collect::<Vec<f64>>(),
        ),
    ] {
        v.sort_by(|a, b| a.total_cmp(b));
        println!(
            "| {label} | {} | {:.2} | {:.2} | {:.2} |",
            v.len(),
            percentile(&v, 0.5),
            percentile(&v, 0.99),
            v[v.len() - 1]
        );
    }
    println!();
}

fn admission() {
    if Command::new("oha").arg("--version").output().is_err() {
        println!(
            "## Admission over TLS\n\n`oha` is not installed (`cargo install oha`): skipped.\n"
        );
        return;
    }
    let dir = std::env::temp_dir().join(format!("govkh-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let files = TlsFiles {
        cert: dir.join("tls.crt"),
        key: dir.join("tls.key"),
        client_ca: None,
    };
    std::fs::write(&files.cert, cert.pem()).unwrap();
    std::fs::write(&files.key, key.serialize_pem()).unwrap();
    let body = json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {"uid": "bench", "kind": {"group": "apps", "version": "v1", "kind": "Deployment"},
            "resource": {"group": "apps", "version": "v1", "resource": "deployments"},
            "name": "svc-9", "namespace": "moeys-elearning", "operation": "CREATE",
            "userInfo": {"username": "bench", "groups": []}, "object": workloads::workload(4), "dryRun": false}});
    let body_file = dir.join("review.json");
    std::fs::write(&body_file, serde_json::to_vec(&body).unwrap()).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let addr = runtime.block_on(async {
        let (service, _handle) = tower_test::mock::pair::<
            http::Request<kube::client::Body>,
            http::Response<kube::client::Body>,
        >();
        std::mem::forget(_handle);
        let now: Timestamp = NOW.parse().unwrap();
        let ctx = Arc::new(
            Context::new(kube::Client::new(service, "default"), Arc::new(move || now))
                .with_index(common::index_of(&cluster_objects(N))),
        );
        let admission = Arc::new(Admission::new(ctx, Arc::new(Library::builtin().unwrap())));
        // One review's own cost, in process, one at a time: what the load test's latency is
        // made of before TLS, HTTP and the load generator share the cores.
        let bytes = serde_json::to_vec(&body).unwrap();
        let mut own: Vec<f64> = Vec::new();
        for _ in 0..2000 {
            let t = Instant::now();
            let (_, outcome) = admission.review(&bytes).await.unwrap();
            std::hint::black_box(outcome);
            own.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        own.sort_by(|a, b| a.total_cmp(b));
        println!(
            "## One admission review in process (index of {N} + examples; 2,000 reviews one at a time, ms)\n"
        );
        println!("| p50 | p99 | max |");
        println!("|---:|---:|---:|");
        println!(
            "| {:.3} | {:.3} | {:.3} |\n",
            percentile(&own, 0.5),
            percentile(&own, 0.99),
            own[own.len() - 1]
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        govkh::webhook::serve(listener, files, admission).await.unwrap();
        addr
    });
    println!(
        "## Admission over TLS on loopback (index of {N} + examples; oha, 30 s per rate, ms)\n"
    );
    println!("| requests/s | answered | errors | p50 | p99 | p99.9 |");
    println!("|---:|---:|---:|---:|---:|---:|");
    for rate in [500, 1000] {
        let out = Command::new("oha")
            .args([
                "-z",
                // 30 s: oha opens its 16 TLS connections when it starts (the API server keeps
                // its connections to a webhook), and at 10 s those first requests alone were 1 %
                // of the run, so p99 measured oha's start-up.
                "30s",
                "-q",
                &rate.to_string(),
                "-c",
                "16",
                "--insecure",
                "--no-tui",
                "--latency-correction",
                // The request in flight when the 30 s end is not an error of the server.
                "-w",
                "--output-format",
                "json",
                "-m",
                "POST",
                "-H",
                "Content-Type: application/json",
                "-D",
                body_file.to_str().unwrap(),
                &format!("https://{addr}/validate"),
            ])
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        let ms = |p: &str| v["latencyPercentiles"][p].as_f64().unwrap_or(f64::NAN) * 1000.0;
        let ok = v["statusCodeDistribution"]["200"].as_u64().unwrap_or(0);
        let errors = v["errorDistribution"]
            .as_object()
            .map_or(0, |m| m.values().filter_map(Value::as_u64).sum::<u64>());
        if let Some(kinds) = v["errorDistribution"].as_object().filter(|m| !m.is_empty()) {
            eprintln!("oha errors at {rate}/s: {kinds:?}");
        }
        if v.is_null() {
            eprintln!("oha: {}", String::from_utf8_lossy(&out.stderr));
        }
        println!(
            "| {rate} | {ok} | {errors} | {:.2} | {:.2} | {:.2} |",
            ms("p50"),
            ms("p99"),
            ms("p99.9")
        );
    }
    println!();
    drop(runtime);
    let _ = std::fs::remove_dir_all(dir);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--memory") {
        memory_child(args.get(i + 1).map_or("index", String::as_str));
        return;
    }
    // `cargo bench` passes `--bench`; any other word picks one part.
    let only = args.iter().skip(1).find(|a| !a.starts_with('-')).cloned();
    let run = |part: &str| only.as_deref().is_none_or(|o| o == part);
    if run("memory") {
        memory();
    }
    if run("events") {
        event_to_verdict();
    }
    if run("admission") {
        admission();
    }
}
