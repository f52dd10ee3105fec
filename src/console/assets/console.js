// policybot console: the one script. Refreshes the inbox rows every 5 seconds so new tickets appear
// without a reload (the page works without it). No framework, no external code.
"use strict";
(function () {
  const rows = document.getElementById("inbox-rows");
  if (!rows) return;
  const url = rows.getAttribute("data-refresh");
  async function refresh() {
    try {
      const r = await fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } });
      if (r.redirected) {
        location.reload(); // signed out meanwhile: show the sign-in page
        return;
      }
      if (r.ok && (r.headers.get("content-type") || "").startsWith("text/html")) {
        rows.innerHTML = await r.text();
      }
    } catch (e) {
      // Offline for a moment: the next round tries again.
    }
  }
  setInterval(refresh, 5000);
})();
