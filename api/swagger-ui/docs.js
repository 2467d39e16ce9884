// Renders the API's document, served beside this page, with Swagger UI.
// No validatorUrl: by default Swagger UI sends the document to an outside
// validator, and this page makes no request to another host.
SwaggerUIBundle({ url: "/openapi.json", dom_id: "#docs", validatorUrl: null, deepLinking: true });
