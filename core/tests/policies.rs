//! The policy library as a whole: every policy has metadata, tests and samples; every Rego test
//! passes; every `allowed` sample yields no finding of its policy and every `denied` sample at
//! least one — so a policy cannot ship without working samples.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use govkh_core::{
    evaluate::{Evaluator, Operation, Review, evaluate},
    finding::Action,
    inventory::Inventory,
    loading::manifest::Loader,
    policy::{self, Library},
    provision::admission_policies as vap,
};
use k8s_openapi::jiff::Timestamp;
use serde_json::json;

fn policies_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../policies")
}

fn now() -> Timestamp {
    "2026-11-26T03:00:00Z".parse().unwrap()
}

fn policy_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(policies_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("policy.rego").exists())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn every_rego_test_passes() {
    let results = policy::run_tests(&policy::builtin_sources()).unwrap();
    let failed: Vec<String> = results
        .iter()
        .filter(|r| r.outcome.is_err())
        .map(|r| format!("{} {}: {:?}", r.policy, r.name, r.outcome))
        .collect();
    assert!(failed.is_empty(), "{failed:#?}");
    assert!(results.len() >= 50, "only {} tests", results.len());
}

#[test]
fn every_policy_has_metadata_tests_and_both_kinds_of_samples() {
    let lib = Library::builtin().unwrap();
    let dirs = policy_dirs();
    assert_eq!(
        lib.policies().len(),
        dirs.len(),
        "every policy folder loads as one policy"
    );
    let results = policy::run_tests(&policy::builtin_sources()).unwrap();
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let p = lib
            .policies()
            .iter()
            .find(|p| p.meta.id == name)
            .unwrap_or_else(|| panic!("{name}: metadata.id must be the folder's name"));
        assert!(!p.meta.articles.is_empty(), "{name}: no articles");
        assert!(
            results.iter().filter(|r| r.policy == name).count() >= 3,
            "{name}: fewer than 3 tests"
        );
        for kind in ["allowed", "denied"] {
            let samples = std::fs::read_dir(dir.join("samples").join(kind))
                .map(|d| d.count())
                .unwrap_or(0);
            assert!(samples >= 1, "{name}: no {kind} sample");
        }
    }
    for id in [
        "official-domain",
        "official-email",
        "data-placement",
        "no-reproduction",
        "no-dissemination",
        "personal-data-consent",
        "private-network",
        "approval-authority",
        "unclassified-data",
        "platform-authority",
        "ministry-authority",
        "namespace-claims",
        "reserved-namespaces",
        "derived-labels",
        "path-ownership",
    ] {
        assert!(
            lib.policies().iter().any(|p| p.meta.id == id),
            "the catalogue lacks {id}"
        );
    }
}

/// The request a sample stands for: its last document, submitted as its annotations say
/// (`samples.govkh.digital.gov.kh/operation`: CREATE by default, UPDATE of the earlier version
/// of the same object — in the sample, else in the context — or DELETE; `user-groups` and
/// `user-name`: who submits it, when an admission-only policy needs a submitter). The samples'
/// own annotations are taken off the objects judged.
struct SampleRequest {
    inventory: Inventory,
    operation: Operation,
    object: serde_json::Value,
    old_object: Option<serde_json::Value>,
    user: Option<(String, Vec<String>)>,
}

const SAMPLE_ANNOTATIONS: &str = "samples.govkh.digital.gov.kh/";

fn sample_request(sample: &Path) -> SampleRequest {
    let (inventory, subject) = sample_inventory(sample);
    let annotation = |k: &str| {
        subject.raw["metadata"]["annotations"][format!("{SAMPLE_ANNOTATIONS}{k}")]
            .as_str()
            .map(str::to_string)
    };
    let user = match (annotation("user-name"), sample_groups(&subject)) {
        (None, None) => None,
        (name, groups) => Some((
            name.unwrap_or_else(|| "sample-user".into()),
            groups.unwrap_or_default(),
        )),
    };
    let clean = |mut v: serde_json::Value| {
        if let Some(a) = v["metadata"]["annotations"].as_object_mut() {
            a.retain(|k, _| !k.starts_with(SAMPLE_ANNOTATIONS));
            if a.is_empty() {
                v["metadata"].as_object_mut().unwrap().remove("annotations");
            }
        }
        v
    };
    let object = clean(subject.raw.clone());
    let operation = match annotation("operation").as_deref() {
        None | Some("CREATE") => Operation::Create,
        Some("UPDATE") => Operation::Update,
        Some("DELETE") => Operation::Delete,
        Some(other) => panic!("{}: operation {other}", sample.display()),
    };
    let old_object = match operation {
        Operation::Create => None,
        Operation::Delete => Some(object.clone()),
        _ => {
            let previous = govkh_core::evaluate::objects(&inventory)
                .into_iter()
                .map(|(o, _)| o)
                .find(|o| {
                    o["kind"] == object["kind"]
                        && o["metadata"]["name"] == object["metadata"]["name"]
                        && o["metadata"]["namespace"] == object["metadata"]["namespace"]
                })
                .unwrap_or_else(|| panic!("{}: no earlier version", sample.display()));
            Some(clean(previous))
        }
    };
    SampleRequest {
        inventory,
        operation,
        object,
        old_object,
        user,
    }
}

/// The findings of `policy_id` about the last document of `sample`, evaluated with the samples
/// context: their messages.
fn sample_findings(policy_id: &str, sample: &Path) -> Vec<String> {
    sample_findings_whole(policy_id, sample)
        .into_iter()
        .map(|f| f.message)
        .collect()
}

/// The findings of `policy_id` about the last document of `sample`, whole.
fn sample_findings_whole(policy_id: &str, sample: &Path) -> Vec<govkh_core::finding::Finding> {
    let SampleRequest {
        inventory: inv,
        operation,
        object,
        old_object,
        user,
    } = sample_request(sample);
    let lib = Library::builtin().unwrap();
    // Samples may say who submits them (admission-only policies).
    let user_info = user.map(|(name, groups)| json!({"username": name, "groups": groups}));
    let full = evaluate(&inv, &lib, now());
    let evaluator = Evaluator::new(&inv, &lib, now(), &full.tenancies);
    let review = Review {
        operation,
        object,
        old_object,
        user_info,
        source: None,
    };
    let findings = evaluator.review(&review);
    let errors: Vec<_> = findings
        .iter()
        .filter(|f| f.action == Action::Error)
        .collect();
    assert!(errors.is_empty(), "{}: {errors:?}", sample.display());
    let khmer = |t: &str| t.chars().any(|c| ('\u{1780}'..='\u{17ff}').contains(&c));
    findings
        .into_iter()
        .filter(|f| f.policy == policy_id)
        .inspect(|f| {
            // Every breach is told in Khmer too, with the remedy (`msg_km`, `fixKm`).
            let km = f
                .km
                .as_ref()
                .unwrap_or_else(|| panic!("{}: no Khmer message: {}", sample.display(), f.message));
            assert!(khmer(&km.message), "{}: {:?}", sample.display(), km.message);
            assert!(
                km.fix.as_deref().is_some_and(khmer),
                "{}: no Khmer fix",
                sample.display()
            );
        })
        .collect()
}

#[test]
fn art_38_fines_only_a_name_outside_the_ministrys_own_domain() {
    let denied = policies_dir().join("official-domain/samples/denied");
    let penalties = |file: &str| -> Vec<(Option<govkh_core::finding::Penalty>, String)> {
        let found = sample_findings_whole("official-domain", &denied.join(file));
        assert!(!found.is_empty(), "{file}: no finding");
        found.into_iter().map(|f| (f.penalty, f.message)).collect()
    };
    // A commercial host: Art. 38's fine, for "a person" (neither natural nor legal).
    for (p, msg) in penalties("ingress-on-commercial-domain.yaml") {
        let p = p.unwrap_or_else(|| panic!("no penalty: {msg}"));
        assert_eq!(
            (
                p.article.as_str(),
                p.person_max_riel,
                p.natural_person_max_riel
            ),
            ("38", Some(200_000), None),
            "{msg}"
        );
    }
    // Serving every host, or a name that is no DNS name, breaches Art. 20/21 without using a
    // domain outside .gov.kh: no fine printed.
    for file in [
        "ingress-with-a-rule-without-host.yaml",
        "ingress-with-look-alike-letter.yaml",
    ] {
        for (p, msg) in penalties(file) {
            assert_eq!(p, None, "{file}: {msg}");
        }
    }
    // Another ministry's host: fined as outside the ministry's own domain, once; the "inside
    // another's domain" finding beside it carries no second fine.
    let other = penalties("httproute-on-another-ministrys-domain.yaml");
    let fined: Vec<_> = other.iter().filter(|(p, _)| p.is_some()).collect();
    assert_eq!(fined.len(), 1, "{other:#?}");
    assert!(
        fined[0]
            .1
            .contains("outside the ministry's official domain"),
        "{other:#?}"
    );
    assert!(
        other
            .iter()
            .any(|(p, m)| p.is_none() && m.contains("inside Ministry")),
        "{other:#?}"
    );
}

/// The groups a sample says its submitter has (admission-only policies; samples only).
fn sample_groups(subject: &govkh_core::loading::manifest::Loaded) -> Option<Vec<String>> {
    subject.raw["metadata"]["annotations"]["samples.govkh.digital.gov.kh/user-groups"]
        .as_str()
        .map(|g| g.split(',').map(str::to_string).collect())
}

/// The samples context with `sample`, and the sample's last document (the object under test).
/// An update's or deletion's object is the one stored already: the inventory holds its earlier
/// version (from the sample, else the context), not the one submitted.
fn sample_inventory(sample: &Path) -> (Inventory, govkh_core::loading::manifest::Loaded) {
    let loader = Loader::new();
    let ctx = loader.load_paths(
        &[policies_dir().join("samples-context.yaml")],
        &mut std::io::empty(),
    );
    assert!(ctx.errors.is_empty(), "{:?}", ctx.errors);
    let own = loader.load_paths(&[sample.to_path_buf()], &mut std::io::empty());
    assert!(
        own.errors.is_empty(),
        "{}: {:?}",
        sample.display(),
        own.errors
    );
    let subject = own.objects.last().unwrap().clone();
    let stored = subject.raw["metadata"]["annotations"]["samples.govkh.digital.gov.kh/operation"]
        .as_str()
        .is_some_and(|op| op != "CREATE");
    let mut objects = ctx.objects;
    let mut mine = own.objects;
    if stored {
        mine.pop();
        // The sample's earlier version replaces the context's.
        for o in &mine {
            objects
                .retain(|c| !(c.kind == o.kind && c.name == o.name && c.namespace == o.namespace));
        }
        if mine.is_empty()
            && subject.raw["metadata"]["annotations"]["samples.govkh.digital.gov.kh/operation"]
                == "DELETE"
        {
            mine.push(subject.clone());
        }
    }
    objects.extend(mine);
    let (inv, errors) = Inventory::build(objects);
    assert!(errors.is_empty(), "{}: {errors:?}", sample.display());
    (inv, subject)
}

#[test]
fn every_violation_rule_writes_its_message_in_both_languages() {
    for dir in policy_dirs() {
        let text = std::fs::read_to_string(dir.join("policy.rego")).unwrap();
        let rules = text.matches("\nviolation contains {").count();
        let both = text
            .matches("\nviolation contains {\"msg\": msg, \"msg_km\": msg_km")
            .count();
        assert!(rules >= 1, "{}", dir.display());
        assert_eq!(rules, both, "{}: a rule without msg_km", dir.display());
    }
    for p in Library::builtin().unwrap().policies() {
        let m = &p.meta;
        assert!(
            m.title_km.is_some() && m.fix.is_some() && m.fix_km.is_some(),
            "{}: titleKm, fix and fixKm",
            m.id
        );
    }
}

#[test]
fn samples_behave_as_labelled() {
    let mut checked = 0;
    for dir in policy_dirs() {
        let id = dir.file_name().unwrap().to_string_lossy().into_owned();
        for kind in ["allowed", "denied"] {
            let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("samples").join(kind))
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            files.sort();
            for f in files {
                let found = sample_findings(&id, &f);
                match kind {
                    "allowed" => assert!(
                        found.is_empty(),
                        "{}: allowed sample has findings: {found:?}",
                        f.display()
                    ),
                    _ => assert!(
                        !found.is_empty(),
                        "{}: denied sample has no finding of {id}",
                        f.display()
                    ),
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 18, "{checked} samples");
}

#[test]
fn a_policy_with_a_syntax_error_is_refused_naming_file_and_line() {
    let bad = policy::SourceFile {
        path: "mine/policy.rego".into(),
        text: "package govkh.mine\n\nviolation contains x if {\n".into(),
    };
    let err = Library::load(&[bad]).unwrap_err().to_string();
    assert!(err.starts_with("mine/policy.rego: "), "{err}");
    assert!(err.contains("mine/policy.rego:4"), "{err}");
}

#[test]
fn a_policy_without_metadata_is_refused() {
    let src = policy::SourceFile {
        path: "mine/policy.rego".into(),
        text: "package govkh.mine\nviolation contains {\"msg\": \"x\"} if false\n".into(),
    };
    let err = Library::load(&[src]).unwrap_err().to_string();
    assert!(err.contains("no `metadata` rule"), "{err}");
}

#[test]
fn a_failing_policy_is_an_error_finding_not_a_silent_pass() {
    // Comparing a string to a number with `<` is a type error at evaluation time.
    let src = policy::SourceFile {
        path: "mine/policy.rego".into(),
        text: r#"package govkh.mine
metadata := {"id": "mine", "title": "t", "articles": ["9"], "severity": "low", "action": "deny"}
violation contains {"msg": "x"} if { x := to_number(input.review.object.metadata.name); x > 1 }
"#
        .into(),
    };
    let lib = Library::load(&[src]).unwrap();
    let inv = Inventory::default();
    let eval = evaluate(&inv, &lib, now());
    assert!(eval.findings.is_empty());
    let evaluator = Evaluator::new(&inv, &lib, now(), &[]);
    let review = Review::create(
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "not-a-number", "namespace": "x"}}),
        None,
    );
    let findings = evaluator.review(&review);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].action, Action::Error);
    assert!(
        findings[0]
            .message
            .starts_with("policy mine failed on this object"),
        "{}",
        findings[0].message
    );
}

/// A policy `slow` that runs far past the time limit on any object.
fn looping() -> policy::SourceFile {
    policy::SourceFile {
        path: "slow/policy.rego".into(),
        text: r#"package govkh.slow
metadata := {"id": "slow", "title": "t", "articles": ["9"], "severity": "low", "action": "deny"}
violation contains {"msg": "x"} if {
    n := numbers.range(1, 3000)
    count([1 | some a in n; some b in n; a + b == -1]) == 0
    false
}
"#
        .into(),
    }
}

/// A policy `ranges` whose one violation's message is what `expr` evaluates to.
fn ranging(expr: &str) -> policy::SourceFile {
    policy::SourceFile {
        path: "ranges/policy.rego".into(),
        text: format!(
            r#"package govkh.ranges
metadata := {{"id": "ranges", "title": "t", "articles": ["9"], "severity": "low", "action": "deny"}}
violation contains {{"msg": sprintf("%v", [{expr}])}} if true
"#
        ),
    }
}

fn judge_configmap(lib: &Library) -> Vec<govkh_core::finding::Finding> {
    let inv = Inventory::default();
    Evaluator::new(&inv, lib, now(), &[]).review(&Review::create(
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}),
        None,
    ))
}

#[test]
fn numbers_range_is_bounded_and_a_huge_range_is_an_error_not_an_abort() {
    // regorus reserves the whole array first: 300,000,000 numbers asked for gigabytes and
    // aborted the process. Now it is an error finding, at once, in either mode.
    for mode in [policy::Mode::Interpreter, policy::Mode::Rvm] {
        let lib = Library::load(&[ranging("count(numbers.range(1, 300000000))")])
            .unwrap()
            .with_mode(mode);
        assert_eq!(
            lib.compiled_policies(),
            0,
            "the RVM would call the unbounded builtin"
        );
        let findings = judge_configmap(&lib);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert_eq!(findings[0].action, Action::Error, "{mode:?}");
        assert!(
            findings[0]
                .message
                .contains("numbers.range from 1 to 300000000 would make 300000000 numbers; govkh allows at most 1000000"),
            "{}",
            findings[0].message
        );
    }
    // Within the bound, OPA's results (from a towards b, both ends included when reached).
    for (expr, want) in [
        ("numbers.range(1, 3)", "[1, 2, 3]"),
        ("numbers.range(3, 1)", "[3, 2, 1]"),
        ("numbers.range(-1, 1)", "[-1, 0, 1]"),
        ("numbers.range(5, 5)", "[5]"),
        ("numbers.range_step(1, 10, 3)", "[1, 4, 7, 10]"),
        ("numbers.range_step(10, 1, 3)", "[10, 7, 4, 1]"),
        ("numbers.range_step(1, 9, 3)", "[1, 4, 7]"),
        ("count(numbers.range(1, 1000000))", "1000000"),
    ] {
        let findings = judge_configmap(&Library::load(&[ranging(expr)]).unwrap());
        assert_eq!(findings.len(), 1, "{expr}: {findings:?}");
        assert!(
            findings[0].message.starts_with(want),
            "{expr}: {}",
            findings[0].message
        );
    }
    for expr in [
        "numbers.range(1.5, 3)",
        "numbers.range_step(1, 10, 0)",
        "numbers.range_step(1, 10, -2)",
    ] {
        let findings = judge_configmap(&Library::load(&[ranging(expr)]).unwrap());
        assert_eq!(findings[0].action, Action::Error, "{expr}: {findings:?}");
    }
}

#[test]
fn a_format_wider_than_the_limit_refuses_the_library_with_its_line() {
    // sprintf("%0900000000d", [1]) built a 900 MB string and ran past every limit.
    for spec in ["%0900000000d", "%900000000s", "%.99999f", "%-5000v"] {
        let Err(e) = Library::load(&[ranging(&format!("sprintf(\"{spec}\", [1])"))]) else {
            panic!("{spec} was accepted");
        };
        let message = e.to_string();
        assert!(message.contains("ranges/policy.rego"), "{message}");
        assert!(message.contains("line 3"), "{message}");
        assert!(
            message.contains("wider than govkh allows (1000)"),
            "{message}"
        );
    }
    // Ordinary formats, a literal percent sign before digits, and a width in a comment load.
    // In a raw string, over several lines, and after a `#` inside a quoted string.
    for (expr, line) in [
        ("sprintf(`a\n%0900000000d`, [1])", 4),
        ("sprintf(\"#%0900000000d\", [1])", 3),
    ] {
        let Err(e) = Library::load(&[ranging(expr)]) else {
            panic!("{expr} was accepted");
        };
        assert!(e.to_string().contains(&format!("line {line}:")), "{e}");
    }
    let ordinary = ranging("sprintf(\"%05d %.2f %20s %v %%1000000\", [1, 2.5, \"a\", 3])");
    assert!(Library::load(std::slice::from_ref(&ordinary)).is_ok());
    let mut commented = ordinary;
    commented
        .text
        .push_str("# not a format: sprintf(\"%0900000000d\", [1])\n");
    assert!(Library::load(&[commented]).is_ok());
}

/// In a debug build regorus's sprintf overflows on a width past u32 and panics: a panic in
/// the engine is the policy's error on that object, and the run goes on.
#[cfg(debug_assertions)]
#[test]
fn a_panic_in_the_engine_is_an_error_finding_not_the_end_of_the_run() {
    let lib = Library::load(&[ranging(
        "sprintf(concat(\"\", [\"%0\", \"99999999999\", \"d\"]), [1])",
    )])
    .unwrap();
    let findings = judge_configmap(&lib);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].action, Action::Error);
    assert!(
        findings[0].message.contains("the policy engine failed"),
        "{}",
        findings[0].message
    );
    // And again: the pool holds no broken engine.
    assert_eq!(judge_configmap(&lib)[0].action, Action::Error);
}

#[test]
fn a_policy_that_runs_too_long_is_stopped_and_reported() {
    let lib = Library::load(&[looping()]).unwrap();
    let findings = judge_configmap(&lib);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].action, Action::Error);
}

#[test]
fn the_rvm_and_the_interpreter_agree_on_every_sample_and_example_with_and_without_kinds() {
    let lib = Library::builtin().unwrap();
    assert_eq!(
        lib.compiled_policies(),
        lib.policies().len(),
        "every policy compiles for the RVM"
    );
    let loader = Loader::new();
    let mut paths = vec![PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples")];
    paths.push(policies_dir().join("samples-context.yaml"));
    for dir in policy_dirs() {
        for kind in ["allowed", "denied"] {
            for e in std::fs::read_dir(dir.join("samples").join(kind)).unwrap() {
                paths.push(e.unwrap().path());
            }
        }
    }
    // Samples reuse names across files; check each file with the examples as context.
    let base = loader
        .load_paths(&paths[..1], &mut std::io::empty())
        .objects;
    let mut compared = 0;
    for p in &paths[1..] {
        let mut objects = base.clone();
        objects.extend(
            loader
                .load_paths(std::slice::from_ref(p), &mut std::io::empty())
                .objects,
        );
        let (inv, _) = Inventory::build(objects);
        let interpreted = evaluate(
            &inv,
            &lib.clone().with_mode(policy::Mode::Interpreter),
            now(),
        )
        .findings;
        let rvm = lib.clone().with_mode(policy::Mode::Rvm);
        let reruns = rvm.interpreter_reruns();
        let compiled = evaluate(&inv, &rvm, now()).findings;
        assert_eq!(interpreted, compiled, "{}", p.display());
        // Found by the RVM itself: no built-in policy errs on a sample, so nothing was re-run.
        assert_eq!(rvm.interpreter_reruns(), reruns, "{}", p.display());
        // Running only the policies that declare the object's kind finds what running every
        // policy on every object finds, in both modes.
        for mode in [policy::Mode::Interpreter, policy::Mode::Rvm] {
            let every = lib.clone().with_mode(mode).judging_every_kind();
            let unfiltered = evaluate(&inv, &every, now()).findings;
            assert_eq!(interpreted, unfiltered, "{mode:?}, {}", p.display());
        }
        compared += interpreted.len();
    }
    assert!(compared > 50, "{compared} findings compared");
}

#[test]
fn runtime_errors_in_policies_are_reported_by_the_default_mode() {
    // Each body fails at evaluation time on this object. Both modes report every one, with the
    // policy's file and line: the RVM (the default) reports the error (govkh's patch to
    // regorus; unpatched, it made the body undefined, a silent pass) and the interpreter
    // re-runs the policy for its message.
    for body in [
        "x := to_number(input.review.object.metadata.name); x > 1",
        "x := input.review.object.metadata.name + 1; x > 1",
        "x := 1 / 0; x > 1",
        "startswith(input.review.object.metadata, \"a\")",
    ] {
        let src = mine("", body);
        for mode in [policy::Mode::Rvm, policy::Mode::Interpreter] {
            let lib = Library::load(std::slice::from_ref(&src))
                .unwrap()
                .with_mode(mode);
            assert_eq!(lib.compiled_policies(), 1, "{body}");
            let f = judge_configmap(&lib);
            assert_eq!(f.len(), 1, "{mode:?} {body}: {f:?}");
            assert_eq!(f[0].action, Action::Error, "{mode:?} {body}");
            assert!(
                f[0].message.contains("mine/policy.rego:3"),
                "{mode:?} {body}: {}",
                f[0].message
            );
            // The RVM reported the error and the interpreter re-ran it; the interpreter alone
            // re-runs nothing.
            match mode {
                policy::Mode::Rvm => assert!(lib.interpreter_reruns() >= 1, "{body}"),
                policy::Mode::Interpreter => assert_eq!(lib.interpreter_reruns(), 0, "{body}"),
            }
        }
    }
}

#[test]
fn the_patched_rvm_reports_what_it_used_to_make_undefined() {
    // regorus's RVM itself, on a body that errs, a body whose condition fails, and a complete
    // rule with two values: strict rule errors (govkh's patch) report the error and the
    // conflict, and leave a failed condition what it is, undefined; without them the errors
    // vanish (upstream's behaviour, which made the RVM unfit for a fail-closed default).
    use regorus::languages::rego::compiler::Compiler;
    let run = |rules: &str, entry: &str, strict: bool| {
        let mut engine = regorus::Engine::new();
        engine
            .add_policy("p.rego".into(), format!("package p\n{rules}\n"))
            .unwrap();
        let compiled = engine.compile_with_entrypoint(&entry.into()).unwrap();
        let program = Compiler::compile_from_policy(&compiled, &[entry]).unwrap();
        let mut vm = regorus::rvm::RegoVM::new();
        vm.load_program(program);
        vm.set_strict_builtin_errors(true);
        vm.set_strict_rule_errors(strict);
        vm.set_input(regorus::Value::from_json_str(r#"{"name": "abc"}"#).unwrap());
        vm.execute_entry_point_by_name(entry)
    };
    let erring = "violation contains \"x\" if { x := to_number(input.name); x > 1 }";
    let failing = "violation contains \"x\" if { input.name == \"other\" }";
    let conflicting = "v := 1 if { true }\nv := 2 if { true }";
    assert!(run(erring, "data.p.violation", true).is_err());
    assert_eq!(
        run(erring, "data.p.violation", false).unwrap(),
        regorus::Value::new_set()
    );
    assert_eq!(
        run(failing, "data.p.violation", true).unwrap(),
        regorus::Value::new_set()
    );
    assert!(run(conflicting, "data.p.v", true).is_err());
    assert_eq!(
        run(conflicting, "data.p.v", false).unwrap(),
        regorus::Value::Undefined
    );
}

/// A user policy `mine` with `extra` metadata entries (`, "kinds": [...]`) and a violation
/// body.
fn mine(extra: &str, body: &str) -> policy::SourceFile {
    policy::SourceFile {
        path: "mine/policy.rego".into(),
        text: format!(
            "package govkh.mine\nmetadata := {{\"id\": \"mine\", \"title\": \"t\", \"articles\": [\"9\"], \"severity\": \"low\", \"action\": \"deny\"{extra}}}\nviolation contains {{\"msg\": \"x\"}} if {{ {body} }}\n"
        ),
    }
}

#[path = "../benches/support/workloads.rs"]
mod workloads;

#[test]
fn the_generated_workloads_are_judged_alike_filtered_or_not_on_one_thread_or_several() {
    // The benchmark's Deployments (every namespace, every class, unlabelled ones) beside the
    // examples: the same findings whether the policies run by declared kind or all of them,
    // and whatever the number of threads.
    let mut objects = Loader::new()
        .load_paths(
            &[PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples")],
            &mut std::io::empty(),
        )
        .objects;
    let loader = Loader::new();
    for i in 0..96 {
        let source = govkh_core::loading::manifest::Source {
            file: format!("generated-{i}.yaml"),
            document: 1,
            line: 1,
        };
        objects.push(loader.load_value(&source, workloads::workload(i)).unwrap());
    }
    let (inv, problems) = Inventory::build(objects);
    assert!(problems.is_empty(), "{problems:?}");
    let lib = Library::builtin().unwrap();
    let reference = evaluate(
        &inv,
        &lib.clone().judging_every_kind().with_threads(1),
        now(),
    );
    let generated = |f: &Vec<govkh_core::finding::Finding>| {
        f.iter()
            .filter(|f| {
                f.source
                    .as_ref()
                    .is_some_and(|s| s.file.starts_with("generated-"))
            })
            .count()
    };
    // Top-secret workloads in a leased namespace: one in eight of them.
    assert!(
        generated(&reference.findings) >= 12,
        "{:?}",
        reference.findings
    );
    for threads in [1, 3] {
        let filtered = evaluate(&inv, &lib.clone().with_threads(threads), now());
        assert_eq!(reference.findings, filtered.findings, "{threads} threads");
    }
    // The default mode is the RVM, and it judged every generated workload itself.
    assert_eq!(lib.interpreter_reruns(), 0);
    let interpreted = evaluate(
        &inv,
        &lib.clone().with_mode(policy::Mode::Interpreter),
        now(),
    );
    assert_eq!(reference.findings, interpreted.findings, "the interpreter");
}

#[test]
fn only_the_policies_that_declare_a_kind_and_operation_run_on_it() {
    let lib = Library::builtin().unwrap();
    let ids = |kind: &str, op: Operation| -> Vec<&str> {
        lib.applicable(kind, op)
            .iter()
            .map(|&i| lib.policies()[i].meta.id.as_str())
            .collect()
    };
    assert_eq!(
        ids("Deployment", Operation::Create),
        ["data-placement", "unclassified-data"]
    );
    assert_eq!(
        ids("Approval", Operation::Create),
        ["approval-authority", "ministry-authority", "official-email"]
    );
    // Deleting a decided Approval is a revocation, the committee's; deleting a request, its
    // ministry's; a policy that declares no operations judges creations and updates only.
    assert_eq!(
        ids("Approval", Operation::Delete),
        ["approval-authority", "ministry-authority"]
    );
    // A kind no built-in policy names: none runs (and no input is built for it).
    assert!(ids("Lease", Operation::Create).is_empty());
    // Every policy declares the kinds it judges.
    assert!(lib.policies().iter().all(|p| !p.meta.kinds.is_empty()));
    // A user policy that declares none runs on every kind, beside the built-in ones, on their
    // creations and updates.
    let mut sources = policy::builtin_sources();
    sources.push(mine("", "false"));
    let lib = Library::load(&sources).unwrap();
    let mine = lib.policies().len() - 1;
    assert!(lib.applicable("Lease", Operation::Create) == [mine]);
    assert!(
        lib.applicable("Deployment", Operation::Update)
            .contains(&mine)
    );
    assert!(
        !lib.applicable("Deployment", Operation::Delete)
            .contains(&mine),
        "a deletion is judged only by a policy that declares DELETE"
    );
}

#[test]
fn a_mistyped_kind_or_operation_in_metadata_refuses_the_policy() {
    for (kinds, expected) in [
        (
            r#"["Deploymnet"]"#,
            "Deploymnet is not a kind govkh knows: did you mean Deployment?",
        ),
        (r#"["Configmap"]"#, "did you mean ConfigMap?"),
        (r#"["deployment"]"#, "is not a kind name"),
        (r#"["apps/Deployment"]"#, "is not a kind name"),
        (r#""Deployment""#, "invalid metadata"),
    ] {
        let src = policy::SourceFile {
            path: "mine/policy.rego".into(),
            text: format!(
                "package govkh.mine\nmetadata := {{\"id\": \"mine\", \"title\": \"t\", \"articles\": [\"9\"], \"severity\": \"low\", \"action\": \"warn\", \"kinds\": {kinds}}}\nviolation contains {{\"msg\": \"x\"}} if false\n"
            ),
        };
        let e = Library::load(std::slice::from_ref(&src))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("mine/policy.rego: "), "{e}");
        assert!(e.contains(expected), "{kinds}: {e}");
    }
    // Real kinds a letter or two from known ones stay allowed.
    for kind in ["Node", "Role", "Lease", "Gateway"] {
        let src = policy::SourceFile {
            path: "mine/policy.rego".into(),
            text: format!(
                "package govkh.mine\nmetadata := {{\"id\": \"mine\", \"title\": \"t\", \"articles\": [\"9\"], \"severity\": \"low\", \"action\": \"warn\", \"kinds\": [\"{kind}\"]}}\nviolation contains {{\"msg\": \"x\"}} if false\n"
            ),
        };
        assert!(Library::load(std::slice::from_ref(&src)).is_ok(), "{kind}");
    }
    let src = mine(r#", "operations": ["PATCH"]"#, "false");
    let e = Library::load(std::slice::from_ref(&src))
        .unwrap_err()
        .to_string();
    assert!(e.contains("unknown variant `PATCH`"), "{e}");
}

#[test]
fn an_engine_that_failed_is_not_reused_and_the_next_object_is_judged_afresh() {
    // The same policy fails on one object (a name that is no number) and judges the next; on
    // one thread the pooled engine would carry the failure over if it were kept.
    let src = mine("", "to_number(input.review.object.metadata.name) > 1");
    let lib = Library::load(std::slice::from_ref(&src))
        .unwrap()
        .with_threads(1);
    let loader = Loader::new();
    let objects = ["a-name", "12", "b-name", "7"]
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let source = govkh_core::loading::manifest::Source {
                file: format!("f{i}.yaml"),
                document: 1,
                line: 1,
            };
            loader
                .load_value(&source, json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "x"}}))
                .unwrap()
        })
        .collect();
    let (inv, _) = Inventory::build(objects);
    let f = evaluate(&inv, &lib, now()).findings;
    let by_name = |n: &str| -> Vec<Action> {
        f.iter()
            .filter(|f| f.policy == "mine" && f.resource.name.as_deref() == Some(n))
            .map(|f| f.action)
            .collect()
    };
    assert_eq!(by_name("a-name"), [Action::Error]);
    assert_eq!(by_name("12"), [Action::Deny]);
    assert_eq!(by_name("b-name"), [Action::Error]);
    assert_eq!(by_name("7"), [Action::Deny]);
}

#[test]
fn the_policies_lookups_are_built_from_the_grants_in_force_and_the_namespaces() {
    let objects = Loader::new()
        .load_paths(
            &[PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples")],
            &mut std::io::empty(),
        )
        .objects;
    let (inv, _) = Inventory::build(objects);
    let on = |day: &str| govkh_core::evaluate::policy_inventory(&inv, day.parse().unwrap(), &[]);
    let spring = on("2026-03-01");
    let november = on("2026-11-26");
    // Active from June to December: a grant in force is indexed, one not yet in force is not.
    assert_eq!(
        november["activeGrants"]["moh/mef/moh-records"],
        json!(["moh-admissions-to-mef"])
    );
    assert!(spring["activeGrants"].get("moh/mef/moh-records").is_none());
    // Personal data with consent, in force until 30 June: a consent grant in spring only.
    assert_eq!(
        spring["consentGrants"]["nssf/moh/nssf-claims"],
        json!(["nssf-claims-to-moh"])
    );
    assert!(
        november["consentGrants"]
            .get("nssf/moh/nssf-claims")
            .is_none()
    );
    // A grant without personal data is never a consent grant.
    assert!(
        november["consentGrants"]
            .get("moh/mef/moh-records")
            .is_none()
    );
    let moh = november["ministryNamespaces"]["moh"].as_array().unwrap();
    assert!(moh.contains(&json!("moh-records")) && moh.contains(&json!("moh-registry")));
    assert!(!moh.contains(&json!("mef-tax")));
}

/// `n` ConfigMaps named c0, c1, ... in namespace x, loaded as `check` loads them.
fn config_maps(n: usize) -> Inventory {
    let loader = Loader::new();
    let objects = (0..n)
        .map(|i| {
            let source = govkh_core::loading::manifest::Source {
                file: format!("c{i}.yaml"),
                document: 1,
                line: 1,
            };
            loader
                .load_value(
                    &source,
                    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("c{i}"), "namespace": "x"}}),
                )
                .unwrap()
        })
        .collect();
    Inventory::build(objects).0
}

#[test]
fn a_policy_that_keeps_running_out_of_time_is_stopped_for_the_rest_of_the_run() {
    // A looping policy beside a quick one: the looping one times out on three objects, then
    // is not run again in this evaluation (an error finding each, at once); the quick one
    // still judges every object.
    let lib = Library::load(&[looping(), mine("", "true")])
        .unwrap()
        .with_threads(1);
    let f = evaluate(&config_maps(10), &lib, now()).findings;
    let slow: Vec<&str> = f
        .iter()
        .filter(|f| f.policy == "slow")
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(slow.len(), 10, "{slow:?}");
    assert!(slow.iter().all(|m| m.starts_with("policy slow failed")));
    let timed_out = slow
        .iter()
        .filter(|m| m.contains("exceeded time limit"))
        .count();
    let skipped = slow
        .iter()
        .filter(|m| m.contains("not run: it ran out of time (500 ms) on 3 objects"))
        .count();
    assert_eq!((timed_out, skipped), (3, 7), "{slow:?}");
    assert_eq!(f.iter().filter(|f| f.policy == "mine").count(), 10);
    assert!(
        f.iter()
            .filter(|f| f.policy == "mine")
            .all(|f| f.action == Action::Deny)
    );
}

#[test]
fn objects_left_when_the_runs_budget_is_spent_are_errors_not_passes() {
    let lib = Library::load(&[mine("", "true")])
        .unwrap()
        .with_deadline(Some(std::time::Instant::now()));
    let of_config_maps =
        |f: Vec<govkh_core::finding::Finding>| -> Vec<govkh_core::finding::Finding> {
            f.into_iter()
                .filter(|f| f.resource.kind.as_deref() == Some("ConfigMap"))
                .collect()
        };
    let f = of_config_maps(evaluate(&config_maps(4), &lib, now()).findings);
    assert_eq!(f.len(), 4, "{f:?}");
    for finding in &f {
        assert_eq!(finding.action, Action::Error);
        assert!(
            finding
                .message
                .contains("the run's time budget (--timeout) ran out"),
            "{}",
            finding.message
        );
    }
    // With time left, the same objects are judged.
    let lib = lib.with_deadline(Some(
        std::time::Instant::now() + std::time::Duration::from_secs(3600),
    ));
    let f = of_config_maps(evaluate(&config_maps(4), &lib, now()).findings);
    assert_eq!(f.len(), 4, "{f:?}");
    assert!(
        f.iter()
            .all(|f| f.action == Action::Deny && f.policy == "mine"),
        "{f:?}"
    );
}

/// The samples of `policy`, allowed ones first, each with whether it is a denied sample.
fn samples_of(policy: &str) -> Vec<(PathBuf, bool)> {
    let mut out = Vec::new();
    for kind in ["allowed", "denied"] {
        let dir = policies_dir().join(policy).join("samples").join(kind);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        out.extend(files.into_iter().map(|f| (f, kind == "denied")));
    }
    out
}

/// The messages of the checks the CEL twin `policy` fails on `sample`, evaluated offline as
/// the API server would: the namespace as govkh's tenancy reconciler labels and annotates it
/// from the same inventory.
fn twin_verdict(
    policy: &k8s_openapi::api::admissionregistration::v1::ValidatingAdmissionPolicy,
    sample: &Path,
) -> Vec<String> {
    let r = sample_request(sample);
    let namespace = r.object["metadata"]["namespace"]
        .as_str()
        .map(|n| vap::namespace_object(&r.inventory, n));
    let (user, groups) = r.user.unwrap_or_else(|| ("sample-user".into(), Vec::new()));
    let request = vap::Request {
        operation: r.operation.as_str().into(),
        object: r.object,
        old_object: r.old_object,
        namespace,
        user: (user, groups),
    };
    vap::evaluate(policy, &request).unwrap_or_else(|e| panic!("{}: {e}", sample.display()))
}

/// Twins of policies that judge who submits a request: a file without a submitter is judged
/// by them only with --as-user (and by the audit never), so it has no admission twin.
const SUBMITTER_TWINS: &[&str] = &["approval-authority", "platform-authority", "derived-labels"];

/// Where a CEL twin and its Rego policy disagree on a sample (policy, sample, both verdicts),
/// and how many samples were compared.
fn disagreements(twins: &[vap::Twin]) -> (Vec<String>, usize) {
    let lib = Library::builtin().unwrap();
    let generated = vap::generate(&lib, twins, &vap::Options::default()).unwrap();
    let mut out = Vec::new();
    let mut compared = 0;
    for (twin, (policy, _)) in twins.iter().zip(&generated) {
        for (sample, denied) in samples_of(twin.policy) {
            // A request always has a user.
            if SUBMITTER_TWINS.contains(&twin.policy) && sample_request(&sample).user.is_none() {
                continue;
            }
            let rego = sample_findings(twin.policy, &sample);
            let cel = twin_verdict(policy, &sample);
            assert_eq!(!rego.is_empty(), denied, "{}", sample.display());
            if rego.is_empty() != cel.is_empty() {
                out.push(format!("{}: Rego {rego:?}, CEL {cel:?}", sample.display()));
            }
            compared += 1;
        }
    }
    (out, compared)
}

#[test]
fn every_cel_twin_agrees_with_its_rego_policy_on_every_sample() {
    let (differ, compared) = disagreements(&vap::twins());
    assert!(differ.is_empty(), "{differ:#?}");
    assert!(compared >= 20, "{compared} samples compared");
}

#[test]
fn a_twin_that_lets_a_denied_sample_through_or_refuses_an_allowed_one_fails_the_agreement() {
    for (i, check) in [("true", "'never'"), ("false", "'always'")]
        .into_iter()
        .enumerate()
    {
        let mut twins = vap::twins();
        let leaked: &'static [(&'static str, &'static str)] = Box::leak(Box::new([check]));
        twins[i].checks = leaked;
        let (differ, _) = disagreements(&twins[i..=i]);
        assert!(!differ.is_empty(), "{} with {check:?}", twins[i].policy);
    }
}

#[test]
fn a_twins_refusal_names_the_policy_its_articles_and_penalty() {
    let lib = Library::builtin().unwrap();
    let twins = vap::twins();
    let generated = vap::generate(&lib, &twins, &vap::Options::default()).unwrap();
    let (domain, _) = generated
        .iter()
        .find(|(p, _)| p.metadata.name.as_deref() == Some("govkh-official-domain"))
        .unwrap();
    let sample = policies_dir()
        .join("official-domain/samples/denied/httproute-on-another-ministrys-domain.yaml");
    let messages = twin_verdict(domain, &sample);
    assert!(
        messages.iter().any(|m| m.starts_with("[official-domain] ")
            && m.ends_with("(Art. 20, 21; penalty Art. 38)")),
        "{messages:?}"
    );
}

#[test]
fn a_namespace_govkh_did_not_make_is_refused_as_not_governed() {
    let lib = Library::builtin().unwrap();
    let generated = vap::generate(&lib, &vap::twins(), &vap::Options::default()).unwrap();
    let (placement, _) = &generated[0];
    let (inv, _) = sample_inventory(
        &policies_dir()
            .join("data-placement/samples/allowed/confidential-volume-on-leased-cloud.yaml"),
    );
    let request = vap::Request {
        operation: "CREATE".into(),
        object: json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": "scratch", "namespace": "made-by-hand"}}),
        old_object: None,
        namespace: Some(vap::namespace_object(&inv, "made-by-hand")),
        user: ("someone".into(), vec![]),
    };
    let messages = vap::evaluate(placement, &request).unwrap();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0].contains("namespace made-by-hand is not governed by govkh"),
        "{messages:?}"
    );
}

/// docs/law.md, the article table: every article once, with a status the table's header names;
/// every article a built-in policy cites is `checked` and names it; every policy or rule a
/// `checked` row names exists and cites the article (or carries it as its penalty, Art. 38-40);
/// every article of the report's annex is `checked` or `supported`. No article is called
/// implemented that no code checks.
#[test]
fn the_article_table_holds_to_the_code() {
    let text = std::fs::read_to_string(policies_dir().join("../docs/law.md")).unwrap();
    let mut rows: std::collections::BTreeMap<u32, (String, String)> = Default::default();
    for line in text
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| Art."))
    {
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
        assert_eq!(cells.len(), 4, "{line}");
        let article: u32 = cells[0].parse().unwrap_or_else(|_| panic!("{line}"));
        assert!(
            ["checked", "supported", "not yet", "outside"].contains(&cells[2]),
            "{line}: status {:?}",
            cells[2]
        );
        let old = rows.insert(article, (cells[2].to_string(), cells[3].to_string()));
        assert!(old.is_none(), "Art. {article} twice");
    }
    assert_eq!(
        rows.keys().copied().collect::<Vec<_>>(),
        (1..=45).collect::<Vec<_>>()
    );
    let lib = Library::builtin().unwrap();
    let rules = [
        govkh_core::evaluate::POLICY_CLOCK,
        govkh_core::evaluate::POLICY_REFERENCES,
        govkh_core::evaluate::POLICY_CLOUD,
    ];
    // What each policy cites, and the penalty article it carries.
    for p in lib.policies() {
        for a in &p.meta.articles {
            let (status, place) = &rows[&a.parse::<u32>().unwrap()];
            assert_eq!(status, "checked", "Art. {a}: {} cites it", p.meta.id);
            assert!(
                place.contains(&format!("`{}`", p.meta.id)),
                "Art. {a} does not name {}",
                p.meta.id
            );
        }
        if let Some(pen) = &p.meta.penalty {
            let (status, place) = &rows[&pen.article.parse::<u32>().unwrap()];
            assert_eq!(
                status, "checked",
                "Art. {}: penalty of {}",
                pen.article, p.meta.id
            );
            assert!(place.contains(&format!("`{}`", p.meta.id)), "{place}");
        }
    }
    // Every name a checked row gives is a policy citing the article (or penalised under it),
    // or one of govkh's own rules.
    for (article, (status, place)) in &rows {
        let names: Vec<&str> = place
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
            .collect();
        if status != "checked" {
            continue;
        }
        assert!(
            !names.is_empty(),
            "Art. {article}: checked by nothing named"
        );
        for n in names {
            if rules.contains(&n) {
                continue;
            }
            let p = lib
                .policies()
                .iter()
                .find(|p| p.meta.id == n)
                .unwrap_or_else(|| panic!("Art. {article}: no policy {n}"));
            let cites = p.meta.articles.iter().any(|a| a == &article.to_string())
                || p.meta
                    .penalty
                    .as_ref()
                    .is_some_and(|pen| pen.article == article.to_string());
            assert!(cites, "Art. {article} names {n}, which does not cite it");
        }
    }
    for a in govkh_core::render::report::annex_articles() {
        let (status, _) = &rows[&a.parse::<u32>().unwrap()];
        assert!(
            status == "checked" || status == "supported",
            "the report's annex cites Art. {a}, which docs/law.md calls {status}"
        );
    }
}
