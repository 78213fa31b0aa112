//! `govkh crds`, `govkh rbac` and `govkh vap`: the generated CRDs, the operator's permissions
//! and the admission policies, printed or written where the chart and `crds/` keep them.

use govkh_core::api::crdgen;
use std::{io::Write, process::ExitCode};

use super::*;

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
