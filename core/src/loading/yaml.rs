//! Reading one YAML document into a JSON value: serde-saphyr's reading, made about twice as
//! fast for the documents that use none of YAML's rarer features.
//!
//! serde-saphyr spends more than half its time in its serde machinery (event buffering, key
//! fingerprints, its budget), not in parsing. Most manifests are plain block mappings of strings
//! and small integers, so `from_str` first builds the value straight from the same parser's
//! events (granit-parser, with the options serde-saphyr gives it). It gives up at the first thing
//! it is not sure to read exactly as serde-saphyr would — an anchor, alias, tag, directive, merge
//! key, repeated or null-like key, a key that is not a scalar, a plain scalar that could be a
//! number other than a short decimal integer, deep nesting, a parser error — and the document is
//! then read by serde-saphyr, whose result (or error) is the answer. So the fast path may only
//! ever return what serde-saphyr returns: `core/tests/yaml.rs` compares the two on every example,
//! sample and generated workload and on a list of tricky documents, and the `load` fuzz target
//! compares them on every input it makes.

// serde-saphyr's own parser, through its re-export: always the version and features it uses.
use serde_json::{Map, Value};
use serde_saphyr::granit_parser::{self, Event, Parser, ScalarStyle};
use std::borrow::Cow;

/// Read one YAML document (`---`-separated documents are split before) into a JSON value: null
/// for an empty document, serde-saphyr's error message for an invalid one.
pub fn from_str(doc: &str) -> Result<Value, String> {
    if let Some(value) = fast(doc) {
        return Ok(value);
    }
    slow(doc)
}

/// serde-saphyr's reading alone, with govkh's options: what `from_str` must equal.
pub fn slow(doc: &str) -> Result<Value, String> {
    serde_saphyr::from_str_with_options(doc, options(doc.len())).map_err(|e| e.to_string())
}

/// The YAML parser's options for a document of `bytes`: its defaults, but aliases may replay
/// at most ten events per byte of the document (at least 1,000). The library's own bound is a
/// million events per document whatever its size, so a file of many small alias bombs cost
/// seconds and gigabytes each; proportional to the text, the work a file can cause is bounded
/// by the file's size, as for a file without aliases.
fn options(bytes: usize) -> serde_saphyr::Options {
    let mut options = serde_saphyr::Options::default();
    options.alias_limits.max_total_replayed_events = bytes.saturating_mul(10).max(1_000);
    options
}

/// The parser options serde-saphyr derives from its default options and budget
/// (`Options::parser_options`, crate-private there), rebuilt here from the same public defaults:
/// a limit the parser enforces must fail the fast path exactly where it fails serde-saphyr.
fn parser_options() -> granit_parser::Options {
    let defaults = serde_saphyr::Options::default();
    let budget = defaults.budget.unwrap_or_default();
    let mut o = granit_parser::Options::default();
    o.simple_key_max_lookahead = budget.simple_key_max_lookahead;
    o.flow_nesting_limit = budget.flow_nesting_limit;
    o.block_nesting_limit = o
        .block_nesting_limit
        .max(budget.max_depth.saturating_add(1));
    o.emit_comments = defaults.emit_comments;
    o.max_buffered_comment_events = budget.max_buffered_comment_events;
    o.strict_indentation = defaults.strict_indentation;
    o.bom_inside_document_as_content = defaults.bom_inside_document_as_content;
    o
}

/// Well inside serde-saphyr's budget (depth 64, 250,000 nodes, a million events), so that what
/// the budget refuses is always left to serde-saphyr.
const MAX_DEPTH: usize = 48;
const MAX_NODES: usize = 100_000;
const MAX_EVENTS: usize = 400_000;

/// A collection being built: a sequence's items, or a mapping and the key awaiting its value.
enum Open {
    Seq(Vec<Value>),
    Map(Map<String, Value>, Option<String>),
}

/// The fast reading alone: the document's value, or None where it is left to serde-saphyr.
pub fn fast(doc: &str) -> Option<Value> {
    let mut stack: Vec<Open> = Vec::new();
    let mut root: Option<Value> = None;
    let mut documents = 0usize;
    let mut nodes = 0usize;
    for (events, item) in Parser::new_from_str_with_options(doc, parser_options()).enumerate() {
        let (event, _) = item.ok()?;
        if events > MAX_EVENTS {
            return None;
        }
        let value = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Comment(..) => {
                continue;
            }
            Event::DocumentStart(_, version) => {
                documents += 1;
                if documents > 1 || version.is_some() {
                    return None;
                }
                continue;
            }
            Event::Alias(_) | Event::Anchor(..) | Event::UnresolvedAlias(_) => return None,
            Event::Scalar(text, style, anchor, tag) => {
                nodes += 1;
                if anchor != 0 || tag.is_some() || nodes > MAX_NODES {
                    return None;
                }
                if let Some(Open::Map(map, key @ None)) = stack.last_mut() {
                    // serde-saphyr tells keys apart by their text, except that null-like plain
                    // keys are all one (null) and `<<` merges: those are left to it.
                    if (style == ScalarStyle::Plain && null_like(&text)) || text == "<<" {
                        return None;
                    }
                    let text = text.into_owned();
                    if map.contains_key(&text) {
                        return None;
                    }
                    *key = Some(text);
                    continue;
                }
                scalar(text, style)?
            }
            Event::SequenceStart(_, anchor, ref tag) | Event::MappingStart(_, anchor, ref tag) => {
                nodes += 1;
                let key_position = matches!(stack.last(), Some(Open::Map(_, None)));
                if anchor != 0
                    || tag.is_some()
                    || key_position
                    || nodes > MAX_NODES
                    || stack.len() >= MAX_DEPTH
                {
                    return None;
                }
                // The two start events share their fields; which one this is decides the shape.
                stack.push(if matches!(event, Event::SequenceStart(..)) {
                    Open::Seq(Vec::new())
                } else {
                    Open::Map(Map::new(), None)
                });
                continue;
            }
            Event::SequenceEnd => match stack.pop()? {
                Open::Seq(items) => Value::Array(items),
                Open::Map(..) => return None,
            },
            Event::MappingEnd => match stack.pop()? {
                Open::Map(map, None) => Value::Object(map),
                _ => return None,
            },
            // A kind of event a later parser adds: not understood here.
            _ => return None,
        };
        match stack.last_mut() {
            None if root.is_none() => root = Some(value),
            None => return None,
            Some(Open::Seq(items)) => items.push(value),
            Some(Open::Map(map, key)) => {
                map.insert(key.take()?, value);
            }
        }
    }
    // An empty document (null) is rare enough to leave to serde-saphyr too.
    if !stack.is_empty() {
        return None;
    }
    root
}

/// A plain scalar serde-saphyr reads as null.
fn null_like(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

/// A YAML 1.1 boolean, as serde-saphyr reads untyped plain scalars (`strict_booleans` off).
fn boolean(text: &str) -> Option<bool> {
    const TRUE: [&str; 4] = ["true", "yes", "y", "on"];
    const FALSE: [&str; 4] = ["false", "no", "n", "off"];
    if TRUE.iter().any(|t| text.eq_ignore_ascii_case(t)) {
        Some(true)
    } else if FALSE.iter().any(|t| text.eq_ignore_ascii_case(t)) {
        Some(false)
    } else {
        None
    }
}

/// An untagged scalar's value, or None where serde-saphyr's reading of it is not certain here.
fn scalar(text: Cow<'_, str>, style: ScalarStyle) -> Option<Value> {
    // Quoted and block scalars are strings, whatever they hold.
    if style != ScalarStyle::Plain {
        return Some(Value::String(text.into_owned()));
    }
    if null_like(&text) {
        return Some(Value::Null);
    }
    if let Some(b) = boolean(&text) {
        return Some(Value::Bool(b));
    }
    let bytes = text.as_bytes();
    // A number starts with a digit or `.`, after at most a sign. Anything else is a string —
    // Rust's float parser also takes `inf` and `nan`, but serde-saphyr refuses non-finite
    // values read that way, and keeps them as strings.
    let unsigned = bytes
        .strip_prefix(b"-")
        .or_else(|| bytes.strip_prefix(b"+"))
        .unwrap_or(bytes);
    let first = *unsigned.first()?;
    if !first.is_ascii_digit() && first != b'.' {
        return Some(Value::String(text.into_owned()));
    }
    // `.inf` and `.nan` in their spellings are floats or refused; `.5` is a float; any other
    // dotted word (`.spec.name`) is a string.
    if first == b'.' && !unsigned.get(1).is_some_and(u8::is_ascii_digit) {
        let word = &unsigned[1..];
        if word.eq_ignore_ascii_case(b"inf") || word.eq_ignore_ascii_case(b"nan") {
            return None;
        }
        return Some(Value::String(text.into_owned()));
    }
    // Short decimal integers without a leading zero (which serde-saphyr's options may read as
    // octal or as a string) or underscores.
    let (negative, digits) = match bytes.strip_prefix(b"-") {
        Some(rest) => (true, rest),
        None => (false, bytes),
    };
    let decimal = !digits.is_empty()
        && digits.len() <= 18
        && digits.iter().all(u8::is_ascii_digit)
        && (digits[0] != b'0' || (digits.len() == 1 && !negative));
    if decimal {
        return if negative {
            text.parse::<i64>().ok().map(Value::from)
        } else {
            text.parse::<u64>().ok().map(Value::from)
        };
    }
    // Plain decimal fractions (`65535.0`, `-0.25`), short enough to be finite: floats, parsed
    // by the same Rust parser serde-saphyr uses.
    if let Some((whole, fraction)) = text.split_once('.') {
        let whole = whole.strip_prefix('-').unwrap_or(whole).as_bytes();
        let fraction = fraction.as_bytes();
        let plain = |d: &[u8], most: usize| {
            !d.is_empty() && d.len() <= most && d.iter().all(u8::is_ascii_digit)
        };
        if plain(whole, 15) && (whole[0] != b'0' || whole.len() == 1) && plain(fraction, 17) {
            return text.parse::<f64>().ok().map(Value::from);
        }
    }
    // A number of any form is spelled with digits, signs, `.`, `_`, exponents, radix letters
    // and hex digits only, has at most one `.`, and a sign inside it only after an exponent's
    // `e`: a digit-led scalar that breaks any of these (`500m`, `128Mi`, `10:30`, `1.2.3`,
    // `2026-11-26`) is a string. Anything else (floats, `0755`, `1_000`, `+1`, `0x1F`) is left
    // to serde-saphyr.
    let digit_led = unsigned.first().is_some_and(u8::is_ascii_digit);
    let number_like = |b: &u8| {
        b.is_ascii_hexdigit() || matches!(b, b'.' | b'_' | b'+' | b'-' | b'x' | b'X' | b'o' | b'O')
    };
    let dots = unsigned.iter().filter(|&&b| b == b'.').count();
    let inner_sign = unsigned
        .windows(2)
        .any(|w| matches!(w[1], b'+' | b'-') && !matches!(w[0], b'e' | b'E'));
    if digit_led && (!unsigned.iter().all(number_like) || dots > 1 || inner_sign) {
        return Some(Value::String(text.into_owned()));
    }
    None
}
