//! Every message written in `src/` as a literal has its Chinese: a scan of
//! the calls that take a message for people (`Text::new`, `forbidden`,
//! `conflict`, `invalid`, `Validator::add` and `check`, the error variants,
//! the entity names) against the catalog.

use std::path::Path;

use super::{CATALOG_ZH, Locale, has_translation};

/// A call that takes a message, and which of its arguments it is.
const CALLS: &[(&str, Which)] = &[
    ("forbidden(", Which::Last),
    ("conflict(", Which::Last),
    ("invalid(", Which::Last),
    (".add(", Which::Last),
    (".check(", Which::Last),
    (".word(", Which::Last),
    ("require_admin(", Which::Last),
    ("refuse_write(", Which::Last),
    ("Text::new(", Which::First),
    ("BadRequest(", Which::First),
    ("Unauthenticated(", Which::First),
    ("CursorExpired(", Which::First),
    ("UnsupportedMediaType(", Which::First),
    ("PayloadTooLarge(", Which::First),
    ("not_found(", Which::First),
    ("no_such(", Which::First),
    ("coded(", Which::Second),
    ("ApiError::new(", Which::Second),
    ("problem(", Which::Last),
];

#[derive(Clone, Copy)]
enum Which {
    First,
    Second,
    Last,
}

/// The top-level arguments of the call whose `(` is at `open`.
fn arguments(text: &str, open: usize) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut current = String::new();
    let mut args = Vec::new();
    let mut i = open;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'"' {
            let mut end = i + 1;
            while end < bytes.len() && bytes[end] != b'"' {
                end += if bytes[end] == b'\\' { 2 } else { 1 };
            }
            current.push_str(&text[i..=end.min(bytes.len() - 1)]);
            i = end + 1;
            continue;
        }
        match c {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth == 1 {
                    i += 1;
                    continue;
                }
            }
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    // A trailing comma leaves nothing after it.
                    if !current.trim().is_empty() {
                        args.push(current.trim().to_owned());
                    }
                    return args;
                }
            }
            b',' if depth == 1 => {
                args.push(std::mem::take(&mut current).trim().to_owned());
                i += 1;
                continue;
            }
            _ => {}
        }
        let width = text[i..].chars().next().map_or(1, char::len_utf8);
        current.push_str(&text[i..i + width]);
        i += width;
    }
    args
}

/// The string an argument is, when it is a plain literal.
fn literal(arg: &str) -> Option<String> {
    let arg = [".into()", ".to_owned()", ".to_string()"]
        .iter()
        .fold(arg, |a, suffix| a.strip_suffix(suffix).unwrap_or(a));
    let inner = arg.strip_prefix('"')?.strip_suffix('"')?;
    (!inner.contains('"') || inner.contains("\\\"")).then(|| inner.replace("\\\"", "\"").replace("\\\\", "\\"))
}

/// `text` without its `#[cfg(test)] mod … { … }` blocks (wherever they
/// stand: some files go on after theirs).
fn without_test_modules(text: &str) -> String {
    let mut text = text.to_owned();
    while let Some(start) = text.find("#[cfg(test)]\nmod ") {
        let Some(open) = text[start..].find('{').map(|i| start + i) else {
            break;
        };
        let bytes = text.as_bytes();
        let (mut depth, mut i, mut end) = (0usize, open, text.len());
        while i < bytes.len() {
            match bytes[i] {
                b'"' => {
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'"' {
                        i += if bytes[i] == b'\\' { 2 } else { 1 };
                    }
                }
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i + 1;
                        break;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        text.replace_range(start..end, "");
    }
    text
}

fn messages_of(text: &str, found: &mut Vec<String>) {
    // What a module's tests write is not shown to people.
    let text = &without_test_modules(text);
    for (call, which) in CALLS {
        for (at, _) in text.match_indices(call) {
            // `problem(` is not `insert_problem(`.
            let glued = text[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_');
            if call.starts_with(char::is_alphabetic) && glued {
                continue;
            }
            let args = arguments(text, at + call.len() - 1);
            let arg = match which {
                Which::First => args.first(),
                Which::Second => args.get(1),
                Which::Last => args.last(),
            };
            found.extend(arg.and_then(|a| literal(a)));
        }
    }
    for line in text.lines() {
        let line = line.trim();
        let named = [
            "const ENTITY: &str = ",
            "const UNIT: &str = ",
            "const GROUP: &str = ",
            "const PAIRING: &str = ",
        ]
        .iter()
        .find_map(|p| line.strip_prefix(p))
        .or_else(|| line.strip_prefix("message: "));
        if let Some(value) = named.and_then(|v| literal(v.trim_end_matches([';', ',']))) {
            found.push(value);
        }
    }
}

fn walk(dir: &Path, found: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs")
            // This file names the calls in its own strings.
            && !path.ends_with("text/catalog.rs")
            && let Ok(text) = std::fs::read_to_string(&path)
        {
            messages_of(&text, found);
        }
    }
}

#[test]
fn every_message_written_as_a_literal_reads_in_chinese() {
    let mut found = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut found);
    found.sort();
    found.dedup();
    assert!(found.len() > 200, "the scan found {} messages only", found.len());
    let missing: Vec<&String> = found.iter().filter(|m| !has_translation(Locale::Zh, m)).collect();
    assert!(
        missing.is_empty(),
        "{} messages have no entry in locales/zh-CN.yml:\n{}",
        missing.len(),
        missing.iter().map(|m| format!("{m:?}")).collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn every_code_s_title_reads_in_chinese() {
    for code in crate::domain::ErrorCode::ALL {
        let title = code.title_in(Locale::Zh);
        assert_ne!(title, code.title(), "{code}");
        assert!(
            title.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{code}: {title}"
        );
    }
}

#[test]
fn every_catalog_entry_keeps_the_values_its_message_names() {
    for line in CATALOG_ZH.lines().filter(|l| l.starts_with('"')) {
        let Some((key, value)) = line.split_once("\": \"") else {
            panic!("not a `\"key\": \"value\"` line: {line}");
        };
        let names = |text: &str| {
            let mut names: Vec<String> = text
                .split("%{")
                .skip(1)
                .filter_map(|rest| rest.split_once('}').map(|(name, _)| name.to_owned()))
                .collect();
            names.sort();
            names.dedup();
            names
        };
        assert_eq!(names(key), names(value), "{line}");
    }
}
