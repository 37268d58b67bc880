//! Quantitative targets (指标) extracted from a task's text: a figure or a
//! range with its unit of measure, the comparator the words around it give
//! (以上, 不少于, 力争 → at least; 以内, 不超过 → at most; 左右, 多, 余 →
//! about; 3—5 → range; a bare figure → exactly), the metric of the
//! catalogue whose words name it and whose unit it converts to, and the
//! phrase it came from. One measured quantity is one target: 2家渝中企业与
//! 2家巫溪企业建立合作关系 is 2 对, not 2 家 twice. Words that set a goal
//! without a figure (完成市上下达任务, 与经济增长同步) are qualitative targets.
//! Years, periods and names with numbers are not targets.

use crate::domain::metric::MetricWords;
use crate::domain::units::{self, Dimension};
use crate::domain::values::{Amount, Comparator};

/// A target found in a text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extracted {
    pub comparator: Comparator,
    /// None for a qualitative target.
    pub value: Option<Amount>,
    pub value_max: Option<Amount>,
    pub unit: String,
    /// What a growth target is measured against (比2024年).
    pub baseline: Option<String>,
    /// A metric code of the catalogue, when the words say which.
    pub metric: Option<String>,
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
const AT_LEAST_AFTER: &[&str] = &["及以上", "以上"];
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

/// Words that set a goal without a figure: a qualitative target.
const QUALITATIVE: &[&str] = &[
    "完成市上下达任务",
    "完成市下达任务",
    "完成上级下达任务",
    "与经济增长保持同步",
    "与经济增长基本同步",
    "与经济增长同步",
];

/// Words after a figure, before its unit, that make it approximate (100多家, 10余个).
const ABOUT_BETWEEN: &[char] = &['多', '余'];

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
/// Only metrics whose unit the figure's converts to are candidates (培训 50名
/// is not 就业培训 in 人次); among them the longest word found wins (培训医务
/// 人员 over 医务人员). When none is named, a metric of a measured quantity
/// named right before a measured figure (since the last 、) is its metric
/// whatever its unit: 到位资金5000人 counts towards 实际到位资金 and is
/// refused for its unit (a problem of the row), rather than counted nowhere
/// in silence. Counts (引进企业100多家 is not 引进项目's 个) and percentages
/// (增长6%) are never taken for another metric.
fn guess_metric(clause: &str, figure_at: usize, unit: &str, catalogue: &[MetricWords]) -> Option<String> {
    let converts = |metric: &MetricWords| matches!((units::find(unit), units::find(&metric.unit)), (Some(a), Some(b)) if a.converts_to(b));
    let measured = |name: &str| {
        units::find(name).is_some_and(|u| !matches!(u.dimension, Dimension::Count(_) | Dimension::Percent))
    };
    let find = |text: &str, convertible_only: bool| {
        catalogue
            .iter()
            .filter(|m| {
                if convertible_only {
                    converts(m)
                } else {
                    measured(unit) && measured(&m.unit)
                }
            })
            .filter_map(|m| {
                m.synonyms
                    .iter()
                    .filter(|w| !w.is_empty() && text.contains(w.as_str()))
                    .map(|w| w.chars().count())
                    .max()
                    .map(|len| (len, m))
            })
            .max_by_key(|(len, _)| *len)
            .map(|(_, m)| m.code.clone())
    };
    let before = &clause[..figure_at];
    let after = &clause[figure_at..];
    let after = &after[..after.find('、').unwrap_or(after.len())];
    let tail = before.rsplit('、').next().unwrap_or(before);
    find(tail, true)
        .or_else(|| find(before, true))
        .or_else(|| find(after, true))
        .or_else(|| find(tail, false))
}

/// The metric counted in pairs (对) that a clause's words name, if any.
fn pairs_metric(clause: &str, catalogue: &[MetricWords]) -> Option<String> {
    catalogue
        .iter()
        .filter(|m| m.unit == "对")
        .find(|m| m.synonyms.iter().any(|w| !w.is_empty() && clause.contains(w.as_str())))
        .map(|m| m.code.clone())
}

/// 2家渝中企业与2家巫溪企业建立合作关系: two counts of 家 on either side of
/// 与 (或 和) in one clause, whose words name a metric counted in pairs, are
/// one target of that many pairs (the smaller count, when they differ).
fn merge_pairs(found: Vec<Extracted>, catalogue: &[MetricWords]) -> Vec<Extracted> {
    let mut out: Vec<Extracted> = Vec::with_capacity(found.len());
    for target in found {
        if let Some(previous) = out.last_mut()
            && previous.unit == "家"
            && target.unit == "家"
            && previous.source_text == target.source_text
            && previous.value_max.is_none()
            && target.value_max.is_none()
            && let Some(metric) = pairs_metric(&target.source_text, catalogue)
        {
            let clause = &target.source_text;
            if clause.contains('与') || clause.contains('和') {
                previous.value = previous.value.min(target.value);
                previous.unit = "对".to_owned();
                previous.metric = Some(metric);
                continue;
            }
        }
        out.push(target);
    }
    out
}

/// The qualitative goals of a text: each phrase of [`QUALITATIVE`], once.
fn qualitative(text: &str) -> Vec<Extracted> {
    let mut out = Vec::new();
    let mut covered = 0;
    for (at, phrase) in QUALITATIVE
        .iter()
        .filter_map(|p| text.find(p).map(|at| (at, *p)))
        .collect::<std::collections::BTreeMap<_, _>>()
    {
        if at < covered {
            continue;
        }
        let (start, end) = clause(text, at, at + phrase.len());
        covered = end;
        out.push(Extracted {
            comparator: Comparator::Qualitative,
            value: None,
            value_max: None,
            unit: String::new(),
            baseline: None,
            metric: None,
            source_text: text[start..end].trim().to_owned(),
        });
    }
    out
}

/// What a growth figure is measured against, when the clause says: 比2024年,
/// 较上年, 同比.
fn baseline(clause_before_figure: &str) -> Option<String> {
    if !clause_before_figure.contains("增长") && !clause_before_figure.contains("提高") {
        return None;
    }
    for word in ["比", "较"] {
        if let Some(at) = clause_before_figure.rfind(word) {
            let rest = &clause_before_figure[at + word.len()..];
            let base: String = rest.chars().take_while(|c| *c != '增' && *c != '提').collect();
            let base = base.trim();
            if !base.is_empty() && base.chars().count() <= 20 {
                return Some(base.to_owned());
            }
        }
    }
    clause_before_figure.contains("同比").then(|| "上年同期".to_owned())
}

/// Every target in a task's text, in order, with the metrics of `catalogue`.
pub fn extract(text: &str, catalogue: &[MetricWords]) -> Vec<Extracted> {
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
        let mut after_figure = chars.get(k).map_or(text.len(), |(b, _)| *b);
        // 100多家, 10余个: approximately.
        let approximate = value_max.is_none()
            && chars.get(k).is_some_and(|(_, c)| ABOUT_BETWEEN.contains(c))
            && chars
                .get(k + 1)
                .is_some_and(|(b, _)| UNITS.iter().any(|u| text[*b..].starts_with(u)));
        if approximate {
            after_figure = chars[k + 1].0;
        }
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
        } else if approximate || ABOUT_AFTER.iter().any(|w| after_unit.starts_with(w)) {
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
            value: Some(value),
            value_max,
            unit: unit.to_owned(),
            baseline: baseline(&text[clause_start..start]),
            metric: guess_metric(source, start - clause_start, unit, catalogue),
            source_text: source.trim().to_owned(),
        });
        i = k.max(i + 1);
    }
    let mut found = merge_pairs(found, catalogue);
    found.extend(qualitative(text));
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first catalogue, as the migrations seed it.
    fn catalogue() -> Vec<MetricWords> {
        [
            ("investment_funds", "万元", &["到位资金"][..]),
            ("ecological_compensation", "万元", &["生态补偿"]),
            ("research_projects", "个", &["科研协作", "科研项目", "科技项目"]),
            ("produce_sales", "万元", &["销售", "消费帮扶", "农特产品"]),
            ("jobs", "个", &["就业岗位", "岗位"]),
            ("trainees", "人次", &["就业培训", "技能培训"]),
            ("teachers_exchanged", "名", &["教师", "教学"]),
            ("medical_staff_exchanged", "名", &["医务人员", "医生", "医护"]),
            ("professionals_exchanged", "名", &["专技人才"]),
            ("officials_exchanged", "名", &["干部"]),
            ("school_pairs", "对", &["结对学校", "学校结对"]),
            ("hospital_pairs", "对", &["结对医院", "医院结对"]),
            ("enterprise_partnerships", "对", &["合作关系", "企业合作", "结对合作"]),
            ("projects_introduced", "个", &["引进", "落地", "招商"]),
            (
                "staff_trained",
                "名",
                &["培训干部", "培训医务人员", "培训教师", "人才培训", "干部培训", "培训"],
            ),
        ]
        .into_iter()
        .map(|(code, unit, words)| MetricWords {
            code: code.into(),
            unit: unit.into(),
            synonyms: words.iter().map(|w| (*w).to_owned()).collect(),
        })
        .collect()
    }

    fn summary(text: &str) -> Vec<String> {
        extract(text, &catalogue())
            .iter()
            .map(|t| {
                let value = match (&t.value, &t.value_max) {
                    (Some(value), Some(max)) => format!("{value}-{max}"),
                    (Some(value), None) => value.to_string(),
                    (None, _) => String::new(),
                };
                format!(
                    "{} {}{} {}",
                    t.comparator,
                    value,
                    t.unit,
                    t.metric.as_deref().unwrap_or("-")
                )
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
            ["range 3-5名 professionals_exchanged", "at_least 50名 staff_trained"]
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
            summary("力争实现协议资金600亿元、到位资金230亿元，其中50亿级项目3个以上。"),
            [
                "at_least 600亿元 -",
                "at_least 230亿元 investment_funds",
                "at_least 3个 -"
            ]
        );
        assert_eq!(summary("新培育“四上”企业100户"), ["exactly 100户 -"]);
    }

    /// Two counts of 家 joined by 与 are the pairs they make: one target of
    /// 2 对, never 4 enterprise partnerships.
    #[test]
    fn two_sides_of_a_partnership_are_one_count_of_pairs() {
        assert_eq!(
            summary("至少推动渝中区2家重点骨干企业与巫溪县2家优质企业建立合作关系。"),
            ["at_least 2对 enterprise_partnerships"]
        );
        // A count of 家 alone is no count of pairs.
        assert_eq!(summary("引导3家企业建立合作关系。"), ["exactly 3家 -"]);
    }

    /// Exchanging staff and training them are different metrics.
    #[test]
    fn a_metric_named_right_before_a_figure_of_another_dimension_is_still_its_metric() {
        // 到位资金 names money; 5000人 is persons: the target counts towards
        // investment_funds and task validation refuses its unit.
        let found = extract("力争实际到位资金5000人", &catalogue());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].metric.as_deref(), Some("investment_funds"));
        assert_eq!(found[0].unit, "人");
        // Not when the words are elsewhere in the clause and another figure
        // is theirs: 引进项目5个 stays a count of projects.
        assert_eq!(
            summary("确保协作引进1个以上项目落地，力争实际到位资金5000万元以上"),
            ["at_least 1个 projects_introduced", "at_least 5000万元 investment_funds"]
        );
    }

    #[test]
    fn training_is_not_exchange() {
        assert_eq!(
            summary("互派交流医务人员10名以上，帮助巫溪县培训医务人员20名以上。"),
            ["at_least 10名 medical_staff_exchanged", "at_least 20名 staff_trained"]
        );
        // Persons are not person-times: 培训 in 名 is not 就业培训 in 人次.
        assert_eq!(summary("开展技能培训500人次。"), ["exactly 500人次 trainees"]);
    }

    #[test]
    fn many_and_more_than_are_about() {
        // 家 does not convert to 引进项目's 个: no metric.
        assert_eq!(summary("引进企业100多家"), ["about 100家 -"]);
        assert_eq!(summary("引进项目10余个"), ["about 10个 projects_introduced"]);
        assert_eq!(summary("开展活动10余场"), ["about 10场 -"]);
    }

    #[test]
    fn goals_without_a_figure_are_qualitative() {
        assert_eq!(summary("城乡居民收入增长与经济增长保持同步。"), ["qualitative  -"]);
        assert_eq!(
            summary("节能减排降碳等约束性指标完成市上下达任务。"),
            ["qualitative  -"]
        );
        let found = extract("节能减排降碳等约束性指标完成市上下达任务。", &catalogue());
        assert_eq!(found[0].source_text, "节能减排降碳等约束性指标完成市上下达任务");
        assert_eq!(found[0].value, None);
    }

    #[test]
    fn a_growth_target_keeps_its_baseline() {
        let found = extract("税收比2024年增长5%。", &catalogue());
        assert_eq!(found[0].baseline.as_deref(), Some("2024年"));
        let found = extract("税收增长5%。", &catalogue());
        assert_eq!(found[0].baseline, None);
    }

    #[test]
    fn years_periods_and_names_are_not_targets() {
        let none = |text: &str| extract(text, &catalogue()).is_empty();
        assert!(none("科学编制“十五五”发展规划"));
        assert!(none("办好2021中国武陵文旅峰会"));
        assert!(none("2025年重点任务"));
        assert!(none("推动816景区扩容"));
        assert_eq!(summary("其中50亿级项目3个以上"), ["at_least 3个 -"]);
    }
}
