//! The generated ValidatingAdmissionPolicies on the real API server, with govkh's webhook not
//! running (its configuration left registered, `failurePolicy: Ignore`, as the chart installs
//! it): what CEL decides is still refused, each message naming its article; lawful objects
//! are admitted; a namespace govkh did not make is refused as not governed. The CEL cost: the
//! API server takes a policy without estimating it, and refuses a request whose evaluation
//! runs past its runtime budget (`failurePolicy: Fail`), so a lawful Ingress of 2,000 hosts
//! must be admitted.

use std::{path::Path, time::Duration};

use super::common::cluster::{kubectl, kubectl_with_stderr};

/// The name of the webhook configuration left registered while no replica answers.
pub const DOWN: &str = "govkh-e2e-down";

/// govkh's own registration (`desired::webhook_configuration`: both webhooks, the generated
/// rules) with the chart's `failurePolicy: Ignore`, at the address of an operator that has
/// stopped: with nobody answering, every request would be admitted unjudged but for the
/// policies.
pub fn webhook_down(kubeconfig: &Path, dir: &Path, url: &str) -> Result<(), String> {
    let ca = std::fs::read(dir.join("tls.crt")).map_err(|e| e.to_string())?;
    let mut config = govkh_core::provision::desired::webhook_configuration(DOWN, url, &ca);
    for w in config.webhooks.iter_mut().flatten() {
        w.failure_policy = Some("Ignore".into());
    }
    let file = dir.join("webhook-down.json");
    std::fs::write(
        &file,
        serde_json::to_vec(&config).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    kubectl(
        kubeconfig,
        &["apply", "-f", file.to_str().unwrap_or_default()],
    )
    .map(|_| ())
}

fn apply(
    kubeconfig: &Path,
    dir: &Path,
    name: &str,
    yaml: &str,
    user: &[&str],
) -> Result<String, String> {
    let file = dir.join(format!("{name}.yaml"));
    std::fs::write(&file, yaml).map_err(|e| e.to_string())?;
    let mut args = vec!["create", "-f", file.to_str().unwrap_or_default()];
    args.extend_from_slice(user);
    let out = kubectl_with_stderr(kubeconfig, &args).map(|(o, e)| format!("{o}{e}"));
    // Whatever was made is taken away again (the checks below only look at the answer).
    let _ = kubectl(
        kubeconfig,
        &[
            "delete",
            "--ignore-not-found",
            "--wait=false",
            "-f",
            file.to_str().unwrap_or_default(),
        ],
    );
    out
}

/// One request that must be refused, the refusal naming `policy` and `articles`.
fn refused(kubeconfig: &Path, dir: &Path, case: &Case) -> Result<(), String> {
    match apply(kubeconfig, dir, case.name, case.yaml, case.user) {
        Ok(out) => Err(format!(
            "{}: admitted with the webhook down: {out}",
            case.name
        )),
        Err(e) if e.contains(&format!("[{}]", case.policy)) && e.contains(case.articles) => Ok(()),
        Err(e) => Err(format!(
            "{}: refused, but not by {} naming {}: {e}",
            case.name, case.policy, case.articles
        )),
    }
}

/// `refused`, retried while the API server may not have loaded the case's policy yet: a case
/// admitted, or refused by something else, is tried again for up to a minute.
async fn refused_once_enforced(kubeconfig: &Path, dir: &Path, case: &Case) -> Result<(), String> {
    let start = std::time::Instant::now();
    loop {
        match refused(kubeconfig, dir, case) {
            Ok(()) => return Ok(()),
            Err(e) if start.elapsed() > Duration::from_secs(60) => return Err(e),
            Err(_) => tokio::time::sleep(Duration::from_secs(1)).await,
        }
    }
}

struct Case {
    name: &'static str,
    policy: &'static str,
    articles: &'static str,
    yaml: &'static str,
    user: &'static [&'static str],
}

const REFUSED: &[Case] = &[
    Case {
        name: "top-secret-deployment",
        policy: "data-placement",
        articles: "(Art. 10, 25)",
        yaml: "apiVersion: apps/v1
kind: Deployment
metadata: {name: e2e-ledger, namespace: mef-analytics}
spec:
  selector: {matchLabels: {app: ledger}}
  template:
    metadata: {labels: {app: ledger, digital.gov.kh/data-class: top-secret}}
    spec: {containers: [{name: ledger, image: registry.mptc.gov.kh/ledger:1}]}
",
        user: &[],
    },
    Case {
        name: "top-secret-volume",
        policy: "data-placement",
        articles: "(Art. 10, 25)",
        yaml: "apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: e2e-keys, namespace: moeys-elearning, labels: {digital.gov.kh/data-class: top-secret}}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
",
        user: &[],
    },
    Case {
        name: "ingress-on-another-ministrys-domain",
        policy: "official-domain",
        articles: "(Art. 20, 21; penalty Art. 38)",
        yaml: "apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: e2e-portal, namespace: mef-analytics}
spec:
  rules:
    - host: portal.moh.gov.kh
      http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: portal, port: {number: 443}}}}]}
",
        user: &[],
    },
    Case {
        name: "approval-by-a-dtu",
        policy: "approval-authority",
        articles: "(Art. 4, 9, 10)",
        yaml: "apiVersion: digital.gov.kh/v1alpha1
kind: Approval
metadata: {name: e2e-self-approved}
spec:
  subject: {kind: CloudTenancy, name: mef-analytics}
  article: \"10\"
  request: {requestedOn: \"2026-04-20\", requestedBy: dtu@mef.gov.kh, document: MEF/DTU/2026/093}
  decision: {verdict: Approved, decidedOn: \"2026-04-21\", document: MEF/2026/1, reviewer: MEF}
",
        // A DTU member whom RBAC lets write anything (system:masters): the law still does not.
        user: &["--as=dtu@mef.gov.kh", "--as-group=mef-dtu", "--as-group=system:masters"],
    },
    Case {
        name: "workload-in-a-namespace-made-by-hand",
        policy: "data-placement",
        articles: "is not governed by govkh",
        yaml: "apiVersion: apps/v1
kind: Deployment
metadata: {name: e2e-stray, namespace: e2e-made-by-hand}
spec:
  selector: {matchLabels: {app: stray}}
  template:
    metadata: {labels: {app: stray}}
    spec: {containers: [{name: stray, image: registry.mptc.gov.kh/stray:1}]}
",
        user: &[],
    },
];

const ADMITTED: &[(&str, &str, &[&str])] = &[
    (
        "open-deployment-on-external-cloud",
        "apiVersion: apps/v1
kind: Deployment
metadata: {name: e2e-open-data, namespace: moeys-elearning}
spec:
  selector: {matchLabels: {app: open-data}}
  template:
    metadata: {labels: {app: open-data, digital.gov.kh/data-class: open}}
    spec: {containers: [{name: web, image: registry.mptc.gov.kh/web:1}]}
",
        &[],
    ),
    (
        "ingress-on-own-domain",
        "apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: e2e-budget, namespace: mef-analytics}
spec:
  rules:
    - host: budget.mef.gov.kh
      http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: portal, port: {number: 443}}}}]}
",
        &[],
    ),
    (
        "approval-by-the-committee",
        "apiVersion: digital.gov.kh/v1alpha1
kind: Approval
metadata: {name: e2e-committee-approval}
spec:
  subject: {kind: CloudTenancy, name: mef-analytics}
  article: \"10\"
  request: {requestedOn: \"2026-04-20\", requestedBy: dtu@mef.gov.kh, document: MEF/DTU/2026/093}
  decision: {verdict: Approved, decidedOn: \"2026-05-21\", document: DGC/2026/14, reviewer: Digital Government Committee}
",
        &["--as=chair@digital.gov.kh", "--as-group=digital-government-committee", "--as-group=system:masters"],
    ),
];

/// The whole step: install the policies `govkh vap` prints (their parameters written by the
/// operator that just stopped), wait until the API server enforces them, judge every case, and
/// take the policies and the hand-made namespace away again.
pub async fn denials_hold_with_the_webhook_down(
    kubeconfig: &Path,
    dir: &Path,
    params_namespace: &str,
) -> Result<(), String> {
    let generated = std::process::Command::new(env!("CARGO_BIN_EXE_govkh"))
        .args(["vap", "--namespace", params_namespace])
        .output()
        .map_err(|e| format!("cannot run govkh vap: {e}"))?;
    if !generated.status.success() {
        return Err(format!(
            "govkh vap failed: {}",
            String::from_utf8_lossy(&generated.stderr)
        ));
    }
    let file = dir.join("admission-policies.yaml");
    std::fs::write(&file, &generated.stdout).map_err(|e| e.to_string())?;
    let result = judged(kubeconfig, dir, &file).await;
    let removed = kubectl(
        kubeconfig,
        &[
            "delete",
            "--ignore-not-found",
            "-f",
            file.to_str().unwrap_or_default(),
        ],
    );
    let webhook = kubectl(
        kubeconfig,
        &[
            "delete",
            "validatingwebhookconfiguration",
            DOWN,
            "--ignore-not-found",
        ],
    );
    let namespace = kubectl(
        kubeconfig,
        &[
            "delete",
            "namespace",
            "e2e-made-by-hand",
            "--ignore-not-found",
            "--wait=false",
        ],
    );
    result
        .and(removed.map(|_| ()))
        .and(webhook.map(|_| ()))
        .and(namespace.map(|_| ()))
}

async fn judged(kubeconfig: &Path, dir: &Path, file: &Path) -> Result<(), String> {
    // Every generated policy taken without a warning: the API server compiles each expression
    // and checks its cost against its budget when the policy is created.
    let (_, warnings) = kubectl_with_stderr(
        kubeconfig,
        &["apply", "-f", file.to_str().unwrap_or_default()],
    )?;
    if warnings.contains("Warning") {
        return Err(format!(
            "the API server warned about the generated policies:\n{warnings}"
        ));
    }
    kubectl(kubeconfig, &["create", "namespace", "e2e-made-by-hand"])?;
    // The API server loads each new policy on its own, asynchronously: each case waits for the
    // very policy it checks (up to a minute), not for the first one to be enforced.
    let mut failures = Vec::new();
    for case in REFUSED {
        if let Err(e) = refused_once_enforced(kubeconfig, dir, case).await {
            failures.push(e);
        }
    }
    for (name, yaml, user) in ADMITTED {
        if let Err(e) = apply(kubeconfig, dir, name, yaml, user) {
            failures.push(format!("{name}: refused: {e}"));
        }
    }
    // The API server takes a policy whatever its expressions may cost (v1.36 took one with
    // four nested loops over a map), and stops an evaluation past its runtime budget, which
    // `failurePolicy: Fail` makes a refusal: a lawful Ingress of 2,000 hosts (rules and TLS) on
    // its own domain must still be admitted.
    let mut large = String::from(
        "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: e2e-many-hosts, namespace: mef-analytics}\nspec:\n  tls: [{secretName: many, hosts: [",
    );
    large.push_str(
        &(0..1000)
            .map(|i| format!("site{i}.mef.gov.kh"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    large.push_str("]}]\n  rules:\n");
    for i in 0..1000 {
        large.push_str(&format!(
            "    - host: site{i}.mef.gov.kh\n      http: {{paths: [{{path: /, pathType: Prefix, backend: {{service: {{name: portal, port: {{number: 443}}}}}}}}]}}\n"
        ));
    }
    if let Err(e) = apply(kubeconfig, dir, "many-hosts", &large, &[]) {
        failures.push(format!(
            "an Ingress of 2,000 hosts on its own domain: refused: {e}"
        ));
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}
