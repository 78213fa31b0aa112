# Art. 10, 25: data is stored and processed only where its class allows. A workload or volume
# claim whose data class (its own label, its pod template's, else its namespace's) does not
# allow the namespace's placement is refused.
package govkh.data_placement

import data.govkh.lib

metadata := {
	"id": "data-placement",
	"title": "Data only on the placements its class allows",
	"fix": "run it in a namespace whose placement its data class allows, or correct its digital.gov.kh/data-class label",
	"articles": ["10", "25"],
	"severity": "critical",
	"action": "deny",
	"kinds": ["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "PersistentVolumeClaim"],
}

subject if lib.is_workload

subject if lib.obj.kind == "PersistentVolumeClaim"

violation contains {"msg": msg, "level": spec.level} if {
	subject
	class := lib.data_class
	spec := lib.class_spec(class)
	placement := input.inventory.namespaces[lib.namespace].placement
	not placement in spec.allowedPlacements
	msg := sprintf("%s %s holds %s data in namespace %s, which runs on %s; the %s class allows only %s (Art. 10, 25)", [lib.obj.kind, lib.obj.metadata.name, class, lib.namespace, placement, class, concat(", ", spec.allowedPlacements)])
}

# Only against a known catalogue of classes: with none at all (a ministry's files checked
# alone), the class is unknown for want of context, which govkh reports as such, not as a
# breach.
violation contains {"msg": msg} if {
	subject
	count(object.get(input.inventory, "dataClasses", {})) > 0
	class := lib.data_class
	not input.inventory.dataClasses[class]
	msg := sprintf("%s %s is labelled with data class %q, which does not exist: use one of the DataClasses (Art. 25)", [lib.obj.kind, lib.obj.metadata.name, class])
}
