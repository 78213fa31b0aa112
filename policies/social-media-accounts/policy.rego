# Art. 22, 39: the Ministry of Post and Telecommunications keeps the list of ministries' official
# social-media accounts, and an account that passes for a ministry's without being its own is the
# offence of Art. 39. An account one ministry declares is that ministry's alone: a second ministry
# declaring the same handle on the same platform is a finding on both (one of the two is not the
# account's owner, and the list cannot say which). Handles are compared as the platforms compare
# them: case-insensitively, without a leading '@'. A handle written outside printable ASCII could
# be a look-alike (a Cyrillic 'а' for a Latin 'a') of another ministry's: it is refused, written
# as the platform's own ASCII username instead.
#
# Art. 22 itself sends its offence to "Article 40 of this law"; the offence of fake ministry
# accounts is Article 39 (Art. 40 is the reproduction of data): the penalty here is Art. 39's.
package govkh.social_media_accounts

import data.govkh.lib

metadata := {
	"id": "social-media-accounts",
	"title": "Each official social-media account declared by one ministry only",
	"fix": "declare only the ministry's own accounts, each by the platform's ASCII username; if another ministry declares the same account, the two settle whose it is with the Ministry of Post and Telecommunications",
	"titleKm": "គណនីបណ្តាញសង្គមផ្លូវការនីមួយៗ ប្រកាសដោយក្រសួងតែមួយប៉ុណ្ណោះ",
	"fixKm": "ប្រកាសតែគណនីរបស់ក្រសួងផ្ទាល់ ម្នាក់ៗដោយឈ្មោះអ្នកប្រើជា ASCII របស់វេទិកា។ ប្រសិនបើក្រសួងមួយទៀតប្រកាសគណនីដូចគ្នា ក្រសួងទាំងពីរត្រូវដោះស្រាយជាមួយក្រសួងប្រៃសណីយ៍និងទូរគមនាគមន៍ថាគណនីនោះជារបស់អ្នកណា",
	"articles": ["22"],
	"configuration": ["ministry-accounts"],
	"readings": ["duplicate-account"],
	"severity": "high",
	"action": "deny",
	"penalty": {"article": "39", "naturalPerson": 10000000, "legalPerson": 100000000},
	"kinds": ["Ministry"],
}

# A handle as the platforms compare it.
key(account) := [lower(trim_space(account.platform)), lower(trim_prefix(trim_space(account.handle), "@"))]

# Printable ASCII, no space inside: a username, not a display name.
ascii_handle := `^@?[!-~]+$`

violation contains {"msg": msg, "msg_km": msg_km} if {
	lib.obj.kind == "Ministry"
	some account in lib.obj.spec.socialMediaAccounts
	some other, m in input.inventory.ministries
	other != lib.obj.metadata.name
	some theirs in object.get(m.spec, "socialMediaAccounts", [])
	key(theirs) == key(account)
	msg := sprintf("Ministry %s declares the %s account %q, which Ministry %s declares too (as %q): an official account is one ministry's own, and passing for another ministry's is an offence (Art. 22; Art. 39 — Art. 22 cites Art. 40, but the offence is Art. 39's)", [lib.obj.metadata.name, account.platform, account.handle, other, theirs.handle])
	msg_km := sprintf("ក្រសួង %s ប្រកាសគណនី %s %q ដែលក្រសួង %s ក៏ប្រកាសដែរ (ជា %q)៖ គណនីផ្លូវការជារបស់ក្រសួងតែមួយ ហើយការក្លែងជាគណនីរបស់ក្រសួងផ្សេងគឺជាបទល្មើស (មាត្រា 22; មាត្រា 39 — មាត្រា 22 យោងទៅមាត្រា 40 ប៉ុន្តែបទល្មើសនេះជារបស់មាត្រា 39)", [lib.obj.metadata.name, account.platform, account.handle, other, theirs.handle])
}

violation contains {"msg": msg, "msg_km": msg_km} if {
	lib.obj.kind == "Ministry"
	some account in lib.obj.spec.socialMediaAccounts
	not regex.match(ascii_handle, account.handle)
	msg := sprintf("Ministry %s declares the %s account %q, which is not written in printable ASCII without spaces: a look-alike letter could pass for another ministry's account; write the platform's username (Art. 22)", [lib.obj.metadata.name, account.platform, account.handle])
	msg_km := sprintf("ក្រសួង %s ប្រកាសគណនី %s %q ដែលមិនបានសរសេរជាអក្សរ ASCII ដែលអាចបោះពុម្ពបាន ដោយគ្មានដកឃ្លា៖ អក្សរដែលមើលទៅដូចគ្នាអាចក្លែងជាគណនីរបស់ក្រសួងផ្សេង។ សូមសរសេរឈ្មោះអ្នកប្រើរបស់វេទិកា (មាត្រា 22)", [lib.obj.metadata.name, account.platform, account.handle])
}

violation contains {"msg": msg, "msg_km": msg_km} if {
	lib.obj.kind == "Ministry"
	some i, account in lib.obj.spec.socialMediaAccounts
	some j, again in lib.obj.spec.socialMediaAccounts
	i < j
	key(account) == key(again)
	msg := sprintf("Ministry %s declares the %s account %q twice (again as %q): each account once (Art. 22)", [lib.obj.metadata.name, account.platform, account.handle, again.handle])
	msg_km := sprintf("ក្រសួង %s ប្រកាសគណនី %s %q ពីរដង (ម្តងទៀតជា %q)៖ គណនីនីមួយៗតែម្តង (មាត្រា 22)", [lib.obj.metadata.name, account.platform, account.handle, again.handle])
}
