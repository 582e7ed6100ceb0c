// Completes markup that Django's admin widgets build in the browser (WCAG 2.1 AA, as axe-core
// checks it in tests/a11y). Runs after the widgets' own scripts, which build it on "load".
"use strict";

window.addEventListener("load", () => {
  // The filter box icon of a "filter_horizontal" selector carries an aria-label but no role,
  // which ARIA does not allow on a plain <span> (axe: aria-prohibited-attr): it is an image
  // that explains the box.
  for (const icon of document.querySelectorAll("span.search-label-icon[aria-label]")) {
    icon.setAttribute("role", "img");
  }
});
