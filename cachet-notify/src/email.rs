//! SMTP email through lettre.

use std::fmt;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use cachet_core::notify::{Channel, DeliveryError, EmailMessage, Message, Notifier};
use lettre::Address;
use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm,
    DkimSigningKey,
};
use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::extension::ClientId;

use crate::smtp_pool::{Endpoint, Pool, PoolError};
use reqwest::Url;

/// How the SMTP connection is protected, as the URL asked for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SmtpTls {
    /// `smtps://`: TLS from the first byte (port 465 by default).
    Implicit,
    /// `smtp://…?tls=required`: STARTTLS, and the connection fails without it (port 587).
    StartTlsRequired,
    /// `smtp://…?tls=opportunistic`: STARTTLS when offered; an attacker on the path can strip
    /// it, so it counts as plaintext for the loopback rule.
    StartTlsOpportunistic,
    /// `smtp://`: no TLS (port 25). Only for a relay on loopback unless explicitly allowed.
    None,
}

impl SmtpTls {
    fn is_protected(self) -> bool {
        matches!(self, SmtpTls::Implicit | SmtpTls::StartTlsRequired)
    }
}

/// Why an [`EmailNotifier`] could not be configured. No variant carries the password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmailSetupError {
    /// The SMTP URL is malformed or uses an unknown scheme or TLS mode.
    #[error("invalid SMTP URL: {0}")]
    InvalidUrl(&'static str),
    /// A plaintext (or downgradable) connection to a host that is not loopback.
    #[error(
        "plain smtp:// to {host} would send mail and the password unencrypted: use smtps:// or \
         smtp://…?tls=required, or allow plaintext to a remote relay explicitly"
    )]
    PlaintextToRemote {
        /// The host the URL names.
        host: String,
    },
    /// A password was given without a user name in the URL.
    #[error("an SMTP password was given but the SMTP URL has no user name (smtp://USER@host)")]
    PasswordWithoutUser,
    /// The DKIM key, selector or domain is unusable.
    #[error("DKIM: {0}")]
    Dkim(String),
    /// lettre refused the transport settings.
    #[error("SMTP transport setup failed: {0}")]
    Transport(String),
}

/// A parsed, policy-checked SMTP URL (lettre's conventions): `smtps://[user[:pass]@]host[:port]`
/// or `smtp://[user[:pass]@]host[:port][?tls=required|opportunistic]`.
#[derive(Clone)]
pub struct SmtpUrl {
    url: Url,
    host: String,
    tls: SmtpTls,
}

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpUrl")
            .field("host", &self.host)
            .field("port", &self.url.port())
            .field("tls", &self.tls)
            .field(
                "user",
                &(!self.url.username().is_empty()).then_some("<set>"),
            )
            .field("password", &self.url.password().map(|_| "<redacted>"))
            .finish()
    }
}

impl SmtpUrl {
    /// Parses `url` and applies the plaintext rule: `smtp://` without `tls=required` is accepted
    /// only when the host is loopback (`localhost`, `127.0.0.0/8`, `::1`), unless
    /// `allow_plaintext_remote` is set.
    ///
    /// # Errors
    ///
    /// [`EmailSetupError::InvalidUrl`] or [`EmailSetupError::PlaintextToRemote`]; the messages
    /// never contain the URL's password.
    pub fn parse(url: &str, allow_plaintext_remote: bool) -> Result<Self, EmailSetupError> {
        let url = Url::parse(url.trim()).map_err(|_| {
            EmailSetupError::InvalidUrl("not a URL; expected smtps://host or smtp://host")
        })?;
        let tls_param = url
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let tls = match (url.scheme(), tls_param.as_deref()) {
            ("smtps", None) => SmtpTls::Implicit,
            ("smtp", Some("required")) => SmtpTls::StartTlsRequired,
            ("smtp", Some("opportunistic")) => SmtpTls::StartTlsOpportunistic,
            ("smtp", None) => SmtpTls::None,
            ("smtp", Some(_)) => {
                return Err(EmailSetupError::InvalidUrl(
                    "the tls parameter must be `required` or `opportunistic`",
                ));
            }
            ("smtps", Some(_)) => {
                return Err(EmailSetupError::InvalidUrl(
                    "smtps:// is always TLS; drop the tls parameter",
                ));
            }
            _ => {
                return Err(EmailSetupError::InvalidUrl(
                    "the scheme must be smtps:// (TLS) or smtp:// (STARTTLS with ?tls=required)",
                ));
            }
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or(EmailSetupError::InvalidUrl("the URL has no host"))?
            .to_owned();
        if !tls.is_protected() && !allow_plaintext_remote && !is_loopback_host(&host) {
            return Err(EmailSetupError::PlaintextToRemote { host });
        }
        Ok(Self { url, host, tls })
    }

    /// The server's host name or address.
    #[must_use]
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The explicit port, if the URL has one.
    #[must_use]
    pub fn port(&self) -> Option<u16> {
        self.url.port()
    }

    /// The TLS mode.
    #[must_use]
    pub fn tls(&self) -> SmtpTls {
        self.tls
    }
}

/// `localhost` or a loopback address literal; no DNS (a name that resolves to loopback today
/// may not tomorrow).
fn is_loopback_host(host: &str) -> bool {
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.eq_ignore_ascii_case("localhost")
        || bare.eq_ignore_ascii_case("localhost.")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A DKIM signer: key, selector and domain.
pub struct Dkim {
    config: DkimConfig,
    selector: String,
    domain: String,
}

impl fmt::Debug for Dkim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dkim")
            .field("selector", &self.selector)
            .field("domain", &self.domain)
            .field("key", &"<redacted>")
            .finish()
    }
}

/// The headers every signature covers. RFC 8058 requires `List-Unsubscribe` and
/// `List-Unsubscribe-Post` to be signed; naming them also on mails without them asserts their
/// absence, so nobody can add them later without breaking the signature.
const DKIM_SIGNED_HEADERS: [&str; 10] = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "Content-Type",
    "Content-Language",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
];

/// The DER prefix of a PKCS#8 Ed25519 private key (RFC 8410); the 32-byte seed follows.
const ED25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

impl Dkim {
    /// Builds a signer from a PEM key: RSA in PKCS#1 (`BEGIN RSA PRIVATE KEY`, from
    /// `openssl genrsa -traditional`) or Ed25519 in PKCS#8 (`BEGIN PRIVATE KEY`, from
    /// `openssl genpkey -algorithm ed25519`).
    ///
    /// # Errors
    ///
    /// [`EmailSetupError::Dkim`] for an unreadable key or a selector or domain that is not a
    /// DNS name. The message never contains key material.
    pub fn from_pem(pem: &str, selector: &str, domain: &str) -> Result<Self, EmailSetupError> {
        if !is_dns_name(selector) {
            return Err(EmailSetupError::Dkim(
                "the selector must be a DNS label sequence (letters, digits, hyphens, dots)".into(),
            ));
        }
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        if !is_dns_name(&domain) || !domain.contains('.') {
            return Err(EmailSetupError::Dkim(
                "the domain must be a DNS name such as example.com".into(),
            ));
        }
        let pem = pem.trim();
        let key = if pem.starts_with("-----BEGIN RSA PRIVATE KEY-----") {
            DkimSigningKey::new(pem, DkimSigningAlgorithm::Rsa)
                .map_err(|_| EmailSetupError::Dkim("the RSA key could not be read".into()))?
        } else if pem.starts_with("-----BEGIN PRIVATE KEY-----") {
            let seed = ed25519_seed_from_pkcs8(pem)?;
            DkimSigningKey::new(&seed, DkimSigningAlgorithm::Ed25519)
                .map_err(|_| EmailSetupError::Dkim("the Ed25519 key could not be read".into()))?
        } else {
            return Err(EmailSetupError::Dkim(
                "expected a PEM key: RSA as `BEGIN RSA PRIVATE KEY` (PKCS#1) or Ed25519 as \
                 `BEGIN PRIVATE KEY` (PKCS#8)"
                    .into(),
            ));
        };
        let headers = DKIM_SIGNED_HEADERS
            .iter()
            .map(|h| HeaderName::new_from_ascii_str(h))
            .collect();
        let config = DkimConfig::new(
            selector.to_owned(),
            domain.clone(),
            key,
            headers,
            // relaxed/relaxed survives the header refolding and whitespace changes of relays.
            DkimCanonicalization {
                header: DkimCanonicalizationType::Relaxed,
                body: DkimCanonicalizationType::Relaxed,
            },
        );
        Ok(Self {
            config,
            selector: selector.to_owned(),
            domain,
        })
    }

    /// Reads the PEM key from a file; see [`Dkim::from_pem`].
    ///
    /// # Errors
    ///
    /// [`EmailSetupError::Dkim`] when the file cannot be read or the key is unusable.
    pub fn from_pem_file(
        path: &Path,
        selector: &str,
        domain: &str,
    ) -> Result<Self, EmailSetupError> {
        let pem = std::fs::read_to_string(path).map_err(|e| {
            EmailSetupError::Dkim(format!("cannot read the key file {}: {e}", path.display()))
        })?;
        Self::from_pem(&pem, selector, domain)
    }

    /// The selector (`s=`).
    #[must_use]
    pub fn selector(&self) -> &str {
        &self.selector
    }

    /// The signing domain (`d=`).
    #[must_use]
    pub fn domain(&self) -> &str {
        &self.domain
    }
}

fn is_dns_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// Extracts the 32-byte seed of a PKCS#8 Ed25519 PEM key, base64-encoded as lettre expects.
fn ed25519_seed_from_pkcs8(pem: &str) -> Result<String, EmailSetupError> {
    use base64::Engine as _;
    let body: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .flat_map(|l| l.trim().chars())
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|_| EmailSetupError::Dkim("the PEM key is not valid base64".into()))?;
    match der.strip_prefix(&ED25519_PKCS8_PREFIX[..]) {
        Some(seed) if seed.len() == 32 => {
            Ok(base64::engine::general_purpose::STANDARD.encode(seed))
        }
        _ => Err(EmailSetupError::Dkim(
            "a `BEGIN PRIVATE KEY` file must hold an Ed25519 key; convert an RSA key to PKCS#1 \
             with `openssl rsa -traditional`"
                .into(),
        )),
    }
}

/// Builds an [`EmailNotifier`].
pub struct EmailNotifierBuilder {
    url: SmtpUrl,
    from: Mailbox,
    password: Option<String>,
    dkim: Option<Dkim>,
    timeout: Duration,
    pool_max_size: u32,
}

impl fmt::Debug for EmailNotifierBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailNotifierBuilder")
            .field("url", &self.url)
            .field("from", &self.from.to_string())
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("dkim", &self.dkim)
            .field("timeout", &self.timeout)
            .field("pool_max_size", &self.pool_max_size)
            .finish()
    }
}

impl EmailNotifierBuilder {
    /// Sets the SMTP password, replacing one in the URL (the CLI reads it from
    /// `CACHET_SMTP_PASSWORD` so it stays out of the process list and shell history).
    #[must_use]
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(password.into());
        self
    }

    /// Signs every message with DKIM.
    #[must_use]
    pub fn dkim(mut self, dkim: Dkim) -> Self {
        self.dkim = Some(dkim);
        self
    }

    /// Timeout for getting a connection (connect, TLS, EHLO, AUTH) and, separately, for each
    /// message's transaction (default 30 s).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The most idle connections kept for reuse between mails (default 10).
    #[must_use]
    pub fn pool_max_size(mut self, size: u32) -> Self {
        self.pool_max_size = size.max(1);
        self
    }

    /// Builds the notifier. Connections are opened on the first send, with `TCP_NODELAY`
    /// (see the crate's SMTP pool), and kept for reuse up to [`Self::pool_max_size`].
    ///
    /// # Errors
    ///
    /// [`EmailSetupError::PasswordWithoutUser`] or [`EmailSetupError::Transport`].
    pub fn build(self) -> Result<EmailNotifier, EmailSetupError> {
        let url = &self.url.url;
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|_| EmailSetupError::InvalidUrl("the user or password is not UTF-8"))
        };
        let password = match (&self.password, url.password()) {
            (Some(password), _) => Some(password.clone()),
            (None, Some(password)) => Some(decode(password)?),
            (None, None) => None,
        };
        let has_credentials = !url.username().is_empty();
        if password.is_some() && !has_credentials {
            return Err(EmailSetupError::PasswordWithoutUser);
        }
        let credentials = if has_credentials {
            Some(Credentials::new(
                decode(url.username())?,
                password.unwrap_or_default(),
            ))
        } else {
            None
        };
        // lettre's URL conventions: the default port by TLS mode, and a path names the EHLO
        // domain.
        let port = url.port().unwrap_or(match self.url.tls {
            SmtpTls::Implicit => 465,
            SmtpTls::StartTlsRequired | SmtpTls::StartTlsOpportunistic => 587,
            SmtpTls::None => 25,
        });
        let hello = match url.path().trim_matches('/') {
            "" => ClientId::default(),
            name => ClientId::Domain(decode(name)?),
        };
        let endpoint = Endpoint {
            host: self.url.host.clone(),
            port,
            tls: self.url.tls,
            hello,
            credentials,
            timeout: self.timeout,
        };
        let pool = Pool::new(endpoint, self.pool_max_size as usize)
            .map_err(|_| EmailSetupError::Transport("TLS setup failed".into()))?;
        Ok(EmailNotifier {
            pool,
            url: self.url,
            from: self.from,
            dkim: self.dkim,
            has_credentials,
        })
    }
}

/// Delivers [`EmailMessage`]s over SMTP: lettre's message builder and SMTP session on pooled
/// connections with `TCP_NODELAY`.
///
/// Every message is `multipart/alternative` (text, then HTML) with `Message-ID:
/// <{idempotency_key}@{from-domain}>`, `Content-Language`, and on notifications
/// `List-Unsubscribe: <url>` plus `List-Unsubscribe-Post: List-Unsubscribe=One-Click`
/// (RFC 8058), optionally DKIM-signed over all of those. SMTP 4xx replies, timeouts and
/// connection failures are transient; 5xx replies are permanent except authentication
/// failures (530, 534, 535, 538), which are the operator's to fix and so worth retrying.
/// Error strings carry the reply code only: servers echo the recipient in their reply text.
pub struct EmailNotifier {
    pool: Pool,
    url: SmtpUrl,
    from: Mailbox,
    dkim: Option<Dkim>,
    has_credentials: bool,
}

impl fmt::Debug for EmailNotifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmailNotifier")
            .field("url", &self.url)
            .field("from", &self.from.to_string())
            .field("credentials", &self.has_credentials.then_some("<redacted>"))
            .field("dkim", &self.dkim)
            .finish_non_exhaustive()
    }
}

impl EmailNotifier {
    /// Starts a builder from an SMTP URL (see [`SmtpUrl::parse`]) and the `From` mailbox.
    #[must_use]
    pub fn builder(url: SmtpUrl, from: Mailbox) -> EmailNotifierBuilder {
        EmailNotifierBuilder {
            url,
            from,
            password: None,
            dkim: None,
            timeout: Duration::from_secs(30),
            pool_max_size: 10,
        }
    }

    /// The `From` mailbox.
    #[must_use]
    pub fn from(&self) -> &Mailbox {
        &self.from
    }

    /// The SMTP endpoint.
    #[must_use]
    pub fn smtp_url(&self) -> &SmtpUrl {
        &self.url
    }

    /// Builds (and, with DKIM, signs) the message exactly as [`Notifier::deliver`] sends it.
    ///
    /// # Errors
    ///
    /// [`DeliveryError::Permanent`] when a field cannot go into a header.
    pub fn compose(&self, message: &EmailMessage) -> Result<lettre::Message, DeliveryError> {
        let mut built = build_message(&self.from, message)?;
        if let Some(dkim) = &self.dkim {
            built.sign(&dkim.config);
        }
        Ok(built)
    }

    /// The RFC 5322 bytes [`Notifier::deliver`] would send (before SMTP dot-stuffing).
    ///
    /// # Errors
    ///
    /// As [`EmailNotifier::compose`].
    pub fn render(&self, message: &EmailMessage) -> Result<Vec<u8>, DeliveryError> {
        Ok(self.compose(message)?.formatted())
    }

    async fn send(&self, message: &EmailMessage) -> Result<(), DeliveryError> {
        let built = self.compose(message)?;
        let raw = built.formatted();
        self.pool
            .send(built.envelope(), &raw)
            .await
            .map_err(|e| classify_pool_error(&e))
    }
}

#[async_trait]
impl Notifier for EmailNotifier {
    fn channel(&self) -> Channel {
        Channel::Email
    }

    async fn deliver(&self, message: &Message) -> Result<(), DeliveryError> {
        match message {
            Message::Email(email) => self.send(email).await,
            _ => Err(DeliveryError::Permanent(
                "the email notifier only delivers email messages".into(),
            )),
        }
    }
}

/// Maps a pool error to a delivery error: all transient except refused replies.
fn classify_pool_error(error: &PoolError) -> DeliveryError {
    let what = match error {
        PoolError::Smtp(e) => return classify_smtp_error(e),
        PoolError::Connect(_) => "could not reach the SMTP server",
        PoolError::Timeout => "SMTP connection timed out",
        PoolError::Tls(_) | PoolError::TlsName => "SMTP TLS negotiation failed",
        PoolError::NoStartTls => "SMTP session failed (authentication or TLS requirement not met)",
    };
    DeliveryError::Transient(what.into())
}

/// Maps a lettre error to a delivery error by its kind and reply code, never its text.
fn classify_smtp_error(error: &lettre::transport::smtp::Error) -> DeliveryError {
    if let Some(code) = error.status() {
        let code = code.to_string();
        if error.is_permanent() {
            if matches!(code.as_str(), "530" | "534" | "535" | "538") {
                return DeliveryError::Transient(format!(
                    "SMTP authentication failed (reply {code}); check the SMTP credentials"
                ));
            }
            return DeliveryError::Permanent(format!(
                "SMTP server refused the message (reply {code})"
            ));
        }
        return DeliveryError::Transient(format!(
            "SMTP server deferred the message (reply {code})"
        ));
    }
    let what = if error.is_timeout() {
        "SMTP connection timed out"
    } else if error.is_tls() {
        "SMTP TLS negotiation failed"
    } else if error.is_response() {
        "SMTP server sent an unreadable reply"
    } else if error.is_client() {
        "SMTP session failed (authentication or TLS requirement not met)"
    } else {
        "could not reach the SMTP server"
    };
    DeliveryError::Transient(what.into())
}

/// `List-Unsubscribe: <url>` (RFC 2369, one URL: the one-click one).
#[derive(Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(
            s.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned(),
        ))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), format!("<{}>", self.0))
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058).
#[derive(Clone)]
struct ListUnsubscribePost;

impl Header for ListUnsubscribePost {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
}

/// `Content-Language: <tag>` (RFC 3282).
#[derive(Clone)]
struct ContentLanguage(String);

impl Header for ContentLanguage {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Content-Language")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.trim().to_owned()))
    }
    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// The longest `List-Unsubscribe` URL: keeps the header line under RFC 5322's 998 octets, as
/// a URL has no whitespace to fold at.
const MAX_UNSUBSCRIBE_URL: usize = 900;

/// The longest whitespace-free run a subject may hold: with `Subject: ` before it, a line
/// stays under RFC 5322's 998 octets.
const MAX_SUBJECT_WORD_BYTES: usize = 900;

/// Builds the lettre message for `message` from `from`, checking every value that goes into a
/// header. Public so tests and fuzzers can inspect the headers without a server
/// (`build_message(..)?.formatted()` gives the RFC 5322 bytes).
///
/// # Errors
///
/// [`DeliveryError::Permanent`] when the subject holds a control character (CR, LF, NUL, ...),
/// the recipient is not an address lettre accepts, the idempotency key is not a dot-atom, the
/// locale is not a language tag, the unsubscribe URL is too long, or the subject holds a word
/// too long for a header line.
pub fn build_message(
    from: &Mailbox,
    message: &EmailMessage,
) -> Result<lettre::Message, DeliveryError> {
    // `EmailMessage::subject` is validated by the core; a second check here makes header
    // injection impossible even for a caller that builds messages by hand.
    if message.subject.chars().any(char::is_control) {
        return Err(DeliveryError::Permanent(
            "subject contains a line break or control character".into(),
        ));
    }
    // lettre folds a long subject only at whitespace: a longer unbroken word would make a
    // header line over RFC 5322's 998 octets (found by the `email_headers` fuzz target).
    // Core subjects are names of at most 255 characters, far below this.
    if message
        .subject
        .split_whitespace()
        .any(|word| word.len() > MAX_SUBJECT_WORD_BYTES)
    {
        return Err(DeliveryError::Permanent(format!(
            "subject has a word over {MAX_SUBJECT_WORD_BYTES} bytes, too long for a header line"
        )));
    }
    let to: Address = message
        .to
        .as_str()
        .parse()
        .map_err(|_| DeliveryError::Permanent("recipient address refused by lettre".into()))?;
    if !is_dot_atom(&message.idempotency_key) {
        return Err(DeliveryError::Permanent(
            "idempotency key cannot form a Message-ID (dot-atom characters only)".into(),
        ));
    }
    if !is_language_tag(&message.locale) {
        return Err(DeliveryError::Permanent(
            "locale is not a language tag such as en or pt-BR".into(),
        ));
    }
    let mut builder = lettre::Message::builder()
        .from(from.clone())
        .to(Mailbox::new(None, to))
        .subject(message.subject.as_str())
        .date_now()
        .message_id(Some(format!(
            "<{}@{}>",
            message.idempotency_key,
            from.email.domain()
        )))
        .header(ContentLanguage(message.locale.clone()));
    if let Some(url) = &message.list_unsubscribe {
        // `HttpUrl` holds no whitespace, control characters or angle brackets.
        if url.as_str().len() > MAX_UNSUBSCRIBE_URL {
            return Err(DeliveryError::Permanent(
                "unsubscribe URL is too long for a header line".into(),
            ));
        }
        builder = builder
            .header(ListUnsubscribe(url.as_str().to_owned()))
            .header(ListUnsubscribePost);
    }
    builder
        .multipart(MultiPart::alternative_plain_html(
            message.text.clone(),
            message.html.clone(),
        ))
        .map_err(|_| DeliveryError::Permanent("the message could not be assembled".into()))
}

/// RFC 5322 dot-atom-text, at most 200 characters.
fn is_dot_atom(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 200
        && !s.starts_with('.')
        && !s.ends_with('.')
        && !s.contains("..")
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~.".contains(&b))
}

/// A BCP 47-shaped tag: 1-8 letters, then `-` and 1-8 alphanumerics, at most 35 characters.
fn is_language_tag(s: &str) -> bool {
    let mut parts = s.split('-');
    s.len() <= 35
        && parts.next().is_some_and(|p| {
            (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic())
        })
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn smtp_url_tls_modes_and_loopback_rule() {
        assert_eq!(
            SmtpUrl::parse("smtps://u:p@mail.example.com", false)
                .unwrap()
                .tls(),
            SmtpTls::Implicit
        );
        assert_eq!(
            SmtpUrl::parse("smtp://mail.example.com:587?tls=required", false)
                .unwrap()
                .tls(),
            SmtpTls::StartTlsRequired
        );
        for local in [
            "smtp://localhost:25",
            "smtp://127.0.0.1:2525",
            "smtp://[::1]:25",
        ] {
            assert_eq!(SmtpUrl::parse(local, false).unwrap().tls(), SmtpTls::None);
        }
        for remote in [
            "smtp://mail.example.com",
            "smtp://10.0.0.2:25",
            "smtp://mail.example.com?tls=opportunistic",
            "smtp://localhost.evil.example",
        ] {
            assert!(
                matches!(
                    SmtpUrl::parse(remote, false),
                    Err(EmailSetupError::PlaintextToRemote { .. })
                ),
                "{remote}"
            );
            assert!(SmtpUrl::parse(remote, true).is_ok(), "{remote}");
        }
        for bad in [
            "mail.example.com",
            "http://mail.example.com",
            "smtp://mail.example.com?tls=yes",
            "smtps://mail.example.com?tls=required",
            "smtp://",
        ] {
            assert!(
                matches!(
                    SmtpUrl::parse(bad, true),
                    Err(EmailSetupError::InvalidUrl(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn smtp_url_debug_and_errors_hide_the_password() {
        let url = SmtpUrl::parse("smtps://bob:hunter2secret@mail.example.com", false).unwrap();
        let debug = format!("{url:?}");
        assert!(!debug.contains("hunter2secret") && debug.contains("<redacted>"));
        let err = SmtpUrl::parse("smtp://bob:hunter2secret@mail.example.com", false).unwrap_err();
        assert!(!err.to_string().contains("hunter2secret"));
    }

    #[test]
    fn dot_atom_and_language_tag_rules() {
        assert!(is_dot_atom("evt-12.sub-34.email"));
        assert!(is_dot_atom("0123abcdef"));
        for bad in ["", ".a", "a.", "a..b", "a b", "a@b", "a<b>", "a\r\nb", "é"] {
            assert!(!is_dot_atom(bad), "{bad:?}");
        }
        assert!(is_language_tag("en") && is_language_tag("pt-BR") && is_language_tag("zh-Hans"));
        for bad in [
            "",
            "en_US",
            "en-",
            "e n",
            "englishlanguage",
            "en\r\nX: y",
            "123",
        ] {
            assert!(!is_language_tag(bad), "{bad:?}");
        }
    }

    #[test]
    fn dkim_refuses_bad_selector_domain_and_key() {
        let seed = [7u8; 32];
        let mut der = ED25519_PKCS8_PREFIX.to_vec();
        der.extend_from_slice(&seed);
        use base64::Engine as _;
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            base64::engine::general_purpose::STANDARD.encode(&der)
        );
        let dkim = Dkim::from_pem(&pem, "s1", "Example.COM.").unwrap();
        assert_eq!(dkim.domain(), "example.com");
        assert!(
            !format!("{dkim:?}").contains(&base64::engine::general_purpose::STANDARD.encode(seed))
        );
        assert!(Dkim::from_pem(&pem, "bad selector", "example.com").is_err());
        assert!(Dkim::from_pem(&pem, "s1", "example.com\r\nX: y").is_err());
        assert!(Dkim::from_pem("not a key", "s1", "example.com").is_err());
        assert!(
            Dkim::from_pem(
                "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----",
                "s1",
                "example.com"
            )
            .is_err()
        );
        // A PKCS#8 key that is not Ed25519.
        assert!(
            Dkim::from_pem(
                "-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----",
                "s1",
                "example.com"
            )
            .is_err()
        );
    }
}
