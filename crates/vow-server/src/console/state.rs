//! What the console keeps beside the vault, apart from its pages so that the server's shared state
//! can hold it without importing them.

use std::net::IpAddr;

use crate::auth::Lockout;

/// What the console keeps beside the vault.
#[derive(Debug)]
pub struct ConsoleState {
    /// Failed sign-ins, per address and account: an account being guessed at is locked out from
    /// that address without locking anyone else out (another account, or the same account elsewhere).
    pub(crate) lockout: Lockout<SignInKey>,
    /// Cookies get `Secure` (the server runs TLS).
    pub(crate) secure_cookies: bool,
    /// Keys the lockout's account part, so the table holds no e-mail addresses.
    pub(crate) account_key: [u8; 32],
}

impl Default for ConsoleState {
    fn default() -> ConsoleState {
        ConsoleState::new(false)
    }
}

impl ConsoleState {
    pub fn new(secure_cookies: bool) -> ConsoleState {
        let secret = vow_crypto::new_api_secret();
        ConsoleState {
            lockout: Lockout::default(),
            secure_cookies,
            account_key: vow_crypto::hmac_sha256(secret.as_bytes(), b"vow.console.lockout"),
        }
    }
}

/// Whose sign-in failures are counted together: one address trying one account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct SignInKey {
    pub(crate) address: IpAddr,
    pub(crate) account: [u8; 16],
}

impl std::fmt::Display for SignInKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (one account)", self.address)
    }
}
