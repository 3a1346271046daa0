//! Markdown to safe HTML.
//!
//! # Why
//!
//! Incident messages, maintenance notes, component descriptions and the "about" text are
//! written in Markdown by dashboard users (and, through the API, by whatever holds a token)
//! and shown to every visitor of the public page and in every notification email. Cachet
//! shipped stored XSS through exactly these fields (GHSA-x397-5hrv-j9m9: `<script>` was
//! filtered, `<img src=x onerror=alert(1)>` was not), and it lost its Markdown safety once
//! already when a dependency upgrade silently dropped a `'safe' => true` option. So this module
//! does not trust any single layer:
//!
//! 1. **pulldown-cmark** parses the source with tables, strikethrough and task lists, and
//!    *without* heading attributes (`# t {onclick=x}` would otherwise become an attribute).
//!    Every raw HTML event (`Event::Html`, `Event::InlineHtml`) is turned into text, so raw
//!    HTML is shown escaped and never passed through. Heading ids/classes/attributes are
//!    cleared even though the option is off, task-list checkboxes become `[x]`/`[ ]` text,
//!    and images become plain links (no remote images: they are tracking and mixed-content
//!    vectors on a status page).
//! 2. Nesting deeper than [`MAX_DEPTH`] elements is flattened to its text before any HTML is
//!    written, so hostile documents (`>` x 100 000, `*` x 50 000, ...) cannot exhaust the stack
//!    of the HTML parser or of a browser, and the output stays proportional to the input.
//! 3. **ammonia** then cleans the HTML with a narrow allowlist built once:
//!    only the block and inline tags Markdown produces; no `svg`, `math`, `style`, `form`,
//!    `iframe`, `img`, `input` or any raw-text element (the ingredients of every published
//!    ammonia/DOMPurify mutation-XSS bug); links only to `http`, `https` and `mailto`, never
//!    relative (so no `//evil.example`), always with
//!    `rel="noopener noreferrer nofollow ugc"`; comments stripped.
//! 4. The result is sanitized again until it no longer changes, so what we store and serve is
//!    a fixed point of the sanitizer: parsing and re-serializing it (as a browser, a mail
//!    client or a later pass does) cannot produce anything the sanitizer would not allow.
//!
//! The only way to obtain a [`SafeHtml`] is through this module. Rendered output is cached
//! per source (by SHA-256) in a small bounded process-wide cache, so pages do not re-render
//! on every read.
//!
//! Plain-text fields (names, titles) never go through Markdown: they are escaped with
//! [`escape_text`].

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, LazyLock, Mutex};

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd};
use sha2::{Digest, Sha256};

use crate::validate::Markdown;

/// The deepest element nesting that is rendered as elements; anything deeper is flattened to
/// its text. Real status updates never come close (a list in a quote in a list is depth ~6).
pub const MAX_DEPTH: usize = 32;

/// How many sanitizer passes [`render_markdown`] runs at most while looking for a fixed point.
const MAX_PASSES: usize = 4;

/// How many rendered documents the process-wide cache keeps before it is emptied.
const CACHE_MAX_ENTRIES: usize = 4096;
/// How many bytes of rendered HTML the process-wide cache keeps before it is emptied.
const CACHE_MAX_BYTES: usize = 32 * 1024 * 1024;

/// HTML that passed the sanitizer.
///
/// Only this module can construct one (there is deliberately no `From<String>`, no
/// `Deserialize` and no public constructor), so a value of this type is known to be the output
/// of [`render_markdown`] and safe to write into a page or an email without escaping. It
/// serializes as a plain JSON string. Cloning is cheap (shared).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct SafeHtml(Arc<str>);

impl SafeHtml {
    /// The HTML as a string slice.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the HTML is empty (the source rendered to nothing).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for SafeHtml {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for SafeHtml {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SafeHtml").field(&&*self.0).finish()
    }
}

impl AsRef<str> for SafeHtml {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl serde::Serialize for SafeHtml {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// The tags the sanitizer keeps: what Markdown produces, minus images and inputs.
const ALLOWED_TAGS: &[&str] = &[
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
];

/// Elements removed together with their content. Raw HTML never reaches ammonia (it is
/// escaped first), so this only matters as defence in depth; none of these may ever be added
/// to [`ALLOWED_TAGS`].
const CLEAN_CONTENT_TAGS: &[&str] = &[
    "script",
    "style",
    "svg",
    "math",
    "iframe",
    "noscript",
    "template",
    "object",
    "embed",
    "textarea",
    "title",
    "xmp",
    "noembed",
    "noframes",
    "plaintext",
    "select",
    "option",
];

/// The only link schemes allowed.
const URL_SCHEMES: &[&str] = &["http", "https", "mailto"];

/// The `rel` every link gets.
pub const LINK_REL: &str = "noopener noreferrer nofollow ugc";

/// Whether a `code` class is a fenced-code language marker (`language-[a-z0-9_+-]+`).
fn is_language_class(value: &str) -> bool {
    value.strip_prefix("language-").is_some_and(|lang| {
        !lang.is_empty()
            && lang.len() <= 32
            && lang
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_+-".contains(&b))
    })
}

/// Whether an `ol` start number is a plain, modest decimal.
fn is_list_start(value: &str) -> bool {
    !value.is_empty() && value.len() <= 9 && value.bytes().all(|b| b.is_ascii_digit())
}

/// The ammonia configuration, built once. Every option is set explicitly (starting from
/// [`ammonia::Builder::empty`]) so that a change of ammonia's defaults cannot widen it.
static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut b = ammonia::Builder::empty();
    let tag_attributes: HashMap<&'static str, HashSet<&'static str>> = HashMap::from([
        ("a", HashSet::from(["href", "title"])),
        ("ol", HashSet::from(["start"])),
        ("code", HashSet::from(["class"])),
    ]);
    b.tags(ALLOWED_TAGS.iter().copied().collect())
        .clean_content_tags(CLEAN_CONTENT_TAGS.iter().copied().collect())
        .tag_attributes(tag_attributes)
        .tag_attribute_values(HashMap::new())
        .set_tag_attribute_values(HashMap::new())
        .generic_attributes(HashSet::new())
        .allowed_classes(HashMap::new())
        .url_schemes(URL_SCHEMES.iter().copied().collect())
        .url_relative(ammonia::UrlRelative::Deny)
        .link_rel(Some(LINK_REL))
        .strip_comments(true)
        .id_prefix(None)
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            ("code", "class") => is_language_class(value).then_some(value.into()),
            ("ol", "start") => is_list_start(value).then_some(value.into()),
            _ => Some(value.into()),
        });
    b
});

/// One pass of the sanitizer over an HTML fragment.
///
/// [`render_markdown`] is the normal entry point; this is public so that callers (and tests)
/// can check that stored HTML is still a fixed point: `sanitize_html(x.as_str()) == x.as_str()`
/// for every [`SafeHtml`] `x`.
#[must_use]
pub fn sanitize_html(html: &str) -> String {
    SANITIZER.clean(html).to_string()
}

/// Escapes plain text for HTML element content and quoted attribute values: `&`, `<`, `>`,
/// `"` and `'`.
///
/// This and [`escape_xml`] are the crate's one text escaper (pages, feeds, mail, badges,
/// charts). Other escapings are different jobs and live with their formats: Markdown
/// ([`crate::template::escape_markdown`]), iCalendar TEXT (`feeds`), log lines ([`crate::log`]),
/// CSV cells (the dashboard's review export) and JSON (serde_json).
#[must_use]
pub fn escape_text(s: &str) -> String {
    escape(s, Dialect::Html)
}

/// [`escape_text`] for standalone XML documents (the SVG badges and charts): the same five
/// characters, characters XML 1.0 cannot hold (C0 controls other than tab and line breaks,
/// U+FFFE, U+FFFF) dropped, since one of them makes the whole document unreadable, and tab
/// and line breaks turned into spaces, since every such text is a one-line label or title.
#[must_use]
pub fn escape_xml(s: &str) -> String {
    escape(s, Dialect::Xml)
}

/// Where escaped text goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dialect {
    /// HTML: the apostrophe as `&#x27;`, which HTML 4 and every mail client read (`&apos;`
    /// is XML's and HTML5's only).
    Html,
    /// XML 1.0: the apostrophe as XML's own `&apos;`.
    Xml,
}

/// Whether XML 1.0 can hold `c` at all (its `Char` production).
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn escape(s: &str, dialect: Dialect) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' if dialect == Dialect::Html => out.push_str("&#x27;"),
            '\'' => out.push_str("&apos;"),
            c if dialect == Dialect::Xml && !xml_char(c) => {}
            '\t' | '\n' | '\r' if dialect == Dialect::Xml => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// What happened to an opened element, so its end is handled the same way.
#[derive(Clone, Copy)]
enum Open {
    /// Written as is.
    Kept,
    /// Flattened: too deep, or an image inside a link.
    Dropped,
    /// An image written as a link to its source.
    ImageAsLink,
}

/// Rewrites the pulldown-cmark event stream: raw HTML to text, no heading attributes, task
/// markers as text, images as links, and nesting capped at [`MAX_DEPTH`].
struct Harden<I> {
    inner: I,
    open: Vec<Open>,
    links: usize,
}

impl<'a, I: Iterator<Item = Event<'a>>> Harden<I> {
    fn new(inner: I) -> Self {
        Self {
            inner,
            open: Vec::new(),
            links: 0,
        }
    }

    fn start(&mut self, tag: Tag<'a>) -> Option<Event<'a>> {
        let depth = self.open.len() + 1;
        let too_deep = depth > MAX_DEPTH;
        let (open, event) = match tag {
            _ if too_deep => (Open::Dropped, None),
            Tag::Image { .. } if self.links > 0 => (Open::Dropped, None),
            Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            } => {
                self.links += 1;
                (
                    Open::ImageAsLink,
                    Some(Event::Start(Tag::Link {
                        link_type,
                        dest_url,
                        title,
                        id,
                    })),
                )
            }
            Tag::Link { .. } => {
                self.links += 1;
                (Open::Kept, Some(Event::Start(tag)))
            }
            Tag::Heading { level, .. } => (
                Open::Kept,
                Some(Event::Start(Tag::Heading {
                    level,
                    id: None,
                    classes: Vec::new(),
                    attrs: Vec::new(),
                })),
            ),
            tag => (Open::Kept, Some(Event::Start(tag))),
        };
        self.open.push(open);
        event
    }

    fn end(&mut self, tag: TagEnd) -> Option<Event<'a>> {
        match self.open.pop() {
            Some(Open::Kept) => {
                if tag == TagEnd::Link {
                    self.links = self.links.saturating_sub(1);
                }
                Some(Event::End(tag))
            }
            Some(Open::ImageAsLink) => {
                self.links = self.links.saturating_sub(1);
                Some(Event::End(TagEnd::Link))
            }
            // Keep words of flattened blocks apart.
            Some(Open::Dropped) | None => {
                is_block(tag).then_some(Event::Text(CowStr::Borrowed(" ")))
            }
        }
    }
}

/// Whether an element is a block (its flattened text needs a separator).
fn is_block(tag: TagEnd) -> bool {
    !matches!(
        tag,
        TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough | TagEnd::Link | TagEnd::Image
    )
}

impl<'a, I: Iterator<Item = Event<'a>>> Iterator for Harden<I> {
    type Item = Event<'a>;

    fn next(&mut self) -> Option<Event<'a>> {
        loop {
            let event = match self.inner.next()? {
                Event::Start(tag) => self.start(tag),
                Event::End(tag) => self.end(tag),
                Event::Html(s) | Event::InlineHtml(s) => Some(Event::Text(s)),
                Event::TaskListMarker(done) => Some(Event::Text(CowStr::Borrowed(if done {
                    "[x] "
                } else {
                    "[ ] "
                }))),
                // Extensions that are not enabled: shown as text should they ever appear.
                Event::InlineMath(s) | Event::DisplayMath(s) => Some(Event::Text(s)),
                Event::FootnoteReference(s) => Some(Event::Text(s)),
                other => Some(other),
            };
            if event.is_some() {
                return event;
            }
        }
    }
}

/// Markdown to HTML, before sanitization.
fn markdown_to_html(src: &str) -> String {
    // Deliberately no ENABLE_HEADING_ATTRIBUTES, no HTML-producing extensions.
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let parser = Parser::new_ext(src, options);
    let mut html = String::with_capacity(src.len() + src.len() / 4);
    pulldown_cmark::html::push_html(&mut html, Harden::new(parser));
    html
}

/// Sanitizes until the output is a fixed point of [`sanitize_html`] (at most [`MAX_PASSES`]).
fn sanitize_to_fixed_point(html: &str) -> String {
    let mut out = sanitize_html(html);
    for _ in 1..MAX_PASSES {
        let again = sanitize_html(&out);
        if again == out {
            break;
        }
        out = again;
    }
    out
}

/// The process-wide cache of rendered documents, keyed by the SHA-256 of the source.
struct Cache {
    map: HashMap<[u8; 32], Arc<str>>,
    bytes: usize,
}

static CACHE: LazyLock<Mutex<Cache>> = LazyLock::new(|| {
    Mutex::new(Cache {
        map: HashMap::new(),
        bytes: 0,
    })
});

fn cache_get(key: &[u8; 32]) -> Option<Arc<str>> {
    let cache = CACHE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    cache.map.get(key).cloned()
}

fn cache_put(key: [u8; 32], html: Arc<str>) {
    if html.len() > CACHE_MAX_BYTES / 4 {
        return;
    }
    let mut cache = CACHE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if cache.map.len() >= CACHE_MAX_ENTRIES || cache.bytes + html.len() > CACHE_MAX_BYTES {
        // Simple and bounded: start over. Rendering is deterministic, so nothing is lost but
        // time.
        cache.map.clear();
        cache.bytes = 0;
    }
    cache.bytes += html.len();
    if let Some(old) = cache.map.insert(key, html) {
        cache.bytes = cache.bytes.saturating_sub(old.len());
    }
}

/// Renders untrusted Markdown to HTML that is safe to embed in a page or an email.
///
/// Raw HTML in the source is shown as text; links keep only `http`, `https` and `mailto`
/// targets and get `rel="noopener noreferrer nofollow ugc"`; images become links; nesting
/// deeper than [`MAX_DEPTH`] is flattened. The result is a fixed point of [`sanitize_html`].
/// Results are cached per source.
#[must_use]
pub fn render_markdown(src: &Markdown) -> SafeHtml {
    let key: [u8; 32] = Sha256::digest(src.as_str().as_bytes()).into();
    if let Some(hit) = cache_get(&key) {
        return SafeHtml(hit);
    }
    let html: Arc<str> = sanitize_to_fixed_point(&markdown_to_html(src.as_str())).into();
    cache_put(key, Arc::clone(&html));
    SafeHtml(html)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn md(s: &str) -> Markdown {
        Markdown::parse(s).unwrap()
    }

    fn render(s: &str) -> String {
        render_markdown(&md(s)).as_str().to_owned()
    }

    /// Crude HTML entity decoding, for scheme checks: numeric references and the few named
    /// ones that matter.
    fn decode_entities(s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find('&') {
            out.push_str(&rest[..i]);
            rest = &rest[i..];
            let end = rest.find(';').unwrap_or(rest.len());
            let ent = &rest[1..end];
            let decoded =
                if let Some(hex) = ent.strip_prefix("#x").or_else(|| ent.strip_prefix("#X")) {
                    u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
                } else if let Some(dec) = ent.strip_prefix('#') {
                    dec.parse::<u32>().ok().and_then(char::from_u32)
                } else {
                    match ent {
                        "amp" => Some('&'),
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "quot" => Some('"'),
                        "colon" => Some(':'),
                        "Tab" => Some('\t'),
                        "NewLine" => Some('\n'),
                        _ => None,
                    }
                };
            match decoded {
                Some(c) if end < rest.len() => {
                    out.push(c);
                    rest = &rest[end + 1..];
                }
                _ => {
                    out.push('&');
                    rest = &rest[1..];
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// A tag as serialized by html5ever: name and (attribute, raw value) pairs.
    #[derive(Debug)]
    struct TagInfo {
        name: String,
        closing: bool,
        attrs: Vec<(String, String)>,
    }

    /// Splits serializer output into tags. The serializer escapes `<` and `>` everywhere
    /// (text and attribute values) and always double-quotes values, so every `<` starts a tag.
    fn tags(html: &str) -> Vec<TagInfo> {
        let mut out = Vec::new();
        let b = html.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] != b'<' {
                i += 1;
                continue;
            }
            i += 1;
            let closing = b.get(i) == Some(&b'/');
            if closing {
                i += 1;
            }
            let start = i;
            while i < b.len() && !b" >/".contains(&b[i]) {
                i += 1;
            }
            let name = html[start..i].to_ascii_lowercase();
            let mut attrs = Vec::new();
            loop {
                while i < b.len() && b[i] == b' ' {
                    i += 1;
                }
                if i >= b.len() || b[i] == b'>' || b[i] == b'/' {
                    break;
                }
                let a = i;
                while i < b.len() && !b"=> ".contains(&b[i]) {
                    i += 1;
                }
                let attr = html[a..i].to_ascii_lowercase();
                let mut value = String::new();
                if b.get(i) == Some(&b'=') {
                    i += 1;
                    assert_eq!(b.get(i), Some(&b'"'), "unquoted attribute in {html:?}");
                    i += 1;
                    let v = i;
                    while i < b.len() && b[i] != b'"' {
                        i += 1;
                    }
                    value = html[v..i].to_owned();
                    i += 1;
                }
                attrs.push((attr, value));
            }
            out.push(TagInfo {
                name,
                closing,
                attrs,
            });
        }
        out
    }

    /// The safety oracle for one rendered output.
    fn assert_safe(out: &str) {
        assert_eq!(sanitize_html(out), out, "not a fixed point");
        let lower = out.to_ascii_lowercase();
        assert!(!lower.contains("<script"), "{out}");
        for tag in tags(out) {
            assert!(
                ALLOWED_TAGS.contains(&tag.name.as_str()),
                "tag {tag:?} in {out}"
            );
            if tag.closing {
                continue;
            }
            for (name, value) in &tag.attrs {
                assert!(!name.starts_with("on"), "event handler in {out}");
                assert!(
                    matches!(
                        (tag.name.as_str(), name.as_str()),
                        ("a", "href" | "title" | "rel") | ("ol", "start") | ("code", "class")
                    ),
                    "attribute {name} on {} in {out}",
                    tag.name
                );
                if name == "href" {
                    let decoded: String = decode_entities(value)
                        .chars()
                        .filter(|c| !c.is_whitespace() && !c.is_control())
                        .collect::<String>()
                        .to_ascii_lowercase();
                    assert!(
                        decoded.starts_with("http:")
                            || decoded.starts_with("https:")
                            || decoded.starts_with("mailto:"),
                        "href {value:?} in {out}"
                    );
                }
            }
            if tag.name == "a" {
                assert!(
                    tag.attrs.iter().any(|(n, v)| n == "rel" && v == LINK_REL),
                    "link without rel in {out}"
                );
            }
        }
    }

    #[test]
    fn ordinary_markdown_renders() {
        let out = render(
            "# Outage\n\nThe **API** is *slow*, ~~down~~.\n\n- a\n- b\n\n1. x\n\n`code` [docs](https://example.com/a?b=c \"T\")",
        );
        assert!(out.contains("<h1>Outage</h1>"), "{out}");
        assert!(out.contains("<strong>API</strong>"));
        assert!(out.contains("<em>slow</em>"));
        assert!(out.contains("<del>down</del>"));
        assert!(out.contains("<li>a</li>"));
        assert!(out.contains("<code>code</code>"));
        assert!(out.contains(r#"<a href="https://example.com/a?b=c" title="T" rel="noopener noreferrer nofollow ugc">docs</a>"#), "{out}");
        assert_safe(&out);
    }

    #[test]
    fn tables_code_and_lists_keep_safe_attributes() {
        let out = render(
            "| a | b |\n|:-:|---|\n| 1 | 2 |\n\n```rust\nfn x() {}\n```\n\n```x onclick=y\nz\n```\n\n3. three\n4. four",
        );
        assert!(
            out.contains("<table>") && out.contains("<th>a</th>") && out.contains("<td>1</td>"),
            "{out}"
        );
        assert!(out.contains(r#"<code class="language-rust">"#), "{out}");
        assert!(!out.contains("onclick=\""), "{out}");
        assert!(out.contains(r#"<ol start="3">"#), "{out}");
        assert_safe(&out);
    }

    #[test]
    fn task_lists_and_images_become_text_and_links() {
        let out = render(
            "- [x] done\n- [ ] todo\n\n![chart](https://example.com/c.png)\n\n[![x](https://a.example/i.png)](https://b.example)",
        );
        assert!(!out.contains("<input") && !out.contains("<img"), "{out}");
        assert!(
            out.contains("[x] done") && out.contains("[ ] todo"),
            "{out}"
        );
        assert!(out.contains(r#"<a href="https://example.com/c.png" rel="noopener noreferrer nofollow ugc">chart</a>"#), "{out}");
        assert!(
            out.contains(
                r#"<a href="https://b.example" rel="noopener noreferrer nofollow ugc">x</a>"#
            ),
            "{out}"
        );
        assert_safe(&out);
    }

    #[test]
    fn raw_html_is_escaped_never_passed_through() {
        for (src, shown) in [
            (
                "<script>alert(1)</script>",
                "&lt;script&gt;alert(1)&lt;/script&gt;",
            ),
            (
                "a <img src=x onerror=alert(1)> b",
                "&lt;img src=x onerror=alert(1)&gt;",
            ),
            ("<svg onload=alert(1)>", "&lt;svg onload=alert(1)&gt;"),
            ("<math><mi>x</mi></math>", "&lt;math&gt;"),
            ("<style>*{color:red}</style>", "&lt;style&gt;"),
            ("<iframe src=https://evil.example></iframe>", "&lt;iframe"),
            ("<b>bold</b>", "&lt;b&gt;bold&lt;/b&gt;"),
            ("<!-- hidden -->", "&lt;!-- hidden --&gt;"),
        ] {
            let out = render(src);
            assert!(out.contains(shown), "{src:?} -> {out}");
            assert_safe(&out);
        }
    }

    #[test]
    fn xss_vectors_are_neutralised() {
        let vectors = [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](  javascript:alert(1))",
            "[x](&#106;avascript:alert(1))",
            "[x](javascript&#58;alert(1))",
            "[x](&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72&#x74&#x28&#x31&#x29)",
            "[x](Javas&#99;ript:alert(1&#41;)",
            "[x](jav&#x09;ascript:alert(1))",
            "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
            "[x](Data:text/html,<script>alert(1)</script>)",
            "[x](vbscript:msgbox(1))",
            "[x](file:///etc/passwd)",
            "[x](//evil.example/phish)",
            "[x](/relative)",
            "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
            "![x'\"`onerror=alert(1)](x)",
            "[x](https://ok.example \"t\\\" onmouseover=\\\"alert(1)\")",
            "<javascript:alert(1)>",
            "<JAVASCRIPT:alert(1)>",
            "[r]: javascript:alert(1)\n\n[x][r]",
            "<svg onload=alert(1)>",
            "<svg/onload=alert(1)>",
            "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
            "<style>@import 'https://evil'</style>",
            "<iframe srcdoc=\"&lt;script&gt;alert(1)&lt;/script&gt;\">",
            "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
            "<svg></p><style><a id=\"</style><img src=1 onerror=alert(1)>\">",
            "<a href=\"https://ok.example\" onclick=\"evil()\">x</a>",
            "<form action=\"https://evil\"><button formaction=\"javascript:alert(1)\">x</button></form>",
            "<scr<script>ipt>alert(1)</scr</script>ipt>",
            "# heading {onclick=alert(1) #x .y}",
            "<details open ontoggle=alert(1)>",
            "<base href=\"https://evil/\">",
            "- [x] <input onfocus=alert(1) autofocus>",
        ];
        for v in vectors {
            let out = render(v);
            assert_safe(&out);
            let lower = out.to_ascii_lowercase();
            assert!(!lower.contains("href=\"javascript"), "{v:?} -> {out}");
            assert!(!lower.contains("href=\"data"), "{v:?} -> {out}");
            assert!(
                !lower.contains("<img") && !lower.contains("<svg") && !lower.contains("<math"),
                "{v:?} -> {out}"
            );
            assert!(
                !lower.contains("<iframe")
                    && !lower.contains("<style")
                    && !lower.contains("<noscript"),
                "{v:?} -> {out}"
            );
        }
    }

    #[test]
    fn links_get_rel_and_mailto_is_allowed() {
        let out = render(
            "[mail](mailto:ops@example.com) <https://status.example.com> [h](http://x.example)",
        );
        assert!(out.contains(r#"<a href="mailto:ops@example.com" rel="noopener noreferrer nofollow ugc">mail</a>"#), "{out}");
        assert!(
            out.contains(
                r#"<a href="https://status.example.com" rel="noopener noreferrer nofollow ugc">"#
            ),
            "{out}"
        );
        assert!(
            out.contains(
                r#"<a href="http://x.example" rel="noopener noreferrer nofollow ugc">h</a>"#
            ),
            "{out}"
        );
        // A link whose target was dropped still gets the rel and keeps its text.
        let out = render("[click](javascript:alert(1))");
        assert_eq!(
            out,
            "<p><a rel=\"noopener noreferrer nofollow ugc\">click</a></p>\n"
        );
    }

    #[test]
    fn builder_allows_no_dangerous_tags() {
        for t in [
            "svg",
            "math",
            "style",
            "form",
            "iframe",
            "noscript",
            "template",
            "script",
            "object",
            "embed",
            "img",
            "input",
            "textarea",
            "title",
            "xmp",
            "noembed",
            "noframes",
            "plaintext",
            "base",
            "meta",
            "link",
        ] {
            assert!(!ALLOWED_TAGS.contains(&t), "{t}");
        }
        assert_eq!(SANITIZER.get_link_rel(), Some(LINK_REL));
        assert!(SANITIZER.is_url_relative_deny());
        assert!(SANITIZER.will_strip_comments());
        assert_eq!(
            SANITIZER.clone_url_schemes(),
            URL_SCHEMES.iter().copied().collect()
        );
        assert!(SANITIZER.clone_generic_attributes().is_empty());
    }

    #[test]
    fn one_pass_is_usually_already_a_fixed_point() {
        let src = "# T\n\n> q\n> - a\n>   - b\n\n| x |\n|---|\n| <b> |\n\n[a](https://e.example) & < > \" '";
        let html = markdown_to_html(src);
        let once = sanitize_html(&html);
        assert_eq!(sanitize_html(&once), once);
        assert_eq!(render(src), once);
    }

    #[test]
    fn escape_text_escapes_the_five() {
        assert_eq!(
            escape_text(r#"<a href="x" title='y'>&</a>"#),
            "&lt;a href=&quot;x&quot; title=&#x27;y&#x27;&gt;&amp;&lt;/a&gt;"
        );
        assert_eq!(escape_text("plain ünïcode"), "plain ünïcode");
    }

    #[test]
    fn escape_xml_escapes_the_five_and_keeps_documents_well_formed() {
        assert_eq!(
            escape_xml(r#"<a href="x" title='y'>&</a>"#),
            "&lt;a href=&quot;x&quot; title=&apos;y&apos;&gt;&amp;&lt;/a&gt;"
        );
        assert_eq!(escape_xml("a\u{0}b\u{1b}c\u{FFFE}d\u{FFFF}e"), "abcde");
        assert_eq!(escape_xml("one\ttwo\r\nthree"), "one two  three");
        assert_eq!(escape_xml("plain ünïcode 😀"), "plain ünïcode 😀");
    }

    /// Undoes [`escape_text`] and [`escape_xml`]'s entities (not a general decoder).
    fn unescape(s: &str) -> String {
        s.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&#x27;", "'")
            .replace("&apos;", "'")
            .replace("&amp;", "&")
    }

    proptest! {
        #[test]
        fn escaped_text_is_inert_and_reads_back(s in any::<String>()) {
            for (escaped, xml) in [(escape_text(&s), false), (escape_xml(&s), true)] {
                prop_assert!(!escaped.contains(['<', '>', '"', '\'']), "{escaped:?}");
                // Every `&` starts one of the entities written.
                for (i, _) in escaped.match_indices('&') {
                    let rest = &escaped[i..];
                    prop_assert!(
                        ["&amp;", "&lt;", "&gt;", "&quot;", "&#x27;", "&apos;"]
                            .iter()
                            .any(|e| rest.starts_with(e)),
                        "{escaped:?}"
                    );
                }
                if xml {
                    prop_assert!(escaped.chars().all(|c| c != '\n' && xml_char(c)), "{escaped:?}");
                } else {
                    prop_assert_eq!(unescape(&escaped), s.clone());
                }
            }
        }
    }

    #[test]
    fn cache_returns_the_same_rendering() {
        let src = md("cached *once* 8f1c2e");
        let a = render_markdown(&src);
        let b = render_markdown(&src);
        assert_eq!(a, b);
        assert!(
            Arc::ptr_eq(&a.0, &b.0),
            "second render should come from the cache"
        );
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(a.as_str()).unwrap()
        );
    }

    #[test]
    fn cache_stays_bounded() {
        for i in 0..(CACHE_MAX_ENTRIES + 10) {
            let _ = render_markdown(&md(&format!("entry {i} 3b7d")));
        }
        let cache = CACHE.lock().unwrap();
        assert!(cache.map.len() <= CACHE_MAX_ENTRIES);
        assert!(cache.bytes <= CACHE_MAX_BYTES);
    }

    /// Runs `f` on a thread with the default 2 MiB stack.
    fn on_small_stack(name: &str, f: impl FnOnce() + Send + 'static) {
        std::thread::Builder::new()
            .name(name.to_owned())
            .stack_size(2 * 1024 * 1024)
            .spawn(f)
            .unwrap()
            .join()
            .unwrap_or_else(|_| panic!("{name} panicked or overflowed"));
    }

    fn assert_deep_is_bounded(name: &'static str, src: String) {
        on_small_stack(name, move || {
            let started = std::time::Instant::now();
            let out = render(&src);
            let elapsed = started.elapsed();
            assert!(
                out.len() <= src.len() * 8 + 1024,
                "{name}: {} bytes out for {} in",
                out.len(),
                src.len()
            );
            // Nesting is capped: no more than MAX_DEPTH (+ a few wrappers) open elements.
            let mut depth = 0usize;
            let mut max = 0usize;
            for tag in tags(&out) {
                if matches!(tag.name.as_str(), "br" | "hr") {
                    continue;
                }
                if tag.closing {
                    depth = depth.saturating_sub(1);
                } else {
                    depth += 1;
                    max = max.max(depth);
                }
            }
            assert!(max <= MAX_DEPTH + 2, "{name}: depth {max}");
            assert_eq!(sanitize_html(&out), out, "{name}: not a fixed point");
            eprintln!(
                "{name}: {} bytes in, {} bytes out, depth {max}, {elapsed:?}",
                src.len(),
                out.len()
            );
            assert!(
                elapsed < std::time::Duration::from_secs(60),
                "{name}: took {elapsed:?}"
            );
        });
    }

    #[test]
    fn deep_blockquotes_do_not_overflow() {
        assert_deep_is_bounded("blockquote", format!("{}x", ">".repeat(100_000)));
    }

    #[test]
    fn deep_lists_do_not_overflow() {
        let mut s = String::new();
        // 900 levels by indentation (the indentation grows quadratically; 1 MiB allows ~1000).
        for i in 0..900 {
            s.push_str(&" ".repeat(2 * i));
            s.push_str("- item\n");
        }
        assert_deep_is_bounded("list-flat-indent", s);
        // Truly nested: each item's content starts a new list ("- - - - x").
        assert_deep_is_bounded("list-nested", format!("{}x", "- ".repeat(50_000)));
    }

    #[test]
    fn many_brackets_do_not_overflow() {
        assert_deep_is_bounded("brackets", format!("{}](x)", "[".repeat(100_000)));
        assert_deep_is_bounded(
            "nested-links",
            format!(
                "{}x{}",
                "[".repeat(20_000),
                "](https://e.example)".repeat(20_000)
            ),
        );
    }

    #[test]
    fn deep_emphasis_does_not_overflow() {
        assert_deep_is_bounded(
            "emphasis",
            format!("{}a{}", "*".repeat(50_000), "*".repeat(50_000)),
        );
        assert_deep_is_bounded("underscores", "_a".repeat(50_000));
        assert_deep_is_bounded("backticks", "`".repeat(100_000));
    }

    #[test]
    fn raw_html_nesting_does_not_overflow() {
        // Raw HTML is text, so this is one long paragraph, not 60 000 nested elements.
        assert_deep_is_bounded("b-tags", "<b>".repeat(60_000));
    }

    #[test]
    fn a_one_mib_document_renders() {
        let para = "The *API* is **degraded**; see [status](https://status.example.com) & retry. <b>x</b>\n\n";
        let mut src = String::new();
        while src.len() + para.len() <= Markdown::MAX_BYTES {
            src.push_str(para);
        }
        assert_deep_is_bounded("one-mib", src.clone());
        let mut table = String::from("| a | b |\n|---|---|\n");
        while table.len() + 12 <= Markdown::MAX_BYTES {
            table.push_str("| 1 | 2 |\n");
        }
        assert_deep_is_bounded("one-mib-table", table);
    }

    const ALPHABET: &[&str] = &[
        "<",
        ">",
        "script",
        "a href=",
        "javascript:",
        "[",
        "](",
        ")",
        "*",
        "`",
        "\n",
        "&#",
        ";",
        "\"",
        "'",
        "on",
        "=",
        " ",
        "img",
        "svg",
        "data:",
        "x",
        "#",
        "-",
        "|",
        "!",
        "http://",
        "<!--",
        "-->",
        "\\",
        "_",
        ">",
    ];

    fn markdownish() -> impl Strategy<Value = String> {
        prop::collection::vec(prop::sample::select(ALPHABET), 0..64).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn arbitrary_text_renders_safely(s in any::<String>()) {
            if let Ok(src) = Markdown::parse(&s) {
                assert_safe(render_markdown(&src).as_str());
            }
        }

        #[test]
        fn markdownish_text_renders_safely(s in markdownish()) {
            if let Ok(src) = Markdown::parse(&s) {
                assert_safe(render_markdown(&src).as_str());
            }
        }

        #[test]
        fn sanitize_html_is_idempotent_on_raw_html(s in markdownish()) {
            let once = sanitize_to_fixed_point(&s);
            prop_assert_eq!(sanitize_html(&once), once.clone());
            assert_safe(&once);
        }
    }
}
