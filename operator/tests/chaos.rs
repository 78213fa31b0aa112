//! Faults on the real control plane (`controlplane/`), while `govkh run` works on the national
//! examples. Like the real-cluster suite it runs only with `GOVKH_E2E_KUBECONFIG` set, and
//! restarts the control plane's processes with `controlplane/restart.sh` (so the control plane
//! must be the project's own, started by `controlplane/start.sh` in its default state directory):
//!
//! ```sh
//! controlplane/with.sh cargo test --test chaos
//! ```
//!
//! 1. **kube-apiserver down for 20 s and back**: `/readyz` goes false (naming the kinds whose
//!    watch fails) and true again; each kind's failure is said once, not at every retry; the
//!    watches resume, and what changed after the restart reaches the index and the controllers
//!    (a new tenancy gets its namespace; the audit counts it in the GovernmentCloud's status).
//! 2. **etcd compacted past govkh's resource versions**, then kube-apiserver restarted (its watch
//!    cache starts afresh at the compacted revision, so resuming a watch at an older version is
//!    410 Gone): the watches list again, and the index again equals the cluster (a tenancy
//!    deleted during the outage leaves the GovernmentCloud's count).
//! 3. **Two replicas behind a balancer** (`chaos/replicas.rs`; needs Debian's `haproxy`): the
//!    standby SIGTERMed under 150 admissions a second (none fails), the leader SIGKILLed while
//!    new tenancies reconcile (the standby takes the Lease and finishes; the two never both
//!    write, counted from the API server's audit log); a rolling restart behind a balancer that
//!    does not retry (none fails); 2,000 idle TLS connections and 200 slowloris clients held
//!    against the webhooks under the same load (none fails, the Lease renewed, `/readyz` within
//!    1 s).
//!
//! A custom harness (no libtest): without a cluster it prints one line and no "test result".
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
#[path = "chaos/replicas.rs"]
mod replicas;

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::{Arc, Mutex},
    time::Duration,
};

use common::{
    cluster::{FILES, Operator, client, get, install_examples, kubectl, wait_until},
    root,
};
use govkh_core::api::{CloudTenancy, GovernmentCloud};
use kube::{Api, Client};

const TIMEOUT: Duration = Duration::from_secs(120);
const PROBE: &str = "127.0.0.1:18085";
/// `controlplane/restart.sh NAME SECONDS`.
fn restart(name: &str, down_s: u64) -> Result<(), String> {
    let out = Command::new(root().join("controlplane/restart.sh"))
        .args([name, &down_s.to_string()])
        .output()
        .map_err(|e| format!("cannot run controlplane/restart.sh: {e}"))?;
    out.status.success().then_some(()).ok_or(format!(
        "controlplane/restart.sh {name}: {}",
        String::from_utf8_lossy(&out.stderr)
    ))
}

/// Poll `check` every 500 ms until it returns Ok, at most `TIMEOUT`.
async fn wait_for<F, Fut>(what: &str, check: F) -> Result<(), String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    wait_until(what, TIMEOUT, Duration::from_millis(500), check).await
}

/// The answer to GET `path` on the operator's probe server.
async fn probe(path: &str) -> Result<String, String> {
    get(PROBE, path).await
}

async fn ready() -> Result<(), String> {
    let out = probe("/readyz").await?;
    out.starts_with("HTTP/1.1 200")
        .then_some(())
        .ok_or(out.lines().last().unwrap_or_default().to_string())
}

/// The GovernmentCloud's count of tenancies, as the operator's last audit wrote it.
async fn counted(client: &Client) -> Result<u32, String> {
    let cloud = Api::<GovernmentCloud>::all(client.clone())
        .get("national")
        .await
        .map_err(|e| e.to_string())?;
    cloud
        .status
        .and_then(|s| s.tenancies)
        .map(|t| t.total)
        .ok_or("no count yet".to_string())
}

/// Wait until the audit counts as many tenancies as the cluster lists afresh; that count.
async fn counts_what_the_cluster_holds(client: &Client) -> Result<u32, String> {
    wait_for(
        "the audit counts the tenancies the cluster lists",
        || async {
            let listed = Api::<CloudTenancy>::all(client.clone())
                .list(&Default::default())
                .await
                .map_err(|e| e.to_string())?
                .items
                .len();
            let counted = counted(client).await?;
            (usize::try_from(counted).unwrap() == listed)
                .then_some(())
                .ok_or(format!("counted {counted}, listed {listed}"))
        },
    )
    .await?;
    counted(client).await
}

fn tenancy(name: &str, namespace: &str) -> String {
    format!(
        "apiVersion: digital.gov.kh/v1alpha1
kind: CloudTenancy
metadata: {{name: {name}}}
spec:
  ministry: mef
  placement: government-private
  since: \"2026-01-05\"
  namespaces: [{{name: {namespace}}}]
"
    )
}

/// Apply a tenancy `name` of the namespace `namespace` (its file kept in `dir` for the delete).
fn apply_tenancy(
    kubeconfig: &Path,
    dir: &Path,
    name: &str,
    namespace: &str,
) -> Result<PathBuf, String> {
    let file = dir.join(format!("{name}.yaml"));
    std::fs::write(&file, tenancy(name, namespace)).map_err(|e| e.to_string())?;
    kubectl(kubeconfig, &["apply", "-f", file.to_str().unwrap()])?;
    Ok(file)
}

/// Wait until the operator has made a tenancy's `namespace`: `who` reconciled it.
async fn reconciled(kubeconfig: &Path, namespace: &str, who: &str) -> Result<(), String> {
    wait_for(
        &format!("{who} makes the namespace {namespace}"),
        || async { kubectl(kubeconfig, &["get", "namespace", namespace]).map(|_| ()) },
    )
    .await
}

/// What `/readyz` answered, in order: (200, its last line).
type Readiness = Arc<Mutex<Vec<(bool, String)>>>;

/// Records `/readyz` every 250 ms.
fn watch_readiness() -> (Readiness, tokio::task::JoinHandle<()>) {
    let seen: Readiness = Arc::default();
    let log = seen.clone();
    let task = tokio::spawn(async move {
        loop {
            let r = match probe("/readyz").await {
                Ok(out) => (
                    out.starts_with("HTTP/1.1 200"),
                    out.lines().last().unwrap_or_default().to_string(),
                ),
                Err(e) => (false, e),
            };
            log.lock().unwrap().push(r);
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    });
    (seen, task)
}

/// The WARN lines of the operator's log that say a watch failed, by kind.
fn watch_warnings(log: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("\"level\":\"WARN\"") && l.contains("watch failed"))
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap_or_default();
            (
                v["fields"]["kind"].as_str().unwrap_or_default().to_string(),
                v["fields"]["error"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect()
}

async fn apiserver_down_and_back(
    kubeconfig: &Path,
    client: &Client,
    dir: &Path,
    log: &Path,
) -> Result<(), String> {
    let before = counts_what_the_cluster_holds(client).await?;
    let (readiness, poller) = watch_readiness();
    let restarted = restart("kube-apiserver", 20);
    // Back: the watches resume and the operator is ready again.
    let back = match restarted {
        Ok(()) => wait_for("govkh ready again after the restart", ready).await,
        Err(e) => Err(e),
    };
    poller.abort();
    back?;
    let seen = readiness.lock().unwrap().clone();
    let went_down = seen.iter().any(|(ok, _)| !ok);
    if !went_down {
        return Err(format!(
            "/readyz never said the watches were down during a 20 s outage: {seen:?}"
        ));
    }
    let failing = seen
        .iter()
        .filter(|(ok, line)| !ok && line.contains("watch failing"))
        .count();
    if failing == 0 {
        return Err(format!(
            "/readyz never named a failing watch: {:?}",
            seen.iter().filter(|(ok, _)| !ok).collect::<Vec<_>>()
        ));
    }
    // Each kind's failure was said once per cause, not at every retry of 20 s of retries.
    let warned = watch_warnings(log);
    let mut per_kind: std::collections::BTreeMap<String, usize> = Default::default();
    for (kind, _) in &warned {
        *per_kind.entry(kind.clone()).or_default() += 1;
    }
    if let Some((kind, n)) = per_kind.iter().find(|(_, n)| **n > 3) {
        return Err(format!(
            "the watch of {kind} was said to fail {n} times in one outage: {warned:?}"
        ));
    }
    // What changed after the restart reaches the index and the controllers.
    let file = apply_tenancy(kubeconfig, dir, "chaos-after-restart", "mef-chaos-a")?;
    reconciled(kubeconfig, "mef-chaos-a", "the operator").await?;
    let after = counts_what_the_cluster_holds(client).await?;
    if after != before + 1 {
        return Err(format!("counted {before} tenancies, then {after}"));
    }
    kubectl(
        kubeconfig,
        &["delete", "-f", file.to_str().unwrap(), "--wait=true"],
    )?;
    counts_what_the_cluster_holds(client).await.map(|_| ())
}

/// etcd's HTTP gateway: POST `path` with `body`.
fn etcd(endpoint: &str, path: &str, body: &serde_json::Value) -> Result<serde_json::Value, String> {
    let out = Command::new("curl")
        .args(["-sf", "-X", "POST", &format!("{endpoint}{path}"), "-d"])
        .arg(body.to_string())
        .output()
        .map_err(|e| format!("cannot run curl: {e}"))?;
    if !out.status.success() {
        return Err(format!("etcd {path}: curl exited {:?}", out.status.code()));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("etcd {path}: {e}"))
}

async fn compacted_past_our_versions(
    kubeconfig: &Path,
    client: &Client,
    dir: &Path,
) -> Result<(), String> {
    let state = common::cluster::state_dir();
    let endpoints = std::fs::read_to_string(state.join("endpoints"))
        .map_err(|e| format!("{}: {e}", state.join("endpoints").display()))?;
    let endpoint = endpoints
        .split_whitespace()
        .find_map(|w| w.strip_prefix("etcd="))
        .ok_or("no etcd endpoint")?
        .to_string();
    let file = apply_tenancy(kubeconfig, dir, "chaos-before-compaction", "mef-chaos-b")?;
    let before = counts_what_the_cluster_holds(client).await?;
    // Deleted, then history compacted and the API server's cache started afresh: the watches'
    // resource versions are gone, and the deletion is seen only by listing again.
    kubectl(
        kubeconfig,
        &["delete", "-f", file.to_str().unwrap(), "--wait=true"],
    )?;
    let status = etcd(&endpoint, "/v3/maintenance/status", &serde_json::json!({}))?;
    let revision = status["header"]["revision"]
        .as_str()
        .ok_or(format!("no revision in {status}"))?
        .to_string();
    etcd(
        &endpoint,
        "/v3/kv/compaction",
        &serde_json::json!({"revision": revision, "physical": true}),
    )?;
    restart("kube-apiserver", 0)?;
    wait_for("govkh ready after the compaction", ready).await?;
    let after = counts_what_the_cluster_holds(client).await?;
    if after + 1 != before {
        return Err(format!(
            "counted {before} tenancies with chaos-before-compaction, then {after} without it"
        ));
    }
    Ok(())
}

/// `govkh run` on the control plane with `args`, auditing every 10 s, logging JSON to `log`.
fn govkh_run(kubeconfig: &Path, log: &Path, args: &[&str]) -> Result<Operator, String> {
    let child = Command::new(env!("CARGO_BIN_EXE_govkh"))
        .args(["run", "--audit-interval", "10", "--reports", "none"])
        .args(["--log-format", "json"])
        .args(args)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .stdout(Stdio::null())
        .stderr(Stdio::from(
            std::fs::File::create(log).map_err(|e| e.to_string())?,
        ))
        .spawn()
        .map_err(|e| format!("cannot start govkh run: {e}"))?;
    Ok(Operator(child))
}

async fn run(kubeconfig: PathBuf) -> Result<(), String> {
    let client = client(&kubeconfig).await?;
    install_examples(&kubeconfig, &root().join("crds"), &root().join("examples"))?;
    let dir = std::env::temp_dir().join(format!("govkh-chaos-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let log = dir.join("operator.log");
    let mut operators = vec![govkh_run(
        &kubeconfig,
        &log,
        &["--probe-addr", PROBE, "--identity", "chaos"],
    )?];
    let result = async {
        wait_for("govkh ready", ready).await?;
        apiserver_down_and_back(&kubeconfig, &client, &dir, &log)
            .await
            .map_err(|e| format!("kube-apiserver down for 20 s: {e}"))?;
        compacted_past_our_versions(&kubeconfig, &client, &dir)
            .await
            .map_err(|e| format!("etcd compacted: {e}"))?;
        // The watches were told their versions had expired (410), and listed again.
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let expired = text
            .lines()
            .filter(|l| l.contains("watch expired; listing again"))
            .count();
        if expired == 0 {
            return Err("etcd compacted: no watch was told its version expired".to_string());
        }
        // The single operator stops; two replicas with leader election take over.
        operators.clear();
        let tls = common::cluster::loopback_certificate(&dir)?;
        replicas::two_replicas_behind_a_balancer(
            &kubeconfig,
            &client,
            &dir,
            &common::cluster::state_dir().join("logs/audit.log"),
            &tls,
            &mut operators,
        )
        .await
        .map_err(|e| format!("two replicas: {e}"))?;
        Ok::<(), String>(())
    }
    .await;
    // Cleaned up while the operator runs (its finalizer releases the tenancies' namespaces),
    // and waited for: the next suite on this control plane makes the same namespaces.
    let mut cleanup = Ok(());
    for f in FILES.iter().rev() {
        let path = root().join("examples").join(f);
        if let Err(e) = kubectl(
            &kubeconfig,
            &[
                "delete",
                "--ignore-not-found",
                "--wait=true",
                "--timeout=120s",
                "-f",
                path.to_str().unwrap(),
            ],
        ) {
            cleanup = Err(e);
        }
    }
    drop(operators);
    // The loads leave some 20,000 Services in mef-tax (two replicas, the rolling restart, held
    // against), which the namespace controller deletes before the namespace goes: past 120 s on
    // a busy CI machine.
    if let Err(e) = kubectl(
        &kubeconfig,
        &[
            "delete",
            "namespace",
            "-l",
            "app.kubernetes.io/managed-by=govkh",
            "--wait=true",
            "--timeout=600s",
        ],
    ) {
        cleanup = Err(e);
    }
    let result = result.and(cleanup).map_err(|e| {
        let tail: Vec<String> = std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .rev()
            .take(15)
            .map(str::to_string)
            .collect();
        format!("{e}\nthe operator's last lines:\n{}", tail.join("\n"))
    });
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn main() {
    common::cluster::main(
        "chaos::faults_on_the_real_control_plane",
        "the fault suite",
        run,
    );
}
