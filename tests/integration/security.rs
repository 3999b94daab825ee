//! The guard: DNS rebinding, CSRF, names that try to leave the project,
//! oversized and malformed bodies, and the token off loopback.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;

use serde_json::json;

use crate::helper::{bin, Project, Server};

/// Sends a raw request so the Host and Origin headers are exactly ours.
fn raw(s: &Server, request: &str) -> (u16, String) {
    let mut conn = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    conn.write_all(request.as_bytes()).unwrap();
    let mut resp = String::new();
    conn.read_to_string(&mut resp).unwrap();
    let code = resp[9..12].parse().unwrap();
    (code, resp)
}

#[test]
fn foreign_host_and_foreign_origin_are_refused() {
    let p = Project::new("");
    p.config("x.py", "print(1)");
    let s = Server::start(p.path());
    let (code, body) = raw(
        &s,
        "GET /api/runs HTTP/1.1\r\nHost: evil.example:80\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(code, 403, "{body}");
    assert!(body.contains("loopback"));
    let (code, _) = raw(
        &s,
        &format!(
            "GET /api/runs HTTP/1.1\r\nHost: localhost:{}\r\nConnection: close\r\n\r\n",
            s.port
        ),
    );
    assert_eq!(code, 200);
    let launch = |origin: &str| {
        let body = r#"{"configName":"x.py"}"#;
        raw(
            &s,
            &format!(
                "POST /api/launch HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nOrigin: {origin}\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                s.port,
                body.len()
            ),
        )
    };
    let (code, body) = launch("http://evil.example");
    assert_eq!(code, 403, "{body}");
    let (code, _) = launch(&format!("http://127.0.0.1:{}", s.port + 1));
    assert_eq!(code, 403, "another local port is another origin");
    let (code, body) = launch(&format!("http://localhost:{}", s.port));
    assert_eq!(code, 200, "{body}");
    let (_, list) = s.get("/api/runs");
    assert_eq!(
        list["runs"].as_array().unwrap().len(),
        1,
        "refused launches started nothing"
    );
}

#[test]
fn names_that_try_to_leave_the_project_get_a_4xx_and_run_nothing() {
    let p = Project::new("");
    std::fs::write(p.path().join("outside.py"), "open('pwned', 'w')").unwrap();
    std::os::unix::fs::symlink(
        p.path().join("outside.py"),
        p.path().join("configs/link.py"),
    )
    .unwrap();
    let s = Server::start(p.path());
    let long = "a".repeat(5000);
    for name in [
        "../outside.py",
        "/etc/passwd",
        "configs/../../outside.py",
        "x\0.py",
        "%2e%2e/outside.py",
        "link.py",
        "x.py; touch pwned",
        "",
        long.as_str(),
    ] {
        let (code, body) = s.post("/api/launch", json!({"configName": name}));
        assert!((400..500).contains(&code), "{name:?} gave {code}");
        assert!(body["error"].is_string(), "{name:?}: {body}");
    }
    for path in [
        "/api/runs/..%2F..%2Fetc",
        "/api/runs/a%00b",
        "/api/runs/x/log",
        "/api/runs/x/stream",
    ] {
        let (code, _) = s.get(path);
        assert!((400..500).contains(&code), "{path} gave {code}");
    }
    assert!(!p.path().join("pwned").exists());
    assert_eq!(s.get("/api/runs").1["runs"].as_array().unwrap().len(), 0);
}

#[test]
fn bad_bodies_get_clear_errors_and_the_server_keeps_serving() {
    let p = Project::new("");
    let s = Server::start(p.path());
    let (code, body) = raw(
        &s,
        "POST /api/launch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 5\r\nConnection: close\r\n\r\n{oops",
    );
    assert_eq!(code, 400);
    assert!(body.contains("\"error\""), "{body}");
    let big = format!("{{\"configName\":\"{}\"}}", "a".repeat(3 << 20));
    let resp = ureq::post(&format!("{}/api/launch", s.url))
        .set("Content-Type", "application/json")
        .send_string(&big);
    match resp {
        Err(ureq::Error::Status(code, r)) => {
            assert_eq!(code, 413);
            assert!(r.into_string().unwrap().contains("larger than"));
        }
        Err(ureq::Error::Transport(_)) => {} // the server may close before reading it all
        Ok(r) => panic!("accepted an oversized body: {}", r.status()),
    }
    let (code, body) = s.post("/api/launch", json!({"config": "x"}));
    assert_eq!(code, 400, "a body missing configName is refused: {body}");
    assert!(
        body["error"].as_str().unwrap().contains("configName"),
        "{body}"
    );
    assert_eq!(s.get("/api/nope").0, 404);
    assert_eq!(s.get("/api/health").0, 200, "still serving");
}

#[test]
fn binding_off_loopback_needs_a_token_and_then_every_request_carries_it() {
    let p = Project::new("");
    let out = Command::new(bin())
        .args(["serve", "--host", "0.0.0.0", "--port", "0", "--project"])
        .arg(p.path())
        .env_remove("DEVLOOP_TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--token"));

    let (server, first) = Server::start_with(
        p.path(),
        &[
            "--host",
            "0.0.0.0",
            "--port",
            "0",
            "--token",
            "s3cret-token",
        ],
    );
    assert!(first.contains("?token=s3cret-token"), "{first}");
    let base = &server.url;
    let denied = ureq::get(&format!("{base}/api/runs")).call();
    assert!(matches!(denied, Err(ureq::Error::Status(403, _))));
    let ok = ureq::get(&format!("{base}/api/runs"))
        .set("Authorization", "Bearer s3cret-token")
        .call();
    assert_eq!(ok.unwrap().status(), 200);
    let page = ureq::get(&format!("{base}/?token=s3cret-token"))
        .call()
        .unwrap();
    assert!(page
        .header("set-cookie")
        .unwrap()
        .contains("devloop_token=s3cret-token"));
}

#[test]
fn responses_carry_security_headers() {
    let p = Project::new("");
    let s = Server::start(p.path());
    let resp = ureq::get(&format!("{}/", s.url)).call().unwrap();
    assert!(resp
        .header("content-security-policy")
        .unwrap()
        .contains("default-src 'self'"));
    assert_eq!(resp.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(resp.header("x-frame-options"), Some("DENY"));
}
