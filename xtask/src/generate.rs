//! `cargo xtask generate [--check]`: spec -> in-memory fix-ups -> progenitor -> prettyplease -> file.
//!
//! The output is a pure function of `openapi/fastly-tokens.yaml` and `Cargo.lock`: the
//! generator is pinned exactly, and formatting uses prettyplease (not a rustfmt binary whose
//! version could differ between machines).

use std::fmt::Write as _;
use std::path::Path;

use crate::workspace_root;

use openapiv3::{OpenAPI, ReferenceOr};
use progenitor::{GenerationSettings, Generator, InterfaceStyle, TagStyle};

/// Where the spec lives, relative to the workspace root.
pub const SPEC_PATH: &str = "openapi/fastly-tokens.yaml";
/// Where the generated client is written, relative to the workspace root.
pub const OUTPUT_PATH: &str = "crates/fastly-tokens-raw/src/generated.rs";

/// Whether to write the file or only compare it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Write,
    Check,
}

pub fn run(mode: Mode) -> Result<(), String> {
    let root = workspace_root();
    let spec = read(&root.join(SPEC_PATH))?;
    let lock = read(&root.join("Cargo.lock"))?;
    let generated = without_panic_output(|| render(&spec, &lock))?;
    let output = root.join(OUTPUT_PATH);
    match mode {
        Mode::Write => {
            std::fs::write(&output, &generated)
                .map_err(|e| format!("cannot write {}: {e}", output.display()))?;
            println!(
                "wrote {OUTPUT_PATH} ({} lines); review the diff and commit it",
                generated.lines().count()
            );
            Ok(())
        }
        Mode::Check => {
            let committed = std::fs::read_to_string(&output).unwrap_or_default();
            match stale_diff(&committed, &generated) {
                None => {
                    println!("{OUTPUT_PATH} is up to date with {SPEC_PATH}");
                    Ok(())
                }
                Some(diff) => {
                    print!("{diff}");
                    Err(format!(
                        "{OUTPUT_PATH} is stale relative to {SPEC_PATH} (diff above); \
                         run `cargo xtask generate` and commit the result"
                    ))
                }
            }
        }
    }
}

/// Runs `f` with the panic hook silenced, then puts the previous hook back: a generator panic
/// is reported by [`render`] as an error, and a backtrace on top of it would only be noise.
/// (`cargo xtask ci` runs other steps after this one, which keep the usual hook.)
fn without_panic_output<T>(f: impl FnOnce() -> T) -> T {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let out = f();
    std::panic::set_hook(previous);
    out
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// A unified diff from the committed file to the regenerated one, or `None` when equal.
/// Line endings are normalised so a CRLF checkout does not count as stale.
pub fn stale_diff(committed: &str, regenerated: &str) -> Option<String> {
    let committed = committed.replace("\r\n", "\n");
    if committed == regenerated {
        return None;
    }
    let diff = similar::TextDiff::from_lines(committed.as_str(), regenerated);
    Some(
        diff.unified_diff()
            .context_radius(3)
            .header(
                &format!("a/{OUTPUT_PATH} (committed)"),
                &format!("b/{OUTPUT_PATH} (regenerated)"),
            )
            .to_string(),
    )
}

/// A request media type rewritten before generation, restored at run time by the raw crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentTypeOverride {
    pub operation_id: String,
    pub content_type: String,
}

/// Fix-ups progenitor 0.15.1 needs; each is listed in `openapi/README.md`.
/// The spec file itself stays faithful to the real API.
pub fn apply_fixups(spec: &mut OpenAPI) -> Result<Vec<ContentTypeOverride>, String> {
    let mut overrides = Vec::new();
    for (path, item) in spec.paths.paths.iter_mut() {
        let ReferenceOr::Item(item) = item else {
            return Err(format!("path {path} is a $ref, which progenitor rejects"));
        };
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ];
        for op in operations.into_iter().flatten() {
            let Some(ReferenceOr::Item(body)) = op.request_body.as_mut() else {
                continue;
            };
            let operation_id = op.operation_id.clone().unwrap_or_default();
            let content = std::mem::take(&mut body.content);
            body.content = content
                .into_iter()
                .map(|(mut media_type, mut content)| {
                    // Fix-up 1: progenitor rejects vendor JSON types such as
                    // `application/vnd.api+json; ext=bulk`. Generate as JSON, remember the real type.
                    if is_vendor_json(&media_type) {
                        overrides.push(ContentTypeOverride {
                            operation_id: operation_id.clone(),
                            content_type: media_type.clone(),
                        });
                        media_type = "application/json".to_string();
                    }
                    // Fix-up 2: progenitor panics on any `encoding` object (`todo!`), but the
                    // spec needs it to say that `services[]` repeats (Prism reads it).
                    content.encoding.clear();
                    (media_type, content)
                })
                .collect();
        }
    }
    overrides.sort_by(|a, b| a.operation_id.cmp(&b.operation_id));
    Ok(overrides)
}

/// `application/<anything>+json`, with or without parameters.
fn is_vendor_json(media_type: &str) -> bool {
    let essence = media_type.split(';').next().unwrap_or("").trim();
    essence.starts_with("application/") && essence.ends_with("+json")
}

fn settings() -> GenerationSettings {
    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Positional)
        .with_tag(TagStyle::Merged)
        .with_derive("PartialEq")
        // Fix-up 3: serde_urlencoded cannot serialize the `services[]` Vec that progenitor
        // generates, so the form body is a hand-written type in the raw crate.
        .with_replacement(
            "CreateTokenRequest",
            "crate::form::CreateTokenRequest",
            std::iter::empty(),
        )
        // Fix-up 5: the bulk revoke body is written by hand, once, instead of serialized id by
        // id through the generated structs (measured in BENCHMARKS.md).
        .with_replacement(
            "BulkRevokeRequest",
            "crate::bulk::BulkRevokeRequest",
            std::iter::empty(),
        )
        // Fix-up 4: `date-time` strings decode into the raw crate's `Timestamp`, whose RFC 3339
        // fast path costs a fraction of chrono's generic parser (measured in BENCHMARKS.md).
        .with_conversion(
            schemars08::schema::SchemaObject {
                instance_type: Some(schemars08::schema::InstanceType::String.into()),
                format: Some("date-time".to_string()),
                ..Default::default()
            },
            "crate::time::Timestamp",
            std::iter::empty(),
        );
    settings
}

/// The progenitor version recorded in Cargo.lock, for the header.
fn progenitor_version(lock: &str) -> String {
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"progenitor\""
            && let Some(version) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = "))
        {
            return version.trim_matches('"').to_string();
        }
    }
    "unknown".to_string()
}

/// Spec text + Cargo.lock text -> the complete text of `generated.rs`.
pub fn render(spec_text: &str, lock: &str) -> Result<String, String> {
    let mut spec: OpenAPI = serde_yaml::from_str(spec_text)
        .map_err(|e| format!("{SPEC_PATH} is not a valid OpenAPI 3.0 document: {e}"))?;
    let overrides = apply_fixups(&mut spec)?;

    // progenitor reports some unsupported inputs with `todo!`/`assert!`/`unimplemented!`.
    // Turn those into a readable error instead of a backtrace.
    // (The binary silences the default panic hook; tests leave it alone.)
    let outcome = std::panic::catch_unwind(|| Generator::new(&settings()).generate_tokens(&spec));
    let tokens = match outcome {
        Ok(Ok(tokens)) => tokens,
        Ok(Err(e)) => return Err(format!("progenitor rejected {SPEC_PATH}: {e}")),
        Err(panic) => {
            let why = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "no message".to_string());
            return Err(format!(
                "progenitor panicked while generating from {SPEC_PATH}: {why}\n\
                 (openapi/README.md lists the constructs progenitor 0.15 cannot handle and the \
                 fix-ups that work around them)"
            ));
        }
    };

    let mut file: syn::File = syn::parse2(tokens)
        .map_err(|e| format!("progenitor produced code that does not parse: {e}"))?;
    let extra: syn::File = syn::parse_str(&overrides_const(&overrides))
        .map_err(|e| format!("internal error building CONTENT_TYPE_OVERRIDES: {e}"))?;
    file.items.extend(extra.items);
    let ids: syn::File = syn::parse_str(&operation_ids_mod(&spec))
        .map_err(|e| format!("internal error building operation_ids: {e}"))?;
    file.items.extend(ids.items);

    let mut out = String::new();
    let _ = writeln!(
        out,
        "// @generated by `cargo xtask generate` from {SPEC_PATH} with progenitor {}. Do not edit.",
        progenitor_version(lock)
    );
    out.push_str(
        "// To change this file, edit the spec (or the xtask's fix-ups) and rerun the command.\n\n",
    );
    out.push_str(&prettyplease::unparse(&file));
    Ok(out)
}

/// `pub mod operation_ids`: one constant per operation of the spec (`GET_TOKEN_CURRENT =
/// "get_token_current"`), sorted, so the public crate names operations without re-typing them
/// and a renamed operation fails to compile.
fn operation_ids_mod(spec: &OpenAPI) -> String {
    let mut ops: Vec<(String, String)> = Vec::new();
    for (path, item) in spec.paths.paths.iter() {
        let ReferenceOr::Item(item) = item else {
            continue;
        };
        for (method, op) in item.iter() {
            if let Some(id) = &op.operation_id {
                ops.push((
                    id.clone(),
                    format!("{} {path}", method.to_ascii_uppercase()),
                ));
            }
        }
    }
    ops.sort();
    let mut s = String::from(
        "/// Every operation id of the spec, one constant each (generated from the spec).\n\
         pub mod operation_ids {",
    );
    for (id, route) in &ops {
        let _ = write!(
            s,
            "#[doc = {:?}] pub const {}: &str = {id:?};",
            format!("`{route}`"),
            id.to_ascii_uppercase()
        );
    }
    s.push('}');
    s
}

fn overrides_const(overrides: &[ContentTypeOverride]) -> String {
    let mut s = String::from(
        "/// Request media types rewritten to `application/json` for the generator, keyed by\n\
         /// operation id. The raw crate's `ClientHooks::pre` restores them on the wire.\n\
         pub const CONTENT_TYPE_OVERRIDES: &[(&str, &str)] = &[",
    );
    for o in overrides {
        let _ = write!(s, "({:?}, {:?}),", o.operation_id, o.content_type);
    }
    s.push_str("];");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> (String, String) {
        let root = workspace_root();
        (
            read(&root.join(SPEC_PATH)).expect("spec"),
            read(&root.join("Cargo.lock")).expect("lock"),
        )
    }

    /// `cargo test` alone catches a stale generated.rs, as `cargo xtask generate --check` does.
    #[test]
    fn committed_generated_file_is_fresh() {
        let (spec, lock) = inputs();
        let regenerated = render(&spec, &lock).expect("generation succeeds");
        let committed = read(&workspace_root().join(OUTPUT_PATH)).expect("generated.rs exists");
        if let Some(diff) = stale_diff(&committed, &regenerated) {
            panic!("{OUTPUT_PATH} is stale; run `cargo xtask generate`:\n{diff}");
        }
    }

    #[test]
    fn output_is_deterministic() {
        let (spec, lock) = inputs();
        assert_eq!(render(&spec, &lock), render(&spec, &lock));
    }

    #[test]
    fn spec_edit_makes_check_fail_with_a_diff() {
        let (spec, lock) = inputs();
        let committed = render(&spec, &lock).expect("generation succeeds");
        let edited = spec.replace(
            "summary: Revoke a token by id.",
            "summary: Revoke one token by its id.",
        );
        assert_ne!(edited, spec, "the edit must apply");
        let regenerated = render(&edited, &lock).expect("generation succeeds");
        let diff = stale_diff(&committed, &regenerated).expect("a spec edit is detected");
        assert!(
            diff.contains("(committed)") && diff.contains("(regenerated)"),
            "{diff}"
        );
        assert!(
            diff.contains("+    /**Revoke one token by its id"),
            "{diff}"
        );
    }

    #[test]
    fn hand_edit_is_detected() {
        let (spec, lock) = inputs();
        let fresh = render(&spec, &lock).expect("generation succeeds");
        let edited = fresh.replacen("pub struct Client", "pub struct  Client", 1);
        assert!(stale_diff(&edited, &fresh).is_some());
        assert!(stale_diff(&fresh.replace('\n', "\r\n"), &fresh).is_none());
    }

    #[test]
    fn bulk_media_type_is_rewritten_and_recorded() {
        let (spec, lock) = inputs();
        let out = render(&spec, &lock).expect("generation succeeds");
        assert!(out.contains("(\"bulk_revoke_tokens\", \"application/vnd.api+json; ext=bulk\")"));
        assert!(out.starts_with("// @generated by `cargo xtask generate`"));
        assert!(out.contains("with progenitor 0.15.1"));
    }

    #[test]
    fn without_fixups_progenitor_rejects_the_real_spec() {
        // Pins the reason fix-up 1 exists: if a progenitor upgrade accepts vendor JSON,
        // this test fails and the fix-up can be removed.
        let (spec, _) = inputs();
        let spec: OpenAPI = serde_yaml::from_str(&spec).expect("spec parses");
        let outcome =
            std::panic::catch_unwind(|| Generator::new(&settings()).generate_tokens(&spec));
        assert!(
            !matches!(outcome, Ok(Ok(_))),
            "progenitor now accepts the unpatched spec; revisit the fix-ups"
        );
    }

    #[test]
    fn broken_spec_is_a_readable_error() {
        let err = render("openapi: 3.0.3\ninfo: {}\n", "").expect_err("invalid spec");
        assert!(err.contains("is not a valid OpenAPI 3.0 document"), "{err}");
    }

    #[test]
    fn vendor_json_detection() {
        assert!(is_vendor_json("application/vnd.api+json; ext=bulk"));
        assert!(is_vendor_json("application/problem+json"));
        assert!(!is_vendor_json("application/json"));
        assert!(!is_vendor_json("application/x-www-form-urlencoded"));
    }
}
