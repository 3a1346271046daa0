#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The standalone binary on a PostgreSQL cluster of its own, under a load of public reads
//! while the database is frozen (every server process `SIGSTOP`ped: connections accept
//! nothing and answer nothing) and then stopped: every public read answers within a second,
//! as the page last rendered (`200` with `Age`) or as `503` with `Retry-After`, with both
//! frameworks; a write is refused at once; and once the database is back the pages are fresh.
//!
//! The cluster is created with `pg_createcluster` on a free port and dropped at the end, also
//! when the test fails (a drop guard; `support::cluster`). The machine's own clusters are
//! never touched. Without `pg_createcluster` (no PostgreSQL server packages) the test says so
//! and passes, except in CI (`CI=true`), where it fails.

mod support;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use support::cluster::{Cluster, admin_token, cachet};
use support::{Server, TempDir, free_port};

const PASSWORD: &str = "correct horse battery staple 42";
/// Public reads a visitor makes: pages, feeds, badges, both APIs.
const PUBLIC: &[&str] = &[
    "/",
    "/api/v1/components",
    "/api/v1/incidents",
    "/api/v2/summary.json",
    "/api/v2/status.json",
    "/rss",
    "/badge.svg",
];
/// A read no one made before the outage: nothing is held for it, so it answers 503.
const NEVER_READ: &str = "/api/v1/components?per_page=7";
const LIMIT: Duration = Duration::from_secs(1);

/// One answer: status, head (lower-cased), how long it took.
struct Answer {
    status: u16,
    head: String,
    took: Duration,
}

impl Answer {
    fn has(&self, header: &str) -> bool {
        self.head.contains(&format!("\r\n{header}:"))
    }
}

fn request(port: u16, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Answer {
    let started = Instant::now();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    // Far beyond the limit: a hang shows as a slow answer, not as a stuck test.
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nAccept-Encoding: gzip\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    stream.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let took = started.elapsed();
    let text = String::from_utf8_lossy(&raw);
    let head = text
        .split_once("\r\n\r\n")
        .map_or(text.as_ref(), |(h, _)| h)
        .to_ascii_lowercase();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Answer { status, head, took }
}

/// What a load phase saw.
#[derive(Debug, Default)]
struct Tally {
    requests: usize,
    stale: usize,
    unavailable: usize,
    slowest: Duration,
    wrong: Vec<String>,
}

/// `threads` clients reading public paths for `length`, every answer checked.
fn load(port: u16, threads: usize, length: Duration) -> Tally {
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..threads)
        .map(|t| {
            let stop = stop.clone();
            let begun = Instant::now();
            std::thread::spawn(move || {
                let mut tally = Tally::default();
                let mut i = t;
                while !stop.load(Ordering::Relaxed) {
                    let path = if i % 10 == 0 {
                        NEVER_READ
                    } else {
                        PUBLIC[i % PUBLIC.len()]
                    };
                    i += 1;
                    let a = request(port, "GET", path, &[], "");
                    tally.requests += 1;
                    tally.slowest = tally.slowest.max(a.took);
                    match a.status {
                        200 if a.has("age") => tally.stale += 1,
                        503 if a.has("retry-after") => tally.unavailable += 1,
                        _ => tally.wrong.push(format!(
                            "{path} at {:?}: {}",
                            begun.elapsed(),
                            a.head.lines().next().unwrap_or_default()
                        )),
                    }
                    if a.took >= LIMIT {
                        tally.wrong.push(format!("{path}: took {:?}", a.took));
                    }
                }
                tally
            })
        })
        .collect();
    std::thread::sleep(length);
    stop.store(true, Ordering::Relaxed);
    let mut all = Tally::default();
    for w in workers {
        let t = w.join().unwrap();
        all.requests += t.requests;
        all.stale += t.stale;
        all.unavailable += t.unavailable;
        all.slowest = all.slowest.max(t.slowest);
        all.wrong.extend(t.wrong);
    }
    all
}

/// Waits until `/` is served fresh again (no `Age`), within `within`.
fn wait_fresh(port: u16, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let a = request(port, "GET", "/", &[], "");
        if a.status == 200 && !a.has("age") {
            return;
        }
        assert!(Instant::now() < deadline, "not fresh again: {}", a.head);
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn check_phase(framework: &str, phase: &str, tally: &Tally) {
    println!(
        "{framework} {phase}: {} public reads, {} served stale with Age, {} answered 503 with Retry-After, slowest {:?}",
        tally.requests, tally.stale, tally.unavailable, tally.slowest
    );
    assert!(
        tally.wrong.is_empty(),
        "{framework} {phase}: {} wrong answers: {:#?}",
        tally.wrong.len(),
        tally.wrong
    );
    assert!(tally.requests > 50, "{framework} {phase}: too little load");
    assert!(tally.stale > 0, "{framework} {phase}: nothing served stale");
    assert!(
        tally.unavailable > 0,
        "{framework} {phase}: no 503 for {NEVER_READ}"
    );
}

fn outage_with(framework: &str, cluster: &Cluster, dir: &Path, token: &str) {
    let port = free_port();
    let mut cmd = cachet(dir, &cluster.url());
    cmd.args(["serve", "--framework", framework, "--demo"])
        .args(["--bind", &format!("127.0.0.1:{port}")])
        .args(["--db-acquire-timeout-ms", "1000"])
        .args(["--revision-deadline-ms", "200"])
        .args(["--render-deadline-ms", "600"]);
    let server = Server::start(cmd, port);
    for path in PUBLIC {
        let a = request(port, "GET", path, &[], "");
        assert_eq!(a.status, 200, "{framework} {path}: {}", a.head);
    }
    // A write through this process: every page changed since its render.
    let write = |name: &str| {
        request(
            port,
            "POST",
            "/api/v1/components",
            &[
                ("X-Cachet-Token", token),
                ("Content-Type", "application/json"),
            ],
            &format!("{{\"name\":\"{name}\",\"status\":1}}"),
        )
    };
    let a = write(&format!("{framework} before the outage"));
    assert_eq!(a.status, 200, "{}", a.head);

    cluster.freeze();
    let frozen = load(port, 12, Duration::from_secs(7));
    // A write while the database is known down is refused at once.
    let refused = write("refused");
    cluster.thaw();
    check_phase(framework, "frozen", &frozen);
    assert_eq!(refused.status, 503, "{}", refused.head);
    assert!(refused.has("retry-after") && refused.took < LIMIT);
    wait_fresh(port, Duration::from_secs(20));

    let a = write(&format!("{framework} before the stop"));
    assert_eq!(a.status, 200, "{}", a.head);
    cluster.ctl("stop");
    let stopped = load(port, 12, Duration::from_secs(5));
    cluster.ctl("start");
    check_phase(framework, "stopped", &stopped);
    wait_fresh(port, Duration::from_secs(30));
    drop(server);
}

#[test]
fn public_reads_answer_within_a_second_through_a_database_outage() {
    let Some(cluster) = Cluster::create("outage") else {
        return;
    };
    let dir = TempDir::new("db-outage");
    let token = admin_token(dir.path(), &cluster.url(), PASSWORD, "write");
    for framework in ["axum", "actix"] {
        outage_with(framework, &cluster, dir.path(), &token);
    }
}
