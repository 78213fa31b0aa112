//! Loading a library: parsing and preparing the sources once into an immutable engine, the
//! generated rule that gathers the policies of each kind and operation, and the RVM's compiled
//! program.

use crate::printable;
use regorus::{Engine, Value, rvm::program::Program};
use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
};

use super::*;

pub(crate) fn new_engine() -> Engine {
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

/// Compile one rule for the RVM; None where it cannot (the interpreter runs it instead).
pub(crate) fn compile(engine: &mut Engine, rule: &str) -> Option<Arc<Program>> {
    let entry: regorus::Rc<str> = rule.into();
    let compiled = engine.compile_with_entrypoint(&entry).ok()?;
    regorus::languages::rego::compiler::Compiler::compile_from_policy(&compiled, &[rule]).ok()
}

/// The groups of policies that apply together, and which (kind, operation) takes which. The
/// first group is always every policy (what `judging_every_kind` runs); groups are shared by
/// all the (kind, operation) pairs they serve, so there are few.
#[allow(clippy::type_complexity)]
pub(crate) fn plan(
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
        // None declared: creations and updates (a deletion breaches no rule unless a policy
        // says so, as who may delete does).
        let op_ok = if p.meta.operations.is_empty() {
            matches!(op, Operation::Create | Operation::Update)
        } else {
            p.meta.operations.contains(&op)
        };
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

    pub(crate) fn load_engine(
        sources: &[SourceFile],
        for_rvm: Option<Vec<SourceFile>>,
    ) -> Result<Library> {
        let mut engine = new_engine();
        let packages = add_sources(&mut engine, sources)?;
        let policies = read_policies(&mut engine, packages)?;
        let (groups, by_kind, other_kinds) = plan(&policies);
        let rules = group_rules(&groups, &policies);
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
                message: printable::one_line(&e.to_string()),
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
        let (groups, programs) = compile_all(
            copied.as_mut().unwrap_or(&mut engine),
            groups,
            &policies,
            rvm_safe,
        );
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
            authority: Arc::new(crate::fence::Authority::default()),
            config: regorus::Value::from(crate::fence::Authority::default().config()),
            pool: Arc::new(Mutex::new(Vec::new())),
            reruns: Arc::default(),
            // Refused with the library when it does not read: govkh does not start.
            clouds: Arc::new(crate::clouds::Catalogue::builtin()?),
        })
    }
}

/// Parse every source but the tests into `engine`; the packages of the policies
/// (`policy.rego` files, each of which must declare `violation`), with their files.
fn add_sources(engine: &mut Engine, sources: &[SourceFile]) -> Result<Vec<(String, String)>> {
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
                message: printable::one_line(&e.to_string()),
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
    Ok(packages)
}

/// Each policy's `metadata`, read by evaluating it and checked: articles named, kinds known,
/// ids unique.
fn read_policies(engine: &mut Engine, packages: Vec<(String, String)>) -> Result<Vec<Policy>> {
    let mut policies = Vec::new();
    for (package, file) in packages {
        let no_metadata = || Error::Metadata {
            file: file.clone(),
            message:
                "no `metadata` rule: declare metadata := {id, title, articles, severity, action}"
                    .into(),
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
                        printable::one_line(&e.to_string())
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
    Ok(policies)
}

/// The generated rules that gather the violations of each group's policies (`g<N>`).
fn group_rules(groups: &[Vec<usize>], policies: &[Policy]) -> Vec<String> {
    groups
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
        .collect()
}

/// The RVM's programs, compiled from `engine`: one per group and one per policy (none when the
/// library must run on the interpreter).
fn compile_all(
    engine: &mut Engine,
    groups: Vec<Vec<usize>>,
    policies: &[Policy],
    rvm_safe: bool,
) -> (Vec<Group>, Vec<Option<Arc<Program>>>) {
    let groups = groups
        .into_iter()
        .enumerate()
        .map(|(g, members)| {
            let rule = format!("data.{GROUPS_PACKAGE}.g{g}");
            let program = (rvm_safe && !members.is_empty())
                .then(|| compile(engine, &rule))
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
                .then(|| compile(engine, &format!("{}.violation", p.package)))
                .flatten()
        })
        .collect();
    (groups, programs)
}
