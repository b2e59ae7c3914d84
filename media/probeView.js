// The syntax probe's webview: draws the tree recovered from the encoder beside tree-sitter's, with the
// constituents that differ highlighted, a layer chooser, and F1 per layer. Plain DOM and SVG, no network.
// @ts-check
(function () {
  // eslint-disable-next-line no-undef
  const vscode = acquireVsCodeApi();
  const SVG = 'http://www.w3.org/2000/svg';
  const CHAR_WIDTH = 7;
  const ROW_HEIGHT = 36;
  const EMPTY = '<empty>';

  /** @param {string} tag @param {Record<string, string | number>} attributes @param {string} [text] */
  function svg(tag, attributes, text) {
    const element = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
    if (text !== undefined) element.textContent = text;
    return element;
  }

  function isLeaf(node) {
    return !('children' in node);
  }

  /** Lays a tree out: leaves evenly spaced on the bottom row, inner nodes above the middle of their leaves. */
  function layout(tree) {
    const nodes = [];
    let leafIndex = 0;
    let depthMax = 0;
    function visit(node, depth) {
      depthMax = Math.max(depthMax, depth);
      if (isLeaf(node)) {
        const entry = { node, depth, first: leafIndex, last: leafIndex, children: [] };
        leafIndex++;
        nodes.push(entry);
        return entry;
      }
      const children = node.children.map((child) => visit(child, depth + 1));
      const entry = { node, depth, first: children[0].first, last: children[children.length - 1].last, children };
      nodes.push(entry);
      return entry;
    }
    const root = visit(tree, 0);
    return { root, nodes, leaves: leafIndex, depth: depthMax };
  }

  /** @param {HTMLElement} host @param {any} tree @param {Set<string>} differing @param {string} differingClass */
  function drawTree(host, tree, differing, differingClass) {
    const { root, nodes, depth } = layout(tree);
    // Each leaf as wide as its text: leaf centres, left to right.
    const centres = [];
    let right = 8;
    for (const entry of nodes.filter((each) => isLeaf(each.node)).sort((a, b) => a.first - b.first)) {
      const width = Math.max(24, clip(entry.node.text, 9).length * CHAR_WIDTH + 12);
      centres.push(right + width / 2);
      right += width;
    }
    const width = Math.max(right + 8, 200);
    const height = (depth + 1) * ROW_HEIGHT + 24;
    const canvas = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img' });
    const x = (entry) => (centres[entry.first] + centres[entry.last]) / 2;
    const y = (entry) => (isLeaf(entry.node) ? depth : entry.depth) * ROW_HEIGHT + 16;
    for (const entry of nodes) {
      for (const child of entry.children) canvas.append(svg('line', { x1: x(entry), y1: y(entry) + 6, x2: x(child), y2: y(child) - 12, class: 'edge' }));
    }
    for (const entry of nodes) {
      if (isLeaf(entry.node)) {
        canvas.append(svg('text', { x: x(entry), y: y(entry), class: 'leaf' }, clip(entry.node.text, 9)));
        continue;
      }
      const label = entry.node.label;
      const span = `${label}-${entry.first}-${entry.last}`;
      const classes = ['node', label === EMPTY ? 'empty' : '', differing.has(span) ? differingClass : ''].filter(Boolean).join(' ');
      const text = svg('text', { x: x(entry), y: y(entry), class: classes }, label === EMPTY ? '∅' : clip(label, 14));
      text.append(svg('title', {}, `${label} over leaves ${entry.first}-${entry.last}`));
      canvas.append(text);
    }
    host.replaceChildren(canvas);
    // Start with the root in view: it sits above the middle of the leaves, often far to the right.
    host.scrollLeft = Math.max(0, x(root) - host.clientWidth / 2);
    host.scrollTop = 0;
  }

  function clip(text, length) {
    return text.length > length ? `${text.slice(0, length - 1)}…` : text;
  }

  /** F1 of this code's recovered tree at every layer; the chosen one marked. */
  function drawCurve(host, perLayer, chosen) {
    const width = 320;
    const height = 110;
    const left = 34;
    const bottom = 22;
    const canvas = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img' });
    const step = perLayer.length > 1 ? (width - left - 12) / (perLayer.length - 1) : 0;
    const px = (index) => left + index * step;
    const py = (f1) => 8 + (1 - f1) * (height - bottom - 8);
    canvas.append(svg('line', { x1: left, y1: py(0), x2: width - 8, y2: py(0), class: 'axis' }));
    canvas.append(svg('line', { x1: left, y1: py(0), x2: left, y2: py(1), class: 'axis' }));
    for (const tick of [0, 0.5, 1]) canvas.append(svg('text', { x: left - 6, y: py(tick) + 4, class: 'tick end' }, tick.toFixed(1)));
    canvas.append(svg('polyline', { points: perLayer.map((point, index) => `${px(index)},${py(point.f1)}`).join(' '), class: 'curve' }));
    perLayer.forEach((point, index) => {
      const dot = svg('circle', { cx: px(index), cy: py(point.f1), r: point.layer === chosen ? 5 : 3, class: point.layer === chosen ? 'dot chosen' : 'dot' });
      dot.append(svg('title', {}, `layer ${point.layer}: F1 ${point.f1.toFixed(3)}`));
      canvas.append(dot);
      canvas.append(svg('text', { x: px(index), y: height - 6, class: 'tick' }, String(point.layer)));
    });
    const caption = document.createElement('div');
    caption.className = 'caption';
    caption.textContent = 'F1 of the recovered tree per layer (this code)';
    host.replaceChildren(caption, canvas);
  }

  function render(view) {
    document.getElementById('title').textContent = `Syntax probe: ${view.title}`;
    const select = /** @type {HTMLSelectElement} */ (document.getElementById('layer'));
    select.replaceChildren(...view.layers.map((layer) => {
      const option = document.createElement('option');
      option.value = String(layer);
      option.textContent = `${layer}${layer === view.bestLayer ? ' (best)' : ''}`;
      option.selected = layer === view.layer;
      return option;
    }));
    const { precision, recall, f1 } = view.score;
    document.getElementById('score').textContent = `F1 ${f1.toFixed(3)} · precision ${precision.toFixed(3)} · recall ${recall.toFixed(3)} · probe ${view.probeMs.toFixed(1)} ms`;
    document.getElementById('predicted-caption').textContent = `Recovered from layer ${view.layer} (wrong constituents in red)`;
    drawTree(document.getElementById('predicted'), view.predicted, new Set(view.wrong), 'wrong');
    drawTree(document.getElementById('truth'), view.truth, new Set(view.missed), 'missed');
    drawCurve(document.getElementById('curve'), view.perLayer, view.layer);
    document.body.dataset.layer = String(view.layer);
  }

  document.getElementById('layer').addEventListener('change', (event) => {
    vscode.postMessage({ type: 'layer', layer: Number(/** @type {HTMLSelectElement} */ (event.target).value) });
  });
  window.addEventListener('message', (event) => {
    if (event.data && event.data.type === 'view') render(event.data.view);
  });
  vscode.postMessage({ type: 'ready' });
})();
