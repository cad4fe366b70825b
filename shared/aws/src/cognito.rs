//! Operator accounts on AWS: the Cognito user pool signs people in (passwords, MFA, the hosted
//! sign-in page) and carries the role as a group, so access tokens hold `cognito:groups`; the
//! table keeps the same role and the OPD, which the API reads by username. This adapter keeps
//! the two in step behind the one `UserDirectory` port the local table also implements.

use std::sync::Arc;

use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider::error::{DisplayErrorContext, SdkError};
use aws_sdk_cognitoidentityprovider::types::{AttributeType, MessageActionType};
use aws_sdk_cognitoidentityprovider::Client;

use prolink_app::ports::{
    NewUser, Page, PageRequest, PortError, PortResult, Role, UserDirectory, UserPatch, UserRecord,
    UserStore,
};

/// The user pool's custom attribute mirroring an OPD officer's OPD (template.yaml's Schema).
/// The API reads the OPD from the table's record; the attribute shows it in the Cognito
/// console and in the ID token.
pub const OPD_ATTRIBUTE: &str = "custom:opd";

/// `UserDirectory` over a Cognito user pool and the table's user records.
#[derive(Clone)]
pub struct CognitoUserDirectory {
    client: Client,
    user_pool_id: String,
    records: Arc<dyn UserStore>,
}

fn backend<E, R>(operation: &str, error: SdkError<E, R>) -> PortError
where
    E: std::error::Error + 'static,
    R: std::fmt::Debug,
{
    PortError::Backend(format!(
        "Cognito {operation}: {}",
        DisplayErrorContext(&error)
    ))
}

impl CognitoUserDirectory {
    pub fn new(
        client: Client,
        user_pool_id: impl Into<String>,
        records: Arc<dyn UserStore>,
    ) -> Self {
        Self {
            client,
            user_pool_id: user_pool_id.into(),
            records,
        }
    }

    async fn add_to_group(&self, username: &str, role: Role) -> PortResult<()> {
        self.client
            .admin_add_user_to_group()
            .user_pool_id(&self.user_pool_id)
            .username(username)
            .group_name(role.as_str())
            .send()
            .await
            .map_err(|e| backend("AdminAddUserToGroup", e))?;
        Ok(())
    }

    /// Sets (or, with `None`, removes) the `custom:opd` attribute.
    async fn set_opd_attribute(&self, username: &str, opd_id: Option<&str>) -> PortResult<()> {
        match opd_id {
            Some(opd) => {
                self.client
                    .admin_update_user_attributes()
                    .user_pool_id(&self.user_pool_id)
                    .username(username)
                    .user_attributes(opd_attribute(opd)?)
                    .send()
                    .await
                    .map_err(|e| backend("AdminUpdateUserAttributes", e))?;
            }
            None => {
                self.client
                    .admin_delete_user_attributes()
                    .user_pool_id(&self.user_pool_id)
                    .username(username)
                    .user_attribute_names(OPD_ATTRIBUTE)
                    .send()
                    .await
                    .map_err(|e| backend("AdminDeleteUserAttributes", e))?;
            }
        }
        Ok(())
    }

    async fn remove_from_group(&self, username: &str, role: Role) -> PortResult<()> {
        self.client
            .admin_remove_user_from_group()
            .user_pool_id(&self.user_pool_id)
            .username(username)
            .group_name(role.as_str())
            .send()
            .await
            .map_err(|e| backend("AdminRemoveUserFromGroup", e))?;
        Ok(())
    }

    async fn set_enabled(&self, username: &str, enabled: bool) -> PortResult<()> {
        if enabled {
            self.client
                .admin_enable_user()
                .user_pool_id(&self.user_pool_id)
                .username(username)
                .send()
                .await
                .map_err(|e| backend("AdminEnableUser", e))?;
        } else {
            self.client
                .admin_disable_user()
                .user_pool_id(&self.user_pool_id)
                .username(username)
                .send()
                .await
                .map_err(|e| backend("AdminDisableUser", e))?;
            // A disabled account must not keep working on refresh tokens it already holds.
            self.client
                .admin_user_global_sign_out()
                .user_pool_id(&self.user_pool_id)
                .username(username)
                .send()
                .await
                .map_err(|e| backend("AdminUserGlobalSignOut", e))?;
        }
        Ok(())
    }

    /// The record of a user Cognito knows but the table does not (created in the console):
    /// its role is its group, so an admin can still manage it here.
    async fn record_from_pool(&self, username: &str, at_ms: i64) -> PortResult<UserRecord> {
        let groups = self
            .client
            .admin_list_groups_for_user()
            .user_pool_id(&self.user_pool_id)
            .username(username)
            .send()
            .await
            .map_err(|error| match &error {
                SdkError::ServiceError(e) if e.err().is_user_not_found_exception() => {
                    PortError::NotFound(format!("user {username}"))
                }
                _ => backend("AdminListGroupsForUser", error),
            })?;
        let role = Role::from_groups(
            groups
                .groups()
                .iter()
                .filter_map(|group| group.group_name()),
        )
        .unwrap_or(Role::Viewer);
        Ok(UserRecord {
            username: username.to_owned(),
            role,
            opd_id: None,
            password_hash: None,
            disabled: false,
            failed_logins: Vec::new(),
            created_ms: at_ms,
            updated_ms: at_ms,
            version: 0,
        })
    }
}

#[async_trait]
impl UserDirectory for CognitoUserDirectory {
    async fn list_users(&self, page: &PageRequest) -> PortResult<Page<UserRecord>> {
        self.records.list_users(page).await
    }

    async fn create_user(&self, user: &NewUser, at_ms: i64) -> PortResult<UserRecord> {
        if self.records.get_user(&user.username).await?.is_some() {
            return Err(PortError::Conflict(format!(
                "user {} exists",
                user.username
            )));
        }
        let opd = user.opd_id.as_deref().map(opd_attribute).transpose()?;
        let created = self
            .client
            .admin_create_user()
            .user_pool_id(&self.user_pool_id)
            .username(&user.username)
            .set_user_attributes(opd.map(|attribute| vec![attribute]))
            .temporary_password(&user.password)
            // The admin hands the temporary password over; Cognito asks for a new one at the
            // first sign-in. No e-mail attribute is kept, so nothing is mailed.
            .message_action(MessageActionType::Suppress)
            .send()
            .await;
        match created {
            Ok(_) => {}
            Err(SdkError::ServiceError(e)) if e.err().is_username_exists_exception() => {
                return Err(PortError::Conflict(format!(
                    "user {} exists",
                    user.username
                )));
            }
            Err(SdkError::ServiceError(e)) if e.err().is_invalid_password_exception() => {
                return Err(PortError::Invalid(format!(
                    "password refused by the user pool policy: {}",
                    e.err().meta().message().unwrap_or("")
                )));
            }
            Err(error) => return Err(backend("AdminCreateUser", error)),
        }
        self.add_to_group(&user.username, user.role).await?;
        let mut record = UserRecord {
            username: user.username.clone(),
            role: user.role,
            opd_id: user.opd_id.clone(),
            password_hash: None,
            disabled: false,
            failed_logins: Vec::new(),
            created_ms: at_ms,
            updated_ms: at_ms,
            version: 0,
        };
        record.version = self.records.put_user(&record).await?;
        Ok(record)
    }

    async fn update_user(
        &self,
        username: &str,
        patch: &UserPatch,
        at_ms: i64,
    ) -> PortResult<UserRecord> {
        let mut record = match self.records.get_user(username).await? {
            Some(record) => record,
            None => self.record_from_pool(username, at_ms).await?,
        };
        if let Some(role) = patch.role.filter(|role| *role != record.role) {
            self.add_to_group(username, role).await?;
            self.remove_from_group(username, record.role).await?;
            record.role = role;
        }
        if let Some(opd_id) = patch.opd_id.as_ref().filter(|o| **o != record.opd_id) {
            self.set_opd_attribute(username, opd_id.as_deref()).await?;
            record.opd_id = opd_id.clone();
        }
        if let Some(disabled) = patch.disabled.filter(|d| *d != record.disabled) {
            self.set_enabled(username, !disabled).await?;
            record.disabled = disabled;
        }
        if let Some(password) = &patch.password {
            let reset = self
                .client
                .admin_set_user_password()
                .user_pool_id(&self.user_pool_id)
                .username(username)
                .password(password)
                // A reset password is temporary: the user chooses their own at sign-in.
                .permanent(false)
                .send()
                .await;
            match reset {
                Ok(_) => {}
                Err(SdkError::ServiceError(e)) if e.err().is_invalid_password_exception() => {
                    return Err(PortError::Invalid(format!(
                        "password refused by the user pool policy: {}",
                        e.err().meta().message().unwrap_or("")
                    )));
                }
                Err(error) => return Err(backend("AdminSetUserPassword", error)),
            }
        }
        record.updated_ms = at_ms;
        record.version = self.records.put_user(&record).await?;
        Ok(record)
    }
}

fn opd_attribute(opd_id: &str) -> PortResult<AttributeType> {
    AttributeType::builder()
        .name(OPD_ATTRIBUTE)
        .value(opd_id)
        .build()
        .map_err(|e| PortError::Backend(format!("Cognito attribute: {e}")))
}
