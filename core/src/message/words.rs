//! The words of govkh's outputs — headings, column names, labels, sentences of the report and of
//! `check`'s text — in English and Khmer, as one catalogue keyed by field name: a word exists
//! in both languages or the crate does not compile. Templates name their values in braces
//! (`{day}`), filled by [`fill`]; numbers and dates stay ASCII in both languages.

use super::Lang;
use crate::finding::{Action, Penalty, Severity};

macro_rules! catalogue {
    ($( $(#[doc = $doc:literal])* $name:ident : $en:literal , $km:literal ; )*) => {
        /// Every word of the outputs, in one language.
        #[derive(Debug)]
        pub struct Words {
            $( $(#[doc = $doc])* pub $name: &'static str, )*
        }

        /// English.
        pub const EN: Words = Words { $( $name: $en, )* };

        /// Khmer.
        pub const KM: Words = Words { $( $name: $km, )* };

        impl Words {
            /// Every entry, as (id, text): for the tests that both languages are complete.
            pub fn all(&self) -> Vec<(&'static str, &'static str)> {
                vec![ $( (stringify!($name), self.$name), )* ]
            }
        }
    };
}

catalogue! {
    /// `check`'s first line.
    check_as_of: "govkh check: as of {day} (Asia/Phnom_Penh)", "govkh check: គិតត្រឹមថ្ងៃ {day} (Asia/Phnom_Penh)";
    /// Findings of no ministry.
    no_ministry: "(no ministry)", "(គ្មានក្រសួង)";
    /// Before a remedy.
    to_fix: "to fix", "ដើម្បីកែ";
    /// Before a penalty.
    penalty: "penalty", "ពិន័យ";
    /// Before a deadline.
    deadline: "deadline", "កាលកំណត់";
    /// Before the approval that decided a finding.
    see: "see", "មើល";
    /// Before a file and line.
    at: "at", "នៅ";
    /// A file, document and line.
    source: "{file}: document {document} (line {line})", "{file}: ឯកសារទី {document} (បន្ទាត់ទី {line})";
    /// `check`'s table of the statutory clock.
    clock_table: "Statutory clock (Art. 10)", "នាឡិកាតាមច្បាប់ (មាត្រា 10)";
    /// Column.
    col_tenancy: "TENANCY", "TENANCY";
    /// Column.
    col_ministry: "MINISTRY", "ក្រសួង";
    /// Column.
    col_placement: "PLACEMENT", "ទីតាំង";
    /// Column.
    col_state: "STATE", "ស្ថានភាព";
    /// Column.
    col_apply_by: "APPLY-BY", "ដាក់សំណើត្រឹម";
    /// Column.
    col_migrate_by: "MIGRATE-BY", "ផ្ទេរត្រឹម";
    /// Column.
    col_changes_on: "CHANGES-ON", "ប្តូរនៅ";
    /// Column.
    col_approval: "APPROVAL", "ការអនុម័ត";
    /// `check`'s last line.
    checked: "{objects} objects checked: {deny} deny, {warn} warn, {dryrun} dryrun, {error} error ({seconds} s)", "បានពិនិត្យ {objects} វត្ថុ៖ បដិសេធ {deny} ព្រមាន {warn} សាកល្បង {dryrun} កំហុស {error} ({seconds} វិនាទី)";
    /// Kinds no policy judges.
    unjudged: "not judged by any policy (no policy declares these kinds): {kinds}", "គ្មានគោលការណ៍ណាមួយវាយតម្លៃ (គ្មានគោលការណ៍ណាប្រកាសប្រភេទទាំងនេះ)៖ {kinds}";
    /// An article.
    article: "Art. {n}", "មាត្រា {n}";
    /// Articles.
    articles: "Art. {list}", "មាត្រា {list}";
    /// Action.
    action_error: "ERROR", "កំហុស";
    /// Action.
    action_deny: "DENY", "បដិសេធ";
    /// Action.
    action_warn: "WARN", "ព្រមាន";
    /// Action.
    action_dryrun: "DRYRUN", "សាកល្បង";
    /// Severity.
    severity_critical: "critical", "ធ្ងន់ធ្ងរ";
    /// Severity.
    severity_high: "high", "ខ្ពស់";
    /// Severity.
    severity_medium: "medium", "មធ្យម";
    /// Severity.
    severity_low: "low", "ទាប";
    /// A penalty with amounts.
    penalty_up_to: "Art. {article}: up to {amounts}", "មាត្រា {article}៖ រហូតដល់ {amounts}";
    /// An amount for any person, where the law names no kind (Art. 38: "a person").
    per_person: "{amount} per person", "{amount} ចំពោះជនម្នាក់ៗ";
    /// An amount per natural person.
    per_natural_person: "{amount} per natural person", "{amount} ចំពោះរូបវន្តបុគ្គលម្នាក់ៗ";
    /// An amount per legal person.
    per_legal_person: "{amount} per legal person", "{amount} ចំពោះនីតិបុគ្គលម្នាក់ៗ";

    /// The report's title.
    report_title: "Compliance with the Law on Digital Government", "ការអនុលោមតាមច្បាប់ស្តីពីរដ្ឋាភិបាលឌីជីថល";
    /// Under the title.
    report_for: "For the Digital Government Committee (Art. 4) · as of {day}", "ជូនគណៈកម្មាធិការរដ្ឋាភិបាលឌីជីថល (មាត្រា 4) · គិតត្រឹមថ្ងៃ {day}";
    /// Under the title.
    established: " · government cloud established {day}", " · ក្លោដរាជរដ្ឋាភិបាលបង្កើតនៅថ្ងៃ {day}";
    /// In the Markdown title.
    as_of: "as of {day}", "គិតត្រឹមថ្ងៃ {day}";
    /// The report's summary.
    summary: "As of {day}, {ministries} ministries and institutions run {tenancies} tenancies: {inside} inside the government cloud and {outside} outside it. govkh found {deny} breaches that are refused (deny), {warn} warnings, {dryrun} dry-run findings and {error} errors. {soon30} statutory deadlines fall within the next 30 days and {soon90} within the next 90 days.", "គិតត្រឹមថ្ងៃ {day} ក្រសួង ស្ថាប័នចំនួន {ministries} ដំណើរការ tenancy ចំនួន {tenancies}៖ {inside} នៅក្នុងក្លោដរាជរដ្ឋាភិបាល និង {outside} នៅខាងក្រៅ។ govkh បានរកឃើញការបំពានដែលត្រូវបដិសេធចំនួន {deny} ការព្រមានចំនួន {warn} ការរកឃើញសាកល្បងចំនួន {dryrun} និងកំហុសចំនួន {error}។ កាលកំណត់តាមច្បាប់ចំនួន {soon30} ធ្លាក់ក្នុងរយៈពេល 30 ថ្ងៃខាងមុខ និង {soon90} ក្នុងរយៈពេល 90 ថ្ងៃខាងមុខ។";
    /// Heading.
    ministries: "Ministries and institutions", "ក្រសួង ស្ថាប័ន";
    /// Column.
    h_ministry: "Ministry", "ក្រសួង";
    /// Column.
    h_score: "Score", "ពិន្ទុ";
    /// Column.
    h_deny: "Deny", "បដិសេធ";
    /// Column.
    h_warn: "Warn", "ព្រមាន";
    /// Column.
    h_error: "Error", "កំហុស";
    /// Column.
    h_articles_broken: "Articles broken", "មាត្រាដែលបានបំពាន";
    /// Column.
    h_placement: "Placement", "ទីតាំង";
    /// Column.
    h_nearest_deadline: "Nearest deadline", "កាលកំណត់ជិតបំផុត";
    /// Before the score's explanation.
    how_score: "How the score is computed.", "របៀបគណនាពិន្ទុ។";
    /// The score's explanation.
    score_explanation: "Each ministry starts at 100. Every finding takes points off: a critical denial 25, another high denial 15, any other denial or an error 10, a high warning 5, a medium warning 3, a low warning or a dry-run finding 1. The score never goes below 0. A ministry with no finding scores 100.", "ក្រសួងនីមួយៗចាប់ផ្តើមពី 100។ ការរកឃើញនីមួយៗកាត់ពិន្ទុ៖ ការបដិសេធធ្ងន់ធ្ងរ 25 ការបដិសេធកម្រិតខ្ពស់ផ្សេងទៀត 15 ការបដិសេធផ្សេងទៀត ឬកំហុស 10 ការព្រមានកម្រិតខ្ពស់ 5 ការព្រមានកម្រិតមធ្យម 3 ការព្រមានកម្រិតទាប ឬការរកឃើញសាកល្បង 1។ ពិន្ទុមិនធ្លាក់ក្រោម 0 ទេ។ ក្រសួងដែលគ្មានការរកឃើញទទួលបាន 100។";
    /// Heading.
    scores: "Scores", "ពិន្ទុ";
    /// Heading.
    deadlines: "Deadlines", "កាលកំណត់";
    /// The timeline's today.
    today: "today {day}", "ថ្ងៃនេះ {day}";
    /// Days from today.
    days: "{n} days", "{n} ថ្ងៃ";
    /// Deadline.
    cloud_established: "government cloud established (Art. 10)", "ក្លោដរាជរដ្ឋាភិបាលត្រូវបានបង្កើត (មាត្រា 10)";
    /// Deadline.
    application_deadline: "application deadline for every tenancy outside (Art. 10)", "កាលកំណត់ដាក់សំណើសម្រាប់ tenancy ទាំងអស់នៅខាងក្រៅ (មាត្រា 10)";
    /// Deadline.
    migration_deadline: "migration deadline for every tenancy outside (Art. 10)", "កាលកំណត់ផ្ទេរសម្រាប់ tenancy ទាំងអស់នៅខាងក្រៅ (មាត្រា 10)";
    /// Deadline.
    approval_ends: "approval {name} ends", "ការអនុម័ត {name} ផុតកំណត់";
    /// Deadline.
    grant_ends: "grant {name} ends", "ការអនុញ្ញាត {name} ផុតកំណត់";
    /// A ministry's line.
    ministry_facts: "Code {code} · domain {domain} · resources {level}", "កូដ {code} · ដែន {domain} · ធនធាន {level}";
    /// Resource level.
    level_full: "full", "ពេញលេញ";
    /// Resource level.
    level_limited: "limited", "មានកម្រិត";
    /// Heading.
    where_it_runs: "Where it runs (Art. 10)", "ទីតាំងដំណើរការ (មាត្រា 10)";
    /// Heading.
    clouds_in_use: "Clouds in use (Art. 10)", "ក្លោដដែលកំពុងប្រើ (មាត្រា 10)";
    /// Column.
    h_provider: "Provider", "អ្នកផ្តល់សេវា";
    /// Column.
    h_declared_by: "Declared by", "ប្រកាសដោយ";
    /// Column.
    h_observed: "Cloud resources observed", "ធនធានក្លោដដែលបានឃើញ";
    /// A provider no tenancy declares.
    undeclared: "no tenancy (undeclared)", "គ្មាន tenancy (មិនបានប្រកាស)";
    /// Column.
    h_tenancy: "Tenancy", "Tenancy";
    /// Column.
    h_state: "State", "ស្ថានភាព";
    /// Column.
    h_apply_by: "Apply by", "ដាក់សំណើត្រឹម";
    /// Column.
    h_migrate_by: "Migrate by", "ផ្ទេរត្រឹម";
    /// Column.
    h_approval_in_force: "Approval in force", "ការអនុម័តដែលមានសុពលភាព";
    /// No findings.
    no_findings: "No findings.", "គ្មានការរកឃើញ។";
    /// Heading.
    findings_by_article: "Findings by article", "ការរកឃើញតាមមាត្រា";
    /// Heading.
    fines_attached: "Fines the law attaches", "ពិន័យដែលច្បាប់កំណត់";
    /// Column.
    h_kind_of_finding: "Kind of finding", "ប្រភេទការរកឃើញ";
    /// Column.
    h_penalty: "Penalty", "ពិន័យ";
    /// Column.
    h_findings: "Findings", "ការរកឃើញ";
    /// Column.
    h_natural_max: "Natural person, max (riels)", "រូបវន្តបុគ្គល អតិបរមា (រៀល)";
    /// Column.
    h_legal_max: "Legal person, max (riels)", "នីតិបុគ្គល អតិបរមា (រៀល)";
    /// Under the fines.
    fines_note: "Maximum amounts per person involved; see Art. 41 below for unpaid fines.", "ចំនួនអតិបរមាចំពោះបុគ្គលពាក់ព័ន្ធម្នាក់ៗ; សូមមើលមាត្រា 41 ខាងក្រោមសម្រាប់ពិន័យដែលមិនបានបង់។";
    /// Heading.
    other_findings: "Findings that concern no known ministry", "ការរកឃើញដែលមិនពាក់ព័ន្ធនឹងក្រសួងណាមួយដែលស្គាល់";
    /// Heading.
    fines_unpaid: "Fines and unpaid fines", "ពិន័យ និងពិន័យដែលមិនបានបង់";
    /// Art. 41.
    art_41: "Art. 41: a fine not paid within 30 days of the order to pay is doubled; after 60 days it is tripled; after 90 days the case is filed with the competent court.", "មាត្រា 41៖ ពិន័យដែលមិនបានបង់ក្នុងរយៈពេល 30 ថ្ងៃ គិតពីថ្ងៃមានដីកាឱ្យបង់ ត្រូវកើនទ្វេដង; ក្រោយ 60 ថ្ងៃ កើនបីដង; ក្រោយ 90 ថ្ងៃ សំណុំរឿងត្រូវបញ្ជូនទៅតុលាការមានសមត្ថកិច្ច។";
    /// Heading.
    approvals: "Approvals (Art. 9, 10)", "ការអនុម័ត (មាត្រា 9, 10)";
    /// Column.
    h_approval: "Approval", "ការអនុម័ត";
    /// Column.
    h_subject: "Subject", "កម្មវត្ថុ";
    /// Column.
    h_article: "Article", "មាត្រា";
    /// Column.
    h_valid_until: "Valid until", "មានសុពលភាពដល់";
    /// Column.
    h_ends_soon: "Ends within 90 days", "ផុតកំណត់ក្នុង 90 ថ្ងៃ";
    /// Yes.
    yes: "yes", "បាទ/ចាស";
    /// No.
    no: "no", "ទេ";
    /// Heading.
    grants: "Data-access grants (Art. 26, 29)", "ការអនុញ្ញាតចូលប្រើទិន្នន័យ (មាត្រា 26, 29)";
    /// Column.
    h_grant: "Grant", "ការអនុញ្ញាត";
    /// Column.
    h_owner: "Owner", "ម្ចាស់";
    /// Column.
    h_grantee: "Grantee", "អ្នកទទួល";
    /// Heading of the register of APIs.
    api_register: "Register of APIs (Art. 27)", "បញ្ជី API (មាត្រា 27)";
    /// Under it.
    api_register_intro: "Each API a ministry exposes, as its Service, Ingress or HTTPRoute declares it (digital.gov.kh/api): the committee keeps this register, and ministries make the specifications available.", "API នីមួយៗដែលក្រសួងបើកចំហ តាមដែល Service, Ingress ឬ HTTPRoute របស់វាប្រកាស (digital.gov.kh/api)៖ គណៈកម្មាធិការរក្សាបញ្ជីនេះ ហើយក្រសួងផ្តល់លក្ខណៈបច្ចេកទេស។";
    /// When no API is declared.
    no_apis: "No API is declared.", "គ្មាន API ត្រូវបានប្រកាសទេ។";
    /// Column.
    h_exposed_by: "Exposed by", "បើកចំហដោយ";
    /// Column.
    h_versions: "Versions", "កំណែ";
    /// Column.
    h_lifecycle: "Life-cycle", "វដ្តជីវិត";
    /// Column.
    h_specification: "Specification", "លក្ខណៈបច្ចេកទេស";
    /// No specification.
    spec_missing: "none (Art. 27)", "គ្មាន (មាត្រា 27)";
    /// A specification found in a ConfigMap.
    spec_found: "OpenAPI document {at}", "ឯកសារ OpenAPI {at}";
    /// A ConfigMap not read.
    spec_not_read: "{configmap} (a ConfigMap whose contents were not read)", "{configmap} (ConfigMap ដែលមិនបានអានខ្លឹមសាររបស់វា)";
    /// A specification named but unusable.
    spec_broken: "{named}: {reason}", "{named}៖ {reason}";
    /// A grant's grantee when it is the public.
    the_public: "the public", "សាធារណជន";
    /// Column.
    h_personal_data: "Personal data", "ទិន្នន័យផ្ទាល់ខ្លួន";
    /// Column.
    h_valid: "Valid", "សុពលភាព";
    /// Heading.
    annex: "Annex: the articles govkh implements", "ឧបសម្ព័ន្ធ៖ មាត្រាដែល govkh អនុវត្ត";
    /// Column.
    h_what_it_requires: "What it requires", "អ្វីដែលវាតម្រូវ";
    /// Column.
    h_policies: "Policies", "គោលការណ៍";
    /// Column.
    h_api: "API", "API";
    /// Column of the annex: what its rules rest on besides the law's text.
    h_rests_on: "Rests on, besides the law", "ផ្អែកលើ ក្រៅពីច្បាប់";
    /// Before the configuration ids in the annex (docs/interpretations.md).
    configuration: "configuration", "ការកំណត់រចនាសម្ព័ន្ធ";
    /// Before the readings ids in the annex (docs/interpretations.md).
    readings: "govkh's readings", "ការបកស្រាយរបស់ govkh";
    /// Under the annex: where the ids are explained.
    rests_on_note: "Each id is explained in govkh's docs/interpretations.md: the configuration is what this cluster's objects say (another government cloud may say otherwise), a reading is govkh's interpretation where the law is silent or general; everything else in a finding is the law's text.", "លេខសម្គាល់នីមួយៗត្រូវបានពន្យល់នៅក្នុង docs/interpretations.md របស់ govkh៖ ការកំណត់រចនាសម្ព័ន្ធ គឺជាអ្វីដែលវត្ថុនៃចង្កោមនេះកំណត់ (ក្លោដរាជរដ្ឋាភិបាលផ្សេងអាចកំណត់ខុសពីនេះ) ការបកស្រាយ គឺជាការយល់របស់ govkh នៅកន្លែងដែលច្បាប់មិននិយាយ ឬនិយាយទូទៅ; អ្វីៗផ្សេងទៀតនៃការរកឃើញ គឺជាអត្ថបទច្បាប់។";
    /// The report's last line.
    generated: "Generated by govkh from the manifests as they stood on {day}.", "បង្កើតដោយ govkh ពីឯកសារដូចដែលមាននៅថ្ងៃ {day}។";
    /// A ministry's heading in Markdown.
    md_score: "score {score}", "ពិន្ទុ {score}";
    /// The score's explanation in Markdown.
    md_score_label: "Score.", "ពិន្ទុ។";
    /// Heading of a ministry's repeat offences.
    repeat_offences: "Repeat offences (Art. 42)", "បទល្មើសដដែលៗ (មាត្រា 42)";
    /// One repeat offence.
    repeat_line: "Art. {article} offence found again since {since}: {times} separate times since {first}", "បទល្មើសមាត្រា {article} រកឃើញម្តងទៀតចាប់ពីថ្ងៃ {since}៖ {times} លើកដាច់ដោយឡែក ចាប់តាំងពីថ្ងៃ {first}";
    /// Art. 42's penalties, beside the repeats.
    art_42: "Art. 42: a natural person who still commits the same offence is punishable by imprisonment from 6 days to 2 years and a fine up to 10,000,000 riels; a legal person, by a fine up to 100,000,000 riels and one or more additional penalties of Art. 168 of the Code of Criminal Procedure. A repeat is read from the history: the offence (its penalty article) was found, then not found on a later day, and is found again.", "មាត្រា 42៖ រូបវន្តបុគ្គលដែលនៅតែប្រព្រឹត្តបទល្មើសដដែល ត្រូវផ្តន្ទាទោសដាក់ពន្ធនាគារពី 6 ថ្ងៃ ដល់ 2 ឆ្នាំ និងពិន័យជាប្រាក់រហូតដល់ 10.000.000 រៀល; នីតិបុគ្គល ត្រូវពិន័យជាប្រាក់រហូតដល់ 100.000.000 រៀល និងទោសបន្ថែមមួយ ឬច្រើន នៃមាត្រា 168 នៃក្រមនីតិវិធីព្រហ្មទណ្ឌ។ បទល្មើសដដែលៗ អានចេញពីប្រវត្តិ៖ បទល្មើស (មាត្រាពិន័យរបស់វា) ត្រូវបានរកឃើញ បន្ទាប់មកមិនរកឃើញនៅថ្ងៃក្រោយ ហើយរកឃើញម្តងទៀត។";
    /// A ministry's trend.
    trend: "Score over time: {first} on {from}, {last} on {to} ({change}); {days} days recorded.", "ពិន្ទុតាមពេលវេលា៖ {first} នៅថ្ងៃ {from}, {last} នៅថ្ងៃ {to} ({change}); បានកត់ត្រា {days} ថ្ងៃ។";
    /// When an open breach was first seen.
    since: "since {day}", "តាំងពីថ្ងៃ {day}";
    /// Heading.
    two_years: "Two years (Art. 34)", "រយៈពេលពីរឆ្នាំ (មាត្រា 34)";
    /// Under the two-year heading.
    two_years_note: "Each ministry's record closest to two years before today (its oldest, when its history is shorter), against today.", "កំណត់ត្រារបស់ក្រសួងនីមួយៗដែលជិតបំផុតនឹងពីរឆ្នាំមុនថ្ងៃនេះ (កំណត់ត្រាចាស់បំផុត ប្រសិនបើប្រវត្តិខ្លីជាងនេះ) ធៀបនឹងថ្ងៃនេះ។";
    /// Column.
    h_from: "From", "ពីថ្ងៃ";
    /// Column.
    h_score_then: "Score then", "ពិន្ទុពេលនោះ";
    /// Column.
    h_score_now: "Score now", "ពិន្ទុឥឡូវ";
    /// Column.
    h_change: "Change", "ការប្រែប្រួល";
    /// Column.
    h_denials_then_now: "Denials then → now", "ការបដិសេធ ពេលនោះ → ឥឡូវ";
}

/// The catalogue of `lang`.
pub fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::En => &EN,
        Lang::Km => &KM,
    }
}

/// `template` with each `{name}` replaced by its value, in one pass over the template: a value
/// is never read as a template itself (a file named `a{line}.yaml`, a ministry code holding
/// `{domain}` stay as they are). A `{…}` that names no value is kept as written.
pub fn fill(template: &str, values: &[(&str, &dyn std::fmt::Display)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let name = &after[..close];
            values
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (close, v.to_string()))
        });
        match value {
            Some((close, v)) => {
                out.push_str(&v);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// An amount in `lang`'s grouping, for a column or sentence that names the unit:
/// `20,000,000`, or `20.000.000` for a Khmer reader (CLDR `km`).
pub fn number(n: u64, lang: Lang) -> String {
    match lang {
        Lang::En => crate::finding::riels(n),
        Lang::Km => super::km::number(n),
    }
}

impl Words {
    /// A ministry's resource level (`full`, `limited`) in words; another value as it is.
    pub fn level<'a>(&self, level: &'a str) -> &'a str
    where
        'static: 'a,
    {
        match level {
            "full" => self.level_full,
            "limited" => self.level_limited,
            other => other,
        }
    }

    /// An action's name, as the text outputs print it.
    pub fn action(&self, a: Action) -> &'static str {
        match a {
            Action::Error => self.action_error,
            Action::Deny => self.action_deny,
            Action::Warn => self.action_warn,
            Action::Dryrun => self.action_dryrun,
        }
    }

    /// A severity's name.
    pub fn severity(&self, s: Severity) -> &'static str {
        match s {
            Severity::Critical => self.severity_critical,
            Severity::High => self.severity_high,
            Severity::Medium => self.severity_medium,
            Severity::Low => self.severity_low,
        }
    }

    /// What an annex row rests on besides the law: `configuration: a, b; govkh's readings: c`
    /// (docs/interpretations.md ids), or `—` when the law's text alone.
    pub fn rests_on(&self, configuration: &[String], readings: &[String]) -> String {
        let mut parts = Vec::new();
        if !configuration.is_empty() {
            parts.push(format!(
                "{}: {}",
                self.configuration,
                configuration.join(", ")
            ));
        }
        if !readings.is_empty() {
            parts.push(format!("{}: {}", self.readings, readings.join(", ")));
        }
        if parts.is_empty() {
            "—".to_string()
        } else {
            parts.join("; ")
        }
    }

    /// `Art. 20, 21`.
    pub fn articles_of(&self, articles: &[String]) -> String {
        fill(self.articles, &[("list", &articles.join(", "))])
    }

    /// A penalty with its amounts, for people.
    pub fn penalty_of(&self, p: &Penalty, lang: Lang) -> String {
        let money = |n: u64| match lang {
            Lang::En => format!("{} riels", crate::finding::riels(n)),
            Lang::Km => super::km::riels(n),
        };
        let mut parts = Vec::new();
        if let Some(n) = p.person_max_riel {
            parts.push(fill(self.per_person, &[("amount", &money(n))]));
        }
        if let Some(n) = p.natural_person_max_riel {
            parts.push(fill(self.per_natural_person, &[("amount", &money(n))]));
        }
        if let Some(n) = p.legal_person_max_riel {
            parts.push(fill(self.per_legal_person, &[("amount", &money(n))]));
        }
        if parts.is_empty() {
            fill(self.article, &[("n", &p.article)])
        } else {
            fill(
                self.penalty_up_to,
                &[("article", &p.article), ("amounts", &parts.join(", "))],
            )
        }
    }

    /// A state's name for people: `application window missed`, or its Khmer name.
    pub fn state(&self, name: &str, lang: Lang) -> String {
        match lang {
            Lang::En => crate::printable::readable(name),
            Lang::Km => super::km::state(name).to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_substitutes_once_and_never_inside_a_value() {
        let file = "a{line}.yaml";
        let line = 7;
        assert_eq!(
            fill("{file}:{line}", &[("file", &file), ("line", &line)]),
            "a{line}.yaml:7",
            "a value holding a placeholder is not filled again"
        );
        let code = "x{domain}";
        assert_eq!(
            fill(
                "{domain} of {code}",
                &[("code", &code), ("domain", &"mef.gov.kh")]
            ),
            "mef.gov.kh of x{domain}"
        );
        assert_eq!(fill("{a}{a} {b}", &[("a", &1)]), "11 {b}", "unknown kept");
        assert_eq!(fill("{ open", &[("a", &1)]), "{ open");
        assert_eq!(fill("ខ្មែរ {a}!", &[("a", &"ក")]), "ខ្មែរ ក!");
        assert_eq!(fill("", &[]), "");
    }

    fn is_khmer(c: char) -> bool {
        ('\u{1780}'..='\u{17ff}').contains(&c)
    }

    #[test]
    fn every_word_exists_in_both_languages() {
        let (en, km) = (EN.all(), KM.all());
        assert_eq!(en.len(), km.len());
        // Words that are names in both (a kind, an API) are the same on purpose.
        let same = ["col_tenancy", "h_tenancy", "h_api"];
        for ((id, e), (_, k)) in en.iter().zip(km.iter()) {
            assert!(!e.is_empty() && !k.is_empty(), "{id}");
            if same.contains(id) {
                continue;
            }
            assert!(k.chars().any(is_khmer), "{id}: no Khmer in {k:?}");
            // The same values in both: `{day}` in one is `{day}` in the other.
            let names = |t: &str| {
                let mut v: Vec<String> = t
                    .split('{')
                    .skip(1)
                    .filter_map(|s| s.split_once('}').map(|(n, _)| n.to_string()))
                    .collect();
                v.sort();
                v
            };
            assert_eq!(names(e), names(k), "{id}");
        }
    }

    #[test]
    fn penalties_read_in_each_language() {
        let p = Penalty {
            article: "40".into(),
            natural_person_max_riel: Some(20_000_000),
            legal_person_max_riel: Some(500_000_000),
            person_max_riel: None,
        };
        assert_eq!(
            EN.penalty_of(&p, Lang::En),
            "Art. 40: up to 20,000,000 riels per natural person, 500,000,000 riels per legal person"
        );
        assert_eq!(
            KM.penalty_of(&p, Lang::Km),
            "មាត្រា 40៖ រហូតដល់ 20.000.000 រៀល ចំពោះរូបវន្តបុគ្គលម្នាក់ៗ, 500.000.000 រៀល ចំពោះនីតិបុគ្គលម្នាក់ៗ"
        );
        // Art. 38 names "a person", neither natural nor legal: the words say so, and the
        // report's columns give the amount to both kinds.
        let any = Penalty {
            article: "38".into(),
            natural_person_max_riel: None,
            legal_person_max_riel: None,
            person_max_riel: Some(200_000),
        };
        assert_eq!(
            EN.penalty_of(&any, Lang::En),
            "Art. 38: up to 200,000 riels per person"
        );
        assert_eq!(
            KM.penalty_of(&any, Lang::Km),
            "មាត្រា 38៖ រហូតដល់ 200.000 រៀល ចំពោះជនម្នាក់ៗ"
        );
        assert_eq!(
            (any.natural_max(), any.legal_max()),
            (Some(200_000), Some(200_000))
        );
    }
}
