//! Maintenance schedules and their updates: CRUD, compare-and-set, filters and sorts.

use super::*;

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
        ensure_filtered(&page, |x| x.id.get(), &want, "schedules", what)?;
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
