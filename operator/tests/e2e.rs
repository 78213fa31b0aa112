//! The real-cluster suite. It runs only when `GOVKH_E2E_KUBECONFIG` names a kubeconfig of a
//! disposable cluster (it creates and deletes cluster-scoped objects); otherwise it says so and
//! runs nothing. `tests/all.sh` and CI run it on the project's own control plane:
//!
//! ```sh
//! controlplane/with.sh cargo test --test e2e
//! ```
//!
//! It applies `crds/` and the examples (without `workloads/`, whose VolumeSnapshot needs a CRD
//! a bare cluster lacks), starts `govkh run` against the cluster, waits (bounded) until every
//! tenancy, link, grant and approval shows the state the evaluation core computes for today,
//! checks every namespace, ResourceQuota, LimitRange, NetworkPolicy and RoleBinding the
//! builders say should exist, that ministries get their compliance summary (and a daily record
//! in a ConfigMap of `default`, `--history-namespace`) and the government cloud its counts, then deletes the examples — checking that a `Retain` tenancy's namespaces
//! stay, labelled orphaned — and cleans up everything it created.
//!
//! Admission too: the operator serves its webhook on loopback with a certificate made for the
//! run and registers it by URL (`--webhook-url`, failurePolicy Fail), over mutual TLS: it serves
//! only the certificate the API server presents to webhooks (`--webhook-client-ca-file`; the
//! control plane's AdmissionConfiguration), not a client without one nor the cluster admin. One `kubectl apply` of a
//! top-secret volume and a second claim cloning it must be refused — the clone judged with the
//! volume created a moment before (the index, or a read through to the API server), leaving a
//! `PolicyViolation` Event on the namespace. A Ministry declaring another's social-media
//! account is refused by the webhook (Art. 22), and a GovernmentCloud moving Art. 10's windows
//! by the API server's CEL rule. Then the compliance reports: with the webhook
//! unregistered, the breaching example workloads are applied, and the OpenReports reports
//! (CRDs from `govkh crds --openreports`) must show a `fail` result with its article for each
//! object the core denies. And what
//! is given is taken back: emptying MoEYS's DTU groups removes their `admin` RoleBinding. The
//! operator's log of a healthy start, once every object has arrived, holds no WARN or ERROR; every
//! CRD (ours and the OpenReports ones) is applied without a warning from the API server; a link
//! to a namespace nobody has made yet waits for it (`Ready` False, `NamespaceMissing`) and applies
//! its policy once the namespace exists.
//!
//! And with the webhook down — the operator stopped, a registration left with `failurePolicy:
//! Ignore` — the ValidatingAdmissionPolicies `govkh vap` prints still refuse a top-secret
//! Deployment and volume on external clouds, an Ingress on another ministry's domain, an
//! Approval written by a DTU member and a workload in a namespace made by hand, each naming its
//! article, and admit the lawful ones (`e2e/vap.rs`).
//!
//! Cloud resources too (`e2e/clouds.rs`): with the CRDs of two cloud APIs installed while the
//! operator runs, a top-secret S3 bucket is refused by its webhook, a declared one admitted, an
//! undeclared one warned with the statutory clock.
//!
//! A custom harness (no libtest): without a cluster it prints one line and no "test result",
//! so it is never counted as passed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "e2e/clouds.rs"]
mod clouds;
mod common;
#[path = "e2e/vap.rs"]
mod vap;

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use govkh_core::law::verdict;
use govkh_core::{
    api::{
        Approval, CloudTenancy, DataAccessGrant, Day, GovernmentCloud, LinkState, Ministry,
        PrivateNetworkLink,
    },
    evaluate::evaluate_loaded,
    inventory::Inventory,
    law::clock,
    loading::manifest::Loader,
    policy::Library,
    provision::desired,
};
use k8s_openapi::{
    api::{
        core::v1::{LimitRange, Namespace, ResourceQuota},
        networking::v1::NetworkPolicy,
        rbac::v1::RoleBinding,
    },
    jiff::Timestamp,
};
use kube::{Api, Client, ResourceExt};

const TIMEOUT: Duration = Duration::from_secs(180);
use common::{
    cluster::{FILES, Operator, client, get, install_crds, install_examples, kubectl, wait_until},
    root,
};

/// Poll `check` every 2 s until it returns Ok, at most `TIMEOUT`.
async fn wait_for<F, Fut>(what: &str, check: F) -> Result<(), String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    wait_until(what, TIMEOUT, Duration::from_secs(2), check).await
}

/// Wait until the cluster-scoped `K` named `name` shows `want` as `state_of` reads it.
async fn wait_for_state<K, S>(
    client: &Client,
    name: &str,
    want: S,
    state_of: impl Fn(K) -> Option<S>,
) -> Result<(), String>
where
    K: kube::Resource<DynamicType = (), Scope = k8s_openapi::ClusterResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
    S: PartialEq + std::fmt::Debug + Copy,
{
    let api: Api<K> = Api::all(client.clone());
    let what = format!("{} {name} is {want:?}", K::kind(&()));
    wait_for(&what, || async {
        let got = api.get(name).await.map_err(|e| e.to_string())?;
        let state = state_of(got);
        (state == Some(want))
            .then_some(())
            .ok_or(format!("state {state:?}"))
    })
    .await
}

/// The name the operator registers its webhook under (`govkh-<identity>`).
const WEBHOOK_CONFIGURATION: &str = "govkh-e2e";

/// A top-secret volume and a claim cloning it, in one apply: the clone must be refused.
fn admission(kubeconfig: &Path, dir: &Path) -> Result<(), String> {
    let file = dir.join("clone.yaml");
    std::fs::write(
        &file,
        "apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: e2e-registry-keys
  namespace: mptc-registry
  labels: {digital.gov.kh/data-class: top-secret}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: e2e-registry-keys-copy
  namespace: mptc-registry
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
  dataSource: {kind: PersistentVolumeClaim, name: e2e-registry-keys}
",
    )
    .map_err(|e| e.to_string())?;
    let applied = kubectl(kubeconfig, &["apply", "-f", file.to_str().unwrap()]);
    let copy = kubectl(
        kubeconfig,
        &[
            "get",
            "pvc",
            "-n",
            "mptc-registry",
            "e2e-registry-keys-copy",
        ],
    );
    let _ = kubectl(
        kubeconfig,
        &[
            "delete",
            "--ignore-not-found",
            "--wait=false",
            "-f",
            file.to_str().unwrap(),
        ],
    );
    match applied {
        Ok(out) => Err(format!(
            "the clone of a top-secret volume was admitted: {out}"
        )),
        Err(e) if !e.contains("[no-reproduction]") => {
            Err(format!("refused, but not as a reproduction: {e}"))
        }
        Err(_) if copy.is_ok() => Err("refused, yet the clone exists".into()),
        // The refusal leaves its Event on the namespace (published off the answer's path).
        Err(_) => {
            let start = Instant::now();
            loop {
                let events = kubectl(
                    kubeconfig,
                    &[
                        "get",
                        "events.events.k8s.io",
                        "-n",
                        "mptc-registry",
                        "--field-selector",
                        "reason=PolicyViolation",
                        "-o",
                        "jsonpath={.items[*].note}",
                    ],
                )?;
                if events.contains("[no-reproduction] Art. 26") {
                    return Ok(());
                }
                if start.elapsed() > Duration::from_secs(30) {
                    return Err(format!(
                        "no PolicyViolation Event for the refusal: {events:?}"
                    ));
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    }
}

/// The law's own rules on a real API server: MLVT declaring MPTC's Telegram channel is refused
/// by the webhook (`social-media-accounts`, Art. 22) and never stored; a GovernmentCloud that
/// moves Art. 10's windows is refused by the API server itself (the CRD's CEL rule).
fn the_laws_numbers_and_accounts(kubeconfig: &Path, dir: &Path) -> Result<(), String> {
    let accounts = root().join("examples/workloads/mlvt-accounts.yaml");
    match kubectl(kubeconfig, &["apply", "-f", accounts.to_str().unwrap()]) {
        Ok(out) => {
            let _ = kubectl(
                kubeconfig,
                &["delete", "ministry", "mlvt", "--ignore-not-found"],
            );
            return Err(format!(
                "MPTC's channel declared again by MLVT was admitted: {out}"
            ));
        }
        Err(e) if !(e.contains("[social-media-accounts]") && e.contains("mptcofficial")) => {
            return Err(format!(
                "MLVT's accounts refused, but not as MPTC's channel: {e}"
            ));
        }
        Err(_) => {}
    }
    if kubectl(kubeconfig, &["get", "ministry", "mlvt"]).is_ok() {
        return Err("MLVT's Ministry was refused, yet it exists".into());
    }
    let file = dir.join("amended-windows.yaml");
    std::fs::write(
        &file,
        "apiVersion: digital.gov.kh/v1alpha1
kind: GovernmentCloud
metadata: {name: national}
spec:
  establishedOn: \"2026-03-01\"
  operator: mptc
  privateNetwork: {cidrs: [\"10.80.0.0/12\"]}
  approvedLeasedProviders: [camcloud]
  windows: {applicationDays: 3650, migrationMonths: 120}
",
    )
    .map_err(|e| e.to_string())?;
    match kubectl(kubeconfig, &["apply", "-f", file.to_str().unwrap()]) {
        Ok(out) => Err(format!(
            "Art. 10's windows moved to ten years were admitted: {out}"
        )),
        Err(e) if !e.contains("the windows of Art. 10 are the law's") => Err(format!(
            "the amended windows refused, but not by the law's rule: {e}"
        )),
        Err(_) => Ok(()),
    }
}

/// Art. 26 on the real API server: a top-secret Secret offered to Reflector is reported as a
/// reproduction (a fail result in its namespace's report: Secrets never reach the webhook); MOH's confidential records are exposed by a LoadBalancer only once a grant to
/// the public (written with the committee's authority) is in force — and such a grant with a
/// network path is refused by the CRD's own rule.
async fn copies_and_public_exposure(kubeconfig: &Path, dir: &Path) -> Result<(), String> {
    let write = |name: &str, text: &str| -> Result<String, String> {
        let file = dir.join(name);
        std::fs::write(&file, text).map_err(|e| e.to_string())?;
        Ok(file.to_string_lossy().into_owned())
    };
    let reflected = write(
        "reflected-secret.yaml",
        "apiVersion: v1
kind: Secret
metadata:
  name: e2e-registry-credentials
  namespace: moh-registry
  annotations: {reflector.v1.k8s.emberstack.com/reflection-allowed: \"true\"}
stringData: {password: not-really}
",
    )?;
    // Secrets never reach the webhook (their contents stay in the API server): the copy is an
    // audit finding, reported where the Secret lives.
    kubectl(kubeconfig, &["create", "-f", &reflected])?;
    let reported = wait_until(
        "the Secret's no-reproduction result in moh-registry's report",
        Duration::from_secs(90),
        Duration::from_secs(1),
        || async {
            let out = kubectl(
                kubeconfig,
                &[
                    "get",
                    "reports.openreports.io",
                    "-n",
                    "moh-registry",
                    "-o",
                    "json",
                ],
            )?;
            let list: serde_json::Value = serde_json::from_str(&out).map_err(|e| e.to_string())?;
            let found = list["items"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|r| r["results"].as_array().into_iter().flatten())
                .any(|x| {
                    x["policy"] == "no-reproduction"
                        && x["result"] == "fail"
                        && x["resources"][0]["name"] == "e2e-registry-credentials"
                });
            found
                .then_some(())
                .ok_or_else(|| "not reported yet".to_string())
        },
    )
    .await;
    let _ = kubectl(
        kubeconfig,
        &["delete", "-f", &reflected, "--ignore-not-found"],
    );
    reported.map_err(|e| {
        format!("a top-secret Secret offered to Reflector, not reported as a reproduction: {e}")
    })?;
    let service = write(
        "public-beds.yaml",
        "apiVersion: v1
kind: Service
metadata: {name: e2e-public-beds, namespace: moh-records}
spec: {type: LoadBalancer, selector: {app: beds}, ports: [{port: 443}]}
",
    )?;
    match kubectl(kubeconfig, &["create", "-f", &service]) {
        Err(e) if e.contains("[no-dissemination]") => {}
        other => {
            let _ = kubectl(
                kubeconfig,
                &["delete", "-f", &service, "--ignore-not-found"],
            );
            return Err(format!(
                "a public Service over confidential records without a grant: {other:?}"
            ));
        }
    }
    let grant = |name: &str, access: &str| {
        format!(
            "apiVersion: digital.gov.kh/v1alpha1
kind: DataAccessGrant
metadata: {{name: {name}}}
spec:
  owner: moh
  grantee: {{public: true}}
  dataClass: confidential
  namespaces: [moh-records]
  dataTypes: [\"hospital bed availability\"]
  reason: the public dashboard of bed availability
  authorizedBy: committee
  document: DGC/2026/777
  validFrom: \"2026-01-01\"
  validUntil: \"2030-12-31\"
{access}"
        )
    };
    let committee = [
        "--as=e2e-committee",
        "--as-group=system:masters",
        "--as-group=digital-government-committee",
    ];
    let with_path = write(
        "public-grant-with-path.yaml",
        &grant("e2e-public-with-path", "  access: {ports: [{port: 443}]}\n"),
    )?;
    let mut args = vec!["apply", "-f", with_path.as_str()];
    args.extend(committee);
    match kubectl(kubeconfig, &args) {
        Err(e) if e.contains("a grant to the public opens no network path") => {}
        other => {
            return Err(format!(
                "a grant to the public with a network path: {other:?}"
            ));
        }
    }
    let public = write("public-grant.yaml", &grant("e2e-beds-to-the-public", ""))?;
    let mut args = vec!["apply", "-f", public.as_str()];
    args.extend(committee);
    kubectl(kubeconfig, &args)?;
    // The webhook sees the grant through its watch: moments, not a fixed wait.
    let admitted = wait_until(
        "the public Service admitted under the grant to the public",
        Duration::from_secs(30),
        Duration::from_secs(1),
        || async { kubectl(kubeconfig, &["create", "-f", &service]).map(|_| ()) },
    )
    .await;
    let _ = kubectl(
        kubeconfig,
        &["delete", "-f", &service, "--ignore-not-found"],
    );
    let mut args = vec!["delete", "-f", public.as_str(), "--ignore-not-found"];
    args.extend(committee);
    let _ = kubectl(kubeconfig, &args);
    admitted
}

/// Art. 10's deadlines reach the ministry: an approval the committee gives NSSF's private
/// cloud until five days from today makes its end the tenancy's nearest deadline — a
/// `govkh_tenancy_deadline_days` series of 5 naming the approval, and a `Warning`
/// `DeadlineApproaching` Event (the week's notice, English then Khmer) on the Ministry. The
/// approval is deleted afterwards and the series goes back to the migration deadline.
async fn deadline_notices(kubeconfig: &Path, dir: &Path) -> Result<(), String> {
    let today = Day::in_phnom_penh(Timestamp::now());
    let mut until = today;
    for _ in 0..5 {
        until = until.next();
    }
    let file = dir.join("nssf-short-approval.yaml");
    std::fs::write(
        &file,
        format!(
            "apiVersion: digital.gov.kh/v1alpha1
kind: Approval
metadata: {{name: e2e-nssf-short}}
spec:
  subject: {{kind: CloudTenancy, name: nssf-claims}}
  article: \"10\"
  request: {{requestedOn: \"2026-04-20\", requestedBy: dtu@nssf.gov.kh, document: NSSF/DTU/2026/9}}
  decision: {{verdict: Approved, decidedOn: \"2026-05-01\", document: DGC/2026/909, reviewer: Digital Government Committee}}
  validUntil: \"{until}\"
"
        ),
    )
    .map_err(|e| e.to_string())?;
    let path = file.to_string_lossy().into_owned();
    let committee = [
        "--as=e2e-committee",
        "--as-group=system:masters",
        "--as-group=digital-government-committee",
    ];
    let mut args = vec!["apply", "-f", path.as_str()];
    args.extend(committee);
    kubectl(kubeconfig, &args)?;
    let series = "govkh_tenancy_deadline_days{ministry=\"nssf\",tenancy=\"nssf-claims\",deadline=\"approval-expiry\",approval=\"e2e-nssf-short\"} 5";
    let metric = wait_for(
        "the approval's end as nssf-claims' deadline metric",
        || async {
            let text = get("127.0.0.1:18080", "/metrics").await?;
            text.contains(series)
                .then_some(())
                .ok_or_else(|| format!("no {series}"))
        },
    )
    .await;
    let event = wait_for("a DeadlineApproaching Event on Ministry nssf", || async {
        let out = kubectl(
            kubeconfig,
            &[
                "get",
                "events.events.k8s.io",
                "-A",
                "--field-selector",
                "reason=DeadlineApproaching,regarding.name=nssf",
                "-o",
                "json",
            ],
        )?;
        let list: serde_json::Value = serde_json::from_str(&out).map_err(|e| e.to_string())?;
        let found = list["items"].as_array().into_iter().flatten().any(|e| {
            let note = e["note"].as_str().unwrap_or_default();
            e["type"] == "Warning"
                && e["regarding"]["kind"] == "Ministry"
                && note.contains("e2e-nssf-short")
                && note.contains(&format!("5 days are left (until {until})"))
                && note.contains("នៅសល់ 5 ថ្ងៃទៀត")
        });
        found.then_some(()).ok_or_else(|| format!("not yet: {out}"))
    })
    .await;
    let mut args = vec!["delete", "-f", path.as_str(), "--ignore-not-found"];
    args.extend(committee);
    let deleted = kubectl(kubeconfig, &args).map(|_| ());
    let back = wait_for("nssf-claims' deadline back to the migration", || async {
        let text = get("127.0.0.1:18080", "/metrics").await?;
        (!text.contains("approval=\"e2e-nssf-short\"")
            && text.contains("tenancy=\"nssf-claims\",deadline=\"migration\""))
        .then_some(())
        .ok_or_else(|| "the approval's series is still there".to_string())
    })
    .await;
    metric.and(event).and(deleted).and(back)
}

/// A refused `kubectl create --dry-run=server` (a LoadBalancer Service in a confidential
/// namespace) leaves no trace: refused as the real request would be, but no `PolicyViolation`
/// Event (the webhook declares `sideEffects: None`).
fn dry_run_leaves_no_trace(kubeconfig: &Path, dir: &Path) -> Result<(), String> {
    let file = dir.join("dry-run.yaml");
    std::fs::write(
        &file,
        "apiVersion: v1
kind: Service
metadata: {name: e2e-dry-run-public, namespace: mef-tax}
spec: {type: LoadBalancer, selector: {app: tax}, ports: [{port: 443}]}
",
    )
    .map_err(|e| e.to_string())?;
    let refused = kubectl(
        kubeconfig,
        &["create", "--dry-run=server", "-f", file.to_str().unwrap()],
    );
    match refused {
        Err(e) if e.contains("[no-dissemination]") => {}
        other => {
            return Err(format!(
                "a dry run of a public Service in mef-tax: {other:?}"
            ));
        }
    }
    // An Event is published off the answer's path: give one time to appear.
    std::thread::sleep(Duration::from_secs(3));
    let events = kubectl(
        kubeconfig,
        &[
            "get",
            "events.events.k8s.io",
            "-n",
            "mef-tax",
            "--field-selector",
            "reason=PolicyViolation",
            "-o",
            "jsonpath={.items[*].note}",
        ],
    )?;
    if events.contains("e2e-dry-run-public") {
        return Err(format!("a refused dry run left an Event: {events}"));
    }
    Ok(())
}

/// MoEYS's DTU groups emptied: the `admin` binding in its tenancy's namespace is taken back.
async fn revocation(kubeconfig: &Path, client: &Client) -> Result<(), String> {
    kubectl(
        kubeconfig,
        &[
            "patch",
            "ministry",
            "moeys",
            "--type",
            "merge",
            "-p",
            r#"{"spec":{"digitalTransformationUnit":{"groups":[]}}}"#,
        ],
    )?;
    let bindings: Api<RoleBinding> = Api::namespaced(client.clone(), "moeys-elearning");
    wait_for(
        "RoleBinding moeys-elearning/govkh-dtu-admin revoked",
        || async {
            match bindings.get_opt(desired::names::DTU_ADMIN).await {
                Ok(None) => Ok(()),
                Ok(Some(_)) => Err("still there".to_string()),
                Err(e) => Err(e.to_string()),
            }
        },
    )
    .await
}

/// A link to a namespace nobody has made yet waits for it: `Ready` False with reason
/// `NamespaceMissing` naming it, and no failure; once a tenancy of its ministry declares it and
/// the operator has made it, the link applies its policy there and is Ready. (Within one
/// ministry: no agreement of a receiving ministry to wait for.)
async fn waits_for_its_namespace(kubeconfig: &Path, client: &Client) -> Result<(), String> {
    const LINK: &str = "e2e-waits-for-namespace";
    const LATER: &str = "gdt-e2e-later";
    const TENANCY: &str = "e2e-gdt-later";
    let file = std::env::temp_dir().join(format!("govkh-e2e-link-{}.yaml", std::process::id()));
    let tenancy = std::env::temp_dir().join(format!("govkh-e2e-later-{}.yaml", std::process::id()));
    std::fs::write(
        &file,
        format!(
            "apiVersion: digital.gov.kh/v1alpha1
kind: PrivateNetworkLink
metadata: {{name: {LINK}}}
spec:
  from: {{ministry: gdt, namespaces: [gdt-api]}}
  to: {{ministry: gdt, namespaces: [{LATER}]}}
  ports: [{{protocol: TCP, port: 8443}}]
  network: government-private
  purpose: the e2e suite's link to a namespace made after it
"
        ),
    )
    .map_err(|e| e.to_string())?;
    std::fs::write(
        &tenancy,
        format!(
            "apiVersion: digital.gov.kh/v1alpha1
kind: CloudTenancy
metadata: {{name: {TENANCY}}}
spec:
  ministry: gdt
  placement: government-private
  deletionPolicy: Delete
  namespaces: [{{name: {LATER}, dataClass: confidential}}]
"
        ),
    )
    .map_err(|e| e.to_string())?;
    let file = file.to_str().unwrap().to_string();
    let tenancy = tenancy.to_str().unwrap().to_string();
    kubectl(kubeconfig, &["apply", "-f", &file])?;
    let api: Api<PrivateNetworkLink> = Api::all(client.clone());
    let ready = |want: &'static str, reason: &'static str| {
        let api = api.clone();
        move || {
            let api = api.clone();
            async move {
                let got = api.get(LINK).await.map_err(|e| e.to_string())?;
                let c = got
                    .status
                    .iter()
                    .flat_map(|s| s.conditions.iter())
                    .find(|c| c.type_ == "Ready")
                    .cloned()
                    .ok_or("no Ready condition")?;
                (c.status == want
                    && c.reason == reason
                    && (want == "True" || c.message.contains(LATER)))
                .then_some(())
                .ok_or(format!("Ready {} {}: {}", c.status, c.reason, c.message))
            }
        }
    };
    let result = async {
        wait_for(
            "the link waits for its namespace (Ready False, NamespaceMissing)",
            ready("False", "NamespaceMissing"),
        )
        .await?;
        kubectl(kubeconfig, &["apply", "-f", &tenancy])?;
        wait_for(
            "the link is Ready once its ministry's tenancy has made the namespace",
            ready("True", "Reconciled"),
        )
        .await?;
        Api::<NetworkPolicy>::namespaced(client.clone(), LATER)
            .get(&format!("govkh-link-{LINK}"))
            .await
            .map(|_| ())
            .map_err(|e| format!("{LATER}/govkh-link-{LINK}: {e}"))
    }
    .await;
    let _ = kubectl(kubeconfig, &["delete", "--ignore-not-found", "-f", &file]);
    let _ = kubectl(
        kubeconfig,
        &[
            "delete",
            "--ignore-not-found",
            "--wait=true",
            "--timeout=60s",
            "-f",
            &tenancy,
        ],
    );
    let _ = std::fs::remove_file(&file);
    let _ = std::fs::remove_file(&tenancy);
    result
}

/// Each namespace a tenancy provisions has the RoleBinding giving the service account of
/// `--secrets-reader` the reading of its Secrets (the chart's reader role): the API server says
/// it may read them there, and still not in kube-system.
async fn reader_bound_in_each_tenancys_namespace(kubeconfig: &Path) -> Result<(), String> {
    let (sa_namespace, sa_name) = SECRETS_READER.split_once('/').unwrap_or_default();
    let user = format!("--as=system:serviceaccount:{sa_namespace}:{sa_name}");
    let can = |verb: &str, ns: &str| {
        kubectl(
            kubeconfig,
            &["auth", "can-i", verb, "secrets", "-n", ns, &user],
        )
        .is_ok_and(|out| out.trim() == "yes")
    };
    wait_until(
        "a Secrets reader RoleBinding in each tenancy's namespace",
        Duration::from_secs(60),
        Duration::from_secs(1),
        || async {
            let tenancies = kubectl(
                kubeconfig,
                &["get", "namespaces", "-l", "digital.gov.kh/tenancy", "-o", "name"],
            )?;
            let namespaces: Vec<&str> = tenancies
                .lines()
                .filter_map(|l| l.strip_prefix("namespace/"))
                .collect();
            if namespaces.is_empty() {
                return Err("no namespace provisioned by a tenancy".to_string());
            }
            for ns in namespaces {
                let bound = kubectl(
                    kubeconfig,
                    &["get", "rolebinding", "govkh-secrets-reader", "-n", ns, "-o",
                      "jsonpath={.roleRef.kind}/{.roleRef.name} {.subjects[0].kind} {.subjects[0].namespace}/{.subjects[0].name}"],
                )?;
                let expected = format!("ClusterRole/{SECRETS_READER_ROLE} ServiceAccount {SECRETS_READER}");
                if bound != expected {
                    return Err(format!("{ns}: {bound:?}, not {expected:?}"));
                }
                if !(can("list", ns) && can("watch", ns)) {
                    return Err(format!("{ns}: the service account may not read its Secrets"));
                }
            }
            Ok(())
        },
    )
    .await?;
    if can("get", "kube-system") || can("list", "default") {
        return Err(
            "the Secrets reader reads Secrets outside the tenancies' namespaces".to_string(),
        );
    }
    Ok(())
}

/// Secrets are read (as metadata) only in ministries' namespaces, each listed there and never
/// cluster-wide: counted from the API server's audit log (every LIST, with the user agent that
/// names govkh) of the project's control plane, from `since` (an earlier suite's operator on the
/// same control plane read namespaces that are gone).
async fn secrets_where_the_law_needs_them(
    kubeconfig: &Path,
    since: Timestamp,
) -> Result<(), String> {
    reader_bound_in_each_tenancys_namespace(kubeconfig).await?;
    let audit_log = common::cluster::state_dir().join("logs/audit.log");
    if !audit_log.exists() {
        println!(
            "  Secrets read: not checked ({} absent: not the project's control plane)",
            audit_log.display()
        );
        return Ok(());
    }
    wait_until(
        "govkh lists Secrets in every ministry's namespace and nowhere else",
        Duration::from_secs(60),
        Duration::from_secs(1),
        || async {
            let ministries: std::collections::BTreeSet<String> = kubectl(
                kubeconfig,
                &[
                    "get",
                    "namespaces",
                    "-l",
                    "digital.gov.kh/ministry",
                    "-o",
                    "name",
                ],
            )?
            .lines()
            .filter_map(|l| l.strip_prefix("namespace/"))
            .map(str::to_string)
            .collect();
            let existing = kubectl(kubeconfig, &["get", "namespaces", "-o", "name"])?;
            let exists = |ns: &str| existing.lines().any(|l| l == format!("namespace/{ns}"));
            let text = std::fs::read_to_string(&audit_log).map_err(|e| e.to_string())?;
            let mut read = std::collections::BTreeSet::new();
            for e in text
                .lines()
                .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
                .filter(|e| {
                    e["userAgent"]
                        .as_str()
                        .is_some_and(|a| a.starts_with("govkh/"))
                        && e["objectRef"]["resource"] == "secrets"
                        && e["verb"] == "list"
                        && e["requestReceivedTimestamp"]
                            .as_str()
                            .and_then(|t| t.parse::<Timestamp>().ok())
                            .is_some_and(|t| t >= since)
                })
            {
                match e["objectRef"]["namespace"].as_str() {
                    Some(ns) if ministries.contains(ns) => {
                        read.insert(ns.to_string());
                    }
                    // A tenancy's namespace not made yet is a ministry's, and holds nothing.
                    Some(ns) if !exists(ns) => {}
                    Some(ns) => return Err(format!("Secrets listed in {ns}, not a ministry's")),
                    None => return Err("Secrets listed in every namespace".to_string()),
                }
            }
            if ministries.is_empty() || read != ministries {
                return Err(format!(
                    "read in {read:?}, ministries' namespaces {ministries:?}"
                ));
            }
            Ok(())
        },
    )
    .await
}

/// The optional kinds follow their CRDs: the cluster serves neither VolumeSnapshots nor
/// HTTPRoutes, and the operator says so once at start (instead of listing them every second);
/// a VolumeSnapshot CRD installed while it runs is watched from then on, and when it is deleted
/// the watch stops — all without a WARN.
async fn optional_kinds(kubeconfig: &Path, log: &Path) -> Result<(), String> {
    let lines = |needle: &'static str| {
        let log = log.to_path_buf();
        move || {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            text.lines()
                .filter(|l| l.contains(needle))
                .map(str::to_string)
                .collect::<Vec<_>>()
        }
    };
    let absent = lines("optional kinds this cluster does not serve")();
    if absent.len() != 1
        || !absent[0].contains("VolumeSnapshot")
        || !absent[0].contains("HTTPRoute")
    {
        return Err(format!(
            "expected one line naming the absent optional kinds, got {absent:?}"
        ));
    }
    let file = std::env::temp_dir().join(format!(
        "govkh-e2e-snapshot-crd-{}.yaml",
        std::process::id()
    ));
    std::fs::write(
        &file,
        "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: volumesnapshots.snapshot.storage.k8s.io
  # A *.k8s.io group needs it; the value is the one upstream's CRD carries.
  annotations: {api-approved.kubernetes.io: \"https://github.com/kubernetes-csi/external-snapshotter/pull/814\"}
spec:
  group: snapshot.storage.k8s.io
  names: {kind: VolumeSnapshot, listKind: VolumeSnapshotList, plural: volumesnapshots, singular: volumesnapshot}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
",
    )
    .map_err(|e| e.to_string())?;
    let file = file.to_str().unwrap().to_string();
    let result = async {
        install_crds(kubeconfig, Path::new(&file))?;
        log_says(
            log,
            "the operator watches VolumeSnapshots once their CRD exists",
            "the cluster now serves this kind",
        )
        .await?;
        kubectl(
            kubeconfig,
            &["delete", "-f", &file, "--wait=true", "--timeout=60s"],
        )?;
        log_says(
            log,
            "the operator stops watching VolumeSnapshots with their CRD",
            "the cluster no longer serves this kind",
        )
        .await?;
        quiet_start(log)
    }
    .await;
    let _ = kubectl(kubeconfig, &["delete", "--ignore-not-found", "-f", &file]);
    let _ = std::fs::remove_file(&file);
    result
}

/// Wait until the operator's log has a line with `needle` about VolumeSnapshots.
async fn log_says(log: &Path, what: &str, needle: &str) -> Result<(), String> {
    wait_for(what, || async {
        std::fs::read_to_string(log)
            .unwrap_or_default()
            .lines()
            .any(|l| l.contains(needle) && l.contains("VolumeSnapshot"))
            .then_some(())
            .ok_or("not yet".to_string())
    })
    .await
}

/// The operator's log (JSON lines) up to now holds no WARN or ERROR line.
fn quiet_start(log: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let loud: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("\"level\":\"WARN\"") || l.contains("\"level\":\"ERROR\""))
        .collect();
    if loud.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the operator logged {} WARN/ERROR line(s) on a healthy start:\n{}",
            loud.len(),
            loud.join("\n")
        ))
    }
}

/// Wait until the operator's /readyz answers 200 (its index has listed every kind).
async fn wait_ready() -> Result<(), String> {
    wait_for("govkh /readyz", || async {
        let out = get("127.0.0.1:18080", "/readyz").await?;
        out.starts_with("HTTP/1.1 200")
            .then_some(())
            .ok_or(out.lines().next().unwrap_or_default().to_string())
    })
    .await
}

fn examples_inventory(now: Timestamp) -> (Inventory, govkh_core::evaluate::Evaluation) {
    let paths: Vec<PathBuf> = FILES
        .iter()
        .map(|f| root().join("examples").join(f))
        .collect();
    let mut loaded = Loader::new().load_paths(&paths, &mut std::io::empty());
    // The receiving ministries have agreed to the examples' links (`accept_links`).
    for o in &mut loaded.objects {
        if let govkh_core::loading::manifest::Object::PrivateNetworkLink(l) = &mut o.object {
            l.metadata.annotations.get_or_insert_default().insert(
                govkh_core::api::ANNOTATION_ACCEPTED_GENERATION.to_string(),
                "1".to_string(),
            );
        }
    }
    let lib = Library::builtin().unwrap();
    let (inv, eval, problems) = evaluate_loaded(loaded, &lib, now);
    assert_eq!(problems, 0);
    (inv, eval)
}

/// The receiving ministries agree to the examples' links as they were applied (generation 1):
/// what each ministry's DTU does (`kubectl annotate`); here, before the operator runs and
/// judges who writes, by the suite's admin.
fn accept_links(kubeconfig: &Path) -> Result<(), String> {
    kubectl(
        kubeconfig,
        &[
            "annotate",
            "privatenetworklinks",
            "--all",
            &format!("{}=1", govkh_core::api::ANNOTATION_ACCEPTED_GENERATION),
        ],
    )
    .map(|_| ())
}

async fn run(kubeconfig: PathBuf) -> Result<(), String> {
    let client = client(&kubeconfig).await?;
    let crds = root().join("crds");
    install_examples(&kubeconfig, &crds, &root().join("examples"))?;
    accept_links(&kubeconfig)?;
    let dir = std::env::temp_dir().join(format!("govkh-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    // The OpenReports CRDs, as the chart installs them with openreports.installCRDs=true.
    let report_crds = dir.join("openreports-crds.yaml");
    let generated = Command::new(env!("CARGO_BIN_EXE_govkh"))
        .args(["crds", "--openreports"])
        .output()
        .map_err(|e| format!("cannot run govkh crds --openreports: {e}"))?;
    std::fs::write(&report_crds, &generated.stdout).map_err(|e| e.to_string())?;
    install_crds(&kubeconfig, &report_crds)?;
    // The Secrets reader role, from the chart's generated rules.
    let reader_role = dir.join("secrets-reader.yaml");
    let rules =
        std::fs::read_to_string(root().join("charts/govkh/files/secrets-reader-rules.yaml"))
            .map_err(|e| e.to_string())?;
    std::fs::write(
        &reader_role,
        format!("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: {SECRETS_READER_ROLE}\nrules:\n{rules}"),
    )
    .map_err(|e| e.to_string())?;
    kubectl(
        &kubeconfig,
        &["apply", "-f", reader_role.to_str().unwrap_or_default()],
    )?;
    let (cert, key) = common::cluster::loopback_certificate(&dir).unwrap();
    let started = Timestamp::now();
    let operator = start_operator(&kubeconfig, &dir, &cert, &key, "operator.log")?;
    let result = checks(&client).await;
    let secrets = secrets_where_the_law_needs_them(&kubeconfig, started).await;
    // Once every object has arrived and been judged, a healthy start has said nothing alarming.
    let quiet = quiet_start(&dir.join("operator.log"));
    let admitted = match wait_ready().await {
        Ok(()) => {
            // Every step runs, whichever fails first: the first error is the one reported.
            let refusals = admission(&kubeconfig, &dir)
                .and(dry_run_leaves_no_trace(&kubeconfig, &dir))
                .and(the_laws_numbers_and_accounts(&kubeconfig, &dir));
            let copies = copies_and_public_exposure(&kubeconfig, &dir).await;
            let notices = deadline_notices(&kubeconfig, &dir).await;
            refusals
                .and(copies)
                .and(notices)
                .and(only_the_api_server_is_served(&cert).await)
        }
        Err(e) => Err(e),
    };
    let clouds = clouds::cloud_resources_at_admission(&kubeconfig, &dir).await;
    let revoked = revocation(&kubeconfig, &client).await;
    let reported = reports(&kubeconfig).await;
    let waited = waits_for_its_namespace(&kubeconfig, &client).await;
    let optional = optional_kinds(&kubeconfig, &dir.join("operator.log")).await;
    // The webhook down (the process stopped, its configuration left as the chart's, Ignore):
    // the generated admission policies still refuse what CEL decides.
    drop(operator);
    let policies = match vap::webhook_down(&kubeconfig, &dir, "https://127.0.0.1:18443/validate") {
        Ok(()) => {
            vap::denials_hold_with_the_webhook_down(&kubeconfig, &dir, HISTORY_NAMESPACE).await
        }
        Err(e) => Err(e),
    };
    // Started again for the cleanup (its finalizer releases the tenancies' namespaces).
    let operator = start_operator(&kubeconfig, &dir, &cert, &key, "operator-again.log")?;
    let _ = wait_ready().await;
    let cleanup = cleanup(&kubeconfig, &client).await;
    drop(operator);
    let registration = kubectl(
        &kubeconfig,
        &[
            "delete",
            "validatingwebhookconfiguration",
            WEBHOOK_CONFIGURATION,
            "--ignore-not-found",
        ],
    );
    let report_crds_gone = kubectl(
        &kubeconfig,
        &[
            "delete",
            "--ignore-not-found",
            "-f",
            report_crds.to_str().unwrap(),
        ],
    );
    let _ = kubectl(
        &kubeconfig,
        &[
            "delete",
            "clusterrole",
            SECRETS_READER_ROLE,
            "--ignore-not-found",
        ],
    );
    let _ = std::fs::remove_dir_all(&dir);
    let crds_gone = kubectl(
        &kubeconfig,
        &["delete", "--ignore-not-found", "-f", crds.to_str().unwrap()],
    );
    result
        .and(secrets)
        .and(quiet)
        .and(admitted)
        .and(clouds)
        .and(revoked)
        .and(reported)
        .and(waited)
        .and(optional)
        .and(policies)
        .and(cleanup)
        .and(registration.map(|_| ()))
        .and(report_crds_gone.map(|_| ()))
        .and(crds_gone.map(|_| ()))
}

/// Mutual TLS on a real API server: every admission above reached the webhook with the
/// certificate the API server presents to webhooks (its AdmissionConfiguration, from a CA of its
/// own); anyone else who reaches the port — without a certificate, or with the cluster admin's,
/// which the API server's own CA signed — is not served, and the API server's certificate, from
/// here, is.
async fn only_the_api_server_is_served(server_cert: &Path) -> Result<(), String> {
    let pki = common::cluster::state_dir().join("pki");
    let answer = |identity: Option<&str>| {
        let pki = pki.clone();
        let identity = identity.map(str::to_string);
        async move { https_answer(server_cert, identity.map(|n| pki.join(n))).await }
    };
    if let Ok(status) = answer(None).await {
        return Err(format!(
            "the webhook answered {status} to a client without a certificate"
        ));
    }
    if let Ok(status) = answer(Some("admin")).await {
        return Err(format!(
            "the webhook answered {status} to the admin's certificate, which its CA did not sign"
        ));
    }
    match answer(Some("webhook-client")).await {
        // A GET of /validate: the webhook served it, and said the method is wrong.
        Ok(405) => Ok(()),
        other => Err(format!(
            "the API server's webhook client certificate was not served as it should be: {other:?}"
        )),
    }
}

/// `GET /validate` on the webhook, trusting `server_cert`, presenting `identity` (the stem of a
/// `.crt`/`.key` pair) if given: the HTTP status, or how the exchange failed.
async fn https_answer(server_cert: &Path, identity: Option<PathBuf>) -> Result<u16, String> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
    let pem = |e: rustls::pki_types::pem::Error| e.to_string();
    let identity = match identity {
        None => None,
        Some(stem) => Some((
            CertificateDer::from_pem_file(stem.with_extension("crt")).map_err(pem)?,
            PrivateKeyDer::from_pem_file(stem.with_extension("key")).map_err(pem)?,
        )),
    };
    let request = b"GET /validate HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    let (status, _) = common::tls::exchange(
        ([127, 0, 0, 1], 18443).into(),
        CertificateDer::from_pem_file(server_cert).map_err(pem)?,
        "127.0.0.1",
        identity,
        request,
    )
    .await?;
    Ok(status)
}

/// `govkh run` against the cluster: webhook on loopback registered by URL, its log in
/// `dir/log`.
fn start_operator(
    kubeconfig: &Path,
    dir: &Path,
    cert: &Path,
    key: &Path,
    log: &str,
) -> Result<Operator, String> {
    Ok(Operator(
        Command::new(env!("CARGO_BIN_EXE_govkh"))
            .args([
                "run",
                "--probe-addr",
                "127.0.0.1:18080",
                "--audit-interval",
                "10",
                "--log-format",
                "json",
                "--identity",
                "e2e",
                "--webhook-addr",
                "127.0.0.1:18443",
                "--webhook-url",
                "https://127.0.0.1:18443/validate",
                "--history-namespace",
                HISTORY_NAMESPACE,
                "--secrets-reader",
                &format!("{SECRETS_READER_ROLE}={SECRETS_READER}"),
            ])
            .arg("--tls-cert-file")
            .arg(cert)
            .arg("--tls-key-file")
            .arg(key)
            // Mutual TLS: only the API server's webhook client certificate (controlplane/start.sh).
            .arg("--webhook-client-ca-file")
            .arg(common::cluster::state_dir().join("pki/webhook-client-ca.crt"))
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(dir.join(log)).map_err(|e| e.to_string())?,
            ))
            .spawn()
            .map_err(|e| format!("cannot start govkh run: {e}"))?,
    ))
}

/// The example workloads that breach the law (and need no CRD a bare cluster lacks).
const WORKLOADS: [&str; 4] = [
    "workloads/gdt-api.yaml",
    "workloads/moeys-elearning.yaml",
    "workloads/moeys-satellite.yaml",
    "workloads/moh-claims-link.yaml",
];

/// The compliance reports: with the webhook unregistered (it would refuse them), the breaching
/// example workloads are applied; after the next audit, `kubectl get reports.openreports.io -A`
/// (or `clusterreports` for our kinds) shows a `fail` result for each object the evaluation
/// core denies today, with its policy and its article in `category`.
async fn reports(kubeconfig: &Path) -> Result<(), String> {
    kubectl(
        kubeconfig,
        &[
            "delete",
            "validatingwebhookconfiguration",
            WEBHOOK_CONFIGURATION,
            "--ignore-not-found",
        ],
    )?;
    for f in WORKLOADS {
        let path = root().join("examples").join(f);
        kubectl(kubeconfig, &["apply", "-f", path.to_str().unwrap()])?;
    }
    let paths: Vec<PathBuf> = FILES
        .iter()
        .chain(WORKLOADS.iter())
        .map(|f| root().join("examples").join(f))
        .collect();
    let lib = Library::builtin().unwrap();
    let (_, eval, _) = evaluate_loaded(
        Loader::new().load_paths(&paths, &mut std::io::empty()),
        &lib,
        Timestamp::now(),
    );
    let denied: Vec<&govkh_core::finding::Finding> = eval
        .findings
        .iter()
        .filter(|f| f.action == govkh_core::finding::Action::Deny)
        .filter(|f| {
            f.source
                .as_ref()
                .is_some_and(|s| WORKLOADS.iter().any(|w| s.file.ends_with(w)))
        })
        .collect();
    if denied.len() < 4 {
        return Err(format!(
            "the example workloads should breach the law on four objects today, not {}",
            denied.len()
        ));
    }
    wait_for(
        "a fail result in the reports for each denied workload",
        || async {
            let mut results = Vec::new();
            for resource in ["reports.openreports.io", "clusterreports.openreports.io"] {
                let out = kubectl(kubeconfig, &["get", resource, "-A", "-o", "json"])?;
                let list: serde_json::Value =
                    serde_json::from_str(&out).map_err(|e| format!("{resource}: {e}"))?;
                for item in list["items"].as_array().into_iter().flatten() {
                    results.extend(item["results"].as_array().into_iter().flatten().cloned());
                }
            }
            let missing: Vec<String> = denied
                .iter()
                .filter(|f| {
                    let r = &f.resource;
                    !results.iter().any(|x| {
                        let o = &x["resources"][0];
                        x["result"] == "fail"
                            && x["policy"] == f.policy.as_str()
                            && x["category"] == format!("Art. {}", f.articles[0]).as_str()
                            && o["kind"].as_str() == r.kind.as_deref()
                            && o["name"].as_str() == r.name.as_deref()
                            && o["namespace"].as_str() == r.namespace.as_deref()
                    })
                })
                .map(|f| {
                    let r = &f.resource;
                    format!(
                        "{} on {}/{}/{}",
                        f.policy,
                        r.kind.as_deref().unwrap_or(""),
                        r.namespace.as_deref().unwrap_or(""),
                        r.name.as_deref().unwrap_or("")
                    )
                })
                .collect();
            missing
                .is_empty()
                .then_some(())
                .ok_or(format!("no fail result for {missing:?}"))
        },
    )
    .await
}

async fn checks(client: &Client) -> Result<(), String> {
    let now = Timestamp::now();
    let today = Day::in_phnom_penh(now);
    let (inv, eval) = examples_inventory(now);
    let cloud = inv.government_cloud.as_ref().unwrap().object.clone();

    // Every tenancy: the clock's state, and every object the builders say it owns.
    for t in &eval.tenancies {
        let api: Api<CloudTenancy> = Api::all(client.clone());
        let want = t.state;
        wait_for(&format!("CloudTenancy {} is {want:?}", t.name), || async {
            let got = api.get(&t.name).await.map_err(|e| e.to_string())?;
            let state = got.status.as_ref().and_then(|s| s.state);
            let ready = got.status.as_ref().is_some_and(|s| {
                s.conditions
                    .iter()
                    .any(|c| c.type_ == "Ready" && c.status == "True")
            });
            (state == Some(want) && ready)
                .then_some(())
                .ok_or(format!("state {state:?}, ready {ready}"))
        })
        .await?;
        let tenancy = api.get(&t.name).await.map_err(|e| e.to_string())?;
        let ministry = &inv.ministries[&tenancy.spec.ministry].object;
        let d = desired::tenancy_objects(&tenancy, ministry, &cloud);
        for ns in &d.namespaces {
            let got = Api::<Namespace>::all(client.clone())
                .get(&ns.name_any())
                .await
                .map_err(|e| format!("Namespace {}: {e}", ns.name_any()))?;
            for (k, v) in ns.labels() {
                if got.labels().get(k) != Some(v) {
                    return Err(format!("Namespace {}: label {k} is not {v}", ns.name_any()));
                }
            }
        }
        macro_rules! exist {
            ($kind:ty, $list:expr) => {
                for o in &$list {
                    let ns = o.metadata.namespace.clone().unwrap_or_default();
                    Api::<$kind>::namespaced(client.clone(), &ns)
                        .get(&o.name_any())
                        .await
                        .map_err(|e| format!("{}/{}: {e}", ns, o.name_any()))?;
                }
            };
        }
        exist!(ResourceQuota, d.quotas);
        exist!(LimitRange, d.limit_ranges);
        exist!(NetworkPolicy, d.network_policies);
        exist!(RoleBinding, d.role_bindings);
    }

    // Approvals and grants: the state of today.
    for (name, a) in &inv.approvals {
        let want = clock::approval_state(&a.object.spec, today)
            .unwrap_or(govkh_core::api::ApprovalState::Pending);
        wait_for_state::<Approval, _>(client, name, want, |a| a.status.and_then(|s| s.state))
            .await?;
    }
    for (name, g) in &inv.grants {
        let want = clock::grant_state(&g.object.spec, today);
        wait_for_state::<DataAccessGrant, _>(client, name, want, |g| {
            g.status.and_then(|s| s.state)
        })
        .await?;
    }

    // Links: the permission of today; an established link's policies exist, a refused one's
    // do not.
    for (name, l) in &inv.links {
        let want = verdict::link_plan(&inv, &l.object, today).verdict.state;
        wait_for_state::<PrivateNetworkLink, _>(client, name, want, |l| {
            l.status.and_then(|s| s.state)
        })
        .await?;
        let api: Api<PrivateNetworkLink> = Api::all(client.clone());
        let got = api.get(name).await.map_err(|e| e.to_string())?;
        let carried = got.status.map(|s| s.network_policies).unwrap_or_default();
        if (want == LinkState::Established) == carried.is_empty() {
            return Err(format!(
                "PrivateNetworkLink {name}: {want:?} but carries {carried:?}"
            ));
        }
        for p in carried {
            let (ns, n) = p.split_once('/').unwrap();
            Api::<NetworkPolicy>::namespaced(client.clone(), ns)
                .get(n)
                .await
                .map_err(|e| format!("{p}: {e}"))?;
        }
    }

    // Ministries and the cloud: the audit's summary and counts.
    for code in inv.ministries.keys() {
        let api: Api<Ministry> = Api::all(client.clone());
        wait_for(&format!("Ministry {code} has its compliance"), || async {
            let got = api.get(code).await.map_err(|e| e.to_string())?;
            got.status
                .and_then(|s| s.compliance)
                .map(|_| ())
                .ok_or("no compliance yet".to_string())
        })
        .await?;
    }
    // The leader's daily record of each ministry, with today's score.
    let records: Api<k8s_openapi::api::core::v1::ConfigMap> =
        Api::namespaced(client.clone(), HISTORY_NAMESPACE);
    let year = today.date().year();
    for code in inv.ministries.keys() {
        let name = govkh::writers::history::name(code, year);
        wait_for(
            &format!("ConfigMap {HISTORY_NAMESPACE}/{name} records today"),
            || async {
                let got = records.get(&name).await.map_err(|e| e.to_string())?;
                let text = got
                    .data
                    .as_ref()
                    .and_then(|d| d.get(govkh::writers::history::KEY))
                    .ok_or("no record".to_string())?;
                let stored: serde_json::Value =
                    serde_json::from_str(text).map_err(|e| e.to_string())?;
                stored["days"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|d| d["day"] == today.to_string())
                    .then_some(())
                    .ok_or(format!("no record of {today}: {stored}"))
            },
        )
        .await?;
    }
    let api: Api<GovernmentCloud> = Api::all(client.clone());
    let tenancies = u32::try_from(eval.tenancies.len()).unwrap();
    wait_for("GovernmentCloud national counts the tenancies", || async {
        let got = api.get("national").await.map_err(|e| e.to_string())?;
        let total = got.status.and_then(|s| s.tenancies).map(|t| t.total);
        (total == Some(tenancies))
            .then_some(())
            .ok_or(format!("total {total:?}"))
    })
    .await?;
    Ok(())
}

async fn cleanup(kubeconfig: &Path, client: &Client) -> Result<(), String> {
    // Deleting the tenancies while the operator runs: its finalizer releases the namespaces.
    let mut result = Ok(());
    // The workloads first, without waiting: one holds a Namespace, whose deletion waits for a
    // namespace controller the test cluster may not run.
    let files = WORKLOADS
        .iter()
        .map(|f| (f, "--wait=false"))
        .chain(FILES.iter().rev().map(|f| (f, "--wait=true")));
    for (f, wait) in files {
        let path = root().join("examples").join(f);
        // As the platform and the committee at once: revoking the approvals and grants is the
        // committee's to do (the fence refuses it to anyone else, the platform included).
        if let Err(e) = kubectl(
            kubeconfig,
            &[
                "delete",
                "--ignore-not-found",
                wait,
                "--timeout=120s",
                "-f",
                path.to_str().unwrap(),
                "--as=e2e-cleanup",
                "--as-group=system:masters",
                "--as-group=digital-government-committee",
            ],
        ) {
            result = result.and(Err(e));
        }
    }
    // `Retain` is the default: the namespaces stay, labelled orphaned, with no owner.
    let kept = Api::<Namespace>::all(client.clone())
        .get("nssf-claims")
        .await
        .map_err(|e| format!("Namespace nssf-claims after its tenancy's deletion: {e}"));
    let retained = kept.and_then(|ns| {
        let orphaned = ns.labels().get(desired::LABEL_ORPHANED).map(String::as_str) == Some("true");
        let owned = !ns.owner_references().is_empty();
        (orphaned && !owned).then_some(()).ok_or(format!(
            "nssf-claims: orphaned label {orphaned}, owner references {owned}"
        ))
    });
    let namespaces = kubectl(
        kubeconfig,
        &[
            "delete",
            "namespace",
            "-l",
            &format!("{}={}", desired::LABEL_MANAGED_BY, desired::FIELD_MANAGER),
            "--ignore-not-found",
            "--wait=false",
        ],
    );
    let records = kubectl(
        kubeconfig,
        &[
            "delete",
            "configmap",
            "-n",
            HISTORY_NAMESPACE,
            "-l",
            &format!("{}=true", govkh::writers::history::LABEL),
            "--ignore-not-found",
        ],
    );
    result
        .and(retained)
        .and(namespaces.map(|_| ()))
        .and(records.map(|_| ()))
}

/// The ClusterRole the operator binds in each tenancy's namespace (made from the chart's
/// generated rules), and the service account it binds it to (`NAMESPACE/NAME`): the chart's.
const SECRETS_READER_ROLE: &str = "govkh-e2e-secrets-reader";
const SECRETS_READER: &str = "govkh-system/govkh";

/// Where the run's operator keeps the ministries' daily records (a namespace every cluster has).
const HISTORY_NAMESPACE: &str = "default";

fn main() {
    common::cluster::main(
        "e2e::examples_on_a_real_cluster",
        "the real-cluster suite",
        run,
    );
}
