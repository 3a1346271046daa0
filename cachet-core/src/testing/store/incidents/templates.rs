//! Incident templates: CRUD, slug conflicts, filter and sorts.

use super::*;

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
