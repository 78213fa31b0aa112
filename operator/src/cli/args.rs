//! The flags several commands share, as clap reads them (how policies run, who the fence
//! trusts, which cluster, list formats), and the value parsers they share: sizes, durations,
//! dates, languages. Each command's own flags live beside it (`check.rs`, `report.rs`, …).

use clap::ValueEnum;
use govkh_core::{api::Day, message::Lang};
use k8s_openapi::jiff::Timestamp;
use std::path::PathBuf;

/// The memory limit of policy evaluation when none is given: 2 GiB (`--memory-limit`'s default).
pub const DEFAULT_MEMORY_LIMIT: u64 = 2 << 30;

/// How policies run: the flags of the commands that evaluate them (check, report, trace, run).
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct EngineArgs {
    /// The memory the process may hold while it evaluates policies (bytes, or with Ki, Mi, Gi):
    /// past it an evaluation stops with an error finding instead of the process being killed.
    /// Keep it below the container's memory limit.
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "2Gi")]
    pub memory_limit: u64,
    /// The memory one evaluation — one object under the policies of its kind — may build on
    /// the RVM (bytes, or with Ki, Mi, Gi), counted apart from every other: past it that
    /// evaluation alone stops with an error finding, so one huge request does not make the ones
    /// beside it fail. Below --memory-limit. The interpreter has only --memory-limit.
    #[arg(long, value_name = "SIZE", value_parser = parse_evaluation_size, default_value = "256Mi")]
    pub evaluation_memory_limit: u64,
    /// How policies are executed: `rvm`, regorus's compiled virtual machine (govkh's build
    /// reports errors inside policies, which the interpreter then re-runs for their message),
    /// or `interpreter`, regorus's interpreter alone (about half the speed). Both find the
    /// same violations; the choice is an escape hatch, not a setting to tune.
    #[arg(long, value_enum, default_value = "rvm")]
    pub policy_engine: PolicyEngine,
}

impl EngineArgs {
    /// Bound the process's memory as asked, and return the policy library's mode.
    pub fn apply(self) -> govkh_core::policy::Mode {
        govkh_core::policy::limit_memory(Some(self.memory_limit));
        govkh_core::policy::limit_evaluation_memory(Some(self.evaluation_memory_limit));
        self.policy_engine.mode()
    }
}

/// The engine `--policy-engine` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PolicyEngine {
    /// regorus's RVM (the default), the interpreter for what it reports an error on.
    Rvm,
    /// regorus's interpreter alone.
    Interpreter,
}

impl PolicyEngine {
    /// The policy library's mode for this engine.
    pub fn mode(self) -> govkh_core::policy::Mode {
        match self {
            PolicyEngine::Rvm => govkh_core::policy::Mode::Rvm,
            PolicyEngine::Interpreter => govkh_core::policy::Mode::Interpreter,
        }
    }
}

/// Who the platform, the committee and govkh itself are (the fence, docs/authorization.md):
/// the flags of the commands that judge who writes what (run, check, vap).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct AuthorityArgs {
    /// A group of the platform of the government cloud: it writes the GovernmentCloud,
    /// DataClasses and Ministries, hands existing namespaces over to tenancies, and may write
    /// tenancies and links for any ministry. Repeatable (or comma-separated). Default:
    /// govkh-platform and system:masters.
    #[arg(
        long = "platform-group",
        env = "GOVKH_PLATFORM_GROUPS",
        value_name = "GROUP",
        value_delimiter = ','
    )]
    pub platform_groups: Vec<String>,
    /// A group of the Digital Government Committee: it decides Approvals and may authorise
    /// DataAccessGrants. Repeatable (or comma-separated). Default: digital-government-committee.
    #[arg(
        long = "committee-group",
        env = "GOVKH_COMMITTEE_GROUPS",
        value_name = "GROUP",
        value_delimiter = ','
    )]
    pub committee_groups: Vec<String>,
    /// A user that is govkh itself (its service account): only it writes the `digital.gov.kh/`
    /// labels and annotations of namespaces. Repeatable. `govkh run` adds the user it runs as.
    /// Default: system:serviceaccount:<namespace>:govkh.
    #[arg(
        long = "operator-user",
        env = "GOVKH_OPERATOR_USERS",
        value_name = "USER",
        value_delimiter = ','
    )]
    pub operator_users: Vec<String>,
    /// A namespace no ministry may hold and no generated admission policy judges (beside
    /// kube-*, default and govkh's own). Repeatable (or comma-separated).
    #[arg(
        long = "exempt-namespace",
        visible_alias = "exempt",
        env = "GOVKH_EXEMPT_NAMESPACES",
        value_name = "NAMESPACE",
        value_delimiter = ','
    )]
    pub exempt: Vec<String>,
}

impl AuthorityArgs {
    /// The authority these flags describe, for govkh in `namespace`.
    pub fn authority(&self, namespace: &str) -> govkh_core::fence::Authority {
        use govkh_core::fence::{Authority, service_account_user};
        let or = |given: &[String], default: Vec<String>| {
            if given.is_empty() {
                default
            } else {
                given.to_vec()
            }
        };
        let defaults = Authority::default();
        Authority {
            platform_groups: or(&self.platform_groups, defaults.platform_groups),
            committee_groups: or(&self.committee_groups, defaults.committee_groups),
            operator_users: or(
                &self.operator_users,
                vec![service_account_user(namespace, "govkh")],
            ),
            namespace: namespace.to_string(),
            exempt: self.exempt.clone(),
        }
    }
}

/// How to reach the cluster: the kubeconfig and its context.
#[derive(Debug, clap::Args)]
pub struct ClusterArgs {
    /// Kubeconfig file (default: $KUBECONFIG, ~/.kube/config, or in-cluster).
    #[arg(long, env = "KUBECONFIG", value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context.
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
}

/// Output formats of `policy list`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    /// A table for people.
    Text,
    /// A JSON array, one object per policy.
    Json,
}

/// Parse `--lang`.
pub fn parse_lang(s: &str) -> Result<Lang, String> {
    s.parse()
}

/// Parse a `--memory-limit`: a number of bytes, or a number with `Ki`, `Mi`, `Gi` or `Ti` (as
/// Kubernetes writes memory).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let bytes = parse_bytes(s)?;
    if bytes < 64 << 20 {
        return Err(format!(
            "{s:?}: less than 64Mi would stop every evaluation (the process itself needs that much)"
        ));
    }
    Ok(bytes)
}

/// Parse an `--evaluation-memory-limit`: a size as `parse_size` reads it, at least 1Mi (what
/// the policies' context of a small object takes).
pub fn parse_evaluation_size(s: &str) -> Result<u64, String> {
    let bytes = parse_bytes(s)?;
    if bytes < 1 << 20 {
        return Err(format!("{s:?}: less than 1Mi would stop every evaluation"));
    }
    Ok(bytes)
}

fn parse_bytes(s: &str) -> Result<u64, String> {
    let bad = || format!("{s:?}: expected a size like 512Mi or 2Gi");
    let (number, unit) = match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => s.split_at(i),
        None => (s, ""),
    };
    let n: u64 = number.parse().map_err(|_| bad())?;
    let shift = match unit {
        "" => 0,
        "Ki" => 10,
        "Mi" => 20,
        "Gi" => 30,
        "Ti" => 40,
        _ => return Err(bad()),
    };
    n.checked_shl(shift)
        .filter(|b| b >> shift == n)
        .ok_or_else(bad)
}

/// Parse a `--timeout`: a number of seconds, or a number with `s`, `m` or `h`.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let (number, unit) = match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => s.split_at(i),
        None => (s, "s"),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("{s:?}: expected a duration like 90s, 10m or 1h"))?;
    let seconds = match unit {
        "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        _ => return Err(format!("{s:?}: expected a duration like 90s, 10m or 1h")),
    };
    if seconds == 0 {
        return Err(format!("{s:?}: a budget of no time would judge nothing"));
    }
    Ok(std::time::Duration::from_secs(seconds))
}

/// Parse `--now`: a calendar day (its first instant in Phnom Penh) or an RFC 3339 instant.
pub fn parse_now(s: &str) -> Result<Timestamp, String> {
    if let Ok(day) = s.parse::<Day>() {
        return Ok(day.start());
    }
    s.parse::<Timestamp>().map_err(|_| {
        format!("--now {s:?}: expected a date like 2026-11-26 or an instant like 2026-11-26T09:00:00+07:00")
    })
}
