// Ringkasan, Aduan (list and detail), Percakapan.
import {
  html, Component, createRef, DataPage, Card, Kpi, ChartBox, Empty, ErrorBox, Loading, Notice, Pager,
  SlaBadge, StatusBadge, WaText, Counter,
} from './ui.js';
import {
  api, can, daysAgoWib, describeError, download, formatDate, formatDateTime, formatMinutes,
  formatNumber, formatPct, query, SLA_LABELS, STATUS_LABELS, todayWib,
} from './lib.js';
import { LaporCard } from './lapor.js';

const keyLabels = (items) => items.map((item) => item.key);
const keyCounts = (items) => items.map((item) => item.count);

// ---- Ringkasan --------------------------------------------------------------------------

export class Overview extends DataPage {
  async fetchData() {
    const { me } = this.props;
    const staff = can(me, 'admin', 'operator', 'opd');
    const stats = can(me, 'admin', 'operator', 'viewer');
    // The server's default range is its last 30 WIB days, today last: "today" is the server's.
    const [month, complaints, overdue, conversations, alerts] = await Promise.all([
      stats ? api('/api/stats') : null,
      staff ? api('/api/complaints?limit=100') : null,
      staff ? api('/api/complaints?sla=overdue&limit=20') : null,
      staff ? api('/api/conversations?state=handoff&limit=100') : null,
      staff ? api('/api/alerts?state=open&limit=50') : null,
    ]);
    const day = month ? { period: month.to, totals: month.series[month.series.length - 1] || month.totals } : null;
    return { month, day, complaints, overdue, conversations, alerts };
  }
  async resolve(alert) {
    try {
      await api(`/api/alerts/${encodeURIComponent(alert.id)}/resolve`, { method: 'POST' });
      this.setState({ flash: `Peringatan ditandai selesai.` });
      this.reload();
    } catch (error) {
      this.setState({ flash: describeError(error) });
    }
  }
  view({ month, day, complaints, overdue, conversations, alerts }) {
    const byStatus = {};
    for (const item of complaints ? complaints.items : []) byStatus[item.status] = (byStatus[item.status] || 0) + 1;
    const statusKeys = Object.keys(byStatus);
    const waiting = conversations ? conversations.items.filter((item) => item.state === 'handoff' && item.waiting_since) : [];
    return html`<div class="page">
      <header class="page-head"><h1>Ringkasan</h1><p class="muted">Hari ini${day ? ` (${formatDate(day.period)})` : ''} dan 30 hari terakhir. Diperbarui otomatis setiap beberapa detik.</p></header>
      ${this.state.flash ? html`<${Notice}>${this.state.flash}<//>` : null}
      ${month ? html`<div class="kpis">
        <${Kpi} label="Pesan masuk hari ini" value=${formatNumber(day.totals.messages_in)} hint=${`30 hari: ${formatNumber(month.totals.messages_in)}`} />
        <${Kpi} label="Warga aktif hari ini" value=${formatNumber(day.totals.active_citizens)} hint=${`30 hari (jumlah harian): ${formatNumber(month.totals.active_citizens)}`} />
        <${Kpi} label="SLA respons terpenuhi" value=${formatPct(month.totals.sla_response_met_pct)} hint=${`Penyelesaian: ${formatPct(month.totals.sla_resolution_met_pct)}`} />
        <${Kpi} label="Rata-rata penilaian" value=${month.totals.rating_average === null ? '–' : `${formatNumber(month.totals.rating_average)} / 5`} hint="30 hari" />
        <${Kpi} label="Terjawab bot" value=${formatPct(month.totals.answer_rate_pct)} hint=${`Tak terjawab: ${formatPct(month.totals.fallback_rate_pct)}`} />
        <${Kpi} label="Aduan masuk hari ini" value=${formatNumber(day.totals.complaints_opened)} hint=${`30 hari: ${formatNumber(month.totals.complaints_opened)}`} />
        ${conversations ? html`<${Kpi} label="Warga menunggu petugas" value=${formatNumber(waiting.length)} tone=${waiting.length ? 'warn' : ''} />` : null}
      </div>` : html`<div class="kpis">
        <${Kpi} label="Aduan (100 terbaru)" value=${formatNumber(complaints ? complaints.items.length : 0)} />
        <${Kpi} label="Terlambat" value=${formatNumber(overdue ? overdue.items.length : 0)} tone=${overdue && overdue.items.length ? 'bad' : ''} />
        <${Kpi} label="Warga menunggu petugas" value=${formatNumber(waiting.length)} tone=${waiting.length ? 'warn' : ''} />
      </div>`}
      <div class="grid">
        ${month ? html`<${Card} title="Pesan per hari (30 hari)">
          <${ChartBox} type="line" label="Pesan masuk dan keluar per hari" labels=${month.series.map((p) => p.period.slice(5))}
            datasets=${[{ label: 'Masuk', data: month.series.map((p) => p.messages_in) }, { label: 'Keluar', data: month.series.map((p) => p.messages_out) }]} />
        <//>` : null}
        ${complaints ? html`<${Card} title="Aduan menurut status">
          ${statusKeys.length
            ? html`<${ChartBox} type="doughnut" label="Aduan menurut status (100 terbaru)" labels=${statusKeys.map((key) => STATUS_LABELS[key] || key)} datasets=${[{ label: 'Aduan', data: statusKeys.map((key) => byStatus[key]) }]} />`
            : html`<${Empty} text="Belum ada aduan." />`}
        <//>` : null}
        ${month ? html`<${Card} title="Aduan masuk dan selesai (30 hari)">
          <${ChartBox} type="bar" label="Aduan dibuka dan ditutup per hari" labels=${month.series.map((p) => p.period.slice(5))}
            datasets=${[{ label: 'Dibuka', data: month.series.map((p) => p.complaints_opened) }, { label: 'Selesai/ditutup', data: month.series.map((p) => p.complaints_closed) }]} />
        <//>` : null}
        ${month ? html`<${Card} title="Jawaban bot (30 hari)">
          <${ChartBox} type="doughnut" label="Pertanyaan terjawab dan tidak terjawab" labels=${['Terjawab', 'Tak terjawab', 'Diserahkan ke petugas']}
            datasets=${[{ label: 'Pesan', data: [month.totals.answered, month.totals.fallback, month.totals.handoffs] }]} />
        <//>` : null}
        ${overdue ? html`<${Card} title="Aduan terlambat">
          ${overdue.items.length
            ? html`<ul class="list">${overdue.items.map((item) => html`<li><a href=${`#/aduan/${encodeURIComponent(item.ticket)}`}>${item.ticket}</a> <span>${item.category_name || item.category_id}</span> <${StatusBadge} status=${item.status} label=${item.status_label} /> <span class="muted">batas ${formatDate(item.resolution_date || item.response_date)}</span></li>`)}</ul>`
            : html`<${Empty} text="Tidak ada aduan yang terlambat." />`}
        <//>` : null}
        ${conversations ? html`<${Card} title="Menunggu petugas">
          ${waiting.length
            ? html`<ul class="list">${waiting.map((item) => html`<li><a href=${`#/percakapan/${encodeURIComponent(item.id)}`}>${item.name || item.phone || 'Warga'}</a> <span class="muted">menunggu ${formatMinutes(item.waiting_minutes)}</span></li>`)}</ul>`
            : html`<${Empty} text="Tidak ada warga yang menunggu." />`}
        <//>` : null}
        ${alerts ? html`<${Card} title="Peringatan terbuka" className="wide">
          ${alerts.items.length
            ? html`<ul class="list alerts">${alerts.items.map((alert) => html`<li>
                <div><strong>${alert.message}</strong><div class="muted small">${alert.kind} · ${formatDateTime(alert.raised_at)}${alert.opd_id ? ` · ${alert.opd_id}` : ''}</div></div>
                <button type="button" class="btn small" onClick=${() => this.resolve(alert)}>Tandai selesai</button>
              </li>`)}</ul>`
            : html`<${Empty} text="Tidak ada peringatan terbuka." />`}
        <//>` : null}
      </div>
    </div>`;
  }
}

// ---- Aduan: list ------------------------------------------------------------------------

export class Complaints extends DataPage {
  constructor(props) {
    super(props);
    this.state = { ...this.state, filters: { status: '', sla: '', q: '', category: '', opd: '', from: '', to: '' }, draftQ: '', cursors: [null], page: 0, categories: [], opds: [] };
  }
  componentDidMount() {
    super.componentDidMount();
    Promise.all([api('/api/content/categories?limit=100'), api('/api/content/opds?limit=100')])
      .then(([categories, opds]) => this.alive && this.setState({ categories: categories.items, opds: opds.items }))
      .catch(() => {});
  }
  params() {
    const { filters, cursors, page } = this.state;
    return { ...filters, cursor: cursors[page], limit: 25 };
  }
  fetchData() {
    return api(`/api/complaints${query(this.params())}`);
  }
  setFilter(name, value) {
    this.setState({ filters: { ...this.state.filters, [name]: value }, cursors: [null], page: 0, loading: true }, () => this.reload());
  }
  go(delta) {
    const { cursors, page, data } = this.state;
    const next = [...cursors];
    if (delta > 0) next[page + 1] = data.next_cursor;
    this.setState({ cursors: next, page: page + delta }, () => this.reload());
  }
  async exportCsv() {
    const { filters } = this.state;
    try {
      await download(`/api/complaints.csv${query(filters)}`, `aduan-${todayWib()}.csv`);
    } catch (error) {
      this.setState({ error });
    }
  }
  view(data) {
    const { filters, draftQ, page, categories, opds } = this.state;
    const { me } = this.props;
    return html`<div class="page">
      <header class="page-head"><h1>Aduan</h1>
        <button type="button" class="btn" onClick=${() => this.exportCsv()}>Unduh CSV</button>
      </header>
      <form class="filters" role="search" onSubmit=${(e) => { e.preventDefault(); this.setFilter('q', draftQ.trim()); }}>
        <div class="field"><label for="f-q">Cari</label>
          <input id="f-q" type="search" placeholder="Tiket, isi, lokasi" value=${draftQ} onInput=${(e) => this.setState({ draftQ: e.target.value })} /></div>
        <div class="field"><label for="f-status">Status</label>
          <select id="f-status" value=${filters.status} onChange=${(e) => this.setFilter('status', e.target.value)}>
            <option value="">Semua status</option>
            ${Object.entries(STATUS_LABELS).map(([value, label]) => html`<option value=${value}>${label}</option>`)}
          </select></div>
        <div class="field"><label for="f-sla">SLA</label>
          <select id="f-sla" value=${filters.sla} onChange=${(e) => this.setFilter('sla', e.target.value)}>
            <option value="">Semua</option>
            ${Object.entries(SLA_LABELS).map(([value, label]) => html`<option value=${value}>${label}</option>`)}
          </select></div>
        <div class="field"><label for="f-cat">Kategori</label>
          <select id="f-cat" value=${filters.category} onChange=${(e) => this.setFilter('category', e.target.value)}>
            <option value="">Semua kategori</option>
            ${categories.map((item) => html`<option value=${item.id}>${item.name || item.id}</option>`)}
          </select></div>
        ${me.role !== 'opd' ? html`<div class="field"><label for="f-opd">OPD</label>
          <select id="f-opd" value=${filters.opd} onChange=${(e) => this.setFilter('opd', e.target.value)}>
            <option value="">Semua OPD</option>
            ${opds.map((item) => html`<option value=${item.id}>${item.short_name || item.name || item.id}</option>`)}
          </select></div>` : null}
        <div class="field"><label for="f-from">Diterima sejak</label>
          <input id="f-from" type="date" value=${filters.from} onChange=${(e) => this.setFilter('from', e.target.value)} /></div>
        <div class="field"><label for="f-to">Sampai</label>
          <input id="f-to" type="date" value=${filters.to} onChange=${(e) => this.setFilter('to', e.target.value)} /></div>
        <button type="submit" class="btn primary">Cari</button>
      </form>
      ${data.items.length === 0
        ? html`<${Empty} text="Tidak ada aduan yang cocok dengan filter ini." />`
        : html`<div class="table-wrap"><table class="table cards">
          <caption class="sr-only">Daftar aduan, terbaru di atas</caption>
          <thead><tr><th scope="col">Tiket</th><th scope="col">Diterima</th><th scope="col">Kategori</th><th scope="col">OPD</th><th scope="col">Pelapor</th><th scope="col">Status</th><th scope="col">SLA</th></tr></thead>
          <tbody>${data.items.map((item) => html`<tr>
            <td data-label="Tiket"><div><a class="ticket" href=${`#/aduan/${encodeURIComponent(item.ticket)}`}>${item.ticket}</a>${item.duplicate_of ? html` <span class="muted small">duplikat ${item.duplicate_of}</span>` : null}</div></td>
            <td data-label="Diterima">${formatDateTime(item.received_at)}</td>
            <td data-label="Kategori">${item.category_name || item.category_id}</td>
            <td data-label="OPD">${item.opd_name || item.opd_id}</td>
            <td data-label="Pelapor"><div>${item.reporter.name || (item.privacy === 'biasa' ? '–' : 'Dirahasiakan')}${item.reporter.phone ? html`<div class="muted small">${item.reporter.phone}</div>` : null}</div></td>
            <td data-label="Status"><${StatusBadge} status=${item.status} label=${item.status_label} /></td>
            <td data-label="SLA"><${SlaBadge} sla=${item.sla} /></td>
          </tr>`)}</tbody>
        </table></div>`}
      <${Pager} page=${page} hasNext=${Boolean(data.next_cursor)} onPrev=${() => this.go(-1)} onNext=${() => this.go(1)} />
    </div>`;
  }
}

// ---- Aduan: detail ----------------------------------------------------------------------

const ACTOR_LABELS = { citizen: 'Warga', operator: 'Petugas', system: 'Sistem' };

export class ComplaintDetail extends DataPage {
  constructor(props) {
    super(props);
    this.state = { ...this.state, to: '', publicNote: '', internalNote: '', busy: false, flash: null, failure: null, opdId: '', categoryId: '', into: '', categories: [], opds: [] };
  }
  componentDidMount() {
    super.componentDidMount();
    if (can(this.props.me, 'admin', 'operator')) {
      Promise.all([api('/api/content/categories?limit=100'), api('/api/content/opds?limit=100')])
        .then(([categories, opds]) => this.alive && this.setState({ categories: categories.items, opds: opds.items }))
        .catch(() => {});
    }
  }
  pollEvery() {
    // The detail read is audited: a slower poll keeps the trail readable.
    return 15_000;
  }
  fetchData() {
    return api(`/api/complaints/${encodeURIComponent(this.props.ticket)}`);
  }
  async act(path, body, done) {
    this.setState({ busy: true, flash: null, failure: null });
    try {
      const data = await api(`/api/complaints/${encodeURIComponent(this.props.ticket)}/${path}`, { method: 'POST', body: { ...body, version: this.state.data.version } });
      this.setState({ busy: false, data, flash: done, to: '', publicNote: '', internalNote: '', into: '' });
    } catch (error) {
      this.setState({ busy: false, failure: describeError(error) });
      if (error.code === 'conflict') this.reload();
    }
  }
  render() {
    const { loading, error, data } = this.state;
    if (loading && !data) return html`<${Loading} />`;
    if (error && !data) {
      const text = error.status === 404 ? `Aduan ${this.props.ticket} tidak ditemukan atau bukan wewenang Anda.` : error;
      return html`<div class="page"><p><a href="#/aduan">‹ Kembali ke daftar aduan</a></p><${ErrorBox} error=${text} onRetry=${error.status === 404 ? null : () => this.reload()} /></div>`;
    }
    return super.render();
  }
  view(c) {
    const { me } = this.props;
    const { to, publicNote, internalNote, busy, flash, failure, categories, opds, opdId, categoryId, into } = this.state;
    const diskominfo = can(me, 'admin', 'operator');
    const pin = c.location && c.location.kind === 'pin' ? c.location : null;
    return html`<div class="page">
      <p><a href="#/aduan">‹ Kembali ke daftar aduan</a></p>
      <header class="page-head"><h1>Aduan <span class="ticket">${c.ticket}</span></h1>
        <div class="badges"><${StatusBadge} status=${c.status} label=${c.status_label} /> <${SlaBadge} sla=${c.sla} /></div>
      </header>
      ${flash ? html`<${Notice}>${flash}<//>` : null}
      ${failure ? html`<${Notice} kind="error">${failure}<//>` : null}
      <div class="grid detail">
        <${Card} title="Isi aduan" className="wide">
          <p class="description">${c.description}</p>
          <dl class="facts">
            <dt>Kategori</dt><dd>${c.category_name || c.category_id}</dd>
            <dt>OPD</dt><dd>${c.opd_name || c.opd_id}</dd>
            <dt>Diterima</dt><dd>${formatDateTime(c.received_at)}</dd>
            <dt>Pelapor</dt><dd>${c.reporter.name || 'Dirahasiakan'}${c.reporter.phone ? ` · ${c.reporter.phone}` : ''} <span class="muted">(${c.privacy_label})</span></dd>
            <dt>Lokasi</dt><dd>${pin
              ? html`${pin.name ? `${pin.name} · ` : ''}${pin.address ? `${pin.address} · ` : ''}<span class="coords">${Number(pin.latitude).toFixed(6)}, ${Number(pin.longitude).toFixed(6)}</span>
                  · <a href=${`https://www.openstreetmap.org/?mlat=${Number(pin.latitude)}&mlon=${Number(pin.longitude)}#map=18/${Number(pin.latitude)}/${Number(pin.longitude)}`} target="_blank" rel="noopener noreferrer">Buka di OpenStreetMap</a>`
              : c.location_text || '–'}</dd>
            <dt>Batas respons</dt><dd>${formatDate(c.deadlines.response_date)}</dd>
            <dt>Batas penyelesaian</dt><dd>${formatDate(c.deadlines.resolution_date)}${c.deadlines.paused_working_days ? ` (jeda ${c.deadlines.paused_working_days} hari kerja)` : ''}</dd>
            <dt>Duplikat dari</dt><dd>${c.duplicate_of ? html`<a href=${`#/aduan/${encodeURIComponent(c.duplicate_of)}`}>${c.duplicate_of}</a>` : '–'}</dd>
            <dt>Pengikut</dt><dd>${c.followers.count ? `${c.followers.count} warga${c.followers.ids.length ? `: ${c.followers.ids.join(', ')}` : ''}` : 'Tidak ada'}</dd>
            <dt>Penilaian</dt><dd>${c.rating ? `${c.rating.score}/5${c.rating.comment ? ` — ${c.rating.comment}` : ''}` : '–'}</dd>
          </dl>
          ${c.photos.length ? html`<div class="photos">${c.photos.map((photo, index) => photo.url
            ? html`<a href=${photo.url} target="_blank" rel="noopener"><img src=${photo.url} alt=${photo.caption ? `Foto: ${photo.caption}` : `Foto ${index + 1}`} loading="lazy" /></a>`
            : html`<p class="muted">Foto ${index + 1} belum tersedia${photo.fetch_error ? ` (${photo.fetch_error})` : ''}.</p>`)}</div>` : null}
        <//>
        <${Card} title="Ubah status">
          ${c.allowed_transitions.length
            ? html`<form class="stack" onSubmit=${(e) => { e.preventDefault(); this.act('transitions', { to, public_note: publicNote || null, internal_note: internalNote || null }, `Status diubah ke ${STATUS_LABELS[to] || to}. Warga diberi tahu.`); }}>
                <label for="t-to">Status baru</label>
                <select id="t-to" required value=${to} onChange=${(e) => this.setState({ to: e.target.value })}>
                  <option value="">Pilih status…</option>
                  ${c.allowed_transitions.map((status) => html`<option value=${status}>${STATUS_LABELS[status] || status}</option>`)}
                </select>
                <label for="t-public">Catatan untuk warga (dikirim lewat WhatsApp)</label>
                <textarea id="t-public" maxlength="1000" value=${publicNote} onInput=${(e) => this.setState({ publicNote: e.target.value })}></textarea>
                <label for="t-internal">Catatan internal</label>
                <textarea id="t-internal" maxlength="1000" value=${internalNote} onInput=${(e) => this.setState({ internalNote: e.target.value })}></textarea>
                <button type="submit" class="btn primary" disabled=${busy || !to}>Simpan status</button>
              </form>`
            : html`<p class="muted">Tidak ada perubahan status yang boleh Anda lakukan pada aduan ini.</p>`}
        <//>
        <${Card} title="Tambah catatan">
          <form class="stack" onSubmit=${(e) => { e.preventDefault(); this.act('notes', { public_note: publicNote || null, internal_note: internalNote || null }, 'Catatan disimpan.'); }}>
            <label for="n-public">Catatan untuk warga</label>
            <textarea id="n-public" maxlength="1000" value=${publicNote} onInput=${(e) => this.setState({ publicNote: e.target.value })}></textarea>
            <label for="n-internal">Catatan internal</label>
            <textarea id="n-internal" maxlength="1000" value=${internalNote} onInput=${(e) => this.setState({ internalNote: e.target.value })}></textarea>
            <button type="submit" class="btn" disabled=${busy || (!publicNote && !internalNote)}>Simpan catatan</button>
          </form>
        <//>
        ${diskominfo ? html`<${Card} title="Alihkan dan gabungkan">
          <form class="stack" onSubmit=${(e) => { e.preventDefault(); this.act('reassign', { opd_id: opdId || null, category_id: categoryId || null }, 'Aduan dialihkan.'); }}>
            <label for="r-opd">OPD tujuan</label>
            <select id="r-opd" value=${opdId} onChange=${(e) => this.setState({ opdId: e.target.value })}>
              <option value="">(tetap)</option>
              ${opds.map((item) => html`<option value=${item.id}>${item.short_name || item.name || item.id}</option>`)}
            </select>
            <label for="r-cat">Kategori</label>
            <select id="r-cat" value=${categoryId} onChange=${(e) => this.setState({ categoryId: e.target.value })}>
              <option value="">(tetap)</option>
              ${categories.map((item) => html`<option value=${item.id}>${item.name || item.id}</option>`)}
            </select>
            <button type="submit" class="btn" disabled=${busy || (!opdId && !categoryId)}>Alihkan</button>
          </form>
          <form class="stack" onSubmit=${(e) => { e.preventDefault(); this.act('merge', { into: into.trim().toUpperCase() }, `Digabungkan ke ${into.trim().toUpperCase()}.`); }}>
            <label for="m-into">Gabungkan sebagai duplikat dari tiket</label>
            <input id="m-into" placeholder="PS-XXXXXX" value=${into} onInput=${(e) => this.setState({ into: e.target.value })} />
            <button type="submit" class="btn" disabled=${busy || !into.trim()}>Gabungkan</button>
          </form>
        <//>` : null}
        <${LaporCard} ticket=${c.ticket} me=${me} onChanged=${() => this.reload()} />
        <${Card} title="Riwayat" className="wide">
          <ol class="timeline">${[...c.timeline].reverse().map((event) => html`<li>
            <div class="when">${formatDateTime(event.at)}</div>
            <div><${StatusBadge} status=${event.to} /> ${event.from ? html`<span class="muted small">dari ${STATUS_LABELS[event.from] || event.from}</span>` : null}
              <span class="muted small"> · ${ACTOR_LABELS[event.actor.kind] || event.actor.kind}${event.actor.id ? ` ${event.actor.id}` : ''}</span></div>
            ${event.public_note ? html`<p class="note public"><strong>Untuk warga:</strong> ${event.public_note}</p>` : null}
            ${event.internal_note ? html`<p class="note internal"><strong>Internal:</strong> ${event.internal_note}</p>` : null}
            ${event.info && event.info.text ? html`<p class="note"><strong>Tambahan warga:</strong> ${event.info.text}</p>` : null}
          </li>`)}</ol>
        <//>
      </div>
    </div>`;
  }
}

// ---- Percakapan -------------------------------------------------------------------------

export class Conversations extends DataPage {
  constructor(props) {
    super(props);
    this.state = { ...this.state, list: 'handoff' };
  }
  async fetchData() {
    const id = this.props.rest[0];
    const [conversations, messages] = await Promise.all([
      api(`/api/conversations${query({ state: this.state.list, limit: 50 })}`),
      id ? api(`/api/conversations/${encodeURIComponent(id)}/messages?limit=100`) : null,
    ]);
    let current = id ? conversations.items.find((item) => item.id === id) : null;
    if (id && !current && this.state.list === 'handoff') {
      // Not (or no longer) with an operator: its summary is in the recent list.
      const recent = await api('/api/conversations?state=recent&limit=100');
      current = recent.items.find((item) => item.id === id) || null;
    }
    return { conversations, messages, current };
  }
  render() {
    const { loading, error, data } = this.state;
    if (error && !data && error.status === 404) return html`<div class="page"><p><a href="#/percakapan">‹ Semua percakapan</a></p><${ErrorBox} error="Percakapan tidak ditemukan." /></div>`;
    return loading && !data ? html`<${Loading} />` : super.render();
  }
  view({ conversations, messages, current }) {
    const id = this.props.rest[0];
    const { list } = this.state;
    return html`<div class="page">
      <header class="page-head"><h1>Percakapan</h1></header>
      <div class="split">
        <section class="card convo-list" aria-label="Daftar percakapan">
          <div class="tabs" role="group" aria-label="Tampilkan">
            <button type="button" class="btn small" aria-pressed=${list === 'handoff' ? 'true' : 'false'} onClick=${() => this.setState({ list: 'handoff' }, () => this.reload())}>Serah ke petugas</button>
            <button type="button" class="btn small" aria-pressed=${list === 'recent' ? 'true' : 'false'} onClick=${() => this.setState({ list: 'recent' }, () => this.reload())}>Terbaru</button>
          </div>
          ${conversations.items.length
            ? html`<ul class="list convos">${conversations.items.map((item) => html`<li>
                <a href=${`#/percakapan/${encodeURIComponent(item.id)}`} aria-current=${item.id === id ? 'true' : undefined}>
                  <strong>${item.name || 'Warga'}</strong> <span class="muted small">${item.phone || ''}</span>
                  <div class="small">${item.state === 'handoff'
                    ? item.waiting_since ? html`<span class="badge sla-overdue">Menunggu ${formatMinutes(item.waiting_minutes)}</span>` : html`<span class="badge sla-on_time">Sudah dijawab</span>`
                    : html`<span class="badge">Bot</span>`}
                    ${item.claimed_by ? html` <span class="muted">ditangani ${item.claimed_by}</span>` : null}</div>
                </a></li>`)}</ul>`
            : html`<${Empty} text=${list === 'handoff' ? 'Tidak ada warga yang meminta petugas.' : 'Belum ada percakapan.'} />`}
        </section>
        <section class="card chat" aria-label="Percakapan terpilih">
          ${id && messages
            ? html`<${Transcript} me=${this.props.me} id=${id} conversation=${current} messages=${messages.items} onChanged=${() => this.reload()} />`
            : html`<${Empty} text="Pilih percakapan di sebelah kiri." />`}
        </section>
      </div>
    </div>`;
  }
}

class Transcript extends Component {
  constructor(props) {
    super(props);
    this.state = { text: '', busy: false, failure: null, flash: null, template: false };
    this.log = createRef();
    this.shown = 0;
  }
  componentDidMount() {
    this.scrollToNewest();
  }
  componentDidUpdate() {
    this.scrollToNewest();
  }
  scrollToNewest() {
    // Only when a message arrived: an operator reading older messages keeps the place.
    const count = this.props.messages.length;
    if (this.log.current && count !== this.shown) this.log.current.scrollTop = this.log.current.scrollHeight;
    this.shown = count;
  }
  async post(path, body, flash) {
    this.setState({ busy: true, failure: null, flash: null });
    try {
      await api(`/api/conversations/${encodeURIComponent(this.props.id)}/${path}`, { method: 'POST', body: body || undefined });
      this.setState({ busy: false, flash, text: '' });
      this.props.onChanged();
    } catch (error) {
      if (error.code === 'outside_window') {
        this.setState({ busy: false, template: true, failure: 'Warga terakhir menulis lebih dari 24 jam lalu, jadi WhatsApp hanya mengizinkan templat yang disetujui. Pesan Anda dikirim sebagai templat "petugas_menjawab".' });
      } else {
        this.setState({ busy: false, failure: describeError(error) });
      }
    }
  }
  send(event) {
    event.preventDefault();
    const text = this.state.text.trim();
    if (!text) return;
    const outside = this.state.template || (this.props.conversation && this.props.conversation.window_open === false);
    if (outside) this.post('reply', { template: { name: 'petugas_menjawab', language: 'id', parameters: [text] } }, 'Templat terkirim.');
    else this.post('reply', { text }, 'Balasan terkirim.');
  }
  render({ me, conversation, messages }, { text, busy, failure, flash, template }) {
    const diskominfo = can(me, 'admin', 'operator');
    const outside = template || (conversation && conversation.window_open === false);
    const ordered = [...messages].reverse();
    return html`<div class="chat-inner">
      <header class="chat-head">
        <div><strong>${conversation ? conversation.name || 'Warga' : 'Warga'}</strong>
          <div class="muted small">${conversation ? `${conversation.phone || ''}${conversation.claimed_by ? ` · ditangani ${conversation.claimed_by}` : ''}` : ''}</div></div>
        ${diskominfo ? html`<div class="chat-actions">
          <button type="button" class="btn small" disabled=${busy} onClick=${() => this.post('claim', null, 'Anda menangani percakapan ini.')}>Tangani</button>
          ${conversation && conversation.state === 'handoff' ? html`<button type="button" class="btn small" disabled=${busy} onClick=${() => this.post('hand-back', null, 'Percakapan dikembalikan ke bot.')}>Kembalikan ke bot</button>` : null}
        </div>` : null}
      </header>
      ${flash ? html`<${Notice}>${flash}<//>` : null}
      ${failure ? html`<${Notice} kind="error">${failure}<//>` : null}
      <ol class="wa" aria-label="Isi percakapan" tabindex="0" ref=${this.log}>
        ${ordered.length ? ordered.map((message) => html`<li class=${`bubble ${message.direction === 'inbound' ? 'in' : 'out'}`}>
          ${message.actor ? html`<div class="bubble-actor">${message.actor}</div>` : null}
          ${message.text ? html`<div class="bubble-text"><${WaText} text=${message.text} /></div>` : html`<div class="bubble-text muted">[${message.kind}]</div>`}
          ${message.media_ref ? html`<div class="muted small">📎 lampiran</div>` : null}
          ${message.choices.length ? html`<ul class=${message.choices.length > 3 ? 'wa-list' : 'wa-buttons'} aria-label="Pilihan">${message.choices.map((choice) => html`<li>${choice}</li>`)}</ul>` : null}
          <div class="bubble-meta">${formatDateTime(message.at)}${message.delivery ? ` · ${message.delivery}` : ''}</div>
        </li>`) : html`<li><${Empty} text="Belum ada pesan." /></li>`}
      </ol>
      ${diskominfo ? html`<form class="reply" onSubmit=${(e) => this.send(e)}>
        ${outside ? html`<p class="notice warn" role="status">Di luar jendela 24 jam: warga terakhir menulis lebih dari 24 jam lalu, jadi WhatsApp hanya mengizinkan templat yang sudah disetujui Meta. Pilih templat dan tulis jawabannya.</p>
          <label for="reply-template">Templat</label>
          <select id="reply-template"><option value="petugas_menjawab">petugas_menjawab — jawaban petugas (Bahasa Indonesia)</option></select>` : null}
        <label for="reply-text">${outside ? 'Isi templat petugas_menjawab' : 'Balasan'}</label>
        <div class="reply-row">
          <textarea id="reply-text" maxlength=${outside ? 700 : 4096} value=${text} onInput=${(e) => this.setState({ text: e.target.value })}></textarea>
          <${Counter} value=${text} max=${outside ? 700 : 4096} />
          <button type="submit" class="btn primary" disabled=${busy || !text.trim()}>${outside ? 'Kirim templat' : 'Kirim'}</button>
        </div>
      </form>` : html`<p class="muted small">Hanya Diskominfo yang membalas warga.</p>`}
    </div>`;
  }
}
