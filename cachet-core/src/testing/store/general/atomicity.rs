//! A write and its effects (audit entries, outbox events) commit together; a refused
//! write changes nothing.

use super::*;

/// A write's effects closure sees the written entity (with its new id, or before and after)
/// and its audit entries and outbox events are stored with the write.
pub async fn effects_commit_with_the_write(store: &dyn Store) -> Result<(), Failure> {
    let fx = |c: &Component| effects_for(EntityKind::Component, c.id.get(), at(10));
    let c = store
        .create_component(cx(10), &new_component("API")?, &fx)
        .await
        .ctx("create_component")?;
    let audit = store
        .audit_events(&AuditQuery::all())
        .await
        .ctx("audit_events")?
        .items;
    ensure_eq(
        audit
            .iter()
            .map(|a| (a.entity, a.entity_id, a.at))
            .collect::<Vec<_>>(),
        vec![(EntityKind::Component, Some(c.id.get()), at(10))],
        "audit entry names the new id",
    )?;
    let outbox = store
        .outbox_events(&OutboxQuery::all())
        .await
        .ctx("outbox_events")?
        .items;
    ensure_eq(outbox.len(), 1, "one outbox event")?;
    ensure_eq(
        (
            &outbox[0].payload,
            outbox[0].status,
            outbox[0].created_at,
            outbox[0].next_attempt_at,
        ),
        (
            &json!({"entity": "component", "id": c.id.get()}),
            OutboxStatus::Pending,
            at(10),
            at(10),
        ),
        "outbox event from the effects",
    )?;

    let fx = |ch: &Changed<Component>| {
        let mut e = effects_for(EntityKind::Component, ch.after.id.get(), at(20));
        let detail = format!("{} -> {}", ch.before.name, ch.after.name);
        if let (Some(a), Ok(t)) = (e.audit.first_mut(), Text::parse(&detail)) {
            a.detail = t;
        }
        e.with_audit(NewAuditEvent {
            action: AuditAction::Update,
            ..effects_for(EntityKind::Component, 0, at(20))
                .audit
                .remove(0)
        })
    };
    let patch = ComponentPatch {
        name: Some(name("Public API")?),
        ..ComponentPatch::default()
    };
    store
        .update_component(cx(20), c.id, &patch, &fx)
        .await
        .ctx("update_component")?;
    let q = AuditQuery::filtered(AuditFilter {
        since: Some(at(20)),
        ..AuditFilter::default()
    });
    let audit = store.audit_events(&q).await.ctx("audit_events")?.items;
    ensure_eq(audit.len(), 2, "two audit entries from one update")?;
    ensure(
        audit
            .iter()
            .any(|a| a.detail.as_str() == "API -> Public API"),
        format!("the closure saw before and after: {audit:?}"),
    )?;
    ensure_eq(effect_counts(store).await?, (3, 2), "effects so far")?;

    let fx = |c: &Component| effects_for(EntityKind::Component, c.id.get(), at(30));
    store
        .delete_component(cx(30), c.id, &fx)
        .await
        .ctx("delete_component")?;
    let q = AuditQuery::filtered(AuditFilter {
        since: Some(at(30)),
        ..AuditFilter::default()
    });
    ensure_eq(
        store
            .audit_events(&q)
            .await
            .ctx("audit_events")?
            .items
            .first()
            .and_then(|a| a.entity_id),
        Some(c.id.get()),
        "delete's closure saw the deleted entity",
    )?;

    let fx = |i: &Incident| {
        effects_for(EntityKind::Incident, i.id.get(), at(40)).with_outbox(new_event(
            EventKind::IncidentCreated,
            at(40),
            i.id.get(),
        ))
    };
    let i = store
        .create_incident(cx(40), &new_incident("Outage", at(40))?, &fx)
        .await
        .ctx("create_incident")?;
    let q = OutboxQuery::filtered(OutboxFilter {
        status: Some(OutboxStatus::Pending),
    });
    let kinds: Vec<EventKind> = store
        .outbox_events(&q)
        .await
        .ctx("outbox_events")?
        .items
        .into_iter()
        .map(|e| e.kind)
        .collect();
    ensure_eq(
        kinds,
        vec![
            EventKind::ComponentStatusChanged,
            EventKind::ComponentStatusChanged,
            EventKind::ComponentStatusChanged,
            EventKind::ComponentStatusChanged,
            EventKind::IncidentCreated,
        ],
        "every outbox event of every write",
    )?;
    let fx = |u: &IncidentUpdate| effects_for(EntityKind::IncidentUpdate, u.id.get(), at(50));
    store
        .create_incident_update(cx(50), i.id, &new_update(IncidentStatus::Fixed, "ok")?, &fx)
        .await
        .ctx("create_incident_update")?;
    ensure_eq(
        effect_counts(store).await?,
        (6, 6),
        "effects of every write",
    )?;
    Ok(())
}

/// Refused writes (unknown references, conflicts, lost compare-and-set) change no row, write
/// no effects and leave the revision alone.
pub async fn failed_writes_change_nothing(store: &dyn Store) -> Result<(), Failure> {
    let c = component(store, "API", 0).await?;
    let i = incident(store, "Outage", 0).await?;
    let t = store
        .create_template(cx(0), &new_template("A", "alpha")?, &no_effects)
        .await
        .ctx("create_template")?;
    store
        .create_template(cx(0), &new_template("B", "bravo")?, &no_effects)
        .await
        .ctx("create_template")?;
    let s = schedule(store, "Work", 0).await?;
    let u = user(store, "Ada", "ada@example.com", 0).await?;
    let v = user(store, "Bob", "bob@example.com", 0).await?;
    let m = metric(store, "M", 0).await?;
    subscriber(store, 1, Vec::new(), 0).await?;
    let rev = revision(store).await?;

    let fxc = |x: &Component| effects_for(EntityKind::Component, x.id.get(), at(10));
    let fxcc =
        |x: &Changed<Component>| effects_for(EntityKind::Component, x.after.id.get(), at(10));
    let fxi = |x: &Incident| effects_for(EntityKind::Incident, x.id.get(), at(10));
    let fxic = |x: &Changed<Incident>| effects_for(EntityKind::Incident, x.after.id.get(), at(10));
    let fxt = |x: &IncidentTemplate| effects_for(EntityKind::IncidentTemplate, x.id.get(), at(10));
    let fxtc = |x: &Changed<IncidentTemplate>| {
        effects_for(EntityKind::IncidentTemplate, x.after.id.get(), at(10))
    };
    let fxs = |x: &Schedule| effects_for(EntityKind::Schedule, x.id.get(), at(10));
    let fxsc = |x: &Changed<Schedule>| effects_for(EntityKind::Schedule, x.after.id.get(), at(10));
    let fxsub = |x: &Subscriber| effects_for(EntityKind::Subscriber, x.id.get(), at(10));
    let fxuc = |x: &Changed<User>| effects_for(EntityKind::User, x.after.id.get(), at(10));
    let fxtok = |x: &ApiToken| effects_for(EntityKind::ApiToken, x.id.get(), at(10));
    let fxp = |x: &MetricPoint| effects_for(EntityKind::MetricPoint, x.id.get(), at(10));
    let fxiu = |x: &IncidentUpdate| effects_for(EntityKind::IncidentUpdate, x.id.get(), at(10));

    let w = cx(10);
    let bad_group = ComponentPatch {
        name: Some(name("X")?),
        group_id: Some(Some(GroupId(NOPE))),
        ..ComponentPatch::default()
    };
    ensure_err(
        store.update_component(w, c.id, &bad_group, &fxcc).await,
        ErrorKind::Invalid,
        "component to an unknown group",
    )?;
    ensure_err(
        store
            .update_component(w, ComponentId(NOPE), &ComponentPatch::default(), &fxcc)
            .await,
        ErrorKind::NotFound,
        "unknown component",
    )?;
    ensure_err(
        store.delete_component(w, ComponentId(NOPE), &fxc).await,
        ErrorKind::NotFound,
        "delete an unknown component",
    )?;
    let by_nobody = NewIncident {
        user_id: Some(UserId(NOPE)),
        ..new_incident("X", at(10))?
    };
    ensure_err(
        store.create_incident(w, &by_nobody, &fxi).await,
        ErrorKind::Invalid,
        "incident by an unknown user",
    )?;
    let bad_comp = IncidentPatch {
        name: Some(name("X")?),
        components: Some(vec![AffectedComponent {
            component_id: ComponentId(NOPE),
            status: ComponentStatus::MajorOutage,
        }]),
        apply_component_status: true,
        ..IncidentPatch::default()
    };
    ensure_err(
        store.update_incident(w, i.id, &bad_comp, &fxic).await,
        ErrorKind::Invalid,
        "incident with an unknown component",
    )?;
    let bad_update = NewIncidentUpdate {
        component: Some(AffectedComponent {
            component_id: ComponentId(NOPE),
            status: ComponentStatus::MajorOutage,
        }),
        ..new_update(IncidentStatus::Fixed, "x")?
    };
    ensure_err(
        store
            .create_incident_update(w, i.id, &bad_update, &fxiu)
            .await,
        ErrorKind::Invalid,
        "update with an unknown component",
    )?;
    ensure_err(
        store
            .create_template(w, &new_template("C", "alpha")?, &fxt)
            .await,
        ErrorKind::Conflict,
        "duplicate slug",
    )?;
    let dup_slug = IncidentTemplatePatch {
        name: Some(name("X")?),
        slug: Some(slug("bravo")?),
        template: None,
    };
    ensure_err(
        store.update_template(w, t.id, &dup_slug, &fxtc).await,
        ErrorKind::Conflict,
        "slug taken on update",
    )?;
    let cas = SchedulePatch {
        name: Some(name("X")?),
        status: Some(ScheduleStatus::Complete),
        expected_status: Some(ScheduleStatus::InProgress),
        ..SchedulePatch::default()
    };
    ensure_err(
        store.update_schedule(w, s.id, &cas, &fxsc).await,
        ErrorKind::Conflict,
        "lost compare-and-set",
    )?;
    let bad_sched = NewSchedule {
        components: vec![c.id, ComponentId(NOPE)],
        ..new_schedule("X", at(10))?
    };
    ensure_err(
        store.create_schedule(w, &bad_sched, &fxs).await,
        ErrorKind::Invalid,
        "schedule with an unknown component",
    )?;
    ensure_err(
        store
            .create_subscriber(w, &new_subscriber(1, Vec::new()), &fxsub)
            .await,
        ErrorKind::Conflict,
        "duplicate subscriber",
    )?;
    let dup_mail = UserPatch {
        name: Some(name("X")?),
        email: Some(email("ada@example.com")?),
        ..UserPatch::default()
    };
    ensure_err(
        store.update_user(w, v.id, &dup_mail, &fxuc).await,
        ErrorKind::Conflict,
        "email taken on update",
    )?;
    ensure_err(
        store
            .create_api_token(w, &new_api_token(UserId(NOPE), 1)?, &fxtok)
            .await,
        ErrorKind::Invalid,
        "token of an unknown user",
    )?;
    ensure_err(
        store
            .record_metric_point(w, MetricId(NOPE), &new_point(1, at(10), None)?, &fxp)
            .await,
        ErrorKind::NotFound,
        "point of an unknown metric",
    )?;

    ensure_eq(
        effect_counts(store).await?,
        (0, 0),
        "no audit or outbox rows from refused writes",
    )?;
    ensure_eq(
        revision(store).await?,
        rev,
        "revision unchanged by refused writes",
    )?;
    ensure_eq(
        store.component(c.id).await.ctx("component")?,
        c,
        "component unchanged",
    )?;
    ensure_eq(
        store.incident(i.id).await.ctx("incident")?,
        i.clone(),
        "incident unchanged",
    )?;
    ensure_eq(
        store
            .incident_updates(i.id, PageRequest::all())
            .await
            .ctx("incident_updates")?
            .total,
        0,
        "no incident update",
    )?;
    ensure_eq(
        store.template(t.id).await.ctx("template")?,
        t,
        "template unchanged",
    )?;
    ensure_eq(
        store.schedule(s.id).await.ctx("schedule")?,
        s,
        "schedule unchanged",
    )?;
    ensure_eq(
        store
            .schedules(&ScheduleQuery::all())
            .await
            .ctx("schedules")?
            .total,
        1,
        "no schedule written",
    )?;
    ensure_eq(store.user(v.id).await.ctx("user")?, v, "user unchanged")?;
    ensure_eq(
        store.user(u.id).await.ctx("user")?,
        u,
        "other user unchanged",
    )?;
    ensure_eq(
        store
            .metric_points(m.id, &MetricPointQuery::all())
            .await
            .ctx("metric_points")?
            .total,
        0,
        "no point",
    )?;
    ensure_eq(
        store
            .api_tokens(&ApiTokenQuery::all())
            .await
            .ctx("api_tokens")?
            .total,
        0,
        "no token",
    )?;
    ensure_eq(
        store
            .incidents(&IncidentQuery::all())
            .await
            .ctx("incidents")?
            .total,
        1,
        "no incident written",
    )?;
    Ok(())
}
