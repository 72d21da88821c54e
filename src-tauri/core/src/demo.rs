//! The demo calendar shipped inside the binary, shown when no source is configured.
//!
//! Its meetings recur every working day in floating local time since 2024, so it has
//! upcoming events whatever the date and reads naturally in any time zone.

/// The demo feed (an ordinary ICS file, parsed by the same engine as any source).
pub const DEMO_ICS: &str = include_str!("../assets/demo.ics");

/// The name it is shown under.
pub const DEMO_NAME: &str = "Demo calendar";
