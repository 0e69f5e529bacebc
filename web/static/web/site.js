// Progressive enhancement of the rating form: save without reloading the page and show the
// movie's new statistics in place. Without this script the form posts and the page reloads.
"use strict";

// The parts of the movie page that a rating changes, by id.
const FRAGMENTS = ["movie-stats", "rating-status", "rating-actions"];
// Answers that carry those fragments: saved, refused (400) and throttled (429).
const FRAGMENT_STATUSES = [200, 400, 429];

function replaceFragments(html) {
  const incoming = new DOMParser().parseFromString(html, "text/html");
  for (const element of Array.from(incoming.body.children)) {
    const current = FRAGMENTS.includes(element.id) && document.getElementById(element.id);
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
    if (form.dataset.busy) return; // one save at a time
    // Not `disabled`: a disabled button loses keyboard focus, which would drop it on <body>.
    const button = form.querySelector("button[type=submit]");
    form.dataset.busy = "true";
    button.setAttribute("aria-disabled", "true");
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { "X-Requested-With": "fetch" },
        credentials: "same-origin",
      });
      const type = response.headers.get("Content-Type") || "";
      if (response.redirected || !FRAGMENT_STATUSES.includes(response.status) || !type.startsWith("text/html")) {
        form.submit(); // e.g. the session ended or the form expired: let the browser show the page
        return;
      }
      replaceFragments(await response.text());
    } catch (error) {
      form.submit();
    } finally {
      delete form.dataset.busy;
      button.removeAttribute("aria-disabled");
    }
  });
}

document.querySelectorAll("form[data-rating-form]").forEach(enhanceRatingForm);
