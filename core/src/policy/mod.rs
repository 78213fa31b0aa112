//! The Rego policy library, evaluated in-process by regorus: loading (the built-in library
//! embedded at build time, and users' directories), reading each policy's metadata (with the
//! kinds and operations it judges), evaluating one object against the policies of its kind,
//! and running the library's `test_*` rules.
//!
//! Policies are parsed and prepared once into an immutable engine; the policies that apply
//! together to a kind and operation are gathered by one generated rule, so one evaluation per
//! object serves them all. Evaluations take an engine from a pool (reset between objects, never
//! shared by two at once), so no lock is held while policies run. An evaluation has a time
//! limit; a policy that fails or runs out of time is reported as an error for that policy,
//! never as a silent pass, and one that keeps running out of time is stopped for the rest of
//! the run (`Breaker`).

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
};

use regorus::{Engine, rvm::program::Program};
use serde::{Deserialize, Serialize};

use crate::finding::{Action, Severity};

mod engine;
mod limits;
mod load;
mod metadata;
mod rewrite;
mod sources;
mod testing;

pub use limits::*;
use load::*;
pub use metadata::*;
pub use rewrite::*;
pub use sources::*;
pub use testing::*;

/// Why a policy library could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read.
    #[error("{file}: cannot read: {source}")]
    Read {
        /// The file.
        file: String,
        /// The cause.
        source: std::io::Error,
    },
    /// A Rego file does not parse.
    #[error("{file}: {message}")]
    Parse {
        /// The file.
        file: String,
        /// The parser's message (with line and column).
        message: String,
    },
    /// A policy's metadata is missing or wrong.
    #[error("{file}: {message}")]
    Metadata {
        /// The policy file.
        file: String,
        /// What is wrong.
        message: String,
    },
    /// The catalogue of cloud APIs is refused.
    #[error(transparent)]
    Clouds(#[from] crate::clouds::Error),
}

/// `Result` of this module.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What a request does to its object, as the API server names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Operation {
    /// The object is created (and how `check`, the audit and the samples judge a manifest).
    Create,
    /// The object is changed.
    Update,
    /// The object is deleted.
    Delete,
    /// A connection to the object (`exec`, `attach`, `portforward`).
    Connect,
}

impl Operation {
    /// Every operation.
    pub const ALL: [Operation; 4] = [
        Operation::Create,
        Operation::Update,
        Operation::Delete,
        Operation::Connect,
    ];

    /// The name the policies read in `input.review.operation`.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "CREATE",
            Operation::Update => "UPDATE",
            Operation::Delete => "DELETE",
            Operation::Connect => "CONNECT",
        }
    }

    fn index(self) -> usize {
        match self {
            Operation::Create => 0,
            Operation::Update => 1,
            Operation::Delete => 2,
            Operation::Connect => 3,
        }
    }
}

/// What a policy declares about itself in its `metadata` rule.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyMeta {
    /// Stable id, e.g. `official-domain`.
    pub id: String,
    /// One-line title.
    pub title: String,
    /// One line saying how to remedy a breach, shown with each finding ("to fix: …").
    #[serde(default)]
    pub fix: Option<String>,
    /// The title in Khmer.
    #[serde(default)]
    pub title_km: Option<String>,
    /// The remedy in Khmer.
    #[serde(default)]
    pub fix_km: Option<String>,
    /// Articles of the law it implements.
    pub articles: Vec<String>,
    /// Severity of its findings.
    pub severity: Severity,
    /// Default action: `deny`, `warn` or `dryrun`.
    pub action: Action,
    /// The penalty the law attaches, where it names one.
    #[serde(default)]
    pub penalty: Option<PenaltyMeta>,
    /// The kinds it judges (`kind` names, e.g. `Deployment`): it runs only on objects of these
    /// kinds. None declared: it runs on every object.
    #[serde(default)]
    pub kinds: Vec<String>,
    /// The operations it judges (`CREATE`, `UPDATE`, `DELETE`, `CONNECT`). None declared:
    /// `CREATE` and `UPDATE`.
    #[serde(default)]
    pub operations: Vec<Operation>,
    /// The configuration of this cluster its findings rest on besides the law's text, by the
    /// ids of docs/interpretations.md ("Configuration, not the law"), e.g.
    /// `data-class-handling`.
    #[serde(default)]
    pub configuration: Vec<String>,
    /// govkh's readings of the law its findings rest on, by the ids of
    /// docs/interpretations.md ("govkh's readings"), e.g. `top-secret-use`.
    #[serde(default)]
    pub readings: Vec<String>,
}

/// A loaded policy.
#[derive(Clone, Debug)]
pub struct Policy {
    /// Its metadata.
    pub meta: PolicyMeta,
    /// Its package path, e.g. `data.govkh.official_domain`.
    pub package: String,
    /// The file it came from.
    pub file: String,
}

/// One breach reported by a policy.
#[derive(Clone, Debug, Deserialize)]
pub struct Violation {
    /// The message for the ministry.
    pub msg: String,
    /// The same message in Khmer (`msg_km`), where the policy writes one.
    #[serde(default)]
    pub msg_km: Option<String>,
    /// The data level concerned, to pick the penalty amount.
    #[serde(default)]
    pub level: Option<String>,
    /// An action overriding the policy's default for this breach.
    #[serde(default)]
    pub action: Option<Action>,
    /// The kind of object whose arrival would make it lawful, where the breach does nothing
    /// until then (`"awaits": "DataAccessGrant"`): see `Finding::awaits`.
    #[serde(default)]
    pub awaits: Option<String>,
    /// Whether the policy's penalty applies to this breach (`"penalty": false` in the policy
    /// says it does not).
    #[serde(default = "penalised")]
    pub penalised: bool,
}

fn penalised() -> bool {
    true
}

/// The outcome of one policy on one object.
pub type PolicyResult = std::result::Result<Vec<Violation>, String>;

/// How policies are executed: regorus's tree-walking interpreter, or its compiled virtual
/// machine (RVM). They find the same violations on every sample, example and generated workload
/// (tests check it). regorus 0.14's RVM turns a runtime error inside a rule body (a type error,
/// a failing builtin, a division by zero, conflicting values) into "undefined" — a silent pass;
/// govkh builds regorus with a patch (`vendor/regorus.patch`) that lets the RVM report it
/// instead (`set_strict_rule_errors`), and any error the RVM reports sends that evaluation to
/// the interpreter, whose result and error message (with the policy's file and line) are the
/// answer. So the RVM is the default: twice as fast, and as fail-closed as the interpreter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// The interpreter alone.
    Interpreter,
    /// The compiled RVM (the default), the interpreter for what the RVM reports an error on or
    /// cannot compile.
    #[default]
    Rvm,
}

/// An immutable, prepared set of policies.
#[derive(Clone)]
pub struct Library {
    engine: Engine,
    policies: Vec<Policy>,
    /// One compiled program per policy (None where the RVM cannot compile it: the interpreter
    /// runs that policy instead).
    programs: Vec<Option<Arc<Program>>>,
    /// The sets of policies that apply together to some (kind, operation), each gathered by
    /// one rule so that one evaluation per object serves them all.
    groups: Vec<Group>,
    /// The group of each (kind, operation) some policy names.
    by_kind: BTreeMap<(String, Operation), usize>,
    /// The group of a kind no policy names, by operation: the policies that name no kind.
    other_kinds: [usize; 4],
    /// Every policy on every object, whatever it declares (the reference the filtered path is
    /// tested against).
    every_kind: bool,
    mode: Mode,
    /// One: objects are evaluated on the calling thread; more: on the worker pool (`check`,
    /// `report`, the audit).
    threads: usize,
    /// When a run with this library must stop judging (`--timeout`).
    deadline: Option<std::time::Instant>,
    /// The user `check` judges the files as submitted by (`--as-user`), if any.
    user: Option<Arc<serde_json::Value>>,
    /// Who the platform, the committee and govkh are here, and the reserved namespaces.
    authority: Arc<crate::fence::Authority>,
    /// `authority` as the policies read it (`input.config`), converted once.
    config: regorus::Value,
    /// Prepared engines, reset between evaluations rather than cloned for each: shared by the
    /// library's clones, one taken per evaluation, so concurrent evaluations never share one.
    pool: Arc<Mutex<Vec<Engine>>>,
    /// How many evaluations the RVM reported an error on and the interpreter re-ran.
    reruns: Arc<std::sync::atomic::AtomicUsize>,
    /// The catalogue of cloud APIs (`policies/clouds.yaml`), judged beside the policies.
    clouds: Arc<crate::clouds::Catalogue>,
}

/// Policies evaluated together.
#[derive(Clone)]
struct Group {
    /// The policies, by index.
    members: Vec<usize>,
    /// The rule gathering their violations (`{"<index>": <package>.violation, ...}`).
    rule: String,
    /// The rule compiled for the RVM, where it compiles.
    program: Option<Arc<Program>>,
}

/// The package of the rules that gather each group's violations.
const GROUPS_PACKAGE: &str = "govkh_internal.groups";

/// Engines kept for reuse: as many as evaluations run at once (cores, admission workers).
const POOL_LIMIT: usize = 64;

impl std::fmt::Debug for Library {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Library")
            .field("policies", &self.policies.len())
            .finish()
    }
}

impl Library {
    /// The same library executed in `mode`.
    pub fn with_mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    /// How many policies the RVM compiled (the others run on the interpreter).
    pub fn compiled_policies(&self) -> usize {
        self.programs.iter().filter(|p| p.is_some()).count()
    }

    /// The built-in library.
    pub fn builtin() -> Result<Library> {
        Self::load(&builtin_sources())
    }

    /// The catalogue of cloud APIs the evaluation judges cloud resources by.
    pub fn clouds(&self) -> &crate::clouds::Catalogue {
        &self.clouds
    }

    /// The policies, in load order.
    pub fn policies(&self) -> &[Policy] {
        &self.policies
    }

    /// The same library evaluating objects on the calling thread alone (`threads` 1) or, with
    /// more, on the process's pool of worker threads, one per core (`parallel::map`); by
    /// default as many as the machine has cores.
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// How many threads evaluate objects at once.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// The same library for a run that must end by `deadline`: evaluations with it judge no
    /// object after that instant, and each object left gets an error finding (nothing is
    /// passed for want of time). A monotonic instant: a budget, never a legal day.
    pub fn with_deadline(mut self, deadline: Option<std::time::Instant>) -> Self {
        self.deadline = deadline;
        self
    }

    /// When a run with this library must stop judging, if ever.
    pub fn deadline(&self) -> Option<std::time::Instant> {
        self.deadline
    }

    /// The same library judging every object as if `user` (`{username, groups}`, as admission
    /// receives it) had submitted it: what `check --as-user` asks, so the policies that judge
    /// who writes (approval-authority) judge files too. Never set for the audit or the report:
    /// objects already in the cluster have no submitter.
    pub fn as_user(mut self, user: Option<serde_json::Value>) -> Self {
        self.user = user.map(Arc::new);
        self
    }

    /// The user objects are judged as submitted by, if any.
    pub fn user(&self) -> Option<&serde_json::Value> {
        self.user.as_deref()
    }

    /// The same library judging with `authority`: who the platform, the committee and govkh
    /// are, and which namespaces no ministry holds (`input.config` of every evaluation).
    pub fn with_authority(mut self, authority: crate::fence::Authority) -> Self {
        self.config = regorus::Value::from(authority.config());
        self.authority = Arc::new(authority);
        self
    }

    /// Who the platform, the committee and govkh are for this library.
    pub fn authority(&self) -> &crate::fence::Authority {
        &self.authority
    }

    /// `authority` as the policies read it.
    pub fn config(&self) -> &regorus::Value {
        &self.config
    }

    /// The same library running every policy on every object, whatever kinds and operations
    /// the policies declare: the reference the filtered evaluation is tested against.
    pub fn judging_every_kind(mut self) -> Self {
        self.every_kind = true;
        self
    }

    /// The policies that judge a `kind` object under `operation`, by index in `policies()`.
    pub fn applicable(&self, kind: &str, operation: Operation) -> &[usize] {
        &self.group(kind, operation).members
    }

    fn group(&self, kind: &str, operation: Operation) -> &Group {
        let i = if self.every_kind {
            // The plan's first group: every policy (see `plan`).
            0
        } else {
            self.by_kind
                .get(&(kind.to_string(), operation))
                .copied()
                .unwrap_or(self.other_kinds[operation.index()])
        };
        &self.groups[i]
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use super::*;

    #[test]
    fn the_helpers_are_inlined_into_each_policy_that_imports_them() {
        let sources = builtin_sources();
        let inlined = rewrite_helpers(&sources, Helpers::Copied);
        assert_eq!(inlined.len(), sources.len());
        for (before, after) in sources.iter().zip(&inlined) {
            if !before.path.ends_with("/policy.rego") || before.path.contains("/lib/") {
                assert_eq!(before.text, after.text, "{}", before.path);
                continue;
            }
            let text = &after.text;
            assert!(!text.contains("import data.govkh.lib"), "{}", before.path);
            assert!(
                text.contains("lib_obj := input.review.object"),
                "{}",
                before.path
            );
            // The policy's own lines keep their numbers.
            let n = before.text.lines().count();
            for (i, (a, b)) in before.text.lines().zip(text.lines()).enumerate().take(n) {
                if a.trim() == "import data.govkh.lib" {
                    assert_eq!(b, "", "{}:{}", before.path, i + 1);
                } else {
                    assert_eq!(a.replace("lib.", "lib_"), b, "{}:{}", before.path, i + 1);
                }
            }
        }
        // Field names and strings that happen to be helper names are not renamed.
        let lib = inlined
            .iter()
            .find(|s| s.path.ends_with("official-domain/policy.rego"))
            .unwrap();
        assert!(
            lib.text
                .contains("lib_namespace := lib_obj.metadata.namespace"),
            "{}",
            lib.text
        );
        assert!(
            lib.text
                .contains("input.inventory.namespaces[lib_namespace].ministry")
        );
        assert!(lib.text.contains("\"ministryNamespaces\", lib_ministry"));
    }

    #[test]
    fn the_helpers_are_reached_by_their_full_path_by_the_interpreter() {
        let sources = builtin_sources();
        let qualified = rewrite_helpers(&sources, Helpers::Qualified);
        let mut rewritten = 0;
        for (before, after) in sources.iter().zip(&qualified) {
            if before.text == after.text {
                assert!(
                    !before.text.contains("import data.govkh.lib\n") || is_test(&before.path),
                    "{} imports the helpers but was not rewritten",
                    before.path
                );
                continue;
            }
            rewritten += 1;
            assert_eq!(before.text.lines().count(), after.text.lines().count());
            for (a, b) in before.text.lines().zip(after.text.lines()) {
                if a.trim() == "import data.govkh.lib" {
                    assert_eq!(b, "");
                } else {
                    assert_eq!(a.replace("lib.", "data.govkh.lib."), b, "{}", before.path);
                }
            }
        }
        let policies = sources
            .iter()
            .filter(|s| s.path.ends_with("/policy.rego"))
            .count();
        assert!(policies >= 15, "{policies} built-in policies");
        assert_eq!(
            rewritten, policies,
            "every built-in policy imports the helpers"
        );
        assert_eq!(rewrite_helpers(&sources, Helpers::AsWritten), sources);
    }

    #[test]
    fn a_policy_reaching_the_helpers_another_way_is_left_as_written() {
        let lib = SourceFile {
            path: "policies/lib/govkh.rego".into(),
            text: "package govkh.lib\n\nobj := input.review.object\n".into(),
        };
        for text in [
            // No import.
            "package govkh.a\nviolation contains {\"msg\": \"x\"} if data.govkh.lib.obj\n",
            // A name the helpers do not define.
            "package govkh.a\nimport data.govkh.lib\nviolation contains {\"msg\": \"x\"} if lib.nothing\n",
            // Its own lib_ names.
            "package govkh.a\nimport data.govkh.lib\nlib_x := 1\nviolation contains {\"msg\": \"x\"} if lib.obj\n",
        ] {
            let policy = SourceFile {
                path: "mine/a/policy.rego".into(),
                text: text.into(),
            };
            let out = rewrite_helpers(&[lib.clone(), policy], Helpers::Copied);
            assert_eq!(out[1].text, text);
        }
    }
}
