//! Scheduler Lambda: once a minute, acts on complaints whose SLA point has come.

#[tokio::main]
async fn main() -> Result<(), prolink_aws::lambda::LambdaError> {
    prolink_aws::lambda::run_scheduler().await
}
