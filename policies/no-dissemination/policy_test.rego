package govkh.no_dissemination_test

import data.govkh.no_dissemination

inventory := {
	"namespaces": {
		"moh-registry": {"ministry": "moh", "dataClass": "top-secret"},
		"moh-records": {"ministry": "moh", "dataClass": "confidential"},
		"moh-portal": {"ministry": "moh", "dataClass": "open"},
		"mef-tax": {"ministry": "mef", "dataClass": "confidential"},
	},
	"dataClasses": {
		"top-secret": {"spec": {"level": "top-secret", "sharing": "Prohibited", "publicExposure": false}},
		"confidential": {"spec": {"level": "confidential", "sharing": "WithGrant", "publicExposure": false}},
		"open": {"spec": {"level": "open", "sharing": "Allowed", "publicExposure": true}},
	},
	"grants": {"g": {"state": "Active", "spec": {"owner": "moh", "grantee": {"ministry": "mef"}, "namespaces": ["moh-records"]}}},
	"activeGrants": {"moh/mef/moh-records": ["g"]},
	"ministryNamespaces": {"moh": ["moh-portal", "moh-records", "moh-registry"], "mef": ["mef-tax"]},
}

service(ns, type) := {"review": {"object": {"kind": "Service", "metadata": {"name": "s", "namespace": ns}, "spec": {"type": type}}}, "inventory": inventory}

link(to) := {"review": {"object": {"kind": "PrivateNetworkLink", "metadata": {"name": "l"}, "spec": {"from": {"ministry": "mef"}, "to": to}}}, "inventory": inventory}

test_load_balancer_for_top_secret_denied if {
	count(no_dissemination.violation) == 1 with input as service("moh-registry", "LoadBalancer")
}

test_node_port_for_confidential_denied if {
	count(no_dissemination.violation) == 1 with input as service("moh-records", "NodePort")
}

test_cluster_ip_allowed if {
	count(no_dissemination.violation) == 0 with input as service("moh-registry", "ClusterIP")
}

test_public_service_for_open_data_allowed if {
	count(no_dissemination.violation) == 0 with input as service("moh-portal", "LoadBalancer")
}

test_link_into_top_secret_denied if {
	count(no_dissemination.violation) == 1 with input as link({"ministry": "moh", "namespaces": ["moh-registry"]})
}

test_link_into_confidential_with_active_grant_allowed if {
	count(no_dissemination.violation) == 0 with input as link({"ministry": "moh", "namespaces": ["moh-records"]})
}

test_link_into_confidential_without_grant_denied if {
	expired := object.union(object.remove(inventory, ["activeGrants"]), {"grants": {"g": {"state": "Expired"}}})
	i := {"review": link({"ministry": "moh", "namespaces": ["moh-records"]}).review, "inventory": expired}
	count(no_dissemination.violation) == 1 with input as i
}

test_link_to_all_namespaces_reaches_the_top_secret_one if {
	vs := no_dissemination.violation with input as link({"ministry": "moh"})
	count(vs) == 1
}

test_link_to_a_shared_service_cidr_is_not_checked_here if {
	count(no_dissemination.violation) == 0 with input as link({"cidrs": ["10.80.4.0/24"]})
}

grant(class, namespaces) := {"review": {"object": {"kind": "DataAccessGrant", "metadata": {"name": "g"}, "spec": {"owner": "moh", "grantee": {"ministry": "mef"}, "dataClass": class, "namespaces": namespaces}}}, "inventory": inventory}

test_a_grant_of_top_secret_data_is_denied if {
	count(no_dissemination.violation) == 1 with input as grant("top-secret", ["moh-records"])
}

test_a_grant_into_a_top_secret_namespace_is_denied if {
	count(no_dissemination.violation) == 1 with input as grant("confidential", ["moh-registry"])
}

test_a_grant_of_confidential_data_is_for_the_owner_to_give if {
	count(no_dissemination.violation) == 0 with input as grant("confidential", ["moh-records"])
}

test_an_unknown_class_named_top_secret_is_taken_at_its_word if {
	i := object.union(grant("top-secret", []), {"inventory": {"dataClasses": {}}})
	count(no_dissemination.violation) == 1 with input as i
}

public_inventory(personal, consented) := object.union(inventory, {
	"namespaces": object.union(inventory.namespaces, {"moh-records": {"ministry": "moh", "dataClass": "confidential", "personalData": personal}}),
	"publicGrants": {"moh/moh-records": ["p"], "moh/moh-registry": ["p"]},
	"publicConsentGrants": {k: v | some k, v in {"moh/moh-records": ["p"]}; consented},
})

exposed(ns, personal, consented) := {"review": {"object": {"kind": "Service", "metadata": {"name": "s", "namespace": ns}, "spec": {"type": "LoadBalancer"}}}, "inventory": public_inventory(personal, consented)}

test_confidential_exposed_under_a_grant_to_the_public_allowed if {
	count(no_dissemination.violation) == 0 with input as exposed("moh-records", false, false)
}

test_personal_data_exposed_only_under_a_consented_public_grant if {
	count(no_dissemination.violation) == 1 with input as exposed("moh-records", true, false)
	count(no_dissemination.violation) == 0 with input as exposed("moh-records", true, true)
}

test_top_secret_never_exposed_whatever_is_granted if {
	count(no_dissemination.violation) == 1 with input as exposed("moh-registry", false, false)
}

test_a_grant_to_the_public_of_another_ministry_authorises_nothing if {
	inv := object.union(inventory, {"publicGrants": {"mef/moh-records": ["p"]}})
	count(no_dissemination.violation) == 1 with input as {"review": {"object": {"kind": "Service", "metadata": {"name": "s", "namespace": "moh-records"}, "spec": {"type": "NodePort"}}}, "inventory": inv}
}

own_link(to) := {"review": {"object": {"kind": "PrivateNetworkLink", "metadata": {"name": "l"}, "spec": {"from": {"ministry": "moh", "namespaces": ["moh-records"]}, "to": {"ministry": "moh", "namespaces": to}}}}, "inventory": inventory}

test_a_link_within_a_ministry_into_its_top_secret_namespace_denied if {
	count(no_dissemination.violation) == 1 with input as own_link(["moh-registry"])
	count(no_dissemination.violation) == 0 with input as own_link(["moh-portal"])
}
