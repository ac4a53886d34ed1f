// energylab Energy Lab: one measured run at a time over /ws, and experiments
// (batches, overhead studies) over /ws/experiment.
"use strict";

const state = {
  models: new Map(),   // name -> ModelInfo
  presets: new Map(),  // name -> content
  injections: [],      // {description, content}
  ws: null,
  running: false,
  last: null,          // the last finished run's record
  history: [],
  sort: { key: "created_at", dir: -1 },
};
const chart = new LiveChart($("#power-chart"));

function log(text, cls) {
  const li = el("li", { class: cls }, text);
  $("#log").append(li);
  $("#log").scrollTop = $("#log").scrollHeight;
}

function status(text) { $("#run-status").textContent = text; }

// ---- set-up -------------------------------------------------------------

async function loadModels() {
  const p = $("#provider").value;
  const sel = $("#model");
  $("#model-info").textContent = "loading models…";
  try {
    const data = await api("/api/models" + (p ? "?provider=" + encodeURIComponent(p) : ""));
    const prev = sel.value || data.current.instruct;
    sel.replaceChildren();
    state.models.clear();
    const errs = [];
    for (const pm of data.providers) {
      if (pm.status !== "ok") errs.push(`${pm.provider}: ${pm.status}${pm.error ? " — " + pm.error : ""}${pm.hint ? " (try: " + pm.hint + ")" : ""}`);
      if (!pm.models.length) continue;
      const group = el("optgroup", { label: pm.provider + (pm.local ? "" : " (remote: estimates only)") });
      for (const m of pm.models) {
        state.models.set(m.name, m);
        group.append(el("option", { value: m.name }, m.name + (m.synthetic ? "  [synthetic]" : "")));
      }
      sel.append(group);
    }
    $("#model-errors").textContent = errs.join("\n");
    if (state.models.has(prev)) sel.value = prev;
    await showModel();
  } catch (e) {
    $("#model-info").textContent = "cannot list models: " + e.message;
  }
}

async function showModel() {
  const name = $("#model").value;
  const info = $("#model-info");
  if (!name) { info.textContent = "no model available"; return; }
  info.textContent = "…";
  try {
    const m = await api("/api/model-info/" + name);
    info.replaceChildren(
      m.synthetic ? el("span", { class: "badge synthetic", id: "synthetic-badge" }, "synthetic: meaningless text, real compute") : "",
      " context ", el("b", {}, m.context_length || "unknown"), " tokens · ",
      m.parameter_size || "size unknown", " · ", m.quantization || "quantisation unknown",
      m.architecture ? " · " + m.architecture : "", m.note ? el("div", {}, m.note) : "");
    const remote = !!m.remote;
    const meter = $("#meter");
    meter.disabled = remote;
    if (remote) {
      $("#meter-note").textContent = "live metering is disabled: " + name + " runs on another machine, which this host's meters cannot see. The run carries estimates only.";
    } else {
      showMeterNote();
    }
    const t = $("#think");
    t.parentElement.title = m.synthetic ? "synthetic models do not think" : "";
  } catch (e) {
    info.replaceChildren(el("span", { class: "error-box" }, e.message), e.hint ? el("div", { class: "hint" }, "try: " + e.hint) : "");
  }
}

let meterInfo = {};
async function loadMeters() {
  const sel = $("#meter");
  try {
    const data = await api("/api/meters");
    sel.replaceChildren(el("option", { value: "auto" }, "auto — " + data.auto_note));
    const seen = new Set();
    for (const m of data.meters) {
      const value = m.name.split(" ")[0];
      if (seen.has(value)) continue;
      seen.add(value);
      const ok = m.status === "available";
      meterInfo[value] = m;
      sel.append(el("option", { value, disabled: !ok, title: m.reason || "" },
        `${value} — ${ok ? (m.info.source + ", " + m.info.boundary) : "unavailable: " + m.reason}`));
    }
    sel.append(el("option", { value: "none" }, "none — timing and tokens only, with estimates"));
    sel.value = data.configured || "auto";
  } catch (e) {
    sel.replaceChildren(el("option", { value: "auto" }, "auto"));
    $("#meter-note").textContent = "cannot list meters: " + e.message;
  }
  showMeterNote();
}

function showMeterNote() {
  const v = $("#meter").value, m = meterInfo[v];
  $("#meter-note").textContent = m && m.info ? `${m.info.source}: ${m.info.boundary}. ${m.info.description || ""}` :
    v === "none" ? "no meter: the run shows timing, tokens and estimates only" : "";
}

async function loadPresets() {
  try {
    const data = await api("/api/system-prompts");
    for (const p of data.prompts) {
      state.presets.set(p.name, p.content);
      $("#preset").append(el("option", { value: p.name }, p.name + (p.description ? " — " + p.description : "") + (p.source !== "builtin" ? " (" + p.source + ")" : "")));
    }
  } catch (e) { log("cannot list system prompts: " + e.message, "warn"); }
}

async function loadFamilies() {
  try {
    const data = await api("/api/benchmark-info");
    const sel = $("#family");
    sel.replaceChildren(el("option", { value: "auto" }, "auto — the first family with a row for the model"));
    for (const f of data.families) sel.append(el("option", { value: f.id, title: f.method }, `${f.name} (${f.boundary}, ${f.version})`));
    sel.value = data.selected || "auto";
  } catch (e) { log("cannot list estimate families: " + e.message, "warn"); }
}

async function loadGrids() {
  try {
    const data = await api("/api/emissions");
    const sel = $("#grid");
    for (const g of data.emissions) {
      if (g.missing) continue;
      sel.append(el("option", { value: g.code }, `${g.code} ${g.name} — ${num(g.kg_per_kwh)} kg/kWh (${g.source} ${g.year || ""})`));
    }
    sel.value = data.default;
  } catch (e) { log("cannot list grid factors: " + e.message, "warn"); }
}

// ---- middleware ----------------------------------------------------------

function renderInjections() {
  const box = $("#injections");
  box.replaceChildren(...state.injections.map((inj, i) => el("div", { class: "inj" },
    el("div", { class: "text" }, el("b", {}, inj.description || "injection " + (i + 1)), "\n", inj.content),
    el("button", { type: "button", class: "danger remove-injection", onclick: () => { state.injections.splice(i, 1); renderInjections(); } }, "Remove"))));
}

$("#add-injection").addEventListener("click", () => {
  const content = $("#inj-content").value;
  if (!content.trim()) { $("#inj-content").focus(); status("an injection needs some text"); return; }
  state.injections.push({ description: $("#inj-desc").value.trim(), content });
  $("#inj-desc").value = ""; $("#inj-content").value = "";
  renderInjections();
});
$("#preset").addEventListener("change", () => {
  const p = $("#preset").value;
  $("#system-prompt").value = p ? state.presets.get(p) : "";
});
$("#clear-system").addEventListener("click", () => { $("#preset").value = ""; $("#system-prompt").value = ""; });
$("#inject-conversation").addEventListener("click", () => {
  const r = state.last;
  if (!r) { status("run something first: its query and answer become the conversation context"); return; }
  const turn = `user: ${r.request.user}\nassistant: ${r.response.text}`;
  const ctx = $("#context");
  ctx.value = ctx.value ? ctx.value + "\n" + turn : turn;
});
$("#temperature").addEventListener("input", () => { $("#temp-value").textContent = $("#temperature").value; });
$("#provider").addEventListener("change", loadModels);
$("#model").addEventListener("change", showModel);
$("#meter").addEventListener("change", showMeterNote);

// ---- running -------------------------------------------------------------

function socket() {
  return new Promise((resolve, reject) => {
    if (state.ws && state.ws.readyState === WebSocket.OPEN) return resolve(state.ws);
    const ws = new WebSocket(wsURL("/ws"));
    ws.onopen = () => { state.ws = ws; resolve(ws); };
    ws.onerror = () => reject(new Error("cannot open the WebSocket"));
    ws.onclose = () => {
      if (state.running) { finishUI(); status("connection lost: the run was cancelled on the server"); log("connection lost", "error"); }
      state.ws = null;
    };
    ws.onmessage = ev => onMessage(JSON.parse(ev.data));
  });
}

function payload() {
  const p = {
    model_name: $("#model").value,
    user_prompt: $("#user-prompt").value,
    system_prompt: $("#system-prompt").value,
    conversation_context: $("#context").value,
    injections: state.injections,
    temp: Number($("#temperature").value),
    max_tokens: Number($("#max-tokens").value),
    include_thinking: $("#think").checked,
    ignore_eos: $("#ignore-eos").checked,
    strategy_name: state.injections.length ? "custom_injection" : "baseline",
    grid: $("#grid").value || undefined,
    pue: Number($("#pue").value) || undefined,
  };
  if ($("#seed").value !== "") p.seed = Number($("#seed").value);
  if (!$("#meter").disabled && $("#meter").value !== "auto") p.meter = $("#meter").value;
  if ($("#family").value && $("#family").value !== "auto") p.energy_benchmark = $("#family").value;
  const preset = $("#preset").value;
  if (preset && state.presets.get(preset) === p.system_prompt) p.system_preset = preset;
  return p;
}

async function run() {
  if (state.running) return;
  const p = payload();
  if (!p.model_name) { status("pick a model first"); return; }
  $("#output").textContent = ""; $("#thinking").textContent = ""; $("#thinking-count").textContent = "0";
  $("#thinking-box").hidden = true; $("#log").replaceChildren(); chart.reset();
  state.thinkingChunks = 0;
  state.running = true;
  $("#run").disabled = true; $("#stop").disabled = false;
  status("starting…");
  try {
    const ws = await socket();
    ws.send(JSON.stringify(p));
  } catch (e) {
    finishUI(); status(e.message);
  }
}

function stop() {
  if (state.ws && state.running) {
    state.ws.send(JSON.stringify({ command: "cancel" }));
    status("stopping…");
  }
}

function finishUI() {
  state.running = false;
  $("#run").disabled = false; $("#stop").disabled = true;
}

function onMessage(m) {
  if (m.started) {
    const info = m.started.model;
    $("#synthetic-note").hidden = !info.synthetic;
    status("running on " + info.name);
  }
  if (m.log !== undefined) log(m.log, m.log.startsWith("warning") ? "warn" : "");
  if (m.mark === "first_token") { chart.mark(m.offset_ms / 1000, "first token"); status("decoding…"); }
  if (m.mark === "start") status("prefill…");
  if (m.power) chart.add(m.power.offset_ms / 1000, m.power.watts);
  if (m.done === false && typeof m.token === "string") {
    if (m.thinking) {
      $("#thinking-box").hidden = false;
      $("#thinking").textContent += m.token;
      $("#thinking-count").textContent = String(++state.thinkingChunks);
    } else {
      $("#output").textContent += m.token;
    }
  }
  if (m.done === true) {
    if (m.rejected) { log(m.error, "error"); return; }
    finishUI();
    if (m.error) {
      log("error: " + m.error + (m.hint ? " (try: " + m.hint + ")" : ""), "error");
      status((m.stored ? "failed, stored as run " + m.run_id : "refused") + ": " + m.error);
    } else if (m.cancelled) {
      status(m.stored ? "cancelled; stored as run " + m.run_id + " with what was measured until then" : "cancelled; nothing was stored");
    } else {
      status("done: stored as run " + m.run_id);
    }
    if (m.record) { state.last = m.record; showResults(m.record); }
    refreshSession();
  }
}

$("#run").addEventListener("click", run);
$("#stop").addEventListener("click", stop);
$("#clear").addEventListener("click", () => {
  $("#output").textContent = ""; $("#thinking").textContent = ""; $("#thinking-box").hidden = true;
  $("#log").replaceChildren(); chart.reset(); $("#results").hidden = true; status("idle");
});
$("#user-prompt").addEventListener("keydown", e => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) run(); });

// ---- results -------------------------------------------------------------

function figure(k, v, s) { return el("div", { class: "figure" }, el("div", { class: "k" }, k), el("div", { class: "v" }, v), s ? el("div", { class: "s" }, s) : ""); }

function showResults(r) {
  $("#results").hidden = false;
  $("#result-id").textContent = `run ${r.id} · ${r.status} · ${r.model}`;
  const en = r.energy, et = r.etokens, act = en.active || {};
  const kind = en.source || "not metered";
  $("#figures").replaceChildren(
    figure("energy (" + kind + ")", wh(en.total_wh), en.total_wh === null ? (en.absent_reason || "") : en.meter + ": " + en.boundary),
    figure("prefill", wh(en.prefill_wh), "request sent → first token"),
    figure("decode", wh(en.decode_wh), "first token → last token"),
    figure("active (minus idle)", wh(act.total_wh), act.total_wh === null || act.total_wh === undefined ? (act.absent_reason || "") : "baseline " + num(act.baseline && act.baseline.watts) + " W"),
    figure("e-token in", et.wh_per_1k_input === null ? "absent" : num(et.wh_per_1k_input) + " Wh/1k", "total Wh × 1000 / input tokens"),
    figure("e-token out", et.wh_per_1k_output === null ? "absent" : num(et.wh_per_1k_output) + " Wh/1k", "total Wh × 1000 / output tokens"),
    figure("carbon", r.carbon.g_co2e === null ? "absent" : num(r.carbon.g_co2e) + " g CO2e", `${r.carbon.grid.code} ${num(r.carbon.grid.factor_kg_per_kwh)} kg/kWh × PUE ${r.carbon.pue}`),
    figure("tokens", `${r.tokens.input} in / ${r.tokens.output} out`, r.tokens.source + (r.tokens.cached ? `, ${r.tokens.cached} cached` : "")),
  );
  const rows = [];
  if (en.total_wh !== null) {
    rows.push(el("tr", {}, el("td", {}, "this run"), el("td", {}, kindBadge(en.source)), el("td", { class: "num" }, wh(en.total_wh)),
      el("td", { class: "num" }, wh(en.prefill_wh)), el("td", { class: "num" }, wh(en.decode_wh)),
      el("td", { class: "num" }, num(et.wh_per_1k_input)), el("td", { class: "num" }, num(et.wh_per_1k_output)),
      el("td", { class: "num" }, num(r.carbon.g_co2e)), el("td", {}, `${en.meter}: ${en.boundary}`)));
  } else {
    rows.push(el("tr", {}, el("td", {}, "this run"), el("td", {}, kindBadge("absent")), el("td", { colspan: 7 }, en.absent_reason || "not metered")));
  }
  for (const e of r.estimates || []) {
    const per = n => (e.wh === null || !n) ? null : e.wh * 1000 / n;
    rows.push(el("tr", {}, el("td", {}, `${e.family_name || e.family}${e.row_model ? ": " + e.row_model : ""}`, e.match ? el("div", { class: "hint" }, e.match + (e.match_explanation ? " — " + e.match_explanation : "")) : ""),
      el("td", {}, kindBadge("estimated")),
      e.wh === null ? el("td", { colspan: 6 }, e.absent_reason || "no row") : [
        el("td", { class: "num" }, wh(e.wh) + (e.low_wh !== undefined && e.low_wh !== null ? ` (${wh(e.low_wh)}–${wh(e.high_wh)})` : "")),
        el("td", { class: "num" }, wh(e.prefill_wh)), el("td", { class: "num" }, wh(e.decode_wh)),
        el("td", { class: "num" }, num(per(r.tokens.input))), el("td", { class: "num" }, num(per(r.tokens.output))),
        el("td", { class: "num" }, num(e.g_co2e))],
      el("td", {}, `${e.boundary || ""}${e.boundary_note ? ": " + e.boundary_note : ""}${e.hardware ? " (" + e.hardware + ")" : ""}`)));
  }
  $("#compare tbody").replaceChildren(...rows);
  const b = r.tokens.breakdown;
  $("#breakdown tbody").replaceChildren(
    ...[["user (typed)", b.user], ["system", b.system], ["context", b.context], ["injections", b.injections], ["template", b.template],
      ["middleware total", b.middleware], ["thinking", b.thinking], ["answer", b.answer]].map(([k, v]) => el("tr", {}, el("td", {}, k), el("td", { class: "num" }, v))),
    el("tr", {}, el("td", { colspan: 2, class: "hint" }, b.method + (b.note ? ": " + b.note : ""))));
  loadSVG($("#breakdown-chart"), `/api/runs/${r.id}/charts/breakdown.svg`);
  loadSVG($("#energy-chart"), `/api/runs/${r.id}/charts/energy.svg`);
  if ((r.power || []).length > 1) loadSVG($("#power-chart"), `/api/runs/${r.id}/charts/power.svg`);
  const t = r.timing;
  $("#timing tbody").replaceChildren(...[
    ["time to first token", ms(t.ttft_ms)], ["decode", ms(t.decode_ms)], ["measured window", ms(t.total_ms)],
    ["decode rate", t.tokens_per_second === null ? "—" : num(t.tokens_per_second) + " tokens/s"],
    ["inter-token latency", t.itl_ms ? `mean ${ms(t.itl_ms.mean)}, p50 ${ms(t.itl_ms.p50)}, p95 ${ms(t.itl_ms.p95)} (${t.itl_ms.n})` : "—"],
  ].map(([k, v]) => el("tr", {}, el("td", {}, k), el("td", { class: "num" }, v))));
  const flags = r.flags || [];
  $("#flags").replaceChildren(...(flags.length ? flags.map(f => el("li", {}, el("span", { class: "badge " + (f.severity === "warn" ? "warn" : "") }, f.code), " ", f.message))
    : [el("li", { class: "hint" }, "no quality flags")]));
  if (r.response) {
    $("#output").textContent = r.response.text;
    if (r.response.thinking) { $("#thinking-box").hidden = false; $("#thinking").textContent = r.response.thinking; }
    $("#synthetic-note").hidden = !r.response.meaningless;
  }
}

// ---- experiments ---------------------------------------------------------
// Batches and overhead studies over /ws/experiment: one experiment at a
// time on its own socket, while the single runs above keep their own.

const exp = { ws: null, running: false, progress: 0 };

function expStatus(text) { $("#exp-status").textContent = text; }

// secs formats a duration in seconds for people.
function secs(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return "—";
  if (v < 60) return (v < 10 ? v.toFixed(1) : Math.round(v)) + " s";
  if (v < 3600) return Math.floor(v / 60) + " min " + Math.round(v % 60) + " s";
  return Math.floor(v / 3600) + " h " + Math.round((v % 3600) / 60) + " min";
}

function pct(v) { return v === null || v === undefined ? "—" : (v * 100).toFixed(1) + "%"; }

function expSocket() {
  return new Promise((resolve, reject) => {
    if (exp.ws && exp.ws.readyState === WebSocket.OPEN) return resolve(exp.ws);
    const ws = new WebSocket(wsURL("/ws/experiment"));
    ws.onopen = () => { exp.ws = ws; resolve(ws); };
    ws.onerror = () => reject(new Error("cannot open the experiment WebSocket"));
    ws.onclose = () => {
      if (exp.running) {
        expFinishUI();
        expStatus("connection lost: the experiment was stopped on the server; its finished runs and statistics are stored");
        loadExperiments();
      }
      exp.ws = null;
    };
    ws.onmessage = ev => onExperimentMessage(JSON.parse(ev.data));
  });
}

function intField(sel, def) { const v = $(sel).value; return v === "" ? def : Number(v); }

// experimentPayload is the request above, with the panel's settings: the
// page's seed is the runs' sampling seed, the panel's the experiment's.
function experimentPayload(kind) {
  const p = payload();
  delete p.strategy_name;
  if (p.seed !== undefined) { p.sampling_seed = p.seed; delete p.seed; }
  if (kind === "ablate") delete p.system_preset;
  Object.assign(p, {
    kind, runs: intField("#exp-runs", 5), warmup: intField("#exp-warmup", 1), cooldown_ms: intField("#exp-cooldown", 0),
    ignore_eos: $("#exp-fixed").checked, nonce: $("#exp-nonce").checked, include_flagged: $("#exp-flagged").checked,
  });
  if ($("#exp-seed").value !== "") p.seed = Number($("#exp-seed").value);
  return p;
}

function setExpButtons() {
  $("#exp-batch").disabled = exp.running;
  $("#exp-study").disabled = exp.running;
  $("#exp-stop").disabled = !exp.running;
}

function expFinishUI() { exp.running = false; setExpButtons(); }

async function startExperiment(kind) {
  if (exp.running) return;
  const p = experimentPayload(kind);
  if (!p.model_name) { expStatus("pick a model first"); return; }
  exp.running = true; exp.progress = 0;
  setExpButtons();
  $("#experiment-panel").dataset.progress = "0";
  $("#exp-progress").max = 1; $("#exp-progress").value = 0;
  $("#exp-progress-text").textContent = "";
  expStatus((kind === "batch" ? "batch" : "overhead study") + ": checking every configuration…");
  try {
    const ws = await expSocket();
    ws.send(JSON.stringify(p));
  } catch (e) {
    expFinishUI(); expStatus(e.message);
  }
}

function stopExperiment() {
  if (exp.ws && exp.running) {
    exp.ws.send(JSON.stringify({ command: "cancel" }));
    expStatus("stopping… (the run in progress is stored as cancelled)");
  }
}

function onExperimentMessage(m) {
  if (m.started) {
    const s = m.started;
    $("#exp-progress").max = s.total; $("#exp-progress").value = 0;
    $("#exp-progress-text").textContent = `0/${s.total}`;
    expStatus(`${s.kind === "batch" ? "batch" : "overhead study (" + (s.arms || []).join(" vs ") + ")"} ${s.experiment_id} on ${s.model}, seed ${s.seed}`);
  }
  if (m.log !== undefined) log("experiment: " + m.log, m.log.startsWith("warning") ? "warn" : "");
  if (m.progress) {
    const p = m.progress, last = p.last || {};
    $("#exp-progress").max = p.total; $("#exp-progress").value = p.done;
    $("#experiment-panel").dataset.progress = String(++exp.progress);
    const what = (p.warmup ? "warm-up" : "run") + (p.arm ? " " + p.arm : "");
    const fig = last.total_wh === null || last.total_wh === undefined ? "no energy" : wh(last.total_wh) + " " + (last.kind || "");
    $("#exp-progress-text").textContent = `${p.done}/${p.total} · elapsed ${secs(p.elapsed_s)} · ETA ${secs(p.eta_s)} · last ${what}: ${fig}` +
      (last.status && last.status !== "ok" ? ` (${last.status})` : "");
  }
  if (m.done === true) {
    if (m.rejected) { log("experiment: " + m.error, "error"); return; }
    expFinishUI();
    const n = m.result && m.result.runs ? m.result.runs.length : 0;
    if (m.error) {
      expStatus("error: " + m.error + (m.hint ? " (try: " + m.hint + ")" : "") + (m.stored ? `; the ${n} finished runs are stored as experiment ${m.experiment_id}` : ""));
    } else if (m.cancelled) {
      expStatus(m.stored ? `stopped after ${n} runs: the statistics cover the runs that finished; stored as experiment ${m.experiment_id}` : "stopped before the first run finished: nothing was stored");
    } else {
      expStatus(`done: stored as experiment ${m.experiment_id} (its ${n} runs: session ${m.experiment_id})`);
    }
    if (m.result) showExperiment(m.kind, m.result, m.experiment_id);
    loadExperiments();
  }
}

function showExperiment(kind, r, id) {
  $("#exp-results").hidden = false;
  $("#exp-empty").hidden = true;
  $("#exp-id").textContent = `${kind} ${id}${r.stopped ? " · stopped early" : ""}`;
  $("#exp-batch-results").hidden = kind !== "batch";
  $("#exp-study-results").hidden = kind !== "ablate";
  if (kind === "batch") showBatch(r);
  else if (kind === "ablate") showStudy(r, id);
  else $("#exp-summary").textContent = `a ${kind} experiment: open its JSON below`;
}

function showBatch(r) {
  const s = r.stats;
  $("#exp-summary").textContent = `${s.runs} runs (+${r.warmups} warm-up) in ${secs(r.elapsed_s)} · energy ${s.kind || "absent"}` +
    (s.meter ? ` (${s.meter}: ${s.boundary})` : "");
  const rows = [["total energy", s.total_wh, wh], ["prefill", s.prefill_wh, wh], ["decode", s.decode_wh, wh], ["active (minus idle)", s.active_wh, wh],
    ["e-token in (Wh/1k)", s.wh_per_1k_input, num], ["e-token out (Wh/1k)", s.wh_per_1k_output, num],
    ["input tokens", s.input_tokens, num], ["output tokens", s.output_tokens, num], ["time to first token", s.ttft_ms, ms],
    ["decode rate (tokens/s)", s.tokens_per_second, num]];
  $("#exp-stats tbody").replaceChildren(...rows.map(([name, x, f]) => el("tr", {},
    el("td", {}, name),
    !x || !x.n ? el("td", { colspan: 7, class: "hint" }, "absent: no included run has it") : [
      el("td", { class: "num" }, f(x.mean)), el("td", { class: "num" }, f(x.median)), el("td", { class: "num" }, f(x.sd)),
      el("td", { class: "num" }, f(x.p5)), el("td", { class: "num" }, f(x.p95)), el("td", { class: "num" }, pct(x.cv)),
      el("td", { class: "num" }, x.ci_low === null ? "—" : `${f(x.ci_low)} – ${f(x.ci_high)}`)])));
  const excl = Object.entries(s.excluded || {}).map(([k, v]) => `${k} ${v}`);
  const notes = [
    el("li", { id: "exp-ratio" }, `ratio of sums (total Wh × 1000 / total tokens over the included runs): e-token in ${num(s.ratio_of_sums_wh_per_1k_input)} Wh/1k, e-token out ${num(s.ratio_of_sums_wh_per_1k_output)} Wh/1k`),
    el("li", { id: "exp-counts" }, `${s.runs} runs, ${s.included} included` + (excl.length ? `; excluded: ${excl.join(", ")} (Keep flagged runs includes the flagged ones)` : "; none excluded")),
  ];
  if (s.mixed) notes.push(el("li", { class: "error-box" }, "the runs used different meters or boundaries: their figures are not comparable"));
  if (s.cached_runs) notes.push(el("li", {}, `${s.cached_runs} runs were partly served from a prompt cache`));
  const ov = r.overhead || {};
  if (ov.ratio !== null && ov.ratio !== undefined) {
    notes.push(el("li", {}, `lab overhead between runs: ${ms(ov.gap_ms.mean)} (median ${ms(ov.gap_ms.median)}) = ${num(ov.ratio)} × the mean run of ${ms(ov.run_ms.mean)}`));
  }
  $("#exp-notes").replaceChildren(...notes);
}

function showStudy(r, id) {
  const bare = (r.arms[0] || {}).stats || {};
  const done = (r.runs || []).filter(o => !o.trial.warmup).length, planned = (r.order || []).length;
  $("#exp-summary").textContent = `${done}${done < planned ? " of " + planned : ""} measured runs, interleaved in random order · energy ${bare.kind || "absent"}` +
    (bare.meter ? ` (${bare.meter}: ${bare.boundary})` : "") + ` · ${r.cache_control}`;
  const ci = (v, lo, hi, unit = "") => v === null || v === undefined ? "—" : `${num(v)}${unit}` + (lo === null || lo === undefined ? "" : ` [${num(lo)}, ${num(hi)}]`);
  $("#exp-arms tbody").replaceChildren(...r.arms.map(a => {
    const isBare = a.name === "bare", st = a.stats, mg = a.marginal_wh_per_1k_injected;
    return el("tr", { "data-arm": a.name },
      el("td", { title: a.describe || "" }, el("b", {}, a.name), a.describe ? el("div", { class: "hint" }, a.describe) : ""),
      el("td", { class: "num" }, `${st.included}/${st.runs}`),
      el("td", { class: "num" }, num(st.input_tokens.mean)),
      el("td", { class: "num" }, isBare ? "—" : "+" + num(a.extra_input_tokens)),
      el("td", { class: "num" }, wh(st.total_wh.mean)),
      el("td", { class: "num" }, isBare ? "1× (reference)" : ci(a.overhead.value, a.overhead.low, a.overhead.high, "×")),
      el("td", { class: "num" }, isBare || !mg ? "—" : ci(mg.value, mg.low, mg.high)),
      el("td", {}, a.verdict || ""));
  }));
  const box = $("#overhead-chart");
  new IntervalChart(box, { title: "Energy with middleware ÷ energy bare", xLabel: "overhead ratio (×), 95% bootstrap interval", reference: 1, referenceLabel: "bare = 1×", unit: "×" })
    .draw(r.arms.map(a => a.name === "bare" ? { label: a.name, value: 1, low: null, high: null }
      : { label: a.name, value: a.overhead.value, low: a.overhead.low, high: a.overhead.high }));
  // The report's own chart, where the server draws one, replaces it.
  if (id) {
    fetch(`/api/experiments/${encodeURIComponent(id)}/charts/overhead.svg`).then(async resp => {
      if (resp.ok && (resp.headers.get("Content-Type") || "").includes("svg") && $("#exp-id").textContent.includes(id)) box.innerHTML = await resp.text();
    }).catch(() => {});
  }
}

async function loadExperiments() {
  try {
    const data = await api("/api/experiments?limit=50");
    const rows = data.experiments.map(e => el("tr", { "data-id": e.id },
      el("td", {}, new Date(e.created_at).toLocaleString()), el("td", {}, e.kind), el("td", {}, e.summary),
      el("td", {}, e.kind === "batch" || e.kind === "ablate" ? el("button", { type: "button", class: "show-experiment", onclick: () => openExperiment(e.id) }, "Show") : "", " ",
        el("a", { href: e.url, target: "_blank", rel: "noopener", class: "experiment-json" }, "JSON"), " · ",
        el("a", { href: e.runs_url, target: "_blank", rel: "noopener" }, "runs"), " · ",
        el("a", { href: e.url + "/report", download: true, class: "experiment-report" }, "report"), " · ",
        el("a", { href: "/api/export-session?format=csv&session=" + encodeURIComponent(e.id), download: true }, "CSV"))));
    $("#exp-list tbody").replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: 4, class: "hint" }, "none stored yet"))]));
  } catch (e) { log("cannot list experiments: " + e.message, "warn"); }
}

async function openExperiment(id) {
  try {
    const e = await api("/api/experiments/" + encodeURIComponent(id));
    showExperiment(e.kind, e.result, e.id);
    expStatus("showing stored experiment " + id);
  } catch (err) { expStatus("cannot open experiment " + id + ": " + err.message); }
}

$("#exp-batch").addEventListener("click", () => startExperiment("batch"));
$("#exp-study").addEventListener("click", () => startExperiment("ablate"));
$("#exp-stop").addEventListener("click", stopExperiment);

// ---- session -------------------------------------------------------------

async function refreshSession() {
  const all = $("#all-sessions").checked;
  try {
    const [s, runs] = await Promise.all([api("/api/session-summary"), api("/api/runs?limit=200&session=" + (all ? "all" : "current"))]);
    const e = s.energy;
    $("#session-totals").replaceChildren(
      figure("runs", `${s.total_readings}`, `${s.runs_ok} ok · ${s.runs_failed} failed · ${s.runs_cancelled} cancelled`),
      figure("energy (" + (e.kinds.join(", ") || "none") + ")", wh(e.total_wh), e.boundaries.join("; ")),
      figure("e-token in (session)", num(e.wh_per_1000_input_tokens) + " Wh/1k", "ratio of sums"),
      figure("e-token out (session)", num(e.wh_per_1000_output_tokens) + " Wh/1k", "ratio of sums"),
      figure("carbon", e.g_co2e === null ? "absent" : num(e.g_co2e) + " g CO2e"),
      figure("estimated", wh(s.estimated.total_wh), s.estimated.kinds.join(", ")));
    state.history = runs.runs;
    renderHistory();
  } catch (err) { log("cannot refresh the session: " + err.message, "warn"); }
}

function renderHistory() {
  const { key, dir } = state.sort;
  const rows = state.history.slice().sort((a, b) => {
    const x = a[key], y = b[key];
    if (x === y) return 0;
    if (x === null || x === undefined) return 1;
    if (y === null || y === undefined) return -1;
    return (x < y ? -1 : 1) * dir;
  });
  $("#history tbody").replaceChildren(...rows.map(r => el("tr", { "data-id": r.id },
    el("td", {}, new Date(r.created_at).toLocaleTimeString()), el("td", {}, r.model), el("td", {}, r.status),
    el("td", { class: "num" }, r.input_tokens), el("td", { class: "num" }, r.output_tokens),
    el("td", { class: "num" }, wh(r.total_wh)), el("td", { class: "num" }, ms(r.ttft_ms)),
    el("td", {}, el("button", { type: "button", class: "open-run", onclick: () => openRun(r.id) }, "Open"), " ",
      el("button", { type: "button", class: "danger remove-run", onclick: () => removeRun(r.id) }, "Remove")))));
}

async function openRun(id) {
  try { const r = await api("/api/runs/" + id); state.last = r; showResults(r); status("showing stored run " + id); }
  catch (e) { status("cannot open run " + id + ": " + e.message); }
}

async function removeRun(id) {
  if (!confirm("Remove run " + id + " from the store?")) return;
  try { await api("/api/runs/" + id, { method: "DELETE" }); refreshSession(); }
  catch (e) { status("cannot remove run " + id + ": " + e.message); }
}

$$("#history th.sortable").forEach(th => th.addEventListener("click", () => {
  const k = th.dataset.key;
  state.sort = { key: k, dir: state.sort.key === k ? -state.sort.dir : -1 };
  renderHistory();
}));
$("#all-sessions").addEventListener("change", refreshSession);

healthBadge($("#health"));
Promise.all([loadModels(), loadMeters(), loadPresets(), loadFamilies(), loadGrids(), refreshSession(), loadExperiments()]).then(() => {
  document.body.dataset.ready = "true";
});
