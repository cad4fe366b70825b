//! Who works on the operator side and what each kind of user may do at all. Which route a
//! role may call is the operator API's table; this module only names the roles.

use serde::{Deserialize, Serialize};

/// An operator's role. On AWS it comes from the user's Cognito group (`cognito:groups`),
/// locally from the token's own `role` claim; the serialised names are the group names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything, users and settings included.
    Admin,
    /// Diskominfo: every complaint, conversation, content and broadcast.
    Operator,
    /// Staff of one OPD: that OPD's complaints only, reporters' phone numbers masked.
    Opd,
    /// Statistics only.
    Viewer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Operator, Role::Opd, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Opd => "opd",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == name)
    }

    /// The role a set of group names grants: the most powerful one (a user put in two
    /// groups by mistake gets the larger, as Cognito's own precedence would).
    pub fn from_groups<'a>(groups: impl IntoIterator<Item = &'a str>) -> Option<Role> {
        groups.into_iter().filter_map(Role::parse).min()
    }

    /// Indonesian label for the dashboard and error messages.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::Operator => "Operator Diskominfo",
            Role::Opd => "Petugas OPD",
            Role::Viewer => "Pemantau",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_groups_pick_the_largest_role() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            let json = serde_json::to_string(&role).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
        }
        assert_eq!(Role::parse("Admin"), None);
        assert_eq!(Role::from_groups(["viewer", "opd"]), Some(Role::Opd));
        assert_eq!(Role::from_groups(["other", "admin"]), Some(Role::Admin));
        assert_eq!(Role::from_groups(["other"]), None);
    }
}
