//! Dialog-worker Lambda: answers citizens from the inbound FIFO queue.

#[tokio::main]
async fn main() -> Result<(), prolink::app::lambda::LambdaError> {
    prolink::app::lambda::run_dialog_worker().await
}
