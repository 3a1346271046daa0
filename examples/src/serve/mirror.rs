//! `--mirror-url`: the failover mirror of `cachet serve` (`cachet_core::web::mirror`).
//!
//! The URL names the store (`s3://bucket/prefix`, `file:///srv/status-mirror`); object_store
//! reads the rest of the S3 configuration (credentials, region, endpoint, `AWS_ALLOW_HTTP`)
//! from the `AWS_*` environment variables, as the AWS tools do. Credentials never come from
//! the command line, where every local user could read them in the process list.

use std::sync::Arc;

use cachet_core::web::mirror::{Layout, Mirror, MirrorConfig};

use crate::Error;
use crate::cli::ServeArgs;

/// The mirror the options ask for: `None` (off) without `--mirror-url`.
///
/// # Errors
///
/// [`Error::Invalid`] naming the option when the URL is malformed or names a store this
/// binary does not support (the message holds no credentials: the URL carries none).
pub fn from_args(args: &ServeArgs) -> Result<Option<Arc<Mirror>>, Error> {
    let Some(raw) = &args.mirror_url else {
        return Ok(None);
    };
    let url = url::Url::parse(raw).map_err(|e| Error::Invalid(format!("--mirror-url: {e}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Invalid(
            "--mirror-url: put credentials in the AWS_* environment variables, not in the URL"
                .to_owned(),
        ));
    }
    if url.scheme() != "file" {
        // The S3 client's TLS runs on rustls with the ring provider, the one provider in
        // this process (as for webhooks and mail); installing it twice is harmless.
        let _ = rustls::crypto::ring::default_provider().install_default();
    }
    let (store, prefix) = object_store::parse_url_opts(&url, store_options(std::env::vars()))
        .map_err(|e| Error::Invalid(format!("--mirror-url {url}: {e}")))?;
    tracing::info!(
        url = %cachet_core::log::Escaped(url.as_str()),
        "publishing the public page to the mirror after every burst of writes"
    );
    let mut config = MirrorConfig::new(Arc::from(store)).with_prefix(prefix);
    if url.scheme() == "file" {
        // A file cannot also be a directory: `components/3` goes to `components/3/index.html`.
        config.layout = Layout::Directories;
    }
    Ok(Some(Mirror::new(config)))
}

/// The store's configuration from the environment: the `AWS_*` variables, by the lower-case
/// names object_store's builders read (`AWS_ENDPOINT` is `aws_endpoint`).
fn store_options(
    vars: impl Iterator<Item = (String, String)>,
) -> impl Iterator<Item = (String, String)> {
    vars.filter(|(k, _)| k.starts_with("AWS_"))
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_aws_variables_reach_the_store() {
        let vars = [
            ("AWS_ENDPOINT", "http://127.0.0.1:9000"),
            ("AWS_ALLOW_HTTP", "true"),
            ("CACHET_SECRET_KEY", "1 secret"),
            ("HOME", "/root"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        let got: Vec<(String, String)> = store_options(vars.into_iter()).collect();
        assert_eq!(
            got,
            [
                (
                    "aws_endpoint".to_owned(),
                    "http://127.0.0.1:9000".to_owned()
                ),
                ("aws_allow_http".to_owned(), "true".to_owned()),
            ]
        );
    }
}
