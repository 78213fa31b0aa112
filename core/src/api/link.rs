//! `PrivateNetworkLink`: a permitted network path between two ministries, or from a ministry to
//! a shared service, over the government private network (Art. 9) for data sharing (Art. 28).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::Port;

/// A network path between ministries (Art. 9, 28).
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "digital.gov.kh",
    version = "v1alpha1",
    kind = "PrivateNetworkLink",
    plural = "privatenetworklinks",
    shortname = "pnl",
    category = "govkh",
    status = "PrivateNetworkLinkStatus",
    derive = "PartialEq",
    doc = "A permitted network path between two ministries or to a shared service (Art. 9, 28). Over any network but the government private network it needs the committee's Approval.",
    printcolumn(name = "From", type_ = "string", json_path = ".spec.from.ministry"),
    printcolumn(name = "To", type_ = "string", json_path = ".spec.to.ministry"),
    printcolumn(name = "Network", type_ = "string", json_path = ".spec.network"),
    printcolumn(name = "State", type_ = "string", json_path = ".status.state"),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[x_kube(validation = Rule::new("self.network != 'alternative' || has(self.approval)").message("a link over an alternative network needs the committee's approval: set spec.approval to the Approval's name (Art. 9)").field_path(".approval"))]
#[serde(rename_all = "camelCase")]
pub struct PrivateNetworkLinkSpec {
    /// The side that opens connections: a ministry and, optionally, some of its namespaces.
    pub from: LinkSource,
    /// The side that accepts them: a ministry's namespaces, or CIDRs of a shared service.
    pub to: LinkTarget,
    /// Ports opened on the path.
    #[schemars(length(min = 1, max = 32))]
    pub ports: Vec<Port>,
    /// The network carrying the path: `government-private` (Art. 9), or `alternative`, which
    /// needs an Approval.
    pub network: LinkNetwork,
    /// Name of the Approval that permits an `alternative` network (Art. 9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub approval: Option<String>,
    /// What the link is for, e.g. `tax declarations exchange` (Art. 28).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1024))]
    pub purpose: Option<String>,
}

/// The connecting side of a link.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct LinkSource {
    /// Code of the Ministry whose link it is (its DTU writes it). Cannot be changed: create a
    /// new link.
    #[schemars(length(min = 1, max = 63))]
    #[x_kube(validation = Rule::new("self == oldSelf").message("spec.from.ministry is immutable: create a new PrivateNetworkLink for another ministry"))]
    pub ministry: String,
    /// Some of the ministry's namespaces; empty means all of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 64))]
    pub namespaces: Vec<String>,
}

/// The accepting side of a link: a ministry, or a shared service's CIDRs.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[x_kube(validation = Rule::new("has(self.ministry) != (has(self.cidrs) && size(self.cidrs) > 0)").message("spec.to names either a ministry or the cidrs of a shared service, not both and not neither"))]
#[x_kube(validation = Rule::new("has(self.ministry) || !has(self.namespaces) || size(self.namespaces) == 0").message("spec.to.namespaces needs spec.to.ministry"))]
#[serde(rename_all = "camelCase")]
pub struct LinkTarget {
    /// Code of the Ministry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 63))]
    pub ministry: Option<String>,
    /// Some of the ministry's namespaces; empty means all of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 64))]
    pub namespaces: Vec<String>,
    /// CIDR blocks of a shared service on the government private network.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(
        length(max = 32),
        inner(regex(pattern = r"^[0-9a-fA-F:.]+/[0-9]{1,3}$"))
    )]
    pub cidrs: Vec<String>,
}

/// The network a link runs over (Art. 9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LinkNetwork {
    /// The government private network (Art. 9).
    GovernmentPrivate,
    /// Any other network infrastructure: needs the committee's approval (Art. 9).
    Alternative,
}

/// Where a link stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum LinkState {
    /// Permitted; its NetworkPolicies are in place.
    Established,
    /// Over an alternative network, and the approval is pending or missing.
    AwaitingApproval,
    /// Permitted, but the receiving ministry has not agreed to it yet (its DTU annotates the
    /// link `digital.gov.kh/accepted-generation` with the generation it agrees to).
    AwaitingAcceptance,
    /// Into another ministry's confidential or personal data, and no active DataAccessGrant
    /// from that ministry covers it (Art. 26, 28, 29): nothing opens until one does.
    AwaitingGrant,
    /// Not permitted (approval denied or expired, ministry gone).
    Refused,
}

/// Observed state of a link.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PrivateNetworkLinkStatus {
    /// Conditions: `Ready`, `Compliant`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `Established`, `AwaitingApproval`, `AwaitingGrant`, `AwaitingAcceptance` or `Refused`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<LinkState>,
    /// The NetworkPolicies (namespace/name) that carry the link.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network_policies: Vec<String>,
}
