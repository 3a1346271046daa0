//! The case vocabulary: what a case creates, sends and expects.

use std::net::SocketAddr;

use bytes::Bytes;
use http::Method;
use serde_json::Value;

use super::DEFAULT_PEER;
use crate::Config;
use crate::model::{Role, SettingKey, TokenScope};

/// An API token of a user with a role; the runner creates the user and the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenKind {
    /// An admin's admin-scoped token.
    Admin,
    /// An admin's read-scoped token.
    AdminRead,
    /// An admin's write-scoped token.
    AdminWrite,
    /// A manager's write-scoped token.
    ManagerWrite,
    /// A manager's read-scoped token.
    ManagerRead,
    /// A viewer's write-scoped token (the role allows no writes).
    ViewerWrite,
    /// An admin token that was revoked.
    Revoked,
    /// An admin token that expired (the clock is moved past its expiry after the set-up).
    Expired,
}

impl TokenKind {
    pub(super) fn role_scope(self) -> (Role, TokenScope) {
        match self {
            Self::Admin | Self::Revoked | Self::Expired => (Role::Admin, TokenScope::Admin),
            Self::AdminRead => (Role::Admin, TokenScope::Read),
            Self::AdminWrite => (Role::Admin, TokenScope::Write),
            Self::ManagerWrite => (Role::Manager, TokenScope::Write),
            Self::ManagerRead => (Role::Manager, TokenScope::Read),
            Self::ViewerWrite => (Role::Viewer, TokenScope::Write),
        }
    }
}

/// How a request authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Auth {
    /// Not at all.
    None,
    /// `X-Cachet-Token: <token>`.
    Token(TokenKind),
    /// `Authorization: Bearer <token>`.
    Bearer(TokenKind),
    /// `Authorization: OAuth <token>` (Statuspage's scheme).
    OAuth(TokenKind),
    /// `Authorization: Bearer 1|<token>`: a token written the way Laravel Sanctum (Cachet 3)
    /// hands them out, with its id in front.
    Sanctum(TokenKind),
    /// `X-Cachet-Token` with a literal value (a bogus token).
    RawToken(String),
    /// A principal the host vouches for (`RequestContext::principal`; the adapters take it
    /// from their own `Principal` request extension).
    Principal(String, Role),
}

/// One request.
#[derive(Debug, Clone)]
pub struct CaseRequest {
    /// The method.
    pub method: Method,
    /// The path and query, relative to the mount point.
    pub path: String,
    /// Headers, in order (repeats allowed).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Bytes,
    /// How it authenticates.
    pub auth: Auth,
    /// The TCP peer (`None`: the host knows no address).
    pub peer: Option<SocketAddr>,
}

impl CaseRequest {
    /// A request without headers, body or authentication, from [`DEFAULT_PEER`].
    #[must_use]
    pub fn new(method: &str, path: &str) -> Self {
        Self {
            method: Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET),
            path: path.to_owned(),
            headers: Vec::new(),
            body: Bytes::new(),
            auth: Auth::None,
            peer: DEFAULT_PEER.parse().ok(),
        }
    }

    /// With a token in `X-Cachet-Token`.
    #[must_use]
    pub fn token(mut self, kind: TokenKind) -> Self {
        self.auth = Auth::Token(kind);
        self
    }

    /// With a JSON body and its content type.
    #[must_use]
    pub fn json(mut self, body: &Value) -> Self {
        self.headers
            .push(("content-type".into(), "application/json".into()));
        self.body = Bytes::from(body.to_string());
        self
    }
}

/// Something to create before the request, through the facade (as the operator) unless
/// said otherwise. Ids count from 1 per kind, in fixture order.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Fixture {
    /// A component.
    Component {
        /// Name.
        name: &'static str,
        /// Status code 0..=4.
        status: u8,
        /// Visible to visitors.
        enabled: bool,
        /// Group id.
        group: Option<i64>,
    },
    /// A component group.
    Group {
        /// Name.
        name: &'static str,
        /// Visible to visitors.
        visible: bool,
    },
    /// An incident.
    Incident {
        /// Name.
        name: &'static str,
        /// Status code 0..=4.
        status: u8,
        /// Visible to visitors.
        visible: bool,
        /// Affected components with the status the incident gives them.
        components: Vec<(i64, u8)>,
    },
    /// An update of an incident.
    IncidentUpdate {
        /// The incident.
        incident: i64,
        /// Status code 1..=4.
        status: u8,
        /// Message.
        message: &'static str,
    },
    /// An incident template.
    Template {
        /// Name (the slug is made from it).
        name: &'static str,
        /// Twig-like source.
        template: &'static str,
    },
    /// A maintenance schedule starting some hours from now (negative: in the past).
    Schedule {
        /// Name.
        name: &'static str,
        /// Status code 0..=2.
        status: u8,
        /// Start, in hours from now.
        starts_in_hours: i64,
        /// Affected components.
        components: Vec<i64>,
    },
    /// A metric.
    Metric {
        /// Name.
        name: &'static str,
        /// Visibility code (0 signed-in, 1 everyone, 2 hidden).
        visible: u8,
    },
    /// A metric point now.
    MetricPoint {
        /// The metric.
        metric: i64,
        /// The value.
        value: f64,
    },
    /// A subscriber.
    Subscriber {
        /// Address.
        email: &'static str,
        /// Verified already.
        verified: bool,
    },
    /// A setting.
    Setting(SettingKey, &'static str),
    /// A monitoring integration of `kind` (`alertmanager`, `grafana`, `uptime_kuma`,
    /// `gatus`, `generic`) whose secret is [`ALERT_SECRET`](super::ALERT_SECRET), with one
    /// rule moving component `component` to major outage while an alert with the labels of
    /// `matcher` fires (no hold time), opening an incident titled `incident` if given.
    Integration {
        /// The sender's kind.
        kind: &'static str,
        /// The component of its rule.
        component: i64,
        /// The rule's label equality.
        matcher: &'static str,
        /// The title of the incident the rule opens.
        incident: Option<&'static str>,
    },
    /// A request sent before the case's own, through the host (its answer is not checked
    /// beyond not being a 500): to spend a rate limit, to create something by API.
    Prior(CaseRequest),
    /// Moves the clock.
    AdvanceMinutes(i64),
}

/// What a header must be.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HeaderCheck {
    /// Present, any value.
    Present,
    /// Absent.
    Absent,
    /// Exactly this value (`{public}` is the site's public URL).
    Exact(String),
    /// Contains this text, case-insensitively.
    Contains(String),
    /// A whole number at least this large.
    AtLeast(u64),
}

/// What the body must be.
///
/// In expected JSON, strings may be placeholders: `"<any>"` (any value), `"<string>"`,
/// `"<number>"`, `"<date>"` (a `Y-m-d H:i:s` or RFC 3339 date), `"<request-id>"` (the
/// `X-Request-Id` of the answer); `{public}` in a string is the site's public URL. Objects
/// must have exactly the expected keys.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum BodyCheck {
    /// No bytes.
    Empty,
    /// The whole JSON document.
    Json(Value),
    /// The value at a JSON pointer (`/data/0/name`); `Value::Null` also matches a missing
    /// value.
    JsonAt(&'static str, Value),
    /// The array at a JSON pointer has this many items.
    Len(&'static str, usize),
    /// The body contains this text (`{public}` substituted).
    Contains(String),
    /// The body does not contain this text (`{public}` substituted).
    NotContains(String),
    /// Cachet's error envelope with one error of the answer's status and request id.
    Error,
}

/// What the answer must be.
#[derive(Debug, Clone, PartialEq)]
pub struct Expect {
    /// The status code.
    pub status: u16,
    /// Header checks.
    pub headers: Vec<(&'static str, HeaderCheck)>,
    /// Body checks.
    pub body: Vec<BodyCheck>,
}

/// A change to the site's configuration, applied before the `Cachet` is built.
pub type Configure = fn(&mut Config);

/// One case.
#[derive(Debug, Clone)]
pub struct HttpCase {
    /// A unique name.
    pub name: String,
    /// The configuration change, if any.
    pub configure: Option<Configure>,
    /// What to create first.
    pub setup: Vec<Fixture>,
    /// The request.
    pub request: CaseRequest,
    /// What must come back.
    pub expect: Expect,
    /// A known bug this case exposes (see the module docs).
    pub known_bug: Option<&'static str>,
}

impl HttpCase {
    /// A case sending `method path`, expecting 200 until told otherwise.
    #[must_use]
    pub fn new(name: &str, method: &str, path: &str) -> Self {
        Self {
            name: name.to_owned(),
            configure: None,
            setup: Vec::new(),
            request: CaseRequest::new(method, path),
            expect: Expect {
                status: 200,
                headers: Vec::new(),
                body: Vec::new(),
            },
            known_bug: None,
        }
    }

    /// `GET path`.
    #[must_use]
    pub fn get(name: &str, path: &str) -> Self {
        Self::new(name, "GET", path)
    }

    /// Adds a fixture.
    #[must_use]
    pub fn with(mut self, fixture: Fixture) -> Self {
        self.setup.push(fixture);
        self
    }

    /// Changes the configuration.
    #[must_use]
    pub fn configure(mut self, f: Configure) -> Self {
        self.configure = Some(f);
        self
    }

    /// Sends a token in `X-Cachet-Token`.
    #[must_use]
    pub fn token(mut self, kind: TokenKind) -> Self {
        self.request.auth = Auth::Token(kind);
        self
    }

    /// Authenticates some other way.
    #[must_use]
    pub fn auth(mut self, auth: Auth) -> Self {
        self.request.auth = auth;
        self
    }

    /// Adds a request header.
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.request
            .headers
            .push((name.to_owned(), value.to_owned()));
        self
    }

    /// A JSON body (with `Content-Type: application/json`).
    #[must_use]
    pub fn json(mut self, body: &Value) -> Self {
        self.request = self.request.json(body);
        self
    }

    /// A raw body with a content type.
    #[must_use]
    pub fn body(mut self, content_type: &str, body: impl Into<Bytes>) -> Self {
        self.request
            .headers
            .push(("content-type".to_owned(), content_type.to_owned()));
        self.request.body = body.into();
        self
    }

    /// From another peer (`None`: no address known).
    #[must_use]
    pub fn peer(mut self, peer: Option<&str>) -> Self {
        self.request.peer = peer.and_then(|p| p.parse().ok());
        self
    }

    /// Expects this status.
    #[must_use]
    pub fn status(mut self, status: u16) -> Self {
        self.expect.status = status;
        self
    }

    /// Expects this status with Cachet's error envelope.
    #[must_use]
    pub fn error(mut self, status: u16) -> Self {
        self.expect.status = status;
        self.expect.body.push(BodyCheck::Error);
        self
    }

    /// Expects a header.
    #[must_use]
    pub fn expect_header(mut self, name: &'static str, check: HeaderCheck) -> Self {
        self.expect.headers.push((name, check));
        self
    }

    /// Expects a body.
    #[must_use]
    pub fn expect(mut self, check: BodyCheck) -> Self {
        self.expect.body.push(check);
        self
    }

    /// Expects this whole JSON document.
    #[must_use]
    pub fn expect_json(self, value: Value) -> Self {
        self.expect(BodyCheck::Json(value))
    }

    /// Expects this value at a JSON pointer.
    #[must_use]
    pub fn expect_at(self, pointer: &'static str, value: Value) -> Self {
        self.expect(BodyCheck::JsonAt(pointer, value))
    }

    /// Expects the body to contain a text.
    #[must_use]
    pub fn contains(self, text: &str) -> Self {
        self.expect(BodyCheck::Contains(text.to_owned()))
    }

    /// Expects the body not to contain a text.
    #[must_use]
    pub fn not_contains(self, text: &str) -> Self {
        self.expect(BodyCheck::NotContains(text.to_owned()))
    }

    /// Marks a known bug.
    #[must_use]
    pub fn known_bug(mut self, why: &'static str) -> Self {
        self.known_bug = Some(why);
        self
    }
}

/// A component fixture.
#[must_use]
pub fn component(name: &'static str, status: u8) -> Fixture {
    Fixture::Component {
        name,
        status,
        enabled: true,
        group: None,
    }
}
