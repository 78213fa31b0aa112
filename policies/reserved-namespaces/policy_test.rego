package govkh.reserved_namespaces_test

import data.govkh.reserved_namespaces

tenancy(namespaces) := {"review": {"operation": "CREATE", "object": {"kind": "CloudTenancy", "metadata": {"name": "t"}, "spec": {"ministry": "moeys", "namespaces": namespaces}}}, "config": {"reservedNamespaces": ["default", "govkh-system", "monitoring"]}}

test_system_namespaces_are_refused if {
	count(reserved_namespaces.violation) == 2 with input as tenancy([{"name": "kube-system"}, {"name": "kube-public"}])
}

test_default_govkhs_own_and_exempt_ones_are_refused if {
	count(reserved_namespaces.violation) == 3 with input as tenancy([{"name": "default"}, {"name": "govkh-system"}, {"name": "monitoring"}])
}

test_a_ministrys_own_namespace_is_not_reserved if {
	count(reserved_namespaces.violation) == 0 with input as tenancy([{"name": "moeys-app"}, {"name": "kubeflow-moeys"}])
}
