//! The `govkh` command line: the commands, one file each with its own flags (`check`,
//! `report`, `policy`, `generate` for crds and rbac, `cluster` for status, trace and the
//! plugin, `operator` for run), the flags they share (`args`), and here the dispatch and the
//! one place a command's failure is said and becomes exit code 2 (`Failure`, in `run`). The
//! wall clock is read at this edge, and only when `--now` is not given.

use std::{
    io::{Read, Write},
    path::PathBuf,
    process::ExitCode,
};

use clap::{Parser, Subcommand};

use govkh_core::{message::Lang, policy::Library};

mod args;
mod check;
mod cluster;
mod generate;
mod operator;
mod policy;
mod report;

pub use args::*;
pub use check::*;
use cluster::*;
use generate::*;
use operator::*;
use policy::*;
use report::*;

/// govkh: Cambodia's Law on Digital Government on Kubernetes.
#[derive(Debug, Parser)]
#[command(name = "govkh", version, about, long_about = None)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check manifests against the law, offline: load them, evaluate, print findings. Exit code
    /// 0 when nothing is denied, 1 when something is, 2 on usage or load errors.
    Check(CheckArgs),
    /// Print the CustomResourceDefinitions of the digital.gov.kh API (or write them, one file
    /// per kind, into a directory).
    Crds(CrdsArgs),
    /// Print the RBAC rules `govkh run` needs (the ClusterRole's, then the Role's for the
    /// leader Lease), or write them into a chart directory's `files/`.
    Rbac(RbacArgs),
    /// Print the ValidatingAdmissionPolicies (and their bindings) that let the API server
    /// itself refuse what CEL can decide — data placement, official domains, approval
    /// authority, unclassified data — so those denials hold while the webhook is down.
    Vap(VapArgs),
    /// Work with the Rego policy library.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// The Digital Government Committee's compliance report: per-ministry scores, the
    /// statutory clock, findings by article with their fines, approvals, grants, deadlines.
    Report(ReportArgs),
    /// The committee's register of APIs (Art. 27): each API a ministry's Service, Ingress or
    /// HTTPRoute declares (`digital.gov.kh/api`), with its versions, life-cycle and
    /// specification. Exit code 2 on usage or load errors.
    Apis(ApisArgs),
    /// Each ministry's compliance from the cluster's Ministry and CloudTenancy statuses (as
    /// `kubectl govkh status`).
    Status(StatusArgs),
    /// How a ministry's objects hang together, with their states and findings, judged live
    /// (as `kubectl govkh trace ministry/mef`).
    Trace(TraceArgs),
    /// The kubectl plugin.
    #[command(subcommand)]
    Plugin(PluginCommand),
    /// Run the operator: waits for the CRDs, reconciles tenancies (namespaces, quotas, network
    /// policies, role bindings, the statutory clock), links, grants, approvals, ministries and
    /// the government cloud, audits the cluster periodically, serves /healthz, /readyz and
    /// /metrics, stops on SIGTERM. With --leader-elect, replicas share a Lease.
    Run(RunArgs),
}

/// The built-in library (unless refused) plus users' directories.
pub fn load_policies(
    dirs: &[PathBuf],
    no_builtin: bool,
) -> Result<Library, govkh_core::policy::Error> {
    let mut sources = if no_builtin {
        Vec::new()
    } else {
        govkh_core::policy::builtin_sources()
    };
    for d in dirs {
        sources.extend(govkh_core::policy::dir_sources(d)?);
    }
    Library::load(&sources)
}

/// The language asked for, else the locale's (LC_ALL, then LC_MESSAGES, then LANG, as POSIX
/// orders them), else English. The environment is read here, at the edge.
pub fn lang_or_locale(asked: Option<Lang>) -> Lang {
    asked.unwrap_or_else(|| {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|v| std::env::var(v).ok())
            .find(|v| !v.is_empty())
            .map(|v| Lang::from_locale(&v))
            .unwrap_or_default()
    })
}

/// Why a command could not do its work. `run` alone says it on stderr (`error: …`, one line
/// each) and turns it into exit code 2, as cargo and ripgrep do: a command returns its
/// failure, it never prints one or picks the code itself.
#[derive(Debug)]
pub enum Failure {
    /// What went wrong, one or more lines.
    Message(Vec<String>),
    /// Standard output is closed (a pipe whose reader left): nothing to say, nowhere useful
    /// to say it.
    OutputClosed,
}

impl Failure {
    /// A failure saying `message`.
    pub fn new(message: impl std::fmt::Display) -> Self {
        Failure::Message(vec![message.to_string()])
    }
}

/// What a command ends with: its exit code (0, or 1 where it decided something fails: a
/// denial, a failing policy test), or why it could not do its work.
pub type Outcome = Result<ExitCode, Failure>;

/// Run the command line; returns the process exit code.
pub fn run(
    cli: Cli,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> ExitCode {
    let outcome = match cli.command {
        Command::Check(args) => {
            let engine = args.engine.apply();
            check(args, engine, stdin, stdout, stderr)
        }
        Command::Crds(args) => crds(args, stdout),
        Command::Rbac(args) => rbac(args, stdout),
        Command::Vap(args) => vap(args, stdout),
        Command::Policy(PolicyCommand::Test(args)) => {
            // The Rego tests run policies too: bounded as `check` is by default.
            govkh_core::policy::limit_memory(Some(DEFAULT_MEMORY_LIMIT));
            policy_test(args, stdout)
        }
        Command::Policy(PolicyCommand::List(args)) => policy_list(args, stdout),
        Command::Report(args) => {
            let engine = args.engine.apply();
            report(args, engine, stdin, stdout, stderr)
        }
        Command::Apis(args) => apis(args, stdin, stdout),
        Command::Run(args) => {
            let engine = args.engine.apply();
            run_operator(args, engine)
        }
        Command::Status(args) => status(args, stdout),
        Command::Trace(args) => {
            let engine = args.engine.apply();
            trace(args, engine, stdout)
        }
        Command::Plugin(PluginCommand::Install(args)) => plugin_install(args, stdout),
    };
    match outcome {
        Ok(code) => code,
        Err(Failure::Message(lines)) => {
            for line in lines {
                let _ = writeln!(stderr, "error: {line}");
            }
            ExitCode::from(2)
        }
        Err(Failure::OutputClosed) => ExitCode::from(2),
    }
}

/// `message` about the option `flag`, naming the environment variable `env` instead when the
/// value came from it (the command line did not give the flag): the user fixes what they set.
fn named_source(message: &str, flag: &str, env: &str) -> String {
    let on_command_line = std::env::args().any(|a| a == flag || a.starts_with(&format!("{flag}=")));
    if on_command_line || std::env::var_os(env).is_none() {
        message.to_string()
    } else {
        message.replacen(flag, env, 1)
    }
}

/// Write `text` to `file` (atomically) or to standard output.
fn write_output(
    file: Option<&std::path::Path>,
    text: &str,
    stdout: &mut dyn Write,
) -> Result<(), Failure> {
    match file {
        None => print(text, stdout),
        Some(path) => write_atomically(path, text.as_bytes())
            .map_err(|e| Failure::new(format_args!("cannot write {}: {e}", path.display()))),
    }
}

/// Write `text` to standard output.
fn print(text: &str, stdout: &mut dyn Write) -> Result<(), Failure> {
    stdout
        .write_all(text.as_bytes())
        .map_err(|_| Failure::OutputClosed)
}

/// Write a file so that readers see the old content or the new, never a half-written one.
fn write_atomically(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "report".into());
    let tmp = dir.join(format!(".{name}.govkh-{}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Standard output whose reader has left.
    struct Closed;

    impl Write for Closed {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn govkh(args: &[&str], stdout: &mut dyn Write) -> (String, String) {
        let cli = Cli::parse_from(std::iter::once("govkh").chain(args.iter().copied()));
        let mut stderr = Vec::new();
        let code = run(cli, &mut std::io::empty(), stdout, &mut stderr);
        (
            format!("{code:?}"),
            String::from_utf8_lossy(&stderr).into_owned(),
        )
    }

    #[test]
    fn a_failure_is_said_once_on_stderr_and_is_exit_code_2() {
        let missing = std::env::temp_dir()
            .join(format!("govkh-no-such-dir-{}", std::process::id()))
            .join("catalogue.json");
        let (code, said) = govkh(
            &["policy", "list", "-o", missing.to_str().unwrap()],
            &mut Vec::new(),
        );
        assert_eq!(code, format!("{:?}", ExitCode::from(2)));
        assert_eq!(said.lines().count(), 1, "{said}");
        assert!(
            said.starts_with(&format!("error: cannot write {}: ", missing.display())),
            "{said}"
        );
    }

    #[test]
    fn a_closed_output_fails_quietly() {
        let (code, said) = govkh(&["policy", "list"], &mut Closed);
        assert_eq!(code, format!("{:?}", ExitCode::from(2)));
        assert_eq!(said, "");
    }

    #[test]
    fn several_problems_are_each_their_own_error_line() {
        let dir = std::env::temp_dir().join(format!("govkh-apis-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.yaml"), "kind: [").unwrap();
        std::fs::write(dir.join("b.yaml"), "apiVersion: v1\nkind: Service\n").unwrap();
        let mut out = Vec::new();
        let (code, said) = govkh(&["apis", dir.to_str().unwrap()], &mut out);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(code, format!("{:?}", ExitCode::from(2)));
        // The register is printed from the rest, then each problem named.
        assert!(String::from_utf8_lossy(&out).starts_with("API"), "{out:?}");
        let errors: Vec<&str> = said.lines().collect();
        assert_eq!(errors.len(), 2, "{said}");
        assert!(errors.iter().all(|l| l.starts_with("error: ")), "{said}");
        assert!(
            errors[0].contains("a.yaml") && errors[1].contains("b.yaml"),
            "{said}"
        );
    }
}
