//! Every CSS class the pages emit is defined in the stylesheet those pages load: a class with
//! no rule is markup the designer meant to style and nobody did (a checkbox alone above its
//! label, help text floating away from its field).
//!
//! The check reads the sources: the askama templates (public pages load `cachet.css`, the
//! dashboard loads `cachet.css` and `dashboard.css`) and the web layer's Rust code that
//! writes HTML itself (charts, the metric switcher). A class built from a value
//! (`pick-{view}`, `{{ s.class }}`) is checked by its literal prefix: some rule must start with
//! it. The browser test (`e2e/run.mjs`) makes the same check on the rendered pages, where the
//! values are known. Mail templates are out of scope: mail clients get inline styles.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

/// The class names a stylesheet's selectors mention (`.name`), comments left out.
fn stylesheet_classes(css: &str) -> BTreeSet<String> {
    let mut text = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        text.push_str(&rest[..start]);
        rest = rest[start..]
            .find("*/")
            .map_or("", |end| &rest[start + end + 2..]);
    }
    text.push_str(rest);
    let mut out = BTreeSet::new();
    // Only selectors: the text before each `{`, back to the previous `}`, `{` or `;`.
    let blocks: Vec<&str> = text.split('{').collect();
    for block in &blocks[..blocks.len().saturating_sub(1)] {
        let selector = block.rsplit(['}', ';']).next().unwrap_or("");
        let bytes = selector.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            // `.5rem` inside a value never reaches here; a `.` after a digit is a number anyway.
            if bytes[i] == b'.' && (i == 0 || !bytes[i - 1].is_ascii_digit()) {
                let name: String = selector[i + 1..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                    .collect();
                if !name.is_empty() {
                    i += name.len();
                    out.insert(name);
                }
            }
            i += 1;
        }
    }
    out
}

/// A class token as the source writes it: a whole name, or the literal prefix of a name built
/// from a value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Token {
    Name(String),
    Prefix(String),
}

/// The class tokens of every `class="…"` attribute in `source` (a template, or Rust code
/// writing HTML with `class=\"…\"`). Template expressions and format arguments inside the
/// value are cut out; what is glued to one (`pick-{v}`) becomes a prefix.
fn class_tokens(source: &str) -> Vec<Token> {
    let mut out = Vec::new();
    for marker in ["class=\"", "class=\\\""] {
        let mut rest = source;
        while let Some(at) = rest.find(marker) {
            rest = &rest[at + marker.len()..];
            // A template expression may itself hold quotes: take the value up to the quote that
            // closes the attribute, outside `{…}`.
            let mut depth = 0usize;
            let mut stop = rest.len();
            for (i, c) in rest.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth = depth.saturating_sub(1),
                    '"' | '\\' if depth == 0 => {
                        stop = i;
                        break;
                    }
                    _ => {}
                }
            }
            let value = &rest[..stop];
            let mut word = String::new();
            let mut glued = false;
            let mut depth = 0usize;
            let flush = |word: &mut String, glued: &mut bool, out: &mut Vec<Token>| {
                if !word.is_empty() {
                    out.push(if *glued {
                        Token::Prefix(std::mem::take(word))
                    } else {
                        Token::Name(std::mem::take(word))
                    });
                }
                word.clear();
                *glued = false;
            };
            let mut chars = value.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    // `{% … %}` is control flow: it emits nothing, so it ends a word.
                    '{' if depth == 0 && chars.peek() == Some(&'%') => {
                        flush(&mut word, &mut glued, &mut out);
                        depth += 1;
                    }
                    // `{{ … }}` or a format argument emits a value: a word glued to it is a
                    // prefix.
                    '{' => {
                        depth += 1;
                        if depth == 1 && !word.is_empty() {
                            glued = true;
                        }
                    }
                    '}' => depth = depth.saturating_sub(1),
                    _ if depth > 0 => {}
                    c if c.is_whitespace() => flush(&mut word, &mut glued, &mut out),
                    c => {
                        if glued {
                            // Text after an expression (`{v}-x`) makes no checkable name.
                            word.clear();
                            glued = false;
                        }
                        word.push(c);
                    }
                }
            }
            flush(&mut word, &mut glued, &mut out);
        }
    }
    out
}

fn missing(sources: &[PathBuf], defined: &BTreeSet<String>) -> Vec<String> {
    let mut out = BTreeSet::new();
    for path in sources {
        let text = std::fs::read_to_string(path).unwrap();
        // Unit tests inside Rust files build HTML fragments of their own.
        let text = text.split("#[cfg(test)]").next().unwrap_or("");
        for token in class_tokens(text) {
            let ok = match &token {
                Token::Name(n) => defined.contains(n),
                Token::Prefix(p) => defined.iter().any(|d| d.starts_with(p.as_str())),
            };
            if !ok {
                let rel = path.strip_prefix(root()).unwrap_or(path).display();
                out.insert(format!("{token:?} in {rel}"));
            }
        }
    }
    out.into_iter().collect()
}

fn css(name: &str) -> BTreeSet<String> {
    stylesheet_classes(&std::fs::read_to_string(root().join("assets").join(name)).unwrap())
}

#[test]
fn every_class_the_public_pages_emit_is_defined_in_their_stylesheet() {
    let mut sources = Vec::new();
    files(&root().join("templates"), "html", &mut sources);
    // The sign-in, setup and invitation pages extend the dashboard's visitor layout, which
    // loads the dashboard's stylesheet too: they are checked with the dashboard.
    sources.retain(|p| {
        let rel = p.strip_prefix(root().join("templates")).unwrap();
        let text = std::fs::read_to_string(p).unwrap();
        !rel.starts_with("dashboard")
            && !rel.starts_with("mail")
            && !text.contains("{% extends \"dashboard/")
    });
    for dir in ["src/web/pages", "src/web/charts.rs", "src/web/subscribe.rs"] {
        let path = root().join(dir);
        if path.is_dir() {
            files(&path, "rs", &mut sources);
        } else {
            sources.push(path);
        }
    }
    assert!(sources.len() > 10, "the sources were found: {sources:?}");
    let missing = missing(&sources, &css("cachet.css"));
    assert!(
        missing.is_empty(),
        "classes with no rule in cachet.css:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_class_the_dashboard_emits_is_defined_in_its_stylesheets() {
    let mut sources = Vec::new();
    files(&root().join("templates/dashboard"), "html", &mut sources);
    let mut top = Vec::new();
    files(&root().join("templates"), "html", &mut top);
    sources.extend(top.into_iter().filter(|p| {
        p.parent() == Some(root().join("templates").as_path())
            && std::fs::read_to_string(p)
                .unwrap()
                .contains("{% extends \"dashboard/")
    }));
    files(&root().join("src/web/dashboard"), "rs", &mut sources);
    assert!(sources.len() > 20, "the sources were found: {sources:?}");
    let mut defined = css("cachet.css");
    defined.extend(css("dashboard.css"));
    let missing = missing(&sources, &defined);
    assert!(
        missing.is_empty(),
        "classes with no rule in cachet.css or dashboard.css:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_class_reader_finds_names_and_prefixes_and_the_stylesheet_reader_finds_selectors() {
    assert_eq!(
        class_tokens(r#"<p class="a b-{{ x }} {% if y %}c{% endif %}"> <i class=\"pick-{v} d\">"#),
        vec![
            Token::Name("a".into()),
            Token::Prefix("b-".into()),
            Token::Name("c".into()),
            Token::Prefix("pick-".into()),
            Token::Name("d".into()),
        ]
    );
    let defined = stylesheet_classes(
        "/* .commented {} */ .a, p.b > .c:hover { margin: 0.5rem; } @media (x) { .d::before { content: \".e\"; } }",
    );
    assert_eq!(
        defined.into_iter().collect::<Vec<_>>(),
        vec!["a", "b", "c", "d"]
    );
}
