package http

import (
	"net/http"

	"accountd"
)

func (s *Server) listTags(w http.ResponseWriter, r *http.Request) error {
	q, err := accountd.ParseTagQuery(r.URL.Query().Get)
	if err != nil {
		return err
	}
	tags, err := s.svc.Tags(r.Context(), q)
	if err != nil {
		return err
	}
	docs := make([]tagJSON, len(tags))
	for i, t := range tags {
		docs[i] = tagDocument(t)
	}
	writeOK(w, http.StatusOK, "OK", docs)
	return nil
}
