//! The admission webhook's registration for a govkh reached by URL (outside the cluster).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    LabelSelector, LabelSelectorRequirement, ObjectMeta,
};

pub use crate::api::{FIELD_MANAGER, LABEL_MANAGED_BY};

use super::*;

/// The ValidatingWebhookConfiguration that sends admission to a govkh reached by `url` (an
/// operator running outside the cluster, as the real-cluster suite runs it), trusting
/// `ca_bundle` (PEM). The same webhook as the chart's: the rules `govkh rbac` generates,
/// `failurePolicy: Fail`, the system namespaces left out.
pub fn webhook_configuration(
    name: &str,
    url: &str,
    ca_bundle: &[u8],
) -> k8s_openapi::api::admissionregistration::v1::ValidatingWebhookConfiguration {
    use k8s_openapi::{
        ByteString,
        api::admissionregistration::v1::{
            ValidatingWebhook, ValidatingWebhookConfiguration, WebhookClientConfig,
        },
    };
    // What both webhooks share: the URL, `failurePolicy: Fail`, the system namespaces left out.
    let base = |name: &str| ValidatingWebhook {
        name: name.into(),
        admission_review_versions: vec!["v1".into()],
        side_effects: "None".into(),
        timeout_seconds: Some(10),
        failure_policy: Some("Fail".into()),
        match_policy: Some("Equivalent".into()),
        client_config: WebhookClientConfig {
            url: Some(url.to_string()),
            ca_bundle: Some(ByteString(ca_bundle.to_vec())),
            service: None,
        },
        namespace_selector: Some(LabelSelector {
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: "kubernetes.io/metadata.name".into(),
                operator: "NotIn".into(),
                values: Some(vec![
                    "kube-system".into(),
                    "kube-public".into(),
                    "kube-node-lease".into(),
                ]),
            }]),
            match_labels: None,
        }),
        ..Default::default()
    };
    let mut webhooks = vec![
        ValidatingWebhook {
            rules: Some(crate::provision::rbac::webhook_rules()),
            ..base("validate.digital.gov.kh")
        },
        // The fence: govkh's kinds (and Namespaces with the labels govkh derives), every
        // namespace, always Fail.
        ValidatingWebhook {
            rules: Some(crate::provision::rbac::fence_webhook_rules()),
            match_conditions: Some(crate::provision::rbac::fence_match_conditions()),
            namespace_selector: None,
            ..base("fence.validate.digital.gov.kh")
        },
    ];
    // The cloud resources of the catalogue (which the built-in library's loading has already
    // checked).
    if let Ok(catalogue) = crate::clouds::Catalogue::builtin() {
        webhooks.push(ValidatingWebhook {
            rules: Some(crate::provision::rbac::cloud_webhook_rules()),
            match_conditions: Some(crate::provision::rbac::cloud_match_conditions(&catalogue)),
            ..base("clouds.validate.digital.gov.kh")
        });
    }
    ValidatingWebhookConfiguration {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            labels: Some(labels(&[(LABEL_MANAGED_BY, FIELD_MANAGER)])),
            ..Default::default()
        },
        webhooks: Some(webhooks),
    }
}

#[cfg(test)]
mod webhook_tests {
    use super::*;

    #[test]
    fn a_webhook_registered_by_url_is_the_charts_webhook_with_a_url() {
        let c = webhook_configuration("govkh-e2e", "https://127.0.0.1:18443/validate", b"PEM");
        let v = serde_json::to_value(&c).unwrap();
        let w = &v["webhooks"][0];
        assert_eq!(v["metadata"]["name"], "govkh-e2e");
        assert_eq!(w["clientConfig"]["url"], "https://127.0.0.1:18443/validate");
        assert_eq!(w["clientConfig"]["caBundle"], "UEVN", "base64 of the PEM");
        assert!(w["clientConfig"].get("service").is_none());
        assert_eq!(w["failurePolicy"], "Fail");
        assert_eq!(w["sideEffects"], "None");
        assert_eq!(
            w["rules"],
            serde_json::to_value(crate::provision::rbac::webhook_rules()).unwrap()
        );
        assert_eq!(
            w["namespaceSelector"]["matchExpressions"][0]["values"],
            serde_json::json!(["kube-system", "kube-public", "kube-node-lease"])
        );
        // The fence: govkh's kinds, created, changed and deleted, and Namespaces, in every
        // namespace.
        let f = &v["webhooks"][1];
        assert_eq!(f["name"], "fence.validate.digital.gov.kh");
        assert_eq!(f["failurePolicy"], "Fail");
        assert!(f.get("namespaceSelector").is_none());
        assert_eq!(
            f["rules"],
            serde_json::to_value(crate::provision::rbac::fence_webhook_rules()).unwrap()
        );
        // The cloud resources, by the catalogue's groups.
        let c = &v["webhooks"][2];
        assert_eq!(c["name"], "clouds.validate.digital.gov.kh");
        assert_eq!(c["clientConfig"]["url"], "https://127.0.0.1:18443/validate");
        let e = c["matchConditions"][0]["expression"].as_str().unwrap();
        assert!(
            e.contains("request.kind.group.endsWith('.services.k8s.aws')"),
            "{e}"
        );
        assert!(e.contains("request.kind.group == 'aws.upbound.io'"), "{e}");
    }
}
