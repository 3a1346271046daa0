//! A PostgreSQL cluster of a test's own, and the `cachet` binary pointed at it.
//!
//! The cluster is created with `pg_createcluster` on a free port and dropped with its guard,
//! also when the test fails (thawed first, so a failure while frozen cannot leave processes
//! stopped or the cluster behind). The machine's own clusters are never touched. Without
//! `pg_createcluster` (no PostgreSQL server packages) a test says so and passes, except in CI
//! (`CI=true`), where the missing cluster fails the test.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::free_port;

/// The `cachet` binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_cachet");
/// A fixed key: every process of a test must share one on PostgreSQL.
pub const KEY: &str = "AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=";

/// A PostgreSQL cluster of the test's own, dropped with the guard.
pub struct Cluster {
    version: String,
    name: String,
    port: u16,
}

impl Cluster {
    /// Creates and starts a cluster named after `tag` and this process. `None` when
    /// `pg_createcluster` is not installed, outside CI; in CI that panics instead.
    pub fn create(tag: &str) -> Option<Self> {
        if Command::new("pg_createcluster")
            .arg("--help")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_err()
        {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "pg_createcluster is not installed: CI must run the PostgreSQL fault tests \
                 (install the PostgreSQL server packages)"
            );
            eprintln!(
                "{tag}: skipped: pg_createcluster is not installed (PostgreSQL server packages)"
            );
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
            name: format!("cachet_{tag}_{}", std::process::id()),
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

    /// The URL of the cluster's `postgres` database.
    pub fn url(&self) -> String {
        self.database_url("postgres")
    }

    /// The URL of one of the cluster's databases.
    pub fn database_url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates an empty database, or a copy of `template` (which nothing may be connected
    /// to); returns its URL.
    pub fn create_database(&self, name: &str, template: Option<&str>) -> String {
        let mut sql = format!("CREATE DATABASE {name}");
        if let Some(t) = template {
            sql.push_str(&format!(" TEMPLATE {t}"));
        }
        self.psql("postgres", &sql);
        self.database_url(name)
    }

    /// Runs one SQL statement with `psql` in `database`; its unaligned, tuples-only output.
    pub fn psql(&self, database: &str, sql: &str) -> String {
        let out = Command::new("psql")
            .args(["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
            .args(["-d", &self.database_url(database), "-c", sql])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// `pg_ctlcluster` `start` or `stop` (the latter `-m immediate`, as a crash would).
    pub fn ctl(&self, action: &str) {
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
        // A child may have exited since it was listed: that is no failure.
        let _ = Command::new("kill")
            .arg(signal)
            .args(&pids)
            .stderr(Stdio::null())
            .status();
    }

    /// Stops every server process (`SIGSTOP`): connections accept nothing and answer nothing.
    pub fn freeze(&self) {
        self.signal("-STOP");
    }

    /// Lets the frozen server processes go on.
    pub fn thaw(&self) {
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

/// The `cachet` binary with none of the caller's CACHET_ variables, on the database `url`.
pub fn cachet(dir: &Path, url: &str) -> Command {
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

/// Runs a command to its end with `input` on standard input; its trimmed standard output.
pub fn run(mut cmd: Command, input: &str) -> String {
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

/// Creates an admin with `password` and an API token of `scope` for them; the token.
pub fn admin_token(dir: &Path, url: &str, password: &str, scope: &str) -> String {
    let mut cmd = cachet(dir, url);
    cmd.args([
        "user",
        "create",
        "--email",
        "admin@example.com",
        "--role",
        "admin",
    ]);
    run(cmd, &format!("{password}\n"));
    let mut cmd = cachet(dir, url);
    cmd.args([
        "token",
        "create",
        "--email",
        "admin@example.com",
        "--scope",
        scope,
        "--name",
        "tests",
    ]);
    run(cmd, "")
}
