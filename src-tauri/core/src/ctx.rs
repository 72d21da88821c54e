//! What an operation of [`crate::api`] needs: where the files are, the database, the
//! secrets store and the clock, and (in the running app only) whom to tell that data
//! changed.
//!
//! The app's [`crate::backend::Backend`] owns one and lends it ([`Backend::ctx`]); the
//! command line makes one per command ([`Ctx::new`]) over the pool it opened. So both
//! faces call the same functions, and the side effects that only matter to a running
//! app (recompute the agenda, refresh the feeds) are no-ops on the command line, where
//! no loop listens.
//!
//! [`Backend::ctx`]: crate::backend::Backend::ctx

use std::sync::{Arc, OnceLock};

use sqlx::SqlitePool;
use tokio::sync::Notify;

use crate::clock::Clock;
use crate::paths::Paths;
use crate::refresh::Pipeline;
use crate::secrets::{Preference, SecretStore};

#[derive(Clone)]
pub struct Ctx {
    paths: Paths,
    pool: SqlitePool,
    clock: Arc<dyn Clock>,
    /// Opened on first use: choosing the store probes the keyring (D-Bus), which most
    /// commands never need.
    secrets: Arc<OnceLock<Arc<SecretStore>>>,
    live: Option<Live>,
}

/// The running app's listeners.
#[derive(Clone)]
struct Live {
    /// Wakes the agenda loop.
    changed: Arc<Notify>,
    pipeline: Pipeline,
}

impl Ctx {
    /// A context for one command-line command: nothing listens to its changes.
    pub fn new(paths: Paths, pool: SqlitePool, clock: Arc<dyn Clock>) -> Self {
        Self {
            paths,
            pool,
            clock,
            secrets: Arc::default(),
            live: None,
        }
    }

    /// The running app's context: changes wake its agenda loop and refresh scheduler.
    pub(crate) fn live(
        paths: Paths,
        pool: SqlitePool,
        clock: Arc<dyn Clock>,
        secrets: Arc<SecretStore>,
        changed: Arc<Notify>,
        pipeline: Pipeline,
    ) -> Self {
        Self {
            paths,
            pool,
            clock,
            secrets: Arc::new(OnceLock::from(secrets)),
            live: Some(Live { changed, pipeline }),
        }
    }

    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    pub fn secrets(&self) -> &Arc<SecretStore> {
        self.secrets.get_or_init(|| {
            Arc::new(SecretStore::open(
                &self.paths.secrets_file(),
                Preference::Auto,
            ))
        })
    }

    /// Cached data or settings changed: the running app recomputes its agenda.
    pub fn data_changed(&self) {
        if let Some(live) = &self.live {
            live.changed.notify_one();
        }
    }

    /// A source was added: the running app recomputes its agenda and fetches it now.
    pub fn source_added(&self) {
        if let Some(live) = &self.live {
            live.changed.notify_one();
            live.pipeline.refresh_now();
        }
    }
}
