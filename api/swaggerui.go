package api

import (
	"embed"
	"io/fs"
)

//go:embed swagger-ui
var swaggerUI embed.FS

// DocsPage is the page GET /docs serves and the files beside it: a pinned
// copy of Swagger UI (refresh-swagger-ui.sh fetches it), which renders the
// document from /openapi.json with nothing loaded from another host.
var DocsPage, _ = fs.Sub(swaggerUI, "swagger-ui")
