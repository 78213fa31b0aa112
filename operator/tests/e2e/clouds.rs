//! Cloud resources at admission on the real API server: the CRDs of two cloud APIs of the
//! catalogue (Crossplane v2's `s3.aws.m.upbound.io` and ACK's `s3.services.k8s.aws`) installed
//! while govkh runs; its second webhook (the catalogue's groups, by match condition) receives
//! their objects: a top-secret bucket in AWS is refused (Art. 25, 26), a bucket of MEF's
//! declared and approved AWS tenancy is admitted, and an S3 bucket MoEYS declares in no
//! tenancy is admitted with the statutory clock's warning (or refused, once its migration
//! deadline has passed) — each naming `[cloud-resources]`. The operator, started before the CRDs
//! existed, discovers their kinds and watches them: an undeclared bucket left in place shows in
//! MoEYS's status (`undeclaredCloudResources`), and leaves it when its CRD is deleted.

use std::{path::Path, time::Duration};

use super::common::cluster::{install_crds, kubectl, kubectl_with_stderr, wait_until};

const CRDS: &str = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: buckets.s3.aws.m.upbound.io}
spec:
  group: s3.aws.m.upbound.io
  scope: Namespaced
  names: {kind: Bucket, plural: buckets, singular: bucket, listKind: BucketList}
  versions:
    - name: v1beta1
      served: true
      storage: true
      schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: buckets.s3.services.k8s.aws}
spec:
  group: s3.services.k8s.aws
  scope: Namespaced
  names: {kind: Bucket, plural: buckets, singular: bucket, listKind: BucketList}
  versions:
    - name: v1alpha1
      served: true
      storage: true
      schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
";

fn create(
    kubeconfig: &Path,
    dir: &Path,
    name: &str,
    yaml: &str,
) -> Result<(String, String), String> {
    let file = dir.join(format!("cloud-{name}.yaml"));
    std::fs::write(&file, yaml).map_err(|e| e.to_string())?;
    let path = file.to_str().unwrap_or_default();
    let out = kubectl_with_stderr(kubeconfig, &["create", "-f", path]);
    let _ = kubectl(kubeconfig, &["delete", "--ignore-not-found", "-f", path]);
    out
}

/// The step: CRDs in, three buckets judged, one kept and seen by the audit, CRDs out (and the
/// kept bucket with them).
pub async fn cloud_resources_at_admission(kubeconfig: &Path, dir: &Path) -> Result<(), String> {
    let crds = dir.join("cloud-crds.yaml");
    std::fs::write(&crds, CRDS).map_err(|e| e.to_string())?;
    let mut result = install_crds(kubeconfig, &crds).and_then(|()| judged(kubeconfig, dir));
    if result.is_ok() {
        result = observed(kubeconfig, dir).await;
    }
    let removed = kubectl(
        kubeconfig,
        &[
            "delete",
            "--ignore-not-found",
            "--wait=true",
            "-f",
            crds.to_str().unwrap_or_default(),
        ],
    );
    result.and(removed.map(|_| ()))?;
    // Their CRDs gone, the kinds are no longer watched and the bucket leaves the status.
    said(
        dir,
        "cloud kind no longer served",
        "buckets.s3.services.k8s.aws",
    )
    .await?;
    undeclared_becomes(kubeconfig, 0).await
}

/// Poll every half second, at most `secs` seconds, through the suite's `wait_until`.
async fn within<F>(what: &str, secs: u64, mut check: F) -> Result<(), String>
where
    F: FnMut() -> Result<(), String>,
{
    wait_until(
        what,
        Duration::from_secs(secs),
        Duration::from_millis(500),
        || std::future::ready(check()),
    )
    .await
}

/// Wait (up to 60 s) until the operator's log has a line saying `what` of `resource`.
async fn said(dir: &Path, what: &str, resource: &str) -> Result<(), String> {
    let log = dir.join("operator.log");
    within(
        &format!("the operator says {what:?} of {resource}"),
        60,
        || {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            text.lines()
                .any(|l| l.contains(what) && l.contains(resource))
                .then_some(())
                .ok_or_else(|| format!("not in {}", log.display()))
        },
    )
    .await
}

/// Wait (up to 90 s: an audit follows a change within its minimum gap) until MoEYS's status
/// counts `n` undeclared cloud resources.
async fn undeclared_becomes(kubeconfig: &Path, n: u32) -> Result<(), String> {
    within(
        &format!("Ministry moeys counts {n} undeclared cloud resource(s)"),
        90,
        || {
            let last = kubectl(
                kubeconfig,
                &[
                    "get",
                    "ministry",
                    "moeys",
                    "-o",
                    "jsonpath={.status.compliance.undeclaredCloudResources}",
                ],
            )?;
            // Zero is left out of the status (`skip_serializing_if`).
            let counted: u32 = last.trim().parse().unwrap_or(0);
            (counted == n && (n > 0 || last.trim().is_empty()))
                .then_some(())
                .ok_or_else(|| format!("status says {last:?}"))
        },
    )
    .await
}

/// Wait (up to 60 s) until MoEYS's OpenReports report has the kept bucket's `cloud-resources`
/// result: the audit's findings, published as they are for every other object.
async fn reported(kubeconfig: &Path) -> Result<(), String> {
    within(
        "a cloud-resources result for Bucket e2e-kept in moeys-elearning's reports",
        60,
        || {
            let last = kubectl(
                kubeconfig,
                &[
                    "get",
                    "reports.openreports.io",
                    "-n",
                    "moeys-elearning",
                    "-o",
                    "json",
                ],
            )?;
            let list: serde_json::Value = serde_json::from_str(&last).map_err(|e| e.to_string())?;
            list["items"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|r| r["results"].as_array().into_iter().flatten())
                .any(|x| {
                    x["policy"] == "cloud-resources"
                        && x["result"] == "warn"
                        && x["resources"][0]["name"] == "e2e-kept"
                        && x["resources"][0]["kind"] == "Bucket"
                })
                .then_some(())
                // The first 2,000 characters (not bytes: the report's messages are Khmer too).
                .ok_or_else(|| last.chars().take(2000).collect())
        },
    )
    .await
}

/// The CRDs were installed after the operator started: it found their kinds and watches them;
/// an undeclared bucket left in place is counted in its ministry's status by the next audit.
async fn observed(kubeconfig: &Path, dir: &Path) -> Result<(), String> {
    for resource in ["buckets.s3.services.k8s.aws", "buckets.s3.aws.m.upbound.io"] {
        said(dir, "cloud kind served: watching it", resource).await?;
    }
    let file = dir.join("cloud-kept.yaml");
    std::fs::write(
        &file,
        "apiVersion: s3.services.k8s.aws/v1alpha1
kind: Bucket
metadata: {name: e2e-kept, namespace: moeys-elearning}
spec: {name: e2e-kept}
",
    )
    .map_err(|e| e.to_string())?;
    match kubectl_with_stderr(
        kubeconfig,
        &["create", "-f", file.to_str().unwrap_or_default()],
    ) {
        Ok(_) => {
            undeclared_becomes(kubeconfig, 1).await?;
            reported(kubeconfig).await
        }
        // From 1 March 2027 (the examples' migration deadline) an undeclared bucket is refused,
        // not kept: `judged` has checked that refusal already.
        Err(e) if e.contains("[cloud-resources]") && e.contains("declared by no CloudTenancy") => {
            Ok(())
        }
        Err(e) => Err(format!("the kept bucket could not be created: {e}")),
    }
}

fn judged(kubeconfig: &Path, dir: &Path) -> Result<(), String> {
    let mut failures = Vec::new();
    match create(
        kubeconfig,
        dir,
        "top-secret",
        "apiVersion: s3.aws.m.upbound.io/v1beta1
kind: Bucket
metadata: {name: e2e-keys, namespace: mef-open-budget, labels: {digital.gov.kh/data-class: top-secret}}
spec: {forProvider: {region: ap-southeast-1}}
",
    ) {
        Ok(out) => failures.push(format!("a top-secret bucket in AWS was admitted: {out:?}")),
        Err(e) if e.contains("[cloud-resources]") && e.contains("Art. 25, 26") => {}
        Err(e) => failures.push(format!("the top-secret bucket was refused, but not as a cloud resource: {e}")),
    }
    if let Err(e) = create(
        kubeconfig,
        dir,
        "declared",
        "apiVersion: s3.aws.m.upbound.io/v1beta1
kind: Bucket
metadata: {name: e2e-open-archive, namespace: mef-open-budget}
spec: {forProvider: {region: ap-southeast-1}}
",
    ) {
        failures.push(format!(
            "a bucket of MEF's approved AWS tenancy was refused: {e}"
        ));
    }
    let undeclared = create(
        kubeconfig,
        dir,
        "undeclared",
        "apiVersion: s3.services.k8s.aws/v1alpha1
kind: Bucket
metadata: {name: e2e-videos, namespace: moeys-elearning}
spec: {name: e2e-videos}
",
    );
    let said = match &undeclared {
        Ok((_, warnings)) => warnings.clone(),
        Err(e) => e.clone(),
    };
    if !(said.contains("[cloud-resources]") && said.contains("declared by no CloudTenancy")) {
        failures.push(format!(
            "an undeclared S3 bucket was neither warned nor refused as such: {undeclared:?}"
        ));
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}
