/**
 * A plain live page served when the Vue client has not been built: enough to
 * see the floor move right after `npm start`. It uses the same `/live`
 * snapshot + delta protocol as the real client.
 */
export function fallbackPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Floorwatch</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#0f172a;color:#e2e8f0}
header{padding:12px 20px;background:#1e293b;display:flex;gap:16px;align-items:center}
h1{font-size:18px;margin:0} #status{margin-left:auto} .lost{color:#fca5a5;font-weight:700}
main{padding:16px 20px;display:grid;gap:16px}
table{border-collapse:collapse;width:100%} td,th{padding:4px 8px;border-bottom:1px solid #334155;text-align:left}
.breach{color:#fca5a5}.warn{color:#fcd34d}.info{color:#93c5fd}
</style></head><body>
<header><h1>Floorwatch</h1><span>live floor (basic view)</span><span id="status">connecting…</span></header>
<main><section><h2>Queues</h2><table id="queues"></table></section>
<section><h2>Open alerts</h2><table id="alerts"></table></section></main>
<script src="/socket.io/socket.io.js"></script>
<script>
const params = new URLSearchParams(location.search);
const socket = io('/live', { auth: { scope: 'floor', token: params.get('token') || undefined } });
let snap = null, seq = 0, alerts = new Map();
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
function render() {
  if (!snap) return;
  const q = snap.payload.queues;
  document.getElementById('queues').innerHTML = '<tr><th>queue</th><th>waiting</th><th>offered</th><th>answered</th><th>abandoned</th><th>SL %</th><th>ASA s</th><th>AHT s</th></tr>' +
    q.map((k) => '<tr><td>' + esc(k.queueId) + '</td><td>' + k.waiting + '</td><td>' + k.offered + '</td><td>' + k.answered + '</td><td>' + k.abandoned + '</td><td>' + (k.serviceLevelPct ?? '–') + '</td><td>' + (k.asaSec ?? '–') + '</td><td>' + (k.ahtSec ?? '–') + '</td></tr>').join('');
  const open = [...alerts.values()].filter((a) => a.status === 'open').sort((a, b) => b.raisedAtMs - a.raisedAtMs).slice(0, 30);
  document.getElementById('alerts').innerHTML = '<tr><th>level</th><th>rule</th><th>agent</th><th>value</th></tr>' +
    open.map((a) => '<tr class="' + a.level + '"><td>' + a.level + '</td><td>' + esc(a.ruleId) + '</td><td>' + esc(a.agentId || a.queueId || '') + '</td><td>' + a.value + ' ' + a.unit + '</td></tr>').join('');
}
socket.on('live:snapshot', (s) => { snap = s; seq = s.seq; alerts = new Map(s.payload.alerts.map((a) => [a.id, a])); render(); });
socket.on('live:delta', (d) => {
  if (d.seq !== seq + 1 || d.resync) { socket.emit('live:resync', (r) => { if (r.ok) { snap = r.data; seq = r.data.seq; alerts = new Map(r.data.payload.alerts.map((a) => [a.id, a])); render(); } }); return; }
  seq = d.seq;
  if (d.queues) snap.payload.queues = d.queues;
  for (const a of d.alerts || []) alerts.set(a.id, a);
  for (const id of d.alertsRemoved || []) alerts.delete(id);
  for (const p of d.alertPatches || []) { const a = alerts.get(p.id); if (a) { const n = Object.assign({}, a, p); delete n.unset; for (const k of p.unset || []) delete n[k]; alerts.set(p.id, n); } }
  render();
});
socket.on('connect', () => { document.getElementById('status').textContent = 'live'; document.getElementById('status').className = ''; });
socket.on('disconnect', () => { const el = document.getElementById('status'); el.textContent = 'feed lost since ' + new Date().toLocaleTimeString(); el.className = 'lost'; });
socket.on('connect_error', (e) => { const el = document.getElementById('status'); el.textContent = 'cannot connect: ' + e.message; el.className = 'lost'; });
</script></body></html>`;
}
