// Copy buttons on the public pages: a button carrying data-copy-target copies that element's
// text. Buttons start hidden, so without JavaScript (or a clipboard) none is shown.
document.addEventListener("DOMContentLoaded", () => {
  if (!navigator.clipboard) {
    return;
  }
  for (const button of document.querySelectorAll("button[data-copy-target]")) {
    const source = document.getElementById(button.dataset.copyTarget);
    const status = document.getElementById(button.dataset.copyStatus);
    if (!source) {
      continue;
    }
    button.hidden = false;
    button.addEventListener("click", async () => {
      let message = button.dataset.copiedText;
      try {
        await navigator.clipboard.writeText(source.textContent.trim());
      } catch {
        message = button.dataset.failedText;
      }
      if (status) {
        status.textContent = message;
      }
    });
  }
});
