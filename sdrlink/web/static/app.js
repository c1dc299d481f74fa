// sdrlink station page: everything arrives as server-sent events from /events.
"use strict";

const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.search).get("token");
const withToken = (url) => (token ? url + (url.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(token) : url);
const state = { schedule: [], pass: null, sky: null, frames: [], recordings: [], status: {} };
const seen = new Set();
const MAX_FRAMES = 300;

function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}
function hhmmss(iso) { return iso ? iso.slice(11, 19) : ""; }
function dayTime(iso) { return iso ? iso.slice(5, 10) + " " + iso.slice(11, 19) : ""; }

// -- status -------------------------------------------------------------------------------
function renderStatus() {
  const s = state.status;
  $("station-name").textContent = s.station || "sdrlink";
  $("mode").textContent = (s.mode || "") + (s.position ? "  " + s.position.map((v) => (+v).toFixed(2)).join(", ") : "") + (s.device ? "  · " + s.device : "");
  $("state").textContent = s.state || "";
  $("clock").textContent = s.now ? dayTime(s.now) + "Z" : "";
}

// -- schedule -----------------------------------------------------------------------------
function renderSchedule() {
  const rows = state.schedule.slice(0, 40).map((p) => {
    const stale = p.stale_tle ? ` <span class="stale" title="TLE ${p.tle_age_days} days old">stale TLE</span>` : "";
    const note = p.note ? ` <span class="muted">${esc(p.note)}</span>` : "";
    return `<tr class="${esc(p.status)}" data-id="${esc(p.id)}"><td>${dayTime(p.aos)}</td><td>${hhmmss(p.los)}</td>` +
      `<td>${esc(p.satellite)}</td><td>${(+p.max_elevation).toFixed(0)}°</td><td>${p.priority}</td>` +
      `<td>${esc(p.status)}${stale}${note}</td></tr>`;
  });
  $("schedule").tBodies[0].innerHTML = rows.join("") || `<tr><td colspan="6" class="muted">no passes planned</td></tr>`;
  $("schedule").dataset.rows = String(state.schedule.length);
  drawSky();
}

// -- polar sky plot -----------------------------------------------------------------------
function skyPass() {
  if (state.pass) return { pass: state.pass, live: true };
  const next = state.schedule.find((p) => p.status === "planned");
  return next ? { pass: next, live: false } : null;
}

function drawSky() {
  const c = $("sky"), g = c.getContext("2d"), w = c.width, h = c.height;
  const cx = w / 2, cy = h / 2, r = Math.min(w, h) / 2 - 18;
  g.clearRect(0, 0, w, h);
  g.strokeStyle = "#2a3540"; g.fillStyle = "#7d8a99"; g.lineWidth = 1; g.font = "11px sans-serif";
  for (const el of [0, 30, 60]) { g.beginPath(); g.arc(cx, cy, r * (90 - el) / 90, 0, 2 * Math.PI); g.stroke(); }
  g.beginPath(); g.moveTo(cx - r, cy); g.lineTo(cx + r, cy); g.moveTo(cx, cy - r); g.lineTo(cx, cy + r); g.stroke();
  g.textAlign = "center"; g.textBaseline = "middle";
  g.fillText("N", cx, cy - r - 9); g.fillText("S", cx, cy + r + 9); g.fillText("E", cx + r + 9, cy); g.fillText("W", cx - r - 9, cy);
  const xy = (az, el) => {
    const rr = r * (90 - Math.max(el, 0)) / 90, a = (az * Math.PI) / 180;
    return [cx + rr * Math.sin(a), cy - rr * Math.cos(a)];
  };
  const sp = skyPass();
  $("sky-label").textContent = sp ? (sp.live ? "now: " : "next: ") + sp.pass.satellite + " " + dayTime(sp.pass.aos) : "";
  if (!sp || !sp.pass.track || !sp.pass.track.length) return;
  g.strokeStyle = sp.live ? "#58a6ff" : "#4d6a8a"; g.lineWidth = 2; g.setLineDash(sp.live ? [] : [5, 4]);
  g.beginPath();
  sp.pass.track.forEach(([, az, el], i) => { const [x, y] = xy(az, el); i ? g.lineTo(x, y) : g.moveTo(x, y); });
  g.stroke(); g.setLineDash([]);
  const [x0, y0] = xy(sp.pass.track[0][1], sp.pass.track[0][2]);
  g.fillStyle = "#4cc38a"; g.fillRect(x0 - 3, y0 - 3, 6, 6);
  if (sp.live && state.sky) {
    const [x, y] = xy(state.sky.az, state.sky.el);
    g.fillStyle = "#ffd166"; g.beginPath(); g.arc(x, y, 6, 0, 2 * Math.PI); g.fill();
    $("sky-pos").textContent = `az ${state.sky.az.toFixed(1)}°  el ${state.sky.el.toFixed(1)}°`;
  } else {
    $("sky-pos").textContent = "";
  }
}

// -- spectrum and waterfall -----------------------------------------------------------------
let lo = null, hi = null, spectra = 0;
function colour(v) { // 0..1 -> dark blue, cyan, yellow, white
  const stops = [[8, 10, 40], [20, 60, 160], [30, 180, 200], [240, 220, 60], [255, 255, 255]];
  const x = Math.min(Math.max(v, 0), 1) * (stops.length - 1), i = Math.min(Math.floor(x), stops.length - 2), f = x - i;
  return stops[i].map((a, k) => Math.round(a + (stops[i + 1][k] - a) * f));
}

function drawSpectrum(s) {
  const bins = s.bins, n = bins.length;
  const sorted = bins.slice().sort((a, b) => a - b);
  const floor = sorted[Math.floor(n * 0.2)], top = sorted[n - 1];
  lo = lo === null ? floor - 3 : 0.9 * lo + 0.1 * (floor - 3);
  hi = hi === null ? Math.max(top, floor + 20) : Math.max(0.97 * hi + 0.03 * top, lo + 20);
  const c = $("spectrum"), g = c.getContext("2d"), w = c.width, h = c.height;
  g.clearRect(0, 0, w, h);
  g.strokeStyle = "#2a3540"; g.beginPath(); g.moveTo(w / 2, 0); g.lineTo(w / 2, h); g.stroke();
  g.strokeStyle = "#58a6ff"; g.lineWidth = 1.5; g.beginPath();
  bins.forEach((v, i) => { const x = (i + 0.5) * w / n, y = h - ((v - lo) / (hi - lo)) * h; i ? g.lineTo(x, y) : g.moveTo(x, y); });
  g.stroke();
  const wf = $("waterfall"), wg = wf.getContext("2d");
  wg.drawImage(wf, 0, 0, wf.width, wf.height - 1, 0, 1, wf.width, wf.height - 1);
  const row = wg.createImageData(wf.width, 1);
  for (let x = 0; x < wf.width; x++) {
    const v = bins[Math.floor((x * n) / wf.width)];
    const [r, gg, b] = colour((v - lo) / (hi - lo));
    row.data.set([r, gg, b, 255], 4 * x);
  }
  wg.putImageData(row, 0, 0);
  spectra += 1;
  document.body.dataset.spectra = String(spectra);
  $("level").textContent = s.level_db === null ? "–" : s.level_db.toFixed(1);
  const f = s.center_hz ? (s.center_hz / 1e6).toFixed(4) + " MHz" : "";
  $("spec-label").textContent = `${f}  ±${(s.rate / 2e3).toFixed(0)} kHz`;
}

// -- frames ---------------------------------------------------------------------------------
function frameKey(f) { return `${f.pass_id || ""}|${f.sample_index}|${f.payload}`; }

function addFrame(f, fresh) {
  const key = frameKey(f);
  if (seen.has(key)) return;
  seen.add(key);
  state.frames.push(f);
  const tr = document.createElement("tr");
  const crc = f.crc_ok === true ? '<span class="ok">ok</span>' : f.crc_ok === false ? '<span class="bad">BAD</span>' : '<span class="muted">none</span>';
  tr.innerHTML = `<td>${dayTime(f.time)}</td><td>${esc(f.satellite || "")}</td><td>${(+f.snr_db).toFixed(1)} dB</td>` +
    `<td>${(+f.freq_offset_hz).toFixed(0)} Hz</td><td>${crc}</td><td class="hex" title="${esc(f.payload)}">${esc(f.payload)}</td>` +
    `<td class="text">${esc(f.text || "")}</td>`;
  tr.dataset.payload = f.payload;
  tr.dataset.shownAt = String(Date.now());
  if (fresh) tr.dataset.fresh = "1";
  const body = $("frames").tBodies[0];
  body.insertBefore(tr, body.firstChild);
  while (body.rows.length > MAX_FRAMES) body.deleteRow(body.rows.length - 1);
  $("frame-count").textContent = String(state.frames.length);
  document.body.dataset.frames = String(state.frames.length);
}

// -- recordings -----------------------------------------------------------------------------
function renderRecordings() {
  const rows = state.recordings.map((r) => {
    const links = [];
    if (r.recording) {
      const base = r.recording.replace(/\.sigmf-meta$/, "");
      links.push(`<a class="sigmf" href="${withToken("files/" + encodeURIComponent(base) + ".sigmf")}" download>SigMF</a>`);
      links.push(`<a href="${withToken("files/" + encodeURIComponent(r.recording))}" download>meta</a>`);
      links.push(`<a href="${withToken("files/" + encodeURIComponent(base) + ".sigmf-data")}" download>data</a>`);
    }
    if (r.jsonl) links.push(`<a class="jsonl" href="${withToken("files/" + encodeURIComponent(r.jsonl))}" download>JSONL</a>`);
    if (r.csv) links.push(`<a class="csv" href="${withToken("files/" + encodeURIComponent(r.csv))}" download>CSV</a>`);
    return `<tr data-id="${esc(r.id)}"><td>${esc(r.id)}</td><td>${esc(r.satellite || "")}</td><td>${esc(r.status || "")}</td>` +
      `<td>${r.valid_frames ?? ""}/${r.frames ?? ""}</td><td>${links.join("")}</td></tr>`;
  });
  $("recordings").tBodies[0].innerHTML = rows.join("") || `<tr><td colspan="5" class="muted">none yet</td></tr>`;
}

function addLog(m) {
  const el = $("log");
  const t = new Date(m.time * 1000).toISOString().slice(11, 19);
  el.textContent = (t + "  " + m.message + "\n" + el.textContent).slice(0, 20000);
}

// -- the stream -----------------------------------------------------------------------------
function connect() {
  const es = new EventSource(withToken("events"));
  es.addEventListener("open", () => { $("conn").textContent = "live"; $("conn").className = "ok"; document.body.dataset.connected = "1"; });
  es.addEventListener("error", () => { $("conn").textContent = "reconnecting…"; $("conn").className = "bad"; document.body.dataset.connected = "0"; });
  es.addEventListener("snapshot", (e) => {
    const s = JSON.parse(e.data);
    state.status = s.status || {}; state.schedule = s.schedule || []; state.pass = s.pass; state.sky = s.sky;
    state.recordings = s.recordings || [];
    renderStatus(); renderSchedule(); renderRecordings();
    (s.frames || []).forEach((f) => addFrame(f, false));
    if (s.spectrum) drawSpectrum(s.spectrum);
    $("log").textContent = "";
    (s.log || []).forEach(addLog);
  });
  es.addEventListener("status", (e) => { state.status = JSON.parse(e.data); renderStatus(); });
  es.addEventListener("schedule", (e) => { state.schedule = JSON.parse(e.data); renderSchedule(); });
  es.addEventListener("pass", (e) => { state.pass = JSON.parse(e.data); drawSky(); });
  es.addEventListener("sky", (e) => { state.sky = JSON.parse(e.data); drawSky(); });
  es.addEventListener("spectrum", (e) => drawSpectrum(JSON.parse(e.data)));
  es.addEventListener("frame", (e) => addFrame(JSON.parse(e.data), true));
  es.addEventListener("recordings", (e) => { state.recordings = JSON.parse(e.data); renderRecordings(); });
  es.addEventListener("log", (e) => addLog(JSON.parse(e.data)));
}

drawSky();
connect();
