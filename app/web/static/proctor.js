// Proctor console: one action dialog outside the polled roster, a countdown tick between
// polls, and short-lived success toasts.
(function () {
  "use strict";

  var ACTIONS = {
    checkin: { title: "签到（人证合一）", button: "确认签到",
      hint: "请核对身份证件照片、准考证与本人是否一致。" },
    pause: { title: "暂停考试", button: "暂停", hint: "暂停期间考生计时停止。" },
    resume: { title: "继续考试", button: "继续", hint: "计时从暂停处继续。" },
    extra: { title: "延长考试时间", button: "延长", hint: "每次 1～60 分钟。" },
    force: { title: "强制收卷", button: "强制收卷", danger: true,
      hint: "立即交卷并评分，考生不能再作答。如属误操作，可“重新开放”。" },
    reopen: { title: "重新开放", button: "重新开放",
      hint: "考生取回交卷时剩余的时间，可另外延长。" },
    incident: { title: "记录考场事件", button: "记录", hint: "" },
    unlock: { title: "解除登录锁定", button: "解除锁定",
      hint: "清除该准考证号在所有电脑上的登录失败记录，考生可立即重新登录。" },
    pause_room: { title: "全场暂停", button: "全场暂停", danger: true,
      hint: "暂停本场所有正在作答的考生。" },
    resume_room: { title: "全场继续", button: "全场继续",
      hint: "恢复本场所有已暂停的考生。" },
    message: { title: "发送消息", button: "发送", hint: "消息立即显示在该考生的屏幕上。" },
    message_room: { title: "全场消息", button: "发送给全场",
      hint: "消息立即显示在本场所有考生的屏幕上。" },
  };


  function openDialog(btn) {
    var dialog = document.getElementById("pc-dialog");
    var form = document.getElementById("pc-form");
    var act = btn.dataset.act;
    var spec = ACTIONS[act];
    if (!dialog || !form || !spec) return;
    form.reset();
    form.setAttribute("action", btn.dataset.url);
    form.setAttribute("hx-post", btn.dataset.url);
    // Only the fields of this action are shown and sent.
    form.querySelectorAll("[data-for]").forEach(function (el) {
      var on = el.dataset.for.split(" ").indexOf(act) >= 0;
      el.hidden = !on;
      el.querySelectorAll("input, select, textarea").forEach(function (f) { f.disabled = !on; });
    });
    document.getElementById("pc-dialog-title").textContent = spec.title;
    document.getElementById("pc-dialog-who").textContent = btn.dataset.who || "";
    document.getElementById("pc-dialog-hint").textContent = spec.hint;
    var submit = document.getElementById("pc-submit");
    submit.textContent = spec.button;
    submit.className = spec.danger ? "danger" : "primary";
    if (window.htmx) htmx.process(form);
    var card = document.getElementById("pc-card");
    if (card) {
      card.textContent = "";
      if (act === "checkin" && btn.dataset.card && window.htmx) {
        htmx.ajax("GET", btn.dataset.card, { target: "#pc-card", swap: "innerHTML" });
      }
    }
    dialog.showModal();
    var first = form.querySelector("label:not([hidden]) input:not([type=hidden]), label:not([hidden]) select, label:not([hidden]) textarea");
    if (first) first.focus();
  }

  document.addEventListener("click", function (evt) {
    var btn = evt.target.closest(".pc-act");
    if (btn) { evt.preventDefault(); openDialog(btn); return; }
    if (evt.target.closest(".pc-cancel")) {
      document.getElementById("pc-dialog").close();
    }
  });

  // The roster poll sends back the ETag of the fragment it shows; the server answers
  // 304 (and htmx swaps nothing) while the roster is unchanged. The time shown is then
  // that of the server's answer.
  var rosterTag = null;
  document.addEventListener("htmx:configRequest", function (evt) {
    if (evt.detail.elt.id === "pc-live" && evt.detail.verb === "get" && rosterTag) {
      evt.detail.headers["If-None-Match"] = rosterTag;
    }
  });
  document.addEventListener("htmx:afterRequest", function (evt) {
    if (evt.detail.elt.id !== "pc-live") return;
    var xhr = evt.detail.xhr;
    var tag = xhr.getResponseHeader("ETag");
    if (xhr.status === 200 && tag) rosterTag = tag;
    var served = xhr.getResponseHeader("Date");
    var label = document.querySelector("#pc-live .pc-updated");
    if (xhr.status === 304 && served && label) {
      label.textContent = new Date(served).toLocaleTimeString("zh-CN", {
        timeZone: "Asia/Shanghai", hour12: false });
    }
  });

  // Close the dialog only when the action succeeded; on an error the toast explains and
  // the typed reason stays for another try.
  document.addEventListener("htmx:afterRequest", function (evt) {
    if (evt.target.id === "pc-form" && evt.detail.successful) {
      document.getElementById("pc-dialog").close();
      evt.target.reset();
    }
  });

  // Success toasts fade on their own; an error toast repeated by polling is shown once.
  document.addEventListener("htmx:afterSwap", function (evt) {
    var box = document.getElementById("toasts");
    if (!box || evt.detail.target !== box) return;
    var seen = {};
    box.querySelectorAll(".toast").forEach(function (t) {
      var key = t.textContent.trim();
      if (seen[key]) t.remove(); else seen[key] = true;
      if (t.classList.contains("toast-ok") && !t.dataset.timer) {
        t.dataset.timer = "1";
        setTimeout(function () { t.remove(); }, 4000);
      }
    });
  });

  // Between polls the countdowns tick locally; every poll resets them to the server's.
  setInterval(function () {
    document.querySelectorAll(".pc-countdown[data-running]").forEach(function (el) {
      var left = Math.max(0, parseInt(el.dataset.remaining, 10) - 1);
      el.dataset.remaining = String(left);
      el.textContent = Jiping.formatRemaining(left);
    });
  }, 1000);

  // The push channel: a roster change refreshes the roster at once (several changes in a
  // moment, e.g. a room-wide pause, refresh it once). The 3 s poll stays as the fallback.
  var live = document.getElementById("pc-live");
  if (live && live.dataset.stream) {
    var pending = null;
    Jiping.live(live.dataset.stream, function (data) {
      if (data.kind !== "roster" && data.kind !== "resync") return;
      if (pending) return;
      pending = setTimeout(function () {
        pending = null;
        if (window.htmx) htmx.trigger(document.body, "roster-refresh");
      }, 150);
    }, function (open) { live.dataset.channel = open ? "open" : "closed"; });
  }
})();
