// The dashboard refreshes its figures every few seconds, without reloading the page.
"use strict";
(function () {
  const box = document.getElementById("summary");
  if (!box) return;
  async function refresh() {
    try {
      const res = await fetch(box.dataset.src, {credentials: "same-origin"});
      if (res.status === 401 || res.redirected) { window.location = "/login?next=/dashboard"; return; }
      if (res.ok) box.innerHTML = await res.text();
    } catch (e) { /* the station is down for a moment: try again later */ }
  }
  setInterval(refresh, 3000);
})();
