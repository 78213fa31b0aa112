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

copyable(kind, ns, annotations) := {"review": {"object": {"kind": kind, "metadata": {"name": "x", "namespace": ns, "annotations": annotations}}}, "inventory": inventory}

test_a_list_of_names_is_a_set_and_anything_else_every_namespace if {
	no_reproduction.listed("a, b") == {"a", "b"}
	no_reproduction.listed("") == "all"
	no_reproduction.listed(" , ") == "all"
	no_reproduction.listed("mef-.*") == "all"
	no_reproduction.listed("a,team=x") == "all"
}

test_top_secret_secret_asking_for_any_copy_denied if {
	every a in [
		{"reflector.v1.k8s.emberstack.com/reflection-auto-enabled": "True"},
		{"replicator.v1.mittwald.de/replicate-to": "moh-records"},
		{"replicator.v1.mittwald.de/replicate-to-matching": "team=x"},
		{"kubed.appscode.com/sync": ""},
	] {
		vs := no_reproduction.violation with input as copyable("Secret", "moh-registry", a)
		count(vs) == 1
		some v in vs
		v.level == "top-secret"
	}
}

test_confidential_copies_follow_the_owner_and_its_grants if {
	# Pushed into the grantee's namespace under the active grant: allowed.
	count(no_reproduction.violation) == 0 with input as copyable("Secret", "moh-records", {"replicator.v1.mittwald.de/replicate-to": "mef-tax"})

	# Pulled by the grantee under the grant: allowed; from a namespace the grant does not name: refused.
	count(no_reproduction.violation) == 0 with input as copyable("ConfigMap", "mef-tax", {"reflector.v1.k8s.emberstack.com/reflects": "moh-records/cfg"})
	count(no_reproduction.violation) == 1 with input as copyable("ConfigMap", "moh-records", {"reflector.v1.k8s.emberstack.com/reflects": "mef-tax/cfg"})

	# A copy within its own top-secret namespace is still a reproduction.
	count(no_reproduction.violation) == 1 with input as copyable("Secret", "moh-registry", {"replicator.v1.mittwald.de/replicate-from": "other"})

	# An annotation that is off asks for nothing.
	count(no_reproduction.violation) == 0 with input as copyable("Secret", "moh-registry", {"reflector.v1.k8s.emberstack.com/reflection-allowed": "false"})
}
