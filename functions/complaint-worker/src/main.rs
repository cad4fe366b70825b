//! Complaint-worker Lambda: routes complaints, copies photos, notifies citizens (tasks queue).

#[tokio::main]
async fn main() -> Result<(), prolink_aws::lambda::LambdaError> {
    prolink_aws::lambda::run_complaint_worker().await
}
