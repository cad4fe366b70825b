//! What the simulator builds from a citizen's action: the checked request, Meta's message
//! and webhook JSON, the status webhooks, stored media.

use super::*;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendRequest {
    pub from: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub reply: Option<ReplyTap>,
    #[serde(default)]
    pub location: Option<LocationShare>,
    #[serde(default)]
    pub image: Option<MediaUpload>,
    #[serde(default)]
    pub document: Option<MediaUpload>,
    /// Quotes an earlier message (the wamid of a bot message).
    #[serde(default)]
    pub context: Option<QuotedMessage>,
}

#[derive(Debug, Deserialize)]
pub struct ReplyTap {
    /// `list` (a row), `button` (a reply button) or `template` (a template's quick reply).
    pub kind: String,
    /// Row/button id; for `template`, the button's payload.
    pub id: String,
    #[serde(default)]
    pub title: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct LocationShare {
    pub latitude: f64,
    pub longitude: f64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaUpload {
    pub data_base64: String,
    pub mime_type: String,
    #[serde(default)]
    pub caption: Option<String>,
    /// Documents only.
    #[serde(default)]
    pub filename: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotedMessage {
    pub message_id: String,
}

/// A file checked and stored for a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMedia {
    pub kind: MediaKind,
    pub media_id: String,
    pub mime_type: String,
    pub sha256: String,
    pub caption: Option<String>,
    pub filename: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Image,
    Document,
}

impl MediaKind {
    fn as_str(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Document => "document",
        }
    }
}

pub(super) fn check_sender(request: &SendRequest) -> Result<(), String> {
    let from = request.from.trim();
    if from.len() < 6 || from.len() > 20 || !from.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err("Nomor pengirim harus berupa 6–20 angka, contoh 6281234567890.".into());
    }
    if let Some(user_id) = &request.user_id {
        if !valid_user_id(user_id) {
            return Err("user_id harus berbentuk kode negara, titik, lalu huruf/angka, contoh ID.1830495827364019283.".into());
        }
    }
    if let Some(name) = &request.name {
        if name.chars().count() > 100 {
            return Err("Nama terlalu panjang (maksimal 100 karakter).".into());
        }
    }
    let chosen = [
        request.text.is_some(),
        request.reply.is_some(),
        request.location.is_some(),
        request.image.is_some(),
        request.document.is_some(),
    ]
    .iter()
    .filter(|present| **present)
    .count();
    if chosen != 1 {
        return Err("Kirim tepat satu dari: text, reply, location, image, atau document.".into());
    }
    if let Some(context) = &request.context {
        let id = context.message_id.trim();
        if id.is_empty() || id.chars().count() > 256 {
            return Err("context.message_id harus diisi (maksimal 256 karakter).".into());
        }
    }
    Ok(())
}

pub(super) fn valid_user_id(user_id: &str) -> bool {
    user_id.len() <= 131
        && user_id.split_once('.').is_some_and(|(country, rest)| {
            country.len() == 2
                && country.bytes().all(|byte| byte.is_ascii_uppercase())
                && !rest.is_empty()
                && rest.bytes().all(|byte| byte.is_ascii_alphanumeric())
        })
}

/// Checks a simulated message and turns it into the `messages[]` element Meta would send.
/// `media` is the stored file of an `image`/`document` request.
pub fn message_json(
    request: &SendRequest,
    wamid: &str,
    timestamp_secs: i64,
    media: Option<&StoredMedia>,
) -> Result<Value, String> {
    check_sender(request)?;
    let mut message = json!({
        "from": request.from.trim(),
        "id": wamid,
        "timestamp": timestamp_secs.to_string(),
    });
    if let Some(user_id) = &request.user_id {
        message["from_user_id"] = json!(user_id);
    }
    if let Some(context) = &request.context {
        message["context"] = json!({
            "from": SIMULATOR_DISPLAY_NUMBER,
            "id": context.message_id.trim(),
        });
    }
    if let Some(text) = &request.text {
        if text.trim().is_empty() {
            return Err("Pesan tidak boleh kosong.".into());
        }
        if text.chars().count() > 4096 {
            return Err("Pesan terlalu panjang (maksimal 4096 karakter).".into());
        }
        message["type"] = json!("text");
        message["text"] = json!({ "body": text });
    } else if let Some(reply) = &request.reply {
        if reply.id.is_empty() || reply.id.chars().count() > 256 {
            return Err("id pilihan harus diisi (maksimal 256 karakter).".into());
        }
        let title = reply.title.clone().unwrap_or_default();
        match reply.kind.as_str() {
            "list" | "button" => {
                let kind = if reply.kind == "list" {
                    "list_reply"
                } else {
                    "button_reply"
                };
                message["type"] = json!("interactive");
                message["interactive"] =
                    json!({ "type": kind, kind: { "id": reply.id, "title": title } });
            }
            "template" => {
                message["type"] = json!("button");
                message["button"] = json!({ "payload": reply.id, "text": title });
            }
            _ => return Err("reply.kind harus \"list\", \"button\", atau \"template\".".into()),
        }
    } else if let Some(location) = &request.location {
        if !(-90.0..=90.0).contains(&location.latitude)
            || !(-180.0..=180.0).contains(&location.longitude)
        {
            return Err("Koordinat lokasi tidak valid.".into());
        }
        let mut body = json!({ "latitude": location.latitude, "longitude": location.longitude });
        if let Some(name) = &location.name {
            body["name"] = json!(name);
        }
        if let Some(address) = &location.address {
            body["address"] = json!(address);
        }
        message["type"] = json!("location");
        message["location"] = body;
    } else {
        let Some(media) = media else {
            return Err("Berkas belum tersimpan.".into());
        };
        let mut body = json!({
            "id": media.media_id,
            "mime_type": media.mime_type,
            "sha256": media.sha256,
        });
        if let Some(caption) = &media.caption {
            body["caption"] = json!(caption);
        }
        if let Some(filename) = &media.filename {
            body["filename"] = json!(filename);
        }
        message["type"] = json!(media.kind.as_str());
        message[media.kind.as_str()] = body;
    }
    Ok(message)
}

/// The full webhook envelope around one simulated message.
pub fn webhook_payload(request: &SendRequest, message: Value, phone_number_id: &str) -> Value {
    let name: String = request
        .name
        .as_deref()
        .unwrap_or("Warga Simulator")
        .chars()
        .take(100)
        .collect();
    let mut contact = json!({ "profile": { "name": name }, "wa_id": request.from.trim() });
    if let Some(user_id) = &request.user_id {
        contact["user_id"] = json!(user_id);
    }
    envelope(
        phone_number_id,
        json!({ "contacts": [contact], "messages": [message] }),
    )
}

pub(super) fn envelope(phone_number_id: &str, mut value: Value) -> Value {
    value["messaging_product"] = json!("whatsapp");
    value["metadata"] = json!({
        "display_phone_number": SIMULATOR_DISPLAY_NUMBER,
        "phone_number_id": phone_number_id,
    });
    json!({
        "object": "whatsapp_business_account",
        "entry": [{
            "id": SIMULATOR_WABA_ID,
            "changes": [{ "field": "messages", "value": value }]
        }]
    })
}

/// One entry of `statuses[]` for a bot message, as Meta reports it.
pub fn status_json(due: &StatusDue, status: &str, timestamp_secs: i64) -> Value {
    let mut entry = json!({
        "id": due.wamid,
        "status": status,
        "timestamp": timestamp_secs.to_string(),
        "biz_opaque_callback_data": due.outbox_id,
    });
    if let Some(digits) = &due.to_digits {
        entry["recipient_id"] = json!(digits);
    }
    if let Some(recipient) = &due.recipient {
        entry["recipient_user_id"] = json!(recipient);
    }
    if status == "sent" {
        let (kind, category) = if due.kind == "template" {
            ("regular", "utility")
        } else {
            ("free_customer_service", "service")
        };
        entry["pricing"] = json!({
            "billable": kind == "regular",
            "pricing_model": "PMP",
            "type": kind,
            "category": category,
        });
    }
    entry
}

/// Decodes, checks and describes a file against WhatsApp's rules (types, sizes, content that
/// matches the declared type). Returns the bytes and the media record to store.
pub fn check_media(
    kind: MediaKind,
    upload: &MediaUpload,
    media_id: &str,
    now_ms: i64,
) -> Result<(MediaFile, StoredMedia), SimulatorError> {
    let mime_type = upload.mime_type.trim().to_ascii_lowercase();
    let data = base64::engine::general_purpose::STANDARD
        .decode(upload.data_base64.trim())
        .map_err(|_| invalid("Isi berkas harus berupa base64 yang valid."))?;
    if data.is_empty() {
        return Err(invalid("Berkas kosong tidak dapat dikirim."));
    }
    match kind {
        MediaKind::Image => {
            let matches = match mime_type.as_str() {
                "image/jpeg" => data.starts_with(&[0xFF, 0xD8, 0xFF]),
                "image/png" => data.starts_with(b"\x89PNG\r\n\x1a\n"),
                _ => {
                    return Err(invalid(
                        "WhatsApp hanya menerima gambar JPEG atau PNG (image/jpeg, image/png).",
                    ))
                }
            };
            if !matches {
                return Err(invalid(
                    "Isi berkas tidak sesuai dengan jenis gambarnya (JPEG/PNG).",
                ));
            }
            if data.len() > MAX_IMAGE_BYTES {
                return Err(SimulatorError::TooLarge(
                    "Gambar terlalu besar: WhatsApp membatasi gambar hingga 5 MB.".into(),
                ));
            }
        }
        MediaKind::Document => {
            if !DOCUMENT_MIME_TYPES.contains(&mime_type.as_str()) {
                return Err(invalid(
                    "Jenis dokumen tidak didukung WhatsApp. Gunakan PDF, TXT, DOC/DOCX, XLS/XLSX, atau PPT/PPTX.",
                ));
            }
            if mime_type == "application/pdf" && !data.starts_with(b"%PDF") {
                return Err(invalid("Isi berkas bukan PDF yang valid."));
            }
            if data.len() > MAX_DOCUMENT_BYTES {
                return Err(SimulatorError::TooLarge(
                    "Dokumen terlalu besar untuk simulator (maksimal 16 MB; WhatsApp sendiri menerima hingga 100 MB)."
                        .into(),
                ));
            }
        }
    }
    let caption = upload
        .caption
        .as_deref()
        .map(str::trim)
        .filter(|caption| !caption.is_empty())
        .map(str::to_owned);
    if caption
        .as_deref()
        .is_some_and(|caption| caption.chars().count() > MAX_CAPTION_CHARS)
    {
        return Err(invalid(
            "Keterangan terlalu panjang (maksimal 1024 karakter).",
        ));
    }
    let filename = match kind {
        MediaKind::Image => None,
        MediaKind::Document => {
            let name = upload
                .filename
                .as_deref()
                .map(str::trim)
                .filter(|name| !name.is_empty())
                .unwrap_or("dokumen");
            if name.chars().count() > 240 || name.contains(['/', '\\']) {
                return Err(invalid(
                    "Nama berkas tidak valid (tanpa garis miring, maksimal 240 karakter).",
                ));
            }
            Some(name.to_owned())
        }
    };
    let sha256 = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(&data));
    let file_size = i64::try_from(data.len()).map_err(|_| invalid("Berkas terlalu besar."))?;
    let file = MediaFile {
        media_id: media_id.to_owned(),
        mime_type: mime_type.clone(),
        sha256: sha256.clone(),
        file_size,
        filename: filename.clone(),
        created_ms: now_ms,
        data,
    };
    let stored = StoredMedia {
        kind,
        media_id: media_id.to_owned(),
        mime_type,
        sha256,
        caption,
        filename,
    };
    Ok((file, stored))
}

pub(super) fn new_media_id() -> String {
    // Meta's media ids are long decimal numbers.
    rand::rng()
        .random_range(1_000_000_000_000_000u64..10_000_000_000_000_000u64)
        .to_string()
}
