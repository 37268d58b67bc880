//! The access log: one line per request at `info` (target
//! `xietong::access`) with the method, the route as declared (never the raw
//! path, which holds ids), the status, the latency, the request id, who
//! asked (`user:<id>` or `client:<id>`, once a token was verified) and the
//! W3C trace id when the request carried a `traceparent`. The same layer
//! counts the request for `/metrics` (by method, route template and status).

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;

use crate::domain::Principal;
use crate::infra::telemetry::Metrics;

/// Who a request acted as, told by the extractor that verified its token.
#[derive(Clone, Debug, Default)]
pub struct Acting(Arc<OnceLock<String>>);

impl Acting {
    /// Notes the principal a request acts as (the first one noted stays).
    pub fn note(&self, principal: &Principal) {
        let (kind, id, _) = principal.audit_identity();
        if let Some(id) = id {
            let _ = self.0.set(format!("{kind}:{id}"));
        }
    }
}

/// Writes the request's line once its answer is made, and counts it.
pub async fn log(State(metrics): State<Metrics>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let _in_flight = metrics.in_flight();
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "(no route)".to_owned(), |m| m.as_str().to_owned());
    let trace_id = trace_id(request.headers());
    let request_id = request
        .headers()
        .get(super::REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let acting = Acting::default();
    request.extensions_mut().insert(acting.clone());
    let response = next.run(request).await;
    let latency = started.elapsed();
    metrics.answered(method.as_str(), &route, response.status().as_u16(), latency);
    tracing::info!(
        target: "xietong::access",
        method = %method,
        route = %route,
        status = response.status().as_u16(),
        latency_ms = latency.as_secs_f64() * 1000.0,
        request_id = %request_id,
        principal = acting.0.get().map_or("", String::as_str),
        trace_id = trace_id.as_deref().unwrap_or(""),
        "request"
    );
    response
}

/// The trace id of a W3C `traceparent` (`00-<32 hex>-<16 hex>-<2 hex>`),
/// when the header is one; an all-zero id is none.
fn trace_id(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("traceparent")?.to_str().ok()?.trim();
    let mut parts = value.split('-');
    let (version, trace, parent, flags) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let valid = hex(version, 2)
        && version != "ff"
        && hex(trace, 32)
        && hex(parent, 16)
        && hex(flags, 2)
        && trace.bytes().any(|b| b != b'0')
        && parent.bytes().any(|b| b != b'0');
    valid.then(|| trace.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(value: &str) -> Option<String> {
        let mut headers = HeaderMap::new();
        headers.insert("traceparent", value.parse().expect("a header value"));
        trace_id(&headers)
    }

    #[test]
    fn a_traceparent_gives_its_trace_id() {
        assert_eq!(
            of("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").as_deref(),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
        for bad in [
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "garbage",
        ] {
            assert_eq!(of(bad), None, "{bad}");
        }
    }
}
