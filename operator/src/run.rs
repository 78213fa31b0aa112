//! `govkh run`: the operator process. It connects (in-cluster, `KUBECONFIG` or `--kubeconfig`),
//! waits until our CRDs are established, serves `/healthz`, `/readyz` and `/metrics` and (on
//! every replica) the admission webhook, audits the cluster when it changes and periodically,
//! takes the leader Lease when several replicas run, runs the six controllers while it leads,
//! and stops cleanly on SIGTERM or SIGINT (giving the Lease up). The wall clock is read here,
//! at the edge, and handed to the reconcilers.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use futures::StreamExt;
use k8s_openapi::{
    api::admissionregistration::v1::ValidatingWebhookConfiguration,
    apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
    jiff::Timestamp,
};
use kube::{
    Api, Client,
    core::DeserializeGuard,
    runtime::{Controller, reflector::ObjectRef, watcher},
};

use crate::{
    audit,
    context::Context,
    controller::{self, approval, cloud, grant, link, ministry, tenancy},
    index, lease,
    serve::{Probes, serve},
    webhook,
};
use govkh_core::{
    api::crdgen::all_established,
    api::{
        Approval, CloudTenancy, DataAccessGrant, Day, GOVERNMENT_CLOUD_NAME, GovernmentCloud,
        Ministry, PrivateNetworkLink,
    },
    dependents::{Dependents, of_change},
    policy::Library,
    provision::desired::FIELD_MANAGER,
};

/// Why `govkh run` stopped, or could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No usable cluster configuration (kubeconfig, in-cluster).
    #[error("{0}")]
    Config(String),
    /// The API server could not be reached, or refused us, at start.
    #[error("cannot reach the API server: {}", controller::api_error(.0))]
    Connect(kube::Error),
    /// Our CRDs are not established in time.
    #[error("CRD {crd} is not established after {secs}s: kubectl apply -f crds/")]
    CrdsMissing {
        /// The first CRD not established.
        crd: String,
        /// How long we waited.
        secs: u64,
    },
    /// The built-in policy library does not load (a build defect).
    #[error("the built-in policies do not load: {0}")]
    Policies(#[from] govkh_core::policy::Error),
    /// An address cannot be listened on.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The webhook cannot serve.
    #[error("webhook: {0}")]
    Webhook(#[from] webhook::Error),
    /// The webhook cannot be registered by URL.
    #[error("cannot register the webhook {name}: {reason}")]
    Registration {
        /// The ValidatingWebhookConfiguration's name.
        name: String,
        /// Why.
        reason: String,
    },
    /// Leadership was lost: exit so that another replica takes over.
    #[error("lost leadership ({0}); exiting so that another replica takes over")]
    LostLeadership(String),
}

/// Options of `govkh run`.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// How the policies are executed (`--policy-engine`).
    pub engine: govkh_core::policy::Mode,
    /// Where the probes and metrics listen.
    pub probe_addr: SocketAddr,
    /// How long to wait for the CRDs to be established.
    pub crd_timeout: Duration,
    /// Kubeconfig file, if not in-cluster or `KUBECONFIG`.
    pub kubeconfig: Option<std::path::PathBuf>,
    /// Reconciles run at once, per controller.
    pub concurrency: u16,
    /// Time between two audits of the cluster.
    pub audit_interval: Duration,
    /// This replica's name (the pod's), for Events and the Lease.
    pub identity: String,
    /// Leader election, when several replicas run.
    pub leader_election: Option<LeaderElection>,
    /// The admission webhook, when served.
    pub webhook: Option<WebhookOptions>,
    /// Where the leader keeps each ministry's daily record (None: no history is kept).
    pub history_namespace: Option<String>,
    /// The reports the leader writes after each audit (None: none).
    pub reports: Option<govkh_core::render::openreports::Options>,
}

/// Where and with which certificate the admission webhook listens.
#[derive(Debug, Clone)]
pub struct WebhookOptions {
    /// HTTPS address.
    pub addr: SocketAddr,
    /// Certificate and key files.
    pub tls: webhook::TlsFiles,
    /// Register the webhook by URL (an operator outside the cluster).
    pub register: Option<Registration>,
}

/// How an operator outside the cluster registers its webhook.
#[derive(Debug, Clone)]
pub struct Registration {
    /// The HTTPS URL the API server posts reviews to.
    pub url: String,
    /// The CA bundle (PEM) the API server trusts for it.
    pub ca_file: std::path::PathBuf,
}

/// Apply the ValidatingWebhookConfiguration that sends admission to `r.url`; returns its name.
async fn register(client: &Client, identity: &str, r: &Registration) -> Result<String, Error> {
    let name = format!("govkh-{}", identity.to_lowercase());
    let ca = std::fs::read(&r.ca_file).map_err(|e| Error::Registration {
        name: name.clone(),
        reason: format!("{}: {e}", r.ca_file.display()),
    })?;
    let config = govkh_core::provision::desired::webhook_configuration(&name, &r.url, &ca);
    let api: Api<ValidatingWebhookConfiguration> = Api::all(client.clone());
    api.patch(
        &name,
        &kube::api::PatchParams::apply(FIELD_MANAGER).force(),
        &kube::api::Patch::Apply(&config),
    )
    .await
    .map_err(|e| Error::Registration {
        name: name.clone(),
        reason: controller::api_error(&e),
    })?;
    tracing::info!(name = %name, url = %r.url, "webhook registered by URL");
    Ok(name)
}

/// Remove the registration made by `register`, if any.
async fn deregister(client: &Client, name: Option<&str>) {
    let Some(name) = name else {
        return;
    };
    let api: Api<ValidatingWebhookConfiguration> = Api::all(client.clone());
    match api.delete(name, &Default::default()).await {
        Ok(_) => tracing::info!(name, "webhook registration removed"),
        Err(e) => tracing::warn!(name, error = %e, "cannot remove the webhook registration"),
    }
}

/// Where the replicas elect their leader.
#[derive(Debug, Clone)]
pub struct LeaderElection {
    /// Namespace of the Lease (the operator's own).
    pub namespace: String,
    /// Name of the Lease.
    pub name: String,
}

async fn wait_for_crds(client: &Client, timeout: Duration) -> Result<(), Error> {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        // An API server that cannot be reached is said as such: installing the CRDs would not
        // help.
        let missing = match api.list(&Default::default()).await {
            Ok(list) => match all_established(&list.items) {
                Ok(()) => return Ok(()),
                Err(name) => Ok(name),
            },
            Err(e) => Err(e),
        };
        if tokio::time::Instant::now() >= deadline {
            return Err(match missing {
                Ok(crd) => Error::CrdsMissing {
                    crd,
                    secs: timeout.as_secs(),
                },
                Err(e) => Error::Connect(e),
            });
        }
        match &missing {
            Ok(crd) => tracing::info!(crd = %crd, "waiting for the CRDs to be established"),
            Err(e) => {
                tracing::info!(error = %controller::api_error(e), "waiting for the API server")
            }
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// A controller's triggers from the live index: every change the index takes in, mapped by
/// `pick` to the objects of the controller's kind that depend on it (`dependents::of_change`,
/// read from the index after it holds the change). A subscriber that fell behind the buffer
/// reconciles every object of its kind the index holds: nothing is missed silently.
fn triggers<K>(
    index: &Arc<index::Index>,
    pick: fn(Dependents) -> Vec<String>,
) -> impl futures::Stream<Item = ObjectRef<DeserializeGuard<K>>> + Send + 'static
where
    K: kube::Resource<DynamicType = ()> + 'static,
{
    changes_to::<K>(index, move |inv, change| {
        pick(of_change(inv, change.kind, &change.object))
    })
}

/// A controller's triggers for the objects it owns of `kind` (Namespaces, NetworkPolicies),
/// from the index's watch of that kind rather than a watch of its own: a change to (or the
/// deletion of) an object whose `ownerReferences` name a `K` reconciles that `K`, as kube's
/// `Controller::owns` would.
fn owners<K>(
    index: &Arc<index::Index>,
    kind: &'static str,
) -> impl futures::Stream<Item = ObjectRef<DeserializeGuard<K>>> + Send + 'static
where
    K: kube::Resource<DynamicType = ()> + 'static,
{
    changes_to::<K>(index, move |_, change| {
        if change.kind != kind {
            return Vec::new();
        }
        let owner_kind = K::kind(&());
        let api_version = K::api_version(&());
        change.object["metadata"]["ownerReferences"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|o| o["kind"] == *owner_kind && o["apiVersion"] == *api_version)
            .filter_map(|o| o["name"].as_str().map(str::to_string))
            .collect()
    })
}

/// The index's changes, each mapped by `names` (given the inventory that holds it) to objects
/// of `K` to reconcile. A subscriber that fell behind the buffer reconciles every object of its
/// kind the index holds: nothing is missed silently.
fn changes_to<K>(
    index: &Arc<index::Index>,
    names: impl Fn(&govkh_core::inventory::Inventory, &index::Change) -> Vec<String>
    + Send
    + Sync
    + 'static,
) -> impl futures::Stream<Item = ObjectRef<DeserializeGuard<K>>> + Send + 'static
where
    K: kube::Resource<DynamicType = ()> + 'static,
{
    let rx = index.subscribe();
    let index = index.clone();
    let names = Arc::new(names);
    futures::stream::unfold((rx, index, names), move |(mut rx, index, names)| async move {
        let found: Vec<String> = match rx.recv().await {
            Ok(change) => names(&index.inventory(), &change),
            Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                tracing::info!(missed, kind = %K::kind(&()), "fell behind the index; reconciling every object");
                every::<K>(&index.inventory())
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
        };
        Some((
            futures::stream::iter(found.into_iter().map(|n| ObjectRef::new(&n))),
            (rx, index, names),
        ))
    })
    .flatten()
}

/// Every object of our kind `K` the inventory holds, by name.
fn every<K: kube::Resource<DynamicType = ()>>(
    inv: &govkh_core::inventory::Inventory,
) -> Vec<String> {
    match K::kind(&()).as_ref() {
        "CloudTenancy" => inv.tenancies.keys().cloned().collect(),
        "PrivateNetworkLink" => inv.links.keys().cloned().collect(),
        "DataAccessGrant" => inv.grants.keys().cloned().collect(),
        "Approval" => inv.approvals.keys().cloned().collect(),
        "Ministry" => inv.ministries.keys().cloned().collect(),
        "GovernmentCloud" => vec![GOVERNMENT_CLOUD_NAME.to_string()],
        _ => Vec::new(),
    }
}

/// A stream yielding once per completed audit.
fn audits(rx: tokio::sync::watch::Receiver<u64>) -> impl futures::Stream<Item = ()> + Send {
    futures::stream::unfold(rx, |mut rx| async move {
        rx.changed().await.ok()?;
        Some(((), rx))
    })
}

/// Least time between two audits, however often the inventory changes.
pub const AUDIT_MIN_GAP: Duration = Duration::from_secs(5);

/// Audit the live index at least every `interval`, and sooner (but not within
/// `AUDIT_MIN_GAP`) when it changes: keep the result in the context, publish the metrics while
/// `leading`, and signal `done`. The evaluation runs on a blocking thread; nothing is listed.
pub async fn audit_loop(
    ctx: Arc<Context>,
    policies: Arc<Library>,
    interval: Duration,
    leading: Arc<AtomicBool>,
    done: tokio::sync::watch::Sender<u64>,
    history_namespace: Option<String>,
    reports: Option<govkh_core::render::openreports::Options>,
) {
    let mut n = 0u64;
    let mut keeper = crate::writers::history::Keeper::default();
    let mut writer = reports.map(|o| crate::writers::openreports::Writer::new(o.flavour));
    // An audit of an index that has not listed every kind would report an empty cluster.
    while !ctx.index.is_synced() {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // What the last audit judged: the index's version and the day. The verdicts are a function
    // of the two (and of the leader's role, for what it writes), so an audit of the same pair
    // would find exactly the same: idle is idle.
    let mut judged: Option<(u64, Day, bool)> = None;
    loop {
        // Timing only paces the audits; it decides nothing.
        let started = std::time::Instant::now();
        let (index, lib, now) = (ctx.index.clone(), policies.clone(), (ctx.now)());
        let state = (
            index.version(),
            Day::in_phnom_penh(now),
            leading.load(Ordering::Relaxed),
        );
        if judged == Some(state) {
            // Only the count of the last day's refusals moves with the clock alone.
            ctx.metrics.refused_last_day(&index.refused_last_day(now));
            tracing::debug!("nothing changed since the last audit; not audited again");
            until_next_audit(index.notifier(), audit_due_in(now, interval), AUDIT_MIN_GAP).await;
            continue;
        }
        judged = Some(state);
        // Only the leader writes reports: the others do not build them.
        let build = reports.filter(|_| leading.load(Ordering::Relaxed));
        match tokio::task::spawn_blocking(move || {
            audit::with_reports(&index, &lib, now, build.as_ref())
        })
        .await
        {
            Ok((a, built)) => {
                tracing::info!(
                    ministries = a.ministries.len(),
                    findings = a.findings.values().sum::<u32>(),
                    problems = a.problems,
                    "audit complete"
                );
                let observations = a.observations.clone();
                // Every replica counts the requests it answered: each publishes its own.
                ctx.metrics.refused_last_day(&a.refused_last_day);
                ctx.set_audit(a, leading.load(Ordering::Relaxed));
                // The leader alone keeps the record; a failure to write it is said and retried
                // at the next audit, never a reason to stop auditing.
                if let Some(ns) = &history_namespace
                    && leading.load(Ordering::Relaxed)
                {
                    match keeper.record(ctx.client.clone(), ns, &observations).await {
                        Ok(0) => {}
                        Ok(written) => tracing::info!(written, namespace = %ns, "history recorded"),
                        Err(e) => {
                            tracing::warn!(error = %e, "cannot record the history");
                            // Tried again at the next interval even if nothing changes.
                            judged = None;
                        }
                    }
                }
                // Likewise the reports: a failure is said and the next audit tries again.
                if let Some(w) = writer.as_mut()
                    && build.is_some()
                {
                    match w.write(&ctx.client, built, now).await {
                        Ok(crate::writers::openreports::Written {
                            applied: 0,
                            deleted: 0,
                            ..
                        }) => {}
                        Ok(done) => tracing::info!(
                            applied = done.applied,
                            deleted = done.deleted,
                            skipped = done.skipped,
                            "compliance reports written"
                        ),
                        Err(e) => {
                            tracing::warn!(error = %e, "cannot write the compliance reports");
                            judged = None;
                        }
                    }
                }
                n = n.wrapping_add(1);
                let _ = done.send(n);
            }
            Err(e) => {
                ctx.metrics.audit_failed();
                tracing::warn!(error = %e, "audit failed");
                judged = None;
            }
        }
        until_next_audit(
            ctx.index.notifier(),
            audit_due_in((ctx.now)(), interval),
            audit_gap(started.elapsed()),
        )
        .await;
    }
}

/// How long until the next audit is due if nothing changes: `interval`, or sooner when the day
/// turns in Phnom Penh first (the turn moves deadlines and clock states: a change too).
pub fn audit_due_in(now: Timestamp, interval: Duration) -> Duration {
    let day_turns = controller::until(now, Day::in_phnom_penh(now).next().start());
    interval.min(day_turns)
}

/// How many times an audit's own duration the next one waits, at least, after a change: a
/// cluster that keeps changing (a controller manager catching up on 10,000 Deployments) gets
/// an audit every few seconds at most, and the audit at most a tenth of a core.
pub const AUDIT_DUTY: u32 = 10;

/// The least time between two audits, after one that took `took`: `AUDIT_MIN_GAP`, or
/// `AUDIT_DUTY` times `took` when that is longer.
pub fn audit_gap(took: Duration) -> Duration {
    AUDIT_MIN_GAP.max(took.saturating_mul(AUDIT_DUTY))
}

/// Wait until the next audit is due: `interval` after the last, or `gap` after it if the index
/// changed meanwhile (a change during the audit counts: `Notify` keeps it).
pub async fn until_next_audit(changed: &tokio::sync::Notify, interval: Duration, gap: Duration) {
    let gap = gap.min(interval);
    tokio::time::sleep(gap).await;
    tokio::select! {
        () = tokio::time::sleep(interval.saturating_sub(gap)) => {}
        () = changed.notified() => {}
    }
}

/// Resolves on SIGTERM or SIGINT.
async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = term => {}
    }
}

/// The typed stores of the controllers' kinds, kept by the index's watches.
struct Mirrors {
    tenancies: index::Mirror<CloudTenancy>,
    links: index::Mirror<PrivateNetworkLink>,
    grants: index::Mirror<DataAccessGrant>,
    approvals: index::Mirror<Approval>,
    ministries: index::Mirror<Ministry>,
    clouds: index::Mirror<GovernmentCloud>,
}

/// Run the operator until a termination signal.
pub async fn run(options: RunOptions) -> Result<(), Error> {
    let config = match &options.kubeconfig {
        Some(path) => {
            let kc = kube::config::Kubeconfig::read_from(path)
                .map_err(|e| Error::Config(format!("{}: {e}", path.display())))?;
            kube::Config::from_custom_kubeconfig(kc, &Default::default())
                .await
                .map_err(|e| Error::Config(e.to_string()))?
        }
        None => kube::Config::infer()
            .await
            .map_err(|e| Error::Config(format!("no cluster configuration found: {e}")))?,
    };
    let client = Client::try_from(config).map_err(Error::Connect)?;
    run_with(client, Arc::new(Timestamp::now), options).await
}

/// `run` on a client already made, with the clock it reads the time from (the wall clock in
/// `govkh run`; a test's fixed instant behind a mocked API server).
pub async fn run_with(
    client: Client,
    clock: Arc<dyn Fn() -> Timestamp + Send + Sync>,
    options: RunOptions,
) -> Result<(), Error> {
    let policies = Arc::new(Library::builtin()?.with_mode(options.engine));
    let ready = Arc::new(AtomicBool::new(false));
    let ctx = Arc::new(Context::with_reporter(
        client.clone(),
        clock.clone(),
        Some(options.identity.clone()),
    ));
    let listener = tokio::net::TcpListener::bind(options.probe_addr)
        .await
        .map_err(|source| Error::Listen {
            addr: options.probe_addr,
            source,
        })?;
    let probe_server = serve(
        listener,
        Probes {
            ready: ready.clone(),
            metrics: ctx.metrics.clone(),
            index: ctx.index.clone(),
        },
    );
    tracing::info!(addr = %options.probe_addr, "serving /healthz, /readyz, /metrics");
    wait_for_crds(&client, options.crd_timeout).await?;
    // Every replica serves admission from its own index; only the leader publishes the
    // audit's metrics and reconciles. The controllers' stores are kept by the index's watches
    // of their kinds (taken before the watches start, to have their first list).
    let mirrors = Mirrors {
        tenancies: ctx.index.mirror(),
        links: ctx.index.mirror(),
        grants: ctx.index.mirror(),
        approvals: ctx.index.mirror(),
        ministries: ctx.index.mirror(),
        clouds: ctx.index.mirror(),
    };
    index::spawn_watches(&client, &ctx.index);
    let mut webhook_server = None;
    if let Some(w) = &options.webhook {
        let listener = tokio::net::TcpListener::bind(w.addr)
            .await
            .map_err(|source| Error::Listen {
                addr: w.addr,
                source,
            })?;
        let admission = Arc::new(webhook::Admission::new(ctx.clone(), policies.clone()));
        webhook_server = Some(webhook::serve(listener, w.tls.clone(), admission).await?);
        tracing::info!(addr = %w.addr, path = webhook::PATH, "serving the admission webhook");
    }
    let servers = Servers {
        ready: ready.clone(),
        webhook: webhook_server,
        probes: probe_server,
    };
    // Registered once the index can judge: before that every request would be refused.
    let registered = match options.webhook.as_ref().and_then(|w| w.register.as_ref()) {
        Some(r) => {
            while !ctx.index.is_synced() {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Some(register(&client, &options.identity, r).await?)
        }
        None => None,
    };
    let leading = Arc::new(AtomicBool::new(false));
    let (audit_tx, audit_rx) = tokio::sync::watch::channel(0u64);
    let audits_task = tokio::spawn(audit_loop(
        ctx.clone(),
        policies.clone(),
        options.audit_interval,
        leading.clone(),
        audit_tx,
        options.history_namespace.clone(),
        options.reports,
    ));
    // Ready once every watched kind has been listed (before that admission refuses: it has
    // nothing to judge against). A replica waiting for the Lease is ready too: a warm standby
    // that admits.
    {
        let (index, ready) = (ctx.index.clone(), ready.clone());
        tokio::spawn(async move {
            while !index.is_synced() {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            tracing::info!(
                objects = index.inventory().len(),
                "the live index has listed every kind"
            );
            ready.store(true, Ordering::Relaxed);
        });
    }
    let elector = options.leader_election.as_ref().map(|le| {
        lease::Elector::new(
            client.clone(),
            &le.namespace,
            &le.name,
            &options.identity,
            lease::Timing::default(),
            clock.clone(),
        )
    });
    if let Some(e) = &elector {
        tracing::info!(identity = %options.identity, "waiting to lead");
        tokio::select! {
            () = e.acquire() => {}
            () = shutdown_signal() => {
                audits_task.abort();
                deregister(&client, registered.as_deref()).await;
                servers.shutdown().await;
                return Ok(());
            }
        }
    }
    leading.store(true, Ordering::Relaxed);

    let cfg = kube::runtime::controller::Config::default().concurrency(options.concurrency);
    // The reconcilers read the index: it must hold the cluster before the first reconcile,
    // or a tenancy would find no Ministry.
    while !ctx.index.is_synced() {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let index = ctx.index.clone();
    // A deleted object's backoff and what it waited for are forgotten: the maps do not grow
    // with objects that are gone.
    {
        let mut changes = index.subscribe();
        let ctx = ctx.clone();
        tokio::spawn(async move {
            loop {
                match changes.recv().await {
                    Ok(c) if c.deleted => {
                        if let Some(name) = c.object["metadata"]["name"].as_str() {
                            ctx.forget(c.kind, name);
                        }
                    }
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                }
            }
        });
    }

    // CloudTenancy: owns its namespaces; depends on its Ministry, its Approvals and the cloud
    // (triggered by the index's changes, after the index holds them).
    let tenancies = drive(
        controller_of(&mirrors.tenancies, &cfg)
            .reconcile_on(owners::<CloudTenancy>(&index, "Namespace"))
            .reconcile_on(triggers(&index, |d| d.tenancies)),
        tenancy::reconcile,
        &ctx,
    );
    // PrivateNetworkLink: owns its NetworkPolicies; depends on its Approval, both Ministries
    // and their namespaces.
    let links = drive(
        controller_of(&mirrors.links, &cfg)
            .reconcile_on(owners::<PrivateNetworkLink>(&index, "NetworkPolicy"))
            .reconcile_on(triggers(&index, |d| d.links)),
        link::reconcile,
        &ctx,
    );
    // DataAccessGrant: owns its NetworkPolicies; depends on both Ministries and the grantee's
    // namespaces.
    let grants = drive(
        controller_of(&mirrors.grants, &cfg)
            .reconcile_on(owners::<DataAccessGrant>(&index, "NetworkPolicy"))
            .reconcile_on(triggers(&index, |d| d.grants)),
        grant::reconcile,
        &ctx,
    );
    // Approval: its state; whether its subject exists.
    let approvals = drive(
        controller_of(&mirrors.approvals, &cfg).reconcile_on(triggers(&index, |d| d.approvals)),
        approval::reconcile,
        &ctx,
    );
    // Ministry: its namespaces and, after every audit, its compliance.
    let ministries = drive(
        controller_of(&mirrors.ministries, &cfg)
            .reconcile_on(triggers(&index, |d| d.ministries))
            .reconcile_all_on(audits(audit_rx.clone())),
        ministry::reconcile,
        &ctx,
    );
    // GovernmentCloud: the singleton's checks and, after every audit, its counts.
    let clouds = drive(
        controller_of(&mirrors.clouds, &cfg)
            .reconcile_on(triggers(&index, |d| {
                if d.cloud {
                    vec![GOVERNMENT_CLOUD_NAME.to_string()]
                } else {
                    Vec::new()
                }
            }))
            .reconcile_all_on(audits(audit_rx)),
        cloud::reconcile,
        &ctx,
    );

    tracing::info!("controllers started");
    let controllers = async {
        futures::join!(tenancies, links, grants, approvals, ministries, clouds);
    };
    let lost = async {
        match &elector {
            Some(e) => e.keep().await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        () = controllers => {}
        why = lost => {
            // Stop writing at once: returning drops every controller mid-flight. The webhook's
            // requests in flight are still answered.
            deregister(&client, registered.as_deref()).await;
            servers.shutdown().await;
            return Err(Error::LostLeadership(why));
        }
    }
    audits_task.abort();
    deregister(&client, registered.as_deref()).await;
    if let Some(e) = &elector {
        e.release().await;
    }
    servers.shutdown().await;
    tracing::info!("stopped");
    Ok(())
}

/// The process's servers, stopped gracefully on the way out.
struct Servers {
    /// `/readyz`: false from the start of the shutdown, so no new request is routed here.
    ready: Arc<AtomicBool>,
    webhook: Option<crate::connections::Server>,
    probes: crate::connections::Server,
}

impl Servers {
    /// Not ready any more; the webhook stops accepting and answers what it has in flight; then
    /// the probe server does the same.
    async fn shutdown(self) {
        self.ready.store(false, Ordering::Relaxed);
        if let Some(w) = self.webhook {
            w.shutdown().await;
            tracing::info!("the webhook answered its requests in flight and stopped");
        }
        self.probes.shutdown().await;
    }
}

/// A controller of `K` on its mirror (the index's watch of `K` is its only watch), with the
/// run's configuration, stopping on SIGTERM or SIGINT.
fn controller_of<K>(
    mirror: &index::Mirror<K>,
    cfg: &kube::runtime::controller::Config,
) -> Controller<DeserializeGuard<K>>
where
    K: index::Mirrored,
{
    Controller::for_shared_stream(mirror.triggers(), mirror.store())
        .with_config(cfg.clone())
        .shutdown_on_signal()
}

/// Run `controller`: each object through `controller::guarded` to `reconcile`, failures to
/// `controller::error_policy`, every outcome logged by what it means.
fn drive<K, Fut>(
    controller: Controller<DeserializeGuard<K>>,
    reconcile: fn(Arc<K>, Arc<Context>) -> Fut,
    ctx: &Arc<Context>,
) -> impl std::future::Future<Output = ()> + Send
where
    K: index::Mirrored,
    Fut: std::future::Future<Output = Result<kube::runtime::controller::Action, controller::Error>>
        + Send
        + 'static,
{
    controller
        .run(
            move |o, c| controller::guarded(o, c, reconcile),
            controller::error_policy,
            ctx.clone(),
        )
        .for_each(log_outcome)
}

/// Log one reconcile's outcome (the controllers' stream items) by what it means: a success or
/// a trigger for an object no longer in the store is `debug`; a failed reconcile was already
/// logged by `error_policy` (once, with its category), so it is `debug` here; a watch that
/// failed is a one-line `warn`; only the controller's machinery failing is an `error`.
fn log_outcome<K>(
    result: Result<
        (ObjectRef<K>, kube::runtime::controller::Action),
        kube::runtime::controller::Error<controller::Error, watcher::Error>,
    >,
) -> std::future::Ready<()>
where
    K: kube::Resource,
    K::DynamicType: std::fmt::Debug,
{
    use kube::runtime::controller::Error as E;
    match result {
        Ok((object, action)) => tracing::debug!(object = %object.name, ?action, "reconciled"),
        Err(E::ObjectNotFound(object)) => {
            tracing::debug!(object = %object.name, "trigger for an object no longer in the store");
        }
        Err(E::ReconcilerFailed(error, object)) => {
            tracing::debug!(object = %object.name, category = error.category(), %error, "reconcile failed");
        }
        Err(E::QueueError(error)) => {
            tracing::warn!(error = %govkh_core::render::text::one_line(&error.to_string()), "a watch failed; retrying with backoff");
        }
        Err(E::RunnerError(error)) => tracing::error!(%error, "the controller's runner failed"),
    }
    std::future::ready(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_controller_is_triggered_by_the_index_after_the_index_holds_the_change() {
        let index = Arc::new(index::Index::new());
        let r = |kind: &str| {
            govkh_core::resources::RESOURCES
                .iter()
                .find(|r| r.kind == kind)
                .unwrap()
        };
        let tenancy = serde_json::json!({"apiVersion": "digital.gov.kh/v1alpha1", "kind": "CloudTenancy",
            "metadata": {"name": "mef-core"},
            "spec": {"ministry": "mef", "placement": "government-private", "namespaces": [{"name": "mef-tax"}]}});
        index.apply(r("CloudTenancy"), tenancy);
        let mut tenancies = Box::pin(triggers::<CloudTenancy>(&index, |d| d.tenancies));
        let mut clouds = Box::pin(triggers::<GovernmentCloud>(&index, |d| {
            if d.cloud {
                vec![GOVERNMENT_CLOUD_NAME.to_string()]
            } else {
                Vec::new()
            }
        }));
        let ministry = serde_json::json!({"apiVersion": "digital.gov.kh/v1alpha1", "kind": "Ministry",
            "metadata": {"name": "mef"},
            "spec": {"displayName": "MEF", "domain": "mef.gov.kh", "resourceLevel": "full",
                     "digitalTransformationUnit": {"contactEmail": "dtu@mef.gov.kh"}}});
        index.apply(r("Ministry"), ministry);
        let next = tenancies.next().await.unwrap();
        assert_eq!(next.name, "mef-core");
        assert_eq!(clouds.next().await.unwrap().name, "national");
        assert!(
            index.inventory().ministries.contains_key("mef"),
            "the reconcile it triggers reads an index that has the change"
        );
    }

    #[tokio::test]
    async fn an_owned_object_changed_or_deleted_triggers_its_owner_from_the_index() {
        let index = Arc::new(index::Index::new());
        let r = |kind: &str| {
            govkh_core::resources::RESOURCES
                .iter()
                .find(|r| r.kind == kind)
                .unwrap()
        };
        let mut tenancies = Box::pin(owners::<CloudTenancy>(&index, "Namespace"));
        let mut links = Box::pin(owners::<PrivateNetworkLink>(&index, "NetworkPolicy"));
        let owned_by = |kind: &str, name: &str| {
            serde_json::json!([{"apiVersion": "digital.gov.kh/v1alpha1", "kind": kind,
                "name": name, "uid": "00000000-0000-4000-8000-000000000001", "controller": true}])
        };
        // A namespace nobody owns, then one a tenancy owns: only the second triggers, and only
        // the tenancies' controller.
        index.apply(
            r("Namespace"),
            serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "loose"}}),
        );
        let ns = serde_json::json!({"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": "mef-tax", "ownerReferences": owned_by("CloudTenancy", "mef-core")}});
        index.apply(r("Namespace"), ns.clone());
        assert_eq!(tenancies.next().await.unwrap().name, "mef-core");
        // A NetworkPolicy a link owns, and one a grant owns (not the links' business).
        let policy = |name: &str, owners: serde_json::Value| {
            serde_json::json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": {"name": name, "namespace": "mef-tax", "ownerReferences": owners},
                "spec": {"podSelector": {}}})
        };
        index.apply(
            r("NetworkPolicy"),
            policy("from-grant", owned_by("DataAccessGrant", "g")),
        );
        let link_policy = policy("from-link", owned_by("PrivateNetworkLink", "mef-moh"));
        index.apply(r("NetworkPolicy"), link_policy.clone());
        assert_eq!(links.next().await.unwrap().name, "mef-moh");
        // Deleted by someone: the owner is reconciled (and puts it back).
        index.delete(r("NetworkPolicy"), &link_policy);
        assert_eq!(links.next().await.unwrap().name, "mef-moh");
        index.delete(r("Namespace"), &ns);
        assert_eq!(tenancies.next().await.unwrap().name, "mef-core");
        // Nothing else was triggered on either stream.
        assert!(futures::FutureExt::now_or_never(tenancies.next()).is_none());
        assert!(futures::FutureExt::now_or_never(links.next()).is_none());
    }

    #[test]
    fn the_day_turning_in_phnom_penh_brings_the_next_audit_forward() {
        let interval = Duration::from_secs(300);
        // 23:59:00 in Phnom Penh (UTC+7): the day turns in 60 s.
        let before_midnight: Timestamp = "2026-11-26T16:59:00Z".parse().unwrap();
        assert_eq!(audit_due_in(before_midnight, interval).as_secs(), 60);
        // Noon: the interval.
        let noon: Timestamp = "2026-11-26T05:00:00Z".parse().unwrap();
        assert_eq!(audit_due_in(noon, interval), interval);
    }

    #[tokio::test(start_paused = true)]
    async fn the_next_audit_comes_at_the_interval_or_soon_after_a_change() {
        let changed = tokio::sync::Notify::new();
        let interval = Duration::from_secs(300);
        let start = tokio::time::Instant::now();
        until_next_audit(&changed, interval, AUDIT_MIN_GAP).await;
        assert_eq!(start.elapsed(), interval, "nothing changed");
        let start = tokio::time::Instant::now();
        changed.notify_one();
        until_next_audit(&changed, interval, AUDIT_MIN_GAP).await;
        assert_eq!(
            start.elapsed(),
            AUDIT_MIN_GAP,
            "a change, but never sooner than the gap"
        );
        // An audit that took 1.4 s (10,000 Deployments): the next waits 14 s after a change,
        // never longer than the interval.
        let gap = audit_gap(Duration::from_millis(1400));
        assert_eq!(gap, Duration::from_secs(14));
        assert_eq!(audit_gap(Duration::from_millis(20)), AUDIT_MIN_GAP);
        let start = tokio::time::Instant::now();
        changed.notify_one();
        until_next_audit(&changed, interval, gap).await;
        assert_eq!(start.elapsed(), gap);
        let start = tokio::time::Instant::now();
        changed.notify_one();
        until_next_audit(&changed, Duration::from_secs(10), gap).await;
        assert_eq!(
            start.elapsed(),
            Duration::from_secs(10),
            "capped by the interval"
        );
    }
}
