// The little JS the dashboard needs; htmx does the rest.
document.addEventListener("keydown", (event) => {
  // "/" focuses the search box, unless the user is typing somewhere already.
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target.closest("input, textarea, select, [contenteditable]")) return;
  // The page's own search box first (the customers list), else the one in the top bar.
  const search =
    document.querySelector("main [data-search-box]") || document.querySelector("[data-search-box]");
  if (search) {
    event.preventDefault();
    search.focus();
    search.select();
  }
});

// A request that never reached the server (network down, server stopped): say so where
// the response would have gone, with the same retry the page already offers. One note per
// place: a second failure replaces the first instead of stacking another alert.
document.addEventListener("htmx:sendError", (event) => {
  const target = event.detail.target;
  if (!target) return;
  target.querySelector(":scope > [data-send-error]")?.remove();
  const note = document.createElement("div");
  note.className = "alert";
  note.setAttribute("role", "alert");
  note.dataset.sendError = "";
  note.textContent = "The dashboard could not be reached. Check your connection and try again.";
  target.prepend(note);
});

// A plain POST form sends once: while it is on its way, further presses of its buttons do
// nothing and show that it is working (the server also refuses a second send of the same
// form, see dashboard/once.py). Buttons are not `disabled`: that would drop the pressed
// button's name and value (e.g. "Save anyway") from the request.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post") return;
  if (form.hasAttribute("hx-post")) return; // htmx guards its own requests
  if (form.dataset.sending) {
    event.preventDefault();
    return;
  }
  form.dataset.sending = "true";
  form.setAttribute("aria-busy", "true");
  for (const button of form.querySelectorAll("button[type=submit], button:not([type])")) {
    button.setAttribute("aria-disabled", "true");
  }
});

// Coming back to the page (back button, bfcache) must not leave a form stuck as "sending".
window.addEventListener("pageshow", () => {
  for (const form of document.querySelectorAll("form[data-sending]")) {
    delete form.dataset.sending;
    form.removeAttribute("aria-busy");
    for (const button of form.querySelectorAll("[aria-disabled]")) {
      button.removeAttribute("aria-disabled");
    }
  }
});

// Live job status: every element marked data-poll asks for news about every 2 s, only while
// the tab is visible (a hidden tab makes no requests); the server answers 204 while nothing
// changed and a page without data-poll (status 286) at the end.
const POLL_MS = 2000;
function pollNow() {
  if (document.visibilityState !== "visible" || !window.htmx) return;
  document.querySelectorAll("[data-poll]").forEach((el) => window.htmx.trigger(el, "poll"));
}
setInterval(pollNow, POLL_MS);
document.addEventListener("visibilitychange", pollNow);

// Layout, feedback and focus (issue 8).

// Filters fold behind their heading (a <details>, closed in the HTML so that a phone shows the
// first result near the top); on a wide screen they start open.
for (const fold of document.querySelectorAll("details[data-fold-wide]")) {
  if (window.matchMedia("(min-width: 800px)").matches) fold.open = true;
}

// A page that arrives with an error summary (a failed save) starts there, as GOV.UK does.
const summary = document.querySelector("[data-error-summary]");
// (A field's autofocus, e.g. the sign-in username, gives way to it.)
const focused = document.activeElement;
if (summary && (!focused || focused === document.body || focused.hasAttribute("autofocus"))) {
  summary.focus();
}

let focusBefore = null;

// While htmx waits on the server, the region it will fill says so (aria-busy; the CSS dims it
// and the link or button pressed shows a spinner).
document.addEventListener("htmx:beforeRequest", (event) => {
  focusBefore = document.activeElement;
  event.detail.target?.setAttribute("aria-busy", "true");
});
document.addEventListener("htmx:afterRequest", (event) => {
  event.detail.target?.removeAttribute("aria-busy");
});

// After a swap, focus goes to the new content when it would otherwise fall to <body> (the
// link or button pressed was inside what was replaced): the fragment's [data-focus] (an error
// summary, the results' heading, the first new timeline entry), else its first alert or
// heading. Typing in a filter outside the region keeps its focus. Then the small live region
// says what arrived ([data-summary]: "25 customers, page 2"), not the whole table.
const live = () => document.getElementById("live-status");
function announce(text) {
  const region = live();
  if (!region || !text) return;
  region.textContent = "";
  // A new text node after a clear is what screen readers notice, even for the same words.
  window.setTimeout(() => (region.textContent = text), 50);
}
function within(root, selector) {
  if (!(root instanceof Element)) return null;
  return root.matches(selector) ? root : root.querySelector(selector);
}
document.addEventListener("htmx:afterSettle", (event) => {
  const root = event.target;
  const said = within(root, "[data-summary]");
  if (said) announce(said.dataset.summary || said.textContent.replace(/\s+/g, " ").trim());
  else {
    const note = within(root, ".messages");
    if (note) announce(note.textContent.replace(/\s+/g, " ").trim());
  }
  const active = document.activeElement;
  const lost =
    focusBefore &&
    focusBefore !== document.body &&
    !focusBefore.isConnected &&
    (!active || active === document.body);
  if (!lost) return;
  const next =
    within(root, "[data-focus]") ||
    within(root, "[role=alert]") ||
    within(root, "h1, h2, h3") ||
    (root instanceof HTMLElement ? root : null);
  if (!next) return;
  if (!next.matches("a[href], button, input, select, textarea, [tabindex]")) {
    next.setAttribute("tabindex", "-1");
  }
  next.focus();
  focusBefore = null;
});
