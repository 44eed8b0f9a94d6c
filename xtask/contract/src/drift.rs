//! `cargo xtask contract --live`: does what Fastly serves still match our spec?
//!
//! Read-only calls only, with the caller's `FASTLY_API_TOKEN` (`FASTLY_API_ENDPOINT` for another
//! endpoint): the current token, the user's tokens, one token by id, and the automation tokens
//! when the key may list them. Each answer is checked against the spec: an undeclared status,
//! a body that does not validate (a `null` where the spec promises a value, a type change), and
//! fields the spec does not describe. The report is text or `--json`; the exit code says how
//! bad it is:
//!
//! | exit | meaning |
//! |---|---|
//! | 0 | no drift |
//! | 1 | only fields the spec lacks (the spec should describe them; nothing breaks) |
//! | 2 | breaking drift: an undeclared status, or a body the spec (and so the client) rejects |
//! | 3 | no token: set `FASTLY_API_TOKEN` (and nothing was called) |
//! | 4 | the calls themselves failed (network, 401...) |
//!
//! A nightly job a maintainer would add (it cannot run in this repository's CI, which has no
//! account):
//!
//! ```yaml
//! # .github/workflows/drift.yml
//! on: { schedule: [{ cron: "17 4 * * *" }], workflow_dispatch: {} }
//! jobs:
//!   drift:
//!     runs-on: ubuntu-latest
//!     steps:
//!       - uses: actions/checkout@v4
//!       - run: cargo xtask contract --live --json > drift.json
//!         env: { FASTLY_API_TOKEN: "${{ secrets.FASTLY_READ_ONLY_TOKEN }}" }
//!       - uses: actions/upload-artifact@v4
//!         if: always()
//!         with: { name: drift, path: drift.json }
//! ```
//!
//! A `global:read` token is enough and is what the job should hold.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::schema::to_json_schema;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    /// A field the spec does not describe.
    NewField,
    /// The spec (and so the client) rejects what Fastly sent.
    Breaking,
}

/// One difference between a real answer and the spec.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Finding {
    pub level: Level,
    /// `field-not-in-spec`, `schema-violation` or `undeclared-status`.
    pub kind: &'static str,
    pub operation: &'static str,
    pub status: u16,
    /// JSON pointer into the body, when about a field.
    pub at: Option<String>,
    pub detail: String,
}

/// The whole report.
#[derive(Debug, Default, serde::Serialize)]
pub struct Report {
    pub endpoint: String,
    /// Operations called, with the status each answered.
    pub calls: Vec<(String, u16)>,
    pub findings: Vec<Finding>,
    /// What was not checked, and why (e.g. automation tokens not listable by this key).
    pub skipped: Vec<String>,
}

impl Report {
    /// The exit code (see the module docs).
    pub fn exit_code(&self) -> u8 {
        match self.findings.iter().map(|f| f.level).max() {
            None => 0,
            Some(Level::NewField) => 1,
            Some(Level::Breaking) => 2,
        }
    }
}

fn operation<'a>(spec: &'a Value, operation_id: &str) -> Option<&'a Value> {
    spec.get("paths")?.as_object()?.values().find_map(|item| {
        item.as_object()?
            .values()
            .find(|op| op.get("operationId").and_then(Value::as_str) == Some(operation_id))
    })
}

fn resolve<'a>(spec: &'a Value, mut v: &'a Value) -> &'a Value {
    for _ in 0..32 {
        match v.get("$ref").and_then(Value::as_str) {
            Some(t) => match spec.pointer(t.trim_start_matches('#')) {
                Some(next) => v = next,
                None => return v,
            },
            None => return v,
        }
    }
    v
}

/// Fields of `body` that `schema` does not describe, as JSON pointers.
fn unknown_fields(spec: &Value, schema: &Value, body: &Value, at: &str, out: &mut Vec<String>) {
    let schema = resolve(spec, schema);
    match body {
        Value::Object(map) => {
            let Some(props) = schema.get("properties").and_then(Value::as_object) else {
                return;
            };
            for (key, value) in map {
                let here = format!("{at}/{key}");
                match props.get(key) {
                    Some(sub) => unknown_fields(spec, sub, value, &here, out),
                    None => out.push(here),
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                // Every item has the same shape: report a field once, at the first item with it.
                let mut seen = BTreeSet::new();
                for (i, item) in items.iter().enumerate() {
                    let mut found = Vec::new();
                    unknown_fields(spec, item_schema, item, &format!("{at}/{i}"), &mut found);
                    for f in found {
                        let shape = f
                            .splitn(3, '/')
                            .nth(2)
                            .map(str::to_string)
                            .unwrap_or_default();
                        if seen.insert(shape) {
                            out.push(f);
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

/// Checks one answer of `operation_id` against the spec.
pub fn check(spec: &Value, operation_id: &'static str, status: u16, body: &Value) -> Vec<Finding> {
    let finding = |level, kind, at: Option<String>, detail: String| Finding {
        level,
        kind,
        operation: operation_id,
        status,
        at,
        detail,
    };
    let Some(op) = operation(spec, operation_id) else {
        return vec![finding(
            Level::Breaking,
            "undeclared-status",
            None,
            "the spec has no such operation".into(),
        )];
    };
    let Some(response) = op
        .pointer(&format!("/responses/{status}"))
        .map(|r| resolve(spec, r))
    else {
        return vec![finding(
            Level::Breaking,
            "undeclared-status",
            None,
            format!("Fastly answered {status}, which the spec does not declare for {operation_id}"),
        )];
    };
    let Some(schema) = response.pointer("/content/application~1json/schema") else {
        return Vec::new();
    };
    let mut findings = Vec::new();
    let json_schema = to_json_schema(spec, schema);
    match jsonschema::options()
        .should_validate_formats(true)
        .build(&json_schema)
    {
        Ok(validator) => {
            for e in validator.iter_errors(body) {
                // The message names the offending value; keep the kind and where, not the value
                // (a body may hold anything, and reports end up in CI logs).
                let pointer = e.instance_path().to_string();
                let kind = match e.kind() {
                    jsonschema::error::ValidationErrorKind::Type { .. } => {
                        "has the wrong type (a null where the spec promises a value, or a type change)"
                    }
                    jsonschema::error::ValidationErrorKind::Required { .. } => {
                        "lacks a required field"
                    }
                    jsonschema::error::ValidationErrorKind::Format { .. } => "has the wrong format",
                    _ => "does not match the spec",
                };
                findings.push(finding(
                    Level::Breaking,
                    "schema-violation",
                    Some(pointer),
                    kind.to_string(),
                ));
            }
        }
        Err(e) => findings.push(finding(
            Level::Breaking,
            "schema-violation",
            None,
            format!("the spec's schema does not compile: {e}"),
        )),
    }
    let mut unknown = Vec::new();
    unknown_fields(spec, schema, body, "", &mut unknown);
    for at in unknown {
        findings.push(finding(
            Level::NewField,
            "field-not-in-spec",
            Some(at),
            "Fastly returns a field the spec does not describe".into(),
        ));
    }
    findings
}

/// Makes the read-only calls against `endpoint` with `token` and checks every answer.
pub async fn run(spec: &Value, endpoint: &str, token: &str) -> Result<Report, String> {
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let base = endpoint.trim_end_matches('/');
    let get = |path: String| {
        let http = http.clone();
        async move {
            let response = http
                .get(format!("{base}{path}"))
                .header("fastly-key", token)
                .header("accept", "application/json")
                .send()
                .await
                .map_err(|e| format!("GET {path}: {}", e.without_url()))?;
            let status = response.status().as_u16();
            let bytes = response
                .bytes()
                .await
                .map_err(|e| format!("GET {path}: {}", e.without_url()))?;
            let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            Ok::<_, String>((status, body))
        }
    };
    let mut report = Report {
        endpoint: base.to_string(),
        ..Report::default()
    };
    let record = |report: &mut Report, op: &'static str, status: u16, body: &Value| {
        report.calls.push((op.to_string(), status));
        report.findings.extend(check(spec, op, status, body));
    };
    let (status, me) = get("/tokens/self".into()).await?;
    if status == 401 || status == 403 {
        return Err(format!(
            "GET /tokens/self answered {status}: the token does not work; nothing was checked"
        ));
    }
    record(&mut report, "get_token_current", status, &me);
    let (status, list) = get("/tokens".into()).await?;
    record(&mut report, "list_tokens_user", status, &list);
    if let Some(id) = me
        .get("id")
        .and_then(Value::as_str)
        .filter(|id| id.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        let (status, one) = get(format!("/tokens/{id}")).await?;
        record(&mut report, "get_token", status, &one);
    }
    let (status, automation) = get("/automation-tokens?page=1&per_page=100".into()).await?;
    if status == 401 || status == 403 {
        report.calls.push(("list_automation_tokens".into(), status));
        report.skipped.push(format!(
            "automation tokens: this key may not list them ({status})"
        ));
    } else {
        record(&mut report, "list_automation_tokens", status, &automation);
        if let Some(first) = automation
            .pointer("/data/0/id")
            .and_then(Value::as_str)
            .filter(|id| id.bytes().all(|b| b.is_ascii_alphanumeric()))
        {
            let (status, one) = get(format!("/automation-tokens/{first}")).await?;
            record(&mut report, "get_automation_token", status, &one);
        }
    }
    Ok(report)
}

/// The report as text.
pub fn render(report: &Report) -> String {
    let mut out = format!("live drift check against {}\n", report.endpoint);
    for (op, status) in &report.calls {
        out.push_str(&format!("  called {op}: {status}\n"));
    }
    for s in &report.skipped {
        out.push_str(&format!("  skipped {s}\n"));
    }
    if report.findings.is_empty() {
        out.push_str("no drift: every answer matches the spec\n");
    }
    for f in &report.findings {
        out.push_str(&format!(
            "  {:10} {:18} {} {} {}: {}\n",
            match f.level {
                Level::Breaking => "BREAKING",
                Level::NewField => "new field",
            },
            f.kind,
            f.operation,
            f.status,
            f.at.as_deref().unwrap_or(""),
            f.detail
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> Value {
        let text = std::fs::read_to_string(crate::root().join("openapi/fastly-tokens.yaml"))
            .expect("spec");
        serde_yaml::from_str(&text).expect("yaml")
    }

    #[tokio::test]
    async fn the_fake_has_no_drift() {
        let fake = fastly_tokens_fake::start().await.expect("fake");
        let root = fake.seed().user("root").key.clone();
        let report = run(&spec(), fake.base_url(), &root).await.expect("report");
        assert_eq!(report.exit_code(), 0, "{}", render(&report));
        assert!(
            report
                .calls
                .iter()
                .any(|(op, s)| op == "list_automation_tokens" && *s == 200)
        );
        // A plain user may not list automation tokens: skipped, not drift.
        let bob = fake.seed().user("bob").key.clone();
        let report = run(&spec(), fake.base_url(), &bob).await.expect("report");
        assert_eq!(report.exit_code(), 0, "{}", render(&report));
        assert_eq!(report.skipped.len(), 1);
    }

    /// Serves bodies shaped like the recordings, with one field the spec lacks and one `null`
    /// where the spec promises a string, and a status the spec does not declare.
    async fn replay() -> String {
        use axum::routing::get;
        let token = serde_json::json!({
            "id": "6FzGpbNZ8sPqk2yXwT3vHm", "user_id": "1tSCjJnpQYBBCAsIfI6pX0",
            "customer_id": "51MumwLiSJyFTWhtbByYgR", "name": null,
            "last_used_at": null, "created_at": "2026-10-14T11:25:39Z", "expires_at": null,
            "ip": null, "user_agent": null, "sudo_expires_at": null, "scopes": ["global"],
            "scope": "global", "services": [], "service_id": null, "rotated_at": "2026-11-01T00:00:00Z"
        });
        let list = serde_json::json!([token.clone(), token.clone()]).to_string();
        let token = token.to_string();
        let json = |body: String| {
            (
                [(axum::http::header::CONTENT_TYPE, "application/json")],
                body,
            )
        };
        let app = axum::Router::new()
            .route(
                "/tokens/self",
                get({
                    let t = token.clone();
                    move || async move { json(t) }
                }),
            )
            .route("/tokens", get(move || async move { json(list) }))
            .route(
                "/tokens/{id}",
                get(|| async { (axum::http::StatusCode::IM_A_TEAPOT, "{}") }),
            )
            .route(
                "/automation-tokens",
                get(|| async { (axum::http::StatusCode::FORBIDDEN, "{\"msg\":\"no\"}") }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        url
    }

    #[tokio::test]
    async fn a_replayed_answer_with_drift_is_reported() {
        let url = replay().await;
        let report = run(&spec(), &url, "replay-key-SECRET")
            .await
            .expect("report");
        let text = render(&report);
        assert_eq!(report.exit_code(), 2, "{text}");
        let has = |kind: &str, at: &str| {
            report
                .findings
                .iter()
                .any(|f| f.kind == kind && f.at.as_deref() == Some(at))
        };
        assert!(has("schema-violation", "/name"), "{text}");
        assert!(has("field-not-in-spec", "/rotated_at"), "{text}");
        assert!(
            has("field-not-in-spec", "/0/rotated_at"),
            "the list's items too: {text}"
        );
        assert_eq!(
            report
                .findings
                .iter()
                .filter(|f| f.kind == "field-not-in-spec" && f.operation == "list_tokens_user")
                .count(),
            1,
            "a list's new field is reported once: {text}"
        );
        assert!(
            report
                .findings
                .iter()
                .any(|f| f.kind == "undeclared-status" && f.status == 418),
            "{text}"
        );
        assert!(!text.contains("replay-key-SECRET"));
        let json = serde_json::to_string(&report).expect("json");
        assert!(json.contains("\"field-not-in-spec\""));
    }
}
