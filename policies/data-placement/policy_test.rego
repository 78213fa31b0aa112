package govkh.data_placement_test

import data.govkh.data_placement

inventory := {
	"namespaces": {
		"moh-leased": {"ministry": "moh", "placement": "government-leased", "dataClass": "confidential"},
		"moh-core": {"ministry": "moh", "placement": "government-private", "dataClass": "top-secret"},
	},
	"dataClasses": {
		"top-secret": {"spec": {"level": "top-secret", "allowedPlacements": ["government-private"]}},
		"confidential": {"spec": {"level": "confidential", "allowedPlacements": ["government-private", "government-leased"]}},
	},
}

pvc(ns, labels) := {"review": {"object": {"kind": "PersistentVolumeClaim", "metadata": {"name": "data", "namespace": ns, "labels": labels}}}, "inventory": inventory}

deployment(ns, labels) := {"review": {"object": {"kind": "Deployment", "metadata": {"name": "app", "namespace": ns}, "spec": {"template": {"metadata": {"labels": labels}}}}}, "inventory": inventory}

test_namespace_default_class_allowed if {
	count(data_placement.violation) == 0 with input as pvc("moh-leased", {})
}

test_top_secret_label_on_leased_cloud_denied if {
	count(data_placement.violation) == 1 with input as pvc("moh-leased", {"digital.gov.kh/data-class": "top-secret"})
}

test_top_secret_on_private_cloud_allowed if {
	count(data_placement.violation) == 0 with input as pvc("moh-core", {})
}

test_pod_template_label_counts_for_workloads if {
	count(data_placement.violation) == 1 with input as deployment("moh-leased", {"digital.gov.kh/data-class": "top-secret"})
	count(data_placement.violation) == 0 with input as deployment("moh-leased", {"app": "x"})
}

test_unknown_class_is_reported if {
	vs := data_placement.violation with input as pvc("moh-core", {"digital.gov.kh/data-class": "secret"})
	some v in vs
	contains(v.msg, "does not exist")
}

test_other_kinds_are_ignored if {
	i := {"review": {"object": {"kind": "ConfigMap", "metadata": {"name": "c", "namespace": "moh-leased", "labels": {"digital.gov.kh/data-class": "top-secret"}}}}, "inventory": inventory}
	count(data_placement.violation) == 0 with input as i
}

test_without_any_class_known_a_class_is_not_called_missing if {
	alone := {"review": {"object": {"kind": "PersistentVolumeClaim", "metadata": {"name": "data", "namespace": "x", "labels": {"digital.gov.kh/data-class": "confidential"}}}}, "inventory": {"namespaces": {}}}
	count(data_placement.violation) == 0 with input as alone
}
