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
