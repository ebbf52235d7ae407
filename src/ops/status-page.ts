/**
 * The status page: one self-contained HTML document (inline CSS and script, no build step, no CDN).
 * The script polls /api/status every second, forwarding the page's ?token= as a bearer token, and
 * renders with textContent only (device data is never parsed as HTML).
 */
const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
header{background:#1d2330;color:#fff;padding:12px 20px;display:flex;gap:24px;align-items:baseline;flex-wrap:wrap}
header h1{font-size:18px;margin:0}
.pill{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;background:#ccc;color:#1d2330}
.up,.online{background:#2e9d5b;color:#fff}.down,.offline{background:#c9383a;color:#fff}.connecting{background:#e0a526}
main{padding:16px 20px;display:grid;grid-template-columns:repeat(auto-fill,minmax(380px,1fr));gap:16px}
section{background:#fff;border-radius:6px;box-shadow:0 1px 2px #0002;padding:12px 16px}
section h2{font-size:16px;margin:0 0 8px;display:flex;justify-content:space-between}
table{border-collapse:collapse;width:100%}td{padding:2px 4px;border-bottom:1px solid #eee}
td.v{text-align:right;font-variant-numeric:tabular-nums}td.bad{color:#c9383a}
#err{color:#c9383a;padding:0 20px}`;

const SCRIPT = `
const token = new URLSearchParams(location.search).get('token');
const headers = token ? { Authorization: 'Bearer ' + token } : {};
const $ = (id) => document.getElementById(id);
function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; }
function fmt(v) { return typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(3)) : v === null ? '-' : String(v); }
function device(d) {
  const s = el('section'); s.dataset.device = d.id;
  const h = el('h2', d.id); h.append(el('span', d.state, 'pill ' + d.state)); s.append(h);
  if (d.lastError) s.append(el('div', d.lastError, 'bad'));
  const t = el('table');
  for (const p of d.points.sort((a, b) => a.point.localeCompare(b.point))) {
    const r = el('tr'); r.append(el('td', p.point));
    const v = el('td', p.quality === 'good' ? fmt(p.value) + (p.unit ? ' ' + p.unit : '') : (p.code || 'bad'), 'v' + (p.quality === 'good' ? '' : ' bad'));
    v.dataset.point = d.id + '/' + p.point; r.append(v); t.append(r);
  }
  s.append(t); return s;
}
async function refresh() {
  try {
    const res = await fetch('api/status', { headers, cache: 'no-store' });
    if (!res.ok) throw new Error('status ' + res.status);
    const s = await res.json();
    $('gw').textContent = s.gateway;
    $('cloud').textContent = s.cloud.state; $('cloud').className = 'pill ' + s.cloud.state;
    $('depth').textContent = s.queue.depth;
    $('lag').textContent = s.cloud.deliveryLagMs === null ? '-' : (s.cloud.deliveryLagMs / 1000).toFixed(1) + ' s';
    $('rate').textContent = s.samplesPerSecond.toFixed(1);
    $('updated').textContent = new Date(s.time).toLocaleTimeString();
    $('devices').replaceChildren(...s.devices.map(device));
    $('err').textContent = '';
  } catch (e) { $('err').textContent = 'cannot load status: ' + e.message; }
}
refresh(); setInterval(refresh, 1000);`;

export const STATUS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Edgeway status</title><style>${STYLE}</style></head>
<body><header><h1>Edgeway <span id="gw"></span></h1>
<span>cloud <span id="cloud" class="pill">-</span></span>
<span>queue depth <b id="depth">-</b></span><span>delivery lag <b id="lag">-</b></span>
<span>samples/s <b id="rate">-</b></span><span>updated <span id="updated">-</span></span></header>
<div id="err"></div><main id="devices"></main>
<script>${SCRIPT}</script></body></html>
`;
