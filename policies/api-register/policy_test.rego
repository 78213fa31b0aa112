package govkh.api_register_test

import data.govkh.api_register

inventory := {"namespaces": {"mef-tax": {"ministry": "mef"}, "elsewhere": {}}}

service(ns, annotations) := {"review": {"object": {"kind": "Service", "metadata": {"name": "api", "namespace": ns, "annotations": annotations}}}, "inventory": inventory}

complete := {
	"digital.gov.kh/api": "tax-declarations",
	"digital.gov.kh/api-specification": "https://api.mef.gov.kh/tax/openapi.json",
	"digital.gov.kh/api-versions": "v1, v2, v3",
	"digital.gov.kh/api-lifecycle": "stable",
}

test_a_complete_declaration_is_allowed if {
	count(api_register.violation) == 0 with input as service("mef-tax", complete)
	count(api_register.violation) == 0 with input as service("mef-tax", object.union(complete, {"digital.gov.kh/api-specification": "configmap:tax-openapi/openapi.yaml"}))
}

test_no_specification_is_a_finding if {
	count(api_register.violation) == 1 with input as service("mef-tax", object.remove(complete, ["digital.gov.kh/api-specification"]))
	count(api_register.violation) == 1 with input as service("mef-tax", object.union(complete, {"digital.gov.kh/api-specification": "ftp://x"}))
}

test_versions_and_life_cycle_are_read if {
	count(api_register.violation) == 1 with input as service("mef-tax", object.union(complete, {"digital.gov.kh/api-lifecycle": "forever"}))
	count(api_register.violation) == 1 with input as service("mef-tax", object.remove(complete, ["digital.gov.kh/api-versions"]))
	count(api_register.violation) == 1 with input as service("mef-tax", object.union(complete, {"digital.gov.kh/api-versions": "v1, latest"}))
}

test_fewer_than_three_versions_where_more_exist if {
	count(api_register.violation) == 1 with input as service("mef-tax", object.union(complete, {"digital.gov.kh/api-versions": "v4"}))
	count(api_register.violation) == 0 with input as service("mef-tax", object.union(complete, {"digital.gov.kh/api-versions": "v1, v2"}))
	count(api_register.violation) == 0 with input as service("mef-tax", object.union(complete, {"digital.gov.kh/api-versions": "v2, v3, v4beta1"}))
}

test_no_declaration_or_no_ministry_is_nothing if {
	count(api_register.violation) == 0 with input as service("mef-tax", {})
	count(api_register.violation) == 0 with input as service("elsewhere", {"digital.gov.kh/api": "x"})
}
