//! The shared HTTP cases through `Cachet::handle`, as both adapters run them.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

use cachet_core::testing::http;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_case_passes_through_the_core() {
    let summary = http::run_all(|cachet, req, cx| async move { cachet.handle(req, cx).await })
        .await
        .unwrap_or_else(|failures| {
            panic!(
                "{} failing cases:\n\n{}",
                failures.len(),
                failures.join("\n\n")
            )
        });
    eprintln!("{} cases passed", summary.passed);
    for bug in &summary.known_bugs {
        eprintln!("{bug}");
    }
    assert!(
        summary.no_longer_failing.is_empty(),
        "known bugs fixed, remove their markers: {:?}",
        summary.no_longer_failing
    );
    assert!(
        summary.passed >= 100,
        "only {} cases passed",
        summary.passed
    );
}
