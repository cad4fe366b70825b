use super::statuses::next_state;
use super::*;

const HOUR: i64 = 3_600_000;

#[test]
fn window_is_open_strictly_less_than_24_hours() {
    let now = 1_800_000_000_000;
    assert_eq!(window(Some(now - 24 * HOUR + 1), now), Window::Open);
    assert_eq!(window(Some(now - 24 * HOUR), now), Window::Closed);
    assert_eq!(window(Some(now - 24 * HOUR - 1), now), Window::Closed);
    assert_eq!(window(Some(now), now), Window::Open);
    assert_eq!(window(Some(now + HOUR), now), Window::Open);
    assert_eq!(window(None, now), Window::Closed);
    assert_eq!(window(Some(i64::MIN), now), Window::Closed);
}

#[test]
fn backoff_grows_by_four_and_jitter_stays_within_bounds() {
    let mut policy = SendPolicy {
        base_backoff: Duration::from_millis(100),
        jitter: 0.0,
        ..SendPolicy::default()
    };
    let exact: Vec<_> = (0..3).map(|n| policy.backoff(n)).collect();
    assert_eq!(exact, [100, 400, 1600].map(Duration::from_millis).to_vec());
    policy.jitter = 0.2;
    for n in 0..3 {
        let nominal = 100.0 * 4f64.powi(n as i32);
        let got = policy.backoff(n).as_secs_f64() * 1000.0;
        assert!(
            got >= nominal * 0.8 - 1e-6 && got <= nominal * 1.2 + 1e-6,
            "{n}: {got}"
        );
    }
    // Absurd retry counts or bases are capped instead of panicking.
    assert!(policy.backoff(40) <= MAX_BACKOFF);
    assert!(policy.backoff(40) >= MAX_BACKOFF.mul_f64(0.8));
    policy.base_backoff = Duration::MAX;
    assert!(policy.backoff(3) <= MAX_BACKOFF);
}

#[test]
fn states_only_move_forward() {
    use OutboxState::*;
    assert_eq!(next_state(Read, Delivered, true), None);
    assert_eq!(next_state(Sent, Read, true), Some(Read));
    assert_eq!(next_state(Pending, Sent, true), Some(Sent));
    assert_eq!(next_state(Sent, Failed, true), Some(Failed));
    assert_eq!(next_state(Delivered, Failed, true), None);
    assert_eq!(next_state(Sent, Failed, false), None);
    assert_eq!(next_state(Failed, Sent, true), None);
    assert_eq!(next_state(Failed, Delivered, true), Some(Delivered));
    assert_eq!(next_state(Undeliverable, Delivered, true), Some(Delivered));
}

#[test]
fn alert_ids_are_per_cause_and_day() {
    let day = 1_800_000_000_000;
    let a = fatal_alert(190, "expired", day);
    let b = fatal_alert(0, "no token", day + 1000);
    let c = fatal_alert(368, "restricted", day);
    assert_eq!(a.id, b.id);
    assert_ne!(a.id, c.id);
    assert_ne!(a.id, fatal_alert(190, "expired", day + DAY_MS).id);
    assert!(a.message.contains("190"));
}
