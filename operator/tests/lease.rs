//! Leader election on a `coordination.k8s.io/v1` Lease against a mocked API server: who creates,
//! keeps, takes over and gives up the Lease, on the replica's own clock.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::{pin::pin, sync::Arc, time::Duration};

use common::mock::with_server;
use http::{Request, Response};
use k8s_openapi::jiff::Timestamp;
use kube::client::Body;
use serde_json::{Value, json};

use govkh::lease::{Elector, Timing};

fn lease_json(holder: Option<&str>, renewed: &str) -> Value {
    json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": "govkh-leader", "namespace": "govkh-system", "resourceVersion": "900"},
        "spec": {"holderIdentity": holder, "leaseDurationSeconds": 15, "acquireTime": "2026-11-26T03:00:00.000000Z",
                 "renewTime": renewed, "leaseTransitions": 2}})
}

/// A candidate `me` for the Lease `govkh-system/govkh-leader`, with the clock stopped at `now`.
fn elector(client: kube::Client, me: &str, now: Timestamp) -> Elector {
    Elector::new(
        client,
        "govkh-system",
        "govkh-leader",
        me,
        Timing::default(),
        Arc::new(move || now),
    )
}

/// One election attempt by `me` at `now` against a server holding `lease` and answering writes
/// with `write_status`.
async fn elect(
    me: &'static str,
    lease: Option<Value>,
    write_status: u16,
    now: &str,
) -> (bool, Vec<(String, Value)>) {
    let now: Timestamp = now.parse().unwrap();
    let (won, requests) = with_server(
        move |method: &str, _: &str, body: &Value| match (method, &lease) {
            ("GET", Some(l)) => (200, l.clone()),
            ("GET", None) => (404, json!({"kind": "Status", "code": 404, "reason": "NotFound"})),
            _ if write_status == 409 => (
                409,
                json!({"kind": "Status", "code": 409, "reason": "Conflict", "message": "the object has been modified"}),
            ),
            _ => (write_status, body.clone()),
        },
        move |client| async move {
            let e = elector(client, me, now);
            e.try_acquire_or_renew().await.unwrap()
        },
    )
    .await;
    (won, requests)
}

const LEASE: &str = "/apis/coordination.k8s.io/v1/namespaces/govkh-system/leases";

#[tokio::test]
async fn the_first_replica_creates_the_lease() {
    let (won, requests) = elect("pod-a", None, 201, "2026-11-26T03:00:00Z").await;
    assert!(won);
    let got: Vec<&str> = requests.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(
        got,
        [
            format!("GET {LEASE}/govkh-leader"),
            format!("POST {LEASE}?")
        ]
    );
    let spec = &requests[1].1["spec"];
    assert_eq!(spec["holderIdentity"], "pod-a");
    assert_eq!(spec["leaseDurationSeconds"], 15);
    assert_eq!(spec["leaseTransitions"], 0);
}

#[tokio::test]
async fn a_live_holder_keeps_the_lease_and_the_other_replica_writes_nothing() {
    let (won, requests) = elect(
        "pod-b",
        Some(lease_json(Some("pod-a"), "2026-11-26T03:00:00.000000Z")),
        200,
        "2026-11-26T03:00:14Z",
    )
    .await;
    assert!(!won);
    assert_eq!(requests.len(), 1, "{requests:#?}");
}

/// Two election attempts by the same candidate `me`, `gap` apart on its own clock (paused
/// time), against a server holding the unchanging `lease`: (first won, second won, requests).
async fn elect_twice(
    me: &'static str,
    lease: Value,
    write_status: u16,
    gap: Duration,
) -> (bool, bool, Vec<(String, Value)>) {
    // The candidate's wall clock is far from the holder's: it must not matter.
    let now: Timestamp = "2031-01-01T00:00:00Z".parse().unwrap();
    let ((first, second), requests) = with_server(
        move |method: &str, _: &str, body: &Value| match method {
            "GET" => (200, lease.clone()),
            _ if write_status == 409 => (
                409,
                json!({"kind": "Status", "code": 409, "reason": "Conflict", "message": "the object has been modified"}),
            ),
            _ => (write_status, body.clone()),
        },
        move |client| async move {
            let e = elector(client, me, now);
            let first = e.try_acquire_or_renew().await.unwrap();
            tokio::time::sleep(gap).await;
            let second = e.try_acquire_or_renew().await.unwrap();
            (first, second)
        },
    )
    .await;
    (first, second, requests)
}

#[tokio::test(start_paused = true)]
async fn a_dead_holders_lease_is_taken_over_a_duration_after_it_was_seen_with_its_resource_version()
{
    let dead = lease_json(Some("pod-a"), "2026-11-26T03:00:00.000000Z");
    // Seen for the first time: whatever its renewTime says, a whole duration to wait.
    let (first, second, requests) =
        elect_twice("pod-b", dead.clone(), 200, Duration::from_secs(14)).await;
    assert!(!first && !second, "not before 15 s unchanged");
    assert_eq!(requests.len(), 2, "two reads, no write");
    let (first, second, requests) = elect_twice("pod-b", dead, 200, Duration::from_secs(15)).await;
    assert!(!first && second);
    assert_eq!(requests[2].0, format!("PUT {LEASE}/govkh-leader?"));
    let body = &requests[2].1;
    assert_eq!(body["metadata"]["resourceVersion"], "900");
    assert_eq!(body["spec"]["holderIdentity"], "pod-b");
    assert_eq!(body["spec"]["leaseTransitions"], 3);
}

#[tokio::test(start_paused = true)]
async fn of_two_replicas_racing_for_an_expired_lease_the_one_that_loses_the_write_does_not_lead() {
    let (_, second, requests) = elect_twice(
        "pod-c",
        lease_json(Some("pod-a"), "2026-11-26T03:00:00.000000Z"),
        409,
        Duration::from_secs(15),
    )
    .await;
    assert!(!second, "a 409 Conflict means another replica wrote first");
    assert_eq!(requests.len(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_leader_whose_renewal_hangs_stops_leading_before_the_lease_could_be_taken() {
    let now: Timestamp = "2026-11-26T03:00:20Z".parse().unwrap();
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    // The API server takes the request and never answers.
    let _keep = tokio::spawn(async move {
        let mut handle = pin!(handle);
        let mut held = Vec::new();
        while let Some(pending) = handle.next_request().await {
            held.push(pending);
        }
    });
    let client = kube::Client::new(service, "default");
    let start = tokio::time::Instant::now();
    let why = elector(client, "pod-a", now).keep().await;
    assert!(
        why.contains("did not answer within the 10s deadline"),
        "{why}"
    );
    let stopped = start.elapsed();
    assert_eq!(stopped, Duration::from_secs(10), "at the renew deadline");
    assert!(
        stopped < Timing::default().lease_duration,
        "before another replica may take the lease"
    );
}

#[tokio::test]
async fn the_holder_renews_and_releases_its_lease() {
    let (won, requests) = elect(
        "pod-a",
        Some(lease_json(Some("pod-a"), "2026-11-26T03:00:00.000000Z")),
        200,
        "2026-11-26T03:00:05Z",
    )
    .await;
    assert!(won);
    assert_eq!(requests[1].1["spec"]["leaseTransitions"], 2);
    assert_eq!(
        requests[1].1["spec"]["renewTime"],
        "2026-11-26T03:00:05.000000Z"
    );
    let now: Timestamp = "2026-11-26T03:00:06Z".parse().unwrap();
    let (_, requests) = with_server(
        |method: &str, _: &str, body: &Value| match method {
            "GET" => (
                200,
                lease_json(Some("pod-a"), "2026-11-26T03:00:05.000000Z"),
            ),
            _ => (200, body.clone()),
        },
        move |client| async move { elector(client, "pod-a", now).release().await },
    )
    .await;
    assert_eq!(requests[1].0, format!("PUT {LEASE}/govkh-leader?"));
    assert!(requests[1].1["spec"].get("holderIdentity").is_none());
}

#[tokio::test(start_paused = true)]
async fn a_leader_that_finds_another_holder_at_renewal_stops_leading() {
    let now: Timestamp = "2026-11-26T03:00:20Z".parse().unwrap();
    let (why, requests) = with_server(
        |_: &str, _: &str, _: &Value| {
            (
                200,
                lease_json(Some("pod-b"), "2026-11-26T03:00:19.000000Z"),
            )
        },
        move |client| async move { elector(client, "pod-a", now).keep().await },
    )
    .await;
    assert!(why.contains("held by another replica"), "{why}");
    assert_eq!(
        requests.len(),
        1,
        "no write once the Lease is someone else's"
    );
}

#[tokio::test(start_paused = true)]
async fn a_leader_that_cannot_renew_within_the_deadline_stops_leading() {
    let now: Timestamp = "2026-11-26T03:00:20Z".parse().unwrap();
    let (why, requests) = with_server(
        |_: &str, _: &str, _: &Value| {
            (
                503,
                json!({"kind": "Status", "code": 503, "message": "unavailable"}),
            )
        },
        move |client| async move { elector(client, "pod-a", now).keep().await },
    )
    .await;
    assert!(why.contains("not renewed for 10s"), "{why}");
    // The renewal at 5 s failed; at the 10 s deadline it gave up without another try, before
    // the 15 s lease could pass to another replica.
    assert_eq!(requests.len(), 1);
}
