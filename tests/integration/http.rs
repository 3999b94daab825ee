//! What HTTP offers a page or a script: the page's files revalidate with
//! `ETag` (304), big answers are compressed, a finished log downloads in
//! ranges, plain or raw.

use crate::helper::{Project, Server};

#[test]
fn the_page_revalidates_and_big_answers_are_compressed() {
    let p = Project::new("");
    let s = Server::start(p.path());
    let agent = ureq::AgentBuilder::new().build();
    let first = agent
        .get(&format!("{}/assets/js/main.js", s.url))
        .call()
        .unwrap();
    let etag = first.header("etag").expect("an ETag").to_string();
    let again = agent
        .get(&format!("{}/assets/js/main.js", s.url))
        .set("If-None-Match", &etag)
        .call()
        .unwrap();
    assert_eq!(again.status(), 304);

    for i in 0..300 {
        let dir = p.path().join(format!("results/r{i:04}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("report.json"),
            format!("{{\"eval_name\": \"eval {i}\"}}"),
        )
        .unwrap();
    }
    let mut raw = std::net::TcpStream::connect(("127.0.0.1", s.port)).unwrap();
    use std::io::{Read, Write};
    write!(
        raw,
        "GET /api/results HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut reply = Vec::new();
    raw.read_to_end(&mut reply).unwrap();
    let head = String::from_utf8_lossy(&reply[..reply.len().min(600)]).to_ascii_lowercase();
    assert!(head.contains("content-encoding: gzip"), "{head}");
}

#[test]
fn a_finished_log_downloads_in_ranges_plain_or_raw() {
    let p = Project::new("");
    p.config(
        "colours.py",
        "import sys\nprint('\\x1b[31mred\\x1b[0m one')\nprint('oops', file=sys.stderr)\nprint('three')\n",
    );
    let s = Server::start(p.path());
    let id = s.launch("colours.py");
    s.wait_ended(&id);
    let plain = s.get_text(&format!("/api/runs/{id}/log"));
    assert!(plain.contains("red one\n"), "{plain}");
    assert!(plain.contains("[stderr] oops\n"), "{plain}");
    assert!(!plain.contains('\u{1b}'));
    let raw = s.get_text(&format!("/api/runs/{id}/log?format=raw"));
    assert!(raw.contains("\u{1b}[31mred\u{1b}[0m one\n"), "{raw}");
    let part = ureq::get(&format!("{}/api/runs/{id}/log", s.url))
        .set("Range", "bytes=2-9")
        .call()
        .unwrap();
    assert_eq!(part.status(), 206);
    assert!(part
        .header("content-range")
        .unwrap()
        .starts_with("bytes 2-9/"));
    assert_eq!(part.into_string().unwrap(), plain[2..10]);
}

#[test]
fn health_tells_how_many_runs_may_run_at_once() {
    let p = Project::new("max_concurrent = 3\n");
    let s = Server::start(p.path());
    let (code, h) = s.get("/api/health");
    assert_eq!(code, 200);
    assert_eq!(h["ok"], true);
    assert_eq!(
        h["max_concurrent"], 3,
        "the page says \"2nd in queue · 3 running, max 3\""
    );
}

#[test]
fn the_page_lists_every_module_it_imports_for_preloading_and_nothing_loaded_later() {
    let p = Project::new("");
    let s = Server::start(p.path());
    let html = s.get_text("/");
    let listed = |attr: &str| -> Vec<String> {
        html.split_once(&format!("{attr}=\""))
            .and_then(|(_, rest)| rest.split('"').next())
            .unwrap_or_else(|| panic!("boot.js's tag has no {attr}: {html}"))
            .split(' ')
            .map(str::to_string)
            .collect()
    };
    let (preloaded, later) = (listed("data-first"), listed("data-later"));
    // What the lists need is fetched at once after the first frame (boot.js);
    // the views (loaded with import(), so the lists do not wait for them)
    // are listed for main.js to fetch at once, and the vendored modules they
    // import.
    for m in [
        "/assets/js/main.js",
        "/assets/js/util.js",
        "/assets/js/api.js",
        "/assets/js/results.js",
    ] {
        assert!(
            preloaded.iter().any(|p| p == m),
            "{m} is not preloaded: {preloaded:?}"
        );
        assert!(!later.iter().any(|p| p == m), "{m} twice: {later:?}");
    }
    for m in [
        "/assets/js/views.js",
        "/assets/js/resultview.js",
        "/assets/js/runview.js",
        "/assets/js/editor.js",
        "/assets/vendor/ansi_up.js",
    ] {
        assert!(
            later.iter().any(|p| p == m),
            "{m} is not listed for later: {later:?}"
        );
        assert!(
            !preloaded.iter().any(|p| p == m),
            "{m} is fetched before the views are asked for: {preloaded:?}"
        );
    }
    // What only the config editor needs comes with the first config opened
    // (the YAML parser only for YAML files); Prism is not in the page at all.
    for lazy in [
        "vendor/yaml",
        "vendor/smol-toml",
        "vendor/codejar",
        "configform.js",
    ] {
        assert!(
            !preloaded.iter().chain(&later).any(|m| m.contains(lazy)),
            "{lazy}: {preloaded:?} {later:?}"
        );
    }
    assert!(!html.contains("prism"), "{html}");
    // Each one is served.
    for m in preloaded.iter().chain(&later) {
        let (code, _) = s.get(m);
        assert_eq!(code, 200, "{m}");
    }
    // The first frame waits for no module: the page names one script, and
    // it fetches the rest once that frame is shown.
    assert!(!html.contains("modulepreload"), "{html}");
    let scripts: Vec<&str> = html.split("<script").skip(1).collect();
    assert_eq!(scripts.len(), 1, "{html}");
    assert!(scripts[0].contains("src=\"/assets/js/boot.js\""), "{html}");
}

#[test]
fn the_page_carries_its_stylesheet_so_its_first_frame_waits_for_no_other_file() {
    let p = Project::new("");
    let s = Server::start(p.path());
    let html = s.get_text("/");
    let css =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/style.css")).unwrap();
    assert!(
        html.contains(&format!("<style>\n{css}</style>")),
        "style.css is in the page, whole"
    );
    // A linked stylesheet holds up the first frame until it arrives; the
    // views' rules and the colours of highlighted code come with the views
    // (main.js).
    assert!(!html.contains("rel=\"stylesheet\""), "{html}");
    for (path, kind) in [
        ("/assets/style.css", "text/css"),
        ("/assets/views.css", "text/css"),
        ("/highlight.css", "text/css"),
    ] {
        let resp = ureq::get(&format!("{}{path}", s.url)).call().unwrap();
        let ty = resp.content_type().to_string();
        assert_eq!((resp.status(), ty.as_str()), (200, kind), "{path}");
    }
}

#[test]
fn the_page_comes_with_its_results_list_drawn_in_and_names_stay_text() {
    let p = Project::new("");
    let s = Server::start(p.path());
    assert!(
        s.get_text("/").contains("No results yet."),
        "an empty list says so from the start"
    );
    let name = "a \"quoted\" <img src=x onerror=alert(1)> ünï";
    let dir = p.path().join("results").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("report.json"),
        r#"{"eval_name": "calc", "total_samples": 1234, "summary_metrics": {"mean_reward": 0.5, "format_reward": 1}}"#,
    )
    .unwrap();
    let page = crate::helper::wait_for("the result drawn into the page", || {
        let page = s.get_text("/");
        page.contains("data-name=\"a &quot;quoted&quot; &lt;img src=x onerror=alert(1)&gt; ünï\"")
            .then_some(page)
    });
    assert!(!page.contains("<img src=x"), "a name is never markup");
    assert!(page.contains("1,234 samples"), "{page}");
    assert!(page.contains(">0.500</span>"), "the mean reward");
    assert!(page.contains(">format 1</span>"), "the other metrics");
    assert!(!page.contains("No results yet."));
}
