//! Rules for accounts, shared by the user routes, the local directory and the CLI. Each error
//! is an Indonesian sentence for the admin who typed the value.

use crate::ports::Role;

pub const USERNAME_MIN: usize = 3;
pub const USERNAME_MAX: usize = 64;
pub const PASSWORD_MIN_CHARS: usize = 10;
/// argon2 takes any length, but a megabyte "password" is a cheap way to burn our CPU.
pub const PASSWORD_MAX_CHARS: usize = 256;

/// A value an admin gave that the account rules refuse; the text is for them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct AccountRuleError(pub String);

/// 3..=64 characters of `[a-z0-9._-]`.
pub fn validate_username(username: &str) -> Result<(), AccountRuleError> {
    let length = username.chars().count();
    if !(USERNAME_MIN..=USERNAME_MAX).contains(&length) {
        return Err(AccountRuleError(format!(
            "Nama pengguna harus {USERNAME_MIN}–{USERNAME_MAX} karakter."
        )));
    }
    if !username
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
    {
        return Err(AccountRuleError(
            "Nama pengguna hanya boleh berisi huruf kecil a–z, angka, titik, garis bawah, dan tanda hubung."
                .to_string(),
        ));
    }
    Ok(())
}

/// At least 10 characters (counted as characters, not bytes), at most 256.
pub fn validate_password(password: &str) -> Result<(), AccountRuleError> {
    let length = password.chars().count();
    if length < PASSWORD_MIN_CHARS {
        return Err(AccountRuleError(format!(
            "Kata sandi minimal {PASSWORD_MIN_CHARS} karakter."
        )));
    }
    if length > PASSWORD_MAX_CHARS {
        return Err(AccountRuleError(format!(
            "Kata sandi maksimal {PASSWORD_MAX_CHARS} karakter."
        )));
    }
    Ok(())
}

/// The `opd` role needs an OPD; every other role must have none.
pub fn validate_role_opd(role: Role, opd_id: Option<&str>) -> Result<(), AccountRuleError> {
    match (role, opd_id) {
        (Role::Opd, None) => Err(AccountRuleError(
            "Peran Petugas OPD wajib disertai OPD-nya.".to_string(),
        )),
        (Role::Opd, Some(opd)) if opd.trim().is_empty() => Err(AccountRuleError(
            "Peran Petugas OPD wajib disertai OPD-nya.".to_string(),
        )),
        (Role::Opd, Some(_)) => Ok(()),
        (other, Some(_)) => Err(AccountRuleError(format!(
            "Peran {} tidak boleh terikat ke OPD.",
            other.label()
        ))),
        (_, None) => Ok(()),
    }
}
