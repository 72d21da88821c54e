//! The identity of one reminder: which alarm ([`AlarmId`]) of which occurrence
//! ([`LedgerKey`]). Its own module because both the planner ([`super::plan`]) and the
//! ledger ([`super::ledger`]) speak it, and neither should import the other for it.

use crate::model::{Occurrence, INSTANT_FORMAT};

/// Which alarm of an occurrence a reminder is; part of the ledger key, so it must be
/// stable across restarts and feed refreshes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AlarmId {
    /// The default lead time (`notify.lead_minutes` or the source's override). One id
    /// whatever the minutes, so changing the setting never repeats a shown reminder.
    Lead,
    /// At the start (`notify.at_start`).
    Start,
    /// A VALARM relative to the start, by its offset in seconds.
    ValarmRelative(i64),
    /// A VALARM at a fixed instant (Unix seconds).
    ValarmAbsolute(i64),
    /// The repeat [`super::plan::NAG_AFTER`] after the start (`notify.nag`).
    Nag,
}

impl AlarmId {
    pub fn as_key(&self) -> String {
        match self {
            AlarmId::Lead => "lead".into(),
            AlarmId::Start => "start".into(),
            AlarmId::ValarmRelative(s) => format!("valarm:{s}"),
            AlarmId::ValarmAbsolute(t) => format!("valarm@{t}"),
            AlarmId::Nag => "nag".into(),
        }
    }
}

/// One occurrence, whatever the alarm: (source id, UID, original start as in
/// [`LedgerKey::occurrence`]). One notification stands for it at a time.
pub type OccurrenceKey = (i64, String, String);

/// Identifies one alarm of one occurrence, across restarts and feed refreshes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LedgerKey {
    pub source_id: i64,
    pub uid: String,
    /// The occurrence's original start (RECURRENCE-ID, else its start), `YYYYMMDDTHHMMSSZ`.
    pub occurrence: String,
    pub alarm: String,
}

/// The ledger row that records that the user acted on one of an occurrence's reminders
/// (joined, snoozed or dismissed it): nagging stops. It is not an alarm, so it never fires.
const ACKNOWLEDGED: &str = "acknowledged";

impl LedgerKey {
    pub fn new(o: &Occurrence, alarm: &AlarmId) -> Self {
        Self::with_alarm(o, alarm.as_key())
    }

    /// The occurrence this alarm belongs to, whatever the alarm.
    pub fn occurrence_key(&self) -> OccurrenceKey {
        (self.source_id, self.uid.clone(), self.occurrence.clone())
    }

    /// The key of the "the user acted" row of this key's occurrence.
    pub fn acknowledged(&self) -> Self {
        Self {
            alarm: ACKNOWLEDGED.into(),
            ..self.clone()
        }
    }

    fn with_alarm(o: &Occurrence, alarm: String) -> Self {
        Self {
            source_id: o.source_id.unwrap_or(0),
            uid: o.uid.clone(),
            occurrence: o.original_start().format(INSTANT_FORMAT).to_string(),
            alarm,
        }
    }
}
