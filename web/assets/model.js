// The canvas as every replica holds it (docs/PROTOCOL.md §6): a map from
// "x,y" to a cell {ch, fg, bg, attr}, changed only by committed ops.

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

// East Asian Wide and emoji ranges, the table of model/rune.go: a cell
// holding one of these is drawn two columns wide.
const WIDE = [[0x1100, 0x115f], [0x231a, 0x231b], [0x2329, 0x232a], [0x23e9, 0x23ec], [0x23f0, 0x23f0], [0x23f3, 0x23f3],
  [0x25fd, 0x25fe], [0x2614, 0x2615], [0x2648, 0x2653], [0x267f, 0x267f], [0x2693, 0x2693], [0x26a1, 0x26a1],
  [0x26aa, 0x26ab], [0x26bd, 0x26be], [0x26c4, 0x26c5], [0x26ce, 0x26ce], [0x26d4, 0x26d4], [0x26ea, 0x26ea],
  [0x26f2, 0x26f3], [0x26f5, 0x26f5], [0x26fa, 0x26fa], [0x26fd, 0x26fd], [0x2705, 0x2705], [0x270a, 0x270b],
  [0x2728, 0x2728], [0x274c, 0x274c], [0x274e, 0x274e], [0x2753, 0x2755], [0x2757, 0x2757], [0x2795, 0x2797],
  [0x27b0, 0x27b0], [0x27bf, 0x27bf], [0x2b1b, 0x2b1c], [0x2b50, 0x2b50], [0x2b55, 0x2b55], [0x2e80, 0x303e],
  [0x3040, 0xa4cf], [0xa960, 0xa97f], [0xac00, 0xd7a3], [0xf900, 0xfaff], [0xfe10, 0xfe19], [0xfe30, 0xfe6f],
  [0xff00, 0xff60], [0xffe0, 0xffe6], [0x16fe0, 0x16fe4], [0x16ff0, 0x16ff1], [0x17000, 0x18d08], [0x1aff0, 0x1b2ff],
  [0x1f004, 0x1f004], [0x1f0cf, 0x1f0cf], [0x1f18e, 0x1f18e], [0x1f191, 0x1f19a], [0x1f1e6, 0x1f64f],
  [0x1f680, 0x1f6ff], [0x1f7e0, 0x1f7eb], [0x1f7f0, 0x1f7f0], [0x1f900, 0x1f9ff], [0x1fa70, 0x1faff],
  [0x20000, 0x2fffd], [0x30000, 0x3fffd]];

/** isWide reports whether a character occupies two columns. */
export function isWide(ch) {
  const cp = ch.codePointAt(0);
  if (cp < 0x1100) return false;
  let lo = 0, hi = WIDE.length - 1;
  while (lo <= hi) {
    const m = (lo + hi) >> 1;
    if (cp < WIDE[m][0]) hi = m - 1;
    else if (cp > WIDE[m][1]) lo = m + 1;
    else return true;
  }
  return false;
}

/** oneColumn reports whether the authority accepts ch in a cell today. */
export function oneColumn(ch) {
  if ([...ch].length !== 1) return false;
  const cp = ch.codePointAt(0);
  if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp === 0x2028 || cp === 0x2029) return false;
  if ((cp >= 0x1160 && cp <= 0x11ff) || (cp >= 0xd7b0 && cp <= 0xd7ff)) return false; // medial and final jamo
  if (/\p{Mn}|\p{Me}|\p{Cf}/u.test(ch)) return false;
  return !isWide(ch);
}

export const key = (x, y) => x + ',' + y;

export class Canvas {
  constructor() { this.cells = new Map(); }
  clear() { this.cells.clear(); }
  get(x, y) { return this.cells.get(key(x, y)); }

  put(x, y, ch, fg, bg, attr) {
    if (!ch) { this.cells.delete(key(x, y)); return; }
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
      case 'rect':
        for (let y = op.y || 0; y < (op.y || 0) + op.h; y++)
          for (let x = op.x || 0; x < (op.x || 0) + op.w; x++) this.put(x, y, op.ch || '', op.fg, op.bg, op.attr);
        break;
      case 'text': {
        const x0 = op.x || 0;
        let x = x0, y = op.y || 0;
        for (const r of op.text || '') {
          if (r === '\n') { x = x0; y++; continue; }
          this.put(x, y, r, op.fg, op.bg, op.attr);
          // A wide character takes its cell and the next one (once the
          // model has wide cells; today the authority refuses them).
          x += isWide(r) ? 2 : 1;
        }
        break;
      }
    }
  }
}
