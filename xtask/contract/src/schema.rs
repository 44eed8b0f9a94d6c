//! OpenAPI 3.0 schemas as JSON Schema, fixture validation, and the public-model coverage check.
//!
//! OpenAPI 3.0 schemas are almost JSON Schema draft 4/7; the two differences that matter here are
//! `nullable: true` (JSON Schema spells it `type: [T, "null"]`) and `$ref`s into
//! `#/components/schemas`. The conversion below handles both and keeps everything else, so the
//! `jsonschema` crate does the validating.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Map, Value, json};

/// Turns one OpenAPI schema into a JSON Schema, with `components.schemas` as `definitions`.
pub fn to_json_schema(spec: &Value, schema: &Value) -> Value {
    let mut definitions = Map::new();
    if let Some(schemas) = spec
        .pointer("/components/schemas")
        .and_then(Value::as_object)
    {
        for (name, s) in schemas {
            definitions.insert(name.clone(), convert(s));
        }
    }
    let mut root = convert(schema);
    if let Value::Object(map) = &mut root {
        map.insert("definitions".into(), Value::Object(definitions));
    }
    root
}

fn convert(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut out = Map::new();
            let nullable = map.get("nullable") == Some(&Value::Bool(true));
            for (k, val) in map {
                match k.as_str() {
                    "nullable" | "example" | "examples" | "xml" | "externalDocs"
                    | "discriminator" => {}
                    k if k.starts_with("x-") => {}
                    "$ref" => {
                        let target = val.as_str().unwrap_or_default();
                        let name = target.rsplit('/').next().unwrap_or_default();
                        out.insert("$ref".into(), json!(format!("#/definitions/{name}")));
                    }
                    "properties" => {
                        let props = val
                            .as_object()
                            .map(|p| p.iter().map(|(n, s)| (n.clone(), convert(s))).collect())
                            .unwrap_or_default();
                        out.insert(k.into(), Value::Object(props));
                    }
                    "format" => {
                        // Keep `date-time` (checked); drop formats JSON Schema does not define.
                        if val == "date-time" {
                            out.insert(k.into(), val.clone());
                        }
                    }
                    _ => {
                        out.insert(k.clone(), convert(val));
                    }
                }
            }
            if nullable {
                if let Some(Value::String(t)) = out.get("type").cloned() {
                    out.insert("type".into(), json!([t, "null"]));
                } else if out.contains_key("$ref") {
                    let inner = Value::Object(out);
                    return json!({ "anyOf": [inner, { "type": "null" }] });
                }
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(convert).collect()),
        other => other.clone(),
    }
}

/// The response schema of `operation_id` for `status` (JSON media type), resolving response refs.
pub fn response_schema(spec: &Value, operation_id: &str, status: &str) -> Option<Value> {
    let paths = spec.get("paths")?.as_object()?;
    for item in paths.values() {
        for op in item.as_object()?.values() {
            if op.get("operationId").and_then(Value::as_str) != Some(operation_id) {
                continue;
            }
            let mut response = op.pointer(&format!("/responses/{status}"))?;
            if let Some(target) = response.get("$ref").and_then(Value::as_str) {
                response = spec.pointer(target.trim_start_matches('#'))?;
            }
            return response
                .pointer("/content/application~1json/schema")
                .cloned();
        }
    }
    None
}

fn check(spec: &Value, operation_id: &str, status: &str, body: &Value) -> Result<(), String> {
    let schema = response_schema(spec, operation_id, status)
        .ok_or_else(|| format!("the spec has no JSON response {status} for {operation_id}"))?;
    let schema = to_json_schema(spec, &schema);
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .map_err(|e| format!("schema of {operation_id} {status} does not compile: {e}"))?;
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

/// Which operations an `error.<status>.json` fixture stands for.
const ERROR_FIXTURE_OPERATIONS: &[&str] = &[
    "get_token_current",
    "list_tokens_user",
    "get_token",
    "list_tokens_customer",
    "revoke_token",
    "revoke_token_current",
    "bulk_revoke_tokens",
    "create_token",
];

/// Validates every `openapi/fixtures/<operation>.<status>.json` (and `error.<status>.json`
/// against every operation that documents that status). Returns the number of checks.
pub fn validate_fixtures(spec: &Value, dir: &Path) -> Result<usize, Vec<String>> {
    let mut failures = Vec::new();
    let mut checked = 0;
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| vec![format!("cannot read {}: {e}", dir.display())])?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        // <operation>.<status>[.<variant>].json
        let mut parts = name.splitn(3, '.');
        let (Some(operation), Some(status)) = (parts.next(), parts.next()) else {
            failures.push(format!(
                "{}: name is not <operation>.<status>[.<variant>].json",
                path.display()
            ));
            continue;
        };
        let body: Value = match std::fs::read_to_string(&path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
        {
            Ok(b) => b,
            Err(e) => {
                failures.push(format!("{}: {e}", path.display()));
                continue;
            }
        };
        let operations: Vec<&str> = if operation == "error" {
            ERROR_FIXTURE_OPERATIONS
                .iter()
                .copied()
                .filter(|op| response_schema(spec, op, status).is_some())
                .collect()
        } else {
            vec![operation]
        };
        if operations.is_empty() {
            failures.push(format!(
                "{}: no operation documents status {status}",
                path.display()
            ));
        }
        for op in operations {
            checked += 1;
            if let Err(e) = check(spec, op, status, &body) {
                failures.push(format!("fixture {} as {op} {status}: {e}", path.display()));
            }
        }
    }
    if failures.is_empty() {
        Ok(checked)
    } else {
        Err(failures)
    }
}

/// Validates recorded real response bodies in `dir` (when that folder exists) against the
/// spec. Returns the number of bodies checked.
pub fn validate_recordings(spec: &Value, dir: &Path) -> Result<usize, Vec<String>> {
    let mut failures = Vec::new();
    let mut checked = 0;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(0);
    };
    let mut paths: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    paths.sort();
    for path in paths
        .into_iter()
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
    {
        let Ok(doc) = std::fs::read_to_string(&path)
            .map_err(|_| ())
            .and_then(|t| serde_json::from_str::<Value>(&t).map_err(|_| ()))
        else {
            continue;
        };
        for interaction in doc["interactions"].as_array().into_iter().flatten() {
            let method = interaction["request"]["method"]
                .as_str()
                .unwrap_or_default();
            let url = interaction["request"]["url"].as_str().unwrap_or_default();
            let status = interaction["response"]["status"]
                .as_u64()
                .unwrap_or_default();
            let body = &interaction["response"]["body_json"];
            let path_part = url.split("api.fastly.com").nth(1).unwrap_or_default();
            let operation = match (method, path_part) {
                ("GET", "/tokens/self") => "get_token_current",
                ("GET", "/tokens") => "list_tokens_user",
                ("GET", p) if p.starts_with("/customer/") => "list_tokens_customer",
                ("GET", p) if p.starts_with("/tokens/") => "get_token",
                ("POST", "/tokens") => "create_token",
                _ => continue, // 204s have no body; /sudo is not ours
            };
            if body.is_null() {
                continue;
            }
            checked += 1;
            if let Err(e) = check(spec, operation, &status.to_string(), body) {
                failures.push(format!(
                    "recording {} ({method} {path_part}): {e}",
                    path.display()
                ));
            }
        }
    }
    if failures.is_empty() {
        Ok(checked)
    } else {
        Err(failures)
    }
}

/// Spec properties that the public model represents under another name, and why.
const REPRESENTED_AS: &[(&str, &str)] = &[
    // `scopes` repeats `scope` as an array; `Token::scopes()` is the parsed set of both.
    ("scopes", "scope"),
];

/// Every property of the spec's token response schemas is a field of the public `Token` /
/// `CreatedToken` / `CreatedAutomationToken` JSON schema (schemars).
pub fn model_coverage(spec: &Value) -> Result<usize, Vec<String>> {
    let token =
        serde_json::to_value(schemars::schema_for!(fastly_tokens::Token)).unwrap_or_default();
    let created = serde_json::to_value(schemars::schema_for!(fastly_tokens::CreatedToken))
        .unwrap_or_default();
    // One model for the three automation shapes; the created one adds the secret.
    let automation =
        serde_json::to_value(schemars::schema_for!(fastly_tokens::CreatedAutomationToken))
            .unwrap_or_default();
    let mut failures = Vec::new();
    let mut checked = 0;
    for (schema_name, model_name, model) in [
        ("TokenResponse", "Token", &token),
        ("TokenCreatedResponse", "CreatedToken", &created),
        (
            "AutomationTokenListItem",
            "CreatedAutomationToken",
            &automation,
        ),
        (
            "AutomationTokenResponse",
            "CreatedAutomationToken",
            &automation,
        ),
        (
            "AutomationTokenCreatedResponse",
            "CreatedAutomationToken",
            &automation,
        ),
    ] {
        let model_props = properties(model);
        let Some(spec_props) = spec
            .pointer(&format!("/components/schemas/{schema_name}/properties"))
            .and_then(Value::as_object)
        else {
            failures.push(format!("the spec has no schema {schema_name}"));
            continue;
        };
        for prop in spec_props.keys() {
            checked += 1;
            let name = REPRESENTED_AS
                .iter()
                .find(|(p, _)| p == prop)
                .map_or(prop.as_str(), |(_, as_)| as_);
            if !model_props.contains(name) {
                failures.push(format!(
                    "{schema_name}.{prop} is in the spec but not in fastly_tokens::{model_name}; \
                     surface it in crates/fastly-tokens/src/model.rs"
                ));
            }
        }
    }
    if failures.is_empty() {
        Ok(checked)
    } else {
        Err(failures)
    }
}

fn properties(schema: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    collect(schema, schema, &mut out);
    out
}

/// Properties of a schemars schema, following `$ref`s and `allOf` (flattened structs).
fn collect(root: &Value, schema: &Value, out: &mut BTreeSet<String>) {
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        out.extend(props.keys().cloned());
    }
    if let Some(target) = schema.get("$ref").and_then(Value::as_str)
        && let Some(inner) = root.pointer(target.trim_start_matches('#'))
    {
        collect(root, inner, out);
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        for inner in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            collect(root, inner, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> Value {
        let text = include_str!("../../../openapi/fastly-tokens.yaml");
        serde_yaml::from_str(text).expect("spec")
    }

    #[test]
    fn nullable_becomes_a_null_type() {
        let converted = convert(&json!({ "type": "string", "nullable": true, "x-a": 1 }));
        assert_eq!(converted, json!({ "type": ["string", "null"] }));
    }

    #[test]
    fn a_wrong_fixture_fails() {
        let spec = spec();
        let bad = json!({ "id": "x", "user_id": "u", "customer_id": "c", "name": "n",
                          "scope": "global", "created_at": "yesterday" });
        assert!(check(&spec, "get_token_current", "200", &bad).is_err());
        let null_name = json!({ "id": "x", "user_id": "u", "customer_id": "c", "name": null,
                          "scope": "global", "created_at": "2021-01-01T00:00:00Z" });
        assert!(check(&spec, "get_token_current", "200", &null_name).is_err());
        let ok = json!({ "id": "x", "user_id": "u", "customer_id": "c", "name": "n",
                         "scope": "global", "created_at": "2021-01-01T00:00:00Z", "expires_at": null });
        assert!(check(&spec, "get_token_current", "200", &ok).is_ok());
    }

    #[test]
    fn a_new_spec_field_fails_model_coverage() {
        let mut spec = spec();
        assert!(model_coverage(&spec).is_ok());
        spec["components"]["schemas"]["TokenResponse"]["properties"]["rotated_at"] =
            json!({ "type": "string" });
        let failures = model_coverage(&spec).expect_err("uncovered field");
        assert!(
            failures[0].contains("TokenResponse.rotated_at"),
            "{failures:?}"
        );
    }
}
