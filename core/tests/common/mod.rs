//! Helpers shared by the core's integration tests, and by the operator's (which include this
//! file): where the repository is and the examples as `govkh check` loads them.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::PathBuf;

use govkh_core::loading::manifest::{LoadResult, Loader};

/// The repository's root (both crates sit one folder below it).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every manifest of `examples/`, loaded as `govkh check` loads them.
pub fn examples() -> LoadResult {
    Loader::new().load_paths(&[root().join("examples")], &mut std::io::empty())
}

/// The Rego of a policy `hungry` (action `action`, Deployments or `kinds`) that builds a string
/// of 999 × 2^`doublings` bytes — and as much again in the halves it is made of — when `guard`
/// (a Rego expression) holds: what the memory limits must stop.
pub fn hungry_rego(action: &str, kinds: &str, doublings: u32, guard: &str) -> String {
    let mut rego = format!(
        "package govkh.hungry\n\nmetadata := {{\"id\": \"hungry\", \"title\": \"Hungry\", \"articles\": [\"25\"], \"severity\": \"low\", \"action\": \"{action}\", \"kinds\": [{kinds}]}}\n\ns0 := sprintf(\"%0999d\", [0])\n"
    );
    for i in 1..=doublings {
        rego.push_str(&format!("s{i} := concat(\"\", [s{}, s{}])\n", i - 1, i - 1));
    }
    rego.push_str(&format!(
        "\nviolation contains {{\"msg\": sprintf(\"built %d\", [count(s{doublings})])}} if {{\n    {guard}\n    count(s{doublings}) > 0\n}}\n"
    ));
    rego
}
