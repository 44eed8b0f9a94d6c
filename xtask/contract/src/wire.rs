//! Exact checks on recorded request bodies, where Prism is lenient (both verified):
//! Prism accepts any `Content-Type` parameters (a bulk revoke sent as `application/json`
//! passes), and does not apply `additionalProperties: false` to form bodies (a form sending
//! `services=` instead of `services[]=` passes). So every recorded request's media type must
//! equal the spec's exactly, and its body must validate against the spec's schema.

use serde_json::{Map, Value};

use crate::live::Seen;
use crate::schema::to_json_schema;

/// The operation a scenario label exercises (`create_token (api token)` → `create_token`).
fn operation(label: &str) -> &str {
    label.split_whitespace().next().unwrap_or(label)
}

fn request_body<'a>(spec: &'a Value, operation_id: &str) -> Option<(&'a String, &'a Value)> {
    let paths = spec.get("paths")?.as_object()?;
    paths
        .values()
        .filter_map(Value::as_object)
        .flat_map(|item| item.values())
        .find_map(|op| {
            if op.get("operationId").and_then(Value::as_str) != Some(operation_id) {
                return None;
            }
            op.pointer("/requestBody/content")?
                .as_object()?
                .iter()
                .next()
        })
}

/// A form body as JSON: keys whose schema is an array collect every value, others take one.
fn form_to_json(body: &[u8], schema: &Value, spec: &Value) -> Result<Value, String> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|e| format!("not a form body: {e}"))?;
    let resolved = match schema.get("$ref").and_then(Value::as_str) {
        Some(target) => spec
            .pointer(target.trim_start_matches('#'))
            .unwrap_or(schema),
        None => schema,
    };
    let mut object = Map::new();
    for (key, value) in pairs {
        let is_array = resolved.pointer(&format!("/properties/{}/type", key.replace('/', "~1")))
            == Some(&Value::String("array".into()));
        if is_array {
            match object
                .entry(key)
                .or_insert_with(|| Value::Array(Vec::new()))
            {
                Value::Array(items) => items.push(Value::String(value)),
                other => *other = Value::String(value),
            }
        } else if object.insert(key.clone(), Value::String(value)).is_some() {
            return Err(format!(
                "field {key:?} repeats but is not an array in the spec"
            ));
        }
    }
    Ok(Value::Object(object))
}

pub fn check_bodies(spec: &Value, seen: &[Seen]) -> Vec<String> {
    let mut errors = Vec::new();
    for s in seen {
        let op = operation(&s.label);
        let Some((media_type, content)) = request_body(spec, op) else {
            if !s.body.is_empty() {
                errors.push(format!(
                    "{}: sent a body, but {op} has none in the spec",
                    s.label
                ));
            }
            continue;
        };
        if s.content_type.as_deref() != Some(media_type.as_str()) {
            errors.push(format!(
                "{}: Content-Type {:?}, the spec says {media_type:?}",
                s.label, s.content_type
            ));
            continue;
        }
        let schema = content.get("schema").cloned().unwrap_or(Value::Null);
        let instance = if media_type.starts_with("application/x-www-form-urlencoded") {
            form_to_json(&s.body, &schema, spec)
        } else {
            serde_json::from_slice(&s.body).map_err(|e| format!("body is not JSON: {e}"))
        };
        let instance = match instance {
            Ok(v) => v,
            Err(e) => {
                errors.push(format!("{}: {e}", s.label));
                continue;
            }
        };
        let json_schema = to_json_schema(spec, &schema);
        match jsonschema::options()
            .should_validate_formats(true)
            .build(&json_schema)
        {
            Ok(validator) => {
                for e in validator.iter_errors(&instance) {
                    errors.push(format!(
                        "{}: request body: {e} at {}",
                        s.label,
                        e.instance_path()
                    ));
                }
            }
            Err(e) => errors.push(format!("{op}: request schema does not compile: {e}")),
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Bytes;

    fn spec() -> Value {
        serde_yaml::from_str(include_str!("../../../openapi/fastly-tokens.yaml")).expect("spec")
    }

    fn seen(label: &str, content_type: &str, body: &str) -> Seen {
        Seen {
            label: label.into(),
            method: "POST".into(),
            path: "/tokens".into(),
            status: 200,
            violations: None,
            content_type: Some(content_type.into()),
            body: Bytes::from(body.to_string()),
        }
    }

    #[test]
    fn exact_form_and_bulk_bodies_pass() {
        let ok = [
            seen(
                "create_token",
                "application/x-www-form-urlencoded",
                "name=a&services%5B%5D=s1&services%5B%5D=s2&expires_at=2030-01-01T00%3A00%3A00Z",
            ),
            seen(
                "bulk_revoke_tokens",
                "application/vnd.api+json; ext=bulk",
                r#"{"data":[{"type":"token","id":"a1"}]}"#,
            ),
        ];
        assert_eq!(check_bodies(&spec(), &ok), Vec::<String>::new());
    }

    #[test]
    fn what_prism_lets_through_is_caught() {
        let bad = [
            seen(
                "create_token",
                "application/x-www-form-urlencoded",
                "name=a&services=s1",
            ),
            seen(
                "create_token",
                "application/x-www-form-urlencoded",
                "expires_at=tomorrow",
            ),
            seen("bulk_revoke_tokens", "application/json", r#"{"data":[]}"#),
        ];
        let errors = check_bodies(&spec(), &bad);
        assert_eq!(errors.len(), 3, "{errors:?}");
    }
}
