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

// Behaviour that pages declare with classes and data attributes (the Content-Security-Policy
// allows no inline script or handler): print and back buttons, toast close buttons.
document.addEventListener("click", function (evt) {
  if (evt.target.closest("[data-print]")) { window.print(); return; }
  if (evt.target.closest("[data-back]")) { evt.preventDefault(); history.back(); return; }
  var close = evt.target.closest(".toast-close");
  if (close && close.parentElement) close.parentElement.remove();
});
