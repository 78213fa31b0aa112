//! The operator's audit: the live index evaluated with the same core as `govkh check` and
//! `govkh report` (`evaluate`, then the core's `audit::summarize`), so a ministry's status, the
//! committee's report, admission and `govkh check` agree on the same day. It reads no cluster:
//! the index is kept up to date by watches. CPU-bound: callers run it on a blocking thread.

mod schedule;

pub use schedule::*;

use govkh_core::{
    audit::{Audit, summarize},
    evaluate::{evaluate_with, load_error_findings, sort},
    loading::manifest::LoadError,
    policy::Library,
    render::openreports,
};
use k8s_openapi::jiff::Timestamp;

use crate::index::Index;

/// Audit the index as it stands, as of `now`. Objects of our kinds the index refused (they
/// fail their schema) are counted as problems and judged as error findings.
pub fn of_index(index: &Index, policies: &Library, now: Timestamp) -> Audit {
    with_reports(index, policies, now, None).0
}

/// `of_index`, and with `reports` the reports its findings make (`openreports::reports`): the
/// same findings, so a report never disagrees with the status it was written beside.
pub fn with_reports(
    index: &Index,
    policies: &Library,
    now: Timestamp,
    reports: Option<&openreports::Options>,
) -> (Audit, Vec<openreports::Report>) {
    let (inventory, eval, problems) = evaluation(index, policies, now);
    let mut audit = summarize(&inventory, &eval, problems);
    audit.at = Some(now);
    audit.refused_last_day = index.refused_last_day(now);
    let reports = reports
        .map(|o| openreports::reports(&eval.findings, &eval.judged, policies, o))
        .unwrap_or_default();
    (audit, reports)
}

/// The index judged as of `now`: the inventory it judged, the evaluation (its findings with
/// the error findings of what could not be read) and how many problems that was. What the
/// audit summarises, and what a test asks of it.
pub fn evaluation(
    index: &Index,
    policies: &Library,
    now: Timestamp,
) -> (
    std::sync::Arc<govkh_core::inventory::Inventory>,
    govkh_core::evaluate::Evaluation,
    usize,
) {
    let inventory = index.inventory();
    let mut problems = index.refused();
    // A cloud API whose objects cannot be read (RBAC refuses its watch, …) is not a cloud
    // without resources: said as a problem, an error finding the report counts.
    problems.extend(index.unread_clouds().into_iter().map(|(r, cause)| LoadError {
        source: r.source(),
        object: None,
        message: format!(
            "the cloud API {} ({}) is served but its objects cannot be read ({cause}): they are not judged",
            r.qualified_plural(),
            r.api_version()
        ),
    }));
    // Likewise a ministry's namespace whose Secrets cannot be read (no RoleBinding lets the
    // operator read them there): its Secrets are not judged, and that is said.
    problems.extend(
        index
            .unread_namespaces()
            .into_iter()
            .map(|(r, ns, cause)| LoadError {
                source: r.source(),
                object: None,
                message: format!(
                    "the {} of the ministry's namespace {ns} cannot be read ({cause}): they are not judged (govkh binds its Secrets reader role in the namespaces tenancies provision; bind it by hand in one labelled a ministry's)",
                    r.qualified_plural()
                ),
            }),
    );
    // Decoded one at a time: the audit's memory does not grow with the cluster's workloads.
    // One that cannot be decoded (the index wrote it, so it should not happen) is a problem
    // said out loud, not an object skipped.
    let unreadable = std::cell::RefCell::new(Vec::new());
    let compact = index
        .judged_compact()
        .into_iter()
        .filter_map(|(packed, source)| match packed.value() {
            Ok(object) => Some((object, Some(source))),
            Err(e) => {
                unreadable.borrow_mut().push(LoadError {
                    source,
                    object: None,
                    message: format!("an object the index holds: {e}"),
                });
                None
            }
        });
    let mut eval = evaluate_with(&inventory, compact, policies, now);
    problems.extend(unreadable.into_inner());
    eval.findings.extend(load_error_findings(&problems));
    sort(&mut eval.findings);
    (inventory, eval, problems.len())
}
