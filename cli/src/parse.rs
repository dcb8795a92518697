//! Sizes, durations and modes as typed on a command line.

use std::time::Duration;

/// "4096", "64K", "1M", "2G" (powers of 1024; "KiB" spellings too).
pub fn size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(digits);
    let n: u64 = num.parse().map_err(|_| format!("not a size: {s:?}"))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        _ => return Err(format!("unknown size unit in {s:?} (use K, M, G, T)")),
    };
    n.checked_mul(mult).filter(|&v| v <= i64::MAX as u64).ok_or_else(|| format!("size too large: {s:?}"))
}

/// "90s", "10m", "2h", "7d"; a bare number is seconds.
pub fn duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(digits);
    let n: u64 = num.parse().map_err(|_| format!("not a duration: {s:?}"))?;
    let secs = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => return Err(format!("unknown duration unit in {s:?} (use s, m, h, d)")),
    };
    n.checked_mul(secs).map(Duration::from_secs).ok_or_else(|| format!("duration too large: {s:?}"))
}

/// Octal permission bits: "600" or "0600".
pub fn mode(s: &str) -> Result<u32, String> {
    u32::from_str_radix(s.trim_start_matches("0o"), 8)
        .ok()
        .filter(|&m| m <= 0o7777)
        .ok_or_else(|| format!("not an octal mode: {s:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(size("4096"), Ok(4096));
        assert_eq!(size("64K"), Ok(65536));
        assert_eq!(size("1MiB"), Ok(1 << 20));
        assert_eq!(size("2g"), Ok(2 << 30));
        assert!(size("x").is_err() && size("1Q").is_err() && size("99999999999T").is_err());
    }

    #[test]
    fn durations() {
        assert_eq!(duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(duration("7d"), Ok(Duration::from_secs(7 * 86400)));
        assert!(duration("1w").is_err() && duration("").is_err());
    }

    #[test]
    fn modes() {
        assert_eq!(mode("0600"), Ok(0o600));
        assert_eq!(mode("644"), Ok(0o644));
        assert!(mode("999").is_err() && mode("17777").is_err());
    }
}
