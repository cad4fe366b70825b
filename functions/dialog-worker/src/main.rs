//! Dialog-worker Lambda: answers citizens from the inbound FIFO queue.

#[tokio::main]
async fn main() -> Result<(), prolink_aws::lambda::LambdaError> {
    prolink_aws::lambda::run_dialog_worker().await
}
