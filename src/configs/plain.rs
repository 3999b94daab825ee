//! What a config's syntax error means, in plain words. The parsers speak
//! of their own grammar (`invalid string, expected '"', '''` for
//! `samples = = 3`); a user wants to hear what is wrong on that line and
//! how to write it. Each function takes the parser's message and the text
//! at the error (line and column stay as the parser gave them) and returns
//! the plain words, or `None` when it has nothing better to say.

/// The text from the error's column to the end of its line (1-based line
/// and column, in characters).
fn at(content: &str, line: usize, column: usize) -> &str {
    let Some(text) = content.lines().nth(line.saturating_sub(1)) else {
        return "";
    };
    let start = text
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(text.len(), |(i, _)| i);
    &text[start..]
}

/// The word (up to a space, comma or bracket) at the start of `rest`.
fn word(rest: &str) -> &str {
    let end = rest
        .find(|c: char| c.is_whitespace() || ",]}#".contains(c))
        .unwrap_or(rest.len());
    &rest[..end]
}

const TOML_VALUES: &str = "text in quotes (\"like this\"), a number, true or false, \
                           a [list] or an {inline = table}";

pub fn toml(message: &str, content: &str, line: usize, column: usize) -> Option<String> {
    let rest = at(content, line, column);
    let first = message.lines().next().unwrap_or(message);
    if let Some(key) = message
        .lines()
        .find_map(|l| l.strip_prefix("duplicate key `"))
        .and_then(|k| k.split('`').next())
    {
        return Some(format!(
            "`{key}` is set twice: a key (or [table]) may appear only once"
        ));
    }
    Some(match first {
        "invalid string" => match rest.chars().next() {
            Some('=') => "there is one `=` too many: write `key = value` with a single `=`".into(),
            None => format!("the value after `=` is missing: write {TOML_VALUES}"),
            Some(_) => format!(
                "`{}` is not a value: text needs quotes (\"{}\"); a value is {TOML_VALUES}",
                word(rest),
                word(rest)
            ),
        },
        "invalid basic string" => {
            "this text is never closed: it needs a `\"` before the end of the line".into()
        }
        "invalid literal string" => {
            "this text is never closed: it needs a `'` before the end of the line".into()
        }
        "invalid table header" => {
            "the [table] header is not closed: it needs a `]` on the same line".into()
        }
        "invalid array" => {
            "a [list] is not closed, or two of its items have no comma between them".into()
        }
        "invalid inline table" => "an {inline table} is not closed: it needs a `}` on the same \
                                   line, with commas between its entries"
            .into(),
        "invalid key" => "a line must start with a key: write `key = value`".into(),
        "invalid floating-point number" => {
            "this number is not finished: write digits after the point (1.0, not 1.)".into()
        }
        "expected `.`, `=`" => "a key is followed by `=` and its value; a key with spaces \
                                needs quotes (\"my key\" = 1)"
            .into(),
        "expected newline, `#`" => format!(
            "unexpected `{}` after the value: one `key = value` per line (a comment starts with #)",
            word(rest)
        ),
        _ => return None,
    })
}

pub fn json(message: &str) -> Option<String> {
    // serde_json ends with " at line L column C": they are given apart.
    let m = message
        .rsplit_once(" at line ")
        .map_or(message, |(head, _)| head);
    Some(match m {
        "trailing comma" => "a comma before the closing bracket: JSON allows no comma after \
                             the last item; remove it"
            .into(),
        "expected `:`" => "a key must be followed by `:` and its value".into(),
        "key must be a string" => "keys need double quotes in JSON (\"key\": value)".into(),
        "expected value" => "a value is expected here: text in double quotes, a number, true, \
                             false, null, a [list] or an {object}"
            .into(),
        "expected ident" => {
            "not a JSON value: true, false and null are written in lower case, text in double quotes"
                .into()
        }
        "expected `,` or `]`" => {
            "a comma is missing between two items of the list (or its `]`)".into()
        }
        "expected `,` or `}`" => {
            "a comma is missing between two entries of the object (or its `}`)".into()
        }
        "EOF while parsing a value" => "the file ends where a value should be (an empty file \
                                        is not JSON: write {} for nothing)"
            .into(),
        "EOF while parsing an object" => "the file ends before the object is closed: a `}` is \
                                          missing"
            .into(),
        "EOF while parsing a list" => {
            "the file ends before the list is closed: a `]` is missing".into()
        }
        "EOF while parsing a string" => {
            "the file ends inside a text: its closing `\"` is missing".into()
        }
        _ if m.starts_with("control character") => "a text runs past the end of its line: \
                                                     close it with `\"` (a line break inside \
                                                     text is written \\n)"
            .into(),
        _ => return None,
    })
}

pub fn yaml(message: &str) -> Option<String> {
    Some(match message {
        "mapping values are not allowed in this context" => "a `:` where a value was expected: \
             a value that holds `: ` needs quotes, or this line is indented deeper than its key"
            .into(),
        "illegal placement of ':' indicator" => {
            "a `:` inside an inline [list]: is a `]` missing on an earlier line?".into()
        }
        "while scanning a quoted scalar, found unexpected end of stream" => {
            "a quoted text is never closed: its closing quote is missing".into()
        }
        "while parsing a flow mapping, did not find expected ',' or '}'" => {
            "an inline {mapping} is not closed: it needs a `}`, with commas between entries".into()
        }
        "while parsing a flow sequence, did not find expected ',' or ']'" => {
            "an inline [list] is not closed: it needs a `]`, with commas between items".into()
        }
        "while parsing a block collection, did not find expected '-' indicator" => {
            "a list item without its `-`, or a key indented differently from the list".into()
        }
        "while parsing a block mapping, did not find expected key" => {
            "a line indented differently from the keys around it".into()
        }
        _ if message.starts_with("tabs disallowed") => {
            "YAML is indented with spaces, not tabs".into()
        }
        _ if message.ends_with("duplicated key in mapping") => {
            let key = message
                .strip_prefix("String(\"")
                .and_then(|k| k.split("\")").next());
            match key {
                Some(k) => format!("`{k}` is set twice in the same mapping"),
                None => "a key is set twice in the same mapping".into(),
            }
        }
        _ if message.starts_with("unexpected character: `") => {
            let c = message["unexpected character: `".len()..].trim_end_matches('\'');
            format!("`{c}` cannot start a value: put the value in quotes")
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::super::validate::{check_json, check_toml, check_yaml};

    /// The first problem's plain message, and line and column.
    fn first(p: Vec<super::super::validate::Problem>) -> (String, Option<usize>, Option<usize>) {
        let p = p.into_iter().next().expect("a problem");
        (p.message, p.line, p.column)
    }

    #[test]
    fn cryptic_parser_messages_become_plain_words_on_the_same_line_and_column() {
        let (m, l, c) = first(check_toml("name = \"x\"\nsamples = = 3\n"));
        assert_eq!((l, c), (Some(2), Some(11)));
        assert!(m.contains("one `=` too many"), "{m}");
        let (m, ..) = first(check_toml("model = gpt4\n"));
        assert!(
            m.contains("`gpt4` is not a value") && m.contains("\"gpt4\""),
            "{m}"
        );
        let (m, ..) = first(check_toml("samples =\n"));
        assert!(m.contains("value after `=` is missing"), "{m}");
        let (m, ..) = first(check_toml("a = 1\na = 2\n"));
        assert!(m.contains("`a` is set twice"), "{m}");
        let (m, ..) = first(check_json("{\"a\": 1,}"));
        assert!(m.contains("no comma after the last item"), "{m}");
        let (m, ..) = first(check_json("{a: 1}"));
        assert!(m.contains("keys need double quotes"), "{m}");
        let (m, l, _) = first(check_yaml("a: 1\n b: 2\n"));
        assert!(m.contains("indented deeper"), "{m}");
        assert_eq!(l, Some(2));
        // What there are no better words for is left as the parser said it.
        let (m, ..) = first(check_toml("a = 1979-13-01\n"));
        assert!(!m.is_empty());
    }
}
