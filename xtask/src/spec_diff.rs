//! `cargo xtask spec-diff OLD NEW`: what changed between two OpenAPI documents, per operation,
//! in terms a reviewer cares about before regenerating: operations, parameters, request and
//! response media types, statuses, headers, and schema fields with their type, format,
//! nullability and requiredness (`$ref`s resolved, so a change to a shared schema shows up under
//! every operation that uses it).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::Value;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

pub fn run(old_path: &str, new_path: &str) -> Result<(), String> {
    let load = |p: &str| -> Result<Value, String> {
        let text = std::fs::read_to_string(p).map_err(|e| format!("cannot read {p}: {e}"))?;
        serde_yaml::from_str(&text).map_err(|e| format!("{p} is not YAML/JSON: {e}"))
    };
    let (old, new) = (load(old_path)?, load(new_path)?);
    let report = diff(&old, &new);
    if report.is_empty() {
        println!("no semantic differences between {old_path} and {new_path}");
    } else {
        println!("--- {old_path}\n+++ {new_path}");
        print!("{report}");
    }
    Ok(())
}

/// Everything a reviewer compares for one operation, as "what -> description" facts.
type Facts = BTreeMap<String, String>;

fn resolve<'a>(spec: &'a Value, v: &'a Value) -> &'a Value {
    let mut v = v;
    for _ in 0..32 {
        match v.get("$ref").and_then(Value::as_str) {
            Some(target) => match spec.pointer(target.trim_start_matches('#')) {
                Some(next) => v = next,
                None => return v,
            },
            None => return v,
        }
    }
    v
}

fn describe(schema: &Value, required: bool) -> String {
    let mut parts = Vec::new();
    parts.push(
        schema
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("any")
            .to_string(),
    );
    if let Some(f) = schema.get("format").and_then(Value::as_str) {
        parts.push(f.to_string());
    }
    if let Some(e) = schema.get("enum") {
        parts.push(format!("enum {e}"));
    }
    if schema.get("nullable") == Some(&Value::Bool(true)) {
        parts.push("nullable".into());
    }
    parts.push(if required { "required" } else { "optional" }.into());
    parts.join(", ")
}

/// Flattens a schema into `path -> description` facts.
fn schema_facts(
    spec: &Value,
    schema: &Value,
    prefix: &str,
    required: bool,
    depth: usize,
    out: &mut Facts,
) {
    if depth > 16 {
        return;
    }
    let schema = resolve(spec, schema);
    let label = if prefix.is_empty() {
        "(body)".to_string()
    } else {
        prefix.to_string()
    };
    out.insert(label, describe(schema, required));
    let mut required_names = BTreeSet::new();
    let mut properties = Vec::new();
    let parts: Vec<&Value> = match schema.get("allOf").and_then(Value::as_array) {
        Some(all) => all
            .iter()
            .map(|s| resolve(spec, s))
            .chain([schema])
            .collect(),
        None => vec![schema],
    };
    for part in parts {
        if let Some(r) = part.get("required").and_then(Value::as_array) {
            required_names.extend(r.iter().filter_map(Value::as_str).map(str::to_string));
        }
        if let Some(p) = part.get("properties").and_then(Value::as_object) {
            properties.extend(p.iter());
        }
    }
    for (name, sub) in properties {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        schema_facts(
            spec,
            sub,
            &path,
            required_names.contains(name),
            depth + 1,
            out,
        );
    }
    if let Some(items) = schema.get("items") {
        schema_facts(spec, items, &format!("{prefix}[]"), true, depth + 1, out);
    }
}

fn operation_facts(spec: &Value, path_item: &Value, op: &Value) -> Facts {
    let mut facts = Facts::new();
    let params = path_item
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .chain(
            op.get("parameters")
                .and_then(Value::as_array)
                .into_iter()
                .flatten(),
        );
    for p in params {
        let p = resolve(spec, p);
        let name = p.get("name").and_then(Value::as_str).unwrap_or("?");
        let location = p.get("in").and_then(Value::as_str).unwrap_or("?");
        let schema = p
            .get("schema")
            .map(|s| resolve(spec, s))
            .unwrap_or(&Value::Null);
        let required = p.get("required") == Some(&Value::Bool(true));
        facts.insert(
            format!("parameter {location} {name}"),
            describe(schema, required),
        );
    }
    if let Some(body) = op.get("requestBody").map(|b| resolve(spec, b)) {
        let required = body.get("required") == Some(&Value::Bool(true));
        facts.insert(
            "request body".into(),
            if required { "required" } else { "optional" }.into(),
        );
        for (media, content) in body
            .get("content")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            facts.insert(format!("request {media}"), "media type".into());
            let mut fields = Facts::new();
            if let Some(schema) = content.get("schema") {
                schema_facts(spec, schema, "", true, 0, &mut fields);
            }
            for (k, v) in fields {
                facts.insert(format!("request {media} field {k}"), v);
            }
        }
    }
    for (status, response) in op
        .get("responses")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let response = resolve(spec, response);
        facts.insert(format!("response {status}"), "status".into());
        for (name, _) in response
            .get("headers")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            facts.insert(format!("response {status} header {name}"), "header".into());
        }
        for (media, content) in response
            .get("content")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            facts.insert(format!("response {status} {media}"), "media type".into());
            let mut fields = Facts::new();
            if let Some(schema) = content.get("schema") {
                schema_facts(spec, schema, "", true, 0, &mut fields);
            }
            for (k, v) in fields {
                facts.insert(format!("response {status} {media} field {k}"), v);
            }
        }
    }
    facts
}

/// `METHOD /path` -> (operationId, facts).
fn operations(spec: &Value) -> BTreeMap<String, (String, Facts)> {
    let mut out = BTreeMap::new();
    for (path, item) in spec
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                let id = op
                    .get("operationId")
                    .and_then(Value::as_str)
                    .unwrap_or("-")
                    .to_string();
                out.insert(
                    format!("{} {path}", method.to_uppercase()),
                    (id, operation_facts(spec, item, op)),
                );
            }
        }
    }
    out
}

/// The readable diff; empty when nothing semantic changed.
pub fn diff(old: &Value, new: &Value) -> String {
    let (old_ops, new_ops) = (operations(old), operations(new));
    let mut out = String::new();
    let keys: BTreeSet<&String> = old_ops.keys().chain(new_ops.keys()).collect();
    for key in keys {
        match (old_ops.get(key), new_ops.get(key)) {
            (Some((id, _)), None) => {
                let _ = writeln!(out, "- operation {key} ({id}) removed");
            }
            (None, Some((id, facts))) => {
                let _ = writeln!(out, "+ operation {key} ({id}) added");
                for (what, desc) in facts {
                    let _ = writeln!(out, "    + {what}: {desc}");
                }
            }
            (Some((old_id, old_facts)), Some((new_id, new_facts))) => {
                let mut lines = Vec::new();
                if old_id != new_id {
                    lines.push(format!("~ operationId: {old_id} -> {new_id}"));
                }
                let whats: BTreeSet<&String> = old_facts.keys().chain(new_facts.keys()).collect();
                for what in whats {
                    match (old_facts.get(what), new_facts.get(what)) {
                        (Some(a), None) => lines.push(format!("- {what}: {a}")),
                        (None, Some(b)) => lines.push(format!("+ {what}: {b}")),
                        (Some(a), Some(b)) if a != b => lines.push(format!("~ {what}: {a} -> {b}")),
                        _ => {}
                    }
                }
                if !lines.is_empty() {
                    let _ = writeln!(out, "~ operation {key} ({new_id})");
                    for line in lines {
                        let _ = writeln!(out, "    {line}");
                    }
                }
            }
            (None, None) => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = r##"
openapi: 3.0.3
info: { title: t, version: "1" }
paths:
  /tokens:
    get:
      operationId: list_tokens_user
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: { type: array, items: { $ref: "#/components/schemas/Token" } }
    delete:
      operationId: bulk_revoke_tokens
      requestBody:
        required: true
        content:
          application/vnd.api+json; ext=bulk:
            schema: { type: object }
      responses: { "204": { description: gone } }
  /tokens/{token_id}:
    parameters:
      - { name: token_id, in: path, required: true, schema: { type: string } }
    get:
      operationId: get_token
      responses:
        "200":
          description: ok
          content:
            application/json: { schema: { $ref: "#/components/schemas/Token" } }
components:
  schemas:
    Token:
      type: object
      required: [id]
      properties:
        id: { type: string }
        expires_at: { type: string, format: date-time, nullable: true }
"##;

    fn new_from(edit: impl Fn(&mut Value)) -> (Value, Value) {
        let old: Value = serde_yaml::from_str(OLD).expect("old");
        let mut new = old.clone();
        edit(&mut new);
        (old, new)
    }

    #[test]
    fn identical_specs_have_no_diff() {
        let (old, new) = new_from(|_| {});
        assert_eq!(diff(&old, &new), "");
    }

    #[test]
    fn a_shared_schema_field_shows_under_every_operation_using_it() {
        let (old, new) = new_from(|s| {
            s["components"]["schemas"]["Token"]["properties"]["rotated_at"] =
                serde_json::json!({ "type": "string", "format": "date-time" });
        });
        let d = diff(&old, &new);
        assert!(
            d.contains("~ operation GET /tokens (list_tokens_user)"),
            "{d}"
        );
        assert!(
            d.contains(
                "+ response 200 application/json field [].rotated_at: string, date-time, optional"
            ),
            "{d}"
        );
        assert!(
            d.contains("~ operation GET /tokens/{token_id} (get_token)"),
            "{d}"
        );
        assert!(
            d.contains(
                "+ response 200 application/json field rotated_at: string, date-time, optional"
            ),
            "{d}"
        );
    }

    #[test]
    fn nullability_and_requiredness_changes() {
        let (old, new) = new_from(|s| {
            let token = &mut s["components"]["schemas"]["Token"];
            token["properties"]["expires_at"]["nullable"] = Value::Bool(false);
            token["required"] = serde_json::json!(["id", "expires_at"]);
        });
        let d = diff(&old, &new);
        assert!(
            d.contains("~ response 200 application/json field expires_at: string, date-time, nullable, optional -> string, date-time, required"),
            "{d}"
        );
    }

    #[test]
    fn operations_parameters_and_media_types() {
        let (old, new) = new_from(|s| {
            let paths = s["paths"].as_object_mut().expect("paths");
            paths.remove("/tokens/{token_id}");
            paths.insert(
                "/tokens/self".into(),
                serde_json::json!({ "get": { "operationId": "get_token_current", "responses": { "200": { "description": "ok" } } } }),
            );
            let list = &mut s["paths"]["/tokens"]["get"];
            list["parameters"] = serde_json::json!([{ "name": "limit", "in": "query", "schema": { "type": "integer" } }]);
            let bulk = &mut s["paths"]["/tokens"]["delete"]["requestBody"]["content"];
            let body = bulk["application/vnd.api+json; ext=bulk"].take();
            bulk.as_object_mut().expect("content").clear();
            bulk["application/json"] = body;
        });
        let d = diff(&old, &new);
        assert!(
            d.contains("- operation GET /tokens/{token_id} (get_token) removed"),
            "{d}"
        );
        assert!(
            d.contains("+ operation GET /tokens/self (get_token_current) added"),
            "{d}"
        );
        assert!(
            d.contains("+ parameter query limit: integer, optional"),
            "{d}"
        );
        assert!(
            d.contains("- request application/vnd.api+json; ext=bulk: media type"),
            "{d}"
        );
        assert!(d.contains("+ request application/json: media type"), "{d}");
    }

    #[test]
    fn the_project_spec_against_fastlys_own_shows_the_known_deviations() {
        // A real pair: ours vs. a trimmed copy of Fastly's published token schema (scope enum,
        // non-nullable expires_at). Written here so the test needs no file outside the repository.
        let ours: Value =
            serde_yaml::from_str(include_str!("../../openapi/fastly-tokens.yaml")).expect("ours");
        let mut theirs = ours.clone();
        let token = &mut theirs["components"]["schemas"]["TokenResponse"]["properties"];
        token["expires_at"] = serde_json::json!({ "type": "string" });
        theirs["components"]["schemas"]["TokenScope"] = serde_json::json!({ "type": "string", "enum": ["global", "purge_select", "purge_all", "global:read"] });
        let d = diff(&ours, &theirs);
        assert!(
            d.contains(
                "field expires_at: string, date-time, nullable, optional -> string, optional"
            ),
            "{d}"
        );
        assert!(d.contains("field scope: string, required -> string, enum [\"global\",\"purge_select\",\"purge_all\",\"global:read\"], required"), "{d}");
    }
}
