//! The snapshot path against an uncached render, on a big site: 200
//! components in 20 groups, 5,000 incidents with one update each, 50 metrics with 100,000
//! points in all.
//!
//! ```text
//! cargo bench -p cachet-core --bench snapshot
//! ```
//!
//! For each of the HTML status page `/`, API v1's component list and the Statuspage summary
//! it measures an uncached
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
use cachet_core::store::memory::MemoryStore;
use cachet_core::store::{Store, WriteContext, no_effects};
use cachet_core::validate::{HttpUrl, Markdown, MetricValue, Name, Order, Places, Text, Threshold};
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

/// 50 metrics with 2,000 points each (one every 20 minutes over the last ~28 days). The
/// metrics go through the facade; the points straight into the store, without the merge
/// lookup (the in-memory store scans every point for it), which leaves the same data.
async fn metrics(c: &Cachet, store: &dyn Store) {
    let op = Actor::operator();
    let now = c.now();
    for m in 0..50i64 {
        let metric = c
            .create_metric(
                &op,
                &NewMetric::named(name(&format!("Latency of service {m}")))
                    .with_suffix(Text::parse("ms").unwrap())
                    .with_description(Markdown::parse("Median latency of requests.").unwrap())
                    .with_default_value(MetricValue::from_millis(0).unwrap())
                    .with_calc_type(if m % 2 == 0 {
                        CalcType::Average
                    } else {
                        CalcType::Sum
                    })
                    .with_places(Places::new(1).unwrap())
                    .with_threshold(Threshold::new(5).unwrap())
                    .with_order(Order::new(m + 1).unwrap()),
            )
            .await
            .unwrap();
        for step in 0..2_000i64 {
            let point = NewMetricPoint::new(
                MetricValue::from_millis(40_000 + ((step * 7_919 + m * 104_729) % 23) * 1_000)
                    .unwrap(),
                now - chrono::TimeDelta::minutes(20 * (2_000 - step)),
            );
            store
                .record_metric_point(WriteContext::at(now), metric.id, &point, &no_effects)
                .await
                .unwrap();
        }
    }
}

async fn big_site(c: &Cachet) {
    let op = Actor::operator();
    let mut components = Vec::new();
    for g in 0..20 {
        let group = c
            .create_group(
                &op,
                &NewComponentGroup::named(name(&format!("Group {g}")))
                    .with_order(Order::new(g).unwrap())
                    .with_visible(GroupVisibility::Public),
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
                &NewIncident::new(
                    name(&format!("Incident {n}")),
                    if n < 5 {
                        IncidentStatus::Identified
                    } else {
                        IncidentStatus::Fixed
                    },
                    Markdown::parse(&format!(
                        "Elevated **error rates** on component {n}; we are looking into it."
                    ))
                    .unwrap(),
                    now - chrono::TimeDelta::hours(n),
                )
                .with_components(vec![AffectedComponent {
                    component_id: components[n as usize % components.len()],
                    status: ComponentStatus::PartialOutage,
                }]),
            )
            .await
            .unwrap();
        c.create_incident_update(
            &op,
            incident.id,
            &NewIncidentUpdate::new(
                IncidentStatus::Fixed,
                Markdown::parse("Resolved after a rollback.").unwrap(),
            ),
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
    let uncached = cachet(store.clone(), false);
    rt.block_on(big_site(&cached));
    rt.block_on(metrics(&cached, store.as_ref()));

    // Five seconds unless the command line says otherwise.
    let mut criterion = Criterion::default()
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    let mut ratios = Vec::new();
    for path in [
        "/",
        "/api/v1/components?per_page=200",
        "/api/v2/summary.json",
    ] {
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
        let copy = time(&|| {
            std::hint::black_box(Bytes::copy_from_slice(std::hint::black_box(&bytes)));
        });
        ratios.push(format!(
            "{path}: uncached {render:?}, snapshot {snap:?}, copy {copy:?}, ratio uncached/snapshot \
             {:.0}x, uncached/copy {:.0}x ({} bytes, {} compressed)",
            render.as_secs_f64() / snap.as_secs_f64().max(1e-12),
            render.as_secs_f64() / copy.as_secs_f64().max(1e-12),
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
