//! Helpers of the suites that run on a real cluster (`e2e.rs`, `chaos.rs`): kubectl, bounded
//! waits, the operator process, the probe server, the harness's closing lines.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command},
    time::{Duration, Instant},
};

/// The example files the real-cluster suites apply (not `workloads/`, whose VolumeSnapshot
/// needs a CRD a bare cluster lacks), in order.
pub const FILES: [&str; 9] = [
    "00-government-cloud.yaml",
    "01-data-classes.yaml",
    "02-ministries.yaml",
    "10-tenancies.yaml",
    "20-approvals.yaml",
    "30-links.yaml",
    "40-grants-by-moh.yaml",
    "41-grants-by-gdt.yaml",
    "42-grants-by-the-committee.yaml",
];

/// A client of the cluster `kubeconfig` describes.
pub async fn client(kubeconfig: &Path) -> Result<kube::Client, String> {
    let kc = kube::config::Kubeconfig::read_from(kubeconfig).map_err(|e| e.to_string())?;
    let config = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .map_err(|e| e.to_string())?;
    kube::Client::try_from(config).map_err(|e| e.to_string())
}

/// Apply the CRDs in `crds` (a file or folder) and the example files, waiting until the CRDs
/// are established. The API server must take the CRDs without a warning (an unrecognised
/// `format` is one).
pub fn install_examples(kubeconfig: &Path, crds: &Path, examples: &Path) -> Result<(), String> {
    install_crds(kubeconfig, crds)?;
    for f in FILES {
        let path = examples.join(f);
        kubectl(kubeconfig, &["apply", "-f", &path.to_string_lossy()])?;
    }
    Ok(())
}

/// Apply the CRDs in `path` (a file or folder) and wait until they are established; a warning
/// from the API server is an error.
pub fn install_crds(kubeconfig: &Path, path: &Path) -> Result<(), String> {
    let path = path.to_string_lossy();
    let (_, warnings) = kubectl_with_stderr(kubeconfig, &["apply", "--server-side", "-f", &path])?;
    if warnings.contains("Warning") {
        return Err(format!(
            "the API server warned about the CRDs in {path}:\n{warnings}"
        ));
    }
    kubectl(
        kubeconfig,
        &[
            "wait",
            "--for=condition=Established",
            "--timeout=60s",
            "-f",
            &path,
        ],
    )
    .map(|_| ())
}

/// kubectl's standard output.
pub fn kubectl(kubeconfig: &Path, args: &[&str]) -> Result<String, String> {
    kubectl_with_stderr(kubeconfig, args).map(|(out, _)| out)
}

/// How long one kubectl call may take. `kubectl delete` waits a week by default for what it
/// deletes to be gone: a CRD whose objects keep a finalizer nobody removes (the operator
/// stopped by a failed check) would hold the whole suite, and CI, until its limit.
const KUBECTL_LIMIT: u64 = 180;

/// The bound of one call: `KUBECTL_LIMIT`, or 30 s more than the `--timeout=Ns` the call gives
/// kubectl when that is longer. The bound must not cut short a wait a step chose: the fault
/// suite's `delete namespace … --timeout=600s` (some 20,000 Services to delete) was cut at 180 s
/// with one core of the machine busy.
fn limit_of(args: &[&str]) -> u64 {
    args.iter()
        .filter_map(|a| {
            a.strip_prefix("--timeout=")?
                .strip_suffix('s')?
                .parse::<u64>()
                .ok()
        })
        .map(|asked| asked + 30)
        .fold(KUBECTL_LIMIT, u64::max)
}

/// kubectl's standard output and standard error (where the API server's warnings are shown).
/// Bounded by `limit_of(args)` seconds (coreutils `timeout`).
pub fn kubectl_with_stderr(kubeconfig: &Path, args: &[&str]) -> Result<(String, String), String> {
    let limit = limit_of(args);
    let out = Command::new("timeout")
        .args([
            "--kill-after=5",
            &limit.to_string(),
            "kubectl",
            "--kubeconfig",
        ])
        .arg(kubeconfig)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run kubectl: {e}"))?;
    // `timeout` exits 124 when it stopped the command (137 when it had to kill it).
    if matches!(out.status.code(), Some(124) | Some(137)) {
        return Err(format!(
            "kubectl {}: did not finish within {limit} s",
            args.join(" ")
        ));
    }
    if out.status.success() {
        Ok((
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ))
    } else {
        Err(format!(
            "kubectl {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// Poll `check` every `every` until it returns Ok, at most `timeout`; the last error explains
/// a timeout.
pub async fn wait_until<F, Fut>(
    what: &str,
    timeout: Duration,
    every: Duration,
    mut check: F,
) -> Result<(), String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let start = Instant::now();
    loop {
        match check().await {
            Ok(()) => return Ok(()),
            Err(e) if start.elapsed() > timeout => {
                return Err(format!("{what}: not so after {}s: {e}", timeout.as_secs()));
            }
            Err(_) => tokio::time::sleep(every).await,
        }
    }
}

/// The operator under test: SIGTERM when dropped (it deregisters its webhook and drains), then
/// SIGKILL after 20 s.
pub struct Operator(pub Child);

impl Drop for Operator {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The whole answer (status line, headers, body) to GET `path` on a plain-HTTP server.
pub async fn get(addr: &str, path: &str) -> Result<String, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut out = String::new();
    s.read_to_string(&mut out)
        .await
        .map_err(|e| e.to_string())?;
    Ok(out)
}

/// A real-cluster suite's `main`: `run` on the cluster `GOVKH_E2E_KUBECONFIG` names, reported
/// as the test `name`; without the variable one line saying `what` did not run, and no "test
/// result" (so it is never counted as passed).
pub fn main<F, Fut>(name: &str, what: &str, run: F)
where
    F: FnOnce(std::path::PathBuf) -> Fut,
    Fut: std::future::Future<Output = Result<(), String>>,
{
    let Some(kubeconfig) = std::env::var_os("GOVKH_E2E_KUBECONFIG") else {
        println!("{name}: GOVKH_E2E_KUBECONFIG is not set; {what} did not run");
        return;
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return finish(name, Err(format!("no async runtime: {e}"))),
    };
    finish(name, runtime.block_on(run(kubeconfig.into())));
}

/// The harness's closing lines for the one test `name` of a suite (as libtest prints them, so
/// CI counts it), exiting 1 when it failed.
pub fn finish(name: &str, result: Result<(), String>) {
    match result {
        Ok(()) => {
            println!("test {name} ... ok");
            println!(
                "\ntest result: ok. 1 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out"
            );
        }
        Err(e) => {
            println!("test {name} ... FAILED\n{e}");
            println!(
                "\ntest result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out"
            );
            std::process::exit(1);
        }
    }
}

/// A self-signed certificate for 127.0.0.1, written as PEM files in `dir`: (certificate, key).
pub fn loopback_certificate(dir: &Path) -> Result<(PathBuf, PathBuf), String> {
    let key = rcgen::KeyPair::generate().map_err(|e| e.to_string())?;
    let params =
        rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).map_err(|e| e.to_string())?;
    let cert = params.self_signed(&key).map_err(|e| e.to_string())?;
    let (c, k) = (dir.join("tls.crt"), dir.join("tls.key"));
    std::fs::write(&c, cert.pem()).map_err(|e| e.to_string())?;
    std::fs::write(&k, key.serialize_pem()).map_err(|e| e.to_string())?;
    Ok((c, k))
}

/// The project's control plane's state directory, as controlplane/start.sh chose it (its
/// `logs/audit.log` is the API server's audit log).
pub fn state_dir() -> PathBuf {
    std::env::var_os("GOVKH_CONTROLPLANE_DIR")
        .map_or_else(|| super::root().join("target/controlplane"), PathBuf::from)
}
