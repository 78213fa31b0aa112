//! Benchmark of the evaluation core: the whole policy catalogue on generated inventories of 1k
//! and 10k realistic workloads (3-6 KB each), one core, both regorus modes in the same run,
//! each against the baseline of running every policy on every object (what the core did before
//! policies declared their kinds). Reports µs per object (p50/p99), objects per second, the
//! share of time spent converting the input, the path from JSON text (what admission pays),
//! the whole evaluation on 1 thread against all cores, policy compilation time, and the
//! admission webhook's time per review with the inventory prepared once per audit against
//! converting it per review (the baseline).
//! Run: `cargo bench --bench evaluate`.
//! Numbers are reported, never asserted: the machines are shared and noisy.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::{path::PathBuf, time::Instant};

use govkh_core::{
    admission::Snapshot,
    evaluate::{Evaluator, Review, evaluate, objects},
    inventory::Inventory,
    loading::manifest::Loader,
    policy::{Helpers, Library, Mode},
};
use k8s_openapi::jiff::Timestamp;

#[path = "support/workloads.rs"]
mod workloads;
use workloads::workload;

fn inventory(n: usize) -> Inventory {
    let examples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut loaded = Loader::new().load_paths(&[examples], &mut std::io::empty());
    let template = loaded
        .objects
        .iter()
        .find(|o| o.kind == "Deployment")
        .unwrap()
        .clone();
    for i in 0..n {
        let mut o = template.clone();
        o.raw = workload(i);
        o.name = format!("svc-{i}");
        o.namespace = o.raw["metadata"]["namespace"].as_str().map(str::to_string);
        loaded.objects.push(o);
    }
    Inventory::build(loaded.objects).0
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

struct Run {
    p50: f64,
    p99: f64,
    per_sec: f64,
    convert_share: f64,
    findings: usize,
}

fn run(inv: &Inventory, lib: &Library, now: Timestamp) -> Run {
    let clock = evaluate(&Inventory::default(), lib, now).tenancies;
    let evaluator = Evaluator::new(inv, lib, now, &clock);
    let mut totals = Vec::new();
    let (mut convert, mut all) = (0.0, 0.0);
    let mut findings = 0;
    for (object, source) in objects(inv) {
        let review = Review::create(object, source);
        let t0 = Instant::now();
        let input = evaluator.input(&review);
        let t1 = Instant::now();
        findings += evaluator.findings(&review, &input).len();
        let t2 = Instant::now();
        let c = (t1 - t0).as_secs_f64() * 1e6;
        let total = (t2 - t0).as_secs_f64() * 1e6;
        convert += c;
        all += total;
        totals.push(total);
    }
    totals.sort_by(|a, b| a.total_cmp(b));
    Run {
        p50: percentile(&totals, 0.5),
        p99: percentile(&totals, 0.99),
        per_sec: totals.len() as f64 / (all / 1e6),
        convert_share: convert / all,
        findings,
    }
}

fn main() {
    let now: Timestamp = "2026-11-26T03:00:00Z".parse().unwrap();
    let mut compile: Vec<f64> = (0..15)
        .map(|_| {
            let t = Instant::now();
            let lib = Library::builtin().unwrap();
            std::hint::black_box(lib);
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    compile.sort_by(|a, b| a.total_cmp(b));
    let lib = Library::builtin().unwrap();
    // The library as written: each policy reaching the helpers through `import data.govkh.lib`.
    let sources = govkh_core::policy::builtin_sources();
    let as_written = Library::load_with(&sources, Helpers::AsWritten, Helpers::AsWritten).unwrap();
    let copied = Library::load_with(&sources, Helpers::Copied, Helpers::Copied).unwrap();
    println!(
        "policy library: {} policies; compilation (parse + metadata + RVM programs) median {:.1} ms over 15 runs",
        lib.policies().len(),
        percentile(&compile, 0.5)
    );
    println!();
    println!(
        "| objects | mode | p50 µs/object | p99 µs/object | objects/s (1 core) | input conversion share | findings | re-run on the interpreter |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for n in [1_000, 10_000] {
        let inv = inventory(n);
        let size: usize = objects(&inv)
            .iter()
            .map(|(o, _)| o.to_string().len())
            .sum::<usize>()
            / objects(&inv).len().max(1);
        let mut base = None;
        for (name, every, l) in [
            (
                "every policy on every object, helpers as written (baseline)",
                true,
                &as_written,
            ),
            ("declared kinds, helpers as written", false, &as_written),
            ("declared kinds, helpers copied in", false, &copied),
            (
                "declared kinds (govkh's library: interpreter qualified, RVM copied; Rvm is the default)",
                false,
                &lib,
            ),
        ] {
            for mode in [Mode::Interpreter, Mode::Rvm] {
                let l = l.clone().with_mode(mode);
                let l = if every { l.judging_every_kind() } else { l };
                let reruns = l.interpreter_reruns();
                let r = run(&inv, &l, now);
                let reruns = l.interpreter_reruns() - reruns;
                let ratio = base
                    .map(|b: f64| format!(" ({:.2}x baseline)", r.per_sec / b))
                    .unwrap_or_default();
                base.get_or_insert(r.per_sec);
                println!(
                    "| {} (avg {:.1} KB) | {name}, {:?} | {:.0} | {:.0} | {:.0}{ratio} | {:.0}% | {} | {reruns} |",
                    inv.len(),
                    size as f64 / 1024.0,
                    mode,
                    r.p50,
                    r.p99,
                    r.per_sec,
                    r.convert_share * 100.0,
                    r.findings
                );
            }
        }
    }

    println!();
    // From JSON text to findings, one object at a time, as admission pays it: parse the
    // request's object, build the input, run the policies of its kind.
    println!();
    println!("| path (10k inventory, one core) | p50 µs/object | p99 µs/object |");
    println!("|---|---|---|");
    let inv = inventory(10_000);
    let clock = evaluate(&Inventory::default(), &lib, now).tenancies;
    let texts: Vec<String> = objects(&inv)
        .iter()
        .filter(|(o, _)| o["kind"] == "Deployment")
        .map(|(o, _)| o.to_string())
        .collect();
    for mode in [Mode::Interpreter, Mode::Rvm] {
        let l = lib.clone().with_mode(mode);
        let evaluator = Evaluator::new(&inv, &l, now, &clock);
        let mut times: Vec<f64> = texts
            .iter()
            .map(|text| {
                let t = Instant::now();
                let object: serde_json::Value = serde_json::from_str(text).unwrap();
                std::hint::black_box(evaluator.review(&Review::create(object, None)));
                t.elapsed().as_secs_f64() * 1e6
            })
            .collect();
        times.sort_by(|a, b| a.total_cmp(b));
        println!(
            "| JSON text → findings, {mode:?} | {:.0} | {:.0} |",
            percentile(&times, 0.5),
            percentile(&times, 0.99)
        );
    }

    // The whole evaluation (clock, references, every object) on one thread against all cores.
    println!();
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    println!(
        "| whole evaluation of {} objects | ms (median of 5) | speed-up |",
        inv.len()
    );
    println!("|---|---|---|");
    let mut one = 0.0;
    for threads in [1, cores] {
        let l = lib.clone().with_threads(threads);
        let mut times: Vec<f64> = (0..5)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(evaluate(&inv, &l, now));
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        times.sort_by(|a, b| a.total_cmp(b));
        let ms = percentile(&times, 0.5);
        if threads == 1 {
            one = ms;
        }
        println!("| {threads} thread(s) | {ms:.0} | {:.2}x |", one / ms);
    }

    println!();
    println!(
        "| inventory objects | admission review, inventory converted per review (baseline) p50 µs | prepared once per audit p50 µs | speed-up |"
    );
    println!("|---|---|---|---|");
    for n in [1_000, 10_000] {
        let inv = inventory(n);
        let clock = evaluate(&inv, &lib, now).tenancies;
        let (probe, _) = objects(&inv).into_iter().last().unwrap();
        let review = Review::create(probe, None);
        let mut per_review: Vec<f64> = (0..21)
            .map(|_| {
                let t = Instant::now();
                let e = Evaluator::new(&inv, &lib, now, &clock);
                std::hint::black_box(e.review(&review));
                t.elapsed().as_secs_f64() * 1e6
            })
            .collect();
        let snapshot = Snapshot::new(now, std::sync::Arc::new(inv), clock);
        let mut prepared: Vec<f64> = (0..201)
            .map(|_| {
                let t = Instant::now();
                let e =
                    Evaluator::with_prepared(&snapshot.inventory, &lib, now, &snapshot.prepared);
                std::hint::black_box(e.review(&review));
                t.elapsed().as_secs_f64() * 1e6
            })
            .collect();
        per_review.sort_by(|a, b| a.total_cmp(b));
        prepared.sort_by(|a, b| a.total_cmp(b));
        let (base, fast) = (percentile(&per_review, 0.5), percentile(&prepared, 0.5));
        println!(
            "| {} | {base:.0} | {fast:.0} | {:.1}x |",
            snapshot.inventory.len(),
            base / fast
        );
    }
}
