//! [`Rejected`]: a platform request refused before it became an [`Inbound`](super::Inbound), with
//! everything the server needs to answer it without knowing the platform: the kind of refusal with a
//! message safe to send back (the server picks the status), the reason counted in
//! `policybot_callbacks_rejected_total`, and the cause for the log.

use std::error::Error;

/// How a refused request is answered, and what the answer says (no secret, nothing internal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Not authenticated, or not for us: a bad signature, a stale timestamp, a replay (401).
    Unauthorized(&'static str),
    /// Authenticated (or not yet checkable) but unreadable: a missing parameter, a body that does not
    /// parse or decrypt (400).
    Malformed(String),
    /// The body is not of the declared type the platform sends (415).
    NotJson,
}

/// A request refused by its platform's transport.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.message())]
pub(crate) struct Rejected {
    pub refusal: Refusal,
    /// The `reason` label it is counted under (`unconfigured`, `signature`, `stale`, `replay`, `malformed`), if any.
    pub counted_as: Option<&'static str>,
    #[source]
    cause: Option<Box<dyn Error + Send + Sync>>,
}

impl Rejected {
    /// A refusal that is not counted and has no cause beyond its message.
    pub(crate) fn new(refusal: Refusal) -> Rejected {
        Rejected {
            refusal,
            counted_as: None,
            cause: None,
        }
    }

    /// What the answer says.
    pub(crate) fn message(&self) -> &str {
        match &self.refusal {
            Refusal::Unauthorized(m) => m,
            Refusal::Malformed(m) => m,
            Refusal::NotJson => "expected a JSON body",
        }
    }

    /// Counted under `reason` in the rejected-callbacks metric.
    pub(crate) fn counted(mut self, reason: &'static str) -> Rejected {
        self.counted_as = Some(reason);
        self
    }

    /// Keeps `cause` for the log.
    pub(crate) fn caused_by(mut self, cause: impl Error + Send + Sync + 'static) -> Rejected {
        self.cause = Some(Box::new(cause));
        self
    }
}

/// The cause of a callback refused because the platform's secret is not configured: the log names the
/// config key to set, so it does not look like a bad signature.
#[derive(Debug, thiserror::Error)]
#[error(
    "{0} callback refused: {1} is not configured (set it in the config or its POLICYBOT_ environment variable)"
)]
pub(crate) struct NotConfigured(pub &'static str, pub &'static str);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_is_what_is_shown_and_the_cause_stays_behind_it() {
        let cause = std::io::Error::other("secret detail");
        let r = Rejected::new(Refusal::Unauthorized("invalid timestamp or sign"))
            .counted("signature")
            .caused_by(cause);
        assert_eq!(r.to_string(), "invalid timestamp or sign");
        assert_eq!(r.counted_as, Some("signature"));
        assert_eq!(
            r.source().map(ToString::to_string).as_deref(),
            Some("secret detail")
        );
    }
}
