// Shared page behaviour: htmx error swaps into the toast area.
document.addEventListener("DOMContentLoaded", function () {
  if (window.htmx) {
    // Error answers carry a toast fragment (HX-Retarget #toasts): swap it in too.
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "[45]..", swap: true, error: true },
    ];
  }
});

// What the candidate's page and the proctor console share.
window.Jiping = (function () {
  "use strict";

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  // Remaining time, the same everywhere (templates/_clock.html writes it server-side):
  // "1:05:09" from an hour up, "45:09" below.
  function formatRemaining(seconds) {
    var left = Math.max(0, Math.ceil(seconds));
    var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    return h ? h + ":" + pad(m) + ":" + pad(s) : pad(m) + ":" + pad(s);
  }

  // The push channel (Server-Sent Events). `onMessage(data)` gets each JSON message;
  // `onState(open)` is told when the stream opens or drops, so the page polls often only
  // while it has no stream. EventSource reconnects by itself (the server asks for 2 s).
  function live(url, onMessage, onState) {
    if (!window.EventSource) { onState(false); return null; }
    var source = new EventSource(url);
    var open = false;
    function state(next) {
      if (next === open) return;
      open = next;
      onState(open);
    }
    source.onmessage = function (evt) {
      var data;
      try { data = JSON.parse(evt.data); } catch (e) { return; }
      if (data.kind === "hello") state(true);
      onMessage(data);
    };
    source.onerror = function () {
      state(false);
      // A refused stream (logged out, no access) is not retried by the browser: try again
      // later ourselves; the page's polls handle a real log-out.
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(function () { live(url, onMessage, onState); }, 10000);
      }
    };
    window.addEventListener("pagehide", function () { source.close(); });
    return source;
  }

  return { formatRemaining: formatRemaining, live: live };
})();

// Behaviour that pages declare with classes and data attributes (the Content-Security-Policy
// allows no inline script or handler): print and back buttons, toast close buttons, and
// forms that ask before they submit (data-confirm).
document.addEventListener("submit", function (evt) {
  var form = evt.target.closest && evt.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.getAttribute("data-confirm"))) evt.preventDefault();
});
document.addEventListener("click", function (evt) {
  if (evt.target.closest("[data-print]")) { window.print(); return; }
  if (evt.target.closest("[data-back]")) { evt.preventDefault(); history.back(); return; }
  var close = evt.target.closest(".toast-close");
  if (close && close.parentElement) close.parentElement.remove();
});

// A "select all" box (data-check-all="NAME") ticks every NAME checkbox of its form.
document.addEventListener("change", function (evt) {
  var all = evt.target.closest && evt.target.closest("input[data-check-all]");
  if (!all || !all.form) return;
  var name = all.getAttribute("data-check-all");
  all.form.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (box) {
    box.checked = all.checked;
  });
});
