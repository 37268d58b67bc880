//! Domain errors as GraphQL errors: the stable code of CONTRACT.md in
//! `extensions.code`, per-field messages in `extensions.errors`.

use async_graphql::{Error, ErrorExtensions, ServerError};

use super::limits::{Limits, name_limit_error};
use crate::domain::{DomainError, ErrorCode, FieldError, PublicError, Text};

/// A GraphQL error with `code` (and field errors) in its extensions.
/// The message is told in the language of the request being served.
pub fn coded(code: ErrorCode, message: impl Into<Text>, fields: &[FieldError]) -> Error {
    Error::new(message.into().localized()).extend_with(|_, ext| {
        ext.set("code", code.as_str());
        if !fields.is_empty() {
            let list: Vec<async_graphql::Value> = fields
                .iter()
                .map(|f| {
                    let mut entry = async_graphql::indexmap::IndexMap::new();
                    entry.insert(
                        async_graphql::Name::new("field"),
                        async_graphql::Value::from(f.field.as_str()),
                    );
                    entry.insert(
                        async_graphql::Name::new("message"),
                        async_graphql::Value::from(f.message.as_str()),
                    );
                    async_graphql::Value::Object(entry)
                })
                .collect();
            ext.set("errors", async_graphql::Value::List(list));
        }
    })
}

/// One invalid argument, as a validation failure.
pub fn invalid(field: &str, message: impl Into<Text>) -> Error {
    from_domain(DomainError::invalid(field, message))
}

/// The error of a domain call, as the REST problem would carry it, its
/// fields named as GraphQL names them (`overdue_limit` → `overdueLimit`,
/// `targets[0].value_max` → `targets[0].valueMax`).
pub fn from_domain(err: DomainError) -> Error {
    let mut public = PublicError::from(err);
    let mut renamed: Vec<(String, String)> = Vec::new();
    for f in &mut public.fields {
        let named = graphql_name(&f.field);
        if named != f.field {
            renamed.push((std::mem::replace(&mut f.field, named.clone()), named));
        }
    }
    // The longest first: `unit_id` must not rename inside `parent_unit_id`.
    renamed.sort_by_key(|(rest, _)| std::cmp::Reverse(rest.len()));
    for (rest, named) in renamed {
        public.message = public.message.replace(&format!("{rest}: "), &format!("{named}: "));
    }
    coded(public.code, public.message, &public.fields)
}

/// A REST field path (snake_case) in GraphQL's names (camelCase).
fn graphql_name(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut upper = false;
    for c in field.chars() {
        match c {
            '_' if !out.is_empty() && !out.ends_with(['.', '[']) => upper = true,
            c if upper => {
                out.extend(c.to_uppercase());
                upper = false;
            }
            c => out.push(c),
        }
    }
    out
}

/// A request-level error (a limit, a refused token) with its code.
pub fn server_error(code: ErrorCode, message: String) -> ServerError {
    let mut error = ServerError::new(message, None);
    let mut extensions = async_graphql::ErrorExtensionValues::default();
    extensions.set("code", code.as_str());
    error.extensions = Some(extensions);
    error
}

/// Turns a domain result into a GraphQL result.
pub trait DomainResultExt<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> DomainResultExt<T> for Result<T, DomainError> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(from_domain)
    }
}

/// Gives every error of an answer a code: the service's own errors carry
/// theirs; those of parsing and validation (a syntax error, an unknown
/// field, a variable of the wrong type) are `BAD_REQUEST`; the depth and
/// complexity limits name themselves.
pub fn with_codes(answer: async_graphql::BatchResponse, limits: Limits) -> async_graphql::BatchResponse {
    let fix = |mut response: async_graphql::Response| -> async_graphql::Response {
        for error in &mut response.errors {
            name_limit_error(error, limits);
            let extensions = error.extensions.get_or_insert_with(Default::default);
            if extensions.get("code").is_none() {
                extensions.set("code", ErrorCode::BadRequest.as_str());
            }
        }
        response
    };
    match answer {
        async_graphql::BatchResponse::Single(r) => async_graphql::BatchResponse::Single(fix(r)),
        async_graphql::BatchResponse::Batch(list) => {
            async_graphql::BatchResponse::Batch(list.into_iter().map(fix).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::graphql_name;

    #[test]
    fn rest_paths_become_graphql_names() {
        assert_eq!(graphql_name("overdue_limit"), "overdueLimit");
        assert_eq!(graphql_name("targets[0].value_max"), "targets[0].valueMax");
        assert_eq!(graphql_name("reporting.remind_days"), "reporting.remindDays");
        assert_eq!(graphql_name("values[2].unit"), "values[2].unit");
        assert_eq!(graphql_name("pairingId"), "pairingId");
        assert_eq!(graphql_name("If-Match"), "If-Match");
    }
}
