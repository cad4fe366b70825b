//! The one integration-test binary of the `prolink` crate.

/// A `ComplaintStore` wrapper that interposes on some calls (a racing writer, a lost update)
/// and passes the five queries through to its `inner` store: `complaint_store_passing_queries_to_inner!
/// { Type, <the interposed methods> }`.
macro_rules! complaint_store_passing_queries_to_inner {
    ($store:ty, $($interposed:tt)*) => {
        #[async_trait::async_trait]
        impl prolink_app::ports::ComplaintStore for $store {
            $($interposed)*

            async fn complaints_of_citizen(
                &self,
                key: &str,
                limit: usize,
            ) -> prolink_app::ports::PortResult<Vec<prolink_domain::complaint::Complaint>> {
                self.inner.complaints_of_citizen(key, limit).await
            }

            async fn complaints_by_status(
                &self,
                status: prolink_domain::complaint::Status,
                page: &prolink_app::ports::PageRequest,
            ) -> prolink_app::ports::PortResult<
                prolink_app::ports::Page<prolink_domain::complaint::Complaint>,
            > {
                self.inner.complaints_by_status(status, page).await
            }

            async fn complaints_by_opd(
                &self,
                opd_id: &str,
                page: &prolink_app::ports::PageRequest,
            ) -> prolink_app::ports::PortResult<
                prolink_app::ports::Page<prolink_domain::complaint::Complaint>,
            > {
                self.inner.complaints_by_opd(opd_id, page).await
            }

            async fn list_complaints(
                &self,
                query: &prolink_app::ports::ComplaintQuery,
                page: &prolink_app::ports::PageRequest,
            ) -> prolink_app::ports::PortResult<
                prolink_app::ports::Page<prolink_domain::complaint::Complaint>,
            > {
                self.inner.list_complaints(query, page).await
            }

            async fn complaints_due(
                &self,
                before: i64,
                limit: usize,
            ) -> prolink_app::ports::PortResult<Vec<prolink_domain::complaint::Complaint>> {
                self.inner.complaints_due(before, limit).await
            }
        }
    };
}

mod answering_engine;
mod api;
mod app;
mod auth;
mod aws;
mod broadcast_send;
mod cognito;
mod complaint_changes;
mod complaint_tasks;
mod conformance;
mod content;
mod dialog;
mod fault_suite;
mod fuzz_webhook;
mod graph_client;
mod importing_content;
mod lambda;
mod lapor;
mod log_scan;
mod media;
mod notify;
mod reliability;
mod reliable_sender;
mod rephrase;
mod simulator;
mod sla_ticks;
mod sop_diagram;
mod support;
mod template;
mod whatsapp;
