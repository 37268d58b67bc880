//! Configuration of the service: each setting from a flag or the
//! environment variable of the same meaning (CONTRACT.md).

use std::net::{IpAddr, SocketAddr};

use clap::Args;

use crate::db::DEFAULT_DATABASE_URL;
use crate::domain::rate_limit::RateLimits;
use crate::domain::session::SessionPolicy;

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
}

impl ServeArgs {
    /// The rate limits configured.
    pub fn rate_limits(&self) -> RateLimits {
        RateLimits {
            per_token: self.rate_limit_per_token,
            per_address: self.rate_limit_per_address,
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
            cors_origins: Vec::new(),
            rate_limit_per_token: RateLimits::default().per_token,
            rate_limit_per_address: RateLimits::default().per_address,
            request_timeout_secs: DEFAULT_REQUEST_TIMEOUT_SECS,
            max_concurrent_requests: DEFAULT_MAX_CONCURRENT_REQUESTS,
            trusted_proxies: Vec::new(),
            sign_in_failures_per_address: SessionPolicy::default().failures_per_address,
            refresh_grace_secs: SessionPolicy::default().refresh_grace_secs,
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
