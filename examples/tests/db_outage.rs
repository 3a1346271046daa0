#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The standalone binary on a PostgreSQL cluster of its own, under a load of public reads
//! while the database is frozen (every server process `SIGSTOP`ped: connections accept
//! nothing and answer nothing) and then stopped: every public read answers within a second,
//! as the page last rendered (`200` with `Age`) or as `503` with `Retry-After`, with both
//! frameworks; a write is refused at once; and once the database is back the pages are fresh.
//!
//! The cluster is created with `pg_createcluster` on a free port and dropped at the end, also
//! when the test fails (a drop guard). The machine's own clusters are never touched. Without
//! `pg_createcluster` (no PostgreSQL server packages) the test says so and passes.

mod support;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use support::{Server, TempDir, free_port};

const BIN: &str = env!("CARGO_BIN_EXE_cachet");
const PASSWORD: &str = "correct horse battery staple 42";
/// A fixed key: every process of the test must share one on PostgreSQL.
const KEY: &str = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
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

/// A PostgreSQL cluster of the test's own, dropped with the guard (thawed first, so a
/// failure while frozen cannot leave processes stopped or the cluster behind).
struct Cluster {
    version: String,
    name: String,
    port: u16,
}

impl Cluster {
    fn create() -> Option<Self> {
        if Command::new("pg_createcluster")
            .arg("--help")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_err()
        {
            return None;
        }
        let version = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL server binaries beside pg_createcluster")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter_map(|v| v.parse::<u32>().ok())
            .max()
            .expect("a PostgreSQL version")
            .to_string();
        let cluster = Self {
            version,
            name: format!("cachet_outage_{}", std::process::id()),
            port: free_port(),
        };
        let port = cluster.port.to_string();
        let created = Command::new("pg_createcluster")
            .args([&cluster.version, &cluster.name, "-p", &port])
            .args(["--", "--auth=trust"])
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(created.success(), "pg_createcluster failed");
        cluster.ctl("start");
        Some(cluster)
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn ctl(&self, action: &str) {
        let mut cmd = Command::new("pg_ctlcluster");
        // Straight to pg_ctl: the test's own cluster is no systemd unit.
        cmd.arg("--skip-systemctl-redirect")
            .args([&self.version, &self.name, action]);
        if action == "stop" {
            // As a crash or a kill would: no clean shutdown.
            cmd.args(["-m", "immediate"]);
        }
        let status = cmd.stdout(Stdio::null()).status().unwrap();
        assert!(status.success(), "pg_ctlcluster {action} failed");
    }

    fn data_dir(&self) -> PathBuf {
        Path::new("/var/lib/postgresql")
            .join(&self.version)
            .join(&self.name)
    }

    /// The postmaster and every process it started.
    fn pids(&self) -> Vec<String> {
        let Ok(pid_file) = std::fs::read_to_string(self.data_dir().join("postmaster.pid")) else {
            return Vec::new();
        };
        let Some(postmaster) = pid_file.lines().next().map(str::trim).map(str::to_owned) else {
            return Vec::new();
        };
        let children = Command::new("pgrep")
            .args(["-P", &postmaster])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        let mut pids = vec![postmaster];
        pids.extend(children.split_whitespace().map(str::to_owned));
        pids
    }

    fn signal(&self, signal: &str) {
        let pids = self.pids();
        if pids.is_empty() {
            return;
        }
        let _ = Command::new("kill").arg(signal).args(&pids).status();
    }

    fn freeze(&self) {
        self.signal("-STOP");
    }

    fn thaw(&self) {
        self.signal("-CONT");
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.thaw();
        let _ = Command::new("pg_dropcluster")
            .args(["--stop", &self.version, &self.name])
            .stdout(Stdio::null())
            .status();
    }
}

/// The `cachet` binary with none of the caller's CACHET_ variables, on the cluster.
fn cachet(dir: &Path, url: &str) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("CACHET_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("RUST_LOG", "error")
        .env("CACHET_SECRET_KEY", KEY)
        .env("CACHET_DATABASE_URL", url);
    cmd
}

fn run(mut cmd: Command, input: &str) -> String {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let _ = stdin.write_all(input.as_bytes());
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

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
    let Some(cluster) = Cluster::create() else {
        eprintln!(
            "db_outage: skipped: pg_createcluster is not installed (PostgreSQL server packages)"
        );
        return;
    };
    let dir = TempDir::new("db-outage");
    let mut cmd = cachet(dir.path(), &cluster.url());
    cmd.args([
        "user",
        "create",
        "--email",
        "admin@example.com",
        "--role",
        "admin",
    ]);
    run(cmd, &format!("{PASSWORD}\n"));
    let mut cmd = cachet(dir.path(), &cluster.url());
    cmd.args([
        "token",
        "create",
        "--email",
        "admin@example.com",
        "--scope",
        "write",
        "--name",
        "outage",
    ]);
    let token = run(cmd, "");
    for framework in ["axum", "actix"] {
        outage_with(framework, &cluster, dir.path(), &token);
    }
}
