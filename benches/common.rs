//! What both benchmarks need: the real server on a free loopback port.

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
