//! The command-line contract of PRODUCT.md, as clap definitions.
//!
//! Parsing happens before anything touches GTK, so every subcommand works without
//! a display. Arguments that take numbers accept negative ones as values, so the
//! range check answers in words instead of clap calling `-5` an unknown flag.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "calendarbot",
    version,
    about = "A tray calendar for people who live in meetings"
)]
pub struct Cli {
    /// Keep every file of the app (config, database, logs, lock) under DIR.
    #[arg(long, global = true, env = "CALENDARBOT_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Start with the window open (or open the running instance's window).
    #[arg(long)]
    pub show: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List occurrences in a window, from the cache or from ICS files.
    Agenda(AgendaArgs),
    /// The next meeting (for scripts and status bars).
    Next(NextArgs),
    /// Open the link of the meeting the tray's "Join next meeting" means (for a shortcut).
    Join(JoinArgs),
    /// Manage calendar sources.
    #[command(subcommand)]
    Sources(SourcesCommand),
    /// CalDAV accounts (Nextcloud, Fastmail, iCloud, any CalDAV server).
    #[command(subcommand)]
    Accounts(super::accounts::AccountsCommand),
    /// Refresh every enabled source once; exit 1 if any failed.
    Sync,
    /// Read or change settings.
    #[command(subcommand)]
    Settings(SettingsCommand),
    /// Health of sources, tasks and memory.
    Status(FormatArgs),
    /// Hide events from the tray, the window and reminders; list and undo.
    #[command(subcommand)]
    Hide(super::hide::HideCommand),
}

#[derive(Debug, Args)]
pub struct JoinArgs {
    /// Print the link instead of opening it.
    #[arg(long)]
    pub print: bool,
}

#[derive(Debug, Args)]
pub struct AgendaArgs {
    /// Read these ICS files instead of the cache (repeatable; `-` is standard input).
    #[arg(long = "ics", value_name = "FILE")]
    pub ics: Vec<PathBuf>,
    /// Window start: a date (midnight in --tz) or an RFC 3339 date-time. Default: today.
    #[arg(long, value_name = "WHEN")]
    pub from: Option<String>,
    /// Window end (exclusive). Default: 7 days after --from.
    #[arg(long, value_name = "WHEN")]
    pub to: Option<String>,
    /// IANA time zone for dates and floating times. Default: the system zone.
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    #[arg(long, value_enum, default_value_t = AgendaFormat::Text)]
    pub format: AgendaFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AgendaFormat {
    Text,
    Json,
    Jsonl,
    /// An iCalendar file of the selected occurrences (one VEVENT each, times in UTC).
    Ics,
}

#[derive(Debug, Args)]
pub struct NextArgs {
    #[arg(long, value_enum, default_value_t = NextFormat::Text)]
    pub format: NextFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NextFormat {
    Text,
    Json,
    Waybar,
}

#[derive(Debug, Args)]
pub struct FormatArgs {
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    pub format: TextOrJson,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TextOrJson {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum SourcesCommand {
    /// List the configured sources.
    List(FormatArgs),
    /// Add a source: an http(s) or webcal URL, or a local .ics file.
    Add(SourceAddArgs),
    /// Remove a source by id or name.
    Remove {
        #[arg(value_name = "ID_OR_NAME")]
        id_or_name: String,
    },
}

#[derive(Debug, Args)]
pub struct SourceAddArgs {
    #[arg(value_name = "URL_OR_PATH")]
    pub location: String,
    #[arg(long)]
    pub name: Option<String>,
    /// Calendar colour as #RRGGBB.
    #[arg(long)]
    pub color: Option<String>,
    /// User name for HTTP basic authentication.
    #[arg(long, requires = "password_env")]
    pub user: Option<String>,
    /// Environment variable holding the basic-auth password (never pass it as an argument).
    #[arg(long, value_name = "VAR", requires = "user")]
    pub password_env: Option<String>,
    /// Environment variable holding a bearer token.
    #[arg(long, value_name = "VAR", conflicts_with = "user")]
    pub bearer_env: Option<String>,
    /// An extra request header, 'Name: value' (repeatable).
    #[arg(long = "header", value_name = "'K: V'")]
    pub headers: Vec<String>,
    /// Remind this many minutes before this calendar's events (instead of
    /// notify.lead_minutes).
    // A negative number is a value to check (and refuse in words), not an unknown flag.
    #[arg(long, value_name = "N", allow_negative_numbers = true)]
    pub lead_minutes: Option<i64>,
    /// Never remind of this calendar's events (it is still shown).
    #[arg(long, conflicts_with = "lead_minutes")]
    pub no_reminders: bool,
    /// Add it even if it does not answer with a calendar now (a 404, a web page, a
    /// server that is down); by default it is fetched once and refused.
    #[arg(long)]
    pub add_anyway: bool,
}

#[derive(Debug, Subcommand)]
pub enum SettingsCommand {
    /// Print one setting, or all of them.
    Get { key: Option<String> },
    /// Change a setting.
    Set {
        key: String,
        /// The new value; `-5` is a value (refused in words by the setting's check).
        #[arg(allow_hyphen_values = true)]
        value: String,
    },
}
