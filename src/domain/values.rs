//! Domain values: the enumerations of the model, exact amounts, report
//! periods and China's calendar day. Each is parsed once at the edge; code
//! past it never re-checks.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::Text;

/// Defines a string-valued enumeration with its wire names, parsing and
/// serde, so that the database, the APIs and the CLI spell it the same.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident ($desc:literal) { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire and database name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// The wire names, for error messages and documentation.
            pub fn names() -> Vec<&'static str> {
                Self::ALL.iter().map(|v| v.as_str()).collect()
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, UnknownValue> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownValue { value: s.to_owned(), expected: Self::names() }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> { s.serialize_str(self.as_str()) }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                string_schema($desc, None, Some(&[$($text),+]), None)
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

/// The schema of a string, for the OpenAPI document.
pub(crate) fn string_schema(
    description: &str,
    pattern: Option<&str>,
    values: Option<&[&str]>,
    example: Option<&str>,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    let mut builder = ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .description(Some(description))
        .pattern(pattern);
    if let Some(values) = values {
        builder = builder.enum_values(Some(values.iter().copied()));
    }
    if let Some(example) = example {
        builder = builder.examples([example]);
    }
    builder.into()
}

/// A type that names, in the API documents only, a string the service
/// checks (the field itself stays a `String`): its description, and the
/// pattern it matches or the values it is one of.
macro_rules! documented_string {
    ($(#[$meta:meta])* $name:ident: $description:expr, pattern $pattern:expr) => {
        $(#[$meta])*
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $crate::domain::values::string_schema($description, Some($pattern), None, None)
            }
        }

        impl utoipa::ToSchema for $name {}
    };
    ($(#[$meta:meta])* $name:ident: $description:expr, one of $values:expr) => {
        $(#[$meta])*
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                let values: Vec<String> = $values.iter().map(|v| v.to_string()).collect();
                let values: Vec<&str> = values.iter().map(String::as_str).collect();
                $crate::domain::values::string_schema($description, None, Some(&values), None)
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}
pub(crate) use documented_string;

documented_string!(
    /// Text that must not be blank (`Validator::text`).
    NonBlank: "Not blank.", pattern r"\S"
);

/// A string that names no value of an enumeration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownValue {
    pub value: String,
    pub expected: Vec<&'static str>,
}

impl UnknownValue {
    /// Why, in the reader's language.
    pub fn text(&self) -> Text {
        unknown_value(&self.value, &self.expected.join(", "))
    }
}

/// "Unknown value `x`, expected one of: a, b".
pub fn unknown_value(value: &str, allowed: &str) -> Text {
    Text::new("unknown value `%{value}`, expected one of: %{allowed}")
        .arg("value", value)
        .arg("allowed", allowed)
}

impl fmt::Display for UnknownValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.text().fmt(f)
    }
}

impl std::error::Error for UnknownValue {}

string_enum!(
    /// Kind of a region (行政区划类别).
    RegionKind ("Kind of a region (行政区划类别).") {
        Province = "province",
        City = "city",
        District = "district",
        County = "county",
        /// 开发区 / 新区: no 行政区划代码.
        DevelopmentZone = "development_zone",
    }
);

string_enum!(
    /// Chongqing's "one area, two clusters" (一区两群).
    Cluster ("Chongqing's \"one area, two clusters\" (一区两群): main_metro 主城都市区, northeast 渝东北三峡库区城镇群, southeast 渝东南武陵山区城镇群.") {
        /// 主城都市区
        MainMetro = "main_metro",
        /// 渝东北三峡库区城镇群
        Northeast = "northeast",
        /// 渝东南武陵山区城镇群
        Southeast = "southeast",
    }
);

string_enum!(
    /// Kind of a unit (单位类别).
    UnitKind ("Kind of a unit (单位类别): department 部门, street 街道, town 镇, township 乡, management_committee 管委会, state_company 国有企业, industrial_park 工业园区.") {
        /// 部门
        Department = "department",
        /// 街道
        Street = "street",
        /// 镇
        Town = "town",
        /// 乡
        Township = "township",
        /// 管委会
        ManagementCommittee = "management_committee",
        /// 国有企业
        StateCompany = "state_company",
        /// 工业园区
        IndustrialPark = "industrial_park",
        Other = "other",
    }
);

string_enum!(
    /// Status of a pairing.
    PairingStatus ("Status of a pairing (结对).") { Active = "active", Ended = "ended" }
);

/// A pairing is active unless said otherwise.
impl Default for PairingStatus {
    fn default() -> PairingStatus {
        PairingStatus::Active
    }
}

string_enum!(
    /// Status of a plan: 草稿, 已印发, 已关闭.
    PlanStatus ("Status of a plan (任务清单): draft 草稿, issued 已印发, closed 已关闭.") { Draft = "draft", Issued = "issued", Closed = "closed" }
);

string_enum!(
    /// Status of a task as its lead unit sets it. *Overdue* is derived.
    TaskStatus ("Status of a task as its lead unit sets it: not_started 未启动, in_progress 推进中, completed 已完成, cancelled 已取消. Overdue (逾期) is derived, see `overdue`.") {
        NotStarted = "not_started",
        InProgress = "in_progress",
        Completed = "completed",
        Cancelled = "cancelled",
    }
);

string_enum!(
    /// Role of a unit on a task: 牵头 (lead) or 配合 (supporting).
    AssignmentRole ("Role of a unit on a task: lead 牵头 (牵头责任单位) or supporting 配合 (配合单位).") { Lead = "lead", Supporting = "supporting" }
);

string_enum!(
    /// Side of a pairing a unit acts for: 帮扶方 (helper) or 受帮扶方 (recipient).
    Side ("Side of a pairing a unit acts for: helper 帮扶方 or recipient 受帮扶方.") { Helper = "helper", Recipient = "recipient" }
);

string_enum!(
    /// How a target compares: 以上/不少于 (at least), 以内/不超过 (at most),
    /// 左右/多/余 (about), exactly (a figure stated bare, 新培育100户: met
    /// once reached), a range (3—5名), or qualitative (完成市上下达任务: no
    /// value, met by declaration).
    Comparator ("How a target compares: at_least 以上/不少于, at_most 以内/不超过, about 左右/多/余, exactly (a figure stated bare, 新培育100户: met once reached, more is over-fulfilment), range (3—5名), qualitative (完成市上下达任务, 与经济增长同步: no value, met by declaration).") {
        AtLeast = "at_least",
        AtMost = "at_most",
        About = "about",
        Exactly = "exactly",
        Range = "range",
        Qualitative = "qualitative",
    }
);

string_enum!(
    /// Which plans statistics count.
    StatisticsScope ("Which plans statistics count: pairing (the default: pairings' task lists, 结对任务清单), all (also regions' own plans, such as a district's work-report breakdown).") {
        Pairing = "pairing",
        All = "all",
    }
);

string_enum!(
    /// What a plan is: a pairing's task list or a region's own breakdown.
    PlanKind ("What a plan is: pairing (a pairing's task list, 结对任务清单) or region (a region's own plan, such as its work-report breakdown, 目标任务分解方案).") {
        Pairing = "pairing",
        Region = "region",
    }
);

string_enum!(
    /// How a metric's figures combine across tasks.
    Aggregation ("How a metric's figures combine across tasks: sum (targets and actuals are added up), none (percentages and growth rates: never added up).") {
        Sum = "sum",
        None = "none",
    }
);

string_enum!(
    /// Status of a report in its review workflow.
    ReportStatus ("Status of a report in its review workflow: draft 草稿, submitted 已报送, returned 已退回, approved 已审核.") {
        Draft = "draft",
        Submitted = "submitted",
        Returned = "returned",
        Approved = "approved",
    }
);

string_enum!(
    /// Length of a report period: 月 (month), 季 (quarter), 半年 (half-year), 年 (year).
    PeriodKind ("Length of a report period: month 月 (月调度), quarter 季 (季通报), half_year 半年 (上半年工作总结), year 年 (年评估考核).") { Month = "month", Quarter = "quarter", HalfYear = "half_year", Year = "year" }
);

string_enum!(
    /// Where a report owed stands on a day (报送情况).
    ObligationStatus ("Where a report owed stands on a day: open (due later, not yet submitted), submitted (on or before its due day), submitted_late, late (past its due day and not submitted).") {
        Open = "open",
        Submitted = "submitted",
        SubmittedLate = "submitted_late",
        Late = "late",
    }
);

string_enum!(
    /// Where a project (援建项目) stands: its latest milestone.
    ProjectStatus ("Where a project (援建项目) stands, its latest milestone: issued 下达, started 开工, completed 完工, accepted 验收 (in that order; a later one may follow any earlier one), or cancelled 取消.") {
        Issued = "issued",
        Started = "started",
        Completed = "completed",
        Accepted = "accepted",
        Cancelled = "cancelled",
    }
);

string_enum!(
    /// Which way a project's money moved.
    FundKind ("Which way a project's money moved: allocation (拨付, into the project) or spending (支出, out of it).") {
        Allocation = "allocation",
        Spending = "spending",
    }
);

string_enum!(
    /// Where a project's money came from.
    FundSource ("Where a project's money came from: helper (the helping district), co_helper (a co-helping district), city (the city), society (enterprises and society).") {
        Helper = "helper",
        CoHelper = "co_helper",
        City = "city",
        Society = "society",
    }
);

string_enum!(
    /// What a notification tells.
    NotificationKind ("What a notification tells: report_due_soon (a report owed is due within the plan's reminder days), report_late (past its due day, not submitted), report_returned (退回, with the reason), report_approved (审核通过), urged (催办), extension_requested (延期申请, to the plan's coordinators), extension_decided (approved or refused, to the unit that asked).") {
        ReportDueSoon = "report_due_soon",
        ReportLate = "report_late",
        ReportReturned = "report_returned",
        ReportApproved = "report_approved",
        Urged = "urged",
        ExtensionRequested = "extension_requested",
        ExtensionDecided = "extension_decided",
    }
);

string_enum!(
    /// Where a request for more time stands.
    ExtensionStatus ("Where a request for more time (延期申请) stands: pending (awaiting the plan's coordinator), approved (the task's deadline moved), refused.") {
        Pending = "pending",
        Approved = "approved",
        Refused = "refused",
    }
);

string_enum!(
    /// Whether, and to whom, a plan's supporting units report.
    SupportingReports ("Whether supporting units (配合单位) owe reports: none (the default: the lead unit's consolidated report covers them), to_lead (each owes its own, reviewed by the lead unit), to_office (each owes its own, reviewed by the plan's coordinators).") {
        None = "none",
        ToLead = "to_lead",
        ToOffice = "to_office",
    }
);

string_enum!(
    /// How a group assigned to a task owes its report.
    GroupReports ("How a group assigned to a task (各镇街) owes: one_per_group (the default: one report, filed by any member), none (no consolidation: each member owes its own).") {
        OnePerGroup = "one_per_group",
        None = "none",
    }
);

string_enum!(
    /// A task's traffic light (督查亮灯), from best to worst.
    Light ("A task's traffic light (督查亮灯): green (on track), yellow (deadline near, or progress behind the time elapsed), red (overdue, or a report owed is late).") {
        Green = "green",
        Yellow = "yellow",
        Red = "red",
    }
);

string_enum!(
    /// Role of a principal.
    Role ("Role of a principal: admin 管理员, coordinator 协调办公室, unit_user 单位用户, viewer 督查室 (reads everything), integration 对接平台.") {
        Admin = "admin",
        Coordinator = "coordinator",
        UnitUser = "unit_user",
        Viewer = "viewer",
        Integration = "integration",
    }
);

/// The number of decimal places an [`Amount`] keeps; the database stores
/// `value × 10^AMOUNT_SCALE` as an integer.
pub const AMOUNT_SCALE: u32 = 4;

/// An exact decimal amount (5000万元 stays 5000). Travels as a string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(Decimal);

/// Why a text is not an [`Amount`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountError {
    NotANumber,
    TooPrecise,
    TooLarge,
}

impl From<AmountError> for Text {
    fn from(error: AmountError) -> Text {
        match error {
            AmountError::NotANumber => Text::new("not a decimal number"),
            AmountError::TooPrecise => Text::new("more than %{places} decimal places").arg("places", AMOUNT_SCALE),
            AmountError::TooLarge => Text::new("too large"),
        }
    }
}

impl fmt::Display for AmountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Text::from(*self).fmt(f)
    }
}

impl std::error::Error for AmountError {}

impl Amount {
    pub const ZERO: Amount = Amount(Decimal::ZERO);

    /// Accepts a decimal written plainly (`5000`, `8.46`, `-1.5`).
    pub fn parse(text: &str) -> Result<Amount, AmountError> {
        let trimmed = text.trim();
        if trimmed.is_empty()
            || !trimmed
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == '-' || c == '+')
        {
            return Err(AmountError::NotANumber);
        }
        let value = Decimal::from_str_exact(trimmed).map_err(|_| AmountError::NotANumber)?;
        Amount::from_decimal(value)
    }

    pub fn from_decimal(value: Decimal) -> Result<Amount, AmountError> {
        let value = value.normalize();
        if value.scale() > AMOUNT_SCALE {
            return Err(AmountError::TooPrecise);
        }
        let amount = Amount(value);
        amount.to_scaled()?;
        Ok(amount)
    }

    /// The integer the database stores.
    pub fn to_scaled(self) -> Result<i64, AmountError> {
        let mut scaled = self.0;
        scaled.rescale(AMOUNT_SCALE);
        i64::try_from(scaled.mantissa()).map_err(|_| AmountError::TooLarge)
    }

    /// The amount a stored integer (or an SQL `SUM` of them) stands for.
    pub fn from_scaled(scaled: i64) -> Amount {
        Amount(Decimal::new(scaled, AMOUNT_SCALE).normalize())
    }

    /// The same, for sums that SQL returns wider than 64 bits.
    pub fn from_scaled_wide(scaled: i128) -> Result<Amount, AmountError> {
        Decimal::try_from_i128_with_scale(scaled, AMOUNT_SCALE)
            .map(|d| Amount(d.normalize()))
            .map_err(|_| AmountError::TooLarge)
    }

    pub fn decimal(self) -> Decimal {
        self.0
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.normalize())
    }
}

impl utoipa::PartialSchema for Amount {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        string_schema(
            "An exact decimal amount as a string, at most 4 decimal places (5000万元 is \"5000\", 8.46万亩 is \"8.46\"). Never a JSON number, so nothing rounds.",
            // At most 14 digits before the point: the stored integer
            // (value × 10^4) fits in 64 bits.
            Some(r"^-?[0-9]{1,14}(\.[0-9]{1,4})?$"),
            None,
            Some("5000"),
        )
    }
}

impl utoipa::ToSchema for Amount {}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Amount::parse(&s).map_err(|e| serde::de::Error::custom(format!("`{s}`: {e}")))
    }
}

/// A reporting period: a month (`2025-03`), a quarter (`2025-Q1`), a
/// half-year (`2025-H1`) or a year (`2025`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReportPeriod {
    Month { year: i32, month: u32 },
    Quarter { year: i32, quarter: u32 },
    HalfYear { year: i32, half: u32 },
    Year { year: i32 },
}

/// Why a text is not a [`ReportPeriod`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodError(pub String);

impl PeriodError {
    /// Why, in the reader's language.
    pub fn text(&self) -> Text {
        Text::new(
            "`%{value}` is not a period: write a month `2025-03`, a quarter `2025-Q1`, a half-year `2025-H1` or a year `2025`",
        )
        .arg("value", &self.0)
    }
}

impl fmt::Display for PeriodError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.text().fmt(f)
    }
}

impl std::error::Error for PeriodError {}

impl ReportPeriod {
    pub fn parse(text: &str) -> Result<ReportPeriod, PeriodError> {
        let err = || PeriodError(text.to_owned());
        let year_of = |s: &str| -> Result<i32, PeriodError> {
            if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) {
                s.parse::<i32>()
                    .ok()
                    .filter(|y| (2000..=2100).contains(y))
                    .ok_or_else(err)
            } else {
                Err(err())
            }
        };
        match text.split_once('-') {
            None => Ok(ReportPeriod::Year { year: year_of(text)? }),
            Some((y, rest)) => {
                let year = year_of(y)?;
                if let Some(q) = rest.strip_prefix('Q') {
                    match q {
                        "1" | "2" | "3" | "4" => Ok(ReportPeriod::Quarter {
                            year,
                            quarter: q.parse().map_err(|_| err())?,
                        }),
                        _ => Err(err()),
                    }
                } else if let Some(h) = rest.strip_prefix('H') {
                    match h {
                        "1" => Ok(ReportPeriod::HalfYear { year, half: 1 }),
                        "2" => Ok(ReportPeriod::HalfYear { year, half: 2 }),
                        _ => Err(err()),
                    }
                } else if rest.len() == 2 && rest.bytes().all(|b| b.is_ascii_digit()) {
                    let month: u32 = rest.parse().map_err(|_| err())?;
                    if (1..=12).contains(&month) {
                        Ok(ReportPeriod::Month { year, month })
                    } else {
                        Err(err())
                    }
                } else {
                    Err(err())
                }
            }
        }
    }

    pub fn kind(self) -> PeriodKind {
        match self {
            ReportPeriod::Month { .. } => PeriodKind::Month,
            ReportPeriod::Quarter { .. } => PeriodKind::Quarter,
            ReportPeriod::HalfYear { .. } => PeriodKind::HalfYear,
            ReportPeriod::Year { .. } => PeriodKind::Year,
        }
    }

    pub fn year(self) -> i32 {
        match self {
            ReportPeriod::Month { year, .. }
            | ReportPeriod::Quarter { year, .. }
            | ReportPeriod::HalfYear { year, .. }
            | ReportPeriod::Year { year } => year,
        }
    }

    /// The last calendar day the period covers.
    pub fn end(self) -> NaiveDate {
        let last_month = match self {
            ReportPeriod::Month { month, .. } => month,
            ReportPeriod::Quarter { quarter, .. } => quarter * 3,
            ReportPeriod::HalfYear { half, .. } => half * 6,
            ReportPeriod::Year { .. } => 12,
        };
        last_day_of_month(self.year(), last_month)
    }

    /// As a document writes it: 2025年3月, 2025年第一季度, 2025年上半年, 2025年度.
    pub fn chinese(self) -> String {
        const QUARTERS: [&str; 4] = ["一", "二", "三", "四"];
        match self {
            ReportPeriod::Month { year, month } => format!("{year}年{month}月"),
            ReportPeriod::Quarter { year, quarter } => format!(
                "{year}年第{}季度",
                QUARTERS.get(quarter.saturating_sub(1) as usize).unwrap_or(&"?")
            ),
            ReportPeriod::HalfYear { year, half } => {
                format!("{year}年{}半年", if half == 1 { "上" } else { "下" })
            }
            ReportPeriod::Year { year } => format!("{year}年度"),
        }
    }

    /// The first calendar day the period covers.
    pub fn start(self) -> NaiveDate {
        let first_month = match self {
            ReportPeriod::Month { month, .. } => month,
            ReportPeriod::Quarter { quarter, .. } => quarter * 3 - 2,
            ReportPeriod::HalfYear { half, .. } => half * 6 - 5,
            ReportPeriod::Year { .. } => 1,
        };
        NaiveDate::from_ymd_opt(self.year(), first_month, 1).unwrap_or(NaiveDate::MIN)
    }
}

impl FromStr for ReportPeriod {
    type Err = PeriodError;
    fn from_str(s: &str) -> Result<ReportPeriod, PeriodError> {
        ReportPeriod::parse(s)
    }
}

impl fmt::Display for ReportPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReportPeriod::Month { year, month } => write!(f, "{year}-{month:02}"),
            ReportPeriod::Quarter { year, quarter } => write!(f, "{year}-Q{quarter}"),
            ReportPeriod::HalfYear { year, half } => write!(f, "{year}-H{half}"),
            ReportPeriod::Year { year } => write!(f, "{year}"),
        }
    }
}

impl utoipa::PartialSchema for ReportPeriod {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        string_schema(
            "A reporting period: a month `2025-03` (月调度), a quarter `2025-Q1` (季通报), a half-year `2025-H1` (上半年) or a year `2025` (年评估考核); years 2000 to 2100.",
            Some(r"^(20[0-9]{2}|2100)(-(0[1-9]|1[0-2])|-Q[1-4]|-H[12])?$"),
            None,
            Some("2025-Q1"),
        )
    }
}

impl utoipa::ToSchema for ReportPeriod {}

impl Serialize for ReportPeriod {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ReportPeriod {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ReportPeriod::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The last day of a month.
pub fn last_day_of_month(year: i32, month: u32) -> NaiveDate {
    let (next_year, next_month) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    NaiveDate::from_ymd_opt(next_year, next_month, 1)
        .and_then(|d| d.pred_opt())
        .unwrap_or(NaiveDate::MAX)
}

/// China Standard Time (UTC+8, no daylight saving): deadlines are calendar
/// days there.
pub fn china_offset() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"))
}

/// The calendar day in China at `now`.
pub fn china_day(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&china_offset()).date_naive()
}

/// The end of a year, the default deadline of a plan.
pub fn end_of_year(year: i32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX)
}

/// Whether a task is overdue on `today`: past its deadline and neither
/// completed nor cancelled.
pub fn is_overdue(status: TaskStatus, deadline: NaiveDate, today: NaiveDate) -> bool {
    today > deadline && !matches!(status, TaskStatus::Completed | TaskStatus::Cancelled)
}

/// The year of a date, for filters.
pub fn year_of(date: NaiveDate) -> i32 {
    date.year()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_round_trip_exactly() {
        for text in ["5000", "8.46", "0.1", "21150", "-3.25", "0.0001"] {
            let amount = Amount::parse(text).expect(text);
            assert_eq!(amount.to_string(), text);
            assert_eq!(Amount::from_scaled(amount.to_scaled().expect(text)), amount);
        }
        assert_eq!(Amount::parse("5000.00").map(|a| a.to_string()), Ok("5000".into()));
        assert_eq!(Amount::parse("0.00001"), Err(AmountError::TooPrecise));
        assert_eq!(Amount::parse("1e3"), Err(AmountError::NotANumber));
        assert_eq!(Amount::parse(""), Err(AmountError::NotANumber));
        assert_eq!(Amount::parse("99999999999999999"), Err(AmountError::TooLarge));
    }

    #[test]
    fn periods_parse_and_end() {
        let p = ReportPeriod::parse("2025-03").expect("month");
        assert_eq!(
            (p.kind(), p.end().to_string()),
            (PeriodKind::Month, "2025-03-31".into())
        );
        let q = ReportPeriod::parse("2025-Q1").expect("quarter");
        assert_eq!(
            (q.kind(), q.end().to_string()),
            (PeriodKind::Quarter, "2025-03-31".into())
        );
        let y = ReportPeriod::parse("2025").expect("year");
        assert_eq!((y.kind(), y.end().to_string()), (PeriodKind::Year, "2025-12-31".into()));
        assert_eq!(
            ReportPeriod::parse("2024-02").map(|p| p.end().to_string()),
            Ok("2024-02-29".into())
        );
        for bad in [
            "2025-13", "2025-Q5", "2025-3", "25", "2025-", "abcd", "2025-Q1x", "1999",
        ] {
            assert!(ReportPeriod::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn overdue_is_derived_in_china_time() {
        let deadline = NaiveDate::from_ymd_opt(2025, 11, 30).expect("date");
        // 2025-11-30 16:30 UTC is already 2025-12-01 in China.
        let now = DateTime::parse_from_rfc3339("2025-11-30T16:30:00Z")
            .expect("time")
            .to_utc();
        assert!(is_overdue(TaskStatus::InProgress, deadline, china_day(now)));
        assert!(!is_overdue(TaskStatus::Completed, deadline, china_day(now)));
        let earlier = DateTime::parse_from_rfc3339("2025-11-30T15:59:00Z")
            .expect("time")
            .to_utc();
        assert!(!is_overdue(TaskStatus::InProgress, deadline, china_day(earlier)));
    }
}
