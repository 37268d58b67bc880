//! Messages for people, in the reader's language. A message is written in
//! English, and that English is also its key in the catalog of each other
//! language (`locales/zh-CN.yml`, compiled in by rust-i18n); `%{name}`
//! marks what is filled in. A message the catalog lacks, or one formatted
//! before it reached here, reads in English. The language of a request is
//! chosen once, from its `Accept-Language`, and holds while it is served.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;

/// The languages the service answers in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Locale {
    #[default]
    En,
    /// Simplified Chinese, for any `zh` the reader asks for.
    Zh,
}

tokio::task_local! {
    static CURRENT: Locale;
}

impl Locale {
    /// The language tag, as `Content-Language` writes it.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::Zh => "zh-CN",
        }
    }

    /// The language an `Accept-Language` header (RFC 9110 §12.5.4) weighs
    /// highest among those the service has: Chinese for any `zh` range,
    /// English for `en` or `*`; English when it names neither. Of equal
    /// weights the first written wins; a weight of 0 refuses the range.
    pub fn from_accept_language(header: &str) -> Locale {
        let mut best: Option<(f32, Locale)> = None;
        for range in header.split(',') {
            let mut parts = range.split(';');
            let tag = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let weight = parts
                .filter_map(|p| p.trim().strip_prefix("q=").or_else(|| p.trim().strip_prefix("Q=")))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let locale = if tag == "zh" || tag.starts_with("zh-") {
                Locale::Zh
            } else if tag == "en" || tag.starts_with("en-") || tag == "*" {
                Locale::En
            } else {
                continue;
            };
            if weight > 0.0 && best.is_none_or(|(w, _)| weight > w) {
                best = Some((weight, locale));
            }
        }
        best.map(|(_, locale)| locale).unwrap_or_default()
    }

    /// The language of the request being served (English outside one).
    pub fn current() -> Locale {
        CURRENT.try_with(|locale| *locale).unwrap_or_default()
    }

    /// Runs `work` with this language as the current one.
    pub async fn scope<F: Future>(self, work: F) -> F::Output {
        CURRENT.scope(self, work).await
    }
}

/// A value filled into a message.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Arg {
    /// Shown as it is: an id, a number, a name the user wrote.
    Plain(String),
    /// Words of ours (`plan`, `a whole number`), themselves translated.
    Text(Text),
}

/// A message for people: English that is also its catalog key, and the
/// values it names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text {
    template: Cow<'static, str>,
    /// Whether `template` is a catalog key (written as a literal here)
    /// rather than text formatted elsewhere.
    keyed: bool,
    args: Vec<(&'static str, Arg)>,
}

impl Text {
    /// A message of ours; `%{name}` marks a value given by [`Text::arg`]
    /// or [`Text::word`].
    pub const fn new(template: &'static str) -> Text {
        Text {
            template: Cow::Borrowed(template),
            keyed: true,
            args: Vec::new(),
        }
    }

    /// A message made elsewhere that may be one of ours word for word (a
    /// type's own refusal, passed through a parser): translated when the
    /// catalog has it.
    pub fn lookup(message: String) -> Text {
        Text {
            template: Cow::Owned(message),
            keyed: true,
            args: Vec::new(),
        }
    }

    /// A message of ours that came back as text through a parser (a type's
    /// refusal inside serde or GraphQL): the catalog's sentence when it has
    /// it whole, or with the value in the first backticks as `%{value}`
    /// (`` `12.34567`: more than 4 decimal places ``); as written otherwise.
    pub fn recognize(text: &str) -> Text {
        let with_a_value = text.split_once('`').and_then(|(before, rest)| {
            let (value, after) = rest.split_once('`')?;
            let template = format!("{before}`%{{value}}`{after}");
            has_translation(Locale::Zh, &template).then(|| Text::lookup(template).arg("value", value))
        });
        with_a_value.unwrap_or_else(|| Text::lookup(text.to_owned()))
    }

    /// Fills `%{name}` with `value` as it is.
    pub fn arg(mut self, name: &'static str, value: impl fmt::Display) -> Text {
        self.args.push((name, Arg::Plain(value.to_string())));
        self
    }

    /// Fills `%{name}` with a word of ours, translated with the message.
    pub fn word(self, name: &'static str, value: &'static str) -> Text {
        self.part(name, Text::new(value))
    }

    /// Fills `%{name}` with another message, translated with this one.
    pub fn part(mut self, name: &'static str, value: impl Into<Text>) -> Text {
        self.args.push((name, Arg::Text(value.into())));
        self
    }

    /// The message in `locale`.
    pub fn render(&self, locale: Locale) -> String {
        let template = if self.keyed {
            translate(locale, &self.template)
        } else {
            Cow::Borrowed(self.template.as_ref())
        };
        if self.args.is_empty() {
            return template.into_owned();
        }
        let names: Vec<&str> = self.args.iter().map(|(name, _)| *name).collect();
        let values: Vec<String> = self
            .args
            .iter()
            .map(|(_, value)| match value {
                Arg::Plain(text) => text.clone(),
                Arg::Text(text) => text.render(locale),
            })
            .collect();
        rust_i18n::replace_patterns(&template, &names, &values)
    }

    /// The message in the language of the request being served.
    pub fn localized(&self) -> String {
        self.render(Locale::current())
    }
}

/// `key` in `locale`'s catalog, or `key` itself (English).
fn translate(locale: Locale, key: &str) -> Cow<'_, str> {
    match locale {
        Locale::En => Cow::Borrowed(key),
        other => crate::_rust_i18n_try_translate(other.tag(), key).unwrap_or(Cow::Borrowed(key)),
    }
}

/// Whether the catalog of `locale` has `key`.
pub fn has_translation(locale: Locale, key: &str) -> bool {
    locale == Locale::En || crate::_rust_i18n_try_translate(locale.tag(), key).is_some()
}

impl From<&'static str> for Text {
    fn from(message: &'static str) -> Text {
        Text::new(message)
    }
}

impl From<String> for Text {
    /// Text formatted elsewhere: shown as it is, in English.
    fn from(message: String) -> Text {
        Text {
            template: Cow::Owned(message),
            keyed: false,
            args: Vec::new(),
        }
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(Locale::En))
    }
}

/// The Chinese catalog, read here too so that a change to it rebuilds the
/// crate (rust-i18n's macro reads it without telling Cargo).
pub const CATALOG_ZH: &str = include_str!("../../locales/zh-CN.yml");

#[cfg(test)]
mod catalog;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reader_s_weights_choose_the_language() {
        for (header, expected) in [
            ("zh-CN", Locale::Zh),
            ("zh", Locale::Zh),
            ("zh-Hans-CN", Locale::Zh),
            ("ZH-cn", Locale::Zh),
            ("zh-CN,zh;q=0.9,en;q=0.8", Locale::Zh),
            ("en-US,en;q=0.9,zh-CN;q=0.8", Locale::En),
            ("fr-FR, zh;q=0.5", Locale::Zh),
            ("en;q=0.4, zh-TW;q=0.6", Locale::Zh),
            ("zh;q=0, en", Locale::En),
            ("zh;q=0", Locale::En),
            ("fr", Locale::En),
            ("", Locale::En),
            ("*", Locale::En),
            ("*;q=0.5, zh-CN", Locale::Zh),
            ("zh-CN;q=0.5, en;q=0.5", Locale::Zh),
        ] {
            assert_eq!(Locale::from_accept_language(header), expected, "{header:?}");
        }
    }

    #[test]
    fn a_message_reads_in_chinese_with_its_values_and_words() {
        let text = Text::new("%{entity} %{id} not found")
            .word("entity", "plan")
            .arg("id", 7);
        assert_eq!(text.render(Locale::En), "plan 7 not found");
        assert_eq!(text.render(Locale::Zh), "未找到任务清单 7");
    }

    #[test]
    fn text_formatted_elsewhere_or_missing_from_the_catalog_reads_as_written() {
        let formatted = Text::from(format!("must be at most {} characters", 200));
        assert_eq!(formatted.render(Locale::Zh), "must be at most 200 characters");
        assert_eq!(Text::new("no such sentence").render(Locale::Zh), "no such sentence");
    }

    #[tokio::test]
    async fn the_current_language_holds_inside_its_scope_only() {
        assert_eq!(Locale::current(), Locale::En);
        let inside = Locale::Zh.scope(async { Locale::current() }).await;
        assert_eq!(inside, Locale::Zh);
        assert_eq!(Locale::current(), Locale::En);
    }
}
