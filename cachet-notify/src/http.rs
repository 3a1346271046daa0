//! The HTTP client settings every outgoing HTTP notifier shares (webhooks, chat, SMS providers).
//!
//! TLS through rustls on ring with Mozilla's roots, no redirects, no proxy from the
//! environment, connect and total timeouts, and a resolver that refuses host names with any
//! non-public address (unless private networks are allowed) and hands the client only the
//! addresses it checked, so a DNS answer that changes between the check and the connection
//! (rebinding) cannot slip through.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use cachet_core::notify::DeliveryError;
use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::net::non_public_reason;

/// What a client is built with.
pub(crate) struct ClientSettings {
    /// Allow hosts that resolve to loopback, private and the other non-public ranges.
    pub(crate) allow_private_networks: bool,
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
    pub(crate) user_agent: &'static str,
}

/// Why an HTTP notifier (webhooks, chat, SMS) could not be built: its client, which every
/// one of them builds the same way, could not be.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpSetupError {
    /// The TLS configuration could not be built.
    #[error("TLS setup failed: {0}")]
    Tls(#[from] rustls::Error),
    /// The HTTP client could not be built.
    #[error("HTTP client setup failed: {0}")]
    Client(#[source] reqwest::Error),
}

/// Builds a client with the shared settings.
pub(crate) fn build_client(settings: &ClientSettings) -> Result<reqwest::Client, HttpSetupError> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    // The provider is named explicitly so a second rustls provider elsewhere in the
    // process (aws-lc-rs) cannot make the builder ambiguous.
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(HttpSetupError::Tls)?
    .with_root_certificates(roots)
    .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .redirect(reqwest::redirect::Policy::none())
        // HTTP(S)_PROXY from the environment would move the connection (and so the
        // address check) to the proxy.
        .no_proxy()
        .dns_resolver(Arc::new(CheckedResolver {
            allow_private_networks: settings.allow_private_networks,
        }))
        .connect_timeout(settings.connect_timeout)
        .timeout(settings.timeout)
        .user_agent(settings.user_agent)
        .build()
        .map_err(HttpSetupError::Client)
}

/// A resolver that refuses host names with any non-public address and hands reqwest only the
/// addresses it checked, so the dialled address is always a checked one.
struct CheckedResolver {
    allow_private_networks: bool,
}

/// The resolver's refusal, found again in reqwest's error chain to report it as permanent.
#[derive(Debug, thiserror::Error)]
#[error("host resolves to a {0} address")]
struct RefusedAddress(&'static str);

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = self.allow_private_networks;
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            if !allow {
                // Every address, not just the first: a client may fall back to any of them.
                if let Some(reason) = addrs.iter().find_map(|a| non_public_reason(a.ip())) {
                    return Err(Box::new(RefusedAddress(reason)) as _);
                }
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The category of non-public address the resolver refused, if that is why `error` happened.
fn refused_reason(error: &reqwest::Error) -> Option<&'static str> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(RefusedAddress(reason)) = e.downcast_ref::<RefusedAddress>() {
            return Some(reason);
        }
        source = e.source();
    }
    None
}

/// The category of non-public address an IP-literal host is (reqwest dials literals without
/// asking the resolver), or `None` for a name or a public address.
fn literal_reason(url: &Url) -> Option<&'static str> {
    let host = url.host_str()?;
    // The URL parser has already normalised IPv4 forms such as `2130706433` and `0x7f.1` to
    // dotted quads, so this sees the address reqwest would dial.
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
        .parse::<IpAddr>()
        .ok()
        .and_then(non_public_reason)
}

/// Reads at most `limit` bytes of a response body: enough for a provider's JSON answer, and
/// a peer cannot make the notifier buffer an unbounded body.
pub(crate) async fn read_limited(
    response: &mut reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = limit.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= limit {
            break;
        }
    }
    Ok(body)
}

/// Checks a URL before any network traffic: scheme, and IP literals (which reqwest dials
/// without asking the resolver). `what` names the target in the error ("webhook", "chat",
/// "Twilio"); the URL itself never appears (webhook and gateway URLs often embed a token).
pub(crate) fn check_url(
    url: &Url,
    allow_plain_http: bool,
    allow_private_networks: bool,
    what: &str,
) -> Result<(), DeliveryError> {
    match url.scheme() {
        "https" => {}
        "http" if allow_plain_http => {}
        "http" => {
            return Err(DeliveryError::Permanent(format!(
                "{what} URL must use https (plain http is not allowed by configuration)"
            )));
        }
        _ => {
            return Err(DeliveryError::Permanent(format!(
                "{what} URL must use http or https"
            )));
        }
    }
    if url.host_str().is_none() {
        return Err(DeliveryError::Permanent(format!("{what} URL has no host")));
    }
    if !allow_private_networks && let Some(reason) = literal_reason(url) {
        return Err(refused(reason, what));
    }
    Ok(())
}

/// The permanent error for a URL whose host is (or resolves to) a non-public address.
fn refused(reason: &str, what: &str) -> DeliveryError {
    DeliveryError::Permanent(format!(
        "{what} URL points to a {reason} address; refused (allow private networks to permit it)"
    ))
}

/// Turns a reqwest error into a delivery error without its text: reqwest's messages carry the
/// URL, and webhook and gateway URLs often embed a secret token. `what` names the target.
pub(crate) fn classify_error(error: &reqwest::Error, what: &str) -> DeliveryError {
    if let Some(reason) = refused_reason(error) {
        return refused(reason, what);
    }
    let text = if error.is_timeout() {
        format!("{what} request timed out")
    } else if error.is_connect() {
        format!("could not connect to the {what} host")
    } else {
        format!("{what} request failed")
    };
    DeliveryError::Transient(text)
}
