package govkh.personal_data_consent_test

import data.govkh.personal_data_consent

grant(personal, consent) := {"review": {"object": {"kind": "DataAccessGrant", "metadata": {"name": "g"}, "spec": object.union({"personalData": personal}, consent)}}}

inventory(grant_state) := {
	"namespaces": {"nssf-claims": {"ministry": "nssf", "personalData": true}, "nssf-stats": {"ministry": "nssf"}},
	"grants": {"g": {"state": grant_state, "spec": {"owner": "nssf", "grantee": {"ministry": "moh"}, "namespaces": ["nssf-claims"], "personalData": true, "consentReference": "NSSF-CR-1"}}},
	# The index govkh builds from the grants: only an active one is in it.
	"consentGrants": {k: ["g"] | grant_state == "Active"; k := "nssf/moh/nssf-claims"},
	"ministryNamespaces": {"nssf": ["nssf-claims", "nssf-stats"]},
}

link(to, state) := {"review": {"object": {"kind": "PrivateNetworkLink", "metadata": {"name": "l"}, "spec": {"from": {"ministry": "moh"}, "to": to}}}, "inventory": inventory(state)}

test_personal_data_grant_with_consent_allowed if {
	count(personal_data_consent.violation) == 0 with input as grant(true, {"consentReference": "CR-1"})
}

test_personal_data_grant_without_consent_denied if {
	count(personal_data_consent.violation) == 1 with input as grant(true, {})
	count(personal_data_consent.violation) == 1 with input as grant(true, {"consentReference": "  "})
}

test_grant_without_personal_data_needs_no_consent if {
	count(personal_data_consent.violation) == 0 with input as grant(false, {})
}

test_link_into_personal_data_with_active_consented_grant_allowed if {
	count(personal_data_consent.violation) == 0 with input as link({"ministry": "nssf", "namespaces": ["nssf-claims"]}, "Active")
}

test_link_into_personal_data_after_the_grant_expired_denied if {
	count(personal_data_consent.violation) == 1 with input as link({"ministry": "nssf", "namespaces": ["nssf-claims"]}, "Expired")
}

test_link_to_other_namespaces_is_not_about_personal_data if {
	count(personal_data_consent.violation) == 0 with input as link({"ministry": "nssf", "namespaces": ["nssf-stats"]}, "Expired")
}
