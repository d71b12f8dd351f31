/* French for the widgets Flask-AppBuilder drives from JavaScript (select2 4.0, bootstrap-datepicker 1.10,
   its alert box). Loaded after FAB's scripts and before the page is ready, i.e. before ab.js sets them up. */
(function ($) {
  "use strict";
  if (!$) { return; }

  // FAB's scripts pass English placeholders explicitly ("Select a State", "Select").
  var PLACEHOLDER = "Sélectionnez une valeur";
  var ENGLISH_PLACEHOLDERS = { "Select a State": true, "Select": true, "Select Value": true };

  if ($.fn.select2) {
    var francais = {
      errorLoading: function () { return "Les résultats n'ont pas pu être chargés."; },
      inputTooLong: function (args) {
        var n = args.input.length - args.maximum;
        return "Supprimez " + n + " caractère" + (n > 1 ? "s" : "");
      },
      inputTooShort: function (args) {
        var n = args.minimum - args.input.length;
        return "Saisissez au moins " + n + " caractère" + (n > 1 ? "s" : "");
      },
      loadingMore: function () { return "Chargement de résultats supplémentaires…"; },
      maximumSelected: function (args) {
        return "Vous pouvez seulement sélectionner " + args.maximum + " élément" + (args.maximum > 1 ? "s" : "");
      },
      noResults: function () { return "Aucun résultat"; },
      searching: function () { return "Recherche en cours…"; },
      removeAllItems: function () { return "Supprimer tous les éléments"; },
      removeItem: function () { return "Supprimer l'élément"; }
    };
    $.fn.select2.defaults.set("language", francais);

    var select2 = $.fn.select2;
    var select2Francais = function (options) {
      if (options && typeof options === "object" && ENGLISH_PLACEHOLDERS[options.placeholder]) {
        options = $.extend({}, options, { placeholder: PLACEHOLDER });
      }
      if (options && typeof options === "object") {
        options = $.extend({ language: francais }, options);
      }
      return select2.apply(this, options === undefined ? arguments : [options].concat([].slice.call(arguments, 1)));
    };
    $.extend(select2Francais, select2);  // keeps $.fn.select2.defaults and .amd
    $.fn.select2 = select2Francais;
    $(function () {
      $("[data-placeholder='Select Value']").attr("data-placeholder", PLACEHOLDER);
    });
  }

  if ($.fn.datepicker && $.fn.datepicker.dates) {
    $.fn.datepicker.dates.fr = {
      days: ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
      daysShort: ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
      daysMin: ["D", "L", "Ma", "Me", "J", "V", "S"],
      months: ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
               "octobre", "novembre", "décembre"],
      monthsShort: ["janv.", "févr.", "mars", "avril", "mai", "juin", "juil.", "août", "sept.", "oct.",
                    "nov.", "déc."],
      today: "Aujourd'hui",
      monthsTitle: "Mois",
      clear: "Effacer",
      weekStart: 1
    };
    // The server parses FAB's yyyy-mm-dd: only the language changes, not the format ab.js sets.
    $.fn.datepicker.defaults.language = "fr";
    $.fn.datepicker.defaults.weekStart = 1;
  }

  var MESSAGES = { "No row selected": "Aucune ligne sélectionnée." };
  if (typeof window.ab_alert === "function") {
    var abAlert = window.ab_alert;
    window.ab_alert = function (text) { return abAlert(MESSAGES[text] || text); };
  }
})(window.jQuery);
