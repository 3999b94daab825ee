//! Results through the HTTP API: well-formed, malformed, half-written, big,
//! both message formats, comparison, and the link to the run that wrote it.

use std::path::Path;

use serde_json::{json, Value};

use crate::helper::{wait_for, Project, Server};

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A rollouts-style result with one sample per (id, reward).
fn make_result(root: &Path, name: &str, dataset: &str, samples: &[(&str, f64)]) {
    let dir = root.join("results").join(name);
    let ids: Vec<&str> = samples.iter().map(|(id, _)| *id).collect();
    let mean = samples.iter().map(|(_, r)| r).sum::<f64>() / samples.len().max(1) as f64;
    write(
        &dir.join("report.json"),
        &json!({"eval_name": "calc", "dataset_path": dataset, "total_samples": samples.len(),
                "summary_metrics": {"mean_reward": mean}, "timestamp": "2026-11-25T10:00:00", "sample_ids": ids})
        .to_string(),
    );
    for (id, reward) in samples {
        let traj = json!({"messages": [
            {"role": "user", "content": format!("question for {id}")},
            {"role": "assistant", "content": [{"type": "text", "text": "answer"}]}
        ], "rewards": reward});
        write(
            &dir.join(format!("trajectories/{id}.jsonl")),
            &format!("{traj}\n"),
        );
    }
}

#[test]
fn malformed_results_are_listed_with_what_is_wrong_and_never_break_the_rest() {
    let p = Project::new("");
    let root = p.path();
    make_result(root, "good", "d.jsonl", &[("s1", 1.0), ("s2", 0.0)]);
    write(&root.join("results/zero/report.json"), "");
    write(&root.join("results/broken/report.json"), "{\"eval_name\": ");
    write(
        &root.join("results/running/events.jsonl"),
        "{\"type\":\"sample_start\"}\n",
    );
    write(
        &root.join("results/running/trajectories/s1.jsonl"),
        "{\"messages\": [",
    );
    write(&root.join("results/a_file_not_a_folder"), "x");
    std::fs::create_dir_all(root.join("results/nothing")).unwrap();
    let s = Server::start(root);
    let (code, body) = s.get("/api/results");
    assert_eq!(code, 200);
    let by_name: std::collections::HashMap<String, Value> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["name"].as_str().unwrap().to_string(), r.clone()))
        .collect();
    assert_eq!(by_name.len(), 5, "{body}");
    assert_eq!(by_name["good"]["status"], "complete");
    assert_eq!(by_name["good"]["summary_metrics"]["mean_reward"], 0.5);
    assert!(by_name["zero"]["error"]
        .as_str()
        .unwrap()
        .contains("0 bytes"));
    assert!(by_name["broken"]["error"]
        .as_str()
        .unwrap()
        .contains("not valid JSON"));
    assert_eq!(by_name["running"]["status"], "running");
    // A folder a run has only just made is not broken.
    assert_eq!(by_name["nothing"]["status"], "empty");
    // The half-written sample is a row with its problem, not a failure.
    let (code, page) = s.get("/api/results/running/samples");
    assert_eq!(code, 200);
    assert!(page["samples"][0]["malformed"]
        .as_str()
        .unwrap()
        .contains("not valid JSON"));
    let (code, one) = s.get("/api/results/running/samples/s1");
    assert_eq!(code, 200);
    assert!(one["error"].is_string());
    for path in [
        "/api/results/zero",
        "/api/results/broken/samples",
        "/api/results/zero/distribution",
    ] {
        assert_eq!(s.get(path).0, 200, "{path}");
    }
    for path in [
        "/api/results/..%2F..%2Fetc",
        "/api/results/good/samples/..%2Freport",
        "/api/results/missing",
    ] {
        let (code, body) = s.get(path);
        assert!((400..500).contains(&code), "{path} gave {code}");
        assert!(body["error"].is_string());
    }
}

#[test]
fn a_big_result_pages_sorts_filters_and_searches_on_the_server() {
    let p = Project::new("");
    let samples: Vec<(String, f64)> = (0..3000)
        .map(|i| (format!("s{i:05}"), (i % 7) as f64 / 6.0))
        .collect();
    let refs: Vec<(&str, f64)> = samples.iter().map(|(id, r)| (id.as_str(), *r)).collect();
    make_result(p.path(), "big", "d.jsonl", &refs);
    let err_dir = p.path().join("results/big/samples/s00042.json");
    write(
        &err_dir,
        &json!({"id": "s00042", "status": "failed", "reward": 0.0, "metadata": {"error": "ProviderError[openai]: boom"},
                "trajectory": {"messages": [{"role": "user", "content": "needle-in-haystack"}]}})
        .to_string(),
    );
    let s = Server::start(p.path());
    let (_, first) = s.get("/api/results/big/samples?limit=50");
    assert_eq!(first["total"], 3000);
    assert_eq!(first["samples"].as_array().unwrap().len(), 50);
    assert_eq!(first["samples"][0]["id"], "s00000");
    let (_, top) = s.get("/api/results/big/samples?sort=-reward&limit=5");
    assert!(top["samples"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["reward"] == 1.0));
    let (_, errors) = s.get("/api/results/big/samples?has_error=true");
    assert_eq!(errors["total"], 1);
    assert_eq!(errors["samples"][0]["error"], "ProviderError[openai]: boom");
    let (_, range) = s.get("/api/results/big/samples?min_reward=0.9&max_reward=1.0");
    assert_eq!(range["total"], (0..3000).filter(|i| i % 7 == 6).count());
    let (_, found) = s.get("/api/results/big/samples?q=NEEDLE-in");
    assert_eq!(found["total"], 1);
    assert_eq!(found["samples"][0]["id"], "s00042");
    let (_, dist) = s.get("/api/results/big/distribution");
    assert_eq!(dist["samples"], 3000);
    assert_eq!(
        dist["histogram"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_u64().unwrap())
            .sum::<u64>(),
        3000
    );
    let (code, bad) = s.get("/api/results/big/samples?sort=colour");
    assert_eq!(code, 400);
    assert!(bad["error"].as_str().unwrap().contains("colour"));
}

#[test]
fn a_sample_renders_both_message_formats_with_safe_markdown() {
    let p = Project::new("");
    let dir = p.path().join("results/mixed");
    write(
        &dir.join("report.json"),
        &json!({"eval_name": "mixed", "sample_ids": ["r", "o"]}).to_string(),
    );
    let rollouts = json!({"messages": [
        {"role": "system", "content": "Be **careful**. <script>alert(1)</script>"},
        {"role": "assistant", "content": [
            {"type": "thinking", "thinking": "let me think"},
            {"type": "text", "text": "```python\nprint(2)\n```"},
            {"type": "toolCall", "id": "c1", "name": "calculator", "arguments": {"expression": "1+1"}},
            {"type": "image", "image_url": "data:image/png;base64,iVBORw0KGgo="},
            {"type": "hologram", "beam": 1}
        ]},
        {"role": "tool", "tool_call_id": "c1", "content": "2"}
    ], "rewards": {"correct": 1.0}});
    let openai = json!({"messages": [
        {"role": "assistant", "content": null, "tool_calls": [
            {"id": "call_9", "type": "function", "function": {"name": "search", "arguments": "{\"q\": \"x\"}"}}]},
        {"role": "tool", "tool_call_id": "call_9", "content": "found"}
    ], "reward": 0.5});
    write(&dir.join("trajectories/r.jsonl"), &format!("{rollouts}\n"));
    write(&dir.join("trajectories/o.jsonl"), &format!("{openai}\n"));
    let s = Server::start(p.path());
    let (code, r) = s.get("/api/results/mixed/samples/r");
    assert_eq!(code, 200);
    let msgs = r["messages"].as_array().unwrap();
    let system_html = msgs[0]["blocks"][0]["html"].as_str().unwrap();
    assert!(system_html.contains("<strong>careful</strong>") && !system_html.contains("<script"));
    let kinds: Vec<&str> = msgs[1]["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["thinking", "text", "tool_call", "image", "json"]);
    assert!(msgs[1]["blocks"][1]["html"]
        .as_str()
        .unwrap()
        .contains("hl-python"));
    assert_eq!(
        msgs[1]["blocks"][4]["value"]["beam"], 1,
        "unknown blocks are kept"
    );
    assert_eq!(msgs[2]["tool_call_id"], "c1");
    assert_eq!(r["row"]["reward"], 1.0);
    assert_eq!(r["nav"]["next"], "o");
    let (_, o) = s.get("/api/results/mixed/samples/o");
    assert_eq!(o["messages"][0]["blocks"][0]["name"], "search");
    assert_eq!(
        o["messages"][0]["blocks"][0]["arguments"],
        "{\n  \"q\": \"x\"\n}"
    );
    assert_eq!(o["row"]["reward"], 0.5);
    assert_eq!(o["nav"]["prev"], "r");
    let css = s.get_text("/highlight.css");
    assert!(css.contains(".hl-"));
}

#[test]
fn two_results_compare_with_changed_samples_first() {
    let p = Project::new("");
    make_result(
        p.path(),
        "before",
        "d.jsonl",
        &[("s1", 1.0), ("s2", 0.0), ("s3", 1.0)],
    );
    make_result(
        p.path(),
        "after",
        "d.jsonl",
        &[("s1", 1.0), ("s2", 1.0), ("s3", 0.0)],
    );
    let s = Server::start(p.path());
    let (code, c) = s.get("/api/compare?a=before&b=after");
    assert_eq!(code, 200);
    assert_eq!(c["same_dataset"], true);
    assert_eq!(c["changed"], 2);
    let ids: Vec<&str> = c["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(&ids[2..], ["s1"], "unchanged last: {ids:?}");
    assert_eq!(c["pairs"][0]["delta"].as_f64().unwrap().abs(), 1.0);
}

#[test]
fn a_run_and_the_result_it_wrote_link_both_ways_and_the_list_updates_itself() {
    let p = Project::new("");
    p.workload_config(
        "ev.py",
        "events.py",
        &["--samples", "4", "--delay", "0.001"],
    );
    let s = Server::start(p.path());
    let mut events = crate::helper::ProjectEvents::open(&s.url);
    let id = s.launch("ev.py");
    let run = s.wait_ended(&id);
    let result_dir = run["result_dir"].as_str().unwrap().to_string();
    let name = result_dir.rsplit('/').next().unwrap().to_string();
    events.wait_for(|e| e["type"] == "results_changed");
    let (_, list) = s.get("/api/results");
    let entry = list["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap()
        .clone();
    assert_eq!(entry["run_id"], id.as_str());
    assert_eq!(entry["total_samples"], 4);
    let (_, detail) = s.get(&format!("/api/results/{name}"));
    assert_eq!(detail["run_id"], id.as_str());
    let failed = wait_for("sample rows", || {
        let (_, page) = s.get(&format!("/api/results/{name}/samples?has_error=true"));
        (page["total"] == 1).then_some(page)
    });
    assert!(failed["samples"][0]["error"]
        .as_str()
        .unwrap()
        .contains("ProviderError"));
}

#[test]
fn next_and_previous_sample_follow_the_tables_filters_and_order() {
    let p = Project::new("");
    make_result(
        p.path(),
        "r",
        "d.jsonl",
        &[("a", 0.0), ("b", 1.0), ("c", 0.5), ("d", 1.0)],
    );
    let s = Server::start(p.path());
    let (_, plain) = s.get("/api/results/r/samples/b");
    assert_eq!(
        (plain["nav"]["prev"].as_str(), plain["nav"]["next"].as_str()),
        (Some("a"), Some("c"))
    );
    let (_, sorted) = s.get("/api/results/r/samples/c?sort=-reward");
    assert_eq!(sorted["nav"]["prev"], "b");
    assert_eq!(sorted["nav"]["next"], "a");
    assert_eq!(sorted["nav"]["position"], 2);
    let (_, filtered) = s.get("/api/results/r/samples/b?min_reward=1");
    assert_eq!(
        (
            filtered["nav"]["prev"].as_str(),
            filtered["nav"]["next"].as_str()
        ),
        (None, Some("d"))
    );
    assert_eq!(filtered["nav"]["count"], 2);
}

#[test]
fn a_result_whose_run_ended_without_a_report_is_incomplete_not_running() {
    let p = Project::new("");
    p.config(
        "dies.py",
        "import os\nos.makedirs('results/half/trajectories', exist_ok=True)\n\
         open('results/half/events.jsonl', 'w').write('{\"type\": \"sample_start\"}\\n')\n\
         print('Results directory: results/half', flush=True)\nraise SystemExit(1)\n",
    );
    let s = Server::start(p.path());
    let id = s.launch("dies.py");
    s.wait_ended(&id);
    let (_, list) = s.get("/api/results");
    let half = list["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "half")
        .unwrap()
        .clone();
    assert_eq!(half["status"], "incomplete", "{half}");
    assert_eq!(half["run_id"], id.as_str());
}

#[test]
fn a_text_search_reads_big_files_in_chunks_and_finds_a_match_across_two() {
    // The server searches a file a chunk at a time (256 KiB today). Each
    // trajectory here is 1.5 MiB with the needle split over one of the
    // boundaries a chunk of 64 KiB to 1 MiB would have; one more has only
    // the needle's start at a boundary.
    let p = Project::new("");
    let dir = p.path().join("results/bigfiles");
    let boundaries = [64usize << 10, 128 << 10, 256 << 10, 512 << 10, 1 << 20];
    let mut ids: Vec<String> = boundaries.iter().map(|b| format!("at{b}")).collect();
    ids.push("partial".into());
    write(
        &dir.join("report.json"),
        &json!({"eval_name": "bigfiles", "sample_ids": ids}).to_string(),
    );
    let trajectory = |boundary: usize, text: &str| {
        let mut line = String::from(r#"{"messages":[{"role":"user","content":""#);
        // Split after "Needle-ACR".
        line.extend(std::iter::repeat_n('x', boundary - 10 - line.len()));
        line.push_str(text);
        line.extend(std::iter::repeat_n('y', (3 << 19) - line.len()));
        line.push_str("\"}]}\n");
        assert_eq!(line.find(text), Some(boundary - 10));
        line + "{\"messages\":[],\"rewards\":1.0}\n"
    };
    for (id, b) in ids.iter().zip(boundaries) {
        let text = trajectory(b, "Needle-ACROSS-Chunks");
        write(&dir.join(format!("trajectories/{id}.jsonl")), &text);
    }
    let text = trajectory(256 << 10, "Needle-ACROSS-Chunk! Needle-ACROSS");
    write(&dir.join("trajectories/partial.jsonl"), &text);
    let s = Server::start(p.path());
    let (code, found) = s.get("/api/results/bigfiles/samples?q=needle-across-CHUNKS");
    assert_eq!(code, 200, "{found}");
    let hits: Vec<&str> = found["samples"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(hits, ids[..boundaries.len()], "{found}");
    let (_, none) = s.get("/api/results/bigfiles/samples?q=needle-across-chunkz");
    assert_eq!(none["total"], 0, "{none}");
    let (_, start) = s.get("/api/results/bigfiles/samples?q=chunk!%20needle-ACROSS");
    assert_eq!(start["total"], 1, "{start}");
    assert_eq!(start["samples"][0]["id"], "partial");
}

#[test]
fn reward_components_are_columns_and_filter_expressions_select_on_the_server() {
    let p = Project::new("");
    let dir = p.path().join("results/parts");
    write(
        &dir.join("report.json"),
        &json!({"eval_name": "parts", "total_samples": 6}).to_string(),
    );
    for i in 0..6u32 {
        // Two parts: the page showed neither, and a total of 1 beside a mean of 0.5.
        let traj = json!({"messages": [{"role": "assistant", "content": "a"}],
            "rewards": {"correct": i % 2, "format": if i < 3 { 0.0 } else { 0.5 }},
            "metadata": {"sample_data": {"level": i}}});
        write(
            &dir.join(format!("trajectories/t{i}.jsonl")),
            &format!("{traj}\n"),
        );
        if i == 4 {
            write(
                &dir.join("samples/t4.json"),
                &json!({"id": "t4", "status": "failed", "trajectory": traj,
                        "metadata": {"difficulty": "hard", "error": "RateLimit"}})
                .to_string(),
            );
        }
    }
    let s = Server::start(p.path());
    let ids = |v: &Value| -> Vec<String> {
        v["samples"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, page) = s.get("/api/results/parts/samples");
    assert_eq!(page["components"], json!(["correct", "format"]));
    assert_eq!(
        page["samples"][3]["components"],
        json!({"correct": 1, "format": 0.5})
    );
    assert_eq!(page["samples"][3]["reward"], 1.5);

    let q = |f: &str| {
        let enc: String = f.bytes().map(|b| format!("%{b:02X}")).collect();
        s.get(&format!("/api/results/parts/samples?filter={enc}"))
    };
    let (code, hits) = q("format > 0 and correct == 1");
    assert_eq!(code, 200, "{hits}");
    assert_eq!(ids(&hits), ["t3", "t5"]);
    assert_eq!(hits["total"], 2);
    assert_eq!(hits["all"], 6);
    assert_eq!(ids(&q(r#"metadata.difficulty == "hard""#).1), ["t4"]);
    assert_eq!(
        ids(&q("metadata.sample_data.level >= 4 or error ~ 'Rate'").1),
        ["t4", "t5"]
    );
    assert_eq!(
        ids(&q(r#"not error and components["format"] == 0"#).1),
        ["t0", "t1", "t2"]
    );
    // Filters and sort together, and sorting by a component.
    let (_, sorted) = s.get("/api/results/parts/samples?sort=-format&filter=correct%20%3D%3D%200");
    assert_eq!(ids(&sorted)[..2], ["t4".to_string(), "t2".to_string()]);

    // Mistakes get a 400 saying what is wrong, in words.
    let (code, bad) = q("reward = 1");
    assert_eq!(code, 400);
    assert!(
        bad["error"].as_str().unwrap().contains("use == to compare"),
        "{bad}"
    );
    let (code, bad) = q("corect > 0");
    assert_eq!(code, 400);
    let msg = bad["error"].as_str().unwrap();
    assert!(
        msg.contains("\"corect\"") && msg.contains("correct") && msg.contains("format"),
        "{msg}"
    );

    // The histogram charts a component when asked.
    let (_, dist) = s.get("/api/results/parts/distribution?of=format");
    assert_eq!(dist["of"], "format");
    assert_eq!(
        (dist["min"].as_f64(), dist["max"].as_f64()),
        (Some(0.0), Some(0.5))
    );
    assert_eq!(dist["histogram"][0], 3);
    assert_eq!(dist["histogram"][9], 3);
    assert_eq!(
        dist["numbers"],
        json!(["reward", "turns", "correct", "format"])
    );
    let (code, _) = s.get("/api/results/parts/distribution?of=colour");
    assert_eq!(code, 400);
}

/// `name`s of a page of `GET /api/results`.
fn names_of(page: &Value) -> Vec<String> {
    page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_list_pages_and_filters_on_the_server_tells_repeated_eval_names_apart_and_sees_changes_at_once(
) {
    let p = Project::new("");
    let root = p.path();
    // 250 results a second apart; two of them (r_003, r_200) are both "calc".
    let report = |i: usize, eval: &str| {
        json!({"eval_name": eval, "total_samples": 1, "summary_metrics": {"mean_reward": 0.5},
               "timestamp": format!("2026-11-25T10:{:02}:{:02}", i / 60, i % 60), "sample_ids": []})
        .to_string()
    };
    for i in 0..250 {
        let eval = if i == 3 || i == 200 {
            "calc".to_string()
        } else {
            format!("eval_{i}")
        };
        write(
            &root.join(format!("results/r_{i:03}/report.json")),
            &report(i, &eval),
        );
    }
    let s = Server::start(root);

    // Pages, newest first, that together are the whole list once.
    let (code, first) = s.get("/api/results?limit=100");
    assert_eq!(code, 200);
    assert_eq!(
        (first["total"].as_u64(), first["all"].as_u64()),
        (Some(250), Some(250))
    );
    assert_eq!(names_of(&first)[..3], ["r_249", "r_248", "r_247"]);
    let mut seen = names_of(&first);
    for offset in [100, 200] {
        let (_, page) = s.get(&format!("/api/results?offset={offset}&limit=100"));
        assert_eq!(page["offset"], offset);
        seen.extend(names_of(&page));
    }
    let expected: Vec<String> = (0..250).rev().map(|i| format!("r_{i:03}")).collect();
    assert_eq!(seen, expected);
    // Without paging, the whole list, as before.
    let (_, whole) = s.get("/api/results");
    assert_eq!(names_of(&whole), expected);

    // Repeated eval_names are marked (the page then shows the folder too).
    let repeats: Vec<String> = whole["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["eval_name_repeats"] == true)
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(repeats, ["r_200", "r_003"]);

    // The filter: any case, counted before paging; names and runs picked.
    let (_, hits) = s.get("/api/results?q=R_01&limit=4");
    assert_eq!(hits["total"], 10);
    assert_eq!(names_of(&hits), ["r_019", "r_018", "r_017", "r_016"]);
    let (_, calc) = s.get("/api/results?q=calc");
    assert_eq!(names_of(&calc), ["r_200", "r_003"]);
    let (_, picked) = s.get("/api/results?name=r_003&name=r_120&name=nope");
    assert_eq!(names_of(&picked), ["r_120", "r_003"]);
    assert_eq!(s.get("/api/results?limit=ten").0, 400);

    // Warm, the list still sees a folder added, one removed and a report
    // rewritten in place, at once.
    write(
        &root.join("results/r_new/report.json"),
        &report(400, "fresh"),
    );
    std::fs::remove_dir_all(root.join("results/r_248")).unwrap();
    std::fs::write(
        root.join("results/r_247/report.json"),
        report(247, "renamed_eval"),
    )
    .unwrap();
    let (_, after) = s.get("/api/results?limit=3");
    assert_eq!(names_of(&after), ["r_new", "r_249", "r_247"]);
    assert_eq!(after["results"][2]["eval_name"], "renamed_eval");
    assert_eq!(after["all"], 250);
}

#[test]
fn a_views_first_read_is_one_answer_holding_what_its_three_routes_answer() {
    let p = Project::new("");
    make_result(
        p.path(),
        "five",
        "d.jsonl",
        &[("a", 1.0), ("b", 0.0), ("c", 0.5), ("d", 1.0), ("e", 0.25)],
    );
    let s = Server::start(p.path());
    let (_, detail) = s.get("/api/results/five");
    let (_, page) = s.get("/api/results/five/samples?limit=2&sort=-reward");
    let (_, chart) = s.get("/api/results/five/distribution?of=turns");
    let (code, first) = s.get("/api/results/five/opening?limit=2&sort=-reward&of=turns");
    assert_eq!(code, 200);
    assert_eq!(first["detail"], detail);
    assert_eq!(first["samples"], page);
    // The chart was read (and cached) above: the answer had no reason to go without it.
    assert_eq!(first["pending"], json!([]));
    assert_eq!(first["distribution"], chart);
    assert_eq!(first["errors"], json!({}));

    // A part the server cannot read fails alone, as its own route says it.
    let (code, first) = s.get("/api/results/five/opening?filter=reward%20%3D%201&of=colour");
    assert_eq!(code, 200);
    assert_eq!(first["detail"], detail, "the summary still comes");
    assert_eq!(first["samples"], Value::Null);
    assert_eq!(first["errors"]["samples"]["status"], 400);
    assert!(
        first["errors"]["samples"]["error"]
            .as_str()
            .unwrap()
            .contains("use == to compare"),
        "{first}"
    );
    let (_, own) = s.get("/api/results/five/distribution?of=colour");
    assert_eq!(first["errors"]["distribution"]["status"], 400);
    assert_eq!(first["errors"]["distribution"]["error"], own["error"]);

    // No such result: the whole answer is its 404.
    let (code, gone) = s.get("/api/results/nowhere/opening");
    assert_eq!(code, 404);
    assert!(gone["error"].is_string());
}
