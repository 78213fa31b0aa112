//! The benchmarks' generated workloads: Deployments of 3-6 KB in the examples' ministry
//! namespaces, a quarter each unlabelled, confidential, open and top-secret. Shared by the
//! evaluation benchmark (`govkh-core`) and the live index benchmark (`govkh`).
#![allow(dead_code)]

use serde_json::{Value, json};

/// The examples' namespaces the workloads are spread over.
pub const NAMESPACES: [&str; 8] = [
    "mef-tax",
    "mef-portal",
    "moh-records",
    "moh-registry",
    "moeys-elearning",
    "nssf-claims",
    "gdt-api",
    "mptc-registry",
];
/// The data classes they are labelled with, in turn.
const CLASSES: [Option<&str>; 4] = [None, Some("confidential"), Some("open"), Some("top-secret")];

/// A Deployment of 3-6 KB: labels, annotations, two containers with env, resources, mounts.
pub fn workload(i: usize) -> Value {
    let ns = NAMESPACES[i % NAMESPACES.len()];
    let mut labels =
        json!({"app": format!("svc-{i}"), "tier": "backend", "team": format!("team-{}", i % 17)});
    if let Some(c) = CLASSES[i % CLASSES.len()] {
        labels["digital.gov.kh/data-class"] = json!(c);
    }
    let env: Vec<Value> = (0..(20 + i % 40)).map(|k| json!({"name": format!("SETTING_{k}"), "value": format!("value-{i}-{k}-abcdefghij")})).collect();
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": format!("svc-{i}"), "namespace": ns, "labels": labels,
            "annotations": {"deployment.kubernetes.io/revision": "3", "owner": format!("dtu-{}", i % 7), "description": "generated for the govkh benchmark"}},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": format!("svc-{i}")}},
            "template": {"metadata": {"labels": labels},
                "spec": {"containers": [
                    {"name": "app", "image": format!("registry.mptc.gov.kh/app/svc-{i}:1.{}", i % 9), "env": env,
                     "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
                     "ports": [{"containerPort": 8080}], "volumeMounts": [{"name": "data", "mountPath": "/data"}]},
                    {"name": "sidecar", "image": "registry.mptc.gov.kh/proxy:2.1", "args": ["--listen=:15001", "--upstream=127.0.0.1:8080"]}],
                 "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": format!("data-{i}")}}]}}}
    })
}
