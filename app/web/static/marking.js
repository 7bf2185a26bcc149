// The marking page: a running total per sheet (the server computes the real one on
// submission); a ticked veto shows 0.
(function () {
  function total(form) {
    var out = form.querySelector("[data-total]");
    if (!out || form.querySelector("input.mark:disabled")) return;
    if (form.querySelector("input[name=veto]:checked")) { out.textContent = "0（否决）"; return; }
    var sum = 0, blank = false;
    form.querySelectorAll("input.mark").forEach(function (i) {
      if (i.value === "") blank = true; else sum += parseFloat(i.value) || 0;
    });
    out.textContent = (Math.round(sum * 100) / 100) + (blank ? "（未评完）" : "");
  }
  document.addEventListener("input", function (e) {
    var form = e.target.closest && e.target.closest("form.sheet");
    if (form) total(form);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.sheet").forEach(total);
  });
})();
