// Simulator WhatsApp · PROLINK SAKTI (local mode). Plain browser JavaScript, no framework.
// Every text from the bot or a citizen is put in the page as text nodes (never parsed as HTML);
// WhatsApp's formatting is rebuilt from DOM elements.
'use strict';

(() => {
  const POLL_MS = 700;
  const MAX_IMAGE_BYTES = 5 * 1024 * 1024;
  const MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;
  const STORAGE_KEY = 'prolink.simulator.citizen';
  const DEFAULT_CITIZEN = { number: '6281234567890', name: 'Budi Santoso' };
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const EMOJI = ['😀', '😊', '😂', '🙏', '👍', '👋', '🙂', '😢', '😡', '❤️', '🔥', '✅',
    '❌', '📍', '📷', '📄', '🚧', '🗑️', '💡', '🚑', '🏥', '🏫', '⏰', '🎉'];
  // Places in Kota Probolinggo for the location picker; coordinates are approximate.
  const PLACES = [
    { name: 'Kantor Wali Kota Probolinggo', address: 'Jl. Panglima Sudirman No. 19, Kanigaran', latitude: -7.7554, longitude: 113.2165 },
    { name: 'Alun-Alun Kota Probolinggo', address: 'Jl. Suroyo, Mayangan', latitude: -7.7473, longitude: 113.2158 },
    { name: 'Pelabuhan Tanjung Tembaga', address: 'Jl. Tanjung Tembaga, Mayangan', latitude: -7.7362, longitude: 113.2201 },
    { name: 'Stasiun Probolinggo', address: 'Jl. KH Mansyur, Mayangan', latitude: -7.7497, longitude: 113.2164 },
    { name: 'RSUD dr. Mohamad Saleh', address: 'Jl. Mayjen Panjaitan No. 65, Mayangan', latitude: -7.7612, longitude: 113.2139 },
    { name: 'Pasar Baru Kota Probolinggo', address: 'Jl. Dr. Sutomo, Mayangan', latitude: -7.7515, longitude: 113.2146 },
    { name: 'Terminal Bayuangga', address: 'Jl. Raya Bromo, Kedopok', latitude: -7.7783, longitude: 113.1953 },
  ];
  const STATE_LABELS = {
    pending: 'Menunggu dikirim',
    sent: 'Terkirim',
    delivered: 'Diterima',
    read: 'Dibaca',
    failed: 'Gagal',
    undeliverable: 'Tidak terkirim',
  };

  const $ = (id) => document.getElementById(id);
  const els = {
    app: $('app'),
    panelToggle: $('panel-toggle'),
    panelClose: $('panel-close'),
    citizens: $('citizens'),
    citizenForm: $('citizen-form'),
    addCitizen: $('add-citizen'),
    chatSub: $('chat-sub'),
    messages: $('messages'),
    error: $('error'),
    compose: $('compose'),
    text: $('compose-text'),
    emojiButton: $('emoji-button'),
    emojiPanel: $('emoji-panel'),
    attachButton: $('attach-button'),
    attachMenu: $('attach-menu'),
    imageInput: $('image-input'),
    documentInput: $('document-input'),
    quoteBar: $('quote-bar'),
    quotePreview: $('quote-preview'),
    quoteCancel: $('quote-cancel'),
    listSheet: $('list-sheet'),
    listSheetTitle: $('list-sheet-title'),
    listSheetSections: $('list-sheet-sections'),
    locationDialog: $('location-dialog'),
    locationPresets: $('location-presets'),
    locationForm: $('location-form'),
    mediaDialog: $('media-dialog'),
    mediaPreview: $('media-preview'),
    mediaForm: $('media-form'),
    mediaCaption: $('media-caption'),
    clockNow: $('clock-now'),
    clockOffset: $('clock-offset'),
    clockForm: $('clock-form'),
    advanceMinutes: $('advance-minutes'),
  };

  const state = {
    citizens: [],
    current: null,
    items: new Map(), // wamid → item
    rendered: [], // wamids in DOM order
    quote: null, // { wamid, text }
    locationContext: null,
    pendingMedia: null,
    pollTimer: null,
    generation: 0,
    readInFlight: false,
    previewUrl: null,
    atBottom: true, // the message log is scrolled to its end
    templates: new Map(), // `name:language` → the template as submitted to Meta
  };

  // -------------------------------------------------------------------------------------------
  // Helpers
  // -------------------------------------------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function icon(paths, extraClass) {
    const svg = document.createElementNS(SVG_NS, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    if (extraClass) svg.setAttribute('class', extraClass);
    for (const d of paths) {
      const path = document.createElementNS(SVG_NS, 'path');
      path.setAttribute('d', d);
      svg.appendChild(path);
    }
    return svg;
  }

  const ICONS = {
    list: ['M4 6h16', 'M4 12h16', 'M4 18h16'],
    reply: ['M10 8L5 12l5 4', 'M5 12h9a5 5 0 015 5v1'],
    external: ['M14 4h6v6', 'M20 4l-9 9', 'M18 14v5a1 1 0 01-1 1H5a1 1 0 01-1-1V7a1 1 0 011-1h5'],
    pin: ['M12 21s-7-6.2-7-11.5A7 7 0 0119 9.5C19 14.8 12 21 12 21z', 'M12 12.2a2.5 2.5 0 100-5 2.5 2.5 0 000 5z'],
    file: ['M14 3H7a2 2 0 00-2 2v14a2 2 0 002 2h10a2 2 0 002-2V8z', 'M14 3v5h5'],
    image: ['M4 5h16v14H4z', 'M4 16l5-5 4 4 3-3 4 4', 'M15.5 9.5h.01'],
    single: ['M4 13l4 4L16 7'],
    double: ['M2 13l4 4L14 7', 'M10 15l2 2 8-10'],
    clock: ['M12 7v5l3 2', 'M12 21a9 9 0 100-18 9 9 0 000 18z'],
    cross: ['M6 6l12 12', 'M18 6L6 18'],
  };

  function showError(message) {
    els.error.textContent = message || '';
  }

  async function api(path, options = {}) {
    const init = { method: options.method || 'GET', headers: {} };
    if (options.json !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(options.json);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (networkError) {
      throw new Error('Server simulator tidak dapat dihubungi. Apakah `prolink serve` masih berjalan?');
    }
    let data = null;
    try {
      data = await response.json();
    } catch (parseError) {
      data = null;
    }
    if (!response.ok) {
      throw new Error((data && data.error) || `Permintaan gagal (status ${response.status}).`);
    }
    return data;
  }

  const timeFormat = new Intl.DateTimeFormat('id-ID', { hour: '2-digit', minute: '2-digit', timeZone: 'Asia/Jakarta' });
  const dayFormat = new Intl.DateTimeFormat('id-ID', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Asia/Jakarta' });
  const clockFormat = new Intl.DateTimeFormat('id-ID', { weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'Asia/Jakarta' });

  function formatOffset(ms) {
    let minutes = Math.round(ms / 60000);
    if (minutes === 0) return '0 menit';
    const parts = [];
    const days = Math.floor(minutes / 1440);
    minutes -= days * 1440;
    const hours = Math.floor(minutes / 60);
    minutes -= hours * 60;
    if (days) parts.push(`${days} hari`);
    if (hours) parts.push(`${hours} jam`);
    if (minutes) parts.push(`${minutes} menit`);
    return parts.join(' ');
  }

  // -------------------------------------------------------------------------------------------
  // WhatsApp formatting: *bold*, _italic_, ~strike~, ```mono```, `code`, links
  // -------------------------------------------------------------------------------------------

  const INLINE = [
    { kind: 'url', re: /https?:\/\/[^\s<>"']+/gu },
    { kind: 'code', re: /`([^`\n]+)`/gu },
    { kind: 'strong', re: /(?<![\p{L}\p{N}])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\p{L}\p{N}])/gu },
    { kind: 'em', re: /(?<![\p{L}\p{N}])_(?!\s)([^_\n]+?)(?<!\s)_(?![\p{L}\p{N}])/gu },
    { kind: 's', re: /(?<![\p{L}\p{N}])~(?!\s)([^~\n]+?)(?<!\s)~(?![\p{L}\p{N}])/gu },
  ];

  function linkNode(url) {
    const a = el('a', null, url);
    a.href = url;
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
    return a;
  }

  function formatInline(parent, text) {
    let pos = 0;
    while (pos < text.length) {
      let best = null;
      for (const pattern of INLINE) {
        pattern.re.lastIndex = pos;
        const match = pattern.re.exec(text);
        if (match && (!best || match.index < best.match.index)) best = { pattern, match };
      }
      if (!best) break;
      const { pattern, match } = best;
      if (match.index > pos) parent.append(text.slice(pos, match.index));
      if (pattern.kind === 'url') {
        let url = match[0];
        while (/[.,;:!?)\]*_~]$/.test(url)) url = url.slice(0, -1);
        parent.append(linkNode(url));
        pos = match.index + url.length;
        continue;
      }
      const node = el(pattern.kind === 'code' ? 'code' : pattern.kind);
      if (pattern.kind === 'code') node.textContent = match[1];
      else formatInline(node, match[1]);
      parent.append(node);
      pos = match.index + match[0].length;
    }
    if (pos < text.length) parent.append(text.slice(pos));
  }

  // A message as one line of plain text, WhatsApp's markers removed (what a quote shows):
  // formatting a cut-off excerpt would break bold text into pieces or leave a lone `*`.
  function plainText(text) {
    let out = String(text || '').replace(/```([\s\S]+?)```/g, '$1');
    for (let pass = 0; pass < 3; pass += 1) {
      const before = out;
      for (const pattern of INLINE) {
        if (pattern.kind !== 'url') out = out.replace(pattern.re, '$1');
      }
      if (out === before) break;
    }
    return out.replace(/\s+/g, ' ').trim();
  }

  function formatted(text, className = 'text') {
    const node = el('div', className);
    const source = String(text || '');
    const block = /```([\s\S]+?)```/g;
    let pos = 0;
    let match;
    while ((match = block.exec(source))) {
      if (match.index > pos) formatInline(node, source.slice(pos, match.index));
      const code = el('code', 'mono', match[1]);
      node.append(code);
      pos = block.lastIndex;
    }
    if (pos < source.length) formatInline(node, source.slice(pos));
    return node;
  }

  // -------------------------------------------------------------------------------------------
  // Rendering messages
  // -------------------------------------------------------------------------------------------

  function ticks(stateName, who) {
    const wrap = el('span', 'ticks');
    wrap.dataset.state = stateName;
    wrap.setAttribute('role', 'img');
    const label = STATE_LABELS[stateName] || stateName;
    wrap.setAttribute('aria-label', who === 'bot' ? `Status pesan bot: ${label}` : `Status pesan Anda: ${label}`);
    wrap.title = wrap.getAttribute('aria-label');
    let shape = ICONS.double;
    if (stateName === 'pending') shape = ICONS.clock;
    else if (stateName === 'sent') shape = ICONS.single;
    else if (stateName === 'failed' || stateName === 'undeliverable') shape = ICONS.cross;
    wrap.appendChild(icon(shape));
    return wrap;
  }

  function snippet(item) {
    if (!item) return 'Pesan';
    const body = item.body || {};
    if (item.from === 'citizen') {
      if (body.type === 'text') return body.text.body;
      if (body.type === 'interactive') {
        const reply = body.interactive.list_reply || body.interactive.button_reply || {};
        return reply.title || reply.id || 'Pilihan';
      }
      if (body.type === 'button') return body.button.text || body.button.payload || 'Tombol';
      if (body.type === 'location') return `Lokasi: ${body.location.name || `${body.location.latitude}, ${body.location.longitude}`}`;
      if (body.type === 'image') return body.image.caption ? `Foto: ${body.image.caption}` : 'Foto';
      if (body.type === 'document') return `Dokumen: ${body.document.filename || ''}`;
      return body.type || 'Pesan';
    }
    if (body.type === 'text') return body.text.body;
    if (body.type === 'interactive') return (body.interactive.body && body.interactive.body.text) || 'Pesan interaktif';
    if (body.type === 'template') return templateText(body.template);
    if (body.type === 'location') return 'Lokasi';
    return body.type || 'Pesan';
  }

  function quoteBlock(wamid) {
    const target = state.items.get(wamid);
    const quote = el('div', 'quote');
    quote.append(el('strong', 'quote-sender', target && target.from === 'citizen' ? 'Anda' : 'PROLINK SAKTI'));
    // One line; CSS ends it with an ellipsis where the bubble does. The cut here only keeps
    // the DOM small.
    const text = plainText(snippet(target));
    const line = el('div', 'quote-text', text.length > 200 ? `${text.slice(0, 200)}…` : text);
    line.title = text;
    quote.append(line);
    return quote;
  }

  function actionsBox() {
    return el('div', 'actions');
  }

  function actionButton(label, iconPaths, onClick) {
    const button = el('button');
    button.type = 'button';
    if (iconPaths) button.append(icon(iconPaths));
    button.append(label);
    button.addEventListener('click', onClick);
    return button;
  }

  function headerNode(header) {
    if (!header) return null;
    if (header.type === 'text' && header.text) return el('div', 'header-text', header.text);
    const kind = header.type || 'media';
    const names = { image: 'Gambar', video: 'Video', document: 'Dokumen' };
    const box = el('div', 'media-placeholder');
    box.append(icon(kind === 'image' ? ICONS.image : ICONS.file), `${names[kind] || 'Media'} (judul pesan)`);
    return box;
  }

  function renderInteractive(bubble, item) {
    const interactive = item.body.interactive || {};
    const header = headerNode(interactive.header);
    if (header) bubble.append(header);
    if (interactive.body && interactive.body.text) bubble.append(formatted(interactive.body.text));
    if (interactive.footer && interactive.footer.text) bubble.append(el('div', 'footer-text', interactive.footer.text));
    const action = interactive.action || {};
    const box = actionsBox();
    if (interactive.type === 'list') {
      box.append(actionButton(action.button || 'Pilihan', ICONS.list, () => openListSheet(item)));
    } else if (interactive.type === 'button') {
      for (const button of action.buttons || []) {
        const reply = button.reply || {};
        box.append(actionButton(reply.title || reply.id, ICONS.reply, () =>
          sendMessage({ reply: { kind: 'button', id: reply.id, title: reply.title } }, item.wamid)));
      }
    } else if (interactive.type === 'cta_url') {
      const parameters = action.parameters || {};
      const url = String(parameters.url || '');
      if (/^https?:\/\//i.test(url)) {
        const link = el('a');
        link.href = url;
        link.target = '_blank';
        link.rel = 'noopener noreferrer';
        link.append(icon(ICONS.external), parameters.display_text || url);
        box.append(link);
      } else {
        box.append(el('span', null, parameters.display_text || url));
      }
    } else if (interactive.type === 'location_request_message') {
      box.append(actionButton('Kirim lokasi', ICONS.pin, () => openLocationDialog(item.wamid)));
    } else {
      bubble.append(el('div', 'notice', `[pesan interaktif ${interactive.type || ''}]`));
    }
    if (box.childNodes.length) bubble.append(box);
  }

  function parameterValue(parameter) {
    return parameter.text || (parameter.currency && parameter.currency.fallback_value)
      || (parameter.date_time && parameter.date_time.fallback_value) || parameter.type;
  }

  // `{{1}}` (positional) or `{{name}}` (named) replaced by the message's parameters.
  function fillTemplate(text, parameters) {
    return String(text || '').replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (whole, key) => {
      const parameter = /^[0-9]+$/.test(key)
        ? parameters[Number(key) - 1]
        : parameters.find((candidate) => candidate.parameter_name === key);
      return parameter ? parameterValue(parameter) : whole;
    });
  }

  // The approved template a message names, if the simulator knows it.
  function templateDefinition(template) {
    const language = (template.language && template.language.code) || '';
    return state.templates.get(`${template.name}:${language}`) || null;
  }

  function sentParameters(template, type) {
    const component = (template.components || []).find((candidate) => candidate.type === type);
    return (component && component.parameters) || [];
  }

  // The text a citizen's WhatsApp shows for a template message (body filled in).
  function templateText(template) {
    const definition = templateDefinition(template);
    if (!definition) return `Templat ${template.name}`;
    const body = (definition.components || []).find((component) => component.type === 'BODY');
    return fillTemplate(body && body.text, sentParameters(template, 'body'));
  }

  function renderTemplate(bubble, item) {
    const template = item.body.template || {};
    const language = (template.language && template.language.code) || '';
    const definition = templateDefinition(template);
    if (definition) {
      // As the citizen sees it; the name stays visible in small print for the tester.
      bubble.append(el('div', 'template-tag', `Templat: ${template.name} (${language})`));
      const box = actionsBox();
      let buttonIndex = 0;
      for (const component of definition.components || []) {
        if (component.type === 'HEADER' && component.format === 'TEXT') {
          bubble.append(el('div', 'header-text', fillTemplate(component.text, sentParameters(template, 'header'))));
        } else if (component.type === 'HEADER') {
          bubble.append(headerNode({ type: String(component.format || '').toLowerCase() }));
        } else if (component.type === 'BODY') {
          bubble.append(formatted(fillTemplate(component.text, sentParameters(template, 'body'))));
        } else if (component.type === 'FOOTER') {
          bubble.append(el('div', 'footer-text', component.text));
        } else if (component.type === 'BUTTONS') {
          for (const button of component.buttons || []) {
            const index = buttonIndex;
            buttonIndex += 1;
            if (button.type === 'QUICK_REPLY') {
              const sent = (template.components || []).find((candidate) => candidate.type === 'button'
                && candidate.sub_type === 'quick_reply' && Number(candidate.index || 0) === index);
              const parameter = (sent && sent.parameters && sent.parameters[0]) || {};
              const payload = parameter.payload || button.text;
              box.append(actionButton(button.text, ICONS.reply, () =>
                sendMessage({ reply: { kind: 'template', id: payload, title: button.text } }, item.wamid)));
            } else {
              box.append(el('span', 'notice', button.text || button.type));
            }
          }
        }
      }
      if (box.childNodes.length) bubble.append(box);
      return;
    }
    bubble.append(el('div', 'template-tag', `Templat: ${template.name || '?'} (${language}) — teks lengkap ada di WhatsApp Manager`));
    const box = actionsBox();
    for (const component of template.components || []) {
      const parameters = component.parameters || [];
      if (component.type === 'header') {
        for (const parameter of parameters) {
          if (parameter.type === 'text') bubble.append(el('div', 'header-text', parameter.text));
          else bubble.append(headerNode({ type: parameter.type }));
        }
      } else if (component.type === 'body') {
        const list = el('ol', 'params');
        for (const parameter of parameters) {
          const value = parameterValue(parameter);
          const li = el('li');
          if (parameter.parameter_name) li.append(el('strong', null, `${parameter.parameter_name}: `));
          li.append(formatted(value));
          list.append(li);
        }
        if (list.childNodes.length) {
          bubble.append(el('div', 'notice', 'Isi parameter:'));
          bubble.append(list);
        }
      } else if (component.type === 'footer') {
        bubble.append(el('div', 'footer-text', 'Footer templat'));
      } else if (component.type === 'button') {
        const index = Number(component.index || 0);
        const parameter = parameters[0] || {};
        if (component.sub_type === 'quick_reply') {
          const payload = parameter.payload || parameter.text || `tombol-${index}`;
          box.append(actionButton(`Tombol ${index + 1}`, ICONS.reply, () =>
            sendMessage({ reply: { kind: 'template', id: payload, title: `Tombol ${index + 1}` } }, item.wamid)));
        } else if (component.sub_type === 'url') {
          box.append(el('span', 'notice', `Tautan ${index + 1}: …${parameter.text || ''}`));
        } else {
          box.append(el('span', 'notice', `Tombol ${index + 1} (${component.sub_type || 'lain'})`));
        }
      }
    }
    if (box.childNodes.length) bubble.append(box);
  }

  function locationCard(location) {
    const card = el('div', 'location-card');
    card.append(icon(ICONS.pin));
    const text = el('div');
    if (location.name) text.append(el('strong', null, location.name));
    if (location.address) text.append(el('div', null, location.address));
    text.append(el('div', 'coords', `${Number(location.latitude).toFixed(5)}, ${Number(location.longitude).toFixed(5)}`));
    card.append(text);
    return card;
  }

  function renderBotContent(bubble, item) {
    const body = item.body || {};
    switch (body.type) {
      case 'text':
        bubble.append(formatted(body.text && body.text.body));
        break;
      case 'interactive':
        renderInteractive(bubble, item);
        break;
      case 'template':
        renderTemplate(bubble, item);
        break;
      case 'location':
        bubble.append(locationCard(body.location || {}));
        break;
      case 'image': case 'video': case 'audio': case 'document': case 'sticker': {
        const media = body[body.type] || {};
        const names = { image: 'Gambar', video: 'Video', audio: 'Audio', document: 'Dokumen', sticker: 'Stiker' };
        const box = el('div', 'media-placeholder');
        box.append(icon(body.type === 'image' ? ICONS.image : ICONS.file), `${names[body.type]}${media.filename ? `: ${media.filename}` : ''}`);
        bubble.append(box);
        if (media.caption) bubble.append(formatted(media.caption));
        break;
      }
      case 'contacts':
        for (const contact of body.contacts || []) {
          bubble.append(el('div', 'header-text', (contact.name && contact.name.formatted_name) || 'Kontak'));
        }
        break;
      default:
        bubble.append(el('div', 'notice', `[pesan ${body.type || 'tanpa jenis'}]`));
    }
  }

  function renderCitizenContent(bubble, item) {
    const body = item.body || {};
    switch (body.type) {
      case 'text':
        bubble.append(formatted(body.text.body));
        break;
      case 'interactive': {
        const reply = body.interactive.list_reply || body.interactive.button_reply || {};
        bubble.append(formatted(reply.title || reply.id));
        break;
      }
      case 'button':
        bubble.append(formatted(body.button.text || body.button.payload));
        break;
      case 'location':
        bubble.append(locationCard(body.location));
        break;
      case 'image': {
        const img = el('img', 'photo');
        img.src = `/simulator/api/media/${encodeURIComponent(body.image.id)}`;
        img.alt = body.image.caption ? `Foto: ${body.image.caption}` : 'Foto yang Anda kirim';
        // The photo has no height until it loads: follow the conversation once it has one.
        img.addEventListener('load', keepAtBottom);
        bubble.append(img);
        if (body.image.caption) bubble.append(formatted(body.image.caption));
        break;
      }
      case 'document': {
        const card = el('div', 'file-card');
        card.append(icon(ICONS.file));
        const link = el('a', null, body.document.filename || 'dokumen');
        link.href = `/simulator/api/media/${encodeURIComponent(body.document.id)}`;
        link.download = body.document.filename || 'dokumen';
        card.append(link);
        bubble.append(card);
        if (body.document.caption) bubble.append(formatted(body.document.caption));
        break;
      }
      default:
        bubble.append(el('div', 'notice', `[${body.type}]`));
    }
  }

  function buildRow(item) {
    const who = item.from === 'citizen' ? 'me' : 'bot';
    const row = el('div', `row ${who}`);
    row.dataset.wamid = item.wamid;
    row.dataset.from = item.from;
    row.dataset.type = (item.body && item.body.type) || '';
    const bubble = el('div', 'bubble');
    const contextId = item.from === 'citizen'
      ? item.body.context && item.body.context.id
      : item.body.context && item.body.context.message_id;
    if (contextId) bubble.append(quoteBlock(contextId));
    if (item.from === 'citizen') renderCitizenContent(bubble, item);
    else renderBotContent(bubble, item);
    const meta = el('div', 'meta');
    const time = el('time', null, timeFormat.format(new Date(item.at_ms)));
    time.dateTime = new Date(item.at_ms).toISOString();
    meta.append(time, ticks(item.state, who === 'me' ? 'me' : 'bot'));
    bubble.append(meta);
    row.append(bubble);
    const reply = el('button', 'reply-action');
    reply.type = 'button';
    reply.setAttribute('aria-label', 'Balas (kutip) pesan ini');
    reply.append(icon(ICONS.reply));
    reply.addEventListener('click', () => setQuote(item));
    row.append(reply);
    return row;
  }

  function dayKey(ms) {
    return dayFormat.format(new Date(ms));
  }

  function applyReactions(items) {
    const reactions = new Map();
    for (const item of items) {
      if (item.from === 'bot' && item.body.type === 'reaction' && item.body.reaction) {
        reactions.set(item.body.reaction.message_id, item.body.reaction.emoji || '');
      }
    }
    for (const row of els.messages.querySelectorAll('.row')) {
      const emoji = reactions.get(row.dataset.wamid);
      let badge = row.querySelector('.reaction');
      if (emoji) {
        if (!badge) {
          badge = el('span', 'reaction');
          row.querySelector('.bubble').append(badge);
        }
        badge.textContent = emoji;
        badge.setAttribute('aria-label', `Reaksi bot: ${emoji}`);
        row.classList.add('has-reaction');
      } else if (badge) {
        badge.remove();
        row.classList.remove('has-reaction');
      }
    }
  }

  function distanceFromBottom() {
    return els.messages.scrollHeight - els.messages.scrollTop - els.messages.clientHeight;
  }

  function scrollToBottom() {
    els.messages.scrollTop = els.messages.scrollHeight;
    state.atBottom = true;
  }

  // Content that grows after it is shown (a photo loading) keeps the newest message in view,
  // unless the reader has scrolled up to read something older.
  function keepAtBottom() {
    if (state.atBottom) scrollToBottom();
  }

  // Only the reader scrolling up lets go of the end. A scroll event is dispatched a frame after
  // the scroll that caused it; content that grew in between (a photo gets its size from its
  // header before its load event) is far from the end at that moment, but nobody scrolled away.
  let lastScrollTop = 0;
  els.messages.addEventListener('scroll', () => {
    const top = els.messages.scrollTop;
    if (distanceFromBottom() < 80) state.atBottom = true;
    else if (top < lastScrollTop) state.atBottom = false;
    lastScrollTop = top;
  }, { passive: true });

  function renderConversation(items) {
    const visible = items.filter((item) => !(item.from === 'bot' && item.body.type === 'reaction'));
    for (const item of items) state.items.set(item.wamid, item);
    const keys = visible.map((item) => item.wamid);
    const prefix = state.rendered.every((key, index) => keys[index] === key);
    const nearBottom = state.atBottom || distanceFromBottom() < 80;
    if (!prefix) {
      els.messages.replaceChildren();
      state.rendered = [];
    }
    if (!visible.length && !els.messages.querySelector('.empty')) {
      els.messages.append(el('p', 'empty', 'Belum ada percakapan. Ketik "halo" untuk mulai, seperti warga menyapa PROLINK SAKTI di WhatsApp.'));
    }
    let appended = false;
    for (let index = state.rendered.length; index < visible.length; index += 1) {
      const item = visible[index];
      const empty = els.messages.querySelector('.empty');
      if (empty) empty.remove();
      const previous = visible[index - 1];
      if (!previous || dayKey(previous.at_ms) !== dayKey(item.at_ms)) {
        els.messages.append(el('div', 'day', dayKey(item.at_ms)));
      }
      els.messages.append(buildRow(item));
      state.rendered.push(item.wamid);
      appended = true;
    }
    // States move after the bubble exists (statuses arrive later): update the ticks in place.
    for (const item of visible) {
      const row = els.messages.querySelector(`.row[data-wamid="${CSS.escape(item.wamid)}"]`);
      const current = row && row.querySelector('.ticks');
      if (current && current.dataset.state !== item.state) {
        current.replaceWith(ticks(item.state, item.from === 'citizen' ? 'me' : 'bot'));
      }
    }
    applyReactions(items);
    if (appended && (nearBottom || !prefix || visible[visible.length - 1].from === 'citizen')) {
      scrollToBottom();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Polling, read receipts, clock
  // -------------------------------------------------------------------------------------------

  function updateClock(clock) {
    if (!clock) return;
    els.clockNow.textContent = `${clockFormat.format(new Date(clock.now_ms))} WIB`;
    els.clockOffset.textContent = formatOffset(clock.offset_ms);
  }

  async function markRead(items) {
    if (state.readInFlight || document.visibilityState !== 'visible' || !state.current) return;
    const waiting = items.some((item) => item.from === 'bot' && item.state === 'delivered');
    if (!waiting) return;
    state.readInFlight = true;
    try {
      await api('/simulator/api/read', { method: 'POST', json: { user: state.current.number } });
    } catch (error) {
      showError(error.message);
    } finally {
      state.readInFlight = false;
    }
  }

  async function refresh() {
    if (!state.current) return;
    const generation = state.generation;
    const data = await api(`/simulator/api/messages?user=${encodeURIComponent(state.current.number)}`);
    if (generation !== state.generation) return;
    renderConversation(data.items || []);
    updateClock(data.clock);
    markRead(data.items || []);
  }

  function schedulePoll(delay = POLL_MS) {
    clearTimeout(state.pollTimer);
    state.pollTimer = setTimeout(async () => {
      try {
        await refresh();
        if (els.error.dataset.connection) {
          showError('');
          delete els.error.dataset.connection;
        }
      } catch (error) {
        showError(error.message);
        els.error.dataset.connection = '1';
      }
      schedulePoll();
    }, delay);
  }

  // -------------------------------------------------------------------------------------------
  // Citizens
  // -------------------------------------------------------------------------------------------

  function initials(name) {
    return name.split(/\s+/).filter(Boolean).slice(0, 2).map((part) => part[0].toUpperCase()).join('') || '?';
  }

  function renderCitizens() {
    els.citizens.replaceChildren();
    for (const citizen of state.citizens) {
      const li = el('li');
      const button = el('button', 'citizen');
      button.type = 'button';
      button.dataset.number = citizen.number;
      const selected = state.current && state.current.number === citizen.number;
      button.setAttribute('aria-current', selected ? 'true' : 'false');
      button.append(el('span', 'avatar', initials(citizen.name)));
      const text = el('span');
      text.append(el('span', 'citizen-name', citizen.name));
      text.append(el('span', 'citizen-number', citizen.user_id ? `${citizen.number} · ${citizen.user_id}` : citizen.number));
      button.append(text);
      button.addEventListener('click', () => selectCitizen(citizen.number));
      li.append(button);
      els.citizens.append(li);
    }
  }

  // -------------------------------------------------------------------------------------------
  // The panel of citizens and tools (a panel over the chat on narrow screens)
  // -------------------------------------------------------------------------------------------

  function setPanel(open, returnFocus = true) {
    const wasOpen = els.app.classList.contains('panel-open');
    els.app.classList.toggle('panel-open', open);
    els.panelToggle.setAttribute('aria-expanded', open ? 'true' : 'false');
    if (open && !wasOpen) {
      const first = els.citizens.querySelector('.citizen[aria-current="true"]') || els.panelClose;
      first.focus();
    } else if (!open && wasOpen && returnFocus) {
      els.panelToggle.focus();
    }
  }

  els.panelToggle.addEventListener('click', () => setPanel(!els.app.classList.contains('panel-open')));
  els.panelClose.addEventListener('click', () => setPanel(false));
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && els.app.classList.contains('panel-open') && !document.querySelector('dialog[open]')) {
      setPanel(false);
    }
  });
  // A tap on the shaded chat beside the open panel closes it.
  document.addEventListener('click', (event) => {
    if (els.app.classList.contains('panel-open') && !event.target.closest('.sidebar, .panel-toggle')) {
      setPanel(false, false);
    }
  });

  function selectCitizen(number) {
    const citizen = state.citizens.find((candidate) => candidate.number === number) || state.citizens[0];
    if (!citizen) return;
    setPanel(false, false);
    state.current = citizen;
    state.atBottom = true;
    state.generation += 1;
    state.items = new Map();
    state.rendered = [];
    clearQuote();
    els.messages.replaceChildren();
    els.chatSub.textContent = `Akun bisnis resmi · Anda: ${citizen.name} (${citizen.number})`;
    try {
      localStorage.setItem(STORAGE_KEY, citizen.number);
    } catch (storageError) {
      // Private mode: the choice is simply not remembered.
    }
    renderCitizens();
    schedulePoll(0);
  }

  async function loadCitizens() {
    const data = await api('/simulator/api/citizens');
    state.citizens = data.citizens || [];
    if (!state.citizens.length) {
      const created = await api('/simulator/api/citizens', { method: 'POST', json: DEFAULT_CITIZEN });
      state.citizens = created.citizens || [];
    }
    let remembered = null;
    try {
      remembered = localStorage.getItem(STORAGE_KEY);
    } catch (storageError) {
      remembered = null;
    }
    selectCitizen(remembered || (state.citizens[0] && state.citizens[0].number));
  }

  els.citizenForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = new FormData(els.citizenForm);
    const citizen = {
      number: String(form.get('number') || '').trim(),
      name: String(form.get('name') || '').trim(),
    };
    const userId = String(form.get('user_id') || '').trim();
    if (userId) citizen.user_id = userId;
    if (!/^[0-9]{6,20}$/.test(citizen.number)) {
      showError('Nomor warga harus berupa 6–20 angka, contoh 6281234567890.');
      $('citizen-number').focus();
      return;
    }
    if (!citizen.name) {
      showError('Nama warga wajib diisi.');
      $('citizen-name').focus();
      return;
    }
    try {
      const data = await api('/simulator/api/citizens', { method: 'POST', json: citizen });
      state.citizens = data.citizens || [];
      els.citizenForm.reset();
      els.addCitizen.open = false;
      showError('');
      selectCitizen(citizen.number);
      els.text.focus();
    } catch (error) {
      showError(error.message);
    }
  });

  // -------------------------------------------------------------------------------------------
  // Sending
  // -------------------------------------------------------------------------------------------

  function setQuote(item) {
    state.quote = { wamid: item.wamid };
    els.quotePreview.replaceChildren(...quoteBlock(item.wamid).childNodes);
    els.quoteBar.hidden = false;
    els.text.focus();
  }

  function clearQuote() {
    state.quote = null;
    els.quoteBar.hidden = true;
    els.quotePreview.replaceChildren();
  }

  els.quoteCancel.addEventListener('click', () => {
    clearQuote();
    els.text.focus();
  });

  // `contextId`: the message a tap answers (Meta sets it for list, button and location
  // answers); otherwise the quoted message, if any.
  async function sendMessage(payload, contextId) {
    if (!state.current) return false;
    const message = { ...payload, from: state.current.number, name: state.current.name };
    if (state.current.user_id) message.user_id = state.current.user_id;
    const quoted = contextId || (state.quote && state.quote.wamid);
    if (quoted) message.context = { message_id: quoted };
    try {
      await api('/simulator/api/send', { method: 'POST', json: message });
      showError('');
      clearQuote();
      await refresh();
      return true;
    } catch (error) {
      showError(error.message);
      return false;
    }
  }

  els.compose.addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = els.text.value;
    if (!text.trim()) return;
    els.text.value = '';
    autosize();
    const sent = await sendMessage({ text });
    if (!sent) els.text.value = text;
    els.text.focus();
  });

  function autosize() {
    els.text.style.height = 'auto';
    els.text.style.height = `${Math.min(els.text.scrollHeight, 128)}px`;
  }

  els.text.addEventListener('input', autosize);
  els.text.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      els.compose.requestSubmit();
    }
  });

  // -------------------------------------------------------------------------------------------
  // Popovers: emoji and attachments
  // -------------------------------------------------------------------------------------------

  function setPopover(button, panel, open) {
    panel.hidden = !open;
    button.setAttribute('aria-expanded', open ? 'true' : 'false');
    if (open) {
      const first = panel.querySelector('button');
      if (first) first.focus();
    }
  }

  function closePopovers() {
    setPopover(els.emojiButton, els.emojiPanel, false);
    setPopover(els.attachButton, els.attachMenu, false);
  }

  for (const emoji of EMOJI) {
    const button = el('button', null, emoji);
    button.type = 'button';
    button.setAttribute('aria-label', `Sisipkan ${emoji}`);
    button.addEventListener('click', () => {
      const start = els.text.selectionStart ?? els.text.value.length;
      const end = els.text.selectionEnd ?? start;
      els.text.setRangeText(emoji, start, end, 'end');
      closePopovers();
      els.text.focus();
    });
    els.emojiPanel.append(button);
  }

  els.emojiButton.addEventListener('click', () => {
    const open = els.emojiPanel.hidden;
    closePopovers();
    setPopover(els.emojiButton, els.emojiPanel, open);
  });
  els.attachButton.addEventListener('click', () => {
    const open = els.attachMenu.hidden;
    closePopovers();
    setPopover(els.attachButton, els.attachMenu, open);
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && (!els.emojiPanel.hidden || !els.attachMenu.hidden)) {
      const button = !els.emojiPanel.hidden ? els.emojiButton : els.attachButton;
      closePopovers();
      button.focus();
    }
  });
  document.addEventListener('click', (event) => {
    if (!event.target.closest('.compose-tools')) closePopovers();
  });

  for (const button of els.attachMenu.querySelectorAll('button')) {
    button.addEventListener('click', () => {
      closePopovers();
      const kind = button.dataset.attach;
      if (kind === 'image') els.imageInput.click();
      else if (kind === 'document') els.documentInput.click();
      else openLocationDialog(null);
    });
  }

  // -------------------------------------------------------------------------------------------
  // Dialogs: list sheet, location, media
  // -------------------------------------------------------------------------------------------

  for (const dialog of [els.listSheet, els.locationDialog, els.mediaDialog]) {
    for (const close of dialog.querySelectorAll('[data-close]')) {
      close.addEventListener('click', () => dialog.close());
    }
    dialog.addEventListener('click', (event) => {
      if (event.target === dialog) dialog.close();
    });
  }

  function openListSheet(item) {
    const interactive = item.body.interactive || {};
    const action = interactive.action || {};
    els.listSheetTitle.textContent = action.button || 'Pilihan';
    els.listSheetSections.replaceChildren();
    for (const section of action.sections || []) {
      const block = el('section', 'sheet-section');
      if (section.title) block.append(el('h3', null, section.title));
      for (const row of section.rows || []) {
        const button = el('button', 'sheet-row');
        button.type = 'button';
        button.dataset.rowId = row.id;
        const text = el('span');
        text.append(el('span', 'row-title', row.title));
        if (row.description) text.append(el('span', 'row-description', row.description));
        button.append(text, el('span', 'radio'));
        button.addEventListener('click', () => {
          els.listSheet.close();
          sendMessage({ reply: { kind: 'list', id: row.id, title: row.title } }, item.wamid);
        });
        block.append(button);
      }
      els.listSheetSections.append(block);
    }
    els.listSheet.showModal();
  }

  function openLocationDialog(contextId) {
    state.locationContext = contextId;
    els.locationDialog.showModal();
  }

  for (const place of PLACES) {
    const li = el('li');
    const button = el('button');
    button.type = 'button';
    button.append(el('strong', null, place.name), el('span', 'preset-address', place.address));
    button.addEventListener('click', () => {
      els.locationDialog.close();
      sendMessage({ location: { ...place } }, state.locationContext);
    });
    li.append(button);
    els.locationPresets.append(li);
  }

  els.locationForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const latitude = Number(String($('loc-lat').value).replace(',', '.'));
    const longitude = Number(String($('loc-lng').value).replace(',', '.'));
    if (!Number.isFinite(latitude) || latitude < -90 || latitude > 90
      || !Number.isFinite(longitude) || longitude < -180 || longitude > 180) {
      showError('Koordinat tidak valid: lintang −90…90, bujur −180…180.');
      return;
    }
    const location = { latitude, longitude };
    const name = $('loc-name').value.trim();
    const address = $('loc-address').value.trim();
    if (name) location.name = name;
    if (address) location.address = address;
    els.locationDialog.close();
    sendMessage({ location }, state.locationContext);
  });

  const DOCUMENT_TYPES = {
    pdf: 'application/pdf',
    txt: 'text/plain',
    doc: 'application/msword',
    docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    xls: 'application/vnd.ms-excel',
    xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    ppt: 'application/vnd.ms-powerpoint',
    pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  };

  function readBase64(file) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => {
        const url = String(reader.result || '');
        resolve(url.slice(url.indexOf(',') + 1));
      };
      reader.onerror = () => reject(new Error('Berkas tidak dapat dibaca.'));
      reader.readAsDataURL(file);
    });
  }

  async function pickMedia(kind, input) {
    const file = input.files && input.files[0];
    input.value = '';
    if (!file) return;
    let mimeType = file.type;
    if (kind === 'document') {
      const extension = (file.name.split('.').pop() || '').toLowerCase();
      mimeType = DOCUMENT_TYPES[extension] || file.type;
      if (!Object.values(DOCUMENT_TYPES).includes(mimeType)) {
        showError('Jenis dokumen tidak didukung WhatsApp. Gunakan PDF, TXT, DOC/DOCX, XLS/XLSX, atau PPT/PPTX.');
        return;
      }
      if (file.size > MAX_DOCUMENT_BYTES) {
        showError('Dokumen terlalu besar untuk simulator (maksimal 16 MB; WhatsApp sendiri menerima hingga 100 MB).');
        return;
      }
    } else {
      if (mimeType !== 'image/jpeg' && mimeType !== 'image/png') {
        showError('WhatsApp hanya menerima gambar JPEG atau PNG.');
        return;
      }
      if (file.size > MAX_IMAGE_BYTES) {
        showError('Gambar terlalu besar: WhatsApp membatasi gambar hingga 5 MB.');
        return;
      }
    }
    let data;
    try {
      data = await readBase64(file);
    } catch (error) {
      showError(error.message);
      return;
    }
    state.pendingMedia = { kind, mimeType, data, filename: file.name };
    if (state.previewUrl) URL.revokeObjectURL(state.previewUrl);
    state.previewUrl = null;
    els.mediaPreview.replaceChildren();
    if (kind === 'image') {
      state.previewUrl = URL.createObjectURL(file);
      const img = el('img');
      img.src = state.previewUrl;
      img.alt = `Pratinjau ${file.name}`;
      els.mediaPreview.append(img);
    } else {
      const card = el('div', 'file-card');
      card.append(icon(ICONS.file), el('span', null, `${file.name} (${Math.ceil(file.size / 1024)} KB)`));
      els.mediaPreview.append(card);
    }
    els.mediaCaption.value = '';
    els.mediaDialog.showModal();
    els.mediaCaption.focus();
  }

  els.imageInput.addEventListener('change', () => pickMedia('image', els.imageInput));
  els.documentInput.addEventListener('change', () => pickMedia('document', els.documentInput));

  els.mediaForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const media = state.pendingMedia;
    if (!media) return;
    els.mediaDialog.close();
    state.pendingMedia = null;
    const upload = { data_base64: media.data, mime_type: media.mimeType };
    const caption = els.mediaCaption.value.trim();
    if (caption) upload.caption = caption;
    if (media.kind === 'document') upload.filename = media.filename;
    await sendMessage({ [media.kind]: upload });
  });

  els.mediaDialog.addEventListener('close', () => {
    if (state.previewUrl) URL.revokeObjectURL(state.previewUrl);
    state.previewUrl = null;
  });

  // -------------------------------------------------------------------------------------------
  // Time travel
  // -------------------------------------------------------------------------------------------

  async function advance(minutes) {
    try {
      const clock = await api('/simulator/api/clock', { method: 'POST', json: { advance_minutes: minutes } });
      updateClock(clock);
      showError('');
    } catch (error) {
      showError(error.message);
    }
  }

  for (const button of document.querySelectorAll('[data-advance]')) {
    button.addEventListener('click', () => advance(Number(button.dataset.advance)));
  }
  els.clockForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const minutes = Number(els.advanceMinutes.value);
    if (!Number.isInteger(minutes) || minutes < 1) {
      showError('Isi jumlah menit berupa bilangan bulat ≥ 1.');
      return;
    }
    advance(minutes);
  });

  // -------------------------------------------------------------------------------------------
  // Start
  // -------------------------------------------------------------------------------------------

  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') schedulePoll(0);
  });

  api('/simulator/api/clock').then(updateClock).catch((error) => showError(error.message));
  // Templates first, so that a conversation holding one shows its text from the start.
  api('/simulator/api/templates')
    .then((templates) => {
      for (const template of templates || []) state.templates.set(`${template.name}:${template.language}`, template);
    })
    .catch((error) => showError(error.message))
    .finally(() => loadCitizens().catch((error) => showError(error.message)));
})();
