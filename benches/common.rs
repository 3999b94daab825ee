//! What the benchmarks share: the real server on a free loopback port, and
//! a process's memory.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// Starts `devloop serve` on `project`; returns the process and its port.
pub fn start_server(project: &Path) -> (Child, u16) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_devloop"))
        .args(["serve", "--port", "0", "--project"])
        .arg(project)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting devloop serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim()
        .trim_end_matches('/')
        .rsplit(':')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    (child, port)
}

/// Resident memory of a process in KiB (0 if it is gone).
pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// Counts `needle` in the stream until `complete`, reading raw bytes (a slow
/// client would measure itself, not the server).
pub fn count_in_stream(mut r: impl std::io::Read, needle: &[u8]) -> u64 {
    let finder = memchr::memmem::Finder::new(needle);
    let done = memchr::memmem::Finder::new(b"\"type\":\"complete\"");
    let mut buf = vec![0u8; 1 << 20];
    let mut keep = 0;
    let mut n = 0;
    loop {
        let got = r.read(&mut buf[keep..]).unwrap_or(0);
        if got == 0 {
            return n;
        }
        let end = keep + got;
        n += finder.find_iter(&buf[..end]).count() as u64;
        if done.find(&buf[..end]).is_some() {
            return n;
        }
        // Keep a tail shorter than the needle so a match split across reads
        // is counted once.
        let tail = needle.len().saturating_sub(1).min(end);
        buf.copy_within(end - tail..end, 0);
        keep = tail;
    }
}

/// Sends one HTTP/1.1 request to the server on `port` (closing after it);
/// the reply is read from the stream returned.
pub fn request(port: u16, method: &str, path: &str, body: &str) -> std::net::TcpStream {
    use std::io::Write;
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    s
}
