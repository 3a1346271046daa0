//! List parameters: whitelisted filters, whitelisted sorts, pages with absolute links.

use http::StatusCode;
use serde_json::{Value, json};

use super::{Call, Fail};
use crate::store::{Direction, Page, PageRequest, SortField};
use crate::validate::{ValidationError, Violation};

/// The page asked for: `page` (1-based) and `per_page` clamped to 1..=1000 (the value used is
/// reported back in the pagination block).
pub(crate) fn page(call: &Call<'_>) -> Result<PageRequest, Fail> {
    let page = call
        .input
        .int("page")?
        .unwrap_or(1)
        .clamp(1, i64::from(u32::MAX));
    let per_page = call
        .input
        .int("per_page")?
        .unwrap_or(i64::from(PageRequest::DEFAULT_PER_PAGE))
        .clamp(1, 1000);
    Ok(PageRequest::new(
        u32::try_from(page).unwrap_or(1),
        u32::try_from(per_page).unwrap_or(20),
    ))
}

/// `sort=<field>&order=asc|desc`: a field outside the whitelist is ignored, as in Cachet.
pub(crate) fn sort<S: SortField>(call: &Call<'_>) -> Result<Option<(S, Direction)>, Fail> {
    let Some(field) = call.input.text("sort")? else {
        return Ok(None);
    };
    let direction = match call.input.text("order")?.map(|o| o.to_ascii_lowercase()) {
        Some(o) if o == "desc" => Direction::Desc,
        _ => Direction::Asc,
    };
    Ok(S::parse(field.trim()).map(|f| (f, direction)))
}

/// A whitelisted scalar filter parsed by `parse`; a list or object there is a 400.
pub(crate) fn filter<T>(
    call: &Call<'_>,
    key: &'static str,
    parse: impl Fn(&str) -> Result<T, Violation>,
) -> Result<Option<T>, Fail> {
    match call.input.text(key)? {
        None => Ok(None),
        Some(s) => parse(s.trim())
            .map(Some)
            .map_err(|v| Fail::Invalid(vec![ValidationError::new(key, v)])),
    }
}

fn link(call: &Call<'_>, page: u64) -> String {
    let base = call
        .cachet
        .config()
        .public_url
        .as_str()
        .trim_end_matches('/');
    let mut pairs: Vec<(String, String)> = call
        .query
        .as_deref()
        .map(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).unwrap_or_default())
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| k != "page")
        .collect();
    pairs.push(("page".to_owned(), page.to_string()));
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("{base}{}?{query}", call.path)
}

/// Cachet's list envelope: `{"meta": {"pagination": …}, "data": […]}`.
pub(crate) fn list_envelope<T>(call: &Call<'_>, page: &Page<T>, data: Vec<Value>) -> Value {
    let current = u64::from(page.request.page());
    let total_pages = page.total_pages();
    json!({
        "meta": { "pagination": {
            "total": page.total,
            "count": data.len(),
            "per_page": page.request.per_page(),
            "current_page": current,
            "total_pages": total_pages,
            "links": {
                "next_page": if current < total_pages { Value::String(link(call, current + 1)) } else { Value::Null },
                "previous_page": if current > 1 { Value::String(link(call, (current - 1).min(total_pages))) } else { Value::Null },
            },
        }},
        "data": data,
    })
}

/// 200 with `{"data": …}`.
pub(crate) fn item(value: Value) -> http::Response<bytes::Bytes> {
    crate::web::response::json(StatusCode::OK, &json!({ "data": value }))
}
