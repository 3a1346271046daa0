//! Logic-less incident templates: `{{ name }}` placeholders, nothing else.
//!
//! # Why
//!
//! Cachet rendered incident templates with Twig, and a template body is written by dashboard
//! users: CVE-2023-43661 (CVSS 9.1) and GHSA-q3xh-8qcr-jgw3 turned that into remote code
//! execution with payloads such as `{{ ['id']|filter('system') }}` or
//! `{{_self.env.registerUndefinedFilterCallback("exec")}}`. A sandbox is an allowlist that has
//! to stay right forever; this module removes the engine instead.
//!
//! * The only syntax is `{{ name }}` (optional spaces or tabs inside the braces), where
//!   `name` matches `[A-Za-z_][A-Za-z0-9_.]{0,63}`. A dotted name such as `incident.name` is
//!   one key looked up in [`Vars`], not an attribute access.
//! * Anything else that looks like template syntax (`{{ 7*7 }}`, `{% include %}`,
//!   `{{ a|filter }}`, `{{ _self.env.x() }}`) is left in the output as literal text. Nothing is
//!   ever evaluated, called, included or looked up beyond a map key.
//! * Variable values are untrusted (they arrive as `vars[...]` in API requests) and are
//!   escaped for Markdown: every ASCII punctuation character is backslash-escaped and line
//!   breaks become spaces, so a value cannot open a link, an image, an autolink, raw HTML, a
//!   heading, a list, a table or a code fence. The result is Markdown that still goes through
//!   [`crate::sanitize`], which would neutralise anything that slipped through.
//!   (Inside a code span or code block written by the template author, backslashes are
//!   literal, so a value placed there shows its escapes; placeholders belong in prose.)
//! * Unknown variables render as nothing (as Cachet did); [`check`] reports them, and any
//!   unsupported tags, for dashboard previews.
//! * The output is bounded by [`Markdown::MAX_BYTES`] while it is built, so a small template
//!   with many references to a long value cannot exhaust memory.

use std::collections::{BTreeMap, BTreeSet};

use crate::validate::{Markdown, Violation};

/// The most variables one render may receive.
pub const MAX_VARS: usize = 100;
/// The longest variable value, in characters.
pub const MAX_VALUE_CHARS: usize = 10_000;
/// The longest variable name, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// The longest piece of user input quoted in an error or a report.
const QUOTE_CHARS: usize = 80;

/// Why template variables or a template render were refused. Each message names the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TemplateError {
    /// `vars` was not a JSON object (or `[]`/`null` for "no variables").
    #[error("vars: must be an object of variable names to values")]
    NotAnObject,
    /// A variable's value was an array or an object.
    #[error("vars.{name}: must be a string, number, boolean or null")]
    NestedValue {
        /// The variable name.
        name: String,
    },
    /// A variable name does not have the allowed shape.
    #[error(
        "vars: variable name {name:?} must be a letter or _ followed by at most 63 letters, digits, _ or ."
    )]
    InvalidName {
        /// The offending name (truncated).
        name: String,
    },
    /// Too many variables.
    #[error("vars: must hold at most {max} variables")]
    TooManyVars {
        /// [`MAX_VARS`].
        max: usize,
    },
    /// A value is too long.
    #[error("vars.{name}: must be at most {max} characters")]
    ValueTooLong {
        /// The variable name.
        name: String,
        /// [`MAX_VALUE_CHARS`].
        max: usize,
    },
    /// A value contains a control character other than a line break or tab.
    #[error("vars.{name}: must not contain control characters")]
    ControlCharacter {
        /// The variable name.
        name: String,
    },
    /// The rendered text is not valid Markdown (too long).
    #[error("template: rendered message {0}")]
    Output(Violation),
}

/// Whether `name` is a valid variable name: `[A-Za-z_][A-Za-z0-9_.]{0,63}`.
#[must_use]
pub fn is_valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= MAX_NAME_CHARS
        && (b[0].is_ascii_alphabetic() || b[0] == b'_')
        && b[1..]
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.')
}

/// Shortens user input for an error message or a report.
fn quote(s: &str) -> String {
    s.chars().take(QUOTE_CHARS).collect()
}

/// The variables of one render: names to plain string values, validated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vars(BTreeMap<String, String>);

impl Vars {
    /// No variables.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces a variable.
    ///
    /// # Errors
    ///
    /// [`TemplateError::InvalidName`], [`TemplateError::ValueTooLong`],
    /// [`TemplateError::ControlCharacter`] or [`TemplateError::TooManyVars`].
    pub fn insert(&mut self, name: &str, value: &str) -> Result<(), TemplateError> {
        if !is_valid_name(name) {
            return Err(TemplateError::InvalidName { name: quote(name) });
        }
        if value.chars().count() > MAX_VALUE_CHARS {
            return Err(TemplateError::ValueTooLong {
                name: name.to_owned(),
                max: MAX_VALUE_CHARS,
            });
        }
        if value
            .chars()
            .any(|c| c != '\r' && crate::validate::is_forbidden_control(c))
        {
            return Err(TemplateError::ControlCharacter {
                name: name.to_owned(),
            });
        }
        if !self.0.contains_key(name) && self.0.len() >= MAX_VARS {
            return Err(TemplateError::TooManyVars { max: MAX_VARS });
        }
        self.0.insert(name.to_owned(), value.to_owned());
        Ok(())
    }

    /// Variables from a JSON request field, as Cachet clients send them: an object whose
    /// values are strings (taken as is), numbers or booleans (their JSON text) or `null`
    /// (empty). `null` and `[]` (what PHP sends for an empty array) mean no variables.
    ///
    /// # Errors
    ///
    /// [`TemplateError::NotAnObject`], [`TemplateError::NestedValue`], or any error of
    /// [`insert`](Self::insert).
    pub fn from_json(value: &serde_json::Value) -> Result<Self, TemplateError> {
        use serde_json::Value;
        let mut vars = Self::new();
        match value {
            Value::Null => Ok(vars),
            Value::Array(a) if a.is_empty() => Ok(vars),
            Value::Object(map) => {
                if map.len() > MAX_VARS {
                    return Err(TemplateError::TooManyVars { max: MAX_VARS });
                }
                for (name, v) in map {
                    let text = match v {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        Value::Null => String::new(),
                        Value::Array(_) | Value::Object(_) => {
                            let name = if is_valid_name(name) {
                                name.clone()
                            } else {
                                quote(name)
                            };
                            return Err(TemplateError::NestedValue { name });
                        }
                    };
                    vars.insert(name, &text)?;
                }
                Ok(vars)
            }
            _ => Err(TemplateError::NotAnObject),
        }
    }

    /// The value of a variable.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// The number of variables.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no variables.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The variables, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

impl TryFrom<&serde_json::Value> for Vars {
    type Error = TemplateError;

    fn try_from(value: &serde_json::Value) -> Result<Self, TemplateError> {
        Self::from_json(value)
    }
}

/// Escapes a value so that it is inline text in Markdown: every ASCII punctuation character
/// gets a backslash (CommonMark renders `\x` as a literal `x` for all of them), and line
/// breaks become spaces so a value cannot start a new block.
///
/// Markdown escaping, not HTML escaping: the result is Markdown source that the sanitizer
/// renders, so it stays apart from [`crate::sanitize::escape_text`].
#[must_use]
pub fn escape_markdown(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + value.len() / 4);
    for c in value.chars() {
        match c {
            '\n' | '\r' => out.push(' '),
            c if c.is_ascii_punctuation() => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// One piece of a template.
#[derive(Debug, PartialEq, Eq)]
enum Piece<'a> {
    /// Literal text, copied as is.
    Text(&'a str),
    /// A valid `{{ name }}` placeholder.
    Var(&'a str),
    /// Something that looks like template syntax but is not supported; copied as is.
    Unsupported(&'a str),
}

/// The longest tag that is looked for: a placeholder is at most a 64-character name plus
/// whitespace; longer `{% ... %}` text is reported by its opener only.
const MAX_TAG_BYTES: usize = 256;

/// Splits a template into pieces. Linear in the template length.
fn pieces(src: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = src;
    loop {
        let open = rest
            .as_bytes()
            .windows(2)
            .position(|w| w[0] == b'{' && matches!(w[1], b'{' | b'%' | b'#'));
        let Some(i) = open else {
            if !rest.is_empty() {
                out.push(Piece::Text(rest));
            }
            return out;
        };
        if i > 0 {
            out.push(Piece::Text(&rest[..i]));
        }
        let tail = &rest[i..];
        let close = match tail.as_bytes()[1] {
            b'{' => "}}",
            b'%' => "%}",
            _ => "#}",
        };
        // Only a bounded window is searched for the closer, which keeps the scan linear.
        let mut window_end = tail.len().min(2 + MAX_TAG_BYTES);
        while !tail.is_char_boundary(window_end) {
            window_end -= 1;
        }
        match tail[2..window_end].find(close) {
            Some(j) => {
                let whole = &tail[..2 + j + 2];
                let inner = &tail[2..2 + j];
                let name = inner.trim_matches(|c| c == ' ' || c == '\t');
                if close == "}}" && is_valid_name(name) {
                    out.push(Piece::Var(name));
                } else {
                    out.push(Piece::Unsupported(whole));
                }
                rest = &tail[whole.len()..];
            }
            None => {
                // An opener without a closer: literal, and scanning resumes after it.
                out.push(Piece::Unsupported(&tail[..2]));
                rest = &tail[2..];
            }
        }
    }
}

/// Renders a template: each `{{ name }}` becomes the variable's value escaped for Markdown
/// (unknown names render as nothing); everything else is copied literally. Nothing is
/// evaluated.
///
/// # Errors
///
/// [`TemplateError::Output`] if the result would not be valid [`Markdown`] (too long).
pub fn render(template: &Markdown, vars: &Vars) -> Result<Markdown, TemplateError> {
    let too_long = TemplateError::Output(Violation::TooLong {
        max: Markdown::MAX_BYTES,
    });
    let mut out = String::with_capacity(template.as_str().len());
    for piece in pieces(template.as_str()) {
        let text = match piece {
            Piece::Text(t) | Piece::Unsupported(t) => t.to_owned(),
            Piece::Var(name) => vars.get(name).map(escape_markdown).unwrap_or_default(),
        };
        if out.len() + text.len() > Markdown::MAX_BYTES {
            return Err(too_long);
        }
        out.push_str(&text);
    }
    Markdown::parse(&out).map_err(TemplateError::Output)
}

/// What [`check`] found in a template, for dashboard previews.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct TemplateReport {
    /// Variable names the template uses, in name order.
    pub used: BTreeSet<String>,
    /// Used names that `vars` does not define (they render as nothing).
    pub unknown: BTreeSet<String>,
    /// Template-like text that is not a plain `{{ name }}` placeholder and is shown literally
    /// (truncated), in order of appearance, without repeats.
    pub unsupported: Vec<String>,
}

impl TemplateReport {
    /// Whether every placeholder is supported and defined.
    #[must_use]
    pub fn is_clean(&self) -> bool {
        self.unknown.is_empty() && self.unsupported.is_empty()
    }
}

/// Lists the variables a template uses, those `vars` lacks, and unsupported tags.
#[must_use]
pub fn check(template: &Markdown, vars: &Vars) -> TemplateReport {
    let mut report = TemplateReport::default();
    for piece in pieces(template.as_str()) {
        match piece {
            Piece::Var(name) => {
                report.used.insert(name.to_owned());
                if vars.get(name).is_none() {
                    report.unknown.insert(name.to_owned());
                }
            }
            Piece::Unsupported(tag) => {
                let tag = quote(tag);
                if !report.unsupported.contains(&tag) && report.unsupported.len() < MAX_VARS {
                    report.unsupported.push(tag);
                }
            }
            Piece::Text(_) => {}
        }
    }
    report
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::sanitize::render_markdown;
    use proptest::prelude::*;
    use serde_json::json;

    fn md(s: &str) -> Markdown {
        Markdown::parse(s).unwrap()
    }

    fn vars(v: serde_json::Value) -> Vars {
        Vars::from_json(&v).unwrap()
    }

    #[test]
    fn substitutes_placeholders_with_optional_whitespace() {
        let v = vars(
            json!({"service": "API", "incident.name": "Outage", "n": 3, "ok": true, "none": null}),
        );
        let out = render(
            &md("{{service}} / {{ incident.name }} / {{\tn\t}} / {{ok}} / [{{none}}]"),
            &v,
        )
        .unwrap();
        assert_eq!(out.as_str(), "API / Outage / 3 / true / []");
    }

    #[test]
    fn unknown_variables_render_empty_and_are_reported() {
        let v = vars(json!({"a": "x"}));
        let t = md("{{ a }}-{{ b }}-{{ c.d }}");
        assert_eq!(render(&t, &v).unwrap().as_str(), "x--");
        let r = check(&t, &v);
        assert_eq!(
            r.used,
            ["a", "b", "c.d"].into_iter().map(String::from).collect()
        );
        assert_eq!(
            r.unknown,
            ["b", "c.d"].into_iter().map(String::from).collect()
        );
        assert!(r.unsupported.is_empty());
        assert!(!r.is_clean());
        assert!(check(&md("{{a}}"), &v).is_clean());
    }

    #[test]
    fn twig_and_other_engine_payloads_stay_literal() {
        let v = vars(json!({"id": "ID", "_self": "S", "self": "me"}));
        for payload in [
            r#"{{_self.env.registerUndefinedFilterCallback("exec")}}{{_self.env.getFilter("id")}}"#,
            "{{ ['id']|filter('system') }}",
            r#"{{["id"]|filter("system")|join(",")}}"#,
            r#"{{['id',""]|sort('passthru')}}"#,
            "{{7*7}}",
            "{{ 7*7 }}",
            r#"{% include "/etc/passwd" %}"#,
            "{% if x %}y{% endif %}",
            "{# comment #}",
            "{{ a|upper }}",
            "{{ a() }}",
            "{{ a[0] }}",
            "{{ a }",
            "{{ }}",
            "{{{ id }}}",
            "@php system('id') @endphp",
            "{!! 1 !!}",
            "${7*7}",
            "<%= 7*7 %>",
            "#{7*7}",
        ] {
            let out = render(&md(payload), &v).unwrap();
            assert!(!out.as_str().contains("49"), "{payload:?} -> {out}");
            let report = check(&md(payload), &v);
            if payload.contains("{{") || payload.contains("{%") || payload.contains("{#") {
                assert_eq!(out.as_str(), payload, "{payload:?} must stay literal");
                assert!(
                    !report.unsupported.is_empty(),
                    "{payload:?} should be reported: {report:?}"
                );
            } else {
                assert_eq!(out.as_str(), payload);
            }
        }
        // `_self.env` is just a (valid, dotted) key: looked up, not evaluated.
        assert_eq!(render(&md("{{ _self.env }}"), &v).unwrap().as_str(), "");
        assert_eq!(render(&md("{{ self }}"), &v).unwrap().as_str(), "me");
    }

    #[test]
    fn nested_or_unclosed_openers_stay_literal() {
        let v = vars(json!({"x": "X"}));
        assert_eq!(
            render(&md("{{ {{ x }} }}"), &v).unwrap().as_str(),
            "{{ {{ x }} }}"
        );
        assert_eq!(
            render(&md("{{ unclosed {{x}}"), &v).unwrap().as_str(),
            "{{ unclosed {{x}}"
        );
        assert_eq!(
            render(&md("{{ unclosed\n\n{{x}}"), &v).unwrap().as_str(),
            "{{ unclosed\n\n{{x}}"
        );
        let far = format!("{{{{ {} }}}} {{{{x}}}}", " ".repeat(300));
        assert_eq!(
            render(&md(&far), &v).unwrap().as_str(),
            format!("{{{{ {} }}}} X", " ".repeat(300))
        );
        assert_eq!(render(&md("é{{x}}ü{{ x}}{"), &v).unwrap().as_str(), "éXüX{");
    }

    #[test]
    fn scanning_is_linear() {
        let v = vars(json!({"x": "X"}));
        for t in [
            "{{".repeat(500_000),
            "{{ x ".repeat(200_000),
            format!("{}{}", "{%".repeat(400_000), "%}"),
        ] {
            let started = std::time::Instant::now();
            let _ = render(&md(&t), &v).unwrap();
            let _ = check(&md(&t), &v);
            assert!(
                started.elapsed() < std::time::Duration::from_secs(10),
                "{:?}",
                started.elapsed()
            );
        }
    }

    #[test]
    fn values_cannot_inject_markdown_or_html() {
        let v = vars(json!({
            "link": "[click](javascript:alert(1))",
            "img": "![x](https://tracker.example/p.gif)",
            "html": "<img src=x onerror=alert(1)>",
            "auto": "<https://evil.example>",
            "block": "ok\n\n# Heading\n\n- list\n\n```\ncode\n```\n| a |\n|---|",
            "entity": "&#106;avascript",
        }));
        let out = render(
            &md("{{ link }} {{ img }} {{ html }} {{ auto }} {{ block }} {{ entity }}"),
            &v,
        )
        .unwrap();
        assert!(
            out.as_str()
                .starts_with(r"\[click\]\(javascript\:alert\(1\)\)"),
            "{out}"
        );
        let html = render_markdown(&out);
        let h = html.as_str();
        assert!(!h.contains("<a"), "{h}");
        assert!(
            !h.contains("<h1")
                && !h.contains("<ul")
                && !h.contains("<pre")
                && !h.contains("<table"),
            "{h}"
        );
        assert!(!h.contains("<img"), "{h}");
        assert!(h.contains("[click](javascript:alert(1))"), "{h}");
        assert!(h.contains("&amp;#106;avascript"), "{h}");
        assert!(h.starts_with("<p>") && h.matches("<p>").count() == 1, "{h}");
    }

    #[test]
    fn template_markdown_around_values_still_works() {
        let v = vars(json!({"name": "API *v2*", "url_path": "status"}));
        let out = render(
            &md("**{{ name }}** is down. [Details](https://s.example/{{url_path}})"),
            &v,
        )
        .unwrap();
        let h = render_markdown(&out);
        assert!(h.as_str().contains("<strong>API *v2*</strong>"), "{h}");
        assert!(
            h.as_str().contains(r#"href="https://s.example/status""#),
            "{h}"
        );
    }

    #[test]
    fn vars_from_json_follows_the_rules() {
        assert!(Vars::from_json(&json!(null)).unwrap().is_empty());
        assert!(Vars::from_json(&json!([])).unwrap().is_empty());
        assert_eq!(
            Vars::from_json(&json!(["a"])).unwrap_err(),
            TemplateError::NotAnObject
        );
        assert_eq!(
            Vars::from_json(&json!("a")).unwrap_err(),
            TemplateError::NotAnObject
        );
        assert_eq!(
            Vars::from_json(&json!(1)).unwrap_err(),
            TemplateError::NotAnObject
        );
        assert_eq!(
            Vars::from_json(&json!({"a": [1]})).unwrap_err(),
            TemplateError::NestedValue { name: "a".into() }
        );
        assert_eq!(
            Vars::from_json(&json!({"a": {"b": 1}})).unwrap_err(),
            TemplateError::NestedValue { name: "a".into() }
        );
        for bad in ["", "1a", "a-b", "a b", "a|b", "é", &"a".repeat(65)] {
            assert!(
                matches!(
                    Vars::from_json(&json!({ bad: "x" })).unwrap_err(),
                    TemplateError::InvalidName { .. }
                ),
                "{bad:?}"
            );
        }
        assert!(Vars::from_json(&json!({ "a".repeat(64): "x", "_": "y", "A.b_9": "z" })).is_ok());
        assert_eq!(
            Vars::from_json(&json!({"a": "x".repeat(10_001)})).unwrap_err(),
            TemplateError::ValueTooLong {
                name: "a".into(),
                max: 10_000
            }
        );
        assert!(Vars::from_json(&json!({"a": "é".repeat(10_000)})).is_ok());
        assert_eq!(
            Vars::from_json(&json!({"a": "x\u{0}y"})).unwrap_err(),
            TemplateError::ControlCharacter { name: "a".into() }
        );
        let many: serde_json::Map<String, serde_json::Value> =
            (0..=100).map(|i| (format!("v{i}"), json!("x"))).collect();
        assert_eq!(
            Vars::from_json(&serde_json::Value::Object(many)).unwrap_err(),
            TemplateError::TooManyVars { max: 100 }
        );
        let v = vars(json!({"n": 1.5, "neg": -2}));
        assert_eq!(v.get("n"), Some("1.5"));
        assert_eq!(v.get("neg"), Some("-2"));
        assert_eq!(
            TemplateError::ValueTooLong {
                name: "a".into(),
                max: 10_000
            }
            .to_string(),
            "vars.a: must be at most 10000 characters"
        );
    }

    #[test]
    fn output_is_bounded() {
        let v = vars(json!({"a": "*".repeat(10_000)}));
        let t = md(&"{{a}}".repeat(50));
        assert_eq!(render(&t, &v).unwrap().as_str().len(), 50 * 20_000);
        let t = md(&"{{a}}".repeat(60));
        assert_eq!(
            render(&t, &v).unwrap_err(),
            TemplateError::Output(Violation::TooLong {
                max: Markdown::MAX_BYTES
            })
        );
    }

    #[test]
    fn carriage_returns_in_values_are_fine() {
        let v = vars(json!({"a": "x\r\ny"}));
        assert_eq!(render(&md("{{a}}"), &v).unwrap().as_str(), "x  y");
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn escaped_values_render_as_their_own_text(value in "[ -~]{0,40}") {
            // Any printable ASCII value shows up verbatim, as text, in the final HTML.
            let mut v = Vars::new();
            v.insert("v", &value).unwrap();
            let out = render(&md("x {{ v }} y"), &v).unwrap();
            let html = render_markdown(&out);
            let expected = format!("<p>x {} y</p>\n", value.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;"));
            prop_assert_eq!(html.as_str(), expected.as_str());
        }

        #[test]
        fn rendering_only_substitutes(t in "[{}%#a-z0-9 *|()'\"._\n]{0,80}") {
            let tpl = md(&t);
            // Without variables nothing is ever generated: the output is the input minus
            // placeholders, and text without an opener is unchanged.
            let out = render(&tpl, &Vars::new()).unwrap();
            prop_assert!(out.as_str().len() <= t.len());
            if !t.contains("{{") {
                prop_assert_eq!(out.as_str(), t.as_str());
            }
            let report = check(&tpl, &Vars::new());
            prop_assert_eq!(&report.used, &report.unknown);
            let mut v = Vars::new();
            for name in &report.used {
                v.insert(name, "").unwrap();
            }
            prop_assert_eq!(render(&tpl, &v).unwrap(), out);
            prop_assert!(check(&tpl, &v).unknown.is_empty());
        }
    }
}
