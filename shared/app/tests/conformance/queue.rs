//! Cases for `Queue`: SQS FIFO semantics with a redrive policy, checked in real time.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::{sleep, Instant};

use prolink_app::ports::{Delivery, OutgoingMessage, Queue};

/// Long enough that nothing times out during a case.
const LONG: Duration = Duration::from_secs(30);
/// The visibility used where a case waits for a timeout.
const SHORT: Duration = Duration::from_secs(2);
/// Upper bound for waiting on something that should happen soon.
const DEADLINE: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(100);

/// `maxReceiveCount` used by the cases that do not test the redrive.
pub const DEFAULT_MAX_RECEIVES: u32 = 5;
/// `maxReceiveCount` used by the redrive case.
pub const REDRIVE_MAX_RECEIVES: u32 = 2;

/// Runs every queue case concurrently. `make_queue(max_receives)` must return a new, empty,
/// uniquely named FIFO queue whose messages go to its dead-letter queue after `max_receives`
/// receives; it is called once per case.
pub async fn run_queue_suite<MakeQueue, QueueFuture>(make_queue: MakeQueue)
where
    MakeQueue: Fn(u32) -> QueueFuture,
    QueueFuture: Future<Output = Arc<dyn Queue>>,
{
    let make = &make_queue;
    tokio::join!(
        async { queue_send_receive_delete(make(DEFAULT_MAX_RECEIVES).await).await },
        async { queue_fifo_dedup(make(DEFAULT_MAX_RECEIVES).await).await },
        async { queue_group_order(make(DEFAULT_MAX_RECEIVES).await).await },
        async { queue_visibility_timeout(make(DEFAULT_MAX_RECEIVES).await).await },
        async { queue_change_visibility_zero(make(DEFAULT_MAX_RECEIVES).await).await },
        async {
            queue_redrive(make(REDRIVE_MAX_RECEIVES).await, REDRIVE_MAX_RECEIVES).await;
        },
        async { queue_batch_of_25(make(DEFAULT_MAX_RECEIVES).await).await },
    );
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

fn message(group_id: &str, body: &str) -> OutgoingMessage {
    OutgoingMessage {
        group_id: group_id.to_owned(),
        dedup_id: unique("dedup"),
        body: body.to_owned(),
    }
}

/// Receives until at least `want` deliveries arrived (a receive may return fewer than are
/// available), failing after `within`.
async fn receive_at_least(
    queue: &dyn Queue,
    want: usize,
    max: usize,
    visibility: Duration,
    within: Duration,
) -> Vec<Delivery> {
    let deadline = Instant::now() + within;
    let mut out = Vec::new();
    loop {
        let got = queue.receive(max, visibility).await.expect("receive");
        let empty = got.is_empty();
        out.extend(got);
        if out.len() >= want {
            return out;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {want} deliveries within {within:?}",
            out.len()
        );
        if empty {
            sleep(POLL).await;
        }
    }
}

/// Receives and deletes until `want` deliveries arrived; returns their bodies in order.
async fn drain_bodies(queue: &dyn Queue, want: usize, max: usize) -> Vec<String> {
    let deadline = Instant::now() + DEADLINE;
    let mut bodies = Vec::new();
    while bodies.len() < want {
        assert!(
            Instant::now() < deadline,
            "only {} of {want} messages drained within {DEADLINE:?}",
            bodies.len()
        );
        let got = queue.receive(max, LONG).await.expect("receive");
        if got.is_empty() {
            sleep(POLL).await;
        }
        for delivery in got {
            queue.delete(&delivery.receipt).await.expect("delete");
            bodies.push(delivery.body);
        }
    }
    bodies
}

async fn assert_nothing_visible(queue: &dyn Queue, why: &str) {
    let got = queue.receive(10, LONG).await.expect("receive");
    assert!(got.is_empty(), "{why}: got {got:?}");
}

/// A message comes back with its fields, stays hidden while in flight, and is gone once
/// deleted. An empty batch is a no-op.
pub async fn queue_send_receive_delete(queue: Arc<dyn Queue>) {
    queue
        .send_batch(&[])
        .await
        .expect("an empty batch is accepted");
    let sent = message(
        "citizen-6281234567890",
        r#"{"kind":"inbound","text":"halo"}"#,
    );
    queue
        .send_batch(std::slice::from_ref(&sent))
        .await
        .expect("send");

    let got = receive_at_least(&*queue, 1, 10, LONG, DEADLINE).await;
    assert_eq!(got.len(), 1, "one message sent, one delivered: {got:?}");
    let delivery = &got[0];
    assert_eq!(delivery.group_id, sent.group_id);
    assert_eq!(delivery.dedup_id, sent.dedup_id);
    assert_eq!(delivery.body, sent.body);
    assert_eq!(delivery.receive_count, 1);
    assert!(!delivery.message_id.is_empty());
    assert!(!delivery.receipt.is_empty());

    assert_nothing_visible(&*queue, "an in-flight message is hidden").await;
    queue.delete(&delivery.receipt).await.expect("delete");
    assert_nothing_visible(&*queue, "a deleted message is gone").await;
}

/// A second message with the same dedup id (in the same batch or a later one) is accepted but
/// not delivered.
pub async fn queue_fifo_dedup(queue: Arc<dyn Queue>) {
    let group = unique("citizen");
    let first = message(&group, "first");
    let copy_in_batch = OutgoingMessage {
        body: "copy in the same batch".into(),
        ..first.clone()
    };
    let other = message(&group, "other");
    queue
        .send_batch(&[first.clone(), copy_in_batch, other])
        .await
        .expect("send with a duplicate");
    let copy_later = OutgoingMessage {
        body: "copy in a later batch".into(),
        ..first
    };
    queue
        .send_batch(&[copy_later])
        .await
        .expect("a duplicate counts as sent");

    assert_eq!(drain_bodies(&*queue, 2, 10).await, ["first", "other"]);
    assert_nothing_visible(&*queue, "duplicates are never delivered").await;
}

/// Interleaved groups: each group's messages come in order, and a group with an undeleted
/// delivery gets nothing more until it is deleted.
pub async fn queue_group_order(queue: Arc<dyn Queue>) {
    const GROUPS: usize = 3;
    const PER_GROUP: usize = 6;
    let prefix = unique("group");
    let group_name = |g: usize| format!("{prefix}-{g}");
    let batch: Vec<_> = (0..PER_GROUP)
        .flat_map(|i| (0..GROUPS).map(move |g| (g, i)))
        .map(|(g, i)| message(&group_name(g), &format!("{g}:{i}")))
        .collect();
    queue.send_batch(&batch).await.expect("send interleaved");

    let deadline = Instant::now() + DEADLINE;
    let mut seen: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut held: Vec<Delivery> = Vec::new();
    let mut total = 0;
    while total < GROUPS * PER_GROUP {
        assert!(
            Instant::now() < deadline,
            "only {total} messages within {DEADLINE:?}"
        );
        let got = queue.receive(4, LONG).await.expect("receive");
        for delivery in &got {
            assert!(
                !held.iter().any(|h| h.group_id == delivery.group_id),
                "group {} delivered again while its previous batch is in flight",
                delivery.group_id
            );
            assert_eq!(delivery.receive_count, 1, "nothing timed out");
            let (g, i) = delivery
                .body
                .split_once(':')
                .and_then(|(g, i)| Some((g.parse().ok()?, i.parse().ok()?)))
                .expect("body written by this case");
            assert_eq!(delivery.group_id, group_name(g));
            seen.entry(g).or_default().push(i);
        }
        total += got.len();
        // Acknowledge the previous batch only now, so every receive runs with groups in flight.
        for delivery in held.drain(..) {
            queue.delete(&delivery.receipt).await.expect("delete");
        }
        if got.is_empty() {
            sleep(POLL).await;
        }
        held = got;
    }
    for delivery in held {
        queue.delete(&delivery.receipt).await.expect("delete");
    }
    let expected: Vec<usize> = (0..PER_GROUP).collect();
    for g in 0..GROUPS {
        assert_eq!(
            seen.get(&g),
            Some(&expected),
            "group {g} delivered in enqueue order, once each"
        );
    }
    assert_nothing_visible(&*queue, "all deleted").await;
}

/// An undeleted delivery comes back after its visibility timeout, counted twice.
pub async fn queue_visibility_timeout(queue: Arc<dyn Queue>) {
    queue
        .send_batch(&[message(&unique("citizen"), "retry me")])
        .await
        .expect("send");
    let before_first_receive = Instant::now();
    let first = receive_at_least(&*queue, 1, 1, SHORT, DEADLINE).await;
    let first = &first[0];
    assert_eq!(first.receive_count, 1);
    assert_nothing_visible(&*queue, "hidden during its visibility timeout").await;

    let again = receive_at_least(&*queue, 1, 10, LONG, DEADLINE).await;
    let waited = before_first_receive.elapsed();
    assert!(
        waited >= SHORT - Duration::from_millis(100),
        "redelivered after {waited:?}, before the {SHORT:?} visibility ended"
    );
    assert_eq!(again.len(), 1, "{again:?}");
    let again = &again[0];
    assert_eq!(again.message_id, first.message_id);
    assert_eq!(again.body, first.body);
    assert_eq!(again.receive_count, 2);
    assert_ne!(
        again.receipt, first.receipt,
        "each delivery has its own receipt"
    );
    queue.delete(&again.receipt).await.expect("delete");
    assert_nothing_visible(&*queue, "deleted with the new receipt").await;
}

/// `change_visibility(0)` makes an in-flight message available at once.
pub async fn queue_change_visibility_zero(queue: Arc<dyn Queue>) {
    queue
        .send_batch(&[message(&unique("citizen"), "give it back")])
        .await
        .expect("send");
    let first = receive_at_least(&*queue, 1, 1, LONG, DEADLINE).await;
    let first = &first[0];
    queue
        .change_visibility(&first.receipt, Duration::ZERO)
        .await
        .expect("change_visibility");
    let again = receive_at_least(&*queue, 1, 1, LONG, Duration::from_secs(3)).await;
    let again = &again[0];
    assert_eq!(again.message_id, first.message_id);
    assert_eq!(again.receive_count, 2);
    queue.delete(&again.receipt).await.expect("delete");
}

/// After `max_receives` receives without a delete, the message goes to the dead-letter queue
/// instead of a further delivery, and stops blocking its group.
pub async fn queue_redrive(queue: Arc<dyn Queue>, max_receives: u32) {
    let group = unique("citizen");
    queue
        .send_batch(&[message(&group, "poison"), message(&group, "next")])
        .await
        .expect("send");
    for attempt in 1..=max_receives {
        let got = receive_at_least(&*queue, 1, 1, LONG, DEADLINE).await;
        assert_eq!(got[0].body, "poison", "the head of the group comes first");
        assert_eq!(got[0].receive_count, attempt);
        queue
            .change_visibility(&got[0].receipt, Duration::ZERO)
            .await
            .expect("change_visibility");
    }
    let got = receive_at_least(&*queue, 1, 1, LONG, DEADLINE).await;
    assert_eq!(got[0].body, "next", "the poison message no longer blocks");
    assert_eq!(got[0].receive_count, 1);

    let deadline = Instant::now() + DEADLINE;
    let dead = loop {
        let dead = queue.dead_letters(10).await.expect("dead_letters");
        if !dead.is_empty() || Instant::now() >= deadline {
            break dead;
        }
        sleep(POLL).await;
    };
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0].body, "poison");
    assert_eq!(dead[0].group_id, group);
    let peeked_again = queue.dead_letters(10).await.expect("dead_letters");
    assert_eq!(
        peeked_again
            .iter()
            .map(|d| d.body.as_str())
            .collect::<Vec<_>>(),
        ["poison"],
        "peeking does not consume dead letters"
    );

    queue.delete(&got[0].receipt).await.expect("delete");
    assert_nothing_visible(&*queue, "poison moved, next deleted").await;
}

/// More messages than one SQS batch call takes (10): all arrive, in order.
pub async fn queue_batch_of_25(queue: Arc<dyn Queue>) {
    let group = unique("broadcast");
    let batch: Vec<_> = (0..25).map(|i| message(&group, &i.to_string())).collect();
    queue.send_batch(&batch).await.expect("send 25");
    let expected: Vec<String> = (0..25).map(|i: i32| i.to_string()).collect();
    assert_eq!(drain_bodies(&*queue, 25, 10).await, expected);
    assert_nothing_visible(&*queue, "all 25 deleted").await;
}
