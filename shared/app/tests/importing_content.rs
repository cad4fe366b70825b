//! Importing the seed into a store: `prolink import` (through `import_dir`) and the first
//! start of `prolink serve` (`ensure_content`), all or nothing.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use prolink_app::content_import::{
    embedded_seed, embedded_seed_files, ensure_content, import_dir, ImportError, ImportSummary,
    SeedSource,
};
use prolink_app::ports::{ContentStore, SystemClock};
use prolink_embedded::sqlite::{SqliteDb, SqliteStore};

use crate::support::{seed, seed_dir};

fn store() -> SqliteStore {
    SqliteStore::new(
        SqliteDb::open_in_memory().expect("open"),
        Arc::new(SystemClock),
    )
}

/// A copy of the seed folder to break.
fn seed_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for entry in std::fs::read_dir(seed_dir()).expect("seed dir") {
        let path = entry.expect("entry").path();
        if path.is_file() {
            std::fs::copy(&path, dir.path().join(path.file_name().expect("name"))).expect("copy");
        }
    }
    dir
}

fn edit_json(path: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json");
    edit(&mut value);
    std::fs::write(path, serde_json::to_string_pretty(&value).expect("json")).expect("write");
}

#[tokio::test]
async fn import_of_the_real_seed_stores_it_whole() {
    let store = store();
    let summary = import_dir(&store, &seed_dir()).await.expect("import");
    let seed = seed();
    assert_eq!(summary, ImportSummary::of(&seed));
    assert_eq!(summary.faqs, seed.faqs.len());
    assert_eq!(summary.holidays, seed.holidays.entries.len());
    assert!(summary.faqs > 0 && summary.services > 0 && summary.categories > 0);
    assert_eq!(store.load_content().await.expect("load"), Some(seed));
}

#[tokio::test]
async fn a_bad_record_is_reported_and_changes_nothing() {
    let store = store();
    import_dir(&store, &seed_dir()).await.expect("first import");
    let before = store.load_content().await.expect("load");

    let broken = seed_copy();
    let mut broken_id = String::new();
    edit_json(&broken.path().join("faq.json"), |faqs| {
        let faq = &mut faqs[2];
        broken_id = faq["id"].as_str().expect("id").to_owned();
        faq["answer"] = serde_json::Value::String(String::new());
    });
    match import_dir(&store, broken.path()).await {
        Err(ImportError::Rejected(report)) => {
            assert!(
                report
                    .errors
                    .iter()
                    .any(|e| e.file == "faq.json" && e.id == broken_id),
                "{report}"
            );
            assert!(report.to_string().contains(&broken_id), "{report}");
        }
        other => panic!("expected a rejected import, got {other:?}"),
    }
    assert_eq!(
        store.load_content().await.expect("load"),
        before,
        "the previous bundle still loads"
    );

    std::fs::remove_file(broken.path().join("menus.json")).expect("remove");
    let error = import_dir(&store, broken.path())
        .await
        .expect_err("missing file");
    let files: BTreeSet<&str> = error
        .record_errors()
        .iter()
        .map(|e| e.file.as_str())
        .collect();
    assert!(files.contains("menus.json"), "{error}");
    assert!(
        files.contains("faq.json"),
        "every bad record is listed: {error}"
    );
    assert_eq!(store.load_content().await.expect("load"), before);
}

#[tokio::test]
async fn a_bad_seed_into_an_empty_store_leaves_it_empty() {
    let store = store();
    let broken = seed_copy();
    edit_json(&broken.path().join("services.json"), |services| {
        services[0]["channel"] = serde_json::Value::String("pos".into());
    });
    assert!(matches!(
        import_dir(&store, broken.path()).await,
        Err(ImportError::Rejected(_))
    ));
    assert_eq!(store.load_content().await.expect("load"), None);
    // A first start does not fall back to the embedded copy when the folder is broken.
    assert!(ensure_content(&store, broken.path()).await.is_err());
    assert_eq!(store.load_content().await.expect("load"), None);
}

#[test]
fn embedded_seed_is_the_seed_folder() {
    let on_disk: BTreeSet<String> = std::fs::read_dir(seed_dir())
        .expect("seed dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json"))
        .collect();
    let embedded: BTreeSet<String> = embedded_seed_files().map(str::to_owned).collect();
    assert_eq!(embedded, on_disk, "every seed file is embedded");
    assert_eq!(embedded_seed().expect("embedded"), seed());
}

#[tokio::test]
async fn first_start_imports_once_from_the_folder_or_the_embedded_copy() {
    let from_folder = store();
    let first = ensure_content(&from_folder, &seed_dir())
        .await
        .expect("ensure")
        .expect("imported");
    assert_eq!(first.source, SeedSource::Dir(seed_dir()));
    assert_eq!(first.summary, ImportSummary::of(&seed()));
    assert_eq!(
        ensure_content(&from_folder, &seed_dir())
            .await
            .expect("ensure"),
        None,
        "content present: nothing imported"
    );

    let missing = tempfile::tempdir().expect("tempdir");
    let embedded = store();
    let first = ensure_content(&embedded, &missing.path().join("infra/seed"))
        .await
        .expect("ensure")
        .expect("imported");
    assert_eq!(first.source, SeedSource::Embedded);
    assert_eq!(embedded.load_content().await.expect("load"), Some(seed()));

    // A later import is kept over the seed on the next start.
    let mut edited = seed();
    edited.faqs.truncate(3);
    embedded.replace_content(&edited).await.expect("replace");
    assert_eq!(
        ensure_content(&embedded, &seed_dir())
            .await
            .expect("ensure"),
        None
    );
    assert_eq!(embedded.load_content().await.expect("load"), Some(edited));
}

#[tokio::test]
async fn serve_imports_on_an_empty_store_and_reports_the_count() {
    let store = store();
    // Tests run in the crate folder, which has no infra/seed: the embedded copy is used.
    let imported = prolink_embedded::serve::ensure_content(&store)
        .await
        .expect("ensure");
    assert_eq!(imported, ImportSummary::of(&seed()).total());
    assert_eq!(
        prolink_embedded::serve::ensure_content(&store)
            .await
            .expect("again"),
        0
    );
}
