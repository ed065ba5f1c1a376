// Drag and drop scans onto the page; they go through the same ingest as `kiemphieu scan`.
"use strict";
(function () {
  const form = document.getElementById("upload-form");
  if (!form) return;
  const drop = document.getElementById("drop");
  const input = document.getElementById("files");
  const results = document.getElementById("upload-results");
  const status = document.getElementById("upload-status");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const msg = (k) => results.dataset["msg" + k];

  function chosen() {
    document.getElementById("chosen").textContent = Array.from(input.files).map((f) => f.name).join(", ");
  }
  input.addEventListener("change", chosen);
  ["dragenter", "dragover"].forEach((ev) => drop.addEventListener(ev, (e) => {
    e.preventDefault(); drop.classList.add("over");
  }));
  ["dragleave", "drop"].forEach((ev) => drop.addEventListener(ev, (e) => {
    e.preventDefault(); drop.classList.remove("over");
  }));
  drop.addEventListener("drop", (e) => {
    if (!e.dataTransfer || !e.dataTransfer.files.length) return;
    input.files = e.dataTransfer.files;
    chosen();
    send(e.dataTransfer.files);
  });
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    if (input.files.length) send(input.files);
  });

  function cell(tr, text, cls) {
    const td = tr.insertCell();
    if (cls) { const s = document.createElement("span"); s.className = cls; s.textContent = text; td.appendChild(s); }
    else td.textContent = text;
    return td;
  }

  async function send(files) {
    const data = new FormData();
    for (const f of files) data.append("files", f, f.name);
    status.textContent = msg("Uploading");
    status.className = "upload-status busy-note";
    try {
      const res = await fetch("/upload", {method: "POST", body: data, credentials: "same-origin",
        headers: {"X-CSRF-Token": csrf, "Accept": "application/json"}});
      const out = await res.json().catch(() => ({error: res.statusText}));
      status.className = "upload-status";
      const table = document.createElement("table");
      table.className = "list";
      for (const p of out.pages || []) {
        const tr = table.insertRow();
        cell(tr, `${p.source} · ${p.page_index + 1}`);
        cell(tr, results.getAttribute("data-status-" + p.status) || p.status, "st " + p.status);
        cell(tr, (p.reason_shown ?? p.reason ?? "") + (p.review ? ` (${p.review} ${msg("Pending")})` : ""));
        const td = tr.insertCell();
        if (p.page_id) { const a = document.createElement("a"); a.href = `/pages/${p.page_id}`; a.textContent = `#${p.page_id}`; td.appendChild(a); }
      }
      for (const r of out.refused || []) {
        const tr = table.insertRow();
        cell(tr, r.source); cell(tr, msg("Refused"), "st rejected"); cell(tr, r.reason_shown ?? r.reason); tr.insertCell();
      }
      results.replaceChildren(table);
      status.textContent = out.error ? out.error : `${msg("Done")}: ${(out.pages || []).length}`;
      if (out.error) status.className = "upload-status error";
    } catch (e) {
      status.textContent = e.message;
      status.className = "upload-status error";
    }
  }
})();
