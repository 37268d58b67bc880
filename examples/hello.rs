//! The HTTP ceiling of the machine for `bench/run`: a bare axum server that
//! answers `GET /` with a short text, on the same axum, hyper and tokio
//! (multi-threaded runtime) that xietong serves with, and nothing else.
//!
//! ```sh
//! cargo run --release --example hello -- 127.0.0.1:8090
//! ```

use axum::{Router, routing::get};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let bind = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8090".to_owned());
    let app = Router::new().route("/", get(|| async { "Hello, World!" }));
    let listener = tokio::net::TcpListener::bind(&bind).await?;
    eprintln!("hello listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await
}
