package govkh.approval_authority_test

import data.govkh.approval_authority

review(op, groups) := {"review": {"operation": op, "object": {"kind": "Approval", "metadata": {"name": "a"}}, "userInfo": {"username": "sok", "groups": groups}}}

test_committee_member_may_create if {
	count(approval_authority.violation) == 0 with input as review("CREATE", ["system:authenticated", "digital-government-committee"])
}

test_ministry_user_may_not_create if {
	count(approval_authority.violation) == 1 with input as review("CREATE", ["mef-dtu"])
}

test_ministry_user_may_not_update if {
	count(approval_authority.violation) == 1 with input as review("UPDATE", ["mef-dtu"])
}

test_configured_group_is_honoured if {
	i := object.union(review("CREATE", ["dgc-secretariat"]), {"config": {"committeeGroups": ["dgc-secretariat"]}})
	count(approval_authority.violation) == 0 with input as i
}

test_offline_check_without_user_is_not_judged if {
	count(approval_authority.violation) == 0 with input as {"review": {"operation": "CREATE", "object": {"kind": "Approval", "metadata": {"name": "a"}}}}
}
