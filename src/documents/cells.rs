//! What a unit cell of a task list says: the unit names in it, each with a
//! second name in parentheses, and the group phrases (各镇街, 区级相关部门单位).

use crate::domain::values::UnitKind;

/// One name written in a cell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CellName {
    /// A unit: its name, and the second name in parentheses when written
    /// (县经济信息委（县投资促进服务中心）).
    Unit { name: String, second: Option<String> },
    /// A group of the region's units.
    Group(GroupPhrase),
}

/// A phrase that names a group, and what it stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupPhrase {
    /// The name the group is kept under (区级相关部门单位).
    pub canonical: String,
    /// The words of the document, when they differ (区级各部门单位).
    pub written: String,
    /// Every unit of these kinds in the region belongs to it.
    pub kinds: Vec<UnitKind>,
}

const TOWNS: &[UnitKind] = &[UnitKind::Town, UnitKind::Street, UnitKind::Township];

/// Recognises a group phrase.
pub fn group_phrase(text: &str) -> Option<GroupPhrase> {
    let text = text.trim();
    let phrase = |canonical: &str, kinds: &[UnitKind]| {
        Some(GroupPhrase {
            canonical: canonical.to_owned(),
            written: text.to_owned(),
            kinds: kinds.to_vec(),
        })
    };
    match text {
        "各镇街" | "各镇（街道）" | "各镇街道" | "各乡镇（街道）" | "各乡镇街道" => {
            return phrase("各镇街", TOWNS);
        }
        "相关镇街" | "有关镇街" | "相关乡镇（街道）" | "有关乡镇（街道）" => {
            return phrase("相关镇街", TOWNS);
        }
        "有关乡镇人民政府" | "相关乡镇人民政府" | "各乡镇人民政府" | "有关乡镇" | "相关乡镇" | "各乡镇" =>
        {
            return phrase("有关乡镇人民政府", &[UnitKind::Town, UnitKind::Township]);
        }
        "各街道" | "各街道办事处" | "相关街道" | "有关街道" | "相关街道办事处" | "有关街道办事处" =>
        {
            return phrase("相关街道", &[UnitKind::Street]);
        }
        "各工业园区" | "各园区" => return phrase("各工业园区", &[UnitKind::IndustrialPark]),
        "相关工业园区" | "有关工业园区" | "相关园区" | "有关园区" => {
            return phrase("相关工业园区", &[UnitKind::IndustrialPark]);
        }
        _ => {}
    }
    // 区级相关部门单位, 区级各部门单位, 县级有关部门, 市级相关部门 …
    for level in ["区级", "县级", "市级"] {
        if let Some(rest) = text.strip_prefix(level) {
            let rest = rest.trim_start_matches(['各', '相', '关', '有']);
            if matches!(rest, "部门单位" | "部门" | "单位")
                || rest.ends_with("部门单位") && rest.len() <= "部门单位".len()
            {
                return phrase(&format!("{level}相关部门单位"), &[UnitKind::Department]);
            }
        }
    }
    None
}

/// Splits a cell into the names it holds: separated by new lines, 、, ，,
/// `,` or ；; a line that begins with （ continues the name above it
/// (白涛工业园区 / （白涛新材料科技城））; "X等区级相关部门单位" is the unit X
/// and the group.
pub fn split(cell: &str) -> Vec<CellName> {
    // Each piece, and whether it ends its line.
    let mut pieces: Vec<(String, bool)> = Vec::new();
    for line in cell.split(['\n', '\r']) {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if (line.starts_with('（') || line.starts_with('(')) && !pieces.is_empty() {
            if let Some(last) = pieces.last_mut() {
                last.0.push_str(line);
            }
            continue;
        }
        let split = split_outside_parens(line);
        let count = split.len();
        for (i, piece) in split.into_iter().enumerate() {
            pieces.push((piece, i + 1 == count));
        }
    }
    let pieces = join_wrapped(pieces);
    let mut names = Vec::new();
    for piece in pieces {
        if let Some(group) = group_phrase(&piece) {
            names.push(CellName::Group(group));
            continue;
        }
        // "区住房城乡建委等区级相关部门单位": a unit, then a group.
        if let Some((unit, group)) = piece.split_once('等')
            && let Some(group) = group_phrase(group)
        {
            names.extend(split(unit));
            names.push(CellName::Group(group));
            continue;
        }
        names.push(unit_name(&piece));
    }
    names
}

/// The last characters of a unit's name (委, 局, 办公室, 中心, 街道, 镇 …):
/// a line that ends otherwise was wrapped for width.
const NAME_ENDINGS: &[char] = &[
    '委', '局', '办', '室', '心', '道', '镇', '乡', '司', '区', '团', '部', '院', '所', '队', '会', '站', '处', '馆',
    '社', '行', '厂', '校', '府', '厅', '署', '台', '组', '城', '园', '）', ')',
];

fn ends_like_a_name(text: &str) -> bool {
    text.ends_with(NAME_ENDINGS)
}

/// Joins a name the document wrapped across lines (凤来新城指 / 挥部办公室):
/// a line's last piece that does not end as a name does, and with the next
/// line's first piece does.
fn join_wrapped(pieces: Vec<(String, bool)>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(pieces.len());
    let mut wrapped = false;
    for (piece, ends_line) in pieces {
        if wrapped
            && let Some(last) = out.last_mut()
            && ends_like_a_name(&format!("{last}{piece}"))
        {
            last.push_str(&piece);
            wrapped = false;
            continue;
        }
        let names_a_group = group_phrase(&piece).is_some()
            || piece
                .split_once('等')
                .is_some_and(|(_, group)| group_phrase(group).is_some());
        wrapped = ends_line && !ends_like_a_name(&piece) && !names_a_group;
        out.push(piece);
    }
    out
}

/// Splits on separators that are not inside parentheses.
fn split_outside_parens(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut depth = 0usize;
    for c in line.chars() {
        match c {
            '（' | '(' => {
                depth += 1;
                current.push(c);
            }
            '）' | ')' => {
                depth = depth.saturating_sub(1);
                current.push(c);
            }
            '、' | '，' | ',' | '；' | ';' if depth == 0 => {
                if !current.trim().is_empty() {
                    out.push(current.trim().to_owned());
                }
                current.clear();
            }
            _ => current.push(c),
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_owned());
    }
    out
}

/// A unit name with an optional second name in trailing parentheses.
fn unit_name(text: &str) -> CellName {
    let text = text.trim();
    for (open, close) in [('（', '）'), ('(', ')')] {
        if let Some(body) = text.strip_suffix(close)
            && let Some(at) = body.find(open)
            && at > 0
        {
            let name = body[..at].trim().to_owned();
            let second = body[at + open.len_utf8()..].trim().to_owned();
            if !second.is_empty() {
                return CellName::Unit {
                    name,
                    second: Some(second),
                };
            }
        }
    }
    CellName::Unit {
        name: text.to_owned(),
        second: None,
    }
}

/// Guesses the kind of a unit from its name, for units an import creates.
pub fn guess_kind(name: &str) -> UnitKind {
    if name.ends_with("街道") {
        UnitKind::Street
    } else if name.ends_with('镇') {
        UnitKind::Town
    } else if name.ends_with('乡') {
        UnitKind::Township
    } else if name.ends_with("园区") {
        UnitKind::IndustrialPark
    } else if name.ends_with("管委会")
        || name.ends_with("管理委员会")
        || name.ends_with("高新区")
        || name.ends_with("新区")
    {
        UnitKind::ManagementCommittee
    } else if name.ends_with("集团") || name.ends_with("公司") {
        UnitKind::StateCompany
    } else {
        UnitKind::Department
    }
}

/// Splits a cell of leaders' names (冯星贵、高帆).
pub fn split_people(cell: &str) -> Vec<String> {
    cell.split(['\n', '、', '，', ',', '；', ';', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The edit distance of two names, in characters, for near misses.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            current[j + 1] = (previous[j] + cost).min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

/// Whether two different names are probably one unit written two ways
/// (区就业人才中心 and 区就业和人才中心; the typo 区住房城乡教委): one
/// character apart, in names long enough that this is not chance.
pub fn near_miss(a: &str, b: &str) -> bool {
    a != b && a.chars().count().min(b.chars().count()) >= 5 && edit_distance(a, b) == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(name: &str, second: Option<&str>) -> CellName {
        CellName::Unit {
            name: name.into(),
            second: second.map(str::to_owned),
        }
    }

    #[test]
    fn a_name_wrapped_across_lines_is_joined() {
        let names = split("凤来新城指\n挥部办公室\n区商务委");
        assert_eq!(
            names,
            [
                CellName::Unit {
                    name: "凤来新城指挥部办公室".into(),
                    second: None
                },
                CellName::Unit {
                    name: "区商务委".into(),
                    second: None
                },
            ]
        );
        // Two whole names on two lines stay two.
        assert_eq!(split("区商务委\n区文旅委").len(), 2);
    }

    #[test]
    fn streets_are_a_group() {
        for written in ["有关街道办事处", "相关街道", "各街道办事处"] {
            assert!(
                matches!(&split(written)[0], CellName::Group(g) if g.canonical == "相关街道" && g.kinds == vec![UnitKind::Street]),
                "{written}"
            );
        }
        assert!(matches!(&split("相关镇街")[0], CellName::Group(g) if g.canonical == "相关镇街"));
    }

    #[test]
    fn cells_split_into_units_and_groups() {
        assert_eq!(
            split("县经济信息委（县投资促进服务中心）、工业园区管委会"),
            vec![
                unit("县经济信息委", Some("县投资促进服务中心")),
                unit("工业园区管委会", None)
            ]
        );
        assert_eq!(
            split("区财政局\n区税务局"),
            vec![unit("区财政局", None), unit("区税务局", None)]
        );
        assert_eq!(
            split("白涛工业园区\n（白涛新材料科技城）"),
            vec![unit("白涛工业园区", Some("白涛新材料科技城"))]
        );
        let names = split("相关镇街，区经济信息委、区商务委等区级相关部门单位，各工业园区");
        assert_eq!(names.len(), 5, "{names:?}");
        assert!(matches!(&names[0], CellName::Group(g) if g.canonical == "相关镇街"));
        assert_eq!(names[1], unit("区经济信息委", None));
        assert_eq!(names[2], unit("区商务委", None));
        assert!(matches!(&names[3], CellName::Group(g) if g.canonical == "区级相关部门单位"));
        assert!(matches!(&names[4], CellName::Group(g) if g.canonical == "各工业园区"));
        assert!(
            matches!(&split("区级各部门单位")[0], CellName::Group(g) if g.canonical == "区级相关部门单位" && g.written == "区级各部门单位")
        );
        assert!(
            matches!(&split("有关乡镇人民政府")[0], CellName::Group(g) if g.kinds == vec![UnitKind::Town, UnitKind::Township])
        );
        assert_eq!(
            split("涪陵高新区（涪陵综保区）"),
            vec![unit("涪陵高新区", Some("涪陵综保区"))]
        );
    }

    #[test]
    fn near_misses_are_one_character_apart_in_long_names() {
        assert!(near_miss("区就业人才中心", "区就业和人才中心"));
        assert!(near_miss("区住房城乡教委", "区住房城乡建委"));
        assert!(!near_miss("县商务委", "县教委"));
        assert!(!near_miss("区财政局", "区民政局"));
        assert!(!near_miss("区商务委", "区商务委"));
    }

    #[test]
    fn kinds_are_guessed_from_names() {
        assert_eq!(guess_kind("解放碑街道"), UnitKind::Street);
        assert_eq!(guess_kind("白鹿镇"), UnitKind::Town);
        assert_eq!(guess_kind("鱼鳞乡"), UnitKind::Township);
        assert_eq!(guess_kind("白涛工业园区"), UnitKind::IndustrialPark);
        assert_eq!(guess_kind("解放碑CBD管委会"), UnitKind::ManagementCommittee);
        assert_eq!(guess_kind("交旅集团"), UnitKind::StateCompany);
        assert_eq!(guess_kind("区发展改革委"), UnitKind::Department);
    }
}
