//! The Cognito side of operator accounts against moto's user pool: what an admin does in the
//! dashboard lands in both the pool (groups, enabled, password) and the table's record.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use aws_sdk_cognitoidentityprovider::Client;

use prolink_app::ports::{
    NewUser, Page, PageRequest, PortError, PortResult, Role, UserDirectory, UserPatch, UserRecord,
    UserStore,
};
use prolink_aws::cognito::CognitoUserDirectory;

use crate::aws::{aws, unique};

/// The table side, kept in memory: the adapter's own job is the pool; the table's
/// implementations are covered by the conformance suite.
#[derive(Default)]
struct Records(Mutex<BTreeMap<String, UserRecord>>);

#[async_trait]
impl UserStore for Records {
    async fn get_user(&self, username: &str) -> PortResult<Option<UserRecord>> {
        Ok(self
            .0
            .lock()
            .map_err(PortError::backend)?
            .get(username)
            .cloned())
    }

    async fn put_user(&self, user: &UserRecord) -> PortResult<u64> {
        let mut users = self.0.lock().map_err(PortError::backend)?;
        let stored = users.get(&user.username).map_or(0, |u| u.version);
        if stored != user.version {
            return Err(PortError::Conflict(user.username.clone()));
        }
        let version = stored + 1;
        users.insert(
            user.username.clone(),
            UserRecord {
                version,
                ..user.clone()
            },
        );
        Ok(version)
    }

    async fn list_users(&self, _page: &PageRequest) -> PortResult<Page<UserRecord>> {
        let users = self.0.lock().map_err(PortError::backend)?;
        Ok(Page {
            items: users.values().cloned().collect(),
            next: None,
        })
    }
}

async fn pool(client: &Client) -> String {
    let pool = client
        .create_user_pool()
        .pool_name(unique("operators"))
        // As template.yaml declares it.
        .schema(
            aws_sdk_cognitoidentityprovider::types::SchemaAttributeType::builder()
                .name("opd")
                .attribute_data_type(
                    aws_sdk_cognitoidentityprovider::types::AttributeDataType::String,
                )
                .mutable(true)
                .build(),
        )
        .send()
        .await
        .expect("CreateUserPool");
    let id = pool
        .user_pool()
        .and_then(|p| p.id())
        .expect("pool id")
        .to_owned();
    for role in Role::ALL {
        client
            .create_group()
            .user_pool_id(&id)
            .group_name(role.as_str())
            .send()
            .await
            .expect("CreateGroup");
    }
    id
}

async fn groups_of(client: &Client, pool: &str, username: &str) -> Vec<String> {
    let output = client
        .admin_list_groups_for_user()
        .user_pool_id(pool)
        .username(username)
        .send()
        .await
        .expect("AdminListGroupsForUser");
    let mut names: Vec<String> = output
        .groups()
        .iter()
        .filter_map(|g| g.group_name().map(str::to_owned))
        .collect();
    names.sort();
    names
}

async fn opd_attribute(client: &Client, pool: &str, username: &str) -> Option<String> {
    client
        .admin_get_user()
        .user_pool_id(pool)
        .username(username)
        .send()
        .await
        .expect("AdminGetUser")
        .user_attributes()
        .iter()
        .find(|a| a.name() == prolink_aws::cognito::OPD_ATTRIBUTE)
        .and_then(|a| a.value().map(str::to_owned))
}

async fn enabled(client: &Client, pool: &str, username: &str) -> bool {
    client
        .admin_get_user()
        .user_pool_id(pool)
        .username(username)
        .send()
        .await
        .expect("AdminGetUser")
        .enabled()
}

#[tokio::test]
async fn an_admin_manages_accounts_in_the_pool_and_the_table_together() {
    let Some(config) = aws().await else { return };
    let client = Client::new(&config);
    let pool = pool(&client).await;
    let records = Arc::new(Records::default());
    let directory = CognitoUserDirectory::new(client.clone(), &pool, records.clone());

    let created = directory
        .create_user(
            &NewUser {
                username: "petugas.dlh".into(),
                role: Role::Opd,
                opd_id: Some("dlh".into()),
                password: "Sementara-123!".into(),
            },
            1_000,
        )
        .await
        .expect("create");
    assert_eq!(
        (created.role, created.opd_id.as_deref()),
        (Role::Opd, Some("dlh"))
    );
    assert_eq!(
        created.password_hash, None,
        "Cognito keeps the password, not the table"
    );
    assert_eq!(groups_of(&client, &pool, "petugas.dlh").await, ["opd"]);
    assert_eq!(
        opd_attribute(&client, &pool, "petugas.dlh")
            .await
            .as_deref(),
        Some("dlh")
    );
    assert_eq!(
        records
            .get_user("petugas.dlh")
            .await
            .expect("get")
            .map(|u| u.version),
        Some(1)
    );

    let again = directory
        .create_user(
            &NewUser {
                username: "petugas.dlh".into(),
                role: Role::Viewer,
                opd_id: None,
                password: "Sementara-456!".into(),
            },
            2_000,
        )
        .await;
    assert!(matches!(again, Err(PortError::Conflict(_))), "{again:?}");

    let promoted = directory
        .update_user(
            "petugas.dlh",
            &UserPatch {
                role: Some(Role::Operator),
                opd_id: Some(None),
                ..UserPatch::default()
            },
            3_000,
        )
        .await
        .expect("promote");
    assert_eq!((promoted.role, promoted.opd_id), (Role::Operator, None));
    assert_eq!(groups_of(&client, &pool, "petugas.dlh").await, ["operator"]);
    assert_eq!(opd_attribute(&client, &pool, "petugas.dlh").await, None);

    assert!(enabled(&client, &pool, "petugas.dlh").await);
    let disabled = directory
        .update_user(
            "petugas.dlh",
            &UserPatch {
                disabled: Some(true),
                password: Some("Baru-sementara-789!".into()),
                ..UserPatch::default()
            },
            4_000,
        )
        .await
        .expect("disable");
    assert!(disabled.disabled);
    assert!(!enabled(&client, &pool, "petugas.dlh").await);
    assert_eq!(disabled.version, 3);

    let unknown = directory
        .update_user("tidak.ada", &UserPatch::default(), 5_000)
        .await;
    assert!(
        matches!(unknown, Err(PortError::NotFound(_))),
        "{unknown:?}"
    );
}
