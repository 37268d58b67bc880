//! Deadlines as documents write them (完成时限): 2021年11月底, 2021年6月底,
//! 年底, 2025年9月30日, 2025年上半年 … into calendar days; the words are kept.

use chrono::NaiveDate;

use crate::domain::values::{end_of_year, last_day_of_month};

/// The day a deadline text means, in a plan of `year`; none when the text
/// names no day (长期坚持, 持续推进), so that the plan's default applies.
pub fn parse(text: &str, year: i32) -> Option<NaiveDate> {
    let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    if text.is_empty() {
        return None;
    }
    match text.as_str() {
        "年底" | "年末" | "全年" | "年内" | "当年" | "本年度" | "年度内" => {
            return Some(end_of_year(year));
        }
        "上半年" | "年中" => return last_day(year, 6),
        "下半年" => return Some(end_of_year(year)),
        _ => {}
    }
    let (y, rest) = match text.split_once('年') {
        Some((y, rest)) if y.len() == 4 && y.bytes().all(|b| b.is_ascii_digit()) => (y.parse::<i32>().ok()?, rest),
        _ => (year, text.as_str()),
    };
    match rest {
        "" | "底" | "年底" | "末" | "年末" | "12月底" => return Some(end_of_year(y)),
        "上半年" | "6月底" | "年中" => return last_day(y, 6),
        "下半年" => return Some(end_of_year(y)),
        _ => {}
    }
    if let Some(q) = rest.strip_prefix('第').and_then(|r| r.strip_suffix("季度")) {
        let quarter = match q {
            "一" | "1" => 1,
            "二" | "2" => 2,
            "三" | "3" => 3,
            "四" | "4" => 4,
            _ => return None,
        };
        return last_day(y, quarter * 3);
    }
    let (month, rest) = rest.split_once('月')?;
    let month: u32 = month.parse().ok().filter(|m| (1..=12).contains(m))?;
    let rest = rest.trim_end_matches('前');
    match rest {
        "" | "底" | "末" | "份" => last_day(y, month),
        "上旬" => NaiveDate::from_ymd_opt(y, month, 10),
        "中旬" => NaiveDate::from_ymd_opt(y, month, 20),
        "下旬" => last_day(y, month),
        day => NaiveDate::from_ymd_opt(y, month, day.trim_end_matches(['日', '号']).parse().ok()?),
    }
}

fn last_day(year: i32, month: u32) -> Option<NaiveDate> {
    Some(last_day_of_month(year, month))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Option<String> {
        parse(text, 2025).map(|d| d.to_string())
    }

    #[test]
    fn documents_deadlines_become_days() {
        assert_eq!(day("2021年11月底").as_deref(), Some("2021-11-30"));
        assert_eq!(day("2021年6月底").as_deref(), Some("2021-06-30"));
        assert_eq!(day("年底").as_deref(), Some("2025-12-31"));
        assert_eq!(day("2025年9月30日").as_deref(), Some("2025-09-30"));
        assert_eq!(day("9月底前").as_deref(), Some("2025-09-30"));
        assert_eq!(day("2025年上半年").as_deref(), Some("2025-06-30"));
        assert_eq!(day("2025年第三季度").as_deref(), Some("2025-09-30"));
        assert_eq!(day("2024年2月底").as_deref(), Some("2024-02-29"));
        assert_eq!(day("2025年"), Some("2025-12-31".into()));
        assert_eq!(day("长期坚持"), None);
        assert_eq!(day("2025年13月底"), None);
        assert_eq!(day("2025年2月30日"), None);
        assert_eq!(day(""), None);
    }
}
