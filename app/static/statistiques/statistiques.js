/* Charts of the statistics page: progressive enhancement over the data tables (which stay the
   accessible source: the canvases are aria-hidden). Chart.js is served locally (static/vendor/chartjs). */
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") { return; }
  var couleurs = ["#000091", "#6a6af4", "#009081", "#c3992a", "#ce614a", "#a558a0", "#417dc4", "#3a3a3a",
                  "#18753c", "#b34000", "#5e2a2b", "#7d4e5b", "#716043", "#0063cb", "#e4794a", "#465f9d",
                  "#8585f6", "#66673d", "#958b62"];
  document.querySelectorAll("table[data-graphique]").forEach(function (table) {
    var canvas = document.getElementById(table.getAttribute("data-graphique"));
    if (!canvas) { return; }
    var labels = [], valeurs = [];
    table.querySelectorAll("tbody tr").forEach(function (tr) {
      labels.push(tr.querySelector("th").textContent.trim());
      valeurs.push(parseInt(tr.querySelector("[data-valeur]").getAttribute("data-valeur"), 10) || 0);
    });
    if (!valeurs.some(function (v) { return v > 0; })) { canvas.parentNode.hidden = true; return; }
    var type = table.getAttribute("data-type") === "doughnut" ? "doughnut" : "bar";
    new window.Chart(canvas, {
      type: type,
      data: { labels: labels, datasets: [{ data: valeurs, backgroundColor: type === "bar" ? "#000091" : couleurs,
                                           borderWidth: type === "bar" ? 0 : 1 }] },
      options: {
        indexAxis: type === "bar" ? "y" : undefined,
        animation: false,
        maintainAspectRatio: false,
        locale: "fr-FR",
        plugins: { legend: { display: type !== "bar", position: "right" } },
        scales: type === "bar" ? { x: { beginAtZero: true } } : {}
      }
    });
  });
})();
