//! The one API of both faces: the operations users have, as plain async functions
//! taking the app's [`Backend`](crate::backend::Backend) or a [`Ctx`] (what the command
//! line opens) and typed parameters, returning typed results (the types that cross IPC
//! among them, with their TypeScript declarations) or one [`ApiError`].
//!
//! The Tauri commands and the CLI subcommands are one-liners over these: validation,
//! the window's policy (`window_policy`), side effects (the autostart entry, telling the
//! running app's loops that data changed) and the error codes are decided here, once.
//!
//! - [`agenda`]: overview, day and week ranges, the next meeting, Join.
//! - [`control`]: refresh now, pause and resume notifications.
//! - [`settings`]: list, get and set, with the autostart side effect.
//! - [`sources`]: list with health, add, update, remove, test connection;
//!   [`accounts`]: CalDAV accounts from the window.
//! - [`hide`]: hide an occurrence or a series, list and unhide the rules.
//! - [`diagnostics`]: the window's Diagnostics page; [`status`]: `calendarbot status`.
//! - [`error`]: the error, its window code and its exit code.

pub mod accounts;
pub mod agenda;
pub mod control;
pub mod diagnostics;
pub mod error;
pub mod hide;
pub mod settings;
pub mod sources;
pub mod status;

pub use crate::ctx::Ctx;
pub use error::{ApiError, ApiResult, Code};
