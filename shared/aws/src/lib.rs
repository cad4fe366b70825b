//! AWS adapters: DynamoDB single table, SQS queues, S3 media bucket, Secrets Manager, Bedrock
//! (optional rephrasing), the Cognito user pool of the operators, and the Lambda wiring each `functions/*` binary calls.

pub mod bedrock;
pub mod cognito;
pub mod dynamo;
mod dynamo_broadcast;
mod dynamo_citizen_data;
mod dynamo_complaint;
mod dynamo_content;
mod dynamo_content_revisions;
mod dynamo_conversation;
mod dynamo_lapor;
mod dynamo_message_log;
mod dynamo_operator;
mod dynamo_retention;
mod dynamo_stats;
pub mod lambda;
pub mod metrics;
pub mod s3;
pub mod secrets;
pub mod sqs;

pub use dynamo::{create_table, DynamoStore};
pub use secrets::{aws_sdk_config, SecretsManagerProvider};
pub use sqs::{create_fifo_queue_with_dlq, SqsQueue};
