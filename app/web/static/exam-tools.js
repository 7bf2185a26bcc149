// The exam page's tools (templates/exam/exam.html): font size, an on-screen calculator
// (basic and scientific) and a scratch pad, each shown only when the plan allows it.
// Nothing here talks to the server: the scratch pad stays in this browser (per attempt).
(function () {
  "use strict";

  function $(id) { return document.getElementById(id); }

  // --- font size (remembered on this computer, for every exam) ---
  var SIZES = ["normal", "large", "xlarge"];
  var SIZE_KEY = "jiping.exam.fontsize";
  function applySize(size) {
    if (SIZES.indexOf(size) < 0) size = "normal";
    SIZES.forEach(function (s) { document.body.classList.toggle("font-" + s, s === size); });
    document.querySelectorAll(".font-btn").forEach(function (b) {
      b.setAttribute("aria-pressed", b.dataset.size === size ? "true" : "false");
    });
    try { window.localStorage.setItem(SIZE_KEY, size); } catch (e) { /* not remembered */ }
  }
  var saved = "normal";
  try { saved = window.localStorage.getItem(SIZE_KEY) || "normal"; } catch (e) { /* default */ }
  applySize(saved);
  document.addEventListener("click", function (e) {
    var b = e.target.closest(".font-btn");
    if (b) applySize(b.dataset.size);
  });

  // --- panels (calculator, scratch pad): one open at a time, never over the clock ---
  function toggle(id) {
    var panel = $(id);
    if (!panel) return;
    var open = panel.hidden;
    document.querySelectorAll(".tool-panel").forEach(function (p) { p.hidden = true; });
    panel.hidden = !open;
    if (open) {
      var first = panel.querySelector("input, textarea");
      if (first) first.focus();
    }
  }
  document.addEventListener("click", function (e) {
    var t = e.target.closest("[data-tool]");
    if (t) toggle(t.dataset.tool);
    var c = e.target.closest(".tool-close");
    if (c) c.closest(".tool-panel").hidden = true;
  });

  // --- the calculator ---
  // A small recursive-descent parser (no eval: the page's CSP forbids it, and it must
  // never run what a candidate types). Grammar:
  //   expr := term (("+" | "-") term)*      term := power (("*" | "/") power)*
  //   power := unary ("^" power)?            unary := "-" unary | postfix
  //   postfix := primary "%"?                primary := number | "π" | "e" | fn "(" expr ")" | "(" expr ")"
  var FUNCS = {
    sin: function (x, deg) { return Math.sin(deg ? x * Math.PI / 180 : x); },
    cos: function (x, deg) { return Math.cos(deg ? x * Math.PI / 180 : x); },
    tan: function (x, deg) { return Math.tan(deg ? x * Math.PI / 180 : x); },
    asin: function (x, deg) { return deg ? Math.asin(x) * 180 / Math.PI : Math.asin(x); },
    acos: function (x, deg) { return deg ? Math.acos(x) * 180 / Math.PI : Math.acos(x); },
    atan: function (x, deg) { return deg ? Math.atan(x) * 180 / Math.PI : Math.atan(x); },
    sqrt: Math.sqrt, ln: Math.log, log: function (x) { return Math.log10(x); }, abs: Math.abs,
  };

  function evaluate(text, degrees) {
    var s = text.replace(/×/g, "*").replace(/÷/g, "/").replace(/−/g, "-").replace(/√/g, "sqrt")
      .replace(/\s+/g, "");
    var i = 0;
    function peek() { return s.charAt(i); }
    function fail() { throw new Error("bad"); }
    function expr() {
      var v = term();
      while (peek() === "+" || peek() === "-") { var op = s.charAt(i++); var r = term(); v = op === "+" ? v + r : v - r; }
      return v;
    }
    function term() {
      var v = power();
      while (peek() === "*" || peek() === "/") { var op = s.charAt(i++); var r = power(); v = op === "*" ? v * r : v / r; }
      return v;
    }
    function power() {
      var base = unary();
      if (peek() === "^") { i++; return Math.pow(base, power()); }
      return base;
    }
    function unary() {
      if (peek() === "-") { i++; return -unary(); }
      if (peek() === "+") { i++; return unary(); }
      var v = primary();
      if (peek() === "%") { i++; v = v / 100; }
      return v;
    }
    function primary() {
      var m = /^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?/i.exec(s.slice(i));
      if (m) { i += m[0].length; return parseFloat(m[0]); }
      if (peek() === "π") { i++; return Math.PI; }
      var f = /^[a-z]+/.exec(s.slice(i));
      if (f) {
        var name = f[0];
        i += name.length;
        if (name === "e" || name === "pi") return name === "e" ? Math.E : Math.PI;
        if (!FUNCS[name] || peek() !== "(") fail();
        i++;
        var arg = expr();
        if (peek() !== ")") fail();
        i++;
        return FUNCS[name](arg, degrees);
      }
      if (peek() === "(") {
        i++;
        var v = expr();
        if (peek() !== ")") fail();
        i++;
        return v;
      }
      return fail();
    }
    if (!s) return null;
    var value = expr();
    if (i !== s.length || !isFinite(value)) fail();
    return value;
  }

  function format(value) {
    if (value === null) return "";
    var rounded = parseFloat(value.toPrecision(12));
    return String(rounded);
  }

  var calc = $("calculator");
  if (calc) {
    var input = $("calc-input");
    var result = $("calc-result");
    var deg = $("calc-deg");
    function compute() {
      try {
        var v = evaluate(input.value, deg.checked);
        result.textContent = v === null ? "" : "= " + format(v);
        result.classList.remove("calc-error");
        return v;
      } catch (e) {
        result.textContent = "算式有误";
        result.classList.add("calc-error");
        return null;
      }
    }
    calc.addEventListener("click", function (e) {
      var key = e.target.closest("[data-calc]");
      if (!key) return;
      var k = key.dataset.calc;
      if (k === "C") { input.value = ""; result.textContent = ""; }
      else if (k === "back") input.value = input.value.slice(0, -1);
      else if (k === "=") { var v = compute(); if (v !== null) input.value = format(v); }
      else input.value += k;
      input.focus();
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); var v = compute(); if (v !== null) input.value = format(v); }
    });
    deg.addEventListener("change", compute);
    window.JipingCalculator = { evaluate: evaluate };
  }

  // --- the scratch pad (this browser only, per attempt) ---
  var pad = $("scratch-text");
  if (pad) {
    var key = "jiping.exam." + pad.dataset.attempt + ".scratch";
    try { pad.value = window.localStorage.getItem(key) || ""; } catch (e) { /* empty */ }
    pad.addEventListener("input", function () {
      try { window.localStorage.setItem(key, pad.value); } catch (e) { /* memory only */ }
    });
  }
})();
