//! `JSON.stringify` as `@clerk/backend`'s messages print values: strings quoted, a missing value
//! printed `undefined`, integral numbers without a fraction.

use serde_json::Value;

/// `JSON(x)` of an optional JSON value.
pub(crate) fn value(v: Option<&Value>) -> String {
    match v {
        None => "undefined".to_owned(),
        Some(v) => {
            let mut out = String::new();
            write_value(&mut out, v);
            out
        }
    }
}

/// `JSON(x)` of an optional string.
pub(crate) fn string(s: Option<&str>) -> String {
    match s {
        None => "undefined".to_owned(),
        Some(s) => quote(s),
    }
}

/// `JSON(list)` of a list of strings.
pub(crate) fn strings(list: &[String]) -> String {
    let mut out = String::from("[");
    for (i, s) in list.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&quote(s));
    }
    out.push(']');
    out
}

fn quote(s: &str) -> String {
    // serde_json escapes exactly like JSON.stringify for every string we can hold.
    serde_json::to_string(s).unwrap_or_default()
}

fn write_value(out: &mut String, v: &Value) {
    match v {
        Value::Number(n) => out.push_str(&number(n)),
        Value::String(s) => out.push_str(&quote(s)),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&quote(k));
                out.push(':');
                write_value(out, item);
            }
            out.push('}');
        }
        Value::Null | Value::Bool(_) => out.push_str(&v.to_string()),
    }
}

/// JS prints every number as a double: `1.0` is `1`, `1e21` is `1e+21`.
fn number(n: &serde_json::Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    let Some(f) = n.as_f64() else {
        return n.to_string();
    };
    if f.fract() == 0.0 && f.abs() < 1e21 {
        return format!("{f:.0}");
    }
    let s = n.to_string();
    match s.split_once('e') {
        Some((m, e)) if !e.starts_with(['-', '+']) => format!("{m}e+{e}"),
        _ => s,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_like_json_stringify() {
        assert_eq!(value(None), "undefined");
        assert_eq!(value(Some(&json!(null))), "null");
        assert_eq!(value(Some(&json!("a\"b"))), "\"a\\\"b\"");
        assert_eq!(value(Some(&json!(42))), "42");
        assert_eq!(value(Some(&json!(1.5))), "1.5");
        assert_eq!(value(Some(&json!(1000.0))), "1000");
        assert_eq!(value(Some(&json!(1e21))), "1e+21");
        assert_eq!(value(Some(&json!(1e-7))), "1e-7");
        assert_eq!(
            value(Some(&json!({"a": [1, true, "x"]}))),
            "{\"a\":[1,true,\"x\"]}"
        );
        assert_eq!(string(Some("JWT")), "\"JWT\"");
        assert_eq!(string(None), "undefined");
        assert_eq!(strings(&["a".into(), "b".into()]), "[\"a\",\"b\"]");
        assert_eq!(strings(&[]), "[]");
    }
}
