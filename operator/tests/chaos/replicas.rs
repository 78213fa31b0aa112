//! Two `govkh run` replicas with leader election, their webhooks behind a loopback TCP balancer
//! (Debian's haproxy), under up to 150 Service creates a second through the API server (at most
//! `IN_FLIGHT` at once) with the webhook registered `failurePolicy: Fail`:
//!
//! - **SIGTERM** to the standby: it stops accepting, answers what it has in flight, and closes
//!   its kept-alive connections with `Connection: close` — not one admission fails;
//! - **SIGKILL** to the leader just after new tenancies are applied: the standby holds the Lease
//!   within its duration and one retry, and reconciles them; the admissions that fail are those
//!   the leader had in flight (none starts failing 2 s after the kill);
//! - counted from the API server's own audit log (each replica names itself in its user agent):
//!   the two never both write — every write of the killed leader comes before the first of its
//!   successor, and the standby writes nothing while it waits;
//! - **a rolling restart** behind a second balancer that routes as a Service's endpoints do — a
//!   replica taken out only once its `/readyz` has failed (checked every second) and a refused
//!   connection never retried on the other: each replica in turn SIGTERMed and started again,
//!   under the same load — not one admission fails, because a replica goes on accepting for its
//!   `--shutdown-delay` after `/readyz` turns false;
//! - **held against** (`held.rs`): 2,000 idle TLS connections and 200 slowloris clients on the
//!   two webhook ports while the same load passes through the router — not one admission fails,
//!   the Lease is renewed throughout, `/readyz` answers within the kubelet's probe timeout.

#[path = "held.rs"]
mod held;

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant, SystemTime},
};

use k8s_openapi::{
    ByteString,
    api::{
        admissionregistration::v1::{
            RuleWithOperations, ValidatingWebhook, ValidatingWebhookConfiguration,
            WebhookClientConfig,
        },
        coordination::v1::Lease,
        core::v1::Service,
    },
    apimachinery::pkg::apis::meta::v1::LabelSelector,
    jiff::Timestamp,
};
use kube::{
    Api, Client,
    api::{DeleteParams, PostParams},
};

use crate::{
    apply_tenancy,
    common::cluster::{Operator, get, kubectl},
    govkh_run, reconciled, wait_for,
};

/// The balancer's port (the webhook's URL) and each replica's webhook and probe ports.
const BALANCER: u16 = 18448;
/// The second balancer's port: routing as a Service's endpoints do (no retry).
const ROUTER: u16 = 18449;
/// Each replica's `--shutdown-delay`: longer than the router's health check takes to see a
/// replica not ready (1 s).
const SHUTDOWN_DELAY: &str = "3";
const A: Replica = Replica {
    identity: "chaos-a",
    hook: 18446,
    probe: 18086,
};
const B: Replica = Replica {
    identity: "chaos-b",
    hook: 18447,
    probe: 18087,
};
/// Where the load's Services are created (a ministry's namespace: the webhook judges them).
const NAMESPACE: &str = "mef-tax";
const RATE: u32 = 150;
/// At most this many creates in flight. Unbounded, a machine that cannot serve `RATE` (two
/// cores run the API server, etcd, both replicas and this load) piles up thousands of requests,
/// each on a new TLS connection, until the API server answers nobody in time — the leader's
/// Lease renewals included, so the leader rightly stepped down (a GET of the Lease took 3 s,
/// its PUT more than the 10 s deadline) and the restarted standby could not even connect. A
/// load generator, like the API server's own clients, gives back pressure.
const IN_FLIGHT: usize = 32;
const WEBHOOK_CONFIGURATION: &str = "govkh-chaos-replicas";
/// The Lease's timing as `govkh run` sets it (`lease::Timing::default`).
const LEASE_DURATION: Duration = Duration::from_secs(15);
const RETRY_PERIOD: Duration = Duration::from_secs(2);
/// How long after a SIGKILL a request may still fail: the balancer's health check sees the
/// replica gone within a second, and the API server's connections to it are reset at once.
const KILL_WINDOW: Duration = Duration::from_secs(2);

#[derive(Clone, Copy)]
struct Replica {
    identity: &'static str,
    hook: u16,
    probe: u16,
}

impl Replica {
    fn probe_addr(self) -> String {
        format!("127.0.0.1:{}", self.probe)
    }

    fn start(
        self,
        kubeconfig: &Path,
        dir: &Path,
        tls: &(PathBuf, PathBuf),
        run: u32,
    ) -> Result<Operator, String> {
        let (probe, hook) = (self.probe_addr(), format!("127.0.0.1:{}", self.hook));
        let (cert, key) = (tls.0.to_str().unwrap(), tls.1.to_str().unwrap());
        govkh_run(
            kubeconfig,
            &dir.join(format!("{}-{run}.log", self.identity)),
            &[
                "--leader-elect",
                "--identity",
                self.identity,
                "--probe-addr",
                &probe,
                "--webhook-addr",
                &hook,
                "--tls-cert-file",
                cert,
                "--tls-key-file",
                key,
                "--shutdown-delay",
                SHUTDOWN_DELAY,
            ],
        )
    }

    async fn ready(self) -> Result<(), String> {
        let out = get(&self.probe_addr(), "/readyz").await?;
        out.starts_with("HTTP/1.1 200").then_some(()).ok_or(format!(
            "{} not ready: {}",
            self.identity,
            out.lines().last().unwrap_or_default()
        ))
    }
}

/// A child process killed when dropped (the balancer).
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// haproxy on `BALANCER`, TCP mode, round robin over the two replicas' webhooks; a replica is
/// taken out when its `/readyz` fails (false from the start of a shutdown) and a connection it
/// refuses is tried on the other.
fn balancer(dir: &Path) -> Result<Killed, String> {
    haproxy(
        dir,
        "haproxy",
        BALANCER,
        "300ms",
        "retries 3\n  option redispatch 1\n",
    )
}

/// haproxy on `ROUTER`, routing as a Service's endpoints do: a replica taken out only once its
/// `/readyz` has failed, checked every second; a connection it refuses is not tried again.
fn router(dir: &Path) -> Result<Killed, String> {
    haproxy(dir, "router", ROUTER, "1s", "retries 0\n")
}

/// haproxy named `name` on `port`, TCP mode, round robin over the two replicas, checking their
/// `/readyz` every `inter`, with `retry` (its retry settings).
fn haproxy(dir: &Path, name: &str, port: u16, inter: &str, retry: &str) -> Result<Killed, String> {
    let server = |r: Replica| {
        format!(
            "  server {} 127.0.0.1:{} check port {} inter {inter} fall 1 rise 1\n",
            r.identity, r.hook, r.probe
        )
    };
    let config = format!(
        "global\n  maxconn 2000\n\
         defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 200s\n  timeout server 200s\n  \
         {retry}\
         frontend webhook\n  bind 127.0.0.1:{port}\n  default_backend replicas\n\
         backend replicas\n  balance roundrobin\n  option httpchk GET /readyz\n{}{}",
        server(A),
        server(B)
    );
    let file = dir.join(format!("{name}.cfg"));
    std::fs::write(&file, config).map_err(|e| e.to_string())?;
    let child = Command::new("haproxy")
        .arg("-db")
        .arg("-f")
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::from(
            std::fs::File::create(dir.join(format!("{name}.log"))).map_err(|e| e.to_string())?,
        ))
        .spawn()
        .map_err(|e| {
            format!("cannot start haproxy ({e}): the fault suite needs it (Debian: apt-get install haproxy)")
        })?;
    Ok(Killed(child))
}

/// The webhook registered at the balancer on `port`, for Service creates in `NAMESPACE` only.
fn registration(ca: &[u8], port: u16) -> ValidatingWebhookConfiguration {
    ValidatingWebhookConfiguration {
        metadata: kube::api::ObjectMeta {
            name: Some(WEBHOOK_CONFIGURATION.into()),
            ..Default::default()
        },
        webhooks: Some(vec![ValidatingWebhook {
            name: "replicas.validate.digital.gov.kh".into(),
            admission_review_versions: vec!["v1".into()],
            client_config: WebhookClientConfig {
                url: Some(format!("https://127.0.0.1:{port}/validate")),
                ca_bundle: Some(ByteString(ca.to_vec())),
                ..Default::default()
            },
            failure_policy: Some("Fail".into()),
            side_effects: "None".into(),
            timeout_seconds: Some(10),
            namespace_selector: Some(LabelSelector {
                match_labels: Some(
                    [(
                        "kubernetes.io/metadata.name".to_string(),
                        NAMESPACE.to_string(),
                    )]
                    .into(),
                ),
                ..Default::default()
            }),
            rules: Some(vec![RuleWithOperations {
                api_groups: Some(vec![String::new()]),
                api_versions: Some(vec!["v1".into()]),
                operations: Some(vec!["CREATE".into()]),
                resources: Some(vec!["services".into()]),
                ..Default::default()
            }]),
            ..Default::default()
        }]),
    }
}

/// One create of the load: when it started and ended, and why it failed.
struct Outcome {
    started: Instant,
    failure: Option<String>,
}

/// Creates headless Services (open data) at `RATE` a second until `stop` is set, each in a
/// task of its own (a slow answer does not slow the next request) while fewer than `IN_FLIGHT`
/// are unanswered; a tick missed waiting for one is skipped, never made up in a burst. Each
/// load names its Services `<prefix>-<n>`, so two loads never collide.
fn load(
    client: Client,
    prefix: &'static str,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> tokio::task::JoinHandle<Vec<Outcome>> {
    tokio::spawn(async move {
        let api: Api<Service> = Api::namespaced(client, NAMESPACE);
        let outcomes = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = tokio::task::JoinSet::new();
        let slots = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
        let mut tick = tokio::time::interval(Duration::from_secs(1) / RATE);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut i = 0u64;
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            tick.tick().await;
            let Ok(slot) = slots.clone().acquire_owned().await else {
                break;
            };
            i += 1;
            let (api, outcomes) = (api.clone(), outcomes.clone());
            tasks.spawn(async move {
                let _slot = slot;
                let service: Service = serde_json::from_value(serde_json::json!({
                    "metadata": {"name": format!("{prefix}-{i}"),
                                 "labels": {"digital.gov.kh/data-class": "open"}},
                    "spec": {"clusterIP": "None", "selector": {"app": format!("{prefix}-{i}")},
                             "ports": [{"port": 8080}]}
                }))
                .unwrap();
                let started = Instant::now();
                let result = api.create(&PostParams::default(), &service).await;
                outcomes.lock().unwrap().push(Outcome {
                    started,
                    failure: result.err().map(|e| e.to_string()),
                });
            });
            while tasks.try_join_next().is_some() {}
        }
        while tasks.join_next().await.is_some() {}
        std::mem::take(&mut *outcomes.lock().unwrap())
    })
}

/// Who holds the Lease, and since when.
async fn holder(client: &Client) -> Result<(String, Option<Timestamp>), String> {
    let spec = lease(client).await?;
    Ok((
        spec.holder_identity.unwrap_or_default(),
        spec.acquire_time.map(|t| t.0),
    ))
}

/// The Lease's spec as the API server holds it now.
async fn lease(client: &Client) -> Result<k8s_openapi::api::coordination::v1::LeaseSpec, String> {
    let lease = Api::<Lease>::namespaced(client.clone(), "govkh-system")
        .get("govkh-leader")
        .await
        .map_err(|e| e.to_string())?;
    Ok(lease.spec.unwrap_or_default())
}

/// The verbs of the API server's audit log that write (it also logs LISTs).
const WRITES: [&str; 5] = ["create", "update", "patch", "delete", "deletecollection"];

/// Resources a replica creates that store nothing: reviews (a SelfSubjectReview: who govkh
/// runs as, asked by every replica at start). Not writes.
const REVIEWS: [&str; 4] = [
    "selfsubjectreviews",
    "selfsubjectaccessreviews",
    "selfsubjectrulesreviews",
    "tokenreviews",
];

/// The writes (not to Leases, not reviews) the API server's audit log records from `identity`:
/// when each was received, and what it was.
fn writes_of(audit_log: &Path, identity: &str) -> Result<Vec<(Timestamp, String)>, String> {
    let text =
        std::fs::read_to_string(audit_log).map_err(|e| format!("{}: {e}", audit_log.display()))?;
    let agent = format!("({identity})");
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|e| {
            e["userAgent"]
                .as_str()
                .is_some_and(|a| a.starts_with("govkh/") && a.ends_with(&agent))
                && e["objectRef"]["resource"].as_str() != Some("leases")
                && !e["objectRef"]["resource"]
                    .as_str()
                    .is_some_and(|r| REVIEWS.contains(&r))
                && e["verb"].as_str().is_some_and(|v| WRITES.contains(&v))
        })
        .filter_map(|e| {
            let at = e["requestReceivedTimestamp"].as_str()?.parse().ok()?;
            Some((
                at,
                format!(
                    "{} {}/{}",
                    e["verb"].as_str().unwrap_or_default(),
                    e["objectRef"]["resource"].as_str().unwrap_or_default(),
                    e["objectRef"]["name"].as_str().unwrap_or_default()
                ),
            ))
        })
        .collect())
}

fn failures(outcomes: &[Outcome], within: impl Fn(Instant) -> bool) -> Vec<&str> {
    outcomes
        .iter()
        .filter(|o| within(o.started))
        .filter_map(|o| o.failure.as_deref())
        .collect()
}

/// The step: leaves the surviving replica (leading) in `keep`, for the suite's cleanup.
pub async fn two_replicas_behind_a_balancer(
    kubeconfig: &Path,
    client: &Client,
    dir: &Path,
    audit_log: &Path,
    tls: &(PathBuf, PathBuf),
    keep: &mut Vec<Operator>,
) -> Result<(), String> {
    if let Err(e) = kubectl(kubeconfig, &["create", "namespace", "govkh-system"])
        && !e.contains("AlreadyExists")
    {
        return Err(e);
    }
    let a = A.start(kubeconfig, dir, tls, 1)?;
    wait_for("replica chaos-a ready", || A.ready()).await?;
    wait_for("chaos-a holds the Lease", || async {
        let (who, _) = holder(client).await?;
        (who == A.identity).then_some(()).ok_or(who)
    })
    .await?;
    let b = B.start(kubeconfig, dir, tls, 1)?;
    wait_for("replica chaos-b ready (a standby that admits)", || {
        B.ready()
    })
    .await?;
    let _balancer = balancer(dir)?;
    let ca = std::fs::read(&tls.0).map_err(|e| e.to_string())?;
    let hooks: Api<ValidatingWebhookConfiguration> = Api::all(client.clone());
    hooks
        .create(&PostParams::default(), &registration(&ca, BALANCER))
        .await
        .map_err(|e| format!("registering the webhook at the balancer: {e}"))?;
    let mut result = under_load(kubeconfig, client, dir, audit_log, tls, a, b, keep)
        .await
        .map_err(|e| format!("{e}\n{}", last_lines(dir)));
    if result.is_ok() {
        result = rolling_restart(kubeconfig, client, dir, tls, &hooks, &ca, keep)
            .await
            .map_err(|e| format!("rolling restart: {e}\n{}", last_lines(dir)));
    }
    if result.is_ok() {
        result = held::held_against(client, dir, tls)
            .await
            .map_err(|e| format!("held against: {e}\n{}", last_lines(dir)));
    }
    let _ = hooks
        .delete(WEBHOOK_CONFIGURATION, &DeleteParams::default())
        .await;
    // The step's tenancies go while the surviving replica runs (its finalizer releases them).
    for n in 0..=3 {
        let _ = kubectl(
            kubeconfig,
            &[
                "delete",
                "--ignore-not-found",
                "--wait=true",
                "--timeout=120s",
                "cloudtenancy",
                &format!("chaos-replica-{n}"),
            ],
        );
    }
    result
}

/// SIGTERM `replica` (`op`), wait until it has exited (within 30 s), and start it again as its
/// `run`-th run, ready.
async fn restart(
    kubeconfig: &Path,
    dir: &Path,
    tls: &(PathBuf, PathBuf),
    replica: Replica,
    mut op: Operator,
    run: u32,
) -> Result<Operator, String> {
    Command::new("kill")
        .args(["-TERM", &op.0.id().to_string()])
        .status()
        .map_err(|e| e.to_string())?;
    tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            if let Ok(Some(_)) = op.0.try_wait() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .map_err(|_| format!("{} did not stop within 30 s of SIGTERM", replica.identity))?;
    // Exited and reaped: its pid may be another process's now, so nothing is sent to it.
    std::mem::forget(op);
    let started = replica.start(kubeconfig, dir, tls, run)?;
    wait_for(&format!("{} ready again", replica.identity), || {
        replica.ready()
    })
    .await?;
    Ok(started)
}

/// A rolling restart behind the router (no retry, readiness seen within a second), under
/// load: each replica SIGTERMed and started again in turn; no admission may fail but by the
/// keep-alive race ([`KEEP_ALIVE_RACES`]).
async fn rolling_restart(
    kubeconfig: &Path,
    client: &Client,
    dir: &Path,
    tls: &(PathBuf, PathBuf),
    hooks: &Api<ValidatingWebhookConfiguration>,
    ca: &[u8],
    keep: &mut Vec<Operator>,
) -> Result<(), String> {
    // The leader (chaos-b) is in `keep`; chaos-a, killed, starts again.
    let b = keep.pop().ok_or("no surviving replica")?;
    let a = A.start(kubeconfig, dir, tls, 3)?;
    wait_for("chaos-a ready", || A.ready()).await?;
    let _router = router(dir)?;
    hooks
        .delete(WEBHOOK_CONFIGURATION, &DeleteParams::default())
        .await
        .map_err(|e| e.to_string())?;
    hooks
        .create(&PostParams::default(), &registration(ca, ROUTER))
        .await
        .map_err(|e| format!("registering the webhook at the router: {e}"))?;
    // The router's first health checks.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let began = Instant::now();
    let load = load(client.clone(), "rolling", stop.clone());
    tokio::time::sleep(Duration::from_secs(5)).await;
    let steps = async {
        let a = restart(kubeconfig, dir, tls, A, a, 4).await?;
        tokio::time::sleep(Duration::from_secs(3)).await;
        let b = restart(kubeconfig, dir, tls, B, b, 3).await?;
        tokio::time::sleep(Duration::from_secs(3)).await;
        Ok::<_, String>((a, b))
    }
    .await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let outcomes = load.await.map_err(|e| e.to_string())?;
    let (a, b) = steps?;
    keep.push(a);
    keep.push(b);
    let failed = failures(&outcomes, |_| true);
    let (raced, other): (Vec<&str>, Vec<&str>) = failed.iter().partition(|f| keep_alive_race(f));
    let total = outcomes.len();
    if total < 500 || !other.is_empty() || raced.len() > KEEP_ALIVE_RACES {
        return Err(format!(
            "{} of {total} creates failed while each replica was restarted in turn ({} of them \
             the keep-alive race, at most {KEEP_ALIVE_RACES} allowed): {:?}",
            failed.len(),
            raced.len(),
            other.iter().chain(&raced).take(5).collect::<Vec<_>>()
        ));
    }
    println!(
        "  rolling restart: {total} creates at {:.0}/s through a router that does not retry, each \
         replica SIGTERMed and started again in turn ({SHUTDOWN_DELAY} s shutdown delay): {} \
         failed, by the keep-alive race (at most {KEEP_ALIVE_RACES} allowed), none otherwise",
        total as f64 / began.elapsed().as_secs_f64(),
        raced.len()
    );
    Ok(())
}

/// HTTP/1.1 cannot close a kept-alive connection without a race (RFC 9112, section 9.3.1): the
/// server's FIN and the client's next request may cross, and Go's client does not resend a POST
/// it had begun to write. A drained replica answers with `Connection: close` and closes only
/// connections idle for `connections::LINGER`, which makes the crossing rare, not impossible:
/// one in 9,117 creates in one run (the router, a proxy in between, widens the window). So the
/// step allows a few failures of that kind, and none of any other. Through the router's TCP
/// hop the same crossing can reach the API server as a bare `EOF` (the replica's FIN ends
/// haproxy's stream after the request was written: one in 8,792 creates in one CI run, with
/// the shutdown delay), which is also what a connection routed to a closed listener looks
/// like: the bound still tells them apart, since without the shutdown delay 10 of 8,684
/// failed, each an `EOF`, and the step failed.
const KEEP_ALIVE_RACES: usize = 3;

/// Whether `failure` is the API server's request crossing the replica's close of a kept-alive
/// connection: written into it just as it closed, directly or through the router (`EOF`).
fn keep_alive_race(failure: &str) -> bool {
    // e.g. `failed calling webhook "…": failed to call webhook: Post "https://…/validate?…": EOF`
    failure.contains("use of closed network connection")
        || failure.contains("server closed idle connection")
        || failure.contains("failed to call webhook: Post") && failure.contains("\": EOF")
}

/// The last lines (not DEBUG) of each replica's logs and of the balancer's, to say why a step
/// failed.
fn last_lines(dir: &Path) -> String {
    let mut out = String::new();
    let mut logs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    logs.retain(|p| p.extension().is_some_and(|e| e == "log") && !p.ends_with("operator.log"));
    logs.sort();
    for log in logs {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().filter(|l| !l.contains("\"DEBUG\"")).collect();
        out.push_str(&format!("--- {}\n", log.display()));
        for line in &lines[lines.len().saturating_sub(12)..] {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
async fn under_load(
    kubeconfig: &Path,
    client: &Client,
    dir: &Path,
    audit_log: &Path,
    tls: &(PathBuf, PathBuf),
    a: Operator,
    mut b: Operator,
    keep: &mut Vec<Operator>,
) -> Result<(), String> {
    // The leader writes: a tenancy applied now is reconciled by chaos-a.
    apply_tenancy(kubeconfig, dir, "chaos-replica-0", "mef-replica-0")?;
    reconciled(kubeconfig, "mef-replica-0", A.identity).await?;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let began = Instant::now();
    let load = load(client.clone(), "replicas", stop.clone());
    tokio::time::sleep(Duration::from_secs(5)).await;

    // SIGTERM to the standby, under load: a graceful drain.
    Command::new("kill")
        .args(["-TERM", &b.0.id().to_string()])
        .status()
        .map_err(|e| e.to_string())?;
    let exited = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            if let Ok(Some(s)) = b.0.try_wait() {
                return s;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .map_err(|_| "chaos-b did not stop within 30 s of SIGTERM".to_string())?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let drained = Instant::now();
    // Exited and reaped: its pid may be another process's now, so nothing is sent to it.
    std::mem::forget(std::mem::replace(&mut b, B.start(kubeconfig, dir, tls, 2)?));
    wait_for("chaos-b ready again", || B.ready()).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;

    // SIGKILL to the leader, just after new tenancies are applied.
    for n in 1..=3 {
        apply_tenancy(
            kubeconfig,
            dir,
            &format!("chaos-replica-{n}"),
            &format!("mef-replica-{n}"),
        )?;
    }
    let mut a = a;
    // The leader's renewal as last seen before it dies: its real last renewal is this one or a
    // later one, so its Lease expires no sooner than this plus LEASE_DURATION.
    let renewed = lease(client)
        .await?
        .renew_time
        .map(|t| t.0)
        .ok_or("the Lease has no renewTime")?;
    let killed_at = Instant::now();
    let killed = Timestamp::try_from(SystemTime::now()).map_err(|e| e.to_string())?;
    a.0.kill().map_err(|e| e.to_string())?;
    let _ = a.0.wait();
    std::mem::forget(a); // dead: nothing for its Drop to stop
    wait_for("chaos-b holds the Lease", || async {
        let (who, _) = holder(client).await?;
        (who == B.identity).then_some(()).ok_or(who)
    })
    .await?;
    let (_, acquired) = holder(client).await?;
    for n in 1..=3 {
        reconciled(kubeconfig, &format!("mef-replica-{n}"), B.identity).await?;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let outcomes = load.await.map_err(|e| e.to_string())?;
    keep.push(b);

    let total = outcomes.len();
    let rate = total as f64 / began.elapsed().as_secs_f64();
    let during_drain = failures(&outcomes, |t| t >= began && t < drained);
    if total < 1000 || !during_drain.is_empty() {
        return Err(format!(
            "SIGTERM to a replica behind the balancer ({exited}): {} of the creates made before and \
             during its drain failed ({total} in all): {:?}",
            during_drain.len(),
            during_drain.iter().take(5).collect::<Vec<_>>()
        ));
    }
    let after_kill = failures(&outcomes, |t| t >= killed_at + KILL_WINDOW);
    if !after_kill.is_empty() {
        return Err(format!(
            "{} creates failed more than {KILL_WINDOW:?} after the leader was killed: {:?}",
            after_kill.len(),
            after_kill.iter().take(5).collect::<Vec<_>>()
        ));
    }
    let at_kill = failures(&outcomes, |t| t >= drained && t < killed_at + KILL_WINDOW);
    if let Some(other) = at_kill
        .iter()
        .find(|f| !f.contains("failed calling webhook"))
    {
        return Err(format!(
            "a create failed, not for the killed webhook: {other}"
        ));
    }
    let acquired = acquired.ok_or("the Lease has no acquireTime")?;
    let took = acquired.duration_since(killed).unsigned_abs();
    // What the protocol guarantees, whatever the machine's speed: the standby takes the Lease
    // only once the killed leader's has expired (LEASE_DURATION after its last renewal), and
    // it takes it eventually (`wait_for` above). How long it took is a figure, not a bound: the
    // standby's retry (RETRY_PERIOD) and its write add a busy machine's delays to it.
    let expired = renewed
        .checked_add(
            k8s_openapi::jiff::SignedDuration::try_from(LEASE_DURATION)
                .map_err(|e| e.to_string())?,
        )
        .map_err(|e| e.to_string())?;
    if acquired < expired {
        return Err(format!(
            "chaos-b acquired the Lease at {acquired}, before the killed leader's expired (renewed at \
             {renewed}, for {LEASE_DURATION:?})"
        ));
    }

    // From the API server's side: never both writing.
    let of_a = writes_of(audit_log, A.identity)?;
    let of_b = writes_of(audit_log, B.identity)?;
    let last_a = of_a
        .iter()
        .map(|(t, _)| *t)
        .max()
        .ok_or("no write by chaos-a in the audit log")?;
    let first_b = of_b
        .iter()
        .map(|(t, _)| *t)
        .min()
        .ok_or("no write by chaos-b in the audit log")?;
    // A write the leader sent just before the SIGKILL may be received (the audit log's time) a
    // little after it: in flight, as the admissions are, hence the window. What must never be:
    // the standby writing while the leader lives, or the two interleaved.
    let in_flight =
        k8s_openapi::jiff::SignedDuration::try_from(KILL_WINDOW).map_err(|e| e.to_string())?;
    if last_a > killed + in_flight || first_b < killed || last_a >= first_b {
        return Err(format!(
            "both replicas wrote: chaos-a's last write at {last_a}, chaos-b's first at {first_b}, \
             the leader killed at {killed} (chaos-b wrote before: {:?})",
            of_b.iter()
                .filter(|(t, _)| *t < killed)
                .take(5)
                .collect::<Vec<_>>()
        ));
    }
    println!(
        "  two replicas: {total} creates at {rate:.0}/s (offered {RATE}/s, at most {IN_FLIGHT} in \
         flight), 0 failed during the SIGTERM drain, {} failed \
         within {KILL_WINDOW:?} of the leader's SIGKILL, none after; the Lease taken over in \
         {took:?} (never before the old one expired; {LEASE_DURATION:?} lease, {RETRY_PERIOD:?} \
         retry); {} writes by chaos-a then {} by chaos-b, never interleaved",
        at_kill.len(),
        of_a.len(),
        of_b.len()
    );
    Ok(())
}
