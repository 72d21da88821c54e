//! Shared by the fetch/cache/refresh tests: a fault-injecting HTTP/1.1 server on
//! 127.0.0.1:0, a fresh database, and a stand-in parser.
//!
//! The server is a plain tokio TcpListener so a test can misbehave at the byte level
//! (stall before the headers, dribble the body, send raw gzip) in ways a framework
//! would not allow. One request per connection (`Connection: close`).
#![allow(dead_code, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use calendarbot_core::clock::SystemClock;
use calendarbot_core::fetch::{FetchConfig, Fetcher};
use calendarbot_core::ics::{Calendar, CalendarMeta, EventRecord, FeedError};
use calendarbot_core::refresh::{Deps, ParseFn, PipelineOptions};
use calendarbot_core::secrets::{Preference, SecretStore};
use calendarbot_core::sources::{self, NewSource};
use sqlx::SqlitePool;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Req {
    pub path: String,
    pub headers: Vec<(String, String)>,
}

impl Req {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the server does with a request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A complete response.
    Full {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// Headers, then the body one byte every `every` (slow loris).
    Dribble { body: Vec<u8>, every: Duration },
    /// Read the request, then say nothing for `for_`.
    Stall { for_: Duration },
}

impl Reply {
    pub fn ok(body: impl Into<Vec<u8>>) -> Self {
        Reply::Full {
            status: 200,
            headers: vec![("Content-Type".into(), "text/calendar".into())],
            body: body.into(),
        }
    }
    pub fn status(status: u16) -> Self {
        Reply::Full {
            status,
            headers: vec![],
            body: b"error".to_vec(),
        }
    }
    pub fn with_header(self, k: &str, v: &str) -> Self {
        match self {
            Reply::Full {
                status,
                mut headers,
                body,
            } => {
                headers.push((k.into(), v.into()));
                Reply::Full {
                    status,
                    headers,
                    body,
                }
            }
            other => other,
        }
    }
    pub fn redirect(location: &str) -> Self {
        Reply::Full {
            status: 302,
            headers: vec![("Location".into(), location.into())],
            body: vec![],
        }
    }
}

pub type Handler = Arc<dyn Fn(&Req) -> Reply + Send + Sync>;

pub struct Server {
    pub addr: SocketAddr,
    pub requests: Arc<Mutex<Vec<Req>>>,
}

impl Server {
    pub async fn start(handler: impl Fn(&Req) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Handler = Arc::new(handler);
        let reqs = requests.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    break;
                };
                let handler = handler.clone();
                let reqs = reqs.clone();
                tokio::spawn(async move {
                    let _ = serve(stream, handler, reqs).await;
                });
            }
        });
        Server { addr, requests }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    pub fn last(&self) -> Req {
        self.requests.lock().unwrap().last().cloned().unwrap()
    }
}

async fn serve(
    mut stream: TcpStream,
    handler: Handler,
    reqs: Arc<Mutex<Vec<Req>>>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 4096];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut tmp).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&tmp[..n]);
    }
    let text = String::from_utf8_lossy(&buf).into_owned();
    let mut lines = text.split("\r\n");
    let first = lines.next().unwrap_or_default();
    let path = first.split(' ').nth(1).unwrap_or("/").to_string();
    let headers = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| {
            l.split_once(':')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        })
        .collect();
    let req = Req { path, headers };
    reqs.lock().unwrap().push(req.clone());
    match handler(&req) {
        Reply::Full {
            status,
            headers,
            body,
        } => {
            let mut head = format!(
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (k, v) in headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(&body).await?;
        }
        Reply::Dribble { body, every } => {
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/calendar\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            stream.write_all(head.as_bytes()).await?;
            for b in body {
                stream.write_all(&[b]).await?;
                stream.flush().await?;
                tokio::time::sleep(every).await;
            }
        }
        Reply::Stall { for_ } => {
            tokio::time::sleep(for_).await;
        }
    }
    stream.flush().await?;
    let _ = stream.shutdown().await;
    Ok(())
}

/// A small valid feed whose events are `{prefix}-{i}` for i in 0..n.
pub fn feed(prefix: &str, n: usize) -> String {
    let mut s = String::from(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nX-WR-CALNAME:Test\r\n",
    );
    for i in 0..n {
        s.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:{prefix}-{i}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260301T{:02}0000Z\r\nDTEND:20260301T{:02}3000Z\r\nSUMMARY:Event {i}\r\nEND:VEVENT\r\n",
            i % 24,
            i % 24
        ));
    }
    s.push_str("END:VCALENDAR\r\n");
    s
}

/// An [`EventRecord`] with just a UID, built through serde so it keeps compiling when
/// the engine adds fields (with defaults).
pub fn record(uid: &str) -> EventRecord {
    serde_json::from_value(serde_json::json!({ "uid": uid, "recurrence_id": null })).unwrap()
}

/// A stand-in for `ics::parse_feed` until the engine lands: one record per `UID:` line.
/// It mirrors the contract (Calendar of EventRecords), not the RFC.
pub fn fake_parse(body: &[u8]) -> Result<Calendar, FeedError> {
    let text = std::str::from_utf8(body).map_err(|_| FeedError::NotCalendar("utf8".into()))?;
    if !text.trim_start().starts_with("BEGIN:VCALENDAR") {
        return Err(FeedError::NotCalendar("no BEGIN:VCALENDAR".into()));
    }
    if !text.trim_end().ends_with("END:VCALENDAR") {
        return Err(FeedError::Truncated);
    }
    let events = text
        .lines()
        .filter_map(|l| l.strip_prefix("UID:"))
        .map(|u| record(u.trim()))
        .collect();
    let name = text
        .lines()
        .find_map(|l| l.strip_prefix("X-WR-CALNAME:"))
        .map(|s| s.trim().to_string());
    Ok(Calendar {
        meta: CalendarMeta {
            name,
            ..Default::default()
        },
        events,
    })
}

pub fn fake_parser() -> ParseFn {
    Arc::new(fake_parse)
}

/// Timeouts short enough for tests.
pub fn quick_config() -> FetchConfig {
    FetchConfig {
        connect_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_secs(1),
        total_timeout: Duration::from_secs(3),
        retries: 0,
        retry_base: Duration::from_millis(20),
        ..FetchConfig::default()
    }
}

pub struct Env {
    pub dir: tempfile::TempDir,
    pub pool: SqlitePool,
    pub deps: Deps,
}

impl Env {
    pub async fn new(cfg: FetchConfig) -> Env {
        Env::with_parser(cfg, fake_parser()).await
    }

    pub async fn with_parser(cfg: FetchConfig, parser: ParseFn) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let pool = calendarbot_core::db::open(&dir.path().join("cache.sqlite3"))
            .await
            .unwrap();
        let secrets = Arc::new(SecretStore::open(
            &dir.path().join("secrets.json"),
            Preference::FileOnly,
        ));
        let deps = Deps {
            pool: pool.clone(),
            fetcher: Arc::new(Fetcher::new(cfg).unwrap()),
            secrets,
            clock: Arc::new(SystemClock),
            parser,
            options: PipelineOptions::default(),
        };
        Env { dir, pool, deps }
    }

    pub async fn add(&self, url: &str) -> i64 {
        sources::add(
            &self.pool,
            &self.deps.secrets,
            NewSource {
                location: url.into(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id
    }

    /// The pipeline's clock becomes a test clock at the present instant, moved by hand
    /// (breaker open periods, "checked later" without waiting).
    pub fn with_test_clock(mut self) -> (Env, Arc<calendarbot_core::clock::TestClock>) {
        let clock = Arc::new(calendarbot_core::clock::TestClock::new(chrono::Utc::now()));
        self.deps.clock = clock.clone();
        (self, clock)
    }

    pub fn db_path(&self) -> std::path::PathBuf {
        self.dir.path().join("cache.sqlite3")
    }
}

/// The UIDs cached for a source, read through a separate connection to the real file.
pub async fn cached_uids(db: &Path, source_id: i64) -> Vec<String> {
    let pool = SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let uids: Vec<String> =
        sqlx::query_scalar("SELECT uid FROM events WHERE source_id = ? ORDER BY seq")
            .bind(source_id)
            .fetch_all(&pool)
            .await
            .unwrap();
    pool.close().await;
    uids
}

/// Current and peak resident memory of this process, in bytes (Linux).
pub fn rss() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
            * 1024
    };
    (field("VmRSS:"), field("VmHWM:"))
}
