// Copy and share buttons for the private link and the share card. They stay
// hidden without this script: the link and the download link work alone.
(function () {
  "use strict";

  function say(button, text) {
    const out = document.getElementById(button.dataset.status);
    if (out) out.textContent = text;
  }

  async function copy(button, link) {
    try {
      await navigator.clipboard.writeText(link.href);
      say(button, button.dataset.done);
    } catch (error) {
      // No clipboard (plain http, refused permission): select the link instead.
      const range = document.createRange();
      range.selectNodeContents(link);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      say(button, button.dataset.failed);
    }
  }

  async function shareLink(button, link) {
    if (!navigator.share) {
      await copy(button, link); // desktop browsers without a share sheet
      return;
    }
    try {
      await navigator.share({ title: button.dataset.title, url: link.href });
    } catch (error) {
      if (error.name !== "AbortError") await copy(button, link);
    }
  }

  // The card is fetched when the finger lands, so that the share sheet opens
  // while the tap still counts as the visitor's gesture.
  const cards = new Map();
  function cardFile(link) {
    if (!cards.has(link.href)) {
      cards.set(link.href, fetch(link.href, { credentials: "same-origin" })
        .then((response) => {
          if (!response.ok) throw new Error(String(response.status));
          return response.blob();
        })
        .then((blob) => new File([blob], link.getAttribute("download") || "vague-verte.jpg", { type: blob.type })));
    }
    return cards.get(link.href);
  }

  async function shareImage(button, link) {
    if (navigator.share && navigator.canShare) {
      try {
        const file = await cardFile(link);
        if (navigator.canShare({ files: [file] })) {
          await navigator.share({ files: [file], title: button.dataset.title });
          return;
        }
      } catch (error) {
        if (error.name === "AbortError") return;
      }
    }
    link.click(); // no file sharing here: download it instead
  }

  function wire(selector, attribute, action) {
    document.querySelectorAll(selector).forEach((button) => {
      const link = document.getElementById(button.dataset[attribute]);
      if (!link) return;
      button.hidden = false;
      button.addEventListener("click", () => action(button, link));
      if (action === shareImage) button.addEventListener("pointerdown", () => cardFile(link).catch(() => null));
    });
  }

  wire("[data-copy]", "copy", copy);
  wire("[data-share-link]", "shareLink", shareLink);
  // Without file sharing the download link already does the job.
  if (navigator.share && navigator.canShare) wire("[data-share-file]", "shareFile", shareImage);
})();
