// Progressive enhancement of the upload form: camera, preview, progress bar,
// and an in-page answer. Without this script the form posts as a plain page.
(function () {
  "use strict";
  const form = document.getElementById("upload-form");
  if (!form) return;
  const input = document.getElementById("photo-input");
  const takePhoto = document.getElementById("take-photo");
  const preview = document.getElementById("upload-preview");
  const progress = document.getElementById("upload-progress");
  const errorBox = document.getElementById("upload-error");
  const submit = document.getElementById("upload-submit");
  const keyField = document.getElementById("upload-key");
  const done = document.getElementById("upload-done");
  const english = form.dataset.lang === "en";
  const submitLabel = submit.textContent;

  // The same key for every attempt made from this page: a retry after a
  // stalled upload returns the photo already stored instead of a second one.
  if (!keyField.value && window.crypto && crypto.randomUUID) {
    keyField.value = crypto.randomUUID();
  }

  function showPreview(file) {
    if (!file) return;
    if (preview.src) URL.revokeObjectURL(preview.src);
    preview.onerror = () => { preview.hidden = true; }; // e.g. HEIC in a browser that cannot show it
    preview.src = URL.createObjectURL(file);
    preview.hidden = false;
  }

  function showError(text) {
    errorBox.textContent = text;
    errorBox.hidden = false;
    errorBox.scrollIntoView({ block: "center" });
  }

  function finish() {
    progress.hidden = true;
    submit.disabled = false;
    submit.textContent = submitLabel;
  }

  input.addEventListener("change", () => showPreview(input.files && input.files[0]));

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
      showPreview(file);
    });
  }

  form.addEventListener("submit", (event) => {
    if (!window.XMLHttpRequest || !window.FormData) return;
    event.preventDefault();
    const data = new FormData(form);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.responseType = "json";
    errorBox.hidden = true;
    progress.value = 0;
    progress.hidden = false;
    submit.disabled = true;
    submit.textContent = form.dataset.sending;
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) progress.value = Math.round((e.loaded / e.total) * 100);
    });
    xhr.addEventListener("load", () => {
      finish();
      const body = xhr.response || {};
      if (xhr.status >= 200 && xhr.status < 300 && body.id) {
        const link = document.getElementById("upload-manage-link");
        link.href = body.manage_url;
        link.textContent = body.manage_url;
        form.hidden = true;
        done.hidden = false;
        done.scrollIntoView({ block: "start" });
        return;
      }
      const message = english ? body.message_en || body.message : body.message;
      showError(message || form.dataset.networkError);
    });
    const failed = () => { finish(); showError(form.dataset.networkError); };
    xhr.addEventListener("error", failed);
    xhr.addEventListener("timeout", failed);
    xhr.send(data);
  });
})();
