//! Configuration of the service: each setting from a flag or the
//! environment variable of the same meaning (CONTRACT.md).

use std::net::SocketAddr;

use clap::Args;

use crate::db::DEFAULT_DATABASE_URL;
use crate::domain::rate_limit::RateLimits;

/// A secret that never reaches a log: `Debug` prints a placeholder.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Secret {
        Secret(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Secret, Self::Err> {
        Ok(Secret(s.to_owned()))
    }
}

/// Where the data lives.
#[derive(Args, Clone, Debug)]
pub struct DatabaseArgs {
    /// `sqlite://FILE` or `postgres://USER[:PASSWORD]@HOST[:PORT]/DB`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true)]
    pub database_url: String,

    /// Tracing filter, e.g. `info` or `xietong=debug,info`.
    #[arg(
        long,
        env = "XIETONG_LOG",
        default_value = "info,sqlx=warn,sea_orm=warn",
        global = true
    )]
    pub log: String,
}

/// Seconds a request may take unless configured.
pub const DEFAULT_REQUEST_TIMEOUT_SECS: u64 = 30;
/// Requests served at once unless configured.
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: u32 = 512;

/// How `serve` listens.
#[derive(Args, Clone, Debug)]
pub struct ServeArgs {
    /// Address to listen on (host:port).
    #[arg(long, env = "XIETONG_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,

    /// HS256 key that signs access tokens; when unset, a random key is made
    /// at start (tokens then die with the process).
    #[arg(long, env = "XIETONG_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<Secret>,

    /// Origins allowed to call the API from a browser, comma-separated
    /// (`https://portal.example.gov.cn`); `*` is refused.
    #[arg(long, env = "XIETONG_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    /// API requests per minute and signed-in principal (a user or a client,
    /// whatever token it presents), counted across every instance on the
    /// database; 0 turns the limit off.
    #[arg(long, env = "XIETONG_RATE_LIMIT_PER_TOKEN", default_value_t = RateLimits::default().per_token)]
    pub rate_limit_per_token: u32,

    /// API requests per minute and client address, counted across every
    /// instance on the database; 0 turns the limit off.
    #[arg(long, env = "XIETONG_RATE_LIMIT_PER_ADDRESS", default_value_t = RateLimits::default().per_address)]
    pub rate_limit_per_address: u32,

    /// Seconds a request may take, its body included, before it is
    /// answered 503.
    #[arg(long, env = "XIETONG_REQUEST_TIMEOUT_SECS", default_value_t = DEFAULT_REQUEST_TIMEOUT_SECS, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_timeout_secs: u64,

    /// Requests served at once; more are answered 503 at once.
    #[arg(long, env = "XIETONG_MAX_CONCURRENT_REQUESTS", default_value_t = DEFAULT_MAX_CONCURRENT_REQUESTS, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub max_concurrent_requests: u32,
}

impl ServeArgs {
    /// The rate limits configured.
    pub fn rate_limits(&self) -> RateLimits {
        RateLimits {
            per_token: self.rate_limit_per_token,
            per_address: self.rate_limit_per_address,
        }
    }

    /// The CORS origins, checked: each `scheme://host[:port]`, no wildcard.
    pub fn checked_cors_origins(&self) -> Result<Vec<String>, String> {
        let mut origins = Vec::new();
        for origin in self.cors_origins.iter().map(|o| o.trim()).filter(|o| !o.is_empty()) {
            if origin.contains('*') {
                return Err(format!(
                    "XIETONG_CORS_ORIGINS: `{origin}`: wildcards are not allowed; name each origin"
                ));
            }
            let parsed = url::Url::parse(origin)
                .map_err(|e| format!("XIETONG_CORS_ORIGINS: `{origin}` is not an origin: {e}"))?;
            let bare = matches!(parsed.scheme(), "http" | "https")
                && parsed.host_str().is_some()
                && parsed.username().is_empty()
                && parsed.password().is_none()
                && parsed.path() == "/"
                && !origin.ends_with('/')
                && parsed.query().is_none()
                && parsed.fragment().is_none();
            if !bare {
                return Err(format!(
                    "XIETONG_CORS_ORIGINS: `{origin}` is not an origin like https://portal.example.gov.cn"
                ));
            }
            origins.push(origin.to_owned());
        }
        Ok(origins)
    }
}

impl Default for ServeArgs {
    fn default() -> ServeArgs {
        ServeArgs {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            jwt_secret: None,
            cors_origins: Vec::new(),
            rate_limit_per_token: RateLimits::default().per_token,
            rate_limit_per_address: RateLimits::default().per_address,
            request_timeout_secs: DEFAULT_REQUEST_TIMEOUT_SECS,
            max_concurrent_requests: DEFAULT_MAX_CONCURRENT_REQUESTS,
        }
    }
}
