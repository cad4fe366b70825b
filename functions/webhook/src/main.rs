//! Webhook Lambda: verifies Meta's signature and queues every message and status.

#[tokio::main]
async fn main() -> Result<(), prolink::app::lambda::LambdaError> {
    prolink::app::lambda::run_webhook().await
}
