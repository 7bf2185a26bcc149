// Proctor console: one action dialog outside the polled roster, a countdown tick between
// polls, and short-lived success toasts.
(function () {
  "use strict";

  var ACTIONS = {
    checkin: { title: "签到（人证合一）", button: "确认签到",
      hint: "请核对身份证件照片、准考证与本人是否一致。" },
    checkin_many: { title: "批量签到（人证合一）", button: "确认全部签到",
      hint: "请逐一核对每位考生的证件照、身份证件与本人是否一致；确认后每人分别记入签到记录。" },
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


  // A roster row's buttons carry only their action (the fragment is rendered for every
  // change of the room, so each row says once whom it is about): the URL is the action's
  // on the row's registration or attempt. The room's own buttons carry their URL.
  var ROW_URLS = {
    checkin: "/proctor/registrations/{reg}/checkin",
    message: "/proctor/registrations/{reg}/message",
    incident: "/proctor/registrations/{reg}/incidents",
    unlock: "/proctor/registrations/{reg}/unlock-login",
    pause: "/proctor/attempts/{attempt}/pause",
    resume: "/proctor/attempts/{attempt}/resume",
    extra: "/proctor/attempts/{attempt}/extra-time",
    force: "/proctor/attempts/{attempt}/force-submit",
    reopen: "/proctor/attempts/{attempt}/reopen",
  };

  function target(btn) {
    var row = btn.closest("tr.pc-row");
    if (btn.dataset.url || !row) {
      return { url: btn.dataset.url, who: btn.dataset.who || "", card: btn.dataset.card };
    }
    var reg = row.id.replace("reg-", "");
    return {
      url: ROW_URLS[btn.dataset.act].replace("{reg}", reg).replace("{attempt}", row.dataset.attempt),
      who: row.dataset.seat + " 号 " + row.dataset.name,
      card: "/proctor/registrations/" + reg + "/card",
    };
  }

  function openDialog(btn) {
    var dialog = document.getElementById("pc-dialog");
    var form = document.getElementById("pc-form");
    var act = btn.dataset.act;
    var spec = ACTIONS[act];
    if (!dialog || !form || !spec) return;
    var on = target(btn);
    form.reset();
    form.setAttribute("action", on.url);
    form.setAttribute("hx-post", on.url);
    // Only the fields of this action are shown and sent.
    form.querySelectorAll("[data-for]").forEach(function (el) {
      var on = el.dataset.for.split(" ").indexOf(act) >= 0;
      el.hidden = !on;
      el.querySelectorAll("input, select, textarea").forEach(function (f) { f.disabled = !on; });
    });
    document.getElementById("pc-dialog-title").textContent = spec.title;
    document.getElementById("pc-dialog-who").textContent = on.who;
    document.getElementById("pc-dialog-hint").textContent = spec.hint;
    var submit = document.getElementById("pc-submit");
    submit.textContent = spec.button;
    submit.className = spec.danger ? "danger" : "primary";
    if (window.htmx) htmx.process(form);
    var card = document.getElementById("pc-card");
    if (card) {
      card.textContent = "";
      if (act === "checkin" && on.card && window.htmx) {
        htmx.ajax("GET", on.card, { target: "#pc-card", swap: "innerHTML" });
      }
    }
    var cards = document.getElementById("pc-cards");
    if (cards) {
      cards.textContent = "";
      if (act === "checkin_many" && btn.dataset.cards && window.htmx) {
        var query = Array.from(picked).map(function (id) {
          return "registration_ids=" + encodeURIComponent(id);
        }).join("&");
        htmx.ajax("GET", btn.dataset.cards + "?" + query, { target: "#pc-cards", swap: "innerHTML" });
        document.getElementById("pc-dialog-who").textContent = "已选 " + picked.size + " 名考生";
      }
    }
    dialog.showModal();
    var first = form.querySelector("label:not([hidden]) input:not([type=hidden]), label:not([hidden]) select, label:not([hidden]) textarea");
    if (first) first.focus();
  }

  // --- Selection for the batch check-in, kept across the roster's refreshes ----------
  var picked = new Set();

  function syncPicks() {
    var boxes = document.querySelectorAll("#pc-live .pc-pick");
    var present = new Set();
    boxes.forEach(function (box) {
      present.add(box.value);
      box.checked = picked.has(box.value);
    });
    // Checked in meanwhile (by another proctor, or one by one): no longer selectable.
    Array.from(picked).forEach(function (id) { if (!present.has(id)) picked.delete(id); });
    var batch = document.getElementById("pc-batch");
    if (batch) {
      batch.disabled = picked.size === 0;
      batch.textContent = picked.size ? "批量签到（已选 " + picked.size + " 人）" : "批量签到";
    }
    var all = document.getElementById("pc-pick-all");
    if (all) {
      var shown = Array.from(boxes).filter(function (b) { return !b.closest("tr").hidden; });
      all.checked = shown.length > 0 && shown.every(function (b) { return b.checked; });
      all.disabled = shown.length === 0;
    }
  }

  document.addEventListener("change", function (evt) {
    var box = evt.target;
    if (box.classList && box.classList.contains("pc-pick")) {
      if (box.checked) picked.add(box.value); else picked.delete(box.value);
      syncPicks();
    } else if (box.id === "pc-pick-all") {
      document.querySelectorAll("#pc-live .pc-pick").forEach(function (b) {
        if (b.closest("tr").hidden) return;
        if (box.checked) picked.add(b.value); else picked.delete(b.value);
      });
      syncPicks();
    }
  });

  // --- Search by name, ticket number or seat (in the page: instant, no request) -------
  function folded(text) {
    return (text || "").replace(/[\uff10-\uff19]/g, function (c) {
      return String.fromCharCode(c.charCodeAt(0) - 0xfee0);
    }).trim().toUpperCase();
  }

  function matches(el, term) {
    if (!term) return true;
    // Up to three digits is a seat (exactly); more is part of a ticket number.
    if (/^\d{1,3}$/.test(term)) return String(Number(term)) === el.dataset.seat;
    return (el.dataset.name || "").toUpperCase().indexOf(term) >= 0 ||
      (el.dataset.ticket || "").indexOf(term) >= 0;
  }

  function applySearch() {
    var input = document.getElementById("pc-search");
    var term = folded(input ? input.value : "");
    var shown = 0;
    document.querySelectorAll("#pc-live tr.pc-row").forEach(function (row) {
      row.hidden = !matches(row, term);
      if (!row.hidden) shown += 1;
    });
    // A seat matches as its row does (the row holds the name and ticket number).
    document.querySelectorAll("#pc-live .pc-seat[data-reg]").forEach(function (seat) {
      var row = document.getElementById("reg-" + seat.dataset.reg);
      var hit = !!row && matches(row, term);
      seat.classList.toggle("pc-seat-dim", !hit);
      seat.classList.toggle("pc-seat-hit", !!term && hit);
    });
    var none = document.querySelector("#pc-live .pc-no-match");
    var rows = document.querySelectorAll("#pc-live tr.pc-row").length;
    if (none) none.hidden = !(term && rows && shown === 0);
  }

  document.addEventListener("input", function (evt) {
    if (evt.target.id === "pc-search") { applySearch(); syncPicks(); }
  });

  // A seat on the map finds its row in the list.
  document.addEventListener("click", function (evt) {
    var seat = evt.target.closest(".pc-seat[data-reg]");
    if (!seat) return;
    var row = document.getElementById("reg-" + seat.dataset.reg);
    if (!row) return;
    if (row.hidden) {
      var input = document.getElementById("pc-search");
      if (input) input.value = "";
      applySearch();
    }
    row.scrollIntoView({ block: "center" });
    row.classList.add("pc-row-found");
    setTimeout(function () { row.classList.remove("pc-row-found"); }, 2500);
  });

  document.addEventListener("htmx:afterSwap", function (evt) {
    if (evt.detail.target && evt.detail.target.id === "pc-live") { applySearch(); syncPicks(); }
  });

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
      if (evt.target.getAttribute("action") === (document.getElementById("pc-batch") || {}).dataset.url) {
        picked.clear();
        syncPicks();
      }
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
