// Shared test cases: included by cachet-core (in-memory store) and cachet-store (SQLite).
// See the including files for the doc comment.

use std::collections::BTreeSet;

use chrono::TimeDelta;
use common::*;
use proptest::prelude::*;

use cachet_core::auth::policy::Permission as P;
use cachet_core::model::*;
use cachet_core::store::*;
use cachet_core::validate::{Email, Locale, MetricValue, Name};
use cachet_core::{Actor, Error};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Anonymous,
    ViewerSession,
    ManagerSession,
    AdminSession,
    AdminReadToken,
    AdminWriteToken,
    AdminAdminToken,
    ViewerWriteToken,
    ManagerAdminToken,
    HostViewer,
    HostManager,
    HostAdmin,
    Operator,
}

const KINDS: &[Kind] = &[
    Kind::Anonymous,
    Kind::ViewerSession,
    Kind::ManagerSession,
    Kind::AdminSession,
    Kind::AdminReadToken,
    Kind::AdminWriteToken,
    Kind::AdminAdminToken,
    Kind::ViewerWriteToken,
    Kind::ManagerAdminToken,
    Kind::HostViewer,
    Kind::HostManager,
    Kind::HostAdmin,
    Kind::Operator,
];

/// What each kind of actor may do, written out by hand from the roles and token scopes of
/// ARCHITECTURE.md sections 3 and 4 (admin > manager > viewer; read, write, admin).
fn expected(kind: Kind) -> BTreeSet<&'static str> {
    let viewer = ["ReadPublic", "ReadPrivate", "ManageOwnTokens", "ManageOwnAccount"];
    let manager = ["ReadPublic", "ReadPrivate", "ManageOwnTokens", "ManageOwnAccount", "WriteContent", "ManageSubscribers"];
    let all = [
        "ReadPublic",
        "ReadPrivate",
        "WriteContent",
        "ManageSubscribers",
        "ReadSubscriberAddresses",
        "ManageUsers",
        "ManageOwnTokens",
        "ManageAllTokens",
        "ManageOwnAccount",
        "ManageSettings",
        "ReadAudit",
        "ReadDeliveries",
    ];
    let set: &[&str] = match kind {
        Kind::Anonymous => &["ReadPublic"],
        Kind::ViewerSession | Kind::HostViewer => &viewer,
        Kind::ManagerSession | Kind::HostManager => &manager,
        Kind::AdminSession | Kind::HostAdmin | Kind::Operator => &all,
        Kind::AdminReadToken | Kind::ViewerWriteToken => &["ReadPublic", "ReadPrivate"],
        Kind::AdminWriteToken => &["ReadPublic", "ReadPrivate", "WriteContent", "ManageSubscribers"],
        Kind::AdminAdminToken => &all[..8].iter().chain(&all[9..]).copied().collect::<Vec<_>>().leak()[..],
        Kind::ManagerAdminToken => &["ReadPublic", "ReadPrivate", "ManageOwnTokens", "WriteContent", "ManageSubscribers"],
    };
    set.iter().copied().collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    ListComponents,
    ReadHiddenIncident,
    CreateComponent,
    UpdateComponent,
    DeleteComponent,
    CreateGroup,
    CreateIncident,
    PostIncidentUpdate,
    CreateTemplate,
    CreateSchedule,
    CreateMetric,
    RecordMetricPoint,
    CountSubscribers,
    AddSubscriber,
    ListSubscriberAddresses,
    CreateUser,
    ChangeRole,
    CreateOwnToken,
    CreateTokenForOther,
    PutSettings,
    ReadAudit,
    ReadDeliveries,
    ChangeOwnPassword,
}

const OPS: &[Op] = &[
    Op::ListComponents,
    Op::ReadHiddenIncident,
    Op::CreateComponent,
    Op::UpdateComponent,
    Op::DeleteComponent,
    Op::CreateGroup,
    Op::CreateIncident,
    Op::PostIncidentUpdate,
    Op::CreateTemplate,
    Op::CreateSchedule,
    Op::CreateMetric,
    Op::RecordMetricPoint,
    Op::CountSubscribers,
    Op::AddSubscriber,
    Op::ListSubscriberAddresses,
    Op::CreateUser,
    Op::ChangeRole,
    Op::CreateOwnToken,
    Op::CreateTokenForOther,
    Op::PutSettings,
    Op::ReadAudit,
    Op::ReadDeliveries,
    Op::ChangeOwnPassword,
];

impl Op {
    fn permission(self) -> P {
        match self {
            Op::ListComponents => P::ReadPublic,
            Op::ReadHiddenIncident => P::ReadPrivate,
            Op::CountSubscribers | Op::AddSubscriber => P::ManageSubscribers,
            Op::ListSubscriberAddresses => P::ReadSubscriberAddresses,
            Op::CreateUser | Op::ChangeRole => P::ManageUsers,
            Op::CreateOwnToken => P::ManageOwnTokens,
            Op::CreateTokenForOther => P::ManageAllTokens,
            Op::PutSettings => P::ManageSettings,
            Op::ReadAudit => P::ReadAudit,
            Op::ReadDeliveries => P::ReadDeliveries,
            Op::ChangeOwnPassword => P::ManageOwnAccount,
            _ => P::WriteContent,
        }
    }
}

struct World {
    h: Harness,
    actors: Vec<(Kind, Actor)>,
    hidden_incident: IncidentId,
    target_user: UserId,
    metric: MetricId,
    counter: std::sync::atomic::AtomicU32,
}

async fn world() -> World {
    let h = Harness::new().await;
    let op = Actor::operator();
    let viewer = h.user("viewer@example.com", Role::Viewer).await;
    let manager = h.user("manager@example.com", Role::Manager).await;
    let admin = h.user("admin@example.com", Role::Admin).await;
    let target = h.user("target@example.com", Role::Viewer).await;
    let token = |user: UserId, scope: TokenScope| {
        let h = &h;
        let op = op.clone();
        async move {
            let (_, secret) = h.cachet.create_api_token(&op, user, name("t"), scope, None).await.unwrap();
            h.cachet.resolve_api_token(&secret, ip(9)).await.unwrap()
        }
    };
    let mut actors = Vec::new();
    for kind in KINDS {
        let actor = match kind {
            Kind::Anonymous => Actor::anonymous(ip(9)),
            Kind::ViewerSession => h.actor(&h.session("viewer@example.com").await.secret).await,
            Kind::ManagerSession => h.actor(&h.session("manager@example.com").await.secret).await,
            Kind::AdminSession => h.actor(&h.session("admin@example.com").await.secret).await,
            Kind::AdminReadToken => token(admin.id, TokenScope::Read).await,
            Kind::AdminWriteToken => token(admin.id, TokenScope::Write).await,
            Kind::AdminAdminToken => token(admin.id, TokenScope::Admin).await,
            Kind::ViewerWriteToken => token(viewer.id, TokenScope::Write).await,
            Kind::ManagerAdminToken => token(manager.id, TokenScope::Admin).await,
            Kind::HostViewer => Actor::host("sso", Role::Viewer, ip(9)),
            Kind::HostManager => Actor::host("sso", Role::Manager, ip(9)),
            Kind::HostAdmin => Actor::host("sso", Role::Admin, ip(9)),
            Kind::Operator => Actor::operator(),
        };
        actors.push((*kind, actor));
    }
    let mut hidden = NewIncident::new(name("secret outage"), IncidentStatus::Investigating, cachet_core::validate::Markdown::parse("x").unwrap(), h.clock_now()).with_visible(false);
    let hidden_incident = h.cachet.create_incident(&op, &hidden).await.unwrap().id;
    hidden.visible = true;
    let metric = h.cachet.create_metric(&op, &new_metric()).await.unwrap().id;
    World { h, actors, hidden_incident, target_user: target.id, metric, counter: Default::default() }
}

fn new_metric() -> NewMetric {
    NewMetric::named(name("latency")).with_suffix(cachet_core::validate::Text::parse("ms").unwrap()).with_calc_type(CalcType::Average)
}

/// Creates what an operation works on (as the operator, before the snapshot).
async fn prepare(w: &World, op: Op) -> Option<ComponentId> {
    let operator = Actor::operator();
    match op {
        Op::UpdateComponent | Op::DeleteComponent => {
            Some(w.h.cachet.create_component(&operator, &component("Target")).await.unwrap().id)
        }
        _ => None,
    }
}

/// Runs one operation; `true` = done, `false` = refused.
async fn run(w: &World, actor: &Actor, op: Op, target: Option<ComponentId>) -> bool {
    let c = &w.h.cachet;
    let operator = Actor::operator();
    let n = w.counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let result: Result<(), Error> = match op {
        Op::ListComponents => c.components(actor, ComponentQuery::all()).await.map(drop),
        Op::ReadHiddenIncident => c.incident(actor, w.hidden_incident).await.map(drop),
        Op::CreateComponent => c.create_component(actor, &component("API")).await.map(drop),
        Op::UpdateComponent => {
            let id = target.unwrap();
            let patch = ComponentPatch { status: Some(ComponentStatus::MajorOutage), ..ComponentPatch::default() };
            c.update_component(actor, id, &patch).await.map(drop)
        }
        Op::DeleteComponent => c.delete_component(actor, target.unwrap()).await,
        Op::CreateGroup => {
            let g = NewComponentGroup::named(name("G")).with_visible(GroupVisibility::Public);
            c.create_group(actor, &g).await.map(drop)
        }
        Op::CreateIncident => {
            let i = c.incident(&operator, w.hidden_incident).await.unwrap();
            let new = NewIncident::new(i.name, i.status, i.message, w.h.clock_now()).with_notify(true);
            c.create_incident(actor, &new).await.map(drop)
        }
        Op::PostIncidentUpdate => {
            let new = NewIncidentUpdate::new(IncidentStatus::Identified, cachet_core::validate::Markdown::parse("found it").unwrap());
            c.create_incident_update(actor, w.hidden_incident, &new).await.map(drop)
        }
        Op::CreateTemplate => {
            let slug = cachet_core::validate::Slug::parse(&format!("t-{n}")).unwrap();
            let t = NewIncidentTemplate::new(name("T"), slug, Default::default());
            c.create_template(actor, &t).await.map(drop)
        }
        Op::CreateSchedule => {
            let s = NewSchedule::new(name("Upgrade"), Default::default(), ScheduleStatus::Upcoming, w.h.clock_now() + TimeDelta::days(1));
            c.create_schedule(actor, &s).await.map(drop)
        }
        Op::CreateMetric => c.create_metric(actor, &new_metric()).await.map(drop),
        Op::RecordMetricPoint => {
            c.record_metric_point(actor, w.metric, MetricValue::from_millis(i64::from(n)).unwrap(), None).await.map(drop)
        }
        Op::CountSubscribers => c.subscriber_count(actor).await.map(drop),
        Op::AddSubscriber => {
            let email = Email::parse(&format!("sub{n}@example.com")).unwrap();
            c.add_subscriber(actor, &email, vec![], true, Locale::english()).await.map(drop)
        }
        Op::ListSubscriberAddresses => c.subscribers_with_addresses(actor, SubscriberQuery::all()).await.map(drop),
        Op::CreateUser => {
            let input = cachet_core::parse_new_user("New", &format!("new{n}@example.com"), "viewer", PASSWORD.into()).unwrap();
            c.create_user(actor, input).await.map(drop)
        }
        Op::ChangeRole => c.set_user_role(actor, w.target_user, Role::Manager).await.map(drop),
        Op::CreateOwnToken => match actor.user() {
            Some(u) => c.create_api_token(actor, u.id, name("mine"), TokenScope::Read, None).await.map(drop),
            // actors without a user of their own have no "own" tokens: they need ManageAllTokens
            None => c.create_api_token(actor, w.target_user, name("mine"), TokenScope::Read, None).await.map(drop),
        },
        Op::CreateTokenForOther => {
            c.create_api_token(actor, w.target_user, name("other"), TokenScope::Read, None).await.map(drop)
        }
        Op::PutSettings => c.put_settings(actor, &[(SettingKey::AppName, "Renamed".into())]).await.map(drop),
        Op::ReadAudit => c.audit_log(actor, AuditQuery::all()).await.map(drop),
        Op::ReadDeliveries => c.deliveries(actor, DeliveryQuery::all()).await.map(drop),
        Op::ChangeOwnPassword => c.change_password(actor, PASSWORD, PASSWORD).await.map(drop),
    };
    match result {
        Ok(()) => true,
        Err(Error::Forbidden | Error::Unauthenticated) => false,
        Err(Error::NotFound { .. }) if op == Op::ReadHiddenIncident => false,
        // Changing to the same password keeps the world as it is; the policy let the actor
        // through, and only the rule against reusing a password refused the new one.
        Err(Error::Validation(v)) if op == Op::ChangeOwnPassword && v.field() == "password" => true,
        Err(e) => panic!("{op:?} as {actor:?}: unexpected {e:?}"),
    }
}

/// Everything a denied operation must leave as it was.
async fn snapshot(h: &Harness) -> String {
    let s = &h.store;
    format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
        s.revision().await.unwrap(),
        s.components(&ComponentQuery::all()).await.unwrap(),
        s.groups(&GroupQuery::all()).await.unwrap(),
        s.incidents(&IncidentQuery::all()).await.unwrap(),
        s.templates(&TemplateQuery::all()).await.unwrap(),
        s.schedules(&ScheduleQuery::all()).await.unwrap(),
        s.metrics(&MetricQuery::all()).await.unwrap(),
        s.subscribers(&SubscriberQuery::all()).await.unwrap(),
        s.users(&UserQuery::all()).await.unwrap(),
        s.api_tokens(&ApiTokenQuery::all()).await.unwrap(),
        s.settings().await.unwrap(),
    )
}

fn expected_allowed(kind: Kind, op: Op) -> bool {
    let perm = format!("{:?}", op.permission());
    let mut allowed = expected(kind).contains(perm.as_str());
    // Changing one's own password needs one's own session: hosts, the operator and tokens
    // have no password to change.
    if op == Op::ChangeOwnPassword {
        allowed &= matches!(kind, Kind::ViewerSession | Kind::ManagerSession | Kind::AdminSession);
    }
    // An actor without a user of its own creates "own" tokens only with ManageAllTokens.
    if op == Op::CreateOwnToken && matches!(kind, Kind::HostViewer | Kind::HostManager | Kind::Anonymous) {
        allowed = false;
    }
    allowed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_by_every_actor_kind() {
    let w = world().await;
    let mut report = Vec::new();
    for op in OPS {
        for (kind, actor) in &w.actors {
            let target = prepare(&w, *op).await;
            let before = snapshot(&w.h).await;
            let allowed = run(&w, actor, *op, target).await;
            let expect = expected_allowed(*kind, *op);
            if allowed != expect {
                report.push(format!("{op:?} by {kind:?}: allowed={allowed}, expected {expect}"));
            }
            if !allowed && before != snapshot(&w.h).await {
                report.push(format!("{op:?} by {kind:?} was refused but changed the store"));
            }
        }
    }
    assert!(report.is_empty(), "matrix mismatches:\n{}", report.join("\n"));
    assert_eq!(OPS.len() * KINDS.len(), 23 * 13);
    // refusals of known actors were audited
    let denied = AuditQuery::filtered(AuditFilter { outcome: Some(AuditOutcome::Denied), ..AuditFilter::default() });
    assert!(w.h.store.audit_events(&denied).await.unwrap().total > 50);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// For random actors and operations in random order, whatever is denied changes nothing.
    #[test]
    fn denied_operations_never_change_the_store(seq in proptest::collection::vec((0..KINDS.len(), 0..OPS.len() - 1), 1..24)) {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(async {
            let w = world().await;
            for (k, o) in seq {
                let (kind, actor) = &w.actors[k];
                let op = OPS[o];
                let target = prepare(&w, op).await;
                let before = snapshot(&w.h).await;
                let allowed = run(&w, actor, op, target).await;
                assert_eq!(allowed, expected_allowed(*kind, op), "{op:?} by {kind:?}");
                assert!(allowed || before == snapshot(&w.h).await, "{op:?} by {kind:?} was refused but changed the store");
            }
        });
    }
}

#[test]
fn names_used_in_the_table_are_real_permissions() {
    let real: BTreeSet<String> = P::ALL.iter().map(|p| format!("{p:?}")).collect();
    for kind in KINDS {
        for p in expected(*kind) {
            assert!(real.contains(p), "{p}");
        }
    }
    let _ = Name::parse("x");
}
