//! The client commands (`launch`, `runs`, `logs`, `stop`): thin callers of the
//! same HTTP API the page uses.

use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::time::{Duration, Instant};

use anyhow::Context;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::api::{Complete, ErrorReply, HealthReply, LaunchReply, LaunchRequest, RunsReply};
use crate::log::{OutputLine, Record, Stream};
use crate::runs::Run;

/// How long `logs -f` keeps trying to reach a server that is down or went
/// away before it gives up.
const RECONNECT_FOR: Duration = Duration::from_secs(60);

/// The server answered, and said no (a 4xx): the command failed because of
/// what was asked, so it exits 1 with the server's words.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub String);

/// Everything but unreserved characters is encoded, so a run or config name
/// is always one path segment (`../../etc` stays a name, never a route).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub fn segment(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

pub struct Client {
    base: String,
    token: Option<String>,
    agent: ureq::Agent,
}

impl Client {
    pub fn new(base: &str, token: Option<String>) -> Client {
        Client {
            base: base.trim_end_matches('/').to_string(),
            token,
            agent: ureq::AgentBuilder::new()
                .timeout_connect(Duration::from_secs(5))
                .build(),
        }
    }

    fn request(&self, method: &str, path: &str) -> ureq::Request {
        let req = self
            .agent
            .request(method, &format!("{}{}", self.base, path));
        match &self.token {
            Some(t) => req.set("Authorization", &format!("Bearer {t}")),
            None => req,
        }
    }

    /// Sends `req`; a 4xx becomes [`Refused`] with the server's message.
    fn send(&self, req: ureq::Request, body: Option<Value>) -> anyhow::Result<ureq::Response> {
        let result = match body {
            Some(b) => req.send_json(b),
            None => req.call(),
        };
        match result {
            Ok(resp) => Ok(resp),
            Err(ureq::Error::Status(code, resp)) => {
                let msg = resp
                    .into_json::<ErrorReply>()
                    .map(|e| e.error)
                    .unwrap_or_else(|_| format!("the server answered HTTP {code}"));
                if (400..500).contains(&code) {
                    Err(Refused(msg).into())
                } else {
                    anyhow::bail!("{msg} (HTTP {code})")
                }
            }
            Err(ureq::Error::Transport(t)) => anyhow::bail!(
                "cannot reach devloop at {} ({}); is `devloop serve` running?",
                self.base,
                t.kind()
            ),
        }
    }

    pub fn get<T: DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        Ok(self.send(self.request("GET", path), None)?.into_json()?)
    }

    pub fn post<T: DeserializeOwned>(&self, path: &str, body: Value) -> anyhow::Result<T> {
        Ok(self
            .send(self.request("POST", path), Some(body))?
            .into_json()?)
    }
}

/// A config as the user typed it: a file name, a stem, or a path to the
/// file (`configs/quick.py`, tab-completed from anywhere).
fn config_name(client: &Client, arg: &str) -> String {
    let local = std::path::Path::new(arg);
    if local.is_file() {
        if let (Ok(abs), Ok(health)) = (
            local.canonicalize(),
            client.get::<HealthReply>("/api/health"),
        ) {
            let dir = health
                .configs_dir
                .canonicalize()
                .unwrap_or(health.configs_dir);
            if let Some(rel) = abs.strip_prefix(&dir).ok().and_then(|r| r.to_str()) {
                return rel.to_string();
            }
        }
    }
    arg.to_string()
}

pub fn launch(
    client: &Client,
    config: &str,
    target: Option<&str>,
    follow: bool,
) -> anyhow::Result<i32> {
    let name = config_name(client, config);
    let reply: LaunchReply = client.post(
        "/api/launch",
        serde_json::to_value(LaunchRequest {
            config_name: name,
            target: target.map(str::to_string),
        })?,
    )?;
    eprintln!(
        "launched {} ({}): {}",
        reply.run_id, reply.status, reply.command
    );
    if follow {
        logs(client, &reply.run_id, true)
    } else {
        println!("{}", reply.run_id);
        Ok(0)
    }
}

pub fn runs(client: &Client) -> anyhow::Result<i32> {
    let reply: RunsReply = client.get("/api/runs")?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<28} {:<10} {:>6} {:>9}  {:<19} {:>9} {:>9} {:>8}  CONFIG",
        "RUN", "STATUS", "EXIT", "RECORDS", "STARTED", "DURATION", "PEAK MEM", "CPU"
    )?;
    let now = crate::log::now_ms();
    for r in reply.runs {
        let exit = match (r.exit_code, r.signal) {
            (Some(c), _) => c.to_string(),
            (None, Some(s)) => format!("sig{s}"),
            _ => "-".into(),
        };
        let started = r.started_at.map(local_time).unwrap_or_else(|| "-".into());
        let duration = match (r.started_at, r.ended_at) {
            (Some(s), Some(e)) => duration(e.saturating_sub(s)),
            (Some(s), None) if r.status.is_active() => duration(now.saturating_sub(s)),
            _ => "-".into(),
        };
        let peak = r.peak_rss_bytes.map(bytes).unwrap_or_else(|| "-".into());
        let cpu = r
            .cpu_seconds
            .map(|s| self::duration((s * 1000.0) as u64))
            .unwrap_or_else(|| "-".into());
        writeln!(
            out,
            "{:<28} {:<10} {:>6} {:>9}  {:<19} {:>9} {:>9} {:>8}  {}",
            r.run_id,
            r.status,
            exit,
            r.records,
            started,
            duration,
            peak,
            cpu,
            crate::names::display(&r.config_name)
        )?;
    }
    Ok(0)
}

fn local_time(ms: u64) -> String {
    chrono::DateTime::from_timestamp_millis(ms as i64)
        .map(|t| {
            t.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        })
        .unwrap_or_else(|| "-".into())
}

/// `312 MiB`, `1.4 GiB`: short enough for a column.
pub fn bytes(n: u64) -> String {
    const MIB: f64 = (1 << 20) as f64;
    let mib = n as f64 / MIB;
    if mib < 1024.0 {
        format!("{mib:.0} MiB")
    } else {
        format!("{:.1} GiB", mib / 1024.0)
    }
}

/// `4.2s`, `3m07s`, `2h05m`: short enough for a column.
pub fn duration(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0..60 => format!("{:.1}s", ms as f64 / 1000.0),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

pub fn stop(client: &Client, id: &str) -> anyhow::Result<i32> {
    let before: Run = client.get(&format!("/api/runs/{}", segment(id)))?;
    if !before.status.is_active() {
        eprintln!("run {id} had already ended ({})", before.status);
        return Ok(1);
    }
    let run: Run = client.post(&format!("/api/runs/{}/stop", segment(id)), Value::Null)?;
    eprintln!("stop requested for {id} (was {})", run.status);
    Ok(0)
}

/// Prints a run's output; with `follow`, keeps printing until it ends and
/// returns its exit code (128 + signal if it was killed).
pub fn logs(client: &Client, id: &str, follow: bool) -> anyhow::Result<i32> {
    let mut printer = Printer::new(std::io::stdout().is_terminal());
    if !follow {
        let resp = client.send(
            client.request("GET", &format!("/api/runs/{}/log?format=raw", segment(id))),
            None,
        )?;
        let mut reader = resp.into_reader();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut reader, &mut text)?;
        printer.raw(&text)?;
        return Ok(0);
    }
    let mut after = 0u64;
    let mut down_since: Option<Instant> = None;
    loop {
        let path = format!("/api/runs/{}/stream?after={after}", segment(id));
        match client.send(client.request("GET", &path), None) {
            Ok(resp) => {
                if down_since.take().is_some() {
                    eprintln!("devloop: reconnected");
                }
                let reader = BufReader::new(resp.into_reader());
                if let Some(code) = follow_stream(reader, &mut after, &mut printer)? {
                    return Ok(code);
                }
            }
            Err(e) if e.is::<Refused>() => return Err(e),
            Err(e) => {
                let since = *down_since.get_or_insert_with(|| {
                    eprintln!("devloop: {e:#}; retrying for {} s", RECONNECT_FOR.as_secs());
                    Instant::now()
                });
                if since.elapsed() > RECONNECT_FOR {
                    return Err(e).context(format!(
                        "gave up after {} s without the server",
                        RECONNECT_FOR.as_secs()
                    ));
                }
            }
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// Reads one SSE connection; returns the exit code once `complete` arrives,
/// or `None` if the connection dropped first.
fn follow_stream(
    reader: impl BufRead,
    after: &mut u64,
    printer: &mut Printer,
) -> anyhow::Result<Option<i32>> {
    for line in reader.lines() {
        let Ok(line) = line else { return Ok(None) };
        let Some(data) = line.strip_prefix("data: ") else {
            continue;
        };
        let Ok(value) = serde_json::from_str::<Value>(data) else {
            continue;
        };
        match value["type"].as_str() {
            Some("complete") => {
                printer.end()?;
                let complete: Complete = serde_json::from_value(value)?;
                eprintln!("devloop: run {}", complete.status);
                return Ok(Some(complete.shell_code()));
            }
            Some("stdout") => {
                if let Ok(record) = serde_json::from_value::<Record>(value) {
                    *after = record.seq;
                    if let Some(line) = record.output() {
                        printer.line(line)?;
                    }
                }
            }
            Some("event") => {
                if let Some(seq) = value["seq"].as_u64() {
                    *after = seq;
                }
            }
            Some("error") => eprintln!(
                "devloop: {}",
                value["message"].as_str().unwrap_or("stream error")
            ),
            _ => {}
        }
    }
    Ok(None)
}

/// Shows records in a terminal the way the run would have looked there: a
/// partial line is redrawn in place; without a terminal, only finished lines
/// are printed and colour codes are removed.
struct Printer {
    tty: bool,
    open: Option<u64>,
}

impl Printer {
    fn new(tty: bool) -> Printer {
        Printer { tty, open: None }
    }

    fn line(&mut self, line: &OutputLine) -> std::io::Result<()> {
        let mut out = std::io::stdout().lock();
        let text = self.prepare(&line.text, line.stream);
        if !self.tty {
            if !line.partial {
                writeln!(out, "{text}")?;
            }
            return Ok(());
        }
        match self.open {
            Some(n) if n == line.lineno => write!(out, "\r\x1b[2K")?,
            Some(_) => writeln!(out)?,
            None => {}
        }
        write!(out, "{text}")?;
        if line.partial {
            self.open = Some(line.lineno);
        } else {
            writeln!(out)?;
            self.open = None;
        }
        out.flush()
    }

    fn prepare(&self, text: &str, stream: Stream) -> String {
        if !self.tty {
            return strip_ansi_escapes::strip_str(text);
        }
        match stream {
            Stream::Devloop => format!("\x1b[2m{text}\x1b[0m"),
            _ => text.to_string(),
        }
    }

    fn raw(&mut self, text: &str) -> std::io::Result<()> {
        let text = if self.tty {
            text.to_string()
        } else {
            strip_ansi_escapes::strip_str(text)
        };
        std::io::stdout().lock().write_all(text.as_bytes())
    }

    fn end(&mut self) -> std::io::Result<()> {
        if self.open.take().is_some() {
            writeln!(std::io::stdout().lock())?;
        }
        Ok(())
    }
}
