//! A GraphQL client over WebSocket speaking graphql-transport-ws, as a
//! portal's back end would: the token in `connection_init`.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// An open connection.
pub struct Subscriber {
    socket: Socket,
}

/// Opens a socket to `GET /graphql` with the graphql-transport-ws protocol.
pub async fn open(addr: SocketAddr) -> Socket {
    open_in(addr, None).await
}

/// The same, asking for `language` (`Accept-Language`).
async fn open_in(addr: SocketAddr, language: Option<&str>) -> Socket {
    let mut request = format!("ws://{addr}/graphql")
        .into_client_request()
        .expect("a WebSocket request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("a header value"),
    );
    if let Some(language) = language {
        request
            .headers_mut()
            .insert("accept-language", language.parse().expect("a header value"));
    }
    let (socket, response) = tokio_tungstenite::connect_async(request)
        .await
        .expect("open the WebSocket");
    assert_eq!(
        response
            .headers()
            .get("sec-websocket-protocol")
            .and_then(|v| v.to_str().ok()),
        Some("graphql-transport-ws")
    );
    socket
}

async fn send(socket: &mut Socket, message: Value) {
    use async_graphql::futures_util::SinkExt;
    socket
        .send(Message::text(message.to_string()))
        .await
        .expect("send a message");
}

/// The next protocol message, pings answered and skipped; none after
/// `wait` or when the socket closes.
async fn receive(socket: &mut Socket, wait: Duration) -> Option<Value> {
    use async_graphql::futures_util::StreamExt;
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let message = tokio::time::timeout_at(deadline, socket.next()).await.ok()??.ok()?;
        match message {
            Message::Text(text) => {
                let value: Value = serde_json::from_str(text.as_str()).expect("a JSON message");
                if value["type"] == "ping" {
                    send(socket, json!({"type": "pong"})).await;
                    continue;
                }
                return Some(value);
            }
            Message::Close(frame) => {
                return Some(json!({"type": "close", "code": frame.map(|f| u16::from(f.code))}));
            }
            _ => continue,
        }
    }
}

impl Subscriber {
    /// Connects and initialises with `bearer` (`Bearer …`).
    pub async fn connect(addr: SocketAddr, bearer: &str) -> Subscriber {
        let mut socket = open(addr).await;
        send(
            &mut socket,
            json!({"type": "connection_init", "payload": {"Authorization": bearer}}),
        )
        .await;
        let ack = receive(&mut socket, Duration::from_secs(10)).await;
        assert_eq!(
            ack.as_ref().map(|a| &a["type"]),
            Some(&json!("connection_ack")),
            "{ack:?}"
        );
        Subscriber { socket }
    }

    /// Connects, initialises with `payload` and answers what the service said.
    pub async fn refused(addr: SocketAddr, payload: Value) -> Option<Value> {
        Subscriber::answer_to(addr, json!({"type": "connection_init", "payload": payload})).await
    }

    /// Connects asking for `language`, initialises with `payload`, and
    /// answers the close code and reason the service refused it with.
    pub async fn refusal_in(addr: SocketAddr, language: &str, payload: Value) -> Option<(u16, String)> {
        use async_graphql::futures_util::StreamExt;
        let mut socket = open_in(addr, Some(language)).await;
        send(&mut socket, json!({"type": "connection_init", "payload": payload})).await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            match tokio::time::timeout_at(deadline, socket.next()).await.ok()??.ok()? {
                Message::Close(frame) => return frame.map(|f| (u16::from(f.code), f.reason.as_str().to_owned())),
                _ => continue,
            }
        }
    }

    /// Connects, sends `message` first and answers what the service said.
    pub async fn answer_to(addr: SocketAddr, message: Value) -> Option<Value> {
        let mut socket = open(addr).await;
        send(&mut socket, message).await;
        receive(&mut socket, Duration::from_secs(10)).await
    }

    /// Starts the subscription `id`.
    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        send(
            &mut self.socket,
            json!({"id": id, "type": "subscribe", "payload": {"query": query, "variables": variables}}),
        )
        .await;
    }

    /// The next message within `wait`, if any.
    pub async fn next(&mut self, wait: Duration) -> Option<Value> {
        receive(&mut self.socket, wait).await
    }
}
