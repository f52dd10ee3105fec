//! Who calls the robot OpenAPI ([`OpenApi`]: where, with which app's key and secret, for which default
//! robot) and its access token (`POST {api_base}/v1.0/oauth2/accessToken`): fetched when first needed,
//! shared by every send, and fetched again five minutes before DingTalk lets it expire. One lock:
//! concurrent sends wait for one fetch rather than each making one.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::platform::{Poster, SendError};

/// Where and as whom the robot OpenAPI is called. `Debug` is not derived: it holds the app secret.
pub(crate) struct OpenApi {
    /// `https://api.dingtalk.com`, without a trailing slash.
    pub base: String,
    pub app_key: String,
    pub app_secret: String,
    /// The robot for routes whose callback named none.
    pub robot_code: String,
}

const TOKEN_PATH: &str = "/v1.0/oauth2/accessToken";
/// How long before its expiry a token is replaced.
const MARGIN_SECS: u64 = 300;

/// The cached token and until when it is used.
#[derive(Default)]
pub(crate) struct TokenCache {
    slot: tokio::sync::Mutex<Option<(String, Instant)>>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Token {
    access_token: String,
    expire_in: u64,
}

impl TokenCache {
    /// A token that is good for at least five more minutes.
    pub(crate) async fn get(&self, post: &Poster, api: &OpenApi) -> Result<String, SendError> {
        let mut slot = self.slot.lock().await;
        if let Some((token, until)) = slot.as_ref()
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        let url = format!("{}{TOKEN_PATH}", api.base);
        let body = json!({ "appKey": api.app_key, "appSecret": api.app_secret });
        let (status, bytes) = post.post(&url, &body, None).await?;
        if !status.is_success() {
            return Err(SendError::Status {
                what: "access token",
                status,
                envelope: None,
            });
        }
        let token: Token = serde_json::from_slice(&bytes).map_err(SendError::TokenBody)?;
        let until =
            Instant::now() + Duration::from_secs(token.expire_in.saturating_sub(MARGIN_SECS));
        *slot = Some((token.access_token.clone(), until));
        Ok(token.access_token)
    }
}
