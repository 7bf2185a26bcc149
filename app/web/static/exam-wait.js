// The candidate's pages around the paper: the waiting room (exam/before.html) and the
// result (exam/result.html). The push channel tells them at once when the proctor checks
// the candidate in (the waiting room refreshes its gate) or reopens a closed paper (back
// into the exam, without anyone reloading).
(function () {
  "use strict";
  if (!window.Jiping) return;
  Jiping.live("/api/v1/exam/stream", function (data) {
    if (data.kind === "reopen") { window.location.href = "/exam"; return; }
    if (data.kind === "checkin" || data.kind === "resync") {
      var gate = document.getElementById("exam-gate");
      if (gate && window.htmx) htmx.trigger(document.body, "gate-refresh");
    }
  }, function (open) { document.body.dataset.channel = open ? "open" : "closed"; });
})();
