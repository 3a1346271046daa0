#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Runs the real `cachet` binary in temporary directories.

use std::io::Write as _;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod support;

use support::{Server, TempDir, cachet, free_port, http, read_response, run, smtp_sink, text};

const GOOD_PASSWORD: &str = "correct horse battery staple 42";

fn create_user(dir: &Path, email: &str, role: &str, extra: &[&str]) -> Output {
    let mut cmd = cachet(dir);
    cmd.args(["user", "create", "--email", email, "--role", role]);
    cmd.args(extra);
    run(cmd, &format!("{GOOD_PASSWORD}\n"))
}

fn create_token(dir: &Path, email: &str, scope: &str) -> Output {
    let mut cmd = cachet(dir);
    cmd.args([
        "token", "create", "--email", email, "--scope", scope, "--name", "ci",
    ]);
    run(cmd, "")
}

fn assert_fails(out: &Output, needle: &str) {
    let stderr = text(&out.stderr);
    assert!(
        !out.status.success(),
        "expected a failure, stdout: {}",
        text(&out.stdout)
    );
    assert!(
        stderr.to_lowercase().contains(&needle.to_lowercase()),
        "stderr lacks {needle:?}: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

fn serve(dir: &Path, port: u16, extra: &[&str]) -> Server {
    let mut cmd = cachet(dir);
    let bind = format!("127.0.0.1:{port}");
    cmd.args(["serve", "--bind", &bind]);
    cmd.args(extra);
    Server::start(cmd, port)
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

// ---- user, token and key commands ---------------------------------------------------------

#[test]
fn user_create_makes_a_private_key_file_and_prints_the_id() {
    let dir = TempDir::new("user");
    let out = create_user(dir.path(), "admin@example.com", "admin", &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let id: i64 = stdout.trim().parse().expect("an id");
    assert!(id > 0);
    assert_eq!(stdout.lines().count(), 1);
    assert!(!text(&out.stderr).contains(GOOD_PASSWORD));

    let key = dir.path().join("cachet.key");
    assert_eq!(mode(&key), 0o600);
    assert_eq!(mode(&dir.path().join("cachet.db")), 0o600);
    let content = std::fs::read_to_string(&key).unwrap();
    let mut parts = content.trim().split(' ');
    assert_eq!(parts.next(), Some("1"));
    assert_eq!(parts.next().map(str::len), Some(44));

    // A second user in the same database and key.
    let out = create_user(
        dir.path(),
        "viewer@example.com",
        "viewer",
        &["--name", "Vera Viewer"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let second: i64 = text(&out.stdout).trim().parse().unwrap();
    assert!(second > id);
}

#[test]
fn user_create_refuses_bad_input_clearly() {
    let dir = TempDir::new("user-bad");
    let weak = {
        let mut cmd = cachet(dir.path());
        cmd.args([
            "user",
            "create",
            "--email",
            "a@example.com",
            "--role",
            "admin",
        ]);
        run(cmd, "password\n")
    };
    assert_fails(&weak, "weak password");

    let bad_email = create_user(dir.path(), "not-an-email", "admin", &[]);
    assert_fails(&bad_email, "email");

    let empty = {
        let mut cmd = cachet(dir.path());
        cmd.args([
            "user",
            "create",
            "--email",
            "b@example.com",
            "--role",
            "admin",
        ]);
        run(cmd, "")
    };
    assert_fails(&empty, "no password");

    let bad_role = create_user(dir.path(), "c@example.com", "owner", &[]);
    assert_fails(&bad_role, "role");

    assert!(
        create_user(dir.path(), "d@example.com", "manager", &[])
            .status
            .success()
    );
    let duplicate = create_user(dir.path(), "D@example.com", "viewer", &[]);
    assert_fails(&duplicate, "already exists");
}

#[test]
fn token_create_prints_one_line_once() {
    let dir = TempDir::new("token");
    assert!(
        create_user(dir.path(), "ops@example.com", "admin", &[])
            .status
            .success()
    );
    let out = create_token(dir.path(), "ops@example.com", "write");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.ends_with('\n'));
    let token = stdout.trim_end();
    assert!(token.starts_with("cachet_"), "{token}");
    assert!(!token.contains(' '));

    let mut cmd = cachet(dir.path());
    cmd.args([
        "token",
        "create",
        "--email",
        "ops@example.com",
        "--scope",
        "read",
        "--name",
        "expiring",
        "--expires-in-days",
        "30",
    ]);
    let out = run(cmd, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_ne!(text(&out.stdout).trim(), token);

    let unknown = create_token(dir.path(), "nobody@example.com", "read");
    assert_fails(&unknown, "no user");
    assert!(unknown.stdout.is_empty());
}

#[test]
fn key_generate_and_rotate() {
    let dir = TempDir::new("key");
    let file = dir.path().join("my.key");
    let file_arg = file.to_str().unwrap();
    let out = run(
        {
            let mut c = cachet(dir.path());
            c.args(["key", "generate", "--secret-key-file", file_arg]);
            c
        },
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(mode(&file), 0o600);
    let first = std::fs::read_to_string(&file).unwrap();

    let again = run(
        {
            let mut c = cachet(dir.path());
            c.args(["--secret-key-file", file_arg, "key", "generate"]);
            c
        },
        "",
    );
    assert_fails(&again, "already exists");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), first);

    let rotate = run(
        {
            let mut c = cachet(dir.path());
            c.args(["key", "rotate", "--secret-key-file", file_arg]);
            c
        },
        "",
    );
    assert!(rotate.status.success(), "{}", text(&rotate.stderr));
    let rotated = std::fs::read_to_string(&file).unwrap();
    assert!(rotated.starts_with(&first));
    assert!(rotated.lines().nth(1).unwrap().starts_with("2 "));
    assert_eq!(mode(&file), 0o600);

    // Users can be created with the rotated ring.
    let out = create_user(
        dir.path(),
        "k@example.com",
        "admin",
        &["--secret-key-file", file_arg],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));

    let forced = run(
        {
            let mut c = cachet(dir.path());
            c.args(["key", "generate", "--force", "--secret-key-file", file_arg]);
            c
        },
        "",
    );
    assert!(forced.status.success());
    assert_eq!(std::fs::read_to_string(&file).unwrap().lines().count(), 1);
    assert_eq!(mode(&file), 0o600);
}

#[test]
fn open_key_files_and_missing_keys_are_refused() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = TempDir::new("key-bad");
    assert!(
        create_user(dir.path(), "a@example.com", "admin", &[])
            .status
            .success()
    );
    let key = dir.path().join("cachet.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = create_token(dir.path(), "a@example.com", "read");
    assert_fails(&out, "chmod 600");

    // The database exists but its key is gone: never invent a new key.
    std::fs::remove_file(&key).unwrap();
    let out = create_token(dir.path(), "a@example.com", "read");
    assert_fails(&out, "key file");
    assert!(!key.exists());

    // PostgreSQL and MySQL need a key given (checked before connecting).
    for url in [
        "postgres://cachet@127.0.0.1:1/cachet",
        "mysql://cachet@127.0.0.1:1/cachet",
    ] {
        let mut cmd = cachet(dir.path());
        cmd.args([
            "--database-url",
            url,
            "token",
            "create",
            "--email",
            "a@example.com",
        ]);
        cmd.args(["--scope", "read", "--name", "x"]);
        assert_fails(&run(cmd, ""), "secret key");
    }

    // A malformed CACHET_SECRET_KEY is refused without echoing it.
    let mut cmd = cachet(dir.path());
    cmd.env("CACHET_SECRET_KEY", "not-a-key-value-xyz");
    cmd.args(["--database-url", "sqlite://other.db", "user", "create"]);
    cmd.args(["--email", "b@example.com", "--role", "admin"]);
    let out = run(cmd, &format!("{GOOD_PASSWORD}\n"));
    assert_fails(&out, "CACHET_SECRET_KEY");
    assert!(!text(&out.stderr).contains("not-a-key-value-xyz"));
}

#[test]
fn global_options_before_or_after_the_subcommand_and_from_the_environment() {
    let dir = TempDir::new("global");
    let mut before = cachet(dir.path());
    before.args(["--database-url", "sqlite://first.db", "user", "create"]);
    before.args(["--email", "x@example.com", "--role", "admin"]);
    assert!(run(before, &format!("{GOOD_PASSWORD}\n")).status.success());
    assert!(dir.path().join("first.db").exists());
    assert!(!dir.path().join("cachet.db").exists());

    // After the subcommand: the same database, so the address is taken.
    let mut after = cachet(dir.path());
    after.args([
        "user",
        "create",
        "--email",
        "x@example.com",
        "--role",
        "admin",
    ]);
    after.args(["--database-url", "sqlite://first.db"]);
    assert_fails(&run(after, &format!("{GOOD_PASSWORD}\n")), "already exists");

    // CACHET_DATABASE_URL is a global option too.
    let mut env = cachet(dir.path());
    env.env("CACHET_DATABASE_URL", "sqlite://first.db");
    env.args([
        "token",
        "create",
        "--email",
        "x@example.com",
        "--scope",
        "read",
    ]);
    env.args(["--name", "env"]);
    let out = run(env, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!dir.path().join("cachet.db").exists());

    // Subcommand arguments are not read from the environment.
    let mut not_env = cachet(dir.path());
    not_env.env("CACHET_EMAIL", "x@example.com");
    not_env.env("CACHET_NAME", "n");
    not_env.args(["token", "create", "--scope", "read"]);
    let out = run(not_env, "");
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--email"),
        "{}",
        text(&out.stderr)
    );
}

// ---- serve ---------------------------------------------------------------------------------

fn check_demo_server(framework: &str) {
    let dir = TempDir::new(&format!("serve-{framework}"));
    let port = free_port();
    let mut server = serve(dir.path(), port, &["--demo", "--framework", framework]);
    let line = server.line().expect("a setup token line");
    let token = line.strip_prefix("setup token: ").expect(&line);
    assert!(
        token.len() >= 32 && !token.contains(char::is_whitespace),
        "{line}"
    );

    let (status, body) = server.get("/api/v1/ping");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Pong!"), "{body}");
    let (status, body) = server.get("/api/v1/components?per_page=50");
    assert_eq!(status, 200, "{body}");
    for name in ["Website", "API", "Database", "SMS Gateway"] {
        assert!(
            body.contains(&format!("\"{name}\"")),
            "{name} missing: {body}"
        );
    }
    assert!(
        !body.contains("Legacy API v0"),
        "disabled component shown: {body}"
    );
    assert_eq!(mode(&dir.path().join("cachet.key")), 0o600);

    server.signal("TERM");
    let status = server.wait_exit(Duration::from_secs(15));
    assert!(status.success(), "{status:?}");

    // Restarting with --demo does not seed twice, and prints a new setup token (no admin).
    let mut again = serve(dir.path(), port, &["--demo", "--framework", framework]);
    assert!(again.line().unwrap().starts_with("setup token: "));
    let (_, body) = again.get("/api/v1/components?per_page=50");
    assert_eq!(body.matches("\"Website\"").count(), 1, "{body}");
    again.signal("INT");
    assert!(again.wait_exit(Duration::from_secs(15)).success());
}

#[test]
fn serve_demo_over_axum() {
    check_demo_server("axum");
}

#[test]
fn serve_demo_over_actix() {
    check_demo_server("actix");
}

/// Starts a write, delivers SIGTERM while its body is still arriving, then finishes it: the
/// server answers it, exits 0, and the write is in the database after a restart.
fn in_flight_write_survives_sigterm(framework: &str) {
    let dir = TempDir::new(&format!("inflight-{framework}"));
    assert!(
        create_user(dir.path(), "ops@example.com", "admin", &[])
            .status
            .success()
    );
    let out = create_token(dir.path(), "ops@example.com", "write");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let token = text(&out.stdout).trim().to_owned();

    let port = free_port();
    let mut server = serve(dir.path(), port, &["--framework", framework]);
    assert_eq!(server.get("/api/v1/ping").0, 200);

    let body = r#"{"name":"Written during shutdown","status":1}"#;
    let (first, rest) = body.split_at(10);
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let head = format!(
        "POST /api/v1/components HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Content-Type: application/json\r\nX-Cachet-Token: {token}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(first.as_bytes()).unwrap();
    stream.flush().unwrap();
    std::thread::sleep(Duration::from_millis(500));
    server.signal("TERM");
    std::thread::sleep(Duration::from_millis(500));
    stream.write_all(rest.as_bytes()).unwrap();
    let (status, answer) = read_response(stream);
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("Written during shutdown"), "{answer}");
    let exit = server.wait_exit(Duration::from_secs(15));
    assert!(exit.success(), "{exit:?}");

    let mut server = serve(dir.path(), port, &["--framework", framework]);
    let (status, list) = server.get("/api/v1/components");
    assert_eq!(status, 200);
    assert!(list.contains("Written during shutdown"), "{list}");
    // An admin exists now: no setup token.
    server.signal("TERM");
    assert!(server.wait_exit(Duration::from_secs(15)).success());
    assert!(server.line().is_none());
}

#[test]
fn a_write_in_flight_at_sigterm_is_kept_axum() {
    in_flight_write_survives_sigterm("axum");
}

#[test]
fn a_write_in_flight_at_sigterm_is_kept_actix() {
    in_flight_write_survives_sigterm("actix");
}

#[test]
fn serve_options_come_from_the_environment() {
    let dir = TempDir::new("serve-env");
    let port = free_port();
    let log = dir.path().join("stderr.log");
    let mut cmd = cachet(dir.path());
    cmd.env("CACHET_DATABASE_URL", "sqlite://env.db")
        .env("CACHET_BIND", format!("127.0.0.1:{port}"))
        .env("CACHET_FRAMEWORK", "actix")
        .env("CACHET_PUBLIC_URL", "https://status.example.com")
        .env("RUST_LOG", "info")
        .arg("serve")
        .stderr(std::fs::File::create(&log).unwrap());
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "not listening");
        std::thread::sleep(Duration::from_millis(100));
    }
    let (status, _) = http(port, "GET", "/api/v1/ping", &[], "");
    assert_eq!(status, 200);
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(log.contains("actix-web"), "{log}");
    assert!(log.contains("https://status.example.com"), "{log}");
    assert!(dir.path().join("env.db").exists());
    assert!(!dir.path().join("cachet.db").exists());
}

#[test]
fn serve_refuses_bad_options_clearly() {
    let dir = TempDir::new("serve-bad");
    let mut cmd = cachet(dir.path());
    cmd.args([
        "serve",
        "--public-url",
        "ftp://example.com",
        "--bind",
        "127.0.0.1:0",
    ]);
    assert_fails(&run(cmd, ""), "public url");

    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let mut cmd = cachet(dir.path());
    cmd.args(["serve", "--bind", &addr]);
    assert_fails(&run(cmd, ""), "cannot listen");

    let mut cmd = cachet(dir.path());
    cmd.args(["serve", "--framework", "rocket"]);
    assert_fails(&run(cmd, ""), "rocket");
}

// ---- mail options (`serve --smtp-url ...`) ---------------------------------------------------

#[test]
fn serve_refuses_bad_mail_options_clearly() {
    let dir = TempDir::new("serve-mail");
    let serve_with = |args: &[&str], env: &[(&str, &str)]| {
        let mut cmd = cachet(dir.path());
        cmd.args(["serve", "--bind", "127.0.0.1:0"]).args(args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        run(cmd, "")
    };
    let from = ["--mail-from", "Status <status@example.com>"];

    // Not a URL at all, and an unknown scheme: the message names the option.
    for url in [
        "not a url",
        "http://mail.example.com",
        "smtp://mail.example.com?tls=yes",
    ] {
        let out = serve_with(&[&["--smtp-url", url][..], &from[..]].concat(), &[]);
        assert_fails(&out, "--smtp-url");
    }

    // Plain smtp:// to a host that is not loopback is refused, with the way out named; the
    // password in the URL never shows.
    let out = serve_with(
        &[
            &["--smtp-url", "smtp://bob:pw-S3cr3t@mail.example.com:25"][..],
            &from[..],
        ]
        .concat(),
        &[],
    );
    assert_fails(&out, "--smtp-url");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("unencrypted") && stderr.contains("smtps://"),
        "{stderr}"
    );
    assert!(!stderr.contains("pw-S3cr3t"), "{stderr}");

    // The same from the environment.
    let out = serve_with(
        &[],
        &[
            ("CACHET_SMTP_URL", "smtp://mail.example.com"),
            ("CACHET_MAIL_FROM", "status@example.com"),
        ],
    );
    assert_fails(&out, "--smtp-url");

    // A URL without --mail-from, and a bad --mail-from.
    assert_fails(
        &serve_with(&["--smtp-url", "smtps://mail.example.com"], &[]),
        "--mail-from",
    );
    assert_fails(
        &serve_with(
            &[
                "--smtp-url",
                "smtps://mail.example.com",
                "--mail-from",
                "not a mailbox",
            ],
            &[],
        ),
        "--mail-from",
    );

    // A password from the environment needs a user name in the URL.
    assert_fails(
        &serve_with(
            &[&["--smtp-url", "smtps://mail.example.com"][..], &from[..]].concat(),
            &[("CACHET_SMTP_PASSWORD", "pw-S3cr3t")],
        ),
        "CACHET_SMTP_PASSWORD",
    );

    // An unreadable DKIM key.
    let key = dir.path().join("dkim.pem");
    std::fs::write(&key, "not a key").unwrap();
    assert_fails(
        &serve_with(
            &[
                &["--smtp-url", "smtps://mail.example.com"][..],
                &from[..],
                &["--dkim-key", key.to_str().unwrap(), "--dkim-selector", "s1"][..],
            ]
            .concat(),
            &[],
        ),
        "--dkim-key",
    );

    // None of these got as far as creating the database.
    assert!(!dir.path().join("cachet.db").exists());
}

#[test]
fn serve_sends_incident_mail_through_the_smtp_url() {
    let dir = TempDir::new("serve-smtp");
    assert!(
        create_user(dir.path(), "ops@example.com", "admin", &[])
            .status
            .success()
    );
    let out = create_token(dir.path(), "ops@example.com", "admin");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let token = text(&out.stdout).trim().to_owned();
    let (smtp_port, mails) = smtp_sink();

    let port = free_port();
    let smtp_url = format!("smtp://127.0.0.1:{smtp_port}");
    let mut server = serve(
        dir.path(),
        port,
        &[
            "--smtp-url",
            &smtp_url,
            "--mail-from",
            "Status <status@status.example.com>",
        ],
    );
    assert_eq!(server.get("/api/v1/ping").0, 200);
    let json = [
        ("Content-Type", "application/json"),
        ("X-Cachet-Token", token.as_str()),
    ];
    let (status, body) = http(
        port,
        "POST",
        "/api/v1/subscribers",
        &json,
        r#"{"email":"reader@example.org","verify":true}"#,
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = http(
        port,
        "POST",
        "/api/v1/incidents",
        &json,
        r#"{"name":"Checkout is down","message":"We are looking into it.","status":1,"visible":1,"notify":true}"#,
    );
    assert_eq!(status, 200, "{body}");

    // The dispatcher that `serve` runs fans the incident out and sends it to the sink.
    let (rcpt, data) = mails
        .recv_timeout(Duration::from_secs(30))
        .expect("the incident mail reached the SMTP sink");
    assert_eq!(rcpt, ["<reader@example.org>"]);
    let head = data.split("\r\n\r\n").next().unwrap().to_owned();
    assert!(head.contains("Message-ID: <cachet."), "{head}");
    assert!(head.contains("@status.example.com>"), "{head}");
    assert!(
        head.contains("List-Unsubscribe: <http://127.0.0.1:"),
        "{head}"
    );
    assert!(
        head.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
        "{head}"
    );
    assert!(head.contains("multipart/alternative"), "{head}");
    assert!(data.contains("Content-Type: text/plain"), "{data}");
    assert!(data.contains("Content-Type: text/html"), "{data}");
    // Verified through the API: no verification mail came first, and nothing else followed.
    assert!(mails.recv_timeout(Duration::from_secs(3)).is_err());

    server.signal("TERM");
    assert!(server.wait_exit(Duration::from_secs(40)).success());
}
