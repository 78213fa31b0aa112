//! Every input the fuzzers saved (`fuzz/corpus/<target>/`: seeds and what `cargo fuzz` found
//! that reached new code) replayed through the same target bodies on the stable toolchain, so
//! CI re-checks what the nightly fuzzing covered, and an input that once broke a target stays
//! a test. Run the fuzzers themselves with `fuzz/run.sh` (nightly and cargo-fuzz).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/fuzz_targets.rs"]
mod fuzz_targets;

use std::path::PathBuf;

fn corpus(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect()
}

fn replay(target: &str, body: fn(&[u8])) {
    let inputs = corpus(target);
    assert!(inputs.len() >= 5, "{target}: {} inputs saved", inputs.len());
    for (path, bytes) in inputs {
        let outcome = std::panic::catch_unwind(|| body(&bytes));
        assert!(outcome.is_ok(), "{target} failed on {}", path.display());
    }
}

#[test]
fn the_loaders_corpus() {
    replay("load", fuzz_targets::load);
}

#[test]
fn the_schema_validations_corpus() {
    replay("validate", fuzz_targets::validate);
}

#[test]
fn the_admission_reviews_corpus() {
    replay("admission", fuzz_targets::admission);
}

#[test]
fn the_reports_corpus() {
    replay("report", fuzz_targets::report);
}
