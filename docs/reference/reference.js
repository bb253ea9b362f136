// Starts Swagger UI on /docs/openapi.yaml. A file of its own, not an inline
// script: the page's Content-Security-Policy allows scripts from this origin
// only. No online validator (validatorUrl null): nothing leaves this origin.
'use strict';
window.ui = window.SwaggerUIBundle({
  url: '/docs/openapi.yaml',
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  presets: [window.SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
  docExpansion: 'list',
  defaultModelsExpandDepth: 0,
  showExtensions: true,
  tryItOutEnabled: false,
});
