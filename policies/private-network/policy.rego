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
	"titleKm": "បណ្តាញឯកជនរបស់រាជរដ្ឋាភិបាល ឬបណ្តាញជំនួសដែលបានអនុម័ត",
	"fixKm": "ភ្ជាប់តាមបណ្តាញឯកជនរបស់រាជរដ្ឋាភិបាល ឬស្នើសុំការអនុម័តពីគណៈកម្មាធិការសម្រាប់បណ្តាញជំនួសជាមុនសិន",
	"articles": ["9"],
	"configuration": ["private-network-addresses"],
	"readings": ["approval-end"],
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

# The same, for the Khmer message.
approval_state_km := {
	"missing": "មិនមាន",
	"not yet requested": "មិនទាន់បានស្នើ",
	"Pending": "កំពុងរង់ចាំការសម្រេច",
	"InForce": "មានសុពលភាពសម្រាប់តំណផ្សេង",
	"Denied": "ត្រូវបានបដិសេធ",
	"Expired": "ផុតសុពលភាពហើយ",
}

violation contains object.union({"msg": msg, "msg_km": msg_km}, awaiting(state)) if {
	link.network == "alternative"
	not approved
	state := approval_state
	msg := sprintf("PrivateNetworkLink %s runs over an alternative network, but its approval %q is %s (not in force for this link): use the government private network or obtain the committee's approval (Art. 9)", [lib.obj.metadata.name, object.get(link, "approval", ""), state])
	msg_km := sprintf("PrivateNetworkLink %s ដំណើរការលើបណ្តាញជំនួស ប៉ុន្តែការអនុម័ត %q របស់វា %s (មិនមានសុពលភាពសម្រាប់តំណនេះ)៖ សូមប្រើបណ្តាញឯកជនរបស់រាជរដ្ឋាភិបាល ឬស្នើសុំការអនុម័តពីគណៈកម្មាធិការ (មាត្រា 9)", [lib.obj.metadata.name, object.get(link, "approval", ""), object.get(approval_state_km, state, state)])
}

# A link whose approval is not there yet or not yet decided opens nothing (the link reconciler
# waits, AwaitingApproval): admission admits it, so a link and its approval need no order. A
# denied or ended approval is a decision: the link is refused.
awaiting(state) := {"awaits": "Approval"} if {
	{"missing", "not yet requested", "Pending"}[state]
} else := {}

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

violation contains {"msg": msg, "msg_km": msg_km, "action": "warn"} if {
	lib.ministry
	some cidr in outside
	msg := sprintf("NetworkPolicy %s/%s allows egress to %s, outside the government private network %s: other networks need the committee's approval (Art. 9)", [lib.namespace, lib.obj.metadata.name, cidr, concat(", ", cidrs)])
	msg_km := sprintf("NetworkPolicy %s/%s អនុញ្ញាតឱ្យចេញទៅ %s ដែលនៅក្រៅបណ្តាញឯកជនរបស់រាជរដ្ឋាភិបាល %s៖ បណ្តាញផ្សេងទៀតត្រូវមានការអនុម័តពីគណៈកម្មាធិការ (មាត្រា 9)", [lib.namespace, lib.obj.metadata.name, cidr, concat(", ", cidrs)])
}
