//! `Approval`: the Digital Government Committee's written decision on a ministry's written
//! request — to keep a tenancy outside the government cloud (Art. 10) or to use an alternative
//! network (Art. 9). Only the committee's RBAC group may write one.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::Day;

/// The committee's decision on a written request (Art. 9, 10).
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "digital.gov.kh",
    version = "v1alpha1",
    kind = "Approval",
    plural = "approvals",
    shortname = "appr",
    category = "govkh",
    status = "ApprovalStatus",
    derive = "PartialEq",
    doc = "The Digital Government Committee's decision on a written request: to continue outside the government cloud (Art. 10) or to use an alternative network (Art. 9).",
    printcolumn(
        name = "Kind",
        type_ = "string",
        json_path = ".spec.subject.kind",
        priority = 1
    ),
    printcolumn(name = "Subject", type_ = "string", json_path = ".spec.subject.name"),
    printcolumn(
        name = "Requested",
        type_ = "string",
        json_path = ".spec.request.requestedOn"
    ),
    printcolumn(
        name = "Verdict",
        type_ = "string",
        json_path = ".spec.decision.verdict"
    ),
    printcolumn(name = "Valid-Until", type_ = "string", json_path = ".spec.validUntil"),
    printcolumn(name = "State", type_ = "string", json_path = ".status.state"),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[x_kube(validation = Rule::new("(self.subject.kind == 'CloudTenancy') == (self.article == '10')").message("an Approval for a CloudTenancy is under Art. 10, one for a PrivateNetworkLink under Art. 9: set spec.article accordingly").field_path(".article"))]
#[x_kube(validation = Rule::new("!has(self.decision) || self.decision.decidedOn >= self.request.requestedOn").message("the decision cannot be dated before the request").field_path(".decision.decidedOn"))]
#[x_kube(validation = Rule::new("!has(self.validUntil) || (has(self.decision) && self.decision.verdict == 'Approved' && self.validUntil >= self.decision.decidedOn)").message("validUntil applies to an Approved decision and cannot be before the decision's date").field_path(".validUntil"))]
#[serde(rename_all = "camelCase")]
pub struct ApprovalSpec {
    /// What the request is about.
    pub subject: ApprovalSubject,
    /// The article the request is made under: `"10"` (continue outside the government cloud) or
    /// `"9"` (use an alternative network).
    pub article: ApprovalArticle,
    /// The ministry's written request.
    pub request: ApprovalRequest,
    /// The committee's decision; absent while the request is pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<ApprovalDecision>,
    /// Last day the approval is in force (YYYY-MM-DD). Absent: in force until revoked by
    /// deleting this object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<Day>,
}

/// The object an approval is about.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalSubject {
    /// `CloudTenancy` or `PrivateNetworkLink`.
    pub kind: SubjectKind,
    /// The subject's name.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
}

/// Kinds an approval can be about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum SubjectKind {
    /// A tenancy that is to continue outside the government cloud (Art. 10).
    CloudTenancy,
    /// A link over an alternative network (Art. 9).
    PrivateNetworkLink,
}

/// The article an approval is granted under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ApprovalArticle {
    /// Art. 9: alternative network infrastructure.
    #[serde(rename = "9")]
    Art9,
    /// Art. 10: continued operation outside the government cloud.
    #[serde(rename = "10")]
    Art10,
}

/// A ministry's written request to the committee.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalRequest {
    /// Day the written request was made (YYYY-MM-DD). Under Art. 10 it is timely only on or
    /// before the application deadline (establishment + 90 days).
    pub requested_on: Day,
    /// Who made the request, e.g. `dtu@mef.gov.kh`.
    #[schemars(length(min = 1, max = 254))]
    pub requested_by: String,
    /// Reference of the written request, e.g. `MEF/DTU/2026/041`.
    #[schemars(length(min = 1, max = 253))]
    pub document: String,
    /// Why the ministry asks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 4096))]
    pub reason: Option<String>,
}

/// The committee's decision.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalDecision {
    /// `Approved` or `Denied`.
    pub verdict: CommitteeVerdict,
    /// Day of the decision (YYYY-MM-DD).
    pub decided_on: Day,
    /// Reference of the written decision, e.g. `DGC/2026/012`.
    #[schemars(length(min = 1, max = 253))]
    pub document: String,
    /// Who decided, e.g. `Digital Government Committee`.
    #[schemars(length(min = 1, max = 253))]
    pub reviewer: String,
}

/// The committee's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum CommitteeVerdict {
    /// The request is granted.
    Approved,
    /// The request is refused.
    Denied,
}

/// Where an approval stands on a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub enum ApprovalState {
    /// Requested, not decided yet.
    Pending,
    /// Approved and not expired.
    InForce,
    /// Refused.
    Denied,
    /// Approved, but past `validUntil`.
    Expired,
}

impl ApprovalState {
    /// The state's name as it appears in status and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalState::Pending => "Pending",
            ApprovalState::InForce => "InForce",
            ApprovalState::Denied => "Denied",
            ApprovalState::Expired => "Expired",
        }
    }
}

/// Observed state of an approval.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Default, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalStatus {
    /// Conditions: `Ready`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `Pending`, `InForce`, `Denied` or `Expired`, as of the evaluation day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<ApprovalState>,
}
