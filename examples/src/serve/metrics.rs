//! `--metrics-token-file` and `--metrics-path`: the Prometheus endpoint of `cachet serve`.
//!
//! The token comes from a file (or the file named by `CACHET_METRICS_TOKEN_FILE`), never
//! from the command line, where every local user could read it in the process list. It is
//! never logged; the core keeps only its SHA-256.

use std::path::Path;

use cachet_core::web::PrometheusConfig;

use crate::Error;
use crate::cli::ServeArgs;

/// The endpoint's configuration the options ask for: `None` (off) without
/// `--metrics-token-file`.
///
/// # Errors
///
/// [`Error::Io`] when the file cannot be read, [`Error::Invalid`] naming the option when the
/// token or the path is refused (the message never holds the token).
pub fn prometheus(args: &ServeArgs) -> Result<Option<PrometheusConfig>, Error> {
    let Some(file) = &args.metrics_token_file else {
        return Ok(None);
    };
    let token = read_token(file)?;
    let config = PrometheusConfig::new(&token)
        .map_err(|e| Error::Invalid(format!("--metrics-token-file {}: {e}", file.display())))?;
    let config = match &args.metrics_path {
        Some(path) => config
            .at(path)
            .map_err(|e| Error::Invalid(format!("--metrics-path: {e}")))?,
        None => config,
    };
    Ok(Some(config))
}

/// The token: the file's first line, without surrounding whitespace.
fn read_token(file: &Path) -> Result<String, Error> {
    let text = std::fs::read_to_string(file).map_err(|source| Error::Io {
        context: format!("reading the metrics token file {}", file.display()),
        source,
    })?;
    Ok(text.lines().next().unwrap_or_default().trim().to_owned())
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;
    use crate::cli::{Cli, Command};

    fn serve_args(extra: &[&str]) -> ServeArgs {
        let mut argv = vec!["cachet", "serve"];
        argv.extend_from_slice(extra);
        match Cli::try_parse_from(argv).expect("parses").command {
            Command::Serve(args) => args,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn off_without_a_token_file_and_on_with_one() {
        assert!(prometheus(&serve_args(&[])).unwrap().is_none());
        let dir = std::env::temp_dir().join(format!("cachet-metrics-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("token");
        std::fs::write(&file, "  0123456789abcdef0123456789abcdef \n").unwrap();
        let path = file.to_str().unwrap();
        let on = prometheus(&serve_args(&["--metrics-token-file", path]))
            .unwrap()
            .expect("on");
        assert!(on.accepts("0123456789abcdef0123456789abcdef"));
        assert_eq!(on.path(), "/prometheus");
        let moved = prometheus(&serve_args(&[
            "--metrics-token-file",
            path,
            "--metrics-path",
            "/ops/metrics",
        ]))
        .unwrap()
        .expect("on");
        assert_eq!(moved.path(), "/ops/metrics");
        std::fs::write(&file, "short\n").unwrap();
        let err = prometheus(&serve_args(&["--metrics-token-file", path]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("at least 32"), "{err}");
        assert!(!err.contains("short"), "the token is never shown: {err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
