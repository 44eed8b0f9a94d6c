//! `cargo xtask public-api [--bless]`: the public API of the published library crates as a
//! sorted list of items (types, functions, methods, trait impls, constants), committed in
//! `api/` and compared on every CI run, so any public change shows up in review as a diff of
//! that file, next to the CHANGELOG entry it needs.
//!
//! Why a listing rather than cargo-semver-checks: both read rustdoc's JSON output, but
//! cargo-semver-checks must first be built from source on every fresh CI machine (about 300
//! crates, several minutes on two cores), while this listing costs one `cargo rustdoc` per
//! crate with the default features (measured on the 2-core machine: 36 s cold for
//! `fastly-tokens`, 17 s for all three crates after a build, 6 s when nothing changed) and
//! needs nothing installed. Paths are where items are defined (`fastly_tokens::builder::...`
//! for what the crate root re-exports), so moving an item between private modules shows too.
//! It shows every change; deciding whether one is breaking is the reviewer's job
//! (the CHANGELOG says which ones were).
//!
//! rustdoc's JSON output is unstable, so it is requested with `RUSTC_BOOTSTRAP=1` on the
//! machine's stable toolchain (the only one this project may use).

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;

/// The crates whose API is listed.
const CRATES: [&str; 3] = ["fastly-tokens", "fastly-tokens-raw", "fastly-tokens-fake"];

pub fn run(bless: bool) -> Result<(), String> {
    let root = crate::workspace_root();
    let mut stale = Vec::new();
    for krate in CRATES {
        let listing = listing(krate)?;
        let path = root.join("api").join(format!("{krate}.txt"));
        if bless {
            std::fs::create_dir_all(root.join("api")).map_err(|e| e.to_string())?;
            std::fs::write(&path, &listing).map_err(|e| format!("{}: {e}", path.display()))?;
            println!("wrote api/{krate}.txt ({} items)", listing.lines().count());
            continue;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        match crate::generate::stale_diff(&committed, &listing) {
            None => println!("api/{krate}.txt matches the public API"),
            Some(diff) => {
                print!("{diff}");
                stale.push(krate);
            }
        }
    }
    if stale.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the public API of {} changed (diff above): if intended, run `cargo xtask public-api --bless`, \
             add a CHANGELOG entry, and commit both",
            stale.join(", ")
        ))
    }
}

/// The sorted item list of one crate, from rustdoc's JSON.
fn listing(krate: &str) -> Result<String, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let status = Command::new(&cargo)
        .args([
            "rustdoc",
            "--quiet",
            "--locked",
            "--lib",
            "--package",
            krate,
        ])
        .args(["--", "-Z", "unstable-options", "--output-format", "json"])
        .env("RUSTC_BOOTSTRAP", "1")
        .current_dir(crate::workspace_root())
        .status()
        .map_err(|e| format!("cannot run cargo rustdoc: {e}"))?;
    if !status.success() {
        return Err(format!(
            "cargo rustdoc --output-format json failed for {krate}"
        ));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| crate::workspace_root().join("target"));
    let file = target
        .join("doc")
        .join(format!("{}.json", krate.replace('-', "_")));
    let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    let doc: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    Ok(items(&doc).into_iter().collect::<Vec<_>>().join("\n") + "\n")
}

fn path_of(doc: &Value, id: &Value) -> Option<String> {
    let key = id
        .as_u64()
        .map(|n| n.to_string())
        .or_else(|| id.as_str().map(str::to_string))?;
    let entry = doc.pointer(&format!("/paths/{key}"))?;
    let parts: Vec<&str> = entry
        .get("path")?
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    Some(parts.join("::"))
}

fn items(doc: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for entry in doc
        .get("paths")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(_, v)| v)
    {
        if entry.get("crate_id").and_then(Value::as_u64) != Some(0) {
            continue;
        }
        let kind = entry.get("kind").and_then(Value::as_str).unwrap_or("?");
        let path: Vec<&str> = entry
            .get("path")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        out.insert(format!("{kind} {}", path.join("::")));
    }
    let index = doc.get("index").and_then(Value::as_object);
    for item in index.into_iter().flatten().map(|(_, v)| v) {
        if item.get("crate_id").and_then(Value::as_u64) != Some(0) {
            continue;
        }
        let Some(imp) = item.pointer("/inner/impl") else {
            continue;
        };
        if imp.get("is_synthetic") == Some(&Value::Bool(true))
            || !imp.get("blanket_impl").is_none_or(Value::is_null)
        {
            continue;
        }
        let Some(for_id) = imp.pointer("/for/resolved_path/id") else {
            continue;
        };
        let Some(ty) = path_of(doc, for_id) else {
            continue;
        };
        match imp.get("trait").filter(|t| !t.is_null()) {
            Some(t) => {
                let name = t.get("path").and_then(Value::as_str).unwrap_or("?");
                out.insert(format!("impl {name} for {ty}"));
            }
            None => {
                for id in imp
                    .get("items")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let key = id.as_u64().map(|n| n.to_string()).unwrap_or_default();
                    let Some(member) = index.and_then(|i| i.get(&key)) else {
                        continue;
                    };
                    if member.get("visibility").and_then(Value::as_str) != Some("public") {
                        continue;
                    }
                    let kind = member
                        .get("inner")
                        .and_then(Value::as_object)
                        .and_then(|o| o.keys().next().cloned())
                        .unwrap_or_default();
                    let name = member.get("name").and_then(Value::as_str).unwrap_or("?");
                    out.insert(format!("{kind} {ty}::{name}"));
                }
            }
        }
    }
    out
}
