//! Null propagation as the GraphQL specification says it ("Handling Field
//! Errors"): a field that fails is `null` in the answer, and when its type
//! is non-null its parent field is `null` instead, up to the nearest
//! nullable field, or `data` itself. async-graphql 7.2 leaves a failed
//! field out of its object and keeps the parent, so `{ me task(id: "…") { id } }`
//! answered `{"me": …}` without `task` although `task` is `Task!`. Each
//! answer that holds errors with a path is mended here from the schema's
//! declared types and the operation's selections.

use std::collections::HashMap;

use async_graphql::parser::types::{
    BaseType, DocumentOperations, ExecutableDocument, OperationDefinition, OperationType, Selection, SelectionSet,
    Type, TypeKind, TypeSystemDefinition,
};
use async_graphql::{Name, PathSegment, Response, Value};

/// The declared type of every field of every object and interface.
#[derive(Debug, Default)]
pub struct Shapes {
    fields: HashMap<(String, String), Type>,
}

impl Shapes {
    /// The shapes of the schema whose SDL is `sdl`.
    pub fn of_sdl(sdl: &str) -> Shapes {
        let mut fields = HashMap::new();
        let Ok(document) = async_graphql::parser::parse_schema(sdl) else {
            return Shapes::default();
        };
        for definition in document.definitions {
            let TypeSystemDefinition::Type(ty) = definition else {
                continue;
            };
            let ty = ty.node;
            let declared = match ty.kind {
                TypeKind::Object(object) => object.fields,
                TypeKind::Interface(interface) => interface.fields,
                _ => continue,
            };
            for field in declared {
                fields.insert(
                    (ty.name.node.to_string(), field.node.name.node.to_string()),
                    field.node.ty.node,
                );
            }
        }
        Shapes { fields }
    }

    fn field(&self, owner: &str, name: &str) -> Option<&Type> {
        self.fields.get(&(owner.to_owned(), name.to_owned()))
    }
}

/// Mends `response` to the specification's nulls; `query` and
/// `operation_name` are the request's.
pub fn propagate(shapes: &Shapes, query: &str, operation_name: Option<&str>, response: &mut Response) {
    if !response.errors.iter().any(|e| !e.path.is_empty()) {
        return;
    }
    let Ok(document) = async_graphql::parser::parse_query(query) else {
        return;
    };
    let Some(operation) = operation_of(&document, operation_name) else {
        return;
    };
    let root = match operation.ty {
        OperationType::Query => "Query",
        OperationType::Mutation => "Mutation",
        OperationType::Subscription => "Subscription",
    };
    let walk = Walk {
        shapes,
        document: &document,
    };
    let mut nulls = Vec::new();
    for error in &response.errors {
        if error.path.is_empty() {
            continue;
        }
        let Some(nullable) = walk.nullability(root, &operation.selection_set.node, &error.path) else {
            continue;
        };
        match nullable.iter().rposition(|n| *n) {
            // Non-null up to the root: no data at all.
            None => {
                response.data = Value::Null;
                return;
            }
            Some(at) => nulls.push(&error.path[..=at]),
        }
    }
    for path in nulls {
        set_null(&mut response.data, path);
    }
}

fn operation_of<'a>(document: &'a ExecutableDocument, name: Option<&str>) -> Option<&'a OperationDefinition> {
    match (&document.operations, name) {
        (DocumentOperations::Single(op), _) => Some(&op.node),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| &op.node),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next().map(|op| &op.node),
        _ => None,
    }
}

struct Walk<'a> {
    shapes: &'a Shapes,
    document: &'a ExecutableDocument,
}

impl<'a> Walk<'a> {
    /// Whether each step of `path` may be null: a field by its declared
    /// type, a list item by its list's item type. None when the path does
    /// not follow the operation (an introspection field, say).
    fn nullability(&self, root: &str, selection: &'a SelectionSet, path: &[PathSegment]) -> Option<Vec<bool>> {
        let mut sets = vec![(root.to_owned(), selection)];
        let mut current: Option<&Type> = None;
        let mut out = Vec::with_capacity(path.len());
        for segment in path {
            match segment {
                PathSegment::Field(key) => {
                    let mut found: Option<&Type> = None;
                    let mut next = Vec::new();
                    for (owner, set) in &sets {
                        self.matches(owner, set, key, &mut |owner, field| {
                            if let Some(ty) = self.shapes.field(owner, &field.name.node) {
                                found.get_or_insert(ty);
                                next.push((named(ty).to_owned(), &field.selection_set.node));
                            }
                        });
                    }
                    let ty = found?;
                    out.push(ty.nullable);
                    current = Some(ty);
                    sets = next;
                }
                PathSegment::Index(_) => {
                    let BaseType::List(item) = &current?.base else {
                        return None;
                    };
                    out.push(item.nullable);
                    current = Some(item);
                }
            }
        }
        Some(out)
    }

    /// Calls `found` with each field of `set` (on type `owner`, through
    /// fragments) whose response key is `key`, and the type it is on.
    fn matches(
        &self,
        owner: &str,
        set: &'a SelectionSet,
        key: &str,
        found: &mut dyn FnMut(&str, &'a async_graphql::parser::types::Field),
    ) {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) if field.node.response_key().node == key => found(owner, &field.node),
                Selection::Field(_) => {}
                Selection::FragmentSpread(spread) => {
                    if let Some(fragment) = self.document.fragments.get(&spread.node.fragment_name.node) {
                        let on = fragment.node.type_condition.node.on.node.to_string();
                        self.matches(&on, &fragment.node.selection_set.node, key, found);
                    }
                }
                Selection::InlineFragment(inline) => {
                    let on = inline
                        .node
                        .type_condition
                        .as_ref()
                        .map_or_else(|| owner.to_owned(), |c| c.node.on.node.to_string());
                    self.matches(&on, &inline.node.selection_set.node, key, found);
                }
            }
        }
    }
}

/// The named type inside any lists.
fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(name) => name.as_str(),
        BaseType::List(item) => named(item),
    }
}

/// Sets the value at `path` to null: a missing field of an object that
/// is there is added as null; under a parent already null nothing changes.
fn set_null(data: &mut Value, path: &[PathSegment]) {
    let Some((last, parents)) = path.split_last() else {
        *data = Value::Null;
        return;
    };
    let mut at = data;
    if parents.is_empty() && matches!(at, Value::Null) {
        // Every root field failed; the others are null by now too.
        *at = Value::Object(Default::default());
    }
    for segment in parents {
        at = match (segment, at) {
            (PathSegment::Field(key), Value::Object(map)) => match map.get_mut(key.as_str()) {
                Some(value) => value,
                None => return,
            },
            (PathSegment::Index(i), Value::List(items)) => match items.get_mut(*i) {
                Some(value) => value,
                None => return,
            },
            _ => return,
        };
    }
    match (last, at) {
        (PathSegment::Field(key), Value::Object(map)) => {
            map.insert(Name::new(key), Value::Null);
        }
        (PathSegment::Index(i), Value::List(items)) => {
            if let Some(item) = items.get_mut(*i) {
                *item = Value::Null;
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::Shapes;

    #[test]
    fn the_schema_s_shapes_are_read() {
        let shapes = Shapes::of_sdl(&crate::graphql::sdl());
        assert_eq!(shapes.field("Query", "task").map(|t| t.nullable), Some(true));
        assert_eq!(shapes.field("Task", "plan").map(|t| t.nullable), Some(false));
        assert_eq!(shapes.field("Node", "id").map(|t| t.nullable), Some(false));
        assert_eq!(
            shapes.field("PlanConnection", "edges").map(|t| t.to_string()),
            Some("[PlanEdge!]!".to_owned())
        );
    }
}
