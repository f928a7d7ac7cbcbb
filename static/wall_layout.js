// The tiles and where they go: justified rows that fill the photo area exactly.
//
// capacity() says how many tiles fit at a size readable from the back of a
// classroom (a tile's short side is about 26 % of the screen's short side);
// slots(n) splits the area into n rectangles, rows of equal height whose
// tiles share the row's width, choosing the number of rows that keeps tiles
// closest to 4:3. Every pixel of the area is covered, whatever n is: no holes,
// and images are cropped with object-fit: cover.
(function () {
  "use strict";
  const VV = (window.VagueVerte = window.VagueVerte || {});
  const ASPECT = 4 / 3;
  const TILE_SHARE = 0.26;
  const EMBED_TILE_SHARE = 0.4;

  function gap() {
    return Math.max(4, Math.round(window.innerHeight * 0.006));
  }

  function capacity(width, height) {
    // A partner's frame is small: fewer, larger tiles.
    const share = document.body.classList.contains("embed") ? EMBED_TILE_SHARE : TILE_SHARE;
    const side = share * Math.min(window.innerWidth, window.innerHeight);
    const rows = Math.max(1, Math.round(height / side));
    const cols = Math.max(1, Math.round(width / (side * ASPECT)));
    return rows * cols;
  }

  // How many tiles each of `rows` rows holds: n split as evenly as possible,
  // the fuller rows first (the newest photos sit in them).
  function rowCounts(n, rows) {
    const base = Math.floor(n / rows);
    const extra = n % rows;
    return Array.from({ length: rows }, (_, i) => base + (i < extra ? 1 : 0));
  }

  function misfit(width, height, n, rows) {
    const rowHeight = height / rows;
    let total = 0;
    for (const count of rowCounts(n, rows)) {
      total += Math.abs(Math.log(width / count / rowHeight / ASPECT)) * count;
    }
    return total / n;
  }

  function slots(width, height, n) {
    if (n <= 0 || width <= 0 || height <= 0) return [];
    let best = 1;
    for (let rows = 2; rows <= n; rows += 1) {
      if (misfit(width, height, n, rows) < misfit(width, height, n, best)) best = rows;
    }
    const space = gap();
    const rowHeight = (height - space * (best - 1)) / best;
    const result = [];
    rowCounts(n, best).forEach((count, row) => {
      const tileWidth = (width - space * (count - 1)) / count;
      for (let col = 0; col < count; col += 1) {
        result.push({
          left: Math.round(col * (tileWidth + space)),
          top: Math.round(row * (rowHeight + space)),
          width: Math.floor(tileWidth),
          height: Math.floor(rowHeight),
        });
      }
    });
    return result;
  }

  // One tile: the photo's loaded image, its author and caption, a pin badge.
  function tile(entry, text) {
    const photo = entry.photo;
    const item = document.createElement("li");
    item.className = "tile" + (photo.pinned ? " pinned" : "");
    item.dataset.id = photo.id;
    const img = entry.img.cloneNode();
    img.alt = photo.alt || photo.caption || text.alt;
    item.appendChild(img);
    const who = photo.author && (photo.author.name || photo.author.handle);
    const words = [who, photo.caption].filter(Boolean).join(" — ");
    if (words) {
      const caption = document.createElement("p");
      caption.className = "caption";
      caption.textContent = words;
      item.appendChild(caption);
    }
    if (photo.pinned) {
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = text.pinned;
      item.appendChild(badge);
    }
    return item;
  }

  // Positions go through the CSSOM: the page's CSP refuses style attributes.
  function samePlace(node, old) {
    for (const side of ["left", "top", "width", "height"]) node.style[side] = old.style[side];
  }

  function place(node, slot) {
    node.style.left = slot.left + "px";
    node.style.top = slot.top + "px";
    node.style.width = slot.width + "px";
    node.style.height = slot.height + "px";
  }

  VV.layout = { capacity, slots, place, tile, samePlace };
})();
