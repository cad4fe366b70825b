//! WhatsApp list messages from the content: the static lists of `menus.json` and the lists the
//! bot builds at runtime (FAQ titles of a category, services of a category, complaint
//! categories, topics), paged by the README rule.
//!
//! Every row id is stable and self-describing, so the router can act on any id WhatsApp sends
//! back, even from an old message, without remembering which list was open ([`RowTarget`]).
//!
//! `domain::dialog::ListReply` is not declared in `domain/mod.rs` yet, so pages are returned as
//! [`ListPage`], which has the same fields (header, body, footer, button, sections of rows).

use serde::{Deserialize, Serialize};

use super::{ContentBundle, Menu, MenuAction, MenuRow, Paging};

/// Row id of *‹ Menu Utama* on runtime lists: back to the root menu.
pub const BACK_ROW_ID: &str = "menu.back";
const PAGE_PREFIX: &str = "page:";
const FAQ_PREFIX: &str = "faq:";
const SERVICE_PREFIX: &str = "service:";
const COMPLAINT_PREFIX: &str = "complaint:";
const TOPIC_PREFIX: &str = "topic:";
/// WhatsApp's hard ceiling, applied even if `menus.json` asks for more.
const WHATSAPP_MAX_ROWS: usize = crate::channel::limits::LIST_MAX_ROWS;

/// One WhatsApp interactive list message (same fields as `dialog::ListReply`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListPage {
    pub header: Option<String>,
    pub body: String,
    pub footer: Option<String>,
    pub button: String,
    pub sections: Vec<PageSection>,
}

impl ListPage {
    pub fn rows(&self) -> impl Iterator<Item = &PageRow> {
        self.sections.iter().flat_map(|s| s.rows.iter())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageSection {
    pub title: Option<String>,
    pub rows: Vec<PageRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRow {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
}

/// One entry of a list before paging.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MenuItem {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
}

/// A list the bot builds from the data at runtime.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ListKey {
    FaqCategory(String),
    ServiceCategory(String),
    ComplaintCategories,
    Topics,
}

impl ListKey {
    /// The key as written in page row ids: `faq.<category>`, `svc.<category>`, `aduan`, `topik`.
    pub fn key(&self) -> String {
        match self {
            ListKey::FaqCategory(c) => format!("faq.{c}"),
            ListKey::ServiceCategory(c) => format!("svc.{c}"),
            ListKey::ComplaintCategories => "aduan".to_string(),
            ListKey::Topics => "topik".to_string(),
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        match key {
            "aduan" => Some(ListKey::ComplaintCategories),
            "topik" => Some(ListKey::Topics),
            _ => {
                if let Some(c) = key.strip_prefix("faq.").filter(|c| !c.is_empty()) {
                    Some(ListKey::FaqCategory(c.to_string()))
                } else {
                    key.strip_prefix("svc.")
                        .filter(|c| !c.is_empty())
                        .map(|c| ListKey::ServiceCategory(c.to_string()))
                }
            }
        }
    }
}

/// Row id of the *Lainnya ›* row that opens page `page` (1-based) of a list.
pub fn page_id(key: &ListKey, page: usize) -> String {
    format!("{PAGE_PREFIX}{}:{page}", key.key())
}

/// What a row id returned by WhatsApp asks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RowTarget {
    /// A row of `menus.json` (`menu.…`): look it up with [`ContentBundle::menu_row`].
    MenuRow(String),
    /// *‹ Menu Utama* of a runtime list.
    Back,
    /// *Lainnya ›*: page `page` (1-based) of a runtime list.
    Page {
        key: ListKey,
        page: usize,
    },
    Faq(String),
    Service(String),
    ComplaintCategory(String),
    Topic(String),
}

impl RowTarget {
    pub fn parse(id: &str) -> Option<Self> {
        let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_string());
        if id == BACK_ROW_ID {
            return Some(RowTarget::Back);
        }
        if id.starts_with("menu.") {
            return Some(RowTarget::MenuRow(id.to_string()));
        }
        if let Some(rest) = id.strip_prefix(PAGE_PREFIX) {
            let (key, page) = rest.rsplit_once(':')?;
            let page: usize = page.parse().ok().filter(|p| *p >= 1)?;
            return Some(RowTarget::Page {
                key: ListKey::parse(key)?,
                page,
            });
        }
        if let Some(rest) = id.strip_prefix(FAQ_PREFIX) {
            return non_empty(rest).map(RowTarget::Faq);
        }
        if let Some(rest) = id.strip_prefix(SERVICE_PREFIX) {
            return non_empty(rest).map(RowTarget::Service);
        }
        if let Some(rest) = id.strip_prefix(COMPLAINT_PREFIX) {
            return non_empty(rest).map(RowTarget::ComplaintCategory);
        }
        if let Some(rest) = id.strip_prefix(TOPIC_PREFIX) {
            return non_empty(rest).map(RowTarget::Topic);
        }
        None
    }

    /// The row id that [`RowTarget::parse`] turns back into `self`.
    pub fn row_id(&self) -> String {
        match self {
            RowTarget::MenuRow(id) => id.clone(),
            RowTarget::Back => BACK_ROW_ID.to_string(),
            RowTarget::Page { key, page } => page_id(key, *page),
            RowTarget::Faq(id) => format!("{FAQ_PREFIX}{id}"),
            RowTarget::Service(id) => format!("{SERVICE_PREFIX}{id}"),
            RowTarget::ComplaintCategory(id) => format!("{COMPLAINT_PREFIX}{id}"),
            RowTarget::Topic(id) => format!("{TOPIC_PREFIX}{id}"),
        }
    }
}

/// Splits `items` into list pages by the README rule: at most `max_rows` rows (never more than
/// WhatsApp's 10); with more items than fit, `items_per_page` items and a *Lainnya ›* row whose
/// id is [`page_id`] of the next page; the last page ends with *‹ Menu Utama*
/// ([`BACK_ROW_ID`]) when a row is still free. No items, no pages.
pub fn paginate(key: &ListKey, items: &[MenuItem], paging: &Paging) -> Vec<Vec<PageRow>> {
    let max = paging.max_rows.clamp(2, WHATSAPP_MAX_ROWS);
    let per_page = paging.items_per_page.clamp(1, max - 1);
    let row = |item: &MenuItem| PageRow {
        id: item.id.clone(),
        title: item.title.clone(),
        description: item.description.clone(),
    };
    let mut pages = Vec::new();
    let mut rest = items;
    while !rest.is_empty() {
        if rest.len() <= max {
            let mut rows: Vec<PageRow> = rest.iter().map(row).collect();
            if rows.len() < max {
                rows.push(PageRow {
                    id: BACK_ROW_ID.to_string(),
                    title: paging.back_row.title.clone(),
                    description: Some(paging.back_row.description.clone()),
                });
            }
            pages.push(rows);
            break;
        }
        let (head, tail) = rest.split_at(per_page);
        let mut rows: Vec<PageRow> = head.iter().map(row).collect();
        rows.push(PageRow {
            id: page_id(key, pages.len() + 2),
            title: paging.more_row.title.clone(),
            description: Some(paging.more_row.description.clone()),
        });
        pages.push(rows);
        rest = tail;
    }
    pages
}

/// A list of `menus.json` as it is sent.
pub fn render_menu(menu: &Menu) -> ListPage {
    ListPage {
        header: Some(menu.header.clone()),
        body: menu.body.clone(),
        footer: Some(menu.footer.clone()),
        button: menu.button.clone(),
        sections: vec![PageSection {
            title: Some(menu.section_title.clone()),
            rows: menu
                .rows
                .iter()
                .map(|r| PageRow {
                    id: r.id.clone(),
                    title: r.title.clone(),
                    description: Some(r.description.clone()),
                })
                .collect(),
        }],
    }
}

/// Fixed texts of a runtime list (all within the list limits of the Cloud API).
struct ListTexts {
    header: String,
    body: &'static str,
    button: &'static str,
    section: &'static str,
}

impl ContentBundle {
    pub fn menu(&self, id: &str) -> Option<&Menu> {
        self.menus.menus.iter().find(|m| m.id == id)
    }

    /// The `menus.json` row with this id, whatever list it is in.
    pub fn menu_row(&self, row_id: &str) -> Option<&MenuRow> {
        self.menus
            .menus
            .iter()
            .flat_map(|m| m.rows.iter())
            .find(|r| r.id == row_id)
    }

    pub fn menu_page(&self, menu_id: &str) -> Option<ListPage> {
        self.menu(menu_id).map(render_menu)
    }

    /// The main menu (`menus.json` `root`).
    pub fn root_menu(&self) -> Option<ListPage> {
        self.menu_page(&self.menus.root)
    }

    /// The entries of a runtime list, in file order, with their routable row ids.
    pub fn list_items(&self, key: &ListKey) -> Vec<MenuItem> {
        match key {
            ListKey::FaqCategory(c) => self
                .faqs
                .iter()
                .filter(|f| f.category == *c)
                .map(|f| MenuItem {
                    id: RowTarget::Faq(f.id.clone()).row_id(),
                    title: f.title.clone(),
                    description: Some(f.summary.clone()),
                })
                .collect(),
            ListKey::ServiceCategory(c) => self
                .services
                .iter()
                .filter(|s| s.category == *c)
                .map(|s| MenuItem {
                    id: RowTarget::Service(s.id.clone()).row_id(),
                    title: s.short_name.clone(),
                    description: Some(s.name.clone()),
                })
                .collect(),
            ListKey::ComplaintCategories => self
                .categories
                .iter()
                .map(|c| MenuItem {
                    id: RowTarget::ComplaintCategory(c.id.clone()).row_id(),
                    title: c.short_name.clone(),
                    description: Some(c.short_description.clone()),
                })
                .collect(),
            ListKey::Topics => self
                .topics
                .iter()
                .map(|t| MenuItem {
                    id: RowTarget::Topic(t.id.clone()).row_id(),
                    title: t.name.clone(),
                    description: Some(t.description.clone()),
                })
                .collect(),
        }
    }

    /// Every page of a runtime list; empty when the list has no entries.
    pub fn list_pages(&self, key: &ListKey) -> Vec<ListPage> {
        let texts = self.list_texts(key);
        let pages = paginate(key, &self.list_items(key), &self.menus.paging);
        let total = pages.len();
        pages
            .into_iter()
            .enumerate()
            .map(|(i, rows)| ListPage {
                header: Some(texts.header.clone()),
                body: texts.body.to_string(),
                footer: Some(if total > 1 {
                    format!(
                        "Halaman {} dari {total} · Ketik MENU untuk menu utama",
                        i + 1
                    )
                } else {
                    "Ketik MENU untuk menu utama".to_string()
                }),
                button: texts.button.to_string(),
                sections: vec![PageSection {
                    title: Some(texts.section.to_string()),
                    rows,
                }],
            })
            .collect()
    }

    /// Page `page` (1-based) of a runtime list, e.g. for a [`RowTarget::Page`].
    pub fn list_page(&self, key: &ListKey, page: usize) -> Option<ListPage> {
        let index = page.checked_sub(1)?;
        self.list_pages(key).into_iter().nth(index)
    }

    /// FAQ titles/summaries of a category, paged.
    pub fn faq_rows(&self, category: &str) -> Vec<ListPage> {
        self.list_pages(&ListKey::FaqCategory(category.to_string()))
    }

    /// Services (short name / full name) of a category, paged.
    pub fn service_rows(&self, category: &str) -> Vec<ListPage> {
        self.list_pages(&ListKey::ServiceCategory(category.to_string()))
    }

    /// The complaint form's category list, paged.
    pub fn complaint_category_rows(&self) -> Vec<ListPage> {
        self.list_pages(&ListKey::ComplaintCategories)
    }

    /// The *Langganan Info* topic list, paged, in file order.
    pub fn topic_rows(&self) -> Vec<ListPage> {
        self.list_pages(&ListKey::Topics)
    }

    /// The title of the `menus.json` row that opens this list, so the list is headed by what
    /// the citizen just tapped.
    fn menu_title_for(&self, key: &ListKey) -> Option<String> {
        self.menus
            .menus
            .iter()
            .flat_map(|m| m.rows.iter())
            .find(|r| match (&r.action, key) {
                (MenuAction::FaqCategory { category }, ListKey::FaqCategory(c))
                | (MenuAction::ServiceCategory { category }, ListKey::ServiceCategory(c)) => {
                    category == c
                }
                _ => false,
            })
            .map(|r| r.title.clone())
    }

    fn list_texts(&self, key: &ListKey) -> ListTexts {
        match key {
            ListKey::FaqCategory(c) => ListTexts {
                header: self.menu_title_for(key).unwrap_or_else(|| c.clone()),
                body: "Pilih pertanyaan di bawah, atau langsung ketik pertanyaan Anda.",
                button: "Pilih Pertanyaan",
                section: "Daftar Pertanyaan",
            },
            ListKey::ServiceCategory(c) => ListTexts {
                header: self.menu_title_for(key).unwrap_or_else(|| c.clone()),
                body: "Pilih layanan untuk melihat syarat, langkah, biaya, lama proses, dan tempat pengurusannya.",
                button: "Pilih Layanan",
                section: "Daftar Layanan",
            },
            ListKey::ComplaintCategories => ListTexts {
                header: "Buat Aduan".to_string(),
                body: "Pilih kategori yang paling sesuai dengan masalah yang ingin Anda laporkan.\n\n\
                       ⚠️ Ada ancaman terhadap nyawa atau keselamatan? Segera telepon *112* (gratis, 24 jam).",
                button: "Pilih Kategori",
                section: "Kategori Aduan",
            },
            ListKey::Topics => ListTexts {
                header: "Langganan Info".to_string(),
                body: "Pilih topik info Pemkot Probolinggo yang ingin Anda terima lewat WhatsApp.\n\n\
                       Ketik *STOP* kapan saja untuk berhenti dari semua topik.",
                button: "Pilih Topik",
                section: "Topik Info",
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::PagingRow;

    fn paging() -> Paging {
        Paging {
            max_rows: 10,
            items_per_page: 9,
            more_row: PagingRow {
                title: "Lainnya ›".into(),
                description: "Tampilkan pilihan berikutnya".into(),
            },
            back_row: PagingRow {
                title: "‹ Menu Utama".into(),
                description: "Kembali ke daftar menu utama".into(),
            },
        }
    }

    fn items(n: usize) -> Vec<MenuItem> {
        (1..=n)
            .map(|i| MenuItem {
                id: format!("faq:x.item-{i}"),
                title: format!("Item {i}"),
                description: None,
            })
            .collect()
    }

    fn sizes(n: usize) -> Vec<usize> {
        paginate(&ListKey::Topics, &items(n), &paging())
            .iter()
            .map(Vec::len)
            .collect()
    }

    #[test]
    fn page_sizes_follow_the_rule() {
        assert_eq!(sizes(0), Vec::<usize>::new());
        assert_eq!(sizes(1), vec![2]);
        assert_eq!(sizes(9), vec![10]);
        assert_eq!(sizes(10), vec![10]);
        assert_eq!(sizes(11), vec![10, 3]);
        assert_eq!(sizes(18), vec![10, 10]);
        assert_eq!(sizes(19), vec![10, 10]);
        assert_eq!(sizes(20), vec![10, 10, 3]);
        assert_eq!(sizes(27), vec![10, 10, 10]);
    }

    #[test]
    fn every_item_appears_once_in_order() {
        for n in 0..40 {
            let pages = paginate(&ListKey::Topics, &items(n), &paging());
            let ids: Vec<String> = pages
                .iter()
                .flatten()
                .map(|r| r.id.clone())
                .filter(|id| RowTarget::parse(id).is_some_and(|t| matches!(t, RowTarget::Faq(_))))
                .collect();
            let expected: Vec<String> = items(n).into_iter().map(|i| i.id).collect();
            assert_eq!(ids, expected, "n = {n}");
        }
    }

    #[test]
    fn more_rows_point_to_the_next_page() {
        let key = ListKey::FaqCategory("umum".into());
        let pages = paginate(&key, &items(25), &paging());
        for (i, page) in pages.iter().enumerate().take(pages.len() - 1) {
            let last = page.last().map(|r| r.id.as_str());
            assert_eq!(last, Some(page_id(&key, i + 2).as_str()));
            assert_eq!(
                RowTarget::parse(&page_id(&key, i + 2)),
                Some(RowTarget::Page {
                    key: key.clone(),
                    page: i + 2
                })
            );
        }
    }

    #[test]
    fn row_targets_round_trip() {
        let targets = [
            RowTarget::MenuRow("menu.info.kesehatan".into()),
            RowTarget::Back,
            RowTarget::Page {
                key: ListKey::ServiceCategory("perizinan".into()),
                page: 2,
            },
            RowTarget::Page {
                key: ListKey::ComplaintCategories,
                page: 3,
            },
            RowTarget::Faq("kependudukan.ktp-el-baru".into()),
            RowTarget::Service("svc.perizinan.nib".into()),
            RowTarget::ComplaintCategory("jalan-rusak".into()),
            RowTarget::Topic("kecamatan:wonoasih".into()),
        ];
        for t in targets {
            assert_eq!(RowTarget::parse(&t.row_id()), Some(t.clone()), "{t:?}");
        }
        for bad in [
            "",
            "faq:",
            "page:topik:0",
            "page:topik:x",
            "page:nope:2",
            "hello",
        ] {
            assert_eq!(RowTarget::parse(bad), None, "{bad}");
        }
    }
}
