// The admin page: moderators and roles, sources (managed live), school invite links, automatic rules, TOTP enrolment, the audit log.
(function () {
  "use strict";
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const statusLine = document.getElementById("mod-status");
  const LISTS = ["allow_accounts", "block_accounts", "blocked_words", "allowlist_only_sources"];

  function say(text, isError) { statusLine.textContent = text; statusLine.classList.toggle("error", Boolean(isError)); }

  async function api(method, url, body) {
    const response = await fetch(url, {
      method,
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf, Accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 401) { location.href = "/login"; throw new Error("signed out"); }
    return { ok: response.ok, data: await response.json().catch(() => ({})) };
  }

  function cell(text) { const td = document.createElement("td"); td.textContent = text; return td; }
  function button(label, onClick) {
    const b = document.createElement("button"); b.type = "button"; b.className = "secondary"; b.textContent = label;
    b.addEventListener("click", onClick); return b;
  }

  async function loadModerators() {
    const { data } = await api("GET", "/api/moderation/moderators");
    document.getElementById("moderators").replaceChildren(...data.moderators.map((m) => {
      const tr = document.createElement("tr");
      tr.append(cell(m.email), cell(m.role), cell(m.disabled ? "désactivé" : "actif"), cell(m.totp_enabled ? "oui" : "non"), cell(String(m.active_sessions)));
      const actions = document.createElement("td");
      const change = async (body, done) => { const a = await api("PATCH", `/api/moderation/moderators/${m.id}`, body); say(a.ok ? done : a.data.message, !a.ok); loadModerators(); loadAudit(); };
      actions.append(
        button(m.role === "admin" ? "Rendre modérateur" : "Rendre admin", () => change({ role: m.role === "admin" ? "moderator" : "admin" }, "Rôle changé.")),
        button(m.disabled ? "Réactiver" : "Désactiver", () => change({ disabled: !m.disabled }, "Compte mis à jour.")),
        button("Fermer ses sessions", async () => { const a = await api("POST", `/api/moderation/moderators/${m.id}/logout`); say(a.ok ? `${a.data.sessions_ended} session(s) fermée(s).` : a.data.message, !a.ok); loadModerators(); }),
      );
      tr.appendChild(actions);
      return tr;
    }));
  }

  const INVITE_STATES = { active: "actif", expired: "expiré", revoked: "révoqué" };
  async function loadInvites() {
    const { data } = await api("GET", "/api/moderation/schools");
    document.getElementById("school-invites").replaceChildren(...data.invites.map((i) => {
      const tr = document.createElement("tr");
      tr.dataset.inviteId = String(i.id);
      tr.append(cell(String(i.id)), cell(i.school), cell(i.region || ""), cell(INVITE_STATES[i.state] || i.state),
        cell(`${i.uploads} / ${i.upload_limit}`), cell(new Date(i.expires_at).toLocaleString("fr-CA")));
      const actions = document.createElement("td");
      if (i.state === "active") {
        actions.append(button("Révoquer", async () => {
          const a = await api("POST", `/api/moderation/schools/${i.id}/revoke`);
          say(a.ok ? "Lien révoqué." : a.data.message, !a.ok); loadInvites(); loadAudit();
        }));
      }
      tr.appendChild(actions);
      return tr;
    }));
  }

  async function loadRules() {
    const { data } = await api("GET", "/api/moderation/rules");
    const form = document.getElementById("rules");
    for (const key of LISTS) form.elements[key].value = data[key].join("\n");
    form.elements.words_action.value = data.words_action;
    form.elements.green_threshold.value = data.green_threshold;
  }

  async function loadAudit() {
    const { data } = await api("GET", "/api/moderation/audit?limit=100");
    document.getElementById("audit").replaceChildren(...data.entries.map((e) => {
      const tr = document.createElement("tr");
      tr.append(cell(new Date(e.created_at).toLocaleString("fr-CA")), cell(e.actor), cell(e.action),
        cell(e.photo_id || e.target || ""), cell(e.client || ""), cell(JSON.stringify(e.details)));
      return tr;
    }));
  }

  const SOURCE_STATES = { paused: "en pause", new: "nouvelle", ok: "en santé", stalled: "bloquée", restricted: "restreinte", retrying: "nouvel essai", failing: "en échec" };
  let editing = null; // the name of the source the form changes, or null to add one
  const sourceForm = document.getElementById("source-form");
  const credentialInputs = () => [...sourceForm.querySelectorAll('input[name^="cred-"]')];

  function editSource(s) {
    editing = s.name;
    document.getElementById("source-form-title").textContent = `Modifier « ${s.name} »`;
    sourceForm.elements.name.value = s.name; sourceForm.elements.name.readOnly = true;
    sourceForm.elements.type.value = s.type;
    sourceForm.elements.base_url.value = s.base_url;
    sourceForm.elements.interval.value = s.interval;
    sourceForm.elements.hashtags.value = s.hashtags.join(", ");
    sourceForm.elements.recheck_per_minute.value = s.recheck_per_minute ?? "";
    sourceForm.elements.stream_url.value = s.stream_url === "" ? "aucun" : (s.stream_url || "");
    for (const input of credentialInputs()) {
      input.value = "";
      input.placeholder = s.credentials_set.includes(input.name.slice(5)) ? "défini — vide pour garder" : "";
    }
    sourceForm.scrollIntoView({ block: "nearest" });
  }
  function newSourceForm() {
    editing = null;
    document.getElementById("source-form-title").textContent = "Ajouter une source";
    sourceForm.elements.name.readOnly = false;
    for (const input of credentialInputs()) input.placeholder = "";
  }

  async function loadSources() {
    const { data } = await api("GET", "/api/moderation/sources");
    document.getElementById("sources").replaceChildren(...data.map((s) => {
      const tr = document.createElement("tr");
      tr.dataset.source = s.name;
      const credentials = s.credentials_unreadable ? "illisibles : à saisir de nouveau" : (s.credentials_set.join(", ") || "aucun");
      tr.append(cell(s.name), cell(s.type), cell(s.base_url), cell(`${s.interval} s`), cell(credentials),
        cell(SOURCE_STATES[s.health] || s.health));
      const actions = document.createElement("td");
      const path = `/api/moderation/sources/${encodeURIComponent(s.name)}`;
      actions.append(
        button("Modifier", () => editSource(s)),
        button(s.paused ? "Reprendre" : "Mettre en pause", async () => {
          const a = await api("PATCH", path, { paused: !s.paused });
          say(a.ok ? (s.paused ? "Source reprise." : "Source en pause.") : a.data.message, !a.ok); loadSources(); loadAudit();
        }),
        button("Retirer", async () => {
          if (!confirm(`Retirer la source « ${s.name} »? Ses photos restent; elle n'est plus lue.`)) return;
          const a = await api("DELETE", path);
          say(a.ok ? "Source retirée." : a.data.message, !a.ok); loadSources(); loadAudit();
        }),
      );
      tr.appendChild(actions);
      return tr;
    }));
  }

  sourceForm.addEventListener("reset", () => newSourceForm());
  sourceForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = sourceForm.elements;
    const body = { type: f.type.value, interval: Number(f.interval.value) };
    if (f.base_url.value.trim()) body.base_url = f.base_url.value.trim();
    const tags = f.hashtags.value.split(",").map((t) => t.trim()).filter(Boolean);
    if (tags.length) body.hashtags = tags;
    if (f.recheck_per_minute.value.trim()) body.recheck_per_minute = Number(f.recheck_per_minute.value);
    const stream = f.stream_url.value.trim();
    if (stream) body.stream_url = stream.toLowerCase() === "aucun" ? "" : stream;
    const credentials = {};
    for (const input of credentialInputs()) if (input.value.trim()) credentials[input.name.slice(5)] = input.value;
    if (Object.keys(credentials).length) body.credentials = credentials;
    let a;
    if (editing === null) {
      body.name = f.name.value.trim();
      a = await api("POST", "/api/moderation/sources", body);
    } else {
      a = await api("PATCH", `/api/moderation/sources/${encodeURIComponent(editing)}`, body);
    }
    say(a.ok ? "Source enregistrée; elle est lue dans quelques secondes." : a.data.message, !a.ok);
    if (a.ok) { sourceForm.reset(); newSourceForm(); }
    for (const input of credentialInputs()) input.value = "";
    loadSources(); loadAudit();
  });

  document.getElementById("add-moderator").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const a = await api("POST", "/api/moderation/moderators", { email: form.email.value, password: form.password.value, role: form.role.value });
    say(a.ok ? "Compte ajouté." : a.data.message, !a.ok);
    if (a.ok) form.reset();
    loadModerators(); loadAudit();
  });
  document.getElementById("add-school-invite").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const a = await api("POST", "/api/moderation/schools", {
      school: form.school.value, region: form.region.value || null,
      days: Number(form.days.value), upload_limit: Number(form.upload_limit.value),
    });
    say(a.ok ? "Lien créé." : a.data.message, !a.ok);
    if (a.ok) {
      const link = document.getElementById("school-invite-url");
      link.href = a.data.link; link.textContent = a.data.link;
      document.getElementById("school-invite-link").hidden = false;
      form.reset();
    }
    loadInvites(); loadAudit();
  });
  document.getElementById("rules").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    const body = { words_action: form.words_action.value, green_threshold: Number(form.green_threshold.value) };
    for (const key of LISTS) body[key] = form.elements[key].value.split("\n").map((s) => s.trim()).filter(Boolean);
    const a = await api("PUT", "/api/moderation/rules", body);
    say(a.ok ? "Règles enregistrées." : a.data.message, !a.ok);
    loadAudit();
  });
  document.getElementById("totp-start").addEventListener("click", async () => {
    const a = await api("POST", "/api/auth/totp");
    if (!a.ok) { say(a.data.message, true); return; }
    const uri = document.getElementById("totp-uri");
    uri.hidden = false;
    uri.textContent = `Ajoute ce compte dans ton application (clé : ${a.data.secret}) — ${a.data.otpauth_uri}`;
    document.getElementById("totp-confirm").hidden = false;
  });
  document.getElementById("totp-confirm").addEventListener("submit", async (event) => {
    event.preventDefault();
    const a = await api("POST", "/api/auth/totp/confirm", { code: event.target.code.value });
    say(a.ok ? "Double authentification activée." : a.data.message, !a.ok);
    loadModerators();
  });

  loadModerators();
  loadSources();
  loadInvites();
  loadRules();
  loadAudit();
})();
