//! The cloud APIs the cluster serves (issue 24), found through discovery, not a fixed list: the
//! groups the catalogue knows (`policies/clouds.yaml`: Crossplane's provider families, ACK, ASO,
//! Config Connector, Cluster API, tofu-controller) are looked for when the CRDs are first listed
//! and again when a CRD of such a group changes; each kind served is watched metadata only
//! (owner, namespace, labels, annotations, creation time: all the judging reads), so thousands
//! of cloud resources cost little memory. A kind whose CRD goes stops being watched and its
//! objects leave the index. `govkh check --cluster` and `report --cluster` list the same kinds
//! (`discover`).

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use govkh_core::{
    clouds::Catalogue,
    resources::{Resource, cloud_kind},
};
use kube::Client;

use super::{Index, watch::watch_kind};

/// Every kind of the catalogue's groups the API server serves, at each group's preferred
/// version, that can be listed and watched (subresources left out).
pub async fn discover(
    client: &Client,
    catalogue: &Catalogue,
) -> Result<Vec<&'static Resource>, kube::Error> {
    let groups = client.list_api_groups().await?;
    let mut kinds = Vec::new();
    for g in groups
        .groups
        .iter()
        .filter(|g| catalogue.knows_group(&g.name))
    {
        let Some(preferred) = g.preferred_version.as_ref().or_else(|| g.versions.first()) else {
            continue;
        };
        let list = match client
            .list_api_group_resources(&preferred.group_version)
            .await
        {
            Ok(list) => list,
            // Gone between the two requests (its CRD deleted): not served.
            Err(kube::Error::Api(s)) if s.code == 404 => continue,
            Err(e) => return Err(e),
        };
        for r in list.resources.iter().filter(|r| {
            !r.name.contains('/')
                && ["list", "watch"]
                    .iter()
                    .all(|v| r.verbs.iter().any(|x| x == v))
        }) {
            kinds.push(cloud_kind(
                &g.name,
                &preferred.version,
                &r.kind,
                &r.name,
                r.namespaced,
            ));
        }
    }
    Ok(kinds)
}

/// The group a CRD's name (`plural.group`) serves.
pub(crate) fn crd_group(name: &str) -> Option<&str> {
    name.split_once('.').map(|(_, g)| g)
}

/// The cloud kinds watched, each with its watch.
#[derive(Default)]
pub(crate) struct CloudWatches {
    running: BTreeMap<String, (&'static Resource, tokio::task::JoinHandle<()>)>,
}

impl CloudWatches {
    /// After the CRDs were listed (`changed` None) or the CRD named `changed` was created,
    /// changed (`exists`) or deleted: find the cloud kinds served and watch exactly those.
    /// Discovery is asked again for a few seconds while it disagrees with the CRD (the API
    /// server serves a new CRD's group a moment after it is Established, and stops serving a
    /// deleted one's a moment after it is gone; no further CRD event may come to say so).
    pub(crate) async fn follow(
        &mut self,
        client: &Client,
        index: &Arc<Index>,
        catalogue: &Catalogue,
        changed: Option<(&str, bool)>,
    ) {
        if let Some((name, _)) = changed
            && !crd_group(name).is_some_and(|g| catalogue.knows_group(g))
        {
            return;
        }
        let mut delay = Duration::from_millis(250);
        let mut attempts = 0;
        let served = loop {
            let served = match discover(client, catalogue).await {
                Ok(s) => s,
                Err(e) => {
                    // Said, and the kinds watched are kept: what they hold is still true, and
                    // the next CRD change asks again.
                    tracing::warn!(error = %e, "cannot discover the cloud APIs the cluster serves; asked again when the CRDs change");
                    return;
                }
            };
            let agrees = changed.is_none_or(|(name, exists)| {
                served.iter().any(|r| r.qualified_plural() == name) == exists
            });
            attempts += 1;
            if agrees || attempts > 6 {
                break served;
            }
            tokio::time::sleep(delay).await;
            delay *= 2;
        };
        self.watch_exactly(client, index, served);
    }

    /// Watch the kinds of `served`, and no other: a kind gone (or served at another version or
    /// scope) stops being watched and its objects leave the index.
    fn watch_exactly(
        &mut self,
        client: &Client,
        index: &Arc<Index>,
        served: Vec<&'static Resource>,
    ) {
        let wanted: BTreeMap<String, &'static Resource> = served
            .into_iter()
            .map(|r| (r.qualified_plural(), r))
            .collect();
        let stale: Vec<String> = self
            .running
            .iter()
            .filter(|(k, (r, _))| wanted.get(*k).is_none_or(|w| !std::ptr::eq(*w, *r)))
            .map(|(k, _)| k.clone())
            .collect();
        for k in stale {
            if let Some((r, watch)) = self.running.remove(&k) {
                watch.abort();
                index.restart(r, Vec::new());
                index.set_cloud(r, false);
                tracing::info!(kind = r.kind, resource = %k, apiVersion = %r.api_version(), "cloud kind no longer served (or served anew): not watching it");
            }
        }
        for (k, r) in wanted {
            if self.running.contains_key(&k) {
                continue;
            }
            tracing::info!(kind = r.kind, resource = %k, apiVersion = %r.api_version(), namespaced = r.namespaced, "cloud kind served: watching it, metadata only");
            index.set_cloud(r, true);
            self.running.insert(k, (r, watch_kind(client, index, r)));
        }
    }
}
