# Art. 4, 9, 10: approvals are the Digital Government Committee's decisions. A ministry files its
# written request as an Approval without a decision (whose ministry may file it is the
# `ministry-authority` policy's question); only a member of the committee's groups
# (input.config.committeeGroups, default ["digital-government-committee"]) writes or changes the
# decision and its validity (`decision`, `validUntil`), or deletes a decided Approval (a
# revocation). A file has no submitter: `govkh check` judges it by this policy only with
# --as-user; the audit never.
package govkh.approval_authority

import data.govkh.lib

metadata := {
	"id": "approval-authority",
	"title": "Only the committee decides on requests",
	"fix": "file the request without a decision and ask the Digital Government Committee: only members of its groups (digital-government-committee) write, change or revoke a decision",
	"titleKm": "មានតែគណៈកម្មាធិការទេ ដែលសម្រេចលើសំណើ",
	"fixKm": "ដាក់សំណើដោយគ្មានការសម្រេច ហើយស្នើទៅគណៈកម្មាធិការរដ្ឋាភិបាលឌីជីថល៖ មានតែសមាជិកក្រុមរបស់ខ្លួន (digital-government-committee) ទេ ដែលសរសេរ កែប្រែ ឬដកហូតការសម្រេច",
	"articles": ["4", "9", "10"],
	"configuration": ["groups"],
	"severity": "critical",
	"action": "deny",
	"kinds": ["Approval"],
	"operations": ["CREATE", "UPDATE", "DELETE"],
}

# The request's verb, for the Khmer message.
operation_km := {"CREATE": "បង្កើត", "UPDATE": "កែប្រែ", "DELETE": "លុប", "CONNECT": "ភ្ជាប់"}

# The decision of an Approval: the verdict and how long it holds.
decision_of(o) := [object.get(o.spec, "decision", null), object.get(o.spec, "validUntil", null)]

decides if {
	lib.operation == "CREATE"
	lib.obj.spec.decision
}

decides if {
	lib.operation == "UPDATE"
	decision_of(lib.obj) != decision_of(lib.old)
}

decides if {
	lib.operation == "DELETE"
	lib.obj.spec.decision
}

violation contains {"msg": msg, "msg_km": msg_km} if {
	lib.obj.kind == "Approval"
	lib.user
	decides
	not lib.is_committee
	msg := sprintf("%s (groups %s) may not %s the decision of Approval %s: only the Digital Government Committee (groups %s) decides on requests (Art. 4, 9, 10)", [lib.user_name, lib.groups_text, lower(lib.operation), lib.obj.metadata.name, concat(", ", lib.committee_groups)])
	msg_km := sprintf("%s (ក្រុម %s) គ្មានសិទ្ធិ %s ការសម្រេចនៃការអនុម័ត (Approval) %s ទេ៖ មានតែគណៈកម្មាធិការរដ្ឋាភិបាលឌីជីថល (ក្រុម %s) ទេ ដែលសម្រេចលើសំណើ (មាត្រា 4, 9, 10)", [lib.user_name, lib.groups_text, object.get(operation_km, lib.operation, lib.operation), lib.obj.metadata.name, concat(", ", lib.committee_groups)])
}
