//! `calendarbot accounts add|list|remove`: CalDAV accounts from the command line.
//!
//! `add` discovers the account's calendars, adds one source per calendar (all of them
//! unless `--calendars` names some), syncs them once so the agenda shows them at once,
//! and prints them. The password comes from an environment variable, never argv.

use std::process::ExitCode;

use clap::{Args, Subcommand};
use tokio_util::sync::CancellationToken;

use calendarbot_core::api::error::ApiError;
use calendarbot_core::caldav::accounts::{self, AccountView, NewAccount};
use calendarbot_core::caldav::http::DavClient;
use calendarbot_core::caldav::sync::{self, SyncEnv};
use calendarbot_core::caldav::CaldavError;
use calendarbot_core::db;
use calendarbot_core::fetch::FetchConfig;
use calendarbot_core::paths::Paths;
use calendarbot_core::secrets::{Preference, SecretStore};
use calendarbot_core::settings::Settings;
use calendarbot_core::sources::Auth;

use super::args::TextOrJson;
use super::out::{escape, outln, Out};
use super::{secret_from_env, CliError};

#[derive(Debug, Subcommand)]
pub enum AccountsCommand {
    /// Discover a CalDAV account's calendars and add one source per calendar.
    Add(AccountAddArgs),
    /// List CalDAV accounts and their calendars.
    List {
        #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
        format: TextOrJson,
    },
    /// Remove an account (by id or name) with its sources and credentials.
    Remove {
        #[arg(value_name = "ID_OR_NAME")]
        id_or_name: String,
    },
}

#[derive(Debug, Args)]
pub struct AccountAddArgs {
    /// Server address (https://cloud.example.org, a host name) or an e-mail address
    /// on a known provider (Fastmail, iCloud).
    #[arg(value_name = "URL")]
    pub address: String,
    /// User name (often the e-mail address).
    #[arg(long, requires = "password_env")]
    pub user: Option<String>,
    /// Environment variable holding the (app) password.
    #[arg(long, value_name = "VAR", requires = "user")]
    pub password_env: Option<String>,
    /// Environment variable holding a bearer token instead of a password.
    #[arg(long, value_name = "VAR", conflicts_with = "user")]
    pub bearer_env: Option<String>,
    /// Only these calendars (display names or path names, comma separated).
    #[arg(long, value_name = "NAME,NAME", value_delimiter = ',')]
    pub calendars: Option<Vec<String>>,
}

/// Classified once, by the core's API (the window gets the same code).
fn caldav_error(e: CaldavError) -> CliError {
    ApiError::from(e).into()
}

pub async fn run(
    paths: &Paths,
    pool: &db::SqlitePool,
    command: AccountsCommand,
) -> Result<ExitCode, CliError> {
    let secrets = SecretStore::open(&paths.secrets_file(), Preference::Auto);
    let mut out = Out::new();
    let code = match command {
        AccountsCommand::Add(a) => add(&mut out, pool, &secrets, a).await?,
        AccountsCommand::List { format } => {
            let list = accounts::list(pool).await.map_err(caldav_error)?;
            match format {
                TextOrJson::Json => out.json(&list)?,
                TextOrJson::Text if list.is_empty() => outln!(out, "no CalDAV accounts")?,
                TextOrJson::Text => {
                    for a in &list {
                        write_account(&mut out, a)?;
                    }
                }
            }
            ExitCode::SUCCESS
        }
        AccountsCommand::Remove { id_or_name } => {
            let account = accounts::find(pool, &id_or_name)
                .await
                .map_err(caldav_error)?;
            let removed = accounts::remove(pool, &secrets, &account)
                .await
                .map_err(caldav_error)?;
            outln!(
                out,
                "removed account {} \"{}\" and {} calendar source(s)",
                account.id,
                escape(&account.name),
                removed.len()
            )?;
            ExitCode::SUCCESS
        }
    };
    out.finish()?;
    Ok(code)
}

fn write_account(out: &mut Out, a: &AccountView) -> Result<(), CliError> {
    outln!(
        out,
        "{:>3}  {}  {}  ({}, {})",
        a.account.id,
        escape(&a.account.name),
        escape(&a.account.server),
        a.account.provider,
        a.account.auth
    )?;
    for c in &a.calendars {
        outln!(
            out,
            "     source {:>3}  {}  {}",
            c.source.id,
            escape(&c.source.name),
            c.source.color.as_deref().unwrap_or("-")
        )?;
    }
    Ok(())
}

async fn add(
    out: &mut Out,
    pool: &db::SqlitePool,
    secrets: &SecretStore,
    a: AccountAddArgs,
) -> Result<ExitCode, CliError> {
    let auth = match (&a.user, &a.password_env, &a.bearer_env) {
        (Some(user), Some(var), _) => Auth::Basic {
            user: user.clone(),
            password: secret_from_env(var)?,
        },
        (_, _, Some(var)) => Auth::Bearer {
            token: secret_from_env(var)?,
        },
        _ => {
            return Err(CliError::Usage(
                "give --user USER --password-env VAR, or --bearer-env VAR".into(),
            ))
        }
    };
    let settings = Settings::load(pool).await?;
    let fetch = FetchConfig::default();
    // The account's own server is the user's choice: a loopback or LAN address given
    // here is allowed (the redirect policy still keeps a public server off the LAN).
    let client = DavClient::new(&fetch, settings.fetch_max_bytes, false, auth.clone())
        .map_err(CliError::failed)?;
    let cancel = CancellationToken::new();
    let new = NewAccount {
        address: a.address,
        auth,
        calendars: a.calendars,
    };
    let view = accounts::add(pool, secrets, &client, new, &cancel)
        .await
        .map_err(caldav_error)?;
    outln!(
        out,
        "account {} \"{}\" ({}): {} calendar(s) added",
        view.account.id,
        escape(&view.account.name),
        view.account.provider,
        view.calendars.len()
    )?;
    let env = SyncEnv {
        pool,
        secrets,
        fetch: &fetch,
        settings: &settings,
    };
    let mut failed = false;
    for c in &view.calendars {
        let synced = match sync::sync_source(env, c.source.id, &cancel).await {
            Ok(r) => format!("{} events", r.events),
            Err(e) => {
                failed = true;
                format!("first sync FAILED: {e}")
            }
        };
        outln!(
            out,
            "added source {} \"{}\" ({}) colour {}: {}",
            c.source.id,
            escape(&c.source.name),
            escape(&c.source.display),
            c.source.color.as_deref().unwrap_or("none"),
            escape(&synced)
        )?;
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
