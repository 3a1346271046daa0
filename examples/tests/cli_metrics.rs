#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test
//! The real `cachet` binary with the Prometheus endpoint on (`--metrics-token-file`) and JSON
//! logs (`--log-format json`), under axum and actix-web alike: log lines are JSON objects,
//! one per line, and the endpoint answers scrapers with the token only.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

mod support;

use support::{TempDir, free_port, http};

const BIN: &str = env!("CARGO_BIN_EXE_cachet");
const TOKEN: &str = "binary-test-metrics-token-0123456789abcdef";

/// The server, killed on drop, with its standard error read line by line.
struct Server {
    child: Child,
    stderr: mpsc::Receiver<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn start(dir: &std::path::Path, port: u16, framework: &str) -> Server {
    let token_file = dir.join("metrics.token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("CACHET_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("RUST_LOG", "info,sqlx=warn")
        .args(["--log-format", "json", "serve", "--framework", framework])
        .args(["--bind", &format!("127.0.0.1:{port}")])
        .arg("--metrics-token-file")
        .arg(&token_file)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the server did not listen");
        std::thread::sleep(Duration::from_millis(100));
    }
    Server { child, stderr: rx }
}

/// The first log line holding `needle`, parsed, within a few seconds.
fn log_line(server: &Server, needle: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let Ok(line) = server.stderr.recv_timeout(Duration::from_millis(200)) else {
            continue;
        };
        let parsed: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("a log line that is not JSON ({e}): {line:?}"));
        assert!(
            !line.chars().any(cachet_core::log::needs_escape),
            "raw control character in {line:?}"
        );
        assert!(!line.contains(TOKEN), "the token was logged: {line}");
        if line.contains(needle) {
            return parsed;
        }
    }
    panic!("no log line with {needle:?}");
}

/// The value of an unlabelled or labelled sample in a scrape.
fn sample(scrape: &str, series: &str) -> u64 {
    scrape
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {series} in:\n{scrape}"))
}

fn check(framework: &str) {
    let dir = TempDir::new(&format!("metrics-{framework}"));
    let port = free_port();
    let server = start(dir.path(), port, framework);

    let started = log_line(&server, "Prometheus endpoint");
    assert_eq!(started["level"], "INFO", "{started}");
    assert_eq!(started["fields"]["path"], "/prometheus", "{started}");

    // A hostile path is logged as one JSON line, its control characters escaped.
    let (status, _) = http(port, "GET", "/x%0D%0Aforged%1B%5B2J%C2%85", &[], "");
    assert_eq!(status, 404);
    let access = log_line(&server, "forged");
    assert_eq!(access["target"], "cachet::http", "{access}");

    let (status, _) = http(port, "GET", "/prometheus", &[], "");
    assert_eq!(status, 401);
    let bearer = format!("Bearer {TOKEN}");
    let auth = [("Authorization", bearer.as_str())];
    let (status, before) = http(port, "GET", "/prometheus", &auth, "");
    assert_eq!(status, 200, "{before}");
    assert!(before.contains("# TYPE cachet_http_requests_total counter"));
    // A file database has a pool.
    assert!(
        sample(&before, "cachet_store_pool_max_connections") >= 1,
        "{before}"
    );

    for _ in 0..3 {
        assert_eq!(http(port, "GET", "/api/v1/ping", &[], "").0, 200);
    }
    assert_eq!(http(port, "GET", "/", &[], "").0, 200);
    assert_eq!(http(port, "GET", "/", &[], "").0, 200);
    let (_, after) = http(port, "GET", "/prometheus", &auth, "");
    let api = "cachet_http_requests_total{group=\"api_v1\",class=\"2xx\"}";
    assert_eq!(sample(&after, api) - sample(&before, api), 3, "{after}");
    let pages = "cachet_http_requests_total{group=\"pages\",class=\"2xx\"}";
    assert_eq!(sample(&after, pages) - sample(&before, pages), 2, "{after}");
    assert!(
        sample(&after, "cachet_render_duration_seconds_count") >= 1,
        "{after}"
    );
    assert!(
        sample(&after, "cachet_cache_requests_total{result=\"hit\"}") >= 1,
        "{after}"
    );
    drop(server);
}

#[test]
fn json_logs_and_the_prometheus_endpoint_over_axum() {
    check("axum");
}

#[test]
fn json_logs_and_the_prometheus_endpoint_over_actix() {
    check("actix");
}
