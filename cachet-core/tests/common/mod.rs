//! Shared set-up for the facade tests: a `Cachet` on a manual clock over the store the
//! including test crate provides with its `new_store()` (in-memory here, SQLite in
//! `cachet-store`).
#![allow(dead_code, clippy::unwrap_used)]

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use bytes::Bytes;
use http::Response;

use cachet_core::clock::{Clock, ManualClock, Timestamp};
use cachet_core::model::*;
use cachet_core::secrets::{Keyring, SecretKey};
use cachet_core::store::{AuditFilter, AuditQuery, PageRequest, Store, WriteContext};
use cachet_core::validate::{HttpUrl, Markdown, Name};
use cachet_core::web::RequestContext;
use cachet_core::{Actor, Cachet, Config, LoginOutcome, SessionLookup, SessionTicket};

pub const PASSWORD: &str = "tangerine orbit cactus lullaby";
pub const NEW_PASSWORD: &str = "velvet harbor quantum pickle";

pub struct Harness {
    pub store: Arc<dyn Store>,
    pub clock: Arc<ManualClock>,
    pub cachet: Cachet,
}

impl Harness {
    pub async fn new() -> Self {
        Self::with_url("https://status.example.com").await
    }

    pub async fn with_url(url: &str) -> Self {
        Self::over(
            crate::new_store().await,
            Config::new(HttpUrl::parse(url).unwrap()),
        )
    }

    pub fn over(store: Arc<dyn Store>, config: Config) -> Self {
        let clock = Arc::new(ManualClock::at_epoch_2026());
        let keyring = Keyring::new(1, SecretKey::from_bytes([7; 32]));
        let cachet = Cachet::with_clock(store.clone(), keyring, config, clock.clone()).unwrap();
        Self {
            store,
            clock,
            cachet,
        }
    }

    pub fn cx(&self) -> WriteContext {
        WriteContext::at(self.clock.now())
    }

    pub fn clock_now(&self) -> Timestamp {
        self.clock.now()
    }

    pub async fn user(&self, email: &str, role: Role) -> User {
        let input =
            cachet_core::parse_new_user("Some One", email, role.as_str(), PASSWORD.into()).unwrap();
        self.cachet.operator_create_user(input).await.unwrap()
    }

    /// A new admin, `admin@example.com`, and an admin-scoped API token of theirs (the secret).
    pub async fn admin_api_token(&self) -> String {
        let admin = self.user("admin@example.com", Role::Admin).await;
        let (_, token) = self
            .cachet
            .create_api_token(
                &Actor::operator(),
                admin.id,
                name("t"),
                TokenScope::Admin,
                None,
            )
            .await
            .unwrap();
        token
    }

    pub async fn session(&self, email: &str) -> SessionTicket {
        match self
            .cachet
            .login(email, PASSWORD, ip(1), Some("test"), None)
            .await
            .unwrap()
        {
            LoginOutcome::SignedIn(t) => t,
            LoginOutcome::SecondFactorRequired(_) => panic!("2FA enrolled"),
        }
    }

    pub async fn actor(&self, secret: &str) -> Actor {
        match self.cachet.resolve_session(secret, ip(1)).await.unwrap() {
            SessionLookup::Active(a) => a,
            other => panic!("not an active session: {other:?}"),
        }
    }

    /// How many `action` events were audited: each row, plus the repeats a coalesced row
    /// counts (`... (repeated 5,999 more times in 60 s)`). Open coalescing windows are
    /// flushed first, so every refusal so far is counted.
    pub async fn audit_count(&self, action: AuditAction) -> u64 {
        self.cachet.flush_audit().await;
        let mut sum = 0;
        for page in 1.. {
            let q = AuditQuery::filtered(AuditFilter {
                action: Some(action),
                ..AuditFilter::default()
            })
            .paged(PageRequest::new(page, PageRequest::MAX_PER_PAGE));
            let items = self.store.audit_events(&q).await.unwrap().items;
            if items.is_empty() {
                break;
            }
            sum += items
                .iter()
                .map(|e| coalesced_count(e.detail.as_str()))
                .sum::<u64>();
        }
        sum
    }
}

/// How many events one audit row stands for: 1, or the repeats a coalescing count row
/// reports (the window's first event has a row of its own).
pub fn coalesced_count(detail: &str) -> u64 {
    let Some((_, rest)) = detail.split_once("(repeated ") else {
        return 1;
    };
    let digits: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(char::is_ascii_digit)
        .collect();
    digits.parse::<u64>().unwrap()
}

pub fn ip(n: u8) -> Option<IpAddr> {
    Some(IpAddr::V4(Ipv4Addr::new(192, 0, 2, n)))
}

pub fn name(s: &str) -> Name {
    Name::parse(s).unwrap()
}

pub fn component(s: &str) -> NewComponent {
    NewComponent::named(name(s), ComponentStatus::Operational)
}

pub fn md(s: &str) -> Markdown {
    Markdown::parse(s).unwrap()
}

/// The operator: the set-up writes as the host itself, past every role check.
pub fn op() -> Actor {
    Actor::operator()
}

/// Stores settings as the operator.
pub async fn settings(h: &Harness, pairs: &[(SettingKey, &str)]) {
    let values: Vec<(SettingKey, String)> =
        pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
    h.cachet.put_settings(&op(), &values).await.unwrap();
}

/// Posts an update to an incident as the operator.
pub async fn update(h: &Harness, i: IncidentId, status: IncidentStatus, message: &str) {
    h.cachet
        .create_incident_update(&op(), i, &NewIncidentUpdate::new(status, md(message)))
        .await
        .unwrap();
}

/// A visitor's request context: no principal, from a fixed documentation address.
pub fn guest() -> RequestContext {
    RequestContext {
        peer: Some("198.51.100.7:4000".parse().unwrap()),
        principal: None,
    }
}

/// A header of an answer as text, `""` when absent.
pub fn header<'a>(r: &'a Response<Bytes>, name: &str) -> &'a str {
    r.headers()
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or("")
}

/// RFC 4648 base32 without padding (what authenticator apps are given).
pub fn base32_decode(s: &str) -> Vec<u8> {
    let mut bits: u64 = 0;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes().filter(|c| *c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => panic!("not base32"),
        };
        bits = (bits << 5) | u64::from(v);
        n += 5;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    out
}
