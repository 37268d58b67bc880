//! Access tokens: short-lived HS256 JWTs whose claims name the principal.
//! Issuer, audience, expiry and not-before are all checked; `alg: none` and
//! every algorithm but HS256 are refused.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::values::Role;
use crate::domain::{ClientPrincipal, Clock, Principal, Text, UserPrincipal};

/// The `iss` of every token.
pub const ISSUER: &str = "xietong";
/// The `aud` of every token.
pub const AUDIENCE: &str = "xietong-api";
/// Seconds of clock skew allowed on `exp` and `nbf`.
const LEEWAY_SECS: i64 = 5;

/// How long an access token lives.
pub const ACCESS_TTL: Duration = Duration::from_secs(15 * 60);

/// The claims of an access token.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// The user's or client's id.
    pub sub: Uuid,
    /// `user` or `client`.
    pub kind: String,
    /// Username or client id.
    pub name: String,
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<Uuid>,
    /// Space-separated scopes of a client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: Uuid,
}

/// HMAC-SHA256 of `message` under `key`.
fn derive_key(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(key) else {
        unreachable!("HMAC accepts keys of every length")
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// Why a token was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("the access token has expired")]
    Expired,
    #[error("the access token is not valid yet")]
    NotYetValid,
    #[error("the access token is not valid: {0}")]
    Invalid(String),
}

impl TokenError {
    /// Why, for the reader, in their language.
    pub fn text(&self) -> Text {
        match self {
            TokenError::Expired => Text::new("the access token has expired"),
            TokenError::NotYetValid => Text::new("the access token is not valid yet"),
            TokenError::Invalid(reason) => Text::new("the access token is not valid: %{reason}").arg("reason", reason),
        }
    }
}

/// Signs and checks access tokens with one HS256 key, and derives refresh
/// tokens' successors from a key of its own made from the same secret.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    successor_key: [u8; 32],
    /// The app's clock: tokens are issued and expire by it.
    clock: Clock,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKeys(***)")
    }
}

impl TokenKeys {
    pub fn new(secret: &[u8]) -> TokenKeys {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        // Expiry and not-before are checked against the app's clock, below.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            successor_key: derive_key(secret, b"xietong refresh-token successor v1"),
            clock: Clock::system(),
        }
    }

    /// The same keys, issuing and checking tokens by `clock`.
    pub fn with_clock(&self, clock: Clock) -> TokenKeys {
        TokenKeys { clock, ..self.clone() }
    }

    /// The refresh token that `token` is traded for: HMAC-SHA256 under the
    /// service's key, so that only the service can tell it, and it tells
    /// the same one to a second request with the same token.
    pub fn successor_of(&self, token: &str) -> String {
        URL_SAFE_NO_PAD.encode(derive_key(&self.successor_key, token.as_bytes()))
    }

    /// Issues an access token for a principal; returns it with its lifetime
    /// in seconds.
    pub fn issue(&self, principal: &Principal) -> anyhow::Result<(String, u64)> {
        let token = self.issue_at(principal, self.clock.now().timestamp(), Uuid::new_v4())?;
        Ok((token, ACCESS_TTL.as_secs()))
    }

    /// The access token of `principal` issued at `now` (Unix seconds) with
    /// the id `jti`: the same arguments make the same token.
    pub fn issue_at(&self, principal: &Principal, now: i64, jti: Uuid) -> anyhow::Result<String> {
        let ttl = ACCESS_TTL.as_secs();
        let (sub, kind, name, unit, scope) = match principal {
            Principal::User(u) => (u.id, "user", u.username.clone(), u.unit_id, None),
            Principal::Client(c) => {
                let mut scopes = Vec::new();
                if c.can_read {
                    scopes.push("read");
                }
                if c.can_write {
                    scopes.push("write");
                }
                (c.id, "client", c.client_id.clone(), None, Some(scopes.join(" ")))
            }
            Principal::System => anyhow::bail!("the system principal has no tokens"),
        };
        let claims = Claims {
            sub,
            kind: kind.to_owned(),
            name,
            role: principal.role().as_str().to_owned(),
            unit,
            scope,
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            iat: now,
            nbf: now,
            exp: now + i64::try_from(ttl)?,
            jti,
        };
        Ok(encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?)
    }

    /// Checks a token and returns the principal it names.
    pub fn verify(&self, token: &str) -> Result<Principal, TokenError> {
        use jsonwebtoken::errors::ErrorKind;
        let data = decode::<Claims>(token, &self.decoding, &self.validation).map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => TokenError::Expired,
            ErrorKind::ImmatureSignature => TokenError::NotYetValid,
            ErrorKind::InvalidSignature => TokenError::Invalid("bad signature".into()),
            ErrorKind::InvalidAudience => TokenError::Invalid("wrong audience".into()),
            ErrorKind::InvalidIssuer => TokenError::Invalid("wrong issuer".into()),
            ErrorKind::InvalidAlgorithm => TokenError::Invalid("algorithm not allowed".into()),
            ErrorKind::MissingRequiredClaim(claim) => TokenError::Invalid(format!("missing claim `{claim}`")),
            _ => TokenError::Invalid("malformed token".into()),
        })?;
        let now = self.clock.now().timestamp();
        if data.claims.exp < now - LEEWAY_SECS {
            return Err(TokenError::Expired);
        }
        if data.claims.nbf > now + LEEWAY_SECS {
            return Err(TokenError::NotYetValid);
        }
        principal_of(data.claims)
    }
}

fn principal_of(claims: Claims) -> Result<Principal, TokenError> {
    let role: Role = claims
        .role
        .parse()
        .map_err(|_| TokenError::Invalid("unknown role".into()))?;
    match claims.kind.as_str() {
        "user" if role != Role::Integration => Ok(Principal::User(UserPrincipal {
            id: claims.sub,
            username: claims.name,
            role,
            unit_id: claims.unit,
        })),
        "client" if role == Role::Integration => {
            let scope = claims.scope.unwrap_or_default();
            let scopes: Vec<&str> = scope.split_whitespace().collect();
            Ok(Principal::Client(ClientPrincipal {
                id: claims.sub,
                client_id: claims.name,
                can_read: scopes.contains(&"read"),
                can_write: scopes.contains(&"write"),
            }))
        }
        _ => Err(TokenError::Invalid("inconsistent claims".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> Principal {
        Principal::User(UserPrincipal {
            id: Uuid::new_v4(),
            username: "wx-jxw".into(),
            role: Role::UnitUser,
            unit_id: Some(Uuid::new_v4()),
        })
    }

    #[test]
    fn a_token_names_its_principal() {
        let keys = TokenKeys::new(b"0123456789abcdef0123456789abcdef");
        let principal = user();
        let (token, ttl) = keys.issue(&principal).expect("issue");
        assert_eq!(ttl, 900);
        assert_eq!(keys.verify(&token), Ok(principal));
    }

    #[test]
    fn another_key_is_refused() {
        let (token, _) = TokenKeys::new(b"one key one key one key one key!")
            .issue(&user())
            .expect("issue");
        let other = TokenKeys::new(b"another key another key another!");
        assert_eq!(other.verify(&token), Err(TokenError::Invalid("bad signature".into())));
    }
}
