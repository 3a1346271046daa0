//! The shared list of HTTP cases every host of the web layer must pass (feature `testing`).
//!
//! **Not covered by semver**, like the store suite: cases are added and tightened in minor
//! releases.
//!
//! The core answers requests through [`Cachet::handle`]; the axum and actix adapters only
//! convert types. To prove that an adapter changes nothing, the same cases run through the
//! core directly (`cachet-core/tests/http_cases.rs`) and through each adapter
//! (`tests/parity.rs` of `cachet-axum` and `cachet-actix`), at the root and mounted under a
//! prefix.
//!
//! A case is data: a name, a [`Fixture`] list (created through the facade on a fresh
//! [`Cachet`] over a [`MemoryStore`] with a [`ManualClock`], public URL
//! `https://status.example.com` plus the mount prefix), one request, and what the answer must
//! be (status, headers, body). The runner builds the fixtures, hands the request to the
//! host's `send` function, checks the answer and collects every failure with the case's name.
//! Besides each case's own expectations, every answer must carry the security headers, must
//! not be a 500, and an API error must use Cachet's envelope with the request id.
//! [`run_identical`] goes further for adapters: every case's whole answer through the host
//! must equal the core's.
//!
//! ```
//! use cachet_core::testing::http;
//!
//! let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
//! rt.block_on(async {
//!     // A host's `send`: here the core itself; an adapter converts and calls its framework.
//!     let send = |cachet: cachet_core::Cachet, req, cx| async move { cachet.handle(req, cx).await };
//!     let some = &http::cases()[..10];
//!     let summary = http::run_cases(some, "", send)
//!         .await
//!         .unwrap_or_else(|failures| panic!("{}", failures.join("\n\n")));
//!     assert_eq!(summary.passed + summary.known_bugs.len(), 10);
//! });
//! ```
//!
//! A case may carry a known bug ([`HttpCase::known_bug`]): it then runs as usual, and its
//! failure is listed in [`Summary::known_bugs`] instead of failing the run; once it passes it
//! is listed in [`Summary::no_longer_failing`], which the core's own run requires to be
//! empty, so the marker goes with the fix.

mod cases_components;
mod cases_core;
mod cases_dashboard;
mod cases_groups;
mod cases_incidents;
mod cases_metrics;
mod cases_pages;
mod cases_schedules;
mod cases_statuspage;
mod cases_statuspage_manage;
mod cases_subscribers;
mod cases_telemetry;

use std::fmt::Write as _;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use chrono::TimeDelta;
use http::{HeaderMap, Method, Request, Response};
use serde_json::Value;

use crate::auth::password::Argon2Params;
use crate::clock::ManualClock;
use crate::model::*;
use crate::secrets::{Keyring, SecretKey};
use crate::store::memory::MemoryStore;
use crate::validate::{Email, HttpUrl, Locale, Markdown, MetricValue, Name, Slug};
use crate::web::RequestContext;
use crate::{Actor, Cachet, Config};

pub use cases_telemetry::PROMETHEUS_TOKEN;

/// The public URL of every case's site, before the mount prefix.
pub const PUBLIC_HOST: &str = "https://status.example.com";

/// The peer address of a case's requests unless the case says otherwise.
pub const DEFAULT_PEER: &str = "192.0.2.10:40000";

/// The password of every user the fixtures create.
pub const PASSWORD: &str = "tangerine orbit cactus lullaby";

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
    fn role_scope(self) -> (Role, TokenScope) {
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

/// Every case, in a stable order.
#[must_use]
pub fn cases() -> Vec<HttpCase> {
    let mut all = Vec::new();
    all.extend(cases_core::cases());
    all.extend(cases_components::cases());
    all.extend(cases_groups::cases());
    all.extend(cases_incidents::cases());
    all.extend(cases_metrics::cases());
    all.extend(cases_schedules::cases());
    all.extend(cases_subscribers::cases());
    all.extend(cases_statuspage::cases());
    all.extend(cases_statuspage_manage::cases());
    all.extend(cases_pages::cases());
    all.extend(cases_dashboard::cases());
    all.extend(cases_telemetry::cases());
    all
}

/// The outcome of a run that did not fail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Cases that passed.
    pub passed: usize,
    /// Cases with a known bug that still fail, with their failure.
    pub known_bugs: Vec<String>,
    /// Cases marked with a known bug that passed. Through the core this means the bug is
    /// fixed and the marker should go; through an adapter it may be the framework's doing
    /// (axum drops the body of every answer to `HEAD`).
    pub no_longer_failing: Vec<String>,
}

/// A fresh site for one case: the facade, its clock, and the tokens created on demand.
#[derive(Debug)]
pub struct Site {
    /// The facade.
    pub cachet: Cachet,
    /// Its clock.
    pub clock: Arc<ManualClock>,
    /// The public URL, with the mount prefix.
    pub public_url: String,
    tokens: Vec<(TokenKind, String)>,
    users: Vec<(Role, UserId)>,
}

impl Site {
    /// A site over an empty [`MemoryStore`] on a [`ManualClock`] at 2026-01-01, public URL
    /// [`PUBLIC_HOST`] plus `prefix`, with the cheapest allowed password hashing.
    ///
    /// # Errors
    ///
    /// A message when the configuration or the facade cannot be built.
    pub fn new(prefix: &str, configure: Option<Configure>) -> Result<Self, String> {
        let public_url = format!("{PUBLIC_HOST}{prefix}");
        let url = HttpUrl::parse(&public_url).map_err(|e| format!("public URL: {e}"))?;
        let mut config = Config::new(url);
        config.argon2 = Argon2Params::MINIMUM;
        if let Some(f) = configure {
            f(&mut config);
        }
        let clock = Arc::new(ManualClock::at_epoch_2026());
        let keyring = Keyring::new(1, SecretKey::from_bytes([7; 32]));
        let cachet =
            Cachet::with_clock(Arc::new(MemoryStore::new()), keyring, config, clock.clone())
                .map_err(|e| format!("Cachet: {e}"))?;
        Ok(Self {
            cachet,
            clock,
            public_url,
            tokens: Vec::new(),
            users: Vec::new(),
        })
    }

    async fn user(&mut self, role: Role) -> Result<UserId, String> {
        if let Some((_, id)) = self.users.iter().find(|(r, _)| *r == role) {
            return Ok(*id);
        }
        let email = format!("{}@example.com", role.as_str());
        let input = crate::parse_new_user("Some One", &email, role.as_str(), PASSWORD.into())
            .map_err(|e| format!("user: {e}"))?;
        let user = self
            .cachet
            .operator_create_user(input)
            .await
            .map_err(|e| format!("user: {e}"))?;
        self.users.push((role, user.id));
        Ok(user.id)
    }

    /// The secret of a token of that kind, created on first use.
    ///
    /// # Errors
    ///
    /// A message when the facade refuses.
    pub async fn token(&mut self, kind: TokenKind) -> Result<String, String> {
        if let Some((_, t)) = self.tokens.iter().find(|(k, _)| *k == kind) {
            return Ok(t.clone());
        }
        let (role, scope) = kind.role_scope();
        let owner = self.user(role).await?;
        let op = Actor::operator();
        let name = Name::parse(&format!("{kind:?}")).map_err(|e| e.to_string())?;
        let expiry = (kind == TokenKind::Expired).then(|| TimeDelta::minutes(1));
        let (row, secret) = self
            .cachet
            .create_api_token(&op, owner, name, scope, expiry)
            .await
            .map_err(|e| format!("token: {e}"))?;
        if kind == TokenKind::Revoked {
            self.cachet
                .revoke_api_token(&op, row.id)
                .await
                .map_err(|e| format!("revoke: {e}"))?;
        }
        self.tokens.push((kind, secret.clone()));
        Ok(secret)
    }

    /// Builds the request a host would receive at `prefix` + the case's path.
    ///
    /// # Errors
    ///
    /// A message when the request cannot be built.
    pub async fn request(
        &mut self,
        r: &CaseRequest,
        prefix: &str,
    ) -> Result<(Request<Bytes>, RequestContext), String> {
        // The mount point's own page is `/status`, as the page links it: `/status/` is the
        // host's (axum's `nest` leaves it to the host router).
        let path = match r.path.strip_prefix('/') {
            Some(rest) if !prefix.is_empty() && (rest.is_empty() || rest.starts_with('?')) => {
                format!("{prefix}{rest}")
            }
            _ => format!("{prefix}{}", r.path),
        };
        // Statuspage management paths name the page, whose id is derived from the site's key.
        let path = path.replace("{page_id}", &crate::web::statuspage::page_id(&self.cachet));
        let mut b = Request::builder().method(r.method.clone()).uri(path);
        for (k, v) in &r.headers {
            b = b.header(k.as_str(), v.as_str());
        }
        let mut principal = None;
        match &r.auth {
            Auth::None => {}
            Auth::Token(k) => b = b.header("x-cachet-token", self.token(*k).await?),
            Auth::Bearer(k) => {
                b = b.header("authorization", format!("Bearer {}", self.token(*k).await?));
            }
            Auth::OAuth(k) => {
                b = b.header("authorization", format!("OAuth {}", self.token(*k).await?));
            }
            Auth::RawToken(t) => b = b.header("x-cachet-token", t.as_str()),
            Auth::Principal(name, role) => {
                principal = Some(crate::web::Principal::new(name.clone(), *role));
            }
        }
        let req = b
            .body(r.body.clone())
            .map_err(|e| format!("request: {e}"))?;
        Ok((
            req,
            RequestContext {
                peer: r.peer,
                principal,
            },
        ))
    }

    async fn fixture<F, Fut>(&mut self, f: &Fixture, prefix: &str, send: &F) -> Result<(), String>
    where
        F: Fn(Cachet, Request<Bytes>, RequestContext) -> Fut,
        Fut: Future<Output = Response<Bytes>>,
    {
        let op = Actor::operator();
        let c = self.cachet.clone();
        let name = |s: &str| Name::parse(s).map_err(|e| format!("fixture name {s:?}: {e}"));
        let e = |what: &'static str| move |err: crate::Error| format!("fixture {what}: {err}");
        let code = |what: &'static str| move |v: crate::validate::Violation| format!("{what}: {v}");
        match f {
            Fixture::Component {
                name: n,
                status,
                enabled,
                group,
            } => {
                let mut new = NewComponent::named(
                    name(n)?,
                    ComponentStatus::from_code((*status).into()).map_err(code("status"))?,
                );
                new.enabled = *enabled;
                new.group_id = group.map(GroupId);
                c.create_component(&op, &new)
                    .await
                    .map_err(e("component"))?;
            }
            Fixture::Group { name: n, visible } => {
                let new = NewComponentGroup {
                    name: name(n)?,
                    order: crate::validate::Order::default(),
                    collapsed: Collapsed::from_code(0).map_err(code("collapsed"))?,
                    visible: GroupVisibility::from_code(i64::from(*visible))
                        .map_err(code("visible"))?,
                };
                c.create_group(&op, &new).await.map_err(e("group"))?;
            }
            Fixture::Incident {
                name: n,
                status,
                visible,
                components,
            } => {
                let mut affected = Vec::new();
                for (id, s) in components {
                    affected.push(AffectedComponent {
                        component_id: ComponentId(*id),
                        status: ComponentStatus::from_code((*s).into()).map_err(code("status"))?,
                    });
                }
                let new = NewIncident {
                    user_id: None,
                    name: name(n)?,
                    status: IncidentStatus::from_code((*status).into()).map_err(code("status"))?,
                    message: Markdown::parse("Looking into it.").map_err(code("message"))?,
                    visible: *visible,
                    stickied: false,
                    notify: false,
                    occurred_at: c.now(),
                    components: affected,
                    apply_component_status: true,
                    meta: crate::validate::Meta::default(),
                };
                c.create_incident(&op, &new).await.map_err(e("incident"))?;
            }
            Fixture::IncidentUpdate {
                incident,
                status,
                message,
            } => {
                let new = NewIncidentUpdate {
                    status: IncidentStatus::from_code((*status).into()).map_err(code("status"))?,
                    message: Markdown::parse(message).map_err(code("message"))?,
                    user_id: None,
                    component: None,
                };
                c.create_incident_update(&op, IncidentId(*incident), &new)
                    .await
                    .map_err(e("incident update"))?;
            }
            Fixture::Template { name: n, template } => {
                let new = NewIncidentTemplate {
                    name: name(n)?,
                    slug: Slug::from_name(n).ok_or("template slug")?,
                    template: Markdown::parse(template).map_err(code("template"))?,
                };
                c.create_template(&op, &new).await.map_err(e("template"))?;
            }
            Fixture::Schedule {
                name: n,
                status,
                starts_in_hours,
                components,
            } => {
                let start = c.now() + TimeDelta::hours(*starts_in_hours);
                let new = NewSchedule {
                    name: name(n)?,
                    message: Markdown::parse("Upgrading the database.").map_err(code("message"))?,
                    status: ScheduleStatus::from_code((*status).into()).map_err(code("status"))?,
                    scheduled_at: start,
                    completed_at: Some(start + TimeDelta::hours(2)),
                    components: components.iter().copied().map(ComponentId).collect(),
                    notify: false,
                    user_id: None,
                };
                c.create_schedule(&op, &new).await.map_err(e("schedule"))?;
            }
            Fixture::Metric { name: n, visible } => {
                let new = NewMetric {
                    name: name(n)?,
                    suffix: crate::validate::Text::parse("ms").map_err(code("suffix"))?,
                    description: Markdown::empty(),
                    default_value: MetricValue::from_f64(0.0).map_err(code("default"))?,
                    calc_type: CalcType::from_code(0).map_err(code("calc_type"))?,
                    display_chart: true,
                    places: crate::validate::Places::default(),
                    default_view: MetricView::from_code(1).map_err(code("view"))?,
                    threshold: crate::validate::Threshold::default(),
                    order: crate::validate::Order::default(),
                    visible: Visibility::from_code((*visible).into()).map_err(code("visible"))?,
                };
                c.create_metric(&op, &new).await.map_err(e("metric"))?;
            }
            Fixture::MetricPoint { metric, value } => {
                let v = MetricValue::from_f64(*value).map_err(code("value"))?;
                c.record_metric_point(&op, MetricId(*metric), v, None)
                    .await
                    .map_err(e("metric point"))?;
            }
            Fixture::Subscriber { email, verified } => {
                let email = Email::parse(email).map_err(code("email"))?;
                c.add_subscriber(&op, &email, Vec::new(), *verified, Locale::english())
                    .await
                    .map_err(e("subscriber"))?;
            }
            Fixture::Setting(key, value) => {
                c.put_settings(&op, &[(*key, (*value).to_owned())])
                    .await
                    .map_err(e("setting"))?;
            }
            Fixture::Prior(r) => {
                let (req, cx) = self.request(r, prefix).await?;
                let resp = send(c.clone(), req, cx).await;
                if resp.status().is_server_error() {
                    return Err(format!(
                        "prior {} {} answered {}",
                        r.method,
                        r.path,
                        resp.status()
                    ));
                }
            }
            Fixture::AdvanceMinutes(m) => self.clock.advance(TimeDelta::minutes(*m)),
        }
        Ok(())
    }
}

/// Runs every case at the root (the core, or an adapter serving the whole site).
///
/// # Errors
///
/// Every failure, each starting with the case's name.
pub async fn run_all<F, Fut>(send: F) -> Result<Summary, Vec<String>>
where
    F: Fn(Cachet, Request<Bytes>, RequestContext) -> Fut,
    Fut: Future<Output = Response<Bytes>>,
{
    run_cases(&cases(), "", send).await
}

/// Runs cases with the site mounted at `prefix` (`""` or `/status`): requests go to
/// `prefix + path` and the public URL ends with the prefix, so links must carry it.
///
/// # Errors
///
/// Every failure, each starting with the case's name.
pub async fn run_cases<F, Fut>(
    cases: &[HttpCase],
    prefix: &str,
    send: F,
) -> Result<Summary, Vec<String>>
where
    F: Fn(Cachet, Request<Bytes>, RequestContext) -> Fut,
    Fut: Future<Output = Response<Bytes>>,
{
    let mut failures = Vec::new();
    let mut summary = Summary::default();
    for case in cases {
        let outcome = run_case(case, prefix, &send).await;
        match (outcome, case.known_bug) {
            (Ok(()), None) => summary.passed += 1,
            (Err(why), None) => failures.push(format!("[{}{}] {why}", prefix, case.name)),
            (Err(why), Some(bug)) => summary
                .known_bugs
                .push(format!("[{}] known bug ({bug}): {why}", case.name)),
            (Ok(()), Some(bug)) => {
                summary.passed += 1;
                summary
                    .no_longer_failing
                    .push(format!("[{}] {bug}", case.name));
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    for case in cases {
        if !seen.insert(case.name.as_str()) {
            failures.push(format!("[{}] duplicate case name", case.name));
        }
    }
    if failures.is_empty() {
        Ok(summary)
    } else {
        Err(failures)
    }
}

async fn run_case<F, Fut>(case: &HttpCase, prefix: &str, send: &F) -> Result<(), String>
where
    F: Fn(Cachet, Request<Bytes>, RequestContext) -> Fut,
    Fut: Future<Output = Response<Bytes>>,
{
    let mut site = Site::new(prefix, case.configure)?;
    // Tokens first, so that fixtures and the clock cannot disturb their creation.
    if let Auth::Token(k) | Auth::Bearer(k) = case.request.auth {
        site.token(k).await?;
    }
    for f in &case.setup {
        site.fixture(f, prefix, send).await?;
    }
    if matches!(
        case.request.auth,
        Auth::Token(TokenKind::Expired) | Auth::Bearer(TokenKind::Expired)
    ) {
        site.clock.advance(TimeDelta::minutes(2));
    }
    let (req, cx) = site.request(&case.request, prefix).await?;
    let head = req.method() == Method::HEAD;
    let https = site.cachet.config().public_url.is_https();
    let resp = send(site.cachet.clone(), req, cx).await;
    let mut errors = Vec::new();
    check(&case.expect, &resp, &site.public_url, head, &mut errors);
    if !https {
        // `check` wants HSTS everywhere; over plain http it must be absent instead.
        errors.retain(|e| !e.contains("strict-transport-security"));
        if resp.headers().contains_key("strict-transport-security") {
            errors.push("HSTS over plain http".to_owned());
        }
    }
    let path = case.request.path.split('?').next().unwrap_or("");
    if path == "/api/v1"
        || path.starts_with("/api/v1/")
        || path.starts_with("/api/v2/")
        || path.starts_with("/v1/pages/")
    {
        if resp.headers().contains_key("set-cookie") {
            errors.push("an API answer sets a cookie".to_owned());
        }
        let json = header(resp.headers(), "content-type")
            .is_some_and(|c| c.starts_with("application/json"));
        if !resp.body().is_empty() && !json {
            errors.push("an API answer with a body that is not application/json".to_owned());
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        let body = String::from_utf8_lossy(resp.body());
        let shown: String = body.chars().take(600).collect();
        let mut msg = format!("{} {}:", case.request.method, case.request.path);
        for e in &errors {
            let _ = write!(msg, "\n  - {e}");
        }
        let _ = write!(msg, "\n  answer {}: {shown}", resp.status());
        Err(msg)
    }
}

/// Runs every case twice on identical fresh sites, once through the host's `send` at
/// `prefix` and once through [`Cachet::handle`] directly, and requires the same answer:
/// status, headers (but `X-Request-Id`, `Retry-After`, which follows the wall clock, and the
/// framing `Content-Length`) and
/// body (with the request id masked). This is the adapters' strongest parity proof: whatever
/// a case does not assert, a host may still not change.
///
/// # Errors
///
/// Every difference, each starting with the case's name.
pub async fn run_identical<F, Fut>(prefix: &str, send: F) -> Result<usize, Vec<String>>
where
    F: Fn(Cachet, Request<Bytes>, RequestContext) -> Fut,
    Fut: Future<Output = Response<Bytes>>,
{
    let core = |c: Cachet, req: Request<Bytes>, cx: RequestContext| async move {
        // The core sees the path below the mount point, as the adapters give it.
        let (mut parts, body) = req.into_parts();
        if let Some(rest) = parts
            .uri
            .path_and_query()
            .and_then(|pq| pq.as_str().strip_prefix(prefix))
            .and_then(|rest| {
                let rest = if rest.starts_with('/') {
                    rest.to_owned()
                } else {
                    format!("/{rest}")
                };
                rest.parse::<http::Uri>().ok()
            })
        {
            parts.uri = rest;
        }
        c.handle(Request::from_parts(parts, body), cx).await
    };
    let mut differences = Vec::new();
    let cases = cases();
    for case in &cases {
        match (
            answer(case, prefix, &core).await,
            answer(case, prefix, &send).await,
        ) {
            (Ok(a), Ok(b)) => {
                if let Some(d) = difference(&a, &b) {
                    differences.push(format!("[{}] core and host differ: {d}", case.name));
                }
            }
            (Err(e), _) | (_, Err(e)) => differences.push(format!("[{}] {e}", case.name)),
        }
    }
    if differences.is_empty() {
        Ok(cases.len())
    } else {
        Err(differences)
    }
}

async fn answer<F, Fut>(case: &HttpCase, prefix: &str, send: &F) -> Result<Response<Bytes>, String>
where
    F: Fn(Cachet, Request<Bytes>, RequestContext) -> Fut,
    Fut: Future<Output = Response<Bytes>>,
{
    let mut site = Site::new(prefix, case.configure)?;
    if let Auth::Token(k) | Auth::Bearer(k) = case.request.auth {
        site.token(k).await?;
    }
    for f in &case.setup {
        site.fixture(f, prefix, send).await?;
    }
    if matches!(
        case.request.auth,
        Auth::Token(TokenKind::Expired) | Auth::Bearer(TokenKind::Expired)
    ) {
        site.clock.advance(TimeDelta::minutes(2));
    }
    let (req, cx) = site.request(&case.request, prefix).await?;
    Ok(send(site.cachet.clone(), req, cx).await)
}

fn difference(a: &Response<Bytes>, b: &Response<Bytes>) -> Option<String> {
    if a.status() != b.status() {
        return Some(format!("status {} and {}", a.status(), b.status()));
    }
    // `Content-Length` is framing, which each framework writes itself.
    let skip = |n: &http::HeaderName| {
        n == "x-request-id" || n == "retry-after" || n == http::header::CONTENT_LENGTH
    };
    let list = |r: &Response<Bytes>| {
        let mut v: Vec<(String, Vec<u8>)> = r
            .headers()
            .iter()
            .filter(|(n, _)| !skip(n))
            .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
            .collect();
        v.sort();
        v
    };
    let (ha, hb) = (list(a), list(b));
    if ha != hb {
        let show = |h: &[(String, Vec<u8>)]| {
            h.iter()
                .map(|(n, v)| format!("{n}: {}", String::from_utf8_lossy(v)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Some(format!(
            "headers\n  core: {}\n  host: {}",
            show(&ha),
            show(&hb)
        ));
    }
    let mask = |r: &Response<Bytes>| {
        let id = header(r.headers(), "x-request-id").unwrap_or("-");
        String::from_utf8_lossy(r.body()).replace(id, "<request-id>")
    };
    let (ba, bb) = (mask(a), mask(b));
    (ba != bb).then(|| format!("bodies\n  core: {ba:.300}\n  host: {bb:.300}"))
}

/// The headers every answer carries.
const SECURITY_HEADERS: &[(&str, Option<&str>)] = &[
    ("content-security-policy", Some(crate::web::headers::CSP)),
    ("x-content-type-options", Some("nosniff")),
    ("referrer-policy", Some("strict-origin-when-cross-origin")),
    ("x-frame-options", Some("DENY")),
    ("cross-origin-opener-policy", Some("same-origin")),
    ("permissions-policy", None),
    (
        "strict-transport-security",
        Some("max-age=63072000; includeSubDomains"),
    ),
];

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

fn check(
    expect: &Expect,
    resp: &Response<Bytes>,
    public: &str,
    head: bool,
    errors: &mut Vec<String>,
) {
    let status = resp.status().as_u16();
    if status != expect.status {
        errors.push(format!("status {status}, expected {}", expect.status));
    }
    let h = resp.headers();
    for (name, value) in SECURITY_HEADERS {
        match (header(h, name), value) {
            (None, _) => errors.push(format!("security header {name} missing")),
            (Some(v), Some(want)) if v != *want => {
                errors.push(format!("security header {name}: {v:?}, expected {want:?}"));
            }
            _ => {}
        }
    }
    let request_id = header(h, "x-request-id").unwrap_or_default();
    if request_id.len() != 32 || !request_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        errors.push(format!("x-request-id {request_id:?} is not 32 hex digits"));
    }
    if status >= 500 && expect.status < 500 {
        errors.push("a server error".to_owned());
    }
    for (name, want) in &expect.headers {
        let got = header(h, name);
        let ok = match (want, got) {
            (HeaderCheck::Present, g) => g.is_some(),
            (HeaderCheck::Absent, g) => g.is_none() && !h.contains_key(*name),
            (HeaderCheck::Exact(w), Some(g)) => g == w.replace("{public}", public),
            (HeaderCheck::Contains(w), Some(g)) => g
                .to_ascii_lowercase()
                .contains(&w.replace("{public}", public).to_ascii_lowercase()),
            (HeaderCheck::AtLeast(n), Some(g)) => g.trim().parse::<u64>().is_ok_and(|v| v >= *n),
            (_, None) => false,
        };
        if !ok {
            errors.push(format!("header {name}: {got:?}, expected {want:?}"));
        }
    }
    let body = resp.body();
    let json: Option<Value> = serde_json::from_slice(body).ok();
    let is_json = header(h, "content-type").is_some_and(|c| c.contains("json"));
    if is_json && !body.is_empty() && json.is_none() && !head {
        errors.push("content-type says JSON but the body is not JSON".to_owned());
    }
    let text = String::from_utf8_lossy(body);
    let cx = Cx { public, request_id };
    for want in &expect.body {
        match want {
            BodyCheck::Empty => {
                if !body.is_empty() {
                    errors.push(format!("body of {} bytes, expected none", body.len()));
                }
            }
            BodyCheck::Json(v) => match &json {
                Some(j) => matches(v, j, "", &cx, errors),
                None => errors.push("body is not JSON".to_owned()),
            },
            BodyCheck::JsonAt(ptr, v) => match &json {
                Some(j) => {
                    let got = j.pointer(ptr).unwrap_or(&Value::Null);
                    matches(v, got, ptr, &cx, errors);
                }
                None => errors.push("body is not JSON".to_owned()),
            },
            BodyCheck::Len(ptr, n) => {
                let got = json
                    .as_ref()
                    .and_then(|j| j.pointer(ptr))
                    .and_then(Value::as_array)
                    .map(Vec::len);
                if got != Some(*n) {
                    errors.push(format!("{ptr}: {got:?} items, expected {n}"));
                }
            }
            BodyCheck::Contains(t) => {
                let t = t.replace("{public}", public);
                if !text.contains(&t) {
                    errors.push(format!("body does not contain {t:?}"));
                }
            }
            BodyCheck::NotContains(t) => {
                let t = t.replace("{public}", public);
                if text.contains(&t) {
                    errors.push(format!("body contains {t:?}"));
                }
            }
            BodyCheck::Error => {
                let reason = resp.status().canonical_reason().unwrap_or("Error");
                let envelope = serde_json::json!({"errors": [{
                    "id": "<request-id>", "status": status, "title": reason, "detail": "<string>",
                }]});
                match &json {
                    // `meta.details` may follow on validation errors.
                    Some(j) => {
                        let mut j = j.clone();
                        if let Some(e) = j.pointer_mut("/errors/0").and_then(Value::as_object_mut) {
                            e.remove("meta");
                        }
                        matches(&envelope, &j, "", &cx, errors);
                    }
                    None => errors.push("no JSON error envelope".to_owned()),
                }
                if !header(h, "content-type").is_some_and(|c| c.starts_with("application/json")) {
                    errors.push("error envelope without content-type application/json".into());
                }
            }
        }
    }
}

struct Cx<'a> {
    public: &'a str,
    request_id: &'a str,
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 16
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[7] == b'-'
        && (b[10] == b' ' || b[10] == b'T')
        && b[13] == b':'
}

fn matches(want: &Value, got: &Value, at: &str, cx: &Cx<'_>, errors: &mut Vec<String>) {
    let here = if at.is_empty() { "/" } else { at };
    match (want, got) {
        (Value::String(w), g) if w.starts_with('<') && w.ends_with('>') => {
            let ok = match w.as_str() {
                "<any>" => true,
                "<string>" => g.is_string(),
                "<number>" => g.is_number(),
                "<date>" => g.as_str().is_some_and(is_date),
                "<request-id>" => g.as_str() == Some(cx.request_id),
                _ => g.as_str() == Some(w.as_str()),
            };
            if !ok {
                errors.push(format!("{here}: {g}, expected {w}"));
            }
        }
        (Value::String(w), Value::String(g)) => {
            let w = w.replace("{public}", cx.public);
            if *g != w {
                errors.push(format!("{here}: {g:?}, expected {w:?}"));
            }
        }
        (Value::Object(w), Value::Object(g)) => {
            for k in w.keys().filter(|k| !g.contains_key(*k)) {
                errors.push(format!("{at}/{k}: missing"));
            }
            for k in g.keys().filter(|k| !w.contains_key(*k)) {
                errors.push(format!("{at}/{k}: unexpected field"));
            }
            for (k, wv) in w {
                if let Some(gv) = g.get(k) {
                    matches(wv, gv, &format!("{at}/{k}"), cx, errors);
                }
            }
        }
        (Value::Array(w), Value::Array(g)) => {
            if w.len() == g.len() {
                for (i, (wv, gv)) in w.iter().zip(g).enumerate() {
                    matches(wv, gv, &format!("{at}/{i}"), cx, errors);
                }
            } else {
                errors.push(format!("{here}: {} items, expected {}", g.len(), w.len()));
            }
        }
        (Value::Number(w), Value::Number(g)) => {
            if w.as_f64() != g.as_f64() {
                errors.push(format!("{here}: {g}, expected {w}"));
            }
        }
        (w, g) => {
            if w != g {
                errors.push(format!("{here}: {g}, expected {w}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> Response<Bytes> {
        let mut r = crate::web::response::json(
            http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK),
            &serde_json::from_str(body).unwrap_or(Value::Null),
        );
        crate::web::headers::secure(&mut r, true, &"a".repeat(32));
        r
    }

    fn errors(expect: &Expect, resp: &Response<Bytes>) -> Vec<String> {
        let mut e = Vec::new();
        check(expect, resp, "https://s.example/status", false, &mut e);
        e
    }

    #[test]
    fn the_checks_catch_what_they_should() {
        let ok = answer(
            200,
            r#"{"data":{"a":1,"link":"https://s.example/status/x","at":"2026-01-01 00:00:00"}}"#,
        );
        let case = HttpCase::get("t", "/")
            .expect_json(
                serde_json::json!({"data": {"a": 1, "link": "{public}/x", "at": "<date>"}}),
            )
            .expect_at("/data/a", serde_json::json!(1));
        assert!(
            errors(&case.expect, &ok).is_empty(),
            "{:?}",
            errors(&case.expect, &ok)
        );
        for wrong in [
            HttpCase::get("t", "/").status(201),
            HttpCase::get("t", "/").expect_json(serde_json::json!({"data": {"a": 1}})),
            HttpCase::get("t", "/").expect_at("/data/a", serde_json::json!(2)),
            HttpCase::get("t", "/")
                .expect_at("/data/link", serde_json::json!("https://s.example/x")),
            HttpCase::get("t", "/").contains("nope"),
            HttpCase::get("t", "/").not_contains("link"),
            HttpCase::get("t", "/").expect(BodyCheck::Empty),
            HttpCase::get("t", "/").error(200),
            HttpCase::get("t", "/").expect_header("retry-after", HeaderCheck::Present),
            HttpCase::get("t", "/").expect_header("x-frame-options", HeaderCheck::Absent),
        ] {
            assert!(!errors(&wrong.expect, &ok).is_empty(), "{:?}", wrong.expect);
        }
        let mut bare = answer(200, "{}");
        bare.headers_mut().remove("content-security-policy");
        assert!(!errors(&HttpCase::get("t", "/").expect, &bare).is_empty());
        let err = crate::web::response::api_error(
            http::StatusCode::NOT_FOUND,
            "",
            &"b".repeat(32),
            Vec::new(),
        );
        let mut err = err;
        crate::web::headers::secure(&mut err, true, &"c".repeat(32));
        assert!(
            !errors(&HttpCase::get("t", "/").error(404).expect, &err).is_empty(),
            "the error id must be the request id"
        );
    }
}
