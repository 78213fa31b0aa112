# Art. 9, 10: approvals are the Digital Government Committee's decisions. At admission, an
# Approval may be created or changed only by a member of the committee's group
# (input.config.committeeGroups, default ["digital-government-committee"]). Offline checks
# have no user and are not judged by this policy.
package govkh.approval_authority

import data.govkh.lib

metadata := {
	"id": "approval-authority",
	"title": "Only the committee writes Approvals",
	"fix": "ask the Digital Government Committee: only members of its group (digital-government-committee) create or change Approvals",
	"articles": ["9", "10"],
	"severity": "critical",
	"action": "deny",
	"kinds": ["Approval"],
	"operations": ["CREATE", "UPDATE"],
}

default_groups := ["digital-government-committee"]

committee_groups := object.get(object.get(input, "config", {}), "committeeGroups", default_groups)

user := input.review.userInfo

violation contains {"msg": msg} if {
	lib.obj.kind == "Approval"
	input.review.operation in {"CREATE", "UPDATE"}
	user
	groups := {g | some g in object.get(user, "groups", [])}
	count(groups & {g | some g in committee_groups}) == 0
	msg := sprintf("%s may not %s Approval %s: only the Digital Government Committee (groups %s) decides on requests (Art. 9, 10)", [object.get(user, "username", "this user"), lower(input.review.operation), lib.obj.metadata.name, concat(", ", committee_groups)])
}
