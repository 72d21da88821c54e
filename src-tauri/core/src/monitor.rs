//! Task and memory monitoring: every background task and blocking job is started
//! through [`Tasks`], which tracks it for shutdown (tokio-util's `TaskTracker`) and
//! records its name, start, duration, outcome and memory delta for Diagnostics.

use std::collections::{BTreeMap, VecDeque};
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio_util::task::TaskTracker;

/// How many finished tasks Diagnostics keeps.
const FINISHED_KEPT: usize = 50;

/// Process memory, read from `/proc/self/status` (a cheap read, no sampling thread).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq, ts_rs::TS)]
pub struct Memory {
    pub rss_bytes: u64,
    pub anon_bytes: u64,
}

impl Memory {
    pub fn now() -> Self {
        Self::read("/proc/self/status").unwrap_or_default()
    }

    /// Memory of another process (the running app, for `calendarbot status`).
    pub fn of(pid: u32) -> Option<Self> {
        Self::read(&format!("/proc/{pid}/status"))
    }

    fn read(status_file: &str) -> Option<Self> {
        std::fs::read_to_string(status_file)
            .ok()
            .map(|s| Self::parse_status(&s))
    }

    fn parse_status(status: &str) -> Self {
        let kb = |field: &str| -> u64 {
            status
                .lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse().ok())
                .map_or(0, |n: u64| n * 1024)
        };
        Self {
            rss_bytes: kb("VmRSS:"),
            anon_bytes: kb("RssAnon:"),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
pub struct ActiveTask {
    pub id: u64,
    pub name: String,
    pub started_at: DateTime<Utc>,
    pub running_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
pub struct FinishedTask {
    pub name: String,
    pub started_at: DateTime<Utc>,
    pub duration_ms: u64,
    /// "ok", "cancelled" or the error in words.
    pub outcome: String,
    /// Change in resident memory across the task (can be negative).
    pub rss_delta_bytes: i64,
}

/// How a finished task's result reads in Diagnostics.
pub trait Outcome {
    /// "ok", or what went wrong in words.
    fn describe(&self) -> String;
}

impl Outcome for () {
    fn describe(&self) -> String {
        "ok".into()
    }
}

impl<T, E: std::fmt::Display> Outcome for Result<T, E> {
    fn describe(&self) -> String {
        match self {
            Ok(_) => "ok".into(),
            Err(e) => e.to_string(),
        }
    }
}

/// What Diagnostics and `status --format json` show.
#[derive(Debug, Clone, Serialize, Deserialize, ts_rs::TS)]
pub struct TaskReport {
    pub active: Vec<ActiveTask>,
    pub finished: Vec<FinishedTask>,
    pub blocking_in_flight: usize,
    pub blocking_total: usize,
    pub memory: Memory,
}

struct Entry {
    name: String,
    started_at: DateTime<Utc>,
    started: Instant,
}

#[derive(Default)]
struct Registry {
    next_id: u64,
    active: BTreeMap<u64, Entry>,
    finished: VecDeque<FinishedTask>,
}

/// The one place background work is spawned from. Cloning shares the registry.
#[derive(Clone)]
pub struct Tasks {
    tracker: TaskTracker,
    /// The runtime the registry was made in: tasks may be started from threads that
    /// are not the runtime's (GTK's main thread, for a tray click).
    runtime: Option<tokio::runtime::Handle>,
    shared: Arc<Shared>,
}

struct Shared {
    registry: Mutex<Registry>,
    blocking_in_flight: AtomicUsize,
    blocking_total: AtomicUsize,
    /// Where the running app publishes its report for `calendarbot status`.
    snapshot: Option<PathBuf>,
    /// This process's name, read once, for every snapshot it writes.
    process_name: String,
}

/// The report as the app publishes it to a file for `calendarbot status` (another
/// process): rewritten whenever a task starts or ends, so it costs no timer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    pub pid: u32,
    /// The writer's process name (`/proc/self/comm`): a pid reused by another program
    /// has another name. Absent in a file from an older version: not alive.
    #[serde(default)]
    pub process_name: String,
    pub written_at: DateTime<Utc>,
    pub tasks: TaskReport,
}

impl Default for Tasks {
    fn default() -> Self {
        Self::new()
    }
}

impl Tasks {
    pub fn new() -> Self {
        Self::build(None)
    }

    /// A registry that also keeps `path` current with a [`Snapshot`] (the app's).
    pub fn publishing_to(path: PathBuf) -> Self {
        Self::build(Some(path))
    }

    fn build(snapshot: Option<PathBuf>) -> Self {
        Self {
            tracker: TaskTracker::new(),
            runtime: tokio::runtime::Handle::try_current().ok(),
            shared: Arc::new(Shared {
                registry: Mutex::default(),
                blocking_in_flight: AtomicUsize::new(0),
                blocking_total: AtomicUsize::new(0),
                process_name: snapshot
                    .as_ref()
                    .and_then(|_| process_name(std::process::id()))
                    .unwrap_or_default(),
                snapshot,
            }),
        }
    }

    /// The tracker shutdown waits on.
    pub fn tracker(&self) -> &TaskTracker {
        &self.tracker
    }

    /// Spawns a named task on the current runtime, tracked for shutdown and listed in
    /// Diagnostics while it runs; its [`Outcome`] is recorded when it ends.
    pub fn spawn<F>(&self, name: impl Into<String>, future: F) -> tokio::task::JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Outcome + Send + 'static,
    {
        let id = self.begin(name.into());
        let me = self.clone();
        let rss_before = Memory::now().rss_bytes;
        let task = async move {
            let output = future.await;
            me.finish(id, output.describe(), rss_before);
            output
        };
        match &self.runtime {
            Some(runtime) => self.tracker.spawn_on(task, runtime),
            None => self.tracker.spawn(task),
        }
    }

    /// Runs CPU-bound or blocking work on tokio's (bounded) blocking pool, counted
    /// for Diagnostics; the async caller awaits it without blocking a worker.
    pub async fn blocking<T, F>(&self, f: F) -> Result<T, tokio::task::JoinError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.shared.blocking_total.fetch_add(1, Ordering::Relaxed);
        self.shared
            .blocking_in_flight
            .fetch_add(1, Ordering::Relaxed);
        let result = match &self.runtime {
            Some(runtime) => self.tracker.spawn_blocking_on(f, runtime).await,
            None => self.tracker.spawn_blocking(f).await,
        };
        self.shared
            .blocking_in_flight
            .fetch_sub(1, Ordering::Relaxed);
        result
    }

    pub fn report(&self) -> TaskReport {
        let now = Instant::now();
        let registry = self.registry();
        TaskReport {
            active: registry
                .active
                .iter()
                .map(|(id, e)| ActiveTask {
                    id: *id,
                    name: e.name.clone(),
                    started_at: e.started_at,
                    running_ms: millis(now - e.started),
                })
                .collect(),
            finished: registry.finished.iter().cloned().collect(),
            blocking_in_flight: self.shared.blocking_in_flight.load(Ordering::Relaxed),
            blocking_total: self.shared.blocking_total.load(Ordering::Relaxed),
            memory: Memory::now(),
        }
    }

    /// Removes the published snapshot (at shutdown: the app is no longer running).
    pub fn unpublish(&self) {
        if let Some(path) = &self.shared.snapshot {
            let _ = std::fs::remove_file(path);
        }
    }

    fn registry(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.shared
            .registry
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn begin(&self, name: String) -> u64 {
        let id = {
            let mut registry = self.registry();
            registry.next_id += 1;
            let id = registry.next_id;
            registry.active.insert(
                id,
                Entry {
                    name,
                    started_at: Utc::now(),
                    started: Instant::now(),
                },
            );
            id
        };
        self.publish();
        id
    }

    fn finish(&self, id: u64, outcome: String, rss_before: u64) {
        {
            let mut registry = self.registry();
            let Some(entry) = registry.active.remove(&id) else {
                return;
            };
            let rss_after = Memory::now().rss_bytes;
            registry.finished.push_back(FinishedTask {
                name: entry.name,
                started_at: entry.started_at,
                duration_ms: millis(entry.started.elapsed()),
                outcome,
                rss_delta_bytes: rss_after as i64 - rss_before as i64,
            });
            while registry.finished.len() > FINISHED_KEPT {
                registry.finished.pop_front();
            }
        }
        self.publish();
    }

    /// Writes the snapshot whole (temporary file, then rename), so a reader never sees
    /// half of it. A few hundred bytes, a few times per refresh.
    fn publish(&self) {
        let Some(path) = &self.shared.snapshot else {
            return;
        };
        let snapshot = Snapshot {
            pid: std::process::id(),
            process_name: self.shared.process_name.clone(),
            written_at: Utc::now(),
            tasks: self.report(),
        };
        let tmp = path.with_extension("json.tmp");
        let written = serde_json::to_vec_pretty(&snapshot)
            .map_err(std::io::Error::other)
            .and_then(|json| std::fs::write(&tmp, json))
            .and_then(|()| std::fs::rename(&tmp, path));
        if let Err(e) = written {
            tracing::debug!(error = %e, "publishing the task snapshot failed");
        }
    }
}

/// The running app's published snapshot, if the process that wrote it is alive: a file
/// left by a crash is ignored, also once its pid belongs to another program (which has
/// another name than the one the writer recorded).
pub fn read_snapshot(path: &std::path::Path) -> Option<Snapshot> {
    let snapshot: Snapshot = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    let alive = !snapshot.process_name.is_empty()
        && process_name(snapshot.pid).as_deref() == Some(snapshot.process_name.as_str());
    alive.then_some(snapshot)
}

/// A process's name as the kernel keeps it (`/proc/PID/comm`, at most 15 bytes).
fn process_name(pid: u32) -> Option<String> {
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    Some(comm.trim_end().to_string())
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn memory_fields_are_read_from_proc_status() {
        let m = Memory::parse_status("Name:\tx\nVmRSS:\t  2048 kB\nRssAnon:\t 1024 kB\n");
        assert_eq!(
            m,
            Memory {
                rss_bytes: 2048 * 1024,
                anon_bytes: 1024 * 1024
            }
        );
        assert!(Memory::now().rss_bytes > 0);
    }

    #[tokio::test]
    async fn tasks_are_listed_while_active_and_recorded_with_their_outcome() {
        let tasks = Tasks::new();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tasks.spawn("waiter", async move { rx.await.map_err(|e| e.to_string()) });
        tasks.spawn("failer", async { Err::<(), _>("feed returned a web page") });
        tokio::task::yield_now().await;
        assert_eq!(
            tasks
                .report()
                .active
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>(),
            ["waiter"]
        );
        tx.send(()).unwrap();
        tasks.tracker().close();
        tasks.tracker().wait().await;
        let report = tasks.report();
        assert!(report.active.is_empty());
        let outcomes: Vec<_> = report
            .finished
            .iter()
            .map(|t| (t.name.as_str(), t.outcome.as_str()))
            .collect();
        assert!(outcomes.contains(&("waiter", "ok")));
        assert!(outcomes.contains(&("failer", "feed returned a web page")));
        assert_eq!(tasks.blocking(|| 6 * 7).await.unwrap(), 42);
        assert_eq!(tasks.report().blocking_total, 1);
        assert_eq!(tasks.report().blocking_in_flight, 0);
    }

    #[test]
    fn tasks_start_from_a_thread_outside_the_runtime() {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let tasks = runtime.block_on(async { Tasks::new() });
        // Like a tray click on GTK's main thread: no runtime context here.
        let handle = tasks.spawn("from outside", async { Ok::<i32, String>(6 * 7) });
        assert_eq!(runtime.block_on(handle).unwrap(), Ok(42));
    }

    #[tokio::test]
    async fn the_snapshot_follows_the_tasks_and_is_gone_after_unpublish() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("runtime.json");
        let tasks = Tasks::publishing_to(path.clone());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tasks.spawn("refresh source 3", async move {
            rx.await.map_err(|e| e.to_string())
        });
        let snap = read_snapshot(&path).unwrap();
        assert_eq!(snap.pid, std::process::id());
        assert_eq!(snap.tasks.active[0].name, "refresh source 3");
        tx.send(()).unwrap();
        tasks.tracker().close();
        tasks.tracker().wait().await;
        let snap = read_snapshot(&path).unwrap();
        assert!(snap.tasks.active.is_empty());
        assert_eq!(snap.tasks.finished[0].outcome, "ok");
        assert!(Memory::of(snap.pid).unwrap().rss_bytes > 0);
        tasks.unpublish();
        assert!(read_snapshot(&path).is_none());
    }

    #[test]
    fn a_snapshot_counts_only_while_its_pid_runs_the_program_that_wrote_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("runtime.json");
        // `cat`, once it has echoed a line, runs as `cat` (right after spawn the pid may
        // still carry this test's name, before its exec).
        let mut other = std::process::Command::new("cat")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = other.stdin.take().unwrap();
        std::io::Write::write_all(&mut stdin, b"ready\n").unwrap();
        let mut echoed = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(other.stdout.take().unwrap()),
            &mut echoed,
        )
        .unwrap();
        assert_eq!(echoed, "ready\n");
        let write = |name: &str| {
            let snapshot = Snapshot {
                pid: other.id(),
                process_name: name.to_string(),
                written_at: Utc::now(),
                tasks: Tasks::new().report(),
            };
            std::fs::write(&path, serde_json::to_vec(&snapshot).unwrap()).unwrap();
        };
        // Written by the app, whose pid now runs `cat`: a crash left it.
        write("calendarbot-app");
        assert!(read_snapshot(&path).is_none());
        // The writer is the program at that pid (the app and the CLI are two binaries,
        // so the reader's own name proves nothing).
        write("cat");
        assert_eq!(read_snapshot(&path).unwrap().pid, other.id());
        other.kill().unwrap();
        other.wait().unwrap();
        assert!(read_snapshot(&path).is_none());
    }
}
