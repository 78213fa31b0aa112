//! `govkh report`: golden files of every format on `examples/` at a fixed date (regenerate with
//! `GOVKH_UPDATE_GOLDEN=1 cargo test --test committee_report` and review the diff), a well-formed and
//! self-contained HTML page, inert hostile input, and a large render.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use govkh_core::{
    evaluate::evaluate,
    finding::{Action, Finding, Penalty, ResourceRef, Severity},
    inventory::Inventory,
    loading::manifest::Loader,
    policy::Library,
    render::report,
};

use common::{govkh, govkh_stdout};

fn render(format: &str) -> String {
    render_in(format, "en")
}

fn render_in(format: &str, lang: &str) -> String {
    govkh_stdout(&[
        "report",
        "examples",
        "--as-of",
        "2026-11-26",
        "--format",
        format,
        "--lang",
        lang,
    ])
}

#[test]
fn golden_files_of_every_format() {
    let update = std::env::var_os("GOVKH_UPDATE_GOLDEN").is_some();
    for (format, lang, file) in [
        ("html", "en", "report.html"),
        ("md", "en", "report.md"),
        ("json", "en", "report.json"),
        ("csv", "en", "report.csv"),
        ("html", "km", "report.km.html"),
        ("md", "km", "report.km.md"),
        ("json", "km", "report.km.json"),
        ("csv", "km", "report.km.csv"),
    ] {
        let got = render_in(format, lang);
        let path = common::root().join("operator/tests/golden").join(file);
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            got == want,
            "operator/tests/golden/{file} differs: rerun with GOVKH_UPDATE_GOLDEN=1 and review the diff"
        );
    }
}

/// Parse as XML: every element closed, attributes quoted, entities valid.
fn assert_well_formed(html: &str) {
    let body = html.trim_start_matches("<!DOCTYPE html>\n");
    let mut reader = quick_xml::Reader::from_str(body);
    let mut depth = 0i64;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(_)) => depth += 1,
            Ok(quick_xml::events::Event::End(_)) => depth -= 1,
            Ok(quick_xml::events::Event::Text(t)) => {
                // Entities must be ones an HTML parser and an XML parser read alike.
                t.decode().unwrap();
            }
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("not well-formed at {}: {e}", reader.buffer_position()),
        }
    }
    assert_eq!(depth, 0, "unbalanced elements");
}

#[test]
fn the_html_is_well_formed_self_contained_and_complete() {
    let html = render("html");
    assert_well_formed(&html);
    // A URL may be shown as text (an API's specification in the register), never referenced.
    for external in [
        "=\"http", "='http", "=http", "(http", "src=", "url(", "@import", "<link", "<img",
        "<iframe",
    ] {
        assert!(!html.contains(external), "external reference {external:?}");
    }
    assert!(
        html.contains(
            "<td data-label=\"Specification\">https://api.tax.gov.kh/filing/openapi.json</td>"
        ),
        "the register's URL, as text"
    );
    // In the order the committee reads it.
    let order = [
        "class=\"summary\"",
        "id=\"ministries\"",
        "<div class=\"bars\" role=\"img\" aria-label=\"Scores",
        "aria-label=\"Deadlines",
        "id=\"m-gdt\"",
        "id=\"m-nssf\"",
        "Fines and unpaid fines",
        "Approvals (Art. 9, 10)",
        "Data-access grants",
        "Annex",
    ];
    let positions: Vec<usize> = order
        .iter()
        .map(|o| html.find(o).unwrap_or_else(|| panic!("missing {o}")))
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "sections out of order: {positions:?}"
    );
    assert!(
        html.contains("lang=\"km\">ក្រសួងសុខាភិបាល</span>"),
        "Khmer names rendered"
    );
    assert!(
        html.contains("page-break-before: always"),
        "a page per ministry in print"
    );
    assert!(
        html.contains("500,000,000"),
        "Art. 40 legal-person maximum for the top-secret snapshot"
    );
    assert!(
        html.contains("today 2026-11-26"),
        "today marked on the timeline"
    );
    assert!(html.contains("How the score is computed."));
    // Readable on a phone: no SVG scaled down to a few pixels, every table cell labelled with
    // its column for the card layout below 640 px, the timeline a list in date order with
    // today in its place.
    assert!(!html.contains("<svg"));
    assert!(html.contains("@media (max-width: 640px)"));
    assert_eq!(
        html.matches("<td").count(),
        html.matches("<td data-label=\"").count(),
        "a table cell without its column's label"
    );
    let timeline = &html[html.find("class=\"timeline\"").unwrap()..];
    let timeline = &timeline[..timeline.find("</ol>").unwrap()];
    let today = timeline.find("today 2026-11-26").unwrap();
    assert!(timeline[..today].contains("2026-10-31") && !timeline[..today].contains("2026-12-31"));
    assert!(timeline[today..].contains("2026-12-31"));
}

#[test]
fn every_format_tells_the_same_story() {
    let json: serde_json::Value = serde_json::from_str(&render("json")).unwrap();
    assert_eq!(json["schemaVersion"], "govkh.digital.gov.kh/report/v1");
    assert_eq!(json["asOf"], "2026-11-26");
    assert_eq!(json["summary"]["findings"]["deny"], 14);
    let moh = json["ministries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["code"] == "moh")
        .unwrap();
    assert_eq!(moh["score"], 0, "four critical denials: 100 - 4 × 25");
    let moeys = json["ministries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["code"] == "moeys")
        .unwrap();
    assert_eq!(
        moeys["score"], 0,
        "three critical denials (reaching past its fence), two high ones, a medium one, a low warning, and a high warning for an undeclared S3 bucket: 100 - 3 × 25 - 15 - 15 - 10 - 1 - 5, at least 0"
    );
    let fines: Vec<(&str, &str)> = moh["fines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["policy"].as_str().unwrap(),
                f["article"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        fines,
        [("no-dissemination", "40"), ("no-reproduction", "40")]
    );
    // MPTC's Telegram channel, declared again by MLVT: a high denial on both, with Art. 39's
    // fines (Art. 22 cites Art. 40; the offence is Art. 39's).
    for code in ["mptc", "mlvt"] {
        let m = json["ministries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["code"] == code)
            .unwrap();
        assert_eq!(m["score"], 85, "{code}: one high denial, 100 - 15");
        assert_eq!(m["fines"][0]["policy"], "social-media-accounts", "{code}");
        assert_eq!(m["fines"][0]["article"], "39", "{code}");
    }
    let md = render("md");
    assert!(
        md.contains("| Ministry of Health (moh) | 0 | 4 | 0 | 0 |"),
        "{md}"
    );
    let csv = render("csv");
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 1 + 23, "a header and one row per finding");
    assert!(
        rows.iter().any(|r| r.contains(
            ",moh,no-reproduction,deny,critical,26,VolumeSnapshot,moh-registry,registry-data-copy,"
        )),
        "{csv}"
    );
}

#[test]
fn hostile_names_and_messages_render_inert() {
    let dir = std::env::temp_dir().join(format!("govkh-inject-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("m.yaml"),
        r#"apiVersion: digital.gov.kh/v1alpha1
kind: Ministry
metadata: {name: evil}
spec:
  displayName: "<script>alert('x')</script> & \"Co\""
  khmerName: "</span><img src=x onerror=alert(1)>"
  domain: evil.gov.kh
  resourceLevel: full
  digitalTransformationUnit: {contactEmail: dtu@evil.gov.kh}
---
apiVersion: digital.gov.kh/v1alpha1
kind: CloudTenancy
metadata: {name: evil-t}
spec: {ministry: evil, placement: government-private, namespaces: [{name: evil-ns, dataClass: open}]}
---
apiVersion: digital.gov.kh/v1alpha1
kind: DataClass
metadata: {name: open}
spec: {level: open, allowedPlacements: [government-private], reproduction: Allowed, sharing: Allowed, publicExposure: true}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: site, namespace: evil-ns}
spec:
  rules: [{host: "\"><script>alert(2)</script>|`=cmd|"}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: link, namespace: evil-ns}
spec:
  rules: [{host: "[click here](https://evil.example)"}]
"#,
    )
    .unwrap();
    let path = dir.to_str().unwrap();
    let html = String::from_utf8(
        govkh(&["report", path, "--as-of", "2026-11-26", "--format", "html"]).stdout,
    )
    .unwrap();
    assert_well_formed(&html);
    assert!(!html.contains("<script>alert"), "script injected");
    assert!(!html.contains("<img"), "element injected");
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Co&quot;"));
    let md = String::from_utf8(
        govkh(&["report", path, "--as-of", "2026-11-26", "--format", "md"]).stdout,
    )
    .unwrap();
    assert!(!md.contains("<script>") && !md.contains("<img"), "{md}");
    assert!(md.contains("&lt;script&gt;"));
    // Link syntax in a host shows as written, never as a live link.
    assert!(!md.contains("](https://evil.example)"), "a live link: {md}");
    assert!(
        md.contains("\\[click here\\]\\(https://evil.example\\)"),
        "{md}"
    );
    let csv = String::from_utf8(
        govkh(&["report", path, "--as-of", "2026-11-26", "--format", "csv"]).stdout,
    )
    .unwrap();
    let row = csv
        .lines()
        .find(|l| l.contains("official-domain") && l.contains(",site,"))
        .unwrap();
    assert!(
        row.contains("\"\"><script>"),
        "quotes doubled inside a quoted field: {row}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn output_file_is_written_whole() {
    let path = std::env::temp_dir().join(format!("govkh-report-{}.html", std::process::id()));
    let out = govkh(&[
        "report",
        "examples",
        "--as-of",
        "2026-11-26",
        "-o",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let html = std::fs::read_to_string(&path).unwrap();
    assert!(html.ends_with("</html>\n"));
    // A failed run leaves the previous report untouched.
    let out = govkh(&[
        "report",
        "examples",
        "--as-of",
        "yesterday",
        "-o",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), html);
    std::fs::remove_file(&path).unwrap();
}

/// 200 ministries, 10,000 findings: the report is built and rendered in every format.
pub fn large_report() -> report::Report {
    let mut yaml = String::new();
    for i in 0..200 {
        yaml.push_str(&format!(
            "---\napiVersion: digital.gov.kh/v1alpha1\nkind: Ministry\nmetadata: {{name: m{i}}}\nspec: {{displayName: Ministry {i}, domain: m{i}.gov.kh, resourceLevel: full, digitalTransformationUnit: {{contactEmail: dtu@m{i}.gov.kh}}}}\n"
        ));
    }
    let loader = Loader::new();
    let mut loaded = govkh_core::loading::manifest::LoadResult::default();
    loader.load_text("large.yaml", &yaml, false, &mut loaded);
    let (inv, _) = Inventory::build(loaded.objects);
    let lib = Library::builtin().unwrap();
    let mut eval = evaluate(&inv, &lib, "2026-11-26T03:00:00Z".parse().unwrap());
    for i in 0..10_000 {
        eval.findings.push(Finding {
            policy: "no-reproduction".into(),
            action: if i % 3 == 0 {
                Action::Deny
            } else {
                Action::Warn
            },
            severity: Severity::High,
            articles: vec!["26".into()],
            resource: ResourceRef {
                api_version: Some("v1".into()),
                kind: Some("PersistentVolumeClaim".into()),
                name: Some(format!("pvc-{i}")),
                namespace: Some(format!("ns-{}", i % 200)),
            },
            source: None,
            ministry: Some(format!("m{}", i % 200)),
            message: format!("copy number {i} of a confidential volume without a grant (Art. 26)"),
            state: None,
            deadline: None,
            penalty: Some(Penalty {
                article: "40".into(),
                natural_person_max_riel: Some(10_000_000),
                legal_person_max_riel: Some(100_000_000),
                person_max_riel: None,
            }),
            awaits: None,
            excused_by: None,
            fix: None,
            km: None,
        });
    }
    report::build(&inv, &eval, &lib)
}

#[test]
fn a_report_of_200_ministries_and_10000_findings_renders() {
    let r = large_report();
    assert_eq!(r.ministries.len(), 200);
    let html = report::html(&r);
    assert_well_formed(&html);
    assert_eq!(html.matches("class=\"finding\"").count(), 10_000);
    assert_eq!(report::csv(&r).lines().count(), 10_001);
    assert!(report::markdown(&r).len() > 500_000);
    assert!(report::json(&r).unwrap().len() > 1_000_000);
    assert!(
        r.ministries.iter().all(|m| m.score == 0),
        "50 findings each"
    );
}

#[test]
fn each_finding_is_listed_once_with_all_its_articles() {
    let md = render("md");
    // MoH has four denials: the top-secret claim on a leased cloud (Art. 10, 25), its snapshot
    // (Art. 26), and its link into NSSF's claims (Art. 26, 28 and Art. 29). Listed once each,
    // the claim under Art. 10 citing both its articles.
    let moh = md
        .split("\n## ")
        .find(|s| s.starts_with("Ministry of Health (moh)"))
        .unwrap();
    let denials: Vec<&str> = moh
        .lines()
        .filter(|l| l.starts_with("- **DENY**"))
        .collect();
    assert_eq!(denials.len(), 4, "{moh}");
    assert!(
        denials
            .iter()
            .any(|l| l.contains("registry-data`") && l.contains("[data-placement · Art. 10, 25")),
        "{denials:#?}"
    );
}

#[test]
fn html_shows_the_names_a_message_quotes_as_code() {
    let html = render("html");
    assert!(
        html.contains("<code>cheapcloud</code>"),
        "quoted names as code"
    );
    assert!(!html.contains("`cheapcloud`"));
}

/// English sentences a Khmer reader must not meet: the catalogue's words and templates (cut at
/// their `{values}`), and the English messages of the findings (cut at their quoted names).
fn english_fragments() -> Vec<String> {
    use govkh_core::message::words::{EN, KM};
    let mut out = Vec::new();
    for ((id, en), (_, km)) in EN.all().into_iter().zip(KM.all()) {
        if en == km {
            continue;
        }
        for piece in en.split(['{', '}']).step_by(2) {
            let piece = piece.trim_matches(|c: char| !c.is_alphanumeric());
            if piece.split_whitespace().count() >= 2 {
                out.push(piece.to_string());
            } else if piece.len() >= 6
                && !["Ministry", "Approval"].contains(&piece)
                && !piece.contains(['/', '_', '.'])
            {
                // One long word (a heading such as "Deadlines"); "Ministry" and "Approval" are
                // kinds, shown as such.
                let _ = id;
                out.push(piece.to_string());
            }
        }
    }
    let json: serde_json::Value = serde_json::from_str(&render("json")).unwrap();
    let mut messages = Vec::new();
    for m in json["ministries"].as_array().unwrap() {
        for fs in m["findingsByArticle"].as_object().unwrap().values() {
            for f in fs.as_array().unwrap() {
                messages.push(f["message"].as_str().unwrap().to_string());
                messages.push(f["fix"].as_str().unwrap_or_default().to_string());
            }
        }
    }
    for m in messages {
        for piece in m.split(['`', '"', '(', ')', ':', ';', ',']) {
            let words: Vec<&str> = piece
                .split_whitespace()
                .filter(|w| w.chars().all(|c| c.is_ascii_lowercase() || c == '\''))
                .collect();
            if words.len() >= 3 {
                out.push(words[..3].join(" "));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn the_khmer_report_holds_no_english_sentence() {
    let fragments = english_fragments();
    assert!(fragments.len() > 100, "{}", fragments.len());
    for format in ["html", "md", "csv"] {
        let km = render_in(format, "km");
        // Values from the manifests (display names, reasons, purposes) are the ministries' own
        // words, shown as written; their comments are not shown, so they do not count.
        fn strings(v: &serde_json::Value, out: &mut String) {
            match v {
                serde_json::Value::String(t) => {
                    out.push_str(t);
                    out.push('\n');
                }
                serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
                serde_json::Value::Object(o) => o.values().for_each(|x| strings(x, out)),
                _ => {}
            }
        }
        let mut examples = String::new();
        for o in common::examples().objects {
            strings(&o.raw, &mut examples);
        }
        let found: Vec<&String> = fragments
            .iter()
            // The CSV's header and its action and severity columns are values for programs
            // (`deny`, `critical`): there only sentences count.
            .filter(|f| format != "csv" || f.contains(' '))
            .filter(|f| contains_words(&km, f) && !examples.contains(f.as_str()))
            .collect();
        assert!(
            found.is_empty(),
            "{format}: English in the Khmer report: {found:#?}"
        );
        assert!(km.contains("ការអនុលោមតាមច្បាប់ស្តីពីរដ្ឋាភិបាលឌីជីថល") || format == "csv");
    }
    // And check's text output in Khmer.
    let out = govkh(&["check", "examples/", "--now", "2026-11-26", "--lang", "km"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let found: Vec<&String> = fragments
        .iter()
        .filter(|f| contains_words(&text, f))
        .collect();
    assert!(found.is_empty(), "check: English in Khmer: {found:#?}");
    assert!(text.contains("បានពិនិត្យ 53 វត្ថុ៖ បដិសេធ 14 ព្រមាន 9"), "{text}");
    // The language follows the locale when not given.
    let by_locale = std::process::Command::new(env!("CARGO_BIN_EXE_govkh"))
        .current_dir(common::root())
        .args(["check", "examples/", "--now", "2026-11-26"])
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "km_KH.UTF-8")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&by_locale.stdout).contains("បានពិនិត្យ 53 វត្ថុ"));
}

/// Whether `text` holds `words` as words, not inside a name (`10-tenancies.yaml`,
/// `spec.domain`).
fn contains_words(text: &str, words: &str) -> bool {
    let name = |c: char| c.is_alphanumeric() || "-._/".contains(c);
    text.match_indices(words).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + words.len()..].chars().next();
        !before.is_some_and(name) && !after.is_some_and(name)
    })
}

#[test]
fn a_grant_to_the_public_is_shown_as_such_and_its_exposure_is_not_a_finding() {
    let sample = "policies/no-dissemination/samples/allowed/ingress-for-confidential-data-granted-to-the-public.yaml";
    let report = |lang: &str| {
        let out = govkh(&[
            "report",
            "examples/",
            sample,
            "--as-of",
            "2026-11-26",
            "-f",
            "md",
            "--lang",
            lang,
        ]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let en = report("en");
    assert!(
        en.contains("| moh-records-to-the-public | moh | the public | no | active |"),
        "{en}"
    );
    // MoH's Ingress over confidential records, authorised to the public: no dissemination finding.
    assert!(!en.contains("Ingress/moh-records/beds"), "{en}");
    assert!(report("km").contains("| moh-records-to-the-public | moh | សាធារណជន |"));
}
