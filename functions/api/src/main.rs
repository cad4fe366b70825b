//! Operator API Lambda: the dashboard's requests through API Gateway's JWT authorizer.

#[tokio::main]
async fn main() -> Result<(), prolink_aws::lambda::LambdaError> {
    prolink_aws::lambda::run_api().await
}
