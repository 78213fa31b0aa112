//! Markdown (for pasting into documents) and CSV (one row per finding, for spreadsheets).

use std::fmt::Write;

use super::{ART_41, Report, riels};
use crate::finding::Finding;

/// Text from manifests, made safe for a Markdown table cell or line: no table breaks, no raw
/// HTML, no code-span breaks.
/// User text as Markdown prose: HTML and table syntax escaped, and the punctuation that makes
/// links, images and emphasis backslash-escaped, so a host written `[click](https://evil)`
/// shows as written instead of becoming a link.
fn md(s: &str) -> String {
    let s = crate::text::printable(&s.replace(['\n', '\r'], " ")).into_owned();
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '`' => o.push('\''),
            '|' | '[' | ']' | '(' | ')' | '*' | '_' | '!' | '\\' | '#' | '~' => {
                o.push('\\');
                o.push(c);
            }
            c => o.push(c),
        }
    }
    o
}

/// User text inside a code span: nothing is interpreted there (an entity would show
/// literally), only a backtick could end the span and a newline the line.
fn md_code(s: &str) -> String {
    crate::text::printable(&s.replace(['\n', '\r'], " "))
        .replace('`', "'")
        .replace('|', "\\|")
}

/// A message as Markdown: its `quoted` names as code spans, the rest as prose.
fn md_message(s: &str) -> String {
    super::code_spans(s)
        .into_iter()
        .map(|(code, s)| {
            if code {
                format!("`{}`", md_code(s))
            } else {
                md(s)
            }
        })
        .collect()
}

fn day(d: Option<crate::api::Day>) -> String {
    d.map(|d| d.to_string()).unwrap_or_else(|| "—".into())
}

/// The summary paragraph, shared by every format.
pub fn summary_sentence(r: &Report) -> String {
    let s = &r.summary;
    let c = &s.findings;
    format!(
        "As of {}, {} ministries and institutions run {} tenancies: {} inside the government cloud and {} outside it. govkh found {} breaches that are refused (deny), {} warnings, {} dry-run findings and {} errors. {} statutory deadlines fall within the next 30 days and {} within the next 90 days.",
        r.as_of,
        s.ministries,
        s.tenancies,
        s.inside,
        s.outside,
        c.deny,
        c.warn,
        c.dryrun,
        c.error,
        s.deadlines_within_30_days,
        s.deadlines_within_90_days
    )
}

fn finding_line(out: &mut String, f: &Finding) {
    let deadline = f
        .deadline
        .map(|d| format!(" (deadline {d})"))
        .unwrap_or_default();
    let articles = if f.articles.is_empty() {
        String::new()
    } else {
        format!(" · Art. {}", md(&f.articles.join(", ")))
    };
    let at = f
        .source
        .as_ref()
        .map(|s| format!(" at `{}`", md_code(&s.to_string())))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "- **{}** `{}` — {}{} \\[{}{articles}\\]{at}",
        f.action.as_str().to_uppercase(),
        md_code(&f.resource.display()),
        md_message(&f.message),
        deadline,
        md(&f.policy),
    );
}

/// The report as Markdown.
pub fn markdown(r: &Report) -> String {
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# Compliance with the Law on Digital Government — as of {}\n",
        r.as_of
    );
    let _ = writeln!(o, "{}\n", summary_sentence(r));
    let _ = writeln!(o, "## Ministries and institutions\n");
    let _ = writeln!(
        o,
        "| Ministry | Score | Deny | Warn | Error | Articles broken | Placement | Nearest deadline |"
    );
    let _ = writeln!(o, "|---|---:|---:|---:|---:|---|---|---|");
    for m in &r.ministries {
        let _ = writeln!(
            o,
            "| {} ({}) | {} | {} | {} | {} | {} | {} | {} |",
            md(&m.name),
            md(&m.code),
            m.score,
            m.findings.deny,
            m.findings.warn,
            m.findings.error,
            m.articles
                .iter()
                .map(|a| format!("Art. {a}"))
                .collect::<Vec<_>>()
                .join(", "),
            m.placements.join(", "),
            day(m.nearest_deadline)
        );
    }
    let _ = writeln!(o, "\n*Score.* {}\n", r.score_explanation);
    for m in &r.ministries {
        let _ = writeln!(
            o,
            "## {} ({}) — score {}\n",
            md(&m.name),
            md(&m.code),
            m.score
        );
        if let Some(k) = &m.khmer_name {
            let _ = writeln!(o, "{}  ", md(k));
        }
        let _ = writeln!(
            o,
            "Domain {} · resources {}\n",
            md(&m.domain),
            m.resource_level
        );
        if !m.tenancies.is_empty() {
            let _ = writeln!(o, "### Where it runs (Art. 10)\n");
            let _ = writeln!(
                o,
                "| Tenancy | Placement | State | Apply by | Migrate by | Approval in force |"
            );
            let _ = writeln!(o, "|---|---|---|---|---|---|");
            for t in &m.tenancies {
                let _ = writeln!(
                    o,
                    "| {} | {}{} | {} | {} | {} | {} |",
                    md(&t.name),
                    t.placement,
                    t.provider
                        .as_deref()
                        .map(|p| format!(" ({})", md(p)))
                        .unwrap_or_default(),
                    crate::text::readable(t.state.as_str()),
                    day(t.application_deadline),
                    day(t.migration_deadline),
                    t.approval.as_deref().map(md).unwrap_or_else(|| "—".into())
                );
            }
            let _ = writeln!(o);
        }
        if m.findings_by_article.is_empty() {
            let _ = writeln!(o, "No findings.\n");
        } else {
            let _ = writeln!(o, "### Findings by article\n");
            for (article, findings) in &m.findings_by_article {
                let _ = writeln!(o, "#### Art. {}\n", md(article));
                for f in findings {
                    finding_line(&mut o, f);
                }
                let _ = writeln!(o);
            }
        }
        if !m.fines.is_empty() {
            let _ = writeln!(o, "### Fines the law attaches\n");
            let _ = writeln!(
                o,
                "| Kind of finding | Penalty article | Findings | Natural person, max (riels) | Legal person, max (riels) |"
            );
            let _ = writeln!(o, "|---|---|---:|---:|---:|");
            for f in &m.fines {
                let _ = writeln!(
                    o,
                    "| {} | Art. {} | {} | {} | {} |",
                    md(&f.policy),
                    md(&f.article),
                    f.findings,
                    f.natural_person_max_riel
                        .map(riels)
                        .unwrap_or_else(|| "—".into()),
                    f.legal_person_max_riel
                        .map(riels)
                        .unwrap_or_else(|| "—".into())
                );
            }
            let _ = writeln!(o);
        }
    }
    if !r.other_findings.is_empty() {
        let _ = writeln!(o, "## Findings that concern no known ministry\n");
        for f in &r.other_findings {
            finding_line(&mut o, f);
        }
        let _ = writeln!(o);
    }
    let _ = writeln!(o, "## Fines and unpaid fines\n\n{ART_41}\n");
    let _ = writeln!(o, "## Approvals (Art. 9, 10)\n");
    let _ = writeln!(
        o,
        "| Approval | Subject | Article | State | Valid until | Ends within 90 days |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|");
    for a in &r.approvals {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} |",
            md(&a.name),
            md(&a.subject),
            md(&a.article),
            crate::text::readable(&a.state),
            day(a.valid_until),
            if a.expiring_soon { "yes" } else { "" }
        );
    }
    let _ = writeln!(o, "\n## Data-access grants (Art. 26, 29)\n");
    let _ = writeln!(
        o,
        "| Grant | Owner | Grantee | Personal data | State | Valid | Ends within 90 days |"
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|---|");
    for g in &r.grants {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} – {} | {} |",
            md(&g.name),
            md(&g.owner),
            md(&g.grantee),
            if g.personal_data { "yes" } else { "no" },
            crate::text::readable(&g.state),
            g.valid_from,
            g.valid_until,
            if g.expiring_soon { "yes" } else { "" }
        );
    }
    let _ = writeln!(o, "\n## Deadlines\n");
    for d in &r.deadlines {
        let _ = writeln!(
            o,
            "- {} ({:+} days): {}{}",
            d.day,
            d.days_from_today,
            md(&d.what),
            d.ministry
                .as_deref()
                .map(|m| format!(" — {}", md(m)))
                .unwrap_or_default()
        );
    }
    let _ = writeln!(o, "\n## Annex: the articles govkh implements\n");
    let _ = writeln!(o, "| Article | What it requires | Policies | API |");
    let _ = writeln!(o, "|---|---|---|---|");
    for a in &r.annex {
        let _ = writeln!(
            o,
            "| Art. {} | {} | {} | {} |",
            a.article,
            md(&a.subject),
            a.policies.join(", "),
            md(&a.api)
        );
    }
    o
}

/// A CSV field: quoted when needed (RFC 4180), and made inert for spreadsheets when it would
/// start a formula.
fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The report as CSV: one row per finding.
pub fn csv(r: &Report) -> String {
    let mut o = String::from(
        "as_of,ministry,policy,action,severity,articles,kind,namespace,name,message,state,deadline,penalty_article,natural_person_max_riel,legal_person_max_riel,file,line\n",
    );
    let all = r.ministries.iter().flat_map(|m| {
        let mut seen: Vec<&Finding> = Vec::new();
        for fs in m.findings_by_article.values() {
            for f in fs {
                if !seen.contains(&f) {
                    seen.push(f);
                }
            }
        }
        seen
    });
    for f in all.chain(r.other_findings.iter()) {
        let p = f.penalty.as_ref();
        let cells = [
            r.as_of.to_string(),
            f.ministry.clone().unwrap_or_default(),
            f.policy.clone(),
            f.action.as_str().to_string(),
            f.severity.as_str().to_string(),
            f.articles.join(";"),
            f.resource.kind.clone().unwrap_or_default(),
            f.resource.namespace.clone().unwrap_or_default(),
            f.resource.name.clone().unwrap_or_default(),
            f.message.clone(),
            f.state.clone().unwrap_or_default(),
            f.deadline.map(|d| d.to_string()).unwrap_or_default(),
            p.map(|p| p.article.clone()).unwrap_or_default(),
            p.and_then(|p| p.natural_person_max_riel)
                .map(|n| n.to_string())
                .unwrap_or_default(),
            p.and_then(|p| p.legal_person_max_riel)
                .map(|n| n.to_string())
                .unwrap_or_default(),
            f.source
                .as_ref()
                .map(|s| s.file.clone())
                .unwrap_or_default(),
            f.source
                .as_ref()
                .map(|s| s.line.to_string())
                .unwrap_or_default(),
        ];
        let row: Vec<String> = cells.iter().map(|c| field(c)).collect();
        let _ = writeln!(o, "{}", row.join(","));
    }
    o
}
