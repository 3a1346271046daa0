//! `/v1/pages/{page_id}/incident_templates` and `/v1/pages/{page_id}/subscribers`.

use chrono_tz::Tz;
use http::StatusCode;
use serde_json::Value;

use super::super::ts;
use super::dto::{SubscriberDto, TemplateDto};
use super::{Call, Fail, Handled, parse_id};
use crate::model::*;
use crate::store::{PageRequest, SubscriberQuery, TemplateQuery};
use crate::validate::{Email, Markdown, Name, Slug, Violation};
use crate::web::response;

async fn zone(call: &Call<'_>) -> Result<Tz, Fail> {
    Ok(call.cachet.settings().await?.app_timezone.tz())
}

fn template(t: &IncidentTemplate, tz: Tz) -> TemplateDto {
    TemplateDto {
        body: t.template.as_str().to_owned(),
        component_ids: Vec::new(),
        created_at: ts(t.created_at, tz),
        group_id: None,
        id: format!("template-{}", t.id),
        name: t.name.as_str().to_owned(),
        should_send_notifications: true,
        should_tweet: false,
        slug: t.slug.as_str().to_owned(),
        title: t.name.as_str().to_owned(),
        update_status: "investigating".to_owned(),
        updated_at: ts(t.updated_at, tz),
    }
}

pub(super) async fn templates(call: Call<'_>) -> Handled {
    let tz = zone(&call).await?;
    let all = call
        .cachet
        .templates(&call.actor, TemplateQuery::all().paged(PageRequest::all()))
        .await?;
    let dtos: Vec<TemplateDto> = all.items.iter().map(|t| template(t, tz)).collect();
    Ok(response::json(StatusCode::OK, &dtos))
}

/// `{"template": {"name", "title", "body"}}`: the name is required (the title stands in for
/// it when only a title is given); the slug API v1 uses is made from it.
pub(super) async fn create_template(call: Call<'_>) -> Handled {
    let input = &call.input;
    let text = |key: &'static str| input.text(key).map_err(|e| call.in_envelope(e));
    let (field, raw) = match (text("name")?, text("title")?) {
        (Some(n), _) if !n.trim().is_empty() => ("name", n),
        (_, Some(t)) => ("title", t),
        (n, None) => ("name", n.unwrap_or_default()),
    };
    let name = Name::parse(&raw).map_err(|v| call.invalid(field, v))?;
    let body = call.parsed("body", Markdown::parse)?.unwrap_or_default();
    let slug = Slug::from_name(name.as_str()).ok_or_else(|| {
        call.invalid(
            field,
            Violation::Format {
                expected: "a name with at least one letter or digit",
            },
        )
    })?;
    let new = NewIncidentTemplate {
        name,
        slug,
        template: body,
    };
    let t = call.cachet.create_template(&call.actor, &new).await?;
    Ok(response::json(
        StatusCode::CREATED,
        &template(&t, zone(&call).await?),
    ))
}

fn subscriber(s: &Subscriber, address: &crate::SubscriberAddress, tz: Tz) -> SubscriberDto {
    SubscriberDto {
        components: s
            .components
            .iter()
            .map(|c| format!("component-{c}"))
            .collect(),
        created_at: Some(ts(s.created_at, tz)),
        // An SMS subscriber's number is never shown back: no address, mode `sms`.
        email: address
            .email()
            .map(|e| e.as_str().to_owned())
            .unwrap_or_default(),
        id: Some(format!("subscriber-{}", s.id)),
        mode: s.channel.as_str().to_owned(),
        quarantined_at: None,
        verified: Some(s.verified_at.is_some()),
    }
}

pub(super) async fn subscribers(call: Call<'_>) -> Handled {
    let tz = zone(&call).await?;
    let all = call
        .cachet
        .subscribers_with_addresses(
            &call.actor,
            SubscriberQuery::all().paged(PageRequest::all()),
        )
        .await?;
    let dtos: Vec<SubscriberDto> = all
        .items
        .iter()
        .map(|(s, email)| subscriber(s, email, tz))
        .collect();
    Ok(response::json(StatusCode::OK, &dtos))
}

/// `{"subscriber": {"email", "component_ids", "skip_confirmation_notification"}}`. Without
/// `skip_confirmation_notification` the address gets the confirmation mail and counts once
/// confirmed, as on the page. A token that may not read addresses gets the request echoed,
/// the same for a new address and a known one.
pub(super) async fn subscribe(call: Call<'_>) -> Handled {
    let input = &call.input;
    let raw = input
        .text("email")
        .map_err(|e| call.in_envelope(e))?
        .unwrap_or_default();
    if raw.trim().is_empty() {
        // Statuspage's other modes (sms, slack, webhook) are not offered here.
        return Err(call.invalid("email", Violation::Required));
    }
    let email = Email::parse(&raw).map_err(|v| call.invalid("email", v))?;
    let components: Vec<ComponentId> = match input.get("component_ids") {
        None => Vec::new(),
        Some(Value::String(s)) if s.trim().is_empty() => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                let id = match v {
                    Value::String(s) => parse_id(s.trim(), "component"),
                    Value::Number(n) => n.as_i64().filter(|n| *n > 0),
                    _ => None,
                };
                id.map(ComponentId).ok_or_else(|| {
                    call.invalid(
                        "component_ids",
                        Violation::Format {
                            expected: "a list of component ids (component-1)",
                        },
                    )
                })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(call.invalid(
                "component_ids",
                Violation::Format {
                    expected: "a list of component ids (component-1)",
                },
            ));
        }
    };
    let verified = input
        .bool("skip_confirmation_notification")
        .map_err(|e| call.in_envelope(e))?
        .unwrap_or(false);
    let locale = call.cachet.settings().await?.app_locale;
    let tz = zone(&call).await?;
    let answer = call
        .cachet
        .add_subscriber_answer(&call.actor, &email, components.clone(), verified, locale)
        .await
        .map_err(|e| match e {
            crate::Error::Validation(v) => call.in_envelope(v),
            other => Fail::Facade(other),
        })?;
    let dto = match answer {
        Some(s) => subscriber(&s, &crate::SubscriberAddress::Email(email.clone()), tz),
        None => SubscriberDto {
            components: components
                .iter()
                .map(|c| format!("component-{c}"))
                .collect(),
            created_at: None,
            email: email.as_str().to_owned(),
            id: None,
            mode: "email".to_owned(),
            quarantined_at: None,
            verified: None,
        },
    };
    Ok(response::json(StatusCode::CREATED, &dto))
}
