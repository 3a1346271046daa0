//! The hostile-input corpus (`tests/hostile/*.txt`) through every sink.
//!
//! Content vectors (Markdown and HTML XSS, plain text, Unicode tricks, CR/LF, oversized) are
//! stored through API v1 with an admin token in every text field of components, groups,
//! incidents, incident updates, schedules, metrics and subscribers, through the facade in
//! templates and settings (site name, about), and then every output is parsed and checked:
//! the HTML pages (html5ever via scraper; the hostile-input oracle), API v1 and
//! Statuspage v2 JSON (parses; stored values round-trip exactly or the write was refused with
//! a 400 naming the field), RSS / Atom / badges (roxmltree: well-formed, no element or
//! attribute from content, HTML payloads checked like pages), iCal (parses; no injected
//! property), chart JSON, the notification emails (subject single-line, HTML checked) and
//! every response's headers. Query strings, paths and raw JSON bodies have their own
//! categories. A matrix vectors x sinks with passed / refused / failed is printed, and any
//! failure fails the test. `unsafe_sinks_are_caught` shows the checker is not vacuous.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

mod api_v1_harness;
mod common;

async fn new_store() -> std::sync::Arc<dyn cachet_core::store::Store> {
    std::sync::Arc::new(cachet_core::store::memory::MemoryStore::new())
}

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use api_v1_harness::*;
use async_trait::async_trait;
use http::StatusCode;
use scraper::Html;
use serde_json::{Value, json};

use cachet_core::Actor;
use cachet_core::model::*;
use cachet_core::notify::{Channel, DeliveryError, Dispatcher, Message, Notifier};
use cachet_core::validate::{Markdown, Slug};

// ---------------------------------------------------------------------------------------------
// The corpus
// ---------------------------------------------------------------------------------------------

const FILES: &[(&str, &str)] = &[
    ("markdown_xss", include_str!("hostile/markdown_xss.txt")),
    ("html_xss", include_str!("hostile/html_xss.txt")),
    ("plain_text", include_str!("hostile/plain_text.txt")),
    ("unicode", include_str!("hostile/unicode.txt")),
    ("header_crlf", include_str!("hostile/header_crlf.txt")),
    ("json_edge", include_str!("hostile/json_edge.txt")),
    ("filter_sort", include_str!("hostile/filter_sort.txt")),
    ("path_traversal", include_str!("hostile/path_traversal.txt")),
];

/// Categories whose vectors are content stored in text fields.
const CONTENT: &[&str] = &[
    "markdown_xss",
    "html_xss",
    "plain_text",
    "unicode",
    "header_crlf",
    "oversized",
];

#[derive(Clone)]
struct Vector {
    category: &'static str,
    /// 1-based line in its file (0 for generated vectors).
    line: usize,
    /// The JSON string literal that carries it in API bodies.
    literal: String,
    /// The vector as a Rust string; `None` when it cannot be one (a lone surrogate).
    text: Option<String>,
}

impl Vector {
    fn label(&self) -> String {
        let shown: String = self
            .text
            .as_deref()
            .unwrap_or(&self.literal)
            .chars()
            .take(60)
            .collect();
        format!("{}:{} {:?}", self.category, self.line, shown)
    }
}

fn load(category: &'static str, src: &str) -> Vec<Vector> {
    let mut out = Vec::new();
    for (n, line) in src.lines().enumerate() {
        if line.is_empty() || line.starts_with(";; ") {
            continue;
        }
        let (literal, text) = match line.strip_prefix("json:") {
            Some(lit) => (lit.to_owned(), serde_json::from_str::<String>(lit).ok()),
            None => (serde_json::to_string(line).unwrap(), Some(line.to_owned())),
        };
        out.push(Vector {
            category,
            line: n + 1,
            literal,
            text,
        });
    }
    out
}

/// Oversized inputs, generated (deep nesting, huge tables, oversized bodies). The two 1 MiB+
/// strings must be refused at the door; the parser-stress shapes are sized (about 20-120 KB)
/// so that every sink renders them within the test's time budget in a debug build: at full
/// attack sizes (60 000 `<b>`, 30 000 table rows) one harness took 20-30 s across the sinks here,
/// dominated by parsing the multi-megabyte pages in the oracle. The fuzz targets own the
/// bounded-time measurements.
fn oversized() -> Vec<Vector> {
    let mib = 1024 * 1024;
    let texts = [
        "a".repeat(mib + 1),
        "é".repeat(mib / 2 + 1),
        "<b>".repeat(6_000),
        "<b-b>".repeat(6_000),
        ">".repeat(100_000) + "x",
        "[".repeat(50_000) + "](x)",
        "*".repeat(100_000) + "a",
        "_a".repeat(50_000),
        "`".repeat(100_000),
        "- ".to_owned() + &"  - ".repeat(10_000),
        "| a |\n|---|\n".to_owned() + &"| b |\n".repeat(3_000),
        "[x]: y\n".repeat(5_000) + &"[x]".repeat(5_000),
        "&amp;".repeat(20_000),
        "👩‍👩‍👧‍👦".repeat(5_000),
        "<div>".repeat(5_000) + "<script>alert(1)</script>",
        "x".repeat(300),
    ];
    texts
        .into_iter()
        .enumerate()
        .map(|(n, t)| Vector {
            category: "oversized",
            line: n + 1,
            literal: serde_json::to_string(&t).unwrap(),
            text: Some(t),
        })
        .collect()
}

fn corpus() -> Vec<Vector> {
    let mut all: Vec<Vector> = FILES.iter().flat_map(|(c, s)| load(c, s)).collect();
    all.extend(oversized());
    all
}

// ---------------------------------------------------------------------------------------------
// The matrix
// ---------------------------------------------------------------------------------------------

#[derive(Default, Clone, Copy)]
struct Counts {
    passed: u32,
    refused: u32,
    failed: u32,
}

#[derive(Default)]
struct Matrix {
    cells: BTreeMap<(String, String), Counts>,
    failures: Vec<String>,
}

impl Matrix {
    fn cell(&mut self, category: &str, sink: &str) -> &mut Counts {
        self.cells
            .entry((category.to_owned(), sink.to_owned()))
            .or_default()
    }
    fn pass(&mut self, category: &str, sink: &str) {
        self.cell(category, sink).passed += 1;
    }
    fn refuse(&mut self, category: &str, sink: &str) {
        self.cell(category, sink).refused += 1;
    }
    fn fail(&mut self, category: &str, sink: &str, why: String) {
        self.cell(category, sink).failed += 1;
        self.failures.push(format!("[{category} x {sink}] {why}"));
    }
    /// Records a check over several vectors at once (a shared page).
    fn check(&mut self, category: &str, sink: &str, problems: Vec<String>, context: &str) {
        if problems.is_empty() {
            self.pass(category, sink);
        } else {
            for p in problems {
                self.fail(category, sink, format!("{context}: {p}"));
            }
        }
    }

    fn print(&self) {
        let sinks: BTreeSet<&String> = self.cells.keys().map(|(_, s)| s).collect();
        let cats: BTreeSet<&String> = self.cells.keys().map(|(c, _)| c).collect();
        println!("\nhostile corpus: category x sink = passed/refused/failed");
        for sink in &sinks {
            let mut row = format!("{sink:<22}");
            for cat in &cats {
                if let Some(c) = self.cells.get(&((*cat).clone(), (*sink).clone())) {
                    row.push_str(&format!(" {cat}={}/{}/{}", c.passed, c.refused, c.failed));
                }
            }
            println!("{row}");
        }
        let total = self.cells.values().fold(Counts::default(), |a, c| Counts {
            passed: a.passed + c.passed,
            refused: a.refused + c.refused,
            failed: a.failed + c.failed,
        });
        println!(
            "total checks: passed {} refused {} failed {}",
            total.passed, total.refused, total.failed
        );
        // The first few failures of every cell.
        let mut shown: BTreeMap<String, usize> = BTreeMap::new();
        for f in &self.failures {
            let cell = f.split(']').next().unwrap_or_default().to_owned();
            let n = shown.entry(cell).or_default();
            *n += 1;
            if *n <= 4 {
                println!("FAIL {}", f.chars().take(400).collect::<String>());
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Oracles
// ---------------------------------------------------------------------------------------------

/// Elements the sanitizer may emit from content (`sanitize.rs` ALLOWED_TAGS).
const CONTENT_TAGS: &[&str] = &[
    "p",
    "br",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "em",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "span",
    "sup",
    "sub",
    "input",
    "s",
];

/// Never acceptable in a page, whatever the page.
const FORBIDDEN_TAGS: &[&str] = &[
    "script",
    "style",
    "iframe",
    "object",
    "embed",
    "base",
    "frame",
    "frameset",
    "applet",
    "noscript",
    "template",
    "math",
    "noembed",
    "noframes",
    "xmp",
    "listing",
    "plaintext",
    "marquee",
    "bgsound",
    "isindex",
    "keygen",
    "audio",
    "video",
    "source",
    "portal",
];

fn scheme_ok(value: &str) -> bool {
    let v: String = value
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    if v.starts_with("//") || v.starts_with("/\\") || v.starts_with("\\\\") {
        return false;
    }
    // The hostile-input oracle: the scheme, after decoding and stripping, is http,
    // https or mailto (`https:host` without slashes included: a navigation, not script).
    if v.starts_with("http:") || v.starts_with("https:") || v.starts_with("mailto:") {
        return true;
    }
    // Relative references: no scheme before the first `/`, `?` or `#`.
    let head = v.split(['/', '?', '#']).next().unwrap_or("");
    !head.contains(':')
}

/// The hostile-input oracle over a parsed page. `allowed` are the element names the
/// page's own templates use (learned from a benign run); content may add only
/// [`CONTENT_TAGS`].
fn html_problems(body: &str, allowed: &BTreeSet<String>) -> Vec<String> {
    html_problems_styled(body, allowed, &BTreeSet::new())
}

/// As [`html_problems`], with `style` attribute values the template itself writes (mails
/// need inline CSS) allowed verbatim; content can never produce one of those values.
fn html_problems_styled(
    body: &str,
    allowed: &BTreeSet<String>,
    styles: &BTreeSet<String>,
) -> Vec<String> {
    let doc = Html::parse_document(body);
    let mut out = Vec::new();
    for el in doc
        .root_element()
        .descendants()
        .filter_map(scraper::ElementRef::wrap)
    {
        let name = el.value().name().to_ascii_lowercase();
        let in_chart = el
            .ancestors()
            .filter_map(scraper::ElementRef::wrap)
            .any(|a| a.value().name() == "figure" && a.value().classes().any(|c| c == "chart"));
        if FORBIDDEN_TAGS.contains(&name.as_str()) {
            out.push(format!("<{name}> element"));
        } else if name == "svg" && !in_chart {
            out.push("<svg> outside a chart".into());
        } else if !in_chart && !allowed.contains(&name) && !CONTENT_TAGS.contains(&name.as_str()) {
            out.push(format!("<{name}> is outside the allowlist"));
        }
        if name == "meta" {
            let ok = el.value().attr("charset").is_some()
                || matches!(
                    el.value().attr("name"),
                    Some("viewport" | "color-scheme" | "robots" | "referrer")
                );
            if !ok {
                out.push("unexpected <meta>".into());
            }
        }
        if name == "link" {
            let rel = el.value().attr("rel").unwrap_or_default();
            if !matches!(rel, "stylesheet" | "icon" | "alternate") {
                out.push(format!("<link rel={rel}>"));
            }
        }
        for (attr, value) in el.value().attrs() {
            let attr = attr.to_ascii_lowercase();
            if attr.starts_with("on") {
                out.push(format!("<{name} {attr}>"));
            }
            if attr == "style" && styles.contains(value) {
                continue;
            }
            if matches!(attr.as_str(), "style" | "srcdoc") {
                out.push(format!("<{name} {attr}={value:?}>"));
            }
            if matches!(
                attr.as_str(),
                "href"
                    | "src"
                    | "xlink:href"
                    | "action"
                    | "formaction"
                    | "data"
                    | "poster"
                    | "background"
                    | "ping"
                    | "cite"
                    | "srcset"
            ) && !scheme_ok(value)
            {
                out.push(format!("<{name} {attr}={value:?}>"));
            }
        }
    }
    out
}

/// The element names a page uses.
fn element_names(body: &str) -> BTreeSet<String> {
    Html::parse_document(body)
        .root_element()
        .descendants()
        .filter_map(scraper::ElementRef::wrap)
        .map(|e| e.value().name().to_ascii_lowercase())
        .collect()
}

/// XML (feeds, badges): well-formed; element and attribute names only from the benign
/// shape; HTML carried in text is checked as a page fragment.
fn xml_problems(body: &str, shape: &XmlShape, html_allowed: &BTreeSet<String>) -> Vec<String> {
    let doc = match roxmltree::Document::parse(body) {
        Ok(d) => d,
        Err(e) => return vec![format!("not well-formed XML: {e}")],
    };
    let mut out = Vec::new();
    for n in doc.descendants().filter(roxmltree::Node::is_element) {
        let name = n.tag_name().name().to_owned();
        if !shape.elements.contains(&name) {
            out.push(format!("element <{name}> not in the benign shape"));
        }
        for a in n.attributes() {
            if !shape.attributes.contains(a.name()) {
                out.push(format!("attribute {} on <{name}>", a.name()));
            }
            if a.name().starts_with("on") {
                out.push(format!("<{name} {}>", a.name()));
            }
            if matches!(a.name(), "href" | "src") && !scheme_ok(a.value()) {
                out.push(format!("<{name} {}={:?}>", a.name(), a.value()));
            }
        }
        // Feed bodies that readers render as HTML.
        // Item and entry bodies are HTML to readers; the channel's <description> is a
        // "phrase or sentence" (RSS 2.0) and Atom's subtitle is type="text".
        let in_item = n
            .parent_element()
            .is_some_and(|p| matches!(p.tag_name().name(), "item" | "entry"));
        if in_item && matches!(name.as_str(), "description" | "content" | "summary") {
            let html_type = name == "description"
                || n.attribute("type")
                    .is_some_and(|t| t == "html" || t == "xhtml");
            if html_type && let Some(t) = n.text() {
                let frag = format!("<!doctype html><html><body>{t}</body></html>");
                out.extend(
                    html_problems(&frag, html_allowed)
                        .into_iter()
                        .map(|p| format!("in <{name}>: {p}")),
                );
            }
        }
    }
    out
}

/// The element names of the HTML a feed carries in its bodies (its own markup, benign run).
fn feed_html_elements(body: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if let Ok(doc) = roxmltree::Document::parse(body) {
        for n in doc.descendants().filter(roxmltree::Node::is_element) {
            if matches!(n.tag_name().name(), "description" | "content" | "summary")
                && let Some(t) = n.text()
            {
                out.extend(element_names(&format!(
                    "<!doctype html><html><body>{t}</body></html>"
                )));
            }
        }
    }
    out
}

#[derive(Default, Clone)]
struct XmlShape {
    elements: BTreeSet<String>,
    attributes: BTreeSet<String>,
}

fn xml_shape(body: &str) -> XmlShape {
    let doc = roxmltree::Document::parse(body).unwrap();
    let mut s = XmlShape::default();
    for n in doc.descendants().filter(roxmltree::Node::is_element) {
        s.elements.insert(n.tag_name().name().to_owned());
        for a in n.attributes() {
            s.attributes.insert(a.name().to_owned());
        }
    }
    s
}

/// iCal: parses; every event has each property at most as often as a benign event does, and
/// only properties a benign event has (CR/LF in content cannot create a line).
fn ical_problems(body: &str, props: &BTreeSet<String>) -> Vec<String> {
    let unfolded = icalendar::parser::unfold(body);
    let cal = match icalendar::parser::read_calendar(&unfolded) {
        Ok(c) => c,
        Err(e) => return vec![format!("iCal does not parse: {e}")],
    };
    let mut out = Vec::new();
    for c in &cal.components {
        let mut seen = BTreeMap::new();
        for p in &c.properties {
            let name = p.name.as_str().to_ascii_uppercase();
            if !props.contains(&name) {
                out.push(format!("injected property {name} in {}", c.name.as_str()));
            }
            *seen.entry(name).or_insert(0) += 1;
        }
        for (name, n) in seen {
            if n > 1 && name != "CATEGORIES" && name != "ATTACH" {
                out.push(format!("property {name} {n} times in one event"));
            }
        }
    }
    out
}

/// Headers: names only from the benign run's set, no marker or vector text in any value,
/// no CR/LF/NUL (the `http` types cannot hold them; checked anyway on the raw bytes).
fn header_problems(resp: &http::Response<bytes::Bytes>, names: &BTreeSet<String>) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in resp.headers() {
        if !names.contains(k.as_str()) {
            out.push(format!("header {k} not in the benign set"));
        }
        let b = v.as_bytes();
        if b.iter().any(|c| matches!(c, b'\r' | b'\n' | 0)) {
            out.push(format!("header {k} holds CR/LF/NUL"));
        }
        if String::from_utf8_lossy(b).contains("zq") {
            out.push(format!("header {k} carries stored content: {v:?}"));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Sinks
// ---------------------------------------------------------------------------------------------

/// What a benign run produced: the element names of each page kind, the XML shapes, the iCal
/// properties, the header names.
#[derive(Default, Clone)]
struct Baseline {
    html: BTreeSet<String>,
    rss: XmlShape,
    atom: XmlShape,
    badge: XmlShape,
    ical: BTreeSet<String>,
    headers: BTreeSet<String>,
    mail_styles: BTreeSet<String>,
    /// Extra HTML pages that exist in this build (the subscribe page, once it landed).
    extra_pages: Vec<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// Single-line name (trimmed).
    Name,
    /// Multi-line plain text (trimmed, CR normalised).
    Text,
    /// Markdown (CR normalised, kept as sent).
    Markdown,
    /// A URL (trimmed).
    Url,
    /// An email address (trimmed; domain may be lowercased).
    Email,
}

fn normalized(v: &str, kind: Kind) -> Vec<String> {
    let nl = v.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = vec![v.to_owned(), nl.clone()];
    if kind != Kind::Markdown {
        out.push(v.trim().to_owned());
        out.push(nl.trim().to_owned());
    }
    out
}

fn round_trips(stored: &Value, sent: &str, kind: Kind) -> bool {
    let Some(s) = stored.as_str() else {
        return false;
    };
    if kind == Kind::Email {
        return s.eq_ignore_ascii_case(sent.trim());
    }
    normalized(sent, kind).iter().any(|n| n == s)
}

/// One stored value, to be found again in the read sinks.
struct Stored {
    category: &'static str,
    label: String,
    /// The API v1 item to read it back from, and where in `data` it sits.
    read: String,
    pointer: String,
    /// What the create answer held.
    value: Value,
}

/// A field of an API v1 write.
struct Field {
    sink: &'static str,
    method: &'static str,
    /// `{parent}` is replaced by a fixture id.
    uri: &'static str,
    key: &'static str,
    /// JSON object members besides the hostile one (`{}` to put it in, with `VALUE`).
    body: &'static str,
    kind: Kind,
    marker: bool,
}

const FIELDS: &[Field] = &[
    Field {
        sink: "component.name",
        method: "POST",
        uri: "/api/v1/components",
        key: "name",
        body: r#"{"name":VALUE,"status":1}"#,
        kind: Kind::Name,
        marker: true,
    },
    Field {
        sink: "component.description",
        method: "POST",
        uri: "/api/v1/components",
        key: "description",
        body: r#"{"name":"d MARK","status":2,"description":VALUE}"#,
        kind: Kind::Text,
        marker: true,
    },
    Field {
        sink: "component.link",
        method: "POST",
        uri: "/api/v1/components",
        key: "link",
        body: r#"{"name":"l MARK","status":1,"link":VALUE}"#,
        kind: Kind::Url,
        marker: false,
    },
    Field {
        sink: "component.tags",
        method: "POST",
        uri: "/api/v1/components",
        key: "tags",
        body: r#"{"name":"t MARK","status":1,"tags":VALUE}"#,
        kind: Kind::Name,
        marker: true,
    },
    Field {
        sink: "component.meta",
        method: "POST",
        uri: "/api/v1/components",
        key: "meta",
        body: r#"{"name":"m MARK","status":1,"meta":{"note":VALUE}}"#,
        kind: Kind::Text,
        marker: true,
    },
    Field {
        sink: "group.name",
        method: "POST",
        uri: "/api/v1/components/groups",
        key: "name",
        body: r#"{"name":VALUE,"visible":true}"#,
        kind: Kind::Name,
        marker: true,
    },
    Field {
        sink: "incident.name",
        method: "POST",
        uri: "/api/v1/incidents",
        key: "name",
        body: r#"{"name":VALUE,"status":1,"message":"m"}"#,
        kind: Kind::Name,
        marker: true,
    },
    Field {
        sink: "incident.message",
        method: "POST",
        uri: "/api/v1/incidents",
        key: "message",
        body: r#"{"name":"i MARK","status":2,"message":VALUE,"component_id":{parent},"component_status":3}"#,
        kind: Kind::Markdown,
        marker: true,
    },
    Field {
        sink: "incident.meta",
        method: "POST",
        uri: "/api/v1/incidents",
        key: "meta",
        body: r#"{"name":"im MARK","status":1,"meta":{"note":VALUE}}"#,
        kind: Kind::Text,
        marker: true,
    },
    Field {
        sink: "update.message",
        method: "POST",
        uri: "/api/v1/incidents/{parent}/updates",
        key: "message",
        body: r#"{"status":3,"message":VALUE}"#,
        kind: Kind::Markdown,
        marker: true,
    },
    Field {
        sink: "schedule.name",
        method: "POST",
        uri: "/api/v1/schedules",
        key: "name",
        body: r#"{"name":VALUE,"status":0,"scheduled_at":"2026-01-01 06:00","completed_at":"2026-01-01 07:00","components":[{parent}]}"#,
        kind: Kind::Name,
        marker: true,
    },
    Field {
        sink: "schedule.message",
        method: "POST",
        uri: "/api/v1/schedules",
        key: "message",
        body: r#"{"name":"s MARK","status":0,"message":VALUE,"scheduled_at":"2026-01-01 06:00"}"#,
        kind: Kind::Markdown,
        marker: true,
    },
    Field {
        sink: "metric.name",
        method: "POST",
        uri: "/api/v1/metrics",
        key: "name",
        body: r#"{"name":VALUE,"suffix":"ms","default_value":0}"#,
        kind: Kind::Name,
        marker: true,
    },
    Field {
        sink: "metric.suffix",
        method: "POST",
        uri: "/api/v1/metrics",
        key: "suffix",
        body: r#"{"name":"ms MARK","suffix":VALUE,"default_value":0}"#,
        kind: Kind::Name,
        marker: false,
    },
    Field {
        sink: "metric.description",
        method: "POST",
        uri: "/api/v1/metrics",
        key: "description",
        body: r#"{"name":"md MARK","suffix":"ms","default_value":0,"description":VALUE}"#,
        kind: Kind::Text,
        marker: true,
    },
    Field {
        sink: "subscriber.email",
        method: "POST",
        uri: "/api/v1/subscribers",
        key: "email",
        body: r#"{"email":VALUE,"verify":true}"#,
        kind: Kind::Email,
        marker: false,
    },
];

/// A recorder of the emails the dispatcher renders.
struct Mailbox(Mutex<Vec<cachet_core::notify::EmailMessage>>);

#[async_trait]
impl Notifier for Mailbox {
    fn channel(&self) -> Channel {
        Channel::Email
    }
    async fn deliver(&self, message: &Message) -> Result<(), DeliveryError> {
        if let Message::Email(m) = message {
            self.0.lock().unwrap().push(m.clone());
        }
        Ok(())
    }
}

fn details_name(json: &Value, key: &str) -> bool {
    json["errors"][0]["meta"]["details"]
        .as_array()
        .is_some_and(|d| {
            d.iter()
                .filter_map(Value::as_str)
                .any(|d| d.starts_with(&format!("{key}:")) || d.starts_with(&format!("{key}.")))
        })
}

/// One harness with a batch of content vectors stored and every sink read.
struct Run {
    api: Api,
    base_component: i64,
    base_incident: i64,
}

impl Run {
    async fn new() -> Self {
        let api = Api::unlimited().await;
        let c = api
            .ok(
                "POST",
                "/api/v1/components",
                r#"{"name":"Base","status":1}"#,
            )
            .await["data"]["id"]
            .as_i64()
            .unwrap();
        let i = api
            .ok(
                "POST",
                "/api/v1/incidents",
                r#"{"name":"Base incident","status":1,"message":"Base **message**"}"#,
            )
            .await["data"]["id"]
            .as_i64()
            .unwrap();
        api.ok(
            "POST",
            "/api/v1/subscribers",
            r#"{"email":"ops@example.com","verify":true}"#,
        )
        .await;
        // Id 1 of every kind exists, for the query, path and body categories.
        api.ok(
            "POST",
            "/api/v1/components/groups",
            r#"{"name":"Base group","visible":true}"#,
        )
        .await;
        api.ok(
            "POST",
            "/api/v1/incidents/1/updates",
            r#"{"status":2,"message":"Found"}"#,
        )
        .await;
        api.ok(
            "POST",
            "/api/v1/metrics",
            r#"{"name":"Base metric","suffix":"ms","default_value":0}"#,
        )
        .await;
        api.ok("POST", "/api/v1/metrics/1/points", r#"{"value":5}"#)
            .await;
        api.ok(
            "POST",
            "/api/v1/schedules",
            r#"{"name":"Base window","status":0,"scheduled_at":"2026-01-01 04:00"}"#,
        )
        .await;
        Self {
            api,
            base_component: c,
            base_incident: i,
        }
    }

    /// Stores one vector in every field; returns what was stored and the pages to read.
    async fn store(
        &self,
        m: &mut Matrix,
        n: usize,
        v: &Vector,
        stored: &mut Vec<Stored>,
        pages: &mut BTreeSet<String>,
    ) {
        let mark = format!("zq{n}z");
        for f in FIELDS {
            let value_literal = if f.marker {
                let prefix = if f.kind == Kind::Markdown {
                    format!("{mark}\n\n")
                } else {
                    format!("{mark} ")
                };
                // Splice the marker into the JSON literal (after its opening quote).
                format!("\"{}{}", json_escape(&prefix), &v.literal[1..])
            } else {
                v.literal.clone()
            };
            let body = f
                .body
                .replace("VALUE", &value_literal)
                .replace("MARK", &mark)
                .replace("{parent}", &self.parent(f).to_string());
            let uri = f.uri.replace("{parent}", &self.base_incident.to_string());
            let r = self
                .api
                .send(f.method, &uri, Some(&self.api.admin), &body)
                .await;
            if r.status.is_server_error() {
                m.fail(
                    v.category,
                    f.sink,
                    format!("{} answered {}", v.label(), r.status),
                );
                continue;
            }
            if r.status == StatusCode::BAD_REQUEST || r.status == StatusCode::PAYLOAD_TOO_LARGE {
                if r.status == StatusCode::PAYLOAD_TOO_LARGE
                    || details_name(&r.json, f.key)
                    || (v.text.is_none() && details_name(&r.json, "body"))
                {
                    m.refuse(v.category, f.sink);
                } else {
                    m.fail(
                        v.category,
                        f.sink,
                        format!("{} refused without naming {}: {}", v.label(), f.key, r.json),
                    );
                }
                continue;
            }
            if r.status != StatusCode::OK {
                m.fail(
                    v.category,
                    f.sink,
                    format!("{} answered {}", v.label(), r.status),
                );
                continue;
            }
            let Some(text) = v.text.as_deref() else {
                m.fail(
                    v.category,
                    f.sink,
                    format!("{} accepted a lone surrogate", v.label()),
                );
                continue;
            };
            let sent = if f.marker {
                if f.kind == Kind::Markdown {
                    format!("{mark}\n\n{text}")
                } else {
                    format!("{mark} {text}")
                }
            } else {
                text.to_owned()
            };
            let data = &r.json["data"];
            let pointer = match f.key {
                "meta" => "/meta/note".to_owned(),
                k => format!("/{k}"),
            };
            let got = data.pointer(&pointer).cloned().unwrap_or(Value::Null);
            let ok = match f.key {
                // Tags are split on commas into names: each stored name is a trimmed piece.
                "tags" => got.as_object().is_some_and(|o| {
                    o.values().all(|t| {
                        t.as_str()
                            .is_some_and(|t| sent.split(',').any(|p| p.trim() == t))
                    })
                }),
                _ => round_trips(&got, &sent, f.kind),
            };
            if ok {
                m.pass(v.category, f.sink);
            } else {
                m.fail(
                    v.category,
                    f.sink,
                    format!("{} did not round-trip: sent {sent:?}, got {got}", v.label()),
                );
            }
            let id = data["id"].as_i64().unwrap_or(0);
            let read = format!("{uri}/{id}");
            if f.sink != "subscriber.email" && f.key != "tags" {
                stored.push(Stored {
                    category: v.category,
                    label: format!("{} in {}", v.label(), f.sink),
                    read,
                    pointer,
                    value: got,
                });
            }
            // The status page shows every name, link, tag, group and metric of the batch; the
            // item pages add what only they show (descriptions, messages, updates, badges).
            match f.sink {
                "component.description" => {
                    pages.insert(format!("/components/{id}"));
                }
                "component.name" => {
                    pages.insert(format!("/components/{id}/badge.svg"));
                }
                "incident.message" => {
                    pages.insert(format!("/incidents/{id}"));
                }
                "schedule.message" => {
                    pages.insert(format!("/schedules/{id}"));
                }
                "metric.name" => {
                    pages.insert(format!("/metrics/{id}"));
                }
                _ => {}
            }
        }
        // Templates (no API v1 write): the facade, then an incident from the template.
        if let Some(text) = v.text.as_deref() {
            let source = format!("{mark}\n\n{text}");
            let slug = format!("t{n}");
            let created = match Markdown::parse(&source) {
                Ok(md) => self
                    .api
                    .h
                    .cachet
                    .create_template(
                        &Actor::operator(),
                        &NewIncidentTemplate::new(
                            common::name(&slug),
                            Slug::parse(&slug).unwrap(),
                            md,
                        ),
                    )
                    .await
                    .map_err(|e| format!("{e:?}")),
                Err(e) => Err(format!("{e:?}")),
            };
            match created {
                Ok(_) => {
                    let r = self
                        .api
                        .send(
                            "POST",
                            "/api/v1/incidents",
                            Some(&self.api.admin),
                            &json!({"name": format!("tpl {mark}"), "status": 1, "template": slug})
                                .to_string(),
                        )
                        .await;
                    if r.status.is_server_error() {
                        m.fail(
                            v.category,
                            "template",
                            format!("{} answered {}", v.label(), r.status),
                        );
                    } else if r.status == StatusCode::OK {
                        m.pass(v.category, "template");
                        if let Some(id) = r.json["data"]["id"].as_i64() {
                            pages.insert(format!("/incidents/{id}"));
                        }
                    } else if details_name(&r.json, "template") || details_name(&r.json, "message")
                    {
                        m.refuse(v.category, "template");
                    } else {
                        m.fail(
                            v.category,
                            "template",
                            format!("{} answered {}: {}", v.label(), r.status, r.json),
                        );
                    }
                }
                Err(_) => m.refuse(v.category, "template"),
            }
        } else {
            m.refuse(v.category, "template");
        }
    }

    fn parent(&self, f: &Field) -> i64 {
        if f.uri.contains("updates") {
            self.base_incident
        } else {
            self.base_component
        }
    }

    async fn get(&self, uri: &str) -> api_v1_harness::Reply {
        self.api.send("GET", uri, None, "").await
    }
}

fn json_escape(s: &str) -> String {
    let lit = serde_json::to_string(s).unwrap();
    lit[1..lit.len() - 1].to_owned()
}

/// The benign shapes every check compares with.
async fn baseline() -> Baseline {
    let run = Run::new().await;
    let mut m = Matrix::default();
    let mut stored = Vec::new();
    let mut pages = BTreeSet::new();
    let v = Vector {
        category: "benign",
        line: 0,
        literal: "\"Benign text\"".into(),
        text: Some("Benign text".into()),
    };
    run.store(&mut m, 0, &v, &mut stored, &mut pages).await;
    assert!(m.failures.is_empty(), "{:?}", m.failures);
    run.api.h.clock.advance(chrono::TimeDelta::hours(2));
    let mut b = Baseline::default();
    pages.insert("/".into());
    for p in &pages {
        let r = run.get(p).await;
        assert_eq!(r.status, StatusCode::OK, "{p}");
        b.headers
            .extend(r.resp.headers().keys().map(|k| k.as_str().to_owned()));
        let body = String::from_utf8_lossy(r.resp.body()).into_owned();
        if p.ends_with("badge.svg") {
            b.badge = xml_shape(&body);
        } else if !p.starts_with("/metrics/") {
            b.html.extend(element_names(&body));
        }
    }
    for (uri, which) in [("/rss", 0), ("/atom", 1), ("/badge.svg", 2)] {
        let r = run.get(uri).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
        b.headers
            .extend(r.resp.headers().keys().map(|k| k.as_str().to_owned()));
        let body = String::from_utf8_lossy(r.resp.body()).into_owned();
        b.html.extend(feed_html_elements(&body));
        let s = xml_shape(&body);
        match which {
            0 => b.rss = s,
            1 => b.atom = s,
            _ => {
                b.badge.elements.extend(s.elements);
                b.badge.attributes.extend(s.attributes);
            }
        }
    }
    // The notification mails' own markup.
    let mailbox = Arc::new(Mailbox(Mutex::new(Vec::new())));
    let d = Dispatcher::new(
        run.api.h.cachet.clone(),
        vec![mailbox.clone() as Arc<dyn Notifier>],
    );
    for _ in 0..20 {
        let t = d.tick().await.unwrap();
        if t.events == 0 && t.delivered == 0 && t.retried == 0 && t.failed == 0 {
            break;
        }
    }
    let mails = mailbox.0.lock().unwrap().clone();
    assert!(!mails.is_empty(), "the benign run rendered no mail");
    for mail in &mails {
        b.html.extend(element_names(&mail.html));
        let doc = Html::parse_document(&mail.html);
        for el in doc
            .root_element()
            .descendants()
            .filter_map(scraper::ElementRef::wrap)
        {
            if let Some(st) = el.value().attr("style") {
                b.mail_styles.insert(st.to_owned());
            }
        }
    }
    // Pages that landed later (web/subscribe.rs): included when they answer.
    for extra in ["/subscribe"] {
        let r = run.get(extra).await;
        if r.status == StatusCode::OK {
            b.headers
                .extend(r.resp.headers().keys().map(|k| k.as_str().to_owned()));
            b.html
                .extend(element_names(&String::from_utf8_lossy(r.resp.body())));
            b.extra_pages.push(extra.to_owned());
        }
    }
    let r = run.get("/schedules.ics").await;
    b.headers
        .extend(r.resp.headers().keys().map(|k| k.as_str().to_owned()));
    let text = String::from_utf8_lossy(r.resp.body()).into_owned();
    let unfolded = icalendar::parser::unfold(&text);
    let cal = icalendar::parser::read_calendar(&unfolded).unwrap();
    for c in &cal.components {
        b.ical.extend(
            c.properties
                .iter()
                .map(|p| p.name.as_str().to_ascii_uppercase()),
        );
    }
    for uri in [
        "/api/v1/components",
        "/api/v2/summary.json",
        "/api/v1/components/999",
    ] {
        let r = run.get(uri).await;
        b.headers
            .extend(r.resp.headers().keys().map(|k| k.as_str().to_owned()));
    }
    let r = run
        .api
        .send(
            "POST",
            "/api/v1/components",
            Some(&run.api.admin),
            r#"{"name":""}"#,
        )
        .await;
    b.headers
        .extend(r.resp.headers().keys().map(|k| k.as_str().to_owned()));
    b
}

/// Reads every output sink of a run and checks it.
async fn read_all(
    run: &Run,
    m: &mut Matrix,
    category: &'static str,
    stored: &[Stored],
    pages: &BTreeSet<String>,
    b: &Baseline,
    context: &str,
) {
    run.api.h.clock.advance(chrono::TimeDelta::hours(2));
    let mut all_pages = pages.clone();
    all_pages.insert("/".into());
    all_pages.insert(format!("/incidents/{}", run.base_incident));
    all_pages.extend(b.extra_pages.iter().cloned());
    for p in &all_pages {
        let r = run.get(p).await;
        let ctx = format!("{context} GET {p}");
        m.check(
            category,
            "headers",
            header_problems(&r.resp, &b.headers),
            &ctx,
        );
        if r.status.is_server_error() || r.status != StatusCode::OK {
            m.fail(category, "html", format!("{ctx}: {}", r.status));
            continue;
        }
        let body = String::from_utf8_lossy(r.resp.body()).into_owned();
        if p.ends_with("badge.svg") {
            m.check(
                category,
                "badge",
                xml_problems(&body, &b.badge, &b.html),
                &ctx,
            );
        } else if p.starts_with("/metrics/") {
            let ok = serde_json::from_slice::<Value>(r.resp.body()).is_ok();
            m.check(
                category,
                "chart.json",
                if ok { vec![] } else { vec!["not JSON".into()] },
                &ctx,
            );
        } else {
            m.check(category, "html", html_problems(&body, &b.html), &ctx);
        }
    }
    for (uri, sink, shape) in [
        ("/rss", "rss", &b.rss),
        ("/atom", "atom", &b.atom),
        ("/badge.svg", "badge", &b.badge),
    ] {
        let r = run.get(uri).await;
        let ctx = format!("{context} GET {uri}");
        m.check(
            category,
            "headers",
            header_problems(&r.resp, &b.headers),
            &ctx,
        );
        if r.status != StatusCode::OK {
            m.fail(category, sink, format!("{ctx}: {}", r.status));
            continue;
        }
        let body = String::from_utf8_lossy(r.resp.body()).into_owned();
        m.check(category, sink, xml_problems(&body, shape, &b.html), &ctx);
    }
    let r = run.get("/schedules.ics").await;
    m.check(
        category,
        "ical",
        ical_problems(&String::from_utf8_lossy(r.resp.body()), &b.ical),
        &format!("{context} GET /schedules.ics"),
    );
    // API v1: each stored value reads back exactly as the write answered.
    for s in stored {
        let r = run.api.send("GET", &s.read, Some(&run.api.admin), "").await;
        let got = r.json["data"]
            .pointer(&s.pointer)
            .cloned()
            .unwrap_or(Value::Null);
        if r.status == StatusCode::OK && got == s.value {
            m.pass(s.category, "api_v1.read");
        } else {
            m.fail(
                s.category,
                "api_v1.read",
                format!("{}: read {} {got}", s.label, r.status),
            );
        }
    }
    for uri in [
        "/api/v1/components",
        "/api/v1/components/groups",
        "/api/v1/incidents",
        "/api/v1/schedules",
        "/api/v1/metrics",
        "/api/v1/subscribers",
        "/api/v1/incidents/templates",
    ] {
        let r = run
            .api
            .send(
                "GET",
                &format!("{uri}?per_page=1000"),
                Some(&run.api.admin),
                "",
            )
            .await;
        let ok = r.status == StatusCode::OK && r.json["data"].is_array();
        m.check(
            category,
            "api_v1.list",
            if ok {
                vec![]
            } else {
                vec![format!("{}", r.status)]
            },
            &format!("{context} {uri}"),
        );
    }
    // Statuspage v2: parses, and every stored name is there verbatim.
    let mut sp_strings = BTreeSet::new();
    for uri in [
        "/api/v2/summary.json",
        "/api/v2/components.json",
        "/api/v2/incidents.json",
        "/api/v2/scheduled-maintenances.json",
        "/api/v2/status.json",
    ] {
        let r = run.get(uri).await;
        m.check(
            category,
            "headers",
            header_problems(&r.resp, &b.headers),
            uri,
        );
        match serde_json::from_slice::<Value>(r.resp.body()) {
            Ok(v) if r.status == StatusCode::OK => collect_strings(&v, &mut sp_strings),
            _ => m.fail(
                category,
                "statuspage_v2",
                format!("{context} {uri}: {}", r.status),
            ),
        }
    }
    for s in stored {
        let is_name = s.pointer == "/name"
            && (s.read.starts_with("/api/v1/components/")
                || s.read.starts_with("/api/v1/incidents/")
                || s.read.starts_with("/api/v1/schedules/"));
        if !is_name {
            continue;
        }
        if s.value.as_str().is_some_and(|v| sp_strings.contains(v)) {
            m.pass(s.category, "statuspage_v2");
        } else {
            m.fail(
                s.category,
                "statuspage_v2",
                format!("{} not found verbatim", s.label),
            );
        }
    }
}

fn collect_strings(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::String(s) => {
            out.insert(s.clone());
        }
        Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| collect_strings(x, out)),
        _ => {}
    }
}

/// Settings (site name, about) hold one vector at a time: set them, read the sinks that
/// show them.
async fn settings_sinks(run: &Run, m: &mut Matrix, v: &Vector, b: &Baseline) {
    let Some(text) = v.text.as_deref() else {
        m.refuse(v.category, "settings");
        return;
    };
    let op = Actor::operator();
    let name = run
        .api
        .h
        .cachet
        .put_settings(&op, &[(SettingKey::AppName, text.to_owned())])
        .await;
    let about = run
        .api
        .h
        .cachet
        .put_settings(&op, &[(SettingKey::AppAbout, text.to_owned())])
        .await;
    for (what, r) in [("settings.name", name), ("settings.about", about)] {
        match r {
            Ok(_) => m.pass(v.category, what),
            Err(cachet_core::Error::Validation(_)) => m.refuse(v.category, what),
            Err(e) => m.fail(v.category, what, format!("{}: {e:?}", v.label())),
        }
    }
    for (uri, sink) in [
        ("/", "html"),
        ("/rss", "rss"),
        ("/atom", "atom"),
        ("/api/v2/status.json", "statuspage_v2"),
    ] {
        let t = std::time::Instant::now();
        let r = run.get(uri).await;
        if t.elapsed() > std::time::Duration::from_secs(1) {
            eprintln!(
                "slow: {} in settings GET {uri}: {:?}",
                v.label(),
                t.elapsed()
            );
        }
        let ctx = format!("{} with settings: GET {uri}", v.label());
        if r.status != StatusCode::OK {
            m.fail(v.category, sink, format!("{ctx}: {}", r.status));
            continue;
        }
        let body = String::from_utf8_lossy(r.resp.body()).into_owned();
        let problems = match sink {
            "html" => html_problems(&body, &b.html),
            "rss" => xml_problems(&body, &b.rss, &b.html),
            "atom" => xml_problems(&body, &b.atom, &b.html),
            _ => match serde_json::from_str::<Value>(&body) {
                Ok(_) => Vec::new(),
                Err(e) => vec![e.to_string()],
            },
        };
        m.check(v.category, sink, problems, &ctx);
    }
    let op = Actor::operator();
    run.api
        .h
        .cachet
        .put_settings(
            &op,
            &[
                (SettingKey::AppName, "Status".to_owned()),
                (SettingKey::AppAbout, String::new()),
            ],
        )
        .await
        .unwrap();
}

/// The emails the dispatcher renders for this run's incidents.
async fn email_sink(
    run: &Run,
    m: &mut Matrix,
    category: &'static str,
    b: &Baseline,
    context: &str,
) -> usize {
    let mailbox = Arc::new(Mailbox(Mutex::new(Vec::new())));
    let d = Dispatcher::new(
        run.api.h.cachet.clone(),
        vec![mailbox.clone() as Arc<dyn Notifier>],
    );
    for _ in 0..20 {
        match d.tick().await {
            Ok(t) if t.events == 0 && t.delivered == 0 && t.retried == 0 && t.failed == 0 => break,
            Ok(_) => {}
            Err(e) => {
                m.fail(category, "email", format!("{context}: dispatcher: {e:?}"));
                break;
            }
        }
    }
    let mails = mailbox.0.lock().unwrap().clone();
    for mail in &mails {
        let mut problems = Vec::new();
        if mail.subject.chars().any(char::is_control) {
            problems.push(format!("control character in subject {:?}", mail.subject));
        }
        let allowed = &b.html;
        // A mail's <style> in <head> is the template's; content never reaches it (checked:
        // no marker inside).
        let doc = Html::parse_document(&mail.html);
        for st in doc.select(&scraper::Selector::parse("style").unwrap()) {
            if st.text().collect::<String>().contains("zq") {
                problems.push("content inside <style>".into());
            }
        }
        problems.extend(
            html_problems_styled(&mail.html, allowed, &b.mail_styles)
                .into_iter()
                .filter(|p| p != "<style> element"),
        );
        m.check(
            category,
            "email",
            problems,
            &format!("{context} mail {:?}", mail.subject),
        );
    }
    mails.len()
}

// ---------------------------------------------------------------------------------------------
// Query strings, paths, raw bodies
// ---------------------------------------------------------------------------------------------

/// Percent-encodes what a URI cannot hold, keeping `%` (pre-encoded vectors stay as sent).
fn uri_safe(s: &str, keep_slash: bool, query: bool) -> String {
    let mut out = String::new();
    for c in s.chars() {
        let keep = c.is_ascii_alphanumeric()
            || "-._~!$&'()*+,;=:@%".contains(c)
            || (c == '/' && keep_slash)
            || (query && (c == '?' || c == '/'));
        if keep {
            out.push(c);
        } else {
            let mut buf = [0; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

async fn query_sinks(run: &Run, m: &mut Matrix, v: &Vector, b: &Baseline) {
    let q = uri_safe(v.text.as_deref().unwrap_or(""), true, true);
    for base in [
        "/api/v1/components",
        "/api/v1/components/groups",
        "/api/v1/incidents",
        "/api/v1/metrics",
        "/api/v1/schedules",
        "/api/v1/subscribers",
        "/api/v1/incidents/templates",
        "/api/v1/incidents/1/updates",
        "/api/v1/metrics/1/points",
    ] {
        let uri = format!("{base}?{q}");
        if http::Uri::try_from(uri.as_str()).is_err() {
            m.refuse(v.category, "query.api_v1");
            continue;
        }
        let r = run.api.send("GET", &uri, Some(&run.api.admin), "").await;
        let sink = "query.api_v1";
        if r.status == StatusCode::OK && r.json["data"].is_array() {
            m.pass(v.category, sink);
        } else if r.status == StatusCode::BAD_REQUEST
            && r.json["errors"][0]["meta"]["details"]
                .as_array()
                .is_some_and(|d| !d.is_empty())
        {
            m.refuse(v.category, sink);
        } else {
            m.fail(
                v.category,
                sink,
                format!("{} GET {uri}: {} {}", v.label(), r.status, r.json),
            );
        }
        m.check(
            v.category,
            "headers",
            header_problems(&r.resp, &b.headers),
            &uri,
        );
    }
    for base in [
        "/",
        "/api/v2/summary.json",
        "/rss",
        "/components/1",
        "/badge.svg",
        "/schedules.ics",
    ] {
        let uri = format!("{base}?{q}");
        if http::Uri::try_from(uri.as_str()).is_err() {
            m.refuse(v.category, "query.public");
            continue;
        }
        let r = run.get(&uri).await;
        let sink = "query.public";
        match r.status {
            StatusCode::OK => {
                let body = String::from_utf8_lossy(r.resp.body()).into_owned();
                let problems = if base == "/" || base == "/components/1" {
                    html_problems(&body, &b.html)
                } else {
                    Vec::new()
                };
                m.check(v.category, sink, problems, &uri);
            }
            StatusCode::BAD_REQUEST => m.refuse(v.category, sink),
            s => m.fail(v.category, sink, format!("{} GET {uri}: {s}", v.label())),
        }
    }
}

async fn path_sinks(run: &Run, m: &mut Matrix, v: &Vector) {
    let text = v.text.as_deref().unwrap_or("");
    let p = uri_safe(text, true, false);
    // The one entity the fixture has with id 1: a lenient parse of "00001" or "+1" may reach
    // it, which is the same entity, not another file.
    let is_one = text.parse::<i64>() == Ok(1);
    for route in [
        "/components/{}",
        "/incidents/{}",
        "/schedules/{}",
        "/assets/{}",
        "/metrics/{}",
        "/components/{}/badge.svg",
        "/{}",
        "/api/v1/components/{}",
        "/api/v1/incidents/{}/updates",
        "/api/v1/metrics/{}/points",
        "/api/v1/incidents/templates/{}",
        "/api/v1/components/groups/{}",
        "/api/v2/{}",
    ] {
        let uri = route.replace("{}", &p);
        let Ok(parsed) = http::Uri::try_from(uri.as_str()) else {
            m.refuse(v.category, "path");
            continue;
        };
        let _ = parsed;
        let r = run.api.send("GET", &uri, None, "").await;
        let body = String::from_utf8_lossy(r.resp.body());
        let leaked =
            body.contains("root:x:0:0") || body.contains("[package]") || body.contains("[core]");
        match r.status {
            _ if leaked => m.fail(
                v.category,
                "path",
                format!("{} GET {uri}: another file's bytes", v.label()),
            ),
            StatusCode::NOT_FOUND | StatusCode::BAD_REQUEST | StatusCode::METHOD_NOT_ALLOWED => {
                m.refuse(v.category, "path");
            }
            StatusCode::OK if is_one => m.pass(v.category, "path"),
            s => m.fail(v.category, "path", format!("{} GET {uri}: {s}", v.label())),
        }
    }
}

async fn body_sinks(run: &Run, m: &mut Matrix, v: &Vector) {
    let body = v.text.clone().unwrap_or_default();
    for (method, uri) in [
        ("POST", "/api/v1/components"),
        ("PUT", "/api/v1/components/1"),
        ("POST", "/api/v1/components/groups"),
        ("POST", "/api/v1/incidents"),
        ("POST", "/api/v1/incidents/1/updates"),
        ("POST", "/api/v1/metrics"),
        ("POST", "/api/v1/metrics/1/points"),
        ("POST", "/api/v1/schedules"),
        ("POST", "/api/v1/subscribers"),
    ] {
        let r = run.api.send(method, uri, Some(&run.api.admin), &body).await;
        let parses = serde_json::from_slice::<Value>(r.resp.body()).is_ok();
        match r.status {
            StatusCode::OK if parses => m.pass(v.category, "json_body"),
            s if s.is_client_error() && parses && r.json["errors"][0]["status"] == s.as_u16() => {
                if s == StatusCode::BAD_REQUEST
                    && r.json["errors"][0]["meta"]["details"]
                        .as_array()
                        .is_none_or(Vec::is_empty)
                {
                    m.fail(
                        v.category,
                        "json_body",
                        format!("{} {method} {uri}: 400 without details", v.label()),
                    );
                } else {
                    m.refuse(v.category, "json_body");
                }
            }
            s => m.fail(
                v.category,
                "json_body",
                format!("{} {method} {uri}: {s} {}", v.label(), r.json),
            ),
        }
    }
}

/// Request headers: a value the `http` types cannot hold is refused before it is sent; one
/// they can hold (Time-Zone, Accept-Language) never comes back in a header.
async fn request_header_sinks(run: &Run, m: &mut Matrix, v: &Vector, b: &Baseline) {
    let Some(text) = v.text.as_deref() else {
        m.refuse(v.category, "request_header");
        return;
    };
    // HTTP servers bound header size (hyper: 64 KiB-ish by default, axum and actix alike);
    // larger values never reach the core, so they are refused here as the server would.
    if text.len() > 16 * 1024 {
        m.refuse(v.category, "request_header");
        return;
    }
    for (name, uri) in [
        ("time-zone", "/api/v1/incidents"),
        ("accept-language", "/"),
        ("x-forwarded-for", "/"),
        ("if-none-match", "/api/v2/summary.json"),
    ] {
        if http::HeaderValue::from_str(text).is_err() {
            m.refuse(v.category, "request_header");
            continue;
        }
        let t = std::time::Instant::now();
        let r = run
            .api
            .send_full("GET", uri, None, &[(name, text)], "")
            .await;
        if t.elapsed() > std::time::Duration::from_secs(1) {
            eprintln!("slow: {} in {name} GET {uri}: {:?}", v.label(), t.elapsed());
        }
        let mut problems = header_problems(&r.resp, &b.headers);
        if r.status.is_server_error() {
            problems.push(format!("{}", r.status));
        }
        for (k, hv) in r.resp.headers() {
            if text.len() > 3 && String::from_utf8_lossy(hv.as_bytes()).contains(text) {
                problems.push(format!("{name} reflected into {k}"));
            }
        }
        m.check(
            v.category,
            "request_header",
            problems,
            &format!("{} {name}", v.label()),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

/// Vectors stored per harness; small enough that a shared page's finding names few vectors.
const BATCH: usize = 16;
/// Oversized vectors are stored one per harness (their pages are large).
const OVERSIZED_BATCH: usize = 1;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_vector_through_every_sink() {
    let started = std::time::Instant::now();
    let all = corpus();
    assert!(all.len() >= 300, "the corpus has {} vectors", all.len());
    let b = baseline().await;
    let mut m = Matrix::default();
    let mut emails = 0;
    let mut n = 0;
    let only = std::env::var("HOSTILE_ONLY").ok();
    for category in CONTENT
        .iter()
        .filter(|c| only.as_deref().is_none_or(|o| o == **c))
    {
        let vectors: Vec<&Vector> = all.iter().filter(|v| v.category == *category).collect();
        // Settings hold one vector at a time; shown on pages without the batch's content.
        let settings_run = Run::new().await;
        for chunk in vectors.chunks(if *category == "oversized" {
            OVERSIZED_BATCH
        } else {
            BATCH
        }) {
            let t = std::time::Instant::now();
            let run = Run::new().await;
            let t_new = t.elapsed();
            let mut stored = Vec::new();
            let mut pages = BTreeSet::new();
            let first = n;
            for v in chunk {
                n += 1;
                let tv = std::time::Instant::now();
                run.store(&mut m, n, v, &mut stored, &mut pages).await;
                if tv.elapsed() > std::time::Duration::from_secs(1) {
                    eprintln!("slow store: {} {:?}", v.label(), tv.elapsed());
                }
            }
            let t_store = t.elapsed();
            for v in chunk {
                request_header_sinks(&run, &mut m, v, &b).await;
            }
            let t_headers = t.elapsed();
            let context = format!("{category} vectors zq{}z..zq{n}z", first + 1);
            read_all(&run, &mut m, category, &stored, &pages, &b, &context).await;
            let t_read = t.elapsed();
            emails += email_sink(&run, &mut m, category, &b, &context).await;
            let t_mail = t.elapsed();
            for v in chunk {
                settings_sinks(&settings_run, &mut m, v, &b).await;
            }
            eprintln!(
                "{context}: new {t_new:?} store {t_store:?} headers {t_headers:?} read {t_read:?} mail {t_mail:?} settings {:?} (total {:?})",
                t.elapsed(),
                started.elapsed()
            );
        }
    }
    let run = Run::new().await;
    for v in all.iter().filter(|v| v.category == "filter_sort") {
        query_sinks(&run, &mut m, v, &b).await;
    }
    for v in all.iter().filter(|v| v.category == "path_traversal") {
        path_sinks(&run, &mut m, v).await;
    }
    for v in all.iter().filter(|v| v.category == "json_edge") {
        body_sinks(&run, &mut m, v).await;
    }
    // Oversized request shapes that are not field values.
    let deep = "[".repeat(10_000) + &"]".repeat(10_000);
    let deep_obj = "{\"a\":".repeat(10_000) + "1" + &"}".repeat(10_000);
    let many_keys = format!(
        "{{\"name\":\"k\",\"status\":1,\"meta\":{{{}}}}}",
        (0..100_000)
            .map(|i| format!("\"k{i}\":1"))
            .collect::<Vec<_>>()
            .join(",")
    );
    let huge = format!("{{\"name\":\"{}\"}}", "a".repeat(3 * 1024 * 1024));
    for (n, body) in [deep, deep_obj, many_keys, huge].into_iter().enumerate() {
        let v = Vector {
            category: "oversized",
            line: 100 + n,
            literal: String::new(),
            text: Some(body),
        };
        body_sinks(&run, &mut m, &v).await;
    }
    let long_query = format!("/api/v1/components?name={}", "a".repeat(60_000));
    let r = run.get(&long_query).await;
    if r.status.is_server_error() {
        m.fail(
            "oversized",
            "query.api_v1",
            format!("60 kB query: {}", r.status),
        );
    } else {
        m.pass("oversized", "query.api_v1");
    }
    let long_path = format!("/components/{}", "1".repeat(60_000));
    let r = run.get(&long_path).await;
    if r.status == StatusCode::NOT_FOUND || r.status == StatusCode::BAD_REQUEST {
        m.refuse("oversized", "path");
    } else {
        m.fail("oversized", "path", format!("60 kB path: {}", r.status));
    }
    m.print();
    println!("extra HTML pages checked: {:?}", b.extra_pages);
    println!(
        "vectors: {} ({} content), emails checked: {emails}, elapsed {:?}",
        all.len(),
        all.iter().filter(|v| CONTENT.contains(&v.category)).count(),
        started.elapsed()
    );
    assert!(
        emails > 0,
        "no notification email was rendered; the email sink checked nothing"
    );
    assert!(
        m.failures.is_empty(),
        "{} failures (see the matrix above)",
        m.failures.len()
    );
}

/// A test of the test: deliberately unsafe sinks through the same checker must be caught.
#[test]
fn unsafe_sinks_are_caught() {
    let all = corpus();
    let allowed: BTreeSet<String> = element_names(
        "<!doctype html><html><head><title>t</title></head><body><main><p>x</p></main></body></html>",
    );
    let mut caught = BTreeMap::new();
    for v in &all {
        let Some(text) = v.text.as_deref() else {
            continue;
        };
        let unsafe_html = match v.category {
            // Markdown rendered with raw HTML on and no sanitizer.
            "markdown_xss" => {
                let mut out = String::new();
                pulldown_cmark::html::push_html(&mut out, pulldown_cmark::Parser::new(text));
                out
            }
            "html_xss" | "plain_text" => text.to_owned(),
            _ => continue,
        };
        let page = format!(
            "<!doctype html><html><head><title>t</title></head><body><main><p>{unsafe_html}</p></main></body></html>"
        );
        let flagged = !html_problems(&page, &allowed).is_empty();
        let e = caught.entry(v.category).or_insert((0u32, 0u32));
        e.0 += u32::from(flagged);
        e.1 += 1;
        // The same vectors escaped, as the templates do, are clean.
        let escaped = format!(
            "<!doctype html><html><head><title>t</title></head><body><main><p>{}</p></main></body></html>",
            text.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
        );
        assert!(
            html_problems(&escaped, &allowed).is_empty(),
            "escaped {} flagged",
            v.label()
        );
    }
    println!("unsafe sinks caught (flagged/total): {caught:?}");
    let (md, md_total) = caught["markdown_xss"];
    let (html, html_total) = caught["html_xss"];
    assert!(
        html * 10 >= html_total * 9,
        "raw HTML: only {html}/{html_total} caught"
    );
    assert!(
        md * 2 >= md_total,
        "raw Markdown: only {md}/{md_total} caught"
    );
    // And the specific classics.
    for bad in [
        "<p><script>alert(1)</script></p>",
        "<a href=\"jav&#x09;ascript:alert(1)\">x</a>",
        "<img src=x onerror=alert(1)>",
        "<a href=\"//evil.example\">x</a>",
        "<div style=\"x\">x</div>",
        "<svg><a xlink:href=\"javascript:alert(1)\">x</a></svg>",
        "<xss>x</xss>",
    ] {
        assert!(!html_problems(bad, &allowed).is_empty(), "{bad} not caught");
    }
    // XML and iCal oracles catch injections too.
    let shape = xml_shape("<rss><channel><title>t</title></channel></rss>");
    assert!(
        !xml_problems(
            "<rss><channel><title>t</title><script/></channel></rss>",
            &shape,
            &allowed
        )
        .is_empty()
    );
    assert!(!xml_problems("<rss><channel><title>t</title>", &shape, &allowed).is_empty());
    let props: BTreeSet<String> = ["UID", "SUMMARY", "DTSTART", "DTSTAMP"]
        .map(String::from)
        .into();
    let injected = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:1\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:x\r\nSUMMARY:injected\r\nATTENDEE:mailto:evil@example.com\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    assert!(ical_problems(injected, &props).len() >= 2);
}

#[test]
fn the_corpus_has_at_least_300_vectors_in_every_category() {
    let all = corpus();
    let mut per: BTreeMap<&str, usize> = BTreeMap::new();
    for v in &all {
        *per.entry(v.category).or_default() += 1;
    }
    println!("vectors per category: {per:?} (total {})", all.len());
    assert!(all.len() >= 300);
    for (c, _) in FILES {
        assert!(per.get(c).copied().unwrap_or(0) >= 10, "{c}");
    }
    // Escaped lines decode; only lone surrogates do not.
    for v in all.iter().filter(|v| v.text.is_none()) {
        assert!(
            v.literal.to_ascii_lowercase().contains("\\ud8")
                || v.literal.to_ascii_lowercase().contains("\\udc")
                || v.literal.to_ascii_lowercase().contains("\\udf"),
            "{}",
            v.literal
        );
    }
}
