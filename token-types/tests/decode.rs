#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use clerk_token_types::{
    Algorithm, ClaimValue, DEFAULT_MAX_TOKEN_BYTES, DecodeOptions, Error, ErrorCode, JwtCategory,
    Reason, Segment, dangerous, encode_segment,
};
use common::{M2M_HEADER, mock_m2m_payload, token};

const THREE_PARTS: &str = "Invalid JWT form. A JWT consists of three parts separated by dots.";
const UNDECODABLE: &str =
    "Invalid JWT form. The header, payload, or signature could not be decoded.";

fn undecodable(t: &str) -> Segment {
    match dangerous::insecure_decode(t) {
        Err(e @ Error::Undecodable { segment, .. }) => {
            assert_eq!(e.to_string(), UNDECODABLE);
            assert_eq!(e.code(), ErrorCode::TokenInvalid);
            assert_eq!(e.reason(), Reason::TokenInvalid);
            assert!(e.detail().is_some_and(|d| !d.is_empty()));
            segment
        }
        other => panic!("{t:?}: expected Undecodable, got {other:?}"),
    }
}

#[test]
fn decodes_a_valid_m2m_jwt() {
    let t = token(M2M_HEADER, &mock_m2m_payload(), b"\x01\x02\xff");
    let jwt = dangerous::insecure_decode(&t).unwrap();
    let h = jwt.header();
    assert_eq!(
        h.alg.as_deref().and_then(Algorithm::from_name),
        Some(Algorithm::RS256)
    );
    assert_eq!(h.kid.as_deref(), Some("ins_2GIoQhbUpy0hX7B2cVkuTMinXoD"));
    assert_eq!(h.typ.as_deref(), Some("JWT"));
    assert_eq!(h.cat, JwtCategory::M2M);
    let c = jwt.claims();
    assert_eq!(
        c.sub,
        Some(ClaimValue::Valid(
            "mch_2vYVtestTESTtestTESTtestTESTtest".into()
        ))
    );
    assert_eq!(jwt.signature(), b"\x01\x02\xff");

    let (h64, rest) = t.split_once('.').unwrap();
    let (p64, s64) = rest.split_once('.').unwrap();
    assert_eq!(jwt.raw_header(), h64);
    assert_eq!(jwt.raw_payload(), p64);
    assert_eq!(jwt.raw_signature(), s64);
    assert_eq!(jwt.signing_input(), format!("{h64}.{p64}").as_bytes());
    assert_eq!(jwt.as_str(), t);

    let owned = dangerous::insecure_decode_owned(t.clone(), &DecodeOptions::default()).unwrap();
    assert_eq!(owned.claims(), jwt.claims());
    assert_eq!(owned.signing_input(), jwt.signing_input());
}

#[test]
fn signing_input_is_what_was_received_not_a_re_encoding() {
    // Whitespace and member order survive: nothing is re-serialised.
    let header = "  {\"kid\" : \"k\",\n \"alg\":\"RS256\"} ";
    let payload = "{\"b\":1, \"a\":2}";
    let t = token(header, payload, b"s");
    let jwt = dangerous::insecure_decode(&t).unwrap();
    let expected = format!(
        "{}.{}",
        encode_segment(header.as_bytes()),
        encode_segment(payload.as_bytes())
    );
    assert_eq!(jwt.signing_input(), expected.as_bytes());
    assert_eq!(jwt.claims().extra.keys().collect::<Vec<_>>(), ["b", "a"]);
}

#[test]
fn reference_5_1_three_parts() {
    for t in [
        "",
        "null",
        "undefined",
        "whatever",
        "42",
        "a.b",
        "a.b.c.d",
        "...",
        ".",
        "a.b.c.",
    ] {
        let e = dangerous::insecure_decode(t).unwrap_err();
        assert_eq!(e, Error::NotThreeParts, "{t:?}");
        assert_eq!(e.to_string(), THREE_PARTS);
        assert_eq!(e.code(), ErrorCode::TokenInvalid);
        assert_eq!(e.detail(), None);
    }
}

#[test]
fn reference_5_1_undecodable_segments() {
    // Non-zero leftover bits (`@clerk/backend`'s own example).
    assert_eq!(undecodable("aaa.bbb.ccc"), Segment::Header);
    // Valid base64 of "abc", not JSON.
    assert_eq!(undecodable("YWJj.YWJj.YWJj"), Segment::Header);
    // "invalid.jwt.token" from `@clerk/backend`'s `tokens/__tests__/verify.test.ts`.
    assert_eq!(undecodable("invalid.jwt.token"), Segment::Header);
}

#[test]
fn base64url_must_be_canonical_and_unpadded() {
    let good_h = encode_segment(br#"{"alg":"RS256"}"#);
    let good_p = encode_segment(br#"{"sub":"mch_1"}"#);
    assert!(dangerous::insecure_decode(&format!("{good_h}.{good_p}.c2ln")).is_ok());

    // `{"a":1}` is 7 bytes: unpadded 10 chars, padded with "==".
    let p7 = encode_segment(br#"{"a":1}"#);
    assert_eq!(p7.len(), 10);
    for bad_p in [
        format!("{p7}=="),
        format!("{p7}="),
        p7.replace('e', "+"),
        format!("{}/", &p7[..9]),
        format!(" {p7}"),
        format!("{p7}\n"),
        p7[..9].to_owned(),       // length % 4 == 1
        p7[..9].to_owned() + "f", // last char with non-zero spare bits
    ] {
        assert_eq!(
            undecodable(&format!("{good_h}.{bad_p}.c2ln")),
            Segment::Payload,
            "{bad_p:?}"
        );
    }
    // "YQ" is "a"; "YR" carries the same byte plus non-zero spare bits.
    assert!(dangerous::insecure_decode(&format!("{good_h}.{good_p}.YQ")).is_ok());
    assert_eq!(
        undecodable(&format!("{good_h}.{good_p}.YR")),
        Segment::Signature
    );
    assert_eq!(
        undecodable(&format!("{good_h}.{good_p}.YQ==")),
        Segment::Signature
    );
    assert_eq!(
        undecodable(&format!("{good_h}.{good_p}.Y")),
        Segment::Signature
    );
}

#[test]
fn empty_segments() {
    let h = encode_segment(br#"{"alg":"RS256"}"#);
    let p = encode_segment(br#"{}"#);
    // An empty signature decodes to no bytes, as in `@clerk/backend`; verification rejects it.
    let jwt = dangerous::insecure_decode(&format!("{h}.{p}.")).unwrap();
    assert!(jwt.signature().is_empty());
    assert_eq!(jwt.signing_input(), format!("{h}.{p}").as_bytes());
    assert_eq!(undecodable(&format!(".{p}.c2ln")), Segment::Header);
    assert_eq!(undecodable(&format!("{h}..c2ln")), Segment::Payload);
}

#[test]
fn header_and_payload_must_be_json_objects() {
    for json in [
        "null", "[]", "1", "\"x\"", "true", "", " ", "{", "{}{}", "{} x",
    ] {
        assert_eq!(
            undecodable(&token(json, "{}", b"s")),
            Segment::Header,
            "{json:?}"
        );
        assert_eq!(
            undecodable(&token("{}", json, b"s")),
            Segment::Payload,
            "{json:?}"
        );
    }
    assert!(dangerous::insecure_decode(&token(" {} ", "\t{}\n", b"s")).is_ok());
}

#[test]
fn a_top_level_string_is_not_echoed_in_the_detail() {
    let e = dangerous::insecure_decode(&token("{}", "\"very-secret-payload\"", b"s")).unwrap_err();
    assert!(!e.detail().unwrap().contains("very-secret"), "{e:?}");
}

#[test]
fn invalid_utf8_is_rejected() {
    let h = encode_segment(b"{\"alg\":\"RS\xff256\"}");
    let p = encode_segment(b"{}");
    assert_eq!(undecodable(&format!("{h}.{p}.c2ln")), Segment::Header);
    let p = encode_segment(b"{\"sub\":\"mch_\xc3\"}");
    let h = encode_segment(b"{}");
    assert_eq!(undecodable(&format!("{h}.{p}.c2ln")), Segment::Payload);
}

#[test]
fn duplicate_members_are_rejected_in_header_and_payload() {
    let t = token(r#"{"alg":"RS256","alg":"none"}"#, "{}", b"s");
    assert_eq!(undecodable(&t), Segment::Header);
    let t = token(r#"{"kid":"a","kid":"b"}"#, "{}", b"s");
    assert_eq!(undecodable(&t), Segment::Header);
    for payload in [
        r#"{"exp":1,"exp":9999999999}"#,
        r#"{"sub":"mch_1","sub":"user_1"}"#,
        r#"{"role":"a","role":"b"}"#,
        r#"{"scopes":"a","sc\u006fpes":"b"}"#,
    ] {
        let e = dangerous::insecure_decode(&token("{}", payload, b"s")).unwrap_err();
        assert!(
            e.detail().unwrap().contains("duplicate member"),
            "{payload}: {e:?}"
        );
    }
    // Nested duplicates are data, not structure: kept as serde_json keeps them (last wins).
    assert!(dangerous::insecure_decode(&token("{}", r#"{"x":{"a":1,"a":2}}"#, b"s")).is_ok());
}

#[test]
fn mistyped_header_members_are_rejected_but_claims_are_kept() {
    for header in [
        r#"{"alg":null}"#,
        r#"{"alg":1}"#,
        r#"{"typ":["JWT"]}"#,
        r#"{"crit":"x"}"#,
    ] {
        assert_eq!(
            undecodable(&token(header, "{}", b"s")),
            Segment::Header,
            "{header}"
        );
    }
    let jwt = dangerous::insecure_decode(&token("{}", r#"{"exp":"soon","sub":42}"#, b"s")).unwrap();
    assert_eq!(
        jwt.claims().exp,
        Some(ClaimValue::Invalid(Box::new("soon".into())))
    );
    assert_eq!(
        jwt.claims().sub,
        Some(ClaimValue::Invalid(Box::new(42.into())))
    );
}

#[test]
fn size_cap_is_checked_first() {
    let t = token(M2M_HEADER, &mock_m2m_payload(), b"sig");
    let opts = DecodeOptions::new().with_max_token_bytes(t.len());
    assert!(dangerous::insecure_decode_with(&t, &opts).is_ok());
    let opts = DecodeOptions::new().with_max_token_bytes(t.len() - 1);
    assert_eq!(
        dangerous::insecure_decode_with(&t, &opts).unwrap_err(),
        Error::TooLarge {
            len: t.len(),
            max: t.len() - 1
        }
    );
    // Over the cap wins over every other problem, and a megabyte is refused without work.
    let huge = "!".repeat(1 << 20);
    let e = dangerous::insecure_decode(&huge).unwrap_err();
    assert_eq!(
        e,
        Error::TooLarge {
            len: 1 << 20,
            max: DEFAULT_MAX_TOKEN_BYTES
        }
    );
    assert_eq!(e.code(), ErrorCode::TokenInvalid);
    assert!(e.to_string().starts_with("Invalid JWT form."));
    assert_eq!(DecodeOptions::default().max_token_bytes, 16 * 1024);
    let just_over = "a".repeat(DEFAULT_MAX_TOKEN_BYTES + 1);
    assert!(matches!(
        dangerous::insecure_decode(&just_over),
        Err(Error::TooLarge { .. })
    ));
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = format!("{{\"x\":{}{}}}", "[".repeat(10_000), "]".repeat(10_000));
    let t = token("{}", &deep, b"s");
    let opts = DecodeOptions::new().with_max_token_bytes(usize::MAX);
    assert!(matches!(
        dangerous::insecure_decode_with(&t, &opts),
        Err(Error::Undecodable { .. })
    ));
}

#[test]
fn debug_never_shows_the_token_or_signature() {
    let t = token(M2M_HEADER, &mock_m2m_payload(), b"SIGNATURE-BYTES");
    let jwt = dangerous::insecure_decode(&t).unwrap();
    let dbg = format!("{jwt:?}");
    assert!(!dbg.contains(jwt.raw_header()));
    assert!(!dbg.contains(jwt.raw_payload()));
    assert!(!dbg.contains(jwt.raw_signature()));
    assert!(!dbg.contains("83, 73, 71")); // "SIG" as bytes
    assert!(dbg.contains("mch_2vYV"));
    let e = dangerous::insecure_decode(&format!("{}.!!!.x", jwt.raw_header())).unwrap_err();
    assert!(!format!("{e:?}{e}").contains(jwt.raw_header()));
}
