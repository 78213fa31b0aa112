//! The memory budget of one evaluation (`policy::limit_evaluation_memory`): a hungry policy on
//! one object fails alone, while evaluations beside it go on. Its own test binary, since the
//! limits are the process's.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use govkh_core::{
    evaluate::{Evaluator, Review},
    finding::{Action, Finding},
    inventory::Inventory,
    policy::{self, Library},
};
use k8s_openapi::jiff::Timestamp;
use serde_json::json;

/// `hungry`: on a ConfigMap named `huge`, builds a string of 999 × 2^15 bytes (about 32 MB, and
/// as much again in the halves it is made of); on any other object, nothing.
fn hungry() -> policy::SourceFile {
    policy::SourceFile {
        path: "hungry/policy.rego".into(),
        text: common::hungry_rego(
            "deny",
            "\"ConfigMap\"",
            15,
            "input.review.object.metadata.name == \"huge\"",
        ),
    }
}

/// `modest`: a warning on every ConfigMap, naming it.
fn modest() -> policy::SourceFile {
    policy::SourceFile {
        path: "modest/policy.rego".into(),
        text: r#"package govkh.modest
metadata := {"id": "modest", "title": "t", "articles": ["9"], "severity": "low", "action": "warn"}
violation contains {"msg": sprintf("seen %s", [input.review.object.metadata.name])} if true
"#
        .into(),
    }
}

fn judge(lib: &Library, name: &str) -> Vec<Finding> {
    let inv = Inventory::default();
    let now: Timestamp = "2026-11-26T03:00:00Z".parse().unwrap();
    Evaluator::new(&inv, lib, now, &[]).review(&Review::create(
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}}),
        None,
    ))
}

fn of<'a>(findings: &'a [Finding], policy: &str) -> Vec<&'a Finding> {
    findings.iter().filter(|f| f.policy == policy).collect()
}

#[test]
fn a_hungry_evaluation_fails_alone_within_its_own_budget() {
    // No process ceiling: only the evaluation's own budget can stop it.
    policy::limit_memory(None);
    policy::limit_evaluation_memory(Some(16 << 20));
    let lib = Library::load(&[hungry(), modest()]).unwrap();
    assert_eq!(lib.compiled_policies(), 2, "both run on the RVM");

    let beside = std::thread::spawn({
        let lib = lib.clone();
        move || {
            (0..50)
                .map(|i| judge(&lib, &format!("small-{i}")))
                .collect::<Vec<_>>()
        }
    });
    let huge = judge(&lib, "huge");
    let hungry_findings = of(&huge, "hungry");
    assert_eq!(hungry_findings.len(), 1, "{huge:?}");
    assert_eq!(hungry_findings[0].action, Action::Error);
    assert!(
        hungry_findings[0]
            .message
            .contains("exceeded memory budget")
            && hungry_findings[0].message.contains("budget=16777216 bytes"),
        "{}",
        hungry_findings[0].message
    );
    // The other policy on the same object was still judged.
    assert_eq!(of(&huge, "modest").len(), 1, "{huge:?}");
    for (i, findings) in beside.join().unwrap().into_iter().enumerate() {
        assert_eq!(findings.len(), 1, "small-{i}: {findings:?}");
        assert_eq!(findings[0].policy, "modest");
        assert_eq!(findings[0].action, Action::Warn, "small-{i}: {findings:?}");
    }

    // Without the budget, the same evaluation completes: the budget is what stopped it.
    policy::limit_evaluation_memory(None);
    let huge = judge(&lib, "huge");
    let hungry_findings = of(&huge, "hungry");
    assert_eq!(hungry_findings.len(), 1, "{huge:?}");
    assert!(
        hungry_findings[0].message.starts_with("built 32735232"),
        "{}",
        hungry_findings[0].message
    );
}
