//! The client commands (`launch`, `runs`, `logs`, `stop`): thin callers of the
//! same HTTP API the page uses.

use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde_json::Value;

use crate::record::{OutputLine, Record, Stream};

/// How long `logs -f` keeps trying to reconnect to a server that went away.
const RECONNECT_FOR: Duration = Duration::from_secs(60);

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

    fn call(&self, req: ureq::Request, body: Option<Value>) -> anyhow::Result<Value> {
        let url = req.url().to_string();
        let result = match body {
            Some(b) => req.send_json(b),
            None => req.call(),
        };
        match result {
            Ok(resp) => Ok(resp.into_json()?),
            Err(ureq::Error::Status(code, resp)) => {
                let body: Value = resp.into_json().unwrap_or(Value::Null);
                let msg = body
                    .get("error")
                    .and_then(Value::as_str)
                    .unwrap_or("request failed");
                bail!("{msg} (HTTP {code})")
            }
            Err(e) => Err(e).with_context(|| {
                format!("cannot reach devloop at {url}; is `devloop serve` running?")
            }),
        }
    }

    pub fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.call(self.request("GET", path), None)
    }

    pub fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        self.call(self.request("POST", path), Some(body))
    }
}

pub fn launch(client: &Client, config: &str, follow: bool) -> anyhow::Result<i32> {
    let resp = client.post("/api/launch", serde_json::json!({ "configName": config }))?;
    let id = resp["run_id"]
        .as_str()
        .context("no run_id in reply")?
        .to_string();
    eprintln!(
        "launched {id} ({}): {}",
        resp["status"].as_str().unwrap_or("?"),
        resp["command"].as_str().unwrap_or("")
    );
    if follow {
        logs(client, &id, true)
    } else {
        println!("{id}");
        Ok(0)
    }
}

pub fn runs(client: &Client) -> anyhow::Result<i32> {
    let resp = client.get("/api/runs")?;
    let runs = resp["runs"].as_array().cloned().unwrap_or_default();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<28} {:<10} {:>6} {:>9}  CONFIG",
        "RUN", "STATUS", "EXIT", "RECORDS"
    )?;
    for r in runs {
        let exit = match (r["exit_code"].as_i64(), r["signal"].as_i64()) {
            (Some(c), _) => c.to_string(),
            (None, Some(s)) => format!("sig{s}"),
            _ => "-".into(),
        };
        writeln!(
            out,
            "{:<28} {:<10} {:>6} {:>9}  {}",
            r["run_id"].as_str().unwrap_or("?"),
            r["status"].as_str().unwrap_or("?"),
            exit,
            r["records"].as_u64().unwrap_or(0),
            r["config_name"].as_str().unwrap_or("?")
        )?;
    }
    Ok(0)
}

pub fn stop(client: &Client, id: &str) -> anyhow::Result<i32> {
    let run = client.post(&format!("/api/runs/{id}/stop"), Value::Null)?;
    eprintln!(
        "stop requested for {id} (was {})",
        run["status"].as_str().unwrap_or("?")
    );
    Ok(0)
}

/// Prints a run's output; with `follow`, keeps printing until it ends and
/// returns its exit code (128 + signal if it was killed).
pub fn logs(client: &Client, id: &str, follow: bool) -> anyhow::Result<i32> {
    let mut printer = Printer::new(std::io::stdout().is_terminal());
    if !follow {
        let text = client
            .request("GET", &format!("/api/runs/{id}/log"))
            .call()
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .into_string()?;
        printer.raw(&text)?;
        return Ok(0);
    }
    let mut after = 0u64;
    let mut down_since: Option<Instant> = None;
    loop {
        let req = client.request("GET", &format!("/api/runs/{id}/stream?after={after}"));
        match req.call() {
            Ok(resp) => {
                down_since = None;
                let reader = BufReader::new(resp.into_reader());
                if let Some(code) = follow_stream(reader, &mut after, &mut printer)? {
                    return Ok(code);
                }
            }
            Err(ureq::Error::Status(code, resp)) => {
                let body: Value = resp.into_json().unwrap_or(Value::Null);
                bail!(
                    "{} (HTTP {code})",
                    body["error"].as_str().unwrap_or("stream refused")
                );
            }
            Err(e) => {
                let since = *down_since.get_or_insert_with(Instant::now);
                if since.elapsed() > RECONNECT_FOR {
                    return Err(e).context("lost the connection to devloop");
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
                let status = value["status"].as_str().unwrap_or("?");
                eprintln!("devloop: run {status}");
                let code = match (value["exit_code"].as_i64(), value["signal"].as_i64()) {
                    (Some(c), _) => c as i32,
                    (None, Some(s)) => 128 + s as i32,
                    _ => 1,
                };
                return Ok(Some(code));
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
