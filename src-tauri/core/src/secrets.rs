//! Credentials of sources: a feed's URL (secret addresses carry a token in the path or
//! query), passwords, bearer tokens and extra headers.
//!
//! They go to the OS keyring (Secret Service on Linux, through the `keyring` crate)
//! when one answers, else to a JSON file in the data directory with mode 0600
//! ([`crate::paths::Paths::secrets_file`]). [`SecretStore::kind`] says which, so the UI
//! and `sources list` can tell the user. The database never holds a secret.
//!
//! The keyring talks D-Bus synchronously: async code calls the `*_async` methods, which
//! run on the blocking pool, never on the async workers and never inside a database
//! write transaction. Keyring values read are cached in the store (a source's key never
//! changes and is never rewritten, and every write here goes through
//! [`SecretStore::set`] / [`SecretStore::delete`], which update the cache), so a refresh
//! round does not ask D-Bus again for every source.
//!
//! The file fallback is safe across processes: every read-modify-write holds an
//! exclusive `flock` on `secrets.json.lock` and writes a temporary file of its own
//! (pid and a counter in the name), renamed over `secrets.json`; a reader sees the old
//! file or the new one, never half of one.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

/// The service name under which keyring entries are filed.
const SERVICE: &str = "calendarbot";

/// Where secrets are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum StoreKind {
    /// The OS keyring (Secret Service).
    Keyring,
    /// The 0600 JSON file in the data directory.
    File,
}

impl StoreKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StoreKind::Keyring => "keyring",
            StoreKind::File => "file",
        }
    }

    /// A sentence for the UI.
    pub fn describe(self) -> &'static str {
        match self {
            StoreKind::Keyring => "stored in the system keyring",
            StoreKind::File => "stored in a private file (mode 0600) in the data directory: no system keyring was found",
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SecretsError {
    #[error("keyring error: {0}")]
    Keyring(String),
    #[error("cannot read or write the secrets file: {0}")]
    Io(#[from] std::io::Error),
    #[error("the secrets file is damaged: {0}")]
    Format(#[from] serde_json::Error),
}

/// How to choose the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preference {
    /// The keyring when it answers, else the file (the app).
    Auto,
    /// Always the file (tests, `--data-dir` sandboxes, or a user who opts out).
    FileOnly,
}

/// The secrets store of this process. Cheap to clone (the clones share the cache).
#[derive(Clone)]
pub struct SecretStore {
    inner: Arc<Inner>,
}

struct Inner {
    kind: StoreKind,
    file: PathBuf,
    /// Keyring values read or written by this process, by key.
    cache: Mutex<HashMap<String, String>>,
}

impl std::fmt::Debug for SecretStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print contents; the kind is all that is useful.
        f.debug_struct("SecretStore")
            .field("kind", &self.inner.kind)
            .finish()
    }
}

impl SecretStore {
    /// Opens the store: probes the keyring under `Preference::Auto`.
    pub fn open(secrets_file: &Path, pref: Preference) -> Self {
        let kind = match pref {
            Preference::FileOnly => StoreKind::File,
            Preference::Auto if keyring_available() => StoreKind::Keyring,
            Preference::Auto => StoreKind::File,
        };
        tracing::info!(store = kind.as_str(), "secrets store selected");
        Self {
            inner: Arc::new(Inner {
                kind,
                file: secrets_file.to_path_buf(),
                cache: Mutex::new(HashMap::new()),
            }),
        }
    }

    pub fn kind(&self) -> StoreKind {
        self.inner.kind
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.inner.cache.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Blocking: the cached value, else the keyring or the file.
    pub fn get(&self, key: &str) -> Result<Option<String>, SecretsError> {
        if let Some(v) = self.cache().get(key) {
            return Ok(Some(v.clone()));
        }
        let value = match self.inner.kind {
            StoreKind::Keyring => {
                let entry = keyring::Entry::new(SERVICE, key).map_err(kr)?;
                match entry.get_password() {
                    Ok(v) => Some(v),
                    Err(keyring::Error::NoEntry) => None,
                    Err(e) => return Err(kr(e)),
                }
            }
            StoreKind::File => self.read_file()?.remove(key),
        };
        self.remember(key, value.as_deref());
        Ok(value)
    }

    /// Blocking.
    pub fn set(&self, key: &str, value: &str) -> Result<(), SecretsError> {
        self.cache().remove(key);
        match self.inner.kind {
            StoreKind::Keyring => keyring::Entry::new(SERVICE, key)
                .and_then(|e| e.set_password(value))
                .map_err(kr)?,
            StoreKind::File => self.update_file(|map| {
                map.insert(key.to_string(), value.to_string());
                true
            })?,
        }
        self.remember(key, Some(value));
        Ok(())
    }

    /// Caches a keyring value (the D-Bus round trip is what is worth saving; the file
    /// is read afresh each time, so a change by another process is seen at once). Only
    /// values: a key missing now may be written by another process.
    fn remember(&self, key: &str, value: Option<&str>) {
        if let (StoreKind::Keyring, Some(v)) = (self.inner.kind, value) {
            self.cache().insert(key.to_string(), v.to_string());
        }
    }

    /// Blocking. Deleting a key that is not there is fine.
    pub fn delete(&self, key: &str) -> Result<(), SecretsError> {
        self.cache().remove(key);
        match self.inner.kind {
            StoreKind::Keyring => {
                match keyring::Entry::new(SERVICE, key).and_then(|e| e.delete_credential()) {
                    Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                    Err(e) => Err(kr(e)),
                }
            }
            StoreKind::File => self.update_file(|map| map.remove(key).is_some()),
        }
    }

    /// [`SecretStore::get`] on the blocking pool; a cached value is returned at once.
    pub async fn get_async(&self, key: &str) -> Result<Option<String>, SecretsError> {
        if let Some(v) = self.cache().get(key) {
            return Ok(Some(v.clone()));
        }
        let (this, key) = (self.clone(), key.to_string());
        run_blocking(move || this.get(&key)).await
    }

    /// [`SecretStore::set`] on the blocking pool.
    pub async fn set_async(&self, key: &str, value: &str) -> Result<(), SecretsError> {
        let (this, key, value) = (self.clone(), key.to_string(), value.to_string());
        run_blocking(move || this.set(&key, &value)).await
    }

    /// [`SecretStore::delete`] on the blocking pool.
    pub async fn delete_async(&self, key: &str) -> Result<(), SecretsError> {
        let (this, key) = (self.clone(), key.to_string());
        run_blocking(move || this.delete(&key)).await
    }

    /// The keys the file holds (tests and diagnostics; empty for the keyring, which
    /// cannot list this app's entries without unlocking every collection).
    pub fn file_keys(&self) -> Result<Vec<String>, SecretsError> {
        match self.inner.kind {
            StoreKind::Keyring => Ok(Vec::new()),
            StoreKind::File => Ok(self.read_file()?.into_keys().collect()),
        }
    }

    fn read_file(&self) -> Result<BTreeMap<String, String>, SecretsError> {
        read_map(&self.inner.file)
    }

    /// Read, change and write the file under the cross-process lock; `change` returns
    /// whether it changed anything (nothing is written otherwise).
    fn update_file(
        &self,
        change: impl FnOnce(&mut BTreeMap<String, String>) -> bool,
    ) -> Result<(), SecretsError> {
        let file = &self.inner.file;
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let lock = open_private(&lock_path(file), false)?;
        // Blocks until every other writer, in this process or another, is done.
        lock.lock()?;
        let mut map = read_map(file)?;
        let result = if change(&mut map) {
            write_map(file, &map)
        } else {
            Ok(())
        };
        let _ = lock.unlock();
        result
    }
}

async fn run_blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SecretsError> + Send + 'static,
) -> Result<T, SecretsError> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| {
        Err(SecretsError::Keyring(format!(
            "the secrets call failed: {e}"
        )))
    })
}

fn lock_path(file: &Path) -> PathBuf {
    let mut s = file.as_os_str().to_owned();
    s.push(".lock");
    PathBuf::from(s)
}

fn read_map(file: &Path) -> Result<BTreeMap<String, String>, SecretsError> {
    match std::fs::read(file) {
        Ok(bytes) if bytes.is_empty() => Ok(BTreeMap::new()),
        Ok(bytes) => Ok(serde_json::from_slice(&bytes)?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(e.into()),
    }
}

/// A file created 0600 (never readable by others, not even for a moment).
fn open_private(path: &Path, truncate: bool) -> std::io::Result<std::fs::File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(truncate);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)
}

/// Writes a temporary file of this writer's own, syncs it and renames it over the old
/// one, so a crash leaves either file and two writers never share a temporary.
fn write_map(file: &Path, map: &BTreeMap<String, String>) -> Result<(), SecretsError> {
    static WRITES: AtomicU64 = AtomicU64::new(0);
    let mut tmp = file.as_os_str().to_owned();
    tmp.push(format!(
        ".tmp-{}-{}",
        std::process::id(),
        WRITES.fetch_add(1, Ordering::Relaxed)
    ));
    let tmp = PathBuf::from(tmp);
    let written = (|| {
        let mut f = open_private(&tmp, true)?;
        #[cfg(unix)]
        {
            // A leftover of a crashed writer may have had wider permissions.
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        f.write_all(&serde_json::to_vec_pretty(map)?)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, file)?;
        Ok::<(), SecretsError>(())
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

fn kr(e: keyring::Error) -> SecretsError {
    // keyring errors do not contain the secret values themselves.
    SecretsError::Keyring(e.to_string())
}

/// True when a Secret Service answers. Without a session bus address we do not even
/// try: D-Bus autolaunch could hang or spawn a daemon from a headless `sync`.
fn keyring_available() -> bool {
    if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
        return false;
    }
    if keyring::Entry::store_status().is_err() {
        return false;
    }
    match keyring::Entry::new(SERVICE, "probe").and_then(|e| e.get_password()) {
        Ok(_) | Err(keyring::Error::NoEntry) => true,
        Err(e) => {
            tracing::info!(error = %e, "no usable system keyring; using the secrets file");
            false
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn file_fallback_round_trips_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.json");
        let store = SecretStore::open(&path, Preference::FileOnly);
        assert_eq!(store.kind(), StoreKind::File);
        assert_eq!(store.get("a").unwrap(), None);
        store.set("a", "s3cret").unwrap();
        store.set("b", "other").unwrap();
        assert_eq!(store.get("a").unwrap().as_deref(), Some("s3cret"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        // A second store over the same file sees the same data (a restart).
        let again = SecretStore::open(&path, Preference::FileOnly);
        assert_eq!(again.get("b").unwrap().as_deref(), Some("other"));
        again.delete("a").unwrap();
        again.delete("a").unwrap();
        assert_eq!(store.get("a").unwrap(), None);
        assert!(!format!("{store:?}").contains("s3cret"));
    }

    /// Stores opened separately on one file (as separate processes have them) write at
    /// once: nothing is lost, nothing fails, no temporary file is left.
    #[test]
    fn parallel_writers_through_separate_stores_lose_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.json");
        let writers: Vec<_> = (0..8)
            .map(|t| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let store = SecretStore::open(&path, Preference::FileOnly);
                    for i in 0..20 {
                        store.set(&format!("k{t}-{i}"), "v").unwrap();
                    }
                    for i in 0..10 {
                        store.delete(&format!("k{t}-{i}")).unwrap();
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        let keys = SecretStore::open(&path, Preference::FileOnly)
            .file_keys()
            .unwrap();
        assert_eq!(keys.len(), 80, "{keys:?}");
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(names.iter().all(|n| !n.contains(".tmp")), "{names:?}");
    }

    #[test]
    fn auto_without_a_session_bus_falls_back_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
            let store = SecretStore::open(&dir.path().join("s.json"), Preference::Auto);
            assert_eq!(store.kind(), StoreKind::File);
        }
    }
}
