//! The current time, from the platform: `SystemTime` natively, `Date.now()` in the browser
//! (where `SystemTime::now()` would panic).

/// Seconds since the Unix epoch.
pub fn now_unix() -> u64 {
    #[cfg(target_arch = "wasm32")]
    {
        (js_sys::Date::now() / 1000.0) as u64
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
    }
}

/// Formats Unix seconds as RFC 3339 UTC (`2026-11-22T10:00:00Z`).
pub fn format_rfc3339(unix: u64) -> String {
    match der::DateTime::from_unix_duration(core::time::Duration::from_secs(unix)) {
        Ok(dt) => dt.to_string(),
        Err(_) => format!("@{unix}"),
    }
}

/// Parses RFC 3339 (`2026-11-22T10:00:00Z`, `2026-11-22T10:00:00+01:00`, or a bare date) to Unix seconds.
pub fn parse_rfc3339(s: &str) -> Option<u64> {
    let s = s.trim();
    let num = |r: core::ops::Range<usize>| -> Option<u32> { s.get(r)?.parse().ok() };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if s.get(4..5)? != "-" || s.get(7..8)? != "-" {
        return None;
    }
    let (h, mi, sec, rest) = if s.len() == 10 {
        (0, 0, 0, "Z")
    } else {
        if !matches!(s.get(10..11)?, "T" | "t" | " ") {
            return None;
        }
        let mut rest = s.get(19..)?;
        // Fractional seconds are accepted and dropped.
        if let Some(r) = rest.strip_prefix('.') {
            rest = r.trim_start_matches(|c: char| c.is_ascii_digit());
        }
        (num(11..13)?, num(14..16)?, num(17..19)?, rest)
    };
    let base = der::DateTime::new(y as u16, mo as u8, d as u8, h as u8, mi as u8, sec as u8).ok()?;
    let base = base.unix_duration().as_secs() as i64;
    let offset: i64 = match rest {
        "Z" | "z" => 0,
        o if o.len() == 6 && (o.starts_with('+') || o.starts_with('-')) => {
            let oh: i64 = o.get(1..3)?.parse().ok()?;
            let om: i64 = o.get(4..6)?.parse().ok()?;
            let v = oh * 3600 + om * 60;
            if o.starts_with('+') {
                v
            } else {
                -v
            }
        }
        _ => return None,
    };
    u64::try_from(base - offset).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trip() {
        let t = parse_rfc3339("2020-06-15T00:00:00Z").unwrap();
        assert_eq!(t, 1_592_179_200);
        assert_eq!(format_rfc3339(t), "2020-06-15T00:00:00Z");
        assert_eq!(parse_rfc3339("2020-06-15T02:00:00+02:00"), Some(t));
        assert_eq!(parse_rfc3339("2020-06-15"), Some(t));
        assert_eq!(parse_rfc3339("2020-06-15T00:00:00.123Z"), Some(t));
        assert_eq!(parse_rfc3339("yesterday"), None);
        assert_eq!(parse_rfc3339("2020-13-15T00:00:00Z"), None);
    }
}
