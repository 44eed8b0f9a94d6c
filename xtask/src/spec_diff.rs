//! `cargo xtask spec-diff OLD NEW`: what changed between two OpenAPI documents, per operation,
//! in terms a reviewer cares about before regenerating: operations, parameters, request and
//! response media types, statuses, headers, and schema fields with their type, format,
//! nullability and requiredness (`$ref`s resolved, so a change to a shared schema shows up under
//! every operation that uses it).
//!
//! Every change is labelled with a rule id and a severity **for this client**: breaking when
//! the generated or public crate (or code calling it) would decode, send or behave wrongly
//! without a change here, non-breaking otherwise. `--fail-on breaking|any` turns them into
//! the exit code; `--paths GLOB[,GLOB]` restricts to operations whose path matches (default:
//! the paths `openapi/fastly-tokens.yaml` has, so Fastly's whole document compares cleanly);
//! `--json` prints the changes for machines.
//!
//! | rule | severity | when |
//! |---|---|---|
//! | `operation-removed` | breaking | an operation the client calls is gone |
//! | `operation-added` | non-breaking | a new operation |
//! | `operation-id-changed` | breaking | generated method names and `operation_ids` follow it |
//! | `parameter-added-required` | breaking | the client does not send it |
//! | `parameter-added-optional` | non-breaking | |
//! | `parameter-removed` | breaking | the client still sends it |
//! | `parameter-became-required` | breaking | |
//! | `parameter-type-changed` | breaking | type or format |
//! | `parameter-changed` | non-breaking | any other change (becoming optional, an enum widening) |
//! | `request-body-added-required` | breaking | |
//! | `request-body-removed` | breaking | the client still sends one |
//! | `request-body-became-required` | breaking | |
//! | `request-media-type-removed` | breaking | the client sends that media type |
//! | `request-media-type-added` | non-breaking | |
//! | `request-field-added-required` | breaking | |
//! | `request-field-added-optional` | non-breaking | |
//! | `request-field-removed` | breaking | the client sends it |
//! | `request-field-type-changed` | breaking | type or format |
//! | `request-field-became-required` | breaking | |
//! | `request-enum-value-removed` | breaking | the client may send it |
//! | `request-field-changed` | non-breaking | becoming optional, a new enum value, nullability |
//! | `response-success-status-added` | breaking | reads accept only the statuses they know |
//! | `response-success-status-removed` | breaking | |
//! | `response-error-status-added` | non-breaking | errors of any status are handled |
//! | `response-error-status-removed` | non-breaking | |
//! | `response-media-type-changed` | breaking | a success answer in another media type |
//! | `response-field-removed` | breaking | the public crate reads every response field |
//! | `response-field-added` | non-breaking | a new field (the model-coverage check will ask for it) |
//! | `response-field-became-nullable` | breaking | a `null` where a value was promised |
//! | `response-field-type-changed` | breaking | type or format |
//! | `response-field-became-optional` | breaking | a field the crate requires may be absent |
//! | `response-enum-value-added` | breaking | a closed set that no longer is |
//! | `response-field-changed` | non-breaking | becoming required, losing `nullable`, an enum removed |
//! | `response-header-added`, `response-header-removed` | non-breaking | headers are read leniently |
//! | `error-body-changed` | non-breaking | any field change under an error status (only `msg`, `detail`, `code` are read) |

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::Value;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Options of `cargo xtask spec-diff`.
#[derive(Debug, Default)]
pub struct Options {
    /// Exit non-zero on changes of at least this severity.
    pub fail_on: Option<Severity>,
    /// Comma-separated path globs (`*` matches anything); `None` = the project spec's paths.
    pub paths: Option<String>,
    /// Print JSON.
    pub json: bool,
}

pub fn run(old_path: &str, new_path: &str, options: &Options) -> Result<(), String> {
    let load = |p: &str| -> Result<Value, String> {
        let text = std::fs::read_to_string(p).map_err(|e| format!("cannot read {p}: {e}"))?;
        serde_yaml::from_str(&text).map_err(|e| format!("{p} is not YAML/JSON: {e}"))
    };
    let (old, new) = (load(old_path)?, load(new_path)?);
    let filter = match &options.paths {
        Some(globs) => Filter::globs(&globs.split(',').map(str::trim).collect::<Vec<_>>())?,
        None => {
            let ours = load(
                &crate::workspace_root()
                    .join(crate::generate::SPEC_PATH)
                    .to_string_lossy(),
            )?;
            Filter::Paths(
                ours.get("paths")
                    .and_then(Value::as_object)
                    .map(|p| p.keys().cloned().collect())
                    .unwrap_or_default(),
            )
        }
    };
    let changes = classify(&old, &new, &filter);
    if options.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&changes).map_err(|e| e.to_string())?
        );
    } else {
        print!("{}", render(&changes, old_path, new_path));
    }
    let worst = changes.iter().map(|c| c.severity).max();
    match (options.fail_on, worst) {
        (Some(limit), Some(worst)) if worst >= limit => Err(format!(
            "{} change(s), the worst {}: failing as --fail-on {} asks",
            changes.len(),
            worst.name(),
            limit.name()
        )),
        _ => Ok(()),
    }
}

/// How much a change matters to this client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    NonBreaking,
    Breaking,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::NonBreaking => "non-breaking",
            Severity::Breaking => "breaking",
        }
    }
    /// `--fail-on` values: `breaking`, or `any` (every change).
    pub fn parse_fail_on(s: &str) -> Option<Self> {
        match s {
            "breaking" => Some(Severity::Breaking),
            "any" => Some(Severity::NonBreaking),
            _ => None,
        }
    }
}

/// One labelled change.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    pub rule: &'static str,
    pub severity: Severity,
    /// `METHOD /path`.
    pub operation: String,
    /// What changed, e.g. `response 200 application/json field expires_at`.
    pub what: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// Which operations to compare.
#[derive(Debug)]
pub enum Filter {
    /// Exactly these path templates.
    Paths(BTreeSet<String>),
    /// Paths matching any of these globs (`*` matches any characters, `/` included).
    Globs(Vec<glob::Pattern>),
}

impl Filter {
    /// Paths matching any of these globs.
    pub fn globs(globs: &[&str]) -> Result<Self, String> {
        globs
            .iter()
            .map(|g| glob::Pattern::new(g).map_err(|e| format!("--paths {g:?}: {e}")))
            .collect::<Result<_, _>>()
            .map(Filter::Globs)
    }

    /// Whether operations under `path` are compared.
    pub fn keeps_path(&self, path: &str) -> bool {
        self.keeps(path)
    }

    fn keeps(&self, path: &str) -> bool {
        match self {
            Filter::Paths(paths) => paths.contains(path),
            Filter::Globs(globs) => globs.iter().any(|g| g.matches(path)),
        }
    }
}

/// The text report: changes that are the same (rule, field, before and after) under several
/// operations (a shared schema) are one line naming them all, and changes to error bodies,
/// which this client reads only `msg`, `detail` and `code` from, are counted, not listed.
fn render(changes: &[Change], old_path: &str, new_path: &str) -> String {
    if changes.is_empty() {
        return format!("no semantic differences between {old_path} and {new_path}\n");
    }
    let mut out = format!("--- {old_path}\n+++ {new_path}\n");
    let mut groups: BTreeMap<(Severity, &str, String, String), Vec<&str>> = BTreeMap::new();
    let mut error_bodies = BTreeSet::new();
    let mut error_body_changes = 0;
    for c in changes {
        if c.rule == "error-body-changed" {
            error_bodies.insert(c.operation.as_str());
            error_body_changes += 1;
            continue;
        }
        let what = shared_what(&c.what);
        let detail = match (&c.old, &c.new) {
            (Some(a), Some(b)) => format!(": {a} -> {b}"),
            (Some(a), None) => format!(" (was: {a})"),
            (None, Some(b)) => format!(": {b}"),
            (None, None) => String::new(),
        };
        groups
            .entry((std::cmp::Reverse(c.severity).0, c.rule, what, detail))
            .or_default()
            .push(c.operation.as_str());
    }
    let mut lines: Vec<(Severity, String)> = groups
        .into_iter()
        .map(|((severity, rule, what, detail), ops)| {
            (
                severity,
                format!(
                    "{:12} {rule:32} {} {what}{detail}",
                    severity.name(),
                    ops.join(", ")
                ),
            )
        })
        .collect();
    lines.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    for (_, line) in lines {
        let _ = writeln!(out, "{line}");
    }
    if error_body_changes > 0 {
        let _ = writeln!(
            out,
            "{:12} {:32} {error_body_changes} change(s) to error bodies of {} operation(s) (only msg, detail and code are read; --json lists them)",
            Severity::NonBreaking.name(),
            "error-body-changed",
            error_bodies.len()
        );
    }
    let breaking = changes
        .iter()
        .filter(|c| c.severity == Severity::Breaking)
        .count();
    let _ = writeln!(
        out,
        "{} change(s): {breaking} breaking, {} non-breaking",
        changes.len(),
        changes.len() - breaking
    );
    out
}

/// A field's path without what differs between operations sharing a schema (`[].` of a list).
fn shared_what(what: &str) -> String {
    match what.split_once(" field ") {
        Some((head, field)) => {
            let field = field.strip_prefix("[].").unwrap_or(field);
            let field = if field == "[]" { "(body)" } else { field };
            let head = head
                .strip_prefix("response ")
                .map_or(head.to_string(), |h| format!("response {h}"));
            format!("{head} field {field}")
        }
        None => what.to_string(),
    }
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
    // A schema without `type` but with properties or an `allOf` composition is an object:
    // Fastly's document composes token schemas with `allOf`, ours spells them out.
    let ty = match schema.get("type").and_then(Value::as_str) {
        Some(t) => t,
        None if schema.get("properties").is_some() || schema.get("allOf").is_some() => "object",
        None => "any",
    };
    parts.push(ty.to_string());
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

/// The readable, unclassified diff; empty when nothing semantic changed (the tests' view of
/// every fact).
#[cfg(test)]
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

/// A fact's description, parsed back (`type[, format][, enum E][, nullable], required|optional`).
#[derive(Debug, Default, PartialEq)]
struct Desc {
    ty: String,
    format: Option<String>,
    enumeration: Option<Vec<String>>,
    nullable: bool,
    required: bool,
}

fn parse_desc(d: &str) -> Desc {
    let mut desc = Desc::default();
    for (i, part) in d.split(", ").enumerate() {
        match part {
            _ if i == 0 => desc.ty = part.to_string(),
            "nullable" => desc.nullable = true,
            "required" => desc.required = true,
            "optional" => desc.required = false,
            p if p.starts_with("enum ") => {
                desc.enumeration = serde_json::from_str::<Vec<Value>>(&p[5..])
                    .ok()
                    .map(|v| v.iter().map(|x| x.to_string()).collect());
            }
            p => desc.format = Some(p.to_string()),
        }
    }
    desc
}

/// What part of an operation a fact is about.
enum Part<'a> {
    Parameter,
    RequestBody,
    RequestMedia,
    RequestField,
    Status(&'a str),
    Header,
    ResponseMedia(&'a str),
    ResponseField(&'a str),
}

fn part(what: &str) -> Part<'_> {
    if what.starts_with("parameter ") {
        return Part::Parameter;
    }
    if what == "request body" {
        return Part::RequestBody;
    }
    if let Some(rest) = what.strip_prefix("request ") {
        return if rest.contains(" field ") {
            Part::RequestField
        } else {
            Part::RequestMedia
        };
    }
    let rest = what.strip_prefix("response ").unwrap_or(what);
    let (status, tail) = rest.split_once(' ').unwrap_or((rest, ""));
    if tail.is_empty() {
        Part::Status(status)
    } else if tail.starts_with("header ") {
        Part::Header
    } else if tail.contains(" field ") {
        Part::ResponseField(status)
    } else {
        Part::ResponseMedia(status)
    }
}

fn is_success(status: &str) -> bool {
    status.starts_with('2')
}

use Severity::{Breaking as B, NonBreaking as N};

/// The rule and severity of one fact's change (`old`/`new` absent when added/removed).
fn rule(what: &str, old: Option<&str>, new: Option<&str>) -> (&'static str, Severity) {
    let (a, b) = (old.map(parse_desc), new.map(parse_desc));
    let type_changed = |a: &Desc, b: &Desc| a.ty != b.ty || a.format != b.format;
    match (part(what), &a, &b) {
        (Part::Parameter, None, Some(b)) if b.required => ("parameter-added-required", B),
        (Part::Parameter, None, Some(_)) => ("parameter-added-optional", N),
        (Part::Parameter, Some(_), None) => ("parameter-removed", B),
        (Part::Parameter, Some(a), Some(b)) if type_changed(a, b) => ("parameter-type-changed", B),
        (Part::Parameter, Some(a), Some(b)) if !a.required && b.required => {
            ("parameter-became-required", B)
        }
        (Part::Parameter, ..) => ("parameter-changed", N),
        (Part::RequestBody, None, Some(_)) if new == Some("required") => {
            ("request-body-added-required", B)
        }
        (Part::RequestBody, Some(_), None) => ("request-body-removed", B),
        (Part::RequestBody, Some(_), Some(_)) if new == Some("required") => {
            ("request-body-became-required", B)
        }
        (Part::RequestBody, ..) => ("request-body-changed", N),
        (Part::RequestMedia, Some(_), None) => ("request-media-type-removed", B),
        (Part::RequestMedia, ..) => ("request-media-type-added", N),
        (Part::RequestField, None, Some(b)) if b.required => ("request-field-added-required", B),
        (Part::RequestField, None, Some(_)) => ("request-field-added-optional", N),
        (Part::RequestField, Some(_), None) => ("request-field-removed", B),
        (Part::RequestField, Some(a), Some(b)) if type_changed(a, b) => {
            ("request-field-type-changed", B)
        }
        (Part::RequestField, Some(a), Some(b)) if !a.required && b.required => {
            ("request-field-became-required", B)
        }
        (Part::RequestField, Some(a), Some(b))
            if b.enumeration.as_ref().is_some_and(|e| {
                a.enumeration
                    .as_ref()
                    .is_none_or(|old| old.iter().any(|v| !e.contains(v)))
            }) =>
        {
            ("request-enum-value-removed", B)
        }
        (Part::RequestField, ..) => ("request-field-changed", N),
        (Part::Status(s), None, _) if is_success(s) => ("response-success-status-added", B),
        (Part::Status(s), _, None) if is_success(s) => ("response-success-status-removed", B),
        (Part::Status(_), None, _) => ("response-error-status-added", N),
        (Part::Status(_), ..) => ("response-error-status-removed", N),
        (Part::Header, None, _) => ("response-header-added", N),
        (Part::Header, ..) => ("response-header-removed", N),
        (Part::ResponseMedia(s), ..) if is_success(s) => ("response-media-type-changed", B),
        (Part::ResponseMedia(_), ..) => ("error-body-changed", N),
        (Part::ResponseField(s), ..) if !is_success(s) => ("error-body-changed", N),
        (Part::ResponseField(_), Some(_), None) => ("response-field-removed", B),
        (Part::ResponseField(_), None, Some(_)) => ("response-field-added", N),
        (Part::ResponseField(_), Some(a), Some(b)) if !a.nullable && b.nullable => {
            ("response-field-became-nullable", B)
        }
        (Part::ResponseField(_), Some(a), Some(b)) if type_changed(a, b) => {
            ("response-field-type-changed", B)
        }
        (Part::ResponseField(_), Some(a), Some(b)) if a.required && !b.required => {
            ("response-field-became-optional", B)
        }
        (Part::ResponseField(_), Some(a), Some(b))
            if a.enumeration.as_ref().is_some_and(|old| {
                b.enumeration
                    .as_ref()
                    .is_none_or(|e| e.iter().any(|v| !old.contains(v)))
            }) =>
        {
            ("response-enum-value-added", B)
        }
        (Part::ResponseField(_), ..) => ("response-field-changed", N),
    }
}

/// Every change between `old` and `new`, labelled, for the operations `filter` keeps.
pub fn classify(old: &Value, new: &Value, filter: &Filter) -> Vec<Change> {
    let (old_ops, new_ops) = (operations(old), operations(new));
    let keys: BTreeSet<&String> = old_ops.keys().chain(new_ops.keys()).collect();
    let mut out = Vec::new();
    for key in keys {
        let path = key.split_once(' ').map_or(key.as_str(), |(_, p)| p);
        if !filter.keeps(path) {
            continue;
        }
        let change =
            |rule, severity, what: String, old: Option<&String>, new: Option<&String>| Change {
                rule,
                severity,
                operation: key.clone(),
                what,
                old: old.cloned(),
                new: new.cloned(),
            };
        match (old_ops.get(key), new_ops.get(key)) {
            (Some((id, _)), None) => out.push(change(
                "operation-removed",
                B,
                format!("operation {id}"),
                None,
                None,
            )),
            (None, Some((id, _))) => out.push(change(
                "operation-added",
                N,
                format!("operation {id}"),
                None,
                None,
            )),
            (Some((old_id, old_facts)), Some((new_id, new_facts))) => {
                if old_id != new_id {
                    out.push(change(
                        "operation-id-changed",
                        B,
                        "operationId".into(),
                        Some(old_id),
                        Some(new_id),
                    ));
                }
                let whats: BTreeSet<&String> = old_facts.keys().chain(new_facts.keys()).collect();
                for what in whats {
                    let (a, b) = (old_facts.get(what), new_facts.get(what));
                    if a == b {
                        continue;
                    }
                    let (rule, severity) = rule(what, a.map(String::as_str), b.map(String::as_str));
                    out.push(change(rule, severity, what.clone(), a, b));
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

    /// One spec pair per rule: the edit, and the rule and severity it must produce.
    #[test]
    fn every_rule_has_a_pair_of_specs() {
        use serde_json::json;
        type Edit = fn(&mut Value);
        let bulk =
            "/paths/~1tokens/delete/requestBody/content/application~1vnd.api+json; ext=bulk/schema";
        let _ = bulk;
        let cases: Vec<(&str, Severity, Edit)> = vec![
            ("operation-removed", Severity::Breaking, |s| {
                s["paths"]
                    .as_object_mut()
                    .expect("paths")
                    .remove("/tokens/{token_id}");
            }),
            ("operation-added", Severity::NonBreaking, |s| {
                s["paths"]["/tokens/self"] = json!({ "get": { "operationId": "get_token_current", "responses": { "200": { "description": "ok" } } } });
            }),
            ("operation-id-changed", Severity::Breaking, |s| {
                s["paths"]["/tokens"]["get"]["operationId"] = json!("list-tokens-user");
            }),
            ("parameter-added-required", Severity::Breaking, |s| {
                s["paths"]["/tokens"]["get"]["parameters"] = json!([{ "name": "page", "in": "query", "required": true, "schema": { "type": "integer" } }]);
            }),
            ("parameter-added-optional", Severity::NonBreaking, |s| {
                s["paths"]["/tokens"]["get"]["parameters"] =
                    json!([{ "name": "page", "in": "query", "schema": { "type": "integer" } }]);
            }),
            ("parameter-removed", Severity::Breaking, |s| {
                s["paths"]["/tokens/{token_id}"]["parameters"] = json!([]);
            }),
            ("parameter-type-changed", Severity::Breaking, |s| {
                s["paths"]["/tokens/{token_id}"]["parameters"][0]["schema"] =
                    json!({ "type": "integer" });
            }),
            ("parameter-became-required", Severity::Breaking, |s| {
                // Old side: make it optional first, by editing the new side to required and
                // the old one (below) optional.
                s["paths"]["/tokens/{token_id}"]["parameters"][0]["required"] = json!(true);
            }),
            ("request-body-removed", Severity::Breaking, |s| {
                s["paths"]["/tokens"]["delete"]
                    .as_object_mut()
                    .expect("op")
                    .remove("requestBody");
            }),
            ("request-media-type-removed", Severity::Breaking, |s| {
                let content = s["paths"]["/tokens"]["delete"]["requestBody"]["content"]
                    .as_object_mut()
                    .expect("content");
                let schema = content
                    .remove("application/vnd.api+json; ext=bulk")
                    .expect("media");
                content.insert("application/json".into(), schema);
            }),
            ("request-field-added-required", Severity::Breaking, |s| {
                let schema = &mut s["paths"]["/tokens"]["delete"]["requestBody"]["content"]["application/vnd.api+json; ext=bulk"]
                    ["schema"];
                *schema = json!({ "type": "object", "required": ["data", "reason"], "properties": { "data": { "type": "array", "items": { "type": "string" } }, "reason": { "type": "string" } } });
            }),
            ("request-field-added-optional", Severity::NonBreaking, |s| {
                let schema = &mut s["paths"]["/tokens"]["delete"]["requestBody"]["content"]["application/vnd.api+json; ext=bulk"]
                    ["schema"];
                *schema = json!({ "type": "object", "required": ["data"], "properties": { "data": { "type": "array", "items": { "type": "string" } }, "reason": { "type": "string" } } });
            }),
            ("request-field-removed", Severity::Breaking, |s| {
                let schema = &mut s["paths"]["/tokens"]["delete"]["requestBody"]["content"]["application/vnd.api+json; ext=bulk"]
                    ["schema"];
                *schema = json!({ "type": "object" });
            }),
            ("request-field-type-changed", Severity::Breaking, |s| {
                let schema = &mut s["paths"]["/tokens"]["delete"]["requestBody"]["content"]["application/vnd.api+json; ext=bulk"]
                    ["schema"];
                *schema = json!({ "type": "object", "required": ["data"], "properties": { "data": { "type": "string" } } });
            }),
            ("request-enum-value-removed", Severity::Breaking, |s| {
                let schema = &mut s["paths"]["/tokens"]["delete"]["requestBody"]["content"]["application/vnd.api+json; ext=bulk"]
                    ["schema"];
                *schema = json!({ "type": "object", "required": ["data"], "properties": { "data": { "type": "array", "items": { "type": "string" } }, "kind": { "type": "string", "enum": ["token"] } } });
            }),
            ("response-success-status-added", Severity::Breaking, |s| {
                s["paths"]["/tokens/{token_id}"]["get"]["responses"]["203"] =
                    json!({ "description": "other" });
            }),
            ("response-success-status-removed", Severity::Breaking, |s| {
                s["paths"]["/tokens"]["delete"]["responses"] =
                    json!({ "200": { "description": "gone" } });
            }),
            ("response-error-status-added", Severity::NonBreaking, |s| {
                s["paths"]["/tokens/{token_id}"]["get"]["responses"]["404"] =
                    json!({ "description": "missing" });
            }),
            ("response-media-type-changed", Severity::Breaking, |s| {
                let content =
                    s["paths"]["/tokens/{token_id}"]["get"]["responses"]["200"]["content"]
                        .as_object_mut()
                        .expect("content");
                let schema = content.remove("application/json").expect("media");
                content.insert("application/vnd.api+json".into(), schema);
            }),
            ("response-field-removed", Severity::Breaking, |s| {
                s["components"]["schemas"]["Token"]["properties"]
                    .as_object_mut()
                    .expect("props")
                    .remove("expires_at");
            }),
            ("response-field-added", Severity::NonBreaking, |s| {
                s["components"]["schemas"]["Token"]["properties"]["rotated_at"] =
                    json!({ "type": "string", "format": "date-time" });
            }),
            ("response-field-became-nullable", Severity::Breaking, |s| {
                s["components"]["schemas"]["Token"]["properties"]["id"]["nullable"] = json!(true);
            }),
            ("response-field-type-changed", Severity::Breaking, |s| {
                s["components"]["schemas"]["Token"]["properties"]["expires_at"]["format"] =
                    json!("date");
            }),
            ("response-field-became-optional", Severity::Breaking, |s| {
                s["components"]["schemas"]["Token"]["required"] = json!([]);
            }),
            ("response-enum-value-added", Severity::Breaking, |s| {
                s["components"]["schemas"]["Token"]["properties"]["kind"] =
                    json!({ "type": "string", "enum": ["user", "automation"] });
            }),
            ("response-header-added", Severity::NonBreaking, |s| {
                s["paths"]["/tokens"]["delete"]["responses"]["204"]["headers"] =
                    json!({ "Fastly-RateLimit-Remaining": { "schema": { "type": "integer" } } });
            }),
            ("error-body-changed", Severity::NonBreaking, |s| {
                s["paths"]["/tokens/{token_id}"]["get"]["responses"]["404"] = json!({ "description": "missing", "content": { "application/json": { "schema": { "type": "object", "properties": { "msg": { "type": "string" } } } } } });
            }),
        ];
        let all = Filter::globs(&["*"]).expect("a valid glob");
        for (rule, severity, edit) in cases {
            let (mut old, mut new) = new_from(edit);
            // Rules about something that exists before need it in the old spec too.
            match rule {
                "parameter-became-required" => {
                    old["paths"]["/tokens/{token_id}"]["parameters"][0]["required"] = json!(false);
                }
                "request-field-removed" | "request-field-type-changed" => {
                    old["paths"]["/tokens"]["delete"]["requestBody"]["content"]["application/vnd.api+json; ext=bulk"]
                        ["schema"] = json!({ "type": "object", "required": ["data"], "properties": { "data": { "type": "array", "items": { "type": "string" } } } });
                }
                "request-enum-value-removed" => {
                    old["paths"]["/tokens"]["delete"]["requestBody"]["content"]["application/vnd.api+json; ext=bulk"]
                        ["schema"] = json!({ "type": "object", "required": ["data"], "properties": { "data": { "type": "array", "items": { "type": "string" } }, "kind": { "type": "string", "enum": ["token", "automation_token"] } } });
                }
                "response-enum-value-added" => {
                    old["components"]["schemas"]["Token"]["properties"]["kind"] =
                        json!({ "type": "string", "enum": ["user"] });
                }
                "error-body-changed" => {
                    old["paths"]["/tokens/{token_id}"]["get"]["responses"]["404"] =
                        json!({ "description": "missing" });
                    new["paths"]["/tokens/{token_id}"]["get"]["responses"]["404"]["content"]["application/json"]
                        ["schema"]["properties"]["code"] = json!({ "type": "string" });
                }
                _ => {}
            }
            let changes = classify(&old, &new, &all);
            assert!(
                changes
                    .iter()
                    .any(|c| c.rule == rule && c.severity == severity),
                "{rule}: expected {severity:?}, got {changes:#?}"
            );
        }
    }

    #[test]
    fn the_default_filter_keeps_only_the_project_paths_and_fail_on_works() {
        let (old, new) = new_from(|s| {
            s["paths"]["/service/{id}"] = serde_json::json!({ "get": { "operationId": "get_service", "responses": { "200": { "description": "ok" } } } });
            s["components"]["schemas"]["Token"]["properties"]["id"]["nullable"] = Value::Bool(true);
        });
        let ours = Filter::Paths(["/tokens".to_string(), "/tokens/{token_id}".to_string()].into());
        let changes = classify(&old, &new, &ours);
        assert!(
            changes.iter().all(|c| !c.operation.contains("/service")),
            "{changes:#?}"
        );
        assert!(changes.iter().any(|c| c.severity == Severity::Breaking));
        let glob = |p: &str, t: &str| glob::Pattern::new(p).expect("glob").matches(t);
        assert!(glob("/tokens*", "/tokens/{token_id}") && !glob("/tokens", "/tokens/self"));
        assert!(glob("*automation*", "/automation-tokens"));
        let text = render(&changes, "a", "b");
        assert!(
            text.contains(
                "GET /tokens, GET /tokens/{token_id} response 200 application/json field id"
            ),
            "{text}"
        );
    }
}
