//! SMS through Twilio, Vonage or a generic HTTP gateway.
//!
//! [`SmsNotifier`] delivers [`SmsMessage`]s over one configured [`SmsProvider`]:
//!
//! - **Twilio** (Programmable Messaging): `POST {base}/2010-04-01/Accounts/{sid}/Messages.json`
//!   with HTTP basic auth (account SID and auth token) and the form fields `To`, `From` (or
//!   `MessagingServiceSid`) and `Body`. `201 Created` is success.
//! - **Vonage** (the SMS API, what Cachet's Nexmo channel used): `POST {base}/sms/json` with the
//!   form fields `api_key`, `api_secret`, `from`, `to` (digits without `+`), `text`,
//!   `type=unicode` when the text is not GSM-7, and `client-ref` (the idempotency key). Vonage
//!   answers `200` with a status per message part; `"0"` is success.
//! - **Http**: a gateway of your own, `POST` of JSON `{"to", "body", "idempotency_key"}` with an
//!   optional bearer token. Its URL goes through the same SSRF guard as webhooks.
//!
//! Rate limits and server errors are [transient](DeliveryError::Transient) (a `Retry-After`
//! is quoted in the error); refusals such as an invalid or unsubscribed number are
//! [permanent](DeliveryError::Permanent). Error strings name the provider's error code, never
//! the phone number (only [`PhoneNumber::masked`](cachet_core::validate::PhoneNumber::masked)
//! would be shown) nor a credential: [`Credential`] prints as `[redacted]`.
//!
//! **Country allowlist.** SMS pumping (fraudsters triggering messages to premium ranges
//! they are paid for) is stopped before any network call: a message to a number whose region
//! is not in [`SmsConfig::allowed_regions`] is a permanent error. The list is required.
//!
//! Bodies longer than [`SmsMessage::MAX_SEGMENTS`] segments are cut with
//! [`SmsMessage::fit`] before sending.
//!
//! ```
//! use cachet_notify::{SmsConfig, SmsNotifier};
//!
//! let config = SmsConfig::from_vars([
//!     ("CACHET_SMS_PROVIDER", "twilio"),
//!     ("CACHET_SMS_ALLOWED_REGIONS", "US,CA"),
//!     ("CACHET_TWILIO_ACCOUNT_SID", "AC00000000000000000000000000000000"),
//!     ("CACHET_TWILIO_AUTH_TOKEN", "token"),
//!     ("CACHET_TWILIO_FROM", "+14155550100"),
//! ])
//! .unwrap();
//! // The auth token never shows in `Debug` output.
//! assert!(format!("{config:?}").contains("auth_token: [redacted]"));
//! let sms = SmsNotifier::new(config).unwrap();
//! # let _ = sms;
//! ```

use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use cachet_core::notify::{Channel, DeliveryError, Message, Notifier, SmsMessage};
use cachet_core::validate::HttpUrl;
use reqwest::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use reqwest::{StatusCode, Url};

use crate::http::{
    ClientSettings, HttpSetupError, build_client, check_url, classify_error, read_limited,
};

/// The `User-Agent` SMS requests carry.
pub const SMS_USER_AGENT: &str = concat!("cachet-rs/", env!("CARGO_PKG_VERSION"), " sms");

/// Twilio's REST API.
pub const TWILIO_BASE_URL: &str = "https://api.twilio.com";
/// Vonage's SMS API.
pub const VONAGE_BASE_URL: &str = "https://rest.nexmo.com";

/// The most of a provider's answer that is read.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// A secret (auth token, API secret, bearer token). `Debug` and `Display` print
/// `[redacted]`, so it cannot leak into logs or error strings by formatting.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential(String);

impl Credential {
    /// Wraps a secret.
    #[must_use]
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself, for the request that needs it.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Who a Twilio message is sent from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TwilioSender {
    /// A Twilio phone number or alphanumeric sender ID (`From`).
    From(String),
    /// A Messaging Service, which picks the sender (`MessagingServiceSid`).
    MessagingService(String),
}

/// The SMS provider and its credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SmsProvider {
    /// Twilio Programmable Messaging.
    Twilio {
        /// The account SID (`AC…`), also the basic-auth user name.
        account_sid: String,
        /// The account's auth token.
        auth_token: Credential,
        /// The sender.
        sender: TwilioSender,
    },
    /// Vonage's SMS API.
    Vonage {
        /// The API key.
        api_key: String,
        /// The API secret.
        api_secret: Credential,
        /// The sender: a number (digits) or an alphanumeric sender ID.
        from: String,
    },
    /// A generic HTTP gateway.
    Http {
        /// Where to POST.
        url: HttpUrl,
        /// Sent as `Authorization: Bearer …` when set.
        bearer: Option<Credential>,
    },
}

impl SmsProvider {
    fn name(&self) -> &'static str {
        match self {
            SmsProvider::Twilio { .. } => "Twilio",
            SmsProvider::Vonage { .. } => "Vonage",
            SmsProvider::Http { .. } => "SMS gateway",
        }
    }
}

/// Settings for [`SmsNotifier`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SmsConfig {
    /// The provider.
    pub provider: SmsProvider,
    /// ISO 3166-1 alpha-2 regions (`US`, `GB`) numbers may be in. Required: a message to any
    /// other region is refused before any request (SMS pumping defence).
    pub allowed_regions: BTreeSet<String>,
    /// Twilio's API base URL ([`TWILIO_BASE_URL`]); tests point it at a local server.
    pub twilio_base_url: Url,
    /// Vonage's API base URL ([`VONAGE_BASE_URL`]); tests point it at a local server.
    pub vonage_base_url: Url,
    /// Allow hosts on loopback, private and other non-public addresses. Off by default: the
    /// HTTP gateway URL is then held to the same SSRF guard as webhooks. For tests and closed
    /// networks.
    pub allow_private_networks: bool,
    /// Allow `http://` URLs (the message and the credentials would cross the network in
    /// clear). Off by default; for tests.
    pub allow_plain_http: bool,
    /// Time to establish the TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Time for the whole request.
    pub timeout: Duration,
}

/// Why an [`SmsConfig`] could not be read from the environment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SmsConfigError {
    /// A required variable is not set (or empty).
    #[error("{0} is required")]
    Missing(&'static str),
    /// A variable is set to a value that cannot be used.
    #[error("{var}: {reason}")]
    Invalid {
        /// The variable.
        var: &'static str,
        /// What is wrong with it (never the value: it may be a secret).
        reason: &'static str,
    },
}

impl SmsConfig {
    /// A configuration with the providers' real hosts and the default timeouts (10 s to
    /// connect, 30 s in all).
    #[must_use]
    pub fn new(provider: SmsProvider, allowed_regions: BTreeSet<String>) -> Self {
        Self {
            provider,
            allowed_regions,
            twilio_base_url: base(TWILIO_BASE_URL),
            vonage_base_url: base(VONAGE_BASE_URL),
            allow_private_networks: false,
            allow_plain_http: false,
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
        }
    }

    /// Reads the configuration from `(name, value)` pairs (see [`SmsConfig::from_env`]).
    ///
    /// # Errors
    ///
    /// [`SmsConfigError`] naming the missing or invalid variable.
    pub fn from_vars<I, K, V>(vars: I) -> Result<Self, SmsConfigError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let vars: Vec<(String, String)> = vars
            .into_iter()
            .map(|(k, v)| (k.as_ref().to_owned(), v.as_ref().trim().to_owned()))
            .collect();
        let get = |name: &str| {
            vars.iter()
                .rev()
                .find(|(k, v)| k == name && !v.is_empty())
                .map(|(_, v)| v.clone())
        };
        let need = |name: &'static str| get(name).ok_or(SmsConfigError::Missing(name));

        let provider = match need("CACHET_SMS_PROVIDER")?.to_ascii_lowercase().as_str() {
            "twilio" => {
                let sender = match (
                    get("CACHET_TWILIO_FROM"),
                    get("CACHET_TWILIO_MESSAGING_SERVICE_SID"),
                ) {
                    (Some(_), Some(_)) => {
                        return Err(SmsConfigError::Invalid {
                            var: "CACHET_TWILIO_FROM",
                            reason: "set either it or CACHET_TWILIO_MESSAGING_SERVICE_SID, not both",
                        });
                    }
                    (Some(from), None) => TwilioSender::From(from),
                    (None, Some(sid)) => TwilioSender::MessagingService(sid),
                    (None, None) => return Err(SmsConfigError::Missing("CACHET_TWILIO_FROM")),
                };
                let account_sid = need("CACHET_TWILIO_ACCOUNT_SID")?;
                // The SID becomes a path segment: only the characters Twilio SIDs have.
                if !account_sid.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(SmsConfigError::Invalid {
                        var: "CACHET_TWILIO_ACCOUNT_SID",
                        reason: "must be letters and digits only (AC…)",
                    });
                }
                SmsProvider::Twilio {
                    account_sid,
                    auth_token: Credential::new(need("CACHET_TWILIO_AUTH_TOKEN")?),
                    sender,
                }
            }
            "vonage" | "nexmo" => SmsProvider::Vonage {
                api_key: need("CACHET_VONAGE_API_KEY")?,
                api_secret: Credential::new(need("CACHET_VONAGE_API_SECRET")?),
                from: need("CACHET_VONAGE_FROM")?,
            },
            "http" => SmsProvider::Http {
                url: HttpUrl::parse(&need("CACHET_SMS_HTTP_URL")?).map_err(|_| {
                    SmsConfigError::Invalid {
                        var: "CACHET_SMS_HTTP_URL",
                        reason: "must be an http or https URL",
                    }
                })?,
                bearer: get("CACHET_SMS_HTTP_TOKEN").map(Credential::new),
            },
            _ => {
                return Err(SmsConfigError::Invalid {
                    var: "CACHET_SMS_PROVIDER",
                    reason: "must be one of twilio, vonage, http",
                });
            }
        };

        let regions = need("CACHET_SMS_ALLOWED_REGIONS")?;
        let mut allowed_regions = BTreeSet::new();
        for region in regions.split(',').map(str::trim).filter(|r| !r.is_empty()) {
            if region.len() != 2 || !region.bytes().all(|b| b.is_ascii_alphabetic()) {
                return Err(SmsConfigError::Invalid {
                    var: "CACHET_SMS_ALLOWED_REGIONS",
                    reason: "must be ISO 3166-1 alpha-2 codes separated by commas, such as US,GB,DE",
                });
            }
            allowed_regions.insert(region.to_ascii_uppercase());
        }
        if allowed_regions.is_empty() {
            return Err(SmsConfigError::Missing("CACHET_SMS_ALLOWED_REGIONS"));
        }
        let flag = |var: &'static str| match get(var).map(|v| v.to_ascii_lowercase()) {
            None => Ok(false),
            Some(v) if matches!(v.as_str(), "1" | "true" | "yes" | "on") => Ok(true),
            Some(v) if matches!(v.as_str(), "0" | "false" | "no" | "off") => Ok(false),
            Some(_) => Err(SmsConfigError::Invalid {
                var,
                reason: "must be true or false",
            }),
        };
        let mut config = Self::new(provider, allowed_regions);
        // The operator sets the gateway's URL (no dashboard user can), so a gateway inside
        // the operator's own network is the operator's choice to allow.
        config.allow_private_networks = flag("CACHET_SMS_ALLOW_PRIVATE")?;
        config.allow_plain_http = flag("CACHET_SMS_ALLOW_HTTP")?;
        Ok(config)
    }

    /// Reads the configuration from the process environment: `CACHET_SMS_PROVIDER`
    /// (`twilio`, `vonage` or `http`), `CACHET_SMS_ALLOWED_REGIONS` (required, such as
    /// `US,GB,DE`), and for the provider `CACHET_TWILIO_ACCOUNT_SID`, `CACHET_TWILIO_AUTH_TOKEN`
    /// and `CACHET_TWILIO_FROM` or `CACHET_TWILIO_MESSAGING_SERVICE_SID`;
    /// `CACHET_VONAGE_API_KEY`, `CACHET_VONAGE_API_SECRET` and `CACHET_VONAGE_FROM`; or
    /// `CACHET_SMS_HTTP_URL` and optionally `CACHET_SMS_HTTP_TOKEN`. `CACHET_SMS_ALLOW_PRIVATE`
    /// and `CACHET_SMS_ALLOW_HTTP` (`true` or `false`, default `false`) set
    /// [`SmsConfig::allow_private_networks`] and [`SmsConfig::allow_plain_http`], for a
    /// gateway inside the operator's network.
    ///
    /// # Errors
    ///
    /// [`SmsConfigError`] naming the missing or invalid variable.
    pub fn from_env() -> Result<Self, SmsConfigError> {
        // Variables that are not valid Unicode cannot be ours; skip them rather than panic.
        Self::from_vars(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
        )
    }

    /// Sets [`SmsConfig::twilio_base_url`].
    #[must_use]
    pub fn twilio_base_url(mut self, url: Url) -> Self {
        self.twilio_base_url = url;
        self
    }

    /// Sets [`SmsConfig::vonage_base_url`].
    #[must_use]
    pub fn vonage_base_url(mut self, url: Url) -> Self {
        self.vonage_base_url = url;
        self
    }

    /// Sets [`SmsConfig::allow_private_networks`].
    #[must_use]
    pub fn allow_private_networks(mut self, allow: bool) -> Self {
        self.allow_private_networks = allow;
        self
    }

    /// Sets [`SmsConfig::allow_plain_http`].
    #[must_use]
    pub fn allow_plain_http(mut self, allow: bool) -> Self {
        self.allow_plain_http = allow;
        self
    }

    /// Sets [`SmsConfig::connect_timeout`].
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets [`SmsConfig::timeout`].
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// A constant base URL.
fn base(url: &str) -> Url {
    match Url::parse(url) {
        Ok(url) => url,
        // Both constants are valid URLs; a test covers them.
        Err(_) => unreachable!("constant base URL"),
    }
}

/// Delivers [`SmsMessage`]s through the configured provider (see the [module docs](self)).
#[derive(Clone)]
pub struct SmsNotifier {
    client: reqwest::Client,
    config: SmsConfig,
}

impl fmt::Debug for SmsNotifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The config's credentials print as `[redacted]`.
        f.debug_struct("SmsNotifier")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// One prepared request.
struct Outgoing {
    url: Url,
    content_type: &'static str,
    body: Vec<u8>,
}

impl SmsNotifier {
    /// Builds a notifier with its own connection pool.
    ///
    /// # Errors
    ///
    /// [`HttpSetupError`] when TLS or the HTTP client cannot be initialised.
    pub fn new(config: SmsConfig) -> Result<Self, HttpSetupError> {
        let client = build_client(&ClientSettings {
            allow_private_networks: config.allow_private_networks,
            connect_timeout: config.connect_timeout,
            timeout: config.timeout,
            user_agent: SMS_USER_AGENT,
        })?;
        Ok(Self { client, config })
    }

    /// The configuration this notifier runs with.
    #[must_use]
    pub fn config(&self) -> &SmsConfig {
        &self.config
    }

    /// Checks a URL before any traffic: scheme, and IP literals (which reqwest dials without
    /// asking the resolver). Errors never contain the URL (a gateway URL may embed a token).
    fn check_url(&self, url: &Url) -> Result<(), DeliveryError> {
        check_url(
            url,
            self.config.allow_plain_http,
            self.config.allow_private_networks,
            self.config.provider.name(),
        )
    }

    fn prepare(&self, message: &SmsMessage, text: &str) -> Result<Outgoing, DeliveryError> {
        let to = message.to.as_str();
        match &self.config.provider {
            SmsProvider::Twilio {
                account_sid,
                sender,
                ..
            } => {
                // The SID becomes a path segment: a `/` or `..` in a hand-built config must not
                // reach another endpoint.
                if account_sid.is_empty() || !account_sid.bytes().all(|b| b.is_ascii_alphanumeric())
                {
                    return Err(DeliveryError::Permanent(
                        "Twilio account SID must be letters and digits only".into(),
                    ));
                }
                let url = self
                    .config
                    .twilio_base_url
                    .join(&format!("2010-04-01/Accounts/{account_sid}/Messages.json"))
                    .map_err(|_| DeliveryError::Permanent("Twilio URL is not valid".into()))?;
                let (sender_field, sender_value) = match sender {
                    TwilioSender::From(from) => ("From", from.as_str()),
                    TwilioSender::MessagingService(sid) => ("MessagingServiceSid", sid.as_str()),
                };
                let body = form(&[("To", to), (sender_field, sender_value), ("Body", text)])?;
                Ok(Outgoing {
                    url,
                    content_type: "application/x-www-form-urlencoded",
                    body,
                })
            }
            SmsProvider::Vonage {
                api_key,
                api_secret,
                from,
            } => {
                let url = self
                    .config
                    .vonage_base_url
                    .join("sms/json")
                    .map_err(|_| DeliveryError::Permanent("Vonage URL is not valid".into()))?;
                let digits = to.trim_start_matches('+');
                let mut fields = vec![
                    ("api_key", api_key.as_str()),
                    ("api_secret", api_secret.expose()),
                    ("from", from.as_str()),
                    ("to", digits),
                    ("text", text),
                ];
                if !SmsMessage::fits_gsm7(text) {
                    fields.push(("type", "unicode"));
                }
                fields.push(("client-ref", message.idempotency_key.as_str()));
                Ok(Outgoing {
                    url,
                    content_type: "application/x-www-form-urlencoded",
                    body: form(&fields)?,
                })
            }
            SmsProvider::Http { url, .. } => {
                let url = Url::parse(url.as_str()).map_err(|_| {
                    DeliveryError::Permanent("SMS gateway URL is not a valid URL".into())
                })?;
                let body = serde_json::to_vec(&serde_json::json!({
                    "to": to,
                    "body": text,
                    "idempotency_key": message.idempotency_key,
                }))
                .map_err(|_| DeliveryError::Permanent("SMS body could not be encoded".into()))?;
                Ok(Outgoing {
                    url,
                    content_type: "application/json",
                    body,
                })
            }
        }
    }

    async fn send(&self, message: &SmsMessage) -> Result<(), DeliveryError> {
        let region = message.to.region();
        if !self.config.allowed_regions.contains(&region) {
            return Err(DeliveryError::Permanent(format!(
                "SMS to region {region} refused: not among the allowed regions"
            )));
        }
        let text = SmsMessage::fit(&message.body);
        let outgoing = self.prepare(message, &text)?;
        self.check_url(&outgoing.url)?;
        let mut request = self
            .client
            .post(outgoing.url)
            .header(
                CONTENT_TYPE,
                HeaderValue::from_static(outgoing.content_type),
            )
            .body(outgoing.body);
        match &self.config.provider {
            SmsProvider::Twilio {
                account_sid,
                auth_token,
                ..
            } => request = request.basic_auth(account_sid, Some(auth_token.expose())),
            SmsProvider::Http {
                bearer: Some(token),
                ..
            } => request = request.bearer_auth(token.expose()),
            _ => {}
        }
        let provider = self.config.provider.name();
        let mut response = request
            .send()
            .await
            .map_err(|e| classify_error(&e, provider))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let body = read_limited(&mut response, MAX_RESPONSE_BYTES)
            .await
            .unwrap_or_default();
        match &self.config.provider {
            SmsProvider::Twilio { .. } => twilio_outcome(status, retry_after, &body),
            SmsProvider::Vonage { .. } => vonage_outcome(status, retry_after, &body),
            SmsProvider::Http { .. } => http_outcome(provider, status, retry_after),
        }
    }
}

/// `application/x-www-form-urlencoded` bytes of `fields`, in order.
fn form(fields: &[(&str, &str)]) -> Result<Vec<u8>, DeliveryError> {
    serde_urlencoded::to_string(fields)
        .map(String::into_bytes)
        .map_err(|_| DeliveryError::Permanent("SMS form could not be encoded".into()))
}

/// ` (retry after N s)` when the provider said so.
fn retry_note(retry_after: Option<u64>) -> String {
    retry_after.map_or_else(String::new, |s| format!(" (retry after {s} s)"))
}

/// What a Twilio error code means, for the codes a status page meets.
fn twilio_code_meaning(code: u64) -> &'static str {
    match code {
        20003 => "authentication failed",
        20404 => "resource not found (check the account SID)",
        20429 => "too many requests",
        21211 => "invalid 'To' number",
        21408 => "sending to this region is not enabled (geo permissions)",
        21610 => "the recipient has unsubscribed (replied STOP)",
        21612 => "the 'To' number cannot be reached from this sender",
        21614 => "the 'To' number is not a mobile number",
        21606 | 21659 | 21660 => "the 'From' number cannot send this message",
        30007 => "message filtered as spam by the carrier",
        _ => "see Twilio's error reference",
    }
}

/// Twilio: 2xx success; 429, error 20429 and 5xx transient; other errors permanent, named by
/// their code. Twilio's `message` is never quoted: it repeats the phone number.
fn twilio_outcome(
    status: StatusCode,
    retry_after: Option<u64>,
    body: &[u8],
) -> Result<(), DeliveryError> {
    if status.is_success() {
        return Ok(());
    }
    let code = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("code").and_then(serde_json::Value::as_u64));
    let http = status.as_u16();
    let described = match code {
        Some(code) => format!(
            "Twilio answered HTTP {http}, error {code} ({})",
            twilio_code_meaning(code)
        ),
        None => format!("Twilio answered HTTP {http}"),
    };
    if status == StatusCode::TOO_MANY_REQUESTS || code == Some(20429) || status.is_server_error() {
        Err(DeliveryError::Transient(format!(
            "{described}{}",
            retry_note(retry_after)
        )))
    } else {
        Err(DeliveryError::Permanent(described))
    }
}

/// What a Vonage SMS API status means.
fn vonage_status_meaning(status: &str) -> &'static str {
    match status {
        "1" => "throttled",
        "2" => "missing parameters",
        "3" => "invalid parameters",
        "4" => "invalid credentials",
        "5" => "internal error",
        "6" => "invalid message",
        "7" => "number barred",
        "8" => "partner account barred",
        "9" => "partner quota violation",
        "10" => "too many existing binds",
        "11" => "account not enabled for HTTP",
        "12" => "message too long",
        "14" => "invalid signature",
        "15" => "invalid sender address",
        "22" => "invalid network code",
        "23" => "invalid callback URL",
        "29" => "non-whitelisted destination",
        "32" => "signature and API secret disallowed",
        "33" => "number de-activated",
        _ => "see Vonage's SMS API status codes",
    }
}

/// Vonage's `error-text`, made safe to store: control characters dropped, digit runs long
/// enough to be a phone number masked, and cut to 200 characters.
fn vonage_error_text(text: &str) -> String {
    let mut out = String::new();
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if digits.len() >= 6 {
            out.push_str("[number]");
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for c in text.chars().filter(|c| !c.is_control()).take(200) {
        if c.is_ascii_digit() {
            digits.push(c);
        } else {
            flush(&mut digits, &mut out);
            out.push(c);
        }
    }
    flush(&mut digits, &mut out);
    out
}

/// Vonage: `200` with `messages[].status` `"0"` for every part is success; status `"1"`
/// (throttled), 429 and 5xx are transient; other statuses permanent, with Vonage's
/// `error-text` (numbers masked).
fn vonage_outcome(
    status: StatusCode,
    retry_after: Option<u64>,
    body: &[u8],
) -> Result<(), DeliveryError> {
    let http = status.as_u16();
    if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        return Err(DeliveryError::Transient(format!(
            "Vonage answered HTTP {http}{}",
            retry_note(retry_after)
        )));
    }
    if !status.is_success() {
        return Err(DeliveryError::Permanent(format!(
            "Vonage answered HTTP {http}"
        )));
    }
    let parsed: serde_json::Value = serde_json::from_slice(body).map_err(|_| {
        DeliveryError::Transient("Vonage answered with a body that is not JSON".into())
    })?;
    let messages = parsed
        .get("messages")
        .and_then(serde_json::Value::as_array)
        .filter(|m| !m.is_empty())
        .ok_or_else(|| DeliveryError::Transient("Vonage answered without messages".into()))?;
    for part in messages {
        let code = part
            .get("status")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("");
        if code == "0" {
            continue;
        }
        let text = part
            .get("error-text")
            .and_then(serde_json::Value::as_str)
            .map(vonage_error_text)
            .unwrap_or_default();
        let described = format!(
            "Vonage refused the message: status {} ({}){}",
            vonage_error_text(code),
            vonage_status_meaning(code),
            if text.is_empty() {
                String::new()
            } else {
                format!(": {text}")
            }
        );
        return Err(if code == "1" {
            DeliveryError::Transient(described)
        } else {
            DeliveryError::Permanent(described)
        });
    }
    Ok(())
}

/// The generic gateway: 2xx success; 408, 429 and 5xx transient; everything else permanent.
fn http_outcome(
    provider: &str,
    status: StatusCode,
    retry_after: Option<u64>,
) -> Result<(), DeliveryError> {
    let code = status.as_u16();
    if status.is_success() {
        Ok(())
    } else if status.is_server_error()
        || status == StatusCode::TOO_MANY_REQUESTS
        || status == StatusCode::REQUEST_TIMEOUT
    {
        Err(DeliveryError::Transient(format!(
            "{provider} answered HTTP {code}{}",
            retry_note(retry_after)
        )))
    } else {
        Err(DeliveryError::Permanent(format!(
            "{provider} answered HTTP {code}"
        )))
    }
}

#[async_trait]
impl Notifier for SmsNotifier {
    fn channel(&self) -> Channel {
        Channel::Sms
    }

    async fn deliver(&self, message: &Message) -> Result<(), DeliveryError> {
        match message {
            Message::Sms(sms) => self.send(sms).await,
            _ => Err(DeliveryError::Permanent(
                "the SMS notifier only delivers SMS messages".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn base_urls_are_the_providers_hosts() {
        let config = SmsConfig::new(
            SmsProvider::Http {
                url: HttpUrl::parse("https://sms.example.com/send").unwrap(),
                bearer: None,
            },
            BTreeSet::from(["US".to_owned()]),
        );
        assert_eq!(config.twilio_base_url.as_str(), "https://api.twilio.com/");
        assert_eq!(config.vonage_base_url.as_str(), "https://rest.nexmo.com/");
    }

    #[test]
    fn credentials_are_redacted() {
        let c = Credential::new("hunter2");
        assert_eq!(format!("{c}"), "[redacted]");
        assert_eq!(format!("{c:?}"), "[redacted]");
        assert_eq!(c.expose(), "hunter2");
    }

    fn vars(list: &[(&'static str, &'static str)]) -> Result<SmsConfig, SmsConfigError> {
        SmsConfig::from_vars(list.iter().copied())
    }

    #[test]
    fn from_vars_reads_each_provider() {
        let twilio = vars(&[
            ("CACHET_SMS_PROVIDER", "Twilio"),
            ("CACHET_SMS_ALLOWED_REGIONS", " us, gb ,DE"),
            ("CACHET_TWILIO_ACCOUNT_SID", "AC123"),
            ("CACHET_TWILIO_AUTH_TOKEN", "tok"),
            ("CACHET_TWILIO_MESSAGING_SERVICE_SID", "MG1"),
        ])
        .unwrap();
        assert_eq!(
            twilio.provider,
            SmsProvider::Twilio {
                account_sid: "AC123".into(),
                auth_token: Credential::new("tok"),
                sender: TwilioSender::MessagingService("MG1".into()),
            }
        );
        assert_eq!(
            twilio.allowed_regions.iter().collect::<Vec<_>>(),
            ["DE", "GB", "US"]
        );
        let vonage = vars(&[
            ("CACHET_SMS_PROVIDER", "vonage"),
            ("CACHET_SMS_ALLOWED_REGIONS", "GB"),
            ("CACHET_VONAGE_API_KEY", "k"),
            ("CACHET_VONAGE_API_SECRET", "s"),
            ("CACHET_VONAGE_FROM", "Status"),
        ])
        .unwrap();
        assert!(matches!(vonage.provider, SmsProvider::Vonage { .. }));
        let http = vars(&[
            ("CACHET_SMS_PROVIDER", "http"),
            ("CACHET_SMS_ALLOWED_REGIONS", "GB"),
            ("CACHET_SMS_HTTP_URL", "https://sms.example.com/send"),
            ("CACHET_SMS_HTTP_TOKEN", "bearer-secret"),
        ])
        .unwrap();
        assert!(matches!(
            http.provider,
            SmsProvider::Http {
                bearer: Some(_),
                ..
            }
        ));
        assert!(!format!("{http:?}").contains("bearer-secret"));
        assert!(!http.allow_private_networks && !http.allow_plain_http);
        let local = vars(&[
            ("CACHET_SMS_PROVIDER", "http"),
            ("CACHET_SMS_ALLOWED_REGIONS", "GB"),
            ("CACHET_SMS_HTTP_URL", "http://10.0.0.5/send"),
            ("CACHET_SMS_ALLOW_PRIVATE", "true"),
            ("CACHET_SMS_ALLOW_HTTP", "1"),
        ])
        .unwrap();
        assert!(local.allow_private_networks && local.allow_plain_http);
        let unclear = vars(&[
            ("CACHET_SMS_PROVIDER", "http"),
            ("CACHET_SMS_ALLOWED_REGIONS", "GB"),
            ("CACHET_SMS_HTTP_URL", "http://10.0.0.5/send"),
            ("CACHET_SMS_ALLOW_PRIVATE", "sure"),
        ]);
        assert_eq!(
            unclear.unwrap_err(),
            SmsConfigError::Invalid {
                var: "CACHET_SMS_ALLOW_PRIVATE",
                reason: "must be true or false",
            }
        );
    }

    #[test]
    fn from_vars_names_the_missing_or_invalid_variable() {
        let cases: &[(&[(&str, &str)], SmsConfigError)] = &[
            (&[], SmsConfigError::Missing("CACHET_SMS_PROVIDER")),
            (
                &[("CACHET_SMS_PROVIDER", "carrier-pigeon")],
                SmsConfigError::Invalid {
                    var: "CACHET_SMS_PROVIDER",
                    reason: "must be one of twilio, vonage, http",
                },
            ),
            (
                &[
                    ("CACHET_SMS_PROVIDER", "vonage"),
                    ("CACHET_VONAGE_API_KEY", "k"),
                    ("CACHET_VONAGE_API_SECRET", "s"),
                    ("CACHET_VONAGE_FROM", "Status"),
                ],
                SmsConfigError::Missing("CACHET_SMS_ALLOWED_REGIONS"),
            ),
            (
                &[
                    ("CACHET_SMS_PROVIDER", "vonage"),
                    ("CACHET_SMS_ALLOWED_REGIONS", " , "),
                    ("CACHET_VONAGE_API_KEY", "k"),
                    ("CACHET_VONAGE_API_SECRET", "s"),
                    ("CACHET_VONAGE_FROM", "Status"),
                ],
                SmsConfigError::Missing("CACHET_SMS_ALLOWED_REGIONS"),
            ),
            (
                &[
                    ("CACHET_SMS_PROVIDER", "vonage"),
                    ("CACHET_SMS_ALLOWED_REGIONS", "USA"),
                    ("CACHET_VONAGE_API_KEY", "k"),
                    ("CACHET_VONAGE_API_SECRET", "s"),
                    ("CACHET_VONAGE_FROM", "Status"),
                ],
                SmsConfigError::Invalid {
                    var: "CACHET_SMS_ALLOWED_REGIONS",
                    reason: "must be ISO 3166-1 alpha-2 codes separated by commas, such as US,GB,DE",
                },
            ),
            (
                &[
                    ("CACHET_SMS_PROVIDER", "vonage"),
                    ("CACHET_SMS_ALLOWED_REGIONS", "US"),
                    ("CACHET_VONAGE_API_KEY", "k"),
                    ("CACHET_VONAGE_FROM", "Status"),
                ],
                SmsConfigError::Missing("CACHET_VONAGE_API_SECRET"),
            ),
            (
                &[
                    ("CACHET_SMS_PROVIDER", "twilio"),
                    ("CACHET_SMS_ALLOWED_REGIONS", "US"),
                    ("CACHET_TWILIO_ACCOUNT_SID", "AC1"),
                    ("CACHET_TWILIO_AUTH_TOKEN", "t"),
                ],
                SmsConfigError::Missing("CACHET_TWILIO_FROM"),
            ),
            (
                &[
                    ("CACHET_SMS_PROVIDER", "twilio"),
                    ("CACHET_SMS_ALLOWED_REGIONS", "US"),
                    ("CACHET_TWILIO_ACCOUNT_SID", "AC1/../x"),
                    ("CACHET_TWILIO_AUTH_TOKEN", "t"),
                    ("CACHET_TWILIO_FROM", "+14155550100"),
                ],
                SmsConfigError::Invalid {
                    var: "CACHET_TWILIO_ACCOUNT_SID",
                    reason: "must be letters and digits only (AC…)",
                },
            ),
            (
                &[
                    ("CACHET_SMS_PROVIDER", "http"),
                    ("CACHET_SMS_ALLOWED_REGIONS", "US"),
                    ("CACHET_SMS_HTTP_URL", "ftp://x"),
                ],
                SmsConfigError::Invalid {
                    var: "CACHET_SMS_HTTP_URL",
                    reason: "must be an http or https URL",
                },
            ),
        ];
        for (list, expected) in cases {
            assert_eq!(
                &SmsConfig::from_vars(list.iter().copied()).unwrap_err(),
                expected
            );
        }
        assert_eq!(
            SmsConfigError::Missing("CACHET_TWILIO_FROM").to_string(),
            "CACHET_TWILIO_FROM is required"
        );
    }

    #[test]
    fn twilio_outcomes() {
        let ok = twilio_outcome(StatusCode::CREATED, None, b"{\"sid\":\"SM1\"}");
        assert_eq!(ok, Ok(()));
        let limited = twilio_outcome(StatusCode::TOO_MANY_REQUESTS, Some(30), b"").unwrap_err();
        assert_eq!(
            limited,
            DeliveryError::Transient("Twilio answered HTTP 429 (retry after 30 s)".into())
        );
        let body = br#"{"code": 21211, "message": "The 'To' number +14155550123 is not a valid phone number.", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}"#;
        let invalid = twilio_outcome(StatusCode::BAD_REQUEST, None, body).unwrap_err();
        assert_eq!(
            invalid,
            DeliveryError::Permanent(
                "Twilio answered HTTP 400, error 21211 (invalid 'To' number)".into()
            )
        );
        let queue = br#"{"code": 20429, "message": "Too Many Requests", "status": 400}"#;
        assert!(
            twilio_outcome(StatusCode::BAD_REQUEST, None, queue)
                .unwrap_err()
                .is_transient()
        );
        assert!(
            twilio_outcome(StatusCode::BAD_GATEWAY, None, b"<html>")
                .unwrap_err()
                .is_transient()
        );
    }

    #[test]
    fn vonage_error_text_masks_numbers_and_controls() {
        assert_eq!(
            vonage_error_text("Non White-listed Destination - 447700900000 rejected\r\nX: y"),
            "Non White-listed Destination - [number] rejectedX: y"
        );
        assert_eq!(
            vonage_error_text("Throughput Rate Exceeded - please wait [ 1000 ] and retry"),
            "Throughput Rate Exceeded - please wait [ 1000 ] and retry"
        );
    }
}
