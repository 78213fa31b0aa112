package govkh.derived_labels_test

import data.govkh.derived_labels

ns(labels, annotations) := {"kind": "Namespace", "metadata": {"name": "kube-system", "labels": labels, "annotations": annotations}}

review(op, object, old, user) := {"review": {"operation": op, "object": object, "oldObject": old, "userInfo": {"username": user, "groups": ["system:authenticated"]}}, "config": {"operatorUsers": ["system:serviceaccount:govkh-system:govkh"]}}

test_a_user_may_not_make_a_namespace_a_ministrys if {
	count(derived_labels.violation) == 1 with input as review("UPDATE", ns({"digital.gov.kh/ministry": "moeys"}, {}), ns({}, {}), "sok")
	count(derived_labels.violation) == 1 with input as review("CREATE", ns({"digital.gov.kh/ministry": "moeys"}, {}), null, "sok")
}

test_a_user_may_not_declassify_or_unlabel if {
	old := ns({"digital.gov.kh/data-class": "top-secret"}, {"digital.gov.kh/created-by": "t"})
	count(derived_labels.violation) == 1 with input as review("UPDATE", ns({"digital.gov.kh/data-class": "open"}, {"digital.gov.kh/created-by": "t"}), old, "sok")
	count(derived_labels.violation) == 1 with input as review("UPDATE", ns({}, {}), old, "sok")
}

test_other_labels_are_anyones if {
	old := ns({"digital.gov.kh/ministry": "mef"}, {})
	count(derived_labels.violation) == 0 with input as review("UPDATE", ns({"digital.gov.kh/ministry": "mef", "team": "tax"}, {"note": "x"}), old, "sok")
}

test_govkh_writes_them if {
	count(derived_labels.violation) == 0 with input as review("UPDATE", ns({"digital.gov.kh/ministry": "moeys"}, {}), ns({}, {}), "system:serviceaccount:govkh-system:govkh")
}

test_offline_check_without_user_is_not_judged if {
	count(derived_labels.violation) == 0 with input as {"review": {"operation": "CREATE", "object": ns({"digital.gov.kh/ministry": "gdt"}, {})}}
}
