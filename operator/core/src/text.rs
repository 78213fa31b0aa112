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
