//! The content revision: which writes bump it and which security bookkeeping never does.

use super::*;

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
        store.claim_deliveries("d", None, at(15), at(60), 10)
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
