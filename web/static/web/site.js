// Progressive enhancement of the rating form: save without reloading the page and show the
// movie's new statistics in place. Without this script the form posts and the page reloads.
"use strict";

function replaceFragments(html) {
  // The server answers with elements whose ids exist on the page: swap each one in.
  const incoming = new DOMParser().parseFromString(html, "text/html");
  for (const element of Array.from(incoming.body.children)) {
    const current = element.id && document.getElementById(element.id);
    if (!current) continue;
    if (current.getAttribute("role") === "status") {
      // Keep the live region itself, so screen readers announce its new text.
      current.className = element.className;
      current.textContent = element.textContent;
    } else {
      current.replaceWith(document.adoptNode(element));
    }
  }
}

function enhanceRatingForm(form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { "X-Requested-With": "fetch" },
        credentials: "same-origin",
      });
      const type = response.headers.get("Content-Type") || "";
      if (response.redirected || !type.startsWith("text/html")) {
        form.submit(); // e.g. the session ended: let the browser follow the normal flow
        return;
      }
      replaceFragments(await response.text());
    } catch (error) {
      form.submit();
    } finally {
      button.disabled = false;
    }
  });
}

document.querySelectorAll("form[data-rating-form]").forEach(enhanceRatingForm);
