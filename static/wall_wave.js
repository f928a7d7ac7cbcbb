// The green wave around the photos: the counter, the day's wave (photos per
// quarter-hour, Québec time), the tile map of Québec's 17 regions, and the
// phase (countdown before the day, live on it, recap after).
(function () {
  "use strict";
  const VV = (window.VagueVerte = window.VagueVerte || {});
  const SVG = "http://www.w3.org/2000/svg";
  const QUARTER_MS = 15 * 60 * 1000;

  // A schematic tile map: [x, y, width, height, short label] on a 7 × 4 grid,
  // roughly where each administrative region lies (01 to 17, in their order).
  const TILES = {
    "Bas-Saint-Laurent": [5, 1, 1, 1, "BSL"],
    "Saguenay–Lac-Saint-Jean": [4, 1, 1, 1, "SLSJ"],
    "Capitale-Nationale": [4, 2, 1, 1, "CAP"],
    Mauricie: [3, 1, 1, 1, "MAU"],
    Estrie: [3, 3, 1, 1, "EST"],
    "Montréal": [2, 2, 1, 1, "MTL"],
    Outaouais: [0, 2, 1, 1, "OUT"],
    "Abitibi-Témiscamingue": [0, 1, 1, 1, "AT"],
    "Côte-Nord": [4, 0, 3, 1, "CN"],
    "Nord-du-Québec": [0, 0, 4, 1, "NQ"],
    "Gaspésie–Îles-de-la-Madeleine": [6, 1, 1, 1, "GÎM"],
    "Chaudière-Appalaches": [5, 2, 1, 1, "CA"],
    Laval: [1, 2, 1, 1, "LAV"],
    "Lanaudière": [2, 1, 1, 1, "LAN"],
    Laurentides: [1, 1, 1, 1, "LAU"],
    "Montérégie": [2, 3, 1, 1, "MON"],
    "Centre-du-Québec": [3, 2, 1, 1, "CDQ"],
  };

  function svg(name, attrs) {
    const node = document.createElementNS(SVG, name);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
    return node;
  }

  function buildMap(chart, regions) {
    const tiles = new Map();
    let spare = 0; // regions configured beyond the 17 go in a row below
    for (const name of regions) {
      const known = TILES[name];
      const [x, y, w, h, label] = known || [spare % 7, 4 + Math.floor(spare / 7), 1, 1, name.slice(0, 3)];
      if (!known) spare += 1;
      const group = svg("g", { "data-region": name });
      const title = svg("title");
      title.textContent = name;
      const rect = svg("rect", { x: x * 10 + 0.5, y: y * 10 + 0.5, width: w * 10 - 1, height: h * 10 - 1, rx: 1.5 });
      const text = svg("text", { x: x * 10 + (w * 10) / 2, y: y * 10 + 6.6, "text-anchor": "middle" });
      text.textContent = label;
      group.append(title, rect, text);
      chart.appendChild(group);
      tiles.set(name, group);
    }
    const rows = 4 + Math.ceil(spare / 7);
    chart.setAttribute("viewBox", `0 0 70 ${rows * 10}`);
    return tiles;
  }

  function paintMap(tiles, byRegion) {
    const most = Math.max(1, ...Object.values(byRegion || {}));
    for (const [name, group] of tiles) {
      const count = (byRegion && byRegion[name]) || 0;
      // Square root: the first photos of a small region already show.
      const share = count ? 0.2 + 0.8 * Math.sqrt(count / most) : 0;
      // Two steps keep the label readable: white on a dim tile, dark on a bright one.
      const lit = share >= 0.4;
      group.dataset.count = String(count);
      group.style.setProperty("--fill", (lit ? 0.8 + 0.2 * share : share).toFixed(3));
      group.classList.toggle("lit", lit);
    }
  }

  // The day's 96 quarter-hours, as an area that rises and falls like a wave.
  function paintWave(chart, quarters, dayStarts) {
    const start = Date.parse(dayStarts);
    const counts = new Array(96).fill(0);
    for (const { t, n } of quarters || []) {
      const index = Math.floor((Date.parse(t) - start) / QUARTER_MS);
      if (index >= 0 && index < 96) counts[index] += n;
    }
    const most = Math.max(1, ...counts);
    const points = counts.map((n, i) => `${i + 0.5},${(24 - (n / most) * 22).toFixed(2)}`);
    const now = Math.floor((Date.now() - start) / QUARTER_MS);
    chart.replaceChildren(
      svg("path", { class: "wave-area", d: `M0,24 L${points.join(" L")} L96,24 Z` }),
      svg("polyline", { class: "wave-line", points: points.join(" ") })
    );
    if (now >= 0 && now < 96) {
      chart.appendChild(svg("line", { class: "wave-now", x1: now + 0.5, x2: now + 0.5, y1: 0, y2: 24 }));
    }
    chart.dataset.total = String(counts.reduce((a, b) => a + b, 0));
  }

  function phaseAt(config, now) {
    if (config.phaseForced) return config.phase;
    if (now < Date.parse(config.dayStarts)) return "before";
    return now < Date.parse(config.dayEnds) ? "live" : "after";
  }

  function countdown(config, now) {
    const left = Math.max(0, Date.parse(config.dayStarts) - now);
    const days = Math.floor(left / 86400000);
    const hours = Math.floor((left % 86400000) / 3600000);
    const minutes = Math.floor((left % 3600000) / 60000);
    const seconds = Math.floor((left % 60000) / 1000);
    const pad = (n) => String(n).padStart(2, "0");
    const clock = `${pad(hours)}\u00a0h\u00a0${pad(minutes)}\u00a0min\u00a0${pad(seconds)}\u00a0s`;
    return days ? `${days}\u00a0${config.text.days} ${clock}` : clock;
  }

  function start(config) {
    const count = document.getElementById("wall-count");
    const map = buildMap(document.getElementById("wall-map-chart"), config.regions);
    const wave = document.getElementById("wall-wave-chart");
    const countdownValue = document.getElementById("wall-countdown-value");
    let last = null;
    let paintedAt = 0;
    let phase = config.phase; // as the server saw it; the page's clock decides from here
    document.body.dataset.phase = phase;

    function tick() {
      const now = Date.now();
      const next = phaseAt(config, now);
      if (next !== phase) {
        document.body.classList.remove("phase-" + phase);
        document.body.classList.add("phase-" + next);
        document.body.dataset.phase = next;
        phase = next;
        if (last) paint();
      }
      if (phase === "before") countdownValue.textContent = countdown(config, now);
      // The "now" line moves on with the day, new photos or not.
      if (last && now - paintedAt >= QUARTER_MS / 15) paint();
    }

    function paint() {
      paintWave(wave, last.quarter_hours, config.dayStarts);
      paintedAt = Date.now();
    }

    function update(stats) {
      last = stats;
      count.textContent = stats.approved.toLocaleString(config.lang === "en" ? "en-CA" : "fr-CA");
      count.dataset.count = String(stats.approved);
      paintMap(map, stats.by_region);
      paint();
    }

    tick();
    setInterval(tick, 1000);
    return { update, phase: () => phase };
  }

  VV.wave = { start };
})();
