//! Inspect AI logs through the HTTP API, on logs the real inspect-ai (a
//! pinned version in a virtualenv, `tests/inspect/setup.sh`) wrote with its
//! built-in `mockllm/model`: listed beside rollouts results, samples paged,
//! sorted, filtered and searched, one sample's conversation and transcript,
//! a `.json` log, an older deflated `.eval`, two logs compared, broken logs
//! listed with what is wrong, and an eval launched from devloop whose
//! samples show up while Inspect is still writing its log.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

use crate::helper::{wait_for, Project, ProjectEvents, Server};

fn inspect_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/inspect")
}

/// The venv's python, installing inspect-ai on first use.
fn python() -> &'static Path {
    static PY: OnceLock<PathBuf> = OnceLock::new();
    PY.get_or_init(|| {
        let out = Command::new("bash")
            .arg(inspect_dir().join("setup.sh"))
            .arg("path")
            .output()
            .expect("run tests/inspect/setup.sh");
        assert!(
            out.status.success(),
            "setup.sh failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
    })
}

/// The logs of `make_logs.py suite`, made once per test process:
/// arith a, arith b, arith a as .json, tools, tools deflated, failing,
/// cancelled.
struct Suite {
    _dir: tempfile::TempDir,
    logs: Vec<PathBuf>,
}

fn suite() -> &'static Suite {
    static S: OnceLock<Suite> = OnceLock::new();
    S.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new(python())
            .arg(inspect_dir().join("make_logs.py"))
            .arg(dir.path())
            .arg("suite")
            .output()
            .expect("run make_logs.py");
        assert!(
            out.status.success(),
            "make_logs.py failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let logs: Vec<PathBuf> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(PathBuf::from)
            .collect();
        assert_eq!(logs.len(), 7, "{logs:?}");
        Suite { _dir: dir, logs }
    })
}

const ARITH_A: usize = 0;
const ARITH_B: usize = 1;
const ARITH_JSON: usize = 2;
const TOOLS: usize = 3;
const TOOLS_DEFLATE: usize = 4;
const FAILING: usize = 5;
const CANCELLED: usize = 6;

/// Copies log `i` of the suite into the project's `logs/`; returns its name.
fn place(project: &Path, i: usize) -> String {
    let src = &suite().logs[i];
    let file = src.file_name().unwrap().to_str().unwrap();
    std::fs::create_dir_all(project.join("logs")).unwrap();
    std::fs::copy(src, project.join("logs").join(file)).unwrap();
    format!("logs/{file}")
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn entries(s: &Server) -> Vec<Value> {
    let (code, body) = s.get("/api/results");
    assert_eq!(code, 200, "{body}");
    body["results"].as_array().unwrap().clone()
}

fn entry(s: &Server, name: &str) -> Value {
    entries(s)
        .into_iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("{name} is not listed"))
}

fn page(s: &Server, name: &str, query: &str) -> Value {
    let (code, body) = s.get(&format!("/api/results/{}/samples?{query}", enc(name)));
    assert_eq!(code, 200, "{body}");
    body
}

fn ids(page: &Value) -> Vec<String> {
    page["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn inspect_logs_are_listed_beside_results_with_status_samples_and_metrics() {
    let p = Project::new("");
    let root = p.path();
    let a = place(root, ARITH_A);
    let failing = place(root, FAILING);
    let cancelled = place(root, CANCELLED);
    // One in results/ too, beside a rollouts result folder.
    let tools_src = &suite().logs[TOOLS];
    let tools_file = tools_src.file_name().unwrap().to_str().unwrap();
    std::fs::create_dir_all(root.join("results/rollouts_run")).unwrap();
    std::fs::write(
        root.join("results/rollouts_run/report.json"),
        r#"{"eval_name":"calc","summary_metrics":{"mean_reward":1.0},"sample_ids":[]}"#,
    )
    .unwrap();
    std::fs::copy(tools_src, root.join("results").join(tools_file)).unwrap();
    // Broken ones: not a zip, cut short, and a zip that is no Inspect log.
    std::fs::write(root.join("logs/garbage.eval"), "not a zip").unwrap();
    let bytes = std::fs::read(&suite().logs[ARITH_B]).unwrap();
    std::fs::write(root.join("logs/cut.eval"), &bytes[..bytes.len() / 2]).unwrap();
    // A link out of the log folder: listed with why, never read.
    let outside = tempfile::tempdir().unwrap();
    std::fs::copy(&suite().logs[ARITH_B], outside.path().join("secret.eval")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.eval"),
        root.join("logs/link.eval"),
    )
    .unwrap();
    let s = Server::start(root);

    let all = entries(&s);
    let link = entry(&s, "logs/link.eval");
    assert_eq!(link["status"], "malformed");
    assert!(
        link["error"]
            .as_str()
            .unwrap()
            .contains("link out of logs/"),
        "{link}"
    );
    assert!(link["task"].is_null(), "{link}");
    let (code, _) = s.get(&format!("/api/results/{}/samples", enc("logs/link.eval")));
    assert_eq!(code, 404);
    assert!(all.iter().any(|e| e["name"] == "rollouts_run"), "{all:?}");
    let e = entry(&s, &a);
    assert_eq!(e["kind"], "inspect");
    assert_eq!(e["status"], "success");
    assert_eq!(e["task"], "arith");
    assert_eq!(e["model"], "mockllm/model");
    // 5 samples × 2 epochs, all written.
    assert_eq!(
        (e["done_samples"].as_u64(), e["total_samples"].as_u64()),
        (Some(10), Some(10))
    );
    // Every scorer's headline metrics (4 of the 5 first epochs... q5 answers wrongly, q4 errors).
    assert_eq!(e["summary_metrics"]["match/accuracy"], 0.75);
    assert_eq!(e["summary_metrics"]["length_penalty/mean"], 1.0);
    let scorers: Vec<&str> = e["scorers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(scorers, ["match", "includes", "length_penalty"]);
    assert!(e["timestamp"].as_str().unwrap().starts_with("20"));

    let f = entry(&s, &failing);
    assert_eq!(f["status"], "error");
    assert!(
        f["error"]
            .as_str()
            .unwrap()
            .contains("deliberate failure in sample q2"),
        "{f}"
    );
    let c = entry(&s, &cancelled);
    assert_eq!(c["status"], "cancelled");
    assert_eq!(c["task"], "gated");

    let t = entry(&s, &format!("results/{tools_file}"));
    assert_eq!(t["status"], "success");
    assert_eq!(t["task"], "tools");

    for bad in ["logs/garbage.eval", "logs/cut.eval"] {
        let b = entry(&s, bad);
        assert_eq!(b["status"], "malformed", "{b}");
        assert!(b["error"].as_str().unwrap().contains("zip"), "{b}");
    }
    // Opening a broken one says why instead of failing blindly.
    let (code, body) = s.get(&format!(
        "/api/results/{}/samples",
        enc("logs/garbage.eval")
    ));
    assert_eq!(code, 400);
    assert!(body["error"].as_str().unwrap().contains("zip"), "{body}");
    // A name that leaves the log folder is refused.
    let (code, _) = s.get(&format!(
        "/api/results/{}/samples",
        enc("logs/../devloop.toml")
    ));
    assert_eq!(code, 404);
}

#[test]
fn samples_are_paged_sorted_filtered_and_searched_on_the_server() {
    let p = Project::new("");
    let a = place(p.path(), ARITH_A);
    let s = Server::start(p.path());

    let all = page(&s, &a, "limit=100");
    assert_eq!(
        (all["total"].as_u64(), all["all"].as_u64()),
        (Some(10), Some(10))
    );
    assert_eq!(
        all["scorers"],
        serde_json::json!(["match", "includes", "length_penalty"])
    );
    let q1 = all["samples"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "q1_epoch_1")
        .unwrap()
        .clone();
    assert_eq!(
        (q1["sample_id"].as_str(), q1["epoch"].as_u64()),
        (Some("q1"), Some(1))
    );
    assert_eq!(q1["scores"]["match"]["value"], "C");
    assert_eq!(
        q1["scores"]["length_penalty"]["explanation"],
        "27 characters of output"
    );
    assert_eq!(q1["target"], "3");
    // Inspect thins the summary input: an image becomes "(Image)".
    assert_eq!(q1["input"], "What is 1+2? (Image)");
    assert_eq!(q1["tokens"], 44);
    assert!(q1["time"].as_f64().unwrap() > 0.0);
    assert_eq!(q1["reward"], 1.0);

    // Pages.
    let p1 = page(&s, &a, "limit=4&sort=id");
    let p2 = page(&s, &a, "limit=4&offset=4&sort=id");
    assert_eq!(
        ids(&p1),
        ["q1_epoch_1", "q1_epoch_2", "q2_epoch_1", "q2_epoch_2"]
    );
    assert_eq!(ids(&p2)[0], "q3_epoch_1");
    // Sorted by the headline score: the wrong answers (q5) and errors last.
    let worst = page(&s, &a, "sort=reward&limit=4");
    let worst_ids = ids(&worst);
    assert!(
        worst_ids
            .iter()
            .all(|i| i.starts_with("q4") || i.starts_with("q5")),
        "{worst_ids:?}"
    );
    // Errors only: q4, both epochs.
    let errs = page(&s, &a, "has_error=true");
    assert_eq!(ids(&errs).len(), 2);
    assert!(errs["samples"][0]["error"]
        .as_str()
        .unwrap()
        .contains("deliberate failure in sample q4"));
    assert_eq!(errs["samples"][0]["status"], "error");
    let wrong = page(&s, &a, "max_reward=0.5");
    assert_eq!(ids(&wrong), ["q5_epoch_1", "q5_epoch_2"]);
    // Filter expressions name scorers as the table shows them, and what
    // each scorer gave besides its value.
    let expr = |f: &str| {
        let enc: String = f.bytes().map(|b| format!("%{b:02X}")).collect();
        page(&s, &a, &format!("sort=id&filter={enc}"))
    };
    assert_eq!(ids(&expr(r#"match == "I""#)), ["q5_epoch_1", "q5_epoch_2"]);
    // A letter grade as its chart counts it, as a histogram bar filters.
    assert_eq!(
        ids(&expr(
            r#"scores["match"].number >= 0 and scores["match"].number < 0.5"#
        )),
        ["q5_epoch_1", "q5_epoch_2"]
    );
    assert_eq!(
        ids(&expr(
            r#"sample_id == "q1" and scores.length_penalty.explanation ~ "^27 characters""#
        )),
        ["q1_epoch_1", "q1_epoch_2"]
    );
    assert_eq!(ids(&expr("error and tokens >= 0")).len(), 0);
    assert_eq!(ids(&expr("error")).len(), 2);
    let (code, bad) = s.get(&format!(
        "/api/results/{}/samples?filter=matsh%3D%3D1",
        enc(&a)
    ));
    assert_eq!(code, 400);
    assert!(
        bad["error"].as_str().unwrap().contains("length_penalty"),
        "{bad}"
    );
    // Search finds text in the rows, and text only inside the samples
    // (the model's reasoning is not in the summaries).
    assert_eq!(ids(&page(&s, &a, "q=What%20is%203%2B6")).len(), 2);
    let deep = page(&s, &a, "q=adding%202%20and%204");
    assert_eq!(ids(&deep), ["q2_epoch_1", "q2_epoch_2"]);
    assert_eq!(page(&s, &a, "q=no-such-text")["total"], 0);
}

#[test]
fn a_sample_opens_with_its_conversation_and_a_transcript_by_kind() {
    let p = Project::new("");
    let root = p.path();
    let a = place(root, ARITH_A);
    let tools = place(root, TOOLS);
    let s = Server::start(root);

    // Messages: system, user (text and an image), assistant with reasoning.
    let (code, d) = s.get(&format!(
        "/api/results/{}/samples/q1_epoch_1?sort=id",
        enc(&a)
    ));
    assert_eq!(code, 200, "{d}");
    let roles: Vec<&str> = d["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["system", "user", "assistant"]);
    let user_kinds: Vec<&str> = d["messages"][1]["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["kind"].as_str().unwrap())
        .collect();
    assert_eq!(user_kinds, ["text", "image"]);
    assert!(d["messages"][1]["blocks"][1]["src"]
        .as_str()
        .unwrap()
        .starts_with("data:image/png"));
    assert_eq!(d["messages"][2]["blocks"][0]["kind"], "thinking");
    assert_eq!(d["messages"][2]["blocks"][0]["text"], "Adding 1 and 2.");
    assert!(d["messages"][2]["blocks"][1]["html"]
        .as_str()
        .unwrap()
        .contains("ANSWER: 3"));
    assert_eq!(d["nav"]["next"], "q1_epoch_2");
    assert_eq!(d["sample"]["target"], "3");
    assert_eq!(d["sample"]["scores"]["includes"]["value"], "C");
    let kinds = &d["kinds"];
    assert_eq!(
        (kinds["model"].as_u64(), kinds["score"].as_u64()),
        (Some(1), Some(3))
    );
    let model = d["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "model")
        .unwrap();
    assert_eq!(model["tokens"]["total_tokens"], 44);
    assert!(model["duration"].as_f64().is_some());

    // An errored sample: its error, with the traceback, in row and sample.
    let (_, e) = s.get(&format!("/api/results/{}/samples/q4_epoch_1", enc(&a)));
    assert!(e["row"]["error"]
        .as_str()
        .unwrap()
        .contains("deliberate failure"));
    assert!(e["sample"]["error"]["traceback"]
        .as_str()
        .unwrap()
        .contains("RuntimeError"));

    // Tools: calls with function and arguments, a tool error, a result.
    let (_, t) = s.get(&format!("/api/results/{}/samples/t1_epoch_1", enc(&tools)));
    let msgs = t["messages"].as_array().unwrap();
    let call = &msgs[1]["blocks"][1];
    assert_eq!(
        (call["kind"].as_str(), call["name"].as_str()),
        (Some("tool_call"), Some("add"))
    );
    assert!(call["arguments"].as_str().unwrap().contains("\"a\": -1"));
    assert_eq!(msgs[2]["role"], "tool");
    assert_eq!(msgs[2]["tool_call_id"], "call_1");
    assert_eq!(msgs[2]["blocks"][0]["kind"], "error");
    assert_eq!(
        msgs[2]["blocks"][0]["text"],
        "negative numbers are not supported"
    );
    assert_eq!(msgs[4]["blocks"][0]["text"], "42");
    let items = t["transcript"].as_array().unwrap();
    let tool_items: Vec<&Value> = items.iter().filter(|i| i["kind"] == "tool").collect();
    assert_eq!(tool_items.len(), 2);
    assert_eq!(tool_items[0]["error"], "negative numbers are not supported");
    assert_eq!(tool_items[1]["text"], "42");
    assert_eq!(t["kinds"]["model"], 3);
    let model_calls: Vec<&Value> = items.iter().filter(|i| i["kind"] == "model").collect();
    assert_eq!(model_calls[0]["tool_calls"][0], "add({\"a\":-1,\"b\":2})");
    // Each item's time is from the sample's start (items come in the order
    // of the events, which is not always the order of their times).
    let times: Vec<f64> = items.iter().map(|i| i["t"].as_f64().unwrap()).collect();
    assert!(times.iter().all(|t| *t >= 0.0), "{times:?}");
    assert!(
        times.iter().any(|t| *t > 0.0),
        "times, not all zero: {times:?}"
    );
}

#[test]
fn json_logs_and_deflated_eval_logs_read_like_zstd_ones() {
    let p = Project::new("");
    let root = p.path();
    let j = place(root, ARITH_JSON);
    let tools = place(root, TOOLS);
    let old = place(root, TOOLS_DEFLATE);
    let s = Server::start(root);
    let e = entry(&s, &j);
    assert_eq!(
        (e["status"].as_str(), e["format"].as_str()),
        (Some("success"), Some("json"))
    );
    assert_eq!(e["done_samples"], 3);
    let rows = page(&s, &j, "sort=-id");
    assert_eq!(ids(&rows), ["q3_epoch_1", "q2_epoch_1", "q1_epoch_1"]);
    assert_eq!(rows["samples"][0]["scores"]["match"]["value"], "C");
    let (_, d) = s.get(&format!("/api/results/{}/samples/q2_epoch_1", enc(&j)));
    assert_eq!(d["messages"].as_array().unwrap().len(), 3);
    assert_eq!(ids(&page(&s, &j, "q=adding%203")), ["q3_epoch_1"]);
    // The deflated copy opens exactly as the zstd original.
    let (_, new) = s.get(&format!("/api/results/{}/samples/t1_epoch_1", enc(&tools)));
    let (_, before) = s.get(&format!("/api/results/{}/samples/t1_epoch_1", enc(&old)));
    assert_eq!(new["messages"], before["messages"]);
    assert_eq!(new["transcript"], before["transcript"]);
}

#[test]
fn two_logs_of_the_same_task_compare_sample_by_sample() {
    let p = Project::new("");
    let root = p.path();
    let a = place(root, ARITH_A);
    let b = place(root, ARITH_B);
    let tools = place(root, TOOLS);
    let s = Server::start(root);
    let (code, c) = s.get(&format!("/api/compare?a={}&b={}", enc(&a), enc(&b)));
    assert_eq!(code, 200, "{c}");
    assert_eq!(c["same_task"], true);
    let pairs = c["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 10);
    let by_id = |id: &str| pairs.iter().find(|p| p["id"] == id).unwrap().clone();
    // b answers q2 and q3 wrongly, a answers q5 wrongly; q1 is the same.
    let q2 = by_id("q2_epoch_1");
    assert_eq!(
        (q2["a"].as_f64(), q2["b"].as_f64(), q2["delta"].as_f64()),
        (Some(1.0), Some(0.0), Some(-1.0))
    );
    assert_eq!(q2["scores_b"]["match"], "I");
    assert_eq!(by_id("q5_epoch_2")["delta"], 1.0);
    assert_eq!(by_id("q1_epoch_1")["changed"], false);
    assert_eq!(c["changed"], 6);
    // Changed samples first.
    assert!(pairs[..6].iter().all(|p| p["changed"] == true));
    let (code, _) = s.get(&format!("/api/compare?a={}&b=rollouts", enc(&tools)));
    assert_eq!(code, 400);
}

#[test]
fn an_eval_launched_from_devloop_shows_its_samples_while_the_log_is_written() {
    let p = Project::new("");
    let root = p.path();
    let gates = root.join("gates");
    std::fs::create_dir_all(&gates).unwrap();
    let inspect = python().parent().unwrap().join("inspect");
    std::fs::write(
        root.join("devloop.toml"),
        format!(
            "[launch]\ncommand = [{:?}, \"eval\", \"{{config}}\", \"--log-buffer\", \"1\", \"--display\", \"none\"]\nstop_grace_secs = 1\n",
            inspect.to_str().unwrap()
        ),
    )
    .unwrap();
    // A task file as the config: the gated task of tests/inspect/tasks.py,
    // whose samples finish when the test creates their gate file.
    std::fs::write(
        root.join("configs/gated_eval.py"),
        format!(
            "import sys\nsys.path.insert(0, {:?})\nfrom inspect_ai import task\nimport tasks\n\n@task\ndef gated_live():\n    return tasks.gated(gates={:?}, samples=3)\n",
            inspect_dir().to_str().unwrap(),
            gates.to_str().unwrap()
        ),
    )
    .unwrap();
    let s = Server::start(root);
    let mut events = ProjectEvents::open(&s.url);
    let run = s.launch("gated_eval.py");

    // The log appears, started, linked to the run, with nothing done yet.
    let log = wait_for("the log to be listed", || {
        entries(&s)
            .into_iter()
            .find(|e| e["kind"] == "inspect" && e["task"] == "gated")
    });
    let name = log["name"].as_str().unwrap().to_string();
    assert!(name.starts_with("logs/"), "{name}");
    assert_eq!(log["status"], "started");
    assert_eq!(log["run_id"], run.as_str());
    assert_eq!(log["total_samples"], 3);

    // Each sample shows up as it completes, while the eval still runs.
    for (k, id) in ["q2", "q1"].iter().enumerate() {
        std::fs::write(gates.join(id), "").unwrap();
        let rows = wait_for("the finished sample to be listed", || {
            let pg = page(&s, &name, "");
            (pg["total"].as_u64() == Some(k as u64 + 1)).then_some(pg)
        });
        assert!(ids(&rows).contains(&format!("{id}_epoch_1")), "{rows}");
        let (code, d) = s.get(&format!("/api/results/{}/samples/{id}_epoch_1", enc(&name)));
        assert_eq!(code, 200);
        let msgs = d["messages"].as_array().unwrap();
        assert_eq!(msgs.len(), 3);
        assert!(msgs[2]["blocks"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("ANSWER: "));
        assert_eq!(entry(&s, &name)["status"], "started");
    }
    events.wait_for(|e| e["type"] == "results_changed");
    std::fs::write(gates.join("q3"), "").unwrap();
    let done = wait_for("the log to end", || {
        let e = entry(&s, &name);
        (e["status"] == "success").then_some(e)
    });
    assert_eq!(done["done_samples"], 3);
    assert_eq!(done["summary_metrics"]["match/accuracy"], 1.0);
    s.wait_ended(&run);
}

#[test]
fn the_demo_lists_the_inspect_logs_it_carries_and_opens_their_samples() {
    // Logs the pinned inspect-ai wrote, kept in demo/logs so a newcomer sees
    // Inspect logs beside results without installing Inspect.
    let dir = tempfile::tempdir().unwrap();
    let root = devloop::demo::materialize(Some(&dir.path().join("demo"))).unwrap();
    let s = Server::start(&root);
    let logs = wait_for("the demo's Inspect logs listed", || {
        let logs: Vec<Value> = entries(&s)
            .into_iter()
            .filter(|e| e["kind"] == "inspect")
            .collect();
        (logs.len() == 3).then_some(logs)
    });
    let by_task = |t: &str| {
        logs.iter()
            .find(|e| e["eval_name"] == t)
            .unwrap_or_else(|| panic!("no {t} log: {logs:?}"))
    };
    assert_eq!(by_task("arith")["status"], "success");
    assert_eq!(by_task("tools")["status"], "success");
    assert_eq!(by_task("failing")["status"], "error");
    let tools = by_task("tools")["name"].as_str().unwrap().to_string();
    let first = ids(&page(&s, &tools, "limit=5"))[0].clone();
    let (code, d) = s.get(&format!("/api/results/{}/samples/{first}", enc(&tools)));
    assert_eq!(code, 200, "{d}");
    let calls = d["messages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["blocks"].as_array().unwrap())
        .filter(|b| b["kind"] == "tool_call")
        .count();
    assert_eq!(calls, 2, "{d}");
}
