/* nnbook self-check: quick questions a reader answers on the page.
 *
 * Vanilla JavaScript (ES2017), no dependencies, no network requests. A
 * chapter's hidden cell calls nnbook.widgets.self_check, which writes
 *
 *     <div class="nnbook-selfcheck" data-nnbook-selfcheck="N">
 *       <ol class="nnbook-selfcheck-questions">
 *         <li class="nnbook-selfcheck-question" data-kind="choice" data-answer="1">
 *           <p class="nnbook-selfcheck-text">...</p>
 *           <ol class="nnbook-selfcheck-options" type="a"><li>...</li>...</ol>
 *           <details class="nnbook-selfcheck-answer"><summary>Show the answer</summary>
 *             <p class="nnbook-selfcheck-solution">...</p>
 *             <p class="nnbook-selfcheck-explanation">...</p></details>
 *         </li>
 *         <li ... data-kind="number" data-answer="0.25" data-tolerance="0.005"
 *             data-unit="s"> (the text, a hint, the same <details>) </li>
 *
 * Without JavaScript that list is the whole self-check: the reader thinks,
 * then opens "Show the answer". This script turns every question into a
 * small form: the question becomes the legend of a fieldset holding radio
 * buttons (a choice) or a labelled text field (a number), a "Check" button
 * compares the answer with data-answer (within data-tolerance), and the
 * verdict ("Correct." or "Not quite.") with the answer and its explanation
 * appears in a live region, so that screen readers announce it. The nodes
 * of the question, the options and the explanation are moved, not copied,
 * so math that MathJax has typeset (or will typeset) stays math.
 *
 * Test hooks: each built block has data-ready="true"; each question gets
 * data-result "correct", "wrong" or "" after a check; window.nnbookSelfCheck
 * holds init() and the list of questions built (all).
 */
(() => {
  "use strict";

  const MINUS = "\u2212";
  let counter = 0;
  const uniqueId = (prefix) => `nnbook-selfcheck-${prefix}-${++counter}`;

  /** An HTML element with attributes and children. */
  function h(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes)) {
      if (value === null || value === undefined || value === false) continue;
      node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(child);
    }
    return node;
  }

  /**
   * The number a reader typed, or NaN. Accepted: 0.25, .25, -3, a minus
   * sign (U+2212), 1e-3, a decimal comma (0,25), thousands separators
   * (47,700 or 47 700), a fraction (1/4), and the question's unit at the end.
   */
  function parseNumber(typed, unit) {
    let text = typed.trim().replace(/\u2212/g, "-");
    if (unit && text.endsWith(unit)) text = text.slice(0, -unit.length).trim();
    text = text.replace(/[\s\u00a0\u202f]/g, "");
    if (/^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$/.test(text)) text = text.replace(/,/g, "");
    else if (/^[+-]?\d*,\d+$/.test(text)) text = text.replace(",", ".");
    const plain = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
    const fraction = text.match(/^([+-]?\d+(?:\.\d+)?)\/(\d+(?:\.\d+)?)$/);
    if (fraction) return Number(fraction[1]) / Number(fraction[2]);
    return plain.test(text) ? Number(text) : NaN;
  }

  /** Typeset math that MathJax has not seen yet (it typesets the page once, at load). */
  function typeset(node) {
    const mathjax = window.MathJax;
    if (mathjax && typeof mathjax.typesetPromise === "function") {
      mathjax.typesetPromise([node]).catch((error) =>
        console.error(`nnbook self-check: MathJax could not typeset: ${error.message}`));
    }
  }

  /** Turn one question (an <li>) into its form; return its test hook. */
  function buildQuestion(item) {
    const kind = item.dataset.kind;
    const text = item.querySelector(":scope > .nnbook-selfcheck-text");
    const details = item.querySelector(":scope > details.nnbook-selfcheck-answer");
    if (!text || !details || (kind !== "choice" && kind !== "number")) {
      throw new Error(`a question of kind "${kind}" lacks its text or its answer`);
    }
    const solution = details.querySelector(".nnbook-selfcheck-solution");
    const explanation = details.querySelector(".nnbook-selfcheck-explanation");
    const answer = Number(item.dataset.answer);

    const legend = h("legend", { class: "nnbook-selfcheck-text" });
    legend.append(...text.childNodes);
    const fieldset = h("fieldset", { class: "nnbook-selfcheck-fieldset" }, legend);
    let read;
    let field;
    if (kind === "choice") {
      const list = item.querySelector(":scope > .nnbook-selfcheck-options");
      const name = uniqueId("question");
      const radios = [];
      const choices = h("div", { class: "nnbook-selfcheck-choices" });
      for (const option of list.querySelectorAll(":scope > li")) {
        const id = uniqueId("option");
        const radio = h("input", { type: "radio", name, id, value: String(radios.length) });
        const label = h("label", { for: id });
        label.append(...option.childNodes);
        radios.push(radio);
        choices.append(h("div", { class: "nnbook-selfcheck-choice" }, radio, label));
      }
      if (!(answer >= 0 && answer < radios.length)) throw new Error(`answer ${answer} is not an option`);
      list.remove();
      fieldset.append(choices);
      // The letters of the list without JavaScript: the radio buttons have none.
      const letter = solution.querySelector(".nnbook-selfcheck-letter");
      if (letter) letter.remove();
      read = () => {
        const chosen = radios.findIndex((radio) => radio.checked);
        return chosen < 0 ? { state: "empty" } : { state: "answered", correct: chosen === answer };
      };
      field = radios;
    } else {
      const tolerance = Number(item.dataset.tolerance);
      const unit = item.dataset.unit || "";
      if (!Number.isFinite(answer) || !(tolerance >= 0)) throw new Error("the answer or its tolerance is not a number");
      const id = uniqueId("input");
      const input = h("input", {
        type: "text", inputmode: "decimal", id, autocomplete: "off", spellcheck: "false",
        class: "nnbook-selfcheck-input",
      });
      const hint = item.querySelector(":scope > .nnbook-selfcheck-hint");
      if (hint) {
        hint.id = uniqueId("hint");
        input.setAttribute("aria-describedby", hint.id);
      }
      fieldset.append(
        h("div", { class: "nnbook-selfcheck-number" },
          h("label", { for: id }, "Your answer",
            unit ? h("span", { class: "nnbook-selfcheck-hidden" }, ` in ${unit}`) : null),
          input,
          unit ? h("span", { class: "nnbook-selfcheck-unit", "aria-hidden": "true" }, unit) : null),
        hint);
      read = () => {
        if (!input.value.trim()) return { state: "empty" };
        const value = parseNumber(input.value, unit);
        if (!Number.isFinite(value)) return { state: "invalid" };
        // A little slack for rounding in the decimal answer the reader typed.
        const slack = 1e-9 * Math.max(1, Math.abs(answer));
        return { state: "answered", correct: Math.abs(value - answer) <= tolerance + slack };
      };
      field = [input];
      input.addEventListener("keydown", (event) => {
        if (event.key === "Enter") {
          event.preventDefault();
          check();
        }
      });
    }

    const button = h("button", { type: "button", class: "nnbook-selfcheck-button" }, "Check");
    const mark = h("span", { class: "nnbook-selfcheck-mark", "aria-hidden": "true" });
    const words = h("span", { class: "nnbook-selfcheck-words" });
    const verdict = h("p", { class: "nnbook-selfcheck-verdict" }, mark, words);
    const body = h("div", { class: "nnbook-selfcheck-body", hidden: true }, solution, explanation);
    const feedback = h("div", {
      class: "nnbook-selfcheck-feedback", role: "status", "aria-live": "polite", "aria-atomic": "true",
    }, verdict, body);
    text.remove();
    details.remove();
    item.append(fieldset, h("div", { class: "nnbook-selfcheck-actions" }, button), feedback);

    let pending = null;
    function clear() {
      window.clearTimeout(pending);
      item.dataset.result = "";
      mark.textContent = "";
      words.textContent = "";
      body.hidden = true;
    }

    function check() {
      const result = read();
      clear();
      // Emptied first and filled a moment later, so that a screen reader
      // announces the verdict again when the reader checks the same answer twice.
      pending = window.setTimeout(() => {
        if (result.state === "empty") {
          words.textContent = kind === "choice" ? "Choose an answer first." : "Type a number first.";
        } else if (result.state === "invalid") {
          words.textContent = `That is not a number: write it like 0.25 or ${MINUS}3.`;
        } else {
          item.dataset.result = result.correct ? "correct" : "wrong";
          mark.textContent = result.correct ? "\u2713 " : "\u2717 ";
          words.textContent = result.correct ? "Correct." : "Not quite.";
          body.hidden = false;
          typeset(body);
        }
      }, 60);
    }

    button.addEventListener("click", check);
    // A verdict belongs to the answer it judged: changing the answer clears it.
    for (const control of field) control.addEventListener("input", clear);
    item.dataset.result = "";
    return { element: item, kind, check, read: () => read(), button };
  }

  const registry = (window.nnbookSelfCheck = window.nnbookSelfCheck || { all: [] });

  function init() {
    for (const root of document.querySelectorAll(".nnbook-selfcheck[data-nnbook-selfcheck]")) {
      if (root.dataset.ready) continue;
      try {
        for (const item of root.querySelectorAll(".nnbook-selfcheck-question")) {
          registry.all.push(buildQuestion(item));
        }
        root.classList.add("nnbook-selfcheck-interactive");
        root.dataset.ready = "true";
      } catch (error) {
        // What is not built stays the readable list it was.
        console.error(`nnbook self-check could not start: ${error.message}`);
      }
    }
  }

  registry.init = init;
  registry.parseNumber = parseNumber;
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
