// The live wall. It knows a pool of approved photos (the feed, a page at a
// time) and shows as many as fit the screen (wall_layout.js). New approvals
// arrive from the event stream once their image has loaded, taking the place
// of the photo that has been on screen longest; when nothing new comes, an
// older photo rotates in every few seconds, so that over an hour every photo
// of the pool is seen, and the pool walks back through the whole feed.
// Every few minutes, and when the page becomes visible again, the first page
// of the feed is fetched again (a 304 when nothing changed) so that an event
// that never arrived cannot leave a removed photo on screen.
(function () {
  "use strict";
  const VV = window.VagueVerte;
  const config = JSON.parse(document.getElementById("wall-config").textContent);
  const area = document.getElementById("wall-photos");
  const grid = document.createElement("ul");
  const empty = document.getElementById("wall-empty");
  const text = config.text;
  const PAGE = 100;
  const MAX_POOL = 400;
  const FRESH_MS = 60000; // a new approval stays on screen at least this long
  const rotateMs = config.periods.rotate * 1000;
  const HOUR_MS = 3600 * 1000;
  const FASTEST_ROTATION_MS = 3000;
  const resyncMs = config.periods.resync * 1000;
  const wave = VV.wave.start(config);

  // id -> {photo, img (loaded), loading, waiters, shownAt, freshUntil, arriving}
  const pool = new Map();
  let visible = []; // ids on screen, in slot order
  const nodes = new Map(); // id -> tile
  let capacity = 0;
  let firstNext = null; // cursor of the feed's second page
  let walkCursor = null; // next older page to bring into the pool
  let walking = false;
  let etag = null;
  let generation = 0;
  let spotlight = null;
  let live = null;

  grid.id = "wall-grid";
  grid.className = "wall-grid";
  area.appendChild(grid);

  const url = VV.live.url;

  // --- Tiles -------------------------------------------------------------
  const tile = (entry) => VV.layout.tile(entry, text);
  const samePlace = VV.layout.samePlace;

  function relayout() {
    const rects = VV.layout.slots(area.clientWidth, area.clientHeight, visible.length);
    const keep = new Set(visible);
    for (const [id, node] of nodes) {
      if (!keep.has(id)) {
        node.remove();
        nodes.delete(id);
      }
    }
    visible.forEach((id, index) => {
      let node = nodes.get(id);
      if (!node) {
        node = tile(pool.get(id));
        nodes.set(id, node);
        grid.appendChild(node);
      }
      VV.layout.place(node, rects[index]);
    });
    empty.hidden = pool.size > 0;
    area.dataset.shown = String(visible.length);
  }

  // Put `id` in the slot of `index`, in place: no other tile moves.
  function swapIn(index, id) {
    const old = nodes.get(visible[index]);
    visible[index] = id;
    const node = tile(pool.get(id));
    node.classList.add("arriving");
    nodes.set(id, node);
    if (old) {
      samePlace(node, old);
      nodes.delete(old.dataset.id);
      old.replaceWith(node);
    } else {
      grid.appendChild(node);
      relayout();
    }
  }

  // --- The pool ----------------------------------------------------------
  function remember(photo, arriving) {
    const entry = pool.get(photo.id);
    if (entry) {
      entry.photo = photo;
      return entry;
    }
    const created = { photo, img: null, loading: false, waiters: [], shownAt: 0, freshUntil: 0, arriving };
    pool.set(photo.id, created);
    trimPool();
    return created;
  }

  function trimPool() {
    if (pool.size <= MAX_POOL) return;
    const onScreen = new Set(visible);
    const spare = Array.from(pool.entries()).filter(
      ([id, e]) => !onScreen.has(id) && !e.arriving && !e.photo.pinned && id !== (spotlight && spotlight.current())
    );
    // Already seen first, then the oldest approvals.
    spare.sort(([, a], [, b]) => (b.shownAt > 0) - (a.shownAt > 0) || order(a) - order(b));
    for (const [id] of spare.slice(0, pool.size - MAX_POOL)) pool.delete(id);
  }

  function order(entry) {
    return Date.parse(entry.photo.approved_at || 0) || 0;
  }

  // Load a photo's image (retried until it comes); then call `then` with its id.
  function ensureLoaded(id, then) {
    const entry = pool.get(id);
    if (!entry) return;
    if (entry.img) {
      if (then) then(id);
      return;
    }
    if (then) entry.waiters.push(then);
    if (entry.loading) return;
    entry.loading = true;
    VV.images.load(entry.photo, () => pool.get(id) !== entry).then((img) => {
      entry.loading = false;
      const waiters = entry.waiters;
      entry.waiters = [];
      if (!img) return;
      entry.img = img;
      for (const waiter of waiters) waiter(id);
    });
  }

  // The next photo to rotate in: never shown first, then shown longest ago;
  // pinned photos count as shown less recently, so they recur more often.
  function nextCandidate() {
    const onScreen = new Set(visible);
    const boost = (wave.phase() === "after" ? 40 : 8) * rotateMs;
    let best = null;
    let bestScore = Infinity;
    for (const [id, entry] of pool) {
      if (onScreen.has(id) || entry.arriving) continue;
      const score = entry.shownAt - (entry.photo.pinned ? boost : 0) - (entry.img ? 1 : 0);
      if (score < bestScore) {
        best = id;
        bestScore = score;
      }
    }
    return best;
  }

  // The slot a newcomer takes: shown longest, and never a fresh approval.
  function victim(now) {
    let index = -1;
    let oldest = Infinity;
    visible.forEach((id, i) => {
      const entry = pool.get(id);
      const fresh = entry.freshUntil > now;
      const score = entry.shownAt + (fresh ? 1e15 : 0);
      if (score < oldest) {
        oldest = score;
        index = i;
      }
    });
    return index;
  }

  function show(id, fresh) {
    const entry = pool.get(id);
    if (!entry || !entry.img || visible.includes(id)) return;
    const now = Date.now();
    entry.arriving = false;
    entry.shownAt = now;
    if (fresh) entry.freshUntil = now + FRESH_MS;
    if (visible.length < capacity) {
      if (fresh) visible.unshift(id);
      else inPoolOrder(id);
      relayout();
    } else {
      swapIn(victim(now), id);
    }
    if (spotlight) spotlight.offer(id, fresh);
  }

  // Photos that fill free room take their place in the pool's order (pinned,
  // then newest), whatever order their images happened to load in.
  function inPoolOrder(id) {
    const rank = new Map(Array.from(pool.keys(), (key, index) => [key, index]));
    const now = Date.now();
    const at = visible.findIndex(
      (other) => pool.get(other).freshUntil <= now && rank.get(other) > rank.get(id)
    );
    if (at < 0) visible.push(id);
    else visible.splice(at, 0, id);
  }

  function arrive(photo) {
    remember(photo, true);
    ensureLoaded(photo.id, (id) => show(id, true));
  }

  function drop(id) {
    pool.delete(id);
    const index = visible.indexOf(id);
    if (index >= 0) {
      const node = nodes.get(id);
      if (node) node.remove(); // at once, mid-animation included
      nodes.delete(id);
      const next = nextCandidate();
      if (next && pool.get(next).img) {
        visible.splice(index, 1, next);
        pool.get(next).shownAt = Date.now();
      } else {
        visible.splice(index, 1);
      }
      relayout();
      fill();
    } else {
      empty.hidden = pool.size > 0;
    }
    if (spotlight) spotlight.removed(id);
  }

  function update(photo) {
    if (!pool.has(photo.id)) return arrive(photo);
    const entry = pool.get(photo.id);
    const imageChanged = VV.images.imageUrl(entry.photo) !== VV.images.imageUrl(photo);
    entry.photo = photo;
    if (imageChanged) entry.img = null;
    const node = nodes.get(photo.id);
    if (!node) return;
    if (imageChanged) {
      ensureLoaded(photo.id, (id) => {
        const index = visible.indexOf(id);
        if (index >= 0) swapIn(index, id);
      });
    } else {
      const fresh = tile(entry);
      samePlace(fresh, node);
      node.replaceWith(fresh);
      nodes.set(photo.id, fresh);
    }
  }

  // Bring photos in while the screen has room, and preload the next one.
  function fill() {
    const wanted = Math.min(capacity, pool.size);
    if (visible.length > wanted) {
      visible = visible.slice(0, wanted);
      relayout();
    }
    const onScreen = new Set(visible);
    let missing = wanted - visible.length;
    for (const [id, entry] of pool) {
      if (missing <= 0) break;
      if (onScreen.has(id) || entry.arriving) continue;
      missing -= 1;
      ensureLoaded(id, (ready) => {
        if (visible.length < Math.min(capacity, pool.size)) show(ready, false);
      });
    }
    const next = nextCandidate();
    if (next) ensureLoaded(next);
  }

  function rotate() {
    if (visible.length < Math.min(capacity, pool.size)) fill();
    else if (!document.body.classList.contains("spotlight-on") && pool.size > visible.length) {
      const next = nextCandidate();
      if (next && pool.get(next).img) {
        const index = victim(Date.now());
        const entry = pool.get(visible[index]);
        if (index >= 0 && entry.freshUntil <= Date.now()) {
          pool.get(next).shownAt = Date.now();
          entry.img = null; // off screen: let the browser keep the bytes, not us
          swapIn(index, next);
        }
      }
      const after = nextCandidate();
      if (after) ensureLoaded(after);
      let unseen = 0;
      for (const entry of pool.values()) if (entry.shownAt === 0) unseen += 1;
      if (unseen < capacity) walkBack();
    }
    setTimeout(rotate, rotationPeriod());
  }

  // ?rotate=N sets the period; by default it shortens (down to 3 s) so that
  // every approved photo comes round within the hour.
  function rotationPeriod() {
    if (config.periods.rotateGiven) return rotateMs;
    const count = Number(document.getElementById("wall-count").dataset.count) || pool.size;
    const hidden = Math.max(1, count - capacity);
    return Math.min(rotateMs, Math.max(FASTEST_ROTATION_MS, HOUR_MS / hidden));
  }

  // Bring the next older page of the feed into the pool; at the end, start over.
  async function walkBack() {
    if (walking || !walkCursor) return;
    walking = true;
    try {
      const response = await fetch(url(config.photosUrl, { limit: PAGE, before: walkCursor }), {
        headers: { Accept: "application/json" },
      });
      if (response.ok) {
        const data = await response.json();
        for (const photo of data.photos) remember(photo, false);
        walkCursor = data.next || firstNext;
      }
    } catch (err) {
      // Offline for a moment: the next round tries again.
    } finally {
      walking = false;
    }
  }

  // --- Feed, stats and events --------------------------------------------
  function fetchFeed(headers) {
    // no-store: the page sends If-None-Match itself and wants to see the 304.
    return fetch(url(config.photosUrl, { limit: PAGE }), {
      headers: Object.assign({ Accept: "application/json" }, headers),
      cache: "no-store",
    });
  }

  async function load() {
    const [response, pinned] = await Promise.all([
      fetchFeed({}),
      fetch(url(config.photosUrl, { limit: PAGE, pinned: 1 }), { headers: { Accept: "application/json" } }),
    ]);
    if (!response.ok || !pinned.ok) throw new Error("HTTP " + response.status);
    const data = await response.json();
    const pins = (await pinned.json()).photos;
    generation += 1;
    const ids = new Set(data.photos.concat(pins).map((photo) => photo.id));
    for (const id of Array.from(pool.keys())) if (!ids.has(id)) drop(id);
    // Pinned photos first on a fresh screen, then the newest.
    for (const photo of pins.concat(data.photos)) {
      const known = pool.get(photo.id);
      if (!known) remember(photo, false);
      else if (JSON.stringify(known.photo) !== JSON.stringify(photo)) update(photo);
    }
    firstNext = walkCursor = data.next;
    etag = response.headers.get("ETag");
    fill();
    relayout();
    area.dataset.ready = "1";
    return data.last_event_id;
  }

  // Make the pool agree with the feed's first page, except for photos that an
  // event newer than the answer has already set right.
  function reconcile(photos, feedEventId) {
    const newer = live.newerThan(feedEventId);
    const inFeed = new Set(photos.map((photo) => photo.id));
    const oldest = photos.length ? Math.min(...photos.map((p) => Date.parse(p.approved_at))) : Infinity;
    const complete = photos.length < PAGE;
    for (const [id, entry] of Array.from(pool)) {
      if (inFeed.has(id) || newer.has(id)) continue;
      if (complete || order(entry) >= oldest) drop(id);
    }
    for (const photo of photos) {
      if (newer.has(photo.id)) continue;
      const entry = pool.get(photo.id);
      if (!entry) arrive(photo);
      else if (JSON.stringify(entry.photo) !== JSON.stringify(photo)) update(photo);
    }
  }

  let resyncing = false;
  let resyncTimer = null;
  async function resync() {
    if (resyncing) return;
    resyncing = true;
    const started = generation;
    try {
      const response = await fetchFeed(etag ? { "If-None-Match": etag } : {});
      if (response.status === 200 && started === generation) {
        const data = await response.json();
        if (started === generation) {
          reconcile(data.photos, data.last_event_id);
          etag = response.headers.get("ETag");
        }
      }
    } catch (err) {
      // Offline for a moment: the next round tries again.
    } finally {
      resyncing = false;
      scheduleResync(resyncMs);
    }
  }

  function scheduleResync(delay) {
    clearTimeout(resyncTimer);
    resyncTimer = setTimeout(resync, delay);
  }

  // --- The screen ---------------------------------------------------------
  function measure() {
    capacity = VV.layout.capacity(area.clientWidth, area.clientHeight);
    area.dataset.capacity = String(capacity);
    fill();
    relayout();
  }

  let idleTimer = null;
  function awake() {
    document.body.classList.remove("idle");
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => document.body.classList.add("idle"), 3000);
  }

  let resizeTimer = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(measure, 150);
  });
  document.addEventListener("mousemove", awake);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") resync();
  });
  spotlight = VV.spotlight.start(config, pool, ensureLoaded);
  VV.wall = { pool, visible: () => visible.slice() };
  awake();
  measure();
  scheduleResync(resyncMs);
  setTimeout(rotate, rotateMs);
  live = VV.live.start(config, {
    load,
    approved: arrive,
    updated: update,
    removed: (id) => pool.has(id) && drop(id),
    recheck: scheduleResync,
    stats: wave.update,
  });
})();
