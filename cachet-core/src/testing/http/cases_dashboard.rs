//! Cases for the signed-in side's doors: strangers are sent to sign in, the sign-in
//! form is never cached and refuses forged posts, sign-out is never a GET, and the one-time
//! setup closes once an admin exists. (Flows that need a session cookie across requests are
//! in `cachet-core/tests/http_dashboard_auth.rs` and the browser tests in `e2e/`.)

use super::{HeaderCheck, HttpCase, TokenKind};

const FORM: &str = "application/x-www-form-urlencoded";
const SIGN_IN: &str = "email=admin%40example.com&password=tangerine+orbit+cactus+lullaby";

pub(super) fn cases() -> Vec<HttpCase> {
    vec![
        HttpCase::get("dashboard: a stranger is sent to sign in", "/dashboard")
            .status(303)
            .expect_header("location", HeaderCheck::Contains("/auth/login".into()))
            .expect_header("cache-control", HeaderCheck::Exact("no-store".into())),
        HttpCase::get(
            "dashboard: a stranger asking for a section is sent to sign in",
            "/dashboard/users",
        )
        .status(303)
        .expect_header("location", HeaderCheck::Contains("/auth/login".into())),
        HttpCase::get(
            "dashboard: an API token is no dashboard session",
            "/dashboard",
        )
        .token(TokenKind::Admin)
        .status(303)
        .expect_header("location", HeaderCheck::Contains("/auth/login".into())),
        HttpCase::get(
            "auth: the sign-in page carries a form token, never cached",
            "/auth/login",
        )
        .status(200)
        .expect_header("cache-control", HeaderCheck::Exact("no-store".into()))
        .expect_header("content-type", HeaderCheck::Contains("text/html".into()))
        .contains(r#"name="_token" value="v1."#)
        .contains(r#"autocomplete="current-password""#),
        HttpCase::get("auth: GET does not sign out", "/auth/logout")
            .status(405)
            .expect_header("allow", HeaderCheck::Exact("POST".into())),
        HttpCase::new(
            "auth: a sign-in without the form token is refused",
            "POST",
            "/auth/login",
        )
        .body(FORM, SIGN_IN)
        .status(403),
        HttpCase::new(
            "auth: a sign-in posted from another site is refused",
            "POST",
            "/auth/login",
        )
        .header("origin", "https://evil.example")
        .body(FORM, SIGN_IN)
        .status(403),
        HttpCase::new(
            "auth: a sign-in from a cross-site fetch is refused",
            "POST",
            "/auth/login",
        )
        .header("sec-fetch-site", "cross-site")
        .body(FORM, SIGN_IN)
        .status(403),
        HttpCase::get(
            "auth: a made-up reset link is not found",
            "/auth/reset/made-up",
        )
        .status(404)
        .expect_header("cache-control", HeaderCheck::Exact("no-store".into())),
        HttpCase::get(
            "invite: a made-up invitation is not found",
            "/invite/made-up",
        )
        .status(404),
        HttpCase::get("setup: open while no admin exists", "/setup")
            .status(200)
            .contains(r#"name="token""#),
        HttpCase::get("setup: closed once an admin exists", "/setup")
            .token(TokenKind::Admin)
            .status(404)
            .not_contains(r#"name="token""#),
    ]
}
