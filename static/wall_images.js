// Images for the wall: a tile is built only around an image that has loaded
// and decoded, so the wall never shows a broken one. A failed load is tried
// again with a growing delay (1 s, 2 s, 4 s, then every 5 s) for as long as
// the photo is wanted: after an outage everything comes back within seconds.
(function () {
  "use strict";
  const VV = (window.VagueVerte = window.VagueVerte || {});
  const FIRST_DELAY_MS = 1000;
  const MAX_DELAY_MS = 5000;

  function imageUrl(photo) {
    return photo.image && (photo.image.webp_url || photo.image.url);
  }

  // Resolves with a loaded <img>, or with null once cancelled.
  function load(photo, cancelled) {
    const url = imageUrl(photo);
    return new Promise((resolve) => {
      let delay = FIRST_DELAY_MS;
      let timer = null;
      function attempt() {
        if (cancelled()) return resolve(null);
        const img = new Image();
        img.decoding = "async";
        img.alt = photo.alt || photo.caption || "";
        img.onload = () => {
          img.decode().catch(() => undefined).then(() => {
            // A 200 answer that is not an image decodes to nothing: try again.
            if (img.naturalWidth > 0) resolve(cancelled() ? null : img);
            else retry();
          });
        };
        img.onerror = retry;
        img.src = url;
      }
      function retry() {
        if (cancelled()) return resolve(null);
        clearTimeout(timer);
        timer = setTimeout(attempt, delay * (0.8 + Math.random() * 0.4));
        delay = Math.min(delay * 2, MAX_DELAY_MS);
      }
      if (!url) return resolve(null);
      attempt();
    });
  }

  VV.images = { load, imageUrl };
})();
