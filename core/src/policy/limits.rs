//! The bounds every evaluation runs within: the memory limit, the time limit and the breaker that
//! stops a policy that keeps running out of time, and the bounded built-ins (`numbers.range`,
//! `sprintf` widths) that would otherwise let one policy exhaust the process.

use crate::printable;
use regorus::Value;
use std::{
    collections::BTreeMap,
    num::{NonZeroU32, NonZeroU64},
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

/// Time one policy may take on one object before it is stopped and reported.
pub const EVALUATION_TIME_LIMIT: Duration = Duration::from_millis(500);

/// The memory the whole process may hold while it evaluates policies, unless told otherwise
/// (`--memory-limit`): 2 GiB.
pub const DEFAULT_MEMORY_LIMIT: u64 = 2 << 30;

/// Bound the memory policies may bring the process to: past `bytes` (everything the process
/// holds, counted by the allocator regorus installs), an evaluation stops at its next check
/// with an error — an error finding on that object — and frees what it built, instead of the
/// process growing until it is killed. Process-wide, as the allocator's count is; `None` lifts
/// it. A policy that builds a large structure step by step is caught by it; the time limit
/// catches one that only loops.
pub fn limit_memory(bytes: Option<u64>) {
    regorus::set_global_memory_limit(bytes);
}

/// The memory one evaluation — one object under the policies of its kind, on the RVM — may
/// build, unless told otherwise (`--evaluation-memory-limit`): 256 MiB. Ten times what the
/// largest object the API server stores (3 MiB) takes as the policies' input, many times what
/// any built-in policy builds on it.
pub const DEFAULT_EVALUATION_MEMORY_LIMIT: u64 = 256 << 20;

static EVALUATION_MEMORY_LIMIT: AtomicU64 = AtomicU64::new(DEFAULT_EVALUATION_MEMORY_LIMIT);

/// Bound what one evaluation may build: past `bytes` — counted on its own thread from its
/// start, so what other evaluations hold does not count — that evaluation stops with an error
/// finding and frees what it built, while the others go on. Without it, one huge request would
/// bring the whole process to `limit_memory`'s ceiling, and every evaluation running beside it
/// would fail with it. The RVM keeps this budget; the interpreter (`--policy-engine
/// interpreter`) has only the process's ceiling. `None` lifts it.
pub fn limit_evaluation_memory(bytes: Option<u64>) {
    EVALUATION_MEMORY_LIMIT.store(bytes.unwrap_or(0), Ordering::Relaxed);
}

/// The budget of the next evaluation on the RVM, if one is set.
pub(crate) fn evaluation_budget() -> Option<regorus::MemoryBudgetConfig> {
    NonZeroU64::new(EVALUATION_MEMORY_LIMIT.load(Ordering::Relaxed))
        .map(|limit| regorus::MemoryBudgetConfig { limit })
}

/// Time-outs of one policy an evaluation tolerates before it stops running that policy.
pub const TIME_OUTS_BEFORE_SKIP: usize = 3;

/// The policies that ran out of time during one evaluation (a `check`, an audit, one
/// admission review). After `TIME_OUTS_BEFORE_SKIP` time-outs a policy is not run again in
/// that evaluation: each object it would have judged gets an error finding at once, so a
/// looping policy costs a few seconds, not half a second per object (hours on a large run).
#[derive(Debug, Default)]
pub struct Breaker {
    time_outs: Mutex<BTreeMap<usize, usize>>,
}

impl Breaker {
    pub(crate) fn tripped(&self, policy: usize) -> bool {
        self.time_outs
            .lock()
            .map(|t| t.get(&policy).copied().unwrap_or(0) >= TIME_OUTS_BEFORE_SKIP)
            // A poisoned lock means a worker panicked; running the policy is the safe side.
            .unwrap_or(false)
    }

    pub(crate) fn time_out(&self, policy: usize) {
        if let Ok(mut t) = self.time_outs.lock() {
            *t.entry(policy).or_insert(0) += 1;
        }
    }
}

/// Whether an evaluation error is the time limit running out.
pub(crate) fn is_time_out(error: &str) -> bool {
    error.contains("exceeded time limit")
}

/// Whether an evaluation's error is the memory limit (`--memory-limit`), in either engine, or
/// its own budget (`--evaluation-memory-limit`) on the RVM.
pub(crate) fn is_out_of_memory(error: &str) -> bool {
    error.contains("exceeded memory limit") || error.contains("exceeded memory budget")
}

pub(crate) fn timer() -> regorus::utils::limits::ExecutionTimerConfig {
    regorus::utils::limits::ExecutionTimerConfig {
        limit: EVALUATION_TIME_LIMIT,
        check_interval: NonZeroU32::MIN.saturating_add(63),
    }
}

/// The most numbers `numbers.range` and `numbers.range_step` may make in one call. regorus
/// reserves the whole array before filling it, so `numbers.range(1, 300000000)` asks for
/// gigabytes at once and an allocation failure aborts the process; no policy over Kubernetes
/// objects needs more than this.
pub const MAX_RANGE: u64 = 1_000_000;

/// `numbers.range(a, b)` or, with `step`, `numbers.range_step(a, b, step)`, as OPA defines
/// them (from `a` towards `b`, both included when reached), refusing more than `MAX_RANGE`
/// numbers with an error (an error finding) before anything is allocated.
pub(crate) fn bounded_range(args: &[Value], stepped: bool) -> anyhow::Result<Value> {
    let name = if stepped {
        "numbers.range_step"
    } else {
        "numbers.range"
    };
    let int = |v: Option<&Value>| match v {
        Some(Value::Number(n)) if n.is_integer() => n.as_i64(),
        _ => None,
    };
    let (Some(a), Some(b)) = (int(args.first()), int(args.get(1))) else {
        anyhow::bail!("{name}: operands must be integers");
    };
    let step = if stepped {
        match int(args.get(2)) {
            Some(s) if s > 0 => s.unsigned_abs(),
            _ => anyhow::bail!("{name}: step must be a positive integer"),
        }
    } else {
        1
    };
    let count = a.abs_diff(b) / step + 1;
    if count > MAX_RANGE {
        anyhow::bail!(
            "{name} from {a} to {b} would make {count} numbers; govkh allows at most {MAX_RANGE} in one call"
        );
    }
    let step = usize::try_from(step)?;
    let values: Vec<Value> = if a <= b {
        (a..=b).step_by(step).map(Value::from).collect()
    } else {
        (b..=a).rev().step_by(step).map(Value::from).collect()
    };
    Ok(Value::from(values))
}

/// The widest field a format string in a policy may ask for (`%05d`, `%.3f`, `%20s`): regorus
/// builds the whole padding at once, so `sprintf("%0900000000d", [1])` made a 900 MB string
/// and ran past every time limit, and a width past 4,294,967,295 panicked.
pub const MAX_FORMAT_WIDTH: u64 = 1000;

/// The first format width or precision over `MAX_FORMAT_WIDTH` in the string literals of a
/// Rego `text` (quoted and raw, a raw one over several lines too; comments skipped), with its
/// line.
pub(crate) fn oversized_format(text: &str) -> Option<(usize, String)> {
    let mut line = 1;
    let mut chars = text.chars().peekable();
    // The literal being read: its closing character, if inside one.
    let mut inside: Option<char> = None;
    while let Some(c) = chars.next() {
        match (inside, c) {
            (_, '\n') => {
                line += 1;
                // A quoted string ends with its line; a raw one goes on.
                if inside == Some('"') {
                    inside = None;
                }
            }
            (None, '#') => {
                while chars.peek().is_some_and(|&c| c != '\n') {
                    chars.next();
                }
            }
            (None, '"' | '`') => inside = Some(c),
            (Some(close), _) if c == close => inside = None,
            (Some('"'), '\\') => {
                chars.next();
            }
            (Some(_), '%') => {
                let mut spec = String::from("%");
                while let Some(&f) = chars.peek() {
                    if !matches!(f, '0'..='9' | '.' | '-' | '+' | ' ' | '#') {
                        break;
                    }
                    spec.push(f);
                    chars.next();
                }
                let too_wide = spec
                    .split(|c: char| !c.is_ascii_digit())
                    .filter(|d| !d.is_empty())
                    .any(|d| d.len() > 4 || d.parse::<u64>().is_ok_and(|w| w > MAX_FORMAT_WIDTH));
                if too_wide {
                    return Some((line, spec));
                }
                // `%%` is a literal percent sign.
                if spec == "%" && chars.peek() == Some(&'%') {
                    chars.next();
                }
            }
            _ => {}
        }
    }
    None
}

/// A panic caught from the engine, as an error message.
pub(crate) fn panicked(panic: &(dyn std::any::Any + Send)) -> String {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_string());
    format!(
        "the policy engine failed ({}) evaluating it",
        printable::one_line(&what)
    )
}
