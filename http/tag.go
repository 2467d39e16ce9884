package http

import (
	"net/http"
	"net/url"

	"accountd"
)

func (s *Server) listTags(w http.ResponseWriter, r *http.Request) error {
	q, err := tagQuery(r.URL.Query())
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

// tagQuery reads the tag listing the query string asks for, on
// NewTagQuery's defaults.
func tagQuery(values url.Values) (*accountd.TagQuery, error) {
	q := accountd.NewTagQuery()
	p := queryParams{values: values, problems: &accountd.Validation{}}
	p.int(&q.Limit, "limit", accountd.TagLimitRange)
	q.Text = values.Get("search")
	if err := p.refusal(q.Validate); err != nil {
		return nil, err
	}
	return q, nil
}
