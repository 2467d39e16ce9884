package http

import (
	"net/http"

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

func searchHit(h accountd.SearchHit) searchHitJSON {
	own := accountDocument(h.Account)
	return searchHitJSON{viewJSON: view(h.Account, own, listedProfile(own)), IsBookmarked: h.BookmarkID != "", BookmarkID: h.BookmarkID}
}

func searchPage(q *accountd.SearchQuery, res *accountd.SearchResult) searchPageJSON {
	page := searchPageJSON{
		Pages: res.Pages(q.Limit), Page: q.Page, Total: res.Total, Limit: q.Limit,
		Position: q.Offset() + 1, AsOf: jsonTime(q.AsOf), Data: make([]searchHitJSON, len(res.Hits)),
	}
	for i, h := range res.Hits {
		page.Data[i] = searchHit(h)
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
	q, err := accountd.ParseSearch(r.URL.Query().Get, c.account.ID)
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
	writeOK(w, http.StatusOK, "OK", searchPage(q, res))
	return nil
}
