//! ATTENDEE and ORGANIZER lines, and "me": the user's own participation status.
//!
//! Addresses are compared without `mailto:` and case-insensitively, since providers
//! write `MAILTO:John@Example.com` and users type `john@example.com`.

use super::lines::ContentLine;
use super::text::clean_line;
use super::Attendee;
use crate::model::PartStat;

/// The address of a CAL-ADDRESS value, lower case, without `mailto:`.
pub fn address(value: &str) -> String {
    let v = value.trim();
    let v = if v.len() >= 7 && v[..7].eq_ignore_ascii_case("mailto:") {
        &v[7..]
    } else {
        v
    };
    clean_line(&v.trim().to_lowercase())
}

/// Reads an ATTENDEE line.
pub fn attendee(line: &ContentLine) -> Attendee {
    Attendee {
        email: address(&line.value),
        cn: line.param("CN").map(clean_line).filter(|c| !c.is_empty()),
        partstat: line
            .param("PARTSTAT")
            .map(|p| p.trim().to_ascii_uppercase()),
        delegated_from: line
            .param_values("DELEGATED-FROM")
            .iter()
            .map(|a| address(a))
            .collect(),
    }
}

/// Reads an ORGANIZER line: the address, or the CN when the address is empty.
pub fn organizer(line: &ContentLine) -> Option<String> {
    let a = address(&line.value);
    if !a.is_empty() {
        return Some(a);
    }
    line.param("CN").map(clean_line).filter(|c| !c.is_empty())
}

/// The organizer's name (the CN parameter), when the line has one.
pub fn organizer_name(line: &ContentLine) -> Option<String> {
    line.param("CN").map(clean_line).filter(|c| !c.is_empty())
}

/// The user's PARTSTAT: the first attendee whose address is one of `me` (lower case).
pub fn my_status(attendees: &[Attendee], me: &[String]) -> Option<PartStat> {
    if me.is_empty() {
        return None;
    }
    let a = attendees
        .iter()
        .find(|a| me.iter().any(|m| m.trim().eq_ignore_ascii_case(&a.email)))?;
    Some(match a.partstat.as_deref() {
        Some("ACCEPTED") => PartStat::Accepted,
        Some("DECLINED") => PartStat::Declined,
        Some("TENTATIVE") => PartStat::Tentative,
        Some("DELEGATED") => PartStat::Delegated,
        _ => PartStat::NeedsAction,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::ics::lines::parse_line;

    #[test]
    fn case_3_and_me() {
        let l = parse_line(
            br#"ATTENDEE;CN="Doe, John";PARTSTAT=DECLINED;DELEGATED-FROM="mailto:a@x","mailto:b@x":MAILTO:J@x"#,
        )
        .unwrap();
        let a = attendee(&l);
        assert_eq!(a.cn.as_deref(), Some("Doe, John"));
        assert_eq!(a.delegated_from, vec!["a@x", "b@x"]);
        assert_eq!(
            my_status(&[a], &["j@X".to_string()]),
            Some(PartStat::Declined)
        );
    }

    #[test]
    fn the_organizer_has_an_address_and_a_name_for_people() {
        let l = parse_line(b"ORGANIZER;CN=\"Lee, Ann\x07\":mailto:Ann@X.org").unwrap();
        assert_eq!(organizer(&l).as_deref(), Some("ann@x.org"));
        assert_eq!(organizer_name(&l).as_deref(), Some("Lee, Ann"));
        let bare = parse_line(b"ORGANIZER:mailto:ann@x.org").unwrap();
        assert_eq!(organizer_name(&bare), None);
    }
}
