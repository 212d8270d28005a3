// The hall's API page: Swagger UI (swagger-ui-dist, served by the hall itself) over the hall's
// own /openapi.json. Nothing is fetched from elsewhere: no validator badge (validatorUrl null).
// SwaggerUIBundle: the global swagger-ui-bundle.js defines (loaded first by index.html).
globalThis.ui = globalThis.SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  validatorUrl: null,
  presets: [globalThis.SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  tryItOutEnabled: false,
  persistAuthorization: false,
});
