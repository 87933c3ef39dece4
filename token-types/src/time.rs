//! Formatting instants the way JavaScript's `Date.prototype.toUTCString` does, for messages.

use std::fmt::Write as _;

/// The largest |ms| a JS `Date` can hold (±100,000,000 days).
const JS_DATE_LIMIT_MS: i64 = 8_640_000_000_000_000;
const MS_PER_DAY: i64 = 86_400_000;

/// Formats Unix milliseconds as JS `new Date(ms).toUTCString()`: `Tue, 25 Oct 2022 21:50:50 GMT`.
///
/// Years are padded to four digits and years before 0 carry a `-` sign, as in JS
/// (`Fri, 31 Dec -0001 23:59:59 GMT`); outside the JS date range (±8.64e15 ms) the result is
/// `Invalid Date`. Never panics.
///
/// ```rust
/// use clerk_token_types::format_utc;
/// assert_eq!(format_utc(1_666_734_650_000), "Tue, 25 Oct 2022 21:50:50 GMT");
/// assert_eq!(format_utc(0), "Thu, 01 Jan 1970 00:00:00 GMT");
/// assert_eq!(format_utc(i64::MAX), "Invalid Date");
/// ```
pub fn format_utc(ms: i64) -> String {
    if !(-JS_DATE_LIMIT_MS..=JS_DATE_LIMIT_MS).contains(&ms) {
        return "Invalid Date".to_owned();
    }
    let days = ms.div_euclid(MS_PER_DAY);
    let secs_of_day = ms.rem_euclid(MS_PER_DAY) / 1000;
    let (year, month, day) = civil_from_days(days);
    // 1970-01-01 was a Thursday.
    let weekday =
        ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][(days + 4).rem_euclid(7) as usize];
    let month_name = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][(month - 1) as usize];
    let mut out = String::with_capacity(29);
    let sign = if year < 0 { "-" } else { "" };
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "{weekday}, {day:02} {month_name} {sign}{:04} {:02}:{:02}:{:02} GMT",
        year.unsigned_abs(),
        secs_of_day / 3600,
        secs_of_day / 60 % 60,
        secs_of_day % 60,
    );
    out
}

/// Proleptic Gregorian (year, month 1..=12, day 1..=31) of a day count since 1970-01-01
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn js_examples() {
        // Values checked against node: new Date(ms).toUTCString().
        let cases = [
            (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
            (-1, "Wed, 31 Dec 1969 23:59:59 GMT"),
            (1_666_648_250_000, "Mon, 24 Oct 2022 21:50:50 GMT"),
            (1_666_648_550_000, "Mon, 24 Oct 2022 21:55:50 GMT"),
            (1_666_734_650_000, "Tue, 25 Oct 2022 21:50:50 GMT"),
            (951_782_400_000, "Tue, 29 Feb 2000 00:00:00 GMT"),
            (4_107_542_400_000, "Mon, 01 Mar 2100 00:00:00 GMT"),
            (253_402_300_799_999, "Fri, 31 Dec 9999 23:59:59 GMT"),
            (253_402_300_800_000, "Sat, 01 Jan 10000 00:00:00 GMT"),
            (-62_135_596_800_000, "Mon, 01 Jan 0001 00:00:00 GMT"),
            (-62_135_596_800_001, "Sun, 31 Dec 0000 23:59:59 GMT"),
            (-62_167_219_200_001, "Fri, 31 Dec -0001 23:59:59 GMT"),
            (8_640_000_000_000_000, "Sat, 13 Sep 275760 00:00:00 GMT"),
            (-8_640_000_000_000_000, "Tue, 20 Apr -271821 00:00:00 GMT"),
            (8_640_000_000_000_001, "Invalid Date"),
            (-8_640_000_000_000_001, "Invalid Date"),
            (i64::MIN, "Invalid Date"),
            (i64::MAX, "Invalid Date"),
        ];
        for (ms, want) in cases {
            assert_eq!(format_utc(ms), want, "{ms}");
        }
    }

    #[test]
    fn civil_round_trip_over_many_days() {
        // Consecutive days must advance the date by exactly one calendar day.
        let mut prev = civil_from_days(-800_000);
        for d in -799_999..800_000 {
            let (y, m, day) = civil_from_days(d);
            let (py, pm, pd) = prev;
            let next_ok = (y == py && m == pm && day == pd + 1)
                || (y == py && m == pm + 1 && day == 1)
                || (y == py + 1 && m == 1 && day == 1 && pm == 12 && pd == 31);
            assert!(next_ok, "{d}: {prev:?} -> {:?}", (y, m, day));
            prev = (y, m, day);
        }
    }
}
