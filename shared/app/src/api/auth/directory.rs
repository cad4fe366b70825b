//! [`UserDirectory`] for `prolink serve`: the users table is the whole account, passwords are
//! argon2id hashes in it.

use std::sync::Arc;

use async_trait::async_trait;

use super::password::hash_password_async;
use super::validate::{validate_password, validate_role_opd, validate_username};
use crate::ports::{
    NewUser, Page, PageRequest, PortError, PortResult, UserDirectory, UserPatch, UserRecord,
    UserStore,
};

/// Lost races retried by [`LocalUserDirectory::update_user`] before giving up.
const UPDATE_ATTEMPTS: usize = 3;

pub struct LocalUserDirectory {
    users: Arc<dyn UserStore>,
}

impl LocalUserDirectory {
    pub fn new(users: Arc<dyn UserStore>) -> Self {
        Self { users }
    }
}

fn rule(error: impl std::fmt::Display) -> PortError {
    PortError::Invalid(error.to_string())
}

#[async_trait]
impl UserDirectory for LocalUserDirectory {
    async fn list_users(&self, page: &PageRequest) -> PortResult<Page<UserRecord>> {
        self.users.list_users(page).await
    }

    async fn create_user(&self, user: &NewUser, at_ms: i64) -> PortResult<UserRecord> {
        // The API validates first; checking again here keeps the CLI and any other caller
        // from writing an account the sign-in would then refuse.
        validate_username(&user.username).map_err(rule)?;
        validate_role_opd(user.role, user.opd_id.as_deref()).map_err(rule)?;
        validate_password(&user.password).map_err(rule)?;
        let mut record = UserRecord {
            username: user.username.clone(),
            role: user.role,
            opd_id: user.opd_id.clone(),
            password_hash: Some(hash_password_async(user.password.clone()).await?),
            disabled: false,
            failed_logins: Vec::new(),
            created_ms: at_ms,
            updated_ms: at_ms,
            version: 0,
        };
        // Version 0 is "must not exist": a taken name is the store's `Conflict`.
        record.version = self.users.put_user(&record).await?;
        Ok(record)
    }

    async fn update_user(
        &self,
        username: &str,
        patch: &UserPatch,
        at_ms: i64,
    ) -> PortResult<UserRecord> {
        if let Some(password) = &patch.password {
            validate_password(password).map_err(rule)?;
        }
        // Hash once, outside the retry loop: it is the slow part.
        let new_hash = match &patch.password {
            Some(password) => Some(hash_password_async(password.clone()).await?),
            None => None,
        };
        let mut last_conflict = None;
        for _ in 0..UPDATE_ATTEMPTS {
            let mut record = self
                .users
                .get_user(username)
                .await?
                .ok_or_else(|| PortError::NotFound(format!("user {username}")))?;
            if let Some(role) = patch.role {
                record.role = role;
            }
            if let Some(opd_id) = &patch.opd_id {
                record.opd_id = opd_id.clone();
            }
            if let Some(disabled) = patch.disabled {
                record.disabled = disabled;
            }
            if let Some(hash) = &new_hash {
                record.password_hash = Some(hash.clone());
                // A reset by an admin is also how a locked-out user gets back in.
                record.failed_logins.clear();
            }
            validate_role_opd(record.role, record.opd_id.as_deref()).map_err(rule)?;
            record.updated_ms = at_ms;
            match self.users.put_user(&record).await {
                Ok(version) => {
                    record.version = version;
                    return Ok(record);
                }
                Err(PortError::Conflict(reason)) => last_conflict = Some(reason),
                Err(other) => return Err(other),
            }
        }
        Err(PortError::Conflict(last_conflict.unwrap_or_else(|| {
            format!("user {username} kept changing")
        })))
    }
}
