// The operator dashboard of `prolink serve` (infra/dashboard, embedded, served at `/`) in a
// real Chromium: each role signs in and sees only its pages; the overview's charts render; a
// complaint filed through the simulator moves from diterima to selesai and every notice
// reaches the citizen; a complaint is reassigned and another merged into it; a photo shows on
// the detail; a handoff is answered; a FAQ edit and a menu row edited as fields change the
// bot's answers; Cognito's hosted UI (played by routes: code + PKCE, silent refresh, refused
// refresh, logout) signs in with no network; a citizen's HTML
// stays text; an OPD user cannot open another OPD's ticket; a citizen's `HAPUS DATA SAYA` is
// exported and erased on *Data warga*; the operator contacts are edited on *Pengaturan*; a
// *Siaran* (broadcast) reaches a subscribed citizen and its statistics show;
// axe-core on every page; the 390 px layout. Screenshots of every page (desktop and phone) go to tests/output/dashboard/.
//
// Needs: PROLINK_BASE_URL (a running `prolink serve` on a fresh data folder, with the
// simulator), PROLINK_BROWSER_DATA (its data folder: accounts are made with `prolink user
// add`), PROLINK_BIN (default target/debug/prolink), Debian's chromium at CHROMIUM_PATH.
'use strict';

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { chromium } = require('playwright-core');
const { stripedPng } = require('./png.js');
const { cancelledByBrowser } = require('./cancelled.js');
const crypto = require('node:crypto');

const ROOT = path.join(__dirname, '..', '..');
const BASE = process.env.PROLINK_BASE_URL;
const DATA = process.env.PROLINK_BROWSER_DATA;
const BIN = process.env.PROLINK_BIN || path.join(ROOT, 'target', 'debug', 'prolink');
const SHOTS = process.env.PROLINK_DASHBOARD_SCREENSHOTS || path.join(ROOT, 'tests', 'output', 'dashboard');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const STEP_TIMEOUT = 20_000;
const PASSWORD = 'uji-dasbor-rahasia-123';

const USERS = {
  'uji-admin': { role: 'admin' },
  'uji-operator': { role: 'operator' },
  'uji-dlh': { role: 'opd', opd: 'dlh' },
  'uji-viewer': { role: 'viewer' },
};
const MENUS = {
  admin: ['Ringkasan', 'Aduan', 'Percakapan', 'Konten', 'Pertanyaan tak terjawab', 'Siaran', 'Statistik', 'Audit', 'Pengguna', 'Data warga', 'Pengaturan'],
  operator: ['Ringkasan', 'Aduan', 'Percakapan', 'Konten', 'Pertanyaan tak terjawab', 'Siaran', 'Statistik'],
  opd: ['Ringkasan', 'Aduan', 'Percakapan', 'Konten'],
  viewer: ['Ringkasan', 'Statistik'],
};
const PAGE_IDS = {
  Ringkasan: 'ringkasan', Aduan: 'aduan', Percakapan: 'percakapan', Konten: 'konten',
  'Pertanyaan tak terjawab': 'tak-terjawab', Siaran: 'siaran', Statistik: 'statistik', Audit: 'audit', Pengguna: 'pengguna', 'Data warga': 'data-warga',
  Pengaturan: 'pengaturan',
};

/** A small valid PNG (blue/white stripes). */
const tinyPng = () => stripedPng([20, 110, 200], [240, 240, 240]);

// ---- the simulated citizen, through the simulator's HTTP API ---------------------------

async function sim(pathname, body) {
  const response = await fetch(`${BASE}${pathname}`, body === undefined ? {} : {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  assert.ok(response.ok, `${pathname}: HTTP ${response.status} ${await response.clone().text()}`);
  return response.json();
}

function botText(message) {
  if (message.type === 'text') return message.text.body;
  if (message.type === 'interactive') return [message.interactive.header && message.interactive.header.text, message.interactive.body && message.interactive.body.text].filter(Boolean).join('\n');
  if (message.type === 'template') return JSON.stringify(message.template);
  return JSON.stringify(message);
}

function choicesOf(message) {
  const action = (message.interactive && message.interactive.action) || {};
  const buttons = (action.buttons || []).map((b) => ({ kind: 'button', id: b.reply.id, title: b.reply.title }));
  const rows = (action.sections || []).flatMap((s) => s.rows || []).map((r) => ({ kind: 'list', id: r.id, title: r.title }));
  return [...buttons, ...rows];
}

class Citizen {
  constructor(phone, name) {
    this.phone = phone;
    this.name = name;
    this.seen = 0;
  }
  async messages() {
    return (await sim(`/simulator/api/messages?user=${this.phone}`)).messages;
  }
  /** Sends, then waits for a new bot message containing `wanted`; returns it. */
  async send(body, wanted) {
    this.seen = (await this.messages()).length;
    await sim('/simulator/api/send', { from: this.phone, name: this.name, ...body });
    return wanted === undefined ? null : this.waitFor(wanted);
  }
  async waitFor(wanted, timeout = STEP_TIMEOUT) {
    const deadline = Date.now() + timeout;
    for (;;) {
      const all = await this.messages();
      const found = all.slice(this.seen).find((message) => botText(message).includes(wanted));
      if (found) {
        this.seen = all.indexOf(found) + 1;
        return found;
      }
      if (Date.now() > deadline) {
        throw new Error(`no bot message with "${wanted}" for ${this.phone}; last: ${all.slice(-3).map(botText).join(' || ')}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  say(text, wanted) {
    return this.send({ text }, wanted);
  }
  async tap(message, title, wanted) {
    const choice = choicesOf(message).find((c) => c.title.includes(title));
    assert.ok(choice, `no choice "${title}" in ${JSON.stringify(choicesOf(message))}`);
    return this.send({ reply: { kind: choice.kind, id: choice.id, title: choice.title } }, wanted);
  }
  /**
   * The complaint form from the consent to the ticket; returns the ticket id. `photo`: a
   * caption, to send a photo; `pin`: another place than the Alun-Alun (complaints of one
   * category within 100 m are offered to follow each other).
   */
  async fileComplaint(categoryTitle, description, { photo, pin } = {}) {
    let m = await this.say('buat aduan', 'Sebelum membuat aduan');
    m = await this.tap(m, 'Setuju', 'Pilih kategori');
    m = await this.tap(m, categoryTitle, 'Ceritakan masalahnya');
    await this.say(description, 'Di mana lokasinya');
    m = await this.send({ location: pin || { latitude: -7.7543, longitude: 113.2159, name: 'Alun-Alun Kota Probolinggo', address: 'Jl. Suroyo' } }, 'Ada foto?');
    if (photo) {
      m = await this.send({ image: { data_base64: tinyPng().toString('base64'), mime_type: 'image/png', caption: photo } }, 'foto diterima');
      m = await this.tap(m, 'Selesai kirim foto', 'Identitas pelapor');
    } else {
      m = await this.tap(m, 'Tanpa foto', 'Identitas pelapor');
    }
    m = await this.tap(m, 'Biasa', 'Kirim aduan ini?');
    m = await this.tap(m, 'Kirim', 'Nomor tiket');
    const found = botText(m).match(/Nomor tiket: \*?(PS-[0-9A-Z]{6})/);
    assert.ok(found, botText(m));
    return found[1];
  }
}

/** Notices wait out the quiet hours (21:00–06:00 WIB): move the local clock to the morning. */
async function outOfQuietHours() {
  const clock = await sim('/simulator/api/clock');
  const hour = (new Date(clock.now_ms).getUTCHours() + 7) % 24;
  if (hour >= 21 || hour < 6) {
    const minutes = (((30 - hour) % 24) * 60) + 5; // to about 06:05 WIB
    await sim('/simulator/api/clock', { advance_minutes: minutes });
  }
}

// ---- the browser ------------------------------------------------------------------------

describe('operator dashboard in Chromium', () => {
  let context;
  let profile;
  let page;
  const problems = [];
  let allowed = [];
  const tickets = {};

  function watch(target) {
    const allowedUrl = (url) => allowed.some((part) => url.includes(part));
    target.on('console', (message) => {
      if (message.type() !== 'error' && message.type() !== 'warning') return;
      const where = message.location() && message.location().url;
      if (/Failed to load resource/.test(message.text()) && where && allowedUrl(where)) return;
      problems.push(`console ${message.type()}: ${message.text()} (${where || ''})`);
    });
    target.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    target.on('requestfailed', (request) => {
      if (cancelledByBrowser(request)) return;
      const failure = request.failure();
      problems.push(`request failed: ${request.url()} ${failure ? failure.errorText : ''}`);
    });
    target.on('response', (response) => {
      if (response.status() >= 400 && !allowedUrl(response.url())) problems.push(`HTTP ${response.status()}: ${response.url()}`);
    });
  }

  async function shot(name) {
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  }

  async function signIn(username) {
    await page.goto(`${BASE}/`);
    // A test that failed signed in must not take the next one down with it.
    await page.locator('.login-card, .shell').first().waitFor();
    if (await page.locator('.shell').count()) await signOut();
    await page.getByLabel('Nama pengguna').fill(username);
    await page.getByLabel('Kata sandi').fill(PASSWORD);
    await page.getByRole('button', { name: 'Masuk' }).click();
    await page.locator('.shell').waitFor();
  }

  async function signOut() {
    await page.getByRole('button', { name: 'Keluar' }).click();
    await page.getByRole('heading', { name: 'Masuk' }).waitFor();
  }

  async function menu() {
    return page.locator('#nav a').allTextContents();
  }

  async function openPage(id) {
    await page.goto(`${BASE}/#/${id}`);
    await page.locator('main .page').first().waitFor();
    await page.waitForFunction(() => !document.querySelector('main .loading'), null, { timeout: STEP_TIMEOUT });
  }

  async function axe(label) {
    await page.evaluate(AXE);
    const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
    const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    assert.deepEqual(bad.map((v) => `${label}: ${v.id} (${v.impact}) ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')}`), []);
  }

  before(async () => {
    assert.ok(BASE, 'PROLINK_BASE_URL must point at a running `prolink serve`');
    assert.ok(DATA, 'PROLINK_BROWSER_DATA must name its data folder');
    fs.mkdirSync(SHOTS, { recursive: true });
    for (const [name, user] of Object.entries(USERS)) {
      const args = ['user', 'add', name, '--role', user.role, '--data', DATA];
      if (user.opd) args.push('--opd', user.opd);
      execFileSync(BIN, args, { input: `${PASSWORD}\n`, stdio: ['pipe', 'ignore', 'pipe'] });
    }
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'prolink-dashboard-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1366, height: 900 },
      locale: 'id-ID',
      timezoneId: 'Asia/Jakarta',
      acceptDownloads: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
    });
    context.setDefaultTimeout(STEP_TIMEOUT);
    const origin = new URL(BASE).origin;
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
      problems.push(`request outside the local server: ${url}`);
      return route.abort();
    });
    page = context.pages()[0] || (await context.newPage());
    watch(page);
    await outOfQuietHours();
  });

  after(async () => {
    if (context) await context.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  });

  it('serves the site with a strict CSP and asks the API nothing before sign-in', async () => {
    const api = [];
    const listener = (request) => { if (new URL(request.url()).pathname.startsWith('/api/')) api.push(request.url()); };
    page.on('request', listener);
    const response = await page.goto(`${BASE}/`);
    assert.equal(response.status(), 200);
    const csp = response.headers()['content-security-policy'] || '';
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(response.headers()['x-content-type-options'], 'nosniff');
    await page.getByRole('heading', { name: 'Masuk' }).waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'id');
    const config = await (await fetch(`${BASE}/config.json`)).json();
    assert.equal(config.mode, 'local');
    for (const [file, type] of [['js/app.js', 'text/javascript'], ['app.css', 'text/css'], ['vendor/chart.umd.min.js', 'text/javascript']]) {
      const asset = await fetch(`${BASE}/${file}`);
      assert.match(asset.headers.get('content-type'), new RegExp(type));
    }
    assert.equal((await fetch(`${BASE}/simulator`)).status, 200, 'the simulator stays at /simulator');
    await axe('masuk');
    await shot('masuk-desktop');
    // A wrong password is refused in Indonesian, with no request but the sign-in.
    allowed = ['/api/auth/login'];
    await page.getByLabel('Nama pengguna').fill('uji-admin');
    await page.getByLabel('Kata sandi').fill('salah-sekali-123');
    await page.getByRole('button', { name: 'Masuk' }).click();
    await page.getByRole('alert').waitFor();
    allowed = [];
    page.off('request', listener);
    assert.deepEqual(api.filter((url) => !url.endsWith('/api/auth/login')), []);
  });

  it('files complaints and a handoff through the simulator', async () => {
    const budi = new Citizen('6281234500301', 'Budi Dasbor');
    tickets.xss = await budi.fileComplaint('Sampah', 'Sampah <img src=x onerror=alert(1)> menumpuk di TPS sejak kemarin sore.');
    tickets.budi = budi;
    const wati = new Citizen('6281234500302', 'Wati Jalan');
    tickets.road = await wati.fileComplaint('Jalan rusak', 'Jalan berlubang besar di depan sekolah, berbahaya bagi pengendara motor.');
    tickets.wati = wati;
    const sari = new Citizen('6281234500303', 'Sari Petugas');
    await sari.say('halo', 'Selamat datang');
    await sari.say('petugas', 'teruskan ke petugas');
    tickets.sari = sari;
    // A photo with the complaint; two reports of the same broken lamp (one is merged later).
    const joko = new Citizen('6281234500306', 'Joko Lampu');
    tickets.photo = await joko.fileComplaint('Lampu jalan', 'Lampu PJU di depan pasar mati sejak tiga malam.', { photo: 'Tiang lampu depan pasar' });
    const rina = new Citizen('6281234500307', 'Rina Lampu');
    tickets.rina = rina;
    tickets.duplicate = await rina.fileComplaint('Lampu jalan', 'Lampu jalan depan pasar padam, gelap sekali di malam hari.', {
      pin: { latitude: -7.7612, longitude: 113.2234, name: 'Pasar Baru', address: 'Jl. Dr. Moh. Saleh' },
    });
    // A citizen who writes, then asks for the erasure of their data.
    const dewi = new Citizen('6281234500308', 'Dewi Hapus');
    await dewi.say('halo', 'Selamat datang');
    await dewi.say('jam buka mal pelayanan publik hari sabtu', '');
    await dewi.say('HAPUS DATA SAYA', 'Permintaan penghapusan data diterima');
    tickets.dewi = dewi;
    assert.match(tickets.xss, /^PS-/);
  });

  for (const [username, user] of Object.entries(USERS)) {
    it(`signs in as ${user.role} and shows only its pages, each with no violation`, async () => {
      await signIn(username);
      assert.deepEqual(await menu(), MENUS[user.role]);
      for (const title of MENUS[user.role]) {
        const id = PAGE_IDS[title];
        await openPage(id);
        await page.getByRole('heading', { level: 1, name: title }).waitFor();
        if (id === 'ringkasan') {
          await page.waitForFunction(() => document.querySelectorAll('canvas').length > 0 || !document.querySelector('.chart'));
          if (user.role !== 'opd') {
            // Chart.js drew into each canvas (a drawn canvas has a bitmap size).
            const sizes = await page.locator('canvas').evaluateAll((all) => all.map((c) => c.width * c.height));
            assert.ok(sizes.length >= 3 && sizes.every((size) => size > 0), `charts: ${sizes}`);
          }
        }
        await axe(`${user.role}/${id}`);
        await shot(`${id}-${user.role}-desktop`);
      }
      // A page the role may not use is not offered even by URL.
      if (user.role === 'viewer') {
        await page.goto(`${BASE}/#/aduan`);
        await page.getByRole('heading', { level: 1, name: 'Ringkasan' }).waitFor();
      }
      // Siaran is for admins and operators: not in the menu, not even by URL.
      if (user.role === 'viewer' || user.role === 'opd') {
        await page.goto(`${BASE}/#/siaran`);
        await page.getByRole('heading', { level: 1, name: 'Ringkasan' }).waitFor();
      }
      await signOut();
    });
  }

  it('refreshes an access token about to expire, without a failed request', async () => {
    await signIn('uji-viewer');
    const before = await page.evaluate(() => JSON.parse(sessionStorage.getItem('prolink.tokens')));
    await page.evaluate(() => {
      const tokens = JSON.parse(sessionStorage.getItem('prolink.tokens'));
      tokens.expires_at = Date.now() + 5_000;
      sessionStorage.setItem('prolink.tokens', JSON.stringify(tokens));
    });
    const [refresh] = await Promise.all([
      page.waitForResponse((response) => response.url().endsWith('/api/auth/refresh')),
      openPage('statistik'),
    ]);
    assert.equal(refresh.status(), 200);
    const after = await page.evaluate(() => JSON.parse(sessionStorage.getItem('prolink.tokens')));
    assert.notEqual(after.access_token, before.access_token);
    assert.ok(after.expires_at > Date.now() + 60_000);
    await signOut();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('prolink.tokens')), null);
  });

  it('shows a citizen\'s HTML as text (no element made from it)', async () => {
    await signIn('uji-operator');
    await page.goto(`${BASE}/#/aduan/${tickets.xss}`);
    const description = page.locator('.description');
    await description.waitFor();
    assert.equal(await description.textContent(), 'Sampah <img src=x onerror=alert(1)> menumpuk di TPS sejak kemarin sore.');
    assert.equal(await page.locator('main img[src="x"]').count(), 0);
    // The list shows it too (search by ticket) and links to the detail.
    await page.goto(`${BASE}/#/aduan`);
    await page.getByLabel('Cari').fill(tickets.xss);
    await page.getByRole('button', { name: 'Cari', exact: true }).click();
    await page.getByRole('link', { name: tickets.xss }).waitFor();
    assert.match(await page.locator('tbody').textContent(), /Tepat waktu|Mendekati|Terlambat/);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Unduh CSV' }).click()]);
    assert.match(download.suggestedFilename(), /^aduan-.*\.csv$/);
  });

  it('copies a complaint for LAPOR! in the form\'s order and keeps the pasted tracking id', async () => {
    await signIn('uji-operator');
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(BASE).origin });
    await page.goto(`${BASE}/#/aduan/${tickets.road}`);
    await page.locator('.description').waitFor();
    const card = page.getByRole('region', { name: 'SP4N-LAPOR!' });
    await card.getByText('Manual (salin ke lapor.go.id)').waitFor();
    await card.getByRole('button', { name: 'Salin untuk LAPOR!' }).click();
    const keys = await card.locator('.lapor-fields li').evaluateAll((items) => items.map((item) => item.dataset.key));
    assert.deepEqual(keys, ['klasifikasi', 'judul', 'isi', 'tanggal_kejadian', 'lokasi', 'instansi_tujuan', 'kategori', 'lampiran', 'anonim', 'rahasia']);
    await card.getByRole('button', { name: 'Salin Isi laporan' }).click();
    await card.locator('li[data-key="isi"] button', { hasText: 'Tersalin' }).waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert.match(copied, /Jalan berlubang besar di depan sekolah/);
    assert.ok(copied.includes(tickets.road), copied);
    await axe('aduan/lapor');
    await shot('aduan-lapor-desktop');
    // A malformed number is refused before any request; a good one is kept and audited.
    const field = page.getByLabel('Nomor pelacakan dari SP4N-LAPOR!');
    await field.fill('12ab');
    await card.getByRole('button', { name: 'Simpan nomor' }).click();
    await card.locator('.notice', { hasText: '5–12 angka' }).waitFor();
    await field.fill('#7654321');
    await card.getByRole('button', { name: 'Simpan nomor' }).click();
    await card.locator('.notice', { hasText: 'Nomor SP4N-LAPOR! disimpan' }).waitFor();
    assert.equal(await card.getByTestId('lapor-tracking-id').textContent(), '#7654321');
    assert.match(await card.getByTestId('lapor-verification').textContent(), /Menunggu verifikasi LAPOR · paling lambat .+ \(3 hari kerja/);
    await page.locator('.timeline .note.public', { hasText: 'nomor pelacakan #7654321' }).waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), card.getByRole('button', { name: 'Unduh CSV' }).click()]);
    assert.equal(download.suggestedFilename(), 'lapor.csv');
    // The citizen sees the number with their complaint.
    await tickets.wati.say(`CEK ${tickets.road}`, 'Nomor SP4N-LAPOR!: #7654321');
  });

  it('moves a complaint from diterima to selesai; the citizen gets every notice', async () => {
    const budi = tickets.budi;
    await page.goto(`${BASE}/#/aduan/${tickets.xss}`);
    await page.locator('.description').waitFor();
    assert.match(await page.getByRole('link', { name: 'Buka di OpenStreetMap' }).getAttribute('href'), /openstreetmap\.org\/\?mlat=-7\.7543&mlon=113\.2159/);
    const steps = [
      ['diverifikasi', 'Diverifikasi'],
      ['diteruskan', 'Diteruskan'],
      ['diproses', 'Diproses'],
      ['selesai', 'Selesai'],
    ];
    for (const [status, label] of steps) {
      await page.getByLabel('Status baru').selectOption(status);
      await page.getByLabel('Catatan untuk warga (dikirim lewat WhatsApp)').fill(`Catatan uji: ${label}.`);
      await page.getByRole('button', { name: 'Simpan status' }).click();
      await page.locator('.notice', { hasText: 'Status diubah' }).waitFor();
      await page.locator('.page-head .badge', { hasText: new RegExp(label.split(' ')[0], 'i') }).first().waitFor();
      await budi.waitFor(`Catatan uji: ${label}.`);
    }
    await shot('aduan-detail-desktop');
    // The notices are in the simulator's conversation of that citizen.
    const sim = await context.newPage();
    watch(sim);
    await sim.goto(`${BASE}/simulator`);
    await sim.locator('.citizen', { hasText: 'Budi Dasbor' }).click();
    await sim.locator('.row.bot', { hasText: 'Catatan uji: Selesai.' }).waitFor();
    await sim.screenshot({ path: path.join(SHOTS, 'simulator-notifikasi.png') });
    await sim.close();
    // The list's status filter finds it among the finished ones only.
    await page.goto(`${BASE}/#/aduan`);
    await page.getByLabel('Status', { exact: true }).selectOption('selesai');
    await page.getByRole('link', { name: tickets.road }).waitFor({ state: 'detached' });
    await page.getByRole('link', { name: tickets.xss }).waitFor();
  });

  it('answers a handoff; the reply reaches the citizen', async () => {
    const sari = tickets.sari;
    await page.goto(`${BASE}/#/percakapan`);
    const entry = page.locator('.convos a', { hasText: 'Sari Petugas' });
    await entry.waitFor();
    assert.match(await entry.textContent(), /Menunggu/);
    await entry.click();
    await page.locator('.bubble.in', { hasText: 'petugas' }).first().waitFor();
    await page.getByRole('button', { name: 'Tangani' }).click();
    await page.locator('.notice', { hasText: 'Anda menangani' }).waitFor();
    await page.getByLabel('Balasan').fill('Halo Bu Sari, saya petugas Diskominfo. Ada yang bisa dibantu?');
    await page.getByRole('button', { name: 'Kirim', exact: true }).click();
    await page.locator('.notice', { hasText: 'Balasan terkirim' }).waitFor();
    await sari.waitFor('saya petugas Diskominfo');
    await page.locator('.bubble.out', { hasText: 'saya petugas Diskominfo' }).waitFor();
    await axe('percakapan/transkrip');
    await shot('percakapan-desktop');
    await page.getByRole('button', { name: 'Kembalikan ke bot' }).click();
    await page.locator('.notice', { hasText: 'dikembalikan ke bot' }).waitFor();
    await sari.waitFor('');
  });

  it('shows a complaint\'s photo, loaded from this server', async () => {
    await page.goto(`${BASE}/#/aduan/${tickets.photo}`);
    await page.locator('.description').waitFor();
    // The complaint worker copies the photo from the (simulated) Graph API after the ticket.
    const deadline = Date.now() + STEP_TIMEOUT;
    while (!(await page.locator('.photos img').count())) {
      assert.ok(Date.now() < deadline, `no photo on ${tickets.photo}: ${await page.locator('.photos').textContent().catch(() => 'no .photos')}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
      await page.reload();
      await page.locator('.description').waitFor();
    }
    const photo = page.locator('.photos img').first();
    assert.equal(await photo.getAttribute('alt'), 'Foto: Tiang lampu depan pasar');
    assert.equal(new URL(await photo.getAttribute('src'), BASE).origin, new URL(BASE).origin);
    await page.waitForFunction(() => {
      const img = document.querySelector('.photos img');
      return img && img.complete && img.naturalWidth === 24;
    });
    await shot('aduan-foto-desktop');
  });

  it('reassigns a complaint to another OPD and merges a duplicate into it', async () => {
    await page.goto(`${BASE}/#/aduan/${tickets.photo}`);
    const facts = page.locator('.facts');
    await facts.waitFor();
    assert.match(await facts.textContent(), /Dinas Perhubungan/);
    await page.getByLabel('OPD tujuan').selectOption('dpupr-pkp');
    await page.getByRole('button', { name: 'Alihkan' }).click();
    await page.locator('.notice', { hasText: 'Aduan dialihkan' }).waitFor();
    assert.match(await facts.textContent(), /Dinas Pekerjaan Umum/);
    await page.locator('.timeline .note.internal', { hasText: 'Dialihkan: OPD dishub → dpupr-pkp' }).waitFor();
    // The second report of the same lamp, merged (the ticket typed in lower case).
    await page.goto(`${BASE}/#/aduan/${tickets.duplicate}`);
    await page.locator('.description').waitFor();
    await page.getByLabel('Gabungkan sebagai duplikat dari tiket').fill(tickets.photo.toLowerCase());
    await page.getByRole('button', { name: 'Gabungkan' }).click();
    await page.locator('.notice', { hasText: `Digabungkan ke ${tickets.photo}` }).waitFor();
    const duplicateOf = page.locator('.facts dt', { hasText: 'Duplikat dari' }).locator('xpath=following-sibling::dd[1]');
    await duplicateOf.getByRole('link', { name: tickets.photo }).waitFor();
    // Closed the way an operator may close it from diterima (ditolak), with its own note.
    await page.locator('.page-head .badge', { hasText: /Ditolak|Ditutup/ }).waitFor();
    await tickets.rina.waitFor(`digabungkan`);
    await axe('aduan/gabung');
    await shot('aduan-gabung-desktop');
    // The original now counts the duplicate's citizen among its followers (a number, no link).
    await duplicateOf.getByRole('link', { name: tickets.photo }).click();
    const followers = page.locator('.facts dt', { hasText: 'Pengikut' }).locator('xpath=following-sibling::dd[1]');
    await followers.filter({ hasText: '1 warga' }).waitFor();
    assert.match(await followers.textContent(), /6281234500307/);
    assert.equal(await followers.locator('a').count(), 0);
  });

  it('resolves an open alert in place on Ringkasan', async () => {
    await page.goto(`${BASE}/#/ringkasan`);
    const alerts = page.getByRole('region', { name: 'Peringatan terbuka' });
    const first = alerts.locator('li').first();
    await first.waitFor();
    const before = await alerts.locator('li').count();
    await first.getByRole('button', { name: 'Tandai selesai' }).click();
    await page.locator('.notice', { hasText: 'Peringatan ditandai selesai' }).waitFor();
    await page.waitForFunction((count) => document.querySelectorAll('[aria-label="Peringatan terbuka"] li').length < count, before);
  });

  it('edits a FAQ and a menu row; the bot answers with the new texts', async () => {
    await signIn('uji-operator');
    await page.goto(`${BASE}/#/konten`);
    await page.getByLabel('Saring').fill('kependudukan.ktp-el-baru');
    await page.getByRole('button', { name: 'Ubah kependudukan.ktp-el-baru' }).click();
    const answer = page.getByLabel('Jawaban');
    await answer.waitFor();
    const marker = 'Catatan uji dasbor: bawa KK asli.';
    await answer.fill(`${await answer.inputValue()}\n\n${marker}`);
    assert.match(await page.locator('.wa-preview').textContent(), /Catatan uji dasbor/);
    assert.match(await page.locator('.label-row', { hasText: 'Judul baris daftar' }).locator('.counter').textContent(), /^\d+\/24$/);
    await axe('konten/editor');
    await shot('konten-editor-desktop');
    await page.getByRole('button', { name: 'Simpan' }).click();
    await page.locator('.notice', { hasText: 'Perubahan disimpan' }).waitFor();
    const tono = new Citizen('6281234500304', 'Tono FAQ');
    await tono.say('syarat KTP-el baru', marker);
    // A menu's rows are fields with live counters; the preview follows; the server's 422
    // reason shows next to the row's input; a saved title reaches the citizen's list.
    await page.getByRole('button', { name: 'Menu', exact: true }).click();
    await page.getByRole('button', { name: 'Ubah main' }).click();
    const preview = page.locator('.wa-preview');
    await preview.locator('.wa-list li', { hasText: 'Informasi Publik' }).waitFor();
    const title = page.locator('#m-row-0-title');
    assert.equal(await title.inputValue(), 'Informasi Publik');
    assert.equal(await page.getByLabel('Judul baris').count(), await page.locator('.menu-row').count(), 'one title field per row');
    await title.fill('Informasi Publik Kota Probolinggo Lengkap');
    assert.equal(await page.locator('.menu-row').first().locator('.counter').first().textContent(), '41/24');
    await preview.getByRole('alert').filter({ hasText: 'Baris 1: judul 41/24 karakter' }).waitFor();
    allowed = ['/api/content/menus/main'];
    await page.getByRole('button', { name: 'Simpan' }).click();
    await page.locator('#m-row-0-title-error', { hasText: 'lebih dari 24 karakter' }).waitFor();
    allowed = [];
    assert.equal(await title.getAttribute('aria-invalid'), 'true');
    // Keyboard: move the first row down and back; focus stays on the moved row's button.
    await page.getByRole('button', { name: 'Turun baris 1' }).focus();
    await page.keyboard.press('Enter');
    assert.equal(await page.locator('#m-row-1-title').inputValue(), 'Informasi Publik Kota Probolinggo Lengkap');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'm-row-1-down');
    await page.getByRole('button', { name: 'Naik baris 2' }).click();
    assert.equal(await title.inputValue(), 'Informasi Publik Kota Probolinggo Lengkap');
    await title.fill('Info Publik Kota');
    await preview.locator('.wa-list li', { hasText: 'Info Publik Kota' }).waitFor();
    await axe('konten/menu');
    await page.setViewportSize({ width: 390, height: 844 });
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'the menu editor fits 390 px');
    await shot('konten-menu-phone');
    await page.setViewportSize({ width: 1366, height: 900 });
    await shot('konten-menu-desktop');
    await page.getByRole('button', { name: 'Simpan' }).click();
    await page.locator('.notice', { hasText: 'Perubahan disimpan' }).waitFor();
    await page.getByRole('button', { name: 'Ubah main' }).click();
    await preview.locator('.wa-list li', { hasText: 'Info Publik Kota' }).waitFor();
    const list = await tono.say('menu', 'Selamat datang');
    assert.ok(choicesOf(list).some((choice) => choice.title === 'Info Publik Kota'), JSON.stringify(choicesOf(list)));
    await shot('konten-menu-desktop');
    await page.getByRole('button', { name: 'Tutup' }).click();
    await signOut();
  });

  it('turns an unanswered question into a FAQ in one step; the bot then answers it', async () => {
    await signIn('uji-operator');
    const question = 'kapan jadwal pesawat luar angkasa ke planet mars';
    const rudi = new Citizen('6281234500305', 'Rudi Tanya');
    await rudi.say(question, '');
    await page.goto(`${BASE}/#/tak-terjawab`);
    const group = page.locator('.groups > li', { hasText: question });
    await group.waitFor();
    await group.getByRole('button', { name: 'Buat FAQ baru' }).click();
    await page.getByLabel('ID FAQ').fill('umum.pesawat-mars');
    await page.getByLabel('Kategori FAQ').fill('umum');
    await page.getByLabel('Pertanyaan lain').fill('ada penerbangan ke mars?\nroket ke planet mars kapan\njadwal roket luar angkasa');
    await page.getByLabel('Kata kunci').fill('mars\nroket');
    await page.getByLabel('Judul baris daftar').fill('Pesawat ke Mars');
    await page.getByLabel('Ringkasan baris daftar').fill('Jadwal penerbangan luar angkasa');
    await page.getByLabel('Jawaban').fill('Belum ada penerbangan luar angkasa ke planet Mars dari Kota Probolinggo.');
    await shot('tak-terjawab-faq-baru-desktop');
    await page.getByRole('button', { name: 'Buat FAQ dan tautkan' }).click();
    await page.locator('.notice', { hasText: 'FAQ umum.pesawat-mars dibuat' }).waitFor();
    await rudi.say(question, 'Belum ada penerbangan luar angkasa ke planet Mars');
  });

  it('lists content revisions and restores one', async () => {
    await page.goto(`${BASE}/#/konten`);
    await page.getByRole('button', { name: 'Riwayat revisi' }).click();
    const rows = page.locator('tbody tr');
    await rows.filter({ hasText: 'faq/kependudukan.ktp-el-baru' }).first().waitFor();
    const before = await rows.count();
    await rows.filter({ hasText: 'faq/kependudukan.ktp-el-baru' }).first().getByRole('button', { name: 'Pulihkan' }).click();
    await page.locator('.notice', { hasText: 'dipulihkan sebagai revisi baru' }).waitFor();
    await page.waitForFunction((count) => document.querySelectorAll('tbody tr').length > count, before);
    assert.match(await rows.first().textContent(), /restore/);
    await axe('konten/revisi');
    await shot('konten-revisi-desktop');
  });

  it('downloads the monthly report from Statistik', async () => {
    await page.goto(`${BASE}/#/statistik`);
    await page.getByLabel('Bulan', { exact: true }).fill('2026-11');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Unduh laporan (CSV)' }).click()]);
    assert.equal(download.suggestedFilename(), 'laporan-bulanan-2026-11.csv');
    await signOut();
  });

  it('manages users', async () => {
    await signIn('uji-admin');
    await page.goto(`${BASE}/#/pengguna`);
    await page.getByLabel('Nama pengguna').fill('uji-baru');
    await page.getByLabel('Peran').selectOption('viewer');
    await page.getByLabel('Kata sandi awal').fill('kata-sandi-awal-123');
    await page.getByRole('button', { name: 'Tambah' }).click();
    await page.locator('.notice', { hasText: 'Pengguna uji-baru dibuat' }).waitFor();
    const row = page.locator('tbody tr', { hasText: 'uji-baru' });
    await row.getByRole('button', { name: 'Nonaktifkan' }).click();
    await row.locator('.badge', { hasText: 'Nonaktif' }).waitFor();
  });

  it('finds a citizen by number on Data warga; a malformed number is refused next to the field', async () => {
    await openPage('data-warga');
    allowed = ['/api/citizens/lookup'];
    await page.getByLabel('Nomor WhatsApp').fill('nomor-saya');
    await page.getByRole('button', { name: 'Cari', exact: true }).click();
    await page.locator('#w-phone-error').waitFor();
    assert.equal(await page.getByLabel('Nomor WhatsApp').getAttribute('aria-invalid'), 'true');
    allowed = [];
    // Spaces, dashes and a leading 0 are fine.
    await page.getByLabel('Nomor WhatsApp').fill('0812-3450-0301');
    await page.getByRole('button', { name: 'Cari', exact: true }).click();
    const selected = page.getByRole('region', { name: 'Warga terpilih' });
    await selected.waitFor();
    assert.match(await selected.textContent(), /Budi Dasbor/);
    assert.match(await selected.locator('code').first().textContent(), /^c[0-9a-f]{32}$/);
    assert.ok(await selected.getByRole('button', { name: 'Hapus data warga secara permanen' }).isDisabled());
    await selected.getByRole('button', { name: 'Tutup' }).click();
    await selected.waitFor({ state: 'detached' });
  });

  it('exports and erases a citizen who typed HAPUS DATA SAYA; the request is done and the number unknown', async () => {
    await openPage('data-warga');
    const requests = page.getByRole('region', { name: 'Permintaan penghapusan dari warga' });
    const request = requests.locator('tbody tr', { hasText: 'Dewi Hapus' });
    await request.waitFor();
    assert.match(await request.textContent(), /Menunggu/);
    assert.match(await requests.locator('tbody tr').first().textContent(), /Menunggu/, 'waiting requests come first');
    await axe('data-warga/permintaan');
    await shot('data-warga-desktop');
    await page.setViewportSize({ width: 390, height: 844 });
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 390);
    await shot('data-warga-permintaan-phone');
    await page.setViewportSize({ width: 1366, height: 900 });

    // The copy first: a JSON download with everything, the messages included.
    const [download] = await Promise.all([page.waitForEvent('download'), request.getByRole('button', { name: 'Unduh data' }).click()]);
    const exported = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
    const id = exported.id;
    assert.match(id, /^c[0-9a-f]{32}$/);
    assert.equal(download.suggestedFilename(), `data-warga-${id}.json`);
    assert.equal(exported.profile.name, 'Dewi Hapus');
    const texts = exported.messages.map((message) => message.text || '');
    assert.ok(texts.some((text) => text.includes('jam buka mal pelayanan publik')), `messages: ${texts.join(' | ')}`);
    assert.ok(exported.erasure_requests.some((item) => item.state === 'menunggu'));
    await page.locator('.notice', { hasText: `data-warga-${id}.json` }).waitFor();

    // Erasing needs the id typed exactly; the warning says it cannot be undone.
    await request.getByRole('button', { name: 'Hapus data' }).click();
    const selected = page.getByRole('region', { name: 'Warga terpilih' });
    await selected.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'w-confirm', 'focus moves to the confirmation');
    assert.match(await selected.textContent(), /Tidak dapat dibatalkan/);
    const confirm = page.getByLabel(/Ketik ID warga/);
    const erase = selected.getByRole('button', { name: 'Hapus data warga secara permanen' });
    assert.ok(await erase.isDisabled());
    await confirm.fill(id.slice(0, -1));
    assert.ok(await erase.isDisabled());
    await confirm.fill(`${id} `);
    assert.ok(await erase.isDisabled(), 'exactly the id, nothing more');
    await confirm.fill(id);
    assert.ok(await erase.isEnabled());
    await axe('data-warga/hapus');
    await shot('data-warga-hapus-desktop');
    await erase.click();

    // The result, in Indonesian; the request is done and nameless.
    const result = page.getByRole('region', { name: 'Hasil penghapusan' });
    await result.waitFor();
    const text = await result.textContent();
    assert.match(text, new RegExp(id));
    assert.match(text, /Profil warga/);
    assert.match(text, /Pesan percakapan/);
    assert.doesNotMatch(text, /\b(profile|messages|aliases)\b/);
    await requests.locator('tbody tr', { hasText: id }).filter({ hasText: 'Selesai' }).waitFor();
    assert.equal(await requests.locator('tbody tr', { hasText: 'Dewi Hapus' }).count(), 0);
    await axe('data-warga/hasil');
    await shot('data-warga-hasil-desktop');

    // The conversation is gone from Percakapan.
    await page.goto(`${BASE}/#/percakapan`);
    await page.getByRole('button', { name: 'Terbaru' }).click();
    await page.locator('.convos a', { hasText: 'Sari Petugas' }).waitFor();
    assert.equal(await page.locator('.convos a', { hasText: 'Dewi Hapus' }).count(), 0);
    assert.equal(await page.locator('.convos a', { hasText: '6281234500308' }).count(), 0);

    // The number is not known any more.
    await openPage('data-warga');
    allowed = ['/api/citizens/lookup'];
    await page.getByLabel('Nomor WhatsApp').fill('6281234500308');
    await page.getByRole('button', { name: 'Cari', exact: true }).click();
    await page.locator('.lookup-result', { hasText: 'tidak ditemukan' }).waitFor();
    allowed = [];
  });

  it('edits the operator contacts on Pengaturan; a wrong number is refused next to its field', async () => {
    await openPage('pengaturan');
    await page.getByRole('heading', { level: 1, name: 'Pengaturan' }).waitFor();
    const dlh = page.getByLabel('Dinas Lingkungan Hidup Kota Probolinggo');
    const supervisor = page.getByLabel('Supervisor');
    await dlh.fill('6281234567001\n0812345');
    await supervisor.fill('6281234567009');
    allowed = ['/api/settings/operator-contacts'];
    await page.getByRole('button', { name: 'Simpan kontak' }).click();
    const error = page.locator('#k-dlh-error');
    await error.waitFor();
    assert.match(await error.textContent(), /^0812345: Nomor WhatsApp harus diawali 62/);
    assert.equal(await dlh.getAttribute('aria-invalid'), 'true');
    assert.equal(await supervisor.getAttribute('aria-invalid'), null);
    allowed = [];
    await axe('pengaturan/galat');
    await shot('pengaturan-galat-desktop');
    await dlh.fill('6281234567001\n6281234567002\n');
    await page.getByRole('button', { name: 'Simpan kontak' }).click();
    await page.locator('.notice', { hasText: 'Kontak operator disimpan' }).waitFor();
    assert.equal(await error.count(), 0);
    assert.match(await page.getByRole('region', { name: 'Kontak operator' }).textContent(), /Versi 1, terakhir diubah .* oleh uji-admin/);
    // Stored: the page shows it again after a reload, and so does the API.
    await page.reload();
    await dlh.waitFor();
    assert.equal(await dlh.inputValue(), '6281234567001\n6281234567002');
    assert.equal(await supervisor.inputValue(), '6281234567009');
    await shot('pengaturan-desktop');
    await signOut();
  });

  it('sends a Siaran (broadcast) to a subscribed citizen; the page shows its statistics', async () => {
    // The citizen opts in to one topic through the chat (MULAI, a typed topic, selesai).
    const rina = new Citizen('6281234500309', 'Rina Siaran');
    await rina.say('MULAI', 'Ketuk topik');
    await rina.say('kesehatan', 'ditambahkan');
    await rina.say('selesai', 'Terima kasih');
    // Nothing is sent 21:00–06:00 WIB unless urgent: the local clock goes to the morning.
    await outOfQuietHours();
    await signIn('uji-operator');
    await openPage('siaran');
    await page.getByRole('link', { name: 'Siaran baru' }).click();
    await page.getByRole('heading', { level: 1, name: 'Siaran baru' }).waitFor();
    // *Mendesak* is for admins only.
    assert.equal(await page.getByLabel(/Mendesak/).count(), 0);
    await page.getByLabel('Templat', { exact: true }).selectOption('siaran_kesehatan');
    // The templates come from the API with Meta's statuses; locally every one is approved.
    const options = page.locator('#s-template option');
    assert.equal(await options.count(), 5, 'the five broadcast templates of infra/whatsapp-templates');
    assert.equal(await page.locator('#s-template option:disabled').count(), 0);
    // Nothing filled in: the API's 422 reasons stand next to their fields.
    allowed = ['/api/broadcasts'];
    await page.getByRole('button', { name: 'Simpan sebagai draf' }).click();
    await page.locator('#s-name-error').waitFor();
    await page.locator('#s-params-error').waitFor();
    assert.equal(await page.getByLabel(/Nama siaran/).getAttribute('aria-invalid'), 'true');
    await axe('siaran-baru/422');
    allowed = [];
    await page.getByLabel(/Nama siaran/).fill('Imunisasi Desember');
    assert.equal(await page.locator('#s-name-error').count(), 0, 'an edited field loses its stale error');
    await page.getByLabel(/Judul kampanye/).fill('Imunisasi Campak dan Rubela');
    await page.getByLabel(/\{\{2\}\} Isi/).fill('Bawa anak ke posyandu terdekat, gratis.');
    await page.getByLabel(/Informasi lebih lanjut/).fill('Dinas Kesehatan');
    await page.locator('.wa-preview', { hasText: 'Kampanye kesehatan Kota Probolinggo: Imunisasi Campak dan Rubela' }).waitFor();
    await page.getByLabel('Info Kesehatan').check();
    await page.locator('#s-size', { hasText: /^[1-9][0-9]* warga akan menerima/ }).waitFor();
    await axe('siaran-baru');
    await shot('siaran-baru-desktop');
    await page.getByRole('button', { name: 'Simpan sebagai draf' }).click();
    await page.getByRole('heading', { level: 1, name: 'Imunisasi Desember' }).waitFor();
    await page.locator('.badge', { hasText: 'Draf' }).waitFor();
    await page.getByRole('button', { name: 'Jadwalkan' }).click();
    await page.locator('.notice', { hasText: 'Siaran dijadwalkan' }).waitFor();
    // The scheduler runs once a minute: the template reaches the citizen within about one.
    const message = await rina.waitFor('siaran_kesehatan', 150_000);
    assert.match(JSON.stringify(message.template), /Imunisasi Campak dan Rubela/);
    await page.locator('.badge', { hasText: 'Selesai' }).waitFor({ timeout: 60_000 });
    const kpi = (label) => page.locator('.kpi', { has: page.locator('.kpi-label', { hasText: new RegExp(`^${label}$`) }) }).locator('.kpi-value');
    assert.equal((await kpi('Terkirim').textContent()).trim(), '1');
    await page.waitForFunction(() => [...document.querySelectorAll('.kpi')].some((k) => k.querySelector('.kpi-label').textContent === 'Diterima' && k.querySelector('.kpi-value').textContent.trim() === '1'), null, { timeout: 60_000 });
    await axe('siaran-detail');
    await shot('siaran-detail-desktop');
    // A done broadcast cannot be cancelled: no button; the list shows it as selesai.
    assert.equal(await page.getByRole('button', { name: 'Batalkan siaran' }).count(), 0);
    await openPage('siaran');
    await page.locator('tbody tr', { hasText: 'Imunisasi Desember' }).locator('.badge', { hasText: 'Selesai' }).waitFor();
    await shot('siaran-desktop');
    // In the simulator the citizen sees the template message.
    const simTab = await context.newPage();
    watch(simTab);
    await simTab.goto(`${BASE}/simulator`);
    await simTab.locator('.citizen', { hasText: 'Rina Siaran' }).click();
    await simTab.locator('.row.bot', { hasText: 'Imunisasi Campak dan Rubela' }).waitFor();
    await simTab.screenshot({ path: path.join(SHOTS, 'simulator-siaran.png') });
    await simTab.close();
    // The phone layout of the form and the detail.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${BASE}/#/siaran/baru`);
    await page.getByRole('heading', { level: 1, name: 'Siaran baru' }).waitFor();
    await page.waitForFunction(() => !document.querySelector('main .loading'));
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 390);
    await shot('siaran-baru-phone');
    await page.goto(`${BASE}/#/siaran`);
    await page.locator('tbody tr', { hasText: 'Imunisasi Desember' }).getByRole('link').click();
    await page.locator('.kpi').first().waitFor();
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 390);
    await shot('siaran-detail-phone');
    await page.setViewportSize({ width: 1366, height: 900 });
    await signOut();
  });

  it('keeps another OPD\'s ticket from an OPD user, even by URL', async () => {
    await signIn('uji-dlh');
    await page.goto(`${BASE}/#/aduan/${tickets.xss}`);
    await page.locator('.description').waitFor();
    // Masked number for OPD users.
    assert.match(await page.locator('.facts').textContent(), /\*{3,}/);
    allowed = [`/api/complaints/${tickets.road}`];
    await page.goto(`${BASE}/#/aduan/${tickets.road}`);
    await page.getByRole('alert').filter({ hasText: 'tidak ditemukan atau bukan wewenang Anda' }).waitFor();
    assert.equal(await page.locator('.description').count(), 0);
    allowed = [];
    await signOut();
  });

  it('fits a 390 px phone: cards instead of a table, a menu button, nothing scrolls sideways', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${BASE}/`);
    await shot('masuk-phone');
    await signIn('uji-admin');
    const nav = page.getByRole('navigation', { name: 'Menu utama' });
    assert.ok(await nav.isHidden(), 'the menu is folded away');
    for (const title of MENUS.admin) {
      const id = PAGE_IDS[title];
      await openPage(id);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(width <= 390, `${id} is ${width}px wide`);
      // Nothing sticks out on the left either (scrollWidth does not see that).
      const outside = await page.evaluate(() => [...document.querySelectorAll('body *')]
        .filter((el) => !el.closest('.skip, .sr-only'))
        .filter((el) => { const r = el.getBoundingClientRect(); return r.width > 1 && (r.left < -0.5 || r.right > 390.5); })
        .map((el) => `${el.tagName.toLowerCase()}.${el.className}`).slice(0, 5));
      assert.deepEqual(outside, [], `${id}: elements outside the 390 px viewport`);
      await shot(`${id}-phone`);
    }
    await openPage('aduan');
    const row = page.locator('tbody tr').first();
    assert.equal(await row.evaluate((el) => getComputedStyle(el).display), 'block');
    await page.getByRole('button', { name: /Menu/ }).click();
    await nav.waitFor({ state: 'visible' });
    await shot('menu-phone');
    await nav.getByRole('link', { name: 'Percakapan' }).click();
    await page.getByRole('heading', { level: 1, name: 'Percakapan' }).waitFor();
    await page.goto(`${BASE}/#/aduan/${tickets.xss}`);
    await page.locator('.description').waitFor();
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 390);
    await shot('aduan-detail-phone');
    // Keyboard: from the top, the first Tab reaches the skip link, which moves focus to the page.
    await page.reload();
    await page.locator('.description').waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.textContent.trim()), 'Lompat ke isi');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.textContent.trim()), '‹ Kembali ke daftar aduan');
    await page.setViewportSize({ width: 1366, height: 900 });
    await signOut();
  });

  it('switches the reply to the approved template outside the 24-hour window', async () => {
    // Last: this moves the local clock a day on.
    await sim('/simulator/api/clock', { advance_minutes: 25 * 60 });
    await signIn('uji-operator');
    await page.goto(`${BASE}/#/percakapan`);
    await page.getByRole('button', { name: 'Terbaru' }).click();
    await page.locator('.convos a', { hasText: 'Sari Petugas' }).click();
    await page.locator('.notice', { hasText: 'Di luar jendela 24 jam' }).waitFor();
    await page.getByLabel('Isi templat petugas_menjawab').fill('Aduan Ibu sudah kami teruskan ke petugas lapangan.');
    await page.getByRole('button', { name: 'Kirim templat' }).click();
    await page.locator('.notice', { hasText: 'Templat terkirim' }).waitFor();
    await tickets.sari.waitFor('petugas_menjawab');
    await shot('percakapan-templat-desktop');
    await signOut();
  });

  it('signs in through Cognito\'s hosted UI (code + PKCE), refreshes silently, ends a refused session, signs out at Cognito', async () => {
    // Cognito stood in for by routes, with no network: its token answers carry a real local
    // access token, so the local API accepts it. A separate browser with CSP bypassed: the
    // local server's CSP allows only its own origin, while on AWS CloudFront's policy names
    // the Cognito domain.
    const domain = 'auth.prolink.test';
    const clientId = 'klien-uji-dasbor';
    const origin = new URL(BASE).origin;
    const home = `${origin}/`;
    const login = await (await fetch(`${BASE}/api/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'uji-operator', password: PASSWORD }),
    })).json();
    assert.ok(login.access_token, 'a local access token for the stand-in Cognito');
    const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
    // auth_time is when the operator signed in: Cognito keeps it in the id tokens of later
    // refreshes, and oidc-client-ts refuses a refresh whose auth_time differs. A stand-in
    // stamping "now" on every token failed the refresh whenever the two grants fell in
    // different seconds (a slow machine).
    let authTime = 0;
    const idToken = () => {
      const now = Math.floor(Date.now() / 1000);
      return `${b64({ alg: 'RS256', typ: 'JWT', kid: 'kunci-uji' })}.${b64({
        sub: '7d1c3e5a-uji-operator', iss: `https://${domain}`, aud: clientId, token_use: 'id', auth_time: authTime, iat: now, exp: now + 3600,
        'cognito:username': 'uji-operator',
      })}.dGFuZGEtdGFuZ2FuLXVqaQ`;
    };
    const cors = { 'access-control-allow-origin': origin };
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    try {
      const cognito = await browser.newContext({ bypassCSP: true, locale: 'id-ID', timezoneId: 'Asia/Jakarta' });
      const outside = [];
      // Nothing leaves loopback: page routes (config.json, the stand-in Cognito) go first.
      await cognito.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
        outside.push(url);
        return route.abort();
      });
      const tab = await cognito.newPage();
      watch(tab);
      const seen = [];
      tab.on('request', (request) => seen.push(request.url()));
      let authorize = null;
      const grants = [];
      let refuse = false;
      let logout = null;
      await tab.route('**/config.json', (route) => route.fulfill({ json: { mode: 'cognito', api_base_url: origin, cognito_domain: domain, client_id: clientId } }));
      await tab.route(`https://${domain}/**`, async (route) => {
        const request = route.request();
        const url = new URL(request.url());
        if (url.pathname === '/oauth2/authorize') {
          authorize = url;
          // The hosted UI signs the operator in and sends the browser back with a code.
          const back = new URL(url.searchParams.get('redirect_uri'));
          back.searchParams.set('code', 'kode-uji');
          back.searchParams.set('state', url.searchParams.get('state'));
          return route.fulfill({ status: 302, headers: { location: back.toString() } });
        }
        if (url.pathname === '/oauth2/token') {
          if (request.method() === 'OPTIONS') {
            return route.fulfill({ status: 204, headers: { ...cors, 'access-control-allow-headers': '*', 'access-control-allow-methods': 'POST' } });
          }
          const form = new URLSearchParams(request.postData());
          grants.push(form);
          const refused = (error) => route.fulfill({ status: 400, json: { error }, headers: cors });
          if (form.get('client_id') !== clientId) return refused('invalid_client');
          if (form.get('grant_type') === 'authorization_code') {
            // PKCE S256: the verifier must hash to the challenge sent to authorize.
            const challenge = crypto.createHash('sha256').update(form.get('code_verifier') || '').digest('base64url');
            if (!authorize || form.get('code') !== 'kode-uji' || challenge !== authorize.searchParams.get('code_challenge')
              || form.get('redirect_uri') !== authorize.searchParams.get('redirect_uri')) return refused('invalid_grant');
            authTime = Math.floor(Date.now() / 1000);
            // Short-lived on purpose: the first API call is inside the refresh margin.
            return route.fulfill({
              json: { access_token: login.access_token, id_token: idToken(), refresh_token: 'segarkan-uji', token_type: 'Bearer', expires_in: 30 },
              headers: cors,
            });
          }
          if (form.get('grant_type') === 'refresh_token') {
            if (refuse || form.get('refresh_token') !== 'segarkan-uji') return refused('invalid_grant');
            // The first refresh answers in a later second than the sign-in, as a real one would
            // (minutes later): its id token must still carry the sign-in's auth_time.
            if (grants.filter((grant) => grant.get('grant_type') === 'refresh_token').length === 1) {
              await new Promise((resolve) => setTimeout(resolve, 1_100));
            }
            // Cognito answers a refresh with no new refresh token: the old one stays valid.
            return route.fulfill({ json: { access_token: login.access_token, id_token: idToken(), token_type: 'Bearer', expires_in: 3600 }, headers: cors });
          }
          return refused('unsupported_grant_type');
        }
        if (url.pathname === '/logout') {
          logout = url;
          return route.fulfill({ status: 302, headers: { location: url.searchParams.get('logout_uri') } });
        }
        return route.abort();
      });

      await tab.goto(home);
      await tab.getByRole('button', { name: 'Masuk dengan akun kantor' }).click();
      await tab.getByRole('heading', { level: 1, name: 'Ringkasan' }).waitFor();
      await tab.waitForFunction(() => !document.querySelector('main .loading'), null, { timeout: STEP_TIMEOUT });
      assert.equal(await tab.locator('main .error, main [role="alert"]').count(), 0, 'Ringkasan shows data, not an error');
      assert.ok(await tab.locator('main canvas').count() > 0, 'the overview charts are drawn');
      assert.equal(authorize.searchParams.get('response_type'), 'code');
      assert.equal(authorize.searchParams.get('client_id'), clientId);
      assert.equal(authorize.searchParams.get('redirect_uri'), home);
      assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
      assert.deepEqual(await tab.locator('#nav a').allTextContents(), MENUS.operator);
      assert.doesNotMatch(tab.url(), /code=|state=/, 'the code is removed from the address bar');
      // The code grant, then (its token expiring within the margin) a silent refresh with the
      // refresh token, not a hidden iframe to the hosted UI.
      assert.deepEqual(grants.map((form) => form.get('grant_type')), ['authorization_code', 'refresh_token']);
      assert.ok(!seen.some((url) => url.includes('prompt=none')), 'no iframe sign-in');

      // The page keeps working on the refreshed token, with no sign-in prompt.
      await tab.locator('#nav a', { hasText: 'Aduan' }).click();
      await tab.getByRole('heading', { level: 1, name: 'Aduan' }).waitFor();
      await tab.waitForFunction(() => !document.querySelector('main .loading'), null, { timeout: STEP_TIMEOUT });
      assert.equal(await tab.locator('.login-card').count(), 0);

      // A second refresh still sends the first refresh token; Cognito refuses it (revoked):
      // the session ends on the Masuk page with an Indonesian message.
      refuse = true;
      allowed = [`${domain}/oauth2/token`];
      await tab.evaluate(() => {
        const tokens = JSON.parse(sessionStorage.getItem('prolink.tokens'));
        tokens.expires_at = Date.now() + 5_000;
        sessionStorage.setItem('prolink.tokens', JSON.stringify(tokens));
      });
      await tab.locator('#nav a', { hasText: 'Statistik' }).click();
      await tab.getByRole('heading', { name: 'Masuk' }).waitFor();
      await tab.locator('.notice', { hasText: 'Sesi Anda berakhir. Silakan masuk lagi.' }).waitFor();
      allowed = [];
      assert.equal(grants.length, 3);
      assert.equal(grants[2].get('grant_type'), 'refresh_token');
      assert.equal(grants[2].get('refresh_token'), 'segarkan-uji');
      assert.equal(await tab.evaluate(() => sessionStorage.getItem('prolink.tokens')), null);
      assert.equal(await tab.evaluate(() => Object.keys(sessionStorage).filter((key) => key.startsWith('oidc.user:')).length), 0, 'the refused user is forgotten');

      // Sign in again, reload (a fresh page knows only the stored session), sign out: the
      // browser goes to Cognito's logout with the client id and the way back.
      refuse = false;
      await tab.getByRole('button', { name: 'Masuk dengan akun kantor' }).click();
      await tab.getByRole('heading', { level: 1, name: 'Ringkasan' }).waitFor();
      // The short-lived token of the sign-in is refreshed at the first API call: reload once
      // that refresh has stored its token, not while it is in flight (a slow machine).
      await tab.waitForFunction(() => {
        const tokens = JSON.parse(sessionStorage.getItem('prolink.tokens') || 'null');
        return tokens && tokens.expires_at - Date.now() > 120_000;
      }, null, { timeout: STEP_TIMEOUT });
      await tab.reload();
      await tab.getByRole('heading', { level: 1, name: 'Ringkasan' }).waitFor();
      await tab.getByRole('button', { name: 'Keluar' }).click();
      await tab.getByRole('heading', { name: 'Masuk' }).waitFor();
      await tab.waitForFunction(() => document.readyState === 'complete');
      assert.ok(logout, 'the browser went to Cognito\'s logout');
      assert.equal(logout.searchParams.get('client_id'), clientId);
      assert.equal(logout.searchParams.get('logout_uri'), home);
      assert.equal(await tab.evaluate(() => sessionStorage.getItem('prolink.tokens')), null);

      assert.deepEqual(outside, [], 'no request outside loopback but the stand-in Cognito');
      const hosts = new Set(seen.map((url) => new URL(url).host));
      assert.deepEqual([...hosts].filter((host) => host !== new URL(origin).host && host !== domain), []);
      await cognito.close();
    } finally {
      await browser.close();
    }
  });

  it('logged no console error, page error or failed request', () => {
    assert.deepEqual(problems, []);
  });
});
