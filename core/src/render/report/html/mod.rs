//! The report as one self-contained HTML file: inline CSS, inline SVG charts, a small inline
//! script that sorts the ministries table (the table reads fine without it), nothing fetched
//! from anywhere. Readable on a phone, printable with a page per ministry. The markup is
//! well-formed XML (XHTML syntax), so it can be checked by a parser. Everything that comes from
//! manifests goes through `esc`.

use std::fmt::Write;

use super::{MinistryReport, Report, text::summary_sentence};
use crate::{
    message::Lang,
    message::words::{Words, fill, number, words},
};

mod page;

pub use page::esc;
use page::*;

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
    clouds_html(o, m, w);
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
    repeats_html(o, m, w);
}

/// The offences a ministry commits again (Art. 42), from its history, with the article's
/// penalties.
fn repeats_html(o: &mut String, m: &MinistryReport, w: &Words) {
    let Some(h) = m.history.as_ref().filter(|h| !h.repeats.is_empty()) else {
        return;
    };
    let _ = write!(o, "<h3>{}</h3><ul>", w.repeat_offences);
    for r in &h.repeats {
        let _ = write!(
            o,
            "<li class=\"deny\">{}</li>",
            esc(&super::repeat_sentence(r, w))
        );
    }
    let _ = write!(o, "</ul><p class=\"muted\">{}</p>", esc(w.art_42));
}

/// The cloud providers a ministry uses: declared by its tenancies, observed in its resources.
fn clouds_html(o: &mut String, m: &MinistryReport, w: &Words) {
    if m.clouds.is_empty() {
        return;
    }
    let _ = write!(o, "<h3>{}</h3>", w.clouds_in_use);
    let rows = m
        .clouds
        .iter()
        .map(|c| {
            let declared = c.declared_by.join(", ");
            vec![
                Cell::text(&c.provider),
                if declared.is_empty() {
                    Cell::text(w.undeclared).class("warn")
                } else {
                    Cell::text(&declared)
                },
                Cell::text(&if c.objects.is_empty() {
                    "—".to_string()
                } else {
                    format!("{}: {}", c.objects.len(), c.objects.join(", "))
                }),
            ]
        })
        .collect();
    table(
        o,
        false,
        &[
            (w.h_provider, ""),
            (w.h_declared_by, ""),
            (w.h_observed, ""),
        ],
        rows,
    );
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
                Cell::text(super::grantee_words(g, w)),
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
    apis_html(o, r, w);
}

/// The register of APIs (Art. 27).
fn apis_html(o: &mut String, r: &Report, w: &Words) {
    let _ = write!(
        o,
        "<h2>{}</h2><p class=\"muted\">{}</p>",
        w.api_register,
        esc(w.api_register_intro)
    );
    if r.apis.is_empty() {
        let _ = write!(o, "<p>{}</p>", w.no_apis);
        return;
    }
    let rows =
        r.apis
            .iter()
            .map(|a| {
                let spec = Cell::text(&super::specification_words(&a.specification, w));
                let spec = match a.specification {
                    crate::apis::Specification::Missing
                    | crate::apis::Specification::Broken { .. } => spec.class("warn"),
                    _ => spec,
                };
                vec![
                    Cell::text(&a.api),
                    Cell::text(&a.ministry),
                    Cell::text(&format!("{}/{}", a.namespace, a.exposed_by)),
                    Cell::text(&a.versions.join(", ")),
                    Cell::text(&a.lifecycle),
                    spec,
                ]
            })
            .collect();
    table(
        o,
        false,
        &[
            (w.h_api, ""),
            (w.h_ministry, ""),
            (w.h_exposed_by, ""),
            (w.h_versions, ""),
            (w.h_lifecycle, ""),
            (w.h_specification, ""),
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
                Cell::text(&w.rests_on(&a.configuration, &a.readings)),
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
            (w.h_rests_on, ""),
        ],
        rows,
    );
    let _ = write!(o, "<p>{}</p>", page::esc(w.rests_on_note));
}
