// The console's script: live refresh, confirmation of actions, and step
// selection without reloading the page. Plain JavaScript, no library.
"use strict";

(function () {
  const body = document.body;
  const every = Number(body.dataset.refresh || 0);
  const status = document.getElementById("live-status");

  // refresh fetches the page again with ?partial=1 and replaces each
  // data-live element whose HTML changed. Elements that did not change
  // are left alone, so a form being filled in keeps what was typed.
  let inFlight = false;
  async function refresh() {
    if (inFlight) return;
    inFlight = true;
    try {
      const url = new URL(location.href);
      url.searchParams.set("partial", "1");
      url.searchParams.delete("notice");
      const resp = await fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } });
      if (!resp.ok) throw new Error(resp.status + " " + resp.statusText);
      const doc = new DOMParser().parseFromString(await resp.text(), "text/html");
      for (const fresh of doc.querySelectorAll("[data-live][id]")) {
        const old = document.getElementById(fresh.id);
        if (!old) continue;
        if (old.contains(document.activeElement) && document.activeElement !== document.body && old.querySelector("form")) {
          continue; // someone is typing into this form
        }
        if (old.outerHTML !== fresh.outerHTML) old.replaceWith(document.importNode(fresh, true));
      }
      if (status) { status.textContent = "live · " + new Date().toLocaleTimeString(); status.classList.remove("stale"); }
    } catch (err) {
      if (status) { status.textContent = "not refreshing: " + err.message; status.classList.add("stale"); }
    } finally {
      inFlight = false;
    }
  }

  if (every > 0) {
    setInterval(() => { if (!document.hidden) refresh(); }, every);
  }

  // Actions ask before they are sent.
  document.addEventListener("submit", (ev) => {
    const form = ev.target;
    const question = form.dataset && form.dataset.confirm;
    if (question && !window.confirm(question)) ev.preventDefault();
  });

  // Selecting a step on a page that refreshes itself changes the URL and
  // refreshes at once, without a full reload.
  document.addEventListener("click", (ev) => {
    const link = ev.target.closest && ev.target.closest("a.step-head");
    if (!link || every === 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
    ev.preventDefault();
    const url = new URL(link.href);
    history.pushState(null, "", url);
    refresh();
  });
  window.addEventListener("popstate", refresh);
})();
