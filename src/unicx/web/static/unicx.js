// unicx dashboard behaviour: no inline scripts anywhere (the CSP forbids them), so pages pass
// data in <script type="application/json"> blocks and mark elements with data-* attributes.
(function () {
  "use strict";

  // <div data-plotly="ID"> draws the figure held in <script type="application/json" id="ID">.
  function drawCharts(root) {
    if (typeof Plotly === "undefined") return;
    root.querySelectorAll("[data-plotly]").forEach(function (el) {
      var source = document.getElementById(el.dataset.plotly);
      if (!source || el.dataset.drawn) return;
      var fig = JSON.parse(source.textContent);
      el.dataset.drawn = "1";
      Plotly.newPlot(el, fig.data, fig.layout || {}, { displaylogo: false, responsive: true });
    });
  }

  // A destructive form's submit stays disabled until the name of what it destroys is typed
  // into its input[data-confirm="NAME"].
  function wireConfirms(root) {
    root.querySelectorAll("input[data-confirm]").forEach(function (input) {
      var button = input.form && input.form.querySelector("button[type=submit]");
      if (!button) return;
      var sync = function () { button.disabled = input.value.trim() !== input.dataset.confirm; };
      input.addEventListener("input", sync);
      sync();
    });
  }

  // Links and forms marked data-autosubmit submit when a field changes (filters in the URL).
  function wireAutosubmit(root) {
    root.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
      select.addEventListener("change", function () { select.form.requestSubmit(); });
    });
  }

  function wire(root) { drawCharts(root); wireConfirms(root); wireAutosubmit(root); }
  document.addEventListener("DOMContentLoaded", function () { wire(document); });
  document.addEventListener("htmx:afterSwap", function (e) { wire(e.target); });
})();

// segments
// The builder's preview re-fills each field's error slot out of band; the field it describes
// (aria-describedby) is marked invalid while its slot holds a message.
(function () {
  "use strict";
  function markInvalid() {
    document.querySelectorAll("#builder [aria-describedby^='err-']").forEach(function (field) {
      var slot = document.getElementById(field.getAttribute("aria-describedby"));
      if (!slot) return;
      if (slot.textContent.trim()) field.setAttribute("aria-invalid", "true");
      else field.removeAttribute("aria-invalid");
    });
  }
  document.addEventListener("htmx:afterSettle", markInvalid);
})();
