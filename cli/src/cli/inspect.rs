//! `inspect`: decode a token without verifying it, and say what verification would check.

use clap::Args;
use clerk_m2m::dangerous::Jwt;
use clerk_m2m::{JwtCategory, JwtHeader, TokenType, classify, is_jwt_format};
use clerk_token_types::{ClaimValue, NumericDate, format_utc, machine_token_type_by_prefix};
use serde_json::{Map, Value, json};

use super::{Exit, Failure, out, print_json, read_one_token};

#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// The token, or `-` (or nothing) to read it from stdin.
    token: Option<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(a: InspectArgs) -> Result<Exit, Failure> {
    let token = read_one_token(a.token.as_deref())?;
    let report = inspect(&token, now_ms());
    if a.json {
        print_json(&report)?;
    } else {
        out::bytes(print_text(&report).as_bytes())?;
    }
    Ok(Exit::Ok)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// The inspection report as JSON: `{format, token_type, header?, claims?, checks[], note}`.
pub(crate) fn inspect(token: &str, now_ms: i64) -> Value {
    if !is_jwt_format(token) {
        let tt = machine_token_type_by_prefix(token);
        let checks: Vec<Value> = match tt {
            Some(TokenType::M2MToken) => vec![json!(
                "POST /m2m_tokens/verify on the Backend API (machine secret key, else secret key): the server checks existence, revocation, expiry and the caller's scope"
            )],
            Some(TokenType::OAuthToken) => vec![json!(
                "POST /oauth_applications/access_tokens/verify on the Backend API (secret key)"
            )],
            Some(TokenType::ApiKey) => vec![json!(
                "POST /api_keys/verify on the Backend API (secret key)"
            )],
            _ => vec![json!(
                "nothing: not a JWT and no machine prefix (mt_, oat_, ak_), so it is rejected as \"Unknown machine token type\""
            )],
        };
        return json!({
            "format": if tt.is_some() { "opaque" } else { "unknown" },
            "token_type": tt.map(TokenType::as_str),
            "checks": checks,
            "note": "opaque tokens carry no readable data; only the Backend API can verify them",
        });
    }
    let jwt = match clerk_m2m::dangerous::insecure_decode(token) {
        Ok(j) => j,
        Err(e) => {
            return json!({
                "format": "jwt",
                "token_type": Value::Null,
                "error": e.to_string(),
                "checks": [format!("nothing: the token does not decode ({}), so it is rejected with token-invalid", e.detail().unwrap_or("malformed"))],
                "note": "decoded WITHOUT verification",
            });
        }
    };
    let tt = classify(token).filter(|t| t.is_machine());
    let header = header_json(jwt.header());
    let claims = Value::Object(jwt.claims().to_json());
    json!({
        "format": "jwt",
        "token_type": tt.map(TokenType::as_str),
        "header": header,
        "claims": claims,
        "times": times(&jwt, now_ms),
        "checks": checks(&jwt, tt),
        "note": "decoded WITHOUT verification: nothing here is trustworthy until `clerk-m2m verify` accepts the token",
    })
}

fn header_json(h: &JwtHeader) -> Value {
    let mut m = Map::new();
    let mut put = |k: &str, v: Option<&String>| {
        if let Some(v) = v {
            m.insert(k.to_owned(), json!(v));
        }
    };
    put("alg", h.alg.as_ref());
    put("kid", h.kid.as_ref());
    put("typ", h.typ.as_ref());
    put("cty", h.cty.as_ref());
    match &h.cat {
        JwtCategory::Absent => {}
        JwtCategory::Null => {
            m.insert("cat".into(), Value::Null);
        }
        JwtCategory::NotAString(v) => {
            m.insert("cat".into(), v.clone());
        }
        other => {
            m.insert("cat".into(), json!(other.as_str()));
        }
    }
    if let Some(crit) = &h.crit {
        m.insert("crit".into(), json!(crit));
    }
    for (k, v) in &h.other {
        m.insert(k.clone(), v.clone());
    }
    Value::Object(m)
}

fn times(jwt: &Jwt, now_ms: i64) -> Value {
    let c = jwt.claims();
    let fmt = |v: &Option<ClaimValue<NumericDate>>| match v {
        Some(ClaimValue::Valid(d)) => json!(format_utc(d.to_millis())),
        Some(ClaimValue::Invalid(v)) => json!(format!("invalid: {v}")),
        None => Value::Null,
    };
    json!({ "exp": fmt(&c.exp), "nbf": fmt(&c.nbf), "iat": fmt(&c.iat), "now": format_utc(now_ms) })
}

fn checks(jwt: &Jwt, tt: Option<TokenType>) -> Vec<String> {
    let h = jwt.header();
    let mut out = Vec::new();
    match tt {
        Some(TokenType::M2MToken) => {
            out.push(match &h.cat {
                JwtCategory::Absent => "cat: absent, accepted (rollout window)".to_owned(),
                JwtCategory::M2M => "cat: cl_B7d4PD333AAA (M2M), accepted".to_owned(),
                _ => "cat: not the M2M category, REJECTED before any key lookup (\"Invalid M2M JWT category.\")".to_owned(),
            });
            out.push(format!("typ: must be absent or \"JWT\" (is {})", h.typ.as_deref().map_or("absent".to_owned(), |t| format!("{t:?}"))));
        }
        Some(TokenType::OAuthToken) => out.push("typ: at+jwt or application/at+jwt (OAuth access token)".to_owned()),
        _ => out.push("routing: neither sub mch_… (M2M) nor typ at+jwt (OAuth): rejected as \"Invalid JWT type\" by machine verification".to_owned()),
    }
    out.push(format!(
        "alg: one of RS256, RS384, RS512 (is {})",
        h.alg.as_deref().unwrap_or("absent")
    ));
    out.push(format!(
        "signature: with the PEM key (--jwt-key / CLERK_JWT_KEY) if given, else the instance JWKS key with kid {}",
        h.kid.as_deref().unwrap_or("(none)")
    ));
    out.push("sub: must be a string".to_owned());
    out.push(
        "exp: required, not expired (5 s clock skew by default); nbf/iat: not in the future"
            .to_owned(),
    );
    out.push(
        "aud: must match --audience when both are set; azp: must match --authorized-party when set"
            .to_owned(),
    );
    if tt == Some(TokenType::M2MToken) {
        out.push("--expected-machine: the machine id must be in aud or scopes".to_owned());
    }
    out
}

/// The report as text. Every string in it may come from the token (the `kid` in a check, a
/// claim in the pretty JSON): each line is escaped, so the token cannot drive the terminal.
fn print_text(r: &Value) -> String {
    let s = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
    let mut lines = vec![
        format!("format:     {}", s(&r["format"])),
        format!(
            "token type: {}",
            r["token_type"].as_str().unwrap_or("unknown")
        ),
    ];
    if let Some(e) = r.get("error") {
        lines.push(format!("error:      {}", s(e)));
    }
    for key in ["header", "claims", "times"] {
        if let Some(v) = r.get(key) {
            lines.push(format!("{key}:"));
            lines.push(serde_json::to_string_pretty(v).unwrap_or_default());
        }
    }
    lines.push("verification would check:".to_owned());
    if let Some(checks) = r["checks"].as_array() {
        for c in checks {
            lines.push(format!("  - {}", s(c)));
        }
    }
    lines.push(format!("note: {}", s(&r["note"])));
    let mut text = String::new();
    for line in &lines {
        // The pretty JSON spans lines: escape each of its lines, keep the line breaks.
        for l in line.split('\n') {
            text.push_str(&out::escape(l));
            text.push('\n');
        }
    }
    text
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn opaque_tokens_are_typed_by_prefix() {
        assert_eq!(inspect("mt_abc", 0)["token_type"], "m2m_token");
        assert_eq!(inspect("ak_abc", 0)["token_type"], "api_key");
        assert_eq!(inspect("zzz", 0)["format"], "unknown");
    }

    #[test]
    fn undecodable_jwt_reports_the_error() {
        let r = inspect("aaa.bbb.ccc", 0);
        assert_eq!(r["format"], "jwt");
        assert!(r["error"].as_str().unwrap().contains("Invalid JWT form"));
    }
}
