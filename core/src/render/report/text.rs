//! Markdown (for pasting into documents) and CSV (one row per finding, for spreadsheets).

use std::fmt::Write;

use super::{MinistryReport, Report};
use crate::{
    finding::{Finding, Penalty},
    message::Lang,
    message::words::{Words, fill, number, words},
};

/// User text as Markdown prose: HTML and table syntax escaped, and the punctuation that makes
/// links, images and emphasis backslash-escaped, so a host written `[click](https://evil)`
/// shows as written instead of becoming a link.
fn md(s: &str) -> String {
    let s = crate::printable::printable(&s.replace(['\n', '\r'], " ")).into_owned();
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
    crate::printable::printable(&s.replace(['\n', '\r'], " "))
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
    fill(
        words(r.lang).summary,
        &[
            ("day", &r.as_of),
            ("ministries", &s.ministries),
            ("tenancies", &s.tenancies),
            ("inside", &s.inside),
            ("outside", &s.outside),
            ("deny", &c.deny),
            ("warn", &c.warn),
            ("dryrun", &c.dryrun),
            ("error", &c.error),
            ("soon30", &s.deadlines_within_30_days),
            ("soon90", &s.deadlines_within_90_days),
        ],
    )
}

fn finding_line(out: &mut String, f: &Finding, lang: Lang, since: Option<crate::api::Day>) {
    let w = words(lang);
    let deadline = f
        .deadline
        .map(|d| format!(" ({} {d})", w.deadline))
        .unwrap_or_default();
    let since = since
        .map(|d| format!(" *{}*", fill(w.since, &[("day", &d)])))
        .unwrap_or_default();
    let articles = if f.articles.is_empty() {
        String::new()
    } else {
        format!(" · {}", md(&w.articles_of(&f.articles)))
    };
    let at = f
        .source
        .as_ref()
        .map(|s| {
            format!(
                " {} `{}`",
                w.at,
                md_code(&crate::render::check::source_in(s, lang))
            )
        })
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "- **{}** `{}` — {}{}{since} \\[{}{articles}\\]{at}",
        w.action(f.action),
        md_code(&f.resource.display()),
        md_message(f.message_in(lang)),
        deadline,
        md(&f.policy),
    );
}

/// A ministry's name for a reader of `lang`: Khmer readers read the Khmer name first.
fn name_of(m: &super::MinistryReport, lang: Lang) -> String {
    match (lang, &m.khmer_name) {
        (Lang::Km, Some(k)) => md(k),
        _ => md(&m.name),
    }
}

/// The report as Markdown.
pub fn markdown(r: &Report) -> String {
    let lang = r.lang;
    let w = words(lang);
    let mut o = String::new();
    let _ = writeln!(
        o,
        "# {} — {}\n",
        w.report_title,
        fill(w.as_of, &[("day", &r.as_of)])
    );
    let _ = writeln!(o, "{}\n", summary_sentence(r));
    ministries_md(&mut o, r, w, lang);
    let _ = writeln!(o, "\n*{}* {}\n", w.md_score_label, r.score_explanation);
    for m in &r.ministries {
        ministry_md(&mut o, m, w, lang);
    }
    two_years_md(&mut o, r, w, lang);
    let _ = writeln!(o, "## {}\n\n{}\n", w.fines_unpaid, w.art_41);
    approvals_md(&mut o, r, w, lang);
    deadlines_md(&mut o, r, w);
    annex_md(&mut o, r, w);
    o
}

/// The table of ministries.
fn ministries_md(o: &mut String, r: &Report, w: &Words, lang: Lang) {
    let _ = writeln!(o, "## {}\n", w.ministries);
    let _ = writeln!(
        o,
        "| {} | {} | {} | {} | {} | {} | {} | {} |",
        w.h_ministry,
        w.h_score,
        w.h_deny,
        w.h_warn,
        w.h_error,
        w.h_articles_broken,
        w.h_placement,
        w.h_nearest_deadline
    );
    let _ = writeln!(o, "|---|---:|---:|---:|---:|---|---|---|");
    for m in &r.ministries {
        let _ = writeln!(
            o,
            "| {} ({}) | {} | {} | {} | {} | {} | {} | {} |",
            name_of(m, lang),
            md(&m.code),
            m.score,
            m.findings.deny,
            m.findings.warn,
            m.findings.error,
            m.articles
                .iter()
                .map(|a| fill(w.article, &[("n", a)]))
                .collect::<Vec<_>>()
                .join(", "),
            m.placements.join(", "),
            day(m.nearest_deadline)
        );
    }
}

/// One ministry's section: its standing, trend, tenancies, findings by article and fines.
fn ministry_md(o: &mut String, m: &MinistryReport, w: &Words, lang: Lang) {
    let _ = writeln!(
        o,
        "## {} ({}) — {}\n",
        name_of(m, lang),
        md(&m.code),
        fill(w.md_score, &[("score", &m.score)])
    );
    // The other name: the Khmer one for an English reader, and the reverse.
    match (lang, &m.khmer_name) {
        (Lang::Km, Some(_)) => {
            let _ = writeln!(o, "{}  ", md(&m.name));
        }
        (Lang::En, Some(k)) => {
            let _ = writeln!(o, "{}  ", md(k));
        }
        _ => {}
    }
    let level = w.level(&m.resource_level);
    let _ = writeln!(
        o,
        "{}\n",
        md(&fill(
            w.ministry_facts,
            &[("code", &m.code), ("domain", &m.domain), ("level", &level)]
        ))
    );
    if let Some(sentence) = m.history.as_ref().and_then(|h| super::trend_sentence(h, w)) {
        let _ = writeln!(o, "{}\n", md(&sentence));
    }
    tenancies_md(o, m, w, lang);
    clouds_md(o, m, w);
    if m.findings_by_article.is_empty() {
        let _ = writeln!(o, "{}\n", w.no_findings);
    } else {
        let _ = writeln!(o, "### {}\n", w.findings_by_article);
        for (article, findings) in &m.findings_by_article {
            let _ = writeln!(o, "#### {}\n", md(&fill(w.article, &[("n", article)])));
            for f in findings {
                let since = m.history.as_ref().and_then(|h| h.first_seen(f));
                finding_line(o, f, lang, since);
            }
            let _ = writeln!(o);
        }
    }
    fines_md(o, m, w, lang);
    repeats_md(o, m, w);
}

/// The offences a ministry commits again (Art. 42), from its history.
fn repeats_md(o: &mut String, m: &MinistryReport, w: &Words) {
    let Some(h) = m.history.as_ref().filter(|h| !h.repeats.is_empty()) else {
        return;
    };
    let _ = writeln!(o, "### {}\n", w.repeat_offences);
    for r in &h.repeats {
        let _ = writeln!(o, "- {}", md(&super::repeat_sentence(r, w)));
    }
    let _ = writeln!(o, "\n{}\n", md(w.art_42));
}

/// A ministry's tenancies and their clocks, as a table.
fn tenancies_md(o: &mut String, m: &MinistryReport, w: &Words, lang: Lang) {
    if !m.tenancies.is_empty() {
        let _ = writeln!(o, "### {}\n", w.where_it_runs);
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} |",
            w.h_tenancy,
            w.h_placement,
            w.h_state,
            w.h_apply_by,
            w.h_migrate_by,
            w.h_approval_in_force
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
                w.state(t.state.as_str(), lang),
                day(t.application_deadline),
                day(t.migration_deadline),
                t.approval.as_deref().map(md).unwrap_or_else(|| "—".into())
            );
        }
        let _ = writeln!(o);
    }
}

/// The cloud providers a ministry uses: declared by its tenancies, observed in its resources.
fn clouds_md(o: &mut String, m: &MinistryReport, w: &Words) {
    if m.clouds.is_empty() {
        return;
    }
    let _ = writeln!(o, "### {}\n", w.clouds_in_use);
    let _ = writeln!(
        o,
        "| {} | {} | {} |",
        w.h_provider, w.h_declared_by, w.h_observed
    );
    let _ = writeln!(o, "|---|---|---|");
    for c in &m.clouds {
        let declared = if c.declared_by.is_empty() {
            w.undeclared.to_string()
        } else {
            md(&c.declared_by.join(", "))
        };
        let observed = if c.objects.is_empty() {
            "—".to_string()
        } else {
            format!("{}: {}", c.objects.len(), md(&c.objects.join(", ")))
        };
        let _ = writeln!(o, "| {} | {declared} | {observed} |", md(&c.provider));
    }
    let _ = writeln!(o);
}

/// The fines the law attaches to a ministry's kinds of findings.
fn fines_md(o: &mut String, m: &MinistryReport, w: &Words, lang: Lang) {
    if !m.fines.is_empty() {
        let _ = writeln!(o, "### {}\n", w.fines_attached);
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} |",
            w.h_kind_of_finding, w.h_penalty, w.h_findings, w.h_natural_max, w.h_legal_max
        );
        let _ = writeln!(o, "|---|---|---:|---:|---:|");
        let amount = |a: Option<u64>| a.map(|n| number(n, lang)).unwrap_or_else(|| "—".into());
        for f in &m.fines {
            let _ = writeln!(
                o,
                "| {} | {} | {} | {} | {} |",
                md(&f.policy),
                md(&fill(w.article, &[("n", &f.article)])),
                f.findings,
                amount(f.natural_person_max_riel),
                amount(f.legal_person_max_riel)
            );
        }
        let _ = writeln!(o);
    }
}

/// The findings of no known ministry, and the two-year view (Art. 34) where histories reach.
fn two_years_md(o: &mut String, r: &Report, w: &Words, lang: Lang) {
    if !r.other_findings.is_empty() {
        let _ = writeln!(o, "## {}\n", w.other_findings);
        for f in &r.other_findings {
            finding_line(o, f, lang, None);
        }
        let _ = writeln!(o);
    }
    let biennial: Vec<_> = r
        .ministries
        .iter()
        .filter_map(|m| Some((m, m.history.as_ref()?.biennial.as_ref()?)))
        .collect();
    if !biennial.is_empty() {
        let _ = writeln!(o, "## {}\n\n{}\n", w.two_years, w.two_years_note);
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} |",
            w.h_ministry, w.h_from, w.h_score_then, w.h_score_now, w.h_change, w.h_denials_then_now
        );
        let _ = writeln!(o, "|---|---|---:|---:|---:|---:|");
        for (m, b) in biennial {
            let _ = writeln!(
                o,
                "| {} ({}) | {} | {} | {} | {:+} | {} → {} |",
                name_of(m, lang),
                md(&m.code),
                b.from,
                b.score_then,
                b.score_now,
                b.change,
                b.denials_then,
                b.denials_now
            );
        }
        let _ = writeln!(o);
    }
}

/// The approvals and the data access grants, with their states and ends.
fn approvals_md(o: &mut String, r: &Report, w: &Words, lang: Lang) {
    let _ = writeln!(o, "## {}\n", w.approvals);
    let _ = writeln!(
        o,
        "| {} | {} | {} | {} | {} | {} |",
        w.h_approval, w.h_subject, w.h_article, w.h_state, w.h_valid_until, w.h_ends_soon
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|");
    for a in &r.approvals {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} |",
            md(&a.name),
            md(&a.subject),
            md(&a.article),
            w.state(&a.state, lang),
            day(a.valid_until),
            if a.expiring_soon { w.yes } else { "" }
        );
    }
    let _ = writeln!(o, "\n## {}\n", w.grants);
    let _ = writeln!(
        o,
        "| {} | {} | {} | {} | {} | {} | {} |",
        w.h_grant, w.h_owner, w.h_grantee, w.h_personal_data, w.h_state, w.h_valid, w.h_ends_soon
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|---|");
    for g in &r.grants {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} – {} | {} |",
            md(&g.name),
            md(&g.owner),
            md(super::grantee_words(g, w)),
            if g.personal_data { w.yes } else { w.no },
            w.state(&g.state, lang),
            g.valid_from,
            g.valid_until,
            if g.expiring_soon { w.yes } else { "" }
        );
    }
    apis_md(o, r, w);
}

/// The register of APIs (Art. 27).
fn apis_md(o: &mut String, r: &Report, w: &Words) {
    let _ = writeln!(o, "\n## {}\n\n{}\n", w.api_register, w.api_register_intro);
    if r.apis.is_empty() {
        let _ = writeln!(o, "{}", w.no_apis);
        return;
    }
    let _ = writeln!(
        o,
        "| {} | {} | {} | {} | {} | {} |",
        w.h_api, w.h_ministry, w.h_exposed_by, w.h_versions, w.h_lifecycle, w.h_specification
    );
    let _ = writeln!(o, "|---|---|---|---|---|---|");
    for a in &r.apis {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} | {} |",
            md(&a.api),
            md(&a.ministry),
            md(&format!("{}/{}", a.namespace, a.exposed_by)),
            md(&a.versions.join(", ")),
            md(&a.lifecycle),
            md(&super::specification_words(&a.specification, w))
        );
    }
}

/// The deadlines, nearest first.
fn deadlines_md(o: &mut String, r: &Report, w: &Words) {
    let _ = writeln!(o, "\n## {}\n", w.deadlines);
    for d in &r.deadlines {
        let _ = writeln!(
            o,
            "- {} ({}): {}{}",
            d.day,
            fill(w.days, &[("n", &format!("{:+}", d.days_from_today))]),
            md(&d.what),
            d.ministry
                .as_deref()
                .map(|m| format!(" — {}", md(m)))
                .unwrap_or_default()
        );
    }
}

/// The annex: each article, what it requires, the policies that check it, the API.
fn annex_md(o: &mut String, r: &Report, w: &Words) {
    let _ = writeln!(o, "\n## {}\n", w.annex);
    let _ = writeln!(
        o,
        "| {} | {} | {} | {} | {} |",
        w.h_article, w.h_what_it_requires, w.h_policies, w.h_api, w.h_rests_on
    );
    let _ = writeln!(o, "|---|---|---|---|---|");
    for a in &r.annex {
        let _ = writeln!(
            o,
            "| {} | {} | {} | {} | {} |",
            fill(w.article, &[("n", &a.article)]),
            md(&a.subject),
            a.policies.join(", "),
            md(&a.api),
            md(&w.rests_on(&a.configuration, &a.readings))
        );
    }
    let _ = writeln!(o, "\n{}", w.rests_on_note);
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
        "as_of,ministry,policy,action,severity,articles,kind,namespace,name,message,state,deadline,penalty_article,natural_person_max_riel,legal_person_max_riel,file,line,first_seen\n",
    );
    // Each finding is under one article only (its first); its first day, where a history
    // knows it.
    let all = r.ministries.iter().flat_map(|m| {
        m.findings_by_article
            .values()
            .flatten()
            .map(move |f| (f, m.history.as_ref().and_then(|h| h.first_seen(f))))
    });
    for (f, since) in all.chain(r.other_findings.iter().map(|f| (f, None))) {
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
            f.message_in(r.lang).to_string(),
            f.state.clone().unwrap_or_default(),
            f.deadline.map(|d| d.to_string()).unwrap_or_default(),
            p.map(|p| p.article.clone()).unwrap_or_default(),
            p.and_then(Penalty::natural_max)
                .map(|n| n.to_string())
                .unwrap_or_default(),
            p.and_then(Penalty::legal_max)
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
            since.map(|d| d.to_string()).unwrap_or_default(),
        ];
        let row: Vec<String> = cells.iter().map(|c| field(c)).collect();
        let _ = writeln!(o, "{}", row.join(","));
    }
    o
}
