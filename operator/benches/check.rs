//! How long `govkh check` takes, as a user runs it, on 10,000 generated Deployment files (the
//! evaluation benchmark's 3-6 KB workloads written as YAML, one per file) beside the examples'
//! national set: wall time and peak RSS of the release binary, median of 5 runs each. The
//! baselines, measured in the same run: the examples alone, and the same 10,000 files with no
//! policy (`--policies` of one empty policy: loading, indexing and reporting only).
//! Run: `cargo bench --bench check` (`GOVKH_BENCH_FILES=N` for another count). Reported, never
//! asserted: the machines are shared and noisy.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

#[path = "../../core/benches/support/workloads.rs"]
mod workloads;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Write `n` Deployments, one YAML file each, under `dir` (100 files a folder).
fn generate(dir: &Path, n: usize) -> u64 {
    let _ = std::fs::remove_dir_all(dir);
    let mut bytes = 0;
    for i in 0..n {
        let sub = dir.join(format!("batch-{:03}", i / 100));
        if i % 100 == 0 {
            std::fs::create_dir_all(&sub).unwrap();
        }
        let yaml = serde_saphyr::to_string(&workloads::workload(i)).unwrap();
        bytes += yaml.len() as u64;
        std::fs::write(sub.join(format!("svc-{i}.yaml")), yaml).unwrap();
    }
    bytes
}

/// A policy that applies to nothing: the run does everything but evaluate Rego.
fn empty_policy(dir: &Path) {
    std::fs::create_dir_all(dir.join("nothing")).unwrap();
    std::fs::write(
        dir.join("nothing/policy.rego"),
        "package bench.nothing\n\nmetadata := {\"id\": \"nothing\", \"title\": \"Nothing\", \"articles\": [\"1\"], \"severity\": \"low\", \"action\": \"warn\", \"kinds\": [\"NoSuchKind\"]}\n\nviolation contains {\"msg\": \"never\"} if false\n",
    )
    .unwrap();
}

/// The peak resident set of a running process (its high-water mark), in KiB.
fn hwm(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// One run of the binary: (wall seconds, peak RSS MiB, exit code).
fn once(args: &[String]) -> (f64, f64, i32) {
    let t = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_govkh"))
        .args(args)
        .current_dir(root())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut peak = 0;
    // The high-water mark only grows: the last reading before exit is the peak (to 2 ms).
    let code = loop {
        if let Some(kb) = hwm(child.id()) {
            peak = peak.max(kb);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status.code().unwrap_or(-1);
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    (t.elapsed().as_secs_f64(), peak as f64 / 1024.0, code)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let n: usize = std::env::var("GOVKH_BENCH_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let work = root().join("target/bench-check");
    let files = work.join("deployments");
    let bytes = generate(&files, n);
    empty_policy(&work.join("policies"));
    let files = files.to_string_lossy().into_owned();
    let policies = work.join("policies").to_string_lossy().into_owned();
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    println!(
        "govkh check on {n} generated Deployment files ({:.1} MB) + examples/, {cores} cores, median of 5 runs:",
        bytes as f64 / 1e6
    );
    println!();
    println!("| run | wall s | × baseline | peak RSS MiB | exit |");
    println!("|---|---|---|---|---|");
    let check = |paths: &[&str], extra: &[&str]| -> Vec<String> {
        ["check"]
            .iter()
            .chain(paths)
            .chain(&["--now", "2026-11-26", "--format", "json"])
            .chain(extra)
            .map(|s| s.to_string())
            .collect()
    };
    let runs = [
        ("examples/ alone", check(&["examples/"], &[])),
        (
            "examples/ + files, no policy (baseline: load, index, report)",
            check(
                &["examples/", &files],
                &["--no-builtin-policies", "--policies", &policies],
            ),
        ),
        (
            "examples/ + files, the built-in catalogue",
            check(&["examples/", &files], &[]),
        ),
    ];
    let mut baseline = None;
    for (i, (name, args)) in runs.iter().enumerate() {
        let results: Vec<(f64, f64, i32)> = (0..5).map(|_| once(args)).collect();
        let wall = median(results.iter().map(|r| r.0).collect());
        let rss = median(results.iter().map(|r| r.1).collect());
        if i == 1 {
            baseline = Some(wall);
        }
        let ratio = baseline.map_or("–".to_string(), |b| format!("{:.2}", wall / b));
        println!(
            "| {name} | {wall:.2} | {ratio} | {rss:.0} | {} |",
            results[0].2
        );
    }
}
