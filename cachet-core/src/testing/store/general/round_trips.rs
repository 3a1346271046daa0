//! Exact round trips of Unicode text, the largest values the types allow, and timestamps
//! at microsecond precision.

use super::*;

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
        events: WebhookEvents::ALL,
        format: WebhookFormat::Json,
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
                events: WebhookEvents::ALL,
                format: WebhookFormat::GoogleChat,
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
