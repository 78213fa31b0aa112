//! Which of our objects depend on which: the tenancies of a ministry, the subject of an
//! approval, the links and grants that involve a ministry. The controllers' watches use these
//! to turn a change of one object into reconciles of the objects that depend on it; they are
//! pure, so the mapping is tested without a cluster.

use kube::ResourceExt;

use crate::api::{Approval, CloudTenancy, DataAccessGrant, PrivateNetworkLink, SubjectKind};

/// The tenancies that depend on a Ministry.
pub fn tenancies_of_ministry(tenancies: &[CloudTenancy], ministry: &str) -> Vec<String> {
    tenancies
        .iter()
        .filter(|t| t.spec.ministry == ministry)
        .map(|t| t.name_any())
        .collect()
}

/// The tenancy an Approval is about, if it is about one.
pub fn tenancy_of_approval(approval: &Approval) -> Option<String> {
    (approval.spec.subject.kind == SubjectKind::CloudTenancy)
        .then(|| approval.spec.subject.name.clone())
}

/// The link an Approval is about, if it is about one.
pub fn link_of_approval(approval: &Approval) -> Option<String> {
    (approval.spec.subject.kind == SubjectKind::PrivateNetworkLink)
        .then(|| approval.spec.subject.name.clone())
}

/// The links from or to a Ministry.
pub fn links_of_ministry(links: &[PrivateNetworkLink], ministry: &str) -> Vec<String> {
    links
        .iter()
        .filter(|l| {
            l.spec.from.ministry == ministry || l.spec.to.ministry.as_deref() == Some(ministry)
        })
        .map(|l| l.name_any())
        .collect()
}

/// The grants that involve a Ministry, as owner or grantee.
pub fn grants_of_ministry(grants: &[DataAccessGrant], ministry: &str) -> Vec<String> {
    grants
        .iter()
        .filter(|g| {
            g.spec.owner == ministry || g.spec.grantee.ministry.as_deref() == Some(ministry)
        })
        .map(|g| g.name_any())
        .collect()
}

/// The approvals about an object of `kind` named `name`.
pub fn approvals_about(approvals: &[Approval], kind: SubjectKind, name: &str) -> Vec<String> {
    approvals
        .iter()
        .filter(|a| a.spec.subject.kind == kind && a.spec.subject.name == name)
        .map(|a| a.name_any())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn approvals_map_to_their_tenancy_only() {
        let a: Approval = serde_json::from_value(serde_json::json!({"apiVersion": "digital.gov.kh/v1alpha1", "kind": "Approval", "metadata": {"name": "a"},
            "spec": {"subject": {"kind": "CloudTenancy", "name": "mef-workloads"}, "article": "10", "request": {"requestedOn": "2026-04-20", "requestedBy": "x", "document": "d"}}})).unwrap();
        assert_eq!(tenancy_of_approval(&a), Some("mef-workloads".to_string()));
        let mut for_link = a.clone();
        for_link.spec.subject.kind = SubjectKind::PrivateNetworkLink;
        assert!(tenancy_of_approval(&for_link).is_none());
        assert_eq!(
            link_of_approval(&for_link),
            Some("mef-workloads".to_string())
        );
        assert!(link_of_approval(&a).is_none());
    }
}
