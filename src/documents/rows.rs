//! A task list's rows as the document means them: merged cells filled in
//! from the row above (a blank category within its section, blank lead
//! units within their category), units split out of their cells.

use super::cells::{self, CellName};
use super::headers::{self, Column};
use super::table::Rows;
use crate::domain::Text;

/// The units of one unit column of one row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitCell {
    /// The region the column names (巫溪县 of 巫溪县牵头责任单位); none for
    /// a column of the issuer.
    pub region: Option<String>,
    pub lead: bool,
    pub names: Vec<CellName>,
    /// The column's header, as written.
    pub header: String,
    /// The cell as written: blank where it continues the one above.
    pub text: String,
}

/// One task as its row says it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskRow {
    /// The row's line in the file, 1-based.
    pub line: usize,
    pub section: String,
    pub seq: i32,
    pub category: Option<String>,
    pub content: String,
    pub deadline_text: Option<String>,
    pub leaders: Vec<String>,
    pub units: Vec<UnitCell>,
    pub notes: Option<String>,
}

/// A row that cannot be a task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowProblem {
    pub line: Option<usize>,
    pub column: Option<String>,
    pub message: String,
}

/// The known columns of a table's header row, in its order, as written.
pub fn source_columns(rows: &Rows) -> Vec<crate::domain::plan::SourceColumn> {
    use crate::domain::plan::{SourceColumn, SourceField};
    let Some((header_at, columns)) = headers::find(rows) else {
        return Vec::new();
    };
    columns
        .iter()
        .zip(&rows[header_at])
        .filter_map(|(column, header)| {
            let (field, region) = match column.as_ref()? {
                Column::Seq => (SourceField::Seq, None),
                Column::Section => (SourceField::Section, None),
                Column::Category => (SourceField::Category, None),
                Column::Content => (SourceField::Content, None),
                Column::Deadline => (SourceField::Deadline, None),
                Column::Leaders => (SourceField::Leaders, None),
                Column::Notes => (SourceField::Notes, None),
                Column::Lead { region } => (SourceField::Lead, region.clone()),
                Column::Supporting { region } => (SourceField::Supporting, region.clone()),
            };
            Some(SourceColumn {
                column: field,
                region,
                header: header.trim().to_owned(),
            })
        })
        .collect()
}

/// Reads the task rows of a table.
pub fn parse(rows: &Rows) -> Result<Vec<TaskRow>, Vec<RowProblem>> {
    let Some((header_at, columns)) = headers::find(rows) else {
        return Err(vec![RowProblem {
            line: None,
            column: None,
            message: Text::new(
                "no header row: the table needs a task column (具体任务, 任务内容, 目标任务, 主要目标 or 重点任务) and at least one more known column (序号, 协同发展事项, 牵头责任单位 …) in its first ten rows",
            ).localized(),
        }]);
    };
    let header_row = &rows[header_at];
    let find = |wanted: &Column| columns.iter().position(|c| c.as_ref() == Some(wanted));
    let mut problems = Vec::new();
    let Some(seq_col) = find(&Column::Seq) else {
        return Err(vec![RowProblem {
            line: Some(header_at + 1),
            column: None,
            message: Text::new("no 序号 column").localized(),
        }]);
    };
    let content_col = find(&Column::Content).unwrap_or_default();
    let section_col = find(&Column::Section);
    let category_col = find(&Column::Category);
    let deadline_col = find(&Column::Deadline);
    let leaders_col = find(&Column::Leaders);
    let notes_col = find(&Column::Notes);
    let unit_cols: Vec<(usize, Option<String>, bool)> = columns
        .iter()
        .enumerate()
        .filter_map(|(i, c)| match c {
            Some(Column::Lead { region }) => Some((i, region.clone(), true)),
            Some(Column::Supporting { region }) => Some((i, region.clone(), false)),
            _ => None,
        })
        .collect();
    let mut tasks: Vec<TaskRow> = Vec::new();
    let mut seen: std::collections::HashSet<(String, i32)> = Default::default();
    let mut previous: Option<TaskRow> = None;
    for (i, row) in rows.iter().enumerate().skip(header_at + 1) {
        let line = i + 1;
        let cell = |col: Option<usize>| col.and_then(|c| row.get(c)).map(|s| s.trim()).unwrap_or_default();
        let content = cell(Some(content_col));
        let seq_text = cell(Some(seq_col));
        if content.is_empty() && seq_text.is_empty() {
            continue;
        }
        let Ok(seq) = seq_text.trim_end_matches(['.', '、']).parse::<i32>() else {
            problems.push(RowProblem {
                line: Some(line),
                column: header_row.get(seq_col).cloned(),
                message: Text::new("序号 `%{seq}` is not a number")
                    .arg("seq", seq_text)
                    .localized(),
            });
            continue;
        };
        if content.is_empty() {
            problems.push(RowProblem {
                line: Some(line),
                column: header_row.get(content_col).cloned(),
                message: Text::new("the task has no text").localized(),
            });
            continue;
        }
        let section = cell(section_col).to_owned();
        let same_section = previous.as_ref().is_some_and(|p| p.section == section);
        let category = match cell(category_col) {
            "" if same_section => previous.as_ref().and_then(|p| p.category.clone()),
            "" => None,
            text => Some(text.to_owned()),
        };
        let same_category = same_section && previous.as_ref().is_some_and(|p| p.category == category);
        let mut units = Vec::new();
        for (col, region, lead) in &unit_cols {
            let text = cell(Some(*col));
            let names = if text.is_empty() && *lead && same_category {
                // A merged lead-unit cell: the units of the row above.
                previous
                    .as_ref()
                    .and_then(|p| {
                        p.units
                            .iter()
                            .find(|u| u.lead && u.region == *region)
                            .map(|u| u.names.clone())
                    })
                    .unwrap_or_default()
            } else {
                cells::split(text)
            };
            if !names.is_empty() {
                units.push(UnitCell {
                    region: region.clone(),
                    lead: *lead,
                    names,
                    header: header_row.get(*col).cloned().unwrap_or_default(),
                    text: text.to_owned(),
                });
            }
        }
        if !seen.insert((section.clone(), seq)) {
            problems.push(RowProblem {
                line: Some(line),
                column: header_row.get(seq_col).cloned(),
                message: if section.is_empty() {
                    Text::new("序号 %{seq} appears twice in the list").arg("seq", seq)
                } else {
                    Text::new("序号 %{seq} appears twice in %{section}")
                        .arg("seq", seq)
                        .arg("section", &section)
                }
                .localized(),
            });
            continue;
        }
        let task = TaskRow {
            line,
            section,
            seq,
            category,
            content: content.to_owned(),
            deadline_text: Some(cell(deadline_col).to_owned()).filter(|s| !s.is_empty()),
            leaders: cells::split_people(cell(leaders_col)),
            units,
            notes: Some(cell(notes_col).to_owned()).filter(|s| !s.is_empty()),
        };
        previous = Some(task.clone());
        tasks.push(task);
    }
    if tasks.is_empty() && problems.is_empty() {
        problems.push(RowProblem {
            line: None,
            column: None,
            message: Text::new("the table has no task rows").localized(),
        });
    }
    if problems.is_empty() { Ok(tasks) } else { Err(problems) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<TaskRow> {
        let bytes =
            std::fs::read(format!("{}/../shared/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).expect("fixture");
        parse(&super::super::table::read(&bytes).expect("table")).expect("rows")
    }

    #[test]
    fn merged_cells_continue_within_their_category() {
        let rows = fixture("yuzhong-wuxi-2025-tasks.csv");
        assert_eq!(rows.len(), 16);
        assert_eq!(rows[1].category.as_deref(), Some("联手开展招商引资"));
        let names = |row: &TaskRow| -> Vec<Vec<CellName>> { row.units.iter().map(|u| u.names.clone()).collect() };
        assert_eq!(names(&rows[1]), names(&rows[0]), "task 2 takes task 1's lead units");
        assert_eq!(rows[1].units[0].text, "", "its cell is blank as written");
        assert_eq!(rows[4].category.as_deref(), Some("深化文旅产业协作"));
        assert_eq!(names(&rows[15]), names(&rows[14]));
        assert_eq!(rows[0].units[0].region.as_deref(), Some("巫溪县"));
        assert_eq!(rows[0].units[1].region.as_deref(), Some("渝中区"));
    }

    #[test]
    fn sections_restart_numbering_and_do_not_carry_categories() {
        let rows = fixture("fuling-2025-work-report-tasks.csv");
        assert_eq!(rows.len(), 148);
        let sections: Vec<&str> = rows.iter().map(|r| r.section.as_str()).collect();
        assert_eq!(sections.iter().filter(|s| **s == "主要预期目标").count(), 7);
        assert_eq!(sections.iter().filter(|s| **s == "主要工作任务").count(), 137);
        assert_eq!(sections.iter().filter(|s| **s == "政府自身建设").count(), 4);
        assert_eq!(rows[0].category, None);
        assert_eq!(rows[6].leaders, ["冯星贵", "张宇"]);
        assert_eq!(rows[4].units.len(), 1, "税收增长5%: two lead units, no supporting ones");
    }

    #[test]
    fn a_table_without_headers_or_numbers_is_refused() {
        let rows = vec![
            vec!["a".to_owned(), "b".to_owned()],
            vec!["1".to_owned(), "x".to_owned()],
        ];
        assert!(parse(&rows).is_err());
        let rows = vec![
            vec!["序号".to_owned(), "具体任务".to_owned()],
            vec!["一".to_owned(), "任务".to_owned()],
            vec!["2".to_owned(), "任务".to_owned()],
            vec!["2".to_owned(), "任务".to_owned()],
        ];
        let problems = parse(&rows).expect_err("problems");
        assert_eq!(problems.len(), 2);
        assert_eq!(problems[0].line, Some(2));
        assert_eq!(problems[1].line, Some(4));
    }
}
