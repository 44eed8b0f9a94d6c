//! No import circles: within each crate, the files' `use` graph has no cycle, so every arrow
//! points down and each file can be read knowing only the files below it.
//!
//! A file is a node (`a.rs` or `a/mod.rs` is module `a`, `a/b.rs` is `a::b`). An edge is a path
//! the file's code (above its `#[cfg(test)]` module) names through `crate::`, `super::`, or a
//! child module it declares. Paths to the crate root (its re-exports) are not edges: the root
//! is the facade, not a layer. Checked by the test at the bottom, which `cargo xtask ci` runs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A crate's files by module path (`[]` is the root).
type Files = BTreeMap<Vec<String>, String>;

fn collect(src: &Path, dir: &Path, files: &mut Files) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "bin") && dir == src {
                continue;
            }
            collect(src, &path, files)?;
            continue;
        }
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let rel = path.strip_prefix(src).unwrap_or(&path);
        let mut module: Vec<String> = rel
            .with_extension("")
            .iter()
            .map(|p| p.to_string_lossy().to_string())
            .collect();
        if module.last().is_some_and(|l| l == "mod") {
            module.pop();
        }
        if module.len() == 1 && (module[0] == "lib" || module[0] == "main") {
            // A crate with both: main.rs uses the library by its name, not `crate::`.
            if module[0] == "main" && src.join("lib.rs").exists() {
                continue;
            }
            module.clear();
        }
        let text = std::fs::read_to_string(&path)?;
        // Tests come last in a file and may reach anywhere; they are not layers.
        let code = match text.find("\n#[cfg(test)]") {
            Some(at) => &text[..at],
            None => &text[..],
        };
        let code: String = code
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        files.insert(module, code);
    }
    Ok(())
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The module paths named after `prefix` (`crate::`, `super::`, `child::`) anywhere in `code`,
/// with `{a::b, c}` groups expanded; each as segments after the prefix.
fn paths_after(code: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find(prefix) {
        let before = rest[..at].chars().last();
        rest = &rest[at + prefix.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        expand(rest, Vec::new(), &mut out);
    }
    out
}

fn expand(s: &str, mut path: Vec<String>, out: &mut Vec<Vec<String>>) {
    let mut s = s;
    loop {
        if let Some(group) = s.strip_prefix('{') {
            let mut depth = 1;
            let mut start = 0;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 1 => {
                        expand(group[start..i].trim_start(), path.clone(), out);
                        return;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 1 => {
                        expand(group[start..i].trim_start(), path.clone(), out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            return;
        }
        let ident = ident_at(s);
        if ident.is_empty() {
            break;
        }
        path.push(ident.to_string());
        s = &s[ident.len()..];
        match s.strip_prefix("::") {
            Some(next) => s = next,
            None => break,
        }
    }
    if !path.is_empty() {
        out.push(path);
    }
}

/// Each file's edges to other files of the crate.
fn graph(files: &Files) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let resolve = |path: &[String]| -> Option<Vec<String>> {
        (1..=path.len())
            .rev()
            .map(|n| path[..n].to_vec())
            .find(|p| files.contains_key(p))
    };
    let mut edges = BTreeMap::new();
    for (module, code) in files {
        let mut to = BTreeSet::new();
        for path in paths_after(code, "crate::") {
            to.extend(resolve(&path));
        }
        if let Some((_, parent)) = module.split_last() {
            for path in paths_after(code, "super::") {
                let full: Vec<String> = parent.iter().cloned().chain(path).collect();
                to.extend(resolve(&full));
            }
        }
        // Paths through a child module the file declares (`mod bulk;` ... `bulk::Report`).
        for line in code.lines() {
            let line = line.trim_start();
            let line = line.strip_prefix("pub(crate) ").unwrap_or(line);
            let line = line.strip_prefix("pub ").unwrap_or(line);
            let Some(child) = line.strip_prefix("mod ") else {
                continue;
            };
            let child = ident_at(child);
            for path in paths_after(code, &format!("{child}::")) {
                let full: Vec<String> = module
                    .iter()
                    .cloned()
                    .chain([child.to_string()])
                    .chain(path)
                    .collect();
                to.extend(resolve(&full));
            }
        }
        to.remove(module);
        to.remove(&Vec::new());
        edges.insert(module.clone(), to);
    }
    edges
}

/// The import circles of the crate whose sources are in `src`: each strongly connected group
/// of more than one file, by module path.
pub fn circles(src: &Path) -> std::io::Result<Vec<Vec<String>>> {
    let mut files = Files::new();
    collect(src, src, &mut files)?;
    let edges = graph(&files);
    // Kosaraju: order by finish time, then walk the reversed graph.
    let nodes: Vec<&Vec<String>> = edges.keys().collect();
    let mut seen = BTreeSet::new();
    let mut order = Vec::new();
    fn visit<'a>(
        n: &'a Vec<String>,
        edges: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        seen: &mut BTreeSet<&'a Vec<String>>,
        order: &mut Vec<&'a Vec<String>>,
    ) {
        if !seen.insert(n) {
            return;
        }
        for m in edges.get(n).into_iter().flatten() {
            visit(m, edges, seen, order);
        }
        order.push(n);
    }
    for n in &nodes {
        visit(n, &edges, &mut seen, &mut order);
    }
    let mut reversed: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for (from, to) in &edges {
        for t in to {
            reversed.entry(t.clone()).or_default().insert(from.clone());
        }
    }
    let mut assigned = BTreeSet::new();
    let mut groups = Vec::new();
    for n in order.into_iter().rev() {
        let mut group = Vec::new();
        visit(n, &reversed, &mut assigned, &mut group);
        if group.len() > 1 {
            let mut names: Vec<String> = group.iter().map(|m| m.join("::")).collect();
            names.sort();
            groups.push(names);
        }
    }
    Ok(groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_crate_has_an_import_circle() {
        let root = crate::workspace_root();
        let mut found = Vec::new();
        let mut crates: Vec<_> = std::fs::read_dir(root.join("crates"))
            .expect("crates/")
            .map(|e| e.expect("entry").path().join("src"))
            .collect();
        crates.push(root.join("xtask/src"));
        crates.sort();
        for src in crates {
            for circle in circles(&src).expect("readable sources") {
                found.push(format!("{}: {}", src.display(), circle.join(" <-> ")));
            }
        }
        assert!(found.is_empty(), "import circles:\n{}", found.join("\n"));
    }

    #[test]
    fn the_scanner_sees_a_circle_and_groups() {
        let dir = std::env::temp_dir().join(format!("xtask-layers-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("a")).expect("temp dir");
        std::fs::write(dir.join("lib.rs"), "mod a;\nmod b;\n").expect("write");
        std::fs::write(dir.join("a/mod.rs"), "mod c;\nuse c::X;\n").expect("write");
        std::fs::write(dir.join("a/c.rs"), "use crate::{b::{Y, Z}};\n").expect("write");
        std::fs::write(dir.join("b.rs"), "fn f() { super::a::g() }\n").expect("write");
        let found = circles(&dir).expect("scan");
        std::fs::remove_dir_all(&dir).ok();
        assert_eq!(found, vec![vec!["a", "a::c", "b"]]);
    }
}
