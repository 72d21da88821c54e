//! One instance per data directory, always exactly one.
//!
//! The file lock is the authority: it is claimed first, atomically (`flock`, released by
//! the kernel when the process dies, even by kill -9). The session bus only carries a
//! request to show the window from a second launch to the lock holder:
//! - the holder serves `Show` at [`OBJECT_PATH`] under a bus name derived from the data
//!   directory ([`bus_name`]), so two data directories never forward to each other;
//! - a launch that finds the lock taken calls `Show` and exits 0. The holder may have
//!   taken the lock a moment ago and not own its name yet, or it may be exiting: the
//!   launch keeps trying the lock and the call for [`FORWARD_WAIT`], so whichever
//!   happens first wins (it becomes the instance, or it handed over) and two simultaneous
//!   launches always leave exactly one running.
//!
//! A launch without a session bus never gets this far: `app.rs` refuses to start the tray
//! app (it needs the bus for the tray, notifications and this forwarding), so it cannot
//! hold the lock with nothing working behind it.

use std::fs::{File, OpenOptions, TryLockError};
use std::hash::{Hash, Hasher};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use zbus::fdo::RequestNameFlags;

/// Where the instance serves [`Forwarder`].
pub const OBJECT_PATH: &str = "/org/calendarbot/app/Instance";
const INTERFACE: &str = "org.calendarbot.app.Instance";
/// How long a second launch keeps trying to reach (or become) the instance.
pub const FORWARD_WAIT: Duration = Duration::from_secs(20);
/// Between two tries: the holder is normally a few hundred ms from owning its name.
const RETRY_EVERY: Duration = Duration::from_millis(50);

/// The held lock; released when dropped (or when the process dies, even by kill -9).
#[derive(Debug)]
pub struct InstanceLock {
    _file: File,
}

/// Takes the lock, or returns the pid of the running instance (as written in the file).
pub fn acquire(path: &Path) -> std::io::Result<Result<InstanceLock, Option<u32>>> {
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    match file.try_lock() {
        Ok(()) => {
            file.set_len(0)?;
            file.seek(SeekFrom::Start(0))?;
            writeln!(file, "{}", std::process::id())?;
            file.flush()?;
            Ok(Ok(InstanceLock { _file: file }))
        }
        Err(TryLockError::WouldBlock) => {
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            Ok(Err(text.trim().parse().ok()))
        }
        Err(TryLockError::Error(e)) => Err(e),
    }
}

/// The bus name of the instance on `data_dir`: one per data directory.
pub fn bus_name(data_dir: &Path) -> String {
    let canonical = data_dir
        .canonicalize()
        .unwrap_or_else(|_| data_dir.to_path_buf());
    // SipHash with fixed keys: the same for every launch of this build, which is all a
    // second launch needs to find the first.
    #[allow(deprecated)]
    let mut h = std::hash::SipHasher::new();
    canonical.hash(&mut h);
    format!("org.calendarbot.app.Instance.d{:016x}", h.finish())
}

/// The session bus, or why there is none.
pub fn session_bus() -> Result<zbus::Connection, String> {
    zbus::block_on(zbus::Connection::session()).map_err(|e| e.to_string())
}

/// What a launch is.
pub enum Launch {
    /// This process holds the lock: it is the instance.
    Primary(InstanceLock),
    /// The instance was asked to show its window; this process should exit 0.
    Forwarded { pid: Option<u32> },
}

/// Decides what this launch is (blocking, up to [`FORWARD_WAIT`]).
pub fn claim(lock_path: &Path, bus: &zbus::Connection, name: &str) -> Result<Launch, String> {
    let deadline = Instant::now() + FORWARD_WAIT;
    loop {
        let pid = match acquire(lock_path) {
            Ok(Ok(lock)) => return Ok(Launch::Primary(lock)),
            Ok(Err(pid)) => pid,
            Err(e) => return Err(format!("cannot take the instance lock: {e}")),
        };
        match zbus::block_on(forward_show(bus, name)) {
            Ok(()) => return Ok(Launch::Forwarded { pid }),
            Err(e) if Instant::now() >= deadline => {
                let pid = pid.map_or_else(String::new, |p| format!(" (pid {p})"));
                return Err(format!(
                    "another instance{pid} holds the lock but did not answer on the session bus: {e}"
                ));
            }
            // Not owned yet (the holder is starting) or no longer (it is exiting).
            Err(_) => std::thread::sleep(RETRY_EVERY),
        }
    }
}

async fn forward_show(bus: &zbus::Connection, name: &str) -> zbus::Result<()> {
    bus.call_method(Some(name), OBJECT_PATH, Some(INTERFACE), "Show", &())
        .await
        .map(|_| ())
}

/// Keeps the instance's bus connection (its name and [`Forwarder`]) for the process's
/// lifetime (held in Tauri's state).
pub struct BusClaim(#[allow(dead_code)] pub zbus::Connection);

/// Serves `Show` for later launches and asks for the name. The name is queued for, not
/// taken over: an instance of this data directory that is still exiting keeps it until it
/// is gone, then it passes to this one.
pub fn serve(
    bus: &zbus::Connection,
    name: &str,
    on_show: impl Fn() + Send + Sync + 'static,
) -> zbus::Result<()> {
    zbus::block_on(async {
        bus.object_server()
            .at(
                OBJECT_PATH,
                Forwarder {
                    on_show: Box::new(on_show),
                },
            )
            .await?;
        bus.request_name_with_flags(name, RequestNameFlags::empty())
            .await?;
        Ok(())
    })
}

/// The object a second launch calls.
struct Forwarder {
    on_show: Box<dyn Fn() + Send + Sync>,
}

#[zbus::interface(name = "org.calendarbot.app.Instance")]
impl Forwarder {
    /// Opens (or raises) the window.
    fn show(&self) {
        tracing::info!("another launch asked for the window");
        (self.on_show)();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_second_lock_on_the_same_file_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("calendarbot.lock");
        let first = acquire(&path).unwrap().unwrap();
        assert_eq!(
            acquire(&path).unwrap().unwrap_err(),
            Some(std::process::id())
        );
        drop(first);
        assert!(acquire(&path).unwrap().is_ok());
    }

    #[test]
    fn the_bus_name_is_valid_stable_and_per_data_directory() {
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        let name = bus_name(a.path());
        assert_eq!(name, bus_name(a.path()));
        assert_ne!(name, bus_name(b.path()));
        assert!(zbus::names::WellKnownName::try_from(name.as_str()).is_ok());
    }
}
