// fmkb: sortable index tables, Copy BibTeX, link previews, the note graphs and a large site's search.
// Click a column heading of a .fmkb-sortable table to sort it (click again to reverse).
(function () {
  "use strict";
  function cellValue(row, col) {
    var cell = row.children[col];
    return cell ? cell.textContent.trim() : "";
  }
  function compare(a, b) {
    var na = parseFloat(a), nb = parseFloat(b);
    if (!isNaN(na) && !isNaN(nb) && /^[\d.\-]/.test(a) && /^[\d.\-]/.test(b)) return na - nb;
    return a.localeCompare(b, undefined, { sensitivity: "base", numeric: true });
  }
  function sortBy(table, th, col) {
    var body = table.tBodies[0];
    if (!body) return;
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (r1, r2) {
      var d = compare(cellValue(r1, col), cellValue(r2, col));
      return ascending ? d : -d;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  function init() {
    document.querySelectorAll("table.fmkb-sortable").forEach(function (table) {
      if (!table.tHead || table.dataset.fmkbSortable) return;
      table.dataset.fmkbSortable = "1";
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
        th.tabIndex = 0;
        th.addEventListener("click", function () { sortBy(table, th, col); });
        th.addEventListener("keydown", function (e) { if (e.key === "Enter") sortBy(table, th, col); });
      });
    });
  }
  // a Copy button on each paper card's BibTeX
  function copyButtons() {
    document.querySelectorAll("details.fmkb-bibtex").forEach(function (box) {
      if (box.dataset.fmkbCopy) return;
      box.dataset.fmkbCopy = "1";
      var button = document.createElement("button");
      button.type = "button";
      button.className = "fmkb-copy md-button";
      button.textContent = "Copy BibTeX";
      button.addEventListener("click", function () {
        var text = box.querySelector("code").textContent;
        navigator.clipboard.writeText(text).then(function () { button.textContent = "Copied"; });
      });
      box.insertAdjacentElement("afterend", button);
    });
  }
  // --- popovers: a preview of a wiki-link's target or a citation's reference ---------------
  // Shown on mouse hover (after a short delay) and on keyboard focus; hidden on leave, blur or
  // Escape. Touch taps just follow the link. Only this site's own HTML pages are read, and only
  // as text: a preview never puts another document's elements into this page.
  var pages = {};  // url without hash -> Promise of the parsed page
  var popover = null, owner = null, showTimer = 0, hideTimer = 0;
  function sameSite(url) {
    return url.origin === location.origin && /^https?:$/.test(url.protocol);
  }
  function page(url) {
    var key = url.split("#")[0];
    if (!pages[key]) {
      pages[key] = fetch(key, { credentials: "same-origin" }).then(function (r) {
        var type = r.headers.get("content-type") || "";
        if (!r.ok || type.indexOf("text/html") !== 0) throw new Error("not a page");
        return r.text();
      }).then(function (text) { return new DOMParser().parseFromString(text, "text/html"); });
    }
    return pages[key];
  }
  function textBlock(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    node.textContent = text.replace(/\s+/g, " ").replace(/\s*¶\s*$/, "").trim();
    return node;
  }
  function firstParagraph(container) {
    var ps = container.querySelectorAll(":scope > p");
    for (var i = 0; i < ps.length; i++) {
      if (!ps[i].classList.contains("fmkb-aliases") && ps[i].textContent.trim()) return ps[i];
    }
    return null;
  }
  function section(doc, id) {
    // a heading's own text: the first paragraph or list after it, before the next heading
    var heading = id && doc.getElementById(id);
    if (!heading) return null;
    if (!/^H[1-6]$/.test(heading.tagName)) return heading.closest("p, li") || heading;
    for (var n = heading.nextElementSibling; n && !/^H[1-6]$/.test(n.tagName); n = n.nextElementSibling) {
      if (/^(P|UL|OL)$/.test(n.tagName) && n.textContent.trim()) return n;
    }
    return null;
  }
  function excerpt(node) {
    // a list shows its first three items; everything is text
    if (/^(UL|OL)$/.test(node.tagName)) {
      var list = document.createElement("ul");
      Array.prototype.slice.call(node.children, 0, 3).forEach(function (li) { list.appendChild(textBlock("li", "", li.textContent)); });
      return list;
    }
    return textBlock("p", "", node.textContent);
  }
  function noteContent(link) {
    var url = new URL(link.getAttribute("href"), location.href);
    if (!sameSite(url)) return Promise.reject(new Error("another site"));
    return page(url.href).then(function (doc) {
      var box = document.createElement("div");
      var article = doc.querySelector("article.md-content__inner") || doc.body;
      var title = doc.querySelector("article h1");
      box.appendChild(textBlock("div", "fmkb-popover-title", title ? title.textContent : link.textContent));
      var meta = doc.querySelector('meta[name="fmkb:description"]');
      if (meta && meta.content) box.appendChild(textBlock("p", "fmkb-popover-description", meta.content));
      var part = url.hash ? section(doc, decodeURIComponent(url.hash.slice(1))) : firstParagraph(article);
      if (part) box.appendChild(excerpt(part));
      return box;
    });
  }
  function citeContent(link) {
    var url = new URL(link.getAttribute("href"), location.href);
    if (!sameSite(url)) return Promise.reject(new Error("another site"));
    var id = decodeURIComponent(url.hash.slice(1));
    var here = url.pathname === location.pathname && document.getElementById(id);
    var found = here ? Promise.resolve(here) : page(url.href).then(function (doc) { return doc.getElementById(id); });
    return found.then(function (entry) {
      if (!entry || !entry.closest("ol.fmkb-references")) throw new Error("no reference");
      return textBlock("div", "fmkb-popover-reference", entry.textContent);
    });
  }
  function place(link) {
    var r = link.getBoundingClientRect();
    var width = Math.min(400, window.innerWidth - 16);
    popover.style.width = width + "px";
    var left = Math.max(8, Math.min(r.left + window.scrollX, window.scrollX + window.innerWidth - width - 8));
    popover.style.left = left + "px";
    var below = r.bottom + window.scrollY + 6;
    popover.style.top = below + "px";
    var h = popover.offsetHeight;
    if (r.bottom + 6 + h > window.innerHeight && r.top - 6 - h > 0) popover.style.top = (r.top + window.scrollY - 6 - h) + "px";
  }
  function hide() {
    clearTimeout(showTimer);
    if (popover) popover.remove();
    if (owner) owner.removeAttribute("aria-describedby");
    popover = null; owner = null;
  }
  function show(link) {
    if (owner === link) return;
    hide();
    owner = link;
    var content;
    try {  // a malformed href (a bad %-escape) is no preview, not an error
      content = link.classList.contains("fmkb-cite") ? citeContent(link) : noteContent(link);
    } catch (e) {
      content = Promise.reject(e);
    }
    content.then(function (box) {
      if (owner !== link) return;
      popover = document.createElement("div");
      popover.className = "fmkb-popover md-typeset";
      popover.id = "fmkb-popover";
      popover.setAttribute("role", "tooltip");
      popover.appendChild(box);
      popover.addEventListener("pointerenter", function () { clearTimeout(hideTimer); });
      popover.addEventListener("pointerleave", function () { hideTimer = setTimeout(hide, 200); });
      document.body.appendChild(popover);
      link.setAttribute("aria-describedby", "fmkb-popover");
      place(link);
    }).catch(function () { if (owner === link) owner = null; });
  }
  var TARGETS = "article a.fmkb-link[href], article a.fmkb-cite[href]";
  function previews() {
    if (document.documentElement.dataset.fmkbPreviews) return;
    document.documentElement.dataset.fmkbPreviews = "1";
    document.addEventListener("pointerover", function (e) {
      var link = e.target.closest && e.target.closest(TARGETS);
      if (!link || e.pointerType === "touch") return;
      clearTimeout(hideTimer); clearTimeout(showTimer);
      showTimer = setTimeout(function () { show(link); }, 300);
    });
    document.addEventListener("pointerout", function (e) {
      var link = e.target.closest && e.target.closest(TARGETS);
      if (!link || (e.relatedTarget && link.contains(e.relatedTarget))) return;
      clearTimeout(showTimer);
      hideTimer = setTimeout(hide, 200);
    });
    document.addEventListener("focusin", function (e) {
      var link = e.target.closest && e.target.closest(TARGETS);
      if (link && link.matches(":focus-visible")) show(link);
    });
    document.addEventListener("focusout", function (e) {
      if (e.target.closest && e.target.closest(TARGETS)) hide();
    });
    document.addEventListener("keydown", function (e) { if (e.key === "Escape") hide(); });
  }

  // --- graphs: a note's neighbours, and the whole vault on the Graph page -------------------
  var SVG = "http://www.w3.org/2000/svg";
  function el(name, attrs, parent) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(node);
    return node;
  }
  function short(text, n) { return text.length > n ? text.slice(0, n - 1) + "…" : text; }
  function legend(container, kinds) {
    var ul = document.createElement("ul");
    ul.className = "fmkb-graph-legend";
    kinds.forEach(function (k) {
      var li = document.createElement("li");
      var dot = document.createElement("span");
      dot.className = "fmkb-graph-dot fmkb-g-" + k;
      li.appendChild(dot);
      li.appendChild(document.createTextNode(" " + k));
      ul.appendChild(li);
    });
    container.appendChild(ul);
  }
  function drawNode(svg, n, x, y, r, labelled, base) {
    var a = el("a", { href: n.url ? base + n.url : "#", class: "fmkb-graph-node fmkb-g-" + n.kind + (n.dir === "self" ? " fmkb-g-self" : "") }, svg);
    el("title", {}, a).textContent = n.title + " (" + n.kind + ")";
    el("circle", { cx: x.toFixed(1), cy: y.toFixed(1), r: r }, a);
    var t = el("text", { x: (x + r + 3).toFixed(1), y: (y + 4).toFixed(1), class: labelled ? "" : "fmkb-graph-hidden" }, a);
    t.textContent = short(n.title, 28);
    if (n.dir === "self") a.setAttribute("aria-current", "page");
    return a;
  }
  function localGraph(container) {
    if (container.dataset.drawn) return;
    container.dataset.drawn = "1";
    var data = JSON.parse(container.dataset.graph);
    var n = data.nodes.length, W = 640, H = Math.max(260, Math.min(520, 160 + n * 6));
    var svg = el("svg", { viewBox: "0 0 " + W + " " + H, role: "img", class: "fmkb-graph-svg",
      "aria-label": "Notes linked to and from " + data.nodes[0].title }, null);
    var pos = [[W / 2, H / 2]], radius = Math.min(W, H) / 2 - 40;
    for (var i = 1; i < n; i++) {
      var angle = -Math.PI / 2 + 2 * Math.PI * (i - 1) / (n - 1);
      pos.push([W / 2 + radius * 1.35 * Math.cos(angle), H / 2 + radius * Math.sin(angle)]);
    }
    var lines = el("g", { class: "fmkb-graph-links" }, svg);
    data.links.forEach(function (l) {
      var a = pos[l[0]], b = pos[l[1]];
      el("line", { x1: a[0].toFixed(1), y1: a[1].toFixed(1), x2: b[0].toFixed(1), y2: b[1].toFixed(1),
        class: (l[0] === 0 || l[1] === 0) ? "fmkb-graph-direct" : "" }, lines);
    });
    data.nodes.forEach(function (node, i) { drawNode(svg, node, pos[i][0], pos[i][1], i === 0 ? 8 : 5, n <= 31 || i === 0, ""); });
    container.appendChild(svg);
    var kinds = [];
    data.nodes.forEach(function (node) { if (kinds.indexOf(node.kind) < 0) kinds.push(node.kind); });
    legend(container, kinds);
    if (data.more) {
      var p = document.createElement("p");
      p.className = "fmkb-graph-more";
      p.textContent = "and " + data.more + " more linked notes, listed above.";
      container.appendChild(p);
    }
  }
  function layout(nodes, links, W, H) {
    // a force-directed layout (repulsion between all pairs, springs along links), computed up front
    var n = nodes.length, x = new Float64Array(n), y = new Float64Array(n);
    for (var i = 0; i < n; i++) {  // start on a spiral: deterministic, no overlap
      var a = i * 2.399963, r = 8 * Math.sqrt(i);
      x[i] = W / 2 + r * Math.cos(a); y[i] = H / 2 + r * Math.sin(a);
    }
    var k = Math.sqrt(W * H / Math.max(1, n)) * 0.9, dx = new Float64Array(n), dy = new Float64Array(n);
    for (var step = 0, t = W / 10; step < 200; step++, t *= 0.98) {
      dx.fill(0); dy.fill(0);
      for (i = 0; i < n; i++) for (var j = i + 1; j < n; j++) {
        var ex = x[i] - x[j], ey = y[i] - y[j], d2 = ex * ex + ey * ey + 0.01, f = k * k / d2;
        dx[i] += ex * f; dy[i] += ey * f; dx[j] -= ex * f; dy[j] -= ey * f;
      }
      links.forEach(function (l) {
        var s = l[0], e = l[1], ex = x[s] - x[e], ey = y[s] - y[e], d = Math.sqrt(ex * ex + ey * ey) + 0.01, f = d / k;
        dx[s] -= ex * f; dy[s] -= ey * f; dx[e] += ex * f; dy[e] += ey * f;
      });
      for (i = 0; i < n; i++) {
        var len = Math.sqrt(dx[i] * dx[i] + dy[i] * dy[i]) + 0.01, m = Math.min(len, t) / len;
        x[i] = Math.max(20, Math.min(W - 20, x[i] + dx[i] * m + (W / 2 - x[i]) * 0.01));
        y[i] = Math.max(20, Math.min(H - 20, y[i] + dy[i] * m + (H / 2 - y[i]) * 0.01));
      }
    }
    return [x, y];
  }
  function globalGraph(container) {
    if (container.dataset.drawn) return;
    container.dataset.drawn = "1";
    var config = document.getElementById("__config");
    var base = new URL((config && JSON.parse(config.textContent).base) || ".", location.href).href.replace(/\/?$/, "/");
    fetch(base + "graph.json").then(function (r) { return r.json(); }).then(function (data) {
      container.textContent = "";
      var W = 900, H = 640, xy = layout(data.nodes, data.links, W, H);
      var svg = el("svg", { viewBox: "0 0 " + W + " " + H, role: "img", class: "fmkb-graph-svg fmkb-graph-global-svg",
        "aria-label": "Graph of " + data.nodes.length + " notes and their links" }, null);
      var lines = el("g", { class: "fmkb-graph-links" }, svg);
      data.links.forEach(function (l) {
        el("line", { x1: xy[0][l[0]].toFixed(1), y1: xy[1][l[0]].toFixed(1), x2: xy[0][l[1]].toFixed(1), y2: xy[1][l[1]].toFixed(1) }, lines);
      });
      var ranked = data.nodes.map(function (n, i) { return i; }).sort(function (a, b) { return data.nodes[b].degree - data.nodes[a].degree; });
      var labelled = {};
      ranked.slice(0, 12).forEach(function (i) { labelled[i] = true; });
      data.nodes.forEach(function (node, i) {
        drawNode(svg, node, xy[0][i], xy[1][i], 3 + Math.min(9, Math.sqrt(node.degree)), !!labelled[i], base);
      });
      container.appendChild(svg);
      var kinds = [];
      data.nodes.forEach(function (node) { if (kinds.indexOf(node.kind) < 0) kinds.push(node.kind); });
      legend(container, kinds);
      var p = document.createElement("p");
      p.className = "fmkb-graph-more";
      p.textContent = data.total > data.nodes.length
        ? "Showing the " + data.nodes.length + " most linked of " + data.total + " notes."
        : "All " + data.total + " notes.";
      container.appendChild(p);
    }).catch(function () { container.textContent = "The graph could not be loaded."; });
  }
  function graphs() {
    document.querySelectorAll(".fmkb-graph-local[data-graph]").forEach(localGraph);
    document.querySelectorAll(".fmkb-graph-global").forEach(globalGraph);
  }

  // --- sharded full-text search (large sites: fulltext.py writes the index) -----------------
  // Material's search box, answered from small index files fetched as a query needs them.
  // Results are drawn in a list of our own (Material's is hidden), from text only.
  var MARKS = /[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]/g;
  var CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\u{20000}-\u{3ffff}";
  var CJK_RUNS = new RegExp("[" + CJK + "]+|[^" + CJK + "]+", "gu"), IS_CJK = new RegExp("^[" + CJK + "]", "u");
  function searchTerms(text) {  // as fulltext.terms splits a page: CJK runs into pairs of characters
    var folded = text.toLowerCase().normalize("NFKD").replace(MARKS, ""), out = [];
    (folded.match(/[\p{L}\p{N}]+/gu) || []).forEach(function (run) {
      (run.match(CJK_RUNS) || []).forEach(function (part) {
        if (IS_CJK.test(part)) {
          var chars = Array.from(part);
          if (chars.length === 1) out.push(part);
          for (var i = 0; i + 1 < chars.length; i++) out.push(chars[i] + chars[i + 1]);
        } else if (part.length <= 40) out.push(part);
      });
    });
    return out;
  }
  function shardedSearch() {
    var marker = document.querySelector('meta[name="fmkb:search"]');
    var query = document.querySelector("input.md-search__input");
    var wrap = document.querySelector(".md-search__scrollwrap");
    if (!marker || !query || !wrap || query.dataset.fmkbSearch) return;
    query.dataset.fmkbSearch = "1";
    var config = document.getElementById("__config");
    var base = new URL((config && JSON.parse(config.textContent).base) || ".", location.href).href.replace(/\/?$/, "/");
    var root = base + "search/fmkb/";
    var files = {}, manifest = null, serial = 0;
    function json(name) {
      if (!files[name]) {
        files[name] = fetch(root + name).then(function (r) {
          if (!r.ok) throw new Error(r.status);
          return r.json();
        });
        files[name].catch(function () { delete files[name]; });
      }
      return files[name];
    }
    document.querySelector(".md-search").classList.add("fmkb-sharded");
    var box = document.createElement("div");
    box.className = "md-search-result fmkb-search-result";
    var meta = document.createElement("div");
    meta.className = "md-search-result__meta";
    meta.textContent = "Type to start searching";
    var list = document.createElement("ol");
    list.className = "md-search-result__list";
    list.setAttribute("role", "presentation");
    box.appendChild(meta);
    box.appendChild(list);
    wrap.appendChild(box);
    function shardOf(term) {  // the last shard whose first term is not after `term`
      var s = manifest.shards, lo = 0, hi = s.length - 1;
      while (lo < hi) {
        var mid = (lo + hi + 1) >> 1;
        if (s[mid] <= term) lo = mid; else hi = mid - 1;
      }
      return lo;
    }
    // pages (number -> score) of the terms equal to `term`, or starting with it
    function lookup(term, prefix) {
      var first = shardOf(term), wanted = [first];
      for (var i = first + 1; prefix && i < manifest.shards.length && wanted.length < 3 &&
           manifest.shards[i].lastIndexOf(term, 0) === 0; i++) wanted.push(i);
      return Promise.all(wanted.map(function (i) { return json("t" + i + ".json"); })).then(function (shards) {
        var found = {};
        shards.forEach(function (shard) {
          Object.keys(shard).forEach(function (key) {
            var exact = key === term;
            if (!exact && !(prefix && key.lastIndexOf(term, 0) === 0)) return;
            var list = shard[key], page = 0, weight = exact ? 1 : 0.5, j = 0;
            if (list[0] < 0) { found.more = true; j = 1; }  // its best pages only: more have the word
            for (; j < list.length; j += 2) {
              page += list[j];
              var score = list[j + 1] * weight;
              if (!(found[page] >= score)) found[page] = score;
            }
          });
        });
        return found;
      });
    }
    var answered = "";  // the query the list shows the answer to
    function search(text) {
      var terms = searchTerms(text), mine = ++serial;
      if (!terms.length) {
        list.textContent = ""; meta.textContent = "Type to start searching"; answered = text;
        return Promise.resolve();
      }
      var start = manifest ? Promise.resolve(manifest) : json("manifest.json");
      return start.then(function (m) {
        manifest = m;
        // a word of three letters or more may be the start of a longer one; a shorter one
        // only matches itself (a prefix that short would read many shards)
        var asks = terms.map(function (t) { return lookup(t, t.length > 2); });
        var whole = terms.join(" ");
        asks.push(lookup("=" + whole, whole.length > 3));
        return Promise.all(asks);
      }).then(function (found) {
        if (mine !== serial) return null;
        var titles = found.pop(), total = {}, matched = {}, more = false;
        found.forEach(function (pages) {
          more = more || !!pages.more;
          delete pages.more;
          Object.keys(pages).forEach(function (p) {
            total[p] = (total[p] || 0) + pages[p];
            matched[p] = (matched[p] || 0) + 1;
          });
        });
        Object.keys(titles).forEach(function (p) {  // a title or alias: exact first, then begun
          total[p] = (total[p] || 0) + (titles[p] >= 1e5 ? 1e8 : 1e7);  // exact: 1000.00 (fulltext.py)
          matched[p] = terms.length;
        });
        // the notes with more of the query's words first (a word in no note, "s" of "Müller's",
        // does not hide the rest), then by score
        var ranked = Object.keys(total);
        ranked.forEach(function (p) { total[p] += 1e5 * matched[p]; });
        ranked.sort(function (a, b) { return total[b] - total[a] || a - b; });
        return show(ranked, total, 0, mine, more, text);
      }).catch(function () {
        if (mine === serial) meta.textContent = "Search is unavailable: its index could not be loaded.";
      });
    }
    // ten results at a time (each needs its page-list file), then a button for ten more
    function show(ranked, total, from, mine, more, text) {
      var shown = ranked.slice(from, from + 10);
      return Promise.all(shown.map(function (p) {
        return json("d" + Math.floor(p / manifest.per_file) + ".json").then(function (f) { return f[p % manifest.per_file]; });
      })).then(function (rows) {
        if (mine !== serial) return;
        if (from === 0) {  // the new answer replaces the last one at once, when it is complete
          answered = text;
          box.setAttribute("data-fmkb-answered", answered);  // which query the list answers
          list.textContent = "";
          meta.textContent = ranked.length === 0 ? "No matching notes"
            : more ? "More than " + ranked.length + " matching notes (the best shown)"
            : ranked.length === 1 ? "1 matching note" : ranked.length + " matching notes";
        }
        var more = list.querySelector(".fmkb-search-more");
        if (more) more.parentNode.removeChild(more);
        rows.forEach(function (row, i) {
          var target = new URL(row[0], base);
          if (target.origin !== location.origin) return;  // a page of this site, nothing else
          var li = document.createElement("li");
          li.className = "md-search-result__item";
          var a = document.createElement("a");
          a.className = "md-search-result__link";
          a.tabIndex = -1;
          a.href = target.href;
          var article = document.createElement("article");
          article.className = "md-search-result__article md-typeset";
          article.setAttribute("data-md-score", String(total[shown[i]]));
          var h = document.createElement("h1");
          h.textContent = row[1];
          var p = document.createElement("p");
          p.textContent = row[2];
          article.appendChild(h);
          article.appendChild(p);
          a.appendChild(article);
          li.appendChild(a);
          list.appendChild(li);
        });
        if (ranked.length > from + 10) {
          var li = document.createElement("li");
          li.className = "md-search-result__item fmkb-search-more";
          var button = document.createElement("button");
          button.type = "button";
          button.className = "md-button";
          button.textContent = "Show " + Math.min(10, ranked.length - from - 10) + " more";
          button.addEventListener("click", function () {
            button.disabled = true;  // once: a second click while the next ten load adds nothing
            show(ranked, total, from + 10, mine, more, text);
          });
          li.appendChild(button);
          list.appendChild(li);
        }
      });
    }
    var typing = 0;  // a query is looked up once the reader pauses, not at every keystroke
    query.addEventListener("input", function () {
      clearTimeout(typing);
      typing = setTimeout(function () { search(query.value); }, 120);
    });
    query.form.addEventListener("reset", function () { search(""); });
    // the arrow keys and Enter move through these results (Material's handler knows only its own list)
    window.addEventListener("keydown", function (e) {
      var open = document.getElementById("__search");
      if (!open || !open.checked || ["ArrowDown", "ArrowUp", "Enter"].indexOf(e.key) < 0) return;
      var links = [query].concat(Array.prototype.slice.call(list.querySelectorAll("a[href], .fmkb-search-more button")));
      var at = links.indexOf(document.activeElement);
      if (e.key === "Enter") {
        if (at !== 0) return;  // on a result, Enter follows it
        e.preventDefault(); e.stopPropagation();
        var open = function () {
          var first = list.querySelector("a[href]");
          if (first) first.click();
        };
        if (answered === query.value) open();
        else { clearTimeout(typing); search(query.value).then(open); }  // the list still shows an older query's answer
        return;
      }
      e.preventDefault(); e.stopPropagation();
      var next = (Math.max(0, at) + links.length + (e.key === "ArrowUp" ? -1 : 1)) % links.length;
      links[next].focus();
    }, true);
  }

  function initAll() { init(); copyButtons(); previews(); graphs(); hide(); shardedSearch(); }
  if (typeof document$ !== "undefined") { document$.subscribe(initAll); }  // Material instant navigation
  else if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", initAll); }
  else { initAll(); }
})();
