//! Sign-in for the operator API: token verification (attacks included), the local issuer's
//! login/refresh routes, and the local user directory.

mod directory;
mod local_login;
mod memory;
mod tokens;
