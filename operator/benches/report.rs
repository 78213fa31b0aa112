//! How long the committee's report takes to build and render at national scale: 200
//! ministries and 10,000 findings, each format, median of 5 runs. Run: `cargo bench --bench
//! report`. Reported, never asserted.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    dead_code,
    unused_imports
)]

#[path = "../tests/committee_report.rs"]
mod fixture;

use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let time = |f: &dyn Fn() -> usize| {
        median(
            (0..5)
                .map(|_| {
                    let t = Instant::now();
                    std::hint::black_box(f());
                    t.elapsed().as_secs_f64() * 1e3
                })
                .collect(),
        )
    };
    let build = time(&|| fixture::large_report().ministries.len());
    let r = fixture::large_report();
    println!(
        "report of {} ministries and 10,000 findings (median of 5):",
        r.ministries.len()
    );
    println!("| step | ms |\n|---|---|");
    println!("| build (load, evaluate, model) | {build:.0} |");
    println!(
        "| html ({} KB) | {:.0} |",
        govkh_core::render::report::html(&r).len() / 1024,
        time(&|| govkh_core::render::report::html(&r).len())
    );
    println!(
        "| markdown | {:.0} |",
        time(&|| govkh_core::render::report::markdown(&r).len())
    );
    println!(
        "| json | {:.0} |",
        time(&|| govkh_core::render::report::json(&r).unwrap().len())
    );
    println!(
        "| csv | {:.0} |",
        time(&|| govkh_core::render::report::csv(&r).len())
    );
}
