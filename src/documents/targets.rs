//! Quantitative targets (指标) extracted from a task's text: a figure or a
//! range with its unit of measure, the comparator the words around it give
//! (以上, 不少于, 力争 → at least; 以内, 不超过 → at most; 左右 → about;
//! 3—5 → range; a bare figure → exactly), a guessed metric, and the phrase
//! it came from. Years, periods and names with numbers are not targets.

use crate::domain::values::{Amount, Comparator};

/// A target found in a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extracted {
    pub comparator: Comparator,
    pub value: Amount,
    pub value_max: Option<Amount>,
    pub unit: String,
    /// A metric code of the catalogue, when the words say which.
    pub metric: Option<&'static str>,
    /// The clause the figure stands in.
    pub source_text: String,
}

/// Units of measure, longest first so that 万人次 wins over 人次.
const UNITS: &[&str] = &[
    "万平方米",
    "平方公里",
    "万人次",
    "万千瓦",
    "万亩",
    "万元",
    "亿元",
    "万吨",
    "万户",
    "万人",
    "人次",
    "公里",
    "平方米",
    "千瓦",
    "%",
    "％",
    "个",
    "名",
    "家",
    "项",
    "对",
    "次",
    "场",
    "批",
    "所",
    "条",
    "座",
    "户",
    "人",
    "亩",
    "吨",
    "元",
    "套",
    "件",
    "台",
    "辆",
    "期",
    "届",
    "篇",
    "种",
    "款",
    "处",
    "块",
    "张",
    "位",
    "支",
];

/// Words after a figure that make it a lower bound.
const AT_LEAST_AFTER: &[&str] = &["及以上", "以上", "多"];
/// Words before a figure that make it a lower bound.
const AT_LEAST_BEFORE: &[&str] = &[
    "不少于",
    "不低于",
    "不小于",
    "至少",
    "力争",
    "超过",
    "达到",
    "突破",
    "确保",
    "达",
];
const AT_MOST_AFTER: &[&str] = &["以内", "以下"];
const AT_MOST_BEFORE: &[&str] = &["不超过", "不高于", "控制在", "低于", "少于"];
const ABOUT_AFTER: &[&str] = &["左右"];

/// Keywords of the clause that name a metric, first match wins.
const METRICS: &[(&[&str], &str)] = &[
    (&["到位资金"], "investment_funds"),
    (&["生态补偿"], "ecological_compensation"),
    (&["科研协作", "科研项目", "科技项目"], "research_projects"),
    (&["销售", "消费帮扶", "农特产品"], "produce_sales"),
    (&["就业岗位", "岗位"], "jobs"),
    (&["就业培训", "技能培训"], "trainees"),
    (&["教师", "教学"], "teachers_exchanged"),
    (&["医务人员", "医生", "医护"], "medical_staff_exchanged"),
    (&["专技人才"], "professionals_exchanged"),
    (&["干部"], "officials_exchanged"),
    (&["结对学校", "学校结对"], "school_pairs"),
    (&["结对医院", "医院结对"], "hospital_pairs"),
    (&["合作关系", "企业合作", "结对合作"], "enterprise_partnerships"),
    (&["引进", "落地", "招商"], "projects_introduced"),
];

fn is_digit(c: char) -> bool {
    c.is_ascii_digit()
}

/// The byte range of the clause around `start..end`: from the previous
/// clause separator to the next one.
fn clause(text: &str, start: usize, end: usize) -> (usize, usize) {
    let separators = ['，', '。', '；', ';', ',', '：', '\n'];
    let begin = text[..start]
        .rfind(separators)
        .map(|i| i + text[i..].chars().next().map_or(1, char::len_utf8))
        .unwrap_or(0);
    let finish = text[end..].find(separators).map(|i| end + i).unwrap_or(text.len());
    (begin, finish)
}

/// Guesses the metric from the words around a figure in its clause: first
/// those since the last 、 before it (协议资金600亿元、到位资金230亿元 are
/// two things), then the whole clause up to it (销售农特产品、文旅产品的金额
/// 2000万元), then the words after it up to the next 、 (2家优质企业建立合作关系).
fn guess_metric(clause: &str, figure_at: usize, unit: &str) -> Option<&'static str> {
    if unit == "%" || unit == "％" {
        return None;
    }
    let find = |text: &str| {
        METRICS
            .iter()
            .find(|(words, _)| words.iter().any(|w| text.contains(w)))
            .map(|(_, code)| *code)
    };
    let before = &clause[..figure_at];
    let after = &clause[figure_at..];
    let after = &after[..after.find('、').unwrap_or(after.len())];
    let tail = before.rsplit('、').next().unwrap_or(before);
    find(tail).or_else(|| find(before)).or_else(|| find(after))
}

/// Every target in a task's text, in order.
pub fn extract(text: &str) -> Vec<Extracted> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (start, c) = chars[i];
        if !is_digit(c) || (i > 0 && (is_digit(chars[i - 1].1) || chars[i - 1].1 == '.')) {
            i += 1;
            continue;
        }
        // The figure: digits with an optional decimal part.
        let mut j = i;
        while j < chars.len()
            && (is_digit(chars[j].1) || (chars[j].1 == '.' && j + 1 < chars.len() && is_digit(chars[j + 1].1)))
        {
            j += 1;
        }
        let figure_end = chars.get(j).map_or(text.len(), |(b, _)| *b);
        let figure = &text[start..figure_end];
        // A range: 3—5, 3-5, 3～5, 3至5.
        let mut value_max = None;
        let mut k = j;
        if let Some((_, dash)) = chars.get(k)
            && matches!(dash, '—' | '-' | '～' | '~' | '至' | '–')
            && chars.get(k + 1).is_some_and(|(_, c)| is_digit(*c))
        {
            let mut m = k + 1;
            while m < chars.len()
                && (is_digit(chars[m].1) || (chars[m].1 == '.' && m + 1 < chars.len() && is_digit(chars[m + 1].1)))
            {
                m += 1;
            }
            let from = chars[k + 1].0;
            let to = chars.get(m).map_or(text.len(), |(b, _)| *b);
            value_max = Some(&text[from..to]);
            k = m;
        }
        let after_figure = chars.get(k).map_or(text.len(), |(b, _)| *b);
        let rest = &text[after_figure..];
        let Some(unit) = UNITS.iter().find(|u| rest.starts_with(**u)) else {
            i = k.max(i + 1);
            continue;
        };
        let after_unit = &rest[unit.len()..];
        // 50亿级, 百亿级: a size class, not a target; 2021年: a year.
        if after_unit.starts_with('级') || rest.starts_with('年') {
            i = k.max(i + 1);
            continue;
        }
        let unit_end = after_figure + unit.len();
        let before = &text[..start];
        let (clause_start, clause_end) = clause(text, start, unit_end);
        let source = &text[clause_start..clause_end];
        let comparator = if value_max.is_some() {
            Comparator::Range
        } else if ABOUT_AFTER.iter().any(|w| after_unit.starts_with(w)) {
            Comparator::About
        } else if AT_LEAST_AFTER.iter().any(|w| after_unit.starts_with(w)) {
            Comparator::AtLeast
        } else if AT_MOST_AFTER.iter().any(|w| after_unit.starts_with(w)) {
            Comparator::AtMost
        } else {
            // The longest word right before the figure decides: 不少于 is a
            // lower bound even though it ends with 少于.
            let at_least = AT_LEAST_BEFORE
                .iter()
                .filter(|w| before.ends_with(**w))
                .map(|w| w.len())
                .max();
            let at_most = AT_MOST_BEFORE
                .iter()
                .filter(|w| before.ends_with(**w))
                .map(|w| w.len())
                .max();
            match (at_least, at_most) {
                (Some(l), Some(m)) if m > l => Comparator::AtMost,
                (Some(_), _) => Comparator::AtLeast,
                (None, Some(_)) => Comparator::AtMost,
                (None, None) if ["力争", "确保", "至少"].iter().any(|w| source.starts_with(w)) => {
                    Comparator::AtLeast
                }
                (None, None) => Comparator::Exactly,
            }
        };
        let (Ok(value), max) = (Amount::parse(figure), value_max.map(Amount::parse)) else {
            i = k.max(i + 1);
            continue;
        };
        let value_max = match max {
            Some(Ok(m)) if m > value => Some(m),
            Some(_) => {
                i = k.max(i + 1);
                continue;
            }
            None => None,
        };
        let unit = if *unit == "％" { "%" } else { unit };
        found.push(Extracted {
            comparator,
            value,
            value_max,
            unit: unit.to_owned(),
            metric: guess_metric(source, start - clause_start, unit),
            source_text: source.trim().to_owned(),
        });
        i = k.max(i + 1);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(text: &str) -> Vec<String> {
        extract(text)
            .iter()
            .map(|t| {
                let value = match &t.value_max {
                    Some(max) => format!("{}-{}", t.value, max),
                    None => t.value.to_string(),
                };
                format!("{} {}{} {}", t.comparator, value, t.unit, t.metric.unwrap_or("-"))
            })
            .collect()
    }

    #[test]
    fn the_fixtures_targets() {
        assert_eq!(
            summary("确保协作引进1个以上项目落地巫溪县，力争实际到位资金5000万元以上。"),
            ["at_least 1个 projects_introduced", "at_least 5000万元 investment_funds"]
        );
        assert_eq!(
            summary("渝中区为巫溪县开展就业培训不少于300人次，通过开展各项就业创业服务活动，落实就业岗位不低于200个。"),
            ["at_least 300人次 trainees", "at_least 200个 jobs"]
        );
        assert_eq!(
            summary(
                "以专技人才为重点，加强人才交流培育，完成两区县挂职交流专技人才3—5名，渝中区帮助巫溪县培训干部人才50名以上。"
            ),
            [
                "range 3-5名 professionals_exchanged",
                "at_least 50名 officials_exchanged"
            ]
        );
        assert_eq!(summary("规上工业增加值增长9%左右。"), ["about 9% -"]);
        assert_eq!(summary("地区生产总值增长6%以上。"), ["at_least 6% -"]);
        assert_eq!(summary("固定资产投资增长5%。"), ["exactly 5% -"]);
        assert_eq!(summary("调查失业率控制在5.5%以内"), ["at_most 5.5% -"]);
        assert_eq!(
            summary("力争开展科研协作项目1个及以上。"),
            ["at_least 1个 research_projects"]
        );
        assert_eq!(
            summary("渝中区帮助巫溪县销售农特产品、文旅产品的金额2000万元以上。"),
            ["at_least 2000万元 produce_sales"]
        );
        assert_eq!(
            summary("至少推动渝中区2家重点骨干企业与巫溪县2家优质企业建立合作关系。"),
            [
                "at_least 2家 enterprise_partnerships",
                "at_least 2家 enterprise_partnerships"
            ]
        );
        assert_eq!(
            summary("力争实现协议资金600亿元、到位资金230亿元，其中50亿级项目3个以上。"),
            [
                "at_least 600亿元 -",
                "at_least 230亿元 investment_funds",
                "at_least 3个 -"
            ]
        );
        assert_eq!(summary("新培育“四上”企业100户"), ["exactly 100户 -"]);
    }

    #[test]
    fn years_periods_and_names_are_not_targets() {
        assert!(extract("科学编制“十五五”发展规划").is_empty());
        assert!(extract("办好2021中国武陵文旅峰会").is_empty());
        assert!(extract("2025年重点任务").is_empty());
        assert!(extract("推动816景区扩容").is_empty());
        assert_eq!(summary("其中50亿级项目3个以上"), ["at_least 3个 -"]);
    }
}
