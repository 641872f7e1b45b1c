//! The listener: HTTP/1.1 and cleartext HTTP/2 connections, with a bound on how many are open
//! and on how long a client may take to send a request or keep a connection idle.
//!
//! poem's `Server` reaches neither hyper's header-read timeout nor a bound on connections, so
//! this serves a [`Handler`] with hyper directly; the application's handler gives most requests
//! to poem, as `Server` would, and the proxy's straight to its own code (`app::Application`).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};

/// How long requests in flight may take to finish once the server is asked to stop.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Limits on connections and on the time clients take (CONNECTOR_HEADER_READ_TIMEOUT_SECS,
/// CONNECTOR_IDLE_TIMEOUT_SECS, CONNECTOR_KEEP_ALIVE_SECS, CONNECTOR_MAX_CONNECTIONS).
#[derive(Debug, Clone)]
pub struct ServeLimits {
    /// How long a client has to send a request's headers, counted from when the connection
    /// opens or its previous response was sent: a connection that sends part of a request,
    /// and an idle HTTP/1.1 keep-alive connection, close after this.
    pub header_read_timeout: Duration,
    /// A connection with no request in flight for this long is closed (both protocols).
    pub idle_timeout: Duration,
    /// HTTP/2: a connection silent this long is sent a PING, and closed when the answer does
    /// not come within this again.
    pub keep_alive: Duration,
    /// Connections open at once; further ones wait in the listen backlog until one closes.
    pub max_connections: usize,
    /// Threads serving connections (CONNECTOR_WORKERS; by default one per core).
    pub workers: usize,
}

impl Default for ServeLimits {
    fn default() -> Self {
        ServeLimits {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            keep_alive: Duration::from_secs(30),
            max_connections: 1024,
            workers: std::thread::available_parallelism().map_or(1, usize::from),
        }
    }
}

/// A response's body: poem's, and the proxy's provider answer, are this type.
pub type ResponseBody = http_body_util::combinators::BoxBody<bytes::Bytes, std::io::Error>;

/// What answers the requests of the connections served.
pub trait Handler: Send + Sync + 'static {
    fn handle(
        &self,
        request: hyper::Request<Incoming>,
        peer: Peer,
    ) -> impl Future<Output = hyper::Response<ResponseBody>> + Send;
}

/// The two ends of the connection a request came on.
#[derive(Debug, Clone, Copy)]
pub struct Peer {
    pub local: SocketAddr,
    pub remote: SocketAddr,
}

/// Serves `handler` on `listener` until `stop` resolves, then lets requests in flight finish
/// (for at most 10 seconds).
///
/// One task accepts; `limits.workers` threads serve, each on a single-threaded runtime, the
/// connections handed to them in turn. A request, its provider call and its streamed answer
/// stay on one thread, as in nginx's worker model: on a work-stealing runtime each of them
/// could wake a task on another core, and those wake-ups cost more than the work they carry
/// (docs/performance.md).
pub async fn serve<H>(
    handler: H,
    listener: TcpListener,
    limits: ServeLimits,
    stop: impl Future<Output = ()>,
) -> std::io::Result<()>
where
    H: Handler,
{
    let handler = Arc::new(handler);
    let local = listener.local_addr()?;
    let max_connections = limits.max_connections.clamp(1, Semaphore::MAX_PERMITS);
    let permits = Arc::new(Semaphore::new(max_connections));
    let (stopping, stopping_rx) = watch::channel(false);
    let mut workers = Vec::new();
    for index in 0..limits.workers.max(1) {
        let (handoff, accepted) = mpsc::unbounded_channel();
        let worker = Worker {
            handler: handler.clone(),
            local,
            limits: limits.clone(),
            stopping: stopping_rx.clone(),
        };
        let thread = std::thread::Builder::new()
            .name(format!("connector-http-{index}"))
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a worker's runtime starts");
                runtime.block_on(worker.run(accepted));
            })?;
        workers.push((handoff, thread));
    }
    tokio::pin!(stop);
    for next in (0..workers.len()).cycle() {
        // Taking a permit before accepting leaves the connections over the bound in the
        // kernel's backlog: they are served, in order, as others close.
        let permit = tokio::select! {
            () = &mut stop => break,
            permit = permits.clone().acquire_owned() => permit.expect("the semaphore stays open"),
        };
        let (stream, remote) = tokio::select! {
            () = &mut stop => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, or a connection reset before it was accepted.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        // Out of this runtime's reactor, into the worker's.
        let Ok(stream) = stream.into_std() else {
            continue;
        };
        let _ = workers[next].0.send(Accepted {
            stream,
            remote,
            permit,
        });
    }
    drop(listener);
    let _ = stopping.send(true);
    // Without their hand-off, the workers wait for their connections (told to stop) and end.
    let threads: Vec<_> = workers.into_iter().map(|(_, thread)| thread).collect();
    for thread in threads {
        let _ = tokio::task::spawn_blocking(move || thread.join()).await;
    }
    Ok(())
}

/// A connection handed to a worker, with the permit it holds while open.
struct Accepted {
    stream: std::net::TcpStream,
    remote: SocketAddr,
    permit: OwnedSemaphorePermit,
}

/// One serving thread: runs the connections handed to it on its own runtime.
struct Worker<H> {
    handler: Arc<H>,
    local: SocketAddr,
    limits: ServeLimits,
    stopping: watch::Receiver<bool>,
}

impl<H: Handler> Worker<H> {
    async fn run(self, mut accepted: mpsc::UnboundedReceiver<Accepted>) {
        let mut connections = tokio::task::JoinSet::new();
        loop {
            let Accepted {
                stream,
                remote,
                permit,
            } = tokio::select! {
                Some(_) = connections.join_next() => continue,
                next = accepted.recv() => match next {
                    Some(next) => next,
                    None => break,
                },
            };
            let Ok(stream) = TcpStream::from_std(stream) else {
                continue;
            };
            connections.spawn(serve_connection(Connection {
                handler: self.handler.clone(),
                stream,
                peer: Peer {
                    local: self.local,
                    remote,
                },
                limits: self.limits.clone(),
                stopping: self.stopping.clone(),
                _permit: permit,
            }));
        }
        // The server is stopping, and its connections were told: they finish on this thread.
        let drained = async { while connections.join_next().await.is_some() {} };
        if tokio::time::timeout(SHUTDOWN_GRACE, drained).await.is_err() {
            connections.abort_all();
        }
    }
}

struct Connection<H> {
    handler: Arc<H>,
    stream: TcpStream,
    peer: Peer,
    limits: ServeLimits,
    stopping: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
}

async fn serve_connection<H: Handler>(connection: Connection<H>) {
    let Connection {
        handler,
        stream,
        peer,
        limits,
        mut stopping,
        _permit,
    } = connection;
    let activity = Arc::new(Activity::new());
    let service = hyper::service::service_fn({
        let activity = activity.clone();
        move |request: hyper::Request<_>| {
            let handler = handler.clone();
            let request_in_flight = RequestInFlight::start(&activity);
            async move {
                let response = handler.handle(request, peer).await;
                // The request is in flight until its response body is sent (or dropped).
                let response = response.map(|body| {
                    body.map_frame(move |frame| {
                        let _ = &request_in_flight;
                        frame
                    })
                });
                Ok::<_, Infallible>(response)
            }
        }
    });

    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(limits.keep_alive)
        .keep_alive_timeout(limits.keep_alive);
    let served = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
    tokio::pin!(served);
    tokio::select! {
        _ = served.as_mut() => return,
        () = quiet(&activity, &limits) => {
            tracing::debug!(remote = %peer.remote, "closing an idle connection");
        }
        _ = stopping.wait_for(|stopping| *stopping) => {}
    }
    served.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(SHUTDOWN_GRACE, served).await;
}

/// What a connection is doing: its requests in flight, how many it has had, and since when
/// it has had none in flight.
///
/// Plain counters, read by [`quiet`] when its timer fires: a request marks them and wakes no
/// task, so the idle timeout costs nothing per request.
struct Activity {
    opened: Instant,
    in_flight: AtomicUsize,
    requests: AtomicU64,
    /// Nanoseconds from `opened` to when the last request in flight ended.
    idle_since: AtomicU64,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            opened: Instant::now(),
            in_flight: AtomicUsize::new(0),
            requests: AtomicU64::new(0),
            idle_since: AtomicU64::new(0),
        }
    }
}

/// Resolves once the connection has had no request in flight for the idle timeout; before its
/// first request, for the header-read timeout (the time a client has to send one).
async fn quiet(activity: &Activity, limits: &ServeLimits) {
    // The timer's step, the earlier of the two: a first request may come and go before the
    // header-read timeout would end.
    let step = limits.header_read_timeout.min(limits.idle_timeout);
    let mut deadline = activity.opened + step;
    loop {
        tokio::time::sleep_until(deadline.into()).await;
        if activity.in_flight.load(Ordering::Acquire) > 0 {
            deadline = Instant::now() + step;
            continue;
        }
        let allowed = match activity.requests.load(Ordering::Acquire) {
            0 => limits.header_read_timeout,
            _ => limits.idle_timeout,
        };
        let idle_since =
            activity.opened + Duration::from_nanos(activity.idle_since.load(Ordering::Acquire));
        let until = idle_since + allowed;
        if until <= Instant::now() {
            return;
        }
        deadline = until;
    }
}

/// Counts a request as in flight while it lives.
struct RequestInFlight(Arc<Activity>);

impl RequestInFlight {
    fn start(activity: &Arc<Activity>) -> RequestInFlight {
        activity.requests.fetch_add(1, Ordering::AcqRel);
        activity.in_flight.fetch_add(1, Ordering::AcqRel);
        RequestInFlight(activity.clone())
    }
}

impl Drop for RequestInFlight {
    fn drop(&mut self) {
        let activity = &self.0;
        // Marked before the count falls, so that a zero count is never read with the time of
        // an older idle spell.
        let since = activity.opened.elapsed().as_nanos();
        activity
            .idle_since
            .store(u64::try_from(since).unwrap_or(u64::MAX), Ordering::Release);
        activity.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}
