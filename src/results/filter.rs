//! Filter expressions over the rows of a samples table, as a user types them
//! in the table's filter box: `reward > 0.5 and turns < 3`,
//! `metadata.difficulty == "hard"`, `not error`, `id ~ "^math"`.
//!
//! The grammar is small and Python-flavoured, since our users write Python:
//! `or`/`||`, `and`/`&&`, `not`/`!`, parentheses; comparisons `==`, `!=`,
//! `<`, `<=`, `>`, `>=`, and `~`/`!~` (regex match); values are numbers, quoted strings,
//! `true`/`false`/`null` (also `True`/`False`/`None`) and fields. A field is a
//! dotted path (`metadata.sample_data.level`), with `["any key"]` for keys
//! that are not plain words. A field alone is a condition: it holds when the
//! value is present and not false, zero or empty.
//!
//! Parsing fails with a message in plain words and the column it happened
//! at; a field no row has fails too (a typo would otherwise silently match
//! nothing). What a field means is the row type's business ([`Fields`]).

use std::cmp::Ordering;

use regex::Regex;
use serde_json::Value;
use winnow::ascii::{float, multispace0};
use winnow::combinator::{
    alt, cut_err, delimited, eof, not, opt, preceded, repeat, separated, terminated,
};
use winnow::error::{ContextError, ErrMode, StrContext, StrContextValue};
use winnow::prelude::*;
use winnow::token::{any, one_of, take_while};

/// A row that filters can ask about.
pub trait Fields {
    /// The value at `path` (`["reward"]`, `["metadata", "difficulty"]`), or
    /// `None` when this row has none.
    fn field(&self, path: &[String]) -> Option<Value>;
}

impl<T: Fields> Fields for &T {
    fn field(&self, path: &[String]) -> Option<Value> {
        (*self).field(path)
    }
}

/// The value at `path` inside `v`.
pub fn at(v: &Value, path: &[String]) -> Option<Value> {
    path.iter().try_fold(v, |v, p| v.get(p)).cloned()
}

/// How two rows compare by one field, for sorting: missing values first,
/// then numbers, then text.
pub fn by_field<T: Fields>(key: &str) -> super::Order<T> {
    let path = vec![key.to_string()];
    Box::new(move |a, b| {
        let rank = |v: &Option<Value>| match v {
            None | Some(Value::Null) => (0, f64::NEG_INFINITY, String::new()),
            Some(v) => match number(v) {
                Some(x) => (1, x, String::new()),
                None => (
                    2,
                    0.0,
                    v.as_str().map_or_else(|| v.to_string(), str::to_string),
                ),
            },
        };
        let (x, y) = (rank(&a.field(&path)), rank(&b.field(&path)));
        x.0.cmp(&y.0)
            .then(x.1.total_cmp(&y.1))
            .then_with(|| x.2.cmp(&y.2))
    })
}

/// The fields the rows of one table have, to catch typos before filtering.
#[derive(Debug, Default)]
pub struct FieldSet {
    /// Fields by their full name (`reward`, `correct`).
    pub names: std::collections::BTreeSet<String>,
    /// First parts under which any path is allowed (`metadata`, `scores`).
    pub open: Vec<&'static str>,
}

impl FieldSet {
    pub fn knows(&self, path: &[String]) -> bool {
        let first = path[0].as_str();
        self.open.contains(&first) || (path.len() == 1 && self.names.contains(first))
    }

    fn describe(&self) -> String {
        let mut all: Vec<String> = self.names.iter().cloned().collect();
        all.extend(self.open.iter().map(|o| format!("{o}.…")));
        all.join(", ")
    }
}

/// Bounds that keep parsing (which recurses on parentheses) cheap and the
/// stack small, far above what anyone types.
const MAX_CHARS: usize = 4000;
const MAX_DEPTH: usize = 32;

#[derive(Debug)]
pub struct Filter {
    expr: Expr,
}

#[derive(Debug)]
enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Not(Box<Expr>),
    Holds(Operand),
    Compare(Operand, Op, Operand),
    Matches(Operand, Regex, bool),
}

#[derive(Debug, Clone)]
enum Operand {
    Literal(Value),
    Field(Vec<String>),
}

#[derive(Debug, Clone, Copy)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Filter {
    /// Parses `src`; the error says what is wrong and where, in words.
    pub fn parse(src: &str) -> Result<Filter, String> {
        if src.chars().count() > MAX_CHARS {
            return Err(format!("a filter is at most {MAX_CHARS} characters"));
        }
        if depth(src) > MAX_DEPTH {
            return Err(format!("parentheses nest at most {MAX_DEPTH} deep"));
        }
        if let Some(at) = lone_equals(src) {
            return Err(format!(
                "use == to compare (a single = at column {})",
                column(src, at)
            ));
        }
        let expr = terminated(delimited(multispace0, or_expr, multispace0), eof)
            .parse(src)
            .map_err(|e| explain(src, e.offset(), e.inner()))?;
        Ok(Filter { expr })
    }

    /// Parses `src` and checks that every field it names is one of `known`.
    pub fn parse_for(src: &str, known: &FieldSet) -> Result<Filter, String> {
        let f = Filter::parse(src)?;
        let mut unknown = Vec::new();
        f.expr.fields(&mut |p| {
            if !known.knows(p) {
                unknown.push(p.join("."));
            }
        });
        match unknown.first() {
            None => Ok(f),
            Some(u) => Err(format!(
                "no field {u:?} in these samples; the fields are {}",
                known.describe()
            )),
        }
    }

    pub fn matches(&self, row: &impl Fields) -> bool {
        self.expr.eval(row)
    }

    /// `field op value`, as the parser would make it: for the query
    /// parameters that predate expressions (`status=`, `min_reward=`).
    pub fn compare(field: &str, op: Op, value: Value) -> Filter {
        Filter {
            expr: Expr::Compare(
                Operand::Field(vec![field.to_string()]),
                op,
                Operand::Literal(value),
            ),
        }
    }

    /// Holds when any of `fields` is present and not empty.
    pub fn any_of(fields: &[&str]) -> Filter {
        let holds = |f: &&str| Expr::Holds(Operand::Field(vec![f.to_string()]));
        Filter {
            expr: Expr::Or(fields.iter().map(holds).collect()),
        }
    }

    pub fn negate(self) -> Filter {
        Filter {
            expr: Expr::Not(Box::new(self.expr)),
        }
    }

    /// All of `parts`; `None` when there are none (everything passes).
    pub fn all(parts: Vec<Filter>) -> Option<Filter> {
        match parts.len() {
            0 => None,
            1 => parts.into_iter().next(),
            _ => Some(Filter {
                expr: Expr::And(parts.into_iter().map(|f| f.expr).collect()),
            }),
        }
    }
}

impl Expr {
    fn fields(&self, f: &mut impl FnMut(&[String])) {
        let mut operand = |o: &Operand| {
            if let Operand::Field(p) = o {
                f(p)
            }
        };
        match self {
            Expr::Or(v) | Expr::And(v) => v.iter().for_each(|e| e.fields(f)),
            Expr::Not(e) => e.fields(f),
            Expr::Holds(o) | Expr::Matches(o, _, _) => operand(o),
            Expr::Compare(a, _, b) => {
                operand(a);
                operand(b);
            }
        }
    }

    fn eval(&self, row: &impl Fields) -> bool {
        match self {
            Expr::Or(v) => v.iter().any(|e| e.eval(row)),
            Expr::And(v) => v.iter().all(|e| e.eval(row)),
            Expr::Not(e) => !e.eval(row),
            Expr::Holds(o) => truthy(&o.value(row)),
            Expr::Compare(a, op, b) => compare(&a.value(row), *op, &b.value(row)),
            Expr::Matches(o, re, want) => {
                let v = o.value(row);
                let text = match &v {
                    Value::Null => return !want,
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                re.is_match(&text) == *want
            }
        }
    }
}

impl Operand {
    fn value(&self, row: &impl Fields) -> Value {
        match self {
            Operand::Literal(v) => v.clone(),
            Operand::Field(p) => row.field(p).unwrap_or(Value::Null),
        }
    }
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|x| x != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// A number, or a string that reads as one (metadata often has `"3"`).
fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

fn compare(a: &Value, op: Op, b: &Value) -> bool {
    let order = match (a, b) {
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Null, Value::Null) => Some(Ordering::Equal),
        (Value::Null, _) | (_, Value::Null) => None,
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => match (number(a), number(b)) {
            (Some(x), Some(y)) => x.partial_cmp(&y),
            _ => (a == b).then_some(Ordering::Equal),
        },
    };
    match (op, order) {
        (Op::Eq, o) => o == Some(Ordering::Equal),
        (Op::Ne, o) => o != Some(Ordering::Equal),
        (_, None) => false,
        (Op::Lt, Some(o)) => o.is_lt(),
        (Op::Le, Some(o)) => o.is_le(),
        (Op::Gt, Some(o)) => o.is_gt(),
        (Op::Ge, Some(o)) => o.is_ge(),
    }
}

// ---- the grammar -------------------------------------------------------------

type In<'a> = &'a str;

fn ws<'a, O>(
    p: impl Parser<In<'a>, O, ErrMode<ContextError>>,
) -> impl Parser<In<'a>, O, ErrMode<ContextError>> {
    delimited(multispace0, p, multispace0)
}

/// A word that is not the start of a longer one (`and`, not `android`).
fn word<'a>(w: &'static str) -> impl Parser<In<'a>, &'a str, ErrMode<ContextError>> {
    terminated(w, not(one_of(|c: char| c.is_alphanumeric() || c == '_')))
}

fn expected(what: &'static str) -> StrContext {
    StrContext::Expected(StrContextValue::Description(what))
}

fn or_expr(i: &mut In<'_>) -> ModalResult<Expr> {
    joined(i, and_expr, "||", "or", Expr::Or)
}

fn and_expr(i: &mut In<'_>) -> ModalResult<Expr> {
    joined(i, not_expr, "&&", "and", Expr::And)
}

/// One or more `part`s joined by `symbol` or `keyword`; one alone is itself.
fn joined(
    i: &mut In<'_>,
    part: fn(&mut In<'_>) -> ModalResult<Expr>,
    symbol: &'static str,
    keyword: &'static str,
    all: fn(Vec<Expr>) -> Expr,
) -> ModalResult<Expr> {
    let mut parts: Vec<Expr> =
        separated(1.., part, ws(alt((symbol, word(keyword))))).parse_next(i)?;
    Ok(if parts.len() == 1 {
        parts.remove(0)
    } else {
        all(parts)
    })
}

fn not_expr(i: &mut In<'_>) -> ModalResult<Expr> {
    // A loop, not recursion: `not not not …` cannot grow the stack.
    let nots: usize = repeat(
        0..,
        terminated(alt((word("not"), terminated("!", not("=")))), multispace0),
    )
    .parse_next(i)?;
    if nots == 0 {
        return primary(i);
    }
    let e = cut_err(primary)
        .context(expected("a condition after `not`"))
        .parse_next(i)?;
    Ok(if nots % 2 == 1 {
        Expr::Not(Box::new(e))
    } else {
        e
    })
}

fn primary(i: &mut In<'_>) -> ModalResult<Expr> {
    alt((
        delimited(
            terminated("(", multispace0),
            cut_err(or_expr).context(expected("a condition inside the parentheses")),
            cut_err(preceded(multispace0, ")")).context(expected("a closing `)`")),
        ),
        comparison,
    ))
    .parse_next(i)
}

fn comparison(i: &mut In<'_>) -> ModalResult<Expr> {
    let left = operand
        .context(expected(
            "a condition such as reward > 0.5, status == \"failed\" or metadata.level == 3",
        ))
        .parse_next(i)?;
    let op = opt(ws(alt(("==", "!=", "<=", ">=", "<", ">", "!~", "~")))).parse_next(i)?;
    let Some(op) = op else {
        return Ok(Expr::Holds(left));
    };
    if op == "~" || op == "!~" {
        let re = cut_err(string.try_map(|s| Regex::new(&s)))
            .context(expected("a valid regular expression in quotes after ~"))
            .parse_next(i)?;
        return Ok(Expr::Matches(left, re, op == "~"));
    }
    let right = cut_err(operand)
        .context(expected(
            "a value to compare with (a number, \"text\", true/false/null or a field)",
        ))
        .parse_next(i)?;
    let op = match op {
        "==" => Op::Eq,
        "!=" => Op::Ne,
        "<" => Op::Lt,
        "<=" => Op::Le,
        ">" => Op::Gt,
        _ => Op::Ge,
    };
    Ok(Expr::Compare(left, op, right))
}

fn operand(i: &mut In<'_>) -> ModalResult<Operand> {
    alt((
        string.map(|s| Operand::Literal(Value::String(s))),
        alt((word("true"), word("True"))).value(Operand::Literal(Value::Bool(true))),
        alt((word("false"), word("False"))).value(Operand::Literal(Value::Bool(false))),
        alt((word("null"), word("None"))).value(Operand::Literal(Value::Null)),
        // Before numbers: `info` is a field, not the number `inf` and an `o`.
        path.map(Operand::Field),
        float.verify_map(|x: f64| {
            serde_json::Number::from_f64(x).map(|n| Operand::Literal(Value::Number(n)))
        }),
    ))
    .parse_next(i)
}

fn ident(i: &mut In<'_>) -> ModalResult<String> {
    (
        one_of(|c: char| c.is_alphabetic() || c == '_'),
        take_while(0.., |c: char| c.is_alphanumeric() || c == '_' || c == '-'),
    )
        .take()
        .map(str::to_string)
        .parse_next(i)
}

fn path(i: &mut In<'_>) -> ModalResult<Vec<String>> {
    let first = ident.parse_next(i)?;
    let mut parts = vec![first];
    loop {
        if opt(".").parse_next(i)?.is_some() {
            parts.push(
                cut_err(ident)
                    .context(expected("a field name after `.`"))
                    .parse_next(i)?,
            );
        } else if opt("[").parse_next(i)?.is_some() {
            let key = cut_err(terminated(string, "]"))
                .context(expected("a quoted key and `]`, as in [\"my key\"]"))
                .parse_next(i)?;
            parts.push(key);
        } else {
            return Ok(parts);
        }
    }
}

/// `"text"` or `'text'`, with `\` escaping the next character (`\n`, `\t`
/// as usual).
fn string(i: &mut In<'_>) -> ModalResult<String> {
    let quote = one_of(['"', '\'']).parse_next(i)?;
    let mut out = String::new();
    loop {
        let c = cut_err(any)
            .context(expected("a closing quote"))
            .parse_next(i)?;
        match c {
            c if c == quote => return Ok(out),
            '\\' => {
                let e = cut_err(any)
                    .context(expected("a character after \\"))
                    .parse_next(i)?;
                out.push(match e {
                    'n' => '\n',
                    't' => '\t',
                    other => other,
                });
            }
            c => out.push(c),
        }
    }
}

// ---- messages -----------------------------------------------------------------

fn column(src: &str, offset: usize) -> usize {
    src[..offset.min(src.len())].chars().count() + 1
}

/// How deep parentheses nest, outside quotes.
fn depth(src: &str) -> usize {
    let (mut now, mut most, mut quote, mut escaped) = (0usize, 0, None, false);
    for c in src.chars() {
        match quote {
            Some(_) if escaped => escaped = false,
            Some(_) if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '"' | '\'' => quote = Some(c),
                '(' => {
                    now += 1;
                    most = most.max(now);
                }
                ')' => now = now.saturating_sub(1),
                _ => {}
            },
        }
    }
    most
}

/// A `=` that is not part of `==`, `!=`, `<=` or `>=`, outside quotes: the
/// commonest slip, worth its own message.
fn lone_equals(src: &str) -> Option<usize> {
    let b = src.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(_) if c == b'\\' => i += 1,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'"' || c == b'\'' => quote = Some(c),
            None if c == b'=' => {
                let before = i.checked_sub(1).map(|j| b[j]);
                let after = b.get(i + 1).copied();
                if after == Some(b'=') {
                    i += 1;
                } else if !matches!(before, Some(b'!' | b'<' | b'>' | b'=')) {
                    return Some(i);
                }
            }
            None => {}
        }
        i += 1;
    }
    None
}

fn explain(src: &str, offset: usize, err: &ContextError) -> String {
    let want: Vec<String> = err
        .context()
        .filter_map(|c| match c {
            StrContext::Expected(v) => Some(v.to_string()),
            _ => None,
        })
        .collect();
    let rest = src[offset.min(src.len())..].trim_start();
    let found = if rest.is_empty() {
        "the end".to_string()
    } else {
        let word: String = rest.chars().take(20).collect();
        format!("`{word}`")
    };
    match want.first() {
        Some(w) => format!(
            "expected {w} at column {}, found {found}",
            column(src, offset)
        ),
        None => format!(
            "did not understand {found} at column {}; join conditions with `and` / `or`",
            column(src, offset)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct Row(Value);
    impl Fields for Row {
        fn field(&self, path: &[String]) -> Option<Value> {
            let mut v = &self.0;
            for p in path {
                v = v.get(p)?;
            }
            Some(v.clone())
        }
    }

    fn hits(src: &str) -> Vec<u64> {
        let rows = [
            json!({"id": 1, "reward": 1.0, "turns": 2, "status": "completed", "error": null, "metadata": {"difficulty": "hard", "n": "3"}}),
            json!({"id": 2, "reward": 0.0, "turns": 5, "status": "failed", "error": "ProviderError: 429", "metadata": {"difficulty": "easy"}}),
            json!({"id": 3, "reward": 0.7, "turns": 1, "status": "completed", "error": null, "metadata": {"my key": true}}),
        ];
        let f = Filter::parse(src).unwrap_or_else(|e| panic!("{src}: {e}"));
        rows.into_iter()
            .filter(|r| f.matches(&Row(r.clone())))
            .map(|r| r["id"].as_u64().unwrap())
            .collect()
    }

    #[test]
    fn conditions_combine_as_a_python_user_expects() {
        assert_eq!(hits("reward > 0.5 and turns < 3"), [1, 3]);
        assert_eq!(hits("reward>0.5&&turns<2"), [3]);
        assert_eq!(hits(r#"metadata.difficulty == "hard""#), [1]);
        assert_eq!(hits(r#"metadata.difficulty != 'hard'"#), [2, 3]);
        assert_eq!(hits("error"), [2]);
        assert_eq!(hits("not error and reward < 1"), [3]);
        assert_eq!(hits("!(reward >= 0.7) or turns == 1"), [2, 3]);
        assert_eq!(hits(r#"error ~ "(?i)providererror""#), [2]);
        assert_eq!(hits(r#"status !~ "^comp""#), [2]);
        assert_eq!(hits(r#"metadata["my key"] == True"#), [3]);
        // A number held as a string compares as a number.
        assert_eq!(hits("metadata.n >= 3"), [1]);
        // A missing field is null: never greater, never less.
        assert_eq!(
            hits("metadata.nothing > 0 or metadata.nothing < 0"),
            Vec::<u64>::new()
        );
        assert_eq!(hits("metadata.nothing == null and id < 3"), [1, 2]);
        // `android` is a field, not `and` + `roid`.
        assert_eq!(hits("android or notes or order"), Vec::<u64>::new());
        assert_eq!(hits("info or nan or turns < -1e3"), Vec::<u64>::new());
    }

    #[test]
    fn mistakes_are_told_in_words_with_their_column() {
        let err = |s: &str| Filter::parse(s).unwrap_err();
        assert_eq!(
            err("reward = 1"),
            "use == to compare (a single = at column 8)"
        );
        let e = err("reward > ");
        assert!(
            e.contains("expected a value to compare with")
                && e.contains("column 10")
                && e.contains("the end"),
            "{e}"
        );
        let e = err("reward > 1 turns < 3");
        assert!(
            e.contains("`turns < 3`") && e.contains("`and` / `or`"),
            "{e}"
        );
        let e = err("(reward > 1");
        assert!(e.contains("closing `)`"), "{e}");
        let e = err(r#"status == "failed"#);
        assert!(e.contains("closing quote"), "{e}");
        let e = err(r#"id ~ "(""#);
        assert!(e.contains("valid regular expression"), "{e}");
        assert!(err(&"(".repeat(40)).contains("nest at most 32"));
        assert!(err(&"x".repeat(5000)).contains("at most 4000"));
        // Many `not`s are fine: they are counted, not nested.
        assert!(Filter::parse(&format!("{} error", "not ".repeat(900))).is_ok());
        let e = err("reward > > 1");
        assert!(
            e.contains("value to compare with") && e.contains("column 10"),
            "{e}"
        );
    }

    #[test]
    fn a_field_no_row_has_is_named() {
        let known = FieldSet {
            names: ["reward", "turns", "correct"].map(String::from).into(),
            open: vec!["metadata"],
        };
        assert!(Filter::parse_for("correct > 0 and metadata.x.y == 1", &known).is_ok());
        let e = Filter::parse_for("rewrd > 0", &known).unwrap_err();
        assert!(
            e.contains("\"rewrd\"") && e.contains("correct") && e.contains("metadata.…"),
            "{e}"
        );
    }
}
