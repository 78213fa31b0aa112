//! docs/interpretations.md held to the code: every id a policy's metadata (`configuration`,
//! `readings`), a check written in Rust (`evaluate::CHECK_BASIS`) or the report
//! (`REPORT_READINGS`) names is a row of that page, in the right table, and every row is
//! something a rule rests on — so the committee's list of govkh's readings is the list the
//! code applies.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeSet;

use govkh_core::{evaluate::CHECK_BASIS, policy::Library, render::report::REPORT_READINGS};

/// The ids of the table under `heading`: the first cell of each row, in backticks.
fn ids_under(page: &str, heading: &str) -> BTreeSet<String> {
    let start = page
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading:?}"));
    page[start..]
        .lines()
        .skip(1)
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .filter_map(|l| {
            let first = l.split('|').nth(1)?.trim();
            first
                .strip_prefix('`')
                .and_then(|f| f.strip_suffix('`'))
                .map(str::to_string)
        })
        .collect()
}

fn page() -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/interpretations.md"),
    )
    .unwrap()
}

#[test]
fn every_id_a_rule_rests_on_is_on_the_page_and_every_row_is_used() {
    let page = page();
    let configuration = ids_under(&page, "## Configuration, not the law");
    let readings = ids_under(&page, "## govkh's readings");
    assert!(configuration.len() >= 6 && readings.len() >= 12);
    let lib = Library::builtin().unwrap();
    let mut used_configuration = BTreeSet::new();
    let mut used_readings = BTreeSet::new();
    for p in lib.policies() {
        for c in &p.meta.configuration {
            assert!(
                configuration.contains(c),
                "{}: configuration {c:?} is not a row of docs/interpretations.md",
                p.meta.id
            );
            used_configuration.insert(c.clone());
        }
        for r in &p.meta.readings {
            assert!(
                readings.contains(r),
                "{}: reading {r:?} is not a row of docs/interpretations.md",
                p.meta.id
            );
            used_readings.insert(r.clone());
        }
    }
    for (check, cs, rs) in CHECK_BASIS {
        for c in *cs {
            assert!(configuration.contains(*c), "{check}: {c:?}");
            used_configuration.insert(c.to_string());
        }
        for r in *rs {
            assert!(readings.contains(*r), "{check}: {r:?}");
            used_readings.insert(r.to_string());
        }
    }
    for (article, r) in REPORT_READINGS {
        assert!(readings.contains(*r), "the report on Art. {article}: {r:?}");
        used_readings.insert(r.to_string());
    }
    assert_eq!(
        configuration, used_configuration,
        "configuration rows nothing reads"
    );
    assert_eq!(readings, used_readings, "readings nothing applies");
}

#[test]
fn a_policy_naming_an_unknown_id_is_caught() {
    // The check above reads ids from the page: one missing from it is caught, one present is
    // not (a guard against a parser that reads nothing and so passes).
    let page = page();
    let readings = ids_under(&page, "## govkh's readings");
    assert!(readings.contains("top-secret-use"), "{readings:?}");
    assert!(!readings.contains("not-a-reading"));
    let configuration = ids_under(&page, "## Configuration, not the law");
    assert!(configuration.contains("groups"), "{configuration:?}");
    assert!(!configuration.contains("top-secret-use"));
}
