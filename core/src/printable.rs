//! Text helpers for what reaches people from a library (a parser's or an engine's error): kept
//! at the bottom of the crate so that loading, policies and messages can all use them.

/// Text from a library as one line: whitespace, newlines included, collapsed to single spaces,
/// so it fits a finding, a log line or a table cell.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `s` safe to print: every control character (the escape that starts a terminal sequence,
/// carriage return, backspace, ...) written as `\x1b`-style text, so a name or message from
/// a manifest cannot rewrite a terminal line, a CI log or a report. Newlines and tabs are
/// escaped too: one finding stays one line.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() {
            let n = u32::from(c);
            if n <= 0xff {
                out.push_str(&format!("\\x{n:02x}"));
            } else {
                out.push_str(&format!("\\u{{{n:x}}}"));
            }
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// One DNS label in punycode (RFC 3492, without the `xn--` prefix); None when it is ASCII
/// already (or absurdly long: no real label overflows). The encoding is `idna`'s (already in
/// the tree through `url`); only the encoding, never UTS-46 mapping, which would fold the
/// look-alike letters this is here to show.
pub fn punycode(label: &str) -> Option<String> {
    if label.is_ascii() {
        return None;
    }
    idna::punycode::encode_str(label)
}

/// A host name as DNS carries it: each non-ASCII label as `xn--` and its punycode.
pub fn ascii_host(host: &str) -> String {
    host.split('.')
        .map(|label| match punycode(label) {
            Some(p) => format!("xn--{p}"),
            None => label.to_string(),
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// `message` with each quoted host name that is not ASCII followed by its DNS form, so a
/// look-alike letter shows: `"tax.mef.gov.\u{212a}h"` gets ` (tax.mef.gov.xn--h-3wn)`.
pub fn with_ascii_hosts(message: &str) -> std::borrow::Cow<'_, str> {
    if message.is_ascii() {
        return std::borrow::Cow::Borrowed(message);
    }
    let mut out = String::with_capacity(message.len() + 32);
    let mut rest = message;
    while let Some(open) = rest.find('"') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('"') else { break };
        let quoted = &after[..close];
        out.push_str(&rest[..open + close + 2]);
        let hostlike = quoted.contains('.')
            && !quoted.is_ascii()
            && !quoted.chars().any(|c| c.is_whitespace() || c.is_control());
        if hostlike {
            out.push_str(&format!(" ({})", ascii_host(quoted)));
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// A state's CamelCase name (`ApplicationWindowMissed`, as in status and JSON) in words for
/// people: `application window missed`.
pub fn readable(state: &str) -> String {
    let mut out = String::with_capacity(state.len() + 4);
    for (i, c) in state.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.extend(c.to_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn punycode_matches_rfc_3492() {
        // Expected values from Python's `str.encode("punycode")`, an independent encoder.
        for (label, want) in [
            ("bücher", "bcher-kva"),
            ("münchen", "mnchen-3ya"),
            ("\u{212a}h", "h-3wn"),
            ("他们为什么不说中文", "ihqwcrb4cv8a8dqg056pqjye"),
            ("m\u{435}f", "mf-nlc"),
        ] {
            assert_eq!(super::punycode(label).as_deref(), Some(want), "{label}");
        }
        assert_eq!(super::punycode("mef"), None);
        assert_eq!(
            super::ascii_host("tax.m\u{435}f.gov.kh"),
            "tax.xn--mf-nlc.gov.kh"
        );
    }

    #[test]
    fn a_quoted_host_that_is_not_ascii_is_followed_by_its_dns_form() {
        assert_eq!(
            super::with_ascii_hosts(
                "host \"tax.mef.gov.\u{212a}h\" is not the domain \"mef.gov.kh\""
            ),
            "host \"tax.mef.gov.\u{212a}h\" (tax.mef.gov.xn--h-3wn) is not the domain \"mef.gov.kh\""
        );
        // ASCII hosts, non-hosts and unclosed quotes are left as they are.
        for m in [
            "host \"a.gov.kh\"",
            "the class \"សម្ងាត់\"",
            "open \"tax.m\u{435}f",
        ] {
            assert_eq!(super::with_ascii_hosts(m), m);
        }
    }

    #[test]
    fn states_read_as_words() {
        assert_eq!(
            super::readable("ApplicationWindowMissed"),
            "application window missed"
        );
        assert_eq!(super::readable("Compliant"), "compliant");
        assert_eq!(super::readable(""), "");
    }

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(super::printable("site"), "site");
        assert_eq!(
            super::printable("\u{1b}[2K\rDENY gone"),
            "\\x1b[2K\\x0dDENY gone"
        );
        assert_eq!(super::printable("a\u{9b}b"), "a\\x9bb", "C1 CSI too");
        assert_eq!(super::printable("é ☃"), "é ☃", "other text untouched");
    }

    #[test]
    fn one_line_collapses_whitespace() {
        assert_eq!(super::one_line("  a\n\t b  c\n"), "a b c");
    }
}
