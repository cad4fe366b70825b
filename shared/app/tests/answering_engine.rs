//! The answering engine: normalisation, PII masking, lexicon, typo repair, stemming, intents,
//! decision thresholds, the JSON-lines interface, the evaluation harness (with the dev-set
//! targets) and the guard of the optional rephrasing step.
//!
//! Every example message here was written for these tests; none is copied from the dev set.

use std::{path::PathBuf, sync::OnceLock};

use async_trait::async_trait;

use prolink_app::answering;
use prolink_app::ports::Rephraser;
use prolink_app::rephrasing::rephrase_or_verbatim;
use prolink_domain::nlp::{
    lexicon::Lexicon,
    rephrase::{self, guard, parse_reply, GuardViolation, RephraseError, Rephrased, SourcePassage},
    text::{mask_pii, tokenize},
    AnswerKind, Decision, Engine, KbCategory, KbFaq, KbService, KnowledgeBase,
};

use crate::support::seed_dir;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| match answering::engine_from_seed_dir(seed_dir()) {
        Ok(e) => e,
        Err(e) => panic!("seed import failed: {e}"),
    })
}

fn tokens(message: &str) -> Vec<String> {
    engine()
        .analyse(message)
        .tokens
        .into_iter()
        .map(|t| t.into_owned())
        .collect()
}

fn label(message: &str) -> String {
    engine().answer(message).label()
}

// ---------------------------------------------------------------------------------------------
// Normalisation and PII
// ---------------------------------------------------------------------------------------------

#[test]
fn normalisation_lowercases_and_strips_urls_emoji_punctuation() {
    assert_eq!(
        tokenize("Cek https://contoh.go.id/x 😀 DI SINI!!! (ya)"),
        ["cek", "di", "sini", "ya"]
    );
    assert_eq!(tokenize("jum'at www.contoh.com"), ["jumat"]);
}

#[test]
fn normalisation_repairs_elongation_and_reduplication() {
    assert_eq!(tokens("tolonggggg"), ["tolong"]);
    assert_eq!(tokens("sampahhhh"), ["sampah"]);
    assert_eq!(
        tokenize("anak2 anak-anak bantuan2nya tiba-tiba"),
        ["anak", "anak", "bantuannya", "tiba"]
    );
    assert_eq!(tokenize("biaya 300rb 2x"), ["biaya", "300", "rb", "2", "x"]);
}

#[test]
fn pii_masking_covers_nik_and_phone_numbers() {
    assert_eq!(
        mask_pii("nik saya 3574012345670001 ya"),
        "nik saya [NIK] ya"
    );
    assert_eq!(mask_pii("nik 3574 0123 4567 0001"), "nik [NIK]");
    assert_eq!(mask_pii("hubungi +62 812-3456-7890"), "hubungi [TELP]");
    assert_eq!(
        mask_pii("wa 6281234567890 atau 081234567890"),
        "wa [TELP] atau [TELP]"
    );
    assert_eq!(mask_pii("kantor (0335) 4438894"), "kantor [TELP]");
    assert_eq!(mask_pii("kartu bpjs 0001234567891"), "kartu bpjs [TELP]");
    assert_eq!(mask_pii("nop 357401000100200300"), "nop [NOMOR]");
    assert_eq!(
        mask_pii("email budi.s@contoh.id dong"),
        "email [EMAIL] dong"
    );
    // Short numbers stay: they carry meaning (RT, dates, amounts).
    assert_eq!(
        mask_pii("rt 02 rw 05 tgl 17 bayar 50.000"),
        "rt 02 rw 05 tgl 17 bayar 50.000"
    );
}

#[test]
fn masked_numbers_never_reach_the_tokens() {
    let a = engine().analyse("ktp saya 3574012345670001 hilang, wa 081234567890");
    assert!(!a.masked.contains("3574012345670001"));
    assert!(
        a.tokens
            .iter()
            .all(|t| !t.chars().any(|c| c.is_ascii_digit())),
        "{:?}",
        a.tokens
    );
}

// ---------------------------------------------------------------------------------------------
// Lexicon
// ---------------------------------------------------------------------------------------------

#[test]
fn lexicon_files_parse_without_bad_lines() {
    let lexicon = Lexicon::builtin();
    assert!(lexicon.bad_lines.is_empty(), "{:?}", lexicon.bad_lines);
    assert!(lexicon.stopwords.contains("yang"));
    assert!(!lexicon.intent_cues.is_empty() && !lexicon.complaint_cues.is_empty());
}

#[test]
fn no_cue_phrase_repeats_a_word_a_message_never_repeats() {
    // Messages write a doubled word "alun-alun" or "alun2", and both become one token
    // ("alun"): a phrase spelt "alun alun" could only match a message that leaves a space
    // between the halves, so the square went unrecognised as a place of the city.
    let lexicon = Lexicon::builtin();
    let phrases = lexicon
        .intent_cues
        .iter()
        .map(|(p, ..)| p)
        .chain(lexicon.complaint_cues.iter().map(|(p, ..)| p))
        .chain(lexicon.places.iter().map(|(p, _)| p))
        .chain(lexicon.offices.iter().map(|(p, _)| p));
    for phrase in phrases {
        let pattern = lexicon.pattern(phrase);
        assert!(
            !pattern.windows(2).any(|pair| pair[0] == pair[1]),
            "{phrase:?} repeats a word: write it with a hyphen ({pattern:?})"
        );
    }
    // A report about the city's square: the square counts as a place of the city (as
    // "alun alun" with a space always did), which makes the report.
    for message in [
        "bangku taman di alun-alun pada patah",
        "bangku taman di alun alun pada patah",
    ] {
        let answer = engine().answer(message);
        assert_eq!(
            (answer.kind, answer.id.as_deref()),
            (AnswerKind::Complaint, Some("fasilitas-umum")),
            "{message}\n{}",
            engine().explain(message)
        );
    }
    // An abbreviation's expansion written out in full is not expanded a second time, in a
    // message as in a phrase ("satpol pp" had become "satpol pp pp").
    for message in ["satpol pp", "satpol"] {
        assert_eq!(
            lexicon.apply(tokenize(message), |_| true),
            ["satpol", "pp"],
            "{message}"
        );
    }
}

#[test]
fn project_lexicon_has_no_duplicate_or_identity_rows() {
    let text = std::fs::read_to_string(seed_dir().join("lexicon.tsv")).unwrap_or_default();
    let mut seen = std::collections::HashSet::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 3, "three columns: {line:?}");
        assert!(
            matches!(cols[2], "gov" | "chat" | "jv" | "mad" | "word"),
            "tag: {line:?}"
        );
        // An identity row is a mistake, unless it is a `word` row: a real word kept as
        // itself so that typo repair leaves it alone (and a `word` row is nothing else).
        assert_eq!(
            cols[0] == cols[1].trim(),
            cols[2] == "word",
            "identity rows are `word` rows, and only they: {line:?}"
        );
        assert!(
            seen.insert(cols[0].to_string()),
            "duplicate source: {line:?}"
        );
    }
    assert!(seen.len() > 500);
}

#[test]
fn indocollex_derived_file_keeps_its_licence_notice() {
    let notice =
        std::fs::read_to_string(seed_dir().join("lexicon-indocollex.NOTICE")).unwrap_or_default();
    assert!(notice.contains("MIT License") && notice.contains("Haryo Akbarianto Wibowo"));
}

#[test]
fn lexicon_expands_chat_government_and_regional_words() {
    assert_eq!(tokens("gmn ngurus akte"), ["bagaimana", "mengurus", "akta"]);
    assert_eq!(
        tokens("dmn kantor capil"),
        ["di", "mana", "kantor", "dukcapil"]
    );
    assert_eq!(tokens("e-ktp sama ktp-el"), ["ktp", "sama", "ktp"]);
    assert_eq!(tokens("kartu keluarga"), ["kk"]);
    // Javanese and Madurese.
    assert_eq!(tokens("piye carane"), ["bagaimana", "caranya"]);
    assert_eq!(tokens("nyuwun sewu sampeyan"), ["permisi", "anda"]);
    assert_eq!(tokens("kaule dimma"), ["saya", "di", "mana"]);
    assert_eq!(tokens("umk kutha"), ["umk", "kota"]);
    // Everyday Javanese: fever, headache, dear, easy, to look for.
    assert_eq!(
        tokens("mriyang ngelu larang gampang nggoleki"),
        ["demam", "pusing", "mahal", "mudah", "mencari"]
    );
}

#[test]
fn everyday_indonesian_words_are_not_read_as_their_regional_look_alikes() {
    // Krama "mangga" (please), Madurese "arena" (his day) and "bila" (when) are also plain
    // Indonesian: a mango tree, a playground, "if". Indonesian messages are the many.
    assert_eq!(tokens("pohon mangga"), ["pohon", "mangga"]);
    assert_eq!(tokens("arena bermain"), ["arena", "bermain"]);
    assert_eq!(tokens("bila hujan"), ["bila", "hujan"]);
    // "situ" is "there" ("lewat situ") far more often than SITU, the old business permit:
    // the permit only where the words around it say so.
    assert_eq!(
        tokens("anak sering lewat situ"),
        ["anak", "sering", "lewat", "situ"]
    );
    assert_eq!(tokens("ngurus situ"), ["mengurus", "izin", "usaha"]);
}

#[test]
fn indocollex_rows_never_rewrite_corpus_words() {
    // IndoCollex maps "kk" to "kakak"; the corpus uses KK for kartu keluarga.
    assert_eq!(tokens("kk"), ["kk"]);
    // A chat form the corpus does not use goes through IndoCollex ("kmrin" -> "kemarin").
    assert_eq!(tokens("kmrin"), ["kemarin"]);
}

// ---------------------------------------------------------------------------------------------
// Typo repair and informal morphology
// ---------------------------------------------------------------------------------------------

#[test]
fn typo_repair_fixes_out_of_vocabulary_words() {
    assert_eq!(tokens("puskesmsa"), ["puskesmas"]);
    assert_eq!(tokens("pendaftran"), ["pendaftaran"]);
    assert_eq!(tokens("kelurhan"), ["kelurahan"]);
}

#[test]
fn typo_repair_leaves_real_words_with_another_first_letter() {
    // "janda" is one edit from "tanda", "malah" from "salah": not typos.
    let t = tokens("janda malah");
    assert_eq!(t, ["janda", "malah"]);
}

#[test]
fn informal_prefixes_and_suffixes_reach_the_corpus_word() {
    assert_eq!(tokens("cetakin"), ["cetak"]);
    assert_eq!(tokens("ngecekin"), ["cek"]);
    assert_eq!(tokens("berkase"), ["berkas"]);
    assert_eq!(tokens("dendanipun"), ["denda"]);
    assert_eq!(tokens("dipundaftar"), ["daftar"]);
    // Madurese passive e- is Indonesian di-; a word that only looks like one stays.
    assert_eq!(tokens("ecetak"), ["dicetak"]);
    assert_eq!(tokens("ecetakagi"), ["dicetakkan"]);
    assert_eq!(tokens("elang"), ["elang"]);
}

// ---------------------------------------------------------------------------------------------
// Stemming
// ---------------------------------------------------------------------------------------------

#[test]
fn stemming_unifies_word_families() {
    let e = engine();
    for family in [
        ["menerima", "diterima", "penerimaan", "terima"],
        ["pendaftaran", "mendaftar", "didaftarkan", "daftar"],
        ["pengaduan", "mengadu", "aduan", "adu"],
        ["kependudukan", "penduduk", "penduduk", "penduduk"],
        ["perumahan", "rumah", "rumah", "rumah"],
    ] {
        let stems: Vec<String> = family.iter().map(|w| e.stem(w)).collect();
        assert!(
            stems.iter().all(|s| *s == stems[0]),
            "{family:?} -> {stems:?}"
        );
    }
}

#[test]
fn stem_overrides_are_needed_and_keep_unrelated_words_apart() {
    let snowball = frostem::Stemmer::new(frostem::Algorithm::Indonesian);
    let lexicon = Lexicon::builtin();
    let e = engine();
    for (word, stem) in &lexicon.stem_overrides {
        assert_eq!(&e.stem(word), stem, "override of {word}");
        assert_ne!(
            snowball.stem(word).as_ref(),
            stem.as_str(),
            "override of {word} repeats Snowball"
        );
    }
    // Snowball alone merges these pairs; the overrides keep them apart.
    for (a, b) in [
        ("permata", "mata"),
        ("keluarga", "luar"),
        ("pertama", "tama"),
        ("masalah", "masa"),
    ] {
        assert_ne!(e.stem(a), e.stem(b), "{a} / {b}");
    }
}

// ---------------------------------------------------------------------------------------------
// Intents
// ---------------------------------------------------------------------------------------------

#[test]
fn ticket_ids_are_detected_in_any_case_and_normalised() {
    for message in [
        "status PS-7K3QX9 gmn",
        "cek ps-7k3qx9",
        "ps7k3qx9",
        "tiket saya Ps 7k3qx9",
    ] {
        let a = engine().answer(message);
        assert_eq!(a.kind, AnswerKind::Tracking, "{message}");
        assert_eq!(a.id.as_deref(), Some("PS-7K3QX9"), "{message}");
    }
    // I, L, O, U are not Crockford base32; "psikolog" is a word.
    assert_ne!(engine().answer("PS-7K3QXO").kind, AnswerKind::Tracking);
    assert_ne!(
        engine().answer("ada psikolog gratis").kind,
        AnswerKind::Tracking
    );
}

#[test]
fn emergencies_need_an_ongoing_threat() {
    for message in [
        "TOLONG ada rumah terbakar di gang sebelah",
        "ada orang tenggelam di sungai belum ketemu",
        "bapak saya pingsan tidak sadar, cepat",
        "ada pemuda mabuk bawa celurit ngamuk di warung",
        // Told calmly, without an urgency word: the threat itself is the cue.
        "dua anak terbawa arus sungai waktu main, belum ditemukan",
        "pohon besar roboh menimpa pengendara motor, kakinya terjepit",
        "suami saya kena serangan jantung, butuh ambulans",
        // A crime under way with a call for help, a brawl with the wounded.
        "ada orang membobol toko sebelah sekarang, tolong kirim polisi",
        "tawuran pelajar di lapangan, ada yang terluka kena sajam",
        // Smoke with someone inside, water that traps, a live cable, a gas leak.
        "asap hitam keluar dari rumah tetangga, nenek yang tinggal di situ masih di dalam",
        "air sudah sedada di rumah, bapak saya stroke tidak bisa dipindah",
        "kabel listrik putus jatuh di trotoar depan sekolah, masih ada percikan api",
        "tolong, bau gas di dapur kuat sekali, tabung gas bocor",
        // Placed here and now, touching someone, or two threats: asking does not calm it.
        "ada kebakaran di gang 3 dekat masjid, damkar nomornya berapa?",
        // ... however the number is asked for ("nomor" had calmed it, "nomornya" not).
        "ada kebakaran di gang 3 dekat masjid, damkar nomor berapa?",
        "ada rumah terbakar di belakang masjid jami, nomor damkar berapa?",
        "tetangga saya pingsan tidak sadar, ambulans nomornya berapa?",
        "anak saya tenggelam di kolam sekarang, bagaimana?",
        "kebakaran, ada orang terjebak di dalam, bagaimana?",
        // Asking for the number does not calm a threat that is the writer's own or pressing.
        "rumah saya kebakaran, nomor damkar berapa?",
        "tolong ada orang tenggelam di pantai, nomor sar berapa?",
        // Carried by the sea, in the passive and in Javanese.
        "anakku diseret ombak nang pantai",
        "perahu nelayan dihantam ombak, dua orang belum kembali",
        // Carried off by a current in chat and Javanese passives ("kebawa", "kegowo").
        "adikku kebawa arus pas mandi di kali",
        "anakku kegowo arus kali, ora ketok maneh",
        // A collapse, a motionless victim, a jump, a short that smokes, a scream for help.
        "mbah kakung ambruk nang kamar, ora iso ngomong",
        "ada kecelakaan motor di depan alun2, korbannya ga gerak",
        "ada orang mau loncat dari jembatan",
        "listrik di rumah korslet keluar asap",
        "tetangga pukul istrinya, teriak2 minta tolong",
        // A document burnt in a fire that presses or still threatens someone; a car on fire.
        "rumah saya kebakaran, ktp dan kk terbakar semua, tolong cepat",
        "kebakaran di rumah, kk ikut terbakar, anak saya terjebak di kamar",
        "mobil kia terbakar di depan rumah",
        // Fallen into a well, a motionless father, water to the chest with a grandmother who
        // cannot walk (Javanese); mass poisoning, a spreading fire, a knife threat.
        "ana bocah kecemplung sumur, durung iso metu",
        "bapakku ambruk nang sawah, ora obah",
        "kula nyuwun tulung, griya kula kebanjiran dumugi dhadha, simbah mboten saged mlampah",
        "warga keracunan massal setelah makan nasi kotak hajatan, banyak yang muntah",
        "api menjalar dari kios ke kios di pasar, belum ada damkar",
        "ada orang mengancam pakai pisau di depan minimarket",
        // Asking what to do does not calm a threat told as happening: whoever asks it is in
        // the emergency ("apa yang harus" had weighed as much as "kalau ada").
        "ada orang hanyut di kali, apa yang harus saya lakukan?",
        "dapur saya terbakar, apinya ke atap, apa yang harus saya lakukan",
        "suami saya ditabrak mobil dan pingsan, apa yang harus dilakukan sekarang",
        "bapak jatuh dari pohon kelapa, kepalanya berdarah, harus bagaimana",
        // Signs a layman names instead of the condition: a stroke, choking, a heart attack,
        // a head wound, labour, a snakebite, a poisoning, an electrical fire, someone under a
        // fallen tree.
        "nenek mulutnya mencong dan tangan kirinya lumpuh sebelah",
        "balita keselek kacang, bibirnya biru",
        "suami nyeri dada menjalar ke lengan, keringat dingin",
        "adik jatuh dari motor, kepalanya bocor, tidak bisa bangun",
        "ketuban istri sudah pecah di rumah, belum ada kendaraan",
        "petani digigit ular di sawah, kakinya bengkak",
        "teman saya mulutnya berbusa habis minum cairan pembersih",
        "kabel meleleh di belakang tv, bau gosong",
        "atap ambruk kena pohon, ada orang di dalam kamar",
        // A fall ("terjatuh" as "jatuh") with a bleeding head.
        "orang tua saya terjatuh dari tangga, kepalanya berdarah banyak",
        // A live wire that touches someone, asked what to do.
        "ada kabel listrik putus menyentuh orang di jalan, harus bagaimana ini",
        "kabel listrik putus jatuh mengenai orang yang lewat",
        // A poisoning with vomiting that does not stop; a threat now beside a past one.
        "anakku keracunan obat nyamuk, muntah terus",
        "bapak pernah stroke, sekarang pingsan tidak sadar",
        // Someone fallen who no longer answers; smoke from a house whose people are not out.
        "mbah jatuh di dapur, tidak bisa bangun, dipanggil tidak menyahut",
        "asap tebal keluar dari rumah sebelah, penghuninya belum keluar semua",
        // A fire in Madurese, a threat to kill, an LPG leak.
        "dhapor kobhar, tolong",
        "mantan suami datang bawa pisau, mau membunuh saya",
        "selang elpiji bocor, baunya menyengat sampai ruang tamu",
        // First aid asked for someone having the seizure now.
        "bayi saya kejang, pertolongan pertamanya apa",
        // A thief getting in now, a strong gas smell, water that keeps rising with someone
        // inside.
        "maling masuk ke kos sebelah barusan, pintunya dicongkel",
        "bau gas menyengat keluar dari rumah kosong di sebelah",
        "banjir, air makin tinggi, ibu saya masih di dalam kamar",
        // Asking what to do, in chat, about a threat told as happening.
        "kebakaran di rumah saya, langkah pertama harus ngapain",
    ] {
        let a = engine().answer(message);
        assert_eq!(a.kind, AnswerKind::Emergency, "{message}");
        assert_eq!(a.id.as_deref(), Some("darurat-112"), "{message}");
    }
    // Questions about emergencies are FAQ material.
    assert_eq!(
        label("apa yang harus dilakukan saat ada kebakaran"),
        "darurat.kebakaran"
    );
    assert_ne!(
        engine()
            .answer("apa yang harus dilakukan kalau ada kebakaran")
            .kind,
        AnswerKind::Emergency
    );
    assert_ne!(
        engine()
            .answer("rumah sy rusak kena angin semalam, sekarang sudah aman")
            .kind,
        AnswerKind::Emergency
    );
    // Hypothetical, preventive, or a danger word in another sense.
    for message in [
        "kalau nanti rumah kebakaran, apa yang pertama dilakukan",
        // Asking what to do if or when a threat happens, with or without "ada".
        "apa yang harus dilakukan kalau kompor di rumah terbakar",
        "apa yang harus kami lakukan ketika terjadi banjir bandang di kampung",
        "apa yang harus saya lakukan saat terjadi kebakaran di kantor",
        // A broken cable nobody touched.
        "kabel listrik putus di pinggir jalan, belum ada yang kena, lapor ke mana",
        // A threat that once happened, the background of a question.
        "anak saya dulu pernah tenggelam di kolam, sekarang mau ikut les renang yang aman di mana",
        "adik pernah kesetrum waktu kecil, sekarang takut listrik, ada konseling?",
        // A theft told afterwards or prevented, a gas smell asked about in case, a bill or a
        // price that keeps rising.
        "bagaimana cara mencegah maling masuk rumah waktu mudik lebaran",
        "kalau tercium bau gas menyengat di rumah, apa yang harus dilakukan dulu",
        "tagihan air makin tinggi tiap bulan padahal pemakaian sama",
        // ... and what to do if it happens, in chat ("harus ngapain" as "harus bagaimana").
        "kalau kompor gas meledak di rumah harus ngapain",
        // A fall that harms no one badly.
        "anak saya jatuh dari sepeda lututnya lecet, obatnya apa",
        // One sign alone, over, or asked about in general.
        "cara menolong bayi tersedak yang benar seperti apa",
        "nyeri dada kalau habis makan pedas itu kenapa ya",
        "anak saya keselek permen tapi sudah keluar, sekarang baik baik saja",
        "tumit pecah-pecah obatnya apa",
        // First aid asked for in case; a killing in the news.
        "kalau bayi kejang, pertolongan pertamanya apa",
        "kasus pembunuhan kemarin pelakunya sudah ditangkap?",
        "cara mencegah kebakaran di rumah",
        "tempat lihat matahari tenggelam yang bagus di mana",
        // A fire of last year is the story behind a question.
        "ijazah saya ikut terbakar waktu rumah kebakaran tahun lalu, bisa minta salinan?",
        // ... told without a question: a document's fate, not a threat to anyone.
        "kartu keluarga ikut terbakar waktu rumah kebakaran",
        "kk kami hanyut waktu banjir kemarin",
        "ktp istri ikut kebakar",
        // One of those cues alone, or said of a thing.
        "hp saya kecemplung sumur, bisa diambil?",
        "pisau dapur saya tumpul, tempat asah di mana",
        "tetangga mengancam akan lapor polisi soal pagar",
        // An office, a phone or a letter that does not answer; a resident not yet out of
        // the house in the morning.
        "petugas kelurahan tidak menjawab telepon dari pagi",
        "surat permohonan saya tidak direspon dan tidak menjawab",
        "penghuni rumah kontrakan belum keluar padahal kontrak habis",
        "cara mencegah keracunan makanan di hajatan",
        "banjir kemarin sampai dada, sekarang sudah surut, ada bantuan?",
        // A smell that lasts for weeks is a pollution report.
        "tiap malam ada bau gas dari pabrik di belakang kampung, sudah sebulan",
        // A question about a danger from nowhere in particular: about the service, not a call.
        "apakah 112 bisa dipakai untuk lapor kebakaran?",
        "damkar itu cuma buat kebakaran atau bisa yang lain?",
        "112 itu buat apa saja sih? cuma untuk kebakaran?",
        // ... and asking for a number calms one told from outside.
        "nomor damkar berapa ya",
        "kemarin ada kebakaran di pasar, berapa korbannya?",
        // The same words without a threat to anyone.
        "knalpot bus kota keluar asap hitam pekat tiap pagi",
        "anak saya umur 3 tahun belum bisa bicara, terapi wicara di mana?",
        "tembok sekolah ambruk kena hujan semalam, sudah tidak ada yang di dalam",
    ] {
        assert_ne!(
            engine().answer(message).kind,
            AnswerKind::Emergency,
            "{message}"
        );
    }
}

#[test]
fn a_document_lost_to_a_fire_or_a_flood_is_a_question_about_its_replacement() {
    // Told without a question, these were emergencies or the lost-diploma entry (whose
    // example is a diploma ruined by a flood): the document named is what the citizen needs.
    for (message, entry) in [
        (
            "ktp saya rusak kena banjir",
            "kependudukan.ktp-el-hilang-rusak",
        ),
        ("ktp istri ikut kebakar", "kependudukan.ktp-el-hilang-rusak"),
        (
            "kartu keluarga ikut terbakar waktu rumah kebakaran",
            "kependudukan.kk-baru-perubahan",
        ),
        (
            "kk kami hanyut waktu banjir kemarin",
            "kependudukan.kk-baru-perubahan",
        ),
    ] {
        let answer = engine().answer(message);
        let first = match answer.kind {
            AnswerKind::Faq => answer.id.clone(),
            AnswerKind::Fallback => answer.alternatives.first().cloned(),
            _ => None,
        };
        assert_reading(message, first.as_deref(), Some(entry));
    }
}

#[test]
fn a_duration_in_words_and_a_neighbours_noise_are_reports() {
    // "telung dino" is "tiga hari": a duration in words counts as one in digits does.
    for (message, category) in [
        ("banyu PDAM mati wis telung dino", "complaint:air-pdam"),
        ("air pdam mati sudah dua hari", "complaint:air-pdam"),
        (
            "tetangga muter musik banter tengah wengi terus",
            "complaint:ketertiban-umum",
        ),
        // Since a time of day ("dari subuh", "dari sore") as "dari pagi".
        (
            "air pdam mati dari subuh, warga belum bisa masak",
            "complaint:air-pdam",
        ),
    ] {
        assert_eq!(label(message), category, "{}", engine().explain(message));
    }
    // ... and before a question, a question.
    assert_ne!(
        engine()
            .answer("dari subuh antre di dispenduk, jam berapa loketnya buka?")
            .kind,
        AnswerKind::Complaint
    );
    // A duration in words before a question is still a question.
    assert_ne!(
        engine()
            .answer("tiga hari lalu saya rekam ktp, kapan jadinya?")
            .kind,
        AnswerKind::Complaint
    );
}

#[test]
fn complaint_reports_versus_questions_about_reporting() {
    assert_eq!(
        label("jalan depan rumah berlubang sudah sebulan"),
        "complaint:jalan-rusak"
    );
    assert_eq!(label("lampu jln depan rmh mati 3 hr"), "complaint:pju-mati");
    assert_eq!(label("cara melapor jalan rusak"), "prasarana.jalan-rusak");
    assert_eq!(
        label("lampu jalan mati harus lapor kemana"),
        "prasarana.pju-mati"
    );
    assert_eq!(
        label("sampah di pojok gang udah seminggu gak diangkut, baunya kemana mana"),
        "complaint:sampah"
    );
    assert_eq!(
        label("air pdam di rumah saya keruh kuning dari tadi pagi"),
        "complaint:air-pdam"
    );
    // Problems named by what they do to people, and a school building's damage.
    assert_eq!(
        label("website kelurahan tidak bisa dibuka dari kemarin"),
        "complaint:lainnya"
    );
    assert_eq!(
        label("warga tidak bisa tidur, tiap malam balapan motor knalpot bising sampai subuh di jalan kami"),
        "complaint:ketertiban-umum"
    );
    assert_eq!(
        label("atap ruang kelas di sdn kami bocor sudah sebulan, murid belajar kehujanan"),
        "complaint:pendidikan"
    );
    // An officer's temper and road users who break the rules are problems too ("lempar" was
    // "repaired" into "lembar", a word of the content, before it was a cue).
    assert_eq!(
        label("petugas dukcapil di loket marah-marah dan lempar berkas saya"),
        "complaint:pelayanan-adminduk"
    );
    assert_eq!(
        label("lampu merah di perempatan banyak yang nerobos, perlu polisi jaga"),
        "complaint:lalu-lintas"
    );
    assert_eq!(
        label("banyak motor lawan arah di jalan satu arah depan sekolah"),
        "complaint:lalu-lintas"
    );
    // A tree about to fall is a hazard to report (public facilities, as the tree entry
    // says); a house that fell in a storm is a disaster.
    assert_eq!(
        label("pohon besar di depan sd miring mau roboh"),
        "complaint:fasilitas-umum"
    );
    assert_eq!(
        label("rumah warga roboh diterjang angin kencang semalam"),
        "complaint:bencana"
    );
    // Reports in Suroboyoan, krama and Madurese reach the same cues once the words are known.
    for (message, expected) in [
        (
            "nang loket puskesmas petugase dolanan hp terus, antrean suwi pol",
            "complaint:pelayanan-kesehatan",
        ),
        (
            "lampu margi celak masjid sampun seminggu pejah, dereng wonten ingkang ndandosi",
            "complaint:pju-mati",
        ),
        (
            "warga kampung ngungsi nang balai rw, omahe rusak kena angin",
            "complaint:bencana",
        ),
        (
            "oknum nyo'on pesse 100 ebu ka kaula",
            "complaint:pungli-korupsi",
        ),
    ] {
        assert_eq!(label(message), expected, "{message}");
    }
}

#[test]
fn complaint_categories_follow_the_labelling_rules() {
    // An officer asking money for himself is pungli, whatever the service.
    assert_eq!(
        label("petugas di loket minta 150rb biar berkas saya didahulukan"),
        "complaint:pungli-korupsi"
    );
    // A street in an address is not the broken thing.
    assert_eq!(
        label("selokan di jalan merdeka mampet, tiap hujan airnya naik ke teras"),
        "complaint:banjir-drainase"
    );
    // ... an extra charge asked by a collector too; the lamps that direct traffic are
    // traffic, not street lighting; a speed bump is part of the road.
    assert_eq!(
        label("tukang tarik iuran sampah minta tambahan 20 ribu ke tiap rumah"),
        "complaint:pungli-korupsi"
    );
    assert_eq!(
        label("lampu penyeberangan depan pasar mati, orang tua kesulitan menyeberang"),
        "complaint:lalu-lintas"
    );
    assert_eq!(
        label("polisi tidur di jalan masuk perumahan rusak dan tajam"),
        "complaint:jalan-rusak"
    );
    // Damage to one's own document is a question about a replacement, not a complaint.
    assert_eq!(
        label("ktp anak saya patah jadi dua, gimana gantinya"),
        "kependudukan.ktp-el-hilang-rusak"
    );
}

#[test]
fn greetings_and_small_talk_are_recognised() {
    for message in ["halo min", "assalamualaikum", "selamat sore kak"] {
        assert_eq!(
            engine().answer(message).kind,
            AnswerKind::Greeting,
            "{message}"
        );
    }
    for message in ["makasih banyak min", "oke siap", "wkwkwk"] {
        assert_eq!(
            engine().answer(message).kind,
            AnswerKind::Smalltalk,
            "{message}"
        );
    }
    // A greeting followed by a question is a question.
    assert_eq!(
        label("halo min, syarat bikin ktp apa saja"),
        "kependudukan.ktp-el-baru"
    );
    // Asking leave to ask, or for help, before the matter opens the conversation: the menu.
    // ("halo kak, saya mau nanya sesuatu" fell back; "min, bisa bantu saya?" too, at 0.69.)
    assert_each_kind(
        &[
            "halo kak, saya mau nanya sesuatu",
            "min, bisa bantu saya?",
            "permisi, boleh tanya?",
            "makasih, mau tanya lagi",
        ],
        AnswerKind::Greeting,
    );
    // Acknowledgements of the conversation itself are small talk.
    for message in [
        "oke min ditunggu kabarnya",
        "maaf min salah kirim",
        "wah mantap infonya",
    ] {
        assert_eq!(
            engine().answer(message).kind,
            AnswerKind::Smalltalk,
            "{message}\n{}",
            engine().explain(message)
        );
    }
    // The same words before the matter leave the matter to decide.
    assert_eq!(label("mau tanya syarat ktp"), "kependudukan.ktp-el-baru");
    assert_eq!(
        label("maaf min, lampu jalan di gang saya mati"),
        "complaint:pju-mati"
    );
    assert_ne!(
        engine()
            .answer("butuh bantuan sembako, keluarga kami tidak mampu")
            .kind,
        AnswerKind::Greeting
    );
}

#[test]
fn thanks_with_words_about_the_answer_are_small_talk_and_thanks_before_a_matter_are_not() {
    // Thanks come with a word or two about the answer or the service; those messages were
    // answered with an entry ("terima kasih atas informasinya": the objection entry) or fell
    // back, and the citizen got no "sama-sama".
    for message in [
        "terima kasih atas informasinya",
        "makasih min, infonya membantu sekali",
        "oke makasih, sudah jelas sekarang",
        "thanks udah dibantu kak",
        "wah responnya cepat, terima kasih",
        "matur nuwun sanget infonipun",
        "alhamdulillah sudah beres, makasih banyak",
        "terima kasih pelayanannya ramah",
    ] {
        let answer = engine().answer(message);
        assert_eq!(
            answer.kind,
            AnswerKind::Smalltalk,
            "{message}: {answer:?}\n{}",
            engine().explain(message)
        );
    }
    // The same words asking or telling something are not small talk.
    for message in [
        "makasih infonya, jadwal spmb smp kapan?",
        "terima kasih, tapi lampu jalan di gang saya masih mati",
        "info jadwal spmb smp",
        "makasih, info cara bayar pbb dong",
    ] {
        let answer = engine().answer(message);
        assert_ne!(
            answer.kind,
            AnswerKind::Smalltalk,
            "{message}: {answer:?}\n{}",
            engine().explain(message)
        );
    }
}

#[test]
fn regional_and_chat_questions_find_their_entry() {
    assert_eq!(
        label("sy mau bikin ktp gmn caranya"),
        "kependudukan.ktp-el-baru"
    );
    assert_eq!(
        label("dmn ngurus akte lahir anak"),
        "kependudukan.akta-kelahiran"
    );
    assert_eq!(
        label("kaule terro ngurus akta kelahiran ana dimma"),
        "kependudukan.akta-kelahiran"
    );
    assert_eq!(label("pripun carane bayar pbb"), "pajak.pbb-cara-bayar");
    // "oleh-oleh" alone was "oleh", a stopword: a fallback at 0.00 (and "cari oleh2 dimana"
    // the job-seeker's card, by "cari").
    for message in ["oleh-oleh", "oleh oleh", "oleh2", "cari oleh2 dimana"] {
        assert_eq!(label(message), "wisata.oleh-oleh", "{message}");
    }
    // A job fair called an exhibition of vacancies is the job fair, not the vacancy entry.
    assert_eq!(
        label("kapan ada pameran lowongan kerja lagi"),
        "ketenagakerjaan.job-fair"
    );
}

// ---------------------------------------------------------------------------------------------
// Decision
// ---------------------------------------------------------------------------------------------

#[test]
fn gibberish_and_out_of_scope_fall_back() {
    for message in [
        "qwertyuiop",
        "",
        "...",
        "zxcv bnm lkjh",
        "resep soto ayam yang enak",
        "jadwal pesawat ke medan",
        // The aspect words of a content entry around a topic no entry knows: not that entry.
        "jam buka bioskop di probolinggo",
        "jam buka pegadaian sabtu",
        "syarat bikin sim c baru apa aja",
        "biaya bikin skck berapa",
    ] {
        let a = engine().answer(message);
        assert_eq!(a.decision(), Decision::Fallback, "{message:?} -> {a:?}");
        assert!(a.id.is_none());
    }
    // A question about another city's office is not answered with ours.
    assert_eq!(engine().answer("jam buka samsat jember").id, None);
    // Words the content does not know around a topic it knows (a village, a name) still
    // get the answer.
    assert_eq!(
        label("jam buka dukcapil hari sabtu, sy dari jrebeng"),
        "kependudukan.lokasi-jam"
    );
    assert_eq!(
        label("syarat bikin ktp buat anak sy yg baru umur 17 namanya ahmad"),
        "kependudukan.ktp-el-baru"
    );
}

#[test]
fn unclear_questions_get_suggestions_not_answers() {
    // "daftar bpjs" fits several entries about about equally.
    let a = engine().answer("daftar bpjs gmn");
    match a.decision() {
        Decision::Suggest(ids) => {
            assert!((1..=3).contains(&ids.len()));
            assert!(ids.iter().all(|id| id.contains('.')));
        }
        other => panic!("expected suggestions, got {other:?} ({a:?})"),
    }
    assert_eq!(a.kind, AnswerKind::Fallback);
    assert!(a.id.is_none());
}

#[test]
fn scores_stay_in_unit_interval_and_answers_beat_fallbacks() {
    let clear = engine().answer("syarat membuat akta kelahiran");
    let vague = engine().answer("mau tanya soal itu");
    for a in [&clear, &vague] {
        assert!((0.0..=1.0).contains(&a.score), "{a:?}");
        assert!(a.alternatives.len() <= 3);
    }
    assert_eq!(clear.decision(), Decision::Answer);
    assert!(clear.score > vague.score);
}

fn tiny_kb() -> KnowledgeBase {
    let faq = |id: &str, q: &str, kw: &[&str]| KbFaq {
        id: id.to_string(),
        category: "kependudukan".to_string(),
        title: q.to_string(),
        question: q.to_string(),
        alt_questions: vec![q.to_string()],
        keywords: kw.iter().map(|k| k.to_string()).collect(),
        ..KbFaq::default()
    };
    KnowledgeBase {
        faqs: vec![
            faq(
                "kependudukan.ktp",
                "Apa syarat membuat KTP-el?",
                &["ktp", "syarat ktp"],
            ),
            faq(
                "kependudukan.kk",
                "Bagaimana mengurus kartu keluarga?",
                &["kk", "kartu keluarga"],
            ),
        ],
        services: vec![
            KbService {
                id: "svc.kependudukan.ktp".to_string(),
                name: "Penerbitan KTP-el".to_string(),
                short_name: "KTP-el".to_string(),
                category: "kependudukan".to_string(),
                description: "Syarat membuat KTP-el baru.".to_string(),
                ..KbService::default()
            },
            KbService {
                id: "svc.pendidikan.legalisir".to_string(),
                name: "Legalisir Ijazah".to_string(),
                short_name: "Legalisir ijazah".to_string(),
                category: "pendidikan".to_string(),
                description: "Pengesahan fotokopi ijazah sekolah.".to_string(),
                ..KbService::default()
            },
        ],
        categories: vec![emergency_category()],
    }
}

/// The emergency category every knowledge base of these tests has.
fn emergency_category() -> KbCategory {
    KbCategory {
        id: "darurat-112".to_string(),
        name: "Darurat".to_string(),
        description: String::new(),
        keywords: vec![],
        emergency: true,
        phrases: vec![],
    }
}

#[test]
fn engine_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<Engine>();
    let handle = std::thread::spawn(|| engine().answer("syarat membuat akta kelahiran").kind);
    assert_eq!(handle.join().ok(), Some(AnswerKind::Faq));
}

#[test]
fn faq_wins_over_a_service_that_fits_as_well_and_services_answer_alone() {
    let engine = Engine::build(&tiny_kb());
    assert_eq!(engine.len(), 4);
    let a = engine.answer("syarat membuat ktp");
    assert_eq!(
        (a.kind, a.id.as_deref()),
        (AnswerKind::Faq, Some("kependudukan.ktp"))
    );
    let b = engine.answer("legalisir ijazah");
    assert_eq!(
        (b.kind, b.id.as_deref()),
        (AnswerKind::Service, Some("svc.pendidikan.legalisir"))
    );
}

// ---------------------------------------------------------------------------------------------
// JSON lines and evaluation
// ---------------------------------------------------------------------------------------------

#[test]
fn answers_serialise_to_the_documented_shape() {
    let json = answering::answer_json(engine(), "cek PS-7K3QX9");
    let value: serde_json::Value = serde_json::from_str(&json).unwrap_or_default();
    assert_eq!(
        value,
        serde_json::json!({"kind": "tracking", "id": "PS-7K3QX9", "score": 1.0, "alternatives": []})
    );
    let fallback: serde_json::Value =
        serde_json::from_str(&answering::answer_json(engine(), "qwertyuiop")).unwrap_or_default();
    assert_eq!(fallback["kind"], "fallback");
    assert!(fallback["id"].is_null());
}

#[test]
fn ask_lines_answers_every_line_in_order() {
    let input = "halo\n\ncek ps-7k3qx9\nsyarat membuat akta kelahiran\n";
    let mut out = Vec::new();
    let n = answering::ask_lines(engine(), input.as_bytes(), &mut out).unwrap_or(0);
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_default())
        .collect();
    assert_eq!(n, 4);
    let kinds: Vec<&str> = lines
        .iter()
        .map(|v| v["kind"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(kinds, ["greeting", "fallback", "tracking", "faq"]);
}

#[test]
fn evaluation_counts_every_metric() {
    let file = r#"{"q": "syarat membuat akta kelahiran", "expect": "kependudukan.akta-kelahiran"}
{"q": "qwertyuiop", "expect": "fallback"}
{"q": "syarat membuat akta kelahiran", "expect": "fallback"}
{"q": "jalan depan rumah berlubang sudah sebulan", "expect": "complaint:jalan-rusak"}
not json
"#;
    let r = answering::evaluate(engine(), file.as_bytes());
    assert_eq!(r.total, 4);
    assert_eq!(r.invalid_lines.len(), 1);
    assert_eq!(r.top1, 3);
    assert_eq!(r.answered, 3);
    assert_eq!(r.wrong_confident, 1);
    assert_eq!((r.expected_fallback, r.expected_fallback_caught), (2, 1));
    assert_eq!((r.predicted_fallback, r.predicted_fallback_correct), (1, 1));
    assert!((r.out_of_scope_answered() - 0.5).abs() < 1e-9);
    assert_eq!(r.misses.len(), 1);
    let printed = r.to_string();
    for metric in [
        "top-1",
        "top-3",
        "MRR",
        "answer rate",
        "fallback precision",
        "fallback recall",
        "meleset",
    ] {
        assert!(printed.contains(metric), "{metric} missing in\n{printed}");
    }
}

fn dev_set() -> Option<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/eval/dev.jsonl");
    std::fs::read_to_string(path).ok()
}

/// Runs of `n` words (lower-case letters and digits; apostrophes dropped as the tokeniser
/// does) of a text.
fn word_runs(text: &str, n: usize) -> Vec<String> {
    let lower = text.to_lowercase().replace('\'', "");
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    words.windows(n).map(|run| run.join(" ")).collect()
}

/// Extensions of the project's text files (code, content, lexicons, documents, fixtures).
const SHIPPED_TEXT: [&str; 11] = [
    ".rs", ".md", ".json", ".jsonl", ".tsv", ".txt", ".yaml", ".yml", ".js", ".html", ".py",
];

/// The evaluation sets measure nothing once their sentences are in what the engine learns
/// from: no file of the project (seed content, phrases, lexicons, out-of-scope examples, the
/// check sets, tests and documents) shares a run of six words with `../shared/eval/*.jsonl`.
#[test]
fn nothing_the_engine_learns_from_repeats_an_evaluation_sentence() {
    const RUN: usize = 6;
    let eval_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/eval");
    let mut evaluation = std::collections::HashSet::new();
    for name in ["dev.jsonl", "dev-b.jsonl"] {
        let Ok(text) = std::fs::read_to_string(eval_dir.join(name)) else {
            eprintln!("../shared/eval/{name} not found: not compared");
            continue;
        };
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let row: serde_json::Value = serde_json::from_str(line).expect("eval line");
            evaluation.extend(word_runs(row["q"].as_str().unwrap_or_default(), RUN));
        }
    }
    if evaluation.is_empty() {
        return;
    }
    // Every text file the project ships, not only what the engine learns from: a sentence
    // quoted in a test or a document ends up copied into content sooner or later.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut sources: Vec<(String, String)> = Vec::new();
    let mut folders = vec![root];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder)
            .expect("project folder")
            .flatten()
        {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                // Build output, installed packages, and hidden folders (.git, the venv).
                if !(name.starts_with('.')
                    || ["target", "node_modules", "output"].contains(&name.as_str()))
                {
                    folders.push(path);
                }
            } else if SHIPPED_TEXT.iter().any(|ext| name.ends_with(ext)) {
                if let Ok(text) = std::fs::read_to_string(&path) {
                    sources.push((path.display().to_string(), text));
                }
            }
        }
    }
    assert!(
        sources.iter().any(|(path, _)| path.ends_with("faq.json")),
        "the seed content was not read"
    );
    for (source, text) in &sources {
        for line in text.lines() {
            if let Some(run) = word_runs(line, RUN)
                .into_iter()
                .find(|r| evaluation.contains(r))
            {
                panic!("{source}: {line:?} repeats the evaluation words {run:?}");
            }
        }
    }
}

#[test]
fn dev_set_meets_the_targets() {
    let Some(dev) = dev_set() else {
        eprintln!("../shared/eval/dev.jsonl not found: dev-set targets not checked");
        return;
    };
    let report = answering::evaluate(engine(), dev.as_bytes());
    assert!(report.total >= 100, "dev set too small: {}", report.total);
    assert!(report.top1_accuracy() >= 0.90, "{report}");
    assert!(report.wrong_confident_rate() <= 0.02, "{report}");
    assert!(report.out_of_scope_answered() <= 0.05, "{report}");
}

/// A second labelled set, written for these tests in the same style as citizens' messages
/// (chat abbreviations, Javanese ngoko and krama, Madurese, complaints, emergencies, out of
/// scope). Some entries shaped general rules during development, so its figures are a
/// regression floor, not a held-out estimate.
const AUTHOR_SET: &str = r#"{"q": "sy mau bikin ktp gmn caranya", "expect": "kependudukan.ktp-el-baru"}
{"q": "dmn ngurus akte lahir anak", "expect": "kependudukan.akta-kelahiran"}
{"q": "lampu jln depan rmh mati 3 hr", "expect": "complaint:pju-mati"}
{"q": "piye carane daftar bpjs", "expect": "kesehatan.uhc-ktp"}
{"q": "jalan depan rumah berlubang sudah sebulan", "expect": "complaint:jalan-rusak"}
{"q": "cara melapor jalan rusak", "expect": "prasarana.jalan-rusak"}
{"q": "syarat bikin kk baru apa aja min", "expect": "kependudukan.kk-baru-perubahan"}
{"q": "kartu keluarga sy ilang, ngurusnya kemana", "expect": "kependudukan.kk-baru-perubahan"}
{"q": "ktp rusak patah bisa ganti gk", "expect": "kependudukan.ktp-el-hilang-rusak"}
{"q": "biaya bikin akta kelahiran brp", "expect": "kependudukan.biaya-pungli"}
{"q": "jam buka dukcapil hari sabtu", "expect": "kependudukan.lokasi-jam"}
{"q": "kia itu apa sih", "expect": "kependudukan.kia"}
{"q": "gimana cara aktivasi ktp digital", "expect": "kependudukan.ikd"}
{"q": "nib buat umkm gratis ga", "expect": "perizinan.biaya-izin"}
{"q": "mal pelayanan publik letaknya dimana", "expect": "perizinan.mpp"}
{"q": "imb sekarang diganti pbg ya? ngurusnya dmn", "expect": "perizinan.pbg"}
{"q": "rsud dr saleh ada poli jantung gk", "expect": "kesehatan.rsud-info"}
{"q": "kartu bpjs sy tdk aktif, gmn ngaktifin", "expect": "kesehatan.bpjs-nonaktif"}
{"q": "imunisasi bayi di posyandu jadwalnya kapan", "expect": "kesehatan.imunisasi"}
{"q": "ppdb smp tahun ini jalur apa aja", "expect": "pendidikan.spmb-jalur"}
{"q": "cara daftar kip buat anak smp", "expect": "pendidikan.pip-kip"}
{"q": "ijazah sd sy rusak kena banjir, bisa minta ganti?", "expect": "pendidikan.ijazah-hilang"}
{"q": "gmn cek nama sy terdaftar bansos apa nggak", "expect": "sosial.cek-bansos"}
{"q": "syarat bikin surat keterangan tidak mampu", "expect": "sosial.sktm"}
{"q": "ada odgj ngamuk2 di pinggir jalan lapor kemana", "expect": "sosial.orang-terlantar"}
{"q": "cara buat kartu kuning ak1", "expect": "ketenagakerjaan.kartu-kuning"}
{"q": "gaji sy 3 bulan gk dibayar perusahaan, ngadu kemana", "expect": "ketenagakerjaan.perselisihan"}
{"q": "umr kota probolinggo brp skrg", "expect": "ketenagakerjaan.umk"}
{"q": "bayar pbb bisa lewat atm gk", "expect": "pajak.pbb-cara-bayar"}
{"q": "batas bayar pbb tanggal brp", "expect": "pajak.pbb-jatuh-tempo"}
{"q": "pajak stnk motor bayar dimana", "expect": "pajak.pajak-kendaraan"}
{"q": "lampu pju mati lapornya kemana ya", "expect": "prasarana.pju-mati"}
{"q": "mau pasang air pdam baru syaratnya apa", "expect": "prasarana.pdam-pasang-baru"}
{"q": "cara bayar tagihan air pdam online", "expect": "prasarana.pdam-tagihan"}
{"q": "jadwal truk sampah lewat kampung", "expect": "lingkungan.angkut-sampah"}
{"q": "cara milah sampah organik dan anorganik", "expect": "lingkungan.pilah-sampah"}
{"q": "ppid kota probolinggo itu apa", "expect": "informasi-publik.ppid"}
{"q": "nomor darurat apa aja yg penting", "expect": "darurat.nomor-darurat"}
{"q": "ada ular kobra masuk rumah siapa yg bisa bantu", "expect": "darurat.hewan-berbahaya"}
{"q": "tiket masuk museum probolinggo brp", "expect": "wisata.museum-probolinggo"}
{"q": "ke gili ketapang naik perahu dari mana", "expect": "wisata.gili-ketapang"}
{"q": "oleh2 khas probolinggo apa", "expect": "wisata.oleh-oleh"}
{"q": "cara berhenti langganan info", "expect": "umum.berhenti-broadcast"}
{"q": "mau bicara sama petugas langsung", "expect": "umum.bicara-petugas"}
{"q": "sampah di depan gang sy udah seminggu gak diangkut, bau banget", "expect": "complaint:sampah"}
{"q": "air pdam di rumah sy mati dari kemarin pagi blm nyala", "expect": "complaint:air-pdam"}
{"q": "got di jl. panglima sudirman mampet, air meluber ke rumah warga", "expect": "complaint:banjir-drainase"}
{"q": "petugas loket dukcapil minta uang 100rb biar ktp cepet jadi", "expect": "complaint:pungli-korupsi"}
{"q": "dokter puskesmas judes bgt ke pasien lansia, tolong ditindak", "expect": "complaint:pelayanan-kesehatan"}
{"q": "pkl jualan di trotoar depan sekolah bikin macet tiap pagi", "expect": "complaint:ketertiban-umum"}
{"q": "tukang parkir di alun alun minta 10rb padahal tarifnya 2rb", "expect": "complaint:lalu-lintas"}
{"q": "asap pembakaran sampah dari pabrik sebelah tiap malam bikin sesak", "expect": "complaint:pencemaran-lingkungan"}
{"q": "halte depan stasiun atapnya bocor dan kursinya rusak", "expect": "complaint:fasilitas-umum"}
{"q": "TOLONG RUMAH TETANGGA KEBAKARAN APINYA SUDAH BESAR", "expect": "emergency"}
{"q": "ada orang tenggelam di pantai mayangan cepat tolong", "expect": "emergency"}
{"q": "kecelakaan di perempatan, korbannya pingsan gak bergerak", "expect": "emergency"}
{"q": "apa yang harus dilakukan kalau ada kebakaran", "expect": "darurat.kebakaran"}
{"q": "cara bikin paspor di imigrasi", "expect": "fallback"}
{"q": "harga cabai di pasar hari ini brp", "expect": "fallback"}
{"q": "siapa juara liga inggris tahun ini", "expect": "fallback"}
{"q": "qwertyuiop", "expect": "fallback"}
{"q": "mau pesan tiket pesawat ke bali", "expect": "fallback"}
{"q": "jadwal sholat jumat di surabaya", "expect": "fallback"}
{"q": "ok", "expect": "fallback"}
{"q": "makasih min", "expect": "fallback"}
{"q": "halo", "expect": "fallback"}
{"q": "lagu dangdut paling enak apa", "expect": "fallback"}
{"q": "cara daftar cpns 2026", "expect": "fallback"}
{"q": "nyuwun sewu, syarat ndamel kk enggal punapa mawon nggih", "expect": "kependudukan.kk-baru-perubahan"}
{"q": "kaule terro ngurus akta kelahiran ana' dimma kantorra", "expect": "kependudukan.akta-kelahiran"}
{"q": "ktp sy ilang di pasar, hrs lapor polisi dl ya?", "expect": "kependudukan.ktp-el-hilang-rusak"}
{"q": "cara daftar akun dukcapil onlen", "expect": "kependudukan.layanan-online"}
{"q": "mau pindah domisili dari kota probolinggo ke malang, urus surat pindahnya dmn", "expect": "kependudukan.pindah-datang"}
{"q": "santunan kematian 2025 brp nominalnya", "expect": "kependudukan.santunan-kematian"}
{"q": "usaha kuliner rumahan perlu izin apa aja", "expect": "perizinan.nib-oss"}
{"q": "pbg itu apa bedanya sama imb", "expect": "perizinan.pbg"}
{"q": "mpp buka hari sabtu gak", "expect": "perizinan.jam-mpp"}
{"q": "cek status permohonan izin usaha saya", "expect": "perizinan.cek-status-izin"}
{"q": "daftar berobat ke rsud bisa lwt wa?", "expect": "kesehatan.rsud-pendaftaran"}
{"q": "puskesmas wonoasih buka jam brp", "expect": "kesehatan.puskesmas"}
{"q": "mau ganti faskes dr klinik ke puskesmas", "expect": "kesehatan.pindah-faskes"}
{"q": "spmb sd kapan dibuka pendaftarannya", "expect": "pendidikan.spmb-jadwal"}
{"q": "daftar smk negeri lewat mana", "expect": "pendidikan.sma-smk"}
{"q": "anak sy di bully kakak kelasnya harus lapor kemana", "expect": "pendidikan.perundungan"}
{"q": "pkh itu apa sih", "expect": "sosial.pkh-bpnt"}
{"q": "gimana caranya supaya iuran bpjs ditanggung pemerintah", "expect": "sosial.pbi-jk"}
{"q": "lowongan kerja terbaru di kota probolinggo", "expect": "ketenagakerjaan.info-lowongan"}
{"q": "pelatihan menjahit gratis ada gak", "expect": "ketenagakerjaan.pelatihan"}
{"q": "mau kerja ke taiwan lewat agen resmi gmn", "expect": "ketenagakerjaan.kerja-luar-negeri"}
{"q": "sppt pbb tahun ini blm dapet", "expect": "pajak.sppt-hilang"}
{"q": "beli tanah harus bayar bphtb brp persen", "expect": "pajak.bphtb"}
{"q": "ada pemutihan denda pbb gak tahun ini", "expect": "pajak.keringanan-denda"}
{"q": "jalan provinsi yg rusak itu tanggung jawab siapa", "expect": "prasarana.kewenangan-jalan"}
{"q": "ada program rehab rumah tidak layak huni?", "expect": "prasarana.rtlh"}
{"q": "tps terdekat dari kelurahan jati dimana", "expect": "lingkungan.angkut-sampah"}
{"q": "retribusi sampah per bulan brp", "expect": "lingkungan.retribusi-sampah"}
{"q": "bank sampah terima plastik apa aja", "expect": "lingkungan.bank-sampah"}
{"q": "cara minta salinan dokumen ke ppid", "expect": "informasi-publik.cara-permohonan"}
{"q": "lihat apbd kota probolinggo dimana", "expect": "informasi-publik.informasi-berkala"}
{"q": "nomor telepon ambulans gratis", "expect": "darurat.ambulans"}
{"q": "nomer pemadam kebakaran", "expect": "darurat.kebakaran"}
{"q": "kalau lihat kecelakaan harus gimana", "expect": "darurat.kecelakaan"}
{"q": "ada tetangga kdrt tiap malam, lapor kemana yg aman", "expect": "darurat.kekerasan"}
{"q": "jam buka twsl hari minggu", "expect": "wisata.twsl"}
{"q": "cfd alun alun mulai jam brp", "expect": "wisata.cfd-alun-alun"}
{"q": "pantai di kota probolinggo apa aja", "expect": "wisata.pantai-pelabuhan"}
{"q": "aduan saya PS-7K3QX9 sudah sampai mana", "expect": "tracking:PS-7K3QX9"}
{"q": "cek ps7k3qx9", "expect": "tracking:PS-7K3QX9"}
{"q": "dalan nang ngarep omahku bolong gede, wis rong sasi durung didandani", "expect": "complaint:jalan-rusak"}
{"q": "lampu penerangan jalan di gang 5 rw 03 padam total sejak minggu lalu", "expect": "complaint:pju-mati"}
{"q": "tumpukan sampah di pinggir kali dekat jembatan udah berhari hari gak diangkut", "expect": "complaint:sampah"}
{"q": "selokan depan rumah saya mampet, tiap hujan air masuk rumah", "expect": "complaint:banjir-drainase"}
{"q": "pipa pdam bocor di jalan raya, air muncrat dari tadi pagi", "expect": "complaint:air-pdam"}
{"q": "akta kelahiran anak saya sudah 2 bulan belum jadi padahal katanya 3 hari", "expect": "complaint:pelayanan-adminduk"}
{"q": "di igd rsud pasien dibiarkan berjam jam tanpa ditangani", "expect": "complaint:pelayanan-kesehatan"}
{"q": "warung remang2 dekat terminal jual miras sampai subuh", "expect": "complaint:ketertiban-umum"}
{"q": "bansos pkh ibu saya dipotong 200rb sama pendamping", "expect": "complaint:pungli-korupsi"}
{"q": "rambu lalu lintas di tikungan jalan roboh ketabrak truk", "expect": "complaint:lalu-lintas"}
{"q": "trotoar di jalan suroyo banyak yang ambles dan berlubang", "expect": "complaint:fasilitas-umum"}
{"q": "rumah tetangga rusak berat kena puting beliung kemarin sore, mohon didata", "expect": "complaint:bencana"}
{"q": "ada kabel listrik putus jatuh ke jalan dan orang kesetrum", "expect": "emergency"}
{"q": "tolong ada yang bawa celurit ngamuk di pasar", "expect": "emergency"}
{"q": "anak saya kejang demam tinggi tolong ambulans", "expect": "emergency"}
{"q": "jadwal bioskop xxi malam ini", "expect": "fallback"}
{"q": "gimana cara masak nasi goreng", "expect": "fallback"}
{"q": "samsat malang buka jam berapa", "expect": "fallback"}
{"q": "ngurus ktp di kabupaten lumajang dimana", "expect": "fallback"}
{"q": "berita politik hari ini", "expect": "fallback"}
{"q": "wkwkwk lucu", "expect": "fallback"}
{"q": "selamat pagi min", "expect": "fallback"}
{"q": "siap terima kasih infonya", "expect": "fallback"}
{"q": "zxcvbnm asdf", "expect": "fallback"}
{"q": "rekomendasi hp murah 2 jutaan", "expect": "fallback"}
{"q": "cara transfer pulsa telkomsel", "expect": "fallback"}
"#;

/// The floors a check set must stay above (a regression guard, not a target).
struct Floor {
    messages: usize,
    top1: f64,
    wrong_confident: f64,
    out_of_scope_answered: f64,
}

fn assert_above_floor(data: &[u8], floor: Floor) {
    let report = answering::evaluate(engine(), data);
    assert_eq!(report.total, floor.messages);
    assert!(
        report.invalid_lines.is_empty(),
        "{:?}",
        report.invalid_lines
    );
    assert!(report.top1_accuracy() >= floor.top1, "{report}");
    assert!(
        report.wrong_confident_rate() <= floor.wrong_confident,
        "{report}"
    );
    assert!(
        report.out_of_scope_answered() <= floor.out_of_scope_answered,
        "{report}"
    );
}

#[test]
fn author_check_set_stays_above_its_floor() {
    assert_above_floor(
        AUTHOR_SET.as_bytes(),
        Floor {
            messages: 134,
            top1: 0.88,
            wrong_confident: 0.04,
            out_of_scope_answered: 0.05,
        },
    );
}

/// A third check set (`tests/fixtures/check-c.jsonl`, 206 messages): written on 6 December by a
/// writer who saw the content's titles, questions and answers but none of its phrases,
/// lexicons or tests, nor either dev set (the 14 lines that happened to share a run of five
/// words with a dev set were left out). A check, never a tuning set (docs/nlp.md): its floors
/// sit a little under the figures of the day it was written, to catch a regression (wrong
/// confident tightened on 7 December after the agreement rules: 2.4 % that day).
#[test]
fn third_check_set_stays_above_its_floor() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/check-c.jsonl");
    let data = std::fs::read(path).expect("tests/fixtures/check-c.jsonl");
    assert_above_floor(
        &data,
        Floor {
            messages: 206,
            top1: 0.88,
            wrong_confident: 0.04,
            out_of_scope_answered: 0.07,
        },
    );
}

/// The author's probes of 7 December (`tests/fixtures/author-probes.jsonl`): 160 messages of
/// the third session (FAQ questions told by situation, in chat words, Javanese and Madurese,
/// long stories, reports of every category, emergencies told calmly, out-of-scope questions;
/// the greetings and thanks among the probes are tests of their own, as the eval file has no
/// label for them), 80.0 % top-1 and 6.9 % wrong confident with that session's starting
/// engine, 86.9 % and 2.5 % after the rules and cues they led to; and 114 of the fourth
/// (entries no probe had asked, every complaint category, emergencies asking what to do,
/// Madurese reports), 83.3 % and 8.8 % with its starting engine, 87.7 % and 6.1 % after;
/// and 50 one-word, misspelt and out-of-scope questions of the fourth, 96 % at once (one
/// money-exchange question answered with the waste-bank entry led to three out-of-scope
/// examples); 40 about the bot itself, the handoff, and in Javanese and Madurese (85 % at
/// once, no wrong answer); and 18 emergencies told by their signs with calm questions about
/// the same signs (33 % at once, 72 % after the sign cues), and 16 more in Javanese and
/// Madurese or of threats and leaks (69 % → 88 %), and 20 FAQ questions told by situation
/// (70 %, top-3 95 %); and 132 of the sixth session (every kind again, chat, Javanese,
/// Madurese, long stories; 78 % top-1 and 9.8 % wrong with that session's starting engine,
/// counted before seven of its labels were set to the dev sets' conventions; 86.4 % and 2.3 %
/// after the cues and matcher rules they led to), and 44 more of it (calm mentions of a
/// danger, emergencies told plainly, services by their catalogue names: 81.8 % and 4.5 %
/// at first, 86.4 % and 2.3 % after), and 41 more (every FAQ family once more, greetings
/// before a question: 85.4 % and 4.9 % at first, 87.8 % and 2.4 % after), and 20 more
/// (a thief getting in, a gas smell, rising water, "dimana-mana": 50.0 % at first, 70.0 %
/// after; the "everywhere" ones still fail, docs/nlp.md), and 55 more (FAQ questions of
/// every family in chat, reports of every category: 85.5 % and 9.1 % after their cues, the
/// wrong ones reports answered with the FAQ entry on the same matter), and 20 more (long
/// stories, Madurese, out of scope: 85.0 % at once, no cue added), and 17 more (reports
/// with less common problem words: 30.0 % of their 20 at once, 58.8 % of the 17 after), and
/// 18 more (FAQ questions in krama and ngoko: 85.0 % of their 20 at once, no wrong answer,
/// the right entry offered for every miss), and 176 more written by a separate helper
/// session that saw only the seed content, never a labelled set (FAQ questions of 110
/// entries, reports of every category, emergencies, out of scope, Javanese and Madurese:
/// 91.5 % and 1.7 % at once, 96.0 % and 1.1 % after the cues they led to), and 264 more by
/// two more such helpers (long stories told by older citizens: 91.3 % and 4.7 % at once,
/// 96.0 % and 3.3 % after; short chat by the young: 92.7 % and 2.0 % at once, 95.3 % and
/// 0.7 % after), and 130 more by a fourth (seven kinds of writer: 90.6 % and 5.0 % at once,
/// measured on the finished engine before anything was changed for them; 93.1 % and 2.5 %
/// after); and 5 097 of the tenth session, thirty-five batches of 160 by helpers that saw only
/// the seed content (every batch measured on the engine of the moment before anything was
/// changed for it: 87.5–96.9 % top-1, median 93.8 %, and 0.0–6.2 % wrong confident, median
/// 1.9 %; messages sharing a five-word run with dev, dev-b or check-c left out); and 4 356
/// of the eleventh session, thirty more such batches (before their mends 87.5–98.8 % top-1,
/// median 93.8 %, and 0.0–4.4 % wrong confident, median 1.9 %; the same five-word rule).
/// Written to find failing classes; the floors catch a regression.
#[test]
fn author_probes_stay_above_their_floor() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/author-probes.jsonl"
    );
    let data = std::fs::read(path).expect("tests/fixtures/author-probes.jsonl");
    assert_above_floor(
        &data,
        Floor {
            messages: 13935,
            top1: 0.88,
            wrong_confident: 0.04,
            out_of_scope_answered: 0.05,
        },
    );
}

// ---------------------------------------------------------------------------------------------
// Optional rephrasing step
// ---------------------------------------------------------------------------------------------

fn passages() -> Vec<SourcePassage> {
    vec![
        SourcePassage {
            id: "kependudukan.lokasi-jam".to_string(),
            text: "Loket buka Senin–Kamis 08.00–14.00, Jumat 08.00–11.00. Telp (0335) 4438894, \
                   info di https://dispenduk.probolinggokota.go.id."
                .to_string(),
        },
        SourcePassage {
            id: "kependudukan.biaya-pungli".to_string(),
            text: "Semua layanan adminduk gratis.".to_string(),
        },
    ]
}

fn out(text: &str, cited: &[&str]) -> Rephrased {
    Rephrased {
        text: text.to_string(),
        cited: cited.iter().map(|c| c.to_string()).collect(),
    }
}

#[test]
fn guard_accepts_facts_that_are_in_the_cited_passages() {
    let ok = out(
        "Loket buka Senin sampai Kamis pukul 08.00-14.00 dan Jumat sampai 11.00; telepon 0335 4438894 \
         atau lihat dispenduk.probolinggokota.go.id.",
        &["kependudukan.lokasi-jam"],
    );
    assert_eq!(guard(&ok, &passages()), Ok(()));
}

#[test]
fn guard_rejects_invented_numbers_phones_urls_dates_and_bad_citations() {
    let p = passages();
    let cite = ["kependudukan.lokasi-jam"];
    assert_eq!(
        guard(&out("Buka sampai 15.00.", &cite), &p),
        Err(GuardViolation::Number("1500".into()))
    );
    assert!(matches!(
        guard(&out("Telepon 0812-1111-2222.", &cite), &p),
        Err(GuardViolation::Number(_))
    ));
    assert!(matches!(
        guard(&out("Lihat https://contoh.com/x.", &cite), &p),
        Err(GuardViolation::Url(_))
    ));
    assert!(matches!(
        guard(&out("Tutup pada bulan Desember.", &cite), &p),
        Err(GuardViolation::DateWord(_))
    ));
    assert!(matches!(
        guard(&out("Biaya lima ribu.", &cite), &p),
        Err(GuardViolation::DateWord(_))
    ));
    assert_eq!(
        guard(&out("Buka Senin.", &[]), &p),
        Err(GuardViolation::NoCitation)
    );
    assert!(matches!(
        guard(&out("Buka Senin.", &["lain.id"]), &p),
        Err(GuardViolation::UnknownCitation(_))
    ));
    // Facts of a passage that is not cited do not count.
    assert!(guard(
        &out("Telp 0335 4438894.", &["kependudukan.biaya-pungli"]),
        &p
    )
    .is_err());
}

struct FakeModel(Result<Rephrased, RephraseError>);

#[async_trait]
impl Rephraser for FakeModel {
    async fn rephrase(&self, _q: &str, _p: &[SourcePassage]) -> Result<Rephrased, RephraseError> {
        self.0.clone()
    }
}

#[tokio::test]
async fn rephrasing_falls_back_to_the_verbatim_answer() {
    let p = passages();
    let verbatim = "JAWABAN ASLI";
    let good = FakeModel(Ok(out(
        "Layanan adminduk gratis.",
        &["kependudukan.biaya-pungli"],
    )));
    assert_eq!(
        rephrase_or_verbatim(Some(&good), "biaya?", &p, verbatim).await,
        "Layanan adminduk gratis."
    );
    let invents = FakeModel(Ok(out(
        "Biayanya Rp 10.000.",
        &["kependudukan.biaya-pungli"],
    )));
    assert_eq!(
        rephrase_or_verbatim(Some(&invents), "biaya?", &p, verbatim).await,
        verbatim
    );
    let down = FakeModel(Err(RephraseError::Unavailable("timeout".into())));
    assert_eq!(
        rephrase_or_verbatim(Some(&down), "biaya?", &p, verbatim).await,
        verbatim
    );
    // Off by default: no model, no call.
    assert_eq!(
        rephrase_or_verbatim(None, "biaya?", &p, verbatim).await,
        verbatim
    );
}

#[test]
fn converse_prompt_and_reply_parsing() {
    let (system, user) = rephrase::converse_prompt("jam buka?", &passages());
    assert!(system.contains("SUMBER"));
    assert!(user.contains("[kependudukan.lokasi-jam]") && user.contains("jam buka?"));
    let parsed = parse_reply(
        "Loket buka pukul 08.00.\nSUMBER: kependudukan.lokasi-jam, kependudukan.biaya-pungli",
    );
    assert_eq!(
        parsed,
        Ok(out(
            "Loket buka pukul 08.00.",
            &["kependudukan.lokasi-jam", "kependudukan.biaya-pungli"]
        ))
    );
    assert!(parse_reply("TIDAK TAHU").is_err());
    assert!(parse_reply("tanpa sumber").is_err());
}

/// Diagnostic, not a check: `NLP_EXPLAIN="pesan 1|pesan 2" cargo test -p prolink-app --test main
/// answering_engine::explain -- --ignored --nocapture` prints how the engine reads each message;
/// `NLP_EVAL=file.jsonl` prints the evaluation report of a file with the misses explained;
/// `NLP_PROBE=file.jsonl` prints, per message, how retrieval and the classifier each read it
/// (an absolute path: the test runs in the crate's folder).
#[test]
#[ignore = "diagnostic output for tuning"]
fn explain() {
    if let Ok(messages) = std::env::var("NLP_EXPLAIN") {
        for m in messages.split('|') {
            println!("== {m}\n{}", engine().explain(m));
        }
    }
    // One tab-separated line per message of a labelled file: how retrieval and the classifier
    // each read it (outcome, label, answer, score, retrieval's first entry, its score, the
    // next entry's of the same kind, words matched, the classifier's first class, its
    // probability, its probability of retrieval's entry, out of scope, complaint strength).
    if let Ok(path) = std::env::var("NLP_PROBE") {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let (cases, _) = answering::parse_cases(text.as_bytes());
        let t = engine().thresholds();
        for case in &cases {
            let ranking = engine().rank(&case.q);
            let answer = ranking.decide(&t);
            let learned = ranking.learned(t.temperature);
            let probability_of = |id: &str| {
                learned
                    .iter()
                    .find(|(class, _)| class.id == id)
                    .map_or(0.0, |(_, p)| *p)
            };
            let top = ranking.candidates.first();
            let next =
                top.and_then(|top| ranking.candidates[1..].iter().find(|c| c.kind == top.kind));
            let got = answer.label();
            let outcome = match () {
                _ if got == case.expect => "OK",
                _ if got == "fallback" => "FB",
                _ => "WRONG",
            };
            let columns = [
                outcome.to_string(),
                case.expect.clone(),
                got,
                format!("{:.2}", answer.score),
                top.map_or("-", |c| c.id).to_string(),
                format!("{:.2}", top.map_or(0.0, |c| c.score)),
                format!("{:.2}", next.map_or(0.0, |c| c.score)),
                top.map_or(0, |c| c.matched).to_string(),
                learned
                    .first()
                    .map_or("-", |(c, _)| c.id.as_str())
                    .to_string(),
                format!("{:.2}", learned.first().map_or(0.0, |(_, p)| *p)),
                format!("{:.2}", top.map_or(0.0, |c| probability_of(c.id))),
                format!("{:.2}", ranking.out_of_scope()),
                format!("{:.2}", ranking.complaint_strength),
                mask_pii(&case.q),
            ];
            println!("PROBE\t{}", columns.join("\t"));
        }
    }
    if let Ok(path) = std::env::var("NLP_SENSITIVITY") {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let (cases, _) = answering::parse_cases(text.as_bytes());
        let base = engine().thresholds();
        let show = |name: &str, t: prolink_domain::nlp::Thresholds| {
            let r = answering::evaluate_cases(engine(), &cases, &t);
            println!(
                "| {name} | {:.1} % | {:.1} % | {:.1} % | {:.1} % |",
                r.top1_accuracy() * 100.0,
                r.wrong_confident_rate() * 100.0,
                r.out_of_scope_answered() * 100.0,
                r.answer_rate() * 100.0
            );
        };
        show("chosen", base);
        for v in [0.34, 0.38, 0.46, 0.50, 0.55] {
            show(
                &format!("answer {v}"),
                prolink_domain::nlp::Thresholds { answer: v, ..base },
            );
        }
        for v in [0.0, 0.02, 0.06, 0.08] {
            show(
                &format!("margin {v}"),
                prolink_domain::nlp::Thresholds { margin: v, ..base },
            );
        }
        for v in [0.6, 0.7, 1.01] {
            show(
                &format!("sure {v}"),
                prolink_domain::nlp::Thresholds { sure: v, ..base },
            );
        }
        for v in [0.22, 0.25, 0.31, 0.34, 1.01] {
            show(
                &format!("floor {v}"),
                prolink_domain::nlp::Thresholds { floor: v, ..base },
            );
        }
        for v in [1.3, 1.7, 2.0] {
            show(
                &format!("ratio {v}"),
                prolink_domain::nlp::Thresholds { ratio: v, ..base },
            );
        }
        for v in [1.0, 1.3, 2.0, 2.5] {
            show(
                &format!("complaint {v}"),
                prolink_domain::nlp::Thresholds {
                    complaint: v,
                    ..base
                },
            );
        }
        for v in [1.0, 2.0] {
            show(
                &format!("category {v}"),
                prolink_domain::nlp::Thresholds {
                    category: v,
                    ..base
                },
            );
        }
    }
    if let Ok(path) = std::env::var("NLP_EVAL") {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let report = answering::evaluate(engine(), text.as_bytes());
        println!("{report}");
        for m in &report.misses {
            println!(
                "== {} (expect {})\n{}",
                m.q,
                m.expect,
                engine().explain(&m.q)
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Training phrases and the learned classifier
// ---------------------------------------------------------------------------------------------

fn seed_bundle() -> prolink_domain::content::ContentBundle {
    match prolink_app::content_import::load_dir(seed_dir()) {
        Ok(bundle) => bundle,
        Err(error) => panic!("seed: {error}"),
    }
}

#[test]
fn a_training_phrase_typed_as_it_is_gets_its_own_entry() {
    let bundle = seed_bundle();
    let (mut total, mut own) = (0, 0);
    let mut misses = Vec::new();
    for faq in &bundle.faqs {
        for phrase in &faq.phrases {
            total += 1;
            let answer = engine().answer(phrase);
            // A phrase that reads as a report or an emergency goes that way first (intents
            // come before retrieval); every other one is the taught entry.
            match answer.kind {
                AnswerKind::Faq if answer.id.as_deref() == Some(faq.id.as_str()) => own += 1,
                AnswerKind::Complaint | AnswerKind::Emergency | AnswerKind::Tracking => {}
                _ => misses.push(format!("{} <- {phrase:?}: {answer:?}", faq.id)),
            }
        }
    }
    assert!(total > 1000, "the seed has its training phrases: {total}");
    assert!(
        misses.len() * 100 <= total,
        "{own} of {total} answered with their entry; {} missed:\n{}",
        misses.len(),
        misses.join("\n")
    );
}

#[test]
fn suggestions_and_alternatives_are_entries_never_complaint_categories() {
    let bundle = seed_bundle();
    let entries: std::collections::HashSet<&str> = bundle
        .faqs
        .iter()
        .map(|f| f.id.as_str())
        .chain(bundle.services.iter().map(|s| s.id.as_str()))
        .collect();
    let categories: std::collections::HashSet<&str> =
        bundle.categories.iter().map(|c| c.id.as_str()).collect();
    let messages = AUTHOR_SET
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|v| v["q"].as_str().map(str::to_string))
        .chain(
            bundle
                .categories
                .iter()
                .flat_map(|c| c.phrases.iter().cloned()),
        );
    for message in messages {
        let answer = engine().answer(&message);
        let allowed = match answer.kind {
            AnswerKind::Complaint => &categories,
            AnswerKind::Emergency => continue,
            _ => &entries,
        };
        for id in answer.id.iter().chain(&answer.alternatives) {
            assert!(
                allowed.contains(id.as_str()) || (answer.kind == AnswerKind::Tracking),
                "{message:?}: {answer:?}"
            );
        }
    }
}

#[test]
fn a_report_the_cue_lists_miss_is_recognised_from_its_categorys_phrases() {
    // A category taught by phrases alone, reported in words no cue list knows.
    let kb = KnowledgeBase {
        faqs: vec![],
        services: vec![],
        categories: vec![
            KbCategory {
                id: "pohon".to_string(),
                name: "Pohon".to_string(),
                description: String::new(),
                keywords: vec![],
                emergency: false,
                phrases: vec![
                    "dahan beringin gede condong ke arah rumah warga".to_string(),
                    "ranting mahoni menjuntai nyangkut kabel".to_string(),
                    "dahan beringin menjuntai di atas gang".to_string(),
                ],
            },
            emergency_category(),
        ],
    };
    let engine = Engine::build(&kb);
    let answer = engine.answer("dahan beringin condong menjuntai ke gang");
    assert_eq!(
        (answer.kind, answer.id.as_deref()),
        (AnswerKind::Complaint, Some("pohon")),
        "{}",
        engine.explain("dahan beringin condong menjuntai ke gang")
    );
    // Without the phrases the same words are not understood.
    let mut bare = kb.clone();
    bare.categories[0].phrases.clear();
    let answer = Engine::build(&bare).answer("dahan beringin condong menjuntai ke gang");
    assert_eq!(answer.kind, AnswerKind::Fallback);
}

/// A FAQ entry of a small test knowledge base: its question is "Bagaimana <title>?", with
/// the given keywords and training phrases.
fn taught_faq(id: &str, category: &str, title: &str, keywords: &[&str], phrases: &[&str]) -> KbFaq {
    let owned = |texts: &[&str]| texts.iter().map(|t| t.to_string()).collect();
    KbFaq {
        id: id.to_string(),
        category: category.to_string(),
        title: title.to_string(),
        question: format!("Bagaimana {}?", title.to_lowercase()),
        alt_questions: vec![],
        keywords: owned(keywords),
        phrases: owned(phrases),
        ..KbFaq::default()
    }
}

#[test]
fn the_classifier_answers_a_situation_retrieval_does_not_recognise() {
    // Curated texts name the service; the phrases describe situations in other words.
    let faq = |id: &str, title: &str, phrases: &[&str]| taught_faq(id, "umum", title, &[], phrases);
    let kb = KnowledgeBase {
        faqs: vec![
            faq(
                "kependudukan.ktp-rusak",
                "Penggantian KTP-el rusak",
                &[
                    "kartu identitas sy patah kelindes motor",
                    "kartu identitasku ketekuk jadi dua",
                    "kartu identitas sobek kena air",
                    "chip kartu identitas gak kebaca lagi",
                ],
            ),
            faq(
                "wisata.kuliner",
                "Wisata kuliner khas kota",
                &[
                    "jajanan enak buat dibawa mudik apa",
                    "makanan khas yg wajib dicoba di sini",
                    "camilan khas buat tetangga di rumah",
                    "tempat makan malam yg enak dimana",
                ],
            ),
        ],
        services: vec![],
        categories: vec![],
    };
    let engine = Engine::build(&kb);
    let message = "kartu identitas anak sy ketekuk patah";
    let answer = engine.answer(message);
    assert_eq!(
        (answer.kind, answer.id.as_deref()),
        (AnswerKind::Faq, Some("kependudukan.ktp-rusak")),
        "{}",
        engine.explain(message)
    );
    // Without the phrases retrieval alone does not know these words.
    let mut bare = kb.clone();
    bare.faqs.iter_mut().for_each(|f| f.phrases.clear());
    assert_ne!(
        Engine::build(&bare).answer(message).id.as_deref(),
        Some("kependudukan.ktp-rusak")
    );
}

#[test]
fn retrieval_does_not_answer_alone_where_the_classifier_reads_another_entry() {
    // Retrieval sees "bikin ktp" and would answer the new-card entry (a low score that leads);
    // the classifier has learned that a pickpocketed wallet is the lost-card entry. The two
    // disagree: retrieval's answer is not given on its own, whether it came by the floor rule
    // or by the main rule under `challenge`; from `challenge` up retrieval answers alone.
    let faq = |id: &str, title: &str, keywords: &[&str], phrases: &[&str]| {
        taught_faq(id, "kependudukan", title, keywords, phrases)
    };
    let kb = KnowledgeBase {
        faqs: vec![
            faq(
                "kependudukan.ktp-baru",
                "Bikin KTP-el baru",
                &["bikin ktp", "ktp baru", "rekam ktp"],
                &[
                    "umur 17 mau rekam ktp pertama kali",
                    "anak sudah 17 tahun daftar ktp di mana",
                    "baru lulus sma belum punya ktp",
                    "perekaman ktp buat pemula syaratnya",
                ],
            ),
            faq(
                "kependudukan.ktp-hilang",
                "Mengganti KTP-el yang hilang",
                &["ktp hilang"],
                &[
                    "dompet dicopet di pasar semua kartu raib",
                    "tas kecopetan di angkot isinya kartu identitas",
                    "dompetku dicopet orang waktu nonton konser",
                    "kecopetan di terminal kartu identitas ikut dibawa",
                    "dompet jatuh di jalan tidak ketemu lagi",
                ],
            ),
        ],
        services: vec![],
        categories: vec![],
    };
    let message = "dompetku kecopetan di angkot, bikin ktp baru gimana";
    let engine = Engine::build(&kb);
    let floor_rule = engine.thresholds();
    let top = engine.rank(message).candidates.first().cloned();
    let score = top.as_ref().map_or(0.0, |c| c.score);
    assert!(
        top.as_ref()
            .is_some_and(|c| c.id == "kependudukan.ktp-baru" && c.score >= floor_rule.floor)
            && score < floor_rule.answer,
        "{}",
        engine.explain(message)
    );
    // The same score as a main-rule answer: `answer` lowered under it.
    let main_rule = prolink_domain::nlp::Thresholds {
        answer: floor_rule.floor,
        ..floor_rule
    };
    assert!(main_rule.challenge > score);
    let lost_card_first = |answer: &prolink_domain::nlp::Answer| match answer.kind {
        AnswerKind::Faq => answer.id.as_deref() == Some("kependudukan.ktp-hilang"),
        AnswerKind::Fallback => {
            answer.alternatives.first().map(String::as_str) == Some("kependudukan.ktp-hilang")
        }
        _ => false,
    };
    for t in [floor_rule, main_rule] {
        let answer = engine.rank(message).decide(&t);
        assert!(
            lost_card_first(&answer),
            "{t:?}\n{answer:?}\n{}",
            engine.explain(message)
        );
    }
    let unchallenged = prolink_domain::nlp::Thresholds {
        challenge: score,
        ..main_rule
    };
    let answer = engine.rank(message).decide(&unchallenged);
    assert_eq!(
        (answer.kind, answer.id.as_deref()),
        (AnswerKind::Faq, Some("kependudukan.ktp-baru")),
        "{answer:?}"
    );
}

#[test]
fn a_close_call_is_checked_by_the_classifier_whatever_its_score() {
    // Retrieval scores the RSUD's registration and services entries both over `sure`, 0.01
    // apart ("rsud … poli": registration names the clinics, "ada … apa aja" is the services
    // question); above `challenge` it answered the first alone. A close call is not sure at
    // any score: the classifier, which reads "ada poli apa aja" as the services question,
    // decides it.
    let message = "rsud dr saleh ada poli apa aja";
    let t = engine().thresholds();
    let ranking = engine().rank(message);
    let (first, second) = (&ranking.candidates[0], &ranking.candidates[1]);
    assert!(
        first.score >= t.sure && first.score - second.score < t.margin,
        "{}",
        engine().explain(message)
    );
    assert_eq!(label(message), "kesehatan.rsud-info");
    // Without the margin the first is answered alone, as before.
    let no_margin = prolink_domain::nlp::Thresholds { margin: 0.0, ..t };
    let answer = ranking.decide(&no_margin);
    assert_eq!(answer.id.as_deref(), Some(first.id), "{answer:?}");
    assert_ne!(first.id, "kesehatan.rsud-info");
}

#[test]
fn a_question_about_one_office_is_not_answered_with_another_offices_entry() {
    // "alamat" and "kantor" match the Dispendukcapil's address-and-hours entry; the office
    // asked about is another, which that entry never names: no answer (the content has no
    // address of it), at most suggestions.
    for message in [
        // Each of these was answered with the Dispendukcapil's entry, the last with the
        // MPP's hours.
        "kantor bpbd alamatnya dimana",
        "kantor dinas sosial alamatnya",
        "alamat kantor dlh probolinggo",
        "jam buka samsat",
    ] {
        let a = engine().answer(message);
        assert!(
            !matches!(a.kind, AnswerKind::Faq | AnswerKind::Service),
            "{message}: {a:?}\n{}",
            engine().explain(message)
        );
    }
    // The office's own entry, an entry whose text names the office, and an office named in
    // a story rather than asked about.
    for (message, entry) in [
        (
            "alamat kantor dispendukcapil di mana",
            "kependudukan.lokasi-jam",
        ),
        ("mpp buka jam berapa hari jumat", "perizinan.jam-mpp"),
        (
            "bayar pajak motor di kantor samsat mana",
            "pajak.pajak-kendaraan",
        ),
        (
            "ibu meninggal di rsud kemarin, akta kematiannya urus di mana",
            "kependudukan.akta-kematian",
        ),
    ] {
        assert_eq!(label(message), entry, "{}", engine().explain(message));
    }
}

/// `message` is answered with an entry under `challenge` when the seed engine decides with
/// `rule_off` and falls back with its own thresholds: the rule `rule_off` turns off is what
/// holds the answer back. Returns both decisions.
fn held_back_by_a_rule(
    message: &str,
    rule_off: prolink_domain::nlp::Thresholds,
) -> (prolink_domain::nlp::Answer, prolink_domain::nlp::Answer) {
    let t = engine().thresholds();
    let ranking = engine().rank(message);
    let before = ranking.decide(&rule_off);
    assert!(
        matches!(before.kind, AnswerKind::Faq | AnswerKind::Service) && before.score < t.challenge,
        "{message}: {before:?}\n{}",
        engine().explain(message)
    );
    let after = ranking.decide(&t);
    assert_eq!(
        after.kind,
        AnswerKind::Fallback,
        "{message}: {after:?}\n{}",
        engine().explain(message)
    );
    (before, after)
}

#[test]
fn a_topic_the_city_does_not_handle_is_not_answered_where_retrieval_hesitates() {
    // "paspor" is a word of the content (one entry's story of a labour broker) and "bikin …
    // baru", "daftar … online", "biaya bikin" are the words of city entries: retrieval answers
    // those under `challenge`, the classifier does not confirm them, and the scope model,
    // which has learned passport questions among the out-of-scope examples, is sure. With
    // the rule off they were answered (a wrong official answer).
    let t = engine().thresholds();
    let rule_off = prolink_domain::nlp::Thresholds {
        sure_out_of_scope: 1.01,
        ..t
    };
    for message in [
        "bikin paspor baru syaratnya apa",
        "cara daftar paspor online gimana",
        "biaya bikin paspor berapa",
    ] {
        let (_, answer) = held_back_by_a_rule(message, rule_off);
        assert!(answer.alternatives.is_empty(), "{message}: {answer:?}");
    }
    // Questions of the city's own services that retrieval answers under `challenge` keep
    // their answer: the scope model does not hold them out of scope.
    for (message, id) in [
        (
            "akta lahir anak saya hilang gimana",
            "kependudukan.akta-kelahiran",
        ),
        ("cara bayar pbb lewat hp", "pajak.pbb-cara-bayar"),
        // Nor does the scope model alone hold back what the classifier confirms: "buka 24
        // jam" is out of scope for it (0.87, as "jam buka bioskop" is), the service-hours
        // entry is the classifier's at 0.91 (held back while `confirm` was 0.95).
        ("bot ini buka 24 jam?", "umum.jam-layanan"),
    ] {
        answered_under(message, id, t.challenge);
    }
}

/// `message` is answered with FAQ entry `id` at a retrieval score under `limit`: a rule that
/// checks such answers let this one through.
fn answered_under(message: &str, id: &str, limit: f64) {
    let answer = engine().answer(message);
    assert!(answer.score < limit, "{message}: {answer:?}");
    assert_eq!(
        (answer.kind, answer.id.as_deref()),
        (AnswerKind::Faq, Some(id)),
        "{message}\n{}",
        engine().explain(message)
    );
}

#[test]
fn a_long_story_retrieval_scores_low_still_gets_the_classifiers_suggestion() {
    // Twenty-eight words dilute every retrieval score under the suggestion threshold; the
    // classifier, which weighs the story's n-grams, holds the business-number entry above
    // half. Before, the citizen got a plain fallback with nothing to tap.
    let message = "Saya baru buka warung makan kecil di rumah. Teman bilang harus punya izin \
                   supaya bisa ikut pameran UMKM dari pemkot. Izin apa yang harus saya buat \
                   dan apakah bayar?";
    let t = engine().thresholds();
    let ranking = engine().rank(message);
    assert!(
        ranking
            .candidates
            .first()
            .is_some_and(|c| c.score < t.suggest),
        "{}",
        engine().explain(message)
    );
    let answer = ranking.decide(&t);
    assert_eq!(answer.kind, AnswerKind::Fallback, "{answer:?}");
    assert_eq!(
        answer.alternatives.first().map(String::as_str),
        Some("perizinan.nib-oss"),
        "{answer:?}\n{}",
        engine().explain(message)
    );
}

#[test]
fn a_weak_answer_the_classifier_gives_no_chance_is_held_back() {
    // Retrieval's floor rule answers a low score that leads by far; "beli baju baru buat
    // anak" shares only "baru" and "buat" with the new-KTP entry, and the classifier, which
    // has learned how citizens ask about KTPs, gives that entry little. (The probe that
    // found the rule, "tukar uang baru buat lebaran dimana", is now held back by the scope
    // model too, since money exchange has out-of-scope examples.)
    let t = engine().thresholds();
    let rule_off = prolink_domain::nlp::Thresholds {
        floor_support: 0.0,
        ..t
    };
    let (before, _) = held_back_by_a_rule("beli baju baru buat anak dimana", rule_off);
    assert!(before.score < t.answer, "{before:?}");
    // A weak answer the classifier supports stays: bullying at school told in chat words.
    answered_under(
        "anak sd kena bully temennya harus ngapain",
        "pendidikan.perundungan",
        t.answer,
    );
}

#[test]
fn a_problem_told_then_asked_about_is_a_question_and_one_told_then_requested_a_report() {
    for (message, expect) in [
        (
            "pohon mangga besar di depan balai rw sudah condong ke jalan, bisa minta dipotong gak?",
            "lingkungan.pohon-rawan",
        ),
        (
            "pohon mangga besar di depan balai rw sudah condong ke jalan, tolong segera dipotong",
            "complaint:fasilitas-umum",
        ),
        (
            "selokan depan rumah mampet tiap hujan meluap, bisa dibersihkan gak ya?",
            "prasarana.drainase-banjir",
        ),
        (
            "selokan depan rumah mampet tiap hujan meluap ke jalan, mohon segera dikeruk",
            "complaint:banjir-drainase",
        ),
        // A tree is cut back ("dipotong"), aid is cut off: the same verb, two categories.
        (
            "bantuan sembako lansia di rt kami dipotong oknum, tolong diusut",
            "complaint:pungli-korupsi",
        ),
        // A tree at risk is a public facility's matter, a fallen one a disaster's.
        (
            "pohon beringin di alun alun sudah rawan tumbang akarnya terangkat, mohon ditebang",
            "complaint:fasilitas-umum",
        ),
        (
            "pohon besar tumbang menimpa dua rumah warga semalam, mohon dibantu",
            "complaint:bencana",
        ),
        // An emergency stays one however it ends.
        (
            "air sudah sedada dan nenek saya masih di dalam rumah, bisa dikirim perahu gak?",
            "emergency",
        ),
    ] {
        assert_eq!(
            label(message),
            expect,
            "{message}\n{}",
            engine().explain(message)
        );
    }
}

#[test]
fn a_message_ends_asking_with_a_question_mark_a_trailing_negation_or_a_final_question_word() {
    for (message, asking) in [
        (
            "jalan di gang kami rusak, yang wajib memperbaiki itu siapa",
            true,
        ),
        ("lampu jalan mati, lapor ke mana itu", true),
        (
            "sudah seminggu sampah tidak diangkut, bisa diangkut hari ini gak",
            true,
        ),
        ("kapan jadwal vaksin? saya tunggu kabarnya", false),
        ("jalan rusak parah bagaimana ini", false),
        ("jalan berlubang di depan pasar, tolong diperbaiki", false),
        ("apakah jalan ini tanggung jawab pemkot?", true),
    ] {
        assert_eq!(engine().rank(message).ends_asking, asking, "{message}");
    }
}

#[test]
fn everyday_matters_outside_the_content_are_not_answered_by_the_classifier() {
    // Messages that share words with the content ("jadwal", "buka", "harga", "daftar") but
    // are about something the city does not run: the scope model holds them out.
    for message in [
        "harga emas batangan sekarang berapa",
        "jadwal liga inggris malam ini",
        "harga tiket konser dewa 19",
        "resep sambel terasi yg enak gmn",
        "rekomendasi laptop buat kuliah",
        "lirik lagu dangdut terbaru",
    ] {
        let answer = engine().answer(message);
        assert!(
            !matches!(answer.kind, AnswerKind::Faq | AnswerKind::Service),
            "{message}: {answer:?}\n{}",
            engine().explain(message)
        );
    }
}

#[test]
fn a_short_vague_message_gets_suggestions_and_a_full_question_an_answer() {
    // The classifier's evidence grows with the message: two or three words that fit a
    // topic are not enough to answer on their own.
    for message in ["syarat daftar apa", "mau urus surat"] {
        let answer = engine().answer(message);
        assert!(
            matches!(answer.decision(), Decision::Suggest(_)),
            "{message}: {answer:?}"
        );
    }
}

#[test]
fn the_out_of_scope_examples_are_loaded_and_no_example_is_a_question_of_the_content() {
    let lexicon = Lexicon::builtin();
    assert!(
        lexicon.out_of_scope.len() >= 300,
        "{}",
        lexicon.out_of_scope.len()
    );
    let bundle = seed_bundle();
    let questions: std::collections::HashSet<String> = bundle
        .faqs
        .iter()
        .flat_map(|f| {
            std::iter::once(&f.question)
                .chain(&f.alt_questions)
                .chain(&f.phrases)
        })
        .map(|q| tokenize(q).join(" "))
        .collect();
    for example in &lexicon.out_of_scope {
        assert!(!example.starts_with('#'), "{example}");
        assert!(
            !questions.contains(&tokenize(example).join(" ")),
            "an out-of-scope example is also a question of the content: {example}"
        );
    }
}

/// Held-out training phrases: each fold's engine is trained without a fifth of every entry's
/// phrases (and of the out-of-scope examples) and asked those. How the classifier's
/// temperature and thresholds were chosen (docs/nlp.md); prints the table:
/// `cargo nextest run -p prolink-app --test main --run-ignored only -E
/// 'test(classifier_cross_validation)' --no-capture`.
#[test]
#[ignore = "prints the cross-validation table of docs/nlp.md (about a minute)"]
fn classifier_cross_validation() {
    use prolink_domain::nlp::Thresholds;
    const FOLDS: usize = 5;
    let kb = KnowledgeBase::from(&seed_bundle());
    let lexicon = Lexicon::builtin();
    let emergency: Vec<&str> = kb
        .categories
        .iter()
        .filter(|c| c.emergency)
        .map(|c| c.id.as_str())
        .collect();
    let held_out = |phrases: &mut Vec<String>, fold: usize| -> Vec<String> {
        let (kept, out): (Vec<_>, Vec<_>) = std::mem::take(phrases)
            .into_iter()
            .enumerate()
            .partition(|(i, _)| i % FOLDS != fold);
        *phrases = kept.into_iter().map(|(_, p)| p).collect();
        out.into_iter().map(|(_, p)| p).collect()
    };
    let mut folds: Vec<(Engine, Vec<answering::EvalCase>)> = Vec::new();
    for fold in 0..FOLDS {
        let mut kb = kb.clone();
        let mut cases = Vec::new();
        let mut add = |phrases: Vec<String>, expect: String| {
            cases.extend(phrases.into_iter().map(|q| answering::EvalCase {
                q,
                expect: expect.clone(),
            }))
        };
        for f in &mut kb.faqs {
            add(held_out(&mut f.phrases, fold), f.id.clone());
        }
        for s in &mut kb.services {
            add(held_out(&mut s.phrases, fold), s.id.clone());
        }
        for c in &mut kb.categories {
            let expect = if emergency.contains(&c.id.as_str()) {
                "emergency".to_string()
            } else {
                format!("complaint:{}", c.id)
            };
            add(held_out(&mut c.phrases, fold), expect);
        }
        let mut lexicon = lexicon.clone();
        add(
            held_out(&mut lexicon.out_of_scope, fold),
            "fallback".to_string(),
        );
        folds.push((Engine::build_with_lexicon(&kb, lexicon), cases));
    }
    let total: usize = folds.iter().map(|(_, c)| c.len()).sum();
    println!("{total} held-out messages in {FOLDS} folds");
    // Every held-out message ranked once; each temperature and threshold below decides anew.
    let ranked: Vec<(&[answering::EvalCase], Vec<_>)> = folds
        .iter()
        .map(|(engine, cases)| {
            let rankings = cases.iter().map(|case| engine.rank(&case.q)).collect();
            (cases.as_slice(), rankings)
        })
        .collect();
    // Temperature: log-loss of the right class among the entries and categories.
    for temperature in [0.5, 0.7, 1.0, 1.5, 2.0] {
        let (mut loss, mut n) = (0.0, 0.0);
        for (cases, rankings) in &ranked {
            for (case, ranking) in cases.iter().zip(rankings) {
                let want = case.expect.trim_start_matches("complaint:");
                if matches!(case.expect.as_str(), "fallback" | "emergency") {
                    continue;
                }
                let learned = ranking.learned(temperature);
                let p = learned
                    .iter()
                    .find(|(c, _)| c.id == want)
                    .map_or(0.0, |(_, p)| *p);
                loss -= p.max(1e-9).ln();
                n += 1.0;
            }
        }
        println!("temperature {temperature}: log-loss {:.3}", loss / n);
    }
    let base = engine().thresholds();
    let show = |name: &str, t: Thresholds| {
        let mut report = answering::EvalReport::default();
        for (cases, rankings) in &ranked {
            let r = answering::report_from_rankings(cases, rankings, &t);
            report.total += r.total;
            report.top1 += r.top1;
            report.wrong_confident += r.wrong_confident;
            report.expected_fallback += r.expected_fallback;
            report.expected_fallback_caught += r.expected_fallback_caught;
        }
        // Complaint category right: of the held-out report phrases, those answered as a
        // report of their own category.
        let (mut reports, mut right) = (0, 0);
        for (cases, rankings) in &ranked {
            for (case, ranking) in cases.iter().zip(rankings) {
                let Some(want) = case.expect.strip_prefix("complaint:") else {
                    continue;
                };
                reports += 1;
                let answer = ranking.decide(&t);
                right += usize::from(
                    answer.kind == AnswerKind::Complaint && answer.id.as_deref() == Some(want),
                );
            }
        }
        // The objective from the counts, not from the rounded percentages (a tenth of a
        // point of wrong answers is six tenths of the objective).
        let objective = (report.top1_accuracy() - 6.0 * report.wrong_confident_rate()) * 100.0;
        println!(
            "| {name} | {:.1} % | {:.1} % | {:.1} % | {right}/{reports} | {objective:.2} |",
            report.top1_accuracy() * 100.0,
            report.wrong_confident_rate() * 100.0,
            report.out_of_scope_answered() * 100.0,
        );
    };
    show("chosen", base);
    show(
        "retrieval alone (classifier off)",
        Thresholds {
            learned_answer: 2.0,
            learned_complaint: 2.0,
            learned_category: 2.0,
            learned_suggest: 2.0,
            ..base
        },
    );
    for v in [0.8, 0.9, 0.95, 0.97, 0.99] {
        show(
            &format!("learned_answer {v}"),
            Thresholds {
                learned_answer: v,
                ..base
            },
        );
    }
    for v in [0.6, 0.8, 0.95, 1.01] {
        show(
            &format!("learned_complaint {v}"),
            Thresholds {
                learned_complaint: v,
                ..base
            },
        );
    }
    for v in [0.0, 0.25, 0.75, 1.01] {
        show(
            &format!("contested {v}"),
            Thresholds {
                contested: v,
                ..base
            },
        );
    }
    for v in [0.0, 0.42, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01] {
        show(
            &format!("challenge {v}"),
            Thresholds {
                challenge: v,
                ..base
            },
        );
    }
    for v in [0.5, 0.7, 0.8, 0.9, 0.95] {
        show(&format!("confirm {v}"), Thresholds { confirm: v, ..base });
    }
    for v in [0.0, 0.05, 0.1, 0.2, 0.3] {
        show(
            &format!("floor_support {v}"),
            Thresholds {
                floor_support: v,
                ..base
            },
        );
    }
    for v in [0.6, 0.7, 0.8, 0.9, 0.95, 1.01] {
        show(
            &format!("sure_out_of_scope {v}"),
            Thresholds {
                sure_out_of_scope: v,
                ..base
            },
        );
    }
    for v in [0.2, 0.3, 0.4, 0.7, 1.01] {
        show(
            &format!("learned_out_of_scope {v}"),
            Thresholds {
                learned_out_of_scope: v,
                ..base
            },
        );
    }
}

#[test]
fn asking_for_a_person_is_in_scope_however_much_it_says_about_the_bot() {
    // The scope model learned chit-chat about the bot as out of scope; a request to be put
    // through to a person (someone to talk to, and a word for being connected or served)
    // that complains about the bot on the way had been held back as chit-chat.
    for message in [
        "bisa sambungkan ke admin manusia aja gak, botnya gak ngerti",
        "aku njaluk diladeni wong e langsung, bot e ora mudeng",
        "tolong hubungkan dengan petugas manusia, bot ini tidak paham",
    ] {
        assert_eq!(label(message), "umum.bicara-petugas", "{message}");
    }
    // Chit-chat about the bot, or a person named without asking to talk to one, stays out.
    for message in [
        "kamu manusia atau robot sih",
        "botnya pinter juga ya, kayak manusia",
        "admin cantik deh",
    ] {
        assert_eq!(label(message), "fallback", "{message}");
    }
}

/// What the engine made of `message` is `expected`; when it is not, the failure shows the
/// engine's reading of the message.
fn assert_reading<T: PartialEq + std::fmt::Debug>(message: &str, actual: T, expected: T) {
    assert_eq!(actual, expected, "{message}\n{}", engine().explain(message));
}

/// The message gets an answer of `kind`.
fn assert_kind(message: &str, kind: AnswerKind) {
    assert_reading(message, engine().answer(message).kind, kind);
}

/// Each of `messages` gets an answer of `kind`.
fn assert_each_kind(messages: &[&str], kind: AnswerKind) {
    for message in messages {
        assert_kind(message, kind);
    }
}

/// The message gets an answer of any kind but `kind`.
fn assert_not_kind(message: &str, kind: AnswerKind) {
    let actual = engine().answer(message).kind;
    assert_ne!(actual, kind, "{message}\n{}", engine().explain(message));
}

/// Each of `emergencies` is one; none of `not_emergencies` (the same words asked about,
/// or with nobody in danger).
fn assert_emergencies_both_ways(emergencies: &[&str], not_emergencies: &[&str]) {
    for message in emergencies {
        assert_kind(message, AnswerKind::Emergency);
    }
    for message in not_emergencies {
        assert_not_kind(message, AnswerKind::Emergency);
    }
}

/// The message is answered with the FAQ entry `entry`.
fn assert_answered_with(message: &str, entry: &str) {
    let answer = engine().answer(message);
    assert_reading(
        message,
        (answer.kind, answer.id.as_deref()),
        (AnswerKind::Faq, Some(entry)),
    );
}

/// The message is answered as a report of `category`.
fn assert_reported_as(message: &str, category: &str) {
    let answer = engine().answer(message);
    assert_reading(
        message,
        (answer.kind, answer.id.as_deref()),
        (AnswerKind::Complaint, Some(category)),
    );
}

#[test]
fn a_cue_word_with_the_clitic_nya_still_names_its_category() {
    // "-nya" (Javanese "-ne"/"-e", which the lexicon reads as "-nya") says whose lamp, not
    // which thing: "lampunya jalan" is the street lamp, not a road.
    for (message, category) in [
        ("lampunya jalan depan musala mati semua", "pju-mati"),
        ("lampune dalan ngarep omahku mati telung dino", "pju-mati"),
        (
            "jalannya berlubang di depan pasar, motor sering jatuh",
            "jalan-rusak",
        ),
    ] {
        assert_reported_as(message, category);
    }
}

#[test]
fn peeling_slipping_unlicensed_and_late_are_problems() {
    for (message, category) in [
        (
            "cat aspal di jl. mastrip sudah mengelupas, banyak pengendara terpeleset",
            "jalan-rusak",
        ),
        (
            "ada gudang baru berdiri tanpa izin di tengah kampung kami",
            "perizinan",
        ),
    ] {
        assert_reported_as(message, category);
    }
    // A late payment is a question, not a report about someone who came late.
    assert_ne!(
        engine()
            .answer("bayar pbb telat dua tahun, dendanya bisa dikurangi?")
            .kind,
        AnswerKind::Complaint
    );
    assert_ne!(
        engine()
            .answer("jualan kue dari rumah tanpa izin boleh atau harus punya nib?")
            .kind,
        AnswerKind::Complaint
    );
}

#[test]
fn a_stinging_smell_a_dirty_toilet_and_what_is_broken_and_not_replaced_are_reports() {
    assert_each_kind(
        &[
            "bau kaporit di air pdam menyengat sekali minggu ini",
            "wc umum di stasiun jorok sekali, tidak pernah disiram",
            "kaca halte bus di depan rsud pecah, belum diganti",
        ],
        AnswerKind::Complaint,
    );
    // Asked about, the same words stay questions.
    for message in [
        "kulit gatal setelah kena banjir, obatnya apa dan di mana puskesmas terdekat",
        "kalau ktp rusak bisa diganti di mana",
    ] {
        assert_ne!(
            engine().answer(message).kind,
            AnswerKind::Complaint,
            "{message}"
        );
    }
}

#[test]
fn a_report_whose_cues_name_two_categories_takes_the_one_it_is_about() {
    // Reported in the issue: cue lists weigh words ("rusak" is also a disaster's cue, "jalan"
    // a road's), so a tie or a near tie went to the wrong category. Among the categories the
    // cues found, the classifier decides.
    for (message, category) in [
        ("jalan depan rumah rusak parah", "jalan-rusak"),
        ("lampu jalan mati di jl. suroyo", "pju-mati"),
        ("lampu jalan di gang 4 mati total sejak kemarin", "pju-mati"),
        (
            "jalan kampung kami rusak berat banyak lubang",
            "jalan-rusak",
        ),
    ] {
        assert_reported_as(message, category);
    }
}

#[test]
fn someone_armed_a_chase_and_people_under_rubble_are_emergencies() {
    assert_emergencies_both_ways(
        &[
            "ada orang mabuk bawa golok di gang masjid, warga pada lari",
            // "jambret" is a thief and "ngejar" a chase, in everyday words.
            "dua jambret ngejar ibu-ibu di pasar baru, tolong cepat",
            "gedung sekolah lama ambruk, dua pekerja masih di bawah reruntuhan",
            // Madurese: "still inside the well, cannot get out".
            "ana' kaule gi' e dhalem sumur ta' bisa kaloar, tolong",
        ],
        // Asked about, or without anyone in danger, the same words are not emergencies.
        &[
            "kalau ada orang bawa senjata tajam di tempat umum, lapornya ke mana?",
            "pohon besar roboh menutup jalan di jl. panglima sudirman",
            "dompet saya dicopet di alun-alun kemarin, bagaimana mengurus ktp yang hilang",
        ],
    );
}

#[test]
fn help_that_never_comes_sellers_on_the_pavement_and_staff_who_do_not_come_are_reports() {
    for (message, category) in [
        (
            "keluarga kami tidak kebagian bantuan beras dari kelurahan padahal termasuk miskin",
            "bansos",
        ),
        // Selling on the pavement is a matter of order, not of the pavement.
        (
            "pedagang buah berjualan di trotoar jl. dr soetomo sampai pejalan kaki tidak bisa lewat",
            "ketertiban-umum",
        ),
        (
            "petugas loket dukcapil jarang masuk, warga disuruh kembali besok terus",
            "pelayanan-adminduk",
        ),
        // "narik uang" is collecting money, without a receipt: a levy.
        (
            "oknum kelurahan narik uang 200 ribu buat surat pindah tanpa kuitansi",
            "pungli-korupsi",
        ),
    ] {
        assert_reported_as(message, category);
    }
    assert_not_kind(
        "berapa tarif retribusi pasar per hari dan apakah ada karcisnya?",
        AnswerKind::Complaint,
    );
}

#[test]
fn asking_to_chat_with_a_real_person_hands_off() {
    let message = "bisa chat dengan orang asli? botnya muter-muter terus";
    let answer = engine().answer(message);
    assert_reading(
        message,
        (answer.kind, answer.id.as_deref()),
        (AnswerKind::Faq, Some("umum.bicara-petugas")),
    );
}

#[test]
fn threats_told_at_length_or_calmly_are_emergencies() {
    assert_emergencies_both_ways(
        &[
            // A stroke's signs.
            "nenek tiba-tiba bicaranya pelo dan tangan kirinya tidak bisa digerakkan, tolong",
            // Water to the waist and rising, a call for a boat.
            "air sudah sepinggang dan terus naik, kakek saya tidak bisa jalan, tolong kirim perahu",
            // Someone under the water who has not come up.
            "keponakan saya tercebur di kali dekat jembatan dan belum muncul sampai sekarang",
            // A boat upside down, people clinging to it.
            "ada perahu wisata terbalik di dekat dermaga, penumpangnya masih berpegangan",
            // A beating going on now.
            "suami saya sedang dipukuli orang di depan warung",
        ],
        &[
            "kalau ada yang bicaranya pelo tiba-tiba, harus dibawa ke mana?",
            "rambu di perempatan terbalik arahnya, bikin bingung pengendara",
            "berapa biaya sewa perahu wisata di pantai",
        ],
    );
}

#[test]
fn a_service_that_stopped_without_a_word_is_a_report() {
    assert_reported_as(
        "posyandu di kampung kami tidak buka sudah tiga bulan, tidak ada kabar dari puskesmas",
        "pelayanan-kesehatan",
    );
    assert_not_kind(
        "posyandu buka jam berapa di hari sabtu?",
        AnswerKind::Complaint,
    );
}

#[test]
fn everyday_words_next_to_a_content_word_are_not_repaired_into_it() {
    // Typo repair had read these as "mengadu", "proses", "tentang", "bidan", "masuk".
    let read = tokens(
        "ada yang mengaku petugas, saya mau protes dengan tenang, badan saya lemas habis masak",
    );
    for word in ["mengaku", "protes", "tenang", "badan", "masak"] {
        assert!(
            read.iter().any(|t| t == word),
            "{word} was repaired: {read:?}"
        );
    }
}

#[test]
fn a_beating_burns_and_being_trapped_in_krama_are_emergencies() {
    assert_emergencies_both_ways(
        &[
            // "mukulin": beating, in chat.
            "bapak lagi mukulin ibu di dapur, saya takut sekali",
            "anak saya kena luka bakar, kulitnya melepuh, tolong",
            // Krama: "trapped by the flood at home, cannot get out".
            "simbah kepepet banjir ing griya, mboten saged medal, tulung",
        ],
        &["salep untuk luka bakar ringan apa ya?"],
    );
}

#[test]
fn regional_words_with_a_possessive_suffix_reach_their_lexicon_row() {
    // Krama -ipun, Javanese -e/-ne, Madurese -na on words the lexicon lists bare.
    let read = tokens("ambeganipun bapak alon, pesone ditinggal, parlona banyak");
    for word in ["bernapas", "pisau", "perlu"] {
        assert!(read.iter().any(|t| t == word), "{word} not read: {read:?}");
    }
    // A word the rows list with its suffix keeps that row's reading.
    assert!(tokens("kantore tutup jam piro")
        .iter()
        .any(|t| t == "kantornya"));
}

#[test]
fn money_asked_by_a_person_is_pungli_whatever_the_service() {
    for message in [
        // The person after the amount, as the agent; "disunat": cut, in chat.
        "jatah beras bansos ibu saya dipotong 25 ribu sama pendamping tiap bulan",
        "dana pkh nenek disunat 100rb oleh oknum kelurahan",
        // A companion of an aid programme asking before the amount, beside the programme's
        // own cue words.
        "pendamping pkh kami minta 20 ribu ke setiap penerima bantuan",
        // Krama: "the officer asked 150 thousand so my letter is done quickly".
        "petugas kelurahan nyuwun arta 150 ewu supados layang kula cepet rampung",
    ] {
        assert_reported_as(message, "pungli-korupsi");
    }
}

#[test]
fn an_office_named_with_another_city_is_out_of_scope_even_in_a_long_message() {
    let message = "mohon info jam pelayanan dukcapil kabupaten lumajang hari sabtu, \
                   soalnya kk saya masih di sana tapi sehari-hari saya kerja di probolinggo";
    assert_eq!(label(message), "fallback", "{}", engine().explain(message));
    // Moving from another city is a local question, also when the office is named with
    // this city.
    assert_eq!(
        label("pindah dari malang ke probolinggo, kk baru diurus di dukcapil kota probolinggo, syaratnya apa?"),
        "kependudukan.pindah-datang"
    );
}

#[test]
fn an_expired_document_is_a_renewal_not_a_report() {
    for message in [
        "stnk saya yang sudah mati 2 bulan harus bayar denda ya",
        "sim b saya yg udah mati 3 bulan bikin baru atau perpanjang",
    ] {
        assert_not_kind(message, AnswerKind::Complaint);
    }
    // A public thing that died is still one.
    assert_kind(
        "lampu jalan di gang kami sudah mati 2 minggu",
        AnswerKind::Complaint,
    );
}

#[test]
fn a_collapse_a_beating_of_the_writer_and_someone_who_cannot_be_got_out_are_emergencies() {
    assert_emergencies_both_ways(
        &[
            "kakek jatuh di teras, dipanggil tidak menyahut dan napasnya ngorok",
            "pacarku lagi ngamuk, dia memukuli saya terus, tolong",
            "banjir makin tinggi, tetangga yang stroke belum bisa dikeluarkan dari rumahnya",
            // Madurese: "someone drowned in the river, not found yet".
            "bede oreng tenggelem e songai, ghi' ta' etemmo, tolong",
            // Krama: "my mother fell and is not conscious".
            "ibu kula dhawah lan boten sadhar, nyuwun tulung",
        ],
        &[
            // Asked in advance: "just in case".
            "ugd rsud buka malam nggak? buat jaga-jaga, anak saya sering step kalau panas",
            "kalau ada yang napasnya ngorok waktu tidur, periksa ke poli apa?",
        ],
    );
}

#[test]
fn a_report_that_forms_ran_out_is_a_report() {
    for message in [
        "urus ktp lama sekali, kata petugasnya blangko tidak ada",
        "kk baru saya tidak dicetak, kata petugas tidak ada blangko",
    ] {
        assert_reported_as(message, "pelayanan-adminduk");
    }
}

#[test]
fn a_terse_statement_of_a_problem_is_a_report() {
    for (message, category) in [
        ("ayunan di taman bermain patah", "fasilitas-umum"),
        ("guru sd kami sering tidak masuk", "pendidikan"),
        ("bantuan pkh belum cair sampai sekarang", "bansos"),
    ] {
        assert_reported_as(message, category);
    }
    // Short, but asking, or a document's own state, or a tip ("bocoran") rather than a leak.
    for message in [
        "lampu jalan mati lapornya ke mana?",
        "ktp saya hilang",
        "bocoran soal ujian smp ada min?",
    ] {
        assert_not_kind(message, AnswerKind::Complaint);
    }
}

#[test]
fn gas_smelt_behind_a_locked_door_and_a_collapse_in_ngoko_are_emergencies() {
    assert_emergencies_both_ways(
        &[
            "dari pagi ada bau elpiji di rumah kosong sebelah, pintunya terkunci",
            // Ngoko: "father collapsed on the porch, called, does not answer".
            "bapakku ambruk nang teras, diceluk ora nyauri",
        ],
        // A tree that fell on nobody ("untung tidak ada yang kena") is a report.
        &["pohon besar tumbang menimpa pagar, untung tidak ada yang kena, tolong segera dipotong"],
    );
    assert_reported_as(
        "air ledeng rumah dari kemarin keluarnya coklat, mau masak jadi takut",
        "air-pdam",
    );
}

#[test]
fn a_report_that_ends_asking_the_city_to_act_stays_a_report() {
    // "kapan diperbaiki?", "minta dicek ta": the report's request, not a question for the FAQ
    // entry on the matter.
    for (message, category) in [
        (
            "jalan kampung kami bolong-bolong kayak kolam, sudah berkali-kali lapor tidak ditanggapi, kapan diperbaiki?",
            "jalan-rusak",
        ),
        (
            "tagihan air bulan ini 500 ribu padahal biasanya 100an, minta dicek ta",
            "air-pdam",
        ),
    ] {
        assert_reported_as(message, category);
    }
    // Asking whether the service can be asked for is the FAQ entry's question.
    assert_not_kind(
        "pohon di depan rumah sudah miring ke jalan, bisa minta dipangkas?",
        AnswerKind::Complaint,
    );
}

#[test]
fn what_happens_every_rain_or_a_stuck_permit_is_not_an_emergency_and_a_stroke_is() {
    assert_emergencies_both_ways(
        &["kakek tiba-tiba bicaranya pelo, tangan kanannya lemas"],
        &[
            "SETIAP HUJAN DERAS RUMAH KAMI KEMASUKAN AIR SELOKAN!!! sudah lapor berkali-kali",
            "izin usaha saya sudah 2 bulan statusnya tidak bergerak, tolong segera diproses",
        ],
    );
}

#[test]
fn a_teacher_who_hits_or_stays_away_a_stuck_permit_and_an_unusual_bill_are_reports() {
    for (message, category) in [
        // Javanese "nyeples": slapping.
        (
            "guru matematika anakku seneng nyeples murid sing rame, anakku dadi wedi mlebu",
            "pendidikan",
        ),
        (
            "izin usaha saya lewat OSS sudah 2 bulan statusnya mandek, modal saya tertahan",
            "perizinan",
        ),
        (
            "tagihan air bulan ini 400 ribu, biasanya cuma 90an, rumah kosong ditinggal mudik",
            "air-pdam",
        ),
        // A fire that is out, and what it left: a disaster report.
        (
            "rumah pak rt kebakaran tadi malam, api sudah mati, sekarang keluarganya butuh bantuan",
            "bencana",
        ),
    ] {
        assert_reported_as(message, category);
    }
    // The intensifier between the words of "jarang masuk" ("jarang bgt masuk").
    assert!(
        tokens("gurunya jarang bgt masuk")
            .windows(2)
            .any(|w| w == ["jarang", "masuk"]),
        "{:?}",
        tokens("gurunya jarang bgt masuk")
    );
}

#[test]
fn a_problem_told_without_a_problem_word_is_a_report() {
    // No listed problem word, but a service's topic, a duration, a place and frustration,
    // and nothing asked.
    assert_reported_as(
        "tukang sampah sudah dua minggu tidak lewat gang kami, padahal iuran tetap ditagih tiap bulan",
        "sampah",
    );
    // Someone claiming to be of an office, asking money.
    assert_reported_as(
        "ada orang ngaku dari dinas perizinan minta 3 juta supaya izin kafe saya terbit",
        "pungli-korupsi",
    );
    // Smoke that makes breathing hard every night is pollution, not an emergency now.
    assert_not_kind(
        "asap pabrik dekat rumah tiap malam bikin sesak napas",
        AnswerKind::Emergency,
    );
}

#[test]
fn formal_words_for_people_inside_a_fire_gasping_and_a_building_without_a_permit() {
    assert_emergencies_both_ways(
        &[
            "Dengan hormat, api terlihat dari gudang plastik di Jl. Sudirman, beberapa karyawan masih berada di dalam.",
            "Ayah saya terjatuh di dapur, napasnya tersengal dan tidak menjawab",
        ],
        &[],
    );
    assert_reported_as(
        "di gang kami dibangun gudang besar yang tidak memiliki izin, truk keluar masuk sampai malam",
        "perizinan",
    );
}

#[test]
fn a_report_ending_in_a_rhetorical_question_is_a_report() {
    for (message, category) in [
        (
            "petugas loket dukcapil kemarin membentak bapak saya karena lupa bawa fotokopi. apa begitu cara melayani orang tua?",
            "pelayanan-adminduk",
        ),
        // "bentak-bentak": shouting at, in chat.
        (
            "satpam rsud bentak-bentak keluarga pasien di lobi, masa begitu cara melayani warga?",
            "pelayanan-kesehatan",
        ),
    ] {
        assert_reported_as(message, category);
    }
    // Checking one's own steps is a question.
    assert_not_kind(
        "saya sudah isi formulir lalu antre di loket, apa begitu caranya?",
        AnswerKind::Complaint,
    );
}

#[test]
fn a_report_asking_when_it_will_be_put_right_is_a_report() {
    for (message, category) in [
        (
            "lampu penerangan di gang melati padam 5 titik sudah seminggu, kpn diganti?",
            "pju-mati",
        ),
        (
            "air pdam di rumah saya tidak keluar dari kemarin pagi, kapan ngalir lagi?",
            "air-pdam",
        ),
        // "dipalak": extorted, by older pupils.
        (
            "anakku dipalak kakak kelas tiap hari di sekolah, gurunya diam saja",
            "pendidikan",
        ),
    ] {
        assert_reported_as(message, category);
    }
    // "kapan" after its noun asks when a thing is: the FAQ entry's question.
    assert_not_kind(
        "pengajuan informasi saya ke ppid ditolak tanpa alasan. bisa keberatan? batas waktunya kapan?",
        AnswerKind::Complaint,
    );
    assert_emergencies_both_ways(
        &["tukang bangunan jatuh dari atap, kakinya patah tulangnya keluar"],
        &[],
    );
}

#[test]
fn fires_out_of_hand_attacks_a_heart_attack_and_a_child_locked_in_a_car_are_emergencies() {
    assert_emergencies_both_ways(
        &[
            // "kebakar": burning, in chat.
            "rumah pak darmo kebakar, apinya sudah sampai atap, tolong",
            "api dari wajan nyambar tirai, saya tidak bisa madamin",
            "ada begal lagi nodong orang di jalan sepi dekat sawah",
            "bapak tiba-tiba memegang dada, susah bernapas, mukanya pucat",
            // Javanese: "my child is locked inside the car".
            "anakku kekunci nang njero mobil, panas banget",
        ],
        &[
            // Asking how to help, in advance.
            "cara nolong orang tersedak gimana ya",
            // What the message reports is the money a person asked for afterwards.
            "setelah rumah saya kebakaran, petugas yang datang minta uang 300 ribu",
            // A snake to be caught: the dangerous-animals entry (the labelled sets' rule).
            "ular kobra masuk dapur, siapa yang bisa menangkap?",
        ],
    );
    assert_reported_as(
        "setelah rumah saya kebakaran, petugas yang datang minta uang 300 ribu",
        "pungli-korupsi",
    );
}

#[test]
fn a_floods_aftermath_is_a_disaster_report_and_a_companion_cutting_aid_is_pungli() {
    for (message, category) in [
        (
            "banjir kemarin sudah surut, tapi rumah kami penuh lumpur dan perabot rusak semua, mohon pendataan untuk bantuan",
            "bencana",
        ),
        (
            "pendamping bpnt di kampung kami motong 100rb dari tiap penerima",
            "pungli-korupsi",
        ),
    ] {
        assert_reported_as(message, category);
    }
}

#[test]
fn emergencies_told_in_madurese_and_javanese_and_apa_apa_is_not_a_question() {
    assert_emergencies_both_ways(
        &[
            // Madurese: "a small child drowned in the pond, still not found".
            "bede ana' kene' tengghelem e tambak, gi' ta' etemmo",
            // Krama: "someone is about to jump from the bridge".
            "wonten tiyang badhe mlumpat saking jembatan, kula mboten saged nyegah",
            // Ngoko: "the neighbour's gas stove leaks, it has started to burn".
            "kompor gas tonggoku bocor, wis mulai murub, tulung",
            // Ngoko: "father's mouth suddenly drooping, his arm cannot be moved".
            "bapakku dadakan lambene mencong, tangane gak iso diobahno",
            // Madurese: "someone bitten by a snake in the field, the foot swollen".
            "oreng ekeke' ula' e tegal, sokona bengkak",
        ],
        &[],
    );
    // "apa-apa" is "anything": the report does not end asking.
    assert_reported_as(
        "air pdam di gang kami mati sejak kemarin, tidak ada pengumuman apa-apa",
        "air-pdam",
    );
    assert!(tokens("tidak ada pengumuman apa-apa")
        .iter()
        .all(|t| t != "apa"));
}

#[test]
fn a_live_wire_touched_fire_reaching_the_roof_refuge_from_rising_water_and_a_brandished_weapon_are_emergencies(
) {
    assert_emergencies_both_ways(
        &[
            "barusan anak tetangga tersentuh kabel listrik waktu main layangan, sekarang diam saja",
            "dari rumah sebelah keluar asap dan api sampai ke atap, penghuninya belum kelihatan",
            "ada pemuda membawa golok di depan warung, warga ketakutan",
            "orang itu mengacungkan pisau ke kasir minimarket di jalan kami",
            "air di kamar kami terus naik, kami sudah naik ke atas lemari bersama anak",
            // Krama: "my brother has just been beaten by a drunk man, he is at home now".
            "adik kula nembe dipun antemi tiyang mendem, sakmenika wonten griya",
            // "kalau dipanggil" tells how the victim is, not a hypothetical.
            "di depan rumah saya pengendara itu tergeletak dan tidak menjawab kalau dipanggil, harus bagaimana?",
        ],
        // A dream of a danger is none.
        &["semalam saya mimpi rumah kebakaran, itu pertanda apa ya?"],
    );
}

#[test]
fn an_authority_outside_the_city_is_never_an_entry_nor_a_report() {
    // Only names that say an authority outside the city government: the land office is named
    // by one entry (BPHTB is paid before the BPN registers a deed), which still answers.
    let lexicon = Lexicon::builtin();
    let outside: Vec<&String> = lexicon
        .offices
        .iter()
        .filter(|(_, office)| office == "luar")
        .map(|(name, _)| name)
        .collect();
    assert!(outside.len() >= 10, "{outside:?}");
    assert_each_kind(
        &[
            "mau balik nama sertifikat rumah yang dibeli dari saudara, ke bpn bawa apa saja?",
            "baru pindah domisili sebelum pemilu, nanti nyoblos di mana?",
            "jaringan indihome di gang kami putus sejak kemarin sore, tolong segera diperbaiki",
            "listrik pln di gang kami padam sejak siang, dagangan es saya cair semua",
            // Another city's office, however the message moves between cities.
            "ktp saya masih domisili jember, dukcapil jember buka jam berapa",
        ],
        AnswerKind::Fallback,
    );
    // The street-light entry answers whether the lights are the city's or PLN's.
    let answer = engine().answer("lampu jalan di gang saya itu urusan pemkot atau pln ya?");
    assert_eq!(
        answer.id.as_deref(),
        Some("prasarana.pju-mati"),
        "{answer:?}"
    );
    let answer = engine().answer("bphtb jual beli rumah dibayar sebelum atau sesudah ke bpn?");
    assert_eq!(answer.id.as_deref(), Some("pajak.bphtb"), "{answer:?}");
}

#[test]
fn a_plain_statement_of_a_problem_at_the_door_is_a_report() {
    // No question word anywhere: what the citizen tells the city's line is a report, even
    // without one of the listed problem words.
    assert_reported_as(
        "angin puting beliung semalam menerbangkan atap enam rumah di RT 2 Jati, sekarang sudah reda, warga butuh terpal",
        "bencana",
    );
    assert_reported_as(
        "selokan di belakang deretan rumah kami ditutup cor oleh toko baru, sekarang tiap hujan air balik ke gang",
        "banjir-drainase",
    );
    // A statement of what one wants asks how to do it.
    assert_answered_with(
        "faskes bpjs saya masih klinik dekat tempat kerja lama, saya mau pindah ke puskesmas dekat rumah",
        "kesehatan.pindah-faskes",
    );
    // A condition that comes back is asked about, not an emergency.
    assert_not_kind(
        "anak saya sering kejang kalau demam tinggi, ugd rsud buka malam tidak?",
        AnswerKind::Emergency,
    );
}

#[test]
fn everyday_words_one_letter_from_a_content_word_stay_themselves() {
    // Typo repair had read these as "bekas", "tiang", "pengaduan", "malam", "toko", "pulsa".
    let read = tokens("beras bantuan, tilang, pengadilan, makam, tokoh, puasa");
    for word in ["beras", "tilang", "pengadilan", "makam", "tokoh", "puasa"] {
        assert!(
            read.iter().any(|t| t == word),
            "{word} was repaired: {read:?}"
        );
    }
    // Spoken forms still reach their word.
    assert_eq!(tokens("liwat kenceng"), ["lewat", "kencang"]);
}

#[test]
fn a_weapon_swung_a_child_gone_under_water_still_rising_in_ngoko_and_a_beating_in_madurese_are_emergencies(
) {
    assert_emergencies_both_ways(
        &[
            // "mengayunkan" had been repaired into "mengajukan".
            "ada pemuda mabuk mengayunkan golok di depan pos ronda",
            "anak tetangga tercebur sungai waktu main, sudah tidak kelihatan lagi",
            // Ngoko: "the water is chest high and still rising, grandma cannot get out".
            "banyune wis sak dodo lan munggah terus, mbahku ora iso metu",
            // Madurese: "a man is still hitting his child in the alley, screaming".
            "oreng lake' ghi' mokol anakna e lorong, ajerrit-jerrit",
            "rumah pojok gang keluar asap hitam, apinya di dapur, penghuninya belum kelihatan keluar",
        ],
        &[],
    );
}

#[test]
fn a_broken_leg_a_robbery_at_knifepoint_a_hose_alight_and_fire_leaping_are_emergencies_and_a_repair_request_is_a_report(
) {
    assert_emergencies_both_ways(
        &[
            "saya jatuh dari motor di jalan sepi, kaki saya patah tidak bisa berdiri",
            // A fall and a break said apart still weigh with "just now".
            "barusan bapak jatuh sendiri di kebun, tangannya sepertinya patah, tidak bisa berdiri",
            "tas saya dirampas orang yang pegang pisau di dekat pasar",
            "selang gas di dapur warung bocor dan sudah nyala api",
            "anak saya dipatok ular di kebun, kakinya bengkak",
            "api keluar dari gudang sebelah, asapnya tebal",
            // Ngoko: "a big fire at the warehouse, it has leapt to the neighbours' houses".
            "geni gedhe nang gudang, wis nyamber omah tonggo",
            // A fire asked to be dealt with is still one.
            "kebakaran di gudang belakang pasar, tolong segera ditangani",
        ],
        &["saya mau mengajari murid soal kebakaran, apa yang dilakukan kalau rumah terbakar?"],
    );
    // What collapsed yesterday, with a request to repair it: the damage is reported.
    assert_reported_as(
        "plengsengan kali di gang kami ambrol waktu hujan kemarin, mohon segera diperbaiki",
        "banjir-drainase",
    );
    // "apa2" is "apa-apa" (anything): the report does not end asking.
    assert_reported_as(
        "air pdam di gang kami mati sejak subuh, tidak ada pengumuman apa2",
        "air-pdam",
    );
}

#[test]
fn a_face_turning_blue_smoke_with_someone_inside_and_a_child_not_seen_again_are_emergencies_and_weeks_of_a_stuck_permit_is_not(
) {
    assert_emergencies_both_ways(
        &[
            "anakku keselek kacang, mukanya mulai biru",
            "rumah sebelah asapnya mengepul dari jendela, ada kakek di dalam",
            "anak tetangga kecebur sungai barusan, belum kelihatan",
            // Months of a pregnancy are not how long the danger has lasted.
            "istri saya hamil 8 bulan pendarahan banyak sekarang",
        ],
        &["izin usaha kami sudah 3 bulan tidak gerak statusnya, tolong"],
    );
    // Another city's government, and the accident insurer: outside the city government.
    assert_each_kind(
        &[
            "pemkot pasuruan buka job fair kapan?",
            "klaim jasa raharja korban tabrakan syaratnya apa",
        ],
        AnswerKind::Fallback,
    );
}

#[test]
fn a_body_stuck_to_a_live_wire_a_sickle_brandished_and_a_flood_to_the_waist_in_ngoko_are_emergencies(
) {
    assert_emergencies_both_ways(
        &[
            "perahu nelayan terbalik dekat pelabuhan, dua orang belum muncul",
            "tukang listrik kena setrum di tiang, badannya masih nempel",
            // Ngoko: "a drunk man is brandishing a sickle at the market".
            "wong mendem ngacungno arit nang pasar",
            // Ngoko: "the water is at the waist and rising, we climbed onto the wardrobe".
            "banyune wis sak bangkekan lan mundak terus, awakdewe munggah nang duwur lemari",
        ],
        &[],
    );
}

#[test]
fn aid_in_kind_cut_by_a_person_is_pungli_and_a_broken_app_is_not_the_citys_report() {
    assert_reported_as(
        "beras bpnt dipotong 3 kilo sama pengurus kelompok, buat uang transport katanya. boleh begitu?",
        "pungli-korupsi",
    );
    // A problem no category names, which the scope model holds out of scope: the
    // citizen's own.
    assert_kind(
        "aplikasi instagram saya tidak bisa dibuka dari pagi",
        AnswerKind::Fallback,
    );
}

#[test]
fn a_problem_told_before_asking_whom_where_or_what_to_do_is_a_question() {
    for (message, entry) in [
        // "minta dipotong ke siapa": asked of whom, the request asks for the channel.
        (
            "dahan pohon di depan masjid kami sudah lapuk, minta dipotong ke siapa?",
            "lingkungan.pohon-rawan",
        ),
        // "harus bagaimana ini" asks what to do ("bagaimana ini" alone protests).
        (
            "kartu bpjs bapak ditolak di rumah sakit katanya tidak aktif, harus bagaimana ini",
            "kesehatan.bpjs-nonaktif",
        ),
        // Ngoko "gak seh" is "tidak sih": a yes/no question.
        (
            "omahku gentenge bocor kabeh, onok bantuan bedah omah gak seh",
            "prasarana.rtlh",
        ),
    ] {
        assert_answered_with(message, entry);
    }
}

#[test]
fn kepepet_is_a_pinch_unless_something_traps_and_a_fall_in_madurese_is_an_emergency() {
    // "kepepet" in chat is being in a pinch: a bribe paid "krn kepepet" is pungli.
    assert_reported_as(
        "pas ngurus akta di loket ada oknum bilang bisa jadi hari ini asal kasih 100rb uang rokok. sy kasih krn kepepet, mohon ditindak",
        "pungli-korupsi",
    );
    assert_emergencies_both_ways(
        &[
            // Krama: trapped in the attic, the water chest high.
            "simbah kepepet wonten loteng, toya sampun sadhadha",
            "kakek di taman tiba-tiba jatuh, napasnya hampir tidak ada",
            // Madurese: "my father fell in the bathroom, he cannot be woken".
            "bapakku ghegghar e jeding, ta' bisa egugah",
        ],
        // An extension worker asking what to do if a fire broke out.
        &["untuk penyuluhan warga, apa yang dilakukan bila terjadi kebakaran di rumah?"],
    );
}

#[test]
fn a_document_carried_off_by_a_flood_is_a_question_about_a_new_one() {
    // The wallet carries the card; "terbawa arus" said of the family card is its fate.
    assert_emergencies_both_ways(
        &[],
        &[
            "dompet saya hanyut waktu banjir kemarin, ktp di dalamnya, bikin lagi bagaimana?",
            "kk kami terbawa arus waktu banjir, cetak ulang syaratnya apa",
        ],
    );
}

#[test]
fn emergencies_told_in_english_are_emergencies() {
    // Residents and code-switching writers: the English words the emergency cues need.
    assert_emergencies_both_ways(
        &[
            "my neighbour is unconscious and not breathing, please help",
            "a car fell into the river near the bridge, the driver is trapped",
        ],
        &[],
    );
}

#[test]
fn help_needed_now_is_no_aid_programme_and_fire_seen_behind_a_locked_door_is_an_emergency() {
    assert_emergencies_both_ways(
        &[
            // "butuh bantuan" had calmed the emergency as a question about aid.
            "ayah saya jatuh di kamar mandi, sekarang tidak sadar dan napasnya ngorok, saya tidak tahu harus ngapain, butuh bantuan",
            "dari rumah tetangga keluar asap tebal dan kelihatan ada api, pintunya terkunci dari dalam",
        ],
        &[],
    );
    // Still only the menu.
    assert_kind("halo min, butuh bantuan", AnswerKind::Greeting);
}

#[test]
fn a_city_one_travels_to_or_from_is_a_detail_and_another_citys_figure_is_not_answered() {
    // The visitor's home or the family's is where the souvenir goes, not what is asked.
    for message in [
        "adikku dari malang mau main ke sini, oleh2 khas yang enak apa ya",
        "besok mudik ke bandung, mau bawa oleh-oleh khas probolinggo, apa yang cocok",
        "mau kirim oleh-oleh khas probolinggo buat saudara di jakarta, apa yang awet",
    ] {
        assert_answered_with(message, "wisata.oleh-oleh");
    }
    // Another city's own figure: the city's entry is about the city, and a damped score is
    // not taken by the floor rule.
    assert_each_kind(
        &[
            "umk pasuruan tahun ini berapa",
            "umr malang berapa sekarang",
        ],
        AnswerKind::Fallback,
    );
}

#[test]
fn harus_ngapain_asks_what_to_do() {
    assert_answered_with(
        "kartu kis bapak ditolak di puskesmas, katanya sudah tidak aktif, terus harus ngapain",
        "kesehatan.bpjs-nonaktif",
    );
}

#[test]
fn a_fight_with_a_knife_and_a_beating_in_active_ngoko_are_emergencies() {
    assert_emergencies_both_ways(
        &[
            // "berantem" had been read by IndoCollex as "berhantam", which no cue knows.
            "tolong ada yang berantem pake pisau di depan warung, satu sudah berdarah",
            // Active ngoko: "my neighbour is beating his child, the child screams".
            "tanggaku lagi nggebuki anake, bocahe nangis njerit-njerit",
        ],
        // A hypothetical taught to others is not a fire now.
        &["misal ada kebakaran di kampung, apa yang harus dilakukan dulu? mau saya ajarin ke anak2"],
    );
}

#[test]
fn never_listed_for_aid_while_the_well_off_get_it_is_a_bansos_report() {
    for message in [
        "bapak saya buruh serabutan gak pernah kedata bantuan apa2, tetangga yang punya mobil malah dapat",
        "simbah hidup sendirian, tidak pernah didata bansos sama sekali, mohon dicek",
    ] {
        assert_reported_as(message, "bansos");
    }
}

#[test]
fn nya_on_a_word_the_lexicon_replaces_reads_as_the_replacement() {
    // "tarif" is "biaya" on both sides; "tarifnya" had been a word nobody knew, which the
    // scope model counts against an answer.
    let read = tokens("mau minta salinan dokumen ke ppid, tarifnya berapa ya");
    assert!(read.iter().any(|t| t == "biaya"), "{read:?}");
    let answer = engine().answer("mau minta salinan dokumen ke ppid, tarifnya berapa ya");
    assert!(answer.score > 0.8, "{answer:?}");
}

#[test]
fn fire_growing_people_pinned_or_buried_lips_turning_blue_and_help_begged_for_are_emergencies() {
    assert_emergencies_both_ways(
        &[
            // Fire that grows, asked about as a question ("mau tanya").
            "mau tanya min, toko sebelah keluar asap, sekarang apinya makin gede",
            // Chat "ketindih", "ketimbun", "nyembur", "kesambar".
            "mobil tabrakan di depan pasar, pengendara motornya ketindih",
            "longsor di belakang rumah, dua orang ketimbun tanah",
            "kompor di dapur tetangga nyembur api, anaknya kesambar",
            // Someone fallen into water who has not come up again.
            "anak kecil kecebur sungai dekat dam, sampai sekarang gak muncul",
            // "kebiruan": turning blue.
            "bibir bapak kebiruan, tidak bisa bicara",
            // "mohon bantuan" begs for help, as "butuh bantuan" does: no aid programme.
            "malam ini dari rumah sebelah terdengar ibu-ibu menjerit sedang dipukuli suaminya, saya harus bagaimana, mohon bantuan",
        ],
        &[
            "kalau api kompor makin besar sebaiknya disiram air atau ditutup kain basah?",
            "bagaimana cara mendapat bantuan bedah rumah untuk nenek saya?",
        ],
    );
}

#[test]
fn the_office_there_after_another_city_is_that_citys_office() {
    // "dukcapil sana": the office of the city the message has just named.
    assert_each_kind(
        &[
            "teman kerja saya ktp nya masih ikut kota malang, dia nanya alamat dukcapil sana di mana ya",
            "sepupu saya orang kabupaten jember, katanya mau ngurus kk, kantor dukcapil sana buka jam berapa",
        ],
        AnswerKind::Fallback,
    );
}

#[test]
fn someone_gone_from_sight_or_afloat_after_a_capsize_is_an_emergency_and_misal_supposes() {
    assert_emergencies_both_ways(
        &[
            // Ngoko "ora ketok": no longer seen.
            "bocahe kecemplung sumur, saiki wis ora ketok",
            // A capsized boat with people still afloat.
            "kapal nelayan kebalik, tiga orang masih ngambang di laut",
        ],
        // "misal" supposes, as "seandainya" does.
        &["misal pasar kebakaran, apa yang pertama harus dilakukan pedagang"],
    );
}

#[test]
fn a_problem_in_another_city_is_not_the_citys_report() {
    for message in [
        "trotoar di depan stasiun kota malang banyak yang ambles, tolong diperbaiki",
        "lampu jalan di perumahan saudara saya di kabupaten pasuruan mati semua sejak seminggu",
    ] {
        assert_not_kind(message, AnswerKind::Complaint);
    }
    // A city named as where someone lived before, with Probolinggo named: the city's report.
    assert_reported_as(
        "jalan di depan rumah saya di probolinggo rusak, padahal dulu saya tinggal di surabaya jalannya mulus",
        "jalan-rusak",
    );
}

#[test]
fn soapy_or_chemical_waste_let_into_water_is_pollution() {
    for message in [
        "usaha cuci karpet di gang kami buang air sabun ke kali, airnya berbusa, tolong ditindak",
        "bengkel sebelah buang cairan ke got tiap sore, baunya bikin pusing, mohon ditertibkan",
    ] {
        assert_reported_as(message, "pencemaran-lingkungan");
    }
}

#[test]
fn fire_seen_now_and_someone_not_seen_again_in_the_water_are_emergencies() {
    assert_emergencies_both_ways(
        &[
            "ruko sebelah sekarang ada api di lantai dua, asapnya tebal",
            "anak tetangga jatuh ke sungai yang arusnya deras, sampai sekarang belum kelihatan lagi",
        ],
        // "kalau sampai" supposes.
        &["kalau sampai ada api di dapur, apa yang pertama harus dilakukan?"],
    );
}

#[test]
fn chat_sama_a_person_asks_for_one_even_after_complaining_about_the_bot() {
    // The scope model holds talk about the bot out of scope; asking to chat with a person
    // is a handoff all the same.
    for message in [
        "botnya muter2 terus, aku mau chat sama admin manusia",
        "bosen sama robot, pengen chat ama mimin beneran",
        "kok botnya ga ngerti2, chat sama petugas aja deh",
        // Phoning the officer, or someone to help directly (the entry's phrases).
        "mau telpon petugasnya langsung",
        "ada orang yg bisa bantu saya langsung?",
    ] {
        assert_answered_with(message, "umum.bicara-petugas");
    }
}

#[test]
fn no_answer_when_called_bleeding_in_pregnancy_pale_and_weak_are_emergencies() {
    assert_emergencies_both_ways(
        &[
            // Chat "nyaut": answers when called.
            "kakek tadi terpeleset di dapur, dipanggil gak nyaut, matanya terbuka",
            "adik saya yang hamil tiba-tiba keluar darah, sekarang lemes dan pucet",
        ],
        &[],
    );
}

#[test]
fn never_getting_aid_then_asking_how_to_apply_is_a_question_and_madurese_fire_ablaze_is_an_emergency(
) {
    // "daftarnya gimana" after the story asks how to apply: no report of aid withheld.
    assert_not_kind(
        "sy gk pernah dpt bantuan sembako padahal kurang mampu, daftarnya gmn",
        AnswerKind::Complaint,
    );
    // Madurese "apoyna ngobar": its fire is ablaze.
    assert_emergencies_both_ways(
        &["kompor warung sebelah bocor, apoyna ngobar, oreng-oreng padha berlarian"],
        &[],
    );
}
