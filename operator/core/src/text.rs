//! Text helpers for what reaches people from a library (a parser's or an engine's error): kept
//! at the bottom of the crate so that loading, policies and messages can all use them.

/// Text from a library as one line: whitespace, newlines included, collapsed to single spaces,
/// so it fits a finding, a log line or a table cell.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_line_collapses_whitespace() {
        assert_eq!(super::one_line("  a\n\t b  c\n"), "a b c");
    }
}
