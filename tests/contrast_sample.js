// axe-core on a whole page, its color-contrast rule on one element per contrast signature.
//
// That rule costs most of an axe run on a long table: it walks the background stack of
// every cell. Its verdict on an element depends only on what the signature below holds: the
// element's own text style; the painted layers of it and of each ancestor (backgrounds,
// opacity, filters, pseudo-element backgrounds) and whether each covers it whole; anything
// raised (positioned, transformed, floated) and painted that overlaps it; the kind of text
// it holds (axe skips punctuation, defers a single character and emoji); whether it is
// shown, clipped, in view. Row 2..n of a table styled like row 1 has row 1's signature; a
// row with another color, badge, hover or overlay has its own and is checked.
//
// Each class's first and last element are checked. Measured against axe's full rule on every
// page type in both schemes (22,592 elements, 1,615 classes, 2,489 checked): every element
// the rule looked at was in a class, twins never differed in a decided verdict (pass or
// fail), and every class with a decided element had a checked element decided. Where an
// element lies can make axe undecided ("can't tell", never a violation) when a layer holds
// its text only in part: that test is in the signature, so such twins form their own class.
// Injected after axe itself: it uses axe's own text helpers to tell text from punctuation.
(() => {
  const OWN = [
    "color", "font-size", "font-weight", "font-family", "font-style", "text-shadow",
    "-webkit-text-stroke-width", "-webkit-text-stroke-color", "-webkit-text-fill-color",
    "text-indent", "letter-spacing",
  ];
  const LAYER = [
    "background-color", "background-image", "background-clip", "opacity", "filter",
    "backdrop-filter", "mix-blend-mode", "visibility", "display", "content-visibility",
    "overflow-x", "overflow-y", "clip", "clip-path", "mask-image", "z-index", "position",
  ];
  const PSEUDO = ["content", "display", "visibility", "position", "background-color",
    "background-image", "width", "height"];
  const FORM_TEXT = new Set(["INPUT", "SELECT", "TEXTAREA"]);
  const NO_TEXT_INPUT = new Set(["hidden", "range", "color", "checkbox", "radio", "image"]);
  const MARK = "data-axe-contrast-sample";

  const read = (style, names) => names.map((name) => style.getPropertyValue(name)).join(";");
  const transparent = (color) => color === "transparent" || /^rgba\(.*, 0\)$/.test(color);
  const paints = (style) => !transparent(style.backgroundColor) || style.backgroundImage !== "none";
  const overlap = (a, b) =>
    a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  const inside = (a, b) =>
    a.left >= b.left - 0.5 && a.right <= b.right + 0.5 && a.top >= b.top - 0.5 && a.bottom <= b.bottom + 0.5;
  const where = (rect, area) => (inside(rect, area) ? "in" : overlap(rect, area) ? "part" : "out");

  function textKind(element) {
    if (FORM_TEXT.has(element.tagName)) {
      return NO_TEXT_INPUT.has((element.type || "").toLowerCase()) ? null : "form";
    }
    let text = "";
    for (const node of element.childNodes) if (node.nodeType === 3) text += node.nodeValue;
    const { sanitize, removeUnicode, hasUnicode } = axe.commons.text;
    text = sanitize(text);
    if (!text || !sanitize(removeUnicode(text, { emoji: true, nonBmp: false, punctuations: true }))) {
      return null; // axe's rule skips it: no text, or only punctuation and emoji.
    }
    return `${text.length === 1 ? "one" : "many"}${hasUnicode(text, { nonBmp: true }) ? "+nonbmp" : ""}`;
  }

  // Returns the elements axe's color-contrast rule would look at, grouped by signature.
  function contrastClasses() {
    const all = Array.from(document.querySelectorAll("*"));
    const box = new Map(all.map((element) => [element, element.getBoundingClientRect()]));
    const styles = new Map(all.map((element) => [element, getComputedStyle(element)]));
    const ids = new Map();
    const intern = (text) => {
      if (!ids.has(text)) ids.set(text, ids.size);
      return ids.get(text);
    };
    // A pseudo-element counts as axe counts it: absolutely positioned and painted.
    const pseudoArea = (element) => {
      let area = 0;
      for (const which of ["::before", "::after"]) {
        const style = getComputedStyle(element, which);
        if (style.content === "none" || style.position !== "absolute" || !paints(style)) continue;
        const size = parseFloat(style.width) * parseFloat(style.height);
        area += Number.isFinite(size) ? size : Infinity;
      }
      return area;
    };
    const layers = new Map(); // element -> [chain id, largest pseudo area on the chain, clip box]
    const chainOf = (element) => {
      if (!element) return [0, 0, null];
      if (layers.has(element)) return layers.get(element);
      const parent = element.parentElement;
      const [parentChain, parentPseudo, parentClip] = chainOf(parent);
      const pseudo = pseudoArea(element);
      const pseudoKey = pseudo
        ? ["::before", "::after"].map((w) => read(getComputedStyle(element, w), PSEUDO)).join("|")
        : "";
      let clip = parentClip;
      if (parent && styles.get(parent).overflowX + styles.get(parent).overflowY !== "visiblevisible") {
        const edge = box.get(parent);
        clip = clip
          ? { left: Math.max(clip.left, edge.left), top: Math.max(clip.top, edge.top),
              right: Math.min(clip.right, edge.right), bottom: Math.min(clip.bottom, edge.bottom) }
          : edge;
      }
      const found = [intern(`${parentChain}>${read(styles.get(element), LAYER)}${pseudoKey}`),
        Math.max(parentPseudo, pseudo), clip];
      layers.set(element, found);
      return found;
    };
    // axe's test of the painted layers under an element, up to the first opaque one: each
    // must hold the element's own text boxes, or axe cannot tell its background. One bit a
    // layer, so twins axe cannot decide share their bits and a class.
    const range = document.createRange();
    const textBoxes = (element, rect) => {
      let boxes = [];
      for (const node of element.childNodes) {
        if (node.nodeType !== 3 || !node.nodeValue.trim()) continue;
        range.selectNodeContents(node);
        const found = Array.from(range.getClientRects());
        if (found.every((part) => inside(part, rect))) boxes.push(...found);
      }
      if (!boxes.length) boxes = [rect];
      return boxes
        .filter((part) => part && part.right - part.left >= 1 && part.bottom - part.top >= 1);
    };
    const holds = (layer) => {
      const edge = box.get(layer);
      const style = styles.get(layer);
      if (!["scroll", "auto"].includes(style.overflow) && layer !== document.documentElement) return edge;
      const pad = (side) => parseInt(style.getPropertyValue(`padding-${side}`), 10);
      return { left: edge.left, top: edge.top,
        right: edge.left + layer.scrollWidth + pad("left") + pad("right"),
        bottom: edge.top + layer.scrollHeight + pad("top") + pad("bottom") };
    };
    const covered = (element, rect) => {
      const boxes = textBoxes(element, rect);
      let bits = "";
      for (let layer = element; layer; layer = layer.parentElement) {
        const style = styles.get(layer);
        if (transparent(style.backgroundColor)) continue;
        if (style.display !== "inline") {
          const edge = holds(layer);
          bits += boxes.every((part) => inside(part, edge)) ? "1" : "0";
        }
        if (style.backgroundColor.startsWith("rgb(")) break;
      }
      return bits;
    };
    // Painters: what can lie over or under an element without being its ancestor, filed by
    // horizontal band so each element meets only those near it.
    const BAND = 256;
    const bands = new Map();
    for (const element of all) {
      const style = styles.get(element);
      const raised = style.position !== "static" || style.transform !== "none" || style.float !== "none";
      const area = box.get(element);
      if (!raised || !paints(style) || area.width <= 0) continue;
      const painter = [element, area, read(style, LAYER)];
      for (let band = Math.floor(area.top / BAND); band <= Math.floor(area.bottom / BAND); band += 1) {
        if (!bands.has(band)) bands.set(band, []);
        bands.get(band).push(painter);
      }
    }
    const paintersNear = (rect) => {
      const near = new Set();
      for (let band = Math.floor(rect.top / BAND); band <= Math.floor(rect.bottom / BAND); band += 1) {
        for (const painter of bands.get(band) || []) near.add(painter);
      }
      return near;
    };
    const view = { left: 0, top: 0, right: innerWidth, bottom: innerHeight };
    const classes = new Map();
    for (const element of all) {
      const kind = textKind(element);
      if (kind === null) continue;
      const rect = box.get(element);
      const [chain, pseudo, clip] = chainOf(element);
      const over = [];
      for (const [painter, area, layer] of paintersNear(rect)) {
        if (painter === element || !overlap(rect, area) || painter.contains(element)) continue;
        const order = element.contains(painter) ? "in" : element.compareDocumentPosition(painter) & 2 ? "under" : "over";
        over.push(intern(`${layer}|${order}|${inside(rect, area)}`));
      }
      const size = rect.width * rect.height;
      const layersHold = covered(element, rect);
      const signature = [
        element.tagName, element.type || "", kind, read(styles.get(element), OWN), chain,
        over.sort((a, b) => a - b).join(","), pseudo > size * 0.25, size > 0,
        element.checkVisibility({ contentVisibilityAuto: true }), clip ? where(rect, clip) : "free",
        rect.right + scrollX <= 0 || rect.bottom + scrollY <= 0, layersHold, where(rect, view),
        element.matches(":disabled") || !!element.closest("[aria-disabled=true]"),
        !!element.closest("label"), !!element.closest("[aria-hidden=true]"),
      ].join("\u0001");
      if (!classes.has(signature)) classes.set(signature, []);
      classes.get(signature).push(element);
    }
    return Array.from(classes.values());
  }

  // The elements of a class to check: its first and its last.
  const chosen = (members) => Array.from(new Set([members[0], members.at(-1)]));

  // axe names an element by its attributes too: the mark is taken out of what it reports.
  const unmarked = (violations) =>
    violations.map((rule) => ({
      ...rule,
      nodes: rule.nodes.map((node) => ({
        ...node,
        target: node.target.map((part) => (typeof part === "string" ? part.split(`[${MARK}=""]`).join("") : part)),
        html: node.html.split(` ${MARK}=""`).join(""),
      })),
    }));

  // Every axe rule on the whole page, color-contrast only on the chosen elements (marked
  // while axe runs); the violations, and the size of the sample.
  window.axeSampledViolations = async function axeSampledViolations(axeOptions) {
    axe.configure({ rules: [{ id: "color-contrast", selector: `[${MARK}]` }] });
    const classes = contrastClasses();
    const sample = classes.flatMap(chosen);
    sample.forEach((element) => element.setAttribute(MARK, ""));
    try {
      const results = await axe.run(document, axeOptions);
      const candidates = classes.reduce((sum, members) => sum + members.length, 0);
      return { violations: unmarked(results.violations), checked: sample.length, candidates, classes: classes.length };
    } finally {
      sample.forEach((element) => element.removeAttribute(MARK));
    }
  };
})();
