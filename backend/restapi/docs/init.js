// Starts Swagger UI on the API's document. A file, not an inline script:
// the server's Content-Security-Policy allows only scripts from itself.
// The browser sends the access token as the cookie the UI's URL set, so
// "Try it out" works without pasting it.
window.addEventListener('load', function () {
  if (typeof window.SwaggerUIBundle !== 'function') {
    document.getElementById('swagger-ui').textContent =
      'Swagger UI is missing from this build (frontend/dist/apidocs): the document itself is at ../openapi.json.';
    return;
  }
  window.ui = window.SwaggerUIBundle({
    url: '../openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
  });
});
