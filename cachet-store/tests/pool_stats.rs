//! The SQL stores report their pools for the operators' metrics
//! (`RevisionStore::pool_stats`), which the in-memory store does not have.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test

use cachet_core::store::memory::MemoryStore;
use cachet_core::store::prelude::*;
use cachet_store::SqliteStore;

#[tokio::test]
async fn sqlite_reports_its_pools_and_memory_has_none() {
    assert!(MemoryStore::new().pool_stats().is_none());

    // In memory: one connection, counted once although it serves reads and writes.
    let memory = SqliteStore::connect("sqlite::memory:").await.unwrap();
    let stats = memory.pool_stats().expect("a pool");
    assert_eq!(stats.max, 1);
    assert_eq!(stats.open, 1);
    memory.revision().await.unwrap();
    // sqlx gives a connection back to its pool in a task of its own: wait for it.
    let mut idle_again = false;
    for _ in 0..50 {
        if memory.pool_stats().unwrap().in_use() == 0 {
            idle_again = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(idle_again, "{:?}", memory.pool_stats());

    // A file: the writer's one connection and the readers' pool.
    let dir = std::env::temp_dir().join(format!("cachet-pool-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("pool.db").display());
    let file = SqliteStore::connect(&url).await.unwrap();
    file.revision().await.unwrap();
    let stats = file.pool_stats().expect("a pool");
    assert_eq!(stats.max, 1 + SqliteStore::READ_CONNECTIONS);
    assert!(stats.open >= 1 && stats.idle <= stats.open, "{stats:?}");
    file.close().await;
    std::fs::remove_dir_all(&dir).unwrap();
}
