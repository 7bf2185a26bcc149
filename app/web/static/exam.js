// The candidate's exam page (templates/exam/exam.html). Vanilla JS, no framework.
//
// - Every change is saved at once through PUT /api/v1/exam/answers/{position}
//   (text inputs after 500 ms of quiet, and on leaving the field). Each save carries a
//   number (seq) that only grows; the server ignores a save older than what it has, so
//   retries and late arrivals are harmless.
// - Unsent answers live in localStorage (per attempt) until the server acknowledges
//   them: a crash, a reload or a network cut loses nothing. They are sent in order, with
//   growing pauses between retries, when the network is back.
// - The countdown comes from the server's remaining seconds and is re-synced from it
//   (every save answer and every status poll); the browser's own clock is never used
//   for the time left, only to measure the seconds since the last sync.
// - Leaving the window is reported; paused and closed attempts lock the page.
(function () {
  "use strict";

  var dataEl = document.getElementById("exam-data");
  if (!dataEl) return;
  var boot = JSON.parse(dataEl.textContent);
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var API = "/api/v1/exam";
  var total = boot.item_count;
  var prefix = "jiping.exam." + boot.attempt_id + ".";

  // --- storage (localStorage may be unavailable: then the page keeps it in memory) ---
  var memory = {};
  function load(name, fallback) {
    try {
      var raw = window.localStorage.getItem(prefix + name);
      return raw === null ? fallback : JSON.parse(raw);
    } catch (e) {
      return name in memory ? memory[name] : fallback;
    }
  }
  function store(name, value) {
    memory[name] = value;
    try {
      window.localStorage.setItem(prefix + name, JSON.stringify(value));
    } catch (e) { /* memory only */ }
  }

  // --- state ---
  var answered = {};
  var flagged = {};
  var serverSeq = {};
  Object.keys(boot.answers).forEach(function (p) {
    answered[p] = boot.answers[p].answered;
    flagged[p] = boot.answers[p].flagged;
    serverSeq[p] = boot.answers[p].seq;
  });
  var seq = Math.max(boot.last_seq || 0, load("seq", 0));
  var pending = load("pending", {}); // position -> {response, flagged, seq}
  var events = load("events", []); // window events not yet delivered
  var phase = boot.phase;
  var closed = false;
  var sending = false;
  var retryDelay = 0;
  var retryTimer = null;
  var offline = false;
  var current = Math.min(Math.max(parseInt(load("current", 1), 10) || 1, 1), total);

  function nextSeq() {
    seq += 1;
    store("seq", seq);
    return seq;
  }

  // --- the paper: rendered here from #exam-paper (web/candidate.py `_paper`), with the
  // markup of templates/items/_question.html; the server sends data, a third the size ---
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function append(parent) {
    for (var i = 1; i < arguments.length; i++) {
      var child = arguments[i];
      parent.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return parent;
  }
  function optionEl(kind, name, value, chosen, letter, text) {
    var input = el("input", { type: kind, name: name, value: value });
    if (chosen) input.setAttribute("checked", "");
    var label = el("label", chosen ? { "class": "chosen" } : {});
    append(label, input, " ");
    if (letter) append(label, el("b", {}, letter), " ");
    return append(el("li", {}), append(label, text));
  }
  function questionEl(q) {
    var r = q.response || {};
    var name = "q" + q.position;
    var art = el("article", {
      "class": "question", id: "q-" + q.position,
      "data-position": q.position, "data-type": q.type,
    });
    append(art, append(el("header", { "class": "question-head" }),
      el("span", { "class": "qno" }, "第 " + q.position + " 题"), " ",
      el("span", { "class": "badge" }, q.type_name), " ",
      el("span", { "class": "muted" }, q.points + " 分")));
    append(art, el("div", { "class": "stem" }, q.stem));
    if (q.type === "single_choice" || q.type === "multiple_choice") {
      var single = q.type === "single_choice";
      var picked = single ? [r.choice] : (r.choices || []);
      var list = el("ul", { "class": "options", role: single ? "radiogroup" : "group" });
      q.options.forEach(function (o, i) {
        list.appendChild(optionEl(single ? "radio" : "checkbox", name, o.value,
          picked.indexOf(o.value) >= 0, "ABCDEFGH".charAt(i) + ".", o.text));
      });
      append(art, list);
      if (!single) append(art, el("p", { "class": "muted hint" }, "（多选题：选出所有正确答案）"));
    } else if (q.type === "true_false") {
      var tf = el("ul", { "class": "options tf", role: "radiogroup" });
      [["true", "正确 √"], ["false", "错误 ×"]].forEach(function (v) {
        tf.appendChild(optionEl("radio", name, v[0], "value" in r && String(r.value) === v[0],
          null, v[1]));
      });
      append(art, tf);
    } else if (q.type === "ordering") {
      // The same markup as the question macro's ordering branch: a place for each option.
      var order = r.order || [];
      var ol = el("ol", { "class": "options ordering" });
      q.options.forEach(function (o, i) {
        var letter = "ABCDEFGH".charAt(i);
        var pick = el("select", { name: name, "data-label": o.value, "aria-label": "选项 " + letter + " 的位置" });
        pick.appendChild(el("option", { value: "" }, "排第几？"));
        var at = order.indexOf(o.value) + 1;
        q.options.forEach(function (_, n) {
          var opt = el("option", { value: String(n + 1) }, "第 " + (n + 1) + " 位");
          if (n + 1 === at) opt.setAttribute("selected", "");
          pick.appendChild(opt);
        });
        ol.appendChild(append(el("li", {}), append(el("label", {}), pick, " ", el("b", {}, letter + "."), " ", o.text)));
      });
      append(art, ol);
      append(art, el("p", { "class": "muted hint" }, "（排序题：为每个选项选出它在正确顺序中的位置）"));
    } else if (q.type === "matching") {
      // The same markup as the question macro's matching branch: the options, then a
      // choice of option for each prompt.
      var matches = r.matches || [];
      var right = el("ul", { "class": "options match-options" });
      q.options.forEach(function (o, i) {
        right.appendChild(append(el("li", {}), el("b", {}, "ABCDEFGH".charAt(i) + "."), " ", o.text));
      });
      var prompts = el("ol", { "class": "options matching" });
      q.prompts.forEach(function (p, n) {
        var pick = el("select", { name: name, "data-prompt": String(n), "aria-label": "第 " + (n + 1) + " 项（" + p + "）的答案" });
        pick.appendChild(el("option", { value: "" }, "选择…"));
        q.options.forEach(function (o, i) {
          var opt = el("option", { value: o.value }, "ABCDEFGH".charAt(i));
          if (matches[n] === o.value) opt.setAttribute("selected", "");
          pick.appendChild(opt);
        });
        prompts.appendChild(append(el("li", {}), append(el("label", {}), el("span", { "class": "prompt" }, p), " → ", pick)));
      });
      append(art, right, prompts);
      append(art, el("p", { "class": "muted hint" }, "（匹配题：为每个题项选出与它对应的选项，一个选项可以选用多次或不用）"));
    } else if (q.type === "fill_in") {
      var box = el("input", {
        type: "text", name: name, value: r.text || "", maxlength: q.maxlength,
        autocomplete: "off", spellcheck: "false",
      });
      var fill = append(el("label", { "class": "fill" }), "答案：", box);
      if (q.unit) append(fill, el("span", { "class": "unit" }, q.unit));
      append(art, fill);
    } else if (q.type === "short_answer" || q.type === "extended") {
      var area = el("textarea", {
        name: name, rows: String(q.rows), maxlength: String(q.maxlength),
        spellcheck: "false", "aria-label": "第 " + q.position + " 题的作答",
      });
      area.value = r.text || "";
      append(art, append(el("label", { "class": "written" }), area));
      append(art, el("p", { "class": "muted hint written-count" },
        "（" + q.type_name + "：由考评员评分。已输入 " + (r.text || "").length + " / " + q.maxlength + " 字）"));
    }
    return art;
  }
  var paperEl = document.getElementById("exam-paper");
  if (paperEl) {
    var sheet = document.createDocumentFragment();
    JSON.parse(paperEl.textContent).forEach(function (q) { sheet.appendChild(questionEl(q)); });
    document.getElementById("questions").appendChild(sheet);
  }

  // --- elements ---
  function $(id) { return document.getElementById(id); }
  var questions = document.querySelectorAll("#questions .question");
  var byPos = {};
  Array.prototype.forEach.call(questions, function (el) { byPos[el.dataset.position] = el; });
  var navButtons = {};
  Array.prototype.forEach.call(document.querySelectorAll("#navigator .nav-btn"), function (b) {
    navButtons[b.dataset.goto] = b;
  });
  var statusEl = $("save-status");
  var countdownEl = $("countdown");

  // --- reading and writing the inputs of a question ---
  function readResponse(pos) {
    var el = byPos[pos];
    var type = el.dataset.type;
    var inputs = el.querySelectorAll("input");
    if (type === "single_choice" || type === "true_false") {
      var chosen = el.querySelector("input:checked");
      if (!chosen) return {};
      return type === "single_choice" ? { choice: chosen.value } : { value: chosen.value === "true" };
    }
    if (type === "ordering") {
      var selects = el.querySelectorAll("select");
      var order = [];
      var placed = false;
      Array.prototype.forEach.call(selects, function () { order.push(""); });
      Array.prototype.forEach.call(selects, function (s) {
        if (s.value) { order[Number(s.value) - 1] = s.dataset.label; placed = true; }
      });
      return placed ? { order: order } : {};
    }
    if (type === "matching") {
      var matches = [];
      Array.prototype.forEach.call(el.querySelectorAll("select"), function (s) { matches.push(s.value); });
      return matches.some(function (v) { return v; }) ? { matches: matches } : {};
    }
    if (type === "multiple_choice") {
      var values = [];
      Array.prototype.forEach.call(inputs, function (i) { if (i.checked) values.push(i.value); });
      return values.length ? { choices: values } : {};
    }
    var box = el.querySelector("textarea") || inputs[0];
    var text = box ? box.value : "";
    return text.trim() ? { text: text } : {};
  }

  function writeResponse(pos, response) {
    var el = byPos[pos];
    if (!el) return;
    var type = el.dataset.type;
    if (type === "ordering") {
      var order = response.order || [];
      Array.prototype.forEach.call(el.querySelectorAll("select"), function (s) {
        var at = order.indexOf(s.dataset.label);
        s.value = at >= 0 ? String(at + 1) : "";
      });
      return;
    }
    if (type === "matching") {
      var matches = response.matches || [];
      Array.prototype.forEach.call(el.querySelectorAll("select"), function (s, n) {
        s.value = matches[n] || "";
      });
      return;
    }
    var area = el.querySelector("textarea");
    if (area) {
      area.value = response.text || "";
      countChars(area);
      return;
    }
    Array.prototype.forEach.call(el.querySelectorAll("input"), function (i) {
      if (type === "fill_in") i.value = response.text || "";
      else if (type === "single_choice") i.checked = response.choice === i.value;
      else if (type === "true_false") i.checked = "value" in response && String(response.value) === i.value;
      else i.checked = (response.choices || []).indexOf(i.value) >= 0;
    });
  }

  // A written answer's box says how much of its length is used.
  function countChars(area) {
    var hint = area.closest(".question").querySelector(".written-count");
    if (hint) hint.textContent = hint.textContent.replace(/已输入 \d+ \//, "已输入 " + area.value.length + " /");
  }

  function isAnswered(response) { return Object.keys(response).length > 0; }

  // --- navigation ---
  function show(pos) {
    pos = Math.min(Math.max(pos, 1), total);
    if (byPos[current]) byPos[current].classList.remove("current");
    if (navButtons[current]) navButtons[current].classList.remove("current");
    current = pos;
    store("current", current);
    byPos[pos].classList.add("current");
    navButtons[pos].classList.add("current");
    navButtons[pos].scrollIntoView({ block: "nearest" });
    $("pos-label").textContent = "第 " + pos + " / " + total + " 题";
    $("prev-btn").disabled = pos <= 1;
    $("next-btn").disabled = pos >= total;
    var flagBtn = $("flag-btn");
    flagBtn.setAttribute("aria-pressed", flagged[pos] ? "true" : "false");
    flagBtn.textContent = flagged[pos] ? "取消标记" : "标记本题";
  }

  function refreshNav() {
    var a = 0, f = 0;
    for (var p = 1; p <= total; p++) {
      var b = navButtons[p];
      if (!b) continue;
      b.classList.toggle("answered", !!answered[p]);
      b.classList.toggle("flagged", !!flagged[p]);
      if (answered[p]) a++;
      if (flagged[p]) f++;
    }
    $("count-answered").textContent = a;
    $("count-unanswered").textContent = total - a;
    $("count-flagged").textContent = f;
  }

  // --- the save queue ---
  function setStatus(text, kind) {
    statusEl.textContent = text;
    statusEl.className = "save-status" + (kind ? " " + kind : "");
  }

  function clock(isoUtc) {
    var d = new Date(isoUtc.endsWith("Z") ? isoUtc : isoUtc + "Z");
    try {
      return d.toLocaleTimeString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false });
    } catch (e) {
      return d.toTimeString().slice(0, 8);
    }
  }

  function queueSave(pos) {
    if (closed) return;
    var response = readResponse(pos);
    answered[pos] = isAnswered(response);
    pending[pos] = { response: response, flagged: !!flagged[pos], seq: nextSeq() };
    store("pending", pending);
    refreshNav();
    pump();
  }

  function oldestPending() {
    var best = null;
    Object.keys(pending).forEach(function (p) {
      if (best === null || pending[p].seq < pending[best].seq) best = p;
    });
    return best;
  }

  function request(method, url, body) {
    var ctrl = window.AbortController ? new AbortController() : null;
    var timer = ctrl ? setTimeout(function () { ctrl.abort(); }, 15000) : null;
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, Accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: ctrl ? ctrl.signal : undefined,
    }).then(function (r) {
      if (timer) clearTimeout(timer);
      return r.json().catch(function () { return {}; }).then(function (json) {
        return { status: r.status, ok: r.ok, json: json };
      });
    }, function (err) {
      if (timer) clearTimeout(timer);
      throw err;
    });
  }

  function goneOffline() {
    if (!offline) {
      offline = true;
      queueEvent("offline");
    }
    setStatus("网络中断，答案已暂存在本页，恢复后自动提交", "offline");
    retryDelay = Math.min(retryDelay ? retryDelay * 2 : 1000, 15000);
    clearTimeout(retryTimer);
    retryTimer = setTimeout(function () { retryTimer = null; pump(); }, retryDelay);
  }

  function backOnline() {
    retryDelay = 0;
    if (offline) {
      offline = false;
      queueEvent("reconnect");
    }
  }

  function pump() {
    if (sending || closed || retryTimer) return;
    if (events.length) return sendEvent();
    if (phase === "paused") return;
    var pos = oldestPending();
    if (pos === null) return;
    var entry = pending[pos];
    sending = true;
    setStatus("保存中…", "saving");
    request("PUT", API + "/answers/" + pos, { response: entry.response, flagged: entry.flagged, seq: entry.seq })
      .then(function (r) {
        sending = false;
        if (r.ok) {
          backOnline();
          serverSeq[pos] = r.json.seq;
          lastHeard = performance.now();
          if (pending[pos] && pending[pos].seq <= r.json.seq) delete pending[pos];
          store("pending", pending);
          syncClock(r.json.remaining_seconds);
          if (oldestPending() === null) setStatus("已保存 " + clock(r.json.saved_at), "saved");
          return pump();
        }
        handleRefusal(r, pos);
      }, function () {
        sending = false;
        goneOffline();
      });
  }

  function handleRefusal(r, pos) {
    var code = (r.json.error || {}).code || "";
    var message = (r.json.error || {}).message || "保存失败";
    if (r.status >= 500 || r.status === 429) return goneOffline();
    if (code === "attempt_paused") { setPhase("paused"); return; }
    if (code === "attempt_closed" || code === "deadline_passed") return refreshStatus();
    if (r.status === 401) {
      setStatus("登录已失效，请重新登录（已答内容已暂存在本机）", "offline");
      window.location.href = "/exam/login";
      return;
    }
    if (code === "csrf_failed") { window.location.reload(); return; }
    // A save the server can never accept (no such question, invalid response): drop it.
    delete pending[pos];
    store("pending", pending);
    setStatus(message, "offline");
    pump();
  }

  // --- window events ---
  function queueEvent(kind) {
    if (closed) return;
    events.push(kind);
    store("events", events);
    pump();
  }

  function sendEvent() {
    var kind = events[0];
    sending = true;
    request("POST", API + "/events", { kind: kind }).then(function (r) {
      sending = false;
      if (r.ok || (r.status >= 400 && r.status < 500 && r.status !== 401 && r.status !== 429)) {
        events.shift();
        store("events", events);
      }
      if (r.ok) {
        backOnline();
        if (kind === "blur") showLeaveWarning(r.json.leave_count, r.json.leave_limit);
        if (r.json.submitted || r.json.status === "submitted") return refreshStatus();
      } else if (r.status >= 500) {
        return goneOffline();
      }
      pump();
    }, function () {
      sending = false;
      goneOffline();
    });
  }

  function showLeaveWarning(count, limit) {
    var el = $("leave-warning");
    var text = "您已离开考试界面 " + count + " 次";
    if (limit) text += "（上限 " + limit + " 次，达到上限将自动交卷）";
    el.textContent = text + "。请勿切换窗口或离开考试页面。";
    el.hidden = false;
  }

  var away = false;
  var unloading = false; // a reload or a navigation hides the page too: that is no leaving
  window.addEventListener("beforeunload", function () { unloading = true; });
  window.addEventListener("pagehide", function () { unloading = true; });
  window.addEventListener("pageshow", function () { unloading = false; });
  function leftWindow() {
    if (away || closed || unloading) return;
    away = true;
    queueEvent("blur");
  }
  function backToWindow() {
    if (!away) return;
    away = false;
    queueEvent("focus");
  }
  window.addEventListener("blur", leftWindow);
  window.addEventListener("focus", backToWindow);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") leftWindow();
    else backToWindow();
  });
  window.addEventListener("online", function () {
    clearTimeout(retryTimer);
    retryTimer = null;
    pump();
  });
  window.addEventListener("offline", function () {
    setStatus("网络中断，答案已暂存在本页，恢复后自动提交", "offline");
  });

  // --- the clock ---
  var remainingAtSync = boot.remaining_seconds || 0;
  var syncedAt = performance.now();
  var timeUp = false;

  function syncClock(seconds) {
    if (typeof seconds !== "number") return;
    remainingAtSync = seconds;
    syncedAt = performance.now();
    tick();
  }
  var lastHeard = performance.now(); // the last answer from the server (a save or a poll)

  function remaining() {
    if (phase === "paused") return remainingAtSync;
    return Math.max(0, remainingAtSync - (performance.now() - syncedAt) / 1000);
  }

  function tick() {
    var left = Math.ceil(remaining());
    countdownEl.textContent = Jiping.formatRemaining(left);
    countdownEl.classList.toggle("low", left <= 300);
    remind(left);
    if (left <= 0 && !timeUp && !closed && phase !== "paused") {
      timeUp = true;
      $("timeup-overlay").hidden = false;
      setTimeout(refreshStatus, 1000);
    }
  }

  // Reminders at 15 and 5 minutes left, each once per attempt (also after a reload).
  var REMINDERS = [900, 300];
  var reminded = load("reminded", 0); // the smallest threshold already shown
  function remind(left) {
    if (closed || phase === "paused" || left <= 0) return;
    for (var i = REMINDERS.length - 1; i >= 0; i--) {
      var at = REMINDERS[i];
      if (left <= at && (!reminded || at < reminded)) {
        reminded = at;
        store("reminded", reminded);
        var el = $("time-reminder");
        el.textContent = "距离考试结束还有 " + Math.ceil(left / 60) + " 分钟，请检查未答和已标记的题目。";
        el.hidden = false;
        setTimeout(function () { el.hidden = true; }, 15000);
        return;
      }
    }
  }

  // --- status from the server ---
  function setPhase(next) {
    var changed = next !== phase;
    phase = next;
    if (changed) schedulePoll();
    var paused = next === "paused";
    $("paused-overlay").hidden = !paused;
    $("exam").inert = paused || closed;
    if (!paused) pump();
  }

  function showClosed(message) {
    closed = true;
    setPhase("submitted");
    $("timeup-overlay").hidden = true;
    $("closed-title").textContent = message || "已交卷";
    $("closed-overlay").hidden = false;
    $("submit-dialog").open && $("submit-dialog").close();
    store("pending", {});
    store("events", []);
  }

  var polling = null;
  function refreshStatus() {
    return request("GET", API + "/status").then(function (r) {
      if (r.status === 401) { window.location.href = "/exam/login"; return; }
      if (!r.ok) return;
      var s = r.json;
      lastHeard = performance.now();
      syncClock(s.remaining_seconds);
      if (s.messages) showMessages(s.messages);
      if (s.phase === "submitted") return showClosed(s.submit_message);
      setPhase(s.phase);
      if (s.phase === "in_progress" && s.remaining_seconds > 0 && timeUp) {
        timeUp = false; // extra time was given
        $("timeup-overlay").hidden = true;
      }
      if (timeUp) setTimeout(refreshStatus, 2000);
    }, function () { /* offline: the next poll tries again */ });
  }

  // The status poll re-syncs the clock, notices a pause or a closing, and tells the proctor
  // console the page is alive. A save acknowledged recently did all that already (a save
  // refused for a pause or a closing shows it at once), so busy pages poll less.
  // With the push channel open, proctor actions arrive at once and the stream itself tells
  // the console the page is alive: a slow poll only re-syncs the clock. Without it the
  // page polls every 5 s (and the console still sees it within its 10 s).
  function schedulePoll() {
    clearTimeout(polling);
    var every = streamOpen ? 30000 : 5000;
    polling = setTimeout(function () {
      if (closed) return;
      if (phase !== "paused" && performance.now() - lastHeard < every - 1000) return schedulePoll();
      refreshStatus().then(schedulePoll, schedulePoll);
    }, every);
  }

  // --- the push channel ---
  var streamOpen = false;
  var hellos = 0;
  function onLive(data) {
    if (data.kind === "hello") {
      // A reconnection: what happened while the stream was down was not pushed.
      if (hellos++ > 0) refreshStatus();
      return;
    }
    if (data.kind === "resync") return refreshStatus();
    if (data.kind === "message") return refreshStatus(); // with the message's id and time
    if (data.kind === "reopen" && closed) return reopened(data);
    if (!data.status) return;
    if (data.status === "submitted") {
      showClosed("已交卷");
      return refreshStatus(); // the closing's own message
    }
    lastHeard = performance.now();
    setPhase(data.status);
    syncClock(data.remaining_seconds);
    if (data.status === "in_progress" && data.remaining_seconds > 0 && timeUp) {
      timeUp = false; // extra time was given
      $("timeup-overlay").hidden = true;
    }
  }
  // --- messages from the proctor (pushed; the status poll brings the ones missed) ---
  var seenMessages = load("messages", 0); // the newest message id shown
  function showMessages(list) {
    var fresh = list.filter(function (m) { return m.id > seenMessages; });
    if (!fresh.length) return;
    var m = fresh[fresh.length - 1];
    $("proctor-message-text").textContent = m.text;
    $("proctor-message-at").textContent = clock(m.at);
    $("proctor-message").hidden = false;
    list.forEach(function (x) { if (x.id > seenMessages) seenMessages = x.id; });
    store("messages", seenMessages);
  }
  $("proctor-message-ok").addEventListener("click", function () {
    $("proctor-message").hidden = true;
  });

  // A paper closed by mistake and reopened by the proctor: back into it, where the
  // candidate was, without a reload (the questions never left the page).
  function reopened(data) {
    closed = false;
    timeUp = false;
    $("closed-overlay").hidden = true;
    $("timeup-overlay").hidden = true;
    $("leave-warning").hidden = true;
    setPhase(data.status);
    syncClock(data.remaining_seconds);
    schedulePoll();
  }
  function startLive() {
    Jiping.live(API + "/stream", onLive, function (open) {
      streamOpen = open;
      document.body.dataset.channel = open ? "open" : "closed";
      schedulePoll();
    });
  }

  // --- submitting ---
  // The numbers are buttons: one click closes the dialog and shows that question.
  function jumpList(el, title, positions) {
    el.textContent = "";
    if (!positions.length) return;
    var head = document.createElement("p");
    head.textContent = title + "（" + positions.length + " 道），点击题号前往：";
    el.appendChild(head);
    var box = document.createElement("div");
    box.className = "jump-list";
    positions.forEach(function (p) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "jump-btn";
      b.dataset.goto = p;
      b.textContent = p;
      b.setAttribute("aria-label", "前往第 " + p + " 题");
      box.appendChild(b);
    });
    el.appendChild(box);
  }

  function openSubmitDialog() {
    var un = [], fl = [];
    for (var p = 1; p <= total; p++) {
      if (!answered[p]) un.push(p);
      if (flagged[p]) fl.push(p);
    }
    jumpList($("submit-unanswered"), "未答题", un);
    if (!un.length) $("submit-unanswered").textContent = "所有题目均已作答。";
    jumpList($("submit-flagged"), "已标记", fl);
    $("submit-pending").hidden = true;
    $("submit-dialog").showModal();
  }

  function whenSaved(timeoutMs) {
    var until = performance.now() + timeoutMs;
    return new Promise(function (resolve) {
      (function wait() {
        if (oldestPending() === null && !events.length && !sending) return resolve(true);
        if (performance.now() > until) return resolve(false);
        clearTimeout(retryTimer);
        retryTimer = null;
        pump();
        setTimeout(wait, 200);
      })();
    });
  }

  function submitNow() {
    var btn = $("submit-confirm");
    btn.disabled = true;
    whenSaved(10000).then(function (saved) {
      if (!saved) {
        btn.disabled = false;
        var warn = $("submit-pending");
        warn.textContent = "还有答案没有保存到服务器，请检查网络后再交卷（答案已暂存在本机）。";
        warn.hidden = false;
        return;
      }
      request("POST", API + "/submit").then(function (r) {
        if (r.ok) {
          closed = true;
          store("pending", {});
          window.location.href = "/exam";
          return;
        }
        btn.disabled = false;
        var w = $("submit-pending");
        w.textContent = (r.json.error || {}).message || "交卷失败，请重试";
        w.hidden = false;
      }, function () {
        btn.disabled = false;
        var w = $("submit-pending");
        w.textContent = "网络中断，暂时无法交卷，请稍后再试。";
        w.hidden = false;
      });
    });
  }

  // --- wiring ---
  var debounce = {};
  document.getElementById("questions").addEventListener("change", function (e) {
    var q = e.target.closest(".question");
    if (!q) return;
    if (e.target.tagName === "SELECT" && e.target.value && q.dataset.type === "ordering") {
      // One option per place: the option that held this place gives it up.
      Array.prototype.forEach.call(q.querySelectorAll("select"), function (s) {
        if (s !== e.target && s.value === e.target.value) s.value = "";
      });
    }
    clearTimeout(debounce[q.dataset.position]);
    delete debounce[q.dataset.position];
    queueSave(q.dataset.position);
  });
  function typed(target) { return target.type === "text" || target.tagName === "TEXTAREA"; }
  document.getElementById("questions").addEventListener("input", function (e) {
    if (!typed(e.target)) return;
    if (e.target.tagName === "TEXTAREA") countChars(e.target);
    var pos = e.target.closest(".question").dataset.position;
    clearTimeout(debounce[pos]);
    debounce[pos] = setTimeout(function () { queueSave(pos); }, 500);
  });
  document.getElementById("questions").addEventListener("focusout", function (e) {
    if (!typed(e.target)) return;
    var pos = e.target.closest(".question").dataset.position;
    if (debounce[pos]) {
      clearTimeout(debounce[pos]);
      delete debounce[pos];
      queueSave(pos);
    }
  });
  $("prev-btn").addEventListener("click", function () { show(current - 1); });
  $("next-btn").addEventListener("click", function () { show(current + 1); });
  $("navigator").addEventListener("click", function (e) {
    var b = e.target.closest(".nav-btn");
    if (b) show(parseInt(b.dataset.goto, 10));
  });
  $("flag-btn").addEventListener("click", function () {
    flagged[current] = !flagged[current];
    show(current);
    queueSave(String(current));
  });
  $("submit-btn").addEventListener("click", openSubmitDialog);
  $("submit-dialog").addEventListener("click", function (e) {
    var b = e.target.closest(".jump-btn");
    if (!b) return;
    $("submit-dialog").close();
    show(parseInt(b.dataset.goto, 10));
  });

  // Keyboard: ←/→ (and PageUp/PageDown) move, A–H choose an option of the question shown
  // (a multiple-choice option toggles), M flags. Never while typing (a fill-in answer,
  // the calculator, the scratch pad), nor while the paper is paused or closed.
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.altKey || e.metaKey || closed || phase === "paused") return;
    var t = e.target;
    if (t && (t.tagName === "TEXTAREA" || t.tagName === "SELECT" || (t.tagName === "INPUT" && t.type === "text"))) return;
    if ($("submit-dialog").open) return;
    var key = e.key;
    if (key === "ArrowLeft" || key === "PageUp") { e.preventDefault(); show(current - 1); return; }
    if (key === "ArrowRight" || key === "PageDown") { e.preventDefault(); show(current + 1); return; }
    if (key === "m" || key === "M") { $("flag-btn").click(); return; }
    var index = "abcdefgh".indexOf(key.toLowerCase());
    if (key.length !== 1 || index < 0) return;
    var inputs = byPos[current].querySelectorAll("input[type=radio], input[type=checkbox]");
    var input = inputs[index];
    if (!input) return;
    e.preventDefault();
    if (input.type === "checkbox") input.checked = !input.checked;
    else input.checked = true;
    input.dispatchEvent(new Event("change", { bubbles: true }));
  });
  $("submit-cancel").addEventListener("click", function () { $("submit-dialog").close(); });
  $("submit-confirm").addEventListener("click", submitNow);

  // --- resume where the candidate was ---
  // The server marks saved choices; from here the inputs' own state shows them (CSS :has).
  Array.prototype.forEach.call(document.querySelectorAll("#questions label.chosen"), function (el) {
    el.classList.remove("chosen");
  });
  Object.keys(pending).forEach(function (p) {
    if (!byPos[p] || (serverSeq[p] || 0) >= pending[p].seq) {
      delete pending[p]; // the server has it (or something newer)
      return;
    }
    writeResponse(p, pending[p].response);
    answered[p] = isAnswered(pending[p].response);
    flagged[p] = pending[p].flagged;
  });
  store("pending", pending);
  refreshNav();
  show(current);
  setPhase(phase);
  tick();
  setInterval(tick, 500);
  schedulePoll();
  startLive();
  if (oldestPending() !== null) setStatus("正在提交暂存的答案…", "saving");
  pump();
})();
