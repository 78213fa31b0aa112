package govkh.official_domain_test

import data.govkh.official_domain

inventory := {
	"namespaces": {"mef-tax": {"ministry": "mef"}},
	"ministries": {"mef": {"spec": {"domain": "mef.gov.kh"}}},
}

ingress(host) := {"review": {"object": {
	"kind": "Ingress",
	"metadata": {"name": "site", "namespace": "mef-tax"},
	"spec": {"rules": [{"host": host}]},
}}, "inventory": inventory}

test_host_inside_the_domain_is_allowed if {
	count(official_domain.violation) == 0 with input as ingress("tax.mef.gov.kh")
}

test_the_domain_itself_is_allowed if {
	count(official_domain.violation) == 0 with input as ingress("mef.gov.kh")
}

test_host_outside_the_domain_is_denied if {
	count(official_domain.violation) == 1 with input as ingress("mef-tax.example.com")
}

test_another_ministrys_domain_is_denied if {
	count(official_domain.violation) == 1 with input as ingress("tax.gdt.gov.kh")
}

test_a_suffix_trick_is_denied if {
	count(official_domain.violation) == 1 with input as ingress("evilmef.gov.kh")
}

test_httproute_hostnames_are_checked if {
	route := {"review": {"object": {
		"kind": "HTTPRoute",
		"metadata": {"name": "r", "namespace": "mef-tax"},
		"spec": {"hostnames": ["tax.mef.gov.kh", "tax.mef.com.kh"]},
	}}, "inventory": inventory}
	count(official_domain.violation) == 1 with input as route
}

test_objects_outside_ministry_namespaces_are_ignored if {
	i := {"review": {"object": {"kind": "Ingress", "metadata": {"name": "x", "namespace": "kube-system"}, "spec": {"rules": [{"host": "x.example.com"}]}}}, "inventory": inventory}
	count(official_domain.violation) == 0 with input as i
}

test_a_domain_another_ministry_holds_is_denied_even_inside_ones_own if {
	held := {
		"namespaces": {"mef-tax": {"ministry": "mef"}},
		"ministries": {
			"mef": {"spec": {"domain": "mef.gov.kh"}},
			"taxes": {"spec": {"domain": "tax.mef.gov.kh"}},
		},
	}
	review := {"review": {"object": {
		"kind": "Ingress",
		"metadata": {"name": "site", "namespace": "mef-tax"},
		"spec": {"rules": [{"host": "portal.tax.mef.gov.kh"}, {"host": "budget.mef.gov.kh"}]},
	}}, "inventory": held}
	count(official_domain.violation) == 1 with input as review
}

test_an_ingress_for_every_host_is_denied if {
	no_host := {"review": {"object": {
		"kind": "Ingress",
		"metadata": {"name": "site", "namespace": "mef-tax"},
		"spec": {"rules": [{"http": {"paths": []}}]},
	}}, "inventory": inventory}
	count(official_domain.violation) == 1 with input as no_host
	default_backend := {"review": {"object": {
		"kind": "Ingress",
		"metadata": {"name": "site", "namespace": "mef-tax"},
		"spec": {"defaultBackend": {"service": {"name": "web", "port": {"number": 80}}}},
	}}, "inventory": inventory}
	count(official_domain.violation) == 1 with input as default_backend
}

test_hosts_the_api_server_would_refuse_are_denied_not_compared if {
	# The Kelvin sign (U+212A) lowers to "k": without the DNS-name check it would pass.
	count(official_domain.violation) == 1 with input as ingress("tax.mef.gov.Kh")
	count(official_domain.violation) == 1 with input as ingress(" tax.mef.gov.kh")
	count(official_domain.violation) == 1 with input as ingress("Tax.mef.gov.kh")
	count(official_domain.violation) == 0 with input as ingress("*.mef.gov.kh")
	count(official_domain.violation) == 0 with input as ingress("xn--e1afmkfd.mef.gov.kh")
}
