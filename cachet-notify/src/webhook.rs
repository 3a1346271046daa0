//! Signed webhooks.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use cachet_core::notify::{Channel, DeliveryError, Message, Notifier, WebhookMessage};
use hmac::{Hmac, Mac};
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, USER_AGENT};
use reqwest::{StatusCode, Url};
use sha2::Sha256;

use crate::http::classify_error;
use crate::http::{ClientSettings, HttpSetupError, build_client};

/// The header carrying `sha256=<hex HMAC-SHA256(secret, "{timestamp}.{body}")>`.
pub const SIGNATURE_HEADER: &str = "X-Cachet-Signature";
/// The header carrying the signing time in Unix seconds (receivers should refuse old ones).
pub const TIMESTAMP_HEADER: &str = "X-Cachet-Timestamp";
/// The header carrying the idempotency key; receivers drop repeats by it.
pub const DELIVERY_HEADER: &str = "X-Cachet-Delivery";

/// The `User-Agent` webhook requests carry.
pub const WEBHOOK_USER_AGENT: &str = concat!("cachet-rs/", env!("CARGO_PKG_VERSION"), " webhook");

/// Settings for [`WebhookNotifier`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebhookConfig {
    /// Allow URLs that resolve to loopback, private, link-local, unique-local, CGNAT and the
    /// other non-public ranges. Off by default: with it on, whoever can configure a webhook can
    /// make the server POST into its own network (SSRF). Meant for tests and closed networks.
    pub allow_private_networks: bool,
    /// Allow `http://` URLs. Off by default: the body is a signed but readable status
    /// notification and the signature does not hide it from the network.
    pub allow_plain_http: bool,
    /// Time to establish the TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Time for the whole request, from connecting to the response head. Statuspage gives
    /// receivers 30 seconds to answer.
    pub timeout: Duration,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            allow_private_networks: false,
            allow_plain_http: false,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
        }
    }
}

impl WebhookConfig {
    /// Sets [`WebhookConfig::allow_private_networks`].
    #[must_use]
    pub fn allow_private_networks(mut self, allow: bool) -> Self {
        self.allow_private_networks = allow;
        self
    }

    /// Sets [`WebhookConfig::allow_plain_http`].
    #[must_use]
    pub fn allow_plain_http(mut self, allow: bool) -> Self {
        self.allow_plain_http = allow;
        self
    }

    /// Sets [`WebhookConfig::connect_timeout`].
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets [`WebhookConfig::timeout`].
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// Delivers [`WebhookMessage`]s: a JSON POST signed with HMAC-SHA256.
///
/// Requests carry `Content-Type: application/json`, [`SIGNATURE_HEADER`] (when the webhook has
/// a secret), [`TIMESTAMP_HEADER`], [`DELIVERY_HEADER`] and [`WEBHOOK_USER_AGENT`]. Redirects
/// are never followed, no proxy from the environment is used, and unless
/// [`WebhookConfig::allow_private_networks`] is set every address the host resolves to must be
/// public; the connection then goes to one of exactly those checked addresses, so a DNS answer
/// that changes between the check and the connection (rebinding) cannot slip through.
///
/// 2xx is success; 408, 429, 5xx, timeouts and connection failures are transient; 3xx and
/// every other 4xx are permanent.
#[derive(Clone)]
pub struct WebhookNotifier {
    client: reqwest::Client,
    config: WebhookConfig,
}

impl fmt::Debug for WebhookNotifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Holds no secrets (they arrive per message), but keep the client internals out.
        f.debug_struct("WebhookNotifier")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl WebhookNotifier {
    /// Builds a notifier with its own connection pool.
    ///
    /// # Errors
    ///
    /// [`HttpSetupError`] when TLS or the HTTP client cannot be initialised.
    pub fn new(config: WebhookConfig) -> Result<Self, HttpSetupError> {
        let client = http_client(&config, WEBHOOK_USER_AGENT)?;
        Ok(Self { client, config })
    }

    /// The configuration this notifier runs with.
    #[must_use]
    pub fn config(&self) -> &WebhookConfig {
        &self.config
    }

    /// Checks the URL before any network traffic: scheme, and IP literals (which reqwest dials
    /// without asking the resolver).
    fn check_url(&self, url: &Url) -> Result<(), DeliveryError> {
        check_url(&self.config, url, "webhook")
    }

    async fn post(&self, message: &WebhookMessage) -> Result<(), DeliveryError> {
        let url = Url::parse(message.url.as_str())
            .map_err(|_| DeliveryError::Permanent("webhook URL is not a valid URL".into()))?;
        self.check_url(&url)?;
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let headers = signed_headers(message, timestamp)?;
        let response = self
            .client
            .post(url)
            .headers(headers)
            .body(message.body.clone())
            .send()
            .await
            .map_err(|e| classify_error(&e, "webhook"))?;
        classify_status(response.status())
    }
}

/// The HTTP client of every notifier that POSTs to a URL someone configured (webhooks, chat):
/// the shared client settings ([`build_client`]) with the timeouts and the private-network
/// choice of `config`.
pub(crate) fn http_client(
    config: &WebhookConfig,
    user_agent: &'static str,
) -> Result<reqwest::Client, HttpSetupError> {
    build_client(&ClientSettings {
        allow_private_networks: config.allow_private_networks,
        connect_timeout: config.connect_timeout,
        timeout: config.timeout,
        user_agent,
    })
}

/// [`crate::http::check_url`] under `config`'s choices. `what` names the URL in the error
/// ("webhook", "chat").
pub(crate) fn check_url(
    config: &WebhookConfig,
    url: &Url,
    what: &str,
) -> Result<(), DeliveryError> {
    crate::http::check_url(
        url,
        config.allow_plain_http,
        config.allow_private_networks,
        what,
    )
}

/// Builds the request headers; the signature covers `"{timestamp}.{body}"` exactly.
fn signed_headers(message: &WebhookMessage, timestamp: u64) -> Result<HeaderMap, DeliveryError> {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(USER_AGENT, HeaderValue::from_static(WEBHOOK_USER_AGENT));
    // `HeaderName::from_static` wants lowercase; names are case-insensitive on the wire.
    headers.insert(
        HeaderName::from_static("x-cachet-timestamp"),
        HeaderValue::from(timestamp),
    );
    let delivery = HeaderValue::from_str(&message.idempotency_key).map_err(|_| {
        DeliveryError::Permanent("idempotency key is not a valid header value".into())
    })?;
    headers.insert(HeaderName::from_static("x-cachet-delivery"), delivery);
    if let Some(secret) = &message.secret {
        let signature = format!("sha256={}", sign(secret, timestamp, &message.body));
        // Hex digits only: always a valid header value.
        let value = HeaderValue::from_str(&signature)
            .map_err(|_| DeliveryError::Permanent("signature header could not be built".into()))?;
        headers.insert(HeaderName::from_static("x-cachet-signature"), value);
    }
    Ok(headers)
}

/// The hex HMAC-SHA256 of `"{timestamp}.{body}"` under `secret`: what [`SIGNATURE_HEADER`]
/// carries after `sha256=`. Receivers recompute it and compare in constant time.
#[must_use]
pub fn sign(secret: &str, timestamp: u64, body: &str) -> String {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable_hmac(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[cold]
fn unreachable_hmac() -> ! {
    // `Hmac::new_from_slice` only fails for fixed-key-length MACs; HMAC takes any length.
    unreachable!("HMAC accepts keys of every length")
}

fn classify_status(status: StatusCode) -> Result<(), DeliveryError> {
    let code = status.as_u16();
    if status.is_success() {
        Ok(())
    } else if status.is_server_error()
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
    {
        Err(DeliveryError::Transient(format!(
            "webhook answered HTTP {code}"
        )))
    } else if status.is_redirection() {
        Err(DeliveryError::Permanent(format!(
            "webhook answered HTTP {code} (a redirect; redirects are not followed)"
        )))
    } else {
        Err(DeliveryError::Permanent(format!(
            "webhook answered HTTP {code}"
        )))
    }
}

#[async_trait]
impl Notifier for WebhookNotifier {
    fn channel(&self) -> Channel {
        Channel::Webhook
    }

    async fn deliver(&self, message: &Message) -> Result<(), DeliveryError> {
        match message {
            Message::Webhook(webhook) => self.post(webhook).await,
            _ => Err(DeliveryError::Permanent(
                "the webhook notifier only delivers webhook messages".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn signature_is_hmac_sha256_over_timestamp_dot_body() {
        // RFC 4231-independent check: recompute with the hmac crate directly.
        let mut mac = Hmac::<Sha256>::new_from_slice(b"s3cret").unwrap();
        mac.update(b"1700000000.{\"a\":1}");
        let expected = hex::encode(mac.finalize().into_bytes());
        assert_eq!(sign("s3cret", 1_700_000_000, "{\"a\":1}"), expected);
        assert_ne!(sign("s3cret", 1_700_000_001, "{\"a\":1}"), expected);
        assert_ne!(sign("other", 1_700_000_000, "{\"a\":1}"), expected);
        assert_eq!(expected.len(), 64);
    }

    #[test]
    fn status_classes() {
        assert!(classify_status(StatusCode::OK).is_ok());
        assert!(classify_status(StatusCode::NO_CONTENT).is_ok());
        for transient in [500, 502, 503, 504, 429, 408] {
            let err = classify_status(StatusCode::from_u16(transient).unwrap()).unwrap_err();
            assert!(err.is_transient(), "{transient}");
        }
        for permanent in [301, 302, 307, 308, 400, 401, 403, 404, 410, 422] {
            let err = classify_status(StatusCode::from_u16(permanent).unwrap()).unwrap_err();
            assert!(!err.is_transient(), "{permanent}");
        }
    }

    fn notifier(config: WebhookConfig) -> WebhookNotifier {
        WebhookNotifier::new(config).unwrap()
    }

    #[test]
    fn refuses_ip_literals_and_plain_http_before_any_traffic() {
        let strict = notifier(WebhookConfig::default());
        for url in [
            "https://127.0.0.1/",
            "https://[::1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://169.254.169.254/latest/meta-data/",
            "https://2130706433/",
            "https://0x7f.1/",
            "https://0/",
            "https://10.0.0.1:8443/hook",
        ] {
            let err = strict.check_url(&Url::parse(url).unwrap()).unwrap_err();
            assert!(!err.is_transient(), "{url}");
            assert!(err.to_string().contains("refused"), "{url}: {err}");
        }
        assert!(
            strict
                .check_url(&Url::parse("http://example.com/").unwrap())
                .unwrap_err()
                .to_string()
                .contains("https")
        );
        assert!(
            strict
                .check_url(&Url::parse("https://93.184.216.34/").unwrap())
                .is_ok()
        );
        let open = notifier(
            WebhookConfig::default()
                .allow_private_networks(true)
                .allow_plain_http(true),
        );
        assert!(
            open.check_url(&Url::parse("http://127.0.0.1:9/").unwrap())
                .is_ok()
        );
    }
}
