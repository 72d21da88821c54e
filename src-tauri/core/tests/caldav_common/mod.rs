//! Shared by the CalDAV tests: real servers (Radicale, Xandikos) started on
//! 127.0.0.1 by the test itself, a counting proxy in front of them, and the WebDAV
//! requests a test uses to set up calendars (MKCALENDAR, PUT, DELETE).
//!
//! The proxy forwards each request (one per connection) and records its method, path
//! and body, so a test counts what a sync sent. It also stands in for the reverse
//! proxy Xandikos is meant to run behind (Xandikos has no authentication of its own):
//! there it checks a plain user/password pair. `kill_on` makes the server really die
//! (its process is killed) when the n-th request from now arrives.
#![allow(dead_code, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use calendarbot_core::db;
use calendarbot_core::fetch::FetchConfig;
use calendarbot_core::secrets::{Preference, SecretStore};
use calendarbot_core::settings::Settings;
use sqlx::SqlitePool;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const USER: &str = "alice";
pub const PASSWORD: &str = "app-pass-7f3k";

/// Which server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Radicale,
    Xandikos,
}

impl Kind {
    fn binary(self) -> &'static str {
        match self {
            Kind::Radicale => "radicale",
            Kind::Xandikos => "xandikos",
        }
    }

    /// The calendar home of USER (where MKCALENDAR goes).
    pub fn home(self) -> String {
        match self {
            Kind::Radicale => format!("/{USER}/"),
            Kind::Xandikos => "/user/calendars/".into(),
        }
    }
}

fn find_binary(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

/// Whether the server can run here; prints why not (the only reason to skip).
pub fn available(kind: Kind) -> bool {
    if find_binary(kind.binary()).is_some() {
        return true;
    }
    eprintln!(
        "SKIPPED: `{}` is not installed (scripts/ensure-deps.sh test installs it)",
        kind.binary()
    );
    false
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits until `addr` accepts connections (the server is up), up to 30 s.
async fn wait_listening(addr: SocketAddr, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if TcpStream::connect(addr).await.is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("server exited before listening: {status}");
        }
        assert!(Instant::now() < deadline, "server did not start listening");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A running server behind its proxy. Dropping it kills the server.
pub struct Server {
    pub kind: Kind,
    child: Arc<Mutex<Option<Child>>>,
    pub upstream: SocketAddr,
    pub proxy: Proxy,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.lock().unwrap().take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Server {
    pub async fn start(kind: Kind) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let upstream: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
        let mut cmd = match kind {
            Kind::Radicale => {
                let users = dir.path().join("users");
                std::fs::write(&users, format!("{USER}:{PASSWORD}\n")).unwrap();
                let config = dir.path().join("config");
                std::fs::write(
                    &config,
                    format!(
                        "[server]\nhosts = 127.0.0.1:{port}\n\
                         [auth]\ntype = htpasswd\nhtpasswd_filename = {}\nhtpasswd_encryption = plain\n\
                         [storage]\nfilesystem_folder = {}\n\
                         [rights]\ntype = owner_only\n\
                         [logging]\nlevel = warning\n",
                        users.display(),
                        dir.path().join("collections").display()
                    ),
                )
                .unwrap();
                let mut c = Command::new("radicale");
                c.arg("--config").arg(&config);
                c
            }
            Kind::Xandikos => {
                let mut c = Command::new("xandikos");
                c.arg("-d")
                    .arg(dir.path().join("data"))
                    .arg("--defaults")
                    .args(["-l", "127.0.0.1", "-p", &port.to_string()]);
                c
            }
        };
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        wait_listening(upstream, &mut child).await;
        let child = Arc::new(Mutex::new(Some(child)));
        let auth = (kind == Kind::Xandikos).then(|| basic(USER, PASSWORD));
        let proxy = Proxy::start(upstream, auth, child.clone()).await;
        Server {
            kind,
            child,
            upstream,
            proxy,
            _dir: dir,
        }
    }

    /// The address a user would type: the server's root, through the proxy.
    pub fn address(&self) -> String {
        format!("http://{}/", self.proxy.addr)
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.proxy.addr)
    }

    /// A request as USER, through the proxy (not counted: the proxy ignores requests
    /// made with the setup agent).
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Option<String>,
    ) -> (u16, String) {
        let client = reqwest::Client::builder()
            .user_agent(SETUP_AGENT)
            .build()
            .unwrap();
        let mut req = client
            .request(
                reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                self.url(path),
            )
            .basic_auth(USER, Some(PASSWORD));
        if let Some(ct) = content_type {
            req = req.header("Content-Type", ct);
        }
        if let Some(b) = body {
            req = req.body(b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.text().await.unwrap_or_default())
    }

    /// MKCALENDAR `name` under the home with a display name and a colour.
    pub async fn mkcalendar(&self, name: &str, display: &str, color: &str) -> String {
        let path = format!("{}{name}/", self.kind.home());
        let body = format!(
            r#"<?xml version="1.0" encoding="utf-8"?><c:mkcalendar xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:x="http://apple.com/ns/ical/"><d:set><d:prop><d:displayname>{display}</d:displayname><x:calendar-color>{color}</x:calendar-color><c:supported-calendar-component-set><c:comp name="VEVENT"/></c:supported-calendar-component-set></d:prop></d:set></c:mkcalendar>"#
        );
        let (status, text) = self
            .request("MKCALENDAR", &path, Some(XML), Some(body))
            .await;
        assert_eq!(status, 201, "MKCALENDAR {path}: {text}");
        if self.kind == Kind::Xandikos {
            // Xandikos ignores properties in MKCALENDAR it cannot set there; PROPPATCH them.
            let patch = format!(
                r#"<?xml version="1.0" encoding="utf-8"?><d:propertyupdate xmlns:d="DAV:" xmlns:x="http://apple.com/ns/ical/"><d:set><d:prop><x:calendar-color>{color}</x:calendar-color></d:prop></d:set></d:propertyupdate>"#
            );
            let (status, text) = self
                .request("PROPPATCH", &path, Some(XML), Some(patch))
                .await;
            assert_eq!(status, 207, "PROPPATCH {path}: {text}");
        }
        path
    }

    /// PUT one event into calendar `cal` (a path from [`Self::mkcalendar`]).
    pub async fn put_event(&self, cal: &str, uid: &str, summary: &str, start: &str) {
        let body = format!(
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//CalendarBot tests//EN\r\nBEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:{start}\r\nDURATION:PT30M\r\nSUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
        );
        let path = format!("{cal}{uid}.ics");
        let (status, text) = self
            .request(
                "PUT",
                &path,
                Some("text/calendar; charset=utf-8"),
                Some(body),
            )
            .await;
        assert!(
            status == 201 || status == 204,
            "PUT {path}: {status} {text}"
        );
    }

    pub async fn delete_event(&self, cal: &str, uid: &str) {
        let path = format!("{cal}{uid}.ics");
        let (status, text) = self.request("DELETE", &path, None, None).await;
        assert!(
            status == 200 || status == 204,
            "DELETE {path}: {status} {text}"
        );
    }
}

const XML: &str = "application/xml; charset=utf-8";
const SETUP_AGENT: &str = "caldav-test-setup";

fn basic(user: &str, password: &str) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let raw = format!("{user}:{password}").into_bytes();
    let mut out = String::new();
    for chunk in raw.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    format!("Basic {out}")
}

/// A request the proxy saw (from the client under test).
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub body: String,
}

/// The counting proxy.
pub struct Proxy {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Kill the server when the request with this number (counted from 1 by
    /// `kill_on`) arrives; 0 = never.
    kill_at: Arc<AtomicUsize>,
    counter: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    async fn start(
        upstream: SocketAddr,
        auth: Option<String>,
        child: Arc<Mutex<Option<Child>>>,
    ) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let kill_at = Arc::new(AtomicUsize::new(0));
        let counter = Arc::new(AtomicUsize::new(0));
        // No pooled upstream connections: the server may close an idle one just as the
        // proxy reuses it, and the test would see a dropped connection it never caused.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(0)
            .build()
            .unwrap();
        let state = (seen.clone(), kill_at.clone(), counter.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                let (seen, kill_at, counter) = state.clone();
                let client = client.clone();
                let auth = auth.clone();
                let child = child.clone();
                tokio::spawn(async move {
                    let _ =
                        serve(sock, upstream, client, auth, child, seen, kill_at, counter).await;
                });
            }
        });
        Proxy {
            addr,
            seen,
            kill_at,
            counter,
            task,
        }
    }

    /// Forgets what was seen so far.
    pub fn reset(&self) {
        self.seen.lock().unwrap().clear();
        self.counter.store(0, Ordering::SeqCst);
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// The server dies when the `n`-th request after now (1-based) arrives.
    pub fn kill_on(&self, n: usize) {
        self.counter.store(0, Ordering::SeqCst);
        self.kill_at.store(n, Ordering::SeqCst);
    }
}

#[allow(clippy::too_many_arguments)]
async fn serve(
    mut sock: TcpStream,
    upstream: SocketAddr,
    client: reqwest::Client,
    auth: Option<String>,
    child: Arc<Mutex<Option<Child>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    kill_at: Arc<AtomicUsize>,
    counter: Arc<AtomicUsize>,
) -> std::io::Result<()> {
    let mut buf = Vec::new();
    let head_end = loop {
        let mut chunk = [0u8; 8192];
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or("").split_whitespace();
    let method = first.next().unwrap_or("GET").to_string();
    let path = first.next().unwrap_or("/").to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let len: usize = header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < len {
        let mut chunk = [0u8; 8192];
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let setup = header("user-agent").as_deref() == Some(SETUP_AGENT);
    if !setup {
        seen.lock().unwrap().push(Seen {
            method: method.clone(),
            path: path.clone(),
            body: String::from_utf8_lossy(&body).into_owned(),
        });
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        if kill_at.load(Ordering::SeqCst) == n {
            if let Some(mut c) = child.lock().unwrap().take() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    }
    if let Some(expected) = &auth {
        if header("authorization").as_deref() != Some(expected.as_str()) {
            let msg = "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            sock.write_all(msg.as_bytes()).await?;
            return Ok(());
        }
    }
    let mut req = client.request(
        reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET),
        format!("http://{upstream}{path}"),
    );
    for (k, v) in &headers {
        let k_l = k.to_ascii_lowercase();
        let hop_by_hop = matches!(k_l.as_str(), "host" | "connection" | "content-length");
        let proxy_auth = auth.is_some() && k_l == "authorization";
        if !hop_by_hop && !proxy_auth {
            req = req.header(k.as_str(), v.as_str());
        }
    }
    let resp = match req.body(body).send().await {
        Ok(r) => r,
        // The server is gone: so is this connection, as it would be without a proxy.
        Err(_) => return Ok(()),
    };
    let status = resp.status();
    let mut out = format!(
        "HTTP/1.1 {} {}\r\n",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    );
    for (k, v) in resp.headers() {
        if !matches!(
            k.as_str(),
            "transfer-encoding" | "connection" | "content-length"
        ) {
            out.push_str(&format!("{}: {}\r\n", k, v.to_str().unwrap_or("")));
        }
    }
    let bytes = match resp.bytes().await {
        Ok(b) => b,
        Err(_) => return Ok(()),
    };
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        bytes.len()
    ));
    sock.write_all(out.as_bytes()).await?;
    sock.write_all(&bytes).await?;
    sock.shutdown().await?;
    Ok(())
}

/// A fresh database and file-only secrets store in a temporary directory.
pub async fn fresh_db(dir: &Path) -> (SqlitePool, SecretStore) {
    let pool = db::open(&dir.join("calendarbot.sqlite3")).await.unwrap();
    let secrets = SecretStore::open(&dir.join("secrets.json"), Preference::FileOnly);
    (pool, secrets)
}

/// The fetch configuration of the tests: the product's, with short timeouts.
pub fn fetch_config() -> FetchConfig {
    FetchConfig {
        connect_timeout: Duration::from_secs(5),
        read_timeout: Duration::from_secs(10),
        total_timeout: Duration::from_secs(20),
        ..FetchConfig::default()
    }
}

pub async fn settings(pool: &SqlitePool) -> Settings {
    Settings::load(pool).await.unwrap()
}
