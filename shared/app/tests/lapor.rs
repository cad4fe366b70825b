//! The SP4N-LAPOR! outbox against the local mock LAPOR server (`support::lapor_mock`): a new
//! complaint of a forwarding category gets its task, the tick posts it once (a duplicate
//! create, a lost answer and a retry never make a second report), backs off through an
//! outage, parks with an alert after the last attempt, refuses nothing on a slow or malformed
//! answer but retries, and pulls LAPOR's status back where our lifecycle allows.

use std::sync::Arc;
use std::time::Duration;

use prolink_app::content_import::{embedded_seed, import_bundle};
use prolink_app::lapor::{self, LaporSettings, LaporSync};
use prolink_app::lapor_http::{HttpLaporGateway, LaporMapping};
use prolink_app::ports::{
    Clock, ComplaintStore, LaporStore, LaporTaskState, OperatorSignals, StaticLaporToken,
};
use prolink_domain::complaint::{
    self, ticket_for, Actor, Change, Complaint, Privacy, Rules, Sla, Status, Submission,
};
use prolink_domain::content::ContentBundle;

use crate::support::lapor_mock::{Behaviour, LaporMock};
use crate::support::{wib, ManualClock, TestApp};

const TOKEN: &str = "token-lapor-uji";

struct Rig {
    app: TestApp,
    clock: Arc<ManualClock>,
    content: ContentBundle,
    mock: LaporMock,
    sync: LaporSync,
}

impl Rig {
    async fn new() -> Rig {
        let clock = ManualClock::at(wib(2026, 12, 7, 9, 0));
        let app = TestApp::builder().clock(clock.clone()).build();
        let content = embedded_seed().expect("embedded seed");
        import_bundle(app.app.store.as_ref(), &content)
            .await
            .expect("seed imported");
        let mock = LaporMock::start().await;
        let mut mapping = LaporMapping::builtin();
        // Slow answers are tested against this, not against ten seconds.
        mapping.timeout_ms = 400;
        let gateway = HttpLaporGateway::new(
            &mock.base_url,
            mapping,
            Arc::new(StaticLaporToken(Some(TOKEN.into()))),
        );
        let sync = LaporSync {
            store: app.app.store.clone(),
            gateway: Arc::new(gateway),
            complaints: app.app.store.clone(),
            content: Arc::new(prolink_app::content_cache::ContentSource::new(
                app.app.store.clone(),
                Duration::ZERO,
            )),
            tasks: app.app.api.tasks.clone(),
            signals: app.app.store.clone(),
            clock: clock.clone(),
            settings: LaporSettings {
                max_attempts: 3,
                ..Default::default()
            },
        };
        Rig {
            app,
            clock,
            content,
            mock,
            sync,
        }
    }

    async fn submit(&self, seed: &str, privacy: Privacy) -> Complaint {
        let category = self.content.category("jalan-rusak").expect("seed category");
        let rules = Rules {
            sla: Sla::from(category),
            holidays: &self.content.holidays,
        };
        let submitted = complaint::submit(
            Submission {
                ticket: ticket_for(seed, 0),
                citizen_key: "6281234500001".into(),
                reporter_name: Some("Siti Pelapor".into()),
                category_id: category.id.clone(),
                opd_id: category.opd_id.clone(),
                description: "Jalan berlubang besar di depan pasar.".into(),
                location: None,
                photos: Vec::new(),
                privacy,
                source_wamid: format!("wamid.{seed}"),
                at_ms: self.clock.now_ms(),
            },
            &rules,
        );
        let store = &self.app.app.store;
        assert_eq!(
            store.create_complaint(&submitted).await.expect("create"),
            None
        );
        self.complaint(&submitted.ticket).await
    }

    async fn complaint(&self, ticket: &str) -> Complaint {
        self.app
            .app
            .store
            .get_complaint(ticket)
            .await
            .expect("get")
            .expect("stored")
    }

    async fn enqueue(&self, complaint: &Complaint) {
        lapor::ensure_task(
            self.app.app.store.as_ref(),
            complaint,
            lapor::BY_CATEGORY,
            self.clock.now_ms(),
        )
        .await
        .expect("task");
    }

    async fn tick(&self) -> prolink_app::lapor::LaporTickReport {
        self.sync.tick(Duration::from_secs(30)).await.expect("tick")
    }

    async fn task(&self, ticket: &str) -> prolink_app::ports::LaporTask {
        self.app
            .app
            .store
            .get_lapor_task(ticket)
            .await
            .expect("get")
            .expect("task")
    }

    /// The operator moves the complaint (as the API does).
    async fn operator_moves(&self, complaint: &Complaint, to: Status) -> Complaint {
        let rules = Rules::for_category(&self.content, &complaint.category_id);
        let changed = complaint::apply(
            complaint,
            Change {
                event_id: format!("op.{}.{}", complaint.ticket, to.as_str()),
                at_ms: self.clock.now_ms(),
                actor: Actor::operator("ani"),
                to,
                public_note: (to == Status::Selesai).then(|| "Sudah ditambal.".into()),
                internal_note: None,
            },
            &rules,
        )
        .expect("move");
        self.app
            .app
            .store
            .update_complaint(&changed)
            .await
            .expect("write");
        self.complaint(&complaint.ticket).await
    }
}

#[tokio::test]
async fn a_forwarding_category_gets_one_report_with_its_id_on_the_timeline() {
    let rig = Rig::new().await;
    let complaint = rig.submit("lapor-create", Privacy::Biasa).await;
    // The complaint worker makes the task for a category with `forward_to_lapor`.
    let worker = rig.app.complaint_worker_at(rig.clock.now_ms());
    let task = prolink_app::tasks::Task::ComplaintSubmitted {
        ticket: complaint.ticket.clone(),
    };
    let outcome = worker
        .process_batch(&[prolink_app::complaint_worker::TaskItem {
            message_id: "m1".into(),
            body: serde_json::to_string(&task).expect("json"),
            receive_count: 1,
        }])
        .await;
    assert_eq!(outcome.len(), 1);
    assert_eq!(
        rig.task(&complaint.ticket).await.state,
        LaporTaskState::Pending
    );

    let report = rig.tick().await;
    assert_eq!((report.examined, report.linked), (1, 1), "{report:?}");
    let task = rig.task(&complaint.ticket).await;
    assert_eq!(task.state, LaporTaskState::Linked);
    let id = task.lapor_id.clone().expect("id");
    {
        let mock = rig.mock.lock();
        assert_eq!(mock.creates, 1);
        assert_eq!(
            mock.authorization.as_deref(),
            Some("Bearer token-lapor-uji")
        );
        let body = &mock.bodies[&id];
        // Field names of the mapping, LAPOR's order of values, identity for a plain report.
        assert_eq!(body["klasifikasi"], "Pengaduan");
        assert_eq!(body["anonim"], false);
        assert_eq!(body["nama_pelapor"], "Siti Pelapor");
        assert_eq!(body["telepon_pelapor"], "6281234500001");
        assert_eq!(body["referensi"], complaint.ticket.as_str());
        assert_eq!(body["idempotency_key"], task.idempotency_key.as_str());
    }
    let stored = rig.complaint(&complaint.ticket).await;
    assert_eq!(
        prolink_domain::lapor::tracking_id(&stored),
        Some(id.as_str())
    );

    // Nothing due until the next pull; a forced second create is the same report.
    rig.clock.advance(Duration::from_secs(60));
    assert_eq!(rig.tick().await.examined, 0);
    let again = rig
        .sync
        .gateway
        .create(&prolink_app::ports::LaporSubmission {
            idempotency_key: task.idempotency_key.clone(),
            ticket: complaint.ticket.clone(),
            form: lapor::form_of(&stored, &rig.content, "Pemerintah Kota Probolinggo"),
            reporter: None,
        })
        .await
        .expect("duplicate create");
    assert_eq!(again, id, "a duplicate create answers the same report");
    assert_eq!(rig.mock.lock().by_key.len(), 1, "one report at LAPOR");
}

#[tokio::test]
async fn anonymous_and_confidential_choices_carry_over_without_identity() {
    let rig = Rig::new().await;
    for (seed, privacy, anonim, rahasia) in [
        ("lapor-anon", Privacy::Anonim, true, false),
        ("lapor-secret", Privacy::Rahasia, true, true),
    ] {
        let complaint = rig.submit(seed, privacy).await;
        rig.enqueue(&complaint).await;
        rig.tick().await;
        let id = rig.task(&complaint.ticket).await.lapor_id.expect("linked");
        let mock = rig.mock.lock();
        let body = &mock.bodies[&id];
        assert_eq!(body["anonim"], anonim, "{seed}");
        assert_eq!(body["rahasia"], rahasia, "{seed}");
        let text = body.to_string();
        assert!(!text.contains("Siti"), "{seed}: no name in {text}");
        assert!(
            !text.contains("6281234500001"),
            "{seed}: no number in {text}"
        );
    }
}

#[tokio::test]
async fn an_outage_backs_off_then_parks_with_an_alert() {
    let rig = Rig::new().await;
    let complaint = rig.submit("lapor-outage", Privacy::Biasa).await;
    rig.enqueue(&complaint).await;
    rig.mock.set(Behaviour::Outage);

    let first = rig.tick().await;
    assert_eq!(first.failed, 1);
    let task = rig.task(&complaint.ticket).await;
    assert_eq!((task.state, task.attempts), (LaporTaskState::Pending, 1));
    assert_eq!(task.next_run_ms, Some(rig.clock.now_ms() + 60_000));
    // Not due before its backoff.
    rig.clock.advance(Duration::from_secs(30));
    assert_eq!(rig.tick().await.examined, 0);
    rig.clock.advance(Duration::from_secs(30));
    rig.tick().await;
    let task = rig.task(&complaint.ticket).await;
    assert_eq!(task.attempts, 2);
    assert_eq!(task.next_run_ms, Some(rig.clock.now_ms() + 120_000));
    rig.clock.advance(Duration::from_secs(120));
    let last = rig.tick().await;
    assert_eq!(last.parked, 1);
    let task = rig.task(&complaint.ticket).await;
    assert_eq!(
        (task.state, task.next_run_ms),
        (LaporTaskState::Parked, None)
    );
    assert!(task.last_error.as_deref().unwrap_or("").contains("503"));
    let alerts = rig.app.app.store.recent_alerts(20).await.expect("alerts");
    assert!(
        alerts
            .iter()
            .any(|a| a.kind == "lapor_parked" && a.message.contains(&complaint.ticket)),
        "{alerts:?}"
    );
    // Parked: the tick leaves it alone; an operator's retry brings it back and it goes out.
    rig.mock.set(Behaviour::Normal);
    rig.clock.advance(Duration::from_secs(3600));
    assert_eq!(rig.tick().await.examined, 0);
    let mut task = rig.task(&complaint.ticket).await;
    lapor::requeue(&mut task, rig.clock.now_ms());
    rig.app
        .app
        .store
        .put_lapor_task(&task)
        .await
        .expect("requeue");
    assert_eq!(rig.tick().await.linked, 1);
    assert_eq!(rig.mock.lock().by_key.len(), 1);
}

#[tokio::test]
async fn a_lost_answer_is_found_by_its_key_not_made_twice() {
    let rig = Rig::new().await;
    let complaint = rig.submit("lapor-garbled", Privacy::Biasa).await;
    rig.enqueue(&complaint).await;
    rig.mock.set(Behaviour::CreatesThenGarbles);
    let first = rig.tick().await;
    assert_eq!(first.failed, 1, "{first:?}");
    assert_eq!(rig.task(&complaint.ticket).await.lapor_id, None);
    assert_eq!(rig.mock.lock().by_key.len(), 1, "LAPOR made it anyway");

    rig.mock.set(Behaviour::Normal);
    rig.clock.advance(Duration::from_secs(60));
    let second = rig.tick().await;
    assert_eq!(second.linked, 1);
    let (creates, lookups, made) = {
        let mock = rig.mock.lock();
        (
            mock.creates,
            mock.lookups,
            mock.by_key.values().next().cloned(),
        )
    };
    assert_eq!(creates, 1, "the retry looked the key up instead of posting");
    assert_eq!(lookups, 1);
    assert_eq!(rig.task(&complaint.ticket).await.lapor_id, made);
}

#[tokio::test]
async fn malformed_and_slow_answers_are_retried_not_trusted() {
    let rig = Rig::new().await;
    let complaint = rig.submit("lapor-slow", Privacy::Biasa).await;
    rig.enqueue(&complaint).await;

    rig.mock.set(Behaviour::Malformed);
    assert_eq!(rig.tick().await.failed, 1);
    let task = rig.task(&complaint.ticket).await;
    assert_eq!((task.state, task.attempts), (LaporTaskState::Pending, 1));
    assert!(task
        .last_error
        .as_deref()
        .unwrap_or("")
        .contains("tidak dapat dibaca"));

    rig.mock.set(Behaviour::Slow(Duration::from_millis(1500)));
    rig.clock.advance(Duration::from_secs(60));
    let started = std::time::Instant::now();
    assert_eq!(rig.tick().await.failed, 1);
    assert!(
        started.elapsed() < Duration::from_millis(1400),
        "the client gave up at its timeout"
    );
    let task = rig.task(&complaint.ticket).await;
    assert_eq!(task.attempts, 2);
    assert!(task
        .last_error
        .as_deref()
        .unwrap_or("")
        .contains("waktu tunggu"));
}

#[tokio::test]
async fn a_refusal_parks_at_once() {
    let rig = Rig::new().await;
    let complaint = rig.submit("lapor-refused", Privacy::Biasa).await;
    rig.enqueue(&complaint).await;
    rig.mock.set(Behaviour::Refuses);
    let report = rig.tick().await;
    assert_eq!((report.failed, report.parked), (1, 1));
    assert_eq!(
        rig.task(&complaint.ticket).await.state,
        LaporTaskState::Parked
    );
}

#[tokio::test]
async fn lapor_status_moves_ours_only_forward_else_a_note() {
    let rig = Rig::new().await;
    let complaint = rig.submit("lapor-status", Privacy::Biasa).await;
    rig.enqueue(&complaint).await;
    rig.tick().await;
    let id = rig.task(&complaint.ticket).await.lapor_id.expect("linked");

    // LAPOR says selesai while ours is only diterima: a note, no move.
    rig.mock
        .set_status(&id, "Selesai", Some("Sudah ditangani dinas."));
    rig.clock.advance(Duration::from_secs(3600));
    let report = rig.tick().await;
    assert_eq!((report.pulled, report.moved, report.notes), (1, 0, 1));
    let stored = rig.complaint(&complaint.ticket).await;
    assert_eq!(stored.status, Status::Diterima);
    let note = stored.events.last().expect("note");
    assert!(note.public_note.is_none());
    assert!(note
        .internal_note
        .as_deref()
        .unwrap_or("")
        .contains("Selesai"));
    // The same status again adds nothing.
    rig.clock.advance(Duration::from_secs(3600));
    let again = rig.tick().await;
    assert_eq!((again.pulled, again.notes), (1, 0));
    assert_eq!(
        rig.complaint(&complaint.ticket).await.events.len(),
        stored.events.len()
    );

    // Ours reaches diproses; LAPOR's proses then selesai move it to selesai.
    let forwarded = rig.operator_moves(&stored, Status::Diteruskan).await;
    let processing = rig.operator_moves(&forwarded, Status::Diproses).await;
    rig.mock.set_status(&id, "Proses", None);
    rig.clock.advance(Duration::from_secs(3600));
    rig.tick().await;
    rig.mock
        .set_status(&id, "Selesai", Some("Lubang sudah ditambal."));
    rig.clock.advance(Duration::from_secs(3600));
    let moved = rig.tick().await;
    assert_eq!(moved.moved, 1, "{moved:?}");
    let done = rig.complaint(&complaint.ticket).await;
    assert_eq!(done.status, Status::Selesai);
    assert!(done.events.len() > processing.events.len());
    let last = done.events.last().expect("event");
    assert_eq!(last.public_note.as_deref(), Some("Lubang sudah ditambal."));
    assert_eq!(
        rig.task(&complaint.ticket).await.remote_status,
        Some(prolink_domain::lapor::RemoteStatus::Selesai)
    );

    // Never backwards: LAPOR's proses after ours is selesai is a note.
    rig.mock.set_status(&id, "Proses", None);
    rig.clock.advance(Duration::from_secs(3600));
    let back = rig.tick().await;
    assert_eq!((back.moved, back.notes), (0, 1));
    assert_eq!(
        rig.complaint(&complaint.ticket).await.status,
        Status::Selesai
    );
}

#[tokio::test]
async fn a_withdrawn_complaint_is_not_sent() {
    let rig = Rig::new().await;
    let complaint = rig.submit("lapor-withdrawn", Privacy::Biasa).await;
    rig.enqueue(&complaint).await;
    let rules = Rules::for_category(&rig.content, &complaint.category_id);
    let withdrawn = complaint::apply(
        &complaint,
        Change {
            event_id: "withdraw".into(),
            at_ms: rig.clock.now_ms(),
            actor: Actor::citizen(&complaint.citizen_key),
            to: Status::Dicabut,
            public_note: None,
            internal_note: None,
        },
        &rules,
    )
    .expect("withdraw");
    rig.app
        .app
        .store
        .update_complaint(&withdrawn)
        .await
        .expect("write");
    rig.tick().await;
    assert_eq!(rig.mock.lock().creates, 0);
    let task = rig.task(&complaint.ticket).await;
    assert_eq!(task.next_run_ms, None);
    assert_eq!(task.state, LaporTaskState::Pending);
}

#[test]
fn the_built_in_mapping_is_valid_and_bad_ones_are_refused() {
    let mapping = LaporMapping::builtin();
    assert_eq!(mapping.instansi, "Pemerintah Kota Probolinggo");
    for (broken, why) in [
        (
            prolink_app::lapor_http::DEFAULT_MAPPING.replace("{key}", "key"),
            "find_path",
        ),
        (
            prolink_app::lapor_http::DEFAULT_MAPPING
                .replace("\"judul\": \"judul\"", "\"judulx\": \"judul\""),
            "unknown field",
        ),
        ("{}".to_string(), "missing field"),
    ] {
        let error = LaporMapping::parse(&broken).expect_err(why);
        assert!(error.contains(why), "{error}");
    }
}
