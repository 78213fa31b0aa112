//! Helpers shared by the integration tests (each test binary uses a part of them).
#![allow(dead_code, clippy::unwrap_used)]

use std::process::{Command, Output};

pub mod cluster;
pub mod mock;
pub mod tls;

// `root()` and `examples()`: the core's test helpers, one copy for both crates.
#[path = "../../../core/tests/common/mod.rs"]
mod core_common;
pub use core_common::{examples, root};
// Only the CLI's tests build hungry policies; the other binaries leave it unused.
#[allow(unused_imports)]
pub use core_common::hungry_rego;

/// Run the `govkh` binary from the repository's root, with no date taken from the
/// environment (`--now`/`--as-of` are given explicitly by the tests).
pub fn govkh(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_govkh"))
        .current_dir(root())
        .args(args)
        .env_remove("GOVKH_NOW")
        .env_remove("GOVKH_AS_OF")
        // English unless a test asks (`--lang`, or a LANG of its own).
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env_remove("LANG")
        .output()
        .unwrap()
}

/// Run `govkh` as [`govkh`] does, expecting success: its standard output (stderr shown when it
/// fails).
pub fn govkh_stdout(args: &[&str]) -> String {
    let out = govkh(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "govkh {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A live index fed as its watches would feed it on start: one complete list per watched
/// kind, holding `objects` (JSON, as the API server returns them).
pub fn index_of(objects: &[serde_json::Value]) -> std::sync::Arc<govkh::index::Index> {
    let index = std::sync::Arc::new(govkh::index::Index::new());
    for r in govkh_core::resources::RESOURCES {
        let of_kind: Vec<serde_json::Value> = objects
            .iter()
            .filter(|o| o["kind"] == r.kind && o["apiVersion"] == r.api_version().as_str())
            .cloned()
            .collect();
        let prepared = of_kind.into_iter().map(|v| index.prepare(r, v)).collect();
        index.restart(r, prepared);
        index.mark_synced(r);
    }
    // The cloud resources, as discovery and a metadata-only watch of their kinds bring them.
    let catalogue = govkh_core::clouds::Catalogue::builtin().unwrap();
    let mut clouds: std::collections::BTreeMap<_, Vec<serde_json::Value>> = Default::default();
    for o in objects {
        let (api_version, kind) = (
            o["apiVersion"].as_str().unwrap(),
            o["kind"].as_str().unwrap(),
        );
        if catalogue
            .classify(api_version, kind, &o["metadata"])
            .is_some()
        {
            let (group, version) = api_version.split_once('/').unwrap();
            let r = govkh_core::resources::cloud_kind(
                group,
                version,
                kind,
                &format!("{}s", kind.to_lowercase()),
                o["metadata"]["namespace"].is_string(),
            );
            clouds.entry(r.qualified_plural()).or_insert_with(Vec::new).push(
                serde_json::json!({"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata", "metadata": o["metadata"]}),
            );
            index.set_cloud(r, true);
        }
    }
    for r in index.cloud_kinds() {
        let listed = clouds.remove(&r.qualified_plural()).unwrap_or_default();
        let prepared = listed.into_iter().map(|v| index.prepare(r, v)).collect();
        index.restart(r, prepared);
    }
    index
}

/// The examples as the API server would hold them: every object, plus a Namespace for each
/// namespace a tenancy provisions (the operator creates them).
pub fn examples_in_cluster() -> Vec<serde_json::Value> {
    let mut out: Vec<serde_json::Value> = examples().objects.into_iter().map(|o| o.raw).collect();
    let made = provisioned_namespaces(&out);
    out.extend(made);
    out
}

/// The Namespaces govkh would have created for the tenancies among `objects`, as it labels and
/// annotates them: one for each namespace a tenancy declares that no other declares, that does
/// not exist already and is no system namespace (those the fence leaves alone).
#[allow(dead_code)]
pub fn provisioned_namespaces(objects: &[serde_json::Value]) -> Vec<serde_json::Value> {
    let existing: std::collections::BTreeSet<&str> = objects
        .iter()
        .filter(|o| o["kind"] == "Namespace")
        .filter_map(|o| o["metadata"]["name"].as_str())
        .collect();
    let mut declared: std::collections::BTreeMap<&str, Vec<&serde_json::Value>> =
        std::collections::BTreeMap::new();
    for t in objects.iter().filter(|o| o["kind"] == "CloudTenancy") {
        for ns in t["spec"]["namespaces"].as_array().into_iter().flatten() {
            if let Some(name) = ns["name"].as_str() {
                declared.entry(name).or_default().push(t);
            }
        }
    }
    declared
        .into_iter()
        .filter(|(name, by)| {
            by.len() == 1
                && !existing.contains(name)
                && *name != "default"
                && !name.starts_with("kube-")
        })
        .map(|(name, by)| {
            let t = by[0];
            let tenancy = t["metadata"]["name"].as_str().unwrap_or_default();
            let class = t["spec"]["namespaces"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|n| n["name"] == name)
                .and_then(|n| n["dataClass"].as_str());
            let mut labels = serde_json::json!({"digital.gov.kh/ministry": t["spec"]["ministry"],
                "digital.gov.kh/tenancy": tenancy, "digital.gov.kh/placement": t["spec"]["placement"]});
            if let Some(c) = class {
                labels["digital.gov.kh/data-class"] = serde_json::json!(c);
            }
            serde_json::json!({"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": name, "labels": labels,
                    "annotations": {"digital.gov.kh/created-by": tenancy},
                    "managedFields": [{"manager": format!("govkh/cloudtenancy/{tenancy}")}]}})
        })
        .collect()
}

/// An AdmissionReview body as the API server posts it: `operation` of `object` by `username`
/// in `groups`, with request id `uid`.
pub fn admission_review(
    uid: &str,
    username: &str,
    operation: &str,
    object: &serde_json::Value,
    groups: &[&str],
) -> Vec<u8> {
    let kind = object["kind"].as_str().unwrap().to_string();
    let api_version = object["apiVersion"].as_str().unwrap().to_string();
    let (group, version) = api_version.split_once('/').unwrap_or(("", &api_version));
    serde_json::to_vec(&serde_json::json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": group, "version": version, "kind": kind},
            "resource": {"group": group, "version": version, "resource": format!("{}s", kind.to_lowercase())},
            "name": object["metadata"]["name"], "namespace": object["metadata"]["namespace"],
            "operation": operation,
            "userInfo": {"username": username, "groups": groups},
            "object": object,
            "dryRun": false
        }
    }))
    .unwrap()
}

/// A kube client whose API server never answers: for what needs a client but must not use it.
pub fn offline_client() -> kube::Client {
    kube::Client::new(
        tower_test::mock::pair::<
            http::Request<kube::client::Body>,
            http::Response<kube::client::Body>,
        >()
        .0,
        "default",
    )
}
