// Progressive enhancement of the upload form: preview and progress bar.
(function () {
  "use strict";
  const form = document.getElementById("upload-form");
  if (!form) return;
  const input = form.querySelector('input[type="file"]');
  const progress = document.getElementById("upload-progress");
  let preview = null;

  input.addEventListener("change", () => {
    const file = input.files && input.files[0];
    if (!file) return;
    if (!preview) {
      preview = document.createElement("img");
      preview.className = "preview";
      preview.alt = "Aperçu de ta photo";
      input.closest("label").after(preview);
    }
    preview.src = URL.createObjectURL(file);
  });

  form.addEventListener("submit", (event) => {
    if (!window.XMLHttpRequest || !window.FormData) return;
    event.preventDefault();
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    progress.hidden = false;
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) progress.value = Math.round((e.loaded / e.total) * 100);
    });
    xhr.addEventListener("load", () => {
      document.open();
      document.write(xhr.responseText);
      document.close();
    });
    xhr.addEventListener("error", () => {
      progress.hidden = true;
      alert("L'envoi a échoué. Vérifie ta connexion et réessaie.");
    });
    xhr.send(new FormData(form));
  });
})();
