//! The operator's periodic audit: it reads the cluster the way `govkh report --cluster` does
//! and evaluates it with the same core (`evaluate_loaded`, then `summary::summarize`), so a
//! ministry's status, the committee's report, admission and `govkh check` agree on the same
//! day. Only the reading is here; the summary and the admission `Snapshot` are pure, in
//! `govkh_core::summary`.

use govkh_core::{
    evaluate::evaluate_loaded,
    manifest::Loader,
    policy::Library,
    summary::{Audit, Snapshot, summarize},
};
use k8s_openapi::jiff::Timestamp;

use crate::cluster;

/// Read the cluster and audit it as of `now`. Errors only when our own kinds cannot be read;
/// anything else unreadable is counted in `problems` and judged as an error finding.
pub async fn run(
    client: kube::Client,
    policies: &Library,
    now: Timestamp,
) -> Result<(Audit, Snapshot), cluster::Error> {
    let loaded = cluster::read(client, &Loader::new()).await?;
    let (inventory, eval, problems) = evaluate_loaded(loaded, policies, now);
    let mut audit = summarize(&inventory, &eval, policies, problems);
    audit.at = Some(now);
    let snapshot = Snapshot::new(now, inventory, eval.tenancies);
    Ok((audit, snapshot))
}
