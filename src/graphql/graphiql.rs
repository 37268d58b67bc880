//! GraphiQL at `GET /graphql`, whole from the binary: the page and the
//! scripts and styles it loads (vendored npm builds at pinned versions, see
//! `assets/graphiql/README.md`) under `/graphql/assets/`, so that it works
//! on an intranet without the internet.

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

/// Where the assets are served.
pub const ASSETS: &str = "/graphql/assets";

/// A file the page loads: its name under [`ASSETS`], its media type, its
/// bytes.
pub struct Asset {
    pub name: &'static str,
    pub media_type: &'static str,
    pub bytes: &'static [u8],
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

macro_rules! asset {
    ($name:literal, $media_type:expr) => {
        Asset {
            name: $name,
            media_type: $media_type,
            bytes: include_bytes!(concat!("../../assets/graphiql/", $name)),
        }
    };
}

/// Every asset, scripts in the order the page runs them.
pub const ALL: [Asset; 6] = [
    asset!("react-18.3.1.production.min.js", JS),
    asset!("react-dom-18.3.1.production.min.js", JS),
    asset!("graphql-ws-5.16.2.min.js", JS),
    asset!("graphiql-4.1.2.min.js", JS),
    asset!("xietong-graphiql.js", JS),
    asset!("graphiql-4.1.2.min.css", CSS),
];

/// The page: GraphiQL posting to `/graphql` and subscribing on it, with the
/// `Authorization` header of the request that loaded it, if any.
pub fn page(headers: &HeaderMap) -> Html<String> {
    let mut sent = serde_json::Map::new();
    if let Some(value) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        sent.insert("Authorization".into(), value.into());
    }
    let settings = serde_json::json!({ "endpoint": "/graphql", "headers": sent });
    // Inside <script>, a `<` could close it: JSON may spell it \u003c.
    let settings = settings.to_string().replace('<', "\\u003c");
    let mut tags = String::new();
    for asset in &ALL {
        if asset.media_type == CSS {
            tags.push_str(&format!("<link rel=\"stylesheet\" href=\"{ASSETS}/{}\">\n", asset.name));
        }
    }
    for asset in &ALL {
        if asset.media_type == JS {
            tags.push_str(&format!("<script src=\"{ASSETS}/{}\" defer></script>\n", asset.name));
        }
    }
    Html(format!(
        r#"<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>协同 xietong · GraphiQL</title>
<link rel="icon" href="data:,">
<style>html, body, #graphiql {{ height: 100%; margin: 0; }}</style>
<script id="xietong-graphiql" type="application/json">{settings}</script>
{tags}</head>
<body>
<div id="graphiql">GraphiQL needs JavaScript.</div>
</body>
</html>
"#
    ))
}

/// `GET /graphql/assets/{name}`: one of [`ALL`], kept by browsers for a
/// year (each name carries its version); 404 for any other name.
pub async fn asset(Path(name): Path<String>) -> Response {
    let Some(asset) = ALL.iter().find(|a| a.name == name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let cache = if asset.name.starts_with("xietong-") {
        // Ours has no version in its name: revalidated each time.
        HeaderValue::from_static("no-cache")
    } else {
        HeaderValue::from_static("public, max-age=31536000, immutable")
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(asset.media_type)),
            (header::CACHE_CONTROL, cache),
        ],
        asset.bytes,
    )
        .into_response()
}
