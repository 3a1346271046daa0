//! Pins the sanitizer's allowlist from the outside (Cachet's sanitizer was once widened
//! silently by an upgrade): every tag,
//! attribute and URL scheme is pushed through `sanitize_html` and what survives must be
//! exactly the snapshot below, so any widening (a new tag, a new attribute, a new scheme, a
//! changed ammonia default) fails here. Four of ammonia's six advisories (RUSTSEC-2021-0074,
//! -2025-0071, -2026-0193, -2026-0213) only bite when svg, math or a raw-text element is
//! allowed; none of them ever may be.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use cachet_core::sanitize::{LINK_REL, render_markdown, sanitize_html};
use cachet_core::validate::Markdown;

/// HTML, SVG and MathML element names probed (WHATWG list plus the usual mXSS suspects).
const ELEMENTS: &[&str] = &[
    "a",
    "abbr",
    "address",
    "area",
    "article",
    "aside",
    "audio",
    "b",
    "base",
    "bdi",
    "bdo",
    "blockquote",
    "body",
    "br",
    "button",
    "canvas",
    "caption",
    "center",
    "cite",
    "code",
    "col",
    "colgroup",
    "data",
    "datalist",
    "dd",
    "del",
    "details",
    "dfn",
    "dialog",
    "dir",
    "div",
    "dl",
    "dt",
    "em",
    "embed",
    "fieldset",
    "figcaption",
    "figure",
    "font",
    "footer",
    "form",
    "frame",
    "frameset",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hgroup",
    "hr",
    "html",
    "i",
    "iframe",
    "image",
    "img",
    "input",
    "ins",
    "isindex",
    "kbd",
    "keygen",
    "label",
    "legend",
    "li",
    "link",
    "listing",
    "main",
    "map",
    "mark",
    "marquee",
    "math",
    "menu",
    "meta",
    "meter",
    "nav",
    "nobr",
    "noembed",
    "noframes",
    "noscript",
    "object",
    "ol",
    "optgroup",
    "option",
    "output",
    "p",
    "param",
    "picture",
    "plaintext",
    "portal",
    "pre",
    "progress",
    "q",
    "rp",
    "rt",
    "ruby",
    "s",
    "samp",
    "script",
    "search",
    "section",
    "select",
    "slot",
    "small",
    "source",
    "span",
    "strike",
    "strong",
    "style",
    "sub",
    "summary",
    "sup",
    "svg",
    "table",
    "tbody",
    "td",
    "template",
    "textarea",
    "tfoot",
    "th",
    "thead",
    "time",
    "title",
    "tr",
    "track",
    "tt",
    "u",
    "ul",
    "var",
    "video",
    "wbr",
    "xmp",
    "foreignobject",
    "animate",
    "set",
    "use",
    "mglyph",
    "malignmark",
    "mtext",
    "annotation-xml",
    "applet",
    "blink",
    "bgsound",
    "basefont",
];

/// Exactly the elements that survive (what Markdown produces, minus images and inputs).
const ALLOWED_ELEMENTS: &[&str] = &[
    "a",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
];

/// Never allowed, whatever else changes: the elements behind mutation XSS (foreign content,
/// raw-text and legacy parsing modes) and every element that loads, embeds or submits.
const NEVER: &[&str] = &[
    "svg",
    "math",
    "style",
    "noscript",
    "template",
    "iframe",
    "object",
    "embed",
    "form",
    "input",
    "img",
    "script",
    "textarea",
    "title",
    "xmp",
    "noembed",
    "noframes",
    "plaintext",
    "listing",
    "base",
    "meta",
    "link",
    "select",
    "option",
    "button",
    "frame",
    "frameset",
    "applet",
];

/// Wraps an element in the context the HTML parser needs to keep it at all.
fn probe(tag: &str) -> String {
    match tag {
        "td" | "th" => format!("<table><tbody><tr><{tag}>x</{tag}></tr></tbody></table>"),
        "tr" => "<table><tbody><tr><td>x</td></tr></tbody></table>".to_owned(),
        "thead" | "tbody" | "tfoot" => {
            format!("<table><{tag}><tr><td>x</td></tr></{tag}></table>")
        }
        "caption" | "colgroup" | "col" => {
            format!("<table><{tag}>x</{tag}><tr><td>x</td></tr></table>")
        }
        "li" => "<ul><li>x</li></ul>".to_owned(),
        "option" | "optgroup" => format!("<select><{tag}>x</{tag}></select>"),
        _ => format!("<p><{tag}>x</{tag}></p><{tag}>y</{tag}>"),
    }
}

/// Whether serialized output holds an opening tag `<name` (followed by `>`, space or `/`).
fn has_tag(html: &str, name: &str) -> bool {
    let needle = format!("<{name}");
    html.match_indices(&needle).any(|(i, _)| {
        matches!(
            html.as_bytes().get(i + needle.len()),
            Some(b'>' | b' ' | b'/')
        )
    })
}

#[test]
fn exactly_the_snapshot_elements_survive() {
    let kept: BTreeSet<&str> = ELEMENTS
        .iter()
        .copied()
        .filter(|t| has_tag(&sanitize_html(&probe(t)), t))
        .collect();
    let expected: BTreeSet<&str> = ALLOWED_ELEMENTS.iter().copied().collect();
    assert_eq!(kept, expected, "the sanitizer's element allowlist changed");
    for t in NEVER {
        assert!(!expected.contains(t), "{t} must never be allowed");
        let out = sanitize_html(&probe(t));
        assert!(!has_tag(&out, t), "{t} survived: {out}");
    }
}

/// Attributes probed on every allowed element.
const ATTRIBUTES: &[&str] = &[
    "href",
    "src",
    "title",
    "rel",
    "start",
    "class",
    "id",
    "name",
    "style",
    "target",
    "type",
    "lang",
    "dir",
    "width",
    "height",
    "align",
    "data-x",
    "srcdoc",
    "formaction",
    "action",
    "xlink:href",
    "background",
    "poster",
    "cite",
    "colspan",
    "rowspan",
    "scope",
    "reversed",
    "value",
    "tabindex",
    "accesskey",
    "contenteditable",
    "hidden",
    "slot",
    "is",
    "autofocus",
    "form",
    "ping",
    "download",
    "referrerpolicy",
    "integrity",
    "nonce",
    "popover",
    "onclick",
    "onerror",
    "onload",
    "onmouseover",
    "onfocus",
    "ontoggle",
    "onbegin",
    "onanimationstart",
    "onpointerenter",
    "oncontentvisibilityautostatechange",
];

fn value_for(attr: &str) -> &'static str {
    match attr {
        "href" | "src" | "cite" | "action" | "formaction" | "xlink:href" | "background"
        | "poster" | "ping" => "https://e.example/x",
        "start" | "colspan" | "rowspan" | "tabindex" | "value" => "3",
        "class" => "language-rust",
        _ => "v",
    }
}

#[test]
fn exactly_the_snapshot_attributes_survive_and_no_event_handler_ever() {
    let mut kept = BTreeSet::new();
    for el in ALLOWED_ELEMENTS {
        for attr in ATTRIBUTES {
            let html = probe(el).replacen(
                &format!("<{el}>"),
                &format!("<{el} {attr}=\"{}\">", value_for(attr)),
                1,
            );
            let out = sanitize_html(&html);
            if out.contains(&format!(" {attr}=")) {
                kept.insert(format!("{el}[{attr}]"));
            }
            assert!(
                !out.contains(" on"),
                "an event handler survived on {el}: {out}"
            );
        }
    }
    // `rel` is not kept from the input: ammonia sets it on every link (checked below).
    let expected: BTreeSet<String> = ["a[href]", "a[rel]", "a[title]", "code[class]", "ol[start]"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        kept, expected,
        "the sanitizer's attribute allowlist changed"
    );
}

#[test]
fn only_http_https_and_mailto_urls_survive_and_never_relative_ones() {
    let schemes = [
        "http",
        "https",
        "mailto",
        "javascript",
        "JaVaScRiPt",
        "data",
        "vbscript",
        "file",
        "ftp",
        "irc",
        "tel",
        "sms",
        "ssh",
        "bitcoin",
        "magnet",
        "geo",
        "blob",
        "about",
        "view-source",
        "ws",
        "wss",
        "chrome",
        "x-custom",
        "feed",
        "jar",
        "livescript",
    ];
    let mut kept = BTreeSet::new();
    for s in schemes {
        let out = sanitize_html(&format!("<a href=\"{s}:x@e.example\">x</a>"));
        if out.contains("href=") {
            kept.insert(s);
        }
    }
    assert_eq!(kept, BTreeSet::from(["http", "https", "mailto"]));
    for relative in [
        "/x",
        "//evil.example/x",
        "x",
        "#f",
        "?q=1",
        "\\\\evil.example",
        "./x",
        "../x",
    ] {
        let out = sanitize_html(&format!("<a href=\"{relative}\">x</a>"));
        assert!(
            !out.contains("href="),
            "relative URL {relative:?} kept: {out}"
        );
    }
}

#[test]
fn every_link_gets_the_fixed_rel_and_comments_go() {
    let out = sanitize_html(
        "<a href=\"https://e.example\" rel=\"opener\" target=\"_blank\">x</a><!-- c -->",
    );
    assert_eq!(
        out,
        format!("<a href=\"https://e.example\" rel=\"{LINK_REL}\">x</a>")
    );
    assert_eq!(LINK_REL, "noopener noreferrer nofollow ugc");
}

#[test]
fn the_markdown_pipeline_emits_nothing_outside_the_snapshot() {
    // Markdown exercising every construct the renderer knows, plus raw HTML.
    let src = "# h1\n## h2\n### h3\n#### h4\n##### h5\n###### h6\n\n*em* **strong** ~~del~~ `code`\n\n\
               > quote\n\n- a\n- [x] done\n\n3. three\n\n```rust\nfn x() {}\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n\
               ---\n\nline  \nbreak [l](https://e.example \"t\") ![i](https://e.example/i.png) <svg><script>x</script>";
    let html = render_markdown(&Markdown::parse(src).unwrap());
    let mut seen = BTreeSet::new();
    for el in ELEMENTS {
        if has_tag(html.as_str(), el) {
            seen.insert(*el);
        }
    }
    let allowed: BTreeSet<&str> = ALLOWED_ELEMENTS.iter().copied().collect();
    assert!(seen.is_subset(&allowed), "{seen:?} in {}", html.as_str());
    assert!(
        seen.contains("table") && seen.contains("h6") && seen.contains("del"),
        "{seen:?}"
    );
}
