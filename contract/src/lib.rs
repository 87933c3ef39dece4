//! Contract tests for clerk-m2m: the requests `clerk-backend-api` builds and the answers
//! `clerk-bapi-emulator` gives, checked against Clerk's published OpenAPI description of the
//! Backend API (vendored in `spec/`, MIT). Not published.
//!
//! This library holds the small part a JSON Schema validator does not: reading the spec and
//! turning its OpenAPI 3.0 schema objects into JSON Schema (draft 2020-12) for the maintained
//! `jsonschema` crate. The tests themselves are in `tests/`.
//!
//! ```rust
//! let spec = clerk_contract_tests::Spec::load().unwrap();
//! let schema = spec.response_schema("/machines/{machine_id}/secret_key", "get", 200).unwrap();
//! let ok = serde_json::json!({"object": "machine_secret_key", "secret": "ak_x"});
//! assert!(spec.check(&schema, &ok).is_ok());
//! assert!(spec.check(&schema, &serde_json::json!({"secret": 1})).is_err());
//! ```

#![forbid(unsafe_code)]

use serde_json::{Map, Value, json};

/// The vendored spec, as shipped by Clerk.
pub const SPEC_YAML: &str = include_str!("../spec/bapi-2026-05-12.yml");

/// The spec, loaded, with every schema translated to JSON Schema.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The whole document; `components.schemas` already translated.
    doc: Value,
}

/// Why a spec lookup or a validation failed, in words for a test failure message.
pub type Failure = String;

impl Spec {
    /// Parse the vendored YAML and translate its component schemas.
    pub fn load() -> Result<Self, Failure> {
        Self::from_yaml(SPEC_YAML)
    }

    /// Parse an OpenAPI 3.0 document.
    pub fn from_yaml(yaml: &str) -> Result<Self, Failure> {
        let mut doc: Value =
            serde_norway::from_str(yaml).map_err(|e| format!("the spec is not YAML: {e}"))?;
        let schemas = doc
            .pointer_mut("/components/schemas")
            .ok_or("the spec has no components.schemas")?;
        let translated = translate(schemas.take().as_object().ok_or("components.schemas")?);
        *schemas = Value::Object(translated);
        Ok(Self { doc })
    }

    fn operation(&self, path: &str, method: &str) -> Result<&Value, Failure> {
        self.doc
            .get("paths")
            .and_then(|p| p.get(path))
            .and_then(|p| p.get(method))
            .ok_or_else(|| format!("the spec has no operation {method} {path}"))
    }

    /// Follow a `$ref` to a component (responses, request bodies), once.
    fn resolve<'a>(&'a self, v: &'a Value) -> Result<&'a Value, Failure> {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let pointer = r
                    .strip_prefix('#')
                    .ok_or_else(|| format!("an external $ref: {r}"))?;
                self.doc
                    .pointer(pointer)
                    .ok_or_else(|| format!("a dangling $ref: {r}"))
            }
            None => Ok(v),
        }
    }

    fn json_schema(&self, holder: &Value) -> Option<Value> {
        holder
            .pointer("/content/application~1json/schema")
            .map(translate_one)
    }

    /// The JSON Schema of an operation's request body (`None`: the operation has no body).
    pub fn request_schema(&self, path: &str, method: &str) -> Result<Option<Value>, Failure> {
        let op = self.operation(path, method)?;
        match op.get("requestBody") {
            None => Ok(None),
            Some(b) => Ok(self.json_schema(self.resolve(b)?)),
        }
    }

    /// Whether the spec marks an operation's request body `required`.
    pub fn request_body_required(&self, path: &str, method: &str) -> Result<bool, Failure> {
        let op = self.operation(path, method)?;
        match op.get("requestBody") {
            None => Ok(false),
            Some(b) => Ok(self.resolve(b)?.get("required") == Some(&Value::Bool(true))),
        }
    }

    /// The JSON Schema of an operation's response body with this status. An error when the spec
    /// does not list the status or gives it no JSON body.
    pub fn response_schema(&self, path: &str, method: &str, status: u16) -> Result<Value, Failure> {
        let op = self.operation(path, method)?;
        let response = op
            .get("responses")
            .and_then(|r| r.get(status.to_string()))
            .ok_or_else(|| format!("{method} {path} lists no response {status}"))?;
        self.json_schema(self.resolve(response)?)
            .ok_or_else(|| format!("{method} {path} {status} has no JSON body"))
    }

    /// Whether the spec lists this status for the operation.
    pub fn lists_status(&self, path: &str, method: &str, status: u16) -> bool {
        self.operation(path, method)
            .ok()
            .and_then(|op| op.get("responses"))
            .and_then(|r| r.get(status.to_string()))
            .is_some()
    }

    /// The schema of Clerk's error body, for errors an operation does not list (401 on the
    /// M2M endpoints, injected 5xx...).
    pub fn clerk_errors_schema(&self) -> Value {
        json!({ "$ref": "#/components/schemas/ClerkErrors" })
    }

    /// The spec's path template (e.g. `/machines/{machine_id}`) for a concrete request path,
    /// with or without the `/v1` prefix (Clerk serves both; the JS SDK calls the M2M and
    /// verify endpoints without it).
    pub fn template_for(&self, method: &str, path: &str) -> Option<String> {
        let path = path.split('?').next().unwrap_or(path);
        let path = path.strip_prefix("/v1").unwrap_or(path);
        let want: Vec<&str> = path.split('/').collect();
        let paths = self.doc.get("paths")?.as_object()?;
        // Prefer a template without parameters (`/m2m_tokens/verify` over `/m2m_tokens/{id}`).
        paths
            .iter()
            .filter(|(_, item)| item.get(method).is_some())
            .filter(|(t, _)| {
                let have: Vec<&str> = t.split('/').collect();
                have.len() == want.len()
                    && have
                        .iter()
                        .zip(&want)
                        .all(|(h, w)| h == w || (h.starts_with('{') && h.ends_with('}')))
            })
            .min_by_key(|(t, _)| t.matches('{').count())
            .map(|(t, _)| t.clone())
    }

    /// Validate `instance` against `schema` (whose `$ref`s point into this spec's components).
    /// The error lists every violation with its location.
    pub fn check(&self, schema: &Value, instance: &Value) -> Result<(), Failure> {
        let mut root = match schema {
            Value::Object(m) => m.clone(),
            Value::Bool(b) => {
                return if *b {
                    Ok(())
                } else {
                    Err("false schema".into())
                };
            }
            _ => return Err(format!("not a schema: {schema}")),
        };
        // `$ref`s are `#/components/schemas/…`: carry the components in the root document.
        let components = self
            .doc
            .pointer("/components/schemas")
            .cloned()
            .unwrap_or_default();
        root.insert("components".into(), json!({ "schemas": components }));
        let validator = jsonschema::draft202012::new(&Value::Object(root))
            .map_err(|e| format!("the schema does not compile: {e}"))?;
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }
}

/// Translate a map of OpenAPI 3.0 schemas (e.g. `components.schemas`).
pub fn translate(schemas: &Map<String, Value>) -> Map<String, Value> {
    schemas
        .iter()
        .map(|(k, v)| (k.clone(), translate_one(v)))
        .collect()
}

/// Translate one OpenAPI 3.0 schema object to JSON Schema draft 2020-12:
/// - `nullable: true` adds `null` to `type` (and to `enum`), or wraps a `$ref`/composition in
///   `anyOf [.., {type: null}]`;
/// - the boolean `exclusiveMinimum`/`exclusiveMaximum` of draft 4 become the numeric form;
/// - `example`, `xml`, `externalDocs`, `discriminator` and `x-` extensions are dropped (they
///   are documentation, and `discriminator` is not a JSON Schema keyword);
/// - subschemas (`properties`, `items`, `additionalProperties`, `allOf`/`anyOf`/`oneOf`,
///   `not`) are translated in turn; property *names* are never touched.
pub fn translate_one(schema: &Value) -> Value {
    let Value::Object(m) = schema else {
        return schema.clone();
    };
    let mut out = Map::new();
    for (k, v) in m {
        match k.as_str() {
            "nullable" | "example" | "xml" | "externalDocs" | "discriminator" => {}
            k if k.starts_with("x-") => {}
            "exclusiveMinimum" | "exclusiveMaximum" if v.is_boolean() => {}
            "properties" | "patternProperties" => {
                let props = v.as_object().map(translate).unwrap_or_default();
                out.insert(k.to_owned(), Value::Object(props));
            }
            "items" | "additionalProperties" | "not" if v.is_object() => {
                out.insert(k.to_owned(), translate_one(v));
            }
            "allOf" | "anyOf" | "oneOf" => {
                let list = v
                    .as_array()
                    .map(|a| a.iter().map(translate_one).collect())
                    .unwrap_or_default();
                out.insert(k.to_owned(), Value::Array(list));
            }
            _ => {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    for (flag, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if m.get(flag) == Some(&Value::Bool(true))
            && let Some(b) = out.remove(bound)
        {
            out.insert(flag.to_owned(), b);
        }
    }
    if m.get("nullable") != Some(&Value::Bool(true)) {
        return Value::Object(out);
    }
    if let Some(Value::Array(e)) = out.get_mut("enum")
        && !e.contains(&Value::Null)
    {
        e.push(Value::Null);
    }
    match out.get("type").cloned() {
        Some(Value::String(t)) => {
            out.insert("type".into(), json!([t, "null"]));
            Value::Object(out)
        }
        Some(Value::Array(mut ts)) => {
            if !ts.contains(&json!("null")) {
                ts.push(json!("null"));
            }
            out.insert("type".into(), Value::Array(ts));
            Value::Object(out)
        }
        _ if ["$ref", "allOf", "anyOf", "oneOf"]
            .iter()
            .any(|k| out.contains_key(*k)) =>
        {
            json!({ "anyOf": [Value::Object(out), { "type": "null" }] })
        }
        // No type: anything, null included.
        _ => Value::Object(out),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn valid(schema: Value, instance: Value) -> bool {
        jsonschema::draft202012::new(&translate_one(&schema))
            .unwrap()
            .is_valid(&instance)
    }

    #[test]
    fn nullable_adds_null() {
        let s = json!({"type": "string", "nullable": true});
        assert!(valid(s.clone(), json!(null)));
        assert!(valid(s.clone(), json!("a")));
        assert!(!valid(s, json!(1)));
        // Without nullable, null is refused.
        assert!(!valid(json!({"type": "string"}), json!(null)));
        let e = json!({"type": "string", "enum": ["a"], "nullable": true});
        assert!(valid(e.clone(), json!(null)));
        assert!(!valid(e, json!("b")));
        let r = translate_one(&json!({"allOf": [{"type": "integer"}], "nullable": true}));
        assert_eq!(r["anyOf"][1], json!({"type": "null"}));
        // No type: anything goes, as in OpenAPI.
        assert!(valid(json!({"nullable": true}), json!({"a": 1})));
    }

    #[test]
    fn exclusive_bounds_become_numeric() {
        let s = json!({"type": "number", "minimum": 0, "exclusiveMinimum": true});
        assert!(!valid(s.clone(), json!(0)));
        assert!(valid(s, json!(0.5)));
        let s = json!({"type": "number", "maximum": 10, "exclusiveMaximum": true});
        assert!(!valid(s.clone(), json!(10)));
        assert!(valid(s, json!(9)));
        // A plain minimum stays inclusive.
        assert!(valid(json!({"type": "integer", "minimum": 0}), json!(0)));
    }

    #[test]
    fn documentation_keys_go_but_property_names_stay() {
        let s = json!({
            "type": "object",
            "x-speakeasy": 1,
            "example": {"a": 1},
            "properties": {
                "example": {"type": "string", "example": "e"},
                "x-name": {"type": "integer", "nullable": true}
            },
            "additionalProperties": false
        });
        let t = translate_one(&s);
        assert!(t.get("x-speakeasy").is_none() && t.get("example").is_none());
        assert_eq!(t["properties"]["example"], json!({"type": "string"}));
        assert_eq!(
            t["properties"]["x-name"]["type"],
            json!(["integer", "null"])
        );
        assert!(valid(s.clone(), json!({"example": "x", "x-name": null})));
        assert!(!valid(s, json!({"other": 1})));
    }

    #[test]
    fn the_vendored_spec_loads_and_refs_resolve() {
        let spec = Spec::load().unwrap();
        assert_eq!(
            spec.template_for("get", "/v1/machines/mch_1/secret_key")
                .as_deref(),
            Some("/machines/{machine_id}/secret_key")
        );
        assert_eq!(
            spec.template_for("post", "/m2m_tokens/verify").as_deref(),
            Some("/m2m_tokens/verify")
        );
        assert_eq!(spec.template_for("get", "/v1/nowhere"), None);
        // A $ref through components.responses and components.schemas (allOf).
        let created = spec.response_schema("/machines", "post", 200).unwrap();
        let machine = json!({
            "object": "machine", "id": "mch_2xhFjEI5X2qWRvtV13BzSj8H6Dk", "name": "a",
            "instance_id": "ins_2xhFjEI5X2qWRvtV13BzSj8H6Dk", "created_at": 1, "updated_at": 1,
            "default_token_ttl": 3600, "scoped_machines": [], "secret_key": "ak_x"
        });
        spec.check(&created, &machine).unwrap();
        let mut no_key = machine;
        no_key.as_object_mut().unwrap().remove("secret_key");
        assert!(spec.check(&created, &no_key).is_err());
        assert!(spec.request_body_required("/m2m_tokens", "post").unwrap());
        assert!(!spec.request_body_required("/machines", "post").unwrap());
        assert!(spec.response_schema("/m2m_tokens", "post", 401).is_err());
        spec.check(
            &spec.clerk_errors_schema(),
            &json!({"errors": [{"code": "c", "message": "m", "long_message": "l"}]}),
        )
        .unwrap();
    }
}
