//! `bench_seed DATABASE_URL KEY_FILE`: fills an empty database with the big data set of the
//! load benchmark (`bench/load.sh`, see BENCHMARKS.md): 200 components in 20 groups, 5,000
//! incidents with updates, 50 metrics with 100,000 points in all. Everything is written
//! through the facade as the operator, like `cachet serve --demo` does. Not for production.

use std::process::ExitCode;

use cachet_core::model::{
    AffectedComponent, CalcType, Collapsed, ComponentStatus, GroupVisibility, IncidentStatus,
    NewComponent, NewComponentGroup, NewIncident, NewIncidentUpdate, NewMetric,
};
use cachet_core::validate::{Markdown, MetricValue, Name, Order, Places, Text, ViolationExt as _};
use cachet_core::{Actor, Cachet};
use cachet_examples::Error;
use cachet_examples::cli::GlobalArgs;
use chrono::TimeDelta;

const GROUPS: i64 = 20;
const PER_GROUP: i64 = 10;
const INCIDENTS: i64 = 5_000;
const METRICS: i64 = 50;
const POINTS_PER_METRIC: i64 = 2_000;

fn invalid(e: impl std::fmt::Display) -> Error {
    Error::Invalid(e.to_string())
}

fn name(s: &str) -> Result<Name, Error> {
    Name::parse(s).field("name").map_err(invalid)
}

fn markdown(s: &str) -> Result<Markdown, Error> {
    Markdown::parse(s).field("message").map_err(invalid)
}

fn order(n: i64) -> Result<Order, Error> {
    Order::new(n).field("order").map_err(invalid)
}

async fn seed(cachet: &Cachet) -> Result<(), Error> {
    let fail = |e: cachet_core::Error| Error::cachet("seeding", &e);
    let op = Actor::operator();
    let now = cachet.now();
    let mut components = Vec::new();
    for g in 0..GROUPS {
        let group = cachet
            .create_group(
                &op,
                &NewComponentGroup::named(name(&format!("Region {g}"))?)
                    .with_order(order(g + 1)?)
                    .with_collapsed(if g % 4 == 3 {
                        Collapsed::CollapsedUnlessIncident
                    } else {
                        Collapsed::Expanded
                    })
                    .with_visible(GroupVisibility::Public),
            )
            .await
            .map_err(fail)?;
        for i in 0..PER_GROUP {
            let status = match (g * PER_GROUP + i) % 37 {
                5 => ComponentStatus::PerformanceIssues,
                17 => ComponentStatus::PartialOutage,
                _ => ComponentStatus::Operational,
            };
            let mut new = NewComponent::named(name(&format!("Service {g}-{i}"))?, status);
            new.description = Text::parse(&format!(
                "Service {i} of region {g}: requests, jobs and storage."
            ))
            .field("description")
            .map_err(invalid)?;
            new.order = order(i + 1)?;
            new.group_id = Some(group.id);
            components.push(cachet.create_component(&op, &new).await.map_err(fail)?.id);
        }
    }
    eprintln!("bench_seed: {} components", components.len());

    for n in 0..INCIDENTS {
        let open = n < 5;
        let component_id = components[usize::try_from(n).unwrap_or(0) % components.len()];
        let incident = cachet
            .create_incident(
                &op,
                &NewIncident::new(
                    name(&format!("Elevated error rates on service {n}"))?,
                    if open {
                        IncidentStatus::Identified
                    } else {
                        IncidentStatus::Investigating
                    },
                    markdown(&format!(
                        "Some requests to service {n} fail with **503** errors. We are \
                         investigating and will post an update within 30 minutes."
                    ))?,
                    now - TimeDelta::hours(n + 1),
                )
                .with_stickied(n == 0)
                .with_components(vec![AffectedComponent {
                    component_id,
                    status: ComponentStatus::PartialOutage,
                }]),
            )
            .await
            .map_err(fail)?;
        let updates: &[(IncidentStatus, &str)] = if open {
            &[(
                IncidentStatus::Watching,
                "A fix has been deployed; we are **monitoring** the error rates.",
            )]
        } else {
            &[
                (
                    IncidentStatus::Identified,
                    "A bad configuration push was identified and is being rolled back.",
                ),
                (
                    IncidentStatus::Fixed,
                    "Resolved after the rollback; error rates are back to normal.",
                ),
            ]
        };
        for (status, message) in updates {
            cachet
                .create_incident_update(
                    &op,
                    incident.id,
                    &NewIncidentUpdate::new(*status, markdown(message)?),
                )
                .await
                .map_err(fail)?;
        }
        if (n + 1) % 1_000 == 0 {
            eprintln!("bench_seed: {} incidents", n + 1);
        }
    }

    let mut points = 0_u64;
    for m in 0..METRICS {
        let metric = cachet
            .create_metric(
                &op,
                &NewMetric::named(name(&format!("Latency of service {m}"))?)
                    .with_suffix(Text::parse("ms").field("suffix").map_err(invalid)?)
                    .with_description(markdown("Median latency of requests.")?)
                    .with_calc_type(if m % 2 == 0 {
                        CalcType::Average
                    } else {
                        CalcType::Sum
                    })
                    .with_places(Places::new(1).field("places").map_err(invalid)?)
                    .with_order(order(m + 1)?),
            )
            .await
            .map_err(fail)?;
        // One point every 20 minutes over the last ~28 days, the newest 20 minutes ago
        // (outside the merge window, so no point merges into another).
        for step in 0..POINTS_PER_METRIC {
            let at = now - TimeDelta::minutes(20 * (POINTS_PER_METRIC - step));
            let millis = 40_000 + ((step * 7_919 + m * 104_729) % 23) * 1_000;
            let value = MetricValue::from_millis(millis)
                .field("value")
                .map_err(invalid)?;
            cachet
                .record_metric_point(&op, metric.id, value, Some(at))
                .await
                .map_err(fail)?;
            points += 1;
        }
        if (m + 1) % 10 == 0 {
            eprintln!("bench_seed: {} metrics, {points} points", m + 1);
        }
    }
    Ok(())
}

async fn run(database_url: String, key_file: String) -> Result<(), Error> {
    let global = GlobalArgs {
        database_url,
        secret_key_file: Some(key_file.into()),
        // Seeding waits for a busy database as long as sqlx would.
        db_acquire_timeout_ms: 30_000,
        log_format: cachet_examples::cli::LogFormat::Text,
    };
    let (cachet, db) = cachet_examples::open(&global, None, "http://127.0.0.1").await?;
    let result = match cachet_examples::demo::is_empty(&cachet).await {
        Ok(true) => seed(&cachet).await,
        Ok(false) => Err(Error::Invalid(
            "the database already has components; bench_seed fills only an empty one".to_owned(),
        )),
        Err(e) => Err(Error::cachet("reading the components", &e)),
    };
    db.close().await;
    result
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [database_url, key_file] = <[String; 2]>::try_from(args).unwrap_or_default();
    if database_url.is_empty() || key_file.is_empty() {
        eprintln!("usage: bench_seed DATABASE_URL KEY_FILE");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(database_url, key_file)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
