//! The fake's data: users, tokens (keys stored only as hashes), hourly rate-limit budgets, and a
//! controllable clock.

use std::collections::{BTreeMap, HashMap};

use axum::http::{HeaderMap, header};
use chrono::{DateTime, Duration, DurationRound, Utc};
use rand::Rng;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// A user of the fake account(s).
#[derive(Debug, Clone)]
pub struct User {
    /// User id.
    pub id: String,
    /// Customer (account) id.
    pub customer_id: String,
    /// Login (an email address).
    pub login: String,
    /// Password.
    pub password: String,
    /// The one-time code this user may always send as `Fastly-OTP`, if 2FA is on.
    pub otp: Option<String>,
    /// The user's TOTP secret (RFC 6238, base32), if 2FA is on: the code it gives at the
    /// fake's time is accepted too, one 30-second step either way.
    pub totp_secret: Option<String>,
    /// May list the customer's tokens.
    pub is_admin: bool,
    /// May act on every customer and revoke anyone's tokens.
    pub is_superuser: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct StoredToken {
    pub id: String,
    pub user_id: String,
    pub customer_id: String,
    pub name: String,
    pub scope: String,
    pub services: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub sudo_expires_at: Option<DateTime<Utc>>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub key_hash: [u8; 32],
    pub revoked: bool,
    /// Set for an automation token (then `user_id` is its creator).
    pub automation: Option<Automation>,
}

/// What makes a token an automation token.
#[derive(Debug, Clone)]
pub(crate) struct Automation {
    pub role: String,
    pub tls_access: bool,
}

pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn opt_ts(t: Option<DateTime<Utc>>) -> Value {
    t.map_or(Value::Null, |t| Value::String(ts(t)))
}

impl StoredToken {
    /// A new, never used token of `user` with key `key` and a random id.
    #[allow(
        clippy::too_many_arguments,
        reason = "a plain constructor of a stored row"
    )]
    pub fn new(
        user: &User,
        key: &str,
        name: &str,
        scope: &str,
        services: Vec<String>,
        created_at: DateTime<Utc>,
        expires_at: Option<DateTime<Utc>>,
    ) -> Self {
        Self {
            id: new_id(),
            user_id: user.id.clone(),
            customer_id: user.customer_id.clone(),
            name: name.to_string(),
            scope: scope.to_string(),
            services,
            created_at,
            expires_at,
            last_used_at: None,
            sudo_expires_at: None,
            ip: None,
            user_agent: None,
            key_hash: hash_key(key),
            revoked: false,
            automation: None,
        }
    }

    /// An automation token item as `GET /automation-tokens` lists it (recorded 2025 key set:
    /// `scopes` as a space-delimited string, `services` `null` when unrestricted).
    pub fn to_automation_list_json(&self) -> Value {
        let a = self.automation.clone().unwrap_or(Automation {
            role: "engineer".to_string(),
            tls_access: false,
        });
        json!({
            "id": self.id,
            "creator_id": self.user_id,
            "customer_id": self.customer_id,
            "name": self.name,
            "access_token": "",
            "role": a.role,
            "ip": self.ip,
            "user_agent": self.user_agent,
            "scopes": self.scope,
            "services": if self.services.is_empty() { Value::Null } else { json!(self.services) },
            "service_id": null,
            "sudo_expires_at": null,
            "last_used_at": opt_ts(self.last_used_at),
            "created_at": ts(self.created_at),
            "expires_at": opt_ts(self.expires_at),
            "tls_access": a.tls_access,
        })
    }

    /// As `GET /automation-tokens/{id}` returns it: `scope`, no customer, creator or TLS flag.
    pub fn to_automation_json(&self) -> Value {
        json!({
            "id": self.id,
            "services": if self.services.is_empty() { Value::Null } else { json!(self.services) },
            "name": self.name,
            "role": self.automation.as_ref().map_or("engineer", |a| a.role.as_str()),
            "access_token": "",
            "scope": self.scope,
            "ip": self.ip,
            "created_at": ts(self.created_at),
            "last_used_at": opt_ts(self.last_used_at),
            "expires_at": opt_ts(self.expires_at),
            "user_agent": self.user_agent,
        })
    }

    /// The create response, with the 2025 sentinels: `""` for every unset value.
    pub fn to_automation_created_json(&self, access_token: &str) -> Value {
        let a = self.automation.clone().unwrap_or(Automation {
            role: "engineer".to_string(),
            tls_access: false,
        });
        json!({
            "id": self.id,
            "services": self.services,
            "name": self.name,
            "role": a.role,
            "access_token": access_token,
            "scope": self.scope,
            "ip": "",
            "created_at": ts(self.created_at),
            "last_used_at": "",
            "expires_at": self.expires_at.map_or(String::new(), ts),
            "user_agent": "",
            "tls_access": a.tls_access,
            "customer_id": self.customer_id,
        })
    }

    /// The field set and nulls of the real GET responses.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "user_id": self.user_id,
            "customer_id": self.customer_id,
            "name": self.name,
            "last_used_at": opt_ts(self.last_used_at),
            "created_at": ts(self.created_at),
            "expires_at": opt_ts(self.expires_at),
            "ip": self.ip,
            "user_agent": self.user_agent,
            "sudo_expires_at": opt_ts(self.sudo_expires_at),
            "scopes": self.scope.split_whitespace().collect::<Vec<_>>(),
            "scope": self.scope,
            "services": self.services,
            "service_id": self.services.last(),
        })
    }

    /// The field set of the real create response.
    pub fn to_created_json(&self, access_token: &str) -> Value {
        json!({
            "id": self.id,
            "name": self.name,
            "user_id": self.user_id,
            "customer_id": self.customer_id,
            "service_id": self.services.last(),
            "expires_at": opt_ts(self.expires_at),
            "created_at": ts(self.created_at),
            "updated_at": ts(self.created_at),
            "scope": self.scope,
            "services": self.services,
            "access_token": access_token,
        })
    }

    pub fn is_read_only(&self) -> bool {
        let mut scopes = self.scope.split_whitespace().peekable();
        scopes.peek().is_some() && scopes.all(|s| s == "global:read")
    }
}

pub(crate) fn hash_key(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const URL_SAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

pub(crate) fn random_from(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
        .collect()
}

pub(crate) fn new_id() -> String {
    random_from(BASE62, 22)
}

pub(crate) fn new_access_token() -> String {
    random_from(URL_SAFE, 32)
}

#[derive(Debug, Default, Clone, Copy)]
struct Budget {
    window: i64,
    used: u32,
}

/// Outcome of charging one non-read request to a user's hourly budget.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Charge {
    pub allowed: bool,
    pub remaining: u32,
    pub reset: i64,
}

#[derive(Debug)]
pub(crate) struct State {
    pub users: Vec<User>,
    pub tokens: BTreeMap<String, StoredToken>,
    pub by_hash: HashMap<[u8; 32], String>,
    budgets: HashMap<String, Budget>,
    pub hourly_limit: u32,
    pub clock_offset: Duration,
    pub fixed_now: Option<DateTime<Utc>>,
    /// End of each user's sudo window (`POST /sudo`).
    pub sudo_until: HashMap<String, DateTime<Utc>>,
}

impl State {
    pub fn new(hourly_limit: u32) -> Self {
        Self {
            users: Vec::new(),
            tokens: BTreeMap::new(),
            by_hash: HashMap::new(),
            budgets: HashMap::new(),
            hourly_limit,
            clock_offset: Duration::zero(),
            fixed_now: None,
            sudo_until: HashMap::new(),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        let base = self.fixed_now.unwrap_or_else(Utc::now) + self.clock_offset;
        base.duration_trunc(Duration::seconds(1)).unwrap_or(base)
    }

    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    /// Stores a token (its key only as the hash); returns it.
    pub fn insert(&mut self, token: StoredToken) -> &StoredToken {
        self.by_hash.insert(token.key_hash, token.id.clone());
        let id = token.id.clone();
        self.tokens.insert(id.clone(), token);
        &self.tokens[&id]
    }

    /// The live token a key resolves to (not revoked, not expired).
    pub fn resolve(&self, key: &str) -> Option<&StoredToken> {
        let id = self.by_hash.get(&hash_key(key))?;
        let token = self.tokens.get(id)?;
        let expired = token.expires_at.is_some_and(|at| at <= self.now());
        (!token.revoked && !expired).then_some(token)
    }

    /// Charges one non-read request to `user_id`'s hourly budget.
    pub fn charge(&mut self, user_id: &str) -> Charge {
        let now = self.now().timestamp();
        let window = now - now.rem_euclid(3600);
        let limit = self.hourly_limit;
        let budget = self.budgets.entry(user_id.to_string()).or_default();
        if budget.window != window {
            *budget = Budget { window, used: 0 };
        }
        let allowed = budget.used < limit;
        if allowed {
            budget.used += 1;
        }
        Charge {
            allowed,
            remaining: limit - budget.used,
            reset: window + 3600,
        }
    }

    pub fn reset_budgets(&mut self) {
        self.budgets.clear();
    }
}

pub(crate) const KNOWN_SCOPES: [&str; 4] = ["global", "global:read", "purge_select", "purge_all"];

/// Resolves `Fastly-Key` and records the use (last used, IP, user agent), as Fastly does.
pub(crate) fn authenticate(state: &mut State, headers: &HeaderMap) -> Option<StoredToken> {
    let key = headers.get("fastly-key")?.to_str().ok()?;
    let id = state.resolve(key)?.id.clone();
    let now = state.now();
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let token = state.tokens.get_mut(&id)?;
    token.last_used_at = Some(now);
    token.ip = Some("127.0.0.1".to_string());
    token.user_agent = user_agent;
    Some(token.clone())
}

impl User {
    /// Whether `sent` is a one-time code this user may send at `now`: the fixed demo code, or
    /// the TOTP code of `now` (one step of skew), computed on the fake's clock.
    pub(crate) fn accepts_otp(&self, sent: Option<&str>, now: DateTime<Utc>) -> bool {
        let Some(sent) = sent else {
            return self.otp.is_none();
        };
        if self.otp.as_deref() == Some(sent) {
            return true;
        }
        let Some(secret) = &self.totp_secret else {
            return false;
        };
        let Ok(bytes) = totp_rs::Secret::Encoded(secret.clone()).to_bytes() else {
            return false;
        };
        let totp = totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes);
        u64::try_from(now.timestamp()).is_ok_and(|t| totp.check(sent, t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> User {
        User {
            id: "u".into(),
            customer_id: "c".into(),
            login: "a@example.com".into(),
            password: "p".into(),
            otp: Some("123456".into()),
            totp_secret: Some(crate::seed::DEMO_TOTP_SECRET.into()),
            is_admin: false,
            is_superuser: false,
        }
    }

    #[test]
    fn totp_codes_follow_the_fakes_clock() {
        let user = user();
        let now = DateTime::parse_from_rfc3339("2026-06-01T12:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        let bytes = totp_rs::Secret::Encoded(crate::seed::DEMO_TOTP_SECRET.into())
            .to_bytes()
            .expect("base32");
        let totp = totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes);
        let code = totp.generate(u64::try_from(now.timestamp()).expect("after 1970"));
        assert!(user.accepts_otp(Some(&code), now));
        assert!(
            user.accepts_otp(Some(&code), now + Duration::seconds(30)),
            "one step of skew"
        );
        assert!(
            !user.accepts_otp(Some(&code), now + Duration::minutes(5)),
            "a stale code"
        );
        assert!(
            user.accepts_otp(Some("123456"), now),
            "the fixed demo code stays"
        );
        assert!(!user.accepts_otp(None, now));
        assert!(!user.accepts_otp(Some("000000"), now) || code == "000000");
    }
}
