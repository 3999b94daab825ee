//! Checking a config before it is saved or launched: built-in syntax checks
//! for toml/json/yaml with line and column, the project's JSON Schema
//! (`configs/_schema.json`) for those kinds, and the `[validate]` command of
//! `devloop.toml` (e.g. `python -m py_compile {config}`) for the others.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde::Serialize;

use super::{extension, plain};
use crate::settings::Settings;

const VALIDATE_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, Serialize, PartialEq)]
pub struct Problem {
    /// What is wrong, in plain words where the parser's own are cryptic.
    pub message: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The parser's own message, when `message` says it in other words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Problem {
    fn new(message: String, line: Option<usize>, column: Option<usize>) -> Problem {
        Problem {
            message,
            line,
            column,
            detail: None,
        }
    }

    /// The parser's `raw` message, said as `plain` when there are better words.
    fn worded(
        raw: String,
        plain: Option<String>,
        line: Option<usize>,
        column: Option<usize>,
    ) -> Problem {
        match plain {
            Some(message) => Problem {
                message,
                line,
                column,
                detail: Some(raw.replace('\n', "; ")),
            },
            None => Problem::new(raw.replace('\n', "; "), line, column),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Validation {
    pub ok: bool,
    pub problems: Vec<Problem>,
    /// Output of the `[validate]` command, when one ran.
    pub output: Option<String>,
    pub checker: String,
}

/// Checks `content` as config `name` would be checked.
pub fn validate(settings: &Settings, name: &str, content: &str) -> Validation {
    let ext = extension(name);
    let builtin = |checker: &str, problems: Vec<Problem>| Validation {
        ok: problems.is_empty(),
        problems,
        output: None,
        checker: checker.into(),
    };
    if let Some(cmd) = settings.validate.get(ext) {
        return run_validator(settings, name, content, cmd);
    }
    let syntax = match ext {
        "toml" => Some(check_toml(content)),
        "json" => Some(check_json(content)),
        "yaml" | "yml" => Some(check_yaml(content)),
        _ => None,
    };
    if let Some(problems) = syntax {
        if !problems.is_empty() {
            return builtin(ext, problems);
        }
        return match check_schema(settings, name, content) {
            Ok(None) => builtin(ext, problems),
            Ok(Some(schema_problems)) => {
                builtin(&format!("{ext} + configs/_schema.json"), schema_problems)
            }
            Err(e) => builtin(ext, vec![Problem::new(e, None, None)]),
        };
    }
    Validation {
        ok: true,
        problems: vec![],
        output: None,
        checker: format!("none (add [validate] {ext} = [...] to devloop.toml)"),
    }
}

pub(super) fn check_toml(content: &str) -> Vec<Problem> {
    match content.parse::<toml::Table>() {
        Ok(_) => vec![],
        Err(e) => {
            let (line, column) = e
                .span()
                .map(|s| line_col(content, s.start))
                .map_or((None, None), |(l, c)| (Some(l), Some(c)));
            let raw = e.message().to_string();
            let plain = line
                .zip(column)
                .and_then(|(l, c)| plain::toml(&raw, content, l, c));
            vec![Problem::worded(raw, plain, line, column)]
        }
    }
}

pub(super) fn check_json(content: &str) -> Vec<Problem> {
    match serde_json::from_str::<serde_json::Value>(content) {
        Ok(_) => vec![],
        Err(e) => {
            let raw = e.to_string();
            let plain = plain::json(&raw);
            // At the very end serde_json says column 0: the start of that line is meant.
            vec![Problem::worded(
                raw,
                plain,
                Some(e.line()),
                Some(e.column().max(1)),
            )]
        }
    }
}

pub(super) fn check_yaml(content: &str) -> Vec<Problem> {
    match yaml_rust2::YamlLoader::load_from_str(content) {
        Ok(_) => vec![],
        Err(e) => {
            let raw = e.info().to_string();
            let plain = plain::yaml(&raw);
            vec![Problem::worded(
                raw,
                plain,
                Some(e.marker().line()),
                Some(e.marker().col() + 1),
            )]
        }
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Runs the project's validator on the content, written to a temporary copy
/// with the same file name so error messages name the right file.
fn run_validator(settings: &Settings, name: &str, content: &str, cmd: &[String]) -> Validation {
    let fail = |message: String| Validation {
        ok: false,
        problems: vec![Problem::new(message, None, None)],
        output: None,
        checker: cmd.join(" "),
    };
    let Ok(tmp) = tempfile::tempdir() else {
        return fail("cannot make a temporary folder".into());
    };
    let file = tmp
        .path()
        .join(Path::new(name).file_name().unwrap_or_default());
    if let Err(e) = std::fs::write(&file, content) {
        return fail(format!("cannot write a temporary copy: {e}"));
    }
    let file_str = file.to_string_lossy().into_owned();
    let argv = crate::settings::expand(
        cmd,
        &crate::settings::Placeholders {
            config: &file_str,
            config_name: name,
            run_id: "",
            run_dir: "",
            project: &settings.project.to_string_lossy(),
        },
    );
    let Some((program, args)) = argv.split_first() else {
        return fail("empty [validate] command".into());
    };
    let out = match crate::command::run(
        Command::new(program)
            .args(args)
            .current_dir(&settings.project)
            .envs(settings.env.iter()),
        VALIDATE_TIMEOUT,
    ) {
        Ok(out) => out,
        Err(e) => return fail(format!("validator {program}: {e}")),
    };
    let mut output = String::from_utf8_lossy(&out.stdout).into_owned();
    output.push_str(&String::from_utf8_lossy(&out.stderr));
    // Messages name files as the user sees them: relative to the project.
    let project = format!("{}/", settings.project.display());
    let output = output.replace(&file_str, name).replace(&project, "");
    let ok = out.status.success();
    let problems = if ok {
        vec![]
    } else {
        vec![Problem::new(
            output
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("validation failed")
                .to_string(),
            find_line_number(&output),
            None,
        )]
    };
    Validation {
        ok,
        problems,
        output: Some(output),
        checker: cmd.join(" "),
    }
}

/// The first `line N` in a validator's output (Python's style).
fn find_line_number(output: &str) -> Option<usize> {
    let pos = output.find("line ")?;
    output[pos + 5..]
        .split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// Problems of a declarative config against `configs/_schema.json`, if the
/// project has one; `Ok(None)` when it has none.
pub fn check_schema(
    settings: &Settings,
    name: &str,
    content: &str,
) -> Result<Option<Vec<Problem>>, String> {
    let schema_path = settings.configs_dir.join("_schema.json");
    let Ok(schema_text) = std::fs::read(&schema_path) else {
        return Ok(None);
    };
    let schema: serde_json::Value = serde_json::from_slice(&schema_text)
        .map_err(|e| format!("configs/_schema.json is not valid JSON: {e}"))?;
    let validator =
        jsonschema::validator_for(&schema).map_err(|e| format!("configs/_schema.json: {e}"))?;
    let Some(value) = declarative_value(name, content) else {
        return Ok(None);
    };
    Ok(Some(
        validator
            .iter_errors(&value)
            .map(|e| {
                let path = e.instance_path().to_string();
                Problem::new(
                    if path.is_empty() {
                        e.to_string()
                    } else {
                        format!("{path}: {e}")
                    },
                    None,
                    None,
                )
            })
            .collect(),
    ))
}

/// A toml/json/yaml config as JSON, for the schema; `None` for other kinds
/// or text that does not parse (syntax problems are reported elsewhere).
pub fn declarative_value(name: &str, content: &str) -> Option<serde_json::Value> {
    match extension(name) {
        "json" => serde_json::from_str(content).ok(),
        "toml" => content
            .parse::<toml::Table>()
            .ok()
            .and_then(|t| serde_json::to_value(t).ok()),
        "yaml" | "yml" => yaml_rust2::YamlLoader::load_from_str(content)
            .ok()
            .map(|docs| {
                docs.first()
                    .map(yaml_to_json)
                    .unwrap_or(serde_json::Value::Null)
            }),
        _ => None,
    }
}

fn yaml_to_json(y: &yaml_rust2::Yaml) -> serde_json::Value {
    use serde_json::Value;
    use yaml_rust2::Yaml;
    match y {
        Yaml::Real(s) => s
            .parse::<f64>()
            .ok()
            .map(Value::from)
            .unwrap_or(Value::Null),
        Yaml::Integer(i) => Value::from(*i),
        Yaml::String(s) => Value::from(s.clone()),
        Yaml::Boolean(b) => Value::from(*b),
        Yaml::Array(a) => Value::Array(a.iter().map(yaml_to_json).collect()),
        Yaml::Hash(h) => Value::Object(
            h.iter()
                .map(|(k, v)| {
                    let key = match k {
                        Yaml::String(s) => s.clone(),
                        other => yaml_to_json(other).to_string(),
                    };
                    (key, yaml_to_json(v))
                })
                .collect(),
        ),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_name_line_and_column() {
        let t = check_toml("a = 1\nb = = 2\n");
        assert_eq!((t[0].line, t[0].column.is_some()), (Some(2), true));
        let j = check_json("{\n  \"a\": 1,\n  \"b\" 2\n}");
        assert_eq!(j[0].line, Some(3));
        let y = check_yaml("a: 1\nb: [1, 2\nc: 3\n");
        assert!(y[0].line.is_some(), "{y:?}");
        assert!(
            check_toml("a = 1").is_empty()
                && check_json("[]").is_empty()
                && check_yaml("a: [1]").is_empty()
        );
    }
}
