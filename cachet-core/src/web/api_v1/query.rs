//! List parameters (whitelisted filters, whitelisted sorts, pages with absolute links) and
//! the field readers the handlers share.

use chrono::{NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use http::StatusCode;
use serde::Serialize;

use super::dto::{Data, ListMeta, PageLinks, Paginated, Pagination};
use super::{Call, Fail};
use crate::clock::Timestamp;
use crate::store::{Direction, Page, PageRequest, SortField};
use crate::validate::{
    Markdown, Meta, Name, Order, Text, ValidationError, Violation, ViolationExt,
};
use crate::web::input::Input;

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
    page_link(call.cachet, &call.path, call.query.as_deref(), page)
}

/// The absolute URL of another page of a list: the request's path and query with `page`
/// replaced (API v1's and Cachet 3's page links).
pub(crate) fn page_link(
    cachet: &crate::Cachet,
    path: &str,
    query: Option<&str>,
    page: u64,
) -> String {
    let base = cachet.config().public_url.as_str().trim_end_matches('/');
    let mut pairs: Vec<(String, String)> = query
        .map(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).unwrap_or_default())
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| k != "page")
        .collect();
    pairs.push(("page".to_owned(), page.to_string()));
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("{base}{path}?{query}")
}

/// Cachet's list envelope: `{"meta": {"pagination": …}, "data": […]}`.
pub(crate) fn list_envelope<T, D>(call: &Call<'_>, page: &Page<T>, data: Vec<D>) -> Paginated<D> {
    let current = u64::from(page.request.page());
    let total_pages = page.total_pages();
    Paginated {
        meta: ListMeta {
            pagination: Pagination {
                total: page.total,
                count: data.len() as u64,
                per_page: u64::from(page.request.per_page()),
                current_page: current,
                total_pages,
                links: PageLinks {
                    next_page: (current < total_pages).then(|| link(call, current + 1)),
                    previous_page: (current > 1)
                        .then(|| link(call, (current - 1).min(total_pages))),
                },
            },
        },
        data,
    }
}

/// 200 with `{"data": …}`.
pub(crate) fn item<T: Serialize>(data: T) -> http::Response<bytes::Bytes> {
    crate::web::response::json(StatusCode::OK, &Data { data })
}

/// Collects a request's validation failures, so one 400 names every bad field.
#[derive(Default)]
pub(crate) struct Check {
    details: Vec<String>,
    other: Option<Fail>,
}

impl Check {
    /// The value, or `None` after recording why there is none.
    pub(crate) fn take<T>(&mut self, r: Result<T, Fail>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(Fail::Invalid(e)) => {
                self.details.extend(e.iter().map(ToString::to_string));
                None
            }
            Err(Fail::Rejected(d)) => {
                self.details.extend(d);
                None
            }
            Err(other) => {
                self.other.get_or_insert(other);
                None
            }
        }
    }

    /// Records a failure found by the handler itself.
    pub(crate) fn push(&mut self, e: ValidationError) {
        self.details.push(e.to_string());
    }

    /// `Ok` when nothing failed; every `take` then returned `Some`.
    pub(crate) fn finish(self) -> Result<(), Fail> {
        match (self.other, self.details.is_empty()) {
            (Some(f), _) => Err(f),
            (None, false) => Err(Fail::Rejected(self.details)),
            (None, true) => Ok(()),
        }
    }
}

/// A value every `take` of a finished [`Check`] holds; a 400 if not (never reached).
pub(crate) fn checked<T>(v: Option<T>) -> Result<T, Fail> {
    v.ok_or(Fail::Status(StatusCode::BAD_REQUEST))
}

/// A required field: absent is `key: is required`.
pub(crate) fn required<T>(key: &'static str, v: Result<Option<T>, Fail>) -> Result<T, Fail> {
    v?.ok_or_else(|| Fail::Invalid(vec![ValidationError::new(key, Violation::Required)]))
}

/// A single-line name.
pub(crate) fn name_field(input: &Input, key: &'static str) -> Result<Option<Name>, Fail> {
    Ok(input
        .text(key)?
        .map(|s| Name::parse(&s))
        .transpose()
        .field(key)?)
}

/// Plain multi-line text.
pub(crate) fn text_field(input: &Input, key: &'static str) -> Result<Option<Text>, Fail> {
    Ok(input
        .text(key)?
        .map(|s| Text::parse(&s))
        .transpose()
        .field(key)?)
}

/// A Markdown source (kept as sent: Cachet does not trim messages).
pub(crate) fn markdown_field(input: &Input, key: &'static str) -> Result<Option<Markdown>, Fail> {
    Ok(input
        .text(key)?
        .map(|s| Markdown::parse(&s))
        .transpose()
        .field(key)?)
}

/// A boolean (`true`/`false`/`1`/`0`).
pub(crate) fn bool_field(input: &Input, key: &'static str) -> Result<Option<bool>, Fail> {
    Ok(input.bool(key)?)
}

/// An integer-coded value (statuses, visibilities).
pub(crate) fn code_field<T>(
    input: &Input,
    key: &'static str,
    from_code: impl Fn(i64) -> Result<T, Violation>,
) -> Result<Option<T>, Fail> {
    Ok(input.int(key)?.map(from_code).transpose().field(key)?)
}

/// A display position.
pub(crate) fn order_field(input: &Input, key: &'static str) -> Result<Option<Order>, Fail> {
    code_field(input, key, Order::new)
}

/// A client metadata object.
pub(crate) fn meta_field(input: &Input, key: &'static str) -> Result<Option<Meta>, Fail> {
    Ok(input
        .object(key)
        .map(Meta::from_value)
        .transpose()
        .field(key)?)
}

/// A list of ids (a JSON array, `key[]=` pairs or comma-separated text).
pub(crate) fn id_list(input: &Input, key: &'static str) -> Result<Option<Vec<i64>>, Fail> {
    let list = input.int_list(key)?;
    if list.as_ref().is_some_and(|l| l.iter().any(|id| *id <= 0)) {
        return Err(Fail::Invalid(vec![ValidationError::new(
            key,
            Violation::Format {
                expected: "a list of positive whole numbers",
            },
        )]));
    }
    if list.as_ref().is_some_and(|l| l.len() > 1000) {
        return Err(Fail::Invalid(vec![ValidationError::new(
            key,
            Violation::TooLong { max: 1000 },
        )]));
    }
    Ok(list)
}

/// A date in Cachet's input format `Y-m-d H:i` (seconds tolerated), in the request's time
/// zone. Years outside 1970 to 9999 are refused, so every backend can store the result; a
/// local time skipped by a daylight-saving change is refused, an ambiguous one takes the
/// earlier instant.
pub(crate) fn parse_local_date(s: &str, tz: Tz) -> Result<Timestamp, Violation> {
    let bad = Violation::Format {
        expected: "a date as Y-m-d H:i (for example 2026-01-31 14:30)",
    };
    let s = s.trim();
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S"))
        .map_err(|_| bad.clone())?;
    if !(1970..=9999).contains(&chrono::Datelike::year(&naive)) {
        return Err(bad);
    }
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&chrono::Utc))
        .ok_or(bad)
}

/// A `Y-m-d H:i` date field: absent is `None`, empty text is `Some(None)` (clears a nullable
/// date), anything unparsable is a 400.
pub(crate) fn date_field(
    input: &Input,
    key: &'static str,
    tz: Tz,
) -> Result<Option<Option<Timestamp>>, Fail> {
    match input.text(key)? {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Ok(Some(None)),
        Some(s) => Ok(Some(Some(parse_local_date(&s, tz).field(key)?))),
    }
}

/// A whitelisted whole-number filter.
pub(crate) fn int_filter<T>(
    call: &Call<'_>,
    key: &'static str,
    make: impl Fn(i64) -> Result<T, Violation>,
) -> Result<Option<T>, Fail> {
    filter(call, key, |s| {
        s.parse::<i64>()
            .map_err(|_| Violation::Format {
                expected: "a whole number",
            })
            .and_then(&make)
    })
}

/// A whitelisted boolean filter.
pub(crate) fn bool_filter(call: &Call<'_>, key: &'static str) -> Result<Option<bool>, Fail> {
    Ok(call.input.bool(key)?)
}

/// A 200 list answer in Cachet's envelope.
pub(crate) fn list_response<T, D: Serialize>(
    call: &Call<'_>,
    page: &Page<T>,
    data: Vec<D>,
) -> http::Response<bytes::Bytes> {
    crate::web::response::json(StatusCode::OK, &list_envelope(call, page, data))
}
