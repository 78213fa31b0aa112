//! The Rego policy library, evaluated in-process by regorus: loading (the built-in library
//! embedded at build time, and users' directories), reading each policy's metadata, evaluating
//! one object against every policy, and running the library's `test_*` rules.
//!
//! Policies are parsed and prepared once into an immutable engine; each evaluation works on a
//! clone of it (cheap: modules and data are shared), so no lock is held while policies run. An
//! evaluation has a time limit; a policy that fails or runs out of time is reported as an
//! error for that policy, never as a silent pass.

use std::{
    collections::BTreeMap,
    num::NonZeroU32,
    path::{Path, PathBuf},
    time::Duration,
};

use regorus::{Engine, Value};
use serde::Deserialize;

use crate::{
    finding::{Action, Penalty, Severity},
    text,
};

mod builtin {
    include!(concat!(env!("OUT_DIR"), "/builtin_policies.rs"));
}

/// Time one policy may take on one object before it is stopped and reported.
pub const EVALUATION_TIME_LIMIT: Duration = Duration::from_millis(500);

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
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
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

/// What a policy declares about itself in its `metadata` rule.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyMeta {
    /// Stable id, e.g. `official-domain`.
    pub id: String,
    /// One-line title.
    pub title: String,
    /// Articles of the law it implements.
    pub articles: Vec<String>,
    /// Severity of its findings.
    pub severity: Severity,
    /// Default action: `deny`, `warn` or `dryrun`.
    pub action: Action,
    /// The penalty the law attaches, where it names one.
    #[serde(default)]
    pub penalty: Option<PenaltyMeta>,
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
/// machine (RVM). They find the same violations on every sample and example (a test checks
/// it), but regorus 0.14's RVM turns a runtime error (a type error, a failing builtin, a
/// division by zero) into "undefined" — a silent pass — where the interpreter reports it. A
/// policy error must be a finding, so the interpreter is the default whatever the speed (the
/// benchmark measures both).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// The interpreter (the default).
    #[default]
    Interpreter,
    /// The compiled RVM: faster, but blind to runtime errors (see above).
    Rvm,
}

/// An immutable, prepared set of policies.
#[derive(Clone)]
pub struct Library {
    engine: Engine,
    policies: Vec<Policy>,
    /// One compiled program per policy (None where the RVM cannot compile it: the interpreter
    /// runs that policy instead).
    programs: Vec<Option<std::sync::Arc<regorus::rvm::program::Program>>>,
    /// One program computing every policy's violations at once (the RVM's fast path).
    all_program: Option<std::sync::Arc<regorus::rvm::program::Program>>,
    mode: Mode,
}

/// The rule that gathers every policy's violations, so one evaluation per object serves all
/// policies (the helpers in `lib` are then derived once, not once per policy).
const ALL_RULE: &str = "data.govkh_internal.all.results";

impl std::fmt::Debug for Library {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Library")
            .field("policies", &self.policies.len())
            .finish()
    }
}

/// A Rego source file: path (for messages) and text.
#[derive(Clone, Debug)]
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

fn new_engine() -> Engine {
    let mut engine = Engine::new();
    // Rego v1 is the default; policies must not depend on the wall clock or the network.
    engine.set_rego_v0(false);
    engine.set_execution_timer_config(timer());
    // A builtin's error must surface as an error finding, not as undefined (a silent pass).
    engine.set_strict_builtin_errors(true);
    engine
}

impl Library {
    /// Load policies from source files (test files are skipped). A file that does not parse, or
    /// a policy without valid metadata, refuses the whole library: a partial library would pass
    /// what it should have judged.
    pub fn load(sources: &[SourceFile]) -> Result<Library> {
        let mut engine = new_engine();
        let mut packages = Vec::new();
        for s in sources.iter().filter(|s| !is_test(&s.path)) {
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
        // The aggregate: {"<index>": <package>.violation, ...}.
        let entries: Vec<String> = policies
            .iter()
            .enumerate()
            .map(|(i, p)| format!("    \"{i}\": {}.violation,", p.package))
            .collect();
        let aggregate = format!(
            "package govkh_internal.all\n\nresults := {{\n{}\n}}\n",
            entries.join("\n")
        );
        engine
            .add_policy("govkh-internal/all.rego".into(), aggregate)
            .map_err(|e| Error::Parse {
                file: "govkh-internal/all.rego".into(),
                message: text::one_line(&e.to_string()),
            })?;
        let all_entry: regorus::Rc<str> = ALL_RULE.into();
        let all_program = engine
            .compile_with_entrypoint(&all_entry)
            .ok()
            .and_then(|compiled| {
                regorus::languages::rego::compiler::Compiler::compile_from_policy(
                    &compiled,
                    &[ALL_RULE],
                )
                .ok()
            });
        let programs = policies
            .iter()
            .map(|p| {
                let entry: regorus::Rc<str> = format!("{}.violation", p.package).into();
                let compiled = engine.compile_with_entrypoint(&entry).ok()?;
                regorus::languages::rego::compiler::Compiler::compile_from_policy(
                    &compiled,
                    &[entry.as_ref()],
                )
                .ok()
            })
            .collect();
        Ok(Library {
            engine,
            policies,
            programs,
            all_program,
            mode: Mode::default(),
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

    /// Evaluate every policy on one input document (converted once, shared by all policies).
    /// All policies are evaluated together; if that fails, each is evaluated alone so that the
    /// failure is attributed to the policy that caused it.
    pub fn evaluate(&self, input: &Value) -> Vec<(&Policy, PolicyResult)> {
        let together = match (self.mode, &self.all_program) {
            (Mode::Rvm, Some(program)) => run_vm(program, input, ALL_RULE),
            _ => {
                let mut engine = self.engine.clone();
                engine.set_input(input.clone());
                engine
                    .eval_rule(ALL_RULE.to_string())
                    .map_err(|e| text::one_line(&e.to_string()))
            }
        };
        if let Ok(Value::Object(results)) = together {
            let split: Option<Vec<(&Policy, PolicyResult)>> = self
                .policies
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let v = results.get(&Value::from(i.to_string()))?;
                    Some((p, violations(v)))
                })
                .collect();
            if let Some(split) = split {
                return split;
            }
        }
        self.evaluate_one_by_one(input)
    }

    fn evaluate_one_by_one(&self, input: &Value) -> Vec<(&Policy, PolicyResult)> {
        let mut engine: Option<Engine> = None;
        self.policies
            .iter()
            .zip(&self.programs)
            .map(|(p, program)| {
                let entry = format!("{}.violation", p.package);
                let result = match (self.mode, program) {
                    (Mode::Rvm, Some(program)) => run_vm(program, input, &entry),
                    _ => {
                        let engine = engine.get_or_insert_with(|| {
                            let mut e = self.engine.clone();
                            e.set_input(input.clone());
                            e
                        });
                        engine
                            .eval_rule(entry)
                            .map_err(|e| text::one_line(&e.to_string()))
                    }
                };
                (p, result.and_then(|v| violations(&v)))
            })
            .collect()
    }
}

fn run_vm(
    program: &std::sync::Arc<regorus::rvm::program::Program>,
    input: &Value,
    entry: &str,
) -> std::result::Result<Value, String> {
    let mut vm = regorus::rvm::RegoVM::new();
    vm.load_program(program.clone());
    vm.set_execution_timer_config(Some(timer()));
    // A builtin's error must surface as an error finding, not as undefined.
    vm.set_strict_builtin_errors(true);
    vm.set_input(input.clone());
    vm.execute_entry_point_by_name(entry)
        .map_err(|e| text::one_line(&e.to_string()))
}

fn violations(v: &Value) -> PolicyResult {
    if *v == Value::Undefined {
        return Ok(Vec::new());
    }
    let json = serde_json::to_value(v).map_err(|e| e.to_string())?;
    let items = match json {
        serde_json::Value::Array(items) => items,
        other => return Err(format!("`violation` must be a set of objects, got {other}")),
    };
    items
        .into_iter()
        .map(|i| {
            serde_json::from_value::<Violation>(i.clone())
                .map_err(|e| format!("violation {i} is not {{msg, level?, action?}}: {e}"))
        })
        .collect()
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
/// loaded beside it.
pub fn run_tests(sources: &[SourceFile]) -> Result<Vec<TestResult>> {
    let mut base = new_engine();
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
