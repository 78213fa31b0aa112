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
    num::NonZeroU32,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::Duration,
};

use regorus::{Engine, Value, rvm::program::Program};
use serde::{Deserialize, Serialize};

use crate::{
    finding::{Action, Penalty, Severity},
    text,
};

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_policies.rs"));
}

/// Time one policy may take on one object before it is stopped and reported.
pub const EVALUATION_TIME_LIMIT: Duration = Duration::from_millis(500);

/// The memory the whole process may hold while it evaluates policies, unless told otherwise
/// (`--memory-limit`): 2 GiB.
pub const DEFAULT_MEMORY_LIMIT: u64 = 2 << 30;

/// Bound the memory policies may bring the process to: past `bytes` (everything the process
/// holds, counted by the allocator regorus installs), an evaluation stops at its next check
/// with an error — an error finding on that object — and frees what it built, instead of the
/// process growing until it is killed. Process-wide, as the allocator's count is; `None` lifts
/// it. A policy that builds a large structure step by step is caught by it; the time limit
/// catches one that only loops.
pub fn limit_memory(bytes: Option<u64>) {
    regorus::set_global_memory_limit(bytes);
}

/// Time-outs of one policy an evaluation tolerates before it stops running that policy.
pub const TIME_OUTS_BEFORE_SKIP: usize = 3;

/// The policies that ran out of time during one evaluation (a `check`, an audit, one
/// admission review). After `TIME_OUTS_BEFORE_SKIP` time-outs a policy is not run again in
/// that evaluation: each object it would have judged gets an error finding at once, so a
/// looping policy costs a few seconds, not half a second per object (hours on a large run).
#[derive(Debug, Default)]
pub struct Breaker {
    time_outs: Mutex<BTreeMap<usize, usize>>,
}

impl Breaker {
    fn tripped(&self, policy: usize) -> bool {
        self.time_outs
            .lock()
            .map(|t| t.get(&policy).copied().unwrap_or(0) >= TIME_OUTS_BEFORE_SKIP)
            // A poisoned lock means a worker panicked; running the policy is the safe side.
            .unwrap_or(false)
    }

    fn time_out(&self, policy: usize) {
        if let Ok(mut t) = self.time_outs.lock() {
            *t.entry(policy).or_insert(0) += 1;
        }
    }
}

/// Whether an evaluation error is the time limit running out.
fn is_time_out(error: &str) -> bool {
    error.contains("exceeded time limit")
}

/// Whether an evaluation's error is the memory limit (`--memory-limit`), in either engine.
fn is_out_of_memory(error: &str) -> bool {
    error.contains("exceeded memory limit")
}

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
}

/// `Result` of this module.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A fine in riels: one amount, or one per data level (Art. 40).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Amount {
    /// The same maximum whatever the data.
    Fixed(u64),
    /// The maximum by data level (`top-secret`, `confidential`).
    ByLevel(BTreeMap<String, u64>),
}

impl Amount {
    fn for_level(&self, level: Option<&str>) -> Option<u64> {
        match self {
            Amount::Fixed(n) => Some(*n),
            Amount::ByLevel(m) => level.and_then(|l| m.get(l).copied()),
        }
    }
}

/// The penalty a policy's breaches carry (Art. 38-40).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PenaltyMeta {
    /// The penalty article.
    pub article: String,
    /// Maximum for each natural person.
    #[serde(default)]
    pub natural_person: Option<Amount>,
    /// Maximum for each legal person.
    #[serde(default)]
    pub legal_person: Option<Amount>,
}

impl PenaltyMeta {
    /// The penalty for people: `Art. 38: up to 200,000 riels per natural person`, amounts by
    /// level where they depend on the data (`20,000,000 (top-secret) / 10,000,000
    /// (confidential)`).
    pub fn describe(&self) -> String {
        fn amount(a: &Amount) -> String {
            match a {
                Amount::Fixed(n) => crate::finding::riels(*n),
                // The largest first (top-secret before confidential).
                Amount::ByLevel(m) => {
                    let mut levels: Vec<_> = m.iter().collect();
                    levels.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
                    levels
                        .iter()
                        .map(|(level, n)| format!("{} ({level})", crate::finding::riels(**n)))
                        .collect::<Vec<_>>()
                        .join(" / ")
                }
            }
        }
        let mut parts = Vec::new();
        if let Some(a) = &self.natural_person {
            parts.push(format!("{} riels per natural person", amount(a)));
        }
        if let Some(a) = &self.legal_person {
            parts.push(format!("{} riels per legal person", amount(a)));
        }
        if parts.is_empty() {
            format!("Art. {}", self.article)
        } else {
            format!("Art. {}: up to {}", self.article, parts.join(", "))
        }
    }

    /// The penalty for a breach concerning data of `level` (if the amounts depend on it).
    pub fn for_level(&self, level: Option<&str>) -> Penalty {
        Penalty {
            article: self.article.clone(),
            natural_person_max_riel: self
                .natural_person
                .as_ref()
                .and_then(|a| a.for_level(level)),
            legal_person_max_riel: self.legal_person.as_ref().and_then(|a| a.for_level(level)),
        }
    }
}

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
    /// The operations it judges (`CREATE`, `UPDATE`, `DELETE`, `CONNECT`). None declared: all.
    #[serde(default)]
    pub operations: Vec<Operation>,
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
#[derive(Clone, Debug, Default, Deserialize)]
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
    /// How many threads evaluate objects at once (`check`, `report`, the audit).
    threads: usize,
    /// When a run with this library must stop judging (`--timeout`).
    deadline: Option<std::time::Instant>,
    /// The user `check` judges the files as submitted by (`--as-user`), if any.
    user: Option<Arc<serde_json::Value>>,
    /// Prepared engines, reset between evaluations rather than cloned for each: shared by the
    /// library's clones, one taken per evaluation, so concurrent evaluations never share one.
    pool: Arc<Mutex<Vec<Engine>>>,
    /// How many evaluations the RVM reported an error on and the interpreter re-ran.
    reruns: Arc<std::sync::atomic::AtomicUsize>,
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

/// A Rego source file: path (for messages) and text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFile {
    /// Path shown in messages.
    pub path: String,
    /// Rego text.
    pub text: String,
}

/// The built-in library's files.
pub fn builtin_sources() -> Vec<SourceFile> {
    builtin::BUILTIN
        .iter()
        .map(|(p, t)| SourceFile {
            path: format!("policies/{p}"),
            text: (*t).to_string(),
        })
        .collect()
}

/// Every `.rego` file below `dir`, in path order.
pub fn dir_sources(dir: &Path) -> Result<Vec<SourceFile>> {
    let mut files = Vec::new();
    collect(dir, &mut std::collections::HashSet::new(), &mut files)?;
    // A policy directory with nothing in it would silently apply nothing.
    if !files.iter().any(|p| !is_test(&p.display().to_string())) {
        return Err(Error::Metadata {
            file: dir.display().to_string(),
            message:
                "holds no policy (.rego file other than *_test.rego): nothing would be applied"
                    .into(),
        });
    }
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let path = p.display().to_string();
            std::fs::read_to_string(&p)
                .map(|text| SourceFile {
                    path: path.clone(),
                    text,
                })
                .map_err(|source| Error::Read { file: path, source })
        })
        .collect()
}

fn collect(
    dir: &Path,
    visited: &mut std::collections::HashSet<PathBuf>,
    out: &mut Vec<PathBuf>,
) -> Result<()> {
    // Each real directory once: a link back up the tree is no loop.
    let real = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    if !visited.insert(real) {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Read {
        file: dir.display().to_string(),
        source,
    })?;
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, visited, out)?;
        } else if p.extension().is_some_and(|x| x == "rego") {
            out.push(p);
        }
    }
    Ok(())
}

fn is_test(path: &str) -> bool {
    path.ends_with("_test.rego")
}

fn timer() -> regorus::utils::limits::ExecutionTimerConfig {
    regorus::utils::limits::ExecutionTimerConfig {
        limit: EVALUATION_TIME_LIMIT,
        check_interval: NonZeroU32::MIN.saturating_add(63),
    }
}

/// The most numbers `numbers.range` and `numbers.range_step` may make in one call. regorus
/// reserves the whole array before filling it, so `numbers.range(1, 300000000)` asks for
/// gigabytes at once and an allocation failure aborts the process; no policy over Kubernetes
/// objects needs more than this.
pub const MAX_RANGE: u64 = 1_000_000;

/// `numbers.range(a, b)` or, with `step`, `numbers.range_step(a, b, step)`, as OPA defines
/// them (from `a` towards `b`, both included when reached), refusing more than `MAX_RANGE`
/// numbers with an error (an error finding) before anything is allocated.
fn bounded_range(args: &[Value], stepped: bool) -> anyhow::Result<Value> {
    let name = if stepped {
        "numbers.range_step"
    } else {
        "numbers.range"
    };
    let int = |v: Option<&Value>| match v {
        Some(Value::Number(n)) if n.is_integer() => n.as_i64(),
        _ => None,
    };
    let (Some(a), Some(b)) = (int(args.first()), int(args.get(1))) else {
        anyhow::bail!("{name}: operands must be integers");
    };
    let step = if stepped {
        match int(args.get(2)) {
            Some(s) if s > 0 => s.unsigned_abs(),
            _ => anyhow::bail!("{name}: step must be a positive integer"),
        }
    } else {
        1
    };
    let count = a.abs_diff(b) / step + 1;
    if count > MAX_RANGE {
        anyhow::bail!(
            "{name} from {a} to {b} would make {count} numbers; govkh allows at most {MAX_RANGE} in one call"
        );
    }
    let step = usize::try_from(step)?;
    let values: Vec<Value> = if a <= b {
        (a..=b).step_by(step).map(Value::from).collect()
    } else {
        (b..=a).rev().step_by(step).map(Value::from).collect()
    };
    Ok(Value::from(values))
}

fn new_engine() -> Engine {
    let mut engine = Engine::new();
    // Rego v1 is the default; policies must not depend on the wall clock or the network.
    engine.set_rego_v0(false);
    engine.set_execution_timer_config(timer());
    // A builtin's error must surface as an error finding, not as undefined (a silent pass).
    engine.set_strict_builtin_errors(true);
    // Extensions are looked up before builtins: these two replace regorus's, bounded. (Each
    // name is added once, to a fresh engine: adding cannot fail.)
    let _ = engine.add_extension(
        "numbers.range".to_string(),
        2,
        Box::new(|args: Vec<Value>| bounded_range(&args, false)),
    );
    let _ = engine.add_extension(
        "numbers.range_step".to_string(),
        3,
        Box::new(|args: Vec<Value>| bounded_range(&args, true)),
    );
    engine
}

/// The package of the helpers every policy may import (`import data.govkh.lib`).
const LIB_PACKAGE: &str = "govkh.lib";

/// Rewrite the identifiers of Rego `text` outside strings and comments: `rename(previous,
/// ident)` gives the replacement of an identifier preceded by `previous` (the character before
/// it, or a space at the start), or None to keep it.
fn rename_idents(text: &str, rename: impl Fn(char, &str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let mut previous = ' ';
    while let Some(&c) = chars.get(i) {
        if c == '#' {
            while let Some(&c) = chars.get(i) {
                if c == '\n' {
                    break;
                }
                out.push(c);
                i += 1;
            }
            continue;
        }
        if c == '"' || c == '`' {
            out.push(c);
            i += 1;
            while let Some(&d) = chars.get(i) {
                out.push(d);
                i += 1;
                if d == '\\' && c == '"' {
                    if let Some(&e) = chars.get(i) {
                        out.push(e);
                        i += 1;
                    }
                } else if d == c {
                    break;
                }
            }
            previous = c;
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while chars
                .get(i)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_')
            {
                i += 1;
            }
            let ident: String = chars[start..i].iter().collect();
            match rename(previous, &ident) {
                Some(r) => out.push_str(&r),
                None => out.push_str(&ident),
            }
            previous = chars[i - 1];
            continue;
        }
        out.push(c);
        previous = c;
        i += 1;
    }
    out
}

/// The rule names a Rego module defines at its top level (lines starting with a name).
fn rule_names(text: &str) -> std::collections::BTreeSet<String> {
    text.lines()
        .filter_map(|l| {
            let l = l.strip_prefix("default ").unwrap_or(l);
            let name: String = l
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let first = name.chars().next()?;
            (first.is_ascii_alphabetic() && !["package", "import"].contains(&name.as_str()))
                .then_some(name)
        })
        .collect()
}

/// How a loaded policy reaches the shared helpers (`govkh.lib`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Helpers {
    /// As written: `import data.govkh.lib` and `lib.x`. regorus resolves such an alias into
    /// another package slowly (about 48 µs per policy and object, the whole cost of a small
    /// policy).
    AsWritten,
    /// `lib.x` written `data.govkh.lib.x` (the import dropped): the same rules, shared by
    /// every policy of an evaluation, reached by their full path.
    Qualified,
    /// The helpers copied into each policy that imports them, renamed `lib_x`.
    Copied,
}

/// The policies with their references to the shared helpers rewritten as `how` says
/// (`Helpers::AsWritten` changes nothing). Only `lib.<name>` references outside strings and
/// comments are rewritten, and each policy's lines keep their numbers (copies are appended). A
/// policy that reaches the helpers any other way, names one they do not define, or already
/// uses `lib_` names, is left as written; the helpers' own package stays loaded.
pub fn rewrite_helpers(sources: &[SourceFile], how: Helpers) -> Vec<SourceFile> {
    let lib = sources.iter().find(|s| {
        !is_test(&s.path)
            && s.text
                .lines()
                .any(|l| l.trim() == format!("package {LIB_PACKAGE}"))
    });
    let (Some(lib), false) = (lib, how == Helpers::AsWritten) else {
        return sources.to_vec();
    };
    let names = rule_names(&lib.text);
    let body: String = lib
        .text
        .lines()
        .filter(|l| !l.trim_start().starts_with("package "))
        .collect::<Vec<_>>()
        .join("\n");
    let body = rename_idents(&body, |previous, ident| {
        (previous != '.' && names.contains(ident)).then(|| format!("lib_{ident}"))
    });
    let prefix = match how {
        Helpers::Copied => "lib_".to_string(),
        _ => format!("data.{LIB_PACKAGE}."),
    };
    let import = format!("import data.{LIB_PACKAGE}");
    sources
        .iter()
        .map(|s| {
            let imports = s.text.lines().filter(|l| l.trim() == import).count() == 1;
            if is_test(&s.path)
                || !s.path.ends_with("policy.rego")
                || !imports
                || s.text.contains("lib_")
                || s.text.matches(&format!("data.{LIB_PACKAGE}")).count() != 1
            {
                return s.clone();
            }
            let mut rewritten = String::with_capacity(s.text.len() + body.len() + 64);
            let mut ok = true;
            for line in s.text.lines() {
                if line.trim() == import {
                    // The line stays, empty: the policy's lines keep their numbers.
                    rewritten.push('\n');
                    continue;
                }
                rewritten.push_str(&rewrite_lib_refs(line, &names, &prefix, &mut ok));
                rewritten.push('\n');
            }
            if !ok {
                return s.clone();
            }
            if how == Helpers::Copied {
                rewritten.push_str("\n# govkh.lib, copied in (lib.x is lib_x)\n");
                rewritten.push_str(&body);
                rewritten.push('\n');
            }
            SourceFile {
                path: s.path.clone(),
                text: rewritten,
            }
        })
        .collect()
}

/// `line` with each `lib.<name>` written `<prefix><name>`; `ok` turns false on a `lib.`
/// reference to a name the helpers do not define (left for regorus to report as written).
fn rewrite_lib_refs(
    line: &str,
    names: &std::collections::BTreeSet<String>,
    prefix: &str,
    ok: &mut bool,
) -> String {
    let marked = rename_idents(line, |previous, ident| {
        (previous != '.' && ident == "lib").then(|| "\u{0}".to_string())
    });
    let mut out = String::with_capacity(line.len());
    let mut parts = marked.split('\u{0}');
    out.push_str(parts.next().unwrap_or(""));
    for part in parts {
        let Some(rest) = part.strip_prefix('.') else {
            *ok = false;
            out.push_str("lib");
            out.push_str(part);
            continue;
        };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !names.contains(&name) {
            *ok = false;
        }
        out.push_str(prefix);
        out.push_str(rest);
    }
    out
}

impl Library {
    /// Load policies from source files (test files are skipped). A file that does not parse, or
    /// a policy without valid metadata, refuses the whole library: a partial library would pass
    /// what it should have judged.
    ///
    ///
    /// The interpreter runs the policies with the helpers reached by their full path
    /// (`Helpers::Qualified`); the RVM's programs are compiled from the policies with the
    /// helpers copied in (`Helpers::Copied`): what each runs fastest (the evaluation benchmark
    /// measures every combination).
    pub fn load(sources: &[SourceFile]) -> Result<Library> {
        Self::load_with(sources, Helpers::Qualified, Helpers::Copied)
    }

    /// `load`, with the helpers reached as `interpreter` says by the interpreter and as `rvm`
    /// says by the RVM's programs.
    pub fn load_with(
        sources: &[SourceFile],
        interpreter: Helpers,
        rvm: Helpers,
    ) -> Result<Library> {
        let for_rvm = (rvm != interpreter).then(|| rewrite_helpers(sources, rvm));
        Self::load_engine(&rewrite_helpers(sources, interpreter), for_rvm)
    }

    fn load_engine(sources: &[SourceFile], for_rvm: Option<Vec<SourceFile>>) -> Result<Library> {
        let mut engine = new_engine();
        let mut packages = Vec::new();
        for s in sources.iter().filter(|s| !is_test(&s.path)) {
            if let Some((line, spec)) = oversized_format(&s.text) {
                return Err(Error::Parse {
                    file: s.path.clone(),
                    message: format!(
                        "line {line}: the format `{spec}…` asks for a field wider than govkh allows ({MAX_FORMAT_WIDTH}): sprintf would build it whole"
                    ),
                });
            }
            let package = engine
                .add_policy(s.path.clone(), s.text.clone())
                .map_err(|e| Error::Parse {
                    file: s.path.clone(),
                    message: text::one_line(&e.to_string()),
                })?;
            if s.path.ends_with("policy.rego") {
                let has_violation = engine
                    .has_declared_rule_rooted_at(&s.path, "violation")
                    .unwrap_or(false);
                if !has_violation {
                    return Err(Error::Metadata {
                        file: s.path.clone(),
                        message: "no `violation` rule: a policy reports breaches as `violation contains {\"msg\": ...}`".into(),
                    });
                }
                packages.push((package, s.path.clone()));
            }
        }
        let mut policies = Vec::new();
        for (package, file) in packages {
            let no_metadata = || {
                Error::Metadata {
                file: file.clone(),
                message: "no `metadata` rule: declare metadata := {id, title, articles, severity, action}".into(),
            }
            };
            // regorus refuses to evaluate a rule path that no module declares.
            let meta_value = match engine.eval_rule(format!("{package}.metadata")) {
                Ok(Value::Undefined) => return Err(no_metadata()),
                Ok(v) => v,
                Err(e) if e.to_string().contains("not a valid rule path") => {
                    return Err(no_metadata());
                }
                Err(e) => {
                    return Err(Error::Metadata {
                        file: file.clone(),
                        message: format!(
                            "cannot evaluate metadata: {}",
                            text::one_line(&e.to_string())
                        ),
                    });
                }
            };
            let json = serde_json::to_value(&meta_value).map_err(|e| Error::Metadata {
                file: file.clone(),
                message: e.to_string(),
            })?;
            let meta: PolicyMeta = serde_json::from_value(json).map_err(|e| Error::Metadata {
                file: file.clone(),
                message: format!("invalid metadata: {e}"),
            })?;
            if meta.articles.is_empty() {
                return Err(Error::Metadata {
                    file,
                    message: "metadata.articles is empty: every policy names its article".into(),
                });
            }
            if let Some(problem) = kinds_problem(&meta.kinds) {
                return Err(Error::Metadata {
                    file,
                    message: format!("metadata.kinds: {problem}"),
                });
            }
            if policies.iter().any(|p: &Policy| p.meta.id == meta.id) {
                return Err(Error::Metadata {
                    file,
                    message: format!("policy id {} is used twice", meta.id),
                });
            }
            policies.push(Policy {
                meta,
                package,
                file,
            });
        }
        let (groups, by_kind, other_kinds) = plan(&policies);
        let rules: Vec<String> = groups
            .iter()
            .enumerate()
            .filter(|(_, members)| !members.is_empty())
            .map(|(g, members)| {
                let entries: Vec<String> = members
                    .iter()
                    .map(|&i| format!("    \"{i}\": {}.violation,", policies[i].package))
                    .collect();
                format!("g{g} := {{\n{}\n}}\n", entries.join("\n"))
            })
            .collect();
        // The RVM calls regorus's own `numbers.range`, not the bounded one: a library that uses
        // it runs on the interpreter whatever the mode.
        let rvm_safe = !sources
            .iter()
            .any(|s| !is_test(&s.path) && s.text.contains("numbers.range"));
        let file = "govkh-internal/groups.rego";
        let groups_text = format!("package {GROUPS_PACKAGE}\n\n{}", rules.join("\n"));
        engine
            .add_policy(file.into(), groups_text.clone())
            .map_err(|e| Error::Parse {
                file: file.into(),
                message: text::one_line(&e.to_string()),
            })?;
        // The engine the RVM's programs are compiled from, when its policies reach the helpers
        // otherwise: the same policies and groups. Should it not load (it cannot differ in
        // meaning), the programs come from the interpreter's engine.
        let mut copied = for_rvm.and_then(|rvm_sources| {
            let mut e = new_engine();
            rvm_sources
                .iter()
                .filter(|s| !is_test(&s.path))
                .chain(std::iter::once(&SourceFile {
                    path: file.into(),
                    text: groups_text.clone(),
                }))
                .try_for_each(|s| e.add_policy(s.path.clone(), s.text.clone()).map(|_| ()))
                .ok()
                .map(|()| e)
        });
        let groups = groups
            .into_iter()
            .enumerate()
            .map(|(g, members)| {
                let rule = format!("data.{GROUPS_PACKAGE}.g{g}");
                let program = (rvm_safe && !members.is_empty())
                    .then(|| compile(copied.as_mut().unwrap_or(&mut engine), &rule))
                    .flatten();
                Group {
                    members,
                    rule,
                    program,
                }
            })
            .collect();
        let programs = policies
            .iter()
            .map(|p| {
                rvm_safe
                    .then(|| {
                        compile(
                            copied.as_mut().unwrap_or(&mut engine),
                            &format!("{}.violation", p.package),
                        )
                    })
                    .flatten()
            })
            .collect();
        // Prepared once (rule schedule, hoisting), so clones and pooled engines start ready.
        let _ = engine.eval_rule(format!("data.{GROUPS_PACKAGE}.none"));
        Ok(Library {
            engine,
            policies,
            programs,
            groups,
            by_kind,
            other_kinds,
            every_kind: false,
            mode: Mode::default(),
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            deadline: None,
            user: None,
            pool: Arc::new(Mutex::new(Vec::new())),
            reruns: Arc::default(),
        })
    }

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

    /// The policies, in load order.
    pub fn policies(&self) -> &[Policy] {
        &self.policies
    }

    /// The same library evaluating objects on `threads` threads (at least one); by default as
    /// many as the machine has cores.
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

    /// Evaluate the policies that apply to a `kind` object under `operation` on one input
    /// document (converted once, shared by all of them). They are evaluated together; if that
    /// fails, each is evaluated alone so that the failure is attributed to the policy that
    /// caused it.
    ///
    /// A policy that ran out of time `TIME_OUTS_BEFORE_SKIP` times in this evaluation
    /// (`breaker`) is not run: its result is an error saying so.
    pub fn evaluate(
        &self,
        kind: &str,
        operation: Operation,
        input: &Value,
        breaker: &Breaker,
    ) -> Vec<(&Policy, PolicyResult)> {
        let group = self.group(kind, operation);
        if group.members.is_empty() {
            return Vec::new();
        }
        let skipping = group.members.iter().any(|&i| breaker.tripped(i));
        let together = if skipping {
            Err(String::new())
        } else {
            self.run(group.program.as_ref(), input, &group.rule)
        };
        if let Ok(Value::Object(results)) = together {
            let split: Option<Vec<(&Policy, PolicyResult)>> = group
                .members
                .iter()
                .map(|&i| {
                    let v = results.get(&Value::from(i.to_string()))?;
                    Some((&self.policies[i], violations(v)))
                })
                .collect();
            if let Some(split) = split {
                return split;
            }
        }
        group
            .members
            .iter()
            .map(|&i| {
                let policy = &self.policies[i];
                if breaker.tripped(i) {
                    return (
                        policy,
                        Err(format!(
                            "not run: it ran out of time ({} ms) on {TIME_OUTS_BEFORE_SKIP} objects earlier in this evaluation",
                            EVALUATION_TIME_LIMIT.as_millis()
                        )),
                    );
                }
                let entry = format!("{}.violation", policy.package);
                let result = self.run(self.programs[i].as_ref(), input, &entry);
                if let Err(e) = &result
                    && is_time_out(e)
                {
                    breaker.time_out(i);
                }
                (policy, result.and_then(|v| violations(&v)))
            })
            .collect()
    }

    /// One rule in this library's mode: on the RVM where it is compiled, and on the
    /// interpreter where it is not or where the RVM reported an error — except running out of
    /// time or memory, which the interpreter would only repeat.
    fn run(
        &self,
        program: Option<&Arc<Program>>,
        input: &Value,
        rule: &str,
    ) -> std::result::Result<Value, String> {
        match (self.mode, program) {
            (Mode::Rvm, Some(program)) => match run_vm(program, input, rule) {
                Err(e) if !is_time_out(&e) && !is_out_of_memory(&e) => {
                    self.reruns
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    self.interpret(input, rule)
                }
                result => result,
            },
            _ => self.interpret(input, rule),
        }
    }

    /// How many evaluations the RVM reported an error on, re-run on the interpreter, since this
    /// library was loaded (shared by its clones): none on a library without policy errors.
    pub fn interpreter_reruns(&self) -> usize {
        self.reruns.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// One rule on the interpreter, with an engine from the pool (returned after a success;
    /// after a failure, dropped, so no half-evaluated state is ever reused).
    fn interpret(&self, input: &Value, rule: &str) -> std::result::Result<Value, String> {
        let pooled = self.pool.lock().ok().and_then(|mut p| p.pop());
        let mut engine = pooled.unwrap_or_else(|| self.engine.clone());
        engine.set_input(input.clone());
        // A panic inside the engine (a bug a policy can reach) is this policy's error on this
        // object, not the end of the process; the engine is dropped with it.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            engine
                .eval_rule(rule.to_string())
                .map_err(|e| text::one_line(&e.to_string()))
        }))
        .unwrap_or_else(|panic| Err(panicked(panic.as_ref())));
        if result.is_ok() {
            // The input is shared (reference-counted): clear it so a pooled engine holds none.
            engine.set_input(Value::new_object());
            if let Ok(mut pool) = self.pool.lock()
                && pool.len() < POOL_LIMIT
            {
                pool.push(engine);
            }
        }
        result
    }
}

/// Compile one rule for the RVM; None where it cannot (the interpreter runs it instead).
fn compile(engine: &mut Engine, rule: &str) -> Option<Arc<Program>> {
    let entry: regorus::Rc<str> = rule.into();
    let compiled = engine.compile_with_entrypoint(&entry).ok()?;
    regorus::languages::rego::compiler::Compiler::compile_from_policy(&compiled, &[rule]).ok()
}

/// The groups of policies that apply together, and which (kind, operation) takes which. The
/// first group is always every policy (what `judging_every_kind` runs); groups are shared by
/// all the (kind, operation) pairs they serve, so there are few.
#[allow(clippy::type_complexity)]
fn plan(
    policies: &[Policy],
) -> (
    Vec<Vec<usize>>,
    BTreeMap<(String, Operation), usize>,
    [usize; 4],
) {
    let mut groups: Vec<Vec<usize>> = vec![(0..policies.len()).collect()];
    let mut index: BTreeMap<Vec<usize>, usize> = BTreeMap::new();
    index.insert(groups[0].clone(), 0);
    let mut group_of = |members: Vec<usize>| -> usize {
        *index.entry(members.clone()).or_insert_with(|| {
            groups.push(members);
            groups.len() - 1
        })
    };
    let applies = |p: &Policy, kind: Option<&str>, op: Operation| {
        let kind_ok =
            p.meta.kinds.is_empty() || kind.is_some_and(|k| p.meta.kinds.iter().any(|x| x == k));
        let op_ok = p.meta.operations.is_empty() || p.meta.operations.contains(&op);
        kind_ok && op_ok
    };
    let members = |kind: Option<&str>, op: Operation| -> Vec<usize> {
        (0..policies.len())
            .filter(|&i| applies(&policies[i], kind, op))
            .collect()
    };
    let mut by_kind = BTreeMap::new();
    let kinds: std::collections::BTreeSet<&String> =
        policies.iter().flat_map(|p| &p.meta.kinds).collect();
    for kind in kinds {
        for op in Operation::ALL {
            by_kind.insert((kind.clone(), op), group_of(members(Some(kind), op)));
        }
    }
    let other_kinds = Operation::ALL.map(|op| group_of(members(None, op)));
    (groups, by_kind, other_kinds)
}

/// Kinds a policy may name without a second look: ours and the ones govkh reads from a
/// cluster, plus the pods and replica sets controllers make from templates.
fn known_kinds() -> impl Iterator<Item = &'static str> {
    crate::resources::RESOURCES
        .iter()
        .map(|r| r.kind)
        .chain(["Pod", "ReplicaSet"])
}

/// What is wrong with a policy's declared kinds: a name that is not a kind, or one a letter or
/// two from a known kind (a typo would make the policy judge nothing, silently).
fn kinds_problem(kinds: &[String]) -> Option<String> {
    for kind in kinds {
        let well_formed = kind.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && kind.chars().all(|c| c.is_ascii_alphanumeric());
        if !well_formed {
            return Some(format!(
                "{kind:?} is not a kind name (like Deployment: a capital letter, then letters and digits)"
            ));
        }
        if known_kinds().any(|k| k == kind) {
            continue;
        }
        // One letter off, two for long names, or another case: short real kinds (Node, Role)
        // sit two letters from known ones and stay allowed.
        let close = |k: &str| {
            let d = crate::manifest::edit_distance(k, kind);
            k.eq_ignore_ascii_case(kind)
                || (kind.len() >= 4 && d == 1)
                || (kind.len() >= 8 && d == 2)
        };
        if let Some(meant) = known_kinds().find(|k| close(k)) {
            return Some(format!(
                "{kind} is not a kind govkh knows: did you mean {meant}?"
            ));
        }
    }
    None
}

fn run_vm(
    program: &Arc<Program>,
    input: &Value,
    entry: &str,
) -> std::result::Result<Value, String> {
    let mut vm = regorus::rvm::RegoVM::new();
    vm.load_program(program.clone());
    vm.set_execution_timer_config(Some(timer()));
    // A builtin's error, or any error in a rule body, must surface (and be re-run on the
    // interpreter for its message), never be undefined: the second switch is govkh's patch.
    vm.set_strict_builtin_errors(true);
    vm.set_strict_rule_errors(true);
    vm.set_input(input.clone());
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        vm.execute_entry_point_by_name(entry)
            .map_err(|e| text::one_line(&e.to_string()))
    }))
    .unwrap_or_else(|panic| Err(panicked(panic.as_ref())))
}

/// A panic caught from the engine, as an error message.
fn panicked(panic: &(dyn std::any::Any + Send)) -> String {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_string());
    format!(
        "the policy engine failed ({}) evaluating it",
        text::one_line(&what)
    )
}

/// The widest field a format string in a policy may ask for (`%05d`, `%.3f`, `%20s`): regorus
/// builds the whole padding at once, so `sprintf("%0900000000d", [1])` made a 900 MB string
/// and ran past every time limit, and a width past 4,294,967,295 panicked.
pub const MAX_FORMAT_WIDTH: u64 = 1000;

/// The first format width or precision over `MAX_FORMAT_WIDTH` in the string literals of a
/// Rego `text` (quoted and raw, a raw one over several lines too; comments skipped), with its
/// line.
fn oversized_format(text: &str) -> Option<(usize, String)> {
    let mut line = 1;
    let mut chars = text.chars().peekable();
    // The literal being read: its closing character, if inside one.
    let mut inside: Option<char> = None;
    while let Some(c) = chars.next() {
        match (inside, c) {
            (_, '\n') => {
                line += 1;
                // A quoted string ends with its line; a raw one goes on.
                if inside == Some('"') {
                    inside = None;
                }
            }
            (None, '#') => {
                while chars.peek().is_some_and(|&c| c != '\n') {
                    chars.next();
                }
            }
            (None, '"' | '`') => inside = Some(c),
            (Some(close), _) if c == close => inside = None,
            (Some('"'), '\\') => {
                chars.next();
            }
            (Some(_), '%') => {
                let mut spec = String::from("%");
                while let Some(&f) = chars.peek() {
                    if !matches!(f, '0'..='9' | '.' | '-' | '+' | ' ' | '#') {
                        break;
                    }
                    spec.push(f);
                    chars.next();
                }
                let too_wide = spec
                    .split(|c: char| !c.is_ascii_digit())
                    .filter(|d| !d.is_empty())
                    .any(|d| d.len() > 4 || d.parse::<u64>().is_ok_and(|w| w > MAX_FORMAT_WIDTH));
                if too_wide {
                    return Some((line, spec));
                }
                // `%%` is a literal percent sign.
                if spec == "%" && chars.peek() == Some(&'%') {
                    chars.next();
                }
            }
            _ => {}
        }
    }
    None
}

/// The violations a policy's `violation` set holds, read straight from the engine's value.
fn violations(v: &Value) -> PolicyResult {
    if *v == Value::Undefined {
        return Ok(Vec::new());
    }
    let set = match v {
        Value::Set(_) => v.as_set().map_err(|e| e.to_string())?,
        other => return Err(format!("`violation` must be a set of objects, got {other}")),
    };
    set.iter_sorted().map(violation).collect()
}

fn violation(item: &Value) -> std::result::Result<Violation, String> {
    let wrong = |why: &str| format!("violation {item} is not {{msg, level?, action?}}: {why}");
    let object = item.as_object().map_err(|_| wrong("not an object"))?;
    let text = |key: &str| -> std::result::Result<Option<String>, String> {
        match object.get(&Value::from(key)) {
            None | Some(Value::Undefined) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.to_string())),
            Some(other) => Err(wrong(&format!("{key} is {other}, not a string"))),
        }
    };
    let msg = text("msg")?.ok_or_else(|| wrong("missing field `msg`"))?;
    let action = match text("action")?.as_deref() {
        None => None,
        Some("deny") => Some(Action::Deny),
        Some("warn") => Some(Action::Warn),
        Some("dryrun") => Some(Action::Dryrun),
        Some("error") => Some(Action::Error),
        Some(other) => {
            return Err(wrong(&format!(
                "action {other:?} is not deny, warn, dryrun or error"
            )));
        }
    };
    Ok(Violation {
        msg,
        msg_km: text("msg_km")?,
        level: text("level")?,
        action,
    })
}

/// The result of one Rego test rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestResult {
    /// The policy folder (or file) the test belongs to.
    pub policy: String,
    /// The test rule's name.
    pub name: String,
    /// `Ok` when it evaluated to true, else why not.
    pub outcome: std::result::Result<(), String>,
}

/// Run every `test_*` rule of every `*_test.rego` file, each with the library's other files
/// loaded beside it as the interpreter runs them (`Helpers::Qualified`).
pub fn run_tests(sources: &[SourceFile]) -> Result<Vec<TestResult>> {
    let mut base = new_engine();
    let sources = rewrite_helpers(sources, Helpers::Qualified);
    for s in sources.iter().filter(|s| !is_test(&s.path)) {
        base.add_policy(s.path.clone(), s.text.clone())
            .map_err(|e| Error::Parse {
                file: s.path.clone(),
                message: text::one_line(&e.to_string()),
            })?;
    }
    let test_rule =
        regex::Regex::new(r"(?m)^(test_[A-Za-z0-9_]+)\s*(?:if\b|:?=|\{)").map_err(|e| {
            Error::Parse {
                file: "test pattern".into(),
                message: e.to_string(),
            }
        })?;
    let mut results = Vec::new();
    for s in sources.iter().filter(|s| is_test(&s.path)) {
        let mut engine = base.clone();
        let package = engine
            .add_policy(s.path.clone(), s.text.clone())
            .map_err(|e| Error::Parse {
                file: s.path.clone(),
                message: text::one_line(&e.to_string()),
            })?;
        let policy = Path::new(&s.path)
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| s.path.clone());
        let mut names: Vec<String> = test_rule
            .captures_iter(&s.text)
            .map(|c| c[1].to_string())
            .collect();
        names.dedup();
        for name in names {
            let outcome = match engine.eval_rule(format!("{package}.{name}")) {
                Ok(Value::Bool(true)) => Ok(()),
                Ok(Value::Undefined) => Err("undefined (a condition did not hold)".to_string()),
                Ok(other) => Err(format!("evaluated to {other}")),
                Err(e) => Err(text::one_line(&e.to_string())),
            };
            results.push(TestResult {
                policy: policy.clone(),
                name,
                outcome,
            });
        }
    }
    Ok(results)
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
        assert_eq!(rewritten, 9, "every built-in policy imports the helpers");
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
