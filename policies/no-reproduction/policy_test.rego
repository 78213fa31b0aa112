package govkh.no_reproduction_test

import data.govkh.no_reproduction

inventory := {
	"namespaces": {
		"moh-registry": {"ministry": "moh", "dataClass": "top-secret"},
		"moh-records": {"ministry": "moh", "dataClass": "confidential"},
		"mef-tax": {"ministry": "mef", "dataClass": "confidential"},
	},
	"volumes": {},
	"dataClasses": {
		"top-secret": {"spec": {"level": "top-secret", "reproduction": "Prohibited"}},
		"confidential": {"spec": {"level": "confidential", "reproduction": "WithAuthorization"}},
	},
	"grants": {"g": {"state": "Active", "spec": {"owner": "moh", "grantee": {"ministry": "mef"}, "namespaces": ["moh-records"]}}},
	"activeGrants": {"moh/mef/moh-records": ["g"]},
}

snapshot(ns, pvc) := {"review": {"object": {"kind": "VolumeSnapshot", "metadata": {"name": "s", "namespace": ns}, "spec": {"source": {"persistentVolumeClaimName": pvc}}}}, "inventory": inventory}

clone(ns, from_ns) := {"review": {"object": {"kind": "PersistentVolumeClaim", "metadata": {"name": "c", "namespace": ns}, "spec": {"dataSourceRef": {"kind": "PersistentVolumeClaim", "name": "data", "namespace": from_ns}}}}, "inventory": inventory}

test_snapshot_of_top_secret_denied if {
	vs := no_reproduction.violation with input as snapshot("moh-registry", "data")
	count(vs) == 1
	some v in vs
	v.level == "top-secret"
}

test_snapshot_of_confidential_by_owner_allowed if {
	count(no_reproduction.violation) == 0 with input as snapshot("moh-records", "data")
}

test_clone_of_top_secret_denied if {
	count(no_reproduction.violation) == 1 with input as clone("moh-registry", "moh-registry")
}

test_cross_ministry_clone_with_active_grant_allowed if {
	count(no_reproduction.violation) == 0 with input as clone("mef-tax", "moh-records")
}

test_cross_ministry_clone_with_expired_grant_denied if {
	expired := object.union(object.remove(inventory, ["activeGrants"]), {"grants": {"g": {"state": "Expired"}}})
	i := {"review": clone("mef-tax", "moh-records").review, "inventory": expired}
	count(no_reproduction.violation) == 1 with input as i
}

test_a_plain_claim_is_not_a_copy if {
	i := {"review": {"object": {"kind": "PersistentVolumeClaim", "metadata": {"name": "p", "namespace": "moh-registry"}, "spec": {}}}, "inventory": inventory}
	count(no_reproduction.violation) == 0 with input as i
}
