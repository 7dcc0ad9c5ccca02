// The little JS the dashboard needs; htmx does the rest.
document.addEventListener("keydown", (event) => {
  // "/" focuses the search box, unless the user is typing somewhere already.
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target.closest("input, textarea, select, [contenteditable]")) return;
  const search = document.querySelector("[data-search-box]");
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
