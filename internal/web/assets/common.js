// energylab web lab: helpers shared by the pages. No framework, no build step.
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

// el builds an element: el("td", {class: "num"}, "text", child...).
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "class") e.className = v;
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : String(c));
  }
  return e;
}

// api fetches JSON and throws an Error carrying the server's message and hint.
async function api(path, opts = {}) {
  const init = { method: opts.method || "GET", headers: {} };
  if (opts.body !== undefined) {
    init.body = JSON.stringify(opts.body);
    init.headers["Content-Type"] = "application/json";
  }
  const r = await fetch(path, init);
  const text = await r.text();
  let data;
  try { data = JSON.parse(text); } catch { data = { error: text }; }
  if (!r.ok) {
    const e = new Error((data && data.error) || r.statusText);
    e.hint = data && data.hint;
    e.status = r.status;
    throw e;
  }
  return data;
}

function wsURL(path) {
  return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;
}

// num formats a figure with 3 significant digits; null is "absent".
function num(v, digits = 3) {
  if (v === null || v === undefined || Number.isNaN(v)) return "—";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e5 || a < 1e-4) return v.toExponential(digits - 1);
  return Number(v.toPrecision(digits)).toString();
}

// wh formats energy in the unit that reads best (Wh, mWh, µWh).
function wh(v) {
  if (v === null || v === undefined) return "absent";
  const a = Math.abs(v);
  if (a >= 1 || a === 0) return num(v) + " Wh";
  if (a >= 1e-3) return num(v * 1e3) + " mWh";
  return num(v * 1e6) + " µWh";
}

function ms(v) {
  if (v === null || v === undefined) return "—";
  return v >= 1000 ? num(v / 1000) + " s" : num(v) + " ms";
}

function kindBadge(kind) {
  const k = kind || "absent";
  return el("span", { class: "badge " + k }, k);
}

// niceTicks returns about n round tick values covering [lo, hi].
function niceTicks(lo, hi, n = 5) {
  if (!(hi > lo)) { hi = lo + 1; }
  const raw = (hi - lo) / n, p = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map(m => m * p).find(s => s >= raw);
  const out = [];
  for (let v = Math.floor(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  if (out[out.length - 1] < hi) out.push(Number((out[out.length - 1] + step).toPrecision(12)));
  return out;
}

// LiveChart draws a power trace as SVG while a run streams: axes with units,
// ticks, and the phase marks. The finished run is then redrawn by the server.
class LiveChart {
  constructor(container, { title = "Live power", xLabel = "time since the request (s)", yLabel = "power (W)" } = {}) {
    this.c = container; this.title = title; this.xLabel = xLabel; this.yLabel = yLabel;
    this.points = []; this.marks = []; this.pending = false;
    this.draw();
  }
  reset() { this.points = []; this.marks = []; this.draw(); }
  add(x, y) { this.points.push([x, y]); this.schedule(); }
  mark(x, label) { this.marks.push([x, label]); this.schedule(); }
  schedule() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => { this.pending = false; this.draw(); });
  }
  draw() {
    const W = 640, H = 260, L = 56, R = 16, T = 28, B = 44;
    const NS = "http://www.w3.org/2000/svg";
    const s = (tag, attrs, text) => {
      const e = document.createElementNS(NS, tag);
      for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
      if (text !== undefined) e.textContent = text;
      return e;
    };
    const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", class: "live-chart", "data-points": this.points.length });
    svg.append(s("title", {}, this.title));
    svg.append(s("text", { x: L, y: 16, "font-size": 13, "font-weight": 600 }, this.title));
    const xs = this.points.map(p => p[0]).concat(this.marks.map(m => m[0]));
    const ys = this.points.map(p => p[1]);
    const xt = niceTicks(0, Math.max(1, ...xs), 6), yt = niceTicks(0, Math.max(1, ...ys), 5);
    const x0 = xt[0], x1 = xt[xt.length - 1], y0 = yt[0], y1 = yt[yt.length - 1];
    const px = x => L + (x - x0) / (x1 - x0) * (W - L - R), py = y => H - B - (y - y0) / (y1 - y0) * (H - T - B);
    for (const t of yt) {
      svg.append(s("line", { x1: L, x2: W - R, y1: py(t), y2: py(t), stroke: "#e3e6ec" }));
      svg.append(s("text", { x: L - 6, y: py(t) + 4, "text-anchor": "end", "font-size": 11, fill: "#5b6475" }, num(t)));
    }
    for (const t of xt) {
      svg.append(s("line", { x1: px(t), x2: px(t), y1: H - B, y2: H - B + 4, stroke: "#5b6475" }));
      svg.append(s("text", { x: px(t), y: H - B + 16, "text-anchor": "middle", "font-size": 11, fill: "#5b6475" }, num(t)));
    }
    svg.append(s("line", { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: "#5b6475" }));
    svg.append(s("line", { x1: L, x2: L, y1: T, y2: H - B, stroke: "#5b6475" }));
    svg.append(s("text", { x: (L + W - R) / 2, y: H - 8, "text-anchor": "middle", "font-size": 12 }, this.xLabel));
    svg.append(s("text", { x: 14, y: (T + H - B) / 2, "text-anchor": "middle", "font-size": 12, transform: `rotate(-90 14 ${(T + H - B) / 2})` }, this.yLabel));
    for (const [x, label] of this.marks) {
      svg.append(s("line", { x1: px(x), x2: px(x), y1: T, y2: H - B, stroke: "#D55E00", "stroke-dasharray": "4 3", class: "mark" }));
      svg.append(s("text", { x: px(x) + 3, y: T + 10, "font-size": 10, fill: "#D55E00" }, label));
    }
    if (this.points.length > 1) {
      const d = this.points.map((p, i) => (i ? "L" : "M") + px(p[0]).toFixed(1) + " " + py(p[1]).toFixed(1)).join(" ");
      svg.append(s("path", { d, fill: "none", stroke: "#0072B2", "stroke-width": 1.8, class: "series" }));
    } else {
      svg.append(s("text", { x: (L + W - R) / 2, y: (T + H - B) / 2, "text-anchor": "middle", fill: "#8a93a6", "font-size": 12 },
        this.points.length ? "waiting for more readings…" : "no power readings yet"));
    }
    this.c.replaceChildren(svg);
  }
}

// IntervalChart draws one horizontal bar per category with its interval as
// an error bar, and a dashed reference line (1× for a ratio): axes with
// units, ticks and a legend. items: [{label, value, low, high}]; a null
// value is drawn as absent, a null interval is left out.
class IntervalChart {
  constructor(container, { title = "", xLabel = "", reference = null, referenceLabel = "", unit = "" } = {}) {
    this.c = container; this.title = title; this.xLabel = xLabel;
    this.reference = reference; this.referenceLabel = referenceLabel; this.unit = unit;
  }
  draw(items) {
    const rowH = 34, W = 640, L = 150, R = 60, T = 46, B = 44, H = T + B + rowH * Math.max(1, items.length);
    const NS = "http://www.w3.org/2000/svg";
    const s = (tag, attrs, text) => {
      const e = document.createElementNS(NS, tag);
      for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
      if (text !== undefined) e.textContent = text;
      return e;
    };
    const ok = v => typeof v === "number" && Number.isFinite(v);
    const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", class: "interval-chart", "data-bars": items.filter(i => ok(i.value)).length });
    svg.append(s("title", {}, this.title));
    svg.append(s("text", { x: L, y: 16, "font-size": 13, "font-weight": 600 }, this.title));
    // Legend: the bar is the estimate, the whisker its interval.
    svg.append(s("rect", { x: L, y: 25, width: 14, height: 9, fill: "#0072B2" }));
    svg.append(s("text", { x: L + 19, y: 33, "font-size": 11, fill: "#5b6475" }, "mean ratio"));
    svg.append(s("line", { x1: L + 100, x2: L + 120, y1: 29.5, y2: 29.5, stroke: "#1d2330", "stroke-width": 1.5 }));
    svg.append(s("line", { x1: L + 100, x2: L + 100, y1: 25, y2: 34, stroke: "#1d2330", "stroke-width": 1.5 }));
    svg.append(s("line", { x1: L + 120, x2: L + 120, y1: 25, y2: 34, stroke: "#1d2330", "stroke-width": 1.5 }));
    svg.append(s("text", { x: L + 125, y: 33, "font-size": 11, fill: "#5b6475" }, "95% interval"));
    if (this.reference !== null) {
      svg.append(s("line", { x1: L + 215, x2: L + 235, y1: 29.5, y2: 29.5, stroke: "#D55E00", "stroke-dasharray": "4 3" }));
      svg.append(s("text", { x: L + 240, y: 33, "font-size": 11, fill: "#5b6475" }, this.referenceLabel));
    }
    const vals = [];
    for (const i of items) for (const v of [i.value, i.low, i.high]) if (ok(v)) vals.push(v);
    if (this.reference !== null) vals.push(this.reference);
    const xt = niceTicks(Math.min(0, ...vals), Math.max(1e-12, ...vals) * 1.05, 6);
    const x0 = xt[0], x1 = xt[xt.length - 1];
    const px = x => L + (x - x0) / (x1 - x0) * (W - L - R);
    for (const t of xt) {
      svg.append(s("line", { x1: px(t), x2: px(t), y1: T, y2: H - B, stroke: "#e3e6ec" }));
      svg.append(s("text", { x: px(t), y: H - B + 16, "text-anchor": "middle", "font-size": 11, fill: "#5b6475" }, num(t)));
    }
    svg.append(s("line", { x1: L, x2: W - R, y1: H - B, y2: H - B, stroke: "#5b6475" }));
    svg.append(s("line", { x1: px(Math.max(0, x0)), x2: px(Math.max(0, x0)), y1: T, y2: H - B, stroke: "#5b6475" }));
    svg.append(s("text", { x: (L + W - R) / 2, y: H - 8, "text-anchor": "middle", "font-size": 12 }, this.xLabel));
    items.forEach((it, k) => {
      const cy = T + rowH * k + rowH / 2, label = it.label.length > 22 ? it.label.slice(0, 21) + "…" : it.label;
      svg.append(s("text", { x: L - 8, y: cy + 4, "text-anchor": "end", "font-size": 12 }, label));
      if (!ok(it.value)) {
        svg.append(s("text", { x: px(Math.max(0, x0)) + 6, y: cy + 4, "font-size": 11, fill: "#8a93a6" }, "absent: not enough included runs"));
        return;
      }
      const a = px(Math.max(0, x0)), b = px(it.value);
      svg.append(s("rect", { x: Math.min(a, b), y: cy - rowH * 0.28, width: Math.abs(b - a), height: rowH * 0.56, fill: "#0072B2", "fill-opacity": 0.85, class: "bar" }));
      let end = b;
      if (ok(it.low) && ok(it.high)) {
        const lo = px(it.low), hi = px(it.high);
        svg.append(s("line", { x1: lo, x2: hi, y1: cy, y2: cy, stroke: "#1d2330", "stroke-width": 1.5, class: "interval" }));
        svg.append(s("line", { x1: lo, x2: lo, y1: cy - 6, y2: cy + 6, stroke: "#1d2330", "stroke-width": 1.5 }));
        svg.append(s("line", { x1: hi, x2: hi, y1: cy - 6, y2: cy + 6, stroke: "#1d2330", "stroke-width": 1.5 }));
        end = Math.max(end, hi);
      }
      svg.append(s("text", { x: end + 5, y: cy + 4, "font-size": 11, fill: "#1d2330" }, num(it.value) + this.unit));
    });
    if (this.reference !== null) {
      svg.append(s("line", { x1: px(this.reference), x2: px(this.reference), y1: T, y2: H - B, stroke: "#D55E00", "stroke-dasharray": "4 3", class: "reference" }));
    }
    this.c.replaceChildren(svg);
  }
}

// loadSVG fetches a server-rendered chart and inlines it.
async function loadSVG(container, path) {
  try {
    const r = await fetch(path);
    if (!r.ok) throw new Error((await r.json()).error || r.statusText);
    container.innerHTML = await r.text(); // server-rendered, escaped SVG
  } catch (e) {
    container.replaceChildren(el("p", { class: "hint" }, "chart unavailable: " + e.message));
  }
}

// healthBadge shows the providers' state in the header.
async function healthBadge(target) {
  try {
    const h = await api("/api/health");
    const p = h.providers || {};
    const parts = Object.entries(p).map(([k, v]) => `${k}: ${v.status}`);
    target.textContent = parts.join(" · ");
    target.title = "session " + h.session;
  } catch (e) {
    target.textContent = "server unreachable: " + e.message;
  }
}
