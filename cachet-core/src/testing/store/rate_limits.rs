//! Shared rate limits: atomic counting, windows rolling over, independent keys, pruning.

use std::time::Duration;

use super::*;
use crate::store::rate_limit::WindowDecision;

/// The length of every window here.
const MINUTE: Duration = Duration::from_secs(60);

/// The `n`th one-minute window after `T0` (`T0` is a whole minute).
fn window(n: i64) -> RateLimitWindow {
    RateLimitWindow::containing(at(n * 60), MINUTE)
}

#[track_caller]
fn key(s: &str) -> Result<RateLimitKey, Failure> {
    RateLimitKey::new(s).ok_or_else(|| Failure::new(format!("fixture key {s:?}")))
}

async fn hit(
    store: &dyn Store,
    k: &RateLimitKey,
    w: RateLimitWindow,
    limit: u32,
) -> Result<WindowCounts, Failure> {
    store
        .hit_rate_limit(k, w, limit)
        .await
        .ctx("hit_rate_limit")
}

/// Of many concurrent hits on one key in one window, each sees its own count, so exactly
/// `limit` are allowed; the count stops at `limit + 1`.
pub async fn rate_limit_counts_are_atomic_under_concurrency(
    store: &dyn Store,
) -> Result<(), Failure> {
    let (k, limit) = (key("api_address:ip:192.0.2.7")?, 5);
    let w = window(0);
    let hits = (0..24).map(|_| hit(store, &k, w, limit));
    let mut seen = Vec::new();
    let mut allowed = 0;
    for r in join_all(hits.collect()).await {
        let counts = r?;
        ensure_eq(counts.previous, 0, "no previous window")?;
        if matches!(
            counts.decide(w, w.start, limit),
            WindowDecision::Allow { .. }
        ) {
            allowed += 1;
        }
        seen.push(counts.current);
    }
    ensure_eq(
        allowed,
        limit,
        "exactly the limit of 24 concurrent hits is allowed",
    )?;
    seen.sort_unstable();
    let mut expected: Vec<u32> = (1..=limit).collect();
    expected.resize(24, limit + 1);
    ensure_eq(
        seen,
        expected,
        "each allowed hit sees its own count; the rest see limit + 1",
    )
}

/// A new window starts at 1 with the last window's count as its previous; a window after a
/// gap has no previous; a hit stamped with an older window counts in the key's newer one.
pub async fn rate_limit_windows_roll_over(store: &dyn Store) -> Result<(), Failure> {
    let (k, limit) = (key("subscribe:ip:2001:db8:1:2::/64")?, 3);
    for n in 1..=5 {
        let c = hit(store, &k, window(0), limit).await?;
        ensure_eq(c.current, n.min(limit + 1), "counting within a window")?;
    }
    ensure_eq(
        hit(store, &k, window(1), limit).await?,
        WindowCounts {
            current: 1,
            previous: limit + 1,
        },
        "the next window starts over, the last one is its previous",
    )?;
    ensure_eq(
        hit(store, &k, window(1), limit).await?,
        WindowCounts {
            current: 2,
            previous: limit + 1,
        },
        "the previous window is kept while the window lasts",
    )?;
    ensure_eq(
        hit(store, &k, window(3), limit).await?,
        WindowCounts {
            current: 1,
            previous: 0,
        },
        "after a window with no hit, nothing is previous",
    )?;
    ensure_eq(
        hit(store, &k, window(2), limit).await?,
        WindowCounts {
            current: 2,
            previous: 0,
        },
        "a hit from a clock behind counts in the key's newer window",
    )?;
    Ok(())
}

/// Keys count apart, and a key of the largest length (with the characters address keys use)
/// works like any other.
pub async fn rate_limit_keys_are_independent(store: &dyn Store) -> Result<(), Failure> {
    let limit = 10;
    let long = format!("api_token:{}", "9".repeat(RateLimitKey::MAX_LEN - 10));
    let keys = [
        key("api_token:1")?,
        key("api_token:2")?,
        key("API_TOKEN:1")?,
        key("uncached_render:ip:2001:db8::/64")?,
        key(&long)?,
    ];
    for (i, k) in keys.iter().enumerate() {
        for _ in 0..=i {
            hit(store, k, window(0), limit).await?;
        }
    }
    for (i, k) in keys.iter().enumerate() {
        let expected = u32::try_from(i + 2).unwrap_or(u32::MAX);
        ensure_eq(
            hit(store, k, window(0), limit).await?.current,
            expected,
            format!("key {} counts its own hits", k.as_str()),
        )?;
    }
    Ok(())
}

/// Pruning forgets the keys whose window started before the cut-off, and only those.
pub async fn rate_limits_prune_forgets_old_windows_only(store: &dyn Store) -> Result<(), Failure> {
    let limit = 10;
    let (old, recent, edge) = (
        key("sign_in:old")?,
        key("sign_in:recent")?,
        key("sign_in:edge")?,
    );
    hit(store, &old, window(0), limit).await?;
    hit(store, &old, window(0), limit).await?;
    hit(store, &edge, window(4), limit).await?;
    hit(store, &recent, window(5), limit).await?;
    ensure_eq(
        store
            .prune_rate_limits(window(4).start)
            .await
            .ctx("prune_rate_limits")?,
        1,
        "one key's window started before the cut-off",
    )?;
    ensure_eq(
        hit(store, &recent, window(5), limit).await?.current,
        2,
        "a key of a later window is kept",
    )?;
    ensure_eq(
        hit(store, &edge, window(5), limit).await?,
        WindowCounts {
            current: 1,
            previous: 1,
        },
        "a key whose window starts at the cut-off is kept",
    )?;
    ensure_eq(
        hit(store, &old, window(1), limit).await?,
        WindowCounts {
            current: 1,
            previous: 0,
        },
        "a pruned key starts over",
    )?;
    ensure_eq(
        store
            .prune_rate_limits(window(0).start)
            .await
            .ctx("prune_rate_limits")?,
        0,
        "nothing older is left",
    )?;
    Ok(())
}
