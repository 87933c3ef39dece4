//! Fuzzes `dangerous::insecure_decode`: any input must give `Ok` or a typed error, never a panic or a hang,
//! and a decoded token must keep its raw text.
//!
//! Run with `cargo +nightly fuzz run decode` from this directory.
#![no_main]

use clerk_token_types::{DecodeOptions, M2MToken, classify, dangerous};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let opts = DecodeOptions::new().with_max_token_bytes(usize::MAX);
    let _ = classify(token);
    match dangerous::insecure_decode_with(token, &opts) {
        Ok(jwt) => {
            assert_eq!(jwt.as_str(), token);
            let (signed, _) = token.rsplit_once('.').expect("a decoded token has dots");
            assert_eq!(jwt.signing_input(), signed.as_bytes());
            // Re-encoding what was decoded must decode to the same thing.
            let again = format!(
                "{}.{}.{}",
                clerk_token_types::encode_segment(&serde_json_vec(jwt.header())),
                clerk_token_types::encode_segment(&serde_json_vec(jwt.claims())),
                jwt.raw_signature(),
            );
            let back = dangerous::insecure_decode_with(&again, &opts).expect("re-encoded token decodes");
            assert_eq!(back.header(), jwt.header());
            assert_eq!(back.claims(), jwt.claims());
            let _ = M2MToken::from_jwt_claims(jwt.claims(), 0, 5000);
            let _ = format!("{jwt:?}");
        }
        Err(e) => {
            let _ = (e.to_string(), e.code(), e.reason());
        }
    }
});

fn serde_json_vec<T: serde::Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).expect("serialisable")
}
