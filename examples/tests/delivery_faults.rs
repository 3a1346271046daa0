#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Exactly-once mail delivery of the standalone binary under the faults an operator meets:
//! two `cachet serve` instances (distinct `--instance-name`, one PostgreSQL database, one key)
//! send an incident to some hundreds of verified subscribers through an SMTP sink in this
//! test, and mid-delivery
//!
//! - one instance gets `SIGTERM` and is started again: every subscriber gets exactly one mail;
//! - the database is stopped (`pg_ctlcluster stop -m immediate`) for some seconds and
//!   started again, or frozen (every server process `SIGSTOP`ped) and thawed: every
//!   subscriber gets exactly one mail;
//! - one instance is killed (`SIGKILL`) and started again under its name: every subscriber
//!   gets a mail, and at most the deliveries that instance had in flight (the dispatcher's
//!   `concurrency`) a second one, with the same Message-ID.
//!
//! In each, every delivery is done within 30 s of the recovery, and the database holds every
//! delivery as delivered, with no lease left. The sink takes a moment to acknowledge each
//! message (having queued it already), so deliveries are in flight when the fault hits. The
//! figures (sent, duplicates, time to drain) are printed for the run log.
//!
//! The database is a cluster of the test's own (`support::cluster`), each scenario on a fresh
//! copy of one seeded database; the machine's clusters are never touched.

mod support;

use std::collections::HashMap;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use cachet_core::notify::DispatcherConfig;
use support::cluster::{Cluster, admin_token, cachet};
use support::{Server, TempDir, free_port, http, smtp_sink_delayed};

const PASSWORD: &str = "correct horse battery staple 42";
/// Verified subscribers, all notified of one incident.
const SUBSCRIBERS: usize = 500;
/// How long the sink takes to acknowledge a message it has accepted.
const ACK_DELAY: Duration = Duration::from_millis(150);
/// Every delivery is done within this long after the fault ends.
const RECOVERY_LIMIT: Duration = Duration::from_secs(30);
/// How long the database is down in the outage scenario.
/// (Starting it again takes longer still: the start replays the log.)
const OUTAGE: Duration = Duration::from_secs(3);
/// How long the database is frozen in the frozen scenario.
const FREEZE: Duration = Duration::from_secs(5);
/// The fault hits once this share of the subscribers has a mail (a quarter).
const FAULT_AT: usize = SUBSCRIBERS / 4;
/// After the last subscriber got a mail, how long the sink still listens for a late repeat.
const QUIET: Duration = Duration::from_secs(3);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// `SIGTERM` to one instance, then started again.
    Term,
    /// The database stopped for [`OUTAGE`], then started again.
    DatabaseDown,
    /// Every database server process `SIGSTOP`ped for [`FREEZE`] (connections accept nothing
    /// and answer nothing), then let go on.
    DatabaseFrozen,
    /// `SIGKILL` to one instance, then started again under the same name.
    Kill,
}

impl Fault {
    fn label(self) -> &'static str {
        match self {
            Self::Term => "SIGTERM and restart",
            Self::DatabaseDown => "database stopped and started",
            Self::DatabaseFrozen => "database frozen and thawed",
            Self::Kill => "kill -9 and restart",
        }
    }

    fn database(self) -> &'static str {
        match self {
            Self::Term => "faults_term",
            Self::DatabaseDown => "faults_outage",
            Self::DatabaseFrozen => "faults_frozen",
            Self::Kill => "faults_kill",
        }
    }
}

/// What the sink received: the Message-IDs each recipient got, in order.
struct Mailbox {
    rx: mpsc::Receiver<(Vec<String>, String)>,
    by_recipient: HashMap<String, Vec<String>>,
    total: usize,
}

impl Mailbox {
    fn new(rx: mpsc::Receiver<(Vec<String>, String)>) -> Self {
        Self {
            rx,
            by_recipient: HashMap::new(),
            total: 0,
        }
    }

    /// Takes in what arrived so far.
    fn pump(&mut self) {
        while let Ok((rcpt, data)) = self.rx.try_recv() {
            let id = data
                .lines()
                .take_while(|l| !l.is_empty())
                .find_map(|l| l.strip_prefix("Message-ID: "))
                .unwrap_or_default()
                .to_owned();
            for r in rcpt {
                self.total += 1;
                self.by_recipient.entry(r).or_default().push(id.clone());
            }
        }
    }

    fn distinct(&self) -> usize {
        self.by_recipient.len()
    }

    fn duplicates(&self) -> usize {
        self.total - self.distinct()
    }

    /// Waits until `n` recipients have a mail; when that happened, or `None` after `within`.
    fn wait_distinct(&mut self, n: usize, within: Duration) -> Option<Instant> {
        let deadline = Instant::now() + within;
        loop {
            self.pump();
            if self.distinct() >= n {
                return Some(Instant::now());
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// The database of one scenario and how to start its instances.
struct Site<'a> {
    cluster: &'a Cluster,
    dir: &'a Path,
    database: &'static str,
    url: String,
    smtp_port: u16,
}

impl Site<'_> {
    fn serve(&self, instance: &str) -> Server {
        let port = free_port();
        let mut cmd = cachet(self.dir, &self.url);
        cmd.args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .args(["--instance-name", instance])
            .args([
                "--smtp-url",
                &format!("smtp://127.0.0.1:{}", self.smtp_port),
            ])
            .args(["--mail-from", "Status <status@status.example.com>"])
            .args(["--db-acquire-timeout-ms", "1000"]);
        Server::start(cmd, port)
    }

    fn sql(&self, sql: &str) -> String {
        self.cluster.psql(self.database, sql)
    }

    /// Deliveries this instance holds a lease on.
    fn leased_by(&self, instance: &str) -> usize {
        self.sql(&format!(
            "SELECT count(*) FROM cachet_deliveries WHERE lease_owner = '{instance}'"
        ))
        .parse()
        .unwrap()
    }
}

fn json_headers(token: &str) -> [(&'static str, &str); 2] {
    [
        ("Content-Type", "application/json"),
        ("X-Cachet-Token", token),
    ]
}

/// The seeded database every scenario copies: an admin, a token and [`SUBSCRIBERS`] verified
/// global subscribers, written through the API of a server that sends no mail.
fn seed(cluster: &Cluster, dir: &Path) -> String {
    let url = cluster.create_database("faults_seed", None);
    let token = admin_token(dir, &url, PASSWORD, "admin");
    let port = free_port();
    let mut cmd = cachet(dir, &url);
    cmd.args(["serve", "--bind", &format!("127.0.0.1:{port}")]);
    let mut server = Server::start(cmd, port);
    let started = Instant::now();
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let token = token.clone();
            std::thread::spawn(move || {
                for i in (w..SUBSCRIBERS).step_by(4) {
                    let (status, body) = http(
                        port,
                        "POST",
                        "/api/v1/subscribers",
                        &json_headers(&token),
                        &format!(r#"{{"email":"reader-{i}@example.org","verify":true}}"#),
                    );
                    assert_eq!(status, 200, "{body}");
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    println!(
        "seeded {SUBSCRIBERS} verified subscribers through the API in {:.1?}",
        started.elapsed()
    );
    server.signal("TERM");
    assert!(server.wait_exit(Duration::from_secs(40)).success());
    let pending: usize = cluster
        .psql("faults_seed", "SELECT count(*) FROM cachet_outbox_events")
        .parse()
        .unwrap();
    assert_eq!(pending, 0, "verified subscribers queue no mail");
    token
}

/// What a scenario measured.
struct Figures {
    sent: usize,
    duplicates: usize,
    drained_after_recovery: Duration,
}

fn scenario(cluster: &Cluster, dir: &Path, token: &str, fault: Fault) -> Figures {
    let concurrency = DispatcherConfig::default().concurrency;
    let (smtp_port, rx) = smtp_sink_delayed(ACK_DELAY);
    let mut mail = Mailbox::new(rx);
    let site = Site {
        cluster,
        dir,
        database: fault.database(),
        url: cluster.create_database(fault.database(), Some("faults_seed")),
        smtp_port,
    };
    let (a, b) = ("faults-a", "faults-b");
    let mut first = site.serve(a);
    let second = site.serve(b);

    let (status, body) = http(
        first.port,
        "POST",
        "/api/v1/incidents",
        &json_headers(token),
        r#"{"name":"Checkout is down","message":"We are looking into it.","status":1,"visible":1,"notify":true}"#,
    );
    assert_eq!(status, 200, "{body}");
    let published = Instant::now();
    mail.wait_distinct(FAULT_AT, Duration::from_secs(60))
        .unwrap_or_else(|| {
            panic!(
                "{}: only {} of {SUBSCRIBERS} mails before the fault",
                fault.label(),
                mail.distinct()
            )
        });
    let fault_at = published.elapsed();
    let before = mail.distinct();

    let recovered = match fault {
        Fault::Term | Fault::Kill => {
            let held = site.leased_by(a);
            let signal = if fault == Fault::Term { "TERM" } else { "KILL" };
            first.signal(signal);
            let stopping = Instant::now();
            let status = first.wait_exit(Duration::from_secs(40));
            if fault == Fault::Term {
                assert!(status.success(), "{status}");
            }
            println!(
                "{}: {a} held {held} deliveries when it got SIG{signal}; it exited in {:.1?}",
                fault.label(),
                stopping.elapsed()
            );
            assert!(held > 0, "{}: the fault hit no work in hand", fault.label());
            first = site.serve(a);
            Instant::now()
        }
        Fault::DatabaseDown | Fault::DatabaseFrozen => {
            let held = site.leased_by(a) + site.leased_by(b);
            let down = Instant::now();
            if fault == Fault::DatabaseDown {
                cluster.ctl("stop");
                std::thread::sleep(OUTAGE);
                cluster.ctl("start");
            } else {
                cluster.freeze();
                std::thread::sleep(FREEZE);
                cluster.thaw();
            }
            println!(
                "{}: the instances held {held} deliveries when the database went; it was out for {:.1?}",
                fault.label(),
                down.elapsed()
            );
            assert!(held > 0, "{}: the fault hit no work in hand", fault.label());
            Instant::now()
        }
    };

    let drained = mail.wait_distinct(SUBSCRIBERS, RECOVERY_LIMIT + Duration::from_secs(30));
    let Some(drained) = drained else {
        panic!(
            "{}: {} of {SUBSCRIBERS} subscribers got a mail in {:?} after the recovery; deliveries: {}",
            fault.label(),
            mail.distinct(),
            RECOVERY_LIMIT + Duration::from_secs(30),
            site.sql("SELECT string_agg(status || ' ' || coalesce(lease_owner, '-') || ' ' || n, ', ') FROM (SELECT status, lease_owner, count(*) AS n FROM cachet_deliveries GROUP BY 1, 2) s")
        );
    };
    let drained_after_recovery = drained.saturating_duration_since(recovered);
    std::thread::sleep(QUIET);
    mail.pump();

    let retried = site.sql("SELECT count(*) FROM cachet_delivery_attempts WHERE NOT ok");
    let figures = Figures {
        sent: mail.total,
        duplicates: mail.duplicates(),
        drained_after_recovery,
    };
    println!(
        "{}: fault after {fault_at:.1?} with {before} of {SUBSCRIBERS} sent; {} mails sent to {} subscribers, {} duplicates, {retried} failed attempts recorded; every delivery done {:.1?} after the recovery, {:.1?} after the incident",
        fault.label(),
        figures.sent,
        mail.distinct(),
        figures.duplicates,
        figures.drained_after_recovery,
        drained.saturating_duration_since(published),
    );

    // Every subscriber got the mail, and the database agrees: all delivered, no lease left.
    assert_eq!(mail.distinct(), SUBSCRIBERS, "{}", fault.label());
    let open = site.sql(
        "SELECT count(*) FROM cachet_deliveries WHERE status <> 'delivered' OR lease_owner IS NOT NULL",
    );
    assert_eq!(open, "0", "{}: deliveries left open", fault.label());
    let recorded = site.sql("SELECT count(*) FROM cachet_deliveries");
    assert_eq!(recorded, SUBSCRIBERS.to_string(), "{}", fault.label());
    match fault {
        Fault::Term | Fault::DatabaseDown | Fault::DatabaseFrozen => {
            assert_eq!(
                figures.duplicates,
                0,
                "{}: duplicates: {:?}",
                fault.label(),
                mail.by_recipient
                    .iter()
                    .filter(|(_, ids)| ids.len() > 1)
                    .collect::<Vec<_>>()
            );
            // One successful attempt recorded per delivery.
            let ok = site.sql("SELECT count(*) FROM cachet_delivery_attempts WHERE ok");
            assert_eq!(ok, SUBSCRIBERS.to_string(), "{}", fault.label());
        }
        Fault::Kill => {
            assert!(
                figures.duplicates <= concurrency,
                "{}: {} duplicates, more than the {concurrency} deliveries in flight",
                fault.label(),
                figures.duplicates
            );
            // A repeat carries the first mail's Message-ID: the receiver can drop it.
            for (who, ids) in &mail.by_recipient {
                assert!(
                    ids.iter().all(|id| !id.is_empty() && *id == ids[0]),
                    "{who}: {ids:?}"
                );
            }
        }
    }
    // No fault cost a delivery a failed attempt (and with it a retry's backoff): nothing
    // failed to send, and a render the outage interrupted waited for the database.
    assert_eq!(retried, "0", "{}: failed attempts recorded", fault.label());
    assert!(
        figures.drained_after_recovery <= RECOVERY_LIMIT,
        "{}: the last delivery was done {:?} after the recovery",
        fault.label(),
        figures.drained_after_recovery
    );
    drop(first);
    drop(second);
    figures
}

#[test]
fn mail_is_delivered_exactly_once_through_sigterm_database_outage_and_kill() {
    let Some(cluster) = Cluster::create("faults") else {
        return;
    };
    let dir = TempDir::new("delivery-faults");
    let token = seed(&cluster, dir.path());
    let concurrency = DispatcherConfig::default().concurrency;
    let mut lines = Vec::new();
    for fault in [
        Fault::Term,
        Fault::DatabaseDown,
        Fault::DatabaseFrozen,
        Fault::Kill,
    ] {
        let f = scenario(&cluster, dir.path(), &token, fault);
        lines.push(format!(
            "| {} | {SUBSCRIBERS} | {} | {} | {:.1} s |",
            fault.label(),
            f.sent,
            f.duplicates,
            f.drained_after_recovery.as_secs_f64()
        ));
    }
    println!("| fault | subscribers | mails sent | duplicates | done after recovery |");
    println!("|---|---|---|---|---|");
    for l in lines {
        println!("{l}");
    }
    println!("(duplicates allowed after kill -9: at most {concurrency}, the deliveries in flight)");
}
