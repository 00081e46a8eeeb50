// The case page's «Распечатать план» button: shown only where this script runs (it is
// hidden in the HTML), and opens the browser's print dialog; the print rules in cases.css
// make the printout the family's plan. An external file: the CSP allows no
// inline script.
"use strict";

(function () {
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
