//! Unknown ids and child rows asked for under the wrong parent: always `NotFound`,
//! and a refused call changes nothing.

use super::*;

/// Every read, update and delete of an unknown id is `NotFound` (deleting an unknown session
/// is the one exception: it is no error).
pub async fn not_found_for_unknown_ids(store: &dyn Store) -> Result<(), Failure> {
    use ErrorKind::NotFound as NF;
    let cx = cx(0);
    ensure_err(store.component(ComponentId(NOPE)).await, NF, "component")?;
    ensure_err(store.group(GroupId(NOPE)).await, NF, "group")?;
    ensure_err(store.incident(IncidentId(NOPE)).await, NF, "incident")?;
    ensure_err(
        store
            .incident_updates(IncidentId(NOPE), PageRequest::all())
            .await,
        NF,
        "incident_updates",
    )?;
    ensure_err(
        store
            .incident_update(IncidentId(NOPE), IncidentUpdateId(NOPE))
            .await,
        NF,
        "incident_update",
    )?;
    ensure_err(store.template(TemplateId(NOPE)).await, NF, "template")?;
    ensure_err(store.schedule(ScheduleId(NOPE)).await, NF, "schedule")?;
    ensure_err(
        store.schedule_updates(ScheduleId(NOPE)).await,
        NF,
        "schedule_updates",
    )?;
    ensure_err(store.metric(MetricId(NOPE)).await, NF, "metric")?;
    ensure_err(
        store
            .metric_points(MetricId(NOPE), &MetricPointQuery::all())
            .await,
        NF,
        "metric_points",
    )?;
    ensure_err(
        store
            .metric_point(MetricId(NOPE), MetricPointId(NOPE))
            .await,
        NF,
        "metric_point",
    )?;
    ensure_err(store.subscriber(SubscriberId(NOPE)).await, NF, "subscriber")?;
    ensure_err(
        store.subscription(SubscriptionId(NOPE)).await,
        NF,
        "subscription",
    )?;
    ensure_err(store.webhook(WebhookId(NOPE)).await, NF, "webhook")?;
    ensure_err(store.user(UserId(NOPE)).await, NF, "user")?;
    ensure_err(store.api_token(ApiTokenId(NOPE)).await, NF, "api_token")?;
    ensure_err(
        store
            .update_group(
                cx,
                GroupId(NOPE),
                &ComponentGroupPatch::default(),
                &no_effects,
            )
            .await,
        NF,
        "update_group",
    )?;
    ensure_err(
        store.delete_group(cx, GroupId(NOPE), &no_effects).await,
        NF,
        "delete_group",
    )?;
    ensure_err(
        store
            .update_template(
                cx,
                TemplateId(NOPE),
                &IncidentTemplatePatch::default(),
                &no_effects,
            )
            .await,
        NF,
        "update_template",
    )?;
    ensure_err(
        store
            .delete_incident(cx, IncidentId(NOPE), &no_effects)
            .await,
        NF,
        "delete_incident",
    )?;
    ensure_err(
        store
            .delete_schedule(cx, ScheduleId(NOPE), &no_effects)
            .await,
        NF,
        "delete_schedule",
    )?;
    ensure_err(
        store
            .update_metric(cx, MetricId(NOPE), &MetricPatch::default(), &no_effects)
            .await,
        NF,
        "update_metric",
    )?;
    ensure_err(
        store
            .update_subscriber(
                cx,
                SubscriberId(NOPE),
                &SubscriberPatch::default(),
                &no_effects,
            )
            .await,
        NF,
        "update_subscriber",
    )?;
    ensure_err(
        store
            .delete_subscription(cx, SubscriptionId(NOPE), &no_effects)
            .await,
        NF,
        "delete_subscription",
    )?;
    ensure_err(
        store
            .update_webhook(cx, WebhookId(NOPE), &WebhookPatch::default(), &no_effects)
            .await,
        NF,
        "update_webhook",
    )?;
    ensure_err(
        store.delete_user(cx, UserId(NOPE), &no_effects).await,
        NF,
        "delete_user",
    )?;
    ensure_err(
        store
            .update_api_token(cx, ApiTokenId(NOPE), &ApiTokenPatch::default(), &no_effects)
            .await,
        NF,
        "update_api_token",
    )?;
    ensure_err(
        store
            .delete_api_token(cx, ApiTokenId(NOPE), &no_effects)
            .await,
        NF,
        "delete_api_token",
    )?;
    ensure_err(
        store
            .update_session(SessionId(NOPE), &SessionPatch::default())
            .await,
        NF,
        "update_session",
    )?;
    store
        .delete_session(SessionId(NOPE))
        .await
        .ctx("delete_session of an unknown id is no error")?;
    ensure_eq(
        effect_counts(store).await?,
        (0, 0),
        "no effects from refused writes",
    )?;
    Ok(())
}

/// A child row asked for under another parent is `NotFound` for reads, edits and deletes,
/// and the refused calls change nothing.
pub async fn child_rows_under_wrong_parent_are_not_found(store: &dyn Store) -> Result<(), Failure> {
    use ErrorKind::NotFound as NF;
    let i1 = incident(store, "One", 10).await?;
    let i2 = incident(store, "Two", 10).await?;
    let u = store
        .create_incident_update(
            cx(20),
            i1.id,
            &new_update(IncidentStatus::Identified, "found")?,
            &no_effects,
        )
        .await
        .ctx("create_incident_update")?;
    ensure_err(
        store.incident_update(i2.id, u.id).await,
        NF,
        "update read under the wrong incident",
    )?;
    let patch = IncidentUpdatePatch {
        message: Some(md("hijacked")?),
        status: None,
    };
    ensure_err(
        store
            .update_incident_update(cx(30), i2.id, u.id, &patch, &no_effects)
            .await,
        NF,
        "update edited under the wrong incident",
    )?;
    ensure_err(
        store
            .delete_incident_update(cx(30), i2.id, u.id, &no_effects)
            .await,
        NF,
        "update deleted under the wrong incident",
    )?;
    ensure_eq(
        store
            .incident_update(i1.id, u.id)
            .await
            .ctx("incident_update")?,
        u,
        "update untouched",
    )?;
    ensure_eq(
        store
            .incident_updates(i2.id, PageRequest::all())
            .await
            .ctx("incident_updates")?
            .total,
        0,
        "not listed under the other",
    )?;

    let m1 = metric(store, "One", 0).await?;
    let m2 = metric(store, "Two", 0).await?;
    let p = store
        .record_metric_point(cx(40), m1.id, &new_point(5, at(40), None)?, &no_effects)
        .await
        .ctx("record_metric_point")?;
    ensure_err(
        store.metric_point(m2.id, p.id).await,
        NF,
        "point under the wrong metric",
    )?;
    ensure_eq(
        store
            .metric_points(m2.id, &MetricPointQuery::all())
            .await
            .ctx("metric_points")?
            .total,
        0,
        "point not listed under the other",
    )?;

    let s1 = schedule(store, "One", 50).await?;
    let s2 = schedule(store, "Two", 50).await?;
    let su = store
        .create_schedule_update(
            cx(60),
            s1.id,
            &NewScheduleUpdate {
                message: md("go")?,
                user_id: None,
            },
            &no_effects,
        )
        .await
        .ctx("create_schedule_update")?;
    ensure_err(
        store
            .delete_schedule_update(cx(70), s2.id, su.id, &no_effects)
            .await,
        NF,
        "schedule update under the wrong schedule",
    )?;
    ensure_eq(
        store
            .schedule_updates(s1.id)
            .await
            .ctx("schedule_updates")?,
        vec![su],
        "schedule update untouched",
    )?;
    Ok(())
}
