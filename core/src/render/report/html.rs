//! The report as one self-contained HTML file: inline CSS, inline SVG charts, a small inline
//! script that sorts the ministries table (the table reads fine without it), nothing fetched
//! from anywhere. Readable on a phone, printable with a page per ministry. The markup is
//! well-formed XML (XHTML syntax), so it can be checked by a parser. Everything that comes from
//! manifests goes through `esc`.

use std::fmt::Write;

use super::{MinistryReport, Report, text::summary_sentence};
use crate::{
    api::Day,
    finding::Finding,
    message::Lang,
    message::words::{Words, fill, number, words},
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

const CSS: &str = r#"
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
const SCRIPT: &str = r#"
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

fn score_colour(score: u8) -> &'static str {
    match score {
        90..=100 => "#067647",
        70..=89 => "#b54708",
        _ => "#b42318",
    }
}

fn action_class(f: &Finding) -> &'static str {
    f.action.as_str()
}

fn day(d: Option<Day>) -> String {
    d.map(|d| d.to_string()).unwrap_or_else(|| "—".into())
}

/// Horizontal bars, one per ministry, in HTML: text keeps the page's size on any screen (an
/// SVG scaled to a phone's width shrank it to a few pixels).
fn scores_chart(ms: &[MinistryReport], lang: Lang) -> String {
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
fn timeline(r: &Report) -> String {
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
fn finding_html(o: &mut String, f: &Finding, lang: Lang, since: Option<Day>) {
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
    let message: String = super::code_spans(f.message_in(lang))
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
fn names(m: &MinistryReport, lang: Lang) -> (String, Option<String>) {
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
fn trend_html(h: &crate::audit::history::Trend, w: &Words) -> String {
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
    let sentence = super::trend_sentence(h, w).unwrap_or_default();
    format!(
        r##"<p class="trend"><svg class="spark" width="160" height="32" viewBox="0 0 160 32" role="img" aria-label="{label}"><line x1="0" y1="2" x2="160" y2="2" stroke="#d9dde5"/><polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/></svg> <span>{label}</span></p>"##,
        label = esc(&sentence),
        colour = score_colour(last.1),
        points = points.join(" ")
    )
}

/// A cell of a table: its HTML, its class, and its sort value where that differs from the text.
struct Cell {
    html: String,
    class: &'static str,
    sort: Option<String>,
}

impl Cell {
    fn text(s: &str) -> Cell {
        Cell {
            html: esc(s),
            class: "",
            sort: None,
        }
    }

    fn html(html: String) -> Cell {
        Cell {
            html,
            class: "",
            sort: None,
        }
    }

    fn class(mut self, class: &'static str) -> Cell {
        self.class = class;
        self
    }
}

/// A table whose rows become labelled cards on a narrow screen: each cell carries its column's
/// name. `head` is (name, class) per column; `num` right-aligns a column.
fn table(o: &mut String, sortable: bool, head: &[(&str, &str)], rows: Vec<Vec<Cell>>) {
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

/// The report as one HTML page.
pub fn html(r: &Report) -> String {
    let lang = r.lang;
    let w = words(lang);
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"/><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/><title>{} — {}</title><style>/*<![CDATA[*/{CSS}/*]]>*/</style></head><body><main>",
        lang.code(),
        w.report_title,
        r.as_of
    );
    let _ = write!(
        o,
        "<h1>{}</h1><p class=\"muted\">{}{}</p>",
        w.report_title,
        fill(w.report_for, &[("day", &r.as_of)]),
        r.established_on
            .map(|e| fill(w.established, &[("day", &e)]))
            .unwrap_or_default()
    );
    let _ = write!(o, "<p class=\"summary\">{}</p>", esc(&summary_sentence(r)));

    ministries_html(&mut o, r, w, lang);
    for m in &r.ministries {
        ministry_html(&mut o, m, w, lang);
        o.push_str("</section>");
    }
    two_years_html(&mut o, r, w, lang);
    let _ = write!(o, "<h2>{}</h2><p>{}</p>", w.fines_unpaid, esc(w.art_41));
    approvals_html(&mut o, r, w, lang);
    annex_html(&mut o, r, w);
    let _ = writeln!(
        o,
        "<p class=\"muted\">{}</p></main><script>//<![CDATA[{SCRIPT}//]]></script></body></html>",
        esc(&fill(w.generated, &[("day", &r.as_of)]))
    );
    o
}

/// The table of ministries, how the score is made, the scores and the deadlines.
fn ministries_html(o: &mut String, r: &Report, w: &Words, lang: Lang) {
    let _ = write!(o, "<h2 id=\"ministries\">{}</h2>", w.ministries);
    let rows = r
        .ministries
        .iter()
        .map(|m| {
            let (first, second) = names(m, lang);
            vec![
                Cell::html(format!(
                    "<a href=\"#m-{}\">{first}</a>{}",
                    esc(&m.code),
                    second.map(|s| format!("<br/>{s}")).unwrap_or_default()
                )),
                Cell {
                    html: format!(
                        "<span class=\"badge\" style=\"background:{}\">{}</span>",
                        score_colour(m.score),
                        m.score
                    ),
                    class: "",
                    sort: Some(m.score.to_string()),
                },
                Cell::text(&m.findings.deny.to_string()),
                Cell::text(&m.findings.warn.to_string()),
                Cell::text(&m.findings.error.to_string()),
                Cell::text(
                    &m.articles
                        .iter()
                        .map(|a| fill(w.article, &[("n", a)]))
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                Cell::text(&m.placements.join(", ")),
                Cell::text(&day(m.nearest_deadline)),
            ]
        })
        .collect();
    table(
        o,
        true,
        &[
            (w.h_ministry, ""),
            (w.h_score, "num"),
            (w.h_deny, "num"),
            (w.h_warn, "num"),
            (w.h_error, "num"),
            (w.h_articles_broken, ""),
            (w.h_placement, ""),
            (w.h_nearest_deadline, ""),
        ],
        rows,
    );
    let _ = write!(
        o,
        "<p class=\"muted\"><strong>{}</strong> {}</p>",
        w.how_score,
        esc(r.score_explanation)
    );
    let _ = write!(
        o,
        "<h3>{}</h3>{}",
        w.scores,
        scores_chart(&r.ministries, lang)
    );
    let _ = write!(o, "<h3>{}</h3>{}", w.deadlines, timeline(r));
}

/// One ministry's section: its standing, trend, tenancies, findings by article and fines.
fn ministry_html(o: &mut String, m: &MinistryReport, w: &Words, lang: Lang) {
    let _ = write!(
        o,
        "<section class=\"ministry\" id=\"m-{}\"><h2>{} <span class=\"badge\" style=\"background:{}\">{}</span></h2>",
        esc(&m.code),
        names(m, lang).0,
        score_colour(m.score),
        m.score
    );
    if let Some(second) = names(m, lang).1 {
        let _ = write!(o, "<p>{second}</p>");
    }
    let _ = write!(
        o,
        "<p class=\"muted\">{}</p>",
        esc(&fill(
            w.ministry_facts,
            &[
                ("code", &m.code),
                ("domain", &m.domain),
                ("level", &w.level(&m.resource_level)),
            ]
        ))
    );
    if let Some(h) = &m.history {
        o.push_str(&trend_html(h, w));
    }
    tenancies_html(o, m, w, lang);
    if m.findings_by_article.is_empty() {
        let _ = write!(o, "<p class=\"ok\">{}</p>", w.no_findings);
    } else {
        let _ = write!(o, "<h3>{}</h3>", w.findings_by_article);
        for (article, findings) in &m.findings_by_article {
            let _ = write!(o, "<h4>{}</h4>", esc(&fill(w.article, &[("n", article)])));
            for f in findings {
                let since = m.history.as_ref().and_then(|h| h.first_seen(f));
                finding_html(o, f, lang, since);
            }
        }
    }
    fines_html(o, m, w, lang);
}

/// A ministry's tenancies and their clocks, as a table.
fn tenancies_html(o: &mut String, m: &MinistryReport, w: &Words, lang: Lang) {
    if !m.tenancies.is_empty() {
        let _ = write!(o, "<h3>{}</h3>", w.where_it_runs);
        let rows = m
            .tenancies
            .iter()
            .map(|t| {
                let class = match t.state.as_str() {
                    "Compliant" => "ok",
                    "MigrationOverdue" | "ExceptionExpired" => "deny",
                    _ => "warn",
                };
                vec![
                    Cell::text(&t.name),
                    Cell::text(&format!(
                        "{}{}",
                        t.placement,
                        t.provider
                            .as_deref()
                            .map(|p| format!(" ({p})"))
                            .unwrap_or_default()
                    )),
                    Cell::text(&w.state(t.state.as_str(), lang)).class(class),
                    Cell::text(&day(t.application_deadline)),
                    Cell::text(&day(t.migration_deadline)),
                    Cell::text(t.approval.as_deref().unwrap_or("—")),
                ]
            })
            .collect();
        table(
            o,
            false,
            &[
                (w.h_tenancy, ""),
                (w.h_placement, ""),
                (w.h_state, ""),
                (w.h_apply_by, ""),
                (w.h_migrate_by, ""),
                (w.h_approval_in_force, ""),
            ],
            rows,
        );
    }
}

/// The fines the law attaches to a ministry's kinds of findings.
fn fines_html(o: &mut String, m: &MinistryReport, w: &Words, lang: Lang) {
    if !m.fines.is_empty() {
        let _ = write!(o, "<h3>{}</h3>", w.fines_attached);
        let amount = |a: Option<u64>| a.map(|n| number(n, lang)).unwrap_or_else(|| "—".into());
        let rows = m
            .fines
            .iter()
            .map(|f| {
                vec![
                    Cell::text(&f.policy),
                    Cell::text(&fill(w.article, &[("n", &f.article)])),
                    Cell::text(&f.findings.to_string()),
                    Cell::text(&amount(f.natural_person_max_riel)),
                    Cell::text(&amount(f.legal_person_max_riel)),
                ]
            })
            .collect();
        table(
            o,
            false,
            &[
                (w.h_kind_of_finding, ""),
                (w.h_penalty, ""),
                (w.h_findings, "num"),
                (w.h_natural_max, "num"),
                (w.h_legal_max, "num"),
            ],
            rows,
        );
        let _ = write!(o, "<p class=\"muted\">{}</p>", w.fines_note);
    }
}

/// The findings of no known ministry, and the two-year view (Art. 34) where histories reach.
fn two_years_html(o: &mut String, r: &Report, w: &Words, lang: Lang) {
    if !r.other_findings.is_empty() {
        let _ = write!(o, "<h2>{}</h2>", w.other_findings);
        for f in &r.other_findings {
            finding_html(o, f, lang, None);
        }
    }
    if r.ministries
        .iter()
        .any(|m| m.history.as_ref().is_some_and(|h| h.biennial.is_some()))
    {
        let _ = write!(
            o,
            "<h2>{}</h2><p class=\"muted\">{}</p>",
            w.two_years, w.two_years_note
        );
        let rows = r
            .ministries
            .iter()
            .filter_map(|m| Some((m, m.history.as_ref()?.biennial.as_ref()?)))
            .map(|(m, b)| {
                vec![
                    Cell::html(names(m, lang).0),
                    Cell::text(&b.from.to_string()),
                    Cell::text(&b.score_then.to_string()),
                    Cell::text(&b.score_now.to_string()),
                    Cell::text(&format!("{:+}", b.change)).class(if b.change < 0 {
                        "deny"
                    } else {
                        "ok"
                    }),
                    Cell::text(&format!("{} → {}", b.denials_then, b.denials_now)),
                ]
            })
            .collect();
        table(
            o,
            false,
            &[
                (w.h_ministry, ""),
                (w.h_from, ""),
                (w.h_score_then, "num"),
                (w.h_score_now, "num"),
                (w.h_change, "num"),
                (w.h_denials_then_now, "num"),
            ],
            rows,
        );
    }
}

/// The approvals and the data access grants, with their states and ends.
fn approvals_html(o: &mut String, r: &Report, w: &Words, lang: Lang) {
    let _ = write!(o, "<h2>{}</h2>", w.approvals);
    let rows = r
        .approvals
        .iter()
        .map(|a| {
            vec![
                Cell::text(&a.name),
                Cell::text(&a.subject),
                Cell::text(&a.article),
                Cell::text(&w.state(&a.state, lang)),
                Cell::text(&day(a.valid_until)),
                Cell::text(if a.expiring_soon { w.yes } else { "" }).class("warn"),
            ]
        })
        .collect();
    table(
        o,
        false,
        &[
            (w.h_approval, ""),
            (w.h_subject, ""),
            (w.h_article, ""),
            (w.h_state, ""),
            (w.h_valid_until, ""),
            (w.h_ends_soon, ""),
        ],
        rows,
    );
    let _ = write!(o, "<h2>{}</h2>", w.grants);
    let rows = r
        .grants
        .iter()
        .map(|g| {
            vec![
                Cell::text(&g.name),
                Cell::text(&g.owner),
                Cell::text(&g.grantee),
                Cell::text(if g.personal_data { w.yes } else { w.no }),
                Cell::text(&w.state(&g.state, lang)),
                Cell::text(&format!("{} – {}", g.valid_from, g.valid_until)),
                Cell::text(if g.expiring_soon { w.yes } else { "" }).class("warn"),
            ]
        })
        .collect();
    table(
        o,
        false,
        &[
            (w.h_grant, ""),
            (w.h_owner, ""),
            (w.h_grantee, ""),
            (w.h_personal_data, ""),
            (w.h_state, ""),
            (w.h_valid, ""),
            (w.h_ends_soon, ""),
        ],
        rows,
    );
}

/// The annex: each article, what it requires, the policies that check it, the API.
fn annex_html(o: &mut String, r: &Report, w: &Words) {
    let _ = write!(o, "<h2>{}</h2>", w.annex);
    let rows = r
        .annex
        .iter()
        .map(|a| {
            vec![
                Cell::text(&fill(w.article, &[("n", &a.article)])),
                Cell::text(&a.subject),
                Cell::text(&a.policies.join(", ")),
                Cell::text(&a.api),
            ]
        })
        .collect();
    table(
        o,
        false,
        &[
            (w.h_article, ""),
            (w.h_what_it_requires, ""),
            (w.h_policies, ""),
            (w.h_api, ""),
        ],
        rows,
    );
}
