//! `prolink poster`: the socialisation material (a printable A4 poster and a square image for
//! social media) drawn from the content itself — the main menu of `menus.json`, the number of
//! answers and services, the complaint categories — so a change of the menu changes the
//! poster. The QR code opens a chat with the bot pre-filled with "halo".

use std::{fmt::Write as _, path::Path};

use anyhow::Context;
use prolink_domain::content::ContentBundle;
use qrcode::{render::svg, EcLevel, QrCode};

pub const POSTER_FILE: &str = "poster-a4.svg";
pub const SOCIAL_FILE: &str = "social-1080.svg";

const LOGO: &str = include_str!("../../../infra/brand/logo.svg");
const NAVY: &str = "#0b4f8a";
const INK: &str = "#12263a";
const GOLD: &str = "#f2b705";
const FONT: &str = "'Noto Sans', 'DejaVu Sans', Arial, sans-serif";

/// A WhatsApp number in international form without `+`: Indonesian, 62 and 8–13 more digits.
pub fn check_number(number: &str) -> anyhow::Result<&str> {
    let ok = number.starts_with("62")
        && (10..=15).contains(&number.len())
        && number.bytes().all(|b| b.is_ascii_digit());
    anyhow::ensure!(
        ok,
        "nomor WhatsApp '{number}' tidak valid: tulis 62 diikuti nomornya, tanpa + atau spasi (contoh 6281234567890)"
    );
    Ok(number)
}

/// The click-to-chat link the QR code holds.
pub fn chat_link(number: &str) -> String {
    format!("https://wa.me/{number}?text=halo")
}

/// `6281234567890` → `+62 812 3456 7890`, as people write it.
fn display_number(number: &str) -> String {
    let rest = &number[2..];
    let (first, tail) = rest.split_at(rest.len().min(3));
    let mut out = format!("+62 {first}");
    for chunk in tail.as_bytes().chunks(4) {
        out.push(' ');
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
    }
    out
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // WhatsApp emphasis marks mean nothing on paper.
            '*' | '_' => {}
            _ => out.push(c),
        }
    }
    out
}

/// Greedy word wrap by character count: SVG text does not wrap by itself, and the texts are
/// short enough that counting characters is a fair measure of width.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The QR code of `url` as the `qrcode` crate renders it (one unit per module, no quiet
/// zone: the white box around it is the quiet zone), placed at (x, y) with side `size`.
fn qr_group(url: &str, x: u32, y: u32, size: u32) -> anyhow::Result<String> {
    // M (15 % recovery) keeps the code small enough to scan from a printed A4 at arm's length.
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M)
        .context("kode QR tidak dapat dibuat")?;
    let image = code
        .render::<svg::Color>()
        .quiet_zone(false)
        .module_dimensions(1, 1)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    let body = image
        .split_once("?>")
        .map_or(image.as_str(), |(_, rest)| rest);
    let modules = code.width();
    let scale = f64::from(size) / modules as f64;
    Ok(format!(
        r#"<g id="qr" data-url="{}" transform="translate({x} {y}) scale({scale:.4})">{body}</g>"#,
        escape(url)
    ))
}

/// The logo placed at (x, y) with side `size` (its root `<svg>` has only a viewBox).
fn logo(x: u32, y: u32, size: u32) -> String {
    LOGO.trim().replacen(
        "<svg ",
        &format!(r#"<svg x="{x}" y="{y}" width="{size}" height="{size}" "#),
        1,
    )
}

/// "Lampu jalan (PJU) mati" → "lampu jalan (PJU) mati" inside a sentence; acronyms such as
/// "PJU" or "KTP" keep their capitals.
fn lower_first(name: &str) -> String {
    let first_word: Vec<char> = name.chars().take_while(|c| c.is_alphabetic()).collect();
    if first_word.len() > 1 && first_word.iter().all(|c| c.is_uppercase()) {
        return name.to_string();
    }
    let mut chars = name.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_lowercase().chain(chars).collect()
    })
}

/// What the material says and lists, taken from the content.
struct Facts {
    intro: Vec<String>,
    menu: Vec<(String, String)>,
}

fn facts(content: &ContentBundle) -> anyhow::Result<Facts> {
    let root = &content.menus.root;
    let main = content
        .menus
        .menus
        .iter()
        .find(|menu| &menu.id == root)
        .with_context(|| format!("menu utama '{root}' tidak ada di konten"))?;
    let categories: Vec<String> = content
        .categories
        .iter()
        .filter(|c| !c.emergency && c.id != "lainnya")
        .map(|c| lower_first(&c.short_name))
        .take(6)
        .collect();
    let intro = vec![
        format!(
            "Tanya informasi dan syarat layanan Pemkot kapan saja, 24 jam: {} jawaban informasi dan {} layanan publik.",
            content.faqs.len(),
            content.services.len()
        ),
        format!(
            "Buat aduan ({}, dan lainnya): langsung diteruskan ke OPD yang berwenang, dengan nomor tiket dan tenggat hari kerja.",
            categories.join(", ")
        ),
        "Pantau status aduan kapan saja dengan nomor tiket, dan terima kabar perkembangannya."
            .to_string(),
        "Keadaan darurat? Jangan menunggu chat: telepon 112 (gratis, 24 jam).".to_string(),
    ];
    let menu = main
        .rows
        .iter()
        .map(|row| (row.title.clone(), row.description.clone()))
        .collect();
    Ok(Facts { intro, menu })
}

fn svg_open(out: &mut String, width: &str, height: &str, view: (u32, u32), title: &str) {
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {} {}" font-family="{FONT}" role="img" aria-label="{}">"#,
        view.0,
        view.1,
        escape(title)
    );
}

fn text(out: &mut String, x: u32, y: u32, size: u32, weight: &str, fill: &str, content: &str) {
    let _ = write!(
        out,
        r#"<text x="{x}" y="{y}" font-size="{size}" font-weight="{weight}" fill="{fill}">{}</text>"#,
        escape(content)
    );
}

/// The A4 poster: 210 × 297 mm, one user unit = 0.1 mm.
pub fn poster_a4(content: &ContentBundle, number: &str) -> anyhow::Result<String> {
    let facts = facts(content)?;
    let mut out = String::new();
    svg_open(
        &mut out,
        "210mm",
        "297mm",
        (2100, 2970),
        "Poster PROLINK SAKTI",
    );
    let _ = write!(
        out,
        r##"<rect width="2100" height="2970" fill="#ffffff"/><rect width="2100" height="520" fill="{NAVY}"/><rect y="520" width="2100" height="14" fill="{GOLD}"/>"##
    );
    out.push_str(&logo(140, 130, 260));
    text(&mut out, 450, 265, 128, "700", "#ffffff", "PROLINK SAKTI");
    text(
        &mut out,
        450,
        360,
        54,
        "400",
        "#ffffff",
        "Layanan WhatsApp resmi Pemerintah Kota Probolinggo",
    );

    text(
        &mut out,
        140,
        680,
        70,
        "700",
        NAVY,
        "Apa yang bisa dilakukan?",
    );
    let mut y = 780;
    for item in &facts.intro {
        let _ = write!(
            out,
            r#"<circle cx="160" cy="{}" r="14" fill="{GOLD}"/>"#,
            y - 14
        );
        for line in wrap(item, 70) {
            text(&mut out, 200, y, 44, "400", INK, &line);
            y += 58;
        }
        y += 24;
    }

    y += 50;
    text(&mut out, 140, y, 70, "700", NAVY, "Menu utama");
    y += 40;
    // The rows share what is left above the bottom band (a WhatsApp list has at most 10).
    let rows = u32::try_from(facts.menu.len()).unwrap_or(10).max(1);
    let row_height = (2350u32.saturating_sub(y) / rows).clamp(90, 130);
    for (n, (title, description)) in facts.menu.iter().enumerate() {
        let top = y + u32::try_from(n).unwrap_or(0) * row_height;
        let _ = write!(
            out,
            r##"<circle cx="175" cy="{}" r="32" fill="{NAVY}"/><text x="175" y="{}" font-size="38" font-weight="700" fill="#ffffff" text-anchor="middle">{}</text>"##,
            top + 52,
            top + 65,
            n + 1
        );
        text(&mut out, 240, top + 50, 48, "700", INK, title);
        text(&mut out, 240, top + 98, 36, "400", "#4a5a6a", description);
    }

    let band = 2380;
    let _ = write!(
        out,
        r##"<rect y="{band}" width="2100" height="590" fill="{NAVY}"/><rect x="120" y="{}" width="500" height="500" rx="24" fill="#ffffff"/>"##,
        band + 45
    );
    out.push_str(&qr_group(&chat_link(number), 150, band + 75, 440)?);
    text(
        &mut out,
        700,
        band + 150,
        60,
        "700",
        "#ffffff",
        "Pindai kode QR, atau simpan nomor",
    );
    text(
        &mut out,
        700,
        band + 270,
        104,
        "700",
        GOLD,
        &display_number(number),
    );
    text(
        &mut out,
        700,
        band + 370,
        52,
        "400",
        "#ffffff",
        "lalu kirim pesan \u{201c}halo\u{201d} lewat WhatsApp.",
    );
    text(
        &mut out,
        700,
        band + 450,
        40,
        "400",
        "#d6e4f2",
        &format!("wa.me/{number}?text=halo"),
    );
    out.push_str("</svg>\n");
    Ok(out)
}

/// The square image for social media, 1080 × 1080 px.
pub fn social_1080(content: &ContentBundle, number: &str) -> anyhow::Result<String> {
    let facts = facts(content)?;
    let mut out = String::new();
    svg_open(
        &mut out,
        "1080",
        "1080",
        (1080, 1080),
        "PROLINK SAKTI di WhatsApp",
    );
    let _ = write!(
        out,
        r##"<rect width="1080" height="1080" fill="{NAVY}"/><rect y="262" width="1080" height="8" fill="{GOLD}"/>"##
    );
    out.push_str(&logo(70, 70, 150));
    text(&mut out, 250, 150, 74, "700", "#ffffff", "PROLINK SAKTI");
    text(
        &mut out,
        250,
        210,
        32,
        "400",
        "#d6e4f2",
        "WhatsApp resmi Pemerintah Kota Probolinggo",
    );
    text(
        &mut out,
        70,
        340,
        34,
        "700",
        "#ffffff",
        "Tanya informasi, buat aduan, cek status aduan:",
    );
    for (n, (title, _)) in facts.menu.iter().enumerate() {
        let n = u32::try_from(n).unwrap_or(0);
        let (col, row) = (n % 2, n / 2);
        let x = 70 + col * 480;
        let y = 380 + row * 84;
        let _ = write!(
            out,
            r##"<rect x="{x}" y="{y}" width="460" height="68" rx="34" fill="#ffffff"/>"##
        );
        text(&mut out, x + 34, y + 45, 30, "700", NAVY, title);
    }
    let _ = write!(
        out,
        r##"<rect x="70" y="760" width="260" height="260" rx="16" fill="#ffffff"/>"##
    );
    out.push_str(&qr_group(&chat_link(number), 90, 780, 220)?);
    text(
        &mut out,
        370,
        830,
        34,
        "400",
        "#ffffff",
        "Pindai atau simpan nomor:",
    );
    text(&mut out, 370, 905, 56, "700", GOLD, &display_number(number));
    text(
        &mut out,
        370,
        970,
        32,
        "400",
        "#ffffff",
        "lalu kirim \u{201c}halo\u{201d}. Darurat: telepon 112.",
    );
    out.push_str("</svg>\n");
    Ok(out)
}

/// Writes both files into `out_dir` (created if missing).
pub fn write_all(content: &ContentBundle, number: &str, out_dir: &Path) -> anyhow::Result<()> {
    let number = check_number(number)?;
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("membuat folder {}", out_dir.display()))?;
    for (file, svg) in [
        (POSTER_FILE, poster_a4(content, number)?),
        (SOCIAL_FILE, social_1080(content, number)?),
    ] {
        let path = out_dir.join(file);
        std::fs::write(&path, svg).with_context(|| format!("menulis {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_checked_and_written_as_people_write_them() {
        assert!(check_number("6281234567890").is_ok());
        for bad in [
            "081234567890",
            "+6281234567890",
            "62812 3456",
            "62",
            "62812345678901234",
        ] {
            assert!(check_number(bad).is_err(), "{bad}");
        }
        assert_eq!(display_number("6281234567890"), "+62 812 3456 7890");
        assert_eq!(display_number("62335421234"), "+62 335 4212 34");
    }

    #[test]
    fn wrapping_keeps_every_word_and_the_width() {
        let text = "Buat aduan jalan rusak, lampu jalan mati, sampah tidak diangkut, dan lainnya";
        let lines = wrap(text, 30);
        assert!(lines.iter().all(|l| l.chars().count() <= 30), "{lines:?}");
        assert_eq!(lines.join(" "), text);
    }

    #[test]
    fn category_names_read_well_inside_a_sentence() {
        assert_eq!(
            lower_first("Lampu jalan (PJU) mati"),
            "lampu jalan (PJU) mati"
        );
        assert_eq!(lower_first("PJU mati"), "PJU mati");
        assert_eq!(lower_first("KTP/KK/akta"), "KTP/KK/akta");
    }

    #[test]
    fn text_is_escaped_for_svg() {
        assert_eq!(escape("A & B <c> *tebal*"), "A &amp; B &lt;c&gt; tebal");
    }
}
