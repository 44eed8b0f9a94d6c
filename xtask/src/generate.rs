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
use quote::ToTokens as _;

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
        // Fix-up 11: the two named string schemas (a token's space-delimited scopes, an
        // automation token's role) decode into `CompactString` too, not into a newtype around
        // a `String`: "global", "engineer" and most scope strings fit inline, so decoding a
        // token allocates nothing for them.
        .with_replacement(
            "TokenScope",
            "::compact_str::CompactString",
            std::iter::empty(),
        )
        .with_replacement(
            "AutomationRole",
            "::compact_str::CompactString",
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
        )
        // Fix-up 10: plain strings decode into `CompactString`, which keeps up to 24 bytes
        // inline: every id Fastly sends (22 characters), IP addresses, scope names and most
        // user agents and token names, so decoding a token allocates for almost none of its
        // fields. Allocation was the largest cost of decoding a list (4,300 instructions a
        // token; measured in BENCHMARKS.md). Parameters stay `&str` (`str_parameters`).
        .with_conversion(
            schemars08::schema::SchemaObject {
                instance_type: Some(schemars08::schema::InstanceType::String.into()),
                ..Default::default()
            },
            "::compact_str::CompactString",
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

    let (tokens, decodes) = with_json_decoder(tokens);
    if decodes == 0 {
        return Err(
            "fix-up 7 found no `ResponseValue::from_response` to replace: progenitor's \
             response code changed; revisit the fix-up in xtask/src/generate.rs"
                .to_string(),
        );
    }
    let mut file: syn::File = syn::parse2(tokens)
        .map_err(|e| format!("progenitor produced code that does not parse: {e}"))?;
    if with_bulk_body(&mut file) != 1 {
        return Err(
            "fix-up 8 did not find exactly one `.json(&body)` of a `BulkRevokeRequest`: \
             progenitor's request code changed; revisit the fix-up in xtask/src/generate.rs"
                .to_string(),
        );
    }
    str_parameters(&mut file);
    if with_parsed_base(&mut file) == 0 {
        return Err(
            "fix-up 9 found no request URL to build from the parsed base: progenitor's \
             client code changed; revisit the fix-up in xtask/src/generate.rs"
                .to_string(),
        );
    }
    let removed = without_api_version(&mut file);
    if removed == 0 {
        return Err(
            "fix-up 6 found no `api-version` header to remove: progenitor's request code \
             changed; revisit the fix-up in xtask/src/generate.rs"
                .to_string(),
        );
    }
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
/// and a renamed operation fails to compile; and `RATE_LIMITED`, the operations whose success
/// responses declare Fastly's rate-limit headers, so the public crate reads those headers only
/// where the spec says they occur.
fn operation_ids_mod(spec: &OpenAPI) -> String {
    let mut ops: Vec<(String, String)> = Vec::new();
    let mut rate_limited: Vec<String> = Vec::new();
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
                if success_declares_rate_limit(spec, op) {
                    rate_limited.push(id.clone());
                }
            }
        }
    }
    ops.sort();
    rate_limited.sort();
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
    let all: Vec<&String> = ops.iter().map(|(id, _)| id).collect();
    let _ = write!(
        s,
        "/// Every operation id, sorted.\npub const ALL: &[&str] = &{all:?};"
    );
    let _ = write!(
        s,
        "/// Operations whose success responses carry `Fastly-RateLimit-Remaining` and \
         `Fastly-RateLimit-Reset` (from the spec's response headers).\n\
         pub const RATE_LIMITED: &[&str] = &{rate_limited:?};"
    );
    s.push('}');
    s
}

/// Whether a 2xx response of `op` declares a `Fastly-RateLimit-*` header.
fn success_declares_rate_limit(spec: &OpenAPI, op: &openapiv3::Operation) -> bool {
    op.responses.responses.iter().any(|(status, response)| {
        let success = matches!(status, openapiv3::StatusCode::Code(c) if (200..300).contains(c))
            || matches!(status, openapiv3::StatusCode::Range(2));
        let response = match response {
            ReferenceOr::Item(r) => Some(r),
            ReferenceOr::Reference { reference } => reference
                .strip_prefix("#/components/responses/")
                .and_then(|name| spec.components.as_ref()?.responses.get(name))
                .and_then(|r| r.as_item()),
        };
        success
            && response.is_some_and(|r| {
                r.headers
                    .keys()
                    .any(|h| h.to_ascii_lowercase().starts_with("fastly-ratelimit-"))
            })
    })
}

/// Fix-up 7: progenitor 0.15.1 decodes every JSON response with
/// `ResponseValue::from_response`, which clones the response headers and decodes with
/// `serde_json::from_slice`, validating UTF-8 string by string (measured: 2,600 instructions per
/// token of a list, a seventh of decoding it). Every call is replaced by the raw crate's
/// `crate::decode::json`: the same result and error variants, but the body is validated as
/// UTF-8 once and decoded with `from_str`, and the headers are moved, not cloned. Works on
/// the token stream (the path `ResponseValue :: from_response`); returns the count replaced.
fn with_json_decoder(tokens: proc_macro2::TokenStream) -> (proc_macro2::TokenStream, usize) {
    use proc_macro2::{Delimiter, Group, Ident, Punct, Spacing, TokenTree};
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out: Vec<TokenTree> = Vec::with_capacity(trees.len());
    let mut count = 0;
    let mut i = 0;
    while i < trees.len() {
        let is_target = matches!(&trees[i], TokenTree::Ident(a) if a == "ResponseValue")
            && matches!(trees.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == ':')
            && matches!(trees.get(i + 2), Some(TokenTree::Punct(p)) if p.as_char() == ':')
            && matches!(trees.get(i + 3), Some(TokenTree::Ident(b)) if b == "from_response");
        if is_target {
            let span = trees[i].span();
            let sep = || {
                [
                    TokenTree::Punct(Punct::new(':', Spacing::Joint)),
                    TokenTree::Punct(Punct::new(':', Spacing::Alone)),
                ]
            };
            out.push(TokenTree::Ident(Ident::new("crate", span)));
            out.extend(sep());
            out.push(TokenTree::Ident(Ident::new("decode", span)));
            out.extend(sep());
            out.push(TokenTree::Ident(Ident::new("json", span)));
            count += 1;
            i += 4;
            continue;
        }
        match &trees[i] {
            TokenTree::Group(group) => {
                let (inner, n) = with_json_decoder(group.stream());
                count += n;
                let delimiter: Delimiter = group.delimiter();
                let mut replaced = Group::new(delimiter, inner);
                replaced.set_span(group.span());
                out.push(TokenTree::Group(replaced));
            }
            other => out.push(other.clone()),
        }
        i += 1;
    }
    (out.into_iter().collect(), count)
}

/// Fix-up 6: progenitor 0.15.1 adds an `api-version` header (the spec's `info.version`) to
/// every request: it builds a `HeaderMap` per call, appends the header, and merges the map
/// into the request, which the raw crate's `pre` hook then had to undo, because Fastly has no
/// such header. Measured on `get_token_current`: the map, the merge and the removal cost
/// about 1,100 instructions per call (BENCHMARKS.md). Here the append is removed from every
/// operation, and where nothing else goes into the map (every operation but those with header
/// parameters, such as `Fastly-OTP`), the map and its `.headers(header_map)` merge go too.
/// Returns how many appends were removed.
fn without_api_version(file: &mut syn::File) -> usize {
    let mut removed = 0;
    for function in methods(file) {
        let stmts = &mut function.block.stmts;
        let before = stmts.len();
        stmts.retain(|stmt| !is_api_version_append(stmt));
        let here = before - stmts.len();
        removed += here;
        if here == 0 {
            continue;
        }
        let map_still_used = stmts
            .iter()
            .filter(|stmt| !is_header_map_let(stmt))
            .filter(|stmt| !is_request_let(stmt))
            .any(|stmt| mentions(stmt, "header_map"));
        if map_still_used {
            continue;
        }
        stmts.retain(|stmt| !is_header_map_let(stmt));
        stmts
            .iter_mut()
            .filter_map(|stmt| let_init(stmt, "request"))
            .for_each(drop_headers_merge);
    }
    removed
}

/// Every method of the generated file's top-level `impl` blocks (`impl Client` and its trait
/// impls): what the fix-ups that rewrite operations walk.
fn methods(file: &mut syn::File) -> impl Iterator<Item = &mut syn::ImplItemFn> {
    file.items
        .iter_mut()
        .filter_map(|item| match item {
            syn::Item::Impl(block) => Some(block),
            _ => None,
        })
        .flat_map(|block| block.items.iter_mut())
        .filter_map(|member| match member {
            syn::ImplItem::Fn(function) => Some(function),
            _ => None,
        })
}

/// The initializer of `let <name> = ..;`, when `stmt` is that statement.
fn let_init<'a>(stmt: &'a mut syn::Stmt, name: &str) -> Option<&'a mut syn::Expr> {
    match stmt {
        syn::Stmt::Local(local) if matches!(&local.pat, syn::Pat::Ident(p) if p.ident == name) => {
            local.init.as_mut().map(|init| &mut *init.expr)
        }
        _ => None,
    }
}

/// Part of fix-up 10: the conversion of plain strings to `CompactString` applies to path and
/// query parameters too; operations keep taking `&str` there, which is what callers have.
fn str_parameters(file: &mut syn::File) {
    for function in methods(file) {
        for input in &mut function.sig.inputs {
            if let syn::FnArg::Typed(arg) = input {
                compact_refs_to_str(&mut arg.ty);
            }
        }
    }
}

/// `&CompactString` -> `&str`, also inside `Option<..>`.
fn compact_refs_to_str(ty: &mut syn::Type) {
    match ty {
        syn::Type::Reference(reference) => {
            if matches!(&*reference.elem, syn::Type::Path(p)
                if p.path.segments.last().is_some_and(|s| s.ident == "CompactString"))
            {
                *reference.elem = syn::parse_quote!(str);
            }
        }
        syn::Type::Path(path) => {
            for segment in &mut path.path.segments {
                if let syn::PathArguments::AngleBracketed(args) = &mut segment.arguments {
                    for arg in &mut args.args {
                        if let syn::GenericArgument::Type(inner) = arg {
                            compact_refs_to_str(inner);
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

/// Fix-up 9: progenitor 0.15.1 formats every request URL as a string and reqwest parses it
/// whole on every call (6,400 instructions, 7% of a small call; BENCHMARKS.md). The generated
/// `Client` gets a `base: Option<reqwest::Url>`, parsed once in `new_with_client` by
/// `crate::url::base`, and each `let url = format!(..)` becomes
/// `crate::url::join(self.base.as_ref(), format!(..)).map_err(Error::InvalidRequest)?`, which
/// copies the parsed base and parses only the path (or the whole string, where that could
/// differ). Returns the number of URLs rewritten; 0 if the struct or constructor is not found.
fn with_parsed_base(file: &mut syn::File) -> usize {
    let mut has_field = false;
    let mut has_constructor = false;
    let mut urls = 0;
    for item in &mut file.items {
        if let syn::Item::Struct(s) = item
            && s.ident == "Client"
            && let syn::Fields::Named(fields) = &mut s.fields
        {
            let extra: syn::ItemStruct = syn::parse_quote!(
                struct Extra {
                    pub(crate) base: ::std::option::Option<reqwest::Url>,
                }
            );
            fields.named.extend(extra.fields);
            has_field = true;
        }
    }
    for function in methods(file) {
        let constructor = function.sig.ident == "new_with_client";
        for stmt in &mut function.block.stmts {
            if constructor && let syn::Stmt::Expr(syn::Expr::Struct(init), _) = stmt {
                init.fields
                    .push(syn::parse_quote!(base: crate::url::base(baseurl)));
                has_constructor = true;
            } else if let Some(url) = let_init(stmt, "url")
                && matches!(url, syn::Expr::Macro(m) if m.mac.path.is_ident("format"))
            {
                let formatted = url.clone();
                *url = syn::parse_quote!(
                    crate::url::join(self.base.as_ref(), #formatted)
                        .map_err(Error::InvalidRequest)?
                );
                urls += 1;
            }
        }
    }
    if has_field && has_constructor {
        urls
    } else {
        0
    }
}

/// Fix-up 8: the operation whose body is the hand-written `crate::bulk::BulkRevokeRequest`
/// (fix-up 5) sends the document that type wrote once, `.body(body.json_body())`, instead of
/// `.json(&body)`, which serializes it id by id through serde (750 instructions per id,
/// BENCHMARKS.md). Its `Content-Type` is set by the raw crate's `pre` hook (fix-up 1), as
/// before. Returns the number of calls replaced.
fn with_bulk_body(file: &mut syn::File) -> usize {
    let mut replaced = 0;
    for function in methods(file) {
        let takes_bulk_body = function.sig.inputs.iter().any(|input| {
            matches!(input, syn::FnArg::Typed(arg)
                if mentions(&arg.pat, "body") && mentions(&arg.ty, "BulkRevokeRequest"))
        });
        if !takes_bulk_body {
            continue;
        }
        replaced += function
            .block
            .stmts
            .iter_mut()
            .filter_map(|stmt| let_init(stmt, "request"))
            .map(send_written_body)
            .sum::<usize>();
    }
    replaced
}

/// `.json(&body)` -> `.body(body.json_body())` in a request builder chain.
fn send_written_body(expr: &mut syn::Expr) -> usize {
    match expr {
        syn::Expr::Try(t) => send_written_body(&mut t.expr),
        syn::Expr::MethodCall(call) => {
            let is_json =
                call.method == "json" && call.args.len() == 1 && mentions(&call.args[0], "body");
            let here = if is_json {
                call.method = syn::Ident::new("body", call.method.span());
                call.args = syn::punctuated::Punctuated::new();
                call.args.push(syn::parse_quote!(body.json_body()));
                1
            } else {
                0
            };
            here + send_written_body(&mut call.receiver)
        }
        _ => 0,
    }
}

fn mentions(tokens: &impl quote::ToTokens, word: &str) -> bool {
    tokens.to_token_stream().into_iter().any(|tree| match tree {
        proc_macro2::TokenTree::Ident(ident) => ident == word,
        proc_macro2::TokenTree::Group(group) => mentions(&group.stream(), word),
        _ => false,
    })
}

fn local_named(stmt: &syn::Stmt, name: &str) -> bool {
    let syn::Stmt::Local(local) = stmt else {
        return false;
    };
    matches!(&local.pat, syn::Pat::Ident(p) if p.ident == name)
}

fn is_header_map_let(stmt: &syn::Stmt) -> bool {
    local_named(stmt, "header_map")
}

fn is_request_let(stmt: &syn::Stmt) -> bool {
    local_named(stmt, "request")
}

/// `header_map.append(HeaderName::from_static("api-version"), ..);`
fn is_api_version_append(stmt: &syn::Stmt) -> bool {
    let syn::Stmt::Expr(syn::Expr::MethodCall(call), _) = stmt else {
        return false;
    };
    let receiver_is_map =
        matches!(&*call.receiver, syn::Expr::Path(p) if p.path.is_ident("header_map"));
    let names_api_version = call.args.first().is_some_and(|name| {
        name.to_token_stream().into_iter().any(|tree| {
            matches!(tree, proc_macro2::TokenTree::Group(g)
                    if g.stream().to_string() == "\"api-version\"")
        })
    });
    receiver_is_map && call.method == "append" && names_api_version
}

/// Removes `.headers(header_map)` from the request builder chain.
fn drop_headers_merge(expr: &mut syn::Expr) {
    match expr {
        syn::Expr::Try(t) => drop_headers_merge(&mut t.expr),
        syn::Expr::MethodCall(call) => {
            let is_merge = call.method == "headers"
                && call.args.len() == 1
                && matches!(&call.args[0], syn::Expr::Path(p) if p.path.is_ident("header_map"));
            if is_merge {
                *expr = (*call.receiver).clone();
                drop_headers_merge(expr);
            } else {
                drop_headers_merge(&mut call.receiver);
            }
        }
        _ => {}
    }
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
    fn api_version_header_is_removed_from_every_operation() {
        let (spec, lock) = inputs();
        let out = render(&spec, &lock).expect("generation succeeds");
        assert!(
            !out.contains("from_static(\"api-version\")"),
            "fix-up 6 missed one"
        );
        // Operations without header parameters lose the map and its merge entirely...
        let current = out
            .split("pub async fn get_token_current")
            .nth(1)
            .and_then(|rest| rest.split("pub async fn").next())
            .expect("get_token_current is generated");
        assert!(!current.contains("header_map"), "{current}");
        // ...while create_token keeps it for `Fastly-OTP`.
        let create = out
            .split("pub async fn create_token<")
            .nth(1)
            .and_then(|rest| rest.split("pub async fn").next())
            .expect("create_token is generated");
        assert!(
            create.contains("header_map.append(\"Fastly-OTP\""),
            "{create}"
        );
        assert!(create.contains(".headers(header_map)"), "{create}");
    }

    #[test]
    fn api_version_fixup_fails_loudly_when_progenitor_changes() {
        // A file with nothing to remove: generation must say the fix-up needs revisiting
        // rather than silently ship the header again.
        let mut file: syn::File =
            syn::parse_str("impl Client { async fn f(&self) { let url = 1; } }").expect("parses");
        assert_eq!(without_api_version(&mut file), 0);
    }

    #[test]
    fn every_json_response_is_decoded_by_the_raw_crate() {
        let (spec, lock) = inputs();
        let out = render(&spec, &lock).expect("generation succeeds");
        assert!(
            !out.contains("ResponseValue::from_response"),
            "fix-up 7 missed one"
        );
        assert!(out.contains("200u16 => crate::decode::json(response).await"));
    }

    #[test]
    fn bulk_revoke_sends_the_document_written_once() {
        let (spec, lock) = inputs();
        let out = render(&spec, &lock).expect("generation succeeds");
        let bulk = out
            .split("pub async fn bulk_revoke_tokens")
            .nth(1)
            .and_then(|rest| rest.split("pub async fn").next())
            .expect("bulk_revoke_tokens is generated");
        assert!(bulk.contains(".body(body.json_body())"), "{bulk}");
        assert!(!bulk.contains(".json("), "{bulk}");
    }

    #[test]
    fn request_urls_are_built_from_the_parsed_base() {
        let (spec, lock) = inputs();
        let out = render(&spec, &lock).expect("generation succeeds");
        assert!(out.contains("pub(crate) base: ::std::option::Option<reqwest::Url>"));
        assert!(out.contains("base: crate::url::base(baseurl)"));
        let operations = out.matches("pub async fn ").count();
        let joined = out.matches("crate::url::join(").count();
        assert_eq!(
            joined, operations,
            "every operation builds its URL from the base"
        );
        assert!(!out.contains("let url = format!"), "fix-up 9 missed one");
    }

    #[test]
    fn strings_decode_inline_and_parameters_stay_str() {
        let (spec, lock) = inputs();
        let out = render(&spec, &lock).expect("generation succeeds");
        assert!(out.contains("pub id: ::compact_str::CompactString,"));
        assert!(
            out.contains("token_id: &'a str,"),
            "path parameters take &str"
        );
        assert!(
            out.contains("fastly_otp: Option<&'a str>,"),
            "header parameters take &str"
        );
        assert!(!out.contains("&'a ::compact_str::CompactString"));
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
