//! Graph's template endpoint (`GET /{version}/{waba-id}/message_templates`): the production
//! [`TemplateDirectory`]. Read-only; the scheduler calls it now and then so the broadcasts
//! know which templates Meta approved (see `broadcast::sync_template_statuses`).

use std::sync::Arc;

use async_trait::async_trait;
use serde::Deserialize;

use crate::graph::GraphConfig;
use crate::ports::{PortError, PortResult, SecretsProvider, TemplateDirectory, TemplateReport};

/// Templates asked for per page (Graph's page size limit is far above what a city keeps).
const PAGE_SIZE: usize = 100;
/// Pages followed at most: a bound against a `next` link that never ends.
const MAX_PAGES: usize = 20;

#[derive(Debug, Deserialize)]
struct Page {
    #[serde(default)]
    data: Vec<TemplateReport>,
    #[serde(default)]
    paging: Option<Paging>,
}

#[derive(Debug, Deserialize)]
struct Paging {
    #[serde(default)]
    cursors: Option<Cursors>,
    #[serde(default)]
    next: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Cursors {
    #[serde(default)]
    after: Option<String>,
}

pub struct GraphTemplates {
    config: GraphConfig,
    business_account_id: String,
    secrets: Arc<dyn SecretsProvider>,
    http: reqwest::Client,
}

impl GraphTemplates {
    /// `None` without a WhatsApp Business Account id: then nothing can be listed (the local
    /// mode, or an AWS stack whose `WhatsAppBusinessAccountId` parameter is empty).
    pub fn new(
        config: GraphConfig,
        business_account_id: &str,
        secrets: Arc<dyn SecretsProvider>,
        http: reqwest::Client,
    ) -> Option<Self> {
        let business_account_id = business_account_id.trim();
        if business_account_id.is_empty()
            || !business_account_id.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        Some(GraphTemplates {
            config,
            business_account_id: business_account_id.to_string(),
            secrets,
            http,
        })
    }

    fn url(&self) -> String {
        self.config
            .node_url(&self.business_account_id, "message_templates")
    }
}

#[async_trait]
impl TemplateDirectory for GraphTemplates {
    async fn list_templates(&self) -> PortResult<Vec<TemplateReport>> {
        let token = self
            .secrets
            .whatsapp()
            .await?
            .access_token
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| PortError::Invalid("no WhatsApp access token configured".into()))?;
        let url = self.url();
        let mut templates = Vec::new();
        let mut after: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut page_url = reqwest::Url::parse(&url)
                .map_err(|e| PortError::Invalid(format!("Graph template URL: {e}")))?;
            {
                // reqwest's own `query` needs an extra feature; the URL type encodes as well.
                let mut pairs = page_url.query_pairs_mut();
                pairs
                    .append_pair("fields", "name,language,status,category")
                    .append_pair("limit", &PAGE_SIZE.to_string());
                if let Some(cursor) = after.as_deref() {
                    pairs.append_pair("after", cursor);
                }
            }
            let response = self
                .http
                .get(page_url)
                .bearer_auth(token.trim())
                .send()
                .await
                // Without the URL: it names the account, and test doubles' hosts stay out of logs.
                .map_err(|e| PortError::backend(e.without_url()))?;
            let status = response.status();
            let body = response
                .bytes()
                .await
                .map_err(|e| PortError::backend(e.without_url()))?;
            if !status.is_success() {
                let detail = crate::graph::MetaError::parse(&body)
                    .map(|e| e.to_string())
                    .unwrap_or_else(|| format!("HTTP {status}"));
                return Err(PortError::Backend(format!(
                    "Graph template list refused: {detail}"
                )));
            }
            let page: Page = serde_json::from_slice(&body)
                .map_err(|e| PortError::Backend(format!("Graph template list unreadable: {e}")))?;
            let count = page.data.len();
            templates.extend(page.data);
            // Graph gives a `next` link only when there is a next page; its `after` cursor is
            // what we follow (the link itself would carry the token-less URL of another host
            // in tests, and we keep one URL).
            after = match page.paging {
                Some(Paging {
                    next: Some(_),
                    cursors:
                        Some(Cursors {
                            after: Some(cursor),
                        }),
                }) if count > 0 => Some(cursor),
                _ => None,
            };
            if after.is_none() {
                return Ok(templates);
            }
        }
        Ok(templates)
    }
}
