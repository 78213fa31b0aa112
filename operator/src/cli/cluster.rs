//! The commands that read a live cluster, with their flags: `status`, `trace`, `plugin
//! install`, and the client and inventory they share with `check --cluster` and `report
//! --cluster`.

use govkh_core::{evaluate::evaluate_loaded, loading::manifest::Loader, policy::Library};
use k8s_openapi::jiff::Timestamp;
use std::{io::Write, process::ExitCode};

use super::*;
use clap::ValueEnum;

/// Arguments of `govkh status`.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// The cluster.
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
}

/// Output formats of `trace`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TraceFormat {
    /// A tree of objects and states.
    Text,
    /// The tree with each finding's message.
    Wide,
    /// The tree as JSON.
    Json,
}

/// Arguments of `govkh trace`.
#[derive(Debug, clap::Args)]
pub struct TraceArgs {
    /// How policies run.
    #[command(flatten)]
    pub engine: EngineArgs,
    /// What to trace: `ministry/NAME`, `cloudtenancy/NAME`, `privatenetworklink/NAME` or
    /// `dataaccessgrant/NAME`.
    #[arg(value_name = "KIND/NAME")]
    pub target: String,
    /// The cluster.
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = TraceFormat::Text)]
    pub format: TraceFormat,
    /// Judge as of this day (YYYY-MM-DD) or instant; default now.
    #[arg(long, visible_alias = "as-of", env = "GOVKH_NOW", value_name = "DATE")]
    pub now: Option<String>,
}

/// `govkh plugin` commands.
#[derive(Debug, Subcommand)]
pub enum PluginCommand {
    /// Link `kubectl-govkh` to this binary so that `kubectl govkh` runs it.
    Install(PluginInstallArgs),
}

/// Arguments of `govkh plugin install`.
#[derive(Debug, clap::Args)]
pub struct PluginInstallArgs {
    /// Where to put the link (a directory on PATH); default: this binary's directory.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

pub(crate) fn status(args: StatusArgs, stdout: &mut dyn Write) -> Outcome {
    let rows = with_client(
        args.cluster.kubeconfig.as_deref(),
        args.cluster.context.as_deref(),
        |client| async move {
            crate::plugin::status(client)
                .await
                .map_err(|e| format!("cannot read the Ministries and CloudTenancies: {e}"))
        },
    );
    let text = match rows {
        Ok(rows) => match args.format {
            ListFormat::Text => {
                use std::io::IsTerminal;
                Ok(crate::plugin::status_text(
                    &rows,
                    std::io::stdout().is_terminal(),
                ))
            }
            ListFormat::Json => serde_json::to_string_pretty(&rows)
                .map(|s| s + "\n")
                .map_err(|e| e.to_string()),
        },
        Err(e) => Err(e),
    };
    print(&text.map_err(Failure::new)?, stdout)?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn trace(
    args: TraceArgs,
    engine: govkh_core::policy::Mode,
    stdout: &mut dyn Write,
) -> Outcome {
    let now = match args.now.as_deref().map(parse_now).transpose() {
        Ok(Some(ts)) => ts,
        Ok(None) => Timestamp::now(),
        Err(e) => return Err(Failure::new(e)),
    };
    let policies = Library::builtin().map_err(Failure::new)?.with_mode(engine);
    let loader = Loader::new().compacting();
    let loaded = read_cluster(
        &loader,
        policies.clouds(),
        args.cluster.kubeconfig.as_deref(),
        args.cluster.context.as_deref(),
    )
    .map_err(Failure::new)?;
    let (inventory, eval, _) = evaluate_loaded(loaded, &policies, now);
    let text =
        govkh_core::trace::trace(&inventory, &eval, &args.target).and_then(|node| {
            match args.format {
                TraceFormat::Text => Ok(govkh_core::trace::trace_text(&node, false)),
                TraceFormat::Wide => Ok(govkh_core::trace::trace_text(&node, true)),
                TraceFormat::Json => serde_json::to_string_pretty(&node)
                    .map(|s| s + "\n")
                    .map_err(|e| e.to_string()),
            }
        });
    print(&text.map_err(Failure::new)?, stdout)?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn plugin_install(args: PluginInstallArgs, stdout: &mut dyn Write) -> Outcome {
    let exe = std::env::current_exe()
        .map_err(|e| Failure::new(format_args!("cannot find this binary: {e}")))?;
    let dir = args
        .dir
        .or_else(|| exe.parent().map(std::path::Path::to_path_buf))
        .ok_or_else(|| Failure::new("give --dir: this binary has no directory"))?;
    match crate::plugin::install(&dir, &exe) {
        Ok(link) => {
            let _ = writeln!(
                stdout,
                "{} -> {}: `kubectl govkh` runs govkh when {} is on PATH",
                link.display(),
                exe.display(),
                dir.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Err(Failure::new(format_args!(
            "cannot link {}/kubectl-govkh: {e}",
            dir.display()
        ))),
    }
}

/// Connect (kubeconfig, else in-cluster) and read the inventory; the runtime lives only here.
pub(crate) fn read_cluster(
    loader: &Loader,
    catalogue: &govkh_core::clouds::Catalogue,
    kubeconfig: Option<&std::path::Path>,
    context: Option<&str>,
) -> Result<govkh_core::loading::manifest::LoadResult, String> {
    with_client(kubeconfig, context, |client| async move {
        crate::cluster::read(client, loader, catalogue)
            .await
            .map_err(|e| e.to_string())
    })
}

/// Run `work` with a client of the cluster (kubeconfig, else in-cluster) on a runtime that
/// lives only for it.
pub(crate) fn with_client<T, F, Fut>(
    kubeconfig: Option<&std::path::Path>,
    context: Option<&str>,
    work: F,
) -> Result<T, String>
where
    F: FnOnce(kube::Client) -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    runtime.block_on(async {
        let options = kube::config::KubeConfigOptions {
            context: context.map(str::to_string),
            ..Default::default()
        };
        let config = match kubeconfig {
            Some(path) => {
                let kc = kube::config::Kubeconfig::read_from(path)
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                kube::Config::from_custom_kubeconfig(kc, &options)
                    .await
                    .map_err(|e| format!("{}: {e}", path.display()))?
            }
            None if context.is_some() => kube::Config::from_kubeconfig(&options)
                .await
                .map_err(|e| e.to_string())?,
            None => kube::Config::infer()
                .await
                .map_err(|e| format!("no cluster configuration found: {e}"))?,
        };
        let client = kube::Client::try_from(config).map_err(|e| e.to_string())?;
        work(client).await
    })
}
