// The result in the hall: turn through the screens of a long list on their own.
"use strict";
(function () {
  const screens = Array.from(document.querySelectorAll(".hall-screen"));
  if (screens.length < 2) return;
  const seconds = Number(document.body.dataset.seconds) || 12;
  let shown = 0;
  setInterval(() => {
    screens[shown].hidden = true;
    shown = (shown + 1) % screens.length;
    screens[shown].hidden = false;
  }, seconds * 1000);
})();
