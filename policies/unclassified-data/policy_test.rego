package govkh.unclassified_data_test

import data.govkh.unclassified_data

inventory := {"namespaces": {"mef-tax": {"ministry": "mef", "dataClass": "confidential"}, "mef-scratch": {"ministry": "mef"}}}

secret(ns, labels) := {"review": {"object": {"kind": "Secret", "metadata": {"name": "s", "namespace": ns, "labels": labels}}}, "inventory": inventory}

test_namespace_default_classifies if {
	count(unclassified_data.violation) == 0 with input as secret("mef-tax", {})
}

test_own_label_classifies if {
	count(unclassified_data.violation) == 0 with input as secret("mef-scratch", {"digital.gov.kh/data-class": "open"})
}

test_unclassified_is_flagged if {
	count(unclassified_data.violation) == 1 with input as secret("mef-scratch", {})
}

test_outside_ministry_namespaces_ignored if {
	count(unclassified_data.violation) == 0 with input as secret("kube-system", {})
}
