//! In-memory `UserStore` and `AuditLog` with the ports' conditional-write rules, until the
//! SQLite/DynamoDB adapters land (then the conformance suite covers those).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use async_trait::async_trait;

use prolink_app::ports::{
    AuditLog, AuditQuery, AuditRecord, Page, PageRequest, PortError, PortResult, UserRecord,
    UserStore,
};

#[derive(Default)]
pub struct MemoryUsers {
    users: Mutex<BTreeMap<String, UserRecord>>,
    pub gets: AtomicUsize,
}

impl MemoryUsers {
    pub fn user(&self, name: &str) -> Option<UserRecord> {
        self.users.lock().expect("lock").get(name).cloned()
    }

    /// Changes a row behind the application's back (an admin elsewhere).
    pub fn edit(&self, name: &str, change: impl FnOnce(&mut UserRecord)) {
        let mut users = self.users.lock().expect("lock");
        let user = users.get_mut(name).expect("a stored user");
        change(user);
        user.version += 1;
    }

    pub fn gets(&self) -> usize {
        self.gets.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl UserStore for MemoryUsers {
    async fn get_user(&self, username: &str) -> PortResult<Option<UserRecord>> {
        self.gets.fetch_add(1, Ordering::SeqCst);
        Ok(self.users.lock().expect("lock").get(username).cloned())
    }

    async fn put_user(&self, user: &UserRecord) -> PortResult<u64> {
        let mut users = self.users.lock().expect("lock");
        let stored = users
            .get(&user.username)
            .map(|stored| stored.version)
            .unwrap_or(0);
        if stored != user.version {
            return Err(PortError::Conflict(format!(
                "user {} is at version {stored}, not {}",
                user.username, user.version
            )));
        }
        let mut saved = user.clone();
        saved.version = stored + 1;
        users.insert(user.username.clone(), saved);
        Ok(stored + 1)
    }

    async fn list_users(&self, _page: &PageRequest) -> PortResult<Page<UserRecord>> {
        Ok(Page {
            items: self.users.lock().expect("lock").values().cloned().collect(),
            next: None,
        })
    }
}

#[derive(Default)]
pub struct MemoryAudit(Mutex<Vec<AuditRecord>>);

impl MemoryAudit {
    pub fn records(&self) -> Vec<AuditRecord> {
        self.0.lock().expect("lock").clone()
    }

    pub fn actions(&self) -> Vec<String> {
        self.records()
            .into_iter()
            .map(|record| record.action)
            .collect()
    }
}

#[async_trait]
impl AuditLog for MemoryAudit {
    async fn append_audit(&self, record: &AuditRecord) -> PortResult<()> {
        let mut records = self.0.lock().expect("lock");
        if !records.iter().any(|existing| existing.id == record.id) {
            records.push(record.clone());
        }
        Ok(())
    }

    async fn query_audit(
        &self,
        _query: &AuditQuery,
        _page: &PageRequest,
    ) -> PortResult<Page<AuditRecord>> {
        Ok(Page {
            items: self.records().into_iter().rev().collect(),
            next: None,
        })
    }
}
