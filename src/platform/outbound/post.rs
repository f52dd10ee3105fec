//! [`Poster`]: the one way the bot posts to a platform. The allow-list is checked before every request,
//! network errors lose their URL (a webhook URL carries its key) before anyone can log them, and
//! [`Poster::send`] decides success from both the HTTP status and the platform's envelope.

use serde_json::Value;

use super::{SendError, allowed};
use crate::platform::ApiError;

/// How a platform's response body says whether the call succeeded.
pub(crate) type Envelope = fn(&[u8]) -> Result<(), ApiError>;

/// The HTTP client and the allow-list every outbound request goes through.
pub(crate) struct Poster {
    http: reqwest::Client,
    allowed_hosts: Vec<String>,
}

impl Poster {
    pub(crate) fn new(http: reqwest::Client, allowed_hosts: Vec<String>) -> Poster {
        Poster {
            http,
            allowed_hosts,
        }
    }

    /// POSTs `body` as JSON to an allowed `url`, with an optional extra header; the status and body.
    pub(crate) async fn post(
        &self,
        url: &str,
        body: &Value,
        header: Option<(&str, &str)>,
    ) -> Result<(reqwest::StatusCode, Vec<u8>), SendError> {
        if !allowed(url, &self.allowed_hosts) {
            return Err(SendError::NotAllowed);
        }
        let mut req = self.http.post(url).json(body);
        if let Some((name, value)) = header {
            req = req.header(name, value);
        }
        let resp = req.send().await.map_err(network)?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(network)?;
        Ok((status, bytes.to_vec()))
    }

    /// [`Poster::post`], successful when the status is and `envelope` accepts the body.
    pub(crate) async fn send(
        &self,
        url: &str,
        body: &Value,
        header: Option<(&str, &str)>,
        envelope: Envelope,
    ) -> Result<(), SendError> {
        let (status, bytes) = self.post(url, body, header).await?;
        let checked = envelope(&bytes);
        if !status.is_success() {
            return Err(SendError::Status {
                what: "send",
                status,
                envelope: checked.err(),
            });
        }
        checked.map_err(SendError::Refused)
    }
}

fn network(e: reqwest::Error) -> SendError {
    SendError::Network(e.without_url())
}
