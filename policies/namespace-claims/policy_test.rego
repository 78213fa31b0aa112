package govkh.namespace_claims_test

import data.govkh.namespace_claims

tenancy(name, namespaces) := {"kind": "CloudTenancy", "metadata": {"name": name}, "spec": {"ministry": "moeys", "namespaces": namespaces}}

with_namespaces(t, namespaces) := {"review": {"operation": "CREATE", "object": t}, "inventory": {"namespaces": namespaces}}

test_a_new_namespace_is_created if {
	i := with_namespaces(tenancy("moeys-core", [{"name": "moeys-app"}]), {"moeys-app": {"claimants": ["moeys-core"]}})
	count(namespace_claims.violation) == 0 with input as i
}

test_a_namespace_declared_by_another_tenancy_is_refused if {
	i := with_namespaces(tenancy("moeys-core", [{"name": "mef-tax"}]), {"mef-tax": {"claimants": ["mef-core"], "exists": true, "recorded": "mef-core", "ministry": "mef", "tenancy": "mef-core"}})
	count(namespace_claims.violation) == 2 with input as i
}

test_an_existing_namespace_is_refused_unless_handed_over if {
	ns := {"victim": {"exists": true, "claimants": []}}
	count(namespace_claims.violation) == 1 with input as with_namespaces(tenancy("moeys-core", [{"name": "victim"}]), ns)
	count(namespace_claims.violation) == 0 with input as with_namespaces(tenancy("moeys-core", [{"name": "victim", "adopt": true}]), ns)
}

test_its_own_namespace_is_kept if {
	ns := {"moeys-app": {"exists": true, "claimants": ["moeys-core"], "recorded": "moeys-core", "ministry": "moeys", "tenancy": "moeys-core"}}
	count(namespace_claims.violation) == 0 with input as with_namespaces(tenancy("moeys-core", [{"name": "moeys-app"}]), ns)
}

test_a_tenancy_of_the_same_name_but_another_ministry_takes_nothing if {
	ns := {"mef-tax": {"exists": true, "claimants": [], "recorded": "moeys-core", "ministry": "mef"}}
	count(namespace_claims.violation) == 1 with input as with_namespaces(tenancy("moeys-core", [{"name": "mef-tax"}]), ns)
}

test_reserved_namespaces_are_left_to_reserved_namespaces if {
	ns := {"kube-system": {"exists": true, "claimants": []}}
	count(namespace_claims.violation) == 0 with input as with_namespaces(tenancy("moeys-core", [{"name": "kube-system"}]), ns)
}
