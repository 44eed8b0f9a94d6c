//! The `create_token` form body, written by hand because the generated one cannot be sent.
//!
//! progenitor would generate `services: Vec<String>`, which `serde_urlencoded` rejects at run
//! time ("unsupported value") as soon as one service is given. This type serializes as a
//! sequence of `(key, value)` pairs instead, which `serde_urlencoded` supports, so two services
//! go out as `services%5B%5D=a&services%5B%5D=b`, as the real API expects. The xtask points the
//! generator at this type with `with_replacement("CreateTokenRequest", ..)`.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::ser::{Serialize, SerializeSeq, Serializer};

/// Form fields of `POST /tokens`. Fields left `None` (or an empty `services`) are not sent.
#[derive(Clone, Default, PartialEq)]
pub struct CreateTokenRequest {
    /// Token name.
    pub name: Option<String>,
    /// Space-delimited scopes, e.g. `purge_select global:read`. The API defaults to `global`.
    pub scope: Option<String>,
    /// Service ids to limit the token to; empty means every service.
    pub services: Vec<String>,
    /// When the token stops working; sent as RFC 3339 UTC (`2030-01-01T00:00:00Z`).
    pub expires_at: Option<DateTime<Utc>>,
    /// Account user name (an email address), for username/password credentials.
    pub username: Option<String>,
    /// Account password. Redacted from `Debug`.
    pub password: Option<String>,
}

impl std::fmt::Debug for CreateTokenRequest {
    // Hand-written so that the password never reaches a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreateTokenRequest")
            .field("name", &self.name)
            .field("scope", &self.scope)
            .field("services", &self.services)
            .field("expires_at", &self.expires_at)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[REDACTED]"))
            .finish()
    }
}

impl CreateTokenRequest {
    /// The form as ordered `(key, value)` pairs, exactly as they go on the wire.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::with_capacity(5 + self.services.len());
        if let Some(name) = &self.name {
            pairs.push(("name", name.clone()));
        }
        if let Some(scope) = &self.scope {
            pairs.push(("scope", scope.clone()));
        }
        for service in &self.services {
            pairs.push(("services[]", service.clone()));
        }
        if let Some(expires_at) = &self.expires_at {
            pairs.push((
                "expires_at",
                expires_at.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            ));
        }
        if let Some(username) = &self.username {
            pairs.push(("username", username.clone()));
        }
        if let Some(password) = &self.password {
            pairs.push(("password", password.clone()));
        }
        pairs
    }
}

impl Serialize for CreateTokenRequest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let pairs = self.pairs();
        let mut seq = serializer.serialize_seq(Some(pairs.len()))?;
        for pair in &pairs {
            seq.serialize_element(pair)?;
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_repeat_with_brackets() {
        let form = CreateTokenRequest {
            name: Some("ci".into()),
            scope: Some("global purge_select".into()),
            services: vec!["s1".into(), "s2".into()],
            expires_at: Some(DateTime::from_timestamp(1_893_456_000, 0).expect("valid")),
            ..Default::default()
        };
        assert_eq!(
            serde_urlencoded::to_string(&form).expect("encodes"),
            "name=ci&scope=global+purge_select&services%5B%5D=s1&services%5B%5D=s2\
             &expires_at=2030-01-01T00%3A00%3A00Z"
        );
    }

    #[test]
    fn debug_redacts_the_password() {
        let form = CreateTokenRequest {
            password: Some("hunter2-secret".into()),
            ..Default::default()
        };
        let shown = format!("{form:?}");
        assert!(!shown.contains("hunter2-secret"), "{shown}");
        assert!(shown.contains("[REDACTED]"));
    }
}
