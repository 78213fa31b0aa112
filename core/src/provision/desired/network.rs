//! The network paths links and grants open: NetworkPolicies in both ministries' namespaces on
//! exactly the declared ports, owned by the link or grant so they go with it.

use k8s_openapi::{
    api::networking::v1::{
        IPBlock, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule,
        NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec,
    },
    apimachinery::pkg::apis::meta::v1::{LabelSelector, OwnerReference},
};
use kube::Resource;

use super::*;

/// Name of the NetworkPolicy carrying link `link` in each namespace it touches.
pub fn link_policy_name(link: &str) -> String {
    // NetworkPolicy names are DNS subdomains of at most 253 characters; so are link names, so
    // a long one is shortened (stably, with a hash: two long names never collide).
    bounded(&format!("govkh-link-{link}"), 253)
}

/// A peer: the addresses of `cidr`.
pub(crate) fn cidr_peer(cidr: &str) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        ip_block: Some(IPBlock {
            cidr: cidr.to_string(),
            except: None,
        }),
        ..Default::default()
    }
}

pub(crate) fn names_selector(namespaces: &[String]) -> LabelSelector {
    LabelSelector {
        match_expressions: Some(vec![
            k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement {
                key: "kubernetes.io/metadata.name".into(),
                operator: "In".into(),
                values: Some(namespaces.to_vec()),
            },
        ]),
        ..Default::default()
    }
}

/// The NetworkPolicies that carry a permitted link (Art. 9, 28): in every source namespace,
/// egress to exactly the target namespaces (or CIDRs) on exactly the declared ports; in every
/// target namespace, ingress from exactly the source namespaces on those ports. Owned by the
/// link, so they go with it.
pub fn link_policies(
    link: &crate::api::PrivateNetworkLink,
    from_namespaces: &[String],
    to_namespaces: &[String],
) -> Vec<NetworkPolicy> {
    let link_name = link.metadata.name.clone().unwrap_or_default();
    allowance_policies(&Allowance {
        name: &link_policy_name(&link_name),
        owner: &link.controller_owner_ref(&()),
        owner_kind: "PrivateNetworkLink",
        label: (LABEL_LINK, &link_name),
        ports: &link.spec.ports,
        from_namespaces,
        to_namespaces,
        to_cidrs: &link.spec.to.cidrs,
    })
}

/// Name of the NetworkPolicy carrying grant `grant` in each namespace it touches.
pub fn grant_policy_name(grant: &str) -> String {
    bounded(&format!("govkh-grant-{grant}"), 253)
}

/// The NetworkPolicies that open an active DataAccessGrant's network path (Art. 26, 29): egress
/// from every grantee namespace to exactly the owner's namespaces the fence opens
/// (`owner_namespaces`, of those the grant lists), ingress into those from exactly the
/// grantee's namespaces, on exactly the granted ports. Empty when the grant opens no path (no
/// `access`, or a person rather than a ministry is the grantee). Owned by the grant, so they go
/// with it.
pub fn grant_policies(
    grant: &crate::api::DataAccessGrant,
    grantee_namespaces: &[String],
    owner_namespaces: &[String],
) -> Vec<NetworkPolicy> {
    let Some(access) = &grant.spec.access else {
        return Vec::new();
    };
    if grant.spec.grantee.ministry.is_none()
        || grantee_namespaces.is_empty()
        || owner_namespaces.is_empty()
    {
        return Vec::new();
    }
    let grant_name = grant.metadata.name.clone().unwrap_or_default();
    allowance_policies(&Allowance {
        name: &grant_policy_name(&grant_name),
        owner: &grant.controller_owner_ref(&()),
        owner_kind: "DataAccessGrant",
        label: (LABEL_GRANT, &grant_name),
        ports: &access.ports,
        from_namespaces: grantee_namespaces,
        to_namespaces: owner_namespaces,
        to_cidrs: &[],
    })
}

/// A network path to open: from namespaces to namespaces (or CIDRs) on ports.
pub(crate) struct Allowance<'a> {
    name: &'a str,
    owner: &'a Option<OwnerReference>,
    owner_kind: &'a str,
    label: (&'a str, &'a str),
    ports: &'a [crate::api::Port],
    from_namespaces: &'a [String],
    to_namespaces: &'a [String],
    to_cidrs: &'a [String],
}

pub(crate) fn allowance_policies(a: &Allowance<'_>) -> Vec<NetworkPolicy> {
    let ports: Vec<NetworkPolicyPort> = a
        .ports
        .iter()
        .map(|p| {
            port(
                match p.protocol {
                    crate::api::Protocol::Tcp => "TCP",
                    crate::api::Protocol::Udp => "UDP",
                    crate::api::Protocol::Sctp => "SCTP",
                },
                p.port,
            )
        })
        .collect();
    let to_peers: Vec<NetworkPolicyPeer> = if a.to_cidrs.is_empty() {
        vec![NetworkPolicyPeer {
            namespace_selector: Some(names_selector(a.to_namespaces)),
            ..Default::default()
        }]
    } else {
        a.to_cidrs.iter().map(|c| cidr_peer(c)).collect()
    };
    let owned = owner_labels(a.owner_kind, a.label.1);
    let label = [
        (a.label.0, label_value(a.label.1)),
        (owned[0].0, owned[0].1.clone()),
        (owned[1].0, owned[1].1.clone()),
    ];
    let label: Vec<(&str, &str)> = label.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut out: Vec<NetworkPolicy> = a
        .from_namespaces
        .iter()
        .map(|ns| NetworkPolicy {
            metadata: meta(a.name, Some(ns), a.owner, &label),
            spec: Some(NetworkPolicySpec {
                pod_selector: Some(LabelSelector::default()),
                policy_types: Some(vec!["Egress".into()]),
                egress: Some(vec![NetworkPolicyEgressRule {
                    to: Some(to_peers.clone()),
                    ports: Some(ports.clone()),
                }]),
                ..Default::default()
            }),
        })
        .collect();
    if a.to_cidrs.is_empty() {
        out.extend(a.to_namespaces.iter().map(|ns| NetworkPolicy {
            metadata: meta(a.name, Some(ns), a.owner, &label),
            spec: Some(NetworkPolicySpec {
                pod_selector: Some(LabelSelector::default()),
                policy_types: Some(vec!["Ingress".into()]),
                ingress: Some(vec![NetworkPolicyIngressRule {
                    from: Some(vec![NetworkPolicyPeer {
                        namespace_selector: Some(names_selector(a.from_namespaces)),
                        ..Default::default()
                    }]),
                    ports: Some(ports.clone()),
                }]),
                ..Default::default()
            }),
        }));
    }
    out
}

/// Label naming the grant a NetworkPolicy carries.
pub const LABEL_GRANT: &str = "digital.gov.kh/grant";

/// Label naming the link a NetworkPolicy carries.
pub const LABEL_LINK: &str = "digital.gov.kh/link";

#[cfg(test)]
mod link_tests {
    use super::*;

    fn link(to: serde_json::Value) -> crate::api::PrivateNetworkLink {
        serde_json::from_value(serde_json::json!({"apiVersion": "digital.gov.kh/v1alpha1", "kind": "PrivateNetworkLink",
            "metadata": {"name": "mef-to-gdt", "uid": "11110000-0000-4000-8000-000000000001"},
            "spec": {"from": {"ministry": "mef", "namespaces": ["mef-tax"]}, "to": to, "ports": [{"protocol": "TCP", "port": 443}], "network": "government-private"}}))
        .unwrap()
    }

    #[test]
    fn a_link_between_ministries_opens_exactly_the_declared_ports_both_ways() {
        let l = link(serde_json::json!({"ministry": "gdt", "namespaces": ["gdt-api"]}));
        let p = link_policies(&l, &["mef-tax".into()], &["gdt-api".into()]);
        assert_eq!(p.len(), 2);
        let egress = p[0].spec.as_ref().unwrap().egress.as_ref().unwrap();
        assert_eq!(p[0].metadata.namespace.as_deref(), Some("mef-tax"));
        let sel = egress[0].to.as_ref().unwrap()[0]
            .namespace_selector
            .as_ref()
            .unwrap();
        assert_eq!(
            sel.match_expressions.as_ref().unwrap()[0].values,
            Some(vec!["gdt-api".to_string()])
        );
        assert_eq!(
            egress[0].ports.as_ref().unwrap()[0].port,
            Some(IntOrString::Int(443))
        );
        let ingress = p[1].spec.as_ref().unwrap().ingress.as_ref().unwrap();
        assert_eq!(p[1].metadata.namespace.as_deref(), Some("gdt-api"));
        assert_eq!(
            ingress[0].from.as_ref().unwrap()[0]
                .namespace_selector
                .as_ref()
                .unwrap()
                .match_expressions
                .as_ref()
                .unwrap()[0]
                .values,
            Some(vec!["mef-tax".to_string()])
        );
        assert_eq!(p[0].metadata.name.as_deref(), Some("govkh-link-mef-to-gdt"));
        assert_eq!(
            p[0].metadata.labels.as_ref().unwrap()[LABEL_LINK],
            "mef-to-gdt"
        );
        for policy in &p {
            let labels = policy.metadata.labels.as_ref().unwrap();
            assert_eq!(labels[LABEL_OWNER_KIND], "PrivateNetworkLink");
            assert_eq!(labels[LABEL_OWNER_NAME], "mef-to-gdt");
        }
        assert_eq!(
            p[0].metadata.owner_references.as_ref().unwrap()[0].kind,
            "PrivateNetworkLink"
        );
    }

    #[test]
    fn a_link_to_a_shared_service_opens_egress_to_its_cidrs_only() {
        let l = link(serde_json::json!({"cidrs": ["10.80.4.0/24"]}));
        let p = link_policies(&l, &["mef-tax".into(), "mef-portal".into()], &[]);
        assert_eq!(
            p.len(),
            2,
            "egress in each source namespace, no ingress side"
        );
        let to = &p[1].spec.as_ref().unwrap().egress.as_ref().unwrap()[0]
            .to
            .as_ref()
            .unwrap()[0];
        assert_eq!(to.ip_block.as_ref().unwrap().cidr, "10.80.4.0/24");
    }

    fn grant(grantee: serde_json::Value, access: bool) -> crate::api::DataAccessGrant {
        let mut g = serde_json::json!({"apiVersion": "digital.gov.kh/v1alpha1", "kind": "DataAccessGrant",
            "metadata": {"name": "gdt-to-mef", "uid": "33330000-0000-4000-8000-000000000003"},
            "spec": {"owner": "gdt", "grantee": grantee, "dataClass": "confidential", "namespaces": ["gdt-declarations"],
                     "dataTypes": ["declarations"], "reason": "audit", "authorizedBy": "committee", "document": "DGC/1",
                     "validFrom": "2026-06-01", "validUntil": "2026-12-31"}});
        if access {
            g["spec"]["access"] = serde_json::json!({"ports": [{"protocol": "TCP", "port": 5432}, {"protocol": "UDP", "port": 53}]});
        }
        serde_json::from_value(g).unwrap()
    }

    #[test]
    fn a_grant_opens_egress_from_the_grantee_and_ingress_at_the_owner_on_its_ports() {
        let g = grant(serde_json::json!({"ministry": "mef"}), true);
        let p = grant_policies(&g, &["mef-tax".into()], &["gdt-declarations".into()]);
        let where_: Vec<(&str, &str)> = p
            .iter()
            .map(|n| {
                (
                    n.metadata.namespace.as_deref().unwrap(),
                    n.spec.as_ref().unwrap().policy_types.as_ref().unwrap()[0].as_str(),
                )
            })
            .collect();
        assert_eq!(
            where_,
            [("mef-tax", "Egress"), ("gdt-declarations", "Ingress")]
        );
        let ports = p[1].spec.as_ref().unwrap().ingress.as_ref().unwrap()[0]
            .ports
            .as_ref()
            .unwrap();
        assert_eq!(ports.len(), 2);
        assert_eq!(ports[1].protocol.as_deref(), Some("UDP"));
        assert_eq!(
            p[0].metadata.name.as_deref(),
            Some("govkh-grant-gdt-to-mef")
        );
        assert_eq!(
            p[0].metadata.labels.as_ref().unwrap()[LABEL_GRANT],
            "gdt-to-mef"
        );
    }

    #[test]
    fn a_grant_without_access_or_to_a_person_opens_nothing() {
        let ns = ["mef-tax".to_string()];
        let owner = ["gdt-declarations".to_string()];
        let mef = grant(serde_json::json!({"ministry": "mef"}), true);
        assert!(
            grant_policies(
                &grant(serde_json::json!({"ministry": "mef"}), false),
                &ns,
                &owner
            )
            .is_empty()
        );
        assert!(
            grant_policies(
                &grant(serde_json::json!({"person": "Sok Dara"}), true),
                &ns,
                &owner
            )
            .is_empty()
        );
        assert!(grant_policies(&mef, &[], &owner).is_empty());
        assert!(
            grant_policies(&mef, &ns, &[]).is_empty(),
            "nothing the fence lets it open at the owner's"
        );
    }

    #[test]
    fn long_names_are_shortened_stably_and_never_collide() {
        let a = format!("{}-a", "x".repeat(250));
        let b = format!("{}-b", "x".repeat(250));
        let (pa, pb) = (link_policy_name(&a), link_policy_name(&b));
        assert!(
            pa.len() <= 253 && pb.len() <= 253,
            "{} {}",
            pa.len(),
            pb.len()
        );
        assert_ne!(pa, pb);
        assert_eq!(pa, link_policy_name(&a), "stable");
        assert_eq!(link_policy_name("mef-to-gdt"), "govkh-link-mef-to-gdt");
        assert!(grant_policy_name(&a).len() <= 253);
        let m = field_manager("CloudTenancy", &a);
        assert!(
            m.len() <= 128 && m.starts_with("govkh/cloudtenancy/xxx"),
            "{m}"
        );
        assert_ne!(m, field_manager("CloudTenancy", &b));
        assert_eq!(
            field_manager("CloudTenancy", "mef-core"),
            "govkh/cloudtenancy/mef-core"
        );
    }
}
