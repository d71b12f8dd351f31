/* Declarative forms: mirrors on the page what the server decides (app/formulaires/conditions.py).
 * - conditional display: elements with data-visible-if (a JSON condition over earlier answers) are
 *   shown or hidden as the answers change; the server ignores and drops hidden answers anyway;
 * - « Rechercher la collectivité »: live search through GET /territoires/recherche.
 * Plain JavaScript, no dependency. Without it, every question shows with a sentence saying when it
 * applies, and the search works with its button (server side). */
(function () {
  "use strict";

  var form = document.querySelector("form[data-formulaire]");
  if (!form) { return; }
  form.classList.add("formulaires-js");

  function valueOf(key) {
    var wrapper = document.getElementById("champ-" + key);
    if (wrapper && wrapper.closest(".formulaire-masque")) { return null; }  // hidden (or in a hidden section): no value
    var inputs = form.querySelectorAll('[name="' + key + '"]');
    var values = [], multiple = false;
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if (input.type === "checkbox") {
        multiple = true;
        if (input.checked) { values.push(input.value); }
      } else if (input.type === "radio") {
        if (input.checked) { values.push(input.value); }
      } else if (input.value.trim() !== "") {
        values.push(input.value.trim());
      }
    }
    if (multiple) { return values.length ? values : null; }
    return values.length ? values[0] : null;
  }

  function same(answer, expected) {
    return answer !== null && String(answer) === String(expected);
  }

  function matches(answer, expected) {
    if (answer === null) { return false; }
    if (Array.isArray(answer)) { return answer.some(function (a) { return same(a, expected); }); }
    return same(answer, expected);
  }

  function evaluate(condition) {
    if (!condition) { return true; }
    var operator = Object.keys(condition)[0], operand = condition[operator];
    switch (operator) {
      case "and": return operand.every(evaluate);
      case "or": return operand.some(evaluate);
      case "not": return !evaluate(operand);
      case "equals": return matches(valueOf(operand.field), operand.value);
      case "not_equals": return !matches(valueOf(operand.field), operand.value);
      case "in": return operand.values.some(function (v) { return matches(valueOf(operand.field), v); });
      case "not_in": return !operand.values.some(function (v) { return matches(valueOf(operand.field), v); });
      default: return true;
    }
  }

  var conditional = Array.prototype.slice.call(form.querySelectorAll("[data-visible-if]"));

  function refresh() {
    // Document order = form order: a condition only reads earlier fields, already up to date.
    conditional.forEach(function (element) {
      var condition;
      try { condition = JSON.parse(element.getAttribute("data-visible-if")); } catch (e) { return; }
      var shown = evaluate(condition);
      element.classList.toggle("formulaire-masque", !shown);
      element.hidden = !shown;
    });
  }

  form.addEventListener("change", refresh);
  form.addEventListener("input", refresh);
  refresh();

  // --- « Rechercher la collectivité » -----------------------------------------------------------
  var TYPE_LABELS = { commune: "commune", epci: "EPCI", departement: "département", region: "région" };

  function setupSearch(fieldset) {
    var key = fieldset.getAttribute("data-nom");
    var input = document.getElementById(key + "__recherche");
    var results = document.getElementById(key + "-resultats");
    var button = fieldset.querySelector('button[value="chercher:' + key + '"]');
    if (!input || !results) { return; }
    var timer = null, sequence = 0;

    function render(items, query) {
      var checked = results.querySelector('input[type="radio"]:checked');
      var keep = checked ? checked.closest(".fr-radio-group") : null;
      results.textContent = "";
      if (keep) { results.appendChild(keep); }
      var count = 0;
      items.forEach(function (item, index) {
        var value = item.type + ":" + item.code;
        if (checked && checked.value === value) { return; }
        var group = document.createElement("div");
        group.className = "fr-radio-group";
        var radio = document.createElement("input");
        radio.type = "radio";
        radio.name = key;
        radio.value = value;
        radio.id = key + "-resultat-" + index;
        var label = document.createElement("label");
        label.className = "fr-label";
        label.htmlFor = radio.id;
        label.textContent = (item.libelle || item.nom || item.code) + " — " + (TYPE_LABELS[item.type] || item.type);
        group.appendChild(radio);
        group.appendChild(label);
        results.appendChild(group);
        count++;
      });
      var status = document.createElement("p");
      status.className = "fr-text--sm";
      status.textContent = count ? count + " résultat" + (count > 1 ? "s" : "") + " : choisissez la collectivité."
        : "Aucune collectivité ne correspond à « " + query + " ».";
      results.appendChild(status);
    }

    function search() {
      var query = input.value.trim();
      if (query.length < 2) { return; }
      var current = ++sequence;
      var url = fieldset.getAttribute("data-url") + "?q=" + encodeURIComponent(query) +
        "&types=" + encodeURIComponent(fieldset.getAttribute("data-types")) + "&limit=10";
      fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (data) {
          if (current !== sequence) { return; }  // a newer search answered first
          render(Array.isArray(data) ? data : (data.resultats || []), query);
        })
        .catch(function () { /* the search button still works without JavaScript */ });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(search, 250);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); search(); }
    });
    if (button) {
      button.addEventListener("click", function (event) { event.preventDefault(); search(); });
    }
  }

  Array.prototype.forEach.call(form.querySelectorAll(".formulaire-collectivite"), setupSearch);

  // After a refused post, bring the error summary to the keyboard and screen reader.
  var summary = document.getElementById("resume-erreurs");
  if (summary) { summary.focus(); }
})();
