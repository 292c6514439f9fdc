//! The TLS client configuration: which servers are trusted (the bundled web PKI roots, the
//! system's store and `--ca-cert` files, or none with `--insecure`), the client certificate
//! for mutual TLS, and the HTTP versions offered through ALPN.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{anyhow, bail, Context};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::plan::HttpVersion;

/// What the TLS client trusts and presents.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TlsOptions {
    /// `--insecure`: accept any server certificate.
    pub insecure: bool,
    /// `--ca-cert`: PEM files of extra trusted roots.
    pub ca_certs: Vec<PathBuf>,
    /// `--client-cert` and `--client-key`: PEM files for mutual TLS.
    pub client_identity: Option<(PathBuf, PathBuf)>,
}

/// The client configuration for `options`, offering `version` through ALPN.
pub fn client_config(options: &TlsOptions, version: HttpVersion) -> anyhow::Result<ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .context("the TLS protocol versions")?
        .with_root_certificates(trusted_roots(&options.ca_certs)?);
    let mut config = match &options.client_identity {
        Some((cert, key)) => {
            let (chain, key) = client_identity(cert, key)?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|err| anyhow!("--client-cert and --client-key do not fit: {err}"))?
        }
        None => builder.with_no_client_auth(),
    };
    if options.insecure {
        config
            .dangerous()
            .set_certificate_verifier(Arc::new(AnyCertificate(provider)));
    }
    config.alpn_protocols = match version {
        HttpVersion::Auto => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
        HttpVersion::Http1 => vec![b"http/1.1".to_vec()],
        HttpVersion::Http2 => vec![b"h2".to_vec()],
    };
    Ok(config)
}

/// The web PKI roots, the system's trust store (which `SSL_CERT_FILE` and `SSL_CERT_DIR`
/// can point elsewhere) and each certificate of `extra`.
fn trusted_roots(extra: &[PathBuf]) -> anyhow::Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let system = rustls_native_certs::load_native_certs();
    let (added, _) = roots.add_parsable_certificates(system.certs);
    tracing::debug!("trusting {added} certificates of the system's store");
    for path in extra {
        let certs = certificates(path, "--ca-cert")?;
        for cert in certs {
            roots
                .add(cert)
                .map_err(|err| anyhow!("--ca-cert {}: {err}", path.display()))?;
        }
    }
    Ok(roots)
}

/// Every certificate in the PEM file at `path`; `flag` names where it came from.
fn certificates(path: &Path, flag: &str) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let unreadable = |err: rustls::pki_types::pem::Error| {
        anyhow!("{flag} {}: not a readable PEM file ({err})", path.display())
    };
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(unreadable)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(unreadable)?;
    if certs.is_empty() {
        bail!("{flag} {}: no certificate in the file", path.display());
    }
    Ok(certs)
}

/// The client certificate chain and its private key.
fn client_identity(
    cert: &Path,
    key: &Path,
) -> anyhow::Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let chain = certificates(cert, "--client-cert")?;
    let key = PrivateKeyDer::from_pem_file(key).map_err(|err| {
        anyhow!(
            "--client-key {}: not a readable PEM private key ({err})",
            key.display()
        )
    })?;
    Ok((chain, key))
}

/// `--insecure`: any certificate is accepted, though handshake signatures are still checked
/// so the connection is encrypted to whoever answered.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
