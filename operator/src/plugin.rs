//! `kubectl govkh`: the same binary as a kubectl plugin (installed as `kubectl-govkh`, or
//! linked there by `govkh plugin install`). `status` prints each ministry's compliance from
//! the Ministry and CloudTenancy statuses the operator writes; `trace KIND/NAME` draws how a
//! ministry's objects hang together (the core's `trace`, on the live cluster judged by the same
//! core as `check --cluster`); `check -f FILES` is `govkh check --cluster FILES`.

use std::{collections::BTreeMap, ffi::OsString, fmt::Write, path::Path};

use govkh_core::api::{CloudTenancy, Day, Ministry};
use kube::{Api, Client, api::ListParams};
use serde::Serialize;

/// The name kubectl finds the plugin by.
pub const PLUGIN_NAME: &str = "kubectl-govkh";

/// The arguments as govkh reads them: invoked as `kubectl-govkh`, `check -f A -f B` (kubectl's
/// way of naming files) becomes `check --cluster A B`, and `status`/`trace -o json` (kubectl's
/// way of naming a format) `--format json`; anything else is passed as is.
pub fn plugin_args(args: Vec<OsString>) -> Vec<OsString> {
    let invoked_as_plugin = args
        .first()
        .and_then(|a| Path::new(a).file_name())
        .is_some_and(|n| n == PLUGIN_NAME);
    if !invoked_as_plugin {
        return args;
    }
    if args.get(1).is_some_and(|a| a == "status" || a == "trace") {
        return args
            .into_iter()
            .map(|a| if a == "-o" { "--format".into() } else { a })
            .collect();
    }
    if args.get(1).is_none_or(|a| a != "check") {
        return args;
    }
    let mut out: Vec<OsString> = vec![args[0].clone(), "check".into(), "--cluster".into()];
    let mut rest = args.into_iter().skip(2);
    while let Some(a) = rest.next() {
        if a == "-f" || a == "--filename" {
            if let Some(file) = rest.next() {
                out.push(file);
            }
        } else if let Some(file) = a.to_str().and_then(|s| s.strip_prefix("--filename=")) {
            out.push(file.into());
        } else {
            out.push(a);
        }
    }
    out
}

/// Link `kubectl-govkh` in `dir` to `exe`, so that `kubectl govkh` runs it.
pub fn install(dir: &Path, exe: &Path) -> std::io::Result<std::path::PathBuf> {
    let link = dir.join(PLUGIN_NAME);
    if link.symlink_metadata().is_ok() {
        std::fs::remove_file(&link)?;
    }
    std::os::unix::fs::symlink(exe, &link)?;
    Ok(link)
}

/// One ministry's line of `status`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusRow {
    /// Its code.
    pub ministry: String,
    /// Its score, once the operator has audited it.
    pub score: Option<u8>,
    /// Denials.
    pub deny: u32,
    /// Warnings.
    pub warn: u32,
    /// The nearest running deadline.
    pub next_deadline: Option<Day>,
    /// Its tenancies by clock state.
    pub tenancies: BTreeMap<String, u32>,
}

/// Each ministry's compliance, as the operator last wrote it.
pub async fn status(client: Client) -> Result<Vec<StatusRow>, kube::Error> {
    let ministries = Api::<Ministry>::all(client.clone())
        .list(&ListParams::default())
        .await?;
    let tenancies = Api::<CloudTenancy>::all(client)
        .list(&ListParams::default())
        .await?;
    let mut rows = Vec::new();
    for m in ministries.items {
        let code = m.metadata.name.clone().unwrap_or_default();
        let compliance = m.status.as_ref().and_then(|s| s.compliance.clone());
        let mut by_state: BTreeMap<String, u32> = BTreeMap::new();
        for t in tenancies.items.iter().filter(|t| t.spec.ministry == code) {
            let state = t
                .status
                .as_ref()
                .and_then(|s| s.state)
                .map_or("Unknown", |s| s.as_str());
            *by_state.entry(state.to_string()).or_default() += 1;
        }
        rows.push(StatusRow {
            ministry: code,
            score: compliance.as_ref().map(|c| c.score),
            deny: compliance.as_ref().map_or(0, |c| c.findings.deny),
            warn: compliance.as_ref().map_or(0, |c| c.findings.warn),
            next_deadline: compliance.as_ref().and_then(|c| c.next_deadline),
            tenancies: by_state,
        });
    }
    Ok(rows)
}

/// `status` as a table; with `colour`, scores in green, amber or red as the report draws them.
pub fn status_text(rows: &[StatusRow], colour: bool) -> String {
    let paint = |score: Option<u8>, text: String| match (colour, score) {
        (true, Some(90..=100)) => format!("\x1b[32m{text}\x1b[0m"),
        (true, Some(70..=89)) => format!("\x1b[33m{text}\x1b[0m"),
        (true, Some(_)) => format!("\x1b[31m{text}\x1b[0m"),
        _ => text,
    };
    let width = rows
        .iter()
        .map(|r| r.ministry.len())
        .max()
        .unwrap_or(0)
        .max("MINISTRY".len());
    let mut out = format!(
        "{:<width$}  SCORE  DENY  WARN  NEXT-DEADLINE  TENANCIES\n",
        "MINISTRY"
    );
    for r in rows {
        let score = r.score.map_or("-".to_string(), |s| s.to_string());
        let tenancies = if r.tenancies.is_empty() {
            "-".to_string()
        } else {
            r.tenancies
                .iter()
                .map(|(s, n)| format!("{n} {s}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(
            out,
            "{:<width$}  {}  {:>4}  {:>4}  {:<13}  {tenancies}",
            govkh_core::printable::printable(&r.ministry),
            paint(r.score, format!("{score:>5}")),
            r.deny,
            r.warn,
            r.next_deadline.map_or("-".to_string(), |d| d.to_string()),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<OsString> {
        a.iter().map(OsString::from).collect()
    }

    #[test]
    fn kubectl_spellings_become_govkh_ones_only_for_the_plugin() {
        assert_eq!(
            plugin_args(args(&[
                "/usr/local/bin/kubectl-govkh",
                "check",
                "-f",
                "a.yaml",
                "--filename=b",
                "-f",
                "c"
            ])),
            args(&[
                "/usr/local/bin/kubectl-govkh",
                "check",
                "--cluster",
                "a.yaml",
                "b",
                "c"
            ])
        );
        assert_eq!(
            plugin_args(args(&[
                "kubectl-govkh",
                "trace",
                "ministry/mef",
                "-o",
                "json"
            ])),
            args(&["kubectl-govkh", "trace", "ministry/mef", "--format", "json"])
        );
        // As govkh, nothing changes: -f is the format there.
        let own = args(&["govkh", "check", "-f", "json", "examples/"]);
        assert_eq!(plugin_args(own.clone()), own);
    }

    #[test]
    fn install_links_the_plugin_name_to_the_binary() {
        let dir = std::env::temp_dir().join(format!("govkh-plugin-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let exe = dir.join("govkh");
        std::fs::write(&exe, "").unwrap();
        let link = install(&dir, &exe).unwrap();
        assert_eq!(std::fs::read_link(&link).unwrap(), exe);
        // Again: replaced, not an error.
        install(&dir, &exe).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
