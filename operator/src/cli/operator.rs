//! `govkh run`: its flags, turned into the operator's options, its logging set up, and the
//! runtime started.

use std::process::ExitCode;

use super::*;
use clap::ValueEnum;
use k8s_openapi::jiff::Timestamp;

/// Log formats of `govkh run`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Arguments of `govkh run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// How policies run.
    #[command(flatten)]
    pub engine: EngineArgs,
    /// Who the platform, the committee and govkh are.
    #[command(flatten)]
    pub authority: AuthorityArgs,
    /// Address of the plain-HTTP /healthz, /readyz and /metrics endpoints.
    #[arg(long, env = "GOVKH_PROBE_ADDR", default_value = "0.0.0.0:8080")]
    pub probe_addr: std::net::SocketAddr,
    /// Seconds to wait for the CRDs to be established before giving up.
    #[arg(long, env = "GOVKH_CRD_TIMEOUT", default_value_t = 120)]
    pub crd_timeout: u64,
    /// Kubeconfig file (default: in-cluster, then $KUBECONFIG, then ~/.kube/config).
    #[arg(long, env = "KUBECONFIG", value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Log format.
    #[arg(long, env = "GOVKH_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Log filter, e.g. `info` or `govkh=debug,kube=info`.
    #[arg(long, env = "GOVKH_LOG", default_value = "info")]
    pub log_level: String,
    /// Reconciles each controller runs at once (at least 1).
    #[arg(long, env = "GOVKH_CONCURRENCY", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..))]
    pub concurrency: u16,
    /// Seconds after which the audit (Ministry and GovernmentCloud status, the findings and
    /// deadline metrics) looks again when nothing woke it sooner: it runs when the index
    /// changed, the day turned, or its last writes failed — never on an unchanged cluster.
    #[arg(long, env = "GOVKH_AUDIT_INTERVAL", default_value_t = 300, value_parser = clap::value_parser!(u64).range(10..))]
    pub audit_interval: u64,
    /// Give this service account the reading of Secrets in each namespace a tenancy
    /// provisions, by a RoleBinding to this ClusterRole there (the chart's
    /// `<release>-secrets-reader`), as `ROLE=NAMESPACE/SERVICEACCOUNT`: the operator's own, so
    /// that it needs no Secret read anywhere else (Art. 25 judges only ministries' data).
    #[arg(
        long,
        env = "GOVKH_SECRETS_READER",
        value_name = "ROLE=NAMESPACE/SERVICEACCOUNT"
    )]
    pub secrets_reader: Option<govkh_core::provision::desired::SecretsReader>,
    /// Let the kernel back this process's memory with transparent huge pages (2 MiB), where
    /// the node's setting allows them. Off by default: a huge page stays resident while any of
    /// its 4 KiB pages is in use, and the kernel fills partly used ranges back into huge pages,
    /// so the resident memory grows past what govkh holds and wanders as objects come and go.
    #[arg(long, env = "GOVKH_TRANSPARENT_HUGE_PAGES")]
    pub transparent_huge_pages: bool,
    /// Take a Lease before writing, so that of several replicas exactly one writes.
    #[arg(long, env = "GOVKH_LEADER_ELECT")]
    pub leader_elect: bool,
    /// Namespace of the leader Lease (the operator's own namespace).
    #[arg(long, env = "POD_NAMESPACE", default_value = "govkh-system")]
    pub leader_election_namespace: String,
    /// Name of the leader Lease.
    #[arg(
        long,
        env = "GOVKH_LEADER_ELECTION_NAME",
        default_value = "govkh-leader"
    )]
    pub leader_election_name: String,
    /// Serve the validating admission webhook (HTTPS, `POST /validate`) on this address; needs
    /// --tls-cert-file and --tls-key-file.
    #[arg(long, env = "GOVKH_WEBHOOK_ADDR", requires_all = ["tls_cert_file", "tls_key_file"])]
    pub webhook_addr: Option<std::net::SocketAddr>,
    /// PEM certificate (chain) of the webhook; re-read when the file changes.
    #[arg(long, env = "GOVKH_TLS_CERT_FILE", value_name = "FILE")]
    pub tls_cert_file: Option<PathBuf>,
    /// PEM private key of the webhook; re-read when the file changes.
    #[arg(long, env = "GOVKH_TLS_KEY_FILE", value_name = "FILE")]
    pub tls_key_file: Option<PathBuf>,
    /// Mutual TLS: serve the webhook only to clients presenting a certificate signed by this CA
    /// (PEM) — the API server's, configured in its AdmissionConfiguration (docs/install.md) —
    /// so that nobody else who can reach the port posts reviews. Re-read when the file changes.
    #[arg(
        long,
        env = "GOVKH_WEBHOOK_CLIENT_CA_FILE",
        value_name = "FILE",
        requires = "webhook_addr"
    )]
    pub webhook_client_ca_file: Option<PathBuf>,
    /// Register this process's webhook with the cluster at this HTTPS URL (a
    /// ValidatingWebhookConfiguration `govkh-<identity>`, failurePolicy Fail), for an operator
    /// running outside the cluster; removed on shutdown. In a cluster the chart registers it.
    #[arg(
        long,
        env = "GOVKH_WEBHOOK_URL",
        requires = "webhook_addr",
        value_name = "URL"
    )]
    pub webhook_url: Option<String>,
    /// The CA (PEM) the API server trusts for --webhook-url; default: the certificate itself
    /// (a self-signed one).
    #[arg(
        long,
        env = "GOVKH_WEBHOOK_CA_FILE",
        requires = "webhook_url",
        value_name = "FILE"
    )]
    pub webhook_ca_file: Option<PathBuf>,
    /// This replica's identity in the Lease and in Events (the pod's name).
    #[arg(long, env = "POD_NAME", default_value = "govkh")]
    pub identity: String,
    /// Keep each ministry's daily compliance record (score, findings by action and article,
    /// tenancies by state, when each open breach began) in ConfigMaps of this namespace, for
    /// `govkh report --cluster`'s trends. The chart sets it to its own namespace. Not set: no
    /// history is kept.
    #[arg(long, env = "GOVKH_HISTORY_NAMESPACE", value_name = "NAMESPACE")]
    pub history_namespace: Option<String>,
    /// The reports the leader writes after each audit, for Policy Reporter and other readers:
    /// OpenReports `Report`/`ClusterReport`, the older `wgpolicyk8s.io` `PolicyReport`/
    /// `ClusterPolicyReport`, or none. Skipped, with one log line, while the API server does
    /// not serve them.
    #[arg(long, env = "GOVKH_REPORTS", value_enum, default_value_t = ReportsArg::Openreports)]
    pub reports: ReportsArg,
    /// List `pass` results in the reports too (each policy that judged an object and found
    /// nothing); `--report-pass=false` keeps only fail, warn and error.
    #[arg(long, env = "GOVKH_REPORT_PASS", default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    pub report_pass: bool,
    /// The most results one report holds (the most serious kept; its summary counts all).
    #[arg(long, env = "GOVKH_REPORT_MAX_RESULTS", default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub report_max_results: u32,
    /// Run the operator's clock from this instant (RFC 3339, or a day: its first instant in
    /// Phnom Penh) instead of the wall clock's; it advances with real time. For rehearsing what
    /// happens at a deadline on a test cluster — never with other replicas (their Lease times
    /// would disagree).
    #[arg(long, env = "GOVKH_CLOCK_START", value_name = "INSTANT", value_parser = parse_now, hide = true)]
    pub clock_start: Option<Timestamp>,
    /// Seconds the webhook goes on accepting on SIGTERM after `/readyz` has turned false,
    /// before it drains: long enough for the Service's endpoints (or a balancer) to stop
    /// sending it requests. Keep it below the pod's termination grace period.
    #[arg(long, env = "GOVKH_SHUTDOWN_DELAY", default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=120))]
    pub shutdown_delay: u64,
}

/// The reports `govkh run --reports` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportsArg {
    /// `openreports.io/v1alpha1` `Report` and `ClusterReport`.
    Openreports,
    /// `wgpolicyk8s.io/v1alpha2` `PolicyReport` and `ClusterPolicyReport`.
    Wgpolicyk8s,
    /// No reports.
    None,
}

pub(crate) fn run_operator(args: RunArgs, engine: govkh_core::policy::Mode) -> Outcome {
    let filter = tracing_subscriber::EnvFilter::try_new(&args.log_level)
        .map_err(|e| Failure::new(format_args!("--log-level {:?}: {e}", args.log_level)))?;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only on a terminal: a log piped to a file or a collector stays plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let installed = match args.log_format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    installed.map_err(|e| Failure::new(format_args!("cannot set up logging: {e}")))?;
    // Before the runtime's threads and the index allocate: what is faulted in from here on is
    // backed by 4 KiB pages unless asked otherwise.
    if let Err(e) = crate::run::huge_pages(args.transparent_huge_pages) {
        tracing::warn!(error = %e, "cannot set whether transparent huge pages back this process's memory");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(format_args!("cannot start the runtime: {e}")))?;
    let options = crate::run::RunOptions {
        engine,
        probe_addr: args.probe_addr,
        crd_timeout: std::time::Duration::from_secs(args.crd_timeout),
        kubeconfig: args.kubeconfig,
        concurrency: args.concurrency,
        audit_interval: std::time::Duration::from_secs(args.audit_interval),
        identity: args.identity,
        webhook: match (args.webhook_addr, args.tls_cert_file, args.tls_key_file) {
            (Some(addr), Some(cert), Some(key)) => Some(crate::run::WebhookOptions {
                addr,
                register: args.webhook_url.map(|url| crate::run::Registration {
                    url,
                    ca_file: args.webhook_ca_file.unwrap_or_else(|| cert.clone()),
                }),
                tls: crate::webhook::TlsFiles {
                    cert,
                    key,
                    client_ca: args.webhook_client_ca_file.clone(),
                },
            }),
            _ => None,
        },
        history_namespace: args.history_namespace,
        reports: match args.reports {
            ReportsArg::Openreports => Some(govkh_core::render::openreports::Flavour::Openreports),
            ReportsArg::Wgpolicyk8s => Some(govkh_core::render::openreports::Flavour::Wgpolicyk8s),
            ReportsArg::None => None,
        }
        .map(|flavour| govkh_core::render::openreports::Options {
            flavour,
            pass: args.report_pass,
            max_results: args.report_max_results as usize,
        }),
        secrets_reader: args.secrets_reader,
        authority: args.authority.authority(&args.leader_election_namespace),
        clock_start: args.clock_start,
        shutdown_delay: std::time::Duration::from_secs(args.shutdown_delay),
        leader_election: args.leader_elect.then_some(crate::run::LeaderElection {
            namespace: args.leader_election_namespace,
            name: args.leader_election_name,
        }),
    };
    runtime
        .block_on(crate::run::run(options))
        .map(|()| ExitCode::SUCCESS)
        .map_err(|e| {
            // In the log for whoever reads it there, and said on stderr by the command line.
            tracing::error!(error = %e, "govkh run failed");
            Failure::new(e)
        })
}
