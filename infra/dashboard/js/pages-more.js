// Konten, Pertanyaan tak terjawab, Statistik, Audit, Pengguna, Data warga, Pengaturan.
import { html, Component, createRef, DataPage, Card, ChartBox, Counter, Empty, ErrorBox, Kpi, Loading, Notice, Pager, WaText } from './ui.js';
import {
  api, can, daysAgoWib, describeError, download, formatDateTime, formatNumber, formatPct, query,
  ROLE_LABELS, saveBlob, todayWib,
} from './lib.js';

// ---- Konten -----------------------------------------------------------------------------

const KINDS = [
  { id: 'faq', label: 'FAQ' },
  { id: 'services', label: 'Layanan' },
  { id: 'categories', label: 'Kategori aduan' },
  { id: 'opds', label: 'OPD' },
  { id: 'topics', label: 'Topik' },
  { id: 'menus', label: 'Menu' },
];
/** WhatsApp's limits for the fields the bot puts into messages (shared/domain/src/channel.rs). */
const LIMITS = {
  title: 24, short_name: 24, section_title: 24, summary: 72, short_description: 72, button: 20,
  header: 60, footer: 60, body: 1024, answer: 4096, question: 1024, description: 1024, name: 200,
};
const FIELD_LABELS = {
  title: 'Judul baris daftar', summary: 'Ringkasan baris daftar', question: 'Pertanyaan utama', alt_questions: 'Pertanyaan lain (satu per baris)',
  answer: 'Jawaban', keywords: 'Kata kunci (satu per baris)', verified: 'Terverifikasi', name: 'Nama', short_name: 'Nama pendek',
  short_description: 'Deskripsi pendek', description: 'Deskripsi', header: 'Header', body: 'Isi pesan', footer: 'Footer', button: 'Tombol daftar',
  category: 'Kategori', opd: 'Nama OPD', opd_id: 'ID OPD', source: 'Sumber', todo: 'Catatan kerja (belum tampil ke warga)',
  section_title: 'Judul bagian daftar', rows: 'Baris menu', requirements: 'Persyaratan (satu per baris)', steps: 'Langkah (satu per baris)',
  verified_by: 'Diverifikasi oleh', verified_at: 'Diverifikasi pada', parent: 'Induk', external: 'Di luar Pemkot', type: 'Jenis',
  phrases: 'Frasa latih: cara warga menulisnya (satu per baris; tidak tampil ke warga, maks. 60)',
};
/** Fields shown first, in this order; the others follow as the API gives them. */
const ORDER = ['id', 'title', 'name', 'short_name', 'summary', 'short_description', 'question', 'alt_questions', 'answer', 'header', 'body', 'footer', 'button', 'section_title', 'rows', 'description', 'category', 'keywords', 'phrases', 'verified'];
const READONLY = new Set(['id', 'verified_by', 'verified_at']);

/** Lists edited one per line keep their empty lines while typing; they go out without them. */
function cleanLists(entry) {
  const clean = { ...entry };
  for (const [key, value] of Object.entries(clean)) {
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) clean[key] = value.map((item) => item.trim()).filter(Boolean);
  }
  return clean;
}

async function allPages(path, max = 5) {
  const items = [];
  let cursor = null;
  let version = null;
  for (let i = 0; i < max; i += 1) {
    const page = await api(`${path}${query({ limit: 100, cursor })}`);
    items.push(...page.items);
    version = page.version ?? version;
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return { items, version };
}

/** Menu rows are edited as JSON: their WhatsApp limits are checked here, row by row. */
function rowProblems(rows) {
  const problems = [];
  rows.forEach((row, index) => {
    const title = [...String(row.title || '')].length;
    const description = [...String(row.description || '')].length;
    if (title > 24) problems.push(`Baris ${index + 1}: judul ${title}/24 karakter`);
    if (description > 72) problems.push(`Baris ${index + 1}: deskripsi ${description}/72 karakter`);
  });
  if (rows.length > 10) problems.push(`${rows.length} baris; WhatsApp menampilkan paling banyak 10 per daftar`);
  return problems;
}

/** What a menu row does when tapped (shared/domain MenuAction), and the target it names. */
const MENU_ACTIONS = [
  { type: 'submenu', label: 'Buka menu lain', param: 'menu', paramLabel: 'ID menu tujuan' },
  { type: 'faq_category', label: 'Daftar FAQ satu kategori', param: 'category', paramLabel: 'Kategori FAQ' },
  { type: 'service_category', label: 'Daftar layanan satu kategori', param: 'category', paramLabel: 'Kategori layanan' },
  { type: 'faq', label: 'Satu FAQ', param: 'id', paramLabel: 'ID FAQ' },
  { type: 'complaint_start', label: 'Buat aduan' },
  { type: 'complaint_list', label: 'Aduan saya / cek tiket' },
  { type: 'emergency', label: 'Darurat 112' },
  { type: 'subscriptions', label: 'Langganan informasi' },
  { type: 'handoff', label: 'Bicara dengan petugas' },
];
/** WhatsApp shows at most 10 rows in one list message (all sections together). */
const MAX_MENU_ROWS = 10;

/**
 * The API's 422 field messages for a menu, by place: `entry.<field>` for the menu's own
 * fields, `menus/<row id>` for a row (the reason names the row's field in backticks).
 */
function menuFieldErrors(fields, rows) {
  const top = {};
  const byRow = rows.map(() => ({}));
  const other = [];
  for (const [key, message] of Object.entries(fields || {})) {
    const text = Array.isArray(message) ? message.join('; ') : String(message);
    if (key.startsWith('entry.')) {
      top[key.slice('entry.'.length)] = text;
      continue;
    }
    const rowId = key.startsWith('menus/') ? key.slice('menus/'.length) : null;
    const index = rowId === null ? -1 : rows.findIndex((row) => row.id === rowId);
    if (index < 0) {
      other.push(`${key}: ${text}`);
      continue;
    }
    for (const part of text.split('; ')) {
      const named = part.match(/^`([a-z_.]+)`/);
      // The row id's own rules say "id baris …" / "id `menu.back` …" without a field name.
      const field = named && ['id', 'title', 'description'].includes(named[1]) ? named[1] : /^id\b/.test(part) ? 'id' : 'row';
      byRow[index][field] = byRow[index][field] ? `${byRow[index][field]}; ${part}` : part;
    }
  }
  return { top, byRow, other };
}

/** The rows of a menu's list (one section, titled by `section_title`) as fields. */
function MenuRows({ rows, sectionTitle, canEdit, errors, onRows, onSectionTitle, sectionError }) {
  const update = (index, patch) => onRows(rows.map((row, at) => (at === index ? { ...row, ...patch } : row)), index);
  const move = (index, by) => {
    const next = [...rows];
    const [row] = next.splice(index, 1);
    next.splice(index + by, 0, row);
    onRows(next, null, () => {
      // Keyboard users keep their place: the same button of the moved row keeps focus.
      const target = document.getElementById(`m-row-${index + by}-${by < 0 ? 'up' : 'down'}`) || document.getElementById(`m-row-${index + by}-title`);
      if (target) target.focus();
    });
  };
  const remove = (index) => onRows(rows.filter((_, at) => at !== index), null, () => {
    const target = document.getElementById(`m-row-${Math.min(index, rows.length - 2)}-title`) || document.getElementById('m-add-row');
    if (target) target.focus();
  });
  const add = () => onRows([...rows, { id: 'menu.', title: '', description: '', action: { type: 'handoff' } }], null, () => {
    const target = document.getElementById(`m-row-${rows.length}-title`);
    if (target) target.focus();
  });
  const input = (index, key, label, max, row, error) => {
    const id = `m-row-${index}-${key}`;
    return html`<div class="field"><div class="label-row"><label for=${id}>${label}</label>${max ? html`<${Counter} value=${row[key] ?? ''} max=${max} />` : null}</div>
      <input id=${id} readonly=${!canEdit} value=${row[key] ?? ''} spellcheck=${key === 'id' ? 'false' : undefined} class=${key === 'id' ? 'mono' : undefined}
        aria-invalid=${error ? 'true' : undefined} aria-describedby=${error ? `${id}-error` : undefined}
        onInput=${(e) => update(index, { [key]: key === 'description' && e.target.value === '' ? null : e.target.value })} />
      ${error ? html`<p id=${`${id}-error`} class="field-error">${error}</p>` : null}</div>`;
  };
  return html`<fieldset class="menu-section"><legend>Bagian daftar</legend>
    <div class="field"><div class="label-row"><label for="e-section_title">${FIELD_LABELS.section_title}</label><${Counter} value=${sectionTitle ?? ''} max=${LIMITS.section_title} /></div>
      <input id="e-section_title" readonly=${!canEdit} value=${sectionTitle ?? ''} aria-invalid=${sectionError ? 'true' : undefined} aria-describedby=${sectionError ? 'e-section_title-error' : undefined}
        onInput=${(e) => onSectionTitle(e.target.value)} />
      ${sectionError ? html`<p id="e-section_title-error" class="field-error">${sectionError}</p>` : null}</div>
    <p class="muted small">${rows.length}/${MAX_MENU_ROWS} baris${rows.length > MAX_MENU_ROWS ? ' — WhatsApp menampilkan paling banyak 10 baris per daftar' : ''}</p>
    <ol class="menu-rows">
      ${rows.map((row, index) => {
        const action = (row.action && row.action.type) || 'handoff';
        const known = MENU_ACTIONS.find((item) => item.type === action);
        const rowErrors = errors[index] || {};
        return html`<li class=${`menu-row${Object.keys(rowErrors).length ? ' invalid' : ''}`}>
          <fieldset><legend>Baris ${index + 1}${row.title ? `: ${row.title}` : ''}</legend>
            ${input(index, 'title', 'Judul baris', LIMITS.title, row, rowErrors.title)}
            ${input(index, 'description', 'Deskripsi baris', 72, row, rowErrors.description)}
            ${input(index, 'id', 'ID baris (menu.<nama>)', null, row, rowErrors.id)}
            <div class="field"><label for=${`m-row-${index}-action`}>Aksi saat dipilih</label>
              <select id=${`m-row-${index}-action`} disabled=${!canEdit} value=${action}
                onChange=${(e) => { const next = MENU_ACTIONS.find((item) => item.type === e.target.value); update(index, { action: next && next.param ? { type: next.type, [next.param]: '' } : { type: e.target.value } }); }}>
                ${known ? null : html`<option value=${action}>${action}</option>`}
                ${MENU_ACTIONS.map((item) => html`<option value=${item.type}>${item.label}</option>`)}
              </select></div>
            ${known && known.param ? html`<div class="field"><label for=${`m-row-${index}-target`}>${known.paramLabel}</label>
              <input id=${`m-row-${index}-target`} class="mono" spellcheck="false" readonly=${!canEdit} value=${(row.action && row.action[known.param]) || ''}
                onInput=${(e) => update(index, { action: { type: action, [known.param]: e.target.value } })} /></div>` : null}
            ${rowErrors.row ? html`<p class="field-error" role="alert">${rowErrors.row}</p>` : null}
            ${canEdit ? html`<div class="row-actions">
              <button type="button" class="btn small" id=${`m-row-${index}-up`} disabled=${index === 0} aria-label=${`Naik baris ${index + 1}`} onClick=${() => move(index, -1)}><span aria-hidden="true">↑ </span>Naik</button>
              <button type="button" class="btn small" id=${`m-row-${index}-down`} disabled=${index === rows.length - 1} aria-label=${`Turun baris ${index + 1}`} onClick=${() => move(index, 1)}><span aria-hidden="true">↓ </span>Turun</button>
              <button type="button" class="btn small danger" disabled=${rows.length <= 1} aria-label=${`Hapus baris ${index + 1}`} onClick=${() => remove(index)}>Hapus</button>
            </div>` : null}
          </fieldset></li>`;
      })}
    </ol>
    ${canEdit ? html`<button type="button" class="btn" id="m-add-row" disabled=${rows.length >= MAX_MENU_ROWS} onClick=${add}>+ Tambah baris</button>` : null}
  </fieldset>`;
}

function WaPreview({ entry }) {
  const text = entry.answer || entry.body || entry.description || '';
  const rows = Array.isArray(entry.rows) ? entry.rows : [];
  const problems = rowProblems(rows);
  return html`<div class="wa-preview" aria-label="Pratinjau seperti dilihat warga">
    ${entry.title || entry.summary ? html`<div class="wa-row-preview"><strong>${entry.title || entry.short_name || ''}</strong><span>${entry.summary || entry.short_description || ''}</span></div>` : null}
    <div class="bubble out">
      ${entry.header ? html`<div class="bubble-header">${entry.header}</div>` : null}
      <div class="bubble-text"><${WaText} text=${text} /></div>
      ${entry.footer ? html`<div class="bubble-footer">${entry.footer}</div>` : null}
      ${entry.button ? html`<div class="wa-buttons"><span>☰ ${entry.button}</span></div>` : null}
      ${rows.length && entry.section_title ? html`<div class="wa-section-title">${entry.section_title}</div>` : null}
      ${rows.length ? html`<ul class="wa-list">${rows.map((row) => html`<li><strong>${row.title}</strong>${row.description ? html`<span>${row.description}</span>` : null}</li>`)}</ul>` : null}
    </div>
    ${problems.length ? html`<ul class="notice error limits" role="alert">${problems.map((text) => html`<li>${text}</li>`)}</ul>` : null}
  </div>`;
}

class EntryEditor extends Component {
  constructor(props) {
    super(props);
    this.state = { entry: structuredClone(props.entry), json: {}, busy: false, failure: null, fields: null };
  }
  /** A structured menu: its rows as fields (not JSON), the errors of the last save by place. */
  isMenu() {
    return this.props.kind === 'menus' && Array.isArray(this.state.entry.rows);
  }
  set(key, value) {
    this.setState({ entry: { ...this.state.entry, [key]: value } });
  }
  /** JSON fields keep the text as typed; the preview follows whenever it parses. */
  editJson(key, text) {
    const json = { ...this.state.json, [key]: text };
    try {
      this.setState({ json, entry: { ...this.state.entry, [key]: JSON.parse(text) } });
    } catch {
      this.setState({ json });
    }
  }
  async save(event) {
    event.preventDefault();
    const entry = cleanLists(this.state.entry);
    try {
      for (const [key, text] of Object.entries(this.state.json)) entry[key] = JSON.parse(text);
    } catch (error) {
      this.setState({ failure: `Isian JSON tidak sah: ${error.message}` });
      return;
    }
    this.setState({ busy: true, failure: null, fields: null });
    try {
      const { kind, isNew } = this.props;
      if (isNew) await api(`/api/content/${kind}`, { method: 'POST', body: { entry, version: this.props.version } });
      else await api(`/api/content/${kind}/${encodeURIComponent(entry.id)}`, { method: 'PUT', body: { entry, version: this.props.version } });
      this.setState({ busy: false });
      this.props.onSaved(isNew ? 'Entri dibuat.' : 'Perubahan disimpan. Bot menjawab dengan isi baru mulai pesan berikutnya.');
    } catch (error) {
      if (this.isMenu() && error.status === 422 && error.fields) {
        // Each reason next to its input; the summary says where to look.
        this.setState({ busy: false, failure: `${error.message} Periksa isian yang ditandai.`, fields: error.fields }, () => {
          const first = document.querySelector('.editor [aria-invalid="true"], .editor .menu-row.invalid input');
          if (first) first.focus();
        });
      } else {
        this.setState({ busy: false, failure: describeError(error) });
      }
    }
  }
  render({ canEdit, isNew, onCancel }, { entry, busy, failure, json, fields: apiFields }) {
    const rank = (key) => { const at = ORDER.indexOf(key); return at < 0 ? ORDER.length : at; };
    const menu = this.isMenu();
    const menuErrors = menu ? menuFieldErrors(apiFields, entry.rows) : { top: {}, byRow: [], other: [] };
    const fields = Object.entries(entry).sort(([a], [b]) => rank(a) - rank(b)).filter(([key]) => !(menu && key === 'section_title'));
    return html`<div class="editor">
      <form class="stack" onSubmit=${(e) => this.save(e)}>
        ${fields.map(([key, value]) => {
          const id = `e-${key}`;
          const label = FIELD_LABELS[key] || key;
          if (menu && key === 'rows') {
            return html`<${MenuRows} rows=${value} sectionTitle=${entry.section_title} canEdit=${canEdit} errors=${menuErrors.byRow} sectionError=${menuErrors.top.section_title}
              onSectionTitle=${(text) => this.setState({ entry: { ...this.state.entry, section_title: text }, fields: null, failure: null })}
              onRows=${(rows, _index, done) => this.setState({ entry: { ...this.state.entry, rows }, fields: null, failure: null }, done)} />`;
          }
          const topError = menu ? menuErrors.top[key] : null;
          if (READONLY.has(key) && !(isNew && key === 'id')) return html`<div class="field-ro"><span class="muted small">${label}</span> <code>${String(value ?? '–')}</code></div>`;
          if (typeof value === 'boolean') return html`<label class="check"><input type="checkbox" id=${id} checked=${value} disabled=${!canEdit} onChange=${(e) => this.set(key, e.target.checked)} /> ${label}</label>`;
          if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
            return html`<div class="field"><label for=${id}>${label}</label>
              <textarea id=${id} rows="3" readonly=${!canEdit} value=${value.join('\n')} onInput=${(e) => this.set(key, e.target.value.split('\n'))}></textarea></div>`;
          }
          if (value !== null && typeof value === 'object') {
            return html`<div class="field"><label for=${id}>${label} (JSON)</label>
              <textarea id=${id} rows="6" class="mono" readonly=${!canEdit} value=${json[key] ?? JSON.stringify(value, null, 2)} onInput=${(e) => this.editJson(key, e.target.value)}></textarea></div>`;
          }
          const long = ['answer', 'body', 'description', 'todo'].includes(key);
          const max = LIMITS[key];
          const invalid = topError ? { 'aria-invalid': 'true', 'aria-describedby': `${id}-error` } : {};
          return html`<div class="field"><div class="label-row"><label for=${id}>${label}</label>${max ? html`<${Counter} value=${value ?? ''} max=${max} />` : null}</div>
            ${long
              ? html`<textarea id=${id} rows="6" readonly=${!canEdit} value=${value ?? ''} ...${invalid} onInput=${(e) => this.set(key, e.target.value)}></textarea>`
              : html`<input id=${id} readonly=${!canEdit} value=${value ?? ''} ...${invalid} onInput=${(e) => this.set(key, e.target.value === '' && value === null ? null : e.target.value)} />`}
            ${topError ? html`<p id=${`${id}-error`} class="field-error">${topError}</p>` : null}</div>`;
        })}
        ${menuErrors.top.entry || menuErrors.top.rows || menuErrors.other.length ? html`<ul class="field-error">${[menuErrors.top.entry, menuErrors.top.rows, ...menuErrors.other].filter(Boolean).map((text) => html`<li>${text}</li>`)}</ul>` : null}
        ${failure ? html`<${Notice} kind="error">${failure}<//>` : null}
        <div class="row-actions">
          ${canEdit ? html`<button type="submit" class="btn primary" disabled=${busy}>${isNew ? 'Buat entri' : 'Simpan'}</button>` : html`<p class="muted small">Anda hanya dapat membaca konten.</p>`}
          <button type="button" class="btn" onClick=${onCancel}>Tutup</button>
        </div>
      </form>
      <div><h3>Pratinjau</h3><${WaPreview} entry=${entry} /></div>
    </div>`;
  }
}

export class Content extends DataPage {
  constructor(props) {
    super(props);
    this.state = { ...this.state, kind: 'faq', editing: null, isNew: false, filter: '', flash: null, tab: 'entries' };
  }
  pollEvery() {
    return this.state.editing ? 0 : 10_000;
  }
  async fetchData() {
    const { kind, tab } = this.state;
    if (tab === 'revisions') return { revisions: await api('/api/content/revisions?limit=50'), ...(await allPages(`/api/content/${kind}`, 1)) };
    return allPages(`/api/content/${kind}`);
  }
  async restore(number) {
    try {
      await api(`/api/content/revisions/${number}/restore`, { method: 'POST', body: { version: this.state.data.version } });
      this.setState({ flash: `Revisi ${number} dipulihkan sebagai revisi baru.` });
      this.reload();
    } catch (error) {
      this.setState({ flash: describeError(error) });
    }
  }
  async open(entry) {
    try {
      const full = await api(`/api/content/${this.state.kind}/${encodeURIComponent(entry.id)}`);
      this.setState({ editing: full.entry, isNew: false, data: { ...this.state.data, version: full.version } });
    } catch (error) {
      this.setState({ flash: describeError(error) });
    }
  }
  startNew() {
    const sample = this.state.data.items[0] || { id: '' };
    const blank = {};
    for (const [key, value] of Object.entries(sample)) {
      if (READONLY.has(key) && key !== 'id') continue;
      blank[key] = typeof value === 'boolean' ? false : Array.isArray(value) ? [] : value !== null && typeof value === 'object' ? value : typeof value === 'number' ? value : value === null ? null : '';
    }
    this.setState({ editing: blank, isNew: true });
  }
  view(data) {
    const { kind, editing, isNew, filter, flash, tab } = this.state;
    const canEdit = can(this.props.me, 'admin', 'operator');
    const needle = filter.trim().toLowerCase();
    const items = data.items.filter((item) => !needle || JSON.stringify(item).toLowerCase().includes(needle));
    return html`<div class="page">
      <header class="page-head"><h1>Konten</h1><span class="muted">Versi konten: ${data.version ?? 0}</span></header>
      <div class="tabs" role="group" aria-label="Jenis konten">
        ${KINDS.map((item) => html`<button type="button" class="btn small" aria-pressed=${kind === item.id && tab === 'entries' ? 'true' : 'false'} onClick=${() => this.setState({ kind: item.id, tab: 'entries', editing: null, filter: '', flash: null, loading: true, data: null }, () => this.reload())}>${item.label}</button>`)}
        <button type="button" class="btn small" aria-pressed=${tab === 'revisions' ? 'true' : 'false'} onClick=${() => this.setState({ tab: 'revisions', editing: null, loading: true, data: null }, () => this.reload())}>Riwayat revisi</button>
      </div>
      ${flash ? html`<${Notice}>${flash}<//>` : null}
      ${tab === 'revisions'
        ? html`<${Card} title="Riwayat revisi">${data.revisions.items.length
          ? html`<table class="table cards"><thead><tr><th scope="col">No.</th><th scope="col">Waktu</th><th scope="col">Oleh</th><th scope="col">Aksi</th><th scope="col">Entri</th><th scope="col"><span class="sr-only">Pulihkan</span></th></tr></thead>
            <tbody>${data.revisions.items.map((rev) => html`<tr><td data-label="No.">${rev.number}</td><td data-label="Waktu">${formatDateTime(rev.at)}</td><td data-label="Oleh">${rev.actor}</td><td data-label="Aksi">${rev.action}${rev.restored_from ? ` (dari ${rev.restored_from})` : ''}</td><td data-label="Entri">${rev.kind}/${rev.entry_id || ''}</td>
              <td>${canEdit ? html`<button type="button" class="btn small" onClick=${() => this.restore(rev.number)}>Pulihkan</button>` : null}</td></tr>`)}</tbody></table>`
          : html`<${Empty} text="Belum ada perubahan konten lewat dasbor." />`}<//>`
        : editing
          ? html`<${Card} title=${isNew ? 'Entri baru' : `Ubah ${editing.id}`}><${EntryEditor} key=${editing.id} kind=${kind} entry=${editing} isNew=${isNew} version=${data.version} canEdit=${canEdit}
              onSaved=${(message) => this.setState({ editing: null, flash: message }, () => this.reload())} onCancel=${() => this.setState({ editing: null }, () => this.reload())} /><//>`
          : html`<div class="filters">
              <div class="field"><label for="c-filter">Saring</label><input id="c-filter" type="search" value=${filter} onInput=${(e) => this.setState({ filter: e.target.value })} /></div>
              ${canEdit ? html`<button type="button" class="btn primary" onClick=${() => this.startNew()}>Entri baru</button>` : null}
            </div>
            ${items.length ? html`<table class="table cards"><thead><tr><th scope="col">ID</th><th scope="col">Judul</th><th scope="col">Terverifikasi</th><th scope="col"><span class="sr-only">Buka</span></th></tr></thead>
              <tbody>${items.map((item) => html`<tr><td data-label="ID"><code>${item.id}</code></td><td data-label="Judul">${item.title || item.name || item.header || item.question || ''}</td>
                <td data-label="Terverifikasi">${item.verified === undefined ? '–' : item.verified ? html`<span class="badge sla-on_time">Ya</span>` : html`<span class="badge sla-near">Belum</span>`}</td>
                <td><button type="button" class="btn small" aria-label=${`${canEdit ? 'Ubah' : 'Lihat'} ${item.id}`} onClick=${() => this.open(item)}>${canEdit ? 'Ubah' : 'Lihat'}</button></td></tr>`)}</tbody></table>`
              : html`<${Empty} text="Tidak ada entri." />`}`}
    </div>`;
  }
}

// ---- Pertanyaan tak terjawab ------------------------------------------------------------

const NEW_FAQ_LABELS = {
  id: 'ID FAQ (mis. umum.nama-topik)',
  category: 'Kategori FAQ',
  alt_questions: 'Pertanyaan lain, 3–5 (satu per baris)',
  keywords: 'Kata kunci (minimal 1, satu per baris)',
};

export class Unanswered extends DataPage {
  constructor(props) {
    super(props);
    this.state = { ...this.state, faqs: [], opds: [], version: 0, open: null, choice: {}, draft: null, flash: null, failure: null };
  }
  pollEvery() {
    return this.state.draft ? 0 : 10_000;
  }
  async fetchData() {
    const [groups, faqs, opds] = await Promise.all([api('/api/unanswered?limit=50'), allPages('/api/content/faq'), allPages('/api/content/opds', 1)]);
    this.setState({ faqs: faqs.items, version: faqs.version, opds: opds.items });
    return groups;
  }
  async resolve(group, body, message) {
    this.setState({ failure: null });
    try {
      await api(`/api/unanswered/${encodeURIComponent(group.id)}/resolve`, { method: 'POST', body });
      this.setState({ flash: message, draft: null });
      this.reload();
    } catch (error) {
      this.setState({ failure: describeError(error) });
    }
  }
  startFaq(group) {
    const sample = this.state.faqs[0] || {};
    const base = {};
    for (const [key, value] of Object.entries(sample)) {
      if (READONLY.has(key)) continue;
      base[key] = typeof value === 'boolean' ? false : Array.isArray(value) ? [] : value === null ? null : '';
    }
    const opd = this.state.opds.find((item) => item.id === 'diskominfo') || this.state.opds[0] || { id: '', name: '' };
    this.setState({
      draft: {
        group,
        entry: {
          ...base, id: '', question: group.examples[0] || '', alt_questions: group.examples.slice(1, 5),
          keywords: [], category: sample.category || '', opd: opd.name, opd_id: opd.id, source: '',
        },
      },
    });
  }
  async createFaq(event) {
    event.preventDefault();
    const { draft, version } = this.state;
    this.setState({ failure: null });
    try {
      await api('/api/content/faq', { method: 'POST', body: { entry: cleanLists(draft.entry), version } });
      await this.resolve(draft.group, { faq_id: draft.entry.id }, `FAQ ${draft.entry.id} dibuat dan pertanyaan ditautkan.`);
    } catch (error) {
      this.setState({ failure: describeError(error) });
    }
  }
  view(data) {
    const { faqs, choice, draft, flash, failure } = this.state;
    const set = (key, value) => this.setState({ draft: { ...draft, entry: { ...draft.entry, [key]: value } } });
    return html`<div class="page">
      <header class="page-head"><h1>Pertanyaan tak terjawab</h1><p class="muted">Pertanyaan warga yang tidak dapat dijawab bot, dikelompokkan.</p></header>
      ${flash ? html`<${Notice}>${flash}<//>` : null}
      ${failure ? html`<${Notice} kind="error">${failure}<//>` : null}
      ${draft ? html`<${Card} title="FAQ baru dari pertanyaan warga">
        <form class="stack" onSubmit=${(e) => this.createFaq(e)}>
          ${['id', 'category', 'title', 'summary', 'question'].map((key) => html`<div class="field"><div class="label-row"><label for=${`u-${key}`}>${NEW_FAQ_LABELS[key] || FIELD_LABELS[key] || key}</label>${LIMITS[key] ? html`<${Counter} value=${draft.entry[key] || ''} max=${LIMITS[key]} />` : null}</div>
            <input id=${`u-${key}`} required value=${draft.entry[key]} onInput=${(e) => set(key, e.target.value)} /></div>`)}
          ${['alt_questions', 'keywords'].map((key) => html`<div class="field"><label for=${`u-${key}`}>${NEW_FAQ_LABELS[key]}</label>
            <textarea id=${`u-${key}`} rows="4" value=${draft.entry[key].join('\n')} onInput=${(e) => set(key, e.target.value.split('\n'))}></textarea></div>`)}
          <div class="field"><label for="u-opd">OPD penanggung jawab</label>
            <select id="u-opd" value=${draft.entry.opd_id} onChange=${(e) => { const opd = this.state.opds.find((item) => item.id === e.target.value); this.setState({ draft: { ...draft, entry: { ...draft.entry, opd_id: opd.id, opd: opd.name } } }); }}>
              ${this.state.opds.map((opd) => html`<option value=${opd.id}>${opd.short_name || opd.name}</option>`)}
            </select></div>
          <div class="field"><div class="label-row"><label for="u-answer">Jawaban</label><${Counter} value=${draft.entry.answer || ''} max=${LIMITS.answer} /></div>
            <textarea id="u-answer" rows="5" required value=${draft.entry.answer} onInput=${(e) => set('answer', e.target.value)}></textarea></div>
          <${WaPreview} entry=${draft.entry} />
          <div class="row-actions"><button type="submit" class="btn primary">Buat FAQ dan tautkan</button><button type="button" class="btn" onClick=${() => this.setState({ draft: null })}>Batal</button></div>
        </form><//>` : null}
      ${data.items.length === 0 ? html`<${Empty} text="Tidak ada pertanyaan yang belum terjawab." />` : html`<ul class="groups">${data.items.map((group) => html`<li class="card">
        <div class="group-head"><span class="count" aria-label=${`${group.count} pertanyaan`}>${group.count}×</span>
          <div><ul class="examples">${group.examples.map((text) => html`<li>${text}</li>`)}</ul>
          <div class="muted small">Terakhir ${formatDateTime(group.last_asked)}</div></div></div>
        <div class="group-actions">
          <label for=${`g-${group.id}`}>Tautkan ke FAQ</label>
          <select id=${`g-${group.id}`} value=${choice[group.id] || group.candidates[0] || ''} onChange=${(e) => this.setState({ choice: { ...choice, [group.id]: e.target.value } })}>
            <option value="">Pilih FAQ…</option>
            ${faqs.map((faq) => html`<option value=${faq.id}>${faq.title || faq.id}${group.candidates.includes(faq.id) ? ' (saran)' : ''}</option>`)}
          </select>
          <button type="button" class="btn small primary" onClick=${() => { const id = choice[group.id] || group.candidates[0]; if (id) this.resolve(group, { faq_id: id }, `Ditautkan ke ${id}.`); }}>Tautkan</button>
          <button type="button" class="btn small" onClick=${() => this.startFaq(group)}>Buat FAQ baru</button>
          <button type="button" class="btn small ghost" onClick=${() => this.resolve(group, { dismiss: true }, 'Kelompok diabaikan.')}>Abaikan</button>
        </div>
      </li>`)}</ul>`}
    </div>`;
  }
}

// ---- Statistik --------------------------------------------------------------------------

export class Statistics extends DataPage {
  constructor(props) {
    super(props);
    const month = new Date(Date.now() - 28 * 86_400_000).toISOString().slice(0, 7);
    this.state = { ...this.state, from: daysAgoWib(29), to: todayWib(), granularity: 'day', month };
  }
  pollEvery() {
    return 30_000;
  }
  fetchData() {
    const { from, to, granularity } = this.state;
    return api(`/api/stats${query({ from, to, granularity })}`);
  }
  async report() {
    try {
      await download(`/api/reports/monthly.csv${query({ month: this.state.month })}`, `laporan-bulanan-${this.state.month}.csv`);
    } catch (error) {
      this.setState({ error });
    }
  }
  view(data) {
    const { from, to, granularity, month } = this.state;
    const t = data.totals;
    const bar = (label, items) => html`<${Card} title=${label}>${items.length
      ? html`<${ChartBox} type="bar" horizontal label=${label} labels=${items.slice(0, 10).map((item) => item.key)} datasets=${[{ label: 'Jumlah', data: items.slice(0, 10).map((item) => item.count) }]} />`
      : html`<${Empty} />`}<//>`;
    return html`<div class="page">
      <header class="page-head"><h1>Statistik</h1></header>
      <form class="filters" onSubmit=${(e) => { e.preventDefault(); this.reload(); }}>
        <div class="field"><label for="s-from">Dari</label><input id="s-from" type="date" value=${from} onInput=${(e) => this.setState({ from: e.target.value })} /></div>
        <div class="field"><label for="s-to">Sampai</label><input id="s-to" type="date" value=${to} onInput=${(e) => this.setState({ to: e.target.value })} /></div>
        <div class="field"><label for="s-g">Per</label><select id="s-g" value=${granularity} onChange=${(e) => this.setState({ granularity: e.target.value })}>
          <option value="day">Hari</option><option value="week">Minggu</option><option value="month">Bulan</option></select></div>
        <button type="submit" class="btn primary">Tampilkan</button>
      </form>
      <div class="kpis">
        <${Kpi} label="Pesan masuk" value=${formatNumber(t.messages_in)} hint=${`keluar ${formatNumber(t.messages_out)}`} />
        <${Kpi} label="Warga aktif" value=${formatNumber(t.active_citizens)} />
        <${Kpi} label="Terjawab bot" value=${formatPct(t.answer_rate_pct)} />
        <${Kpi} label="Aduan dibuka / selesai" value=${`${formatNumber(t.complaints_opened)} / ${formatNumber(t.complaints_closed)}`} />
        <${Kpi} label="SLA respons / penyelesaian" value=${`${formatPct(t.sla_response_met_pct)} / ${formatPct(t.sla_resolution_met_pct)}`} />
        <${Kpi} label="Median respons" value=${t.median_response_working_days === null ? '–' : `${t.median_response_working_days} hari kerja`} />
        <${Kpi} label="Rata-rata penilaian" value=${t.rating_average === null ? '–' : formatNumber(t.rating_average)} />
        <${Kpi} label="Diserahkan ke petugas" value=${formatNumber(t.handoffs)} />
      </div>
      <div class="grid">
        <${Card} title="Pesan"><${ChartBox} type="bar" stacked label="Pesan menu dan teks bebas" labels=${data.series.map((p) => p.period)}
          datasets=${[{ label: 'Menu', data: data.series.map((p) => p.messages_menu) }, { label: 'Teks bebas', data: data.series.map((p) => p.messages_free_text) }]} /><//>
        <${Card} title="Penilaian warga"><${ChartBox} type="bar" label="Jumlah penilaian per bintang" labels=${['1', '2', '3', '4', '5']}
          datasets=${[{ label: 'Penilaian', data: [1, 2, 3, 4, 5].map((score) => (t.ratings.find((r) => r.score === score) || { count: 0 }).count) }]} /><//>
        ${bar('Aduan per kategori', t.opened_by_category)}
        ${bar('Aduan per OPD', t.opened_by_opd)}
        ${bar('Aduan per kecamatan', t.opened_by_kecamatan)}
        ${bar('FAQ teratas', t.top_faqs)}
      </div>
      <${Card} title="Laporan bulanan">
        <form class="filters" onSubmit=${(e) => { e.preventDefault(); this.report(); }}>
          <div class="field"><label for="s-month">Bulan</label><input id="s-month" type="month" value=${month} onInput=${(e) => this.setState({ month: e.target.value })} /></div>
          <button type="submit" class="btn">Unduh laporan (CSV)</button>
        </form>
      <//>
    </div>`;
  }
}

// ---- Audit ------------------------------------------------------------------------------

export class Audit extends DataPage {
  constructor(props) {
    super(props);
    this.state = { ...this.state, actor: '', subject: '', cursors: [null], page: 0 };
  }
  pollEvery() {
    return 15_000;
  }
  fetchData() {
    const { actor, subject, cursors, page } = this.state;
    return api(`/api/audit${query({ actor, subject, cursor: cursors[page], limit: 50 })}`);
  }
  go(delta) {
    const next = [...this.state.cursors];
    if (delta > 0) next[this.state.page + 1] = this.state.data.next_cursor;
    this.setState({ cursors: next, page: this.state.page + delta }, () => this.reload());
  }
  view(data) {
    const { actor, subject, page } = this.state;
    return html`<div class="page">
      <header class="page-head"><h1>Audit</h1></header>
      <form class="filters" role="search" onSubmit=${(e) => { e.preventDefault(); this.setState({ cursors: [null], page: 0 }, () => this.reload()); }}>
        <div class="field"><label for="a-actor">Pelaku</label><input id="a-actor" value=${actor} onInput=${(e) => this.setState({ actor: e.target.value })} /></div>
        <div class="field"><label for="a-subject">Subjek</label><input id="a-subject" value=${subject} onInput=${(e) => this.setState({ subject: e.target.value })} /></div>
        <button type="submit" class="btn primary">Saring</button>
      </form>
      ${data.items.length ? html`<table class="table cards"><thead><tr><th scope="col">Waktu</th><th scope="col">Pelaku</th><th scope="col">Aksi</th><th scope="col">Subjek</th><th scope="col">Keterangan</th><th scope="col">Alamat</th></tr></thead>
        <tbody>${data.items.map((item) => html`<tr><td data-label="Waktu">${formatDateTime(item.at || item.at_ms)}</td><td data-label="Pelaku">${item.actor} <span class="muted small">${item.role}</span></td><td data-label="Aksi"><code>${item.action}</code></td><td data-label="Subjek">${item.subject || '–'}</td><td data-label="Keterangan">${item.detail || '–'}</td><td data-label="Alamat">${item.ip || '–'}</td></tr>`)}</tbody></table>`
        : html`<${Empty} text="Tidak ada catatan audit." />`}
      <${Pager} page=${page} hasNext=${Boolean(data.next_cursor)} onPrev=${() => this.go(-1)} onNext=${() => this.go(1)} />
    </div>`;
  }
}

// ---- Pengguna ---------------------------------------------------------------------------

export class Users extends DataPage {
  constructor(props) {
    super(props);
    this.state = { ...this.state, form: { username: '', role: 'operator', opd_id: '', password: '' }, flash: null, failure: null };
  }
  pollEvery() {
    return 15_000;
  }
  fetchData() {
    return api('/api/users?limit=100');
  }
  async create(event) {
    event.preventDefault();
    const { form } = this.state;
    this.setState({ failure: null });
    try {
      await api('/api/users', { method: 'POST', body: { ...form, opd_id: form.role === 'opd' ? form.opd_id : null } });
      this.setState({ flash: `Pengguna ${form.username} dibuat.`, form: { username: '', role: 'operator', opd_id: '', password: '' } });
      this.reload();
    } catch (error) {
      this.setState({ failure: describeError(error) });
    }
  }
  async toggle(user) {
    try {
      await api(`/api/users/${encodeURIComponent(user.username)}`, { method: 'PATCH', body: { disabled: !user.disabled } });
      this.setState({ flash: `${user.username} ${user.disabled ? 'diaktifkan' : 'dinonaktifkan'}.` });
      this.reload();
    } catch (error) {
      this.setState({ failure: describeError(error) });
    }
  }
  view(data) {
    const { form, flash, failure } = this.state;
    const set = (key, value) => this.setState({ form: { ...form, [key]: value } });
    return html`<div class="page">
      <header class="page-head"><h1>Pengguna</h1></header>
      ${flash ? html`<${Notice}>${flash}<//>` : null}
      ${failure ? html`<${Notice} kind="error">${failure}<//>` : null}
      <table class="table cards"><thead><tr><th scope="col">Nama</th><th scope="col">Peran</th><th scope="col">OPD</th><th scope="col">Status</th><th scope="col"><span class="sr-only">Aksi</span></th></tr></thead>
        <tbody>${data.items.map((user) => html`<tr><td data-label="Nama">${user.username}</td><td data-label="Peran">${ROLE_LABELS[user.role] || user.role}</td><td data-label="OPD">${user.opd_id || '–'}</td>
          <td data-label="Status">${user.disabled ? html`<span class="badge sla-overdue">Nonaktif</span>` : html`<span class="badge sla-on_time">Aktif</span>`}</td>
          <td>${user.username !== this.props.me.username ? html`<button type="button" class="btn small" onClick=${() => this.toggle(user)}>${user.disabled ? 'Aktifkan' : 'Nonaktifkan'}</button>` : null}</td></tr>`)}</tbody></table>
      <${Card} title="Tambah pengguna">
        <form class="filters" onSubmit=${(e) => this.create(e)}>
          <div class="field"><label for="p-name">Nama pengguna</label><input id="p-name" required pattern="[a-z0-9._\\-]{3,64}" value=${form.username} onInput=${(e) => set('username', e.target.value)} /></div>
          <div class="field"><label for="p-role">Peran</label><select id="p-role" value=${form.role} onChange=${(e) => set('role', e.target.value)}>
            ${Object.entries(ROLE_LABELS).map(([value, label]) => html`<option value=${value}>${label}</option>`)}</select></div>
          ${form.role === 'opd' ? html`<div class="field"><label for="p-opd">OPD</label><input id="p-opd" required value=${form.opd_id} onInput=${(e) => set('opd_id', e.target.value)} /></div>` : null}
          <div class="field"><label for="p-pass">Kata sandi awal</label><input id="p-pass" type="password" autocomplete="new-password" minlength="10" required value=${form.password} onInput=${(e) => set('password', e.target.value)} /></div>
          <button type="submit" class="btn primary">Tambah</button>
        </form>
      <//>
    </div>`;
  }
}

// ---- Data warga -------------------------------------------------------------------------

/** The kinds `POST /api/citizens/{id}/erase` counts in `removed` (docs/operator-api.md). */
const REMOVED_LABELS = {
  profile: 'Profil warga',
  aliases: 'Alias (nomor WhatsApp, ID pengguna)',
  session: 'Sesi dialog',
  messages: 'Pesan percakapan',
  conversation: 'Ringkasan percakapan',
  outbox: 'Pesan keluar tercatat',
  statuses: 'Status pengiriman pesan',
  raw_payloads: 'Isi webhook mentah',
  unanswered: 'Pertanyaan tak terjawab',
  alerts: 'Peringatan',
  stat_marks: 'Tanda statistik warga aktif',
  dedup_marks: 'Tanda pesan ganda',
  queued: 'Antrean yang belum diproses',
  complaints_redacted: 'Aduan dianonimkan',
  photos: 'Foto aduan',
};
const REQUEST_STATES = { menunggu: 'Menunggu', selesai: 'Selesai' };
const citizenName = (name) => name || 'Tanpa nama';

export class CitizenData extends DataPage {
  constructor(props) {
    super(props);
    this.state = {
      ...this.state, phone: '', phoneError: null, notFound: null, selected: null, confirm: '', confirmError: null,
      busy: false, flash: null, failure: null, result: null,
    };
    this.confirmInput = createRef();
  }
  pollEvery() {
    return 15_000;
  }
  fetchData() {
    // Every read is audited (`erasure_request.list`): one page, not the whole history.
    return api('/api/erasure-requests?limit=100');
  }
  /** Makes `citizen` ({id, name}) the one exported or erased; `focus` moves to the confirmation. */
  select(citizen, focus = false) {
    this.setState({ selected: citizen, confirm: '', confirmError: null, failure: null, flash: null, result: null }, () => {
      if (focus && this.confirmInput.current) this.confirmInput.current.focus();
    });
  }
  async lookup(event) {
    event.preventDefault();
    const phone = this.state.phone.trim();
    this.setState({ busy: true, phoneError: null, notFound: null, failure: null, flash: null, result: null, selected: null });
    try {
      const found = await api('/api/citizens/lookup', { method: 'POST', body: { phone } });
      this.setState({ busy: false });
      this.select(found);
    } catch (error) {
      if (error.status === 404) {
        this.setState({ busy: false, notFound: `Nomor ${phone} tidak ditemukan: belum pernah menghubungi PROLINK SAKTI, atau datanya sudah dihapus.` });
      } else if (error.status === 422 && error.fields && error.fields.phone) {
        this.setState({ busy: false, phoneError: error.fields.phone });
      } else {
        this.setState({ busy: false, failure: describeError(error) });
      }
    }
  }
  async exportData(citizen) {
    this.setState({ failure: null, flash: null });
    try {
      const data = await api(`/api/citizens/${encodeURIComponent(citizen.id)}/export`);
      saveBlob(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }), `data-warga-${citizen.id}.json`);
      this.setState({ flash: `Data ${citizenName(citizen.name)} diunduh sebagai data-warga-${citizen.id}.json. Serahkan hanya kepada warga yang bersangkutan.` });
    } catch (error) {
      this.setState({ failure: error.status === 404 ? 'Warga ini tidak ditemukan: datanya mungkin sudah dihapus.' : describeError(error) });
    }
  }
  async erase(event) {
    event.preventDefault();
    const { selected, confirm } = this.state;
    if (!selected || confirm !== selected.id) return;
    this.setState({ busy: true, failure: null, confirmError: null, flash: null });
    try {
      const result = await api(`/api/citizens/${encodeURIComponent(selected.id)}/erase`, { method: 'POST', body: { confirm } });
      this.setState({ busy: false, selected: null, confirm: '', result: { ...result, name: selected.name } });
      this.reload();
    } catch (error) {
      if (error.status === 422 && error.fields && error.fields.confirm) this.setState({ busy: false, confirmError: error.fields.confirm });
      else if (error.status === 404) {
        this.setState({ busy: false, selected: null, failure: 'Warga ini tidak ditemukan: datanya mungkin sudah dihapus.' });
        this.reload();
      } else this.setState({ busy: false, failure: describeError(error) });
    }
  }
  view(requests) {
    const { phone, phoneError, notFound, selected, confirm, confirmError, flash, failure, busy, result } = this.state;
    // Waiting requests first, each group newest first (the API's order).
    const items = [...requests.items].sort((a, b) => (a.state === 'menunggu' ? 0 : 1) - (b.state === 'menunggu' ? 0 : 1));
    const waiting = items.filter((item) => item.state === 'menunggu').length;
    const removed = result ? Object.entries(result.removed || {}) : [];
    return html`<div class="page">
      <header class="page-head"><h1>Data warga</h1><p class="muted">Hak warga atas salinan dan penghapusan data pribadinya (UU 27/2022 Pelindungan Data Pribadi). Setiap pencarian, unduhan, dan penghapusan tercatat di audit.</p></header>
      ${flash ? html`<${Notice}>${flash}<//>` : null}
      ${failure ? html`<${Notice} kind="error">${failure}<//>` : null}
      ${result ? html`<${Card} title="Hasil penghapusan" className="erase-result">
        <p>Data ${citizenName(result.name)} (<code>${result.id}</code>) telah dihapus pada ${formatDateTime(result.erased_at)}.</p>
        ${removed.length
          ? html`<table class="table cards"><caption class="sr-only">Data yang dihapus atau dianonimkan</caption>
            <thead><tr><th scope="col">Jenis data</th><th scope="col">Jumlah</th></tr></thead>
            <tbody>${removed.map(([kind, count]) => html`<tr><td data-label="Jenis data">${REMOVED_LABELS[kind] || kind}</td><td data-label="Jumlah">${formatNumber(count)}</td></tr>`)}</tbody></table>`
          : html`<p class="muted">Tidak ada data lain yang tersimpan.</p>`}
        <p class="muted small">Aduan warga ini tetap ditangani OPD tanpa identitas pelapor. Pesan baru dari nomor ini dilayani sebagai warga baru.</p>
      <//>` : null}
      <${Card} title="Permintaan penghapusan dari warga" actions=${html`<span class=${`badge ${waiting ? 'sla-near' : ''}`}>${waiting} menunggu</span>`}>
        <p class="muted small">Warga meminta dengan mengetik <strong>HAPUS DATA SAYA</strong> di WhatsApp. Periksa permintaannya, unduh datanya bila warga meminta salinan, lalu hapus.</p>
        ${items.length
          ? html`<table class="table cards requests"><caption class="sr-only">Permintaan penghapusan, yang menunggu di atas</caption>
            <thead><tr><th scope="col">Warga</th><th scope="col">Diminta</th><th scope="col">Status</th><th scope="col">Tindakan</th></tr></thead>
            <tbody>${items.map((item) => {
              const citizen = { id: item.citizen_id, name: item.name };
              const open = item.state === 'menunggu';
              return html`<tr class=${open ? 'waiting' : 'done'}>
                <td data-label="Warga"><div>${open ? citizenName(item.name) : html`<span class="muted">Nama sudah dihapus</span>`}<div class="muted small"><code>${item.citizen_id}</code></div></div></td>
                <td data-label="Diminta">${formatDateTime(item.requested_at)}</td>
                <td data-label="Status"><span class=${`badge ${open ? 'sla-near' : 'sla-on_time'}`}>${REQUEST_STATES[item.state] || item.state}</span></td>
                <td data-label="Tindakan">${open
                  ? html`<div class="row-actions">
                      <a class="btn small" href=${`#/percakapan/${encodeURIComponent(item.citizen_id)}`}>Buka percakapan<span class="sr-only"> ${citizenName(item.name)}</span></a>
                      <button type="button" class="btn small" onClick=${() => this.exportData(citizen)}>Unduh data<span class="sr-only"> ${citizenName(item.name)}</span></button>
                      <button type="button" class="btn small danger" onClick=${() => this.select(citizen, true)}>Hapus data<span class="sr-only"> ${citizenName(item.name)}</span></button>
                    </div>`
                  : html`<span class="muted small">Data sudah dihapus</span>`}</td>
              </tr>`;
            })}</tbody></table>
            ${requests.next_cursor ? html`<p class="muted small">Menampilkan 100 permintaan terbaru.</p>` : null}`
          : html`<${Empty} text="Belum ada warga yang meminta penghapusan data." />`}
      <//>
      <${Card} title="Cari warga menurut nomor">
        <p class="muted small">Untuk permintaan tertulis (surat, e-mail, loket). Nomor dikirim di isi permintaan, tidak di alamat.</p>
        <form class="filters" onSubmit=${(e) => this.lookup(e)}>
          <div class="field"><label for="w-phone">Nomor WhatsApp</label>
            <input id="w-phone" inputmode="tel" autocomplete="off" placeholder="0812… atau 62812…" required value=${phone}
              aria-invalid=${phoneError ? 'true' : undefined} aria-describedby=${phoneError ? 'w-phone-error' : undefined}
              onInput=${(e) => this.setState({ phone: e.target.value, phoneError: null })} />
            ${phoneError ? html`<span id="w-phone-error" class="field-error">${phoneError}</span>` : null}</div>
          <button type="submit" class="btn primary" disabled=${busy}>Cari</button>
        </form>
        ${notFound ? html`<p class="notice warn lookup-result" role="status">${notFound}</p>` : null}
      <//>
      ${selected ? html`<${Card} title="Warga terpilih" className="selected-citizen">
        <dl class="facts">
          <dt>Nama</dt><dd>${citizenName(selected.name)}</dd>
          <dt>ID warga</dt><dd><code>${selected.id}</code></dd>
        </dl>
        <div class="row-actions spaced">
          <a class="btn" href=${`#/percakapan/${encodeURIComponent(selected.id)}`}>Buka percakapan</a>
          <button type="button" class="btn" onClick=${() => this.exportData(selected)}>Unduh data (JSON)</button>
          <button type="button" class="btn" onClick=${() => this.setState({ selected: null, confirm: '' })}>Tutup</button>
        </div>
        <form class="stack danger" onSubmit=${(e) => this.erase(e)}>
          <h3>Hapus semua data warga ini</h3>
          <div class="notice error block" role="note">
            <p><strong>Tidak dapat dibatalkan.</strong> Nama, nomor WhatsApp, riwayat percakapan, foto, profil, dan sesi warga ini dihapus permanen; aduannya tetap ditangani OPD tanpa identitas pelapor.</p>
            <p>Bila warga meminta salinan datanya, unduh lebih dulu: setelah dihapus, data tidak bisa diunduh lagi.</p>
          </div>
          <label for="w-confirm">Ketik ID warga <code>${selected.id}</code> untuk mengonfirmasi</label>
          <input id="w-confirm" ref=${this.confirmInput} class="mono" autocomplete="off" spellcheck="false" value=${confirm}
            aria-invalid=${confirmError ? 'true' : undefined} aria-describedby="w-confirm-hint"
            onInput=${(e) => this.setState({ confirm: e.target.value, confirmError: null })} />
          <span id="w-confirm-hint" class=${confirmError ? 'field-error' : 'muted small'}>${confirmError || (confirm && confirm !== selected.id ? 'Belum sama dengan ID warga.' : 'Tombol hapus aktif setelah ID diketik persis sama.')}</span>
          <button type="submit" class="btn danger" disabled=${busy || confirm !== selected.id}>Hapus data warga secara permanen</button>
        </form>
      <//>` : null}
    </div>`;
  }
}

// ---- Pengaturan -------------------------------------------------------------------------

const LADDER = [
  { id: 'supervisor', label: 'Supervisor', hint: 'Eskalasi tingkat 2: aduan yang tenggatnya terlewati satu hari kerja.' },
  { id: 'pimpinan', label: 'Pimpinan', hint: 'Eskalasi tingkat 3: aduan yang tenggatnya terlewati tiga hari kerja.' },
];
/** One number a line (also commas); empty lines dropped. */
const numbersOf = (text) => String(text || '').split(/[\n,;]+/).map((line) => line.trim()).filter(Boolean);

/** `contacts.dlh` and `contacts.dlh[1]` → one Indonesian message per group, naming the number. */
function contactErrors(fields, sent) {
  const errors = {};
  for (const [field, message] of Object.entries(fields || {})) {
    const match = /^contacts\.([^[]+)(?:\[(\d+)\])?$/.exec(field);
    if (!match) continue;
    const [, key, index] = match;
    const text = index === undefined ? message : `${(sent[key] || [])[Number(index)] || `Nomor ke-${Number(index) + 1}`}: ${message}`;
    errors[key] = [...(errors[key] || []), text];
  }
  return errors;
}

export class Settings extends DataPage {
  constructor(props) {
    super(props);
    this.state = { ...this.state, drafts: null, errors: {}, busy: false, flash: null, failure: null };
  }
  pollEvery() {
    // A form being edited: no polling; a save or a conflict loads it again.
    return 0;
  }
  async fetchData() {
    const [setting, opds] = await Promise.all([api('/api/settings/operator-contacts'), api('/api/content/opds?limit=100')]);
    const drafts = {};
    for (const [key, numbers] of Object.entries(setting.contacts || {})) drafts[key] = numbers.join('\n');
    this.setState({ drafts, errors: {} });
    return { setting, opds: opds.items };
  }
  async save(event) {
    event.preventDefault();
    const { drafts, data } = this.state;
    const contacts = {};
    for (const [key, text] of Object.entries(drafts)) {
      const numbers = numbersOf(text);
      if (numbers.length) contacts[key] = numbers;
    }
    this.setState({ busy: true, errors: {}, flash: null, failure: null });
    try {
      const setting = await api('/api/settings/operator-contacts', { method: 'PUT', body: { contacts, version: data.setting.version } });
      const saved = {};
      for (const [key, numbers] of Object.entries(setting.contacts || {})) saved[key] = numbers.join('\n');
      this.setState({ busy: false, drafts: saved, data: { ...data, setting }, flash: 'Kontak operator disimpan. Pemberitahuan berikutnya dikirim ke nomor-nomor ini.' });
    } catch (error) {
      if (error.status === 422 && error.fields) {
        const errors = contactErrors(error.fields, contacts);
        this.setState({ busy: false, errors, failure: 'Beberapa nomor tidak valid; perbaiki isian yang ditandai.' }, () => {
          const first = document.querySelector('.contact.invalid textarea');
          if (first) first.focus();
        });
      } else if (error.status === 409) {
        this.setState({ busy: false, failure: 'Kontak ini baru saja diubah admin lain. Isian dimuat ulang; periksa lalu simpan lagi.' });
        this.reload();
      } else {
        this.setState({ busy: false, failure: describeError(error) });
      }
    }
  }
  view({ setting, opds }) {
    const { drafts, errors, busy, flash, failure } = this.state;
    const known = new Set([...LADDER.map((item) => item.id), ...opds.map((opd) => opd.id)]);
    const groups = [
      ...opds.map((opd) => ({ id: opd.id, label: opd.name || opd.short_name || opd.id, hint: `ID ${opd.id}` })),
      ...LADDER,
      // Saved for an OPD no longer in the content: shown so it can be emptied.
      ...Object.keys(drafts || {}).filter((key) => !known.has(key)).map((key) => ({ id: key, label: key, hint: 'Tidak ada OPD dengan ID ini di konten; kosongkan untuk menghapusnya.' })),
    ];
    const field = (group) => {
      const id = `k-${group.id}`;
      const problems = errors[group.id] || [];
      return html`<div class=${`field contact${problems.length ? ' invalid' : ''}`}>
        <label for=${id}>${group.label}</label>
        <span id=${`${id}-hint`} class="muted small">${group.hint}</span>
        <textarea id=${id} rows="2" class="mono" inputmode="tel" spellcheck="false" value=${(drafts || {})[group.id] || ''}
          aria-invalid=${problems.length ? 'true' : undefined} aria-describedby=${`${id}-hint${problems.length ? ` ${id}-error` : ''}`}
          onInput=${(e) => this.setState({ drafts: { ...drafts, [group.id]: e.target.value }, errors: { ...errors, [group.id]: undefined } })}></textarea>
        ${problems.length ? html`<ul id=${`${id}-error`} class="field-error">${problems.map((text) => html`<li>${text}</li>`)}</ul>` : null}
      </div>`;
    };
    return html`<div class="page">
      <header class="page-head"><h1>Pengaturan</h1></header>
      ${flash ? html`<${Notice}>${flash}<//>` : null}
      ${failure ? html`<${Notice} kind="error">${failure}<//>` : null}
      <${Card} title="Kontak operator">
        <p class="muted">Nomor WhatsApp petugas yang menerima templat pemberitahuan: aduan baru dan pengingat tenggat untuk OPD-nya, eskalasi untuk supervisor dan pimpinan. Satu nomor per baris, diawali 62 (contoh 6281234567890); paling banyak 20 nomor per isian. Tanpa nomor, pemberitahuan hanya tampil sebagai peringatan di dasbor.</p>
        <p class="muted small">${setting.version
          ? `Versi ${setting.version}, terakhir diubah ${formatDateTime(setting.updated_at)} oleh ${setting.updated_by || '–'}.`
          : 'Belum pernah disimpan dari dasbor: isian awal berasal dari konfigurasi server (PROLINK_OPERATOR_CONTACTS).'}</p>
        <form class="stack" onSubmit=${(e) => this.save(e)}>
          <fieldset class="contacts"><legend>Petugas OPD</legend>
            <p class="muted small full">Menerima aduan baru untuk OPD-nya dan pengingat tenggat (tingkat 1).</p>${groups.filter((group) => !LADDER.includes(group)).map(field)}</fieldset>
          <fieldset class="contacts"><legend>Eskalasi</legend>${LADDER.map(field)}</fieldset>
          <div class="row-actions">
            <button type="submit" class="btn primary" disabled=${busy}>Simpan kontak</button>
            <button type="button" class="btn" disabled=${busy} onClick=${() => this.setState({ flash: null, failure: null }, () => this.reload())}>Batalkan perubahan</button>
          </div>
        </form>
      <//>
    </div>`;
  }
}

// ---- Siaran -----------------------------------------------------------------------------

/**
 * Names of the broadcast templates' fields for the form (the texts, categories and Meta's
 * statuses come from GET /api/broadcasts/templates; these only label the inputs in Indonesian).
 */
const TEMPLATE_LABELS = {
  siaran_acara: { label: 'Info kegiatan', headerLabels: ['Judul pada header'], labels: ['Nama kegiatan', 'Waktu', 'Tempat', 'Keterangan'] },
  siaran_layanan: { label: 'Pengumuman layanan', labels: ['Instansi', 'Isi pengumuman', 'Berlaku mulai'] },
  siaran_kesehatan: { label: 'Kampanye kesehatan', labels: ['Judul kampanye', 'Isi', 'Informasi lebih lanjut'] },
  siaran_siaga_bencana: { label: 'Siaga bencana', labels: ['Judul', 'Isi imbauan', 'Kontak darurat'] },
  siaran_jam_layanan: { label: 'Perubahan jam layanan', labels: ['Layanan', 'Mulai', 'Jam layanan baru'] },
};
const TEMPLATE_STATUS_TEXT = {
  APPROVED: 'disetujui', PENDING: 'menunggu persetujuan Meta', PAUSED: 'dijeda Meta', DISABLED: 'dinonaktifkan Meta',
  REJECTED: 'ditolak Meta', MISSING: 'belum diajukan ke Meta',
};

let templatesCache = null;
/** The catalog with Meta's statuses, read again after a minute (statuses change rarely). */
function loadTemplates() {
  if (templatesCache && Date.now() - templatesCache.at < 60_000) return templatesCache.promise;
  const promise = api('/api/broadcasts/templates').then((data) => (data.items || []).map((t) => ({ ...t, ...(TEMPLATE_LABELS[t.name] || { label: t.name }) })));
  templatesCache = { at: Date.now(), promise };
  promise.catch(() => { templatesCache = null; });
  return promise;
}

const BROADCAST_STATES = {
  draft: 'Draf', scheduled: 'Terjadwal', sending: 'Mengirim', done: 'Selesai', cancelled: 'Dibatalkan', stopped: 'Dihentikan',
};
const placeholders = (text) => (text ? [...new Set([...text.matchAll(/\{\{(\d+)\}\}/g)].map((m) => Number(m[1])))].sort((a, b) => a - b) : []);
const fill = (text, values) => (text || '').replace(/\{\{(\d+)\}\}/g, (whole, n) => {
  const value = (values || [])[Number(n) - 1];
  return value && value.trim() ? value : `[${n}]`;
});
const templateOf = (templates, name) => (templates || []).find((t) => t.name === name) || null;

const BroadcastBadge = ({ state }) => html`<span class=${`badge bc-${state}`}>${BROADCAST_STATES[state] || state}</span>`;

/** The template as the citizen sees it in WhatsApp, placeholders filled (text only). */
function TemplatePreview({ template, parameters, headerParameters, name }) {
  if (!template) return html`<p class="muted">Templat ${name || ''} tidak ada dalam daftar dasbor; isian: ${(parameters || []).join(' · ') || '–'}</p>`;
  return html`<div class="wa-preview" aria-label="Pratinjau pesan WhatsApp">
    <div class="bubble in">
      ${template.header ? html`<div class="bubble-header">${fill(template.header, headerParameters)}</div>` : null}
      <div class="bubble-text"><${WaText} text=${fill(template.body, parameters)} /></div>
      ${template.footer ? html`<div class="bubble-footer">${template.footer}</div>` : null}
    </div>
  </div>`;
}

function audienceText(audience, topicNames) {
  if (!audience) return '–';
  if (audience.all) return 'Semua pelanggan';
  return (audience.topics || []).map((id) => topicNames[id] || id).join(', ') || '–';
}

/** `#/siaran`, `#/siaran/baru`, `#/siaran/<id>`. */
export class Broadcasts extends Component {
  render({ me, rest }) {
    if (rest && rest[0] === 'baru') return html`<${BroadcastForm} me=${me} />`;
    if (rest && rest[0]) return html`<${BroadcastDetail} me=${me} id=${rest[0]} />`;
    return html`<${BroadcastList} me=${me} />`;
  }
}

class BroadcastList extends DataPage {
  async fetchData() {
    const [list, topics] = await Promise.all([api('/api/broadcasts?limit=50'), this.topics || api('/api/content/topics?limit=100').catch(() => ({ items: [] }))]);
    this.topics = topics;
    return { list, topicNames: Object.fromEntries((topics.items || []).map((t) => [t.id, t.name || t.id])) };
  }
  view({ list, topicNames }) {
    return html`<div class="page">
      <header class="page-head"><h1>Siaran</h1><a class="btn primary" href="#/siaran/baru">Siaran baru</a>
        <p class="muted">Pesan resmi dengan templat yang disetujui Meta, dikirim kepada warga yang berlangganan topiknya (MULAI/LANGGANAN).</p></header>
      ${list.items.length ? html`<table class="table cards broadcasts"><thead><tr><th scope="col">Nama</th><th scope="col">Status</th><th scope="col">Sasaran</th><th scope="col">Penerima</th><th scope="col">Kemajuan</th><th scope="col">Waktu kirim</th></tr></thead>
        <tbody>${list.items.map((item) => html`<tr>
          <td data-label="Nama"><a href=${`#/siaran/${encodeURIComponent(item.id)}`}>${item.name}</a><br /><span class="muted small">${item.template.name}${item.urgent ? ' · mendesak' : ''}</span></td>
          <td data-label="Status"><${BroadcastBadge} state=${item.state} /></td>
          <td data-label="Sasaran">${audienceText(item.audience, topicNames)}</td>
          <td data-label="Penerima">${formatNumber(item.audience_size)}</td>
          <td data-label="Kemajuan">${item.state === 'sending'
            ? html`<progress max="100" value=${item.progress.percent} aria-label=${`Kemajuan ${item.name}`}>${item.progress.percent}%</progress> <span class="small">${formatPct(item.progress.percent)}</span>`
            : item.state === 'done' ? html`<span class="small">${formatNumber(item.stats.sent)} terkirim</span>` : '–'}</td>
          <td data-label="Waktu kirim">${item.send_at ? formatDateTime(item.send_at) : 'Segera setelah dijadwalkan'}</td>
        </tr>`)}</tbody></table>`
        : html`<${Empty} text="Belum ada siaran." />`}
    </div>`;
  }
}

/** The 422 field names of POST /api/broadcasts, to the inputs they belong to. */
function fieldError(fields, ...names) {
  for (const name of names) if (fields && fields[name]) return fields[name];
  return null;
}

class BroadcastForm extends Component {
  constructor(props) {
    super(props);
    this.state = {
      topics: null, topicsError: null, templates: null, templatesError: null, name: '', template: null, params: {}, headerParams: {},
      all: false, chosen: [], when: 'now', sendAt: '', urgent: false, size: null, sizeBusy: false, sizeError: null,
      fields: {}, failure: null, busy: false,
    };
    this.countTimer = null;
    this.countGeneration = 0;
  }
  componentDidMount() {
    this.alive = true;
    api('/api/content/topics?limit=100')
      .then((data) => this.alive && this.setState({ topics: data.items || [] }))
      .catch((error) => this.alive && this.setState({ topics: [], topicsError: error }));
    loadTemplates()
      .then((templates) => {
        if (!this.alive) return;
        const first = templates.find((t) => t.usable);
        this.setState({ templates, template: first ? first.name : null });
      })
      .catch((error) => this.alive && this.setState({ templates: [], templatesError: error }));
    this.count();
  }
  componentWillUnmount() {
    this.alive = false;
    clearTimeout(this.countTimer);
  }
  audience() {
    return this.state.all ? { all: true } : { topics: this.state.chosen };
  }
  /** The fields' errors without those of `names` (an edited field loses its stale error). */
  without(...names) {
    const fields = { ...this.state.fields };
    for (const name of names) delete fields[name];
    return fields;
  }
  /** The live audience size, a moment after the last change. */
  count() {
    clearTimeout(this.countTimer);
    if (!this.state.all && !this.state.chosen.length) {
      this.setState({ size: 0, sizeBusy: false, sizeError: null });
      return;
    }
    this.setState({ sizeBusy: true });
    this.countTimer = setTimeout(async () => {
      const generation = (this.countGeneration += 1);
      try {
        const { audience_size: size } = await api('/api/broadcasts/audience', { body: { audience: this.audience() } });
        if (this.alive && generation === this.countGeneration) this.setState({ size, sizeBusy: false, sizeError: null });
      } catch (error) {
        if (this.alive && generation === this.countGeneration) this.setState({ sizeBusy: false, sizeError: describeError(error) });
      }
    }, 300);
  }
  values(kind, count) {
    const source = this.state[kind];
    return Array.from({ length: count }, (_, i) => (source[i + 1] || '').trim());
  }
  async submit(event) {
    event.preventDefault();
    const template = templateOf(this.state.templates, this.state.template);
    if (!template) {
      this.setState({ fields: { 'template.name': 'Tidak ada templat yang disetujui Meta; siaran belum dapat dibuat.' } });
      return;
    }
    const body = {
      name: this.state.name.trim(),
      template: {
        name: template.name,
        language: template.language,
        parameters: this.values('params', placeholders(template.body).length),
        ...(template.header && placeholders(template.header).length ? { header_parameters: this.values('headerParams', placeholders(template.header).length) } : {}),
      },
      audience: this.audience(),
      send_at: this.state.when === 'later' && this.state.sendAt ? `${this.state.sendAt.length === 16 ? `${this.state.sendAt}:00` : this.state.sendAt}+07:00` : null,
      urgent: can(this.props.me, 'admin') ? this.state.urgent : false,
    };
    if (this.state.when === 'later' && !this.state.sendAt) {
      this.setState({ fields: { send_at: 'Pilih tanggal dan jam kirim, atau pilih "Segera".' } });
      return;
    }
    this.setState({ busy: true, fields: {}, failure: null });
    try {
      const created = await api('/api/broadcasts', { body });
      location.hash = `#/siaran/${encodeURIComponent(created.id)}`;
    } catch (error) {
      if (!this.alive) return;
      if (error.status === 422 && error.fields) this.setState({ busy: false, fields: error.fields, failure: 'Periksa isian yang ditandai.' });
      else this.setState({ busy: false, failure: describeError(error) });
    }
  }
  render({ me }, state) {
    const { topics, topicsError, name, params, headerParams, all, chosen, when, sendAt, urgent, size, sizeBusy, sizeError, fields, failure, busy } = state;
    if (state.templates === null) return html`<div class="page"><header class="page-head"><h1>Siaran baru</h1></header><${Loading} text="Memuat templat…" /></div>`;
    const template = templateOf(state.templates, state.template) || { name: '', body: '', category: '', labels: [] };
    const bodySlots = placeholders(template.body);
    const headerSlots = placeholders(template.header);
    const paramsError = fieldError(fields, 'template.parameters');
    const headerError = fieldError(fields, 'template.header_parameters');
    const templateError = fieldError(fields, 'template.name', 'template.language', 'template');
    const apiAudienceError = fieldError(fields, 'audience.topics', 'audience.all', 'audience');
    const audienceError = apiAudienceError && !state.all && !state.chosen.length ? 'Pilih setidaknya satu topik, atau "Semua pelanggan".' : apiAudienceError;
    const nameError = fieldError(fields, 'name');
    const sendError = fieldError(fields, 'send_at');
    const known = new Set(['name', 'template.parameters', 'template.header_parameters', 'template.name', 'template.language', 'template', 'audience.topics', 'audience.all', 'audience', 'send_at']);
    const other = Object.entries(fields || {}).filter(([key]) => !known.has(key));
    const input = (kind, values, n, label, error) => {
      const id = `s-${kind}-${n}`;
      return html`<div class="field">
        <label for=${id}>${`{{${n}}} ${label || `Isian ${n}`}`}</label>
        <input id=${id} maxlength="300" value=${values[n] || ''} aria-invalid=${error ? 'true' : undefined} aria-describedby=${error ? `s-${kind}-error` : undefined}
          onInput=${(e) => this.setState({ [kind]: { ...this.state[kind], [n]: e.target.value }, fields: this.without(kind === 'params' ? 'template.parameters' : 'template.header_parameters') })} />
      </div>`;
    };
    const sizeText = sizeBusy ? 'Menghitung penerima…' : sizeError || (size === null ? '' : `${formatNumber(size)} warga akan menerima siaran ini.`);
    return html`<div class="page">
      <header class="page-head"><h1>Siaran baru</h1><a href="#/siaran">‹ Kembali ke daftar siaran</a></header>
      ${failure ? html`<${Notice} kind="error">${failure}${other.length ? html`<ul>${other.map(([key, text]) => html`<li>${key}: ${text}</li>`)}</ul>` : null}<//>` : null}
      <form class="grid broadcast-form" onSubmit=${(e) => this.submit(e)} novalidate>
        <${Card} title="Pesan">
          <div class="stack">
            <div class="field">
              <label for="s-name">Nama siaran (hanya untuk petugas)</label>
              <input id="s-name" maxlength="100" value=${name} aria-invalid=${nameError ? 'true' : undefined} aria-describedby=${nameError ? 's-name-error' : undefined}
                onInput=${(e) => this.setState({ name: e.target.value, fields: this.without('name') })} />
              ${nameError ? html`<p id="s-name-error" class="field-error">${nameError}</p>` : null}
            </div>
            <div class="field">
              <label for="s-template">Templat</label>
              <select id="s-template" value=${template.name} aria-invalid=${templateError ? 'true' : undefined} aria-describedby=${templateError ? 's-template-error' : 's-template-hint'}
                onChange=${(e) => this.setState({ template: e.target.value, params: {}, headerParams: {}, fields: this.without('template.name', 'template.language', 'template', 'template.parameters', 'template.header_parameters') })}>
                ${state.templates.map((t) => html`<option value=${t.name} disabled=${!t.usable}>${`${t.label} (${t.name})${t.usable ? '' : ` — ${TEMPLATE_STATUS_TEXT[t.status] || t.status}`}`}</option>`)}
              </select>
              <span id="s-template-hint" class="muted small">${template.name ? `Kategori ${template.category === 'UTILITY' ? 'utilitas' : 'pemasaran'}, bahasa Indonesia. ` : ''}Hanya templat yang disetujui Meta yang dapat dipilih.</span>
              ${state.templatesError ? html`<${ErrorBox} error=${state.templatesError} compact />` : null}
              ${templateError ? html`<p id="s-template-error" class="field-error">${templateError}</p>` : null}
            </div>
            ${headerSlots.length ? html`<fieldset class="params"><legend>Isian header</legend>
              ${headerSlots.map((n) => input('headerParams', headerParams, n, (template.headerLabels || [])[n - 1], headerError))}
              ${headerError ? html`<p id="s-headerParams-error" class="field-error">${headerError}</p>` : null}
            </fieldset>` : null}
            <fieldset class="params"><legend>Isian pesan</legend>
              ${bodySlots.map((n) => input('params', params, n, (template.labels || [])[n - 1], paramsError))}
              <span class="muted small">Setiap isian 1–300 karakter, satu baris, tanpa tab atau empat spasi berturut-turut.</span>
              ${paramsError ? html`<p id="s-params-error" class="field-error">${paramsError}</p>` : null}
            </fieldset>
          </div>
        <//>
        <${Card} title="Pratinjau">
          <${TemplatePreview} template=${template} parameters=${bodySlots.map((n) => params[n] || '')} headerParameters=${headerSlots.map((n) => headerParams[n] || '')} />
        <//>
        <${Card} title="Penerima">
          <div class="stack">
            <fieldset class="topics" aria-describedby=${audienceError ? 's-audience-error s-size' : 's-size'}><legend>Topik langganan</legend>
              <label class="check"><input type="checkbox" checked=${all} onChange=${(e) => this.setState({ all: e.target.checked, fields: this.without('audience.topics', 'audience.all', 'audience') }, () => this.count())} /> Semua pelanggan</label>
              ${topics === null ? html`<${Loading} text="Memuat topik…" />` : null}
              ${topicsError ? html`<${ErrorBox} error=${topicsError} compact />` : null}
              ${(topics || []).map((topic) => html`<label class="check"><input type="checkbox" disabled=${all} checked=${chosen.includes(topic.id)}
                onChange=${(e) => this.setState({ chosen: e.target.checked ? [...chosen, topic.id] : chosen.filter((id) => id !== topic.id), fields: this.without('audience.topics', 'audience.all', 'audience') }, () => this.count())} /> ${topic.name || topic.id}</label>`)}
            </fieldset>
            <p id="s-size" class="audience-size" aria-live="polite">${sizeText}</p>
            ${audienceError ? html`<p id="s-audience-error" class="field-error">${audienceError}</p>` : null}
          </div>
        <//>
        <${Card} title="Waktu kirim">
          <div class="stack">
            <fieldset class="when" aria-describedby="s-quiet"><legend>Kapan dikirim</legend>
              <label class="check"><input type="radio" name="s-when" value="now" checked=${when === 'now'} onChange=${() => this.setState({ when: 'now' })} /> Segera setelah dijadwalkan</label>
              <label class="check"><input type="radio" name="s-when" value="later" checked=${when === 'later'} onChange=${() => this.setState({ when: 'later' })} /> Pada tanggal dan jam (WIB)</label>
            </fieldset>
            ${when === 'later' ? html`<div class="field">
              <label for="s-send-at">Tanggal dan jam kirim (WIB)</label>
              <input id="s-send-at" type="datetime-local" value=${sendAt} aria-invalid=${sendError ? 'true' : undefined} aria-describedby=${sendError ? 's-send-error' : undefined}
                onInput=${(e) => this.setState({ sendAt: e.target.value, fields: this.without('send_at') })} />
            </div>` : null}
            ${sendError ? html`<p id="s-send-error" class="field-error">${sendError}</p>` : null}
            <p id="s-quiet" class="muted small">Tidak ada siaran yang dikirim antara pukul 21.00 dan 06.00 WIB kecuali ditandai mendesak; siaran yang jatuh di jam itu menunggu sampai 06.00 WIB.</p>
            ${can(me, 'admin') ? html`<label class="check"><input type="checkbox" checked=${urgent} onChange=${(e) => this.setState({ urgent: e.target.checked })} /> Mendesak (tetap dikirim pukul 21.00–06.00 WIB; hanya untuk keadaan darurat)</label>` : null}
          </div>
        <//>
        <div class="row-actions wide">
          <button type="submit" class="btn primary" disabled=${busy}>${busy ? 'Menyimpan…' : 'Simpan sebagai draf'}</button>
          <a class="btn" href="#/siaran">Batal</a>
          <span class="muted small">Draf belum dikirim: periksa lalu tekan <strong>Jadwalkan</strong> pada halaman berikutnya.</span>
        </div>
      </form>
    </div>`;
  }
}

class BroadcastDetail extends DataPage {
  constructor(props) {
    super(props);
    this.state = { ...this.state, busy: false, flash: null, failure: null };
  }
  pollEvery() {
    const state = this.state.data && this.state.data.item.state;
    return state === 'scheduled' || state === 'sending' ? 3_000 : 15_000;
  }
  async fetchData() {
    const [item, topics, templates] = await Promise.all([
      api(`/api/broadcasts/${encodeURIComponent(this.props.id)}`),
      this.topics || api('/api/content/topics?limit=100').catch(() => ({ items: [] })),
      loadTemplates().catch(() => []),
    ]);
    this.topics = topics;
    return { item, templates, topicNames: Object.fromEntries((topics.items || []).map((t) => [t.id, t.name || t.id])) };
  }
  async act(action) {
    this.setState({ busy: true, flash: null, failure: null });
    try {
      await api(`/api/broadcasts/${encodeURIComponent(this.props.id)}/${action}`, { method: 'POST', body: {} });
      if (!this.alive) return;
      const done = { schedule: 'Siaran dijadwalkan.', cancel: 'Siaran dibatalkan.', resume: 'Siaran dilanjutkan dari titik terakhir; warga yang sudah menerima tidak dikirimi lagi.' };
      this.setState({ busy: false, flash: done[action] });
    } catch (error) {
      if (!this.alive) return;
      this.setState({ busy: false, failure: describeError(error) });
    }
    this.reload();
  }
  view({ item, templates, topicNames }) {
    const { busy, flash, failure } = this.state;
    const template = templateOf(templates, item.template.name);
    const stats = item.stats || {};
    const reasons = Object.entries(stats.failed_by_reason || {});
    const started = ['sending', 'done', 'stopped'].includes(item.state) || stats.sent > 0;
    return html`<div class="page">
      <header class="page-head"><h1>${item.name}</h1><a href="#/siaran">‹ Kembali ke daftar siaran</a></header>
      ${flash ? html`<${Notice}>${flash}<//>` : null}
      ${failure ? html`<${Notice} kind="error">${failure}<//>` : null}
      <div class="row-actions spaced">
        <${BroadcastBadge} state=${item.state} />
        ${item.urgent ? html`<span class="badge bc-urgent">Mendesak</span>` : null}
        ${item.state === 'draft' ? html`<button type="button" class="btn primary" disabled=${busy} onClick=${() => this.act('schedule')}>Jadwalkan</button>` : null}
        ${['draft', 'scheduled', 'sending'].includes(item.state) ? html`<button type="button" class="btn danger" disabled=${busy} onClick=${() => this.act('cancel')}>Batalkan siaran</button>` : null}
        ${item.state === 'stopped' && can(this.props.me, 'admin') ? html`<button type="button" class="btn primary" disabled=${busy} onClick=${() => this.act('resume')}>Lanjutkan siaran</button>` : null}
      </div>
      ${item.state === 'stopped' && item.stop_reason ? html`<${Notice} kind="warn">Dihentikan oleh sistem: ${item.stop_reason}<//>` : null}
      ${item.state === 'sending' || item.state === 'scheduled' ? html`<div class="field">
        <label for="s-progress">Kemajuan: ${formatNumber(item.progress.processed)} dari ${formatNumber(item.audience_size)} penerima (${formatPct(item.progress.percent)})</label>
        <progress id="s-progress" max="100" value=${item.progress.percent}>${item.progress.percent}%</progress>
      </div>` : null}
      ${started ? html`<section class="kpis" aria-label="Statistik siaran">
        <${Kpi} label="Penerima" value=${formatNumber(item.audience_size)} />
        <${Kpi} label="Terkirim" value=${formatNumber(stats.sent)} />
        <${Kpi} label="Diterima" value=${formatNumber(stats.delivered)} />
        <${Kpi} label="Dibaca" value=${formatNumber(stats.read)} />
        <${Kpi} label="Gagal" value=${formatNumber(stats.failed)} tone=${stats.failed ? 'bad' : ''} />
        <${Kpi} label="Berhenti langganan" value=${formatNumber(stats.opted_out)} />
      </section>` : null}
      <div class="grid">
        <${Card} title="Rincian">
          <dl class="meta">
            <dt>Sasaran</dt><dd>${audienceText(item.audience, topicNames)}</dd>
            <dt>Penerima</dt><dd>${formatNumber(item.audience_size)}</dd>
            <dt>Waktu kirim</dt><dd>${item.send_at ? formatDateTime(item.send_at) : 'Segera setelah dijadwalkan'}</dd>
            <dt>Templat</dt><dd><code>${item.template.name}</code> (${item.template.language})</dd>
            <dt>Dibuat</dt><dd>${formatDateTime(item.created_at)} oleh ${item.created_by}</dd>
            <dt>Mulai dikirim</dt><dd>${formatDateTime(item.started_at)}</dd>
            <dt>Selesai</dt><dd>${formatDateTime(item.finished_at)}</dd>
          </dl>
          ${reasons.length ? html`<h3>Gagal menurut alasan</h3><ul>${reasons.map(([code, count]) => html`<li><code>${code}</code>: ${formatNumber(count)}</li>`)}</ul>` : null}
        <//>
        <${Card} title="Pesan">
          <${TemplatePreview} template=${template} name=${item.template.name} parameters=${item.template.parameters} headerParameters=${item.template.header_parameters} />
        <//>
      </div>
    </div>`;
  }
}
