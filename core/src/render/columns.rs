//! Plain-text tables for a terminal (`govkh check`'s clock, `govkh policy list`, `govkh apis`):
//! each column as wide as its widest cell, two spaces between columns, nothing trailing.
//!
//! Hand-written rather than `tabwriter` or `comfy-table` because the tables' shown output is
//! documented and held by golden files byte for byte, and cells are counted in characters as
//! they always were; the whole of it is the two functions below.

/// The widths of a table's columns, fitted to its header and rows.
#[derive(Debug, Clone)]
pub struct Columns {
    widths: Vec<usize>,
}

impl Columns {
    /// Fits the columns to the header and every row (a row may have fewer cells than the
    /// header; extra cells beyond the header are not fitted).
    pub fn fit<R: AsRef<[String]>>(header: &[&str], rows: &[R]) -> Self {
        let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
        for row in rows {
            for (w, c) in widths.iter_mut().zip(row.as_ref()) {
                *w = (*w).max(c.chars().count());
            }
        }
        Self { widths }
    }

    /// One line of the table: each cell padded to its column, two spaces apart, trailing
    /// spaces trimmed (so the last column is never padded). No newline.
    pub fn line<S: AsRef<str>>(&self, cells: &[S]) -> String {
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let w = self.widths.get(i).copied().unwrap_or(0);
                format!("{:<w$}", c.as_ref())
            })
            .collect();
        padded.join("  ").trim_end().to_string()
    }

    /// Where column `n` starts (counted from 0), for a line below a row that lines up with it.
    pub fn start_of(&self, n: usize) -> usize {
        self.widths.iter().take(n).map(|w| w + 2).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::Columns;

    #[test]
    fn columns_fit_the_widest_cell_and_the_last_is_not_padded() {
        let rows = vec![
            vec!["a".to_string(), "long cell".to_string(), "x".to_string()],
            vec!["abcd".to_string(), "b".to_string(), "last".to_string()],
        ];
        let c = Columns::fit(&["ID", "NAME", "NOTE"], &rows);
        assert_eq!(c.line(&["ID", "NAME", "NOTE"]), "ID    NAME       NOTE");
        assert_eq!(c.line(&rows[0]), "a     long cell  x");
        assert_eq!(c.line(&rows[1]), "abcd  b          last");
        // An empty last cell leaves no trailing space.
        assert_eq!(c.line(&["a", "b", ""]), "a     b");
        assert_eq!(c.start_of(2), 6 + 11);
        assert_eq!(c.start_of(0), 0);
    }

    #[test]
    fn width_is_counted_in_characters_not_bytes() {
        let rows = vec![vec!["ក្រសួង".to_string(), "x".to_string()]];
        let c = Columns::fit(&["A", "B"], &rows);
        assert_eq!(c.line(&["A", "B"]), format!("A{}B", " ".repeat(6 - 1 + 2)));
    }
}
