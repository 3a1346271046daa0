//! The one implementation of [`Store`](cachet_core::store::Store), instantiated per backend.
//!
//! [`impl_store!`] expands the SQL helpers and the whole trait impl inside a backend module,
//! which supplies the dialect:
//!
//! - `type Db` (the sqlx database) and a store type with `read` and `write` pools;
//! - `fn sql(&'static str) -> SqlStr` and `fn dyn_sql(String) -> SqlStr` (placeholder rewriting,
//!   cached for static statements);
//! - `async fn insert_id(&mut Conn, &'static str, Vec<Arg>)` (`RETURNING id` or
//!   `last_insert_id()`);
//! - the constants `FOR_UPDATE` and `SKIP_LOCKED` (row locks on PostgreSQL and MySQL, empty on
//!   SQLite, whose single writer already serializes) and the two upserts `UPSERT_SETTING` and
//!   `UPSERT_THROTTLE`.
//!
//! Every content write runs in one transaction whose first statement bumps the one-row
//! `cachet_revision` table. On PostgreSQL and MySQL that row lock also serializes content
//! writes, so the explicit existence and uniqueness checks inside them cannot race (the
//! unique indexes stay as a backstop and map to the same `Conflict`).

/// Expands the SQL helpers and `impl Store for $Store` in the calling backend module.
macro_rules! impl_store {
    ($Store:ident) => {
        mod store_impl {
        use super::{$Store, Db, FOR_UPDATE, SKIP_LOCKED, UPSERT_SETTING, UPSERT_THROTTLE, dyn_sql, insert_id, sql};
        use cachet_core::model::*;
        use cachet_core::store::{
            Changed, Effects, EffectsFn, Page, PageRequest, Store, StoreResult, WriteContext, query::*,
        };
        use cachet_core::validate::{Email, MetricValue};
        use $crate::args::{Arg, Where, args, bind_args, placeholders, sort_clause};
        use $crate::error::{backend, conflict, invalid, not_found, unique};
        use $crate::rows::*;

        type Conn = <Db as sqlx::Database>::Connection;
        type DbRow = <Db as sqlx::Database>::Row;

        // ---- statement helpers ----------------------------------------------------------

        async fn exec(c: &mut Conn, s: sqlx::SqlStr, a: Vec<Arg>) -> StoreResult<u64> {
            let q = bind_args!(sqlx::query::<Db>(s), a);
            Ok(q.execute(&mut *c).await.map_err(backend)?.rows_affected())
        }

        async fn fetch<R>(c: &mut Conn, s: sqlx::SqlStr, a: Vec<Arg>) -> StoreResult<Vec<R>>
        where
            R: for<'r> sqlx::FromRow<'r, DbRow> + Send + Unpin,
        {
            let q = bind_args!(sqlx::query_as::<Db, R>(s), a);
            q.fetch_all(&mut *c).await.map_err(backend)
        }

        async fn fetch_opt<R>(c: &mut Conn, s: sqlx::SqlStr, a: Vec<Arg>) -> StoreResult<Option<R>>
        where
            R: for<'r> sqlx::FromRow<'r, DbRow> + Send + Unpin,
        {
            let q = bind_args!(sqlx::query_as::<Db, R>(s), a);
            q.fetch_optional(&mut *c).await.map_err(backend)
        }

        async fn int(c: &mut Conn, s: sqlx::SqlStr, a: Vec<Arg>) -> StoreResult<i64> {
            let q = bind_args!(sqlx::query_scalar::<Db, i64>(s), a);
            q.fetch_one(&mut *c).await.map_err(backend)
        }

        async fn exists(c: &mut Conn, s: &'static str, id: i64) -> StoreResult<bool> {
            Ok(int(c, sql(s), args![id]).await? > 0)
        }

        async fn insert(c: &mut Conn, s: &'static str, a: Vec<Arg>) -> StoreResult<i64> {
            insert_id(c, s, a).await.map_err(backend)
        }

        /// Keeps a replaced password hash in the user's history and forgets all but the newest
        /// `PASSWORD_HISTORY_LEN` (two portable statements: MySQL refuses `LIMIT` in an `IN`
        /// subquery on the table being deleted from).
        async fn remember_password(c: &mut Conn, user: UserId, hash: &PasswordHash, now: Timestamp) -> StoreResult<()> {
            exec(
                c,
                sql("INSERT INTO cachet_password_history (user_id, password_hash, created_at) VALUES (?, ?, ?)"),
                args![user.0, hash.0.as_str(), now],
            )
            .await?;
            let ids: Vec<(i64,)> =
                fetch(c, sql("SELECT id FROM cachet_password_history WHERE user_id = ? ORDER BY id DESC"), args![user.0]).await?;
            if let Some((oldest_kept,)) = ids.get(PASSWORD_HISTORY_LEN - 1) {
                exec(c, sql("DELETE FROM cachet_password_history WHERE user_id = ? AND id < ?"), args![user.0, *oldest_kept]).await?;
            }
            Ok(())
        }

        /// The first statement of every content write.
        async fn bump(c: &mut Conn) -> StoreResult<()> {
            exec(c, sql("UPDATE cachet_revision SET value = value + 1 WHERE id = 1"), vec![]).await?;
            Ok(())
        }

        /// One page of `table` rows matching `w`, in `order`, and the total.
        async fn page_of<R>(c: &mut Conn, table: &'static str, w: &Where, order: &str, p: PageRequest) -> StoreResult<(Vec<R>, u64)>
        where
            R: for<'r> sqlx::FromRow<'r, DbRow> + Send + Unpin,
        {
            let cond = w.sql();
            let total = int(c, dyn_sql(format!("SELECT COUNT(*) FROM {table}{cond}")), w.args.clone()).await?;
            let mut a = w.args.clone();
            a.push(Arg::from(i64::from(p.per_page())));
            a.push(Arg::from(i64::try_from(p.offset()).unwrap_or(i64::MAX)));
            let sql_text = format!("SELECT * FROM {table}{cond} ORDER BY {order} LIMIT ? OFFSET ?");
            let items = fetch::<R>(c, dyn_sql(sql_text), a).await?;
            Ok((items, u64::try_from(total).unwrap_or(0)))
        }

        /// Child rows of a set of parents: `SELECT * FROM {table} WHERE {col} IN (...)`.
        async fn children<R>(c: &mut Conn, table: &'static str, col: &'static str, ids: &[i64]) -> StoreResult<Vec<R>>
        where
            R: for<'r> sqlx::FromRow<'r, DbRow> + Send + Unpin,
        {
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            let s = format!("SELECT * FROM {table} WHERE {col} IN ({}) ORDER BY {col}", placeholders(ids.len()));
            fetch::<R>(c, dyn_sql(s), ids.iter().map(|id| Arg::from(*id)).collect()).await
        }

        async fn apply_effects(c: &mut Conn, now: Timestamp, effects: Effects) -> StoreResult<()> {
            for e in &effects.audit {
                insert_audit(c, e).await?;
            }
            for e in &effects.outbox {
                insert_outbox(c, now, e).await?;
            }
            Ok(())
        }

        async fn insert_audit(c: &mut Conn, e: &NewAuditEvent) -> StoreResult<i64> {
            insert(
                c,
                "INSERT INTO cachet_audit_events (at, actor_user_id, actor_token_id, actor, action, entity, entity_id, ip, outcome, detail) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                args![
                    e.at,
                    e.actor_user_id.map(|u| u.0),
                    e.actor_token_id.map(|t| t.0),
                    e.actor.as_str(),
                    e.action.as_str(),
                    e.entity.as_str(),
                    e.entity_id,
                    e.ip.as_deref(),
                    e.outcome.as_str(),
                    e.detail.as_str(),
                ],
            )
            .await
        }

        async fn insert_outbox(c: &mut Conn, now: Timestamp, e: &NewOutboxEvent) -> StoreResult<i64> {
            insert(
                c,
                "INSERT INTO cachet_outbox_events (kind, payload, status, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, 0, ?, ?)",
                args![e.kind.as_str(), e.payload.to_string(), OutboxStatus::Pending.as_str(), e.next_attempt_at, now],
            )
            .await
        }

        // ---- loaders --------------------------------------------------------------------

        async fn components_from(c: &mut Conn, rows: Vec<ComponentRow>) -> StoreResult<Vec<Component>> {
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let mut tags = children::<TagRow>(c, "cachet_component_tags", "component_id", &ids).await?;
            rows.into_iter()
                .map(|r| {
                    let (mine, rest) = tags.drain(..).partition(|t| t.component_id == r.id);
                    tags = rest;
                    r.into_model(mine)
                })
                .collect()
        }

        async fn get_component(c: &mut Conn, id: ComponentId) -> StoreResult<Component> {
            let row = fetch_opt::<ComponentRow>(c, sql("SELECT * FROM cachet_components WHERE id = ?"), args![id.0]).await?;
            let row = row.ok_or_else(|| not_found("component", id.0))?;
            components_from(c, vec![row]).await?.pop().ok_or_else(|| not_found("component", id.0))
        }

        async fn get_group(c: &mut Conn, id: GroupId) -> StoreResult<ComponentGroup> {
            fetch_opt::<GroupRow>(c, sql("SELECT * FROM cachet_component_groups WHERE id = ?"), args![id.0])
                .await?
                .ok_or_else(|| not_found("component_group", id.0))?
                .into_model()
        }

        async fn incidents_from(c: &mut Conn, rows: Vec<IncidentRow>) -> StoreResult<Vec<Incident>> {
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let mut affected = children::<AffectedRow>(c, "cachet_incident_components", "incident_id", &ids).await?;
            rows.into_iter()
                .map(|r| {
                    let (mine, rest) = affected.drain(..).partition(|a| a.incident_id == r.id);
                    affected = rest;
                    r.into_model(mine)
                })
                .collect()
        }

        async fn get_incident(c: &mut Conn, id: IncidentId) -> StoreResult<Incident> {
            let row = fetch_opt::<IncidentRow>(c, sql("SELECT * FROM cachet_incidents WHERE id = ?"), args![id.0]).await?;
            let row = row.ok_or_else(|| not_found("incident", id.0))?;
            incidents_from(c, vec![row]).await?.pop().ok_or_else(|| not_found("incident", id.0))
        }

        async fn get_incident_update(c: &mut Conn, incident: IncidentId, id: IncidentUpdateId) -> StoreResult<IncidentUpdate> {
            if !exists(c, "SELECT COUNT(*) FROM cachet_incidents WHERE id = ?", incident.0).await? {
                return Err(not_found("incident", incident.0));
            }
            fetch_opt::<IncidentUpdateRow>(
                c,
                sql("SELECT * FROM cachet_incident_updates WHERE id = ? AND incident_id = ?"),
                args![id.0, incident.0],
            )
            .await?
            .ok_or_else(|| not_found("incident_update", id.0))?
            .into_model()
        }

        async fn get_template(c: &mut Conn, id: TemplateId) -> StoreResult<IncidentTemplate> {
            fetch_opt::<TemplateRow>(c, sql("SELECT * FROM cachet_incident_templates WHERE id = ?"), args![id.0])
                .await?
                .ok_or_else(|| not_found("incident_template", id.0))?
                .into_model()
        }

        async fn schedules_from(c: &mut Conn, rows: Vec<ScheduleRow>) -> StoreResult<Vec<Schedule>> {
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let mut comps = children::<ScheduleComponentRow>(c, "cachet_schedule_components", "schedule_id", &ids).await?;
            rows.into_iter()
                .map(|r| {
                    let (mine, rest) = comps.drain(..).partition(|s| s.schedule_id == r.id);
                    comps = rest;
                    r.into_model(mine)
                })
                .collect()
        }

        async fn get_schedule(c: &mut Conn, id: ScheduleId) -> StoreResult<Schedule> {
            let row = fetch_opt::<ScheduleRow>(c, sql("SELECT * FROM cachet_schedules WHERE id = ?"), args![id.0]).await?;
            let row = row.ok_or_else(|| not_found("schedule", id.0))?;
            schedules_from(c, vec![row]).await?.pop().ok_or_else(|| not_found("schedule", id.0))
        }

        async fn get_metric(c: &mut Conn, id: MetricId) -> StoreResult<Metric> {
            fetch_opt::<MetricRow>(c, sql("SELECT * FROM cachet_metrics WHERE id = ?"), args![id.0])
                .await?
                .ok_or_else(|| not_found("metric", id.0))?
                .into_model()
        }

        async fn get_point(c: &mut Conn, metric: MetricId, id: MetricPointId) -> StoreResult<MetricPoint> {
            if !exists(c, "SELECT COUNT(*) FROM cachet_metrics WHERE id = ?", metric.0).await? {
                return Err(not_found("metric", metric.0));
            }
            fetch_opt::<PointRow>(c, sql("SELECT * FROM cachet_metric_points WHERE id = ? AND metric_id = ?"), args![id.0, metric.0])
                .await?
                .ok_or_else(|| not_found("metric_point", id.0))?
                .into_model()
        }

        async fn subscribers_from(c: &mut Conn, rows: Vec<SubscriberRow>) -> StoreResult<Vec<Subscriber>> {
            let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
            let subs = children::<SubscriptionRow>(c, "cachet_subscriptions", "subscriber_id", &ids).await?;
            rows.into_iter()
                .map(|r| {
                    let id = r.id;
                    r.into_model(subs.iter().filter(|s| s.subscriber_id == id).map(|s| ComponentId(s.component_id)).collect())
                })
                .collect()
        }

        async fn get_subscriber(c: &mut Conn, id: SubscriberId) -> StoreResult<Subscriber> {
            let row = fetch_opt::<SubscriberRow>(c, sql("SELECT * FROM cachet_subscribers WHERE id = ?"), args![id.0]).await?;
            let row = row.ok_or_else(|| not_found("subscriber", id.0))?;
            subscribers_from(c, vec![row]).await?.pop().ok_or_else(|| not_found("subscriber", id.0))
        }

        async fn get_webhook(c: &mut Conn, id: WebhookId) -> StoreResult<Webhook> {
            fetch_opt::<WebhookRow>(c, sql("SELECT * FROM cachet_webhooks WHERE id = ?"), args![id.0])
                .await?
                .ok_or_else(|| not_found("webhook", id.0))?
                .into_model()
        }

        async fn get_user(c: &mut Conn, id: UserId) -> StoreResult<User> {
            fetch_opt::<UserRow>(c, sql("SELECT * FROM cachet_users WHERE id = ?"), args![id.0])
                .await?
                .ok_or_else(|| not_found("user", id.0))?
                .into_model()
        }

        async fn get_api_token(c: &mut Conn, id: ApiTokenId) -> StoreResult<ApiToken> {
            fetch_opt::<ApiTokenRow>(c, sql("SELECT * FROM cachet_api_tokens WHERE id = ?"), args![id.0])
                .await?
                .ok_or_else(|| not_found("api_token", id.0))?
                .into_model()
        }

        async fn get_session(c: &mut Conn, id: SessionId) -> StoreResult<Session> {
            fetch_opt::<SessionRow>(c, sql("SELECT * FROM cachet_sessions WHERE id = ?"), args![id.0])
                .await?
                .ok_or_else(|| not_found("session", id.0))?
                .into_model()
        }

        async fn get_delivery(c: &mut Conn, id: DeliveryId) -> StoreResult<Delivery> {
            fetch_opt::<DeliveryRow>(c, sql("SELECT * FROM cachet_deliveries WHERE id = ?"), args![id.0])
                .await?
                .ok_or_else(|| not_found("delivery", id.0))?
                .into_model()
        }

        // ---- checks and child writes ----------------------------------------------------

        async fn check_user(c: &mut Conn, user: Option<UserId>) -> StoreResult<()> {
            match user {
                Some(u) if !exists(c, "SELECT COUNT(*) FROM cachet_users WHERE id = ?", u.0).await? => Err(invalid("unknown user")),
                _ => Ok(()),
            }
        }

        async fn check_components(c: &mut Conn, ids: &[ComponentId]) -> StoreResult<()> {
            for id in ids {
                if !exists(c, "SELECT COUNT(*) FROM cachet_components WHERE id = ?", id.0).await? {
                    return Err(invalid("unknown component"));
                }
            }
            Ok(())
        }

        async fn push_history(
            c: &mut Conn,
            component: ComponentId,
            old: Option<ComponentStatus>,
            new: ComponentStatus,
            cause: StatusCause,
            at: Timestamp,
        ) -> StoreResult<()> {
            insert(
                c,
                "INSERT INTO cachet_status_changes (component_id, old_status, new_status, cause_kind, cause_user_id, cause_incident_id, cause_schedule_id, at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                args![
                    component.0,
                    old.map(|s| i64::from(s.code())),
                    i64::from(new.code()),
                    cause.kind.as_str(),
                    cause.user_id.map(|u| u.0),
                    cause.incident_id.map(|i| i.0),
                    cause.schedule_id.map(|s| s.0),
                    at,
                ],
            )
            .await?;
            Ok(())
        }

        /// Sets a component's status and `updated_at`, with a history entry when it changed.
        async fn apply_status(c: &mut Conn, id: ComponentId, status: ComponentStatus, cause: StatusCause, now: Timestamp) -> StoreResult<()> {
            let old = int(c, sql("SELECT status FROM cachet_components WHERE id = ?"), args![id.0]).await?;
            let old = ComponentStatus::from_code(old).map_err(|e| cachet_core::store::StoreError::corrupt("component", e))?;
            exec(
                c,
                sql("UPDATE cachet_components SET status = ?, updated_at = ? WHERE id = ?"),
                args![i64::from(status.code()), now, id.0],
            )
            .await?;
            if old != status {
                push_history(c, id, Some(old), status, cause, now).await?;
            }
            Ok(())
        }

        async fn write_tags(c: &mut Conn, id: ComponentId, tags: &[Tag]) -> StoreResult<()> {
            exec(c, sql("DELETE FROM cachet_component_tags WHERE component_id = ?"), args![id.0]).await?;
            for t in tags {
                exec(
                    c,
                    sql("INSERT INTO cachet_component_tags (component_id, slug, name) VALUES (?, ?, ?)"),
                    args![id.0, t.slug.as_str(), t.name.as_str()],
                )
                .await?;
            }
            Ok(())
        }

        async fn write_affected(c: &mut Conn, id: IncidentId, components: &[AffectedComponent]) -> StoreResult<()> {
            exec(c, sql("DELETE FROM cachet_incident_components WHERE incident_id = ?"), args![id.0]).await?;
            for a in components {
                exec(
                    c,
                    sql("INSERT INTO cachet_incident_components (incident_id, component_id, status) VALUES (?, ?, ?)"),
                    args![id.0, a.component_id.0, i64::from(a.status.code())],
                )
                .await?;
            }
            Ok(())
        }

        async fn write_schedule_components(c: &mut Conn, id: ScheduleId, components: &[ComponentId]) -> StoreResult<()> {
            exec(c, sql("DELETE FROM cachet_schedule_components WHERE schedule_id = ?"), args![id.0]).await?;
            for cid in components {
                exec(
                    c,
                    sql("INSERT INTO cachet_schedule_components (schedule_id, component_id) VALUES (?, ?)"),
                    args![id.0, cid.0],
                )
                .await?;
            }
            Ok(())
        }

        /// Replaces a subscriber's subscriptions, keeping the rows of components that stay.
        async fn sync_subscriptions(c: &mut Conn, id: SubscriberId, components: &[ComponentId], now: Timestamp) -> StoreResult<()> {
            let have: Vec<(i64,)> =
                fetch(c, sql("SELECT component_id FROM cachet_subscriptions WHERE subscriber_id = ?"), args![id.0]).await?;
            for (cid,) in &have {
                if !components.iter().any(|w| w.0 == *cid) {
                    exec(
                        c,
                        sql("DELETE FROM cachet_subscriptions WHERE subscriber_id = ? AND component_id = ?"),
                        args![id.0, *cid],
                    )
                    .await?;
                }
            }
            for w in components {
                if !have.iter().any(|(cid,)| *cid == w.0) {
                    insert(
                        c,
                        "INSERT INTO cachet_subscriptions (subscriber_id, component_id, created_at) VALUES (?, ?, ?)",
                        args![id.0, w.0, now],
                    )
                    .await?;
                }
            }
            Ok(())
        }

        /// Claims due, unleased rows of an outbox-like table: their ids, in id order.
        async fn claim_ids(c: &mut Conn, table: &'static str, pending: &'static str, now: Timestamp, limit: u32) -> StoreResult<Vec<i64>> {
            let s = format!(
                "SELECT id FROM {table} WHERE status = ? AND next_attempt_at <= ? \
                 AND (lease_owner IS NULL OR lease_expires_at IS NULL OR lease_expires_at <= ?) \
                 ORDER BY id LIMIT ?{SKIP_LOCKED}"
            );
            let rows: Vec<(i64,)> = fetch(c, dyn_sql(s), args![pending, now, now, i64::from(limit)]).await?;
            Ok(rows.into_iter().map(|(id,)| id).collect())
        }

        /// The lease owner of an outbox event or delivery, locked for the rest of the
        /// transaction; `NotFound` when there is no such row, `Conflict` unless `owner` holds it.
        async fn check_lease(c: &mut Conn, table: &'static str, entity: &'static str, id: i64, owner: &str) -> StoreResult<()> {
            let s = format!("SELECT lease_owner FROM {table} WHERE id = ?{FOR_UPDATE}");
            let row: Option<(Option<String>,)> = fetch_opt(c, dyn_sql(s), args![id]).await?;
            let (lease_owner,) = row.ok_or_else(|| not_found(entity, id))?;
            if lease_owner.as_deref() == Some(owner) { Ok(()) } else { Err(conflict(entity, "not the lease owner")) }
        }

        fn order_or(sort: Option<String>, natural: &'static str) -> String {
            sort.unwrap_or_else(|| natural.to_owned())
        }

        #[async_trait::async_trait]
        impl Store for $Store {
            // ---- housekeeping -----------------------------------------------------------

            async fn revision(&self) -> StoreResult<u64> {
                let mut c = self.read().await?;
                let v = int(&mut c, sql("SELECT value FROM cachet_revision WHERE id = 1"), vec![]).await?;
                Ok(u64::try_from(v).unwrap_or(0))
            }

            // ---- components -------------------------------------------------------------

            async fn component(&self, id: ComponentId) -> StoreResult<Component> {
                let mut c = self.read().await?;
                get_component(&mut c, id).await
            }

            async fn components(&self, q: &ComponentQuery) -> StoreResult<Page<Component>> {
                let f = &q.filter;
                let mut w = Where::default();
                if let Some(v) = f.id {
                    w.eq("id", v.0);
                }
                if let Some(v) = &f.name {
                    w.eq("name", v.as_str());
                }
                if let Some(v) = f.status {
                    w.eq("status", i64::from(v.code()));
                }
                if let Some(v) = f.order {
                    w.eq("position", i64::from(v.get()));
                }
                match f.group_id {
                    Some(Some(g)) => w.eq("group_id", g.0),
                    Some(None) => w.cond("group_id IS NULL", vec![]),
                    None => {}
                }
                if let Some(v) = f.enabled {
                    w.eq("enabled", v);
                }
                if !f.tags_any.is_empty() {
                    w.in_list(
                        "EXISTS (SELECT 1 FROM cachet_component_tags t WHERE t.component_id = cachet_components.id AND t.slug IN",
                        f.tags_any.iter().map(|s| Arg::from(s.as_str())).collect(),
                        ")",
                    );
                }
                let order = order_or(
                    q.sort.map(|(s, d)| match s {
                        ComponentSort::Id => sort_clause("id", false, d),
                        ComponentSort::Name => sort_clause("name", false, d),
                        ComponentSort::Status => sort_clause("status", false, d),
                        ComponentSort::Order => sort_clause("position", false, d),
                        ComponentSort::GroupId => sort_clause("group_id", true, d),
                        ComponentSort::Enabled => sort_clause("enabled", false, d),
                        ComponentSort::CreatedAt => sort_clause("created_at", false, d),
                        ComponentSort::UpdatedAt => sort_clause("updated_at", false, d),
                    }),
                    "position ASC, id ASC",
                );
                let mut c = self.read().await?;
                let (rows, total) = page_of::<ComponentRow>(&mut c, "cachet_components", &w, &order, q.page).await?;
                let items = components_from(&mut c, rows).await?;
                Ok(Page { items, total, request: q.page })
            }

            async fn create_component(
                &self,
                cx: WriteContext,
                new: &NewComponent,
                fx: &EffectsFn<'_, Component>,
            ) -> StoreResult<Component> {
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                if let Some(g) = new.group_id
                    && !exists(&mut tx, "SELECT COUNT(*) FROM cachet_component_groups WHERE id = ?", g.0).await?
                {
                    return Err(invalid("unknown group"));
                }
                let id = ComponentId(
                    insert(
                        &mut tx,
                        "INSERT INTO cachet_components (name, description, link, status, position, group_id, enabled, meta, created_at, updated_at) \
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        args![
                            new.name.as_str(),
                            new.description.as_str(),
                            new.link.as_ref().map(|l| l.as_str()),
                            i64::from(new.status.code()),
                            i64::from(new.order.get()),
                            new.group_id.map(|g| g.0),
                            new.enabled,
                            new.meta.to_json(),
                            cx.now,
                            cx.now,
                        ],
                    )
                    .await?,
                );
                let tags = normalize_tags(&new.tags);
                write_tags(&mut tx, id, &tags).await?;
                push_history(&mut tx, id, None, new.status, new.cause, cx.now).await?;
                let component = Component {
                    id,
                    name: new.name.clone(),
                    description: new.description.clone(),
                    link: new.link.clone(),
                    status: new.status,
                    order: new.order,
                    group_id: new.group_id,
                    enabled: new.enabled,
                    tags,
                    meta: new.meta.clone(),
                    created_at: cx.now,
                    updated_at: cx.now,
                };
                apply_effects(&mut tx, cx.now, fx(&component)).await?;
                tx.commit().await.map_err(backend)?;
                Ok(component)
            }

            async fn update_component(
                &self,
                cx: WriteContext,
                id: ComponentId,
                patch: &ComponentPatch,
                fx: &EffectsFn<'_, Changed<Component>>,
            ) -> StoreResult<Component> {
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                let before = get_component(&mut tx, id).await?;
                if let Some(Some(g)) = patch.group_id
                    && !exists(&mut tx, "SELECT COUNT(*) FROM cachet_component_groups WHERE id = ?", g.0).await?
                {
                    return Err(invalid("unknown group"));
                }
                let mut after = before.clone();
                if let Some(v) = &patch.name {
                    after.name = v.clone();
                }
                if let Some(v) = &patch.description {
                    after.description = v.clone();
                }
                if let Some(v) = &patch.link {
                    after.link = v.clone();
                }
                if let Some(v) = patch.status {
                    after.status = v;
                }
                if let Some(v) = patch.order {
                    after.order = v;
                }
                if let Some(v) = patch.group_id {
                    after.group_id = v;
                }
                if let Some(v) = patch.enabled {
                    after.enabled = v;
                }
                if let Some(v) = &patch.tags {
                    after.tags = normalize_tags(v);
                }
                if let Some(v) = &patch.meta {
                    after.meta = v.clone();
                }
                after.updated_at = cx.now;
                exec(
                    &mut tx,
                    sql("UPDATE cachet_components SET name = ?, description = ?, link = ?, status = ?, position = ?, group_id = ?, \
                         enabled = ?, meta = ?, updated_at = ? WHERE id = ?"),
                    args![
                        after.name.as_str(),
                        after.description.as_str(),
                        after.link.as_ref().map(|l| l.as_str()),
                        i64::from(after.status.code()),
                        i64::from(after.order.get()),
                        after.group_id.map(|g| g.0),
                        after.enabled,
                        after.meta.to_json(),
                        after.updated_at,
                        id.0,
                    ],
                )
                .await?;
                if patch.tags.is_some() {
                    write_tags(&mut tx, id, &after.tags).await?;
                }
                if before.status != after.status {
                    push_history(&mut tx, id, Some(before.status), after.status, patch.cause, cx.now).await?;
                }
                let effects = fx(&Changed { before, after: after.clone() });
                apply_effects(&mut tx, cx.now, effects).await?;
                tx.commit().await.map_err(backend)?;
                Ok(after)
            }

            async fn delete_component(&self, cx: WriteContext, id: ComponentId, fx: &EffectsFn<'_, Component>) -> StoreResult<()> {
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                let component = get_component(&mut tx, id).await?;
                for s in [
                    "DELETE FROM cachet_component_tags WHERE component_id = ?",
                    "DELETE FROM cachet_status_changes WHERE component_id = ?",
                    "DELETE FROM cachet_subscriptions WHERE component_id = ?",
                    "DELETE FROM cachet_incident_components WHERE component_id = ?",
                    "DELETE FROM cachet_schedule_components WHERE component_id = ?",
                    "DELETE FROM cachet_components WHERE id = ?",
                ] {
                    exec(&mut tx, sql(s), args![id.0]).await?;
                }
                apply_effects(&mut tx, cx.now, fx(&component)).await?;
                tx.commit().await.map_err(backend)?;
                Ok(())
            }

            async fn status_history(&self, id: ComponentId, since: Timestamp) -> StoreResult<Vec<StatusChange>> {
                let mut c = self.read().await?;
                if !exists(&mut c, "SELECT COUNT(*) FROM cachet_components WHERE id = ?", id.0).await? {
                    return Err(not_found("component", id.0));
                }
                let mut rows = fetch::<StatusChangeRow>(
                    &mut c,
                    sql("SELECT * FROM cachet_status_changes WHERE component_id = ? AND at < ? ORDER BY at DESC, id DESC LIMIT 1"),
                    args![id.0, since],
                )
                .await?;
                rows.extend(
                    fetch::<StatusChangeRow>(
                        &mut c,
                        sql("SELECT * FROM cachet_status_changes WHERE component_id = ? AND at >= ? ORDER BY at ASC, id ASC"),
                        args![id.0, since],
                    )
                    .await?,
                );
                models(rows, StatusChangeRow::into_model)
            }

            // ---- component groups -------------------------------------------------------

            async fn group(&self, id: GroupId) -> StoreResult<ComponentGroup> {
                let mut c = self.read().await?;
                get_group(&mut c, id).await
            }

            async fn groups(&self, q: &GroupQuery) -> StoreResult<Page<ComponentGroup>> {
                let f = &q.filter;
                let mut w = Where::default();
                if let Some(v) = f.id {
                    w.eq("id", v.0);
                }
                if let Some(v) = &f.name {
                    w.eq("name", v.as_str());
                }
                if let Some(v) = f.order {
                    w.eq("position", i64::from(v.get()));
                }
                if let Some(v) = f.collapsed {
                    w.eq("collapsed", i64::from(v.code()));
                }
                if let Some(v) = f.visible {
                    w.eq("visible", i64::from(v.code()));
                }
                let order = order_or(
                    q.sort.map(|(s, d)| match s {
                        GroupSort::Id => sort_clause("id", false, d),
                        GroupSort::Name => sort_clause("name", false, d),
                        GroupSort::Order => sort_clause("position", false, d),
                        GroupSort::Collapsed => sort_clause("collapsed", false, d),
                        GroupSort::Visible => sort_clause("visible", false, d),
                        GroupSort::CreatedAt => sort_clause("created_at", false, d),
                        GroupSort::UpdatedAt => sort_clause("updated_at", false, d),
                    }),
                    "position ASC, id ASC",
                );
                let mut c = self.read().await?;
                let (rows, total) = page_of::<GroupRow>(&mut c, "cachet_component_groups", &w, &order, q.page).await?;
                Ok(Page { items: models(rows, GroupRow::into_model)?, total, request: q.page })
            }

            async fn create_group(
                &self,
                cx: WriteContext,
                new: &NewComponentGroup,
                fx: &EffectsFn<'_, ComponentGroup>,
            ) -> StoreResult<ComponentGroup> {
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                let id = insert(
                    &mut tx,
                    "INSERT INTO cachet_component_groups (name, position, collapsed, visible, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                    args![
                        new.name.as_str(),
                        i64::from(new.order.get()),
                        i64::from(new.collapsed.code()),
                        i64::from(new.visible.code()),
                        cx.now,
                        cx.now,
                    ],
                )
                .await?;
                let group = ComponentGroup {
                    id: GroupId(id),
                    name: new.name.clone(),
                    order: new.order,
                    collapsed: new.collapsed,
                    visible: new.visible,
                    created_at: cx.now,
                    updated_at: cx.now,
                };
                apply_effects(&mut tx, cx.now, fx(&group)).await?;
                tx.commit().await.map_err(backend)?;
                Ok(group)
            }

            async fn update_group(
                &self,
                cx: WriteContext,
                id: GroupId,
                patch: &ComponentGroupPatch,
                fx: &EffectsFn<'_, Changed<ComponentGroup>>,
            ) -> StoreResult<ComponentGroup> {
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                let before = get_group(&mut tx, id).await?;
                let mut after = before.clone();
                if let Some(v) = &patch.name {
                    after.name = v.clone();
                }
                if let Some(v) = patch.order {
                    after.order = v;
                }
                if let Some(v) = patch.collapsed {
                    after.collapsed = v;
                }
                if let Some(v) = patch.visible {
                    after.visible = v;
                }
                after.updated_at = cx.now;
                exec(
                    &mut tx,
                    sql("UPDATE cachet_component_groups SET name = ?, position = ?, collapsed = ?, visible = ?, updated_at = ? WHERE id = ?"),
                    args![
                        after.name.as_str(),
                        i64::from(after.order.get()),
                        i64::from(after.collapsed.code()),
                        i64::from(after.visible.code()),
                        after.updated_at,
                        id.0,
                    ],
                )
                .await?;
                apply_effects(&mut tx, cx.now, fx(&Changed { before, after: after.clone() })).await?;
                tx.commit().await.map_err(backend)?;
                Ok(after)
            }

            async fn delete_group(&self, cx: WriteContext, id: GroupId, fx: &EffectsFn<'_, ComponentGroup>) -> StoreResult<()> {
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                let group = get_group(&mut tx, id).await?;
                exec(&mut tx, sql("UPDATE cachet_components SET group_id = NULL WHERE group_id = ?"), args![id.0]).await?;
                exec(&mut tx, sql("DELETE FROM cachet_component_groups WHERE id = ?"), args![id.0]).await?;
                apply_effects(&mut tx, cx.now, fx(&group)).await?;
                tx.commit().await.map_err(backend)?;
                Ok(())
            }

            // ---- incidents --------------------------------------------------------------

            async fn incident(&self, id: IncidentId) -> StoreResult<Incident> {
                let mut c = self.read().await?;
                get_incident(&mut c, id).await
            }

            async fn incidents(&self, q: &IncidentQuery) -> StoreResult<Page<Incident>> {
                let f = &q.filter;
                let mut w = Where::default();
                if let Some(v) = f.id {
                    w.eq("id", v.0);
                }
                if let Some(v) = f.user_id {
                    w.eq("user_id", v.0);
                }
                if let Some(v) = f.component_id {
                    w.cond(
                        "EXISTS (SELECT 1 FROM cachet_incident_components a WHERE a.incident_id = cachet_incidents.id AND a.component_id = ?)",
                        args![v.0],
                    );
                }
                if let Some(v) = &f.name {
                    w.eq("name", v.as_str());
                }
                if let Some(v) = f.status {
                    w.eq("status", i64::from(v.code()));
                }
                if let Some(v) = f.visible {
                    w.eq("visible", v);
                }
                if let Some(v) = f.stickied {
                    w.eq("stickied", v);
                }
                match f.resolved {
                    Some(true) => w.cond("status = ?", args![i64::from(IncidentStatus::Fixed.code())]),
                    Some(false) => w.cond("status <> ?", args![i64::from(IncidentStatus::Fixed.code())]),
                    None => {}
                }
                if let Some(t) = f.occurred_since {
                    w.cond("occurred_at >= ?", args![t]);
                }
                if let Some(t) = f.occurred_before {
                    w.cond("occurred_at < ?", args![t]);
                }
                let order = order_or(
                    q.sort.map(|(s, d)| match s {
                        IncidentSort::Id => sort_clause("id", false, d),
                        IncidentSort::Name => sort_clause("name", false, d),
                        IncidentSort::Status => sort_clause("status", false, d),
                        IncidentSort::Visible => sort_clause("visible", false, d),
                        IncidentSort::Stickied => sort_clause("stickied", false, d),
                        IncidentSort::OccurredAt => sort_clause("occurred_at", false, d),
                        IncidentSort::CreatedAt => sort_clause("created_at", false, d),
                        IncidentSort::UpdatedAt => sort_clause("updated_at", false, d),
                    }),
                    "occurred_at DESC, id DESC",
                );
                let mut c = self.read().await?;
                let (rows, total) = page_of::<IncidentRow>(&mut c, "cachet_incidents", &w, &order, q.page).await?;
                let items = incidents_from(&mut c, rows).await?;
                Ok(Page { items, total, request: q.page })
            }

            async fn create_incident(&self, cx: WriteContext, new: &NewIncident, fx: &EffectsFn<'_, Incident>) -> StoreResult<Incident> {
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                let components = normalize_affected(&new.components);
                check_components(&mut tx, &components.iter().map(|a| a.component_id).collect::<Vec<_>>()).await?;
                check_user(&mut tx, new.user_id).await?;
                let id = IncidentId(
                    insert(
                        &mut tx,
                        "INSERT INTO cachet_incidents (user_id, name, status, message, visible, stickied, notify, occurred_at, meta, created_at, updated_at) \
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        args![
                            new.user_id.map(|u| u.0),
                            new.name.as_str(),
                            i64::from(new.status.code()),
                            new.message.as_str(),
                            new.visible,
                            new.stickied,
                            new.notify,
                            new.occurred_at,
                            new.meta.to_json(),
                            cx.now,
                            cx.now,
                        ],
                    )
                    .await?,
                );
                write_affected(&mut tx, id, &components).await?;
                let incident = Incident {
                    id,
                    user_id: new.user_id,
                    name: new.name.clone(),
                    status: new.status,
                    message: new.message.clone(),
                    visible: new.visible,
                    stickied: new.stickied,
                    notify: new.notify,
                    occurred_at: new.occurred_at,
                    components,
                    meta: new.meta.clone(),
                    created_at: cx.now,
                    updated_at: cx.now,
                };
                if new.apply_component_status {
                    let cause = StatusCause { kind: StatusCauseKind::Incident, user_id: new.user_id, incident_id: Some(id), schedule_id: None };
                    for a in &incident.components {
                        apply_status(&mut tx, a.component_id, a.status, cause, cx.now).await?;
                    }
                }
                apply_effects(&mut tx, cx.now, fx(&incident)).await?;
                tx.commit().await.map_err(backend)?;
                Ok(incident)
            }

            async fn update_incident(
                &self,
                cx: WriteContext,
                id: IncidentId,
                patch: &IncidentPatch,
                fx: &EffectsFn<'_, Changed<Incident>>,
            ) -> StoreResult<Incident> {
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                let before = get_incident(&mut tx, id).await?;
                let components = patch.components.as_deref().map(normalize_affected);
                if let Some(cs) = &components {
                    check_components(&mut tx, &cs.iter().map(|a| a.component_id).collect::<Vec<_>>()).await?;
                }
                let mut after = before.clone();
                if let Some(v) = &patch.name {
                    after.name = v.clone();
                }
                if let Some(v) = patch.status {
                    after.status = v;
                }
                if let Some(v) = &patch.message {
                    after.message = v.clone();
                }
                if let Some(v) = patch.visible {
                    after.visible = v;
                }
                if let Some(v) = patch.stickied {
                    after.stickied = v;
                }
                if let Some(v) = patch.notify {
                    after.notify = v;
                }
                if let Some(v) = patch.occurred_at {
                    after.occurred_at = v;
                }
                if let Some(v) = components {
                    after.components = v;
                }
                if let Some(v) = &patch.meta {
                    after.meta = v.clone();
                }
                after.updated_at = cx.now;
                exec(
                    &mut tx,
                    sql("UPDATE cachet_incidents SET name = ?, status = ?, message = ?, visible = ?, stickied = ?, notify = ?, \
                         occurred_at = ?, meta = ?, updated_at = ? WHERE id = ?"),
                    args![
                        after.name.as_str(),
                        i64::from(after.status.code()),
                        after.message.as_str(),
                        after.visible,
                        after.stickied,
                        after.notify,
                        after.occurred_at,
                        after.meta.to_json(),
                        after.updated_at,
                        id.0,
                    ],
                )
                .await?;
                if patch.components.is_some() {
                    write_affected(&mut tx, id, &after.components).await?;
                    if patch.apply_component_status {
                        let cause = StatusCause { kind: StatusCauseKind::Incident, user_id: after.user_id, incident_id: Some(id), schedule_id: None };
                        for a in &after.components {
                            apply_status(&mut tx, a.component_id, a.status, cause, cx.now).await?;
                        }
                    }
                }
                apply_effects(&mut tx, cx.now, fx(&Changed { before, after: after.clone() })).await?;
                tx.commit().await.map_err(backend)?;
                Ok(after)
            }

            async fn delete_incident(&self, cx: WriteContext, id: IncidentId, fx: &EffectsFn<'_, Incident>) -> StoreResult<()> {
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                let incident = get_incident(&mut tx, id).await?;
                for s in [
                    "DELETE FROM cachet_incident_updates WHERE incident_id = ?",
                    "DELETE FROM cachet_incident_components WHERE incident_id = ?",
                    "DELETE FROM cachet_incidents WHERE id = ?",
                ] {
                    exec(&mut tx, sql(s), args![id.0]).await?;
                }
                apply_effects(&mut tx, cx.now, fx(&incident)).await?;
                tx.commit().await.map_err(backend)?;
                Ok(())
            }

            async fn incident_update(&self, incident: IncidentId, id: IncidentUpdateId) -> StoreResult<IncidentUpdate> {
                let mut c = self.read().await?;
                get_incident_update(&mut c, incident, id).await
            }

            async fn incident_updates(&self, incident: IncidentId, page: PageRequest) -> StoreResult<Page<IncidentUpdate>> {
                let mut c = self.read().await?;
                if !exists(&mut c, "SELECT COUNT(*) FROM cachet_incidents WHERE id = ?", incident.0).await? {
                    return Err(not_found("incident", incident.0));
                }
                let mut w = Where::default();
                w.eq("incident_id", incident.0);
                let (rows, total) =
                    page_of::<IncidentUpdateRow>(&mut c, "cachet_incident_updates", &w, "created_at DESC, id DESC", page).await?;
                Ok(Page { items: models(rows, IncidentUpdateRow::into_model)?, total, request: page })
            }

            async fn incident_updates_of(&self, incidents: &[IncidentId]) -> StoreResult<Vec<IncidentUpdate>> {
                let mut c = self.read().await?;
                let ids: Vec<i64> = incidents.iter().map(|i| i.0).collect();
                let mut out = Vec::with_capacity(ids.len());
                // Bounded IN lists: every backend limits bound parameters per statement.
                for chunk in ids.chunks(500) {
                    let rows = children::<IncidentUpdateRow>(&mut c, "cachet_incident_updates", "incident_id", chunk).await?;
                    out.extend(models(rows, IncidentUpdateRow::into_model)?);
                }
                out.sort_by(|a, b| (a.incident_id, b.created_at, b.id).cmp(&(b.incident_id, a.created_at, a.id)));
                Ok(out)
            }

            async fn create_incident_update(
                &self,
                cx: WriteContext,
                incident: IncidentId,
                new: &NewIncidentUpdate,
                fx: &EffectsFn<'_, IncidentUpdate>,
            ) -> StoreResult<IncidentUpdate> {
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                if !exists(&mut tx, "SELECT COUNT(*) FROM cachet_incidents WHERE id = ?", incident.0).await? {
                    return Err(not_found("incident", incident.0));
                }
                check_components(&mut tx, &new.component.iter().map(|a| a.component_id).collect::<Vec<_>>()).await?;
                check_user(&mut tx, new.user_id).await?;
                let id = insert(
                    &mut tx,
                    "INSERT INTO cachet_incident_updates (incident_id, status, message, user_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                    args![incident.0, i64::from(new.status.code()), new.message.as_str(), new.user_id.map(|u| u.0), cx.now, cx.now],
                )
                .await?;
                exec(
                    &mut tx,
                    sql("UPDATE cachet_incidents SET status = ?, updated_at = ? WHERE id = ?"),
                    args![i64::from(new.status.code()), cx.now, incident.0],
                )
                .await?;
                if let Some(a) = new.component {
                    let cause = StatusCause { kind: StatusCauseKind::Incident, user_id: new.user_id, incident_id: Some(incident), schedule_id: None };
                    apply_status(&mut tx, a.component_id, a.status, cause, cx.now).await?;
                }
                let update = IncidentUpdate {
                    id: IncidentUpdateId(id),
                    incident_id: incident,
                    status: new.status,
                    message: new.message.clone(),
                    user_id: new.user_id,
                    created_at: cx.now,
                    updated_at: cx.now,
                };
                apply_effects(&mut tx, cx.now, fx(&update)).await?;
                tx.commit().await.map_err(backend)?;
                Ok(update)
            }

            async fn update_incident_update(
                &self,
                cx: WriteContext,
                incident: IncidentId,
                id: IncidentUpdateId,
                patch: &IncidentUpdatePatch,
                fx: &EffectsFn<'_, Changed<IncidentUpdate>>,
            ) -> StoreResult<IncidentUpdate> {
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                let before = get_incident_update(&mut tx, incident, id).await?;
                let mut after = before.clone();
                if let Some(v) = patch.status {
                    after.status = v;
                }
                if let Some(v) = &patch.message {
                    after.message = v.clone();
                }
                after.updated_at = cx.now;
                exec(
                    &mut tx,
                    sql("UPDATE cachet_incident_updates SET status = ?, message = ?, updated_at = ? WHERE id = ?"),
                    args![i64::from(after.status.code()), after.message.as_str(), after.updated_at, id.0],
                )
                .await?;
                apply_effects(&mut tx, cx.now, fx(&Changed { before, after: after.clone() })).await?;
                tx.commit().await.map_err(backend)?;
                Ok(after)
            }

            async fn delete_incident_update(
                &self,
                cx: WriteContext,
                incident: IncidentId,
                id: IncidentUpdateId,
                fx: &EffectsFn<'_, IncidentUpdate>,
            ) -> StoreResult<()> {
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                let update = get_incident_update(&mut tx, incident, id).await?;
                exec(&mut tx, sql("DELETE FROM cachet_incident_updates WHERE id = ?"), args![id.0]).await?;
                apply_effects(&mut tx, cx.now, fx(&update)).await?;
                tx.commit().await.map_err(backend)?;
                Ok(())
            }

            // ---- incident templates -----------------------------------------------------

            async fn template(&self, id: TemplateId) -> StoreResult<IncidentTemplate> {
                let mut c = self.read().await?;
                get_template(&mut c, id).await
            }

            async fn templates(&self, q: &TemplateQuery) -> StoreResult<Page<IncidentTemplate>> {
                let mut w = Where::default();
                if let Some(v) = &q.filter.slug {
                    w.eq("slug", v.as_str());
                }
                let order = order_or(
                    q.sort.map(|(s, d)| match s {
                        TemplateSort::Id => sort_clause("id", false, d),
                        TemplateSort::Name => sort_clause("name", false, d),
                        TemplateSort::Slug => sort_clause("slug", false, d),
                        TemplateSort::CreatedAt => sort_clause("created_at", false, d),
                    }),
                    "id ASC",
                );
                let mut c = self.read().await?;
                let (rows, total) = page_of::<TemplateRow>(&mut c, "cachet_incident_templates", &w, &order, q.page).await?;
                Ok(Page { items: models(rows, TemplateRow::into_model)?, total, request: q.page })
            }

            async fn create_template(
                &self,
                cx: WriteContext,
                new: &NewIncidentTemplate,
                fx: &EffectsFn<'_, IncidentTemplate>,
            ) -> StoreResult<IncidentTemplate> {
                const SLUG_TAKEN: &str = "slug already exists";
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                let taken = int(&mut tx, sql("SELECT COUNT(*) FROM cachet_incident_templates WHERE slug = ?"), args![new.slug.as_str()]).await?;
                if taken > 0 {
                    return Err(conflict("incident_template", SLUG_TAKEN));
                }
                let id = insert_id(
                    &mut tx,
                    "INSERT INTO cachet_incident_templates (name, slug, template, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                    args![new.name.as_str(), new.slug.as_str(), new.template.as_str(), cx.now, cx.now],
                )
                .await
                .map_err(unique("incident_template", SLUG_TAKEN))?;
                let template = IncidentTemplate {
                    id: TemplateId(id),
                    name: new.name.clone(),
                    slug: new.slug.clone(),
                    template: new.template.clone(),
                    created_at: cx.now,
                    updated_at: cx.now,
                };
                apply_effects(&mut tx, cx.now, fx(&template)).await?;
                tx.commit().await.map_err(backend)?;
                Ok(template)
            }

            async fn update_template(
                &self,
                cx: WriteContext,
                id: TemplateId,
                patch: &IncidentTemplatePatch,
                fx: &EffectsFn<'_, Changed<IncidentTemplate>>,
            ) -> StoreResult<IncidentTemplate> {
                const SLUG_TAKEN: &str = "slug already exists";
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                let before = get_template(&mut tx, id).await?;
                if let Some(slug) = &patch.slug {
                    let taken = int(
                        &mut tx,
                        sql("SELECT COUNT(*) FROM cachet_incident_templates WHERE slug = ? AND id <> ?"),
                        args![slug.as_str(), id.0],
                    )
                    .await?;
                    if taken > 0 {
                        return Err(conflict("incident_template", SLUG_TAKEN));
                    }
                }
                let mut after = before.clone();
                if let Some(v) = &patch.name {
                    after.name = v.clone();
                }
                if let Some(v) = &patch.slug {
                    after.slug = v.clone();
                }
                if let Some(v) = &patch.template {
                    after.template = v.clone();
                }
                after.updated_at = cx.now;
                let q = bind_args!(
                    sqlx::query::<Db>(sql("UPDATE cachet_incident_templates SET name = ?, slug = ?, template = ?, updated_at = ? WHERE id = ?")),
                    args![after.name.as_str(), after.slug.as_str(), after.template.as_str(), after.updated_at, id.0]
                );
                q.execute(&mut *tx).await.map_err(unique("incident_template", SLUG_TAKEN))?;
                apply_effects(&mut tx, cx.now, fx(&Changed { before, after: after.clone() })).await?;
                tx.commit().await.map_err(backend)?;
                Ok(after)
            }

            async fn delete_template(&self, cx: WriteContext, id: TemplateId, fx: &EffectsFn<'_, IncidentTemplate>) -> StoreResult<()> {
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                let template = get_template(&mut tx, id).await?;
                exec(&mut tx, sql("DELETE FROM cachet_incident_templates WHERE id = ?"), args![id.0]).await?;
                apply_effects(&mut tx, cx.now, fx(&template)).await?;
                tx.commit().await.map_err(backend)?;
                Ok(())
            }

            // ---- maintenance schedules --------------------------------------------------

            async fn schedule(&self, id: ScheduleId) -> StoreResult<Schedule> {
                let mut c = self.read().await?;
                get_schedule(&mut c, id).await
            }

            async fn schedules(&self, q: &ScheduleQuery) -> StoreResult<Page<Schedule>> {
                let f = &q.filter;
                let mut w = Where::default();
                if !f.status_any.is_empty() {
                    w.in_list("status IN", f.status_any.iter().map(|s| Arg::from(i64::from(s.code()))).collect(), "");
                }
                if let Some(v) = f.component_id {
                    w.cond(
                        "EXISTS (SELECT 1 FROM cachet_schedule_components s WHERE s.schedule_id = cachet_schedules.id AND s.component_id = ?)",
                        args![v.0],
                    );
                }
                if let Some(t) = f.scheduled_before {
                    w.cond("scheduled_at <= ?", args![t]);
                }
                if let Some(t) = f.scheduled_since {
                    w.cond("scheduled_at >= ?", args![t]);
                }
                let order = order_or(
                    q.sort.map(|(s, d)| match s {
                        ScheduleSort::Id => sort_clause("id", false, d),
                        ScheduleSort::Name => sort_clause("name", false, d),
                        ScheduleSort::Status => sort_clause("status", false, d),
                        ScheduleSort::ScheduledAt => sort_clause("scheduled_at", false, d),
                        ScheduleSort::CompletedAt => sort_clause("completed_at", true, d),
                        ScheduleSort::CreatedAt => sort_clause("created_at", false, d),
                    }),
                    "scheduled_at ASC, id ASC",
                );
                let mut c = self.read().await?;
                let (rows, total) = page_of::<ScheduleRow>(&mut c, "cachet_schedules", &w, &order, q.page).await?;
                let items = schedules_from(&mut c, rows).await?;
                Ok(Page { items, total, request: q.page })
            }

            async fn create_schedule(&self, cx: WriteContext, new: &NewSchedule, fx: &EffectsFn<'_, Schedule>) -> StoreResult<Schedule> {
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                let components = normalize_ids(&new.components);
                check_components(&mut tx, &components).await?;
                check_user(&mut tx, new.user_id).await?;
                let id = ScheduleId(
                    insert(
                        &mut tx,
                        "INSERT INTO cachet_schedules (name, message, status, scheduled_at, completed_at, notify, user_id, created_at, updated_at) \
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        args![
                            new.name.as_str(),
                            new.message.as_str(),
                            i64::from(new.status.code()),
                            new.scheduled_at,
                            new.completed_at,
                            new.notify,
                            new.user_id.map(|u| u.0),
                            cx.now,
                            cx.now,
                        ],
                    )
                    .await?,
                );
                write_schedule_components(&mut tx, id, &components).await?;
                let schedule = Schedule {
                    id,
                    name: new.name.clone(),
                    message: new.message.clone(),
                    status: new.status,
                    scheduled_at: new.scheduled_at,
                    completed_at: new.completed_at,
                    components,
                    notify: new.notify,
                    user_id: new.user_id,
                    created_at: cx.now,
                    updated_at: cx.now,
                };
                apply_effects(&mut tx, cx.now, fx(&schedule)).await?;
                tx.commit().await.map_err(backend)?;
                Ok(schedule)
            }

            async fn update_schedule(
                &self,
                cx: WriteContext,
                id: ScheduleId,
                patch: &SchedulePatch,
                fx: &EffectsFn<'_, Changed<Schedule>>,
            ) -> StoreResult<Schedule> {
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                let before = get_schedule(&mut tx, id).await?;
                if let Some(expected) = patch.expected_status
                    && before.status != expected
                {
                    return Err(conflict("schedule", "status changed"));
                }
                let components = patch.components.as_deref().map(normalize_ids);
                if let Some(cs) = &components {
                    check_components(&mut tx, cs).await?;
                }
                let mut after = before.clone();
                if let Some(v) = &patch.name {
                    after.name = v.clone();
                }
                if let Some(v) = &patch.message {
                    after.message = v.clone();
                }
                if let Some(v) = patch.status {
                    after.status = v;
                }
                if let Some(v) = patch.scheduled_at {
                    after.scheduled_at = v;
                }
                if let Some(v) = patch.completed_at {
                    after.completed_at = v;
                }
                if let Some(v) = components {
                    after.components = v;
                }
                if let Some(v) = patch.notify {
                    after.notify = v;
                }
                after.updated_at = cx.now;
                exec(
                    &mut tx,
                    sql("UPDATE cachet_schedules SET name = ?, message = ?, status = ?, scheduled_at = ?, completed_at = ?, notify = ?, \
                         updated_at = ? WHERE id = ?"),
                    args![
                        after.name.as_str(),
                        after.message.as_str(),
                        i64::from(after.status.code()),
                        after.scheduled_at,
                        after.completed_at,
                        after.notify,
                        after.updated_at,
                        id.0,
                    ],
                )
                .await?;
                if patch.components.is_some() {
                    write_schedule_components(&mut tx, id, &after.components).await?;
                }
                apply_effects(&mut tx, cx.now, fx(&Changed { before, after: after.clone() })).await?;
                tx.commit().await.map_err(backend)?;
                Ok(after)
            }

            async fn delete_schedule(&self, cx: WriteContext, id: ScheduleId, fx: &EffectsFn<'_, Schedule>) -> StoreResult<()> {
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                let schedule = get_schedule(&mut tx, id).await?;
                for s in [
                    "DELETE FROM cachet_schedule_updates WHERE schedule_id = ?",
                    "DELETE FROM cachet_schedule_components WHERE schedule_id = ?",
                    "DELETE FROM cachet_schedules WHERE id = ?",
                ] {
                    exec(&mut tx, sql(s), args![id.0]).await?;
                }
                apply_effects(&mut tx, cx.now, fx(&schedule)).await?;
                tx.commit().await.map_err(backend)?;
                Ok(())
            }

            async fn schedule_updates(&self, schedule: ScheduleId) -> StoreResult<Vec<ScheduleUpdate>> {
                let mut c = self.read().await?;
                if !exists(&mut c, "SELECT COUNT(*) FROM cachet_schedules WHERE id = ?", schedule.0).await? {
                    return Err(not_found("schedule", schedule.0));
                }
                let rows = fetch::<ScheduleUpdateRow>(
                    &mut c,
                    sql("SELECT * FROM cachet_schedule_updates WHERE schedule_id = ? ORDER BY created_at ASC, id ASC"),
                    args![schedule.0],
                )
                .await?;
                models(rows, ScheduleUpdateRow::into_model)
            }

            async fn create_schedule_update(
                &self,
                cx: WriteContext,
                schedule: ScheduleId,
                new: &NewScheduleUpdate,
                fx: &EffectsFn<'_, ScheduleUpdate>,
            ) -> StoreResult<ScheduleUpdate> {
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                if !exists(&mut tx, "SELECT COUNT(*) FROM cachet_schedules WHERE id = ?", schedule.0).await? {
                    return Err(not_found("schedule", schedule.0));
                }
                check_user(&mut tx, new.user_id).await?;
                let id = insert(
                    &mut tx,
                    "INSERT INTO cachet_schedule_updates (schedule_id, message, user_id, created_at) VALUES (?, ?, ?, ?)",
                    args![schedule.0, new.message.as_str(), new.user_id.map(|u| u.0), cx.now],
                )
                .await?;
                let update = ScheduleUpdate {
                    id: ScheduleUpdateId(id),
                    schedule_id: schedule,
                    message: new.message.clone(),
                    user_id: new.user_id,
                    created_at: cx.now,
                };
                apply_effects(&mut tx, cx.now, fx(&update)).await?;
                tx.commit().await.map_err(backend)?;
                Ok(update)
            }

            async fn delete_schedule_update(
                &self,
                cx: WriteContext,
                schedule: ScheduleId,
                id: ScheduleUpdateId,
                fx: &EffectsFn<'_, ScheduleUpdate>,
            ) -> StoreResult<()> {
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                if !exists(&mut tx, "SELECT COUNT(*) FROM cachet_schedules WHERE id = ?", schedule.0).await? {
                    return Err(not_found("schedule", schedule.0));
                }
                let update = fetch_opt::<ScheduleUpdateRow>(
                    &mut tx,
                    sql("SELECT * FROM cachet_schedule_updates WHERE id = ? AND schedule_id = ?"),
                    args![id.0, schedule.0],
                )
                .await?
                .ok_or_else(|| not_found("schedule_update", id.0))?
                .into_model()?;
                exec(&mut tx, sql("DELETE FROM cachet_schedule_updates WHERE id = ?"), args![id.0]).await?;
                apply_effects(&mut tx, cx.now, fx(&update)).await?;
                tx.commit().await.map_err(backend)?;
                Ok(())
            }

            // ---- metrics ----------------------------------------------------------------

            async fn metric(&self, id: MetricId) -> StoreResult<Metric> {
                let mut c = self.read().await?;
                get_metric(&mut c, id).await
            }

            async fn metrics(&self, q: &MetricQuery) -> StoreResult<Page<Metric>> {
                let mut w = Where::default();
                if let Some(v) = q.filter.visible {
                    w.eq("visible", i64::from(v.code()));
                }
                let order = order_or(
                    q.sort.map(|(s, d)| match s {
                        MetricSort::Id => sort_clause("id", false, d),
                        MetricSort::Name => sort_clause("name", false, d),
                        MetricSort::Order => sort_clause("position", false, d),
                        MetricSort::CreatedAt => sort_clause("created_at", false, d),
                    }),
                    "position ASC, id ASC",
                );
                let mut c = self.read().await?;
                let (rows, total) = page_of::<MetricRow>(&mut c, "cachet_metrics", &w, &order, q.page).await?;
                Ok(Page { items: models(rows, MetricRow::into_model)?, total, request: q.page })
            }

            async fn create_metric(&self, cx: WriteContext, new: &NewMetric, fx: &EffectsFn<'_, Metric>) -> StoreResult<Metric> {
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                let id = insert(
                    &mut tx,
                    "INSERT INTO cachet_metrics (name, suffix, description, default_value, calc_type, display_chart, places, default_view, \
                     threshold, position, visible, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    args![
                        new.name.as_str(),
                        new.suffix.as_str(),
                        new.description.as_str(),
                        new.default_value.millis(),
                        i64::from(new.calc_type.code()),
                        new.display_chart,
                        i64::from(new.places.get()),
                        i64::from(new.default_view.code()),
                        i64::from(new.threshold.minutes()),
                        i64::from(new.order.get()),
                        i64::from(new.visible.code()),
                        cx.now,
                        cx.now,
                    ],
                )
                .await?;
                let metric = Metric {
                    id: MetricId(id),
                    name: new.name.clone(),
                    suffix: new.suffix.clone(),
                    description: new.description.clone(),
                    default_value: new.default_value,
                    calc_type: new.calc_type,
                    display_chart: new.display_chart,
                    places: new.places,
                    default_view: new.default_view,
                    threshold: new.threshold,
                    order: new.order,
                    visible: new.visible,
                    created_at: cx.now,
                    updated_at: cx.now,
                };
                apply_effects(&mut tx, cx.now, fx(&metric)).await?;
                tx.commit().await.map_err(backend)?;
                Ok(metric)
            }

            async fn update_metric(
                &self,
                cx: WriteContext,
                id: MetricId,
                patch: &MetricPatch,
                fx: &EffectsFn<'_, Changed<Metric>>,
            ) -> StoreResult<Metric> {
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                let before = get_metric(&mut tx, id).await?;
                let mut after = before.clone();
                if let Some(v) = &patch.name {
                    after.name = v.clone();
                }
                if let Some(v) = &patch.suffix {
                    after.suffix = v.clone();
                }
                if let Some(v) = &patch.description {
                    after.description = v.clone();
                }
                if let Some(v) = patch.default_value {
                    after.default_value = v;
                }
                if let Some(v) = patch.calc_type {
                    after.calc_type = v;
                }
                if let Some(v) = patch.display_chart {
                    after.display_chart = v;
                }
                if let Some(v) = patch.places {
                    after.places = v;
                }
                if let Some(v) = patch.default_view {
                    after.default_view = v;
                }
                if let Some(v) = patch.threshold {
                    after.threshold = v;
                }
                if let Some(v) = patch.order {
                    after.order = v;
                }
                if let Some(v) = patch.visible {
                    after.visible = v;
                }
                after.updated_at = cx.now;
                exec(
                    &mut tx,
                    sql("UPDATE cachet_metrics SET name = ?, suffix = ?, description = ?, default_value = ?, calc_type = ?, display_chart = ?, \
                         places = ?, default_view = ?, threshold = ?, position = ?, visible = ?, updated_at = ? WHERE id = ?"),
                    args![
                        after.name.as_str(),
                        after.suffix.as_str(),
                        after.description.as_str(),
                        after.default_value.millis(),
                        i64::from(after.calc_type.code()),
                        after.display_chart,
                        i64::from(after.places.get()),
                        i64::from(after.default_view.code()),
                        i64::from(after.threshold.minutes()),
                        i64::from(after.order.get()),
                        i64::from(after.visible.code()),
                        after.updated_at,
                        id.0,
                    ],
                )
                .await?;
                apply_effects(&mut tx, cx.now, fx(&Changed { before, after: after.clone() })).await?;
                tx.commit().await.map_err(backend)?;
                Ok(after)
            }

            async fn delete_metric(&self, cx: WriteContext, id: MetricId, fx: &EffectsFn<'_, Metric>) -> StoreResult<()> {
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                let metric = get_metric(&mut tx, id).await?;
                exec(&mut tx, sql("DELETE FROM cachet_metric_points WHERE metric_id = ?"), args![id.0]).await?;
                exec(&mut tx, sql("DELETE FROM cachet_metrics WHERE id = ?"), args![id.0]).await?;
                apply_effects(&mut tx, cx.now, fx(&metric)).await?;
                tx.commit().await.map_err(backend)?;
                Ok(())
            }

            async fn metric_point(&self, metric: MetricId, id: MetricPointId) -> StoreResult<MetricPoint> {
                let mut c = self.read().await?;
                get_point(&mut c, metric, id).await
            }

            async fn metric_points(&self, metric: MetricId, q: &MetricPointQuery) -> StoreResult<Page<MetricPoint>> {
                let mut c = self.read().await?;
                if !exists(&mut c, "SELECT COUNT(*) FROM cachet_metrics WHERE id = ?", metric.0).await? {
                    return Err(not_found("metric", metric.0));
                }
                let mut w = Where::default();
                w.eq("metric_id", metric.0);
                if let Some(t) = q.filter.since {
                    w.cond("created_at >= ?", args![t]);
                }
                if let Some(t) = q.filter.until {
                    w.cond("created_at < ?", args![t]);
                }
                let order = order_or(
                    q.sort.map(|(s, d)| match s {
                        MetricPointSort::Id => sort_clause("id", false, d),
                        MetricPointSort::Value => sort_clause("value", false, d),
                        MetricPointSort::CreatedAt => sort_clause("created_at", false, d),
                    }),
                    "created_at DESC, id DESC",
                );
                let (rows, total) = page_of::<PointRow>(&mut c, "cachet_metric_points", &w, &order, q.page).await?;
                Ok(Page { items: models(rows, PointRow::into_model)?, total, request: q.page })
            }

            async fn record_metric_point(
                &self,
                cx: WriteContext,
                metric: MetricId,
                new: &NewMetricPoint,
                fx: &EffectsFn<'_, MetricPoint>,
            ) -> StoreResult<MetricPoint> {
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                if !exists(&mut tx, "SELECT COUNT(*) FROM cachet_metrics WHERE id = ?", metric.0).await? {
                    return Err(not_found("metric", metric.0));
                }
                let merge_into = match new.merge_since {
                    Some(since) => fetch_opt::<PointRow>(
                        &mut tx,
                        sql("SELECT * FROM cachet_metric_points WHERE metric_id = ? AND value = ? AND created_at >= ? \
                             ORDER BY created_at DESC, id DESC LIMIT 1"),
                        args![metric.0, new.value.millis(), since],
                    )
                    .await?
                    .map(PointRow::into_model)
                    .transpose()?,
                    None => None,
                };
                let point = match merge_into {
                    Some(mut p) => {
                        p.counter += 1;
                        p.updated_at = cx.now;
                        exec(
                            &mut tx,
                            sql("UPDATE cachet_metric_points SET counter = ?, updated_at = ? WHERE id = ?"),
                            args![p.counter, p.updated_at, p.id.0],
                        )
                        .await?;
                        p
                    }
                    None => {
                        let id = insert(
                            &mut tx,
                            "INSERT INTO cachet_metric_points (metric_id, value, counter, created_at, updated_at) VALUES (?, ?, 1, ?, ?)",
                            args![metric.0, new.value.millis(), new.created_at, cx.now],
                        )
                        .await?;
                        MetricPoint {
                            id: MetricPointId(id),
                            metric_id: metric,
                            value: new.value,
                            counter: 1,
                            created_at: new.created_at,
                            updated_at: cx.now,
                        }
                    }
                };
                apply_effects(&mut tx, cx.now, fx(&point)).await?;
                tx.commit().await.map_err(backend)?;
                Ok(point)
            }

            async fn update_metric_point(
                &self,
                cx: WriteContext,
                metric: MetricId,
                id: MetricPointId,
                value: MetricValue,
                created_at: Option<Timestamp>,
                fx: &EffectsFn<'_, Changed<MetricPoint>>,
            ) -> StoreResult<MetricPoint> {
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                let before = get_point(&mut tx, metric, id).await?;
                let mut after = before.clone();
                after.value = value;
                if let Some(t) = created_at {
                    after.created_at = t;
                }
                after.updated_at = cx.now;
                exec(
                    &mut tx,
                    sql("UPDATE cachet_metric_points SET value = ?, created_at = ?, updated_at = ? WHERE id = ?"),
                    args![after.value.millis(), after.created_at, after.updated_at, id.0],
                )
                .await?;
                apply_effects(&mut tx, cx.now, fx(&Changed { before, after: after.clone() })).await?;
                tx.commit().await.map_err(backend)?;
                Ok(after)
            }

            async fn delete_metric_point(
                &self,
                cx: WriteContext,
                metric: MetricId,
                id: MetricPointId,
                fx: &EffectsFn<'_, MetricPoint>,
            ) -> StoreResult<()> {
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                let point = get_point(&mut tx, metric, id).await?;
                exec(&mut tx, sql("DELETE FROM cachet_metric_points WHERE id = ?"), args![id.0]).await?;
                apply_effects(&mut tx, cx.now, fx(&point)).await?;
                tx.commit().await.map_err(backend)?;
                Ok(())
            }

            // ---- subscribers ------------------------------------------------------------

            async fn subscriber(&self, id: SubscriberId) -> StoreResult<Subscriber> {
                let mut c = self.read().await?;
                get_subscriber(&mut c, id).await
            }

            async fn subscriber_by_blind_index(&self, index: &BlindIndex) -> StoreResult<Option<Subscriber>> {
                let mut c = self.read().await?;
                let row = fetch_opt::<SubscriberRow>(&mut c, sql("SELECT * FROM cachet_subscribers WHERE blind_index = ?"), args![&index.0[..]])
                    .await?;
                match row {
                    Some(row) => Ok(subscribers_from(&mut c, vec![row]).await?.pop()),
                    None => Ok(None),
                }
            }

            async fn subscribers(&self, q: &SubscriberQuery) -> StoreResult<Page<Subscriber>> {
                let f = &q.filter;
                let mut w = Where::default();
                match f.verified {
                    Some(true) => w.cond("verified_at IS NOT NULL", vec![]),
                    Some(false) => w.cond("verified_at IS NULL", vec![]),
                    None => {}
                }
                if let Some(cid) = f.notified_about {
                    w.cond(
                        "(NOT EXISTS (SELECT 1 FROM cachet_subscriptions s WHERE s.subscriber_id = cachet_subscribers.id) \
                         OR EXISTS (SELECT 1 FROM cachet_subscriptions s WHERE s.subscriber_id = cachet_subscribers.id AND s.component_id = ?))",
                        args![cid.0],
                    );
                }
                if let Some(t) = f.created_before {
                    w.cond("created_at < ?", args![t]);
                }
                if let Some(a) = f.after_id {
                    w.cond("id > ?", args![a.0]);
                }
                let order = order_or(
                    q.sort.map(|(s, d)| match s {
                        SubscriberSort::Id => sort_clause("id", false, d),
                        SubscriberSort::CreatedAt => sort_clause("created_at", false, d),
                        SubscriberSort::VerifiedAt => sort_clause("verified_at", true, d),
                    }),
                    "id ASC",
                );
                let mut c = self.read().await?;
                let (rows, total) = page_of::<SubscriberRow>(&mut c, "cachet_subscribers", &w, &order, q.page).await?;
                let items = subscribers_from(&mut c, rows).await?;
                Ok(Page { items, total, request: q.page })
            }

            async fn create_subscriber(
                &self,
                cx: WriteContext,
                new: &NewSubscriber,
                fx: &EffectsFn<'_, Subscriber>,
            ) -> StoreResult<Subscriber> {
                const TAKEN: &str = "address already subscribed";
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                let taken = int(&mut tx, sql("SELECT COUNT(*) FROM cachet_subscribers WHERE blind_index = ?"), args![&new.blind_index.0[..]]).await?;
                if taken > 0 {
                    return Err(conflict("subscriber", TAKEN));
                }
                let components = normalize_ids(&new.components);
                check_components(&mut tx, &components).await?;
                let id = insert_id(
                    &mut tx,
                    "INSERT INTO cachet_subscribers (email_key_id, email_ciphertext, blind_index, locale, verified_at, created_at, updated_at) \
                     VALUES (?, ?, ?, ?, ?, ?, ?)",
                    args![
                        i64::from(new.email.key_id),
                        &new.email.ciphertext[..],
                        &new.blind_index.0[..],
                        new.locale.as_str(),
                        new.verified_at,
                        cx.now,
                        cx.now,
                    ],
                )
                .await
                .map_err(unique("subscriber", TAKEN))?;
                let id = SubscriberId(id);
                sync_subscriptions(&mut tx, id, &components, cx.now).await?;
                let subscriber = Subscriber {
                    id,
                    email: new.email.clone(),
                    blind_index: new.blind_index,
                    locale: new.locale.clone(),
                    verified_at: new.verified_at,
                    global: components.is_empty(),
                    components,
                    created_at: cx.now,
                    updated_at: cx.now,
                };
                apply_effects(&mut tx, cx.now, fx(&subscriber)).await?;
                tx.commit().await.map_err(backend)?;
                Ok(subscriber)
            }

            async fn update_subscriber(
                &self,
                cx: WriteContext,
                id: SubscriberId,
                patch: &SubscriberPatch,
                fx: &EffectsFn<'_, Changed<Subscriber>>,
            ) -> StoreResult<Subscriber> {
                const TAKEN: &str = "address already subscribed";
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                let before = get_subscriber(&mut tx, id).await?;
                if let Some((_, index)) = &patch.email {
                    let taken = int(
                        &mut tx,
                        sql("SELECT COUNT(*) FROM cachet_subscribers WHERE blind_index = ? AND id <> ?"),
                        args![&index.0[..], id.0],
                    )
                    .await?;
                    if taken > 0 {
                        return Err(conflict("subscriber", TAKEN));
                    }
                }
                let components = patch.components.as_deref().map(normalize_ids);
                if let Some(cs) = &components {
                    check_components(&mut tx, cs).await?;
                }
                let mut after = before.clone();
                if let Some((email, index)) = &patch.email {
                    after.email = email.clone();
                    after.blind_index = *index;
                }
                if let Some(v) = &patch.locale {
                    after.locale = v.clone();
                }
                if let Some(v) = patch.verified_at {
                    after.verified_at = v;
                }
                if let Some(v) = components {
                    after.global = v.is_empty();
                    after.components = v;
                }
                after.updated_at = cx.now;
                let q = bind_args!(
                    sqlx::query::<Db>(sql("UPDATE cachet_subscribers SET email_key_id = ?, email_ciphertext = ?, blind_index = ?, locale = ?, \
                                           verified_at = ?, updated_at = ? WHERE id = ?")),
                    args![
                        i64::from(after.email.key_id),
                        &after.email.ciphertext[..],
                        &after.blind_index.0[..],
                        after.locale.as_str(),
                        after.verified_at,
                        after.updated_at,
                        id.0,
                    ]
                );
                q.execute(&mut *tx).await.map_err(unique("subscriber", TAKEN))?;
                if patch.components.is_some() {
                    sync_subscriptions(&mut tx, id, &after.components, cx.now).await?;
                }
                apply_effects(&mut tx, cx.now, fx(&Changed { before, after: after.clone() })).await?;
                tx.commit().await.map_err(backend)?;
                Ok(after)
            }

            async fn delete_subscriber(&self, cx: WriteContext, id: SubscriberId, fx: &EffectsFn<'_, Subscriber>) -> StoreResult<()> {
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                let subscriber = get_subscriber(&mut tx, id).await?;
                exec(&mut tx, sql("DELETE FROM cachet_subscriptions WHERE subscriber_id = ?"), args![id.0]).await?;
                exec(&mut tx, sql("DELETE FROM cachet_subscribers WHERE id = ?"), args![id.0]).await?;
                apply_effects(&mut tx, cx.now, fx(&subscriber)).await?;
                tx.commit().await.map_err(backend)?;
                Ok(())
            }

            async fn subscription(&self, id: SubscriptionId) -> StoreResult<Subscription> {
                let mut c = self.read().await?;
                fetch_opt::<SubscriptionRow>(&mut c, sql("SELECT * FROM cachet_subscriptions WHERE id = ?"), args![id.0])
                    .await?
                    .ok_or_else(|| not_found("subscription", id.0))?
                    .into_model()
            }

            async fn subscriptions_of(&self, subscriber: SubscriberId) -> StoreResult<Vec<Subscription>> {
                let mut c = self.read().await?;
                if !exists(&mut c, "SELECT COUNT(*) FROM cachet_subscribers WHERE id = ?", subscriber.0).await? {
                    return Err(not_found("subscriber", subscriber.0));
                }
                let rows = fetch::<SubscriptionRow>(
                    &mut c,
                    sql("SELECT * FROM cachet_subscriptions WHERE subscriber_id = ? ORDER BY component_id ASC, id ASC"),
                    args![subscriber.0],
                )
                .await?;
                models(rows, SubscriptionRow::into_model)
            }

            async fn delete_subscription(&self, cx: WriteContext, id: SubscriptionId, fx: &EffectsFn<'_, Subscription>) -> StoreResult<()> {
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                let subscription = fetch_opt::<SubscriptionRow>(&mut tx, sql("SELECT * FROM cachet_subscriptions WHERE id = ?"), args![id.0])
                    .await?
                    .ok_or_else(|| not_found("subscription", id.0))?
                    .into_model()?;
                exec(&mut tx, sql("DELETE FROM cachet_subscriptions WHERE id = ?"), args![id.0]).await?;
                exec(
                    &mut tx,
                    sql("UPDATE cachet_subscribers SET updated_at = ? WHERE id = ?"),
                    args![cx.now, subscription.subscriber_id.0],
                )
                .await?;
                apply_effects(&mut tx, cx.now, fx(&subscription)).await?;
                tx.commit().await.map_err(backend)?;
                Ok(())
            }

            // ---- webhooks ---------------------------------------------------------------

            async fn webhook(&self, id: WebhookId) -> StoreResult<Webhook> {
                let mut c = self.read().await?;
                get_webhook(&mut c, id).await
            }

            async fn webhooks(&self) -> StoreResult<Vec<Webhook>> {
                let mut c = self.read().await?;
                let rows = fetch::<WebhookRow>(&mut c, sql("SELECT * FROM cachet_webhooks ORDER BY id"), vec![]).await?;
                models(rows, WebhookRow::into_model)
            }

            async fn create_webhook(&self, cx: WriteContext, new: &NewWebhook, fx: &EffectsFn<'_, Webhook>) -> StoreResult<Webhook> {
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                let id = insert(
                    &mut tx,
                    "INSERT INTO cachet_webhooks (name, url, secret_key_id, secret_ciphertext, enabled, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    args![
                        new.name.as_str(),
                        new.url.as_str(),
                        i64::from(new.secret.key_id),
                        &new.secret.ciphertext[..],
                        new.enabled,
                        cx.now,
                        cx.now,
                    ],
                )
                .await?;
                let webhook = Webhook {
                    id: WebhookId(id),
                    name: new.name.clone(),
                    url: new.url.clone(),
                    secret: new.secret.clone(),
                    enabled: new.enabled,
                    created_at: cx.now,
                    updated_at: cx.now,
                };
                apply_effects(&mut tx, cx.now, fx(&webhook)).await?;
                tx.commit().await.map_err(backend)?;
                Ok(webhook)
            }

            async fn update_webhook(
                &self,
                cx: WriteContext,
                id: WebhookId,
                patch: &WebhookPatch,
                fx: &EffectsFn<'_, Changed<Webhook>>,
            ) -> StoreResult<Webhook> {
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                let before = get_webhook(&mut tx, id).await?;
                let mut after = before.clone();
                if let Some(v) = &patch.name {
                    after.name = v.clone();
                }
                if let Some(v) = &patch.url {
                    after.url = v.clone();
                }
                if let Some(v) = &patch.secret {
                    after.secret = v.clone();
                }
                if let Some(v) = patch.enabled {
                    after.enabled = v;
                }
                after.updated_at = cx.now;
                exec(
                    &mut tx,
                    sql("UPDATE cachet_webhooks SET name = ?, url = ?, secret_key_id = ?, secret_ciphertext = ?, enabled = ?, updated_at = ? WHERE id = ?"),
                    args![
                        after.name.as_str(),
                        after.url.as_str(),
                        i64::from(after.secret.key_id),
                        &after.secret.ciphertext[..],
                        after.enabled,
                        after.updated_at,
                        id.0,
                    ],
                )
                .await?;
                apply_effects(&mut tx, cx.now, fx(&Changed { before, after: after.clone() })).await?;
                tx.commit().await.map_err(backend)?;
                Ok(after)
            }

            async fn delete_webhook(&self, cx: WriteContext, id: WebhookId, fx: &EffectsFn<'_, Webhook>) -> StoreResult<()> {
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                let webhook = get_webhook(&mut tx, id).await?;
                exec(&mut tx, sql("DELETE FROM cachet_webhooks WHERE id = ?"), args![id.0]).await?;
                apply_effects(&mut tx, cx.now, fx(&webhook)).await?;
                tx.commit().await.map_err(backend)?;
                Ok(())
            }

            // ---- users and 2FA ----------------------------------------------------------

            async fn user(&self, id: UserId) -> StoreResult<User> {
                let mut c = self.read().await?;
                get_user(&mut c, id).await
            }

            async fn user_by_email(&self, email: &Email) -> StoreResult<Option<User>> {
                let mut c = self.read().await?;
                fetch_opt::<UserRow>(&mut c, sql("SELECT * FROM cachet_users WHERE email = ?"), args![email.as_str()])
                    .await?
                    .map(UserRow::into_model)
                    .transpose()
            }

            async fn users(&self, q: &UserQuery) -> StoreResult<Page<User>> {
                let mut w = Where::default();
                if let Some(v) = q.filter.role {
                    w.eq("role", v.as_str());
                }
                if let Some(v) = q.filter.active {
                    w.eq("active", v);
                }
                let order = order_or(
                    q.sort.map(|(s, d)| match s {
                        UserSort::Id => sort_clause("id", false, d),
                        UserSort::Name => sort_clause("name", false, d),
                        UserSort::Email => sort_clause("email", false, d),
                        UserSort::Role => sort_clause("role", false, d),
                        UserSort::CreatedAt => sort_clause("created_at", false, d),
                    }),
                    "id ASC",
                );
                let mut c = self.read().await?;
                let (rows, total) = page_of::<UserRow>(&mut c, "cachet_users", &w, &order, q.page).await?;
                Ok(Page { items: models(rows, UserRow::into_model)?, total, request: q.page })
            }

            async fn create_user(&self, cx: WriteContext, new: &NewUser, fx: &EffectsFn<'_, User>) -> StoreResult<User> {
                const TAKEN: &str = "email already exists";
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                if new.only_if_no_admin {
                    let admins = int(&mut tx, sql("SELECT COUNT(*) FROM cachet_users WHERE role = ?"), args![Role::Admin.as_str()]).await?;
                    if admins > 0 {
                        return Err(conflict("user", "an admin already exists"));
                    }
                }
                if int(&mut tx, sql("SELECT COUNT(*) FROM cachet_users WHERE email = ?"), args![new.email.as_str()]).await? > 0 {
                    return Err(conflict("user", TAKEN));
                }
                let id = insert_id(
                    &mut tx,
                    "INSERT INTO cachet_users (name, email, role, password_hash, active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    args![new.name.as_str(), new.email.as_str(), new.role.as_str(), new.password_hash.0.as_str(), new.active, cx.now, cx.now],
                )
                .await
                .map_err(unique("user", TAKEN))?;
                let user = User {
                    id: UserId(id),
                    name: new.name.clone(),
                    email: new.email.clone(),
                    role: new.role,
                    password_hash: new.password_hash.clone(),
                    active: new.active,
                    totp: None,
                    last_login_at: None,
                    created_at: cx.now,
                    updated_at: cx.now,
                };
                apply_effects(&mut tx, cx.now, fx(&user)).await?;
                tx.commit().await.map_err(backend)?;
                Ok(user)
            }

            async fn update_user(&self, cx: WriteContext, id: UserId, patch: &UserPatch, fx: &EffectsFn<'_, Changed<User>>) -> StoreResult<User> {
                const TAKEN: &str = "email already exists";
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                let before = get_user(&mut tx, id).await?;
                if let Some(email) = &patch.email {
                    let taken =
                        int(&mut tx, sql("SELECT COUNT(*) FROM cachet_users WHERE email = ? AND id <> ?"), args![email.as_str(), id.0]).await?;
                    if taken > 0 {
                        return Err(conflict("user", TAKEN));
                    }
                }
                let mut after = before.clone();
                if let Some(v) = &patch.name {
                    after.name = v.clone();
                }
                if let Some(v) = &patch.email {
                    after.email = v.clone();
                }
                if let Some(v) = patch.role {
                    after.role = v;
                }
                if let Some(v) = &patch.password_hash {
                    after.password_hash = v.clone();
                }
                if let Some(v) = patch.active {
                    after.active = v;
                }
                if let Some(v) = &patch.totp {
                    after.totp = v.clone();
                }
                if let Some(v) = patch.last_login_at {
                    after.last_login_at = Some(v);
                }
                after.updated_at = cx.now;
                let totp = after.totp.as_ref();
                let q = bind_args!(
                    sqlx::query::<Db>(sql("UPDATE cachet_users SET name = ?, email = ?, role = ?, password_hash = ?, active = ?, totp_key_id = ?, \
                                           totp_secret = ?, totp_confirmed_at = ?, totp_last_step = ?, last_login_at = ?, updated_at = ? WHERE id = ?")),
                    args![
                        after.name.as_str(),
                        after.email.as_str(),
                        after.role.as_str(),
                        after.password_hash.0.as_str(),
                        after.active,
                        totp.map(|t| i64::from(t.secret.key_id)),
                        totp.map(|t| &t.secret.ciphertext[..]),
                        totp.and_then(|t| t.confirmed_at),
                        totp.and_then(|t| t.last_step),
                        after.last_login_at,
                        after.updated_at,
                        id.0,
                    ]
                );
                q.execute(&mut *tx).await.map_err(unique("user", TAKEN))?;
                if patch.password_hash.is_some() {
                    remember_password(&mut tx, id, &before.password_hash, cx.now).await?;
                }
                apply_effects(&mut tx, cx.now, fx(&Changed { before, after: after.clone() })).await?;
                tx.commit().await.map_err(backend)?;
                Ok(after)
            }

            async fn delete_user(&self, cx: WriteContext, id: UserId, fx: &EffectsFn<'_, User>) -> StoreResult<()> {
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                let user = get_user(&mut tx, id).await?;
                for s in [
                    "DELETE FROM cachet_sessions WHERE user_id = ?",
                    "DELETE FROM cachet_api_tokens WHERE user_id = ?",
                    "DELETE FROM cachet_recovery_codes WHERE user_id = ?",
                    "DELETE FROM cachet_password_history WHERE user_id = ?",
                    "UPDATE cachet_incidents SET user_id = NULL WHERE user_id = ?",
                    "UPDATE cachet_incident_updates SET user_id = NULL WHERE user_id = ?",
                    "UPDATE cachet_schedules SET user_id = NULL WHERE user_id = ?",
                    "UPDATE cachet_schedule_updates SET user_id = NULL WHERE user_id = ?",
                    "UPDATE cachet_status_changes SET cause_user_id = NULL WHERE cause_user_id = ?",
                    "DELETE FROM cachet_users WHERE id = ?",
                ] {
                    exec(&mut tx, sql(s), args![id.0]).await?;
                }
                apply_effects(&mut tx, cx.now, fx(&user)).await?;
                tx.commit().await.map_err(backend)?;
                Ok(())
            }

            async fn password_history(&self, user: UserId) -> StoreResult<Vec<PasswordHash>> {
                let mut c = self.read().await?;
                let rows: Vec<(String,)> = fetch(
                    &mut c,
                    sql("SELECT password_hash FROM cachet_password_history WHERE user_id = ? ORDER BY id DESC"),
                    args![user.0],
                )
                .await?;
                Ok(rows.into_iter().take(PASSWORD_HISTORY_LEN).map(|(h,)| PasswordHash(h)).collect())
            }

            async fn accept_totp_step(&self, user: UserId, step: i64) -> StoreResult<bool> {
                let mut c = self.write().await?;
                let changed = exec(
                    &mut c,
                    sql("UPDATE cachet_users SET totp_last_step = ? WHERE id = ? AND totp_key_id IS NOT NULL \
                         AND (totp_last_step IS NULL OR totp_last_step < ?)"),
                    args![step, user.0, step],
                )
                .await?;
                if changed > 0 {
                    return Ok(true);
                }
                if exists(&mut c, "SELECT COUNT(*) FROM cachet_users WHERE id = ?", user.0).await? {
                    Ok(false)
                } else {
                    Err(not_found("user", user.0))
                }
            }

            async fn replace_recovery_codes(
                &self,
                cx: WriteContext,
                user: UserId,
                codes: &[TokenHash],
                fx: &EffectsFn<'_, UserId>,
            ) -> StoreResult<()> {
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                if !exists(&mut tx, "SELECT COUNT(*) FROM cachet_users WHERE id = ?", user.0).await? {
                    return Err(not_found("user", user.0));
                }
                exec(&mut tx, sql("DELETE FROM cachet_recovery_codes WHERE user_id = ?"), args![user.0]).await?;
                for code in codes {
                    exec(
                        &mut tx,
                        sql("INSERT INTO cachet_recovery_codes (user_id, hash, used_at) VALUES (?, ?, NULL)"),
                        args![user.0, &code.0[..]],
                    )
                    .await?;
                }
                apply_effects(&mut tx, cx.now, fx(&user)).await?;
                tx.commit().await.map_err(backend)?;
                Ok(())
            }

            async fn use_recovery_code(
                &self,
                cx: WriteContext,
                user: UserId,
                code: &TokenHash,
                fx: &EffectsFn<'_, UserId>,
            ) -> StoreResult<bool> {
                let mut tx = self.begin().await?;
                // Bumped first, as every content write does (a consistent lock order); a code
                // that matches nothing rolls the bump back.
                bump(&mut tx).await?;
                if !exists(&mut tx, "SELECT COUNT(*) FROM cachet_users WHERE id = ?", user.0).await? {
                    return Err(not_found("user", user.0));
                }
                let row: Option<(i64,)> = fetch_opt(
                    &mut tx,
                    dyn_sql(format!(
                        "SELECT id FROM cachet_recovery_codes WHERE user_id = ? AND hash = ? AND used_at IS NULL ORDER BY id LIMIT 1{FOR_UPDATE}"
                    )),
                    args![user.0, &code.0[..]],
                )
                .await?;
                // A code that matches nothing ends the transaction here (the revision bump
                // rolled back at once, not whenever the pool next touches the connection).
                let Some((code_id,)) = row else {
                    tx.rollback().await.map_err(backend)?;
                    return Ok(false);
                };
                let used =
                    exec(&mut tx, sql("UPDATE cachet_recovery_codes SET used_at = ? WHERE id = ? AND used_at IS NULL"), args![cx.now, code_id]).await?;
                if used == 0 {
                    tx.rollback().await.map_err(backend)?;
                    return Ok(false);
                }
                apply_effects(&mut tx, cx.now, fx(&user)).await?;
                tx.commit().await.map_err(backend)?;
                Ok(true)
            }

            async fn recovery_codes_left(&self, user: UserId) -> StoreResult<u32> {
                let mut c = self.read().await?;
                if !exists(&mut c, "SELECT COUNT(*) FROM cachet_users WHERE id = ?", user.0).await? {
                    return Err(not_found("user", user.0));
                }
                let n = int(&mut c, sql("SELECT COUNT(*) FROM cachet_recovery_codes WHERE user_id = ? AND used_at IS NULL"), args![user.0]).await?;
                Ok(u32::try_from(n).unwrap_or(u32::MAX))
            }

            // ---- API tokens -------------------------------------------------------------

            async fn api_token(&self, id: ApiTokenId) -> StoreResult<ApiToken> {
                let mut c = self.read().await?;
                get_api_token(&mut c, id).await
            }

            async fn api_token_by_hash(&self, hash: &TokenHash) -> StoreResult<Option<ApiToken>> {
                let mut c = self.read().await?;
                fetch_opt::<ApiTokenRow>(&mut c, sql("SELECT * FROM cachet_api_tokens WHERE hash = ?"), args![&hash.0[..]])
                    .await?
                    .map(ApiTokenRow::into_model)
                    .transpose()
            }

            async fn api_tokens(&self, q: &ApiTokenQuery) -> StoreResult<Page<ApiToken>> {
                let mut w = Where::default();
                if let Some(u) = q.filter.user_id {
                    w.eq("user_id", u.0);
                }
                let order = order_or(q.sort.map(|(NoSort::Id, d)| sort_clause("id", false, d)), "id ASC");
                let mut c = self.read().await?;
                let (rows, total) = page_of::<ApiTokenRow>(&mut c, "cachet_api_tokens", &w, &order, q.page).await?;
                Ok(Page { items: models(rows, ApiTokenRow::into_model)?, total, request: q.page })
            }

            async fn create_api_token(&self, cx: WriteContext, new: &NewApiToken, fx: &EffectsFn<'_, ApiToken>) -> StoreResult<ApiToken> {
                const TAKEN: &str = "hash already exists";
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                if int(&mut tx, sql("SELECT COUNT(*) FROM cachet_api_tokens WHERE hash = ?"), args![&new.hash.0[..]]).await? > 0 {
                    return Err(conflict("api_token", TAKEN));
                }
                check_user(&mut tx, Some(new.user_id)).await?;
                let id = insert_id(
                    &mut tx,
                    "INSERT INTO cachet_api_tokens (user_id, name, prefix, hash, scope, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    args![new.user_id.0, new.name.as_str(), new.prefix.as_str(), &new.hash.0[..], new.scope.as_str(), new.expires_at, cx.now],
                )
                .await
                .map_err(unique("api_token", TAKEN))?;
                let token = ApiToken {
                    id: ApiTokenId(id),
                    user_id: new.user_id,
                    name: new.name.clone(),
                    prefix: new.prefix.clone(),
                    hash: new.hash,
                    scope: new.scope,
                    expires_at: new.expires_at,
                    last_used_at: None,
                    revoked_at: None,
                    created_at: cx.now,
                };
                apply_effects(&mut tx, cx.now, fx(&token)).await?;
                tx.commit().await.map_err(backend)?;
                Ok(token)
            }

            async fn update_api_token(
                &self,
                cx: WriteContext,
                id: ApiTokenId,
                patch: &ApiTokenPatch,
                fx: &EffectsFn<'_, Changed<ApiToken>>,
            ) -> StoreResult<ApiToken> {
                let mut tx = self.begin().await?;
                // Only the last use: bookkeeping, not content.
                if patch.name.is_some() || patch.revoked_at.is_some() {
                    bump(&mut tx).await?;
                }
                let before = get_api_token(&mut tx, id).await?;
                let mut after = before.clone();
                if let Some(v) = &patch.name {
                    after.name = v.clone();
                }
                if let Some(v) = patch.last_used_at {
                    after.last_used_at = Some(v);
                }
                if let Some(v) = patch.revoked_at {
                    after.revoked_at = Some(v);
                }
                exec(
                    &mut tx,
                    sql("UPDATE cachet_api_tokens SET name = ?, last_used_at = ?, revoked_at = ? WHERE id = ?"),
                    args![after.name.as_str(), after.last_used_at, after.revoked_at, id.0],
                )
                .await?;
                apply_effects(&mut tx, cx.now, fx(&Changed { before, after: after.clone() })).await?;
                tx.commit().await.map_err(backend)?;
                Ok(after)
            }

            async fn delete_api_token(&self, cx: WriteContext, id: ApiTokenId, fx: &EffectsFn<'_, ApiToken>) -> StoreResult<()> {
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                let token = get_api_token(&mut tx, id).await?;
                exec(&mut tx, sql("DELETE FROM cachet_api_tokens WHERE id = ?"), args![id.0]).await?;
                apply_effects(&mut tx, cx.now, fx(&token)).await?;
                tx.commit().await.map_err(backend)?;
                Ok(())
            }

            // ---- sessions ---------------------------------------------------------------

            async fn session_by_hash(&self, hash: &TokenHash) -> StoreResult<Option<Session>> {
                let mut c = self.read().await?;
                fetch_opt::<SessionRow>(&mut c, sql("SELECT * FROM cachet_sessions WHERE hash = ?"), args![&hash.0[..]])
                    .await?
                    .map(SessionRow::into_model)
                    .transpose()
            }

            async fn sessions_of(&self, user: UserId) -> StoreResult<Vec<Session>> {
                let mut c = self.read().await?;
                let rows = fetch::<SessionRow>(&mut c, sql("SELECT * FROM cachet_sessions WHERE user_id = ? ORDER BY id"), args![user.0]).await?;
                models(rows, SessionRow::into_model)
            }

            async fn create_session(&self, cx: WriteContext, new: &NewSession) -> StoreResult<Session> {
                const TAKEN: &str = "hash already exists";
                let mut tx = self.begin().await?;
                check_user(&mut tx, Some(new.user_id)).await?;
                if int(&mut tx, sql("SELECT COUNT(*) FROM cachet_sessions WHERE hash = ?"), args![&new.hash.0[..]]).await? > 0 {
                    return Err(conflict("session", TAKEN));
                }
                let id = insert_id(
                    &mut tx,
                    "INSERT INTO cachet_sessions (hash, user_id, pending_second_factor, created_at, last_seen_at, expires_at, ip, user_agent) \
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    args![
                        &new.hash.0[..],
                        new.user_id.0,
                        new.pending_second_factor,
                        cx.now,
                        cx.now,
                        new.expires_at,
                        new.ip.as_deref(),
                        new.user_agent.as_deref(),
                    ],
                )
                .await
                .map_err(unique("session", TAKEN))?;
                tx.commit().await.map_err(backend)?;
                Ok(Session {
                    id: SessionId(id),
                    hash: new.hash,
                    user_id: new.user_id,
                    pending_second_factor: new.pending_second_factor,
                    created_at: cx.now,
                    last_seen_at: cx.now,
                    expires_at: new.expires_at,
                    ip: new.ip.clone(),
                    user_agent: new.user_agent.clone(),
                })
            }

            async fn update_session(&self, id: SessionId, patch: &SessionPatch) -> StoreResult<Session> {
                let mut tx = self.begin().await?;
                let mut session = get_session(&mut tx, id).await?;
                if let Some(v) = patch.last_seen_at {
                    session.last_seen_at = v;
                }
                if let Some(v) = patch.pending_second_factor {
                    session.pending_second_factor = v;
                }
                exec(
                    &mut tx,
                    sql("UPDATE cachet_sessions SET last_seen_at = ?, pending_second_factor = ? WHERE id = ?"),
                    args![session.last_seen_at, session.pending_second_factor, id.0],
                )
                .await?;
                tx.commit().await.map_err(backend)?;
                Ok(session)
            }

            async fn delete_session(&self, id: SessionId) -> StoreResult<()> {
                let mut c = self.write().await?;
                exec(&mut c, sql("DELETE FROM cachet_sessions WHERE id = ?"), args![id.0]).await?;
                Ok(())
            }

            async fn delete_sessions_of(&self, user: UserId, except: Option<SessionId>) -> StoreResult<u64> {
                let mut c = self.write().await?;
                match except {
                    Some(keep) => exec(&mut c, sql("DELETE FROM cachet_sessions WHERE user_id = ? AND id <> ?"), args![user.0, keep.0]).await,
                    None => exec(&mut c, sql("DELETE FROM cachet_sessions WHERE user_id = ?"), args![user.0]).await,
                }
            }

            async fn delete_expired_sessions(&self, now: Timestamp) -> StoreResult<u64> {
                let mut c = self.write().await?;
                exec(&mut c, sql("DELETE FROM cachet_sessions WHERE expires_at <= ?"), args![now]).await
            }

            // ---- login throttling -------------------------------------------------------

            async fn throttle(&self, key: &str) -> StoreResult<Option<ThrottleState>> {
                let mut c = self.read().await?;
                fetch_opt::<ThrottleRow>(&mut c, sql("SELECT * FROM cachet_throttles WHERE throttle_key = ?"), args![key])
                    .await?
                    .map(ThrottleRow::into_model)
                    .transpose()
            }

            async fn save_throttle(&self, state: &ThrottleState) -> StoreResult<()> {
                let mut c = self.write().await?;
                exec(
                    &mut c,
                    sql(UPSERT_THROTTLE),
                    args![state.key.as_str(), i64::from(state.failures), state.last_failure_at, state.locked_until],
                )
                .await?;
                Ok(())
            }

            async fn clear_throttle(&self, key: &str) -> StoreResult<()> {
                let mut c = self.write().await?;
                exec(&mut c, sql("DELETE FROM cachet_throttles WHERE throttle_key = ?"), args![key]).await?;
                Ok(())
            }

            async fn prune_throttles(&self, before: Timestamp) -> StoreResult<u64> {
                let mut c = self.write().await?;
                exec(
                    &mut c,
                    sql("DELETE FROM cachet_throttles WHERE last_failure_at < ? AND (locked_until IS NULL OR locked_until < ?)"),
                    args![before, before],
                )
                .await
            }

            // ---- one-time tokens --------------------------------------------------------

            async fn end_one_time_tokens(&self, purpose: TokenPurpose, subject: i64, now: Timestamp) -> StoreResult<u64> {
                let mut c = self.write().await?;
                exec(
                    &mut c,
                    sql("UPDATE cachet_one_time_tokens SET used_at = ? WHERE purpose = ? AND subject_id = ? AND used_at IS NULL"),
                    args![now, purpose.as_str(), subject],
                )
                .await
            }

            async fn create_one_time_token(&self, cx: WriteContext, new: &NewOneTimeToken) -> StoreResult<OneTimeToken> {
                const TAKEN: &str = "hash already exists";
                let mut tx = self.begin().await?;
                if int(&mut tx, sql("SELECT COUNT(*) FROM cachet_one_time_tokens WHERE hash = ?"), args![&new.hash.0[..]]).await? > 0 {
                    return Err(conflict("one_time_token", TAKEN));
                }
                let id = insert_id(
                    &mut tx,
                    "INSERT INTO cachet_one_time_tokens (purpose, hash, subject_id, payload, expires_at, used_at, created_at) \
                     VALUES (?, ?, ?, ?, ?, NULL, ?)",
                    args![new.purpose.as_str(), &new.hash.0[..], new.subject_id, new.payload.to_string(), new.expires_at, cx.now],
                )
                .await
                .map_err(unique("one_time_token", TAKEN))?;
                tx.commit().await.map_err(backend)?;
                Ok(OneTimeToken {
                    id: OneTimeTokenId(id),
                    purpose: new.purpose,
                    hash: new.hash,
                    subject_id: new.subject_id,
                    payload: new.payload.clone(),
                    expires_at: new.expires_at,
                    used_at: None,
                    created_at: cx.now,
                })
            }

            async fn consume_one_time_token(
                &self,
                purpose: TokenPurpose,
                hash: &TokenHash,
                now: Timestamp,
            ) -> StoreResult<Option<OneTimeToken>> {
                let mut tx = self.begin().await?;
                let used = exec(
                    &mut tx,
                    sql("UPDATE cachet_one_time_tokens SET used_at = ? WHERE purpose = ? AND hash = ? AND used_at IS NULL AND expires_at > ?"),
                    args![now, purpose.as_str(), &hash.0[..], now],
                )
                .await?;
                if used == 0 {
                    tx.rollback().await.map_err(backend)?;
                    return Ok(None);
                }
                let token = fetch_opt::<OneTimeTokenRow>(&mut tx, sql("SELECT * FROM cachet_one_time_tokens WHERE hash = ?"), args![&hash.0[..]])
                    .await?
                    .map(OneTimeTokenRow::into_model)
                    .transpose()?;
                tx.commit().await.map_err(backend)?;
                Ok(token)
            }

            async fn peek_one_time_token(
                &self,
                purpose: TokenPurpose,
                hash: &TokenHash,
                now: Timestamp,
            ) -> StoreResult<Option<OneTimeToken>> {
                let mut c = self.read().await?;
                fetch_opt::<OneTimeTokenRow>(
                    &mut c,
                    sql("SELECT * FROM cachet_one_time_tokens WHERE purpose = ? AND hash = ? AND used_at IS NULL AND expires_at > ?"),
                    args![purpose.as_str(), &hash.0[..], now],
                )
                .await?
                .map(OneTimeTokenRow::into_model)
                .transpose()
            }

            async fn prune_one_time_tokens(&self, now: Timestamp) -> StoreResult<u64> {
                let mut c = self.write().await?;
                exec(&mut c, sql("DELETE FROM cachet_one_time_tokens WHERE used_at IS NOT NULL OR expires_at <= ?"), args![now]).await
            }

            // ---- settings ---------------------------------------------------------------

            async fn settings(&self) -> StoreResult<Vec<(SettingKey, String)>> {
                let mut c = self.read().await?;
                let rows = fetch::<SettingRow>(&mut c, sql("SELECT * FROM cachet_settings ORDER BY setting_key"), vec![]).await?;
                let mut all = models(rows, SettingRow::into_model)?;
                all.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
                Ok(all)
            }

            async fn put_settings(&self, cx: WriteContext, values: &[(SettingKey, String)], fx: &Effects) -> StoreResult<()> {
                let mut tx = self.begin().await?;
                bump(&mut tx).await?;
                for (k, v) in values {
                    exec(&mut tx, sql(UPSERT_SETTING), args![k.as_str(), v.as_str()]).await?;
                }
                apply_effects(&mut tx, cx.now, fx.clone()).await?;
                tx.commit().await.map_err(backend)?;
                Ok(())
            }

            // ---- audit ------------------------------------------------------------------

            async fn append_audit(&self, event: &NewAuditEvent) -> StoreResult<AuditEvent> {
                let mut c = self.write().await?;
                let id = insert_audit(&mut c, event).await?;
                Ok(AuditEvent {
                    id: AuditEventId(id),
                    at: event.at,
                    actor_user_id: event.actor_user_id,
                    actor_token_id: event.actor_token_id,
                    actor: event.actor.clone(),
                    action: event.action,
                    entity: event.entity,
                    entity_id: event.entity_id,
                    ip: event.ip.clone(),
                    outcome: event.outcome,
                    detail: event.detail.clone(),
                })
            }

            async fn prune_audit(&self, before: Timestamp) -> StoreResult<u64> {
                let mut c = self.write().await?;
                exec(&mut c, sql("DELETE FROM cachet_audit_events WHERE at < ?"), args![before]).await
            }

            async fn audit_events(&self, q: &AuditQuery) -> StoreResult<Page<AuditEvent>> {
                let f = &q.filter;
                let mut w = Where::default();
                if let Some(v) = f.actor_user_id {
                    w.eq("actor_user_id", v.0);
                }
                if let Some(v) = f.action {
                    w.eq("action", v.as_str());
                }
                if let Some(v) = f.entity {
                    w.eq("entity", v.as_str());
                }
                if let Some(v) = f.entity_id {
                    w.eq("entity_id", v);
                }
                if let Some(v) = f.outcome {
                    w.eq("outcome", v.as_str());
                }
                if let Some(t) = f.since {
                    w.cond("at >= ?", args![t]);
                }
                if let Some(t) = f.until {
                    w.cond("at < ?", args![t]);
                }
                let order = order_or(q.sort.map(|(NoSort::Id, d)| sort_clause("id", false, d)), "id DESC");
                let mut c = self.read().await?;
                let (rows, total) = page_of::<AuditRow>(&mut c, "cachet_audit_events", &w, &order, q.page).await?;
                Ok(Page { items: models(rows, AuditRow::into_model)?, total, request: q.page })
            }

            // ---- outbox -----------------------------------------------------------------

            async fn enqueue(&self, cx: WriteContext, event: &NewOutboxEvent) -> StoreResult<OutboxEvent> {
                let mut c = self.write().await?;
                let id = insert_outbox(&mut c, cx.now, event).await?;
                Ok(OutboxEvent {
                    id: OutboxEventId(id),
                    kind: event.kind,
                    payload: event.payload.clone(),
                    status: OutboxStatus::Pending,
                    attempts: 0,
                    next_attempt_at: event.next_attempt_at,
                    lease_owner: None,
                    lease_expires_at: None,
                    last_error: None,
                    created_at: cx.now,
                })
            }

            async fn outbox_events(&self, q: &OutboxQuery) -> StoreResult<Page<OutboxEvent>> {
                let mut w = Where::default();
                if let Some(s) = q.filter.status {
                    w.eq("status", s.as_str());
                }
                let order = order_or(q.sort.map(|(NoSort::Id, d)| sort_clause("id", false, d)), "id ASC");
                let mut c = self.read().await?;
                let (rows, total) = page_of::<OutboxRow>(&mut c, "cachet_outbox_events", &w, &order, q.page).await?;
                Ok(Page { items: models(rows, OutboxRow::into_model)?, total, request: q.page })
            }

            async fn outbox_event(&self, id: OutboxEventId) -> StoreResult<OutboxEvent> {
                let mut c = self.read().await?;
                fetch_opt::<OutboxRow>(&mut c, sql("SELECT * FROM cachet_outbox_events WHERE id = ?"), args![id.0])
                    .await?
                    .ok_or_else(|| not_found("outbox_event", id.0))?
                    .into_model()
            }

            async fn claim_outbox_events(&self, owner: &str, now: Timestamp, lease_until: Timestamp, limit: u32) -> StoreResult<Vec<OutboxEvent>> {
                let mut tx = self.begin().await?;
                let ids = claim_ids(&mut tx, "cachet_outbox_events", OutboxStatus::Pending.as_str(), now, limit).await?;
                if ids.is_empty() {
                    // Ended here, not by dropping it: a dropped transaction is rolled back
                    // only when the pool gets round to the connection, and until then
                    // InnoDB keeps the row locks the claim's scan took, so the next claim
                    // (SKIP LOCKED) would skip rows that are free.
                    tx.rollback().await.map_err(backend)?;
                    return Ok(Vec::new());
                }
                let mut a = args![owner, lease_until];
                a.extend(ids.iter().map(|id| Arg::from(*id)));
                let s = format!(
                    "UPDATE cachet_outbox_events SET lease_owner = ?, lease_expires_at = ?, attempts = attempts + 1 WHERE id IN ({})",
                    placeholders(ids.len())
                );
                exec(&mut tx, dyn_sql(s), a).await?;
                let rows = children::<OutboxRow>(&mut tx, "cachet_outbox_events", "id", &ids).await?;
                let events = models(rows, OutboxRow::into_model)?;
                tx.commit().await.map_err(backend)?;
                Ok(events)
            }

            async fn complete_outbox_event(&self, cx: WriteContext, id: OutboxEventId, owner: &str, deliveries: &[NewDelivery]) -> StoreResult<()> {
                let mut tx = self.begin().await?;
                check_lease(&mut tx, "cachet_outbox_events", "outbox_event", id.0, owner).await?;
                for d in deliveries {
                    let known = int(
                        &mut tx,
                        sql("SELECT COUNT(*) FROM cachet_deliveries WHERE idempotency_key = ?"),
                        args![d.idempotency_key.as_str()],
                    )
                    .await?;
                    if known > 0 {
                        continue;
                    }
                    insert_id(
                        &mut tx,
                        "INSERT INTO cachet_deliveries (event_id, recipient, channel, idempotency_key, status, attempts, next_attempt_at, created_at) \
                         VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
                        args![
                            id.0,
                            d.recipient.as_str(),
                            d.channel.as_str(),
                            d.idempotency_key.as_str(),
                            DeliveryStatus::Pending.as_str(),
                            cx.now,
                            cx.now,
                        ],
                    )
                    .await
                    .map_err(unique("delivery", "idempotency key already exists"))?;
                }
                exec(
                    &mut tx,
                    sql("UPDATE cachet_outbox_events SET status = ?, lease_owner = NULL, lease_expires_at = NULL WHERE id = ?"),
                    args![OutboxStatus::Done.as_str(), id.0],
                )
                .await?;
                tx.commit().await.map_err(backend)?;
                Ok(())
            }

            async fn fail_outbox_event(&self, id: OutboxEventId, owner: &str, error: &str, retry_at: Option<Timestamp>) -> StoreResult<()> {
                let mut tx = self.begin().await?;
                check_lease(&mut tx, "cachet_outbox_events", "outbox_event", id.0, owner).await?;
                match retry_at {
                    Some(t) => exec(
                        &mut tx,
                        sql("UPDATE cachet_outbox_events SET lease_owner = NULL, lease_expires_at = NULL, last_error = ?, status = ?, \
                             next_attempt_at = ? WHERE id = ?"),
                        args![error, OutboxStatus::Pending.as_str(), t, id.0],
                    )
                    .await?,
                    None => exec(
                        &mut tx,
                        sql("UPDATE cachet_outbox_events SET lease_owner = NULL, lease_expires_at = NULL, last_error = ?, status = ? WHERE id = ?"),
                        args![error, OutboxStatus::Failed.as_str(), id.0],
                    )
                    .await?,
                };
                tx.commit().await.map_err(backend)?;
                Ok(())
            }

            async fn claim_deliveries(&self, owner: &str, now: Timestamp, lease_until: Timestamp, limit: u32) -> StoreResult<Vec<Delivery>> {
                let mut tx = self.begin().await?;
                let ids = claim_ids(&mut tx, "cachet_deliveries", DeliveryStatus::Pending.as_str(), now, limit).await?;
                if ids.is_empty() {
                    // Ended here, not by dropping it: a dropped transaction is rolled back
                    // only when the pool gets round to the connection, and until then
                    // InnoDB keeps the row locks the claim's scan took, so the next claim
                    // (SKIP LOCKED) would skip rows that are free.
                    tx.rollback().await.map_err(backend)?;
                    return Ok(Vec::new());
                }
                let mut a = args![owner, lease_until];
                a.extend(ids.iter().map(|id| Arg::from(*id)));
                let s = format!(
                    "UPDATE cachet_deliveries SET lease_owner = ?, lease_expires_at = ? WHERE id IN ({})",
                    placeholders(ids.len())
                );
                exec(&mut tx, dyn_sql(s), a).await?;
                let rows = children::<DeliveryRow>(&mut tx, "cachet_deliveries", "id", &ids).await?;
                let deliveries = models(rows, DeliveryRow::into_model)?;
                tx.commit().await.map_err(backend)?;
                Ok(deliveries)
            }

            async fn record_delivery_attempt(&self, id: DeliveryId, owner: &str, attempt: &NewDeliveryAttempt) -> StoreResult<Delivery> {
                // The mail has gone out already: a deadlock with another instance's retention
                // pass (MariaDB kills one of the two) must not leave the attempt unrecorded, or
                // the delivery is sent again when its lease runs out. The transaction is retried.
                let mut retries = 0u32;
                loop {
                    let result: StoreResult<Delivery> = async {
                        let mut tx = self.begin().await?;
                        check_lease(&mut tx, "cachet_deliveries", "delivery", id.0, owner).await?;
                        let (ok, error) = match &attempt.result {
                            AttemptResult::Delivered => (true, None),
                            AttemptResult::Retry { error, .. } | AttemptResult::Failed { error } => (false, Some(error.as_str())),
                        };
                        insert(
                            &mut tx,
                            "INSERT INTO cachet_delivery_attempts (delivery_id, at, ok, error) VALUES (?, ?, ?, ?)",
                            args![id.0, attempt.at, ok, error],
                        )
                        .await?;
                        let base = "UPDATE cachet_deliveries SET attempts = attempts + 1, lease_owner = NULL, lease_expires_at = NULL";
                        match &attempt.result {
                            AttemptResult::Delivered => {
                                exec(
                                    &mut tx,
                                    dyn_sql(format!("{base}, status = ?, delivered_at = ? WHERE id = ?")),
                                    args![DeliveryStatus::Delivered.as_str(), attempt.at, id.0],
                                )
                                .await?
                            }
                            AttemptResult::Retry { error, next_attempt_at } => {
                                exec(
                                    &mut tx,
                                    dyn_sql(format!("{base}, status = ?, next_attempt_at = ?, last_error = ? WHERE id = ?")),
                                    args![DeliveryStatus::Pending.as_str(), *next_attempt_at, error.as_str(), id.0],
                                )
                                .await?
                            }
                            AttemptResult::Failed { error } => {
                                exec(
                                    &mut tx,
                                    dyn_sql(format!("{base}, status = ?, last_error = ? WHERE id = ?")),
                                    args![DeliveryStatus::Failed.as_str(), error.as_str(), id.0],
                                )
                                .await?
                            }
                        };
                        let delivery = get_delivery(&mut tx, id).await?;
                        tx.commit().await.map_err(backend)?;
                        Ok(delivery)
                    }
                    .await;
                    match result {
                        Err(e) if retries < 4 && crate::error::is_transaction_conflict(&e) => {
                            retries += 1;
                            tokio::time::sleep(std::time::Duration::from_millis(10 << retries)).await;
                        }
                        other => return other,
                    }
                }
            }

            async fn deliveries(&self, q: &DeliveryQuery) -> StoreResult<Page<Delivery>> {
                let mut w = Where::default();
                if let Some(e) = q.filter.event_id {
                    w.eq("event_id", e.0);
                }
                if let Some(s) = q.filter.status {
                    w.eq("status", s.as_str());
                }
                let order = order_or(q.sort.map(|(NoSort::Id, d)| sort_clause("id", false, d)), "id ASC");
                let mut c = self.read().await?;
                let (rows, total) = page_of::<DeliveryRow>(&mut c, "cachet_deliveries", &w, &order, q.page).await?;
                Ok(Page { items: models(rows, DeliveryRow::into_model)?, total, request: q.page })
            }

            async fn delivery_attempts(&self, id: DeliveryId) -> StoreResult<Vec<DeliveryAttempt>> {
                let mut c = self.read().await?;
                if !exists(&mut c, "SELECT COUNT(*) FROM cachet_deliveries WHERE id = ?", id.0).await? {
                    return Err(not_found("delivery", id.0));
                }
                let rows = fetch::<AttemptRow>(
                    &mut c,
                    sql("SELECT * FROM cachet_delivery_attempts WHERE delivery_id = ? ORDER BY at ASC, id ASC"),
                    args![id.0],
                )
                .await?;
                models(rows, AttemptRow::into_model)
            }

            async fn prune_outbox(&self, before: Timestamp) -> StoreResult<u64> {
                let mut tx = self.begin().await?;
                let delivered = DeliveryStatus::Delivered.as_str();
                let events = exec(
                    &mut tx,
                    sql("DELETE FROM cachet_outbox_events WHERE status = ? AND created_at < ? AND NOT EXISTS \
                         (SELECT 1 FROM cachet_deliveries d WHERE d.event_id = cachet_outbox_events.id AND d.status = ?)"),
                    args![OutboxStatus::Done.as_str(), before, DeliveryStatus::Pending.as_str()],
                )
                .await?;
                let attempts = exec(
                    &mut tx,
                    sql("DELETE FROM cachet_delivery_attempts WHERE delivery_id IN \
                         (SELECT id FROM cachet_deliveries WHERE status = ? AND delivered_at < ?)"),
                    args![delivered, before],
                )
                .await?;
                let deliveries =
                    exec(&mut tx, sql("DELETE FROM cachet_deliveries WHERE status = ? AND delivered_at < ?"), args![delivered, before]).await?;
                tx.commit().await.map_err(backend)?;
                Ok(events + attempts + deliveries)
            }
        }
        }
    };
}
pub(crate) use impl_store;
