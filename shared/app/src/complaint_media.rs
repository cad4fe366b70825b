//! Copies one complaint photo from WhatsApp to private storage, before Meta's media id expires
//! (7 days).
//!
//! Safe to run again for the same photo: the blob key is derived from the ticket and the media
//! id, and a photo that already has a `stored_key` is not fetched again. Only that photo of the
//! complaint is changed, with the versioned write, re-reading on a lost race, so a concurrent
//! change of the complaint (an operator's, the citizen's) is kept.

use prolink_domain::complaint::{Complaint, Photo};

use crate::ports::{BlobStore, ComplaintStore, MediaError, MediaSource, PortError, PortResult};

/// Re-reads after a lost conditional write, before giving up with `PortError::Conflict`.
pub const MAX_CONFLICT_RETRIES: usize = 5;

/// `fetch_error` texts (operators read them; the worker asks the citizen to send again).
pub const REASON_GONE: &str =
    "Foto sudah tidak tersedia di WhatsApp (kedaluwarsa atau tidak ditemukan).";
pub const REASON_GAVE_UP: &str =
    "Foto gagal diunduh dari WhatsApp setelah beberapa kali percobaan.";
pub const REASON_NO_COMPLAINT: &str = "aduan tidak ada";
pub const REASON_NO_PHOTO: &str = "foto tidak ada pada aduan";

/// What became of one photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaCopy {
    /// Copied now; the complaint's photo has `stored_key = key`.
    Stored { key: String },
    /// Copied before (by an earlier run or another worker); nothing was fetched.
    AlreadyStored { key: String },
    /// Will never be stored. When the photo exists, its `fetch_error` holds `reason` (the
    /// citizen should be asked to send it again); an unknown ticket or photo is reported with
    /// [`REASON_NO_COMPLAINT`]/[`REASON_NO_PHOTO`] and nothing is marked.
    Failed { reason: String },
    /// A temporary problem and not the final attempt: nothing was marked, try again later.
    Retry { reason: String },
}

/// The blob key of a photo: `complaints/<ticket>/<media_id>.<jpg|png>`; `None` for a type
/// other than JPEG/PNG.
pub fn photo_key(ticket: &str, media_id: &str, mime_type: &str) -> Option<String> {
    let essence = mime_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let extension = match essence.as_str() {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        _ => return None,
    };
    Some(format!("complaints/{ticket}/{media_id}.{extension}"))
}

/// Ticket and media id become path segments of the key.
fn safe_segment(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 128
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Copies the photo `media_id` of complaint `ticket` to `blobs`. `Err` only for complaint
/// store trouble (the caller retries the task); media and blob problems are in the outcome.
/// A temporary problem on the `final_attempt` is marked on the photo like a permanent one.
pub async fn copy_photo(
    complaints: &dyn ComplaintStore,
    source: &dyn MediaSource,
    blobs: &dyn BlobStore,
    ticket: &str,
    media_id: &str,
    final_attempt: bool,
) -> PortResult<MediaCopy> {
    let Some(complaint) = complaints.get_complaint(ticket).await? else {
        return Ok(failed(REASON_NO_COMPLAINT));
    };
    let Some(photo) = find_photo(&complaint, media_id) else {
        return Ok(failed(REASON_NO_PHOTO));
    };
    if let Some(key) = &photo.stored_key {
        return Ok(MediaCopy::AlreadyStored { key: key.clone() });
    }
    if let Some(reason) = &photo.fetch_error {
        return Ok(failed(reason));
    }
    if !safe_segment(ticket) || !safe_segment(media_id) {
        tracing::warn!(ticket, media_id, "photo id not usable in a storage key");
        let reason = "Foto ditolak: id media tidak valid.".to_owned();
        return mark_failed(complaints, complaint, media_id, reason).await;
    }
    let expected_sha256 = photo.sha256.clone();

    let media = match source.fetch(media_id, expected_sha256.as_deref()).await {
        Ok(media) => media,
        Err(error) => {
            tracing::warn!(ticket, media_id, %error, final_attempt, "photo download failed");
            let reason = match error {
                MediaError::Gone(_) => REASON_GONE.to_owned(),
                MediaError::Rejected(detail) => format!("Foto ditolak: {detail}."),
                MediaError::Transient(detail) if !final_attempt => {
                    return Ok(MediaCopy::Retry { reason: detail });
                }
                MediaError::Transient(_) => REASON_GAVE_UP.to_owned(),
            };
            return mark_failed(complaints, complaint, media_id, reason).await;
        }
    };
    let Some(key) = photo_key(ticket, media_id, &media.mime_type) else {
        let reason = format!(
            "Foto ditolak: jenis berkas {} tidak didukung (hanya JPEG atau PNG).",
            media.mime_type
        );
        return mark_failed(complaints, complaint, media_id, reason).await;
    };
    if let Err(error) = blobs.put_blob(&key, media.bytes, &media.mime_type).await {
        tracing::warn!(ticket, media_id, %error, final_attempt, "photo could not be stored");
        if !final_attempt {
            return Ok(MediaCopy::Retry {
                reason: error.to_string(),
            });
        }
        return mark_failed(complaints, complaint, media_id, REASON_GAVE_UP.to_owned()).await;
    }

    let (mime_type, sha256_hex) = (media.mime_type, media.sha256_hex);
    update_photo(complaints, complaint, media_id, |photo| {
        if let Some(existing) = &photo.stored_key {
            return Step::Done(MediaCopy::AlreadyStored {
                key: existing.clone(),
            });
        }
        photo.stored_key = Some(key.clone());
        photo.sha256 = Some(sha256_hex.clone());
        photo.mime_type = Some(mime_type.clone());
        // Stored after all: an earlier verdict (a race with a failing run) no longer holds.
        photo.fetch_error = None;
        Step::Write(MediaCopy::Stored { key: key.clone() })
    })
    .await
}

fn failed(reason: &str) -> MediaCopy {
    MediaCopy::Failed {
        reason: reason.to_owned(),
    }
}

fn find_photo<'a>(complaint: &'a Complaint, media_id: &str) -> Option<&'a Photo> {
    complaint.photos.iter().find(|p| p.media_id == media_id)
}

async fn mark_failed(
    complaints: &dyn ComplaintStore,
    complaint: Complaint,
    media_id: &str,
    reason: String,
) -> PortResult<MediaCopy> {
    update_photo(complaints, complaint, media_id, |photo| {
        if let Some(key) = &photo.stored_key {
            return Step::Done(MediaCopy::AlreadyStored { key: key.clone() });
        }
        if let Some(existing) = &photo.fetch_error {
            return Step::Done(failed(existing));
        }
        photo.fetch_error = Some(reason.clone());
        Step::Write(failed(&reason))
    })
    .await
}

/// What to do with the photo as currently stored.
enum Step {
    /// Nothing to write; this is the outcome.
    Done(MediaCopy),
    /// The photo was changed: write the complaint, then this is the outcome.
    Write(MediaCopy),
}

/// Applies `change` to the photo and writes the complaint with its version; on a lost race
/// re-reads the complaint and applies `change` again to the fresh copy.
async fn update_photo(
    complaints: &dyn ComplaintStore,
    mut complaint: Complaint,
    media_id: &str,
    mut change: impl FnMut(&mut Photo) -> Step,
) -> PortResult<MediaCopy> {
    let ticket = complaint.ticket.clone();
    let mut retries = 0;
    loop {
        let Some(photo) = complaint.photos.iter_mut().find(|p| p.media_id == media_id) else {
            return Ok(failed(REASON_NO_PHOTO));
        };
        let outcome = match change(photo) {
            Step::Done(outcome) => return Ok(outcome),
            Step::Write(outcome) => outcome,
        };
        match complaints.update_complaint(&complaint).await {
            Ok(_) => return Ok(outcome),
            Err(PortError::Conflict(why)) if retries < MAX_CONFLICT_RETRIES => {
                retries += 1;
                tracing::debug!(ticket, media_id, retries, %why, "complaint changed meanwhile, re-reading");
                match complaints.get_complaint(&ticket).await? {
                    Some(fresh) => complaint = fresh,
                    None => return Ok(failed(REASON_NO_COMPLAINT)),
                }
            }
            Err(error) => return Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_type() {
        assert_eq!(
            photo_key("PS-7K3QX9", "123", "image/jpeg").as_deref(),
            Some("complaints/PS-7K3QX9/123.jpg")
        );
        assert_eq!(
            photo_key("PS-7K3QX9", "123", "IMAGE/PNG; x=y").as_deref(),
            Some("complaints/PS-7K3QX9/123.png")
        );
        assert_eq!(photo_key("PS-7K3QX9", "123", "image/gif"), None);
    }

    #[test]
    fn key_segments_are_plain() {
        assert!(safe_segment("PS-7K3QX9"));
        assert!(safe_segment("1003383421387256"));
        assert!(!safe_segment("../etc"));
        assert!(!safe_segment("a/b"));
        assert!(!safe_segment(""));
    }
}
