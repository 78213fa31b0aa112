//! Kinds watched only in ministries' namespaces (`Resource::per_namespace`: Secrets). Art. 25
//! judges a ministry's data only, so the operator reads no Secret elsewhere — not even its
//! metadata — and its RBAC need grant no more than that. One watch per ministry's namespace,
//! started when a namespace becomes one (a tenancy names it, or its label says so) and stopped,
//! its objects forgotten, when it stops being one. A namespace whose watch fails (RBAC refuses
//! it) does not hold readiness back: the audit says its objects are not judged.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use govkh_core::resources::Resource;
use kube::Client;
use tokio::{sync::broadcast::error::RecvError, task::JoinHandle};

use super::{Index, watch::watch_in};

/// Keep one watch of `r` in each ministry's namespace, for the life of the process. The kind
/// is marked synced once every namespace that was a ministry's when Namespaces and tenancies
/// were first listed has been listed (or fails).
pub async fn watch_ministries(client: Client, index: Arc<Index>, r: &'static Resource) {
    // Subscribed first: a change made while the first set is read is not missed.
    let mut changes = index.subscribe();
    // Which namespaces are ministries' is known once Namespaces and tenancies are listed.
    while !(index.kind_synced("Namespace") && index.kind_synced("CloudTenancy")) {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut running: BTreeMap<String, JoinHandle<()>> = BTreeMap::new();
    follow(&client, &index, r, &mut running).await;
    let first: Vec<String> = running.keys().cloned().collect();
    let mut synced = false;
    loop {
        // A first namespace that stopped being a ministry's before it listed is not waited
        // for (its state is forgotten: it would never settle, and readiness never come).
        if !synced
            && first
                .iter()
                .filter(|ns| running.contains_key(*ns))
                .all(|ns| index.settled_in(r, ns))
        {
            index.mark_synced(r);
            synced = true;
        }
        let next = if synced {
            changes.recv().await
        } else {
            // Until the first lists are in, look again now and then as well.
            match tokio::time::timeout(Duration::from_millis(200), changes.recv()).await {
                Ok(c) => c,
                Err(_) => continue,
            }
        };
        match next {
            Ok(c) if c.kind == "Namespace" || c.kind == "CloudTenancy" => {}
            Ok(_) => continue,
            // Fell behind: which changes were missed is unknown, so look again.
            Err(RecvError::Lagged(_)) => {}
            Err(RecvError::Closed) => return,
        }
        follow(&client, &index, r, &mut running).await;
    }
}

/// Start the watches of namespaces that became ministries', stop those of namespaces that no
/// longer are (forgetting their objects).
async fn follow(
    client: &Client,
    index: &Arc<Index>,
    r: &'static Resource,
    running: &mut BTreeMap<String, JoinHandle<()>>,
) {
    let wanted = index.ministry_namespaces();
    let gone: Vec<String> = running
        .keys()
        .filter(|ns| !wanted.contains(*ns))
        .cloned()
        .collect();
    for ns in gone {
        if let Some(task) = running.remove(&ns) {
            // Waited for: an event it was applying lands before its objects are forgotten.
            task.abort();
            let _ = task.await;
        }
        index.forget_in(r, &ns);
        tracing::info!(kind = r.kind, namespace = %ns, "no longer a ministry's namespace: not watched");
    }
    for ns in wanted {
        if let std::collections::btree_map::Entry::Vacant(slot) = running.entry(ns) {
            let ns = slot.key().clone();
            tracing::debug!(kind = r.kind, namespace = %ns, "a ministry's namespace: watching");
            slot.insert(watch_in(client, index, r, Some(ns)));
        }
    }
}
