//! `govkh run`: the operator process. It connects (in-cluster, `KUBECONFIG` or `--kubeconfig`),
//! waits until our CRDs are established, serves `/healthz`, `/readyz` and `/metrics`, runs the
//! controllers and stops cleanly on SIGTERM or SIGINT. The wall clock is read here, at the edge,
//! and handed to the reconcilers.

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
    api::{core::v1::Namespace, networking::v1::NetworkPolicy},
    apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
    jiff::Timestamp,
};
use kube::{
    Api, Client, ResourceExt,
    runtime::{Controller, reflector::ObjectRef, reflector::Store, watcher},
};

use crate::{
    api::{Approval, CloudTenancy, GovernmentCloud, Ministry, PrivateNetworkLink, SubjectKind},
    controller::{self, Context, link, tenancy},
    crdgen,
    desired::{FIELD_MANAGER, LABEL_LINK, LABEL_MANAGED_BY},
    serve::{Probes, serve},
};

/// Options of `govkh run`.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Where the probes and metrics listen.
    pub probe_addr: SocketAddr,
    /// How long to wait for the CRDs to be established.
    pub crd_timeout: Duration,
    /// Kubeconfig file, if not in-cluster or `KUBECONFIG`.
    pub kubeconfig: Option<std::path::PathBuf>,
}

/// Whether every CRD of ours is established.
pub fn all_established(crds: &[CustomResourceDefinition]) -> Result<(), String> {
    for (_, ours) in crdgen::all() {
        let name = ours.metadata.name.clone().unwrap_or_default();
        let established = crds
            .iter()
            .find(|c| c.metadata.name.as_deref() == Some(name.as_str()))
            .is_some_and(|c| {
                c.status
                    .as_ref()
                    .and_then(|s| s.conditions.as_ref())
                    .is_some_and(|cs| {
                        cs.iter()
                            .any(|x| x.type_ == "Established" && x.status == "True")
                    })
            });
        if !established {
            return Err(name);
        }
    }
    Ok(())
}

async fn wait_for_crds(client: &Client, timeout: Duration) -> Result<(), String> {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let missing = match api.list(&Default::default()).await {
            Ok(list) => match all_established(&list.items) {
                Ok(()) => return Ok(()),
                Err(name) => name,
            },
            Err(e) => format!("(cannot list CRDs: {e})"),
        };
        if tokio::time::Instant::now() >= deadline {
            return Err(format!(
                "CRD {missing} is not established after {}s: kubectl apply -f crds/",
                timeout.as_secs()
            ));
        }
        tracing::info!(crd = %missing, "waiting for the CRDs to be established");
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// The tenancies that depend on a Ministry.
pub fn tenancies_of_ministry(
    store: &Store<CloudTenancy>,
    ministry: &str,
) -> Vec<ObjectRef<CloudTenancy>> {
    store
        .state()
        .iter()
        .filter(|t| t.spec.ministry == ministry)
        .map(|t| ObjectRef::from_obj(&**t))
        .collect()
}

/// The tenancy an Approval is about, if it is about one.
pub fn tenancy_of_approval(approval: &Approval) -> Option<ObjectRef<CloudTenancy>> {
    (approval.spec.subject.kind == SubjectKind::CloudTenancy)
        .then(|| ObjectRef::new(&approval.spec.subject.name))
}

/// The link an Approval is about, if it is about one.
pub fn link_of_approval(approval: &Approval) -> Option<ObjectRef<PrivateNetworkLink>> {
    (approval.spec.subject.kind == SubjectKind::PrivateNetworkLink)
        .then(|| ObjectRef::new(&approval.spec.subject.name))
}

/// The links from or to a Ministry.
pub fn links_of_ministry(
    store: &Store<PrivateNetworkLink>,
    ministry: &str,
) -> Vec<ObjectRef<PrivateNetworkLink>> {
    store
        .state()
        .iter()
        .filter(|l| {
            l.spec.from.ministry == ministry || l.spec.to.ministry.as_deref() == Some(ministry)
        })
        .map(|l| ObjectRef::from_obj(&**l))
        .collect()
}

/// Log one reconcile's outcome (the controllers' stream items).
fn log_outcome<T: std::fmt::Display, E: std::fmt::Display>(
    result: Result<(T, kube::runtime::controller::Action), E>,
) -> std::future::Ready<()> {
    match result {
        Ok((object, action)) => tracing::debug!(object = %object, ?action, "reconciled"),
        Err(e) => tracing::warn!(error = %e, "reconcile error"),
    }
    std::future::ready(())
}

/// Run the operator until a termination signal.
pub async fn run(options: RunOptions) -> Result<(), String> {
    let config = match &options.kubeconfig {
        Some(path) => {
            let kc = kube::config::Kubeconfig::read_from(path)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            kube::Config::from_custom_kubeconfig(kc, &Default::default())
                .await
                .map_err(|e| e.to_string())?
        }
        None => kube::Config::infer()
            .await
            .map_err(|e| format!("no cluster configuration found: {e}"))?,
    };
    let client = Client::try_from(config).map_err(|e| e.to_string())?;
    let ready = Arc::new(AtomicBool::new(false));
    let ctx = Arc::new(Context::new(client.clone(), Arc::new(Timestamp::now)));
    let listener = tokio::net::TcpListener::bind(options.probe_addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", options.probe_addr))?;
    tokio::spawn(serve(
        listener,
        Probes {
            ready: ready.clone(),
            metrics: ctx.metrics.clone(),
        },
    ));
    tracing::info!(addr = %options.probe_addr, "serving /healthz, /readyz, /metrics");
    wait_for_crds(&client, options.crd_timeout).await?;

    let tenancies: Api<CloudTenancy> = Api::all(client.clone());
    let controller = Controller::new(tenancies, watcher::Config::default().any_semantic());
    let store = controller.store();
    let by_ministry = store.clone();
    let everyone = store.clone();
    let controller = controller
        .owns(
            Api::<Namespace>::all(client.clone()),
            watcher::Config::default().labels(&format!("{LABEL_MANAGED_BY}={FIELD_MANAGER}")),
        )
        .watches(
            Api::<Ministry>::all(client.clone()),
            watcher::Config::default(),
            move |m| tenancies_of_ministry(&by_ministry, &m.name_any()),
        )
        .watches(
            Api::<Approval>::all(client.clone()),
            watcher::Config::default(),
            |a| tenancy_of_approval(&a),
        )
        // The establishment date and windows move every tenancy's deadlines.
        .watches(
            Api::<GovernmentCloud>::all(client.clone()),
            watcher::Config::default(),
            move |_| {
                everyone
                    .state()
                    .iter()
                    .map(|t| ObjectRef::from_obj(&**t))
                    .collect::<Vec<_>>()
            },
        )
        .shutdown_on_signal();
    let links = Controller::new(
        Api::<PrivateNetworkLink>::all(client.clone()),
        watcher::Config::default().any_semantic(),
    );
    let link_store = links.store();
    let links = links
        .owns(
            Api::<NetworkPolicy>::all(client.clone()),
            watcher::Config::default().labels(LABEL_LINK),
        )
        .watches(
            Api::<Approval>::all(client.clone()),
            watcher::Config::default(),
            |a| link_of_approval(&a),
        )
        .watches(
            Api::<Ministry>::all(client.clone()),
            watcher::Config::default(),
            move |m| links_of_ministry(&link_store, &m.name_any()),
        )
        .shutdown_on_signal();
    ready.store(true, Ordering::Relaxed);
    tracing::info!("controllers started");
    let tenancies = controller
        .run(tenancy::reconcile, controller::error_policy, ctx.clone())
        .for_each(log_outcome);
    let links = links
        .run(link::reconcile, controller::error_policy, ctx)
        .for_each(log_outcome);
    futures::future::join(tenancies, links).await;
    tracing::info!("stopped");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crds_count_as_established_only_with_the_condition() {
        let mut crds: Vec<CustomResourceDefinition> =
            crdgen::all().into_iter().map(|(_, c)| c).collect();
        assert_eq!(
            all_established(&crds),
            Err("governmentclouds.digital.gov.kh".to_string())
        );
        for c in &mut crds {
            c.status = Some(serde_json::from_value(serde_json::json!({"conditions": [{"type": "Established", "status": "True", "lastTransitionTime": "2026-11-26T00:00:00Z"}]})).unwrap());
        }
        assert_eq!(all_established(&crds), Ok(()));
        crds.remove(3);
        assert_eq!(
            all_established(&crds),
            Err("privatenetworklinks.digital.gov.kh".to_string())
        );
    }

    #[test]
    fn approvals_map_to_their_tenancy_only() {
        let a: Approval = serde_json::from_value(serde_json::json!({"apiVersion": "digital.gov.kh/v1alpha1", "kind": "Approval", "metadata": {"name": "a"},
            "spec": {"subject": {"kind": "CloudTenancy", "name": "mef-workloads"}, "article": "10", "request": {"requestedOn": "2026-04-20", "requestedBy": "x", "document": "d"}}})).unwrap();
        assert_eq!(
            tenancy_of_approval(&a).map(|r| r.name),
            Some("mef-workloads".to_string())
        );
        let mut for_link = a.clone();
        for_link.spec.subject.kind = SubjectKind::PrivateNetworkLink;
        assert!(tenancy_of_approval(&for_link).is_none());
        assert_eq!(
            link_of_approval(&for_link).map(|r| r.name),
            Some("mef-workloads".to_string())
        );
        assert!(link_of_approval(&a).is_none());
    }
}
