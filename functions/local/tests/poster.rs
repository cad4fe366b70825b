//! `prolink poster`: the material follows the content (every main-menu row is on it) and its
//! QR code holds the chat link for the number given.

use std::{path::PathBuf, process::Command};

use qrcode::{Color, EcLevel, QrCode};
use serde_json::Value;

fn seed_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../infra/seed")
}

fn run_poster(out: &std::path::Path, number: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_prolink"))
        .args(["poster", "--number", number, "--seed"])
        .arg(seed_dir())
        .arg("--out")
        .arg(out)
        .env_remove("PROLINK_WHATSAPP_NUMBER")
        .output()
        .expect("prolink runs")
}

/// The main menu's row titles as `menus.json` has them (read here, not through the code).
fn main_menu_titles() -> Vec<String> {
    let text = std::fs::read_to_string(seed_dir().join("menus.json")).unwrap();
    let menus: Value = serde_json::from_str(&text).unwrap();
    let root = menus["root"].as_str().unwrap();
    let main = menus["menus"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == root)
        .unwrap();
    main["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap().to_string())
        .collect()
}

fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The dark modules of the QR group `<g id="qr" …>`: the path the `qrcode` SVG renderer
/// writes, one unit per module (`M{x} {y}h{w}v{h}H{x}V{y}` rectangles).
fn qr_modules(svg: &str) -> (String, usize, Vec<bool>) {
    let group = &svg[svg.find(r#"<g id="qr""#).expect("a QR group")..];
    let url_start = group.find(r#"data-url=""#).unwrap() + 10;
    let url = group[url_start..][..group[url_start..].find('"').unwrap()].replace("&amp;", "&");
    let view = &group[group.find(r#"viewBox="0 0 "#).unwrap() + 13..];
    let width: usize = view[..view.find(' ').unwrap()].parse().unwrap();
    let d_start = group.find(r#" d=""#).unwrap() + 4;
    let d = &group[d_start..][..group[d_start..].find('"').unwrap()];
    let mut dark = vec![false; width * width];
    for rect in d.split('M').filter(|r| !r.is_empty()) {
        let numbers: Vec<usize> = rect
            .split(|c: char| c.is_ascii_alphabetic() || c == ' ')
            .filter(|n| !n.is_empty())
            .map(|n| n.parse().unwrap())
            .collect();
        let [x, y, w, h] = [numbers[0], numbers[1], numbers[2], numbers[3]];
        for row in y..y + h {
            for col in x..x + w {
                dark[row * width + col] = true;
            }
        }
    }
    (url, width, dark)
}

#[test]
fn the_poster_lists_the_main_menu_and_its_qr_opens_the_chat() {
    let out = tempfile::tempdir().unwrap();
    let result = run_poster(out.path(), "6281234567890");
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let expected_url = "https://wa.me/6281234567890?text=halo";
    let code = QrCode::with_error_correction_level(expected_url, EcLevel::M).unwrap();
    let expected: Vec<bool> = code.to_colors().iter().map(|c| *c == Color::Dark).collect();
    let titles = main_menu_titles();
    assert!(titles.len() >= 5, "the main menu has its rows: {titles:?}");

    for file in ["poster-a4.svg", "social-1080.svg"] {
        let svg = std::fs::read_to_string(out.path().join(file)).unwrap();
        assert!(svg.starts_with("<svg "), "{file} is an SVG document");
        for title in &titles {
            assert!(
                svg.contains(&xml(title)),
                "{file} lacks the menu row {title}"
            );
        }
        assert!(svg.contains("+62 812 3456 7890"), "{file} shows the number");
        let (url, width, dark) = qr_modules(&svg);
        assert_eq!(url, expected_url, "{file}");
        assert_eq!(width, code.width(), "{file}: QR size");
        assert!(
            dark == expected,
            "{file}: the QR modules are not those of {expected_url}"
        );
    }
}

#[test]
fn a_malformed_number_is_refused_and_nothing_is_written() {
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("poster");
    let result = run_poster(&target, "0812-3456-7890");
    assert!(!result.status.success());
    assert!(String::from_utf8_lossy(&result.stderr).contains("tidak valid"));
    assert!(!target.exists());
}
