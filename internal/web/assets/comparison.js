// energylab Comparison Lab: panes, each with its own socket to /ws/behaviour.
"use strict";

const panes = new Map();
let seq = 0;

function cstatus(t) { $("#c-status").textContent = t; }

async function loadModelList() {
  try {
    const data = await api("/api/models");
    const sel = $("#models");
    sel.replaceChildren();
    for (const pm of data.providers) {
      for (const m of pm.models) sel.append(el("option", { value: m.name, "data-synthetic": m.synthetic ? "1" : null }, m.name + (m.synthetic ? "  [synthetic]" : "")));
    }
    const errs = data.providers.filter(p => p.status !== "ok").map(p => `${p.provider}: ${p.status}`);
    cstatus(`${sel.options.length} models` + (errs.length ? " · " + errs.join(" · ") : ""));
  } catch (e) { cstatus("cannot list models: " + e.message); }
}

class Pane {
  constructor(model, synthetic) {
    this.id = "pane_" + (++seq);
    this.model = model;
    this.node = $("#pane-template").content.firstElementChild.cloneNode(true);
    this.node.id = this.id;
    this.node.dataset.model = model;
    const q = s => $(s, this.node);
    this.q = q;
    q(".system").value = $("#g-system").value;
    q(".user").value = $("#g-user").value;
    q(".temp").value = $("#g-temp").value;
    q(".max").value = $("#g-max").value;
    q(".badge.synthetic").hidden = !synthetic;
    q(".alias").addEventListener("input", () => this.title());
    q(".generate").addEventListener("click", () => this.generate());
    q(".stop").addEventListener("click", () => this.stop());
    q(".clear").addEventListener("click", () => { q(".output").textContent = ""; this.setState("idle"); });
    q(".remove").addEventListener("click", () => this.remove());
    this.title();
    $("#panes").append(this.node);
    this.open();
  }
  title() {
    const a = this.q(".alias").value.trim();
    this.q(".title").textContent = this.model + (a ? ` [${a}]` : "");
  }
  setState(s) { this.q(".state").textContent = s; this.node.dataset.state = s; }
  open() {
    this.ready = new Promise(resolve => {
      this.ws = new WebSocket(wsURL("/ws/behaviour"));
      this.ws.onopen = () => resolve();
      this.ws.onmessage = ev => this.onMessage(JSON.parse(ev.data));
      this.ws.onclose = () => { if (this.running) { this.running = false; this.buttons(); this.setState("connection lost"); } };
    });
  }
  buttons() {
    this.q(".generate").disabled = this.running;
    this.q(".stop").disabled = !this.running;
  }
  async generate() {
    if (this.running) return;
    if (this.ws.readyState > 1) this.open();
    await this.ready;
    this.q(".output").textContent = "";
    ["tokens", "rate", "energy", "etin", "etout"].forEach(c => this.q("." + c).textContent = c === "tokens" ? "0" : "—");
    this.count = 0;
    this.running = true; this.buttons(); this.setState("waiting");
    this.ws.send(JSON.stringify({
      model_name: this.model, system: this.q(".system").value, user: this.q(".user").value,
      temp: Number(this.q(".temp").value), max_tokens: Number(this.q(".max").value),
      pane: this.id, model_key: "instruct", measure: $("#measure").checked, ignore_eos: $("#fixed-length").checked,
    }));
  }
  stop() { if (this.running) { this.ws.send(JSON.stringify({ command: "cancel" })); this.setState("stopping"); } }
  remove() { this.stop(); this.ws.close(); panes.delete(this.id); this.node.remove(); }
  onMessage(m) {
    if (m.log !== undefined && m.log.startsWith("queued")) this.setState("queued: another pane is being measured");
    if (m.started) this.setState("running");
    if (m.done === false && typeof m.token === "string") {
      this.q(".output").textContent += m.token;
      this.q(".tokens").textContent = String(++this.count);
      this.setState("streaming");
    }
    if (m.done !== true) return;
    if (m.rejected) return;
    this.running = false; this.buttons();
    if (m.error) { this.setState("error: " + m.error); this.q(".output").append(el("div", { class: "error-box" }, m.error)); }
    else if (m.cancelled) this.setState("stopped" + (m.stored ? " (stored as " + m.run_id + ")" : ""));
    else this.setState("done (run " + m.run_id + ")");
    if (m.metrics) {
      this.q(".tokens").textContent = String(m.metrics.completion_tokens);
      this.q(".rate").textContent = num(m.metrics.tokens_per_second);
    }
    if (m.energy) {
      const e = m.energy;
      if (e.total_wh !== null && e.total_wh !== undefined) {
        this.q(".energy").textContent = `${wh(e.total_wh)} (${e.kind}, ${e.meter})`;
        this.q(".etin").textContent = num(e.wh_per_1000_input_tokens) + " Wh/1k";
        this.q(".etout").textContent = num(e.wh_per_1000_output_tokens) + " Wh/1k";
      } else {
        const est = e.estimate && e.estimate.wh !== null && e.estimate ? `estimated ${wh(e.estimate.wh)} (${e.estimate.family}, ${e.estimate.boundary})` : "absent";
        this.q(".energy").textContent = est;
        this.q(".energy").title = e.absent_reason || "";
      }
    }
  }
}

$("#add-selected").addEventListener("click", () => {
  const sel = $$("#models option").filter(o => o.selected);
  if (!sel.length) { cstatus("select one or more models first"); return; }
  for (const o of sel) { const p = new Pane(o.value, o.dataset.synthetic === "1"); panes.set(p.id, p); }
  cstatus(`${panes.size} panes`);
});
$("#generate-all").addEventListener("click", () => panes.forEach(p => p.generate()));
$("#stop-all").addEventListener("click", () => panes.forEach(p => p.stop()));
$("#g-temp").addEventListener("input", () => { $("#g-temp-value").textContent = $("#g-temp").value; });

healthBadge($("#health"));
loadModelList().then(() => { document.body.dataset.ready = "true"; });
