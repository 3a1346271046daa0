//! Sorting and paging, with the same orders the SQL backends produce.
//!
//! An explicit sort orders by the field in the requested direction, then by id ascending.
//! Booleans sort `false` first, `None` times sort before any time (ascending), names and other
//! strings by plain byte order, integer-coded enums by their code.

use std::cmp::Ordering;

use crate::model::*;
use crate::store::query::*;

/// Sorts `items` by the explicit sort, or by `natural` without one.
pub(super) fn sort<T, S: Copy>(
    items: &mut [T],
    sort: Option<(S, Direction)>,
    natural: impl Fn(&T, &T) -> Ordering,
    field: impl Fn(S, &T, &T) -> Ordering,
    id: impl Fn(&T) -> i64,
) {
    match sort {
        None => items.sort_by(natural),
        Some((f, dir)) => items.sort_by(|a, b| {
            let o = field(f, a, b);
            let o = match dir {
                Direction::Asc => o,
                Direction::Desc => o.reverse(),
            };
            o.then_with(|| id(a).cmp(&id(b)))
        }),
    }
}

/// Cuts one page out of the sorted matches.
pub(super) fn paginate<T>(items: Vec<T>, request: PageRequest) -> Page<T> {
    let total = items.len() as u64;
    let offset = usize::try_from(request.offset()).unwrap_or(usize::MAX);
    let per_page = usize::try_from(request.per_page()).unwrap_or(usize::MAX);
    let items = items.into_iter().skip(offset).take(per_page).collect();
    Page {
        items,
        total,
        request,
    }
}

/// Sorts and pages in one go.
pub(super) fn sort_page<T, S: Copy>(
    mut items: Vec<T>,
    q: Option<(S, Direction)>,
    page: PageRequest,
    natural: impl Fn(&T, &T) -> Ordering,
    field: impl Fn(S, &T, &T) -> Ordering,
    id: impl Fn(&T) -> i64,
) -> Page<T> {
    sort(&mut items, q, natural, field, id);
    paginate(items, page)
}

/// A list whose only sort field is the id.
pub(super) fn by_id(_: NoSort, a: i64, b: i64) -> Ordering {
    a.cmp(&b)
}

pub(super) fn component(f: ComponentSort, a: &Component, b: &Component) -> Ordering {
    match f {
        ComponentSort::Id => a.id.cmp(&b.id),
        ComponentSort::Name => a.name.as_str().cmp(b.name.as_str()),
        ComponentSort::Status => a.status.code().cmp(&b.status.code()),
        ComponentSort::Order => a.order.cmp(&b.order),
        ComponentSort::GroupId => a.group_id.cmp(&b.group_id),
        ComponentSort::Enabled => a.enabled.cmp(&b.enabled),
        ComponentSort::CreatedAt => a.created_at.cmp(&b.created_at),
        ComponentSort::UpdatedAt => a.updated_at.cmp(&b.updated_at),
    }
}

pub(super) fn group(f: GroupSort, a: &ComponentGroup, b: &ComponentGroup) -> Ordering {
    match f {
        GroupSort::Id => a.id.cmp(&b.id),
        GroupSort::Name => a.name.as_str().cmp(b.name.as_str()),
        GroupSort::Order => a.order.cmp(&b.order),
        GroupSort::Collapsed => a.collapsed.code().cmp(&b.collapsed.code()),
        GroupSort::Visible => a.visible.code().cmp(&b.visible.code()),
        GroupSort::CreatedAt => a.created_at.cmp(&b.created_at),
        GroupSort::UpdatedAt => a.updated_at.cmp(&b.updated_at),
    }
}

pub(super) fn incident(f: IncidentSort, a: &Incident, b: &Incident) -> Ordering {
    match f {
        IncidentSort::Id => a.id.cmp(&b.id),
        IncidentSort::Name => a.name.as_str().cmp(b.name.as_str()),
        IncidentSort::Status => a.status.code().cmp(&b.status.code()),
        IncidentSort::Visible => a.visible.cmp(&b.visible),
        IncidentSort::Stickied => a.stickied.cmp(&b.stickied),
        IncidentSort::OccurredAt => a.occurred_at.cmp(&b.occurred_at),
        IncidentSort::CreatedAt => a.created_at.cmp(&b.created_at),
        IncidentSort::UpdatedAt => a.updated_at.cmp(&b.updated_at),
    }
}

pub(super) fn template(f: TemplateSort, a: &IncidentTemplate, b: &IncidentTemplate) -> Ordering {
    match f {
        TemplateSort::Id => a.id.cmp(&b.id),
        TemplateSort::Name => a.name.as_str().cmp(b.name.as_str()),
        TemplateSort::Slug => a.slug.as_str().cmp(b.slug.as_str()),
        TemplateSort::CreatedAt => a.created_at.cmp(&b.created_at),
    }
}

pub(super) fn schedule(f: ScheduleSort, a: &Schedule, b: &Schedule) -> Ordering {
    match f {
        ScheduleSort::Id => a.id.cmp(&b.id),
        ScheduleSort::Name => a.name.as_str().cmp(b.name.as_str()),
        ScheduleSort::Status => a.status.code().cmp(&b.status.code()),
        ScheduleSort::ScheduledAt => a.scheduled_at.cmp(&b.scheduled_at),
        ScheduleSort::CompletedAt => a.completed_at.cmp(&b.completed_at),
        ScheduleSort::CreatedAt => a.created_at.cmp(&b.created_at),
    }
}

pub(super) fn metric(f: MetricSort, a: &Metric, b: &Metric) -> Ordering {
    match f {
        MetricSort::Id => a.id.cmp(&b.id),
        MetricSort::Name => a.name.as_str().cmp(b.name.as_str()),
        MetricSort::Order => a.order.cmp(&b.order),
        MetricSort::CreatedAt => a.created_at.cmp(&b.created_at),
    }
}

pub(super) fn metric_point(f: MetricPointSort, a: &MetricPoint, b: &MetricPoint) -> Ordering {
    match f {
        MetricPointSort::Id => a.id.cmp(&b.id),
        MetricPointSort::Value => a.value.cmp(&b.value),
        MetricPointSort::CreatedAt => a.created_at.cmp(&b.created_at),
    }
}

pub(super) fn subscriber(f: SubscriberSort, a: &Subscriber, b: &Subscriber) -> Ordering {
    match f {
        SubscriberSort::Id => a.id.cmp(&b.id),
        SubscriberSort::CreatedAt => a.created_at.cmp(&b.created_at),
        SubscriberSort::VerifiedAt => a.verified_at.cmp(&b.verified_at),
    }
}

pub(super) fn user(f: UserSort, a: &User, b: &User) -> Ordering {
    match f {
        UserSort::Id => a.id.cmp(&b.id),
        UserSort::Name => a.name.as_str().cmp(b.name.as_str()),
        UserSort::Email => a.email.as_str().cmp(b.email.as_str()),
        UserSort::Role => a.role.as_str().cmp(b.role.as_str()),
        UserSort::CreatedAt => a.created_at.cmp(&b.created_at),
    }
}
