//! The snapshot path against an uncached render (issue 5 item 8), on a big site: 200
//! components in 20 groups, 5,000 incidents with one update each.
//!
//! ```text
//! cargo bench -p cachet-core --bench snapshot
//! ```
//!
//! For each of API v1's component list and the Statuspage summary it measures an uncached
//! render (a `Cachet` with the snapshot cache off), a guest's read through `Cachet::handle`
//! served from the snapshot, and the baseline of copying the same bytes out of memory; then
//! prints the ratio uncached / snapshot. Without `--bench` (as `cargo test --all-targets` runs
//! it) it does nothing.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use cachet_core::clock::ManualClock;
use cachet_core::model::*;
use cachet_core::secrets::{Keyring, SecretKey};
use cachet_core::store::Store;
use cachet_core::store::memory::MemoryStore;
use cachet_core::validate::{HttpUrl, Markdown, Meta, Name, Order};
use cachet_core::web::RequestContext;
use cachet_core::{Actor, Cachet, Config};
use criterion::Criterion;
use http::Request;

fn name(s: &str) -> Name {
    Name::parse(s).unwrap()
}

fn cachet(store: Arc<dyn Store>, cached: bool) -> Cachet {
    let mut config = Config::new(HttpUrl::parse("https://status.example.com").unwrap());
    config.web.snapshot.enabled = cached;
    // The clock stands still, so snapshots stay fresh for the whole run.
    let clock = Arc::new(ManualClock::at_epoch_2026());
    Cachet::with_clock(
        store,
        Keyring::new(1, SecretKey::from_bytes([7; 32])),
        config,
        clock,
    )
    .unwrap()
}

async fn big_site(c: &Cachet) {
    let op = Actor::operator();
    let mut components = Vec::new();
    for g in 0..20 {
        let group = c
            .create_group(
                &op,
                &NewComponentGroup {
                    name: name(&format!("Group {g}")),
                    order: Order::new(g).unwrap(),
                    collapsed: Collapsed::Expanded,
                    visible: GroupVisibility::Public,
                },
            )
            .await
            .unwrap();
        for i in 0..10 {
            let mut new = NewComponent::named(
                name(&format!("Component {g}-{i}")),
                ComponentStatus::Operational,
            );
            new.group_id = Some(group.id);
            components.push(c.create_component(&op, &new).await.unwrap().id);
        }
    }
    let now = c.now();
    for n in 0..5_000i64 {
        let incident = c
            .create_incident(
                &op,
                &NewIncident {
                    user_id: None,
                    name: name(&format!("Incident {n}")),
                    status: if n < 5 {
                        IncidentStatus::Identified
                    } else {
                        IncidentStatus::Fixed
                    },
                    message: Markdown::parse(&format!(
                        "Elevated **error rates** on component {n}; we are looking into it."
                    ))
                    .unwrap(),
                    visible: true,
                    stickied: false,
                    notify: false,
                    occurred_at: now - chrono::TimeDelta::hours(n),
                    components: vec![AffectedComponent {
                        component_id: components[n as usize % components.len()],
                        status: ComponentStatus::PartialOutage,
                    }],
                    apply_component_status: false,
                    meta: Meta::default(),
                },
            )
            .await
            .unwrap();
        c.create_incident_update(
            &op,
            incident.id,
            &NewIncidentUpdate {
                status: IncidentStatus::Fixed,
                message: Markdown::parse("Resolved after a rollback.").unwrap(),
                user_id: None,
                component: None,
            },
        )
        .await
        .unwrap();
    }
}

fn request(path: &str) -> Request<Bytes> {
    Request::builder()
        .uri(path)
        .header("accept-encoding", "gzip, br")
        .body(Bytes::new())
        .unwrap()
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("snapshot bench: run it with `cargo bench -p cachet-core --bench snapshot`");
        return;
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let cached = cachet(store.clone(), true);
    let uncached = cachet(store, false);
    rt.block_on(big_site(&cached));

    let mut criterion = Criterion::default()
        .configure_from_args()
        .measurement_time(Duration::from_secs(5));
    let mut ratios = Vec::new();
    for path in ["/api/v1/components?per_page=200", "/api/v2/summary.json"] {
        let cx = RequestContext::default;
        let warm = rt.block_on(cached.handle(request(path), cx()));
        assert_eq!(warm.status(), 200, "{path}");
        let bytes = warm.body().clone();
        let mut group = criterion.benchmark_group(path);
        group.bench_function("uncached render", |b| {
            b.iter(|| rt.block_on(uncached.handle(request(path), cx())));
        });
        group.bench_function("snapshot", |b| {
            b.iter(|| rt.block_on(cached.handle(request(path), cx())));
        });
        group.bench_function("baseline: copy the bytes", |b| {
            b.iter(|| Bytes::copy_from_slice(std::hint::black_box(&bytes)));
        });
        group.finish();

        // The ratio, measured in the same run.
        let time = |f: &dyn Fn()| {
            let n = 50;
            let start = Instant::now();
            for _ in 0..n {
                f();
            }
            start.elapsed() / n
        };
        let render = time(&|| {
            rt.block_on(uncached.handle(request(path), cx()));
        });
        let snap = time(&|| {
            rt.block_on(cached.handle(request(path), cx()));
        });
        ratios.push(format!(
            "{path}: uncached {render:?}, snapshot {snap:?}, ratio {:.0}x ({} bytes, {} compressed)",
            render.as_secs_f64() / snap.as_secs_f64().max(1e-12),
            rt.block_on(uncached.handle(
                Request::builder().uri(path).body(Bytes::new()).unwrap(),
                cx()
            ))
            .body()
            .len(),
            bytes.len(),
        ));
    }
    criterion.final_summary();
    for r in ratios {
        println!("{r}");
    }
    println!("snapshot stats: {:?}", cached.snapshot_stats());
}
