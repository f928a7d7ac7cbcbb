// Progressive enhancement of the upload form: camera, preview, a smaller photo,
// checks in the page's language, progress with a cancel button, and an in-page
// answer. Without this script the form posts as a plain page, and the server
// checks everything again in any case.
(function () {
  "use strict";
  const form = document.getElementById("upload-form");
  if (!form) return;
  const input = document.getElementById("photo-input");
  const takePhoto = document.getElementById("take-photo");
  const preview = document.getElementById("upload-preview");
  const progressLine = document.getElementById("upload-progress-line");
  const progress = document.getElementById("upload-progress");
  const percent = document.getElementById("upload-percent");
  const errorBox = document.getElementById("upload-error");
  const submit = document.getElementById("upload-submit");
  const cancel = document.getElementById("upload-cancel");
  const keyField = document.getElementById("upload-key");
  const done = document.getElementById("upload-done");
  const words = form.dataset;
  const english = words.lang === "en";
  const submitLabel = submit.textContent;
  const maxBytes = Number(words.maxBytes) || Infinity;

  // A phone photo is 12 MP and 3 to 8 MB: sent whole on slow 3G it takes
  // minutes. The wall shows at most 1600 px, so 2560 px leaves room to spare.
  const MAX_SIDE = 2560;
  const QUALITY = 0.85;
  // Below this, a photo that is small enough in pixels is sent untouched.
  const SMALL_FILE = 1.5 * 1024 * 1024;
  // What the browser can decode and redraw; HEIC (most iPhones) goes as it is.
  const RESIZABLE = ["image/jpeg", "image/png"];
  const ACCEPTED_TYPES = ["image/jpeg", "image/png", "image/webp", "image/gif", "image/heic", "image/heif"];
  const ACCEPTED_NAME = /\.(jpe?g|png|webp|gif|heic|heif)$/i;

  let prepared = null; // a Promise of the File to send for the chosen photo
  let xhr = null;

  // The same key for every attempt made from this page: a retry after a
  // stalled upload returns the photo already stored instead of a second one.
  if (!keyField.value && window.crypto && crypto.randomUUID) {
    keyField.value = crypto.randomUUID();
  }

  function typeOf(file) {
    if (file.type) return file.type.toLowerCase();
    const match = /\.([a-z0-9]+)$/i.exec(file.name || "");
    const ext = match ? match[1].toLowerCase() : "";
    return { jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png", heic: "image/heic", heif: "image/heif" }[ext] || "";
  }

  function accepted(file) {
    return ACCEPTED_TYPES.includes(typeOf(file)) || ACCEPTED_NAME.test(file.name || "");
  }

  // The photo redrawn upright (EXIF orientation applied by createImageBitmap)
  // at most MAX_SIDE px on its long side, as a JPEG. Anything that cannot be
  // redrawn is sent as it is: the server says what is wrong with it.
  async function shrink(file) {
    if (!RESIZABLE.includes(typeOf(file)) || !window.createImageBitmap) return file;
    let bitmap;
    try {
      bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
    } catch (error) {
      return file;
    }
    const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    if (scale === 1 && file.size <= SMALL_FILE) {
      bitmap.close();
      return file;
    }
    const canvas = document.createElement("canvas");
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    const context = canvas.getContext("2d");
    context.fillStyle = "#fff"; // a transparent PNG gets a white background
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.imageSmoothingQuality = "high";
    context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", QUALITY));
    canvas.width = canvas.height = 0; // frees the pixels at once on phones
    if (!blob || (scale === 1 && blob.size >= file.size)) return file;
    const name = (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg";
    return new File([blob], name, { type: "image/jpeg", lastModified: file.lastModified });
  }

  // Messages in the page's language instead of the browser's own.
  function requiredMessage(field) {
    if (field.dataset.requiredMessage) return field.dataset.requiredMessage;
    if (field.name === "consent") return words.needConsent;
    if (field.name === "age_confirmation") return words.needAge;
    return words.needBox;
  }

  function checkPhoto() {
    const file = input.files && input.files[0];
    if (!file) input.setCustomValidity(words.needPhoto);
    else if (!accepted(file)) input.setCustomValidity(words.badType);
    else if (file.size > maxBytes && !RESIZABLE.includes(typeOf(file))) input.setCustomValidity(words.tooBig);
    else input.setCustomValidity("");
  }

  function checkChoices() {
    const groups = new Map();
    form.querySelectorAll("input[type=checkbox][required], input[type=radio]").forEach((field) => {
      if (field.type === "checkbox") {
        field.setCustomValidity(field.checked ? "" : requiredMessage(field));
        return;
      }
      if (!groups.has(field.name)) groups.set(field.name, []);
      groups.get(field.name).push(field);
    });
    groups.forEach((radios) => {
      if (!radios.some((radio) => radio.required)) return;
      const chosen = radios.some((radio) => radio.checked);
      // One radio carries the group's message; the browser points at it.
      radios.forEach((radio, index) => radio.setCustomValidity(!chosen && index === 0 ? requiredMessage(radio) : ""));
    });
  }

  function showPreview(file) {
    if (preview.src) URL.revokeObjectURL(preview.src);
    preview.onerror = () => { preview.hidden = true; }; // e.g. HEIC in a browser that cannot show it
    preview.src = URL.createObjectURL(file);
    preview.hidden = false;
  }

  function photoChosen() {
    checkPhoto();
    const file = input.files && input.files[0];
    prepared = null;
    if (!file || !accepted(file)) return;
    showPreview(file);
    prepared = shrink(file).catch(() => file);
    prepared.then((ready) => {
      if (ready.size > maxBytes) {
        input.setCustomValidity(words.tooBig);
        input.reportValidity();
      }
    });
  }

  function showError(text) {
    errorBox.textContent = text;
    errorBox.hidden = false;
    errorBox.scrollIntoView({ block: "center" });
  }

  function busy(label) {
    submit.disabled = true;
    submit.textContent = label;
  }

  function finish() {
    xhr = null;
    progressLine.hidden = true;
    cancel.hidden = true;
    submit.disabled = false;
    submit.textContent = submitLabel;
  }

  function setPercent(value) {
    progress.value = value;
    // French typography: a non-breaking space before the percent sign.
    percent.textContent = value + (english ? "%" : "\u00a0%");
  }

  function showDone(body) {
    const link = document.getElementById("upload-manage-link");
    link.href = body.manage_url;
    link.textContent = body.manage_url;
    const qr = document.getElementById("manage-qr");
    qr.src = body.manage_qr_url;
    qr.hidden = false;
    const card = document.getElementById("share-card-image");
    card.src = body.share_card_url;
    card.hidden = false;
    document.getElementById("share-card-download").href = body.share_card_url;
    form.hidden = true;
    done.hidden = false;
    done.scrollIntoView({ block: "start" });
  }

  input.addEventListener("change", photoChosen);
  form.addEventListener("change", (event) => {
    if (event.target !== input) checkChoices();
  });
  checkPhoto();
  checkChoices();

  // A second input that opens the camera directly; the chosen picture is
  // moved into the form's own file input.
  if (window.DataTransfer) {
    const camera = document.createElement("input");
    camera.type = "file";
    camera.accept = "image/*";
    camera.setAttribute("capture", "environment");
    camera.hidden = true;
    form.appendChild(camera);
    takePhoto.hidden = false;
    takePhoto.addEventListener("click", () => camera.click());
    camera.addEventListener("change", () => {
      const file = camera.files && camera.files[0];
      if (!file) return;
      const transfer = new DataTransfer();
      transfer.items.add(file);
      input.files = transfer.files;
      photoChosen();
    });
  }

  cancel.addEventListener("click", () => {
    if (xhr) xhr.abort();
  });

  form.addEventListener("submit", async (event) => {
    if (!window.XMLHttpRequest || !window.FormData) return;
    event.preventDefault();
    if (xhr || submit.disabled) return;
    errorBox.hidden = true;
    const original = input.files && input.files[0];
    busy(words.preparing);
    const file = await (prepared || Promise.resolve(original));
    if (file.size > maxBytes) {
      finish();
      input.setCustomValidity(words.tooBig);
      input.reportValidity();
      return;
    }
    const data = new FormData(form);
    data.set("photo", file, file.name);
    xhr = new XMLHttpRequest();
    const request = xhr;
    request.open("POST", form.action);
    request.setRequestHeader("Accept", "application/json");
    request.responseType = "json";
    setPercent(0);
    progressLine.hidden = false;
    cancel.hidden = false;
    busy(words.sending);
    request.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) setPercent(Math.round((e.loaded / e.total) * 100));
    });
    request.addEventListener("load", () => {
      finish();
      const body = request.response || {};
      if (request.status >= 200 && request.status < 300 && body.id) {
        showDone(body);
        return;
      }
      const message = english ? body.message_en || body.message : body.message;
      showError(message || words.networkError);
    });
    request.addEventListener("abort", () => { finish(); showError(words.cancelled); });
    const failed = () => { finish(); showError(words.networkError); };
    request.addEventListener("error", failed);
    request.addEventListener("timeout", failed);
    request.send(data);
  });
})();
