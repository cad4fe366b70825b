//! Complaints (aduan) through a real `prolink serve`: the whole form as a citizen fills it in
//! the simulator, what lands in the SQLite store (read through a second connection, as WAL
//! allows while the server runs), what the complaint worker does after a submission (the OPD
//! alert, the photo copied into the data folder, a probable duplicate offered to follow),
//! tracking that never shows another citizen's ticket, and a redelivered *Kirim* that cannot
//! create a second ticket.
//!
//! Each test starts one server and runs several citizens on it at once (different `from`),
//! so the suite stays cheap on a small CI machine.

use std::{
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use serde_json::{json, Value};

use prolink_app::ports::{ComplaintStore, DedupStore, OperatorSignals, SystemClock};
use prolink_app::tasks::Task;
use prolink_domain::{
    complaint::{
        duplicates::{distance_m, DUPLICATE_RADIUS_M},
        ticket_for, Complaint, ComplaintLocation, Privacy, Status,
    },
    dialog::{complaint_texts as ct, texts},
};
use prolink_embedded::serve::{BLOBS_DIR, DB_FILE, SIMULATOR_PHONE_NUMBER_ID};
use prolink_embedded::sqlite::{SqliteDb, SqliteStore};
use prolink_whatsapp::signature::signature_header_value;

use super::{replies_for, text_of, Server};

/// A reply that does not come within this time is a failure, not a slow machine.
const REPLY_DEADLINE: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(50);

/// One degree of latitude in metres on the sphere the duplicate search measures on.
const METRES_PER_DEGREE: f64 = 111_195.08;

/// A place a citizen shares with WhatsApp's location pin.
#[derive(Clone, Copy)]
struct Place {
    latitude: f64,
    longitude: f64,
    name: &'static str,
    address: &'static str,
}

/// Where the first road complaint is.
const SDN_JATI: Place = Place {
    latitude: -7.754_312,
    longitude: 113.215_901,
    name: "Depan SDN Jati 3",
    address: "Jl. Soekarno Hatta, Jati, Kota Probolinggo",
};
/// 40 m north of [`SDN_JATI`]: the same pothole seen from across the road.
const ACROSS_SDN_JATI: Place = Place {
    latitude: -7.754_312 + 40.0 / METRES_PER_DEGREE,
    longitude: 113.215_901,
    name: "Seberang SDN Jati 3",
    address: "Jl. Soekarno Hatta, Jati, Kota Probolinggo",
};
/// Kelurahan Wonoasih, about 4 km south of [`SDN_JATI`]: another road, another problem.
const WONOASIH: Place = Place {
    latitude: -7.789_100,
    longitude: 113.205_300,
    name: "Dekat Masjid Wonoasih",
    address: "Jl. Raya Wonoasih, Wonoasih, Kota Probolinggo",
};
const TYPED_ADDRESS: &str = "Jl. Soekarno Hatta no 10, Kelurahan Jati";

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

/// One server plus a second connection on its SQLite file.
struct Site {
    server: Server,
    client: reqwest::Client,
    store: SqliteStore,
    /// The server's data folder (`--data`).
    data: PathBuf,
    _dir: tempfile::TempDir,
}

impl Site {
    fn start() -> Site {
        let dir = tempfile::tempdir().expect("tempdir");
        let data: PathBuf = dir.path().join("data");
        let server = Server::start(&data);
        let db = SqliteDb::open(&data.join(DB_FILE)).expect("second connection on the store");
        Site {
            server,
            client: reqwest::Client::new(),
            store: SqliteStore::new(db, Arc::new(SystemClock)),
            data,
            _dir: dir,
        }
    }

    fn chat(&self, user: &str) -> Chat<'_> {
        Chat {
            site: self,
            user: user.to_string(),
            seen: 0,
            early: Vec::new(),
        }
    }

    /// A citizen who already talked to the bot: only later messages count as answers.
    async fn chat_after_history(&self, user: &str) -> Chat<'_> {
        let mut chat = self.chat(user);
        chat.seen = replies_for(&self.client, &self.server.base, user)
            .await
            .len();
        chat
    }

    async fn complaints_of(&self, user: &str) -> Vec<Complaint> {
        self.store
            .complaints_of_citizen(user, 50)
            .await
            .expect("complaints readable while the server runs")
    }

    async fn only_complaint_of(&self, user: &str) -> Complaint {
        let mut stored = self.complaints_of(user).await;
        assert_eq!(
            stored.len(),
            1,
            "{user}: exactly one complaint, got {stored:#?}"
        );
        stored.remove(0)
    }

    async fn complaint(&self, ticket: &str) -> Complaint {
        self.store
            .get_complaint(ticket)
            .await
            .expect("complaint readable while the server runs")
            .unwrap_or_else(|| panic!("{ticket} stored"))
    }

    /// Waits until the complaint worker has finished with a new complaint: its submission
    /// task is marked done (alert raised, duplicate looked for and offered) and every photo is
    /// copied. The tasks run on their own queue, after the citizen's confirmation.
    async fn settled(&self, ticket: &str) -> Complaint {
        let submitted = Task::ComplaintSubmitted {
            ticket: ticket.to_string(),
        }
        .done_mark();
        let deadline = Instant::now() + REPLY_DEADLINE;
        loop {
            let complaint = self.complaint(ticket).await;
            let done = self
                .store
                .is_marked(&submitted)
                .await
                .expect("dedup marks readable");
            if done && complaint.photos.iter().all(|p| p.stored_key.is_some()) {
                return complaint;
            }
            assert!(
                Instant::now() < deadline,
                "{ticket}: complaint tasks not finished (submission done: {done}): {complaint:#?}"
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// The operators' "new complaint" alerts that name `ticket`.
    async fn new_complaint_alerts(&self, ticket: &str) -> Vec<String> {
        self.store
            .recent_alerts(1_000)
            .await
            .expect("alerts readable")
            .into_iter()
            .filter(|alert| {
                alert.kind == "complaint_new"
                    && alert
                        .message
                        .lines()
                        .next()
                        .is_some_and(|first| first.contains(ticket))
            })
            .map(|alert| alert.message)
            .collect()
    }

    /// After [`Site::settled`]: the OPD was alerted exactly once.
    async fn assert_one_alert(&self, ticket: &str) {
        let alerts = self.new_complaint_alerts(ticket).await;
        assert_eq!(alerts.len(), 1, "{ticket}: one OPD alert: {alerts:#?}");
    }

    /// After [`Site::settled`]: the OPD was alerted exactly once, and every photo sits in
    /// the data folder with the bytes the citizen sent.
    async fn assert_worked_off(&self, complaint: &Complaint, photos: &[(&str, &[u8])]) {
        let ticket = &complaint.ticket;
        self.assert_one_alert(ticket).await;
        assert_eq!(
            complaint.photos.len(),
            photos.len(),
            "{ticket}: {complaint:#?}"
        );
        for (media_id, sent) in photos {
            let key = format!("complaints/{ticket}/{media_id}.jpg");
            let photo = complaint
                .photos
                .iter()
                .find(|p| p.media_id == *media_id)
                .unwrap_or_else(|| panic!("{ticket}: photo {media_id} in {complaint:#?}"));
            assert_eq!(photo.stored_key.as_deref(), Some(key.as_str()));
            assert_eq!(photo.fetch_error, None);
            let blob = self.data.join(BLOBS_DIR).join(&key);
            let copied =
                std::fs::read(&blob).unwrap_or_else(|error| panic!("{}: {error}", blob.display()));
            assert_eq!(
                copied,
                *sent,
                "{}: the bytes the citizen sent",
                blob.display()
            );
        }
    }
}

/// One citizen's conversation: what was sent, and how many bot messages were already read.
struct Chat<'a> {
    site: &'a Site,
    user: String,
    seen: usize,
    /// Messages of the complaint worker that arrived before the answer being waited for
    /// (a duplicate offer overtaking the confirmation): read, but still to be expected.
    early: Vec<Value>,
}

impl Chat<'_> {
    /// Posts one message through the simulator (signed webhook, like Meta) without waiting for
    /// the answer; returns the simulator's `{"wamid", "media_id"?}`.
    async fn send(&self, payload: Value) -> Value {
        let mut payload = payload;
        payload["from"] = json!(self.user);
        payload["name"] = json!("Warga Uji");
        let response = self
            .site
            .client
            .post(format!("{}/simulator/api/send", self.site.server.base))
            .json(&payload)
            .send()
            .await
            .expect("simulator reachable");
        assert_eq!(response.status(), 200, "simulator accepted {payload}");
        response.json().await.expect("send answer json")
    }

    /// Waits until the bot messages after the last seen one satisfy `done` (predicates look at
    /// the *last* message of a turn, so nothing of the turn is left for the next step).
    async fn expect(&mut self, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + REPLY_DEADLINE;
        loop {
            let all = replies_for(&self.site.client, &self.site.server.base, &self.user).await;
            let fresh = all.get(self.seen..).unwrap_or_default();
            if done(fresh) {
                let fresh = fresh.to_vec();
                self.seen = all.len();
                return fresh;
            }
            assert!(
                Instant::now() < deadline,
                "{}: waited for {what}; new bot messages: {}",
                self.user,
                describe(fresh)
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits for the first new bot message that `matches`; returns the new messages up to it
    /// and leaves any later one (a notification of the complaint worker) for the next step.
    async fn expect_until(&mut self, what: &str, matches: impl Fn(&Value) -> bool) -> Vec<Value> {
        if let Some(position) = self.early.iter().position(&matches) {
            return vec![self.early.remove(position)];
        }
        let deadline = Instant::now() + REPLY_DEADLINE;
        loop {
            let all = replies_for(&self.site.client, &self.site.server.base, &self.user).await;
            let fresh = all.get(self.seen..).unwrap_or_default();
            if let Some(position) = fresh.iter().position(&matches) {
                let taken = fresh[..=position].to_vec();
                self.seen += taken.len();
                return taken;
            }
            assert!(
                Instant::now() < deadline,
                "{}: waited for {what}; new bot messages: {}",
                self.user,
                describe(fresh)
            );
            tokio::time::sleep(POLL).await;
        }
    }

    async fn say(
        &mut self,
        payload: Value,
        what: &str,
        done: impl Fn(&[Value]) -> bool,
    ) -> (Value, Vec<Value>) {
        let accepted = self.send(payload).await;
        let replies = self.expect(what, done).await;
        (accepted, replies)
    }

    async fn text(
        &mut self,
        text: &str,
        what: &str,
        done: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        self.say(json!({ "text": text }), what, done).await.1
    }

    async fn tap(
        &mut self,
        kind: &str,
        id: &str,
        what: &str,
        done: impl Fn(&[Value]) -> bool,
    ) -> (Value, Vec<Value>) {
        self.say(
            json!({ "reply": { "kind": kind, "id": id, "title": id } }),
            what,
            done,
        )
        .await
    }

    async fn pin(
        &mut self,
        place: Place,
        what: &str,
        done: impl Fn(&[Value]) -> bool,
    ) -> Vec<Value> {
        self.say(pin_payload(place), what, done).await.1
    }

    /// Sends one photo; returns its media id.
    async fn photo(&mut self, bytes: &[u8], what: &str, done: impl Fn(&[Value]) -> bool) -> String {
        let (accepted, replies) = self.say(photo_payload(bytes), what, done).await;
        assert_eq!(replies.len(), 1, "{}", describe(&replies));
        accepted["media_id"].as_str().expect("media id").to_string()
    }

    /// From nothing to the description question: menu row, consent, category row.
    async fn open_form(&mut self, category: &str) {
        self.tap(
            "list",
            "menu.aduan",
            "privacy notice",
            last_has_button(ct::ids::CONSENT_YES),
        )
        .await;
        let (_, replies) = self
            .tap(
                "button",
                ct::ids::CONSENT_YES,
                "category list",
                last_has_row(&category_row(category)),
            )
            .await;
        assert!(
            any_text(&replies, ct::CONSENT_THANKS),
            "consent acknowledged: {}",
            describe(&replies)
        );
        self.tap(
            "list",
            &category_row(category),
            "description question",
            last_text_is(ct::DESCRIPTION_ASK),
        )
        .await;
    }

    /// From the photo question to the stored complaint: photos done, `privacy`, summary, Kirim.
    /// Returns the ticket, the Kirim tap's wamid and the summary's messages.
    async fn finish(&mut self, privacy_id: &str) -> (String, String, Vec<Value>) {
        self.tap(
            "button",
            ct::ids::PHOTOS_DONE,
            "privacy question",
            last_has_button(ct::ids::PRIVACY_BIASA),
        )
        .await;
        let (_, summary) = self
            .tap(
                "button",
                privacy_id,
                "summary",
                last_has_button(ct::ids::SUBMIT),
            )
            .await;
        let accepted = self
            .send(json!({ "reply": {
                "kind": "button", "id": ct::ids::SUBMIT, "title": ct::titles::SUBMIT
            } }))
            .await;
        // The complaint worker may already be talking (a duplicate offer): it runs on its own
        // queue, so its offer can reach the chat before or after the dialog worker's
        // confirmation. Whatever came with the confirmation is that offer, and the
        // confirmation comes once.
        let replies = self
            .expect_until("confirmation", |reply| {
                text_of(reply).contains("Nomor tiket")
            })
            .await;
        let (confirmation, others): (Vec<Value>, Vec<Value>) = replies
            .into_iter()
            .partition(|reply| text_of(reply).contains("Nomor tiket"));
        assert_eq!(
            confirmation.len(),
            1,
            "the confirmation answers Kirim: {}",
            describe(&confirmation)
        );
        assert!(
            others
                .iter()
                .all(|reply| text_of(reply).contains("Aduan serupa")),
            "only a duplicate offer may come with the confirmation: {}",
            describe(&others)
        );
        self.early.extend(others);
        let ticket = ticket_in(&text_of(&confirmation[0]));
        let wamid = accepted["wamid"].as_str().expect("wamid").to_string();
        (ticket, wamid, summary)
    }
}

fn pin_payload(place: Place) -> Value {
    json!({ "location": {
        "latitude": place.latitude,
        "longitude": place.longitude,
        "name": place.name,
        "address": place.address
    } })
}

fn photo_payload(bytes: &[u8]) -> Value {
    json!({ "image": { "data_base64": base64(bytes), "mime_type": "image/jpeg" } })
}

/// The smallest file the simulator and the media download take for a JPEG (SOI, a comment,
/// EOI); the comment makes each photo's bytes its own, so a copy of the wrong one shows.
fn jpeg(tag: &str) -> Vec<u8> {
    let comment = tag.as_bytes();
    let length = u16::try_from(comment.len() + 2).expect("short tag");
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xFE];
    bytes.extend_from_slice(&length.to_be_bytes());
    bytes.extend_from_slice(comment);
    bytes.extend_from_slice(&[0xFF, 0xD9]);
    bytes
}

/// Standard base64 with padding (RFC 4648), as the simulator's upload expects.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let group = chunk
            .iter()
            .enumerate()
            .fold(0u32, |group, (i, b)| group | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(group >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn category_row(category: &str) -> String {
    format!("complaint:{category}")
}

fn describe(replies: &[Value]) -> String {
    let parts: Vec<String> = replies
        .iter()
        .map(|reply| match reply["type"].as_str() {
            Some("interactive") => format!(
                "[{}] {} {:?}{:?}",
                reply["interactive"]["type"].as_str().unwrap_or("?"),
                text_of(reply),
                button_ids(reply),
                row_ids(reply)
            ),
            _ => text_of(reply),
        })
        .collect();
    format!("{parts:#?}")
}

fn button_ids(reply: &Value) -> Vec<String> {
    reply["interactive"]["action"]["buttons"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|button| button["reply"]["id"].as_str().map(str::to_string))
        .collect()
}

fn row_ids(reply: &Value) -> Vec<String> {
    reply["interactive"]["action"]["sections"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|section| section["rows"].as_array().cloned().unwrap_or_default())
        .filter_map(|row| row["id"].as_str().map(str::to_string))
        .collect()
}

fn is_location_request(reply: &Value) -> bool {
    reply["interactive"]["type"] == "location_request_message"
}

fn any_text(replies: &[Value], needle: &str) -> bool {
    replies.iter().any(|reply| text_of(reply).contains(needle))
}

fn last_has_button(id: &'static str) -> impl Fn(&[Value]) -> bool {
    move |replies| {
        replies
            .last()
            .is_some_and(|last| button_ids(last).iter().any(|b| b == id))
    }
}

fn last_has_row(id: &str) -> impl Fn(&[Value]) -> bool {
    let id = id.to_string();
    move |replies| {
        replies
            .last()
            .is_some_and(|last| row_ids(last).contains(&id))
    }
}

fn last_text_is(text: &'static str) -> impl Fn(&[Value]) -> bool {
    move |replies| replies.last().is_some_and(|last| text_of(last) == text)
}

fn last_text_contains(needle: &'static str) -> impl Fn(&[Value]) -> bool {
    move |replies| {
        replies
            .last()
            .is_some_and(|last| text_of(last).contains(needle))
    }
}

fn last_is_location_request(replies: &[Value]) -> bool {
    replies.last().is_some_and(is_location_request)
}

fn at_least(count: usize) -> impl Fn(&[Value]) -> bool {
    move |replies| replies.len() >= count
}

/// The `PS-XXXXXX` a confirmation names.
fn ticket_in(text: &str) -> String {
    let start = text
        .find("PS-")
        .unwrap_or_else(|| panic!("ticket in {text:?}"));
    let ticket: String = text[start..].chars().take(9).collect();
    assert_eq!(
        prolink_domain::complaint::find_ticket(&ticket).as_deref(),
        Some(ticket.as_str()),
        "well-formed ticket in {text:?}"
    );
    ticket
}

fn seed_notice(category: &str) -> String {
    let seed: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../infra/seed/complaint-categories.json"
        ))
        .expect("seed categories"),
    )
    .expect("json");
    let list = seed
        .as_array()
        .or_else(|| seed["categories"].as_array())
        .expect("category list");
    let entry = list
        .iter()
        .find(|c| c["id"] == category)
        .unwrap_or_else(|| panic!("{category} in the seed"));
    entry["notice"].as_str().expect("notice").trim().to_string()
}

/// A button tap exactly as Meta posts it, signed with the local app secret.
fn button_reply_payload(from: &str, wamid: &str, id: &str, title: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "object": "whatsapp_business_account",
        "entry": [{ "id": "100000000000000", "changes": [{ "field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {
                "display_phone_number": "6280000000000",
                "phone_number_id": SIMULATOR_PHONE_NUMBER_ID
            },
            "contacts": [{ "profile": { "name": "Warga Uji" }, "wa_id": from }],
            "messages": [{
                "from": from,
                "id": wamid,
                "timestamp": std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .expect("clock after 1970")
                    .as_secs()
                    .to_string(),
                "type": "interactive",
                "interactive": {
                    "type": "button_reply",
                    "button_reply": { "id": id, "title": title }
                }
            }]
        }}]}]
    }))
    .expect("json")
}

async fn post_signed(site: &Site, body: Vec<u8>) -> u16 {
    let signature = signature_header_value(&site.server.secret, &body);
    site.client
        .post(format!("{}/webhook", site.server.base))
        .header("content-type", "application/json")
        .header("x-hub-signature-256", signature)
        .body(body)
        .send()
        .await
        .expect("webhook reachable")
        .status()
        .as_u16()
}

// ---------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------

/// Pin, one photo, *Biasa*: the summary carries the category's notice, the store holds the
/// complaint as submitted, `cek <ticket>` (any case, no dash) shows its timeline, and the
/// complaint worker alerts the OPD and copies the photo into the data folder.
async fn with_pin(site: &Site, user: &str) -> String {
    let mut chat = site.chat(user);
    chat.open_form("jalan-rusak").await;
    chat.text(
        "Jalan di depan SDN Jati 3 berlubang besar sejak dua minggu, sudah ada motor jatuh",
        "location question",
        last_is_location_request,
    )
    .await;
    chat.pin(
        SDN_JATI,
        "photo question",
        last_has_button(ct::ids::PHOTOS_DONE),
    )
    .await;
    let photo = jpeg("lubang di depan SDN Jati 3");
    let media_id = chat
        .photo(&photo, "photo counted", last_text_contains("1 dari 3 foto"))
        .await;

    let (ticket, wamid, summary) = chat.finish(ct::ids::PRIVACY_BIASA).await;
    let notice = seed_notice("jalan-rusak");
    assert!(
        any_text(&summary, &notice),
        "summary shows the category notice {notice:?}: {}",
        describe(&summary)
    );
    assert!(
        // The category as the list shows it (its short name).
        any_text(&summary, "*Kategori:* Jalan rusak/berlubang") && any_text(&summary, "1 foto"),
        "summary lists category and photo: {}",
        describe(&summary)
    );

    let stored = site.only_complaint_of(user).await;
    assert_eq!(stored.ticket, ticket);
    assert_eq!(stored.status, Status::Diterima);
    assert_eq!(stored.category_id, "jalan-rusak");
    assert_eq!(stored.opd_id, "dpupr-pkp");
    assert_eq!(stored.privacy, Privacy::Biasa);
    assert_eq!(stored.source_wamid, wamid);
    assert!(
        stored.description.contains("berlubang besar"),
        "{stored:#?}"
    );
    match &stored.location {
        Some(ComplaintLocation::Pin {
            latitude,
            longitude,
            ..
        }) => {
            assert!((latitude - SDN_JATI.latitude).abs() < 1e-9, "{latitude}");
            assert!((longitude - SDN_JATI.longitude).abs() < 1e-9, "{longitude}");
        }
        other => panic!("pin stored, got {other:?}"),
    }
    let photos: Vec<&str> = stored.photos.iter().map(|p| p.media_id.as_str()).collect();
    assert_eq!(photos, vec![media_id.as_str()]);
    assert!(
        stored
            .next_due_ms
            .is_some_and(|due| due > stored.received_ms),
        "deadline scheduled: {:?}",
        stored.next_due_ms
    );

    let typed = format!("cek {}", ticket.replace('-', "").to_lowercase());
    let timeline = chat
        .text(&typed, "timeline", last_has_button(ct::ids::TRACK_LIST))
        .await;
    let shown: String = timeline.iter().map(text_of).collect::<Vec<_>>().join("\n");
    assert!(shown.contains(&ticket), "{shown}");
    assert!(
        shown.contains(&format!("Status: *{}*", Status::Diterima.label())),
        "{shown}"
    );
    assert!(shown.contains("Riwayat"), "{shown}");
    let withdraw = format!("{}{ticket}", ct::ids::WITHDRAW_PREFIX);
    assert!(
        timeline
            .last()
            .is_some_and(|last| button_ids(last).contains(&withdraw)),
        "a new complaint can still be withdrawn: {}",
        describe(&timeline)
    );

    let settled = site.settled(&ticket).await;
    site.assert_worked_off(&settled, &[(&media_id, &photo)])
        .await;
    ticket
}

/// A typed address (required location), *Anonim*, then a withdrawal by text and button.
async fn with_typed_address_then_withdrawn(site: &Site, user: &str) -> String {
    let mut chat = site.chat(user);
    chat.open_form("sampah").await;
    chat.text(
        "Sampah menumpuk di pinggir jalan sudah seminggu tidak diangkut, baunya menyengat",
        "location question",
        last_is_location_request,
    )
    .await;
    chat.text(
        TYPED_ADDRESS,
        "photo question",
        last_has_button(ct::ids::PHOTOS_DONE),
    )
    .await;
    let (ticket, _, summary) = chat.finish(ct::ids::PRIVACY_ANONIM).await;
    assert!(any_text(&summary, TYPED_ADDRESS), "{}", describe(&summary));

    let stored = site.only_complaint_of(user).await;
    assert_eq!(stored.ticket, ticket);
    assert_eq!(
        stored.location,
        Some(ComplaintLocation::Typed {
            text: TYPED_ADDRESS.to_string()
        })
    );
    assert_eq!(stored.privacy, Privacy::Anonim);
    assert_eq!(stored.opd_id, "dlh");
    assert!(stored.photos.is_empty());

    let withdraw = format!("{}{ticket}", ct::ids::WITHDRAW_PREFIX);
    let confirm = chat
        .text(
            &format!("batalkan aduan {ticket}"),
            "withdrawal question",
            {
                let withdraw = withdraw.clone();
                move |replies: &[Value]| {
                    replies
                        .last()
                        .is_some_and(|last| button_ids(last).contains(&withdraw))
                }
            },
        )
        .await;
    assert!(
        any_text(&confirm, &ct::withdraw_confirm(&ticket)),
        "{}",
        describe(&confirm)
    );
    assert_eq!(
        site.only_complaint_of(user).await.status,
        Status::Diterima,
        "asking is not withdrawing"
    );
    let withdrawn = ct::withdrawn(&ticket);
    chat.tap(
        "button",
        &withdraw,
        "withdrawn",
        move |replies: &[Value]| {
            replies
                .last()
                .is_some_and(|last| text_of(last) == withdrawn)
        },
    )
    .await;
    assert_eq!(site.only_complaint_of(user).await.status, Status::Dicabut);
    ticket
}

/// `lewati` where a location is required is refused; `batal` drops the draft; `lewati` on a
/// category without a required location goes through and the complaint has no location.
async fn skipped_location_and_cancel(site: &Site, user: &str) -> String {
    let mut chat = site.chat(user);
    chat.open_form("pju-mati").await;
    chat.text(
        "Lampu jalan di gang kami mati sejak lima hari, malam hari gelap sekali",
        "location question",
        last_is_location_request,
    )
    .await;
    let replies = chat
        .text("lewati", "location asked again", last_is_location_request)
        .await;
    assert!(
        any_text(&replies, ct::LOCATION_REQUIRED),
        "required location explained: {}",
        describe(&replies)
    );
    assert!(site.complaints_of(user).await.is_empty());

    let replies = chat
        .text(
            "batal",
            "cancel notice",
            last_text_is(texts::CANCEL_COMPLAINT),
        )
        .await;
    assert_eq!(replies.len(), 1, "{}", describe(&replies));
    assert!(site.complaints_of(user).await.is_empty());

    // The draft is gone: *Buat Aduan* starts over at the category (consent is kept).
    chat.tap(
        "button",
        texts::ids::COMPLAINT,
        "category list",
        last_has_row(&category_row("pelayanan-adminduk")),
    )
    .await;
    let fresh = replies_for(&chat.site.client, &chat.site.server.base, user).await;
    assert!(
        !any_text(&fresh, ct::FORM_CONTINUES),
        "a cancelled draft is not continued: {}",
        describe(&fresh)
    );
    chat.tap(
        "list",
        &category_row("pelayanan-adminduk"),
        "description question",
        last_text_is(ct::DESCRIPTION_ASK),
    )
    .await;
    chat.text(
        "Antrean cetak KTP-el di kantor dinas sangat lama, sudah tiga kali datang belum selesai",
        "location question",
        last_is_location_request,
    )
    .await;
    chat.text(
        "lewati",
        "photo question",
        last_has_button(ct::ids::PHOTOS_DONE),
    )
    .await;
    let (ticket, _, summary) = chat.finish(ct::ids::PRIVACY_BIASA).await;
    assert!(
        any_text(&summary, "(tanpa lokasi)"),
        "{}",
        describe(&summary)
    );
    let stored = site.only_complaint_of(user).await;
    assert_eq!(stored.ticket, ticket);
    assert_eq!(stored.category_id, "pelayanan-adminduk");
    assert_eq!(stored.location, None);
    ticket
}

/// An emergency typed in the middle of the form: 112 at once, nothing stored, and *Buat Aduan*
/// continues the kept draft where it stopped. The road is in another kelurahan, kilometres
/// from [`SDN_JATI`]: not the same problem as [`with_pin`]'s.
async fn emergency_mid_form(site: &Site, user: &str) -> String {
    let mut chat = site.chat(user);
    chat.open_form("jalan-rusak").await;
    let description = "Aspal jalan kampung mengelupas dan berlubang dalam di dekat masjid";
    chat.text(description, "location question", last_is_location_request)
        .await;
    let replies = chat
        .text(
            "tolong ada kebakaran di rumah sebelah",
            "emergency answer",
            last_text_contains("112"),
        )
        .await;
    assert!(
        any_text(&replies, ct::EMERGENCY_FORM_SUSPENDED),
        "form set aside: {}",
        describe(&replies)
    );
    assert!(site.complaints_of(user).await.is_empty());

    let replies = chat
        .tap(
            "button",
            texts::ids::COMPLAINT,
            "location question again",
            last_is_location_request,
        )
        .await
        .1;
    assert!(
        any_text(&replies, ct::FORM_CONTINUES),
        "kept draft continued: {}",
        describe(&replies)
    );
    chat.pin(
        WONOASIH,
        "photo question",
        last_has_button(ct::ids::PHOTOS_DONE),
    )
    .await;
    let (ticket, _, _) = chat.finish(ct::ids::PRIVACY_RAHASIA).await;
    let stored = site.only_complaint_of(user).await;
    assert_eq!(
        stored.description, description,
        "description kept across the emergency"
    );
    assert_eq!(stored.privacy, Privacy::Rahasia);
    ticket
}

/// *Tidak Setuju*: a polite answer, nothing stored, and the next attempt asks again.
async fn consent_declined(site: &Site, user: &str) {
    let mut chat = site.chat(user);
    chat.tap(
        "list",
        "menu.aduan",
        "privacy notice",
        last_has_button(ct::ids::CONSENT_YES),
    )
    .await;
    let (_, replies) = chat
        .tap(
            "button",
            ct::ids::CONSENT_NO,
            "decline answer",
            last_text_is(ct::CONSENT_DECLINED),
        )
        .await;
    assert_eq!(replies.len(), 1, "{}", describe(&replies));
    assert!(site.complaints_of(user).await.is_empty());
    let (_, replies) = chat
        .tap(
            "button",
            texts::ids::COMPLAINT,
            "privacy notice again",
            last_has_button(ct::ids::CONSENT_YES),
        )
        .await;
    assert!(
        any_text(&replies, "Apakah Anda setuju?"),
        "consent asked again: {}",
        describe(&replies)
    );
    assert!(site.complaints_of(user).await.is_empty());
}

/// A road complaint 40 m from `original`'s (same category, still open): the worker links it
/// and offers *Ikut melapor* without revealing the other report; the citizen follows, their
/// own complaint is withdrawn into the original, and `cek <original>` now shows its public
/// timeline to them (and only the follower's view).
async fn duplicate_followed(site: &Site, original: &str, user: &str) {
    let first = site.settled(original).await;
    assert_eq!(first.status, Status::Diterima, "{first:#?}");
    let metres = distance_m(
        (SDN_JATI.latitude, SDN_JATI.longitude),
        (ACROSS_SDN_JATI.latitude, ACROSS_SDN_JATI.longitude),
    );
    assert!((metres - 40.0).abs() < 0.5, "{metres}");

    let mut chat = site.chat(user);
    chat.open_form("jalan-rusak").await;
    chat.text(
        "Ada lubang dalam di jalan seberang sekolah, anak-anak hampir terperosok tiap pagi",
        "location question",
        last_is_location_request,
    )
    .await;
    chat.pin(
        ACROSS_SDN_JATI,
        "photo question",
        last_has_button(ct::ids::PHOTOS_DONE),
    )
    .await;
    let (ticket, _, _) = chat.finish(ct::ids::PRIVACY_BIASA).await;

    let follow = format!("{}{ticket}", ct::ids::FOLLOW_PREFIX);
    let separate = format!("{}{ticket}", ct::ids::SEPARATE_PREFIX);
    let offer = chat
        .expect_until("duplicate offer", |reply| {
            button_ids(reply).contains(&follow)
        })
        .await;
    assert_eq!(offer.len(), 1, "{}", describe(&offer));
    let offer = &offer[0];
    assert_eq!(button_ids(offer), vec![follow.clone(), separate]);
    let text = text_of(offer);
    for expected in [
        "🔁 *Aduan serupa",
        &ticket,
        original,
        "sudah dilaporkan warga lain",
        Status::Diterima.label(),
        "Kel. Jati, ± 40 m dari titik lokasi Anda",
    ] {
        assert!(text.contains(expected), "{expected:?} in {text}");
    }
    assert!(
        !text.contains("berlubang besar") && !text.contains("SDN"),
        "the other citizen's words stay theirs: {text}"
    );
    let linked = site.settled(&ticket).await;
    assert_eq!(linked.duplicate_of.as_deref(), Some(original));
    assert_eq!(linked.status, Status::Diterima, "offered, not merged yet");
    site.assert_worked_off(&linked, &[]).await;

    let following = ct::following(&ticket, original, false);
    let (_, replies) = chat
        .tap(
            "button",
            &follow,
            "follow answer",
            move |replies: &[Value]| {
                replies
                    .last()
                    .is_some_and(|last| text_of(last) == following)
            },
        )
        .await;
    assert_eq!(replies.len(), 1, "{}", describe(&replies));
    assert!(
        button_ids(&replies[0]).contains(&format!("{}{original}", ct::ids::TRACK_PREFIX)),
        "{}",
        describe(&replies)
    );
    let merged = site.complaint(&ticket).await;
    assert_eq!(merged.status, Status::Dicabut, "{merged:#?}");
    let followed = site.complaint(original).await;
    assert_eq!(followed.followers, vec![user.to_string()]);
    assert_eq!(
        followed.status,
        Status::Diterima,
        "following changes no status"
    );

    let timeline = chat
        .text(
            &format!("cek {original}"),
            "followed timeline",
            last_has_button(ct::ids::TRACK_LIST),
        )
        .await;
    let shown: String = timeline.iter().map(text_of).collect::<Vec<_>>().join("\n");
    assert!(shown.contains(&format!("Aduan {original}")), "{shown}");
    assert!(
        shown.contains(&format!("Status: *{}*", Status::Diterima.label())),
        "{shown}"
    );
    assert!(shown.contains(ct::FOLLOWER_NOTE), "{shown}");
    assert!(!shown.contains("berlubang besar"), "{shown}");
    assert!(
        timeline
            .iter()
            .flat_map(button_ids)
            .all(|id| !id.starts_with(ct::ids::WITHDRAW_PREFIX)),
        "a follower cannot withdraw it: {}",
        describe(&timeline)
    );
}

/// After the worker is done with `ticket`: not linked to anything, and no offer was made.
async fn assert_no_duplicate(site: &Site, user: &str, ticket: &str) {
    let settled = site.settled(ticket).await;
    assert_eq!(settled.duplicate_of, None, "{settled:#?}");
    let chat = replies_for(&site.client, &site.server.base, user).await;
    assert!(
        !any_text(&chat, "Aduan serupa"),
        "{user}: no duplicate offer: {}",
        describe(&chat)
    );
    site.assert_one_alert(ticket).await;
}

/// Someone else's ticket reads exactly like a ticket that does not exist.
async fn tracking_privacy(site: &Site, owner_ticket: &str, stranger: &str) {
    let mut chat = site.chat_after_history(stranger).await;
    let done = last_has_button(texts::ids::MENU);
    let foreign = chat
        .text(
            &format!("cek {owner_ticket}"),
            "foreign ticket answer",
            &done,
        )
        .await;
    let unknown_ticket = (0..)
        .map(|attempt| ticket_for("no-such-complaint", attempt))
        .find(|t| t != owner_ticket)
        .expect("another ticket");
    let unknown = chat
        .text(
            &format!("cek {unknown_ticket}"),
            "unknown ticket answer",
            &done,
        )
        .await;
    assert_eq!(foreign.len(), 1, "{}", describe(&foreign));
    assert_eq!(unknown.len(), 1, "{}", describe(&unknown));
    assert_eq!(text_of(&foreign[0]), ct::TICKET_NOT_FOUND);
    assert_eq!(text_of(&foreign[0]), text_of(&unknown[0]));
    assert_eq!(foreign[0]["interactive"], unknown[0]["interactive"]);
    assert!(!text_of(&foreign[0]).contains(owner_ticket));

    let list = chat
        .text("cek aduan", "own list", last_text_contains("belum pernah"))
        .await;
    assert_eq!(text_of(&list[0]), ct::NO_COMPLAINTS);
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[test]
fn the_photo_encoding_is_standard_base64() {
    // RFC 4648 §10, and the smallest JPEG the simulator takes.
    for (bytes, encoded) in [
        (&b""[..], ""),
        (b"f", "Zg=="),
        (b"fo", "Zm8="),
        (b"foo", "Zm9v"),
        (b"foobar", "Zm9vYmFy"),
        (
            &[
                0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00, 0x01, 0x01, 0x00,
                0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0xFF, 0xD9,
            ],
            "/9j/4AAQSkZJRgABAQAAAQABAAD/2Q==",
        ),
    ] {
        assert_eq!(base64(bytes), encoded);
    }
}

#[tokio::test]
async fn complaint_forms_tracking_and_withdrawal_through_prolink_serve() {
    let site = Site::start();
    let (ticket, anonim, no_location, rahasia, ()) = tokio::join!(
        with_pin(&site, "6281299000001"),
        with_typed_address_then_withdrawn(&site, "6281299000002"),
        skipped_location_and_cancel(&site, "6281299000003"),
        emergency_mid_form(&site, "6281299000004"),
        consent_declined(&site, "6281299000005"),
    );
    // Other categories, no place, another kelurahan: nothing to follow.
    assert_no_duplicate(&site, "6281299000002", &anonim).await;
    assert_no_duplicate(&site, "6281299000003", &no_location).await;
    assert_no_duplicate(&site, "6281299000004", &rahasia).await;
    assert!(
        distance_m(
            (SDN_JATI.latitude, SDN_JATI.longitude),
            (WONOASIH.latitude, WONOASIH.longitude)
        ) > 10.0 * DUPLICATE_RADIUS_M
    );

    duplicate_followed(&site, &ticket, "6281299000006").await;
    // Following is not sharing: a third citizen still cannot see it.
    tracking_privacy(&site, &ticket, "6281299000005").await;
    // Every citizen's complaints stayed their own.
    assert_eq!(site.complaints_of("6281299000005").await.len(), 0);
    assert_eq!(site.only_complaint_of("6281299000001").await.ticket, ticket);
    assert_no_duplicate(&site, "6281299000001", &ticket).await;
}

/// Text, photo and pin sent back to back at the location question are applied in the order
/// sent; then the *Kirim* tap is redelivered (inside and after the queue's five-minute
/// deduplication window) without a second ticket or a second confirmation.
#[tokio::test]
async fn burst_in_order_and_a_redelivered_kirim_makes_one_ticket() {
    let site = Site::start();
    let user = "6281299000101";
    let mut chat = site.chat(user);
    chat.open_form("jalan-rusak").await;
    chat.text(
        "Jalan ambles di tikungan dekat pasar, lubangnya makin lebar setiap hujan",
        "location question",
        last_is_location_request,
    )
    .await;

    let photo = jpeg("jalan ambles dekat pasar");
    chat.send(json!({ "text": TYPED_ADDRESS })).await;
    let accepted = chat.send(photo_payload(&photo)).await;
    chat.send(pin_payload(SDN_JATI)).await;
    let media_id = accepted["media_id"].as_str().expect("media id").to_string();
    let burst = chat.expect("three answers", at_least(3)).await;
    assert_eq!(burst.len(), 3, "{}", describe(&burst));
    assert!(
        text_of(&burst[0]).contains(&ct::photos_ask(0)),
        "address first: {}",
        describe(&burst)
    );
    assert!(
        text_of(&burst[1]).contains(&ct::photos_ask(1)),
        "then the photo: {}",
        describe(&burst)
    );
    assert!(
        text_of(&burst[2]).contains(&ct::photos_ask(1)),
        "then the pin: {}",
        describe(&burst)
    );

    let (ticket, kirim_wamid, summary) = chat.finish(ct::ids::PRIVACY_BIASA).await;
    assert!(any_text(&summary, "1 foto"), "{}", describe(&summary));
    let stored = site.only_complaint_of(user).await;
    assert_eq!(stored.ticket, ticket);
    let photos: Vec<&str> = stored.photos.iter().map(|p| p.media_id.as_str()).collect();
    assert_eq!(photos, vec![media_id.as_str()]);
    assert!(
        matches!(stored.location, Some(ComplaintLocation::Pin { latitude, .. }) if (latitude - SDN_JATI.latitude).abs() < 1e-9),
        "the last location sent (the pin) wins over the typed address: {:?}",
        stored.location
    );
    // The worker's writes (the photo's copy) come first, so that whatever changes below
    // could only come from the redeliveries.
    let before = site.settled(&ticket).await;
    site.assert_worked_off(&before, &[(&media_id, &photo)])
        .await;

    let redelivery = button_reply_payload(user, &kirim_wamid, ct::ids::SUBMIT, ct::titles::SUBMIT);
    for _ in 0..3 {
        assert_eq!(post_signed(&site, redelivery.clone()).await, 200);
    }
    // The citizen's messages are answered in order: once "cek aduan" is answered, the
    // redeliveries queued before it have been handled.
    let list_done = |replies: &[Value]| {
        replies
            .last()
            .is_some_and(|last| last["interactive"]["type"] == "list")
    };
    let after = chat.text("cek aduan", "complaint list", list_done).await;
    assert_eq!(after.len(), 1, "nothing but the list: {}", describe(&after));
    assert_eq!(
        row_ids(&after[0]),
        vec![format!("{}{ticket}", ct::ids::TRACK_PREFIX)]
    );

    // Past the queue's deduplication window only the worker's done-marks stand guard.
    let advanced = site
        .client
        .post(format!("{}/simulator/api/clock", site.server.base))
        .json(&json!({ "advance_minutes": 6 }))
        .send()
        .await
        .expect("clock");
    assert_eq!(advanced.status(), 200);
    assert_eq!(post_signed(&site, redelivery).await, 200);
    let after = chat.text("cek aduan", "complaint list", list_done).await;
    assert_eq!(after.len(), 1, "nothing but the list: {}", describe(&after));

    // Control: the same hand-built tap under a new wamid is a new message and is answered,
    // which shows the redeliveries above were read and then recognised, not ignored as junk.
    let fresh = button_reply_payload(
        user,
        &format!("{kirim_wamid}.NEW"),
        ct::ids::SUBMIT,
        ct::titles::SUBMIT,
    );
    assert_eq!(post_signed(&site, fresh).await, 200);
    let answer = chat.expect("an answer to the new tap", at_least(1)).await;
    assert!(
        !any_text(&answer, "Nomor tiket"),
        "a tap on an old summary does not submit again: {}",
        describe(&answer)
    );

    let all = replies_for(&site.client, &site.server.base, user).await;
    let confirmations = all
        .iter()
        .filter(|reply| text_of(reply).contains("Nomor tiket"))
        .count();
    assert_eq!(confirmations, 1, "{}", describe(&all));
    let after = site.only_complaint_of(user).await;
    let created: Vec<&str> = after
        .events
        .iter()
        .filter(|event| event.from.is_none())
        .map(|event| event.id.as_str())
        .collect();
    assert_eq!(
        created,
        vec![format!("submit.{kirim_wamid}")],
        "one creation: {after:#?}"
    );
    assert_eq!(after.events, before.events, "no event added");
    assert_eq!(after, before, "never written again");
    site.assert_worked_off(&after, &[(&media_id, &photo)]).await;
}
