//! The seven kinds of the `digital.gov.kh` API as one enum: where code decides by kind, it
//! matches a `Kind` exhaustively, so a new kind is a compile error at every such place instead
//! of a string that falls through to a default arm.

use super::API_VERSION;

/// One kind of the `digital.gov.kh/v1alpha1` API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// `GovernmentCloud`: the one government cloud (cluster-scoped singleton).
    GovernmentCloud,
    /// `Ministry`.
    Ministry,
    /// `CloudTenancy`.
    CloudTenancy,
    /// `PrivateNetworkLink`.
    PrivateNetworkLink,
    /// `DataClass`.
    DataClass,
    /// `DataAccessGrant`.
    DataAccessGrant,
    /// `Approval`.
    Approval,
}

impl Kind {
    /// Every kind, in the order the documents list them.
    pub const ALL: [Kind; 7] = [
        Kind::GovernmentCloud,
        Kind::Ministry,
        Kind::CloudTenancy,
        Kind::PrivateNetworkLink,
        Kind::DataClass,
        Kind::DataAccessGrant,
        Kind::Approval,
    ];

    /// Its `kind` as written in a manifest.
    pub const fn name(self) -> &'static str {
        match self {
            Kind::GovernmentCloud => "GovernmentCloud",
            Kind::Ministry => "Ministry",
            Kind::CloudTenancy => "CloudTenancy",
            Kind::PrivateNetworkLink => "PrivateNetworkLink",
            Kind::DataClass => "DataClass",
            Kind::DataAccessGrant => "DataAccessGrant",
            Kind::Approval => "Approval",
        }
    }

    /// Its resource's plural name (`kubectl get cloudtenancies`).
    pub const fn plural(self) -> &'static str {
        match self {
            Kind::GovernmentCloud => "governmentclouds",
            Kind::Ministry => "ministries",
            Kind::CloudTenancy => "cloudtenancies",
            Kind::PrivateNetworkLink => "privatenetworklinks",
            Kind::DataClass => "dataclasses",
            Kind::DataAccessGrant => "dataaccessgrants",
            Kind::Approval => "approvals",
        }
    }

    /// The kind named `kind`, if it is one of ours (whatever the apiVersion).
    pub fn named(kind: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == kind)
    }

    /// The kind of an object of `apiVersion` and `kind`: one of ours only in the served
    /// version (`digital.gov.kh/v1alpha1`); anything else, another group's included, is not.
    pub fn of(api_version: &str, kind: &str) -> Option<Kind> {
        (api_version == API_VERSION)
            .then(|| Kind::named(kind))
            .flatten()
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_is_the_crd_generated_for_it() {
        let crds: Vec<(String, String)> = crate::api::crdgen::all()
            .into_iter()
            .map(|(_, crd)| (crd.spec.names.kind, crd.spec.names.plural))
            .collect();
        let kinds: Vec<(String, String)> = Kind::ALL
            .iter()
            .map(|k| (k.name().to_string(), k.plural().to_string()))
            .collect();
        let (mut a, mut b) = (crds, kinds);
        a.sort();
        b.sort();
        assert_eq!(a, b);
    }

    #[test]
    fn only_the_served_version_names_our_kinds() {
        assert_eq!(Kind::of(API_VERSION, "Approval"), Some(Kind::Approval));
        assert_eq!(Kind::of("digital.gov.kh/v1", "Approval"), None);
        assert_eq!(Kind::of("v1", "Namespace"), None);
        assert_eq!(Kind::of(API_VERSION, "approval"), None);
        for k in Kind::ALL {
            assert_eq!(Kind::named(&k.to_string()), Some(k));
        }
    }
}
