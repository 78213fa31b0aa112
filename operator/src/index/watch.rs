//! The watches that feed the index: one per kind served (optional kinds found through discovery
//! and looked for again when CRDs change), each restarting with its own backoff and relisting on
//! expiry, its failures said once per cause.

use futures::StreamExt;
use govkh_core::{
    clouds::Catalogue,
    resources::{RESOURCES, Resource},
};
use kube::{
    Api, Client,
    core::{ApiResource, DynamicObject, GroupVersionKind, PartialObjectMeta},
    runtime::watcher,
};
use serde_json::Value;
use std::{collections::BTreeMap, sync::Arc, time::Duration};

use super::*;

/// The watched kind with this `apiVersion` and `kind`, if it is one.
pub fn resource_of_kind(api_version: &str, kind: &str) -> Option<&'static Resource> {
    RESOURCES
        .iter()
        .find(|r| r.kind == kind && r.api_version() == api_version)
}

/// Feed one watch event of kind `r` into `index`. `buffer` holds a (re)list in progress: its
/// objects replace the kind's only when the list completes.
pub fn handle_event(
    index: &Index,
    r: &'static Resource,
    event: watcher::Event<Value>,
    buffer: &mut Option<Vec<Prepared>>,
) {
    handle_event_in(index, r, None, event, buffer);
}

/// [`handle_event`] for a watch of `r` in `namespace` only (`None`: everywhere): its relist
/// replaces that namespace's objects of the kind.
pub fn handle_event_in(
    index: &Index,
    r: &'static Resource,
    namespace: Option<&str>,
    event: watcher::Event<Value>,
    buffer: &mut Option<Vec<Prepared>>,
) {
    // Our kinds' events are small and few; only they are copied, for the controllers' stores.
    let mirrored = (!r.cloud && index.is_mirrored(r.kind)).then(|| event.clone());
    match event {
        watcher::Event::Init => *buffer = Some(Vec::new()),
        watcher::Event::InitApply(v) => buffer
            .get_or_insert_with(Vec::new)
            .push(index.prepare(r, v)),
        watcher::Event::InitDone => {
            index.restart_in(r, namespace, buffer.take().unwrap_or_default());
            match namespace {
                Some(ns) => index.mark_synced_in(r, ns),
                None => index.mark_synced(r),
            }
        }
        watcher::Event::Apply(v) => index.apply(r, v),
        watcher::Event::Delete(v) => index.delete(r, &v),
    }
    if let Some(event) = mirrored {
        index.mirror_event(r.kind, &event);
    }
}

pub(crate) fn to_value<T: serde::Serialize>(e: watcher::Event<T>) -> Option<watcher::Event<Value>> {
    map_event(e, |o| serde_json::to_value(o).ok())
}

/// A watch event with its object, if it has one, mapped by `f`; `None` when `f` gives none.
pub(crate) fn map_event<T, U>(
    e: watcher::Event<T>,
    mut f: impl FnMut(T) -> Option<U>,
) -> Option<watcher::Event<U>> {
    Some(match e {
        watcher::Event::Apply(o) => watcher::Event::Apply(f(o)?),
        watcher::Event::Delete(o) => watcher::Event::Delete(f(o)?),
        watcher::Event::Init => watcher::Event::Init,
        watcher::Event::InitApply(o) => watcher::Event::InitApply(f(o)?),
        watcher::Event::InitDone => watcher::Event::InitDone,
    })
}

/// Objects per page of a watch's (re)list. A page is decoded whole before its objects are made
/// compact, and the heavy kinds (Deployments, ReplicaSets, ConfigMaps) list at once: with
/// kube's default of 500, 10,000 Deployments and 10,000 ConfigMaps took the process to 191-199
/// MiB while listing, against 143-147 MiB with 100 (and 143-145 with streaming lists, which
/// not every supported API server serves) — measured on the real control plane
/// (docs/performance.md). 10,000 objects are then 100 requests, not 20.
const LIST_PAGE: u32 = 100;

/// Start one watch per kind of `RESOURCES`, feeding `index`, each restarting with backoff
/// (and a fresh list) when it fails or expires. The optional kinds (volume snapshots, HTTP
/// routes) and the cloud APIs of `catalogue` are watched only while the cluster serves them:
/// see [`optional_kinds`].
pub fn spawn_watches(client: &Client, index: &Arc<Index>, catalogue: Catalogue) {
    for r in RESOURCES.iter().filter(|r| !r.optional) {
        if r.per_namespace {
            tokio::spawn(super::per_namespace::watch_ministries(
                client.clone(),
                index.clone(),
                r,
            ));
        } else {
            watch_kind(client, index, r);
        }
    }
    tokio::spawn(optional_kinds(client.clone(), index.clone(), catalogue));
}

/// Watch the kind `r` into `index` in a task of its own.
pub(crate) fn watch_kind(
    client: &Client,
    index: &Arc<Index>,
    r: &'static Resource,
) -> tokio::task::JoinHandle<()> {
    watch_in(client, index, r, None)
}

/// Watch the kind `r` in `namespace` (`None`: everywhere) into `index` in a task of its own.
pub(crate) fn watch_in(
    client: &Client,
    index: &Arc<Index>,
    r: &'static Resource,
    namespace: Option<String>,
) -> tokio::task::JoinHandle<()> {
    let gvk = GroupVersionKind::gvk(r.group, r.version, r.kind);
    let ar = ApiResource::from_gvk_with_plural(&gvk, r.plural);
    let index = index.clone();
    let config = watcher::Config::default().page_size(LIST_PAGE);
    let scope = namespace.clone();
    // A watch in one namespace can be woken from its backoff (see `Index::retry_refused_in`).
    let retry = namespace.as_deref().map(|ns| index.retry_signal_in(r, ns));
    let events: futures::stream::BoxStream<'static, Result<watcher::Event<Value>, watcher::Error>> =
        if r.metadata_only {
            let meta: Api<PartialObjectMeta<DynamicObject>> = match &namespace {
                Some(ns) => Api::namespaced_with(client.clone(), ns, &ar),
                None => Api::all_with(client.clone(), &ar),
            };
            watcher(meta, config)
                .map(|e| e.map(to_value))
                .filter_map(|e| std::future::ready(transpose(e)))
                .boxed()
        } else {
            let api: Api<DynamicObject> = match &namespace {
                Some(ns) => Api::namespaced_with(client.clone(), ns, &ar),
                None => Api::all_with(client.clone(), &ar),
            };
            watcher(api, config)
                .map(|e| e.map(to_value))
                .filter_map(|e| std::future::ready(transpose(e)))
                .boxed()
        };
    tokio::spawn(async move {
        let mut buffer = None;
        let mut events = events;
        // The cause of the failure being retried, said once (not at every retry).
        let mut failing: Option<String> = None;
        // The backoff is ours, not kube's `WatchStreamExt::backoff`: that one starts over at
        // every item the stream yields, and the watcher yields `Init` before each (re)list, so a
        // list that always fails was retried about once a second for ever.
        let mut backoff = watch_backoff();
        while let Some(event) = events.next().await {
            match event {
                Ok(e) => {
                    if !matches!(e, watcher::Event::Init) {
                        // Progress: an object or a completed list.
                        kube::runtime::utils::Backoff::reset(&mut backoff);
                        // Of a kind watched per namespace, said when the last one recovers.
                        if failing.take().is_some() {
                            if set_failing(&index, r, scope.as_deref(), None) {
                                tracing::info!(kind = r.kind, "watch works again");
                            } else {
                                tracing::debug!(
                                    kind = r.kind,
                                    namespace = scope.as_deref(),
                                    "watch works again"
                                );
                            }
                        }
                    }
                    handle_event_in(&index, r, scope.as_deref(), e, &mut buffer);
                }
                // Its CRD is being deleted: the CRDs' watch stops this one soon.
                Err(e) if r.optional && is_not_found(&e) => {
                    tokio::time::sleep(backoff.next().unwrap_or(Duration::from_secs(300))).await;
                }
                // Resumed at a version the API server no longer has (etcd compacted, the
                // server restarted): the watcher lists again by itself. Routine, not a failure.
                Err(e) if is_expired(&e) => match &scope {
                    // One line per kind: not one per ministry's namespace.
                    Some(ns) if ns.as_str() != first_namespace(&index).as_str() => {
                        tracing::debug!(kind = r.kind, namespace = %ns, error = %e, "watch expired; listing again");
                    }
                    _ => tracing::info!(kind = r.kind, error = %e, "watch expired; listing again"),
                },
                Err(e) => {
                    let cause = watch_cause(&e);
                    if failing.as_deref() == Some(cause.as_str()) {
                        tracing::debug!(kind = %r.watch_name(), namespace = scope.as_deref(), error = %e, "watch still failing");
                    } else {
                        // Of a kind watched per namespace, said by the first one failing so.
                        if set_failing(&index, r, scope.as_deref(), Some(cause.clone())) {
                            tracing::warn!(kind = %r.watch_name(), namespace = scope.as_deref(), error = %e, "watch failed; retrying with backoff (up to 5 minutes apart) and saying so again only if the cause changes");
                        } else {
                            tracing::debug!(kind = %r.watch_name(), namespace = scope.as_deref(), error = %e, "watch failed, as another namespace's of its kind");
                        }
                        failing = Some(cause);
                    }
                    let delay = backoff.next().unwrap_or(Duration::from_secs(300));
                    match &retry {
                        Some(retry) => tokio::select! {
                            () = tokio::time::sleep(delay) => {}
                            () = retry.notified() => {
                                // The reader role was bound here just now: try at once, and
                                // soon again (from 1 s) while RBAC's cache catches up.
                                kube::runtime::utils::Backoff::reset(&mut backoff);
                                tracing::debug!(kind = r.kind, namespace = scope.as_deref(), "the reader role was bound: trying again now");
                            }
                        },
                        None => tokio::time::sleep(delay).await,
                    }
                }
            }
        }
    })
}

/// Record that the watch of `r` in `namespace` (`None`: everywhere) fails with `cause`
/// (`None`: works again).
/// Returns whether to say so (see `Index::set_failing_in`).
fn set_failing(
    index: &Index,
    r: &'static Resource,
    namespace: Option<&str>,
    cause: Option<String>,
) -> bool {
    match namespace {
        Some(ns) => index.set_failing_in(r, ns, cause),
        None => {
            index.set_failing(&r.watch_name(), cause);
            true
        }
    }
}

/// The first (by name) of the ministries' namespaces: the one whose watch of a kind watched
/// per namespace speaks for the others of routine events.
fn first_namespace(index: &Index) -> String {
    index
        .ministry_namespaces()
        .into_iter()
        .next()
        .unwrap_or_default()
}

/// A watch failure's cause, without what changes from one retry to the next: the status code
/// and reason of an API error, else the kind of failure.
pub(crate) fn watch_cause(e: &watcher::Error) -> String {
    match api_status(e) {
        Some(s) => format!("{} {}", s.code, s.reason),
        None => match e {
            watcher::Error::InitialListFailed(_) => "the list failed".into(),
            watcher::Error::WatchStartFailed(_) => "the watch could not start".into(),
            _ => "the watch failed".into(),
        },
    }
}

/// How a failing watch retries: from 1 s, doubling with jitter, at most 5 minutes apart (a
/// watch refused by RBAC or a missing API does not hammer the API server). It starts over only
/// when the watch makes progress (see `watch_kind`).
pub(crate) fn watch_backoff() -> kube::runtime::watcher::ExponentialBackoff {
    backon::ExponentialBuilder::default()
        .with_min_delay(Duration::from_secs(1))
        .with_max_delay(Duration::from_secs(300))
        .with_factor(2.0)
        .with_jitter()
        .without_max_times()
        .into()
}

/// The name of the CRD that would serve `r` (`plural.group`).
pub(crate) fn crd_name(r: &Resource) -> String {
    format!("{}.{}", r.plural, r.group)
}

/// Whether the API server serves `r`, asked through discovery of its group and version.
async fn served(client: &Client, r: &Resource) -> Result<bool, kube::Error> {
    match client.list_api_group_resources(&r.api_version()).await {
        Ok(list) => Ok(list.resources.iter().any(|x| x.name == r.plural)),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(false),
        Err(e) => Err(e),
    }
}

/// Whether the API server serves `r`, after its CRD has just been created, changed or deleted
/// (`crd_exists` says which; `None` after a list of all CRDs): asked again for a few seconds
/// while discovery disagrees with the CRD. The API server serves a new CRD's group a moment
/// after the CRD is Established, and stops serving a deleted one's a moment after it is gone;
/// no further CRD event may come to say so.
async fn served_soon(
    client: &Client,
    r: &Resource,
    crd_exists: Option<bool>,
) -> Result<bool, kube::Error> {
    let mut delay = Duration::from_millis(250);
    for _ in 0..6 {
        let serves = served(client, r).await?;
        // After a (re)list (`None`) there is no change to wait for: what discovery says holds.
        if crd_exists.is_none_or(|exists| serves == exists) {
            return Ok(serves);
        }
        tokio::time::sleep(delay).await;
        delay *= 2;
    }
    served(client, r).await
}

/// Keep the optional kinds watched exactly while the cluster serves them. Most clusters serve
/// neither VolumeSnapshots nor HTTPRoutes, and a watch of an absent kind fails with 404 and
/// lists again about once a second for ever. So they are found through discovery once the
/// CRDs (watched metadata only) have been listed, and again only when the CRD that would serve
/// one changes: a kind that arrives is watched from then on, one that goes is no longer
/// watched and its objects leave the index. An absent kind counts as listed, and empty. The
/// cloud kinds follow the same CRD events (`clouds::CloudWatches`).
async fn optional_kinds(client: Client, index: Arc<Index>, catalogue: Catalogue) {
    let mut clouds = super::clouds::CloudWatches::default();
    let optional: Vec<&'static Resource> = RESOURCES.iter().filter(|r| r.optional).collect();
    let mut running: BTreeMap<&'static str, tokio::task::JoinHandle<()>> = BTreeMap::new();
    let crds: Api<
        PartialObjectMeta<
            k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
        >,
    > = Api::all(client.clone());
    let mut events = watcher(crds, watcher::Config::default()).boxed();
    let mut backoff = watch_backoff();
    let mut first = true;
    while let Some(event) = events.next().await {
        // Which CRDs changed: after a (re)list all of them, else the one in the event.
        let (changed, exists): (Option<String>, Option<bool>) = match event {
            Ok(watcher::Event::InitDone) => (None, None),
            // A CRD being deleted is going: what it serves is on its way out.
            Ok(watcher::Event::Apply(m)) => {
                let going = m.metadata.deletion_timestamp.is_some();
                (Some(m.metadata.name.unwrap_or_default()), Some(!going))
            }
            Ok(watcher::Event::Delete(m)) => {
                (Some(m.metadata.name.unwrap_or_default()), Some(false))
            }
            Ok(watcher::Event::Init | watcher::Event::InitApply(_)) => continue,
            Err(e) => {
                tracing::warn!(error = %e, "watch of the CRDs failed; retrying with backoff");
                tokio::time::sleep(backoff.next().unwrap_or(Duration::from_secs(300))).await;
                continue;
            }
        };
        kube::runtime::utils::Backoff::reset(&mut backoff);
        clouds
            .follow(&client, &index, &catalogue, changed.as_deref().zip(exists))
            .await;
        let mut absent = Vec::new();
        for r in optional
            .iter()
            .filter(|r| changed.as_ref().is_none_or(|c| *c == crd_name(r)))
        {
            let serves = match served_soon(&client, r, exists).await {
                Ok(serves) => serves,
                Err(e) => {
                    // Said, and not counted as empty: the index is not synced while it is unknown.
                    tracing::warn!(kind = r.kind, error = %e, "cannot tell whether the cluster serves this kind; asked again when the CRDs change");
                    continue;
                }
            };
            match (serves, running.contains_key(r.kind)) {
                (true, false) => {
                    if !first {
                        tracing::info!(kind = r.kind, apiVersion = %r.api_version(), "the cluster now serves this kind: watching it");
                    }
                    running.insert(r.kind, watch_kind(&client, &index, r));
                }
                (false, true) => {
                    if let Some(watch) = running.remove(r.kind) {
                        watch.abort();
                    }
                    index.restart(r, Vec::new());
                    index.mark_synced(r);
                    tracing::info!(kind = r.kind, apiVersion = %r.api_version(), "the cluster no longer serves this kind: not watching it");
                }
                (false, false) => {
                    index.mark_synced(r);
                    absent.push(format!("{} ({})", r.kind, r.api_version()));
                }
                (true, true) => {}
            }
        }
        if first && !absent.is_empty() {
            tracing::info!(absent = %absent.join(", "), "optional kinds this cluster does not serve; not watched until their CRDs appear");
        }
        first = false;
    }
}

pub(crate) fn transpose(
    e: Result<Option<watcher::Event<Value>>, watcher::Error>,
) -> Option<Result<watcher::Event<Value>, watcher::Error>> {
    match e {
        Ok(Some(e)) => Some(Ok(e)),
        Ok(None) => None,
        Err(e) => Some(Err(e)),
    }
}

/// The API server's answer in a watch error, if the error is one.
pub(crate) fn api_status(e: &watcher::Error) -> Option<&kube::core::Status> {
    match e {
        watcher::Error::InitialListFailed(kube::Error::Api(s))
        | watcher::Error::WatchStartFailed(kube::Error::Api(s))
        | watcher::Error::WatchFailed(kube::Error::Api(s)) => Some(s),
        watcher::Error::WatchError(s) => Some(s),
        _ => None,
    }
}

/// A 410: the watch's resource version is older than the API server keeps.
pub(crate) fn is_expired(e: &watcher::Error) -> bool {
    api_status(e).is_some_and(|s| s.code == 410)
}

pub(crate) fn is_not_found(e: &watcher::Error) -> bool {
    api_status(e).is_some_and(|s| s.code == 404)
}
