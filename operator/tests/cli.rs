//! The `govkh` binary as a user runs it: `check` on `examples/` at fixed dates, on the broken
//! fixtures, on standard input; bad usage.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::{
    io::Write,
    process::{Command, Stdio},
};

use serde_json::Value;

use common::{govkh, root};

fn json_check(date: &str) -> (i32, Value) {
    json_check_with(date, &[])
}

/// `check examples/ --now DATE --format json` with `extra` arguments: exit code and output.
fn json_check_with(date: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["check", "examples/", "--now", date, "--format", "json"];
    args.extend_from_slice(extra);
    let out = govkh(&args);
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    (out.status.code().unwrap(), v)
}

fn states(v: &Value) -> Vec<(String, String)> {
    v["tenancies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_string(),
                t["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn state_of(v: &Value, name: &str) -> String {
    states(v)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, s)| s)
        .unwrap_or_else(|| panic!("no tenancy {name}"))
}

#[test]
fn examples_on_the_demo_date() {
    let (code, v) = json_check("2026-11-26");
    assert_eq!(
        code, 1,
        "the violating workloads are denied on 2026-11-26: {v:#}"
    );
    assert_eq!(v["schemaVersion"], "govkh.digital.gov.kh/check/v1");
    assert_eq!(v["today"], "2026-11-26");
    let expected = [
        ("gdt-efiling", "ApplicationWindowMissed"),
        ("gdt-legacy", "ExceptionDenied"),
        ("mef-analytics", "ExceptionExpired"),
        ("mef-core", "Compliant"),
        ("mef-workloads", "Compliant"),
        ("moeys-elearning", "ExceptionPending"),
        ("moeys-overreach", "Compliant"),
        ("moh-records", "Compliant"),
        ("moi-private", "Compliant"),
        ("mptc-core", "Compliant"),
        ("nssf-claims", "ApplicationWindowMissed"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    assert_eq!(states(&v), expected);
    let mef = v["tenancies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "mef-workloads")
        .unwrap();
    assert_eq!(mef["approval"], "mef-aws-continuation");
    assert_eq!(mef["nextBoundary"], "2027-05-11");
    assert_eq!(v["summary"]["findings"]["warn"], 9);
    assert_eq!(v["summary"]["findings"]["deny"], 14);
    for f in v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["policy"] == "statutory-clock")
    {
        assert_eq!(f["articles"], serde_json::json!(["10"]), "{f}");
        assert!(
            f["ministry"].is_string() && f["message"].as_str().unwrap().contains("Art. 10"),
            "{f}"
        );
    }
    // The policy findings: exactly the violating workloads, each with its articles.
    let mut denied: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["action"] == "deny")
        .map(|f| {
            format!(
                "{} {}/{} {}",
                f["policy"].as_str().unwrap(),
                f["resource"]["kind"].as_str().unwrap(),
                f["resource"]["name"].as_str().unwrap(),
                f["articles"]
            )
        })
        .collect();
    denied.sort();
    assert_eq!(
        denied,
        [
            "cloud-resources Bucket/treasury-keys-backup [\"25\",\"26\"]",
            "data-placement PersistentVolumeClaim/registry-data [\"10\",\"25\"]",
            "namespace-claims CloudTenancy/moeys-overreach [\"10\",\"25\"]",
            "no-dissemination PrivateNetworkLink/moh-to-nssf-claims [\"26\",\"28\"]",
            "no-dissemination Service/api-public [\"26\",\"28\"]",
            "no-reproduction VolumeSnapshot/registry-data-copy [\"26\"]",
            "official-domain Ingress/elearning [\"20\",\"21\"]",
            "official-email Approval/moeys-satellite [\"21\"]",
            "path-ownership PrivateNetworkLink/moeys-to-a-public-cdn [\"9\",\"26\",\"28\"]",
            "personal-data-consent PrivateNetworkLink/moh-to-nssf-claims [\"29\"]",
            "private-network PrivateNetworkLink/moeys-satellite [\"9\"]",
            "reserved-namespaces CloudTenancy/moeys-overreach [\"10\",\"25\"]",
            "social-media-accounts Ministry/mlvt [\"22\"]",
            "social-media-accounts Ministry/mptc [\"22\"]",
        ]
    );
    // The demo shows every policy of the catalogue but those that judge who sends a request
    // (with --as-user, below, and at admission).
    let shown: std::collections::BTreeSet<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["policy"].as_str().unwrap())
        .collect();
    let library = govkh_core::policy::Library::builtin().unwrap();
    for p in library.policies() {
        let by_submitter = [
            "approval-authority",
            "platform-authority",
            "ministry-authority",
            "derived-labels",
        ];
        assert_eq!(
            shown.contains(p.meta.id.as_str()),
            !by_submitter.contains(&p.meta.id.as_str()),
            "{}",
            p.meta.id
        );
    }
    let snapshot = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["policy"] == "no-reproduction")
        .unwrap();
    assert_eq!(
        snapshot["penalty"],
        serde_json::json!({"article": "40", "naturalPersonMaxRiel": 20000000, "legalPersonMaxRiel": 500000000})
    );
    assert_eq!(snapshot["ministry"], "moh");
    let nssf = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["resource"]["name"] == "nssf-claims")
        .unwrap();
    assert_eq!(nssf["deadline"], "2027-03-01");
    assert_eq!(nssf["source"]["file"], "examples/10-tenancies.yaml");
}

#[test]
fn examples_before_the_application_deadline() {
    let (code, v) = json_check("2026-04-01");
    assert_eq!(
        code, 1,
        "the workloads' violations do not depend on the date"
    );
    for name in [
        "gdt-efiling",
        "gdt-legacy",
        "mef-analytics",
        "mef-workloads",
        "moeys-elearning",
        "nssf-claims",
    ] {
        assert_eq!(state_of(&v, name), "WithinApplicationWindow", "{name}");
    }
    assert_eq!(state_of(&v, "moi-private"), "Compliant");
    // NSSF's grant to MoH (personal data, with consent) was active then: MoH's link into the
    // claims was lawful; it is denied once the grant has expired (2026-06-30).
    assert!(
        !v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["resource"]["name"] == "moh-to-nssf-claims"),
        "{v}"
    );
}

#[test]
fn examples_after_the_migration_deadline_are_denied() {
    let (code, v) = json_check("2027-03-15");
    assert_eq!(code, 1, "overdue migrations are denied");
    for name in ["gdt-efiling", "gdt-legacy", "nssf-claims"] {
        assert_eq!(state_of(&v, name), "MigrationOverdue", "{name}");
    }
    assert_eq!(state_of(&v, "mef-analytics"), "ExceptionExpired");
    assert_eq!(state_of(&v, "mef-workloads"), "Compliant");
    // The clock's four, the policies' thirteen, and the cloud check's two: the top-secret bucket
    // and the undeclared one, whose migration is now overdue.
    assert_eq!(v["summary"]["findings"]["deny"], 4 + 13 + 2);
}

#[test]
fn text_output_is_grouped_by_ministry_with_a_summary() {
    let out = govkh(&["check", "examples", "--now", "2026-11-26"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("govkh check: as of 2026-11-26 (Asia/Phnom_Penh)"),
        "{text}"
    );
    let gdt = text.find("\ngdt\n").expect("a gdt group");
    let nssf = text.find("\nnssf\n").expect("an nssf group");
    assert!(gdt < nssf, "ministries in order");
    assert!(text.contains("WARN  high     CloudTenancy/nssf-claims  Art. 10  [statutory-clock: application window missed]"), "{text}");
    assert!(text.contains("Statutory clock (Art. 10)"));
    assert!(
        text.trim_end()
            .contains("objects checked: 14 deny, 9 warn, 0 dryrun, 0 error"),
        "{text}"
    );
}

#[test]
fn broken_manifests_give_one_clear_error_each_and_exit_2() {
    let out = govkh(&[
        "check",
        "tests/fixtures/broken",
        "--now",
        "2026-11-26",
        "--format",
        "json",
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["action"] == "error")
        .map(|f| {
            format!(
                "{} {} {}",
                f["source"]["file"].as_str().unwrap_or("-"),
                f["resource"]["name"].as_str().unwrap_or("-"),
                f["message"].as_str().unwrap()
            )
        })
        .collect();
    let expect = [
        ("bad-yaml.yaml", "invalid YAML: line 5 column 5"),
        (
            "wrong-types.yaml",
            "spec.placement: Unsupported value: \"orbit\"",
        ),
        (
            "wrong-types.yaml",
            "spec.namespaces: Invalid value: \"mptc-a, mptc-b\": must be of type array",
        ),
        ("unknown-kind.yaml", "unknown kind \"DataCenter\""),
        (
            "dangling-ministry.yaml",
            "spec.ministry names Ministry `mlvt`, which does not exist",
        ),
        (
            "duplicate.yaml",
            "duplicate name: Ministry/mptc is already defined at tests/fixtures/broken/00-context.yaml: document 2",
        ),
        ("empty.yaml", "contains no Kubernetes object"),
        ("missing-field.yaml", "spec.domain: Required value"),
        ("unknown-field.yaml", "unknown field \"spec.webiste\""),
        (
            "cel-rules.yaml",
            "spec.provider is required unless placement is government-private",
        ),
        ("cel-rules.yaml", "top-secret data is prohibited (Art. 26)"),
        ("cel-rules.yaml", "needs the data subject's consent"),
        (
            "cel-rules.yaml",
            "must be an address on the ministry's own .gov.kh domain (Art. 21)",
        ),
        (
            "cel-rules.yaml",
            "needs the committee's approval: set spec.approval",
        ),
        ("cel-rules.yaml", "must be named 'national'"),
        (
            "cel-rules.yaml",
            "the windows of Art. 10 are the law's: 90 days to apply, 12 months to migrate",
        ),
        ("cel-rules.yaml", "a DTU group cannot be a system: group"),
        (
            "cel-rules.yaml",
            "public-with-a-path spec.access: a grant to the public opens no network path",
        ),
        (
            "cel-rules.yaml",
            "public-and-ministry spec.grantee: spec.grantee names a ministry, a person, or the public",
        ),
        (
            "cel-rules.yaml",
            "nobody spec.grantee: spec.grantee names a ministry, a person, or the public",
        ),
        (
            "too-many-namespaces.yaml",
            "spec.namespaces: Too many: 200: must have at most 64 items",
        ),
        (
            "not-an-object.yaml",
            "expected a Kubernetes object (a mapping), found a list",
        ),
        ("not-an-object.yaml", "apiVersion missing"),
    ];
    for (file, needle) in expect {
        let n = errors
            .iter()
            .filter(|e| e.contains(file) && e.contains(needle))
            .count();
        assert_eq!(
            n, 1,
            "expected one error in {file} saying {needle:?}; errors: {errors:#?}"
        );
    }
    assert_eq!(errors.len(), 22, "one error per problem: {errors:#?}");
    // The valid document after the broken one in bad-yaml.yaml was still loaded.
    assert!(!errors.iter().any(|e| e.contains("mfa")), "{errors:#?}");
    assert_eq!(v["summary"]["objects"], 5);
}

#[test]
fn standard_input_is_read_for_dash() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_govkh"))
        .current_dir(root())
        .args([
            "check",
            "-",
            "examples/00-government-cloud.yaml",
            "examples/02-ministries.yaml",
            "--now",
            "2027-03-15",
            "--format",
            "json",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"apiVersion: digital.gov.kh/v1alpha1\nkind: CloudTenancy\nmetadata: {name: piped}\nspec: {ministry: moh, placement: external, provider: aws}\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(state_of(&v, "piped"), "MigrationOverdue");
    assert_eq!(v["findings"][0]["source"]["file"], "-");
}

#[test]
fn usage_errors_exit_2() {
    let out = govkh(&["check", "examples", "--now", "yesterday"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--now \"yesterday\""));
    let out = govkh(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    let out = govkh(&["check", "no/such/dir"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("at: no/such/dir"));
}

#[test]
fn now_accepts_an_instant_and_counts_the_day_in_phnom_penh() {
    // 17:30 UTC on 30 May 2026 is already 31 May in Phnom Penh: the application window closed.
    let out = govkh(&[
        "check",
        "examples",
        "--now",
        "2026-05-30T17:30:00Z",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["today"], "2026-05-31");
    assert_eq!(state_of(&v, "nssf-claims"), "ApplicationWindowMissed");
    let out = govkh(&[
        "check",
        "examples",
        "--now",
        "2026-05-30T16:59:00Z",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(state_of(&v, "nssf-claims"), "WithinApplicationWindow");
}

#[test]
fn sarif_output_names_rules_articles_and_locations() {
    let out = govkh(&[
        "check",
        "examples",
        "--now",
        "2026-11-26",
        "--format",
        "sarif",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let domain = rules.iter().find(|r| r["id"] == "official-domain").unwrap();
    assert_eq!(
        domain["properties"]["articles"],
        serde_json::json!(["20", "21"])
    );
    let results = run["results"].as_array().unwrap();
    let r = results
        .iter()
        .find(|r| r["ruleId"] == "official-domain")
        .unwrap();
    assert_eq!(r["level"], "error");
    assert_eq!(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "examples/workloads/moeys-elearning.yaml"
    );
    assert_eq!(
        r["locations"][0]["physicalLocation"]["region"]["startLine"],
        1
    );
    assert_eq!(
        results.iter().filter(|r| r["level"] == "warning").count(),
        9
    );
    for r in results {
        assert!(
            rules.iter().any(|rule| rule["id"] == r["ruleId"]),
            "undeclared rule {}",
            r["ruleId"]
        );
    }
}

#[test]
fn a_users_policy_directory_adds_to_the_library() {
    let dir = std::env::temp_dir().join(format!("govkh-user-policies-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("no-latest")).unwrap();
    std::fs::write(
        dir.join("no-latest/policy.rego"),
        r#"package govkh.no_latest
metadata := {"id": "no-latest", "title": "Pinned images", "articles": ["28"], "severity": "low", "action": "warn"}
violation contains {"msg": "image not pinned"} if {
	some c in input.review.object.spec.template.spec.containers
	endswith(c.image, ":latest")
}
"#,
    )
    .unwrap();
    let out = govkh(&[
        "check",
        "examples",
        "--now",
        "2026-11-26",
        "--format",
        "json",
        "--policies",
        dir.to_str().unwrap(),
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["summary"]["findings"]["deny"], 14,
        "built-in policies still run"
    );
    let out = govkh(&[
        "check",
        "examples",
        "--now",
        "2026-11-26",
        "--format",
        "json",
        "--no-builtin-policies",
        "--policies",
        dir.to_str().unwrap(),
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["summary"]["findings"]["deny"], 1,
        "only the user's (warn) policy, the clock and the core's cloud check (a top-secret bucket)"
    );
    std::fs::write(
        dir.join("no-latest/policy.rego"),
        "package govkh.no_latest\nviolation contains x if {\n",
    )
    .unwrap();
    let out = govkh(&["check", "examples", "--policies", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no-latest/policy.rego"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn deeply_nested_input_is_refused_clearly_and_the_rest_is_checked() {
    let dir = std::env::temp_dir().join(format!("govkh-deep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let nest = |d: usize| format!("{}{}", "[".repeat(d), "]".repeat(d));
    std::fs::write(dir.join("deep.yaml"), format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: deep, namespace: mef-tax}}\nextra: {}\n", nest(100))).unwrap();
    std::fs::write(dir.join("deep.json"), format!("{{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {{\"name\": \"d\"}}, \"x\": {}}}", nest(5000))).unwrap();
    // Deep, but within the parsers' limits: evaluated like any object.
    std::fs::write(dir.join("ok.json"), format!("{{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {{\"name\": \"ok\", \"namespace\": \"mef-tax\"}}, \"x\": {}}}", nest(120))).unwrap();
    let out = govkh(&[
        "check",
        dir.to_str().unwrap(),
        "examples",
        "--now",
        "2026-11-26",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["action"] == "error")
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("invalid YAML") && e.contains("nested too deeply")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("invalid JSON") && e.contains("recursion limit")),
        "{errors:?}"
    );
    assert_eq!(
        v["summary"]["objects"], 54,
        "the examples and ok.json were checked"
    );
    assert_eq!(v["summary"]["findings"]["deny"], 14);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn run_serves_probes_while_waiting_for_crds_and_gives_up_clearly() {
    use std::io::{Read, Write as _};
    let free = |_: ()| {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let (api_port, probe_port) = (free(()), free(()));
    let dir = std::env::temp_dir().join(format!("govkh-run-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let kubeconfig = dir.join("config");
    std::fs::write(
        &kubeconfig,
        format!("apiVersion: v1\nkind: Config\nclusters: [{{name: c, cluster: {{server: 'http://127.0.0.1:{api_port}'}}}}]\nusers: [{{name: u, user: {{}}}}]\ncontexts: [{{name: x, context: {{cluster: c, user: u}}}}]\ncurrent-context: x\n"),
    )
    .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_govkh"))
        .args([
            "run",
            "--crd-timeout",
            "4",
            "--probe-addr",
            &format!("127.0.0.1:{probe_port}"),
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let get = |path: &str| -> Option<String> {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", probe_port)).ok()?;
        s.write_all(
            format!("GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").as_bytes(),
        )
        .ok()?;
        let mut out = String::new();
        s.read_to_string(&mut out).ok()?;
        Some(out)
    };
    let mut health = None;
    for _ in 0..40 {
        health = get("/healthz");
        if health.is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(health.unwrap().starts_with("HTTP/1.1 200"));
    assert!(
        get("/readyz").unwrap().starts_with("HTTP/1.1 503"),
        "not ready before the controllers run"
    );
    // Its memory is not backed by transparent huge pages unless asked (`--transparent-huge-pages`).
    // Linux says so in the process's status (since 6.x; an older kernel has no such line).
    if let Ok(status) = std::fs::read_to_string(format!("/proc/{}/status", child.id()))
        && let Some(line) = status.lines().find(|l| l.starts_with("THP_enabled:"))
    {
        assert_eq!(line.split_whitespace().nth(1), Some("0"), "{line}");
    }
    let out = child.wait_with_output().unwrap();
    // It could not do its work: exit 2, as every command (docs/cli.md).
    assert_eq!(out.status.code(), Some(2));
    // Nothing listens on the API server's port: that is what it says, not that the CRDs
    // should be installed; in one line, with no debug dump.
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot reach the API server"), "{err}");
    assert!(!err.contains("kubectl apply -f crds/"), "{err}");
    assert!(!err.contains("Status {"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A fresh directory for one test.
fn scratch(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("govkh-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn a_folder_linked_to_itself_is_read_once_and_ends() {
    let dir = scratch("symlinks");
    std::fs::copy(
        common::root().join("examples/workloads/moeys-elearning.yaml"),
        dir.join("site.yaml"),
    )
    .unwrap();
    for link in ["s1", "s2", "s3"] {
        std::os::unix::fs::symlink(".", dir.join(link)).unwrap();
    }
    let out = common::govkh(&[
        "check",
        dir.to_str().unwrap(),
        "--now",
        "2026-11-26",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("duplicate name"), "{stderr}");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("duplicate name"),
        "read once"
    );
    // The same objects as the file alone: the links add nothing.
    let alone = common::govkh(&[
        "check",
        dir.join("site.yaml").to_str().unwrap(),
        "--now",
        "2026-11-26",
        "--format",
        "json",
    ]);
    let alone: Value = serde_json::from_slice(&alone.stdout).unwrap();
    assert!(alone["summary"]["objects"].as_u64().unwrap() > 0);
    assert_eq!(v["summary"]["objects"], alone["summary"]["objects"]);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn only_regular_files_are_read() {
    let out = common::govkh(&["check", "/dev/urandom", "--now", "2026-11-26"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let all = format!("{stdout}{stderr}");
    assert!(
        all.contains("/dev/urandom") && all.contains("is not a regular file"),
        "{all}"
    );
}

#[test]
fn an_empty_folder_is_said_and_upper_case_extensions_are_read() {
    let dir = scratch("empty");
    let out = common::govkh(&["check", dir.to_str().unwrap(), "--now", "2026-11-26"]);
    assert_eq!(out.status.code(), Some(2));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(all.contains("holds no manifest"), "{all}");
    std::fs::copy(
        common::root().join("examples/workloads/moeys-elearning.yaml"),
        dir.join("SITE.YAML"),
    )
    .unwrap();
    let out = common::govkh(&[
        "check",
        dir.to_str().unwrap(),
        "--now",
        "2026-11-26",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        v["summary"]["objects"].as_u64().unwrap() > 0,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn terminal_escapes_in_names_are_shown_not_obeyed() {
    let dir = scratch("escapes");
    let file = dir.join("site.yaml");
    std::fs::write(
        &file,
        "apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: \"\\e[2K\\rsite\"
  namespace: moeys-elearning
spec:
  rules: [{host: elearning-moeys.example.com}]
",
    )
    .unwrap();
    let out = common::govkh(&[
        "check",
        "examples",
        file.to_str().unwrap(),
        "--now",
        "2026-11-26",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout.contains('\u{1b}'),
        "a raw escape reached the terminal"
    );
    assert!(
        !stdout.contains('\r'),
        "a raw carriage return reached the terminal"
    );
    assert!(stdout.contains("\\x1b[2K\\x0dsite"), "{stdout}");
    let sarif = common::govkh(&[
        "check",
        "examples",
        file.to_str().unwrap(),
        "--now",
        "2026-11-26",
        "--format",
        "sarif",
    ]);
    let sarif = String::from_utf8_lossy(&sarif.stdout);
    assert!(
        sarif.contains("\\\\x1b[2K"),
        "SARIF message escaped: {sarif}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn two_ministries_cannot_claim_one_domain_nor_one_inside_anothers() {
    let dir = scratch("domains");
    let file = dir.join("rogue.yaml");
    std::fs::write(
        &file,
        "apiVersion: digital.gov.kh/v1alpha1
kind: Ministry
metadata: {name: rogue}
spec:
  displayName: Rogue
  domain: mef.gov.kh
  resourceLevel: limited
  digitalTransformationUnit: {contactEmail: dtu@mef.gov.kh}
---
apiVersion: digital.gov.kh/v1alpha1
kind: Ministry
metadata: {name: taxes}
spec:
  displayName: Taxes
  domain: tax.mef.gov.kh
  resourceLevel: limited
  digitalTransformationUnit: {contactEmail: dtu@tax.mef.gov.kh}
",
    )
    .unwrap();
    let out = common::govkh(&[
        "check",
        "examples",
        file.to_str().unwrap(),
        "--now",
        "2026-11-26",
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let clashes: Vec<(String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["policy"] == "references" && f["articles"] == serde_json::json!(["20", "21"]))
        .map(|f| {
            assert_eq!(f["action"], "deny");
            (
                f["resource"]["name"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let names: Vec<&str> = clashes.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["mef", "rogue", "taxes", "taxes"], "{clashes:#?}");
    assert!(
        clashes[1].1.contains("is also Ministry `mef`'s domain"),
        "{clashes:#?}"
    );
    assert!(clashes[2].1.contains("inside Ministry"), "{clashes:#?}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_ministrys_files_alone_say_what_they_lack_and_with_the_national_set_are_judged() {
    let alone = common::govkh(&[
        "check",
        "examples/workloads/moeys-elearning.yaml",
        "--now",
        "2026-11-26",
        "--format",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&alone.stdout).unwrap();
    let context: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["policy"] == "context")
        .collect();
    assert_eq!(context.len(), 1, "{v:#}");
    assert_eq!(context[0]["action"], "warn");
    assert_eq!(context[0]["resource"]["name"], "moeys-elearning");
    assert!(
        context[0]["message"]
            .as_str()
            .unwrap()
            .contains("--inventory"),
        "{v:#}"
    );
    // The MEF workloads alone are not denied for a class "that does not exist": nothing is
    // known of the classes, which is said, not judged.
    let workloads = common::govkh(&[
        "check",
        "examples/workloads/mef-tax.yaml",
        "--now",
        "2026-11-26",
    ]);
    let text = String::from_utf8_lossy(&workloads.stdout);
    assert!(!text.contains("does not exist"), "{text}");
    assert_eq!(workloads.status.code(), Some(0), "{text}");
    // With the national set as context, the file's own breach is found, and only its own.
    let judged = common::govkh(&[
        "check",
        "examples/workloads/moeys-elearning.yaml",
        "--inventory",
        "examples",
        "--now",
        "2026-11-26",
        "--format",
        "json",
    ]);
    assert_eq!(judged.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&judged.stdout).unwrap();
    let policies: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["policy"].as_str().unwrap())
        .collect();
    // Its Ingress publishes a commercial host (denied) and an API without its specification.
    assert_eq!(policies, ["api-register", "official-domain"], "{v:#}");
    assert_eq!(v["summary"]["objects"], 1);
}

#[test]
fn a_host_with_a_look_alike_letter_is_shown_in_punycode_beside_it() {
    // "tax.mef.gov.\u{212a}h": the Kelvin sign for the last "k".
    for lang in ["en", "km"] {
        let out = common::govkh(&[
            "check",
            "policies/official-domain/samples/denied/ingress-with-look-alike-letter.yaml",
            "--inventory",
            "examples",
            "--now",
            "2026-11-26",
            "--lang",
            lang,
        ]);
        assert_eq!(out.status.code(), Some(1));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("\"tax.mef.gov.\u{212a}h\" (tax.mef.gov.xn--h-3wn)"),
            "{lang}: {text}"
        );
    }
}

#[test]
fn an_empty_policies_folder_is_an_error_and_a_looping_one_ends() {
    let dir = scratch("empty-policies");
    let out = common::govkh(&[
        "check",
        "examples",
        "--policies",
        dir.to_str().unwrap(),
        "--now",
        "2026-11-26",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("holds no policy"), "{stderr}");
    // A policy folder linked to itself is read once.
    std::fs::create_dir_all(dir.join("mine")).unwrap();
    std::fs::write(
        dir.join("mine/policy.rego"),
        "package govkh.mine\n\nmetadata := {\"id\": \"mine\", \"title\": \"Mine\", \"articles\": [\"25\"], \"severity\": \"low\", \"action\": \"warn\"}\n\nviolation contains {\"msg\": \"never\"} if { false }\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(".", dir.join("again")).unwrap();
    let out = common::govkh(&[
        "check",
        "examples",
        "--policies",
        dir.to_str().unwrap(),
        "--now",
        "2026-11-26",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_bad_date_from_the_environment_is_named_as_such() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_govkh"))
        .current_dir(common::root())
        .args(["check", "examples"])
        .env("GOVKH_NOW", "bogus")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("GOVKH_NOW \"bogus\""), "{stderr}");
    assert!(!stderr.contains("--now \"bogus\""), "{stderr}");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_govkh"))
        .current_dir(common::root())
        .args(["report", "examples", "--format", "md"])
        .env("GOVKH_AS_OF", "bogus")
        .env_remove("GOVKH_NOW")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("GOVKH_AS_OF \"bogus\""), "{stderr}");
}

#[test]
fn objects_no_policy_judges_are_counted_as_such_not_as_passed() {
    let dir = scratch("unjudged");
    std::fs::write(
        dir.join("extra.yaml"),
        "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {name: l, namespace: mef-tax}\n---\napiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {name: m, namespace: mef-tax}\n---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: p, namespace: mef-tax}\n",
    )
    .unwrap();
    let extra = dir.join("extra.yaml");
    let extra = extra.to_str().unwrap();
    let out = govkh(&["check", "examples/", extra, "--now", "2026-11-26"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "not judged by any policy (no policy declares these kinds): 2 Lease, 1 PodDisruptionBudget"
        ),
        "{text}"
    );
    let out = govkh(&[
        "check",
        "examples/",
        extra,
        "--now",
        "2026-11-26",
        "-o",
        "json",
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["summary"]["unjudgedKinds"],
        serde_json::json!({"Lease": 2, "PodDisruptionBudget": 1})
    );
    // The examples alone hold nothing unjudged: the field is left out.
    let (_, v) = json_check("2026-11-26");
    assert!(
        v["summary"].get("unjudgedKinds").is_none(),
        "{}",
        v["summary"]
    );
}

#[test]
fn timeout_takes_seconds_minutes_or_hours_and_refuses_nonsense() {
    use govkh::cli::parse_duration;
    use std::time::Duration;
    assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
    assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
    assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
    assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
    for bad in ["", "m", "1d", "1.5m", "-1", "0"] {
        assert!(parse_duration(bad).is_err(), "{bad}");
    }
    let with_budget =
        |b: &str| govkh(&["check", "examples/", "--now", "2026-11-26", "--timeout", b]);
    let out = with_budget("1d");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected a duration like 90s"));
    // A budget with time to spare changes nothing.
    let out = with_budget("10m");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_broken_file_checked_against_national_context_is_still_an_error() {
    // The context's findings are left out, but a checked file that did not load is the
    // checker's own problem: exit 2, not a pass.
    let dir = scratch("broken-in-context");
    std::fs::write(dir.join("broken.yaml"), "apiVersion: v1\nkind: [\n").unwrap();
    let broken = dir.join("broken.yaml");
    let out = govkh(&[
        "check",
        broken.to_str().unwrap(),
        "--inventory",
        "examples/",
        "--now",
        "2026-11-26",
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("invalid YAML"));
    // --cluster and --inventory are two sources of one context: not both.
    let out = govkh(&[
        "check",
        "examples/",
        "--cluster",
        "--inventory",
        "examples/",
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_report_that_could_not_judge_everything_is_written_and_exits_2() {
    let dir = scratch("report-errors");
    let out_file = dir.join("r.md");
    let out = govkh(&[
        "report",
        "/nonexistent",
        "-f",
        "md",
        "-o",
        out_file.to_str().unwrap(),
        "--as-of",
        "2026-11-26",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("could not be evaluated"));
    // Still written, counting the problem.
    let md = std::fs::read_to_string(&out_file).unwrap();
    assert!(md.contains("0 dry-run findings and 1 errors"), "{md}");
    // The examples judge cleanly: exit 0, denials being the report's content.
    let out = govkh(&["report", "examples/", "-f", "csv", "--as-of", "2026-11-26"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn text_output_puts_denials_before_warnings_within_a_ministry() {
    let out = govkh(&["check", "examples/", "--now", "2026-11-26"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let rank = |action: &str| {
        ["ERROR", "DENY", "WARN", "DRYRUN"]
            .iter()
            .position(|a| *a == action)
    };
    let mut last = 0;
    let mut moeys = Vec::new();
    let mut ministry = String::new();
    for line in text.lines() {
        if !line.starts_with(' ') && !line.is_empty() {
            ministry = line.to_string();
            last = 0;
        } else if let Some(r) = line.split_whitespace().next().and_then(rank)
            && line.starts_with("  ")
            && !line.starts_with("   ")
        {
            assert!(r >= last, "{ministry}: {line}\n{text}");
            last = r;
            if ministry == "moeys" {
                moeys.push(
                    line.split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_string(),
                );
            }
        }
    }
    // MoEYS has both: its denials (an Ingress, two links, an approval, the tenancy reaching
    // past its fence twice) before its warnings (its tenancy, an undeclared S3 bucket, an API
    // without its specification).
    assert_eq!(
        moeys,
        [
            "DENY", "DENY", "DENY", "DENY", "DENY", "DENY", "WARN", "WARN", "WARN"
        ],
        "{text}"
    );
}

#[test]
fn every_command_names_the_format_with_format_and_the_file_with_output() {
    let dir = scratch("flags");
    // check: -f is the format, -o the file (written atomically), as in report and policy list.
    let file = dir.join("findings.json");
    let out = govkh(&[
        "check",
        "examples/",
        "--now",
        "2026-11-26",
        "-f",
        "json",
        "-o",
        file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(v["schemaVersion"], "govkh.digital.gov.kh/check/v1");
    // `--as-of` and `--now` are one flag in both commands.
    let a = govkh(&["check", "examples/", "--as-of", "2026-11-26", "-f", "json"]);
    assert_eq!(a.status.code(), Some(1));
    let b = govkh(&["report", "examples/", "--now", "2026-11-26", "-f", "csv"]);
    let c = govkh(&["report", "examples/", "--as-of", "2026-11-26", "-f", "csv"]);
    assert_eq!(b.status.code(), Some(0));
    assert_eq!(b.stdout, c.stdout);
    // The old meaning of check's --output (the format) holds for a release, with a warning.
    let old = govkh(&[
        "check",
        "examples/",
        "--now",
        "2026-11-26",
        "--output",
        "sarif",
    ]);
    assert_eq!(old.status.code(), Some(1));
    let err = String::from_utf8_lossy(&old.stderr);
    assert!(err.contains("use `--format sarif`"), "{err}");
    let sarif: Value = serde_json::from_slice(&old.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    // The new flags say nothing of the sort.
    let new = govkh(&["check", "examples/", "--now", "2026-11-26", "-f", "sarif"]);
    assert!(
        new.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&new.stderr)
    );
    assert_eq!(new.stdout, old.stdout);
    // A file that cannot be written is an error, exit 2, and nothing on stdout.
    let bad = govkh(&[
        "check",
        "examples/",
        "--now",
        "2026-11-26",
        "-o",
        dir.join("no/such/dir/f.txt").to_str().unwrap(),
    ]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("cannot write"));
}

#[test]
fn text_output_says_how_to_fix_a_denial_and_what_the_law_fines() {
    let out = govkh(&["check", "examples/", "--now", "2026-11-26"]);
    let text = String::from_utf8_lossy(&out.stdout);
    // The snapshot copy of a top-secret volume: fix hint from the policy's metadata, the
    // penalty with its amounts for the data's level (Art. 40).
    let block: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.contains("VolumeSnapshot/moh-registry/registry-data-copy"))
        .take(5)
        .collect();
    assert!(
        block[2].trim_start().starts_with("to fix: delete the copy"),
        "{block:#?}"
    );
    assert_eq!(
        block[3].trim(),
        "penalty: Art. 40: up to 20,000,000 riels per natural person, 500,000,000 riels per legal person"
    );
    // States in words, not CamelCase, in the findings and the clock table; JSON keeps them.
    assert!(
        text.contains("[statutory-clock: application window missed]"),
        "{text}"
    );
    assert!(!text.contains("ApplicationWindowMissed"), "{text}");
    let (_, v) = json_check("2026-11-26");
    assert_eq!(state_of(&v, "nssf-claims"), "ApplicationWindowMissed");
    let snapshot = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["policy"] == "no-reproduction")
        .unwrap();
    assert!(
        snapshot["fix"]
            .as_str()
            .unwrap()
            .starts_with("delete the copy")
    );
}

#[test]
fn policy_list_prints_the_catalogue_with_header_and_amounts() {
    let out = govkh(&["policy", "list"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["ID", "ARTICLES", "SEVERITY", "ACTION", "TITLE"]);
    assert!(
        text.contains("penalty: Art. 38: up to 200,000 riels per person"),
        "{text}"
    );
    assert!(text.contains("20,000,000 (top-secret) / 10,000,000 (confidential)"));
    let json = govkh(&["policy", "list", "-f", "json"]);
    let v: Value = serde_json::from_slice(&json.stdout).unwrap();
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    // Every built-in policy, each with a fix hint.
    assert_eq!(
        ids.len(),
        govkh_core::policy::Library::builtin()
            .unwrap()
            .policies()
            .len(),
        "{ids:?}"
    );
    assert!(ids.len() >= 15, "{ids:?}");
    for p in v.as_array().unwrap() {
        assert!(p["fix"].as_str().is_some_and(|f| !f.is_empty()), "{p}");
    }
    let domain = v
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "official-domain")
        .unwrap();
    // Art. 38 fines "a person": neither natural nor legal.
    assert_eq!(domain["penalty"]["person"], 200000);
    assert!(domain["penalty"]["naturalPerson"].is_null(), "{domain}");
}

#[test]
fn check_as_a_user_judges_who_writes_what() {
    let file = "examples/workloads/moeys-satellite.yaml";
    let policies_of = |extra: &[&str]| {
        let mut args = vec![
            "check",
            file,
            "--inventory",
            "examples/",
            "--now",
            "2026-11-26",
            "-f",
            "json",
        ];
        args.extend_from_slice(extra);
        let v: Value = serde_json::from_slice(&govkh(&args).stdout).unwrap();
        let mut p: Vec<String> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["policy"].as_str().unwrap().to_string())
            .collect();
        p.sort();
        p
    };
    // No submitter: the policies of who writes what cannot judge (the audit's case).
    assert_eq!(policies_of(&[]), ["official-email", "private-network"]);
    // MoEYS's DTU filing its own link and its own request: as admission would, nothing more.
    assert_eq!(
        policies_of(&["--as-user", "dara@moeys.gov.kh", "--as-group", "moeys-dtu"]),
        ["official-email", "private-network"]
    );
    // GDT's DTU writing them in MoEYS's name: refused, both.
    assert_eq!(
        policies_of(&["--as-user", "sok@tax.gov.kh", "--as-group", "gdt-dtu"]),
        [
            "ministry-authority",
            "ministry-authority",
            "official-email",
            "private-network"
        ]
    );
    // The committee files no one's link.
    assert_eq!(
        policies_of(&[
            "--as-user",
            "chair@mptc.gov.kh",
            "--as-group",
            "digital-government-committee"
        ]),
        ["ministry-authority", "official-email", "private-network"]
    );
    // A request with a decision in it, from MoEYS's DTU: the decision is the committee's.
    let decided = std::env::temp_dir().join(format!("govkh-decided-{}.yaml", std::process::id()));
    std::fs::write(
        &decided,
        std::fs::read_to_string(root().join(file)).unwrap().replace(
            "    reason: Provincial schools have no fibre connection yet.",
            "    reason: Provincial schools have no fibre connection yet.\n  decision: {verdict: Approved, decidedOn: \"2026-10-16\", document: MOEYS/2026/1, reviewer: MoEYS}",
        ),
    )
    .unwrap();
    let v: Value = serde_json::from_slice(
        &govkh(&[
            "check",
            decided.to_str().unwrap(),
            "--inventory",
            "examples/",
            "--now",
            "2026-11-26",
            "-f",
            "json",
            "--as-user",
            "dara@moeys.gov.kh",
            "--as-group",
            "moeys-dtu",
        ])
        .stdout,
    )
    .unwrap();
    let _ = std::fs::remove_file(&decided);
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["policy"] == "approval-authority"),
        "{v:#}"
    );
}

#[test]
fn status_and_trace_say_when_the_cluster_cannot_be_reached() {
    for args in [
        &["status", "--kubeconfig", "/nonexistent/kubeconfig"][..],
        &[
            "trace",
            "ministry/mef",
            "--kubeconfig",
            "/nonexistent/kubeconfig",
        ][..],
    ] {
        let out = govkh(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("/nonexistent/kubeconfig"), "{args:?}: {err}");
        assert!(out.stdout.is_empty());
    }
    // A trace needs its target.
    assert_eq!(govkh(&["trace"]).status.code(), Some(2));
}

/// A policy that doubles a string seventeen times: 131 MB held at the end, and every step kept
/// (rule values are), quickly enough that the time limit does not come first.
fn hungry_policy(dir: &std::path::Path) {
    let rego = common::hungry_rego("warn", "\"Deployment\"", 17, "true");
    std::fs::create_dir_all(dir.join("hungry")).unwrap();
    std::fs::write(dir.join("hungry/policy.rego"), rego).unwrap();
}

/// `check` of one examples file (with the examples as context) under the policies of `dir`
/// alone, with `extra` arguments.
fn check_with_only(dir: &std::path::Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "check",
        "examples/workloads/mef-tax.yaml",
        "--inventory",
        "examples",
        "--policies",
        dir.to_str().unwrap(),
        "--no-builtin-policies",
        "--now",
        "2026-11-26",
    ];
    args.extend_from_slice(extra);
    govkh(&args)
}

#[test]
fn a_policy_past_the_memory_limit_is_an_error_finding_and_the_run_goes_on() {
    let dir = scratch("hungry-policy");
    hungry_policy(&dir);
    let out = check_with_only(&dir, &["--memory-limit", "100Mi"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("[hungry]") && text.contains("exceeded memory limit"),
        "{text}"
    );
    assert!(text.contains("limit=104857600 bytes"), "{text}");
    // The other objects of the file were still judged (by no policy: they are counted).
    assert!(text.contains("3 objects checked"), "{text}");
    // A limit too small to run at all, or not a size, is refused before anything is read.
    for bad in ["10Mi", "lots", "2Pi"] {
        let out = common::govkh(&["check", "examples", "--memory-limit", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("--memory-limit"), "{bad}: {stderr}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_policy_past_its_evaluations_budget_is_an_error_finding_naming_it() {
    let dir = scratch("hungry-evaluation");
    hungry_policy(&dir);
    // The process may hold 2 GiB (the default); the one evaluation, 16 MiB.
    let out = check_with_only(&dir, &["--evaluation-memory-limit", "16Mi"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("[hungry]")
            && text.contains("exceeded memory budget")
            && text.contains("budget=16777216 bytes"),
        "{text}"
    );
    assert!(text.contains("3 objects checked"), "{text}");
    for bad in ["512Ki", "lots", "2Pi"] {
        let out = common::govkh(&["check", "examples", "--evaluation-memory-limit", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("--evaluation-memory-limit"),
            "{bad}: {stderr}"
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn both_policy_engines_judge_alike_and_report_a_policy_error_with_its_line() {
    // The examples: the same findings from the RVM (the default) and the interpreter.
    let judged = |engine: &[&str]| {
        let (code, v) = json_check_with("2026-11-26", engine);
        assert_eq!(code, 1, "{engine:?}");
        (
            v["findings"].clone(),
            v["summary"]["findings"]["deny"].clone(),
        )
    };
    let default = judged(&[]);
    assert_eq!(default, judged(&["--policy-engine", "rvm"]));
    assert_eq!(default, judged(&["--policy-engine", "interpreter"]));
    assert_eq!(default.1, 14);
    // A policy that errs on an object: an error finding naming its file and line, whichever
    // engine runs it (the RVM reports the error; the interpreter words it).
    let dir = scratch("erring-policy");
    std::fs::create_dir_all(dir.join("erring")).unwrap();
    std::fs::write(
        dir.join("erring/policy.rego"),
        "package govkh.erring\n\nmetadata := {\"id\": \"erring\", \"title\": \"Errs\", \"articles\": [\"9\"], \"severity\": \"low\", \"action\": \"deny\", \"kinds\": [\"Deployment\"]}\n\nviolation contains {\"msg\": \"x\"} if { to_number(input.review.object.metadata.name) > 1 }\n",
    )
    .unwrap();
    for engine in ["rvm", "interpreter"] {
        let out = check_with_only(&dir, &["--policy-engine", engine]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(2), "{engine}: {text}");
        assert!(
            text.contains("[erring]") && text.contains("erring/policy.rego:5"),
            "{engine}: {text}"
        );
    }
    let out = govkh(&["check", "examples", "--policy-engine", "fast"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--policy-engine"));
    std::fs::remove_dir_all(dir).unwrap();
}

/// The policy flags belong to the commands that evaluate policies: `crds`, `rbac` and
/// `policy list` neither show nor take them.
#[test]
fn policy_flags_are_on_the_commands_that_evaluate_policies_only() {
    for cmd in [&["check"][..], &["report"], &["trace"], &["run"]] {
        let mut args = cmd.to_vec();
        args.push("--help");
        let out = govkh(&args);
        let help = String::from_utf8_lossy(&out.stdout);
        assert!(
            help.contains("--memory-limit") && help.contains("--policy-engine"),
            "{cmd:?}: {help}"
        );
    }
    for cmd in [&["crds"][..], &["rbac"], &["policy", "list"]] {
        let mut args = cmd.to_vec();
        args.push("--help");
        let help = String::from_utf8_lossy(&govkh(&args).stdout).into_owned();
        assert!(
            !help.contains("--memory-limit") && !help.contains("--policy-engine"),
            "{cmd:?} shows flags that mean nothing to it: {help}"
        );
        let mut args = cmd.to_vec();
        args.extend(["--policy-engine", "rvm"]);
        assert_eq!(
            govkh(&args).status.code(),
            Some(2),
            "{cmd:?} took --policy-engine"
        );
    }
}

#[test]
fn govkh_crds_prints_the_same_documents() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_govkh"))
        .arg("crds")
        .output()
        .unwrap();
    assert!(out.status.success());
    let printed = String::from_utf8(out.stdout).unwrap();
    for (file, _) in govkh_core::api::crdgen::all() {
        let stored = std::fs::read_to_string(root().join("crds").join(file)).unwrap();
        assert!(
            printed.contains(&stored),
            "`govkh crds` does not print crds/{file}"
        );
    }
}

/// `examples/README.md` shows `govkh check examples/ --now 2026-11-26` word for word, but for
/// the time taken; `GOVKH_UPDATE_EXAMPLES=1` writes the current output into it.
#[test]
fn the_examples_readme_shows_what_check_prints() {
    let out = common::govkh(&["check", "examples/", "--now", "2026-11-26"]);
    assert_eq!(out.status.code(), Some(1));
    let got = without_time(&String::from_utf8(out.stdout).unwrap());
    let path = root().join("examples/README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let heading = readme.find("## What `govkh check` reports").unwrap();
    let open = heading + readme[heading..].find("```text\n").unwrap() + "```text\n".len();
    let close = open + readme[open..].find("```\n").unwrap();
    if std::env::var_os("GOVKH_UPDATE_EXAMPLES").is_some() {
        let mut updated = readme[..open].to_string();
        updated += &String::from_utf8(
            common::govkh(&["check", "examples/", "--now", "2026-11-26"]).stdout,
        )
        .unwrap();
        updated += &readme[close..];
        std::fs::write(&path, updated).unwrap();
        return;
    }
    assert!(
        without_time(&readme[open..close]) == got,
        "examples/README.md differs from the output: rerun with GOVKH_UPDATE_EXAMPLES=1 and review the diff"
    );
}

/// The summary line's `(0.31 s)` removed: the only part that varies between runs.
fn without_time(text: &str) -> String {
    text.lines()
        .map(|l| match (l.contains("objects checked:"), l.rfind(" (")) {
            (true, Some(i)) if l.ends_with(" s)") => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn govkh_vap_prints_a_policy_and_a_binding_per_cel_twin_with_the_namespaces_it_is_given() {
    let out = common::govkh(&["vap", "--namespace", "gov-ops", "--exempt", "monitoring"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let docs: Vec<serde_json::Value> = serde_saphyr::from_multiple(&text).unwrap();
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    let twins = govkh_core::provision::admission_policies::twins().len();
    assert_eq!(kinds.len(), 2 * twins);
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == "ValidatingAdmissionPolicyBinding")
            .count(),
        twins
    );
    let placement = docs
        .iter()
        .find(|d| {
            d["kind"] == "ValidatingAdmissionPolicyBinding"
                && d["metadata"]["name"] == "govkh-data-placement"
        })
        .unwrap();
    let exempt =
        &placement["spec"]["matchResources"]["namespaceSelector"]["matchExpressions"][0]["values"];
    assert_eq!(
        exempt,
        &serde_json::json!([
            "kube-system",
            "kube-public",
            "kube-node-lease",
            "gov-ops",
            "monitoring"
        ])
    );
    assert_eq!(
        placement["spec"]["validationActions"],
        serde_json::json!(["Deny"])
    );
}

#[test]
fn apis_lists_the_register_as_a_table_and_as_json_and_names_bad_input() {
    let out = govkh(&["apis", "examples/"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        header,
        [
            "API",
            "MINISTRY",
            "EXPOSED-BY",
            "VERSIONS",
            "LIFECYCLE",
            "SPECIFICATION"
        ]
    );
    // By ministry: GDT's registered API, MoEYS's without a specification.
    let row = |i: usize| lines[i].split_whitespace().collect::<Vec<_>>();
    assert_eq!(
        row(1),
        [
            "tax-filing",
            "gdt",
            "gdt-api/Service/api-public",
            "v1,v2,v3",
            "stable",
            "https://api.tax.gov.kh/filing/openapi.json"
        ]
    );
    assert_eq!(
        row(2)[..5],
        [
            "elearning-courses",
            "moeys",
            "moeys-elearning/Ingress/elearning",
            "v1",
            "beta"
        ]
    );
    assert!(lines[2].ends_with("none (Art. 27)"), "{text}");
    let json = govkh(&["apis", "examples/", "-f", "json"]);
    let v: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        v[1]["specification"],
        serde_json::json!({"state": "missing"})
    );
    assert_eq!(v[0]["versions"], serde_json::json!(["v1", "v2", "v3"]));
    // A specification in a ConfigMap that is not there: in the register, and a finding of
    // `check` naming the ConfigMap.
    let dir = std::env::temp_dir().join(format!("govkh-apis-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("api.yaml"),
        "apiVersion: v1
kind: Service
metadata:
  name: records
  namespace: moh-records
  annotations:
    digital.gov.kh/api: hospital-records
    digital.gov.kh/api-specification: configmap:records-openapi
    digital.gov.kh/api-versions: v1
    digital.gov.kh/api-lifecycle: stable
spec: {ports: [{port: 443}]}
",
    )
    .unwrap();
    let api = dir.join("api.yaml");
    let api = api.to_str().unwrap();
    let out = govkh(&["apis", "examples/", api]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "configmap:records-openapi: ConfigMap moh-records/records-openapi does not exist"
        ),
        "{text}"
    );
    let check = govkh(&["check", "examples/", api, "--now", "2026-11-26"]);
    let found = String::from_utf8_lossy(&check.stdout);
    assert!(
        found.contains("[api-register]")
            && found.contains("ConfigMap moh-records/records-openapi does not exist"),
        "{found}"
    );
    // Unreadable input: named, exit 2.
    std::fs::write(dir.join("bad.yaml"), "kind: [").unwrap();
    let bad = govkh(&["apis", dir.join("bad.yaml").to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("bad.yaml"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The block of `doc` that opens after `heading` with the fence `fence` (```` ``` ```` or
/// ```` ```json ````): (where its text starts, where it ends).
fn block_after(doc: &str, heading: &str, fence: &str) -> (usize, usize) {
    let at = doc
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading:?}"));
    let open = at + doc[at..].find(fence).unwrap() + fence.len();
    let close = open + doc[open..].find("```\n").unwrap();
    (open, close)
}

/// docs/cli.md's examples are what the commands print on the examples: the `apis` table
/// word for word, and `check --format json`'s summary, finding fields and tenancy as they
/// are (the example's comments aside). `GOVKH_UPDATE_DOCS=1` rewrites the table and the
/// summary line.
#[test]
fn docs_cli_md_shows_what_the_commands_print() {
    let path = root().join("docs/cli.md");
    let mut doc = std::fs::read_to_string(&path).unwrap();
    let update = std::env::var_os("GOVKH_UPDATE_DOCS").is_some();
    // The register of APIs, as printed.
    let apis = String::from_utf8(common::govkh(&["apis", "examples/"]).stdout).unwrap();
    let (open, close) = block_after(&doc, "## `apis`", "```\n");
    if update {
        doc.replace_range(open..close, &apis);
    } else {
        assert_eq!(
            doc[open..close],
            apis,
            "docs/cli.md's apis table differs: rerun with GOVKH_UPDATE_DOCS=1"
        );
    }
    // check's JSON: the summary's counts (its duration aside) as printed.
    let out = common::govkh(&["check", "examples/", "--now", "2026-11-26", "-f", "json"]);
    let real: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let (open, close) = block_after(&doc, "## `check --format json`", "```json\n");
    let example = doc[open..close].to_string();
    let summary_at = example.find("  \"summary\": ").unwrap();
    let summary_end = summary_at + example[summary_at..].find('\n').unwrap();
    let f = &real["summary"]["findings"];
    let summary = format!(
        "  \"summary\": {{\"objects\": {}, \"findings\": {{\"deny\": {}, \"warn\": {}, \"dryrun\": {}, \"error\": {}}}, \"durationMs\": 283}},",
        real["summary"]["objects"], f["deny"], f["warn"], f["dryrun"], f["error"]
    );
    if update {
        doc.replace_range(open + summary_at..open + summary_end, &summary);
        std::fs::write(&path, doc).unwrap();
        return;
    }
    assert_eq!(
        &example[summary_at..summary_end],
        summary,
        "docs/cli.md's check JSON summary differs: rerun with GOVKH_UPDATE_DOCS=1"
    );
    // Every field the example's finding shows is a field findings have.
    let fields: Vec<&str> = example[example.find("\"findings\": [{").unwrap()..]
        .lines()
        .skip(1)
        .take_while(|l| !l.trim_start().starts_with("}]"))
        .filter_map(|l| l.trim_start().strip_prefix('"')?.split('"').next())
        .collect();
    assert!(fields.len() >= 10, "{fields:?}");
    let findings = real["findings"].as_array().unwrap();
    for field in fields {
        assert!(
            findings.iter().any(|x| x.get(field).is_some()),
            "docs/cli.md shows a finding field {field:?} that no finding has"
        );
    }
    // The tenancy shown is the examples' mef-workloads as printed.
    let shown = &example[example.find("\"tenancies\": [").unwrap() + "\"tenancies\": ".len()..];
    let shown: serde_json::Value =
        serde_json::from_str(&shown[..shown.rfind(']').unwrap() + 1]).unwrap();
    let printed = real["tenancies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "mef-workloads")
        .unwrap();
    assert_eq!(
        &shown[0], printed,
        "docs/cli.md's tenancy differs from check's"
    );
}
