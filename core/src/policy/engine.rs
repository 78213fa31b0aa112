//! Evaluating one object against the policies of its kind: on the RVM (the default) or the
//! interpreter, from a pool of engines, with a failing policy reported as an error, never as a
//! pass.

use crate::{finding::Action, printable};
use regorus::{Value, rvm::program::Program};
use std::sync::Arc;

use super::*;

pub(crate) fn run_vm(
    program: &Arc<Program>,
    input: &Value,
    entry: &str,
) -> std::result::Result<Value, String> {
    let mut vm = regorus::rvm::RegoVM::new();
    vm.load_program(program.clone());
    vm.set_execution_timer_config(Some(timer()));
    // Its own memory budget: a huge object or a hungry policy fails alone (limits.rs).
    vm.set_memory_budget_config(evaluation_budget());
    // A builtin's error, or any error in a rule body, must surface (and be re-run on the
    // interpreter for its message), never be undefined: the second switch is govkh's patch.
    vm.set_strict_builtin_errors(true);
    vm.set_strict_rule_errors(true);
    vm.set_input(input.clone());
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        vm.execute_entry_point_by_name(entry)
            .map_err(|e| printable::one_line(&e.to_string()))
    }))
    .unwrap_or_else(|panic| Err(panicked(panic.as_ref())))
}

/// The violations a policy's `violation` set holds, read straight from the engine's value.
pub(crate) fn violations(v: &Value) -> PolicyResult {
    if *v == Value::Undefined {
        return Ok(Vec::new());
    }
    let set = match v {
        Value::Set(_) => v.as_set().map_err(|e| e.to_string())?,
        other => return Err(format!("`violation` must be a set of objects, got {other}")),
    };
    set.iter_sorted().map(violation).collect()
}

pub(crate) fn violation(item: &Value) -> std::result::Result<Violation, String> {
    let wrong = |why: &str| {
        format!("violation {item} is not {{msg, level?, action?, penalty?, awaits?}}: {why}")
    };
    let object = item.as_object().map_err(|_| wrong("not an object"))?;
    let text = |key: &str| -> std::result::Result<Option<String>, String> {
        match object.get(&Value::from(key)) {
            None | Some(Value::Undefined) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.to_string())),
            Some(other) => Err(wrong(&format!("{key} is {other}, not a string"))),
        }
    };
    let msg = text("msg")?.ok_or_else(|| wrong("missing field `msg`"))?;
    let action = match text("action")?.as_deref() {
        None => None,
        Some("deny") => Some(Action::Deny),
        Some("warn") => Some(Action::Warn),
        Some("dryrun") => Some(Action::Dryrun),
        Some("error") => Some(Action::Error),
        Some(other) => {
            return Err(wrong(&format!(
                "action {other:?} is not deny, warn, dryrun or error"
            )));
        }
    };
    // `"penalty": false`: a breach of the policy's articles that is not the offence its
    // penalty article punishes (an Ingress rule without a host serves every name, but uses no
    // domain outside .gov.kh: Art. 21 is breached, Art. 38 is not).
    let penalised = match object.get(&Value::from("penalty")) {
        None | Some(Value::Undefined) => true,
        Some(Value::Bool(b)) => *b,
        Some(other) => return Err(wrong(&format!("penalty is {other}, not a boolean"))),
    };
    Ok(Violation {
        msg,
        msg_km: text("msg_km")?,
        level: text("level")?,
        action,
        penalised,
        awaits: text("awaits")?,
    })
}

impl Library {
    /// Evaluate the policies that apply to a `kind` object under `operation` on one input
    /// document (converted once, shared by all of them). They are evaluated together; if that
    /// fails, each is evaluated alone so that the failure is attributed to the policy that
    /// caused it.
    ///
    /// A policy that ran out of time `TIME_OUTS_BEFORE_SKIP` times in this evaluation
    /// (`breaker`) is not run: its result is an error saying so.
    pub fn evaluate(
        &self,
        kind: &str,
        operation: Operation,
        input: &Value,
        breaker: &Breaker,
    ) -> Vec<(&Policy, PolicyResult)> {
        let group = self.group(kind, operation);
        if group.members.is_empty() {
            return Vec::new();
        }
        let skipping = group.members.iter().any(|&i| breaker.tripped(i));
        let together = if skipping {
            Err(String::new())
        } else {
            self.run(group.program.as_ref(), input, &group.rule)
        };
        if let Ok(Value::Object(results)) = together {
            let split: Option<Vec<(&Policy, PolicyResult)>> = group
                .members
                .iter()
                .map(|&i| {
                    let v = results.get(&Value::from(i.to_string()))?;
                    Some((&self.policies[i], violations(v)))
                })
                .collect();
            if let Some(split) = split {
                return split;
            }
        }
        group
            .members
            .iter()
            .map(|&i| {
                let policy = &self.policies[i];
                if breaker.tripped(i) {
                    return (
                        policy,
                        Err(format!(
                            "not run: it ran out of time ({} ms) on {TIME_OUTS_BEFORE_SKIP} objects earlier in this evaluation",
                            EVALUATION_TIME_LIMIT.as_millis()
                        )),
                    );
                }
                let entry = format!("{}.violation", policy.package);
                let result = self.run(self.programs[i].as_ref(), input, &entry);
                if let Err(e) = &result
                    && is_time_out(e)
                {
                    breaker.time_out(i);
                }
                (policy, result.and_then(|v| violations(&v)))
            })
            .collect()
    }

    /// One rule in this library's mode: on the RVM where it is compiled, and on the
    /// interpreter where it is not or where the RVM reported an error — except running out of
    /// time or memory, which the interpreter would only repeat.
    pub(crate) fn run(
        &self,
        program: Option<&Arc<Program>>,
        input: &Value,
        rule: &str,
    ) -> std::result::Result<Value, String> {
        match (self.mode, program) {
            (Mode::Rvm, Some(program)) => match run_vm(program, input, rule) {
                Err(e) if !is_time_out(&e) && !is_out_of_memory(&e) => {
                    self.reruns
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    self.interpret(input, rule)
                }
                result => result,
            },
            _ => self.interpret(input, rule),
        }
    }

    /// How many evaluations the RVM reported an error on, re-run on the interpreter, since this
    /// library was loaded (shared by its clones): none on a library without policy errors.
    pub fn interpreter_reruns(&self) -> usize {
        self.reruns.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// One rule on the interpreter, with an engine from the pool (returned after a success;
    /// after a failure, dropped, so no half-evaluated state is ever reused).
    pub(crate) fn interpret(
        &self,
        input: &Value,
        rule: &str,
    ) -> std::result::Result<Value, String> {
        let pooled = self.pool.lock().ok().and_then(|mut p| p.pop());
        let mut engine = pooled.unwrap_or_else(|| self.engine.clone());
        engine.set_input(input.clone());
        // A panic inside the engine (a bug a policy can reach) is this policy's error on this
        // object, not the end of the process; the engine is dropped with it.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            engine
                .eval_rule(rule.to_string())
                .map_err(|e| printable::one_line(&e.to_string()))
        }))
        .unwrap_or_else(|panic| Err(panicked(panic.as_ref())));
        if result.is_ok() {
            // The input is shared (reference-counted): clear it so a pooled engine holds none.
            engine.set_input(Value::new_object());
            if let Ok(mut pool) = self.pool.lock()
                && pool.len() < POOL_LIMIT
            {
                pool.push(engine);
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> std::result::Result<Violation, String> {
        violation(&Value::from_json_str(json).unwrap())
    }

    #[test]
    fn a_violation_says_whether_its_penalty_applies_and_nothing_else_is_a_boolean() {
        assert!(parse(r#"{"msg": "m"}"#).unwrap().penalised);
        assert!(
            !parse(r#"{"msg": "m", "penalty": false}"#)
                .unwrap()
                .penalised
        );
        assert!(parse(r#"{"msg": "m", "penalty": true}"#).unwrap().penalised);
        let e = parse(r#"{"msg": "m", "penalty": "no"}"#).unwrap_err();
        assert!(e.contains("penalty is \"no\", not a boolean"), "{e}");
    }
}
