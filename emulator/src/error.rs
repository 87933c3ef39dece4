//! This crate's error type, for the library API (the HTTP surface answers with Clerk error bodies).

use crate::tt::{ErrorCode, Reason};

/// Why an emulator operation failed.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// The listening socket could not be bound or inspected.
    #[error("the emulator could not listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: std::net::SocketAddr,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// Generating or using a signing key failed.
    #[error("the emulator's signing key failed: {detail}")]
    Crypto {
        /// What went wrong (never key material).
        detail: String,
    },
    /// A generated secret was refused by the key types of clerk-token-types (a bug).
    #[error("the emulator generated an unusable secret key")]
    SecretKey,
    /// A machine id that the emulator does not know.
    #[error("no machine with id {id}")]
    UnknownMachine {
        /// The id asked for.
        id: String,
    },
    /// Bad input to a library call, e.g. a machine name out of range.
    #[error("invalid input: {detail}")]
    InvalidInput {
        /// What was wrong.
        detail: String,
    },
}

impl EmulatorError {
    /// The shared error code: [`ErrorCode::SecretKeyInvalid`] for [`EmulatorError::SecretKey`],
    /// [`ErrorCode::UnexpectedError`] otherwise.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::SecretKey => ErrorCode::SecretKeyInvalid,
            _ => ErrorCode::UnexpectedError,
        }
    }

    /// The shared reason, as [`EmulatorError::code`].
    pub fn reason(&self) -> Reason {
        match self {
            Self::SecretKey => Reason::SecretKeyInvalid,
            _ => Reason::UnexpectedError,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_reasons() {
        assert_eq!(EmulatorError::SecretKey.code(), ErrorCode::SecretKeyInvalid);
        assert_eq!(EmulatorError::SecretKey.reason(), Reason::SecretKeyInvalid);
        let e = EmulatorError::UnknownMachine { id: "mch_x".into() };
        assert_eq!(e.code(), ErrorCode::UnexpectedError);
        assert_eq!(e.reason(), Reason::UnexpectedError);
        assert_eq!(e.to_string(), "no machine with id mch_x");
    }
}
