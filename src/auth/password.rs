//! Passwords hashed with argon2id (PHC strings), never stored or logged in
//! the clear.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

/// Hashes a password with argon2id and a fresh salt.
pub fn hash(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))
}

/// Whether `password` matches `stored`; a malformed hash matches nothing.
pub fn verify(stored: &str, password: &str) -> bool {
    Argon2::default().verify_password(password.as_bytes(), stored).is_ok()
}

/// Spends the time of one verification, for an unknown username, so that
/// timing does not tell which usernames exist.
pub fn verify_nothing(password: &str) {
    static DUMMY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    if let Some(dummy) = DUMMY.get_or_init(|| hash("xietong-dummy-password").ok()) {
        let _ = verify(dummy, password);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let stored = hash("巫溪2025!").expect("hash");
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify(&stored, "巫溪2025!"));
        assert!(!verify(&stored, "巫溪2025"));
        assert!(!verify("not a hash", "巫溪2025!"));
    }
}
