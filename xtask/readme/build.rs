//! Collects every example of the `fastly-tokens` crate's API docs (`///` and `//!` fenced Rust
//! blocks) into one Markdown file, which `src/lib.rs` compiles as doctests. Here they build
//! with only `fastly-tokens`, `fastly-tokens-fake` and `tokio`: an example that needs another
//! crate (`chrono`, `futures`) fails, as it would in a user's project.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Whether a fence's info string is a Rust example rustdoc would compile.
fn compiled(info: &str) -> bool {
    let words: Vec<&str> = info.split([',', ' ']).filter(|w| !w.is_empty()).collect();
    !words
        .iter()
        .any(|w| matches!(*w, "text" | "ignore" | "sh" | "toml" | "json" | "console"))
}

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let src = manifest.join("../../crates/fastly-tokens/src");
    println!("cargo:rerun-if-changed={}", src.display());
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut doc = String::from("Every example of the `fastly-tokens` API docs.\n\n");
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        println!("cargo:rerun-if-changed={}", file.display());
        let mut fence: Option<bool> = None;
        for line in text.lines() {
            let trimmed = line.trim_start();
            let Some(rest) = trimmed
                .strip_prefix("///")
                .or_else(|| trimmed.strip_prefix("//!"))
            else {
                continue;
            };
            let rest = rest.strip_prefix(' ').unwrap_or(rest);
            match (fence, rest.trim_start().strip_prefix("```")) {
                (None, Some(info)) => {
                    let keep = compiled(info.trim());
                    if keep {
                        let name = file.strip_prefix(&src).unwrap_or(file).display();
                        let _ = writeln!(doc, "From `{name}`:\n\n```{}", info.trim());
                    }
                    fence = Some(keep);
                }
                (Some(keep), Some(_)) => {
                    if keep {
                        doc.push_str("```\n\n");
                    }
                    fence = None;
                }
                (Some(true), None) => {
                    doc.push_str(rest);
                    doc.push('\n');
                }
                _ => {}
            }
        }
    }
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    if let Err(e) = std::fs::write(out.join("api-examples.md"), doc) {
        println!("cargo:warning=cannot write the API examples: {e}");
    }
}
