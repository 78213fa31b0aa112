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
