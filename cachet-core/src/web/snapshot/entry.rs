//! Cached answers: building an entry from a render (headers kept, precompressed bodies,
//! the strong tag) and serving one to a request (content coding, `304`, CORS).

use std::io::Write as _;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, ETAG,
    IF_NONE_MATCH, VARY,
};
use http::{HeaderMap, HeaderName, HeaderValue, Request, Response, StatusCode};
use sha2::{Digest, Sha256};

use super::key::{Key, Surface};
use super::state::Site;
use crate::web::{cors, response};
use crate::web_config::SnapshotConfig;

/// Bodies smaller than this are not compressed (the headers would outweigh the gain).
pub(super) const MIN_COMPRESS: usize = 256;

/// One rendered answer, shared by every request of its key at its revision.
#[derive(Debug)]
pub(super) struct Entry {
    pub(super) headers: HeaderMap,
    pub(super) identity: Bytes,
    pub(super) gzip: Option<Bytes>,
    pub(super) brotli: Option<Bytes>,
    /// The ETag of the identity body, without quotes.
    pub(super) tag: String,
    /// `Vary` of the entry's own dimensions (CORS adds `Origin`).
    pub(super) vary: &'static str,
    /// Whether the route answers CORS (API v1 always; other routes when their render
    /// carried `Vary: Origin`): applied per request when serving.
    pub(super) cors: bool,
    /// When it was rendered: the `Age` of the answer when it is served through an outage.
    pub(super) born: Instant,
}

/// The answer to a client over its budget of renders: `429` with `Retry-After`, never
/// stored.
pub(super) fn too_many_renders(retry_after: Duration) -> Response<Bytes> {
    let mut resp = response::plain(
        StatusCode::TOO_MANY_REQUESTS,
        "too many requests: retry later\n",
    );
    let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
    set_header(&mut resp, "retry-after", &secs.max(1).to_string());
    resp
}

/// A q-value in thousandths; `None` when malformed.
pub(super) fn parse_q(v: &str) -> Option<u16> {
    let q: f32 = v.trim().parse().ok()?;
    (0.0..=1.0)
        .contains(&q)
        .then(|| (q * 1000.0).round() as u16)
}

/// Every value of a header, joined with commas.
pub(super) fn joined(headers: &HeaderMap, name: &HeaderName) -> String {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",")
}

/// A content coding an entry can be served in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Coding {
    Identity,
    Gzip,
    Brotli,
}

/// The coding to serve by `Accept-Encoding` q-values: the highest q among those the entry
/// has, brotli before gzip before identity on ties; identity when nothing is acceptable.
pub(super) fn choose_coding(headers: &HeaderMap, gzip: bool, brotli: bool) -> Coding {
    let accept = joined(headers, &ACCEPT_ENCODING);
    if accept.trim().is_empty() {
        return Coding::Identity;
    }
    let mut explicit: Vec<(String, u16)> = Vec::new();
    for part in accept.split(',') {
        let mut it = part.split(';');
        let coding = it.next().unwrap_or("").trim().to_ascii_lowercase();
        if coding.is_empty() {
            continue;
        }
        let q = it
            .find_map(|p| p.trim().strip_prefix("q=").map(parse_q))
            .unwrap_or(Some(1000))
            .unwrap_or(0);
        explicit.push((coding, q));
    }
    let q_of = |names: &[&str], default: u16| -> u16 {
        explicit
            .iter()
            .filter(|(c, _)| names.contains(&c.as_str()))
            .map(|(_, q)| *q)
            .max()
            .or_else(|| explicit.iter().find(|(c, _)| c == "*").map(|(_, q)| *q))
            .unwrap_or(default)
    };
    let mut best = (Coding::Identity, q_of(&["identity"], 1));
    // Ties keep the earlier choice, so order by preference from the least preferred.
    for (coding, present, q) in [
        (Coding::Gzip, gzip, q_of(&["gzip", "x-gzip"], 0)),
        (Coding::Brotli, brotli, q_of(&["br"], 0)),
    ] {
        if present && q > 0 && q >= best.1 {
            best = (coding, q);
        }
    }
    best.0
}

/// Whether a content type is worth compressing.
pub(super) fn compressible(headers: &HeaderMap) -> bool {
    let ct = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    ct.starts_with("text/")
        || ct.contains("json")
        || ct.contains("xml")
        || ct.contains("javascript")
        || ct.contains("svg")
}

pub(super) fn gzip(body: &[u8]) -> Option<Bytes> {
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4),
        flate2::Compression::best(),
    );
    enc.write_all(body).ok()?;
    enc.finish().ok().map(Bytes::from)
}

pub(super) fn brotli(body: &[u8]) -> Option<Bytes> {
    // Quality 6. Measured on the big status page (514 kB of HTML, `bench/load.sh`'s data
    // set): quality 9 gave 13,348 bytes in 19 ms and a 23 MB transient peak of resident
    // memory (its hash chains: 2^15 buckets x 2^8 slots of 4 bytes, nearly every page
    // touched), which alone broke the 64 MB budget under load; quality 6 gives 13,903 bytes
    // (+4%) in 5.5 ms with a 4 MB peak; quality 11 gives 11,306 bytes in 590 ms. Paid once
    // per revision by the render, so speed matters less than the peak.
    // The window no larger than the body needs (2^16 to 2^22 bytes): the encoder's memory
    // grows with the window, and a large one buys nothing on a small body.
    let needed = usize::BITS - body.len().max(1).leading_zeros();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 6,
        lgwin: i32::try_from(needed.clamp(16, 22)).unwrap_or(22),
        size_hint: body.len(),
        ..Default::default()
    };
    let mut out = Vec::with_capacity(body.len() / 4);
    brotli::BrotliCompress(&mut &body[..], &mut out, &params).ok()?;
    Some(Bytes::from(out))
}

/// Headers never stored in an entry: per response, per visitor, or set when serving.
pub(super) fn per_response(name: &HeaderName) -> bool {
    let n = name.as_str();
    n.starts_with("x-ratelimit-")
        || n.starts_with("access-control-")
        || matches!(
            n,
            "x-request-id"
                | "retry-after"
                | "vary"
                | "content-length"
                | "content-encoding"
                | "etag"
                | "date"
                | "set-cookie"
        )
}

/// Builds an entry from a render, or `None` when the answer may not be cached.
pub(super) fn entry_of(
    resp: &Response<Bytes>,
    key: &Key,
    site: &Site,
    config: &SnapshotConfig,
    request_id: &str,
) -> Option<Entry> {
    if resp.status() != StatusCode::OK || resp.headers().contains_key(http::header::SET_COOKIE) {
        return None;
    }
    let cache_control = joined(resp.headers(), &CACHE_CONTROL).to_ascii_lowercase();
    if cache_control.contains("no-store") || cache_control.contains("private") {
        return None;
    }
    let body = resp.body().clone();
    // A request id inside a body would be served to every visitor.
    if !request_id.is_empty()
        && body
            .windows(request_id.len())
            .any(|w| w == request_id.as_bytes())
    {
        return None;
    }
    let mut headers = HeaderMap::new();
    for (name, value) in resp.headers() {
        if !per_response(name) {
            headers.append(name.clone(), value.clone());
        }
    }
    if !headers.contains_key(CACHE_CONTROL) {
        let value = format!(
            "public, max-age={}, stale-while-revalidate={}",
            config.max_age.as_secs(),
            config.stale_while_revalidate.as_secs()
        );
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(CACHE_CONTROL, v);
        }
    }
    let (gz, br) = if body.len() >= MIN_COMPRESS && compressible(&headers) {
        (
            gzip(&body).filter(|c| c.len() < body.len()),
            brotli(&body).filter(|c| c.len() < body.len()),
        )
    } else {
        (None, None)
    };
    let mut hasher = Sha256::new();
    hasher.update(&body);
    hasher.update([0]);
    hasher.update(key.variant().as_bytes());
    let digest = hasher.finalize();
    let tag: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    let vary = match key.surface {
        Surface::ApiV1 => "Accept-Encoding, Time-Zone",
        Surface::Page if site.automatic_localization => "Accept-Encoding, Accept-Language",
        Surface::ApiV2 | Surface::Page => "Accept-Encoding",
    };
    let cors = key.surface == Surface::ApiV1
        || resp
            .headers()
            .get_all(VARY)
            .iter()
            .any(|v| v.as_bytes().eq_ignore_ascii_case(b"origin"));
    Some(Entry {
        headers,
        identity: body,
        gzip: gz,
        brotli: br,
        tag,
        vary,
        cors,
        born: Instant::now(),
    })
}

/// Whether `If-None-Match` names one of the entry's tags (weak comparison, RFC 9110 13.1.2).
pub(super) fn not_modified(headers: &HeaderMap, entry: &Entry) -> bool {
    let inm = joined(headers, &IF_NONE_MATCH);
    inm.split(',').any(|t| {
        let t = t.trim();
        if t == "*" {
            return true;
        }
        let t = t.strip_prefix("W/").unwrap_or(t).trim_matches('"');
        t.strip_prefix(entry.tag.as_str())
            .is_some_and(|rest| matches!(rest, "" | "-gz" | "-br"))
    })
}

/// A response from an entry for one request (CORS for the APIs first, so `Vary: Origin`
/// leads).
pub(super) fn serve(entry: &Entry, req: &Request<Bytes>, site: &Site) -> Response<Bytes> {
    let coding = choose_coding(req.headers(), entry.gzip.is_some(), entry.brotli.is_some());
    let (body, suffix, encoding) = match (coding, &entry.gzip, &entry.brotli) {
        (Coding::Gzip, Some(b), _) => (b.clone(), "-gz", Some("gzip")),
        (Coding::Brotli, _, Some(b)) => (b.clone(), "-br", Some("br")),
        _ => (entry.identity.clone(), "", None),
    };
    let fresh = not_modified(req.headers(), entry);
    let mut resp = Response::new(if fresh { Bytes::new() } else { body.clone() });
    if fresh {
        *resp.status_mut() = StatusCode::NOT_MODIFIED;
    }
    if entry.cors {
        cors::apply(&mut resp, req, &site.allowed_domains);
    }
    let headers = resp.headers_mut();
    headers.append(VARY, HeaderValue::from_static(entry.vary));
    if let Ok(v) = HeaderValue::from_str(&format!("\"{}{suffix}\"", entry.tag)) {
        headers.insert(ETAG, v);
    }
    if fresh {
        // 304: the validators and caching headers only (RFC 9110 15.4.5).
        if let Some(cc) = entry.headers.get(CACHE_CONTROL) {
            headers.insert(CACHE_CONTROL, cc.clone());
        }
        return resp;
    }
    for (name, value) in &entry.headers {
        headers.append(name.clone(), value.clone());
    }
    if let Some(enc) = encoding {
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static(enc));
    }
    headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
    resp
}

pub(super) fn set_header(resp: &mut Response<Bytes>, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        resp.headers_mut().insert(HeaderName::from_static(name), v);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (n, v) in pairs {
            h.append(*n, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn codings_follow_q_values() {
        let c = |ae: &str| choose_coding(&headers(&[("accept-encoding", ae)]), true, true);
        assert_eq!(c("gzip, deflate, br"), Coding::Brotli);
        assert_eq!(c("gzip"), Coding::Gzip);
        assert_eq!(c("br;q=0.5, gzip;q=0.8"), Coding::Gzip);
        assert_eq!(c("br;q=0, gzip;q=0"), Coding::Identity);
        assert_eq!(c("identity"), Coding::Identity);
        assert_eq!(c("*"), Coding::Brotli);
        assert_eq!(c("*;q=0.5, identity;q=1"), Coding::Identity);
        assert_eq!(c("x-gzip"), Coding::Gzip);
        assert_eq!(c("GZIP;Q=1.0"), Coding::Gzip);
        assert_eq!(c("br;q=nonsense, gzip"), Coding::Gzip);
        assert_eq!(
            choose_coding(&headers(&[("accept-encoding", "br")]), true, false),
            Coding::Identity
        );
        assert_eq!(
            choose_coding(&HeaderMap::new(), true, true),
            Coding::Identity
        );
    }
}
