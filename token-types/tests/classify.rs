#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod common;

use clerk_token_types::{
    API_KEY_PREFIX, M2M_TOKEN_PREFIX, MACHINE_ID_PREFIX, OAUTH_ACCESS_TOKEN_TYPES,
    OAUTH_TOKEN_PREFIX, TokenType, classify, classify_decoded, classify_jwt, dangerous,
    is_jwt_format, machine_token_type_by_prefix,
};
use common::{M2M_HEADER, mock_m2m_payload, token};

fn oauth_jwt(typ: &str, sub: &str) -> String {
    token(
        &format!(r#"{{"alg":"RS256","kid":"ins_1","typ":"{typ}"}}"#),
        &format!(r#"{{"sub":{sub},"client_id":"client_1","scope":"read write"}}"#),
        b"sig",
    )
}

#[test]
fn constants() {
    assert_eq!(M2M_TOKEN_PREFIX, "mt_");
    assert_eq!(OAUTH_TOKEN_PREFIX, "oat_");
    assert_eq!(API_KEY_PREFIX, "ak_");
    assert_eq!(MACHINE_ID_PREFIX, "mch_");
    assert_eq!(OAUTH_ACCESS_TOKEN_TYPES, ["at+jwt", "application/at+jwt"]);
}

#[test]
fn is_jwt_format_cases() {
    for ok in [
        "header.payload.signature",
        "a.b.c",
        "A-_.0-9.z_",
        "eyJ.eyJ.sig",
    ] {
        assert!(is_jwt_format(ok), "{ok}");
    }
    for bad in [
        "",
        "a",
        "a.b",
        "a.b.c.d",
        ".b.c",
        "a..c",
        "a.b.",
        "..",
        "a.b.c=",
        "a=.b.c",
        "a+.b.c",
        "a/.b.c",
        "a .b.c",
        "a.b.c\n",
        "é.b.c",
        "a.b.c.",
        "not a jwt",
    ] {
        assert!(!is_jwt_format(bad), "{bad:?}");
    }
}

#[test]
fn prefixes_are_case_sensitive() {
    assert_eq!(
        machine_token_type_by_prefix("mt_1"),
        Some(TokenType::M2MToken)
    );
    assert_eq!(
        machine_token_type_by_prefix("oat_1"),
        Some(TokenType::OAuthToken)
    );
    assert_eq!(
        machine_token_type_by_prefix("ak_1"),
        Some(TokenType::ApiKey)
    );
    assert_eq!(
        machine_token_type_by_prefix("mt_"),
        Some(TokenType::M2MToken)
    );
    for none in [
        "",
        "unknown_prefix_token",
        "session_token_value",
        "jwt_token_value",
        "M2M_1",
        "MT_1",
        "OAUTH_1",
        "API_KEY_1",
        "AK_1",
        "mt",
        "oat",
        "ak",
        " mt_1",
    ] {
        assert_eq!(machine_token_type_by_prefix(none), None, "{none:?}");
        assert_eq!(classify(none), None, "{none:?}");
    }
}

/// `classify_decoded` with the caller's decode agrees with `classify` on every kind of token.
#[test]
fn classify_decoded_agrees_with_classify() {
    let m2m = token(M2M_HEADER, &mock_m2m_payload(), b"sig");
    let tokens = [
        "mt_1xxxxxxxxxxxxx".to_owned(),
        "oat_1xxxxxxxxxxxxx".to_owned(),
        "ak_1xxxxxxxxxxxxx".to_owned(),
        "".to_owned(),
        "a.b.c".to_owned(),
        m2m,
        oauth_jwt("at+jwt", r#""user_1""#),
        oauth_jwt("at+jwt", r#""mch_1""#),
        oauth_jwt("JWT", r#""user_1""#),
    ];
    for t in &tokens {
        let decoded = is_jwt_format(t)
            .then(|| dangerous::insecure_decode(t).ok())
            .flatten();
        assert_eq!(classify_decoded(t, decoded.as_ref()), classify(t), "{t}");
    }
}

#[test]
fn classify_reference_2_2() {
    assert_eq!(classify("mt_1xxxxxxxxxxxxx"), Some(TokenType::M2MToken));
    assert_eq!(classify("oat_1xxxxxxxxxxxxx"), Some(TokenType::OAuthToken));
    assert_eq!(classify("ak_1xxxxxxxxxxxxx"), Some(TokenType::ApiKey));

    let m2m = token(M2M_HEADER, &mock_m2m_payload(), b"sig");
    assert_eq!(classify(&m2m), Some(TokenType::M2MToken));
    // The M2M rule looks at `sub` only: no typ, no cat needed.
    assert_eq!(
        classify(&token("{}", r#"{"sub":"mch_1"}"#, b"s")),
        Some(TokenType::M2MToken)
    );

    assert_eq!(
        classify(&oauth_jwt("at+jwt", r#""user_1""#)),
        Some(TokenType::OAuthToken)
    );
    assert_eq!(
        classify(&oauth_jwt("application/at+jwt", r#""user_1""#)),
        Some(TokenType::OAuthToken)
    );
    // M2M is checked before OAuth.
    assert_eq!(
        classify(&oauth_jwt("at+jwt", r#""mch_1""#)),
        Some(TokenType::M2MToken)
    );
    // A non-string sub does not stop an at+jwt token from being OAuth (as in `@clerk/backend`'s
    // `tokens/__tests__/verify.test.ts`).
    for sub in ["null", "42", r#"{"id":"mch_1"}"#, r#"["mch_1"]"#] {
        assert_eq!(
            classify(&oauth_jwt("at+jwt", sub)),
            Some(TokenType::OAuthToken),
            "{sub}"
        );
    }
    let missing_sub = token(r#"{"typ":"at+jwt"}"#, "{}", b"s");
    assert_eq!(classify(&missing_sub), Some(TokenType::OAuthToken));

    // Session-like JWTs and near misses are not machine tokens.
    for t in [
        oauth_jwt("JWT", r#""user_123""#),
        oauth_jwt("AT+JWT", r#""user_123""#),
        oauth_jwt("at+jwt ", r#""user_123""#),
        oauth_jwt("JWT", r#""MCH_1""#),
        oauth_jwt("JWT", r#""xmch_1""#),
        token("{}", "{}", b"s"),
    ] {
        assert_eq!(classify(&t), None, "{t}");
    }
    // Not JWT-shaped or undecodable: not a machine JWT.
    assert_eq!(classify("not.a.jwt"), None);
    assert_eq!(classify("invalid.jwt.token"), None);
    // JSON null payload: `@clerk/backend`'s isM2MJwt is false for it.
    assert_eq!(classify(&token(r#"{"typ":"JWT"}"#, "null", b"s")), None);
    // Padded JWT segments are not JWT-shaped even though the payload says mch_.
    let padded = format!("{}=", token("{}", r#"{"sub":"mch_1"}"#, b"s"));
    assert_eq!(classify(&padded), None);
    // A JWT-shaped token with a machine prefix is classified by its prefix.
    assert_eq!(classify("mt_abc.def.ghi"), Some(TokenType::M2MToken));
    assert_eq!(classify("ak_abc.def.ghi"), Some(TokenType::ApiKey));
}

#[test]
fn classify_jwt_rules() {
    let jwt = |t: &str| dangerous::insecure_decode(t).unwrap();
    assert_eq!(
        classify_jwt(&jwt(&token(M2M_HEADER, &mock_m2m_payload(), b"s"))),
        Some(TokenType::M2MToken)
    );
    assert_eq!(
        classify_jwt(&jwt(&oauth_jwt("application/at+jwt", "7"))),
        Some(TokenType::OAuthToken)
    );
    assert_eq!(classify_jwt(&jwt(&oauth_jwt("JWT", r#""user_1""#))), None);
    // `sub` must be a string to count.
    assert_eq!(
        classify_jwt(&jwt(&token("{}", r#"{"sub":["mch_1"]}"#, b"s"))),
        None
    );
}
