// The review station: one item at a time, decided with one key, the next one without reloading.
// Two decisions ask first: "invalid" asks why (1, 2, 3 choose; Esc goes back), and a level
// other than the row's only mark asks to confirm (Enter or the same key again; Esc goes back).
"use strict";
(function () {
  const root = document.getElementById("station");
  if (!root) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const msg = (k) => root.dataset["msg" + k];
  const $ = (id) => document.getElementById(id);
  let current = null;   // the item on screen
  let previous = null;  // the item before it, to tell two items on the same person apart
  let shown = 0;        // items shown so far: alternate tints
  let busy = false;     // a request is in flight: keys are ignored, never applied to the next item
  let asking = null;    // null | {kind: "reason"} | {kind: "confirm", value}

  async function post(url, body) {
    const res = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"X-CSRF-Token": csrf, "Content-Type": "application/json", "Accept": "application/json"},
      body: JSON.stringify(body || {}),
    });
    if (res.status === 401) { window.location = "/login?next=/queue"; throw new Error("login"); }
    const data = await res.json().catch(() => ({}));
    if (!res.ok) {
      const error = new Error(data.error || res.statusText);
      error.kind = data.kind;
      throw error;
    }
    return data;
  }

  function toast(text, bad) {
    const el = $("toast");
    el.textContent = text;
    el.className = "toast show" + (bad ? " bad" : "");
  }

  function counts(c) {
    if (!c) return;
    $("count-open").textContent = c.open;
    $("count-escalated").textContent = c.escalated;
    $("count-mine").textContent = c.mine;
  }

  function text(el, value) { el.textContent = value == null ? "" : String(value); }

  function place(el, r) {
    el.style.left = r.x + "%"; el.style.top = r.y + "%"; el.style.width = r.w + "%"; el.style.height = r.h + "%";
  }

  function show(item) {
    ask(null);
    if (current) previous = current;
    current = item;
    if (!item) {
      $("item").hidden = true;
      $("empty").hidden = false;
      return;
    }
    $("empty").hidden = true;
    $("item").hidden = false;
    shown += 1;
    const row = item.kind === "row";
    $("item").className = "item " + (row ? "row-kind" : "page-kind") + (shown % 2 ? " tint-a" : " tint-b");
    void $("item").offsetWidth;  // restart the arrival flash
    $("item").classList.add("fresh");
    const same = row && previous && previous.kind === "row" && previous.candidate === item.candidate
      && previous.id !== item.id;
    $("same-person").hidden = !same;
    const twin = item.kind === "same";  // probably the same sheet as another page
    text($("item-kind"), row ? msg("Row") : twin ? msg("Same") : msg("Page"));
    text($("item-title"), row ? `${msg("Stt")} ${item.candidate} · ${item.name}` : item.scan);
    const sub = row ? [item.position, `${msg("BallotPage")} ${item.ballot_page}`]
      : (item.ballot_page ? [`${msg("BallotPage")} ${item.ballot_page}`] : []);
    text($("item-sub"), sub.join(" · "));
    text($("item-scan"), row ? item.scan : "");
    $("item-scan").hidden = !row;
    text($("item-id"), `#${item.id} · ${item.state_label}`);
    text($("item-reason"), item.reason_shown ?? item.reason);
    $("item-reason").parentElement.classList.remove("open");
    $("item-reason").parentElement.title = item.reason_shown ?? item.reason ?? "";
    $("machine-read-line").hidden = !row;
    text($("machine-read"), item.machine);
    $("item-note").hidden = !item.note;
    text($("item-note"), item.note);
    $("zoom").hidden = !row;
    $("strip").hidden = !row;
    $("whole").hidden = row;
    if (row) {
      $("zoom-img").src = item.zoom;
      $("zoom-img").alt = `${item.name}: 1 · 2 · 3`;
      $("crop-img").src = item.crop;
      $("crop-img").alt = `${item.name}`;
    } else {
      $("whole-img").src = item.crop;
      $("whole-img").alt = `#${item.page_id}`;
    }
    boxes(item);
    marks(item);
    $("decide-row").hidden = !row;
    $("decide-page").hidden = row || twin;
    $("decide-same").hidden = !twin;
    if (!row) $("accept-page").disabled = !item.values.some((v) => v.value === "accepted");
    for (const b of document.querySelectorAll("#decide-row button[data-value]")) {
      b.classList.toggle("machine", row && (item.marked || []).includes(
        ["high", "medium", "low"].indexOf(b.dataset.value) + 1));
    }
    text($("keys-help"), row ? msg("KeysRow") : twin ? msg("KeysSame") : msg("KeysPage"));
    $("page-img").src = item.page_image;
    $("page-link").href = item.page_link;
    const mark = $("row-mark");
    mark.hidden = !item.row_on_page;
    if (item.row_on_page) place(mark, item.row_on_page);
    $("measures").hidden = !row;
    scores(item);
    history(item);
  }

  function boxes(item) {
    const layer = $("crop-boxes");
    layer.replaceChildren();
    if (item.kind !== "row" || !item.boxes) return;
    item.boxes.forEach((b, i) => {
      const d = document.createElement("div");
      d.className = "box-frame" + (b.marked ? " marked" : "");
      place(d, b);
      const tag = document.createElement("span");
      tag.className = "box-tag";
      tag.textContent = `${b.key} · ${b.label}`;
      d.appendChild(tag);
      const score = document.createElement("span");
      score.className = "box-score";
      score.textContent = (b.marked ? msg("MachineMark") + " · " : "") + (item.fills_shown ? item.fills_shown[i] : "");
      d.appendChild(score);
      layer.appendChild(d);
    });
  }

  function marks(item) {
    for (const layer of [$("whole-marks"), $("thumb-marks")]) {
      layer.replaceChildren();
      for (const r of item.marks || []) {
        const d = document.createElement("div");
        d.className = "doubt-mark";
        place(d, r);
        layer.appendChild(d);
      }
    }
  }

  function scores(item) {
    const table = $("scores");
    table.replaceChildren();
    if (item.kind !== "row" || !item.fills_shown) return;
    const head = table.insertRow();
    ["", ...item.boxes.map((b) => `${b.key} · ${b.label}`)].forEach((h) => {
      const th = document.createElement("th"); th.textContent = h; head.appendChild(th);
    });
    const lines = [[msg("Fill"), item.fills_shown], [msg("Ink"), item.ink], [msg("Extent"), item.extent]];
    for (const [label, values] of lines) {
      if (!values) continue;
      const tr = table.insertRow();
      const th = document.createElement("th"); th.textContent = label; tr.appendChild(th);
      values.forEach((v) => { tr.insertCell().textContent = v; });
    }
  }

  function history(item) {
    const box = $("history");
    box.replaceChildren();
    if (!item.decisions || !item.decisions.length) return;
    const ul = document.createElement("ul");
    ul.className = "log";
    for (const d of item.decisions) {
      const li = document.createElement("li");
      li.textContent = `${d.at} · ${d.reviewer}: ${d.value}${d.reason ? " — " + d.reason : ""}`;
      ul.appendChild(li);
    }
    box.appendChild(ul);
  }

  async function run(work) {
    if (busy) return;
    busy = true;
    root.classList.add("busy");
    try { await work(); } catch (e) { if (e.message !== "login") toast(e.message, true); }
    finally { busy = false; root.classList.remove("busy"); }
  }

  function label(value) {
    const v = current && current.values.find((x) => x.value === value);
    return v ? v.label : value;
  }

  // the question panels take the place of the decision buttons
  function ask(question) {
    asking = question;
    const row = current && current.kind === "row";
    $("ask-reason").hidden = !(question && question.kind === "reason");
    $("ask-confirm").hidden = !(question && question.kind === "confirm");
    $("decide-row").hidden = !row || !!question;
    $("decide-page").hidden = row || !current || !!question;
    $("keys-help").hidden = !!question;
    if (question && question.kind === "confirm") {
      const only = current.boxes.find((b) => b.level === current.only_mark);
      text($("ask-confirm-text"), msg("ConfirmOnly").replace("{box}", only ? only.box : "")
        .replace("{level}", label(current.only_mark)).replace("{chosen}", label(question.value)));
      text($("confirm-label"), label(question.value));
      $("confirm-yes").focus();
    } else if (question) {
      document.querySelector("#ask-reason .reason-choice").focus();
    }
  }

  function decide(value) {
    if (!current || !current.values.some((v) => v.value === value)) return;
    if (current.kind === "row" && value === "invalid") { ask({kind: "reason"}); return; }
    if (current.kind === "row" && current.only_mark && ["high", "medium", "low"].includes(value)
        && value !== current.only_mark) {
      ask({kind: "confirm", value});
      return;
    }
    send(value, null);
  }

  function send(value, reason) {
    const item = current;
    const body = reason ? {value, reason} : {value};
    run(async () => {
      let data;
      try {
        data = await post(`/api/items/${item.id}/decision`, body);
      } catch (e) {
        if (e.kind !== "ItemTaken" && e.kind !== "NotAllowed") throw e;
        // someone else has it now (our lease ran out), or it went to the chair: move on
        toast(e.message, true);
        const next = await post("/api/queue/next");
        counts(next.counts);
        show(next.item);
        return;
      }
      const who = item.kind === "row" ? `${msg("Stt")} ${item.candidate}` : `#${item.page_id}`;
      toast(`${msg("Decided")}: ${who} → ${data.decided.label}`);
      counts(data.counts);
      show(data.item);
    });
  }

  function undo() {
    run(async () => {
      const data = await post("/api/undo");
      toast(msg("Undone"));
      counts(data.counts);
      show(data.item);
    });
  }

  const rowKeys = {"1": "high", "2": "medium", "3": "low", "0": "invalid"};
  const pageKeys = {"a": "accepted", "A": "accepted", "0": "rejected"};
  const sameKeys = {"s": "same", "S": "same", "d": "different", "D": "different"};
  const reasonButtons = Array.from(document.querySelectorAll("#ask-reason .reason-choice"));
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.target && ["INPUT", "TEXTAREA", "SELECT"].includes(e.target.tagName)) return;
    if (busy) { e.preventDefault(); return; }
    if (asking) {
      e.preventDefault();
      if (e.key === "Escape") { ask(null); return; }
      if (asking.kind === "reason") {
        const chosen = reasonButtons[Number(e.key) - 1];
        if (chosen) send("invalid", chosen.dataset.reason);
      } else if (e.key === "Enter" || rowKeys[e.key] === asking.value) {
        send(asking.value, null);
      }
      return;
    }
    if (e.key === "u" || e.key === "U") { e.preventDefault(); undo(); return; }
    if (!current) return;
    const value = (current.kind === "row" ? rowKeys : current.kind === "same" ? sameKeys
      : pageKeys)[e.key];
    if (value) { e.preventDefault(); decide(value); }
  });
  // a clicked button gives the focus back, so that Enter or Space never decides the next item
  for (const b of document.querySelectorAll("button[data-value]")) {
    b.addEventListener("click", () => { b.blur(); decide(b.dataset.value); });
  }
  for (const b of reasonButtons) {
    b.addEventListener("click", () => { b.blur(); send("invalid", b.dataset.reason); });
  }
  for (const b of document.querySelectorAll(".ask .cancel")) b.addEventListener("click", () => ask(null));
  $("confirm-yes").addEventListener("click", () => {
    $("confirm-yes").blur();
    if (asking) send(asking.value, null);
  });
  $("undo").addEventListener("click", undo);
  $("item-reason").parentElement.addEventListener("click", (e) => e.currentTarget.classList.toggle("open"));
  // leaving the page gives the item back at once, rather than when its lease runs out
  window.addEventListener("pagehide", () => {
    if (!current) return;
    fetch(`/api/items/${current.id}/release`, {method: "POST", keepalive: true, credentials: "same-origin",
      headers: {"X-CSRF-Token": csrf}});
  });
  run(async () => {
    const data = await post("/api/queue/next");
    counts(data.counts);
    show(data.item);
  });
})();
