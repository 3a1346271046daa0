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
    /// Any other TLS failure (an unreadable CA or key file, a broken handshake).
    #[error("TLS: the handshake with the database server failed")]
    Handshake {
        /// The driver's error.
        source: sqlx::Error,
    },
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
