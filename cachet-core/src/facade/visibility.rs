//! The one rule of who sees which component, and the reads that apply it.
//!
//! A component is hidden from a reader without `ReadPrivate` (a visitor, or a token or
//! session without that permission) when it is **disabled** or when it sits in a
//! **signed-in-only group** ([`GroupVisibility::Authenticated`]). A hidden component is not
//! found by id, not listed (whatever the filter: `group_id` naming a signed-in-only group
//! finds nothing), not named as affected by an incident or covered by a maintenance window,
//! and an incident or maintenance filter naming it finds nothing. Readers with `ReadPrivate`
//! see every component.
//!
//! The status surfaces (the page, badges, feeds, the Statuspage JSON, the subscribe form and
//! the notification mails) show what a visitor sees, and never a disabled component, even to
//! an administrator: [`Cachet::visible_components`]. Every surface reads through the facade,
//! so none can apply a rule of its own.

use std::collections::HashSet;

use super::{Actor, Cachet, Result};
use crate::model::*;
use crate::store::*;

/// What one reader may see of components, computed once per read and then asked per
/// component: a reader without `ReadPrivate` sees neither disabled components nor those in
/// signed-in-only groups, nor those groups; a reader with it sees everything.
#[derive(Debug, Clone, Default)]
pub struct Sight {
    /// The reader has `ReadPrivate`: nothing is hidden.
    private: bool,
    /// Signed-in-only groups.
    hidden_groups: HashSet<GroupId>,
    /// Disabled components and the components of signed-in-only groups.
    hidden_components: HashSet<ComponentId>,
}

/// The rule itself, shared by [`Sight`] and the single-component read: a reader with
/// `ReadPrivate` sees every component; anyone else sees it only when it is enabled and its
/// group (if any) is not signed-in-only.
fn sees(private: bool, c: &Component, group_hidden: impl FnOnce(GroupId) -> bool) -> bool {
    private || (c.enabled && !c.group_id.is_some_and(group_hidden))
}

impl Sight {
    /// Whether the reader sees this component.
    #[must_use]
    pub fn sees(&self, c: &Component) -> bool {
        sees(self.private, c, |g| self.hidden_groups.contains(&g))
    }

    /// Whether the reader sees the component with this id (an unknown id hides nothing).
    #[must_use]
    pub fn sees_id(&self, id: ComponentId) -> bool {
        self.private || !self.hidden_components.contains(&id)
    }

    /// Whether the reader sees this group.
    #[must_use]
    pub fn sees_group(&self, g: &ComponentGroup) -> bool {
        self.private || g.visible == GroupVisibility::Public
    }

    /// Whether anything is hidden from this reader at all.
    #[must_use]
    pub fn hides_anything(&self) -> bool {
        !self.private && (!self.hidden_groups.is_empty() || !self.hidden_components.is_empty())
    }

    /// Drops the hidden components from an incident's affected components.
    pub fn redact_incident(&self, i: &mut Incident) {
        i.components.retain(|a| self.sees_id(a.component_id));
    }

    /// Drops the hidden components from a maintenance window's covered components.
    pub fn redact_schedule(&self, s: &mut Schedule) {
        s.components.retain(|c| self.sees_id(*c));
    }
}

/// Every component matching `q` (its filter and sort), page after page of the largest size.
async fn every_component(store: &dyn Store, mut q: ComponentQuery) -> Result<Vec<Component>> {
    let mut out = Vec::new();
    for n in 1.. {
        q.page = PageRequest::new(n, PageRequest::MAX_PER_PAGE);
        let page = store.components(&q).await?;
        let last = page.items.len() < PageRequest::MAX_PER_PAGE as usize;
        out.extend(page.items);
        if last {
            break;
        }
    }
    Ok(out)
}

/// The ids of every signed-in-only group.
async fn hidden_groups(store: &dyn Store) -> Result<HashSet<GroupId>> {
    let mut out = HashSet::new();
    for n in 1.. {
        let q = GroupQuery::filtered(GroupFilter {
            visible: Some(GroupVisibility::Authenticated),
            ..GroupFilter::default()
        })
        .paged(PageRequest::new(n, PageRequest::MAX_PER_PAGE));
        let page = store.groups(&q).await?;
        let last = page.items.len() < PageRequest::MAX_PER_PAGE as usize;
        out.extend(page.items.iter().map(|g| g.id));
        if last {
            break;
        }
    }
    Ok(out)
}

/// One page of `items` as `page` asks for it.
fn page_of<T>(items: Vec<T>, page: PageRequest) -> Page<T> {
    let total = items.len() as u64;
    let skip = usize::try_from(page.offset()).unwrap_or(usize::MAX);
    let items = items
        .into_iter()
        .skip(skip)
        .take(page.per_page() as usize)
        .collect();
    Page {
        items,
        total,
        request: page,
    }
}

impl Cachet {
    /// What this reader may see of components ([`Sight`]).
    ///
    /// # Errors
    ///
    /// [`super::Error::Store`].
    pub(crate) async fn sight(&self, actor: &Actor) -> Result<Sight> {
        if self.private(actor).await? {
            return Ok(Sight {
                private: true,
                ..Sight::default()
            });
        }
        let store = self.store().as_ref();
        let hidden_groups = hidden_groups(store).await?;
        let mut hidden_components: HashSet<ComponentId> = every_component(
            store,
            ComponentQuery::filtered(ComponentFilter {
                enabled: Some(false),
                ..ComponentFilter::default()
            }),
        )
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
        for g in &hidden_groups {
            let q = ComponentQuery::filtered(ComponentFilter {
                group_id: Some(Some(*g)),
                ..ComponentFilter::default()
            });
            hidden_components.extend(every_component(store, q).await?.iter().map(|c| c.id));
        }
        Ok(Sight {
            private: false,
            hidden_groups,
            hidden_components,
        })
    }

    /// One component as this reader may see it.
    ///
    /// # Errors
    ///
    /// [`super::Error::NotFound`] for an unknown component and for one hidden from the reader.
    pub async fn component(&self, actor: &Actor, id: ComponentId) -> Result<Component> {
        let private = self.private(actor).await?;
        let c = self.store().component(id).await?;
        let group_hidden = match c.group_id {
            Some(g) if !private && c.enabled => match self.store().group(g).await {
                Ok(g) => g.visible != GroupVisibility::Public,
                Err(StoreError::NotFound { .. }) => false,
                Err(e) => return Err(e.into()),
            },
            _ => false,
        };
        if sees(private, &c, |_| group_hidden) {
            Ok(c)
        } else {
            Err(super::Error::NotFound {
                entity: "component",
            })
        }
    }

    /// Components as this reader may see them, paged after the hidden ones are dropped (so
    /// `total` and the pages count only what the reader sees).
    ///
    /// # Errors
    ///
    /// [`super::Error::Store`].
    pub async fn components(
        &self,
        actor: &Actor,
        mut q: ComponentQuery,
    ) -> Result<Page<Component>> {
        if self.private(actor).await? {
            return Ok(self.store().components(&q).await?);
        }
        if q.filter.enabled == Some(false) {
            return Ok(Self::nothing(q.page));
        }
        q.filter.enabled = Some(true);
        let hidden = hidden_groups(self.store().as_ref()).await?;
        match q.filter.group_id {
            Some(Some(g)) if hidden.contains(&g) => Ok(Self::nothing(q.page)),
            // One public group, or none: nothing in it is in a hidden group.
            Some(_) => Ok(self.store().components(&q).await?),
            None if hidden.is_empty() => Ok(self.store().components(&q).await?),
            None => {
                // The store filters by one group at a time, so the hidden groups' components
                // are dropped here and the page cut from what is left.
                let page = q.page;
                let mut all = every_component(self.store().as_ref(), q).await?;
                all.retain(|c| !c.group_id.is_some_and(|g| hidden.contains(&g)));
                Ok(page_of(all, page))
            }
        }
    }

    /// The groups and components the status surfaces show this reader (the page, badges,
    /// feeds, the Statuspage JSON, the subscribe form): the visible groups, and the visible
    /// components that are enabled, in display order.
    ///
    /// # Errors
    ///
    /// [`super::Error::Store`].
    pub(crate) async fn visible_components(
        &self,
        actor: &Actor,
    ) -> Result<(Vec<ComponentGroup>, Vec<Component>)> {
        let groups = self.groups(actor, GroupQuery::all()).await?.items;
        let mut components = Vec::new();
        for n in 1.. {
            let q = ComponentQuery::filtered(ComponentFilter {
                enabled: Some(true),
                ..ComponentFilter::default()
            })
            .paged(PageRequest::new(n, PageRequest::MAX_PER_PAGE));
            let page = self.components(actor, q).await?;
            let last = page.items.len() < PageRequest::MAX_PER_PAGE as usize;
            components.extend(page.items);
            if last {
                break;
            }
        }
        Ok((groups, components))
    }

    /// Incidents or maintenance windows filtered by a component the reader may not see find
    /// nothing: `true` when `filter` names such a component.
    pub(super) async fn filters_hidden_component(
        &self,
        actor: &Actor,
        filter: Option<ComponentId>,
    ) -> Result<bool> {
        let Some(id) = filter else { return Ok(false) };
        match self.component(actor, id).await {
            Ok(_) => Ok(false),
            Err(super::Error::NotFound { .. }) => Ok(!self.private(actor).await?),
            Err(e) => Err(e),
        }
    }

    /// The sight needed to redact `items`, or `None` when nothing in them names a component
    /// (so a page of incidents without components costs no extra read).
    pub(super) async fn sight_for(
        &self,
        actor: &Actor,
        names_components: bool,
    ) -> Result<Option<Sight>> {
        if !names_components {
            return Ok(None);
        }
        let sight = self.sight(actor).await?;
        Ok(sight.hides_anything().then_some(sight))
    }
}
