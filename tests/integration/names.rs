//! Names as users give them: spaces, parentheses, unicode, punctuation, HTML,
//! control characters, 255 bytes. Each is made on disk by the test and then
//! used through every route that takes a name, and through the CLI. (The
//! escape cases live in `hostile.rs`; they must stay refused.)

use std::process::Command;

use devloop::cli::segment;
use serde_json::{json, Value};

use crate::helper::{bin, wait_for, Project, Server};

/// Stems people really use. The last one makes a 255-byte file name with `.py`.
fn stems() -> Vec<String> {
    let mut v: Vec<String> = [
        "my eval (v2)_20261120_100000",
        "café",
        "日本",
        "a+b",
        "u@h",
        "r#1",
        "100%",
        "x,y;z",
        "it's",
        "say \"hi\"",
        "<img src=x onerror=alert(1)>",
        "line\nbreak",
        "tab\there",
        "a..b",
        "%2e%2e",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push(format!("{}x", "é".repeat(125)));
    v
}

fn names_in(list: &Value, key: &str) -> Vec<String> {
    list[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn configs_with_any_name_are_listed_opened_saved_copied_launched_and_deleted() {
    let p = Project::new("");
    for stem in stems() {
        p.config(&format!("{stem}.py"), &format!("print({stem:?})\n"));
    }
    let deep = "a/b c/d/e (f)/g/h";
    std::fs::create_dir_all(p.path().join("configs").join(deep)).unwrap();
    p.config(&format!("{deep}/deep é.py"), "print('deep')\n");
    let s = Server::start(p.path());

    let (code, list) = s.get("/api/configs");
    assert_eq!(code, 200);
    let listed = names_in(&list, "configs");
    for stem in stems() {
        assert!(listed.contains(&format!("{stem}.py")), "{stem:?} missing");
    }
    assert!(listed.contains(&format!("{deep}/deep é.py")), "{listed:?}");

    for stem in stems() {
        let name = format!("{stem}.py");
        let url = format!("/api/configs/{}", segment(&name));
        let (code, file) = s.get(&url);
        assert_eq!(code, 200, "open {name:?}: {file}");
        assert_eq!(file["content"], format!("print({stem:?})\n"));
        let suggested = file["suggested_copy_name"].as_str().unwrap().to_string();
        assert!(suggested.len() <= 255, "{suggested:?} is too long");

        let (code, saved) = s.put(
            &url,
            json!({"content": "print('edited')\n", "base_version": file["version"]}),
        );
        assert_eq!(code, 200, "save {name:?}: {saved}");

        let (code, copied) = s.post(&url, json!({ "new_name": suggested }));
        assert_eq!(code, 200, "copy {name:?} to {suggested:?}: {copied}");
        assert_eq!(
            std::fs::read_to_string(p.path().join("configs").join(&suggested)).unwrap(),
            "print('edited')\n"
        );
        let (code, v) = s.post("/api/configs/validate", json!({ "name": name }));
        assert_eq!(
            (code, v["ok"].as_bool()),
            (200, Some(true)),
            "{name:?}: {v}"
        );

        let id = s.launch(&name);
        let run = s.wait_ended(&id);
        assert_eq!(run["status"], "succeeded", "{name:?}: {run}");
        assert_eq!(run["config_name"], name.as_str());
        let (code, snap) = s.get(&format!("/api/runs/{id}/config"));
        assert_eq!(
            (code, snap["content"].as_str()),
            (200, Some("print('edited')\n"))
        );

        let (code, gone) = s.delete(&format!("/api/configs/{}", segment(&suggested)));
        assert_eq!(code, 200, "delete {suggested:?}: {gone}");
        assert!(!p.path().join("configs").join(&suggested).exists());
    }

    let id = s.launch(&format!("{deep}/deep é.py"));
    assert_eq!(s.wait_ended(&id)["status"], "succeeded");
}

#[test]
fn a_stem_launches_the_one_config_that_has_it_and_an_ambiguous_one_lists_the_candidates() {
    let p = Project::new("");
    p.config("01_baseline.py", "print('baseline')\n");
    p.config("twin.py", "print(1)\n");
    p.config("twin.toml", "x = 1\n");
    let s = Server::start(p.path());
    let id = s.launch("01_baseline");
    let run = s.wait_ended(&id);
    assert_eq!(run["config_name"], "01_baseline.py");
    assert_eq!(run["status"], "succeeded");
    let (code, body) = s.post("/api/launch", json!({"configName": "twin"}));
    assert_eq!(code, 409, "{body}");
    let msg = body["error"].as_str().unwrap();
    assert!(
        msg.contains("twin.py") && msg.contains("twin.toml"),
        "{msg}"
    );
    let (code, body) = s.post("/api/launch", json!({"configName": "configs/twin.py"}));
    assert_eq!(code, 200, "a path from the project works too: {body}");
    let (code, _) = s.post("/api/launch", json!({"configName": "nothing"}));
    assert_eq!(code, 404);
}

#[test]
fn the_seed_stream_route_carries_line_beside_text() {
    let p = Project::new("");
    p.config("hello.py", "print('hello seed')\n");
    let s = Server::start(p.path());
    let id = s.launch("hello.py");
    s.wait_ended(&id);
    let resp = ureq::get(&format!("{}/api/stream/{id}", s.url))
        .call()
        .unwrap();
    let mut sse = crate::helper::Sse::from_response(resp);
    let out = sse.read_until(|v| v["text"] == "hello seed");
    assert_eq!(out["line"], "hello seed");
    assert_eq!(out["type"], "stdout");
    let complete = sse.read_until_complete();
    assert_eq!(
        complete["run"]["status"], "succeeded",
        "complete carries the run"
    );
    let own = s.stream_all(&id, None);
    let rec = own
        .records()
        .into_iter()
        .find(|v| v["text"] == "hello seed")
        .unwrap();
    assert!(rec.get("line").is_none(), "the own route stays as it was");
}

fn write_result(dir: &std::path::Path, eval: &str, ids: &[String]) {
    std::fs::create_dir_all(dir.join("samples")).unwrap();
    std::fs::write(
        dir.join("report.json"),
        json!({"eval_name": eval, "sample_ids": ids, "summary_metrics": {"mean_reward": 0.5}})
            .to_string(),
    )
    .unwrap();
    for (i, id) in ids.iter().enumerate() {
        std::fs::write(
            dir.join("samples").join(format!("{id}.json")),
            json!({"id": id, "reward": i as f64, "trajectory": {"messages": [
                {"role": "user", "content": format!("question {id}")},
                {"role": "assistant", "content": "answer"}]}})
            .to_string(),
        )
        .unwrap();
    }
}

#[test]
fn results_and_samples_with_any_name_open_compare_and_delete() {
    let p = Project::new("");
    let ids: Vec<String> = ["s 1", "é#2", "100%", "a+b"].map(String::from).to_vec();
    let results = p.path().join("results");
    for stem in stems() {
        write_result(&results.join(&stem), "same eval", &ids);
    }
    let s = Server::start(p.path());
    let (code, list) = s.get("/api/results");
    assert_eq!(code, 200);
    let listed = names_in(&list, "results");
    for stem in stems() {
        assert!(listed.contains(&stem), "{stem:?} not listed");
        let r = format!("/api/results/{}", segment(&stem));
        let (code, got) = s.get(&r);
        assert_eq!(code, 200, "open {stem:?}: {got}");
        assert_eq!(got["summary"]["status"], "complete");
        let (code, page) = s.get(&format!("{r}/samples"));
        assert_eq!(code, 200, "{stem:?}: {page}");
        assert_eq!(page["samples"].as_array().unwrap().len(), ids.len());
        let (code, dist) = s.get(&format!("{r}/distribution"));
        assert_eq!(code, 200, "{stem:?}: {dist}");
        assert_eq!(
            dist["with_value"],
            ids.len(),
            "every sample's reward read: {dist}"
        );
        for id in &ids {
            let (code, one) = s.get(&format!("{r}/samples/{}", segment(id)));
            assert_eq!(code, 200, "{stem:?}/{id:?}: {one}");
            assert!(one.to_string().contains(&format!("question {id}")));
        }
    }
    let (a, b) = (&stems()[0], &stems()[10]);
    let (code, cmp) = s.get(&format!("/api/compare?a={}&b={}", segment(a), segment(b)));
    assert_eq!(code, 200, "{cmp}");
    let paired: Vec<&str> = cmp["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(paired.len(), ids.len(), "{cmp}");
    assert!(
        ids.iter().all(|id| paired.contains(&id.as_str())),
        "{paired:?}"
    );
    let (code, _) = s.delete(&format!("/api/results/{}", segment(a)));
    assert_eq!(code, 200);
    assert!(!results.join(a).exists());
    assert!(results.join(b).exists());
}

#[test]
fn a_folder_name_that_is_not_utf8_is_listed_with_what_to_do() {
    use std::os::unix::ffi::OsStrExt;
    let p = Project::new("");
    let raw = std::ffi::OsStr::from_bytes(b"latin1 caf\xe9");
    write_result(&p.path().join("results").join(raw), "x", &[]);
    p.config("ok.py", "");
    std::fs::write(
        p.path()
            .join("configs")
            .join(std::ffi::OsStr::from_bytes(b"bad\xff.py")),
        "",
    )
    .unwrap();
    let s = Server::start(p.path());
    let (_, results) = s.get("/api/results");
    let r = &results["results"][0];
    assert!(r["error"].as_str().unwrap().contains("UTF-8"), "{results}");
    let (_, configs) = s.get("/api/configs");
    let bad = configs["configs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"].as_str().unwrap().starts_with("bad"))
        .expect("listed");
    assert!(
        bad["error"].as_str().unwrap().contains("UTF-8"),
        "{configs}"
    );
}

#[test]
fn datasets_with_any_name_are_listed_and_previewed() {
    let p = Project::new("");
    let dir = p.path().join("datasets");
    std::fs::create_dir_all(&dir).unwrap();
    let names: Vec<String> = stems()
        .iter()
        .map(|stem| format!("{}.jsonl", devloop::names::truncate_bytes(stem, 249)))
        .collect();
    for name in &names {
        std::fs::write(dir.join(name), "{\"q\": 1}\n{\"q\": 2}\n").unwrap();
    }
    let s = Server::start(p.path());
    let (_, list) = s.get("/api/datasets");
    let listed = names_in(&list, "datasets");
    for name in names {
        assert!(listed.contains(&name), "{name:?} not listed");
        let (code, preview) = s.get(&format!("/api/datasets/{}", segment(&name)));
        assert_eq!(code, 200, "{name:?}: {preview}");
        assert_eq!(preview["total"], 2, "{preview}");
    }
}

fn cli(s: &Server, dir: &std::path::Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(bin())
        .args(args)
        .current_dir(dir)
        .env("DEVLOOP_URL", &s.url)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_cli_takes_names_as_a_terminal_user_types_them() {
    let p = Project::new("");
    p.config("quick.py", "print('quick ran')\n");
    p.config("-rf.py", "print('dash ran')\n");
    p.config("my eval (v2).py", "print('spaces ran')\n");
    let s = Server::start(p.path());
    let d = p.path();
    for (arg, want) in [
        ("configs/quick.py", "quick ran"),
        ("quick", "quick ran"),
        ("-rf.py", "dash ran"),
        ("my eval (v2).py", "spaces ran"),
    ] {
        let (code, out, err) = cli(&s, d, &["launch", arg, "--follow"]);
        assert_eq!(code, Some(0), "launch {arg:?}: {err}");
        assert!(out.contains(want), "launch {arg:?}: {out}");
    }
    let elsewhere = tempfile::tempdir().unwrap();
    let path = d.join("configs/quick.py");
    let (code, _, err) = cli(&s, elsewhere.path(), &["launch", path.to_str().unwrap()]);
    assert_eq!(code, Some(0), "an absolute path from another folder: {err}");

    let (code, _, err) = cli(&s, d, &["logs", "../../etc"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("no run") || err.contains("invalid name"),
        "{err}"
    );
    let (code, _, err) = cli(&s, d, &["logs", "nosuchrun"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("no run"), "{err}");
    assert!(!err.contains("404"), "no raw status code: {err}");

    let (_, table, _) = cli(&s, d, &["runs"]);
    assert!(
        table.contains("STARTED") && table.contains("DURATION"),
        "{table}"
    );
    let id = table
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    wait_for("the run to end", || {
        (s.run(&id)["status"] != "running").then_some(())
    });
    let (code, _, err) = cli(&s, d, &["stop", &id]);
    assert_eq!(code, Some(1));
    assert!(err.contains("already ended"), "{err}");
}

#[test]
fn logs_follow_against_a_server_that_is_down_says_so_at_once() {
    let mut s = Server::start(Project::new("").path());
    s.kill();
    let mut child = Command::new(bin())
        .args(["logs", "-f", "20261129-000000-abcd"])
        .env("DEVLOOP_URL", &s.url)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    // Read on a thread, so a CLI that says nothing fails the test instead
    // of hanging it.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut first = String::new();
        let _ = std::io::BufRead::read_line(&mut err, &mut first);
        let _ = tx.send(first);
    });
    let first = rx
        .recv_timeout(std::time::Duration::from_secs(30))
        .unwrap_or_default();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        first.contains("cannot reach devloop") && first.contains("retrying"),
        "{first}"
    );
}
