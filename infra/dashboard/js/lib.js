// Configuration, sign-in (local form or Cognito's hosted UI), the API client and formatting.
// Nothing here touches the DOM: data from the API is only ever rendered by Preact as text.

const TOKENS_KEY = 'prolink.tokens';
/** Refresh this long before the access token expires. */
const REFRESH_MARGIN_MS = 60_000;

export let config = { mode: 'local', api_base_url: '', cognito_domain: null, client_id: null };

export async function loadConfig() {
  const response = await fetch('config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  config = { ...config, ...(await response.json()) };
  return config;
}

const apiUrl = (path) => `${(config.api_base_url || '').replace(/\/$/, '')}${path}`;

/** An error with the API's stable `code`, its Indonesian `message` and per-field messages. */
export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `Permintaan gagal (HTTP ${status}).`);
    this.status = status;
    this.code = (body && body.code) || null;
    this.fields = (body && body.fields) || null;
  }
}

// ---- tokens -----------------------------------------------------------------------------

function readTokens() {
  try {
    return JSON.parse(sessionStorage.getItem(TOKENS_KEY) || 'null');
  } catch {
    return null;
  }
}

function storeTokens(tokens) {
  if (tokens) sessionStorage.setItem(TOKENS_KEY, JSON.stringify(tokens));
  else sessionStorage.removeItem(TOKENS_KEY);
}

function fromTokenResponse(body) {
  return {
    access_token: body.access_token,
    refresh_token: body.refresh_token || null,
    expires_at: Date.now() + (Number(body.expires_in) || 900) * 1000,
  };
}

export const hasSession = () => Boolean(readTokens());

let refreshing = null;
const listeners = new Set();
/** Called with no argument when the session ends (sign-out, refresh refused). */
export function onSignedOut(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function endSession() {
  storeTokens(null);
  // oidc-client-ts keeps its own copy of the user (tokens included) in sessionStorage: a
  // refused session must not leave it behind for the next signinSilent.
  if (userManager) userManager.removeUser().catch(() => {});
  for (const listener of listeners) listener();
}

async function postJson(path, body) {
  const response = await fetch(apiUrl(path), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export async function signInLocal(username, password) {
  const body = await postJson('/api/auth/login', { username, password });
  storeTokens(fromTokenResponse(body));
}

// Cognito's hosted UI: authorization code with PKCE through oidc-client-ts (loaded only in
// this mode, from vendor/). The endpoints are Cognito's fixed ones under the domain, so no
// discovery request is made.
let userManager = null;
async function cognito() {
  if (userManager) return userManager;
  if (!window.oidc) {
    await new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = 'vendor/oidc-client-ts.min.js';
      script.onload = resolve;
      script.onerror = () => reject(new Error('oidc-client-ts tidak dapat dimuat'));
      document.head.append(script);
    });
  }
  const domain = `https://${String(config.cognito_domain).replace(/^https:\/\//, '').replace(/\/$/, '')}`;
  const redirect = `${location.origin}${location.pathname}`;
  userManager = new window.oidc.UserManager({
    authority: domain,
    client_id: config.client_id,
    redirect_uri: redirect,
    post_logout_redirect_uri: redirect,
    response_type: 'code',
    scope: 'openid profile',
    loadUserInfo: false,
    automaticSilentRenew: false,
    userStore: new window.oidc.WebStorageStateStore({ store: window.sessionStorage }),
    metadata: {
      issuer: domain,
      authorization_endpoint: `${domain}/oauth2/authorize`,
      token_endpoint: `${domain}/oauth2/token`,
      end_session_endpoint: `${domain}/logout?client_id=${encodeURIComponent(config.client_id)}&logout_uri=${encodeURIComponent(redirect)}`,
    },
  });
  return userManager;
}

export async function signInCognito() {
  await (await cognito()).signinRedirect();
}

/** After Cognito sends the browser back with `?code=…&state=…`: exchange it, clean the URL. */
export async function completeCognitoSignIn() {
  const query = new URLSearchParams(location.search);
  if (config.mode !== 'cognito' || !query.has('code') || !query.has('state')) return false;
  const user = await (await cognito()).signinRedirectCallback();
  storeTokens({
    access_token: user.access_token,
    refresh_token: user.refresh_token || null,
    expires_at: (user.expires_at || 0) * 1000,
  });
  history.replaceState(null, '', `${location.pathname}#/ringkasan`);
  return true;
}

async function refresh(tokens) {
  if (!tokens.refresh_token) throw new ApiError(401, { message: 'Sesi berakhir. Silakan masuk lagi.' });
  if (config.mode === 'cognito') {
    // With the user (and its refresh token) in oidc-client-ts's store, signinSilent posts the
    // refresh_token grant to the token endpoint; without one it would try a hidden iframe to
    // the hosted UI, which has no silent_redirect_uri here and fails, ending the session.
    const manager = await cognito();
    if (!(await manager.getUser())) throw new ApiError(401, { message: 'Sesi berakhir. Silakan masuk lagi.' });
    const user = await manager.signinSilent();
    // Cognito answers a refresh with no new refresh token: the first one stays in use.
    const next = { access_token: user.access_token, refresh_token: user.refresh_token || tokens.refresh_token, expires_at: (user.expires_at || 0) * 1000 };
    storeTokens(next);
    return next;
  }
  const body = await postJson('/api/auth/refresh', { refresh_token: tokens.refresh_token });
  const next = fromTokenResponse(body);
  if (!next.refresh_token) next.refresh_token = tokens.refresh_token;
  storeTokens(next);
  return next;
}

async function accessToken(force = false) {
  let tokens = readTokens();
  if (!tokens) throw new ApiError(401, { message: 'Silakan masuk terlebih dahulu.' });
  if (force || tokens.expires_at - Date.now() < REFRESH_MARGIN_MS) {
    refreshing = refreshing || refresh(tokens).finally(() => { refreshing = null; });
    try {
      tokens = await refreshing;
    } catch (error) {
      endSession();
      throw error;
    }
  }
  return tokens.access_token;
}

export async function signOut() {
  storeTokens(null);
  for (const listener of listeners) listener();
  // After a reload the manager is not made yet: make it, so the hosted UI's session ends too
  // (otherwise the next sign-in would pass without a password).
  if (config.mode === 'cognito') {
    const manager = await cognito().catch(() => null);
    if (manager) await manager.signoutRedirect().catch(() => manager.removeUser().catch(() => {}));
  }
}

// ---- API --------------------------------------------------------------------------------

/** `api(path, {method, body, raw})`: JSON in and out with the bearer token; refreshes once. */
export async function api(path, options = {}) {
  const send = async (token) => fetch(apiUrl(path), {
    method: options.method || (options.body !== undefined ? 'POST' : 'GET'),
    headers: {
      authorization: `Bearer ${token}`,
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: options.body !== undefined ? JSON.stringify(options.body) : undefined,
  });
  let response = await send(await accessToken());
  if (response.status === 401) response = await send(await accessToken(true));
  if (options.raw && response.ok) return response;
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    if (response.status === 401) endSession();
    throw new ApiError(response.status, data);
  }
  return data;
}

/** Downloads an authenticated GET as a file (CSV exports, data exports). */
export async function download(path, filename) {
  const response = await api(path, { raw: true });
  saveBlob(await response.blob(), filename);
}

export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export const query = (params) => {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, value);
  }
  const text = search.toString();
  return text ? `?${text}` : '';
};

// ---- roles and pages --------------------------------------------------------------------

/** Every page, the roles that may open it (the API refuses the others anyway). */
export const PAGES = [
  { id: 'ringkasan', title: 'Ringkasan', roles: ['admin', 'operator', 'opd', 'viewer'] },
  { id: 'aduan', title: 'Aduan', roles: ['admin', 'operator', 'opd'] },
  { id: 'percakapan', title: 'Percakapan', roles: ['admin', 'operator', 'opd'] },
  { id: 'konten', title: 'Konten', roles: ['admin', 'operator', 'opd'] },
  { id: 'tak-terjawab', title: 'Pertanyaan tak terjawab', roles: ['admin', 'operator'] },
  { id: 'siaran', title: 'Siaran', roles: ['admin', 'operator'] },
  { id: 'statistik', title: 'Statistik', roles: ['admin', 'operator', 'viewer'] },
  { id: 'audit', title: 'Audit', roles: ['admin'] },
  { id: 'pengguna', title: 'Pengguna', roles: ['admin'] },
  { id: 'data-warga', title: 'Data warga', roles: ['admin'] },
  { id: 'pengaturan', title: 'Pengaturan', roles: ['admin'] },
];

export const ROLE_LABELS = { admin: 'Admin', operator: 'Operator Diskominfo', opd: 'Petugas OPD', viewer: 'Pemantau' };
export const can = (me, ...roles) => Boolean(me) && roles.includes(me.role);
export const pagesFor = (me) => PAGES.filter((page) => me && page.roles.includes(me.role));

// ---- formatting -------------------------------------------------------------------------

const TZ = 'Asia/Jakarta';
export const todayWib = () => new Intl.DateTimeFormat('en-CA', { timeZone: TZ }).format(new Date());
export function daysAgoWib(days) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: TZ }).format(new Date(Date.now() - days * 86_400_000));
}
export function formatDateTime(value) {
  if (!value) return '–';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return new Intl.DateTimeFormat('id-ID', { timeZone: TZ, dateStyle: 'medium', timeStyle: 'short' }).format(date);
}
export function formatDate(value) {
  if (!value) return '–';
  const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T12:00:00+07:00` : value);
  if (Number.isNaN(date.getTime())) return String(value);
  return new Intl.DateTimeFormat('id-ID', { timeZone: TZ, dateStyle: 'medium' }).format(date);
}
export const formatNumber = (value) => (value === null || value === undefined ? '–' : new Intl.NumberFormat('id-ID', { maximumFractionDigits: 1 }).format(value));
export const formatPct = (value) => (value === null || value === undefined ? '–' : `${formatNumber(value)}%`);
export function formatMinutes(minutes) {
  if (minutes === null || minutes === undefined) return '–';
  if (minutes < 60) return `${minutes} menit`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} jam ${minutes % 60} menit`;
  return `${Math.floor(hours / 24)} hari ${hours % 24} jam`;
}

export const STATUS_LABELS = {
  diterima: 'Diterima',
  diverifikasi: 'Diverifikasi',
  perlu_dilengkapi: 'Perlu dilengkapi',
  ditolak: 'Ditolak',
  bukan_wewenang: 'Bukan wewenang',
  diteruskan: 'Diteruskan ke OPD',
  diproses: 'Diproses',
  selesai: 'Selesai',
  dibuka_kembali: 'Dibuka kembali',
  ditutup: 'Ditutup',
  dicabut: 'Dicabut',
};
export const SLA_LABELS = { on_time: 'Tepat waktu', near: 'Mendekati', overdue: 'Terlambat' };

/** Explains an API error in one Indonesian sentence, with the per-field reasons. */
export function describeError(error) {
  if (!(error instanceof ApiError)) return 'Tidak dapat menghubungi server. Periksa koneksi lalu coba lagi.';
  const fields = error.fields ? Object.entries(error.fields).map(([field, text]) => `${field}: ${Array.isArray(text) ? text.join(', ') : text}`) : [];
  return [error.message, ...fields].join(' — ');
}
