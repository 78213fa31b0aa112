//! Cloud resources judged by the law, per source the catalogue knows (Crossplane v1 and v2,
//! ACK, Azure Service Operator, Config Connector, Cluster API, tofu-controller): against the
//! national examples' tenancies, as of 2026-11-26 — declared and approved, undeclared (the
//! clock's deadline), declared by a tenancy out of order, top-secret in a foreign cloud,
//! unattributable, provider unknown.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use govkh_core::{
    evaluate::{POLICY_CLOUD, evaluate, unjudged_kinds},
    finding::{Action, Finding},
    inventory::Inventory,
    loading::manifest::{LoadResult, Loader},
    policy::Library,
};
use k8s_openapi::jiff::Timestamp;

fn now() -> Timestamp {
    "2026-11-26T03:00:00Z".parse().unwrap()
}

fn load(text: &str) -> LoadResult {
    let mut r = LoadResult::default();
    Loader::new().load_text("test.yaml", text, false, &mut r);
    assert!(r.errors.is_empty(), "{:?}", r.errors);
    r
}

/// The cloud findings about the object named `name`, with the examples (less the tenancies in
/// `without`) as the inventory.
fn judged(text: &str, name: &str, without: &[&str]) -> Vec<Finding> {
    let mut objects = common::examples().objects;
    objects.extend(load(text).objects);
    let (mut inv, errors) = Inventory::build(objects);
    assert!(errors.is_empty(), "{errors:?}");
    for t in without {
        inv.tenancies.remove(*t);
    }
    let lib = Library::builtin().unwrap();
    evaluate(&inv, &lib, now())
        .findings
        .into_iter()
        .filter(|f| f.policy == POLICY_CLOUD && f.resource.name.as_deref() == Some(name))
        .collect()
}

#[test]
fn declared_and_approved_crossplane_v1_and_v2_resources_have_no_finding() {
    // MEF's CloudTenancy mef-workloads (external, aws) is under an approval in force.
    let v1 = "apiVersion: rds.aws.upbound.io/v1beta1\nkind: Instance\nmetadata: {name: open-stats-db, labels: {digital.gov.kh/ministry: mef, digital.gov.kh/data-class: open}}\nspec: {forProvider: {region: ap-southeast-1}}\n";
    assert_eq!(judged(v1, "open-stats-db", &[]), vec![]);
    let v2 = "apiVersion: s3.aws.m.upbound.io/v1beta1\nkind: Bucket\nmetadata: {name: open-archive, namespace: mef-open-budget}\n";
    assert_eq!(judged(v2, "open-archive", &[]), vec![]);
}

#[test]
fn an_undeclared_ack_bucket_runs_the_clock_of_an_undeclared_tenancy() {
    let ack = "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata: {name: videos, namespace: moeys-elearning}\n";
    let f = judged(ack, "videos", &[]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].articles, ["10"]);
    assert_eq!(f[0].action, Action::Warn);
    assert_eq!(
        f[0].deadline.map(|d| d.to_string()).as_deref(),
        Some("2027-03-01")
    );
    assert!(
        f[0].message.contains("declared by no CloudTenancy"),
        "{}",
        f[0].message
    );
    assert!(
        f[0].km
            .as_ref()
            .is_some_and(|k| k.message.contains("មាត្រា 10"))
    );
}

#[test]
fn a_resource_declared_by_a_tenancy_out_of_order_carries_that_tenancys_state() {
    // Without mef-workloads, MEF's only AWS tenancy is mef-analytics, whose approval expired.
    let v2 = "apiVersion: s3.aws.m.upbound.io/v1beta1\nkind: Bucket\nmetadata: {name: archive, namespace: mef-open-budget}\n";
    let f = judged(v2, "archive", &["mef-workloads"]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        f[0].message
            .contains("declared by CloudTenancy mef-analytics"),
        "{}",
        f[0].message
    );
    assert_eq!(f[0].state.as_deref(), Some("ExceptionExpired"));
    // GDT's Azure tenancy was denied: an Azure Service Operator account is judged by it.
    let aso = "apiVersion: storage.azure.com/v1api20230101\nkind: StorageAccount\nmetadata: {name: filings, namespace: gdt-api, labels: {digital.gov.kh/data-class: open}}\n";
    let f = judged(aso, "filings", &[]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].state.as_deref(), Some("ExceptionDenied"));
    assert!(f[0].message.contains("CloudTenancy gdt-legacy"));
    // MoEYS's GCP tenancy awaits the committee: a Config Connector bucket with it.
    let kcc = "apiVersion: storage.cnrm.cloud.google.com/v1beta1\nkind: StorageBucket\nmetadata: {name: lessons, namespace: moeys-elearning}\n";
    let f = judged(kcc, "lessons", &[]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].state.as_deref(), Some("ExceptionPending"));
}

#[test]
fn a_label_does_not_move_a_namespaced_resource_to_a_ministry_with_an_approved_tenancy() {
    // MoEYS has no AWS tenancy; MEF has one in order. The label names MEF, the namespace MoEYS.
    let dressed = "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata: {name: videos, namespace: moeys-elearning, labels: {digital.gov.kh/ministry: mef}}\n";
    let f = judged(dressed, "videos", &[]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].ministry.as_deref(), Some("moeys"));
    assert!(
        f[0].message.contains("of Ministry moeys"),
        "{}",
        f[0].message
    );
}

#[test]
fn top_secret_data_in_a_foreign_cloud_is_denied_even_when_declared() {
    let v2 = "apiVersion: s3.aws.m.upbound.io/v1beta1\nkind: Bucket\nmetadata: {name: keys, namespace: mef-open-budget, labels: {digital.gov.kh/data-class: top-secret}}\n";
    let f = judged(v2, "keys", &[]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].action, Action::Deny);
    assert_eq!(f[0].articles, ["25", "26"]);
    assert!(
        f[0].message.contains("top-secret data in aws (external)"),
        "{}",
        f[0].message
    );
}

#[test]
fn cluster_api_and_terraform_name_their_provider_by_kind_or_label_else_are_reviewed() {
    let capi = "apiVersion: infrastructure.cluster.x-k8s.io/v1beta1\nkind: AWSCluster\nmetadata: {name: edu-k8s, namespace: moeys-elearning}\n";
    let f = judged(capi, "edu-k8s", &[]);
    assert!(
        f.iter().any(|f| f
            .message
            .contains("(a cluster in aws) is declared by no CloudTenancy")),
        "{f:?}"
    );
    let said = "apiVersion: infra.contrib.fluxcd.io/v1alpha2\nkind: Terraform\nmetadata: {name: lms, namespace: moeys-elearning, labels: {digital.gov.kh/cloud-provider: gcp}}\n";
    let f = judged(said, "lms", &[]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].state.as_deref(), Some("ExceptionPending"));
    let silent = "apiVersion: infra.contrib.fluxcd.io/v1alpha2\nkind: Terraform\nmetadata: {name: lms, namespace: moeys-elearning}\n";
    let f = judged(silent, "lms", &[]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        f[0].message.contains("whose provider is unknown"),
        "{}",
        f[0].message
    );
    let vsphere = "apiVersion: infrastructure.cluster.x-k8s.io/v1beta1\nkind: VSphereCluster\nmetadata: {name: lab, namespace: moeys-elearning}\n";
    assert!(
        judged(vsphere, "lab", &[])[0]
            .message
            .contains("provider is unknown")
    );
}

#[test]
fn a_provider_config_is_judged_by_the_ministry_it_belongs_to() {
    let pc = "apiVersion: aws.m.upbound.io/v1beta1\nkind: ProviderConfig\nmetadata: {name: moeys-aws, namespace: moeys-elearning}\n";
    let f = judged(pc, "moeys-aws", &[]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        f[0].message
            .contains("(a config in aws) is declared by no CloudTenancy"),
        "{}",
        f[0].message
    );
    let mef = "apiVersion: aws.upbound.io/v1beta1\nkind: ProviderConfig\nmetadata: {name: mef-aws, labels: {digital.gov.kh/ministry: mef}}\n";
    assert_eq!(judged(mef, "mef-aws", &[]), vec![]);
}

#[test]
fn an_unattributable_or_new_service_of_a_known_family_is_never_silently_passed() {
    let stray = "apiVersion: ec2.aws.upbound.io/v1beta1\nkind: VPC\nmetadata: {name: stray}\n";
    let f = judged(stray, "stray", &[]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert!(
        f[0].message.contains("cannot be attributed to a ministry"),
        "{}",
        f[0].message
    );
    let new = "apiVersion: quantum.gcp.upbound.io/v1beta1\nkind: Annealer\nmetadata: {name: qa, labels: {digital.gov.kh/ministry: moh}}\n";
    let f = judged(new, "qa", &[]);
    assert!(
        f.iter().any(|f| f
            .message
            .contains("(a resource in gcp) is declared by no CloudTenancy")),
        "{f:?}"
    );
}

#[test]
fn cloud_kinds_are_not_reported_as_judged_by_nothing() {
    let lib = Library::builtin().unwrap();
    let r = load(
        "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata: {name: b, namespace: x}\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n",
    );
    let unjudged = unjudged_kinds(&r.objects, &lib);
    assert_eq!(unjudged.keys().collect::<Vec<_>>(), ["Widget"]);
}

#[test]
fn each_ministrys_clouds_in_use_are_declared_and_observed_by_provider() {
    let (inv, _) = Inventory::build(common::examples().objects);
    let lib = Library::builtin().unwrap();
    let uses = govkh_core::evaluate::clouds_in_use(&inv, lib.clouds());
    let of = |m: &str, p: &str| {
        uses[m]
            .iter()
            .find(|u| u.provider == p)
            .cloned()
            .unwrap_or_else(|| panic!("{m} {p}: {:?}", uses[m]))
    };
    let mef = of("mef", "aws");
    assert_eq!(mef.declared_by, ["mef-analytics", "mef-workloads"]);
    assert_eq!(mef.objects.len(), 3, "{mef:?}");
    // MoEYS: GCP declared, nothing observed there; AWS observed, declared by nothing.
    assert!(of("moeys", "gcp").objects.is_empty());
    let aws = of("moeys", "aws");
    assert!(aws.declared_by.is_empty());
    assert_eq!(aws.objects, ["Bucket moeys-elearning/course-videos"]);
}

#[test]
fn a_resource_of_a_ministry_govkh_does_not_know_is_an_error_not_a_pass() {
    let ghost = "apiVersion: s3.aws.m.upbound.io/v1beta1\nkind: Bucket\nmetadata: {name: ghost, labels: {digital.gov.kh/ministry: mot}}\n";
    let f = judged(ghost, "ghost", &[]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].action, Action::Error);
    assert!(
        f[0].message.contains("Ministry mot is not known"),
        "{}",
        f[0].message
    );
}

/// A tenancy of MEF in `provider` with namespace `mef-<provider>-test` (class open), under an
/// Approval valid until `valid_until`.
fn tenancy_and_approval(provider: &str, valid_until: &str) -> String {
    format!(
        "apiVersion: digital.gov.kh/v1alpha1
kind: CloudTenancy
metadata: {{name: mef-{provider}-test}}
spec:
  ministry: mef
  placement: external
  provider: {provider}
  since: \"2024-06-01\"
  namespaces: [{{name: mef-{provider}-test, dataClass: open}}]
---
apiVersion: digital.gov.kh/v1alpha1
kind: Approval
metadata: {{name: mef-{provider}-test}}
spec:
  subject: {{kind: CloudTenancy, name: mef-{provider}-test}}
  article: \"10\"
  request: {{requestedOn: \"2026-04-20\", requestedBy: dtu@mef.gov.kh, document: MEF/1, reason: test}}
  decision: {{verdict: Approved, decidedOn: \"2026-05-10\", document: DGC/1, reviewer: Digital Government Committee}}
  validUntil: \"{valid_until}\"
"
    )
}

/// The cloud findings about `object` (named `x`, in MEF's namespace `mef-portal` of its
/// government-private tenancy, class open, or cluster-scoped and labelled MEF's) with MEF's
/// own AWS tenancies replaced by one test tenancy per provider, its approval valid until
/// `valid_until`; `declared`: whether the test tenancy of the object's provider is there at all.
fn judged_per_source(
    object: &str,
    provider: &str,
    valid_until: &str,
    declared: bool,
) -> Vec<Finding> {
    let mut text = object.to_string();
    for p in ["aws", "azure", "gcp"] {
        if declared || p != provider {
            text.push_str("---\n");
            text.push_str(&tenancy_and_approval(p, valid_until));
        }
    }
    judged(&text, "x", &["mef-workloads", "mef-analytics"])
}

#[test]
fn each_source_declared_undeclared_expired_and_top_secret() {
    // (source, the object named x with LABELS to fill, its provider)
    let sources = [
        (
            "Crossplane v1",
            "apiVersion: rds.aws.upbound.io/v1beta1\nkind: Instance\nmetadata: {name: x, labels: {digital.gov.kh/ministry: mef, LABELS}}\n",
            "aws",
        ),
        (
            "Crossplane v2",
            "apiVersion: s3.aws.m.upbound.io/v1beta1\nkind: Bucket\nmetadata: {name: x, namespace: mef-portal, labels: {LABELS}}\n",
            "aws",
        ),
        (
            "ACK",
            "apiVersion: s3.services.k8s.aws/v1alpha1\nkind: Bucket\nmetadata: {name: x, namespace: mef-portal, labels: {LABELS}}\n",
            "aws",
        ),
        (
            "ASO",
            "apiVersion: storage.azure.com/v1api20230101\nkind: StorageAccount\nmetadata: {name: x, namespace: mef-portal, labels: {LABELS}}\n",
            "azure",
        ),
        (
            "Config Connector",
            "apiVersion: storage.cnrm.cloud.google.com/v1beta1\nkind: StorageBucket\nmetadata: {name: x, namespace: mef-portal, labels: {LABELS}}\n",
            "gcp",
        ),
        (
            "Cluster API",
            "apiVersion: infrastructure.cluster.x-k8s.io/v1beta2\nkind: GCPCluster\nmetadata: {name: x, namespace: mef-portal, labels: {LABELS}}\n",
            "gcp",
        ),
        (
            "Terraform",
            "apiVersion: infra.contrib.fluxcd.io/v1alpha2\nkind: Terraform\nmetadata: {name: x, namespace: mef-portal, labels: {digital.gov.kh/cloud-provider: azure, LABELS}}\n",
            "azure",
        ),
    ];
    for (source, template, provider) in sources {
        let plain = template.replace(", LABELS", "").replace("LABELS", "");
        // Declared and approved: nothing to say.
        let f = judged_per_source(&plain, provider, "2027-05-10", true);
        assert_eq!(f, vec![], "{source}: declared and approved");
        // Undeclared: the clock of an undeclared tenancy, its deadline in the finding.
        let f = judged_per_source(&plain, provider, "2027-05-10", false);
        assert_eq!(f.len(), 1, "{source}: undeclared: {f:?}");
        assert_eq!(
            (f[0].action, f[0].articles.as_slice()),
            (Action::Warn, &["10".to_string()][..]),
            "{source}"
        );
        assert_eq!(
            f[0].deadline.map(|d| d.to_string()).as_deref(),
            Some("2027-03-01"),
            "{source}"
        );
        assert!(
            f[0].message.contains("declared by no CloudTenancy"),
            "{source}: {}",
            f[0].message
        );
        // Declared, but its approval expired: the tenancy's state, not a pass.
        let f = judged_per_source(&plain, provider, "2026-10-31", true);
        assert_eq!(f.len(), 1, "{source}: expired: {f:?}");
        assert_eq!(f[0].state.as_deref(), Some("ExceptionExpired"), "{source}");
        assert!(
            f[0].message
                .contains(&format!("CloudTenancy mef-{provider}-test")),
            "{source}: {}",
            f[0].message
        );
        // Top-secret data in a foreign cloud: denied, even declared and approved.
        let secret = template.replace("LABELS", "digital.gov.kh/data-class: top-secret");
        let f = judged_per_source(&secret, provider, "2027-05-10", true);
        assert!(
            f.iter()
                .any(|f| f.action == Action::Deny && f.articles.iter().any(|a| a == "26")),
            "{source}: top-secret: {f:?}"
        );
    }
}

#[test]
fn an_unknown_class_on_a_cloud_resource_is_a_denial_not_a_skipped_check() {
    let v2 = "apiVersion: s3.aws.m.upbound.io/v1beta1\nkind: Bucket\nmetadata: {name: files, namespace: mef-open-budget, labels: {digital.gov.kh/data-class: secretish}}\n";
    let f = judged(v2, "files", &[]);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(
        (f[0].action, f[0].articles.as_slice()),
        (Action::Deny, &["25".to_string()][..])
    );
    assert!(
        f[0].message.contains("\"secretish\", which does not exist"),
        "{}",
        f[0].message
    );
}

#[test]
fn only_the_platform_assigns_a_cluster_scoped_cloud_resource_to_a_ministry() {
    use govkh_core::evaluate::{Evaluator, Operation, Review};
    let (inv, _) = Inventory::build(common::examples().objects);
    let lib = Library::builtin().unwrap();
    let evaluator = Evaluator::new(&inv, &lib, now(), &[]);
    let config: serde_json::Value = serde_yaml_value(
        "apiVersion: aws.upbound.io/v1beta1\nkind: ProviderConfig\nmetadata: {name: mef-aws, labels: {digital.gov.kh/ministry: mef}}\n",
    );
    let review = |groups: &[&str], old: Option<serde_json::Value>| Review {
        operation: if old.is_some() {
            Operation::Update
        } else {
            Operation::Create
        },
        object: config.clone(),
        old_object: old,
        user_info: Some(serde_json::json!({"username": "sok", "groups": groups})),
        source: None,
    };
    let assigned = |r: &Review| {
        evaluator
            .review(r)
            .into_iter()
            .filter(|f| f.policy == POLICY_CLOUD && f.message.contains("may not assign"))
            .collect::<Vec<_>>()
    };
    let by_dtu = assigned(&review(&["moeys-dtu"], None));
    assert_eq!(by_dtu.len(), 1, "{by_dtu:?}");
    assert_eq!(by_dtu[0].action, Action::Deny);
    assert!(
        by_dtu[0].message.contains("groups moeys-dtu"),
        "{}",
        by_dtu[0].message
    );
    assert!(assigned(&review(&["govkh-platform"], None)).is_empty());
    // Left as it was: anyone may update the rest of it.
    assert!(assigned(&review(&["moeys-dtu"], Some(config.clone()))).is_empty());
    // A file has no submitter: nothing to judge.
    assert!(
        evaluator
            .review(&Review::create(config.clone(), None))
            .iter()
            .all(|f| !f.message.contains("may not assign"))
    );
}

fn serde_yaml_value(text: &str) -> serde_json::Value {
    load(text).objects.into_iter().next().unwrap().raw
}
