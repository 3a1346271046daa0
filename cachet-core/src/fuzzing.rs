//! Fuzz harnesses (feature `fuzzing`): one function per cargo-fuzz target, holding the
//! target's assertions.
//!
//! # Why here and not in `fuzz/`
//!
//! The targets in `fuzz/fuzz_targets/` are one-liners that call these functions, so the
//! assertions live next to the code they check (and can reach crate-private parsers such as
//! the API's list parameters), and the ordinary test suite replays every committed corpus and
//! regression input through exactly the same code without libFuzzer
//! (`cachet-core/tests/fuzz_regressions.rs`). [`TARGETS`] lists them all.
//!
//! Every function takes arbitrary bytes, must never panic except on a broken invariant, and
//! states its invariants in its doc comment. The async ones run on one current-thread tokio
//! runtime per process and share one seeded site that is rebuilt every
//! [`SITE_REBUILD_EVERY`] inputs, so writes made by earlier inputs cannot grow memory
//! without bound during a long run.
//!
//! **Not covered by semver.**

#![allow(clippy::missing_panics_doc)]

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use http::{Method, Request, Response};
use serde_json::Value;

use crate::auth::csrf;
use crate::auth::session::CookiePolicy;
use crate::auth::tokens;
use crate::auth::totp;
use crate::clock::{Clock, ManualClock};
use crate::sanitize::{LINK_REL, render_markdown, sanitize_html};
use crate::template;
use crate::testing::http::{PASSWORD, Site, TokenKind};
use crate::validate::{
    Email, HttpUrl, Locale, Markdown, Meta, MetricValue, Name, Order, PhoneNumber, Places, Slug,
    Text, Threshold, TimeZoneName,
};
use crate::web::RequestContext;
use crate::web::input::Input;
use crate::{Cachet, LoginOutcome};

/// A harness: arbitrary bytes in, panics only on a broken invariant.
pub type Harness = fn(&[u8]);

/// Every target by name, in the order of `fuzz/Cargo.toml`.
pub const TARGETS: &[(&str, Harness)] = &[
    ("markdown_sanitize", markdown_sanitize),
    ("validate_inputs", validate_inputs),
    ("template_render", template_render),
    ("api_v1_json", api_v1_json),
    ("form_and_query", form_and_query),
    ("cookie_and_token", cookie_and_token),
    ("totp_input", totp_input),
    ("web_request", web_request),
    ("dashboard_forms", dashboard_forms),
];

/// How many inputs share one site before it is built afresh.
pub const SITE_REBUILD_EVERY: u32 = 20_000;

// ---------------------------------------------------------------------------------------------
// The HTML oracle
// ---------------------------------------------------------------------------------------------

/// The elements sanitized HTML may contain (what Markdown produces, minus images and inputs).
/// `html` and `body` are the wrappers scraper adds when it parses a fragment (a `<body>` tag
/// in the input is ignored by fragment parsing, and any attribute on them fails the check).
const SAFE_ELEMENTS: &[&str] = &[
    "html",
    "body",
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

/// Elements that must never appear, named for clearer failure messages (all are also outside
/// [`SAFE_ELEMENTS`]).
const NEVER_ELEMENTS: &[&str] = &[
    "script", "svg", "math", "style", "iframe", "form", "img", "object", "embed", "noscript",
    "template", "base", "meta", "link", "input", "textarea", "button",
];

/// Whether a URL attribute value (already entity-decoded by the parser) uses an allowed
/// scheme, after removing what browsers ignore (whitespace and control characters) and
/// folding case.
fn url_is_safe(value: &str) -> bool {
    let folded: String = value
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    folded.starts_with("http:") || folded.starts_with("https:") || folded.starts_with("mailto:")
}

/// Parses `html` as a browser would (html5ever, body context) and panics on any element,
/// attribute or URL the sanitizer must not let through.
///
/// This is the hostile-input oracle the tests and fuzz targets share: the check walks the
/// parsed DOM, never the serialized string, so entity-encoded schemes and parser mutations
/// are judged as a browser would see them.
pub fn assert_html_is_safe(html: &str) {
    let doc = scraper::Html::parse_fragment(html);
    for node in doc.tree.nodes() {
        let Some(el) = node.value().as_element() else {
            continue;
        };
        let name = el.name();
        assert!(
            !NEVER_ELEMENTS.contains(&name),
            "forbidden element <{name}> in {html:?}"
        );
        assert!(
            SAFE_ELEMENTS.contains(&name),
            "element <{name}> outside the allowlist in {html:?}"
        );
        for (attr, value) in el.attrs() {
            let attr = attr.to_ascii_lowercase();
            assert!(!attr.starts_with("on"), "event handler {attr} in {html:?}");
            assert!(
                matches!(
                    (name, attr.as_str()),
                    ("a", "href" | "title" | "rel") | ("ol", "start") | ("code", "class")
                ),
                "attribute {attr} on <{name}> in {html:?}"
            );
            if attr == "href" {
                assert!(url_is_safe(value), "href {value:?} in {html:?}");
            }
            if attr == "rel" {
                assert_eq!(value, LINK_REL, "rel changed in {html:?}");
            }
        }
    }
}

/// Arbitrary bytes as text (libFuzzer's `&str` targets skip invalid UTF-8 the same way).
fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

// ---------------------------------------------------------------------------------------------
// Pure targets
// ---------------------------------------------------------------------------------------------

/// Markdown rendering and sanitizing.
///
/// * Markdown through [`render_markdown`]: no disallowed element, no `on*` attribute, no URL
///   outside http/https/mailto survives (checked on the parsed DOM), and sanitizing the
///   output again changes nothing.
/// * The same bytes as raw HTML through one pass of [`sanitize_html`]: safe by the same
///   oracle (idempotence is only promised after [`render_markdown`]'s fixed-point loop).
pub fn markdown_sanitize(data: &[u8]) {
    let Some(s) = text(data) else { return };
    if let Ok(src) = Markdown::parse(s) {
        let html = render_markdown(&src);
        let out = html.as_str();
        assert_eq!(
            sanitize_html(out),
            out,
            "sanitizing again changed the output"
        );
        assert_html_is_safe(out);
    }
    // Raw HTML is bounded like Markdown sources are, so one input cannot take minutes.
    if s.len() <= Markdown::MAX_BYTES {
        assert_html_is_safe(&sanitize_html(s));
    }
}

/// Whether a single-line value holds a character a single-line field must refuse.
fn has_line_breaking_or_bidi(s: &str) -> bool {
    s.chars().any(|c| {
        c.is_control()
            || c == '\u{2028}'
            || c == '\u{2029}'
            || matches!(
                c,
                '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
            )
    })
}

/// Every validator on arbitrary text: never panics; accepted values are fixed points of
/// their parser and satisfy their invariants (single-line values hold no control or bidi
/// characters; header-bound values hold no CR/LF; URLs are http/https only; slugs cannot
/// traverse a path; phone numbers are E.164 and never shown in full by `Debug`).
pub fn validate_inputs(data: &[u8]) {
    let Some(s) = text(data) else { return };
    if let Ok(v) = Name::parse(s) {
        assert!(!v.as_str().is_empty());
        assert!(!has_line_breaking_or_bidi(v.as_str()), "name {v:?}");
        assert_eq!(v.as_str(), v.as_str().trim());
        assert_eq!(Name::parse(v.as_str()).as_ref(), Ok(&v));
    }
    if let Ok(v) = Text::parse(s) {
        assert!(
            !v.as_str()
                .chars()
                .any(|c| (c.is_control() && c != '\n' && c != '\t')
                    || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')),
            "text {v:?}"
        );
        assert_eq!(Text::parse(v.as_str()).as_ref(), Ok(&v));
    }
    if let Ok(v) = Email::parse(s) {
        let e = v.as_str();
        assert!(
            !e.chars().any(|c| c.is_control() || c.is_whitespace()),
            "email {e:?}"
        );
        assert_eq!(e.matches('@').count(), 1, "email {e:?}");
        assert!(!e.contains(['<', '>', '"', '\\', ',', ';']), "email {e:?}");
        assert_eq!(Email::parse(e).as_ref(), Ok(&v));
    }
    if let Ok(v) = HttpUrl::parse(s) {
        let u = v.as_str();
        assert!(
            u.starts_with("http://") || u.starts_with("https://"),
            "url {u:?}"
        );
        assert!(u.bytes().all(|b| b.is_ascii_graphic()), "url {u:?}");
        assert!(!u.contains(['"', '\'', '<', '>', '\\', '`']), "url {u:?}");
        assert_eq!(HttpUrl::parse(u).as_ref(), Ok(&v));
    }
    if let Ok(v) = PhoneNumber::parse(s) {
        let e = v.as_str();
        let digits = e.strip_prefix('+').unwrap_or("");
        assert!(
            !digits.is_empty()
                && digits.len() <= PhoneNumber::MAX_DIGITS
                && digits.bytes().all(|b| b.is_ascii_digit()),
            "phone {v:?} is not E.164"
        );
        let region = v.region();
        assert!(
            region.len() == 2 && region.bytes().all(|b| b.is_ascii_uppercase()),
            "phone {v:?} region {region:?}"
        );
        assert!(
            !format!("{v:?}").contains(digits),
            "phone Debug shows the number"
        );
        assert_eq!(PhoneNumber::parse(e).as_ref(), Ok(&v));
    }
    if let Ok(v) = Markdown::parse(s) {
        assert!(!v.as_str().contains('\r'), "markdown keeps CR");
        assert_eq!(Markdown::parse(v.as_str()).as_ref(), Ok(&v));
    }
    for slug in [Slug::parse(s).ok(), Slug::from_name(s)]
        .into_iter()
        .flatten()
    {
        let t = slug.as_str();
        assert!(!t.is_empty() && t.len() <= Slug::MAX_CHARS, "slug {t:?}");
        assert!(
            t.split('-').all(|run| !run.is_empty()
                && run
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())),
            "slug {t:?}"
        );
    }
    if let Ok(v) = Locale::parse(s) {
        assert!(
            v.as_str()
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-'),
            "locale {v:?}"
        );
    }
    if let Ok(v) = TimeZoneName::parse(s) {
        assert!(!v.as_str().split('/').any(|seg| seg == ".." || seg == "."));
        assert!(!v.as_str().contains(['\r', '\n', '\\']));
    }
    if let Ok(v) = MetricValue::parse(s) {
        assert!(v.as_f64().is_finite());
        assert_eq!(MetricValue::from_millis(v.millis()), Ok(v));
    }
    if let Ok(m) = Meta::parse_json(s) {
        let again = Meta::parse_json(&m.to_json())
            .unwrap_or_else(|v| panic!("meta {m:?} does not parse again: {v}"));
        // serde_json (without its `float_roundtrip` feature) may read a long decimal one ULP
        // off, so a float can drift by an ULP per store round trip; everything else must be
        // exact (fuzz/regressions/validate_inputs/crash-31e21a5c…).
        assert!(
            json_close(
                &Value::Object(again.as_map().clone().into_iter().collect()),
                &Value::Object(m.as_map().clone().into_iter().collect())
            ),
            "meta changed on a round trip: {m:?} -> {again:?}"
        );
    }
    if let Ok(n) = s.trim().parse::<i64>() {
        if let Ok(o) = Order::new(n) {
            assert_eq!(i64::from(o.get()), n);
        }
        if let Ok(p) = Places::new(n) {
            assert_eq!(i64::from(p.get()), n);
        }
        let _ = Threshold::new(n);
    }
}

/// JSON equality, except that floats may differ by a few ULPs.
fn json_close(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            _ if x == y => true,
            (Some(x), Some(y)) => (x - y).abs() <= (x.abs().max(y.abs()) * 1e-15),
            _ => false,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_close(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_close(v, w)))
        }
        _ => a == b,
    }
}

/// Minimal HTML text decoding for the template oracle (what ammonia's serializer emits).
fn decode_html_text(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

/// Logic-less incident templates: a variable's value is inert text.
///
/// The first line of the input is a template, the rest a variable value. Rendering never
/// panics; the value alone in a fixed prose template (`Update: {{ v }} (end)`) renders to
/// exactly one paragraph holding the value's text (line breaks as spaces), so nothing in a
/// value can open a link, emphasis, code, a heading, raw HTML or any other markup. The
/// arbitrary template renders through the sanitizer safely.
pub fn template_render(data: &[u8]) {
    let Some(s) = text(data) else { return };
    let (tpl, value) = s.split_once('\n').unwrap_or((s, ""));
    let mut vars = template::Vars::new();
    if vars.insert("v", value).is_err() {
        return;
    }
    let _ = vars.insert("incident.name", value);
    // The fuzzed template itself.
    if let Ok(t) = Markdown::parse(tpl)
        && let Ok(out) = template::render(&t, &vars)
    {
        assert_html_is_safe(render_markdown(&out).as_str());
        let _ = template::check(&t, &vars);
    }
    // The value in fixed prose.
    let Ok(fixed) = Markdown::parse("Update: {{ v }} (end)") else {
        return;
    };
    let Ok(out) = template::render(&fixed, &vars) else {
        return;
    };
    let html = render_markdown(&out);
    let html = html.as_str().trim_end();
    let inner = html
        .strip_prefix("<p>")
        .and_then(|h| h.strip_suffix("</p>"))
        .unwrap_or_else(|| panic!("value escaped its paragraph: {html:?}"));
    assert!(
        !inner.contains('<'),
        "value produced markup: {value:?} -> {html:?}"
    );
    let squash = |t: &str| -> String {
        t.chars()
            .filter(|c| !c.is_whitespace() && *c != '\u{fffd}' && *c != '\0')
            .collect()
    };
    let expected = format!("Update: {value} (end)");
    assert_eq!(
        squash(&decode_html_text(inner)),
        squash(&expected),
        "value text changed: {value:?} -> {html:?}"
    );
}

/// Session cookie parsing, [`CookiePolicy::read`], API token parsing, CSRF token
/// verification and signed-link verification on arbitrary input: never panics, and nothing
/// forged from the input verifies.
pub fn cookie_and_token(data: &[u8]) {
    let Some(s) = text(data) else { return };
    let keyring = fixed_keyring();
    let url_https = HttpUrl::parse("https://status.example.com").ok();
    let url_http = HttpUrl::parse("http://127.0.0.1:8080").ok();
    for url in [url_https, url_http].into_iter().flatten() {
        let policy = CookiePolicy::for_public_url(&url, false);
        if let Some(v) = policy.read(s) {
            assert_eq!(v.len(), 43, "session id {v:?}");
            assert!(
                v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "session id {v:?}"
            );
            assert!(s.contains(v));
        }
    }
    if tokens::is_well_formed_api_token(s) {
        assert!(s.starts_with(tokens::API_TOKEN_PREFIX));
        assert!(!s.contains(['\r', '\n', ' ']));
    }
    let _ = tokens::hash_secret(s);
    if let Some(code) = tokens::normalize_recovery_code(s) {
        assert_eq!(code.len(), 24);
        assert_eq!(
            tokens::normalize_recovery_code(&code).as_deref(),
            Some(&*code)
        );
    }
    // CSRF: a token that verifies must be exactly the one the key issues.
    let session = tokens::hash_secret("fuzz-session");
    if csrf::verify_session_token(&keyring, &session, Some(s)).is_ok() {
        let issued = csrf::session_token(&keyring, &session);
        // Base64 without padding has one spelling per tag, so only the issued token passes.
        assert_eq!(s, issued, "a forged CSRF token verified");
    }
    let now = ManualClock::at_epoch_2026().now();
    for form in ["subscribe", "login", "setup"] {
        if csrf::verify_visitor_token(&keyring, form, Some(s), now).is_ok() {
            // Re-issue a token for the same expiry: its tag must be the one presented.
            let expires: i64 = s
                .split('.')
                .nth(1)
                .and_then(|e| e.parse().ok())
                .unwrap_or(0);
            let issued_at =
                chrono::DateTime::from_timestamp(expires, 0).map(|t| t - csrf::VISITOR_TOKEN_TTL);
            let genuine = issued_at
                .map(|t| csrf::visitor_token(&keyring, form, t, csrf::VISITOR_TOKEN_TTL))
                .unwrap_or_default();
            assert_eq!(
                s.rsplit('.').next(),
                genuine.rsplit('.').next(),
                "a forged visitor token verified for {form}"
            );
        }
    }
    let _ = csrf::check_origin("https://status.example.com", Some(s), None);
    let _ = csrf::check_origin("https://status.example.com", None, Some(s));
    // Signed links: no forged token verifies for either purpose.
    for purpose in [
        crate::notify::links::LinkPurpose::Manage,
        crate::notify::links::LinkPurpose::Unsubscribe,
    ] {
        if let Some(id) = crate::notify::links::verify(&keyring, purpose, s) {
            let genuine = crate::notify::links::sign(&keyring, purpose, id);
            assert_eq!(
                s.rsplit('.').next(),
                genuine.rsplit('.').next(),
                "a forged link token verified"
            );
        }
    }
}

/// TOTP code parsing and verification on a [`ManualClock`]: never panics; a code is accepted
/// only for the current step or one either side, only when it is that step's code, and never
/// again for the step it matched or an earlier one (replay).
pub fn totp_input(data: &[u8]) {
    const SECRET: &[u8; 20] = b"cachet-rs-fuzz-totp!";
    if data.len() < 8 {
        return;
    }
    let mut seconds = [0u8; 8];
    seconds.copy_from_slice(&data[..8]);
    // A moment between 1970 and about 2100, from the first eight bytes.
    let secs = i64::from_le_bytes(seconds).rem_euclid(4_102_444_800);
    let Some(now) = chrono::DateTime::from_timestamp(secs, 0) else {
        return;
    };
    let Some(s) = text(&data[8..]) else { return };
    let current = totp::step_of(now);
    // The fuzzed code, and the genuine codes of the steps around now (so acceptance is
    // reached every run, not only when the fuzzer guesses a code).
    let mut codes = vec![s.to_owned()];
    for step in current - 2..=current + 2 {
        if let Some(c) = totp::code_for_step(SECRET, step) {
            codes.push(c.clone());
            codes.push(format!("{s}{c}"));
        }
    }
    let last = s.len().checked_rem(3).map(|k| current - 1 + k as i64);
    for code in &codes {
        for last_step in [None, last] {
            let Some(step) = totp::matching_step(SECRET, code, now, last_step) else {
                continue;
            };
            assert!((current - 1..=current + 1).contains(&step), "step {step}");
            assert!(last_step.is_none_or(|l| step > l), "stale step accepted");
            assert_eq!(
                totp::code_for_step(SECRET, step).as_deref(),
                Some(code.trim()),
                "a code that is not the step's code was accepted"
            );
            // Once its step is recorded, the code never matches that step or an earlier one
            // again. It may match a *later* step only if that step's code happens to be the
            // same six digits (a one-in-a-million coincidence the fuzzer found:
            // fuzz/regressions/totp_input/crash-d221b595…): that is the later step's genuine
            // code, not a replay.
            if let Some(again) = totp::matching_step(SECRET, code, now, Some(step)) {
                assert!(again > step, "replay accepted: step {again} after {step}");
                assert_eq!(
                    totp::code_for_step(SECRET, again).as_deref(),
                    Some(code.trim()),
                    "replay accepted"
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Targets against a whole site
// ---------------------------------------------------------------------------------------------

/// The keyring of every fuzz site (a fixed key: fuzzing needs no secrecy).
fn fixed_keyring() -> crate::secrets::Keyring {
    crate::secrets::Keyring::new(1, crate::secrets::SecretKey::from_bytes([7; 32]))
}

/// A seeded site with credentials for every kind of caller.
struct FuzzSite {
    cachet: Cachet,
    /// An admin's admin-scope API token.
    admin_token: String,
    /// A manager's write-scope API token.
    writer_token: String,
    /// `Cookie` header value of an admin's live session.
    cookie: String,
    /// That session's CSRF synchronizer token.
    csrf: String,
}

/// Builds the shared site ahead of the first input (the `init:` of the site targets), so its
/// password hashing does not count against libFuzzer's per-input timeout.
pub fn init() {
    drop(site());
}

/// One runtime per process.
fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap_or_else(|e| panic!("fuzz runtime: {e}"))
    })
}

/// The shared site and how many inputs it has served.
static SITE: Mutex<Option<(Arc<FuzzSite>, u32)>> = Mutex::new(None);

/// The current site, rebuilt every [`SITE_REBUILD_EVERY`] inputs.
fn site() -> Arc<FuzzSite> {
    let mut guard = SITE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((site, used)) = guard.as_mut()
        && *used < SITE_REBUILD_EVERY
    {
        *used += 1;
        return site.clone();
    }
    let site = Arc::new(runtime().block_on(build_site()));
    *guard = Some((site.clone(), 1));
    site
}

/// Builds a site over a fresh in-memory store: rate limits out of the way (the clock is
/// manual, so a limit would turn every later input into a 429), the store's deadlines too (a
/// render under AddressSanitizer or on a loaded machine can take over the default second, and
/// a render given up is an outage answer, a 503 that is no finding), one of every kind of
/// content, two API tokens and a signed-in admin session.
async fn build_site() -> FuzzSite {
    let configure: crate::testing::http::Configure = |c| {
        let lots = crate::web::Limit::new(u32::MAX, std::time::Duration::from_secs(1));
        c.web.rate_limits.api_per_token = lots;
        c.web.rate_limits.api_per_address = lots;
        let patient = std::time::Duration::from_secs(120);
        c.web.snapshot.render_deadline = patient;
        c.web.snapshot.revision_deadline = patient;
    };
    let mut site = Site::new("", Some(configure)).unwrap_or_else(|e| panic!("site: {e}"));
    let admin_token = site
        .token(TokenKind::Admin)
        .await
        .unwrap_or_else(|e| panic!("token: {e}"));
    let writer_token = site
        .token(TokenKind::ManagerWrite)
        .await
        .unwrap_or_else(|e| panic!("token: {e}"));
    let cachet = site.cachet.clone();
    for (path, body) in SEED {
        let resp = send(
            &cachet,
            "POST",
            path,
            &[("x-cachet-token", &admin_token)],
            body.as_bytes(),
        )
        .await
        .unwrap_or_else(|| panic!("seed request {path}"));
        assert!(
            resp.status().is_success(),
            "seeding {path} {body}: {} {}",
            resp.status(),
            String::from_utf8_lossy(resp.body())
        );
    }
    let ticket = match cachet
        .login("admin@example.com", PASSWORD, None, Some("fuzz"), None)
        .await
    {
        Ok(LoginOutcome::SignedIn(t)) => t,
        other => panic!("fuzz login: {other:?}"),
    };
    let actor = match cachet.resolve_session(&ticket.secret, None).await {
        Ok(crate::SessionLookup::Active(a)) => a,
        other => panic!("fuzz session: {other:?}"),
    };
    let csrf = cachet.csrf_token(&actor).unwrap_or_default();
    let cookie = format!("{}={}", cachet.cookie_policy().name(), ticket.secret);
    FuzzSite {
        cachet,
        admin_token,
        writer_token,
        cookie,
        csrf,
    }
}

/// The content every site starts with (ids 1 of each kind).
const SEED: &[(&str, &str)] = &[
    (
        "/api/v1/components/groups",
        r#"{"name":"Core","collapsed":0}"#,
    ),
    (
        "/api/v1/components",
        r#"{"name":"API","status":1,"description":"The *API*","link":"https://api.example.com","group_id":1,"tags":"edge,eu"}"#,
    ),
    ("/api/v1/components", r#"{"name":"Website","status":2}"#),
    (
        "/api/v1/incidents",
        r#"{"name":"Slow API","message":"We are **looking** into it. [status](https://example.com)","status":2,"visible":1,"component_id":1,"component_status":3}"#,
    ),
    (
        "/api/v1/incidents/1/updates",
        r#"{"message":"Fixed.","status":4}"#,
    ),
    (
        "/api/v1/metrics",
        r#"{"name":"Latency","suffix":"ms","description":"p95","default_value":0}"#,
    ),
    ("/api/v1/metrics/1/points", r#"{"value":42}"#),
    (
        "/api/v1/schedules",
        r#"{"name":"DB upgrade","message":"Maintenance","status":0,"scheduled_at":"2026-01-02 10:00","completed_at":"2026-01-02 12:00"}"#,
    ),
    (
        "/api/v1/subscribers",
        r#"{"email":"sub@example.com","verify":true}"#,
    ),
];

/// Sends one request through [`Cachet::handle`] from a fixed peer; `None` when the request
/// cannot be built (an adapter would never receive it).
async fn send(
    cachet: &Cachet,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Option<Response<Bytes>> {
    let mut b = Request::builder().method(method).uri(uri);
    let mut has_ct = false;
    for (k, v) in headers {
        has_ct |= k.eq_ignore_ascii_case("content-type");
        b = b.header(*k, *v);
    }
    if !body.is_empty() && !has_ct {
        b = b.header("content-type", "application/json");
    }
    // A method, URI or header the `http` crate refuses never reaches a server.
    let req = b.body(Bytes::copy_from_slice(body)).ok()?;
    Some(cachet.handle(req, context()).await)
}

fn context() -> RequestContext {
    RequestContext {
        peer: "192.0.2.10:40000".parse().ok(),
        principal: None,
    }
}

/// The invariants of every answer: not a 5xx, and the security headers present.
fn assert_sound(what: &str, resp: &Response<Bytes>) {
    assert!(
        !resp.status().is_server_error(),
        "{what}: {} {}",
        resp.status(),
        String::from_utf8_lossy(resp.body())
    );
    assert_eq!(
        resp.headers()
            .get("x-content-type-options")
            .and_then(|v| v.to_str().ok()),
        Some("nosniff"),
        "{what}: no nosniff"
    );
}

/// API v1 routes the JSON target aims at (method, path); `{id}` stays a literal 1.
const API_ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/v1/components"),
    ("POST", "/api/v1/components"),
    ("PUT", "/api/v1/components/1"),
    ("DELETE", "/api/v1/components/2"),
    ("GET", "/api/v1/components/groups"),
    ("POST", "/api/v1/components/groups"),
    ("PUT", "/api/v1/components/groups/1"),
    ("GET", "/api/v1/incidents"),
    ("POST", "/api/v1/incidents"),
    ("PUT", "/api/v1/incidents/1"),
    ("GET", "/api/v1/incidents/1/updates"),
    ("POST", "/api/v1/incidents/1/updates"),
    ("PUT", "/api/v1/incidents/1/updates/1"),
    ("GET", "/api/v1/incidents/templates"),
    ("POST", "/api/v1/incidents/templates"),
    ("GET", "/api/v1/metrics"),
    ("POST", "/api/v1/metrics"),
    ("PUT", "/api/v1/metrics/1"),
    ("GET", "/api/v1/metrics/1/points"),
    ("POST", "/api/v1/metrics/1/points"),
    ("GET", "/api/v1/schedules"),
    ("POST", "/api/v1/schedules"),
    ("PUT", "/api/v1/schedules/1"),
    ("GET", "/api/v1/subscribers"),
    ("POST", "/api/v1/subscribers"),
    ("POST", "/api/v1/subscribers/1/subscriptions"),
    ("GET", "/api/v1/status"),
    ("GET", "/api/v1/ping"),
];

/// Arbitrary JSON bodies and query strings against API v1 as an admin token's holder (and a
/// write token's, for the odd first byte): never panics, never 5xx, errors in Cachet's
/// envelope.
///
/// Input: byte 0 picks the route, byte 1 the caller, then the query string up to the first
/// newline, then the body.
pub fn api_v1_json(data: &[u8]) {
    let [route, who, rest @ ..] = data else {
        return;
    };
    let (method, path) = API_ROUTES[usize::from(*route) % API_ROUTES.len()];
    let (query, body) = match rest.iter().position(|b| *b == b'\n') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (&rest[..0], rest),
    };
    let query: String = String::from_utf8_lossy(query)
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .collect();
    let uri = if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    };
    let site = site();
    let token = if who % 2 == 0 {
        &site.admin_token
    } else {
        &site.writer_token
    };
    let Some(resp) = runtime().block_on(send(
        &site.cachet,
        method,
        &uri,
        &[("x-cachet-token", token)],
        body,
    )) else {
        return;
    };
    assert_sound(&format!("{method} {uri}"), &resp);
    if resp.status().is_client_error() && resp.status() != http::StatusCode::NOT_FOUND {
        let json: Value = serde_json::from_slice(resp.body()).unwrap_or(Value::Null);
        assert!(
            json["errors"].is_array(),
            "{method} {uri}: {} without Cachet's envelope: {}",
            resp.status(),
            String::from_utf8_lossy(resp.body())
        );
    }
}

/// The lenient input reader (`web::input`) and the API's list parameters (`page`, `per_page`,
/// `sort`, `order`, scalar filters): never panic; pages are clamped to their documented
/// ranges; a filter is only ever read from a scalar.
///
/// Input: byte 0 picks the content type, then the query string up to the first newline,
/// then the body.
pub fn form_and_query(data: &[u8]) {
    const CONTENT_TYPES: &[&str] = &[
        "application/json",
        "application/x-www-form-urlencoded",
        "text/plain",
        "",
        "application/json; charset=utf-8",
        "multipart/form-data; boundary=x",
    ];
    let [ct, rest @ ..] = data else { return };
    let (query, body) = match rest.iter().position(|b| *b == b'\n') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &rest[..0]),
    };
    let query: String = String::from_utf8_lossy(query)
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .collect();
    let mut b = Request::builder().method("POST").uri(format!("/x?{query}"));
    let content_type = CONTENT_TYPES[usize::from(*ct) % CONTENT_TYPES.len()];
    if !content_type.is_empty() {
        b = b.header("content-type", content_type);
    }
    let Ok(req) = b.body(Bytes::copy_from_slice(body)) else {
        return;
    };
    let Ok(input) = Input::from_request(&req, 32) else {
        return;
    };
    let keys: BTreeSet<String> = input.keys().map(str::to_owned).collect();
    for key in &keys {
        assert!(input.get(key).is_none_or(|v| !v.is_null()));
        let _ = input.object(key);
    }
    for key in [
        "name",
        "status",
        "page",
        "per_page",
        "sort",
        "order",
        "id",
        "enabled",
        "visible",
        "component_ids",
        "vars",
        "meta",
        "email",
        "components",
    ] {
        if let Ok(Some(t)) = input.text(key) {
            assert!(
                input
                    .get(key)
                    .is_some_and(|v| !v.is_array() && !v.is_object()),
                "text {key} read from a list or an object: {t:?}"
            );
        }
        let _ = input.bool(key);
        let _ = input.int(key);
        if let Ok(Some(list)) = input.int_list(key) {
            assert!(list.len() <= 10_000);
        }
    }
    // The list parameters of API v1 (`page`, `per_page`, `sort`, `order`, filters), through
    // the real readers behind a list route.
    let site = site();
    let uri = format!("/api/v1/components?{query}");
    let Some(resp) = runtime().block_on(send(&site.cachet, "GET", &uri, &[], &[])) else {
        return;
    };
    assert_sound(&uri, &resp);
    let status = resp.status().as_u16();
    assert!(
        matches!(status, 200 | 400 | 304),
        "{uri}: {status} {}",
        String::from_utf8_lossy(resp.body())
    );
    if status == 200 {
        let json: Value = serde_json::from_slice(resp.body()).unwrap_or(Value::Null);
        let per_page = json["meta"]["pagination"]["per_page"].as_u64().unwrap_or(0);
        assert!((1..=1000).contains(&per_page), "{uri}: per_page {per_page}");
        let rows = json["data"].as_array().map_or(0, Vec::len);
        assert!(
            rows as u64 <= per_page,
            "{uri}: {rows} rows on a page of {per_page}"
        );
    }
}

/// How a request of the web target authenticates.
#[derive(Clone, Copy)]
enum Caller {
    Guest,
    Session,
    Token,
}

/// Decodes `METHOD SP PATH LF (NAME: VALUE LF)* LF BODY` leniently into a request; `None`
/// when `http` refuses the method, path or a header.
fn decode_request(text: &str, body: &[u8], extra: &[(&str, String)]) -> Option<Request<Bytes>> {
    let mut lines = text.split('\n');
    let first = lines.next()?;
    let (method, path) = first.split_once(' ').unwrap_or(("GET", first));
    let path = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    let mut b = Request::builder()
        .method(Method::from_bytes(method.as_bytes()).ok()?)
        .uri(path);
    for line in lines {
        if line.is_empty() {
            break;
        }
        let (k, v) = line.split_once(':')?;
        b = b.header(k.trim(), v.trim());
    }
    for (k, v) in extra {
        b = b.header(*k, v.as_str());
    }
    b.body(Bytes::copy_from_slice(body)).ok()
}

/// Arbitrary method, path, headers and body against the whole web layer of a seeded site, as
/// a guest, with an admin's session cookie (and its CSRF token and a same-origin `Origin`),
/// and with an admin's API token: never panics, never 5xx, security headers on every answer.
///
/// Input: byte 0 picks the caller; then the request head as text, a blank line, the body.
pub fn web_request(data: &[u8]) {
    let [who, rest @ ..] = data else { return };
    let caller = match who % 3 {
        0 => Caller::Guest,
        1 => Caller::Session,
        _ => Caller::Token,
    };
    let split = rest.windows(2).position(|w| w == b"\n\n");
    let (head, body) = match split {
        Some(i) => (&rest[..i + 1], &rest[i + 2..]),
        None => (rest, &rest[..0]),
    };
    let Some(head) = text(head) else { return };
    web_request_as(caller, head, body);
}

fn web_request_as(caller: Caller, head: &str, body: &[u8]) {
    let site = site();
    let extra: Vec<(&str, String)> = match caller {
        Caller::Guest => Vec::new(),
        Caller::Session => vec![
            ("cookie", site.cookie.clone()),
            ("origin", "https://status.example.com".to_owned()),
            ("x-csrf-token", site.csrf.clone()),
        ],
        Caller::Token => vec![("x-cachet-token", site.admin_token.clone())],
    };
    let Some(req) = decode_request(head, body, &extra) else {
        return;
    };
    let what = format!("{} {}", req.method(), req.uri());
    let resp = runtime().block_on(site.cachet.handle(req, context()));
    assert_sound(&what, &resp);
}

/// The sign-in flow, the one-time setup and the dashboard's forms (`/auth/login`,
/// `/auth/2fa`, `/auth/logout`, `/setup`, `/dashboard/...`) with arbitrary form bodies, as a
/// guest and as a signed-in admin with a valid CSRF token: never panics, never 5xx.
///
/// Input: byte 0 picks the route and the caller, the rest is the form body (sent as
/// `application/x-www-form-urlencoded`, with the session's `_token` appended for the admin).
pub fn dashboard_forms(data: &[u8]) {
    const ROUTES: &[(&str, &str)] = &[
        ("POST", "/auth/login"),
        ("POST", "/auth/2fa"),
        ("POST", "/auth/logout"),
        ("POST", "/auth/reset"),
        ("POST", "/setup"),
        ("GET", "/dashboard"),
        ("POST", "/dashboard/components"),
        ("POST", "/dashboard/components/1"),
        ("POST", "/dashboard/incidents"),
        ("POST", "/dashboard/incidents/1"),
        ("POST", "/dashboard/incidents/1/updates"),
        ("POST", "/dashboard/schedules"),
        ("POST", "/dashboard/metrics"),
        ("POST", "/dashboard/subscribers"),
        ("POST", "/dashboard/templates"),
        ("POST", "/dashboard/settings"),
        ("POST", "/dashboard/users"),
        ("POST", "/dashboard/user"),
        ("POST", "/dashboard/user/password"),
        ("POST", "/dashboard/user/2fa"),
        ("POST", "/dashboard/tokens"),
        ("POST", "/subscribe"),
    ];
    let [pick, body @ ..] = data else { return };
    let (method, path) = ROUTES[usize::from(*pick >> 1) % ROUTES.len()];
    let site = site();
    let mut headers: Vec<(&str, String)> = vec![(
        "content-type",
        "application/x-www-form-urlencoded".to_owned(),
    )];
    let mut body = body.to_vec();
    if pick & 1 == 1 {
        headers.push(("cookie", site.cookie.clone()));
        headers.push(("origin", "https://status.example.com".to_owned()));
        body.extend_from_slice(format!("&_token={}", site.csrf).as_bytes());
    }
    let mut b = Request::builder().method(method).uri(path);
    for (k, v) in &headers {
        b = b.header(*k, v.as_str());
    }
    let Ok(req) = b.body(Bytes::from(body)) else {
        return;
    };
    let resp = runtime().block_on(site.cachet.handle(req, context()));
    assert_sound(&format!("{method} {path}"), &resp);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_oracle_catches_what_it_must() {
        for bad in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<a href=\"&#x6A;avascript:alert(1)\">x</a>",
            "<a href=\" java\tscript:alert(1)\">x</a>",
            "<a href=\"data:text/html,x\">x</a>",
            "<p onclick=\"x\">x</p>",
            "<svg><a>x</a></svg>",
            "<math></math>",
            "<style>x</style>",
            "<a href=\"https://e.example\" rel=\"opener\">x</a>",
        ] {
            let caught = std::panic::catch_unwind(|| assert_html_is_safe(bad)).is_err();
            assert!(caught, "oracle missed {bad:?}");
        }
        assert_html_is_safe(
            "<p><a href=\"https://e.example\" rel=\"noopener noreferrer nofollow ugc\">x</a></p>",
        );
    }
}
