//! Reading a table from the bytes of a CSV (UTF-8 with or without BOM, or
//! GB18030) or an XLSX/XLS file into rows of text, with bounded size.

use std::io::Cursor;

use crate::domain::Text;

/// The largest file accepted.
pub const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;
/// The most rows a table may have.
pub const MAX_ROWS: usize = 5_000;
/// The longest cell accepted, in characters.
pub const MAX_CELL_CHARS: usize = 10_000;
/// The most an XLSX may unpack to: a small file that unpacks to gigabytes
/// is refused before it is read.
pub const MAX_UNPACKED_BYTES: u64 = 100 * 1024 * 1024;

/// Why a file is not a table we can read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableError {
    Empty,
    TooLarge,
    TooManyRows,
    CellTooLong { row: usize, column: usize },
    Unpacks,
    NotATable,
    Spreadsheet(String),
    Csv(String),
}

impl From<&TableError> for Text {
    fn from(error: &TableError) -> Text {
        match error {
            TableError::Empty => Text::new("the file is empty"),
            TableError::TooLarge => Text::new("the file is larger than %{max} bytes").arg("max", MAX_FILE_BYTES),
            TableError::TooManyRows => Text::new("the file has more than %{max} rows").arg("max", MAX_ROWS),
            TableError::CellTooLong { row, column } => {
                Text::new("row %{row}, column %{column}: the cell is longer than %{max} characters")
                    .arg("row", row)
                    .arg("column", column)
                    .arg("max", MAX_CELL_CHARS)
            }
            TableError::Unpacks => {
                Text::new("the spreadsheet unpacks to more than %{max} MB").arg("max", MAX_UNPACKED_BYTES / 1024 / 1024)
            }
            TableError::NotATable => {
                Text::new("the file is neither UTF-8 nor GB18030 text, nor an XLSX or XLS workbook")
            }
            TableError::Spreadsheet(reason) => {
                Text::new("the spreadsheet cannot be read: %{reason}").arg("reason", reason)
            }
            TableError::Csv(reason) => Text::new("the CSV cannot be read: %{reason}").arg("reason", reason),
        }
    }
}

impl std::fmt::Display for TableError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Text::from(self).fmt(f)
    }
}

impl std::error::Error for TableError {}

/// Rows of trimmed cell texts, in file order; row numbers are 1-based in
/// messages.
pub type Rows = Vec<Vec<String>>;

/// Reads CSV or a workbook (its first sheet), whichever the bytes are.
pub fn read(bytes: &[u8]) -> Result<Rows, TableError> {
    if bytes.is_empty() {
        return Err(TableError::Empty);
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(TableError::TooLarge);
    }
    let rows = if bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes)?
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        read_workbook(bytes)?
    } else {
        read_csv(&decode_text(bytes)?)?
    };
    check(rows)
}

fn check(rows: Rows) -> Result<Rows, TableError> {
    let rows: Rows = rows.into_iter().filter(|r| r.iter().any(|c| !c.is_empty())).collect();
    if rows.is_empty() {
        return Err(TableError::Empty);
    }
    if rows.len() > MAX_ROWS + 10 {
        return Err(TableError::TooManyRows);
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            if cell.chars().count() > MAX_CELL_CHARS {
                return Err(TableError::CellTooLong {
                    row: r + 1,
                    column: c + 1,
                });
            }
        }
    }
    Ok(rows)
}

/// Decodes text: UTF-8 (a BOM, as Excel writes, is dropped), else GB18030
/// when it decodes cleanly into text that looks like text.
pub fn decode_text(bytes: &[u8]) -> Result<String, TableError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => encoding_rs::GB18030
            .decode_without_bom_handling_and_without_replacement(bytes)
            .map(|t| t.into_owned())
            .ok_or(TableError::NotATable)?,
    };
    if looks_like_text(&text) {
        Ok(text)
    } else {
        Err(TableError::NotATable)
    }
}

/// Whether decoded text is plausibly a table of Chinese or English words:
/// no control characters, and nearly all characters ASCII, CJK or CJK
/// punctuation. Garbage that happens to decode is refused.
fn looks_like_text(text: &str) -> bool {
    let mut total = 0usize;
    let mut plausible = 0usize;
    for c in text.chars() {
        total += 1;
        if c.is_control() && !matches!(c, '\n' | '\r' | '\t') {
            return false;
        }
        let ok = c.is_ascii()
            || ('\u{4E00}'..='\u{9FFF}').contains(&c)
            || ('\u{3000}'..='\u{303F}').contains(&c)
            || ('\u{FF00}'..='\u{FFEF}').contains(&c)
            || ('\u{2000}'..='\u{206F}').contains(&c)
            || matches!(c, '·' | '—' | '～' | '×' | '°');
        if ok {
            plausible += 1;
        }
    }
    total > 0 && plausible * 100 >= total * 95
}

fn read_csv(text: &str) -> Result<Rows, TableError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| TableError::Csv(e.to_string()))?;
        rows.push(record.iter().map(|c| c.trim().to_owned()).collect());
        if rows.len() > MAX_ROWS + 10 {
            return Err(TableError::TooManyRows);
        }
    }
    Ok(rows)
}

/// Refuses an XLSX whose parts unpack to more than the limit, by inflating
/// them into nothing with a budget before the workbook is read: declared
/// sizes may be missing (data descriptors) or lie.
fn read_xlsx(bytes: &[u8]) -> Result<Rows, TableError> {
    use std::io::Read;
    let unreadable = |e: &dyn std::fmt::Display| TableError::Spreadsheet(e.to_string());
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| unreadable(&e))?;
    let mut unpacked: u64 = 0;
    for i in 0..archive.len() {
        let file = archive.by_index(i).map_err(|e| unreadable(&e))?;
        let budget = MAX_UNPACKED_BYTES - unpacked;
        let read = std::io::copy(&mut file.take(budget + 1), &mut std::io::sink()).map_err(|e| unreadable(&e))?;
        unpacked += read;
        if unpacked > MAX_UNPACKED_BYTES {
            return Err(TableError::Unpacks);
        }
    }
    read_workbook(bytes)
}

fn read_workbook(bytes: &[u8]) -> Result<Rows, TableError> {
    use calamine::{Data, Reader, open_workbook_auto_from_rs};
    let mut workbook =
        open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| TableError::Spreadsheet(e.to_string()))?;
    let first = workbook.sheet_names().first().cloned().ok_or(TableError::Empty)?;
    let range = workbook
        .worksheet_range(&first)
        .map_err(|e| TableError::Spreadsheet(e.to_string()))?;
    if range.height() > MAX_ROWS + 10 {
        return Err(TableError::TooManyRows);
    }
    Ok(range
        .rows()
        .map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::Empty => String::new(),
                    Data::String(s) => s.trim().to_owned(),
                    Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
                    Data::Int(i) => i.to_string(),
                    other => other.to_string().trim().to_owned(),
                })
                .collect()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_a_bom_and_quoted_newlines() {
        let rows = read("\u{FEFF}序号,单位\n1,\"区财政局\n区税务局\"\n".as_bytes()).expect("rows");
        assert_eq!(rows, vec![vec!["序号", "单位"], vec!["1", "区财政局\n区税务局"]]);
    }

    #[test]
    fn gb18030_is_read_and_garbage_is_not() {
        let (bytes, _, _) = encoding_rs::GB18030.encode("序号,具体任务\n1,加大消费帮扶力度\n");
        assert_eq!(read(&bytes).expect("GB18030")[1][1], "加大消费帮扶力度");
        let garbage: Vec<u8> = (0..2000u32).map(|i| (i.wrapping_mul(2654435761) >> 24) as u8).collect();
        assert_eq!(read(&garbage), Err(TableError::NotATable));
        assert_eq!(read(b""), Err(TableError::Empty));
        assert_eq!(read(b"\x00\x01\x02binary"), Err(TableError::NotATable));
    }

    #[test]
    fn huge_cells_and_many_rows_are_refused() {
        let cell = "字".repeat(MAX_CELL_CHARS + 1);
        assert_eq!(
            read(format!("a,b\n1,{cell}\n").as_bytes()),
            Err(TableError::CellTooLong { row: 2, column: 2 })
        );
        let many: String = (0..MAX_ROWS + 20).map(|i| format!("{i},x\n")).collect();
        assert_eq!(read(many.as_bytes()), Err(TableError::TooManyRows));
    }
}
