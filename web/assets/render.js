// Paints the visible part of the canvas on a <canvas> element, one cell per
// grid slot: every glyph is placed at its cell, so columns line up whatever
// the font's advances, and box glyphs are drawn as strokes that meet their
// neighbours exactly.

import { boxArms, isWide, ARCS } from './model.js';

// The 16 ANSI colours, as a dark terminal theme shows them.
const BASE16 = ['#1d1f21', '#cc342b', '#198844', '#c5a100', '#3971ed', '#a36ac7', '#2aa198', '#c5c8c6',
  '#707880', '#f96a5f', '#5fd38d', '#f0c674', '#81a2f0', '#c397d8', '#8abeb7', '#ffffff'];
export const DEFAULT_FG = '#d7dae0';
export const DEFAULT_BG = '#16181c';

/** color turns a protocol colour ("" | "0".."255" | "#rrggbb") into CSS, or fallback. */
export function color(c, fallback) {
  if (!c) return fallback;
  if (c[0] === '#') return c;
  const n = +c;
  if (n < 16) return BASE16[n];
  if (n < 232) {
    const v = [0, 95, 135, 175, 215, 255], i = n - 16;
    return `rgb(${v[Math.floor(i / 36)]},${v[Math.floor(i / 6) % 6]},${v[i % 6]})`;
  }
  const g = 8 + 10 * (n - 232);
  return `rgb(${g},${g},${g})`;
}

// Block elements: the part of the cell they fill (x0, y0, x1, y1 as
// fractions) and how densely.
const SHADES = {
  '█': [0, 0, 1, 1, 1], '░': [0, 0, 1, 1, 0.25], '▒': [0, 0, 1, 1, 0.5], '▓': [0, 0, 1, 1, 0.75],
  '▀': [0, 0, 1, 0.5, 1], '▄': [0, 0.5, 1, 1, 1], '▌': [0, 0, 0.5, 1, 1], '▐': [0.5, 0, 1, 1, 1],
};

export class Painter {
  constructor(el, fontSize = 16) {
    this.el = el;
    this.ctx = el.getContext('2d', { alpha: false });
    this.setFont(fontSize);
    this.shown = []; // the rows of characters of the last paint, for tests and screen readers
  }

  setFont(px) {
    this.fontSize = px;
    this.family = '"DejaVu Sans Mono", "Cascadia Mono", Menlo, Consolas, "Liberation Mono", monospace';
    const c = this.ctx;
    c.font = `${px}px ${this.family}`;
    this.cw = Math.ceil(c.measureText('M').width);
    this.ch = Math.ceil(px * 1.25);
  }

  resize(wCss, hCss) {
    const dpr = window.devicePixelRatio || 1;
    this.el.width = Math.round(wCss * dpr);
    this.el.height = Math.round(hCss * dpr);
    this.el.style.width = wCss + 'px';
    this.el.style.height = hCss + 'px';
    this.dpr = dpr;
    this.cols = Math.ceil(wCss / this.cw);
    this.rows = Math.ceil(hCss / this.ch);
  }

  /**
   * paint draws the cells of canvas (and overlay, drawn on top) in the
   * viewport whose top-left cell is (vx, vy), then the peers' cursors.
   */
  paint(canvas, overlay, vx, vy, cursors, caret) {
    const c = this.ctx, cw = this.cw, ch = this.ch;
    c.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    c.fillStyle = DEFAULT_BG;
    c.fillRect(0, 0, this.cols * cw, this.rows * ch);
    c.textBaseline = 'middle';
    this.shown = [];
    for (let r = 0; r < this.rows; r++) {
      const row = [];
      let covered = false; // the previous cell is wide and covers this one
      for (let col = -1; col < this.cols; col++) {
        const x = vx + col, y = vy + r;
        const k = x + ',' + y;
        const cell = overlay.get(k) ?? canvas.cells.get(k);
        if (col >= 0 && !(covered && !cell)) row.push(cell ? cell.ch : ' ');
        covered = !!cell && isWide(cell.ch);
        if (!cell) continue;
        this.cell(col * cw, r * ch, cell);
      }
      this.shown.push(row.join('').replace(/\s+$/, ''));
    }
    for (const p of cursors) if (p.ghost) this.ghost(p, vx, vy);
    for (const p of cursors) this.cursor(p, vx, vy);
    if (caret) {
      c.fillStyle = DEFAULT_FG;
      c.globalAlpha = 0.6;
      c.fillRect((caret.x - vx) * cw, (caret.y - vy) * ch + 2, Math.max(2, cw >> 3), ch - 4);
      c.globalAlpha = 1;
    }
  }

  cell(px, py, cell) {
    const c = this.ctx, cw = this.cw, chh = this.ch;
    const wide = isWide(cell.ch);
    const w = wide ? 2 * cw : cw;
    let fg = color(cell.fg, DEFAULT_FG), bg = cell.bg ? color(cell.bg, DEFAULT_BG) : null;
    const a = cell.attr || 0;
    if (a & 16) { const t = fg; fg = bg || DEFAULT_BG; bg = t; }
    if (bg) { c.fillStyle = bg; c.fillRect(px, py, w, chh); }
    c.globalAlpha = a & 2 ? 0.55 : 1;
    c.fillStyle = fg;
    c.strokeStyle = fg;
    const arms = boxArms(cell.ch);
    const shade = SHADES[cell.ch];
    if (arms) this.box(px, py, arms, cell.ch in ARCS ? cell.ch : '');
    else if (shade) {
      // Block elements fill their part of the cell exactly, so that
      // neighbours touch as they do in a terminal.
      const [x0, y0, x1, y1, alpha] = shade;
      c.globalAlpha *= alpha;
      c.fillRect(px + x0 * w, py + y0 * chh, (x1 - x0) * w, (y1 - y0) * chh);
    }
    else if (cell.ch !== ' ') {
      c.font = `${a & 4 ? 'italic ' : ''}${a & 1 ? 'bold ' : ''}${this.fontSize}px ${this.family}`;
      c.textAlign = 'center';
      c.fillText(cell.ch, px + w / 2, py + chh / 2, w);
    }
    const lw = Math.max(1, Math.round(this.fontSize / 14));
    if (a & 8) c.fillRect(px, py + chh - 2 * lw, w, lw);
    if (a & 32) c.fillRect(px, py + chh / 2, w, lw);
    c.globalAlpha = 1;
  }

  // box draws a box glyph from its arms: each arm a stroke from the cell's
  // centre to its edge, heavy twice as thick, double as two strokes.
  box(px, py, arms, arc) {
    const c = this.ctx, w = this.cw, h = this.ch;
    const cx = px + Math.floor(w / 2) + 0.5, cy = py + Math.floor(h / 2) + 0.5;
    const light = Math.max(1, Math.round(this.fontSize / 14));
    if (arc) {
      c.lineWidth = light;
      c.beginPath();
      const r = Math.min(w, h) / 2;
      // The arc's two arms: from the cell edge to near the centre, then round.
      const [ux, uy] = { '╭': [1, 1], '╮': [-1, 1], '╯': [-1, -1], '╰': [1, -1] }[arc];
      const ex = ux > 0 ? px + w : px, ey = uy > 0 ? py + h : py;
      c.moveTo(ex, cy);
      c.lineTo(cx + ux * r, cy);
      c.arcTo(cx, cy, cx, cy + uy * r, r);
      c.lineTo(cx, ey);
      c.stroke();
      return;
    }
    // Arms 0..3 are up, right, down, left; d is each one's direction along
    // its axis, and its two perpendicular neighbours are arms i±1.
    const ends = [[cx, py], [px + w, cy], [cx, py + h], [px, cy]];
    const dir = [-1, 1, 1, -1];
    const gap = Math.max(2, Math.round(this.fontSize / 7));
    const dbl = (i) => arms[(i + 4) % 4] === 'd';
    for (let i = 0; i < 4; i++) {
      const k = arms[i];
      if (k === '.') continue;
      const [ex, ey] = ends[i];
      const vertical = i % 2 === 0;
      const d = dir[i];
      const c0 = vertical ? cy : cx; // where the arm starts along its axis, before adjustments
      // The perpendicular arms on the negative side (up or left) and the
      // positive side (down or right).
      const negSide = vertical ? 3 : 0, posSide = vertical ? 1 : 2;
      const line = (offset, start, width) => {
        c.lineWidth = width;
        c.beginPath();
        if (vertical) { c.moveTo(cx + offset, start); c.lineTo(ex + offset, ey); }
        else { c.moveTo(start, cy + offset); c.lineTo(ex, ey + offset); }
        c.stroke();
      };
      if (k === 'd') {
        // Each of the two strokes stops at the crossing double stroke on
        // its own side (inside a corner), reaches past the centre to the
        // far one (outside a corner), or meets its twin at the centre.
        for (const side of [-1, 1]) {
          const same = dbl(side < 0 ? negSide : posSide), other = dbl(side < 0 ? posSide : negSide);
          const start = same ? c0 + d * gap : other ? c0 - d * gap : c0;
          line(side * gap, start, light);
        }
        continue;
      }
      const width = k === 'h' ? 2 * light + 1 : light;
      let start = c0 - d * (width / 2); // reach past the centre so arms join without a notch
      const crossing = dbl(negSide) || dbl(posSide);
      if (crossing && arms[(i + 2) % 4] === '.') {
        // A single stroke meeting double ones: to the near double stroke
        // when they run straight through, to the far one at a corner.
        start = dbl(negSide) && dbl(posSide) ? c0 + d * gap : c0 - d * gap;
      }
      line(0, start, width);
    }
  }

  // ghost shows a peer's shape in progress, faintly in its colour: the
  // cells of a freehand stroke, or the outline between a line's, rect's or
  // box's two ends.
  ghost(p, vx, vy) {
    const c = this.ctx, cw = this.cw, ch = this.ch, g = p.ghost;
    c.globalAlpha = 0.45;
    c.fillStyle = c.strokeStyle = color(p.color, '#f0c674');
    c.lineWidth = 1;
    const cx = (pt) => (pt.x - vx) * cw, cy = (pt) => (pt.y - vy) * ch;
    if (g.kind === 4 || g.points.length < 2) {
      const glyph = g.ch;
      c.font = `${this.fontSize}px ${this.family}`;
      c.textAlign = 'center';
      for (const pt of g.points) {
        if (glyph) c.fillText(glyph, cx(pt) + cw / 2, cy(pt) + ch / 2);
        else c.fillRect(cx(pt), cy(pt), cw, ch);
      }
    } else {
      const [a, b] = g.points;
      c.setLineDash([4, 3]);
      c.beginPath();
      if (g.kind === 1) { c.moveTo(cx(a) + cw / 2, cy(a) + ch / 2); c.lineTo(cx(b) + cw / 2, cy(b) + ch / 2); }
      else {
        const x0 = Math.min(a.x, b.x), y0 = Math.min(a.y, b.y);
        c.rect((x0 - vx) * cw + 0.5, (y0 - vy) * ch + 0.5, (Math.abs(a.x - b.x) + 1) * cw - 1, (Math.abs(a.y - b.y) + 1) * ch - 1);
      }
      c.stroke();
      c.setLineDash([]);
    }
    c.globalAlpha = 1;
  }

  cursor(p, vx, vy) {
    const c = this.ctx, cw = this.cw, ch = this.ch;
    const px = (p.x - vx) * cw, py = (p.y - vy) * ch;
    if (px < -200 || py < -ch || px > this.cols * cw || py > this.rows * ch) return;
    const col = color(p.color, '#f0c674');
    c.globalAlpha = p.stale ? 0.4 : 1;
    c.strokeStyle = col;
    c.lineWidth = 2;
    c.strokeRect(px + 1, py + 1, cw - 2, ch - 2);
    c.font = `bold ${Math.round(this.fontSize * 0.75)}px ${this.family}`;
    const label = p.name;
    const tw = c.measureText(label).width + 8;
    const ly = py + ch + 2;
    c.fillStyle = col;
    c.fillRect(px, ly, tw, Math.round(this.fontSize * 0.95));
    c.fillStyle = DEFAULT_BG;
    c.textAlign = 'left';
    c.fillText(label, px + 4, ly + Math.round(this.fontSize * 0.5));
    c.globalAlpha = 1;
  }
}
