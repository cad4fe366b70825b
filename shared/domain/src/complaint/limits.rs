//! How far one complaint record may grow. The lowest layer of the complaint rules besides
//! the model: the transition checks (`lifecycle`), the SLA points (`sla`), ratings and
//! duplicates all stop at these, so they live below every one of them.

/// Notes longer than this are refused (they go into WhatsApp messages of ≤ 4096 characters).
pub const NOTE_MAX_CHARS: usize = 1000;
/// Photos a complaint keeps at most (the form takes 3; additions may bring more).
pub const MAX_PHOTOS: usize = 10;
/// The timeline is stored inside the complaint record; past this many events further
/// changes are refused rather than growing the record towards DynamoDB's 400 KB item limit.
pub const MAX_EVENTS: usize = 200;
/// Citizens' additions are refused from this many events on (see `lifecycle::add_info`).
pub const CITIZEN_INFO_UNTIL_EVENTS: usize = 180;
/// Longest rating comment accepted; longer ones are refused, never cut silently.
pub const COMMENT_MAX_CHARS: usize = 500;
