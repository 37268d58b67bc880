//! Finding a task list's columns by their Chinese headers and synonyms.

/// What a column holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Column {
    /// 序号
    Seq,
    /// 部分
    Section,
    /// 分类 / 协同发展事项 / 重点领域
    Category,
    /// 具体任务 / 任务内容 / 目标任务 / 主要目标 / 2025年重点任务
    Content,
    /// 完成时限
    Deadline,
    /// 牵头领导
    Leaders,
    /// 牵头责任单位, or `<region>牵头责任单位` for one side of a pair.
    Lead { region: Option<String> },
    /// 配合单位 / 责任（配合）单位, or `<region>配合单位`.
    Supporting { region: Option<String> },
    /// 备注
    Notes,
}

fn normalize(header: &str) -> String {
    header
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '(' => '（',
            ')' => '）',
            other => other,
        })
        .collect()
}

/// The column a header names, if any.
pub fn column_of(header: &str) -> Option<Column> {
    let h = normalize(header);
    match h.as_str() {
        "序号" | "编号" => return Some(Column::Seq),
        "部分" => return Some(Column::Section),
        "分类" | "类别" | "协同发展事项" | "重点领域" | "领域" | "事项" | "工作类别" => {
            return Some(Column::Category);
        }
        "具体任务" | "任务内容" | "目标任务" | "主要目标" | "重点任务" | "工作任务" | "任务" | "工作内容"
        | "主要任务" => {
            return Some(Column::Content);
        }
        "完成时限" | "时限" | "完成时间" | "时间节点" => return Some(Column::Deadline),
        "牵头领导" | "责任领导" | "分管领导" => return Some(Column::Leaders),
        "备注" => return Some(Column::Notes),
        _ => {}
    }
    // 2025年重点任务
    if let Some(rest) = h
        .get(..4)
        .filter(|y| y.bytes().all(|b| b.is_ascii_digit()))
        .map(|_| &h[4..])
        && matches!(
            rest.trim_start_matches('年'),
            "重点任务" | "任务" | "主要任务" | "目标任务"
        )
    {
        return Some(Column::Content);
    }
    for suffix in ["责任（配合）单位", "配合单位", "配合部门", "协同单位", "协助单位"] {
        if let Some(region) = h.strip_suffix(suffix) {
            return Some(Column::Supporting { region: side(region) });
        }
    }
    for suffix in ["牵头责任单位", "牵头单位", "牵头部门", "责任单位"] {
        if let Some(region) = h.strip_suffix(suffix) {
            return Some(Column::Lead { region: side(region) });
        }
    }
    None
}

fn side(prefix: &str) -> Option<String> {
    let prefix = prefix.trim();
    (!prefix.is_empty()).then(|| prefix.to_owned())
}

/// The header row (within the first ten) and its columns: the first row
/// that names the content column and at least one other.
pub fn find(rows: &[Vec<String>]) -> Option<(usize, Vec<Option<Column>>)> {
    rows.iter().take(10).enumerate().find_map(|(i, row)| {
        let columns: Vec<Option<Column>> = row.iter().map(|h| column_of(h)).collect();
        let known = columns.iter().filter(|c| c.is_some()).count();
        (known >= 2 && columns.contains(&Some(Column::Content))).then_some((i, columns))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_and_synonyms() {
        assert_eq!(column_of("具体任务"), Some(Column::Content));
        assert_eq!(column_of("2025年重点任务"), Some(Column::Content));
        assert_eq!(column_of("协同发展事项"), Some(Column::Category));
        assert_eq!(
            column_of("巫溪县牵头责任单位"),
            Some(Column::Lead {
                region: Some("巫溪县".into())
            })
        );
        assert_eq!(column_of("牵头责任单位"), Some(Column::Lead { region: None }));
        assert_eq!(column_of("责任单位"), Some(Column::Lead { region: None }));
        assert_eq!(column_of("责任（配合）单位"), Some(Column::Supporting { region: None }));
        assert_eq!(column_of("责任(配合)单位"), Some(Column::Supporting { region: None }));
        assert_eq!(column_of("配合单位"), Some(Column::Supporting { region: None }));
        assert_eq!(column_of("完成 时限"), Some(Column::Deadline));
        assert_eq!(column_of("金额"), None);
    }
}
