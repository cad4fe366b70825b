//! The optional generative step: the Bedrock adapter against a local stand-in for the runtime
//! endpoint, the dialog's rephrase marker, and the dialog worker with a fake model.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use async_trait::async_trait;
use aws_sdk_bedrockruntime::config::{
    BehaviorVersion, Builder as BedrockConfig, Credentials, Region,
};
use serde_json::{json, Value};
use wiremock::{
    matchers::{method, path_regex},
    Mock, MockServer, ResponseTemplate,
};

use prolink_app::ports::Answerer;
use prolink_app::ports::CitizenProfile;
use prolink_app::ports::Rephraser;
use prolink_aws::bedrock::BedrockRephraser;
use prolink_domain::{
    content::{ContentBundle, Faq, RowTarget},
    dialog::{
        handle_message, AnswerKind, Answered, Decision, DialogEnv, Reply, Session, Turn,
        MAX_EXTRA_PASSAGES,
    },
    nlp::{
        rephrase::{rephrased_message, RephraseError, Rephrased, SourcePassage, SUMMARY_NOTE},
        text::mask_pii,
        Engine, KnowledgeBase,
    },
};
use prolink_whatsapp::webhook::{InboundMessage, MessageContent, TemplateButton};

use crate::support::seed;
use crate::{
    app::{interactive_payload, text_payload},
    dialog::{citizen, list_tap as list_pick, message, text as typed},
    support::TestApp,
};

// ---------------------------------------------------------------------------------------------
// The Bedrock adapter
// ---------------------------------------------------------------------------------------------

const MODEL: &str = "apac.anthropic.claude-3-haiku-20240307-v1:0";

fn passages() -> Vec<SourcePassage> {
    vec![
        SourcePassage {
            id: "layanan.ktp-baru".to_string(),
            text: "Syarat KTP baru: fotokopi KK dan surat pengantar kelurahan.".to_string(),
        },
        SourcePassage {
            id: "layanan.kk-baru".to_string(),
            text: "KK baru diurus di Dispendukcapil, gratis.".to_string(),
        },
    ]
}

fn bedrock(server: &MockServer, timeout: Duration) -> BedrockRephraser {
    let config = BedrockConfig::new()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("ap-southeast-3"))
        .endpoint_url(server.uri())
        .credentials_provider(Credentials::new("AKIDTEST", "secret", None, None, "test"));
    BedrockRephraser::with_config(config, MODEL, timeout)
}

/// A Converse response in the service's wire shape.
fn converse_reply(text: &str, stop_reason: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header("content-type", "application/json")
        .set_body_json(json!({
            "output": { "message": { "role": "assistant", "content": [{ "text": text }] } },
            "stopReason": stop_reason,
            "usage": { "inputTokens": 120, "outputTokens": 30, "totalTokens": 150 },
            "metrics": { "latencyMs": 420 }
        }))
}

async fn server_answering(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path_regex(r"^/model/[^/]+/converse$"))
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn converse_request_carries_the_prompt_and_a_cited_reply_is_parsed() {
    let server = server_answering(converse_reply(
        "Bawa fotokopi KK dan surat pengantar kelurahan.\nSUMBER: layanan.ktp-baru",
        "end_turn",
    ))
    .await;
    let model = bedrock(&server, Duration::from_secs(5));
    let question = "syarat bikin ktp apa saja? [NOMOR]";

    let out = model.rephrase(question, &passages()).await;

    assert_eq!(
        out,
        Ok(Rephrased {
            text: "Bawa fotokopi KK dan surat pengantar kelurahan.".to_string(),
            cited: vec!["layanan.ktp-baru".to_string()],
        })
    );
    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), 1, "one call, no retry");
    let request = &requests[0];
    assert_eq!(request.method.as_str(), "POST");
    // The model id is a path label: its `:` is percent-encoded on the wire.
    assert_eq!(
        request.url.path(),
        "/model/apac.anthropic.claude-3-haiku-20240307-v1%3A0/converse"
    );
    let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    let system = body["system"][0]["text"].as_str().unwrap_or_default();
    assert!(system.contains("SUMBER"), "system prompt: {system}");
    assert_eq!(body["messages"].as_array().map(Vec::len), Some(1));
    assert_eq!(body["messages"][0]["role"], "user");
    let user = body["messages"][0]["content"][0]["text"]
        .as_str()
        .unwrap_or_default();
    for p in passages() {
        assert!(user.contains(&format!("[{}]", p.id)), "user text: {user}");
        assert!(user.contains(&p.text), "user text: {user}");
    }
    assert!(user.contains(question), "user text: {user}");
    assert_eq!(body["inferenceConfig"]["temperature"].as_f64(), Some(0.0));
    assert_eq!(body["inferenceConfig"]["maxTokens"].as_i64(), Some(400));
    // Signed like any AWS call, for the configured Region.
    let authorization = request
        .headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        authorization.contains("/ap-southeast-3/bedrock/aws4_request"),
        "{authorization}"
    );
}

#[tokio::test]
async fn a_reply_without_sources_or_cut_short_is_malformed() {
    for (text, stop_reason) in [
        ("Bawa fotokopi KK.", "end_turn"),
        ("TIDAK TAHU", "end_turn"),
        ("Bawa fotokopi KK dan", "max_tokens"),
    ] {
        let server = server_answering(converse_reply(text, stop_reason)).await;
        let out = bedrock(&server, Duration::from_secs(5))
            .rephrase("syarat ktp", &passages())
            .await;
        assert!(
            matches!(out, Err(RephraseError::Malformed(_))),
            "{text:?} / {stop_reason}: {out:?}"
        );
    }
}

#[tokio::test]
async fn service_errors_and_throttling_are_unavailable_without_retry() {
    let cases = [
        ResponseTemplate::new(500)
            .insert_header("x-amzn-errortype", "InternalServerException")
            .set_body_json(json!({ "message": "internal error" })),
        ResponseTemplate::new(429)
            .insert_header("x-amzn-errortype", "ThrottlingException")
            .set_body_json(json!({ "message": "Too many requests" })),
        ResponseTemplate::new(503).set_body_string("no json at all"),
    ];
    for response in cases {
        let server = server_answering(response).await;
        let out = bedrock(&server, Duration::from_secs(5))
            .rephrase("syarat ktp", &passages())
            .await;
        assert!(matches!(out, Err(RephraseError::Unavailable(_))), "{out:?}");
        let calls = server.received_requests().await.unwrap_or_default().len();
        assert_eq!(calls, 1, "the citizen is waiting: no retry");
    }
}

#[tokio::test]
async fn a_slow_model_is_unavailable_after_the_timeout() {
    let server = server_answering(
        converse_reply("Bawa KK.\nSUMBER: layanan.ktp-baru", "end_turn")
            .set_delay(Duration::from_secs(3)),
    )
    .await;
    let started = Instant::now();
    let out = bedrock(&server, Duration::from_millis(200))
        .rephrase("syarat ktp", &passages())
        .await;
    assert!(matches!(out, Err(RephraseError::Unavailable(_))), "{out:?}");
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "gave up after {:?}",
        started.elapsed()
    );
}

// ---------------------------------------------------------------------------------------------
// The dialog's marker
// ---------------------------------------------------------------------------------------------

fn turn(bundle: &ContentBundle, answerer: &dyn Answerer, message: &InboundMessage) -> Turn {
    let inbound = prolink_app::dialog_input::dialog_inbound(message);
    let answered = prolink_app::dialog_input::answer_inbound(answerer, &inbound);
    let env = DialogEnv {
        content: bundle,
        answered: answered.as_ref(),
        now_ms: 1_796_000_000_000,
        show_unverified: true,
        complaints: &[],
        related: &[],
        ticket_attempt: 0,
        retention_days: 90,
    };
    let profile = CitizenProfile {
        key: "6281234567890".into(),
        ..CitizenProfile::default()
    };
    handle_message(&env, Session::default(), profile, &citizen(), &inbound)
}

struct Fixed(Answered);

impl Answerer for Fixed {
    fn answer(&self, _text: &str) -> Answered {
        self.0.clone()
    }
}

fn answer(kind: AnswerKind, id: &str, alternatives: &[&str]) -> Fixed {
    Fixed(Answered {
        kind,
        id: Some(id.to_string()),
        score: 0.9,
        alternatives: alternatives.iter().map(|a| (*a).to_string()).collect(),
        alternative_scores: Vec::new(),
        decision: Decision::Answer,
    })
}

fn verified_faqs(bundle: &ContentBundle) -> Vec<&Faq> {
    bundle
        .faqs
        .iter()
        .filter(|f| f.verified && f.category != "darurat")
        .collect()
}

fn passage(faq: &Faq) -> SourcePassage {
    SourcePassage {
        id: faq.id.clone(),
        text: faq.answer.clone(),
    }
}

#[test]
fn a_typed_question_answered_by_a_verified_faq_is_a_candidate_with_masked_question() {
    let bundle = seed();
    let verified = verified_faqs(&bundle);
    assert!(verified.len() >= 5, "the seed has verified entries");
    let unverified = bundle
        .faqs
        .iter()
        .find(|f| !f.verified)
        .map(|f| f.id.as_str());
    let darurat = bundle
        .faqs
        .iter()
        .find(|f| f.category == "darurat")
        .map(|f| f.id.as_str());
    let service = bundle.services.first().map(|s| s.id.as_str());
    // Ineligible alternatives are skipped, the chosen entry is not repeated, and at most
    // MAX_EXTRA_PASSAGES runners-up follow it.
    let alternatives: Vec<&str> = [Some(verified[0].id.as_str()), unverified, darurat, service]
        .into_iter()
        .flatten()
        .chain(verified[1..5].iter().map(|f| f.id.as_str()))
        .collect();
    let answerer = answer(AnswerKind::Faq, &verified[0].id, &alternatives);
    let question = "syaratnya apa ya? nomor saya 081234567890, NIK 3574012345678901";

    let turn = turn(&bundle, &answerer, &typed(question));

    assert_eq!(turn.replies, vec![Reply::Text(verified[0].answer.clone())]);
    let candidate = turn.rephrase.expect("a typed FAQ answer is a candidate");
    assert_eq!(candidate.reply, 0);
    assert_eq!(candidate.question_masked, mask_pii(question));
    assert!(!candidate.question_masked.contains("081234567890"));
    assert!(!candidate.question_masked.contains("3574012345678901"));
    let mut expected = vec![passage(verified[0])];
    expected.extend(verified[1..=MAX_EXTRA_PASSAGES].iter().map(|f| passage(f)));
    assert_eq!(candidate.passages, expected);
}

#[test]
fn picks_services_emergencies_and_unverified_or_emergency_entries_are_never_candidates() {
    let bundle = seed();
    let faq = verified_faqs(&bundle)[0].clone();
    // The same entry picked from a list ("Apakah maksud Anda …" or a menu).
    let picked = turn(
        &bundle,
        &answer(AnswerKind::Faq, &faq.id, &[]),
        &list_pick(&RowTarget::Faq(faq.id.clone()).row_id()),
    );
    assert_eq!(picked.replies, vec![Reply::Text(faq.answer.clone())]);
    assert_eq!(picked.rephrase, None, "menu pick");
    // A template's quick reply whose label is read as text is still a button, not a question.
    let label = turn(
        &bundle,
        &answer(AnswerKind::Faq, &faq.id, &[]),
        &message(MessageContent::Button(TemplateButton {
            payload: Some("campaign-2026-11".into()),
            text: Some(faq.question.clone()),
        })),
    );
    assert_eq!(label.replies, vec![Reply::Text(faq.answer.clone())]);
    assert_eq!(label.rephrase, None, "template button");

    let mut answerers = Vec::new();
    if let Some(unverified) = bundle.faqs.iter().find(|f| !f.verified) {
        answerers.push(answer(AnswerKind::Faq, &unverified.id, &[]));
    }
    if let Some(darurat) = bundle
        .faqs
        .iter()
        .find(|f| f.category == "darurat" && f.verified)
    {
        answerers.push(answer(AnswerKind::Faq, &darurat.id, &[]));
    }
    if let Some(service) = bundle.services.first() {
        answerers.push(answer(AnswerKind::Service, &service.id, &[&faq.id]));
    }
    answerers.push(answer(AnswerKind::Emergency, "kebakaran", &[&faq.id]));
    assert_eq!(answerers.len(), 4, "the seed has every kind of entry");
    for answerer in &answerers {
        let turn = turn(&bundle, answerer, &typed("tolong info"));
        assert!(!turn.replies.is_empty());
        assert_eq!(turn.rephrase, None, "{:?}", answerer.0);
    }
}

// ---------------------------------------------------------------------------------------------
// The dialog worker with a fake model
// ---------------------------------------------------------------------------------------------

const BUDI: &str = "6281234567890";

type Script = dyn Fn(&[SourcePassage]) -> Result<Rephrased, RephraseError> + Send + Sync;

/// A model that answers as scripted and remembers what it was asked.
struct FakeModel {
    script: Box<Script>,
    calls: Mutex<Vec<(String, Vec<SourcePassage>)>>,
}

impl FakeModel {
    fn new(
        script: impl Fn(&[SourcePassage]) -> Result<Rephrased, RephraseError> + Send + Sync + 'static,
    ) -> Arc<FakeModel> {
        Arc::new(FakeModel {
            script: Box::new(script),
            calls: Mutex::new(Vec::new()),
        })
    }

    /// A model that writes `text` and cites the chosen entry.
    fn writing(text: &'static str) -> Arc<FakeModel> {
        FakeModel::new(move |passages| {
            Ok(Rephrased {
                text: text.to_string(),
                cited: passages.iter().take(1).map(|p| p.id.clone()).collect(),
            })
        })
    }

    fn calls(&self) -> Vec<(String, Vec<SourcePassage>)> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl Rephraser for FakeModel {
    async fn rephrase(
        &self,
        question: &str,
        passages: &[SourcePassage],
    ) -> Result<Rephrased, RephraseError> {
        if let Ok(mut calls) = self.calls.lock() {
            calls.push((question.to_string(), passages.to_vec()));
        }
        (self.script)(passages)
    }
}

/// A verified entry whose own question, typed by a citizen, the real engine answers with that
/// entry alone (no keyword or complaint phrase takes it elsewhere).
fn typed_faq(bundle: &ContentBundle) -> (String, Faq) {
    let engine = Engine::build(&KnowledgeBase::from(bundle));
    verified_faqs(bundle)
        .into_iter()
        .find(|faq| {
            turn(bundle, &engine, &typed(&faq.question)).replies
                == vec![Reply::Text(faq.answer.clone())]
        })
        .map(|faq| (faq.question.clone(), faq.clone()))
        .expect("some verified entry answers its own question")
}

async fn ask(harness: &TestApp, model: Option<Arc<FakeModel>>, body: Vec<u8>) -> Vec<Value> {
    assert_eq!(harness.post_signed(&body).await, 200);
    match model {
        Some(model) => {
            let worker = harness.dialog_worker().with_rephraser(model);
            harness.drain_with(&worker).await;
        }
        None => harness.drain().await,
    }
    harness.outbox_for(BUDI).await
}

fn text_bodies(sent: &[Value]) -> Vec<String> {
    sent.iter()
        .map(|m| m["text"]["body"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn without_a_rephraser_the_typed_faq_answer_is_sent_as_written() {
    let bundle = seed();
    let (question, faq) = typed_faq(&bundle);
    let harness = TestApp::new();
    let sent = ask(
        &harness,
        None,
        text_payload(BUDI, "Budi", "wamid.RP-NONE", &question),
    )
    .await;
    assert_eq!(text_bodies(&sent), vec![faq.answer.clone()]);
    assert_eq!(sent[0]["type"], "text");
}

#[tokio::test]
async fn a_guarded_rephrasing_replaces_the_answer_with_a_note() {
    let bundle = seed();
    let (question, faq) = typed_faq(&bundle);
    let harness = TestApp::new();
    let written = "Ringkasnya, ikuti penjelasan resmi dari petugas [ID].";
    let model = FakeModel::new(move |passages| {
        let first = passages.first().map(|p| p.id.clone()).unwrap_or_default();
        Ok(Rephrased {
            text: written.replace("ID", &first),
            cited: vec![first],
        })
    });
    let sent = ask(
        &harness,
        Some(model.clone()),
        text_payload(BUDI, "Budi", "wamid.RP-OK", &question),
    )
    .await;

    let calls = model.calls();
    assert_eq!(calls.len(), 1);
    let (asked, given) = &calls[0];
    assert_eq!(asked, &mask_pii(&question));
    assert_eq!(given.first(), Some(&passage(&faq)));
    let expected = rephrased_message(&written.replace("ID", &faq.id), given);
    assert_eq!(text_bodies(&sent), vec![expected.clone()]);
    assert!(expected.ends_with(SUMMARY_NOTE));
    assert!(!expected.contains(&faq.id), "ids are not shown to citizens");
}

#[tokio::test]
async fn invented_facts_or_model_errors_fall_back_to_the_verbatim_answer() {
    let bundle = seed();
    let (question, faq) = typed_faq(&bundle);
    let models = [
        ("number", FakeModel::writing("Biayanya Rp 987.654 saja.")),
        ("phone", FakeModel::writing("Tanya lewat 0812-9999-1234.")),
        (
            "url",
            FakeModel::writing("Daftar di https://contoh-palsu.example.com sekarang."),
        ),
        ("date", FakeModel::writing("Dibuka lagi bulan Desember.")),
        (
            "unknown citation",
            FakeModel::new(|_| {
                Ok(Rephrased {
                    text: "Ikuti penjelasan resmi.".to_string(),
                    cited: vec!["faq.karangan".to_string()],
                })
            }),
        ),
        (
            "unavailable",
            FakeModel::new(|_| Err(RephraseError::Unavailable("timeout".to_string()))),
        ),
        (
            "malformed",
            FakeModel::new(|_| Err(RephraseError::Malformed("no SUMBER line".to_string()))),
        ),
    ];
    for (index, (case, model)) in models.into_iter().enumerate() {
        let harness = TestApp::new();
        let wamid = format!("wamid.RP-BAD{index}");
        let sent = ask(
            &harness,
            Some(model.clone()),
            text_payload(BUDI, "Budi", &wamid, &question),
        )
        .await;
        assert_eq!(model.calls().len(), 1, "{case}: the model was asked");
        assert_eq!(text_bodies(&sent), vec![faq.answer.clone()], "{case}");
    }
}

#[tokio::test]
async fn a_faq_picked_from_a_list_never_reaches_the_model() {
    let bundle = seed();
    let (_, faq) = typed_faq(&bundle);
    let harness = TestApp::new();
    let model = FakeModel::writing("Ringkasnya, ikuti penjelasan resmi.");
    let sent = ask(
        &harness,
        Some(model.clone()),
        interactive_payload(
            BUDI,
            "Budi",
            "wamid.RP-PICK",
            "list_reply",
            &RowTarget::Faq(faq.id.clone()).row_id(),
        ),
    )
    .await;
    assert!(model.calls().is_empty());
    assert_eq!(text_bodies(&sent), vec![faq.answer.clone()]);
}
