//! Signing in: password hashing, access tokens, random secrets, sessions
//! (sign-in, refresh, sign-out) and the throttling of failed sign-ins.
//! What a signed-in principal may then do is the domain core's
//! (`domain::authz`).

pub mod password;
pub mod secret;
pub mod session;
pub mod throttle;
pub mod token;
