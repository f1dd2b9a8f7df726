//! The architecture's rules, checked by reading the sources (as rust-analyzer's tidy tests do): each
//! failure names the file and line that breaks a rule, so the rule cannot drift from the code.
//!
//! - Only vow-store contains SQL.
//! - vow-policy does no I/O outside its loader (`load.rs`).
//! - No crate depends on one at its own layer or above (arrows point down only).
//! - No file imports one that imports it back, inside vow-store, vow-engine, vow-policy and
//!   vow-server.
//! - Library code has no `.unwrap()`, and an `.expect(…)` only with the reason it cannot fail.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The lines of a source file that are not test code: everything before a `#[cfg(test)]` at the
/// start of a line (the `mod tests` at the end of a file), with comments dropped.
fn code_lines(path: &Path) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.starts_with("#[cfg(test)]") {
            break;
        }
        let code = match line.find("//") {
            // A `//` inside a string (a URL) is not a comment; only a line that starts one is.
            Some(at) if line[..at].trim().is_empty() => "",
            _ => line,
        };
        out.push((number + 1, code.to_string()));
    }
    out
}

fn library_crates() -> Vec<&'static str> {
    vec![
        "vow-pii",
        "vow-crypto",
        "vow-policy",
        "vow-audit",
        "vow-store",
        "vow-engine",
        "vow-server",
        "vow-proxy",
    ]
}

#[test]
fn only_vow_store_contains_sql() {
    let sql = regex_like(&[
        "SELECT ",
        "INSERT INTO",
        "DELETE FROM",
        "CREATE TABLE",
        "ALTER TABLE",
        "PRAGMA ",
        " SET ",
    ]);
    let mut found = Vec::new();
    for krate in library_crates().into_iter().chain(["vow"]) {
        if krate == "vow-store" {
            continue;
        }
        for file in rust_files(&crates_dir().join(krate).join("src")) {
            for (number, line) in code_lines(&file) {
                // SQL lives in string literals; " SET " alone is English too, so only with UPDATE.
                let in_string = line.contains('"');
                if in_string
                    && sql.iter().any(|k| {
                        line.contains(k.as_str()) && (k != " SET " || line.contains("UPDATE "))
                    })
                {
                    found.push(format!("{}:{number}: {}", file.display(), line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "SQL outside vow-store:\n{}",
        found.join("\n")
    );
}

fn regex_like(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

#[test]
fn vow_policy_does_no_io_outside_its_loader() {
    let forbidden = [
        "std::fs",
        "fs::read",
        "fs::write",
        "File::",
        "OpenOptions",
        "read_to_string",
        "std::io::stdin",
        "std::net",
        "std::env::var",
        "std::process",
        "tokio::",
    ];
    let mut found = Vec::new();
    let src = crates_dir().join("vow-policy").join("src");
    for file in rust_files(&src) {
        if file.file_name().is_some_and(|n| n == "load.rs") {
            continue;
        }
        for (number, line) in code_lines(&file) {
            if let Some(word) = forbidden.iter().find(|w| line.contains(*w)) {
                found.push(format!(
                    "{}:{number}: {word}: {}",
                    file.display(),
                    line.trim()
                ));
            }
        }
    }
    assert!(
        found.is_empty(),
        "I/O in vow-policy outside load.rs:\n{}",
        found.join("\n")
    );
}

/// Each crate's layer: a crate may depend only on crates of a lower layer.
fn layer(krate: &str) -> Option<u8> {
    Some(match krate {
        // vow-testkit is what the test suites share: a dev-dependency only, depending on nothing.
        "vow-pii" | "vow-crypto" | "vow-policy" | "vow-testkit" => 0,
        "vow-audit" => 1,
        "vow-store" => 2,
        "vow-engine" => 3,
        "vow-server" | "vow-proxy" => 4,
        "vow" => 5,
        _ => return None,
    })
}

#[test]
fn no_crate_depends_on_one_at_its_layer_or_above() {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(crates_dir()).unwrap() {
        let dir = entry.unwrap().path();
        let manifest = dir.join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let mine = layer(&name).unwrap_or_else(|| {
            panic!("{name} has no layer in tidy.rs: place it in the architecture")
        });
        // Only [dependencies]: tests and benches may use anything.
        let mut in_dependencies = false;
        for (number, line) in text.lines().enumerate() {
            if line.starts_with('[') {
                in_dependencies = line.trim() == "[dependencies]";
                continue;
            }
            let dependency = line.split(['=', ' ']).next().unwrap_or_default();
            if !in_dependencies || !dependency.starts_with("vow") {
                continue;
            }
            match layer(dependency) {
                Some(theirs) if theirs < mine => {}
                _ => found.push(format!(
                    "{}:{}: {name} (layer {mine}) depends on {dependency}",
                    manifest.display(),
                    number + 1
                )),
            }
        }
    }
    assert!(
        found.is_empty(),
        "arrows must point down:\n{}",
        found.join("\n")
    );
}

/// The file a module path (`a::b::c`, from the crate's `src`) lives in: the deepest of `a/b/c.rs`,
/// `a/b/c/mod.rs`, `a/b.rs`, … that exists (the rest of the path names items inside it).
fn file_of(src: &Path, path: &[&str]) -> Option<PathBuf> {
    for depth in (1..=path.len()).rev() {
        let mut dir = src.to_path_buf();
        for part in &path[..depth - 1] {
            dir.push(part);
        }
        let name = path[depth - 1];
        for candidate in [
            dir.join(format!("{name}.rs")),
            dir.join(name).join("mod.rs"),
        ] {
            if candidate.is_file() {
                return Some(candidate);
            }
        }
    }
    None
}

/// The module path of a file (`src/consent/sqlite.rs` → `consent::sqlite`).
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src).unwrap();
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts
        .last()
        .is_some_and(|p| p == "mod" || p == "lib" || p == "main")
    {
        parts.pop();
    }
    parts
}

/// Each file's imports of other files of the same crate: `use crate::…` and `use super::…`, not the
/// `pub use` re-exports that give a crate its public paths, nor module declarations.
fn import_graph(src: &Path) -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let mut graph = BTreeMap::new();
    for file in rust_files(src) {
        let module = module_of(src, &file);
        let text = std::fs::read_to_string(&file).unwrap();
        let mut edges = BTreeSet::new();
        // `use` statements may span lines: join each one before reading it.
        let mut statement = String::new();
        for line in text.lines() {
            if line.starts_with("#[cfg(test)]") {
                break;
            }
            let trimmed = line.trim();
            if statement.is_empty()
                && !(trimmed.starts_with("use ") || trimmed.starts_with("pub(crate) use "))
            {
                continue;
            }
            statement.push_str(trimmed);
            if !trimmed.ends_with(';') {
                continue;
            }
            let body = std::mem::take(&mut statement);
            let body = body
                .trim_start_matches("pub(crate) ")
                .trim_start_matches("use ")
                .trim_end_matches(';');
            for path in expand(body) {
                let parts: Vec<&str> = path.split("::").collect();
                let absolute: Vec<String> = match parts.first() {
                    Some(&"crate") => parts[1..].iter().map(|p| p.to_string()).collect(),
                    Some(&"super") => {
                        let mut base = module.clone();
                        let mut rest = &parts[..];
                        while rest.first() == Some(&"super") {
                            base.pop();
                            rest = &rest[1..];
                        }
                        base.extend(rest.iter().map(|p| p.to_string()));
                        base
                    }
                    Some(&"self") => {
                        let mut base = module.clone();
                        base.extend(parts[1..].iter().map(|p| p.to_string()));
                        base
                    }
                    _ => continue,
                };
                let refs: Vec<&str> = absolute
                    .iter()
                    .map(String::as_str)
                    .filter(|p| *p != "*")
                    .collect();
                let target = if refs.is_empty() {
                    Some(src.join("lib.rs"))
                } else {
                    file_of(src, &refs).or_else(|| Some(src.join("lib.rs")))
                };
                if let Some(target) = target.filter(|t| t.is_file() && *t != file) {
                    edges.insert(target);
                }
            }
        }
        graph.insert(file, edges);
    }
    graph
}

/// `a::{b, c::{d, e}}` → `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let tree = tree.replace(' ', "");
    match tree.find('{') {
        None => vec![tree.split(" as ").next().unwrap_or_default().to_string()],
        Some(open) => {
            let prefix = &tree[..open];
            let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
            let mut parts = Vec::new();
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        parts.push(&inner[start..i]);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            parts.push(&inner[start..]);
            parts
                .into_iter()
                .filter(|p| !p.is_empty())
                .flat_map(|p| {
                    if p == "self" {
                        vec![prefix.trim_end_matches("::").to_string()]
                    } else {
                        expand(&format!("{prefix}{p}"))
                    }
                })
                .collect()
        }
    }
}

#[test]
fn no_two_files_import_each_other_round_a_circle() {
    let mut found = Vec::new();
    for krate in ["vow-store", "vow-engine", "vow-policy", "vow-server"] {
        let src = crates_dir().join(krate).join("src");
        let graph = import_graph(&src);
        // A circle is an edge a → b with a path back from b to a.
        for (from, edges) in &graph {
            for to in edges {
                if reaches(&graph, to, from) {
                    found.push(format!(
                        "{krate}: {} imports {}, which leads back to it",
                        from.strip_prefix(&src).unwrap().display(),
                        to.strip_prefix(&src).unwrap().display()
                    ));
                }
            }
        }
    }
    assert!(found.is_empty(), "import circles:\n{}", found.join("\n"));
}

fn reaches(graph: &BTreeMap<PathBuf, BTreeSet<PathBuf>>, from: &Path, to: &Path) -> bool {
    let mut seen = BTreeSet::new();
    let mut stack = vec![from.to_path_buf()];
    while let Some(node) = stack.pop() {
        if node == to {
            return true;
        }
        if seen.insert(node.clone()) {
            if let Some(next) = graph.get(&node) {
                stack.extend(next.iter().cloned());
            }
        }
    }
    false
}

#[test]
fn library_code_neither_unwraps_nor_expects_without_saying_why() {
    let mut found = Vec::new();
    for krate in library_crates() {
        for file in rust_files(&crates_dir().join(krate).join("src")) {
            for (number, line) in code_lines(&file) {
                let unwraps = line.contains(".unwrap()");
                // An expect must carry its reason as a literal: why the value cannot be missing.
                let bare_expect = line.contains(".expect(") && !line.contains(".expect(\"");
                if unwraps || bare_expect {
                    found.push(format!("{}:{number}: {}", file.display(), line.trim()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "unwrap or unexplained expect in library code:\n{}",
        found.join("\n")
    );
}

/// The checks above would pass on an empty tree: they must see the sources.
#[test]
fn the_checks_read_the_real_sources() {
    let engine = rust_files(&crates_dir().join("vow-engine").join("src"));
    assert!(engine.len() > 10, "{engine:?}");
    let graph = import_graph(&crates_dir().join("vow-engine").join("src"));
    let edges: usize = graph.values().map(BTreeSet::len).sum();
    assert!(
        edges > 20,
        "the import graph of vow-engine has {edges} edges"
    );
    assert_eq!(expand("a::{b, c::{d, e}}"), ["a::b", "a::c::d", "a::c::e"]);
}
