//! The committee's compliance report (Art. 4): one model built from the same evaluation as
//! `govkh check` — per-ministry scores, the statutory clock, findings by article with the fines
//! the law attaches, approvals and grants, an annex mapping articles to rules — and renderers
//! for HTML, Markdown, JSON and CSV. Renderers format; they decide nothing.

mod html;
pub mod saved;
mod text;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

pub use html::html;
pub use text::{csv, markdown};

use crate::{
    api::{ApprovalState, Day, GrantState},
    audit::{self, history, sort_articles},
    evaluate::{Evaluation, TenancyClock},
    finding::ActionCounts,
    finding::Finding,
    inventory::Inventory,
    law::clock::{self, days_between},
    message::Lang,
    message::words::{fill, words},
    policy::Library,
};

/// The `schemaVersion` of the JSON report. Bumped on any incompatible change.
pub const REPORT_SCHEMA_VERSION: &str = "govkh.digital.gov.kh/report/v1";

/// How far ahead "expiring soon" and "running out" look, in days.
pub const SOON_DAYS: i64 = 90;

/// How the score is computed, in words (printed in the report itself).
pub const SCORE_EXPLANATION: &str = crate::message::words::EN.score_explanation;

/// The summary paragraph's figures.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportSummary {
    /// Ministries in the report.
    pub ministries: usize,
    /// All tenancies.
    pub tenancies: usize,
    /// Tenancies inside the government cloud.
    pub inside: usize,
    /// Tenancies outside it (with or without an exception).
    pub outside: usize,
    /// Findings by action.
    pub findings: ActionCounts,
    /// Statutory deadlines falling within the next 30 days.
    pub deadlines_within_30_days: usize,
    /// Statutory deadlines falling within the next 90 days.
    pub deadlines_within_90_days: usize,
}

/// The fine attached to one kind of finding of a ministry.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FineLine {
    /// The policy.
    pub policy: String,
    /// The penalty article.
    pub article: String,
    /// How many findings of this kind.
    pub findings: usize,
    /// Maximum per natural person involved, in riels (an amount the law sets for any person
    /// counts for both kinds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub natural_person_max_riel: Option<u64>,
    /// Maximum per legal person involved, in riels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal_person_max_riel: Option<u64>,
}

/// One ministry's part of the report.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MinistryReport {
    /// Its code.
    pub code: String,
    /// Its name in English.
    pub name: String,
    /// Its name in Khmer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub khmer_name: Option<String>,
    /// Its domain.
    pub domain: String,
    /// `full` or `limited`.
    pub resource_level: String,
    /// 0-100.
    pub score: u8,
    /// Findings by action.
    pub findings: ActionCounts,
    /// Articles with at least one deny, warn or error finding.
    pub articles: Vec<String>,
    /// Placements of its tenancies.
    pub placements: Vec<String>,
    /// Its nearest running deadline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nearest_deadline: Option<Day>,
    /// Its tenancies and their clocks.
    pub tenancies: Vec<TenancyClock>,
    /// The cloud providers it uses: declared by its tenancies, observed in its cloud
    /// resources (`policies/clouds.yaml`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub clouds: Vec<crate::evaluate::CloudUse>,
    /// Its findings by article: each once, under the first article it cites (its `articles`
    /// lists all).
    pub findings_by_article: BTreeMap<String, Vec<Finding>>,
    /// The fines attached to its kinds of findings.
    pub fines: Vec<FineLine>,
    /// Its history (`--cluster` from the operator's records, `--history DIR` from saved
    /// reports), this day included.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<history::Trend>,
}

/// An approval, as the committee tracks it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApprovalLine {
    /// Its name.
    pub name: String,
    /// `CloudTenancy/x` or `PrivateNetworkLink/y`.
    pub subject: String,
    /// The article.
    pub article: String,
    /// Its state as of the report's date (`NotYetRequested` if requested later).
    pub state: String,
    /// Its last day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<Day>,
    /// Whether it ends within the next 90 days.
    pub expiring_soon: bool,
}

/// A data-access grant, as the committee tracks it.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GrantLine {
    /// Its name.
    pub name: String,
    /// The owning ministry.
    pub owner: String,
    /// The grantee (ministry or person); empty for the public.
    pub grantee: String,
    /// Whether the grantee is the public (public exposure authorised, Art. 26).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub public: bool,
    /// Whether personal data is involved.
    pub personal_data: bool,
    /// `Pending`, `Active` or `Expired`.
    pub state: String,
    /// First day.
    pub valid_from: Day,
    /// Last day.
    pub valid_until: Day,
    /// Whether it ends within the next 90 days.
    pub expiring_soon: bool,
}

/// A dated event on the timeline.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadlineLine {
    /// The day.
    pub day: Day,
    /// What ends or is due that day.
    pub what: String,
    /// The ministry concerned, if one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ministry: Option<String>,
    /// Days from the report's date (negative: passed).
    pub days_from_today: i64,
}

/// One row of the annex.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AnnexLine {
    /// The article.
    pub article: String,
    /// What it says, in short.
    pub subject: String,
    /// The policies that implement it.
    pub policies: Vec<String>,
    /// The API fields and checks that carry it.
    pub api: String,
    /// The configuration of this cluster its rules rest on (docs/interpretations.md ids).
    pub configuration: Vec<String>,
    /// govkh's readings of the law its rules rest on (docs/interpretations.md ids).
    pub readings: Vec<String>,
}

/// Readings of the law the report itself applies, by article (docs/interpretations.md ids):
/// the history's sections, not any policy, rest on them.
pub const REPORT_READINGS: &[(&str, &str)] = &[("42", "repeat-offence"), ("34", "two-year-survey")];

/// The whole report.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// [`REPORT_SCHEMA_VERSION`].
    pub schema_version: &'static str,
    /// The language of its sentences (`en` or `km`).
    pub lang: Lang,
    /// The day the report describes.
    pub as_of: Day,
    /// The government cloud's establishment date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub established_on: Option<Day>,
    /// The summary figures.
    pub summary: ReportSummary,
    /// How the score is computed.
    pub score_explanation: &'static str,
    /// Ministries, by code.
    pub ministries: Vec<MinistryReport>,
    /// Findings that concern no known ministry (bad manifests, unknown references).
    pub other_findings: Vec<Finding>,
    /// Approvals.
    pub approvals: Vec<ApprovalLine>,
    /// Data-access grants.
    pub grants: Vec<GrantLine>,
    /// The register of APIs (Art. 27).
    pub apis: Vec<crate::apis::ApiEntry>,
    /// Statutory deadlines and ends of permissions, in date order.
    pub deadlines: Vec<DeadlineLine>,
    /// Articles, and what implements them.
    pub annex: Vec<AnnexLine>,
}

/// Articles govkh implements, with where (policies are added from the library's metadata):
/// (article, what it requires in English and in Khmer, the API that carries it in English and
/// in Khmer).
const ANNEX: &[(&str, &str, &str, &str, &str)] = &[
    (
        "5",
        "Digital Transformation Unit of each ministry",
        "អង្គភាពផ្លាស់ប្តូរឌីជីថលនៃក្រសួងនីមួយៗ",
        "Ministry.spec.digitalTransformationUnit (contact, groups bound as admins)",
        "Ministry.spec.digitalTransformationUnit (ទំនាក់ទំនង និងក្រុមដែលទទួលសិទ្ធិគ្រប់គ្រង)",
    ),
    (
        "9",
        "The government private network; other networks only with the committee's written approval",
        "បណ្តាញឯកជនរបស់រាជរដ្ឋាភិបាល; បណ្តាញផ្សេងទៀតតែក្រោមការអនុម័តជាលាយលក្ខណ៍អក្សររបស់គណៈកម្មាធិការ",
        "GovernmentCloud.spec.privateNetwork; PrivateNetworkLink.spec.network/approval; Approval (article 9)",
        "GovernmentCloud.spec.privateNetwork; PrivateNetworkLink.spec.network/approval; Approval (មាត្រា 9)",
    ),
    (
        "10",
        "Government cloud; apply within 90 days of its establishment to stay outside, or migrate within one year",
        "ក្លោដរាជរដ្ឋាភិបាល; ដាក់សំណើក្នុងរយៈពេល 90 ថ្ងៃគិតពីថ្ងៃបង្កើត ដើម្បីបន្តនៅខាងក្រៅ ឬផ្ទេរចូលក្នុងរយៈពេលមួយឆ្នាំ",
        "GovernmentCloud.spec.establishedOn/approvedLeasedProviders; CloudTenancy; Approval (article 10); the statutory clock (90 days, 12 months: the law's numbers, not settings)",
        "GovernmentCloud.spec.establishedOn/approvedLeasedProviders; CloudTenancy; Approval (មាត្រា 10); នាឡិកាតាមច្បាប់ (90 ថ្ងៃ 12 ខែ៖ លេខរបស់ច្បាប់ មិនមែនការកំណត់ទេ)",
    ),
    (
        "20",
        "Ministries use the .gov.kh domain",
        "ក្រសួងប្រើដែន .gov.kh",
        "Ministry.spec.domain (schema: under .gov.kh)",
        "Ministry.spec.domain (schema៖ ក្រោម .gov.kh)",
    ),
    (
        "21",
        "Official websites and email under .gov.kh",
        "គេហទំព័រ និងអ៊ីមែលផ្លូវការក្រោម .gov.kh",
        "Ministry.spec.digitalTransformationUnit.contactEmail (schema: on the ministry's domain); Approval.spec.request.requestedBy (on the domain of the ministry the request is for)",
        "Ministry.spec.digitalTransformationUnit.contactEmail (schema៖ ក្នុងដែនរបស់ក្រសួង); Approval.spec.request.requestedBy (ក្នុងដែនរបស់ក្រសួងដែលសំណើនោះសម្រាប់)",
    ),
    (
        "22",
        "Official social-media accounts notified to MPTC",
        "គណនីបណ្តាញសង្គមផ្លូវការដែលបានជូនដំណឹងទៅក្រសួងប្រៃសណីយ៍ និងទូរគមនាគមន៍",
        "Ministry.spec.socialMediaAccounts (each account one ministry's)",
        "Ministry.spec.socialMediaAccounts (គណនីនីមួយៗជារបស់ក្រសួងតែមួយ)",
    ),
    (
        "25",
        "Data classified top-secret, confidential or open",
        "ទិន្នន័យចាត់ថ្នាក់ជា សម្ងាត់បំផុត សម្ងាត់ ឬចំហ",
        "DataClass; label digital.gov.kh/data-class; CloudTenancy.spec.namespaces[].dataClass",
        "DataClass; ស្លាក digital.gov.kh/data-class; CloudTenancy.spec.namespaces[].dataClass",
    ),
    (
        "26",
        "No reproduction or dissemination of top-secret data; confidential only with authorisation",
        "គ្មានការថតចម្លង ឬផ្សព្វផ្សាយទិន្នន័យសម្ងាត់បំផុត; ទិន្នន័យសម្ងាត់តែនៅពេលមានការអនុញ្ញាត",
        "DataClass.spec.reproduction/sharing/publicExposure (schema: never weaker than the law); DataAccessGrant",
        "DataClass.spec.reproduction/sharing/publicExposure (schema៖ មិនដែលខ្សោយជាងច្បាប់); DataAccessGrant",
    ),
    (
        "27",
        "APIs' specifications made available to the committee; its register of APIs",
        "លក្ខណៈបច្ចេកទេសនៃ API ផ្តល់ដល់គណៈកម្មាធិការ; បញ្ជី API របស់គណៈកម្មាធិការ",
        "annotations digital.gov.kh/api, api-specification, api-versions, api-lifecycle; the register in this report and govkh apis",
        "annotation digital.gov.kh/api, api-specification, api-versions, api-lifecycle; បញ្ជីក្នុងរបាយការណ៍នេះ និង govkh apis",
    ),
    (
        "28",
        "Data shared securely, following the standards",
        "ការចែករំលែកទិន្នន័យប្រកបដោយសុវត្ថិភាព តាមស្តង់ដារ",
        "PrivateNetworkLink; DataAccessGrant.spec.access",
        "PrivateNetworkLink; DataAccessGrant.spec.access",
    ),
    (
        "29",
        "Access only with written permission; personal data only with consent",
        "ការចូលប្រើតែនៅពេលមានការអនុញ្ញាតជាលាយលក្ខណ៍អក្សរ; ទិន្នន័យផ្ទាល់ខ្លួនតែនៅពេលមានការយល់ព្រម",
        "DataAccessGrant (reason, types, period, consentReference); CloudTenancy.spec.namespaces[].personalData",
        "DataAccessGrant (មូលហេតុ ប្រភេទ រយៈពេល consentReference); CloudTenancy.spec.namespaces[].personalData",
    ),
    (
        "38",
        "Fine for not using government email or website: up to 200,000 riels",
        "ពិន័យចំពោះការមិនប្រើអ៊ីមែល ឬគេហទំព័ររបស់រាជរដ្ឋាភិបាល៖ រហូតដល់ 200.000 រៀល",
        "penalty of official-domain, official-email",
        "ពិន័យនៃ official-domain, official-email",
    ),
    (
        "39",
        "Fines for fake ministry accounts: natural person up to 10,000,000 riels; legal person up to 100,000,000 (Art. 22 cites Art. 40; the offence is Art. 39's)",
        "ពិន័យចំពោះគណនីក្លែងក្លាយរបស់ក្រសួង៖ រូបវន្តបុគ្គល រហូតដល់ 10.000.000 រៀល; នីតិបុគ្គល រហូតដល់ 100.000.000 រៀល (មាត្រា 22 យោងទៅមាត្រា 40 ប៉ុន្តែបទល្មើសនេះជារបស់មាត្រា 39)",
        "penalty of social-media-accounts",
        "ពិន័យនៃ social-media-accounts",
    ),
    (
        "40",
        "Fines for reproduction without authorisation: natural person up to 20,000,000 (top-secret) / 10,000,000 (confidential) riels; legal person up to 500,000,000 / 100,000,000",
        "ពិន័យចំពោះការថតចម្លងដោយគ្មានការអនុញ្ញាត៖ រូបវន្តបុគ្គល រហូតដល់ 20.000.000 (សម្ងាត់បំផុត) / 10.000.000 (សម្ងាត់) រៀល; នីតិបុគ្គល រហូតដល់ 500.000.000 / 100.000.000 រៀល",
        "penalty of no-reproduction, no-dissemination",
        "ពិន័យនៃ no-reproduction, no-dissemination",
    ),
    (
        "41",
        "Unpaid fines: doubled after 30 days, tripled after 60, referred to the courts after 90",
        "ពិន័យមិនបានបង់៖ កើនទ្វេដងក្រោយ 30 ថ្ងៃ បីដងក្រោយ 60 ថ្ងៃ បញ្ជូនទៅតុលាការក្រោយ 90 ថ្ងៃ",
        "explained in this report",
        "ពន្យល់ក្នុងរបាយការណ៍នេះ",
    ),
    (
        "42",
        "The same offence committed again: imprisonment and heavier fines",
        "ការប្រព្រឹត្តបទល្មើសដដែលម្តងទៀត៖ ពន្ធនាគារ និងពិន័យធ្ងន់ជាងមុន",
        "the history: an offence of Art. 38-40 found, then not found, then found again (repeat offences, per ministry)",
        "ប្រវត្តិ៖ បទល្មើសនៃមាត្រា 38-40 ដែលរកឃើញ បន្ទាប់មកមិនរកឃើញ ហើយរកឃើញម្តងទៀត (បទល្មើសដដែលៗ តាមក្រសួង)",
    ),
];

/// Art. 41, explained once in the report.
pub const ART_41: &str = crate::message::words::EN.art_41;

fn soon(today: Day, day: Day) -> bool {
    let d = days_between(today, day);
    (0..=SOON_DAYS).contains(&d)
}

/// Add each ministry's history to the report: today's observation recorded into it (so the
/// trend ends today), its trend and first-seen days drawn. Ministries without history start
/// one today.
pub fn with_history(report: &mut Report, histories: &mut BTreeMap<String, history::History>) {
    for m in &mut report.ministries {
        let h = histories.entry(m.code.clone()).or_default();
        let findings: Vec<&Finding> = m.findings_by_article.values().flatten().collect();
        h.record(history::Observation::new(
            report.as_of,
            m.score,
            &findings,
            &m.tenancies,
        ));
        m.history = Some(h.trend());
    }
}

/// Build the report from an inventory and its evaluation (the same one `check` prints), in
/// English.
pub fn build(inv: &Inventory, eval: &Evaluation, policies: &Library) -> Report {
    build_in(inv, eval, policies, Lang::En)
}

/// Build the report in `lang`: its sentences (the explanation of the score, what each
/// deadline is, the annex) in that language; findings carry both languages.
pub fn build_in(inv: &Inventory, eval: &Evaluation, policies: &Library, lang: Lang) -> Report {
    let w = words(lang);
    let today = eval.today;
    let (standings, others) = audit::standing(inv, eval);
    let other_findings: Vec<Finding> = others.into_iter().cloned().collect();
    let mut clouds = crate::evaluate::clouds_in_use(inv, policies.clouds());
    let mut ministries = Vec::new();
    for st in standings {
        if let Some(m) = inv.ministries.get(st.code) {
            let mut r = ministry_report(&st, m);
            r.clouds = clouds.remove(st.code).unwrap_or_default();
            ministries.push(r);
        }
    }
    let established_on = inv
        .government_cloud
        .as_ref()
        .map(|g| g.object.spec.established_on);
    let approvals = approval_lines(inv, today);
    let grants = grant_lines(inv, today);
    let apis = crate::apis::register(inv);
    let deadlines = deadline_lines(inv, w, today);
    let summary = summary_of(inv, eval, today);
    let annex = annex_lines(policies, lang);
    Report {
        schema_version: REPORT_SCHEMA_VERSION,
        lang,
        as_of: today,
        established_on,
        summary,
        score_explanation: w.score_explanation,
        ministries,
        other_findings,
        approvals,
        grants,
        apis,
        deadlines,
        annex,
    }
}

/// One ministry's part of the report, from its standing.
fn ministry_report(
    st: &audit::Standing<'_>,
    m: &crate::inventory::Entry<crate::api::Ministry>,
) -> MinistryReport {
    let code = st.code;
    let findings: &[&Finding] = &st.findings;
    let mut findings_by_article: BTreeMap<String, Vec<Finding>> = BTreeMap::new();
    // Once each, under its first article (the finding shows all of them): a denial citing
    // Art. 10 and 25 is one denial, not two.
    for f in findings {
        let first = sort_articles(f.articles.clone())
            .into_iter()
            .next()
            .unwrap_or_else(|| "-".to_string());
        findings_by_article
            .entry(first)
            .or_default()
            .push((*f).clone());
    }
    let mut fines: BTreeMap<(String, String, Option<u64>, Option<u64>), usize> = BTreeMap::new();
    for f in findings {
        if let Some(p) = &f.penalty {
            *fines
                .entry((
                    f.policy.clone(),
                    p.article.clone(),
                    p.natural_max(),
                    p.legal_max(),
                ))
                .or_default() += 1;
        }
    }
    let placements: BTreeSet<String> = st
        .tenancies
        .iter()
        .map(|t| t.placement.to_string())
        .collect();
    MinistryReport {
        code: code.to_string(),
        name: m.object.spec.display_name.clone(),
        khmer_name: m.object.spec.khmer_name.clone(),
        domain: m.object.spec.domain.clone(),
        resource_level: serde_json::to_value(m.object.spec.resource_level)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        score: st.score,
        findings: ActionCounts::of_refs(findings),
        articles: st.articles(),
        placements: placements.into_iter().collect(),
        nearest_deadline: st.nearest_deadline(),
        tenancies: st.tenancies.clone(),
        clouds: Vec::new(),
        findings_by_article: findings_by_article.into_iter().collect(),
        fines: fines
            .into_iter()
            .map(|((policy, article, natural, legal), n)| FineLine {
                policy,
                article,
                findings: n,
                natural_person_max_riel: natural,
                legal_person_max_riel: legal,
            })
            .collect(),
        history: None,
    }
}

/// Every approval with its state on `today`.
fn approval_lines(inv: &Inventory, today: Day) -> Vec<ApprovalLine> {
    inv.approvals
        .iter()
        .map(|(name, a)| {
            let s = &a.object.spec;
            let state = clock::approval_state(s, today)
                .map(ApprovalState::as_str)
                .unwrap_or("NotYetRequested");
            ApprovalLine {
                name: name.clone(),
                subject: format!("{:?}/{}", s.subject.kind, s.subject.name),
                article: serde_json::to_value(s.article)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                state: state.to_string(),
                valid_until: s.valid_until,
                expiring_soon: state == "InForce" && s.valid_until.is_some_and(|d| soon(today, d)),
            }
        })
        .collect()
}

/// Every data access grant with its state on `today`.
fn grant_lines(inv: &Inventory, today: Day) -> Vec<GrantLine> {
    inv.grants
        .iter()
        .map(|(name, g)| {
            let s = &g.object.spec;
            let state = clock::grant_state(s, today);
            GrantLine {
                name: name.clone(),
                owner: s.owner.clone(),
                grantee: s
                    .grantee
                    .ministry
                    .clone()
                    .or_else(|| s.grantee.person.clone())
                    .unwrap_or_default(),
                public: s.grantee.public,
                personal_data: s.personal_data,
                state: format!("{state:?}"),
                valid_from: s.valid_from,
                valid_until: s.valid_until,
                expiring_soon: state == GrantState::Active && soon(today, s.valid_until),
            }
        })
        .collect()
}

/// The statutory deadlines, approvals' and grants' ends, in date order.
fn deadline_lines(
    inv: &Inventory,
    w: &crate::message::words::Words,
    today: Day,
) -> Vec<DeadlineLine> {
    let mut deadlines = Vec::new();
    if let Some(gc) = &inv.government_cloud {
        let (a, m) = clock::deadlines(&gc.object.spec);
        deadlines.push((
            gc.object.spec.established_on,
            w.cloud_established.to_string(),
            None,
        ));
        deadlines.push((a, w.application_deadline.to_string(), None));
        deadlines.push((m, w.migration_deadline.to_string(), None));
    }
    for (name, a) in &inv.approvals {
        if let Some(until) = a.object.spec.valid_until {
            let ministry = ministry_of_subject(inv, &a.object.spec.subject.name);
            deadlines.push((until, fill(w.approval_ends, &[("name", name)]), ministry));
        }
    }
    for (name, g) in &inv.grants {
        deadlines.push((
            g.object.spec.valid_until,
            fill(w.grant_ends, &[("name", name)]),
            Some(g.object.spec.owner.clone()),
        ));
    }
    deadlines.sort();
    deadlines
        .into_iter()
        .map(|(day, what, ministry)| DeadlineLine {
            day,
            what,
            ministry,
            days_from_today: days_between(today, day),
        })
        .collect()
}

/// The summary paragraph's figures.
fn summary_of(inv: &Inventory, eval: &Evaluation, today: Day) -> ReportSummary {
    let running: Vec<Day> = eval
        .tenancies
        .iter()
        .filter_map(|t| t.next_deadline)
        .collect();
    let within = |n: i64| {
        running
            .iter()
            .filter(|d| (0..=n).contains(&days_between(today, **d)))
            .count()
    };
    ReportSummary {
        ministries: inv.ministries.len(),
        tenancies: eval.tenancies.len(),
        inside: eval.tenancies.iter().filter(|t| !t.outside).count(),
        outside: eval.tenancies.iter().filter(|t| t.outside).count(),
        findings: ActionCounts::of(&eval.findings),
        deadlines_within_30_days: within(30),
        deadlines_within_90_days: within(90),
    }
}

/// The annex: each article, what it requires, the policies that check it, the API.
/// The articles the annex cites (docs/law.md must call each checked or supported).
pub fn annex_articles() -> Vec<&'static str> {
    ANNEX.iter().map(|a| a.0).collect()
}

fn annex_lines(policies: &Library, lang: Lang) -> Vec<AnnexLine> {
    ANNEX
        .iter()
        .map(|(article, subject_en, subject_km, api_en, api_km)| {
            let implementing: Vec<&crate::policy::Policy> = policies
                .policies()
                .iter()
                .filter(|p| {
                    p.meta.articles.iter().any(|a| a == article)
                        || p.meta
                            .penalty
                            .as_ref()
                            .is_some_and(|x| x.article == *article)
                })
                .collect();
            let checks: Vec<&str> = [
                (*article == "10").then_some(crate::evaluate::POLICY_CLOCK),
                ["10", "25", "26"]
                    .contains(article)
                    .then_some(crate::evaluate::POLICY_CLOUD),
            ]
            .into_iter()
            .flatten()
            .collect();
            // The ids of one side of the basis (`readings` or not: the configuration) of
            // the policies and checks that implement the article, with the report's own.
            let basis = |readings: bool, own: &[&str]| {
                let mut ids: Vec<String> = implementing
                    .iter()
                    .flat_map(|p| {
                        if readings {
                            p.meta.readings.iter()
                        } else {
                            p.meta.configuration.iter()
                        }
                    })
                    .cloned()
                    .chain(
                        crate::evaluate::CHECK_BASIS
                            .iter()
                            .filter(|c| checks.contains(&c.0))
                            .flat_map(|c| if readings { c.2 } else { c.1 })
                            .chain(own)
                            .map(|s| s.to_string()),
                    )
                    .collect();
                ids.sort();
                ids.dedup();
                ids
            };
            let report_readings: Vec<&str> = REPORT_READINGS
                .iter()
                .filter(|(a, _)| a == article)
                .map(|(_, r)| *r)
                .collect();
            AnnexLine {
                article: article.to_string(),
                subject: match lang {
                    Lang::En => subject_en,
                    Lang::Km => subject_km,
                }
                .to_string(),
                configuration: basis(false, &[]),
                readings: basis(true, &report_readings),
                policies: implementing
                    .iter()
                    .map(|p| p.meta.id.clone())
                    .chain(checks.iter().map(|c| c.to_string()))
                    .collect(),
                api: match lang {
                    Lang::En => api_en,
                    Lang::Km => api_km,
                }
                .to_string(),
            }
        })
        .collect()
}

fn ministry_of_subject(inv: &Inventory, subject: &str) -> Option<String> {
    inv.tenancies
        .get(subject)
        .map(|t| t.object.spec.ministry.clone())
        .or_else(|| {
            inv.links
                .get(subject)
                .map(|l| l.object.spec.from.ministry.clone())
        })
}

/// A trend in one sentence: the first and last scores, the change, the days recorded.
pub fn trend_sentence(trend: &history::Trend, w: &crate::message::words::Words) -> Option<String> {
    let (first, last) = (trend.scores.first()?, trend.scores.last()?);
    let change = i16::from(last.1) - i16::from(first.1);
    Some(crate::message::words::fill(
        w.trend,
        &[
            ("first", &first.1),
            ("from", &first.0),
            ("last", &last.1),
            ("to", &last.0),
            ("change", &format!("{change:+}")),
            ("days", &trend.scores.len()),
        ],
    ))
}

/// Who a grant is to, in words: the ministry or person, or the public.
pub fn grantee_words<'a>(g: &'a GrantLine, w: &'a crate::message::words::Words) -> &'a str {
    if g.public { w.the_public } else { &g.grantee }
}

/// An API's specification, in words: the URL, the ConfigMap's document, or what is wrong.
pub fn specification_words(
    s: &crate::apis::Specification,
    w: &crate::message::words::Words,
) -> String {
    use crate::apis::Specification as S;
    use crate::message::words::fill;
    match s {
        S::Missing => w.spec_missing.to_string(),
        S::Url { url } => url.clone(),
        S::Found { at } => fill(w.spec_found, &[("at", at)]),
        S::NotRead { configmap } => fill(w.spec_not_read, &[("configmap", configmap)]),
        S::Broken { named, reason } => fill(w.spec_broken, &[("named", named), ("reason", reason)]),
    }
}

/// A repeat offence in one sentence (Art. 42).
pub fn repeat_sentence(r: &history::Repeat, w: &crate::message::words::Words) -> String {
    crate::message::words::fill(
        w.repeat_line,
        &[
            ("article", &r.article),
            ("since", &r.again_since),
            ("times", &r.times),
            ("first", &r.first_found),
        ],
    )
}

/// The JSON report.
pub fn json(report: &Report) -> Result<String, serde_json::Error> {
    serde_json::to_string_pretty(report).map(|s| s + "\n")
}

pub use crate::finding::riels;

/// A message cut at its backticks: `(true, name)` for a span the message quotes as code,
/// `(false, text)` for prose. Unbalanced backticks (a name holding one) make it all prose, so a
/// name cannot open a span that swallows the rest.
pub fn code_spans(message: &str) -> Vec<(bool, &str)> {
    if !message.matches('`').count().is_multiple_of(2) {
        return vec![(false, message)];
    }
    message
        .split('`')
        .enumerate()
        .filter(|(_, s)| !s.is_empty())
        .map(|(i, s)| (i % 2 == 1, s))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn riels_and_articles_are_formatted_for_people() {
        assert_eq!(riels(500_000_000), "500,000,000");
        assert_eq!(riels(200_000), "200,000");
        assert_eq!(riels(999), "999");
        assert_eq!(
            sort_articles(vec!["26".into(), "9".into(), "10".into()]),
            ["9", "10", "26"]
        );
    }
}
