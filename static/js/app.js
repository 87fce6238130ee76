// The lesson player's few behaviours. No inline scripts (CSP); every page
// works without this file: it only enhances.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Code tabs (WAI-ARIA tabs: arrow keys move between them).
  function selectTab(tabs, tab) {
    tabs.querySelectorAll('[role="tab"]').forEach(function (t) {
      var on = t === tab;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      var panel = document.getElementById(t.getAttribute("aria-controls"));
      if (panel) panel.classList.toggle("active", on);
    });
  }
  // The language is the learner's, not the step's: every step follows the
  // choice, and the server keeps it for the next page and lesson.
  function chooseLanguage(lang) {
    document.querySelectorAll("[data-tabs]").forEach(function (tabs) {
      var t = tabs.querySelector('[role="tab"][data-lang="' + lang + '"]');
      if (t) selectTab(tabs, t);
    });
    var meta = document.querySelector('meta[name="csrf-token"]');
    fetch("/learner/language", {
      method: "POST", credentials: "same-origin", body: new URLSearchParams({ lang: lang }),
      headers: { "X-CSRF-Token": meta ? meta.content : "" }
    }).catch(function () {});
  }
  document.addEventListener("click", function (e) {
    var tab = e.target.closest('[data-tabs] [role="tab"]');
    if (tab) chooseLanguage(tab.getAttribute("data-lang"));
  });
  document.addEventListener("keydown", function (e) {
    var tab = e.target.closest && e.target.closest('[data-tabs] [role="tab"]');
    if (!tab || (e.key !== "ArrowRight" && e.key !== "ArrowLeft")) return;
    var all = Array.prototype.slice.call(tab.parentNode.querySelectorAll('[role="tab"]'));
    var i = all.indexOf(tab) + (e.key === "ArrowRight" ? 1 : -1);
    var next = all[(i + all.length) % all.length];
    chooseLanguage(next.getAttribute("data-lang"));
    next.focus();
    e.preventDefault();
  });

  // Inspector: a click on an exchange loads its fragment beside the diagram.
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("a[data-inspect]");
    if (!a || e.ctrlKey || e.metaKey || e.shiftKey) return;
    var target = document.getElementById("inspector");
    if (!target) return;
    e.preventDefault();
    var href = a.getAttribute("href");
    fetch(href, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
      .then(function (html) {
        target.outerHTML = html;
        var el = document.getElementById("inspector");
        if (window.htmx) window.htmx.process(el);
        bringIntoView(el);
      })
      .catch(function () { window.location.href = href; });
  });

  // bringIntoView focuses what just changed and scrolls its top into view
  // (focus alone would scroll a tall section to its middle or bottom).
  function bringIntoView(el) {
    if (!el) return;
    el.focus({ preventScroll: true });
    el.scrollIntoView({ block: "start" });
  }

  // After "Apply this fix": the confirmation, not the body, gets the focus.
  document.addEventListener("htmx:afterSettle", function (e) {
    var t = e.detail && e.detail.target;
    if (t && t.id === "inspector") {
      var el = document.getElementById("inspector");
      bringIntoView((el && el.querySelector("[data-testid=fix-message]")) || el);
    }
  });

  // Copy a command-line equivalent: one command a line.
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest("button[data-copy]");
    if (!b) return;
    var pre = document.getElementById(b.getAttribute("data-copy"));
    var status = b.parentNode.querySelector("[data-copy-status]");
    if (!pre) return;
    var text = Array.prototype.map.call(pre.querySelectorAll(".cmd"), function (c) { return c.textContent; }).join("\n");
    function selected() {
      var r = document.createRange();
      r.selectNodeContents(pre);
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(r);
      if (status) status.textContent = "Selected: press Ctrl+C (⌘C on a Mac) to copy.";
    }
    // Selected at once (Ctrl+C works even where the clipboard API is
    // refused), copied when the browser allows it.
    selected();
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(function () {
        if (status) status.textContent = "Copied.";
      }, function () {});
    }
  });

  // New exchanges come into view beside the step that caused them: the side
  // column (sticky on a wide screen) scrolls to the first new exchange. On a
  // narrow screen the page stays at the step, which shows its own requests.
  var side = document.querySelector(".player-side");
  var lastSeen = Number((document.getElementById("diagram") || { getAttribute: function () { return 0; } }).getAttribute("data-last-seq")) || 0;
  function showNewExchanges(diagram) {
    if (!diagram) return;
    var last = Number(diagram.getAttribute("data-last-seq")) || 0;
    var first = null;
    diagram.querySelectorAll("[data-testid=exchange]").forEach(function (a) {
      if (!first && Number(a.getAttribute("data-seq")) > lastSeen) first = a;
    });
    lastSeen = Math.max(lastSeen, last);
    if (!first || !side || getComputedStyle(side).position !== "sticky") return;
    var top = first.getBoundingClientRect().top - side.getBoundingClientRect().top;
    side.scrollTop += top - 60;
  }

  // Live diagram: the server pushes whole fragments as server-sent events.
  function announce(diagram) {
    var live = document.getElementById("announce");
    var text = diagram && diagram.getAttribute("data-announce");
    if (live && text && live.getAttribute("data-last") !== diagram.getAttribute("data-last-seq")) {
      live.textContent = text;
      live.setAttribute("data-last", diagram.getAttribute("data-last-seq"));
    }
  }
  function replace(id, html) {
    var old = document.getElementById(id);
    if (!old) return null;
    var tpl = document.createElement("template");
    tpl.innerHTML = html.trim();
    var el = tpl.content.firstElementChild;
    if (!el) return null;
    // Keep the learner's open/closed choices.
    old.querySelectorAll("details[open]").forEach(function (d, i) {
      var n = el.querySelectorAll("details")[i];
      if (n) n.open = true;
    });
    old.replaceWith(el);
    if (window.htmx) window.htmx.process(el);
    return el;
  }
  var wrap = document.querySelector("[data-stream]");
  if (wrap && window.EventSource) {
    var es = new EventSource(wrap.getAttribute("data-stream"));
    es.addEventListener("diagram", function (e) {
      var el = replace("diagram", e.data);
      announce(el);
      reveal(0);
      // Traffic of the learner's own program: shown unless the learner is
      // reading an exchange in the inspector.
      var insp = document.getElementById("inspector");
      if (!insp || insp.classList.contains("empty")) showNewExchanges(el);
    });
    es.addEventListener("goal", function (e) { replace("goal", e.data); });
  }
  // Step runs bring only the diagram's new rows, out of band, when told
  // which diagram the page shows (its mark). The rows are for that mark
  // only: when the event stream replaced the diagram meanwhile, they are
  // dropped and the whole diagram is fetched instead.
  document.addEventListener("htmx:configRequest", function (e) {
    var d = document.getElementById("diagram");
    if (d && d.getAttribute("data-src")) e.detail.headers["X-Diagram-Mark"] = d.getAttribute("data-mark") || "";
  });
  var deltaStale = false, refetch = false;
  document.addEventListener("htmx:beforeSwap", function () { deltaStale = false; });
  document.addEventListener("htmx:oobBeforeSwap", function (e) {
    var id = e.detail.target && e.detail.target.id;
    if (id === "diagram-state") {
      var next = e.detail.fragment && e.detail.fragment.firstElementChild;
      var base = next && next.getAttribute("data-base");
      var d = document.getElementById("diagram");
      deltaStale = base !== null && (!d || base !== d.getAttribute("data-mark"));
      if (deltaStale) refetch = true;
    }
    if (deltaStale && (id === "diagram-state" || id === "diagram-rows" || id === "diagram-list")) e.detail.shouldSwap = false;
  });
  // The new state goes onto the diagram at once, so the next answer is
  // checked against it.
  document.addEventListener("htmx:oobAfterSwap", function () {
    var d = document.getElementById("diagram"), s = document.getElementById("diagram-state");
    if (!d || !s || !s.getAttribute("data-base") || s.getAttribute("data-mark") === d.getAttribute("data-mark")) return;
    ["data-count", "data-last-seq", "data-announce", "data-mark"].forEach(function (a) {
      d.setAttribute(a, s.getAttribute(a) || "");
    });
    var h = s.getAttribute("data-height"), svg = d.querySelector("svg.seq");
    if (svg && h) {
      svg.setAttribute("height", h);
      svg.setAttribute("viewBox", "0 0 " + s.getAttribute("data-width") + " " + h);
      d.querySelectorAll(".lifeline").forEach(function (l) { l.setAttribute("y2", String(Number(h) - 8)); });
    }
    var count = document.getElementById("diagram-count");
    if (count) count.textContent = s.getAttribute("data-requests");
  });
  // htmx swaps (step runs) bring the diagram out of band: announce them too.
  document.addEventListener("htmx:afterSettle", function () {
    var d = document.getElementById("diagram");
    if (refetch && d && d.getAttribute("data-src") && window.htmx) {
      refetch = false;
      window.htmx.ajax("GET", d.getAttribute("data-src"), { target: "#diagram", swap: "outerHTML" });
      return;
    }
    announce(d);
    showNewExchanges(d);
  });

  // Workshop dashboard: the server pushes the class table; the ticked
  // learners stay ticked across updates.
  var dash = document.querySelector("[data-dashboard-stream]");
  if (dash && window.EventSource) {
    var des = new EventSource(dash.getAttribute("data-dashboard-stream"));
    des.addEventListener("table", function (e) {
      var ticked = {};
      dash.querySelectorAll('input[name="members"]:checked').forEach(function (b) { ticked[b.value] = true; });
      var el = replace("dashboard-table", e.data);
      if (el) el.querySelectorAll('input[name="members"]').forEach(function (b) { b.checked = !!ticked[b.value]; });
    });
  }
  // A workshop learner's page: the instructor's messages and lesson moves.
  var note = document.querySelector("[data-notice-stream]");
  if (note && window.EventSource) {
    var nes = new EventSource(note.getAttribute("data-notice-stream"));
    nes.addEventListener("notice", function (e) { replace("workshop-notice", e.data); });
  }

  // Presenter: reveal the exchanges one at a time with the arrow keys.
  var presenter = document.querySelector("[data-presenter]");
  var shown = 1; // it opens on the first exchange
  function reveal(delta) {
    if (!presenter) return;
    var rows = presenter.querySelectorAll("[data-index]");
    shown = Math.max(0, Math.min(rows.length, shown + delta));
    rows.forEach(function (r) {
      r.classList.toggle("unrevealed", Number(r.getAttribute("data-index")) > shown);
    });
    var status = presenter.querySelector("[data-reveal-status]");
    if (status) status.textContent = shown + " of " + rows.length + " exchanges shown. Next (→) reveals one more, Back (←) hides one.";
    var back = presenter.querySelector("[data-reveal='-1']"), next = presenter.querySelector("[data-reveal='1']");
    if (back) back.disabled = shown === 0;
    if (next) next.disabled = shown === rows.length;
  }
  if (presenter) {
    reveal(0);
    var firstEx = presenter.querySelector("[data-index='1']");
    if (firstEx) firstEx.scrollIntoView({ block: "center" });
    // On-screen buttons: touch screens, and clickers that send clicks.
    presenter.addEventListener("click", function (e) {
      var b = e.target.closest && e.target.closest("button[data-reveal]");
      if (b) reveal(Number(b.getAttribute("data-reveal")));
    });
    document.addEventListener("keydown", function (e) {
      if (e.target.closest && e.target.closest("input, select, textarea")) return;
      var n = presenter.querySelectorAll("[data-index]").length;
      if (e.key === "ArrowRight" || e.key === " ") reveal(1);
      else if (e.key === "ArrowLeft") reveal(-1);
      else if (e.key === "Home") reveal(-n);
      else if (e.key === "End") reveal(n);
      else return;
      e.preventDefault();
    });
  }
})();
