//! Long lists resolved in place. async-graphql resolves every field of
//! every object as a boxed future in a `FuturesUnordered` and joins the
//! items of a list the same way; on a dashboard's 1,200 reports with their
//! values that machinery took a fifth of the query's CPU (BENCHMARKS.md,
//! "What holds it back"; resolving in place gave +6–12 %). An [`Eager`] list first resolves each item's
//! selected fields one after the other, polling each resolver once: a
//! field read from the item itself is ready at once. If any field has to
//! wait (on a loader), the attempt is dropped and the list takes the usual
//! concurrent way, so its loads still batch. The answer is the same either
//! way, including `__typename`, aliases, fragments and errors. (Fields
//! resolved in place pass no schema extension; the schema registers none.)

use std::borrow::Cow;

use async_graphql::futures_util::FutureExt;
use async_graphql::indexmap::IndexMap;
use async_graphql::indexmap::map::Entry;
use async_graphql::parser::types::{Field, Selection};
use async_graphql::registry::Registry;
use async_graphql::resolver_utils::resolve_list;
use async_graphql::{ContainerType, ContextSelectionSet, Name, OutputType, Positioned, ServerResult, Value};

/// A list of objects, resolved in place when none of their selected fields
/// waits. In the schema it is the same as `Vec<T>`: `[T!]!`.
pub struct Eager<T>(pub Vec<T>);

impl<T> FromIterator<T> for Eager<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        Eager(items.into_iter().collect())
    }
}

impl<T: OutputType + ContainerType> OutputType for Eager<T> {
    fn type_name() -> Cow<'static, str> {
        Vec::<T>::type_name()
    }

    fn qualified_type_name() -> String {
        Vec::<T>::qualified_type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        Vec::<T>::create_type_info(registry)
    }

    async fn resolve(&self, ctx: &ContextSelectionSet<'_>, field: &Positioned<Field>) -> ServerResult<Value> {
        if let Some(list) = in_place(ctx, &self.0) {
            #[cfg(test)]
            tests::IN_PLACE.with(|n| n.set(n.get() + 1));
            return list;
        }
        resolve_list(ctx, field, &self.0, Some(self.0.len())).await
    }
}

/// The list resolved in place, or `None` (and nothing reported) when a
/// field of one of its items waits.
fn in_place<T: ContainerType>(ctx: &ContextSelectionSet<'_>, items: &[T]) -> Option<ServerResult<Value>> {
    let reported = ctx.query_env.errors.lock().map_or(0, |errors| errors.len());
    let mut list = Vec::with_capacity(items.len());
    for (idx, item) in items.iter().enumerate() {
        let ctx_idx = ctx.with_index(idx);
        let mut fields = IndexMap::with_capacity(ctx.item.node.items.len());
        match object(&ctx_idx, item, &mut fields) {
            Some(Ok(())) => list.push(if fields.is_empty() {
                Value::Null
            } else {
                Value::Object(fields)
            }),
            Some(Err(error)) => return Some(Err(ctx_idx.set_error_path(error))),
            None => {
                // Forget what the attempt reported: the usual way reports it again.
                if let Ok(mut errors) = ctx.query_env.errors.lock() {
                    errors.truncate(reported);
                }
                return None;
            }
        }
    }
    Some(Ok(Value::List(list)))
}

/// The fields selected on `root` (through fragments too) into `out`, as
/// async-graphql's own container resolution would give them; `None` when
/// one of them waits or carries a custom directive.
fn object<T: ContainerType + ?Sized>(
    ctx: &ContextSelectionSet<'_>,
    root: &T,
    out: &mut IndexMap<Name, Value>,
) -> Option<ServerResult<()>> {
    for selection in &ctx.item.node.items {
        let (condition, selection_set) = match &selection.node {
            Selection::Field(field) => {
                if !field.node.directives.is_empty() {
                    return None;
                }
                let key = field.node.response_key().node.clone();
                if field.node.name.node == "__typename" {
                    merge(out, key, Value::String(root.introspection_type_name().into_owned()));
                    continue;
                }
                let ctx_field = ctx.with_field(field);
                match root.resolve_field(&ctx_field).now_or_never()? {
                    Ok(value) => merge(out, key, value.unwrap_or_default()),
                    // As async-graphql does: the field is left out and its error reported.
                    Err(error) => ctx.add_error(error),
                }
                continue;
            }
            Selection::FragmentSpread(spread) => {
                let Some(fragment) = ctx.query_env.fragments.get(&spread.node.fragment_name.node) else {
                    return Some(Err(async_graphql::ServerError::new(
                        format!(r#"Unknown fragment "{}"."#, spread.node.fragment_name.node),
                        Some(spread.pos),
                    )));
                };
                (
                    Some(&fragment.node.type_condition.node.on.node),
                    &fragment.node.selection_set,
                )
            }
            Selection::InlineFragment(fragment) => (
                fragment.node.type_condition.as_ref().map(|c| &c.node.on.node),
                &fragment.node.selection_set,
            ),
        };
        let name = root.introspection_type_name();
        let applies = condition.is_none_or(|on| {
            on.as_str() == name
                || ctx
                    .schema_env
                    .registry
                    .implements
                    .get(name.as_ref())
                    .is_some_and(|interfaces| interfaces.contains(on.as_str()))
        });
        if applies && let Err(error) = object(&ctx.with_selection_set(selection_set), root, out)? {
            return Some(Err(error));
        }
    }
    Some(Ok(()))
}

/// Adds a field's value under its response key; a key selected twice (by
/// a fragment and by the field itself) keeps its first value and merges
/// the objects under it, as async-graphql does.
fn merge(target: &mut IndexMap<Name, Value>, key: Name, value: Value) {
    let previous = match target.entry(key) {
        Entry::Vacant(entry) => {
            entry.insert(value);
            return;
        }
        Entry::Occupied(entry) => entry.into_mut(),
    };
    match (previous, value) {
        (Value::Object(into), Value::Object(from)) => merge_all(into, from),
        (Value::List(into), Value::List(from)) => {
            for (into, from) in into.iter_mut().zip(from) {
                if let (Value::Object(into), Value::Object(from)) = (into, from) {
                    merge_all(into, from);
                }
            }
        }
        _ => {}
    }
}

fn merge_all(into: &mut IndexMap<Name, Value>, from: IndexMap<Name, Value>) {
    for (key, value) in from {
        merge(into, key, value);
    }
}

/// What this module takes from async-graphql's `#[doc(hidden)]` context API
/// (`with_field`, `with_index`, `query_env`) is pinned by the exact version
/// in Cargo.toml. These tests fail loudly if another version resolves lists
/// differently or never in place.
#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema};

    use super::Eager;

    thread_local! {
        /// Lists resolved in place on this thread.
        pub static IN_PLACE: Cell<usize> = const { Cell::new(0) };
    }

    #[derive(Clone)]
    struct Item {
        name: String,
        rank: i32,
    }

    #[Object]
    impl Item {
        async fn name(&self) -> &str {
            &self.name
        }
        async fn rank(&self) -> i32 {
            self.rank
        }
        /// A field that waits, as one on a loader does.
        async fn later(&self) -> i32 {
            tokio::task::yield_now().await;
            self.rank * 10
        }
    }

    struct Query;

    #[Object]
    impl Query {
        async fn eager(&self) -> Eager<Item> {
            items().into_iter().collect()
        }
        async fn usual(&self) -> Vec<Item> {
            items()
        }
    }

    fn items() -> Vec<Item> {
        ["渝中区", "巫溪县"]
            .iter()
            .zip(1..)
            .map(|(name, rank)| Item {
                name: (*name).to_owned(),
                rank,
            })
            .collect()
    }

    fn run(query: &str) -> serde_json::Value {
        let schema = Schema::new(Query, EmptyMutation, EmptySubscription);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        let answer = runtime.block_on(schema.execute(query));
        assert!(answer.errors.is_empty(), "{:?}", answer.errors);
        answer.data.into_json().expect("json")
    }

    #[test]
    fn a_list_of_ready_fields_resolves_in_place_and_answers_as_usual() {
        let selection = "{ __typename x: name ...F ... on Item { rank name } }";
        let fragment = "fragment F on Item { rank }";
        let before = IN_PLACE.with(Cell::get);
        let eager = run(&format!("{{ list: eager {selection} }} {fragment}"));
        assert_eq!(
            IN_PLACE.with(Cell::get),
            before + 1,
            "the list was not resolved in place"
        );
        let usual = run(&format!("{{ list: usual {selection} }} {fragment}"));
        assert_eq!(eager, usual);
        assert_eq!(
            eager["list"][1],
            serde_json::json!({"__typename": "Item", "x": "巫溪县", "rank": 2, "name": "巫溪县"})
        );
    }

    #[test]
    fn a_field_that_waits_takes_the_usual_way() {
        let before = IN_PLACE.with(Cell::get);
        let eager = run("{ eager { name later } }");
        assert_eq!(
            IN_PLACE.with(Cell::get),
            before,
            "a waiting field was resolved in place"
        );
        assert_eq!(eager, run("{ eager: usual { name later } }"));
        assert_eq!(eager["eager"][1], serde_json::json!({"name": "巫溪县", "later": 20}));
    }

    #[test]
    fn skipped_and_included_fields_answer_as_usual() {
        for query in [
            "{ list: eager { name @include(if: false) rank } }",
            "{ list: eager { name @skip(if: true) rank @include(if: true) } }",
        ] {
            assert_eq!(run(query), run(&query.replace("eager", "usual")), "{query}");
        }
    }
}
