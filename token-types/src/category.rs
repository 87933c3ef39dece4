//! The private `cat` header Clerk stamps on its JWTs to tell token classes apart (the JS SDK's
//! [`tokens/jwtCategories.ts`](https://github.com/clerk/javascript/blob/main/packages/backend/src/tokens/jwtCategories.ts)).

use serde_json::Value;

/// `cat` of a session token.
pub const JWT_CATEGORY_SESSION_TOKEN: &str = "cl_B7d4PD111AAA";
/// `cat` of a JWT-template token.
pub const JWT_CATEGORY_JWT_TEMPLATE: &str = "cl_B7d4PD222AAA";
/// `cat` of an M2M token.
pub const JWT_CATEGORY_M2M_TOKEN: &str = "cl_B7d4PD333AAA";
/// `cat` stamped on every class by instances with `use_ignore_jwt_cat`.
pub const JWT_CATEGORY_IGNORE: &str = "cl_I7d4PD111III";

/// The header's `cat`, keeping apart absent, JSON `null`, non-strings and unknown strings, since the
/// verifiers treat "absent" differently from every other value.
///
/// Non-exhaustive: a category Clerk adds arrives as [`Other`](Self::Other) until this crate names
/// it, and naming it must not break your `match`.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Default)]
pub enum JwtCategory {
    /// No `cat` member.
    #[default]
    Absent,
    /// `"cat": null`.
    Null,
    /// `cat` is a number, bool, array or object.
    NotAString(Value),
    /// [`JWT_CATEGORY_SESSION_TOKEN`]
    Session,
    /// [`JWT_CATEGORY_JWT_TEMPLATE`]
    JwtTemplate,
    /// [`JWT_CATEGORY_M2M_TOKEN`]
    M2M,
    /// [`JWT_CATEGORY_IGNORE`]
    Ignore,
    /// Any other string, kept for forward compatibility.
    Other(String),
}

impl JwtCategory {
    /// Reads the header member's value (`None` when the member is absent).
    ///
    /// ```rust
    /// use clerk_token_types::JwtCategory;
    /// use serde_json::json;
    /// assert_eq!(JwtCategory::from_header_value(None), JwtCategory::Absent);
    /// assert_eq!(JwtCategory::from_header_value(Some(&json!(null))), JwtCategory::Null);
    /// assert_eq!(JwtCategory::from_header_value(Some(&json!("cl_B7d4PD333AAA"))), JwtCategory::M2M);
    /// assert_eq!(
    ///     JwtCategory::from_header_value(Some(&json!("cl_new"))),
    ///     JwtCategory::Other("cl_new".into())
    /// );
    /// ```
    pub fn from_header_value(v: Option<&Value>) -> Self {
        match v {
            None => Self::Absent,
            Some(Value::String(s)) => {
                Self::from_str_value(s).unwrap_or_else(|| Self::Other(s.clone()))
            }
            Some(other) => Self::from_value(other.clone()),
        }
    }

    /// Like [`from_header_value`](Self::from_header_value) for a present, owned value (no copy).
    pub(crate) fn from_value(v: Value) -> Self {
        match v {
            Value::Null => Self::Null,
            Value::String(s) => Self::from_str_value(&s).unwrap_or(Self::Other(s)),
            other => Self::NotAString(other),
        }
    }

    pub(crate) fn from_str_value(s: &str) -> Option<Self> {
        match s {
            JWT_CATEGORY_SESSION_TOKEN => Some(Self::Session),
            JWT_CATEGORY_JWT_TEMPLATE => Some(Self::JwtTemplate),
            JWT_CATEGORY_M2M_TOKEN => Some(Self::M2M),
            JWT_CATEGORY_IGNORE => Some(Self::Ignore),
            _ => None,
        }
    }

    /// The string value, if `cat` is a string.
    ///
    /// ```rust
    /// use clerk_token_types::JwtCategory;
    /// assert_eq!(JwtCategory::Session.as_str(), Some("cl_B7d4PD111AAA"));
    /// assert_eq!(JwtCategory::Null.as_str(), None);
    /// ```
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Session => Some(JWT_CATEGORY_SESSION_TOKEN),
            Self::JwtTemplate => Some(JWT_CATEGORY_JWT_TEMPLATE),
            Self::M2M => Some(JWT_CATEGORY_M2M_TOKEN),
            Self::Ignore => Some(JWT_CATEGORY_IGNORE),
            Self::Other(s) => Some(s),
            Self::Absent | Self::Null | Self::NotAString(_) => None,
        }
    }

    /// True when the header had no `cat` member.
    ///
    /// ```rust
    /// assert!(clerk_token_types::JwtCategory::Absent.is_absent());
    /// assert!(!clerk_token_types::JwtCategory::Null.is_absent());
    /// ```
    pub fn is_absent(&self) -> bool {
        matches!(self, Self::Absent)
    }

    /// The value as it appeared in the header (`None` when absent), for re-serialising.
    pub fn to_json(&self) -> Option<Value> {
        match self {
            Self::Absent => None,
            Self::Null => Some(Value::Null),
            Self::NotAString(v) => Some(v.clone()),
            other => other.as_str().map(|s| Value::String(s.to_owned())),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_four_constants() {
        assert_eq!(JWT_CATEGORY_SESSION_TOKEN, "cl_B7d4PD111AAA");
        assert_eq!(JWT_CATEGORY_JWT_TEMPLATE, "cl_B7d4PD222AAA");
        assert_eq!(JWT_CATEGORY_M2M_TOKEN, "cl_B7d4PD333AAA");
        assert_eq!(JWT_CATEGORY_IGNORE, "cl_I7d4PD111III");
    }

    #[test]
    fn category_table() {
        let cases = [
            (None, JwtCategory::Absent, None),
            (Some(json!(null)), JwtCategory::Null, None),
            (Some(json!(1)), JwtCategory::NotAString(json!(1)), None),
            (
                Some(json!(["cl_B7d4PD333AAA"])),
                JwtCategory::NotAString(json!(["cl_B7d4PD333AAA"])),
                None,
            ),
            (
                Some(json!("cl_B7d4PD111AAA")),
                JwtCategory::Session,
                Some("cl_B7d4PD111AAA"),
            ),
            (
                Some(json!("cl_B7d4PD222AAA")),
                JwtCategory::JwtTemplate,
                Some("cl_B7d4PD222AAA"),
            ),
            (
                Some(json!("cl_B7d4PD333AAA")),
                JwtCategory::M2M,
                Some("cl_B7d4PD333AAA"),
            ),
            (
                Some(json!("cl_I7d4PD111III")),
                JwtCategory::Ignore,
                Some("cl_I7d4PD111III"),
            ),
            (
                Some(json!("cl_some_future_unknown_cat")),
                JwtCategory::Other("cl_some_future_unknown_cat".into()),
                Some("cl_some_future_unknown_cat"),
            ),
            // Case matters: not the M2M constant.
            (
                Some(json!("CL_B7D4PD333AAA")),
                JwtCategory::Other("CL_B7D4PD333AAA".into()),
                Some("CL_B7D4PD333AAA"),
            ),
            (Some(json!("")), JwtCategory::Other(String::new()), Some("")),
        ];
        for (input, want, s) in cases {
            let got = JwtCategory::from_header_value(input.as_ref());
            assert_eq!(got, want, "{input:?}");
            assert_eq!(got.as_str(), s);
            assert_eq!(got.is_absent(), input.is_none());
            assert_eq!(got.to_json(), input);
            if let Some(v) = input {
                assert_eq!(JwtCategory::from_value(v), want);
            }
        }
    }
}
