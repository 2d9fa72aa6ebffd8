// The browser client of a tcanvas room. It joins the room of its own
// address (same origin only), keeps the canvas as docs/PROTOCOL.md says,
// carries presence over the WebRTC mesh with the relay as fallback, and,
// for editors, draws with a pen, text, an eraser and undo.

import { Canvas, key, oneColumn, cellWidth } from './model.js';
import { encode, decode, decodeBatch, newer } from './presence.js';
import { Mesh } from './mesh.js';
import { Painter, color } from './render.js';

const t0 = performance.now();
const $ = (s) => document.querySelector(s);

// The invite token is read once from the address and moved out of it, so
// it is not left in the address bar, the history or a bookmark; the tab
// keeps it for reloads.
const path = location.pathname;
const room = decodeURIComponent(path.slice(path.lastIndexOf('/r/') + 3));
const tokenKey = 'tcanvas-token:' + path;
let token = '';
{
  // "#token=T" works too, and never reaches any server or proxy log.
  const u = new URL(location.href);
  const frag = new URLSearchParams(u.hash.slice(1));
  const t = u.searchParams.get('token') || frag.get('token');
  if (t) {
    token = t;
    sessionStorage.setItem(tokenKey, t);
    u.searchParams.delete('token');
    frag.delete('token');
    const rest = frag.toString();
    history.replaceState(null, '', u.pathname + u.search + (rest ? '#' + rest : ''));
  } else token = sessionStorage.getItem(tokenKey) || '';
}

const hex = (n) => Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => b.toString(16).padStart(2, '0')).join('');
const client = 'web' + hex(8); // our secret client ID: no '-' so commit IDs are CLIENT-N
function defaultName() {
  const q = new URL(location.href).searchParams.get('name');
  const n = (q || localStorage.getItem('tcanvas-name') || 'web-' + hex(2)).trim();
  const runes = [...n].filter(oneColumn).slice(0, 32).join('');
  return runes || 'web';
}
const me = { name: defaultName(), color: String(1 + (crypto.getRandomValues(new Uint8Array(1))[0] % 14)) };

const canvas = new Canvas();
const painter = new Painter($('#grid'));

const st = {
  ws: null, you: 0, role: '', epoch: '', seq: 0, ready: false, online: false,
  roster: new Map(), // id -> peer
  presence: new Map(), // id -> {p, at, seq}
  routes: new Map(), // id -> 'p2p' | 'relay'
  routeAt: new Map(), // id -> when the route last changed (performance.now())
  meshMax: 8, ice: [], mesh: null,
  vx: -2, vy: -1, follow: 0,
  cursor: null, pseq: 0, lastSent: 0, dirty: true,
  commitN: 0, pending: new Map(), // commit id -> frame
  undoable: [], redoable: [],
  tool: 'pan', brush: '*', textAt: null, textBuf: '',
  firstCanvasMs: 0, attempt: 0, fatal: '',
  relayedIn: 0, p2pIn: 0,
};

// ---- the WebSocket: commits, roster, signaling, relayed presence ----

function connect() {
  const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + path);
  ws.binaryType = 'arraybuffer';
  st.ws = ws;
  setStatus('connecting');
  ws.onopen = () => {
    const hello = { t: 'hello', v: 1, client, name: me.name, color: me.color };
    if (token) hello.token = token;
    if (st.onlyExisting) hello.existing = true;
    if (st.epoch) { hello.epoch = st.epoch; hello.seq = st.seq; }
    ws.send(JSON.stringify(hello));
  };
  ws.onmessage = (e) => {
    if (typeof e.data === 'string') onFrame(JSON.parse(e.data));
    else onBatch(new Uint8Array(e.data));
  };
  ws.onclose = (e) => {
    if (st.ws !== ws) return;
    st.online = st.ready = false;
    dropMesh();
    st.roster.clear(); st.presence.clear();
    renderRoster();
    if (e.code === 4006 && st.onlyExisting) { offerToCreate(); return; }
    if ([4000, 4001, 4004, 4005].includes(e.code)) {
      st.fatal = e.reason || 'closed (' + e.code + ')';
      setStatus('closed: ' + st.fatal);
      return;
    }
    const wait = Math.min(5000, 100 * 2 ** st.attempt++) * (0.5 + Math.random() / 2);
    setStatus('offline, retrying');
    setTimeout(connect, wait);
  };
}

function send(frame) {
  if (st.ws && st.ws.readyState === WebSocket.OPEN) st.ws.send(JSON.stringify(frame));
}

function onFrame(f) {
  switch (f.t) {
    case 'welcome':
      st.you = f.you; st.role = f.role; st.epoch = f.epoch; st.meshMax = f.mesh_max || 8; st.ice = f.ice || [];
      if (f.token) { token = f.token; sessionStorage.setItem(tokenKey, f.token); } // we created the room: we own it
      if (f.sync === 'snapshot') canvas.clear();
      st.roster = new Map(f.roster.map((p) => [p.id, p]));
      st.seq = f.seq;
      st.attempt = 0;
      renderTools();
      break;
    case 'snap':
      for (const op of f.runs) canvas.apply(op);
      break;
    case 'committed':
      for (const op of f.ops) canvas.apply(op);
      st.seq = f.seq;
      if (f.id && st.pending.has(f.id)) {
        st.pending.delete(f.id);
        if (f.kind === 'undo') st.redoable.push(f.seq);
        else { st.undoable.push(f.seq); if (f.kind === 'draw') st.redoable = []; }
      }
      st.dirty = true;
      break;
    case 'ack': { // it landed before a reconnection: still ours to undo or redo
      const fr = st.pending.get(f.id);
      st.pending.delete(f.id);
      if (fr && fr.t === 'undo') st.redoable.push(f.seq);
      else if (fr) st.undoable.push(f.seq);
      break;
    }
    case 'reject':
      st.pending.delete(f.id);
      flash(`not drawn: ${f.reason}`);
      st.dirty = true;
      break;
    case 'ready':
      st.ready = st.online = true;
      st.readyAt = performance.now();
      st.seq = f.seq;
      for (const fr of st.pending.values()) send(fr); // resend with the same IDs: landed ones are acked
      syncMesh();
      renderRoster();
      setStatus('online');
      st.dirty = true;
      break;
    case 'join': st.roster.set(f.peer.id, f.peer); syncMesh(); renderRoster(); break;
    case 'update':
      st.roster.set(f.peer.id, f.peer);
      if (f.peer.id === st.you) { st.role = f.peer.role; renderTools(); }
      renderRoster();
      break;
    case 'leave':
      st.roster.delete(f.id); st.presence.delete(f.id); st.routes.delete(f.id);
      if (st.mesh) st.mesh.remove(f.id);
      if (st.follow === f.id) st.follow = 0;
      syncMesh(); renderRoster(); st.dirty = true;
      break;
    case 'signal': if (st.mesh) st.mesh.handle(f.from, f.data); break;
    case 'error': if (!f.fatal) console.debug('authority:', f.code, f.reason); else st.fatal = f.reason; break;
  }
}

// ---- presence ----

function onBatch(b) {
  try {
    for (const [peer, s, e] of decodeBatch(b)) { st.relayedIn++; onPresence(peer, b, s, e); }
  } catch (err) { console.debug('bad relay batch', err); }
}

function onPresence(peer, b, s = 0, e = b.length) {
  let p;
  try { p = decode(b, s, e); } catch { return; }
  const old = st.presence.get(peer);
  if (old && !newer(p.seq, old.p.seq)) return;
  st.presence.set(peer, { p, at: performance.now() });
  if (api.onPresence) api.onPresence(peer, p);
  if (st.follow === peer) followTo(p);
  st.dirty = true;
}

function followTo(p) {
  if (p.noFollow) { st.follow = 0; renderRoster(); return; }
  // Centre on what they see (our window may be another size), else on
  // their cursor.
  const v = p.viewport;
  const at = v ? { x: v.x + (v.w >> 1), y: v.y + (v.h >> 1) } : p.cursor;
  if (!at) return;
  st.vx = at.x - (painter.cols >> 1);
  st.vy = at.y - (painter.rows >> 1);
}

function meshWanted() { return st.ready && st.roster.size <= st.meshMax && typeof RTCPeerConnection === 'function'; }

function syncMesh() {
  if (!meshWanted()) { dropMesh(); return; }
  if (!st.mesh) {
    st.mesh = new Mesh(st.you, st.ice, {
      signal: (to, data) => send({ t: 'signal', to, data }),
      packet: (from, bytes) => { st.p2pIn++; onPresence(from, bytes); },
      route: (peer, r) => { st.routes.set(peer, r); st.routeAt.set(peer, performance.now()); renderRoster(); },
    }, new URL(location.href).searchParams.get('candidates') === '0');
  }
  for (const id of st.roster.keys()) if (id !== st.you) st.mesh.add(id);
}

function dropMesh() {
  if (st.mesh) { st.mesh.close(); st.mesh = null; }
  st.routes.clear();
}

const TOOLS = { pan: 0, pen: 1, text: 2, erase: 3 };

let trailing = 0;
function sendPresence(force) {
  if (!st.ready) return;
  const now = performance.now();
  const wait = st.lastSent + 1000 / 60 - now;
  if (!force && wait > 0) {
    // At most 60 a second, but the latest position always goes out.
    if (!trailing) trailing = setTimeout(() => { trailing = 0; sendPresence(true); }, wait);
    return;
  }
  clearTimeout(trailing);
  trailing = 0;
  st.lastSent = now;
  st.pseq = (st.pseq + 1) & 0xffff;
  const pkt = encode({
    seq: st.pseq, cursor: st.cursor || undefined,
    viewport: { x: st.vx, y: st.vy, w: painter.cols, h: painter.rows },
    tool: TOOLS[st.tool], brush: st.tool === 'pen' ? st.brush : '',
    ghost: strokeGhost(),
  });
  const others = [...st.roster.keys()].filter((id) => id !== st.you);
  const unreached = st.mesh ? st.mesh.send(pkt, others) : others.length;
  if (unreached > 0 && st.ws.readyState === WebSocket.OPEN) st.ws.send(pkt);
}
setInterval(() => sendPresence(true), 3000); // keep-alive, as the Go session does

// ---- drawing ----

function commit(ops) {
  const id = `${client}-${++st.commitN}`;
  const fr = { t: 'commit', id, ops };
  st.pending.set(id, fr);
  send(fr);
  st.dirty = true;
  return id;
}

function undoRedo(kind) {
  const stack = kind === 'undo' ? st.undoable : st.redoable;
  const target = stack.pop();
  if (!target) { flash(`nothing to ${kind}`); return; }
  const id = `${client}-${++st.commitN}`;
  const fr = { t: kind, id, target };
  st.pending.set(id, fr);
  send(fr);
}

// The stroke being drawn and the pending commits are shown on top of the
// committed canvas until their committed frames arrive.
let stroke = null; // Map of key -> cell while the mouse is down
function overlay() {
  const o = new Map();
  for (const fr of st.pending.values()) {
    if (fr.t !== 'commit') continue;
    for (const op of fr.ops) {
      if (op.op === 'set') for (const c of op.cells) o.set(key(c.x, c.y), c.ch ? { ch: c.ch, fg: c.fg || '' } : null);
      if (op.op === 'text') { let x = op.x; for (const r of op.text) o.set(key(x++, op.y), { ch: r, fg: op.fg || '' }); }
    }
  }
  if (stroke) for (const [k, c] of stroke) o.set(k, c);
  if (st.textAt) { let x = st.textAt.x; for (const r of st.textBuf) o.set(key(x++, st.textAt.y), { ch: r, fg: me.color, attr: 8 }); }
  // Erased cells are shown empty: a null entry hides the committed cell.
  for (const [k, v] of o) if (v === null) o.set(k, { ch: ' ' });
  return o;
}

function cellAt(ev) {
  const r = painter.el.getBoundingClientRect();
  return { x: st.vx + Math.floor((ev.clientX - r.left) / painter.cw), y: st.vy + Math.floor((ev.clientY - r.top) / painter.ch) };
}

function canEdit() { return st.role === 'owner' || st.role === 'editor'; }

function commitText() {
  if (st.textAt && st.textBuf) commit([{ op: 'text', x: st.textAt.x, y: st.textAt.y, text: st.textBuf, fg: me.color }]);
  st.textBuf = '';
}

let drag = null;
const el = painter.el;
el.addEventListener('pointerdown', (ev) => {
  el.setPointerCapture(ev.pointerId);
  const c = cellAt(ev);
  const tool = ev.button === 1 || !canEdit() ? 'pan' : st.tool;
  drag = { tool, sx: ev.clientX, sy: ev.clientY, vx: st.vx, vy: st.vy };
  if (tool === 'pan') { stopFollowing(); return; }
  if (tool === 'text') { commitText(); st.textAt = { x: c.x, y: c.y }; st.textX0 = c.x; st.dirty = true; return; }
  stroke = new Map();
  strokePts = [];
  addStroke(c, tool);
});
el.addEventListener('pointermove', (ev) => {
  const c = cellAt(ev);
  if (!st.cursor || st.cursor.x !== c.x || st.cursor.y !== c.y) { st.cursor = c; sendPresence(false); st.dirty = true; }
  if (!drag) return;
  if (drag.tool === 'pan') {
    st.vx = drag.vx - Math.round((ev.clientX - drag.sx) / painter.cw);
    st.vy = drag.vy - Math.round((ev.clientY - drag.sy) / painter.ch);
    st.dirty = true;
  } else if (stroke) addStroke(c, drag.tool);
});
el.addEventListener('pointerup', (ev) => {
  if (stroke) addStroke(cellAt(ev), drag.tool);
  if (stroke && stroke.size) {
    const cells = [...stroke].map(([k, c]) => { const [x, y] = k.split(',').map(Number); return c.ch === ' ' ? { x, y } : { x, y, ch: c.ch, fg: c.fg }; });
    commit([{ op: 'set', cells }]);
  }
  stroke = null; drag = null; strokePts = []; st.dirty = true;
  sendPresence(true); // the ghost is gone
});
el.addEventListener('wheel', (ev) => {
  ev.preventDefault();
  if (ev.ctrlKey) { // pinch or ctrl+wheel: zoom, keeping the view's top-left cell
    painter.setFont(Math.max(8, Math.min(40, painter.fontSize - Math.sign(ev.deltaY) * 2)));
    fit();
    return;
  }
  stopFollowing();
  st.vx += Math.round(ev.deltaX / painter.cw) || (ev.shiftKey ? Math.sign(ev.deltaY) * 4 : 0);
  if (!ev.shiftKey) st.vy += Math.round(ev.deltaY / painter.ch) || Math.sign(ev.deltaY);
  st.dirty = true;
}, { passive: false });

function addStroke(c, tool) {
  if (stroke.size >= 4096) return; // one commit of a very long drag; the next drag goes on
  const k = key(c.x, c.y);
  if (!stroke.has(k)) strokePts.push(c);
  stroke.set(k, tool === 'erase' ? { ch: ' ' } : { ch: st.brush, fg: me.color });
  st.dirty = true;
  sendPresence(false);
}

// The pen's stroke in progress goes to peers as a freehand ghost: its
// latest 32 cells (an eraser's shows as cells without a character).
let strokePts = [];
function strokeGhost() {
  if (!stroke || !strokePts.length || !drag) return undefined;
  return { kind: 4, style: 0, ch: drag.tool === 'pen' ? st.brush : '', points: strokePts.slice(-32) };
}

window.addEventListener('keydown', (ev) => {
  if (ev.target instanceof HTMLInputElement) return;
  const mod = ev.ctrlKey || ev.metaKey;
  if (mod && ev.key.toLowerCase() === 'z') { ev.preventDefault(); if (canEdit()) undoRedo(ev.shiftKey ? 'redo' : 'undo'); return; }
  if (mod && ev.key.toLowerCase() === 'y') { ev.preventDefault(); if (canEdit()) undoRedo('redo'); return; }
  if (st.tool === 'text' && st.textAt && canEdit()) {
    if (ev.key === 'Enter') { commitText(); st.textAt = { x: st.textX0, y: st.textAt.y + 1 }; }
    else if (ev.key === 'Escape') { commitText(); st.textAt = null; }
    else if (ev.key === 'Backspace') st.textBuf = [...st.textBuf].slice(0, -1).join('');
    else if (!mod && [...ev.key].length === 1) {
      if (cellWidth(ev.key)) st.textBuf += ev.key; else flash(`"${ev.key}" is not a character a cell can hold`);
    } else return;
    ev.preventDefault(); st.dirty = true; return;
  }
  const step = { ArrowLeft: [-4, 0], ArrowRight: [4, 0], ArrowUp: [0, -2], ArrowDown: [0, 2] }[ev.key];
  if (step) { stopFollowing(); st.vx += step[0]; st.vy += step[1]; st.dirty = true; ev.preventDefault(); }
});

// ---- the page around the canvas ----

function setTool(t) {
  if (st.tool === 'text') { commitText(); st.textAt = null; }
  st.tool = t;
  for (const b of document.querySelectorAll('[data-tool]')) b.setAttribute('aria-pressed', String(b.dataset.tool === t));
  el.dataset.tool = t;
  sendPresence(true);
  st.dirty = true;
}
for (const b of document.querySelectorAll('[data-tool]')) b.addEventListener('click', () => setTool(b.dataset.tool));
$('#undo').addEventListener('click', () => undoRedo('undo'));
$('#redo').addEventListener('click', () => undoRedo('redo'));
$('#brush').addEventListener('input', (e) => {
  const r = [...e.target.value].pop();
  if (r && cellWidth(r)) st.brush = r;
  e.target.value = st.brush;
});

function renderTools() {
  $('#tools').hidden = !canEdit();
  $('#role').textContent = st.role;
  if (!canEdit() && st.tool !== 'pan') setTool('pan');
}

function stopFollowing() { if (st.follow) { st.follow = 0; renderRoster(); } }

function renderRoster() {
  const ul = $('#peers');
  ul.replaceChildren();
  for (const p of st.roster.values()) {
    const li = document.createElement('li');
    li.dataset.peer = p.id;
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = color(p.color, '#c5c8c6');
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = p.name + (p.id === st.you ? ' (you)' : '') + (p.bot ? ' · bot' : '');
    const meta = document.createElement('span');
    meta.className = 'meta';
    meta.textContent = p.role + (p.id === st.you ? '' : ' · ' + (st.routes.get(p.id) || 'relay'));
    li.append(sw, name, meta);
    if (p.id !== st.you) {
      const b = document.createElement('button');
      b.textContent = st.follow === p.id ? 'following' : 'follow';
      b.setAttribute('aria-pressed', String(st.follow === p.id));
      b.addEventListener('click', () => {
        st.follow = st.follow === p.id ? 0 : p.id;
        const pr = st.presence.get(p.id);
        if (st.follow && pr) followTo(pr.p);
        renderRoster(); st.dirty = true;
      });
      li.append(b);
    }
    ul.append(li);
  }
  $('#count').textContent = String(st.roster.size);
}

function setStatus(s) { $('#link').textContent = s; $('#link').dataset.state = s.split(/[ :]/)[0]; }
let flashTimer = 0;
function flash(msg) { $('#msg').textContent = msg; clearTimeout(flashTimer); flashTimer = setTimeout(() => { $('#msg').textContent = ''; }, 4000); }

function cursors() {
  const out = [], now = performance.now();
  for (const [id, { p, at }] of st.presence) {
    const peer = st.roster.get(id);
    if (!peer || !p.cursor || p.hidden || id === st.you) continue;
    out.push({ id, x: p.cursor.x, y: p.cursor.y, name: peer.name, color: peer.color, stale: now - at > 10000, ghost: p.ghost });
  }
  return out;
}

function fit() {
  const r = $('#stage').getBoundingClientRect();
  painter.resize(r.width, r.height);
  st.dirty = true;
}
new ResizeObserver(fit).observe($('#stage'));

function paintNow() {
  if (st.dirty) {
    st.dirty = false;
    const cs = cursors();
    const caret = st.tool === 'text' && st.textAt ? { x: st.textAt.x + [...st.textBuf].length, y: st.textAt.y } : null;
    painter.paint(canvas, overlay(), st.vx, st.vy, cs, caret);
    st.shownCursors = cs;
    $('#pos').textContent = st.cursor ? `${st.cursor.x},${st.cursor.y}` : '';
    $('#seq').textContent = 'seq ' + st.seq;
    if (st.ready && !st.firstCanvasMs) {
      st.firstCanvasMs = performance.now(); // navigation start is 0
      document.body.dataset.ready = 'true';
    }
  }
}
function frame() { paintNow(); requestAnimationFrame(frame); }
// Background tabs run no animation frames; repaint on a timer too so the
// page stays live.
setInterval(paintNow, 250);

// Joining a room that does not exist creates it and makes us its owner.
// A link followed in a browser should not do that by surprise (the
// audience would own the speaker's room), so without a token the page
// joins with hello.existing, which never creates a room (close 4006 when
// there is none), and asks before joining without it. Nothing but a
// join that is allowed to create tells whether a room exists: no oracle.
async function offerToCreate() {
  setStatus('no such room');
  $('#create-room').textContent = room;
  $('#create').hidden = false;
  await new Promise((ok) => $('#create button').addEventListener('click', ok, { once: true }));
  $('#create').hidden = true;
  st.onlyExisting = false;
  connect();
}

function start() {
  st.onlyExisting = !token;
  connect();
}

$('#room').textContent = room;
document.title = room + ' · tcanvas';
fit();
setTool('pan');
start();
requestAnimationFrame(frame);

// What the page shows, for tests, benchmarks and assistive tools. It
// exposes no secret: neither the token nor the client ID.
const api = {
  onPresence: null,
  screen: () => painter.shown.slice(),
  cursors: () => (st.shownCursors || []).map(({ ghost, ...c }) => c),
  routes: () => Object.fromEntries(st.routes),
  state: () => ({ you: st.you, role: st.role, seq: st.seq, ready: st.ready, peers: st.roster.size, vx: st.vx, vy: st.vy, cols: painter.cols, rows: painter.rows,
    follow: st.follow, relayedIn: st.relayedIn, p2pIn: st.p2pIn, firstCanvasMs: st.firstCanvasMs, routeAt: Object.fromEntries(st.routeAt), readyAt: st.readyAt, loadStartMs: t0, pending: st.pending.size }),
  cellCenter: (x, y) => {
    const r = el.getBoundingClientRect();
    return { x: r.left + (x - st.vx + 0.5) * painter.cw, y: r.top + (y - st.vy + 0.5) * painter.ch };
  },
  moveCursor: (x, y) => { st.cursor = { x, y }; sendPresence(true); st.dirty = true; },
};
window.tcanvas = api;
