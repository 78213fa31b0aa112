# Art. 20, 21: ministries use the government domain for their official websites. An Ingress or
# HTTPRoute in a ministry's namespace publishes hosts inside that ministry's own domain, and
# never inside a domain another ministry holds (tax.mef.gov.kh held by another ministry is not
# MEF's to publish, though it ends in mef.gov.kh).
package govkh.official_domain

import data.govkh.lib

metadata := {
	"id": "official-domain",
	"title": "Official websites under the ministry's own .gov.kh domain",
	"fix": "serve the site under the ministry's own domain (its Ministry's spec.domain), one lowercase ASCII host per rule",
	"titleKm": "គេហទំព័រផ្លូវការនៅក្រោមដែន .gov.kh របស់ក្រសួងផ្ទាល់",
	"fixKm": "បម្រើគេហទំព័រក្រោមដែនរបស់ក្រសួងផ្ទាល់ (spec.domain នៃ Ministry) មួយឈ្មោះម៉ាស៊ីនជាអក្សរ ASCII តូចក្នុងមួយច្បាប់",
	"articles": ["20", "21"],
	"configuration": ["ministry-domains"],
	"readings": ["art-38-outside-domain", "art-38-a-person"],
	"severity": "high",
	"action": "deny",
	"penalty": {"article": "38", "person": 200000},
	"kinds": ["Ingress", "HTTPRoute"],
}

hosts contains h if {
	lib.obj.kind == "Ingress"
	h := lib.obj.spec.rules[_].host
}

hosts contains h if {
	lib.obj.kind == "Ingress"
	h := lib.obj.spec.tls[_].hosts[_]
}

hosts contains h if {
	lib.obj.kind == "HTTPRoute"
	h := lib.obj.spec.hostnames[_]
}

# A host as the API server accepts it: a DNS name in lowercase ASCII (a wildcard first label
# allowed). Anything else — an upper-case letter, a space, a look-alike such as the Kelvin sign
# (U+212A), which lower() turns into "k" — would slip past the domain comparison.
dns_name := `^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`

# Art. 38 punishes not using a .gov.kh domain; the breaches below are of Art. 20/21 alone (a
# name that is not a DNS name, a host inside another ministry's .gov.kh domain, a rule that
# names no host), so they carry no fine: `"penalty": false`.
violation contains {"msg": msg, "msg_km": msg_km, "penalty": false} if {
	some host in hosts
	not regex.match(dns_name, host)
	msg := sprintf("%s %s publishes host %q, which is not a DNS name in lowercase ASCII (letters, digits, '-', '.'): the API server refuses it, and a look-alike letter or a space would slip past the domain check; write an internationalised name in punycode (xn--...) (Art. 20, 21)", [lib.obj.kind, lib.obj.metadata.name, host])
	msg_km := sprintf("%s %s ផ្សាយឈ្មោះម៉ាស៊ីន %q ដែលមិនមែនជាឈ្មោះ DNS ជាអក្សរ ASCII តូច (អក្សរ លេខ '-' '.')៖ API server បដិសេធវា ហើយអក្សរដែលមើលទៅដូចគ្នា ឬដកឃ្លា អាចគេចផុតពីការត្រួតពិនិត្យដែន។ សូមសរសេរឈ្មោះអន្តរជាតិជា punycode (xn--...) (មាត្រា 20, 21)", [lib.obj.kind, lib.obj.metadata.name, host])
}

violation contains {"msg": msg, "msg_km": msg_km} if {
	some host in hosts
	regex.match(dns_name, host)
	domain := lib.ministry_spec.domain
	not lib.in_domain(lower(host), domain)
	msg := sprintf("%s %s publishes host %q outside the ministry's official domain %s: official websites use the ministry's .gov.kh domain (Art. 20, 21)", [lib.obj.kind, lib.obj.metadata.name, host, domain])
	msg_km := sprintf("%s %s ផ្សាយឈ្មោះម៉ាស៊ីន %q នៅក្រៅដែនផ្លូវការរបស់ក្រសួង %s៖ គេហទំព័រផ្លូវការប្រើដែន .gov.kh របស់ក្រសួង (មាត្រា 20, 21)", [lib.obj.kind, lib.obj.metadata.name, host, domain])
}

violation contains {"msg": msg, "msg_km": msg_km, "penalty": false} if {
	some host in hosts
	regex.match(dns_name, host)
	some other, m in input.inventory.ministries
	other != lib.ministry
	lib.in_domain(lower(host), lower(m.spec.domain))
	msg := sprintf("%s %s publishes host %q inside Ministry %s's domain %s: a ministry publishes only under its own domain (Art. 20, 21)", [lib.obj.kind, lib.obj.metadata.name, host, other, m.spec.domain])
	msg_km := sprintf("%s %s ផ្សាយឈ្មោះម៉ាស៊ីន %q ក្នុងដែនរបស់ក្រសួង %s គឺ %s៖ ក្រសួងនីមួយៗផ្សាយតែក្រោមដែនផ្ទាល់ខ្លួនប៉ុណ្ណោះ (មាត្រា 20, 21)", [lib.obj.kind, lib.obj.metadata.name, host, other, m.spec.domain])
}

# A rule without a host, or a default backend, answers for every host name sent to the
# load balancer — names outside the ministry's domain included.
every_host contains "a rule without host" if {
	lib.obj.kind == "Ingress"
	some rule in lib.obj.spec.rules
	not rule.host
}

every_host contains "a defaultBackend" if {
	lib.obj.kind == "Ingress"
	lib.obj.spec.defaultBackend
}

every_host_km := {"a rule without host": "ច្បាប់ (rule) ដែលគ្មានឈ្មោះម៉ាស៊ីន", "a defaultBackend": "defaultBackend"}

violation contains {"msg": msg, "msg_km": msg_km, "penalty": false} if {
	some what in every_host
	lib.ministry_spec
	msg := sprintf("Ingress %s has %s, which serves every host name, not only the ministry's domain %s: name the hosts (Art. 20, 21)", [lib.obj.metadata.name, what, lib.ministry_spec.domain])
	msg_km := sprintf("Ingress %s មាន %s ដែលបម្រើឈ្មោះម៉ាស៊ីនទាំងអស់ មិនមែនតែដែនរបស់ក្រសួង %s ទេ៖ សូមដាក់ឈ្មោះម៉ាស៊ីនឱ្យច្បាស់ (មាត្រា 20, 21)", [lib.obj.metadata.name, every_host_km[what], lib.ministry_spec.domain])
}
