package govkh.platform_authority_test

import data.govkh.platform_authority

ministry(groups, domain) := {"kind": "Ministry", "metadata": {"name": "mef"}, "spec": {"displayName": "MEF", "domain": domain, "resourceLevel": "full", "digitalTransformationUnit": {"contactEmail": "dtu@mef.gov.kh", "groups": groups}}}

review(op, object, old, groups) := {"review": {"operation": op, "object": object, "oldObject": old, "userInfo": {"username": "sok", "groups": groups}}}

test_platform_writes_the_government_cloud if {
	gc := {"kind": "GovernmentCloud", "metadata": {"name": "national"}, "spec": {}}
	count(platform_authority.violation) == 0 with input as review("CREATE", gc, null, ["govkh-platform"])
	count(platform_authority.violation) == 1 with input as review("UPDATE", gc, gc, ["mef-dtu"])
}

test_a_dtu_may_not_create_or_delete_a_ministry if {
	m := ministry(["mef-dtu"], "mef.gov.kh")
	count(platform_authority.violation) == 1 with input as review("CREATE", m, null, ["mef-dtu"])
	count(platform_authority.violation) == 1 with input as review("DELETE", m, m, ["mef-dtu"])
}

test_a_dtu_may_amend_its_own_ministrys_names_but_not_its_groups_or_domain if {
	old := ministry(["mef-dtu"], "mef.gov.kh")
	renamed := object.union(old, {"spec": {"displayName": "Ministry of Economy and Finance"}})
	count(platform_authority.violation) == 0 with input as review("UPDATE", renamed, old, ["mef-dtu"])
	count(platform_authority.violation) == 1 with input as review("UPDATE", ministry(["mef-dtu", "outsiders"], "mef.gov.kh"), old, ["mef-dtu"])
	count(platform_authority.violation) == 1 with input as review("UPDATE", ministry(["mef-dtu"], "moh.gov.kh"), old, ["mef-dtu"])
}

test_another_ministrys_dtu_may_not_amend_a_ministry if {
	old := ministry(["mef-dtu"], "mef.gov.kh")
	renamed := object.union(old, {"spec": {"displayName": "Taken"}})
	count(platform_authority.violation) == 1 with input as review("UPDATE", renamed, old, ["moeys-dtu"])
}

test_only_the_platform_hands_a_namespace_over if {
	t := {"kind": "CloudTenancy", "metadata": {"name": "t"}, "spec": {"ministry": "mef", "namespaces": [{"name": "legacy", "adopt": true}]}}
	count(platform_authority.violation) == 1 with input as review("CREATE", t, null, ["mef-dtu"])
	count(platform_authority.violation) == 0 with input as review("CREATE", t, null, ["govkh-platform"])
	# Kept as the platform set it: a DTU may edit the rest of its tenancy.
	count(platform_authority.violation) == 0 with input as review("UPDATE", t, t, ["mef-dtu"])
}

test_offline_check_without_user_is_not_judged if {
	count(platform_authority.violation) == 0 with input as {"review": {"operation": "CREATE", "object": ministry([], "mef.gov.kh")}}
}
