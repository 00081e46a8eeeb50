// Starts Swagger UI from the hub's own files. It lives in a file, not inline in /docs,
// so the page runs under the same strict Content-Security-Policy as every other page.
"use strict";
(function () {
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    domNode: root,
    layout: "BaseLayout",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
    // The default validator is an external service: closed networks cannot reach it and
    // the CSP would refuse its badge.
    validatorUrl: null,
  });
})();
