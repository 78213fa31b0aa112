//! Held against: 2,000 idle TLS connections and 200 slowloris clients (a request head promising
//! a 100 KB body, then one byte a second, reconnecting when cut) against the two replicas'
//! webhook ports, while the API server creates Services at up to 150 a second through the
//! router. Not one create may fail; the leader's Lease is renewed throughout (same holder, no
//! gap between renewals near its renew deadline); each replica's `/readyz` answers within the
//! kubelet's default probe timeout (1 s) every time it is asked.

use std::{
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use kube::Client;
use rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};
use tokio::io::AsyncWriteExt;

use super::{A, B, Replica, failures, lease, load, router};

/// Idle TLS connections held, half on each replica.
const IDLE: usize = 2_000;
/// Slowloris clients, half on each replica.
const SLOW: usize = 200;
/// How long the load runs with both held.
const HELD_FOR: Duration = Duration::from_secs(30);
/// A renewal gap this long means the leader is about to step down (`lease::Timing`'s renew
/// deadline).
const RENEW_DEADLINE: Duration = Duration::from_secs(10);
/// The kubelet's default probe timeout (`timeoutSeconds: 1`): a slower `/readyz` is a failed
/// probe, the replica taken out of its Service.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

type Tls = tokio_rustls::client::TlsStream<tokio::net::TcpStream>;

fn connector(cert: &Path) -> Result<tokio_rustls::TlsConnector, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(cert).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

async fn connect(connector: &tokio_rustls::TlsConnector, r: Replica) -> Result<Tls, String> {
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", r.hook))
        .await
        .map_err(|e| format!("connect to {}: {e}", r.identity))?;
    let name = ServerName::try_from("127.0.0.1").map_err(|e| e.to_string())?;
    connector
        .connect(name, tcp)
        .await
        .map_err(|e| format!("TLS with {}: {e}", r.identity))
}

/// The most open files this process may hold (its soft limit).
fn open_files_limit() -> Option<u64> {
    std::fs::read_to_string("/proc/self/limits")
        .ok()?
        .lines()
        .find(|l| l.starts_with("Max open files"))?
        .split_whitespace()
        .nth(3)?
        .parse()
        .ok()
}

/// A slowloris client on `r` until `stop`: a request head promising 100 KB, then a byte a
/// second; when the replica cuts it, again. Counts the connections it made.
async fn slowloris(
    connector: tokio_rustls::TlsConnector,
    r: Replica,
    stop: Arc<AtomicBool>,
    made: Arc<AtomicUsize>,
) {
    while !stop.load(Ordering::Relaxed) {
        let Ok(mut tls) = connect(&connector, r).await else {
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        };
        made.fetch_add(1, Ordering::Relaxed);
        let head = "POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n";
        if tls.write_all(head.as_bytes()).await.is_err() {
            continue;
        }
        while !stop.load(Ordering::Relaxed) {
            tokio::time::sleep(Duration::from_secs(1)).await;
            if tls.write_all(b"{").await.is_err() || tls.flush().await.is_err() {
                break;
            }
        }
    }
}

/// `/readyz` of `r`, timed; `Err` when it does not answer 200 within 5 s.
async fn readyz(r: Replica) -> Result<Duration, String> {
    let t = Instant::now();
    match tokio::time::timeout(Duration::from_secs(5), r.ready()).await {
        Ok(Ok(())) => Ok(t.elapsed()),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(format!("{} /readyz: no answer within 5 s", r.identity)),
    }
}

/// The step (the replicas running, the webhook registered at the router).
pub async fn held_against(
    client: &Client,
    dir: &Path,
    tls: &(PathBuf, PathBuf),
) -> Result<(), String> {
    // Both ends of every connection are on this machine: the suite's process, and the two
    // replicas it started (which inherit its limit).
    let need = (IDLE + SLOW) as u64 + 1_000;
    match open_files_limit() {
        Some(n) if n >= need => {}
        limit => {
            return Err(format!(
                "this step holds {} connections: it needs at least {need} open files, the limit is {limit:?} (raise it: ulimit -n {need})",
                IDLE + SLOW
            ));
        }
    }
    let _router = router(dir)?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let connector = connector(&tls.0)?;
    let began = Instant::now();
    let mut idle: Vec<Tls> = Vec::with_capacity(IDLE);
    for chunk in 0..IDLE / 100 {
        let mut set = tokio::task::JoinSet::new();
        for i in 0..100 {
            let r = if (chunk * 100 + i) % 2 == 0 { A } else { B };
            let c = connector.clone();
            set.spawn(async move { connect(&c, r).await });
        }
        while let Some(done) = set.join_next().await {
            idle.push(done.map_err(|e| e.to_string())??);
        }
    }
    let opened = began.elapsed();
    let stop = Arc::new(AtomicBool::new(false));
    let made = Arc::new(AtomicUsize::new(0));
    let mut slow = tokio::task::JoinSet::new();
    for i in 0..SLOW {
        let r = if i % 2 == 0 { A } else { B };
        slow.spawn(slowloris(connector.clone(), r, stop.clone(), made.clone()));
    }
    // Let the slowloris clients all connect before the load starts.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (holder, _) = super::holder(client).await?;
    let load_stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let creates = load(client.clone(), "held", load_stop.clone());
    let mut slowest = Duration::ZERO;
    let mut renewals: Vec<(Instant, Option<k8s_openapi::jiff::Timestamp>)> = Vec::new();
    let mut problems = Vec::new();
    while started.elapsed() < HELD_FOR {
        for r in [A, B] {
            match readyz(r).await {
                Ok(took) => slowest = slowest.max(took),
                Err(e) => problems.push(e),
            }
        }
        let spec = lease(client).await?;
        if spec.holder_identity.as_deref() != Some(holder.as_str()) {
            problems.push(format!(
                "the Lease passed from {holder} to {:?} while held against",
                spec.holder_identity
            ));
        }
        renewals.push((Instant::now(), spec.renew_time.map(|t| t.0)));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    load_stop.store(true, Ordering::Relaxed);
    let outcomes = creates.await.map_err(|e| e.to_string())?;
    let took = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    slow.abort_all();
    // The idle connections were held to the end: each still open, never written to.
    let still_idle = idle.len();
    drop(idle);

    // The longest the Lease went without a renewal, as seen from here: between two changes of
    // renewTime, or from the last change to the end.
    let mut longest = Duration::ZERO;
    let mut since: Option<(Instant, Option<k8s_openapi::jiff::Timestamp>)> = None;
    for (at, renewed) in &renewals {
        match since {
            Some((from, last)) if last == *renewed => longest = longest.max(*at - from),
            _ => since = Some((*at, *renewed)),
        }
    }
    if longest >= RENEW_DEADLINE {
        problems.push(format!(
            "the Lease went {longest:?} without a renewal (its holder steps down at {RENEW_DEADLINE:?})"
        ));
    }
    if slowest >= PROBE_TIMEOUT {
        problems.push(format!(
            "/readyz took {slowest:?}: past the kubelet's default probe timeout ({PROBE_TIMEOUT:?})"
        ));
    }
    let failed = failures(&outcomes, |_| true);
    let total = outcomes.len();
    if total < 500 || !failed.is_empty() {
        problems.push(format!(
            "{} of {total} creates failed while held against: {:?}",
            failed.len(),
            failed.iter().take(5).collect::<Vec<_>>()
        ));
    }
    if !problems.is_empty() {
        return Err(problems.join("; "));
    }
    println!(
        "  held against: {still_idle} idle TLS connections (opened in {opened:.1?}) and {SLOW} slowloris \
         clients ({} connections made, each cut and made again) on the two webhook ports; {total} \
         creates at {:.0}/s through the router: 0 failed; /readyz at most {slowest:.1?}; the Lease \
         kept by {holder}, at most {longest:.1?} between renewals seen",
        made.load(Ordering::Relaxed),
        total as f64 / took.as_secs_f64()
    );
    Ok(())
}
