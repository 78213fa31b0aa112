//! References between our kinds, as data: which field of which kind names an object of which
//! kind, what a name that resolves to nothing breaks (articles) and what govkh does about it
//! (`error` when nothing can be judged without the target, `warn` when it is only stale). The
//! evaluation turns each dangling name into a `references` finding; the sentence is rendered
//! in the messages module.

use crate::{
    api::{Kind, SubjectKind},
    finding::Action,
    inventory::{Entry, Inventory},
    loading::manifest::Source,
};

/// A field of one of our kinds that names another object: what a name that resolves to nothing
/// breaks, and what govkh does about it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReferenceField {
    /// The kind holding the field.
    pub kind: Kind,
    /// The field's path (`[]` for every item of a list).
    pub field: &'static str,
    /// The kind the field names.
    pub target_kind: Kind,
    /// The articles a dangling name breaks.
    pub articles: &'static [&'static str],
    /// `error` when nothing can be judged without the target; `warn` when it is only stale.
    pub action: Action,
}

const fn field(
    kind: Kind,
    field: &'static str,
    target_kind: Kind,
    articles: &'static [&'static str],
    action: Action,
) -> ReferenceField {
    ReferenceField {
        kind,
        field,
        target_kind,
        articles,
        action,
    }
}

/// Every reference between our kinds, as data. An Approval may outlive its subject (a tenancy
/// migrated and deleted): that is only worth a warning.
pub const REFERENCE_FIELDS: &[ReferenceField] = &[
    field(
        Kind::GovernmentCloud,
        "spec.operator",
        Kind::Ministry,
        &["10"],
        Action::Error,
    ),
    field(
        Kind::CloudTenancy,
        "spec.ministry",
        Kind::Ministry,
        &["10"],
        Action::Error,
    ),
    field(
        Kind::CloudTenancy,
        "spec.namespaces[].dataClass",
        Kind::DataClass,
        &["25"],
        Action::Error,
    ),
    field(
        Kind::PrivateNetworkLink,
        "spec.from.ministry",
        Kind::Ministry,
        &["9"],
        Action::Error,
    ),
    field(
        Kind::PrivateNetworkLink,
        "spec.to.ministry",
        Kind::Ministry,
        &["9"],
        Action::Error,
    ),
    field(
        Kind::PrivateNetworkLink,
        "spec.approval",
        Kind::Approval,
        &["9"],
        Action::Error,
    ),
    field(
        Kind::DataAccessGrant,
        "spec.owner",
        Kind::Ministry,
        &["26", "29"],
        Action::Error,
    ),
    field(
        Kind::DataAccessGrant,
        "spec.grantee.ministry",
        Kind::Ministry,
        &["26", "29"],
        Action::Error,
    ),
    field(
        Kind::DataAccessGrant,
        "spec.dataClass",
        Kind::DataClass,
        &["25"],
        Action::Error,
    ),
    field(
        Kind::Approval,
        "spec.subject.name",
        Kind::CloudTenancy,
        &["10"],
        Action::Warn,
    ),
    field(
        Kind::Approval,
        "spec.subject.name",
        Kind::PrivateNetworkLink,
        &["9"],
        Action::Warn,
    ),
];

/// A name in a reference field that resolves to no object of the inventory: the facts a
/// `references` finding is rendered from (in English by `missing_reference` of the messages).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingReference {
    /// The field, as in `REFERENCE_FIELDS`.
    pub field: &'static str,
    /// The kind it names.
    pub target_kind: Kind,
    /// The name that resolves to nothing.
    pub target: String,
}

/// One of our objects and the names in its reference fields.
struct Referrer<'a> {
    kind: Kind,
    name: &'a str,
    source: Option<&'a Source>,
    ministry: Option<&'a str>,
    /// (field, target kind, the name it holds).
    names: Vec<(&'static str, Kind, &'a str)>,
}

impl<'a> Referrer<'a> {
    fn new<T>(kind: Kind, name: &'a str, entry: &'a Entry<T>, ministry: Option<&'a str>) -> Self {
        Referrer {
            kind,
            name,
            source: entry.source.as_ref(),
            ministry,
            names: Vec::new(),
        }
    }

    fn names(mut self, field: &'static str, target_kind: Kind, target: Option<&'a str>) -> Self {
        self.names.extend(target.map(|t| (field, target_kind, t)));
        self
    }
}

/// Every object of our kinds with the names in its reference fields (the rows of
/// `REFERENCE_FIELDS` it can hold).
fn referrers(inv: &Inventory) -> Vec<Referrer<'_>> {
    let mut out = Vec::new();
    if let Some(gc) = &inv.government_cloud {
        let name = gc.object.metadata.name.as_deref().unwrap_or("national");
        out.push(Referrer::new(Kind::GovernmentCloud, name, gc, None).names(
            "spec.operator",
            Kind::Ministry,
            Some(&gc.object.spec.operator),
        ));
    }
    for (name, t) in &inv.tenancies {
        let s = &t.object.spec;
        let mut r = Referrer::new(Kind::CloudTenancy, name, t, Some(&s.ministry)).names(
            "spec.ministry",
            Kind::Ministry,
            Some(&s.ministry),
        );
        for ns in &s.namespaces {
            r = r.names(
                "spec.namespaces[].dataClass",
                Kind::DataClass,
                ns.data_class.as_deref(),
            );
        }
        out.push(r);
    }
    for (name, l) in &inv.links {
        let s = &l.object.spec;
        out.push(
            Referrer::new(Kind::PrivateNetworkLink, name, l, Some(&s.from.ministry))
                .names("spec.from.ministry", Kind::Ministry, Some(&s.from.ministry))
                .names("spec.to.ministry", Kind::Ministry, s.to.ministry.as_deref())
                .names("spec.approval", Kind::Approval, s.approval.as_deref()),
        );
    }
    for (name, g) in &inv.grants {
        let s = &g.object.spec;
        out.push(
            Referrer::new(Kind::DataAccessGrant, name, g, Some(&s.owner))
                .names("spec.owner", Kind::Ministry, Some(&s.owner))
                .names(
                    "spec.grantee.ministry",
                    Kind::Ministry,
                    s.grantee.ministry.as_deref(),
                )
                .names("spec.dataClass", Kind::DataClass, Some(&s.data_class)),
        );
    }
    for (name, a) in &inv.approvals {
        let s = &a.object.spec;
        let target_kind = match s.subject.kind {
            SubjectKind::CloudTenancy => Kind::CloudTenancy,
            SubjectKind::PrivateNetworkLink => Kind::PrivateNetworkLink,
        };
        out.push(Referrer::new(Kind::Approval, name, a, None).names(
            "spec.subject.name",
            target_kind,
            Some(&s.subject.name),
        ));
    }
    out
}

/// A dangling reference: the object holding it, the row of the table, and the facts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dangling {
    /// The kind of the object holding the reference.
    pub kind: Kind,
    /// Its name.
    pub name: String,
    /// Where it was read from.
    pub source: Option<Source>,
    /// The ministry it belongs to, when it names one.
    pub ministry: Option<String>,
    /// The row of `REFERENCE_FIELDS` it breaks.
    pub field: ReferenceField,
    /// What it names that does not exist.
    pub missing: MissingReference,
}

/// Every name in a reference field of the inventory that resolves to nothing, in the order of
/// the inventory (kind, then name).
pub fn dangling(inv: &Inventory) -> Vec<Dangling> {
    let mut out = Vec::new();
    for r in referrers(inv) {
        for (field, target_kind, target) in r.names {
            if exists(inv, target_kind, target) {
                continue;
            }
            // Every (kind, field, target kind) a referrer yields has its row (a test holds the
            // table and the referrers together); one without is an error, never skipped.
            let row = REFERENCE_FIELDS
                .iter()
                .find(|row| {
                    row.kind == r.kind && row.field == field && row.target_kind == target_kind
                })
                .copied()
                .unwrap_or(ReferenceField {
                    kind: r.kind,
                    field,
                    target_kind,
                    articles: &[],
                    action: Action::Error,
                });
            out.push(Dangling {
                kind: r.kind,
                name: r.name.to_string(),
                source: r.source.cloned(),
                ministry: r.ministry.map(str::to_string),
                field: row,
                missing: MissingReference {
                    field,
                    target_kind,
                    target: target.to_string(),
                },
            });
        }
    }
    out
}

/// A ministry whose official domain another ministry holds: the same domain, or one inside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DomainClash {
    /// The ministry whose domain clashes.
    pub ministry: String,
    /// Its domain.
    pub domain: String,
    /// The ministry holding that domain, or the one it is inside.
    pub holder: String,
    /// The holder's domain.
    pub holder_domain: String,
}

/// Every clash of official domains (Art. 20, 21: a ministry's web and mail are under its own
/// domain): two ministries claiming one domain are both named; a domain inside another
/// ministry's (`tax.mef.gov.kh` inside `mef.gov.kh`) names the inner one.
pub fn domain_clashes(inv: &Inventory) -> Vec<DomainClash> {
    let domains: Vec<(&String, String)> = inv
        .ministries
        .iter()
        .map(|(code, m)| (code, m.object.spec.domain.to_ascii_lowercase()))
        .collect();
    let mut out = Vec::new();
    for (code, domain) in &domains {
        for (other, other_domain) in &domains {
            if code == other {
                continue;
            }
            if domain == other_domain || domain.ends_with(&format!(".{other_domain}")) {
                out.push(DomainClash {
                    ministry: (*code).clone(),
                    domain: domain.clone(),
                    holder: (*other).clone(),
                    holder_domain: other_domain.clone(),
                });
            }
        }
    }
    out
}

fn exists(inv: &Inventory, kind: Kind, name: &str) -> bool {
    match kind {
        Kind::GovernmentCloud => inv.government_cloud.is_some(),
        Kind::Ministry => inv.ministries.contains_key(name),
        Kind::DataClass => inv.data_classes.contains_key(name),
        Kind::Approval => inv.approvals.contains_key(name),
        Kind::CloudTenancy => inv.tenancies.contains_key(name),
        Kind::PrivateNetworkLink => inv.links.contains_key(name),
        Kind::DataAccessGrant => inv.grants.contains_key(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loading::manifest::{LoadResult, Loader};

    /// One object of each of our kinds, every reference field naming something absent.
    const DANGLING: &str = r#"
apiVersion: digital.gov.kh/v1alpha1
kind: GovernmentCloud
metadata: {name: national}
spec:
  establishedOn: "2026-03-01"
  operator: nobody
  privateNetwork: {cidrs: ["10.80.0.0/12"]}
---
apiVersion: digital.gov.kh/v1alpha1
kind: CloudTenancy
metadata: {name: t1}
spec:
  ministry: nobody
  placement: government-private
  namespaces: [{name: t1-app, dataClass: no-class}]
---
apiVersion: digital.gov.kh/v1alpha1
kind: PrivateNetworkLink
metadata: {name: l1}
spec:
  from: {ministry: nobody}
  to: {ministry: nobody-else}
  network: alternative
  approval: no-approval
  ports: [{protocol: TCP, port: 443}]
---
apiVersion: digital.gov.kh/v1alpha1
kind: DataAccessGrant
metadata: {name: g1}
spec:
  owner: nobody
  grantee: {ministry: nobody-else}
  dataClass: no-class
  namespaces: [x]
  dataTypes: [records]
  reason: audit
  authorizedBy: owner-ministry
  document: X/1
  validFrom: "2026-06-01"
  validUntil: "2026-12-31"
  access: {ports: [{protocol: TCP, port: 5432}]}
---
apiVersion: digital.gov.kh/v1alpha1
kind: Approval
metadata: {name: a1}
spec:
  subject: {kind: CloudTenancy, name: no-tenancy}
  article: "10"
  request: {requestedOn: "2026-04-01", requestedBy: dtu@x.gov.kh, document: X/2}
---
apiVersion: digital.gov.kh/v1alpha1
kind: Approval
metadata: {name: a2}
spec:
  subject: {kind: PrivateNetworkLink, name: no-link}
  article: "9"
  request: {requestedOn: "2026-04-01", requestedBy: dtu@x.gov.kh, document: X/3}
"#;

    #[test]
    fn every_reference_field_of_the_table_is_checked() {
        let mut loaded = LoadResult::default();
        Loader::new().load_text("dangling.yaml", DANGLING, false, &mut loaded);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        let (inv, problems) = Inventory::build(loaded.objects);
        assert!(problems.is_empty(), "{problems:?}");
        let found = dangling(&inv);
        // One dangling reference per row of the table, found on the field the row names.
        assert_eq!(found.len(), REFERENCE_FIELDS.len(), "{found:#?}");
        for row in REFERENCE_FIELDS {
            let d = found
                .iter()
                .find(|d| d.field == *row)
                .unwrap_or_else(|| panic!("no dangling reference for {row:?}"));
            assert_eq!(
                (d.kind, d.missing.field, d.missing.target_kind),
                (row.kind, row.field, row.target_kind)
            );
            assert!(d.missing.target.starts_with("no"), "{d:?}");
        }
    }
}
