//! Pixels for the tray, as plain RGBA buffers (no Tauri here, so they are unit-tested):
//! the small filled circle in a calendar's colour on each event line of the menu, and
//! the tray icon with the minutes to the next meeting drawn on it in its last hour,
//! coloured by urgency.
//!
//! The digits are a hand-drawn 3×5 bitmap scaled by a whole number: the icon needs ten
//! glyphs at one size, a font crate would bring a font file and a rasteriser whose
//! anti-aliased output blurs at tray size (22–24 px), and integer scaling keeps every
//! stroke pixel-exact after the panel scales the 64 px icon down.

/// Side of a menu line's dot image, in pixels (GTK menus show 16 px icons).
pub const DOT_SIZE: u32 = 16;
/// Side of the tray icon drawn with minutes (as icons/tray.png).
pub const ICON_SIZE: u32 = 64;

/// How close the next meeting is, for the colour of the minutes on the icon. The
/// original CalendarBot's thresholds could not be found (no public source of it in the
/// reference corpus); these are the common choice of meeting-bar tools: more than 15
/// minutes neutral, 5 to 15 amber, under 5 red.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    Neutral,
    Soon,
    Imminent,
}

impl Urgency {
    pub fn of_minutes(minutes: i64) -> Self {
        match minutes {
            m if m < 5 => Self::Imminent,
            m if m <= 15 => Self::Soon,
            _ => Self::Neutral,
        }
    }

    /// The plate colour behind the white digits: each at least 4.5:1 against white.
    pub fn rgb(self) -> [u8; 3] {
        match self {
            // slate-600
            Self::Neutral => [0x47, 0x55, 0x69],
            // amber-700
            Self::Soon => [0xb4, 0x53, 0x09],
            // red-600
            Self::Imminent => [0xdc, 0x26, 0x26],
        }
    }
}

/// A filled circle of `rgb` on a transparent square of [`DOT_SIZE`], its edge
/// anti-aliased by 4×4 supersampling; the inside is exactly `rgb`.
pub fn dot(rgb: [u8; 3]) -> Vec<u8> {
    let size = DOT_SIZE as f32;
    let (centre, radius) = (size / 2.0, size * 0.34);
    coverage_image(DOT_SIZE, rgb, |x, y| {
        let (dx, dy) = (x - centre, y - centre);
        dx * dx + dy * dy <= radius * radius
    })
}

/// The tray icon showing `minutes` (1–99; more is clamped to 99): white digits on a
/// rounded square in the urgency colour, the whole [`ICON_SIZE`] so it reads at tray
/// size.
pub fn minutes_icon(minutes: i64) -> Vec<u8> {
    let rgb = Urgency::of_minutes(minutes).rgb();
    let size = ICON_SIZE as f32;
    let radius = 12.0;
    let mut img = coverage_image(ICON_SIZE, rgb, |x, y| {
        // Distance outside the square shrunk by the radius.
        let qx = (x - size / 2.0).abs() - (size / 2.0 - radius);
        let qy = (y - size / 2.0).abs() - (size / 2.0 - radius);
        let (ox, oy) = (qx.max(0.0), qy.max(0.0));
        ox * ox + oy * oy <= radius * radius
    });
    let text = minutes.clamp(0, 99).to_string();
    // 3 columns a digit and 1 between: 7 columns for two digits, 8 px each.
    const SCALE: u32 = 8;
    let columns = text.len() as u32 * 4 - 1;
    let (left, top) = (
        (ICON_SIZE - columns * SCALE) / 2,
        (ICON_SIZE - 5 * SCALE) / 2,
    );
    for (i, ch) in text.chars().enumerate() {
        let glyph = DIGITS[ch.to_digit(10).unwrap_or(0) as usize];
        for (row, bits) in glyph.iter().enumerate() {
            for col in 0..3u32 {
                if bits & (0b100 >> col) == 0 {
                    continue;
                }
                let x0 = left + (i as u32 * 4 + col) * SCALE;
                let y0 = top + row as u32 * SCALE;
                for y in y0..y0 + SCALE {
                    for x in x0..x0 + SCALE {
                        let p = ((y * ICON_SIZE + x) * 4) as usize;
                        img[p..p + 4].copy_from_slice(&[255, 255, 255, 255]);
                    }
                }
            }
        }
    }
    img
}

/// 3×5 digits, one row a byte, the leftmost column the highest of three bits.
const DIGITS: [[u8; 5]; 10] = [
    [0b111, 0b101, 0b101, 0b101, 0b111],
    [0b010, 0b110, 0b010, 0b010, 0b111],
    [0b111, 0b001, 0b111, 0b100, 0b111],
    [0b111, 0b001, 0b111, 0b001, 0b111],
    [0b101, 0b101, 0b111, 0b001, 0b001],
    [0b111, 0b100, 0b111, 0b001, 0b111],
    [0b111, 0b100, 0b111, 0b101, 0b111],
    [0b111, 0b001, 0b001, 0b001, 0b001],
    [0b111, 0b101, 0b111, 0b101, 0b111],
    [0b111, 0b101, 0b111, 0b001, 0b111],
];

/// A square image of `rgb` whose alpha is the share of 4×4 samples of each pixel that
/// fall inside `inside` (pixel coordinates, y down).
fn coverage_image(side: u32, rgb: [u8; 3], inside: impl Fn(f32, f32) -> bool) -> Vec<u8> {
    let mut img = vec![0u8; (side * side * 4) as usize];
    for y in 0..side {
        for x in 0..side {
            let mut hits = 0u32;
            for sy in 0..4 {
                for sx in 0..4 {
                    let px = x as f32 + (sx as f32 + 0.5) / 4.0;
                    let py = y as f32 + (sy as f32 + 0.5) / 4.0;
                    hits += u32::from(inside(px, py));
                }
            }
            if hits > 0 {
                let p = ((y * side + x) * 4) as usize;
                let alpha = (hits * 255 / 16) as u8;
                img[p..p + 4].copy_from_slice(&[rgb[0], rgb[1], rgb[2], alpha]);
            }
        }
    }
    img
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pixel(img: &[u8], side: u32, x: u32, y: u32) -> [u8; 4] {
        let p = ((y * side + x) * 4) as usize;
        [img[p], img[p + 1], img[p + 2], img[p + 3]]
    }

    #[test]
    fn a_dot_is_its_colour_inside_and_transparent_outside() {
        let img = dot([0x33, 0x66, 0xcc]);
        assert_eq!(img.len(), (DOT_SIZE * DOT_SIZE * 4) as usize);
        assert_eq!(pixel(&img, DOT_SIZE, 8, 8), [0x33, 0x66, 0xcc, 255]);
        assert_eq!(pixel(&img, DOT_SIZE, 0, 0)[3], 0);
        assert_eq!(pixel(&img, DOT_SIZE, 15, 8)[3], 0);
        // The edge is soft, not jagged.
        assert!((0..DOT_SIZE).any(|x| (1..255).contains(&pixel(&img, DOT_SIZE, x, 8)[3])));
    }

    #[test]
    fn urgency_thresholds() {
        assert_eq!(Urgency::of_minutes(60), Urgency::Neutral);
        assert_eq!(Urgency::of_minutes(16), Urgency::Neutral);
        assert_eq!(Urgency::of_minutes(15), Urgency::Soon);
        assert_eq!(Urgency::of_minutes(5), Urgency::Soon);
        assert_eq!(Urgency::of_minutes(4), Urgency::Imminent);
        assert_eq!(Urgency::of_minutes(1), Urgency::Imminent);
    }

    /// The digits as drawn, read back from the pixels: the icon says the number.
    fn read_digits(img: &[u8]) -> String {
        let white = |x: u32, y: u32| pixel(img, ICON_SIZE, x, y) == [255, 255, 255, 255];
        let top = (ICON_SIZE - 40) / 2;
        let columns: Vec<u32> = (0..ICON_SIZE / 8)
            .filter(|c| (0..5).any(|r| white(c * 8 + 4, top + r * 8 + 4)))
            .collect();
        let (first, last) = (columns[0], columns[columns.len() - 1]);
        let mut out = String::new();
        let mut c = first;
        while c <= last {
            let glyph: Vec<u8> = (0..5)
                .map(|r| {
                    (0..3).fold(0, |acc, k| {
                        acc << 1 | u8::from(white((c + k) * 8 + 4, top + r * 8 + 4))
                    })
                })
                .collect();
            let d = DIGITS.iter().position(|g| g[..] == glyph[..]).unwrap_or(99);
            out.push_str(&d.to_string());
            c += 4;
        }
        out
    }

    #[test]
    fn the_minutes_icon_reads_its_number_in_the_urgency_colour() {
        for m in [1, 4, 5, 9, 10, 15, 42, 60] {
            let img = minutes_icon(m);
            assert_eq!(img.len(), (ICON_SIZE * ICON_SIZE * 4) as usize);
            assert_eq!(read_digits(&img), m.to_string(), "{m}");
            let [r, g, b] = Urgency::of_minutes(m).rgb();
            assert_eq!(pixel(&img, ICON_SIZE, 32, 4), [r, g, b, 255], "{m}");
            assert_eq!(pixel(&img, ICON_SIZE, 0, 0)[3], 0, "rounded corner");
        }
    }
}
