//! Cases for the public status page: what heads it, the components' bars, the vocabulary.

use super::{Fixture, HttpCase, component};

fn incident(name: &'static str, status: u8) -> Fixture {
    Fixture::Incident {
        name,
        status,
        visible: true,
        components: Vec::new(),
    }
}

pub(super) fn cases() -> Vec<HttpCase> {
    vec![
        HttpCase::get(
            "page: an unresolved incident heads the page under the overall status",
            "/",
        )
        .with(incident("Checkout errors", 2))
        .contains(r#"<section aria-labelledby="active-heading">"#)
        .contains(r#"<h2 id="active-heading">Happening now</h2>"#)
        .contains("Checkout errors"),
        HttpCase::get("page: nothing unresolved, no happening-now section", "/")
            .with(incident("Old trouble", 4))
            .not_contains("active-heading")
            .contains("Old trouble"),
        HttpCase::get("page: maintenance in progress heads the page too", "/")
            .with(component("API", 1))
            .with(Fixture::Schedule {
                name: "Database upgrade",
                status: 1,
                starts_in_hours: -1,
                components: vec![1],
            })
            .contains(r#"<h2 id="active-heading">Happening now</h2>"#)
            .contains("Database upgrade"),
        HttpCase::get(
            "page: every component shows its 90-day bars and the uptime as text",
            "/",
        )
        .with(component("API", 1))
        .contains(r#"<ol class="history" aria-hidden="true">"#)
        .contains(r#"<span class="uptime-figure">100% uptime</span>"#),
    ]
}
