//! Feeds: RSS 2.0 and Atom 1.0 of incidents and their updates, and an iCalendar (RFC 5545)
//! feed of maintenance windows.
//!
//! | path | what | `Content-Type` |
//! |---|---|---|
//! | `/rss`, `/history.rss` | RSS 2.0 | `application/rss+xml; charset=utf-8` |
//! | `/atom`, `/history.atom` | Atom 1.0 (RFC 4287) | `application/atom+xml; charset=utf-8` |
//! | `/schedules.ics` | iCalendar (RFC 5545) | `text/calendar; charset=utf-8` |
//!
//! `/rss` and `/atom` are Cachet's paths, `/history.rss` and `/history.atom` Statuspage's; each
//! pair serves the same bytes. [`alternate_links`] gives the `<link rel="alternate">` tags that
//! advertise them in a page head.
//!
//! # What is shown
//!
//! Exactly what a visitor may see, read through the facade as [`Actor::anonymous`]: hidden
//! incidents never appear. The incident feeds hold the 50 most recent visible incidents (by
//! occurrence, newest first). Each item or entry has
//!
//! * the incident's name as its title;
//! * the absolute link `<public_url>/incidents/{id}`, always built from the configured public
//!   URL, never from the `Host` header, so a cached feed cannot be poisoned; the same URL is
//!   the RSS `guid` (a permalink) and the Atom `id`, stable for the incident's life;
//! * `pubDate` / `published` = when it occurred, Atom `updated` = its last change (the
//!   incident or its newest update);
//! * content = the incident's timeline as HTML, newest first, each entry a time, a status
//!   in Statuspage's vocabulary (Investigating, Identified, Monitoring, Resolved) and the
//!   message rendered by [`crate::sanitize::render_markdown`]. The first message comes last,
//!   with the incident's own status when it has no updates and "Investigating" otherwise
//!   (the status it was posted with is not stored), as in the Statuspage JSON.
//!
//! The feeds' own `updated` / `lastBuildDate` is the newest change among the items; an empty
//! Atom feed says 1970-01-01T00:00:00Z, so that every render of the same data gives the same
//! bytes (instances sharing a database must agree on a strong `ETag`).
//!
//! The calendar holds one `VEVENT` per maintenance window: every window not yet complete and
//! the 50 most recent by start. `UID` is `schedule-{id}@<public host>`, `DTSTAMP` its last
//! change, `DTSTART` its start, `DTEND` its end (`completed_at`), or its start plus one hour
//! while it has none (RFC 5545 needs an end after the start: a stored end not after the start
//! gets the same hour), `SUMMARY` its name, `DESCRIPTION` its Markdown source as plain text,
//! `URL` its page. All times are UTC.
//!
//! # Writers
//!
//! RSS and Atom are written by `rss` and `atom_syndication` (rust-syndication, the maintained
//! Rust feed crates), which XML-escape every text and split any `]]>` in the CDATA sections
//! they use. The iCalendar writer is hand-written (a page of code, [`ics`]): the `icalendar`
//! crate was checked and does not fit. Its text escaper leaves a bare carriage return in a
//! value (which breaks the line structure), its line folder mixes character and byte
//! offsets, and unless told otherwise it stamps `DTSTAMP` from the system clock and invents
//! random `UID`s, which would make two renders of the same data differ. It is used in the
//! tests, as an independent parser.
//!
//! # HTTP
//!
//! Guests' `GET` and `HEAD`. The RSS and Atom feeds are open to every origin
//! (`Access-Control-Allow-Origin: *`, no credentials) so readers embedded in other sites can
//! fetch them; the calendar follows `allowed_domains` (`crate::web::cors::apply`).

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;

use bytes::Bytes;
use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Request, Response, StatusCode};

use crate::clock::Timestamp;
use crate::i18n::{self, Catalog, Msg};
use crate::model::{Incident, IncidentStatus, IncidentUpdate, Schedule, ScheduleStatus, Settings};
use crate::sanitize::{escape_text, render_markdown};
use crate::store::{
    Direction, IncidentQuery, PageRequest, ScheduleFilter, ScheduleQuery, ScheduleSort,
};
use crate::validate::HttpUrl;
use crate::web::{cors, response};
use crate::{Actor, Cachet, Error};

/// `Content-Type` of the RSS feed.
pub const RSS_CONTENT_TYPE: &str = "application/rss+xml; charset=utf-8";
/// `Content-Type` of the Atom feed.
pub const ATOM_CONTENT_TYPE: &str = "application/atom+xml; charset=utf-8";
/// `Content-Type` of the iCalendar feed.
pub const ICS_CONTENT_TYPE: &str = "text/calendar; charset=utf-8";

/// How many incidents the incident feeds hold (Statuspage's list limit).
pub const FEED_INCIDENTS: u32 = 50;

/// How many past maintenance windows the calendar holds besides the open ones.
const FEED_SCHEDULES: u32 = 50;

/// One feed a page may advertise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alternate {
    /// The MIME type, without parameters (`application/rss+xml`, ...).
    pub mime: &'static str,
    /// The absolute URL under the configured public URL.
    pub href: String,
    /// The link's title in the page's language.
    pub title: &'static str,
}

/// The feeds to advertise in a page head, with absolute URLs under `public_url` and titles
/// from `cat`.
#[must_use]
pub fn alternates(public_url: &HttpUrl, cat: &Catalog) -> Vec<Alternate> {
    let base = base(public_url);
    vec![
        Alternate {
            mime: "application/rss+xml",
            href: format!("{base}/history.rss"),
            title: cat.t(Msg::FeedLinkRss),
        },
        Alternate {
            mime: "application/atom+xml",
            href: format!("{base}/history.atom"),
            title: cat.t(Msg::FeedLinkAtom),
        },
        Alternate {
            mime: "text/calendar",
            href: format!("{base}/schedules.ics"),
            title: cat.t(Msg::FeedLinkCalendar),
        },
    ]
}

/// The `<link rel="alternate" type="..." href="..." title="...">` tags for a page head, one a
/// line, every attribute HTML-escaped.
#[must_use]
pub fn alternate_links(public_url: &HttpUrl, cat: &Catalog) -> String {
    let mut out = String::new();
    for a in alternates(public_url, cat) {
        let _ = writeln!(
            out,
            r#"<link rel="alternate" type="{}" href="{}" title="{}">"#,
            escape_text(a.mime),
            escape_text(&a.href),
            escape_text(a.title),
        );
    }
    out
}

/// The public URL without its trailing slash: every absolute link starts with it.
fn base(public_url: &HttpUrl) -> &str {
    public_url.as_str().trim_end_matches('/')
}

/// The status page's own address: `https://host/` at the root, `https://host/status` (no
/// trailing slash, as the pages link it) when mounted under a path.
fn home(public_url: &HttpUrl) -> String {
    let base = base(public_url);
    if public_url.mount_path().is_empty() {
        format!("{base}/")
    } else {
        base.to_owned()
    }
}

/// Which feed a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// RSS 2.0.
    Rss,
    /// Atom 1.0.
    Atom,
    /// iCalendar.
    Calendar,
}

impl Kind {
    /// The feed a one-segment path names (`rss`, `history.rss`, ...), if any.
    pub(crate) fn from_segment(segment: &str) -> Option<Self> {
        match segment {
            "rss" | "history.rss" => Some(Self::Rss),
            "atom" | "history.atom" => Some(Self::Atom),
            "schedules.ics" => Some(Self::Calendar),
            _ => None,
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::Rss => RSS_CONTENT_TYPE,
            Self::Atom => ATOM_CONTENT_TYPE,
            Self::Calendar => ICS_CONTENT_TYPE,
        }
    }
}

fn failed(e: &dyn std::fmt::Debug) -> Response<Bytes> {
    tracing::error!(error = ?crate::log::Escaped(&e), "feed rendering failed");
    response::plain(
        StatusCode::INTERNAL_SERVER_ERROR,
        "the feed is unavailable\n",
    )
}

/// Answers a feed request (a guest's `GET`; `HEAD` is handled by the caller) for the path
/// segment naming it; `None` when it names no feed.
pub(crate) async fn respond(
    cachet: &Cachet,
    req: &Request<Bytes>,
    segment: &str,
) -> Option<Response<Bytes>> {
    let kind = Kind::from_segment(segment)?;
    let settings = match cachet.settings().await {
        Ok(s) => s,
        Err(e) => return Some(failed(&e)),
    };
    let body = match kind {
        Kind::Rss | Kind::Atom => match load_incidents(cachet).await {
            Ok(incidents) => {
                let feed = IncidentFeed::new(cachet, &settings, incidents);
                if kind == Kind::Rss {
                    feed.rss().map_err(|e| format!("{e:?}"))
                } else {
                    feed.atom().map_err(|e| format!("{e:?}"))
                }
            }
            Err(e) => Err(format!("{e:?}")),
        },
        Kind::Calendar => match load_schedules(cachet).await {
            Ok(schedules) => Ok(calendar(cachet, &settings, &schedules).into_bytes()),
            Err(e) => Err(format!("{e:?}")),
        },
    };
    let mut resp = match body {
        Ok(body) => {
            let mut r = Response::new(Bytes::from(body));
            r.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static(kind.content_type()));
            r
        }
        Err(e) => failed(&e),
    };
    cors::apply(&mut resp, req, &settings.allowed_domains);
    Some(resp)
}

/// A visible incident with its updates, newest first.
struct Entry {
    incident: Incident,
    updates: Vec<IncidentUpdate>,
}

impl Entry {
    /// The last change: the incident's or its newest update's.
    fn updated(&self) -> Timestamp {
        self.updates
            .iter()
            .map(|u| u.updated_at.max(u.created_at))
            .chain([self.incident.updated_at])
            .max()
            .unwrap_or(self.incident.updated_at)
    }
}

async fn load_incidents(cachet: &Cachet) -> Result<Vec<Entry>, Error> {
    let actor = Actor::anonymous(None);
    let q = IncidentQuery::all().paged(PageRequest::new(1, FEED_INCIDENTS));
    let incidents = cachet.incidents(&actor, q).await?.items;
    let incidents: Vec<Incident> = incidents.into_iter().filter(|i| i.visible).collect();
    let mut updates = cachet.incident_updates_of(&actor, &incidents).await?;
    Ok(incidents
        .into_iter()
        .map(|incident| {
            let mut updates = updates.remove(&incident.id).unwrap_or_default();
            updates.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
            Entry { incident, updates }
        })
        .collect())
}

/// Statuspage shows a scheduled incident as "investigating" in its history.
fn statuspage_status(s: IncidentStatus) -> IncidentStatus {
    match s {
        IncidentStatus::Scheduled => IncidentStatus::Investigating,
        other => other,
    }
}

/// What the incident feeds share.
struct IncidentFeed {
    base: String,
    /// The page's home address, the feeds' alternate link.
    home: String,
    site: String,
    language: String,
    cat: Catalog,
    tz: Tz,
    entries: Vec<Entry>,
}

impl IncidentFeed {
    fn new(cachet: &Cachet, settings: &Settings, entries: Vec<Entry>) -> Self {
        Self {
            base: base(&cachet.config().public_url).to_owned(),
            home: home(&cachet.config().public_url),
            site: site_name(settings).to_owned(),
            language: settings.app_locale.as_str().to_owned(),
            cat: Catalog::new(i18n::negotiate(settings.app_locale.as_str(), false, None))
                .with_date_style(settings.date_format),
            tz: settings.app_timezone.tz(),
            entries,
        }
    }

    fn link(&self, e: &Entry) -> String {
        format!("{}/incidents/{}", self.base, e.incident.id)
    }

    fn title(&self) -> String {
        self.cat.tf(Msg::FeedTitle, &[&self.site])
    }

    fn description(&self) -> String {
        self.cat.tf(Msg::FeedDescription, &[&self.site])
    }

    fn updated(&self) -> Option<Timestamp> {
        self.entries.iter().map(Entry::updated).max()
    }

    /// The incident's timeline as safe HTML, newest first.
    fn content(&self, e: &Entry) -> String {
        let mut html = String::new();
        let mut push = |at: Timestamp, status: IncidentStatus, message: &str| {
            let local = at.with_timezone(&self.tz);
            let when = self.cat.date_time(&local, &local.format("%Z").to_string());
            let _ = write!(
                html,
                "<p><small>{}</small><br><strong>{}</strong></p>\n{message}\n",
                escape_text(&when),
                escape_text(crate::web::pages::incident_status_label(
                    &self.cat,
                    statuspage_status(status)
                )),
            );
        };
        for u in &e.updates {
            push(u.created_at, u.status, render_markdown(&u.message).as_str());
        }
        let first = render_markdown(&e.incident.message);
        if !first.is_empty() || e.updates.is_empty() {
            let status = if e.updates.is_empty() {
                e.incident.status
            } else {
                IncidentStatus::Investigating
            };
            push(e.incident.occurred_at, status, first.as_str());
        }
        html
    }

    fn rss(&self) -> Result<Vec<u8>, rss::Error> {
        let mut channel = rss::Channel::default();
        channel.set_title(self.title());
        channel.set_link(self.home.clone());
        // RSS readers commonly render the channel description as HTML: the site name in it
        // goes in as escaped text, so `<img onerror=...>` in a name shows as characters.
        channel.set_description(escape_text(&self.description()));
        channel.set_language(Some(self.language.clone()));
        channel.set_generator(Some("cachet-rs".to_owned()));
        channel.set_last_build_date(self.updated().map(|t| t.to_rfc2822()));
        // RSS Best Practices: a channel names its own URL with `atom:link rel="self"`, which
        // validators ask for and readers use to follow a moved feed. `/rss` serves the same
        // bytes, so the self link is the one canonical URL, as the Atom feed's is.
        let mut self_link = rss::extension::Extension {
            name: "atom:link".to_owned(),
            ..rss::extension::Extension::default()
        };
        for (k, v) in [
            ("href", format!("{}/history.rss", self.base)),
            ("rel", "self".to_owned()),
            ("type", "application/rss+xml".to_owned()),
        ] {
            self_link.attrs.insert(k.to_owned(), v);
        }
        let mut atom = BTreeMap::new();
        atom.insert("link".to_owned(), vec![self_link]);
        let mut extensions = rss::extension::ExtensionMap::default();
        extensions.insert("atom".to_owned(), atom);
        channel.set_extensions(extensions);
        channel.set_namespaces(BTreeMap::from([(
            "atom".to_owned(),
            "http://www.w3.org/2005/Atom".to_owned(),
        )]));
        let items: Vec<rss::Item> = self
            .entries
            .iter()
            .map(|e| {
                let link = self.link(e);
                let mut guid = rss::Guid::default();
                guid.set_value(link.clone());
                guid.set_permalink(true);
                let mut item = rss::Item::default();
                item.set_title(Some(e.incident.name.as_str().to_owned()));
                item.set_link(Some(link));
                item.set_guid(Some(guid));
                item.set_pub_date(Some(e.incident.occurred_at.to_rfc2822()));
                item.set_description(Some(self.content(e)));
                item
            })
            .collect();
        channel.set_items(items);
        channel.write_to(Vec::new())
    }

    fn atom(&self) -> Result<Vec<u8>, atom_syndication::Error> {
        use atom_syndication::{Content, Generator, Link, Person, Text};
        let link = |href: String, rel: &str, mime: Option<&str>| {
            let mut l = Link::default();
            l.set_href(href);
            l.set_rel(rel);
            l.set_mime_type(mime.map(str::to_owned));
            l
        };
        let mut feed = atom_syndication::Feed::default();
        feed.set_id(format!("{}/history.atom", self.base));
        feed.set_title(Text::plain(self.title()));
        feed.set_subtitle(Some(Text::plain(self.description())));
        feed.set_updated(
            self.updated()
                .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
                .fixed_offset(),
        );
        feed.set_lang(Some(self.language.clone()));
        feed.set_authors(vec![Person {
            name: self.site.clone(),
            uri: Some(self.home.clone()),
            ..Person::default()
        }]);
        feed.set_generator(Some(Generator {
            value: "cachet-rs".to_owned(),
            ..Generator::default()
        }));
        feed.set_links(vec![
            link(self.home.clone(), "alternate", Some("text/html")),
            link(
                format!("{}/history.atom", self.base),
                "self",
                Some("application/atom+xml"),
            ),
        ]);
        let entries: Vec<atom_syndication::Entry> = self
            .entries
            .iter()
            .map(|e| {
                let mut entry = atom_syndication::Entry::default();
                entry.set_id(self.link(e));
                entry.set_title(Text::plain(e.incident.name.as_str()));
                entry.set_updated(e.updated().fixed_offset());
                entry.set_published(Some(e.incident.occurred_at.fixed_offset()));
                entry.set_links(vec![link(self.link(e), "alternate", Some("text/html"))]);
                let mut content = Content::default();
                content.set_content_type(Some("html".to_owned()));
                content.set_value(Some(self.content(e)));
                entry.set_content(Some(content));
                entry
            })
            .collect();
        feed.set_entries(entries);
        feed.write_to(Vec::new())
    }
}

fn site_name(settings: &Settings) -> &str {
    settings.app_name.as_ref().map_or("Cachet", |n| n.as_str())
}

/// Every window not yet complete, then the most recent by start, each once.
async fn load_schedules(cachet: &Cachet) -> Result<Vec<Schedule>, Error> {
    let actor = Actor::anonymous(None);
    let open_q = ScheduleQuery::filtered(ScheduleFilter {
        status_any: vec![ScheduleStatus::Upcoming, ScheduleStatus::InProgress],
        ..ScheduleFilter::default()
    })
    .sorted(ScheduleSort::ScheduledAt, Direction::Desc)
    .paged(PageRequest::all());
    let recent_q = ScheduleQuery::all()
        .sorted(ScheduleSort::ScheduledAt, Direction::Desc)
        .paged(PageRequest::new(1, FEED_SCHEDULES));
    let mut all = cachet.schedules(&actor, open_q).await?.items;
    all.extend(cachet.schedules(&actor, recent_q).await?.items);
    let mut seen = HashSet::new();
    all.retain(|s| seen.insert(s.id));
    all.sort_by(|a, b| b.scheduled_at.cmp(&a.scheduled_at).then(b.id.cmp(&a.id)));
    Ok(all)
}

/// The host of the public URL, for `UID`s: no scheme, port or path.
fn public_host(public_url: &HttpUrl) -> String {
    let s = public_url.as_str();
    let rest = s.split_once("://").map_or(s, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = if authority.starts_with('[') {
        authority
            .find(']')
            .map_or(authority, |end| &authority[..=end])
    } else {
        authority.split(':').next().unwrap_or(authority)
    };
    host.to_ascii_lowercase()
}

fn calendar(cachet: &Cachet, settings: &Settings, schedules: &[Schedule]) -> String {
    let base = base(&cachet.config().public_url);
    let host = public_host(&cachet.config().public_url);
    let mut cal = ics::Writer::new();
    cal.line("BEGIN", "VCALENDAR");
    cal.line(
        "PRODID",
        &format!("-//cachet-rs//Cachet {}//EN", env!("CARGO_PKG_VERSION")),
    );
    cal.line("VERSION", "2.0");
    cal.line("CALSCALE", "GREGORIAN");
    cal.line("METHOD", "PUBLISH");
    cal.text(
        "X-WR-CALNAME",
        &format!("{} maintenance", site_name(settings)),
    );
    for s in schedules {
        let start = s.scheduled_at;
        let end = s
            .completed_at
            .filter(|end| *end > start)
            .unwrap_or(start + TimeDelta::hours(1));
        cal.line("BEGIN", "VEVENT");
        cal.line("UID", &format!("schedule-{}@{host}", s.id));
        cal.line("DTSTAMP", &ics::utc(s.updated_at));
        cal.line("DTSTART", &ics::utc(start));
        cal.line("DTEND", &ics::utc(end));
        cal.text("SUMMARY", s.name.as_str());
        if !s.message.as_str().trim().is_empty() {
            cal.text("DESCRIPTION", s.message.as_str());
        }
        cal.line("URL", &format!("{base}/schedules/{}", s.id));
        cal.line("END", "VEVENT");
    }
    cal.line("END", "VCALENDAR");
    cal.finish()
}

/// The small iCalendar (RFC 5545) writer: content lines ending in CRLF, folded at 75 octets
/// on character boundaries (section 3.1), TEXT values escaped (section 3.3.11).
pub mod ics {
    use std::fmt::Write as _;

    use crate::clock::Timestamp;

    /// The longest content line, in octets, without its CRLF.
    pub const MAX_LINE_OCTETS: usize = 75;

    /// A UTC DATE-TIME value (`20260102T030405Z`).
    #[must_use]
    pub fn utc(t: Timestamp) -> String {
        t.format("%Y%m%dT%H%M%SZ").to_string()
    }

    /// Escapes a TEXT value: `\` `;` `,` get a backslash, every line break (CRLF, CR or LF)
    /// becomes `\n`, and other control characters (which TEXT may not hold) are dropped; tab
    /// is kept.
    #[must_use]
    pub fn escape(value: &str) -> String {
        let mut out = String::with_capacity(value.len() + value.len() / 8);
        let mut chars = value.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' => out.push_str("\\\\"),
                ';' => out.push_str("\\;"),
                ',' => out.push_str("\\,"),
                '\r' => {
                    if chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    out.push_str("\\n");
                }
                '\n' => out.push_str("\\n"),
                '\t' => out.push('\t'),
                c if c.is_control() => {}
                c => out.push(c),
            }
        }
        out
    }

    /// Folds one content line: no line longer than [`MAX_LINE_OCTETS`] octets, continuation
    /// lines starting with a space, never inside a UTF-8 sequence; every line ends in CRLF.
    #[must_use]
    pub fn fold(line: &str) -> String {
        let mut out = String::with_capacity(line.len() + line.len() / 64 * 3 + 2);
        let mut width = 0;
        for c in line.chars() {
            let n = c.len_utf8();
            if width + n > MAX_LINE_OCTETS {
                out.push_str("\r\n ");
                width = 1;
            }
            out.push(c);
            width += n;
        }
        out.push_str("\r\n");
        out
    }

    /// Writes a calendar line by line.
    #[derive(Debug, Default)]
    pub struct Writer {
        out: String,
    }

    impl Writer {
        /// An empty calendar.
        #[must_use]
        pub fn new() -> Self {
            Self::default()
        }

        /// A property whose value is written as is (names, dates, URIs built by us).
        pub fn line(&mut self, name: &str, value: &str) {
            let mut l = String::with_capacity(name.len() + value.len() + 1);
            let _ = write!(l, "{name}:{value}");
            self.out.push_str(&fold(&l));
        }

        /// A property whose value is TEXT, escaped by [`escape`].
        pub fn text(&mut self, name: &str, value: &str) {
            self.line(name, &escape(value));
        }

        /// The calendar.
        #[must_use]
        pub fn finish(self) -> String {
            self.out
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn escapes_text() {
            assert_eq!(escape(r"a,b;c\d"), r"a\,b\;c\\d");
            assert_eq!(escape("1\r\n2\r3\n4"), r"1\n2\n3\n4");
            assert_eq!(escape("a\u{0}b\u{7}c\u{1b}[31m\td"), "abc[31m\td");
            assert_eq!(escape(r"\n"), r"\\n");
        }

        #[test]
        fn folds_at_75_octets_on_char_boundaries() {
            let short = "SUMMARY:short";
            assert_eq!(fold(short), "SUMMARY:short\r\n");
            let long = format!("SUMMARY:{}", "é".repeat(100));
            let folded = fold(&long);
            assert!(folded.ends_with("\r\n"));
            for (i, l) in folded.trim_end_matches("\r\n").split("\r\n").enumerate() {
                assert!(l.len() <= MAX_LINE_OCTETS, "{l}");
                if i > 0 {
                    assert!(l.starts_with(' '));
                }
            }
            let unfolded = folded.trim_end_matches("\r\n").replace("\r\n ", "");
            assert_eq!(unfolded, long);
            // exactly 75 octets stays on one line
            let exact = "X".repeat(MAX_LINE_OCTETS);
            assert_eq!(fold(&exact), format!("{exact}\r\n"));
            let over = "X".repeat(MAX_LINE_OCTETS + 1);
            assert_eq!(fold(&over), format!("{}\r\n X\r\n", "X".repeat(75)));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn paths_name_feeds() {
        assert_eq!(Kind::from_segment("rss"), Some(Kind::Rss));
        assert_eq!(Kind::from_segment("history.rss"), Some(Kind::Rss));
        assert_eq!(Kind::from_segment("atom"), Some(Kind::Atom));
        assert_eq!(Kind::from_segment("history.atom"), Some(Kind::Atom));
        assert_eq!(Kind::from_segment("schedules.ics"), Some(Kind::Calendar));
        assert_eq!(Kind::from_segment("RSS"), None);
        assert_eq!(Kind::from_segment("feed"), None);
    }

    #[test]
    fn hosts_for_uids() {
        let cases = [
            ("https://status.example.com", "status.example.com"),
            ("https://Status.Example.com:8443/x/", "status.example.com"),
            ("http://[::1]:8080/status", "[::1]"),
        ];
        for (url, host) in cases {
            assert_eq!(public_host(&HttpUrl::parse(url).unwrap()), host, "{url}");
        }
    }

    #[test]
    fn alternate_links_are_absolute_and_escaped() {
        let url = HttpUrl::parse("https://status.example.com/a&b/").unwrap();
        let links = alternate_links(&url, &Catalog::new(i18n::Lang::En));
        assert_eq!(links.lines().count(), 3);
        assert!(links.contains(
            r#"<link rel="alternate" type="application/rss+xml" href="https://status.example.com/a&amp;b/history.rss""#
        ));
        assert!(links.contains(r#"type="application/atom+xml""#));
        assert!(links.contains(
            r#"type="text/calendar" href="https://status.example.com/a&amp;b/schedules.ics""#
        ));
        assert!(!links.contains("a&b"));
    }
}
