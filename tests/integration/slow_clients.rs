//! Clients that try to starve the server: thousands of connections that send
//! their request head one byte at a time, or nothing at all, and clients
//! without the token. The page and the API keep answering.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::helper::{Project, Server};

fn raise_own_fd_limit() {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    setrlimit(Resource::RLIMIT_NOFILE, hard, hard).unwrap();
}

#[test]
fn two_thousand_slow_connections_do_not_keep_the_api_from_answering() {
    raise_own_fd_limit();
    let p = Project::new("");
    let s = Server::start(p.path());
    let mut slow: Vec<TcpStream> = (0..2000)
        .map(|_| {
            let c = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
            c.set_write_timeout(Some(Duration::from_secs(1))).unwrap();
            c
        })
        .collect();
    let head = b"GET /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    let start = Instant::now();
    let mut answered = 0;
    let mut sent = 0;
    // Each slow client sends one more byte every 2 s; in between, the API is
    // asked for the runs list as a page would.
    while start.elapsed() < Duration::from_secs(16) {
        for c in slow.iter_mut() {
            let _ = c.write_all(&head[sent % head.len()..sent % head.len() + 1]);
        }
        sent += 1;
        for _ in 0..4 {
            let agent = ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(5))
                .build();
            let resp = agent
                .get(&format!("{}/api/runs", s.url))
                .call()
                .unwrap_or_else(|e| {
                    panic!("/api/runs did not answer after {:?}: {e}", start.elapsed())
                });
            assert_eq!(resp.status(), 200);
            answered += 1;
            std::thread::sleep(Duration::from_millis(500));
        }
    }
    assert!(answered >= 20);
    // The server closed the slow ones: their head never finished in time.
    let closed = slow
        .iter_mut()
        .map(|c| {
            c.set_read_timeout(Some(Duration::from_millis(200)))
                .unwrap();
            let mut b = [0u8; 256];
            // The end of the stream, or a reply the server sent before it.
            c.read(&mut b).is_ok()
        })
        .filter(|closed| *closed)
        .count();
    assert!(
        closed >= 1900,
        "{closed} of 2000 slow connections were closed by the server"
    );
}

#[test]
fn a_client_without_the_token_cannot_keep_its_connection() {
    let p = Project::new("");
    let (s, _) = Server::start_with(
        p.path(),
        &[
            "--port",
            "0",
            "--host",
            "0.0.0.0",
            "--token",
            "secret-token-123",
        ],
    );
    let mut c = TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    c.write_all(b"GET /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .unwrap();
    let mut reply = Vec::new();
    // The whole reply, then the end of the connection (not a timeout).
    c.read_to_end(&mut reply).unwrap();
    let text = String::from_utf8_lossy(&reply);
    assert!(text.starts_with("HTTP/1.1 403"), "{text}");
    assert!(
        text.to_ascii_lowercase().contains("connection: close"),
        "{text}"
    );
}
