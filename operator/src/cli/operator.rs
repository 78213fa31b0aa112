//! `govkh run`: the operator's flags turned into its options, its logging set up, and the runtime
//! started.

use std::process::ExitCode;

use super::*;

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
