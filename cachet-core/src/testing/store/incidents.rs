//! Incidents, incident updates, templates, maintenance schedules and their updates.

use serde_json::json;

use super::components::Key;
use super::*;
use crate::testing::{ErrorKind, ensure, ensure_err};

fn affected(c: ComponentId, status: ComponentStatus) -> AffectedComponent {
    AffectedComponent {
        component_id: c,
        status,
    }
}

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

struct IncidentSet {
    i: Vec<Incident>,
    u: UserId,
    c1: ComponentId,
    c2: ComponentId,
}

async fn incident_set(store: &dyn Store) -> Result<IncidentSet, Failure> {
    let u = user(store, "Reporter", "reporter@example.com", 0).await?.id;
    let c1 = component(store, "One", 0).await?.id;
    let c2 = component(store, "Two", 0).await?.id;
    let specs = [
        (
            "alpha",
            Some(u),
            vec![c1],
            IncidentStatus::Investigating,
            true,
            false,
            100,
            40,
        ),
        (
            "bravo",
            None,
            vec![],
            IncidentStatus::Fixed,
            false,
            true,
            200,
            10,
        ),
        (
            "charlie",
            Some(u),
            vec![c1, c2],
            IncidentStatus::Identified,
            true,
            true,
            300,
            30,
        ),
        (
            "bravo",
            None,
            vec![c2],
            IncidentStatus::Fixed,
            true,
            false,
            300,
            20,
        ),
    ];
    let mut i = Vec::new();
    for (n, user_id, comps, status, visible, stickied, occurred, created) in specs {
        let new = NewIncident {
            user_id,
            status,
            visible,
            stickied,
            components: comps
                .into_iter()
                .map(|c| affected(c, ComponentStatus::PartialOutage))
                .collect(),
            ..new_incident(n, at(occurred))?
        };
        i.push(
            store
                .create_incident(cx(created), &new, &no_effects)
                .await
                .ctx("create_incident")?,
        );
    }
    Ok(IncidentSet { i, u, c1, c2 })
}

/// Every [`IncidentFilter`] field (time bounds: since inclusive, before exclusive); natural
/// order newest `occurred_at` first, then id descending.
pub async fn incident_filters(store: &dyn Store) -> Result<(), Failure> {
    let IncidentSet { i, u, c1, c2 } = incident_set(store).await?;
    let f = IncidentFilter::default;
    let cases: Vec<(&str, IncidentFilter, Vec<usize>)> = vec![
        ("nothing", f(), vec![3, 2, 1, 0]),
        (
            "id",
            IncidentFilter {
                id: Some(i[1].id),
                ..f()
            },
            vec![1],
        ),
        (
            "user",
            IncidentFilter {
                user_id: Some(u),
                ..f()
            },
            vec![2, 0],
        ),
        (
            "component",
            IncidentFilter {
                component_id: Some(c1),
                ..f()
            },
            vec![2, 0],
        ),
        (
            "other component",
            IncidentFilter {
                component_id: Some(c2),
                ..f()
            },
            vec![3, 2],
        ),
        (
            "name",
            IncidentFilter {
                name: Some(name("bravo")?),
                ..f()
            },
            vec![3, 1],
        ),
        (
            "status",
            IncidentFilter {
                status: Some(IncidentStatus::Fixed),
                ..f()
            },
            vec![3, 1],
        ),
        (
            "visible",
            IncidentFilter {
                visible: Some(false),
                ..f()
            },
            vec![1],
        ),
        (
            "stickied",
            IncidentFilter {
                stickied: Some(true),
                ..f()
            },
            vec![2, 1],
        ),
        (
            "resolved",
            IncidentFilter {
                resolved: Some(true),
                ..f()
            },
            vec![3, 1],
        ),
        (
            "unresolved",
            IncidentFilter {
                resolved: Some(false),
                ..f()
            },
            vec![2, 0],
        ),
        (
            "occurred since (inclusive)",
            IncidentFilter {
                occurred_since: Some(at(200)),
                ..f()
            },
            vec![3, 2, 1],
        ),
        (
            "occurred before (exclusive)",
            IncidentFilter {
                occurred_before: Some(at(300)),
                ..f()
            },
            vec![1, 0],
        ),
        (
            "occurred in a window",
            IncidentFilter {
                occurred_since: Some(at(200)),
                occurred_before: Some(at(300)),
                ..f()
            },
            vec![1],
        ),
        (
            "user and unresolved",
            IncidentFilter {
                user_id: Some(u),
                resolved: Some(false),
                ..f()
            },
            vec![2, 0],
        ),
        (
            "component and not stickied",
            IncidentFilter {
                component_id: Some(c2),
                stickied: Some(false),
                ..f()
            },
            vec![3],
        ),
    ];
    for (what, filter, want) in cases {
        let page = store
            .incidents(&IncidentQuery::filtered(filter))
            .await
            .ctx(what)?;
        let want: Vec<i64> = want.iter().map(|x| i[*x].id.get()).collect();
        ensure_eq(
            ids(&page.items, |x| x.id.get()),
            want.clone(),
            format!("incidents filtered by {what}"),
        )?;
        ensure_eq(
            page.total,
            want.len() as u64,
            format!("total of incidents filtered by {what}"),
        )?;
    }
    Ok(())
}

/// Every [`IncidentSort`] field in both directions, ties broken by id.
pub async fn incident_sorts(store: &dyn Store) -> Result<(), Failure> {
    let IncidentSet { i, .. } = incident_set(store).await?;
    for (x, t) in [(2usize, 50), (0, 60)] {
        let patch = IncidentPatch {
            notify: Some(true),
            ..IncidentPatch::default()
        };
        store
            .update_incident(cx(t), i[x].id, &patch, &no_effects)
            .await
            .ctx("update_incident")?;
    }
    for field in IncidentSort::ALL {
        for dir in [Direction::Asc, Direction::Desc] {
            let page = store
                .incidents(&IncidentQuery::all().sorted(*field, dir))
                .await
                .ctx("incidents sorted")?;
            ensure_eq(page.items.len(), i.len(), "every incident listed")?;
            let key = |x: &Incident| match field {
                IncidentSort::Id => Key::Int(x.id.get()),
                IncidentSort::Name => Key::Str(x.name.as_str().to_owned()),
                IncidentSort::Status => Key::Int(i64::from(x.status.code())),
                IncidentSort::Visible => Key::Int(i64::from(x.visible)),
                IncidentSort::Stickied => Key::Int(i64::from(x.stickied)),
                IncidentSort::OccurredAt => Key::Time(x.occurred_at),
                IncidentSort::CreatedAt => Key::Time(x.created_at),
                IncidentSort::UpdatedAt => Key::Time(x.updated_at),
            };
            ensure_sorted(
                &page.items,
                key,
                |x| x.id.get(),
                dir,
                &format!("incidents by {}", field.name()),
            )?;
        }
    }
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

/// Create, read, list, update and delete a template.
pub async fn templates_crud(store: &dyn Store) -> Result<(), Failure> {
    let new = new_template("Database down", "database-down")?;
    let t = store
        .create_template(cx(10), &new, &no_effects)
        .await
        .ctx("create_template")?;
    let expected = IncidentTemplate {
        id: t.id,
        name: new.name.clone(),
        slug: new.slug.clone(),
        template: new.template.clone(),
        created_at: at(10),
        updated_at: at(10),
    };
    ensure_eq(&t, &expected, "created template")?;
    ensure_eq(
        store.template(t.id).await.ctx("template")?,
        expected.clone(),
        "template read back",
    )?;
    let page = store
        .templates(&TemplateQuery::all())
        .await
        .ctx("templates")?;
    ensure_eq(
        (page.items, page.total),
        (vec![expected.clone()], 1),
        "templates list",
    )?;
    let patch = IncidentTemplatePatch {
        name: Some(name("DB down")?),
        slug: Some(slug("db-down")?),
        template: Some(md("{{ name }}: down")?),
    };
    let u = store
        .update_template(cx(20), t.id, &patch, &no_effects)
        .await
        .ctx("update_template")?;
    let expected = IncidentTemplate {
        name: name("DB down")?,
        slug: slug("db-down")?,
        template: md("{{ name }}: down")?,
        updated_at: at(20),
        ..expected
    };
    ensure_eq(&u, &expected, "updated template")?;
    ensure_eq(
        store.template(t.id).await.ctx("template")?,
        expected,
        "updated template read back",
    )?;
    store
        .delete_template(cx(30), t.id, &no_effects)
        .await
        .ctx("delete_template")?;
    ensure_err(
        store.template(t.id).await,
        ErrorKind::NotFound,
        "template after delete",
    )?;
    ensure_err(
        store.delete_template(cx(31), t.id, &no_effects).await,
        ErrorKind::NotFound,
        "second delete",
    )?;
    let again = store
        .create_template(cx(40), &new_template("Again", "db-down")?, &no_effects)
        .await;
    ensure(again.is_ok(), "a deleted template's slug can be reused")?;
    Ok(())
}

/// A duplicate slug is a `Conflict` on create and update and changes nothing; keeping one's
/// own slug is fine.
pub async fn template_slug_conflict(store: &dyn Store) -> Result<(), Failure> {
    let a = store
        .create_template(cx(10), &new_template("A", "alpha")?, &no_effects)
        .await
        .ctx("create_template")?;
    let b = store
        .create_template(cx(10), &new_template("B", "bravo")?, &no_effects)
        .await
        .ctx("create_template")?;
    let fx = |t: &IncidentTemplate| effects_for(EntityKind::IncidentTemplate, t.id.get(), at(20));
    ensure_err(
        store
            .create_template(cx(20), &new_template("A2", "alpha")?, &fx)
            .await,
        ErrorKind::Conflict,
        "duplicate slug on create",
    )?;
    ensure_eq(
        store
            .templates(&TemplateQuery::all())
            .await
            .ctx("templates")?
            .total,
        2,
        "no template written",
    )?;
    let patch = IncidentTemplatePatch {
        name: Some(name("B2")?),
        slug: Some(slug("alpha")?),
        template: None,
    };
    let fx = |t: &Changed<IncidentTemplate>| {
        effects_for(EntityKind::IncidentTemplate, t.after.id.get(), at(30))
    };
    ensure_err(
        store.update_template(cx(30), b.id, &patch, &fx).await,
        ErrorKind::Conflict,
        "duplicate slug on update",
    )?;
    ensure_eq(
        store.template(b.id).await.ctx("template")?,
        b,
        "template unchanged by a refused update",
    )?;
    ensure_eq(
        effect_counts(store).await?,
        (0, 0),
        "no audit or outbox rows",
    )?;
    let patch = IncidentTemplatePatch {
        name: Some(name("A again")?),
        slug: Some(slug("alpha")?),
        template: None,
    };
    let a2 = store
        .update_template(cx(40), a.id, &patch, &no_effects)
        .await
        .ctx("update keeping its own slug")?;
    ensure_eq(a2.slug, a.slug, "own slug kept")?;
    Ok(())
}

/// The slug filter, natural order by id, every [`TemplateSort`] field in both directions.
pub async fn template_filter_and_sorts(store: &dyn Store) -> Result<(), Failure> {
    let mut t = Vec::new();
    for (n, s, time) in [
        ("bravo", "one", 30),
        ("alpha", "two", 10),
        ("bravo", "three", 20),
    ] {
        t.push(
            store
                .create_template(cx(time), &new_template(n, s)?, &no_effects)
                .await
                .ctx("create_template")?,
        );
    }
    let all = store
        .templates(&TemplateQuery::all())
        .await
        .ctx("templates")?;
    ensure_eq(
        ids(&all.items, |x| x.id.get()),
        ids(&t, |x| x.id.get()),
        "templates by id",
    )?;
    let q = TemplateQuery::filtered(TemplateFilter {
        slug: Some(slug("three")?),
    });
    let page = store.templates(&q).await.ctx("templates")?;
    ensure_eq(
        (page.items, page.total),
        (vec![t[2].clone()], 1),
        "templates filtered by slug",
    )?;
    let q = TemplateQuery::filtered(TemplateFilter {
        slug: Some(slug("four")?),
    });
    ensure_eq(
        store.templates(&q).await.ctx("templates")?.total,
        0,
        "unknown slug",
    )?;
    for field in TemplateSort::ALL {
        for dir in [Direction::Asc, Direction::Desc] {
            let page = store
                .templates(&TemplateQuery::all().sorted(*field, dir))
                .await
                .ctx("templates sorted")?;
            ensure_eq(page.items.len(), t.len(), "every template listed")?;
            let key = |x: &IncidentTemplate| match field {
                TemplateSort::Id => Key::Int(x.id.get()),
                TemplateSort::Name => Key::Str(x.name.as_str().to_owned()),
                TemplateSort::Slug => Key::Str(x.slug.as_str().to_owned()),
                TemplateSort::CreatedAt => Key::Time(x.created_at),
            };
            ensure_sorted(
                &page.items,
                key,
                |x| x.id.get(),
                dir,
                &format!("templates by {}", field.name()),
            )?;
        }
    }
    Ok(())
}

/// Create, read, list, update (every field, clearing `completed_at`) and delete a schedule.
pub async fn schedules_crud(store: &dyn Store) -> Result<(), Failure> {
    let author = user(store, "Author", "author@example.com", 0).await?;
    let c1 = component(store, "One", 0).await?;
    let c2 = component(store, "Two", 0).await?;
    let new = NewSchedule {
        name: name("Database upgrade")?,
        message: md("We upgrade **PostgreSQL**.")?,
        status: ScheduleStatus::Upcoming,
        scheduled_at: at(3600),
        completed_at: Some(at(7200)),
        components: vec![c2.id, c1.id],
        notify: true,
        user_id: Some(author.id),
    };
    let s = store
        .create_schedule(cx(10), &new, &no_effects)
        .await
        .ctx("create_schedule")?;
    let expected = Schedule {
        id: s.id,
        name: new.name.clone(),
        message: new.message.clone(),
        status: ScheduleStatus::Upcoming,
        scheduled_at: at(3600),
        completed_at: Some(at(7200)),
        components: vec![c1.id, c2.id],
        notify: true,
        user_id: Some(author.id),
        created_at: at(10),
        updated_at: at(10),
    };
    ensure_eq(&s, &expected, "created schedule")?;
    ensure_eq(
        store.schedule(s.id).await.ctx("schedule")?,
        expected.clone(),
        "schedule read back",
    )?;
    let page = store
        .schedules(&ScheduleQuery::all())
        .await
        .ctx("schedules")?;
    ensure_eq(
        (page.items, page.total),
        (vec![expected.clone()], 1),
        "schedules list",
    )?;
    let patch = SchedulePatch {
        name: Some(name("Upgrade")?),
        message: Some(md("Done soon.")?),
        status: Some(ScheduleStatus::InProgress),
        scheduled_at: Some(at(3000)),
        completed_at: Some(None),
        components: Some(vec![c2.id]),
        notify: Some(false),
        expected_status: None,
    };
    let u = store
        .update_schedule(cx(20), s.id, &patch, &no_effects)
        .await
        .ctx("update_schedule")?;
    let expected = Schedule {
        name: name("Upgrade")?,
        message: md("Done soon.")?,
        status: ScheduleStatus::InProgress,
        scheduled_at: at(3000),
        completed_at: None,
        components: vec![c2.id],
        notify: false,
        updated_at: at(20),
        ..expected
    };
    ensure_eq(&u, &expected, "updated schedule")?;
    ensure_eq(
        store.schedule(s.id).await.ctx("schedule")?,
        expected,
        "updated schedule read back",
    )?;
    let patch = SchedulePatch {
        completed_at: Some(Some(at(9000))),
        ..SchedulePatch::default()
    };
    let u = store
        .update_schedule(cx(25), s.id, &patch, &no_effects)
        .await
        .ctx("update_schedule")?;
    ensure_eq(u.completed_at, Some(at(9000)), "completed_at set")?;
    store
        .delete_schedule(cx(30), s.id, &no_effects)
        .await
        .ctx("delete_schedule")?;
    ensure_err(
        store.schedule(s.id).await,
        ErrorKind::NotFound,
        "schedule after delete",
    )?;
    ensure_err(
        store.delete_schedule(cx(31), s.id, &no_effects).await,
        ErrorKind::NotFound,
        "second delete",
    )?;
    ensure_err(
        store
            .update_schedule(cx(31), s.id, &SchedulePatch::default(), &no_effects)
            .await,
        ErrorKind::NotFound,
        "update after delete",
    )?;
    Ok(())
}

/// A schedule covering an unknown component is `Invalid` on create and update; nothing is
/// written.
pub async fn schedule_unknown_component_is_invalid(store: &dyn Store) -> Result<(), Failure> {
    let c = component(store, "One", 0).await?;
    let mut new = new_schedule("Work", at(100))?;
    new.components = vec![c.id, ComponentId(987_654)];
    ensure_err(
        store.create_schedule(cx(10), &new, &no_effects).await,
        ErrorKind::Invalid,
        "schedule with an unknown component",
    )?;
    ensure_eq(
        store
            .schedules(&ScheduleQuery::all())
            .await
            .ctx("schedules")?
            .total,
        0,
        "no schedule written",
    )?;
    let mut new = new_schedule("Work", at(100))?;
    new.components = vec![c.id];
    let s = store
        .create_schedule(cx(20), &new, &no_effects)
        .await
        .ctx("create_schedule")?;
    let patch = SchedulePatch {
        name: Some(name("Renamed")?),
        components: Some(vec![ComponentId(987_654)]),
        ..SchedulePatch::default()
    };
    ensure_err(
        store
            .update_schedule(cx(30), s.id, &patch, &no_effects)
            .await,
        ErrorKind::Invalid,
        "patch with an unknown component",
    )?;
    ensure_eq(
        store.schedule(s.id).await.ctx("schedule")?,
        s,
        "schedule unchanged",
    )?;
    Ok(())
}

/// `expected_status` makes an update a compare-and-set: a mismatch is a `Conflict` and
/// changes nothing.
pub async fn schedule_compare_and_set(store: &dyn Store) -> Result<(), Failure> {
    let s = schedule(store, "Work", 10).await?;
    let start = SchedulePatch {
        status: Some(ScheduleStatus::InProgress),
        expected_status: Some(ScheduleStatus::Upcoming),
        ..SchedulePatch::default()
    };
    let started = store
        .update_schedule(cx(20), s.id, &start, &no_effects)
        .await
        .ctx("first transition")?;
    ensure_eq(
        started.status,
        ScheduleStatus::InProgress,
        "transition applied",
    )?;
    let fx = |c: &Changed<Schedule>| effects_for(EntityKind::Schedule, c.after.id.get(), at(30));
    ensure_err(
        store.update_schedule(cx(30), s.id, &start, &fx).await,
        ErrorKind::Conflict,
        "the same transition twice",
    )?;
    ensure_eq(
        store.schedule(s.id).await.ctx("schedule")?,
        started.clone(),
        "schedule unchanged by a lost race",
    )?;
    ensure_eq(
        effect_counts(store).await?,
        (0, 0),
        "no effects for a lost race",
    )?;
    let finish = SchedulePatch {
        status: Some(ScheduleStatus::Complete),
        completed_at: Some(Some(at(40))),
        expected_status: Some(ScheduleStatus::InProgress),
        ..SchedulePatch::default()
    };
    let done = store
        .update_schedule(cx(40), s.id, &finish, &no_effects)
        .await
        .ctx("second transition")?;
    ensure_eq(
        (done.status, done.completed_at),
        (ScheduleStatus::Complete, Some(at(40))),
        "completed",
    )?;
    Ok(())
}

struct ScheduleSet {
    s: Vec<Schedule>,
    c1: ComponentId,
}

async fn schedule_set(store: &dyn Store) -> Result<ScheduleSet, Failure> {
    let c1 = component(store, "One", 0).await?.id;
    let c2 = component(store, "Two", 0).await?.id;
    let specs = [
        ("alpha", ScheduleStatus::Upcoming, 300, None, vec![c1], 40),
        (
            "bravo",
            ScheduleStatus::InProgress,
            100,
            Some(500),
            vec![c1, c2],
            10,
        ),
        (
            "charlie",
            ScheduleStatus::Complete,
            200,
            Some(250),
            vec![],
            30,
        ),
        (
            "delta",
            ScheduleStatus::Upcoming,
            100,
            Some(250),
            vec![c2],
            20,
        ),
    ];
    let mut s = Vec::new();
    for (n, status, scheduled, completed, components, created) in specs {
        let new = NewSchedule {
            status,
            completed_at: completed.map(at),
            components,
            ..new_schedule(n, at(scheduled))?
        };
        s.push(
            store
                .create_schedule(cx(created), &new, &no_effects)
                .await
                .ctx("create_schedule")?,
        );
    }
    Ok(ScheduleSet { s, c1 })
}

/// Every [`ScheduleFilter`] field (both time bounds inclusive); natural order
/// `scheduled_at`, then id.
pub async fn schedule_filters(store: &dyn Store) -> Result<(), Failure> {
    let ScheduleSet { s, c1 } = schedule_set(store).await?;
    let f = ScheduleFilter::default;
    let cases: Vec<(&str, ScheduleFilter, Vec<usize>)> = vec![
        ("nothing", f(), vec![1, 3, 2, 0]),
        (
            "one status",
            ScheduleFilter {
                status_any: vec![ScheduleStatus::Upcoming],
                ..f()
            },
            vec![3, 0],
        ),
        (
            "two statuses",
            ScheduleFilter {
                status_any: vec![ScheduleStatus::Upcoming, ScheduleStatus::InProgress],
                ..f()
            },
            vec![1, 3, 0],
        ),
        (
            "component",
            ScheduleFilter {
                component_id: Some(c1),
                ..f()
            },
            vec![1, 0],
        ),
        (
            "scheduled before (inclusive)",
            ScheduleFilter {
                scheduled_before: Some(at(200)),
                ..f()
            },
            vec![1, 3, 2],
        ),
        (
            "scheduled since (inclusive)",
            ScheduleFilter {
                scheduled_since: Some(at(200)),
                ..f()
            },
            vec![2, 0],
        ),
        (
            "an instant",
            ScheduleFilter {
                scheduled_since: Some(at(100)),
                scheduled_before: Some(at(100)),
                ..f()
            },
            vec![1, 3],
        ),
        (
            "status and component",
            ScheduleFilter {
                status_any: vec![ScheduleStatus::Upcoming],
                component_id: Some(c1),
                ..f()
            },
            vec![0],
        ),
    ];
    for (what, filter, want) in cases {
        let page = store
            .schedules(&ScheduleQuery::filtered(filter))
            .await
            .ctx(what)?;
        let want: Vec<i64> = want.iter().map(|x| s[*x].id.get()).collect();
        ensure_eq(
            ids(&page.items, |x| x.id.get()),
            want.clone(),
            format!("schedules filtered by {what}"),
        )?;
        ensure_eq(
            page.total,
            want.len() as u64,
            format!("total of schedules filtered by {what}"),
        )?;
    }
    Ok(())
}

/// Every [`ScheduleSort`] field in both directions; a missing `completed_at` sorts first
/// ascending.
pub async fn schedule_sorts(store: &dyn Store) -> Result<(), Failure> {
    let ScheduleSet { s, .. } = schedule_set(store).await?;
    for field in ScheduleSort::ALL {
        for dir in [Direction::Asc, Direction::Desc] {
            let page = store
                .schedules(&ScheduleQuery::all().sorted(*field, dir))
                .await
                .ctx("schedules sorted")?;
            ensure_eq(page.items.len(), s.len(), "every schedule listed")?;
            let key = |x: &Schedule| match field {
                ScheduleSort::Id => Key::Int(x.id.get()),
                ScheduleSort::Name => Key::Str(x.name.as_str().to_owned()),
                ScheduleSort::Status => Key::Int(i64::from(x.status.code())),
                ScheduleSort::ScheduledAt => Key::Time(x.scheduled_at),
                ScheduleSort::CompletedAt => Key::OptTime(x.completed_at),
                ScheduleSort::CreatedAt => Key::Time(x.created_at),
            };
            ensure_sorted(
                &page.items,
                key,
                |x| x.id.get(),
                dir,
                &format!("schedules by {}", field.name()),
            )?;
        }
    }
    Ok(())
}

/// Schedule updates: oldest first, deletable under their schedule only, gone with it;
/// unknown schedule: `NotFound`.
pub async fn schedule_updates_crud(store: &dyn Store) -> Result<(), Failure> {
    let author = user(store, "Author", "author@example.com", 0).await?;
    let s = schedule(store, "Work", 10).await?;
    let other = schedule(store, "Other", 10).await?;
    let n1 = NewScheduleUpdate {
        message: md("Starting.")?,
        user_id: Some(author.id),
    };
    let u1 = store
        .create_schedule_update(cx(20), s.id, &n1, &no_effects)
        .await
        .ctx("create_schedule_update")?;
    let expected = ScheduleUpdate {
        id: u1.id,
        schedule_id: s.id,
        message: n1.message.clone(),
        user_id: Some(author.id),
        created_at: at(20),
    };
    ensure_eq(&u1, &expected, "created schedule update")?;
    let n2 = NewScheduleUpdate {
        message: md("Half way.")?,
        user_id: None,
    };
    let u2 = store
        .create_schedule_update(cx(30), s.id, &n2, &no_effects)
        .await
        .ctx("create_schedule_update")?;
    ensure_eq(
        store.schedule_updates(s.id).await.ctx("schedule_updates")?,
        vec![expected.clone(), u2.clone()],
        "updates oldest first",
    )?;
    ensure_eq(
        store
            .schedule_updates(other.id)
            .await
            .ctx("schedule_updates")?,
        vec![],
        "updates are per schedule",
    )?;
    ensure_err(
        store
            .delete_schedule_update(cx(40), other.id, u1.id, &no_effects)
            .await,
        ErrorKind::NotFound,
        "delete under the wrong schedule",
    )?;
    store
        .delete_schedule_update(cx(40), s.id, u1.id, &no_effects)
        .await
        .ctx("delete_schedule_update")?;
    ensure_eq(
        store.schedule_updates(s.id).await.ctx("schedule_updates")?,
        vec![u2.clone()],
        "one update left",
    )?;
    ensure_err(
        store
            .delete_schedule_update(cx(41), s.id, u1.id, &no_effects)
            .await,
        ErrorKind::NotFound,
        "second delete",
    )?;
    ensure_err(
        store.schedule_updates(ScheduleId(987_654)).await,
        ErrorKind::NotFound,
        "updates of an unknown schedule",
    )?;
    ensure_err(
        store
            .create_schedule_update(cx(50), ScheduleId(987_654), &n2, &no_effects)
            .await,
        ErrorKind::NotFound,
        "update of an unknown schedule",
    )?;
    store
        .delete_schedule(cx(60), s.id, &no_effects)
        .await
        .ctx("delete_schedule")?;
    ensure_err(
        store.schedule_updates(s.id).await,
        ErrorKind::NotFound,
        "updates of a deleted schedule",
    )?;
    ensure_err(
        store
            .delete_schedule_update(cx(61), s.id, u2.id, &no_effects)
            .await,
        ErrorKind::NotFound,
        "update of a deleted schedule",
    )?;
    Ok(())
}
