//! Hide rules and title patterns: what the user never wants to see or hear about.
//!
//! - A hide rule ([`HideRule`]) takes one occurrence, or every occurrence of a UID (a whole
//!   series, or the one event of a non-recurring UID), out of the agenda every surface
//!   reads: the tray, the window, `calendarbot next` and `agenda`, and the reminders.
//!   Rules key on the feed's own identity of an occurrence, source + UID + RECURRENCE-ID
//!   (the same identity as [`Occurrence::key`]), never on the cache's row ids, so they
//!   hold when a refresh rewrites the cache or a read-only feed changes (an override
//!   that moves an occurrence keeps its RECURRENCE-ID, so it stays hidden). They are
//!   stored in the `hidden` table (migration 0009) and go with their source.
//! - Title patterns ([`TitlePatterns`], the setting `notify.ignore_titles`) never notify:
//!   the meeting is still shown. A pattern matches the whole title, ignoring case, and
//!   `*` stands for any text (`*lunch*`, `Focus time*`).
//!
//! Matching is pure (tested below); [`HideRules::load`] and the writers are the only SQL.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDateTime, Utc};
use sqlx::SqlitePool;

use crate::db;
use crate::model::{Occurrence, INSTANT_FORMAT};

/// The longest title kept with a rule (only shown, never matched).
pub const MAX_TITLE_CHARS: usize = 200;

/// One rule: hide an occurrence (`recurrence_id` set) or every occurrence of the UID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HideRule {
    pub id: i64,
    pub source_id: i64,
    pub uid: String,
    /// The occurrence's original start (its RECURRENCE-ID, or the start of an event
    /// without one); `None`: every occurrence of the UID.
    pub recurrence_id: Option<DateTime<Utc>>,
    /// The event's title when it was hidden (to show the rule).
    pub title: String,
    pub created_at: DateTime<Utc>,
}

/// The rules in the form the agenda filter asks them: by source, then UID.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HideRules {
    /// Whole UIDs hidden, by source.
    series: HashMap<i64, HashSet<String>>,
    /// Single occurrences hidden, by their [`Occurrence::key`].
    occurrences: HashSet<String>,
    /// The UIDs with an occurrence rule, by source: only their occurrences need a key.
    occurrence_uids: HashMap<i64, HashSet<String>>,
}

impl HideRules {
    pub fn new(rules: &[HideRule]) -> Self {
        let mut out = Self::default();
        for r in rules {
            match r.recurrence_id {
                None => {
                    out.series
                        .entry(r.source_id)
                        .or_default()
                        .insert(r.uid.clone());
                }
                Some(at) => {
                    out.occurrences
                        .insert(Occurrence::key_for(r.source_id, &r.uid, at));
                    out.occurrence_uids
                        .entry(r.source_id)
                        .or_default()
                        .insert(r.uid.clone());
                }
            }
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.series.is_empty() && self.occurrences.is_empty()
    }

    /// True when a rule hides `o`. Occurrences without a source (the demo calendar,
    /// `agenda --ics` files) have no rules.
    pub fn hides(&self, o: &Occurrence) -> bool {
        let Some(source) = o.source_id else {
            return false;
        };
        let listed = |m: &HashMap<i64, HashSet<String>>| {
            m.get(&source).is_some_and(|uids| uids.contains(&o.uid))
        };
        listed(&self.series)
            || (listed(&self.occurrence_uids) && self.occurrences.contains(&o.key()))
    }

    /// Every rule, from the database.
    pub async fn load(pool: &SqlitePool) -> Result<Self, sqlx::Error> {
        Ok(Self::new(&list(pool).await?))
    }
}

type Row = (i64, i64, String, Option<String>, String, String);

fn from_row((id, source_id, uid, rid, title, created): Row) -> HideRule {
    HideRule {
        id,
        source_id,
        uid,
        recurrence_id: rid.as_deref().and_then(parse_instant),
        title,
        created_at: DateTime::parse_from_rfc3339(&created)
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default(),
    }
}

fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(text, INSTANT_FORMAT)
        .ok()
        .map(|t| t.and_utc())
}

const COLUMNS: &str = "id, source_id, uid, recurrence_id, title, created_at";

/// Every rule, oldest first.
pub async fn list(pool: &SqlitePool) -> Result<Vec<HideRule>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM hidden ORDER BY id"
    )))
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(from_row).collect())
}

/// Stores a rule, or returns the same rule stored before (hiding twice is hiding once).
/// The source must exist (its foreign key).
pub async fn add(
    pool: &SqlitePool,
    source_id: i64,
    uid: &str,
    recurrence_id: Option<DateTime<Utc>>,
    title: &str,
    now: DateTime<Utc>,
) -> Result<HideRule, sqlx::Error> {
    let rid = recurrence_id.map(|t| t.format(INSTANT_FORMAT).to_string());
    let mut tx = db::begin_immediate(pool).await?;
    sqlx::query(
        "INSERT INTO hidden (source_id, uid, recurrence_id, title, created_at) VALUES (?, ?, ?, ?, ?) \
         ON CONFLICT DO NOTHING",
    )
    .bind(source_id)
    .bind(uid)
    .bind(&rid)
    .bind(title)
    .bind(now.to_rfc3339())
    .execute(&mut *tx)
    .await?;
    let row: Row = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM hidden WHERE source_id = ? AND uid = ? AND IFNULL(recurrence_id, '') = ?"
    )))
    .bind(source_id)
    .bind(uid)
    .bind(rid.unwrap_or_default())
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(from_row(row))
}

/// Removes the rule `id`; returns it, or `None` when there was none.
pub async fn remove(pool: &SqlitePool, id: i64) -> Result<Option<HideRule>, sqlx::Error> {
    let mut tx = db::begin_immediate(pool).await?;
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "DELETE FROM hidden WHERE id = ? RETURNING {COLUMNS}"
    )))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(row.map(from_row))
}

/// A title as kept with a rule: one line, no control characters, at most
/// [`MAX_TITLE_CHARS`] characters.
pub fn tidy_title(title: &str) -> String {
    let one_line: String = title
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    one_line.trim().chars().take(MAX_TITLE_CHARS).collect()
}

/// The most patterns `notify.ignore_titles` holds.
pub const MAX_PATTERNS: usize = 50;
/// The longest pattern, in characters.
pub const MAX_PATTERN_CHARS: usize = 200;

/// One title pattern: the whole title, case-insensitively; `*` is any text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TitlePattern {
    /// As the user wrote it (runs of `*` made one), for the canonical setting value.
    written: String,
    /// The lower-case text between the `*`s; one part: no wildcard.
    parts: Vec<String>,
}

impl TitlePattern {
    fn new(written: &str) -> Self {
        let mut text = String::with_capacity(written.len());
        for c in written.chars() {
            if !(c == '*' && text.ends_with('*')) {
                text.push(c);
            }
        }
        let parts = text.to_lowercase().split('*').map(String::from).collect();
        Self {
            written: text,
            parts,
        }
    }

    /// Whether the pattern matches `title` (already trimmed and in lower case).
    fn matches_lower(&self, title: &str) -> bool {
        let (first, rest) = match self.parts.split_first() {
            Some(split) => split,
            None => return false,
        };
        let Some((last, middle)) = rest.split_last() else {
            return title == first;
        };
        let Some(mut left) = title.strip_prefix(first.as_str()) else {
            return false;
        };
        // The leftmost place of each middle part leaves the most room for the rest.
        for part in middle.iter().filter(|p| !p.is_empty()) {
            match left.find(part.as_str()) {
                Some(i) => left = &left[i + part.len()..],
                None => return false,
            }
        }
        left.ends_with(last.as_str())
    }
}

/// The patterns of `notify.ignore_titles`: meetings whose title matches one are never
/// notified (they are still shown).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TitlePatterns(Vec<TitlePattern>);

impl TitlePatterns {
    /// Reads a comma-separated list (a comma cannot be part of a pattern: `*` can stand
    /// in for it). Refuses, in words, what cannot be what the user meant.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut out: Vec<TitlePattern> = Vec::new();
        for written in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if written.chars().any(char::is_control) {
                return Err("a pattern cannot hold control characters".into());
            }
            if written.chars().count() > MAX_PATTERN_CHARS {
                return Err(format!(
                    "'{}…' is longer than {MAX_PATTERN_CHARS} characters",
                    written.chars().take(20).collect::<String>()
                ));
            }
            let pattern = TitlePattern::new(written);
            if pattern.parts.iter().all(String::is_empty) {
                return Err(format!(
                    "'{written}' would silence every meeting; turn off desktop notifications instead"
                ));
            }
            if !out.iter().any(|p| p.parts == pattern.parts) {
                out.push(pattern);
            }
        }
        if out.len() > MAX_PATTERNS {
            return Err(format!("give at most {MAX_PATTERNS} patterns"));
        }
        Ok(Self(out))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// True when a pattern matches the whole `title` (ignoring case and the spaces
    /// around it).
    pub fn matches(&self, title: &str) -> bool {
        if self.0.is_empty() {
            return false;
        }
        let title = title.trim().to_lowercase();
        self.0.iter().any(|p| p.matches_lower(&title))
    }
}

/// The canonical setting value: the patterns as written, `, ` between them.
impl std::fmt::Display for TitlePatterns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list: Vec<&str> = self.0.iter().map(|p| p.written.as_str()).collect();
        f.write_str(&list.join(", "))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, d, h, 0, 0).unwrap()
    }

    fn occ(
        source: Option<i64>,
        uid: &str,
        rid: Option<DateTime<Utc>>,
        start: DateTime<Utc>,
    ) -> Occurrence {
        Occurrence {
            source_id: source,
            recurrence_id: rid,
            ..Occurrence::timed(
                "Work",
                uid,
                "Standup",
                start,
                start + chrono::Duration::minutes(15),
            )
        }
    }

    fn rule(source_id: i64, uid: &str, rid: Option<DateTime<Utc>>) -> HideRule {
        HideRule {
            id: 1,
            source_id,
            uid: uid.into(),
            recurrence_id: rid,
            title: "Standup".into(),
            created_at: at(0, 1),
        }
    }

    #[test]
    fn an_occurrence_rule_hides_that_occurrence_only() {
        let rules = HideRules::new(&[rule(1, "standup", Some(at(9, 3)))]);
        assert!(rules.hides(&occ(Some(1), "standup", Some(at(9, 3)), at(9, 3))));
        assert!(!rules.hides(&occ(Some(1), "standup", Some(at(9, 4)), at(9, 4))));
        // Same UID in another calendar: another event.
        assert!(!rules.hides(&occ(Some(2), "standup", Some(at(9, 3)), at(9, 3))));
        assert!(!rules.hides(&occ(Some(1), "other", Some(at(9, 3)), at(9, 3))));
    }

    #[test]
    fn an_override_that_moves_an_occurrence_keeps_it_hidden_by_its_recurrence_id() {
        let rules = HideRules::new(&[rule(1, "standup", Some(at(9, 3)))]);
        // The feed moved the 3 March instance to 15:00 on the 5th (RECURRENCE-ID kept).
        assert!(rules.hides(&occ(Some(1), "standup", Some(at(9, 3)), at(15, 5))));
        // Another instance now at 09:00 on the 3rd is not the hidden one.
        assert!(!rules.hides(&occ(Some(1), "standup", Some(at(9, 2)), at(9, 3))));
    }

    #[test]
    fn a_series_rule_hides_every_occurrence_and_every_override_of_the_uid() {
        let rules = HideRules::new(&[rule(1, "standup", None)]);
        for (rid, start) in [
            (Some(at(9, 2)), at(9, 2)),
            (Some(at(9, 3)), at(16, 4)),
            (None, at(9, 9)),
        ] {
            assert!(rules.hides(&occ(Some(1), "standup", rid, start)), "{rid:?}");
        }
        assert!(!rules.hides(&occ(Some(1), "retro", Some(at(9, 2)), at(9, 2))));
    }

    #[test]
    fn a_single_event_is_hidden_by_its_uid_or_by_its_start() {
        // The window hides a non-recurring event with a UID rule: it stays hidden when moved.
        let by_uid = HideRules::new(&[rule(1, "lunch", None)]);
        assert!(by_uid.hides(&occ(Some(1), "lunch", None, at(13, 6))));
        // A rule naming its start (the command line's --at) hides it while it starts there.
        let by_start = HideRules::new(&[rule(1, "lunch", Some(at(12, 5)))]);
        assert!(by_start.hides(&occ(Some(1), "lunch", None, at(12, 5))));
        assert!(!by_start.hides(&occ(Some(1), "lunch", None, at(13, 5))));
    }

    #[test]
    fn occurrences_without_a_source_are_never_hidden() {
        let rules = HideRules::new(&[rule(0, "standup", None), rule(0, "x", Some(at(9, 3)))]);
        assert!(!rules.hides(&occ(None, "standup", None, at(9, 3))));
        assert!(!rules.hides(&occ(None, "x", Some(at(9, 3)), at(9, 3))));
        assert!(HideRules::default().is_empty() && !rules.is_empty());
    }

    #[test]
    fn patterns_match_the_whole_title_ignoring_case_with_star_for_any_text() {
        let p = TitlePatterns::parse("Lunch*, *focus time*, Daily standup, a*b*c").unwrap();
        for title in [
            "lunch",
            "LUNCH with Bob",
            "Deep FOCUS TIME (no meetings)",
            "  daily standup ",
            "abc",
            "a-b-c",
            "aXbYbZc",
        ] {
            assert!(p.matches(title), "{title}");
        }
        for title in [
            "Team lunch",
            "Daily standup notes",
            "The daily standup",
            "acb",
            "ab",
            "",
        ] {
            assert!(!p.matches(title), "{title}");
        }
        assert!(TitlePatterns::parse("Ünïcödé*")
            .unwrap()
            .matches("üNÏCÖDÉ party"));
        assert!(!TitlePatterns::default().matches("anything"));
    }

    #[test]
    fn patterns_are_validated_in_words_and_canonicalised() {
        let p = TitlePatterns::parse(" Lunch** ,, lunch*, *1:1* ").unwrap();
        assert_eq!(p.to_string(), "Lunch*, *1:1*");
        assert_eq!(TitlePatterns::parse("").unwrap(), TitlePatterns::default());
        let every = TitlePatterns::parse("Standup, **").unwrap_err();
        assert!(every.contains("every meeting"), "{every}");
        assert!(TitlePatterns::parse("a\u{7}b")
            .unwrap_err()
            .contains("control"));
        assert!(TitlePatterns::parse(&"x".repeat(201))
            .unwrap_err()
            .contains("longer than 200"));
        let many: Vec<String> = (0..51).map(|i| format!("p{i}")).collect();
        assert!(TitlePatterns::parse(&many.join(","))
            .unwrap_err()
            .contains("at most 50"));
    }

    #[test]
    fn titles_kept_with_a_rule_are_one_short_line() {
        assert_eq!(tidy_title(" Stand\nup\u{7} "), "Stand up");
        assert_eq!(
            tidy_title(&"é".repeat(300)).chars().count(),
            MAX_TITLE_CHARS
        );
    }

    #[tokio::test]
    async fn rules_round_trip_through_sqlite_and_go_with_their_source() {
        let dir = tempfile::tempdir().unwrap();
        let pool = db::open(&dir.path().join("t.sqlite3")).await.unwrap();
        sqlx::query("INSERT INTO sources (name, kind, display, created_at) VALUES ('Work', 'file', '/x.ics', '')")
            .execute(&pool)
            .await
            .unwrap();
        let id: i64 = sqlx::query_scalar("SELECT id FROM sources")
            .fetch_one(&pool)
            .await
            .unwrap();
        let one = add(&pool, id, "standup", Some(at(9, 3)), "Standup", at(8, 1))
            .await
            .unwrap();
        let again = add(&pool, id, "standup", Some(at(9, 3)), "Standup", at(8, 2))
            .await
            .unwrap();
        assert_eq!(one, again, "hiding twice is one rule");
        let series = add(&pool, id, "standup", None, "Standup", at(8, 1))
            .await
            .unwrap();
        assert_ne!(series.id, one.id);
        assert_eq!(
            list(&pool).await.unwrap(),
            vec![one.clone(), series.clone()]
        );
        assert!(
            add(&pool, id + 1, "x", None, "X", at(8, 1)).await.is_err(),
            "no such source"
        );
        assert_eq!(remove(&pool, one.id).await.unwrap(), Some(one.clone()));
        assert_eq!(remove(&pool, one.id).await.unwrap(), None);
        sqlx::query("DELETE FROM sources")
            .execute(&pool)
            .await
            .unwrap();
        assert!(
            list(&pool).await.unwrap().is_empty(),
            "the source's rules went with it"
        );
    }
}
