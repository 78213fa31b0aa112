//! The workspace's shape: the core crate stays free of the cluster client, the async runtime and
//! HTTP (the boundary is the crate boundary, not a convention), and the layout in docs/architecture.md
//! names every module of both crates, one line each, and nothing that is gone.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::{
    collections::{BTreeMap, BTreeSet},
    path::Path,
    process::Command,
};

/// Crates the core must never depend on, even indirectly.
const FORBIDDEN: &[&str] = &["kube-client", "kube-runtime", "tokio", "hyper", "rustls"];

#[test]
fn the_core_crate_has_no_cluster_client_runtime_or_http() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(common::root())
        .args([
            "tree",
            "-p",
            "govkh-core",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--locked",
            "--offline",
        ])
        .output()
        .unwrap();
    let tree = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let crates: BTreeSet<&str> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    // The tree is real: it holds what the core does use.
    for needed in ["govkh-core", "kube-core", "regorus", "serde_json"] {
        assert!(crates.contains(needed), "{needed} missing from:\n{tree}");
    }
    let found: Vec<&&str> = FORBIDDEN.iter().filter(|f| crates.contains(**f)).collect();
    assert!(found.is_empty(), "govkh-core depends on {found:?}:\n{tree}");
}

/// The layout block of docs/architecture.md: per crate root, each entry's path and its description.
fn layout_entries() -> BTreeMap<(String, String), String> {
    let readme = std::fs::read_to_string(common::root().join("docs/architecture.md")).unwrap();
    let section = readme
        .split("\n## Layout\n")
        .nth(1)
        .expect("docs/architecture.md has a Layout section");
    let block = section
        .split("```")
        .nth(1)
        .expect("the Layout section has a code block");
    let mut entries: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut root = String::new();
    let mut last: Option<(String, String)> = None;
    for line in block.lines() {
        let indent = line.len() - line.trim_start().len();
        let mut words = line.split_whitespace();
        let Some(first) = words.next() else {
            continue;
        };
        let rest: Vec<&str> = words.collect();
        match indent {
            0 => {
                root = first.to_string();
                last = None;
            }
            2 => {
                let key = (root.clone(), first.to_string());
                entries.insert(key.clone(), rest.join(" "));
                last = Some(key);
            }
            _ => {
                // A continuation of the entry above.
                if let Some(key) = &last {
                    let text = entries.entry(key.clone()).or_default();
                    text.push(' ');
                    text.push_str(line.trim());
                }
            }
        }
    }
    entries
}

fn rust_files(dir: &Path, under: &Path, out: &mut Vec<String>) {
    let Ok(read) = std::fs::read_dir(dir) else {
        return;
    };
    for e in read {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, under, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(
                p.strip_prefix(under)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
}

#[test]
fn the_readme_layout_names_every_module_and_nothing_else() {
    let entries = layout_entries();
    let root = common::root();
    let mut missing = Vec::new();
    for crate_root in ["core/", "operator/"] {
        let dir = root.join(crate_root);
        let mut files = Vec::new();
        rust_files(&dir.join("src"), &dir, &mut files);
        rust_files(&dir.join("benches"), &dir, &mut files);
        if dir.join("build.rs").exists() {
            files.push("build.rs".into());
        }
        for f in files {
            let listed = match f.rsplit_once('/') {
                Some((folder, file)) if folder != "src" && folder != "benches" => entries
                    .get(&(crate_root.to_string(), format!("{folder}/")))
                    .is_some_and(|text| text.split([' ', ',', '(', ')', ':']).any(|w| w == file)),
                _ => entries.contains_key(&(crate_root.to_string(), f.clone())),
            };
            if !listed {
                missing.push(format!("{crate_root}{f}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "modules missing from docs/architecture.md's layout: {missing:?}"
    );
    let gone: Vec<String> = entries
        .keys()
        .filter(|(crate_root, _)| crate_root == "core/" || crate_root == "operator/")
        .map(|(crate_root, path)| format!("{crate_root}{path}"))
        .filter(|p| !root.join(p).exists())
        .collect();
    assert!(
        gone.is_empty(),
        "docs/architecture.md lists what does not exist: {gone:?}"
    );
}
