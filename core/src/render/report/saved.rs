//! Saved reports read back (`govkh report --history DIR`): each JSON report a ministry's day,
//! replayed in date order into the histories the report draws. A file that is not a saved
//! report is named with its problem.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::{
    api::Day,
    audit::history::{Counts, DayRecord, History, Observation, breach_key},
    finding::Action,
};

/// Histories from saved JSON reports (`govkh report -f json`), replayed in date order: what
/// `govkh report --history DIR` draws. A report that is not one names its problem.
pub fn from_reports(
    reports: &[(String, serde_json::Value)],
) -> Result<BTreeMap<String, History>, String> {
    let mut days: Vec<(Day, &str, SavedReport)> = Vec::new();
    for (name, r) in reports {
        if r["schemaVersion"] != super::REPORT_SCHEMA_VERSION {
            return Err(format!(
                "{name}: not a govkh report (schemaVersion {} where {} was expected)",
                r["schemaVersion"],
                super::REPORT_SCHEMA_VERSION
            ));
        }
        let saved = SavedReport::deserialize(r).map_err(|e| format!("{name}: {e}"))?;
        days.push((saved.as_of, name, saved));
    }
    days.sort_by_key(|(d, _, _)| *d);
    let mut out: BTreeMap<String, History> = BTreeMap::new();
    for (day, name, r) in days {
        for m in r.ministries {
            let (code, o) = m.observation(day).map_err(|e| format!("{name}: {e}"))?;
            out.entry(code).or_default().record(o);
        }
    }
    Ok(out)
}

/// A saved report, as far as a history reads it: its day and each ministry's standing.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SavedReport {
    as_of: Day,
    ministries: Vec<SavedMinistry>,
}

/// A saved report's ministry: its score, counts, findings by article and tenancies.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SavedMinistry {
    code: String,
    /// Read wide, so a score out of range is named as such.
    score: u64,
    #[serde(default)]
    findings: Counts,
    #[serde(default)]
    findings_by_article: BTreeMap<String, Vec<SavedFinding>>,
    #[serde(default)]
    tenancies: Vec<SavedTenancy>,
}

/// A saved finding: what a history keeps of it (its action, articles, and its breach key).
#[derive(Deserialize)]
struct SavedFinding {
    action: Action,
    policy: String,
    #[serde(default)]
    articles: Vec<String>,
    /// The same object as a live finding's, so the breach key is the same.
    #[serde(default)]
    resource: crate::finding::ResourceRef,
    /// Its penalty article, where the law attaches one: the offence (Art. 42 counts repeats).
    #[serde(default)]
    penalty: Option<SavedPenalty>,
}

/// A saved finding's penalty: its article.
#[derive(Deserialize)]
struct SavedPenalty {
    article: String,
}

/// A saved tenancy: its clock state.
#[derive(Deserialize)]
struct SavedTenancy {
    state: Option<String>,
}

impl SavedMinistry {
    /// What it showed on `day`.
    fn observation(self, day: Day) -> Result<(String, Observation), String> {
        let Some(score) = u8::try_from(self.score).ok().filter(|s| *s <= 100) else {
            return Err(format!("ministry {}: no score from 0 to 100", self.code));
        };
        let mut articles: BTreeMap<String, u32> = BTreeMap::new();
        let mut offences: BTreeMap<String, u32> = BTreeMap::new();
        let mut open = Vec::new();
        for f in self.findings_by_article.into_values().flatten() {
            if f.action == Action::Dryrun {
                continue;
            }
            for a in f.articles {
                *articles.entry(a).or_default() += 1;
            }
            if let Some(p) = f.penalty {
                *offences.entry(p.article).or_default() += 1;
            }
            open.push(breach_key(&f.policy, &f.resource.display()));
        }
        let mut tenancies: BTreeMap<String, u32> = BTreeMap::new();
        for state in self.tenancies.into_iter().filter_map(|t| t.state) {
            *tenancies.entry(state).or_default() += 1;
        }
        let record = DayRecord {
            day,
            score,
            findings: self.findings,
            articles,
            tenancies,
            offences: Some(offences),
        };
        Ok((self.code, Observation { record, open }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn saved(ministry: serde_json::Value) -> serde_json::Value {
        json!({"schemaVersion": super::super::REPORT_SCHEMA_VERSION, "asOf": "2026-11-26",
               "ministries": [ministry]})
    }

    #[test]
    fn a_saved_report_gives_the_days_record_and_its_open_breaches() {
        let r = saved(
            json!({"code": "moh", "score": 70, "findings": {"deny": 1, "warn": 1, "dryrun": 1},
            "findingsByArticle": {"26": [
                {"action": "deny", "policy": "placement", "articles": ["25", "26"],
                 "resource": {"kind": "Deployment", "namespace": "moh-records", "name": "db"}},
                {"action": "dryrun", "policy": "later", "articles": ["26"]}]},
            "tenancies": [{"state": "Compliant"}, {"state": "Compliant"}, {}]}),
        );
        let h = from_reports(&[("a.json".into(), r)]).unwrap();
        let moh = &h["moh"];
        assert_eq!(moh.days.len(), 1);
        let d = &moh.days[0];
        assert_eq!(d.day.to_string(), "2026-11-26");
        assert_eq!((d.score, d.findings.deny, d.findings.dryrun), (70, 1, 1));
        // The dry-run finding counts in the totals, not among the articles or the breaches.
        assert_eq!(
            d.articles,
            BTreeMap::from([("25".to_string(), 1), ("26".to_string(), 1)])
        );
        assert_eq!(d.tenancies, BTreeMap::from([("Compliant".to_string(), 2)]));
        let key = breach_key(
            "placement",
            &crate::finding::ResourceRef {
                kind: Some("Deployment".into()),
                namespace: Some("moh-records".into()),
                name: Some("db".into()),
                api_version: None,
            }
            .display(),
        );
        assert_eq!(moh.open.keys().collect::<Vec<_>>(), vec![&key]);
    }

    #[test]
    fn a_file_that_is_not_a_saved_report_is_named_with_its_problem() {
        let cases = [
            (
                json!({"schemaVersion": "v0", "asOf": "2026-11-26", "ministries": []}),
                "not a govkh report",
            ),
            (
                json!({"schemaVersion": super::super::REPORT_SCHEMA_VERSION, "ministries": []}),
                "asOf",
            ),
            (
                json!({"schemaVersion": super::super::REPORT_SCHEMA_VERSION, "asOf": "2026-11-26"}),
                "ministries",
            ),
            (saved(json!({"score": 50})), "code"),
            (
                saved(json!({"code": "moh", "score": 101})),
                "ministry moh: no score from 0 to 100",
            ),
            (
                saved(json!({"code": "moh", "score": 300})),
                "ministry moh: no score from 0 to 100",
            ),
            (
                saved(json!({"code": "moh", "score": 5,
                "findingsByArticle": {"26": [{"action": "bogus", "policy": "p"}]}})),
                "bogus",
            ),
            (
                saved(json!({"code": "moh", "score": 5,
                "findingsByArticle": {"26": [{"action": "deny"}]}})),
                "policy",
            ),
        ];
        for (report, problem) in cases {
            let err = from_reports(&[("old/r.json".into(), report.clone())]).unwrap_err();
            assert!(err.starts_with("old/r.json: "), "{err}");
            assert!(
                err.contains(problem),
                "{report}: {err} does not say {problem}"
            );
        }
    }
}
