// The page of binance-mock: polls the control API (/_mock) and steers it. Plain JS, no build
// step, nothing from elsewhere. Every failure is shown on the page, never thrown: an uncaught
// error would be the console noise a test of the page refuses.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const TOKEN = "binance-mock-admin-token";
  const KEEP = 1000; // journal rows the page holds, as many as the mock's journal by default
  const DAY = 86400000;
  const SVG = "http://www.w3.org/2000/svg";
  const s = { lastId: 0, rows: [], paused: false, busy: false, clock: null, open: new Set() };

  class Refused extends Error {}

  async function api(method, path, body) {
    const headers = {};
    const token = sessionStorage.getItem(TOKEN);
    if (token) headers.Authorization = "Bearer " + token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const r = await fetch("/_mock" + path, {
      method, headers, cache: "no-store", body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (r.status === 401) {
      sessionStorage.removeItem(TOKEN);
      askToken("The mock refused that token.");
      throw new Refused("admin token required");
    }
    const data = r.status === 204 ? null : await r.json();
    if (!r.ok) throw new Error((data && data.error) || "HTTP " + r.status);
    return data;
  }

  // Runs an action of the user, showing its error where the user looks. Each action starts by
  // clearing the messages of earlier ones, in every panel: once the mock has answered something
  // new, a message about an older action is stale, and left standing it reads as a current fault.
  function act(where, fn) {
    return async (ev) => {
      if (ev) ev.preventDefault();
      for (const m of document.querySelectorAll("#panels .error")) m.textContent = "";
      try { await fn(); } catch (e) { if (!(e instanceof Refused)) $(where).textContent = e.message; }
    };
  }

  const el = (tag, attrs, ...kids) => {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "text") n.textContent = v; else if (k === "cls") n.className = v; else n.setAttribute(k, v);
    }
    n.append(...kids);
    return n;
  };
  const svg = (tag, attrs) => {
    const n = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
    return n;
  };
  const iso = (ms) => new Date(ms).toISOString().replace(".000Z", "Z");
  const day = (ms) => new Date(ms).toISOString().slice(0, 10);
  const show = (v) => (v === null || v === undefined ? "" : String(v));

  // --- journal ---

  function keep(e) {
    const path = $("f-path").value.trim(), status = $("f-status").value.trim(), code = $("f-code").value.trim();
    return (!path || e.path.includes(path)) && (!status || String(e.status) === status)
      && (!code || String(e.code) === code);
  }

  function journalRow(e) {
    // The time is a button for the keyboard; a pointer may click anywhere on the row, and the
    // button's click reaches the row's listener too. A click that ends a text selection (a
    // path or key being copied) is left alone.
    const open = el("button", { type: "button", cls: "open", "aria-expanded": "false",
      "aria-label": `Details of request ${e.id}`, text: new Date(e.time).toISOString().slice(11, 23) });
    const tr = el("tr", { "data-id": e.id, cls: e.status >= 400 || e.status === 0 ? "bad" : "" },
      el("td", {}, open), el("td", { text: e.method }), el("td", { text: e.path }),
      el("td", { text: show(e.apiKey) }), el("td", { text: e.status || "dropped" }),
      el("td", { text: show(e.code) }), el("td", { text: e.check }),
      el("td", { text: e.rule ? "#" + e.rule : "" }), el("td", { text: show(e.tier) }));
    tr.addEventListener("click", (ev) => {
      if (ev.target !== open && String(window.getSelection())) return;
      toggleDetail(tr, e, open);
    });
    return tr;
  }

  async function toggleDetail(tr, e, button) {
    const next = tr.nextElementSibling;
    if (next && next.classList.contains("detail")) {
      next.remove();
      s.open.delete(e.id);
      button.setAttribute("aria-expanded", "false");
      return;
    }
    s.open.add(e.id);
    button.setAttribute("aria-expanded", "true");
    const cell = el("td", { colspan: "9", text: "loading…" });
    tr.after(el("tr", { cls: "detail" }, cell));
    try {
      const d = await api("GET", "/requests/" + e.id);
      let body = d.body;
      try { body = JSON.stringify(JSON.parse(d.body), null, 2); } catch { /* not JSON: as sent */ }
      const params = el("table", { cls: "grid" }, ...d.params.map(([k, v]) =>
        el("tr", {}, el("th", { text: k }), el("td", { cls: "wrap", text: v }))));
      cell.textContent = "";
      cell.append(
        el("strong", { text: "Parameters" }), d.params.length ? params : el("p", { text: "none" }),
        el("strong", { text: `Answered ${d.status || "nothing (connection dropped)"}` +
          (d.msg ? ` — ${d.msg}` : "") + (d.bodyTruncated ? " (body cut at 4 KB)" : "") }),
        el("pre", { text: body || "(empty)" }));
    } catch (err) {
      cell.textContent = err.message;
    }
  }

  function renderJournal() {
    const rows = s.rows.filter(keep).reverse();
    const body = $("journal-rows");
    body.replaceChildren(...rows.map(journalRow));
    $("journal-count").textContent = `${rows.length} of ${s.rows.length} shown`;
  }

  async function pollJournal() {
    const d = await api("GET", "/requests?since=" + s.lastId);
    if (!d.requests.length) return;
    s.lastId = d.requests[d.requests.length - 1].id;
    s.rows.push(...d.requests);
    if (s.rows.length > KEEP) s.rows.splice(0, s.rows.length - KEEP);
    if (!s.paused && !document.querySelector("tr.detail")) renderJournal();
  }

  // --- faults ---

  function match(m) {
    const parts = [];
    if (m.path) parts.push(m.path); else parts.push("signed calls");
    if (m.apiKey) parts.push("key " + m.apiKey);
    if (m.params) parts.push(new URLSearchParams(m.params).toString());
    return parts.join(", ");
  }

  function renderFaults(rules) {
    $("fault-rows").replaceChildren(...rules.map((r) => {
      const remove = el("button", { type: "button", "aria-label": `Remove rule ${r.id}`, text: "Remove" });
      remove.addEventListener("click", act("fault-error", async () => {
        await api("DELETE", "/faults/" + r.id);
        await pollFaults();
      }));
      const what = r.fault === "error" ? `${r.code} ${r.msg || (s.errors.get(r.code) || {}).msg || ""}` : r.fault;
      return el("tr", { "data-id": r.id, cls: r.fired ? "fired" : "" },
        el("td", { text: "#" + r.id }), el("td", { cls: "wrap", text: what }), el("td", { cls: "wrap", text: match(r.match) }),
        el("td", { text: r.times === null ? "until removed" : r.times }), el("td", { text: r.fired }),
        el("td", { text: r.remaining === null ? "∞" : r.remaining }),
        el("td", { text: r.delay_ms ? r.delay_ms.join("–") + " ms" : "" }), el("td", {}, remove));
    }));
  }

  // Redrawn only when changed, so a button is not replaced under the user's pointer.
  function changed(name, data) {
    const text = JSON.stringify(data);
    if (s["seen-" + name] === text) return false;
    s["seen-" + name] = text;
    return true;
  }

  async function pollFaults() {
    const rules = (await api("GET", "/faults")).faults;
    if (changed("faults", rules)) renderFaults(rules);
  }

  // A number where one was typed; otherwise the text itself, so the mock names the bad value.
  const num = (v) => (v.trim() === "" ? undefined : Number.isFinite(Number(v)) ? Number(v) : v.trim());

  function ruleFromForm() {
    const kind = $("fault-kind").value, rule = {};
    if (kind === "error") rule.code = Number($("fault-code").value); else rule.fault = kind;
    const args = $("fault-args").value.trim();
    if (args && kind === "error") rule.args = args.split(",").map((a) => a.trim());
    rule.times = $("fault-forever").checked ? null : num($("fault-times").value);
    if (rule.times === undefined) delete rule.times;
    const p = num($("fault-probability").value);
    if (p !== undefined) rule.probability = p;
    const delay = $("fault-delay").value.trim();
    const range = delay.match(/^(\d+)\s*-\s*(\d+)$/);
    if (range) rule.delay_ms = [Number(range[1]), Number(range[2])]; else if (delay) rule.delay_ms = num(delay);
    const status = num($("fault-status").value);
    if (status !== undefined) rule.http_status = status;
    const m = {}, path = $("fault-path").value.trim(), key = $("fault-key").value.trim();
    const params = $("fault-params").value.trim();
    if (path) m.path = path;
    if (key) m.apiKey = key;
    if (params) m.params = Object.fromEntries(new URLSearchParams(params));
    if (Object.keys(m).length) rule.match = m;
    return rule;
  }

  // --- streams ---

  function renderStreams(conns, rules) {
    $("streams-count").textContent = `${conns.length} open`;
    $("connection-rows").replaceChildren(...conns.map((c) => el("tr", { "data-id": c.id },
      el("td", { text: "#" + c.id }), el("td", { text: c.endpoint }), el("td", { cls: "wrap", text: c.path }),
      el("td", { cls: "wrap", text: c.streams.join(" ") }), el("td", { text: c.apiKeys.join(" ") }),
      el("td", { text: Math.round(c.ageMs / 1000) + " s" }))));
    $("stream-fault-rows").replaceChildren(...rules.map((r) => {
      const remove = el("button", { type: "button", "aria-label": `Remove stream fault ${r.id}`, text: "Remove" });
      remove.addEventListener("click", act("streams-error", async () => {
        await api("DELETE", "/streams/faults/" + r.id);
        await pollStreams();
      }));
      const m = Object.entries(r.match).map(([k, v]) => `${k} ${v}`).join(", ") || "everything";
      return el("tr", { "data-id": r.id, cls: r.fired ? "fired" : "" },
        el("td", { text: "#" + r.id }), el("td", { text: r.kind }), el("td", { cls: "wrap", text: m }),
        el("td", { text: show(r.ms) }), el("td", { text: r.times === null ? "" : r.times }),
        el("td", { text: r.fired }), el("td", { text: r.active ? "yes" : "no" }), el("td", {}, remove));
    }));
  }

  async function pollStreams() {
    const [conns, rules] = await Promise.all([api("GET", "/streams"), api("GET", "/streams/faults")]);
    if (changed("streams", [conns, rules])) renderStreams(conns.connections, rules.faults);
  }

  function streamFaultFromForm() {
    const rule = { kind: $("stream-fault-kind").value }, m = {};
    const stream = $("stream-fault-stream").value.trim(), endpoint = $("stream-fault-endpoint").value;
    if (stream) m.stream = stream;
    if (endpoint) m.endpoint = endpoint;
    if (Object.keys(m).length) rule.match = m;
    const ms = num($("stream-fault-ms").value), times = num($("stream-fault-times").value);
    if (ms !== undefined) rule.ms = ms;
    if (times !== undefined) rule.times = times;
    return rule;
  }

  // --- clock, pacing, weights ---

  function renderClock(c) {
    s.clock = c;
    $("now").textContent = iso(c.now_ms);
    $("clock-mode").textContent = c.mode;
    $("clock-detail").textContent = (c.mode === "offset" ? `offset ${c.offset_ms} ms` : "") +
      (c.strict ? " strict: timestamps checked against the mock's time alone" : "");
    // Filled in while empty, but never under a user who is typing in it.
    if (!$("clock-at").value && document.activeElement !== $("clock-at")) $("clock-at").value = iso(c.now_ms);
  }

  function parseInstant(text) {
    const t = text.trim();
    if (/^\d+$/.test(t)) return Number(t);
    const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(t) || !/T/.test(t) ? t : t + "Z");
    if (Number.isNaN(ms)) throw new Error(`'${t}' is neither milliseconds nor an ISO time`);
    return ms;
  }

  function parseSpan(text) {
    const m = text.trim().match(/^(-?\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/);
    if (!m) throw new Error(`'${text.trim()}' is not a span (ms, or a number with s, m, h or d)`);
    const unit = { ms: 1, s: 1000, m: 60000, h: 3600000, d: DAY }[m[2] || "ms"];
    return Math.round(Number(m[1]) * unit);
  }

  async function setClock(setting) {
    renderClock(await api("PUT", "/clock", setting));
    await loadData();
  }

  async function pollWeights() {
    const w = await api("GET", "/weights");
    if (!changed("weights", w)) return;
    const rows = [];
    for (const [name, label] of [["api", "/api per IP"], ["sapi_ip", "/sapi per IP"], ["sapi_uid", "/sapi per UID"]]) {
      for (const u of w[name].used) {
        rows.push(el("tr", {}, el("td", { text: label }), el("td", { text: u.ip || u.apiKey }),
          el("td", { text: u.path || "all" }), el("td", { text: u.used }), el("td", { text: w[name].limit })));
      }
    }
    if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: "5", cls: "muted", text: "no weight spent this minute" })));
    $("weight-rows").replaceChildren(...rows);
  }

  // --- market ---

  // The last hour of the symbol's closes (the current minute up to now) and, dashed, the points
  // of a move still ahead.
  function priceChart(m, now) {
    const W = 720, H = 190, L = 70, B = 24, T = 12;
    const pts = m.closes.map(([t, p]) => [Math.min(t + 60000, now), Number(p)]); // a close is at its minute's end
    const ahead = [[now, Number(m.price)], ...m.points.map((p) => [p.at_ms, Number(p.price)])];
    const all = [...pts, ...(m.points.length ? ahead : [])];
    const t0 = pts[0][0] - 60000, t1 = Math.max(now, ...all.map(([t]) => t));
    const lo = Math.min(...all.map(([, p]) => p)), hi = Math.max(...all.map(([, p]) => p));
    const pad = (hi - lo) * 0.08 || hi * 0.001 || 1;
    const x = (t) => L + ((t - t0) / Math.max(1, t1 - t0)) * (W - L - 4);
    const y = (p) => H - B - ((p - (lo - pad)) / (hi - lo + 2 * pad)) * (H - B - T);
    const g = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img",
      "aria-label": `${m.symbol} closes of the last ${pts.length} minutes, now ${m.price}` +
        (m.points.length ? `, moving to ${m.points[m.points.length - 1].price}` : "") });
    const line = (p, cls) => g.append(svg("polyline", { class: cls, points: p.map(([t, v]) => `${x(t)},${y(v)}`).join(" ") }));
    line(pts, "line");
    if (m.points.length) line(ahead, "ahead");
    g.append(svg("line", { x1: L, x2: W - 4, y1: H - B, y2: H - B, class: "axis" }));
    g.append(svg("line", { x1: x(now), x2: x(now), y1: T, y2: H - B, class: "now" }));
    const text = (xx, yy, label, anchor) => {
      const t = svg("text", { x: xx, y: yy, "text-anchor": anchor }); t.textContent = label; g.append(t);
    };
    text(L - 4, y(hi) + 4, String(hi), "end");
    text(L - 4, y(lo) + 4, String(lo), "end");
    text(L, H - 8, iso(t0).slice(11, 16), "start");
    text(x(now), H - 8, "now " + iso(now).slice(11, 19), "end");
    return g;
  }

  async function pollMarket() {
    const symbol = $("market-symbol").value;
    const [list, one] = await Promise.all([api("GET", "/market"),
      symbol ? api("GET", `/market/${encodeURIComponent(symbol)}?minutes=60`) : null]);
    if (!symbol) {
      $("market-symbol").replaceChildren(...list.symbols.map((e) => el("option", { value: e.symbol, text: e.symbol })));
      return pollMarket();
    }
    if (changed("market", list)) {
      $("market-rows").replaceChildren(...list.symbols.map((e) => el("tr", { cls: e.steered ? "steered" : "" },
        el("td", { text: e.symbol }), el("td", { text: e.price }), el("td", { text: e.steered ? "yes" : "" }))));
    }
    if (changed("market-one", one)) {
      $("market-chart").replaceChildren(priceChart(one, one.now_ms));
      $("market-now").textContent = `${one.symbol} ${one.price}` + (one.steered ? " (steered)" : "") +
        (one.points.length ? `; ${one.points.length} point${one.points.length === 1 ? "" : "s"} ahead` : "");
    }
  }

  async function steer() {
    const symbol = $("market-symbol").value, price = $("market-price").value.trim();
    if (!price) throw new Error("enter a price, such as 61000.5");
    const over = $("market-over").value.trim();
    const body = over ? { path: [{ in_ms: parseSpan(over), price }] } : { price };
    await api("PUT", `/market/${encodeURIComponent(symbol)}`, body);
    await pollMarket();
  }

  // --- wallets ---

  // Accounts are addressed by their masked key (vmPU...Eh8A): the page never holds a full key,
  // and the control API takes the mask when one account has it.
  const WALLET_ORDER = ["SPOT", "MARGIN", "FUNDING"];
  const BALANCE_FIELDS = ["free", "locked", "borrowed", "interest"];
  const walletRank = (w) => (WALLET_ORDER.includes(w) ? WALLET_ORDER.indexOf(w) : WALLET_ORDER.length);
  const byWallet = (a, b) => walletRank(a) - walletRank(b) || a.localeCompare(b);

  async function loadAccounts() {
    const { accounts } = await api("GET", "/accounts");
    const select = $("wallet-account"), was = select.value;
    select.replaceChildren(...accounts.map((a, i) =>
      el("option", { value: a.apiKey, text: accounts.filter((b) => b.apiKey === a.apiKey).length > 1
        ? `${a.apiKey} (account ${i + 1}; another has the same mask)` : a.apiKey })));
    if (accounts.some((a) => a.apiKey === was)) select.value = was;
  }

  function walletTable(wallet, assets) {
    const rows = Object.entries(assets).filter(([, b]) => BALANCE_FIELDS.some((f) => Number(b[f]) !== 0));
    const set = s.lastSet && s.lastSet.wallet === wallet ? s.lastSet.asset : null;
    return el("table", { cls: "grid", "data-wallet": wallet },
      el("caption", { text: `${wallet} ` }, el("span", { cls: "muted", text: rows.length === 1 ? "1 asset" : `${rows.length} assets` })),
      el("thead", {}, el("tr", {}, el("th", { text: "asset" }), ...BALANCE_FIELDS.map((f) => el("th", { text: f })))),
      el("tbody", {}, ...(rows.length ? rows.map(([asset, b]) => el("tr", { "data-asset": asset, cls: asset === set ? "set" : "" },
        el("td", { text: asset }), ...BALANCE_FIELDS.map((f) => el("td", { cls: Number(b[f]) ? "num" : "num zero", text: b[f] }))))
        : [el("tr", {}, el("td", { colspan: "5", cls: "muted", text: "nothing held" }))])));
  }

  // The time of an order or trade, in UTC as the journal shows instants.
  const utc = (ms) => new Date(ms).toISOString().replace("T", " ").slice(0, 19);

  function renderOrders(view) {
    const open = view.openOrders || [], trades = [...(view.trades || [])].reverse();
    const cell = (text, cls) => el("td", { cls: cls || "", text: String(text) });
    const none = (n, text) => [el("tr", {}, el("td", { colspan: String(n), cls: "muted", text }))];
    $("open-order-rows").replaceChildren(...(open.length ? open.map((o) => el("tr", { "data-order": String(o.orderId) },
      cell(utc(o.time)), cell(o.wallet), cell(o.symbol), cell(o.side), cell(o.type), cell(o.price, "num"),
      cell(o.stopPrice, Number(o.stopPrice) ? "num" : "num zero"), cell(o.origQty, "num"), cell(o.executedQty, "num"),
      cell(o.status), cell(o.orderId, "num"))) : none(11, "no open order")));
    $("trade-rows").replaceChildren(...(trades.length ? trades.map((t) => el("tr", { "data-trade": String(t.id) },
      cell(utc(t.time)), cell(t.wallet), cell(t.symbol), cell(t.isBuyer ? "BUY" : "SELL"), cell(t.price, "num"),
      cell(t.qty, "num"), cell(`${t.commission} ${t.commissionAsset}`, "num"), cell(t.isMaker ? "maker" : "taker"),
      cell(t.orderId, "num"))) : none(9, "no trade yet")));
    $("orders-summary").textContent = `${open.length} open, ${trades.length === 1 ? "1 trade" : `${trades.length} trades`} shown`;
  }

  function renderWallets(view) {
    renderOrders(view);
    const names = Object.keys(view.wallets).sort(byWallet);
    $("wallet-tables").replaceChildren(...names.map((w) => walletTable(w, view.wallets[w])));
    $("wallet-summary").textContent = names.length ? "" : "no wallet holds anything";
    // The form's wallets: the three every account has, and the isolated pairs this one holds.
    const select = $("wallet-name"), was = select.value;
    const choices = [...new Set([...WALLET_ORDER, ...names])].sort(byWallet);
    select.replaceChildren(...choices.map((w) => el("option", { value: w, text: w })));
    select.value = choices.includes(was) ? was : "SPOT";
    const assets = new Set(names.flatMap((w) => Object.keys(view.wallets[w])));
    $("wallet-assets").replaceChildren(...[...assets].sort().map((a) => el("option", { value: a })));
  }

  async function pollWallets() {
    if (!$("wallet-account").value) await loadAccounts();
    const key = $("wallet-account").value;
    if (!key) return;
    let view;
    try {
      view = await api("GET", "/accounts/" + encodeURIComponent(key));
    } catch (e) {
      // The mock's refusal of this account (a mask two accounts share) is the panel's to show;
      // the page itself is still live.
      if (e instanceof Refused || !/^apiKey /.test(e.message)) throw e;
      if (changed("wallets", e.message)) {
        $("wallet-tables").replaceChildren();
        $("open-order-rows").replaceChildren();
        $("trade-rows").replaceChildren();
        $("wallet-summary").textContent = e.message;
      }
      return;
    }
    if (changed("wallets", view)) renderWallets(view);
  }

  async function setBalance() {
    const key = $("wallet-account").value;
    const body = { wallet: $("wallet-name").value, asset: $("wallet-asset").value.trim(),
      free: $("wallet-free").value.trim() };
    const view = await api("PUT", `/accounts/${encodeURIComponent(key)}/balances`, body);
    s.lastSet = { wallet: body.wallet, asset: body.asset.toUpperCase() };
    s["seen-wallets"] = null;
    if (changed("wallets", view)) renderWallets(view);
    // The row just set, in view within the tables' own scroll, its wallet's name too where the
    // table fits (once: the polls leave the scroll alone).
    const table = document.querySelector(`#wallet-tables table[data-wallet="${CSS.escape(body.wallet)}"]`);
    const row = table && table.querySelector("tr.set");
    if (row) {
      table.scrollIntoView({ block: "nearest" });
      row.scrollIntoView({ block: "nearest" });
    }
  }

  // --- data ---

  function chart(a, d) {
    const W = 720, H = 190, L = 36, B = 24, T = 34;
    const nowDay = Math.floor(d.now_ms / DAY) * DAY;
    const first = a.days.length ? a.days[0][0] : nowDay;
    const last = a.days.length ? a.days[a.days.length - 1][0] : nowDay;
    const start = Math.min(first, nowDay - d.max_window_ms), end = Math.max(last, nowDay) + DAY;
    const x = (ms) => L + ((ms - start) / (end - start)) * (W - L - 4);
    const peak = Math.max(1, ...a.days.map(([, n]) => n));
    const y = (n) => H - B - (n / peak) * (H - B - T);
    const g = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img",
      "aria-label": `${a.rows} transfers by day, ${day(start)} to ${day(end - DAY)}; ` +
        `the 7-day default window holds ${a.inDefaultWindow}, the 30-day maximum ${a.inMaxWindow}` });
    // Each window ends at the mock's now: the label sits above it, right-aligned on now.
    const band = (span, cls, label, row) => {
      const x0 = x(d.now_ms - span), x1 = x(d.now_ms);
      g.append(svg("rect", { x: x0, y: T, width: Math.max(1, x1 - x0), height: H - B - T, class: cls }));
      const t = svg("text", { x: Math.max(L + 150, x1), y: 12 + row * 13, "text-anchor": "end" });
      t.textContent = label; g.append(t);
    };
    band(d.max_window_ms, "band30", `30-day maximum window: ${a.inMaxWindow} rows`, 0);
    band(d.default_window_ms, "band7", `7-day default window: ${a.inDefaultWindow} rows`, 1);
    const bw = Math.max(1, x(start + DAY) - x(start) - 1);
    for (const [ms, n] of a.days) {
      const r = svg("rect", { x: x(ms), y: y(n), width: bw, height: H - B - y(n), class: "bar" });
      const tip = svg("title", {}); tip.textContent = `${day(ms)}: ${n}`; r.append(tip); g.append(r);
    }
    g.append(svg("line", { x1: L, x2: W - 4, y1: H - B, y2: H - B, class: "axis" }));
    g.append(svg("line", { x1: x(d.now_ms), x2: x(d.now_ms), y1: T, y2: H - B, class: "now" }));
    const label = (xx, text, anchor) => {
      const t = svg("text", { x: xx, y: H - 8, "text-anchor": anchor }); t.textContent = text; g.append(t);
    };
    label(L, day(start), "start");
    label(x(d.now_ms), "now " + day(d.now_ms), "end");
    const p = svg("text", { x: L - 4, y: T + 8, "text-anchor": "end" }); p.textContent = peak; g.append(p);
    return g;
  }

  function counts(a) {
    const types = [...new Set(Object.values(a.byAsset).flatMap(Object.keys))].sort();
    return el("table", { cls: "grid" },
      el("thead", {}, el("tr", {}, el("th", { text: "asset" }), ...types.map((t) => el("th", { text: t })),
        el("th", { text: "rows" }))),
      el("tbody", {}, ...Object.entries(a.byAsset)
        .map(([asset, byType]) => [asset, byType, Object.values(byType).reduce((x, y) => x + y, 0)])
        .sort((p, q) => q[2] - p[2])
        .map(([asset, byType, rows]) => el("tr", {}, el("td", { text: asset }),
          ...types.map((t) => el("td", { text: byType[t] || 0 })), el("td", { text: rows })))));
  }

  async function loadData() {
    const d = await api("GET", "/data");
    $("data-accounts").replaceChildren(...d.accounts.map((a) => el("div", { cls: "account" },
      el("h3", { text: `Account ${a.apiKey}: ${a.rows} rows` }),
      el("div", { cls: "account-body" }, counts(a), chart(a, d)))));
  }

  // --- start ---

  // The cassette's file, its matcher and, while recording, what it holds so far (/_mock/health).
  function renderCassette(c) {
    $("cassette").hidden = !c;
    if (!c) return;
    const mode = c.recordMode === "none" ? "replay" : `recording (${c.recordMode}) from ${c.upstream}`;
    $("cassette-info").textContent =
      `${c.source}: ${mode}, match ${c.match}, ${c.interactions} recording${c.interactions === 1 ? "" : "s"}`;
  }

  async function pollCassette() {
    if (s.recording) renderCassette((await api("GET", "/health")).cassette);
  }

  async function tick() {
    if (s.busy || document.hidden) return;
    s.busy = true;
    try {
      const [clock] = await Promise.all(
        [api("GET", "/clock"), pollJournal(), pollFaults(), pollWeights(), pollCassette(), pollMarket(),
          pollWallets(), pollStreams()]);
      renderClock(clock);
      $("status").textContent = "live";
      $("status").className = "";
    } catch (e) {
      if (!(e instanceof Refused)) {
        $("status").textContent = "mock unreachable: " + e.message;
        $("status").className = "bad";
      }
    } finally {
      s.busy = false;
    }
  }

  function askToken(message) {
    clearInterval(s.timer);
    s.timer = null;
    $("panels").hidden = true;
    $("token-form").hidden = false;
    $("token-error").textContent = message || "";
    $("token").focus();
  }

  async function start() {
    try {
      const [errors, health] = await Promise.all([api("GET", "/errors"), api("GET", "/health")]);
      s.errors = new Map(errors.errors.map((e) => [e.code, e]));
      $("fault-code").replaceChildren(...errors.errors.map((e) =>
        el("option", { value: e.code, text: `${e.code} ${e.msg}` })));
      $("fault-code").value = "-3020";
      const paths = new Set([...health.tiers.exact, ...health.tiers.spec].map((op) => op.split(" ")[1]));
      $("paths").replaceChildren(...[...paths].sort().map((p) => el("option", { value: p })));
      s.recording = Boolean(health.cassette && health.cassette.recordMode !== "none");
      renderCassette(health.cassette);
      $("token-form").hidden = true;
      $("panels").hidden = false;
      await Promise.all([tick(), loadData(), loadPacing()]);
      s.timer = setInterval(tick, 1000);
    } catch (e) {
      if (!(e instanceof Refused)) {
        $("status").textContent = "mock unreachable: " + e.message;
        $("status").className = "bad";
      }
    }
  }

  function wire() {
    $("token-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      sessionStorage.setItem(TOKEN, $("token").value);
      $("token").value = "";
      start();
    });
    for (const id of ["f-path", "f-status", "f-code"]) $(id).addEventListener("input", renderJournal);
    $("journal-pause").addEventListener("click", () => {
      s.paused = !s.paused;
      $("journal-pause").setAttribute("aria-pressed", String(s.paused));
      $("journal-pause").textContent = s.paused ? "Resume" : "Pause";
      if (!s.paused) renderJournal();
    });
    $("journal-clear").addEventListener("click", act("journal-error", async () => {
      await api("DELETE", "/requests");
      s.rows = [];
      renderJournal();
    }));
    $("fault-kind").addEventListener("change", () => {
      $("fault-code").disabled = $("fault-args").disabled = $("fault-kind").value !== "error";
    });
    $("fault-forever").addEventListener("change", () => { $("fault-times").disabled = $("fault-forever").checked; });
    $("fault-form").addEventListener("submit", act("fault-error", async () => {
      await api("POST", "/faults", ruleFromForm());
      await pollFaults();
    }));
    $("fault-clear").addEventListener("click", act("fault-error", async () => {
      await api("DELETE", "/faults");
      await pollFaults();
    }));
    $("stream-fault-form").addEventListener("submit", act("streams-error", async () => {
      await api("POST", "/streams/faults", streamFaultFromForm());
      await pollStreams();
    }));
    $("stream-fault-clear").addEventListener("click", act("streams-error", async () => {
      await api("DELETE", "/streams/faults");
      await pollStreams();
    }));
    $("streams-drop").addEventListener("click", act("streams-error", async () => {
      await api("POST", "/streams/drop");
      await pollStreams();
    }));
    $("streams-expire").addEventListener("click", act("streams-error", async () => {
      await api("POST", "/streams/faults", { kind: "expire" });
      await pollStreams();
    }));
    $("clock-form").addEventListener("submit", act("clock-error", () =>
      setClock({ now_ms: parseInstant($("clock-at").value), strict: $("clock-strict").checked })));
    $("clock-shift").addEventListener("click", act("clock-error", () =>
      setClock({ offset_ms: parseSpan($("clock-offset").value), strict: $("clock-strict").checked })));
    $("clock-real").addEventListener("click", act("clock-error", () => setClock({ mode: "real" })));
    $("pacing-form").addEventListener("submit", act("clock-error", async () => {
      const d = await api("PUT", "/pacing", { min_interval_ms: num($("pacing-ms").value) ?? 0 });
      $("pacing-ms").value = d.min_interval_ms;
    }));
    $("reset").addEventListener("click", act("clock-error", async () => {
      await api("POST", "/reset");
      s.rows = [];
      s.lastSet = null;
      $("clock-at").value = "";
      renderJournal();
      await Promise.all([tick(), loadData(), loadPacing()]);
    }));
    $("data-refresh").addEventListener("click", act("data-error", loadData));
    $("market-form").addEventListener("submit", act("market-error", steer));
    $("market-release").addEventListener("click", act("market-error", async () => {
      await api("DELETE", `/market/${encodeURIComponent($("market-symbol").value)}`);
      await pollMarket();
    }));
    $("market-symbol").addEventListener("change", act("market-error", pollMarket));
    $("wallet-form").addEventListener("submit", act("wallet-error", setBalance));
    $("wallet-account").addEventListener("change", act("wallet-error", async () => {
      s.lastSet = null;
      await pollWallets();
    }));
  }

  async function loadPacing() {
    $("pacing-ms").value = (await api("GET", "/pacing")).min_interval_ms;
  }

  wire();
  if (document.body.dataset.auth === "token" && !sessionStorage.getItem(TOKEN)) askToken();
  else start();
})();
