// Presence packets and relay batches (docs/PROTOCOL.md §11).

import { cellWidth } from './model.js';

export const MAX_PRESENCE = 512;
export const MAX_GHOST_TEXT = 256;
export const GHOST_PATH = 5, GHOST_TEXT = 6;
const LIMIT = 1 << 30;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function putUvarint(out, n) {
  while (n >= 0x80) { out.push((n % 0x80) | 0x80); n = Math.floor(n / 0x80); }
  out.push(n);
}
const putVarint = (out, v) => putUvarint(out, v >= 0 ? 2 * v : -2 * v - 1);

/** encode builds a packet from {seq, cursor, viewport, tool, brush, ghost, hidden, noFollow}. */
export function encode(p) {
  const out = [0, (p.seq >> 8) & 0xff, p.seq & 0xff];
  let flags = 0x40;
  if (p.cursor) { flags |= 1; putVarint(out, p.cursor.x); putVarint(out, p.cursor.y); }
  if (p.viewport) {
    flags |= 2; const v = p.viewport;
    putVarint(out, v.x); putVarint(out, v.y); putUvarint(out, Math.min(v.w, 4096)); putUvarint(out, Math.min(v.h, 4096));
  }
  if (p.tool !== undefined) { flags |= 4; out.push(p.tool & 0xff); putUvarint(out, p.brush ? p.brush.codePointAt(0) : 0); }
  if (p.ghost) {
    flags |= 8; const g = p.ghost;
    out.push(g.kind, (g.style || 0) | (g.kind === GHOST_PATH ? (g.arrows || 0) << 4 : 0));
    putUvarint(out, g.ch ? g.ch.codePointAt(0) : 0);
    const pts = g.points.slice(-32);
    putUvarint(out, pts.length);
    let x = 0, y = 0;
    for (const pt of pts) { putVarint(out, pt.x - x); putVarint(out, pt.y - y); x = pt.x; y = pt.y; }
    if (g.kind === GHOST_TEXT) {
      const t = new TextEncoder().encode(g.text || '').slice(0, MAX_GHOST_TEXT);
      putUvarint(out, t.length); for (const c of t) out.push(c);
    }
  }
  if (p.hidden) flags |= 0x10;
  if (p.noFollow) flags |= 0x20;
  out[0] = flags;
  return new Uint8Array(out);
}

class Reader {
  constructor(b, i = 0, end = b.length) { this.b = b; this.i = i; this.end = end; }
  u8() { if (this.i >= this.end) throw new Error('short packet'); return this.b[this.i++]; }
  uvarint() {
    let n = 0, mul = 1;
    for (let k = 0; k < 8; k++) {
      const c = this.u8();
      if (k > 0 && c === 0) throw new Error('non-minimal varint');
      n += (c & 0x7f) * mul; mul *= 0x80;
      if (!(c & 0x80)) return n;
    }
    throw new Error('varint too long');
  }
  varint() { const z = this.uvarint(); return z % 2 ? -(z + 1) / 2 : z / 2; }
  coord() { const v = this.varint(); if (v < -LIMIT || v > LIMIT) throw new Error('coordinate out of range'); return v; }
  side() { const v = this.uvarint(); if (v > 4096) throw new Error('viewport too large'); return v; }
  rune() { return this.checkRune(this.uvarint()); }
  checkRune(v) {
    if (v === 0) return '';
    if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff) || (v >= 0xfdd0 && v <= 0xfdef) || (v & 0xfffe) === 0xfffe) throw new Error('bad rune');
    const ch = String.fromCodePoint(v);
    if (!cellWidth(ch)) throw new Error('not a rune a cell may hold');
    return ch;
  }
}

/** decode parses one packet; it throws on anything malformed. */
export function decode(b, start = 0, end = b.length) {
  if (end - start < 3 || end - start > MAX_PRESENCE) throw new Error('packet size');
  const r = new Reader(b, start, end);
  const flags = r.u8();
  if (flags >> 6 !== 1) throw new Error('packet version');
  const p = { seq: (r.u8() << 8) | r.u8(), hidden: !!(flags & 0x10), noFollow: !!(flags & 0x20) };
  if (flags & 1) p.cursor = { x: r.coord(), y: r.coord() };
  if (flags & 2) p.viewport = { x: r.coord(), y: r.coord(), w: r.side(), h: r.side() };
  if (flags & 4) { p.tool = r.u8(); p.brush = r.rune(); }
  if (flags & 8) {
    const g = { kind: r.u8(), style: r.u8() };
    if (g.kind < 1 || g.kind > GHOST_TEXT) throw new Error('ghost kind');
    if (g.kind === GHOST_PATH) {
      g.arrows = g.style >> 4; g.style &= 0xf;
      if (g.arrows > 3) throw new Error('ghost arrows');
    }
    if (g.style > 3) throw new Error('ghost style');
    g.ch = r.rune();
    g.points = [];
    const n = r.uvarint();
    if (n > 32) throw new Error('ghost too long');
    let x = 0, y = 0;
    for (let i = 0; i < n; i++) {
      x += r.varint(); y += r.varint();
      if (x < -LIMIT || x > LIMIT || y < -LIMIT || y > LIMIT) throw new Error('ghost point out of range');
      g.points.push({ x, y });
    }
    if (g.kind === GHOST_TEXT) {
      const n = r.uvarint();
      if (n > MAX_GHOST_TEXT || r.i + n > end) throw new Error('ghost text length');
      g.text = utf8.decode(b.subarray(r.i, r.i + n)); // throws on bad UTF-8
      r.i += n;
      for (const c of g.text) if (c !== '\n') r.checkRune(c.codePointAt(0));
    }
    p.ghost = g;
  }
  if (r.i !== end) throw new Error('trailing bytes');
  return p;
}

/** decodeBatch splits a relay batch into [peer, packet bytes] pairs. */
export function decodeBatch(b) {
  if (b.length < 1 || b[0] !== 1) throw new Error('relay batch version');
  const r = new Reader(b, 1), out = [];
  while (r.i < b.length) {
    const peer = (r.u8() << 8) | r.u8();
    const n = r.uvarint();
    if (n > MAX_PRESENCE || r.i + n > b.length) throw new Error('relay entry length');
    out.push([peer, r.i, r.i + n]);
    r.i += n;
  }
  return out;
}

/** newer reports whether seq a is after b, modulo 2^16. */
export const newer = (a, b) => { const d = (a - b) & 0xffff; return d >= 1 && d <= 32767; };
