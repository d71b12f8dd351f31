/* Tableau de bord: charts drawn from the data tables (progressive enhancement).
 * The tables are the source of truth and stay on the page for screen readers and without JavaScript;
 * Chart.js is served locally (static/vendor/chartjs). A missing library only means no chart. */
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") { return; }
  var couleurs = ["#000091", "#6a6af4", "#18753c", "#b34000", "#716043", "#ce0500", "#009099", "#a558a0"];
  var conteneurs = document.querySelectorAll("[data-graphique-pour]");
  for (var i = 0; i < conteneurs.length; i++) {
    var conteneur = conteneurs[i];
    var table = document.getElementById(conteneur.getAttribute("data-graphique-pour"));
    if (!table) { continue; }
    var libelles = [], valeurs = [];
    var lignes = table.querySelectorAll("tbody tr");
    for (var j = 0; j < lignes.length; j++) {
      libelles.push(lignes[j].querySelector("th").textContent.trim());
      valeurs.push(parseInt(lignes[j].querySelector("td").textContent, 10) || 0);
    }
    var canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", "Graphique : " + table.getAttribute("data-graphique") +
      ". Les mêmes chiffres figurent dans le tableau qui suit.");
    conteneur.appendChild(canvas);
    new window.Chart(canvas, {
      type: "bar",
      data: { labels: libelles, datasets: [{ label: "Nombre", data: valeurs, backgroundColor: couleurs }] },
      options: { indexAxis: "y", plugins: { legend: { display: false } }, animation: false,
                 scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } }
    });
  }
})();
