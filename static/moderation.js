// The moderation queue: keyboard first (a r 1-5 j k z p u x d), mouse and touch too.
// The server enforces every rule; this page only asks and shows the answers.
//
// In the pending tab the server hands out the photo to work on
// (POST /api/moderation/next): the oldest one nobody else holds. The claim is
// renewed while the moderator is active, given back after
// WALL_CLAIM_IDLE_SECONDS without a key, click or scroll, and given back by a
// beacon when the tab is closed.
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
  const zoom = document.getElementById("mod-zoom");
  const zoomImage = document.getElementById("mod-zoom-img");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const me = app.dataset.email;
  const isAdmin = app.dataset.role === "admin";
  const idleMs = Number(app.dataset.idleSeconds || "90") * 1000;
  const REASON_PAIRS = JSON.parse(document.getElementById("mod-reasons").textContent);
  const REASONS = Object.fromEntries(REASON_PAIRS);
  const REASON_CODES = REASON_PAIRS.map(([code]) => code);

  // data-holding on #mod-app says which photo this page holds once a hand-out
  // is settled (tests and assistive tools read it).
  const state = {
    status: "pending", photos: [], current: 0, next: null, selected: new Set(),
    holding: null, idle: false, lastActivity: Date.now(), lastRenew: 0,
  };

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
  const AGES = {
    "14_or_older": "14 ans ou plus",
    guardian_consent: "moins de 14 ans, avec l'accord d'un parent ou tuteur",
  };

  function heldByOther(photo) { return Boolean(photo.claimed_by && photo.claimed_by !== me); }

  function facts(photo) {
    const box = el("dl", "mod-facts");
    function fact(term, value) {
      const row = el("div");
      row.append(el("dt", "", term), el("dd", "", value));
      box.appendChild(row);
    }
    const green = photo.green_score === null ? "?" : `${Math.round(photo.green_score * 100)} %`;
    fact("Région", photo.region || "—");
    fact("Attente", waited(photo.submitted_at));
    fact("Vert", green);
    if (photo.source === "upload") {
      fact("Âge", AGES[photo.age_confirmation] || "non précisé");
      fact("École", photo.school || "—");
      fact("Nom affiché", photo.show_name ? "oui" : "non");
    }
    if (photo.pinned) fact("Épinglée", "oui");
    return box;
  }

  function decisionLine(photo) {
    const decision = photo.last_decision;
    if (!decision || state.status === "pending") return null;
    const line = el("p", "mod-decision");
    const parts = [`Décision\u00a0: ${decision.action}`];
    if (decision.by) parts.push(`par ${decision.by}`);
    if (decision.reason_label) parts.push(`raison\u00a0: ${decision.reason_label}`);
    if (decision.reason) parts.push(`«\u00a0${decision.reason}\u00a0»`);
    line.textContent = parts.join(" · ");
    return line;
  }

  function row(photo, index, images) {
    const item = el("li", "mod-item");
    item.dataset.id = photo.id;
    item.tabIndex = -1;
    if (heldByOther(photo)) item.classList.add("claimed-by-other");
    // Reuse the image already shown: private files are "no-store", so a new
    // <img> would download the photo again on every redraw.
    const src = photo.public_url || photo.media_url;
    const kept = images.get(photo.id);
    const img = kept && kept.getAttribute("src") === src ? kept : document.createElement("img");
    if (img !== kept) img.src = src;
    img.alt = photo.alt || "";
    img.loading = index < 3 ? "eager" : "lazy";
    img.title = "Agrandir (z)";
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
    if (photo.permalink) {
      const link = el("a", "mod-source", "publication d'origine");
      link.href = photo.permalink;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      head.append(" · ", link);
    }
    meta.appendChild(head);
    meta.appendChild(el("p", "caption", photo.caption || "—"));
    if (photo.alt) meta.appendChild(el("p", "alt", `Texte alt : ${photo.alt}`));
    meta.appendChild(facts(photo));
    if (photo.faces_blurred) meta.appendChild(el("p", "mod-blurred", "Visages floutés sur le mur\u00a0: «\u00a0z\u00a0» montre l'original."));
    if (photo.flag_labels && photo.flag_labels.length) {
      const flagList = el("div", "flags");
      for (const flag of photo.flag_labels) {
        const entry = el("p", "flag-entry");
        entry.append(el("span", "flag", flag.label), " ", el("span", "flag-why", flag.explanation));
        flagList.appendChild(entry);
      }
      meta.appendChild(flagList);
    }
    const decision = decisionLine(photo);
    if (decision) meta.appendChild(decision);
    if (heldByOther(photo)) meta.appendChild(el("p", "claim", `Prise par ${photo.claimed_by}`));
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
    img.onclick = () => { setCurrent(index); openZoom(); };
    return item;
  }

  function render() {
    const images = new Map();
    for (const item of list.children) {
      const img = item.querySelector("img");
      if (img) images.set(item.dataset.id, img);
    }
    list.replaceChildren(...state.photos.map((photo, index) => row(photo, index, images)));
    empty.hidden = state.photos.length > 0;
    moreButton.hidden = !state.next;
    if (state.current >= state.photos.length) state.current = Math.max(0, state.photos.length - 1);
    highlight();
  }

  function highlight() {
    const items = list.children;
    for (let i = 0; i < items.length; i++) items[i].classList.toggle("current", i === state.current);
    const item = items[state.current];
    if (item) item.scrollIntoView({ block: "nearest" });
  }

  // Move to another photo with j/k: photos held by others are passed over.
  function move(step) {
    let index = state.current + step;
    while (index >= 0 && index < state.photos.length && state.status === "pending" && heldByOther(state.photos[index])) index += step;
    if (index < 0 || index >= state.photos.length) return;
    state.current = index;
    highlight();
    claimCurrent();
  }

  function setCurrent(index) {
    state.current = Math.max(0, Math.min(index, state.photos.length - 1));
    highlight();
    claimCurrent();
  }

  async function claimCurrent() {
    const photo = state.photos[state.current];
    if (!photo || state.status !== "pending" || state.holding === photo.id) return;
    const answer = await api("POST", `/api/moderation/photos/${encodeURIComponent(photo.id)}/claim`);
    if (answer.ok) {
      state.holding = photo.id;
      state.lastRenew = Date.now();
    } else if (answer.status === 409) {
      photo.claimed_by = (answer.data.message || "").replace(/^Déjà prise par /, "").replace(/\.$/, "");
      say(answer.data.message, true);
      render();
    }
    app.dataset.holding = state.holding || "";
  }

  // Ask the server for the oldest photo nobody else holds, and show it.
  async function takeNext() {
    if (state.status !== "pending") return;
    const answer = await api("POST", `${app.dataset.nextUrl}?${filterParams()}`, {});
    if (!answer.ok) { say(answer.data.message || "Impossible d'obtenir une photo.", true); return; }
    showHanded(answer.data.photo);
  }

  // Show the photo the server handed out (null: nothing free for us).
  function showHanded(photo) {
    state.holding = photo ? photo.id : null;
    state.lastRenew = Date.now();
    if (photo) {
      let index = state.photos.findIndex((p) => p.id === photo.id);
      if (index < 0) { state.photos.unshift(photo); index = 0; } else state.photos[index] = photo;
      state.current = index;
      render();
    } else {
      render();
      if (state.photos.length) say("Toutes les photos en attente sont prises par d'autres.");
    }
    app.dataset.holding = state.holding || "";
  }

  function filterParams() {
    const params = new URLSearchParams();
    for (const [key, value] of new FormData(filters)) if (value) params.set(key, value);
    return params;
  }

  function query() {
    const params = filterParams();
    params.set("status", state.status);
    params.set("limit", "50");
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
    const keep = state.photos.findIndex((p) => p.id === (state.holding || currentId));
    if (keep >= 0) state.current = keep;
    render();
    if (!append && state.status === "pending" && !state.idle && !state.holding) await takeNext();
  }

  async function decide(action, reasonCode) {
    const photo = state.photos[state.current];
    if (!photo) return;
    let reason;
    if (action === "remove") {
      reason = prompt("Raison du retrait (obligatoire) :");
      if (!reason) return;
    }
    if (action === "erase" && !confirm("Effacer définitivement cette photo, ses fichiers et ses données? Rien ne pourra la remettre.")) return;
    const body = { action, reason };
    if (reasonCode) body.reason_code = reasonCode;
    // In the pending tab the answer also brings the next photo, claimed for us.
    const pending = state.status === "pending";
    if (pending) body.take_next = true;
    const url = `/api/moderation/photos/${encodeURIComponent(photo.id)}/decision` + (pending ? `?${filterParams()}` : "");
    const answer = await api("POST", url, body);
    if (answer.ok) {
      const why = reasonCode ? ` (${REASONS[reasonCode]})` : "";
      say(`${labelOf(action)}${why} : ${photo.caption ? photo.caption.slice(0, 40) : photo.id}. « u » pour annuler.`);
      afterDecision(photo.id, answer.data);
    } else {
      say(answer.data.message || "La décision n'a pas été enregistrée.", true);
      if (answer.status === 409) { state.holding = null; load(false); }
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
    if (state.holding === id) state.holding = null;
    if (photo && "next_photo" in photo) showHanded(photo.next_photo);
    else { render(); if (state.status === "pending") takeNext(); }
    refreshStats();
  }

  async function undo() {
    const answer = await api("POST", "/api/moderation/undo");
    if (answer.ok) {
      say("Décision annulée : la photo est de retour.");
      state.holding = null;
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
    state.holding = null;
    await load(false);
    refreshStats();
  }

  function openZoom() {
    const photo = state.photos[state.current];
    if (!photo || !photo.media_url) return;
    zoomImage.src = photo.media_url;
    zoomImage.alt = photo.alt || "Photo en pleine résolution";
    document.getElementById("mod-zoom-note").textContent = photo.faces_blurred
      ? "Original non flouté\u00a0: le mur montre les visages floutés." : "";
    zoom.hidden = false;
    document.getElementById("mod-zoom-close").focus();
  }

  function closeZoom() {
    zoom.hidden = true;
    zoomImage.removeAttribute("src");
  }

  async function refreshStats() {
    const response = await fetch("/api/moderation/stats", { headers: { Accept: "application/json" } });
    if (!response.ok) return;
    const stats = await response.json();
    document.getElementById("stat-pending").textContent = String(stats.pending);
    const waitingBox = document.getElementById("stat-waiting-box");
    waitingBox.hidden = !stats.intake_paused_since;
    document.getElementById("stat-waiting").textContent = String(stats.waiting_behind_pause);
    document.getElementById("stat-oldest").textContent = stats.oldest_pending_at ? waited(stats.oldest_pending_at) : "—";
    document.getElementById("stat-rate").textContent = stats.decisions_per_minute
      .map((m) => `${m.moderator.split("@")[0]} ${m.per_minute}`).join(" · ") || "0";
    document.getElementById("stat-requests").textContent = String(stats.removal_requests_open);
    const badge = document.getElementById("requests-badge");
    badge.hidden = stats.removal_requests_open === 0;
    badge.textContent = String(stats.removal_requests_open);
    document.getElementById("stat-intake").textContent = stats.intake_paused_since ? "en pause" : "ouvertes";
    const online = stats.online || [];
    document.getElementById("mod-online").textContent = "En ligne\u00a0: " + (online.length
      ? online.map((m) => m.moderator + (m.holding ? " (sur une photo)" : "")).join(", ") : "personne");
    const toggle = document.getElementById("intake-toggle");
    if (toggle) {
      toggle.dataset.paused = stats.intake_paused_since ? "1" : "";
      toggle.textContent = stats.intake_paused_since ? "Reprendre les arrivées" : "Suspendre les arrivées";
    }
  }

  // Status names as moderators read them.
  const STATUS_NAMES = {
    pending: "en attente", approved: "affichée", rejected: "refusée",
    removed: "retirée", erased: "effacée définitivement",
  };

  async function loadRequests() {
    const response = await fetch("/api/moderation/removal-requests?status=open", { headers: { Accept: "application/json" } });
    const data = await response.json();
    requestsList.replaceChildren(...data.requests.map((request) => {
      const item = el("li", "mod-item");
      const meta = el("div", "mod-meta");
      meta.appendChild(el("p", "", `Demande n°\u00a0${request.id} · ${new Date(request.created_at).toLocaleString("fr-CA")}`));
      meta.appendChild(el("p", "caption", request.reason));
      // A parent may describe the photo instead of linking it: time, caption, what it shows.
      if (request.description) meta.appendChild(el("p", "", `Description\u00a0: ${request.description}`));
      const found = request.photo_id
        ? `photo n°\u00a0${request.photo_number} (${STATUS_NAMES[request.photo_status] || request.photo_status || "—"})`
        : "aucune photo trouvée\u00a0: chercher d'après la description";
      if (request.photo_ref) meta.appendChild(el("p", "", `Lien ou numéro\u00a0: ${request.photo_ref}`));
      meta.appendChild(el("p", "", `Photo\u00a0: ${found}`));
      if (request.contact) meta.appendChild(el("p", "", `Contact\u00a0: ${request.contact}`));
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

  async function release() {
    if (!state.holding) return;
    const photoId = state.holding;
    state.holding = null;
    app.dataset.holding = "";
    await api("POST", `${app.dataset.releaseUrl}?photo_id=${encodeURIComponent(photoId)}`);
  }

  function switchTab(status) {
    if (state.status === "pending" && status !== "pending") release();
    state.status = status;
    state.current = 0;
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
    if (!zoom.hidden) {
      if (event.key === "Escape" || event.key === "z") { event.preventDefault(); closeZoom(); }
      return;
    }
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
      j: () => move(1),
      k: () => move(-1),
      z: () => openZoom(),
      x: () => { if (photo) { toggleSelect(photo.id, !state.selected.has(photo.id)); render(); } },
    };
    const position = "12345".indexOf(event.key);
    if (position >= 0 && position < REASON_CODES.length && state.status === "pending") {
      event.preventDefault();
      decide("reject", REASON_CODES[position]);
      return;
    }
    const handler = keys[event.key];
    if (handler && state.status !== "requests") { event.preventDefault(); handler(); }
  });

  for (const tab of document.querySelectorAll(".mod-tabs [role=tab]")) {
    tab.addEventListener("click", () => switchTab(tab.dataset.status));
  }
  for (const button of bulkBar.querySelectorAll("[data-bulk]")) {
    button.addEventListener("click", () => bulk(button.dataset.bulk));
  }
  document.getElementById("mod-zoom-close").addEventListener("click", closeZoom);
  zoom.addEventListener("click", (event) => { if (event.target === zoom) closeZoom(); });
  let typing;
  filters.addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(() => { release(); load(false); }, 250); });
  filters.addEventListener("submit", (event) => { event.preventDefault(); release(); load(false); });
  moreButton.addEventListener("click", () => load(true));
  document.getElementById("logout").addEventListener("click", async () => {
    await release();
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

  // A closed tab gives its photo back at once. A beacon cannot set headers,
  // so the CSRF token travels in the form body.
  window.addEventListener("pagehide", () => {
    if (!state.holding) return;
    const body = new URLSearchParams({ csrf_token: csrf, photo_id: state.holding });
    navigator.sendBeacon(app.dataset.releaseUrl, body);
    state.holding = null;
  });

  // Idle: give the photo back; the next key, click or scroll takes one again.
  function active() {
    state.lastActivity = Date.now();
    if (state.idle) {
      state.idle = false;
      say("De retour\u00a0: une photo t'est attribuée.");
      takeNext();
    }
  }
  for (const type of ["keydown", "pointerdown", "wheel", "touchstart"]) {
    window.addEventListener(type, active, { passive: true, capture: true });
  }
  setInterval(() => {
    if (state.status !== "pending" || !state.holding) return;
    const now = Date.now();
    if (now - state.lastActivity >= idleMs) {
      state.idle = true;
      release();
      say("Photo rendue après inactivité, pour que d'autres la traitent. Appuie sur une touche pour reprendre.");
    } else if (now - state.lastRenew >= idleMs / 2 && state.lastActivity > state.lastRenew) {
      // Renew the claim while the moderator works on the photo.
      const photoId = state.holding;
      state.lastRenew = now;
      api("POST", `/api/moderation/photos/${encodeURIComponent(photoId)}/claim`);
    }
  }, Math.min(5000, Math.max(250, idleMs / 6)));

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
    if (data.by !== me) refreshStats();  // our own decisions refresh them already
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
})();
