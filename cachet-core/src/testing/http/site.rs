//! The site a case runs on and the fixtures it builds there.

use std::future::Future;
use std::sync::Arc;

use bytes::Bytes;
use chrono::TimeDelta;
use http::{Request, Response};

use super::{Auth, CaseRequest, Configure, Fixture, HttpCase, PASSWORD, PUBLIC_HOST, TokenKind};
use crate::auth::password::Argon2Params;
use crate::clock::ManualClock;
use crate::model::*;
use crate::secrets::{Keyring, SecretKey};
use crate::store::memory::MemoryStore;
use crate::validate::{Email, HttpUrl, Locale, Markdown, MetricValue, Name, Slug};
use crate::web::RequestContext;
use crate::{Actor, Cachet, Config};

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

    /// A fresh site for `case` with its tokens and fixtures in place, and the case's request
    /// as the host receives it.
    ///
    /// # Errors
    ///
    /// A message when the site, a fixture or the request cannot be built.
    pub(super) async fn for_case<F, Fut>(
        case: &HttpCase,
        prefix: &str,
        send: &F,
    ) -> Result<(Self, Request<Bytes>, RequestContext), String>
    where
        F: Fn(Cachet, Request<Bytes>, RequestContext) -> Fut,
        Fut: Future<Output = Response<Bytes>>,
    {
        let mut site = Self::new(prefix, case.configure)?;
        // Tokens first, so that fixtures and the clock cannot disturb their creation.
        if let Auth::Token(k) | Auth::Bearer(k) | Auth::Sanctum(k) = case.request.auth {
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
        Ok((site, req, cx))
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
            Auth::Sanctum(k) => {
                b = b.header(
                    "authorization",
                    format!("Bearer 1|{}", self.token(*k).await?),
                );
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
            Fixture::Integration {
                kind,
                component,
                matcher,
                incident,
            } => {
                let kind = IntegrationKind::parse(kind).map_err(code("kind"))?;
                let issued = c
                    .create_integration(&op, kind, name("Monitoring")?, true)
                    .await
                    .map_err(e("integration"))?;
                // A known secret, so the case can send it: set through the store, as the
                // facade only ever makes random ones.
                let patch = IntegrationPatch {
                    secret_hash: Some(crate::auth::tokens::hash_secret(super::ALERT_SECRET)),
                    ..IntegrationPatch::default()
                };
                c.store_unchecked()
                    .update_integration(c.cx(), issued.integration.id, &patch, &|_| {
                        crate::store::Effects::none()
                    })
                    .await
                    .map_err(|err| format!("fixture integration secret: {err}"))?;
                let settings = AlertRuleSettings {
                    component_id: ComponentId(*component),
                    matcher: AlertMatcher::parse(matcher).map_err(code("matcher"))?,
                    status: ComponentStatus::MajorOutage,
                    template_id: None,
                    incident_title: incident.map(name).transpose()?,
                    incident_message: None,
                    resolution: None,
                    hold_secs: 0,
                    recovery_hold_secs: 0,
                };
                c.create_alert_rule(&op, issued.integration.id, settings)
                    .await
                    .map_err(e("alert rule"))?;
            }
        }
        Ok(())
    }
}
