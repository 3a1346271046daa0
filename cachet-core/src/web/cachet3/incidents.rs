//! `/api/incidents`, their updates, and `/api/incident-templates`.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use http::StatusCode;

use super::components::{code_filter, include_components, meta_matches, name_matches, paginate};
use super::dto::*;
use super::present::{Included, Related, UPDATES};
use super::{Call, Collect, Fail, Handled, document, single};
use crate::clock::Timestamp;
use crate::model::*;
use crate::store::{
    Direction, IncidentFilter, IncidentQuery, IncidentSort, PageRequest, TemplateQuery,
    TemplateSort,
};
use crate::template::{self, Vars};
use crate::validate::*;
use crate::web::input::Input;

pub(crate) const INCIDENT_FILTERS: &[&str] = &[
    "name",
    "status",
    "occurs_after",
    "occurs_before",
    "occurs_on",
    "meta",
];
pub(crate) const INCIDENT_SORTS: &[&str] = &["name", "status", "id", "created_at"];
pub(crate) const INCIDENT_INCLUDES: &[&str] = &["components", "updates", "meta"];
pub(crate) const UPDATE_SORTS: &[&str] = &["created_at"];
pub(crate) const TEMPLATE_FILTERS: &[&str] = &["name", "slug"];
pub(crate) const TEMPLATE_SORTS: &[&str] = &["name", "slug", "id"];

/// A moment as Cachet 3 takes one: `2023-11-07 05:31:56` (or without seconds) in the site's
/// zone, ISO 8601 with an offset, or a bare date (midnight).
pub(crate) fn parse_moment(s: &str, tz: Tz) -> Result<Timestamp, Violation> {
    let s = s.trim();
    if let Ok(t) = crate::web::api_v1::query::parse_local_date(s, tz) {
        return Ok(t);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&chrono::Utc));
    }
    let local = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M"))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        });
    local
        .filter(|n| (1970..=9999).contains(&chrono::Datelike::year(n)))
        .and_then(|n| tz.from_local_datetime(&n).earliest())
        .map(|t| t.with_timezone(&chrono::Utc))
        .ok_or(Violation::Format {
            expected: "a date such as 2023-11-07 05:31:56 or ISO 8601",
        })
}

fn moment_field(
    input: &Input,
    key: &'static str,
    tz: Tz,
) -> Result<Option<Timestamp>, ValidationError> {
    match input.text(key)? {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => parse_moment(&s, tz).map(Some).field(key),
    }
}

fn incident_status(input: &Input) -> Result<Option<IncidentStatus>, ValidationError> {
    input
        .int("status")?
        .map(IncidentStatus::from_code)
        .transpose()
        .field("status")
}

/// `components: [{"id", "status"}]` and `component_id` with `component_status`.
fn affected(input: &Input) -> Result<Option<Vec<AffectedComponent>>, ValidationError> {
    let mut out: Option<Vec<AffectedComponent>> = None;
    if let Some(value) = input.get("components") {
        let serde_json::Value::Array(items) = value else {
            return Err(ValidationError::new(
                "components",
                Violation::Format {
                    expected: "a list of {\"id\", \"status\"}",
                },
            ));
        };
        let mut list = Vec::new();
        for (n, item) in items.iter().enumerate() {
            let field = |name: &str| format!("components.{n}.{name}");
            let id = item
                .get("id")
                .and_then(|v| v.as_i64().or_else(|| v.as_str()?.trim().parse().ok()))
                .filter(|id| *id > 0)
                .ok_or_else(|| ValidationError::new(field("id"), Violation::Required))?;
            let status = item
                .get("status")
                .and_then(|v| v.as_i64().or_else(|| v.as_str()?.trim().parse().ok()))
                .ok_or_else(|| ValidationError::new(field("status"), Violation::Required))
                .and_then(|s| {
                    super::present::parse_component_status(s)
                        .map_err(|v| ValidationError::new(field("status"), v))
                })?;
            if list
                .iter()
                .any(|a: &AffectedComponent| a.component_id.get() == id)
            {
                return Err(ValidationError::new(
                    field("id"),
                    Violation::Format {
                        expected: "distinct component ids",
                    },
                ));
            }
            list.push(AffectedComponent {
                component_id: ComponentId(id),
                status,
            });
        }
        out = Some(list);
    }
    if let Some(id) = input.int("component_id")? {
        let status = input
            .int("component_status")?
            .ok_or_else(|| ValidationError::new("component_status", Violation::Required))
            .and_then(|s| super::present::parse_component_status(s).field("component_status"))?;
        let list = out.get_or_insert_with(Vec::new);
        if !list.iter().any(|a| a.component_id.get() == id) {
            list.push(AffectedComponent {
                component_id: ComponentId(id),
                status,
            });
        }
    }
    Ok(out)
}

/// Incidents as resources, with what `include` asks for.
async fn incident_resources(
    call: &Call<'_>,
    incidents: &[Incident],
    includes: &[&str],
    included: &mut Included,
) -> Result<Vec<IncidentResource>, Fail> {
    let updates = if includes.contains(&"updates") {
        call.cachet
            .incident_updates_of(&call.actor, incidents)
            .await?
    } else {
        std::collections::HashMap::new()
    };
    let mut out = Vec::with_capacity(incidents.len());
    for i in incidents {
        let mut related = Related::default();
        if includes.contains(&"components") {
            let ids: Vec<ComponentId> = i.components.iter().map(|a| a.component_id).collect();
            include_components(call, &ids, &[], &mut related, included).await?;
        }
        if includes.contains(&"updates") {
            let mine = updates.get(&i.id).map(Vec::as_slice).unwrap_or_default();
            related.many("updates", UPDATES, mine.iter().map(|u| u.id.get()));
            for u in mine {
                included.add(UPDATES, u.id.get(), &call.incident_update(u));
            }
        }
        out.push(call.incident(i, includes.contains(&"meta"), related));
    }
    Ok(out)
}

pub(super) async fn list(call: Call<'_>) -> Handled {
    let filters = call.filters(INCIDENT_FILTERS)?;
    let includes = call.includes(INCIDENT_INCLUDES)?;
    let sort = call.sort(
        &[
            ("name", IncidentSort::Name),
            ("status", IncidentSort::Status),
            ("id", IncidentSort::Id),
            ("created_at", IncidentSort::CreatedAt),
        ],
        Some((IncidentSort::CreatedAt, Direction::Desc)),
    )?;
    let status = code_filter(
        filters.get("status"),
        "filter.status",
        IncidentStatus::from_code,
    )?;
    let day = |key: &'static str| {
        filters
            .get(key)
            .map(|s| {
                NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| Violation::Format {
                    expected: "a date as Y-m-d",
                })
            })
            .transpose()
            .field(key)
    };
    let (after, before, on) = (
        day("occurs_after")?,
        day("occurs_before")?,
        day("occurs_on")?,
    );
    let request = call.page()?;
    let mut q = IncidentQuery::filtered(IncidentFilter {
        status,
        ..IncidentFilter::default()
    });
    q.sort = sort;
    let in_memory = filters.contains_key("name")
        || filters.contains_key("meta")
        || after.is_some()
        || before.is_some()
        || on.is_some();
    let page = if in_memory {
        // Filters the store does not have: the matching incidents are read whole and
        // filtered here.
        let mut kept = Vec::new();
        for i in call.cachet.incidents(&call.actor, q).await?.items {
            let local = i.occurred_at.with_timezone(&call.tz).date_naive();
            if name_matches(i.name.as_str(), filters.get("name"))
                && meta_matches(&i.meta, filters.get("meta"))?
                && after.is_none_or(|d| local >= d)
                && before.is_none_or(|d| local <= d)
                && on.is_none_or(|d| local == d)
            {
                kept.push(i);
            }
        }
        paginate(kept, request)
    } else {
        call.cachet.incidents(&call.actor, q.paged(request)).await?
    };
    let mut included = Included::default();
    let data = incident_resources(&call, &page.items, &includes, &mut included).await?;
    Ok(document(&IncidentList::new(
        data,
        included.into_vec(),
        call.page_envelope(&page),
    )))
}

async fn one(call: &Call<'_>, i: &Incident, includes: &[&str]) -> Handled {
    let mut included = Included::default();
    let data = incident_resources(call, std::slice::from_ref(i), includes, &mut included).await?;
    let data = single(data)?;
    Ok(document(&IncidentDocument::new(data, included.into_vec())))
}

pub(super) async fn get(call: Call<'_>) -> Handled {
    let includes = call.includes(INCIDENT_INCLUDES)?;
    let i = call
        .cachet
        .incident(&call.actor, IncidentId(call.id(0)))
        .await?;
    one(&call, &i, &includes).await
}

/// An incident's message from `template` (a slug) and `template_vars`, with the incident's
/// name offered as `{{ incident.name }}`. Values are escaped; nothing is evaluated.
async fn from_template(call: &Call<'_>, name: Option<&Name>) -> Result<Option<Markdown>, Fail> {
    let slug = match call.input.text("template")? {
        None => return Ok(None),
        Some(s) if s.trim().is_empty() => return Ok(None),
        Some(s) => Slug::parse(s.trim()).field("template")?,
    };
    // The template's errors name Cachet 2's `vars`; this API's field is `template_vars`.
    let reject = |e: template::TemplateError| {
        let message = e.to_string();
        let message = match message.strip_prefix("vars") {
            Some(rest) => format!("template_vars{rest}"),
            None => message,
        };
        Fail::Rejected {
            field: "template_vars",
            message,
        }
    };
    let mut vars = match call.input.get("template_vars") {
        None => Vars::new(),
        Some(v) => Vars::from_json(v).map_err(reject)?,
    };
    if let Some(name) = name {
        vars.insert("incident.name", name.as_str())
            .map_err(reject)?;
    }
    let t = call
        .cachet
        .template_by_slug(&call.actor, &slug)
        .await?
        .ok_or_else(|| {
            Call::invalid(
                "template",
                Violation::Format {
                    expected: "the slug of an existing incident template",
                },
            )
        })?;
    Ok(Some(template::render(&t.template, &vars).map_err(reject)?))
}

/// A future `published_at` would hide the incident until then in Cachet 3; here an incident
/// is published when it is written, so a time in the future is refused, not ignored.
fn check_published(call: &Call<'_>) -> Result<(), ValidationError> {
    match moment_field(&call.input, "published_at", call.tz)? {
        Some(t) if t > call.now => Err(ValidationError::new(
            "published_at",
            Violation::Format {
                expected: "now or a past time (incidents are published when created)",
            },
        )),
        _ => Ok(()),
    }
}

pub(super) async fn create(call: Call<'_>) -> Handled {
    let input = &call.input;
    let mut c = Collect::default();
    let name = c.keep(call.parsed("name", Name::parse));
    let status = c.keep(incident_status(input));
    let message = c.keep(call.parsed("message", Markdown::parse));
    let visible = c.keep(input.bool("visible"));
    let stickied = c.keep(input.bool("stickied"));
    let notify = c.keep(input.bool("notifications"));
    let occurred_at = c.keep(moment_field(input, "occurred_at", call.tz));
    let components = c.keep(affected(input));
    let meta = c.keep(
        input
            .object("meta")
            .map(Meta::from_value)
            .transpose()
            .field("meta"),
    );
    c.keep(check_published(&call).map(|()| None::<()>));
    c.require("name", name.is_some());
    c.require("status", status.is_some());
    c.finish()?;
    let (Some(name), Some(status)) = (name, status) else {
        return Err(Fail::Status(StatusCode::BAD_REQUEST, "Bad request."));
    };
    let message = match message {
        Some(m) => m,
        None => from_template(&call, Some(&name))
            .await?
            .ok_or_else(|| Call::invalid("message", Violation::Required))?,
    };
    let components = components.unwrap_or_default();
    let new = NewIncident {
        user_id: call.actor.user().map(|u| u.id),
        name,
        status,
        message,
        // Cachet 3's defaults: hidden, not stickied, no notifications, unless asked.
        visible: visible.unwrap_or(false),
        stickied: stickied.unwrap_or(false),
        notify: notify.unwrap_or(false),
        occurred_at: occurred_at.unwrap_or(call.now),
        apply_component_status: !components.is_empty(),
        components,
        meta: meta.unwrap_or_default(),
    };
    let i = call.cachet.create_incident(&call.actor, &new).await?;
    one(&call, &i, &[]).await
}

pub(super) async fn update(call: Call<'_>) -> Handled {
    let input = &call.input;
    let mut c = Collect::default();
    let name = c.keep(call.parsed("name", Name::parse));
    let patch = IncidentPatch {
        status: c.keep(incident_status(input)),
        message: c.keep(call.parsed("message", Markdown::parse)),
        visible: c.keep(input.bool("visible")),
        stickied: c.keep(input.bool("stickied")),
        notify: c.keep(input.bool("notifications")),
        occurred_at: c.keep(moment_field(input, "occurred_at", call.tz)),
        components: None,
        apply_component_status: false,
        meta: c.keep(
            input
                .object("meta")
                .map(Meta::from_value)
                .transpose()
                .field("meta"),
        ),
        name,
    };
    c.keep(check_published(&call).map(|()| None::<()>));
    c.finish()?;
    let i = call
        .cachet
        .update_incident(&call.actor, IncidentId(call.id(0)), &patch)
        .await?;
    one(&call, &i, &[]).await
}

pub(super) async fn delete(call: Call<'_>) -> Handled {
    call.cachet
        .delete_incident(&call.actor, IncidentId(call.id(0)))
        .await?;
    Ok(crate::web::response::no_content())
}

// ---- Incident updates ----

pub(super) async fn updates(call: Call<'_>) -> Handled {
    call.filters(&[])?;
    call.includes(&[])?;
    let direction = call
        .sort(
            &[("created_at", IncidentSort::CreatedAt)],
            Some((IncidentSort::CreatedAt, Direction::Asc)),
        )?
        .map_or(Direction::Asc, |(_, d)| d);
    let incident = IncidentId(call.id(0));
    let mut all = call
        .cachet
        .incident_updates(&call.actor, incident, PageRequest::all())
        .await?
        .items;
    all.sort_by_key(|u| (u.created_at, u.id.get()));
    if direction == Direction::Desc {
        all.reverse();
    }
    let page = paginate(all, call.page()?);
    let data = page.items.iter().map(|u| call.incident_update(u)).collect();
    Ok(document(&UpdateList::new(
        data,
        Vec::new(),
        call.page_envelope(&page),
    )))
}

fn update_document(data: UpdateResource) -> Handled {
    Ok(document(&UpdateDocument::new(data, Vec::new())))
}

pub(super) async fn update_of(call: Call<'_>) -> Handled {
    let u = call
        .cachet
        .incident_update(
            &call.actor,
            IncidentId(call.id(0)),
            IncidentUpdateId(call.id(1)),
        )
        .await?;
    update_document(call.incident_update(&u))
}

pub(super) async fn create_update(call: Call<'_>) -> Handled {
    let input = &call.input;
    let mut c = Collect::default();
    let status = c.keep(incident_status(input));
    let message = c.keep(call.parsed("message", Markdown::parse));
    c.require("status", status.is_some());
    c.require("message", message.is_some());
    c.finish()?;
    let (Some(status), Some(message)) = (status, message) else {
        return Err(Fail::Status(StatusCode::BAD_REQUEST, "Bad request."));
    };
    let new = NewIncidentUpdate {
        status,
        message,
        user_id: call.actor.user().map(|u| u.id),
        component: None,
    };
    let u = call
        .cachet
        .create_incident_update(&call.actor, IncidentId(call.id(0)), &new)
        .await?;
    update_document(call.incident_update(&u))
}

pub(super) async fn edit_update(call: Call<'_>) -> Handled {
    let input = &call.input;
    let mut c = Collect::default();
    let patch = IncidentUpdatePatch {
        status: c.keep(incident_status(input)),
        message: c.keep(call.parsed("message", Markdown::parse)),
    };
    c.finish()?;
    let u = call
        .cachet
        .update_incident_update(
            &call.actor,
            IncidentId(call.id(0)),
            IncidentUpdateId(call.id(1)),
            &patch,
        )
        .await?;
    update_document(call.incident_update(&u))
}

pub(super) async fn delete_update(call: Call<'_>) -> Handled {
    call.cachet
        .delete_incident_update(
            &call.actor,
            IncidentId(call.id(0)),
            IncidentUpdateId(call.id(1)),
        )
        .await?;
    Ok(crate::web::response::no_content())
}

// ---- Incident templates ----

pub(super) async fn templates(call: Call<'_>) -> Handled {
    let filters = call.filters(TEMPLATE_FILTERS)?;
    call.includes(&[])?;
    let mut q = TemplateQuery::all();
    q.sort = call.sort(
        &[
            ("name", TemplateSort::Name),
            ("slug", TemplateSort::Slug),
            ("id", TemplateSort::Id),
        ],
        Some((TemplateSort::Id, Direction::Asc)),
    )?;
    let items: Vec<IncidentTemplate> = call
        .cachet
        .templates(&call.actor, q)
        .await?
        .items
        .into_iter()
        .filter(|t| {
            name_matches(t.name.as_str(), filters.get("name"))
                && name_matches(t.slug.as_str(), filters.get("slug"))
        })
        .collect();
    let page = paginate(items, call.page()?);
    let data = page.items.iter().map(|t| call.template(t)).collect();
    Ok(document(&TemplateList::new(
        data,
        Vec::new(),
        call.page_envelope(&page),
    )))
}

fn template_document(call: &Call<'_>, t: &IncidentTemplate) -> Handled {
    Ok(document(&TemplateDocument::new(
        call.template(t),
        Vec::new(),
    )))
}

pub(super) async fn template(call: Call<'_>) -> Handled {
    let t = call
        .cachet
        .template(&call.actor, TemplateId(call.id(0)))
        .await?;
    template_document(&call, &t)
}

/// A template's fields: `name`, `slug` (made from the name when absent on creation) and
/// `template`. An `engine` other than Cachet 3's `twig` or `blade` words is refused; either
/// is taken as this site's logic-less placeholders.
fn template_fields(call: &Call<'_>, c: &mut Collect) -> IncidentTemplatePatch {
    let input = &call.input;
    let patch = IncidentTemplatePatch {
        name: c.keep(call.parsed("name", Name::parse)),
        slug: c.keep(call.parsed("slug", |t| Slug::parse(t.trim()))),
        template: c.keep(call.parsed("template", Markdown::parse)),
    };
    match input.text("engine") {
        Ok(Some(e)) if !matches!(e.trim(), "twig" | "blade") => {
            c.push(ValidationError::new(
                "engine",
                Violation::NotAllowed {
                    allowed: "twig, blade",
                },
            ));
        }
        Err(e) => c.push(e),
        _ => {}
    }
    patch
}

pub(super) async fn create_template(call: Call<'_>) -> Handled {
    let mut c = Collect::default();
    let f = template_fields(&call, &mut c);
    c.require("name", f.name.is_some());
    c.require("template", f.template.is_some());
    c.finish()?;
    let (Some(name), Some(template)) = (f.name, f.template) else {
        return Err(Fail::Status(StatusCode::BAD_REQUEST, "Bad request."));
    };
    let slug = match f.slug {
        Some(s) => s,
        None => Slug::from_name(name.as_str()).ok_or_else(|| {
            Call::invalid(
                "slug",
                Violation::Format {
                    expected: "a slug (the name has no letters or digits to make one from)",
                },
            )
        })?,
    };
    let t = call
        .cachet
        .create_template(
            &call.actor,
            &NewIncidentTemplate {
                name,
                slug,
                template,
            },
        )
        .await?;
    template_document(&call, &t)
}

pub(super) async fn update_template(call: Call<'_>) -> Handled {
    let mut c = Collect::default();
    let patch = template_fields(&call, &mut c);
    c.finish()?;
    let t = call
        .cachet
        .update_template(&call.actor, TemplateId(call.id(0)), &patch)
        .await?;
    template_document(&call, &t)
}

pub(super) async fn delete_template(call: Call<'_>) -> Handled {
    call.cachet
        .delete_template(&call.actor, TemplateId(call.id(0)))
        .await?;
    Ok(crate::web::response::no_content())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_are_read_in_every_form_cachet_3_takes() {
        let tz = chrono_tz::Europe::Berlin;
        let want = chrono::Utc
            .with_ymd_and_hms(2023, 11, 7, 4, 31, 56)
            .unwrap();
        assert_eq!(parse_moment("2023-11-07 05:31:56", tz), Ok(want));
        assert_eq!(parse_moment("2023-11-07T04:31:56Z", tz), Ok(want));
        assert_eq!(parse_moment("2023-11-07T05:31:56+01:00", tz), Ok(want));
        assert_eq!(parse_moment("2023-11-07T05:31:56", tz), Ok(want));
        assert_eq!(
            parse_moment("2023-11-07", tz),
            Ok(chrono::Utc.with_ymd_and_hms(2023, 11, 6, 23, 0, 0).unwrap())
        );
        assert!(parse_moment("yesterday", tz).is_err());
        assert!(parse_moment("0001-01-01 00:00:00", tz).is_err());
    }

    #[test]
    fn affected_components_come_from_both_spellings() {
        let input = Input::from_fields(
            serde_json::json!({
                "components": [{"id": 1, "status": 4}, {"id": "2", "status": "2"}],
                "component_id": 3,
                "component_status": 3
            })
            .as_object()
            .cloned()
            .unwrap_or_default(),
        );
        let got = affected(&input).ok().flatten().unwrap_or_default();
        assert_eq!(
            got.iter()
                .map(|a| (a.component_id.get(), a.status))
                .collect::<Vec<_>>(),
            vec![
                (1, ComponentStatus::MajorOutage),
                (2, ComponentStatus::PerformanceIssues),
                (3, ComponentStatus::PartialOutage)
            ]
        );
        let dup = Input::from_fields(
            serde_json::json!({"components": [{"id": 1, "status": 1}, {"id": 1, "status": 2}]})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        );
        assert_eq!(
            affected(&dup).err().map(|e| e.field().to_owned()),
            Some("components.1.id".to_owned())
        );
        let maintenance = Input::from_fields(
            serde_json::json!({"component_id": 1, "component_status": 6})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        );
        assert!(affected(&maintenance).is_err());
    }
}
