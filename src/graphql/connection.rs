//! Relay connections over the one pagination of the domain
//! (`domain::page`): `first`/`after` is the domain's own seek; `last`/
//! `before` asks the domain for the same list in the opposite order, after
//! the `before` row, and turns the page around. Cursors are the domain's.

use async_graphql::{Context, SimpleObject};

use super::error::invalid;
use super::limits::Limits;
use crate::domain::Text;
use crate::domain::page::{Changed, Cursor, DEFAULT_LIMIT, MAX_LIMIT, Page, PageRequest};

/// Where a page of a connection is (Relay `PageInfo`).
#[derive(SimpleObject, Clone, Debug, Default)]
pub struct PageInfo {
    /// Whether items follow this page in the list's order.
    pub has_next_page: bool,
    /// Whether items come before this page in the list's order.
    pub has_previous_page: bool,
    /// The cursor of the first item of the page.
    pub start_cursor: Option<String>,
    /// The cursor of the last item of the page.
    pub end_cursor: Option<String>,
}

/// The pagination arguments of a connection field.
#[derive(Clone, Debug, Default)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
    /// Only the rows changed at or after this time.
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// The complexity of a connection field: its page size times what each item costs.
pub fn cost(first: Option<i32>, last: Option<i32>, child_complexity: usize) -> usize {
    let size = first
        .or(last)
        .map_or(DEFAULT_LIMIT as usize, |n| n.clamp(1, MAX_LIMIT as i32) as usize);
    size.saturating_mul(child_complexity).saturating_add(1)
}

/// A page as the domain is asked for it, and how to show it.
#[derive(Clone, Debug)]
pub struct Paging {
    pub request: PageRequest,
    /// The sort to hand the domain: the one asked for, reversed when paging backward.
    pub sort: Option<String>,
    backward: bool,
}

impl Paging {
    pub fn sort(&self) -> Option<&str> {
        self.sort.as_deref()
    }
}

fn decode(field: &str, text: &str) -> async_graphql::Result<Cursor> {
    Cursor::decode(text).map_err(|_| invalid(field, "not a cursor this service gave out"))
}

impl PageArgs {
    pub fn new(first: Option<i32>, after: Option<String>, last: Option<i32>, before: Option<String>) -> PageArgs {
        PageArgs {
            first,
            after,
            last,
            before,
            updated_since: None,
        }
    }

    /// The same arguments for the rows changed at or after `since`.
    pub fn since(self, since: Option<chrono::DateTime<chrono::Utc>>) -> PageArgs {
        PageArgs {
            updated_since: since,
            ..self
        }
    }

    fn size(&self, ctx: &Context<'_>) -> async_graphql::Result<(u64, bool)> {
        let max = ctx.data_opt::<Limits>().map_or(MAX_LIMIT, |l| l.max_page_size);
        let check = |field: &str, n: i32| -> async_graphql::Result<u64> {
            u64::try_from(n).ok().filter(|n| (1..=max).contains(n)).ok_or_else(|| {
                invalid(
                    field,
                    Text::new("must be between 1 and %{max} (the page size limit)").arg("max", max),
                )
            })
        };
        match (self.first, self.last) {
            (Some(_), Some(_)) => Err(invalid("last", "give first or last, not both")),
            (Some(n), None) => Ok((check("first", n)?, false)),
            (None, Some(n)) => Ok((check("last", n)?, true)),
            (None, None) => Ok((DEFAULT_LIMIT.min(max), self.before.is_some())),
        }
    }

    /// The domain request for a list sorted by `sort` (the domain's
    /// default when none).
    pub fn paging(&self, ctx: &Context<'_>, sort: Option<&str>, default_sort: &str) -> async_graphql::Result<Paging> {
        let (limit, backward) = self.size(ctx)?;
        let asked = sort.map(str::trim).filter(|s| !s.is_empty()).unwrap_or(default_sort);
        if backward {
            if self.after.is_some() {
                return Err(invalid(
                    "after",
                    "page backward with last and before, forward with first and after",
                ));
            }
            let reversed = match asked.strip_prefix('-') {
                Some(plain) => plain.to_owned(),
                None => format!("-{asked}"),
            };
            let after = self.before.as_deref().map(|c| decode("before", c)).transpose()?;
            Ok(Paging {
                request: PageRequest {
                    limit,
                    after,
                    updated_since: self.updated_since,
                },
                sort: Some(reversed),
                backward: true,
            })
        } else {
            if self.before.is_some() {
                return Err(invalid(
                    "before",
                    "page backward with last and before, forward with first and after",
                ));
            }
            let after = self.after.as_deref().map(|c| decode("after", c)).transpose()?;
            Ok(Paging {
                request: PageRequest {
                    limit,
                    after,
                    updated_since: self.updated_since,
                },
                sort: Some(asked.to_owned()),
                backward: false,
            })
        }
    }

    /// The domain request for a list that has one fixed order (`field`):
    /// such lists page forward only.
    pub fn forward_only(&self, ctx: &Context<'_>, field: &str) -> async_graphql::Result<Paging> {
        if self.last.is_some() || self.before.is_some() {
            return Err(invalid("last", "this list pages forward only: use first and after"));
        }
        let mut paging = self.paging(ctx, None, field)?;
        paging.sort = None;
        Ok(paging)
    }
}

/// One page, ready to show: items with their cursors.
pub struct Built<N> {
    pub edges: Vec<(String, N)>,
    pub page_info: PageInfo,
    pub total_count: u64,
}

impl<N> Built<N> {
    /// The page with each node made into another (a view loaded for its
    /// id); a node that cannot be made (its row went meanwhile) leaves the
    /// page.
    pub fn filter_map<M>(self, mut made: impl FnMut(N) -> Option<M>) -> Built<M> {
        let edges: Vec<(String, M)> = self
            .edges
            .into_iter()
            .filter_map(|(cursor, node)| made(node).map(|m| (cursor, m)))
            .collect();
        Built {
            page_info: PageInfo {
                start_cursor: edges.first().map(|(c, _)| c.clone()),
                end_cursor: edges.last().map(|(c, _)| c.clone()),
                ..self.page_info
            },
            edges,
            total_count: self.total_count,
        }
    }
}

/// Shows a domain page fetched for `paging`.
pub fn build<T, N>(paging: &Paging, page: Page<T>, node: impl Fn(T) -> N) -> Built<N> {
    let more = page.next_cursor.is_some();
    let mut edges: Vec<(String, N)> = page
        .cursors
        .into_iter()
        .zip(page.items)
        .map(|(cursor, item)| (cursor, node(item)))
        .collect();
    if paging.backward {
        edges.reverse();
    }
    let had_cursor = paging.request.after.is_some();
    let page_info = PageInfo {
        has_next_page: if paging.backward { had_cursor } else { more },
        has_previous_page: if paging.backward { more } else { had_cursor },
        start_cursor: edges.first().map(|(c, _)| c.clone()),
        end_cursor: edges.last().map(|(c, _)| c.clone()),
    };
    Built {
        edges,
        page_info,
        total_count: page.total_count,
    }
}

/// Shows a page of a list held whole in memory (a plan's tasks, loaded in
/// one batch for every plan of the query), in its own order, of the items
/// changed since `updatedSince` when asked; `cursor` is an item's cursor in
/// that order, as the domain spells it.
pub fn slice<T: Changed, N>(
    ctx: &Context<'_>,
    args: &PageArgs,
    field: &str,
    mut all: Vec<T>,
    cursor: impl Fn(&T) -> Cursor,
    node: impl Fn(T) -> N,
) -> async_graphql::Result<Built<N>> {
    let paging = args.paging(ctx, None, field)?;
    let since = paging.request.updated_since;
    all.retain(|item| item.changed_since(since));
    let total_count = all.len() as u64;
    let limit = usize::try_from(paging.request.limit).unwrap_or(usize::MAX);
    let position = |after: &Cursor, name: &str| {
        all.iter()
            .position(|item| cursor(item).id == after.id)
            .ok_or_else(|| invalid(name, "not a cursor of this list"))
    };
    let (start, end) = if paging.backward {
        let end = match &paging.request.after {
            Some(cursor) => position(cursor, "before")?,
            None => all.len(),
        };
        (end.saturating_sub(limit), end)
    } else {
        let start = match &paging.request.after {
            Some(cursor) => position(cursor, "after")? + 1,
            None => 0,
        };
        (start, (start + limit).min(all.len()))
    };
    let has_previous_page = start > 0;
    let has_next_page = end < all.len();
    let edges: Vec<(String, N)> = all
        .into_iter()
        .skip(start)
        .take(end.saturating_sub(start))
        .map(|item| (cursor(&item).encode(), node(item)))
        .collect();
    Ok(Built {
        page_info: PageInfo {
            has_next_page,
            has_previous_page,
            start_cursor: edges.first().map(|(c, _)| c.clone()),
            end_cursor: edges.last().map(|(c, _)| c.clone()),
        },
        edges,
        total_count,
    })
}

/// One page of what a loader finds under one parent (a region's units, a
/// pairing's plans): every parent of the query level loads at once, each
/// pages in memory as [`slice`] does.
pub async fn children<K, T, N>(
    ctx: &Context<'_>,
    key: K,
    args: &PageArgs,
    field: &str,
    cursor: impl Fn(&T) -> Cursor,
    node: impl Fn(T) -> N,
) -> async_graphql::Result<Built<N>>
where
    super::loaders::DomainLoader: async_graphql::dataloader::Loader<K, Value = Vec<T>, Error = async_graphql::Error>,
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    T: Changed + Send + Sync + Clone + 'static,
{
    let all = super::context::loader(ctx)?.load_one(key).await?.unwrap_or_default();
    slice(ctx, args, field, all, cursor, node)
}

/// Declares the connection and edge types of a node type.
macro_rules! connection {
    ($(#[$doc:meta])* $connection:ident, $edge:ident, $node:ty, $edge_doc:literal) => {
        $(#[$doc])*
        pub struct $connection(pub $crate::graphql::connection::Built<$node>);

        $(#[$doc])*
        #[async_graphql::Object]
        impl $connection {
            /// The items of this page, each with its cursor.
            async fn edges(&self) -> Vec<$edge<'_>> {
                self.0.edges.iter().map(|(cursor, node)| $edge { cursor, node }).collect()
            }

            /// The items of this page.
            async fn nodes(&self) -> Vec<&$node> {
                self.0.edges.iter().map(|(_, node)| node).collect()
            }

            /// Where this page is in the list.
            async fn page_info(&self) -> &$crate::graphql::connection::PageInfo {
                &self.0.page_info
            }

            /// How many items the whole list has, over all pages.
            async fn total_count(&self) -> u64 {
                self.0.total_count
            }
        }

        #[doc = $edge_doc]
        pub struct $edge<'a> {
            cursor: &'a str,
            node: &'a $node,
        }

        #[doc = $edge_doc]
        #[async_graphql::Object]
        impl<'a> $edge<'a> {
            /// Pass as `after` (or `before`) to page on from this item.
            async fn cursor(&self) -> &str {
                self.cursor
            }

            /// The item.
            async fn node(&self) -> &$node {
                self.node
            }
        }
    };
}

pub(crate) use connection;
