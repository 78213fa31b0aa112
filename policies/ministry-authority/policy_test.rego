package govkh.ministry_authority_test

import data.govkh.ministry_authority

inventory := {
	"ministries": {
		"mef": {"spec": {"digitalTransformationUnit": {"groups": ["mef-dtu"]}}},
		"gdt": {"spec": {"digitalTransformationUnit": {"groups": ["gdt-dtu"]}}},
	},
	"tenancies": {"mef-core": {"spec": {"ministry": "mef"}}},
	"links": {"mef-to-gdt": {"spec": {"from": {"ministry": "mef"}}}},
}

review(op, object, old, groups) := {
	"review": {"operation": op, "object": object, "oldObject": old, "userInfo": {"username": "sok", "groups": groups}},
	"inventory": inventory,
	"config": {"platformGroups": ["govkh-platform"], "committeeGroups": ["digital-government-committee"], "operatorUsers": ["system:serviceaccount:govkh-system:govkh"]},
}

denied(op, object, old, groups) := n if {
	n := count(ministry_authority.violation) with input as review(op, object, old, groups)
}

tenancy(m) := {"kind": "CloudTenancy", "metadata": {"name": "t"}, "spec": {"ministry": m}}

link(annotations, ports) := {"kind": "PrivateNetworkLink", "metadata": {"name": "mef-to-gdt", "annotations": annotations}, "spec": {"from": {"ministry": "mef"}, "to": {"ministry": "gdt"}, "ports": ports}}

grant(by) := {"kind": "DataAccessGrant", "metadata": {"name": "g"}, "spec": {"owner": "gdt", "grantee": {"ministry": "mef"}, "authorizedBy": by}}

test_a_dtu_writes_its_own_tenancy_and_never_anothers if {
	denied("CREATE", tenancy("mef"), null, ["mef-dtu"]) == 0
	denied("CREATE", tenancy("mef"), null, ["gdt-dtu"]) == 1
	denied("DELETE", tenancy("mef"), null, ["gdt-dtu"]) == 1
	denied("CREATE", tenancy("nobody"), null, ["mef-dtu"]) == 1
	denied("CREATE", tenancy("gdt"), null, ["govkh-platform"]) == 0
}

test_a_tenancy_cannot_be_moved_to_another_ministry_by_its_new_owner if {
	denied("UPDATE", tenancy("gdt"), tenancy("mef"), ["gdt-dtu"]) == 1
}

test_the_link_is_written_by_its_source_and_agreed_to_by_its_destination if {
	l := link({}, [443])
	denied("CREATE", l, null, ["mef-dtu"]) == 0
	denied("CREATE", l, null, ["gdt-dtu"]) == 1
	accepted := link({"digital.gov.kh/accepted-generation": "1"}, [443])
	denied("UPDATE", accepted, l, ["gdt-dtu"]) == 0
	denied("UPDATE", accepted, l, ["mef-dtu"]) == 1
	denied("UPDATE", accepted, l, ["govkh-platform"]) == 1
	# The destination agrees; it does not change the terms.
	denied("UPDATE", link({"digital.gov.kh/accepted-generation": "1"}, [22]), l, ["gdt-dtu"]) == 1
}

test_a_grant_is_the_owners_or_the_committees_authorisation if {
	denied("CREATE", grant("owner-ministry"), null, ["gdt-dtu"]) == 0
	denied("CREATE", grant("owner-ministry"), null, ["mef-dtu"]) == 1
	denied("CREATE", grant("owner-ministry"), null, ["digital-government-committee"]) == 1
	denied("CREATE", grant("committee"), null, ["digital-government-committee"]) == 0
	denied("CREATE", grant("committee"), null, ["gdt-dtu"]) == 1
	denied("CREATE", grant("owner-ministry"), null, ["govkh-platform"]) == 1
	denied("DELETE", grant("committee"), null, ["gdt-dtu"]) == 0
}

test_a_request_is_filed_by_the_ministry_it_concerns if {
	a := {"kind": "Approval", "metadata": {"name": "a"}, "spec": {"subject": {"kind": "CloudTenancy", "name": "mef-core"}}}
	denied("CREATE", a, null, ["mef-dtu"]) == 0
	denied("CREATE", a, null, ["gdt-dtu"]) == 1
	denied("CREATE", a, null, ["digital-government-committee"]) == 0
	unknown := {"kind": "Approval", "metadata": {"name": "a"}, "spec": {"subject": {"kind": "PrivateNetworkLink", "name": "none"}}}
	denied("CREATE", unknown, null, ["mef-dtu"]) == 1
}

test_govkh_updates_its_finalizers_only if {
	i := object.union(review("UPDATE", tenancy("mef"), tenancy("mef"), []), {"review": {"userInfo": {"username": "system:serviceaccount:govkh-system:govkh"}}})
	count(ministry_authority.violation) == 0 with input as i
	j := object.union(review("UPDATE", tenancy("gdt"), tenancy("mef"), []), {"review": {"userInfo": {"username": "system:serviceaccount:govkh-system:govkh"}}})
	count(ministry_authority.violation) > 0 with input as j
}

test_offline_check_without_user_is_not_judged if {
	count(ministry_authority.violation) == 0 with input as {"review": {"operation": "CREATE", "object": tenancy("gdt")}, "inventory": inventory}
}
