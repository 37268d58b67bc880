//! Configuration of the service: each setting from a flag or the
//! environment variable of the same meaning (CONTRACT.md).

use std::net::{IpAddr, SocketAddr};

use clap::Args;
use clap::builder::TypedValueParser;

use crate::auth::session::SessionPolicy;
use crate::db::DEFAULT_DATABASE_URL;
use crate::domain::attachment::Limits as AttachmentLimits;
use crate::domain::page::MAX_LIMIT;
use crate::graphql::limits::{self, Limits};
use crate::infra::rate_limit::RateLimits;

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

    /// A file holding the database URL (a Docker or Kubernetes secret, as
    /// the URL carries the password); when given it is used instead of
    /// `DATABASE_URL`.
    #[arg(long, env = "DATABASE_URL_FILE", global = true)]
    pub database_url_file: Option<String>,

    /// The most connections the service opens to the database (and as many
    /// to the replica): 1 to 1000; 16 for PostgreSQL, 8 for SQLite unless
    /// given. Instances sharing one PostgreSQL server need together fewer
    /// than its `max_connections`.
    #[arg(long, env = "DATABASE_POOL_SIZE", global = true,
        value_parser = clap::value_parser!(u32).range(1..=crate::db::MAX_POOL_SIZE as i64))]
    pub database_pool_size: Option<u32>,

    /// Tracing filter, e.g. `info` or `xietong=debug,info`.
    #[arg(
        long,
        env = "XIETONG_LOG",
        default_value = "info,sqlx=warn,sea_orm=warn",
        global = true
    )]
    pub log: String,

    /// `text` (a line a person reads; colours only on a terminal) or
    /// `json` (one JSON object per line, for a log shipper).
    #[arg(long, env = "XIETONG_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
}

/// How log lines are written.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
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

    /// A file holding the HS256 key (a Docker or Kubernetes secret); its
    /// final line break is not part of it. When given it is used instead of
    /// `XIETONG_JWT_SECRET`.
    #[arg(long, env = "XIETONG_JWT_SECRET_FILE")]
    pub jwt_secret_file: Option<String>,

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

    /// Proxies whose `X-Forwarded-For` is believed, comma-separated
    /// addresses or CIDR blocks (`10.0.0.0/8,fd00::/8`); none by default, and
    /// then the client's address is the TCP peer's.
    #[arg(long, env = "XIETONG_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<String>,

    /// Failed sign-ins from one address, for accounts that never signed in
    /// from it, within 15 minutes before that address is held back; 0 turns
    /// the bound off, and so does turning off the per-address rate limit.
    #[arg(long, env = "XIETONG_SIGN_IN_FAILURES_PER_ADDRESS", default_value_t = SessionPolicy::default().failures_per_address)]
    pub sign_in_failures_per_address: u32,

    /// Seconds within which a refresh token presented again from the same
    /// address gets the answer its first use got, instead of ending the
    /// session (concurrent refreshes by tabs and apps); 0 turns the grace off.
    #[arg(long, env = "XIETONG_REFRESH_GRACE_SECS", default_value_t = SessionPolicy::default().refresh_grace_secs, value_parser = clap::value_parser!(u32).range(0..=300))]
    pub refresh_grace_secs: u32,

    /// Seconds between two runs of the reminder scheduler (reports due
    /// soon and late; the first run at start); 0 turns it off. With several
    /// instances on one database, one at a time runs it.
    #[arg(long, env = "XIETONG_REMINDER_INTERVAL_SECS", default_value_t = DEFAULT_REMINDER_INTERVAL_SECS, value_parser = clap::value_parser!(u32).range(0..=86_400))]
    pub reminder_interval_secs: u32,

    /// Days the change feed (`/api/v1/changes`) keeps a change; a cursor
    /// older than that answers CURSOR_EXPIRED. The scheduler removes older
    /// changes.
    #[arg(long, env = "XIETONG_CHANGES_RETENTION_DAYS", default_value_t = crate::domain::feed::DEFAULT_RETENTION_DAYS, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub changes_retention_days: u32,

    /// Whether this instance sends webhook deliveries (`on` or `off`);
    /// deliveries are still written when off, and another instance on the
    /// same database sends them.
    #[arg(long, env = "XIETONG_WEBHOOK_DELIVERY", default_value = "on", value_parser = clap::builder::BoolishValueParser::new(), action = clap::ArgAction::Set)]
    pub webhook_delivery: bool,

    /// Deliver webhooks to private, loopback and link-local addresses too
    /// (an intranet's own platform); refused unless `true`.
    #[arg(long, env = "XIETONG_WEBHOOK_ALLOW_PRIVATE", default_value = "false", value_parser = clap::builder::BoolishValueParser::new(), action = clap::ArgAction::Set)]
    pub webhook_allow_private: bool,

    /// Milliseconds before a failed webhook delivery's first retry; the
    /// wait doubles with each retry (at most an hour), give or take a fifth.
    #[arg(long, env = "XIETONG_WEBHOOK_RETRY_BASE_MS", default_value_t = DEFAULT_WEBHOOK_RETRY_BASE_MS, value_parser = clap::value_parser!(u64).range(10..=3_600_000))]
    pub webhook_retry_base_ms: u64,

    /// Seconds a webhook delivery is retried before it is given up; an
    /// endpoint whose every delivery failed for that long is disabled.
    #[arg(long, env = "XIETONG_WEBHOOK_RETRY_FOR_SECS", default_value_t = DEFAULT_WEBHOOK_RETRY_FOR_SECS, value_parser = clap::value_parser!(u32).range(1..=604_800))]
    pub webhook_retry_for_secs: u32,

    /// Seconds a webhook delivery attempt may take. An instance that stops
    /// mid-attempt holds the delivery twice as long and 5 s more; then
    /// another (or the same, restarted) sends it again.
    #[arg(long, env = "XIETONG_WEBHOOK_TIMEOUT_SECS", default_value_t = DEFAULT_WEBHOOK_TIMEOUT_SECS, value_parser = clap::value_parser!(u32).range(1..=60))]
    pub webhook_timeout_secs: u32,

    /// Serve `GET /metrics` (Prometheus) on this address instead of
    /// beside the API (host:port); the API then has no `/metrics`.
    #[arg(long, env = "XIETONG_METRICS_BIND")]
    pub metrics_bind: Option<SocketAddr>,

    /// When set, `GET /metrics` answers only `Authorization: Bearer
    /// <this>`; public otherwise, as exporters are.
    #[arg(long, env = "XIETONG_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<Secret>,

    /// A PostgreSQL streaming replica of the database
    /// (`postgres://USER[:PASSWORD]@HOST[:PORT]/DB`): GET and HEAD
    /// requests and GraphQL queries read from it unless they send
    /// `X-Consistency: primary`; every write, and every read of a GraphQL
    /// mutation, goes to `DATABASE_URL`. Unset: everything goes there.
    #[arg(long, env = "DATABASE_READ_URL", hide_env_values = true)]
    pub database_read_url: Option<Secret>,

    /// A file holding the replica's URL (a Docker or Kubernetes secret, as
    /// the URL carries the password); its final line break is not part of
    /// it. When given it is used instead of `DATABASE_READ_URL`.
    #[arg(long, env = "DATABASE_READ_URL_FILE")]
    pub database_read_url_file: Option<String>,

    /// Where attachments' bytes are kept: `file://FOLDER` (relative to the
    /// working directory unless absolute) or `s3://BUCKET[/PREFIX]` (an
    /// S3-compatible store, configured by `AWS_ENDPOINT`,
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`,
    /// `AWS_ALLOW_HTTP`); instances that share a database share it too.
    #[arg(long, env = "XIETONG_STORAGE", default_value = crate::infra::storage::DEFAULT_STORAGE)]
    pub storage: String,

    /// The largest attachment, in bytes (the 8 MiB bound of other bodies
    /// does not apply to uploads of attachments).
    #[arg(long, env = "XIETONG_ATTACHMENT_MAX_BYTES", default_value_t = AttachmentLimits::default().max_bytes, value_parser = clap::value_parser!(u64).range(1..=4 * 1024 * 1024 * 1024))]
    pub attachment_max_bytes: u64,

    /// The folder uploads wait in while their bytes arrive (a
    /// `xietong-uploads` folder is made in it); the system's temporary
    /// folder unless given.
    #[arg(long, env = "XIETONG_SPOOL_DIR")]
    pub spool_dir: Option<std::path::PathBuf>,

    /// How many files one report, event, plan or project may carry.
    #[arg(long, env = "XIETONG_ATTACHMENTS_PER_PARENT", default_value_t = AttachmentLimits::default().per_parent, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub attachments_per_parent: u32,

    #[command(flatten)]
    pub graphql: GraphqlArgs,
}

/// Seconds between two runs of the reminder scheduler unless configured.
pub const DEFAULT_REMINDER_INTERVAL_SECS: u32 = 300;

/// Milliseconds before a webhook delivery's first retry unless configured.
pub const DEFAULT_WEBHOOK_RETRY_BASE_MS: u64 = 5_000;

/// Seconds a webhook delivery attempt may take unless configured.
pub const DEFAULT_WEBHOOK_TIMEOUT_SECS: u32 = 10;

/// Seconds a webhook delivery is retried unless configured: a day.
pub const DEFAULT_WEBHOOK_RETRY_FOR_SECS: u32 = 86_400;

/// The bounds of GraphQL requests and how often its subscriptions' feed
/// looks for changes.
#[derive(Args, Clone, Debug)]
pub struct GraphqlArgs {
    /// How deep a query nests (GraphiQL's introspection query is about 13
    /// levels deep).
    #[arg(long = "graphql-max-depth", env = limits::DEPTH_ENV, default_value_t = Limits::default().max_depth, value_parser = clap::value_parser!(u32).range(1..=1000).map(|n| n as usize))]
    pub max_depth: usize,

    /// The most a query may cost: a field costs 1, a connection its page
    /// size times what each item costs.
    #[arg(long = "graphql-max-complexity", env = limits::COMPLEXITY_ENV, default_value_t = Limits::default().max_complexity, value_parser = clap::value_parser!(u32).range(1..).map(|n| n as usize))]
    pub max_complexity: usize,

    /// The largest `first` or `last` (at most the 200 of every list).
    #[arg(long = "graphql-max-page-size", env = limits::PAGE_SIZE_ENV, default_value_t = Limits::default().max_page_size, value_parser = clap::value_parser!(u64).range(1..=MAX_LIMIT))]
    pub max_page_size: u64,

    /// Operations in one batched request.
    #[arg(long = "graphql-max-batch", env = limits::BATCH_ENV, default_value_t = Limits::default().max_batch, value_parser = clap::value_parser!(u32).range(1..=1000).map(|n| n as usize))]
    pub max_batch: usize,

    /// The size of a request body, in bytes.
    #[arg(long = "graphql-max-body-bytes", env = limits::BODY_ENV, default_value_t = Limits::default().max_body_bytes, value_parser = clap::value_parser!(u32).range(1..).map(|n| n as usize))]
    pub max_body_bytes: usize,

    /// Operations executed at once; more wait their turn (twice the
    /// processors when unset). Execution is CPU work, so queuing costs no
    /// throughput, and it bounds the memory that answers being built hold.
    #[arg(long = "graphql-max-concurrent", env = limits::CONCURRENT_ENV, value_parser = clap::value_parser!(u32).range(1..=100_000).map(|n| n as usize))]
    pub max_concurrent: Option<usize>,

    /// Milliseconds between the subscription feed's looks at the audit log
    /// while someone subscribes; 0: only when told (PostgreSQL's
    /// notifications, or a write of this instance).
    #[arg(long = "graphql-feed-poll-ms", env = "XIETONG_GRAPHQL_FEED_POLL_MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(0..=3_600_000))]
    pub feed_poll_ms: u64,
}

impl GraphqlArgs {
    /// The limits in force.
    pub fn limits(&self) -> Limits {
        Limits {
            max_depth: self.max_depth,
            max_complexity: self.max_complexity,
            max_page_size: self.max_page_size,
            max_batch: self.max_batch,
            max_body_bytes: self.max_body_bytes,
            max_concurrent: self.max_concurrent.unwrap_or(Limits::default().max_concurrent),
        }
    }

    /// How often the feed polls; none when it waits to be told.
    pub fn feed_poll(&self) -> Option<std::time::Duration> {
        (self.feed_poll_ms > 0).then(|| std::time::Duration::from_millis(self.feed_poll_ms))
    }
}

impl Default for GraphqlArgs {
    fn default() -> GraphqlArgs {
        let limits = Limits::default();
        GraphqlArgs {
            max_depth: limits.max_depth,
            max_complexity: limits.max_complexity,
            max_page_size: limits.max_page_size,
            max_batch: limits.max_batch,
            max_body_bytes: limits.max_body_bytes,
            max_concurrent: None,
            feed_poll_ms: 1000,
        }
    }
}

impl ServeArgs {
    /// The settings of `serve` from the environment and defaults alone, as
    /// running the binary with no subcommand means.
    pub fn from_environment() -> Result<ServeArgs, clap::Error> {
        use clap::FromArgMatches;
        let matches = ServeArgs::augment_args(clap::Command::new("xietong")).try_get_matches_from(["xietong"])?;
        ServeArgs::from_arg_matches(&matches)
    }

    /// The rate limits configured.
    pub fn rate_limits(&self) -> RateLimits {
        RateLimits {
            per_token: self.rate_limit_per_token,
            per_address: self.rate_limit_per_address,
        }
    }

    /// The token `/metrics` asks for; an empty value (a compose file
    /// passing an unset variable on) is none.
    pub fn given_metrics_token(&self) -> Option<Secret> {
        self.metrics_token.clone().filter(|t| !t.expose().trim().is_empty())
    }

    /// The replica's URL, when one is given: the text of
    /// `database_read_url_file`, or `database_read_url` (an empty value is
    /// none).
    pub fn given_read_url(&self) -> Result<Option<Secret>, String> {
        let given = match &self.database_read_url_file {
            Some(path) if !path.is_empty() => Some(Secret(read_secret_file(path.as_ref())?)),
            _ => self.database_read_url.clone(),
        };
        Ok(given.filter(|url| !url.expose().trim().is_empty()))
    }

    /// The HS256 key given: `jwt_secret`, or the text of `jwt_secret_file`.
    pub fn given_jwt_secret(&self) -> Result<Option<Secret>, String> {
        match &self.jwt_secret_file {
            // An empty value (a compose file passing an unset variable on)
            // is no value.
            Some(path) if !path.is_empty() => read_secret_file(path.as_ref()).map(|text| Some(Secret(text))),
            _ => Ok(self.jwt_secret.clone()),
        }
    }

    /// How sign-in and refresh are bounded.
    pub fn session_policy(&self) -> SessionPolicy {
        SessionPolicy {
            failures_per_address: if self.rate_limit_per_address == 0 {
                0
            } else {
                self.sign_in_failures_per_address
            },
            refresh_grace_secs: self.refresh_grace_secs,
        }
    }

    /// How large and how many attachments may be.
    pub fn attachment_limits(&self) -> AttachmentLimits {
        AttachmentLimits {
            max_bytes: self.attachment_max_bytes,
            per_parent: self.attachments_per_parent,
        }
    }

    /// How webhook deliveries are sent.
    pub fn webhook_settings(&self) -> crate::domain::webhook::deliver::Settings {
        crate::domain::webhook::deliver::Settings {
            allow_private: self.webhook_allow_private,
            retry_base: std::time::Duration::from_millis(self.webhook_retry_base_ms),
            give_up_after: chrono::TimeDelta::seconds(i64::from(self.webhook_retry_for_secs)),
            timeout: std::time::Duration::from_secs(u64::from(self.webhook_timeout_secs)),
        }
    }

    /// The folder uploads wait in: `xietong-uploads` in `spool_dir` or in
    /// the system's temporary folder.
    pub fn spool_folder(&self) -> std::path::PathBuf {
        self.spool_dir
            .clone()
            .unwrap_or_else(temporary_folder)
            .join("xietong-uploads")
    }

    /// The trusted proxies, checked: each an address or a CIDR block.
    pub fn checked_trusted_proxies(&self) -> Result<Vec<AddressBlock>, String> {
        self.trusted_proxies
            .iter()
            .map(|p| p.trim())
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.parse::<AddressBlock>()
                    .map_err(|e| format!("XIETONG_TRUSTED_PROXIES: `{p}`: {e}"))
            })
            .collect()
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
            jwt_secret_file: None,
            cors_origins: Vec::new(),
            rate_limit_per_token: RateLimits::default().per_token,
            rate_limit_per_address: RateLimits::default().per_address,
            request_timeout_secs: DEFAULT_REQUEST_TIMEOUT_SECS,
            max_concurrent_requests: DEFAULT_MAX_CONCURRENT_REQUESTS,
            trusted_proxies: Vec::new(),
            sign_in_failures_per_address: SessionPolicy::default().failures_per_address,
            refresh_grace_secs: SessionPolicy::default().refresh_grace_secs,
            reminder_interval_secs: DEFAULT_REMINDER_INTERVAL_SECS,
            changes_retention_days: crate::domain::feed::DEFAULT_RETENTION_DAYS,
            webhook_delivery: true,
            webhook_allow_private: false,
            webhook_retry_base_ms: DEFAULT_WEBHOOK_RETRY_BASE_MS,
            webhook_retry_for_secs: DEFAULT_WEBHOOK_RETRY_FOR_SECS,
            webhook_timeout_secs: DEFAULT_WEBHOOK_TIMEOUT_SECS,
            metrics_bind: None,
            metrics_token: None,
            database_read_url: None,
            database_read_url_file: None,
            storage: crate::infra::storage::DEFAULT_STORAGE.to_owned(),
            attachment_max_bytes: AttachmentLimits::default().max_bytes,
            attachments_per_parent: AttachmentLimits::default().per_parent,
            spool_dir: None,
            graphql: GraphqlArgs::default(),
        }
    }
}

/// A block of addresses: `10.0.0.0/8`, `fd00::/8`, or one address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AddressBlock {
    network: IpAddr,
    prefix: u8,
}

impl AddressBlock {
    /// Whether `addr` lies in the block. An IPv4 address written as IPv6
    /// (`::ffff:10.0.0.1`) is the IPv4 address.
    pub fn contains(&self, addr: IpAddr) -> bool {
        match (self.network, addr.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

impl std::str::FromStr for AddressBlock {
    type Err = String;

    fn from_str(text: &str) -> Result<AddressBlock, String> {
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let network = addr
            .parse::<IpAddr>()
            .map_err(|_| "not an IP address or CIDR block like 10.0.0.0/8".to_owned())?
            .to_canonical();
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= bits)
                .ok_or_else(|| format!("the prefix length must be 0 to {bits}"))?,
        };
        Ok(AddressBlock { network, prefix })
    }
}

/// The text of a secret's file: a Docker or Kubernetes secret, whose
/// final line break is not part of it.
pub fn read_secret_file(path: &std::path::Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(text.trim_end_matches(['\n', '\r']).to_owned())
}

/// The system's temporary folder (`TMPDIR`, else `/tmp`): the only other
/// place the environment is read.
pub fn temporary_folder() -> std::path::PathBuf {
    std::env::temp_dir()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_blocks_hold_what_their_prefix_says() {
        let block: AddressBlock = "10.1.0.0/16".parse().expect("block");
        assert!(block.contains("10.1.255.3".parse().expect("ip")));
        assert!(!block.contains("10.2.0.1".parse().expect("ip")));
        assert!(block.contains("::ffff:10.1.0.9".parse().expect("ip")));
        let one: AddressBlock = "127.0.0.1".parse().expect("block");
        assert!(one.contains("127.0.0.1".parse().expect("ip")));
        assert!(!one.contains("127.0.0.2".parse().expect("ip")));
        let all: AddressBlock = "0.0.0.0/0".parse().expect("block");
        assert!(all.contains("203.0.113.9".parse().expect("ip")));
        let v6: AddressBlock = "fd00::/8".parse().expect("block");
        assert!(v6.contains("fd12::1".parse().expect("ip")));
        assert!(!v6.contains("fe80::1".parse().expect("ip")));
        assert!("10.0.0.0/33".parse::<AddressBlock>().is_err());
        assert!("proxy.local".parse::<AddressBlock>().is_err());
    }
}
