package http

import (
	"io/fs"
	"net/http"

	"accountd/api"
)

// openAPI is GET /openapi.json: the API's document, naming this server.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	_, err := w.Write(s.document)
	return err
}

// docsPage is GET /docs: a page that renders the API's document.
func (s *Server) docsPage(w http.ResponseWriter, r *http.Request) error {
	http.ServeFileFS(w, r, api.DocsPage, "index.html")
	return nil
}

// docsFile is one of the files the docs page loads, all from the binary.
func (s *Server) docsFile(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("file")
	if st, err := fs.Stat(api.DocsPage, name); err != nil || st.IsDir() || name == "index.html" {
		return &requestError{http.StatusNotFound, "not_found", "No such file of the docs page: " + shortPath(name)}
	}
	http.ServeFileFS(w, r, api.DocsPage, name)
	return nil
}
