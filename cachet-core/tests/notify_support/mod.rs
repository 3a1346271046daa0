//! Shared fixtures of the notification tests: a recording notifier, content helpers and
//! HTTP helpers for the subscription pages.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use http::{Request, Response};

use cachet_core::model::*;
use cachet_core::notify::{
    Channel, DeliveryError, Dispatcher, DispatcherConfig, EmailMessage, Message, Notifier,
};
use cachet_core::validate::{Email, Locale, Markdown, Name};
use cachet_core::web::RequestContext;
use cachet_core::{Actor, Cachet};

pub const ORIGIN: &str = "https://status.example.com";

/// A notifier that records every message and answers from a script (then `Ok`).
pub struct Recorder {
    channel: Channel,
    sent: Mutex<Vec<Message>>,
    calls: Mutex<u32>,
    script: Mutex<VecDeque<Result<(), DeliveryError>>>,
    delay: Option<Duration>,
}

impl Recorder {
    pub fn new(channel: Channel) -> Arc<Self> {
        Arc::new(Self {
            channel,
            sent: Mutex::new(Vec::new()),
            calls: Mutex::new(0),
            script: Mutex::new(VecDeque::new()),
            delay: None,
        })
    }

    pub fn slow(channel: Channel, delay: Duration) -> Arc<Self> {
        Arc::new(Self {
            channel,
            sent: Mutex::new(Vec::new()),
            calls: Mutex::new(0),
            script: Mutex::new(VecDeque::new()),
            delay: Some(delay),
        })
    }

    pub fn email() -> Arc<Self> {
        Self::new(Channel::Email)
    }

    pub fn then(&self, r: Result<(), DeliveryError>) {
        self.script.lock().unwrap().push_back(r);
    }

    /// Every message accepted (a scripted failure is not recorded).
    pub fn sent(&self) -> Vec<Message> {
        self.sent.lock().unwrap().clone()
    }

    pub fn calls(&self) -> u32 {
        *self.calls.lock().unwrap()
    }

    pub fn emails(&self) -> Vec<EmailMessage> {
        self.sent()
            .into_iter()
            .filter_map(|m| match m {
                Message::Email(e) => Some(e),
                _ => None,
            })
            .collect()
    }

    pub fn take_emails(&self) -> Vec<EmailMessage> {
        let out = self.emails();
        self.sent.lock().unwrap().clear();
        out
    }

    pub fn recipients(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .emails()
            .iter()
            .map(|e| e.to.as_str().to_owned())
            .collect();
        v.sort();
        v
    }
}

#[async_trait]
impl Notifier for Recorder {
    fn channel(&self) -> Channel {
        self.channel
    }

    async fn deliver(&self, message: &Message) -> Result<(), DeliveryError> {
        if let Some(d) = self.delay {
            tokio::time::sleep(d).await;
        }
        *self.calls.lock().unwrap() += 1;
        let next = self.script.lock().unwrap().pop_front();
        match next {
            Some(Err(e)) => Err(e),
            _ => {
                self.sent.lock().unwrap().push(message.clone());
                Ok(())
            }
        }
    }
}

pub fn config(instance: &str) -> DispatcherConfig {
    DispatcherConfig {
        instance: instance.to_owned(),
        batch_size: 50,
        concurrency: 4,
        backoff_base: Duration::from_secs(10),
        backoff_cap: Duration::from_secs(600),
        max_attempts: 4,
        ..DispatcherConfig::default()
    }
}

pub fn dispatcher(cachet: &Cachet, rec: &Arc<Recorder>) -> Dispatcher {
    Dispatcher::new(cachet.clone(), vec![rec.clone() as Arc<dyn Notifier>])
        .with_config(config("test-1"))
}

/// Sets a component's status through the facade, as an operator.
pub async fn set_status(cachet: &Cachet, id: ComponentId, status: ComponentStatus) {
    let patch = ComponentPatch {
        status: Some(status),
        ..ComponentPatch::default()
    };
    cachet
        .update_component(&Actor::operator(), id, &patch)
        .await
        .unwrap();
}

/// A dispatcher whose only notifier records webhook calls.
pub fn webhook_dispatcher(cachet: &Cachet) -> (Arc<Recorder>, Dispatcher) {
    let hooks = Recorder::new(Channel::Webhook);
    let d = Dispatcher::new(cachet.clone(), vec![hooks.clone() as Arc<dyn Notifier>])
        .with_config(config("w"));
    (hooks, d)
}

/// Ticks until a tick does nothing.
pub async fn drain(d: &Dispatcher) {
    for _ in 0..50 {
        let r = d.tick().await.unwrap();
        if r.events == 0 && r.delivered == 0 && r.retried == 0 && r.failed == 0 {
            return;
        }
    }
    panic!("the dispatcher never settled");
}

pub async fn make_component(cachet: &Cachet, name: &str) -> Component {
    let new = NewComponent::named(Name::parse(name).unwrap(), ComponentStatus::Operational);
    cachet
        .create_component(&Actor::operator(), &new)
        .await
        .unwrap()
}

pub async fn verified(cachet: &Cachet, email: &str, components: &[ComponentId]) -> Subscriber {
    cachet
        .add_subscriber(
            &Actor::operator(),
            &Email::parse(email).unwrap(),
            components.to_vec(),
            true,
            Locale::english(),
        )
        .await
        .unwrap()
}

pub fn new_incident(
    name: &str,
    components: &[ComponentId],
    notify: bool,
    visible: bool,
) -> NewIncident {
    NewIncident::new(
        Name::parse(name).unwrap(),
        IncidentStatus::Investigating,
        Markdown::parse("We are **looking** into it.").unwrap(),
        chrono::DateTime::from_timestamp(1_767_225_600, 0).unwrap(),
    )
    .with_visible(visible)
    .with_notify(notify)
    .with_components(
        components
            .iter()
            .map(|c| AffectedComponent {
                component_id: *c,
                status: ComponentStatus::MajorOutage,
            })
            .collect(),
    )
}

pub fn cx() -> RequestContext {
    RequestContext {
        peer: Some("192.0.2.10:5000".parse().unwrap()),
        principal: None,
    }
}

pub fn get(path: &str) -> Request<Bytes> {
    Request::builder()
        .method("GET")
        .uri(path)
        .body(Bytes::new())
        .unwrap()
}

pub fn post(path: &str, body: &str, origin: Option<&str>) -> Request<Bytes> {
    let mut b = Request::builder()
        .method("POST")
        .uri(path)
        .header("content-type", "application/x-www-form-urlencoded");
    if let Some(o) = origin {
        b = b.header("origin", o);
    }
    b.body(Bytes::from(body.to_owned())).unwrap()
}

pub fn body(r: &Response<Bytes>) -> String {
    String::from_utf8(r.body().to_vec()).unwrap()
}

/// The `_token` of the first form on a page.
pub fn form_token(html: &str) -> String {
    let at = html.find("name=\"_token\" value=\"").expect("a form token") + 21;
    html[at..].split('"').next().unwrap().to_owned()
}

/// The path of the first link in `text` that starts with `prefix` (after the host).
pub fn link_path(text: &str, prefix: &str) -> String {
    let at = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} link in {text}"));
    text[at..]
        .split(|c: char| c.is_whitespace() || c == '"' || c == '<')
        .next()
        .unwrap()
        .to_owned()
}

pub fn enc(s: &str) -> String {
    serde_urlencoded::to_string([("v", s)]).unwrap()[2..].to_owned()
}
