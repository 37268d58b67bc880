//! Credentials: password hashing, access tokens and random secrets. The
//! rules of who may sign in live in the domain core; these are its tools.

pub mod password;
pub mod secret;
pub mod token;
