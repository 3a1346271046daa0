//! Property-based round trips of pseudo-random valid values, kept apart for their
//! generator helpers.

use super::*;

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
