//! Helpers shared by the integration tests: build compact tokens from JSON text.
#![allow(dead_code, unreachable_pub)]

use clerk_token_types::encode_segment;

/// `b64(header).b64(payload).b64(signature)`.
pub fn token(header: &str, payload: &str, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        encode_segment(header.as_bytes()),
        encode_segment(payload.as_bytes()),
        encode_segment(signature)
    )
}

/// `@clerk/backend`'s test fixture `mockM2MJwtPayload` (iat 1666648250).
pub const IAT: i64 = 1_666_648_250;

pub fn mock_m2m_payload() -> String {
    format!(
        r#"{{"iss":"https://clerk.m2m.example.test","sub":"mch_2vYVtestTESTtestTESTtestTESTtest","aud":["mch_1xxxxx","mch_2xxxxx"],"exp":{},"iat":{IAT},"nbf":{},"jti":"mt_2xKa9Bgv7NxMRDFyQw8LpZ3cTmU1vHjE","scopes":"mch_1xxxxx mch_2xxxxx"}}"#,
        IAT + 300,
        IAT - 10
    )
}

pub const M2M_HEADER: &str = r#"{"alg":"RS256","kid":"ins_2GIoQhbUpy0hX7B2cVkuTMinXoD","typ":"JWT","cat":"cl_B7d4PD333AAA"}"#;
