//! The fence on a real API server (docs/authorization.md): every way around it tried as the
//! wrong user, and the lawful path of each role. Runs only when `GOVKH_E2E_KUBECONFIG` names a
//! disposable cluster; `tests/all.sh` and CI run it on the project's control plane:
//!
//! ```sh
//! controlplane/with.sh cargo test --test authz
//! ```
//!
//! Set up as the chart sets govkh up: `govkh run` as its own service account (a token of
//! `govkh-system/govkh`, bound to the generated ClusterRole only), its webhook registered
//! (`desired::webhook_configuration`: the fence's webhook always `Fail`), the admission policies
//! `govkh vap` prints installed, and the chart's ClusterRoles for people bound to the platform's,
//! the committee's and the DTUs' groups. Every request is made by `kubectl --as/--as-group`.
//!
//! - The lawful path: the platform writes the national objects and hands an existing namespace
//!   over; a ministry's DTU makes its own tenancy (govkh creates its namespace), link and grant,
//!   and files a request; the receiving ministry agrees to the link; the committee decides.
//! - Refused, each naming its rule and the requester's groups: a tenancy in another ministry's
//!   name, of kube-system, of another's namespace, of a namespace nobody handed over, an `adopt`
//!   by a DTU; the derived labels on a namespace; a link agreed to by its own source, into
//!   another's namespace, to addresses outside the private network; a grant of another's data,
//!   of top-secret data; a decision by a DTU; a DTU widening its ministry's groups; a ministry's
//!   DTU group `system:authenticated`; a deletion of another ministry's tenancy. A user in no
//!   role may not even read.
//! - What admission missed the reconcilers do not act on: a second tenancy of a namespace,
//!   admitted with the webhook unregistered, leaves it with its holder, and both say so.
//! - Deleting `deletionPolicy: Delete` tenancies removes the namespace govkh created and keeps
//!   the one handed over, with its data.
//! - With govkh stopped, the rules with CEL twins still refuse, naming their rule; the rest fail
//!   closed (the fence's webhook is `Fail`).
//! - Expiry: with the operator's clock started 45 s before midnight in Phnom Penh, a grant and an
//!   alternative link whose approval end that day close their paths within seconds of midnight.
//!
//! A custom harness (no libtest): without a cluster it prints one line and no "test result".
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::{
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use common::{
    cluster::{Operator, get, install_crds, kubectl, kubectl_with_stderr, wait_until},
    root,
};
use k8s_openapi::jiff::Timestamp;

/// govkh's namespace and service account, as the chart names them.
const NAMESPACE: &str = "govkh-system";
const OPERATOR: &str = "system:serviceaccount:govkh-system:govkh";
const PROBE: &str = "127.0.0.1:18081";
const WEBHOOK_ADDR: &str = "127.0.0.1:18444";
const WEBHOOK_URL: &str = "https://127.0.0.1:18444/validate";
const REGISTRATION: &str = "govkh-authz";
/// The ClusterRoles for people, as the chart names them for a release `govkh-authz`.
const ROLE_PREFIX: &str = "govkh-authz";

/// The people of the suite, as `kubectl` impersonation flags.
const PLATFORM: &[&str] = &["--as=platform@mptc.gov.kh", "--as-group=govkh-platform"];
const COMMITTEE: &[&str] = &[
    "--as=chair@dgc.gov.kh",
    "--as-group=digital-government-committee",
];
const MOEYS: &[&str] = &["--as=dara@moeys.gov.kh", "--as-group=moeys-dtu"];
const MEF: &[&str] = &["--as=sok@mef.gov.kh", "--as-group=mef-dtu"];
const NOBODY: &[&str] = &["--as=visitor@example.com"];
/// Whoever cleans up: the platform and the committee at once.
const CLEANER: &[&str] = &[
    "--as=authz-cleanup",
    "--as-group=system:masters",
    "--as-group=govkh-platform",
    "--as-group=digital-government-committee",
];

struct Suite {
    kubeconfig: PathBuf,
    dir: PathBuf,
}

impl Suite {
    /// Write `yaml` to a file and `kubectl apply` it as `user`; the output or the refusal.
    fn apply(&self, name: &str, yaml: &str, user: &[&str]) -> Result<String, String> {
        let file = self.dir.join(format!("{name}.yaml"));
        std::fs::write(&file, yaml).map_err(|e| e.to_string())?;
        let mut args = vec!["apply", "-f", file.to_str().unwrap()];
        args.extend_from_slice(user);
        kubectl_with_stderr(&self.kubeconfig, &args).map(|(o, e)| format!("{o}{e}"))
    }

    /// `kubectl ARGS` as `user`.
    fn run(&self, args: &[&str], user: &[&str]) -> Result<String, String> {
        let mut all = args.to_vec();
        all.extend_from_slice(user);
        kubectl(&self.kubeconfig, &all)
    }

    /// `kubectl ARGS` as the suite's admin.
    fn admin(&self, args: &[&str]) -> Result<String, String> {
        kubectl(&self.kubeconfig, args)
    }

    /// A JSONPath of one object, as the admin reads it.
    fn read(&self, what: &[&str], path: &str) -> Result<String, String> {
        let mut args = vec!["get"];
        args.extend_from_slice(what);
        let jsonpath = format!("jsonpath={path}");
        args.extend_from_slice(&["-o", &jsonpath]);
        self.admin(&args)
    }
}

/// A request that must be refused, the refusal naming `rule`, and (`groups`, when given) the
/// requester's groups.
fn refused(
    what: &str,
    result: Result<String, String>,
    rule: &str,
    groups: &str,
) -> Result<(), String> {
    match result {
        Ok(out) => Err(format!("{what}: admitted: {out}")),
        Err(e) if e.contains(&format!("[{rule}]")) && e.contains(groups) => Ok(()),
        Err(e) => Err(format!(
            "{what}: refused, but not by [{rule}] naming {groups:?}: {e}"
        )),
    }
}

/// A request that must be admitted.
fn admitted(what: &str, result: Result<String, String>) -> Result<(), String> {
    result
        .map(|_| ())
        .map_err(|e| format!("{what}: refused: {e}"))
}

/// Wait (a minute at most) until `check` holds.
async fn eventually<F>(what: &str, mut check: F) -> Result<(), String>
where
    F: FnMut() -> Result<(), String>,
{
    wait_until(
        what,
        Duration::from_secs(90),
        Duration::from_secs(1),
        || {
            let r = check();
            async move { r }
        },
    )
    .await
}

/// The condition `type_` of a govkh object: (status, reason, message).
fn condition(
    s: &Suite,
    kind: &str,
    name: &str,
    type_: &str,
) -> Result<(String, String, String), String> {
    let q = |field: &str| {
        s.read(
            &[kind, name],
            &format!("{{.status.conditions[?(@.type==\"{type_}\")].{field}}}"),
        )
    };
    Ok((q("status")?, q("reason")?, q("message")?))
}

// === Set-up: as the chart sets govkh up ===

/// The service account's RBAC (the generated ClusterRole) and the people's roles (the chart's
/// generated ClusterRoles, bound to the platform's, committee's and DTUs' groups).
fn install_rbac(s: &Suite) -> Result<(), String> {
    let files = root().join("charts/govkh/files");
    let rules = |f: &str| std::fs::read_to_string(files.join(f)).map_err(|e| e.to_string());
    let mut yaml = format!(
        "apiVersion: v1
kind: Namespace
metadata: {{name: {NAMESPACE}}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {{name: govkh, namespace: {NAMESPACE}}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: {ROLE_PREFIX}}}
rules:
{}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: {ROLE_PREFIX}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {ROLE_PREFIX}}}
subjects: [{{kind: ServiceAccount, name: govkh, namespace: {NAMESPACE}}}]
",
        rules("clusterrole-rules.yaml")?
    );
    for (role, groups) in [
        ("platform", "[govkh-platform]"),
        ("committee", "[digital-government-committee]"),
        (
            "ministry",
            "[moeys-dtu, mef-dtu, moh-dtu, gdt-dtu, mptc-dtu, nssf-dtu, moi-dtu]",
        ),
        ("view", ""),
    ] {
        yaml.push_str(&format!(
            "---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: {ROLE_PREFIX}-{role}}}
rules:
{}",
            rules(&format!("role-{role}-rules.yaml"))?
        ));
        if !groups.is_empty() {
            let subjects: Vec<String> = groups
                .trim_matches(['[', ']'])
                .split(", ")
                .map(|g| format!("{{apiGroup: rbac.authorization.k8s.io, kind: Group, name: {g}}}"))
                .collect();
            yaml.push_str(&format!(
                "---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: {ROLE_PREFIX}-{role}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {ROLE_PREFIX}-{role}}}
subjects: [{}]
",
                subjects.join(", ")
            ));
        }
    }
    s.apply("rbac", &yaml, &[]).map(|_| ())
}

/// A kubeconfig of the service account `govkh-system/govkh` (a token from the TokenRequest
/// API), against the same API server.
fn service_account_kubeconfig(s: &Suite) -> Result<PathBuf, String> {
    let token = s.admin(&["create", "token", "govkh", "-n", NAMESPACE, "--duration=3h"])?;
    let server = s.admin(&[
        "config",
        "view",
        "--raw",
        "--minify",
        "-o",
        "jsonpath={.clusters[0].cluster.server}",
    ])?;
    let ca = s.admin(&[
        "config",
        "view",
        "--raw",
        "--minify",
        "-o",
        "jsonpath={.clusters[0].cluster.certificate-authority-data}",
    ])?;
    let path = s.dir.join("govkh-sa.kubeconfig");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1
kind: Config
clusters: [{{name: authz, cluster: {{server: {server}, certificate-authority-data: {ca}}}}}]
users: [{{name: govkh, user: {{token: {}}}}}]
contexts: [{{name: govkh, context: {{cluster: authz, user: govkh}}}}]
current-context: govkh
",
            token.trim()
        ),
    )
    .map_err(|e| e.to_string())?;
    Ok(path)
}

/// `govkh run` as its service account, serving its webhook on loopback (registered by the suite).
fn start_operator(
    s: &Suite,
    kubeconfig: &Path,
    log: &str,
    clock_start: Option<&str>,
) -> Result<Operator, String> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_govkh"));
    cmd.args([
        "run",
        "--probe-addr",
        PROBE,
        "--audit-interval",
        "10",
        "--log-format",
        "json",
        "--identity",
        "authz",
        "--webhook-addr",
        WEBHOOK_ADDR,
        "--platform-group",
        "govkh-platform",
        "--committee-group",
        "digital-government-committee",
        "--operator-user",
        OPERATOR,
    ])
    .arg("--tls-cert-file")
    .arg(s.dir.join("tls.crt"))
    .arg("--tls-key-file")
    .arg(s.dir.join("tls.key"))
    .arg("--kubeconfig")
    .arg(kubeconfig);
    if let Some(start) = clock_start {
        cmd.args(["--clock-start", start]);
    }
    Ok(Operator(
        cmd.stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(s.dir.join(log)).map_err(|e| e.to_string())?,
            ))
            .spawn()
            .map_err(|e| format!("cannot start govkh run: {e}"))?,
    ))
}

async fn wait_ready() -> Result<(), String> {
    wait_until(
        "govkh /readyz",
        Duration::from_secs(180),
        Duration::from_secs(1),
        || async {
            let out = get(PROBE, "/readyz").await?;
            out.starts_with("HTTP/1.1 200")
                .then_some(())
                .ok_or(out.lines().next().unwrap_or_default().to_string())
        },
    )
    .await
}

/// Register the webhook as the chart does (the fence's webhook always Fail), by URL.
fn register(s: &Suite) -> Result<(), String> {
    let ca = std::fs::read(s.dir.join("tls.crt")).map_err(|e| e.to_string())?;
    let config =
        govkh_core::provision::desired::webhook_configuration(REGISTRATION, WEBHOOK_URL, &ca);
    let file = s.dir.join("webhook.json");
    std::fs::write(
        &file,
        serde_json::to_vec(&config).map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    s.admin(&["apply", "-f", file.to_str().unwrap()])
        .map(|_| ())
}

/// The admission policies `govkh vap` prints for this installation.
fn install_policies(s: &Suite) -> Result<PathBuf, String> {
    let out = Command::new(env!("CARGO_BIN_EXE_govkh"))
        .args(["vap", "--namespace", NAMESPACE, "--operator-user", OPERATOR])
        .output()
        .map_err(|e| format!("cannot run govkh vap: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "govkh vap: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let file = s.dir.join("admission-policies.yaml");
    std::fs::write(&file, &out.stdout).map_err(|e| e.to_string())?;
    let (_, warnings) =
        kubectl_with_stderr(&s.kubeconfig, &["apply", "-f", file.to_str().unwrap()])?;
    if warnings.contains("Warning") {
        return Err(format!(
            "the API server warned about the policies: {warnings}"
        ));
    }
    Ok(file)
}

// === The objects of the suite ===

fn tenancy(name: &str, ministry: &str, namespaces: &str, deletion: &str) -> String {
    format!(
        "apiVersion: digital.gov.kh/v1alpha1
kind: CloudTenancy
metadata: {{name: {name}}}
spec:
  ministry: {ministry}
  placement: government-private
  deletionPolicy: {deletion}
  namespaces: {namespaces}
"
    )
}

fn link(name: &str, from: &str, to: &str, extra: &str) -> String {
    format!(
        "apiVersion: digital.gov.kh/v1alpha1
kind: PrivateNetworkLink
metadata: {{name: {name}}}
spec:
  from: {from}
  to: {to}
  ports: [{{protocol: TCP, port: 5432}}]
{extra}"
    )
}

fn grant(name: &str, owner: &str, class: &str, namespaces: &str, until: &str) -> String {
    format!(
        "apiVersion: digital.gov.kh/v1alpha1
kind: DataAccessGrant
metadata: {{name: {name}}}
spec:
  owner: {owner}
  grantee: {{ministry: moeys}}
  dataClass: {class}
  namespaces: {namespaces}
  dataTypes: [exam results]
  reason: scholarship budget
  authorizedBy: owner-ministry
  document: MEF/2026/500
  validFrom: \"2026-01-01\"
  validUntil: \"{until}\"
  access: {{ports: [{{protocol: TCP, port: 5432}}]}}
"
    )
}

// === The steps ===

/// The platform writes the national objects; a user in no role reads nothing.
fn national(s: &Suite) -> Result<(), String> {
    for f in [
        "00-government-cloud.yaml",
        "01-data-classes.yaml",
        "02-ministries.yaml",
    ] {
        let path = root().join("examples").join(f);
        admitted(
            &format!("the platform applies {f}"),
            s.run(&["apply", "-f", path.to_str().unwrap()], PLATFORM),
        )?;
    }
    let can = s.run(
        &["auth", "can-i", "list", "cloudtenancies.digital.gov.kh"],
        NOBODY,
    );
    match can {
        Err(e) if e.contains("no") => Ok(()),
        Ok(out) if out.trim() == "no" => Ok(()),
        other => Err(format!("a user in no role may list tenancies: {other:?}")),
    }
}

/// The lawful path of each role, and its effect.
async fn lawful(s: &Suite) -> Result<(), String> {
    // A namespace made outside govkh, with data in it, that the platform hands to MoEYS.
    s.admin(&["create", "namespace", "authz-legacy"])?;
    s.admin(&[
        "create",
        "configmap",
        "ledger",
        "-n",
        "authz-legacy",
        "--from-literal=balance=1",
    ])?;
    s.admin(&["create", "namespace", "authz-victim"])?;
    s.admin(&[
        "create",
        "configmap",
        "ledger",
        "-n",
        "authz-victim",
        "--from-literal=balance=2",
    ])?;
    admitted(
        "MoEYS's DTU makes its own tenancy",
        s.apply(
            "moeys-authz",
            &tenancy(
                "moeys-authz",
                "moeys",
                "[{name: moeys-authz-app, dataClass: confidential}]",
                "Delete",
            ),
            MOEYS,
        ),
    )?;
    admitted(
        "MEF's DTU makes its own tenancy",
        s.apply(
            "mef-authz",
            &tenancy(
                "mef-authz",
                "mef",
                "[{name: mef-authz-data, dataClass: confidential}]",
                "Retain",
            ),
            MEF,
        ),
    )?;
    admitted(
        "the platform hands authz-legacy over to MoEYS",
        s.apply(
            "moeys-legacy",
            &tenancy(
                "moeys-legacy",
                "moeys",
                "[{name: authz-legacy, dataClass: open, adopt: true}]",
                "Delete",
            ),
            PLATFORM,
        ),
    )?;
    eventually("govkh made moeys-authz-app for its tenancy", || {
        let made = s.read(&["namespace", "moeys-authz-app"], "{.metadata.annotations.digital\\.gov\\.kh/created-by} {.metadata.labels.digital\\.gov\\.kh/tenancy} {.metadata.ownerReferences[0].name}")?;
        (made == "moeys-authz moeys-authz moeys-authz").then_some(()).ok_or(made)
    })
    .await?;
    eventually("authz-legacy is MoEYS's, handed over and not owned", || {
        let got = s.read(&["namespace", "authz-legacy"], "{.metadata.labels.digital\\.gov\\.kh/tenancy}|{.metadata.labels.digital\\.gov\\.kh/ministry}|{.metadata.ownerReferences}|{.metadata.annotations.digital\\.gov\\.kh/created-by}")?;
        (got == "moeys-legacy|moeys||").then_some(()).ok_or(got)
    })
    .await?;
    eventually("MoEYS's DTU administers its namespace", || {
        let subjects = s.read(
            &["rolebinding", "govkh-dtu-admin", "-n", "moeys-authz-app"],
            "{.subjects[*].name}",
        )?;
        (subjects == "moeys-dtu").then_some(()).ok_or(subjects)
    })
    .await?;
    // MEF grants MoEYS its confidential data; MoEYS links to it, opened only once MEF agrees.
    admitted(
        "MEF's DTU grants MoEYS its data",
        s.apply(
            "mef-to-moeys",
            &grant(
                "mef-to-moeys",
                "mef",
                "confidential",
                "[mef-authz-data]",
                "2099-12-31",
            ),
            MEF,
        ),
    )?;
    eventually("the grant is active (and in the webhook's index)", || {
        let state = s.read(&["dag", "mef-to-moeys"], "{.status.state}")?;
        (state == "Active").then_some(()).ok_or(state)
    })
    .await?;
    admitted(
        "MoEYS's DTU links to MEF",
        s.apply(
            "moeys-to-mef",
            &link(
                "moeys-to-mef",
                "{ministry: moeys, namespaces: [moeys-authz-app]}",
                "{ministry: mef, namespaces: [mef-authz-data]}",
                "  network: government-private\n",
            ),
            MOEYS,
        ),
    )?;
    eventually("the link waits for MEF's agreement", || {
        let state = s.read(&["pnl", "moeys-to-mef"], "{.status.state}")?;
        (state == "AwaitingAcceptance").then_some(()).ok_or(state)
    })
    .await?;
    if s.read(
        &["networkpolicy", "-n", "mef-authz-data"],
        "{.items[*].metadata.name}",
    )?
    .contains("govkh-link-moeys-to-mef")
    {
        return Err("MEF's side was opened before it agreed".into());
    }
    let generation = s.read(&["pnl", "moeys-to-mef"], "{.metadata.generation}")?;
    admitted(
        "MEF's DTU agrees to the link",
        s.run(
            &[
                "annotate",
                "pnl",
                "moeys-to-mef",
                &format!("digital.gov.kh/accepted-generation={generation}"),
            ],
            MEF,
        ),
    )?;
    eventually(
        "the agreed link is established into MEF's namespace",
        || {
            let state = s.read(&["pnl", "moeys-to-mef"], "{.status.state}")?;
            let policies = s.read(
                &["networkpolicy", "-n", "mef-authz-data"],
                "{.items[*].metadata.name}",
            )?;
            (state == "Established" && policies.contains("govkh-link-moeys-to-mef"))
                .then_some(())
                .ok_or(format!("{state}: {policies}"))
        },
    )
    .await?;
    eventually("the grant opens its path", || {
        let state = s.read(&["dag", "mef-to-moeys"], "{.status.state}")?;
        let policies = s.read(
            &["networkpolicy", "-n", "mef-authz-data"],
            "{.items[*].metadata.name}",
        )?;
        (state == "Active" && policies.contains("govkh-grant-mef-to-moeys"))
            .then_some(())
            .ok_or(format!("{state}: {policies}"))
    })
    .await?;
    // The policies are applied under the link's and the grant's own field managers.
    let managers = s.admin(&[
        "get",
        "networkpolicy",
        "govkh-link-moeys-to-mef",
        "-n",
        "mef-authz-data",
        "--show-managed-fields",
        "-o",
        "jsonpath={.metadata.managedFields[*].manager}",
    ])?;
    if !managers.contains("govkh/privatenetworklink/moeys-to-mef") {
        return Err(format!(
            "the link's policy is not its own field manager's: {managers}"
        ));
    }
    // MoEYS files its request; the committee decides.
    let request = "apiVersion: digital.gov.kh/v1alpha1
kind: Approval
metadata: {name: moeys-authz-request}
spec:
  subject: {kind: CloudTenancy, name: moeys-authz}
  article: \"10\"
  request: {requestedOn: \"2026-04-20\", requestedBy: dtu@moeys.gov.kh, document: MOEYS/DTU/2026/500}
";
    admitted(
        "MoEYS's DTU files its request",
        s.apply("request", request, MOEYS),
    )?;
    let decided = format!(
        "{request}  decision: {{verdict: Denied, decidedOn: \"2026-05-01\", document: DGC/2026/500, reviewer: Digital Government Committee}}\n"
    );
    admitted(
        "the committee decides",
        s.apply("decided", &decided, COMMITTEE),
    )?;
    Ok(())
}

/// Every way around the fence, as the wrong user: each refused, naming its rule.
fn refusals(s: &Suite) -> Vec<Result<(), String>> {
    let dtu = "moeys-dtu";
    vec![
        refused(
            "MoEYS writes a tenancy in MEF's name",
            s.apply("r-mef-name", &tenancy("mef-by-moeys", "mef", "[{name: mef-by-moeys}]", "Retain"), MOEYS),
            "ministry-authority",
            dtu,
        ),
        refused(
            "MoEYS's tenancy of kube-system",
            s.apply("r-kube-system", &tenancy("moeys-kube", "moeys", "[{name: kube-system}]", "Delete"), MOEYS),
            "reserved-namespaces",
            "kube-system",
        ),
        refused(
            "MoEYS's tenancy of govkh's own namespace",
            s.apply("r-govkh", &tenancy("moeys-govkh", "moeys", "[{name: govkh-system}]", "Retain"), MOEYS),
            "reserved-namespaces",
            "govkh-system",
        ),
        refused(
            "MoEYS's tenancy of MEF's namespace",
            s.apply("r-mef-ns", &tenancy("moeys-grab", "moeys", "[{name: mef-authz-data}]", "Retain"), MOEYS),
            "namespace-claims",
            "mef-authz",
        ),
        refused(
            "MoEYS's tenancy of a namespace nobody handed over",
            s.apply("r-victim", &tenancy("moeys-victim", "moeys", "[{name: authz-victim}]", "Delete"), MOEYS),
            "namespace-claims",
            "only the platform can hand it over",
        ),
        refused(
            "MoEYS's DTU hands a namespace over to itself",
            s.apply("r-adopt", &tenancy("moeys-adopt", "moeys", "[{name: authz-victim, adopt: true}]", "Retain"), MOEYS),
            "platform-authority",
            dtu,
        ),
        refused(
            "a second tenancy of MoEYS's own namespace",
            s.apply("r-twice", &tenancy("moeys-twice", "moeys", "[{name: moeys-authz-app}]", "Retain"), MOEYS),
            "namespace-claims",
            "moeys-authz",
        ),
        refused(
            "the cluster's admin labels a namespace MoEYS's",
            s.admin(&["label", "namespace", "authz-victim", "digital.gov.kh/ministry=moeys"]),
            "derived-labels",
            "system:masters",
        ),
        refused(
            "the cluster's admin declassifies MEF's namespace",
            s.admin(&["label", "--overwrite", "namespace", "mef-authz-data", "digital.gov.kh/data-class=open"]),
            "derived-labels",
            "digital.gov.kh/",
        ),
        refused(
            "MoEYS agrees to its own link in MEF's place",
            s.run(&["annotate", "--overwrite", "pnl", "moeys-to-mef", "digital.gov.kh/accepted-generation=9"], MOEYS),
            "ministry-authority",
            dtu,
        ),
        refused(
            "MEF, agreeing, changes the link's terms",
            s.run(&["patch", "pnl", "moeys-to-mef", "--type=merge", "-p", r#"{"spec":{"ports":[{"protocol":"TCP","port":22}]}}"#], MEF),
            "ministry-authority",
            "mef-dtu",
        ),
        refused(
            "MoEYS links from MEF's namespace as its own",
            s.apply("r-link-from", &link("moeys-from-mef", "{ministry: moeys, namespaces: [mef-authz-data]}", "{ministry: mef}", "  network: government-private\n"), MOEYS),
            "path-ownership",
            "mef-authz-data",
        ),
        refused(
            "MoEYS links to addresses outside the private network",
            s.apply("r-link-out", &link("moeys-out", "{ministry: moeys}", "{cidrs: [\"0.0.0.0/0\"]}", "  network: government-private\n"), MOEYS),
            "path-ownership",
            "0.0.0.0/0",
        ),
        refused(
            "MoEYS grants itself MEF's data",
            s.apply("r-grant", &grant("mef-to-moeys-self", "mef", "confidential", "[mef-authz-data]", "2099-12-31"), MOEYS),
            "ministry-authority",
            dtu,
        ),
        refused(
            "MoEYS grants MEF's data to the public",
            s.apply(
                "r-public",
                &grant("mef-to-the-public", "mef", "confidential", "[mef-authz-data]", "2099-12-31")
                    .replace("grantee: {ministry: moeys}", "grantee: {public: true}")
                    .replace("  access: {ports: [{protocol: TCP, port: 5432}]}\n", ""),
                MOEYS,
            ),
            "ministry-authority",
            dtu,
        ),
        refused(
            "MEF grants top-secret data",
            s.apply("r-top-secret", &grant("mef-secret", "mef", "top-secret", "[mef-authz-data]", "2099-12-31"), MEF),
            "no-dissemination",
            "top-secret",
        ),
        refused(
            "MoEYS decides its own request",
            s.run(&["patch", "approval", "moeys-authz-request", "--type=merge", "-p", r#"{"spec":{"decision":{"verdict":"Approved","decidedOn":"2026-05-02","document":"MOEYS/1","reviewer":"MoEYS"}}}"#], MOEYS),
            "approval-authority",
            dtu,
        ),
        refused(
            "MoEYS widens the groups that act in its name",
            s.run(&["patch", "ministry", "moeys", "--type=merge", "-p", r#"{"spec":{"digitalTransformationUnit":{"groups":["moeys-dtu","contractors"]}}}"#], MOEYS),
            "platform-authority",
            dtu,
        ),
        refused(
            "MoEYS deletes MEF's tenancy",
            s.run(&["delete", "cloudtenancy", "mef-authz", "--wait=false"], MOEYS),
            "ministry-authority",
            dtu,
        ),
        match s.run(&["patch", "ministry", "moeys", "--type=merge", "-p", r#"{"spec":{"digitalTransformationUnit":{"groups":["system:authenticated"]}}}"#], PLATFORM) {
            Err(e) if e.contains("cannot be a system: group") => Ok(()),
            other => Err(format!("a DTU group system:authenticated: {other:?}")),
        },
        admitted(
            "MoEYS's DTU amends its own Ministry's name",
            s.run(&["patch", "ministry", "moeys", "--type=merge", "-p", r#"{"spec":{"displayName":"Ministry of Education, Youth and Sport"}}"#], MOEYS),
        ),
    ]
}

/// A second tenancy of a namespace, admitted while the webhook is unregistered: the namespace
/// stays with its holder, untouched, and both tenancies say so.
async fn conflict(s: &Suite) -> Result<(), String> {
    s.admin(&["delete", "validatingwebhookconfiguration", REGISTRATION])?;
    // The VAPs do not judge this (no twin decides a conflict): the admin may create it.
    let created = s.apply(
        "conflicting",
        &tenancy(
            "moeys-rival",
            "moeys",
            "[{name: moeys-authz-app}]",
            "Delete",
        ),
        &[],
    );
    register(s)?;
    created?;
    eventually("both tenancies report the conflict", || {
        let (st, reason, msg) = condition(s, "ct", "moeys-rival", "NamespacesClaimed")?;
        let (hst, hreason, hmsg) = condition(s, "ct", "moeys-authz", "NamespacesClaimed")?;
        (st == "False"
            && reason == "NamespaceConflict"
            && msg.contains("moeys-authz")
            && hst == "False"
            && hreason == "NamespaceConflict"
            && hmsg.contains("moeys-rival"))
        .then_some(())
        .ok_or(format!(
            "rival {st} {reason} {msg}; holder {hst} {hreason} {hmsg}"
        ))
    })
    .await?;
    let holder = s.read(
        &["namespace", "moeys-authz-app"],
        "{.metadata.labels.digital\\.gov\\.kh/tenancy} {.metadata.ownerReferences[*].name}",
    )?;
    if holder != "moeys-authz moeys-authz" {
        return Err(format!("the second tenancy took the namespace: {holder}"));
    }
    s.run(
        &[
            "delete",
            "ct",
            "moeys-rival",
            "--wait=true",
            "--timeout=60s",
        ],
        CLEANER,
    )
    .map(|_| ())?;
    if s.admin(&["get", "namespace", "moeys-authz-app", "-o", "name"])
        .is_err()
    {
        return Err(
            "deleting the rival (deletionPolicy Delete) deleted a namespace it never held".into(),
        );
    }
    Ok(())
}

/// Deleting the `Delete` tenancies: the namespace govkh created goes, the one handed over stays
/// with its data, released.
async fn deletion(s: &Suite) -> Result<(), String> {
    s.run(
        &[
            "delete",
            "ct",
            "moeys-legacy",
            "moeys-authz",
            "--wait=true",
            "--timeout=90s",
        ],
        MOEYS,
    )?;
    eventually(
        "the namespace govkh created is deleted with its tenancy",
        || match s.admin(&[
            "get",
            "namespace",
            "moeys-authz-app",
            "-o",
            "jsonpath={.status.phase}",
        ]) {
            Err(e) if e.contains("NotFound") || e.contains("not found") => Ok(()),
            Ok(phase) if phase == "Terminating" => Ok(()),
            other => Err(format!("{other:?}")),
        },
    )
    .await?;
    let kept = s.read(
        &["namespace", "authz-legacy"],
        "{.metadata.labels.digital\\.gov\\.kh/orphaned}|{.metadata.ownerReferences}",
    )?;
    if kept != "true|" {
        return Err(format!(
            "the handed-over namespace after its tenancy: {kept}"
        ));
    }
    let data = s.read(
        &["configmap", "ledger", "-n", "authz-legacy"],
        "{.data.balance}",
    )?;
    (data == "1")
        .then_some(())
        .ok_or(format!("the handed-over namespace's data: {data:?}"))
}

/// A request a step makes, again when retried.
type Request<'a> = Box<dyn Fn() -> Result<String, String> + 'a>;

/// With govkh stopped: what CEL decides is still refused, naming its rule; the rest fails closed.
async fn webhook_stopped(s: &Suite) -> Vec<Result<(), String>> {
    let cases: Vec<(&str, Request<'_>, &str)> = vec![
        (
            "a tenancy of kube-system",
            Box::new(|| {
                s.apply(
                    "d-kube",
                    &tenancy("moeys-kube2", "moeys", "[{name: kube-system}]", "Delete"),
                    MOEYS,
                )
            }),
            "reserved-namespaces",
        ),
        (
            "an adopt by a DTU",
            Box::new(|| {
                s.apply(
                    "d-adopt",
                    &tenancy(
                        "moeys-adopt2",
                        "moeys",
                        "[{name: authz-victim, adopt: true}]",
                        "Retain",
                    ),
                    MOEYS,
                )
            }),
            "platform-authority",
        ),
        (
            "a namespace labelled by hand",
            Box::new(|| {
                s.admin(&[
                    "label",
                    "namespace",
                    "authz-victim",
                    "digital.gov.kh/ministry=moeys",
                ])
            }),
            "derived-labels",
        ),
        (
            "a decision by a DTU",
            Box::new(|| {
                s.run(&["patch", "approval", "moeys-authz-request", "--type=merge", "-p", r#"{"spec":{"decision":{"verdict":"Approved","decidedOn":"2026-05-03","document":"MOEYS/2","reviewer":"MoEYS"}}}"#], MOEYS)
            }),
            "approval-authority",
        ),
        (
            "a DTU widening its groups",
            Box::new(|| {
                s.run(
                    &[
                        "patch",
                        "ministry",
                        "mef",
                        "--type=merge",
                        "-p",
                        r#"{"spec":{"digitalTransformationUnit":{"groups":["mef-dtu","x"]}}}"#,
                    ],
                    MEF,
                )
            }),
            "platform-authority",
        ),
    ];
    let mut out = Vec::new();
    for (what, request, rule) in cases {
        // Each policy is loaded by the API server on its own: retried for a minute.
        let start = Instant::now();
        let result = loop {
            let r = refused(what, request(), rule, "");
            if r.is_ok() || start.elapsed() > Duration::from_secs(60) {
                break r;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        };
        out.push(result.map_err(|e| format!("webhook stopped: {e}")));
    }
    // A lawful request: no rule refuses it, and nobody judged it: refused all the same.
    out.push(
        match s.apply(
            "d-lawful",
            &tenancy("moeys-later", "moeys", "[{name: moeys-later}]", "Delete"),
            MOEYS,
        ) {
            Err(e) if e.contains("failed calling webhook") => Ok(()),
            other => Err(format!(
                "a lawful tenancy with govkh stopped: {other:?} (the fence's webhook fails closed)"
            )),
        },
    );
    out
}

/// How long before midnight (Phnom Penh) the operator's clock starts in the expiry step: time
/// for it to start, read the cluster and open the paths.
const BEFORE_MIDNIGHT: i64 = 45;

/// Expiry: the objects written while `running` runs; then the operator started again with its
/// clock `BEFORE_MIDNIGHT` s before midnight in Phnom Penh: a grant and an approval that end
/// today close their paths at midnight.
async fn expiry(s: &Suite, sa: &Path, running: Operator) -> Result<(), String> {
    let now = Timestamp::now();
    let today = govkh_core::api::Day::in_phnom_penh(now);
    let midnight = today.next().start();
    let start = midnight
        .checked_sub(k8s_openapi::jiff::SignedDuration::from_secs(
            BEFORE_MIDNIGHT,
        ))
        .map_err(|e| e.to_string())?;
    admitted(
        "MEF's DTU grants MoEYS its data until today",
        s.apply(
            "ending-grant",
            &grant(
                "mef-ends-today",
                "mef",
                "confidential",
                "[mef-authz-data]",
                &today.to_string(),
            ),
            MEF,
        ),
    )?;
    let approval = format!(
        "apiVersion: digital.gov.kh/v1alpha1
kind: Approval
metadata: {{name: mef-microwave-authz}}
spec:
  subject: {{kind: PrivateNetworkLink, name: mef-microwave-authz}}
  article: \"9\"
  request: {{requestedOn: \"2026-04-20\", requestedBy: dtu@mef.gov.kh, document: MEF/DTU/2026/501}}
  decision: {{verdict: Approved, decidedOn: \"2026-05-01\", document: DGC/2026/501, reviewer: Digital Government Committee}}
  validUntil: \"{today}\"
"
    );
    admitted(
        "the committee approves a microwave link until today",
        s.apply("ending-approval", &approval, COMMITTEE),
    )?;
    admitted(
        "MEF's DTU makes its microwave link (within MEF)",
        s.apply(
            "ending-link",
            &link(
                "mef-microwave-authz",
                "{ministry: mef}",
                "{cidrs: [\"10.80.4.0/24\"]}",
                "  network: alternative\n  approval: mef-microwave-authz\n",
            ),
            MEF,
        ),
    )?;
    // The objects are in; the operator is started again with its clock just before midnight.
    drop(running);
    let spawned = Instant::now();
    let operator = start_operator(s, sa, "operator-clock.log", Some(&start.to_string()))?;
    wait_ready().await?;
    let opened = |ns: &str, name: &str| {
        s.read(&["networkpolicy", "-n", ns], "{.items[*].metadata.name}")
            .map(|names| names.split_whitespace().any(|n| n == name))
    };
    eventually("both paths are open before midnight", || {
        (opened("mef-authz-data", "govkh-grant-mef-ends-today")?
            && opened("mef-authz-data", "govkh-link-mef-microwave-authz")?)
        .then_some(())
        .ok_or("not yet".into())
    })
    .await?;
    eventually("both paths close at midnight", || {
        (!opened("mef-authz-data", "govkh-grant-mef-ends-today")?
            && !opened("mef-authz-data", "govkh-link-mef-microwave-authz")?)
        .then_some(())
        .ok_or("still open".into())
    })
    .await?;
    // Midnight on the operator's clock came BEFORE_MIDNIGHT s after it was spawned (a little
    // later: its clock starts when it does); the reconcilers requeue at that instant.
    let after = spawned.elapsed().as_secs_f64() - BEFORE_MIDNIGHT as f64;
    println!(
        "  expiry: both paths closed at most {after:.1} s after midnight on the operator's clock"
    );
    if after > 60.0 {
        return Err(format!(
            "the paths closed {after:.1} s after midnight, not at it"
        ));
    }
    let state = s.read(&["dag", "mef-ends-today"], "{.status.state}")?;
    drop(operator);
    (state == "Expired")
        .then_some(())
        .ok_or(format!("the grant is {state}"))
}

async fn run(kubeconfig: PathBuf) -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("govkh-authz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let s = Suite { kubeconfig, dir };
    common::cluster::loopback_certificate(&s.dir)?;
    install_crds(&s.kubeconfig, &root().join("crds"))?;
    install_rbac(&s)?;
    let sa = service_account_kubeconfig(&s)?;
    let operator = start_operator(&s, &sa, "operator.log", None)?;
    let mut results = vec![wait_ready().await];
    let policies = match (register(&s), install_policies(&s)) {
        (Ok(()), Ok(p)) => Some(p),
        (a, b) => {
            results.push(a);
            results.push(b.map(|_| ()));
            None
        }
    };
    results.push(national(&s));
    results.push(lawful(&s).await);
    results.extend(refusals(&s));
    results.push(conflict(&s).await);
    // govkh itself, as its service account, writes its derived labels (its log has no refusal).
    let log = std::fs::read_to_string(s.dir.join("operator.log")).unwrap_or_default();
    if log.contains("derived-labels") {
        results.push(Err(
            "govkh's own namespace writes were refused by derived-labels".into(),
        ));
    }
    drop(operator);
    results.extend(webhook_stopped(&s).await);
    let operator = start_operator(&s, &sa, "operator-again.log", None)?;
    results.push(wait_ready().await);
    results.push(deletion(&s).await);
    results.push(expiry(&s, &sa, operator).await);
    // Cleanup, as the platform and the committee, while an operator releases what it holds.
    let operator = start_operator(&s, &sa, "operator-cleanup.log", None)?;
    let _ = wait_ready().await;
    for kind in ["dag", "pnl", "approval", "ct"] {
        let _ = s.run(
            &["delete", kind, "--all", "--wait=true", "--timeout=90s"],
            CLEANER,
        );
    }
    drop(operator);
    let _ = s.admin(&[
        "delete",
        "validatingwebhookconfiguration",
        REGISTRATION,
        "--ignore-not-found",
    ]);
    // Whatever a failed step left with govkh's finalizer would hold its CRD's deletion.
    if let Ok(left) = s.admin(&["get", "ct", "-o", "name"]) {
        for t in left.lines() {
            let _ = s.admin(&[
                "patch",
                t,
                "--type=merge",
                "-p",
                r#"{"metadata":{"finalizers":null}}"#,
            ]);
        }
    }
    if let Some(p) = policies {
        let _ = s.admin(&["delete", "--ignore-not-found", "-f", p.to_str().unwrap()]);
    }
    for ns in [
        "authz-legacy",
        "authz-victim",
        "mef-authz-data",
        "moeys-authz-app",
    ] {
        let _ = s.admin(&[
            "delete",
            "namespace",
            ns,
            "--ignore-not-found",
            "--wait=false",
        ]);
    }
    let _ = s.admin(&[
        "delete",
        "-f",
        s.dir.join("rbac.yaml").to_str().unwrap(),
        "--ignore-not-found",
    ]);
    let crds_gone = s.admin(&[
        "delete",
        "--ignore-not-found",
        "-f",
        root().join("crds").to_str().unwrap(),
    ]);
    results.push(crds_gone.map(|_| ()));
    let failures: Vec<String> = results.into_iter().filter_map(Result::err).collect();
    if failures.is_empty() {
        let _ = std::fs::remove_dir_all(&s.dir);
        Ok(())
    } else {
        Err(format!(
            "{} failure(s) (logs in {}):\n{}",
            failures.len(),
            s.dir.display(),
            failures.join("\n")
        ))
    }
}

fn main() {
    common::cluster::main(
        "authz::the_fence_on_a_real_cluster",
        "the fence's real-cluster suite",
        run,
    );
}
