#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The binary's startup error for a database TLS failure names TLS and the cause, and masks
//! the password of the URL. (The TLS connections themselves are proven against a real
//! PostgreSQL cluster in `cachet-store/tests/tls_postgres.rs`.)

mod support;

use std::io::{Read as _, Write as _};
use std::net::TcpListener;
use std::process::{Command, Stdio};

use support::{TempDir, text};

const BIN: &str = env!("CARGO_BIN_EXE_cachet");
/// A fixed key: the binary refuses PostgreSQL without one.
const KEY: &str = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";
const PASSWORD: &str = "s3cret-db-pass";

#[test]
fn startup_names_a_server_without_tls_and_hides_the_password() {
    // What a PostgreSQL server without TLS does: it answers the SSLRequest with `N`.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = [0u8; 8];
        stream.read_exact(&mut request).unwrap();
        stream.write_all(b"N").unwrap();
    });
    let dir = TempDir::new("db-tls");
    let mut cmd = Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("CACHET_") {
            cmd.env_remove(k);
        }
    }
    let url = format!("postgres://cachet:{PASSWORD}@127.0.0.1:{port}/cachet?sslmode=require");
    let out = cmd
        .current_dir(dir.path())
        .env("RUST_LOG", "warn")
        .env("CACHET_SECRET_KEY", KEY)
        .env("CACHET_DATABASE_URL", &url)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    server.join().unwrap();
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "started without TLS: {stderr}");
    assert!(
        stderr.contains("TLS: the database server does not support TLS"),
        "{stderr}"
    );
    assert!(stderr.contains("cachet:***@127.0.0.1"), "{stderr}");
    assert!(!stderr.contains(PASSWORD), "password leaked: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn startup_names_an_unreadable_ca_file_and_hides_the_password() {
    let dir = TempDir::new("db-tls-ca");
    let missing = dir.path().join("no-such-ca.pem");
    let mut cmd = Command::new(BIN);
    for (k, _) in std::env::vars() {
        if k.starts_with("CACHET_") {
            cmd.env_remove(k);
        }
    }
    // Port 9 (discard) is never dialled: the file is checked first.
    let url = format!(
        "postgres://cachet:{PASSWORD}@127.0.0.1:9/cachet?sslmode=verify-full&sslrootcert={}",
        missing.display()
    );
    let out = cmd
        .current_dir(dir.path())
        .env("RUST_LOG", "warn")
        .env("CACHET_SECRET_KEY", KEY)
        .env("CACHET_DATABASE_URL", &url)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert!(!out.status.success(), "started: {stderr}");
    assert!(
        stderr.contains(&format!(
            "TLS: cannot read the file {} given as sslrootcert=",
            missing.display()
        )),
        "{stderr}"
    );
    assert!(!stderr.contains(PASSWORD), "password leaked: {stderr}");
}
