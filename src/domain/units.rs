//! Units of measure (计量单位): a fixed catalogue, because what a unit is
//! is not a matter of opinion. Each unit has a dimension and a factor to
//! its dimension's base; a figure converts only within its dimension, so
//! 亿元 become 万元, but persons never become person-times and 家 never
//! becomes 对.
//!
//! Converted values keep [`NORMALIZED_SCALE`] decimal places: every
//! conversion between the catalogue's units of a figure written with at most
//! four decimals is exact at that scale (12345.6789元 is 1.23456789万元),
//! except into 平方米 from 亩 (one 亩 is 2000/3 平方米), which rounds half
//! away from zero at the eighth decimal.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

use super::values::{AMOUNT_SCALE, Amount};
use crate::domain::Text;

/// The decimal places of a value converted to its metric's unit.
pub const NORMALIZED_SCALE: u32 = 8;

/// What a unit measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dimension {
    /// 元, 万元, 亿元
    Money,
    /// 人, 名, 万人: people counted once
    Persons,
    /// 人次, 万人次: attendances, never mixed with persons
    PersonTimes,
    /// 亩, 万亩, 平方米, 万平方米, 平方公里
    Area,
    /// 米, 公里
    Length,
    /// 吨, 万吨
    Weight,
    /// 千瓦, 万千瓦
    Power,
    /// %: shares and growth rates, never added up
    Percent,
    /// A count word (个, 家, 对 …) with its 万 form: converts only to itself.
    Count(&'static str),
}

impl From<Dimension> for Text {
    fn from(dimension: Dimension) -> Text {
        match dimension {
            Dimension::Money => Text::new("money"),
            Dimension::Persons => Text::new("persons"),
            Dimension::PersonTimes => Text::new("person-times"),
            Dimension::Area => Text::new("area"),
            Dimension::Length => Text::new("length"),
            Dimension::Weight => Text::new("weight"),
            Dimension::Power => Text::new("power"),
            Dimension::Percent => Text::new("percent"),
            Dimension::Count(word) => Text::new("a count in %{word}").arg("word", word),
        }
    }
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Text::from(*self).fmt(f)
    }
}

/// A unit of the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnitOfMeasure {
    pub name: &'static str,
    pub dimension: Dimension,
    /// How many base units one of it is, as a fraction.
    numerator: u64,
    denominator: u64,
}

const fn unit(name: &'static str, dimension: Dimension, numerator: u64, denominator: u64) -> UnitOfMeasure {
    UnitOfMeasure {
        name,
        dimension,
        numerator,
        denominator,
    }
}

const WAN: u64 = 10_000;

/// The count words, each with its 万 form.
const COUNT_WORDS: &[(&str, &str)] = &[
    ("个", "万个"),
    ("家", "万家"),
    ("项", "万项"),
    ("所", "万所"),
    ("次", "万次"),
    ("场", "万场"),
    ("对", "万对"),
    ("批", "万批"),
    ("户", "万户"),
    ("条", "万条"),
    ("座", "万座"),
    ("套", "万套"),
    ("件", "万件"),
    ("台", "万台"),
    ("辆", "万辆"),
    ("期", "万期"),
    ("届", "万届"),
    ("篇", "万篇"),
    ("种", "万种"),
    ("款", "万款"),
    ("处", "万处"),
    ("块", "万块"),
    ("张", "万张"),
    ("位", "万位"),
    ("支", "万支"),
];

/// Every unit but the count words, which [`all`] adds.
const CATALOGUE: &[UnitOfMeasure] = &[
    unit("元", Dimension::Money, 1, 1),
    unit("万元", Dimension::Money, WAN, 1),
    unit("亿元", Dimension::Money, WAN * WAN, 1),
    unit("人", Dimension::Persons, 1, 1),
    unit("名", Dimension::Persons, 1, 1),
    unit("万人", Dimension::Persons, WAN, 1),
    unit("人次", Dimension::PersonTimes, 1, 1),
    unit("万人次", Dimension::PersonTimes, WAN, 1),
    // The base of area is the 亩 (1 亩 = 2000/3 平方米).
    unit("亩", Dimension::Area, 1, 1),
    unit("万亩", Dimension::Area, WAN, 1),
    unit("平方米", Dimension::Area, 3, 2000),
    unit("万平方米", Dimension::Area, 15, 1),
    unit("平方公里", Dimension::Area, 1500, 1),
    unit("米", Dimension::Length, 1, 1),
    unit("公里", Dimension::Length, 1000, 1),
    unit("吨", Dimension::Weight, 1, 1),
    unit("万吨", Dimension::Weight, WAN, 1),
    unit("千瓦", Dimension::Power, 1, 1),
    unit("万千瓦", Dimension::Power, WAN, 1),
    unit("%", Dimension::Percent, 1, 1),
];

/// Every unit of the catalogue, in a fixed order.
pub fn all() -> impl Iterator<Item = UnitOfMeasure> {
    CATALOGUE
        .iter()
        .copied()
        .chain(COUNT_WORDS.iter().flat_map(|(word, wan)| {
            [
                unit(word, Dimension::Count(word), 1, 1),
                unit(wan, Dimension::Count(word), WAN, 1),
            ]
        }))
}

/// The unit a name stands for (`％` is `%`), if the catalogue has it.
pub fn find(name: &str) -> Option<UnitOfMeasure> {
    let name = match name.trim() {
        "％" => "%",
        other => other,
    };
    all().find(|u| u.name == name)
}

/// The names of every unit, for documents and error messages.
pub fn names() -> Vec<&'static str> {
    all().map(|u| u.name).collect()
}

super::values::documented_string!(
    /// A unit's name: one of the catalogue's.
    UnitName: "A unit of the catalogue of units.", one of names()
);

/// Why a figure cannot be converted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConversionError {
    Unknown(String),
    OtherDimension {
        from: &'static str,
        from_dimension: Dimension,
        to: &'static str,
        to_dimension: Dimension,
    },
    TooLarge,
}

impl From<&ConversionError> for Text {
    fn from(error: &ConversionError) -> Text {
        match error {
            ConversionError::Unknown(name) => Text::new(
                "`%{unit}` is not a unit of measure the catalogue knows (元, 万元, 亿元, 人, 名, 人次, 亩, 个, 家, 对 …)",
            )
            .arg("unit", name),
            ConversionError::OtherDimension {
                from,
                from_dimension,
                to,
                to_dimension,
            } => Text::new("%{from} is %{from_dimension} and %{to} is %{to_dimension}: they do not convert")
                .arg("from", from)
                .part("from_dimension", *from_dimension)
                .arg("to", to)
                .part("to_dimension", *to_dimension),
            ConversionError::TooLarge => Text::new("the converted value is too large"),
        }
    }
}

impl fmt::Display for ConversionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Text::from(self).fmt(f)
    }
}

impl std::error::Error for ConversionError {}

impl UnitOfMeasure {
    /// Whether a figure in this unit converts to `other`.
    pub fn converts_to(self, other: UnitOfMeasure) -> bool {
        self.dimension == other.dimension
    }

    /// `value` in this unit, expressed in `to`.
    pub fn convert(self, value: Amount, to: UnitOfMeasure) -> Result<Normalized, ConversionError> {
        if !self.converts_to(to) {
            return Err(ConversionError::OtherDimension {
                from: self.name,
                from_dimension: self.dimension,
                to: to.name,
                to_dimension: to.dimension,
            });
        }
        let scaled = value.to_scaled().map_err(|_| ConversionError::TooLarge)?;
        let numerator = i128::from(scaled)
            * 10_i128.pow(NORMALIZED_SCALE - AMOUNT_SCALE)
            * i128::from(self.numerator)
            * i128::from(to.denominator);
        let denominator = i128::from(self.denominator) * i128::from(to.numerator);
        let quotient = numerator / denominator;
        let remainder = numerator % denominator;
        // Half away from zero.
        let rounded = if remainder.abs() * 2 >= denominator {
            quotient + numerator.signum()
        } else {
            quotient
        };
        i64::try_from(rounded)
            .map(Normalized::from_scaled)
            .map_err(|_| ConversionError::TooLarge)
    }
}

/// Converts `value` written in `from` to `to`, both by name.
pub fn convert(value: Amount, from: &str, to: &str) -> Result<Normalized, ConversionError> {
    let known = |name: &str| find(name).ok_or_else(|| ConversionError::Unknown(name.trim().to_owned()));
    known(from)?.convert(value, known(to)?)
}

/// A value in its metric's unit, exact to [`NORMALIZED_SCALE`] decimals.
/// Travels as a string, like [`Amount`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Normalized(Decimal);

impl Normalized {
    /// An amount as it is (its unit is the target's).
    pub fn from_amount(amount: Amount) -> Normalized {
        Normalized(amount.decimal())
    }

    /// The value a stored integer (`value × 10⁸`) stands for.
    pub fn from_scaled(scaled: i64) -> Normalized {
        Normalized(Decimal::new(scaled, NORMALIZED_SCALE).normalize())
    }

    /// The same, for SQL sums wider than 64 bits.
    pub fn from_scaled_wide(scaled: i128) -> Option<Normalized> {
        Decimal::try_from_i128_with_scale(scaled, NORMALIZED_SCALE)
            .ok()
            .map(|d| Normalized(d.normalize()))
    }

    /// The integer the database stores.
    pub fn to_scaled(self) -> i64 {
        let mut scaled = self.0;
        scaled.rescale(NORMALIZED_SCALE);
        // Made only by `convert` and `from_scaled`, within i64.
        i64::try_from(scaled.mantissa()).unwrap_or(i64::MAX)
    }

    pub fn decimal(self) -> Decimal {
        self.0
    }
}

impl fmt::Display for Normalized {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.normalize())
    }
}

impl Serialize for Normalized {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl utoipa::PartialSchema for Normalized {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        super::values::string_schema(
            "An exact decimal in its metric's unit of measure, as a string with at most 8 decimal places (230亿元 in a metric of 万元 is \"2300000\"; 12345.67元 is \"1.234567\").",
            Some(r"^-?[0-9]+(\.[0-9]{1,8})?$"),
            None,
            Some("2300000"),
        )
    }
}

impl utoipa::ToSchema for Normalized {}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(text: &str) -> Amount {
        Amount::parse(text).expect("an amount")
    }

    fn converted(value: &str, from: &str, to: &str) -> String {
        convert(amount(value), from, to).expect("converts").to_string()
    }

    #[test]
    fn money_converts_exactly_between_yuan_wan_and_yi() {
        assert_eq!(converted("230", "亿元", "万元"), "2300000");
        assert_eq!(converted("5000", "万元", "万元"), "5000");
        assert_eq!(converted("12345.67", "元", "万元"), "1.234567");
        // 0.000123456789亿元, to eight decimals.
        assert_eq!(converted("12345.6789", "元", "亿元"), "0.00012346");
    }

    #[test]
    fn the_smallest_yuan_in_yi_rounds_at_the_eighth_decimal() {
        // 0.0001元 is 10⁻¹² 亿元: beyond the scale, it rounds to nothing.
        assert_eq!(converted("0.0001", "元", "亿元"), "0");
        assert_eq!(converted("1", "元", "万元"), "0.0001");
        assert_eq!(converted("0.0001", "元", "万元"), "0.00000001");
    }

    #[test]
    fn area_converts_through_the_mu() {
        assert_eq!(converted("8.46", "万亩", "亩"), "84600");
        assert_eq!(converted("2000", "平方米", "亩"), "3");
        assert_eq!(converted("1", "平方公里", "亩"), "1500");
        assert_eq!(converted("1", "亩", "平方米"), "666.66666667");
    }

    #[test]
    fn persons_person_times_and_count_words_stay_apart() {
        assert_eq!(converted("3", "万人次", "人次"), "30000");
        assert_eq!(converted("50", "名", "人"), "50");
        for (from, to) in [("人", "人次"), ("家", "对"), ("个", "家"), ("%", "个"), ("万元", "亩")] {
            assert!(
                matches!(
                    convert(amount("1"), from, to),
                    Err(ConversionError::OtherDimension { .. })
                ),
                "{from} → {to}"
            );
        }
        assert_eq!(converted("2", "万家", "家"), "20000");
        assert_eq!(converted("5", "％", "%"), "5");
    }

    #[test]
    fn an_unknown_unit_is_named() {
        let err = convert(amount("1"), "万千瓦时", "千瓦").expect_err("unknown");
        assert_eq!(err, ConversionError::Unknown("万千瓦时".into()));
        assert!(err.to_string().contains("`万千瓦时`"));
    }

    #[test]
    fn every_name_is_one_unit() {
        let names = names();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len());
        assert!(names.contains(&"万对"));
    }
}
