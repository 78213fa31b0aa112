//! Khmer messages (ភាសាខ្មែរ): the same values as `en` rendered for Khmer readers — the
//! statutory clock's verdicts, the reference findings, the context and budget findings, the
//! names of states — and the Khmer way of writing riels. Numbers, dates, names of objects and
//! API fields stay as they are (ASCII), so a reader can search the cluster for them.

use crate::{
    api::{ClockState, Day},
    law::clock::{ClockReason, ClockVerdict, DeadlineKind, Outside},
    law::references::MissingReference,
};

/// Why a tenancy is outside the government cloud, as a clause.
pub fn outside(why: &Outside) -> String {
    match why {
        Outside::External => "វាដំណើរការលើក្លោដខាងក្រៅ".to_string(),
        Outside::UnapprovedLeasedProvider(p) => {
            format!("អ្នកផ្តល់សេវាជួល `{p}` របស់វា មិនស្ថិតក្នុងចំណោមក្លោដដែលរាជរដ្ឋាភិបាលបានអនុម័តទេ")
        }
        Outside::LimitedMinistryPrivateCloud => {
            "ក្រសួងមានធនធានមានកម្រិត ត្រូវប្រើក្លោដរាជរដ្ឋាភិបាល មិនមែនក្លោដឯកជនទេ".to_string()
        }
    }
}

fn day(d: Option<Day>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

/// `en::deadline_notice` in Khmer.
pub fn deadline_notice(
    tenancy: &str,
    kind: DeadlineKind,
    approval: Option<&str>,
    deadline: Day,
    days_left: i64,
) -> String {
    let when = match days_left {
        0 => format!("ថ្ងៃនេះ ({deadline}) ជាថ្ងៃចុងក្រោយ"),
        n => format!("នៅសល់ {n} ថ្ងៃទៀត (ត្រឹម {deadline})"),
    };
    match kind {
        DeadlineKind::Application => format!(
            "CloudTenancy {tenancy} ដំណើរការនៅក្រៅក្លោដរាជរដ្ឋាភិបាល៖ ដើម្បីបន្តនៅខាងក្រៅ ក្រសួងត្រូវដាក់សំណើជាលាយលក្ខណ៍អក្សរទៅគណៈកម្មាធិការរដ្ឋាភិបាលឌីជីថល; {when} (មាត្រា 10)"
        ),
        DeadlineKind::Migration => format!(
            "CloudTenancy {tenancy} ដំណើរការនៅក្រៅក្លោដរាជរដ្ឋាភិបាល ដោយគ្មានការលើកលែងណាមួយមានសុពលភាព៖ ត្រូវផ្ទេរចូលក្លោដរាជរដ្ឋាភិបាល; {when} (មាត្រា 10)"
        ),
        DeadlineKind::ApprovalExpiry => format!(
            "ការអនុម័តរបស់គណៈកម្មាធិការ `{}` សម្រាប់ CloudTenancy {tenancy} ជិតផុតសុពលភាព៖ {when}; ក្រោយនោះ ត្រូវផ្ទេរចូលក្លោដរាជរដ្ឋាភិបាល ឬស្នើសុំការអនុម័តថ្មី (មាត្រា 10)",
            approval.unwrap_or("-")
        ),
    }
}

/// The statutory clock's verdict on a tenancy: what the state means and what to do (Art. 10).
pub fn clock(v: &ClockVerdict) -> String {
    const INSIDE: &str = "ដំណើរការក្នុងក្លោដរាជរដ្ឋាភិបាល (មាត្រា 10)";
    let Some(why) = v.outside.as_ref().map(outside) else {
        return INSIDE.to_string();
    };
    let application = day(v.application_deadline);
    let migration = day(v.migration_deadline);
    match (&v.reason, v.days_past_migration) {
        (ClockReason::Inside, _) => INSIDE.to_string(),
        (
            ClockReason::ApprovalInForce {
                approval,
                valid_until: Some(until),
            },
            _,
        ) => format!(
            "ដំណើរការនៅក្រៅក្លោដរាជរដ្ឋាភិបាល ({why}) ដោយមានការអនុម័តរបស់គណៈកម្មាធិការ `{approval}` ដែលមានសុពលភាពរហូតដល់ {until} (មាត្រា 10)"
        ),
        (
            ClockReason::ApprovalInForce {
                approval,
                valid_until: None,
            },
            _,
        ) => format!(
            "ដំណើរការនៅក្រៅក្លោដរាជរដ្ឋាភិបាល ({why}) ដោយមានការអនុម័តរបស់គណៈកម្មាធិការ `{approval}` (មាត្រា 10)"
        ),
        (
            ClockReason::TimelyRequestPending {
                approval,
                requested_on,
            },
            None,
        ) => format!(
            "ដំណើរការនៅក្រៅក្លោដរាជរដ្ឋាភិបាល ({why}); សំណើជាលាយលក្ខណ៍អក្សរចុះថ្ងៃ {requested_on} (`{approval}`) បានដាក់ទាន់ពេល ហើយកំពុងរង់ចាំការសម្រេចរបស់គណៈកម្មាធិការ; បើគ្មានការអនុម័តទេ ត្រូវផ្ទេរចូលក្លោដរាជរដ្ឋាភិបាលត្រឹម {migration} (មាត្រា 10)"
        ),
        (
            ClockReason::TimelyRequestPending {
                approval,
                requested_on,
            },
            Some(days),
        ) => format!(
            "ដំណើរការនៅក្រៅក្លោដរាជរដ្ឋាភិបាល ({why}); សំណើជាលាយលក្ខណ៍អក្សរចុះថ្ងៃ {requested_on} (`{approval}`) បានដាក់ទាន់ពេល ប៉ុន្តែគណៈកម្មាធិការមិនទាន់សម្រេចនៅឡើយ {days} ថ្ងៃក្រោយកាលកំណត់ផ្ទេរ {migration} (មាត្រា 10)"
        ),
        (
            ClockReason::ApprovalExpired {
                approval,
                valid_until,
            },
            _,
        ) => format!(
            "ដំណើរការនៅក្រៅក្លោដរាជរដ្ឋាភិបាល ({why}); ការអនុម័តរបស់គណៈកម្មាធិការ `{approval}` បានផុតសុពលភាពនៅថ្ងៃ {}៖ ត្រូវផ្ទេរចូលក្លោដរាជរដ្ឋាភិបាល ឬស្នើសុំការអនុម័តថ្មី (មាត្រា 10)",
            day(*valid_until)
        ),
        (ClockReason::RequestDenied { approval }, None) => format!(
            "ដំណើរការនៅក្រៅក្លោដរាជរដ្ឋាភិបាល ({why}); គណៈកម្មាធិការបានបដិសេធសំណើ `{approval}`៖ ត្រូវផ្ទេរចូលក្លោដរាជរដ្ឋាភិបាលត្រឹម {migration} (មាត្រា 10)"
        ),
        (ClockReason::RequestDenied { approval }, Some(days)) => format!(
            "ដំណើរការនៅក្រៅក្លោដរាជរដ្ឋាភិបាល ({why}); គណៈកម្មាធិការបានបដិសេធសំណើ `{approval}` ហើយកាលកំណត់ផ្ទេរ {migration} បានកន្លងផុត {days} ថ្ងៃមកហើយ (មាត្រា 10)"
        ),
        (ClockReason::NoTimelyRequest { late_request }, days_past) => {
            let late = late_request
                .as_ref()
                .map(|r| {
                    format!(
                        "; សំណើ `{}` ចុះថ្ងៃ {} បានដាក់ក្រោយកាលកំណត់ដាក់សំណើ",
                        r.approval, r.requested_on
                    )
                })
                .unwrap_or_default();
            match days_past {
                Some(days) => format!(
                    "ដំណើរការនៅក្រៅក្លោដរាជរដ្ឋាភិបាល ({why}) {days} ថ្ងៃក្រោយកាលកំណត់ផ្ទេរ {migration} ដោយគ្មានការលើកលែងណាមួយមានសុពលភាព{late} (មាត្រា 10)"
                ),
                None if v.state == ClockState::WithinApplicationWindow => format!(
                    "ដំណើរការនៅក្រៅក្លោដរាជរដ្ឋាភិបាល ({why}); ដើម្បីបន្តនៅខាងក្រៅ ត្រូវដាក់សំណើជាលាយលក្ខណ៍អក្សរទៅគណៈកម្មាធិការរដ្ឋាភិបាលឌីជីថលត្រឹម {application} បើមិនដូច្នោះទេ ត្រូវផ្ទេរចូលក្លោដរាជរដ្ឋាភិបាលត្រឹម {migration} (មាត្រា 10)"
                ),
                None => format!(
                    "ដំណើរការនៅក្រៅក្លោដរាជរដ្ឋាភិបាល ({why}); គ្មានសំណើជាលាយលក្ខណ៍អក្សរត្រឹមកាលកំណត់ដាក់សំណើ {application}{late}៖ ត្រូវផ្ទេរចូលក្លោដរាជរដ្ឋាភិបាលត្រឹម {migration} (មាត្រា 10)"
                ),
            }
        }
    }
}

/// How to remedy a tenancy in `state`, in one line.
pub fn clock_fix(state: ClockState) -> &'static str {
    match state {
        ClockState::Compliant => "មិនចាំបាច់ធ្វើអ្វីទេ",
        ClockState::WithinApplicationWindow => {
            "ដាក់សំណើជាលាយលក្ខណ៍អក្សរទៅគណៈកម្មាធិការ (Approval ដែលយោងលើ tenancy នេះ) មុនកាលកំណត់ដាក់សំណើ ឬផ្ទេរចូលក្លោដរាជរដ្ឋាភិបាល"
        }
        ClockState::ExceptionPending => {
            "រង់ចាំការសម្រេចរបស់គណៈកម្មាធិការ ហើយត្រៀមផ្ទេរចូលក្លោដរាជរដ្ឋាភិបាល ប្រសិនបើសំណើត្រូវបដិសេធ"
        }
        ClockState::ApplicationWindowMissed | ClockState::ExceptionDenied => {
            "ផ្ទេរ tenancy ចូលក្លោដរាជរដ្ឋាភិបាល (spec.placement: government-private) ត្រឹមកាលកំណត់ផ្ទេរ"
        }
        ClockState::ExceptionExpired => {
            "ផ្ទេរចូលក្លោដរាជរដ្ឋាភិបាល (spec.placement: government-private) ឬស្នើសុំការអនុម័តថ្មីពីគណៈកម្មាធិការ"
        }
        ClockState::MigrationOverdue => {
            "ផ្ទេរចូលក្លោដរាជរដ្ឋាភិបាល (spec.placement: government-private) ជាបន្ទាន់៖ កាលកំណត់ផ្ទេរបានកន្លងផុតហើយ"
        }
    }
}

/// Objects in a namespace nothing ties to a ministry.
pub fn unknown_namespace(namespace: &str, objects: usize) -> String {
    format!(
        "namespace {namespace} ({objects} វត្ថុ) មិនមែនជារបស់ក្រសួងណាមួយដែលស្គាល់នៅទីនេះទេ៖ គ្មាន CloudTenancy បង្កើតវា ហើយគ្មាន Namespace ដាក់ស្លាកវា ដូច្នេះគោលការណ៍របស់ក្រសួង (ដែនផ្លូវការ ទីតាំងទិន្នន័យ ការថតចម្លង ការផ្សព្វផ្សាយ ទិន្នន័យផ្ទាល់ខ្លួន ទិន្នន័យគ្មានថ្នាក់) មិនត្រូវបានអនុវត្តទេ។ សូមផ្តល់បរិបទដោយ --inventory DIR (ឯកសារជាតិ) ឬ --cluster"
    )
}

/// How to remedy a domain held by two ministries.
pub const DOMAIN_CLASH_FIX: &str =
    "កែ spec.domain៖ ក្រសួងនីមួយៗមានដែន .gov.kh ផ្ទាល់ខ្លួន មិនស្ថិតក្នុងដែនរបស់ក្រសួងផ្សេងទេ";

/// How to remedy a reference to an object that does not exist.
pub const MISSING_REFERENCE_FIX: &str = "បង្កើតវត្ថុដែលវាយោង ឬកែឈ្មោះ (ឈ្មោះប្រកាន់អក្សរធំតូច)";

/// A ministry's domain that another ministry holds.
pub fn domain_clash(c: &crate::law::references::DomainClash) -> String {
    if c.domain == c.holder_domain {
        format!(
            "spec.domain {} ក៏ជាដែនរបស់ក្រសួង `{}` ដែរ៖ ក្រសួងពីរមិនអាចប្រើដែនផ្លូវការតែមួយរួមគ្នាបានទេ (មាត្រា 20, 21)",
            c.domain, c.holder
        )
    } else {
        format!(
            "spec.domain {} ស្ថិតក្នុងដែនរបស់ក្រសួង `{}` គឺ {}៖ ដែនផ្លូវការរបស់ក្រសួងជារបស់ខ្លួន មិនមែនរបស់អ្នកដទៃទេ (មាត្រា 20, 21)",
            c.domain, c.holder, c.holder_domain
        )
    }
}

/// A reference to an object that does not exist.
pub fn missing_reference(r: &MissingReference) -> String {
    format!(
        "{} យោងទៅ {} `{}` ដែលមិនមាន",
        r.field, r.target_kind, r.target
    )
}

/// Tenancies that cannot be judged without the government cloud.
pub fn no_government_cloud(tenancies: usize) -> String {
    format!(
        "គ្មាន GovernmentCloud ឈ្មោះ `national` ទេ៖ នាឡិកាតាមច្បាប់នៃមាត្រា 10 រាប់ចាប់ពីថ្ងៃបង្កើតវា ដូច្នេះ tenancy ចំនួន {tenancies} មិនអាចវាយតម្លៃបានទេ"
    )
}

/// An object left unjudged when the run's budget ran out.
pub const BUDGET_RAN_OUT: &str =
    "មិនបានវាយតម្លៃ៖ ពេលវេលាកំណត់នៃការដំណើរការ (--timeout) បានអស់មុនវត្ថុនេះ គ្មានអ្វីត្រូវបានសម្រេចលើវាទេ";

/// A state's name (`ApplicationWindowMissed`, an approval's `InForce`, a grant's `Active`) in
/// Khmer; the name itself where it is not one of ours.
pub fn state(name: &str) -> &str {
    match name {
        "Compliant" => "អនុលោម",
        "WithinApplicationWindow" => "ក្នុងរយៈពេលដាក់សំណើ",
        "ExceptionPending" => "ការលើកលែងកំពុងរង់ចាំ",
        "ApplicationWindowMissed" => "ហួសរយៈពេលដាក់សំណើ",
        "ExceptionDenied" => "ការលើកលែងត្រូវបានបដិសេធ",
        "ExceptionExpired" => "ការលើកលែងផុតសុពលភាព",
        "MigrationOverdue" => "ហួសកាលកំណត់ផ្ទេរ",
        "Pending" => "កំពុងរង់ចាំ",
        "InForce" => "មានសុពលភាព",
        "Denied" => "ត្រូវបានបដិសេធ",
        "Expired" => "ផុតសុពលភាព",
        "NotYetRequested" => "មិនទាន់បានស្នើ",
        "Active" => "សកម្ម",
        "NotYetValid" => "មិនទាន់មានសុពលភាព",
        other => other,
    }
}

/// A number as a Khmer reader groups it (CLDR `km`: `.` groups thousands): 20000000 ->
/// "20.000.000".
pub fn number(n: u64) -> String {
    crate::finding::riels(n).replace(',', ".")
}

/// Riels as a Khmer reader writes them (the currency after the number): 20000000 ->
/// "20.000.000 រៀល".
pub fn riels(n: u64) -> String {
    format!("{} រៀល", number(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn riels_are_grouped_with_dots_and_named_after() {
        assert_eq!(riels(20_000_000), "20.000.000 រៀល");
        assert_eq!(riels(999), "999 រៀល");
    }

    #[test]
    fn every_state_has_a_khmer_name() {
        for s in crate::audit::CLOCK_STATES {
            assert_ne!(state(s.as_str()), s.as_str());
        }
        for s in [
            "Pending",
            "InForce",
            "Denied",
            "Expired",
            "NotYetRequested",
            "Active",
        ] {
            assert_ne!(state(s), s);
        }
    }
}
