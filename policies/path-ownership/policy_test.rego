package govkh.path_ownership_test

import data.govkh.path_ownership

inventory := {
	"governmentCloud": {"spec": {"privateNetwork": {"cidrs": ["10.80.0.0/12"]}}},
	"namespaces": {
		"mef-tax": {"ministry": "mef", "exists": true},
		"gdt-api": {"ministry": "gdt", "exists": true},
		"victim": {"exists": true},
		"contested": {"claimants": ["a", "b"]},
	},
}

link(from, to) := {"review": {"operation": "CREATE", "object": {"kind": "PrivateNetworkLink", "metadata": {"name": "l"}, "spec": {"from": from, "to": to}}}, "inventory": inventory}

test_a_link_between_the_named_ministries_own_namespaces_is_allowed if {
	count(path_ownership.violation) == 0 with input as link({"ministry": "mef", "namespaces": ["mef-tax"]}, {"ministry": "gdt", "namespaces": ["gdt-api"]})
}

test_a_link_into_another_ministrys_or_nobodys_namespace_is_refused if {
	count(path_ownership.violation) == 1 with input as link({"ministry": "mef", "namespaces": ["mef-tax"]}, {"ministry": "gdt", "namespaces": ["mef-tax"]})
	count(path_ownership.violation) == 1 with input as link({"ministry": "mef", "namespaces": ["victim"]}, {"ministry": "gdt"})
	count(path_ownership.violation) == 1 with input as link({"ministry": "mef"}, {"ministry": "gdt", "namespaces": ["contested"]})
	count(path_ownership.violation) == 1 with input as link({"ministry": "mef", "namespaces": ["kube-system"]}, {"ministry": "gdt"})
}

test_a_namespace_not_made_yet_is_waited_for if {
	count(path_ownership.violation) == 0 with input as link({"ministry": "mef"}, {"ministry": "gdt", "namespaces": ["gdt-later"]})
}

test_cidrs_must_lie_inside_the_private_network if {
	count(path_ownership.violation) == 0 with input as link({"ministry": "mef"}, {"cidrs": ["10.80.4.0/24"]})
	count(path_ownership.violation) == 2 with input as link({"ministry": "mef"}, {"cidrs": ["0.0.0.0/0", "10.0.0.0/8"]})
}

test_a_grant_names_only_the_owners_namespaces if {
	g := {"review": {"operation": "CREATE", "object": {"kind": "DataAccessGrant", "metadata": {"name": "g"}, "spec": {"owner": "gdt", "namespaces": ["gdt-api", "mef-tax"]}}}, "inventory": inventory}
	count(path_ownership.violation) == 1 with input as g
}
