// Measures the rendered charts of a membench analyze page (test_analyze_html.sh injects this
// into a copy of the page; the page itself has no script). For every <svg class="chart">: the
// legend keys' boxes must not intersect the plot frame, each other or any point of any series
// path (sampled along the path with getPointAtLength, in screen coordinates), and must lie
// inside the SVG. Also reports the frame and the series' x extent, for the key-size check.
// The result is written as JSON into <pre id="geometry">, read back from --dump-dom.
(function () {
  function hit(a, b) {
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }
  const charts = [];
  document.querySelectorAll("svg.chart").forEach(function (svg) {
    const bad = [];
    const box = svg.getBoundingClientRect();
    const frame = svg.querySelector("rect.frame").getBoundingClientRect();
    const legend = svg.querySelector("g.legend");
    const keys = legend ? Array.from(legend.querySelectorAll("g.key")) : [];
    const kb = keys.map(function (k) { return k.getBoundingClientRect(); });
    let xmin = Infinity, xmax = -Infinity, sampled = 0;
    const paths = Array.from(svg.querySelectorAll("path.series"));
    const pts = [];
    paths.forEach(function (p) {
      const len = p.getTotalLength(), m = p.getScreenCTM();
      const stepLen = Math.max(len / 4000, 0.25);
      for (let d = 0; d <= len + 1e-6; d += stepLen) {
        const q = p.getPointAtLength(Math.min(d, len));
        const x = m.a * q.x + m.c * q.y + m.e, y = m.b * q.x + m.d * q.y + m.f;
        pts.push([x, y]);
        xmin = Math.min(xmin, x);
        xmax = Math.max(xmax, x);
      }
    });
    sampled = pts.length;
    kb.forEach(function (k, i) {
      if (k.width <= 0 || k.height <= 0) bad.push("legend key " + i + " has no size");
      if (hit(k, frame)) bad.push("legend key " + i + " overlaps the plot frame");
      if (k.left < box.left - 0.5 || k.right > box.right + 0.5 || k.top < box.top - 0.5 ||
          k.bottom > box.bottom + 0.5)
        bad.push("legend key " + i + " outside the chart");
      for (let j = 0; j < i; j++)
        if (hit(k, kb[j])) bad.push("legend keys " + j + " and " + i + " overlap");
      for (const [x, y] of pts)
        if (x >= k.left && x <= k.right && y >= k.top && y <= k.bottom) {
          bad.push("legend key " + i + " covers a series point at (" + x.toFixed(1) + ", " +
                   y.toFixed(1) + ")");
          break;
        }
    });
    if (keys.length !== paths.length)
      bad.push(keys.length + " legend keys for " + paths.length + " series");
    charts.push({
      label: svg.getAttribute("aria-label"), keys: keys.length, series: paths.length,
      sampled: sampled, frame: [frame.left, frame.right], xmin: xmin, xmax: xmax, bad: bad,
    });
  });
  const pre = document.createElement("pre");
  pre.id = "geometry";
  pre.textContent = JSON.stringify(charts);
  document.body.appendChild(pre);
})();
