// Shared components. Preact renders every value as text (no dangerouslySetInnerHTML anywhere).
import { h, Component, createRef } from '../vendor/preact.module.js';
import htm from '../vendor/htm.module.js';
import { describeError, SLA_LABELS, STATUS_LABELS } from './lib.js';

export const html = htm.bind(h);
export { h, Component, createRef };

/** How often open pages ask for fresh data. */
export const POLL_MS = 5_000;

/**
 * A page that loads data and polls it while it is open: subclasses implement `fetchData()`
 * (returns the new state) and `view()`. A failed poll keeps the last data and shows the error.
 */
export class DataPage extends Component {
  constructor(props) {
    super(props);
    this.state = { loading: true, error: null, data: null };
    this.timer = null;
    this.alive = false;
  }
  componentDidMount() {
    this.alive = true;
    this.reload();
  }
  componentWillUnmount() {
    this.alive = false;
    clearTimeout(this.timer);
  }
  pollEvery() {
    return POLL_MS;
  }
  async reload() {
    clearTimeout(this.timer);
    const generation = (this.generation = (this.generation || 0) + 1);
    try {
      const data = await this.fetchData();
      if (!this.alive || generation !== this.generation) return;
      this.setState({ loading: false, error: null, data });
    } catch (error) {
      if (!this.alive || generation !== this.generation) return;
      this.setState({ loading: false, error });
    }
    if (this.alive && this.pollEvery()) this.timer = setTimeout(() => this.reload(), this.pollEvery());
  }
  render() {
    const { loading, error, data } = this.state;
    if (loading && !data) return html`<${Loading} />`;
    if (error && !data) return html`<${ErrorBox} error=${error} onRetry=${() => this.reload()} />`;
    return html`${error ? html`<${ErrorBox} error=${error} compact />` : null}${this.view(data)}`;
  }
}

export const Loading = ({ text }) => html`<p class="state loading" role="status"><span class="spinner" aria-hidden="true"></span>${text || 'Memuat data…'}</p>`;
export const Empty = ({ text }) => html`<p class="state empty">${text || 'Belum ada data.'}</p>`;
export function ErrorBox({ error, onRetry, compact }) {
  const text = typeof error === 'string' ? error : describeError(error);
  return html`<div class=${`state error${compact ? ' compact' : ''}`} role="alert">
    <span>${text}</span>
    ${onRetry ? html`<button type="button" class="btn small" onClick=${onRetry}>Coba lagi</button>` : null}
  </div>`;
}
export const Notice = ({ kind, children }) => html`<div class=${`notice ${kind || 'info'}`} role=${kind === 'error' ? 'alert' : 'status'}>${children}</div>`;

export const StatusBadge = ({ status, label }) => html`<span class=${`badge status-${status}`}>${label || STATUS_LABELS[status] || status}</span>`;
export const SlaBadge = ({ sla }) => html`<span class=${`badge sla-${sla}`}>${SLA_LABELS[sla] || sla}</span>`;

export function Card({ title, children, actions, className }) {
  return html`<section class=${`card ${className || ''}`} aria-label=${title}>
    ${title ? html`<header class="card-head"><h2>${title}</h2>${actions || null}</header>` : null}
    <div class="card-body">${children}</div>
  </section>`;
}

export const Kpi = ({ label, value, hint, tone }) => html`<div class=${`kpi ${tone || ''}`}>
  <div class="kpi-label">${label}</div>
  <div class="kpi-value">${value}</div>
  ${hint ? html`<div class="kpi-hint">${hint}</div>` : null}
</div>`;

const PALETTE = ['#0b4f8a', '#f2a900', '#1f9d6b', '#d64545', '#7a5bd6', '#2aa1c9', '#8c6d1f', '#5c6b7a', '#e0789a', '#3f7d20', '#b35c00'];

/**
 * A Chart.js chart (from vendor/chart.umd.min.js). `type`, `labels`, `datasets`; the canvas
 * is an image with a text summary for screen readers.
 */
export class ChartBox extends Component {
  constructor(props) {
    super(props);
    this.canvas = createRef();
    this.chart = null;
  }
  componentDidMount() {
    this.draw();
  }
  componentDidUpdate(previous) {
    if (JSON.stringify([previous.labels, previous.datasets]) !== JSON.stringify([this.props.labels, this.props.datasets])) this.draw();
  }
  componentWillUnmount() {
    if (this.chart) this.chart.destroy();
  }
  draw() {
    const { type, labels, datasets, stacked, horizontal } = this.props;
    if (!window.Chart || !this.canvas.current) return;
    const round = type === 'doughnut' || type === 'pie';
    const data = {
      labels,
      datasets: datasets.map((set, index) => ({
        ...set,
        backgroundColor: set.backgroundColor || (round ? labels.map((_, i) => PALETTE[i % PALETTE.length]) : PALETTE[index % PALETTE.length]),
        borderColor: set.borderColor || (round ? '#fff' : PALETTE[index % PALETTE.length]),
        borderWidth: type === 'line' ? 2 : 1,
        tension: 0.25,
        pointRadius: type === 'line' ? 2 : undefined,
      })),
    };
    if (this.chart) {
      this.chart.data = data;
      this.chart.update('none');
      return;
    }
    this.chart = new window.Chart(this.canvas.current, {
      type,
      data,
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        indexAxis: horizontal ? 'y' : 'x',
        plugins: { legend: { display: round || datasets.length > 1, position: 'bottom' } },
        scales: round ? {} : { x: { stacked: Boolean(stacked) }, y: { stacked: Boolean(stacked), beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
  }
  render({ label, labels, datasets, height }) {
    const summary = datasets.map((set) => `${set.label || ''}: ${labels.map((name, i) => `${name} ${set.data[i] ?? 0}`).join(', ')}`).join('; ');
    const empty = datasets.every((set) => set.data.every((value) => !value));
    return html`<figure class="chart">
      <figcaption>${label}</figcaption>
      <div class="chart-area" style=${{ height: `${height || 220}px` }}>
        <canvas ref=${this.canvas} role="img" aria-label=${`${label}. ${summary || 'Tidak ada data.'}`}></canvas>
      </div>
      ${empty ? html`<p class="chart-empty">Belum ada data pada periode ini.</p>` : null}
    </figure>`;
  }
}

/** Previous / next over cursor pages (`next_cursor`). */
export function Pager({ page, hasNext, onPrev, onNext }) {
  return html`<nav class="pager" aria-label="Halaman">
    <button type="button" class="btn" disabled=${page === 0} onClick=${onPrev}>‹ Sebelumnya</button>
    <span>Halaman ${page + 1}</span>
    <button type="button" class="btn" disabled=${!hasNext} onClick=${onNext}>Berikutnya ›</button>
  </nav>`;
}

/** A text counter against a WhatsApp limit: `12/24`, red when over. */
export function Counter({ value, max }) {
  const length = [...(value || '')].length;
  return html`<span class=${`counter${length > max ? ' over' : ''}`} aria-live="polite">${length}/${max}</span>`;
}

/** Renders WhatsApp formatting (*bold*, _italic_, ~strike~) as elements; text stays text. */
export function WaText({ text }) {
  if (!text) return null;
  const parts = [];
  const pattern = /(\*[^*\n]+\*|_[^_\n]+_|~[^~\n]+~)/g;
  let last = 0;
  let match;
  while ((match = pattern.exec(text))) {
    if (match.index > last) parts.push(text.slice(last, match.index));
    const inner = match[0].slice(1, -1);
    const tag = match[0][0] === '*' ? 'strong' : match[0][0] === '_' ? 'em' : 's';
    parts.push(h(tag, null, inner));
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return html`<span class="wa-text">${parts}</span>`;
}
