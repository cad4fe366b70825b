//! AWS adapters: DynamoDB single table, SQS FIFO queue, Secrets Manager, Bedrock (optional
//! rephrasing).

pub mod bedrock;
pub mod dynamo;
mod dynamo_complaint;
mod dynamo_content;
mod dynamo_conversation;
pub mod s3;
pub mod secrets;
pub mod sqs;

pub use dynamo::{create_table, DynamoStore};
pub use secrets::{aws_sdk_config, SecretsManagerProvider};
pub use sqs::{create_fifo_queue_with_dlq, SqsQueue};
