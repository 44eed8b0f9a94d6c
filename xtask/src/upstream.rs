//! `cargo xtask upstream FILE [--accept]`: what Fastly changed in the token part of its
//! published OpenAPI document since we last reviewed it.
//!
//! `openapi/upstream/fastly-tokens-upstream.yaml` is an extract of Fastly's document (a public
//! document): the token paths and every schema, parameter and response they reach. Given a
//! newly downloaded Fastly document, this cuts the same extract from it and prints the
//! classified diff against the snapshot (`spec-diff`'s rules); `--accept` then replaces the
//! snapshot, recording the file and the date.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_json::{Map, Value};

use crate::spec_diff::{self, Filter};

/// The committed extract, relative to the workspace root.
pub const SNAPSHOT: &str = "openapi/upstream/fastly-tokens-upstream.yaml";

/// The paths that make up the token part of Fastly's document.
const TOKEN_PATHS: [&str; 4] = [
    "/tokens*",
    "/customer/*/tokens*",
    "/automation-tokens*",
    "/sudo",
];

pub fn run(file: &str, accept: bool) -> Result<(), String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {file}: {e}"))?;
    let fastly: Value =
        serde_yaml::from_str(&text).map_err(|e| format!("{file} is not YAML/JSON: {e}"))?;
    let extract = extract(&fastly);
    let root = crate::workspace_root();
    let snapshot_path = root.join(SNAPSHOT);
    let snapshot: Value = match std::fs::read_to_string(&snapshot_path) {
        Ok(t) => serde_yaml::from_str(&t).map_err(|e| format!("{SNAPSHOT}: {e}"))?,
        Err(_) => Value::Null,
    };
    let all = Filter::globs(&["*"])?;
    let changes = spec_diff::classify(&snapshot, &extract, &all);
    if changes.is_empty() {
        println!("the token part of {file} is unchanged since the snapshot ({SNAPSHOT})");
    } else {
        println!("Fastly's token API description changed since the snapshot ({SNAPSHOT}):");
        for c in &changes {
            let detail = match (&c.old, &c.new) {
                (Some(a), Some(b)) => format!(": {a} -> {b}"),
                (Some(a), None) => format!(" (was: {a})"),
                (None, Some(b)) => format!(": {b}"),
                (None, None) => String::new(),
            };
            println!(
                "  {:12} {:32} {} {}{detail}",
                c.severity.name(),
                c.rule,
                c.operation,
                c.what
            );
        }
        println!(
            "review each against the real API, update openapi/fastly-tokens.yaml, then run \
             `cargo xtask spec-diff`, `generate` and `contract`; `--accept` records this document as reviewed"
        );
    }
    if accept {
        let name = std::path::Path::new(file)
            .file_name()
            .map_or(file.to_string(), |n| n.to_string_lossy().into_owned());
        let written = render(&extract, &name)?;
        std::fs::write(&snapshot_path, written)
            .map_err(|e| format!("cannot write {SNAPSHOT}: {e}"))?;
        println!("wrote {SNAPSHOT}; review and commit it");
    }
    Ok(())
}

/// The token paths of a Fastly document and every component they reach through `$ref`.
pub fn extract(doc: &Value) -> Value {
    // Constant patterns, checked by the tests: a bad one would select nothing.
    let Ok(filter) = Filter::globs(&TOKEN_PATHS) else {
        return Value::Null;
    };
    let mut paths = Map::new();
    for (path, item) in doc
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if filter.keeps_path(path) {
            paths.insert(path.clone(), item.clone());
        }
    }
    // Follow $refs to a fixed point.
    let mut wanted: BTreeSet<String> = BTreeSet::new();
    let mut todo: Vec<Value> = paths.values().cloned().collect();
    while let Some(v) = todo.pop() {
        collect_refs(&v, &mut |target: &str| {
            if wanted.insert(target.to_string())
                && let Some(found) = doc.pointer(target.trim_start_matches('#'))
            {
                todo.push(found.clone());
            }
        });
    }
    let mut components = Map::new();
    for target in &wanted {
        let parts: Vec<&str> = target
            .trim_start_matches("#/components/")
            .split('/')
            .collect();
        if let ([kind, name], Some(found)) = (
            parts.as_slice(),
            doc.pointer(target.trim_start_matches('#')),
        ) {
            let section = components
                .entry(kind.to_string())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(section) = section {
                section.insert(name.to_string(), found.clone());
            }
        }
    }
    let mut out = Map::new();
    out.insert(
        "openapi".into(),
        doc.get("openapi").cloned().unwrap_or(Value::Null),
    );
    out.insert(
        "info".into(),
        doc.get("info").cloned().unwrap_or(Value::Null),
    );
    out.insert("paths".into(), Value::Object(paths));
    out.insert("components".into(), Value::Object(components));
    Value::Object(out)
}

fn collect_refs(v: &Value, found: &mut impl FnMut(&str)) {
    match v {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref") {
                found(target);
            }
            for value in map.values() {
                collect_refs(value, found);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_refs(i, found)),
        _ => {}
    }
}

fn render(extract: &Value, source: &str) -> Result<String, String> {
    let yaml = serde_yaml::to_string(extract).map_err(|e| e.to_string())?;
    let date = std::process::Command::new("date")
        .arg("-u")
        .arg("+%Y-%m-%d")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# The token part of Fastly's published OpenAPI document (paths {}, and the components\n\
         # they reach), extracted by `cargo xtask upstream` from {source}, reviewed {date}.\n\
         # Fastly's own document, not ours: it is here to show what Fastly changes later.",
        TOKEN_PATHS.join(", ")
    );
    out.push_str(&yaml);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extract_keeps_token_paths_and_what_they_reach() {
        let doc = serde_json::json!({
            "openapi": "3.0.3", "info": { "title": "Fastly", "version": "1" },
            "paths": {
                "/tokens/self": { "get": { "responses": { "200": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/token_response" } } } } } } },
                "/service": { "get": { "responses": { "200": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/service" } } } } } } },
            },
            "components": { "schemas": {
                "token_response": { "allOf": [{ "$ref": "#/components/schemas/token" }] },
                "token": { "type": "object" },
                "service": { "type": "object" },
            } }
        });
        let extract = extract(&doc);
        assert!(extract["paths"].get("/tokens/self").is_some());
        assert!(extract["paths"].get("/service").is_none());
        let schemas = extract["components"]["schemas"]
            .as_object()
            .expect("schemas");
        assert!(schemas.contains_key("token_response") && schemas.contains_key("token"));
        assert!(!schemas.contains_key("service"));
    }

    #[test]
    fn the_token_path_globs_are_valid() {
        assert!(Filter::globs(&TOKEN_PATHS).is_ok());
    }

    #[test]
    fn the_committed_snapshot_is_an_extract_of_itself() {
        let text =
            std::fs::read_to_string(crate::workspace_root().join(SNAPSHOT)).expect("snapshot");
        let snapshot: Value = serde_yaml::from_str(&text).expect("yaml");
        let again = extract(&snapshot);
        let all = Filter::globs(&["*"]).expect("a valid glob");
        assert!(spec_diff::classify(&snapshot, &again, &all).is_empty());
        assert!(text.starts_with("# The token part of Fastly's published OpenAPI document"));
    }
}
