// cxrkit StudyBrowser: filters, worklist, timeline, image panes, report, labels (pane.js comes first).
// Everything shown arrives in custom messages from the kernel; nothing is kept in widget state.

const BROWSER_KEYS = [
  ["j  \u2193", "next study"],
  ["k  \u2191", "previous study"],
  ["n  \u2192", "next image of the study"],
  ["b  \u2190", "previous image"],
  ["PageDown PageUp", "next / previous page of the list"],
  ["c", "compare with a prior study (again: back to one image)"],
  ["[  ]", "compare with an earlier / later prior"],
  ["h", "frontal and lateral side by side"],
  ...PANE_KEYS,
  ["/", "jump to the report search box"],
  ["?", "this legend"],
];

function esc(s) {
  return String(s).replace(/[&<>"]/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[ch]);
}

function browserHTML() {
  return `
  <div class="cxb-filters">
    <input class="cxb-patient" data-filter="patient" list="" placeholder="patient id" title="a patient id (8 digits, with or without the p; filters as you type)">
    <select data-filter="view" title="a view some image of the study has"></select>
    <select data-filter="split" title="the recommended split of the study's images"></select>
    <span class="cxb-label">label <select data-filter="label_source"></select><select data-filter="label_category"></select><select data-filter="label_value"></select></span>
    <input class="cxb-text" data-filter="text" placeholder="words in the report" title="words the report contains; the list follows as you type (/ jumps here)">
    <button class="cxb-clear">clear filters</button>
    <span class="cxb-help" title="keys">? keys</span>
    <span class="cxb-notice"></span>
  </div>
  <div class="cxb-main">
    <div class="cxb-left">
      <div class="cxb-count"></div>
      <div class="cxb-list"></div>
      <div class="cxb-pager">
        <button data-page="-1" title="previous page (PageUp)">\u2039 page</button>
        <span class="cxb-pageno"></span>
        <button data-page="1" title="next page (PageDown)">page \u203a</button>
      </div>
      <div class="cxb-steps">
        <button class="cxrkit-prev" data-step="-1" title="previous study (k)">\u2191 previous</button>
        <button class="cxrkit-next" data-step="1" title="next study (j)">\u2193 next</button>
      </div>
    </div>
    <div class="cxb-center">
      <div class="cxb-title"></div>
      <div class="cxb-timeline"></div>
      <div class="cxb-modes">
        <button data-mode="single" title="one image">one image</button><button data-mode="compare"
          title="beside a prior study of the patient (c)">compare with prior</button><button data-mode="hang"
          title="frontal and lateral side by side (h)">frontal + lateral</button>
        <span class="cxb-interval"></span>
      </div>
      <div class="cxb-panes"><div class="cxb-pane cxb-a"></div><div class="cxb-pane cxb-b"></div></div>
      <div class="cxb-thumbs"></div>
    </div>
    <div class="cxb-right">
      <div class="cxb-cur"><div class="cxb-prior-head"></div><div class="cxb-report cxrkit-report"></div></div>
      <div class="cxb-prior-report"></div>
      <div class="cxb-labels"></div>
      <details class="cxb-header"><summary>DICOM header</summary><div class="cxb-header-table"></div></details>
    </div>
  </div>
  <div class="cx-legend" hidden></div>`;
}

function fillSelect(sel, options, value) {
  sel.innerHTML = options.map(([v, t]) => `<option value="${esc(v)}">${esc(t)}</option>`).join("");
  sel.value = value || "";
}

export default {
  render({ model, el }) {
    el.classList.add("cxrkit-browser", "cxb-root", "cx-root");
    el.style.setProperty("--cxp-height", model.get("height"));
    el.innerHTML = browserHTML();
    const $ = (sel) => el.querySelector(sel);
    const send = (msg) => {
      el.dataset.sentAt = performance.now().toFixed(1); // for the paint-latency measurements
      model.send(msg);
    };
    const legend = $(".cx-legend");
    legend.innerHTML = legendHTML(BROWSER_KEYS);
    const panes = { a: createPane($(".cxb-a")), b: createPane($(".cxb-b")) };
    let mode = "single";
    let study = null;
    let list = null;
    let syncing = false;
    for (const slot of ["a", "b"]) panes[slot].onTile = (req) => send({ kind: "tile", slot, ...req });
    // window and zoom follow each other in compare mode
    for (const [name, other] of [["a", "b"], ["b", "a"]]) {
      panes[name].onChange = (st) => {
        if (mode !== "compare" || syncing) return;
        syncing = true;
        panes[other].follow(st);
        syncing = false;
      };
    }

    // --- filters ---
    const timers = {};
    for (const input of el.querySelectorAll(".cxb-filters [data-filter]")) {
      const name = input.dataset.filter;
      const fire = () => send({ kind: "filter", name, value: input.value });
      if (input.tagName === "SELECT") input.addEventListener("change", fire);
      else {
        input.addEventListener("input", () => {
          clearTimeout(timers[name]);
          timers[name] = setTimeout(fire, 400); // as you type, once the typing pauses
        });
        input.addEventListener("keydown", (e) => {
          if (e.key === "Enter") {
            clearTimeout(timers[name]);
            fire();
          }
        });
      }
    }
    $(".cxb-clear").addEventListener("click", () => send({ kind: "clear_filters" }));
    $(".cxb-help").addEventListener("click", () => (legend.hidden = !legend.hidden));

    function showFilters(msg) {
      const q = (n) => el.querySelector(`[data-filter=${n}]`);
      const v = msg.values_set;
      fillSelect(q("view"), [["", "any view"], ...msg.views.map((x) => [x, x])], v.view);
      fillSelect(q("split"), [["", "any split"], ...msg.splits.map((x) => [x, x])], v.split);
      q("split").disabled = !msg.splits.length;
      const hasLabels = msg.sources.length > 0;
      fillSelect(q("label_source"), hasLabels ? msg.sources.map((x) => [x, x]) : [["", "no labels"]], v.label_source);
      fillSelect(q("label_category"), msg.categories.map((x) => [x, x]), v.label_category);
      fillSelect(q("label_value"), [["", "any label"], ...msg.values.map((x) => [x, x])], v.label_value);
      for (const n of ["label_source", "label_category", "label_value"]) q(n).disabled = !hasLabels;
      q("patient").value = v.patient;
      q("text").value = v.text;
      q("text").disabled = !msg.has_reports;
      if (!msg.has_reports) q("text").placeholder = "no reports in this copy";
      let dl = el.querySelector("datalist");
      if (!dl) {
        dl = document.createElement("datalist");
        dl.id = `cxb-patients-${Math.random().toString(36).slice(2)}`;
        el.appendChild(dl);
        q("patient").setAttribute("list", dl.id);
      }
      dl.innerHTML = msg.patients.map((p) => `<option value="${esc(p)}">`).join("");
    }

    // --- list ---
    const listEl = $(".cxb-list");
    function showList(msg) {
      list = msg;
      const count = $(".cxb-count");
      count.textContent = msg.count;
      count.classList.toggle("cxb-error", msg.error);
      listEl.innerHTML = msg.rows
        .map(([sid, text]) => {
          // "p1  s2  date  n img  views": two short lines that fit the column
          const [p, s, date, n, views] = text.split(/ {2}/);
          const cur = sid === msg.current ? " cxb-current" : "";
          return `<div class="cxb-row${cur}" data-sid="${sid}" title="${esc(text)}"><span class="cxb-l1">${esc(p)} \u00b7 ${esc(date || "")}</span>` +
            `<span class="cxb-l2">${esc(s)} \u00b7 ${esc(n || "")} \u00b7 ${esc(views || "")}</span></div>`;
        })
        .join("");
      $(".cxb-pageno").textContent = msg.pages > 1 ? `page ${msg.page + 1} of ${msg.pages}` : "";
      $(".cxb-pager").style.display = msg.pages > 1 ? "" : "none";
      el.querySelector("[data-page='-1']").disabled = msg.page === 0;
      el.querySelector("[data-page='1']").disabled = msg.page >= msg.pages - 1;
      el.querySelector("[data-step='-1']").disabled = !msg.rows.length || msg.first;
      el.querySelector("[data-step='1']").disabled = !msg.rows.length || msg.last;
      const cur = listEl.querySelector(".cxb-current");
      if (cur) {
        const top = cur.offsetTop - listEl.offsetTop;
        if (top < listEl.scrollTop || top + cur.offsetHeight > listEl.scrollTop + listEl.clientHeight) {
          listEl.scrollTop = top - listEl.clientHeight / 3;
        }
      }
    }
    listEl.addEventListener("click", (e) => {
      const row = e.target.closest(".cxb-row");
      if (row) send({ kind: "select", study_id: Number(row.dataset.sid) });
    });
    el.addEventListener("click", (e) => {
      const b = e.target.closest("button");
      if (!b || b.disabled) return;
      if (b.dataset.page) send({ kind: "page", page: list.page + Number(b.dataset.page) });
      else if (b.dataset.step) step(Number(b.dataset.step));
      else if (b.dataset.mode) send({ kind: "mode", mode: b.dataset.mode });
    });

    // --- timeline: one dot per study on a time axis (compact for hundreds of studies) ---
    function showTimeline(tl, current, prior) {
      const box = $(".cxb-timeline");
      const items = tl.items;
      const times = items.map((it) => it[1]).filter((t) => t !== null);
      const t0 = Math.min(...times);
      const t1 = Math.max(...times);
      const span = t1 - t0 || 1;
      const dated = items.filter((it) => it[1] !== null);
      const undated = items.filter((it) => it[1] === null);
      const dots = dated
        .map(([sid, t, label, n], i) => {
          const x = times.length > 1 ? (100 * (t - t0)) / span : 50;
          const cls = sid === current ? " cxb-now" : sid === prior ? " cxb-then" : "";
          return `<span class="cxb-dot${cls}" data-sid="${sid}" style="left:${x.toFixed(3)}%" title="${esc(label)} \u00b7 ${n} image${n === 1 ? "" : "s"} (study ${i + 1} of ${items.length})"></span>`;
        })
        .join("");
      const first = dated.length ? dated[0][2].slice(0, 10) : "";
      const last = dated.length ? dated[dated.length - 1][2].slice(0, 10) : "";
      const extra = undated.length ? ` \u00b7 ${undated.length} without a date` : "";
      const pick = mode === "compare" ? "click a dot to compare with it" : "click a dot to open it";
      box.innerHTML =
        `<div class="cxb-tl-head">${esc(tl.subject)}: ${items.length} stud${items.length === 1 ? "y" : "ies"} in time order` +
        `${extra} \u00b7 ${pick}</div><div class="cxb-axis">${dots}</div>` +
        `<div class="cxb-tl-ends"><span>${esc(first)}</span><span>${esc(last)}</span></div>`;
    }
    $(".cxb-timeline").addEventListener("click", (e) => {
      const dot = e.target.closest(".cxb-dot");
      if (dot) send({ kind: "timeline", study_id: Number(dot.dataset.sid) });
    });

    // --- one study ---
    function showStudy(msg) {
      study = msg;
      mode = msg.mode;
      el.dataset.mode = mode;
      $(".cxb-title").innerHTML = msg.title;
      showTimeline(msg.timeline, msg.study_id, msg.prior ? msg.prior.study_id : null);
      for (const b of el.querySelectorAll("[data-mode]")) b.classList.toggle("cxp-on", b.dataset.mode === mode);
      $(".cxb-thumbs").innerHTML = msg.thumbs
        .map((t) => {
          const pic = t.src
            ? `<img src="${t.src}" alt="${esc(t.view)}">`
            : `<div class="cxb-missing cxrkit-missing">${esc(t.note)}</div>`;
          const cur = t.dicom_id === msg.dicom_id ? " cxb-current" : "";
          const dis = t.src ? "" : " cxb-disabled";
          return `<div class="cxb-thumb${cur}${dis}" data-dicom="${esc(t.dicom_id)}" title="${esc(t.view)}">${pic}<span>${esc(t.view)}</span></div>`;
        })
        .join("");
      $(".cxb-report").innerHTML = msg.report;
      $(".cxb-labels").innerHTML = msg.labels;
      $(".cxb-header summary").textContent = msg.header_title;
      $(".cxb-header-table").innerHTML = msg.header;
      const p = msg.prior;
      $(".cxb-interval").textContent = p ? `prior ${p.interval}` : "";
      $(".cxb-prior-head").innerHTML = p ? `<div class="cxb-sub">current study</div>` : "";
      $(".cxb-prior-report").innerHTML = p
        ? `<div class="cxb-sub">${p.title} \u00b7 <b>${esc(p.interval)}</b></div><div class="cxb-report-prior">${p.report}</div>`
        : "";
    }
    $(".cxb-thumbs").addEventListener("click", (e) => {
      const t = e.target.closest(".cxb-thumb");
      if (t && !t.classList.contains("cxb-disabled")) send({ kind: "image", dicom_id: t.dataset.dicom });
    });

    function showPane(slot, msg, buffers) {
      if (msg.op === "image") panes[slot].setImage(msg, buffers);
      else panes[slot].clear(msg.text, msg.error);
      if (slot === "b" && mode === "compare" && panes.a.hasImage()) {
        syncing = true;
        panes.b.follow(panes.a.snapshot());
        syncing = false;
      }
    }

    const onMsg = (msg, buffers) => {
      el.dataset[`got${msg.kind.replace(":", "")}`] = performance.now().toFixed(1);
      if (msg.kind === "filters") showFilters(msg);
      else if (msg.kind === "list") showList(msg);
      else if (msg.kind === "study") showStudy(msg);
      else if (msg.kind === "pane:a") showPane("a", msg, buffers);
      else if (msg.kind === "pane:b") showPane("b", msg, buffers);
      else if (msg.kind === "values:a" || msg.kind === "values:b") panes[msg.kind.slice(-1)].setValues(msg, buffers);
      else if (msg.kind === "tile") panes[msg.slot].setTile(msg, buffers);
      else if (msg.kind === "done" && msg.request === "step") stepDone();
      else if (msg.kind === "notice") {
        const n = $(".cxb-notice");
        n.textContent = msg.text;
        setTimeout(() => (n.textContent = ""), 6000);
      }
    };
    model.on("msg:custom", onMsg);

    // --- next / previous study: while the kernel works on one step, further presses add up (a held key
    // does not queue a study per repeat); the kernel says when it is done with each request
    let stepping = false;
    let queued = 0;
    let stepTimer = null;
    function step(delta) {
      if (stepping) {
        queued += delta;
        return;
      }
      stepping = true;
      clearTimeout(stepTimer);
      stepTimer = setTimeout(stepDone, 5000); // never stuck if an answer is lost
      send({ kind: "step", delta });
    }
    function stepDone() {
      stepping = false;
      clearTimeout(stepTimer);
      if (queued) {
        const d = queued;
        queued = 0;
        step(d);
      }
    }

    // --- keys on the whole widget ---
    const visible = () => (mode === "single" ? [panes.a] : [panes.a, panes.b]);
    captureKeys(el, (e) => {
      const k = e.key;
      if (k === "?") legend.hidden = !legend.hidden;
      else if (k === "Escape" && !legend.hidden) legend.hidden = true;
      else if (k === "j" || k === "ArrowDown") step(1);
      else if (k === "k" || k === "ArrowUp") step(-1);
      else if (k === "n" || k === "ArrowRight") send({ kind: "next_image", delta: 1 });
      else if (k === "b" || k === "ArrowLeft") send({ kind: "next_image", delta: -1 });
      else if (k === "PageDown" && list) send({ kind: "page", page: list.page + 1 });
      else if (k === "PageUp" && list) send({ kind: "page", page: list.page - 1 });
      else if (k === "c") send({ kind: "mode", mode: "compare" });
      else if (k === "h") send({ kind: "mode", mode: "hang" });
      else if (k === "[") send({ kind: "prior_step", delta: -1 });
      else if (k === "]") send({ kind: "prior_step", delta: 1 });
      else if (k === "/") $(".cxb-text").focus();
      else {
        const shown = mode === "compare" ? [panes.a] : visible(); // in compare mode b follows a
        let done = false;
        for (const p of shown) done = p.key(e) || done;
        if (mode === "compare" && ["w", "p", "m"].includes(k)) panes.b.key(e);
        return done;
      }
      return true;
    });
    model.send({ kind: "ready" });
    return () => {
      model.off("msg:custom", onMsg);
      panes.a.destroy();
      panes.b.destroy();
    };
  },
};
