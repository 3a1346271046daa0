#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The core's layers point down only: the domain (model, validation, sanitizing, auth,
//! secrets, the store trait and what they share) knows nothing of the facade, and the facade
//! and notifications know nothing of the web layer. This test reads every source file of the
//! crate and fails on any `crate::` path that points up a layer, so a cycle cannot come back
//! unnoticed. ARCHITECTURE.md describes the layers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A top-level module's layer: 0 domain, 1 facade and notify, 2 web. `testing` and `fuzzing`
/// serve tests and harnesses and may use every layer.
const LAYERS: &[(&str, u8)] = &[
    ("auth", 0),
    ("clock", 0),
    ("cpu", 0),
    ("i18n", 0),
    ("log", 0),
    ("metrics", 0),
    ("model", 0),
    ("sanitize", 0),
    ("secrets", 0),
    ("status", 0),
    ("telemetry", 0),
    ("store", 0),
    ("template", 0),
    ("validate", 0),
    ("web_config", 0),
    ("alerts", 1),
    ("backup", 1),
    ("import", 1),
    ("facade", 1),
    ("history", 1),
    ("host_health", 1),
    ("notify", 1),
    ("web", 2),
];

/// Names the crate root re-exports from the facade (`crate::Cachet`, `crate::Actor`, ...):
/// a domain module naming one points up too.
fn facade_reexports(lib_rs: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = lib_rs;
    while let Some(at) = rest.find("pub use facade::") {
        let tail = &rest[at + "pub use facade::".len()..];
        let end = tail.find(';').unwrap_or(tail.len());
        let list = &tail[..end];
        names.extend(
            list.split(|c: char| !(c.is_alphanumeric() || c == '_'))
                .filter(|w| w.chars().next().is_some_and(char::is_uppercase))
                .map(str::to_owned),
        );
        rest = &tail[end..];
    }
    names
}

fn layer_of(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

/// The code of a file without its `#[cfg(test)]` unit tests and without comments.
fn code(text: &str) -> String {
    let text = text
        .split("#[cfg(test)]\nmod tests")
        .next()
        .unwrap_or_default();
    text.lines()
        .map(|l| l.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The upward references in `source`, a file of top-level module `module`: `(line, target)`.
fn upward(module: &str, source: &str, root_facade_names: &[String]) -> Vec<(usize, String)> {
    let Some(own) = layer_of(module) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (n, line) in code(source).lines().enumerate() {
        // `crate::a::...`, and every name in `crate::{a, b::c, D}` groups.
        let mut targets: Vec<&str> = Vec::new();
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            let tail = &rest[at + "crate::".len()..];
            if let Some(group) = tail.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                targets.extend(
                    group[..end]
                        .split(',')
                        .map(|item| item.trim().split("::").next().unwrap_or_default()),
                );
            } else {
                let end = tail
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(tail.len());
                targets.push(&tail[..end]);
            }
            rest = tail;
        }
        for target in targets {
            let target_layer = layer_of(target).or_else(|| {
                root_facade_names
                    .iter()
                    .any(|name| name == target)
                    .then_some(1)
            });
            if target_layer.is_some_and(|l| l > own) {
                found.push((n + 1, target.to_owned()));
            }
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_module_uses_a_layer_above_its_own() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let root_names = facade_reexports(&lib);
    assert!(root_names.iter().any(|n| n == "Cachet"), "{root_names:?}");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut unassigned = BTreeMap::new();
    let mut violations = Vec::new();
    for file in files {
        let rel = file.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_owned();
        if matches!(module.as_str(), "lib" | "testing" | "fuzzing") {
            continue;
        }
        if layer_of(&module).is_none() {
            unassigned.insert(module, rel.display().to_string());
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for (line, target) in upward(&module, &text, &root_names) {
            violations.push(format!("{}:{line}: {module} uses {target}", rel.display()));
        }
    }
    assert!(
        unassigned.is_empty(),
        "give these modules a layer in LAYERS: {unassigned:?}"
    );
    assert!(
        violations.is_empty(),
        "uses that point up a layer:\n{}",
        violations.join("\n")
    );
}

#[test]
fn the_check_sees_paths_groups_and_facade_names() {
    let names = vec!["Cachet".to_owned(), "Actor".to_owned()];
    assert_eq!(
        upward("model", "use crate::web::pages::Chrome;\n", &names),
        [(1, "web".to_owned())]
    );
    assert_eq!(
        upward("notify", "fn f() { crate::web::pages::x() }\n", &names),
        [(1, "web".to_owned())]
    );
    assert_eq!(
        upward("sanitize", "use crate::{validate::Text, Cachet};\n", &names),
        [(1, "Cachet".to_owned())]
    );
    assert!(upward("web", "use crate::{Actor, Cachet, model::Role};\n", &names).is_empty());
    assert!(
        upward(
            "facade",
            "use crate::store::Store; // crate::web::x\n",
            &names
        )
        .is_empty()
    );
    let with_tests =
        "use crate::model::Role;\n#[cfg(test)]\nmod tests {\n    use crate::web::x;\n}\n";
    assert!(upward("auth", with_tests, &names).is_empty());
}
