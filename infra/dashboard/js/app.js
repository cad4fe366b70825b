// The shell: configuration, sign-in, the role's menu and the hash router (#/aduan/PS-…).
import { render } from '../vendor/preact.module.js';
import { html, Component, Loading, ErrorBox } from './ui.js';
import {
  api, completeCognitoSignIn, config, describeError, hasSession, loadConfig, onSignedOut,
  pagesFor, ROLE_LABELS, signInCognito, signInLocal, signOut,
} from './lib.js';
import { Overview, Complaints, ComplaintDetail, Conversations } from './pages-main.js';
import { Content, Unanswered, Statistics, Audit, Users, CitizenData, Settings, Broadcasts } from './pages-more.js';

function parseRoute() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  return { page: parts[0] || 'ringkasan', rest: parts.slice(1) };
}

class Login extends Component {
  constructor(props) {
    super(props);
    this.state = { username: '', password: '', busy: false, error: null };
  }
  async submit(event) {
    event.preventDefault();
    this.setState({ busy: true, error: null });
    try {
      await signInLocal(this.state.username, this.state.password);
      this.props.onSignedIn();
    } catch (error) {
      this.setState({ busy: false, error: describeError(error) });
    }
  }
  render(_, { username, password, busy, error }) {
    const cognito = config.mode === 'cognito';
    return html`<main class="login" id="main">
      <div class="login-card">
        <div class="brand big"><img src="favicon.svg" alt="" width="40" height="40" /><div><strong>PROLINK SAKTI</strong><span>Dasbor Operator · Pemerintah Kota Probolinggo</span></div></div>
        <h1>Masuk</h1>
        ${this.props.message ? html`<p class="notice info" role="status">${this.props.message}</p>` : null}
        ${cognito
          ? html`<p>Masuk dengan akun Pemerintah Kota Probolinggo melalui halaman masuk resmi.</p>
              <button type="button" class="btn primary wide" onClick=${() => signInCognito().catch((e) => this.setState({ error: describeError(e) }))}>Masuk dengan akun kantor</button>`
          : html`<form onSubmit=${(e) => this.submit(e)}>
              <label for="username">Nama pengguna</label>
              <input id="username" name="username" autocomplete="username" required value=${username} onInput=${(e) => this.setState({ username: e.target.value })} />
              <label for="password">Kata sandi</label>
              <input id="password" name="password" type="password" autocomplete="current-password" required value=${password} onInput=${(e) => this.setState({ password: e.target.value })} />
              <button type="submit" class="btn primary wide" disabled=${busy}>${busy ? 'Memeriksa…' : 'Masuk'}</button>
            </form>`}
        ${error ? html`<p class="notice error" role="alert">${error}</p>` : null}
        <p class="muted small">Belum punya akun? Minta kepada admin Diskominfo.</p>
      </div>
    </main>`;
  }
}

const PAGE_COMPONENTS = {
  ringkasan: Overview,
  aduan: Complaints,
  percakapan: Conversations,
  konten: Content,
  'tak-terjawab': Unanswered,
  siaran: Broadcasts,
  statistik: Statistics,
  audit: Audit,
  pengguna: Users,
  'data-warga': CitizenData,
  pengaturan: Settings,
};

class App extends Component {
  constructor(props) {
    super(props);
    this.state = { phase: 'boot', me: null, error: null, route: parseRoute(), menuOpen: false, message: null };
  }
  componentDidMount() {
    window.addEventListener('hashchange', () => this.setState({ route: parseRoute(), menuOpen: false }, () => this.focusMain()));
    onSignedOut(() => this.setState({ phase: 'login', me: null, message: 'Sesi Anda berakhir. Silakan masuk lagi.' }));
    this.start();
  }
  focusMain() {
    const main = document.getElementById('main');
    if (main) main.focus({ preventScroll: false });
  }
  async start() {
    try {
      await loadConfig();
      await completeCognitoSignIn();
    } catch (error) {
      this.setState({ phase: 'fatal', error });
      return;
    }
    if (!hasSession()) {
      this.setState({ phase: 'login' });
      return;
    }
    await this.loadMe();
  }
  async loadMe() {
    this.setState({ phase: 'boot' });
    try {
      const me = await api('/api/me');
      this.setState({ phase: 'ready', me, message: null });
      const pages = pagesFor(me);
      if (!pages.some((page) => page.id === this.state.route.page)) location.hash = `#/${pages[0].id}`;
    } catch (error) {
      if (!hasSession()) this.setState({ phase: 'login' });
      else this.setState({ phase: 'fatal', error });
    }
  }
  async logout() {
    await signOut();
    this.setState({ phase: 'login', me: null, message: 'Anda telah keluar.' });
  }
  render(_, { phase, me, error, route, menuOpen, message }) {
    if (phase === 'boot') return html`<main id="main" class="center"><${Loading} text="Memuat dasbor…" /></main>`;
    if (phase === 'fatal') return html`<main id="main" class="center"><${ErrorBox} error=${error instanceof Error && !error.status ? `Dasbor tidak dapat dimulai: ${error.message}` : error} onRetry=${() => location.reload()} /></main>`;
    if (phase === 'login') {
      document.title = 'Masuk · PROLINK SAKTI';
      return html`<${Login} message=${message} onSignedIn=${() => this.loadMe()} />`;
    }
    const pages = pagesFor(me);
    const current = pages.find((page) => page.id === route.page) || pages[0];
    document.title = `${current.title} · PROLINK SAKTI`;
    let Page = PAGE_COMPONENTS[current.id];
    let props = { me, rest: route.rest };
    if (current.id === 'aduan' && route.rest[0]) {
      Page = ComplaintDetail;
      props = { me, ticket: route.rest[0] };
    }
    return html`<div class="shell">
      <a class="skip" href="#main" onClick=${(e) => { e.preventDefault(); this.focusMain(); }}>Lompat ke isi</a>
      <header class="topbar">
        <button type="button" class="menu-button" aria-expanded=${menuOpen ? 'true' : 'false'} aria-controls="nav" onClick=${() => this.setState({ menuOpen: !menuOpen })}>
          <span aria-hidden="true">☰</span> Menu
        </button>
        <a class="brand" href="#/ringkasan"><img src="favicon.svg" alt="" width="28" height="28" /><span><strong>PROLINK SAKTI</strong><small>Dasbor Operator</small></span></a>
        <div class="who">
          <span class="who-name">${me.username}</span>
          <span class="who-role">${ROLE_LABELS[me.role] || me.role}${me.opd_id ? ` · ${me.opd_id}` : ''}</span>
        </div>
        <button type="button" class="btn ghost" onClick=${() => this.logout()}>Keluar</button>
      </header>
      <nav id="nav" class=${`sidenav${menuOpen ? ' open' : ''}`} aria-label="Menu utama">
        <ul>
          ${pages.map((page) => html`<li><a href=${`#/${page.id}`} aria-current=${page.id === current.id ? 'page' : undefined}>${page.title}</a></li>`)}
        </ul>
      </nav>
      <main id="main" tabindex="-1" class="content">
        <${Page} key=${`${current.id}/${route.rest.join('/')}`} ...${props} />
      </main>
    </div>`;
  }
}

// The boot message is static HTML: replace it rather than render beside it.
const root = document.getElementById('app');
root.textContent = '';
render(html`<${App} />`, root);
