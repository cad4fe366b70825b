//! The seed content under `infra/seed`: import, validation rules, paging and rendering.

use std::collections::BTreeMap;

use prolink_app::content_import::load_dir;
use prolink_domain::content::{
    self, known_value, paginate, parse_bundle, says_unverified, service_card, service_card_policy,
    show_unverified_policy, split_message, validate, Channel, ContentBundle, ListKey, ListPage,
    MenuAction, MenuItem, RecordError, RowTarget, Service, BACK_ROW_ID, HELP_CATEGORY, TEXT_LIMIT,
    UNVERIFIED_NOTE,
};

use crate::support::{seed, seed_dir};

fn seed_files() -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(seed_dir()).expect("seed dir") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "json") {
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            files.insert(name, std::fs::read_to_string(&path).expect("read"));
        }
    }
    files
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// An edit of a copy of the seed.
type Edit<'a> = &'a dyn Fn(&mut ContentBundle);

/// Each `(id, reason, edit)`: a copy of the seed with `edit` applied is refused, and among the
/// errors is one for record `id` of `file` whose reason contains `reason`. Every case is tried
/// before the test fails, so one run names all the rules that stopped holding.
#[track_caller]
fn rejects_each(file: &str, cases: &[(&str, &str, Edit)]) {
    let missed: Vec<String> = cases
        .iter()
        .filter_map(|&(id, reason, edit)| {
            let mut bundle = seed();
            edit(&mut bundle);
            let errors = validate(&bundle).err().unwrap_or_default();
            let found = errors
                .iter()
                .any(|e| e.file == file && e.id == id && e.reason.contains(reason));
            (!found).then(|| format!("expected {file} [{id}] '{reason}', got {errors:#?}"))
        })
        .collect();
    assert!(missed.is_empty(), "{}", missed.join("\n"));
}

fn faq_index(b: &ContentBundle, id: &str) -> usize {
    b.faqs.iter().position(|f| f.id == id).expect("faq id")
}

fn faq_mut<'a>(b: &'a mut ContentBundle, id: &str) -> &'a mut content::Faq {
    b.faqs.iter_mut().find(|f| f.id == id).expect("faq id")
}

fn service_mut<'a>(b: &'a mut ContentBundle, id: &str) -> &'a mut Service {
    b.services
        .iter_mut()
        .find(|s| s.id == id)
        .expect("service id")
}

fn category_mut<'a>(b: &'a mut ContentBundle, id: &str) -> &'a mut content::ComplaintCategory {
    b.categories
        .iter_mut()
        .find(|c| c.id == id)
        .expect("category id")
}

fn opd_mut<'a>(b: &'a mut ContentBundle, id: &str) -> &'a mut content::Opd {
    b.opds.iter_mut().find(|o| o.id == id).expect("opd id")
}

fn topic_mut<'a>(b: &'a mut ContentBundle, id: &str) -> &'a mut content::Topic {
    b.topics.iter_mut().find(|t| t.id == id).expect("topic id")
}

fn row_mut<'a>(b: &'a mut ContentBundle, id: &str) -> &'a mut content::MenuRow {
    b.menus
        .menus
        .iter_mut()
        .flat_map(|m| m.rows.iter_mut())
        .find(|r| r.id == id)
        .expect("row id")
}

fn assert_page_limits(page: &ListPage) {
    let rows: Vec<_> = page.rows().collect();
    assert!(!rows.is_empty() && rows.len() <= 10, "{page:?}");
    assert!(page.header.as_deref().map_or(0, chars) <= 60, "{page:?}");
    assert!(chars(&page.body) <= 1024 && !page.body.is_empty());
    assert!(page.footer.as_deref().map_or(0, chars) <= 60, "{page:?}");
    assert!(chars(&page.button) <= 20 && !page.button.is_empty());
    for s in &page.sections {
        assert!(s.title.as_deref().map_or(0, chars) <= 24, "{s:?}");
    }
    for r in rows {
        assert!(!r.title.is_empty() && chars(&r.title) <= 24, "{r:?}");
        assert!(r.description.as_deref().map_or(0, chars) <= 72, "{r:?}");
        assert!(!r.id.is_empty() && chars(&r.id) <= 200, "{r:?}");
        assert!(
            RowTarget::parse(&r.id).is_some(),
            "row id not routable: {r:?}"
        );
    }
}

// ---------------------------------------------------------------- seed

#[test]
fn seed_imports_and_validates_with_zero_errors() {
    let b = seed();
    assert_eq!(validate(&b), Ok(()));
    assert_eq!(b.faqs.len(), 113);
    assert_eq!(b.services.len(), 32);
    assert_eq!(b.categories.len(), 18);
    assert_eq!(b.opds.len(), 29);
    assert_eq!(b.topics.len(), 14);
    assert_eq!(b.holidays.entries.len(), 53);
    assert_eq!(b.menus.menus.len(), 5);
    assert_eq!(
        b.menus.menus.iter().map(|m| m.rows.len()).sum::<usize>(),
        37
    );
    assert_eq!(b.faqs.iter().filter(|f| f.verified).count(), 55);
    let new_year = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("date");
    assert!(b.holidays.is_holiday(new_year));
}

#[test]
fn seed_is_a_byte_copy_of_the_parsed_json_shape() {
    // Every record survives a serialize → parse round trip unchanged (no field silently lost).
    let b = seed();
    let json = serde_json::to_string(&b).expect("serialize");
    let back: ContentBundle = serde_json::from_str(&json).expect("parse");
    assert_eq!(back, b);
    let faq: serde_json::Value = serde_json::from_str(&seed_files()["faq.json"]).expect("faq json");
    let first = serde_json::to_value(&b.faqs[0]).expect("faq value");
    assert_eq!(faq[0], first);
}

#[test]
fn parse_bundle_equals_load_dir() {
    let from_map = parse_bundle(&seed_files()).expect("import");
    assert_eq!(from_map, seed());
}

#[test]
fn warnings_list_long_answers_only_as_warnings() {
    let mut b = seed();
    let i = faq_index(&b, "umum.tentang-prolink-sakti");
    b.faqs[i].answer = "x".repeat(1000);
    assert_eq!(validate(&b), Ok(()));
    let w = content::warnings(&b);
    assert!(w
        .iter()
        .any(|e| e.id == "umum.tentang-prolink-sakti" && e.reason.contains("900")));
}

// ---------------------------------------------------------------- parse errors

#[test]
fn broken_json_names_the_file_and_loads_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    for (name, text) in seed_files() {
        let text = if name == "topics.json" {
            text.replacen('}', "", 1)
        } else {
            text
        };
        std::fs::write(tmp.path().join(name), text).expect("write");
    }
    let report = load_dir(tmp.path()).expect_err("must fail");
    let topics: Vec<&RecordError> = report
        .errors
        .iter()
        .filter(|e| e.file == "topics.json")
        .collect();
    assert_eq!(topics.len(), 1, "{report}");
    assert!(topics[0].reason.starts_with("JSON tidak valid"), "{report}");
    // The other files are still checked; only references to topics are skipped.
    assert!(
        report.errors.iter().all(|e| e.file == "topics.json"),
        "{report}"
    );
    assert!(report.to_string().contains("topics.json"));
}

#[test]
fn missing_field_and_bad_type_name_record_and_field() {
    let mut files = seed_files();
    let mut faq: serde_json::Value = serde_json::from_str(&files["faq.json"]).expect("json");
    faq[3].as_object_mut().expect("obj").remove("title");
    faq[5]["verified"] = serde_json::json!("ya");
    let id3 = faq[3]["id"].as_str().expect("id").to_string();
    let id5 = faq[5]["id"].as_str().expect("id").to_string();
    files.insert("faq.json".into(), faq.to_string());
    let mut cats: serde_json::Value =
        serde_json::from_str(&files["complaint-categories.json"]).expect("json");
    cats[0]["sla_working_days_resolution"] = serde_json::json!(-2);
    let cat0 = cats[0]["id"].as_str().expect("id").to_string();
    files.insert("complaint-categories.json".into(), cats.to_string());
    let mut hol: serde_json::Value =
        serde_json::from_str(&files["holidays-2025-2026.json"]).expect("json");
    hol["entries"][2]["date"] = serde_json::json!("2025-02-30");
    files.insert("holidays-2025-2026.json".into(), hol.to_string());

    let report = parse_bundle(&files).expect_err("must fail");
    let has = |file: &str, id: &str, reason: &str| {
        report
            .errors
            .iter()
            .any(|e| e.file == file && e.id == id && e.reason.contains(reason))
    };
    assert!(
        has("faq.json", &id3, "kolom wajib `title` tidak ada"),
        "{report}"
    );
    assert!(has("faq.json", &id5, "`verified`"), "{report}");
    assert!(
        has(
            "complaint-categories.json",
            &cat0,
            "sla_working_days_resolution"
        ) && has("complaint-categories.json", &cat0, "≥ 0"),
        "{report}"
    );
    assert!(
        has("holidays-2025-2026.json", "2025-02-30", "`date`"),
        "{report}"
    );
}

#[test]
fn unknown_menu_action_is_rejected_with_the_row_id() {
    let mut files = seed_files();
    let mut menus: serde_json::Value = serde_json::from_str(&files["menus.json"]).expect("json");
    menus["menus"][0]["rows"][2]["action"] = serde_json::json!({"type": "teleport"});
    menus["menus"][0]["rows"][3]["action"] =
        serde_json::json!({"type": "complaint_list", "menu": "main"});
    files.insert("menus.json".into(), menus.to_string());
    let report = parse_bundle(&files).expect_err("must fail");
    assert!(
        report.errors.iter().any(|e| e.file == "menus.json"
            && e.id == "menu.aduan"
            && e.reason.contains("jenis aksi `teleport` tidak dikenal")),
        "{report}"
    );
    assert!(
        report.errors.iter().any(|e| e.file == "menus.json"
            && e.id == "menu.cek-aduan"
            && e.reason.contains("tidak memakai kolom `menu`")),
        "{report}"
    );
}

#[test]
fn record_rules_still_reported_next_to_parse_errors() {
    let mut files = seed_files();
    files.insert("opds.json".into(), "[".into());
    let mut topics: serde_json::Value = serde_json::from_str(&files["topics.json"]).expect("json");
    topics[0]["name"] = serde_json::json!("Nama topik yang terlalu panjang sekali");
    files.insert("topics.json".into(), topics.to_string());
    let report = parse_bundle(&files).expect_err("must fail");
    assert!(report.errors.iter().any(|e| e.file == "opds.json"));
    assert!(report
        .errors
        .iter()
        .any(|e| e.file == "topics.json" && e.reason.contains("`name` lebih dari 24")));
    // opds.json is broken, so "opd_id not in opds.json" would be noise and is not reported.
    assert!(!report
        .errors
        .iter()
        .any(|e| e.reason.contains("tidak ada di opds.json")));
}

// ---------------------------------------------------------------- validation rules

#[test]
fn faq_rules() {
    let id = "kependudukan.ktp-el-baru";
    rejects_each(
        "faq.json",
        &[
            (id, "`title` lebih dari 24 karakter (34)", &|b| {
                faq_mut(b, id).title = "Syarat membuat KTP-el baru lengkap".into()
            }),
            (id, "`summary` lebih dari 72 karakter (73)", &|b| {
                faq_mut(b, id).summary = "é".repeat(73)
            }),
            (id, "format WhatsApp", &|b| {
                faq_mut(b, id).title = "Syarat *KTP*".into()
            }),
            (id, "emoji", &|b| {
                faq_mut(b, id).summary = "Syarat KTP 🪪".into()
            }),
            (id, "baris baru", &|b| {
                faq_mut(b, id).summary = "Syarat\nKTP".into()
            }),
            (id, "`title` kosong", &|b| {
                faq_mut(b, id).title = "  ".into()
            }),
            (id, "`answer` lebih dari", &|b| {
                faq_mut(b, id).answer = "a".repeat(4096)
            }),
            (id, "`question` kosong", &|b| {
                faq_mut(b, id).question = String::new()
            }),
            (id, "3 sampai 5", &|b| {
                faq_mut(b, id).alt_questions.truncate(2)
            }),
            (id, "awalan id harus sama dengan `category`", &|b| {
                faq_mut(b, id).category = "pajak".into()
            }),
            (
                "transportasi.ktp",
                "tidak ada dalam daftar kategori",
                &|b| {
                    let faq = faq_mut(b, id);
                    faq.id = "transportasi.ktp".into();
                    faq.category = "transportasi".into();
                },
            ),
            (id, "`title` sama dengan FAQ lain", &|b| {
                let shouted = faq_mut(b, id).title.to_uppercase();
                faq_mut(b, "kependudukan.kk-baru-perubahan").title = shouted;
            }),
            (id, "id ganda", &|b| {
                let dup = faq_mut(b, id).clone();
                b.faqs.push(dup);
            }),
            (
                id,
                "`opd_id` `dukcapil-lama` tidak ada di opds.json",
                &|b| faq_mut(b, id).opd_id = "dukcapil-lama".into(),
            ),
            (id, "`opd_ids[0]` harus sama dengan `opd_id`", &|b| {
                faq_mut(b, id).opd_ids = Some(vec!["dinkes".into(), "dispendukcapil".into()])
            }),
            (id, "`nowhere` yang tidak ada di opds.json", &|b| {
                faq_mut(b, id).opd_ids = Some(vec!["dispendukcapil".into(), "nowhere".into()])
            }),
            (id, "topik `Kabar Burung`", &|b| {
                faq_mut(b, id)
                    .answer
                    .push_str("\nPilih topik Kabar Burung agar tahu.")
            }),
        ],
    );
}

#[test]
fn service_rules() {
    let id = "svc.perizinan.nib";
    rejects_each(
        "services.json",
        &[
            (id, "`short_name` lebih dari 24 karakter (26)", &|b| {
                service_mut(b, id).short_name = "Nomor Induk Berusaha (NIB)".into()
            }),
            (id, "id harus berbentuk `svc.kesehatan.<slug>`", &|b| {
                service_mut(b, id).category = "kesehatan".into()
            }),
            (
                "layanan.perizinan.nib",
                "id harus berbentuk `svc.perizinan.<slug>`",
                &|b| service_mut(b, id).id = "layanan.perizinan.nib".into(),
            ),
            (id, "`steps` harus berisi minimal 1", &|b| {
                service_mut(b, id).steps.clear()
            }),
            (id, "http", &|b| {
                service_mut(b, id).online_url = "oss.go.id".into()
            }),
            (id, "`online_url` kosong", &|b| {
                let service = service_mut(b, id);
                service.channel = Channel::Online;
                service.online_url = String::new();
            }),
            (id, "`opd_id` `bkpm` tidak ada", &|b| {
                service_mut(b, id).opd_id = "bkpm".into()
            }),
        ],
    );
}

#[test]
fn complaint_category_rules() {
    let id = "jalan-rusak";
    rejects_each(
        "complaint-categories.json",
        &[
            (id, "`short_name` lebih dari 24", &|b| {
                category_mut(b, id).short_name = "Jalan rusak dan berlubang parah".into()
            }),
            (
                id,
                "`short_description` lebih dari 72 karakter (80)",
                &|b| category_mut(b, id).short_description = "x".repeat(80),
            ),
            (id, "harus ber-SLA 0", &|b| {
                category_mut(b, id).emergency = true
            }),
            ("", "tepat satu kategori", &|b| {
                category_mut(b, id).emergency = true
            }),
            (id, "0 hanya untuk kategori darurat", &|b| {
                category_mut(b, id).sla_working_days_resolution = 0
            }),
            (id, "`sla_working_days_response` (20) lebih dari", &|b| {
                category_mut(b, id).sla_working_days_response = 20
            }),
            ("darurat-112", "SP4N-LAPOR!", &|b| {
                let i = b.categories.iter().position(|c| c.emergency).expect("112");
                b.categories[i].forward_to_lapor = true;
            }),
            (id, "`opd_id` `pu` tidak ada", &|b| {
                category_mut(b, id).opd_id = "pu".into()
            }),
        ],
    );
}

#[test]
fn opd_topic_and_holiday_rules() {
    rejects_each(
        "opds.json",
        &[
            ("damkar", "`parent` `pemadam` tidak ada", &|b| {
                opd_mut(b, "damkar").parent = Some("pemadam".into())
            }),
            ("damkar", "siklus", &|b| {
                opd_mut(b, "satpol-pp").parent = Some("damkar".into())
            }),
            ("dlh", "`short_name` lebih dari 24", &|b| {
                opd_mut(b, "dlh").short_name = "Dinas Lingkungan Hidup Kota".into()
            }),
        ],
    );
    rejects_each(
        "topics.json",
        &[
            ("pajak", "`type` wilayah", &|b| {
                topic_mut(b, "pajak").kind = content::TopicType::Wilayah
            }),
            ("lowongan-kerja", "topik wajib tidak ada", &|b| {
                b.topics.retain(|t| t.id != "lowongan-kerja")
            }),
            ("pajak", "`description` lebih dari 72", &|b| {
                topic_mut(b, "pajak").description = "d".repeat(73)
            }),
        ],
    );
    rejects_each(
        "holidays-*.json",
        &[
            ("2025-01-01", "seharusnya Rabu", &|b| {
                b.holidays.entries[0].day = "Jumat".into()
            }),
            ("2025-01-01", "tanggal ganda", &|b| {
                let dup = b.holidays.entries[0].clone();
                b.holidays.entries.push(dup);
            }),
            (
                "counts",
                "2026 libur_nasional = 17, tetapi `entries` berisi 16",
                &|b| {
                    b.holidays
                        .entries
                        .retain(|e| e.date.to_string() != "2026-01-01")
                },
            ),
        ],
    );
}

#[test]
fn menu_rules() {
    rejects_each(
        "menus.json",
        &[
            ("main", "`header` lebih dari 60", &|b| {
                b.menus.menus[0].header = "h".repeat(61)
            }),
            ("main", "`body` lebih dari 1024", &|b| {
                b.menus.menus[0].body = "b".repeat(1025)
            }),
            ("main", "`footer` lebih dari 60", &|b| {
                b.menus.menus[0].footer = "f".repeat(61)
            }),
            ("main", "`button` lebih dari 20", &|b| {
                b.menus.menus[0].button = "Lihat semua menu utama".into()
            }),
            ("main", "`section_title` lebih dari 24", &|b| {
                b.menus.menus[0].section_title = "Menu Utama PROLINK SAKTI Kota".into()
            }),
            ("menu.info", "`title` lebih dari 24", &|b| {
                row_mut(b, "menu.info").title = "Informasi Publik Pemkot Kota".into()
            }),
            ("menu.info", "`description` lebih dari 72", &|b| {
                row_mut(b, "menu.info").description = "d".repeat(73)
            }),
            ("menu.info", "id ganda", &|b| {
                row_mut(b, "menu.info.wisata").id = "menu.info".into()
            }),
            ("menu.info", "submenu `info-9` tidak ada", &|b| {
                row_mut(b, "menu.info").action = MenuAction::Submenu {
                    menu: "info-9".into(),
                }
            }),
            ("menu.tentang", "FAQ `umum.tidak-ada` tidak ada", &|b| {
                row_mut(b, "menu.tentang").action = MenuAction::Faq {
                    id: "umum.tidak-ada".into(),
                }
            }),
            (
                "menu.info.wisata",
                "kategori FAQ `olahraga` tidak ada",
                &|b| {
                    row_mut(b, "menu.info.wisata").action = MenuAction::FaqCategory {
                        category: "olahraga".into(),
                    }
                },
            ),
            (
                "menu.layanan.darurat",
                "kategori layanan `wisata` tidak ada atau kosong",
                &|b| {
                    row_mut(b, "menu.layanan.darurat").action = MenuAction::ServiceCategory {
                        category: "wisata".into(),
                    }
                },
            ),
            ("", "kategori layanan `darurat` tidak dapat dicapai", &|b| {
                row_mut(b, "menu.layanan.darurat").action = MenuAction::Handoff;
            }),
            ("beranda", "menu `root` tidak ada", &|b| {
                b.menus.root = "beranda".into()
            }),
            ("info-2", "tidak dapat dicapai dari menu utama", &|b| {
                row_mut(b, "menu.info.more").action = MenuAction::Handoff;
            }),
            ("info-1", "1 sampai 10 baris (11)", &|b| {
                let mut extra = b.menus.menus[1].rows[0].clone();
                extra.id = "menu.info.extra".into();
                extra.title = "Tambahan".into();
                b.menus.menus[1].rows.insert(0, extra);
            }),
            ("menu.info.more", "harus menjadi baris terakhir", &|b| {
                b.menus.menus[1].rows.swap(8, 9)
            }),
            (BACK_ROW_ID, "dicadangkan", &|b| {
                row_mut(b, "menu.petugas").id = BACK_ROW_ID.into()
            }),
            ("main", "tidak punya baris `emergency`", &|b| {
                b.menus.menus[0]
                    .rows
                    .retain(|r| r.action != MenuAction::Emergency)
            }),
            ("paging", "`max_rows` harus 2 sampai 10", &|b| {
                b.menus.paging.max_rows = 12
            }),
        ],
    );
}

// ---------------------------------------------------------------- paging and menus

#[test]
fn twelve_items_page_as_nine_plus_more_then_three_plus_back() {
    let b = seed();
    let key = ListKey::FaqCategory("x".into());
    let items: Vec<MenuItem> = (1..=12)
        .map(|i| MenuItem {
            id: format!("faq:x.q-{i}"),
            title: format!("Pertanyaan {i}"),
            description: Some(format!("Ringkasan {i}")),
        })
        .collect();
    let pages = paginate(&key, &items, &b.menus.paging);
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[0].len(), 10);
    assert_eq!(pages[1].len(), 4);
    assert_eq!(pages[0][9].title, "Lainnya ›");
    assert_eq!(pages[0][9].id, "page:faq.x:2");
    assert_eq!(pages[1][3].title, "‹ Menu Utama");
    assert_eq!(pages[1][3].id, BACK_ROW_ID);
    let shown: Vec<&str> = pages
        .iter()
        .flatten()
        .map(|r| r.id.as_str())
        .filter(|id| id.starts_with("faq:"))
        .collect();
    let expected: Vec<&str> = items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(shown, expected);
    // Stable: the same input gives the same ids.
    assert_eq!(paginate(&key, &items, &b.menus.paging), pages);
}

#[test]
fn runtime_lists_from_the_seed_are_paged_within_limits() {
    let b = seed();
    let umum = b.faq_rows("umum");
    assert_eq!(umum.len(), 2, "umum has 12 entries");
    assert_eq!(umum[0].rows().count(), 10);
    assert_eq!(umum[1].rows().count(), 4);
    assert_eq!(
        umum[0].header.as_deref(),
        Some("Seputar PROLINK SAKTI"),
        "headed by the menu row that opened it"
    );
    let complaints = b.complaint_category_rows();
    assert_eq!(complaints.len(), 2);
    assert_eq!(complaints[1].rows().count(), 10, "18 = 9 + 9 + back");
    let topics = b.topic_rows();
    assert_eq!(
        topics.iter().map(|p| p.rows().count()).collect::<Vec<_>>(),
        vec![10, 6]
    );

    let mut keys: Vec<ListKey> = content::FAQ_CATEGORIES
        .iter()
        .flat_map(|c| {
            [
                ListKey::FaqCategory((*c).into()),
                ListKey::ServiceCategory((*c).into()),
            ]
        })
        .collect();
    keys.extend([ListKey::ComplaintCategories, ListKey::Topics]);
    let mut all_ids = std::collections::HashSet::new();
    for key in keys {
        let pages = b.list_pages(&key);
        for (i, page) in pages.iter().enumerate() {
            assert_page_limits(page);
            assert_eq!(b.list_page(&key, i + 1).as_ref(), Some(page));
            for row in page.rows() {
                match RowTarget::parse(&row.id) {
                    Some(RowTarget::Page { key: k, page: n }) => {
                        assert_eq!(k, key);
                        assert_eq!(n, i + 2);
                    }
                    Some(RowTarget::Back) => assert_eq!(i + 1, pages.len()),
                    Some(RowTarget::Faq(id)) => {
                        assert!(b.faq(&id).is_some());
                        assert!(all_ids.insert(row.id.clone()), "duplicate {}", row.id);
                    }
                    Some(RowTarget::Service(id)) => {
                        assert!(b.service(&id).is_some());
                        assert!(all_ids.insert(row.id.clone()), "duplicate {}", row.id);
                    }
                    Some(RowTarget::ComplaintCategory(id)) => {
                        assert!(b.category(&id).is_some());
                        assert!(all_ids.insert(row.id.clone()), "duplicate {}", row.id);
                    }
                    Some(RowTarget::Topic(id)) => {
                        assert!(b.topic(&id).is_some());
                        assert!(all_ids.insert(row.id.clone()), "duplicate {}", row.id);
                    }
                    other => panic!("unexpected row {other:?}"),
                }
            }
        }
        assert_eq!(b.list_page(&key, pages.len() + 1), None);
        assert_eq!(b.list_page(&key, 0), None);
    }
    // Every FAQ, service, complaint category and topic is listed exactly once somewhere.
    assert_eq!(all_ids.len(), 113 + 32 + 18 + 14);
}

#[test]
fn every_menu_of_menus_json_renders_within_limits() {
    let b = seed();
    for m in &b.menus.menus {
        let page = b.menu_page(&m.id).expect("menu");
        assert_page_limits(&page);
        for row in page.rows() {
            assert_eq!(
                RowTarget::parse(&row.id),
                Some(RowTarget::MenuRow(row.id.clone()))
            );
            assert!(b.menu_row(&row.id).is_some());
        }
    }
    let root = b.root_menu().expect("root");
    assert_eq!(root.rows().count(), 8);
    assert_eq!(root.header.as_deref(), Some("PROLINK SAKTI"));
}

// ---------------------------------------------------------------- texts

#[test]
fn unverified_policy_for_faq() {
    let b = seed();
    let verified = b.faqs.iter().find(|f| f.verified).expect("verified");
    // An entry whose answer does not itself say what is being verified gets the note.
    let unverified = b
        .faqs
        .iter()
        .find(|f| !f.verified && f.category != HELP_CATEGORY && !says_unverified(&f.answer))
        .expect("unverified");
    for show in [true, false] {
        assert_eq!(
            show_unverified_policy(verified, &b.opds, show),
            verified.answer
        );
    }
    let shown = show_unverified_policy(unverified, &b.opds, true);
    assert_eq!(shown, format!("{}{}", unverified.answer, UNVERIFIED_NOTE));
    assert!(shown.ends_with("_Informasi ini sedang diverifikasi._"));
    let referral = show_unverified_policy(unverified, &b.opds, false);
    let opd = b.opd(&unverified.opd_id).expect("opd");
    assert!(referral.contains(&opd.name), "{referral}");
    assert!(!referral.contains(&unverified.answer));
    assert!(chars(&referral) <= TEXT_LIMIT);
    // Every FAQ fits one text message under either setting.
    for f in &b.faqs {
        for show in [true, false] {
            assert!(chars(&show_unverified_policy(f, &b.opds, show)) <= TEXT_LIMIT);
        }
    }
}

#[test]
fn unverified_policy_for_service() {
    let b = seed();
    let unverified = b.services.iter().find(|s| !s.verified).expect("unverified");
    let verified = b.services.iter().find(|s| s.verified).expect("verified");
    assert_eq!(
        service_card_policy(verified, &b.opds, false),
        service_card(verified, &b.opds)
    );
    let shown = service_card_policy(unverified, &b.opds, true);
    assert!(shown
        .last()
        .expect("part")
        .ends_with("_Informasi ini sedang diverifikasi._"));
    let hidden = service_card_policy(unverified, &b.opds, false);
    assert_eq!(hidden.len(), 1);
    let opd = b.opd(&unverified.opd_id).expect("opd");
    assert!(hidden[0].contains(&opd.name));
    assert!(!hidden[0].contains("*Persyaratan:*"));
}

/// What a citizen reads from the seed content, under either setting: no placeholder meant
/// for the content team ("Perlu verifikasi"), the verification said at most once per message,
/// and never under the entries about PROLINK SAKTI itself.
#[test]
fn seed_answers_leave_unknown_fields_out_and_say_verification_once() {
    let b = seed();
    let mentions = |text: &str| {
        let lower = text.to_lowercase();
        [
            "sedang kami verifikasi",
            "sedang diverifikasi",
            "masih dalam verifikasi",
        ]
        .iter()
        .map(|p| lower.matches(p).count())
        .sum::<usize>()
    };
    let mut messages: Vec<(String, String)> = Vec::new();
    for show in [true, false] {
        for f in &b.faqs {
            messages.push((f.id.clone(), show_unverified_policy(f, &b.opds, show)));
        }
        for s in &b.services {
            for part in service_card_policy(s, &b.opds, show) {
                messages.push((s.id.clone(), part));
            }
        }
    }
    assert!(messages.len() >= 2 * (b.faqs.len() + b.services.len()));
    for (id, text) in &messages {
        assert!(
            !text.to_lowercase().contains("perlu verifikasi"),
            "{id}: a placeholder reaches the citizen:\n{text}"
        );
        assert!(
            mentions(text) <= 1,
            "{id}: verification said twice:\n{text}"
        );
    }
    let help: Vec<_> = b
        .faqs
        .iter()
        .filter(|f| f.category == HELP_CATEGORY)
        .collect();
    assert!(help.iter().any(|f| f.id == "umum.tentang-prolink-sakti"));
    for f in help {
        for show in [true, false] {
            let text = show_unverified_policy(f, &b.opds, show);
            assert_eq!(text, f.answer, "{}", f.id);
            assert!(!text.contains(UNVERIFIED_NOTE.trim()), "{}", f.id);
        }
    }
}

#[test]
fn all_service_cards_render_within_the_text_limit() {
    let b = seed();
    assert_eq!(b.services.len(), 32);
    for s in &b.services {
        let parts = service_card(s, &b.opds);
        assert!(!parts.is_empty());
        for p in &parts {
            assert!(chars(p) <= TEXT_LIMIT, "{}", s.id);
        }
        let text = parts.join("\n");
        assert!(text.contains(&format!("*{}*", s.name)));
        assert!(text.contains("*Persyaratan:*") && text.contains("*Langkah:*"));
        for (i, step) in s.steps.iter().filter_map(|st| known_value(st)).enumerate() {
            assert!(text.contains(&format!("{}. {step}", i + 1)), "{}", s.id);
        }
        for r in s.requirements.iter().filter_map(|r| known_value(r)) {
            assert!(text.contains(&r), "{}", s.id);
        }
        // Fields are shown without the placeholders nobody has confirmed.
        for (label, value) in [
            ("Biaya", &s.cost),
            ("Lama proses", &s.duration),
            ("Tempat", &s.location),
        ] {
            match known_value(value) {
                Some(known) => assert!(text.contains(&format!("*{label}:* {known}")), "{}", s.id),
                None => assert!(!text.contains(&format!("*{label}:*")), "{}", s.id),
            }
        }
        if !s.online_url.is_empty() {
            assert!(text.contains(&s.online_url));
        }
        let opd = b.opd(&s.opd_id).expect("opd");
        assert!(text.contains(&opd.name));
    }
}

#[test]
fn a_huge_service_splits_into_parts_that_keep_every_line() {
    let b = seed();
    let mut s: Service = b.services[0].clone();
    s.requirements = (1..=200)
        .map(|i| format!("Persyaratan nomor {i:03} yang cukup panjang untuk diuji pemecahannya"))
        .collect();
    s.steps = (1..=40)
        .map(|i| format!("Langkah ke-{i:02} pengurusan"))
        .collect();
    let whole: usize = s.requirements.iter().map(|r| chars(r)).sum();
    assert!(
        whole > 10_000,
        "the synthetic card must exceed 10 000 characters"
    );
    let parts = service_card(&s, &b.opds);
    assert!(parts.len() >= 3, "{}", parts.len());
    for p in &parts {
        assert!(chars(p) <= TEXT_LIMIT);
        assert!(!p.starts_with('\n') && !p.ends_with('\n'));
    }
    let lines: Vec<&str> = parts.iter().flat_map(|p| p.lines()).collect();
    for r in &s.requirements {
        assert_eq!(lines.iter().filter(|l| **l == format!("- {r}")).count(), 1);
    }
    for (i, step) in s.steps.iter().enumerate() {
        assert!(lines.contains(&format!("{}. {step}", i + 1).as_str()));
    }
}

#[test]
fn split_message_keeps_all_text() {
    let text: String = (0..500)
        .map(|i| format!("baris {i} {}", "x".repeat(i % 37)))
        .collect::<Vec<_>>()
        .join("\n");
    let parts = split_message(&text, 300);
    assert!(parts.iter().all(|p| chars(p) <= 300));
    assert_eq!(parts.join("\n"), text);
}
