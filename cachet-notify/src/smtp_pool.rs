//! The SMTP connection pool: lettre's SMTP session (EHLO, STARTTLS, AUTH, MAIL/RCPT/DATA) on
//! sockets this module opens, with `TCP_NODELAY` set.
//!
//! lettre's own transport opens its sockets without `TCP_NODELAY`, and writes a message's body
//! and the closing `<CRLF>.<CRLF>` as two writes. With Nagle's algorithm on, the 5-byte dot
//! waits in the kernel until the server acknowledges the body, and the server, waiting for
//! the dot before it replies, delays that acknowledgement (40 ms on Linux): every mail stalled
//! about 45 ms per connection. Opening the socket here, with `TCP_NODELAY`, sends the dot at
//! once; lettre still speaks SMTP on it through [`AsyncSmtpConnection::connect_with_transport`].
//!
//! Under that session sits [`WriteBehind`]: what lettre writes leaves when it next reads, so
//! the body and the dot go out as one segment, and a mail costs four writes (MAIL, RCPT, DATA,
//! the message), as it does for postfix's own client.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpSocket, TcpStream};

use crate::email::SmtpTls;

/// How long a pooled connection may sit unused before it is closed instead of reused (as
/// lettre's pool: servers drop idle sessions after a minute or more).
const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a pooled connection may sit unused before it is asked (`NOOP`) whether it is
/// still open. A session given back moments ago is reused as it is: servers drop idle
/// sessions after minutes (RFC 5321 asks for at least five), and under a steady flow of mail
/// the `NOOP` was one round trip in five of every message.
const TEST_AFTER_IDLE: Duration = Duration::from_secs(2);

/// Why a send through the pool failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PoolError {
    /// The SMTP session failed: a reply, TLS, authentication or the connection under it.
    #[error("SMTP session failed")]
    Smtp(#[from] lettre::transport::smtp::Error),
    /// No address of the server accepted a TCP connection (or the name did not resolve).
    #[error("could not connect to the SMTP server")]
    Connect(#[source] io::Error),
    /// The server name is not usable for TLS certificate checks.
    #[error("the SMTP host name is not valid for TLS")]
    TlsName,
    /// Implicit TLS (`smtps://`) could not be established.
    #[error("SMTP TLS negotiation failed")]
    Tls(#[source] io::Error),
    /// `tls=required` and the server offers no STARTTLS.
    #[error("the SMTP server offers no STARTTLS")]
    NoStartTls,
    /// Connecting or the transaction took longer than the configured timeout.
    #[error("SMTP timed out")]
    Timeout,
}

/// Where and how to connect.
pub(crate) struct Endpoint {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) tls: SmtpTls,
    pub(crate) hello: ClientId,
    pub(crate) credentials: Option<Credentials>,
    pub(crate) timeout: Duration,
}

/// An idle, pooled session.
struct Idle {
    conn: AsyncSmtpConnection,
    since: Instant,
}

/// A pool of SMTP sessions to one server. Up to `max_idle` sessions are kept between sends;
/// a reused one is checked with `NOOP` first (as lettre's pool does).
pub(crate) struct Pool {
    endpoint: Endpoint,
    max_idle: usize,
    idle: Mutex<Vec<Idle>>,
    /// The rustls configuration for `smtps://` (built once).
    implicit_tls: Option<tokio_rustls::TlsConnector>,
}

impl fmt::Debug for Pool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("host", &self.endpoint.host)
            .field("port", &self.endpoint.port)
            .field("max_idle", &self.max_idle)
            .finish_non_exhaustive()
    }
}

impl Pool {
    /// A pool for `endpoint`.
    ///
    /// # Errors
    ///
    /// rustls refused the TLS settings for `smtps://`.
    pub(crate) fn new(endpoint: Endpoint, max_idle: usize) -> Result<Self, rustls::Error> {
        let implicit_tls = if endpoint.tls == SmtpTls::Implicit {
            let roots = rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            };
            let config = rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
            Some(tokio_rustls::TlsConnector::from(Arc::new(config)))
        } else {
            None
        };
        Ok(Self {
            endpoint,
            max_idle: max_idle.max(1),
            idle: Mutex::new(Vec::new()),
            implicit_tls,
        })
    }

    /// Sends one message: a pooled session (or a new one), MAIL, RCPT, DATA; the session goes
    /// back to the pool when the server accepted the message.
    pub(crate) async fn send(&self, envelope: &Envelope, raw: &[u8]) -> Result<(), PoolError> {
        let timeout = self.endpoint.timeout;
        let mut conn = tokio::time::timeout(timeout, self.checkout())
            .await
            .map_err(|_| PoolError::Timeout)??;
        // A timeout drops the session mid-transaction: it is never reused.
        tokio::time::timeout(timeout, conn.send(envelope, raw))
            .await
            .map_err(|_| PoolError::Timeout)??;
        // lettre aborts the session on any failed command, so only healthy sessions get here.
        self.give_back(conn).await;
        Ok(())
    }

    async fn checkout(&self) -> Result<AsyncSmtpConnection, PoolError> {
        loop {
            let idle = self
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop();
            let Some(Idle { mut conn, since }) = idle else {
                return self.connect().await;
            };
            let idle = since.elapsed();
            if idle > IDLE_TIMEOUT || (idle > TEST_AFTER_IDLE && !conn.test_connected().await) {
                conn.abort().await;
                continue;
            }
            return Ok(conn);
        }
    }

    async fn give_back(&self, conn: AsyncSmtpConnection) {
        if conn.has_broken() {
            return;
        }
        let surplus = {
            let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
            if idle.len() < self.max_idle {
                idle.push(Idle {
                    conn,
                    since: Instant::now(),
                });
                None
            } else {
                Some(conn)
            }
        };
        if let Some(mut conn) = surplus {
            let _ = conn.quit().await;
        }
    }

    /// A new session: TCP with `TCP_NODELAY`, TLS as the URL asked for it, EHLO, AUTH.
    async fn connect(&self) -> Result<AsyncSmtpConnection, PoolError> {
        let e = &self.endpoint;
        let tcp = open_tcp(&e.host, e.port)
            .await
            .map_err(PoolError::Connect)?;
        let mut conn = match &self.implicit_tls {
            Some(connector) => {
                let name = rustls::pki_types::ServerName::try_from(bare_host(&e.host).to_owned())
                    .map_err(|_| PoolError::TlsName)?;
                let tls = connector.connect(name, tcp).await.map_err(PoolError::Tls)?;
                AsyncSmtpConnection::connect_with_transport(
                    Box::new(WriteBehind::new(TlsStream(tls))),
                    &e.hello,
                )
                .await?
            }
            None => {
                AsyncSmtpConnection::connect_with_transport(
                    Box::new(WriteBehind::new(tcp)),
                    &e.hello,
                )
                .await?
            }
        };
        match e.tls {
            SmtpTls::StartTlsRequired | SmtpTls::StartTlsOpportunistic if conn.can_starttls() => {
                let params = TlsParameters::new(bare_host(&e.host).to_owned())?;
                conn.starttls(params, &e.hello).await?;
            }
            SmtpTls::StartTlsRequired => {
                conn.abort().await;
                return Err(PoolError::NoStartTls);
            }
            _ => {}
        }
        if let Some(credentials) = &e.credentials
            && let Err(err) = conn.auth(DEFAULT_MECHANISMS, credentials).await
        {
            conn.abort().await;
            return Err(err.into());
        }
        Ok(conn)
    }
}

/// `host` without the brackets of an IPv6 literal.
fn bare_host(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// Connects to the first address of `host:port` that accepts, with `TCP_NODELAY` set: each
/// SMTP command and the message's closing dot leave at once instead of waiting for the
/// server's delayed acknowledgement of the previous write.
pub(crate) async fn open_tcp(host: &str, port: u16) -> io::Result<TcpStream> {
    let mut last = None;
    for addr in tokio::net::lookup_host((bare_host(host), port)).await? {
        let socket = match addr {
            SocketAddr::V4(_) => TcpSocket::new_v4()?,
            SocketAddr::V6(_) => TcpSocket::new_v6()?,
        };
        socket.set_nodelay(true)?;
        match socket.connect(addr).await {
            Ok(stream) => {
                stream.set_nodelay(true)?;
                return Ok(stream);
            }
            Err(err) => last = Some(err),
        }
    }
    Err(last.unwrap_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotFound,
            "the SMTP host resolved to no address",
        )
    }))
}

/// What [`WriteBehind`] keeps at most before it writes without waiting for a read.
const WRITE_BEHIND_LIMIT: usize = 64 * 1024;

/// A stream whose writes (and flushes) leave when the session next reads, in one write.
///
/// SMTP without pipelining is strictly write-then-read: lettre flushes each command and then
/// waits for its reply, so holding the bytes until that read sends nothing later than the
/// server needs it. What it changes is the message: lettre writes the body and the closing
/// `<CRLF>.<CRLF>` separately, and here they leave together. Shutting down writes what is
/// held first; more than [`WRITE_BEHIND_LIMIT`] held is written at once.
#[derive(Debug)]
pub(crate) struct WriteBehind<S> {
    inner: S,
    held: Vec<u8>,
}

impl<S: AsyncWrite + Unpin> WriteBehind<S> {
    pub(crate) fn new(inner: S) -> Self {
        Self {
            inner,
            held: Vec::new(),
        }
    }

    /// Writes and flushes everything held.
    fn poll_write_held(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.held.is_empty() {
            let n = std::task::ready!(Pin::new(&mut self.inner).poll_write(cx, &self.held))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.held.drain(..n);
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for WriteBehind<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        std::task::ready!(self.poll_write_held(cx))?;
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for WriteBehind<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.held.len() >= WRITE_BEHIND_LIMIT {
            std::task::ready!(self.poll_write_held(cx))?;
        }
        self.held.extend_from_slice(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Deferred to the next read (see the type's docs).
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        std::task::ready!(self.poll_write_held(cx))?;
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl<S: AsyncTokioStream> AsyncTokioStream for WriteBehind<S> {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.inner.peer_addr()
    }
}

/// A `smtps://` stream, handed to lettre as its transport.
struct TlsStream(tokio_rustls::client::TlsStream<TcpStream>);

impl fmt::Debug for TlsStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TlsStream")
    }
}

impl AsyncRead for TlsStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for TlsStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

impl AsyncTokioStream for TlsStream {
    fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.0.get_ref().0.peer_addr()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SMTP socket must have `TCP_NODELAY`: without it every mail waits for the server's
    /// delayed ACK of the body before the closing dot leaves (about 45 ms per mail).
    #[tokio::test]
    async fn smtp_sockets_are_opened_with_nodelay() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let accept = tokio::spawn(async move { listener.accept().await.map(|(s, _)| s) });
        let stream = open_tcp("127.0.0.1", port).await.unwrap();
        assert!(stream.nodelay().unwrap(), "TCP_NODELAY is not set");
        accept.await.unwrap().unwrap();

        let v6 = tokio::net::TcpListener::bind("[::1]:0").await;
        if let Ok(listener) = v6 {
            let port = listener.local_addr().unwrap().port();
            let accept = tokio::spawn(async move { listener.accept().await.map(|(s, _)| s) });
            let stream = open_tcp("[::1]", port).await.unwrap();
            assert!(
                stream.nodelay().unwrap(),
                "TCP_NODELAY is not set over IPv6"
            );
            accept.await.unwrap().unwrap();
        }
    }

    /// Writes wait for the next read and then leave in one write; shutting down writes
    /// what is held first.
    #[tokio::test]
    async fn held_writes_leave_together_at_the_next_read() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (client, mut server) = tokio::io::duplex(1024);
        let mut s = WriteBehind::new(client);
        s.write_all(b"body\r\n").await.unwrap();
        s.flush().await.unwrap();
        s.write_all(b".\r\n").await.unwrap();
        s.flush().await.unwrap();
        let mut nothing = [0u8; 16];
        assert!(
            tokio::time::timeout(Duration::from_millis(50), server.read(&mut nothing))
                .await
                .is_err(),
            "written before the session read"
        );
        let reply = tokio::spawn(async move {
            let mut got = vec![0u8; 9];
            server.read_exact(&mut got).await.unwrap();
            server.write_all(b"250 ok\r\n").await.unwrap();
            (got, server)
        });
        let mut answer = [0u8; 8];
        s.read_exact(&mut answer).await.unwrap();
        assert_eq!(&answer, b"250 ok\r\n");
        let (got, mut server) = reply.await.unwrap();
        assert_eq!(got, b"body\r\n.\r\n");
        s.write_all(b"QUIT\r\n").await.unwrap();
        s.shutdown().await.unwrap();
        let mut rest = Vec::new();
        server.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"QUIT\r\n");
    }

    #[test]
    fn bracketed_ipv6_hosts_are_unwrapped() {
        assert_eq!(bare_host("[::1]"), "::1");
        assert_eq!(bare_host("mail.example.com"), "mail.example.com");
    }
}
