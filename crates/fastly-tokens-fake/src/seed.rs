//! What every fake starts with: a customer, two services, three users and eight tokens, as
//! tables. Ids are fixed (`5eEd…`) so demo output and snapshots are stable; times are relative
//! to the fake's clock.

use crate::state::{Automation, State, StoredToken, User};

/// A seeded user and the tokens created for them.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SeedUser {
    /// Short name used to look the user up (`alice`, `bob`, `root`).
    pub handle: &'static str,
    /// User id.
    pub id: String,
    /// Login (email).
    pub login: String,
    /// Password.
    pub password: String,
    /// The OTP this user may always send, if 2FA is on.
    pub otp: Option<String>,
    /// The user's TOTP secret (base32), if 2FA is on: codes from it are checked against the
    /// fake's clock, so they follow `advance`.
    pub totp_secret: Option<String>,
    /// The key of the user's main `global` token.
    pub key: String,
    /// The user's seeded tokens.
    pub tokens: Vec<SeedToken>,
}

/// A seeded token.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SeedToken {
    /// Token id.
    pub id: String,
    /// Token name.
    pub name: String,
    /// Its key (the access token), for using it.
    pub key: String,
}

/// What the fake starts with.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Seed {
    /// The demo customer every seeded user belongs to.
    pub customer_id: String,
    /// Service ids tokens can be limited to.
    pub services: Vec<String>,
    /// alice (admin, 2FA), bob (plain user), root (superuser).
    pub users: Vec<SeedUser>,
    /// The customer's automation tokens (created by root).
    pub automation: Vec<SeedToken>,
}

impl Seed {
    /// A seeded user by handle.
    ///
    /// # Panics
    ///
    /// If there is no such handle: a test-setup mistake.
    pub fn user(&self, handle: &str) -> &SeedUser {
        self.users
            .iter()
            .find(|u| u.handle == handle)
            .unwrap_or_else(|| panic!("no seeded user {handle:?}; have alice, bob, root"))
    }

    /// A seeded automation token by name.
    ///
    /// # Panics
    ///
    /// If there is no such token: a test-setup mistake.
    pub fn automation_token(&self, name: &str) -> &SeedToken {
        self.automation
            .iter()
            .find(|t| t.name == name)
            .unwrap_or_else(|| panic!("no seeded automation token {name:?}"))
    }

    /// A seeded token by name, across users.
    ///
    /// # Panics
    ///
    /// If there is no such token: a test-setup mistake.
    pub fn token(&self, name: &str) -> &SeedToken {
        self.users
            .iter()
            .flat_map(|u| &u.tokens)
            .find(|t| t.name == name)
            .unwrap_or_else(|| panic!("no seeded token {name:?}"))
    }
}

/// The demo customer every seeded user belongs to.
const CUSTOMER_ID: &str = "5eEdCustomer0000000001";
/// Services tokens can be limited to (indexed by [`TokenRow::services`]).
const SERVICES: [&str; 2] = ["5eEdService00000000001", "5eEdService00000000002"];

/// One seeded user.
struct UserRow {
    handle: &'static str,
    id: &'static str,
    login: &'static str,
    otp: Option<&'static str>,
    is_admin: bool,
    is_superuser: bool,
}

#[rustfmt::skip]
const USERS: [UserRow; 3] = [
    UserRow { handle: "alice", id: "5eEdUserA1ice000000001", login: "alice@example.com", otp: Some("123456"), is_admin: true,  is_superuser: false },
    UserRow { handle: "bob",   id: "5eEdUserB0b00000000002", login: "bob@example.com",   otp: None,           is_admin: false, is_superuser: false },
    UserRow { handle: "root",  id: "5eEdUserR00t0000000003", login: "root@example.com",  otp: None,           is_admin: false, is_superuser: true  },
];

/// One seeded token. Days are relative to the fake's clock: created that many days ago,
/// expiring in that many days (negative: already expired), last used that many days ago.
struct TokenRow {
    owner: usize,
    name: &'static str,
    scope: &'static str,
    services: &'static [usize],
    created_days_ago: i64,
    expires_in_days: Option<i64>,
    last_used_days_ago: Option<i64>,
}

#[rustfmt::skip]
const TOKENS: [TokenRow; 8] = [
    TokenRow { owner: 0, name: "alice-global",                      scope: "global",                   services: &[],     created_days_ago: 200, expires_in_days: None,      last_used_days_ago: Some(0) },
    TokenRow { owner: 0, name: "manage.fastly.com browser session", scope: "global",                   services: &[],     created_days_ago: 1,   expires_in_days: None,      last_used_days_ago: Some(0) },
    TokenRow { owner: 0, name: "dashboards",                        scope: "global:read",              services: &[0],    created_days_ago: 30,  expires_in_days: Some(60),  last_used_days_ago: None },
    TokenRow { owner: 0, name: "ci-purge",                          scope: "purge_select global:read", services: &[0, 1], created_days_ago: 300, expires_in_days: Some(10),  last_used_days_ago: Some(120) },
    TokenRow { owner: 0, name: "old-deploy",                        scope: "global",                   services: &[1],    created_days_ago: 400, expires_in_days: Some(-5),  last_used_days_ago: Some(40) },
    TokenRow { owner: 1, name: "bob-global",                        scope: "global",                   services: &[],     created_days_ago: 50,  expires_in_days: None,      last_used_days_ago: Some(2) },
    TokenRow { owner: 1, name: "bob-purge",                         scope: "purge_all",                services: &[0],    created_days_ago: 20,  expires_in_days: Some(200), last_used_days_ago: Some(1) },
    TokenRow { owner: 2, name: "root-global",                       scope: "global",                   services: &[],     created_days_ago: 900, expires_in_days: None,      last_used_days_ago: Some(0) },
];

/// One seeded automation token (created by root); days as in [`TokenRow`].
struct AutomationRow {
    name: &'static str,
    role: &'static str,
    scope: &'static str,
    services: &'static [usize],
    created_days_ago: i64,
    last_used_days_ago: Option<i64>,
}

#[rustfmt::skip]
const AUTOMATION: [AutomationRow; 2] = [
    AutomationRow { name: "fastly-exporter", role: "engineer", scope: "global:read", services: &[],  created_days_ago: 400, last_used_days_ago: Some(3) },
    AutomationRow { name: "deploy",          role: "engineer", scope: "global",      services: &[0], created_days_ago: 30,  last_used_days_ago: None },
];

/// The TOTP secret of the seeded 2FA users (RFC 4648 base32 of 20 bytes).
pub(crate) const DEMO_TOTP_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

/// Fills `state` with the tables above and returns what tests need to know about them.
pub(crate) fn seed(state: &mut State) -> Seed {
    let now = state.now();
    let day = chrono::Duration::days(1);
    let services: Vec<String> = SERVICES.iter().map(|s| s.to_string()).collect();
    let mut seeded = Vec::new();
    for row in &USERS {
        let user = User {
            id: row.id.to_string(),
            customer_id: CUSTOMER_ID.to_string(),
            login: row.login.to_string(),
            password: format!("{}-demo-password", row.handle),
            otp: row.otp.map(str::to_string),
            // A fixed demo secret (20 bytes, base32), the same for every 2FA user.
            totp_secret: row.otp.map(|_| DEMO_TOTP_SECRET.to_string()),
            is_admin: row.is_admin,
            is_superuser: row.is_superuser,
        };
        state.users.push(user.clone());
        seeded.push(SeedUser {
            handle: row.handle,
            id: user.id,
            login: user.login,
            password: user.password,
            otp: user.otp,
            totp_secret: user.totp_secret,
            key: String::new(),
            tokens: Vec::new(),
        });
    }
    for (i, row) in TOKENS.iter().enumerate() {
        let user = state.users[row.owner].clone();
        let key = format!(
            "fake-{}-key-{i:02}-{}",
            seeded[row.owner].handle,
            "x".repeat(12)
        );
        let mut token = StoredToken::new(
            &user,
            &key,
            row.name,
            row.scope,
            row.services.iter().map(|&s| services[s].clone()).collect(),
            now - day * row.created_days_ago as i32,
            row.expires_in_days.map(|d| now + day * d as i32),
        );
        let id = format!("5eEdTok{:02}{}", i, "0".repeat(13));
        token.id = id.clone();
        if let Some(days) = row.last_used_days_ago {
            token.last_used_at = Some(now - day * days as i32);
            token.ip = Some("203.0.113.10".to_string());
            token.user_agent = Some("fastly-tokens-demo".to_string());
        }
        if row.name.starts_with("manage.fastly.com") {
            token.sudo_expires_at = Some(now + chrono::Duration::minutes(5));
        }
        state.insert(token);
        let owner = &mut seeded[row.owner];
        if owner.key.is_empty() {
            owner.key = key.clone();
        }
        owner.tokens.push(SeedToken {
            id,
            name: row.name.to_string(),
            key,
        });
    }
    let root = state.users[2].clone();
    let mut automation = Vec::new();
    for (i, row) in AUTOMATION.iter().enumerate() {
        let key = format!("fake-automation-key-{i:02}-{}", "x".repeat(12));
        let mut token = StoredToken::new(
            &root,
            &key,
            row.name,
            row.scope,
            row.services.iter().map(|&s| services[s].clone()).collect(),
            now - day * row.created_days_ago as i32,
            None,
        );
        let id = format!("5eEdAuto{:02}{}", i, "0".repeat(12));
        token.id = id.clone();
        token.automation = Some(Automation {
            role: row.role.to_string(),
            tls_access: false,
        });
        if let Some(days) = row.last_used_days_ago {
            token.last_used_at = Some(now - day * days as i32);
            token.ip = Some("203.0.113.196".to_string());
            token.user_agent = Some("Fastly-Exporter (9.0.0)".to_string());
        }
        state.insert(token);
        automation.push(SeedToken {
            id,
            name: row.name.to_string(),
            key,
        });
    }
    Seed {
        customer_id: CUSTOMER_ID.to_string(),
        services,
        users: seeded,
        automation,
    }
}
