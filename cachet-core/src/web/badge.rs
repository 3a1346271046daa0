//! SVG status badges in shields.io's flat style: a grey label on the left, the status on the
//! right in the status colour.
//!
//! | path | label | status |
//! |---|---|---|
//! | `/badge.svg` | the site name, or `status` before setup | the page status by the overall rule ([`crate::status::page_indicator`] over what a visitor sees) |
//! | `/components/{id}/badge.svg`, `/component/{id}/shield` (Cachet's alias) | the component's name | its effective status ([`crate::status::effective_status`]) |
//!
//! A component a visitor may not see (disabled, in a signed-in-only group), an unknown id
//! and an id that is not a positive number all answer 404.
//!
//! # Rendering
//!
//! * Status text and colour: operational (theme green), performance issues (theme blue),
//!   partial outage (theme yellow), major outage (theme red), maintenance (theme accent). An
//!   unknown component shows as operational, as everywhere on the page. The page badge maps
//!   its indicator back the same way (minor = performance issues, major = partial outage,
//!   critical = major outage). Colours come from the settings, which only ever hold
//!   validated `#rrggbb` values; anything else falls back to the default colour.
//! * Accessibility: `role="img"`, an `aria-label` and a `<title>` reading "label: status";
//!   the status is text, never colour alone.
//! * Text widths are estimated per character from Verdana 11px advance widths (shields.io's
//!   font), so no font is loaded; labels longer than [`MAX_LABEL_CHARS`] characters are
//!   shortened with an ellipsis (the title keeps the whole name).
//! * Every text is XML-escaped and characters XML 1.0 cannot hold are dropped. The SVG has no
//!   script, no event attribute, no link and no external reference (its gradient and clip
//!   path are referenced by local ids).
//! * `?style=flat` (the default: rounded, with a gradient) or `?style=flat-square` (square,
//!   plain); any other value is ignored.
//!
//! # HTTP
//!
//! Guests' `GET` and `HEAD`, `Content-Type: image/svg+xml`, CORS for the origins in
//! `allowed_domains` (`crate::web::cors::apply`).

use std::fmt::Write as _;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Request, Response};

use crate::model::{ComponentId, ScheduleStatus, Settings};
use crate::sanitize::escape_xml;
use crate::status::{self, EffectiveStatus, Indicator};
use crate::store::{PageRequest, ScheduleFilter, ScheduleQuery};
use crate::web::{cors, response};
use crate::{Actor, Cachet, Error};

/// `Content-Type` of a badge.
pub const CONTENT_TYPE_SVG: &str = "image/svg+xml";

/// The longest label shown, in characters.
pub const MAX_LABEL_CHARS: usize = 40;

/// The badge's look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Style {
    /// Rounded corners and a light gradient (shields.io's `flat`).
    #[default]
    Flat,
    /// Square corners, no gradient (shields.io's `flat-square`).
    FlatSquare,
}

impl Style {
    /// The style a query string asks for: `style=flat` or `style=flat-square`; anything else
    /// (absent, unknown, malformed) is the default.
    #[must_use]
    pub fn from_query(query: Option<&str>) -> Self {
        let pairs: Vec<(String, String)> = query
            .and_then(|q| serde_urlencoded::from_str(q).ok())
            .unwrap_or_default();
        match pairs
            .iter()
            .find(|(k, _)| k == "style")
            .map(|(_, v)| v.as_str())
        {
            Some("flat-square") => Self::FlatSquare,
            _ => Self::Flat,
        }
    }
}

/// What a badge says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadgeStatus {
    /// Working normally.
    Operational,
    /// Slow or degraded.
    PerformanceIssues,
    /// Partly down.
    PartialOutage,
    /// Down.
    MajorOutage,
    /// Under maintenance.
    Maintenance,
}

impl BadgeStatus {
    /// A component's badge status from its effective status (unknown shows as operational).
    #[must_use]
    pub fn from_effective(s: EffectiveStatus) -> Self {
        match s {
            EffectiveStatus::Unknown | EffectiveStatus::Operational => Self::Operational,
            EffectiveStatus::PerformanceIssues => Self::PerformanceIssues,
            EffectiveStatus::PartialOutage => Self::PartialOutage,
            EffectiveStatus::MajorOutage => Self::MajorOutage,
            EffectiveStatus::UnderMaintenance => Self::Maintenance,
        }
    }

    /// The page's badge status from its indicator.
    #[must_use]
    pub fn from_indicator(i: Indicator) -> Self {
        match i {
            Indicator::None => Self::Operational,
            Indicator::Maintenance => Self::Maintenance,
            Indicator::Minor => Self::PerformanceIssues,
            Indicator::Major => Self::PartialOutage,
            Indicator::Critical => Self::MajorOutage,
        }
    }

    /// The text shown.
    #[must_use]
    pub fn text(self) -> &'static str {
        match self {
            Self::Operational => "operational",
            Self::PerformanceIssues => "performance issues",
            Self::PartialOutage => "partial outage",
            Self::MajorOutage => "major outage",
            Self::Maintenance => "maintenance",
        }
    }

    /// The colour from the theme settings (`#rrggbb`; the default when a value is not one).
    #[must_use]
    pub fn colour(self, settings: &Settings) -> String {
        let defaults = Settings::default();
        let (set, default) = match self {
            Self::Operational => (&settings.theme_greens, defaults.theme_greens),
            Self::PerformanceIssues => (&settings.theme_blues, defaults.theme_blues),
            Self::PartialOutage => (&settings.theme_yellows, defaults.theme_yellows),
            Self::MajorOutage => (&settings.theme_reds, defaults.theme_reds),
            Self::Maintenance => (&settings.theme_accent, defaults.theme_accent),
        };
        if is_hex_colour(set) {
            set.clone()
        } else {
            default
        }
    }
}

fn is_hex_colour(s: &str) -> bool {
    s.len() == 7 && s.starts_with('#') && s[1..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// The label background (shields.io's grey).
const LABEL_COLOUR: &str = "#555";

/// Estimated advance width of a character in Verdana 11px, in pixels.
fn char_width(c: char) -> f64 {
    match c {
        ' ' => 3.9,
        'i' | 'l' | 'j' | '\'' | '|' | '.' | ',' | ':' | ';' | '!' => 3.1,
        'I' | 'f' | 't' | 'r' | '(' | ')' | '[' | ']' | '{' | '}' | '/' | '\\' | '-' => 4.6,
        'm' | 'M' | 'W' | '%' | '@' => 10.8,
        'w' => 8.9,
        'A'..='Z' => 7.6,
        'a'..='z' | '0'..='9' => 6.8,
        '"' | '*' | '^' | '`' => 5.5,
        c if c.is_ascii() => 8.4,
        // Wide scripts (CJK, Hangul, fullwidth forms) take about a square each.
        '\u{1100}'..='\u{115F}'
        | '\u{2E80}'..='\u{A4CF}'
        | '\u{AC00}'..='\u{D7A3}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{FF00}'..='\u{FF60}'
        | '\u{FFE0}'..='\u{FFE6}' => 11.0,
        // Combining marks and zero-width characters add nothing.
        '\u{0300}'..='\u{036F}' | '\u{200B}'..='\u{200F}' | '\u{FE00}'..='\u{FE0F}' => 0.0,
        _ => 7.5,
    }
}

/// The estimated width of a text in pixels, rounded up.
#[must_use]
pub fn text_width(s: &str) -> u32 {
    let w: f64 = s.chars().map(char_width).sum();
    // at most MAX_LABEL_CHARS + 1 characters of at most 11 px: no overflow
    w.ceil() as u32
}

/// Shortens a label to [`MAX_LABEL_CHARS`] characters, with an ellipsis when cut.
fn shorten(s: &str) -> String {
    if s.chars().count() <= MAX_LABEL_CHARS {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(MAX_LABEL_CHARS - 1).collect();
        out.push('…');
        out
    }
}

/// Renders a badge.
#[must_use]
pub fn render(label: &str, status: &str, colour: &str, style: Style) -> String {
    let colour = if is_hex_colour(colour) {
        colour
    } else {
        "#9f9f9f"
    };
    let shown = shorten(label);
    let label_w = text_width(&shown) + 10;
    let status_w = text_width(status) + 10;
    let width = label_w + status_w;
    let title = escape_xml(&format!("{label}: {status}"));
    let shown = escape_xml(&shown);
    let status = escape_xml(status);
    // Text is drawn at 10x and scaled down, as shields.io does, for sub-pixel placement.
    let label_x = label_w * 5;
    let status_x = label_w * 10 + status_w * 5;
    let label_len = (label_w - 10) * 10;
    let status_len = (status_w - 10) * 10;
    let mut svg = String::with_capacity(1024 + title.len() * 2);
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" aria-label="{title}"><title>{title}</title>"#
    );
    let shapes = format!(
        r#"<rect width="{label_w}" height="20" fill="{LABEL_COLOUR}"/><rect x="{label_w}" width="{status_w}" height="20" fill="{colour}"/>"#
    );
    match style {
        Style::Flat => {
            let _ = write!(
                svg,
                r##"<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient><clipPath id="r"><rect width="{width}" height="20" rx="3" fill="#fff"/></clipPath><g clip-path="url(#r)">{shapes}<rect width="{width}" height="20" fill="url(#s)"/></g>"##
            );
        }
        Style::FlatSquare => {
            let _ = write!(svg, r#"<g shape-rendering="crispEdges">{shapes}</g>"#);
        }
    }
    let _ = write!(
        svg,
        r##"<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" text-rendering="geometricPrecision" font-size="110" aria-hidden="true"><text x="{label_x}" y="150" fill="#010101" fill-opacity=".3" transform="scale(.1)" textLength="{label_len}">{shown}</text><text x="{label_x}" y="140" transform="scale(.1)" textLength="{label_len}">{shown}</text><text x="{status_x}" y="150" fill="#010101" fill-opacity=".3" transform="scale(.1)" textLength="{status_len}">{status}</text><text x="{status_x}" y="140" transform="scale(.1)" textLength="{status_len}">{status}</text></g></svg>"##
    );
    svg
}

fn svg_response(svg: String) -> Response<Bytes> {
    let mut r = Response::new(Bytes::from(svg));
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE_SVG));
    r
}

fn failed(e: &Error) -> Response<Bytes> {
    tracing::error!(error = ?crate::log::Escaped(&e), "badge rendering failed");
    response::plain(response::failure_status(e), "the badge is unavailable\n")
}

/// Maintenance windows stored as upcoming or in progress (their phase decides).
async fn open_schedules(
    cachet: &Cachet,
    actor: &Actor,
) -> Result<Vec<crate::model::Schedule>, Error> {
    let q = ScheduleQuery::filtered(ScheduleFilter {
        status_any: vec![ScheduleStatus::Upcoming, ScheduleStatus::InProgress],
        ..ScheduleFilter::default()
    })
    .paged(PageRequest::all());
    Ok(cachet.schedules(actor, q).await?.items)
}

/// The page badge's label and status.
async fn page_status(cachet: &Cachet, settings: &Settings) -> Result<(String, BadgeStatus), Error> {
    let actor = Actor::anonymous(None);
    let (_, components) = cachet.visible_components(&actor).await?;
    let unresolved = crate::web::statuspage::unresolved_incidents(cachet, &actor).await?;
    let schedules = open_schedules(cachet, &actor).await?;
    let indicator = status::page_indicator(&components, &schedules, &unresolved, cachet.now());
    let label = settings
        .app_name
        .as_ref()
        .map_or("status", |n| n.as_str())
        .to_owned();
    Ok((label, BadgeStatus::from_indicator(indicator)))
}

/// A visible component's label and status; `None` when a visitor may not see it.
async fn component_status(
    cachet: &Cachet,
    id: ComponentId,
) -> Result<Option<(String, BadgeStatus)>, Error> {
    let actor = Actor::anonymous(None);
    let component = match cachet.component(&actor, id).await {
        Ok(c) => c,
        Err(Error::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    // The facade hid a disabled component and one in a signed-in-only group from the visitor.
    let schedules = open_schedules(cachet, &actor).await?;
    let effective = status::effective_status(&component, &schedules, cachet.now());
    Ok(Some((
        component.name.as_str().to_owned(),
        BadgeStatus::from_effective(effective),
    )))
}

/// Answers `/badge.svg` (`component` `None`) or a component's badge (`Some(id segment)`).
pub(crate) async fn respond(
    cachet: &Cachet,
    req: &Request<Bytes>,
    component: Option<&str>,
) -> Response<Bytes> {
    let settings = match cachet.settings().await {
        Ok(s) => s,
        Err(e) => return failed(&e),
    };
    let found = match component {
        None => page_status(cachet, &settings).await.map(Some),
        Some(segment) => match segment.parse::<ComponentId>().ok() {
            Some(id) => component_status(cachet, id).await,
            None => Ok(None),
        },
    };
    let mut resp = match found {
        Ok(Some((label, status))) => svg_response(render(
            &label,
            status.text(),
            &status.colour(&settings),
            Style::from_query(req.uri().query()),
        )),
        Ok(None) => response::not_found_page(),
        Err(e) => failed(&e),
    };
    cors::apply(&mut resp, req, &settings.allowed_domains);
    resp
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn styles_from_query() {
        assert_eq!(Style::from_query(None), Style::Flat);
        assert_eq!(Style::from_query(Some("style=flat")), Style::Flat);
        assert_eq!(
            Style::from_query(Some("style=flat-square")),
            Style::FlatSquare
        );
        assert_eq!(
            Style::from_query(Some("x=1&style=flat-square")),
            Style::FlatSquare
        );
        assert_eq!(Style::from_query(Some("style=plastic")), Style::Flat);
        assert_eq!(Style::from_query(Some("style=%zz")), Style::Flat);
        assert_eq!(Style::from_query(Some("style=<script>")), Style::Flat);
    }

    #[test]
    fn ids_are_positive_numbers() {
        assert_eq!("12".parse::<ComponentId>().ok(), Some(ComponentId(12)));
        for bad in [
            "",
            "0",
            "-1",
            "+1",
            "1a",
            "abc",
            "1.0",
            "99999999999999999999",
            " 1",
        ] {
            assert_eq!(bad.parse::<ComponentId>().ok(), None, "{bad}");
        }
    }

    #[test]
    fn escaping_drops_what_xml_cannot_hold() {
        assert_eq!(
            escape_xml("a&b<c>d\"e'f\u{0}g\u{1b}h\ni\u{FFFE}"),
            "a&amp;b&lt;c&gt;d&quot;e&apos;fgh i"
        );
    }

    #[test]
    fn widths_grow_with_text_and_labels_are_shortened() {
        assert!(text_width("operational") > text_width("ok"));
        assert!(text_width("WWW") > text_width("iii"));
        assert_eq!(text_width(""), 0);
        let long = "x".repeat(200);
        let short = shorten(&long);
        assert_eq!(short.chars().count(), MAX_LABEL_CHARS);
        assert!(short.ends_with('…'));
    }

    #[test]
    fn colours_come_from_settings_or_defaults() {
        let mut s = Settings {
            theme_reds: "#123456".to_owned(),
            ..Settings::default()
        };
        assert_eq!(BadgeStatus::MajorOutage.colour(&s), "#123456");
        s.theme_reds = "red\"/><script>".to_owned();
        assert_eq!(
            BadgeStatus::MajorOutage.colour(&s),
            Settings::default().theme_reds
        );
        let svg = render("a", "b", "javascript:x", Style::Flat);
        assert!(svg.contains("#9f9f9f") && !svg.contains("javascript"));
    }

    #[test]
    fn statuses_map() {
        assert_eq!(
            BadgeStatus::from_effective(EffectiveStatus::Unknown),
            BadgeStatus::Operational
        );
        assert_eq!(
            BadgeStatus::from_indicator(Indicator::Critical),
            BadgeStatus::MajorOutage
        );
        assert_eq!(BadgeStatus::Maintenance.text(), "maintenance");
    }
}
