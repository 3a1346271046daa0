//! Incident filters and sorts over one shared set of incidents.

use super::*;

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
        ensure_filtered(&page, |x| x.id.get(), &want, "incidents", what)?;
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
