// The WhatsApp simulator of `prolink serve` in a real Chromium: a whole conversation as a
// tester would have it (greeting, menu row, FAQ answer, quoting, a location, a photo, a
// handoff), delivery ticks from the status flow, time travel, persistence, and no console
// error anywhere. Screenshots of every step go to PROLINK_SCREENSHOTS.
//
// Needs: PROLINK_BASE_URL (a running `prolink serve` on a fresh data folder), Debian's
// chromium at CHROMIUM_PATH (default /usr/bin/chromium).
'use strict';

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { chromium } = require('playwright-core');

const BASE = process.env.PROLINK_BASE_URL;
const SHOTS = process.env.PROLINK_SCREENSHOTS || path.join(__dirname, '..', 'output', 'browser');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const STEP_TIMEOUT = 15_000;

/** A small valid PNG (RGB, 24×16, orange/grey stripes), built here so no file is needed. */
function tinyPng() {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buffer) => {
    let c = 0xffffffff;
    for (const byte of buffer) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([length, body, sum]);
  };
  const width = 24;
  const height = 16;
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const rows = [];
  for (let y = 0; y < height; y += 1) {
    const row = [0];
    for (let x = 0; x < width; x += 1) row.push(...((x + y) % 8 < 4 ? [240, 130, 20] : [90, 90, 90]));
    rows.push(Buffer.from(row));
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('WhatsApp simulator in Chromium', () => {
  let context;
  let page;
  let profile;
  const problems = [];
  let shot = 0;

  async function screenshot(name) {
    shot += 1;
    const file = path.join(SHOTS, `${String(shot).padStart(2, '0')}-${name}.png`);
    await page.screenshot({ path: file, fullPage: false });
    return file;
  }

  const botRows = () => page.locator('.row.bot');
  const meRows = () => page.locator('.row.me');

  /** Runs `action` and waits until the bot has answered with a bubble containing `text`. */
  async function expectBotReply(action, text) {
    const before = await botRows().count();
    await action();
    await page.waitForFunction(
      ([count, wanted]) => {
        const rows = [...document.querySelectorAll('.row.bot')];
        return rows.length > count && rows.slice(count).some((row) => row.textContent.includes(wanted));
      },
      [before, text],
      { timeout: STEP_TIMEOUT },
    );
    return botRows().last();
  }

  async function openLastList(buttonName) {
    await botRows().last().getByRole('button', { name: buttonName }).click();
    const sheet = page.getByRole('dialog');
    await sheet.waitFor({ state: 'visible' });
    return sheet;
  }

  before(async () => {
    assert.ok(BASE, 'PROLINK_BASE_URL must point at a running `prolink serve`');
    fs.mkdirSync(SHOTS, { recursive: true });
    profile = fs.mkdtempSync(path.join(os.tmpdir(), 'prolink-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 800 },
      locale: 'id-ID',
      timezoneId: 'Asia/Jakarta',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-dev-shm-usage',
      ],
    });
    context.setDefaultTimeout(STEP_TIMEOUT);
    // Nothing may leave the machine: any request outside the server under test is a bug.
    const origin = new URL(BASE).origin;
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
      problems.push(`request outside the local server: ${url}`);
      return route.abort();
    });
    page = context.pages()[0] || (await context.newPage());
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') {
        problems.push(`console ${message.type()}: ${message.text()}`);
      }
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('requestfailed', (request) => {
      const failure = request.failure();
      problems.push(`request failed: ${request.url()} ${failure ? failure.errorText : ''}`);
    });
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
    });
  });

  after(async () => {
    if (context) await context.close();
    if (profile) fs.rmSync(profile, { recursive: true, force: true });
  });

  it('opens with a default citizen and adds a second one', async () => {
    const response = await page.goto(`${BASE}/simulator`);
    assert.equal(response.status(), 200);
    const csp = response.headers()['content-security-policy'] || '';
    assert.match(csp, /default-src 'self'/);
    await page.locator('.citizen').first().waitFor();
    assert.equal(await page.locator('h1').textContent(), 'Simulator WhatsApp');

    await page.getByText('Tambah warga').click();
    await page.getByLabel('Nomor WhatsApp').fill('6281234500099');
    await page.getByLabel('Nama profil').fill('Sari Wulandari');
    await page.getByRole('button', { name: 'Simpan warga' }).click();
    await page.locator('#chat-sub', { hasText: 'Sari Wulandari' }).waitFor();
    assert.equal(await page.locator('.citizen').count(), 2);
    assert.equal(
      await page.locator('.citizen[aria-current="true"] .citizen-name').textContent(),
      'Sari Wulandari',
    );
    await page.locator('.empty').waitFor();
    await screenshot('warga-baru');
  });

  it('greets with the main menu, formatted as WhatsApp does', async () => {
    const reply = await expectBotReply(async () => {
      await page.getByLabel('Ketik pesan').fill('halo');
      await page.keyboard.press('Enter');
    }, 'Selamat datang');
    assert.equal(await meRows().last().locator('.text').textContent(), 'halo');
    // *PROLINK SAKTI* → bold, _syarat KTP-el baru_ → italic, line breaks kept.
    assert.equal(await reply.locator('.text strong').first().textContent(), 'PROLINK SAKTI');
    assert.equal(await reply.locator('.text em').first().textContent(), 'syarat KTP-el baru');
    assert.equal(await reply.locator('.header-text').textContent(), 'PROLINK SAKTI');
    assert.match(await reply.locator('.footer-text').textContent(), /MENU/);
    const text = await reply.locator('.text').first().textContent();
    assert.ok(text.includes('\n'), 'line breaks are kept');
    assert.ok(!text.includes('*PROLINK'), 'markers are not shown');
    await screenshot('sapaan-menu-utama');
  });

  it('opens the list sheet and taps "Informasi Publik", then a topic', async () => {
    const sheet = await openLastList('Lihat Menu');
    const row = sheet.locator('.sheet-row', { hasText: 'Informasi Publik' });
    assert.match(await row.locator('.row-description').textContent(), /KTP/);
    assert.ok((await sheet.locator('.sheet-row').count()) >= 5);
    await screenshot('lembar-daftar-menu');
    await expectBotReply(() => row.click(), 'Pilih Topik');
    assert.equal(await meRows().last().locator('.text').textContent(), 'Informasi Publik');
    const topics = await openLastList('Pilih Topik');
    await expectBotReply(
      () => topics.locator('.sheet-row', { hasText: 'Kependudukan (Dukcapil)' }).click(),
      'Pilih Pertanyaan',
    );
  });

  it('answers a FAQ chosen from a list', async () => {
    const questions = await openLastList('Pilih Pertanyaan');
    await screenshot('lembar-daftar-pertanyaan');
    const answer = await expectBotReply(
      () => questions.locator('.sheet-row', { hasText: 'Syarat KTP-el baru' }).click(),
      'Syarat KTP-el baru (WNI)',
    );
    assert.equal(await answer.locator('.text strong').first().textContent(), 'Syarat KTP-el baru (WNI):');
    await screenshot('jawaban-faq');
  });

  it('quotes the answer in a reply (context)', async () => {
    const answer = botRows().last();
    await answer.hover();
    await answer.getByRole('button', { name: 'Balas (kutip) pesan ini' }).click();
    await page.locator('#quote-bar').waitFor({ state: 'visible' });
    const before = await meRows().count();
    await page.getByLabel('Ketik pesan').fill('Terima kasih 🙏 infonya');
    await page.getByRole('button', { name: 'Kirim', exact: true }).click();
    await page.waitForFunction((count) => document.querySelectorAll('.row.me').length > count, before);
    const mine = meRows().last();
    assert.match(await mine.locator('.quote').textContent(), /PROLINK SAKTI.*Syarat KTP-el baru/s);
    assert.ok(await page.locator('#quote-bar').isHidden());
  });

  it('sends a location from the preset places', async () => {
    await page.getByRole('button', { name: 'Lampirkan' }).click();
    await page.getByRole('button', { name: 'Lokasi' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor({ state: 'visible' });
    await screenshot('pilih-lokasi');
    await expectBotReply(
      () => dialog.getByRole('button', { name: /Kantor Wali Kota Probolinggo/ }).click(),
      'lokasi Anda sudah kami terima',
    );
    const card = meRows().last().locator('.location-card');
    assert.match(await card.textContent(), /Kantor Wali Kota Probolinggo/);
    assert.match(await card.locator('.coords').textContent(), /^-7\.\d+, 113\.\d+$/);
    await screenshot('lokasi-terkirim');
  });

  it('sends a photo, which the citizen sees and the bot receives as a media id', async () => {
    await page.getByRole('button', { name: 'Lampirkan' }).click();
    const [chooser] = await Promise.all([
      page.waitForEvent('filechooser'),
      page.getByRole('button', { name: /Foto/ }).click(),
    ]);
    await chooser.setFiles({ name: 'lampu-mati.png', mimeType: 'image/png', buffer: tinyPng() });
    const dialog = page.getByRole('dialog');
    await dialog.waitFor({ state: 'visible' });
    await page.getByLabel('Keterangan (opsional)').fill('Lampu jalan mati di Jl. Suroyo');
    await expectBotReply(() => dialog.getByRole('button', { name: 'Kirim' }).click(), 'Buat Aduan');
    const photo = meRows().last().locator('img.photo');
    await page.waitForFunction(
      () => {
        const imgs = document.querySelectorAll('.row.me img.photo');
        const img = imgs[imgs.length - 1];
        return img && img.complete && img.naturalWidth === 24;
      },
      null,
      { timeout: STEP_TIMEOUT },
    );
    assert.equal(await photo.getAttribute('alt'), 'Foto: Lampu jalan mati di Jl. Suroyo');
    // The same bytes through the Graph-compatible download flow (what the media code uses).
    const src = await photo.getAttribute('src');
    const mediaId = decodeURIComponent(src.split('/').pop());
    const meta = await page.request.get(`${BASE}/simulator/graph/v25.0/${mediaId}`, {
      headers: { authorization: 'Bearer lokal' },
    });
    assert.equal(meta.status(), 200);
    const info = await meta.json();
    assert.equal(info.mime_type, 'image/png');
    assert.equal(info.file_size, String(tinyPng().length));
    const file = await page.request.get(info.url, { headers: { authorization: 'Bearer lokal' } });
    assert.equal(file.status(), 200);
    assert.deepEqual(Buffer.from(await file.body()), tinyPng());
    await screenshot('foto-terkirim');
  });

  it('hands over to an officer on "petugas"', async () => {
    const notice = await expectBotReply(async () => {
      await page.getByLabel('Ketik pesan').fill('petugas');
      await page.keyboard.press('Enter');
    }, 'teruskan ke petugas');
    assert.ok(await notice.getByRole('button', { name: 'Kembali ke Bot' }).isVisible());
    await screenshot('serah-ke-petugas');
  });

  it('shows delivery and read ticks from the status flow', async () => {
    // Every bot message gets sent+delivered from the simulated Meta, then read because the
    // chat is open; the citizen's messages turn read when the bot marks them read.
    await page.waitForFunction(
      () => {
        const bot = [...document.querySelectorAll('.row.bot .ticks')];
        return bot.length > 0 && bot.every((tick) => ['delivered', 'read'].includes(tick.dataset.state));
      },
      null,
      { timeout: STEP_TIMEOUT },
    );
    await page.waitForFunction(
      () => [...document.querySelectorAll('.row.bot .ticks')].every((tick) => tick.dataset.state === 'read'),
      null,
      { timeout: STEP_TIMEOUT },
    );
    const mine = await page.locator('.row.me .ticks').evaluateAll((ticks) => ticks.map((t) => t.dataset.state));
    assert.ok(mine.length >= 6, `citizen messages: ${mine}`);
    assert.equal(mine[0], 'read', 'the bot marked the greeting read');
    assert.match(
      await page.locator('.row.bot .ticks').first().getAttribute('aria-label'),
      /Status pesan bot: Dibaca/,
    );
    await screenshot('centang-dibaca');
  });

  it('moves the clock with the marked test tool', async () => {
    const panel = page.getByRole('region', { name: 'Alat uji: majukan waktu' });
    assert.equal(await panel.locator('#clock-offset').textContent(), '0 menit');
    await panel.getByRole('button', { name: '+25 jam' }).click();
    await panel.locator('#clock-offset', { hasText: '1 hari 1 jam' }).waitFor();
    const clock = await (await page.request.get(`${BASE}/simulator/api/clock`)).json();
    assert.equal(clock.offset_ms, 25 * 3_600_000);
    // A message after the jump carries the moved time and lands under a new day chip.
    const days = await page.locator('.day').count();
    await expectBotReply(async () => {
      await page.getByLabel('Ketik pesan').fill('batal');
      await page.keyboard.press('Enter');
    }, '');
    assert.ok((await page.locator('.day').count()) > days, 'a new day separator appears');
    await screenshot('alat-uji-waktu');
  });

  it('keeps conversations per citizen across a reload', async () => {
    // A turn can have several replies (the lapse notice, then the answer): count only once
    // the conversation has stopped growing.
    let rowsBefore = await page.locator('.row').count();
    for (let settled = 0, tries = 0; settled < 4 && tries < 40; tries += 1) {
      await page.waitForTimeout(250);
      const now = await page.locator('.row').count();
      settled = now === rowsBefore ? settled + 1 : 0;
      rowsBefore = now;
    }
    await page.reload();
    await page.locator('#chat-sub', { hasText: 'Sari Wulandari' }).waitFor();
    await page.waitForFunction((count) => document.querySelectorAll('.row').length === count, rowsBefore);
    await page.locator('.citizen', { hasText: 'Budi Santoso' }).click();
    await page.locator('#chat-sub', { hasText: 'Budi Santoso' }).waitFor();
    await page.locator('.empty').waitFor();
    assert.equal(await page.locator('.row').count(), 0);
    await page.locator('.citizen', { hasText: 'Sari Wulandari' }).click();
    await page.waitForFunction((count) => document.querySelectorAll('.row').length === count, rowsBefore);
  });

  it('is operable by keyboard and labels every control', async () => {
    const unlabeled = await page.evaluate(() => {
      const missing = [];
      for (const control of document.querySelectorAll('button, a[href], input:not([type=file]), textarea')) {
        const named = (control.getAttribute('aria-label') || control.textContent || '').trim()
          || (control.labels && control.labels.length > 0);
        if (!named) missing.push(control.outerHTML.slice(0, 80));
      }
      for (const img of document.querySelectorAll('img')) {
        if (!img.getAttribute('alt')) missing.push(img.outerHTML.slice(0, 80));
      }
      return missing;
    });
    assert.deepEqual(unlabeled, []);
    // The list sheet opens and closes from the keyboard; focus goes into it.
    await page.locator('.row.bot .actions button', { hasText: 'Lihat Menu' }).first().focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').waitFor({ state: 'visible' });
    assert.ok(await page.evaluate(() => document.activeElement.closest('dialog') !== null));
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
  });

  it('files a complaint through the form and tracks it by its ticket', async () => {
    // A fresh citizen, so the form starts from the privacy notice (no consent on file yet).
    await page.getByText('Tambah warga').click();
    await page.getByLabel('Nomor WhatsApp').fill('6281234500077');
    await page.getByLabel('Nama profil').fill('Rina Maharani');
    await page.getByRole('button', { name: 'Simpan warga' }).click();
    await page.locator('#chat-sub', { hasText: 'Rina Maharani' }).waitFor();
    await page.locator('.empty').waitFor();
    const type = async (text) => {
      await page.getByLabel('Ketik pesan').fill(text);
      await page.keyboard.press('Enter');
    };
    const botRow = (text) => botRows().filter({ hasText: text }).last();

    await expectBotReply(() => type('buat aduan'), 'Sebelum membuat aduan');
    const notice = botRow('Sebelum membuat aduan');
    assert.ok(await notice.getByRole('button', { name: 'Setuju', exact: true }).isVisible());
    assert.ok(await notice.getByRole('button', { name: 'Tidak Setuju', exact: true }).isVisible());
    await screenshot('aduan-persetujuan');
    await expectBotReply(
      () => notice.getByRole('button', { name: 'Setuju', exact: true }).click(),
      'Pilih kategori yang paling sesuai',
    );
    assert.equal(await meRows().last().locator('.text').textContent(), 'Setuju');

    const categories = await openLastList('Pilih Kategori');
    const sampah = categories.locator('.sheet-row', { hasText: 'Sampah tidak diangkut' });
    assert.match(await sampah.locator('.row-description').textContent(), /TPS penuh/);
    await screenshot('aduan-kategori');
    await expectBotReply(() => sampah.click(), 'Ceritakan masalahnya');

    const description = 'Sampah di TPS Jl. Suroyo menumpuk sejak lima hari dan mulai berbau.';
    await expectBotReply(() => type(description), 'Di mana lokasinya');
    const ask = botRow('Di mana lokasinya');
    await ask.getByRole('button', { name: 'Kirim lokasi' }).click();
    const places = page.getByRole('dialog');
    await places.waitFor({ state: 'visible' });
    await expectBotReply(
      () => places.getByRole('button', { name: /Alun-Alun Kota Probolinggo/ }).click(),
      'Ada foto?',
    );
    assert.match(await meRows().last().locator('.location-card').textContent(), /Alun-Alun Kota Probolinggo/);

    await expectBotReply(
      () => botRow('Ada foto?').getByRole('button', { name: 'Tanpa foto', exact: true }).click(),
      'Identitas pelapor',
    );
    await expectBotReply(
      () => botRow('Identitas pelapor').getByRole('button', { name: 'Biasa', exact: true }).click(),
      'Kirim aduan ini?',
    );
    const summary = botRow('Ringkasan aduan');
    const summaryText = await summary.locator('.text').first().textContent();
    assert.ok(summaryText.includes('Sampah Menumpuk / Tidak Diangkut'), summaryText);
    assert.ok(summaryText.includes(description), summaryText);
    assert.match(summaryText, /Foto: tanpa foto/);
    await screenshot('aduan-ringkasan');

    await expectBotReply(
      () => botRow('Kirim aduan ini?').getByRole('button', { name: 'Kirim', exact: true }).click(),
      'Nomor tiket',
    );
    const receipt = botRow('Nomor tiket');
    const receiptText = await receipt.locator('.text').first().textContent();
    const found = receiptText.match(/Nomor tiket: (PS-[0-9A-HJKMNP-TV-Z]{6})/);
    assert.ok(found, receiptText);
    const ticket = found[1];
    // *PS-…* is bold in WhatsApp, so it is a <strong> here.
    assert.equal(await receipt.locator('.text strong', { hasText: ticket }).first().textContent(), ticket);
    await screenshot('aduan-tiket');

    await expectBotReply(() => type(`cek ${ticket}`), `Aduan ${ticket}`);
    const timeline = botRow(`Aduan ${ticket}`);
    const timelineText = await timeline.locator('.text').first().textContent();
    assert.ok(timelineText.includes('Status: Diterima'), timelineText);
    assert.equal(
      await timeline.locator('.text strong', { hasText: /^Diterima$/ }).first().textContent(),
      'Diterima',
    );
    await screenshot('aduan-cek-status');
  });

  it('logged no console error, page error or failed request', () => {
    assert.deepEqual(problems, []);
  });
});
