//! Messages made ready to read: both the rollouts content blocks and the
//! OpenAI chat format become one list of typed blocks per message; text is
//! rendered from Markdown on the server (pulldown-cmark), code blocks are
//! highlighted (syntect, CSS classes) and the HTML is sanitised (ammonia).
//! Anything not recognised is kept as JSON, never dropped.

use std::sync::OnceLock;

use pulldown_cmark::{CodeBlockKind, Event, Options, Parser, Tag, TagEnd};
use serde_json::{json, Value};
use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };
/// Code longer than this is shown plain: highlighting is not worth the wait.
const MAX_HIGHLIGHT: usize = 256 * 1024;

fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(SyntaxSet::load_defaults_newlines)
}

fn sanitizer() -> &'static ammonia::Builder<'static> {
    static B: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    B.get_or_init(|| {
        let mut b = ammonia::Builder::default();
        b.add_tag_attributes("span", ["class"])
            .add_tag_attributes("code", ["class"])
            .add_tag_attributes("pre", ["class"])
            .link_rel(Some("noopener noreferrer nofollow"));
        b
    })
}

/// The stylesheet for highlighted code: a light theme, and a dark one that
/// follows the page's theme (its toggle, else the system preference).
pub fn highlight_css() -> String {
    let themes = syntect::highlighting::ThemeSet::load_defaults();
    let css = |name: &str| {
        syntect::html::css_for_theme_with_class_style(&themes.themes[name], CLASS_STYLE)
            .unwrap_or_default()
    };
    let dark = css("base16-ocean.dark");
    format!(
        "{}\n{}\n@media (prefers-color-scheme: dark) {{\n{}\n}}\n",
        css("InspiredGitHub"),
        scope(&dark, ":root[data-theme=\"dark\"]"),
        scope(&dark, ":root:not([data-theme=\"light\"])")
    )
}

/// Puts `prefix` before every selector of every rule of a theme's stylesheet.
fn scope(css: &str, prefix: &str) -> String {
    css.lines()
        .map(|l| match l.strip_suffix('{') {
            Some(selectors) if !l.starts_with(' ') && !l.starts_with('/') => {
                let scoped: Vec<String> = selectors
                    .split(',')
                    .map(|sel| format!("{prefix} {}", sel.trim()))
                    .collect();
                format!("{} {{", scoped.join(", "))
            }
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn highlight(code: &str, lang: &str) -> String {
    let ss = syntaxes();
    let syntax = (!lang.is_empty())
        .then(|| ss.find_syntax_by_token(lang))
        .flatten()
        .filter(|_| code.len() <= MAX_HIGHLIGHT);
    let Some(syntax) = syntax else {
        return format!("<pre><code>{}</code></pre>", escape(code));
    };
    let mut gen = ClassedHTMLGenerator::new_with_class_style(syntax, ss, CLASS_STYLE);
    for line in LinesWithEndings::from(code) {
        if gen
            .parse_html_for_line_which_includes_newline(line)
            .is_err()
        {
            return format!("<pre><code>{}</code></pre>", escape(code));
        }
    }
    format!("<pre class=\"hl\"><code>{}</code></pre>", gen.finalize())
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Markdown to sanitised HTML, with highlighted code blocks.
pub fn markdown(text: &str) -> String {
    let parser = Parser::new_ext(
        text,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS,
    );
    let mut events = Vec::new();
    let mut code: Option<(String, String)> = None;
    for ev in parser {
        match (&mut code, ev) {
            (None, Event::Start(Tag::CodeBlock(kind))) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(l) => {
                        l.split_whitespace().next().unwrap_or("").to_string()
                    }
                    CodeBlockKind::Indented => String::new(),
                };
                code = Some((lang, String::new()));
            }
            (Some((_, buf)), Event::Text(t)) => buf.push_str(&t),
            (Some(_), Event::End(TagEnd::CodeBlock)) => {
                let (lang, buf) = code.take().unwrap_or_default();
                events.push(Event::Html(highlight(&buf, &lang).into()));
            }
            (Some(_), _) => {}
            (None, ev) => events.push(ev),
        }
    }
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    sanitizer().clean(&html).to_string()
}

/// A message object, its role, and its content as blocks.
pub(crate) type MessageParts<'a> = (&'a serde_json::Map<String, Value>, &'a str, Vec<Value>);

/// What every message format shares: the object, its role, and its
/// `content` as blocks (a string as text, a list part by part with
/// `content_block`, anything else as JSON). `Err` is a message that is not
/// an object, as the page shows it.
pub(crate) fn message_parts(
    m: &Value,
    content_block: impl Fn(&Value) -> Value,
) -> Result<MessageParts<'_>, Value> {
    let Some(obj) = m.as_object() else {
        return Err(json!({"role": "unknown", "blocks": [{"kind": "json", "value": m}]}));
    };
    let role = obj.get("role").and_then(Value::as_str).unwrap_or("unknown");
    let mut blocks = Vec::new();
    match obj.get("content") {
        Some(Value::String(s)) if s.is_empty() => {}
        Some(Value::String(s)) => blocks.push(text_block("text", s)),
        Some(Value::Array(parts)) => blocks.extend(parts.iter().map(content_block)),
        Some(Value::Null) | None => {}
        Some(other) => blocks.push(json!({"kind": "json", "value": other})),
    }
    Ok((obj, role, blocks))
}

/// One message as a list of blocks the page can show as they are.
pub fn message(m: &Value) -> Value {
    let (obj, role, mut blocks) = match message_parts(m, content_block) {
        Ok(parts) => parts,
        Err(shown) => return shown,
    };
    // OpenAI chat format.
    if let Some(Value::Array(calls)) = obj.get("tool_calls") {
        for c in calls {
            let f = c.get("function").cloned().unwrap_or(Value::Null);
            let raw = f.get("arguments").cloned().unwrap_or(Value::Null);
            let (arguments, parse_error) = match &raw {
                Value::String(s) => match serde_json::from_str::<Value>(s) {
                    Ok(v) => (pretty(&v), None),
                    Err(e) => (s.clone(), Some(e.to_string())),
                },
                other => (pretty(other), None),
            };
            blocks.push(json!({
                "kind": "tool_call",
                "id": c.get("id"),
                "name": f.get("name"),
                "arguments": arguments,
                "parse_error": parse_error,
            }));
        }
    }
    let known = [
        "role",
        "content",
        "tool_calls",
        "tool_call_id",
        "provider",
        "model",
        "timestamp",
        "details",
        "name",
    ];
    let extra: serde_json::Map<String, Value> = obj
        .iter()
        .filter(|(k, v)| !known.contains(&k.as_str()) && !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    json!({
        "role": role,
        "blocks": blocks,
        "tool_call_id": obj.get("tool_call_id"),
        "name": obj.get("name"),
        "provider": obj.get("provider"),
        "model": obj.get("model"),
        "timestamp": obj.get("timestamp"),
        "extra": if extra.is_empty() { Value::Null } else { Value::Object(extra) },
    })
}

/// A text or thinking block: the text, its Markdown as safe HTML, its length.
pub(crate) fn text_block(kind: &str, text: &str) -> Value {
    json!({"kind": kind, "text": text, "html": markdown(text), "chars": text.chars().count()})
}

pub(crate) fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// A tool call block; arguments given as a JSON string stay as written,
/// anything else is shown pretty-printed.
pub(crate) fn tool_call_block(
    id: Option<&Value>,
    name: Option<&Value>,
    arguments: Option<&Value>,
    parse_error: Option<&Value>,
) -> Value {
    json!({
        "kind": "tool_call",
        "id": id,
        "name": name,
        "arguments": match arguments {
            Some(Value::String(s)) => s.clone(),
            Some(v) => pretty(v),
            None => String::new(),
        },
        "parse_error": parse_error,
    })
}

fn content_block(b: &Value) -> Value {
    match b.get("type").and_then(Value::as_str) {
        Some("text") => text_block("text", b.get("text").and_then(Value::as_str).unwrap_or("")),
        Some("thinking") => text_block(
            "thinking",
            b.get("thinking").and_then(Value::as_str).unwrap_or(""),
        ),
        Some("toolCall") => {
            let mut block = tool_call_block(
                b.get("id"),
                b.get("name"),
                b.get("arguments"),
                b.get("parse_error"),
            );
            block["raw_arguments"] = b.get("raw_arguments").cloned().unwrap_or(Value::Null);
            block
        }
        Some("image") | Some("image_url") => {
            // OpenAI's `image_url` (a string or `{url}`), Inspect's `image`
            // (a data URL), Anthropic's `source` (`{type: base64, media_type, data}`).
            let url = b
                .get("image_url")
                .map(|u| u.get("url").unwrap_or(u))
                .or_else(|| b.get("image"))
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| {
                    let src = b.get("source")?;
                    let media = src.get("media_type")?.as_str()?;
                    let data = src.get("data")?.as_str()?;
                    (src.get("type")?.as_str()? == "base64")
                        .then(|| format!("data:{media};base64,{data}"))
                })
                .unwrap_or_default();
            if url.starts_with("data:image/") {
                json!({"kind": "image", "src": url})
            } else {
                json!({"kind": "json", "value": b})
            }
        }
        _ => json!({"kind": "json", "value": b}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_in_every_form_become_image_blocks() {
        let png = "data:image/png;base64,iVBORw0KGgo=";
        for b in [
            json!({"type": "image_url", "image_url": {"url": png}}),
            json!({"type": "image", "image_url": png}),
            json!({"type": "image", "image": png}),
            json!({"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}}),
        ] {
            assert_eq!(
                content_block(&b),
                json!({"kind": "image", "src": png}),
                "{b}"
            );
        }
        let remote = json!({"type": "image", "image": "https://example.com/a.png"});
        assert_eq!(
            content_block(&remote)["kind"],
            "json",
            "only data URLs are shown"
        );
    }

    #[test]
    fn dark_rules_apply_only_under_the_dark_theme() {
        let css = highlight_css();
        let dark_start = css.find(":root[data-theme=\"dark\"]").unwrap();
        for line in css[dark_start..]
            .lines()
            .filter(|l| l.ends_with('{') && !l.starts_with('@'))
        {
            for sel in line.trim_end_matches('{').split(',') {
                assert!(
                    sel.trim().starts_with(":root"),
                    "unscoped dark selector {sel:?} in {line:?}"
                );
            }
        }
    }

    #[test]
    fn markdown_is_rendered_and_scripts_are_removed() {
        let html = markdown("**bold** <script>alert(1)</script> <img src=x onerror=alert(1)>\n\n```python\nprint(1)\n```");
        assert!(html.contains("<strong>bold</strong>"));
        assert!(!html.contains("<script") && !html.contains("onerror"));
        assert!(
            html.contains("<pre class=\"hl\"><code><span class=\"hl-source hl-python\">"),
            "{html}"
        );
    }

    #[test]
    fn both_formats_become_blocks_and_unknown_parts_stay_as_json() {
        let rollouts = message(&json!({"role": "assistant", "content": [
            {"type": "thinking", "thinking": "hmm"},
            {"type": "toolCall", "id": "c1", "name": "calc", "arguments": {"x": 1}},
            {"type": "mystery", "v": 2}
        ]}));
        let kinds: Vec<_> = rollouts["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["kind"].clone())
            .collect();
        assert_eq!(kinds, ["thinking", "tool_call", "json"]);
        let openai = message(
            &json!({"role": "assistant", "content": null, "tool_calls": [
                {"id": "c2", "type": "function", "function": {"name": "calc", "arguments": "{\"x\": 2}"}},
                {"id": "c3", "type": "function", "function": {"name": "calc", "arguments": "{bad"}}
            ]}),
        );
        assert_eq!(openai["blocks"][0]["arguments"], "{\n  \"x\": 2\n}");
        assert!(openai["blocks"][1]["parse_error"].is_string());
        let tool = message(&json!({"role": "tool", "tool_call_id": "c2", "content": "4"}));
        assert_eq!(tool["tool_call_id"], "c2");
    }
}
