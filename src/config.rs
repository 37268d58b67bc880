//! Configuration of the service: each setting from a flag or the
//! environment variable of the same meaning (CONTRACT.md).

use std::net::SocketAddr;

use clap::Args;

use crate::db::DEFAULT_DATABASE_URL;

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

    /// Origins allowed to call the API from a browser, comma-separated.
    #[arg(long, env = "XIETONG_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,
}

impl Default for ServeArgs {
    fn default() -> ServeArgs {
        ServeArgs {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            jwt_secret: None,
            cors_origins: Vec::new(),
        }
    }
}
