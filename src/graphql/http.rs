//! `POST /graphql` runs queries and mutations (a batch of a few at most);
//! `GET /graphql` is GraphiQL. Transport problems (a body too large, not
//! JSON, a bad token) answer 4xx with a GraphQL error body; everything else
//! answers 200 with `data` and `errors`.

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::{BatchRequest, BatchResponse, Data, ServerError};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::Extension;
use axum::body::Body;
use axum::extract::ws::{CloseFrame, Message, WebSocketUpgrade};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};

use super::batching::drive;
use super::context::RequestScope;
use super::limits::{BATCH_ENV, BODY_ENV, limit_error};
use super::{AppSchema, error, nulls};
use crate::AppState;
use crate::domain::{Caller, ErrorCode, Locale, Text};
use crate::http::extract::Authenticated;
use crate::infra::telemetry::Outcome;

/// A GraphQL-shaped error answer with a status.
fn refuse(status: StatusCode, error: ServerError) -> Response {
    let body = serde_json::json!({ "errors": [error] });
    let mut response = (status, axum::Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"xietong\", error=\"invalid_token\""),
        );
    }
    response
}

/// The caller of a request: none without an `Authorization` header (only
/// introspection then works), an error for a header that is not a valid token.
async fn caller_of(parts: &mut axum::http::request::Parts, state: &AppState) -> Result<Option<Caller>, Response> {
    if !parts.headers.contains_key(header::AUTHORIZATION) {
        return Ok(None);
    }
    match Authenticated::from_request_parts(parts, state).await {
        Ok(Authenticated(caller)) => Ok(Some(caller)),
        Err(problem) => Err(refuse(
            StatusCode::UNAUTHORIZED,
            error::server_error(ErrorCode::Unauthenticated, problem.detail),
        )),
    }
}

pub(super) async fn execute(
    State(state): State<AppState>,
    Extension(schema): Extension<AppSchema>,
    request: Request,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let limits = schema.limits();
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let multipart = essence == "multipart/form-data";
    if essence != "application/json" && !multipart {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            error::server_error(
                ErrorCode::UnsupportedMediaType,
                "send the request as `Content-Type: application/json`: {\"query\": …, \"variables\": …}, \
                 or as a GraphQL multipart request to upload a file"
                    .into(),
            ),
        );
    }
    // An upload may carry a whole task list; other requests stay small.
    let max_bytes = if multipart {
        crate::documents::table::MAX_FILE_BYTES + limits.max_body_bytes
    } else {
        limits.max_body_bytes
    };
    let bytes = match axum::body::to_bytes(Body::new(body), max_bytes).await {
        Ok(bytes) => bytes,
        Err(_) => {
            let mut error = error::server_error(
                ErrorCode::PayloadTooLarge,
                Text::new("the request is larger than %{max} bytes, the body size limit (%{setting})")
                    .arg("max", max_bytes)
                    .arg("setting", BODY_ENV)
                    .localized(),
            );
            if let Some(ext) = error.extensions.as_mut() {
                ext.set("limit", "body");
            }
            return refuse(StatusCode::PAYLOAD_TOO_LARGE, error);
        }
    };
    let parsed = if multipart {
        let options = async_graphql::http::MultipartOptions::default()
            .max_num_files(1)
            .max_file_size(crate::documents::table::MAX_FILE_BYTES);
        async_graphql::http::receive_batch_body(Some(content_type.as_str()), &bytes[..], options)
            .await
            .map_err(|e| e.to_string())
    } else {
        serde_json::from_slice::<BatchRequest>(&bytes).map_err(|e| e.to_string())
    };
    let batch: BatchRequest = match parsed {
        Ok(batch) => batch,
        Err(e) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                error::server_error(
                    ErrorCode::BadRequest,
                    Text::new("the body is not a GraphQL request ({\"query\": …} or a list of them): %{reason}")
                        .arg("reason", e)
                        .localized(),
                ),
            );
        }
    };
    // Refused before this when it is not `primary` (http/consistency.rs).
    let primary = crate::http::consistency::primary_asked(&parts.headers).unwrap_or(true);
    let caller = match caller_of(&mut parts, &state).await {
        Ok(caller) => caller,
        Err(refusal) => return refusal,
    };
    // Held until the answer is serialized: that is CPU work and memory too.
    let Ok(_turn) = schema.2.acquire().await else {
        return refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            error::server_error(
                ErrorCode::Unavailable,
                Text::new("the service is shutting down").localized(),
            ),
        );
    };
    let answer = match batch {
        BatchRequest::Single(request) => BatchResponse::Single(run(&schema, &state, caller, request, primary).await),
        BatchRequest::Batch(requests) => {
            if requests.len() > limits.max_batch {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    limit_error(
                        Text::new("the batch holds %{count} operations, over the batch limit of %{limit} (%{setting})")
                            .arg("count", requests.len())
                            .arg("limit", limits.max_batch)
                            .arg("setting", BATCH_ENV),
                        "batch",
                    ),
                );
            }
            let mut answers = Vec::with_capacity(requests.len());
            for request in requests {
                answers.push(run(&schema, &state, caller.clone(), request, primary).await);
            }
            BatchResponse::Batch(answers)
        }
    };
    axum::Json(error::with_codes(answer, limits)).into_response()
}

/// Runs one operation with its own loaders, its nulls as the
/// specification says ([`nulls`]). A query reads the replica when there is
/// one, unless the request asked for the `primary`; a mutation, and every
/// read inside it, the primary.
async fn run(
    schema: &AppSchema,
    state: &AppState,
    caller: Option<Caller>,
    request: async_graphql::Request,
    primary: bool,
) -> async_graphql::Response {
    let reading = (state.databases.replica.is_some() && !primary && reads_only(&request)).then(|| state.reading());
    let (scope, queue) = RequestScope::new(reading.as_ref().unwrap_or(state), caller);
    let (query, operation) = (request.query.clone(), request.operation_name.clone());
    let mut request = request.data(scope);
    if let Some(reading) = reading {
        // Resolvers reach the database through the state (context.rs).
        request = request.data(reading);
    }
    let mut response = drive(queue, schema.0.execute(request)).await;
    nulls::propagate(&schema.3, &query, operation.as_deref(), &mut response);
    let outcome = if response.errors.is_empty() {
        Outcome::Ok
    } else {
        Outcome::Error
    };
    state.metrics.graphql_operation(operation.as_deref(), &query, outcome);
    response
}

/// Whether the operation the request runs is a query (a mutation writes;
/// a document that does not parse runs nowhere).
fn reads_only(request: &async_graphql::Request) -> bool {
    use async_graphql::parser::types::{DocumentOperations, OperationType};
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    let operation = match (&document.operations, request.operation_name.as_deref()) {
        (DocumentOperations::Single(operation), _) => Some(operation),
        (DocumentOperations::Multiple(operations), Some(name)) => operations.get(name),
        (DocumentOperations::Multiple(_), None) => None,
    };
    operation.is_some_and(|operation| operation.node.ty == OperationType::Query)
}

/// `GET /graphql`: subscriptions when the request upgrades to WebSocket,
/// else GraphiQL.
pub(super) async fn get(
    State(state): State<AppState>,
    Extension(schema): Extension<AppSchema>,
    request: Request,
) -> Response {
    let (mut parts, _) = request.into_parts();
    let upgrade = parts
        .headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if !upgrade {
        return super::graphiql::page(&parts.headers).into_response();
    }
    let protocol = match GraphQLProtocol::from_request_parts(&mut parts, &()).await {
        Ok(protocol) => protocol,
        Err(status) => return status.into_response(),
    };
    let socket = match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
        Ok(socket) => socket,
        Err(rejection) => return rejection.into_response(),
    };
    // The connection lives on a task of its own: it keeps the language of
    // the request that opened it.
    let locale = Locale::current();
    socket
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            let (sink, stream) = socket.split();
            let sink = sink.with(|message| std::future::ready(Ok::<_, axum::Error>(transport_close(message))));
            locale.scope(
                GraphQLWebSocket::new_with_pair(sink, stream, schema.0.clone(), protocol)
                    .on_connection_init(move |payload| connection_init(state, payload))
                    .serve(),
            )
        })
        .into_response()
}

/// How a refused `connection_init`'s reason begins: graphql-transport-ws's
/// own word for close code 4403.
const FORBIDDEN: &str = "Forbidden";

/// graphql-transport-ws's close codes where the engine closes with 1002:
/// 4403 for a refused `connection_init` (its reason begins with
/// [`FORBIDDEN`]), 4400 for a message that is not the protocol's. A reason
/// is cut to the 123 bytes a close frame carries.
fn transport_close(message: Message) -> Message {
    let Message::Close(Some(frame)) = message else {
        return message;
    };
    if frame.code != 1002 {
        return Message::Close(Some(frame));
    }
    let code = if frame.reason.as_str().starts_with(FORBIDDEN) {
        4403
    } else {
        4400
    };
    let mut reason = frame.reason.as_str().to_owned();
    if reason.len() > 123 {
        let mut end = 123;
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        reason.truncate(end);
    }
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }))
}

/// The caller of a WebSocket connection, from the token in its
/// `connection_init` payload: `{"Authorization": "Bearer …"}`.
async fn connection_init(state: AppState, payload: serde_json::Value) -> async_graphql::Result<Data> {
    let header = ["Authorization", "authorization"]
        .iter()
        .find_map(|name| payload.get(*name).and_then(|v| v.as_str()))
        .unwrap_or_default();
    // The reason begins with the protocol's word, in English, whatever
    // the language: `transport_close` reads it.
    let refused = |why: Text| {
        error::coded(
            ErrorCode::Unauthenticated,
            format!("{FORBIDDEN}: {}", why.localized()),
            &[],
        )
    };
    let token = crate::http::extract::bearer_of(header).ok_or_else(|| {
        refused(Text::new(
            "send {\"Authorization\": \"Bearer <access token>\"} in connection_init",
        ))
    })?;
    let principal = state.keys.verify(token).map_err(|e| refused(e.text()))?;
    // On the primary, even when this request came to the replica's
    // handlers: a subscription follows the primary's log of changes, and
    // reads what changed where it changed.
    let state = state.on_primary();
    let mut data = Data::default();
    data.insert(RequestScope::spawned(&state, Caller::new(principal)));
    data.insert(state);
    Ok(data)
}
