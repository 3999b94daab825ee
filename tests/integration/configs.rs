//! Configs and datasets through the HTTP API: conflicting saves, copies,
//! validation, launch refusing an invalid config, bad names, big datasets.

use serde_json::json;

use crate::helper::{Project, Server};

fn put(s: &Server, name: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let r = ureq::put(&format!("{}/api/configs/{name}", s.url)).send_json(body);
    match r {
        Ok(resp) => (resp.status(), resp.into_json().unwrap()),
        Err(ureq::Error::Status(code, resp)) => (code, resp.into_json().unwrap()),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn a_second_save_from_a_stale_copy_is_told_and_can_overwrite_on_purpose() {
    let p = Project::new("");
    p.config("exp.toml", "lr = 1\n");
    let s = Server::start(p.path());
    let (code, a) = s.get("/api/configs/exp.toml");
    assert_eq!(code, 200);
    assert_eq!(a["content"], "lr = 1\n");
    let base = a["version"].as_str().unwrap().to_string();
    let (code, saved) = put(
        &s,
        "exp.toml",
        json!({"content": "lr = 2\n", "base_version": base}),
    );
    assert_eq!(code, 200, "{saved}");
    // Another tab still holds the first version.
    let (code, err) = put(
        &s,
        "exp.toml",
        json!({"content": "lr = 3\n", "base_version": base}),
    );
    assert_eq!(code, 409);
    assert!(err["error"]
        .as_str()
        .unwrap()
        .contains("changed since you opened it"));
    assert_eq!(
        std::fs::read_to_string(p.path().join("configs/exp.toml")).unwrap(),
        "lr = 2\n"
    );
    // An outside editor changes it too.
    std::fs::write(p.path().join("configs/exp.toml"), "lr = 9\n").unwrap();
    let (code, _) = put(
        &s,
        "exp.toml",
        json!({"content": "lr = 4\n", "base_version": saved["version"]}),
    );
    assert_eq!(code, 409);
    let (code, _) = put(
        &s,
        "exp.toml",
        json!({"content": "lr = 4\n", "base_version": base, "force": true}),
    );
    assert_eq!(code, 200);
    assert_eq!(
        std::fs::read_to_string(p.path().join("configs/exp.toml")).unwrap(),
        "lr = 4\n"
    );
    // Creating a file that exists is a conflict too.
    let (code, _) = put(&s, "exp.toml", json!({"content": "x = 1\n"}));
    assert_eq!(code, 409);
}

#[test]
fn copy_checks_the_new_name_and_suggests_a_numbered_one() {
    let p = Project::new("");
    p.config("01_baseline.py", "X = 1\n");
    let s = Server::start(p.path());
    let (_, c) = s.get("/api/configs/01_baseline.py");
    assert_eq!(c["suggested_copy_name"], "02_baseline.py");
    let (code, copied) = s.post(
        "/api/configs/01_baseline.py",
        json!({"new_name": "02_baseline.py"}),
    );
    assert_eq!(code, 200, "{copied}");
    assert_eq!(
        std::fs::read_to_string(p.path().join("configs/02_baseline.py")).unwrap(),
        "X = 1\n"
    );
    for (bad, want) in [
        ("02_baseline.py", 409),
        ("../x.py", 400),
        ("x.toml", 400),
        ("x.sh", 400),
    ] {
        let (code, body) = s.post("/api/configs/01_baseline.py", json!({"new_name": bad}));
        assert_eq!(code, want, "{bad}: {body}");
        assert!(body["error"].is_string());
    }
    let (_, list) = s.get("/api/configs");
    let names: Vec<_> = list["configs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["01_baseline.py", "02_baseline.py"]);
}

#[test]
fn a_cryptic_syntax_error_is_said_in_plain_words_with_its_line_and_column() {
    let project = Project::new("");
    let s = Server::start(project.path());
    let check = |name: &str, content: &str| {
        let (code, v) = s.post(
            "/api/configs/validate",
            json!({"name": name, "content": content}),
        );
        assert_eq!((code, &v["ok"]), (200, &json!(false)), "{v}");
        v["problems"][0].clone()
    };
    // toml says "invalid string, expected '\"', '''" for this.
    let p = check("eval.toml", "model = \"m\"\nsamples = = 3\n");
    assert_eq!(
        (p["line"].as_u64(), p["column"].as_u64()),
        (Some(2), Some(11))
    );
    assert!(
        p["message"].as_str().unwrap().contains("one `=` too many"),
        "{p}"
    );
    assert!(
        p["detail"].as_str().unwrap().contains("invalid string"),
        "the parser's words stay beside: {p}"
    );
    let p = check("eval.toml", "model = gpt-4o\n");
    assert!(
        p["message"].as_str().unwrap().contains("needs quotes"),
        "{p}"
    );
    let p = check("eval.json", "{\"samples\": 3,}");
    assert!(
        p["message"]
            .as_str()
            .unwrap()
            .contains("no comma after the last item"),
        "{p}"
    );
    assert_eq!(p["line"], 1);
    let p = check("eval.yaml", "model: m\n  samples: 3\n");
    assert!(
        p["message"].as_str().unwrap().contains("indented deeper"),
        "{p}"
    );
    assert_eq!(p["line"], 2);
    // Launching it says the same words.
    project.config("eval.toml", "samples = = 3\n");
    let (code, err) = s.post("/api/launch", json!({"configName": "eval.toml"}));
    assert_eq!(code, 400);
    assert!(
        err["error"].as_str().unwrap().contains("one `=` too many"),
        "{err}"
    );
}

#[test]
fn validation_names_line_and_column_and_launch_refuses_an_invalid_config() {
    let p = Project::new("[validate]\npy = [\"python3\", \"-m\", \"py_compile\", \"{config}\"]\n");
    p.config("bad.toml", "a = 1\nb = = 2\n");
    p.config("bad.py", "def f(:\n    pass\n");
    p.config("good.json", "{\"a\": 1}");
    let s = Server::start(p.path());
    let (_, v) = s.post("/api/configs/validate", json!({"name": "bad.toml"}));
    assert_eq!(v["ok"], false);
    assert_eq!(v["problems"][0]["line"], 2);
    let (_, v) = s.post(
        "/api/configs/validate",
        json!({"name": "x.yaml", "content": "a: [1\nb: 2\n"}),
    );
    assert_eq!(v["ok"], false);
    assert!(v["problems"][0]["line"].is_number());
    let (_, v) = s.post("/api/configs/validate", json!({"name": "bad.py"}));
    assert_eq!(v["ok"], false, "{v}");
    assert!(
        v["output"].as_str().unwrap().contains("bad.py"),
        "output names the config: {v}"
    );
    assert_eq!(v["problems"][0]["line"], 1);
    let (_, v) = s.post("/api/configs/validate", json!({"name": "good.json"}));
    assert_eq!(v["ok"], true);
    let (code, err) = s.post("/api/launch", json!({"configName": "bad.toml"}));
    assert_eq!(code, 400);
    assert!(err["error"].as_str().unwrap().contains("line 2"), "{err}");
    assert_eq!(
        s.get("/api/runs").1["runs"].as_array().unwrap().len(),
        0,
        "nothing launched"
    );
}

#[test]
fn a_run_keeps_the_config_it_used() {
    let p = Project::new("");
    p.config("c.py", "print('v1')\n");
    let s = Server::start(p.path());
    let id = s.launch("c.py");
    s.wait_ended(&id);
    p.config("c.py", "print('v2')\n");
    let (code, snap) = s.get(&format!("/api/runs/{id}/config"));
    assert_eq!(code, 200);
    assert_eq!(snap["content"], "print('v1')\n");
    let (_, list) = s.get("/api/configs");
    assert_eq!(list["configs"][0]["last_run"]["status"], "succeeded");
}

#[test]
fn datasets_list_and_page_without_loading_the_file() {
    let p = Project::new("");
    let dir = p.path().join("datasets");
    std::fs::create_dir_all(&dir).unwrap();
    let mut big = String::new();
    for i in 0..25_000 {
        big.push_str(&format!("{{\"question\": \"q{i}\", \"answer\": {i}}}\n"));
        if i == 20_000 {
            big.push_str("{not json\n");
        }
    }
    std::fs::write(dir.join("big.jsonl"), big).unwrap();
    std::fs::write(dir.join("small.json"), "[{\"a\": 1}, {\"b\": 2}]").unwrap();
    std::fs::write(dir.join("broken.json"), "[{").unwrap();
    let s = Server::start(p.path());
    let (_, list) = s.get("/api/datasets");
    let ds = list["datasets"].as_array().unwrap();
    assert_eq!(ds.len(), 3);
    assert_eq!(ds[0]["name"], "big.jsonl");
    assert_eq!(ds[0]["rows"], 25_001);
    assert_eq!(
        ds[0]["invalid_rows"], 1,
        "the row that is not JSON is counted"
    );
    assert_eq!(ds[2]["invalid_rows"], 0);
    assert!(ds[1]["error"].as_str().unwrap().contains("not valid JSON"));
    let (_, page) = s.get("/api/datasets/big.jsonl?offset=19999&limit=3");
    assert_eq!(page["total"], 25_001);
    assert_eq!(page["invalid"], 1);
    assert_eq!(page["fields"], json!(["question", "answer"]));
    assert_eq!(page["rows"][0]["answer"], 19_999);
    assert_eq!(page["rows"][1]["answer"], 20_000);
    assert!(page["rows"][2]["_error"]
        .as_str()
        .unwrap()
        .contains("row 20002"));
    let (_, small) = s.get("/api/datasets/small.json");
    assert_eq!(small["fields"], json!(["a", "b"]));
    assert_eq!(s.get("/api/datasets/..%2Fdevloop.toml").0, 404);
}

#[test]
fn a_config_changed_by_another_editor_is_announced() {
    let p = Project::new("");
    p.config("a.py", "A = 1\n");
    let s = Server::start(p.path());
    let mut events = crate::helper::ProjectEvents::open(&s.url);
    // The watcher compares with what it saw last: keep editing until it has
    // seen a before and an after.
    for i in 0..30 {
        p.config("a.py", &format!("A = {i}  # edited elsewhere\n"));
        if events.try_wait(std::time::Duration::from_secs(3), |e| {
            e["type"] == "configs_changed"
        }) {
            return;
        }
    }
    panic!("no configs_changed after editing a config");
}

#[test]
fn a_project_schema_validates_declarative_configs_and_blocks_their_launch() {
    let p = Project::new("");
    p.config(
        "_schema.json",
        r#"{"type": "object", "required": ["lr"],
            "properties": {"lr": {"type": "number", "maximum": 1, "description": "learning rate"},
                           "model": {"enum": ["small", "large"]}}}"#,
    );
    p.config("bad.toml", "lr = 5\nmodel = \"huge\"\n");
    p.config("good.yaml", "lr: 0.1\nmodel: small\n");
    let s = Server::start(p.path());
    let (_, v) = s.post("/api/configs/validate", json!({"name": "bad.toml"}));
    assert_eq!(v["ok"], false, "{v}");
    let messages: Vec<&str> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["message"].as_str().unwrap())
        .collect();
    assert!(
        messages.iter().any(|m| m.starts_with("/lr")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.starts_with("/model")),
        "{messages:?}"
    );
    let (_, v) = s.post("/api/configs/validate", json!({"name": "good.yaml"}));
    assert_eq!(v["ok"], true, "{v}");
    let (code, err) = s.post("/api/launch", json!({"configName": "bad.toml"}));
    assert_eq!(code, 400);
    assert!(err["error"].as_str().unwrap().contains("/lr"), "{err}");
    let (_, listed) = s.get("/api/configs");
    assert!(
        listed["configs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["name"] != "_schema.json"),
        "the schema is hidden"
    );
    let (code, schema) = s.get("/api/configs/_schema.json");
    assert_eq!(code, 200, "the page can read the schema for its form");
    assert!(schema["content"]
        .as_str()
        .unwrap()
        .contains("learning rate"));
}

/// The count of change notices an answer carries (`x-devloop-seq`).
fn mark_of(s: &Server, path: &str) -> String {
    let r = ureq::get(&format!("{}{path}", s.url)).call().unwrap();
    r.header("x-devloop-seq")
        .expect("an API answer says the count of change notices")
        .to_string()
}

#[test]
fn the_event_feed_opens_at_the_count_the_lists_were_read_at_and_each_change_moves_it() {
    // The page re-reads its lists when its feed opens only if a notice came
    // between: the feed's hello and the lists' answers must say the same count
    // when nothing changed, and different ones when something did.
    let p = Project::new("");
    p.config("a.py", "A = 1\n");
    let mut s = Server::start(p.path());
    let read_at = mark_of(&s, "/api/configs");
    assert_eq!(mark_of(&s, "/api/results"), read_at);
    let mut events = crate::helper::ProjectEvents::open(&s.url);
    let hello = events.wait_for(|_| true);
    assert_eq!(hello["type"], "hello", "the feed opens with hello: {hello}");
    assert_eq!(hello["seq"], read_at.as_str(), "nothing changed in between");

    let (code, _) = put(&s, "b.py", json!({"content": "B = 2\n"}));
    assert_eq!(code, 200);
    let notice = events.wait_for(|e| e["type"] == "configs_changed");
    let moved = notice["seq"].as_str().expect("a notice carries its count");
    assert_ne!(moved, read_at);
    // (The file watcher may announce the new file once more: counts only grow.)
    let count = |m: &str| -> (String, u64) {
        let (server, n) = m.split_once('.').expect("server.count");
        (server.to_string(), n.parse().expect("a count"))
    };
    let (server, n) = count(moved);
    assert_eq!(count(&read_at).0, server);
    let later = count(&mark_of(&s, "/api/configs"));
    assert!(
        later.0 == server && later.1 >= n,
        "an answer read after it counts it"
    );
    // A page that read its lists before the change and opens its feed after it sees the gap.
    let mut late = crate::helper::ProjectEvents::open(&s.url);
    let hello = late.wait_for(|_| true);
    assert_ne!(hello["seq"], read_at.as_str());

    // Another server's count is never mistaken for this one's, even at the same number.
    let before_restart = mark_of(&s, "/api/runs");
    s.kill();
    let s = Server::start(p.path());
    let after_restart = mark_of(&s, "/api/runs");
    assert_ne!(
        before_restart.split('.').next(),
        after_restart.split('.').next()
    );
}
