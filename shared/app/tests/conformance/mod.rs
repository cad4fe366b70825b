//! Conformance suite of the port adapters, written once against the traits of `prolink_app::ports`
//! and run against every backend (SQLite here; DynamoDB and SQS on moto in the AWS tests), so
//! the local mode and AWS cannot drift apart.
//!
//! The suite uses real time only (`SystemClock`, real sleeps): moto cannot fake a clock for SQS
//! visibility timeouts. Queue cases use visibilities of whole seconds (SQS has no finer unit)
//! and poll with a bounded deadline instead of assuming that one receive returns everything
//! that is available. All queue cases run concurrently, so the whole queue suite takes about
//! as long as its longest sleep (≈ 2 s).
//!
//! # Plugging an adapter in
//!
//! Stores: build fresh, empty stores (their own table) and call
//! [`store::run_store_suite`]. The raw inbound log must be empty, because `recent` lists the
//! whole log; keys and wamids are unique per run.
//!
//! ```ignore
//! #[tokio::test]
//! async fn store_suite_on_dynamodb() {
//!     let table = fresh_table().await; // one table per test
//!     conformance::store::run_store_suite(StoreUnderTest {
//!         dedup: Arc::new(table.clone()),
//!         raw: Arc::new(table.clone()),
//!         status: Arc::new(table),
//!     })
//!     .await;
//! }
//! ```
//!
//! Queues: pass a [`queue::run_queue_suite`] factory that, for a `max_receives`
//! (SQS `maxReceiveCount`), creates a new, uniquely named FIFO queue with its own dead-letter
//! queue behind it. It is called once per case, and the cases run at the same time.
//!
//! ```ignore
//! #[tokio::test]
//! async fn queue_suite_on_sqs() {
//!     let env = moto_env().await;
//!     conformance::queue::run_queue_suite(|max_receives| {
//!         let env = env.clone();
//!         async move { Arc::new(env.fresh_fifo_queue(max_receives).await) as Arc<dyn Queue> }
//!     })
//!     .await;
//! }
//! ```
//!
//! Conversation stores (outbox, citizens, sessions, content, operator signals): build them
//! from one fresh store and call [`conversation::run_conversation_suite`]; content and signals
//! must start empty.
//!
//! Complaints: pass one fresh store to [`complaint::run_complaint_suite`]. The cases use their
//! own citizens, OPDs and tickets; the lists that span the whole store (by status, due) are
//! checked on the case's own complaints, so a shared store works too.
//!
//! Operator side (users, audit trail, alert board, settings, `list_complaints`): pass the
//! ports of one fresh store to [`operator::run_operator_suite`]. The cases use their own
//! names, OPDs and ids and check the store-wide lists on their own records.
//!
//! Content revisions: pass one fresh store to
//! [`content_revisions::run_content_revisions_suite`].
//!
//! Citizens' data rights (erasure, tombstones, erasure requests): pass the ports of one fresh
//! store to [`citizen_data::run_citizen_data_suite`].
//!
//! Each case is also a `pub async fn` taking one queue or store, for a backend that wants one
//! `#[tokio::test]` per case.

pub mod broadcast;
pub mod citizen_data;
pub mod complaint;
pub mod content_revisions;
pub mod conversation;
pub mod lapor;
pub mod message_log;
pub mod operator;
pub mod queue;
pub mod stats;
pub mod store;

mod sqlite;
mod sqlite_outbox;
