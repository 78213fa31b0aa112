//! The report as one self-contained HTML file: inline CSS, inline SVG charts, a small inline
//! script that sorts the ministries table (the table reads fine without it), nothing fetched
//! from anywhere. Readable on a phone, printable with a page per ministry. The markup is
//! well-formed XML (XHTML syntax), so it can be checked by a parser. Everything that comes from
//! manifests goes through `esc`.

use std::fmt::Write;

use super::{ART_41, MinistryReport, Report, riels, text::summary_sentence};
use crate::{api::Day, clock::days_between, finding::Finding};

/// Escape text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let s = crate::text::printable(s);
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
svg { max-width: 100%; height: auto; }
.ministry { margin-top: 1.5rem; }
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

/// Horizontal bars, one per ministry.
fn scores_chart(ms: &[MinistryReport]) -> String {
    let row = 26;
    let (label_w, bar_w) = (90, 500);
    let h = ms.len() * row + 10;
    let mut o = format!(
        r#"<svg role="img" aria-label="Compliance score per ministry" viewBox="0 0 {} {h}" width="{}" height="{h}">"#,
        label_w + bar_w + 50,
        label_w + bar_w + 50
    );
    for (i, m) in ms.iter().enumerate() {
        let y = i * row + 5;
        let w = usize::from(m.score) * bar_w / 100;
        let _ = write!(
            o,
            r##"<text x="{}" y="{}" text-anchor="end" font-size="13">{}</text><rect x="{label_w}" y="{y}" width="{bar_w}" height="18" fill="#eef0f4"/><rect x="{label_w}" y="{y}" width="{w}" height="18" fill="{}"/><text x="{}" y="{}" font-size="13">{}</text>"##,
            label_w - 8,
            y + 14,
            esc(&m.code),
            score_colour(m.score),
            label_w + bar_w + 6,
            y + 14,
            m.score
        );
    }
    o.push_str("</svg>");
    o
}

/// The statutory deadlines and ends of permissions on a line, with today marked.
fn timeline(r: &Report) -> String {
    let days: Vec<Day> = r
        .deadlines
        .iter()
        .map(|d| d.day)
        .chain(std::iter::once(r.as_of))
        .collect();
    let (Some(first), Some(last)) = (days.iter().min().copied(), days.iter().max().copied()) else {
        return String::new();
    };
    let span = days_between(first, last).max(1) as f64;
    let (left, width) = (20.0, 860.0);
    let x = |d: Day| left + width * days_between(first, d) as f64 / span;
    let h = 60 + r.deadlines.len() * 18;
    let mut o = format!(
        r#"<svg role="img" aria-label="Timeline of deadlines" viewBox="0 0 900 {h}" width="900" height="{h}">"#
    );
    let _ = write!(
        o,
        r##"<line x1="{left}" y1="30" x2="{}" y2="30" stroke="#5b6475" stroke-width="2"/>"##,
        left + width
    );
    let _ = write!(
        o,
        r#"<text x="{left}" y="18" font-size="12">{first}</text><text x="{}" y="18" font-size="12" text-anchor="end">{last}</text>"#,
        left + width
    );
    for (i, d) in r.deadlines.iter().enumerate() {
        let xd = x(d.day);
        let y = 50 + i * 18;
        let colour = if d.days_from_today < 0 {
            "#98a2b3"
        } else {
            "#1d2433"
        };
        let anchor = if xd > left + width * 0.6 {
            "end"
        } else {
            "start"
        };
        let tx = if anchor == "end" { xd - 6.0 } else { xd + 6.0 };
        let _ = write!(
            o,
            r#"<circle cx="{xd:.1}" cy="30" r="4" fill="{colour}"/><line x1="{xd:.1}" y1="30" x2="{xd:.1}" y2="{}" stroke="{colour}" stroke-dasharray="2 2"/><text x="{tx:.1}" y="{}" font-size="12" fill="{colour}" text-anchor="{anchor}">{} {}</text>"#,
            y - 4,
            y,
            d.day,
            esc(&d.what)
        );
    }
    let xt = x(r.as_of);
    let _ = write!(
        o,
        r##"<line x1="{xt:.1}" y1="8" x2="{xt:.1}" y2="{}" stroke="#b42318" stroke-width="2"/><text x="{:.1}" y="{}" font-size="12" fill="#b42318">today {}</text>"##,
        h - 4,
        xt + 4.0,
        h - 6,
        r.as_of
    );
    o.push_str("</svg>");
    o
}

fn finding_html(o: &mut String, f: &Finding) {
    let deadline = f
        .deadline
        .map(|d| format!(" <span class=\"muted\">deadline {d}</span>"))
        .unwrap_or_default();
    let _ = write!(
        o,
        "<div class=\"finding\"><span class=\"{}\">{}</span> <code>{}</code> — {}{deadline}</div>",
        action_class(f),
        f.action.as_str().to_uppercase(),
        esc(&f.resource.display()),
        esc(&f.message)
    );
}

/// The report as one HTML page.
pub fn html(r: &Report) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/><title>Compliance with the Law on Digital Government — {}</title><style>/*<![CDATA[*/{CSS}/*]]>*/</style></head><body><main>",
        r.as_of
    );
    let _ = write!(
        o,
        "<h1>Compliance with the Law on Digital Government</h1><p class=\"muted\">For the Digital Government Committee (Art. 4) · as of {}{}</p>",
        r.as_of,
        r.established_on
            .map(|e| format!(" · government cloud established {e}"))
            .unwrap_or_default()
    );
    let _ = write!(o, "<p class=\"summary\">{}</p>", esc(&summary_sentence(r)));

    let _ = write!(
        o,
        "<h2 id=\"ministries\">Ministries and institutions</h2><div class=\"scroll\"><table class=\"sortable\"><thead><tr><th class=\"sort\">Ministry</th><th class=\"sort num\">Score</th><th class=\"sort num\">Deny</th><th class=\"sort num\">Warn</th><th class=\"sort num\">Error</th><th class=\"sort\">Articles broken</th><th class=\"sort\">Placement</th><th class=\"sort\">Nearest deadline</th></tr></thead><tbody>"
    );
    for m in &r.ministries {
        let _ = write!(
            o,
            "<tr><td><a href=\"#m-{code}\">{name}</a>{km}</td><td class=\"num\" data-v=\"{score}\"><span class=\"badge\" style=\"background:{colour}\">{score}</span></td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            m.findings.deny,
            m.findings.warn,
            m.findings.error,
            m.articles
                .iter()
                .map(|a| format!("Art. {}", esc(a)))
                .collect::<Vec<_>>()
                .join(", "),
            esc(&m.placements.join(", ")),
            day(m.nearest_deadline),
            code = esc(&m.code),
            name = esc(&m.name),
            km = m
                .khmer_name
                .as_deref()
                .map(|k| format!("<br/><span class=\"km\" lang=\"km\">{}</span>", esc(k)))
                .unwrap_or_default(),
            score = m.score,
            colour = score_colour(m.score),
        );
    }
    let _ = write!(
        o,
        "</tbody></table></div><p class=\"muted\"><strong>How the score is computed.</strong> {}</p>",
        esc(r.score_explanation)
    );
    let _ = write!(o, "<h3>Scores</h3>{}", scores_chart(&r.ministries));
    let _ = write!(
        o,
        "<h3>Deadlines</h3><div class=\"scroll\">{}</div>",
        timeline(r)
    );

    for m in &r.ministries {
        let _ = write!(
            o,
            "<section class=\"ministry\" id=\"m-{}\"><h2>{} <span class=\"badge\" style=\"background:{}\">{}</span></h2>",
            esc(&m.code),
            esc(&m.name),
            score_colour(m.score),
            m.score
        );
        if let Some(k) = &m.khmer_name {
            let _ = write!(o, "<p class=\"km\" lang=\"km\">{}</p>", esc(k));
        }
        let _ = write!(
            o,
            "<p class=\"muted\">Code {} · domain {} · resources {}</p>",
            esc(&m.code),
            esc(&m.domain),
            esc(&m.resource_level)
        );
        if !m.tenancies.is_empty() {
            let _ = write!(
                o,
                "<h3>Where it runs (Art. 10)</h3><div class=\"scroll\"><table><thead><tr><th>Tenancy</th><th>Placement</th><th>State</th><th>Apply by</th><th>Migrate by</th><th>Approval in force</th></tr></thead><tbody>"
            );
            for t in &m.tenancies {
                let class = match t.state.as_str() {
                    "Compliant" => "ok",
                    "MigrationOverdue" | "ExceptionExpired" => "deny",
                    _ => "warn",
                };
                let _ = write!(
                    o,
                    "<tr><td>{}</td><td>{}{}</td><td class=\"{class}\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    esc(&t.name),
                    t.placement,
                    t.provider
                        .as_deref()
                        .map(|p| format!(" ({})", esc(p)))
                        .unwrap_or_default(),
                    t.state,
                    day(t.application_deadline),
                    day(t.migration_deadline),
                    t.approval.as_deref().map(esc).unwrap_or_else(|| "—".into())
                );
            }
            let _ = write!(o, "</tbody></table></div>");
        }
        if m.findings_by_article.is_empty() {
            let _ = write!(o, "<p class=\"ok\">No findings.</p>");
        } else {
            let _ = write!(o, "<h3>Findings by article</h3>");
            for (article, findings) in &m.findings_by_article {
                let _ = write!(o, "<h4>Art. {}</h4>", esc(article));
                for f in findings {
                    finding_html(&mut o, f);
                }
            }
        }
        if !m.fines.is_empty() {
            let _ = write!(
                o,
                "<h3>Fines the law attaches</h3><div class=\"scroll\"><table><thead><tr><th>Kind of finding</th><th>Penalty</th><th class=\"num\">Findings</th><th class=\"num\">Natural person, max (riels)</th><th class=\"num\">Legal person, max (riels)</th></tr></thead><tbody>"
            );
            for f in &m.fines {
                let _ = write!(
                    o,
                    "<tr><td>{}</td><td>Art. {}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                    esc(&f.policy),
                    esc(&f.article),
                    f.findings,
                    f.natural_person_max_riel
                        .map(riels)
                        .unwrap_or_else(|| "—".into()),
                    f.legal_person_max_riel
                        .map(riels)
                        .unwrap_or_else(|| "—".into())
                );
            }
            let _ = write!(
                o,
                "</tbody></table></div><p class=\"muted\">Maximum amounts per person involved; see Art. 41 below for unpaid fines.</p>"
            );
        }
        o.push_str("</section>");
    }
    if !r.other_findings.is_empty() {
        let _ = write!(o, "<h2>Findings that concern no known ministry</h2>");
        for f in &r.other_findings {
            finding_html(&mut o, f);
        }
    }
    let _ = write!(o, "<h2>Fines and unpaid fines</h2><p>{}</p>", esc(ART_41));
    let _ = write!(
        o,
        "<h2>Approvals (Art. 9, 10)</h2><div class=\"scroll\"><table><thead><tr><th>Approval</th><th>Subject</th><th>Article</th><th>State</th><th>Valid until</th><th>Ends within 90 days</th></tr></thead><tbody>"
    );
    for a in &r.approvals {
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"warn\">{}</td></tr>",
            esc(&a.name),
            esc(&a.subject),
            esc(&a.article),
            esc(&a.state),
            day(a.valid_until),
            if a.expiring_soon { "yes" } else { "" }
        );
    }
    let _ = write!(
        o,
        "</tbody></table></div><h2>Data-access grants (Art. 26, 29)</h2><div class=\"scroll\"><table><thead><tr><th>Grant</th><th>Owner</th><th>Grantee</th><th>Personal data</th><th>State</th><th>Valid</th><th>Ends within 90 days</th></tr></thead><tbody>"
    );
    for g in &r.grants {
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} – {}</td><td class=\"warn\">{}</td></tr>",
            esc(&g.name),
            esc(&g.owner),
            esc(&g.grantee),
            if g.personal_data { "yes" } else { "no" },
            esc(&g.state),
            g.valid_from,
            g.valid_until,
            if g.expiring_soon { "yes" } else { "" }
        );
    }
    let _ = write!(
        o,
        "</tbody></table></div><h2>Annex: the articles govkh implements</h2><div class=\"scroll\"><table><thead><tr><th>Article</th><th>What it requires</th><th>Policies</th><th>API</th></tr></thead><tbody>"
    );
    for a in &r.annex {
        let _ = write!(
            o,
            "<tr><td>Art. {}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&a.article),
            esc(&a.subject),
            esc(&a.policies.join(", ")),
            esc(&a.api)
        );
    }
    let _ = writeln!(
        o,
        "</tbody></table></div><p class=\"muted\">Generated by govkh from the manifests as they stood on {}.</p></main><script>//<![CDATA[{SCRIPT}//]]></script></body></html>",
        r.as_of
    );
    o
}
