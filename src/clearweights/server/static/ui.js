// Progressive help only: every page works without it.
// 1. Filter selects on the releases page submit their form when changed.
// 2. The compare form says how many releases are chosen and keeps the button off outside 2-4.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form.filters select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.requestSubmit(); });
  });
  var form = document.querySelector("form#compare-form");
  if (!form) { return; }
  var button = form.querySelector("button[type=submit]");
  var status = document.getElementById("compare-status");
  function update() {
    var n = form.querySelectorAll("input[name=r]:checked").length;
    if (status) { status.textContent = n + " chosen (compare two to four)"; }
    if (button) { button.disabled = n < 2 || n > 4; }
  }
  form.addEventListener("change", update);
  update();
});
