//! Component groups, components (with the first entry of their status history) and tags.

use std::collections::{BTreeMap, BTreeSet};

use super::builder::{Builder, int, map_table, opt_int, text};
use super::cachet3::{component_status_code, is_morph, meta_of};
use super::source::{rows, rule};
use super::{SchemaVersion, Source};
use crate::model::{Collapsed, ComponentStatus, GroupVisibility, StatusCauseKind};
use crate::store::backup::Value;
use crate::validate::{HttpUrl, Meta, Name, Order, Slug, Text};

pub(super) fn map_groups(
    b: &mut Builder,
    source: &Source,
    version: SchemaVersion,
    now: i64,
) -> BTreeSet<i64> {
    map_table(b, source, "component_groups", |r, id| {
        let name = rule("name", Name::parse(r.text("name")))?;
        let order = rule("order", Order::new(r.int_or("order", 0)?))?;
        let collapsed = rule("collapsed", Collapsed::from_code(r.int_or("collapsed", 1)?))?;
        let mut visible = r.int_or("visible", 0)?;
        // Cachet 3's third visibility, hidden (2), is closest to signed-in users only.
        if version.is_cachet3() && visible == 2 {
            visible = 0;
        }
        let visible = rule("visible", GroupVisibility::from_code(visible))?;
        let created = r.time_or("created_at", now)?;
        Ok(Some(vec![
            int(id),
            text(name.as_str()),
            int(i64::from(order.get())),
            int(i64::from(collapsed.code())),
            int(i64::from(visible.code())),
            int(created),
            int(r.time_or("updated_at", created)?),
        ]))
    })
}

pub(super) fn map_components(
    b: &mut Builder,
    source: &Source,
    version: SchemaVersion,
    groups: &BTreeSet<i64>,
    now: i64,
) -> BTreeSet<i64> {
    let mut history = Vec::new();
    // Cachet 3 keeps components' meta in the `meta` table, one JSON value per key.
    let mut metas = meta_of(source, "component");
    let ids = map_table(b, source, "components", |r, id| {
        if r.opt_time("deleted_at")?.is_some() {
            return Ok(None);
        }
        let name = rule("name", Name::parse(r.text("name")))?;
        let description = rule("description", Text::parse(r.text("description")))?;
        let link = match r.raw("link").map(str::trim).filter(|s| !s.is_empty()) {
            None => Value::Null,
            Some(l) => text(rule("link", HttpUrl::parse(l))?.as_str()),
        };
        let mut status = r.int_or("status", 0)?;
        if version.is_cachet3() {
            status = component_status_code(status);
        }
        let status = rule("status", ComponentStatus::from_code(status))?;
        let order = rule("order", Order::new(r.int_or("order", 0)?))?;
        // Cachet's "no group" is 0; a group that is gone leaves the component ungrouped.
        let group = r
            .opt_int(r.pick(&["group_id", "component_group_id"]))?
            .filter(|g| groups.contains(g));
        let meta = match (
            metas.remove(&id),
            r.raw("meta").map(str::trim).filter(|s| !s.is_empty()),
        ) {
            (Some(m), _) => rule("meta", Meta::from_value(serde_json::Value::Object(m)))?,
            (None, None) => Meta::default(),
            (None, Some(m)) => rule("meta", Meta::parse_json(m))?,
        };
        let created = r.time_or("created_at", now)?;
        let updated = r.time_or("updated_at", created)?;
        let enabled = r.bool_or("enabled", true)?;
        history.push((id, status, updated));
        Ok(Some(vec![
            int(id),
            text(name.as_str()),
            text(description.as_str()),
            link,
            int(i64::from(status.code())),
            int(i64::from(order.get())),
            opt_int(group),
            Value::Bool(enabled),
            text(meta.to_json()),
            int(created),
            int(updated),
        ]))
    });
    // Every component starts its status history with one entry, as a created one does here;
    // Cachet kept no history, so it is the imported status, since Cachet's last change.
    for (n, (id, status, at)) in (1..).zip(history) {
        b.push(
            "status_changes",
            vec![
                int(n),
                int(id),
                Value::Null,
                int(i64::from(status.code())),
                text(StatusCauseKind::System.as_str()),
                Value::Null,
                Value::Null,
                Value::Null,
                int(at),
            ],
        );
    }
    ids
}

pub(super) fn map_tags(b: &mut Builder, source: &Source, components: &BTreeSet<i64>) {
    let mut tags: BTreeMap<i64, (Slug, Name)> = BTreeMap::new();
    let mut read = 0;
    for r in rows(source, "tags") {
        read += 1;
        let id = r.id();
        let parsed = rule("slug", Slug::parse(r.text("slug").trim())).and_then(|s| {
            rule(
                "name",
                Name::parse_bounded(r.text("name"), crate::model::Tag::MAX_NAME_CHARS),
            )
            .map(|n| (s, n))
        });
        match (id, parsed) {
            (Some(id), Ok(t)) => {
                tags.insert(id, t);
            }
            (id, Err(e)) => b.reject("tags", id, e),
            (None, Ok(_)) => b.reject("tags", None, "id: not an integer"),
        }
    }
    b.count("tags", read, tags.len());
    let mut pairs: BTreeMap<(i64, String), String> = BTreeMap::new();
    let mut read = 0;
    for r in rows(source, "taggables") {
        read += 1;
        let id = r.id();
        // Cachet 2.4 writes the morph type as the table name; older rows used the class.
        let kind = r.text("taggable_type");
        if !is_morph(kind, "component") {
            b.skip("taggables");
            continue;
        }
        let (Ok(Some(tag)), Ok(Some(component))) = (r.opt_int("tag_id"), r.opt_int("taggable_id"))
        else {
            b.reject("taggables", id, "tag_id, taggable_id: not integers");
            continue;
        };
        match tags.get(&tag) {
            None => b.reject("taggables", id, format!("tag {tag} is not imported")),
            Some(_) if !components.contains(&component) => b.reject(
                "taggables",
                id,
                format!("component {component} is not imported"),
            ),
            Some((slug, name)) => {
                pairs.insert(
                    (component, slug.as_str().to_owned()),
                    name.as_str().to_owned(),
                );
            }
        }
    }
    b.count("taggables", read, pairs.len());
    for ((component, slug), name) in pairs {
        b.push(
            "component_tags",
            vec![int(component), text(slug), text(name)],
        );
    }
}
