//! The fence (docs/authorization.md): who is who at admission (the platform, the committee,
//! govkh itself, read from the installation's `Authority`), which namespaces a tenancy may
//! create, keep or take, and which namespaces a link or grant may open a path into. Pure: the
//! inventory says whose namespaces are whose (`Inventory::index_namespaces`), this module
//! decides from it, and returns decisions as values; the reconcilers act on them, the Rego
//! policies of the fence (`ministry-authority`, `namespace-claims`, `path-ownership`, ...) read
//! the same inventory and the same `Authority` (as `input.config`), so admission, the audit,
//! `govkh check` and the reconcilers agree.

use std::net::IpAddr;

use serde_json::{Value as Json, json};

use crate::{
    api::{
        ANNOTATION_ACCEPTED_GENERATION, DataAccessGrant, DataLevel, PrivateNetworkLink, Sharing,
    },
    inventory::{Inventory, always_reserved},
};

/// Who the installation's special users are, and which namespaces are never a ministry's.
/// `govkh run`, `govkh check` and `govkh vap` take it from their flags (the chart's values).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authority {
    /// The platform's groups: they write the GovernmentCloud, DataClasses and Ministries, hand
    /// existing namespaces over to a tenancy (`adopt`), and may write tenancies and links for
    /// any ministry.
    pub platform_groups: Vec<String>,
    /// The Digital Government Committee's groups: they decide Approvals (Art. 9, 10) and may
    /// authorise DataAccessGrants (Art. 26).
    pub committee_groups: Vec<String>,
    /// govkh's own users (its service account): only they write the labels and annotations
    /// govkh derives on namespaces.
    pub operator_users: Vec<String>,
    /// govkh's own namespace: never a ministry's.
    pub namespace: String,
    /// More namespaces no ministry may hold (the installation's exempt ones).
    pub exempt: Vec<String>,
}

/// The platform's groups when none are given. `system:masters` bypasses RBAC and can remove
/// any admission configuration: refusing it would add friction, not safety.
pub const DEFAULT_PLATFORM_GROUPS: &[&str] = &["govkh-platform", "system:masters"];
/// The committee's groups when none are given.
pub const DEFAULT_COMMITTEE_GROUPS: &[&str] = &["digital-government-committee"];
/// govkh's namespace when none is given (the chart's usual release namespace).
pub const DEFAULT_NAMESPACE: &str = "govkh-system";

impl Default for Authority {
    fn default() -> Self {
        Authority {
            platform_groups: DEFAULT_PLATFORM_GROUPS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            committee_groups: DEFAULT_COMMITTEE_GROUPS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            operator_users: vec![service_account_user(DEFAULT_NAMESPACE, "govkh")],
            namespace: DEFAULT_NAMESPACE.to_string(),
            exempt: Vec::new(),
        }
    }
}

/// The user name Kubernetes gives the service account `name` of `namespace`.
pub fn service_account_user(namespace: &str, name: &str) -> String {
    format!("system:serviceaccount:{namespace}:{name}")
}

impl Authority {
    /// Whether no tenancy may hold namespace `name` here: `kube-*`, `default`, govkh's own and
    /// the exempt ones.
    pub fn reserved(&self, name: &str) -> bool {
        always_reserved(name) || name == self.namespace || self.exempt.iter().any(|e| e == name)
    }

    /// The namespaces no tenancy may hold that are particular to this installation (`kube-*`
    /// and `default` are everywhere), sorted.
    pub fn reserved_names(&self) -> Vec<String> {
        let mut out = vec!["default".to_string(), self.namespace.clone()];
        out.extend(self.exempt.iter().cloned());
        out.sort();
        out.dedup();
        out
    }

    /// The authority as the policies read it (`input.config`).
    pub fn config(&self) -> Json {
        json!({
            "platformGroups": self.platform_groups,
            "committeeGroups": self.committee_groups,
            "operatorUsers": self.operator_users,
            "reservedNamespaces": self.reserved_names(),
        })
    }
}

/// What a tenancy may do with one namespace it declares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// It does not exist and no other tenancy declares it: create it (and record that govkh
    /// created it for this tenancy).
    Create,
    /// govkh recorded it as this tenancy's: keep it. `created`: govkh created it for this
    /// tenancy (so `deletionPolicy: Delete` may delete it).
    Keep {
        /// Whether govkh created it for this tenancy.
        created: bool,
    },
    /// It exists, was not made for this tenancy, and the platform handed it over (`adopt`).
    Adopt,
}

/// Why a tenancy may not take one namespace it declares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClaimRefusal {
    /// `kube-*`, `default`, govkh's own or an exempt namespace.
    Reserved,
    /// Other tenancies declare it too, and govkh has recorded none of them on it.
    Contested {
        /// The other tenancies.
        others: Vec<String>,
    },
    /// Another tenancy holds it.
    HeldBy {
        /// That tenancy.
        tenancy: String,
    },
    /// It exists and govkh did not make it for this tenancy: only the platform can hand it
    /// over (`adopt`).
    NotHandedOver,
}

impl ClaimRefusal {
    /// The condition reason.
    pub fn as_str(&self) -> &'static str {
        match self {
            ClaimRefusal::Reserved => "NamespaceReserved",
            ClaimRefusal::Contested { .. } | ClaimRefusal::HeldBy { .. } => "NamespaceConflict",
            ClaimRefusal::NotHandedOver => "NamespaceNotHandedOver",
        }
    }
}

/// What `tenancy` may do with namespace `name`, which it declares.
pub fn claim(
    inv: &Inventory,
    authority: &Authority,
    tenancy: &str,
    name: &str,
) -> Result<Claim, ClaimRefusal> {
    if authority.reserved(name) {
        return Err(ClaimRefusal::Reserved);
    }
    let info = inv.namespaces.get(name);
    let holder = info.and_then(|i| i.tenancy.as_deref());
    let exists = info.is_some_and(|i| i.exists);
    match holder {
        Some(h) if h == tenancy => Ok(if !exists {
            Claim::Create
        } else if info.and_then(|i| i.recorded.as_deref())
            == Some(crate::api::label_value(tenancy).as_str())
        {
            Claim::Keep {
                created: info.and_then(|i| i.created_by.as_deref()) == Some(tenancy),
            }
        } else {
            Claim::Adopt
        }),
        Some(h) => Err(ClaimRefusal::HeldBy {
            tenancy: h.to_string(),
        }),
        None => {
            let others = rivals(inv, tenancy, name);
            if !others.is_empty() {
                Err(ClaimRefusal::Contested { others })
            } else {
                Err(ClaimRefusal::NotHandedOver)
            }
        }
    }
}

/// The other tenancies that declare namespace `name` beside `tenancy`.
pub fn rivals(inv: &Inventory, tenancy: &str, name: &str) -> Vec<String> {
    inv.namespaces
        .get(name)
        .map(|i| {
            i.claimants
                .iter()
                .filter(|c| c.as_str() != tenancy)
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// The namespaces one side of a link or grant covers today.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Side {
    /// Namespaces of the ministry that exist: the path is opened in them.
    pub open: Vec<String>,
    /// Namespaces it names that do not exist yet (nobody else holds them): the path waits.
    pub missing: Vec<String>,
}

/// Why a link or grant may not open its path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathRefusal {
    /// A namespace it names is not the ministry's it is named for.
    NotOwned {
        /// The namespace.
        namespace: String,
        /// The ministry the link or grant names for it.
        ministry: String,
        /// The ministry it belongs to, if any.
        owner: Option<String>,
    },
    /// It would open a path into top-secret data of another ministry (Art. 26).
    TopSecret {
        /// The namespace, or the grant's data class.
        what: String,
    },
    /// A link's destination CIDR lies outside the government private network (Art. 9).
    OutsidePrivateNetwork {
        /// The CIDR.
        cidr: String,
    },
}

impl PathRefusal {
    /// The condition reason.
    pub fn as_str(&self) -> &'static str {
        match self {
            PathRefusal::NotOwned { .. } => "NamespaceNotOwned",
            PathRefusal::TopSecret { .. } => "TopSecretData",
            PathRefusal::OutsidePrivateNetwork { .. } => "OutsidePrivateNetwork",
        }
    }
}

/// Whether data of class `name` is never shared: its DataClass says `sharing: Prohibited` (as
/// every top-secret class must, Art. 26), or, when no such DataClass exists, it bears the
/// statutory name `top-secret` (fail closed: an unknown class so named is taken at its word).
/// The `no-dissemination` policy reads the same field.
pub fn never_shared(inv: &Inventory, name: &str) -> bool {
    match inv.data_classes.get(name) {
        Some(e) => {
            e.object.spec.sharing == Sharing::Prohibited
                || e.object.spec.level == DataLevel::TopSecret
        }
        None => name == "top-secret",
    }
}

/// The namespaces of `ministry` a path covers: those `listed`, else all the ministry's. A
/// listed namespace that belongs to another ministry (or exists and belongs to none) refuses
/// the path; one that does not exist and that no tenancy of another ministry declares waits for
/// it. With `receiving` (the side another ministry's traffic enters), a namespace whose data is
/// never shared (top-secret) refuses the path, listed or reached as one of the ministry's.
pub fn side(
    inv: &Inventory,
    ministry: &str,
    listed: &[String],
    receiving: bool,
) -> Result<Side, PathRefusal> {
    let mut out = Side::default();
    let top_secret = |ns: &str| {
        inv.namespaces
            .get(ns)
            .and_then(|i| i.data_class.as_deref())
            .is_some_and(|c| never_shared(inv, c))
    };
    if listed.is_empty() {
        for (n, i) in &inv.namespaces {
            if !i.exists || i.ministry.as_deref() != Some(ministry) {
                continue;
            }
            // As the `no-dissemination` policy judges it: a path into all of a ministry's
            // namespaces reaches its top-secret ones too.
            if receiving && top_secret(n) {
                return Err(PathRefusal::TopSecret { what: n.clone() });
            }
            out.open.push(n.clone());
        }
        return Ok(out);
    }
    for ns in listed {
        let info = inv.namespaces.get(ns);
        let owner = info.and_then(|i| i.ministry.clone());
        let exists = info.is_some_and(|i| i.exists);
        let declared_elsewhere = info.is_some_and(|i| !i.claimants.is_empty());
        match owner.as_deref() {
            Some(m) if m == ministry => {
                if receiving && top_secret(ns) {
                    return Err(PathRefusal::TopSecret { what: ns.clone() });
                }
                if exists {
                    out.open.push(ns.clone());
                } else {
                    out.missing.push(ns.clone());
                }
            }
            // Nobody's yet, and not made: the path waits for it to be the ministry's.
            None if !exists && !declared_elsewhere && !always_reserved(ns) => {
                out.missing.push(ns.clone())
            }
            _ => {
                return Err(PathRefusal::NotOwned {
                    namespace: ns.clone(),
                    ministry: ministry.to_string(),
                    owner,
                });
            }
        }
    }
    out.open.sort();
    out.open.dedup();
    out.missing.sort();
    out.missing.dedup();
    Ok(out)
}

/// Whether `cidr` lies inside one of `private` (the government private network's CIDRs). A
/// CIDR that cannot be read lies nowhere.
pub fn cidr_inside(cidr: &str, private: &[String]) -> bool {
    let Ok(net) = cidr.parse::<ipnet::IpNet>() else {
        return false;
    };
    private.iter().any(|p| {
        p.parse::<ipnet::IpNet>().is_ok_and(|p| {
            p.contains(&net)
                && matches!(
                    (p.addr(), net.addr()),
                    (IpAddr::V4(_), IpAddr::V4(_)) | (IpAddr::V6(_), IpAddr::V6(_))
                )
        })
    })
}

/// The two sides of a link: the source's namespaces, and the destination's (namespaces, or
/// nothing for CIDRs, which must lie inside the government private network).
pub fn link_sides(inv: &Inventory, link: &PrivateNetworkLink) -> Result<(Side, Side), PathRefusal> {
    let spec = &link.spec;
    let from = side(inv, &spec.from.ministry, &spec.from.namespaces, false)?;
    let to = match &spec.to.ministry {
        // Within one ministry too: top-secret data leaves its namespace by no path (Art. 26).
        Some(m) => side(inv, m, &spec.to.namespaces, true)?,
        None => {
            let private: Vec<String> = inv
                .government_cloud
                .as_ref()
                .map(|c| c.object.spec.private_network.cidrs.clone())
                .unwrap_or_default();
            if let Some(cidr) = spec.to.cidrs.iter().find(|c| !cidr_inside(c, &private)) {
                return Err(PathRefusal::OutsidePrivateNetwork { cidr: cidr.clone() });
            }
            Side::default()
        }
    };
    Ok((from, to))
}

/// The two sides of a grant: the grantee ministry's namespaces (all of them) and the owner's
/// listed ones, into which no top-secret path is ever opened (Art. 26).
pub fn grant_sides(inv: &Inventory, grant: &DataAccessGrant) -> Result<(Side, Side), PathRefusal> {
    let spec = &grant.spec;
    if never_shared(inv, &spec.data_class) {
        return Err(PathRefusal::TopSecret {
            what: format!("data class {}", spec.data_class),
        });
    }
    let owner = side(inv, &spec.owner, &spec.namespaces, true)?;
    let grantee = match &spec.grantee.ministry {
        Some(m) => side(inv, m, &[], false)?,
        None => Side::default(),
    };
    Ok((grantee, owner))
}

/// Whether the receiving ministry has agreed to `link` as it stands: its DTU annotated the
/// link with this generation (`digital.gov.kh/accepted-generation`). A link to CIDRs, or within
/// one ministry, needs no agreement. A manifest without a generation is its first (1).
pub fn accepted(link: &PrivateNetworkLink) -> bool {
    let Some(to) = &link.spec.to.ministry else {
        return true;
    };
    if to == &link.spec.from.ministry {
        return true;
    }
    let generation = link.metadata.generation.unwrap_or(1);
    link.metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(ANNOTATION_ACCEPTED_GENERATION))
        .and_then(|v| v.trim().parse::<i64>().ok())
        == Some(generation)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::tests::inventory;

    const CLUSTER: &str = "\
apiVersion: digital.gov.kh/v1alpha1
kind: GovernmentCloud
metadata: {name: national}
spec: {establishedOn: '2026-03-01', operator: mptc, privateNetwork: {cidrs: ['10.80.0.0/12']}}
---
apiVersion: digital.gov.kh/v1alpha1
kind: DataClass
metadata: {name: secret}
spec: {level: top-secret, allowedPlacements: [government-private], reproduction: Prohibited, sharing: Prohibited}
---
apiVersion: digital.gov.kh/v1alpha1
kind: CloudTenancy
metadata: {name: mef-core}
spec: {ministry: mef, placement: government-private, namespaces: [{name: mef-tax}, {name: mef-vault, dataClass: secret}, {name: mef-later}]}
---
apiVersion: digital.gov.kh/v1alpha1
kind: CloudTenancy
metadata: {name: moeys-core}
spec: {ministry: moeys, placement: government-private, namespaces: [{name: moeys-app}, {name: mef-tax}, {name: victim}, {name: kube-system}, {name: handed, adopt: true}]}
---
apiVersion: v1
kind: Namespace
metadata: {name: mef-tax, labels: {digital.gov.kh/tenancy: mef-core}, annotations: {digital.gov.kh/created-by: mef-core}}
---
apiVersion: v1
kind: Namespace
metadata: {name: mef-vault, labels: {digital.gov.kh/tenancy: mef-core}}
---
apiVersion: v1
kind: Namespace
metadata: {name: moeys-app, labels: {digital.gov.kh/tenancy: moeys-core}, annotations: {digital.gov.kh/created-by: moeys-core}}
---
apiVersion: v1
kind: Namespace
metadata: {name: victim}
---
apiVersion: v1
kind: Namespace
metadata: {name: handed}
";

    #[test]
    fn a_tenancy_creates_keeps_or_adopts_and_never_takes_anothers_namespace() {
        let inv = inventory(CLUSTER);
        let a = Authority::default();
        assert_eq!(
            claim(&inv, &a, "mef-core", "mef-tax"),
            Ok(Claim::Keep { created: true })
        );
        assert_eq!(
            claim(&inv, &a, "mef-core", "mef-vault"),
            Ok(Claim::Keep { created: false })
        );
        assert_eq!(claim(&inv, &a, "mef-core", "mef-later"), Ok(Claim::Create));
        assert_eq!(
            claim(&inv, &a, "moeys-core", "mef-tax"),
            Err(ClaimRefusal::HeldBy {
                tenancy: "mef-core".into()
            })
        );
        assert_eq!(
            claim(&inv, &a, "moeys-core", "victim"),
            Err(ClaimRefusal::NotHandedOver)
        );
        assert_eq!(
            claim(&inv, &a, "moeys-core", "kube-system"),
            Err(ClaimRefusal::Reserved)
        );
        assert_eq!(claim(&inv, &a, "moeys-core", "handed"), Ok(Claim::Adopt));
        assert_eq!(rivals(&inv, "mef-core", "mef-tax"), ["moeys-core"]);
        let own = Authority {
            exempt: vec!["moeys-app".into()],
            ..Authority::default()
        };
        assert_eq!(
            claim(&inv, &own, "moeys-core", "moeys-app"),
            Err(ClaimRefusal::Reserved),
            "an exempt namespace is no ministry's"
        );
        assert_eq!(
            claim(&inv, &a, "moeys-core", DEFAULT_NAMESPACE),
            Err(ClaimRefusal::Reserved)
        );
    }

    #[test]
    fn a_path_opens_only_into_the_named_ministrys_namespaces_and_never_into_top_secret_data() {
        let inv = inventory(CLUSTER);
        assert_eq!(
            side(&inv, "mef", &[], true),
            Err(PathRefusal::TopSecret {
                what: "mef-vault".into()
            }),
            "all of MEF's namespaces include its top-secret vault"
        );
        let own = side(&inv, "mef", &[], false).unwrap();
        assert_eq!(own.open, ["mef-tax", "mef-vault"]);
        let listed = side(&inv, "mef", &["mef-tax".into(), "mef-later".into()], true).unwrap();
        assert_eq!(
            (listed.open, listed.missing),
            (vec!["mef-tax".to_string()], vec!["mef-later".to_string()])
        );
        assert_eq!(
            side(&inv, "mef", &["mef-vault".into()], true),
            Err(PathRefusal::TopSecret {
                what: "mef-vault".into()
            })
        );
        for (ns, owner) in [
            ("moeys-app", Some("moeys")),
            ("victim", None),
            ("kube-system", None),
        ] {
            assert_eq!(
                side(&inv, "mef", &[ns.into()], false),
                Err(PathRefusal::NotOwned {
                    namespace: ns.into(),
                    ministry: "mef".into(),
                    owner: owner.map(str::to_string)
                }),
                "{ns}"
            );
        }
        let later = side(&inv, "gdt", &["gdt-not-yet".into()], true).unwrap();
        assert_eq!(later.missing, ["gdt-not-yet"], "nobody's yet: wait");
    }

    #[test]
    fn cidrs_must_lie_inside_the_private_network() {
        let private = vec!["10.80.0.0/12".to_string(), "fd00:80::/32".to_string()];
        assert!(cidr_inside("10.80.4.0/24", &private));
        assert!(cidr_inside("10.95.255.255/32", &private));
        assert!(!cidr_inside("10.96.0.0/24", &private));
        assert!(
            !cidr_inside("10.0.0.0/8", &private),
            "wider than the network"
        );
        assert!(!cidr_inside("0.0.0.0/0", &private));
        assert!(cidr_inside("fd00:80:1::/48", &private));
        assert!(!cidr_inside("not-a-cidr", &private));
        assert!(!cidr_inside("10.80.4.0/24", &[]));
    }

    #[test]
    fn a_link_is_accepted_only_for_the_generation_the_receiving_side_agreed_to() {
        let link = |annotations: Json, generation: Option<i64>, to: Json| -> PrivateNetworkLink {
            serde_json::from_value(json!({"apiVersion": "digital.gov.kh/v1alpha1", "kind": "PrivateNetworkLink",
                "metadata": {"name": "l", "annotations": annotations, "generation": generation},
                "spec": {"from": {"ministry": "mef"}, "to": to, "ports": [{"protocol": "TCP", "port": 443}], "network": "government-private"}}))
            .unwrap()
        };
        let gdt = json!({"ministry": "gdt"});
        assert!(!accepted(&link(json!({}), Some(1), gdt.clone())));
        let yes = json!({ANNOTATION_ACCEPTED_GENERATION: "3"});
        assert!(accepted(&link(yes.clone(), Some(3), gdt.clone())));
        assert!(!accepted(&link(yes, Some(4), gdt.clone())), "changed since");
        assert!(accepted(&link(
            json!({ANNOTATION_ACCEPTED_GENERATION: "1"}),
            None,
            gdt
        )));
        assert!(accepted(&link(
            json!({}),
            Some(1),
            json!({"ministry": "mef"})
        )));
        assert!(accepted(&link(
            json!({}),
            Some(1),
            json!({"cidrs": ["10.80.4.0/24"]})
        )));
    }

    #[test]
    fn no_link_reaches_top_secret_data_not_even_from_its_own_ministry() {
        let inv = inventory(CLUSTER);
        let link = |to: Json| -> PrivateNetworkLink {
            serde_json::from_value(json!({"apiVersion": "digital.gov.kh/v1alpha1", "kind": "PrivateNetworkLink",
                "metadata": {"name": "l"},
                "spec": {"from": {"ministry": "mef", "namespaces": ["mef-tax"]}, "to": to, "ports": [{"protocol": "TCP", "port": 443}], "network": "government-private"}}))
            .unwrap()
        };
        let refused = Err(PathRefusal::TopSecret {
            what: "mef-vault".into(),
        });
        assert_eq!(
            link_sides(
                &inv,
                &link(json!({"ministry": "mef", "namespaces": ["mef-vault"]}))
            ),
            refused
        );
        assert_eq!(
            link_sides(&inv, &link(json!({"ministry": "mef"}))),
            refused,
            "all of MEF's namespaces include its vault"
        );
        let (_, to) = link_sides(
            &inv,
            &link(json!({"ministry": "mef", "namespaces": ["mef-tax"]})),
        )
        .unwrap();
        assert_eq!(to.open, ["mef-tax"]);
    }
}
