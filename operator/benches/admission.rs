//! Admission as volume claims accumulate in the namespace under review: does a review's cost
//! grow with the claims the cluster holds? Run: `cargo bench --bench admission`. Reported,
//! never asserted.
//!
//! For 100, 1,000 and 10,000 claims in `moh-records` (the examples around them), 2,000 rounds
//! of: one more claim arrives (a watch event, as at 150 claims a second every review follows a
//! change), then a clone of a random held claim is reviewed (`Admission::review`, in process:
//! the index's snapshot, the source looked up, the policies run on the pool). Each review and
//! each event is timed; printed as p50/p99 per count, with the ratio of p99 at the largest
//! count to p99 at the smallest.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use govkh::{context::Context, index::handle_event, webhook::Admission};
use govkh_core::{policy::Library, resources::RESOURCES};
use k8s_openapi::jiff::Timestamp;
use kube::runtime::watcher::Event;
use serde_json::{Value, json};

const NOW: &str = "2026-11-26T03:00:00Z";
const ROUNDS: usize = 2_000;
const COUNTS: [usize; 3] = [100, 1_000, 10_000];

fn claim(name: &str, class: Option<&str>, clone_of: Option<&str>) -> Value {
    let mut v = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": "moh-records",
                     "labels": {"app": "records"}},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}});
    if let Some(c) = class {
        v["metadata"]["labels"]["digital.gov.kh/data-class"] = json!(c);
    }
    if let Some(source) = clone_of {
        v["spec"]["dataSource"] = json!({"kind": "PersistentVolumeClaim", "name": source});
    }
    v
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// (review p50, review p99, event p50, event p99) in ms, and the denials seen.
fn run(count: usize) -> (f64, f64, f64, f64, usize) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let index = common::index_of(&common::examples_in_cluster());
        let pvc = RESOURCES
            .iter()
            .find(|r| r.kind == "PersistentVolumeClaim")
            .unwrap();
        // One in ten held claims is confidential, one in a hundred top-secret.
        let class = |i: usize| match i % 100 {
            0 => Some("top-secret"),
            n if n % 10 == 0 => Some("confidential"),
            _ => None,
        };
        for i in 0..count {
            let c = claim(&format!("claim-{i}"), class(i), None);
            handle_event(&index, pvc, Event::Apply(c), &mut None);
        }
        let now: Timestamp = NOW.parse().unwrap();
        let ctx = Arc::new(
            Context::new(common::offline_client(), Arc::new(move || now)).with_index(index.clone()),
        );
        let mut admission = Admission::new(ctx, Arc::new(Library::builtin().unwrap()));
        admission.events = false;
        let mut reviews = Vec::with_capacity(ROUNDS);
        let mut events = Vec::with_capacity(ROUNDS);
        let mut denied = 0;
        // A fixed pseudo-random sequence of sources (the same in every run).
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        for round in 0..ROUNDS {
            let arrived = claim(&format!("new-{round}"), None, None);
            let t = Instant::now();
            handle_event(&index, pvc, Event::Apply(arrived), &mut None);
            events.push(t.elapsed());
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let source = format!("claim-{}", seed as usize % count);
            let copy = claim(&format!("copy-{round}"), None, Some(&source));
            let body = common::admission_review(
                "0b6c1b9e-0000-4000-8000-000000000001",
                "dara@moh.gov.kh",
                "CREATE",
                &copy,
                &[],
            );
            let t = Instant::now();
            let (review, _) = admission.review(&body).await.unwrap();
            reviews.push(t.elapsed());
            if review.response.is_some_and(|r| !r.allowed) {
                denied += 1;
            }
        }
        reviews.sort();
        events.sort();
        (
            percentile(&reviews, 0.5),
            percentile(&reviews, 0.99),
            percentile(&events, 0.5),
            percentile(&events, 0.99),
            denied,
        )
    })
}

fn main() {
    println!("admission of a clone, after each new claim, {ROUNDS} rounds per count");
    println!("| claims | review p50 ms | review p99 ms | event p50 ms | event p99 ms | refused |");
    println!("|---:|---:|---:|---:|---:|---:|");
    let mut p99s = Vec::new();
    for count in COUNTS {
        let (p50, p99, e50, e99, denied) = run(count);
        p99s.push(p99);
        println!("| {count} | {p50:.3} | {p99:.3} | {e50:.3} | {e99:.3} | {denied} |");
    }
    println!(
        "review p99 at {} claims / at {}: {:.2}x",
        COUNTS[2],
        COUNTS[0],
        p99s[2] / p99s[0]
    );
}
