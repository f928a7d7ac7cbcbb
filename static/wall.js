// The live wall: load approved photos, then follow the event stream.
// Every few minutes, and when the page becomes visible again, the first page
// of the feed is fetched again (a 304 when nothing changed) and any tile that
// drifted from it is corrected: an event that never arrived cannot leave a
// removed photo on screen.
(function () {
  "use strict";
  const grid = document.getElementById("wall-grid");
  const empty = document.getElementById("wall-empty");
  const status = document.getElementById("wall-status");
  const photosUrl = grid.dataset.photosUrl;
  const eventsUrl = grid.dataset.eventsUrl;
  const MAX_TILES = 200;
  const PAGE = 100;
  const resyncMs = Math.max(5, Number(grid.dataset.resyncSeconds) || 180) * 1000;
  const shown = new WeakMap(); // tile -> the JSON of the photo it shows
  let source = null;
  let retryDelay = 5000;
  let etag = null; // ETag of the last feed answer the tiles were checked against
  let generation = 0; // bumps at each full load: an older resync answer is dropped
  let touched = new Map(); // photo id -> id of the last event about it
  let resyncTimer = null;
  let resyncing = false;

  function tile(photo) {
    const item = document.createElement("li");
    item.className = "tile" + (photo.pinned ? " pinned" : "");
    item.dataset.id = photo.id;
    const figure = document.createElement("figure");
    const picture = document.createElement("picture");
    if (photo.image.webp_url) {
      const webp = document.createElement("source");
      webp.type = "image/webp";
      webp.srcset = photo.image.webp_url;
      picture.appendChild(webp);
    }
    const img = document.createElement("img");
    img.src = photo.image.url;
    img.width = photo.image.width;
    img.height = photo.image.height;
    img.alt = photo.alt || photo.caption || "Photo de la vague verte";
    img.loading = "lazy";
    if (photo.image.placeholder) img.style.backgroundColor = photo.image.placeholder;
    picture.appendChild(img);
    figure.appendChild(picture);
    const caption = document.createElement("figcaption");
    const who = photo.author && (photo.author.name || photo.author.handle);
    caption.textContent = [who, photo.caption].filter(Boolean).join(" — ");
    if (caption.textContent) figure.appendChild(caption);
    item.appendChild(figure);
    shown.set(item, JSON.stringify(photo));
    return item;
  }

  function find(id) {
    return grid.querySelector(`[data-id="${CSS.escape(id)}"]`);
  }

  function refreshEmpty() {
    empty.hidden = grid.children.length > 0;
  }

  // Pinned photos stay first; new approvals come right after them.
  function firstUnpinned() {
    return grid.querySelector("li.tile:not(.pinned)");
  }

  function put(photo, atTop) {
    const existing = find(photo.id);
    const node = tile(photo);
    if (photo.pinned) {
      if (existing) existing.remove();
      grid.prepend(node);
    } else if (existing) {
      existing.replaceWith(node);
      if (existing.classList.contains("pinned")) grid.insertBefore(node, firstUnpinned());
    } else if (atTop) {
      grid.insertBefore(node, firstUnpinned());
    } else {
      grid.appendChild(node);
    }
    while (grid.children.length > MAX_TILES) grid.lastElementChild.remove();
    refreshEmpty();
  }

  function drop(id) {
    const existing = find(id);
    if (existing) existing.remove();
    refreshEmpty();
  }

  function fetchFeed(headers) {
    // no-store: the page sends If-None-Match itself and wants to see the 304.
    return fetch(photosUrl + "?limit=" + PAGE, {
      headers: Object.assign({ Accept: "application/json" }, headers),
      cache: "no-store",
    });
  }

  async function load() {
    const response = await fetchFeed({});
    if (!response.ok) throw new Error("HTTP " + response.status);
    const data = await response.json();
    generation += 1;
    grid.replaceChildren();
    for (const photo of data.photos) put(photo, false);
    etag = response.headers.get("ETag");
    touched = new Map();
    refreshEmpty();
    return data.last_event_id;
  }

  // Make the tiles agree with the feed's first page, as a reload would, except
  // for photos that an event newer than the answer has already set right.
  function reconcile(photos, feedEventId) {
    const newer = new Set();
    for (const [id, eventId] of touched) {
      if (eventId > feedEventId) newer.add(id);
      else touched.delete(id);
    }
    const inFeed = new Set(photos.map((photo) => photo.id));
    for (const node of Array.from(grid.children)) {
      if (!inFeed.has(node.dataset.id) && !newer.has(node.dataset.id)) node.remove();
    }
    photos.forEach((photo, index) => {
      if (newer.has(photo.id)) return;
      const existing = find(photo.id);
      if (existing) {
        if (shown.get(existing) !== JSON.stringify(photo)) put(photo, false);
      } else if (photo.pinned) {
        put(photo, false);
      } else {
        // Before the next photo of the feed that is on screen, else at the end.
        const node = tile(photo);
        let anchor = null;
        for (const later of photos.slice(index + 1)) {
          const candidate = later.pinned ? null : find(later.id);
          if (candidate && !candidate.classList.contains("pinned")) {
            anchor = candidate;
            break;
          }
        }
        grid.insertBefore(node, anchor);
      }
    });
    while (grid.children.length > MAX_TILES) grid.lastElementChild.remove();
    refreshEmpty();
  }

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
      scheduleResync();
    }
  }

  function scheduleResync() {
    clearTimeout(resyncTimer);
    resyncTimer = setTimeout(resync, resyncMs);
  }

  // Remember which photos events have set right, and apply the event.
  function follow(name, apply) {
    source.addEventListener(name, (e) => {
      const data = JSON.parse(e.data);
      touched.set(data.id, Number(e.lastEventId) || 0);
      apply(data);
    });
  }

  function connect(afterId) {
    if (source) source.close();
    source = new EventSource(eventsUrl + "?after=" + encodeURIComponent(afterId));
    source.addEventListener("open", () => {
      status.textContent = "";
      retryDelay = 5000;
    });
    source.addEventListener("error", () => {
      status.textContent = "Reconnexion…";
      // The browser retries by itself after a dropped connection, but gives up
      // for good on an error answer (a restart behind a proxy, a 503): start over.
      if (source.readyState === EventSource.CLOSED) retryLater();
    });
    follow("photo.approved", (photo) => put(photo, true));
    follow("photo.updated", (photo) => put(photo, false));
    follow("photo.removed", (photo) => drop(photo.id));
    source.addEventListener("reset", () => { start(); });
  }

  function retryLater() {
    if (source) source.close();
    source = null;
    status.textContent = "Connexion perdue, nouvel essai…";
    setTimeout(start, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 60000);
  }

  async function start() {
    try {
      connect(await load());
    } catch (err) {
      retryLater();
    }
  }

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") resync();
  });
  scheduleResync();
  start();
})();
