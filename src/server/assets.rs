//! The page: files of `assets/` embedded at compile time (so `cargo install`
//! gives a working tool), or read from `--ui-dir` so the page can be edited
//! without a rebuild. Every answer carries the security headers.

use std::path::PathBuf;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use include_dir::{include_dir, Dir};

use super::AppState;

static ASSETS: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/assets");

pub const CSP: &str =
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
                       object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" => "application/json",
        "woff2" => "font/woff2",
        _ => "text/plain; charset=utf-8",
    }
}

fn raw(ui_dir: &Option<PathBuf>, path: &str) -> Option<Vec<u8>> {
    match ui_dir {
        Some(dir) => std::fs::read(dir.join(path)).ok(),
        None => ASSETS.get_file(path).map(|f| f.contents().to_vec()),
    }
}

fn load(ui_dir: &Option<PathBuf>, path: &str) -> Option<Vec<u8>> {
    if path.split('/').any(|p| p.is_empty() || p.starts_with('.')) {
        return None;
    }
    if path == "index.html" {
        return page_html(ui_dir).map(|t| t.as_bytes().to_vec());
    }
    raw(ui_dir, path)
}

/// `index.html` as sent, but for the results list: its stylesheet inside it
/// and its modules listed. The embedded page never changes: made once.
/// `None` without the file, or when it is not UTF-8.
fn page_html(ui_dir: &Option<PathBuf>) -> Option<std::sync::Arc<str>> {
    let made = || {
        let text = String::from_utf8(raw(ui_dir, "index.html")?).ok()?;
        Some(with_module_preloads(ui_dir, with_style_inline(ui_dir, text)).into())
    };
    static EMBEDDED: std::sync::OnceLock<Option<std::sync::Arc<str>>> = std::sync::OnceLock::new();
    match ui_dir {
        Some(_) => made(),
        None => EMBEDDED.get_or_init(made).clone(),
    }
}

/// The page's files with an `ETag`, so a reload asks "changed?" and gets a
/// 304 instead of the files again (they are compressed by the router's
/// compression layer when sent).
fn serve(app: &AppState, path: &str, headers: &HeaderMap) -> Response {
    match load(&app.ui_dir, path) {
        Some(bytes) => reply(path, bytes, headers),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

fn reply(path: &str, bytes: Vec<u8>, headers: &HeaderMap) -> Response {
    let etag = format!("\"{}\"", crate::configs::version_of(&bytes));
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut resp = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        bytes.into_response()
    };
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(path)),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    resp
}

/// The page, with the results list drawn in (`first_paint.rs`).
pub async fn index(State(app): State<AppState>, headers: HeaderMap) -> Response {
    let Some(page) = page_html(&app.ui_dir) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let page = match super::first_paint::results_pane(&app).await {
        Some(pane) => page.replacen(super::first_paint::MARK, &pane, 1),
        None => page.to_string(),
    };
    reply("index.html", page.into_bytes(), &headers)
}

/// How `index.html` names the page's stylesheet.
const STYLE_LINK: &str = "<link rel=\"stylesheet\" href=\"/assets/style.css\">";

/// `index.html` with `style.css` in it instead of linked: the page's first
/// frame waits for its stylesheet, and fetched it came 20–40 ms after the
/// page on a 2-core machine, while the page's modules and first lists were
/// being fetched too. In the page, it is drawn with its first bytes
/// (bench_inspect.mjs, with `/highlight.css` no longer in the way either:
/// the list shown at ~35 ms from navigation instead of ~65). Left linked if
/// the stylesheet could end the `<style>` element early.
fn with_style_inline(ui_dir: &Option<PathBuf>, html: String) -> String {
    let css = raw(ui_dir, "style.css").unwrap_or_default();
    let css = String::from_utf8_lossy(&css);
    if css.is_empty() || css.to_ascii_lowercase().contains("</style") {
        return html;
    }
    html.replacen(STYLE_LINK, &format!("<style>\n{css}</style>"), 1)
}

/// Where `index.html` names its first script; the lists of modules are added here.
const BOOT_SCRIPT: &str = "<script type=\"module\" src=\"/assets/js/boot.js\"";

/// `index.html` with the page's modules listed on `boot.js`'s tag, for it
/// to fetch at once instead of one import level at a time (a round trip per
/// level): `data-first`, every module `main.js` imports, directly or not
/// (`boot.js` preloads them once the first frame is on screen), and
/// `data-later`, what `main.js` asks for with `import()` (the views, which
/// the lists do not wait for) and what those import, which `boot.js`
/// preloads once `main.js` has run. Listed as `modulepreload` links in the
/// page, the first ones held up its first paint by ~20 ms on a 2-core
/// machine, the views by ~50 ms (bench_inspect.mjs). What other modules
/// load on demand (the editor's libraries) is not listed.
fn with_module_preloads(ui_dir: &Option<PathBuf>, mut text: String) -> String {
    let first = static_imports(ui_dir, "js/main.js");
    let mut later: Vec<String> = Vec::new();
    for entry in dynamic_imports(ui_dir, "js/main.js") {
        for n in static_imports(ui_dir, &entry) {
            if !first.contains(&n) && !later.contains(&n) {
                later.push(n);
            }
        }
    }
    let listed = |names: &[String]| -> String {
        let names: Vec<String> = names.iter().map(|n| format!("/assets/{n}")).collect();
        names.join(" ")
    };
    if let Some(at) = text.find(BOOT_SCRIPT) {
        text.insert_str(
            at + BOOT_SCRIPT.len(),
            &format!(
                " data-first=\"{}\" data-later=\"{}\"",
                listed(&first),
                listed(&later)
            ),
        );
    }
    text
}

/// `entry` and every module it imports statically (`import … from './x.js'`,
/// `export … from`), as paths under `assets/`, sorted.
fn static_imports(ui_dir: &Option<PathBuf>, entry: &str) -> Vec<String> {
    static IMPORT: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = IMPORT.get_or_init(|| {
        regex::Regex::new(
            r#"(?m)^\s*(?:import|export)\s(?:[^;'"]*?\sfrom\s*)?['"](\.{1,2}/[^'"]+)['"]"#,
        )
        .expect("a valid pattern")
    });
    let mut seen = std::collections::BTreeSet::new();
    let mut todo = vec![entry.to_string()];
    while let Some(path) = todo.pop() {
        if seen.insert(path.clone()) {
            todo.extend(named_modules(ui_dir, &path, re));
        }
    }
    seen.into_iter().collect()
}

/// The modules `entry` asks for with `import('./x.js')` in its code, as
/// paths under `assets/`. A JSDoc type (`@type {import('./api.js').X}`)
/// names a module too but loads nothing: a line whose text before the
/// `import(` holds a `*` or `/` (a comment) is not read.
fn dynamic_imports(ui_dir: &Option<PathBuf>, entry: &str) -> Vec<String> {
    static IMPORT: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = IMPORT.get_or_init(|| {
        regex::Regex::new(r#"(?m)^[^*/\n]*?\bimport\(\s*['"](\.{1,2}/[^'"]+)['"]\s*\)"#)
            .expect("a valid pattern")
    });
    named_modules(ui_dir, entry, re)
}

/// The modules `path` names where `re` matches (its first group, relative
/// to `path`), as paths under `assets/`; none if `path` is not there.
fn named_modules(ui_dir: &Option<PathBuf>, path: &str, re: &regex::Regex) -> Vec<String> {
    let Some(src) = raw(ui_dir, path) else {
        return Vec::new();
    };
    let src = String::from_utf8_lossy(&src);
    let dir = std::path::Path::new(path)
        .parent()
        .unwrap_or(std::path::Path::new(""));
    re.captures_iter(&src)
        .filter_map(|c| normalise(&dir.join(&c[1])))
        .collect()
}

/// `a/b/../c.js` as `a/c.js`; `None` for a path that leaves `assets/`.
fn normalise(path: &std::path::Path) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for c in path.components() {
        match c {
            std::path::Component::Normal(p) => parts.push(p.to_str()?),
            std::path::Component::ParentDir => {
                parts.pop()?;
            }
            std::path::Component::CurDir => {}
            _ => return None,
        }
    }
    Some(parts.join("/"))
}

pub async fn asset(
    State(app): State<AppState>,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> Response {
    serve(&app, &path, &headers)
}

/// Headers every response gets.
pub async fn security_headers(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stylesheet_that_could_end_its_element_early_stays_linked() {
        let dir = tempfile::tempdir().unwrap();
        let ui = Some(dir.path().to_path_buf());
        let page = format!("<head>{STYLE_LINK}</head>");
        std::fs::write(dir.path().join("style.css"), "a { color: red }\n").unwrap();
        let html = with_style_inline(&ui, page.clone());
        assert_eq!(html, "<head><style>\na { color: red }\n</style></head>");
        std::fs::write(
            dir.path().join("style.css"),
            "a::after { content: \"</STYLE>\" }",
        )
        .unwrap();
        let html = with_style_inline(&ui, page.clone());
        assert_eq!(html, page);
    }

    #[test]
    fn a_module_named_in_a_comment_is_not_listed_as_one_loaded_later() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("js")).unwrap();
        let main = "import { a } from './a.js';\n\
                    /** @type {typeof import('./typed.js')|null} */\n\
                    let x = null; // import('./commented.js')\n\
                    const y = /** @type {import('./cast.js').T} */ (x);\n\
                    const later = import('./later.js').then((m) => m);\n";
        for (name, src) in [
            ("js/main.js", main),
            ("js/a.js", ""),
            ("js/later.js", "export { b } from './b.js';\n"),
            ("js/b.js", ""),
        ] {
            std::fs::write(dir.path().join(name), src).unwrap();
        }
        let ui = Some(dir.path().to_path_buf());
        assert_eq!(dynamic_imports(&ui, "js/main.js"), ["js/later.js"]);
        let page = format!("<head>{BOOT_SCRIPT}></script></head>");
        let html = with_module_preloads(&ui, page);
        assert!(
            html.contains(
                " data-first=\"/assets/js/a.js /assets/js/main.js\" \
                 data-later=\"/assets/js/b.js /assets/js/later.js\""
            ),
            "{html}"
        );
    }
}
