#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failing test
//! Slow and greedy clients against the real `cachet` binary, under axum and actix-web alike:
//! headers sent one byte at a time (slowloris, on a new and on a kept-alive connection), idle
//! keep-alive connections, and one address opening more connections than its cap.
//!
//! The servers run with 1 s timeouts so the tests are quick; every assertion allows 10 s, so a
//! loaded machine does not fail them. They check that the server closes, not how fast.

use std::io::{ErrorKind, Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_cachet");

/// How long a server gets to close a connection it should close (the limits are 1 s).
const BOUND: Duration = Duration::from_secs(10);

/// A `cachet serve` process in its own temporary directory; killed and removed on drop.
struct Server {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Server {
    fn start(framework: &str, extra: &[&str]) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "cachet-slow-{framework}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut cmd = Command::new(BIN);
        cmd.current_dir(&dir);
        for (k, _) in std::env::vars() {
            if k.starts_with("CACHET_") {
                cmd.env_remove(k);
            }
        }
        cmd.env("RUST_LOG", "warn")
            .args(["serve", "--framework", framework, "--bind"])
            .arg(format!("127.0.0.1:{port}"))
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        let child = cmd.spawn().unwrap();
        let server = Self { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(60);
        // Each probe is a connection of its own, closed at once, so it frees its place under
        // the cap as soon as the server sees the end of it.
        while TcpStream::connect(server.addr()).is_err() {
            assert!(Instant::now() < deadline, "the server did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from((Ipv4Addr::LOCALHOST, self.port))
    }

    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(self.addr()).unwrap();
        stream.set_read_timeout(Some(BOUND)).unwrap();
        stream
    }

    fn request(&self) -> Vec<u8> {
        format!(
            "GET /api/v1/ping HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n",
            self.port
        )
        .into_bytes()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Reads one response from a kept-alive connection: its status, or `None` when the server
/// closed the connection first.
fn read_response(stream: &mut TcpStream) -> Option<u16> {
    let mut raw = Vec::new();
    let mut buf = [0_u8; 4096];
    loop {
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
            let status = head.split_whitespace().nth(1)?.parse().ok()?;
            let body = &raw[end + 4..];
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok());
            let complete = match length {
                Some(n) => body.len() >= n,
                // Chunked: the last chunk.
                None => body.ends_with(b"0\r\n\r\n"),
            };
            if complete {
                return Some(status);
            }
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return None,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
    }
}

/// Waits for the server to close `stream`, reading (and dropping) whatever it sends first,
/// such as a 408 answer. Whether it did so within `within`; anything it sent, as text.
fn closed_within(stream: &mut TcpStream, within: Duration) -> (bool, String) {
    let deadline = Instant::now() + within;
    let mut got = Vec::new();
    let mut buf = [0_u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return (false, String::from_utf8_lossy(&got).into_owned());
        }
        stream.set_read_timeout(Some(left)).unwrap();
        match stream.read(&mut buf) {
            Ok(0) => return (true, String::from_utf8_lossy(&got).into_owned()),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            // A reset is a close too.
            Err(_) => return (true, String::from_utf8_lossy(&got).into_owned()),
        }
    }
}

/// `count` connections from 127.0.0.1 that send a request head one byte per 100 ms and
/// never finish it; returns how many the server closed within `within` (all of them, or the
/// server is open to slowloris). Meanwhile `during` runs once, after the first byte went out.
fn trickle(
    server: &Server,
    count: usize,
    prefix: &[u8],
    within: Duration,
    during: impl FnOnce(),
) -> usize {
    let head = format!(
        "GET / HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nX-Slow: {}",
        server.port,
        "a".repeat(10_000)
    );
    let mut streams: Vec<Option<TcpStream>> = (0..count)
        .map(|_| {
            let mut s = server.connect();
            s.write_all(prefix).unwrap();
            s.set_nonblocking(true).unwrap();
            Some(s)
        })
        .collect();
    let start = Instant::now();
    let mut during = Some(during);
    let mut closed = 0;
    let mut buf = [0_u8; 4096];
    for byte in head.as_bytes().iter().cycle() {
        if closed == count || start.elapsed() > within {
            break;
        }
        for slot in &mut streams {
            let Some(stream) = slot else { continue };
            let gone = match stream.read(&mut buf) {
                Ok(0) => true,
                // A 408 answer is fine; the close that follows counts.
                Ok(_) => false,
                Err(e) => e.kind() != ErrorKind::WouldBlock,
            } || matches!(stream.write(std::slice::from_ref(byte)), Err(e) if e.kind() != ErrorKind::WouldBlock);
            if gone {
                *slot = None;
                closed += 1;
            }
        }
        if let Some(f) = during.take() {
            f();
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    closed
}

/// A visitor on its own address (127.0.0.2: Linux routes all of 127/8 to loopback) asks for
/// the ping and gets it.
fn a_visitor_from_another_address_is_served(server: &Server) {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket
        .bind(&SocketAddr::from((Ipv4Addr::new(127, 0, 0, 2), 0)).into())
        .unwrap();
    socket.connect(&server.addr().into()).unwrap();
    let mut stream: TcpStream = socket.into();
    stream.set_read_timeout(Some(BOUND)).unwrap();
    stream.write_all(&server.request()).unwrap();
    assert_eq!(read_response(&mut stream), Some(200));
}

fn slowloris_headers(framework: &str) {
    let server = Server::start(
        framework,
        &["--header-read-timeout", "1", "--keep-alive-timeout", "1"],
    );
    // More connections than the default cap of 64: those over it are closed at once, the rest
    // when their header-read timeout runs out, while another address is served.
    let closed = trickle(&server, 100, b"", BOUND, || {
        if cfg!(target_os = "linux") {
            a_visitor_from_another_address_is_served(&server);
        }
    });
    assert_eq!(closed, 100, "slow connections left open after {BOUND:?}");
    // The server is still fine for the next visitor on the same address.
    let mut stream = server.connect();
    stream.write_all(&server.request()).unwrap();
    assert_eq!(read_response(&mut stream), Some(200));
}

#[test]
fn slowloris_headers_are_cut_off_axum() {
    slowloris_headers("axum");
}

#[test]
fn slowloris_headers_are_cut_off_actix() {
    slowloris_headers("actix");
}

/// A client that is served once, then sends its next request's head one byte at a time on
/// the kept-alive connection (actix-web's own head timer covers only the first request).
fn slowloris_on_a_kept_alive_connection(framework: &str) {
    let server = Server::start(
        framework,
        &["--header-read-timeout", "1", "--keep-alive-timeout", "1"],
    );
    let mut stream = server.connect();
    stream.write_all(&server.request()).unwrap();
    assert_eq!(read_response(&mut stream), Some(200));
    let request = server.request();
    let start = Instant::now();
    let mut buf = [0_u8; 4096];
    let mut closed = false;
    // The whole head but its last byte, one byte per 100 ms, then nothing.
    let mut bytes = request[..request.len() - 1].iter();
    while start.elapsed() < BOUND {
        if let Some(byte) = bytes.next()
            && stream.write_all(std::slice::from_ref(byte)).is_err()
        {
            closed = true;
            break;
        }
        stream
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        match stream.read(&mut buf) {
            Ok(0) => {
                closed = true;
                break;
            }
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => {
                closed = true;
                break;
            }
        }
    }
    assert!(
        closed,
        "a trickled head on a kept-alive connection was still open after {BOUND:?}"
    );
}

#[test]
fn slowloris_headers_on_a_kept_alive_connection_are_cut_off_axum() {
    slowloris_on_a_kept_alive_connection("axum");
}

#[test]
fn slowloris_headers_on_a_kept_alive_connection_are_cut_off_actix() {
    slowloris_on_a_kept_alive_connection("actix");
}

fn idle_keepalive(framework: &str) {
    let server = Server::start(
        framework,
        &["--header-read-timeout", "1", "--keep-alive-timeout", "1"],
    );
    // Kept alive between two requests sent back to back...
    let mut stream = server.connect();
    for _ in 0..2 {
        stream.write_all(&server.request()).unwrap();
        assert_eq!(read_response(&mut stream), Some(200));
    }
    // ...and closed once idle.
    let (closed, extra) = closed_within(&mut stream, BOUND);
    assert!(
        closed,
        "an idle keep-alive connection was open after {BOUND:?}"
    );
    assert!(!extra.contains("HTTP/1.1 2"), "{extra}");
    // A connection that never sends anything is closed too.
    let mut silent = server.connect();
    let (closed, _) = closed_within(&mut silent, BOUND);
    assert!(closed, "a silent connection was open after {BOUND:?}");
}

#[test]
fn idle_keepalive_connections_are_closed_axum() {
    idle_keepalive("axum");
}

#[test]
fn idle_keepalive_connections_are_closed_actix() {
    idle_keepalive("actix");
}

fn connection_cap(framework: &str) {
    let server = Server::start(
        framework,
        &[
            "--max-connections-per-address",
            "4",
            "--header-read-timeout",
            "60",
            "--keep-alive-timeout",
            "60",
        ],
    );
    // Four kept-alive connections, each served once so the server has surely counted it (a
    // start-up probe may still hold a place for a moment: then try again).
    let served =
        |s: &mut TcpStream| s.write_all(&server.request()).is_ok() && read_response(s) == Some(200);
    let deadline = Instant::now() + BOUND;
    let mut held: Vec<TcpStream> = Vec::new();
    while held.len() < 4 {
        let mut s = server.connect();
        if served(&mut s) {
            held.push(s);
        } else {
            assert!(
                Instant::now() < deadline,
                "fewer than 4 connections were served"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    // The fifth is closed without an answer.
    let mut fifth = server.connect();
    let _ = fifth.write_all(&server.request());
    let (closed, got) = closed_within(&mut fifth, BOUND);
    assert!(closed, "a connection over the cap was kept open");
    assert!(
        got.is_empty(),
        "a connection over the cap was answered: {got}"
    );
    // The four still work.
    for s in &mut held {
        s.write_all(&server.request()).unwrap();
        assert_eq!(read_response(s), Some(200));
    }
    // Closing one frees its place (once the server has seen the close).
    drop(held.pop());
    let deadline = Instant::now() + BOUND;
    loop {
        if served(&mut server.connect()) {
            break;
        }
        assert!(Instant::now() < deadline, "the freed place was not reused");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn one_address_cannot_hold_more_than_the_cap_axum() {
    connection_cap("axum");
}

#[test]
fn one_address_cannot_hold_more_than_the_cap_actix() {
    connection_cap("actix");
}
