# Art. 9, 10: approvals are the Digital Government Committee's decisions. At admission, an
# Approval may be created or changed only by a member of the committee's group
# (input.config.committeeGroups, default ["digital-government-committee"]). A file has no
# submitter: `govkh check` judges it by this policy only with --as-user; the audit never.
package govkh.approval_authority

import data.govkh.lib

metadata := {
	"id": "approval-authority",
	"title": "Only the committee writes Approvals",
	"fix": "ask the Digital Government Committee: only members of its group (digital-government-committee) create or change Approvals",
	"titleKm": "មានតែគណៈកម្មាធិការទេ ដែលសរសេរការអនុម័ត",
	"fixKm": "សូមទាក់ទងគណៈកម្មាធិការរដ្ឋាភិបាលឌីជីថល៖ មានតែសមាជិកក្រុមរបស់ខ្លួន (digital-government-committee) ទេ ដែលបង្កើត ឬកែប្រែការអនុម័ត (Approval)",
	"articles": ["9", "10"],
	"severity": "critical",
	"action": "deny",
	"kinds": ["Approval"],
	"operations": ["CREATE", "UPDATE"],
}

# The request's verb, for the Khmer message.
operation_km := {"CREATE": "បង្កើត", "UPDATE": "កែប្រែ", "DELETE": "លុប", "CONNECT": "ភ្ជាប់"}

default_groups := ["digital-government-committee"]

committee_groups := object.get(object.get(input, "config", {}), "committeeGroups", default_groups)

user := input.review.userInfo

violation contains {"msg": msg, "msg_km": msg_km} if {
	lib.obj.kind == "Approval"
	input.review.operation in {"CREATE", "UPDATE"}
	user
	groups := {g | some g in object.get(user, "groups", [])}
	count(groups & {g | some g in committee_groups}) == 0
	msg := sprintf("%s may not %s Approval %s: only the Digital Government Committee (groups %s) decides on requests (Art. 9, 10)", [object.get(user, "username", "this user"), lower(input.review.operation), lib.obj.metadata.name, concat(", ", committee_groups)])
	msg_km := sprintf("%s គ្មានសិទ្ធិ %s ការអនុម័ត (Approval) %s ទេ៖ មានតែគណៈកម្មាធិការរដ្ឋាភិបាលឌីជីថល (ក្រុម %s) ទេ ដែលសម្រេចលើសំណើ (មាត្រា 9, 10)", [object.get(user, "username", "អ្នកប្រើនេះ"), object.get(operation_km, input.review.operation, input.review.operation), lib.obj.metadata.name, concat(", ", committee_groups)])
}
