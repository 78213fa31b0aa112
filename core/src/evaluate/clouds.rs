//! Cloud resources judged by the law (issue 24): an object of a cloud API the catalogue knows
//! (`clouds::Catalogue`) — a Crossplane bucket, an ACK database, a Cluster API cluster, a
//! ProviderConfig's credentials — is attributed to a ministry (its namespace's; a cluster-scoped
//! one's `digital.gov.kh/ministry` label) and must be declared: a CloudTenancy of that ministry with
//! that provider, whose statutory clock is in order (Art. 10). Undeclared, it runs the clock a
//! declared external tenancy without an approval would run (apply by E+90 days, migrate by
//! E+1 year), with the deadline in the finding. Its data class (its own label, else its
//! namespace's) must allow the placement (Art. 25, 26): top-secret data in AWS is refused. An
//! object that cannot be attributed, or whose provider is unknown, is a finding, never a pass.

use serde_json::Value as Json;

use crate::{
    api::{
        ClockState, CloudTenancySpec, Day, LABEL_DATA_CLASS, LABEL_MINISTRY, Placement, SubjectKind,
    },
    clouds::{Catalogue, Classified},
    finding::{Action, Finding, Khmer, Severity},
    inventory::Inventory,
    law::clock,
    loading::manifest::Source,
    message,
};

use super::{approvals_of, checks::clock_action, input::resource_of};

/// One cloud provider a ministry uses: the tenancies that declare it and the cloud resources
/// observed in it (the committee report's "clouds in use").
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudUse {
    /// The provider (`unknown` where neither the catalogue nor the object says).
    pub provider: String,
    /// The CloudTenancies of the ministry that declare it.
    pub declared_by: Vec<String>,
    /// The cloud resources observed in it: `Kind namespace/name` (or `Kind name`).
    pub objects: Vec<String>,
}

/// Each ministry's clouds in use: the providers its tenancies declare and those its cloud
/// resources are in, declared or not, by provider.
pub fn clouds_in_use(
    inv: &Inventory,
    catalogue: &Catalogue,
) -> std::collections::BTreeMap<String, Vec<CloudUse>> {
    use std::collections::BTreeMap;
    let mut by: BTreeMap<String, BTreeMap<String, CloudUse>> = BTreeMap::new();
    // The ministry's use of the provider, made empty on first sight.
    fn use_of(
        by: &mut BTreeMap<String, BTreeMap<String, CloudUse>>,
        ministry: String,
        provider: String,
    ) -> &mut CloudUse {
        by.entry(ministry)
            .or_default()
            .entry(provider.clone())
            .or_insert_with(|| CloudUse {
                provider,
                ..Default::default()
            })
    }
    for (name, t) in &inv.tenancies {
        if let Some(p) = &t.object.spec.provider {
            use_of(&mut by, t.object.spec.ministry.clone(), p.to_lowercase())
                .declared_by
                .push(name.clone());
        }
    }
    for o in inv.others.values() {
        // Held as compact text by a compacting loader: decoded one at a time. One that does not
        // decode is the judging's error finding already.
        let Ok(object) = o.value() else { continue };
        let Some(c) = catalogue.classify(&o.api_version, &o.kind, &object["metadata"]) else {
            continue;
        };
        let Some(ministry) = owner(inv, &object) else {
            continue;
        };
        let p = c.provider.unwrap_or_else(|| "unknown".into());
        let object = match &o.namespace {
            Some(ns) => format!("{} {ns}/{}", o.kind, o.name),
            None => format!("{} {}", o.kind, o.name),
        };
        use_of(&mut by, ministry, p).objects.push(object);
    }
    by.into_iter()
        .map(|(m, uses)| {
            let mut uses: Vec<CloudUse> = uses.into_values().collect();
            for u in &mut uses {
                u.objects.sort();
            }
            (m, uses)
        })
        .collect()
}

/// The ministry a cloud object belongs to: a namespaced one its namespace's (as every finding's
/// `ministry_of`; a label cannot move it to a ministry with an approved tenancy), a
/// cluster-scoped one its `digital.gov.kh/ministry` label, which only the platform may set at
/// admission (`assignment`).
fn owner(inv: &Inventory, object: &Json) -> Option<String> {
    if object["metadata"]["namespace"].is_string() {
        return super::input::ministry_of(inv, object);
    }
    object["metadata"]["labels"][LABEL_MINISTRY]
        .as_str()
        .map(str::to_string)
}

/// The id of the findings about cloud resources.
pub const POLICY_CLOUD: &str = "cloud-resources";

/// Whether `f` says a cloud resource is not covered by a tenancy in order: the finding that
/// runs the statutory clock (it alone carries a clock state). The Ministry status counts them.
pub fn is_undeclared(f: &Finding) -> bool {
    f.policy == POLICY_CLOUD && f.state.is_some()
}

/// One finding about a cloud object.
struct Draft {
    action: Action,
    severity: Severity,
    articles: &'static [&'static str],
    message: String,
    km: String,
    deadline: Option<Day>,
    state: Option<String>,
    fix: &'static str,
    fix_km: &'static str,
}

/// The findings about `object` if the catalogue knows its API; none otherwise.
pub(crate) fn judge(
    inv: &Inventory,
    catalogue: &Catalogue,
    today: Day,
    object: &Json,
    source: Option<&Source>,
) -> Vec<Finding> {
    let api_version = object["apiVersion"].as_str().unwrap_or_default();
    let kind = object["kind"].as_str().unwrap_or_default();
    let Some(c) = catalogue.classify(api_version, kind, &object["metadata"]) else {
        return Vec::new();
    };
    let resource = resource_of(object);
    let name = format!(
        "{kind} {}",
        object["metadata"]["name"].as_str().unwrap_or("?")
    );
    let ministry = owner(inv, object);
    let drafts = drafts(inv, today, &c, &name, object, ministry.as_deref());
    drafts
        .into_iter()
        .map(|d| Finding {
            policy: POLICY_CLOUD.into(),
            action: d.action,
            severity: d.severity,
            articles: d.articles.iter().map(|a| a.to_string()).collect(),
            resource: resource.clone(),
            source: source.cloned(),
            ministry: ministry.clone(),
            message: d.message,
            state: d.state,
            deadline: d.deadline,
            penalty: None,
            awaits: None,
            excused_by: None,
            fix: Some(d.fix.into()),
            km: Some(Khmer {
                message: d.km,
                fix: Some(d.fix_km.into()),
            }),
        })
        .collect()
}

const FIX_ATTRIBUTE: &str = "create it in one of its ministry's namespaces, or (cluster-scoped) label it digital.gov.kh/ministry with that ministry";
const FIX_ATTRIBUTE_KM: &str =
    "ដាក់ស្លាក digital.gov.kh/ministry លើវា ជាមួយក្រសួងដែលវាជាកម្មសិទ្ធិ ឬបង្កើតវាក្នុង namespace មួយរបស់ក្រសួងនោះ";
const FIX_DECLARE: &str = "declare it: a CloudTenancy of the ministry with placement external and this provider, and apply to the committee for an Approval — or move it into the government cloud";
const FIX_DECLARE_KM: &str = "ប្រកាសវា៖ CloudTenancy មួយរបស់ក្រសួង ដែលមាន placement external និងអ្នកផ្តល់សេវានេះ ហើយដាក់ពាក្យសុំការអនុម័តពីគណៈកម្មាធិការ — ឬផ្លាស់វាចូលក្នុងក្លោដរាជរដ្ឋាភិបាល";
const FIX_CLASS: &str = "keep data of this class in the government cloud, or correct its digital.gov.kh/data-class label";
const FIX_CLASS_KM: &str =
    "រក្សាទុកទិន្នន័យនៃថ្នាក់នេះក្នុងក្លោដរាជរដ្ឋាភិបាល ឬកែស្លាក digital.gov.kh/data-class របស់វា";
const FIX_PROVIDER: &str = "name its cloud provider with the label digital.gov.kh/cloud-provider, so that it can be judged against the ministry's tenancies";
const FIX_PROVIDER_KM: &str = "ដាក់ឈ្មោះអ្នកផ្តល់សេវាក្លោដរបស់វា ដោយស្លាក digital.gov.kh/cloud-provider ដើម្បីអាចវាយតម្លៃវាធៀបនឹង tenancy របស់ក្រសួង";

/// A warning to review under Art. 10, with no clock.
fn to_review(message: String, km: String, fix: &'static str, fix_km: &'static str) -> Draft {
    Draft {
        action: Action::Warn,
        severity: Severity::High,
        articles: &["10"],
        message,
        km,
        deadline: None,
        state: None,
        fix,
        fix_km,
    }
}

fn drafts(
    inv: &Inventory,
    today: Day,
    c: &Classified,
    name: &str,
    object: &Json,
    ministry: Option<&str>,
) -> Vec<Draft> {
    let what = c.what.as_deref().unwrap_or("resource");
    let Some(ministry) = ministry else {
        return vec![to_review(
            format!(
                "{name} is a cloud {what} ({}) that cannot be attributed to a ministry: it is in no ministry's namespace (a cluster-scoped one: it carries no digital.gov.kh/ministry label), so whether it is declared and approved cannot be judged (Art. 10)",
                c.api
            ),
            format!(
                "{name} គឺជា {what} ក្លោដ ({}) ដែលមិនអាចកំណត់ថាជារបស់ក្រសួងណាបានទេ៖ វាមិននៅក្នុង namespace របស់ក្រសួងណាមួយ ហើយគ្មានស្លាក digital.gov.kh/ministry (មាត្រា 10)",
                c.api
            ),
            FIX_ATTRIBUTE,
            FIX_ATTRIBUTE_KM,
        )];
    };
    let Some(provider) = c.provider.as_deref() else {
        return vec![to_review(
            format!(
                "{name} of Ministry {ministry} is a cloud {what} ({}) whose provider is unknown: it may run outside the government cloud, which needs a declared tenancy and the committee's approval; review it (Art. 10)",
                c.api
            ),
            format!(
                "{name} របស់ក្រសួង {ministry} គឺជា {what} ក្លោដ ({}) ដែលមិនស្គាល់អ្នកផ្តល់សេវា៖ វាអាចដំណើរការនៅក្រៅក្លោដរាជរដ្ឋាភិបាល ដែលត្រូវការ tenancy ដែលបានប្រកាស និងការអនុម័តពីគណៈកម្មាធិការ សូមពិនិត្យវា (មាត្រា 10)",
                c.api
            ),
            FIX_PROVIDER,
            FIX_PROVIDER_KM,
        )];
    };
    let mut out = Vec::new();
    let placement = match declared(inv, today, ministry, provider) {
        Declared::InOrder(placement) => placement,
        Declared::OutOfOrder(..) | Declared::Not => {
            out.push(undeclared(inv, today, c, name, ministry, provider));
            Placement::External
        }
    };
    // Credentials hold no data.
    if !c.is_config() {
        out.extend(class_draft(
            inv, name, object, ministry, provider, placement,
        ));
    }
    out
}

/// The error of an object whose clock cannot run: no GovernmentCloud, or a ministry govkh does
/// not know. Not a pass.
fn unjudgeable(inv: &Inventory, name: &str, what: &str, ministry: &str, provider: &str) -> Draft {
    let unknown = if inv.government_cloud.is_none() {
        "the GovernmentCloud".to_string()
    } else {
        format!("Ministry {ministry}")
    };
    Draft {
        action: Action::Error,
        severity: Severity::High,
        articles: &["10"],
        message: format!(
            "{name} of Ministry {ministry} (a {what} in {provider}) cannot be judged: {unknown} is not known, so the statutory clock cannot run; it is not counted as compliant (Art. 10)"
        ),
        km: format!(
            "{name} របស់ក្រសួង {ministry} ({what} ក្នុង {provider}) មិនអាចវាយតម្លៃបានទេ៖ មិនស្គាល់ GovernmentCloud ឬក្រសួងនោះ ដូច្នេះនាឡិកាច្បាប់មិនអាចដំណើរការបាន (មាត្រា 10)"
        ),
        deadline: None,
        state: None,
        fix: FIX_DECLARE,
        fix_km: FIX_DECLARE_KM,
    }
}

/// The Art. 25, 26 refusal of an object whose data class (its label, else its namespace's)
/// does not allow `placement`.
fn class_draft(
    inv: &Inventory,
    name: &str,
    object: &Json,
    ministry: &str,
    provider: &str,
    placement: Placement,
) -> Option<Draft> {
    let class = object["metadata"]["labels"][LABEL_DATA_CLASS]
        .as_str()
        .map(str::to_string)
        .or_else(|| {
            object["metadata"]["namespace"]
                .as_str()
                .and_then(|ns| inv.namespaces.get(ns))
                .and_then(|i| i.data_class.clone())
        })?;
    let Some(entry) = inv.data_classes.get(&class) else {
        // Against a known catalogue of classes only (as `data-placement` judges): a class that
        // is not in it is no pass.
        return (!inv.data_classes.is_empty()).then(|| unknown_class(name, ministry, &class));
    };
    let spec = &entry.object.spec;
    if spec.allowed_placements.contains(&placement) {
        return None;
    }
    Some(Draft {
        action: Action::Deny,
        severity: Severity::Critical,
        articles: &["25", "26"],
        message: format!(
            "{name} of Ministry {ministry} holds {class} data in {provider} ({}), which the {class} class does not allow: it allows only {} (Art. 25, 26)",
            placement.as_str(),
            join(&spec.allowed_placements)
        ),
        km: format!(
            "{name} របស់ក្រសួង {ministry} ផ្ទុកទិន្នន័យ {class} ក្នុង {provider} ({}) ដែលថ្នាក់ {class} មិនអនុញ្ញាត៖ វាអនុញ្ញាតតែ {} ប៉ុណ្ណោះ (មាត្រា 25, 26)",
            placement.as_str(),
            join(&spec.allowed_placements)
        ),
        deadline: None,
        state: None,
        fix: FIX_CLASS,
        fix_km: FIX_CLASS_KM,
    })
}

/// The Art. 25 refusal of an object labelled with a data class that does not exist.
fn unknown_class(name: &str, ministry: &str, class: &str) -> Draft {
    Draft {
        action: Action::Deny,
        severity: Severity::Critical,
        articles: &["25"],
        message: format!(
            "{name} of Ministry {ministry} is labelled with data class \"{class}\", which does not exist: its data cannot be placed by a class no DataClass defines (Art. 25)"
        ),
        km: format!(
            "{name} របស់ក្រសួង {ministry} មានស្លាកថ្នាក់ទិន្នន័យ \"{class}\" ដែលមិនមាន៖ ទិន្នន័យរបស់វាមិនអាចដាក់តាមថ្នាក់ដែលគ្មាន DataClass កំណត់បានទេ (មាត្រា 25)"
        ),
        deadline: None,
        state: None,
        fix: FIX_CLASS,
        fix_km: FIX_CLASS_KM,
    }
}

/// At admission: the refusal of a cluster-scoped cloud object whose `digital.gov.kh/ministry`
/// label (the ministry it is attributed to) is set or changed by someone outside the
/// platform's groups — the platform assigns such objects to ministries, not whoever makes them.
/// None for a namespaced object (its namespace says whose it is, whatever its labels), for a
/// file (no submitter), or when the label is left as it was.
pub(crate) fn assignment(
    catalogue: &Catalogue,
    object: &Json,
    old: Option<&Json>,
    user: Option<&Json>,
    platform_groups: &[String],
    source: Option<&Source>,
) -> Option<Finding> {
    let user = user?;
    if object["metadata"]["namespace"].is_string() {
        return None;
    }
    catalogue.classify(
        object["apiVersion"].as_str().unwrap_or_default(),
        object["kind"].as_str().unwrap_or_default(),
        &object["metadata"],
    )?;
    let label = |o: &Json| {
        o["metadata"]["labels"][LABEL_MINISTRY]
            .as_str()
            .map(str::to_string)
    };
    let now = label(object);
    if now == old.and_then(label) || now.is_none() {
        return None;
    }
    let groups: Vec<&str> = user["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|g| g.as_str())
        .collect();
    if groups
        .iter()
        .any(|g| platform_groups.iter().any(|p| p == g))
    {
        return None;
    }
    let who = user["username"].as_str().unwrap_or("this user");
    let name = format!(
        "{} {}",
        object["kind"].as_str().unwrap_or_default(),
        object["metadata"]["name"].as_str().unwrap_or("?")
    );
    let ministry = now.unwrap_or_default();
    Some(Finding {
        policy: POLICY_CLOUD.into(),
        action: Action::Deny,
        severity: Severity::Critical,
        articles: vec!["5".into(), "10".into()],
        resource: resource_of(object),
        source: source.cloned(),
        ministry: Some(ministry.clone()),
        message: format!(
            "{who} (groups {}) may not assign {name}, a cluster-scoped cloud resource, to Ministry {ministry}: only the platform of the government cloud (groups {}) assigns those to ministries (Art. 5, 10)",
            groups.join(", "),
            platform_groups.join(", ")
        ),
        state: None,
        deadline: None,
        penalty: None,
        awaits: None,
        excused_by: None,
        fix: Some(FIX_ASSIGN.into()),
        km: Some(Khmer {
            message: format!(
                "{who} (ក្រុម {}) គ្មានសិទ្ធិចាត់ {name} ដែលជាធនធានក្លោដនៅកម្រិតចង្កោម ទៅក្រសួង {ministry} ទេ៖ មានតែវេទិកានៃក្លោដរាជរដ្ឋាភិបាល (ក្រុម {}) ទេ ដែលចាត់ធនធានទាំងនោះទៅក្រសួង (មាត្រា 5, 10)",
                groups.join(", "),
                platform_groups.join(", ")
            ),
            fix: Some(FIX_ASSIGN_KM.into()),
        }),
    })
}

const FIX_ASSIGN: &str = "ask the platform to label the resource digital.gov.kh/ministry, or create it in one of the ministry's namespaces";
const FIX_ASSIGN_KM: &str =
    "សូមស្នើវេទិកាឱ្យដាក់ស្លាក digital.gov.kh/ministry លើធនធាននោះ ឬបង្កើតវាក្នុង namespace មួយរបស់ក្រសួង";

fn join(p: &[Placement]) -> String {
    p.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", ")
}

/// Whether a tenancy of a ministry declares a provider.
enum Declared {
    /// One does, and its clock is in order: its placement.
    InOrder(Placement),
    /// Some do, none in order: the first (by name) and its verdict.
    OutOfOrder(String, Box<clock::ClockVerdict>),
    /// None does.
    Not,
}

/// Whether a tenancy of `ministry` declares `provider`, and in which state.
fn declared(inv: &Inventory, today: Day, ministry: &str, provider: &str) -> Declared {
    let (Some(cloud), Some(m)) = (&inv.government_cloud, inv.ministries.get(ministry)) else {
        return Declared::Not;
    };
    let mut failing = None;
    for (name, t) in &inv.tenancies {
        let spec = &t.object.spec;
        if spec.ministry != ministry
            || !spec
                .provider
                .as_deref()
                .is_some_and(|p| p.eq_ignore_ascii_case(provider))
        {
            continue;
        }
        let approvals = approvals_of(inv, SubjectKind::CloudTenancy, name);
        let v = clock::evaluate(
            spec,
            m.object.spec.resource_level,
            &approvals,
            &cloud.object.spec,
            today,
        );
        if v.state == ClockState::Compliant {
            return Declared::InOrder(spec.placement);
        }
        failing.get_or_insert((name.clone(), Box::new(v)));
    }
    match failing {
        Some((name, v)) => Declared::OutOfOrder(name, v),
        None => Declared::Not,
    }
}

/// The Art. 10 finding of a cloud object no tenancy in order declares: the declaring
/// tenancy's clock when one declares it, else the clock an undeclared external tenancy runs.
fn undeclared(
    inv: &Inventory,
    today: Day,
    c: &Classified,
    name: &str,
    ministry: &str,
    provider: &str,
) -> Draft {
    let what = c.what.as_deref().unwrap_or("resource");
    let (Some(cloud), Some(m)) = (&inv.government_cloud, inv.ministries.get(ministry)) else {
        return unjudgeable(inv, name, what, ministry, provider);
    };
    let (v, by) = match declared(inv, today, ministry, provider) {
        Declared::OutOfOrder(tenancy, v) => (*v, Some(tenancy)),
        Declared::InOrder(_) | Declared::Not => {
            let spec = CloudTenancySpec {
                ministry: ministry.into(),
                placement: Placement::External,
                provider: Some(provider.into()),
                region: None,
                since: None,
                namespaces: Vec::new(),
                deletion_policy: Default::default(),
            };
            let v = clock::evaluate(
                &spec,
                m.object.spec.resource_level,
                &[],
                &cloud.object.spec,
                today,
            );
            (v, None)
        }
    };
    let (action, severity) = clock_action(&v);
    let (lead, lead_km) = match &by {
        Some(t) => (
            format!(
                "{name} of Ministry {ministry} (a {what} in {provider}) is declared by CloudTenancy {t}, which"
            ),
            format!(
                "{name} របស់ក្រសួង {ministry} ({what} ក្នុង {provider}) ត្រូវបានប្រកាសដោយ CloudTenancy {t} ដែល"
            ),
        ),
        None => (
            format!(
                "{name} of Ministry {ministry} (a {what} in {provider}) is declared by no CloudTenancy: it"
            ),
            format!(
                "{name} របស់ក្រសួង {ministry} ({what} ក្នុង {provider}) មិនត្រូវបានប្រកាសដោយ CloudTenancy ណាមួយទេ៖ វា"
            ),
        ),
    };
    Draft {
        // An undeclared resource is never in order, even while the clock still allows time.
        action: action.unwrap_or(Action::Warn),
        severity,
        articles: &["10"],
        message: format!("{lead} {}", message::en::clock(&v)),
        km: format!("{lead_km} {}", message::km::clock(&v)),
        deadline: v.next_deadline,
        state: Some(v.state.to_string()),
        fix: FIX_DECLARE,
        fix_km: FIX_DECLARE_KM,
    }
}
