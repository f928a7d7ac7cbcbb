// The wall's line to the server: the event stream (with the "reconnexion…"
// badge while it is down), and the stats behind the counter, the wave and the
// map, asked again (If-None-Match, so mostly a 304) after every event.
(function () {
  "use strict";
  const VV = (window.VagueVerte = window.VagueVerte || {});
  const MAX_TOUCHED = 2000;

  function url(base, params) {
    const target = new URL(base, location.href);
    for (const [key, value] of Object.entries(params)) target.searchParams.set(key, value);
    return target.toString();
  }

  // An event's photo belongs on this wall? "later" when only the feed can tell:
  // events carry neither the school nor the consent a school wall or an embed
  // (an upload shown on a partner's site) needs.
  function matches(filter, photo) {
    if (filter.region && photo.region !== filter.region) return false;
    if (filter.source && photo.source !== filter.source) return false;
    if (filter.school) return "later";
    if (filter.embed && photo.source === "upload") return "later";
    return true;
  }

  // handlers: load() -> last event id, approved(photo), updated(photo),
  // removed(id), recheck(delayMs), stats(json).
  function start(config, handlers) {
    const status = document.getElementById("wall-status");
    let source = null;
    let retryDelay = 2000;
    let touched = new Map(); // photo id -> id of the last event about it
    let statsTag = null;
    let statsTimer = null;

    function setStatus(message) {
      status.textContent = message;
      status.hidden = !message;
    }

    function refreshStats() {
      clearTimeout(statsTimer);
      statsTimer = setTimeout(async () => {
        try {
          const headers = { Accept: "application/json" };
          if (statsTag) headers["If-None-Match"] = statsTag;
          const response = await fetch(config.statsUrl, { headers, cache: "no-store" });
          if (response.status === 200) {
            handlers.stats(await response.json());
            statsTag = response.headers.get("ETag");
          }
        } catch (err) {
          // The next event or reconnection asks again.
        }
      }, 150);
    }

    function follow(name, apply) {
      source.addEventListener(name, (e) => {
        const data = JSON.parse(e.data);
        if (touched.size > MAX_TOUCHED) touched = new Map();
        touched.set(data.id, Number(e.lastEventId) || 0);
        apply(data);
        refreshStats();
      });
    }

    function placed(photo) {
      const fits = matches(config.filter, photo);
      if (fits === "later") handlers.recheck(300);
      else if (fits) return true;
      else handlers.removed(photo.id); // moved out of this wall, if it was here
      return false;
    }

    function connect(afterId) {
      if (source) source.close();
      source = new EventSource(url(config.eventsUrl, { after: afterId }));
      let lost = false;
      source.addEventListener("open", () => {
        setStatus("");
        retryDelay = 2000;
        if (lost) {
          handlers.recheck(0);
          refreshStats();
        }
      });
      source.addEventListener("error", () => {
        lost = true;
        setStatus(config.text.reconnecting);
        // The browser retries by itself after a dropped connection, but gives up
        // for good on an error answer (a restart behind a proxy, a 503): start over.
        if (source.readyState === EventSource.CLOSED) retryLater();
      });
      follow("photo.approved", (photo) => placed(photo) && handlers.approved(photo));
      follow("photo.updated", (photo) => placed(photo) && handlers.updated(photo));
      follow("photo.removed", (photo) => handlers.removed(photo.id));
      source.addEventListener("reset", () => begin());
    }

    function retryLater() {
      if (source) source.close();
      source = null;
      setStatus(config.text.reconnecting);
      setTimeout(begin, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 10000);
    }

    async function begin() {
      try {
        const afterId = await handlers.load();
        touched = new Map();
        refreshStats();
        connect(afterId);
      } catch (err) {
        retryLater();
      }
    }

    // Photos that an event newer than `eventId` has already set right.
    function newerThan(eventId) {
      const newer = new Set();
      for (const [id, seen] of touched) {
        if (seen > eventId) newer.add(id);
        else touched.delete(id);
      }
      return newer;
    }

    begin();
    return { refreshStats, newerThan };
  }

  VV.live = { start, url };
})();
