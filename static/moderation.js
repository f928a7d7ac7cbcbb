// The moderation queue: keyboard first (a r j k p u x d), mouse and touch too.
// The server enforces every rule; this page only asks and shows the answers.
(function () {
  "use strict";
  const app = document.getElementById("mod-app");
  const list = document.getElementById("mod-queue");
  const requestsList = document.getElementById("mod-requests");
  const statusLine = document.getElementById("mod-status");
  const empty = document.getElementById("mod-empty");
  const moreButton = document.getElementById("load-more");
  const filters = document.getElementById("mod-filters");
  const bulkBar = document.getElementById("mod-bulk");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const me = app.dataset.email;
  const isAdmin = app.dataset.role === "admin";

  const state = { status: "pending", photos: [], current: 0, next: null, selected: new Set(), claimed: null };

  function say(text, isError) {
    statusLine.textContent = text;
    statusLine.classList.toggle("error", Boolean(isError));
  }

  async function api(method, url, body) {
    const response = await fetch(url, {
      method,
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, Accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 401) { location.href = "/login"; throw new Error("signed out"); }
    const data = await response.json().catch(() => ({}));
    return { ok: response.ok, status: response.status, data };
  }

  function waited(iso) {
    const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    if (seconds < 60) return `${seconds} s`;
    if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
    return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  const ACTIONS = {
    pending: [["approve", "Approuver (a)"], ["reject", "Refuser (r)"], ["remove", "Retirer (d)"]],
    approved: [["pin", "Épingler (p)"], ["unpin", "Désépingler"], ["remove", "Retirer (d)"]],
    rejected: [["approve", "Approuver (a)"], ["remove", "Retirer (d)"]],
    removed: isAdmin ? [["restore", "Restaurer (admin)"], ["erase", "Effacer définitivement (admin)"]] : [],
  };

  function row(photo, index) {
    const item = el("li", "mod-item");
    item.dataset.id = photo.id;
    item.tabIndex = -1;
    if (photo.claimed_by && photo.claimed_by !== me) item.classList.add("claimed-by-other");
    const img = document.createElement("img");
    img.src = photo.media_url;
    img.alt = photo.alt || "";
    img.loading = index < 3 ? "eager" : "lazy";
    item.appendChild(img);
    const meta = el("div", "mod-meta");
    const select = document.createElement("input");
    select.type = "checkbox";
    select.className = "select";
    select.checked = state.selected.has(photo.id);
    select.setAttribute("aria-label", "Sélectionner");
    select.addEventListener("change", () => toggleSelect(photo.id, select.checked));
    const head = el("p");
    head.append(select, " ", el("strong", "", photo.source), " · ",
      photo.author.name || photo.author.handle || "anonyme");
    if (photo.author.handle && photo.author.name) head.append(` (${photo.author.handle})`);
    meta.appendChild(head);
    meta.appendChild(el("p", "caption", photo.caption || "—"));
    if (photo.alt) meta.appendChild(el("p", "alt", `Texte alt : ${photo.alt}`));
    const facts = el("p");
    const green = photo.green_score === null ? "?" : `${Math.round(photo.green_score * 100)} %`;
    facts.textContent = `Vert : ${green} · Région : ${photo.region || "—"} · Attente : ${waited(photo.submitted_at)}`;
    if (photo.pinned) facts.textContent += " · épinglée";
    meta.appendChild(facts);
    if (photo.flags.length) {
      const flags = el("p");
      for (const flag of photo.flags) flags.appendChild(el("span", "flag", flag));
      meta.appendChild(flags);
    }
    if (photo.claimed_by && photo.claimed_by !== me) meta.appendChild(el("p", "claim", `Prise par ${photo.claimed_by}`));
    const actions = el("div", "mod-actions");
    for (const [action, label] of ACTIONS[photo.status] || []) {
      if (action === "pin" && photo.pinned) continue;
      if (action === "unpin" && !photo.pinned) continue;
      const button = el("button", action, label);
      button.type = "button";
      button.dataset.action = action;
      button.addEventListener("click", () => { setCurrent(index); decide(action); });
      actions.appendChild(button);
    }
    meta.appendChild(actions);
    item.appendChild(meta);
    item.addEventListener("click", (event) => { if (event.target === img) setCurrent(index); });
    return item;
  }

  function render() {
    list.replaceChildren(...state.photos.map(row));
    empty.hidden = state.photos.length > 0;
    moreButton.hidden = !state.next;
    if (state.current >= state.photos.length) state.current = Math.max(0, state.photos.length - 1);
    highlight();
  }

  function highlight() {
    const items = list.children;
    for (let i = 0; i < items.length; i++) items[i].classList.toggle("current", i === state.current);
    const item = items[state.current];
    if (item) {
      item.scrollIntoView({ block: "nearest" });
      claimCurrent();
    }
  }

  function setCurrent(index) {
    state.current = Math.max(0, Math.min(index, state.photos.length - 1));
    highlight();
  }

  async function claimCurrent() {
    const photo = state.photos[state.current];
    if (!photo || state.status !== "pending" || state.claimed === photo.id) return;
    state.claimed = photo.id;
    const answer = await api("POST", `/api/moderation/photos/${encodeURIComponent(photo.id)}/claim`);
    if (!answer.ok && answer.status === 409) {
      photo.claimed_by = (answer.data.message || "").replace(/^Déjà prise par /, "").replace(/\.$/, "");
      say(answer.data.message, true);
    }
  }

  function query() {
    const params = new URLSearchParams({ status: state.status, limit: "50" });
    for (const [key, value] of new FormData(filters)) if (value) params.set(key, value);
    return params;
  }

  async function load(append) {
    if (state.status === "requests") return loadRequests();
    const params = query();
    if (append && state.next) params.set("before", state.next);
    const response = await fetch(`${app.dataset.photosUrl}?${params}`, { headers: { Accept: "application/json" } });
    if (response.status === 401) { location.href = "/login"; return; }
    const data = await response.json();
    const currentId = state.photos[state.current] && state.photos[state.current].id;
    state.photos = append ? state.photos.concat(data.photos) : data.photos;
    state.next = data.next;
    const keep = state.photos.findIndex((p) => p.id === currentId);
    if (keep >= 0) state.current = keep;
    render();
  }

  async function decide(action) {
    const photo = state.photos[state.current];
    if (!photo) return;
    let reason;
    if (action === "remove") {
      reason = prompt("Raison du retrait (obligatoire) :");
      if (!reason) return;
    }
    if (action === "erase" && !confirm("Effacer définitivement cette photo, ses fichiers et ses données? Rien ne pourra la remettre.")) return;
    const answer = await api("POST", `/api/moderation/photos/${encodeURIComponent(photo.id)}/decision`, { action, reason });
    if (answer.ok) {
      say(`${labelOf(action)} : ${photo.caption ? photo.caption.slice(0, 40) : photo.id}. « u » pour annuler.`);
      afterDecision(photo.id, answer.data);
    } else {
      say(answer.data.message || "La décision n'a pas été enregistrée.", true);
      if (answer.status === 409) load(false);
    }
  }

  function labelOf(action) {
    return { approve: "Approuvée", reject: "Refusée", pin: "Épinglée", unpin: "Désépinglée", remove: "Retirée", restore: "Restaurée", erase: "Effacée définitivement" }[action] || action;
  }

  function afterDecision(id, photo) {
    const index = state.photos.findIndex((p) => p.id === id);
    if (index < 0) return;
    if (photo && photo.status === state.status) {
      state.photos[index] = Object.assign(state.photos[index], photo);
    } else {
      state.photos.splice(index, 1);
      state.selected.delete(id);
    }
    state.claimed = null;
    render();
    refreshStats();
  }

  async function undo() {
    const answer = await api("POST", "/api/moderation/undo");
    if (answer.ok) {
      say("Décision annulée : la photo est de retour.");
      state.claimed = null;
      await load(false);
      const index = state.photos.findIndex((p) => p.id === answer.data.id);
      if (index >= 0) setCurrent(index);
    } else {
      say(answer.data.message || "Rien à annuler.", true);
    }
    refreshStats();
  }

  function toggleSelect(id, on) {
    if (on) state.selected.add(id); else state.selected.delete(id);
    bulkBar.hidden = state.selected.size === 0;
    document.getElementById("bulk-count").textContent = state.selected.size;
  }

  async function bulk(action) {
    const ids = [...state.selected];
    const answer = await api("POST", "/api/moderation/photos/bulk", { action, ids });
    if (!answer.ok) { say(answer.data.message || "Échec.", true); return; }
    const failed = answer.data.results.filter((r) => !r.ok);
    say(`${answer.data.decided} décidée(s)` + (failed.length ? ` · ${failed.length} refusée(s) : ${failed[0].message}` : ""), failed.length > 0);
    state.selected.clear();
    toggleSelect("", false);
    await load(false);
    refreshStats();
  }

  async function refreshStats() {
    const response = await fetch("/api/moderation/stats", { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const stats = await response.json();
    document.getElementById("stat-pending").textContent = stats.pending_total > stats.pending
      ? `${stats.pending} (+${stats.pending_total - stats.pending} en pause)` : String(stats.pending);
    document.getElementById("stat-oldest").textContent = stats.oldest_pending_at ? waited(stats.oldest_pending_at) : "—";
    document.getElementById("stat-rate").textContent = stats.decisions_per_minute
      .map((m) => `${m.moderator.split("@")[0]} ${m.per_minute}`).join(" · ") || "0";
    document.getElementById("stat-requests").textContent = String(stats.removal_requests_open);
    const badge = document.getElementById("requests-badge");
    badge.hidden = stats.removal_requests_open === 0;
    badge.textContent = String(stats.removal_requests_open);
    document.getElementById("stat-intake").textContent = stats.intake_paused_since ? "en pause" : "ouvertes";
    const toggle = document.getElementById("intake-toggle");
    if (toggle) {
      toggle.dataset.paused = stats.intake_paused_since ? "1" : "";
      toggle.textContent = stats.intake_paused_since ? "Reprendre les arrivées" : "Suspendre les arrivées";
    }
  }

  async function loadRequests() {
    const response = await fetch("/api/moderation/removal-requests?status=open", { headers: { Accept: "application/json" } });
    const data = await response.json();
    requestsList.replaceChildren(...data.requests.map((request) => {
      const item = el("li", "mod-item");
      const meta = el("div", "mod-meta");
      meta.appendChild(el("p", "", `Demande n° ${request.id} · ${new Date(request.created_at).toLocaleString("fr-CA")}`));
      meta.appendChild(el("p", "caption", request.reason));
      meta.appendChild(el("p", "", `Lien : ${request.photo_ref} · Photo : ${request.photo_id || "introuvable"} (${request.photo_status || "—"})`));
      if (request.contact) meta.appendChild(el("p", "", `Contact : ${request.contact}`));
      const actions = el("div", "mod-actions");
      for (const [resolution, label, cls] of [["removed", "Effacer la photo définitivement", "remove"], ["dismissed", "Classer sans suite", "secondary"]]) {
        const button = el("button", cls, label);
        button.type = "button";
        button.addEventListener("click", async () => {
          const answer = await api("POST", `/api/moderation/removal-requests/${request.id}/resolve`, { resolution });
          say(answer.ok ? "Demande traitée." : answer.data.message, !answer.ok);
          loadRequests();
          refreshStats();
        });
        actions.appendChild(button);
      }
      meta.appendChild(actions);
      item.appendChild(meta);
      return item;
    }));
    empty.hidden = data.requests.length > 0;
  }

  function switchTab(status) {
    state.status = status;
    state.current = 0;
    state.claimed = null;
    for (const tab of document.querySelectorAll(".mod-tabs [role=tab]")) {
      tab.setAttribute("aria-selected", String(tab.dataset.status === status));
    }
    list.hidden = status === "requests";
    requestsList.hidden = status !== "requests";
    filters.hidden = status === "requests";
    load(false);
  }

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target instanceof HTMLInputElement && target.type !== "checkbox") return;
    if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return;
    const photo = state.photos[state.current];
    const keys = {
      a: () => decide("approve"),
      r: () => decide("reject"),
      p: () => decide(photo && photo.pinned ? "unpin" : "pin"),
      d: () => decide("remove"),
      u: () => undo(),
      j: () => setCurrent(state.current + 1),
      k: () => setCurrent(state.current - 1),
      x: () => { if (photo) { toggleSelect(photo.id, !state.selected.has(photo.id)); render(); } },
    };
    const handler = keys[event.key];
    if (handler && state.status !== "requests") { event.preventDefault(); handler(); }
  });

  for (const tab of document.querySelectorAll(".mod-tabs [role=tab]")) {
    tab.addEventListener("click", () => switchTab(tab.dataset.status));
  }
  for (const button of bulkBar.querySelectorAll("[data-bulk]")) {
    button.addEventListener("click", () => bulk(button.dataset.bulk));
  }
  let typing;
  filters.addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(() => load(false), 250); });
  filters.addEventListener("submit", (event) => { event.preventDefault(); load(false); });
  moreButton.addEventListener("click", () => load(true));
  document.getElementById("logout").addEventListener("click", async () => {
    await api("POST", "/api/auth/logout");
    location.href = "/login";
  });
  const toggle = document.getElementById("intake-toggle");
  if (toggle) {
    toggle.addEventListener("click", async () => {
      const answer = await api("POST", "/api/moderation/intake", { paused: !toggle.dataset.paused });
      say(answer.ok ? (answer.data.paused ? "Arrivées suspendues." : "Arrivées reprises.") : answer.data.message, !answer.ok);
      refreshStats();
      load(false);
    });
  }

  // Live: the moderators' own stream. New photos are added at the end of the
  // pending list (oldest first); decisions by others remove theirs.
  let reloadSoon;
  function scheduleReload() { clearTimeout(reloadSoon); reloadSoon = setTimeout(() => load(false), 300); }
  const events = new EventSource(app.dataset.eventsUrl);
  events.addEventListener("queue.submitted", () => { if (state.status === "pending") scheduleReload(); refreshStats(); });
  events.addEventListener("queue.intake", () => { scheduleReload(); refreshStats(); });
  events.addEventListener("queue.removal_requested", () => { refreshStats(); if (state.status === "requests") loadRequests(); });
  events.addEventListener("queue.decided", (event) => {
    const data = JSON.parse(event.data);
    if (data.by !== me && state.status === "pending") {
      const index = state.photos.findIndex((p) => p.id === data.id);
      if (index >= 0 && data.status !== "pending") {
        state.photos.splice(index, 1);
        if (index < state.current) state.current -= 1;
        render();
      }
    }
    if (data.status === "pending" && state.status === "pending") scheduleReload();
    refreshStats();
  });
  events.addEventListener("queue.claimed", (event) => {
    const data = JSON.parse(event.data);
    const photo = state.photos.find((p) => p.id === data.id);
    if (photo && data.by !== me) { photo.claimed_by = data.by; render(); }
  });
  events.addEventListener("queue.released", (event) => {
    const data = JSON.parse(event.data);
    const photo = state.photos.find((p) => p.id === data.id);
    if (photo && photo.claimed_by && photo.claimed_by !== me) { photo.claimed_by = null; render(); }
  });

  load(false);
  refreshStats();
  setInterval(refreshStats, 15000);
  // Renew the claim on the open photo before it expires (2 minutes).
  setInterval(() => { state.claimed = null; claimCurrent(); }, 60000);
})();
