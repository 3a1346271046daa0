//! TLS failures of PostgreSQL and MySQL connections, named for the operator.
//!
//! The drivers report a failed handshake as an I/O error wrapping the TLS library's error
//! (`invalid peer certificate: UnknownIssuer`), which does not say that TLS is the cause nor
//! what to change. [`TlsError`] names both; the driver's error stays its source.

use rustls::{AlertDescription, CertificateError};

/// Why a TLS connection to the database failed. A connect error caused by TLS is
/// [`StoreError::Unavailable`](cachet_core::store::StoreError::Unavailable) with this as its
/// source (downcast it to tell the cases apart); the driver's error is this error's source.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// The server's certificate does not chain to a trusted CA: the CA file
    /// (`sslrootcert=` / `ssl-ca=`) is missing or names another CA.
    #[error(
        "TLS: the database server's certificate is not signed by a trusted CA (unknown issuer); \
         give the CA's file with sslrootcert= (PostgreSQL) or ssl-ca= (MySQL)"
    )]
    UnknownIssuer {
        /// The driver's error.
        source: sqlx::Error,
    },
    /// The certificate is valid but names another host than the URL's (checked by
    /// `sslmode=verify-full` and `ssl-mode=VERIFY_IDENTITY`).
    #[error(
        "TLS: the database server's certificate does not name the host in the URL \
         (host name mismatch); connect by a name the certificate carries"
    )]
    HostNameMismatch {
        /// The driver's error.
        source: sqlx::Error,
    },
    /// The certificate has expired or is not valid yet.
    #[error("TLS: the database server's certificate has expired or is not valid yet")]
    Expired {
        /// The driver's error.
        source: sqlx::Error,
    },
    /// The URL requires TLS (`sslmode=require` or stronger, `ssl-mode=REQUIRED` or
    /// stronger) but the server does not offer it.
    #[error(
        "TLS: the database server does not support TLS, and the URL's sslmode / ssl-mode \
         requires it"
    )]
    NotSupported {
        /// The driver's error.
        source: sqlx::Error,
    },
    /// The server refused the client certificate (`sslcert=` / `ssl-cert=`), or required
    /// one and got none.
    #[error("TLS: the database server refused the client certificate, or requires one")]
    ClientCertificateRefused {
        /// The driver's error.
        source: sqlx::Error,
    },
    /// A CA, certificate or key file the URL names cannot be read (checked before
    /// connecting, since the driver would report only "No such file or directory").
    #[error("TLS: cannot read the file {path} given as {parameter}=")]
    UnreadableFile {
        /// The URL parameter (`sslrootcert`, `ssl-ca`, `sslcert`, ...).
        parameter: String,
        /// The path as given.
        path: String,
        /// Why it cannot be read.
        source: std::io::Error,
    },
    /// Any other TLS failure (a file that holds no certificate or key, a broken handshake).
    #[error("TLS: the handshake with the database server failed")]
    Handshake {
        /// The driver's error.
        source: sqlx::Error,
    },
}

/// The URL parameters that name files the TLS handshake reads (PostgreSQL's and MySQL's
/// spellings, as sqlx accepts them).
const FILE_PARAMETERS: &[&str] = &[
    "sslrootcert",
    "ssl-root-cert",
    "ssl-ca",
    "sslca",
    "sslcert",
    "ssl-cert",
    "sslkey",
    "ssl-key",
];

/// Checks that every CA, certificate and key file a database URL names can be read.
pub(crate) fn check_files(url: &str) -> Result<(), TlsError> {
    let Some((_, query)) = url.split_once('?') else {
        return Ok(());
    };
    let query = query.split('#').next().unwrap_or_default();
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode(key);
        if !FILE_PARAMETERS.contains(&key.as_str()) {
            continue;
        }
        let path = decode(value);
        if let Err(source) = std::fs::File::open(&path) {
            return Err(TlsError::UnreadableFile {
                parameter: key,
                path,
                source,
            });
        }
    }
    Ok(())
}

/// Decodes one query component as sqlx reads it (`application/x-www-form-urlencoded`:
/// `%XX` escapes, `+` for a space).
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let escaped = (b == b'%')
            .then(|| bytes.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (b, escaped) {
            (_, Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', None) => {
                out.push(b' ');
                i += 1;
            }
            (other, None) => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What kind of TLS failure a driver error is, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    UnknownIssuer,
    HostNameMismatch,
    Expired,
    NotSupported,
    ClientCertificateRefused,
    Handshake,
}

impl TlsError {
    /// The driver error as a [`TlsError`] when TLS caused it, else the driver error back.
    pub(crate) fn classify(err: sqlx::Error) -> Result<Self, sqlx::Error> {
        let Some(kind) = kind(&err) else {
            return Err(err);
        };
        let source = err;
        Ok(match kind {
            Kind::UnknownIssuer => Self::UnknownIssuer { source },
            Kind::HostNameMismatch => Self::HostNameMismatch { source },
            Kind::Expired => Self::Expired { source },
            Kind::NotSupported => Self::NotSupported { source },
            Kind::ClientCertificateRefused => Self::ClientCertificateRefused { source },
            Kind::Handshake => Self::Handshake { source },
        })
    }
}

/// The message sqlx (PostgreSQL and MySQL alike) gives when TLS is required but the server
/// declines it.
const NOT_SUPPORTED: &str = "server does not support TLS";

fn kind(err: &sqlx::Error) -> Option<Kind> {
    match err {
        sqlx::Error::Tls(inner) => Some(match inner.downcast_ref::<rustls::Error>() {
            Some(tls) => rustls_kind(tls),
            None if inner.to_string() == NOT_SUPPORTED => Kind::NotSupported,
            None => Kind::Handshake,
        }),
        sqlx::Error::Io(io) => io
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            .map(rustls_kind),
        _ => None,
    }
}

fn rustls_kind(err: &rustls::Error) -> Kind {
    match err {
        rustls::Error::InvalidCertificate(cert) => match cert {
            CertificateError::UnknownIssuer => Kind::UnknownIssuer,
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
                Kind::HostNameMismatch
            }
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => Kind::Expired,
            _ => Kind::Handshake,
        },
        rustls::Error::AlertReceived(
            AlertDescription::BadCertificate
            | AlertDescription::UnknownCA
            | AlertDescription::CertificateRequired
            | AlertDescription::CertificateUnknown
            | AlertDescription::CertificateExpired
            | AlertDescription::CertificateRevoked
            | AlertDescription::UnsupportedCertificate,
        ) => Kind::ClientCertificateRefused,
        _ => Kind::Handshake,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io(err: rustls::Error) -> sqlx::Error {
        sqlx::Error::Io(std::io::Error::new(std::io::ErrorKind::InvalidData, err))
    }

    #[test]
    fn handshake_failures_are_named_by_their_cause() {
        let cases = [
            (
                io(rustls::Error::InvalidCertificate(
                    CertificateError::UnknownIssuer,
                )),
                Kind::UnknownIssuer,
            ),
            (
                io(rustls::Error::InvalidCertificate(
                    CertificateError::NotValidForName,
                )),
                Kind::HostNameMismatch,
            ),
            (
                io(rustls::Error::InvalidCertificate(CertificateError::Expired)),
                Kind::Expired,
            ),
            (
                io(rustls::Error::AlertReceived(AlertDescription::UnknownCA)),
                Kind::ClientCertificateRefused,
            ),
            (io(rustls::Error::DecryptError), Kind::Handshake),
            (sqlx::Error::Tls(NOT_SUPPORTED.into()), Kind::NotSupported),
            (
                sqlx::Error::Tls(rustls::Error::NoCertificatesPresented.into()),
                Kind::Handshake,
            ),
        ];
        for (err, want) in cases {
            assert_eq!(kind(&err), Some(want), "{err}");
        }
    }

    #[test]
    fn an_unreadable_certificate_file_is_named_before_connecting() {
        let here = env!("CARGO_MANIFEST_DIR");
        let url = format!("postgres://u@h/d?sslmode=verify-full&sslrootcert={here}/Cargo.toml");
        assert!(check_files(&url).is_ok());
        assert!(check_files("postgres://u:p@h/d").is_ok());
        let url = format!(
            "mysql://u@h/d?ssl-mode=VERIFY_CA&ssl-ca={here}/Cargo.toml&ssl-key=/no%20such+key.pem"
        );
        let err = check_files(&url).unwrap_err();
        let TlsError::UnreadableFile {
            parameter, path, ..
        } = &err
        else {
            panic!("{err:?}");
        };
        assert_eq!(
            (parameter.as_str(), path.as_str()),
            ("ssl-key", "/no such key.pem")
        );
        assert!(err.to_string().starts_with("TLS: cannot read"), "{err}");
        assert_eq!(decode("%2Fa%zz%4"), "/a%zz%4");
    }

    #[test]
    fn other_failures_are_not_called_tls() {
        let refused = sqlx::Error::Io(std::io::ErrorKind::ConnectionRefused.into());
        assert_eq!(kind(&refused), None);
        assert_eq!(kind(&sqlx::Error::PoolTimedOut), None);
        assert!(TlsError::classify(sqlx::Error::PoolTimedOut).is_err());
    }

    #[test]
    fn the_message_names_tls_and_keeps_the_driver_error_as_source() {
        let err = TlsError::classify(io(rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer,
        )))
        .unwrap();
        assert!(err.to_string().starts_with("TLS: "), "{err}");
        assert!(err.to_string().contains("unknown issuer"), "{err}");
        let source = std::error::Error::source(&err).unwrap().to_string();
        assert!(source.contains("UnknownIssuer"), "{source}");
    }
}
