//! Cloud resources at admission on the real API server: the CRDs of two cloud APIs of the
//! catalogue (Crossplane v2's `s3.aws.m.upbound.io` and ACK's `s3.services.k8s.aws`) installed
//! while govkh runs; its second webhook (the catalogue's groups, by match condition) receives
//! their objects: a top-secret bucket in AWS is refused (Art. 25, 26), a bucket of MEF's
//! declared and approved AWS tenancy is admitted, and an S3 bucket MoEYS declares in no
//! tenancy is admitted with the statutory clock's warning (or refused, once its migration
//! deadline has passed) — each naming `[cloud-resources]`.

use std::path::Path;

use super::common::cluster::{install_crds, kubectl, kubectl_with_stderr};

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

/// The step: CRDs in, three buckets judged, CRDs out.
pub fn cloud_resources_at_admission(kubeconfig: &Path, dir: &Path) -> Result<(), String> {
    let crds = dir.join("cloud-crds.yaml");
    std::fs::write(&crds, CRDS).map_err(|e| e.to_string())?;
    let result = install_crds(kubeconfig, &crds).and_then(|()| judged(kubeconfig, dir));
    let removed = kubectl(
        kubeconfig,
        &[
            "delete",
            "--ignore-not-found",
            "-f",
            crds.to_str().unwrap_or_default(),
        ],
    );
    result.and(removed.map(|_| ()))
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
