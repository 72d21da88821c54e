//! The reminder ledger against a real SQLite file: claims are won once, also across two
//! pools on the same file (a second launch), and snoozes, dismissals, the pause and the
//! watermark survive reopening the database.

// Test helpers outside #[test] fns unwrap too: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use calendarbot_core::db;
use calendarbot_core::model::Occurrence;
use calendarbot_core::reminders::ledger::{Claim, Ledger, LedgerKey, LedgerState};
use calendarbot_core::reminders::plan::AlarmId;
use chrono::{DateTime, Duration, Utc};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn occ(uid: &str, start: DateTime<Utc>) -> Occurrence {
    Occurrence {
        source_id: Some(7),
        ..Occurrence::timed("Work", uid, "x", start, start + Duration::minutes(30))
    }
}

fn claim(o: &Occurrence, alarm: AlarmId, snoozed: bool) -> Claim {
    Claim {
        key: LedgerKey::new(o, &alarm),
        event_start: o.start,
        due: o.start,
        snoozed,
        retry: false,
    }
}

#[tokio::test]
async fn a_claim_is_won_once_and_survives_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.sqlite3");
    let now = t("2026-03-02T09:55:00Z");
    let o = occ("a", t("2026-03-02T10:00:00Z"));
    {
        let pool = db::open(&path).await.unwrap();
        let l = Ledger::new(pool.clone());
        assert_eq!(
            l.claim(&[claim(&o, AlarmId::Lead, false)], now)
                .await
                .unwrap(),
            vec![true]
        );
        assert_eq!(
            l.claim(&[claim(&o, AlarmId::Lead, false)], now)
                .await
                .unwrap(),
            vec![false]
        );
        // Claimed, not shown yet: a retry (after a failed show) wins it again, once shown
        // nothing does.
        assert_eq!(
            l.load().await.unwrap()[&LedgerKey::new(&o, &AlarmId::Lead)].state,
            LedgerState::Claimed
        );
        let retry = Claim {
            retry: true,
            ..claim(&o, AlarmId::Lead, false)
        };
        assert_eq!(
            l.claim(std::slice::from_ref(&retry), now).await.unwrap(),
            vec![true]
        );
        assert_eq!(l.pending().await.unwrap(), 1);
        l.mark_shown(std::slice::from_ref(&retry.key), now)
            .await
            .unwrap();
        assert_eq!(l.pending().await.unwrap(), 0);
        assert_eq!(
            l.claim(std::slice::from_ref(&retry), now).await.unwrap(),
            vec![false]
        );
        // Another alarm of the same occurrence is independent.
        assert_eq!(
            l.claim(&[claim(&o, AlarmId::Start, false)], now)
                .await
                .unwrap(),
            vec![true]
        );
        db::close(&pool).await;
    }
    let pool = db::open(&path).await.unwrap();
    let l = Ledger::new(pool);
    assert_eq!(
        l.claim(&[claim(&o, AlarmId::Lead, false)], now)
            .await
            .unwrap(),
        vec![false]
    );
    let view = l.load().await.unwrap();
    let e = view[&LedgerKey::new(&o, &AlarmId::Lead)];
    assert_eq!(e.state, LedgerState::Fired);
    assert_eq!(e.event_start, o.start);
}

#[tokio::test]
async fn two_instances_racing_on_one_file_show_each_reminder_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.sqlite3");
    let a = Ledger::new(db::open(&path).await.unwrap());
    let b = Ledger::new(db::open(&path).await.unwrap());
    let now = t("2026-03-02T09:55:00Z");
    let occs: Vec<_> = (0..50)
        .map(|i| occ(&format!("e{i}"), now + Duration::minutes(i)))
        .collect();
    let claims: Vec<_> = occs
        .iter()
        .map(|o| claim(o, AlarmId::Lead, false))
        .collect();
    let (ra, rb) = tokio::join!(a.claim(&claims, now), b.claim(&claims, now));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    for (x, y) in ra.iter().zip(&rb) {
        assert!(x ^ y, "exactly one of the two wins each claim");
    }
}

#[tokio::test]
async fn a_moved_event_is_due_again_and_its_snooze_is_void() {
    let dir = tempfile::tempdir().unwrap();
    let l = Ledger::new(db::open(&dir.path().join("t.sqlite3")).await.unwrap());
    let now = t("2026-03-02T09:55:00Z");
    let mut o = occ("series", t("2026-03-02T10:00:00Z"));
    o.recurrence_id = Some(o.start);
    let key = LedgerKey::new(&o, &AlarmId::Lead);
    assert_eq!(
        l.claim(&[claim(&o, AlarmId::Lead, false)], now)
            .await
            .unwrap(),
        vec![true]
    );
    l.snooze(&key, o.start, now + Duration::minutes(5), now)
        .await
        .unwrap();
    // The snooze's end is claimable once; the alarm itself is not.
    assert_eq!(
        l.claim(&[claim(&o, AlarmId::Lead, false)], now)
            .await
            .unwrap(),
        vec![false]
    );
    // An override moves the instance: same key, other start.
    let mut moved = o.clone();
    moved.start = t("2026-03-02T11:00:00Z");
    assert_eq!(
        l.claim(&[claim(&moved, AlarmId::Lead, true)], now)
            .await
            .unwrap(),
        vec![false],
        "old snooze void"
    );
    assert_eq!(
        l.claim(&[claim(&moved, AlarmId::Lead, false)], now)
            .await
            .unwrap(),
        vec![true],
        "alarm due again"
    );
    assert_eq!(
        l.claim(&[claim(&moved, AlarmId::Lead, false)], now)
            .await
            .unwrap(),
        vec![false]
    );
}

#[tokio::test]
async fn snooze_dismiss_pause_and_watermark_persist() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.sqlite3");
    let now = t("2026-03-02T09:55:00Z");
    let o = occ("a", t("2026-03-02T10:00:00Z"));
    let key = LedgerKey::new(&o, &AlarmId::Lead);
    let skey = LedgerKey::new(&o, &AlarmId::Start);
    {
        let pool = db::open(&path).await.unwrap();
        let l = Ledger::new(pool.clone());
        l.snooze(&key, o.start, now + Duration::minutes(10), now)
            .await
            .unwrap();
        l.dismiss(&skey, o.start, now).await.unwrap();
        l.set_pause_until(Some(t("2026-03-02T11:00:00Z")))
            .await
            .unwrap();
        l.set_watermark(now).await.unwrap();
        db::close(&pool).await;
    }
    let l = Ledger::new(db::open(&path).await.unwrap());
    let view = l.load().await.unwrap();
    assert_eq!(view[&key].state, LedgerState::Snoozed);
    assert_eq!(view[&key].snooze_until, Some(now + Duration::minutes(10)));
    assert_eq!(view[&skey].state, LedgerState::Dismissed);
    assert_eq!(
        l.pause_until().await.unwrap(),
        Some(t("2026-03-02T11:00:00Z"))
    );
    assert_eq!(l.watermark().await.unwrap(), Some(now));
    // The snooze's end is claimed once; a dismissed alarm never.
    assert_eq!(
        l.claim(&[claim(&o, AlarmId::Lead, true)], now)
            .await
            .unwrap(),
        vec![true]
    );
    assert_eq!(
        l.claim(&[claim(&o, AlarmId::Lead, true)], now)
            .await
            .unwrap(),
        vec![false]
    );
    assert_eq!(
        l.claim(&[claim(&o, AlarmId::Start, false)], now)
            .await
            .unwrap(),
        vec![false]
    );
    l.set_pause_until(None).await.unwrap();
    assert_eq!(l.pause_until().await.unwrap(), None);
    // Pruning drops rows of long-past occurrences only.
    assert_eq!(l.prune(t("2026-03-02T10:00:00Z")).await.unwrap(), 0);
    assert_eq!(l.prune(t("2026-03-03T00:00:00Z")).await.unwrap(), 2);
}
