//! Webhook Lambda: verifies Meta's signature and queues every message and status.

#[tokio::main]
async fn main() -> Result<(), prolink_aws::lambda::LambdaError> {
    prolink_aws::lambda::run_webhook().await
}
