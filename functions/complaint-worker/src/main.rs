//! Complaint-worker Lambda: routes complaints, copies photos, notifies citizens (tasks queue).

#[tokio::main]
async fn main() -> Result<(), prolink::app::lambda::LambdaError> {
    prolink::app::lambda::run_complaint_worker().await
}
