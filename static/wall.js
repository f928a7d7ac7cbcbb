// The live wall: load approved photos, then follow the event stream.
(function () {
  "use strict";
  const grid = document.getElementById("wall-grid");
  const empty = document.getElementById("wall-empty");
  const status = document.getElementById("wall-status");
  const photosUrl = grid.dataset.photosUrl;
  const eventsUrl = grid.dataset.eventsUrl;
  const MAX_TILES = 200;
  let source = null;
  let retryDelay = 5000;

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
    return item;
  }

  function refreshEmpty() {
    empty.hidden = grid.children.length > 0;
  }

  // Pinned photos stay first; new approvals come right after them.
  function firstUnpinned() {
    return grid.querySelector("li.tile:not(.pinned)");
  }

  function put(photo, atTop) {
    const existing = grid.querySelector(`[data-id="${CSS.escape(photo.id)}"]`);
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
    const existing = grid.querySelector(`[data-id="${CSS.escape(id)}"]`);
    if (existing) existing.remove();
    refreshEmpty();
  }

  async function load() {
    const response = await fetch(photosUrl + "?limit=100", { headers: { Accept: "application/json" } });
    if (!response.ok) throw new Error("HTTP " + response.status);
    const data = await response.json();
    grid.replaceChildren();
    for (const photo of data.photos) put(photo, false);
    refreshEmpty();
    return data.last_event_id;
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
    source.addEventListener("photo.approved", (e) => put(JSON.parse(e.data), true));
    source.addEventListener("photo.updated", (e) => put(JSON.parse(e.data), false));
    source.addEventListener("photo.removed", (e) => drop(JSON.parse(e.data).id));
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

  start();
})();
