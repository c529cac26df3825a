// Progressive help only: every page works without it.
// 1. Filter selects on the releases page submit their form when changed.
// 2. The compare form says how many releases are chosen and keeps its button off outside 2-4
//    (its checkboxes may sit in the table, tied to the form by their form attribute).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("form.filters select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.requestSubmit(); });
  });
  var form = document.getElementById("compare-form");
  if (!form) { return; }
  var button = form.querySelector("button[type=submit]");
  var status = document.getElementById("compare-status");
  function update() {
    var n = 0;
    for (var i = 0; i < form.elements.length; i++) {
      var box = form.elements[i];
      if (box.name === "r" && box.checked) { n += 1; }
    }
    if (status) { status.textContent = n + " chosen: compare two to four."; }
    if (button) { button.disabled = n < 2 || n > 4; }
  }
  document.addEventListener("change", function (event) {
    if (event.target && event.target.name === "r") { update(); }
  });
  update();
});
