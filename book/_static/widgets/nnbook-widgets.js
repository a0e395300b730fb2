/* nnbook widgets: interactive figures that work in the static site.
 *
 * Vanilla JavaScript (ES2017), no dependencies, no network requests. A
 * chapter embeds a widget as an element
 *
 *     <div class="nnbook-widget" data-nnbook-widget="KIND" data-...="..." hidden></div>
 *
 * written by a hidden code cell from the chapter's own Python objects (the
 * data-* attributes hold JSON, except data-title, data-caption and
 * data-loss, which are plain text). The element stays hidden, and the chapter's
 * static figure is all a reader without JavaScript (or a printout) gets,
 * until this script has built the widget inside it.
 *
 * The numbers are computed in double precision with the formulas of nnbook's
 * Python, in the same order of operations. A chapter may also pass values
 * it computed with nnbook (data-check, data-expected): the widget checks
 * itself against them and logs a console error on a mismatch, which the
 * browser tests catch, so the page and the Python cannot drift apart.
 *
 * Kinds: "sigmoid-neuron", "gradient-descent", "conv-stepper", "draw-digit".
 * The last fetches networks the book exported with
 * nnbook.widgets.export_network_json (data-model, a path from the site's
 * root, or data-models, a list of {name, path, label}) from the same server,
 * runs them in double precision, and sets data-model-ready once they are all
 * loaded and checked against the PyTorch logits stored in their files. The
 * labelled test digits stored with the first network are offered to load and
 * edit; the board also works by keyboard (arrow keys, Space, Delete).
 *
 * Every control is a native one (range inputs, buttons, radio buttons, a
 * checkbox) or the focusable board, so all of it works by keyboard; a button
 * that gets disabled while focused hands the focus on instead of dropping it.
 *
 * Test hooks: window.nnbookWidgets.sigmoidNeuron (gradientDescent,
 * convStepper, drawDigit) is the first widget of that kind on the page; every widget is
 * also in window.nnbookWidgets.all and on its element as .nnbookWidget. Each
 * has state(), which returns the exact numbers the widget shows. Output
 * elements carry their unrounded value in data-value.
 */
(() => {
  "use strict";

  const SVG_NS = "http://www.w3.org/2000/svg";
  const BLUE = "#0072B2";
  const VERMILLION = "#D55E00";
  const GREEN = "#009E73";
  const MINUS = "\u2212";

  // ---------------------------------------------------------------------
  // Small helpers
  // ---------------------------------------------------------------------

  let counter = 0;
  const uniqueId = (prefix) => `nnbook-${prefix}-${++counter}`;

  function setAttributes(node, attributes) {
    for (const [key, value] of Object.entries(attributes)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    return node;
  }

  function append(node, children) {
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  /** An HTML element. */
  const h = (tag, attributes = {}, ...children) =>
    append(setAttributes(document.createElement(tag), attributes), children);

  /** An SVG element. */
  const s = (tag, attributes = {}, ...children) =>
    append(setAttributes(document.createElementNS(SVG_NS, tag), attributes), children);

  /** A data-* attribute of the widget's element, parsed as JSON. */
  function data(root, name, fallback) {
    const raw = root.dataset[name];
    if (raw === undefined) {
      if (fallback === undefined) {
        const attribute = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
        throw new Error(`the element has no data-${attribute} attribute`);
      }
      return fallback;
    }
    return JSON.parse(raw);
  }

  /** A number for the reader: fixed decimals, a real minus sign, never "-0.00". */
  function fmt(x, digits) {
    if (Number.isNaN(x)) return "NaN";
    if (!Number.isFinite(x)) return x < 0 ? `${MINUS}\u221e` : "\u221e";
    let text = Math.abs(x) >= 1e4 ? x.toExponential(2) : x.toFixed(digits);
    if (/^-0\.?0*$/.test(text)) text = text.slice(1);
    return text.replace("-", MINUS);
  }

  /** A number in a short form like Python's "{:g}" (for slider and tick labels). */
  const short = (x) =>
    (Math.abs(x) >= 1e5 ? Number(x.toPrecision(3)).toExponential().replace("e+", "e") : String(Number(x.toPrecision(6)))).replace("-", MINUS);

  /** Keep SVG coordinates finite and of sane size (NaN in an attribute is a console error). */
  const clamp = (value, low, high) => (Number.isNaN(value) ? low : Math.min(high, Math.max(low, value)));
  const coordinate = (value) => clamp(value, -1e5, 1e5).toFixed(2);

  /** A linear map from [d0, d1] to [r0, r1]. */
  const scale = (d0, d1, r0, r1) => (v) => r0 + ((v - d0) / (d1 - d0)) * (r1 - r0);

  /**
   * Enable or disable a button. A focused button that gets disabled would
   * drop the keyboard focus to the page's body: it hands it to `next`.
   */
  function setDisabled(button, disabled, next) {
    const focused = document.activeElement === button;
    button.disabled = disabled;
    if (disabled && focused) next.focus();
  }

  /** Set an <output>'s text and its unrounded value. */
  function show(output, value, text) {
    output.textContent = text;
    output.dataset.value = String(value);
  }

  /** A labelled range input with its value shown next to it. */
  function slider({ label, min, max, step, value, format, describe, onInput, toValue = (v) => v }) {
    const id = uniqueId("slider");
    const input = h("input", { type: "range", id, min, max, step });
    input.value = String(value);
    const output = h("output", { for: id, class: "nnbook-value" });
    const update = () => {
      const v = Number(input.value);
      output.textContent = format(v);
      output.dataset.value = String(toValue(v));
      input.setAttribute("aria-valuetext", describe ? describe(v) : format(v));
    };
    input.addEventListener("input", () => {
      update();
      onInput(toValue(Number(input.value)));
    });
    update();
    if (Number(input.value) !== Number(value)) {
      // The page would show another number than the chapter computed with.
      const name = label instanceof Node ? label.textContent : label;
      console.error(`nnbook widget: ${name} starts at ${value}, which the slider (step ${step}) cannot show`);
    }
    return { input, output, label: h("label", { for: id }, label), update };
  }

  /**
   * Axes with ticks in a plot area; returns the group. Labels are placed in
   * units of their font size (dy in em), so that they keep clear of each
   * other at any size: on a phone the plots shrink and their text grows.
   */
  function axes({ x, y, xTicks, yTicks, xLabel, yLabel, box, xFormat = short, yFormat = short }) {
    const [left, top, right, bottom] = box;
    const g = s("g", { class: "nnbook-axes" });
    g.append(s("line", { x1: left, y1: bottom, x2: right, y2: bottom }));
    g.append(s("line", { x1: left, y1: top, x2: left, y2: bottom }));
    for (const t of xTicks) {
      g.append(s("line", { x1: coordinate(x(t)), y1: bottom, x2: coordinate(x(t)), y2: bottom + 4 }));
      // A label at a corner starts (or ends) there, clear of the y axis's labels.
      const anchor = x(t) - left < 1 ? "start" : right - x(t) < 1 ? "end" : "middle";
      const at = anchor === "start" ? x(t) - 3 : anchor === "end" ? x(t) + 3 : x(t);
      g.append(s("text", { x: coordinate(at), y: bottom + 5, dy: "0.8em", "text-anchor": anchor }, xFormat(t)));
    }
    const yTexts = yTicks.map(yFormat);
    yTicks.forEach((t, i) => {
      g.append(s("line", { x1: left - 4, y1: coordinate(y(t)), x2: left, y2: coordinate(y(t)) }));
      g.append(s("text", { x: left - 7, y: coordinate(y(t)), dy: "0.35em", "text-anchor": "end" }, yTexts[i]));
    });
    // The axis labels are 1.1 times the ticks' size. The x label sits below
    // the tick labels (about 1.3 tick heights down); the y label, turned,
    // left of the widest tick label (digits are about 0.6 em wide).
    if (xLabel) g.append(s("text", { x: (left + right) / 2, y: bottom + 5, dy: "1.95em", "text-anchor": "middle", class: "nnbook-axis-label" }, xLabel));
    if (yLabel) {
      const widest = Math.max(0.7, ...yTexts.map(textWidth));
      g.append(s("text", {
        x: 0, y: 0, dy: `${(-(widest + 0.5) / 1.1).toFixed(2)}em`, "text-anchor": "middle", class: "nnbook-axis-label",
        transform: `translate(${left - 7} ${(top + bottom) / 2}) rotate(-90)`,
      }, yLabel));
    }
    return g;
  }

  /** The width of a tick label in em, from the widths of the glyphs of a sans-serif font. */
  const textWidth = (text) => [...text].reduce((w, c) => w + (c === MINUS ? 0.84 : /[.,]/.test(c) ? 0.32 : 0.64), 0);

  /** Ticks at multiples of a round step, about `count` of them. */
  function ticks(low, high, count = 5) {
    const raw = (high - low) / count;
    const power = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((v) => v >= raw);
    const out = [];
    for (let t = Math.ceil(low / step) * step; t <= high + 1e-9 * step; t += step) out.push(Number(t.toPrecision(12)));
    return out;
  }

  const points = (xs, ys) => xs.map((v, i) => `${coordinate(v)},${coordinate(ys[i])}`).join(" ");

  function plotBox(svg, box) {
    const id = uniqueId("clip");
    const [left, top, right, bottom] = box;
    svg.append(s("defs", {}, s("clipPath", { id }, s("rect", { x: left, y: top, width: right - left, height: bottom - top }))));
    return `url(#${id})`;
  }

  // ---------------------------------------------------------------------
  // 1. The sigmoid neuron (book/neurons.md)
  // ---------------------------------------------------------------------

  /** σ(z) as nnbook.activations.sigmoid computes it: 1 / (1 + exp(-z)), 0 once exp(-z) overflows. */
  function sigmoid(z) {
    return 1 / (1 + Math.exp(-z));
  }

  /** z = w·x + b, as nnbook.neuron.weighted_input: the dot product, then the bias. */
  function weightedInput(x, w, b) {
    let dot = 0;
    for (let j = 0; j < w.length; j++) dot += x[j] * w[j];
    return dot + b;
  }

  function sigmoidNeuron(root) {
    const factors = data(root, "factors");
    const labels = data(root, "labels", factors.map((f) => f.replace(/_/g, " ")));
    const w = data(root, "weights").map(Number);
    const x = data(root, "x").map(Number);
    let b = Number(data(root, "bias"));
    const [wMin, wMax, wStep] = data(root, "weightRange", [-6, 6, 0.1]);
    const [bMin, bMax, bStep] = data(root, "biasRange", [-6, 6, 0.1]);
    const [xMin, xMax, xStep] = data(root, "xRange", [0, 1, 0.05]);
    const [zLow, zHigh] = data(root, "zRange", [-10, 10]);
    if (w.length !== factors.length || x.length !== factors.length || labels.length !== factors.length) {
      throw new Error(`${factors.length} factors need as many weights, values and labels`);
    }

    // Check the formula against the values the chapter computed with nnbook.
    for (const c of data(root, "check", [])) {
      const a = sigmoid(weightedInput(c.x, c.w, c.b));
      if (!(Math.abs(a - c.a) <= 1e-12)) {
        console.error(`nnbook widget: σ(w·x + b) for x = ${JSON.stringify(c.x)} is ${a} here but ${c.a} in nnbook`);
      }
    }

    const outputs = {};
    const newOutput = (name) => (outputs[name] = h("output", { class: "nnbook-value", "data-name": name }));

    // Controls: one row per factor (its value and its weight), then the bias.
    const rows = factors.map((factor, j) => {
      const xs = slider({
        label: h("span", {}, labels[j], h("span", { class: "nnbook-symbol" }, ` x${subscript(j + 1)}`)),
        min: xMin, max: xMax, step: xStep, value: x[j], format: (v) => fmt(v, 2),
        describe: (v) => `${labels[j]}: ${fmt(v, 2)}`,
        onInput: (v) => { x[j] = v; update(); },
      });
      const ws = slider({
        label: h("span", { class: "nnbook-visually-hidden" }, `weight of ${labels[j]}`),
        min: wMin, max: wMax, step: wStep, value: w[j], format: (v) => fmt(v, 1),
        describe: (v) => `weight of ${labels[j]}: ${fmt(v, 1)}`,
        onInput: (v) => { w[j] = v; update(); },
      });
      xs.input.dataset.name = `x-${factor}`;
      ws.input.dataset.name = `w-${factor}`;
      return h("tr", {},
        h("th", { scope: "row" }, xs.label),
        h("td", {}, xs.input, xs.output),
        h("td", {}, ws.label, ws.input, ws.output),
        h("td", { class: "nnbook-num" }, newOutput(`contribution-${factor}`)));
    });
    const bs = slider({
      label: "bias b", min: bMin, max: bMax, step: bStep, value: b, format: (v) => fmt(v, 1),
      describe: (v) => `bias: ${fmt(v, 1)}`,
      onInput: (v) => { b = v; update(); },
    });
    bs.input.dataset.name = "bias";
    rows.push(h("tr", { class: "nnbook-bias-row" },
      h("th", { scope: "row" }, bs.label), h("td", {}, "\u2014"),
      h("td", {}, bs.input, bs.output), h("td", { class: "nnbook-num" }, newOutput("contribution-bias"))));

    const table = h("table", { class: "nnbook-neuron-controls" },
      h("thead", {}, h("tr", {},
        h("th", { scope: "col" }, "factor"), h("th", { scope: "col" }, "value x"),
        h("th", { scope: "col" }, "weight w"), h("th", { scope: "col" }, "w\u00b7x"))),
      h("tbody", {}, rows));

    // The plot of σ, with the step function for comparison.
    const W = 360, H = 230;
    const box = [46, 12, W - 12, H - 42];
    const zx = scale(zLow, zHigh, box[0], box[2]);
    const ay = scale(0, 1, box[3], box[1]);
    const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, class: "nnbook-plot", role: "img" });
    const clip = plotBox(svg, box);
    svg.append(axes({ x: zx, y: ay, xTicks: ticks(zLow, zHigh, 4), yTicks: [0, 0.5, 1], xLabel: "z = w\u00b7x + b", yLabel: "output", box }));
    const grid = Array.from({ length: 241 }, (_, i) => zLow + ((zHigh - zLow) * i) / 240);
    svg.append(s("polyline", { points: points([box[0], zx(0), zx(0), box[2]], [ay(0), ay(0), ay(1), ay(1)]), class: "nnbook-step-curve", "clip-path": clip }));
    svg.append(s("polyline", { points: points(grid.map(zx), grid.map((z) => ay(sigmoid(z)))), class: "nnbook-curve", stroke: BLUE, "clip-path": clip }));
    const guideV = s("line", { class: "nnbook-guide" });
    const guideH = s("line", { class: "nnbook-guide" });
    const marker = s("circle", { r: 6, fill: VERMILLION, class: "nnbook-marker" });
    const offChart = s("text", { class: "nnbook-offchart nnbook-text-vermillion", "text-anchor": "middle" });
    svg.append(guideV, guideH, marker, offChart);
    svg.append(s("text", { x: box[0] + 6, y: box[1] + 14, class: "nnbook-legend nnbook-text-blue" }, "\u03c3(z), sigmoid neuron"));
    svg.append(s("text", { x: box[0] + 6, y: box[1] + 14, dy: "1.2em", class: "nnbook-legend nnbook-muted" }, "- - step, perceptron"));

    const bar = h("span", { class: "nnbook-bar-fill" });
    const result = h("div", { class: "nnbook-neuron-result", "aria-live": "polite" },
      h("p", {}, "z = w\u00b7x + b = ", newOutput("z")),
      h("p", { class: "nnbook-big" }, "a = \u03c3(z) = ", newOutput("a")),
      h("p", {}, h("span", { class: "nnbook-bar", "aria-hidden": "true" }, bar)),
      h("p", {}, "perceptron (step): ", newOutput("perceptron")));

    let state = null;
    function update() {
      const z = weightedInput(x, w, b);
      const a = sigmoid(z);
      const perceptron = z > 0 ? 1 : 0;
      factors.forEach((factor, j) => {
        const c = x[j] * w[j] + 0; // + 0 turns the -0 of a negative weight times 0 into 0
        show(outputs[`contribution-${factor}`], c, fmt(c, 2));
      });
      show(outputs["contribution-bias"], b, fmt(b, 2));
      show(outputs.z, z, fmt(z, 2));
      show(outputs.a, a, fmt(a, 4));
      show(outputs.perceptron, perceptron, perceptron ? "1, go" : "0, stay at home");
      bar.style.width = `${(100 * a).toFixed(2)}%`;
      const cx = zx(clamp(z, zLow, zHigh));
      const cy = ay(a);
      setAttributes(marker, { cx: coordinate(cx), cy: coordinate(cy) });
      setAttributes(guideV, { x1: coordinate(cx), x2: coordinate(cx), y1: box[3], y2: coordinate(cy) });
      setAttributes(guideH, { x1: box[0], x2: coordinate(cx), y1: coordinate(cy), y2: coordinate(cy) });
      const outside = z < zLow || z > zHigh;
      offChart.textContent = outside ? `z = ${fmt(z, 1)} ${z > 0 ? "\u2192" : "\u2190"}` : "";
      setAttributes(offChart, { x: coordinate(clamp(cx, box[0] + 30, box[2] - 30)), y: coordinate(cy + (a > 0.5 ? 22 : -12)) });
      svg.setAttribute("aria-label", `Plot of the sigmoid: at z = ${fmt(z, 2)} the output is ${fmt(a, 4)}`);
      state = { factors: factors.slice(), x: x.slice(), w: w.slice(), b, z, a, perceptron };
    }

    root.append(
      h("p", { class: "nnbook-widget-title" }, root.dataset.title || "Try it: a sigmoid neuron"),
      root.dataset.caption ? h("p", { class: "nnbook-widget-caption" }, root.dataset.caption) : null,
      h("div", { class: "nnbook-scroll" }, table),
      h("div", { class: "nnbook-widget-body" }, result, svg));
    update();
    return { state: () => JSON.parse(JSON.stringify(state)) };
  }

  const subscript = (n) => String(n).replace(/\d/g, (d) => "\u2080\u2081\u2082\u2083\u2084\u2085\u2086\u2087\u2088\u2089"[d]);

  // ---------------------------------------------------------------------
  // 2. Gradient descent with momentum on a 1-D loss (book/gradient_descent.md)
  // ---------------------------------------------------------------------

  /** Losses a chapter can name in data-loss, with the parameters in data-loss-params. */
  const LOSSES = {
    // The notched bowl of the gradient-descent chapter (`notched` and
    // `notched_grad` there), term by term in the same order. Squares are
    // products, as NumPy computes them.
    notch: {
      loss(w, p) {
        const d = w - p.at;
        return 0.5 * p.k * (w * w) - p.depth * Math.exp(-(d * d) / (2 * (p.width * p.width)));
      },
      grad(w, p) {
        const d = w - p.at;
        return p.k * w + ((p.depth * d) / (p.width * p.width)) * Math.exp(-(d * d) / (2 * (p.width * p.width)));
      },
    },
  };

  /**
   * The update of nnbook.optim.momentum (gradient_descent when gamma = 0),
   * v' = -eta * grad + gamma * v, w' = w + v', and its divergence rules: the
   * run stops when the gradient, w or the loss is not finite, when w has
   * moved more than maxGrowth * (1 + |w0|) from w0, or when the loss exceeds
   * C(w0) + maxGrowth * (1 + |C(w0)|).
   */
  class Descent {
    constructor(f, w0, eta, gamma, maxGrowth) {
      Object.assign(this, { f, w0, eta, gamma, maxGrowth });
      this.w = [w0];
      this.loss = [f.loss(w0)];
      this.v = 0;
      this.wLimit = maxGrowth * (1 + Math.abs(w0));
      this.lossLimit = this.loss[0] + maxGrowth * (1 + Math.abs(this.loss[0]));
      this.divergedAt = null;
      this.reason = "";
    }

    get steps() { return this.w.length - 1; }
    get current() { return this.w[this.w.length - 1]; }

    /** One update; false if the run has diverged (now or before). */
    step() {
      if (this.divergedAt !== null) return false;
      const k = this.steps + 1;
      const g = this.f.grad(this.current);
      if (!Number.isFinite(g)) return this.stop(k - 1, "the gradient is not finite");
      this.v = -this.eta * g + this.gamma * this.v;
      const w = this.current + this.v;
      this.w.push(w);
      if (!Number.isFinite(w)) {
        this.loss.push(NaN);
        return this.stop(k, "a parameter is not finite");
      }
      if (Math.abs(w - this.w0) > this.wLimit) {
        this.loss.push(NaN);
        return this.stop(k, `the parameters moved ${fmt(Math.abs(w - this.w0), 3)} away from w\u2080`);
      }
      const loss = this.f.loss(w);
      this.loss.push(loss);
      if (!Number.isFinite(loss)) return this.stop(k, `the loss is ${loss}`);
      if (loss > this.lossLimit) return this.stop(k, `the loss grew from ${fmt(this.loss[0], 3)} to ${fmt(loss, 3)}`);
      return true;
    }

    stop(k, reason) {
      this.divergedAt = k;
      this.reason = reason;
      return false;
    }
  }

  function gradientDescent(root) {
    const kind = root.dataset.loss;
    if (!(kind in LOSSES)) throw new Error(`unknown loss ${JSON.stringify(kind)} (known: ${Object.keys(LOSSES).join(", ")})`);
    const params = data(root, "lossParams");
    const f = { loss: (w) => LOSSES[kind].loss(w, params), grad: (w) => LOSSES[kind].grad(w, params) };
    const w0 = Number(data(root, "w0"));
    const etas = data(root, "etas").map(Number);
    let eta = Number(data(root, "eta"));
    let gamma = Number(data(root, "gamma", 0));
    const [gMin, gMax, gStep] = data(root, "gammaRange", [0, 0.99, 0.01]);
    const maxSteps = Number(data(root, "maxSteps", 400));
    const maxGrowth = Number(data(root, "maxGrowth", 1e6));
    const minima = data(root, "minima", []).map(Number);
    const [wLow, wHigh] = data(root, "wRange", [-5, 5]);
    const settleTol = 1e-7;
    if (!etas.includes(eta)) throw new Error(`the learning rate ${eta} is not one of data-etas`);

    // Check the loss and the update against iterates nnbook.optim computed.
    for (const c of data(root, "check", [])) {
      const run = new Descent(f, c.w0 === undefined ? w0 : c.w0, c.eta, c.gamma, maxGrowth);
      while (run.steps < c.w.length - 1 && run.step());
      c.w.forEach((expected, i) => {
        const got = run.w[i];
        if (!(Math.abs(got - expected) <= 1e-9 * (1 + Math.abs(expected)))) {
          console.error(`nnbook widget: iterate ${i} for eta = ${c.eta}, gamma = ${c.gamma} is ${got} here but ${expected} in nnbook.optim`);
        }
      });
    }

    // The landscape, the ball and its trail.
    const W = 520, H = 270;
    const box = [58, 12, W - 14, H - 52]; // room for the labels at a phone's text size
    const grid = Array.from({ length: 401 }, (_, i) => wLow + ((wHigh - wLow) * i) / 400);
    const values = grid.map(f.loss);
    const cLow = Math.min(...values), cHigh = Math.max(...values);
    const pad = 0.06 * (cHigh - cLow);
    const wx = scale(wLow, wHigh, box[0], box[2]);
    const cy = scale(cLow - pad, cHigh + pad, box[3], box[1]);
    const land = s("svg", { viewBox: `0 0 ${W} ${H}`, class: "nnbook-plot nnbook-gd-landscape", role: "img" });
    const clip = plotBox(land, box);
    land.append(axes({ x: wx, y: cy, xTicks: ticks(wLow, wHigh, 6), yTicks: ticks(cLow - pad, cHigh + pad, 4), xLabel: "w", yLabel: "C(w)", box }));
    land.append(s("polyline", { points: points(grid.map(wx), values.map(cy)), class: "nnbook-curve nnbook-muted-curve", "clip-path": clip }));
    const lowest = minima.length ? minima.reduce((m, v) => (f.loss(v) < f.loss(m) ? v : m)) : null;
    for (const m of minima) {
      const label = m === lowest ? "minimum" : "notch";
      land.append(s("circle", { cx: coordinate(wx(m)), cy: coordinate(cy(f.loss(m))), r: 3.5, fill: GREEN }),
        s("text", { x: coordinate(wx(m)), y: coordinate(cy(f.loss(m)) - 14), "text-anchor": "middle", class: "nnbook-legend nnbook-text-green" }, label));
    }
    const start = s("rect", { width: 9, height: 9, x: coordinate(wx(w0) - 4.5), y: coordinate(cy(f.loss(w0)) - 4.5), class: "nnbook-start" });
    const trail = s("polyline", { class: "nnbook-trail", stroke: BLUE, "clip-path": clip });
    const dots = s("g", { fill: BLUE, "clip-path": clip, class: "nnbook-dots" });
    const ball = s("circle", { r: 8, fill: BLUE, class: "nnbook-ball" });
    const offChart = s("text", { class: "nnbook-offchart nnbook-text-vermillion", "text-anchor": "middle" });
    land.append(trail, dots, start, ball, offChart);

    // w against the step, as in the chapter's right-hand panel.
    const PH = 166;
    const pbox = [58, 10, W - 14, PH - 52];
    const path = s("svg", { viewBox: `0 0 ${W} ${PH}`, class: "nnbook-plot nnbook-gd-path", role: "img" });
    const pclip = plotBox(path, pbox);
    const pathClip = path.querySelector("clipPath rect");
    const pathAxes = s("g");
    const pathLine = s("polyline", { class: "nnbook-trail", stroke: BLUE, "clip-path": pclip });
    path.append(pathAxes, pathLine);

    // Controls.
    const etaSlider = slider({
      label: "learning rate \u03b7", min: 0, max: etas.length - 1, step: 1, value: etas.indexOf(eta),
      format: (i) => short(etas[i]), describe: (i) => `learning rate ${short(etas[i])}`,
      toValue: (i) => etas[i], onInput: (v) => { eta = v; reset(); },
    });
    etaSlider.input.dataset.name = "eta";
    etaSlider.output.dataset.name = "eta";
    const gammaSlider = slider({
      label: "momentum \u03b3", min: gMin, max: gMax, step: gStep, value: gamma,
      format: (v) => fmt(v, 2), describe: (v) => `momentum ${fmt(v, 2)}`,
      onInput: (v) => { gamma = v; reset(); },
    });
    gammaSlider.input.dataset.name = "gamma";
    gammaSlider.output.dataset.name = "gamma";

    const stepButton = h("button", { type: "button", "data-name": "step" }, "Step");
    const runButton = h("button", { type: "button", "data-name": "run" }, "Run");
    const resetButton = h("button", { type: "button", "data-name": "reset" }, "Reset");
    const outputs = {};
    for (const name of ["k", "w", "loss"]) outputs[name] = h("output", { class: "nnbook-value", "data-name": name });
    const status = h("p", { class: "nnbook-status", role: "status", "aria-live": "polite" });

    let run = null;
    let timer = null;
    let settled = false;

    function reset() {
      pause();
      run = new Descent(f, w0, eta, gamma, maxGrowth);
      settled = false;
      draw();
    }

    function pause() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
      runButton.textContent = "Run";
      runButton.setAttribute("aria-pressed", "false");
    }

    function finished() {
      return run.divergedAt !== null || settled || run.steps >= maxSteps;
    }

    function stepOnce() {
      if (finished()) return false;
      const before = run.current;
      run.step();
      const w = run.current;
      if (run.divergedAt === null && Math.abs(w - before) < settleTol && Math.abs(f.grad(w)) < settleTol) settled = true;
      return true;
    }

    function tick() {
      stepOnce();
      draw();
      if (finished()) { pause(); return; }
      // Slow at first, so that the first steps can be followed; then faster.
      const k = run.steps;
      timer = setTimeout(tick, k < 10 ? 260 : k < 40 ? 90 : 25);
    }

    stepButton.addEventListener("click", () => { pause(); stepOnce(); draw(); });
    runButton.addEventListener("click", () => {
      if (timer !== null) { pause(); return; }
      if (finished()) reset();
      runButton.textContent = "Pause";
      runButton.setAttribute("aria-pressed", "true");
      tick();
    });
    resetButton.addEventListener("click", reset);

    function where(w) {
      let best = null;
      for (const m of minima) if (Math.abs(w - m) < 1e-3 && (best === null || Math.abs(w - m) < Math.abs(w - best))) best = m;
      return best;
    }

    function draw() {
      const ws = run.w;
      const k = run.steps;
      const w = run.current;
      const finite = ws.filter(Number.isFinite);
      trail.setAttribute("points", points(finite.map(wx), finite.map((v) => cy(f.loss(v)))));
      dots.replaceChildren(...finite.slice(-60).map((v) => s("circle", { r: 2.5, cx: coordinate(wx(v)), cy: coordinate(cy(f.loss(v))) })));
      const shown = Number.isFinite(w) ? w : ws[ws.length - 2];
      const outside = !(shown >= wLow && shown <= wHigh);
      const bx = wx(clamp(shown, wLow, wHigh));
      const by = outside ? box[1] + 10 : cy(f.loss(shown));
      setAttributes(ball, { cx: coordinate(bx), cy: coordinate(clamp(by, box[1], box[3])) });
      ball.classList.toggle("nnbook-ball-outside", outside);
      ball.setAttribute("fill", run.divergedAt !== null ? VERMILLION : BLUE);
      offChart.textContent = outside ? `${shown > 0 ? "" : "\u2190 "}w = ${fmt(w, 2)}${shown > 0 ? " \u2192" : ""}` : "";
      setAttributes(offChart, { x: coordinate(clamp(bx, box[0] + 60, box[2] - 60)), y: box[1] + 34 });

      // w against the step. The axis grows with the iterates, so that a
      // diverging run is seen growing, not cut off.
      const kMax = Math.max(40, Math.ceil(k / 40) * 40);
      const yLow = Math.min(wLow, ...finite), yHigh = Math.max(wHigh, ...finite);
      const yTicks = ticks(yLow, yHigh, 4);
      // Room on the left for the tick labels and the turned "w" at the plot's
      // text size (larger on a phone), however long the labels grow.
      const fontSize = parseFloat(getComputedStyle(path).fontSize) || 11;
      const widest = Math.max(...yTicks.map((t) => textWidth(short(t))));
      const pb = [Math.max(pbox[0], Math.ceil(9 + (widest + 1.3) * fontSize)), ...pbox.slice(1)];
      setAttributes(pathClip, { x: pb[0], width: pb[2] - pb[0] });
      const sx = scale(0, kMax, pb[0], pb[2]);
      const sy = scale(yLow, yHigh, pb[3], pb[1]);
      pathAxes.replaceChildren(axes({ x: sx, y: sy, xTicks: ticks(0, kMax, 4), yTicks, xLabel: "step", yLabel: "w", box: pb }),
        ...minima.map((m) => s("line", { x1: pb[0], x2: pb[2], y1: coordinate(sy(m)), y2: coordinate(sy(m)), class: "nnbook-guide", stroke: GREEN })));
      const steps = ws.map((_, i) => i).filter((i) => Number.isFinite(ws[i]));
      pathLine.setAttribute("points", points(steps.map(sx), steps.map((i) => sy(ws[i]))));

      show(outputs.k, k, String(k));
      show(outputs.w, w, fmt(w, 4));
      show(outputs.loss, run.loss[k], fmt(run.loss[k], 4));
      setDisabled(stepButton, finished(), resetButton);
      status.classList.toggle("nnbook-diverged", run.divergedAt !== null);
      status.dataset.state = run.divergedAt !== null ? "diverged" : settled ? "settled" : k >= maxSteps ? "stopped" : k ? "moving" : "start";
      if (run.divergedAt !== null) {
        status.textContent = `Diverged at step ${run.divergedAt}: ${run.reason}. The run is stopped there, as nnbook.optim stops it. Try a smaller learning rate.`;
      } else if (settled) {
        const m = where(w);
        status.textContent = m === null ? `Settled after ${k} steps at w = ${fmt(w, 4)}.`
          : m === lowest ? `Settled at the minimum after ${k} steps.`
            : `Stuck in the notch after ${k} steps: the slope is zero there, but the loss is ${fmt(run.loss[k], 2)}, not the minimum's ${fmt(f.loss(lowest), 2)}.`;
      } else if (k >= maxSteps) {
        status.textContent = `Stopped after ${k} steps without settling.`;
      } else {
        status.textContent = k ? "" : `The ball starts at w = ${short(w0)}. Press Step or Run.`;
      }
      land.setAttribute("aria-label", `The loss C(w) with the ball at w = ${fmt(w, 4)} after ${k} steps`);
      path.setAttribute("aria-label", `w against the step, ${k} steps so far`);
    }

    root.append(
      h("p", { class: "nnbook-widget-title" }, root.dataset.title || "Try it: gradient descent with momentum"),
      root.dataset.caption ? h("p", { class: "nnbook-widget-caption" }, root.dataset.caption) : null,
      land, path,
      h("div", { class: "nnbook-widget-controls nnbook-gd-controls" },
        h("div", { class: "nnbook-slider" }, etaSlider.label, etaSlider.input, etaSlider.output),
        h("div", { class: "nnbook-slider" }, gammaSlider.label, gammaSlider.input, gammaSlider.output),
        h("div", { class: "nnbook-buttons" }, stepButton, runButton, resetButton)),
      h("p", { class: "nnbook-readout" }, "step ", outputs.k, ": w = ", outputs.w, ", C(w) = ", outputs.loss),
      status);
    reset();

    return {
      state: () => ({
        eta, gamma, w0, maxSteps,
        step: run.steps,
        w: run.w.slice(),
        loss: run.loss.slice(),
        diverged: run.divergedAt !== null,
        divergedAt: run.divergedAt,
        reason: run.reason,
        settled,
        running: timer !== null,
      }),
    };
  }

  // ---------------------------------------------------------------------
  // 3. The convolution stepper (the CNN chapter)
  // ---------------------------------------------------------------------

  function convStepper(root) {
    const image = data(root, "image").map((row) => row.map(Number));
    const kernel = data(root, "kernel").map((row) => row.map(Number));
    const stride = Number(data(root, "stride", 1));
    const [imageName, kernelName, outputName] = data(root, "gridNames", ["image", "kernel", "output"]);
    const H = image.length, Wd = image[0].length, kH = kernel.length, kW = kernel[0].length;
    if (!image.every((r) => r.length === Wd) || !kernel.every((r) => r.length === kW)) throw new Error("image and kernel must be rectangular");
    if (kH > H || kW > Wd) throw new Error(`the kernel (${kH}x${kW}) is larger than the image (${H}x${Wd})`);
    const outH = Math.floor((H - kH) / stride) + 1, outW = Math.floor((Wd - kW) / stride) + 1;

    /** out[i][j] = sum over p, q of image[s*i + p][s*j + q] * kernel[p][q], as nnbook.conv.correlate2d. */
    function cell(i, j) {
      let sum = 0;
      for (let p = 0; p < kH; p++) for (let q = 0; q < kW; q++) sum += image[stride * i + p][stride * j + q] * kernel[p][q];
      return sum;
    }

    const expected = data(root, "expected", null);
    if (expected) {
      for (let i = 0; i < outH; i++) {
        for (let j = 0; j < outW; j++) {
          const got = cell(i, j), want = expected[i] && expected[i][j];
          if (!(Math.abs(got - want) <= 1e-9 * (1 + Math.abs(want)))) {
            console.error(`nnbook widget: output (${i}, ${j}) is ${got} here but ${want} in nnbook.conv`);
          }
        }
      }
    }

    const number = (v) => (Number.isInteger(v) ? String(v) : fmt(v, 2)).replace("-", MINUS);
    const table = (rows, name, caption) => {
      const cells = [];
      const t = h("table", { class: `nnbook-conv-grid nnbook-conv-${name}`, "data-name": name },
        h("caption", {}, caption),
        h("tbody", {}, rows.map((row, i) => h("tr", {}, row.map((v, j) => {
          const td = h("td", { "data-row": i, "data-col": j }, v === null ? "" : number(v));
          if (v !== null) td.dataset.value = String(v);
          (cells[i] = cells[i] || [])[j] = td;
          return td;
        })))));
      return { table: t, cells };
    };
    const img = table(image, "image", imageName);
    const ker = table(kernel, "kernel", kernelName);
    const out = table(Array.from({ length: outH }, () => Array(outW).fill(null)), "output", outputName);
    for (const row of ker.cells) for (const td of row) td.classList.add(Number(td.dataset.value) > 0 ? "nnbook-pos" : Number(td.dataset.value) < 0 ? "nnbook-neg" : "nnbook-zero");

    const sum = h("p", { class: "nnbook-conv-sum", "aria-live": "polite" });
    const stepButton = h("button", { type: "button", "data-name": "step" }, "Step");
    const allButton = h("button", { type: "button", "data-name": "all" }, "Fill all");
    const resetButton = h("button", { type: "button", "data-name": "reset" }, "Reset");

    const total = outH * outW;
    let position = -1; // the last output cell filled, in reading order
    const output = () => Array.from({ length: outH }, () => Array(outW).fill(null));
    let values = output();

    function moveTo(index) {
      position = index;
      const i = Math.floor(index / outW), j = index % outW;
      const v = cell(i, j);
      values[i][j] = v;
      const td = out.cells[i][j];
      td.textContent = number(v);
      td.dataset.value = String(v);
      td.classList.add("nnbook-filled");
      draw();
    }

    function draw() {
      for (const row of img.cells) for (const td of row) { td.classList.remove("nnbook-window"); delete td.dataset.weight; }
      for (const row of out.cells) for (const td of row) td.classList.remove("nnbook-current");
      if (position < 0) {
        sum.textContent = `Press Step to slide the ${kH}\u00d7${kW} ${kernelName} over the ${imageName}, one position at a time.`;
      } else {
        const i = Math.floor(position / outW), j = position % outW;
        const terms = [];
        for (let p = 0; p < kH; p++) {
          for (let q = 0; q < kW; q++) {
            const td = img.cells[stride * i + p][stride * j + q];
            td.classList.add("nnbook-window");
            td.dataset.weight = `\u00d7${number(kernel[p][q])}`;
            const k = kernel[p][q];
            terms.push(`${number(image[stride * i + p][stride * j + q])}\u00b7${k < 0 ? `(${number(k)})` : number(k)}`);
          }
        }
        out.cells[i][j].classList.add("nnbook-current");
        sum.textContent = `Row ${i + 1}, column ${j + 1}: ${terms.join(" + ")} = ${number(values[i][j])}`;
      }
      // After the last step (or Fill all) the focus moves on to Reset.
      setDisabled(stepButton, position >= total - 1, resetButton);
      setDisabled(allButton, position >= total - 1, resetButton);
      root.dataset.position = String(position);
    }

    stepButton.addEventListener("click", () => { if (position < total - 1) moveTo(position + 1); });
    allButton.addEventListener("click", () => { while (position < total - 1) moveTo(position + 1); });
    resetButton.addEventListener("click", () => {
      position = -1;
      values = output();
      for (const row of out.cells) for (const td of row) { td.textContent = ""; delete td.dataset.value; td.classList.remove("nnbook-filled"); }
      draw();
    });

    root.append(
      h("p", { class: "nnbook-widget-title" }, root.dataset.title || "Try it: a convolution, one step at a time"),
      root.dataset.caption ? h("p", { class: "nnbook-widget-caption" }, root.dataset.caption) : null,
      h("div", { class: "nnbook-conv-grids" }, img.table, h("span", { class: "nnbook-conv-op", "aria-hidden": "true" }, "\u22c6"), ker.table,
        h("span", { class: "nnbook-conv-op", "aria-hidden": "true" }, "="), out.table),
      h("div", { class: "nnbook-buttons" }, stepButton, allButton, resetButton),
      sum);
    draw();

    return {
      state: () => ({
        position, stride,
        image: image.map((r) => r.slice()),
        kernel: kernel.map((r) => r.slice()),
        output: values.map((r) => r.slice()),
      }),
    };
  }


  // ---------------------------------------------------------------------
  // 4. Draw a digit (the MNIST lab's MLP, the CNN chapter's CNN)
  // ---------------------------------------------------------------------

  /** An array of an "nnbook-network" file: base64 of little-endian float32 values, row-major. */
  function decodeArray(entry) {
    if (entry.dtype !== "float32") throw new Error(`the model's arrays must be float32, got ${entry.dtype}`);
    const bytes = Uint8Array.from(atob(entry.data), (c) => c.charCodeAt(0));
    const count = entry.shape.reduce((a, b) => a * b, 1);
    if (bytes.length !== 4 * count) throw new Error(`an array of shape [${entry.shape}] needs ${4 * count} bytes, got ${bytes.length}`);
    const view = new DataView(bytes.buffer);
    const values = new Float64Array(count);
    for (let i = 0; i < count; i++) values[i] = view.getFloat32(4 * i, true);
    return { shape: entry.shape, values };
  }

  // The layers of a network, in double precision. An array of shape
  // [C, H, W] is kept flat, as PyTorch stores it: value (c, r, s) sits at
  // index (c H + r) W + s. That is also the order in which nn.Flatten reads
  // it, so flattening leaves the values as they are.

  /** A linear layer: z[i] = Σj weight[i, j] a[j] + bias[i], weight of shape [nOut, nIn]. */
  function linear(a, weight, bias) {
    const [nOut, nIn] = weight.shape;
    const W = weight.values;
    const z = new Float64Array(nOut);
    for (let i = 0; i < nOut; i++) {
      let sum = 0;
      for (let j = 0, row = i * nIn; j < nIn; j++) sum += W[row + j] * a[j];
      z[i] = sum + bias.values[i];
    }
    return z;
  }

  /**
   * A convolution (PyTorch's Conv2d): output channel o at (r, c) is
   * Σ over input channels i and kernel cells (p, q) of weight[o, i, p, q]
   * times the input at row stride·r + p − padding, column stride·c + q − padding,
   * plus bias[o]. Positions outside the input are the padding's zeros.
   */
  function conv2d(a, [C, H, W], weight, bias, [strideY, strideX], [padY, padX]) {
    const [O, , KH, KW] = weight.shape;
    const HOut = Math.floor((H + 2 * padY - KH) / strideY) + 1;
    const WOut = Math.floor((W + 2 * padX - KW) / strideX) + 1;
    const w = weight.values;
    const z = new Float64Array(O * HOut * WOut);
    for (let o = 0; o < O; o++) {
      for (let r = 0; r < HOut; r++) {
        for (let c = 0; c < WOut; c++) {
          let sum = 0;
          for (let i = 0; i < C; i++) {
            for (let p = 0; p < KH; p++) {
              const y = strideY * r + p - padY;
              if (y < 0 || y >= H) continue; // a row of padding: zeros add nothing
              for (let q = 0; q < KW; q++) {
                const x = strideX * c + q - padX;
                if (x < 0 || x >= W) continue;
                sum += w[((o * C + i) * KH + p) * KW + q] * a[(i * H + y) * W + x];
              }
            }
          }
          z[(o * HOut + r) * WOut + c] = sum + bias.values[o];
        }
      }
    }
    return { values: z, shape: [O, HOut, WOut] };
  }

  /** Max pooling (PyTorch's MaxPool2d): each window of kernel cells, moved by stride, gives its largest value. */
  function maxPool2d(a, [C, H, W], [KH, KW], [strideY, strideX]) {
    const HOut = Math.floor((H - KH) / strideY) + 1;
    const WOut = Math.floor((W - KW) / strideX) + 1;
    const z = new Float64Array(C * HOut * WOut);
    for (let c = 0; c < C; c++) {
      for (let r = 0; r < HOut; r++) {
        for (let s = 0; s < WOut; s++) {
          let largest = -Infinity;
          for (let p = 0; p < KH; p++) {
            for (let q = 0; q < KW; q++) largest = Math.max(largest, a[(c * H + strideY * r + p) * W + strideX * s + q]);
          }
          z[(c * HOut + r) * WOut + s] = largest;
        }
      }
    }
    return { values: z, shape: [C, HOut, WOut] };
  }

  const ELEMENTWISE = { relu: (z) => (z > 0 ? z : 0), sigmoid, tanh: Math.tanh, identity: (z) => z };

  /**
   * The network of a file written by nnbook.widgets.export_network_json. Its
   * logits(input) runs the file's "sequence" of layers in order, as its
   * "computation" field says; the last layer's values are the logits.
   */
  function loadNetwork(model) {
    if (model.format !== "nnbook-network" || model.version !== 1) {
      throw new Error(`expected an nnbook-network file of version 1, got ${model.format} version ${model.version}`);
    }
    const layers = model.layers.map((layer) => ({ weight: decodeArray(layer.weight), bias: decodeArray(layer.bias) }));
    const known = ["linear", "conv2d", "maxpool2d", "flatten", ...Object.keys(ELEMENTWISE)];
    for (const entry of model.sequence) {
      if (!known.includes(entry.type)) throw new Error(`unknown layer type ${entry.type} (known: ${known.join(", ")})`);
    }
    const inputSize = model.input_shape.reduce((a, b) => a * b, 1);

    function logits(input) {
      if (input.length !== inputSize) throw new Error(`the network takes ${inputSize} inputs, got ${input.length}`);
      let a = Float64Array.from(input);
      let shape = model.input_shape;
      for (const entry of model.sequence) {
        const { weight, bias } = layers[entry.layer] || {};
        if (entry.type === "linear") {
          a = linear(a, weight, bias);
          shape = [a.length];
        } else if (entry.type === "conv2d") {
          ({ values: a, shape } = conv2d(a, shape, weight, bias, entry.stride, entry.padding));
        } else if (entry.type === "maxpool2d") {
          ({ values: a, shape } = maxPool2d(a, shape, entry.kernel_size, entry.stride));
        } else if (entry.type === "flatten") {
          shape = [a.length]; // already in PyTorch's (C, H, W) order
        } else {
          a = a.map(ELEMENTWISE[entry.type]);
        }
        if (shape.join() !== entry.output_shape.join()) {
          throw new Error(`the ${entry.type} layer gives shape [${shape}], the file says [${entry.output_shape}]`);
        }
      }
      return Array.from(a);
    }
    return { sizes: model.sizes, inputShape: model.input_shape, metadata: model.metadata || {}, logits };
  }

  /** Check a network on its file's example images: this page's arithmetic must give PyTorch's logits. */
  function checkExamples(network, examples, name) {
    if (!examples) return;
    const inputs = decodeArray(examples.inputs), expected = decodeArray(examples.logits);
    const [count, width] = inputs.shape, classes = expected.shape[1];
    for (let i = 0; i < count; i++) {
      const got = network.logits(inputs.values.subarray(i * width, (i + 1) * width));
      for (let j = 0; j < classes; j++) {
        const want = expected.values[i * classes + j];
        if (!(Math.abs(got[j] - want) <= 1e-4)) {
          console.error(`nnbook widget: logit ${j} of example ${i} of the ${name} is ${got[j]} here but ${want} in PyTorch`);
        }
      }
    }
  }

  /** Class probabilities from logits, shifted by the largest so that exp never overflows. */
  function softmax(z) {
    const m = Math.max(...z);
    const e = z.map((v) => Math.exp(v - m));
    const total = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / total);
  }

  // MNIST's recipe (LeCun et al.): the digit is scaled to fit a 20 x 20 box,
  // keeping its proportions, and placed in a 28 x 28 image so that its centre
  // of mass falls on the centre pixel. Pixel (r, c) covers [c, c + 1] x [r, r + 1];
  // the centre pixel (14, 14) has its middle at 14.5, where MNIST's centres lie.
  const SIDE = 28, BOX = 20, CENTRE = 14.5, SUPERSAMPLE = 4, CANVAS = 280;

  /** The bounding box [minX, minY, maxX, maxY] of all the strokes' points. */
  function boundingBox(strokes) {
    const all = strokes.flat();
    const xs = all.map((p) => p[0]), ys = all.map((p) => p[1]);
    return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
  }

  /**
   * Paint the strokes, mapped by p -> k p + (dx, dy), with round pens of
   * `width` pixels into a 28 x 28 grey image (ink 1, background 0): drawn at
   * SUPERSAMPLE times the resolution and averaged, which anti-aliases the
   * edges as MNIST's scanning did.
   */
  function rasterise(strokes, k, dx, dy, width, context) {
    const n = SIDE * SUPERSAMPLE;
    context.clearRect(0, 0, n, n);
    Object.assign(context, { lineCap: "round", lineJoin: "round", lineWidth: width * SUPERSAMPLE, strokeStyle: "#000", fillStyle: "#000" });
    for (const stroke of strokes) {
      const p = stroke.map(([x, y]) => [(k * x + dx) * SUPERSAMPLE, (k * y + dy) * SUPERSAMPLE]);
      context.beginPath();
      if (p.length === 1) {
        context.arc(p[0][0], p[0][1], (width * SUPERSAMPLE) / 2, 0, 2 * Math.PI);
        context.fill();
      } else {
        context.moveTo(p[0][0], p[0][1]);
        for (const [x, y] of p.slice(1)) context.lineTo(x, y);
        context.stroke();
      }
    }
    const alpha = context.getImageData(0, 0, n, n).data;
    const image = new Float64Array(SIDE * SIDE);
    const share = 1 / (255 * SUPERSAMPLE * SUPERSAMPLE);
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) image[Math.floor(r / SUPERSAMPLE) * SIDE + Math.floor(c / SUPERSAMPLE)] += alpha[4 * (r * n + c) + 3] * share;
    }
    return image;
  }

  /** The centre of mass [x, y] of a 28 x 28 image, pixel (r, c) counted at (c + 0.5, r + 0.5). */
  function centreOfMass(image) {
    let mass = 0, x = 0, y = 0;
    for (let r = 0; r < SIDE; r++) {
      for (let c = 0; c < SIDE; c++) {
        const v = image[r * SIDE + c];
        mass += v; x += v * (c + 0.5); y += v * (r + 0.5);
      }
    }
    return mass > 0 ? [x / mass, y / mass] : [CENTRE, CENTRE];
  }

  /**
   * A drawing (strokes of [x, y] points in the board's 280 x 280 pixels) as
   * the network's input. With `centre`, prepared like MNIST: the ink's
   * bounding box, pen width included, scaled so that its longer side is 20
   * pixels; then shifted so that the centre of mass is the image's centre.
   * Without, scaled from the board to 28 x 28 as drawn, where it was drawn.
   * Returns the 784 values row by row.
   */
  function preprocess(strokes, width, context, centre = true) {
    if (!centre) return Array.from(rasterise(strokes, SIDE / CANVAS, 0, 0, width, context));
    const [minX, minY, maxX, maxY] = boundingBox(strokes);
    const extent = Math.max(maxX - minX, maxY - minY);
    const k = extent > 0 ? (BOX - width) / extent : 1;
    let dx = CENTRE - (k * (minX + maxX)) / 2, dy = CENTRE - (k * (minY + maxY)) / 2;
    const [cx, cy] = centreOfMass(rasterise(strokes, k, dx, dy, width, context));
    dx += CENTRE - cx;
    dy += CENTRE - cy;
    return Array.from(rasterise(strokes, k, dx, dy, width, context));
  }

  /** The URL of a file of the built site, given its path from the site's root. */
  function siteUrl(path) {
    const root = document.documentElement.dataset.content_root || "./";
    return new URL(path, new URL(root, document.baseURI)).href;
  }

  /**
   * The networks to run: data-models, a list of {name, path, label}, the first
   * one chosen at the start; or data-model, the path of a single network.
   */
  function digitModels(root) {
    if (root.dataset.models) {
      const models = data(root, "models");
      if (!Array.isArray(models) || !models.length || !models.every((m) => m.name && m.path)) {
        throw new Error("data-models must be a list of {name, path} objects");
      }
      return models.map((m) => ({ name: String(m.name), path: String(m.path), label: String(m.label || m.name) }));
    }
    if (!root.dataset.model) throw new Error("the element has no data-model or data-models attribute");
    return [{ name: "network", path: root.dataset.model, label: "network" }];
  }

  /**
   * Shift a 28 x 28 image by whole pixels so that its centre of mass lies in
   * [14, 15) x [14, 15), where MNIST put the centres of its digits (pixel
   * (r, c) counted at (c + 0.5, r + 0.5)): a test digit stays as it is. Ink
   * shifted past the edge is lost. Returns a new array of 784 values.
   */
  function centreByWholePixels(image) {
    const [cx, cy] = centreOfMass(image);
    const dx = Math.ceil(SIDE / 2 - cx), dy = Math.ceil(SIDE / 2 - cy);
    const out = new Array(SIDE * SIDE).fill(0);
    for (let r = 0; r < SIDE; r++) {
      for (let c = 0; c < SIDE; c++) {
        const y = r + dy, x = c + dx;
        if (y >= 0 && y < SIDE && x >= 0 && x < SIDE) out[y * SIDE + x] = image[r * SIDE + c];
      }
    }
    return out;
  }

  /**
   * The labelled example images of a network file (real MNIST test digits,
   * which the chapter exported with the network) as {label, index, input};
   * none if the file's examples have no labels or are not 28 x 28 images.
   */
  function exampleDigits(file) {
    const examples = file.examples;
    if (!examples || !Array.isArray(examples.labels)) return [];
    const inputs = decodeArray(examples.inputs);
    if (inputs.shape.length !== 2 || inputs.shape[1] !== SIDE * SIDE) return [];
    return examples.labels.map((label, index) => ({
      label: Number(label), index,
      input: Array.from(inputs.values.subarray(index * SIDE * SIDE, (index + 1) * SIDE * SIDE)),
    }));
  }

  const ARROWS = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };

  /**
   * Draw a digit. The board holds either pen strokes (mouse, pen, finger),
   * prepared for the network as MNIST prepared its digits, or a 28 x 28
   * image edited pixel by pixel: a test digit loaded from the network's file,
   * or what the keyboard paints (arrow keys move a cursor, Space or Enter
   * paints a dot of the pen's width, Delete or Backspace erases one). The
   * first keyboard edit turns strokes into that image (what the network
   * sees); a pointer then paints on it. With centring on, an image is moved
   * by whole pixels so that its centre of mass is where MNIST put it.
   */
  function drawDigit(root) {
    const models = digitModels(root);
    const pen = Number(data(root, "penWidth", 3)); // in pixels of the 28 x 28 image
    const several = models.length > 1;
    const the = (name) => (several ? `the ${name}` : "the network");

    const helpId = uniqueId("digit-help");
    const board = h("canvas", {
      width: CANVAS, height: CANVAS, class: "nnbook-digit-board", "data-name": "board", tabindex: 0,
      role: "application", "aria-roledescription": "drawing area",
      "aria-label": "Drawing area, 28 by 28 pixels: draw one digit with the mouse, a pen, a finger or the keyboard",
      "aria-describedby": helpId,
    });
    const ink = board.getContext("2d");
    const preview = h("canvas", { width: SIDE, height: SIDE, class: "nnbook-digit-preview", "data-name": "preview", role: "img", "aria-label": "What the network sees: your digit as a 28 by 28 image" });
    const previewContext = preview.getContext("2d");
    const scratch = h("canvas", { width: SIDE * SUPERSAMPLE, height: SIDE * SUPERSAMPLE }).getContext("2d", { willReadFrequently: true });
    const clearButton = h("button", { type: "button", "data-name": "clear" }, "Clear");
    const list = h("ol", { class: "nnbook-digit-top", "data-name": "top" });
    const listLabel = h("p", { class: "nnbook-digit-label" }, "Its three most likely digits:");
    const status = h("p", { class: "nnbook-digit-status", "data-name": "status", "aria-live": "polite" }, "Loading the network\u2026");
    const others = h("p", { class: "nnbook-digit-others", "data-name": "others" });
    const help = h("p", { id: helpId, class: "nnbook-digit-help" },
      "Keyboard: the arrow keys move the cursor, Space or Enter paints, Delete or Backspace erases; Shift with an arrow paints as it moves.");
    const cursorText = h("p", { class: "nnbook-digit-cursor", "data-name": "cursor", "aria-live": "polite" });

    // Real MNIST test digits from the network's file, to load and edit.
    const samplesLabel = uniqueId("samples");
    const samplesGroup = h("div", { class: "nnbook-digit-samples", role: "group", "aria-labelledby": samplesLabel, "data-name": "samples", hidden: true },
      h("span", { id: samplesLabel, class: "nnbook-digit-samples-label" }, "Load a test digit to edit:"));

    // Centring: on by default, as MNIST prepared its digits.
    const centreId = uniqueId("centre");
    const centreBox = h("input", { type: "checkbox", id: centreId, "data-name": "centre", checked: true });
    const centreControl = h("p", { class: "nnbook-digit-option" },
      centreBox, " ", h("label", { for: centreId }, "centre the drawing as MNIST did"));

    // The choice of network, if there are several: radio buttons (arrow keys move between them).
    let chosen = 0;
    const radios = models.map((model, i) => {
      const id = uniqueId("model");
      const radio = h("input", { type: "radio", id, name: `${centreId}-model`, value: model.name, "data-name": "model", checked: i === 0 });
      radio.addEventListener("change", () => {
        if (radio.checked) {
          chosen = i;
          update();
        }
      });
      return h("span", { class: "nnbook-digit-choice" }, radio, h("label", { for: id }, model.label));
    });
    const chooser = several ? h("fieldset", { class: "nnbook-digit-chooser", "data-name": "chooser" }, h("legend", {}, "Network:"), radios) : null;

    const networks = new Array(models.length).fill(null);
    let strokes = []; // the pen's strokes, [x, y] points in the board's 280 x 280 pixels
    let image = null; // or a 28 x 28 image edited pixel by pixel (ink 1, background 0)
    let live = null; // a stroke being drawn on that image
    let sample = null; // the test digit loaded last, and whether it was edited since
    let cursor = [SIDE / 2, SIDE / 2]; // the keyboard's [row, column]
    let showCursor = false;
    let drawing = false;
    let pending = false;
    let result = null;

    /** The edited image with the stroke being drawn on it. */
    function edited() {
      if (!live) return image;
      const stroke = rasterise([live], SIDE / CANVAS, 0, 0, pen, scratch);
      return image.map((v, i) => Math.max(v, stroke[i]));
    }

    const isEmpty = () => (image ? !edited().some((v) => v > 0) : !strokes.length);

    /** What the networks get: 784 values, row by row. */
    function networkInput() {
      if (!image) return preprocess(strokes, pen, scratch, centreBox.checked);
      return centreBox.checked ? centreByWholePixels(edited()) : Array.from(edited());
    }

    function paintBoard() {
      ink.fillStyle = "#fff";
      ink.fillRect(0, 0, CANVAS, CANVAS);
      const cell = CANVAS / SIDE;
      if (image) {
        const shown = edited();
        for (let i = 0; i < SIDE * SIDE; i++) {
          const v = Math.min(1, Math.max(0, shown[i]));
          if (!(v > 0)) continue;
          const grey = Math.round(255 - v * (255 - 17));
          ink.fillStyle = `rgb(${grey}, ${grey}, ${grey})`;
          ink.fillRect((i % SIDE) * cell, Math.floor(i / SIDE) * cell, cell, cell);
        }
      } else {
        Object.assign(ink, { lineCap: "round", lineJoin: "round", lineWidth: 18, strokeStyle: "#111", fillStyle: "#111" });
        for (const stroke of strokes) {
          ink.beginPath();
          if (stroke.length === 1) {
            ink.arc(stroke[0][0], stroke[0][1], 9, 0, 2 * Math.PI);
            ink.fill();
          } else {
            ink.moveTo(stroke[0][0], stroke[0][1]);
            for (const [x, y] of stroke.slice(1)) ink.lineTo(x, y);
            ink.stroke();
          }
        }
      }
      if (showCursor) {
        // The keyboard's cursor: a vermillion square with a white rim, seen on paper and on ink.
        const [r, c] = cursor;
        ink.lineJoin = "miter";
        ink.lineWidth = 5;
        ink.strokeStyle = "#fff";
        ink.strokeRect(c * cell - 1, r * cell - 1, cell + 2, cell + 2);
        ink.lineWidth = 2.5;
        ink.strokeStyle = VERMILLION;
        ink.strokeRect(c * cell - 1, r * cell - 1, cell + 2, cell + 2);
      }
    }

    function describeCursor() {
      const [r, c] = cursor;
      const value = image ? Math.min(1, Math.max(0, edited()[r * SIDE + c])) : null;
      const where = `Cursor: row ${r + 1}, column ${c + 1} of ${SIDE}`;
      cursorText.textContent = value === null ? `${where}.` : `${where}, ink ${fmt(value, 2)}.`;
      cursorText.dataset.value = value === null ? "" : String(value);
    }

    function paintPreview(input) {
      const picture = previewContext.createImageData(SIDE, SIDE);
      for (let i = 0; i < SIDE * SIDE; i++) {
        const grey = Math.round(255 * (1 - Math.min(1, Math.max(0, input[i]))));
        picture.data.set([grey, grey, grey, 255], 4 * i);
      }
      previewContext.putImageData(picture, 0, 0);
    }

    function classify(network, input) {
      const logits = network.logits(input);
      const probabilities = softmax(logits);
      const top = probabilities.map((p, digit) => ({ digit, probability: p }))
        .sort((a, b) => b.probability - a.probability).slice(0, 3);
      return { logits, probabilities, top };
    }

    const ready = () => networks.every((n) => n !== null);

    function update() {
      pending = false;
      if (!ready()) return;
      const name = models[chosen].name;
      listLabel.textContent = several ? `The ${name}'s three most likely digits:` : "Its three most likely digits:";
      if (isEmpty()) {
        result = null;
        paintPreview(new Float64Array(SIDE * SIDE));
        list.replaceChildren();
        status.textContent = samplesGroup.hidden ? "Draw a digit from 0 to 9 in the box."
          : "Draw a digit from 0 to 9 in the box, or load a test digit.";
        others.textContent = "";
        root.dataset.prediction = "";
        return;
      }
      const input = networkInput();
      const answers = networks.map((network) => classify(network, input));
      result = { input, answers, ...answers[chosen] };
      paintPreview(input);
      list.replaceChildren(...result.top.map(({ digit, probability }) => {
        const value = h("output", { class: "nnbook-value" });
        show(value, probability, `${fmt(100 * probability, 1)} %`);
        return h("li", { "data-digit": digit },
          h("span", { class: "nnbook-digit-class" }, String(digit)),
          h("span", { class: "nnbook-bar", "aria-hidden": "true" }, h("span", { class: "nnbook-bar-fill", style: `width: ${(100 * probability).toFixed(1)}%` })),
          value);
      }));
      const reads = (i) => `${the(models[i].name)} reads a ${answers[i].top[0].digit} (${fmt(100 * answers[i].top[0].probability, 1)} %)`;
      const sentence = reads(chosen);
      const loaded = sample && !sample.edited ? `Test digit ${sample.label}: ` : "";
      status.textContent = loaded ? `${loaded}${sentence}.` : `${sentence[0].toUpperCase()}${sentence.slice(1)}.`;
      others.textContent = models.map((_, i) => i).filter((i) => i !== chosen).map((i) => `For comparison, ${reads(i)}.`).join(" ");
      root.dataset.prediction = String(result.top[0].digit);
    }

    const schedule = () => {
      if (!pending) {
        pending = true;
        requestAnimationFrame(update);
      }
    };

    function point(event) {
      const rect = board.getBoundingClientRect();
      return [((event.clientX - rect.left) * CANVAS) / rect.width, ((event.clientY - rect.top) * CANVAS) / rect.height];
    }

    board.addEventListener("pointerdown", (event) => {
      if (event.button !== 0) return;
      event.preventDefault();
      board.setPointerCapture(event.pointerId);
      drawing = true;
      showCursor = false;
      if (sample) sample.edited = true;
      if (image) live = [point(event)];
      else strokes.push([point(event)]);
      paintBoard();
      schedule();
    });
    board.addEventListener("pointermove", (event) => {
      if (!drawing) return;
      const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
      const stroke = image ? live : strokes[strokes.length - 1];
      for (const e of events.length ? events : [event]) stroke.push(point(e));
      paintBoard();
      schedule();
    });
    const stop = () => {
      if (!drawing) return;
      drawing = false;
      if (image && live) {
        image = edited();
        live = null;
      }
      update();
    };
    board.addEventListener("pointerup", stop);
    board.addEventListener("pointercancel", stop);

    // The keyboard edits the 28 x 28 image; strokes drawn so far become that image first.
    function toImage() {
      if (!image) image = Float64Array.from(strokes.length ? preprocess(strokes, pen, scratch, centreBox.checked) : new Float64Array(SIDE * SIDE));
      strokes = [];
      if (sample) sample.edited = true;
    }

    function paintAt([r, c]) {
      toImage();
      const dot = rasterise([[[c + 0.5, r + 0.5]]], 1, 0, 0, pen, scratch);
      for (let i = 0; i < dot.length; i++) image[i] = Math.max(image[i], Math.min(1, dot[i]));
    }

    function eraseAt([r, c]) {
      toImage();
      const reach = (pen / 2) ** 2;
      for (let y = 0; y < SIDE; y++) {
        for (let x = 0; x < SIDE; x++) if ((y - r) ** 2 + (x - c) ** 2 <= reach) image[y * SIDE + x] = 0;
      }
    }

    board.addEventListener("keydown", (event) => {
      if (event.altKey || event.ctrlKey || event.metaKey || drawing) return;
      let changed = true;
      if (event.key in ARROWS) {
        const [dr, dc] = ARROWS[event.key];
        if (event.shiftKey) paintAt(cursor);
        else changed = false;
        cursor = [clamp(cursor[0] + dr, 0, SIDE - 1), clamp(cursor[1] + dc, 0, SIDE - 1)];
        if (event.shiftKey) paintAt(cursor);
      } else if (event.key === " " || event.key === "Enter") {
        paintAt(cursor);
      } else if (event.key === "Delete" || event.key === "Backspace") {
        eraseAt(cursor);
      } else {
        return;
      }
      event.preventDefault(); // no scrolling of the page
      showCursor = true;
      paintBoard();
      describeCursor();
      if (changed) update();
    });
    board.addEventListener("focus", () => {
      showCursor = board.matches(":focus-visible");
      paintBoard();
    });
    board.addEventListener("blur", () => {
      showCursor = false;
      paintBoard();
    });

    clearButton.addEventListener("click", () => {
      strokes = [];
      image = null;
      live = null;
      sample = null;
      paintBoard();
      describeCursor();
      update();
    });
    centreBox.addEventListener("change", update);

    function offerSamples(digits) {
      if (!digits.length) return;
      const sorted = digits.slice().sort((a, b) => a.label - b.label || a.index - b.index);
      samplesGroup.append(...sorted.map((digit) => h("button", {
        type: "button", class: "nnbook-digit-sample", "data-name": "sample", "data-digit": digit.label,
        "aria-label": `Load test digit ${digit.label}`,
        onclick: () => {
          image = Float64Array.from(digit.input);
          strokes = [];
          live = null;
          sample = { label: digit.label, index: digit.index, edited: false };
          paintBoard();
          describeCursor();
          update();
        },
      }, String(digit.label))));
      samplesGroup.hidden = false;
    }

    root.append(
      h("p", { class: "nnbook-widget-title" }, root.dataset.title || "Try it: draw a digit"),
      root.dataset.caption ? h("p", { class: "nnbook-widget-caption" }, root.dataset.caption) : null,
      h("div", { class: "nnbook-digit-controls" }, chooser, centreControl),
      samplesGroup,
      h("div", { class: "nnbook-digit-panes" },
        h("div", { class: "nnbook-digit-pane" }, board, h("div", { class: "nnbook-buttons" }, clearButton), cursorText, help),
        h("div", { class: "nnbook-digit-pane" },
          h("p", { class: "nnbook-digit-label" }, "What the network sees (28 \u00d7 28):"), preview,
          listLabel, list)),
      status, others);
    paintBoard();
    describeCursor();

    // The weights are files of the built site, fetched from the same server.
    const loaded = Promise.all(models.map((model, i) => fetch(siteUrl(model.path))
      .then((response) => {
        if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
        return response.json();
      })
      .then((file) => {
        const network = loadNetwork(file);
        // The file's example images, with the logits PyTorch computed for them.
        checkExamples(network, file.examples, several ? model.name : "network");
        networks[i] = network;
        if (i === 0) offerSamples(exampleDigits(file));
      })
      .catch((error) => {
        status.textContent = `The network could not be loaded from ${model.path} (${error.message}). The demo needs the page served by a web server, as the published book is.`;
        console.error(`nnbook widget: could not load the network from ${model.path}: ${error.message}`);
        throw error;
      })))
      .then(() => {
        root.dataset.modelReady = "true";
        update();
      }, () => {});

    const byName = (name) => {
      const i = name === undefined ? chosen : models.findIndex((m) => m.name === name);
      if (i < 0 || !networks[i]) throw new Error(`no network ${name} is loaded (known: ${models.map((m) => m.name).join(", ")})`);
      return networks[i];
    };

    return {
      loaded,
      /** The logits of the chosen network (or the one named) for a 784-value input, bypassing the canvas. */
      logits: (input, name) => byName(name).logits(input),
      /** The network's input for strokes of [x, y] points in the board's 280 x 280 pixels. */
      preprocess: (drawn, centre = centreBox.checked) => preprocess(drawn, pen, scratch, centre),
      state: () => ({
        ready: ready(),
        models: models.map((m) => m.name),
        model: models[chosen].name,
        centre: centreBox.checked,
        sizes: networks[chosen] ? networks[chosen].sizes : null,
        penWidth: pen,
        mode: image ? "image" : "strokes",
        strokes: strokes.map((stroke) => stroke.map((p) => p.slice())),
        image: image ? Array.from(edited()) : null,
        sample: sample ? { ...sample } : null,
        cursor: cursor.slice(),
        input: result ? result.input.slice() : null,
        logits: result ? result.logits.slice() : null,
        probabilities: result ? result.probabilities.slice() : null,
        top: result ? result.top.map((t) => ({ ...t })) : [],
        answers: result ? Object.fromEntries(models.map((m, i) => [m.name, {
          logits: result.answers[i].logits.slice(), top: result.answers[i].top.map((t) => ({ ...t })) }])) : {},
      }),
    };
  }

  // ---------------------------------------------------------------------
  // Start-up
  // ---------------------------------------------------------------------

  const KINDS = { "sigmoid-neuron": sigmoidNeuron, "gradient-descent": gradientDescent, "conv-stepper": convStepper, "draw-digit": drawDigit };
  const camel = (kind) => kind.replace(/-(\w)/g, (_, c) => c.toUpperCase());
  const registry = (window.nnbookWidgets = window.nnbookWidgets || { all: [] });

  function init() {
    for (const root of document.querySelectorAll("[data-nnbook-widget]")) {
      if (root.nnbookWidget) continue;
      const kind = root.dataset.nnbookWidget;
      try {
        if (!(kind in KINDS)) throw new Error(`unknown kind (known: ${Object.keys(KINDS).join(", ")})`);
        const widget = KINDS[kind](root);
        widget.kind = kind;
        widget.element = root;
        root.nnbookWidget = widget;
        registry.all.push(widget);
        if (!registry[camel(kind)]) registry[camel(kind)] = widget;
        root.classList.add("nnbook-widget", `nnbook-${kind}`);
        root.hidden = false;
        root.dataset.ready = "true";
      } catch (error) {
        // The widget stays hidden and the chapter's static figure stands in.
        console.error(`nnbook widget "${kind}" could not start: ${error.message}`);
      }
    }
  }

  registry.init = init;
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
