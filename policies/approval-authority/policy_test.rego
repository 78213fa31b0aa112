package govkh.approval_authority_test

import data.govkh.approval_authority

request := {"subject": {"kind": "CloudTenancy", "name": "t"}, "request": {"requestedOn": "2026-04-20"}}

approval(true) := {"kind": "Approval", "metadata": {"name": "a"}, "spec": object.union(request, {"decision": {"verdict": "Approved", "decidedOn": "2026-05-01"}})}

approval(false) := {"kind": "Approval", "metadata": {"name": "a"}, "spec": request}

review(op, decided, groups) := {"review": {"operation": op, "object": approval(decided), "userInfo": {"username": "sok", "groups": groups}}}

test_committee_member_may_decide if {
	count(approval_authority.violation) == 0 with input as review("CREATE", true, ["system:authenticated", "digital-government-committee"])
}

test_ministry_user_may_file_a_request if {
	count(approval_authority.violation) == 0 with input as review("CREATE", false, ["mef-dtu"])
}

test_ministry_user_may_not_decide if {
	count(approval_authority.violation) == 1 with input as review("CREATE", true, ["mef-dtu"])
}

test_ministry_user_may_not_change_a_decision if {
	i := object.union(review("UPDATE", true, ["mef-dtu"]), {"review": {"oldObject": approval(false)}})
	count(approval_authority.violation) == 1 with input as i
}

test_ministry_user_may_amend_a_pending_request if {
	i := object.union(review("UPDATE", false, ["mef-dtu"]), {"review": {"oldObject": approval(false)}})
	count(approval_authority.violation) == 0 with input as i
}

test_only_the_committee_revokes if {
	count(approval_authority.violation) == 1 with input as review("DELETE", true, ["mef-dtu"])
	count(approval_authority.violation) == 0 with input as review("DELETE", true, ["digital-government-committee"])
}

test_configured_group_is_honoured if {
	i := object.union(review("CREATE", true, ["dgc-secretariat"]), {"config": {"committeeGroups": ["dgc-secretariat"]}})
	count(approval_authority.violation) == 0 with input as i
}

test_offline_check_without_user_is_not_judged if {
	count(approval_authority.violation) == 0 with input as {"review": {"operation": "CREATE", "object": approval(true)}}
}
