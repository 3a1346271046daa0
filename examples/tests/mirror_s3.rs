#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `cachet serve --mirror-url s3://...` against a real S3-compatible server on loopback
//! (moto's `moto_server`): after a write the bucket holds the page byte for byte as the
//! server gives it to a guest, with its content types; every link of the mirrored status
//! page resolves to an object; nothing per visitor is in any object; a deleted incident
//! disappears from the bucket; and a restarted server that finds the bucket current uploads
//! nothing.
//!
//! moto is found on `PATH`, or in the cached venv `.ci/.venv-moto`. When it is missing the
//! test installs it there under CI (`CI=true`) and fails if that fails; elsewhere it says so
//! and passes.

mod support;

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use support::{TempDir, free_port, text};

const BIN: &str = env!("CARGO_BIN_EXE_cachet");
const PASSWORD: &str = "correct horse battery staple 42";
const BUCKET: &str = "cachet-mirror";
/// The moto release CI installs when none is on the machine.
const MOTO: &str = "moto[server]==5.2.1";

/// A child process killed on drop (moto, the server), also when the test fails.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// `moto_server`: on `PATH`, in the cached venv, or installed there under CI.
fn moto_server() -> Option<PathBuf> {
    let on_path = Command::new("moto_server")
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if on_path {
        return Some(PathBuf::from("moto_server"));
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.ci/.venv-moto");
    let bin = venv.join("bin/moto_server");
    if bin.exists() {
        return Some(bin);
    }
    if std::env::var("CI").as_deref() != Ok("true") {
        return None;
    }
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .expect("python3 for the moto venv");
    assert!(made.success(), "python3 -m venv {} failed", venv.display());
    let installed = Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "--disable-pip-version-check", MOTO])
        .status()
        .unwrap();
    assert!(installed.success(), "pip install {MOTO} failed");
    assert!(bin.exists(), "no moto_server after installing {MOTO}");
    Some(bin)
}

/// One HTTP/1.1 exchange on loopback: status, headers (lower-case names) and body.
fn fetch(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, BTreeMap<String, String>, Vec<u8>) {
    let mut stream = support::send(port, method, path, headers, body);
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = text(&raw[..split]);
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: BTreeMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    if headers
        .get("transfer-encoding")
        .is_some_and(|v| v == "chunked")
    {
        body = support::dechunk(&text(&body)).into_bytes();
    }
    (status, headers, body)
}

/// The object `key` of the bucket, from moto.
fn object(moto: u16, key: &str) -> (u16, BTreeMap<String, String>, Vec<u8>) {
    fetch(moto, "GET", &format!("/{BUCKET}/{key}"), &[], "")
}

/// Every key of the bucket with its `LastModified`.
fn listing(moto: u16) -> BTreeMap<String, String> {
    let (status, _, body) = fetch(moto, "GET", &format!("/{BUCKET}?list-type=2"), &[], "");
    assert_eq!(status, 200);
    let xml = text(&body);
    let mut out = BTreeMap::new();
    for item in xml.split("<Contents>").skip(1) {
        let field = |name: &str| {
            let open = format!("<{name}>");
            let start = item.find(&open).unwrap() + open.len();
            let end = item[start..].find('<').unwrap() + start;
            item[start..end].to_owned()
        };
        out.insert(field("Key"), field("LastModified"));
    }
    out
}

fn wait_until(what: &str, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("timed out waiting for {what}");
}

/// The binary in `dir` with none of the caller's CACHET_ or AWS_ variables.
fn cachet(dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir);
    for (k, _) in std::env::vars() {
        if k.starts_with("CACHET_") || k.starts_with("AWS_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("RUST_LOG", "warn");
    cmd
}

/// `cachet serve` with the mirror on moto's bucket; its log lines come down the channel.
fn serve(dir: &Path, port: u16, moto: u16) -> (Killed, mpsc::Receiver<String>) {
    let mut cmd = cachet(dir);
    cmd.env("RUST_LOG", "warn,cachet::mirror=debug")
        .env("AWS_ENDPOINT", format!("http://127.0.0.1:{moto}"))
        .env("AWS_ALLOW_HTTP", "true")
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_REGION", "us-east-1")
        .args(["--log-format", "json", "serve"])
        .args(["--bind", &format!("127.0.0.1:{port}")])
        .args(["--public-url", &format!("http://127.0.0.1:{port}")])
        .args(["--mirror-url", &format!("s3://{BUCKET}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead as _;
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let child = Killed(child);
    wait_until("the server to listen", || {
        TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    (child, rx)
}

/// The next "mirror published" log line, parsed.
fn next_publish(log: &mpsc::Receiver<String>) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let Ok(line) = log.recv_timeout(Duration::from_millis(200)) else {
            continue;
        };
        let parsed: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        assert!(
            !line.contains("mirror publish failed"),
            "the mirror failed: {line}"
        );
        if parsed["fields"]["message"] == "mirror published" {
            return parsed;
        }
    }
    panic!("no publish logged");
}

fn api(port: u16, method: &str, path: &str, token: &str, body: &str) -> serde_json::Value {
    let (status, _, body) = fetch(
        port,
        method,
        path,
        &[
            ("X-Cachet-Token", token),
            ("Content-Type", "application/json"),
        ],
        body,
    );
    assert!(
        (200..300).contains(&status),
        "{method} {path}: {status} {}",
        text(&body)
    );
    serde_json::from_slice(&body).unwrap_or_default()
}

/// Root-relative and same-origin links of a page, as bucket keys.
fn link_keys(html: &str, origin: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for attr in [" href=\"", " src=\""] {
        for part in html.split(attr).skip(1) {
            let link = part.split('"').next().unwrap().replace("&amp;", "&");
            let link = link.split(['#', '?']).next().unwrap().to_owned();
            let path = if let Some(rest) = link.strip_prefix(origin) {
                rest.to_owned()
            } else if link.starts_with('/') && !link.starts_with("//") {
                link
            } else {
                continue;
            };
            keys.push(match path.as_str() {
                "" | "/" => "index.html".to_owned(),
                p => p.trim_start_matches('/').to_owned(),
            });
        }
    }
    keys
}

#[test]
fn the_bucket_holds_the_page_as_a_guest_gets_it_and_follows_writes() {
    let Some(moto_bin) = moto_server() else {
        eprintln!(
            "SKIPPED: moto_server is not installed (pip install '{MOTO}'); under CI=true this test installs it or fails"
        );
        return;
    };
    let moto = free_port();
    let _moto_process = Killed(
        Command::new(&moto_bin)
            .args(["-H", "127.0.0.1", "-p", &moto.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_until("moto to listen", || {
        TcpStream::connect(("127.0.0.1", moto)).is_ok()
    });
    let (status, _, _) = fetch(moto, "PUT", &format!("/{BUCKET}"), &[], "");
    assert_eq!(status, 200, "creating the bucket");
    // Readable by anyone, as a bucket website or a CDN origin is; writes need credentials.
    let policy = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{BUCKET}/*"}}]}}"#
    );
    let (status, _, _) = fetch(
        moto,
        "PUT",
        &format!("/{BUCKET}?policy"),
        &[("Content-Type", "application/json")],
        &policy,
    );
    assert_eq!(status, 200, "the bucket's read policy");

    let dir = TempDir::new("mirror");
    let mut create = cachet(dir.path());
    create
        .args([
            "user",
            "create",
            "--email",
            "admin@example.com",
            "--role",
            "admin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null());
    let mut child = create.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    let out = cachet(dir.path())
        .args([
            "token",
            "create",
            "--email",
            "admin@example.com",
            "--scope",
            "admin",
        ])
        .args(["--name", "mirror"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let token = text(&out.stdout).lines().last().unwrap().trim().to_owned();

    let port = free_port();
    let origin = format!("http://127.0.0.1:{port}");
    let (server, log) = serve(dir.path(), port, moto);
    next_publish(&log);

    // A write: a component and an incident.
    let component = api(
        port,
        "POST",
        "/api/v1/components",
        &token,
        r#"{"name":"API","status":1}"#,
    );
    let component_id = component["data"]["id"].as_i64().unwrap();
    let incident = api(
        port,
        "POST",
        "/api/v1/incidents",
        &token,
        r#"{"name":"Database slow","message":"We are looking into it.","status":1,"visible":1}"#,
    );
    let incident_id = incident["data"]["id"].as_i64().unwrap();
    // One publish for the burst of writes (its log line comes once every object is up).
    let burst = next_publish(&log);
    assert!(burst["fields"]["uploaded"].as_u64().unwrap() > 0, "{burst}");
    assert_eq!(object(moto, &format!("incidents/{incident_id}")).0, 200);
    assert_eq!(object(moto, &format!("components/{component_id}")).0, 200);

    // The bytes and types a guest gets from the server.
    for (key, path) in [
        ("index.html".to_owned(), "/".to_owned()),
        (
            format!("incidents/{incident_id}"),
            format!("/incidents/{incident_id}"),
        ),
        (
            format!("components/{component_id}"),
            format!("/components/{component_id}"),
        ),
        (
            "api/v2/summary.json".to_owned(),
            "/api/v2/summary.json".to_owned(),
        ),
        (
            "api/v2/incidents.json".to_owned(),
            "/api/v2/incidents.json".to_owned(),
        ),
        ("history.rss".to_owned(), "/history.rss".to_owned()),
        ("atom".to_owned(), "/atom".to_owned()),
        ("badge.svg".to_owned(), "/badge.svg".to_owned()),
    ] {
        let (status, live_headers, live) = fetch(port, "GET", &path, &[], "");
        assert_eq!(status, 200, "{path}");
        assert!(!live_headers.contains_key("set-cookie"), "{path}");
        let (status, headers, mirrored) = object(moto, &key);
        assert_eq!(status, 200, "{key}");
        assert_eq!(
            mirrored, live,
            "{key} differs from what {path} serves a guest"
        );
        assert_eq!(
            headers["content-type"], live_headers["content-type"],
            "{key}"
        );
        assert!(headers.contains_key("cache-control"), "{key}");
    }

    // Every link of the mirrored status page resolves in the bucket.
    let (_, _, index) = object(moto, "index.html");
    let links = link_keys(&text(&index), &origin);
    assert!(links.len() > 5, "{links:?}");
    for key in links {
        assert_eq!(
            object(moto, &key).0,
            200,
            "the index links {key}, not in the bucket"
        );
    }

    // Nothing per visitor, nothing of a write surface, in any object.
    let keys = listing(moto);
    for key in keys.keys() {
        for prefix in ["api/v1", "dashboard", "auth/", "setup", "unsubscribe"] {
            assert!(!key.starts_with(prefix), "{key} published");
        }
        let (status, headers, body) = object(moto, key);
        assert_eq!(status, 200, "{key}");
        assert!(!headers.contains_key("set-cookie"), "{key}");
        let body = text(&body).to_ascii_lowercase();
        for needle in ["<form", "_token", "csrf", "cachet_session", "__host-"] {
            assert!(!body.contains(needle), "{key} holds {needle}");
        }
    }

    // A deleted incident leaves the bucket.
    let (status, _, _) = fetch(
        port,
        "DELETE",
        &format!("/api/v1/incidents/{incident_id}"),
        &[("X-Cachet-Token", &token)],
        "",
    );
    assert_eq!(status, 204);
    let removal = next_publish(&log);
    assert!(
        removal["fields"]["deleted"].as_u64().unwrap() >= 1,
        "{removal}"
    );
    assert_eq!(object(moto, &format!("incidents/{incident_id}")).0, 404);
    let (_, _, index) = object(moto, "index.html");
    assert!(!text(&index).contains("Database slow"));

    // A restarted server finds the bucket current: its first publish uploads nothing.
    let before = listing(moto);
    drop(server);
    // LastModified has one-second resolution: a re-upload would show.
    std::thread::sleep(Duration::from_millis(1100));
    let (_server, log) = serve(dir.path(), port, moto);
    let first = next_publish(&log);
    assert_eq!(first["fields"]["uploaded"], 0, "{first}");
    assert_eq!(first["fields"]["deleted"], 0, "{first}");
    assert_eq!(listing(moto), before, "objects were uploaded again");
}
