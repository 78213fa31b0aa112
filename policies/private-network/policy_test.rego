package govkh.private_network_test

import data.govkh.private_network

inventory(state) := {
	"governmentCloud": {"spec": {"privateNetwork": {"cidrs": ["10.80.0.0/12"]}}},
	"namespaces": {"mef-tax": {"ministry": "mef"}},
	"approvals": {"mw": {"state": state, "spec": {"subject": {"kind": "PrivateNetworkLink", "name": "l"}}}},
}

link(network, state) := {"review": {"object": {"kind": "PrivateNetworkLink", "metadata": {"name": "l"}, "spec": {"network": network, "approval": "mw"}}}, "inventory": inventory(state)}

netpol(ns, egress) := {"review": {"object": {"kind": "NetworkPolicy", "metadata": {"name": "np", "namespace": ns}, "spec": {"egress": egress}}}, "inventory": inventory("InForce")}

test_alternative_with_approval_in_force_allowed if {
	count(private_network.violation) == 0 with input as link("alternative", "InForce")
}

test_alternative_with_expired_approval_denied if {
	count(private_network.violation) == 1 with input as link("alternative", "Expired")
}

test_alternative_with_pending_approval_denied if {
	count(private_network.violation) == 1 with input as link("alternative", "Pending")
}

test_private_network_needs_no_approval if {
	count(private_network.violation) == 0 with input as link("government-private", "Denied")
}

test_egress_inside_the_private_network_allowed if {
	count(private_network.violation) == 0 with input as netpol("mef-tax", [{"to": [{"ipBlock": {"cidr": "10.80.4.0/24"}}]}])
}

test_egress_to_anywhere_flagged_as_warning if {
	vs := private_network.violation with input as netpol("mef-tax", [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}])
	count(vs) == 1
	some v in vs
	v.action == "warn"
}

test_egress_rule_without_destinations_flagged if {
	count(private_network.violation) == 1 with input as netpol("mef-tax", [{"ports": [{"port": 443}]}])
}

test_non_ministry_namespaces_ignored if {
	count(private_network.violation) == 0 with input as netpol("kube-system", [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}])
}

test_the_message_says_how_the_approval_stands if {
	vs := private_network.violation with input as link("alternative", "Expired")
	some v in vs
	contains(v.msg, "is Expired")
	missing := {"review": link("alternative", "x").review, "inventory": {"approvals": {}}}
	ws := private_network.violation with input as missing
	some w in ws
	contains(w.msg, "is missing")
}
