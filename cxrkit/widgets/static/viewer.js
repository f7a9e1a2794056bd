// cxrkit ImageViewer: one pane, its keys and its legend (pane.js comes first).
export default {
  render({ model, el }) {
    el.classList.add("cxrkit-viewer", "cx-root");
    el.style.setProperty("--cxp-height", model.get("height"));
    const legend = document.createElement("div");
    legend.className = "cx-legend";
    legend.hidden = true;
    legend.innerHTML = legendHTML([...PANE_KEYS, ["?", "this legend"]]);
    const pane = createPane(el);
    el.appendChild(legend);
    pane.onCommit = (st) => model.send({ kind: "window", ...st });
    pane.onMeasure = (len) => model.send({ kind: "measure", length: len });
    pane.onTile = (req) => model.send({ kind: "tile", ...req });
    captureKeys(el, (e) => {
      if (e.key === "?") legend.hidden = !legend.hidden;
      else if (e.key === "Escape" && !legend.hidden) legend.hidden = true;
      else return pane.key(e);
      return true;
    });
    const onMsg = (msg, buffers) => {
      if (msg.kind === "image") pane.setImage(msg, buffers);
      else if (msg.kind === "clear") pane.clear(msg.text, msg.error);
      else if (msg.kind === "tile") pane.setTile(msg, buffers);
      else if (msg.kind === "window") {
        if (msg.preset) pane.preset(msg.preset);
        else pane.setWindow(msg.c, msg.w, false);
        if (msg.invert !== undefined && msg.invert !== pane.state.invert) pane.toggleInvert();
      }
    };
    model.on("msg:custom", onMsg);
    model.send({ kind: "ready" });
    return () => {
      model.off("msg:custom", onMsg);
      pane.destroy();
    };
  },
};
