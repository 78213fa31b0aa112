# Art. 9: ministries use the government private network, and another network only with the
# committee's written approval. A PrivateNetworkLink over an alternative network needs an
# Approval in force for that link; NetworkPolicies in ministry namespaces that allow egress
# outside the private network's CIDRs are flagged.
package govkh.private_network

import data.govkh.lib

metadata := {
	"id": "private-network",
	"title": "The government private network, or an approved alternative",
	"fix": "connect over the government private network, or obtain the committee's Approval for the alternative network first",
	"articles": ["9"],
	"severity": "high",
	"action": "deny",
	"kinds": ["PrivateNetworkLink", "NetworkPolicy"],
}

link := lib.obj.spec if lib.obj.kind == "PrivateNetworkLink"

approval := input.inventory.approvals[link.approval]

approved if {
	approval.state == "InForce"
	approval.spec.subject.kind == "PrivateNetworkLink"
	approval.spec.subject.name == lib.obj.metadata.name
}

# How the named approval stands today, in words.
approval_state := approval.state

approval_state := "not yet requested" if {
	approval
	not approval.state
}

approval_state := "missing" if not approval

violation contains {"msg": msg} if {
	link.network == "alternative"
	not approved
	state := approval_state
	msg := sprintf("PrivateNetworkLink %s runs over an alternative network, but its approval %q is %s (not in force for this link): use the government private network or obtain the committee's approval (Art. 9)", [lib.obj.metadata.name, object.get(link, "approval", ""), state])
}

cidrs := input.inventory.governmentCloud.spec.privateNetwork.cidrs

inside_private(cidr) if {
	some p in cidrs
	net.cidr_contains(p, cidr)
}

# Egress the policy allows outside the private network (including "anywhere").
outside contains cidr if {
	lib.obj.kind == "NetworkPolicy"
	some rule in lib.obj.spec.egress
	some peer in rule.to
	cidr := peer.ipBlock.cidr
	not inside_private(cidr)
}

outside contains "0.0.0.0/0 (an egress rule without destinations)" if {
	lib.obj.kind == "NetworkPolicy"
	some rule in lib.obj.spec.egress
	count(object.get(rule, "to", [])) == 0
}

violation contains {"msg": msg, "action": "warn"} if {
	lib.ministry
	some cidr in outside
	msg := sprintf("NetworkPolicy %s/%s allows egress to %s, outside the government private network %s: other networks need the committee's approval (Art. 9)", [lib.namespace, lib.obj.metadata.name, cidr, concat(", ", cidrs)])
}
