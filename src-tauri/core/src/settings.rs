//! User settings: a fixed registry of keys with types, defaults and validation,
//! stored in the `settings` table.
//!
//! The command line (`settings get/set`), the window and the scheduler all go through
//! this registry, so a key is spelled, validated and defaulted in one place only.

use sqlx::SqlitePool;

use crate::db;

/// The type of a setting's value; `set` rejects values that do not fit it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bool,
    /// An integer in `min..=max`.
    Int {
        min: i64,
        max: i64,
    },
    /// A comma-separated list of e-mail addresses (normalised to lower case).
    Emails,
    /// One of a fixed set of words.
    Choice(&'static [&'static str]),
    /// A comma-separated list of 1 to `max_items` durations in whole minutes (1..=1440).
    MinutesList {
        max_items: usize,
    },
    /// A key combination such as `Ctrl+Alt+J` (see [`crate::shortcut`]), or empty for none.
    Shortcut,
    /// A comma-separated list of title patterns (see [`crate::hide::TitlePatterns`]).
    TitlePatterns,
}

/// What a setting is for: the window lists settings under these headings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum SettingGroup {
    Reminders,
    Calendars,
    Appearance,
    /// Engineering knobs, and what only the command line may change.
    Advanced,
}

/// One known setting.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    /// The name the command line and the database use.
    pub key: &'static str,
    /// What a person reads in the window.
    pub label: &'static str,
    pub group: SettingGroup,
    pub kind: Kind,
    pub default: &'static str,
    /// One or two sentences.
    pub help: &'static str,
}

/// Every setting the app knows, in the order they are listed to the user.
pub const SPECS: &[Spec] = &[
    Spec {
        key: "notify.enabled",
        label: "Desktop notifications",
        group: SettingGroup::Reminders,
        kind: Kind::Bool,
        default: "true",
        help: "Show a notification before each meeting.",
    },
    Spec {
        key: "notify.lead_minutes",
        label: "Remind me before",
        group: SettingGroup::Reminders,
        kind: Kind::Int { min: 0, max: 1440 },
        default: "5",
        help: "Minutes before an event starts to remind you (0: only when it starts).",
    },
    Spec {
        key: "notify.snooze_minutes",
        label: "Snooze choices",
        group: SettingGroup::Reminders,
        kind: Kind::MinutesList { max_items: 3 },
        default: "5,10",
        help: "The Snooze buttons on a reminder, in minutes, comma separated (up to 3).",
    },
    Spec {
        key: "notify.at_start",
        label: "Remind again at the start",
        group: SettingGroup::Reminders,
        kind: Kind::Bool,
        default: "true",
        help: "A second notification when the event starts.",
    },
    Spec {
        key: "notify.all_day",
        label: "Remind of all-day events",
        group: SettingGroup::Reminders,
        kind: Kind::Bool,
        default: "false",
        help: "Also notify for all-day events.",
    },
    Spec {
        key: "notify.free",
        label: "Remind of free-time events",
        group: SettingGroup::Reminders,
        kind: Kind::Bool,
        default: "false",
        help: "Also notify for events marked free (they do not block your time).",
    },
    Spec {
        key: "notify.nag",
        label: "Keep reminding until I act",
        group: SettingGroup::Reminders,
        kind: Kind::Bool,
        default: "false",
        help: "Remind again when a meeting starts and 2 minutes later, until you join, snooze or dismiss it.",
    },
    Spec {
        key: "notify.alert_window",
        label: "Big reminder window at the start",
        group: SettingGroup::Reminders,
        kind: Kind::Bool,
        default: "false",
        help: "When a meeting starts, show a window above all others with a countdown and a big Join button (Escape closes it).",
    },
    Spec {
        key: "app.join_shortcut",
        label: "Join shortcut",
        group: SettingGroup::Reminders,
        kind: Kind::Shortcut,
        default: "",
        help: "A key combination that joins the next meeting from any application, such as Ctrl+Alt+J (X11 sessions). Empty: none.",
    },
    Spec {
        key: "notify.ignore_titles",
        label: "Never remind of titles",
        group: SettingGroup::Reminders,
        kind: Kind::TitlePatterns,
        default: "",
        help: "Meetings whose whole title matches one of these patterns, comma separated, are shown but never notified. Case does not matter and * stands for any text, as in Lunch*, *focus time*.",
    },
    Spec {
        key: "refresh.interval_minutes",
        label: "Refresh every",
        group: SettingGroup::Calendars,
        kind: Kind::Int { min: 1, max: 10080 },
        default: "15",
        help: "Minutes between two updates of each calendar (a calendar may have its own).",
    },
    Spec {
        key: "me.emails",
        label: "My e-mail addresses",
        group: SettingGroup::Calendars,
        kind: Kind::Emails,
        default: "",
        help: "Your addresses, comma separated: they tell which invitations you declined or accepted.",
    },
    Spec {
        key: "events.canceled_prefix",
        label: "“Canceled:” titles are cancelled",
        group: SettingGroup::Appearance,
        kind: Kind::Bool,
        default: "true",
        help: "Show Outlook events whose title starts with “Canceled:” as cancelled.",
    },
    Spec {
        key: "events.declined",
        label: "Events I declined",
        group: SettingGroup::Appearance,
        kind: Kind::Choice(&["dim", "hide"]),
        default: "dim",
        help: "Dim them or hide them everywhere (tray, window, reminders).",
    },
    Spec {
        key: "fetch.max_mb",
        label: "Largest calendar accepted",
        group: SettingGroup::Advanced,
        kind: Kind::Int { min: 1, max: 200 },
        default: "10",
        help: "In MB after decompression; a larger answer is refused and the last good data kept.",
    },
    Spec {
        key: "fetch.allow_local_network",
        label: "Allow the local network",
        group: SettingGroup::Advanced,
        kind: Kind::Bool,
        default: "false",
        help: "Allow calendars and redirects on this computer or the local network (off protects against a feed that points at your router).",
    },
    Spec {
        key: "breaker.failures",
        label: "Failures before pausing a calendar",
        group: SettingGroup::Advanced,
        kind: Kind::Int { min: 1, max: 100 },
        default: "5",
        help: "Consecutive failed updates after which a calendar is paused for a while.",
    },
    Spec {
        key: "breaker.open_seconds",
        label: "Pause after failures",
        group: SettingGroup::Advanced,
        kind: Kind::Int { min: 1, max: 86400 },
        default: "60",
        help: "Seconds a paused calendar waits before one more try.",
    },
    Spec {
        key: "app.autostart",
        label: "Start at login",
        group: SettingGroup::Advanced,
        kind: Kind::Bool,
        default: "false",
        help: "Start CalendarBot when you log in.",
    },
];

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    #[error("unknown setting '{0}' (see `calendarbot settings get` for the list)")]
    UnknownKey(String),
    #[error("invalid value for {key}: {reason}")]
    InvalidValue { key: String, reason: String },
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
}

pub fn spec(key: &str) -> Result<&'static Spec, SettingsError> {
    SPECS
        .iter()
        .find(|s| s.key == key)
        .ok_or_else(|| SettingsError::UnknownKey(key.to_string()))
}

/// Checks `value` against the key's type and returns its canonical spelling.
pub fn normalize(key: &str, value: &str) -> Result<String, SettingsError> {
    let spec = spec(key)?;
    let invalid = |reason: String| SettingsError::InvalidValue {
        key: key.to_string(),
        reason,
    };
    let value = value.trim();
    match spec.kind {
        Kind::Bool => match value.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Ok("true".into()),
            "false" | "no" | "off" | "0" => Ok("false".into()),
            _ => Err(invalid(format!("'{value}' is not true or false"))),
        },
        Kind::Int { min, max } => {
            let n: i64 = value
                .parse()
                .map_err(|_| invalid(format!("'{value}' is not a whole number")))?;
            if n < min || n > max {
                return Err(invalid(format!("{n} must be between {min} and {max}")));
            }
            Ok(n.to_string())
        }
        Kind::Emails => {
            let mut out = Vec::new();
            for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                let addr = part
                    .strip_prefix("mailto:")
                    .unwrap_or(part)
                    .to_ascii_lowercase();
                let valid = addr
                    .split_once('@')
                    .is_some_and(|(l, d)| !l.is_empty() && d.contains('.'));
                if !valid || addr.chars().any(char::is_whitespace) {
                    return Err(invalid(format!("'{part}' is not an e-mail address")));
                }
                out.push(addr);
            }
            Ok(out.join(","))
        }
        Kind::MinutesList { max_items } => {
            let mut out: Vec<u16> = Vec::new();
            for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                match part.parse::<u16>() {
                    Ok(m) if (1..=1440).contains(&m) => {
                        if !out.contains(&m) {
                            out.push(m);
                        }
                    }
                    _ => return Err(invalid(format!("'{part}' is not 1 to 1440 minutes"))),
                }
            }
            if out.is_empty() || out.len() > max_items {
                return Err(invalid(format!(
                    "give 1 to {max_items} durations, like 5,10"
                )));
            }
            Ok(out.iter().map(u16::to_string).collect::<Vec<_>>().join(","))
        }
        Kind::Shortcut => crate::shortcut::normalize(value).map_err(invalid),
        Kind::TitlePatterns => crate::hide::TitlePatterns::parse(value)
            .map(|p| p.to_string())
            .map_err(invalid),
        Kind::Choice(words) => {
            let v = value.to_ascii_lowercase();
            if words.contains(&v.as_str()) {
                Ok(v)
            } else {
                Err(invalid(format!(
                    "'{value}' is not one of {}",
                    words.join(", ")
                )))
            }
        }
    }
}

/// The value of `key`, or its default when never set.
pub async fn get(pool: &SqlitePool, key: &str) -> Result<String, SettingsError> {
    let spec = spec(key)?;
    let stored: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
        .bind(key)
        .fetch_optional(pool)
        .await?;
    Ok(stored.unwrap_or_else(|| spec.default.to_string()))
}

/// Every known key with its current value, in registry order.
pub async fn all(pool: &SqlitePool) -> Result<Vec<(&'static str, String)>, SettingsError> {
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT key, value FROM settings")
        .fetch_all(pool)
        .await?;
    Ok(SPECS
        .iter()
        .map(|s| {
            let v = rows
                .iter()
                .find(|(k, _)| k == s.key)
                .map(|(_, v)| v.clone());
            (s.key, v.unwrap_or_else(|| s.default.to_string()))
        })
        .collect())
}

/// Validates and stores a value; returns the canonical value stored.
pub async fn set(pool: &SqlitePool, key: &str, value: &str) -> Result<String, SettingsError> {
    let value = normalize(key, value)?;
    let mut tx = db::begin_immediate(pool).await?;
    sqlx::query("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value")
        .bind(key)
        .bind(&value)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    db::refresh_config_backup(pool).await;
    Ok(value)
}

/// A typed snapshot of the settings the engine and the scheduler read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub notify_enabled: bool,
    pub lead_minutes: i64,
    pub snooze_minutes: Vec<u16>,
    pub at_start: bool,
    pub notify_all_day: bool,
    pub notify_free: bool,
    /// Remind again at the start and 2 minutes later until the user acts.
    pub nag: bool,
    /// The always-on-top reminder window at a meeting's start.
    pub alert_window: bool,
    /// The "join next meeting" key combination, canonical (`Ctrl+Alt+J`); empty for none.
    pub join_shortcut: String,
    /// `notify.ignore_titles`: meetings never notified.
    pub ignore_titles: crate::hide::TitlePatterns,
    pub refresh_interval_minutes: i64,
    pub me_emails: Vec<String>,
    pub canceled_prefix: bool,
    pub hide_declined: bool,
    pub fetch_max_bytes: u64,
    pub allow_local_network: bool,
    pub breaker_failures: u32,
    pub breaker_open_seconds: u64,
    pub autostart: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self::from_pairs(SPECS.iter().map(|s| (s.key, s.default.to_string())))
    }
}

impl Settings {
    pub async fn load(pool: &SqlitePool) -> Result<Self, SettingsError> {
        Ok(Self::from_pairs(all(pool).await?))
    }

    /// Builds the snapshot from (key, value) pairs; values that fail to parse (a
    /// database edited by hand) fall back to the default instead of failing start-up.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (&'static str, String)>) -> Self {
        let map: std::collections::HashMap<&str, String> = pairs.into_iter().collect();
        let text = |k: &str| -> String {
            map.get(k)
                .and_then(|v| normalize(k, v).ok())
                .unwrap_or_else(|| spec(k).map(|s| s.default.to_string()).unwrap_or_default())
        };
        let flag = |k: &str| text(k) == "true";
        let int = |k: &str| text(k).parse::<i64>().unwrap_or(0);
        Self {
            notify_enabled: flag("notify.enabled"),
            lead_minutes: int("notify.lead_minutes"),
            snooze_minutes: text("notify.snooze_minutes")
                .split(',')
                .filter_map(|m| m.parse().ok())
                .collect(),
            at_start: flag("notify.at_start"),
            notify_all_day: flag("notify.all_day"),
            notify_free: flag("notify.free"),
            nag: flag("notify.nag"),
            alert_window: flag("notify.alert_window"),
            join_shortcut: text("app.join_shortcut"),
            ignore_titles: crate::hide::TitlePatterns::parse(&text("notify.ignore_titles"))
                .unwrap_or_default(),
            refresh_interval_minutes: int("refresh.interval_minutes"),
            me_emails: text("me.emails")
                .split(',')
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
            canceled_prefix: flag("events.canceled_prefix"),
            hide_declined: text("events.declined") == "hide",
            fetch_max_bytes: int("fetch.max_mb").max(1) as u64 * 1024 * 1024,
            allow_local_network: flag("fetch.allow_local_network"),
            breaker_failures: int("breaker.failures").max(1) as u32,
            breaker_open_seconds: int("breaker.open_seconds").max(1) as u64,
            autostart: flag("app.autostart"),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn defaults_match_the_product_contract() {
        let s = Settings::default();
        assert!(s.notify_enabled && s.at_start && !s.notify_all_day);
        assert_eq!(s.lead_minutes, 5);
        assert_eq!(s.refresh_interval_minutes, 15);
        assert!(s.me_emails.is_empty());
    }

    #[test]
    fn every_setting_has_words_for_people() {
        for spec in SPECS {
            assert!(
                !spec.label.contains('.') && !spec.label.contains('_'),
                "{}",
                spec.key
            );
            assert!(spec.help.ends_with('.'), "{}: help is a sentence", spec.key);
            let c = spec.help.chars().next().unwrap();
            assert!(c.is_uppercase(), "{}: help starts a sentence", spec.key);
        }
        // What the window may not change is with the engineering knobs.
        for key in crate::window_policy::READ_ONLY_SETTINGS {
            assert_eq!(spec(key).unwrap().group, SettingGroup::Advanced, "{key}");
        }
    }

    #[test]
    fn values_are_validated_and_canonicalised() {
        assert_eq!(normalize("notify.enabled", "Off").unwrap(), "false");
        assert_eq!(normalize("notify.lead_minutes", " 10 ").unwrap(), "10");
        assert!(normalize("notify.lead_minutes", "-1").is_err());
        assert!(normalize("notify.lead_minutes", "soon").is_err());
        assert_eq!(
            normalize("notify.snooze_minutes", " 1, 15 ").unwrap(),
            "1,15"
        );
        for bad in ["", "0", "5,10,15,20", "x", "2000"] {
            assert!(normalize("notify.snooze_minutes", bad).is_err(), "{bad}");
        }
        assert_eq!(Settings::default().snooze_minutes, vec![5, 10]);
        assert_eq!(
            normalize("me.emails", "Me@X.org, mailto:b@y.com").unwrap(),
            "me@x.org,b@y.com"
        );
        assert!(normalize("me.emails", "not-an-address").is_err());
        assert_eq!(
            normalize("notify.ignore_titles", " Lunch* ,*1:1*, lunch*").unwrap(),
            "Lunch*, *1:1*"
        );
        assert!(normalize("notify.ignore_titles", "*").is_err());
        assert!(matches!(
            normalize("no.such", "1"),
            Err(SettingsError::UnknownKey(_))
        ));
    }

    #[tokio::test]
    async fn set_then_get_round_trips_through_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let pool = db::open(&dir.path().join("t.sqlite3")).await.unwrap();
        assert_eq!(get(&pool, "notify.lead_minutes").await.unwrap(), "5");
        set(&pool, "notify.lead_minutes", "12").await.unwrap();
        assert_eq!(get(&pool, "notify.lead_minutes").await.unwrap(), "12");
        assert_eq!(Settings::load(&pool).await.unwrap().lead_minutes, 12);
        assert!(set(&pool, "notify.lead_minutes", "x").await.is_err());
        assert_eq!(get(&pool, "notify.lead_minutes").await.unwrap(), "12");
    }
}
