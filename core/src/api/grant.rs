//! `DataAccessGrant`: written, time-bound permission to use another ministry's confidential data
//! (Art. 26 para. 3, Art. 29), with the data subject's consent where personal data is involved.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{Day, Port};

/// Written permission to use another ministry's data (Art. 26, 29).
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "digital.gov.kh",
    version = "v1alpha1",
    kind = "DataAccessGrant",
    plural = "dataaccessgrants",
    shortname = "dag",
    category = "govkh",
    status = "DataAccessGrantStatus",
    derive = "PartialEq",
    doc = "Written, time-bound permission from the owning ministry or the committee to use confidential data (Art. 26, 29). Personal data also needs the data subject's consent.",
    printcolumn(name = "Owner", type_ = "string", json_path = ".spec.owner"),
    printcolumn(
        name = "Grantee",
        type_ = "string",
        json_path = ".spec.grantee.ministry"
    ),
    printcolumn(name = "Valid-From", type_ = "string", json_path = ".spec.validFrom"),
    printcolumn(name = "Valid-Until", type_ = "string", json_path = ".spec.validUntil"),
    printcolumn(name = "State", type_ = "string", json_path = ".status.state"),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[x_kube(validation = Rule::new("!has(self.personalData) || !self.personalData || (has(self.consentReference) && size(self.consentReference) > 0)").message("access to personal data needs the data subject's consent: set spec.consentReference (Art. 29)").field_path(".consentReference"))]
#[x_kube(validation = Rule::new("self.validUntil >= self.validFrom").message("spec.validUntil cannot be before spec.validFrom (Art. 29: a grant names its time period)").field_path(".validUntil"))]
#[x_kube(validation = Rule::new("!has(self.grantee.ministry) || self.grantee.ministry != self.owner").message("a ministry needs no grant to use its own data: grantee and owner are the same").field_path(".grantee.ministry"))]
#[x_kube(validation = Rule::new("!has(self.grantee.public) || !self.grantee.public || !has(self.access)").message("a grant to the public opens no network path: it lets the owner's Services and Ingresses expose the data; remove spec.access").field_path(".access"))]
#[serde(rename_all = "camelCase")]
pub struct DataAccessGrantSpec {
    /// Code of the Ministry that owns the data (its DTU, or the committee, authorises the grant).
    /// Cannot be changed: create a new grant.
    #[schemars(length(min = 1, max = 63))]
    #[x_kube(validation = Rule::new("self == oldSelf").message("spec.owner is immutable: create a new DataAccessGrant for another owner"))]
    pub owner: String,
    /// Who receives access: a ministry, or a named person (Art. 29).
    pub grantee: Grantee,
    /// The DataClass of the data, e.g. `confidential`.
    #[schemars(length(min = 1, max = 63))]
    pub data_class: String,
    /// The owner's namespaces where the data lives.
    #[schemars(length(min = 1, max = 64))]
    pub namespaces: Vec<String>,
    /// The types of data covered (Art. 29: the permission specifies types).
    #[schemars(length(min = 1, max = 64), inner(length(min = 1, max = 253)))]
    pub data_types: Vec<String>,
    /// Why access is granted (Art. 29: the permission specifies reasons).
    #[schemars(length(min = 1, max = 4096))]
    pub reason: String,
    /// Who authorised it (Art. 26 para. 3): `owner-ministry` or `committee`.
    pub authorized_by: AuthorizedBy,
    /// Reference of the written permission, e.g. `MOH/2026/113`.
    #[schemars(length(min = 1, max = 253))]
    pub document: String,
    /// Whether personal data of individuals is involved (Art. 29).
    #[serde(default)]
    pub personal_data: bool,
    /// Reference of the data subjects' consent; required when `personalData` (Art. 29).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 253))]
    pub consent_reference: Option<String>,
    /// First day of the permission (YYYY-MM-DD).
    pub valid_from: Day,
    /// Last day of the permission (YYYY-MM-DD); access is revoked after it.
    pub valid_until: Day,
    /// The network path opened while the grant is active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<GrantAccess>,
}

impl DataAccessGrantSpec {
    /// Whether it is a grant of personal data with the data subjects' consent on record (a
    /// non-blank `consentReference`, Art. 29): what a path into personal data needs. The one
    /// reading of it for the policies' input and the link reconciler.
    pub fn consented_personal_data(&self) -> bool {
        self.personal_data
            && self
                .consent_reference
                .as_deref()
                .is_some_and(|c| !c.trim().is_empty())
    }
}

/// Who receives access.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[x_kube(validation = Rule::new("(has(self.ministry) ? 1 : 0) + (has(self.person) ? 1 : 0) + ((has(self.public) && self.public) ? 1 : 0) == 1").message("spec.grantee names a ministry, a person, or the public (public: true): exactly one"))]
#[serde(rename_all = "camelCase")]
pub struct Grantee {
    /// Code of the receiving Ministry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 63))]
    pub ministry: Option<String>,
    /// A named person who applied in writing (Art. 29).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub person: Option<String>,
    /// The public: the owner (or the committee) authorises exposing the data publicly (Art. 26
    /// para. 3: dissemination of confidential data with authorisation). While the grant is
    /// active, a LoadBalancer or NodePort Service, Ingress or HTTPRoute in its namespaces may
    /// expose their data; it opens no network path. Never for data whose sharing is
    /// `Prohibited` (top-secret).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub public: bool,
}

/// Who authorised a grant (Art. 26 para. 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum AuthorizedBy {
    /// The ministry that owns the data.
    OwnerMinistry,
    /// The Digital Government Committee.
    Committee,
}

/// The network path a grant opens.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GrantAccess {
    /// Ports opened from the grantee's namespaces to the owner's listed namespaces.
    #[schemars(length(min = 1, max = 32))]
    pub ports: Vec<Port>,
}

/// Where a grant stands on a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum GrantState {
    /// Before `validFrom`.
    Pending,
    /// From `validFrom` to `validUntil`, both included.
    Active,
    /// After `validUntil`.
    Expired,
}

/// Observed state of a grant.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DataAccessGrantStatus {
    /// Conditions: `Ready`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `Pending`, `Active` or `Expired`, as of the evaluation day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<GrantState>,
    /// The NetworkPolicies (`namespace/name`) opening the grant's network path while it is
    /// active; empty before `validFrom` and after `validUntil`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub network_policies: Vec<String>,
}
