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
