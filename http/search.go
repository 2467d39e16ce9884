package http

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"accountd"
)

// searchPageJSON is the search answer of docs/api.md, and asOf: pass it back with
// the next page's request to walk one search's pages without accounts
// created meanwhile shifting them.
type searchPageJSON struct {
	Pages    int             `json:"pages"`
	Page     int             `json:"page"`
	Total    int             `json:"total"`
	Limit    int             `json:"limit"`
	Position int             `json:"position"`
	AsOf     jsonTime        `json:"asOf"`
	Data     []searchHitJSON `json:"data"`
}

// searchHitJSON is a search result of docs/api.md: the public view less its KYC
// and verification, and the caller's bookmark of the account.
type searchHitJSON struct {
	viewJSON[listedProfileJSON]
	IsBookmarked bool   `json:"isBookmarked"`
	BookmarkID   string `json:"bookmarkId"`
}

func searchHit(h accountd.SearchHit, media mediaBase) searchHitJSON {
	own := accountDocument(h.Account, media)
	return searchHitJSON{viewJSON: view(h.Account, own, listedProfile(own)), IsBookmarked: h.BookmarkID != "", BookmarkID: h.BookmarkID}
}

func searchPage(q *accountd.SearchQuery, res *accountd.SearchResult, media mediaBase) searchPageJSON {
	page := searchPageJSON{
		Pages: res.Pages(q.Limit), Page: q.Page, Total: res.Total, Limit: q.Limit,
		Position: q.Offset() + 1, AsOf: jsonTime(res.AsOf), Data: make([]searchHitJSON, len(res.Hits)),
	}
	for i, h := range res.Hits {
		page.Data[i] = searchHit(h, media)
	}
	return page
}

func (s *Server) searchAccounts(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.search(w, r, c, false)
}

// listBookmarks is a search of the accounts the caller bookmarked: the
// same parameters and answer, bookmarks only.
func (s *Server) listBookmarks(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.search(w, r, c, true)
}

func (s *Server) search(w http.ResponseWriter, r *http.Request, c *caller, bookmarked bool) error {
	q, err := searchQuery(r.URL.Query(), c.account.ID)
	if err != nil {
		return err
	}
	if bookmarked {
		q.BookmarkedBy = c.account.ID
	}
	res, err := s.svc.Search(r.Context(), q)
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "OK", searchPage(q, res, s.media))
	return nil
}

// searchQuery reads the search the query string asks for, on
// NewSearchQuery's defaults; it ignores parameters it does not know.
// owner=true keeps the viewer's own managed accounts.
func searchQuery(values url.Values, viewerID string) (*accountd.SearchQuery, error) {
	q := accountd.NewSearchQuery(viewerID)
	p := queryParams{values: values, problems: &accountd.Validation{}}
	p.int(&q.Page, "page", accountd.SearchPageRange)
	p.int(&q.Limit, "limit", accountd.SearchLimitRange)
	p.int(&q.CompletenessMin, "profileCompletenessMin", accountd.CompletenessRange)
	p.int(&q.CompletenessMax, "profileCompletenessMax", accountd.CompletenessRange)
	if s := values.Get("asOf"); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			p.problems.Add("asOf", "must be a time like 2025-05-01T16:30:35.866Z, as a search's first page returns it")
		}
		q.AsOf = t
	}
	q.Text = values.Get("search")
	if s := values.Get("tags"); s != "" {
		q.TagKeys = strings.Split(s, ",")
	}
	switch m := values.Get("tagsMatch"); m {
	case "", "all":
	case "any":
		q.AnyTag = true
	default:
		p.problems.Add("tagsMatch", "must be all or any, not %q", accountd.Truncate(m, 40))
	}
	q.Role = values.Get("role")
	var owner bool
	p.bool(&owner, "owner")
	if owner {
		q.OwnerID = viewerID
	}
	if s := values.Get("sort"); s != "" {
		q.Sort = accountd.SearchSort(s)
	}
	if err := p.refusal(q.Validate); err != nil {
		return nil, err
	}
	return q, nil
}
