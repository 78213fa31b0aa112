# Art. 10, 25: data is stored and processed only where its class allows. A workload or volume
# claim whose data class (its own label, its pod template's, else its namespace's) does not
# allow the namespace's placement is refused.
package govkh.data_placement

import data.govkh.lib

metadata := {
	"id": "data-placement",
	"title": "Data only on the placements its class allows",
	"fix": "run it in a namespace whose placement its data class allows, or correct its digital.gov.kh/data-class label",
	"titleKm": "ទិន្នន័យស្ថិតតែលើទីតាំងដែលថ្នាក់របស់វាអនុញ្ញាត",
	"fixKm": "ដំណើរការវាក្នុង namespace ដែលទីតាំងរបស់វាត្រូវបានអនុញ្ញាតដោយថ្នាក់ទិន្នន័យ ឬកែស្លាក digital.gov.kh/data-class របស់វា",
	"articles": ["10", "25"],
	"configuration": ["data-class-placements"],
	"severity": "critical",
	"action": "deny",
	"kinds": ["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "PersistentVolumeClaim"],
}

subject if lib.is_workload

subject if lib.obj.kind == "PersistentVolumeClaim"

violation contains {"msg": msg, "msg_km": msg_km, "level": spec.level} if {
	subject
	class := lib.data_class
	spec := lib.class_spec(class)
	placement := input.inventory.namespaces[lib.namespace].placement
	not placement in spec.allowedPlacements
	msg := sprintf("%s %s holds %s data in namespace %s, which runs on %s; the %s class allows only %s (Art. 10, 25)", [lib.obj.kind, lib.obj.metadata.name, class, lib.namespace, placement, class, concat(", ", spec.allowedPlacements)])
	msg_km := sprintf("%s %s ផ្ទុកទិន្នន័យ %s ក្នុង namespace %s ដែលដំណើរការលើ %s ប៉ុន្តែថ្នាក់ %s អនុញ្ញាតតែ %s ប៉ុណ្ណោះ (មាត្រា 10, 25)", [lib.obj.kind, lib.obj.metadata.name, class, lib.namespace, placement, class, concat(", ", spec.allowedPlacements)])
}

# Only against a known catalogue of classes: with none at all (a ministry's files checked
# alone), the class is unknown for want of context, which govkh reports as such, not as a
# breach.
violation contains {"msg": msg, "msg_km": msg_km} if {
	subject
	count(object.get(input.inventory, "dataClasses", {})) > 0
	class := lib.data_class
	not input.inventory.dataClasses[class]
	msg := sprintf("%s %s is labelled with data class %q, which does not exist: use one of the DataClasses (Art. 25)", [lib.obj.kind, lib.obj.metadata.name, class])
	msg_km := sprintf("%s %s មានស្លាកថ្នាក់ទិន្នន័យ %q ដែលមិនមាន៖ សូមប្រើថ្នាក់ណាមួយក្នុងចំណោម DataClass ដែលមាន (មាត្រា 25)", [lib.obj.kind, lib.obj.metadata.name, class])
}
