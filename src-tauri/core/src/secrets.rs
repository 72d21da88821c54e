//! Credentials of sources: a feed's URL (secret addresses carry a token in the path or
//! query), passwords, bearer tokens and extra headers.
//!
//! They go to the OS keyring (Secret Service on Linux, through the `keyring` crate)
//! when one answers, else to a JSON file in the data directory with mode 0600
//! ([`crate::paths::Paths::secrets_file`]). [`SecretStore::kind`] says which, so the UI
//! and `sources list` can tell the user. The database never holds a secret.
//!
//! Calls are synchronous (the keyring talks D-Bus in a blocking way): async callers
//! run them through `spawn_blocking` or accept a short block at add/remove time.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

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

/// The secrets store of this process.
pub struct SecretStore {
    kind: StoreKind,
    file: PathBuf,
    /// Serialises read-modify-write of the file.
    lock: Mutex<()>,
}

impl std::fmt::Debug for SecretStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print contents; the kind is all that is useful.
        f.debug_struct("SecretStore")
            .field("kind", &self.kind)
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
            kind,
            file: secrets_file.to_path_buf(),
            lock: Mutex::new(()),
        }
    }

    pub fn kind(&self) -> StoreKind {
        self.kind
    }

    pub fn get(&self, key: &str) -> Result<Option<String>, SecretsError> {
        match self.kind {
            StoreKind::Keyring => {
                let entry = keyring::Entry::new(SERVICE, key).map_err(kr)?;
                match entry.get_password() {
                    Ok(v) => Ok(Some(v)),
                    Err(keyring::Error::NoEntry) => Ok(None),
                    Err(e) => Err(kr(e)),
                }
            }
            StoreKind::File => {
                let _g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
                Ok(self.read_file()?.remove(key))
            }
        }
    }

    pub fn set(&self, key: &str, value: &str) -> Result<(), SecretsError> {
        match self.kind {
            StoreKind::Keyring => keyring::Entry::new(SERVICE, key)
                .and_then(|e| e.set_password(value))
                .map_err(kr),
            StoreKind::File => {
                let _g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
                let mut map = self.read_file()?;
                map.insert(key.to_string(), value.to_string());
                self.write_file(&map)
            }
        }
    }

    pub fn delete(&self, key: &str) -> Result<(), SecretsError> {
        match self.kind {
            StoreKind::Keyring => {
                match keyring::Entry::new(SERVICE, key).and_then(|e| e.delete_credential()) {
                    Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                    Err(e) => Err(kr(e)),
                }
            }
            StoreKind::File => {
                let _g = self.lock.lock().unwrap_or_else(|e| e.into_inner());
                let mut map = self.read_file()?;
                if map.remove(key).is_some() {
                    self.write_file(&map)?;
                }
                Ok(())
            }
        }
    }

    fn read_file(&self) -> Result<BTreeMap<String, String>, SecretsError> {
        match std::fs::read(&self.file) {
            Ok(bytes) if bytes.is_empty() => Ok(BTreeMap::new()),
            Ok(bytes) => Ok(serde_json::from_slice(&bytes)?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(e.into()),
        }
    }

    /// Writes a temporary file created 0600 (never readable by others, not even for a
    /// moment), syncs it and renames it over the old one, so a crash leaves either file.
    fn write_file(&self, map: &BTreeMap<String, String>) -> Result<(), SecretsError> {
        if let Some(dir) = self.file.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = self.file.with_extension("json.tmp");
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp)?;
        #[cfg(unix)]
        {
            // The file may have pre-existed with wider permissions.
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        f.write_all(&serde_json::to_vec_pretty(map)?)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, &self.file)?;
        Ok(())
    }
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

    #[test]
    fn auto_without_a_session_bus_falls_back_to_the_file() {
        let dir = tempfile::tempdir().unwrap();
        if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
            let store = SecretStore::open(&dir.path().join("s.json"), Preference::Auto);
            assert_eq!(store.kind(), StoreKind::File);
        }
    }
}
