package govkh.official_email_test

import data.govkh.official_email

ministry(email) := {"review": {"object": {
	"kind": "Ministry",
	"metadata": {"name": "mef"},
	"spec": {"domain": "mef.gov.kh", "digitalTransformationUnit": {"contactEmail": email}},
}}}

approval(sender) := {"review": {"object": {
	"kind": "Approval",
	"metadata": {"name": "a"},
	"spec": {"request": {"requestedBy": sender, "document": "MEF/1"}},
}}}

test_contact_on_the_domain_is_allowed if {
	count(official_email.violation) == 0 with input as ministry("dtu@mef.gov.kh")
}

test_contact_on_a_subdomain_is_allowed if {
	count(official_email.violation) == 0 with input as ministry("dtu@mail.mef.gov.kh")
}

test_contact_on_webmail_is_denied if {
	count(official_email.violation) == 1 with input as ministry("mef.dtu@gmail.com")
}

test_request_from_an_official_address_is_allowed if {
	count(official_email.violation) == 0 with input as approval("dtu@mef.gov.kh")
}

test_request_from_webmail_is_denied if {
	count(official_email.violation) == 1 with input as approval("minister.office@yahoo.com")
}

test_request_by_a_named_office_is_allowed if {
	count(official_email.violation) == 0 with input as approval("Office of the Minister")
}

# A request for MEF's tenancy, with MEF and MoH in the inventory.
mef_request(sender) := {
	"review": {"object": {
		"kind": "Approval",
		"metadata": {"name": "a"},
		"spec": {
			"subject": {"kind": "CloudTenancy", "name": "mef-workloads"},
			"request": {"requestedBy": sender, "document": "MEF/1"},
		},
	}},
	"inventory": {
		"ministries": {"mef": {"spec": {"domain": "mef.gov.kh"}}, "moh": {"spec": {"domain": "moh.gov.kh"}}},
		"tenancies": {"mef-workloads": {"spec": {"ministry": "mef"}}},
	},
}

test_a_request_from_the_ministrys_own_domain_is_allowed if {
	count(official_email.violation) == 0 with input as mef_request("dtu@mef.gov.kh")
	count(official_email.violation) == 0 with input as mef_request("dtu@mail.mef.gov.kh")
}

test_a_request_from_another_ministrys_domain_is_denied if {
	count(official_email.violation) == 1 with input as mef_request("dtu@moh.gov.kh")
}

test_a_request_from_a_domain_that_only_ends_like_the_ministrys_is_denied if {
	count(official_email.violation) == 1 with input as mef_request("dtu@notmef.gov.kh")
}
