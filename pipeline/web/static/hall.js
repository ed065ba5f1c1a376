// The result in the hall: cut the list into screens that fit the window and turn through
// them on their own. Without the script the whole list shows, to be scrolled.
"use strict";
(function () {
  const main = document.querySelector(".hall-main");
  const rows = Array.from(document.querySelectorAll(".hall-table tbody tr"));
  const pager = document.getElementById("hall-pager");
  if (!main || !rows.length) return;
  const seconds = Number(document.body.dataset.seconds) || 12;
  let screens = [];
  let shown = 0;

  function cut() {
    rows.forEach((r) => { r.hidden = false; });
    pager.hidden = false;
    const room = main.clientHeight - document.querySelector(".hall-table thead").offsetHeight
      - pager.offsetHeight - 16;
    screens = [[]];
    let used = 0;
    for (const r of rows) {
      const h = r.offsetHeight;
      if (used + h > room && screens[screens.length - 1].length) { screens.push([]); used = 0; }
      screens[screens.length - 1].push(r);
      used += h;
    }
    document.body.dataset.screens = String(screens.length);
    show(Math.min(shown, screens.length - 1));
  }

  function show(n) {
    shown = n;
    screens.forEach((s, i) => s.forEach((r) => { r.hidden = i !== n; }));
    pager.hidden = screens.length < 2;
    pager.textContent = pager.dataset.msg.replace("{n}", n + 1).replace("{total}", screens.length);
    document.body.dataset.screen = String(n + 1);
  }

  cut();
  window.addEventListener("resize", cut);
  setInterval(() => { if (screens.length > 1) show((shown + 1) % screens.length); }, seconds * 1000);
})();
