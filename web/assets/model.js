// The canvas as every replica holds it (docs/PROTOCOL.md §6): a map from
// "x,y" to a cell {ch, fg, bg, attr}, changed only by committed ops.

import { WIDE, UNSURE, JAMO } from './width.js';

// Box glyphs and their arms, up-right-down-left, as in Appendix B.
const BOX = `─ .l.l ━ .h.h │ l.l. ┃ h.h. ┌ .ll. ┍ .hl. ┎ .lh. ┏ .hh.
┐ ..ll ┑ ..lh ┒ ..hl ┓ ..hh └ ll.. ┕ lh.. ┖ hl.. ┗ hh..
┘ l..l ┙ l..h ┚ h..l ┛ h..h ├ lll. ┝ lhl. ┞ hll. ┟ llh.
┠ hlh. ┡ hhl. ┢ lhh. ┣ hhh. ┤ l.ll ┥ l.lh ┦ h.ll ┧ l.hl
┨ h.hl ┩ h.lh ┪ l.hh ┫ h.hh ┬ .lll ┭ .llh ┮ .hll ┯ .hlh
┰ .lhl ┱ .lhh ┲ .hhl ┳ .hhh ┴ ll.l ┵ ll.h ┶ lh.l ┷ lh.h
┸ hl.l ┹ hl.h ┺ hh.l ┻ hh.h ┼ llll ┽ lllh ┾ lhll ┿ lhlh
╀ hlll ╁ llhl ╂ hlhl ╃ hllh ╄ hhll ╅ llhh ╆ lhhl ╇ hhlh
╈ lhhh ╉ hlhh ╊ hhhl ╋ hhhh ═ .d.d ║ d.d. ╒ .dl. ╓ .ld.
╔ .dd. ╕ ..ld ╖ ..dl ╗ ..dd ╘ ld.. ╙ dl.. ╚ dd.. ╛ l..d
╜ d..l ╝ d..d ╞ ldl. ╟ dld. ╠ ddd. ╡ l.ld ╢ d.dl ╣ d.dd
╤ .dld ╥ .ldl ╦ .ddd ╧ ld.d ╨ dl.l ╩ dd.d ╪ ldld ╫ dldl
╬ dddd ╭ .ll. ╮ ..ll ╯ l..l ╰ ll.. ╴ ...l ╵ l... ╶ .l..
╷ ..l. ╸ ...h ╹ h... ╺ .h.. ╻ ..h. ╼ .h.l ╽ l.h. ╾ .l.h
╿ h.l.`;

export const ARCS = { '╭': '┌', '╮': '┐', '╯': '┘', '╰': '└' };
const RANK = { '.': 0, l: 1, d: 2, h: 3 };
const armsOf = new Map(); // glyph -> "urdl"
const glyphOf = new Map(); // "urdl" -> glyph, arcs excluded
{
  const f = BOX.split(/\s+/);
  for (let i = 0; i + 1 < f.length; i += 2) {
    armsOf.set(f[i], f[i + 1]);
    if (!(f[i] in ARCS)) glyphOf.set(f[i + 1], f[i]);
  }
}

/** boxArms returns a box glyph's arms ("urdl", each . l h d) or undefined. */
export function boxArms(ch) { return armsOf.get(ch); }

/** mergeBox joins two box glyphs as Appendix B says. */
export function mergeBox(old, nw) {
  const a = armsOf.get(old), b = armsOf.get(nw);
  let m = '';
  for (let i = 0; i < 4; i++) m += RANK[a[i]] >= RANK[b[i]] ? a[i] : b[i];
  let g = glyphOf.get(m) ?? glyphOf.get(m.replaceAll('d', 'l'));
  if (old in ARCS || nw in ARCS) {
    for (const [arc, corner] of Object.entries(ARCS)) if (g === corner) g = arc;
  }
  return g;
}

const inTable = (t, cp) => {
  let lo = 0, hi = t.length - 1;
  while (lo <= hi) {
    const m = (lo + hi) >> 1;
    if (cp < t[m][0]) hi = m - 1;
    else if (cp > t[m][1]) lo = m + 1;
    else return true;
  }
  return false;
};

/**
 * cellWidth is the columns the authority gives ch in a cell (model.RuneWidth,
 * with the model's own tables in width.js): 1 or 2, or 0 for a character a
 * cell may not hold (control, zero-width, several code points, or of a width
 * terminals disagree on).
 */
export function cellWidth(ch) {
  if (typeof ch !== 'string' || [...ch].length !== 1) return 0;
  const cp = ch.codePointAt(0);
  if (cp >= 0x20 && cp < 0x7f) return 1;
  if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return 0;
  if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe) return 0;
  if (/\p{Cc}|\p{Zl}|\p{Zp}|\p{Mn}|\p{Me}|\p{Cf}/u.test(ch)) return 0;
  if (inTable(JAMO, cp) || inTable(UNSURE, cp)) return 0;
  return inTable(WIDE, cp) ? 2 : 1;
}

/** isWide reports whether a character occupies two columns. */
export const isWide = (ch) => cellWidth(ch) === 2;

/** oneColumn reports a character a name may hold: one column wide. */
export const oneColumn = (ch) => cellWidth(ch) === 1;

export const key = (x, y) => x + ',' + y;

export class Canvas {
  constructor() { this.cells = new Map(); }
  clear() { this.cells.clear(); }
  get(x, y) { return this.cells.get(key(x, y)); }

  // put writes a cell keeping wide characters whole, as model/wide.go does:
  // only a wide character's left cell is stored; its right half is implied.
  // Writing over either half clears the whole character, and a wide
  // character clears whatever its right half lands on.
  put(x, y, ch, fg, bg, attr) {
    const left = this.get(x - 1, y);
    if (left && isWide(left.ch)) this.cells.delete(key(x - 1, y));
    if (!ch) { this.cells.delete(key(x, y)); return; }
    if (isWide(ch)) this.cells.delete(key(x + 1, y));
    this.cells.set(key(x, y), { ch, fg: fg || '', bg: bg || '', attr: attr || 0 });
  }

  /** apply applies one op exactly as every other replica does. */
  apply(op) {
    switch (op.op) {
      case 'set':
        for (const c of op.cells || []) {
          const x = c.x || 0, y = c.y || 0;
          let ch = c.ch || '';
          const old = this.get(x, y);
          if (op.merge && ch && old && armsOf.has(old.ch) && armsOf.has(ch)) ch = mergeBox(old.ch, ch);
          this.put(x, y, ch, c.fg, c.bg, c.attr);
        }
        break;
      case 'rect': {
        const step = op.ch && isWide(op.ch) ? 2 : 1; // a wide fill writes pairs; its width is even
        for (let y = op.y || 0; y < (op.y || 0) + op.h; y++)
          for (let x = op.x || 0; x < (op.x || 0) + op.w; x += step) this.put(x, y, op.ch || '', op.fg, op.bg, op.attr);
        break;
      }
      case 'text': {
        const x0 = op.x || 0;
        let x = x0, y = op.y || 0;
        for (const r of op.text || '') {
          if (r === '\n') { x = x0; y++; continue; }
          this.put(x, y, r, op.fg, op.bg, op.attr);
          // A wide character takes its cell and the next one.
          x += isWide(r) ? 2 : 1;
        }
        break;
      }
    }
  }
}
