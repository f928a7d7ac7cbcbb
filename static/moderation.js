// The moderation queue: pending photos with approve and reject buttons.
(function () {
  "use strict";
  const queue = document.getElementById("mod-queue");
  const count = document.getElementById("queue-count");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const photosUrl = queue.dataset.photosUrl;

  async function decide(id, action, item) {
    const response = await fetch(`/api/moderation/photos/${encodeURIComponent(id)}/decision`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, Accept: "application/json" },
      body: JSON.stringify({ action }),
    });
    if (response.ok || response.status === 409) {
      item.remove();
    } else {
      const data = await response.json().catch(() => ({}));
      alert(data.message || "La décision n'a pas été enregistrée.");
    }
    load();
  }

  function row(photo) {
    const item = document.createElement("li");
    item.className = "mod-item";
    item.dataset.id = photo.id;
    const img = document.createElement("img");
    img.src = photo.media_url;
    img.alt = photo.alt || "";
    item.appendChild(img);
    const info = document.createElement("p");
    info.textContent = [photo.source, photo.author.name, photo.caption].filter(Boolean).join(" · ");
    item.appendChild(info);
    for (const [action, label] of [["approve", "Approuver"], ["reject", "Refuser"]]) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = action;
      button.textContent = label;
      button.addEventListener("click", () => decide(photo.id, action, item));
      item.appendChild(button);
    }
    return item;
  }

  async function load() {
    const response = await fetch(photosUrl + "?status=pending&limit=50", { headers: { Accept: "application/json" } });
    if (response.status === 401) { location.href = "/login"; return; }
    const data = await response.json();
    count.textContent = data.count;
    queue.replaceChildren(...data.photos.map(row));
  }

  load();
  setInterval(load, 10000);
})();
