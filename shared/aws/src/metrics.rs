//! Business metrics for CloudWatch, written as embedded metric format (EMF) JSON lines on
//! standard output: Lambda sends every stdout line to the function's log group, and
//! CloudWatch Logs turns a line with an `_aws.CloudWatchMetrics` block into metric values
//! (no `cloudwatch:PutMetricData` permission, no request on the answering path).
//!
//! The domain and the use cases know nothing of this: the metrics are taken where the events
//! already cross a port, by decorators around the ports the Lambda wiring builds
//! (`lambda.rs`):
//!
//! | metric | taken from |
//! |---|---|
//! | `MessagesIn`, `MessagesOut`, `Answers`, `Fallbacks`, `Handoffs`, `ComplaintsOpened` | [`StatsCounters::add`] when it counted the event (a redelivery counts nothing twice) |
//! | `SlaBreaches` | [`OperatorSignals::raise_alert`] of an `sla_escalation` alert (a target missed) |
//! | `BroadcastsStopped` | [`OperatorSignals::raise_alert`] of a `broadcast.stopped.*` alert |
//! | `SendFailures` | [`OutboxStore::put_outbox`] of a record in a failure state |
//!
//! The template's alarms and dashboard read these names (`tests/validate_template.py`
//! checks that every metric the template reads is one [`METRICS`] lists).

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{json, Map, Value};

use prolink_app::ports::{
    Clock, CounterAdd, DayCounter, OperatorAlert, OperatorSignals, OutboxRecord, OutboxState,
    OutboxStore, PortResult, StatsCounters, UnansweredQuestion,
};
use prolink_app::stats;

/// The CloudWatch namespace of the metrics (the template sets `ProlinkSakti/<stage>`).
pub const NAMESPACE_VARIABLE: &str = "PROLINK_METRICS_NAMESPACE";
pub const DEFAULT_NAMESPACE: &str = "ProlinkSakti";

pub const MESSAGES_IN: &str = "MessagesIn";
pub const MESSAGES_OUT: &str = "MessagesOut";
pub const ANSWERS: &str = "Answers";
pub const FALLBACKS: &str = "Fallbacks";
pub const HANDOFFS: &str = "Handoffs";
pub const COMPLAINTS_OPENED: &str = "ComplaintsOpened";
pub const SLA_BREACHES: &str = "SlaBreaches";
pub const BROADCASTS_STOPPED: &str = "BroadcastsStopped";
pub const SEND_FAILURES: &str = "SendFailures";

/// Every metric this module emits.
pub const METRICS: &[&str] = &[
    MESSAGES_IN,
    MESSAGES_OUT,
    ANSWERS,
    FALLBACKS,
    HANDOFFS,
    COMPLAINTS_OPENED,
    SLA_BREACHES,
    BROADCASTS_STOPPED,
    SEND_FAILURES,
];

/// The statistics counter (its plain, undimensioned name) each counted metric follows.
const COUNTER_METRICS: &[(&str, &str)] = &[
    (stats::MSG_IN, MESSAGES_IN),
    (stats::MSG_OUT, MESSAGES_OUT),
    (stats::ANSWERED, ANSWERS),
    (stats::FALLBACK, FALLBACKS),
    (stats::HANDOFF, HANDOFFS),
    (stats::OPENED, COMPLAINTS_OPENED),
];

/// Where the EMF lines go: standard output on Lambda, a buffer in tests.
pub trait MetricSink: Send + Sync {
    fn write_line(&self, line: &str);
}

/// Standard output, one line per call (stdout's lock keeps concurrent lines whole).
pub struct Stdout;

impl MetricSink for Stdout {
    fn write_line(&self, line: &str) {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        // A metric lost to a closed stdout must not fail the message or the task.
        let _ = writeln!(out, "{line}");
    }
}

/// Writes EMF lines in one namespace, without dimensions (one series per metric and stage).
#[derive(Clone)]
pub struct Emf {
    namespace: String,
    sink: Arc<dyn MetricSink>,
    clock: Arc<dyn Clock>,
}

impl Emf {
    pub fn new(
        namespace: impl Into<String>,
        sink: Arc<dyn MetricSink>,
        clock: Arc<dyn Clock>,
    ) -> Emf {
        Emf {
            namespace: namespace.into(),
            sink,
            clock,
        }
    }

    /// The namespace of [`NAMESPACE_VARIABLE`] (else [`DEFAULT_NAMESPACE`]), on stdout.
    pub fn from_env(clock: Arc<dyn Clock>) -> Emf {
        let namespace = prolink_app::config::env_opt(NAMESPACE_VARIABLE)
            .map(|value| value.trim().to_owned())
            .unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned());
        Emf::new(namespace, Arc::new(Stdout), clock)
    }

    /// The EMF document of `values` (metric name, count) at `at_ms`; `None` when nothing is
    /// left to report (zero values are dropped).
    pub fn document(&self, values: &[(&str, i64)], at_ms: i64) -> Option<Value> {
        let mut merged: Vec<(&str, i64)> = Vec::new();
        for (name, value) in values.iter().filter(|(_, value)| *value != 0) {
            match merged.iter_mut().find(|(known, _)| known == name) {
                Some((_, sum)) => *sum = sum.saturating_add(*value),
                None => merged.push((name, *value)),
            }
        }
        if merged.is_empty() {
            return None;
        }
        let definitions: Vec<Value> = merged
            .iter()
            .map(|(name, _)| json!({ "Name": name, "Unit": "Count" }))
            .collect();
        let mut root = Map::new();
        root.insert(
            "_aws".to_owned(),
            json!({
                "Timestamp": at_ms,
                "CloudWatchMetrics": [{
                    "Namespace": self.namespace,
                    "Dimensions": [[]],
                    "Metrics": definitions,
                }],
            }),
        );
        for (name, value) in merged {
            root.insert(name.to_owned(), json!(value));
        }
        Some(Value::Object(root))
    }

    /// Writes one line for `values` (nothing when they are all zero).
    pub fn record(&self, values: &[(&str, i64)]) {
        if let Some(document) = self.document(values, self.clock.now_ms()) {
            self.sink.write_line(&document.to_string());
        }
    }
}

/// The metrics of one counted statistics event.
pub fn counter_metrics(adds: &[CounterAdd]) -> Vec<(&'static str, i64)> {
    adds.iter()
        .filter_map(|add| {
            COUNTER_METRICS
                .iter()
                .find(|(counter, _)| *counter == add.counter)
                .map(|(_, metric)| (*metric, add.delta))
        })
        .collect()
}

/// The metric an operator alert stands for, if any.
pub fn alert_metric(alert: &OperatorAlert) -> Option<&'static str> {
    if alert.kind == "sla_escalation" {
        Some(SLA_BREACHES)
    } else if alert.kind == "broadcast" && alert.id.starts_with("broadcast.stopped.") {
        Some(BROADCASTS_STOPPED)
    } else {
        None
    }
}

/// [`StatsCounters`] that also emits the counted events' metrics.
pub struct MeteredCounters {
    pub inner: Arc<dyn StatsCounters>,
    pub emf: Emf,
}

#[async_trait]
impl StatsCounters for MeteredCounters {
    async fn add(&self, event_id: &str, adds: &[CounterAdd]) -> PortResult<bool> {
        let counted = self.inner.add(event_id, adds).await?;
        if counted {
            self.emf.record(&counter_metrics(adds));
        }
        Ok(counted)
    }

    async fn read_counters(&self, from_day: &str, to_day: &str) -> PortResult<Vec<DayCounter>> {
        self.inner.read_counters(from_day, to_day).await
    }
}

/// [`OperatorSignals`] that also emits the metric of an SLA breach or a stopped broadcast
/// once the alert is stored.
pub struct MeteredSignals {
    pub inner: Arc<dyn OperatorSignals>,
    pub emf: Emf,
}

#[async_trait]
impl OperatorSignals for MeteredSignals {
    async fn record_unanswered(&self, question: &UnansweredQuestion) -> PortResult<()> {
        self.inner.record_unanswered(question).await
    }

    async fn recent_unanswered(&self, limit: usize) -> PortResult<Vec<UnansweredQuestion>> {
        self.inner.recent_unanswered(limit).await
    }

    async fn raise_alert(&self, alert: &OperatorAlert) -> PortResult<()> {
        self.inner.raise_alert(alert).await?;
        if let Some(metric) = alert_metric(alert) {
            self.emf.record(&[(metric, 1)]);
        }
        Ok(())
    }

    async fn recent_alerts(&self, limit: usize) -> PortResult<Vec<OperatorAlert>> {
        self.inner.recent_alerts(limit).await
    }
}

/// [`OutboxStore`] that also counts a message recorded as failed or undeliverable.
pub struct MeteredOutbox {
    pub inner: Arc<dyn OutboxStore>,
    pub emf: Emf,
}

#[async_trait]
impl OutboxStore for MeteredOutbox {
    async fn create_outbox(&self, record: &OutboxRecord) -> PortResult<bool> {
        self.inner.create_outbox(record).await
    }

    async fn get_outbox(&self, outbox_id: &str) -> PortResult<Option<OutboxRecord>> {
        self.inner.get_outbox(outbox_id).await
    }

    async fn put_outbox(&self, record: &OutboxRecord) -> PortResult<()> {
        self.inner.put_outbox(record).await?;
        if matches!(
            record.state,
            OutboxState::Failed | OutboxState::Undeliverable
        ) {
            self.emf.record(&[(SEND_FAILURES, 1)]);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use prolink_app::ports::PortError;

    #[derive(Default)]
    struct Lines(Mutex<Vec<String>>);

    impl MetricSink for Lines {
        fn write_line(&self, line: &str) {
            self.0.lock().unwrap().push(line.to_owned());
        }
    }

    impl Lines {
        fn taken(&self) -> Vec<Value> {
            self.0
                .lock()
                .unwrap()
                .drain(..)
                .map(|line| {
                    assert!(!line.contains('\n'), "one line per document: {line}");
                    serde_json::from_str(&line).expect("each line is JSON")
                })
                .collect()
        }
    }

    struct FixedClock(i64);

    impl Clock for FixedClock {
        fn now_ms(&self) -> i64 {
            self.0
        }
    }

    fn emf(lines: &Arc<Lines>) -> Emf {
        Emf::new(
            "ProlinkSakti/test",
            lines.clone(),
            Arc::new(FixedClock(1_770_000_000_000)),
        )
    }

    fn add(counter: &str, delta: i64) -> CounterAdd {
        CounterAdd {
            day: "2026-02-02".to_owned(),
            counter: counter.to_owned(),
            delta,
        }
    }

    /// Counts events; the second add of one event id is a redelivery.
    #[derive(Default)]
    struct Counters(Mutex<Vec<String>>);

    #[async_trait]
    impl StatsCounters for Counters {
        async fn add(&self, event_id: &str, _adds: &[CounterAdd]) -> PortResult<bool> {
            let mut seen = self.0.lock().unwrap();
            if event_id == "broken" {
                return Err(PortError::Backend("throttled".into()));
            }
            if seen.iter().any(|id| id == event_id) {
                return Ok(false);
            }
            seen.push(event_id.to_owned());
            Ok(true)
        }

        async fn read_counters(&self, _: &str, _: &str) -> PortResult<Vec<DayCounter>> {
            Ok(Vec::new())
        }
    }

    #[test]
    fn a_document_follows_the_embedded_metric_format() {
        let lines = Arc::new(Lines::default());
        let document = emf(&lines)
            .document(
                &[
                    (MESSAGES_IN, 1),
                    (ANSWERS, 1),
                    (MESSAGES_IN, 2),
                    (FALLBACKS, 0),
                ],
                42,
            )
            .expect("values");
        assert_eq!(
            document,
            json!({
                "_aws": {
                    "Timestamp": 42,
                    "CloudWatchMetrics": [{
                        "Namespace": "ProlinkSakti/test",
                        "Dimensions": [[]],
                        "Metrics": [
                            {"Name": "MessagesIn", "Unit": "Count"},
                            {"Name": "Answers", "Unit": "Count"},
                        ],
                    }],
                },
                "MessagesIn": 3,
                "Answers": 1,
            })
        );
        assert_eq!(emf(&lines).document(&[(FALLBACKS, 0)], 42), None);
    }

    #[tokio::test]
    async fn counted_events_emit_their_metrics_once() {
        let lines = Arc::new(Lines::default());
        let counters = MeteredCounters {
            inner: Arc::new(Counters::default()),
            emf: emf(&lines),
        };
        let adds = [
            add(stats::MSG_IN, 1),
            add(stats::MSG_TEXT, 1),
            add(stats::FALLBACK, 1),
            add(&format!("{}#cat#jalan", stats::OPENED), 1),
        ];
        assert!(counters.add("in.wamid.1", &adds).await.unwrap());
        // Meta's duplicate delivery: not counted, no metric.
        assert!(!counters.add("in.wamid.1", &adds).await.unwrap());
        assert!(counters.add("broken", &adds).await.is_err());
        let documents = lines.taken();
        assert_eq!(documents.len(), 1, "{documents:?}");
        assert_eq!(documents[0]["MessagesIn"], json!(1));
        assert_eq!(documents[0]["Fallbacks"], json!(1));
        // Dimensioned counters (per category …) are not metrics; msg_text has none.
        assert!(documents[0].get("ComplaintsOpened").is_none());
        assert_eq!(
            documents[0]["_aws"]["CloudWatchMetrics"][0]["Metrics"]
                .as_array()
                .map(Vec::len),
            Some(2)
        );
        // An event with no metric writes nothing.
        assert!(counters.add("x", &[add(stats::MSG_MENU, 1)]).await.unwrap());
        assert!(lines.taken().is_empty());
    }

    #[test]
    fn alerts_name_their_metric() {
        let alert = |id: &str, kind: &str| OperatorAlert {
            id: id.to_owned(),
            kind: kind.to_owned(),
            message: String::new(),
            citizen_key: None,
            raised_ms: 0,
            opd_id: None,
        };
        assert_eq!(
            alert_metric(&alert("PS-1.esc1", "sla_escalation")),
            Some(SLA_BREACHES)
        );
        assert_eq!(alert_metric(&alert("PS-1.r50", "sla_reminder")), None);
        assert_eq!(
            alert_metric(&alert("broadcast.stopped.b1", "broadcast")),
            Some(BROADCASTS_STOPPED)
        );
        assert_eq!(
            alert_metric(&alert("broadcast.paused.b1", "broadcast")),
            None
        );
    }

    #[test]
    fn every_metric_is_listed_once() {
        let mut names: Vec<&str> = METRICS.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), METRICS.len());
        for (_, metric) in COUNTER_METRICS {
            assert!(METRICS.contains(metric), "{metric}");
        }
    }
}
