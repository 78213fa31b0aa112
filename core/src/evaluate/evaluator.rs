//! Judging one object at a time (an admission review) against an inventory: the `Review` of a
//! request and the `Evaluator` that runs the checks and the policies of its kind on it.

pub use crate::policy::Operation;
use crate::{
    api::Day,
    finding::{Action, Finding, Khmer, Severity},
    inventory::Inventory,
    loading::manifest::{LoadError, Source},
    message,
    policy::Library,
    printable,
};
use k8s_openapi::jiff::Timestamp;
use serde_json::Value as Json;

use super::*;

/// One request to judge: an object being created or changed, and by whom.
#[derive(Clone, Debug)]
pub struct Review {
    /// What the request does.
    pub operation: Operation,
    /// The object as submitted.
    pub object: Json,
    /// The object before the change, for updates.
    pub old_object: Option<Json>,
    /// The requesting user (`username`, `groups`), at admission.
    pub user_info: Option<Json>,
    /// Where the object was read from, for manifests.
    pub source: Option<Source>,
}

impl Review {
    /// The review of creating `object` with no requesting user: how `check`, the audit and
    /// the samples judge a manifest.
    pub fn create(object: Json, source: Option<Source>) -> Self {
        Review {
            operation: Operation::Create,
            object,
            old_object: None,
            user_info: None,
            source,
        }
    }
}

/// Judges reviews against the policies, with the inventory prepared once.
pub struct Evaluator<'a> {
    policies: &'a Library,
    inventory: &'a Inventory,
    shared: regorus::Value,
    now: Timestamp,
    today: Day,
    /// Policies that keep running out of time are stopped for the rest of this evaluation.
    breaker: crate::policy::Breaker,
    /// When the whole run must end (`Library::with_deadline`, `--timeout`): objects not judged
    /// by then get an error finding each. A monotonic instant, for a budget, never a legal day.
    deadline: Option<std::time::Instant>,
}

impl<'a> Evaluator<'a> {
    /// Prepare the inventory (with every approval, grant and tenancy state as of `now`) for
    /// the policies. `tenancies` are the clock's verdicts, so the policies see the same states.
    pub fn new(
        inv: &'a Inventory,
        policies: &'a Library,
        now: Timestamp,
        tenancies: &[TenancyClock],
    ) -> Self {
        let prepared = PreparedInventory::new(inv, Day::in_phnom_penh(now), tenancies);
        Self::with_prepared(inv, policies, now, &prepared)
    }

    /// An evaluator on an inventory already prepared (for `prepared.today`; the caller keeps
    /// it for that day only).
    pub fn with_prepared(
        inv: &'a Inventory,
        policies: &'a Library,
        now: Timestamp,
        prepared: &PreparedInventory,
    ) -> Self {
        Evaluator {
            policies,
            inventory: inv,
            // Reference-counted: a cheap clone.
            shared: prepared.value.clone(),
            now,
            today: prepared.today,
            breaker: Default::default(),
            deadline: policies.deadline(),
        }
    }

    /// The input document of one review, as the policies read it. The object is converted
    /// from its JSON form in one pass (no intermediate copy); the inventory is converted once
    /// per evaluation and shared (reference-counted) by every object's input.
    pub fn input(&self, review: &Review) -> regorus::Value {
        self.input_of(&Seen::of(review))
    }

    fn input_of(&self, review: &Seen<'_>) -> regorus::Value {
        let mut r = regorus::Value::new_object();
        let mut input = regorus::Value::new_object();
        if let (Ok(rm), Ok(im)) = (r.as_object_mut(), input.as_object_mut()) {
            rm.insert("operation".into(), review.operation.as_str().into());
            rm.insert("object".into(), to_rego(review.object));
            if let Some(old) = review.old_object {
                rm.insert("oldObject".into(), to_rego(old));
            }
            if let Some(user) = review.user_info {
                rm.insert("userInfo".into(), to_rego(user));
            }
            im.insert("now".into(), self.now.to_string().as_str().into());
            im.insert("today".into(), self.today.to_string().as_str().into());
            im.insert("config".into(), self.policies.config().clone());
            // The shared context, with the volumes this object copies looked up for it alone
            // (a copy of the context's top level only: its members stay shared).
            let mut inventory = self.shared.clone();
            if let (Some(volumes), Ok(m)) = (
                volumes_for(self.inventory, review.object),
                inventory.as_object_mut(),
            ) {
                m.insert("volumes".into(), to_rego(&volumes));
            }
            im.insert("inventory".into(), inventory);
        }
        if let Ok(im) = input.as_object_mut() {
            im.insert("review".into(), r);
        }
        input
    }

    /// Every policy finding about one review.
    pub fn review(&self, review: &Review) -> Vec<Finding> {
        self.judge(&Seen::of(review))
    }

    /// The findings of the policies that judge this object's kind and operation; no input is
    /// built for an object no policy judges.
    fn judge(&self, review: &Seen<'_>) -> Vec<Finding> {
        let kind = review.object["kind"].as_str().unwrap_or_default();
        // Cloud resources the catalogue knows, judged by the core beside the policies.
        let mut clouds = if matches!(review.operation, Operation::Create | Operation::Update) {
            let mut found = super::clouds::judge(
                self.inventory,
                self.policies.clouds(),
                self.today,
                review.object,
                review.source,
            );
            found.extend(super::clouds::assignment(
                self.policies.clouds(),
                review.object,
                review.old_object,
                review.user_info,
                &self.policies.authority().platform_groups,
                review.source,
            ));
            found
        } else {
            Vec::new()
        };
        if self.policies.applicable(kind, review.operation).is_empty() {
            return clouds;
        }
        if self
            .deadline
            .is_some_and(|d| std::time::Instant::now() >= d)
        {
            return vec![Finding {
                policy: POLICY_CONTEXT.into(),
                action: Action::Error,
                severity: Severity::High,
                articles: Vec::new(),
                resource: resource_of(review.object),
                source: review.source.cloned(),
                ministry: ministry_of(self.inventory, review.object),
                message: "not judged: the run's time budget (--timeout) ran out before this object; nothing was decided about it".into(),
                state: None,
                deadline: None,
                penalty: None,
                awaits: None,
                excused_by: None,
                fix: None,
                km: Some(Khmer {
                    message: message::km::BUDGET_RAN_OUT.to_string(),
                    fix: None,
                }),
            }];
        }
        let input = self.input_of(review);
        clouds.extend(self.findings_of(review, &input));
        clouds
    }

    /// The findings of every policy on a prepared input.
    pub fn findings(&self, review: &Review, input: &regorus::Value) -> Vec<Finding> {
        self.findings_of(&Seen::of(review), input)
    }

    fn findings_of(&self, review: &Seen<'_>, input: &regorus::Value) -> Vec<Finding> {
        let resource = resource_of(review.object);
        let ministry = ministry_of(self.inventory, review.object);
        let mut out = Vec::new();
        let kind = review.object["kind"].as_str().unwrap_or_default();
        for (policy, outcome) in
            self.policies
                .evaluate(kind, review.operation, input, &self.breaker)
        {
            let meta = &policy.meta;
            let finding = |action, severity, message, km: Option<String>, penalty| Finding {
                policy: meta.id.clone(),
                action,
                severity,
                articles: meta.articles.clone(),
                resource: resource.clone(),
                source: review.source.cloned(),
                ministry: ministry.clone(),
                message,
                state: None,
                deadline: None,
                penalty,
                awaits: None,
                excused_by: None,
                fix: meta.fix.clone(),
                km: km.map(|message| Khmer {
                    message,
                    fix: meta.fix_km.clone(),
                }),
            };
            match outcome {
                Ok(violations) => {
                    for v in violations {
                        let penalty = meta
                            .penalty
                            .as_ref()
                            .filter(|_| v.penalised)
                            .map(|p| p.for_level(v.level.as_deref()));
                        // A host with a look-alike letter is shown as DNS carries it too.
                        let ascii = |m: String| printable::with_ascii_hosts(&m).into_owned();
                        out.push(Finding {
                            awaits: v.awaits,
                            ..finding(
                                v.action.unwrap_or(meta.action),
                                meta.severity,
                                ascii(v.msg),
                                v.msg_km.map(ascii),
                                penalty,
                            )
                        });
                    }
                }
                Err(e) => out.push(finding(
                    Action::Error,
                    Severity::High,
                    format!(
                        "policy {} failed on this object and could not judge it: {e}",
                        meta.id
                    ),
                    Some(format!(
                        "គោលការណ៍ {} បរាជ័យលើវត្ថុនេះ ហើយមិនអាចវាយតម្លៃវាបានទេ៖ {e}",
                        meta.id
                    )),
                    None,
                )),
            }
        }
        out
    }

    /// Judge `objects` as if each were created, on `policies.threads()` threads, adding their
    /// findings to `findings` and each object judged to `judged`, in the objects' order
    /// whatever the threads' timing.
    pub(crate) fn judge_all(
        &self,
        objects: &[Held<'_>],
        findings: &mut Vec<Finding>,
        judged: &mut Vec<Judged>,
    ) {
        let results = crate::parallel::map(objects, self.policies.threads(), |held| {
            let judge = |object: &Json, source: Option<&Source>| {
                let found = self.judge(&Seen {
                    operation: Operation::Create,
                    object,
                    old_object: None,
                    user_info: self.policies.user(),
                    source,
                });
                (found, Some(Judged::of(self.inventory, object)))
            };
            match held {
                Held::Json(object, source) => judge(object, *source),
                // Decoded on its turn, in the worker: never all at once.
                Held::Compact(packed, source) => match packed.value() {
                    Ok(object) => judge(&object, Some(source)),
                    Err(message) => (
                        load_error_findings(&[LoadError {
                            source: (*source).clone(),
                            object: None,
                            message,
                        }]),
                        None,
                    ),
                },
            }
        });
        for (found, j) in results {
            findings.extend(found);
            judged.extend(j);
        }
    }
}

/// An object to judge as the inventory holds it: JSON, or packed and decoded on its turn.
pub(crate) enum Held<'a> {
    Json(&'a Json, Option<&'a Source>),
    Compact(&'a crate::loading::manifest::Packed, &'a Source),
}

/// A review with its parts borrowed: how the inventory's objects are judged without a copy.
pub(crate) struct Seen<'r> {
    operation: Operation,
    object: &'r Json,
    old_object: Option<&'r Json>,
    user_info: Option<&'r Json>,
    source: Option<&'r Source>,
}

impl<'r> Seen<'r> {
    fn of(review: &'r Review) -> Self {
        Seen {
            operation: review.operation,
            object: &review.object,
            old_object: review.old_object.as_ref(),
            user_info: review.user_info.as_ref(),
            source: review.source.as_ref(),
        }
    }
}
