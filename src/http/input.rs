//! What is wrong with a request's JSON body or query string, in our words
//! and per field: a form can mark the field, and no parser's text (Rust
//! type names, "at line 1 column 12") reaches a client.

use serde::de::DeserializeOwned;

use super::problem::ApiError;
use crate::domain::{DomainError, ErrorCode, Invalid, Text};

/// A JSON body read into `T`: JSON that does not parse is 400, JSON of the
/// wrong shape 422, each with the field and what it must be.
pub fn json_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| {
        let message = if e.is_eof() {
            Text::new("the JSON ends too early (line %{line}, column %{column})")
        } else {
            Text::new("this is not JSON (line %{line}, column %{column})")
        }
        .arg("line", e.line())
        .arg("column", e.column());
        let detail = Text::new("the body is not valid JSON: %{message}").part("message", message.clone());
        bad_request(
            detail,
            Invalid {
                field: "body".into(),
                message,
            },
        )
    })?;
    let value = whole_numbers_as_integers(value);
    serde_path_to_error::deserialize(value).map_err(|e| ApiError::from(DomainError::Validation(vec![field_error(&e)])))
}

/// JSON has one kind of number: `2025.0` is the integer 2025 to JSON
/// Schema and to the clients that write every number as a float (Python's
/// `json.dumps(2025.0)`). A float with no fraction that an `i64` holds is
/// read as that integer; any other number stays as it is.
fn whole_numbers_as_integers(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Number(number) if !number.is_i64() && !number.is_u64() => match number.as_f64() {
            // Below 2^63 in magnitude, so the cast is exact.
            Some(float) if float.fract() == 0.0 && float.abs() < 9.2e18 => Value::from(float as i64),
            _ => Value::Number(number),
        },
        Value::Array(items) => Value::Array(items.into_iter().map(whole_numbers_as_integers).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .into_iter()
                .map(|(name, field)| (name, whole_numbers_as_integers(field)))
                .collect(),
        ),
        other => other,
    }
}

/// A query string read into `T`: a value of the wrong kind, an unknown or a
/// missing parameter is 400 with the parameter and what it must be.
pub fn query<T: DeserializeOwned>(text: &str) -> Result<T, ApiError> {
    let pairs = serde_urlencoded::Deserializer::new(form_urlencoded::parse(text.as_bytes()));
    serde_path_to_error::deserialize(pairs).map_err(|e| {
        let error = field_error(&e);
        let detail = Text::new("the query string is not valid: %{field}: %{message}")
            .arg("field", &error.field)
            .part("message", error.message.clone());
        bad_request(detail, error)
    })
}

/// A path parameter that is not what its route takes (an id that is not
/// a UUID): 400 naming the parameter, in our words.
pub fn path(rejection: &axum::extract::rejection::PathRejection) -> ApiError {
    use axum::extract::path::ErrorKind;
    use axum::extract::rejection::PathRejection;
    let must_be = |expected: &str| {
        if expected.ends_with("Uuid") {
            Text::new("must be a UUID")
        } else if ["i32", "i64", "u32", "u64", "usize", "u16", "i16"].contains(&expected) {
            Text::new("must be a whole number")
        } else {
            Text::new("is not valid here")
        }
    };
    let (field, message) = match rejection {
        PathRejection::FailedToDeserializePathParams(error) => match error.kind() {
            ErrorKind::ParseErrorAtKey { key, expected_type, .. } => (key.clone(), must_be(expected_type)),
            ErrorKind::ParseErrorAtIndex { expected_type, .. } | ErrorKind::ParseError { expected_type, .. } => {
                ("path".to_owned(), must_be(expected_type))
            }
            ErrorKind::InvalidUtf8InPathParam { key } => (key.clone(), Text::new("is not UTF-8 once percent-decoded")),
            // A UUID says so only in its message ("UUID parsing failed: …").
            ErrorKind::DeserializeError { key, message, .. } if message.contains("UUID") => {
                (key.clone(), must_be("Uuid"))
            }
            ErrorKind::DeserializeError { key, .. } => (key.clone(), Text::new("is not valid here")),
            _ => ("path".to_owned(), Text::new("is not valid")),
        },
        _ => ("path".to_owned(), Text::new("is not valid")),
    };
    bad_request(
        Text::new("the path is not valid: %{field} %{message}")
            .arg("field", &field)
            .part("message", message.clone()),
        Invalid { field, message },
    )
}

/// A 400 about one field, told in the reader's language.
fn bad_request(detail: Text, error: Invalid) -> ApiError {
    let mut problem = ApiError::new(ErrorCode::BadRequest, detail);
    problem.errors = vec![crate::domain::FieldError {
        field: error.field,
        message: error.message.localized(),
    }];
    problem
}

/// The field a deserializer refused, and why, in our words.
fn field_error<E: std::fmt::Display>(error: &serde_path_to_error::Error<E>) -> Invalid {
    let (field, message) = explain(&error.path().to_string(), &error.inner().to_string());
    Invalid { field, message }
}

/// The field a deserializer's complaint is about, and what it says in our
/// words. `path` is where it was (`.` at the top, `targets[0].value`).
fn explain(path: &str, text: &str) -> (String, Text) {
    let at = |name: &str| match path {
        "." | "" => name.to_owned(),
        _ => format!("{path}.{name}"),
    };
    let here = if path == "." || path.is_empty() {
        "body".to_owned()
    } else {
        path.to_owned()
    };
    let text = text.split(" at line ").next().unwrap_or(text);
    if let Some(name) = between(text, "missing field `", "`") {
        return (at(name), Text::new("is required"));
    }
    if let Some(name) = between(text, "unknown field `", "`") {
        let known = text
            .split_once("expected one of ")
            .or_else(|| text.split_once("expected "))
            .map(|(_, list)| plain_list(list));
        // serde_path_to_error has already stepped into the unknown key.
        let field = if here.ends_with(name) { here.clone() } else { at(name) };
        let message = match known {
            Some(fields) => Text::new("is not a field here: the fields are %{fields}").arg("fields", fields),
            None => Text::new("is not a field here"),
        };
        return (field, message);
    }
    if let Some(variant) = between(text, "unknown variant `", "`") {
        let allowed = text
            .split_once("expected one of ")
            .or_else(|| text.split_once("expected "))
            .map_or_else(String::new, |(_, list)| plain_list(list));
        return (
            here,
            Text::new("must be one of %{allowed}, not `%{text}`")
                .arg("allowed", allowed)
                .arg("text", variant),
        );
    }
    if let Some(value) = between(text, "unknown value `", "`")
        && let Some((_, allowed)) = text.split_once("expected one of: ")
    {
        return (here, crate::domain::values::unknown_value(value, allowed));
    }
    for kind in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = text.strip_prefix(kind)
            && let Some((found, expected)) = rest.split_once(", expected ")
        {
            return (
                here,
                Text::new("must be %{expected}, not %{found}")
                    .part("expected", expected_words(expected))
                    .part("found", found_words(found)),
            );
        }
    }
    if let Some(rest) = text.strip_prefix("invalid length ")
        && let Some((_, expected)) = rest.split_once(", expected ")
    {
        return (
            here,
            Text::new("must hold %{expected}").part("expected", expected_words(expected)),
        );
    }
    (here, library_words(text))
}

/// serde's "`a`, `b`" or "`a` or `b`" as "a, b".
fn plain_list(list: &str) -> String {
    list.replace('`', "").replace(" or ", ", ")
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let rest = text.split_once(start)?.1;
    Some(rest.split_once(end)?.0)
}

/// What serde says a type expects, as a person would say it.
fn expected_words(expected: &str) -> Text {
    let e = expected.trim();
    match e {
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "usize" | "isize" | "an integer" => {
            Text::new("a whole number")
        }
        "f32" | "f64" | "a number" => Text::new("a number"),
        "a string" | "a borrowed string" | "a char" => Text::new("text"),
        "a boolean" => Text::new("true or false"),
        "a sequence" => Text::new("a list"),
        "a map" => Text::new("an object"),
        "a UUID string" => Text::new("an id (a UUID)"),
        _ if e.starts_with("struct ") => Text::new("an object"),
        _ if e.starts_with("a formatted date") || e.contains("NaiveDate") => Text::new("a day like 2025-12-31"),
        _ if e.starts_with("tuple") || e.starts_with("an array") => Text::new("a list"),
        _ => Text::from(e.to_owned()),
    }
}

/// What the input held, as a person would say it.
fn found_words(found: &str) -> Text {
    let f = found.trim();
    if let Some(text) = f.strip_prefix("string ") {
        return Text::new("the text %{text}").arg("text", text);
    }
    for (prefix, what) in [
        ("integer `", "number"),
        ("floating point `", "number"),
        ("boolean `", ""),
    ] {
        if let Some(rest) = f.strip_prefix(prefix) {
            let value = rest.trim_end_matches('`');
            return match what {
                "" => Text::from(value.to_owned()),
                _ => Text::new("the number %{number}").arg("number", value),
            };
        }
    }
    match f {
        "sequence" => Text::new("a list"),
        "map" => Text::new("an object"),
        "null" | "unit value" | "unit" => Text::new("null"),
        _ => Text::from(f.to_owned()),
    }
}

/// Messages that libraries under our types give (ids, days), in our words;
/// the messages of our own types are ours already.
fn library_words(text: &str) -> Text {
    if text.starts_with("UUID parsing failed") || text.contains("invalid character: expected") {
        return Text::new("must be an id (a UUID like 3f0e9a52-9d2b-4c1e-8a57-1c2b3d4e5f60)");
    }
    if matches!(
        text,
        "input contains invalid characters"
            | "premature end of input"
            | "trailing input"
            | "input is out of range"
            | "input is not enough for unique date and time"
            | "no possible date and time matching input"
    ) {
        return Text::new("must be a day like 2025-12-31");
    }
    if matches!(
        text,
        "invalid digit found in string"
            | "cannot parse integer from empty string"
            | "number too large to fit in target type"
            | "number too small to fit in target type"
    ) {
        return Text::new("must be a whole number");
    }
    if text == "provided string was not `true` or `false`" {
        return Text::new("must be true or false");
    }
    Text::recognize(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        seq: i32,
        title: String,
        targets: Vec<Target>,
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Target {
        value: i64,
        done: bool,
    }

    fn problem(json: &str) -> (u16, Vec<(String, String)>, String) {
        let error = json_body::<Body>(json.as_bytes()).expect_err(json);
        let fields = error
            .errors
            .iter()
            .map(|e| (e.field.clone(), e.message.clone()))
            .collect();
        (error.code.http_status(), fields, error.detail)
    }

    #[test]
    fn a_message_of_ours_with_its_value_reads_in_chinese() {
        use crate::domain::Locale;
        let (_, amount) = explain(".", "`12.34567`: more than 4 decimal places");
        assert_eq!(amount.render(Locale::En), "`12.34567`: more than 4 decimal places");
        for (english, chinese) in [
            (
                "`12.34567`: more than 4 decimal places",
                "`12.34567`：小数位数超过 4 位",
            ),
            (
                "`五千` is not an amount of money: write it in 万元, or with its unit (`1.2亿元`, `500000元`)",
                "`五千` 不是金额：请以万元填写，或带上单位（`1.2亿元`、`500000元`）",
            ),
            (
                "`2025-13` is not a period: write a month `2025-03`, a quarter `2025-Q1`, a half-year `2025-H1` or a year `2025`",
                "`2025-13` 不是报送期：请写月份 `2025-03`、季度 `2025-Q1`、半年 `2025-H1` 或年份 `2025`",
            ),
        ] {
            assert_eq!(explain(".", english).1.render(Locale::Zh), chinese);
        }
        let (_, unknown) = explain(".", "`x` is something no catalog says");
        assert_eq!(unknown.render(Locale::Zh), "`x` is something no catalog says");
    }

    #[test]
    fn each_shape_error_names_its_field_in_our_words() {
        let ok = r#"{"seq": 1, "title": "t", "targets": [{"value": 5, "done": true}]}"#;
        assert!(json_body::<Body>(ok.as_bytes()).is_ok());
        let cases = [
            (
                r#"{"seq": "abc", "title": "t", "targets": []}"#,
                "seq",
                "must be a whole number, not the text \"abc\"",
            ),
            (r#"{"title": "t", "targets": []}"#, "seq", "is required"),
            (
                r#"{"seq": 1, "title": "t", "targets": [], "colour": 1}"#,
                "colour",
                "is not a field here: the fields are seq, title, targets",
            ),
            (
                r#"{"seq": 1, "title": "t", "targets": [{"value": 5, "done": "yes"}]}"#,
                "targets[0].done",
                "must be true or false, not the text \"yes\"",
            ),
            (
                r#"{"seq": 1, "title": 7, "targets": []}"#,
                "title",
                "must be text, not the number 7",
            ),
            (
                r#"{"seq": 1, "title": "t", "targets": {}}"#,
                "targets",
                "must be a list, not an object",
            ),
            (r#""hello""#, "body", "must be an object, not the text \"hello\""),
            (
                r#"{"seq": 2.5, "title": "t", "targets": []}"#,
                "seq",
                "must be a whole number, not the number 2.5",
            ),
            (
                r#"{"seq": 1e30, "title": "t", "targets": []}"#,
                "seq",
                "must be a whole number, not the number 1e+30",
            ),
        ];
        for (json, field, message) in cases {
            let (status, fields, detail) = problem(json);
            assert_eq!(status, 422, "{json}");
            assert_eq!(fields, [(field.to_owned(), message.to_owned())], "{json}");
            assert!(!detail.contains("i32") && !detail.contains("line 1"), "{detail}");
        }
    }

    #[test]
    fn a_whole_number_written_as_a_float_is_that_integer() {
        // As Python's json.dumps(2025.0) writes it, and as JSON Schema's
        // `integer` admits it.
        let body: Body = json_body(br#"{"seq": 2025.0, "title": "t", "targets": [{"value": -3.0, "done": true}]}"#)
            .expect("2025.0 is the integer 2025");
        assert_eq!((body.seq, body.targets[0].value), (2025, -3));
    }

    #[test]
    fn json_that_does_not_parse_is_400_on_the_body() {
        for json in [r#"{"seq": 1,"#, "seq=1", ""] {
            let (status, fields, detail) = problem(json);
            assert_eq!(status, 400, "{json}");
            assert_eq!(fields.len(), 1);
            assert_eq!(fields[0].0, "body");
            assert!(detail.starts_with("the body is not valid JSON"), "{detail}");
        }
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Query {
        limit: Option<u64>,
        year: Option<i32>,
    }

    #[test]
    fn query_errors_name_their_parameter() {
        assert!(query::<Query>("limit=5&year=2025").is_ok());
        for (text, field, message) in [
            ("limit=abc", "limit", "must be a whole number"),
            (
                "colour=red",
                "colour",
                "is not a field here: the fields are limit, year",
            ),
        ] {
            let error = query::<Query>(text).expect_err(text);
            assert_eq!(error.code.http_status(), 400);
            assert_eq!(error.errors[0].field, field, "{text}");
            assert_eq!(error.errors[0].message, message, "{text}");
        }
    }
}
