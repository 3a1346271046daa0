//! Paging edges and stable paging across ties.

use super::*;

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
