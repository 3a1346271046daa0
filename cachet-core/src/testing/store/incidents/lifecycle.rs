//! Incident create, read, update and delete, the component statuses an incident sets, and
//! refused writes that change nothing.

use super::*;

/// Create, read, list, update (every field) and delete an incident; affected components come
/// back sorted by id.
pub async fn incidents_crud(store: &dyn Store) -> Result<(), Failure> {
    let u = user(store, "Reporter", "reporter@example.com", 0).await?;
    let c1 = component(store, "One", 0).await?;
    let c2 = component(store, "Two", 0).await?;
    let new = NewIncident {
        user_id: Some(u.id),
        name: name("Database outage")?,
        status: IncidentStatus::Identified,
        message: md("# Outage\n\nThe **primary** is down.")?,
        visible: true,
        stickied: true,
        notify: true,
        occurred_at: at(-3600),
        components: vec![
            affected(c2.id, ComponentStatus::PartialOutage),
            affected(c1.id, ComponentStatus::MajorOutage),
        ],
        apply_component_status: false,
        meta: meta(json!({"ticket": "OPS-1"}))?,
    };
    let i = store
        .create_incident(cx(10), &new, &no_effects)
        .await
        .ctx("create_incident")?;
    let expected = Incident {
        id: i.id,
        user_id: Some(u.id),
        name: new.name.clone(),
        status: new.status,
        message: new.message.clone(),
        visible: true,
        stickied: true,
        notify: true,
        occurred_at: at(-3600),
        components: vec![
            affected(c1.id, ComponentStatus::MajorOutage),
            affected(c2.id, ComponentStatus::PartialOutage),
        ],
        meta: new.meta.clone(),
        created_at: at(10),
        updated_at: at(10),
    };
    ensure_eq(&i, &expected, "created incident")?;
    ensure_eq(
        store.incident(i.id).await.ctx("incident")?,
        expected.clone(),
        "incident read back",
    )?;
    let page = store
        .incidents(&IncidentQuery::all())
        .await
        .ctx("incidents")?;
    ensure_eq(
        (page.items, page.total),
        (vec![expected.clone()], 1),
        "incidents list",
    )?;
    ensure_eq(
        store.component(c1.id).await.ctx("component")?.status,
        ComponentStatus::Operational,
        "status not applied",
    )?;

    let patch = IncidentPatch {
        name: Some(name("Database outage (resolved)")?),
        status: Some(IncidentStatus::Fixed),
        message: Some(md("Resolved.")?),
        visible: Some(false),
        stickied: Some(false),
        notify: Some(false),
        occurred_at: Some(at(-7200)),
        components: None,
        apply_component_status: false,
        meta: Some(Meta::default()),
    };
    let u2 = store
        .update_incident(cx(20), i.id, &patch, &no_effects)
        .await
        .ctx("update_incident")?;
    let expected = Incident {
        name: name("Database outage (resolved)")?,
        status: IncidentStatus::Fixed,
        message: md("Resolved.")?,
        visible: false,
        stickied: false,
        notify: false,
        occurred_at: at(-7200),
        meta: Meta::default(),
        updated_at: at(20),
        ..expected
    };
    ensure_eq(&u2, &expected, "updated incident")?;
    ensure_eq(
        store.incident(i.id).await.ctx("incident")?,
        expected,
        "updated incident read back",
    )?;
    store
        .delete_incident(cx(30), i.id, &no_effects)
        .await
        .ctx("delete_incident")?;
    ensure_err(
        store.incident(i.id).await,
        ErrorKind::NotFound,
        "incident after delete",
    )?;
    ensure_err(
        store.delete_incident(cx(31), i.id, &no_effects).await,
        ErrorKind::NotFound,
        "second delete",
    )?;
    ensure_err(
        store
            .update_incident(cx(31), i.id, &IncidentPatch::default(), &no_effects)
            .await,
        ErrorKind::NotFound,
        "update after delete",
    )?;
    ensure(
        store.component(c1.id).await.is_ok(),
        "components survive their incident",
    )?;
    Ok(())
}

/// With `apply_component_status`, creating an incident sets each affected component's status
/// and records history caused by the incident; without it, nothing changes; an unchanged
/// status records nothing.
pub async fn incident_applies_component_status(store: &dyn Store) -> Result<(), Failure> {
    let c1 = component(store, "One", 0).await?;
    let c2 = component(store, "Two", 0).await?;
    let mut new = new_incident("Outage", at(10))?;
    new.components = vec![
        affected(c1.id, ComponentStatus::MajorOutage),
        affected(c2.id, ComponentStatus::PartialOutage),
    ];
    new.apply_component_status = true;
    let i = store
        .create_incident(cx(10), &new, &no_effects)
        .await
        .ctx("create_incident")?;
    for (c, status) in [
        (c1.id, ComponentStatus::MajorOutage),
        (c2.id, ComponentStatus::PartialOutage),
    ] {
        ensure_eq(
            store.component(c).await.ctx("component")?.status,
            status,
            "status applied",
        )?;
        let h = store.status_history(c, at(0)).await.ctx("status_history")?;
        ensure_eq(h.len(), 2, "history: create and the incident's change")?;
        ensure_eq(
            (h[1].old_status, h[1].new_status),
            (Some(ComponentStatus::Operational), status),
            "history statuses",
        )?;
        ensure_eq(
            h[1].cause.kind,
            StatusCauseKind::Incident,
            "history cause kind",
        )?;
        ensure_eq(
            h[1].cause.incident_id,
            Some(i.id),
            "history names the incident",
        )?;
        ensure_eq(h[1].at, at(10), "history time")?;
    }

    let mut new = new_incident("Not applied", at(20))?;
    new.components = vec![affected(c1.id, ComponentStatus::Operational)];
    store
        .create_incident(cx(20), &new, &no_effects)
        .await
        .ctx("create_incident")?;
    ensure_eq(
        store.component(c1.id).await.ctx("component")?.status,
        ComponentStatus::MajorOutage,
        "status not applied",
    )?;
    ensure_eq(
        store
            .status_history(c1.id, at(0))
            .await
            .ctx("status_history")?
            .len(),
        2,
        "no history without apply",
    )?;

    let mut new = new_incident("Same status", at(30))?;
    new.components = vec![affected(c2.id, ComponentStatus::PartialOutage)];
    new.apply_component_status = true;
    store
        .create_incident(cx(30), &new, &no_effects)
        .await
        .ctx("create_incident")?;
    ensure_eq(
        store
            .status_history(c2.id, at(0))
            .await
            .ctx("status_history")?
            .len(),
        2,
        "an unchanged status adds no history",
    )?;
    Ok(())
}

/// An incident naming one unknown component is `Invalid` and writes nothing: no incident, no
/// status change on the other components, no history, no audit or outbox rows, no revision.
pub async fn incident_unknown_component_is_atomic(store: &dyn Store) -> Result<(), Failure> {
    let c1 = component(store, "One", 0).await?;
    let rev = revision(store).await?;
    let mut new = new_incident("Outage", at(10))?;
    new.components = vec![
        affected(c1.id, ComponentStatus::MajorOutage),
        affected(ComponentId(987_654), ComponentStatus::MajorOutage),
    ];
    new.apply_component_status = true;
    let fx = |i: &Incident| effects_for(EntityKind::Incident, i.id.get(), at(10));
    ensure_err(
        store.create_incident(cx(10), &new, &fx).await,
        ErrorKind::Invalid,
        "incident with an unknown component",
    )?;
    ensure_eq(
        store
            .incidents(&IncidentQuery::all())
            .await
            .ctx("incidents")?
            .total,
        0,
        "no incident written",
    )?;
    ensure_eq(
        store.component(c1.id).await.ctx("component")?,
        c1.clone(),
        "known component unchanged",
    )?;
    ensure_eq(
        store
            .status_history(c1.id, at(-1000))
            .await
            .ctx("status_history")?
            .len(),
        1,
        "no history written",
    )?;
    ensure_eq(
        effect_counts(store).await?,
        (0, 0),
        "no audit or outbox rows",
    )?;
    ensure_eq(revision(store).await?, rev, "revision unchanged")?;
    Ok(())
}

/// An incident by an unknown user is `Invalid` and writes nothing.
pub async fn incident_unknown_user_is_invalid(store: &dyn Store) -> Result<(), Failure> {
    let mut new = new_incident("Outage", at(10))?;
    new.user_id = Some(UserId(987_654));
    ensure_err(
        store.create_incident(cx(10), &new, &no_effects).await,
        ErrorKind::Invalid,
        "incident by an unknown user",
    )?;
    ensure_eq(
        store
            .incidents(&IncidentQuery::all())
            .await
            .ctx("incidents")?
            .total,
        0,
        "no incident written",
    )?;
    Ok(())
}

/// A patch's component list replaces the set, and with `apply_component_status` sets the new
/// components' statuses with history.
pub async fn incident_patch_replaces_components(store: &dyn Store) -> Result<(), Failure> {
    let c1 = component(store, "One", 0).await?;
    let c2 = component(store, "Two", 0).await?;
    let mut new = new_incident("Outage", at(10))?;
    new.components = vec![affected(c1.id, ComponentStatus::MajorOutage)];
    let i = store
        .create_incident(cx(10), &new, &no_effects)
        .await
        .ctx("create_incident")?;
    let patch = IncidentPatch {
        components: Some(vec![affected(c2.id, ComponentStatus::PartialOutage)]),
        apply_component_status: true,
        ..IncidentPatch::default()
    };
    let u = store
        .update_incident(cx(20), i.id, &patch, &no_effects)
        .await
        .ctx("update_incident")?;
    ensure_eq(
        u.components.clone(),
        vec![affected(c2.id, ComponentStatus::PartialOutage)],
        "components replaced",
    )?;
    ensure_eq(
        store.incident(i.id).await.ctx("incident")?,
        u,
        "patched incident read back",
    )?;
    ensure_eq(
        store.component(c2.id).await.ctx("component")?.status,
        ComponentStatus::PartialOutage,
        "new status applied",
    )?;
    let h = store
        .status_history(c2.id, at(0))
        .await
        .ctx("status_history")?;
    ensure_eq(
        h.last()
            .map(|e| (e.new_status, e.cause.kind, e.cause.incident_id)),
        Some((
            ComponentStatus::PartialOutage,
            StatusCauseKind::Incident,
            Some(i.id),
        )),
        "history of the applied status",
    )?;
    ensure_eq(
        store.component(c1.id).await.ctx("component")?.status,
        ComponentStatus::Operational,
        "dropped component untouched",
    )?;
    let q = IncidentQuery::filtered(IncidentFilter {
        component_id: Some(c1.id),
        ..IncidentFilter::default()
    });
    ensure_eq(
        store.incidents(&q).await.ctx("incidents")?.total,
        0,
        "the dropped component no longer matches",
    )?;
    let patch = IncidentPatch {
        components: Some(Vec::new()),
        ..IncidentPatch::default()
    };
    let u = store
        .update_incident(cx(30), i.id, &patch, &no_effects)
        .await
        .ctx("update_incident")?;
    ensure(
        u.components.is_empty(),
        "an empty list removes every component",
    )?;
    let patch = IncidentPatch {
        components: Some(vec![affected(
            ComponentId(987_654),
            ComponentStatus::MajorOutage,
        )]),
        ..IncidentPatch::default()
    };
    ensure_err(
        store
            .update_incident(cx(40), i.id, &patch, &no_effects)
            .await,
        ErrorKind::Invalid,
        "patch with an unknown component",
    )?;
    ensure_eq(
        store.incident(i.id).await.ctx("incident")?,
        u,
        "incident unchanged by a refused patch",
    )?;
    Ok(())
}
