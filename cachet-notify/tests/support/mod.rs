//! A recording HTTP/1.1 server on loopback for the notifier tests: it keeps every request as
//! it arrived (method, path, lower-cased headers, body) and gives one canned answer, so a
//! test can check the exact wire format a notifier sends and how it takes each answer.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // each test file uses a part

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One request as the server read it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// Header names lower-cased; the last of repeated headers wins.
    pub headers: HashMap<String, String>,
    pub body: String,
}

/// Every request the server got, in order.
pub type Log = Arc<Mutex<Vec<Request>>>;

/// The canned answer: status, extra header lines (each ending in `\r\n`), a JSON body (sent
/// with `Content-Type: application/json` when not empty), after a delay.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: &'static str,
    pub body: String,
    pub delay: Duration,
}

/// `status` with a JSON `body` (empty for none), at once.
pub fn answer(status: u16, body: &str) -> Answer {
    Answer {
        status,
        headers: "",
        body: body.to_owned(),
        delay: Duration::ZERO,
    }
}

/// Starts the server; answers every request with `answer`. Returns its port and the log.
pub async fn start_server(answer: Answer) -> (u16, Log) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let log: Log = Arc::default();
    let state = log.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let state = state.clone();
            let answer = answer.clone();
            tokio::spawn(async move {
                let Some(request) = read_request(&mut stream).await else {
                    return;
                };
                state.lock().unwrap().push(request);
                tokio::time::sleep(answer.delay).await;
                let content_type = if answer.body.is_empty() {
                    ""
                } else {
                    "Content-Type: application/json\r\n"
                };
                let response = format!(
                    "HTTP/1.1 {} X\r\n{}{content_type}Content-Length: {}\r\nConnection: close\r\n\r\n{}",
                    answer.status,
                    answer.headers,
                    answer.body.len(),
                    answer.body
                );
                let _ = stream.write_all(response.as_bytes()).await;
            });
        }
    });
    (port, log)
}

/// Reads one request (head, then `Content-Length` bytes of body); `None` when the client
/// closed before a whole head arrived.
async fn read_request(stream: &mut tokio::net::TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut start = lines.next().unwrap().split(' ');
    let method = start.next().unwrap().to_owned();
    let path = start.next().unwrap().to_owned();
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .get("content-length")
        .map_or(0, |v| v.parse().unwrap());
    while buf.len() < head_end + len {
        let n = stream.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8_lossy(&buf[head_end..]).to_string();
    Some(Request {
        method,
        path,
        headers,
        body,
    })
}
