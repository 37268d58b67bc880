//! The one pagination of every list (REST lists and GraphQL connections):
//! a page size limit and opaque seek cursors over a sort key and the id,
//! so that rows inserted meanwhile neither repeat nor vanish.

use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, IntoColumnRef, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use super::{DomainError, DomainResult};
use crate::domain::Text;

pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 200;

/// Where a page starts: after the row with this sort key and id.
#[derive(Clone, Debug, PartialEq)]
pub struct Cursor {
    pub key: Value,
    pub id: Uuid,
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::json!([self.key, self.id]).to_string())
    }

    pub fn decode(text: &str) -> DomainResult<Cursor> {
        let bad = || DomainError::invalid("cursor", "not a cursor this service gave out");
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| bad())?;
        let value: Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        match value {
            Value::Array(mut parts) if parts.len() == 2 => {
                let id = parts
                    .pop()
                    .and_then(|v| v.as_str().and_then(|s| s.parse().ok()))
                    .ok_or_else(bad)?;
                let key = parts.pop().ok_or_else(bad)?;
                Ok(Cursor { key, id })
            }
            _ => Err(bad()),
        }
    }
}

/// A page size and where to start.
#[derive(Clone, Debug, PartialEq)]
pub struct PageRequest {
    pub limit: u64,
    pub after: Option<Cursor>,
    /// Only the rows changed at or after this time (`updated_since`): the
    /// simple form of the change feed.
    pub updated_since: Option<DateTime<Utc>>,
}

impl PageRequest {
    /// Checks a page size (1 to 200, 50 when none) and decodes a cursor.
    pub fn new(limit: Option<u64>, cursor: Option<&str>) -> DomainResult<PageRequest> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(DomainError::invalid(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let after = cursor.filter(|c| !c.is_empty()).map(Cursor::decode).transpose()?;
        Ok(PageRequest {
            limit,
            after,
            updated_since: None,
        })
    }

    /// The same request for the rows changed at or after `since`, an RFC
    /// 3339 time (`2025-07-01T00:00:00+08:00`; a `+` that a query string
    /// turned into a space is read as `+`).
    pub fn since(self, since: Option<&str>) -> DomainResult<PageRequest> {
        // An empty value is an error, not "no filter": a form that sends
        // `updated_since=` has lost its value, and answering every row
        // would hide that.
        let Some(text) = since else {
            return Ok(self);
        };
        let at = DateTime::parse_from_rfc3339(&text.replace(' ', "+")).map_err(|_| {
            DomainError::invalid(
                "updated_since",
                "must be a time in RFC 3339 (2025-07-01T00:00:00+08:00)",
            )
        })?;
        Ok(PageRequest {
            updated_since: Some(at.with_timezone(&Utc)),
            ..self
        })
    }
}

impl Default for PageRequest {
    fn default() -> PageRequest {
        PageRequest {
            limit: DEFAULT_LIMIT,
            after: None,
            updated_since: None,
        }
    }
}

/// One page of a list, in the shape every list answers with.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; none on the last page.
    pub next_cursor: Option<String>,
    /// How many rows the whole list has, over all pages.
    pub total_count: u64,
    /// The cursor of each item (a page that starts after it), for GraphQL's
    /// edges; the sort key is spelled once, where the list sorts.
    #[serde(skip)]
    pub cursors: Vec<String>,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
            total_count: self.total_count,
            cursors: self.cursors,
        }
    }

    pub fn try_map<U>(self, f: impl FnMut(T) -> DomainResult<U>) -> DomainResult<Page<U>> {
        Ok(Page {
            items: self.items.into_iter().map(f).collect::<DomainResult<Vec<U>>>()?,
            next_cursor: self.next_cursor,
            total_count: self.total_count,
            cursors: self.cursors,
        })
    }

    /// The same page over the views `view` makes of its items, in their order.
    pub async fn then<U>(self, view: impl AsyncFnOnce(Vec<T>) -> DomainResult<Vec<U>>) -> DomainResult<Page<U>> {
        Ok(Page {
            items: view(self.items).await?,
            next_cursor: self.next_cursor,
            total_count: self.total_count,
            cursors: self.cursors,
        })
    }
}

/// How a list is sorted: one column, then the id, both the same way.
pub struct Sort<E: EntityTrait> {
    pub column: E::Column,
    pub id: E::Column,
    pub descending: bool,
    /// The sort key and id of a row, for its cursor.
    pub key_of: fn(&E::Model) -> (Value, Uuid),
    /// The database value of a cursor's key; none when it is not one.
    pub value_of: fn(&Value) -> Option<sea_orm::Value>,
}

tokio::task_local! {
    /// Set while a list is read whole, page after page: the total is not
    /// wanted, and counting every row once a page would read the list
    /// again and again.
    static UNCOUNTED: ();
}

/// Runs `work` with lists not counting their rows (`total_count` is 0):
/// for a reader that follows every `next_cursor` to the end.
pub async fn uncounted<F: std::future::Future>(work: F) -> F::Output {
    UNCOUNTED.scope((), work).await
}

/// Runs `select` for one page in `sort` order, with its total count
/// (unless [`uncounted`]).
pub async fn fetch<E, C>(
    conn: &C,
    select: Select<E>,
    sort: &Sort<E>,
    request: &PageRequest,
) -> DomainResult<Page<E::Model>>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ConnectionTrait,
{
    let select = match request.updated_since {
        Some(since) => select.filter(changed_at::<E>()?.gte(since)),
        None => select,
    };
    let total_count = if UNCOUNTED.try_with(|_| ()).is_ok() {
        0
    } else {
        PaginatorTrait::count(select.clone(), conn).await?
    };
    let mut query = select;
    if let Some(cursor) = &request.after {
        let key = (sort.value_of)(&cursor.key)
            .ok_or_else(|| DomainError::invalid("cursor", "not a cursor of this list and sort"))?;
        let column: SimpleExpr = Expr::col(sort.column.into_column_ref());
        let beyond = |a: SimpleExpr, b: SimpleExpr| if sort.descending { a.lt(b) } else { a.gt(b) };
        let past_key = beyond(column.clone(), Expr::val(key.clone()));
        let same_key_past_id = Condition::all().add(column.eq(Expr::val(key))).add(if sort.descending {
            sort.id.lt(cursor.id)
        } else {
            sort.id.gt(cursor.id)
        });
        query = query.filter(Condition::any().add(past_key).add(same_key_past_id));
    }
    let order = if sort.descending {
        sea_orm::Order::Desc
    } else {
        sea_orm::Order::Asc
    };
    let mut rows = query
        .order_by(sort.column, order.clone())
        .order_by(sort.id, order)
        .limit(request.limit + 1)
        .all(conn)
        .await?;
    let more = rows.len() as u64 > request.limit;
    rows.truncate(usize::try_from(request.limit).unwrap_or(usize::MAX));
    let cursors: Vec<String> = rows
        .iter()
        .map(|row| {
            let (key, id) = (sort.key_of)(row);
            Cursor { key, id }.encode()
        })
        .collect();
    let next_cursor = if more { cursors.last().cloned() } else { None };
    Ok(Page {
        items: rows,
        next_cursor,
        total_count,
        cursors,
    })
}

/// The column that says when a row last changed: `updated_at`, or for a
/// row never changed once written, when it was (`created_at`,
/// `occurred_at`).
fn changed_at<E: EntityTrait>() -> DomainResult<E::Column> {
    ["updated_at", "created_at", "occurred_at"]
        .into_iter()
        .find_map(|name| E::Column::from_str(name).ok())
        .ok_or_else(|| DomainError::invalid("updated_since", "this list's rows do not say when they changed"))
}

/// A view that says when its row last changed, so that a list held whole
/// in memory (a plan's tasks, a region's units) answers `updated_since` as
/// [`fetch`] does: only the rows changed at or after the time.
pub trait Changed {
    fn changed_at(&self) -> DateTime<Utc>;

    /// Whether the row is in a list asked with `updated_since`.
    fn changed_since(&self, since: Option<DateTime<Utc>>) -> bool {
        since.is_none_or(|since| self.changed_at() >= since)
    }
}

/// Views whose rows say when they changed in `updated_at`, as [`changed_at`]
/// finds for their tables.
macro_rules! changed_at_updated_at {
    ($($view:ty),* $(,)?) => {
        $(impl Changed for $view {
            fn changed_at(&self) -> DateTime<Utc> {
                self.updated_at
            }
        })*
    };
}

changed_at_updated_at!(
    super::event::Event,
    super::pairing::Pairing,
    super::plan::Plan,
    super::region::Region,
    super::task::Task,
    super::task::Placed,
    super::unit::Unit,
);

/// A cursor key that is text.
pub fn text_value(key: &Value) -> Option<sea_orm::Value> {
    key.as_str().map(|s| s.to_owned().into())
}

/// A cursor key that is a UTC timestamp (RFC 3339).
pub fn timestamp_value(key: &Value) -> Option<sea_orm::Value> {
    key.as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&chrono::Utc).into())
}

/// A cursor key that is an integer.
pub fn int_value(key: &Value) -> Option<sea_orm::Value> {
    key.as_i64().and_then(|n| i32::try_from(n).ok()).map(Into::into)
}

/// A cursor key that is a calendar day (`2025-12-31`).
pub fn date_value(key: &Value) -> Option<sea_orm::Value> {
    key.as_str()
        .and_then(|s| s.parse::<chrono::NaiveDate>().ok())
        .map(Into::into)
}

/// A requested sort: a field name, `-` first for descending; `default`
/// when none is asked for. The keys are exact: an empty or padded one is
/// refused, as the API documents' enumeration says.
pub fn parse_sort<'a>(text: Option<&'a str>, default: &'a str, allowed: &[&str]) -> DomainResult<(&'a str, bool)> {
    let text = text.unwrap_or(default);
    let (field, descending) = match text.strip_prefix('-') {
        Some(field) => (field, true),
        None => (text, false),
    };
    if allowed.contains(&field) {
        Ok((field, descending))
    } else {
        Err(DomainError::invalid(
            "sort",
            Text::new("sort by one of: %{keys} (prefix `-` for descending)").arg("keys", allowed.join(", ")),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_junk_is_refused() {
        let cursor = Cursor {
            key: Value::String("区商务委".into()),
            id: Uuid::new_v4(),
        };
        assert_eq!(Cursor::decode(&cursor.encode()).expect("decode"), cursor);
        for junk in ["", "abc", "W10", "!!!"] {
            assert!(Cursor::decode(junk).is_err(), "{junk}");
        }
        assert!(PageRequest::new(Some(0), None).is_err());
        assert!(PageRequest::new(Some(201), None).is_err());
        assert_eq!(PageRequest::new(None, None).expect("default").limit, 50);
    }
}
