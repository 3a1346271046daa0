//! `/api/v1/incidents/templates` (read-only in API v1).

use super::query::*;
use super::{Call, Handled, present};
use crate::model::TemplateId;
use crate::store::{TemplateFilter, TemplateQuery};

pub(super) async fn list(call: Call<'_>) -> Handled {
    let q = TemplateQuery {
        // Cachet has no template filters; every query key but the page and sort is ignored.
        filter: TemplateFilter::default(),
        // Cachet answered `sort` on templates with an error; here it sorts by the whitelist.
        sort: sort(&call)?,
        page: page(&call)?,
    };
    let p = call.cachet.templates(&call.actor, q).await?;
    let data = p
        .items
        .iter()
        .map(|t| present::template(t, call.tz))
        .collect();
    Ok(list_response(&call, &p, data))
}

pub(super) async fn get(call: Call<'_>, id: i64) -> Handled {
    let t = call.cachet.template(&call.actor, TemplateId(id)).await?;
    Ok(item(present::template(&t, call.tz)))
}
