// Spotlight: one large photo with its caption, author, region and source,
// then the next. ?layout=spotlight shows only this; ?layout=rotate takes
// turns with the mosaic. A new approval is shown at once; a removal takes the
// photo off at once.
(function () {
  "use strict";
  const VV = (window.VagueVerte = window.VagueVerte || {});
  const SOURCES = { mastodon: "Mastodon", pixelfed: "Pixelfed", bluesky: "Bluesky", instagram: "Instagram", flickr: "Flickr" };

  function start(config, pool, ensureLoaded) {
    if (config.layout === "mosaic") return null;
    const stage = document.getElementById("wall-spotlight");
    const text = config.text;
    const periodMs = config.periods.spotlight * 1000;
    const mosaicMs = 6 * config.periods.rotate * 1000;
    const seen = new Map(); // id -> when it was last in the spotlight
    const queue = []; // new approvals, shown before anything else
    let current = null;
    let timer = null;
    let turns = 0; // spotlight turns left before the mosaic comes back (rotate)

    function line(className, words) {
      const node = document.createElement("p");
      node.className = className;
      node.textContent = words;
      return node;
    }

    function render(id) {
      const entry = pool.get(id);
      if (!entry || !entry.img || !document.body.classList.contains("spotlight-on")) return;
      const photo = entry.photo;
      current = id;
      seen.set(id, Date.now());
      const figure = document.createElement("figure");
      figure.className = "spot" + (photo.pinned ? " pinned" : "");
      figure.dataset.id = id;
      const img = entry.img.cloneNode();
      img.alt = photo.alt || photo.caption || text.alt;
      const about = document.createElement("figcaption");
      if (photo.caption) about.appendChild(line("spot-caption", photo.caption));
      const author = photo.author && (photo.author.name || photo.author.handle);
      const place = [author, photo.region].filter(Boolean).join(" · ");
      if (place) about.appendChild(line("spot-who", place));
      const badge = line("spot-source", photo.source === "upload" ? text.source_upload : SOURCES[photo.source] || photo.source);
      about.appendChild(badge);
      // The number a parent quotes on the removal form.
      if (photo.number) about.appendChild(line("spot-number", text.photo_number + "\u00a0" + photo.number));
      figure.append(img, about);
      stage.replaceChildren(figure);
    }

    function pick() {
      while (queue.length) {
        const id = queue.shift();
        if (pool.has(id)) return id;
      }
      let best = null;
      let bestScore = Infinity;
      for (const [id, entry] of pool) {
        if (id === current) continue;
        const score = (seen.get(id) || 0) - (entry.photo.pinned ? 6 * periodMs : 0);
        if (score < bestScore) {
          best = id;
          bestScore = score;
        }
      }
      return best || current;
    }

    function spotlightOn(on) {
      document.body.classList.toggle("spotlight-on", on);
      stage.hidden = !on;
      if (!on) {
        stage.replaceChildren();
        current = null;
      }
    }

    function advance() {
      clearTimeout(timer);
      if (config.layout === "rotate") {
        if (!document.body.classList.contains("spotlight-on")) {
          spotlightOn(true);
          turns = 3;
        } else if (turns <= 0) {
          spotlightOn(false);
          timer = setTimeout(advance, mosaicMs);
          return;
        }
        turns -= 1;
      }
      const id = pick();
      if (id) ensureLoaded(id, render);
      timer = setTimeout(advance, periodMs);
    }

    function offer(id, fresh) {
      if (!fresh) {
        if (current === null && document.body.classList.contains("spotlight-on")) advance();
        return;
      }
      queue.push(id);
      if (document.body.classList.contains("spotlight-on")) {
        clearTimeout(timer);
        ensureLoaded(queue.shift(), render);
        timer = setTimeout(advance, periodMs);
      }
    }

    function removed(id) {
      seen.delete(id);
      if (current !== id) return;
      stage.replaceChildren();
      current = null;
      advance();
    }

    if (config.layout === "spotlight") {
      spotlightOn(true);
      advance();
    } else {
      spotlightOn(false);
      timer = setTimeout(advance, mosaicMs);
    }
    return { offer, removed, current: () => current };
  }

  VV.spotlight = { start };
})();
