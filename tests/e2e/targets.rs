//! Targets for the network tests: a private CA with server and client certificates (rcgen),
//! an HTTPS server (HTTP/1.1 and HTTP/2 through ALPN, optionally asking for a client
//! certificate) or a plain one, both recording the HTTP versions they were spoken to in, and an
//! HTTP CONNECT proxy that counts its tunnels.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::routing::any;
use axum::Router;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use crate::support::scratch_dir;

/// The host name the server certificate is also made out to, for `--resolve`.
pub const TEST_HOST: &str = "api.wasmload.test";

/// PEM files of a private CA, a server certificate it signed (`localhost`, `127.0.0.1` and
/// [`TEST_HOST`]), a client certificate it signed, and a self-signed server certificate.
pub struct Pki {
    pub ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub self_signed_cert: PathBuf,
    pub self_signed_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

/// Makes the certificates in a scratch directory of `test`.
pub fn pki(test: &str) -> Pki {
    let dir = scratch_dir(test);
    let write = |name: &str, pem: String| {
        let path = dir.join(name);
        std::fs::write(&path, pem).expect("a PEM file");
        path
    };
    let ca_key = KeyPair::generate().expect("a CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).expect("the CA certificate");
    let issuer = Issuer::new(ca_params, ca_key);
    let signed = |names: Vec<String>| {
        let key = KeyPair::generate().expect("a key");
        let params = CertificateParams::new(names).expect("params");
        let cert = params
            .signed_by(&key, &issuer)
            .expect("a signed certificate");
        (cert.pem(), key.serialize_pem())
    };
    let (server_cert, server_key) = signed(vec![
        "localhost".into(),
        "127.0.0.1".into(),
        TEST_HOST.into(),
    ]);
    let (client_cert, client_key) = signed(vec!["wasmload-client".into()]);
    let own = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()])
        .expect("a self-signed certificate");
    Pki {
        ca: write("ca.pem", ca_cert.pem()),
        server_cert: write("server.pem", server_cert),
        server_key: write("server-key.pem", server_key),
        self_signed_cert: write("self-signed.pem", own.cert.pem()),
        self_signed_key: write("self-signed-key.pem", own.signing_key.serialize_pem()),
        client_cert: write("client.pem", client_cert),
        client_key: write("client-key.pem", client_key),
    }
}

/// What a target saw: requests by HTTP version.
#[derive(Debug, Default)]
pub struct Seen {
    versions: Mutex<BTreeMap<String, u64>>,
}

impl Seen {
    /// Requests by version (`HTTP/1.1`, `HTTP/2.0`).
    pub fn versions(&self) -> BTreeMap<String, u64> {
        self.versions
            .lock()
            .unwrap_or_else(|err| err.into_inner())
            .clone()
    }

    /// Requests in all.
    pub fn requests(&self) -> u64 {
        self.versions().values().sum()
    }
}

/// Answers every path with `{"status":"ok"}`, counting the request's version.
fn app(seen: Arc<Seen>) -> Router {
    async fn answer(State(seen): State<Arc<Seen>>, request: Request) -> &'static str {
        let version = format!("{:?}", request.version());
        *seen
            .versions
            .lock()
            .unwrap_or_else(|err| err.into_inner())
            .entry(version)
            .or_default() += 1;
        r#"{"status":"ok"}"#
    }
    Router::new().fallback(any(answer)).with_state(seen)
}

/// Which certificate an HTTPS target shows, and whether it asks the client for one.
pub struct TlsSetup<'a> {
    pub cert: &'a Path,
    pub key: &'a Path,
    pub client_ca: Option<&'a Path>,
}

/// An HTTPS target on 127.0.0.1 speaking HTTP/1.1 and HTTP/2 (ALPN).
pub async fn https_target(setup: TlsSetup<'_>) -> (SocketAddr, Arc<Seen>) {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(setup.cert)
        .expect("the server certificate")
        .collect::<Result<_, _>>()
        .expect("certificates");
    let key = PrivateKeyDer::from_pem_file(setup.key).expect("the server key");
    let builder = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions");
    let builder = match setup.client_ca {
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in CertificateDer::pem_file_iter(ca).expect("the client CA") {
                roots.add(cert.expect("a certificate")).expect("a root");
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder(Arc::new(roots))
                .build()
                .expect("a client verifier");
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(certs, key)
        .expect("the server identity");
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen = Arc::new(Seen::default());
    let tls = TlsListener {
        inner: listener,
        acceptor: TlsAcceptor::from(Arc::new(config)),
    };
    let app = app(Arc::clone(&seen));
    tokio::spawn(async move { axum::serve(tls, app).await });
    (addr, seen)
}

/// A plain-HTTP target on 127.0.0.1 (HTTP/1.1, and HTTP/2 with prior knowledge).
pub async fn plain_target() -> (SocketAddr, Arc<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen = Arc::new(Seen::default());
    let app = app(Arc::clone(&seen));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, seen)
}

/// Accepts TCP connections and completes their TLS handshakes; failed handshakes (a client
/// that does not trust the server, or brings no certificate) are dropped.
struct TlsListener {
    inner: TcpListener,
    acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.inner.accept().await else {
                continue;
            };
            if let Ok(tls) = self.acceptor.accept(tcp).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// An HTTP CONNECT proxy on 127.0.0.1; returns its address and a count of its tunnels.
pub async fn connect_proxy() -> (SocketAddr, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let tunnels = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&tunnels);
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            tokio::spawn(tunnel(client, Arc::clone(&counter)));
        }
    });
    (addr, tunnels)
}

/// Reads `CONNECT host:port`, connects there, answers 200 and relays both ways.
async fn tunnel(client: TcpStream, tunnels: Arc<AtomicU64>) {
    let mut client = BufReader::new(client);
    let mut request_line = String::new();
    if client.read_line(&mut request_line).await.is_err() {
        return;
    }
    let mut line = String::new();
    while client.read_line(&mut line).await.is_ok_and(|read| read > 2) {
        line.clear();
    }
    let mut parts = request_line.split_whitespace();
    let (Some("CONNECT"), Some(target)) = (parts.next(), parts.next()) else {
        let _ = client
            .get_mut()
            .write_all(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
            .await;
        return;
    };
    let Ok(mut upstream) = TcpStream::connect(target).await else {
        let _ = client
            .get_mut()
            .write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n")
            .await;
        return;
    };
    tunnels.fetch_add(1, Ordering::SeqCst);
    let mut client = client.into_inner();
    if client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await
        .is_ok()
    {
        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
    }
}
