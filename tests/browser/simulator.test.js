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
const { chromium } = require('playwright-core');
const { stripedPng } = require('./png.js');
const { cancelledByBrowser } = require('./cancelled.js');

const BASE = process.env.PROLINK_BASE_URL;
const SHOTS = process.env.PROLINK_SCREENSHOTS || path.join(__dirname, '..', 'output', 'browser');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const STEP_TIMEOUT = 15_000;

/** A small valid PNG (orange/grey stripes). */
const tinyPng = () => stripedPng([240, 130, 20], [90, 90, 90]);

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

  /**
   * Every "Ketuk *X*" in a bot bubble names a button of that same bubble, spelt exactly as
   * the button reads (WhatsApp draws the button; the text must match it).
   */
  async function assertTapTargetsExist(row) {
    const named = await row.locator('.text strong').evaluateAll((nodes) => nodes
      .filter((node) => /Ketuk\s*$/.test((node.previousSibling && node.previousSibling.textContent) || ''))
      .map((node) => node.textContent));
    assert.ok(named.length > 0, 'the text says what to tap');
    for (const name of named) {
      assert.equal(
        await row.locator('.actions').getByRole('button', { name, exact: true }).count(),
        1,
        `a button reading "${name}"`,
      );
    }
  }

  /** A quote as one line of plain text: no formatting element, no marker, cut by an ellipsis. */
  async function assertPlainOneLineQuote(quoteText, startsWith) {
    const facts = await quoteText.evaluate((node) => {
      const style = getComputedStyle(node);
      return {
        text: node.textContent,
        elements: node.querySelectorAll('*').length,
        height: node.getBoundingClientRect().height,
        lineHeight: parseFloat(style.lineHeight),
        overflowing: node.scrollWidth > node.clientWidth,
        ellipsis: style.textOverflow,
      };
    });
    assert.equal(facts.elements, 0, `plain text: ${facts.text}`);
    assert.ok(!/[*_~`]/.test(facts.text), `no WhatsApp marker: ${facts.text}`);
    assert.ok(facts.text.startsWith(startsWith), facts.text);
    assert.ok(facts.height < facts.lineHeight * 1.5, `one line (${facts.height}px): ${facts.text}`);
    assert.ok(facts.overflowing, 'a long message is cut');
    assert.equal(facts.ellipsis, 'ellipsis');
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
      // The reload below cancels a poll in flight; that is the browser, not the simulator.
      if (cancelledByBrowser(request)) return;
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

  it('draws emoji in colour and digits in the text font', async () => {
    const EMOJI_DRAWN = ['⚠', '⚠️', '👋', '🙏'];
    const drawn = await page.evaluate(async (EMOJI_DRAWN) => {
      const family = getComputedStyle(document.querySelector('.row.bot .text')).fontFamily;
      const draw = async (text, font) => {
        await document.fonts.load(`40px ${font}`, text);
        const canvas = document.createElement('canvas');
        canvas.width = 160;
        canvas.height = 64;
        const ctx = canvas.getContext('2d');
        ctx.font = `40px ${font}`;
        ctx.textBaseline = 'top';
        ctx.fillStyle = '#000';
        ctx.fillText(text, 4, 8);
        const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
        let coloured = 0;
        for (let i = 0; i < data.length; i += 4) {
          const spread = Math.max(data[i], data[i + 1], data[i + 2]) - Math.min(data[i], data[i + 1], data[i + 2]);
          if (data[i + 3] > 128 && spread > 80) coloured += 1;
        }
        return { coloured, image: canvas.toDataURL() };
      };
      const result = { family };
      // 👋 and 🙏 exist only in a colour emoji font; ⚠ also has a black-and-white glyph in
      // DejaVu Sans, which a bare ⚠ (no U+FE0F, as in many texts) would get from the text font.
      for (const emoji of EMOJI_DRAWN) result[emoji] = (await draw(emoji, family)).coloured;
      result.digits = (await draw('112 #3', family)).image === (await draw('112 #3', '"DejaVu Sans"')).image;
      return result;
    }, EMOJI_DRAWN);
    for (const emoji of EMOJI_DRAWN) {
      assert.ok(drawn[emoji] > 50, `${emoji} is drawn in colour with ${drawn.family}: ${JSON.stringify(drawn)}`);
    }
    assert.ok(drawn.digits, 'digits, # and * stay in the text font');
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
    // The answer opens with bold text (*Syarat KTP-el baru (WNI):*) and is long.
    await assertPlainOneLineQuote(page.locator('#quote-preview .quote-text'), 'Syarat KTP-el baru (WNI):');
    const before = await meRows().count();
    await page.getByLabel('Ketik pesan').fill('Terima kasih 🙏 infonya');
    await page.getByRole('button', { name: 'Kirim', exact: true }).click();
    await page.waitForFunction((count) => document.querySelectorAll('.row.me').length > count, before);
    const mine = meRows().last();
    assert.match(await mine.locator('.quote').textContent(), /PROLINK SAKTI.*Syarat KTP-el baru/s);
    await assertPlainOneLineQuote(mine.locator('.quote-text'), 'Syarat KTP-el baru (WNI):');
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
    // The photo grew the conversation when it loaded: the newest message is still in view
    // (scrolled to the end when the conversation overflows, which depends on the fonts and
    // on what came before, so the check is on the newest row's position, not on overflow).
    await page.waitForFunction(
      () => {
        const log = document.getElementById('messages');
        const rows = log.querySelectorAll('.row');
        const newest = rows[rows.length - 1];
        if (!newest) return false;
        const box = log.getBoundingClientRect();
        const last = newest.getBoundingClientRect();
        return last.bottom <= box.bottom + 2 && last.top >= box.top - 2
          && log.scrollHeight - log.scrollTop - log.clientHeight < 2;
      },
      null,
      { timeout: 5_000 },
    );
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

  it('follows a message that grows before its load event, unless the reader scrolled up', async () => {
    // A photo gets its size from its header, so the log can grow between a scroll to the end
    // and that scroll's event (dispatched a frame later); the event then finds the log far from
    // its end although nobody scrolled. That must not stop the log following the newest message.
    const outcome = await page.evaluate(async () => {
      const log = document.getElementById('messages');
      const frames = async () => {
        for (let i = 0; i < 3; i += 1) await new Promise((done) => requestAnimationFrame(done));
      };
      const gap = () => log.scrollHeight - log.scrollTop - log.clientHeight;
      const photo = [...document.querySelectorAll('.row.me img.photo')].pop();
      const grower = document.createElement('div');
      grower.style.flex = 'none'; // the log is a flex column: keep the height it is given
      // Taller than the log, so that it overflows whatever came before.
      const tall = log.clientHeight + 200;
      grower.style.height = `${tall}px`;
      log.append(grower);
      log.scrollTop = log.scrollHeight; // what the page does when a message arrives
      grower.style.height = `${tall + 400}px`; // the photo's size is known: the log grows
      await frames(); // the scroll event is dispatched now, far from the end
      photo.dispatchEvent(new Event('load'));
      const followed = gap();
      // The reader scrolls up to read something older: a photo loading leaves them there.
      log.scrollTop = 0;
      await frames();
      grower.style.height = `${tall + 800}px`;
      photo.dispatchEvent(new Event('load'));
      const stayed = log.scrollTop;
      grower.remove();
      log.scrollTop = log.scrollHeight;
      await frames();
      return { followed, stayed };
    });
    assert.ok(outcome.followed < 2, `the log stopped ${outcome.followed}px before its end`);
    assert.equal(outcome.stayed, 0, 'the log jumped away from what the reader scrolled to');
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
    await assertTapTargetsExist(ask);
    await ask.getByRole('button', { name: 'Kirim lokasi' }).click();
    const places = page.getByRole('dialog');
    await places.waitFor({ state: 'visible' });
    await expectBotReply(
      () => places.getByRole('button', { name: /Alun-Alun Kota Probolinggo/ }).click(),
      'Ada foto?',
    );
    assert.match(await meRows().last().locator('.location-card').textContent(), /Alun-Alun Kota Probolinggo/);
    // The tap quotes the request: plain, where the bubble shows *Di mana lokasinya?* in bold.
    await assertPlainOneLineQuote(meRows().last().locator('.quote-text'), '📍 Di mana lokasinya? Ketuk Kirim lokasi');
    await assertTapTargetsExist(botRow('Ada foto?'));

    // A photo whose caption holds WhatsApp markers: quoted plain in the summary.
    await page.getByRole('button', { name: 'Lampirkan' }).click();
    const [chooser] = await Promise.all([
      page.waitForEvent('filechooser'),
      page.getByRole('button', { name: /Foto/ }).click(),
    ]);
    await chooser.setFiles({ name: 'tps.png', mimeType: 'image/png', buffer: tinyPng() });
    await page.getByRole('dialog').waitFor({ state: 'visible' });
    await page.getByLabel('Keterangan (opsional)').fill('Tumpukan *sampah* di _sudut_ TPS');
    await expectBotReply(
      () => page.getByRole('dialog').getByRole('button', { name: 'Kirim' }).click(),
      '1 dari 3 foto diterima',
    );
    await expectBotReply(
      () => botRow('1 dari 3 foto').getByRole('button', { name: 'Selesai kirim foto', exact: true }).click(),
      'Identitas pelapor',
    );
    await expectBotReply(
      () => botRow('Identitas pelapor').getByRole('button', { name: 'Biasa', exact: true }).click(),
      'Kirim aduan ini?',
    );
    const summary = botRow('Ringkasan aduan');
    const summaryText = await summary.locator('.text').first().textContent();
    // The category by the name the list showed.
    assert.ok(summaryText.includes('Kategori: Sampah tidak diangkut\n'), summaryText);
    assert.ok(summaryText.includes(description), summaryText);
    assert.ok(summaryText.includes('Foto: 1 foto\n   • “Tumpukan sampah di sudut TPS”\n'), summaryText);
    assert.equal(await summary.locator('.text strong', { hasText: 'sampah' }).count(), 0);
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

  it('shows a template message with its approved text, as the citizen sees it', async () => {
    // The complaint's response deadline passes unanswered: the scheduler (a tick a minute)
    // tells the citizen, whose 24-hour window has closed by then, through a template.
    const panel = page.getByRole('region', { name: 'Alat uji: majukan waktu' });
    // To 10:00 WIB of the fourth working day after today's (simulated) date: past the
    // two-working-day response deadline, on a day and at an hour progress notes go out
    // (working days, 09:00–21:00 WIB), whatever the day and time the test runs at. Every date
    // of the seed's holiday list counts as a day off.
    const { now_ms: now } = await (await page.request.get(`${BASE}/simulator/api/clock`)).json();
    const seed = path.join(__dirname, '..', '..', 'infra', 'seed');
    const daysOff = new Set(fs.readdirSync(seed)
      .filter((name) => /^holidays.*\.json$/.test(name))
      .flatMap((name) => JSON.parse(fs.readFileSync(path.join(seed, name), 'utf8')).entries.map((entry) => entry.date)));
    const DAY = 86_400_000;
    const WIB = 7 * 3_600_000;
    // Shifted by WIB, so that the UTC fields of these instants are the WIB date.
    const working = (shifted) => {
      const date = new Date(shifted);
      return ![0, 6].includes(date.getUTCDay()) && !daysOff.has(date.toISOString().slice(0, 10));
    };
    let day = Math.floor((now + WIB) / DAY) * DAY;
    for (let found = 0; found < 4;) {
      day += DAY;
      if (working(day)) found += 1;
    }
    const target = day + 10 * 3_600_000 - WIB;
    await panel.getByLabel('Menit').fill(String(Math.ceil((target - now) / 60_000)));
    await panel.getByRole('button', { name: 'Majukan' }).click();
    const row = page.locator('.row.bot[data-type="template"]').last();
    await row.waitFor({ timeout: 120_000 });
    const text = await row.locator('.text').textContent();
    assert.match(
      text,
      /^Aduan Anda dengan nomor tiket PS-[0-9A-Z]{6} masih ditangani oleh Dinas Lingkungan Hidup Kota Probolinggo\.\n/,
    );
    assert.ok(!text.includes('{{'), text);
    assert.match(await row.locator('.text strong').first().textContent(), /^PS-[0-9A-Z]{6}$/);
    assert.equal(await row.locator('.footer-text').textContent(), 'PROLINK SAKTI - Pemerintah Kota Probolinggo');
    assert.equal(await row.locator('.params').count(), 0, 'no bare parameter list');
    await screenshot('templat-perkembangan');
  });

  it('fits a phone: at 390×844 the chat comes first with the message box in view', async () => {
    // A touch phone of its own (no hover), with the same rule: nothing leaves the machine.
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const phoneContext = await browser.newContext({
        viewport: { width: 390, height: 844 },
        isMobile: true,
        hasTouch: true,
        locale: 'id-ID',
        timezoneId: 'Asia/Jakarta',
      });
      const origin = new URL(BASE).origin;
      await phoneContext.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
        problems.push(`phone: request outside the local server: ${url}`);
        return route.abort();
      });
      const phone = await phoneContext.newPage();
      phone.setDefaultTimeout(STEP_TIMEOUT);
      phone.on('console', (message) => {
        if (message.type() === 'error' || message.type() === 'warning') problems.push(`phone console: ${message.text()}`);
      });
      phone.on('pageerror', (error) => problems.push(`phone page error: ${error.message}`));
      await phone.goto(`${BASE}/simulator`);
      await phone.locator('#chat-sub', { hasText: 'Anda:' }).waitFor();
      await phone.locator('.row, .empty').first().waitFor();

      const inView = () => phone.evaluate(() => {
        const box = document.getElementById('compose-text').getBoundingClientRect();
        const log = document.getElementById('messages').getBoundingClientRect();
        return {
          top: box.top,
          bottom: box.bottom,
          scrollY: window.scrollY,
          pageHeight: document.documentElement.scrollHeight,
          logHeight: log.height,
          height: window.innerHeight,
        };
      });
      const check = (facts, when) => {
        assert.equal(facts.scrollY, 0, `${when}: ${JSON.stringify(facts)}`);
        assert.ok(facts.top >= 0 && facts.bottom <= facts.height, `${when}: message box in view ${JSON.stringify(facts)}`);
        assert.ok(facts.pageHeight <= facts.height, `${when}: the page itself does not scroll ${JSON.stringify(facts)}`);
        assert.ok(facts.logHeight >= facts.height / 2, `${when}: the chat takes the screen ${JSON.stringify(facts)}`);
      };
      check(await inView(), 'on opening');
      assert.ok(await phone.locator('.citizen').first().isHidden(), 'the citizens wait behind a button');
      assert.ok(await phone.getByRole('region', { name: 'Alat uji: majukan waktu' }).isHidden());
      shot += 1;
      await phone.screenshot({ path: path.join(SHOTS, `${String(shot).padStart(2, '0')}-ponsel-obrolan.png`) });

      // The panel opens from the header, shows citizens and the time tool, and closes on a pick.
      const toggle = phone.getByRole('button', { name: 'Warga & alat uji' });
      await toggle.tap();
      assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
      await phone.locator('.citizen', { hasText: 'Budi Santoso' }).waitFor({ state: 'visible' });
      assert.ok(await phone.getByRole('region', { name: 'Alat uji: majukan waktu' }).isVisible());
      shot += 1;
      await phone.screenshot({ path: path.join(SHOTS, `${String(shot).padStart(2, '0')}-ponsel-panel-warga.png`) });
      await phone.locator('.citizen', { hasText: 'Budi Santoso' }).tap();
      await phone.locator('#chat-sub', { hasText: 'Budi Santoso' }).waitFor();
      await phone.locator('.citizen').first().waitFor({ state: 'hidden' });
      assert.equal(await toggle.getAttribute('aria-expanded'), 'false');

      // A long answer keeps the message box in view; with no hover, quoting is one tap away.
      await phone.getByLabel('Ketik pesan').fill('halo');
      await phone.getByRole('button', { name: 'Kirim', exact: true }).tap();
      await phone.locator('.row.bot', { hasText: 'Selamat datang' }).last().waitFor();
      check(await inView(), 'after an answer');
      const reply = phone.locator('.row.bot').last().getByRole('button', { name: 'Balas (kutip) pesan ini' });
      assert.equal(await reply.evaluate((node) => getComputedStyle(node).opacity), '1');
      await reply.tap();
      await phone.locator('#quote-bar').waitFor({ state: 'visible' });
      check(await inView(), 'while quoting');
      shot += 1;
      await phone.screenshot({ path: path.join(SHOTS, `${String(shot).padStart(2, '0')}-ponsel-kutip.png`) });
    } finally {
      await browser.close();
    }
  });

  it('logged no console error, page error or failed request', () => {
    assert.deepEqual(problems, []);
  });
});
