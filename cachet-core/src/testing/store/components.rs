//! Components, groups and the status history.

use serde_json::json;

use super::*;
use crate::testing::{ErrorKind, ensure, ensure_err};

/// A sort key of any field type; `Opt` sorts `None` first, as the suite pins.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Key {
    Int(i64),
    Str(String),
    Time(Timestamp),
    Opt(Option<i64>),
    OptTime(Option<Timestamp>),
}

fn component_matches(c: &Component, new: &NewComponent) -> Result<(), Failure> {
    ensure_eq(&c.name, &new.name, "component name")?;
    ensure_eq(&c.description, &new.description, "component description")?;
    ensure_eq(&c.link, &new.link, "component link")?;
    ensure_eq(c.status, new.status, "component status")?;
    ensure_eq(c.order, new.order, "component order")?;
    ensure_eq(c.group_id, new.group_id, "component group")?;
    ensure_eq(c.enabled, new.enabled, "component enabled")?;
    ensure_eq(&c.meta, &new.meta, "component meta")
}

/// Create, read, list, update (every field) and delete a component; `created_at` and
/// `updated_at` come from the write context.
pub async fn components_crud(store: &dyn Store) -> Result<(), Failure> {
    let g = store
        .create_group(cx(0), &new_group("Backend")?, &no_effects)
        .await
        .ctx("create_group")?;
    let new = NewComponent {
        name: name("API")?,
        description: text("The public API\n(v2)")?,
        link: Some(url("https://api.example.com/health")?),
        status: ComponentStatus::PerformanceIssues,
        order: order(3)?,
        group_id: Some(g.id),
        enabled: false,
        tags: Vec::new(),
        meta: meta(json!({"runbook": "https://wiki.example/api", "tier": 1}))?,
        cause: StatusCause::default(),
    };
    let c = store
        .create_component(cx(10), &new, &no_effects)
        .await
        .ctx("create_component")?;
    component_matches(&c, &new)?;
    ensure_eq(c.created_at, at(10), "created_at is the write's now")?;
    ensure_eq(c.updated_at, at(10), "updated_at is the write's now")?;
    ensure_eq(
        store.component(c.id).await.ctx("component")?,
        c.clone(),
        "component read back",
    )?;
    let page = store
        .components(&ComponentQuery::all())
        .await
        .ctx("components")?;
    ensure_eq(page.items, vec![c.clone()], "components list")?;
    ensure_eq(page.total, 1, "components total")?;

    let patch = ComponentPatch {
        name: Some(name("Public API")?),
        description: Some(Text::empty()),
        link: Some(None),
        status: None,
        order: Some(order(-2)?),
        group_id: Some(None),
        enabled: Some(true),
        tags: None,
        meta: Some(Meta::default()),
        cause: StatusCause::default(),
    };
    let u = store
        .update_component(cx(20), c.id, &patch, &no_effects)
        .await
        .ctx("update_component")?;
    let expected = Component {
        name: name("Public API")?,
        description: Text::empty(),
        link: None,
        order: order(-2)?,
        group_id: None,
        enabled: true,
        meta: Meta::default(),
        updated_at: at(20),
        ..c.clone()
    };
    ensure_eq(&u, &expected, "component after update")?;
    ensure_eq(
        store.component(c.id).await.ctx("component")?,
        expected.clone(),
        "updated component read back",
    )?;

    let patch = ComponentPatch {
        link: Some(Some(url("http://example.org/")?)),
        group_id: Some(Some(g.id)),
        ..ComponentPatch::default()
    };
    let u = store
        .update_component(cx(25), c.id, &patch, &no_effects)
        .await
        .ctx("update_component")?;
    ensure_eq(u.link, Some(url("http://example.org/")?), "link set again")?;
    ensure_eq(u.group_id, Some(g.id), "group set again")?;
    ensure_eq(&u.name, &expected.name, "fields not in the patch stay")?;

    store
        .delete_component(cx(30), c.id, &no_effects)
        .await
        .ctx("delete_component")?;
    ensure_err(
        store.component(c.id).await,
        ErrorKind::NotFound,
        "component after delete",
    )?;
    ensure_err(
        store.delete_component(cx(31), c.id, &no_effects).await,
        ErrorKind::NotFound,
        "second delete",
    )?;
    ensure_err(
        store
            .update_component(cx(31), c.id, &ComponentPatch::default(), &no_effects)
            .await,
        ErrorKind::NotFound,
        "update after delete",
    )?;
    ensure_eq(
        store
            .components(&ComponentQuery::all())
            .await
            .ctx("components")?
            .total,
        0,
        "components total after delete",
    )?;
    Ok(())
}

/// Tags come back sorted by slug with duplicates merged; a patch replaces the set; meta
/// objects (nested, Unicode) round-trip.
pub async fn component_tags_and_meta(store: &dyn Store) -> Result<(), Failure> {
    let tag = |s: &str, n: &str| -> Result<Tag, Failure> {
        Ok(Tag {
            slug: slug(s)?,
            name: name(n)?,
        })
    };
    let mut new = new_component("Database")?;
    new.tags = vec![
        tag("web", "Web")?,
        tag("db", "Databases")?,
        tag("web", "Web")?,
    ];
    new.meta =
        meta(json!({"owner": {"team": "データ", "pager": [1, 2, 3]}, "on": true, "نص": "مرحبا"}))?;
    let c = store
        .create_component(cx(0), &new, &no_effects)
        .await
        .ctx("create_component")?;
    let slugs = |c: &Component| {
        c.tags
            .iter()
            .map(|t| t.slug.as_str().to_owned())
            .collect::<Vec<_>>()
    };
    ensure_eq(
        slugs(&c),
        vec!["db".to_owned(), "web".to_owned()],
        "tags sorted by slug, duplicates merged",
    )?;
    ensure_eq(
        &c.tags[..1],
        &[tag("db", "Databases")?][..],
        "tag name kept",
    )?;
    ensure_eq(&c.meta, &new.meta, "meta round trip")?;
    let read = store.component(c.id).await.ctx("component")?;
    ensure_eq(&read, &c, "component with tags read back")?;

    let patch = ComponentPatch {
        tags: Some(vec![tag("zeta", "Zeta")?, tag("alpha", "Alpha")?]),
        ..ComponentPatch::default()
    };
    let u = store
        .update_component(cx(10), c.id, &patch, &no_effects)
        .await
        .ctx("update_component")?;
    ensure_eq(
        slugs(&u),
        vec!["alpha".to_owned(), "zeta".to_owned()],
        "patched tags replace the set",
    )?;
    ensure_eq(&u.meta, &new.meta, "meta untouched by a tags patch")?;
    let patch = ComponentPatch {
        tags: Some(Vec::new()),
        ..ComponentPatch::default()
    };
    let u = store
        .update_component(cx(20), c.id, &patch, &no_effects)
        .await
        .ctx("update_component")?;
    ensure(u.tags.is_empty(), "an empty tag patch removes every tag")?;
    ensure_eq(
        store.component(c.id).await.ctx("component")?,
        u,
        "tagless component read back",
    )?;
    let q = ComponentQuery::filtered(ComponentFilter {
        tags_any: vec![slug("alpha")?],
        ..ComponentFilter::default()
    });
    ensure_eq(
        store.components(&q).await.ctx("components")?.total,
        0,
        "removed tags no longer match",
    )?;
    Ok(())
}

struct ComponentSet {
    c: Vec<Component>,
    g1: GroupId,
    g2: GroupId,
}

async fn component_set(store: &dyn Store) -> Result<ComponentSet, Failure> {
    let g1 = store
        .create_group(cx(0), &new_group("One")?, &no_effects)
        .await
        .ctx("create_group")?
        .id;
    let g2 = store
        .create_group(cx(0), &new_group("Two")?, &no_effects)
        .await
        .ctx("create_group")?
        .id;
    let tag = |s: &str| -> Result<Tag, Failure> {
        Ok(Tag {
            slug: slug(s)?,
            name: name(s)?,
        })
    };
    let specs = [
        (
            "alpha",
            ComponentStatus::Operational,
            1,
            Some(g1),
            true,
            vec![tag("db")?],
        ),
        (
            "bravo",
            ComponentStatus::MajorOutage,
            2,
            Some(g1),
            false,
            vec![tag("web")?, tag("db")?],
        ),
        (
            "charlie",
            ComponentStatus::Operational,
            1,
            None,
            true,
            Vec::new(),
        ),
        (
            "delta",
            ComponentStatus::PartialOutage,
            3,
            Some(g2),
            true,
            vec![tag("web")?],
        ),
        ("bravo", ComponentStatus::Unknown, 2, None, true, Vec::new()),
    ];
    let mut c = Vec::new();
    for (i, (n, status, o, group_id, enabled, tags)) in specs.into_iter().enumerate() {
        let new = NewComponent {
            status,
            order: order(o)?,
            group_id,
            enabled,
            tags,
            ..new_component(n)?
        };
        // created in a shuffled time order so created_at does not follow id
        let t = [30, 10, 50, 20, 40][i];
        c.push(
            store
                .create_component(cx(t), &new, &no_effects)
                .await
                .ctx("create_component")?,
        );
    }
    Ok(ComponentSet { c, g1, g2 })
}

/// Every [`ComponentFilter`] field, alone and combined; natural order is `order`, then id.
pub async fn component_filters(store: &dyn Store) -> Result<(), Failure> {
    let ComponentSet { c, g1, g2 } = component_set(store).await?;
    let id = |x: &Component| x.id.get();
    let q = |filter: ComponentFilter| ComponentQuery::filtered(filter);
    let cases: Vec<(&str, ComponentFilter, Vec<usize>)> = vec![
        ("no filter", ComponentFilter::default(), vec![0, 2, 1, 4, 3]),
        (
            "id",
            ComponentFilter {
                id: Some(c[1].id),
                ..Default::default()
            },
            vec![1],
        ),
        (
            "unknown id",
            ComponentFilter {
                id: Some(ComponentId(i64::MAX)),
                ..Default::default()
            },
            vec![],
        ),
        (
            "name",
            ComponentFilter {
                name: Some(name("bravo")?),
                ..Default::default()
            },
            vec![1, 4],
        ),
        (
            "status",
            ComponentFilter {
                status: Some(ComponentStatus::Operational),
                ..Default::default()
            },
            vec![0, 2],
        ),
        (
            "order",
            ComponentFilter {
                order: Some(order(2)?),
                ..Default::default()
            },
            vec![1, 4],
        ),
        (
            "ungrouped",
            ComponentFilter {
                group_id: Some(None),
                ..Default::default()
            },
            vec![2, 4],
        ),
        (
            "group",
            ComponentFilter {
                group_id: Some(Some(g1)),
                ..Default::default()
            },
            vec![0, 1],
        ),
        (
            "other group",
            ComponentFilter {
                group_id: Some(Some(g2)),
                ..Default::default()
            },
            vec![3],
        ),
        (
            "enabled",
            ComponentFilter {
                enabled: Some(false),
                ..Default::default()
            },
            vec![1],
        ),
        (
            "one tag",
            ComponentFilter {
                tags_any: vec![slug("web")?],
                ..Default::default()
            },
            vec![1, 3],
        ),
        (
            "any of two tags",
            ComponentFilter {
                tags_any: vec![slug("db")?, slug("web")?],
                ..Default::default()
            },
            vec![0, 1, 3],
        ),
        (
            "unknown tag",
            ComponentFilter {
                tags_any: vec![slug("nope")?],
                ..Default::default()
            },
            vec![],
        ),
        (
            "status and group",
            ComponentFilter {
                status: Some(ComponentStatus::Operational),
                group_id: Some(Some(g1)),
                ..Default::default()
            },
            vec![0],
        ),
        (
            "tag and enabled",
            ComponentFilter {
                tags_any: vec![slug("web")?],
                enabled: Some(true),
                ..Default::default()
            },
            vec![3],
        ),
    ];
    for (what, filter, want) in cases {
        let page = store.components(&q(filter)).await.ctx(what)?;
        let want: Vec<i64> = want.iter().map(|i| c[*i].id.get()).collect();
        ensure_filtered(&page, id, &want, "components", what)?;
    }
    Ok(())
}

/// Every [`ComponentSort`] field in both directions, ties broken by ascending id; `None` group sorts first ascending.
pub async fn component_sorts(store: &dyn Store) -> Result<(), Failure> {
    let ComponentSet { c, .. } = component_set(store).await?;
    // give updated_at an order of its own
    for (i, t) in [(3usize, 60), (0, 70), (4, 80)] {
        let patch = ComponentPatch {
            enabled: Some(true),
            ..ComponentPatch::default()
        };
        store
            .update_component(cx(t), c[i].id, &patch, &no_effects)
            .await
            .ctx("update_component")?;
    }
    for field in ComponentSort::ALL {
        for dir in [Direction::Asc, Direction::Desc] {
            let page = store
                .components(&ComponentQuery::all().sorted(*field, dir))
                .await
                .ctx("components sorted")?;
            ensure_eq(page.items.len(), c.len(), "every component listed")?;
            let key = |x: &Component| match field {
                ComponentSort::Id => Key::Int(x.id.get()),
                ComponentSort::Name => Key::Str(x.name.as_str().to_owned()),
                ComponentSort::Status => Key::Int(i64::from(x.status.code())),
                ComponentSort::Order => Key::Int(i64::from(x.order.get())),
                ComponentSort::GroupId => Key::Opt(x.group_id.map(GroupId::get)),
                ComponentSort::Enabled => Key::Int(i64::from(x.enabled)),
                ComponentSort::CreatedAt => Key::Time(x.created_at),
                ComponentSort::UpdatedAt => Key::Time(x.updated_at),
            };
            ensure_sorted(
                &page.items,
                key,
                |x| x.id.get(),
                dir,
                &format!("components by {}", field.name()),
            )?;
        }
    }
    Ok(())
}

/// An unknown group is `Invalid` on create and update, and nothing is written (no row, no
/// history, no effects, no revision bump).
pub async fn component_unknown_group_is_invalid(store: &dyn Store) -> Result<(), Failure> {
    let rev = revision(store).await?;
    let mut new = new_component("Orphan")?;
    new.group_id = Some(GroupId(987_654));
    let fx = |c: &Component| effects_for(EntityKind::Component, c.id.get(), at(0));
    ensure_err(
        store.create_component(cx(0), &new, &fx).await,
        ErrorKind::Invalid,
        "create with an unknown group",
    )?;
    ensure_eq(
        store
            .components(&ComponentQuery::all())
            .await
            .ctx("components")?
            .total,
        0,
        "no component written",
    )?;
    ensure_eq(
        effect_counts(store).await?,
        (0, 0),
        "no audit or outbox rows",
    )?;
    ensure_eq(
        revision(store).await?,
        rev,
        "revision unchanged by a refused write",
    )?;

    let c = component(store, "Kept", 10).await?;
    let patch = ComponentPatch {
        name: Some(name("Renamed")?),
        group_id: Some(Some(GroupId(987_654))),
        ..ComponentPatch::default()
    };
    let fx = |c: &Changed<Component>| effects_for(EntityKind::Component, c.after.id.get(), at(20));
    ensure_err(
        store.update_component(cx(20), c.id, &patch, &fx).await,
        ErrorKind::Invalid,
        "update to an unknown group",
    )?;
    ensure_eq(
        store.component(c.id).await.ctx("component")?,
        c,
        "component unchanged by a refused update",
    )?;
    ensure_eq(
        effect_counts(store).await?,
        (0, 0),
        "no audit or outbox rows after the refused update",
    )?;
    Ok(())
}

/// Creating a component writes exactly one history entry: no old status, the new status,
/// the cause, at the write's time.
pub async fn status_history_on_create(store: &dyn Store) -> Result<(), Failure> {
    let u = user(store, "Operator", "op@example.com", 0).await?;
    let mut new = new_component("API")?;
    new.status = ComponentStatus::PartialOutage;
    new.cause = StatusCause {
        kind: StatusCauseKind::Manual,
        user_id: Some(u.id),
        incident_id: None,
        schedule_id: None,
    };
    let c = store
        .create_component(cx(10), &new, &no_effects)
        .await
        .ctx("create_component")?;
    let h = store
        .status_history(c.id, at(-1000))
        .await
        .ctx("status_history")?;
    ensure_eq(h.len(), 1, "one history entry after create")?;
    ensure_eq(h[0].component_id, c.id, "history component")?;
    ensure_eq(h[0].old_status, None, "first entry has no old status")?;
    ensure_eq(
        h[0].new_status,
        ComponentStatus::PartialOutage,
        "first entry's status",
    )?;
    ensure_eq(h[0].cause, new.cause, "first entry's cause")?;
    ensure_eq(h[0].at, at(10), "first entry's time")?;
    Ok(())
}

/// A status change records old, new and the patch's cause; the same status, or a patch
/// without status, records nothing.
pub async fn status_history_records_changes(store: &dyn Store) -> Result<(), Failure> {
    let u = user(store, "Operator", "op@example.com", 0).await?;
    let c = component(store, "API", 10).await?;
    let same = ComponentPatch {
        status: Some(ComponentStatus::Operational),
        name: Some(name("API v2")?),
        ..ComponentPatch::default()
    };
    store
        .update_component(cx(20), c.id, &same, &no_effects)
        .await
        .ctx("update with the same status")?;
    let cause = StatusCause {
        kind: StatusCauseKind::Api,
        user_id: Some(u.id),
        incident_id: None,
        schedule_id: None,
    };
    let change = ComponentPatch {
        status: Some(ComponentStatus::MajorOutage),
        cause,
        ..ComponentPatch::default()
    };
    let after = store
        .update_component(cx(30), c.id, &change, &no_effects)
        .await
        .ctx("update status")?;
    ensure_eq(after.status, ComponentStatus::MajorOutage, "status changed")?;
    let other = ComponentPatch {
        enabled: Some(false),
        ..ComponentPatch::default()
    };
    store
        .update_component(cx(40), c.id, &other, &no_effects)
        .await
        .ctx("update without status")?;
    let h = store
        .status_history(c.id, at(0))
        .await
        .ctx("status_history")?;
    ensure_eq(h.len(), 2, "history entries: create and the one change")?;
    ensure_eq(
        h[1].old_status,
        Some(ComponentStatus::Operational),
        "old status recorded",
    )?;
    ensure_eq(
        h[1].new_status,
        ComponentStatus::MajorOutage,
        "new status recorded",
    )?;
    ensure_eq(h[1].cause, cause, "cause recorded")?;
    ensure_eq(h[1].at, at(30), "change time recorded")?;
    ensure(h[0].id != h[1].id, "history entries have distinct ids")?;
    Ok(())
}

/// `status_history(id, since)` returns the entries at or after `since`, oldest first, led by
/// the last entry before `since`.
pub async fn status_history_since_includes_prior_entry(store: &dyn Store) -> Result<(), Failure> {
    let c = component(store, "API", 10).await?;
    let steps = [
        (20, ComponentStatus::PerformanceIssues),
        (30, ComponentStatus::MajorOutage),
        (40, ComponentStatus::Operational),
    ];
    for (t, s) in steps {
        let patch = ComponentPatch {
            status: Some(s),
            ..ComponentPatch::default()
        };
        store
            .update_component(cx(t), c.id, &patch, &no_effects)
            .await
            .ctx("update status")?;
    }
    let times = |h: Vec<StatusChange>| h.into_iter().map(|e| e.at).collect::<Vec<_>>();
    let cases = [
        (5, vec![10, 20, 30, 40]),
        (10, vec![10, 20, 30, 40]),
        (25, vec![20, 30, 40]),
        (30, vec![20, 30, 40]),
        (31, vec![30, 40]),
        (45, vec![40]),
    ];
    for (since, want) in cases {
        let h = store
            .status_history(c.id, at(since))
            .await
            .ctx("status_history")?;
        ensure_eq(
            times(h),
            want.into_iter().map(at).collect(),
            format!("history since T0+{since}s"),
        )?;
    }
    let other = component(store, "Other", 50).await?;
    let h = store
        .status_history(other.id, at(0))
        .await
        .ctx("status_history")?;
    ensure_eq(times(h), vec![at(50)], "history is per component")?;
    Ok(())
}

/// Deleting a component removes its subscriptions (a subscriber left with none becomes
/// global), its rows in incidents and schedules, its history and its tags.
pub async fn delete_component_cascades(store: &dyn Store) -> Result<(), Failure> {
    let mut new = new_component("Doomed")?;
    new.tags = vec![Tag {
        slug: slug("doomed")?,
        name: name("Doomed")?,
    }];
    let c1 = store
        .create_component(cx(0), &new, &no_effects)
        .await
        .ctx("create_component")?;
    let c2 = component(store, "Survivor", 1).await?;
    let s1 = subscriber(store, 1, vec![c1.id], 2).await?;
    let s2 = subscriber(store, 2, vec![c1.id, c2.id], 3).await?;
    let s1_subs = store
        .subscriptions_of(s1.id)
        .await
        .ctx("subscriptions_of")?;
    let mut ni = new_incident("Outage", at(4))?;
    ni.components = vec![
        AffectedComponent {
            component_id: c1.id,
            status: ComponentStatus::MajorOutage,
        },
        AffectedComponent {
            component_id: c2.id,
            status: ComponentStatus::PartialOutage,
        },
    ];
    let i = store
        .create_incident(cx(4), &ni, &no_effects)
        .await
        .ctx("create_incident")?;
    let mut ns = new_schedule("Work", at(100))?;
    ns.components = vec![c1.id, c2.id];
    let sc = store
        .create_schedule(cx(5), &ns, &no_effects)
        .await
        .ctx("create_schedule")?;

    store
        .delete_component(cx(10), c1.id, &no_effects)
        .await
        .ctx("delete_component")?;

    let s1 = store.subscriber(s1.id).await.ctx("subscriber")?;
    ensure(
        s1.global,
        "a subscriber left without subscriptions becomes global",
    )?;
    ensure_eq(s1.components, vec![], "no components left")?;
    ensure_eq(
        store
            .subscriptions_of(s1.id)
            .await
            .ctx("subscriptions_of")?,
        vec![],
        "subscriptions gone",
    )?;
    for sub in s1_subs {
        ensure_err(
            store.subscription(sub.id).await,
            ErrorKind::NotFound,
            "subscription to a deleted component",
        )?;
    }
    let s2 = store.subscriber(s2.id).await.ctx("subscriber")?;
    ensure(
        !s2.global,
        "a subscriber with other subscriptions stays specific",
    )?;
    ensure_eq(s2.components, vec![c2.id], "the other subscription stays")?;

    let i = store.incident(i.id).await.ctx("incident")?;
    ensure_eq(
        i.components,
        vec![AffectedComponent {
            component_id: c2.id,
            status: ComponentStatus::PartialOutage,
        }],
        "incident keeps only the surviving component",
    )?;
    let q = IncidentQuery::filtered(IncidentFilter {
        component_id: Some(c1.id),
        ..IncidentFilter::default()
    });
    ensure_eq(
        store.incidents(&q).await.ctx("incidents")?.total,
        0,
        "no incident affects the deleted component",
    )?;
    let sc = store.schedule(sc.id).await.ctx("schedule")?;
    ensure_eq(
        sc.components,
        vec![c2.id],
        "schedule keeps only the surviving component",
    )?;
    match store.status_history(c1.id, at(-1000)).await {
        Ok(h) => ensure(
            h.is_empty(),
            format!("history of a deleted component is gone, got {h:?}"),
        )?,
        Err(e) => ensure(
            e.is_not_found(),
            format!("history of a deleted component: {e}"),
        )?,
    }
    let q = ComponentQuery::filtered(ComponentFilter {
        tags_any: vec![slug("doomed")?],
        ..ComponentFilter::default()
    });
    ensure_eq(
        store.components(&q).await.ctx("components")?.total,
        0,
        "tags of a deleted component gone",
    )?;
    ensure_eq(
        store
            .status_history(c2.id, at(-1000))
            .await
            .ctx("status_history")?
            .len(),
        1,
        "other history intact",
    )?;
    Ok(())
}

/// Create, read, list, update and delete a group.
pub async fn groups_crud(store: &dyn Store) -> Result<(), Failure> {
    let new = NewComponentGroup {
        name: name("Infrastructure")?,
        order: order(7)?,
        collapsed: Collapsed::CollapsedUnlessIncident,
        visible: GroupVisibility::Authenticated,
    };
    let g = store
        .create_group(cx(10), &new, &no_effects)
        .await
        .ctx("create_group")?;
    let expected = ComponentGroup {
        id: g.id,
        name: new.name.clone(),
        order: new.order,
        collapsed: new.collapsed,
        visible: new.visible,
        created_at: at(10),
        updated_at: at(10),
    };
    ensure_eq(&g, &expected, "created group")?;
    ensure_eq(
        store.group(g.id).await.ctx("group")?,
        expected.clone(),
        "group read back",
    )?;
    let page = store.groups(&GroupQuery::all()).await.ctx("groups")?;
    ensure_eq(
        (page.items, page.total),
        (vec![expected.clone()], 1),
        "groups list",
    )?;
    let patch = ComponentGroupPatch {
        name: Some(name("Infra")?),
        order: Some(order(-1)?),
        collapsed: Some(Collapsed::Expanded),
        visible: Some(GroupVisibility::Public),
    };
    let u = store
        .update_group(cx(20), g.id, &patch, &no_effects)
        .await
        .ctx("update_group")?;
    let expected = ComponentGroup {
        name: name("Infra")?,
        order: order(-1)?,
        collapsed: Collapsed::Expanded,
        visible: GroupVisibility::Public,
        updated_at: at(20),
        ..expected
    };
    ensure_eq(&u, &expected, "updated group")?;
    ensure_eq(
        store.group(g.id).await.ctx("group")?,
        expected,
        "updated group read back",
    )?;
    store
        .delete_group(cx(30), g.id, &no_effects)
        .await
        .ctx("delete_group")?;
    ensure_err(
        store.group(g.id).await,
        ErrorKind::NotFound,
        "group after delete",
    )?;
    ensure_err(
        store.delete_group(cx(31), g.id, &no_effects).await,
        ErrorKind::NotFound,
        "second delete",
    )?;
    ensure_err(
        store
            .update_group(cx(31), g.id, &ComponentGroupPatch::default(), &no_effects)
            .await,
        ErrorKind::NotFound,
        "update after delete",
    )?;
    Ok(())
}

/// Every [`GroupFilter`] field; natural order `order`, then id; every [`GroupSort`] field in
/// both directions.
pub async fn group_filters_and_sorts(store: &dyn Store) -> Result<(), Failure> {
    let specs = [
        ("alpha", 2, Collapsed::Expanded, GroupVisibility::Public, 30),
        (
            "bravo",
            1,
            Collapsed::Collapsed,
            GroupVisibility::Authenticated,
            10,
        ),
        (
            "charlie",
            2,
            Collapsed::Collapsed,
            GroupVisibility::Public,
            20,
        ),
        (
            "bravo",
            3,
            Collapsed::CollapsedUnlessIncident,
            GroupVisibility::Public,
            40,
        ),
    ];
    let mut g = Vec::new();
    for (n, o, collapsed, visible, t) in specs {
        let new = NewComponentGroup {
            name: name(n)?,
            order: order(o)?,
            collapsed,
            visible,
        };
        g.push(
            store
                .create_group(cx(t), &new, &no_effects)
                .await
                .ctx("create_group")?,
        );
    }
    let patch = ComponentGroupPatch {
        order: Some(order(3)?),
        ..ComponentGroupPatch::default()
    };
    g[3] = store
        .update_group(cx(50), g[3].id, &patch, &no_effects)
        .await
        .ctx("update_group")?;
    g[1] = store
        .update_group(
            cx(60),
            g[1].id,
            &ComponentGroupPatch {
                order: Some(order(1)?),
                ..Default::default()
            },
            &no_effects,
        )
        .await
        .ctx("update_group")?;
    let cases: Vec<(&str, GroupFilter, Vec<usize>)> = vec![
        ("nothing", GroupFilter::default(), vec![1, 0, 2, 3]),
        (
            "id",
            GroupFilter {
                id: Some(g[2].id),
                ..Default::default()
            },
            vec![2],
        ),
        (
            "name",
            GroupFilter {
                name: Some(name("bravo")?),
                ..Default::default()
            },
            vec![1, 3],
        ),
        (
            "order",
            GroupFilter {
                order: Some(order(2)?),
                ..Default::default()
            },
            vec![0, 2],
        ),
        (
            "collapsed",
            GroupFilter {
                collapsed: Some(Collapsed::Collapsed),
                ..Default::default()
            },
            vec![1, 2],
        ),
        (
            "visible",
            GroupFilter {
                visible: Some(GroupVisibility::Authenticated),
                ..Default::default()
            },
            vec![1],
        ),
        (
            "visible and collapsed",
            GroupFilter {
                visible: Some(GroupVisibility::Public),
                collapsed: Some(Collapsed::Collapsed),
                ..Default::default()
            },
            vec![2],
        ),
    ];
    for (what, filter, want) in cases {
        let page = store
            .groups(&GroupQuery::filtered(filter))
            .await
            .ctx(what)?;
        let want: Vec<i64> = want.iter().map(|i| g[*i].id.get()).collect();
        ensure_filtered(&page, |x| x.id.get(), &want, "groups", what)?;
    }
    for field in GroupSort::ALL {
        for dir in [Direction::Asc, Direction::Desc] {
            let page = store
                .groups(&GroupQuery::all().sorted(*field, dir))
                .await
                .ctx("groups sorted")?;
            ensure_eq(page.items.len(), g.len(), "every group listed")?;
            let key = |x: &ComponentGroup| match field {
                GroupSort::Id => Key::Int(x.id.get()),
                GroupSort::Name => Key::Str(x.name.as_str().to_owned()),
                GroupSort::Order => Key::Int(i64::from(x.order.get())),
                GroupSort::Collapsed => Key::Int(i64::from(x.collapsed.code())),
                GroupSort::Visible => Key::Int(i64::from(x.visible.code())),
                GroupSort::CreatedAt => Key::Time(x.created_at),
                GroupSort::UpdatedAt => Key::Time(x.updated_at),
            };
            ensure_sorted(
                &page.items,
                key,
                |x| x.id.get(),
                dir,
                &format!("groups by {}", field.name()),
            )?;
        }
    }
    Ok(())
}

/// Deleting a group ungroups its components and leaves them otherwise as they were.
pub async fn delete_group_ungroups_components(store: &dyn Store) -> Result<(), Failure> {
    let g = store
        .create_group(cx(0), &new_group("Doomed")?, &no_effects)
        .await
        .ctx("create_group")?;
    let other = store
        .create_group(cx(0), &new_group("Other")?, &no_effects)
        .await
        .ctx("create_group")?;
    let mut created = Vec::new();
    for (n, group) in [("a", g.id), ("b", g.id), ("c", other.id)] {
        let mut new = new_component(n)?;
        new.group_id = Some(group);
        created.push(
            store
                .create_component(cx(1), &new, &no_effects)
                .await
                .ctx("create_component")?,
        );
    }
    store
        .delete_group(cx(10), g.id, &no_effects)
        .await
        .ctx("delete_group")?;
    for c in &created[..2] {
        let now = store.component(c.id).await.ctx("component")?;
        ensure_eq(
            now.group_id,
            None,
            "component of a deleted group is ungrouped",
        )?;
        ensure_eq(
            (&now.name, now.status, now.order),
            (&c.name, c.status, c.order),
            "component otherwise intact",
        )?;
    }
    ensure_eq(
        store
            .component(created[2].id)
            .await
            .ctx("component")?
            .group_id,
        Some(other.id),
        "other group untouched",
    )?;
    let q = ComponentQuery::filtered(ComponentFilter {
        group_id: Some(None),
        ..ComponentFilter::default()
    });
    ensure_eq(
        ids(&store.components(&q).await.ctx("components")?.items, |c| {
            c.id.get()
        }),
        vec![created[0].id.get(), created[1].id.get()],
        "ungrouped filter",
    )?;
    ensure_eq(
        store.groups(&GroupQuery::all()).await.ctx("groups")?.total,
        1,
        "one group left",
    )?;
    Ok(())
}
