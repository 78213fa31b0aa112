//! `govkh policy test`: running the library's `test_*` rules.

use crate::printable;
use regorus::Value;
use std::path::Path;

use super::*;

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
                message: printable::one_line(&e.to_string()),
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
                message: printable::one_line(&e.to_string()),
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
                Err(e) => Err(printable::one_line(&e.to_string())),
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
