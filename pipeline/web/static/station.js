// The review station: one item at a time, decided with one key, the next one without reloading.
"use strict";
(function () {
  const root = document.getElementById("station");
  if (!root) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const msg = (k) => root.dataset["msg" + k];
  const $ = (id) => document.getElementById(id);
  let current = null;   // the item on screen
  let busy = false;     // a request is in flight: keys are ignored, never applied to the next item

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

  function show(item) {
    current = item;
    if (!item) {
      $("item").hidden = true;
      $("empty").hidden = false;
      return;
    }
    $("empty").hidden = true;
    $("item").hidden = false;
    const row = item.kind === "row";
    const same = item.kind === "same";
    $("item").className = row ? "item" : "item page-kind";
    text($("item-kind"), row ? msg("Row") : same ? msg("Same") : msg("Page"));
    text($("item-title"), row ? `${msg("Stt")} ${item.candidate} · ${item.name}` : `${msg("ScanPage")} ${item.page_id}`);
    text($("item-sub"), row ? `${item.position} · ${msg("BallotPage")} ${item.ballot_page}` :
      (item.ballot_page ? `${msg("BallotPage")} ${item.ballot_page}` : ""));
    text($("item-id"), `#${item.id} · ${item.state_label}`);
    text($("item-reason"), item.reason_shown ?? item.reason);
    $("item-note").hidden = !item.note;
    text($("item-note"), item.note);
    $("strip").className = row ? "strip" : "strip whole";
    $("crop-img").src = item.crop;
    $("crop-img").alt = row ? `${item.name}` : `#${item.page_id}`;
    $("zoom").hidden = !row;
    if (row) { $("zoom-img").src = item.zoom; $("zoom-img").alt = `${item.name}: 1 · 2 · 3`; }
    const boxes = $("crop-boxes");
    boxes.replaceChildren();
    if (row && item.boxes) {
      item.boxes.forEach((b, i) => {
        const d = document.createElement("div");
        d.className = "box-frame";
        d.style.left = b.x + "%"; d.style.top = b.y + "%"; d.style.width = b.w + "%"; d.style.height = b.h + "%";
        const tag = document.createElement("span");
        tag.className = "box-tag";
        tag.textContent = `${b.key} · ${b.label}`;
        d.appendChild(tag);
        const score = document.createElement("span");
        score.className = "box-score";
        score.textContent = item.fills ? item.fills[i].toFixed(3) : "";
        d.appendChild(score);
        boxes.appendChild(d);
      });
    }
    $("decide-row").hidden = !row;
    $("decide-page").hidden = row || same;
    $("decide-same").hidden = !same;
    if (!row) $("accept-page").disabled = !item.values.some((v) => v.value === "accepted");
    text($("keys-help"), row ? msg("KeysRow") : same ? msg("KeysSame") : msg("KeysPage"));
    $("page-img").src = item.page_image;
    $("page-link").href = item.page_link;
    const mark = $("row-mark");
    if (item.row_on_page) {
      const r = item.row_on_page;
      mark.hidden = false;
      mark.style.left = r.x + "%"; mark.style.top = r.y + "%"; mark.style.width = r.w + "%"; mark.style.height = r.h + "%";
    } else {
      mark.hidden = true;
    }
    scores(item);
    history(item);
  }

  function scores(item) {
    const table = $("scores");
    table.replaceChildren();
    if (item.kind !== "row" || !item.fills) return;
    const head = table.insertRow();
    ["", ...item.boxes.map((b) => `${b.key} · ${b.label}`)].forEach((h) => {
      const th = document.createElement("th"); th.textContent = h; head.appendChild(th);
    });
    const lines = [[msg("Fill"), item.fills, 3], [msg("Ink"), item.ink, 2], [msg("Extent"), item.extent, 1]];
    for (const [label, values, digits] of lines) {
      if (!values) continue;
      const tr = table.insertRow();
      const th = document.createElement("th"); th.textContent = label; tr.appendChild(th);
      values.forEach((v) => { const td = tr.insertCell(); td.textContent = Number(v).toFixed(digits); });
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

  function decide(value) {
    if (!current || !current.values.some((v) => v.value === value)) return;
    const body = {value};
    if (value === "invalid") body.reason = $("invalid-reason").value;
    const item = current;
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
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.target && ["INPUT", "TEXTAREA"].includes(e.target.tagName)) return;
    if (e.key === "u" || e.key === "U") { e.preventDefault(); undo(); return; }
    if (!current) return;
    const value = (current.kind === "row" ? rowKeys : current.kind === "same" ? sameKeys
      : pageKeys)[e.key];
    if (value) { e.preventDefault(); decide(value); }
  });
  for (const b of document.querySelectorAll("button[data-value]")) {
    b.addEventListener("click", () => decide(b.dataset.value));
  }
  $("undo").addEventListener("click", undo);
  $("invalid-reason").addEventListener("keydown", (e) => {
    if (e.key >= "0" && e.key <= "9") { e.preventDefault(); e.target.blur(); }
  });
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
