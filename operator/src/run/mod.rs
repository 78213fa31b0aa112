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

use k8s_openapi::{
    api::admissionregistration::v1::ValidatingWebhookConfiguration,
    apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
    jiff::Timestamp,
};
use kube::{Api, Client};

use crate::{
    audit,
    context::Context,
    controller::{self},
    index, lease,
    serve::{Probes, serve},
    webhook,
};
use govkh_core::{
    api::crdgen::all_established, policy::Library, provision::desired::FIELD_MANAGER,
};

mod controllers;

use controllers::*;

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
    /// Who is given the reading of Secrets in the tenancies' namespaces (`--secrets-reader`).
    pub secrets_reader: Option<govkh_core::provision::desired::SecretsReader>,
    /// Who the platform, the committee and govkh are (the fence); `run` adds the user it runs
    /// as to the operator users.
    pub authority: govkh_core::fence::Authority,
    /// Run the clock from this instant instead of the wall clock's (`--clock-start`: a
    /// rehearsal or a test of what happens at a deadline); it advances with real time.
    pub clock_start: Option<Timestamp>,
    /// How long, on a termination signal, the webhook goes on accepting after `/readyz` has
    /// turned false, before it drains (`--shutdown-delay`): time for the endpoints that route
    /// the API server's requests to take this replica out.
    pub shutdown_delay: Duration,
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

/// Whether the kernel may back this process's memory with transparent huge pages (`allow`), by
/// `prctl(PR_SET_THP_DISABLE)`: a flag of the process that its threads and its children share.
/// Off for `govkh run` unless `--transparent-huge-pages`: its allocator (mimalloc) frees and
/// reuses memory 64 KiB at a time, and with huge pages a 2 MiB page stays resident while any
/// part of it is used, and the kernel's khugepaged fills partly used ranges back into huge
/// pages — in the soak the allocator counted ~11 MiB held while 45 MiB of its arena was
/// resident, 18 MiB of it in huge pages. Elsewhere than Linux there is nothing to set.
pub fn huge_pages(allow: bool) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    rustix::thread::disable_transparent_huge_pages(!allow)?;
    #[cfg(not(target_os = "linux"))]
    let _ = allow;
    Ok(())
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
    let config = with_user_agent(config, &options.identity);
    let client = Client::try_from(config).map_err(Error::Connect)?;
    let mut options = options;
    // govkh's own writes (the labels it derives on namespaces) are its own, whatever account
    // it runs as: the fence knows it by the name the API server gives it.
    match whoami(&client).await {
        Some(me) => {
            tracing::info!(user = %me, "govkh acts as this user");
            if !options.authority.operator_users.contains(&me) {
                options.authority.operator_users.push(me);
            }
        }
        None => tracing::info!(
            users = ?options.authority.operator_users,
            "the API server did not say who govkh runs as (SelfSubjectReview); the configured operator users stand"
        ),
    }
    let clock: Arc<dyn Fn() -> Timestamp + Send + Sync> = match options.clock_start {
        None => Arc::new(Timestamp::now),
        Some(start) => {
            tracing::info!(%start, "the clock runs from this instant (--clock-start), not the wall clock's");
            let began = std::time::Instant::now();
            Arc::new(move || {
                let elapsed = k8s_openapi::jiff::SignedDuration::try_from(began.elapsed())
                    .unwrap_or(k8s_openapi::jiff::SignedDuration::ZERO);
                start.checked_add(elapsed).unwrap_or(start)
            })
        }
    };
    run_with(client, clock, options).await
}

/// The user name the API server gives this client (a SelfSubjectReview), if it says.
async fn whoami(client: &Client) -> Option<String> {
    use k8s_openapi::api::authentication::v1::SelfSubjectReview;
    let api: kube::Api<SelfSubjectReview> = kube::Api::all(client.clone());
    let review = api
        .create(
            &kube::api::PostParams::default(),
            &SelfSubjectReview::default(),
        )
        .await
        .ok()?;
    review.status?.user_info?.username
}

/// Every request names govkh, its version and this replica (`govkh/0.1.0 (govkh-7d9f-x2)`), as
/// Kubernetes' own components do: the API server's audit log and its request logs then say
/// which replica wrote what. An identity that cannot be a header value is left out.
fn with_user_agent(mut config: kube::Config, identity: &str) -> kube::Config {
    let version = env!("CARGO_PKG_VERSION");
    let value = http::HeaderValue::from_str(&format!("govkh/{version} ({identity})"))
        .or_else(|_| http::HeaderValue::from_str(&format!("govkh/{version}")));
    if let Ok(value) = value {
        config.headers.push((http::header::USER_AGENT, value));
    }
    config
}

/// `run` on a client already made, with the clock it reads the time from (the wall clock in
/// `govkh run`; a test's fixed instant behind a mocked API server).
pub async fn run_with(
    client: Client,
    clock: Arc<dyn Fn() -> Timestamp + Send + Sync>,
    options: RunOptions,
) -> Result<(), Error> {
    let policies = Arc::new(
        Library::builtin()?
            .with_mode(options.engine)
            .with_authority(options.authority.clone()),
    );
    let ready = Arc::new(AtomicBool::new(false));
    let ctx = Arc::new(
        Context::with_reporter(
            client.clone(),
            clock.clone(),
            Some(options.identity.clone()),
        )
        .with_secrets_reader(options.secrets_reader.clone())
        .with_authority(options.authority.clone()),
    );
    let probe_server = probe_server(&options, &ctx, &ready).await?;
    wait_for_crds(&client, options.crd_timeout).await?;
    // Every replica serves admission from its own index; only the leader publishes the
    // audit's metrics and reconciles. The controllers' stores are kept by the index's watches
    // of their kinds (taken before the watches start, to have their first list).
    let mirrors = Mirrors::of(&ctx.index);
    index::spawn_watches(&client, &ctx.index, policies.clouds().clone());
    let webhook_server = webhook_server(&options, &ctx, &policies).await?;
    let servers = Servers {
        ready: ready.clone(),
        webhook: webhook_server,
        probes: probe_server,
        delay: options.shutdown_delay,
    };
    // Registered once the index can judge: before that every request would be refused.
    let registered = match options.webhook.as_ref().and_then(|w| w.register.as_ref()) {
        Some(r) => {
            until_synced(&ctx.index).await;
            Some(register(&client, &options.identity, r).await?)
        }
        None => None,
    };
    let leading = Arc::new(AtomicBool::new(false));
    let (audit_tx, audit_rx) = tokio::sync::watch::channel(0u64);
    let audits_task = tokio::spawn(audit::audit_loop(
        ctx.clone(),
        policies.clone(),
        options.audit_interval,
        leading.clone(),
        audit_tx,
        options.history_namespace.clone(),
        options.reports,
    ));
    spawn_ready(ctx.index.clone(), ready.clone());
    let elector = elector_of(&options, &client, &clock);
    if !lead(elector.as_ref(), &options.identity).await {
        audits_task.abort();
        servers.stop(&client, registered.as_deref()).await;
        return Ok(());
    }
    leading.store(true, Ordering::Relaxed);

    let cfg = kube::runtime::controller::Config::default().concurrency(options.concurrency);
    // The reconcilers read the index: it must hold the cluster before the first reconcile,
    // or a tenancy would find no Ministry.
    until_synced(&ctx.index).await;
    // A deleted object's backoff and what it waited for are forgotten: the maps do not grow
    // with objects that are gone.
    spawn_forgetting(ctx.clone());

    let controllers = start_all(&ctx, &mirrors, &cfg, audit_rx);
    tracing::info!("controllers started");
    tokio::select! {
        () = controllers => {}
        why = until_lost(elector.as_ref()) => {
            // Stop writing at once: returning drops every controller mid-flight. The webhook's
            // requests in flight are still answered.
            servers.stop(&client, registered.as_deref()).await;
            return Err(Error::LostLeadership(why));
        }
    }
    audits_task.abort();
    if let Some(e) = &elector {
        e.release().await;
    }
    servers.stop(&client, registered.as_deref()).await;
    tracing::info!("stopped");
    Ok(())
}

/// The Lease's elector, with `--leader-elect`.
fn elector_of(
    options: &RunOptions,
    client: &Client,
    clock: &Arc<dyn Fn() -> Timestamp + Send + Sync>,
) -> Option<lease::Elector> {
    options.leader_election.as_ref().map(|le| {
        lease::Elector::new(
            client.clone(),
            &le.namespace,
            &le.name,
            &options.identity,
            lease::Timing::default(),
            clock.clone(),
        )
    })
}

/// Wait for the Lease, when there is an elector: true once this replica leads, false if a
/// termination signal came first. Without leader election, at once.
async fn lead(elector: Option<&lease::Elector>, identity: &str) -> bool {
    let Some(e) = elector else {
        return true;
    };
    tracing::info!(identity = %identity, "waiting to lead");
    tokio::select! {
        () = e.acquire() => true,
        () = shutdown_signal() => false,
    }
}

/// Keep the Lease while leading; resolves with why when it is lost (never without an elector).
async fn until_lost(elector: Option<&lease::Elector>) -> String {
    match elector {
        Some(e) => e.keep().await,
        None => std::future::pending().await,
    }
}

/// Wait until the index has listed every kind it watches.
async fn until_synced(index: &index::Index) {
    while !index.is_synced() {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The probe and metrics server, on `--probe-addr`.
async fn probe_server(
    options: &RunOptions,
    ctx: &Arc<Context>,
    ready: &Arc<AtomicBool>,
) -> Result<crate::connections::Server, Error> {
    let listener = tokio::net::TcpListener::bind(options.probe_addr)
        .await
        .map_err(|source| Error::Listen {
            addr: options.probe_addr,
            source,
        })?;
    let server = serve(
        listener,
        Probes {
            ready: ready.clone(),
            metrics: ctx.metrics.clone(),
            index: ctx.index.clone(),
        },
    );
    tracing::info!(addr = %options.probe_addr, "serving /healthz, /readyz, /metrics");
    Ok(server)
}

/// The admission webhook's server, when `--webhook-addr` asks for one.
async fn webhook_server(
    options: &RunOptions,
    ctx: &Arc<Context>,
    policies: &Arc<Library>,
) -> Result<Option<crate::connections::Server>, Error> {
    let Some(w) = &options.webhook else {
        return Ok(None);
    };
    let listener = tokio::net::TcpListener::bind(w.addr)
        .await
        .map_err(|source| Error::Listen {
            addr: w.addr,
            source,
        })?;
    let admission = Arc::new(webhook::Admission::new(ctx.clone(), policies.clone()));
    let server = webhook::serve(listener, w.tls.clone(), admission).await?;
    tracing::info!(addr = %w.addr, path = webhook::PATH, "serving the admission webhook");
    Ok(Some(server))
}

/// Ready once every watched kind has been listed (before that admission refuses: it has
/// nothing to judge against). A replica waiting for the Lease is ready too: a warm standby
/// that admits.
fn spawn_ready(index: Arc<index::Index>, ready: Arc<AtomicBool>) {
    tokio::spawn(async move {
        until_synced(&index).await;
        tracing::info!(
            objects = index.inventory().len(),
            "the live index has listed every kind"
        );
        ready.store(true, Ordering::Relaxed);
    });
}

/// Forget the backoff and wait of every object deleted from the index.
fn spawn_forgetting(ctx: Arc<Context>) {
    let mut changes = ctx.index.subscribe();
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

/// The process's servers, stopped gracefully on the way out.
struct Servers {
    /// `/readyz`: false from the start of the shutdown, so no new request is routed here.
    ready: Arc<AtomicBool>,
    webhook: Option<crate::connections::Server>,
    probes: crate::connections::Server,
    /// How long the webhook goes on accepting once not ready, before it drains.
    delay: Duration,
}

impl Servers {
    /// Remove the webhook registered by URL (if any), then `shutdown`.
    async fn stop(self, client: &Client, registered: Option<&str>) {
        deregister(client, registered).await;
        self.shutdown().await;
    }

    /// Not ready any more; the webhook goes on accepting for `delay` — the endpoints that route
    /// the API server's requests here (a Service's, a balancer's) take a moment to see the
    /// readiness change, and the API server does not retry a request refused at the door —
    /// then stops accepting and answers what it has in flight; then the probe server does the
    /// same.
    async fn shutdown(self) {
        self.ready.store(false, Ordering::Relaxed);
        if let Some(w) = self.webhook {
            if !self.delay.is_zero() {
                tracing::info!(
                    delay_s = self.delay.as_secs_f64(),
                    "not ready; accepting until the endpoints have taken this replica out"
                );
                tokio::time::sleep(self.delay).await;
            }
            w.shutdown().await;
            tracing::info!("the webhook answered its requests in flight and stopped");
        }
        self.probes.shutdown().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_os = "linux")]
    #[test]
    fn huge_pages_are_turned_off_and_on_for_the_process() {
        huge_pages(false).unwrap();
        assert!(rustix::thread::transparent_huge_pages_are_disabled().unwrap());
        huge_pages(true).unwrap();
        assert!(!rustix::thread::transparent_huge_pages_are_disabled().unwrap());
    }

    #[test]
    fn requests_name_govkh_its_version_and_the_replica() {
        let agent = |identity: &str| {
            with_user_agent(
                kube::Config::new("https://127.0.0.1:1".parse().unwrap()),
                identity,
            )
            .headers
            .iter()
            .find(|(name, _)| *name == http::header::USER_AGENT)
            .map(|(_, value)| value.to_str().unwrap().to_string())
        };
        let version = env!("CARGO_PKG_VERSION");
        assert_eq!(
            agent("govkh-7d9f-x2"),
            Some(format!("govkh/{version} (govkh-7d9f-x2)"))
        );
        // Not a header value: the replica is left out, the request still names govkh.
        assert_eq!(agent("bad\nname"), Some(format!("govkh/{version}")));
    }
    use futures::StreamExt;
    use govkh_core::api::{
        CloudTenancy, GOVERNMENT_CLOUD_NAME, GovernmentCloud, PrivateNetworkLink,
    };

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
}
