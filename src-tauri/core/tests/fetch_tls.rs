//! RELIABILITY case 39 (HTTPS-DOWNGRADE) against a real TLS server on 127.0.0.1.
//!
//! A throwaway CA and a certificate for 127.0.0.1 are made with the `openssl` command;
//! the client trusts the CA through `SSL_CERT_FILE`, which rustls-native-certs (under
//! reqwest's platform verifier) reads. The server first serves a good feed over https,
//! then redirects to a plain-http copy: the redirect is refused, the http server is never
//! asked, and the cached feed is intact. The variable is set only in a child run of the
//! test ([`in_a_child`]): the environment is process-wide, and this process's is left
//! as it is.

#![allow(clippy::unwrap_used)]

mod fetch_common;

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use calendarbot_core::refresh::{self, OutcomeKind};
use fetch_common::*;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the openssl command (package openssl)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA (ca.pem) and a server certificate for IP 127.0.0.1 (leaf.pem, leaf.key).
fn make_certificates(dir: &Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=CalendarBot test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign",
    ]);
    openssl(dir, &ca);
    let mut csr = vec!["req"];
    csr.extend(ec);
    csr.extend([
        "-keyout",
        "leaf.key",
        "-out",
        "leaf.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    openssl(dir, &csr);
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "leaf.pem",
            "-days",
            "2",
            "-extfile",
            "leaf.ext",
        ],
    );
}

/// An https server on 127.0.0.1 answering every request with the current raw response.
async fn tls_server(dir: &Path, response: Arc<Mutex<String>>) -> String {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(dir.join("leaf.pem"))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(dir.join("leaf.key")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "https://127.0.0.1:{}/cal.ics",
        listener.local_addr().unwrap().port()
    );
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, response) = (acceptor.clone(), response.clone());
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let reply = response.lock().unwrap().clone();
                let _ = tls.write_all(reply.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    url
}

fn ok_response(body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/calendar\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Where the parent run put the certificates, for the child run.
const CERTS_DIR: &str = "CALENDARBOT_TEST_CERTS";

/// Runs the test `name` of this binary again in a child process with `vars` set in its
/// environment only, and asserts that it ran and passed.
fn in_a_child(name: &str, vars: &[(&str, &Path)]) {
    let mut child = Command::new(std::env::current_exe().unwrap());
    child.args(["--exact", name, "--test-threads", "1"]);
    for (var, value) in vars {
        child.env(var, value);
    }
    let out = child.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn case39_a_redirect_from_https_to_http_is_refused_and_the_cache_kept() {
    // The verifier reads SSL_CERT_FILE: in a child run, where it is set from the start.
    let Some(certs) = std::env::var_os(CERTS_DIR).map(std::path::PathBuf::from) else {
        let certs = tempfile::tempdir().unwrap();
        make_certificates(certs.path());
        in_a_child(
            "case39_a_redirect_from_https_to_http_is_refused_and_the_cache_kept",
            &[
                ("SSL_CERT_FILE", certs.path().join("ca.pem").as_path()),
                (CERTS_DIR, certs.path()),
            ],
        );
        return;
    };

    let response = Arc::new(Mutex::new(ok_response(&feed("secure", 2))));
    let https_url = tls_server(&certs, response.clone()).await;
    let plain = Server::start(|_| Reply::ok(feed("downgraded", 5))).await;
    let env = Env::new(quick_config()).await;
    let id = env.add(&https_url).await;

    let out = refresh::sync(env.deps.clone()).await.unwrap();
    assert_eq!(
        out[0].kind,
        OutcomeKind::Updated { events: 2 },
        "the https fetch works"
    );

    *response.lock().unwrap() = format!(
        "HTTP/1.1 302 Found\r\nLocation: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        plain.url("/cal.ics")
    );
    let out = refresh::sync(env.deps.clone()).await.unwrap();
    match &out[0].kind {
        OutcomeKind::Failed { code, message } => {
            assert_eq!(code, "redirect_refused");
            assert_eq!(message, "refused a redirect from https to http");
        }
        other => panic!("expected the downgrade to be refused, got {other:?}"),
    }
    assert_eq!(plain.count(), 0, "the plain-http server was contacted");
    assert_eq!(
        cached_uids(&env.db_path(), id).await,
        vec!["secure-0", "secure-1"]
    );
}
