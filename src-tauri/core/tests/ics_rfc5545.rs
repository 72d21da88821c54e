//! The recurrence examples of RFC 5545 section 3.8.5.3, with the dates the RFC lists.
//! All use `DTSTART;TZID=America/New_York`, so they also check that wall-clock times stay
//! put across the 1997 DST change (instances are expanded on local time).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use calendarbot_core::ics::{self, ExpandOptions};
use calendarbot_core::model::Window;
use chrono_tz::Tz;

/// Expands one event and returns its local start times as `YYYYMMDDTHHMM`.
fn run(dtstart: &str, extra: &[&str], to: &str) -> Vec<String> {
    let mut body = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:rfc\r\n");
    body.push_str(&format!(
        "DTSTART;TZID=America/New_York:{dtstart}\r\nDURATION:PT1H\r\n"
    ));
    for l in extra {
        body.push_str(l);
        body.push_str("\r\n");
    }
    body.push_str("END:VEVENT\r\nEND:VCALENDAR\r\n");
    let cal = ics::parse_feed(body.as_bytes()).unwrap();
    let opts = ExpandOptions {
        window: Window {
            from: "1996-01-01T00:00:00Z".parse().unwrap(),
            to: to.parse().unwrap(),
        },
        tz: Tz::America__New_York,
        source: "rfc".into(),
        source_id: None,
        me_emails: vec![],
        canceled_prefix: true,
    };
    ics::expand(&cal, &opts)
        .iter()
        .map(|o| {
            o.start
                .with_timezone(&Tz::America__New_York)
                .format("%Y%m%dT%H%M")
                .to_string()
        })
        .collect()
}

fn days(prefix: &str, list: &[&str], time: &str) -> Vec<String> {
    list.iter().map(|d| format!("{prefix}{d}T{time}")).collect()
}

fn at(list: &[&str]) -> Vec<String> {
    list.iter().map(|d| format!("{d}T0900")).collect()
}

#[test]
fn daily_for_10() {
    let got = run(
        "19970902T090000",
        &["RRULE:FREQ=DAILY;COUNT=10"],
        "1998-01-01T00:00:00Z",
    );
    assert_eq!(
        got,
        days(
            "199709",
            &["02", "03", "04", "05", "06", "07", "08", "09", "10", "11"],
            "0900"
        )
    );
}

#[test]
fn daily_until_dec_24() {
    let got = run(
        "19970902T090000",
        &["RRULE:FREQ=DAILY;UNTIL=19971224T000000Z"],
        "1999-01-01T00:00:00Z",
    );
    assert_eq!(got.len(), 113);
    assert_eq!(got.first().unwrap(), "19970902T0900");
    assert_eq!(got.last().unwrap(), "19971223T0900");
}

#[test]
fn every_other_day_forever() {
    let got = run(
        "19970902T090000",
        &["RRULE:FREQ=DAILY;INTERVAL=2"],
        "1997-09-13T00:00:00Z",
    );
    assert_eq!(
        got,
        days("199709", &["02", "04", "06", "08", "10", "12"], "0900")
    );
}

#[test]
fn every_10_days_5_times() {
    let got = run(
        "19970902T090000",
        &["RRULE:FREQ=DAILY;INTERVAL=10;COUNT=5"],
        "1999-01-01T00:00:00Z",
    );
    assert_eq!(
        got,
        at(&["19970902", "19970912", "19970922", "19971002", "19971012"])
    );
}

#[test]
fn every_day_in_january_for_3_years() {
    let got = run(
        "19980101T090000",
        &["RRULE:FREQ=YEARLY;UNTIL=20000131T140000Z;BYMONTH=1;BYDAY=SU,MO,TU,WE,TH,FR,SA"],
        "2001-01-01T00:00:00Z",
    );
    assert_eq!(got.len(), 93);
    assert_eq!(got[0], "19980101T0900");
    assert_eq!(got[31], "19990101T0900");
    assert_eq!(got[92], "20000131T0900");
}

#[test]
fn weekly_for_10_across_dst() {
    let got = run(
        "19970902T090000",
        &["RRULE:FREQ=WEEKLY;COUNT=10"],
        "1999-01-01T00:00:00Z",
    );
    assert_eq!(
        got,
        at(&[
            "19970902", "19970909", "19970916", "19970923", "19970930", "19971007", "19971014",
            "19971021", "19971028", "19971104"
        ])
    );
}

#[test]
fn weekly_tu_th_for_5_weeks() {
    let got = run(
        "19970902T090000",
        &["RRULE:FREQ=WEEKLY;UNTIL=19971007T000000Z;WKST=SU;BYDAY=TU,TH"],
        "1999-01-01T00:00:00Z",
    );
    assert_eq!(
        got,
        at(&[
            "19970902", "19970904", "19970909", "19970911", "19970916", "19970918", "19970923",
            "19970925", "19970930", "19971002"
        ])
    );
}

#[test]
fn every_other_week_mo_we_fr() {
    let got = run(
        "19970901T090000",
        &["RRULE:FREQ=WEEKLY;INTERVAL=2;UNTIL=19971224T000000Z;WKST=SU;BYDAY=MO,WE,FR"],
        "1999-01-01T00:00:00Z",
    );
    let want = at(&[
        "19970901", "19970903", "19970905", "19970915", "19970917", "19970919", "19970929",
        "19971001", "19971003", "19971013", "19971015", "19971017", "19971027", "19971029",
        "19971031", "19971110", "19971112", "19971114", "19971124", "19971126", "19971128",
        "19971208", "19971210", "19971212", "19971222",
    ]);
    assert_eq!(got, want);
}

#[test]
fn monthly_first_friday_10() {
    let got = run(
        "19970905T090000",
        &["RRULE:FREQ=MONTHLY;COUNT=10;BYDAY=1FR"],
        "1999-01-01T00:00:00Z",
    );
    assert_eq!(
        got,
        at(&[
            "19970905", "19971003", "19971107", "19971205", "19980102", "19980206", "19980306",
            "19980403", "19980501", "19980605"
        ])
    );
}

#[test]
fn every_other_month_first_and_last_sunday() {
    let got = run(
        "19970907T090000",
        &["RRULE:FREQ=MONTHLY;INTERVAL=2;COUNT=10;BYDAY=1SU,-1SU"],
        "1999-01-01T00:00:00Z",
    );
    assert_eq!(
        got,
        at(&[
            "19970907", "19970928", "19971102", "19971130", "19980104", "19980125", "19980301",
            "19980329", "19980503", "19980531"
        ])
    );
}

#[test]
fn monthly_second_to_last_monday() {
    let got = run(
        "19970922T090000",
        &["RRULE:FREQ=MONTHLY;COUNT=6;BYDAY=-2MO"],
        "1999-01-01T00:00:00Z",
    );
    assert_eq!(
        got,
        at(&["19970922", "19971020", "19971117", "19971222", "19980119", "19980216"])
    );
}

#[test]
fn monthly_third_to_last_day() {
    let got = run(
        "19970928T090000",
        &["RRULE:FREQ=MONTHLY;BYMONTHDAY=-3"],
        "1998-03-01T00:00:00Z",
    );
    assert_eq!(
        got,
        at(&["19970928", "19971029", "19971128", "19971229", "19980129", "19980226"])
    );
}

#[test]
fn monthly_2nd_and_15th() {
    let got = run(
        "19970902T090000",
        &["RRULE:FREQ=MONTHLY;COUNT=10;BYMONTHDAY=2,15"],
        "1999-01-01T00:00:00Z",
    );
    assert_eq!(
        got,
        at(&[
            "19970902", "19970915", "19971002", "19971015", "19971102", "19971115", "19971202",
            "19971215", "19980102", "19980115"
        ])
    );
}

#[test]
fn yearly_june_and_july() {
    let got = run(
        "19970610T090000",
        &["RRULE:FREQ=YEARLY;COUNT=10;BYMONTH=6,7"],
        "2002-01-01T00:00:00Z",
    );
    assert_eq!(
        got,
        at(&[
            "19970610", "19970710", "19980610", "19980710", "19990610", "19990710", "20000610",
            "20000710", "20010610", "20010710"
        ])
    );
}

#[test]
fn every_thursday_in_march() {
    let got = run(
        "19970313T090000",
        &["RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=TH"],
        "2000-01-01T00:00:00Z",
    );
    assert_eq!(
        got,
        at(&[
            "19970313", "19970320", "19970327", "19980305", "19980312", "19980319", "19980326",
            "19990304", "19990311", "19990318", "19990325"
        ])
    );
}

#[test]
fn friday_the_13th_with_exdate() {
    let got = run(
        "19970902T090000",
        &[
            "EXDATE;TZID=America/New_York:19970902T090000",
            "RRULE:FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13",
        ],
        "2001-01-01T00:00:00Z",
    );
    assert_eq!(
        got,
        at(&["19980213", "19980313", "19981113", "19990813", "20001013"])
    );
}

#[test]
fn first_saturday_after_first_sunday() {
    let got = run(
        "19970913T090000",
        &["RRULE:FREQ=MONTHLY;BYDAY=SA;BYMONTHDAY=7,8,9,10,11,12,13"],
        "1998-07-01T00:00:00Z",
    );
    assert_eq!(
        got,
        at(&[
            "19970913", "19971011", "19971108", "19971213", "19980110", "19980207", "19980307",
            "19980411", "19980509", "19980613"
        ])
    );
}

#[test]
fn us_presidential_election_day() {
    let got = run(
        "19961105T090000",
        &["RRULE:FREQ=YEARLY;INTERVAL=4;BYMONTH=11;BYDAY=TU;BYMONTHDAY=2,3,4,5,6,7,8"],
        "2005-01-01T00:00:00Z",
    );
    assert_eq!(got, at(&["19961105", "20001107", "20041102"]));
}

#[test]
fn third_tu_we_th_of_month() {
    let got = run(
        "19970904T090000",
        &["RRULE:FREQ=MONTHLY;COUNT=3;BYDAY=TU,WE,TH;BYSETPOS=3"],
        "1999-01-01T00:00:00Z",
    );
    assert_eq!(got, at(&["19970904", "19971007", "19971106"]));
}

#[test]
fn second_to_last_weekday() {
    let got = run(
        "19970929T090000",
        &["RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2"],
        "1998-04-01T00:00:00Z",
    );
    assert_eq!(
        got,
        at(&["19970929", "19971030", "19971127", "19971230", "19980129", "19980226", "19980330"])
    );
}

#[test]
fn every_15_minutes_6_times() {
    let got = run(
        "19970902T090000",
        &["RRULE:FREQ=MINUTELY;INTERVAL=15;COUNT=6"],
        "1999-01-01T00:00:00Z",
    );
    let want: Vec<String> = ["0900", "0915", "0930", "0945", "1000", "1015"]
        .iter()
        .map(|t| format!("19970902T{t}"))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn every_90_minutes_4_times() {
    let got = run(
        "19970902T090000",
        &["RRULE:FREQ=MINUTELY;INTERVAL=90;COUNT=4"],
        "1999-01-01T00:00:00Z",
    );
    assert_eq!(
        got,
        vec![
            "19970902T0900",
            "19970902T1030",
            "19970902T1200",
            "19970902T1330"
        ]
    );
}

#[test]
fn every_20_minutes_9_to_1640() {
    let got = run(
        "19970902T090000",
        &["RRULE:FREQ=DAILY;BYHOUR=9,10,11,12,13,14,15,16;BYMINUTE=0,20,40"],
        "1997-09-03T12:00:00Z",
    );
    let mut want = Vec::new();
    for day in ["02", "03"] {
        for h in 9..=16 {
            for m in [0, 20, 40] {
                want.push(format!("199709{day}T{h:02}{m:02}"));
            }
        }
    }
    // The window ends at 08:00 EDT on the 3rd: only the 2nd's 24 instances.
    assert_eq!(got, want[..24].to_vec());
}

#[test]
fn wkst_changes_the_result() {
    let mo = run(
        "19970805T090000",
        &["RRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO"],
        "1999-01-01T00:00:00Z",
    );
    assert_eq!(mo, at(&["19970805", "19970810", "19970819", "19970824"]));
    let su = run(
        "19970805T090000",
        &["RRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU"],
        "1999-01-01T00:00:00Z",
    );
    assert_eq!(su, at(&["19970805", "19970817", "19970819", "19970831"]));
}

#[test]
fn invalid_dates_are_skipped() {
    let got = run(
        "20070115T090000",
        &["RRULE:FREQ=MONTHLY;BYMONTHDAY=15,30;COUNT=5"],
        "2008-01-01T00:00:00Z",
    );
    assert_eq!(
        got,
        at(&["20070115", "20070130", "20070215", "20070315", "20070330"])
    );
}

#[test]
fn twentieth_monday_and_week_20() {
    let got = run(
        "19970519T090000",
        &["RRULE:FREQ=YEARLY;BYDAY=20MO"],
        "2000-01-01T00:00:00Z",
    );
    assert_eq!(got, at(&["19970519", "19980518", "19990517"]));
    let got = run(
        "19970512T090000",
        &["RRULE:FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO"],
        "2000-01-01T00:00:00Z",
    );
    assert_eq!(got, at(&["19970512", "19980511", "19990517"]));
}

#[test]
fn every_third_year_by_year_day() {
    let got = run(
        "19970101T090000",
        &["RRULE:FREQ=YEARLY;INTERVAL=3;COUNT=10;BYYEARDAY=1,100,200"],
        "2010-01-01T00:00:00Z",
    );
    assert_eq!(
        got,
        at(&[
            "19970101", "19970410", "19970719", "20000101", "20000409", "20000718", "20030101",
            "20030410", "20030719", "20060101"
        ])
    );
}
