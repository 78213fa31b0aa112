//! `CloudTenancy`: where a ministry's workloads run (Art. 10), since when, and the namespaces
//! the operator provisions for it. Its status carries the statutory clock's verdict.

use k8s_openapi::apimachinery::pkg::{api::resource::Quantity, apis::meta::v1::Condition};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{Day, Placement};

/// A ministry's use of one cloud (Art. 10).
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "digital.gov.kh",
    version = "v1alpha1",
    kind = "CloudTenancy",
    plural = "cloudtenancies",
    shortname = "ct",
    category = "govkh",
    status = "CloudTenancyStatus",
    derive = "PartialEq",
    doc = "Where a ministry's workloads run (Art. 10) and the namespaces provisioned for them. Outside the government cloud, the statutory clock runs: apply within 90 days of its establishment, or migrate within a year.",
    printcolumn(name = "Ministry", type_ = "string", json_path = ".spec.ministry"),
    printcolumn(name = "Placement", type_ = "string", json_path = ".spec.placement"),
    printcolumn(
        name = "Provider",
        type_ = "string",
        json_path = ".spec.provider",
        priority = 1
    ),
    printcolumn(name = "State", type_ = "string", json_path = ".status.state"),
    printcolumn(
        name = "Next-Deadline",
        type_ = "string",
        json_path = ".status.nextDeadline"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[x_kube(validation = Rule::new("self.placement == 'government-private' || has(self.provider)").message("spec.provider is required unless placement is government-private: name the cloud the workloads run on (Art. 10)").field_path(".provider"))]
#[serde(rename_all = "camelCase")]
pub struct CloudTenancySpec {
    /// Code of the Ministry this tenancy belongs to. Cannot be changed: create a new tenancy.
    #[schemars(length(min = 1, max = 63))]
    #[x_kube(validation = Rule::new("self == oldSelf").message("spec.ministry is immutable: create a new CloudTenancy for another ministry"))]
    pub ministry: String,
    /// Where the workloads run: `government-private`, `government-leased`, `ministry-private`
    /// or `external` (Art. 10).
    pub placement: Placement,
    /// The cloud provider, e.g. `camcloud` or `aws`. Required unless `government-private`. A
    /// `government-leased` provider must be approved by the Royal Government (Art. 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 63))]
    pub provider: Option<String>,
    /// The provider's region, e.g. `ap-southeast-1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 63))]
    pub region: Option<String>,
    /// The day the ministry started running on this placement (YYYY-MM-DD).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<Day>,
    /// Namespaces provisioned for, and owned by, this tenancy. A namespace that does not exist is
    /// created; one that exists is taken only when govkh made it for this tenancy, or when the
    /// platform hands it over (`adopt`). `kube-*`, `default` and govkh's own namespace are never
    /// a ministry's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 64), extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["name"]))]
    pub namespaces: Vec<TenancyNamespace>,
    /// What happens to the namespaces when the tenancy is deleted: `Retain` (default: they stay,
    /// labelled as orphaned, so no data is lost) or `Delete`.
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,
}

/// A namespace provisioned for a tenancy.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenancyNamespace {
    /// The namespace's name (a DNS label), e.g. `mef-tax`.
    #[schemars(
        length(min = 1, max = 63),
        regex(pattern = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
    )]
    pub name: String,
    /// The DataClass of what the namespace holds by default (Art. 25), e.g. `confidential`.
    /// Set as the namespace's `digital.gov.kh/data-class` label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 63))]
    pub data_class: Option<String>,
    /// Whether the namespace holds personal data of individuals: other ministries then reach it
    /// only under a DataAccessGrant for personal data with the data subjects' consent (Art. 29).
    /// Set as the namespace's `digital.gov.kh/personal-data` label.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub personal_data: bool,
    /// Resource quota of the namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<NamespaceQuota>,
    /// Take over this namespace although it exists already and govkh did not make it for this
    /// tenancy. Only the platform may set it (a ministry cannot take a namespace it did not
    /// make); an adopted namespace is never deleted with the tenancy, only released.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub adopt: bool,
}

/// Resource limits of a provisioned namespace (becomes a ResourceQuota).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NamespaceQuota {
    /// Total CPU requests, e.g. `"8"` or `8000m`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<Quantity>,
    /// Total memory requests, e.g. `32Gi`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Quantity>,
    /// Total persistent storage requests, e.g. `1Ti`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<Quantity>,
    /// Maximum number of pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 100000))]
    pub pods: Option<i32>,
}

/// What deleting a tenancy does to its namespaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema, Default)]
pub enum DeletionPolicy {
    /// Keep the namespaces, labelled `digital.gov.kh/orphaned=true` (default).
    #[default]
    Retain,
    /// Delete the namespaces govkh created for the tenancy, and everything in them; namespaces
    /// the platform handed over (`adopt`) are released as with `Retain`.
    Delete,
}

/// The statutory clock's states for a tenancy (Art. 10), also the `Compliant` condition's reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum ClockState {
    /// Inside the government cloud, or outside with the committee's approval in force.
    Compliant,
    /// Outside, before the application deadline, no application yet.
    WithinApplicationWindow,
    /// Outside, applied on time, the committee has not decided yet.
    ExceptionPending,
    /// Outside, the application deadline passed with no application: must migrate by the
    /// migration deadline.
    ApplicationWindowMissed,
    /// Outside, the committee refused the exception: must migrate.
    ExceptionDenied,
    /// Outside, the approved exception has expired.
    ExceptionExpired,
    /// Outside, past the migration deadline, no exception in force.
    MigrationOverdue,
}

impl ClockState {
    /// The state's name as it appears in status and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            ClockState::Compliant => "Compliant",
            ClockState::WithinApplicationWindow => "WithinApplicationWindow",
            ClockState::ExceptionPending => "ExceptionPending",
            ClockState::ApplicationWindowMissed => "ApplicationWindowMissed",
            ClockState::ExceptionDenied => "ExceptionDenied",
            ClockState::ExceptionExpired => "ExceptionExpired",
            ClockState::MigrationOverdue => "MigrationOverdue",
        }
    }
}

impl std::fmt::Display for ClockState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Observed state of a tenancy.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CloudTenancyStatus {
    /// Conditions: `Ready`, `Synced`, `Compliant` (its reason is the clock state).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The statutory clock's state (Art. 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<ClockState>,
    /// Last day to apply in writing to continue outside the government cloud (Art. 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_deadline: Option<Day>,
    /// Last day to be migrated into the government cloud (Art. 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migration_deadline: Option<Day>,
    /// The nearest of those deadlines that has not passed yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_deadline: Option<Day>,
    /// The first day on which the state can change by the passing of time alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_boundary: Option<Day>,
    /// The Approval in force that lets the tenancy stay outside, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<String>,
    /// The namespaces provisioned for the tenancy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
}
