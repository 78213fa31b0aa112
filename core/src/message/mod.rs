//! Messages for people, rendered from decisions. The deciding code (`clock`, `references`,
//! `verdict`) returns values with their facts and never formats; this module
//! is the one place where those values become sentences, one submodule per language, so a
//! message exists once in each language and a change of wording cannot change a decision.
//!
//! English (`en`) and Khmer (`km`) render the same values; a finding carries both texts, and
//! each output picks one (`--lang`, `Lang`). `words` holds the documents' words in both
//! languages. It sits low in the crate: the evaluation writes a finding's text with it, and
//! `render` builds on it.

use serde::Serialize;

use crate::finding::Finding;

pub mod en;
pub mod glossary;
pub mod km;
pub mod words;

/// The language of what people read: English or Khmer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// English (the default).
    #[default]
    En,
    /// Khmer.
    Km,
}

impl Lang {
    /// `en` or `km`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Km => "km",
        }
    }

    /// The language a locale names (`LANG=km_KH.UTF-8` is Khmer); English otherwise.
    pub fn from_locale(locale: &str) -> Lang {
        if locale.to_ascii_lowercase().starts_with("km") {
            Lang::Km
        } else {
            Lang::En
        }
    }
}

impl std::str::FromStr for Lang {
    type Err = String;

    fn from_str(s: &str) -> Result<Lang, String> {
        match s {
            "en" => Ok(Lang::En),
            "km" => Ok(Lang::Km),
            _ => Err(format!("{s:?}: expected en or km")),
        }
    }
}

// A finding carries both texts; which one is shown is rendering's choice.
impl Finding {
    /// The message in `lang` (English where the rule wrote no Khmer: a user's policy).
    pub fn message_in(&self, lang: Lang) -> &str {
        match (lang, &self.km) {
            (Lang::Km, Some(k)) => &k.message,
            _ => &self.message,
        }
    }

    /// The remedy in `lang` (English where the rule wrote no Khmer).
    pub fn fix_in(&self, lang: Lang) -> Option<&str> {
        match (lang, &self.km) {
            (Lang::Km, Some(crate::finding::Khmer { fix: Some(f), .. })) => Some(f),
            _ => self.fix.as_deref(),
        }
    }
}
