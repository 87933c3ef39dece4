//! What the benches share: the bench token, its keys, and a one-poll executor.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use base64::Engine as _;
use josekit::jws::{JwsSigner as _, RS256};

pub(crate) const KEY: &str = include_str!("../../tests/data/test-signing.key.pem");
pub(crate) const PUB: &str = include_str!("../../tests/data/test-signing.pub.pem");
/// The token's `iat`; the benches' clocks stand still at it, so the token never expires.
pub(crate) const IAT: i64 = 1_666_648_250;

/// Polls once: with a warm resolver the pipeline never awaits anything that is pending.
pub(crate) fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("the warm pipeline should not wait"),
    }
}

/// Unpadded base64url, as in a JWS.
pub(crate) fn b64(b: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// An M2M JWT shaped like Clerk's (794 characters), signed RS256 with [`KEY`].
pub(crate) fn token() -> String {
    let header = r#"{"alg":"RS256","kid":"ins_2GIoQhbUpy0hX7B2cVkuTMinXoD","typ":"JWT","cat":"cl_B7d4PD333AAA"}"#;
    let payload = format!(
        r#"{{"iss":"https://clerk.m2m.example.test","sub":"mch_2vYVtestTESTtestTESTtestTESTtest","aud":["mch_1xxxxx","mch_2xxxxx"],"exp":{},"iat":{IAT},"nbf":{},"jti":"mt_2xKa9Bgv7NxMRDFyQw8LpZ3cTmU1vHjE","scopes":"mch_1xxxxx mch_2xxxxx"}}"#,
        IAT + 300,
        IAT - 10
    );
    let input = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
    let sig = RS256
        .signer_from_pem(KEY)
        .unwrap()
        .sign(input.as_bytes())
        .unwrap();
    format!("{input}.{}", b64(&sig))
}

/// The token's signing input and decoded signature, for the bare signature check.
pub(crate) fn signed_parts(token: &str) -> (&str, Vec<u8>) {
    let (input, sig) = token.rsplit_once('.').unwrap();
    let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(sig)
        .unwrap();
    (input, sig)
}
