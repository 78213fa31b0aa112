//! The report page's furniture: its style and script, escaping, tables that sort and fold on
//! a phone, the score bars, the deadline timeline, a trend's sparkline, and one finding as HTML.

use std::fmt::Write;

use super::super::{MinistryReport, Report};
use crate::{
    api::Day,
    finding::Finding,
    message::Lang,
    message::words::{Words, fill, words},
};

/// Escape text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let s = crate::printable::printable(s);
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

pub(super) const CSS: &str = r#"
:root { --ink: #1d2433; --muted: #5b6475; --line: #d9dde5; --deny: #b42318; --warn: #b54708; --ok: #067647; --bg: #f7f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans Khmer", "Khmer OS", "Khmer UI", sans-serif; color: var(--ink); background: white; }
main { max-width: 1100px; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.6rem; margin: 0.5rem 0; }
h2 { font-size: 1.3rem; margin-top: 2rem; border-bottom: 2px solid var(--line); padding-bottom: 0.2rem; }
h3 { font-size: 1.05rem; margin-bottom: 0.3rem; }
.km { font-family: "Noto Sans Khmer", "Khmer OS", "Khmer UI", "Leelawadee UI", sans-serif; }
.muted { color: var(--muted); }
.summary { background: var(--bg); border-left: 4px solid var(--ink); padding: 0.8rem 1rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0 1rem; font-size: 0.92rem; }
th, td { border-bottom: 1px solid var(--line); padding: 0.35rem 0.5rem; text-align: left; vertical-align: top; }
th { background: var(--bg); white-space: nowrap; }
th.sort { cursor: pointer; }
td.num, th.num { text-align: right; }
.deny { color: var(--deny); font-weight: 600; }
.warn { color: var(--warn); font-weight: 600; }
.error { color: var(--deny); }
.ok { color: var(--ok); }
.badge { display: inline-block; min-width: 2.6rem; text-align: center; border-radius: 0.3rem; padding: 0 0.3rem; color: white; font-weight: 600; }
.finding { margin: 0.3rem 0 0.6rem; }
.finding code { background: var(--bg); padding: 0 0.2rem; }
td { overflow-wrap: anywhere; }
.ministry { margin-top: 1.5rem; }
.bars { max-width: 40rem; }
.bar { display: grid; grid-template-columns: 4.5rem 1fr 2.2rem; gap: 0.5rem; align-items: center; margin: 0.2rem 0; font-size: 0.9rem; }
.bar .label { text-align: right; }
.bar .track { display: block; height: 1.1rem; background: #eef0f4; }
.bar .fill { display: block; height: 100%; }
.timeline { list-style: none; margin: 0.5rem 0 1rem 0.4rem; padding: 0 0 0 1rem; border-left: 2px solid var(--line); font-size: 0.92rem; }
.timeline li { position: relative; margin: 0 0 0.35rem; }
.timeline li::before { content: ""; position: absolute; left: -1.38rem; top: 0.45em; width: 0.6rem; height: 0.6rem; border-radius: 50%; background: var(--ink); }
.timeline li.past { color: var(--muted); }
.timeline li.past::before { background: var(--line); }
.timeline li.today { color: var(--deny); font-weight: 600; }
.timeline li.today::before { background: var(--deny); }
.timeline .when { font-variant-numeric: tabular-nums; white-space: nowrap; }
.trend { display: flex; gap: 0.6rem; align-items: center; flex-wrap: wrap; }
.spark { flex: none; }
.since { color: var(--warn); white-space: nowrap; }
/* A phone: every table becomes a card per row, each value labelled with its column. */
@media (max-width: 640px) {
  main { padding: 0.6rem; }
  .scroll { overflow-x: visible; }
  table.cards thead { display: none; }
  table.cards, table.cards tbody, table.cards tr, table.cards td { display: block; width: 100%; }
  table.cards tr { border: 1px solid var(--line); border-radius: 0.4rem; margin: 0 0 0.6rem; padding: 0.3rem 0.6rem; }
  table.cards td { border: none; padding: 0.15rem 0; display: flex; justify-content: space-between; gap: 0.8rem; text-align: right; }
  table.cards td::before { content: attr(data-label); color: var(--muted); font-weight: 400; text-align: left; flex: none; max-width: 45%; }
  table.cards td:first-child { display: block; text-align: left; font-weight: 600; }
  table.cards td:first-child::before { content: none; }
  .bar { grid-template-columns: 3.5rem 1fr 2rem; }
}
@media print {
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  .ministry { page-break-before: always; break-before: page; }
  th.sort { cursor: auto; }
  .scroll { overflow: visible; }
}
"#;

// Sorts the ministries table by a clicked header; numeric columns by value.
pub(super) const SCRIPT: &str = r#"
document.querySelectorAll("table.sortable th.sort").forEach(function (th, col) {
  th.addEventListener("click", function () {
    var body = th.closest("table").tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var num = th.classList.contains("num");
    var dir = th.dataset.dir === "asc" ? -1 : 1;
    th.dataset.dir = dir === 1 ? "asc" : "desc";
    rows.sort(function (a, b) {
      var x = a.cells[col].dataset.v || a.cells[col].textContent;
      var y = b.cells[col].dataset.v || b.cells[col].textContent;
      if (num) { return dir * (parseFloat(x) - parseFloat(y)); }
      return dir * x.localeCompare(y);
    });
    rows.forEach(function (r) { body.appendChild(r); });
  });
});
"#;

pub(super) fn score_colour(score: u8) -> &'static str {
    match score {
        90..=100 => "#067647",
        70..=89 => "#b54708",
        _ => "#b42318",
    }
}

pub(super) fn action_class(f: &Finding) -> &'static str {
    f.action.as_str()
}

pub(super) fn day(d: Option<Day>) -> String {
    d.map(|d| d.to_string()).unwrap_or_else(|| "—".into())
}

/// Horizontal bars, one per ministry, in HTML: text keeps the page's size on any screen (an
/// SVG scaled to a phone's width shrank it to a few pixels).
pub(super) fn scores_chart(ms: &[MinistryReport], lang: Lang) -> String {
    let mut o = format!(
        r#"<div class="bars" role="img" aria-label="{}">"#,
        esc(words(lang).scores)
    );
    for m in ms {
        let _ = write!(
            o,
            r#"<div class="bar"><span class="label">{}</span><span class="track"><span class="fill" style="width:{}%;background:{}"></span></span><span>{}</span></div>"#,
            esc(&m.code),
            m.score,
            score_colour(m.score),
            m.score
        );
    }
    o.push_str("</div>");
    o
}

/// The statutory deadlines and ends of permissions in order, today among them: a list, so no
/// line crosses a label and a phone reads it as well as a desk.
pub(super) fn timeline(r: &Report) -> String {
    let w = words(r.lang);
    let mut o = format!(r#"<ol class="timeline" aria-label="{}">"#, esc(w.deadlines));
    let today = format!(
        r#"<li class="today"><span class="when">{}</span></li>"#,
        esc(&fill(w.today, &[("day", &r.as_of)]))
    );
    let mut today_written = false;
    for d in &r.deadlines {
        if !today_written && d.days_from_today >= 0 {
            o.push_str(&today);
            today_written = true;
        }
        let _ = write!(
            o,
            r#"<li class="{}"><span class="when">{} <span class="muted">({})</span></span> {}{}</li>"#,
            if d.days_from_today < 0 { "past" } else { "due" },
            d.day,
            fill(w.days, &[("n", &format!("{:+}", d.days_from_today))]),
            esc(&d.what),
            d.ministry
                .as_deref()
                .map(|m| format!(" <span class=\"muted\">— {}</span>", esc(m)))
                .unwrap_or_default()
        );
    }
    if !today_written {
        o.push_str(&today);
    }
    o.push_str("</ol>");
    o
}

/// One finding: action, object, message (its `quoted` names as code), deadline, policy,
/// articles and file, in `lang`.
pub(super) fn finding_html(o: &mut String, f: &Finding, lang: Lang, since: Option<Day>) {
    let w = words(lang);
    let deadline = f
        .deadline
        .map(|d| format!(" <span class=\"muted\">{} {d}</span>", w.deadline))
        .unwrap_or_default();
    let since = since
        .map(|d| {
            format!(
                " <span class=\"since\">{}</span>",
                esc(&fill(w.since, &[("day", &d)]))
            )
        })
        .unwrap_or_default();
    // The message's `quoted` names as code, not as raw backticks.
    let message: String = super::super::code_spans(f.message_in(lang))
        .into_iter()
        .map(|(code, s)| {
            if code {
                format!("<code>{}</code>", esc(s))
            } else {
                esc(s)
            }
        })
        .collect();
    let articles = if f.articles.is_empty() {
        String::new()
    } else {
        format!(" · {}", esc(&w.articles_of(&f.articles)))
    };
    let at = f
        .source
        .as_ref()
        .map(|s| {
            format!(
                " {} {}",
                w.at,
                esc(&crate::render::check::source_in(s, lang))
            )
        })
        .unwrap_or_default();
    let _ = write!(
        o,
        "<div class=\"finding\"><span class=\"{}\">{}</span> <code>{}</code> — {message}{deadline}{since} <span class=\"muted\">[{}{articles}]{at}</span></div>",
        action_class(f),
        w.action(f.action),
        esc(&f.resource.display()),
        esc(&f.policy),
    );
}

/// A ministry's names for a reader of `lang`, escaped: the first to show (Khmer readers see
/// the Khmer name first), and the other, if any, marked with its language.
pub(super) fn names(m: &MinistryReport, lang: Lang) -> (String, Option<String>) {
    let km = m
        .khmer_name
        .as_deref()
        .map(|k| format!("<span class=\"km\" lang=\"km\">{}</span>", esc(k)));
    match (lang, km) {
        (Lang::Km, Some(km)) => (
            km,
            Some(format!("<span lang=\"en\">{}</span>", esc(&m.name))),
        ),
        (_, km) => (esc(&m.name), km),
    }
}

/// A ministry's score over time: a sparkline (no text inside, so nothing shrinks on a phone)
/// and the sentence it draws.
pub(super) fn trend_html(h: &crate::audit::history::Trend, w: &Words) -> String {
    let (Some(first), Some(last)) = (h.scores.first(), h.scores.last()) else {
        return String::new();
    };
    let span = crate::law::clock::days_between(first.0, last.0).max(1) as f64;
    let (width, height) = (160.0, 32.0);
    let points: Vec<String> = h
        .scores
        .iter()
        .map(|(d, s)| {
            let x = width * crate::law::clock::days_between(first.0, *d) as f64 / span;
            let y = height - 2.0 - (height - 4.0) * f64::from(*s) / 100.0;
            format!("{x:.1},{y:.1}")
        })
        .collect();
    let sentence = super::super::trend_sentence(h, w).unwrap_or_default();
    format!(
        r##"<p class="trend"><svg class="spark" width="160" height="32" viewBox="0 0 160 32" role="img" aria-label="{label}"><line x1="0" y1="2" x2="160" y2="2" stroke="#d9dde5"/><polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/></svg> <span>{label}</span></p>"##,
        label = esc(&sentence),
        colour = score_colour(last.1),
        points = points.join(" ")
    )
}

/// A cell of a table: its HTML, its class, and its sort value where that differs from the text.
pub(super) struct Cell {
    pub(super) html: String,
    pub(super) class: &'static str,
    pub(super) sort: Option<String>,
}

impl Cell {
    pub(super) fn text(s: &str) -> Cell {
        Cell {
            html: esc(s),
            class: "",
            sort: None,
        }
    }

    pub(super) fn html(html: String) -> Cell {
        Cell {
            html,
            class: "",
            sort: None,
        }
    }

    pub(super) fn class(mut self, class: &'static str) -> Cell {
        self.class = class;
        self
    }
}

/// A table whose rows become labelled cards on a narrow screen: each cell carries its column's
/// name. `head` is (name, class) per column; `num` right-aligns a column.
pub(super) fn table(o: &mut String, sortable: bool, head: &[(&str, &str)], rows: Vec<Vec<Cell>>) {
    let _ = write!(
        o,
        "<div class=\"scroll\"><table class=\"cards{}\"><thead><tr>",
        if sortable { " sortable" } else { "" }
    );
    for (name, class) in head {
        let class = match (sortable, class.is_empty()) {
            (true, true) => "sort".to_string(),
            (true, false) => format!("sort {class}"),
            (false, _) => class.to_string(),
        };
        if class.is_empty() {
            let _ = write!(o, "<th>{}</th>", esc(name));
        } else {
            let _ = write!(o, "<th class=\"{class}\">{}</th>", esc(name));
        }
    }
    o.push_str("</tr></thead><tbody>");
    for row in rows {
        o.push_str("<tr>");
        for ((name, col_class), cell) in head.iter().zip(row) {
            let class = [*col_class, cell.class]
                .iter()
                .filter(|c| !c.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(" ");
            let _ = write!(o, "<td data-label=\"{}\"", esc(name));
            if !class.is_empty() {
                let _ = write!(o, " class=\"{class}\"");
            }
            if let Some(v) = &cell.sort {
                let _ = write!(o, " data-v=\"{}\"", esc(v));
            }
            let _ = write!(o, ">{}</td>", cell.html);
        }
        o.push_str("</tr>");
    }
    o.push_str("</tbody></table></div>");
}
