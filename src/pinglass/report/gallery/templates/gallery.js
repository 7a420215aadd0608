(function () {
  "use strict";
  // Every value below reaches the page through textContent, src or setAttribute: never as HTML.
  var data = JSON.parse(document.getElementById("pg-data").textContent);
  var grid = document.getElementById("grid");
  var tiles = Array.prototype.slice.call(grid.children);
  var byFile = {};
  tiles.forEach(function (t) { if (t.dataset.file) { byFile[t.dataset.file] = t; } });
  var storeKey = "pinglass-keep:" + document.body.dataset.run;
  var kept = loadKept();
  var current = null;

  function $(id) { return document.getElementById(id); }
  function el(tag, text) { var e = document.createElement(tag); if (text != null) { e.textContent = text; } return e; }
  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function loadKept() {
    var list = [];
    try { list = JSON.parse(localStorage.getItem(storeKey) || "[]"); } catch (e) { list = []; }
    return new Set(list.filter(function (f) { return byFile[f]; }));
  }
  function saveKept() {
    try { localStorage.setItem(storeKey, JSON.stringify(Array.from(kept).sort())); } catch (e) { /* private mode: kept for this visit only */ }
  }
  function paintKeep(button, file) {
    var on = kept.has(file);
    button.setAttribute("aria-pressed", on ? "true" : "false");
    button.textContent = on ? "\u2605 kept" : "\u2606 keep";
  }
  function paintAllKeeps() {
    tiles.forEach(function (t) {
      var b = t.querySelector(".keep");
      if (b) { paintKeep(b, t.dataset.file); t.classList.toggle("kept", kept.has(t.dataset.file)); }
    });
    $("kept-count").textContent = kept.size;
    var d = current && data[current];
    $("d-keep").hidden = !(d && d.file);
    if (d && d.file) { paintKeep($("d-keep"), d.file); }
    if (!$("export-box").hidden) { $("export-text").value = keptText(); }
  }
  function toggleKeep(file) {
    if (kept.has(file)) { kept.delete(file); } else { kept.add(file); }
    saveKept();
    paintAllKeeps();
    if ($("filter").value === "kept") { applyFilter(); }
  }
  function keptText() { return Array.from(kept).sort().join("\n") + (kept.size ? "\n" : ""); }

  function likeOf(t) { return t.dataset.like === "" ? null : parseFloat(t.dataset.like); }
  function applySort() {
    var how = $("sort").value;
    var sorted = tiles.slice().sort(function (a, b) {
      var oa = +a.dataset.order, ob = +b.dataset.order;
      if (how !== "order") {
        var la = likeOf(a), lb = likeOf(b);
        if (la !== lb) {
          if (la === null) { return 1; }
          if (lb === null) { return -1; }
          return how === "like-desc" ? lb - la : la - lb;
        }
      }
      return oa - ob;
    });
    var frag = document.createDocumentFragment();
    sorted.forEach(function (t) { frag.appendChild(t); });
    grid.appendChild(frag);
  }
  function matches(t, how) {
    var s = t.dataset.status;
    if (how === "made") { return (s === "succeeded" || s === "reused") && !!t.dataset.file; }
    if (how === "problems") { return s === "failed" || s === "not_run" || !t.dataset.file; }
    if (how === "kept") { return kept.has(t.dataset.file); }
    return true;
  }
  function applyFilter() {
    var how = $("filter").value, n = 0;
    tiles.forEach(function (t) { t.hidden = !matches(t, how); if (!t.hidden) { n += 1; } });
    $("shown").textContent = n + " of " + tiles.length + " shown";
  }

  function show(anchor) {
    var d = data[anchor];
    if (!d) { hide(); return; }
    current = anchor;
    $("d-title").textContent = pad(d.index) + " " + d.id;
    var img = $("d-full");
    img.hidden = !d.src;
    if (d.src) { img.src = d.src; img.alt = d.id; } else { img.removeAttribute("src"); }
    var missing = $("d-missing");
    missing.hidden = !!d.src;
    missing.textContent = d.error ? d.error.kind.replace(/_/g, " ") + ": " + d.error.message : d.status.replace(/_/g, " ");
    $("d-error").hidden = !d.error;
    $("d-error").textContent = d.error ? d.error.kind + ": " + d.error.message : "";
    $("d-prompt").textContent = d.prompt;
    var fields = $("d-fields");
    fields.replaceChildren();
    d.fields.forEach(function (f) { fields.appendChild(el("dt", f[0])); fields.appendChild(el("dd", f[1])); });
    var refs = $("d-refs");
    refs.replaceChildren();
    if (!d.references.length) { refs.appendChild(el("p", "none recorded")); }
    d.references.forEach(function (r) {
      var fig = el("figure");
      if (r.src) { var i = el("img"); i.src = r.src; i.alt = r.name; fig.appendChild(i); }
      fig.appendChild(el("figcaption", r.src ? r.name : r.name + " (no copy in this folder)"));
      refs.appendChild(fig);
    });
    var list = $("d-rerolls");
    list.replaceChildren();
    $("d-rerolls-box").hidden = !d.rerolls.length;
    d.rerolls.forEach(function (r) {
      var li = el("li");
      if (r.thumb) { var a = el("a"); a.href = r.src; var i = el("img"); i.src = r.thumb; i.alt = r.id; a.appendChild(i); li.appendChild(a); }
      var text = r.status.replace(/_/g, " ") + " \u00b7 seed " + r.seed + " \u00b7 " + r.cost + " \u00b7 likeness " + r.likeness;
      li.appendChild(el("span", r.error ? text + " \u00b7 " + r.error : text));
      list.appendChild(li);
    });
    $("detail").hidden = false;
    document.body.classList.add("has-detail");
    paintAllKeeps();
  }
  function hide() {
    var was = current;
    current = null;
    $("detail").hidden = true;
    $("d-full").removeAttribute("src");
    document.body.classList.remove("has-detail");
    var tile = was && $(was);
    if (tile) { tile.scrollIntoView({ block: "nearest" }); var a = tile.querySelector("a"); if (a) { a.focus({ preventScroll: true }); } }
  }
  function go(anchor) { history.replaceState(null, "", "#" + anchor); show(anchor); }
  function close() { history.replaceState(null, "", location.pathname + location.search); hide(); }
  function step(by) {
    var shown = Array.prototype.filter.call(grid.children, function (t) { return !t.hidden; });
    if (!shown.length) { return; }
    var at = shown.indexOf($(current));
    var next = at < 0 ? 0 : (at + by + shown.length) % shown.length;
    go(shown[next].id);
  }
  function route() {
    var anchor = decodeURIComponent(location.hash.slice(1));
    if (data[anchor]) { show(anchor); } else if (current) { hide(); }
  }

  grid.addEventListener("click", function (ev) {
    var keep = ev.target.closest(".keep");
    var tile = ev.target.closest(".tile");
    if (keep && tile) { toggleKeep(tile.dataset.file); return; }
    var pic = ev.target.closest("a.pic");
    if (pic && !ev.ctrlKey && !ev.metaKey && !ev.shiftKey) { ev.preventDefault(); location.hash = pic.dataset.anchor; }
  });
  $("d-keep").addEventListener("click", function () { var d = data[current]; if (d && d.file) { toggleKeep(d.file); } });
  $("d-prev").addEventListener("click", function () { step(-1); });
  $("d-next").addEventListener("click", function () { step(1); });
  $("d-close").addEventListener("click", close);
  $("sort").addEventListener("change", applySort);
  $("filter").addEventListener("change", applyFilter);
  $("export").addEventListener("click", function () {
    var text = keptText();
    $("export-box").hidden = false;
    $("export-text").value = text;
    var a = el("a");
    a.href = URL.createObjectURL(new Blob([text], { type: "text/plain" }));
    a.download = "kept.txt";
    document.body.appendChild(a);
    a.click();
    a.remove();
  });
  document.addEventListener("keydown", function (ev) {
    if (!current || ev.altKey || ev.ctrlKey || ev.metaKey) { return; }
    if (ev.key === "ArrowRight") { ev.preventDefault(); step(1); }
    else if (ev.key === "ArrowLeft") { ev.preventDefault(); step(-1); }
    else if (ev.key === "Escape") { ev.preventDefault(); close(); }
  });
  window.addEventListener("hashchange", route);

  applyFilter();
  paintAllKeeps();
  route();
  document.documentElement.dataset.ready = "1";
}());
