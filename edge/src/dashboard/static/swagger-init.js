// Starts Swagger UI on /docs (a file, not an inline script, so the page's CSP needs no 'unsafe-inline').
window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#docs", persistAuthorization: true });
