//! Scheduler Lambda: once a minute, acts on complaints whose SLA point has come.

#[tokio::main]
async fn main() -> Result<(), prolink::app::lambda::LambdaError> {
    prolink::app::lambda::run_scheduler().await
}
