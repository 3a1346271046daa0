//! The dashboard's home: counts of what exists and what is open, each a link to its section.

use askama::Template;
use bytes::Bytes;
use http::Response;

use super::chrome::{Chrome, DashboardRequest};
use crate::Error;
use crate::auth::policy::Permission;
use crate::model::IncidentStatus;
use crate::store::{
    ComponentQuery, GroupQuery, IncidentFilter, IncidentQuery, MetricQuery, PageRequest,
    ScheduleQuery,
};

/// One count on the home page.
struct Count {
    label: &'static str,
    n: u64,
    href: String,
}

#[derive(Template)]
#[template(path = "dashboard/home.html")]
struct HomePage {
    chrome: Chrome,
    counts: Vec<Count>,
}

fn one() -> PageRequest {
    PageRequest::new(1, 1)
}

async fn counts(dash: &DashboardRequest<'_>, chrome: &Chrome) -> Result<Vec<Count>, Error> {
    let (c, a) = (dash.cachet, &dash.actor);
    let fixed = IncidentQuery::filtered(IncidentFilter {
        status: Some(IncidentStatus::Fixed),
        ..IncidentFilter::default()
    })
    .paged(one());
    let incidents = c
        .incidents(a, IncidentQuery::all().paged(one()))
        .await?
        .total;
    let resolved = c.incidents(a, fixed).await?.total;
    let mut out = vec![
        Count {
            label: "Components",
            n: c.components(a, ComponentQuery::all().paged(one()))
                .await?
                .total,
            href: chrome.dash("/components"),
        },
        Count {
            label: "Groups",
            n: c.groups(a, GroupQuery::all().paged(one())).await?.total,
            href: chrome.dash("/groups"),
        },
        Count {
            label: "Open incidents",
            n: incidents.saturating_sub(resolved),
            href: chrome.dash("/incidents"),
        },
        Count {
            label: "Incidents",
            n: incidents,
            href: chrome.dash("/incidents"),
        },
        Count {
            label: "Maintenance schedules",
            n: c.schedules(a, ScheduleQuery::all().paged(one()))
                .await?
                .total,
            href: chrome.dash("/schedules"),
        },
        Count {
            label: "Metrics",
            n: c.metrics(a, MetricQuery::all().paged(one())).await?.total,
            href: chrome.dash("/metrics"),
        },
    ];
    if c.can(a, Permission::ManageSubscribers) {
        out.push(Count {
            label: "Subscribers",
            n: c.subscriber_count(a).await?,
            href: chrome.dash("/subscribers"),
        });
    }
    Ok(out)
}

/// `GET {prefix}`.
pub(super) async fn home(dash: &DashboardRequest<'_>) -> Response<Bytes> {
    if !dash.is_get() {
        return dash.method_not_allowed("GET, HEAD");
    }
    let chrome = match dash.chrome("home").await {
        Ok(c) => c,
        Err(e) => return dash.fail(e).await,
    };
    match counts(dash, &chrome).await {
        Ok(counts) => dash.render(&HomePage { chrome, counts }),
        Err(e) => dash.fail(e).await,
    }
}
