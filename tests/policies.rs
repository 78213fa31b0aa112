//! The policy library as a whole: every policy has metadata, tests and samples; every Rego test
//! passes; every `allowed` sample yields no finding of its policy and every `denied` sample at
//! least one — so a policy cannot ship without working samples.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use govkh_core::{
    evaluate::{Evaluator, Operation, Review, evaluate},
    finding::Action,
    inventory::Inventory,
    manifest::Loader,
    policy::{self, Library},
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
    ] {
        assert!(
            lib.policies().iter().any(|p| p.meta.id == id),
            "the catalogue lacks {id}"
        );
    }
}

/// The findings of `policy_id` about the last document of `sample`, evaluated with the samples
/// context.
fn sample_findings(policy_id: &str, sample: &Path) -> Vec<String> {
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
    let mut objects = ctx.objects;
    objects.extend(own.objects);
    let (inv, errors) = Inventory::build(objects);
    assert!(errors.is_empty(), "{}: {errors:?}", sample.display());
    let lib = Library::builtin().unwrap();
    // Samples may say who submits them (admission-only policies).
    let groups =
        subject.raw["metadata"]["annotations"]["samples.govkh.digital.gov.kh/user-groups"].as_str();
    let user_info = groups
        .map(|g| json!({"username": "sample-user", "groups": g.split(',').collect::<Vec<_>>()}));
    let full = evaluate(&inv, &lib, now());
    let evaluator = Evaluator::new(&inv, &lib, now(), &full.tenancies);
    let review = Review {
        operation: Operation::Create,
        object: subject.raw.clone(),
        old_object: None,
        user_info,
        source: None,
    };
    let findings = evaluator.review(&review);
    let errors: Vec<_> = findings
        .iter()
        .filter(|f| f.action == Action::Error)
        .collect();
    assert!(errors.is_empty(), "{}: {errors:?}", sample.display());
    findings
        .into_iter()
        .filter(|f| f.policy == policy_id)
        .map(|f| f.message)
        .collect()
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

#[test]
fn a_policy_that_runs_too_long_is_stopped_and_reported() {
    let src = policy::SourceFile {
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
    };
    let lib = Library::load(&[src]).unwrap();
    let inv = Inventory::default();
    let evaluator = Evaluator::new(&inv, &lib, now(), &[]);
    let review = Review::create(
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}),
        None,
    );
    let findings = evaluator.review(&review);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].action, Action::Error);
}

#[test]
fn the_rvm_and_the_interpreter_agree_on_every_sample_and_example() {
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
        let compiled = evaluate(&inv, &lib.clone().with_mode(policy::Mode::Rvm), now()).findings;
        assert_eq!(interpreted, compiled, "{}", p.display());
        compared += interpreted.len();
    }
    assert!(compared > 50, "{compared} findings compared");
}

#[test]
fn runtime_errors_in_policies_are_reported_by_the_default_mode() {
    // Each body fails at evaluation time on this object. The interpreter (the default) reports
    // every one; regorus's RVM would report none (that is why it is not the default).
    for body in [
        "x := to_number(input.review.object.metadata.name); x > 1",
        "x := input.review.object.metadata.name + 1; x > 1",
        "x := 1 / 0; x > 1",
        "startswith(input.review.object.metadata, \"a\")",
    ] {
        let src = policy::SourceFile {
            path: "mine/policy.rego".into(),
            text: format!(
                "package govkh.mine\nmetadata := {{\"id\": \"mine\", \"title\": \"t\", \"articles\": [\"9\"], \"severity\": \"low\", \"action\": \"deny\"}}\nviolation contains {{\"msg\": \"x\"}} if {{ {body} }}\n"
            ),
        };
        let lib = Library::load(std::slice::from_ref(&src)).unwrap();
        let inv = Inventory::default();
        let evaluator = Evaluator::new(&inv, &lib, now(), &[]);
        let review = Review::create(
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "abc"}}),
            None,
        );
        let f = evaluator.review(&review);
        assert_eq!(f.len(), 1, "{body}: {f:?}");
        assert_eq!(f[0].action, Action::Error, "{body}");
        assert!(
            f[0].message.contains("mine/policy.rego:3"),
            "{body}: {}",
            f[0].message
        );
    }
}
