//! Cross-cutting rules: unknown ids, atomicity and effects, the revision, paging, concurrency,
//! Unicode, limits, timestamps and property-based round trips.

use std::collections::BTreeSet;

use chrono::TimeDelta;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::json;

use super::*;
use crate::clock::from_micros;
use crate::testing::{ErrorKind, ensure, ensure_err, strategies};

const NOPE: i64 = 987_654;

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

struct Rev {
    last: u64,
}

impl Rev {
    async fn new(store: &dyn Store) -> Result<Self, Failure> {
        Ok(Self {
            last: revision(store).await?,
        })
    }

    #[track_caller]
    fn bumped_from(&mut self, now: u64, what: &str) -> Result<(), Failure> {
        let last = self.last;
        self.last = now;
        ensure(
            now > last,
            format!("{what} must bump the revision (was {last}, now {now})"),
        )
    }

    #[track_caller]
    fn same_as(&self, now: u64, what: &str) -> Result<(), Failure> {
        ensure(
            now == self.last,
            format!(
                "{what} must not bump the revision (was {}, now {now})",
                self.last
            ),
        )
    }
}

/// Every write that changes public content (components, groups, incidents and their
/// updates, schedules and their updates, metrics and points, settings) increases the
/// revision.
pub async fn revision_bumps_on_content_writes(store: &dyn Store) -> Result<(), Failure> {
    let mut r = Rev::new(store).await?;
    macro_rules! bumps {
        ($what:literal, $e:expr) => {{
            let out = $e.await.ctx($what)?;
            let now = revision(store).await?;
            r.bumped_from(now, $what)?;
            out
        }};
    }
    let g = bumps!(
        "create_group",
        store.create_group(cx(1), &new_group("G")?, &no_effects)
    );
    bumps!(
        "update_group",
        store.update_group(
            cx(2),
            g.id,
            &ComponentGroupPatch {
                name: Some(name("G2")?),
                ..Default::default()
            },
            &no_effects
        )
    );
    let c = bumps!(
        "create_component",
        store.create_component(cx(3), &new_component("C")?, &no_effects)
    );
    let st = ComponentPatch {
        status: Some(ComponentStatus::MajorOutage),
        ..ComponentPatch::default()
    };
    bumps!(
        "update_component",
        store.update_component(cx(4), c.id, &st, &no_effects)
    );
    let i = bumps!(
        "create_incident",
        store.create_incident(cx(5), &new_incident("I", at(5))?, &no_effects)
    );
    bumps!(
        "update_incident",
        store.update_incident(
            cx(6),
            i.id,
            &IncidentPatch {
                stickied: Some(true),
                ..Default::default()
            },
            &no_effects
        )
    );
    let iu = bumps!(
        "create_incident_update",
        store.create_incident_update(
            cx(7),
            i.id,
            &new_update(IncidentStatus::Watching, "w")?,
            &no_effects
        )
    );
    bumps!(
        "update_incident_update",
        store.update_incident_update(
            cx(8),
            i.id,
            iu.id,
            &IncidentUpdatePatch {
                message: Some(md("w2")?),
                status: None
            },
            &no_effects
        )
    );
    bumps!(
        "delete_incident_update",
        store.delete_incident_update(cx(9), i.id, iu.id, &no_effects)
    );
    let s = bumps!(
        "create_schedule",
        store.create_schedule(cx(10), &new_schedule("S", at(100))?, &no_effects)
    );
    bumps!(
        "update_schedule",
        store.update_schedule(
            cx(11),
            s.id,
            &SchedulePatch {
                status: Some(ScheduleStatus::InProgress),
                ..Default::default()
            },
            &no_effects
        )
    );
    let su = bumps!(
        "create_schedule_update",
        store.create_schedule_update(
            cx(12),
            s.id,
            &NewScheduleUpdate {
                message: md("m")?,
                user_id: None
            },
            &no_effects
        )
    );
    bumps!(
        "delete_schedule_update",
        store.delete_schedule_update(cx(13), s.id, su.id, &no_effects)
    );
    let m = bumps!(
        "create_metric",
        store.create_metric(cx(14), &new_metric("M")?, &no_effects)
    );
    bumps!(
        "update_metric",
        store.update_metric(
            cx(15),
            m.id,
            &MetricPatch {
                places: Some(Places::new(1)?),
                ..Default::default()
            },
            &no_effects
        )
    );
    let p = bumps!(
        "record_metric_point",
        store.record_metric_point(cx(16), m.id, &new_point(7, at(16), None)?, &no_effects)
    );
    bumps!(
        "record_metric_point (merge)",
        store.record_metric_point(
            cx(17),
            m.id,
            &new_point(7, at(17), Some(at(0)))?,
            &no_effects
        )
    );
    bumps!(
        "update_metric_point",
        store.update_metric_point(cx(18), m.id, p.id, value(8)?, None, &no_effects)
    );
    bumps!(
        "delete_metric_point",
        store.delete_metric_point(cx(19), m.id, p.id, &no_effects)
    );
    bumps!(
        "put_settings",
        store.put_settings(
            cx(20),
            &[(SettingKey::AppName, "Acme".to_owned())],
            &Effects::none()
        )
    );
    bumps!(
        "delete_schedule",
        store.delete_schedule(cx(21), s.id, &no_effects)
    );
    bumps!(
        "delete_metric",
        store.delete_metric(cx(22), m.id, &no_effects)
    );
    bumps!(
        "delete_incident",
        store.delete_incident(cx(23), i.id, &no_effects)
    );
    bumps!(
        "delete_component",
        store.delete_component(cx(24), c.id, &no_effects)
    );
    bumps!(
        "delete_group",
        store.delete_group(cx(25), g.id, &no_effects)
    );
    Ok(())
}

/// Security bookkeeping never bumps the revision: sessions, throttling, one-time tokens,
/// lone audit entries, token last use, and outbox progress.
pub async fn revision_ignores_security_bookkeeping(store: &dyn Store) -> Result<(), Failure> {
    let u = user(store, "Ada", "ada@example.com", 0).await?;
    let token = store
        .create_api_token(cx(0), &new_api_token(u.id, 9)?, &no_effects)
        .await
        .ctx("create_api_token")?;
    let e1 = store
        .enqueue(cx(0), &new_event(EventKind::TestMail, at(0), 1))
        .await
        .ctx("enqueue")?;
    let e2 = store
        .enqueue(cx(0), &new_event(EventKind::TestMail, at(0), 2))
        .await
        .ctx("enqueue")?;
    let r = Rev::new(store).await?;
    macro_rules! quiet {
        ($what:literal, $e:expr) => {{
            let out = $e.await.ctx($what)?;
            let now = revision(store).await?;
            r.same_as(now, $what)?;
            out
        }};
    }
    let s = quiet!(
        "create_session",
        store.create_session(cx(1), &new_session(u.id, 1, at(100)))
    );
    quiet!(
        "update_session",
        store.update_session(
            s.id,
            &SessionPatch {
                last_seen_at: Some(at(2)),
                ..Default::default()
            }
        )
    );
    quiet!("session_by_hash", store.session_by_hash(&hash(1)));
    quiet!("delete_session", store.delete_session(s.id));
    quiet!(
        "create_session",
        store.create_session(cx(3), &new_session(u.id, 2, at(4)))
    );
    quiet!(
        "delete_expired_sessions",
        store.delete_expired_sessions(at(5))
    );
    quiet!(
        "create_session",
        store.create_session(cx(6), &new_session(u.id, 3, at(100)))
    );
    quiet!("delete_sessions_of", store.delete_sessions_of(u.id, None));
    let th = ThrottleState {
        key: "ip:192.0.2.1".to_owned(),
        failures: 3,
        last_failure_at: at(7),
        locked_until: Some(at(60)),
    };
    quiet!("save_throttle", store.save_throttle(&th));
    quiet!("clear_throttle", store.clear_throttle("ip:192.0.2.1"));
    quiet!(
        "create_one_time_token",
        store.create_one_time_token(cx(8), &new_ott(TokenPurpose::Verification, 4, at(100)))
    );
    quiet!(
        "peek_one_time_token",
        store.peek_one_time_token(TokenPurpose::Verification, &hash(4), at(9))
    );
    quiet!(
        "consume_one_time_token",
        store.consume_one_time_token(TokenPurpose::Verification, &hash(4), at(9))
    );
    quiet!("prune_one_time_tokens", store.prune_one_time_tokens(at(10)));
    quiet!(
        "append_audit",
        store.append_audit(&new_audit(
            at(11),
            AuditAction::LoginFailure,
            EntityKind::User,
            None
        )?)
    );
    quiet!(
        "update_api_token (last use)",
        store.update_api_token(
            cx(12),
            token.id,
            &ApiTokenPatch {
                last_used_at: Some(at(12)),
                ..Default::default()
            },
            &no_effects
        )
    );
    quiet!(
        "claim_outbox_events",
        store.claim_outbox_events("d", at(13), at(60), 10)
    );
    quiet!(
        "complete_outbox_event",
        store.complete_outbox_event(cx(14), e1.id, "d", &[new_delivery("k1")])
    );
    quiet!(
        "fail_outbox_event",
        store.fail_outbox_event(e2.id, "d", "boom", None)
    );
    let d = quiet!(
        "claim_deliveries",
        store.claim_deliveries("d", at(15), at(60), 10)
    );
    let d = d
        .first()
        .map(|d| d.id)
        .ok_or_else(|| Failure::new("a delivery to claim"))?;
    quiet!(
        "record_delivery_attempt",
        store.record_delivery_attempt(
            d,
            "d",
            &NewDeliveryAttempt {
                at: at(16),
                result: AttemptResult::Delivered
            }
        )
    );
    quiet!("prune_outbox", store.prune_outbox(at(1000)));
    Ok(())
}

/// Paging edges: pages past the end are empty but carry the total; `per_page` 1; an exact
/// multiple; `total_pages`; the request is echoed (clamped); totals count filtered rows.
pub async fn paging_edges(store: &dyn Store) -> Result<(), Failure> {
    let empty = store
        .components(&ComponentQuery::all())
        .await
        .ctx("components")?;
    ensure_eq(
        (empty.items.len(), empty.total, empty.total_pages()),
        (0, 0, 1),
        "an empty list",
    )?;
    let mut c = Vec::new();
    for n in ["a", "b", "c", "d", "e"] {
        c.push(component(store, n, 0).await?.id.get());
    }
    let cases: [(u32, u32, &[usize], u64); 11] = [
        (1, 2, &[0, 1], 3),
        (2, 2, &[2, 3], 3),
        (3, 2, &[4], 3),
        (4, 2, &[], 3),
        (100, 2, &[], 3),
        (5, 1, &[4], 5),
        (6, 1, &[], 5),
        (1, 5, &[0, 1, 2, 3, 4], 1),
        (2, 5, &[], 1),
        (1, 1000, &[0, 1, 2, 3, 4], 1),
        (0, 0, &[0], 5),
    ];
    for (page, per, want, pages) in cases {
        let req = PageRequest::new(page, per);
        let got = store
            .components(&ComponentQuery::all().paged(req))
            .await
            .ctx("components")?;
        let what = format!("page {page} of {per}");
        ensure_eq(
            ids(&got.items, |x| x.id.get()),
            want.iter().map(|i| c[*i]).collect(),
            &what,
        )?;
        ensure_eq(
            (got.total, got.total_pages(), got.request),
            (5, pages, req),
            &what,
        )?;
    }
    let q = ComponentQuery::all()
        .sorted(ComponentSort::Id, Direction::Desc)
        .paged(PageRequest::new(2, 2));
    ensure_eq(
        ids(&store.components(&q).await.ctx("components")?.items, |x| {
            x.id.get()
        }),
        vec![c[2], c[1]],
        "a sorted page",
    )?;
    let q = ComponentQuery::filtered(ComponentFilter {
        id: Some(ComponentId(c[3])),
        ..ComponentFilter::default()
    })
    .paged(PageRequest::new(2, 1));
    let got = store.components(&q).await.ctx("components")?;
    ensure_eq(
        (got.items.len(), got.total),
        (0, 1),
        "total counts the filtered rows, not the page",
    )?;
    Ok(())
}

/// Walking a list page by page with many ties yields every row exactly once, in the order of
/// the single-page list.
pub async fn paging_is_stable_across_ties(store: &dyn Store) -> Result<(), Failure> {
    let statuses = [
        ComponentStatus::Operational,
        ComponentStatus::MajorOutage,
        ComponentStatus::PartialOutage,
    ];
    for n in 0..13u8 {
        let new = NewComponent {
            status: statuses[usize::from(n % 3)],
            order: order(i64::from(n % 2))?,
            ..new_component(&format!("c{}", n % 4))?
        };
        store
            .create_component(cx(i64::from(n % 5)), &new, &no_effects)
            .await
            .ctx("create_component")?;
    }
    let sorts: Vec<Option<(ComponentSort, Direction)>> = vec![
        None,
        Some((ComponentSort::Status, Direction::Asc)),
        Some((ComponentSort::Status, Direction::Desc)),
        Some((ComponentSort::Name, Direction::Desc)),
        Some((ComponentSort::CreatedAt, Direction::Asc)),
    ];
    for sort in sorts {
        let base = ComponentQuery {
            sort,
            ..ComponentQuery::all()
        };
        let whole = ids(
            &store.components(&base).await.ctx("components")?.items,
            |x| x.id.get(),
        );
        let mut walked = Vec::new();
        for page in 1..=5 {
            let q = ComponentQuery {
                page: PageRequest::new(page, 4),
                ..base.clone()
            };
            walked.extend(ids(
                &store.components(&q).await.ctx("components")?.items,
                |x| x.id.get(),
            ));
        }
        ensure_eq(&walked, &whole, format!("pages of 4 in {sort:?}"))?;
        ensure_eq(
            walked.iter().collect::<BTreeSet<_>>().len(),
            13,
            format!("no row twice in {sort:?}"),
        )?;
    }
    Ok(())
}

/// Concurrent writes: 16 creates get 16 distinct ids; a one-time token, a TOTP step and a
/// recovery code raced by several callers work exactly once; racing merges all count.
pub async fn concurrent_creates(store: &dyn Store) -> Result<(), Failure> {
    let creates = (0..16i64).map(|n| async move {
        let new = new_component(&format!("concurrent {n}"))?;
        store
            .create_component(cx(n), &new, &no_effects)
            .await
            .ctx("concurrent create_component")
    });
    let mut id_set = BTreeSet::new();
    for r in join_all(creates.collect()).await {
        id_set.insert(r?.id);
    }
    ensure_eq(id_set.len(), 16, "16 distinct ids")?;
    ensure_eq(
        store
            .components(&ComponentQuery::all())
            .await
            .ctx("components")?
            .total,
        16,
        "16 components stored",
    )?;
    for id in &id_set {
        store
            .component(*id)
            .await
            .ctx("each concurrently created component reads back")?;
    }

    store
        .create_one_time_token(cx(20), &new_ott(TokenPurpose::PasswordReset, 1, at(1000)))
        .await
        .ctx("create_one_time_token")?;
    let h1 = hash(1);
    let races =
        (0..8).map(|_| store.consume_one_time_token(TokenPurpose::PasswordReset, &h1, at(30)));
    let mut wins = 0;
    for r in join_all(races.collect()).await {
        wins += usize::from(r.ctx("concurrent consume")?.is_some());
    }
    ensure_eq(wins, 1, "a raced one-time token is consumed once")?;

    let u = user(store, "Ada", "ada@example.com", 40).await?;
    let totp = TotpState {
        secret: sealed(1),
        confirmed_at: Some(at(40)),
        last_step: None,
    };
    store
        .update_user(
            cx(40),
            u.id,
            &UserPatch {
                totp: Some(Some(totp)),
                ..UserPatch::default()
            },
            &no_effects,
        )
        .await
        .ctx("enrol")?;
    let races = (0..8).map(|_| store.accept_totp_step(u.id, 777));
    let mut wins = 0;
    for r in join_all(races.collect()).await {
        wins += usize::from(r.ctx("concurrent accept_totp_step")?);
    }
    ensure_eq(wins, 1, "a raced TOTP step is accepted once")?;

    store
        .replace_recovery_codes(cx(50), u.id, &[hash(2)], &no_effects)
        .await
        .ctx("replace_recovery_codes")?;
    let h2 = hash(2);
    let races = (0..8).map(|_| store.use_recovery_code(cx(51), u.id, &h2, &no_effects));
    let mut wins = 0;
    for r in join_all(races.collect()).await {
        wins += usize::from(r.ctx("concurrent use_recovery_code")?);
    }
    ensure_eq(wins, 1, "a raced recovery code works once")?;

    let m = metric(store, "M", 60).await?;
    let first = store
        .record_metric_point(cx(60), m.id, &new_point(5, at(60), None)?, &no_effects)
        .await
        .ctx("record_metric_point")?;
    let merges = (0..8i64).map(|n| async move {
        store
            .record_metric_point(
                cx(61 + n),
                m.id,
                &new_point(5, at(61 + n), Some(at(0)))?,
                &no_effects,
            )
            .await
            .ctx("concurrent merge")
    });
    for r in join_all(merges.collect()).await {
        ensure_eq(r?.id, first.id, "every raced merge hits the same point")?;
    }
    ensure_eq(
        store
            .metric_point(m.id, first.id)
            .await
            .ctx("metric_point")?
            .counter,
        9,
        "no raced merge lost",
    )?;
    Ok(())
}

/// Emoji, CJK, right-to-left Arabic and Hebrew, combining marks and ZWJ sequences
/// round-trip through names, text, Markdown and meta, and exact-name filters find them.
pub async fn unicode_round_trips(store: &dyn Store) -> Result<(), Failure> {
    let names = [
        "🚀 Launch ✨",
        "数据库服务",
        "خدمة الدفع",
        "e\u{301}te\u{301} cafe\u{301}",
        "👩\u{200D}👩\u{200D}👧\u{200D}👦 family",
        "Ελληνικά • עברית",
        "𝕳𝖊𝖑𝖑𝖔 ﷺ",
    ];
    let message = md("مرحبا \u{2067}abc\u{2069} 世界\n\n**粗体** — ✓ 🎉\n\n> שלום\u{200F}!\n")?;
    for (n, s) in names.iter().enumerate() {
        let t = i64::try_from(n).unwrap_or(0);
        let new = NewComponent {
            description: text(&format!("{s}\n第二行 — سطر"))?,
            meta: meta(json!({ "名前": s, "نص": [s, "😀"], "nested": {"ключ": "значение"} }))?,
            tags: vec![Tag {
                slug: slug(&format!("t{n}"))?,
                name: name(s)?,
            }],
            ..new_component(s)?
        };
        let c = store
            .create_component(cx(t), &new, &no_effects)
            .await
            .ctx("create_component")?;
        let back = store.component(c.id).await.ctx("component")?;
        ensure_eq(&back, &c, format!("component named {s:?}"))?;
        ensure_eq(
            (&back.name, &back.description, &back.meta),
            (&new.name, &new.description, &new.meta),
            format!("unicode fields of {s:?}"),
        )?;
        let q = ComponentQuery::filtered(ComponentFilter {
            name: Some(name(s)?),
            ..ComponentFilter::default()
        });
        ensure_eq(
            ids(&store.components(&q).await.ctx("components")?.items, |x| {
                x.id.get()
            }),
            vec![c.id.get()],
            format!("exact name filter for {s:?}"),
        )?;

        let ni = NewIncident {
            message: message.clone(),
            meta: new.meta.clone(),
            ..new_incident(s, at(t))?
        };
        let i = store
            .create_incident(cx(t), &ni, &no_effects)
            .await
            .ctx("create_incident")?;
        let back = store.incident(i.id).await.ctx("incident")?;
        ensure_eq(
            (&back.name, &back.message, &back.meta),
            (&ni.name, &ni.message, &ni.meta),
            format!("incident named {s:?}"),
        )?;
    }
    let nm = NewMetric {
        suffix: text("µs ⏱")?,
        description: message.clone(),
        ..new_metric("Время ответа")?
    };
    let m = store
        .create_metric(cx(100), &nm, &no_effects)
        .await
        .ctx("create_metric")?;
    ensure_eq(
        (&m.name, &m.suffix, &m.description),
        (&nm.name, &nm.suffix, &nm.description),
        "unicode metric",
    )?;
    let tpl = NewIncidentTemplate {
        name: name("テンプレート")?,
        slug: slug("tpl")?,
        template: message.clone(),
    };
    let t = store
        .create_template(cx(101), &tpl, &no_effects)
        .await
        .ctx("create_template")?;
    ensure_eq(
        store.template(t.id).await.ctx("template")?,
        t,
        "unicode template",
    )?;
    let u = store
        .create_user(
            cx(102),
            &new_user("Zoë Ångström 王", "zoe@example.com", Role::Viewer)?,
            &no_effects,
        )
        .await
        .ctx("create_user")?;
    ensure_eq(
        store.user(u.id).await.ctx("user")?.name.as_str(),
        "Zoë Ångström 王",
        "unicode user name",
    )?;
    let nw = NewWebhook {
        name: name("Вебхук 🔔")?,
        url: url("https://example.com/%C3%BC")?,
        secret: sealed(1),
        enabled: true,
    };
    let w = store
        .create_webhook(cx(103), &nw, &no_effects)
        .await
        .ctx("create_webhook")?;
    ensure_eq(
        store.webhook(w.id).await.ctx("webhook")?,
        w,
        "unicode webhook",
    )?;
    Ok(())
}

/// The largest values the types allow round-trip exactly: 255 four-byte characters in a
/// name, 10 000 in a text, Markdown of exactly 1 MiB, meta of exactly 16 KiB, the extreme
/// metric values and orders, a 254-character email and a 2048-character URL.
pub async fn largest_values_round_trip(store: &dyn Store) -> Result<(), Failure> {
    let long_name = name(&"😀".repeat(Name::MAX_CHARS))?;
    let long_text = text(&"😀".repeat(Text::MAX_CHARS))?;
    let long_md = md(&"😀".repeat(Markdown::MAX_BYTES / 4))?;
    ensure_eq(
        long_md.as_str().len(),
        Markdown::MAX_BYTES,
        "fixture: Markdown of exactly MAX_BYTES",
    )?;
    let big_meta = meta(json!({ "k": "x".repeat(Meta::MAX_BYTES - 8) }))?;
    ensure_eq(
        big_meta.to_json().len(),
        Meta::MAX_BYTES,
        "fixture: meta of exactly MAX_BYTES",
    )?;
    let long_url = url(&format!(
        "https://example.com/{}",
        "a".repeat(HttpUrl::MAX_CHARS - 20)
    ))?;
    ensure_eq(
        long_url.as_str().len(),
        HttpUrl::MAX_CHARS,
        "fixture: URL of MAX_CHARS",
    )?;
    let long_tag = Tag {
        slug: slug(&"s".repeat(Slug::MAX_CHARS))?,
        name: name(&"😀".repeat(Tag::MAX_NAME_CHARS))?,
    };

    let g = store
        .create_group(
            cx(0),
            &NewComponentGroup {
                name: long_name.clone(),
                order: order(Order::MIN)?,
                ..new_group("g")?
            },
            &no_effects,
        )
        .await
        .ctx("create_group")?;
    ensure_eq(store.group(g.id).await.ctx("group")?, g, "largest group")?;
    let new = NewComponent {
        name: long_name.clone(),
        description: long_text.clone(),
        link: Some(long_url.clone()),
        order: order(Order::MAX)?,
        tags: vec![long_tag],
        meta: big_meta.clone(),
        ..new_component("x")?
    };
    let c = store
        .create_component(cx(1), &new, &no_effects)
        .await
        .ctx("create_component")?;
    let back = store.component(c.id).await.ctx("component")?;
    ensure_eq(&back, &c, "largest component read back")?;
    ensure(
        back.name == long_name
            && back.description == long_text
            && back.meta == big_meta
            && back.link == Some(long_url.clone()),
        "largest component fields",
    )?;
    ensure_eq(back.tags, new.tags, "largest tag")?;

    let ni = NewIncident {
        name: long_name.clone(),
        message: long_md.clone(),
        meta: big_meta.clone(),
        ..new_incident("x", at(2))?
    };
    let i = store
        .create_incident(cx(2), &ni, &no_effects)
        .await
        .ctx("create_incident")?;
    let back = store.incident(i.id).await.ctx("incident")?;
    ensure(
        back.message == long_md && back.meta == big_meta && back.name == long_name,
        "largest incident fields",
    )?;
    let iu = store
        .create_incident_update(
            cx(3),
            i.id,
            &NewIncidentUpdate {
                message: long_md.clone(),
                ..new_update(IncidentStatus::Fixed, "x")?
            },
            &no_effects,
        )
        .await
        .ctx("create_incident_update")?;
    ensure(
        store
            .incident_update(i.id, iu.id)
            .await
            .ctx("incident_update")?
            .message
            == long_md,
        "largest update message",
    )?;

    let nm = NewMetric {
        default_value: value(MetricValue::MAX_MILLIS)?,
        places: Places::new(4)?,
        threshold: Threshold::new(60)?,
        order: order(Order::MIN)?,
        description: long_md.clone(),
        ..new_metric("m")?
    };
    let m = store
        .create_metric(cx(4), &nm, &no_effects)
        .await
        .ctx("create_metric")?;
    ensure_eq(
        store.metric(m.id).await.ctx("metric")?,
        m.clone(),
        "largest metric",
    )?;
    for millis in [MetricValue::MAX_MILLIS, -MetricValue::MAX_MILLIS, 1, -1] {
        let p = store
            .record_metric_point(cx(5), m.id, &new_point(millis, at(5), None)?, &no_effects)
            .await
            .ctx("record_metric_point")?;
        ensure_eq(
            store
                .metric_point(m.id, p.id)
                .await
                .ctx("metric_point")?
                .value
                .millis(),
            millis,
            "extreme metric value",
        )?;
    }
    let q = MetricPointQuery::all().sorted(MetricPointSort::Value, Direction::Asc);
    let vals: Vec<i64> = store
        .metric_points(m.id, &q)
        .await
        .ctx("metric_points")?
        .items
        .iter()
        .map(|p| p.value.millis())
        .collect();
    ensure_eq(
        vals,
        vec![-MetricValue::MAX_MILLIS, -1, 1, MetricValue::MAX_MILLIS],
        "extreme values sort numerically",
    )?;

    let local = "a".repeat(64);
    let domain = format!(
        "{}.{}.{}.com",
        "b".repeat(63),
        "c".repeat(63),
        "d".repeat(57)
    );
    let long_mail = email(&format!("{local}@{domain}"))?;
    ensure_eq(
        long_mail.as_str().len(),
        Email::MAX_CHARS,
        "fixture: email of MAX_CHARS",
    )?;
    let nu = NewUser {
        name: long_name.clone(),
        email: long_mail.clone(),
        ..new_user("u", "u@example.com", Role::Admin)?
    };
    let u = store
        .create_user(cx(6), &nu, &no_effects)
        .await
        .ctx("create_user")?;
    ensure_eq(
        store.user_by_email(&long_mail).await.ctx("user_by_email")?,
        Some(u),
        "longest email",
    )?;
    let t = store
        .create_template(
            cx(7),
            &NewIncidentTemplate {
                name: long_name.clone(),
                slug: slug(&"z".repeat(Slug::MAX_CHARS))?,
                template: long_md.clone(),
            },
            &no_effects,
        )
        .await
        .ctx("create_template")?;
    ensure_eq(
        store.template(t.id).await.ctx("template")?,
        t,
        "largest template",
    )?;
    let w = store
        .create_webhook(
            cx(8),
            &NewWebhook {
                name: long_name,
                url: long_url,
                secret: Sealed {
                    key_id: u32::MAX,
                    ciphertext: vec![0xFF; 4096],
                },
                enabled: true,
            },
            &no_effects,
        )
        .await
        .ctx("create_webhook")?;
    ensure_eq(
        store.webhook(w.id).await.ctx("webhook")?,
        w,
        "largest webhook",
    )?;
    Ok(())
}

/// Times round-trip exactly at microsecond precision from 1970-01-01T00:00:00.000001Z to
/// 9999-12-31T23:59:59.999999Z, and filters compare them to the microsecond.
pub async fn timestamps_round_trip(store: &dyn Store) -> Result<(), Failure> {
    let micros = [
        1i64,
        946_684_799_999_999,     // 1999-12-31T23:59:59.999999Z
        951_827_696_789_012,     // 2000-02-29T12:34:56.789012Z
        1_781_510_400_000_001,   // 2026-06-15T08:00:00.000001Z
        4_102_444_800_123_456,   // 2100-01-01T00:00:00.123456Z
        253_402_300_799_999_999, // 9999-12-31T23:59:59.999999Z
    ];
    let one = TimeDelta::microseconds(1);
    for (n, m) in micros.into_iter().enumerate() {
        let t = from_micros(m).ok_or_else(|| Failure::new(format!("fixture time {m}")))?;
        let w = WriteContext::at(t);
        let what = |x: &str| format!("{x} at {t:?}");
        let c = store
            .create_component(w, &new_component(&format!("c{n}"))?, &no_effects)
            .await
            .ctx("create_component")?;
        let back = store.component(c.id).await.ctx("component")?;
        ensure_eq(
            (back.created_at, back.updated_at),
            (t, t),
            what("component times"),
        )?;
        let h = store.status_history(c.id, t).await.ctx("status_history")?;
        ensure_eq(
            h.iter().map(|e| e.at).collect::<Vec<_>>(),
            vec![t],
            what("history time, found from itself"),
        )?;
        let i = store
            .create_incident(w, &new_incident("I", t)?, &no_effects)
            .await
            .ctx("create_incident")?;
        let back = store.incident(i.id).await.ctx("incident")?;
        ensure_eq(
            (back.occurred_at, back.created_at),
            (t, t),
            what("incident times"),
        )?;
        let by = |since: Option<Timestamp>, before: Option<Timestamp>| {
            IncidentQuery::filtered(IncidentFilter {
                id: Some(i.id),
                occurred_since: since,
                occurred_before: before,
                ..IncidentFilter::default()
            })
        };
        ensure_eq(
            store
                .incidents(&by(Some(t), None))
                .await
                .ctx("incidents")?
                .total,
            1,
            what("since the very microsecond"),
        )?;
        ensure_eq(
            store
                .incidents(&by(None, Some(t)))
                .await
                .ctx("incidents")?
                .total,
            0,
            what("before the very microsecond"),
        )?;
        if n + 1 < micros.len() {
            ensure_eq(
                store
                    .incidents(&by(Some(t + one), None))
                    .await
                    .ctx("incidents")?
                    .total,
                0,
                what("since one microsecond later"),
            )?;
            ensure_eq(
                store
                    .incidents(&by(None, Some(t + one)))
                    .await
                    .ctx("incidents")?
                    .total,
                1,
                what("before one microsecond later"),
            )?;
        }
        let ns = NewSchedule {
            completed_at: Some(t),
            ..new_schedule("S", t)?
        };
        let s = store
            .create_schedule(w, &ns, &no_effects)
            .await
            .ctx("create_schedule")?;
        let back = store.schedule(s.id).await.ctx("schedule")?;
        ensure_eq(
            (back.scheduled_at, back.completed_at, back.created_at),
            (t, Some(t), t),
            what("schedule times"),
        )?;
        let m = metric(store, "M", 0).await?;
        let p = store
            .record_metric_point(w, m.id, &new_point(1, t, None)?, &no_effects)
            .await
            .ctx("record_metric_point")?;
        ensure_eq(
            store
                .metric_point(m.id, p.id)
                .await
                .ctx("metric_point")?
                .created_at,
            t,
            what("point time"),
        )?;
        let a = store
            .append_audit(&new_audit(t, AuditAction::Create, EntityKind::Site, None)?)
            .await
            .ctx("append_audit")?;
        let q = AuditQuery::filtered(AuditFilter {
            since: Some(t),
            until: Some(t + one),
            ..AuditFilter::default()
        });
        ensure(
            store
                .audit_events(&q)
                .await
                .ctx("audit_events")?
                .items
                .iter()
                .any(|x| x.id == a.id && x.at == t),
            what("audit time"),
        )?;
    }
    let u = user(store, "Ada", "ada@example.com", 0).await?;
    let far = from_micros(253_402_300_799_999_999).unwrap_or_default();
    let s = store
        .create_session(cx(0), &new_session(u.id, 1, far))
        .await
        .ctx("create_session")?;
    ensure_eq(
        store
            .session_by_hash(&hash(1))
            .await
            .ctx("session_by_hash")?
            .map(|x| x.expires_at),
        Some(far),
        "far session expiry",
    )?;
    ensure_eq(s.expires_at, far, "far session expiry returned")?;
    let early = from_micros(1).unwrap_or_default();
    let tok = store
        .create_one_time_token(
            WriteContext::at(early),
            &new_ott(TokenPurpose::Setup, 2, far),
        )
        .await
        .ctx("create_one_time_token")?;
    ensure_eq(
        (tok.created_at, tok.expires_at),
        (early, far),
        "one-time token times",
    )?;
    Ok(())
}

fn generate<S: Strategy>(
    runner: &mut TestRunner,
    strategy: S,
    n: usize,
) -> Result<Vec<S::Value>, Failure> {
    (0..n)
        .map(|_| {
            strategy
                .new_tree(runner)
                .map(|tree| tree.current())
                .map_err(|r| Failure::new(format!("strategy failed: {r}")))
        })
        .collect()
}

type Generated = (
    Vec<NewComponent>,
    Vec<NewComponentGroup>,
    Vec<NewIncident>,
    Vec<NewMetric>,
    Vec<NewUser>,
    Vec<NewSubscriber>,
);

fn generate_all(cases: usize) -> Result<Generated, Failure> {
    let mut runner = TestRunner::new_with_rng(
        Config::with_cases(24),
        TestRng::deterministic_rng(RngAlgorithm::ChaCha),
    );
    Ok((
        generate(&mut runner, strategies::new_component(), cases)?,
        generate(&mut runner, strategies::new_group(), cases)?,
        generate(&mut runner, strategies::new_incident(), cases)?,
        generate(&mut runner, strategies::new_metric(), cases)?,
        generate(&mut runner, strategies::new_user(), cases)?,
        generate(&mut runner, strategies::new_subscriber(), cases)?,
    ))
}

/// Property-based round trip: 24 deterministic pseudo-random valid values of each kind
/// (components, groups, incidents, metrics, users, subscribers; see [`strategies`]) are
/// written and read back equal.
pub async fn valid_values_round_trip(store: &dyn Store) -> Result<(), Failure> {
    let (components, groups, incidents, metrics, users, subscribers) = generate_all(24)?;
    for (n, new) in components.into_iter().enumerate() {
        let c = store
            .create_component(cx(0), &new, &no_effects)
            .await
            .ctx("create_component")?;
        let back = store.component(c.id).await.ctx("component")?;
        ensure_eq(&back, &c, "generated component read back as returned")?;
        let mut tags = new.tags.clone();
        tags.sort();
        let got = (
            &back.name,
            &back.description,
            &back.link,
            back.status,
            back.order,
            back.enabled,
            &back.tags,
            &back.meta,
        );
        ensure_eq(
            got,
            (
                &new.name,
                &new.description,
                &new.link,
                new.status,
                new.order,
                new.enabled,
                &tags,
                &new.meta,
            ),
            format!("generated component #{n}"),
        )?;
    }
    for (n, new) in groups.into_iter().enumerate() {
        let g = store
            .create_group(cx(0), &new, &no_effects)
            .await
            .ctx("create_group")?;
        let back = store.group(g.id).await.ctx("group")?;
        ensure_eq(&back, &g, "generated group read back as returned")?;
        ensure_eq(
            (&back.name, back.order, back.collapsed, back.visible),
            (&new.name, new.order, new.collapsed, new.visible),
            format!("generated group #{n}"),
        )?;
    }
    for (n, new) in incidents.into_iter().enumerate() {
        let i = store
            .create_incident(cx(0), &new, &no_effects)
            .await
            .ctx("create_incident")?;
        let back = store.incident(i.id).await.ctx("incident")?;
        ensure_eq(&back, &i, "generated incident read back as returned")?;
        let got = (
            &back.name,
            back.status,
            &back.message,
            back.visible,
            back.stickied,
            back.notify,
            back.occurred_at,
            &back.meta,
        );
        let want = (
            &new.name,
            new.status,
            &new.message,
            new.visible,
            new.stickied,
            new.notify,
            new.occurred_at,
            &new.meta,
        );
        ensure_eq(got, want, format!("generated incident #{n}"))?;
    }
    for (n, new) in metrics.into_iter().enumerate() {
        let m = store
            .create_metric(cx(0), &new, &no_effects)
            .await
            .ctx("create_metric")?;
        let back = store.metric(m.id).await.ctx("metric")?;
        ensure_eq(&back, &m, "generated metric read back as returned")?;
        let got = NewMetric {
            name: back.name,
            suffix: back.suffix,
            description: back.description,
            default_value: back.default_value,
            calc_type: back.calc_type,
            display_chart: back.display_chart,
            places: back.places,
            default_view: back.default_view,
            threshold: back.threshold,
            order: back.order,
            visible: back.visible,
        };
        ensure_eq(got, new, format!("generated metric #{n}"))?;
    }
    let mut emails = BTreeSet::new();
    for (n, new) in users.into_iter().enumerate() {
        if !emails.insert(new.email.clone()) {
            continue;
        }
        let u = store
            .create_user(cx(0), &new, &no_effects)
            .await
            .ctx("create_user")?;
        let back = store.user(u.id).await.ctx("user")?;
        ensure_eq(&back, &u, "generated user read back as returned")?;
        ensure_eq(
            (
                &back.name,
                &back.email,
                back.role,
                &back.password_hash,
                back.active,
            ),
            (
                &new.name,
                &new.email,
                new.role,
                &new.password_hash,
                new.active,
            ),
            format!("generated user #{n}"),
        )?;
        ensure_eq(
            store
                .user_by_email(&new.email)
                .await
                .ctx("user_by_email")?
                .map(|x| x.id),
            Some(u.id),
            format!("generated user #{n} by email"),
        )?;
    }
    let mut indexes = BTreeSet::new();
    for (n, new) in subscribers.into_iter().enumerate() {
        if !indexes.insert(new.blind_index) {
            continue;
        }
        let s = store
            .create_subscriber(cx(0), &new, &no_effects)
            .await
            .ctx("create_subscriber")?;
        let back = store.subscriber(s.id).await.ctx("subscriber")?;
        ensure_eq(&back, &s, "generated subscriber read back as returned")?;
        ensure_eq(
            (
                &back.email,
                &back.blind_index,
                &back.locale,
                back.verified_at,
                back.global,
            ),
            (
                &new.email,
                &new.blind_index,
                &new.locale,
                new.verified_at,
                true,
            ),
            format!("generated subscriber #{n}"),
        )?;
    }
    Ok(())
}
