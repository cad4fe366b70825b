//! `LocalUserDirectory` and the account rules the API and the CLI share.

use std::sync::Arc;

use prolink_app::api::auth::password::verify_password;
use prolink_app::api::auth::{
    validate_password, validate_role_opd, validate_username, LocalUserDirectory,
};
use prolink_app::ports::{NewUser, PageRequest, PortError, Role, UserDirectory, UserPatch};

use super::memory::MemoryUsers;

const NOW_MS: i64 = 1_795_996_800_000;

fn new_user(name: &str, role: Role, opd: Option<&str>) -> NewUser {
    NewUser {
        username: name.into(),
        role,
        opd_id: opd.map(str::to_string),
        password: "sandi-awal-123".into(),
    }
}

#[test]
fn usernames() {
    let cases = [
        ("budi", true),
        ("petugas.dinkes-2_b", true),
        ("abc", true),
        (&"a".repeat(64) as &str, true),
        ("ab", false),
        (&"a".repeat(65), false),
        ("Budi", false),
        ("budi santoso", false),
        ("budi@kota", false),
        ("büdi", false),
        ("", false),
    ];
    for (name, ok) in cases {
        assert_eq!(validate_username(name).is_ok(), ok, "{name:?}");
    }
}

#[test]
fn passwords_and_role_opd_combinations() {
    for (password, ok) in [
        ("123456789", false),
        ("1234567890", true),
        ("ééééééééé", false),
        ("éééééééééé", true),
        (&"x".repeat(257) as &str, false),
    ] {
        assert_eq!(validate_password(password).is_ok(), ok, "{password:?}");
    }
    let cases = [
        (Role::Opd, Some("dinkes"), true),
        (Role::Opd, None, false),
        (Role::Opd, Some(" "), false),
        (Role::Admin, None, true),
        (Role::Admin, Some("dinkes"), false),
        (Role::Operator, Some("dinkes"), false),
        (Role::Viewer, None, true),
    ];
    for (role, opd, ok) in cases {
        let outcome = validate_role_opd(role, opd);
        assert_eq!(outcome.is_ok(), ok, "{role:?} {opd:?}");
        if let Err(error) = outcome {
            assert!(
                error.to_string().contains("OPD"),
                "Indonesian text: {error}"
            );
        }
    }
}

#[tokio::test]
async fn create_hashes_the_password_and_refuses_a_taken_name_or_a_bad_combination() {
    let users = Arc::new(MemoryUsers::default());
    let directory = LocalUserDirectory::new(users.clone());
    let created = directory
        .create_user(&new_user("budi", Role::Opd, Some("dinkes")), NOW_MS)
        .await
        .expect("created");
    assert_eq!(created.version, 1);
    let hash = created.password_hash.clone().expect("a hash");
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains("sandi-awal-123"));
    assert!(verify_password("sandi-awal-123", Some(&hash)));
    assert!(!verify_password("sandi-awal-124", Some(&hash)));
    assert!(
        !format!("{created:?}").contains("argon2"),
        "Debug redacts the hash"
    );

    let again = directory
        .create_user(&new_user("budi", Role::Viewer, None), NOW_MS)
        .await;
    assert!(matches!(again, Err(PortError::Conflict(_))), "{again:?}");
    for bad in [
        new_user("ani", Role::Opd, None),
        new_user("ani", Role::Admin, Some("dinkes")),
        new_user("A B", Role::Admin, None),
        NewUser {
            password: "pendek".into(),
            ..new_user("ani", Role::Admin, None)
        },
    ] {
        let outcome = directory.create_user(&bad, NOW_MS).await;
        assert!(
            matches!(outcome, Err(PortError::Invalid(_))),
            "{bad:?}: {outcome:?}"
        );
    }
    let listed = directory
        .list_users(&PageRequest {
            limit: 10,
            after: None,
        })
        .await
        .expect("a list");
    assert_eq!(listed.items.len(), 1);
}

#[tokio::test]
async fn update_changes_role_opd_disabled_and_password() {
    let users = Arc::new(MemoryUsers::default());
    let directory = LocalUserDirectory::new(users.clone());
    directory
        .create_user(&new_user("budi", Role::Opd, Some("dinkes")), NOW_MS)
        .await
        .expect("created");
    users.edit("budi", |user| user.failed_logins = vec![NOW_MS; 5]);

    // Leaving the opd role must drop the OPD in the same change.
    let refused = directory
        .update_user(
            "budi",
            &UserPatch {
                role: Some(Role::Operator),
                ..UserPatch::default()
            },
            NOW_MS,
        )
        .await;
    assert!(matches!(refused, Err(PortError::Invalid(_))), "{refused:?}");

    let updated = directory
        .update_user(
            "budi",
            &UserPatch {
                role: Some(Role::Operator),
                opd_id: Some(None),
                disabled: Some(true),
                password: Some("sandi-baru-456".into()),
            },
            NOW_MS + 1,
        )
        .await
        .expect("updated");
    assert_eq!(
        (updated.role, updated.opd_id.as_deref(), updated.disabled),
        (Role::Operator, None, true)
    );
    assert_eq!(updated.updated_ms, NOW_MS + 1);
    assert!(updated.failed_logins.is_empty(), "a reset unlocks");
    let stored = users.user("budi").expect("stored");
    assert_eq!(stored, updated);
    assert!(verify_password(
        "sandi-baru-456",
        stored.password_hash.as_deref()
    ));

    let missing = directory
        .update_user("siapa", &UserPatch::default(), NOW_MS)
        .await;
    assert!(
        matches!(missing, Err(PortError::NotFound(_))),
        "{missing:?}"
    );
}
