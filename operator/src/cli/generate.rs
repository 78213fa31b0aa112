//! `govkh crds`, `govkh rbac` and `govkh vap` with their flags: the generated CRDs, the
//! operator's permissions and the admission policies, printed or written where the chart and
//! `crds/` keep them.

use govkh_core::api::crdgen;
use std::{io::Write, process::ExitCode};

use super::*;

/// Arguments of `govkh crds`.
#[derive(Debug, clap::Args)]
pub struct CrdsArgs {
    /// Write one file per CRD into this directory instead of printing them.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// The OpenReports CRDs (`reports.openreports.io`, `clusterreports.openreports.io`) instead,
    /// generated from the report types govkh writes: for a cluster where no other tool
    /// installed them (the chart's `openreports.installCRDs`).
    #[arg(long)]
    pub openreports: bool,
}

/// Arguments of `govkh rbac`.
#[derive(Debug, clap::Args)]
pub struct RbacArgs {
    /// Write `files/clusterrole-rules.yaml` and `files/role-rules.yaml` into this chart
    /// directory instead of printing them.
    #[arg(long, value_name = "CHART_DIR")]
    pub chart_dir: Option<PathBuf>,
}

/// Arguments of `govkh vap`.
#[derive(Debug, clap::Args)]
pub struct VapArgs {
    /// govkh's own namespace, which the policies leave alone.
    #[arg(long, default_value = "govkh-system")]
    pub namespace: String,
    /// Who the platform, the committee and govkh are, and the namespaces the policies leave
    /// alone (`--exempt-namespace`, or `--exempt`; kube-system, kube-public and kube-node-lease
    /// always are).
    #[command(flatten)]
    pub authority: AuthorityArgs,
    /// Write `files/admission-policies.yaml` into this chart directory instead of printing.
    #[arg(long, value_name = "CHART_DIR")]
    pub chart_dir: Option<PathBuf>,
}

pub(crate) fn crds(args: CrdsArgs, stdout: &mut dyn Write) -> Outcome {
    let result = match (&args.out_dir, args.openreports) {
        (None, false) => crdgen::all_yaml()
            .map_err(|e| e.to_string())
            .and_then(|y| stdout.write_all(y.as_bytes()).map_err(|e| e.to_string())),
        (Some(dir), false) => write_crds(dir),
        (dir, true) => write_openreports_crds(dir.as_deref(), stdout),
    };
    result.map(|()| ExitCode::SUCCESS).map_err(Failure::new)
}

pub(crate) fn rbac(args: RbacArgs, stdout: &mut dyn Write) -> Outcome {
    let result = govkh_core::provision::rbac::chart_files()
        .map_err(|e| e.to_string())
        .and_then(|files| {
            for (path, text) in files {
                match &args.chart_dir {
                    None => writeln!(stdout, "---\n# {path}\n{text}").map_err(|e| e.to_string())?,
                    Some(dir) => {
                        let p = dir.join(path);
                        if let Some(parent) = p.parent() {
                            std::fs::create_dir_all(parent)
                                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
                        }
                        std::fs::write(&p, text)
                            .map_err(|e| format!("cannot write {}: {e}", p.display()))?;
                    }
                }
            }
            Ok(())
        });
    result.map(|()| ExitCode::SUCCESS).map_err(Failure::new)
}

pub(crate) fn vap(args: VapArgs, stdout: &mut dyn Write) -> Outcome {
    use govkh_core::provision::admission_policies as vap;
    let opts = vap::Options {
        authority: args.authority.authority(&args.namespace),
    };
    let result = govkh_core::policy::Library::builtin()
        .map_err(|e| e.to_string())
        .and_then(|lib| match &args.chart_dir {
            // The chart gives the objects its release's namespace and exemptions.
            Some(dir) => {
                let text = vap::chart_file(&lib).map_err(|e| e.to_string())?;
                let p = dir.join(vap::CHART_FILE);
                std::fs::write(&p, text).map_err(|e| format!("cannot write {}: {e}", p.display()))
            }
            None => {
                let objects =
                    vap::generate(&lib, &vap::twins(), &opts).map_err(|e| e.to_string())?;
                let text = vap::to_yaml(&objects).map_err(|e| e.to_string())?;
                stdout.write_all(text.as_bytes()).map_err(|e| e.to_string())
            }
        });
    result.map(|()| ExitCode::SUCCESS).map_err(Failure::new)
}

pub(crate) fn write_crds(dir: &std::path::Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    for (file, crd) in crdgen::all() {
        let yaml = crdgen::to_yaml(&crd).map_err(|e| e.to_string())?;
        let path = dir.join(file);
        std::fs::write(&path, yaml).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

pub(crate) fn write_openreports_crds(
    dir: Option<&std::path::Path>,
    stdout: &mut dyn Write,
) -> Result<(), String> {
    let crds = govkh_core::render::openreports::crds().map_err(|e| e.to_string())?;
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    for (file, crd) in crds {
        let yaml = crdgen::to_yaml_with(&crd, govkh_core::render::openreports::HEADER)
            .map_err(|e| e.to_string())?;
        match dir {
            None => write!(stdout, "---\n{yaml}").map_err(|e| e.to_string())?,
            Some(dir) => {
                let path = dir.join(file);
                std::fs::write(&path, yaml)
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            }
        }
    }
    Ok(())
}
