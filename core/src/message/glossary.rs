//! The Khmer glossary: each term of the law govkh speaks of, with its one Khmer form and the
//! forms it must not take. Khmer is written by several hands here — the messages of `km`, the
//! documents' `words`, the policies' `msg_km`, the chart's alert summaries — and one legal term
//! written two ways reads to a Khmer reader as two things. `core/tests/glossary.rs` reads every
//! file that holds Khmer and refuses a variant; each term's form must be in use.
//!
//! The forms are govkh's, not yet checked against the law's official Khmer text (not in this
//! repository) nor by a Khmer editor (docs/status.md).

/// One term.
#[derive(Clone, Copy, Debug)]
pub struct Term {
    /// The English term, as the law's English text has it.
    pub en: &'static str,
    /// Its one Khmer form.
    pub km: &'static str,
    /// Forms met or likely that must not be written instead.
    pub not: &'static [&'static str],
}

/// The glossary.
pub const GLOSSARY: &[Term] = &[
    Term {
        en: "government cloud",
        km: "ក្លោដរាជរដ្ឋាភិបាល",
        not: &["ពពករដ្ឋាភិបាល", "ពពករាជរដ្ឋាភិបាល", "ក្លោដរដ្ឋាភិបាល"],
    },
    Term {
        en: "government private network",
        km: "បណ្តាញឯកជនរបស់រាជរដ្ឋាភិបាល",
        not: &["បណ្ដាញឯកជន", "បណ្តាញឯកជនរដ្ឋាភិបាល", "បណ្តាញឯកជនរបស់រដ្ឋាភិបាល"],
    },
    Term {
        en: "Digital Government Committee",
        km: "គណៈកម្មាធិការរដ្ឋាភិបាលឌីជីថល",
        not: &["គណៈកម្មការរដ្ឋាភិបាលឌីជីថល", "គណកម្មាធិការ"],
    },
    Term {
        en: "Digital Transformation Unit",
        km: "អង្គភាពផ្លាស់ប្តូរឌីជីថល",
        not: &["អង្គភាពផ្លាស់ប្ដូរឌីជីថល", "អង្គភាពបំប្លែងឌីជីថល"],
    },
    Term {
        en: "ministry",
        km: "ក្រសួង",
        not: &["ក្រសួងការ"],
    },
    Term {
        en: "top-secret data",
        km: "ទិន្នន័យសម្ងាត់បំផុត",
        not: &["សម្ងាត់ខ្ពស់", "អាថ៌កំបាំងបំផុត", "ទិន្នន័យសំងាត់"],
    },
    Term {
        en: "personal data",
        km: "ទិន្នន័យផ្ទាល់ខ្លួន",
        not: &["ព័ត៌មានផ្ទាល់ខ្លួន", "ទិន្នន័យបុគ្គល"],
    },
    Term {
        en: "consent",
        km: "ការយល់ព្រម",
        not: &["ការព្រមព្រៀងពីម្ចាស់ទិន្នន័យ"],
    },
    Term {
        en: "approval",
        km: "ការអនុម័ត",
        not: &["ការយល់ស្រប"],
    },
    Term {
        en: "natural person",
        km: "រូបវន្តបុគ្គល",
        not: &["បុគ្គលធម្មជាតិ"],
    },
    Term {
        en: "legal person",
        km: "នីតិបុគ្គល",
        not: &["បុគ្គលគតិយុត្ត"],
    },
    Term {
        en: "data owner",
        km: "ម្ចាស់ទិន្នន័យ",
        not: &["អ្នកកាន់កាប់ទិន្នន័យ"],
    },
];
