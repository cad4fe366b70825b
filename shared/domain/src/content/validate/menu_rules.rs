//! The menu rules: every list fits WhatsApp, every row leads somewhere, the main menu offers
//! what the bot must always offer.

use super::*;

impl Checker {
    pub(super) fn menus(&mut self, bundle: &ContentBundle, whole: bool) {
        let f = MENUS_FILE;
        let Menus {
            root,
            paging,
            menus,
        } = &bundle.menus;
        if paging.max_rows < 2 || paging.max_rows > WHATSAPP_MAX_ROWS {
            self.err(
                f,
                "paging",
                format!(
                    "`max_rows` harus 2 sampai {WHATSAPP_MAX_ROWS} ({})",
                    paging.max_rows
                ),
            );
        }
        if paging.items_per_page == 0 || paging.items_per_page >= paging.max_rows {
            self.err(
                f,
                "paging",
                "`items_per_page` harus antara 1 dan `max_rows` - 1",
            );
        }
        for (field, row) in [
            ("more_row", &paging.more_row),
            ("back_row", &paging.back_row),
        ] {
            self.plain(
                f,
                "paging",
                &format!("{field}.title"),
                &row.title,
                ROW_TITLE,
            );
            self.plain(
                f,
                "paging",
                &format!("{field}.description"),
                &row.description,
                ROW_DESCRIPTION,
            );
        }

        self.unique_ids(f, menus.iter().map(|m| m.id.as_str()));
        self.unique_ids(
            f,
            menus
                .iter()
                .flat_map(|m| m.rows.iter().map(|r| r.id.as_str())),
        );
        let menu_ids: HashSet<&str> = menus.iter().map(|m| m.id.as_str()).collect();
        let faq_ids: HashSet<&str> = bundle.faqs.iter().map(|e| e.id.as_str()).collect();
        let faq_cats: HashSet<&str> = bundle.faqs.iter().map(|e| e.category.as_str()).collect();
        let svc_cats: HashSet<&str> = bundle
            .services
            .iter()
            .map(|s| s.category.as_str())
            .collect();
        let (mut reached_faq, mut reached_svc) = (HashSet::new(), HashSet::new());
        let mut edges: HashMap<&str, Vec<&str>> = HashMap::new();

        for m in menus {
            let mid = m.id.as_str();
            if !is_slug(mid) {
                self.err(
                    f,
                    mid,
                    "id menu harus slug huruf kecil (mis. `main`, `info-1`)",
                );
            }
            self.text(f, mid, "header", &m.header, LIST_HEADER);
            self.text(f, mid, "body", &m.body, LIST_BODY);
            self.text(f, mid, "footer", &m.footer, LIST_FOOTER);
            self.text(f, mid, "button", &m.button, LIST_BUTTON);
            self.text(f, mid, "section_title", &m.section_title, SECTION_TITLE);
            let max = paging.max_rows.min(WHATSAPP_MAX_ROWS);
            if m.rows.is_empty() || m.rows.len() > max {
                self.err(
                    f,
                    mid,
                    format!(
                        "daftar harus berisi 1 sampai {max} baris ({})",
                        m.rows.len()
                    ),
                );
            }
            for (title, n) in duplicates(m.rows.iter().map(|r| r.title.as_str())) {
                self.err(f, mid, format!("judul baris `{title}` dipakai {n} kali"));
            }
            for (k, r) in m.rows.iter().enumerate() {
                let rid = r.id.as_str();
                let well_formed = rid
                    .strip_prefix("menu.")
                    .is_some_and(|rest| rest.split('.').all(is_slug));
                if !well_formed {
                    self.err(f, rid, "id baris harus berbentuk `menu.<slug>[.<slug>]`");
                }
                if rid == BACK_ROW_ID {
                    self.err(
                        f,
                        rid,
                        format!("id `{BACK_ROW_ID}` dicadangkan untuk daftar yang dibuat bot"),
                    );
                }
                self.plain(f, rid, "title", &r.title, ROW_TITLE);
                self.plain(f, rid, "description", &r.description, ROW_DESCRIPTION);
                match &r.action {
                    MenuAction::Submenu { menu } => {
                        if !menu_ids.contains(menu.as_str()) {
                            self.err(f, rid, format!("submenu `{menu}` tidak ada"));
                        }
                        edges.entry(mid).or_default().push(menu);
                    }
                    MenuAction::FaqCategory { category } => {
                        if self.refs && !faq_cats.contains(category.as_str()) {
                            self.err(
                                f,
                                rid,
                                format!("kategori FAQ `{category}` tidak ada atau kosong"),
                            );
                        }
                        reached_faq.insert(category.as_str());
                    }
                    MenuAction::ServiceCategory { category } => {
                        if self.refs && !svc_cats.contains(category.as_str()) {
                            self.err(
                                f,
                                rid,
                                format!("kategori layanan `{category}` tidak ada atau kosong"),
                            );
                        }
                        reached_svc.insert(category.as_str());
                    }
                    MenuAction::Faq { id } if self.refs && !faq_ids.contains(id.as_str()) => {
                        self.err(f, rid, format!("FAQ `{id}` tidak ada"));
                    }
                    _ => {}
                }
                if r.title == paging.more_row.title {
                    if k + 1 != m.rows.len() {
                        self.err(
                            f,
                            rid,
                            format!("baris `{}` harus menjadi baris terakhir", r.title),
                        );
                    }
                    if m.rows.len() - 1 > paging.items_per_page {
                        self.err(
                            f,
                            mid,
                            format!(
                                "lebih dari {} pilihan sebelum `{}`",
                                paging.items_per_page, r.title
                            ),
                        );
                    }
                    if !matches!(r.action, MenuAction::Submenu { .. }) {
                        self.err(
                            f,
                            rid,
                            format!(
                                "baris `{}` harus membuka halaman berikutnya (submenu)",
                                r.title
                            ),
                        );
                    }
                }
            }
        }

        if !whole {
            return;
        }
        let Some(main) = menus.iter().find(|m| m.id == *root) else {
            self.err(f, root, "menu `root` tidak ada");
            return;
        };
        let mut seen = HashSet::new();
        let mut todo = vec![root.as_str()];
        while let Some(x) = todo.pop() {
            if seen.insert(x) {
                todo.extend(edges.get(x).into_iter().flatten().copied());
            }
        }
        for m in menus.iter().filter(|m| !seen.contains(m.id.as_str())) {
            self.err(f, &m.id, "menu tidak dapat dicapai dari menu utama");
        }
        if self.refs {
            for c in FAQ_CATEGORIES
                .iter()
                .filter(|c| faq_cats.contains(*c) && !reached_faq.contains(*c))
            {
                self.err(
                    f,
                    "",
                    format!("kategori FAQ `{c}` tidak dapat dicapai dari menu mana pun"),
                );
            }
            let mut unreached: Vec<&&str> = svc_cats.difference(&reached_svc).collect();
            unreached.sort();
            for c in unreached {
                self.err(
                    f,
                    "",
                    format!("kategori layanan `{c}` tidak dapat dicapai dari menu mana pun"),
                );
            }
        }
        let main_types: HashSet<&str> = main.rows.iter().map(|r| r.action.type_name()).collect();
        for t in [
            "submenu",
            "complaint_start",
            "complaint_list",
            "emergency",
            "subscriptions",
            "handoff",
        ] {
            if !main_types.contains(t) {
                self.err(f, root, format!("menu utama tidak punya baris `{t}`"));
            }
        }
    }
}
