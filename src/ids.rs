//! Run ids: `YYYYMMDD-HHMMSS-mmm-xxxxxx`, sortable by launch time (UTC), unique
//! thanks to a random suffix, and safe in a path and a URL.

use chrono::{TimeZone, Utc};

pub fn new_run_id(now_ms: u64) -> String {
    let when = Utc
        .timestamp_millis_opt(now_ms as i64)
        .single()
        .unwrap_or_default();
    format!("{}-{}", when.format("%Y%m%d-%H%M%S-%3f"), random_hex(3))
}

/// A random token for `--token auto`.
pub fn new_token() -> String {
    random_hex(16)
}

fn random_hex(n: usize) -> String {
    let mut b = vec![0u8; n];
    getrandom::fill(&mut b).expect("random bytes");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_sort_by_time_and_name_the_utc_date() {
        let a = new_run_id(1_764_109_255_123);
        assert!(a.starts_with("20251125-222055-123-"), "{a}");
        let b = new_run_id(1_764_109_255_124);
        assert!(a < b);
        crate::names::check_run_id(&a).unwrap();
    }
}
