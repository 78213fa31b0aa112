//! The HTTP/1.1 connection discipline the webhook and the probe server share: keep-alive
//! connections stay open while they are used, a client is bounded by how long it takes to send
//! a request's head (which is also how long a connection may sit idle), and a drain — on SIGTERM
//! or when the webhook's certificate is reloaded — lets every request in flight finish before
//! its connection closes. It must not bound a connection by its age: the API server keeps its
//! connections to a webhook alive, and cutting one mid-request (as a 60 s timeout around the
//! whole connection did) fails, or under `failurePolicy: Ignore` admits unjudged, the request
//! in flight.
//!
//! A drained connection is not closed while its client may be writing into it: HTTP/1.1 cannot
//! tell a client "the request you are sending now will not be read", and the API server's client
//! (Go's `net/http`) never retries a POST on a connection the server closed under it. So a
//! drained connection answers its next requests with `Connection: close` (the client closes it
//! and opens a new one, to another replica), and one that sits idle for [`LINGER`] — a
//! connection its client is no longer using — is closed.

use std::{
    future::Future,
    pin::Pin,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use hyper::{
    Request, Response,
    body::Incoming,
    header::{CONNECTION, HeaderValue},
    service::Service,
};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::{
    io::{AsyncRead, AsyncWrite},
    sync::watch,
};

/// How long a connection may wait for the next request's head, idle or half-sent, before it
/// is closed. Longer than the idle timeout of the API server's webhook client (Go's
/// `http.Transport` as Kubernetes sets it up: 90 s), so the client closes an idle connection
/// first and never writes a request into one the server is closing.
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(120);

/// How long a TLS handshake may take.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a drain waits for the requests in flight before it closes their connections: longer
/// than the longest admission answer (the chart's `timeoutSeconds`, 10 s), shorter than the
/// pod's termination grace period (30 s).
pub const GRACE: Duration = Duration::from_secs(15);

/// How long a drained connection may sit idle before it is closed: a client that uses the
/// connection meanwhile is answered with `Connection: close` and closes it itself. Go's client
/// reuses its most recently used idle connection first, so one idle this long is one it is not
/// about to write into — unless a burst takes every connection it holds, or the API server is
/// starved of CPU and sees the close late: the fault suite's first run, beside a benchmark that
/// filled both cores, failed many admissions with "server closed idle connection" at 1 s.
/// Shorter than the drain's [`GRACE`].
pub const LINGER: Duration = Duration::from_secs(5);

/// A server accepting in a task of its own, stopped gracefully by [`Server::shutdown`].
/// Dropping the handle leaves it running (until the process ends).
#[derive(Debug)]
pub struct Server {
    stop: tokio_util::sync::CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Accept on `listener` in a new task, each connection served by the future
    /// `spawn_connection` makes (see [`accept_until`]).
    pub fn spawn<A, C, F>(
        listener: tokio::net::TcpListener,
        drain: Drain,
        spawn_connection: A,
    ) -> Self
    where
        A: FnMut(tokio::net::TcpStream, std::net::SocketAddr, &Drain) -> C + Send + 'static,
        C: Future<Output = F> + Send + 'static,
        F: Send + 'static,
    {
        let stop = tokio_util::sync::CancellationToken::new();
        let task = tokio::spawn(accept_until(
            listener,
            stop.clone().cancelled_owned(),
            drain,
            GRACE,
            spawn_connection,
        ));
        Server { stop, task }
    }

    /// Stop accepting, let the requests in flight be answered (at most [`GRACE`]), and return
    /// once every connection is closed.
    pub async fn shutdown(self) {
        self.stop.cancel();
        if let Err(e) = self.task.await {
            tracing::warn!(error = %e, "a server's task ended abnormally");
        }
    }
}

/// Tells open connections to close once their requests in flight are answered. Each drain is
/// a new generation: a connection drains when the generation it started under has passed.
#[derive(Clone, Debug)]
pub struct Drain(watch::Sender<u64>);

impl Default for Drain {
    fn default() -> Self {
        Self(watch::channel(0).0)
    }
}

impl Drain {
    /// Ask every connection opened so far to finish its requests in flight and close.
    pub fn drain(&self) {
        self.0.send_modify(|g| *g = g.wrapping_add(1));
    }

    /// What a new connection watches: it drains at the first drain after this call.
    pub fn watch(&self) -> DrainWatch {
        let rx = self.0.subscribe();
        let generation = *rx.borrow();
        DrainWatch { rx, generation }
    }
}

/// One connection's view of the [`Drain`]: the generation it was opened under.
#[derive(Debug)]
pub struct DrainWatch {
    rx: watch::Receiver<u64>,
    generation: u64,
}

impl DrainWatch {
    /// Resolves when a drain after this connection was opened fires (or the server is gone).
    async fn drained(&mut self) {
        loop {
            if *self.rx.borrow_and_update() != self.generation {
                return;
            }
            if self.rx.changed().await.is_err() {
                return;
            }
        }
    }
}

/// Serve one connection with `service` under the shared discipline (see the module), bounding
/// each request head to `max_head` bytes, until the client closes it, it stays idle past
/// `head_timeout`, or `drain` fires and it is done: closed by its client after an answer
/// with `Connection: close`, or idle for [`LINGER`], its requests in flight answered.
pub async fn serve_connection<I, S, B>(
    io: I,
    service: S,
    max_head: usize,
    head_timeout: Duration,
    mut drain: DrainWatch,
) -> Result<(), hyper::Error>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: Service<Request<Incoming>, Response = Response<B>>,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>> + Send,
    B: hyper::body::Body + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B::Data: Send,
{
    let activity = Activity::default();
    let service = Closing {
        inner: service,
        activity: activity.clone(),
    };
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(head_timeout)
        .max_buf_size(max_head.max(8192))
        .keep_alive(true)
        .serve_connection(TokioIo::new(io), service);
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => return result,
        () = drain.drained() => activity.closing.store(true, Ordering::Relaxed),
    }
    // Drained: each answer from here on says `Connection: close`; the client closes the
    // connection after it. One it leaves idle is closed once idle for LINGER.
    loop {
        tokio::select! {
            result = conn.as_mut() => return result,
            () = tokio::time::sleep(LINGER / 4) => {
                if activity.idle_for() >= Some(LINGER) {
                    break;
                }
            }
        }
    }
    conn.as_mut().graceful_shutdown();
    conn.await
}

/// What a connection is doing, as its service sees it: requests in flight, when the last one
/// ended, and whether its answers close it.
#[derive(Clone)]
struct Activity {
    closing: Arc<AtomicBool>,
    in_flight: Arc<AtomicUsize>,
    last: Arc<Mutex<Instant>>,
}

impl Default for Activity {
    fn default() -> Self {
        Self {
            closing: Arc::default(),
            in_flight: Arc::default(),
            last: Arc::new(Mutex::new(Instant::now())),
        }
    }
}

impl Activity {
    /// How long the connection has had no request in flight; `None` while one is.
    fn idle_for(&self) -> Option<Duration> {
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        self.last.lock().ok().map(|l| l.elapsed())
    }

    fn touch(&self) {
        if let Ok(mut l) = self.last.lock() {
            *l = Instant::now();
        }
    }
}

/// `inner`, counting its requests in flight and, once the connection is drained, answering
/// with `Connection: close`.
struct Closing<S> {
    inner: S,
    activity: Activity,
}

impl<S, B> Service<Request<Incoming>> for Closing<S>
where
    S: Service<Request<Incoming>, Response = Response<B>>,
    S::Future: Send + 'static,
    S::Error: Send,
    B: Send + 'static,
{
    type Response = Response<B>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<B>, S::Error>> + Send>>;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        let activity = self.activity.clone();
        activity.in_flight.fetch_add(1, Ordering::AcqRel);
        let answer = self.inner.call(req);
        Box::pin(async move {
            let result = answer.await;
            activity.touch();
            activity.in_flight.fetch_sub(1, Ordering::AcqRel);
            let mut response = result?;
            if activity.closing.load(Ordering::Relaxed) {
                response
                    .headers_mut()
                    .insert(CONNECTION, HeaderValue::from_static("close"));
            }
            Ok(response)
        })
    }
}

/// Serve each accepted connection with the future `spawn_connection` makes of it, until `stop`
/// resolves; then stop accepting, drain every connection, and wait (at most `grace`) for them to
/// close. The connections run as tasks of their own; `spawn_connection` gets the [`Drain`] to
/// take each connection's [`DrainWatch`] from (after anything that itself drains, such as a
/// certificate reload, so the new connection is not drained with the old ones).
pub async fn accept_until<A, C, F>(
    listener: tokio::net::TcpListener,
    stop: impl Future<Output = ()>,
    drain: Drain,
    grace: Duration,
    mut spawn_connection: A,
) where
    A: FnMut(tokio::net::TcpStream, std::net::SocketAddr, &Drain) -> C,
    C: Future<Output = F> + Send + 'static,
    F: Send + 'static,
{
    let mut connections = tokio::task::JoinSet::new();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    connections.spawn(spawn_connection(stream, peer, &drain));
                }
                Err(e) => {
                    // Out of file descriptors, say: wait rather than spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            },
            // Reap finished connections so the set does not grow with them.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    // No new connection from here on: the listener closes, the balancer or the API server
    // goes to another replica.
    drop(listener);
    drain.drain();
    let drained = tokio::time::timeout(grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            open = connections.len(),
            "connections still open after the drain's grace period; closing them"
        );
        connections.abort_all();
    }
}

#[cfg(test)]
mod tests {
    use std::{convert::Infallible, sync::Arc};

    use http_body_util::Full;
    use hyper::body::Bytes;
    use tokio::{
        io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
        net::TcpListener,
    };

    use super::*;

    /// A server whose answer takes `delay`, serving until `stop` fires; its connections use
    /// `head_timeout`.
    async fn server(
        delay: Duration,
        head_timeout: Duration,
    ) -> (
        std::net::SocketAddr,
        Arc<tokio::sync::Notify>,
        tokio::task::JoinHandle<()>,
    ) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(tokio::sync::Notify::new());
        let stopped = stop.clone();
        let task = tokio::spawn(async move {
            accept_until(
                listener,
                async move { stopped.notified().await },
                Drain::default(),
                Duration::from_secs(5),
                move |stream, _, drain| {
                    let drain = drain.watch();
                    async move {
                        let service = hyper::service::service_fn(move |_req| async move {
                            tokio::time::sleep(delay).await;
                            Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from("ok"))))
                        });
                        let _ = serve_connection(stream, service, 8192, head_timeout, drain).await;
                    }
                },
            )
            .await;
        });
        (addr, stop, task)
    }

    /// Send one keep-alive GET on `conn` and read its answer; `None` if the connection is gone.
    async fn request(conn: &mut BufReader<tokio::net::TcpStream>) -> Option<String> {
        conn.get_mut()
            .write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .ok()?;
        let mut head = String::new();
        loop {
            let mut line = String::new();
            if conn.read_line(&mut line).await.ok()? == 0 {
                return None;
            }
            head.push_str(&line);
            if line == "\r\n" {
                break;
            }
        }
        let mut body = [0u8; 2];
        conn.read_exact(&mut body).await.ok()?;
        Some(head)
    }

    #[tokio::test]
    async fn a_connection_in_use_stays_open_past_the_idle_timeout_and_an_idle_one_is_closed() {
        let idle = Duration::from_millis(400);
        let (addr, stop, task) = server(Duration::ZERO, idle).await;
        let mut conn = BufReader::new(tokio::net::TcpStream::connect(addr).await.unwrap());
        // Seven requests 150 ms apart: the connection lives ~1 s, 2.5 times the idle timeout.
        for i in 0..7 {
            let head = request(&mut conn).await;
            assert!(
                head.as_deref()
                    .is_some_and(|h| h.starts_with("HTTP/1.1 200")),
                "request {i} on a kept-alive connection: {head:?}"
            );
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
        // Left idle past the timeout: the server closes it (end of stream).
        tokio::time::sleep(idle * 2).await;
        let mut rest = Vec::new();
        let n = tokio::time::timeout(Duration::from_secs(2), conn.read_to_end(&mut rest))
            .await
            .expect("closed by the server")
            .unwrap_or(0);
        assert_eq!(n, 0, "an idle connection is closed, with nothing more sent");
        stop.notify_one();
        task.await.unwrap();
    }

    #[tokio::test]
    async fn a_drain_answers_the_request_in_flight_then_closes_and_accepts_no_more() {
        let (addr, stop, task) = server(Duration::from_millis(500), HEAD_TIMEOUT).await;
        let mut conn = BufReader::new(tokio::net::TcpStream::connect(addr).await.unwrap());
        let in_flight = tokio::spawn(async move {
            let head = request(&mut conn).await;
            // After the answer, the drained connection is closed rather than kept alive.
            let mut rest = Vec::new();
            let closed = conn.read_to_end(&mut rest).await.map(|n| n == 0);
            (head, closed)
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        stop.notify_one(); // SIGTERM, as run's shutdown sends it
        let (head, closed) = in_flight.await.unwrap();
        assert!(
            head.as_deref()
                .is_some_and(|h| h.starts_with("HTTP/1.1 200")
                    && h.to_ascii_lowercase().contains("connection: close")),
            "the request in flight is answered, saying the connection closes: {head:?}"
        );
        assert!(matches!(closed, Ok(true)), "then closed: {closed:?}");
        task.await.unwrap();
        assert!(
            tokio::net::TcpStream::connect(addr).await.is_err(),
            "no new connection after the drain"
        );
    }

    #[tokio::test]
    async fn a_drained_connection_in_use_is_answered_with_close_and_an_idle_one_closed_after_linger()
     {
        let (addr, stop, task) = server(Duration::ZERO, HEAD_TIMEOUT).await;
        let mut busy = BufReader::new(tokio::net::TcpStream::connect(addr).await.unwrap());
        let mut idle = BufReader::new(tokio::net::TcpStream::connect(addr).await.unwrap());
        assert!(request(&mut busy).await.is_some());
        assert!(request(&mut idle).await.is_some());
        stop.notify_one();
        // The client writes into the drained connection before LINGER: it is read and answered
        // (never closed under the request), and the answer tells the client to close.
        tokio::time::sleep(LINGER / 4).await;
        let head = request(&mut busy).await;
        assert!(
            head.as_deref()
                .is_some_and(|h| h.starts_with("HTTP/1.1 200")
                    && h.to_ascii_lowercase().contains("connection: close")),
            "a request on a drained connection is answered with Connection: close: {head:?}"
        );
        let mut rest = Vec::new();
        assert_eq!(busy.read_to_end(&mut rest).await.unwrap(), 0);
        // The one left idle is closed by the server, once idle for LINGER.
        let n = tokio::time::timeout(LINGER * 3, idle.read_to_end(&mut rest))
            .await
            .expect("the idle connection is closed")
            .unwrap_or(0);
        assert_eq!(n, 0);
        task.await.unwrap();
    }

    #[tokio::test]
    async fn a_drain_closes_only_the_connections_opened_before_it() {
        let drain = Drain::default();
        let serve = |io: tokio::io::DuplexStream, watch: DrainWatch| {
            tokio::spawn(async move {
                let service = hyper::service::service_fn(|_req| async {
                    Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from("ok"))))
                });
                serve_connection(io, service, 8192, HEAD_TIMEOUT, watch).await
            })
        };
        let (old_client, old_server) = tokio::io::duplex(4096);
        let old = serve(old_server, drain.watch());
        // A certificate reload: connections opened before it drain, the next one does not.
        drain.drain();
        let (new_client, new_server) = tokio::io::duplex(4096);
        let new = serve(new_server, drain.watch());
        let old_result = tokio::time::timeout(LINGER * 3, old).await;
        assert!(
            matches!(old_result, Ok(Ok(Ok(())))),
            "the old, idle connection closed: {old_result:?}"
        );
        let mut new_client = tokio::io::BufReader::new(new_client);
        new_client
            .get_mut()
            .write_all(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
            .await
            .unwrap();
        let mut status = String::new();
        new_client.read_line(&mut status).await.unwrap();
        assert!(status.starts_with("HTTP/1.1 200"), "{status:?}");
        assert!(!new.is_finished(), "the new connection stays open");
        drain.drain();
        let new_result = tokio::time::timeout(LINGER * 3, new).await;
        assert!(matches!(new_result, Ok(Ok(Ok(())))), "{new_result:?}");
        drop(old_client);
    }
}
