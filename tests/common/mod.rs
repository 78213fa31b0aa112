//! Helpers shared by the integration tests (each test binary uses a part of them).
#![allow(dead_code, clippy::unwrap_used)]

use std::{
    path::PathBuf,
    process::{Command, Output},
};

use govkh_core::manifest::{LoadResult, Loader};

/// The repository's root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Run the `govkh` binary from the repository's root, with no date taken from the
/// environment (`--now`/`--as-of` are given explicitly by the tests).
pub fn govkh(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_govkh"))
        .current_dir(root())
        .args(args)
        .env_remove("GOVKH_NOW")
        .env_remove("GOVKH_AS_OF")
        .output()
        .unwrap()
}

/// Every manifest of `examples/`, loaded as `govkh check` loads them.
pub fn examples() -> LoadResult {
    Loader::new().load_paths(&[root().join("examples")], &mut std::io::empty())
}
