//! The one filter language: a typed tree every face's query syntax is parsed into, and the
//! SCIM-style text form (`user_name sw "al" and status eq "active"`) the native API speaks. A face
//! with its own attribute names (SCIM's `name.givenName`, value paths `emails[type eq "work"]`)
//! parses the same text form through its own [`Vocabulary`].

use crate::schema::{Attr, AttrType, Resource};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Longest filter text accepted, in bytes.
pub const MAX_LENGTH: usize = 4096;
/// Deepest nesting of parentheses and `not` accepted.
pub const MAX_DEPTH: usize = 16;
/// Most attribute tests one filter may hold.
pub const MAX_TESTS: usize = 64;
/// Most values one `in` list may hold.
pub const MAX_IN_VALUES: usize = 256;
/// Deepest claims path accepted (`claims.a.b.c`).
pub const MAX_CLAIM_PATH: usize = 8;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FilterError {
    #[error("filter syntax error at byte {at}: {message}")]
    Syntax { at: usize, message: String },
    #[error("unknown attribute '{0}'")]
    UnknownAttribute(String),
    #[error("attribute '{0}' cannot be filtered on")]
    NotFilterable(String),
    #[error("unknown operator '{0}'")]
    UnknownOperator(String),
    #[error("operator '{op}' cannot be used on attribute '{attr}'")]
    OperatorNotAllowed { attr: String, op: &'static str },
    #[error("attribute '{attr}' expects {expected}")]
    BadValue { attr: String, expected: String },
    #[error("the filter is longer than {MAX_LENGTH} bytes")]
    TooLong,
    #[error("the filter nests deeper than {MAX_DEPTH} levels")]
    TooDeep,
    #[error("the filter has more than {MAX_TESTS} tests or an 'in' list of more than {MAX_IN_VALUES} values")]
    TooComplex,
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CmpOp {
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "eq",
            CmpOp::Ne => "ne",
            CmpOp::Co => "co",
            CmpOp::Sw => "sw",
            CmpOp::Ew => "ew",
            CmpOp::Gt => "gt",
            CmpOp::Ge => "ge",
            CmpOp::Lt => "lt",
            CmpOp::Le => "le",
        }
    }

    fn parse(word: &str) -> Option<CmpOp> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => CmpOp::Eq,
            "ne" => CmpOp::Ne,
            "co" => CmpOp::Co,
            "sw" => CmpOp::Sw,
            "ew" => CmpOp::Ew,
            "gt" => CmpOp::Gt,
            "ge" => CmpOp::Ge,
            "lt" => CmpOp::Lt,
            "le" => CmpOp::Le,
            _ => return None,
        })
    }

    fn is_substring(self) -> bool {
        matches!(self, CmpOp::Co | CmpOp::Sw | CmpOp::Ew)
    }

    fn is_ordering(self) -> bool {
        matches!(self, CmpOp::Gt | CmpOp::Ge | CmpOp::Lt | CmpOp::Le)
    }
}

/// A typed literal, already checked against the attribute it is compared with.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Text; for case-insensitive attributes it is already lower-cased.
    Text(String),
    Bool(bool),
    Int(i64),
    Time(DateTime<Utc>),
    Uuid(Uuid),
    /// A scalar compared with a claim (string, number or boolean).
    Json(serde_json::Value),
    /// Text compared without regard to case, with a text attribute or a string claim: what a face
    /// whose attribute is not case-exact asks (see [`Filter::ignoring_case`]).
    Folded(String),
}

/// What a filter tests an attribute for.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    /// Present: not null (for claims: the path exists and is not null).
    Present,
    Cmp(CmpOp, Value),
    In(Vec<Value>),
    /// The claims path holds an object (what an empty object asks of a deep-subset match).
    IsObject,
}

/// The attribute a test reads: a catalogue attribute, or a path into the claims object.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Attr(&'static Attr),
    Claim(Vec<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Box<Filter>),
    Test {
        target: Target,
        cond: Cond,
    },
    /// Some element of the claims array at `array` matches `element`, whose claims paths are read
    /// from that element (`emails[type eq "work" and value co "@example.com"]`).
    Any {
        array: Vec<String>,
        element: Box<Filter>,
    },
    /// The principal is a direct member of a live group the filter (of groups) matches.
    MemberOf(Box<Filter>),
    /// The group has a direct, live member (a user or a group) the filter (of principals) matches.
    HasMember(Box<Filter>),
}

impl Filter {
    /// Conjunction of several filters, flattening the trivial cases.
    pub fn all(mut parts: Vec<Filter>) -> Option<Filter> {
        match parts.len() {
            0 => None,
            1 => parts.pop(),
            _ => Some(Filter::And(parts)),
        }
    }

    /// The filter nothing matches (an empty disjunction).
    pub fn nothing() -> Filter {
        Filter::Or(Vec::new())
    }

    /// The filter everything matches (an empty conjunction).
    pub fn everything() -> Filter {
        Filter::And(Vec::new())
    }

    /// The same filter with its text comparisons made without regard to case: those of text
    /// attributes and string claims (case-insensitive attributes already compare that way).
    pub fn ignoring_case(self) -> Filter {
        let fold = |f: Filter| f.ignoring_case();
        match self {
            Filter::And(parts) => Filter::And(parts.into_iter().map(fold).collect()),
            Filter::Or(parts) => Filter::Or(parts.into_iter().map(fold).collect()),
            Filter::Not(inner) => Filter::Not(Box::new(inner.ignoring_case())),
            Filter::Any { array, element } => Filter::Any { array, element: Box::new(element.ignoring_case()) },
            Filter::MemberOf(of) => Filter::MemberOf(Box::new(of.ignoring_case())),
            Filter::HasMember(of) => Filter::HasMember(Box::new(of.ignoring_case())),
            Filter::Test { target, cond } => {
                let foldable = match &target {
                    Target::Attr(a) => a.ty == AttrType::Text,
                    Target::Claim(_) => true,
                };
                let folded = |v: Value| match v {
                    Value::Text(s) | Value::Json(serde_json::Value::String(s)) if foldable => Value::Folded(s),
                    other => other,
                };
                let cond = match cond {
                    Cond::Cmp(op, v) => Cond::Cmp(op, folded(v)),
                    Cond::In(values) => Cond::In(values.into_iter().map(folded).collect()),
                    other => other,
                };
                Filter::Test { target, cond }
            }
        }
    }
}

/// What a filter text asks of one attribute, before a vocabulary types it.
#[derive(Debug, Clone, PartialEq)]
pub enum Ask {
    Present,
    Cmp(CmpOp, Literal),
    In(Vec<Literal>),
}

/// How a filter text's attribute names become tests: the catalogue of a resource, or a face's
/// own names for it.
pub trait Vocabulary {
    /// The test of the attribute at `path` (inside a value path `a[b eq 1]`, `path` is `a.b`).
    fn test(&self, path: &str, ask: Ask) -> Result<Filter, FilterError>;
    /// Whether `name[...]` value paths are part of the language.
    fn value_paths(&self) -> bool {
        false
    }
    /// The test of `sub` of one element of the multi-valued `attr`, inside `attr[...]`; by
    /// default the test of the path `attr.sub`.
    fn element_test(&self, attr: &str, sub: &str, ask: Ask) -> Result<Filter, FilterError> {
        self.test(&format!("{attr}.{sub}"), ask)
    }
    /// What `attr[inner]` means, `inner` being made of `element_test`s: by default `inner` itself.
    fn value_path(&self, _attr: &str, inner: Filter) -> Result<Filter, FilterError> {
        Ok(inner)
    }
}

/// The native vocabulary: a resource's catalogue attribute names and `claims.` paths.
struct Catalogue(Resource);

impl Vocabulary for Catalogue {
    fn test(&self, path: &str, ask: Ask) -> Result<Filter, FilterError> {
        test(catalogue_target(self.0, path)?, ask)
    }
}

// ---------------------------------------------------------------------------------------------
// Text form

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Word(String),
    Str(String),
    Num(serde_json::Number),
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    fn err(&self, at: usize, message: impl Into<String>) -> FilterError {
        FilterError::Syntax { at, message: message.into() }
    }

    fn tokens(mut self) -> Result<Vec<(usize, Tok)>, FilterError> {
        let mut out = Vec::new();
        let bytes = self.src.as_bytes();
        while self.pos < bytes.len() {
            let start = self.pos;
            let c = bytes[self.pos];
            match c {
                b' ' | b'\t' | b'\r' | b'\n' => self.pos += 1,
                b'(' | b')' | b'[' | b']' | b',' => {
                    self.pos += 1;
                    out.push((
                        start,
                        match c {
                            b'(' => Tok::LParen,
                            b')' => Tok::RParen,
                            b'[' => Tok::LBracket,
                            b']' => Tok::RBracket,
                            _ => Tok::Comma,
                        },
                    ));
                }
                b'"' => out.push((start, Tok::Str(self.string()?))),
                b'-' | b'0'..=b'9' => {
                    while self.pos < bytes.len()
                        && matches!(bytes[self.pos], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                    {
                        self.pos += 1;
                    }
                    let text = &self.src[start..self.pos];
                    let n: serde_json::Number =
                        text.parse().map_err(|_| self.err(start, format!("'{text}' is not a number")))?;
                    out.push((start, Tok::Num(n)));
                }
                c if c.is_ascii_alphabetic() || c == b'_' => {
                    while self.pos < bytes.len()
                        && (bytes[self.pos].is_ascii_alphanumeric()
                            || matches!(bytes[self.pos], b'_' | b'.' | b'-' | b'$' | b':'))
                    {
                        self.pos += 1;
                    }
                    out.push((start, Tok::Word(self.src[start..self.pos].to_owned())));
                }
                _ => {
                    let ch = self.src[start..].chars().next().unwrap_or('?');
                    return Err(self.err(start, format!("unexpected character '{ch}'")));
                }
            }
        }
        Ok(out)
    }

    /// A JSON string literal; JSON's own escapes apply.
    fn string(&mut self) -> Result<String, FilterError> {
        let start = self.pos;
        let bytes = self.src.as_bytes();
        let mut i = self.pos + 1;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 2,
                b'"' => {
                    let lit = &self.src[start..=i];
                    self.pos = i + 1;
                    return serde_json::from_str(lit).map_err(|_| self.err(start, "invalid escape in string"));
                }
                _ => i += 1,
            }
        }
        Err(self.err(start, "unterminated string"))
    }
}

/// An untyped literal as written.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Str(String),
    Num(serde_json::Number),
    Bool(bool),
    Null,
}

struct Parser<'v> {
    toks: Vec<(usize, Tok)>,
    i: usize,
    end: usize,
    tests: usize,
    vocabulary: &'v dyn Vocabulary,
    /// The attribute whose value path `a[...]` is being read.
    within: Option<String>,
}

/// Parses the text form against a resource's catalogue.
pub fn parse(text: &str, resource: Resource) -> Result<Filter, FilterError> {
    parse_with(text, &Catalogue(resource))
}

/// Parses the text form with a face's own attribute names.
pub fn parse_with(text: &str, vocabulary: &dyn Vocabulary) -> Result<Filter, FilterError> {
    if text.len() > MAX_LENGTH {
        return Err(FilterError::TooLong);
    }
    let toks = Lexer { src: text, pos: 0 }.tokens()?;
    let mut p = Parser { toks, i: 0, end: text.len(), tests: 0, vocabulary, within: None };
    if p.toks.is_empty() {
        return Err(FilterError::Syntax { at: 0, message: "the filter is empty".into() });
    }
    let f = p.or(0)?;
    if let Some((at, _)) = p.toks.get(p.i) {
        return Err(FilterError::Syntax { at: *at, message: "expected 'and', 'or' or the end of the filter".into() });
    }
    Ok(f)
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i).map(|(_, t)| t)
    }

    fn at(&self) -> usize {
        self.toks.get(self.i).map(|(a, _)| *a).unwrap_or(self.end)
    }

    fn err(&self, message: impl Into<String>) -> FilterError {
        FilterError::Syntax { at: self.at(), message: message.into() }
    }

    fn keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
    }

    fn expect(&mut self, tok: Tok, what: &str) -> Result<(), FilterError> {
        if self.peek() == Some(&tok) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.err(format!("expected {what}")))
        }
    }

    fn or(&mut self, depth: usize) -> Result<Filter, FilterError> {
        let mut parts = vec![self.and(depth)?];
        while self.keyword("or") {
            self.i += 1;
            parts.push(self.and(depth)?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Filter::Or(parts) })
    }

    fn and(&mut self, depth: usize) -> Result<Filter, FilterError> {
        let mut parts = vec![self.factor(depth)?];
        while self.keyword("and") {
            self.i += 1;
            parts.push(self.factor(depth)?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Filter::And(parts) })
    }

    fn factor(&mut self, depth: usize) -> Result<Filter, FilterError> {
        if depth >= MAX_DEPTH {
            return Err(FilterError::TooDeep);
        }
        if self.keyword("not") {
            self.i += 1;
            let inner =
                if self.peek() == Some(&Tok::LParen) { self.group(depth + 1)? } else { self.factor(depth + 1)? };
            return Ok(Filter::Not(Box::new(inner)));
        }
        if self.peek() == Some(&Tok::LParen) {
            return self.group(depth + 1);
        }
        self.test(depth)
    }

    fn group(&mut self, depth: usize) -> Result<Filter, FilterError> {
        self.expect(Tok::LParen, "'('")?;
        let f = self.or(depth)?;
        self.expect(Tok::RParen, "')'")?;
        Ok(f)
    }

    fn test(&mut self, depth: usize) -> Result<Filter, FilterError> {
        self.tests += 1;
        if self.tests > MAX_TESTS {
            return Err(FilterError::TooComplex);
        }
        let name = match self.peek() {
            Some(Tok::Word(w)) => w.clone(),
            _ => return Err(self.err("expected an attribute name")),
        };
        self.i += 1;
        if self.peek() == Some(&Tok::LBracket) && self.vocabulary.value_paths() {
            if self.within.is_some() {
                return Err(self.err("value paths do not nest"));
            }
            self.i += 1;
            self.within = Some(name.clone());
            let inner = self.or(depth + 1);
            self.within = None;
            let inner = inner?;
            self.expect(Tok::RBracket, "']'")?;
            return self.vocabulary.value_path(&name, inner);
        }
        let path = match &self.within {
            Some(outer) => format!("{outer}.{name}"),
            None => name.clone(),
        };
        let op_word = match self.peek() {
            Some(Tok::Word(w)) => w.to_ascii_lowercase(),
            _ => return Err(self.err(format!("expected an operator after '{path}'"))),
        };
        self.i += 1;
        let ask = match op_word.as_str() {
            "pr" => Ask::Present,
            "in" => {
                let lits = self.list()?;
                if lits.is_empty() || lits.len() > MAX_IN_VALUES {
                    return Err(FilterError::TooComplex);
                }
                Ask::In(lits)
            }
            other => {
                let op = CmpOp::parse(other).ok_or_else(|| FilterError::UnknownOperator(other.to_owned()))?;
                Ask::Cmp(op, self.literal()?)
            }
        };
        match &self.within {
            Some(outer) => self.vocabulary.element_test(outer, &name, ask),
            None => self.vocabulary.test(&path, ask),
        }
    }

    fn literal(&mut self) -> Result<Literal, FilterError> {
        let lit = match self.peek() {
            Some(Tok::Str(s)) => Literal::Str(s.clone()),
            Some(Tok::Num(n)) => Literal::Num(n.clone()),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("true") => Literal::Bool(true),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("false") => Literal::Bool(false),
            Some(Tok::Word(w)) if w.eq_ignore_ascii_case("null") => Literal::Null,
            _ => return Err(self.err("expected a value (a \"string\", a number, true, false or null)")),
        };
        self.i += 1;
        Ok(lit)
    }

    fn list(&mut self) -> Result<Vec<Literal>, FilterError> {
        let close = match self.peek() {
            Some(Tok::LBracket) => Tok::RBracket,
            Some(Tok::LParen) => Tok::RParen,
            _ => return Err(self.err("expected a list: [\"a\", \"b\"]")),
        };
        self.i += 1;
        let mut out = Vec::new();
        loop {
            out.push(self.literal()?);
            if out.len() > MAX_IN_VALUES {
                return Err(FilterError::TooComplex);
            }
            if self.peek() == Some(&Tok::Comma) {
                self.i += 1;
                continue;
            }
            self.expect(close, "',' or the end of the list")?;
            return Ok(out);
        }
    }
}

/// A catalogue attribute, or a path into the resource's JSON attribute (`claims.a.b`).
fn catalogue_target(resource: Resource, name: &str) -> Result<Target, FilterError> {
    if let Some(attr) = resource.attr(name) {
        if attr.ty != AttrType::Json {
            return Ok(Target::Attr(attr));
        }
    }
    // `claims.a.b`: a path into a JSON attribute.
    if let Some((head, rest)) = name.split_once('.') {
        if resource.attr(head).is_some_and(|a| a.ty == AttrType::Json) {
            let path: Vec<String> = rest.split('.').map(str::to_owned).collect();
            if path.len() > MAX_CLAIM_PATH || path.iter().any(|p| p.is_empty()) {
                return Err(FilterError::UnknownAttribute(name.to_owned()));
            }
            return Ok(Target::Claim(path));
        }
    }
    Err(FilterError::UnknownAttribute(name.to_owned()))
}

/// The test `ask` makes of `target`, its literals typed as the target wants them.
pub fn test(target: Target, ask: Ask) -> Result<Filter, FilterError> {
    let cond = match ask {
        Ask::Present => Cond::Present,
        Ask::In(lits) => Cond::In(lits.into_iter().map(|l| typed(&target, CmpOp::Eq, l)).collect::<Result<_, _>>()?),
        Ask::Cmp(op, lit) => {
            check_op(&target, op)?;
            Cond::Cmp(op, typed(&target, op, lit)?)
        }
    };
    Ok(Filter::Test { target, cond })
}

/// One test of an attribute against values given as text (a query string's), typed as the
/// attribute wants them: `IN` when there are several, the operator otherwise. For faces whose
/// filters are parameters rather than the text form.
pub fn attr_test(resource: Resource, name: &str, op: CmpOp, values: &[&str]) -> Result<Filter, FilterError> {
    let attr = resource.attr(name).ok_or_else(|| FilterError::UnknownAttribute(name.to_owned()))?;
    let target = Target::Attr(attr);
    check_op(&target, op)?;
    if values.is_empty() {
        return Err(FilterError::BadValue { attr: name.to_owned(), expected: "a value".into() });
    }
    if values.len() > MAX_IN_VALUES {
        return Err(FilterError::TooComplex);
    }
    let lit = |text: &str| match attr.ty {
        AttrType::Bool => match text.to_ascii_lowercase().as_str() {
            "true" => Literal::Bool(true),
            "false" => Literal::Bool(false),
            _ => Literal::Str(text.to_owned()),
        },
        AttrType::Int => text.parse().map(Literal::Num).unwrap_or_else(|_| Literal::Str(text.to_owned())),
        _ => Literal::Str(text.to_owned()),
    };
    let mut typed_values = values.iter().map(|v| typed(&target, op, lit(v))).collect::<Result<Vec<_>, _>>()?;
    let cond = match typed_values.len() {
        1 => Cond::Cmp(op, typed_values.remove(0)),
        _ if op == CmpOp::Eq => Cond::In(typed_values),
        _ => return Err(FilterError::BadValue { attr: name.to_owned(), expected: "one value".into() }),
    };
    Ok(Filter::Test { target, cond })
}

/// The attribute is present (not null).
pub fn attr_present(resource: Resource, name: &str) -> Result<Filter, FilterError> {
    let attr = resource.attr(name).ok_or_else(|| FilterError::UnknownAttribute(name.to_owned()))?;
    Ok(Filter::Test { target: Target::Attr(attr), cond: Cond::Present })
}

fn name_of(target: &Target) -> String {
    match target {
        Target::Attr(a) => a.name.to_owned(),
        Target::Claim(path) => format!("claims.{}", path.join(".")),
    }
}

fn check_op(target: &Target, op: CmpOp) -> Result<(), FilterError> {
    let ty = match target {
        Target::Attr(a) => a.ty,
        Target::Claim(_) => return Ok(()),
    };
    let allowed = match ty {
        AttrType::Text | AttrType::CaseInsensitive => true,
        AttrType::Int | AttrType::Time => !op.is_substring(),
        AttrType::Bool | AttrType::Uuid | AttrType::Enum(_) => !op.is_substring() && !op.is_ordering(),
        AttrType::Json => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(FilterError::OperatorNotAllowed { attr: name_of(target), op: op.as_str() })
    }
}

fn typed(target: &Target, op: CmpOp, lit: Literal) -> Result<Value, FilterError> {
    let bad = |expected: &str| FilterError::BadValue { attr: name_of(target), expected: expected.to_owned() };
    // PostgreSQL stores no NUL in text, so no stored value holds one: say so rather than fail in SQL.
    if matches!(&lit, Literal::Str(s) if s.contains('\0')) {
        return Err(bad("text without the NUL character"));
    }
    let ty = match target {
        Target::Attr(a) => a.ty,
        Target::Claim(_) => {
            return match lit {
                Literal::Str(s) => Ok(Value::Json(serde_json::Value::String(s))),
                Literal::Num(n) => Ok(Value::Json(serde_json::Value::Number(n))),
                Literal::Bool(b) if !op.is_substring() && !op.is_ordering() => {
                    Ok(Value::Json(serde_json::Value::Bool(b)))
                }
                _ => Err(bad("a string, a number or a boolean (use 'pr' to test for presence)")),
            }
            .and_then(|v| match (&v, op.is_substring()) {
                (Value::Json(serde_json::Value::String(_)), _) | (_, false) => Ok(v),
                _ => Err(bad("a string with co, sw and ew")),
            });
        }
    };
    match (ty, lit) {
        (AttrType::Text, Literal::Str(s)) => Ok(Value::Text(s)),
        (AttrType::CaseInsensitive, Literal::Str(s)) => Ok(Value::Text(s.to_lowercase())),
        (AttrType::Bool, Literal::Bool(b)) => Ok(Value::Bool(b)),
        (AttrType::Int, Literal::Num(n)) => n.as_i64().map(Value::Int).ok_or_else(|| bad("an integer")),
        (AttrType::Time, Literal::Str(s)) => DateTime::parse_from_rfc3339(&s)
            .map(|t| Value::Time(t.with_timezone(&Utc)))
            .map_err(|_| bad("an RFC 3339 date-time string")),
        (AttrType::Uuid, Literal::Str(s)) => Uuid::parse_str(&s).map(Value::Uuid).map_err(|_| bad("a UUID string")),
        (AttrType::Enum(allowed), Literal::Str(s)) if allowed.contains(&s.as_str()) => Ok(Value::Text(s)),
        (AttrType::Enum(allowed), _) => Err(bad(&format!("one of {}", allowed.join(", ")))),
        (AttrType::Text | AttrType::CaseInsensitive, _) => Err(bad("a string")),
        (AttrType::Bool, _) => Err(bad("true or false")),
        (AttrType::Int, _) => Err(bad("an integer")),
        (AttrType::Time, _) => Err(bad("an RFC 3339 date-time string")),
        (AttrType::Uuid, _) => Err(bad("a UUID string")),
        (AttrType::Json, _) => Err(bad("a path such as claims.department")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Resource::User;
    use proptest::prelude::*;

    fn attr(name: &str) -> Target {
        Target::Attr(User.attr(name).unwrap_or_else(|| unreachable!()))
    }

    #[test]
    fn precedence_and_binds_tighter_than_or() {
        let f = parse(r#"user_name sw "Al" or status eq "active" and guest eq true"#, User).unwrap();
        let Filter::Or(parts) = f else { unreachable!("expected or, got {f:?}") };
        assert_eq!(parts.len(), 2);
        assert_eq!(
            parts[0],
            Filter::Test { target: attr("user_name"), cond: Cond::Cmp(CmpOp::Sw, Value::Text("al".into())) }
        );
        assert!(matches!(&parts[1], Filter::And(v) if v.len() == 2));
    }

    #[test]
    fn claims_paths_in_lists_and_not() {
        let f = parse(r#"not (claims.address.city eq "Paris") and kind in ["local", "directory"]"#, User).unwrap();
        let Filter::And(parts) = f else { unreachable!() };
        assert_eq!(
            parts[0],
            Filter::Not(Box::new(Filter::Test {
                target: Target::Claim(vec!["address".into(), "city".into()]),
                cond: Cond::Cmp(CmpOp::Eq, Value::Json(serde_json::json!("Paris")))
            }))
        );
        assert_eq!(
            parts[1],
            Filter::Test {
                target: attr("kind"),
                cond: Cond::In(vec![Value::Text("local".into()), Value::Text("directory".into())])
            }
        );
    }

    #[test]
    fn errors_name_the_problem() {
        assert_eq!(parse(r#"nick eq "x""#, User), Err(FilterError::UnknownAttribute("nick".into())));
        assert_eq!(parse(r#"user_name like "x""#, User), Err(FilterError::UnknownOperator("like".into())));
        assert_eq!(
            parse(r#"guest co "t""#, User),
            Err(FilterError::OperatorNotAllowed { attr: "guest".into(), op: "co" })
        );
        assert!(
            matches!(parse(r#"created gt "yesterday""#, User), Err(FilterError::BadValue { attr, .. }) if attr == "created")
        );
        assert!(matches!(parse(r#"status eq "sleeping""#, User), Err(FilterError::BadValue { .. })));
        assert!(matches!(parse(r#"user_name eq "x"#, User), Err(FilterError::Syntax { .. })));
        assert!(matches!(parse("", User), Err(FilterError::Syntax { .. })));
        assert!(matches!(parse(r#"user_name eq "a\u0000""#, User), Err(FilterError::BadValue { .. })));
        let deep = format!("{}user_name pr{}", "(".repeat(40), ")".repeat(40));
        assert_eq!(parse(&deep, User), Err(FilterError::TooDeep));
        let long = vec![r#"user_name eq "a""#; 300].join(" or ");
        assert_eq!(parse(&long, User), Err(FilterError::TooLong));
        let many = vec!["guest pr"; 70].join(" or ");
        assert_eq!(parse(&many, User), Err(FilterError::TooComplex));
    }

    /// A face's own names: `given` for `given_name`, and value paths over `mail`.
    struct Names;

    impl Vocabulary for Names {
        fn test(&self, path: &str, ask: Ask) -> Result<Filter, FilterError> {
            let name = match path {
                "given" => "given_name",
                "mail.value" => "email",
                "urn:x:dept" => return test(Target::Claim(vec!["dept".into()]), ask),
                other => return Err(FilterError::UnknownAttribute(other.to_owned())),
            };
            test(attr(name), ask)
        }
        fn value_paths(&self) -> bool {
            true
        }
    }

    #[test]
    fn vocabularies_name_attributes_and_value_paths() {
        let f = parse_with(r#"given eq "Al" and mail[value ew "@x.org" or not (value pr)]"#, &Names).unwrap();
        let Filter::And(parts) = f else { unreachable!("{f:?}") };
        assert_eq!(
            parts[0],
            Filter::Test { target: attr("given_name"), cond: Cond::Cmp(CmpOp::Eq, Value::Text("Al".into())) }
        );
        let Filter::Or(inner) = &parts[1] else { unreachable!("{:?}", parts[1]) };
        assert_eq!(
            inner[0],
            Filter::Test { target: attr("email"), cond: Cond::Cmp(CmpOp::Ew, Value::Text("@x.org".into())) }
        );
        assert_eq!(
            parse_with(r#"urn:x:dept eq "ops""#, &Names),
            Ok(Filter::Test {
                target: Target::Claim(vec!["dept".into()]),
                cond: Cond::Cmp(CmpOp::Eq, Value::Json("ops".into()))
            })
        );
        // A name inside a value path is the outer name's sub-attribute; value paths do not nest.
        assert_eq!(
            parse_with(r#"mail[given eq "a"]"#, &Names),
            Err(FilterError::UnknownAttribute("mail.given".into()))
        );
        assert!(matches!(parse_with("mail[mail[value pr]]", &Names), Err(FilterError::Syntax { .. })));
        assert!(matches!(parse_with("mail[value pr", &Names), Err(FilterError::Syntax { .. })));
        // The native vocabulary has no value paths: `[` there only opens an `in` list.
        assert!(matches!(parse("email[value pr]", User), Err(FilterError::Syntax { .. })));
        // The empty disjunction matches nothing and is what `nothing` makes.
        assert_eq!(Filter::nothing(), Filter::Or(Vec::new()));
    }

    proptest! {
        // Whatever the input, the parser answers Ok or Err: it never panics or overflows the stack.
        #[test]
        fn never_panics(s in "\\PC{0,300}") {
            let _ = parse(&s, User);
        }

        #[test]
        fn never_panics_on_filter_like_text(s in r#"(\(|\)|not |and |or |user_name |claims\.a |eq |pr |in |\[|\]|,|"x" |1 |true ){0,80}"#) {
            let _ = parse(&s, User);
        }

        // Any string value round-trips through a quoted JSON literal.
        #[test]
        fn string_literals_round_trip(v in "\\PC{0,40}") {
            let text = format!("display_name eq {}", serde_json::Value::String(v.clone()));
            let f = parse(&text, User).unwrap();
            prop_assert_eq!(f, Filter::Test { target: attr("display_name"), cond: Cond::Cmp(CmpOp::Eq, Value::Text(v)) });
        }

        // Nesting up to the limit parses; one more level is refused.
        #[test]
        fn depth_limit_is_exact(d in 1usize..MAX_DEPTH + 4) {
            let text = format!("{}guest eq true{}", "(".repeat(d), ")".repeat(d));
            let r = parse(&text, User);
            if d < MAX_DEPTH { prop_assert!(r.is_ok(), "{:?}", r) } else { prop_assert_eq!(r, Err(FilterError::TooDeep)) }
        }
    }
}
