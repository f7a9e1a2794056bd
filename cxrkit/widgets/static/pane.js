// cxrkit image pane: one image on a canvas, window/level, zoom, pan, measurement and probe in the page.
// The kernel sends an image once (a description and two buffers: uint16 modality values, and the 8-bit
// picture with the file's own window); everything else here happens without a round trip.
// Used by the ImageViewer and StudyBrowser modules (this file is put before theirs).

const PANE_PRESETS = { 1: "own", 2: "lung", 3: "bone", 4: "auto" };
const PANE_KEYS = [
  ["drag", "window/level (W/L tool): left-right width, up-down centre"],
  ["shift+drag, middle drag", "pan (or the pan tool)"],
  ["wheel", "zoom about the pointer"],
  ["double click, r", "fit and reset the window"],
  ["1 2 3 4", "presets: file, lung, bone, auto"],
  ["i", "invert"],
  ["w p m", "tools: window/level, pan, measure"],
  ["+ -", "zoom in / out"],
  ["Esc", "clear the measurement"],
];

function paneHTML() {
  return `
  <div class="cxp-bar">
    <span class="cxp-group">
      <button data-preset="own" title="the file's own window (1)">file</button><button data-preset="lung"
        title="stretch the darker range (2)">lung</button><button data-preset="bone"
        title="stretch the brighter range (3)">bone</button><button data-preset="auto"
        title="0.5-99.5 percentiles (4)">auto</button>
    </span>
    <button data-act="invert" title="invert (i)">invert</button>
    <button data-act="fit" title="fit the image and reset the window (r, double click)">reset</button>
    <span class="cxp-group">
      <button data-tool="window" title="drag sets window/level (w)">W/L</button><button data-tool="pan"
        title="drag pans (p; shift+drag always pans)">pan</button><button data-tool="measure"
        title="drag measures a length in mm (m)">measure</button>
    </span>
  </div>
  <div class="cxp-view">
    <canvas class="cxp-canvas"></canvas>
    <div class="cxp-caption"></div>
    <div class="cxp-values"></div>
    <div class="cxp-probe"></div>
    <div class="cxp-msg"></div>
  </div>`;
}

function createPane(host, options = {}) {
  const root = document.createElement("div");
  root.className = "cxp-pane";
  root.innerHTML = paneHTML();
  host.appendChild(root);
  const $ = (sel) => root.querySelector(sel);
  const canvas = $(".cxp-canvas");
  const view = $(".cxp-view");
  const ctx = canvas.getContext("2d");
  const off = document.createElement("canvas");
  const offCtx = off.getContext("2d");
  const lut = new Uint32Array(65536);
  const state = {
    img: null, // {meta, q: Uint16Array, own: Uint8Array, data: ImageData, px: Uint32Array}
    own: true, // the file's own window (the 8-bit picture sent) rather than a linear window
    preset: "own",
    c: 0,
    w: 1,
    invert: false,
    s: 1, // canvas CSS px per preview pixel
    tx: 0,
    ty: 0,
    fitted: true,
    tool: "window",
    line: null, // {a: [x, y], b: [x, y]} in preview pixels
    drag: null,
    pending: 0,
    cssW: 0,
    cssH: 0,
  };
  const pane = { root, state, onChange: null, onCommit: null, onFocus: null, lastPaintMs: 0 };

  function u16(dv) {
    // a Uint16Array of a message buffer; copied only when its offset is odd
    if (dv.byteOffset % 2 === 0) return new Uint16Array(dv.buffer, dv.byteOffset, dv.byteLength / 2);
    return new Uint16Array(dv.buffer.slice(dv.byteOffset, dv.byteOffset + dv.byteLength));
  }

  function fitScale() {
    const m = state.img.meta;
    return Math.min(state.cssW / m.cols, state.cssH / m.rows) || 1;
  }

  function fit() {
    if (!state.img) return;
    const m = state.img.meta;
    state.s = fitScale();
    state.tx = (state.cssW - m.cols * state.s) / 2;
    state.ty = (state.cssH - m.rows * state.s) / 2;
    state.fitted = true;
  }

  function buildLut() {
    const m = state.img.meta;
    const flip = m.mono1 !== state.invert;
    const lo = m.lo;
    const sc = m.scale;
    const c = state.c - 0.5;
    const w = state.w - 1;
    const low = c - w / 2;
    const thresh = state.w <= 1;
    for (let q = 0; q < 65536; q++) {
      const x = lo + q * sc;
      let y;
      if (thresh) y = x > state.c - 0.5 ? 1 : 0;
      else y = Math.min(1, Math.max(0, (x - low) / w));
      if (flip) y = 1 - y;
      const g = Math.floor(y * 255 + 0.5);
      lut[q] = 0xff000000 | (g << 16) | (g << 8) | g;
    }
  }

  function shadeInto(q, own, px, useOwn = state.own) {
    const n = own.length;
    if (useOwn) {
      const inv = state.invert;
      for (let i = 0; i < n; i++) {
        const g = inv ? 255 - own[i] : own[i];
        px[i] = 0xff000000 | (g << 16) | (g << 8) | g;
      }
    } else {
      for (let i = 0; i < n; i++) px[i] = lut[q[i]];
    }
  }

  function shade() {
    const im = state.img;
    const own = state.own || !im.q; // the 16-bit values not here yet: the file's picture meanwhile
    if (!own) buildLut();
    shadeInto(im.q, im.own, im.px, own);
    offCtx.putImageData(im.data, 0, 0);
    const t = state.tile;
    if (t) {
      shadeInto(t.q, t.own, t.px);
      t.ctx.putImageData(t.data, 0, 0);
    }
  }

  // --- full-resolution tiles: asked for when zoomed in past the preview's resolution ---------------

  function wantTile() {
    const m = state.img && state.img.meta;
    if (!m || !pane.onTile || m.shape[0] <= m.rows) return null; // not downsampled: nothing finer
    const dpr = window.devicePixelRatio || 1;
    if (state.s * dpr <= 1.25) return null; // preview pixels are not magnified yet
    const fy = m.shape[0] / m.rows;
    const fx = m.shape[1] / m.cols;
    const x0 = Math.max(0, -state.tx / state.s);
    const y0 = Math.max(0, -state.ty / state.s);
    const x1 = Math.min(m.cols, (state.cssW - state.tx) / state.s);
    const y1 = Math.min(m.rows, (state.cssH - state.ty) / state.s);
    if (x1 <= x0 || y1 <= y0) return null;
    const box = [Math.floor(y0 * fy), Math.ceil(y1 * fy), Math.floor(x0 * fx), Math.ceil(x1 * fx)];
    // worth it only when a tile (at most `size` a side) shows clearly more pixels than the preview does
    const size = m.max_size || 1024;
    const gain = Math.min(Math.max(box[1] - box[0], box[3] - box[2]), size) / Math.max(y1 - y0, x1 - x0);
    return gain > 1.5 ? box : null;
  }

  function covers(t, box) {
    return t && t.box[0] <= box[0] && t.box[1] >= box[1] && t.box[2] <= box[2] && t.box[3] >= box[3] &&
      t.cols >= 0.9 * Math.min(box[3] - box[2], t.size);
  }

  function askTile() {
    clearTimeout(state.tileTimer);
    state.tileTimer = setTimeout(() => {
      const box = wantTile();
      if (!box) {
        if (state.tile) {
          state.tile = null;
          delete root.dataset.tile;
          schedule(false);
        }
        return;
      }
      if (covers(state.tile, box)) return;
      state.tileToken = (state.tileToken || 0) + 1;
      pane.onTile({ box, token: state.tileToken });
    }, 200);
  }

  pane.setTile = function (msg, buffers) {
    if (!state.img || msg.token !== state.tileToken) return; // a tile asked for before a newer request
    const copy = (dv) => dv.buffer.slice(dv.byteOffset, dv.byteOffset + dv.byteLength);
    const canvas2 = document.createElement("canvas");
    canvas2.width = msg.cols;
    canvas2.height = msg.rows;
    const tctx = canvas2.getContext("2d");
    const data = tctx.createImageData(msg.cols, msg.rows);
    state.tile = {
      box: msg.box, rows: msg.rows, cols: msg.cols, size: msg.size || 1024,
      q: new Uint16Array(copy(buffers[0])), own: new Uint8Array(copy(buffers[1])),
      canvas: canvas2, ctx: tctx, data, px: new Uint32Array(data.data.buffer),
    };
    root.dataset.tile = JSON.stringify(msg.box);
    paint(true);
  };

  function shownValue(i) {
    // the grey level (0-255) pixel i is painted with
    return state.img.px[i] & 0xff;
  }

  function draw() {
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    if (!state.img) return;
    ctx.imageSmoothingEnabled = state.s < 2;
    ctx.setTransform(dpr * state.s, 0, 0, dpr * state.s, dpr * state.tx, dpr * state.ty);
    ctx.drawImage(off, 0, 0);
    const t = state.tile;
    if (t) {
      const m = state.img.meta;
      const fy = m.shape[0] / m.rows;
      const fx = m.shape[1] / m.cols;
      ctx.imageSmoothingEnabled = state.s * (t.box[3] - t.box[2]) / fx / t.cols < 2;
      ctx.drawImage(t.canvas, t.box[2] / fx, t.box[0] / fy, (t.box[3] - t.box[2]) / fx, (t.box[1] - t.box[0]) / fy);
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    if (state.line) {
      const [ax, ay] = toCanvas(state.line.a);
      const [bx, by] = toCanvas(state.line.b);
      ctx.strokeStyle = "#ffd54f";
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(ax, ay);
      ctx.lineTo(bx, by);
      ctx.stroke();
      for (const [x, y] of [[ax, ay], [bx, by]]) {
        ctx.beginPath();
        ctx.arc(x, y, 3, 0, 2 * Math.PI);
        ctx.stroke();
      }
      ctx.font = "bold 13px sans-serif";
      ctx.fillStyle = "#ffd54f";
      ctx.fillText(lengthText(true), bx + 8, by - 8);
    }
    showValues();
  }

  function paint(reshade) {
    const t0 = performance.now();
    if (reshade) shade();
    draw();
    const t1 = performance.now();
    pane.lastPaintMs = t1 - t0;
    root.dataset.paintedAt = t1.toFixed(1);
    root.dataset.paints = String((pane.paints = (pane.paints || 0) + 1)); // a paint counter (benchmarks)
    root.dataset.paintMs = pane.lastPaintMs.toFixed(2);
  }

  function schedule(reshade) {
    state.pending |= reshade ? 2 : 1;
    if (state.pending & 4) return;
    state.pending |= 4;
    requestAnimationFrame(() => {
      const r = (state.pending & 2) !== 0;
      state.pending = 0;
      paint(r);
    });
  }

  function toCanvas([x, y]) {
    return [state.tx + x * state.s, state.ty + y * state.s];
  }

  function toImage(cx, cy) {
    return [(cx - state.tx) / state.s, (cy - state.ty) / state.s];
  }

  function fmt(v) {
    const a = Math.abs(v);
    return a >= 100 ? v.toFixed(0) : a >= 1 ? v.toFixed(1) : v.toPrecision(3);
  }

  function zoomFactor() {
    return state.img ? state.s / fitScale() : 1;
  }

  function windowText() {
    const m = state.img.meta;
    let text;
    if (state.own && m.own_voi === "VOI LUT") text = "file VOI LUT";
    else text = `C ${fmt(state.c)} W ${fmt(state.w)}`;
    const name = state.preset ? ` (${state.preset === "own" ? "file" : state.preset})` : "";
    return `${text}${name}${state.invert ? " inverted" : ""} \u00b7 zoom ${zoomFactor().toFixed(2)}\u00d7`;
  }

  function lengthMm() {
    const m = state.img.meta;
    const { a, b } = state.line;
    const fy = m.shape[0] / m.rows;
    const fx = m.shape[1] / m.cols;
    const dy = (b[1] - a[1]) * fy;
    const dx = (b[0] - a[0]) * fx;
    if (!m.spacing) return { px: Math.hypot(dx, dy), mm: null };
    return { px: Math.hypot(dx, dy), mm: Math.hypot(dy * m.spacing[0], dx * m.spacing[1]) };
  }

  function lengthText(short) {
    const { px, mm } = lengthMm();
    if (mm === null) return `${px.toFixed(0)} px` + (short ? "" : " (no pixel spacing in the file)");
    const src = state.img.meta.spacing_source;
    const where = src === "ImagerPixelSpacing" ? ", at the detector" : "";
    return `${mm.toFixed(1)} mm` + (short ? "" : ` (from ${src}${where})`);
  }

  function showValues() {
    const el = $(".cxp-values");
    if (!state.img) {
      el.textContent = "";
      return;
    }
    el.textContent = windowText() + (state.line ? ` \u00b7 length ${lengthText(false)}` : "");
    root.dataset.center = state.c;
    root.dataset.width = state.w;
    root.dataset.zoom = zoomFactor();
    root.dataset.invert = state.invert ? "1" : "0";
    root.dataset.preset = state.preset || "";
    root.dataset.own = state.own ? "1" : "0";
    root.dataset.length = state.line ? JSON.stringify(lengthMm()) : "";
    root.dataset.view = JSON.stringify({ s: state.s, tx: state.tx, ty: state.ty });
    for (const b of root.querySelectorAll("[data-preset]")) {
      b.classList.toggle("cxp-on", b.dataset.preset === state.preset);
    }
    for (const b of root.querySelectorAll("[data-tool]")) {
      b.classList.toggle("cxp-on", b.dataset.tool === state.tool);
    }
    root.querySelector("[data-act=invert]").classList.toggle("cxp-on", state.invert);
  }

  function probe(cx, cy) {
    const el = $(".cxp-probe");
    if (!state.img) return;
    const m = state.img.meta;
    const [fx, fy] = toImage(cx, cy);
    const x = Math.floor(fx);
    const y = Math.floor(fy);
    if (x < 0 || y < 0 || x >= m.cols || y >= m.rows) {
      el.textContent = "";
      return;
    }
    const i = y * m.cols + x;
    if (!state.img.q) {
      el.textContent = `x ${Math.floor(fx * m.shape[1] / m.cols)} y ${Math.floor(fy * m.shape[0] / m.rows)}` +
        ` \u00b7 shown ${shownValue(i)} (values arriving)`;
      return;
    }
    let v = m.lo + state.img.q[i] * m.scale;
    let by = m.shape[0] / m.rows;
    let bx = m.shape[1] / m.cols;
    const t = state.tile; // zoomed in: read the full-resolution tile where it covers the point
    const fullY = fy * by;
    const fullX = fx * bx;
    if (t && fullY >= t.box[0] && fullY < t.box[1] && fullX >= t.box[2] && fullX < t.box[3]) {
      const ty = (t.box[1] - t.box[0]) / t.rows;
      const tx = (t.box[3] - t.box[2]) / t.cols;
      const r = Math.min(t.rows - 1, Math.floor((fullY - t.box[0]) / ty));
      const c = Math.min(t.cols - 1, Math.floor((fullX - t.box[2]) / tx));
      v = m.lo + t.q[r * t.cols + c] * m.scale;
      [by, bx] = [ty, tx];
    }
    const block = Math.round(by) > 1 ? ` (mean of ${Math.round(by)}\u00d7${Math.round(bx)})` : "";
    let stored = "";
    if (m.slope !== null && m.slope !== undefined && (m.slope !== 1 || m.intercept !== 0)) {
      stored = ` \u00b7 stored ${fmt((v - m.intercept) / m.slope)}`;
    }
    const label = "value";
    el.textContent =
      `x ${Math.floor(fullX)} y ${Math.floor(fullY)} \u00b7 ${label} ${fmt(v)}${block}${stored}` +
      ` \u00b7 shown ${shownValue(i)}`;
    root.dataset.probe = JSON.stringify({
      x, y, value: v, shown: shownValue(i), full: [Math.floor(fullX), Math.floor(fullY)], block: [by, bx],
    });
  }

  function snapshot() {
    return {
      c: state.c,
      w: state.w,
      invert: state.invert,
      own: state.own,
      preset: state.preset,
      zoom: zoomFactor(),
      // the image point at the centre of the view, as fractions of the image
      cx: state.img ? (state.cssW / 2 - state.tx) / state.s / state.img.meta.cols : 0.5,
      cy: state.img ? (state.cssH / 2 - state.ty) / state.s / state.img.meta.rows : 0.5,
    };
  }

  function changed(commit) {
    const st = snapshot();
    if (pane.onChange) pane.onChange(st);
    if (commit && pane.onCommit) pane.onCommit(st);
    if (commit) askTile();
  }

  // --- public -------------------------------------------------------------------------------------

  // buffers: [16-bit values, 8-bit picture], or [8-bit picture] alone with the values to follow in
  // setValues (the picture is all the first paint needs: a third of the bytes)
  pane.setImage = function (meta, buffers) {
    const own8 = buffers[buffers.length - 1];
    const q = buffers.length > 1 ? u16(buffers[0]) : null;
    const own = new Uint8Array(own8.buffer, own8.byteOffset, own8.byteLength); // no copy
    off.width = meta.cols;
    off.height = meta.rows;
    const data = offCtx.createImageData(meta.cols, meta.rows);
    state.img = { meta, q, own, data, px: new Uint32Array(data.data.buffer) };
    state.wantPreset = null;
    if (q) root.dataset.values = String(meta.seq ?? "");
    else delete root.dataset.values; // (the browser tests wait for the values with this)
    state.tile = null;
    state.tileToken = (state.tileToken || 0) + 1;
    delete root.dataset.tile;
    state.own = true;
    state.preset = "own";
    [state.c, state.w] = meta.presets.own;
    state.invert = false;
    state.line = null;
    $(".cxp-msg").textContent = "";
    $(".cxp-caption").textContent = meta.caption || "";
    root.classList.remove("cxp-empty");
    resize();
    fit();
    paint(true);
    root.dataset.shown = String(Number(root.dataset.shown || 0) + 1);
  };

  // the 16-bit values of the image shown (sent after its picture; seq says which image they belong to)
  pane.setValues = function (msg, buffers) {
    const im = state.img;
    if (!im || im.q || msg.seq !== im.meta.seq) return;
    im.q = u16(buffers[0]);
    Object.assign(im.meta.presets, msg.presets || {});
    root.dataset.values = String(msg.seq);
    const wanted = state.wantPreset;
    state.wantPreset = null;
    if (wanted && im.meta.presets[wanted]) pane.preset(wanted); // pressed before the values came
    else if (!state.own) schedule(true);
  };

  pane.clear = function (text, isError) {
    state.img = null;
    state.tile = null;
    delete root.dataset.tile;
    state.line = null;
    const msg = $(".cxp-msg");
    msg.textContent = text || "";
    msg.classList.toggle("cxp-error", !!isError);
    $(".cxp-caption").textContent = "";
    $(".cxp-probe").textContent = "";
    root.classList.add("cxp-empty");
    draw();
    showValues();
  };

  pane.hasImage = () => state.img !== null;
  pane.snapshot = snapshot;

  pane.setWindow = function (c, w, commit = true) {
    if (!state.img) return;
    state.own = false;
    state.preset = null;
    state.c = c;
    state.w = Math.max(w, 1e-3);
    schedule(true);
    changed(commit);
  };

  pane.preset = function (name) {
    if (!state.img) return;
    if (!state.img.meta.presets[name]) {
      state.wantPreset = name; // its window comes with the values: applied then
      return;
    }
    [state.c, state.w] = state.img.meta.presets[name];
    state.own = name === "own";
    state.preset = name;
    schedule(true);
    changed(true);
  };

  pane.toggleInvert = function () {
    if (!state.img) return;
    state.invert = !state.invert;
    schedule(true);
    changed(true);
  };

  pane.reset = function () {
    if (!state.img) return;
    state.line = null;
    fit();
    pane.preset("own");
  };

  pane.setTool = function (tool) {
    state.tool = tool;
    view.dataset.tool = tool;
    showValues();
  };

  pane.zoomBy = function (factor, cx, cy) {
    if (!state.img) return;
    if (cx === undefined) [cx, cy] = [state.cssW / 2, state.cssH / 2];
    const f0 = fitScale();
    const s = Math.min(Math.max(state.s * factor, f0 * 0.5), Math.max(f0 * 32, 16));
    const k = s / state.s;
    state.tx = cx - (cx - state.tx) * k;
    state.ty = cy - (cy - state.ty) * k;
    state.s = s;
    state.fitted = false;
    schedule(false);
    changed(true);
  };

  pane.clearLine = function () {
    state.line = null;
    schedule(false);
  };

  // follow another pane (compare mode): the same window, invert and zoom about the same image point
  pane.follow = function (st) {
    if (!state.img) return;
    state.invert = st.invert;
    if (st.own || st.preset) {
      state.preset = st.preset || "own";
      state.own = st.own;
      if (!state.img.meta.presets[state.preset]) {
        state.wantPreset = state.preset; // applied when the values come
        state.preset = "own";
        state.own = true;
      }
      [state.c, state.w] = state.img.meta.presets[state.preset];
    } else {
      state.own = false;
      state.preset = null;
      state.c = st.c;
      state.w = st.w;
    }
    state.s = fitScale() * st.zoom;
    state.tx = state.cssW / 2 - st.cx * state.img.meta.cols * state.s;
    state.ty = state.cssH / 2 - st.cy * state.img.meta.rows * state.s;
    schedule(true);
    askTile();
  };

  pane.key = function (e) {
    const k = e.key;
    if (PANE_PRESETS[k]) pane.preset(PANE_PRESETS[k]);
    else if (k === "i") pane.toggleInvert();
    else if (k === "r" || k === "0") pane.reset();
    else if (k === "w") pane.setTool("window");
    else if (k === "p") pane.setTool("pan");
    else if (k === "m") pane.setTool("measure");
    else if (k === "+" || k === "=") pane.zoomBy(1.25);
    else if (k === "-") pane.zoomBy(0.8);
    else if (k === "Escape" && state.line) pane.clearLine();
    else return false;
    return true;
  };

  pane.paintNow = () => paint(true);

  // --- events -------------------------------------------------------------------------------------

  function resize() {
    const r = view.getBoundingClientRect();
    const w = Math.max(1, Math.round(r.width));
    const h = Math.max(1, Math.round(r.height));
    if (w === state.cssW && h === state.cssH) return false;
    const dpr = window.devicePixelRatio || 1;
    state.cssW = w;
    state.cssH = h;
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
    canvas.style.width = `${w}px`;
    canvas.style.height = `${h}px`;
    return true;
  }

  const observer = new ResizeObserver(() => {
    if (resize() && state.img) {
      if (state.fitted) fit();
      paint(false);
    }
  });
  observer.observe(view);

  root.addEventListener("click", (e) => {
    const b = e.target.closest("button");
    if (!b) return;
    if (b.dataset.preset) pane.preset(b.dataset.preset);
    else if (b.dataset.tool) pane.setTool(b.dataset.tool);
    else if (b.dataset.act === "invert") pane.toggleInvert();
    else if (b.dataset.act === "fit") pane.reset();
  });

  function point(e) {
    const r = canvas.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  }

  canvas.addEventListener("contextmenu", (e) => e.preventDefault());
  canvas.addEventListener("pointerdown", (e) => {
    if (pane.onFocus) pane.onFocus(pane);
    if (!state.img) return;
    e.preventDefault();
    canvas.setPointerCapture(e.pointerId);
    const [x, y] = point(e);
    let mode = state.tool;
    if (e.shiftKey || e.button === 1) mode = "pan";
    if (e.button === 2) mode = "zoom";
    state.drag = { mode, x, y, c: state.c, w: state.w, tx: state.tx, ty: state.ty, s: state.s };
    if (mode === "measure") {
      const p = toImage(x, y);
      state.line = { a: p, b: p };
    }
  });
  canvas.addEventListener("pointermove", (e) => {
    const [x, y] = point(e);
    probe(x, y);
    const d = state.drag;
    if (!d) return;
    const dx = x - d.x;
    const dy = y - d.y;
    if (d.mode === "window") {
      const [lo, hi] = state.img.meta.range;
      const k = (hi - lo) / 400; // modality units per CSS pixel dragged
      state.own = false;
      state.preset = null;
      state.w = Math.max(1, d.w + dx * k);
      state.c = d.c + dy * k;
      schedule(true);
      changed(false);
    } else if (d.mode === "pan") {
      state.tx = d.tx + dx;
      state.ty = d.ty + dy;
      state.fitted = false;
      schedule(false);
      changed(false);
    } else if (d.mode === "zoom") {
      const k = Math.exp(-dy / 150) * (d.s / state.s);
      pane.zoomBy(k, d.x, d.y);
    } else if (d.mode === "measure") {
      state.line.b = toImage(x, y);
      schedule(false);
    }
  });
  const end = (e) => {
    if (!state.drag) return;
    const d = state.drag;
    state.drag = null;
    if (canvas.hasPointerCapture(e.pointerId)) canvas.releasePointerCapture(e.pointerId);
    if (d.mode === "measure" && state.line) {
      const { a, b } = state.line;
      if (Math.hypot(a[0] - b[0], a[1] - b[1]) * state.s < 3) state.line = null;
      schedule(false);
      if (pane.onMeasure) pane.onMeasure(state.line ? lengthMm() : null);
    }
    changed(true);
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  canvas.addEventListener("pointerleave", () => {
    $(".cxp-probe").textContent = "";
  });
  canvas.addEventListener(
    "wheel",
    (e) => {
      if (!state.img) return;
      e.preventDefault();
      e.stopPropagation();
      const [x, y] = point(e);
      const dy = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
      pane.zoomBy(Math.exp(-dy * 0.002), x, y);
    },
    { passive: false },
  );
  canvas.addEventListener("dblclick", (e) => {
    e.preventDefault();
    pane.reset();
  });

  pane.destroy = () => observer.disconnect();
  pane.setTool("window");
  pane.clear(options.empty || "no image");
  return pane;
}

// The key legend: [[keys, what], ...] as a table.
function legendHTML(rows) {
  const esc = (s) => s.replace(/[&<>]/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" })[ch]);
  return (
    '<div class="cx-legend-box"><b>Keys</b> (while the widget has focus; click it first)' +
    '<table>' +
    rows.map(([k, v]) => `<tr><td><kbd>${esc(k)}</kbd></td><td>${esc(v)}</td></tr>`).join("") +
    "</table><div class=\"cx-legend-close\">? or Esc closes this</div></div>"
  );
}

// Keys pressed while the widget has focus stay in it: JupyterLab never sees them (j/k would move cells).
function captureKeys(el, onKey) {
  el.tabIndex = 0;
  el.dataset.lmSuppressShortcuts = "true";
  el.addEventListener("pointerdown", (e) => {
    if (!e.target.closest("input, select, textarea")) el.focus({ preventScroll: true });
  });
  el.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return; // Ctrl+S and the like stay JupyterLab's
    e.stopPropagation();
    if (e.target.closest("input, select, textarea")) {
      if (e.key === "Escape") e.target.blur();
      return;
    }
    if (onKey(e)) e.preventDefault();
  });
  for (const type of ["keyup", "keypress"]) el.addEventListener(type, (e) => e.stopPropagation());
}
