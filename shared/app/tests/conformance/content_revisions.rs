//! Content revisions (the operator API's content history): append-only, one winner per
//! number, listed newest first with a cursor, each restorable with its whole bundle.

use std::sync::Arc;

use prolink_app::ports::{
    ContentAction, ContentRevision, ContentRevisions, PageRequest, PortError, RevisionSummary,
};
use prolink_domain::content::ContentBundle;

fn revision(number: u64, bundle: &ContentBundle) -> ContentRevision {
    ContentRevision {
        summary: RevisionSummary {
            number,
            at_ms: 1_780_000_000_000 + i64::try_from(number).unwrap_or(0),
            actor: "ani".into(),
            action: if number == 3 {
                ContentAction::Restore
            } else {
                ContentAction::Update
            },
            kind: (number != 3).then(|| "faq".to_string()),
            entry_id: (number != 3).then(|| "umum.tentang-prolink-sakti".to_string()),
            restored_from: (number == 3).then_some(1),
        },
        bundle: bundle.clone(),
    }
}

fn page(limit: usize, after: Option<String>) -> PageRequest {
    PageRequest { limit, after }
}

pub async fn run_content_revisions_suite(revisions: Arc<dyn ContentRevisions>) {
    let seed = prolink_app::content_import::embedded_seed().expect("seed");
    let mut changed = seed.clone();
    changed.faqs[0].answer = "Jawaban baru dari revisi dua.".into();
    changed.faqs[0].verified_by = Some("ani".into());

    let empty = revisions
        .list_revisions(&page(10, None))
        .await
        .expect("list");
    assert!(empty.items.is_empty() && empty.next.is_none());
    assert_eq!(revisions.get_revision(1).await.expect("get"), None);

    for (number, bundle) in [(1, &seed), (2, &changed), (3, &seed)] {
        revisions
            .append_revision(&revision(number, bundle))
            .await
            .expect("append");
    }
    // Two operators on the same version: the second loses, the first stays.
    let lost = revisions.append_revision(&revision(2, &seed)).await;
    assert!(matches!(lost, Err(PortError::Conflict(_))), "{lost:?}");
    assert!(revisions
        .append_revision(&revision(0, &seed))
        .await
        .is_err());

    let first = revisions
        .list_revisions(&page(2, None))
        .await
        .expect("list");
    let numbers: Vec<u64> = first.items.iter().map(|r| r.number).collect();
    assert_eq!(numbers, [3, 2]);
    assert_eq!(first.items[0], revision(3, &seed).summary);
    let rest = revisions
        .list_revisions(&page(2, first.next.clone()))
        .await
        .expect("next page");
    assert_eq!(rest.items.iter().map(|r| r.number).collect::<Vec<_>>(), [1]);
    assert!(rest.next.is_none());
    let exact = revisions
        .list_revisions(&page(3, None))
        .await
        .expect("list");
    assert_eq!(exact.items.len(), 3);
    assert!(exact.next.is_none(), "no empty last page");

    let two = revisions.get_revision(2).await.expect("get").expect("two");
    assert_eq!(
        two,
        revision(2, &changed),
        "the bundle with the lost append's changes absent"
    );
    assert_eq!(revisions.get_revision(4).await.expect("get"), None);
    assert!(matches!(
        revisions
            .list_revisions(&page(2, Some("not-a-number".into())))
            .await,
        Err(PortError::Invalid(_))
    ));
}
