//! `/healthz` (the process is up) and `/readyz` (the database answers).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::problem::Problem;
use crate::AppState;
use crate::domain::error::UNREACHABLE_RETRY_AFTER_SECS;
use crate::domain::{ErrorCode, Locale, Text};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// 200 with `{"status":"ok","database":"ok"}` when the database answers,
/// and with a replica (`DATABASE_READ_URL`) its lag behind the primary:
/// `"replica":{"status":"ok","lag_bytes":…,"lag_seconds":…}`. Otherwise
/// 503, a problem with code `UNAVAILABLE`, `Retry-After`, and
/// `"database":"unreachable"` (or `"replica":"unreachable"`) as an
/// extension member.
async fn readyz(State(state): State<AppState>) -> Response {
    let databases = &state.databases;
    if !crate::db::ping(&databases.primary).await {
        return unavailable(
            Text::new("the database does not answer"),
            json!({ "database": "unreachable" }),
        );
    }
    let Some(replica) = &databases.replica else {
        return (StatusCode::OK, Json(json!({ "status": "ok", "database": "ok" }))).into_response();
    };
    match crate::db::replica_lag(&databases.primary, replica).await {
        Ok(lag) => {
            let mut report = serde_json::to_value(lag).unwrap_or_else(|_| json!({}));
            report["status"] = json!("ok");
            let body = json!({ "status": "ok", "database": "ok", "replica": report });
            (StatusCode::OK, Json(body)).into_response()
        }
        Err(err) => {
            tracing::warn!(error = %err, "the read replica does not answer");
            unavailable(
                Text::new("the read replica does not answer"),
                json!({ "database": "ok", "replica": "unreachable" }),
            )
        }
    }
}

/// A 503 problem with `members` beside its own.
fn unavailable(detail: Text, members: Value) -> Response {
    let code = ErrorCode::Unavailable;
    let problem = Problem {
        r#type: "about:blank".to_owned(),
        title: code.title_in(Locale::current()),
        status: code.http_status(),
        detail: detail.localized(),
        code: code.as_str().to_owned(),
        errors: None,
        report: None,
    };
    let mut body = serde_json::to_value(problem).unwrap_or_else(|_| json!({}));
    if let (Some(body), Value::Object(members)) = (body.as_object_mut(), members) {
        body.extend(members);
    }
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [
            (header::CONTENT_TYPE, "application/problem+json".to_owned()),
            (header::RETRY_AFTER, UNREACHABLE_RETRY_AFTER_SECS.to_string()),
        ],
        body.to_string(),
    )
        .into_response()
}

/// Asks the service listening on `bind` whether it is ready (`GET /readyz`
/// over plain HTTP/1.1, within 3 s) and answers the status it gave; an
/// unspecified address (`0.0.0.0`, `::`) is asked on loopback. For a
/// container's `HEALTHCHECK`, whose image has no curl.
pub async fn probe(bind: std::net::SocketAddr) -> Result<u16, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut addr = bind;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let ask = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        let request = format!("GET /readyz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await?;
        let mut head = Vec::new();
        let mut buffer = [0_u8; 256];
        while !head.windows(2).any(|w| w == b"\r\n") {
            let read = stream.read(&mut buffer).await?;
            if read == 0 {
                break;
            }
            head.extend_from_slice(&buffer[..read]);
        }
        Ok::<Vec<u8>, std::io::Error>(head)
    };
    let head = tokio::time::timeout(std::time::Duration::from_secs(3), ask)
        .await
        .map_err(|_| format!("{addr} did not answer within 3 s"))?
        .map_err(|e| format!("{addr}: {e}"))?;
    let line = String::from_utf8_lossy(&head);
    line.split_whitespace()
        .nth(1)
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or_else(|| format!("{addr} did not answer HTTP"))
}
