//! Incident updates: their lifecycle, the statuses they set, and batch reads.

use super::*;

/// Posting updates sets the incident's status (and a component's, with history); updates
/// list newest first, can be edited and deleted.
pub async fn incident_updates_lifecycle(store: &dyn Store) -> Result<(), Failure> {
    let author = user(store, "Author", "author@example.com", 0).await?;
    let c = component(store, "One", 0).await?;
    let i = incident(store, "Outage", 10).await?;
    let new = NewIncidentUpdate {
        status: IncidentStatus::Identified,
        message: md("Found it: a *bad* deploy.")?,
        user_id: Some(author.id),
        component: Some(affected(c.id, ComponentStatus::MajorOutage)),
    };
    let u1 = store
        .create_incident_update(cx(20), i.id, &new, &no_effects)
        .await
        .ctx("create_incident_update")?;
    let expected = IncidentUpdate {
        id: u1.id,
        incident_id: i.id,
        status: IncidentStatus::Identified,
        message: new.message.clone(),
        user_id: Some(author.id),
        created_at: at(20),
        updated_at: at(20),
    };
    ensure_eq(&u1, &expected, "created update")?;
    ensure_eq(
        store.incident(i.id).await.ctx("incident")?.status,
        IncidentStatus::Identified,
        "incident status follows the update",
    )?;
    ensure_eq(
        store.component(c.id).await.ctx("component")?.status,
        ComponentStatus::MajorOutage,
        "component status follows the update",
    )?;
    let h = store
        .status_history(c.id, at(0))
        .await
        .ctx("status_history")?;
    ensure_eq(
        h.last()
            .map(|e| (e.new_status, e.cause.kind, e.cause.incident_id, e.at)),
        Some((
            ComponentStatus::MajorOutage,
            StatusCauseKind::Incident,
            Some(i.id),
            at(20),
        )),
        "history of the update's status",
    )?;

    let u2 = store
        .create_incident_update(
            cx(30),
            i.id,
            &new_update(IncidentStatus::Fixed, "Fixed.")?,
            &no_effects,
        )
        .await
        .ctx("create_incident_update")?;
    ensure(u2.id != u1.id, "distinct update ids")?;
    let inc = store.incident(i.id).await.ctx("incident")?;
    ensure_eq(
        inc.status,
        IncidentStatus::Fixed,
        "incident resolved by the update",
    )?;
    let page = store
        .incident_updates(i.id, PageRequest::all())
        .await
        .ctx("incident_updates")?;
    ensure_eq(
        ids(&page.items, |x| x.id.get()),
        vec![u2.id.get(), u1.id.get()],
        "updates newest first",
    )?;
    ensure_eq(page.total, 2, "updates total")?;
    ensure_eq(
        store
            .incident_update(i.id, u1.id)
            .await
            .ctx("incident_update")?,
        expected.clone(),
        "update read back",
    )?;

    let patch = IncidentUpdatePatch {
        status: Some(IncidentStatus::Watching),
        message: Some(md("Edited: a bad deploy.")?),
    };
    let e = store
        .update_incident_update(cx(40), i.id, u1.id, &patch, &no_effects)
        .await
        .ctx("update_incident_update")?;
    let expected = IncidentUpdate {
        status: IncidentStatus::Watching,
        message: md("Edited: a bad deploy.")?,
        updated_at: at(40),
        ..expected
    };
    ensure_eq(&e, &expected, "edited update")?;
    ensure_eq(
        store
            .incident_update(i.id, u1.id)
            .await
            .ctx("incident_update")?,
        expected.clone(),
        "edited update read back",
    )?;

    store
        .delete_incident_update(cx(50), i.id, u2.id, &no_effects)
        .await
        .ctx("delete_incident_update")?;
    ensure_err(
        store.incident_update(i.id, u2.id).await,
        ErrorKind::NotFound,
        "deleted update",
    )?;
    ensure_err(
        store
            .delete_incident_update(cx(51), i.id, u2.id, &no_effects)
            .await,
        ErrorKind::NotFound,
        "second delete",
    )?;
    let page = store
        .incident_updates(i.id, PageRequest::all())
        .await
        .ctx("incident_updates")?;
    ensure_eq(
        (page.items, page.total),
        (vec![expected], 1),
        "one update left",
    )?;
    ensure_err(
        store
            .create_incident_update(
                cx(60),
                IncidentId(987_654),
                &new_update(IncidentStatus::Fixed, "x")?,
                &no_effects,
            )
            .await,
        ErrorKind::NotFound,
        "update of an unknown incident",
    )?;
    Ok(())
}

/// An update naming an unknown component is `Invalid` and changes nothing: no update, the
/// incident's status stays, no effects.
pub async fn incident_update_unknown_component_is_atomic(store: &dyn Store) -> Result<(), Failure> {
    let i = incident(store, "Outage", 10).await?;
    let new = NewIncidentUpdate {
        component: Some(affected(ComponentId(987_654), ComponentStatus::MajorOutage)),
        ..new_update(IncidentStatus::Fixed, "Fixed.")?
    };
    let fx = |u: &IncidentUpdate| effects_for(EntityKind::IncidentUpdate, u.id.get(), at(20));
    ensure_err(
        store.create_incident_update(cx(20), i.id, &new, &fx).await,
        ErrorKind::Invalid,
        "update with an unknown component",
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
        "no update written",
    )?;
    ensure_eq(
        effect_counts(store).await?,
        (0, 0),
        "no audit or outbox rows",
    )?;
    Ok(())
}

/// Deleting an incident deletes its updates; other incidents' updates stay.
pub async fn delete_incident_removes_updates(store: &dyn Store) -> Result<(), Failure> {
    let i1 = incident(store, "One", 10).await?;
    let i2 = incident(store, "Two", 10).await?;
    let u1 = store
        .create_incident_update(
            cx(20),
            i1.id,
            &new_update(IncidentStatus::Identified, "a")?,
            &no_effects,
        )
        .await
        .ctx("create_incident_update")?;
    let u2 = store
        .create_incident_update(
            cx(20),
            i2.id,
            &new_update(IncidentStatus::Identified, "b")?,
            &no_effects,
        )
        .await
        .ctx("create_incident_update")?;
    store
        .delete_incident(cx(30), i1.id, &no_effects)
        .await
        .ctx("delete_incident")?;
    ensure_err(
        store.incident_updates(i1.id, PageRequest::all()).await,
        ErrorKind::NotFound,
        "updates of a deleted incident",
    )?;
    ensure_err(
        store.incident_update(i1.id, u1.id).await,
        ErrorKind::NotFound,
        "update of a deleted incident",
    )?;
    ensure_eq(
        store
            .incident_update(i2.id, u2.id)
            .await
            .ctx("incident_update")?,
        u2,
        "other incident's update intact",
    )?;
    Ok(())
}

/// `incident_updates_of` returns exactly what `incident_updates` returns per incident, for
/// many incidents at once (more than one chunk of a backend's IN list), skipping unknown ids.
pub async fn incident_updates_of_batches(store: &dyn Store) -> Result<(), Failure> {
    let mut ids = Vec::new();
    for n in 0..12 {
        let i = incident(store, &format!("Incident {n}"), 10).await?;
        for k in 0..(n % 3) {
            store
                .create_incident_update(
                    cx(20 + k),
                    i.id,
                    &new_update(IncidentStatus::Identified, &format!("{n}.{k}"))?,
                    &no_effects,
                )
                .await
                .ctx("create_incident_update")?;
        }
        ids.push(i.id);
    }
    let mut asked = ids.clone();
    asked.push(IncidentId(987_654));
    let batch = store
        .incident_updates_of(&asked)
        .await
        .ctx("incident_updates_of")?;
    let mut expected = Vec::new();
    for id in &ids {
        expected.extend(
            store
                .incident_updates(*id, PageRequest::all())
                .await
                .ctx("incident_updates")?
                .items,
        );
    }
    let key = |u: &IncidentUpdate| (u.incident_id, u.id);
    let (mut got, mut want) = (batch.clone(), expected.clone());
    got.sort_by_key(key);
    want.sort_by_key(key);
    ensure_eq(got, want, "the same updates as asked one by one")?;
    for id in &ids {
        let of_one: Vec<_> = batch
            .iter()
            .filter(|u| u.incident_id == *id)
            .cloned()
            .collect();
        let one_by_one: Vec<_> = expected
            .iter()
            .filter(|u| u.incident_id == *id)
            .cloned()
            .collect();
        ensure_eq(of_one, one_by_one, "newest first within an incident")?;
    }
    ensure_eq(
        store
            .incident_updates_of(&[])
            .await
            .ctx("incident_updates_of")?,
        Vec::new(),
        "no ids, no updates",
    )?;
    Ok(())
}
