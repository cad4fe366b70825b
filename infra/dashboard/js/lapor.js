// SP4N-LAPOR! on the complaint page: the state of the hand-off, "Salin untuk LAPOR!" (LAPOR's
// public form in its order, each field with a copy button), the LAPOR tracking id pasted back,
// LAPOR's 3-working-day verification clock, and the export of many forms. The view is read
// once and after each action (the read is audited), not polled.
import { html, Component, Notice, ErrorBox, Loading } from './ui.js';
import { api, can, describeError, download, formatDate, formatDateTime } from './lib.js';

/** What LAPOR accepts as a tracking id (the API checks it again). */
const TRACKING_ID = /^#?\s*\d{5,12}$/;

const VERIFICATION_LABELS = {
  menunggu: 'Menunggu verifikasi LAPOR',
  terlambat: 'Melewati batas verifikasi LAPOR',
  terverifikasi: 'Sudah diverifikasi LAPOR',
};

/** Copies text, also where the Clipboard API is unavailable (plain HTTP on a LAN address). */
async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch (_) {
      // Fall through to the selection copy.
    }
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  let done = false;
  try {
    done = document.execCommand('copy');
  } catch (_) {
    done = false;
  }
  area.remove();
  return done;
}

export class LaporCard extends Component {
  constructor(props) {
    super(props);
    this.state = { data: null, error: null, open: false, copied: null, lapornum: '', busy: false, flash: null, failure: null, tickets: props.ticket };
  }
  componentDidMount() {
    this.alive = true;
    this.load();
  }
  componentWillUnmount() {
    this.alive = false;
  }
  path(suffix = '') {
    return `/api/complaints/${encodeURIComponent(this.props.ticket)}/lapor${suffix}`;
  }
  async load() {
    try {
      const data = await api(this.path());
      if (this.alive) this.setState({ data, error: null });
    } catch (error) {
      if (this.alive) this.setState({ error });
    }
  }
  async post(suffix, body, done) {
    this.setState({ busy: true, flash: null, failure: null });
    try {
      const data = await api(this.path(suffix), { method: 'POST', body });
      this.setState({ busy: false, data, flash: done, lapornum: '' });
      if (this.props.onChanged) this.props.onChanged();
    } catch (error) {
      this.setState({ busy: false, failure: describeError(error) });
    }
  }
  async copy(field) {
    const ok = await copyText(field.value);
    this.setState({ copied: ok ? field.key : null, failure: ok ? null : 'Tidak dapat menyalin otomatis; pilih teksnya lalu salin manual.' });
  }
  saveId(event) {
    event.preventDefault();
    const value = this.state.lapornum.trim();
    if (!TRACKING_ID.test(value)) {
      this.setState({ failure: 'Nomor pelacakan SP4N-LAPOR! harus berupa 5–12 angka (boleh diawali #).' });
      return;
    }
    this.post('/tracking-id', { lapor_id: value }, 'Nomor SP4N-LAPOR! disimpan dan tampil di riwayat aduan.');
  }
  async exportMany(format) {
    const tickets = this.state.tickets.split(/[\s,;]+/).filter(Boolean).map((t) => t.toUpperCase()).join(',');
    this.setState({ failure: null });
    try {
      await download(`/api/lapor/export?tickets=${encodeURIComponent(tickets)}&format=${format}`, `lapor.${format}`);
    } catch (error) {
      this.setState({ failure: describeError(error) });
    }
  }
  render() {
    const { data, error, open, copied, lapornum, busy, flash, failure, tickets } = this.state;
    const diskominfo = can(this.props.me, 'admin', 'operator');
    let body;
    if (!data && error) body = html`<${ErrorBox} error=${error} onRetry=${() => this.load()} />`;
    else if (!data) body = html`<${Loading} />`;
    else {
      const task = data.task;
      const v = data.verification;
      body = html`
        ${flash ? html`<${Notice}>${flash}<//>` : null}
        ${failure ? html`<${Notice} kind="error">${failure}<//>` : null}
        ${task && task.state === 'parked' ? html`<${Notice} kind="error">Gagal dikirim ke SP4N-LAPOR! setelah ${task.attempts} percobaan${task.last_error ? ` (${task.last_error})` : ''}. Coba lagi, atau salin manual lewat "Salin untuk LAPOR!".<//>` : null}
        <dl class="lapor-facts" data-testid="lapor-facts">
          <dt>Mode</dt><dd>${data.automatic ? 'Otomatis lewat API SP4N-LAPOR!' : 'Manual (salin ke lapor.go.id)'}</dd>
          <dt>Nomor LAPOR</dt><dd data-testid="lapor-tracking-id">${data.tracking_id ? `#${data.tracking_id}` : 'Belum ada'}</dd>
          <dt>Status kirim</dt><dd>${task ? task.state_label : data.category_forwards ? 'Belum dijadwalkan' : 'Kategori ini tidak diteruskan otomatis'}${task && task.state === 'pending' && task.attempts ? ` · ${task.attempts} kali gagal, dicoba lagi ${formatDateTime(new Date(task.next_run_ms).toISOString())}` : ''}</dd>
          ${task && task.remote_status_label ? html`<dt>Status di LAPOR</dt><dd>${task.remote_status_label}</dd>` : null}
          ${v ? html`<dt>Verifikasi LAPOR</dt><dd data-testid="lapor-verification" class=${v.state === 'terlambat' ? 'bad' : ''}>${VERIFICATION_LABELS[v.state] || v.state} · paling lambat ${formatDate(v.due_date)} (${v.working_days} hari kerja sejak ${formatDate(v.from_date)})</dd>` : null}
          ${task && task.anonymised ? html`<dt>Identitas</dt><dd>Tidak dikirim (data pelapor sudah dihapus)</dd>` : null}
        </dl>
        <div class="actions">
          ${data.can_forward ? html`<button type="button" class="btn" disabled=${busy} onClick=${() => this.post('', {}, task ? 'Dijadwalkan ulang untuk dikirim ke SP4N-LAPOR!.' : 'Aduan masuk antrean SP4N-LAPOR!.')}>${task && task.state === 'parked' ? 'Coba kirim lagi' : 'Teruskan ke SP4N-LAPOR!'}</button>` : null}
          <button type="button" class="btn" aria-expanded=${open ? 'true' : 'false'} onClick=${() => this.setState({ open: !open })}>Salin untuk LAPOR!</button>
        </div>
        ${open ? html`<div class="lapor-copy" data-testid="lapor-copy">
          <p class="muted small">Urutan sesuai formulir lapor.go.id. Salin satu per satu, lalu tempel di formulir.</p>
          <ol class="lapor-fields">${data.fields.map((field) => html`<li data-key=${field.key}>
            <div class="lapor-field-head"><strong>${field.label}</strong>
              <button type="button" class="btn small" aria-label=${`${copied === field.key ? 'Tersalin' : 'Salin'} ${field.label}`} onClick=${() => this.copy(field)}>${copied === field.key ? 'Tersalin' : 'Salin'}</button></div>
            <pre class="lapor-value">${field.value || '–'}</pre>
          </li>`)}</ol>
          ${data.attachments.length ? html`<p>Unduh lampiran: ${data.attachments.map((a) => a.url
            ? html`<a href=${a.url} download=${a.name} target="_blank" rel="noopener">${a.name}</a> `
            : html`<span class="muted">${a.name} (belum tersedia)</span> `)}</p>` : null}
        </div>` : null}
        ${diskominfo && !data.tracking_id ? html`<form class="stack" onSubmit=${(e) => this.saveId(e)}>
          <label for="lapor-id">Nomor pelacakan dari SP4N-LAPOR!</label>
          <input id="lapor-id" inputmode="numeric" placeholder="#1234567" maxlength="20" value=${lapornum} onInput=${(e) => this.setState({ lapornum: e.target.value })} />
          <button type="submit" class="btn primary" disabled=${busy || !lapornum.trim()}>Simpan nomor</button>
        </form>` : null}
        ${diskominfo ? html`<form class="stack" onSubmit=${(e) => { e.preventDefault(); this.exportMany('csv'); }}>
          <label for="lapor-export">Ekspor formulir LAPOR beberapa aduan (tiket dipisah koma)</label>
          <input id="lapor-export" value=${tickets} onInput=${(e) => this.setState({ tickets: e.target.value })} />
          <div class="actions"><button type="submit" class="btn small">Unduh CSV</button>
            <button type="button" class="btn small" onClick=${() => this.exportMany('json')}>Unduh JSON</button></div>
        </form>` : null}`;
    }
    return html`<section class="card wide" aria-label="SP4N-LAPOR!">
      <header class="card-head"><h2>SP4N-LAPOR!</h2></header>
      <div class="card-body">${body}</div>
    </section>`;
  }
}
