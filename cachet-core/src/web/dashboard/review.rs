//! The access review (`/access-review`, and `/access-review.csv` to keep a dated copy): every
//! account with its role, second factor, last sign-in, live sessions and API tokens, and the
//! flags of [`crate::AccessReview`]. The facade authorizes the read (admins only) and audits
//! a refusal; this module only lays the review out.

use std::fmt::Write as _;

use askama::Template;
use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use http::{HeaderValue, Response};

use super::chrome::{Chrome, DashboardRequest};
use crate::clock::Timestamp;
use crate::{AccessReview, AccountReview, TwoFactorState};

/// Answers `/access-review` and `/access-review.csv`.
pub(super) async fn route(dash: &DashboardRequest<'_>, rest: &[&str]) -> Option<Response<Bytes>> {
    let resp = match rest {
        ["access-review"] if dash.is_get() => page(dash).await,
        ["access-review.csv"] if dash.is_get() => csv(dash).await,
        ["access-review" | "access-review.csv"] => dash.method_not_allowed("GET, HEAD"),
        _ => return None,
    };
    Some(resp)
}

struct AccountRow {
    name: String,
    email: String,
    is_me: bool,
    role: &'static str,
    active: bool,
    two_factor: String,
    last_sign_in: String,
    last_activity: String,
    sessions: usize,
    last_seen: String,
    live_tokens: usize,
    tokens: usize,
    flags: Vec<String>,
}

struct SessionRow {
    owner: String,
    signed_in: String,
    last_seen: String,
    expires: String,
    pending: bool,
    ip: String,
    user_agent: String,
}

struct TokenRow {
    owner: String,
    name: String,
    prefix: String,
    scope: &'static str,
    created: String,
    last_used: String,
    expires: String,
    state: &'static str,
    flags: Vec<String>,
}

#[derive(Template)]
#[template(path = "dashboard/access_review.html")]
struct ReviewPage {
    chrome: Chrome,
    generated: String,
    generated_iso: String,
    unused_days: i64,
    require_2fa_for_admins: bool,
    flagged: usize,
    accounts: Vec<AccountRow>,
    sessions: Vec<SessionRow>,
    tokens: Vec<TokenRow>,
    csv_href: String,
}

fn two_factor_words(t: TwoFactorState) -> String {
    match t {
        TwoFactorState::On {
            recovery_codes_left,
            ..
        } => format!("on, {recovery_codes_left} recovery codes left"),
        other => other.as_str().to_owned(),
    }
}

/// A display label for an account in the sessions and tokens tables.
fn owner(a: &AccountReview) -> String {
    format!("{} ({})", a.name.as_str(), a.email.as_str())
}

async fn page(dash: &DashboardRequest<'_>) -> Response<Bytes> {
    let chrome = match dash.chrome("access-review").await {
        Ok(c) => c,
        Err(e) => return dash.fail(e).await,
    };
    let review = match dash.cachet.access_review(&dash.actor).await {
        Ok(r) => r,
        Err(e) => return dash.fail(e).await,
    };
    let me = dash.actor.user().map(|u| u.id);
    let mut sessions = Vec::new();
    let mut tokens = Vec::new();
    for a in &review.accounts {
        sessions.extend(a.sessions.iter().map(|s| SessionRow {
            owner: owner(a),
            signed_in: chrome.time(&s.created_at),
            last_seen: chrome.time(&s.last_seen_at),
            expires: chrome.time(&s.expires_at),
            pending: s.pending_second_factor,
            ip: s.ip.clone().unwrap_or_default(),
            user_agent: s.user_agent.clone().unwrap_or_default(),
        }));
        tokens.extend(a.tokens.iter().map(|t| {
            TokenRow {
                owner: owner(a),
                name: t.name.as_str().to_owned(),
                prefix: t.prefix.clone(),
                scope: t.scope.as_str(),
                created: chrome.time(&t.created_at),
                last_used: chrome.time_or_never(&t.last_used_at),
                expires: t
                    .expires_at
                    .as_ref()
                    .map_or_else(|| "never".to_owned(), |e| chrome.time(e)),
                state: t.state.as_str(),
                flags: t.flags.iter().map(|f| f.describe()).collect(),
            }
        }));
    }
    let accounts = review
        .accounts
        .iter()
        .map(|a| AccountRow {
            name: a.name.as_str().to_owned(),
            email: a.email.as_str().to_owned(),
            is_me: Some(a.id) == me,
            role: a.role.as_str(),
            active: a.active,
            two_factor: two_factor_words(a.two_factor),
            last_sign_in: chrome.time_or_never(&a.last_sign_in),
            last_activity: chrome.time_or_never(&a.last_activity),
            sessions: a.sessions.len(),
            last_seen: chrome.time_or_never(&a.newest_session_seen()),
            live_tokens: a.live_tokens(),
            tokens: a.tokens.len(),
            flags: a.flags.iter().map(|f| f.describe()).collect(),
        })
        .collect();
    let view = ReviewPage {
        generated: chrome.time(&review.generated_at),
        generated_iso: chrome.iso(&review.generated_at),
        unused_days: review.unused_after.num_days(),
        require_2fa_for_admins: review.require_2fa_for_admins,
        flagged: review.flagged().count(),
        accounts,
        sessions,
        tokens,
        csv_href: chrome.dash("/access-review.csv"),
        chrome,
    };
    dash.render(&view)
}

async fn csv(dash: &DashboardRequest<'_>) -> Response<Bytes> {
    let review = match dash.cachet.access_review(&dash.actor).await {
        Ok(r) => r,
        Err(e) => return dash.fail(e).await,
    };
    let mut resp = Response::new(Bytes::from(review_csv(&review)));
    let h = resp.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let day = review.generated_at.format("%Y-%m-%d");
    if let Ok(v) =
        HeaderValue::from_str(&format!("attachment; filename=\"access-review-{day}.csv\""))
    {
        h.insert(CONTENT_DISPOSITION, v);
    }
    resp
}

/// One cell of RFC 4180 CSV, always quoted. A cell a spreadsheet would read as a formula
/// (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, so a
/// hostile account or token name stays text when the file is opened (CSV injection). A CSV
/// and spreadsheet rule, unrelated to HTML escaping ([`crate::sanitize::escape_text`]).
fn cell(out: &mut String, value: &str) {
    out.push('"');
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        out.push('\'');
    }
    out.push_str(&value.replace('"', "\"\""));
    out.push('"');
}

fn row(out: &mut String, cells: &[&str]) {
    for (i, c) in cells.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        cell(out, c);
    }
    out.push_str("\r\n");
}

fn utc(t: Option<Timestamp>) -> String {
    t.map(crate::web::pages::iso).unwrap_or_default()
}

/// The review as CSV: one line per account, its tokens summarised in one cell. Times are
/// UTC (RFC 3339); an empty time means never.
fn review_csv(review: &AccessReview) -> String {
    let mut out = String::new();
    row(
        &mut out,
        &[
            "id",
            "name",
            "email",
            "role",
            "active",
            "two_factor",
            "recovery_codes_left",
            "created_at",
            "last_sign_in",
            "last_activity",
            "live_sessions",
            "newest_session_seen",
            "live_tokens",
            "tokens",
            "flags",
        ],
    );
    for a in &review.accounts {
        let codes = match a.two_factor {
            TwoFactorState::On {
                recovery_codes_left,
                ..
            } => recovery_codes_left.to_string(),
            _ => String::new(),
        };
        let mut tokens = String::new();
        for t in &a.tokens {
            if !tokens.is_empty() {
                tokens.push_str("; ");
            }
            let _ = write!(
                tokens,
                "{} [{}] {} {} last used {}",
                t.name.as_str(),
                t.prefix,
                t.scope.as_str(),
                t.state.as_str(),
                t.last_used_at
                    .map_or_else(|| "never".to_owned(), crate::web::pages::iso)
            );
        }
        let flags: Vec<&str> = a.flags.iter().map(|f| f.as_str()).collect();
        row(
            &mut out,
            &[
                &a.id.to_string(),
                a.name.as_str(),
                a.email.as_str(),
                a.role.as_str(),
                if a.active { "yes" } else { "no" },
                a.two_factor.as_str(),
                &codes,
                &crate::web::pages::iso(a.created_at),
                &utc(a.last_sign_in),
                &utc(a.last_activity),
                &a.sessions.len().to_string(),
                &utc(a.newest_session_seen()),
                &a.live_tokens().to_string(),
                &tokens,
                &flags.join(" "),
            ],
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        let mut out = String::new();
        row(
            &mut out,
            &["plain", "=HYPERLINK(\"x\")", "+1", "-1", "@SUM(A1)", "a,b"],
        );
        assert_eq!(
            out,
            "\"plain\",\"'=HYPERLINK(\"\"x\"\")\",\"'+1\",\"'-1\",\"'@SUM(A1)\",\"a,b\"\r\n"
        );
        let mut tab = String::new();
        cell(&mut tab, "\tcmd");
        assert_eq!(tab, "\"'\tcmd\"");
    }
}
