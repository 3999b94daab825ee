//! Launching and the live stream: seed shapes, every record once and in
//! order for any number of viewers, resume after any record.

use serde_json::json;

use crate::helper::{Project, Server, Sse};

#[test]
fn launch_answers_in_the_seed_shape_and_the_stream_ends_with_complete() {
    let p = Project::new("");
    p.config("hello.py", "print('hello'); import sys; sys.exit(3)");
    let s = Server::start(p.path());
    let (code, body) = s.post("/api/launch", json!({"configName": "hello.py"}));
    assert_eq!(code, 200);
    assert_eq!(body["success"], true);
    assert_eq!(body["command"], "python3 configs/hello.py");
    let id = body["run_id"].as_str().unwrap();

    let mut sse = Sse::open(&s.url, id, None, None);
    let (_, first) = sse.next_event().unwrap();
    assert_eq!(first["type"], "status");
    let complete = sse.read_until_complete();
    assert_eq!(complete["exit_code"], 3);
    assert_eq!(complete["status"], "failed");
    assert_eq!(sse.final_lines("stdout"), ["hello"]);
    assert!(sse.next_event().is_none(), "stream closes after complete");

    let run = s.wait_ended(id);
    assert_eq!(run["exit_code"], 3);
    assert_eq!(run["config_name"], "hello.py");
    assert!(run["records"].as_u64().unwrap() >= 3);
    let (_, list) = s.get("/api/runs");
    assert_eq!(list["runs"][0]["run_id"], id);
    // The seed's path is an alias.
    let (code, _) = s.get(&format!("/api/stream/{id}"));
    assert_eq!(code, 200);
}

#[test]
fn viewers_joining_at_any_time_each_get_every_record_once_in_order() {
    let p = Project::new("");
    p.workload_config("tick.py", "ticker.py", &["--rate", "400", "--count", "600"]);
    let s = Server::start(p.path());
    let id = s.launch("tick.py");
    let mut early = Sse::open(&s.url, &id, None, None);
    early.read_until(|v| {
        v["text"]
            .as_str()
            .is_some_and(|t| t.starts_with("tick 50 "))
    });
    let late = Sse::open(&s.url, &id, None, None);
    let handles: Vec<_> = [early, late]
        .into_iter()
        .map(|mut sse| {
            std::thread::spawn(move || {
                sse.read_until_complete();
                sse
            })
        })
        .collect();
    let viewers: Vec<Sse> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let after_end = s.stream_all(&id, None);
    let expected: Vec<u64> = (1..=after_end.seqs().len() as u64).collect();
    for v in viewers.iter().chain([&after_end]) {
        assert_eq!(v.seqs(), expected, "a viewer saw a gap or a duplicate");
        let ticks = v.final_lines("stdout");
        assert_eq!(ticks.len(), 600);
        for (i, t) in ticks.iter().enumerate() {
            assert!(t.starts_with(&format!("tick {} ", i + 1)), "line {i}: {t}");
        }
    }
}

#[test]
fn resume_with_last_event_id_or_after_gives_exactly_the_rest() {
    let p = Project::new("");
    p.config("count.py", "for i in range(1, 5001): print(f'line {i}')");
    let s = Server::start(p.path());
    let id = s.launch("count.py");
    let all = s.stream_all(&id, None);
    let total = *all.seqs().last().unwrap();
    for cut in [0, 1, 2, 4095, 4096, 4097, total - 1, total] {
        let by_header = {
            let mut sse = Sse::open(&s.url, &id, Some(0), Some(cut));
            sse.read_until_complete();
            sse
        };
        let by_query = s.stream_all(&id, Some(cut));
        let want: Vec<u64> = (cut + 1..=total).collect();
        assert_eq!(by_header.seqs(), want, "Last-Event-ID {cut}");
        assert_eq!(by_query.seqs(), want, "after={cut}");
    }
}

#[test]
fn log_pages_by_sequence_and_downloads_as_text() {
    let p = Project::new("");
    p.config("count.py", "for i in range(1, 2501): print(f'line {i}')");
    let s = Server::start(p.path());
    let id = s.launch("count.py");
    s.wait_ended(&id);
    let (code, page) = s.get(&format!(
        "/api/runs/{id}/log?format=json&after=100&limit=50"
    ));
    assert_eq!(code, 200);
    let recs = page["records"].as_array().unwrap();
    assert_eq!(recs.len(), 50);
    assert_eq!(recs[0]["seq"], 101);
    assert_eq!(page["next_after"], 150);
    assert_eq!(page["complete"], true);
    let text = s.get_text(&format!("/api/runs/{id}/log"));
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with("line ")).collect();
    assert_eq!(lines.len(), 2500);
    assert_eq!(lines[2499], "line 2500");
    let (code, err) = s.get(&format!("/api/runs/{id}/log?format=xml"));
    assert_eq!(code, 400);
    assert!(err["error"].as_str().unwrap().contains("format"));
}

#[test]
fn structured_events_become_event_records_and_bad_lines_become_warnings() {
    let p = Project::new("");
    p.config(
        "ev.py",
        "import os, json\nwith open(os.environ['DEVLOOP_EVENTS'], 'a') as f:\n    \
         f.write(json.dumps({'type': 'progress', 'done': 1, 'total': 2}) + '\\n')\n    \
         f.write('{oops\\n')\n    f.write(json.dumps({'type': 'sample_end', 'sample_id': 's1', 'reward': 1.0}) + '\\n')\n",
    );
    let s = Server::start(p.path());
    let id = s.launch("ev.py");
    let sse = s.stream_all(&id, None);
    let events: Vec<_> = sse
        .events
        .iter()
        .filter(|(_, v)| v["type"] == "event")
        .map(|(_, v)| &v["event"])
        .collect();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["type"], "progress");
    assert_eq!(events[1]["reward"], 1.0);
    let warnings = sse.final_lines("devloop");
    assert!(
        warnings.iter().any(|w| w.contains("events line 2")),
        "{warnings:?}"
    );
}

#[test]
fn events_in_the_announced_results_folder_are_followed_once() {
    let p = Project::new("");
    // Like rollouts: events only in the results folder.
    p.config(
        "rollouts_like.py",
        "import os, json\nos.makedirs('results/r1', exist_ok=True)\nprint('\\U0001F4C2 Results directory: results/r1', flush=True)\n\
         import time; time.sleep(0.1)\n\
         with open('results/r1/events.jsonl', 'a') as f:\n    f.write(json.dumps({'type': 'sample_start', 'sample_id': 'a'}) + '\\n')\n",
    );
    // Like the demo: the same events in both places.
    p.config(
        "both.py",
        "import os, json\nos.makedirs('results/r2', exist_ok=True)\nprint('Results directory: results/r2', flush=True)\n\
         import time; time.sleep(0.1)\n\
         for path in ['results/r2/events.jsonl', os.environ['DEVLOOP_EVENTS']]:\n    \
         with open(path, 'a') as f:\n        f.write(json.dumps({'type': 'progress', 'done': 1, 'total': 1}) + '\\n')\n",
    );
    let s = Server::start(p.path());
    for (config, kind, result) in [
        ("rollouts_like.py", "sample_start", "results/r1"),
        ("both.py", "progress", "results/r2"),
    ] {
        let id = s.launch(config);
        let sse = s.stream_all(&id, None);
        let events: Vec<_> = sse
            .events
            .iter()
            .filter(|(_, v)| v["type"] == "event")
            .collect();
        assert_eq!(events.len(), 1, "{config}: {events:?}");
        assert_eq!(events[0].1["event"]["type"], kind);
        assert_eq!(s.wait_ended(&id)["result_dir"], result);
    }
}

#[test]
fn batch_mode_carries_the_same_records_in_fewer_events_and_resumes_the_same_way() {
    let p = Project::new("");
    p.config("count.py", "for i in range(1, 20001): print(f'line {i}')");
    let s = Server::start(p.path());
    let id = s.launch("count.py");
    let single = s.stream_all(&id, None);
    let batched = |after: u64| {
        let url = format!("{}/api/runs/{id}/stream?batch=1&after={after}", s.url);
        let mut sse = crate::helper::Sse::from_response(ureq::get(&url).call().unwrap());
        sse.read_until_complete();
        let mut seqs = Vec::new();
        let mut events = 0;
        for (event_id, v) in &sse.events {
            if v["type"] == "batch" {
                events += 1;
                let recs = v["records"].as_array().unwrap();
                assert_eq!(
                    *event_id,
                    recs.last().unwrap()["seq"].as_u64(),
                    "id is the last seq of the batch"
                );
                seqs.extend(recs.iter().map(|r| r["seq"].as_u64().unwrap()));
            }
        }
        (seqs, events)
    };
    let (seqs, events) = batched(0);
    assert_eq!(seqs, single.seqs());
    assert!(
        events < seqs.len() / 10,
        "{events} events for {} records",
        seqs.len()
    );
    let (rest, _) = batched(12_345);
    assert_eq!(rest, single.seqs()[12_345..].to_vec());
}
