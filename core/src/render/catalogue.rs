//! The policy catalogue as people and tools read it (`govkh policy list`): a table with each
//! policy's articles, severity, action and penalty, or JSON with the same metadata.

use super::columns::Columns;
use crate::policy::Library;

/// The catalogue as a table: one row per policy, its penalty (with the amounts) on the line
/// below where the law names one, then the checks that are not policies.
pub fn table(lib: &Library) -> String {
    let header = ["ID", "ARTICLES", "SEVERITY", "ACTION", "TITLE"];
    let rows: Vec<([String; 5], Option<String>)> = lib
        .policies()
        .iter()
        .map(|p| {
            let m = &p.meta;
            (
                [
                    m.id.clone(),
                    m.articles.join(", "),
                    m.severity.as_str().to_string(),
                    m.action.as_str().to_string(),
                    m.title.clone(),
                ],
                m.penalty.as_ref().map(|p| p.describe()),
            )
        })
        .collect();
    let plain: Vec<&[String; 5]> = rows.iter().map(|(r, _)| r).collect();
    let columns = Columns::fit(&header, &plain);
    let indent = columns.start_of(4);
    let mut out = columns.line(&header) + "\n";
    for (r, penalty) in &rows {
        out += &columns.line(r);
        out.push('\n');
        if let Some(p) = penalty {
            out += &format!("{:indent$}penalty: {p}\n", "");
        }
    }
    out += "\nAlso reported: statutory-clock (Art. 10, the tenancies' deadlines), references (names that resolve; one domain per ministry, Art. 20, 21), manifest (files that load and validate).\n";
    out
}

/// The catalogue as JSON: each policy's metadata, its penalty with a sentence for people.
pub fn json(lib: &Library) -> Result<String, serde_json::Error> {
    let policies: Vec<serde_json::Value> = lib
        .policies()
        .iter()
        .map(|p| {
            let m = &p.meta;
            serde_json::json!({
                "id": m.id,
                "title": m.title,
                "fix": m.fix,
                "articles": m.articles,
                "severity": m.severity.as_str(),
                "action": m.action.as_str(),
                "kinds": m.kinds,
                "operations": m.operations,
                "configuration": m.configuration,
                "readings": m.readings,
                "penalty": m.penalty.as_ref().map(|pen| serde_json::json!({
                    "article": pen.article,
                    "naturalPerson": pen.natural_person,
                    "legalPerson": pen.legal_person,
                    "person": pen.person,
                    "description": pen.describe(),
                })),
            })
        })
        .collect();
    serde_json::to_string_pretty(&policies).map(|s| s + "\n")
}
