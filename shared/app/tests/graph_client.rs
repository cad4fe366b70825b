//! Graph API client against a fake Graph server (wiremock).

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use wiremock::matchers::{bearer_token, body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use prolink_app::graph::{http_client, GraphConfig, GraphMessenger, MetaError};
use prolink_app::ports::{
    Messenger, OutboundMessage, SendError, SendReceipt, StaticSecrets, WhatsAppSecrets,
};

const PNID: &str = "106540352242922";
const TOKEN: &str = "EAAG-test-token";
const MESSAGES_PATH: &str = "/v25.0/106540352242922/messages";

fn messenger_for(base_url: String, token: Option<&str>) -> GraphMessenger {
    let secrets = WhatsAppSecrets {
        app_secret: "app-secret".into(),
        app_secret_previous: None,
        verify_token: "verify".into(),
        access_token: token.map(str::to_owned),
    };
    GraphMessenger::new(
        GraphConfig {
            base_url,
            api_version: "v25.0".into(),
            phone_number_id: PNID.into(),
        },
        Arc::new(StaticSecrets(secrets)),
        http_client(),
    )
}

fn text_message(outbox_id: &str) -> OutboundMessage {
    OutboundMessage {
        outbox_id: outbox_id.into(),
        body: json!({
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "+6281234567890",
            "type": "text",
            "text": { "preview_url": false, "body": "Terima kasih, aduan Anda kami terima." }
        }),
    }
}

fn meta_error(code: i64, message: &str, details: &str) -> Value {
    json!({ "error": {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "error_data": { "messaging_product": "whatsapp", "details": details },
        "fbtrace_id": "Az8or2yhqkZfEZ-_4Qn_Bam"
    } })
}

/// Sends one text message to a server that answers every POST with `response`.
async fn send_against(response: ResponseTemplate) -> Result<SendReceipt, SendError> {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES_PATH))
        .respond_with(response)
        .expect(1)
        .mount(&server)
        .await;
    messenger_for(server.uri(), Some(TOKEN))
        .send(&text_message("ob-err"))
        .await
}

#[tokio::test]
async fn text_message_is_posted_with_token_and_callback_data() {
    let server = MockServer::start().await;
    let message = text_message("ob-wamid.IN1-0");
    let mut expected = message.body.clone();
    expected["biz_opaque_callback_data"] = json!("ob-wamid.IN1-0");
    Mock::given(method("POST"))
        .and(path(MESSAGES_PATH))
        .and(bearer_token(TOKEN))
        .and(header("content-type", "application/json"))
        .and(body_json(&expected))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "messaging_product": "whatsapp",
            "contacts": [{ "input": "+6281234567890", "wa_id": "6281234567890" }],
            "messages": [{ "id": "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEjQ1" }]
        })))
        .expect(1)
        .mount(&server)
        .await;

    let receipt = messenger_for(server.uri(), Some(TOKEN))
        .send(&message)
        .await
        .map_err(|error| error.to_string());

    assert_eq!(
        receipt,
        Ok(SendReceipt {
            wamid: "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABEYEjQ1".into(),
            newly_sent: true,
        })
    );
}

#[tokio::test]
async fn recipient_by_user_id_passes_through_and_base_url_slash_is_tolerated() {
    let server = MockServer::start().await;
    let message = OutboundMessage {
        outbox_id: "ob-2".into(),
        body: json!({
            "messaging_product": "whatsapp",
            "recipient": "ID.1234567890abcdef",
            "type": "interactive",
            "interactive": { "type": "button", "body": { "text": "Pilih" },
                "action": { "buttons": [ { "type": "reply", "reply": { "id": "a", "title": "A" } } ] } }
        }),
    };
    let mut expected = message.body.clone();
    expected["biz_opaque_callback_data"] = json!("ob-2");
    Mock::given(method("POST"))
        .and(path(MESSAGES_PATH))
        .and(body_json(&expected))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({ "messaging_product": "whatsapp", "messages": [{ "id": "wamid.B" }] }),
        ))
        .expect(1)
        .mount(&server)
        .await;

    let receipt = messenger_for(format!("{}/", server.uri()), Some(TOKEN))
        .send(&message)
        .await;

    assert!(
        matches!(receipt, Ok(ref r) if r.wamid == "wamid.B"),
        "{receipt:?}"
    );
}

#[tokio::test]
async fn mark_as_read_is_sent_untouched_and_yields_empty_wamid() {
    let server = MockServer::start().await;
    let body = json!({
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": "wamid.INBOUND",
        "typing_indicator": { "type": "text" }
    });
    Mock::given(method("POST"))
        .and(path(MESSAGES_PATH))
        .and(bearer_token(TOKEN))
        .and(body_json(&body))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "success": true })))
        .expect(1)
        .mount(&server)
        .await;

    let receipt = messenger_for(server.uri(), Some(TOKEN))
        .send(&OutboundMessage {
            outbox_id: "ob-read".into(),
            body,
        })
        .await
        .map_err(|error| error.to_string());

    assert_eq!(
        receipt,
        Ok(SendReceipt {
            wamid: String::new(),
            newly_sent: true
        })
    );
}

#[tokio::test]
async fn outside_window_on_http_400_is_its_own_class() {
    let result = send_against(ResponseTemplate::new(400).set_body_json(meta_error(
        131047,
        "(#131047) Re-engagement message",
        "Message failed to send because more than 24 hours have passed since the customer last replied to this number.",
    )))
    .await;
    assert!(
        matches!(result, Err(SendError::OutsideWindow)),
        "{result:?}"
    );
}

#[tokio::test]
async fn throughput_limit_is_retryable_with_its_code() {
    let result = send_against(ResponseTemplate::new(400).set_body_json(meta_error(
        130429,
        "(#130429) Rate limit hit",
        "Cloud API message throughput has been reached.",
    )))
    .await;
    match result {
        Err(SendError::Retryable { code, message }) => {
            assert_eq!(code, Some(130429));
            assert!(message.contains("throughput has been reached"), "{message}");
        }
        other => panic!("expected Retryable, got {other:?}"),
    }
}

#[tokio::test]
async fn pair_rate_limit_is_retryable() {
    let result = send_against(ResponseTemplate::new(400).set_body_json(meta_error(
        131056,
        "(#131056) (Business Account, Consumer Account) pair rate limit hit",
        "Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.",
    )))
    .await;
    assert!(
        matches!(
            result,
            Err(SendError::Retryable {
                code: Some(131056),
                ..
            })
        ),
        "{result:?}"
    );
}

#[tokio::test]
async fn expired_token_is_fatal() {
    let result = send_against(ResponseTemplate::new(401).set_body_json(json!({ "error": {
        "message": "Error validating access token: Session has expired on Friday, 13-Nov-26 01:00:00 PST.",
        "type": "OAuthException",
        "code": 190,
        "error_subcode": 463,
        "fbtrace_id": "AbCdEf"
    } })))
    .await;
    assert!(
        matches!(result, Err(SendError::Fatal { code: 190, .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn restricted_account_and_missing_permission_are_fatal() {
    let restricted = send_against(ResponseTemplate::new(400).set_body_json(meta_error(
        368,
        "Temporarily blocked for policies violations",
        "The WhatsApp Business Account is restricted.",
    )))
    .await;
    assert!(
        matches!(restricted, Err(SendError::Fatal { code: 368, .. })),
        "{restricted:?}"
    );
    let permission = send_against(ResponseTemplate::new(403).set_body_json(meta_error(
        200,
        "(#200) Permissions error",
        "",
    )))
    .await;
    assert!(
        matches!(permission, Err(SendError::Fatal { code: 200, .. })),
        "{permission:?}"
    );
}

#[tokio::test]
async fn invalid_parameter_is_rejected() {
    let result = send_against(ResponseTemplate::new(400).set_body_json(meta_error(
        100,
        "(#100) Invalid parameter",
        "Param text['body'] must be at most 4096 characters long.",
    )))
    .await;
    match result {
        Err(SendError::Rejected { code, message }) => {
            assert_eq!(code, 100);
            assert!(message.contains("4096"), "{message}");
        }
        other => panic!("expected Rejected, got {other:?}"),
    }
}

#[tokio::test]
async fn meta_error_on_http_500_is_classified_by_code_not_status() {
    let result = send_against(ResponseTemplate::new(500).set_body_json(meta_error(
        131000,
        "(#131000) Something went wrong",
        "Message failed to send due to an unknown error.",
    )))
    .await;
    assert!(
        matches!(
            result,
            Err(SendError::Retryable {
                code: Some(131000),
                ..
            })
        ),
        "{result:?}"
    );
    let rejected = send_against(ResponseTemplate::new(503).set_body_json(meta_error(
        132001,
        "(#132001) Template name does not exist in the translation",
        "template name (pengingat) does not exist in id",
    )))
    .await;
    assert!(
        matches!(rejected, Err(SendError::Rejected { code: 132001, .. })),
        "{rejected:?}"
    );
}

#[tokio::test]
async fn server_error_with_html_body_is_ambiguous() {
    let result = send_against(ResponseTemplate::new(500).set_body_raw(
        "<html><body>Internal Server Error</body></html>",
        "text/html",
    ))
    .await;
    assert!(
        matches!(result, Err(SendError::Ambiguous { .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn ok_status_without_message_id_is_an_error_not_a_panic() {
    let html = send_against(
        ResponseTemplate::new(200).set_body_raw("<html>captive portal</html>", "text/html"),
    )
    .await;
    assert!(matches!(html, Err(SendError::Ambiguous { .. })), "{html:?}");

    let other_json =
        send_against(ResponseTemplate::new(200).set_body_json(json!({ "messages": [] }))).await;
    assert!(
        matches!(other_json, Err(SendError::Ambiguous { .. })),
        "{other_json:?}"
    );

    // `success: true` only stands for a receipt when we asked for a mark-as-read.
    let success_only =
        send_against(ResponseTemplate::new(200).set_body_json(json!({ "success": true }))).await;
    assert!(
        matches!(success_only, Err(SendError::Ambiguous { .. })),
        "{success_only:?}"
    );
}

#[tokio::test]
async fn client_errors_without_graph_body_are_classified_without_guessing_a_code() {
    let throttled = send_against(ResponseTemplate::new(429)).await;
    assert!(
        matches!(throttled, Err(SendError::Retryable { code: None, .. })),
        "{throttled:?}"
    );
    let not_found = send_against(ResponseTemplate::new(404).set_body_string("Not Found")).await;
    assert!(
        matches!(not_found, Err(SendError::Fatal { code: 0, .. })),
        "{not_found:?}"
    );
}

#[tokio::test]
async fn missing_access_token_is_fatal_and_sends_nothing() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;

    for token in [None, Some("  ")] {
        let result = messenger_for(server.uri(), token)
            .send(&text_message("ob-3"))
            .await;
        match result {
            Err(SendError::Fatal { code: 0, message }) => {
                assert!(message.contains("access token"), "{message}")
            }
            other => panic!("expected Fatal, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn body_that_is_not_an_object_is_invalid_and_sends_nothing() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    let result = messenger_for(server.uri(), Some(TOKEN))
        .send(&OutboundMessage {
            outbox_id: "ob-4".into(),
            body: json!(["not", "an", "object"]),
        })
        .await;
    assert!(matches!(result, Err(SendError::Invalid(_))), "{result:?}");
}

#[tokio::test]
async fn connection_refused_is_retryable() {
    // Bind then drop: the port is (almost certainly) closed when we connect.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("addr");
    drop(listener);

    let result = messenger_for(format!("http://{address}"), Some(TOKEN))
        .send(&text_message("ob-5"))
        .await;

    assert!(
        matches!(result, Err(SendError::Retryable { code: None, .. })),
        "{result:?}"
    );
}

#[tokio::test]
async fn timeout_after_sending_is_ambiguous() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "messages": [{ "id": "wamid.LATE" }] }))
                .set_delay(Duration::from_secs(3)),
        )
        .mount(&server)
        .await;

    let result = messenger_for(server.uri(), Some(TOKEN))
        .with_timeout(Duration::from_millis(200))
        .send(&text_message("ob-6"))
        .await;

    assert!(
        matches!(result, Err(SendError::Ambiguous { .. })),
        "{result:?}"
    );
}

#[test]
fn meta_error_keeps_code_details_and_trace() {
    let body = meta_error(131056, "(#131056) pair rate limit hit", "too many messages").to_string();
    let parsed = MetaError::parse(body.as_bytes());
    assert_eq!(
        parsed,
        Some(MetaError {
            code: 131056,
            message: "(#131056) pair rate limit hit".into(),
            error_type: "OAuthException".into(),
            details: Some("too many messages".into()),
            fbtrace_id: Some("Az8or2yhqkZfEZ-_4Qn_Bam".into()),
        })
    );
}

/// Issue #20: code 1 ("API Unknown", possibly a server error) on a 5xx must not drop the reply.
/// The message may have gone out, so it is ambiguous: reconcile, then resend.
#[tokio::test]
async fn unknown_or_generic_code_on_5xx_is_ambiguous_not_rejected() {
    for (status, code) in [(500, 1), (502, 1), (500, 987_654), (503, 135_999)] {
        let result = send_against(ResponseTemplate::new(status).set_body_json(meta_error(
            code,
            "An unknown error occurred",
            "Please retry your request later.",
        )))
        .await;
        assert!(
            matches!(result, Err(SendError::Ambiguous { .. })),
            "HTTP {status} code {code}: {result:?}"
        );
    }
}

/// Known permanent codes stay final even on a 5xx; unknown codes on a 4xx are `Rejected`.
#[tokio::test]
async fn permanent_codes_stay_final_on_5xx_and_unknown_4xx_is_rejected() {
    let permanent = send_against(ResponseTemplate::new(500).set_body_json(meta_error(
        131026,
        "(#131026) Message undeliverable",
        "Unable to deliver message.",
    )))
    .await;
    assert!(
        matches!(permanent, Err(SendError::Rejected { code: 131026, .. })),
        "{permanent:?}"
    );
    let fatal = send_against(ResponseTemplate::new(500).set_body_json(meta_error(
        190,
        "Error validating access token",
        "",
    )))
    .await;
    assert!(
        matches!(fatal, Err(SendError::Fatal { code: 190, .. })),
        "{fatal:?}"
    );
    for code in [1, 987_654] {
        let result = send_against(ResponseTemplate::new(400).set_body_json(meta_error(
            code,
            "Invalid request",
            "",
        )))
        .await;
        assert!(
            matches!(result, Err(SendError::Rejected { code: c, .. }) if c == code),
            "code {code}: {result:?}"
        );
    }
}
