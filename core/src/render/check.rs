//! Rendering an evaluation for people (text, grouped by ministry) and for programs (JSON with a
//! versioned, documented shape). Renderers only format: they decide nothing.

use std::{collections::BTreeMap, fmt::Write};

use serde::Serialize;

use crate::{
    evaluate::{Evaluation, TenancyClock},
    finding::ActionCounts,
    finding::{Action, Finding, Severity},
    loading::manifest::Source,
    message::Lang,
    message::words::{Words, fill, words},
    printable::printable,
};

use super::columns::Columns;

/// The `schemaVersion` of `govkh check --output json`. Bumped on any incompatible change.
pub const CHECK_SCHEMA_VERSION: &str = "govkh.digital.gov.kh/check/v1";

/// The summary of a check.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Objects loaded and evaluated.
    pub objects: usize,
    /// Findings by action.
    pub findings: ActionCounts,
    /// Wall time of loading and evaluating, in milliseconds.
    pub duration_ms: u64,
    /// Objects checked that no policy judges, by kind (besides ours and Namespaces, which the
    /// core itself judges): counted as checked, but nothing was decided about them.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub unjudged_kinds: BTreeMap<String, usize>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CheckJson<'a> {
    schema_version: &'static str,
    now: String,
    today: String,
    summary: &'a Summary,
    findings: &'a [Finding],
    tenancies: &'a [TenancyClock],
}

/// The JSON document of `govkh check --output json`.
pub fn json(eval: &Evaluation, now: &str, summary: &Summary) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(&CheckJson {
        schema_version: CHECK_SCHEMA_VERSION,
        now: now.to_string(),
        today: eval.today.to_string(),
        summary,
        findings: &eval.findings,
        tenancies: &eval.tenancies,
    })
}

/// The text report of `govkh check`: findings grouped by ministry, then the tenancies' clocks,
/// then a summary line.
pub fn text(eval: &Evaluation, summary: &Summary, lang: Lang) -> String {
    let w = words(lang);
    let mut out = String::new();
    let _ = writeln!(out, "{}", fill(w.check_as_of, &[("day", &eval.today)]));
    let mut groups: BTreeMap<Option<&str>, Vec<&Finding>> = BTreeMap::new();
    for f in &eval.findings {
        groups.entry(f.ministry.as_deref()).or_default().push(f);
    }
    // English keeps the columns scripts already read; Khmer pads to its longest word.
    let (action_width, severity_width) = match lang {
        Lang::En => (5, 8),
        Lang::Km => (
            [Action::Error, Action::Deny, Action::Warn, Action::Dryrun]
                .iter()
                .map(|a| w.action(*a).chars().count())
                .max()
                .unwrap_or(5),
            [
                Severity::Critical,
                Severity::High,
                Severity::Medium,
                Severity::Low,
            ]
            .iter()
            .map(|s| w.severity(*s).chars().count())
            .max()
            .unwrap_or(8),
        ),
    };
    for (ministry, findings) in &mut groups {
        // What must be fixed first comes first: errors, denials, then warnings and dry runs
        // (a stable sort: by object and policy within each).
        findings.sort_by_key(|f| f.action);
        let _ = writeln!(out);
        let _ = writeln!(out, "{}", ministry.unwrap_or(w.no_ministry));
        for f in findings {
            let articles = if f.articles.is_empty() {
                String::new()
            } else {
                format!("  {}", w.articles_of(&f.articles))
            };
            let state = f
                .state
                .as_deref()
                .map(|s| format!(": {}", w.state(s, lang)))
                .unwrap_or_default();
            // Names, messages and paths come from manifests: control characters are shown, not
            // obeyed by the terminal.
            let _ = writeln!(
                out,
                "  {:<action_width$} {:<severity_width$} {}{}  [{}{}]",
                w.action(f.action),
                w.severity(f.severity),
                printable(&f.resource.display()),
                articles,
                printable(&f.policy),
                state
            );
            let _ = writeln!(out, "        {}", printable(f.message_in(lang)));
            if let Some(fix) = f.fix_in(lang) {
                let _ = writeln!(out, "        {}: {}", w.to_fix, printable(fix));
            }
            if let Some(p) = &f.penalty {
                let _ = writeln!(out, "        {}: {}", w.penalty, w.penalty_of(p, lang));
            }
            if let Some(d) = f.deadline {
                let _ = writeln!(out, "        {}: {d}", w.deadline);
            }
            if let Some(e) = &f.excused_by {
                let _ = writeln!(out, "        {}: {}", w.see, printable(e));
            }
            if let Some(s) = &f.source {
                let _ = writeln!(out, "        {}: {}", w.at, printable(&source_in(s, lang)));
            }
        }
    }
    clock_table(&mut out, eval, w, lang);
    summary_lines(&mut out, summary, w);
    out
}

/// The statutory clock of every tenancy, as a table.
fn clock_table(out: &mut String, eval: &Evaluation, w: &Words, lang: Lang) {
    if !eval.tenancies.is_empty() {
        let _ = writeln!(out, "\n{}", w.clock_table);
        let header = [
            w.col_tenancy,
            w.col_ministry,
            w.col_placement,
            w.col_state,
            w.col_apply_by,
            w.col_migrate_by,
            w.col_changes_on,
            w.col_approval,
        ];
        let rows: Vec<[String; 8]> = eval
            .tenancies
            .iter()
            .map(|t| {
                let d = |d: Option<crate::api::Day>| {
                    d.map(|d| d.to_string()).unwrap_or_else(|| "-".into())
                };
                [
                    t.name.clone(),
                    t.ministry.clone(),
                    t.placement.to_string(),
                    w.state(t.state.as_str(), lang),
                    d(t.application_deadline),
                    d(t.migration_deadline),
                    d(t.next_boundary),
                    t.approval.clone().unwrap_or_else(|| "-".into()),
                ]
            })
            .collect();
        let columns = Columns::fit(&header, &rows);
        let _ = writeln!(out, "  {}", columns.line(&header));
        for r in &rows {
            let _ = writeln!(out, "  {}", columns.line(r));
        }
    }
}

/// The closing lines: findings by action, objects, time, and the kinds nothing judged.
fn summary_lines(out: &mut String, summary: &Summary, w: &Words) {
    let c = &summary.findings;
    let seconds = format!("{:.2}", summary.duration_ms as f64 / 1000.0);
    let _ = writeln!(
        out,
        "\n{}",
        fill(
            w.checked,
            &[
                ("objects", &summary.objects),
                ("deny", &c.deny),
                ("warn", &c.warn),
                ("dryrun", &c.dryrun),
                ("error", &c.error),
                ("seconds", &seconds),
            ]
        )
    );
    if !summary.unjudged_kinds.is_empty() {
        let kinds: Vec<String> = summary
            .unjudged_kinds
            .iter()
            .map(|(k, n)| format!("{n} {}", printable(k)))
            .collect();
        let _ = writeln!(out, "{}", fill(w.unjudged, &[("kinds", &kinds.join(", "))]));
    }
}

/// Where a finding's object was read, in `lang` (`file: document N (line L)`; the file alone
/// for a problem of the whole file).
pub fn source_in(s: &Source, lang: Lang) -> String {
    if s.document == 0 || lang == Lang::En {
        return s.to_string();
    }
    fill(
        words(lang).source,
        &[
            ("file", &s.file),
            ("document", &s.document),
            ("line", &s.line),
        ],
    )
}

/// A SARIF rule: id, title and articles.
#[derive(Clone, Debug)]
pub struct SarifRule {
    /// The policy id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// The articles it implements.
    pub articles: Vec<String>,
    /// Its default action.
    pub action: Action,
}

fn sarif_level(a: Action) -> &'static str {
    match a {
        Action::Error | Action::Deny => "error",
        Action::Warn => "warning",
        Action::Dryrun => "note",
    }
}

/// The findings as a SARIF 2.1.0 log, so CI systems and editors can show them: one rule per
/// policy (with its articles), one result per finding, located at the manifest's document.
pub fn sarif(eval: &Evaluation, rules: &[SarifRule]) -> Result<String, serde_json::Error> {
    let rules_json: Vec<serde_json::Value> = rules
        .iter()
        .map(|r| {
            serde_json::json!({
                "id": r.id,
                "name": r.id,
                "shortDescription": {"text": r.title},
                "fullDescription": {"text": format!("{} (Art. {})", r.title, r.articles.join(", "))},
                "defaultConfiguration": {"level": sarif_level(r.action)},
                "properties": {"articles": r.articles, "tags": r.articles.iter().map(|a| format!("Art. {a}")).collect::<Vec<_>>()},
            })
        })
        .collect();
    let results: Vec<serde_json::Value> = eval
        .findings
        .iter()
        .map(|f| {
            let mut result = serde_json::json!({
                "ruleId": f.policy,
                "level": sarif_level(f.action),
                "message": {"text": printable(&format!("{}: {}", f.resource.display(), f.message))},
                "properties": {
                    "action": f.action.as_str(),
                    "severity": f.severity.as_str(),
                    "articles": f.articles,
                    "ministry": f.ministry,
                    "deadline": f.deadline.map(|d| d.to_string()),
                    "penalty": f.penalty,
                    "fix": f.fix,
                },
            });
            if let Some(s) = f.source.as_ref().filter(|s| s.file != "-") {
                let mut location =
                    serde_json::json!({"physicalLocation": {"artifactLocation": {"uri": s.file}}});
                if s.line > 0 {
                    location["physicalLocation"]["region"] =
                        serde_json::json!({"startLine": s.line});
                }
                result["locations"] = serde_json::json!([location]);
            }
            result
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [{
            "tool": {"driver": {
                "name": "govkh",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules_json,
            }},
            "results": results,
        }],
    }))
}

/// The rules a SARIF log declares: every policy, and the built-in checks.
pub fn sarif_rules(policies: &crate::policy::Library) -> Vec<SarifRule> {
    let mut rules = vec![
        SarifRule {
            id: crate::evaluate::POLICY_CLOCK.into(),
            title: "The statutory clock: apply within 90 days or migrate within a year".into(),
            articles: vec!["10".into()],
            action: Action::Deny,
        },
        SarifRule {
            id: crate::evaluate::POLICY_CLOUD.into(),
            title: "Cloud resources are declared, approved and hold only the data their class allows there".into(),
            articles: vec!["10".into(), "25".into(), "26".into()],
            action: Action::Deny,
        },
        SarifRule {
            id: crate::evaluate::POLICY_REFERENCES.into(),
            title: "References name objects that exist".into(),
            articles: vec![],
            action: Action::Error,
        },
        SarifRule {
            id: crate::evaluate::POLICY_MANIFEST.into(),
            title: "Manifests load and validate against the CRDs".into(),
            articles: vec![],
            action: Action::Error,
        },
    ];
    rules.extend(policies.policies().iter().map(|p| SarifRule {
        id: p.meta.id.clone(),
        title: p.meta.title.clone(),
        articles: p.meta.articles.clone(),
        action: p.meta.action,
    }));
    rules
}
