//! A mocked API server for the reconcilers' and the Lease's tests (tower-test): it answers from
//! a route, serves the prune lists of labelled children, and returns every request it saw.

use std::pin::pin;

use http::{Request, Response};
use kube::client::Body;
use serde_json::{Value, json};

/// The children lists (metadata only) the reconcilers make to prune: what `children` holds of
/// the listed kind and matching the owner in the label selector.
pub fn children_list(path: &str, query: &str, children: &[Value]) -> Option<Value> {
    let kind = match path.rsplit('/').next()? {
        "resourcequotas" => "ResourceQuota",
        "limitranges" => "LimitRange",
        "networkpolicies" => "NetworkPolicy",
        "rolebindings" => "RoleBinding",
        _ => return None,
    };
    let selector = query
        .split('&')
        .find_map(|p| p.strip_prefix("labelSelector="))?
        .replace("%2F", "/")
        .replace("%3D", "=")
        .replace("%2C", ",");
    let wanted: Vec<(&str, &str)> = selector
        .split(',')
        .filter_map(|kv| kv.split_once('='))
        .collect();
    let items: Vec<Value> = children
        .iter()
        .filter(|c| c["kind"] == kind)
        .filter(|c| {
            wanted
                .iter()
                .all(|(k, v)| c["metadata"]["labels"][*k].as_str() == Some(*v))
        })
        .map(|c| json!({"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata", "metadata": c["metadata"]}))
        .collect();
    Some(
        json!({"apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadataList", "metadata": {}, "items": items}),
    )
}

pub fn respond(status: u16, body: &Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(serde_json::to_vec(body).unwrap()))
        .unwrap()
}

thread_local! {
    /// The labelled children the mocked API server holds (set by a test before it runs).
    pub static CHILDREN: std::cell::RefCell<Vec<Value>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A mocked API server answering from `route(method, path, body)`; returns the requests seen.
pub async fn with_server<F, Fut, T>(
    route: impl Fn(&str, &str, &Value) -> (u16, Value) + Send + 'static,
    body: F,
) -> (T, Vec<(String, Value)>)
where
    F: FnOnce(kube::Client) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let responder = tokio::spawn(async move {
        let mut handle = pin!(handle);
        let mut seen = Vec::new();
        while let Some((request, send)) = handle.next_request().await {
            let method = request.method().to_string();
            let uri = request.uri().to_string();
            let bytes = http_body_util::BodyExt::collect(request.into_body())
                .await
                .unwrap()
                .to_bytes();
            let b: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            let path = uri.split('?').next().unwrap();
            let query = uri.split_once('?').map(|(_, q)| q).unwrap_or_default();
            // Events are accepted as they come; the tests read them from the requests seen;
            // the prune lists of children answer from CHILDREN.
            let (status, out) = if method == "POST" && path.ends_with("/events") {
                (201, b.clone())
            } else if method == "GET"
                && let Some(list) =
                    children_list(path, query, &CHILDREN.with(|c| c.borrow().clone()))
            {
                (200, list)
            } else {
                route(&method, path, &b)
            };
            seen.push((format!("{method} {uri}"), b));
            send.send_response(respond(status, &out));
        }
        seen
    });
    let out = body(kube::Client::new(service, "default")).await;
    (out, responder.await.unwrap())
}
