//! Claims search: what a deep-subset match of a claims object means, and the index keys that let
//! the store find the users holding a claim value without reading every user's claims.
//!
//! Every scalar or array at a path of a user's claims gets one 16-byte key, a hash of the path,
//! the value's JSON type and its canonical text. The store keeps the keys of each user beside
//! the user and answers an equality test on a claim from them; it still checks the claims
//! themselves, so the keys only ever narrow the search and a hash collision cannot change a result.

use crate::filter::{CmpOp, Cond, Filter, Target, Value};
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

/// An index key: the first 16 bytes of a SHA-256.
pub type ClaimKey = [u8; 16];

/// Deepest path indexed and searched; deeper values are not searchable (claims are at most
/// eight levels deep anyway, see the user validation).
const MAX_DEPTH: usize = 16;

/// One thing a deep-subset match requires of a user's claims.
#[derive(Debug, Clone, PartialEq)]
pub enum Requirement<'a> {
    /// The value at the path equals this scalar, array or null (by JSON type and value).
    Equals(Vec<String>, &'a Json),
    /// The path holds an object (an empty object in the criteria asks no more than that).
    Object(Vec<String>),
}

/// What `criteria` requires of a claims object for it to contain `criteria` as a deep subset:
/// every nested object is followed, every other value must be equal.
pub fn requirements(criteria: &Json) -> Vec<Requirement<'_>> {
    let mut out = Vec::new();
    let mut path = Vec::new();
    walk(criteria, &mut path, &mut |p, v| match v {
        Json::Object(m) if m.is_empty() && !p.is_empty() => out.push(Requirement::Object(p.to_vec())),
        Json::Object(_) => {}
        other => out.push(Requirement::Equals(p.to_vec(), other)),
    });
    out
}

/// Visits every object (the root included, with an empty path) and every non-object value.
fn walk<'a>(v: &'a Json, path: &mut Vec<String>, visit: &mut impl FnMut(&[String], &'a Json)) {
    visit(path, v);
    if let Json::Object(m) = v {
        if path.len() >= MAX_DEPTH {
            return;
        }
        for (k, child) in m {
            path.push(k.clone());
            walk(child, path, visit);
            path.pop();
        }
    }
}

/// A deep-subset match of `criteria` (a JSON object) against the claims, as one filter:
/// None when the criteria ask nothing (an empty object).
pub fn contains_filter(criteria: &Json) -> Option<Filter> {
    let tests = requirements(criteria)
        .into_iter()
        .map(|r| match r {
            Requirement::Equals(path, v) => {
                Filter::Test { target: Target::Claim(path), cond: Cond::Cmp(CmpOp::Eq, Value::Json(v.clone())) }
            }
            Requirement::Object(path) => Filter::Test { target: Target::Claim(path), cond: Cond::IsObject },
        })
        .collect();
    Filter::all(tests)
}

/// The index keys of a user's claims: one per scalar, array or null value at any path.
pub fn index_keys(claims: &Json) -> Vec<ClaimKey> {
    let mut keys = Vec::new();
    let mut path = Vec::new();
    walk(claims, &mut path, &mut |p, v| {
        if !p.is_empty() && !v.is_object() {
            keys.push(key(p, v));
        }
    });
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// The key of `value` at `path`: equal values (by the filter's notion of equality) have equal
/// keys. Numbers are equal by value (1 and 1.0), arrays by their canonical JSON text, strings by
/// their lower case, so that one key also serves comparisons that ignore case (the index only
/// narrows: the test of the value itself decides).
pub fn key(path: &[String], value: &Json) -> ClaimKey {
    let mut h = Sha256::new();
    for segment in path {
        // Length-prefixed, so no two paths hash the same input.
        h.update((segment.len() as u32).to_le_bytes());
        h.update(segment.as_bytes());
    }
    h.update([0xff]);
    match value {
        Json::String(s) => {
            h.update(b"s");
            h.update(s.to_lowercase().as_bytes());
        }
        Json::Number(n) => {
            h.update(b"n");
            h.update(canonical_number(n).as_bytes());
        }
        Json::Bool(b) => h.update(if *b { b"t" } else { b"f" }),
        Json::Null => h.update(b"z"),
        // serde_json keeps object keys sorted, so this text is canonical.
        other => {
            h.update(b"j");
            h.update(other.to_string().as_bytes());
        }
    }
    let digest = h.finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&digest[..16]);
    out
}

/// A number's text such that numbers equal in value read the same: integers as integers, other
/// values in the shortest form that reads back as the same double.
fn canonical_number(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        return i.to_string();
    }
    if let Some(u) = n.as_u64() {
        return u.to_string();
    }
    let f = n.as_f64().unwrap_or(f64::NAN);
    // Integral doubles within the exact range read as the integer they are (1.0 is 1).
    if f.fract() == 0.0 && f.abs() <= 9_007_199_254_740_992.0 {
        return (f as i64).to_string();
    }
    f.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn requirements_follow_nested_objects() {
        let c = json!({"a": {"b": "x", "c": {}}, "n": 1, "l": [1, 2], "z": null});
        let r = requirements(&c);
        assert_eq!(
            r,
            vec![
                Requirement::Equals(p(&["a", "b"]), &json!("x")),
                Requirement::Object(p(&["a", "c"])),
                Requirement::Equals(p(&["l"]), &json!([1, 2])),
                Requirement::Equals(p(&["n"]), &json!(1)),
                Requirement::Equals(p(&["z"]), &json!(null)),
            ]
        );
        assert_eq!(requirements(&json!({})), vec![]);
        assert_eq!(contains_filter(&json!({})), None);
    }

    #[test]
    fn keys_separate_paths_types_and_values() {
        let k = |path: &[&str], v: Json| key(&p(path), &v);
        assert_eq!(k(&["a"], json!(1)), k(&["a"], json!(1.0)), "numbers equal by value");
        assert_ne!(k(&["a"], json!(1)), k(&["a"], json!("1")), "a string is not a number");
        assert_ne!(k(&["a"], json!(true)), k(&["a"], json!("true")));
        assert_ne!(k(&["a", "b"], json!("x")), k(&["a.b"], json!("x")), "segments are not joined");
        assert_ne!(k(&["ab"], json!("x")), k(&["a", "bx"], json!("")));
        assert_ne!(k(&["a"], json!(null)), k(&["a"], json!("null")));
        assert_eq!(k(&["a"], json!(u64::MAX)), k(&["a"], json!(u64::MAX)));
        assert_ne!(k(&["a"], json!(0.5)), k(&["a"], json!(0)));
        assert_eq!(k(&["a"], json!("Émile")), k(&["a"], json!("éMILE")), "strings by their lower case");
    }

    #[test]
    fn index_keys_cover_every_value_once() {
        let claims = json!({"a": {"b": "x", "c": {"d": 2}}, "l": ["p", {"q": 1}], "e": {}});
        let keys = index_keys(&claims);
        assert_eq!(keys.len(), 3);
        assert!(keys.contains(&key(&p(&["a", "b"]), &json!("x"))));
        assert!(keys.contains(&key(&p(&["a", "c", "d"]), &json!(2))));
        assert!(keys.contains(&key(&p(&["l"]), &json!(["p", {"q": 1}]))));
        // What a search asks for has the key the user's claims were indexed under.
        for r in requirements(&json!({"a": {"c": {"d": 2.0}}})) {
            let Requirement::Equals(path, v) = r else { panic!() };
            assert!(keys.contains(&key(&path, v)));
        }
    }
}
