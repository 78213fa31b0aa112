package govkh.social_media_accounts_test

import data.govkh.social_media_accounts

ministry(name, accounts) := {"kind": "Ministry", "metadata": {"name": name}, "spec": {"domain": sprintf("%s.gov.kh", [name]), "socialMediaAccounts": accounts}}

with_mef(obj) := {
	"review": {"object": obj},
	"inventory": {"ministries": {
		"mef": {"spec": ministry("mef", [{"platform": "facebook", "handle": "mef.gov.kh"}]).spec},
		"moh": {"spec": ministry("moh", []).spec},
	}},
}

test_an_account_of_its_own_is_allowed if {
	count(social_media_accounts.violation) == 0 with input as with_mef(ministry("moh", [{"platform": "facebook", "handle": "moh.gov.kh"}]))
}

test_the_ministry_itself_is_not_its_own_duplicate if {
	count(social_media_accounts.violation) == 0 with input as with_mef(ministry("mef", [{"platform": "facebook", "handle": "mef.gov.kh"}]))
}

test_another_ministrys_account_is_denied if {
	count(social_media_accounts.violation) == 1 with input as with_mef(ministry("moh", [{"platform": "facebook", "handle": "mef.gov.kh"}]))
}

test_case_and_a_leading_at_do_not_make_another_account if {
	count(social_media_accounts.violation) == 1 with input as with_mef(ministry("moh", [{"platform": "Facebook", "handle": "@MEF.gov.kh"}]))
}

test_the_same_handle_on_another_platform_is_another_account if {
	count(social_media_accounts.violation) == 0 with input as with_mef(ministry("moh", [{"platform": "telegram", "handle": "mef.gov.kh"}]))
}

test_a_look_alike_letter_is_denied if {
	# A Cyrillic 'е' (U+0435) in place of the Latin 'e'.
	count(social_media_accounts.violation) == 1 with input as with_mef(ministry("moh", [{"platform": "facebook", "handle": "mеf.gov.kh"}]))
}

test_a_display_name_with_spaces_is_denied if {
	count(social_media_accounts.violation) == 1 with input as with_mef(ministry("moh", [{"platform": "facebook", "handle": "Ministry of Health"}]))
}

test_one_account_declared_twice_is_denied if {
	count(social_media_accounts.violation) == 1 with input as with_mef(ministry("moh", [{"platform": "telegram", "handle": "mohcambodia"}, {"platform": "telegram", "handle": "MohCambodia"}]))
}
