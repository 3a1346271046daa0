//! What the TLS tests share: certificates made with rcgen, commands, a runtime, the
//! lifetime of a server of the test's own (a watcher that removes it after the test process,
//! a sweep of those of runs that are gone), and the TLS cause of a refused connect.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use cachet_core::store::StoreError;
use cachet_store::TlsError;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};

/// Runs a command to success; its standard output.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd.stderr(Stdio::piped()).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A port free on loopback now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A CA: its certificate in PEM and its issuer.
pub fn ca(name: &str) -> (String, Issuer<'static, KeyPair>) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), Issuer::new(params, key))
}

/// A leaf certificate and key, in PEM, for these DNS names and common name.
pub fn leaf(
    issuer: &Issuer<'static, KeyPair>,
    names: &[&str],
    common_name: &str,
) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let mut params =
        CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>()).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    let cert = params.signed_by(&key, issuer).unwrap();
    (cert.pem(), key.serialize_pem())
}

pub fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

pub fn block_on<F: Future>(fut: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(fut)
}

/// The TLS cause of a failed connect.
pub fn tls_cause(err: &StoreError) -> &TlsError {
    let StoreError::Unavailable { source } = err else {
        panic!("not Unavailable: {err:?}");
    };
    source
        .downcast_ref::<TlsError>()
        .unwrap_or_else(|| panic!("not a TLS failure: {source}"))
}

/// The certificates of a test server and the files a client needs, all in one folder.
pub struct TlsFiles {
    /// The CA that signed the server and client certificates.
    pub ca: PathBuf,
    /// Another CA, which signed nothing the server has.
    pub other_ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

impl TlsFiles {
    /// Makes a CA, another CA, a server certificate for `localhost` and a client certificate
    /// with the common name `client`, and writes them to `dir`, each file's name starting
    /// with `prefix`.
    pub fn make(dir: &Path, prefix: &str, client: &str) -> Self {
        let file = |n: &str| dir.join(format!("{prefix}{n}"));
        let files = Self {
            ca: file("ca.crt"),
            other_ca: file("other_ca.crt"),
            server_cert: file("server.crt"),
            server_key: file("server.key"),
            client_cert: file("client.crt"),
            client_key: file("client.key"),
        };
        let (ca_pem, issuer) = ca("cachet test CA");
        let (other_pem, _) = ca("cachet other CA");
        let (server_cert, server_key) = leaf(&issuer, &["localhost"], "localhost");
        let (client_cert, client_key) = leaf(&issuer, &[], client);
        write(&files.ca, &ca_pem);
        write(&files.other_ca, &other_pem);
        write(&files.server_cert, &server_cert);
        write(&files.server_key, &server_key);
        write(&files.client_cert, &client_cert);
        write(&files.client_key, &client_key);
        files
    }
}

/// Whether every `(command, argument)` runs; without them the test says `skipped` and
/// passes, except in CI (`CI` set), where it fails with `ci_message`.
pub fn server_tools(tools: &[(&str, &str)], ci_message: &str, skipped: &str) -> bool {
    let available = tools.iter().all(|(cmd, arg)| {
        Command::new(cmd)
            .arg(arg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok()
    });
    if !available {
        assert!(std::env::var_os("CI").is_none(), "{ci_message}");
        eprintln!("skipped: {skipped}");
    }
    available
}

/// Starts a watcher that runs the shell command `cleanup` once this process is gone (also
/// after a panic or a kill). Start it before the server, so the server goes even if starting
/// it fails half-way; its own process group keeps it alive through a Ctrl-C to the test run.
pub fn watch_and_clean_up(cleanup: &str) {
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {cleanup}",
        pid = std::process::id(),
    );
    // Never waited on: it outlives this process on purpose, to clean up after it.
    #[allow(clippy::zombie_processes)]
    let _watcher = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .expect("start the watcher");
}

/// Whether `name` is `prefix` and the id of a process other than this one that is gone: a
/// server of an earlier run whose watcher did not get to remove it.
pub fn of_a_run_that_is_gone(name: &str, prefix: &str) -> bool {
    let Some(pid) = name.strip_prefix(prefix) else {
        return false;
    };
    !pid.is_empty()
        && pid.bytes().all(|b| b.is_ascii_digit())
        && pid != std::process::id().to_string()
        && !Path::new("/proc").join(pid).exists()
}

/// Runs the shell command `script`, quietly and whatever it returns.
pub fn run_quietly(script: &str) {
    let _ = Command::new("sh")
        .args(["-c", script])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}
