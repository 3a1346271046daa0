//! The urlencoded form of a page request, decoded once.
//!
//! [`Cachet::handle`](crate::Cachet::handle) decodes the body of every unsafe page request
//! (`application/x-www-form-urlencoded`, within the body size limit it has already checked)
//! into a [`Form`] and keeps it in the request's extensions. The CSRF guard reads `_token`
//! from it and the page handlers read their fields from the same value, so a body is never
//! decoded twice and every reader sees the same fields. The API decodes its own bodies
//! ([`super::input`]): they may be JSON, and it never reads cookies, so no CSRF token.

use bytes::Bytes;
use http::Request;

/// Urlencoded pairs (a form body or a query string), in order; repeated names allowed.
///
/// Which of a repeated name's values counts is the reader's rule: [`Form::get`] takes the
/// first (tokens, confirmations), the dashboard's content forms take the last
/// (`Submitted::text`, after a hidden default), checkbox lists take [`Form::all`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Form {
    pairs: Vec<(String, String)>,
}

/// The form of a request without one (a GET, or a body that is not a form).
pub(crate) static EMPTY: Form = Form { pairs: Vec::new() };

impl Form {
    /// Parses `application/x-www-form-urlencoded` bytes; `None` when malformed.
    pub(crate) fn parse(bytes: &[u8]) -> Option<Self> {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes)
            .ok()
            .map(|pairs| Self { pairs })
    }

    /// The first value of a field.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of a field, or `""`.
    pub(crate) fn text(&self, name: &str) -> &str {
        self.get(name).unwrap_or_default()
    }

    /// Every value of a repeated field (checkboxes, multi-selects).
    pub(crate) fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Whether a checkbox was ticked (present with a value other than empty, `0`, `off`
    /// or `false`).
    pub(crate) fn checked(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| !matches!(v, "" | "0" | "off" | "false"))
    }

    /// Every pair, in order.
    pub(crate) fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }
}

/// The decoded body kept in a request's extensions: `None` when it is not urlencoded.
#[derive(Debug, Clone)]
struct DecodedBody(Option<Form>);

/// Decodes the body of an unsafe request once and keeps it in the request's extensions for
/// [`body`]. Safe methods carry no form.
pub(crate) fn decode_body(req: &mut Request<Bytes>) {
    if crate::auth::csrf::is_unsafe_method(req.method().as_str()) {
        let form = Form::parse(req.body());
        req.extensions_mut().insert(DecodedBody(form));
    }
}

/// The request's form body as [`decode_body`] decoded it: `None` when the body is not
/// urlencoded or the request carries none (a safe method).
pub(crate) fn body(req: &Request<Bytes>) -> Option<&Form> {
    req.extensions()
        .get::<DecodedBody>()
        .and_then(|d| d.0.as_ref())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use http::Method;

    fn request(method: Method, body: &'static [u8]) -> Request<Bytes> {
        let mut req = Request::builder()
            .method(method)
            .uri("/dashboard")
            .body(Bytes::from_static(body))
            .unwrap();
        decode_body(&mut req);
        req
    }

    #[test]
    fn an_unsafe_request_is_decoded_once_and_read_by_reference() {
        let req = request(Method::POST, b"_token=t&name=a+b&name=c");
        let form = body(&req).unwrap();
        assert_eq!(form.get("_token"), Some("t"));
        assert_eq!(form.all("name"), ["a b", "c"]);
        // The same value every time: readers share it, nothing decodes again.
        assert!(std::ptr::eq(form, body(&req).unwrap()));
    }

    #[test]
    fn safe_requests_have_no_form_and_bad_escapes_stay_text() {
        assert_eq!(body(&request(Method::GET, b"a=1")), None);
        assert_eq!(EMPTY.get("a"), None);
        // Decoding is lenient as browsers are: a bad escape is kept, bad UTF-8 replaced.
        let req = request(Method::POST, b"%ZZ=\xff");
        assert_eq!(body(&req).unwrap().get("%ZZ"), Some("\u{FFFD}"));
    }
}
