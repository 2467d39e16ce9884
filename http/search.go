package http

import (
	"net/http"

	"accountd"
)

// searchPageJSON is the seed's search answer, and asOf: pass it back with
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

// searchHitJSON is the seed's search result: the public view less its KYC
// and verification, and the caller's bookmark of the account.
type searchHitJSON struct {
	ID                  string               `json:"_id"`
	FirstName           string               `json:"firstName"`
	LastName            string               `json:"lastName"`
	Role                string               `json:"role"`
	Type                string               `json:"type"`
	Profile             searchHitProfileJSON `json:"profile"`
	IsPrivate           bool                 `json:"isPrivate"`
	Score               int                  `json:"score"`
	ProfileCompleteness int                  `json:"profileCompleteness"`
	Socket              socketJSON           `json:"socket"`
	CreatedAt           jsonTime             `json:"createdAt"`
	UpdatedAt           jsonTime             `json:"updatedAt"`
	Achievements        []achievementJSON    `json:"achievements"`
	IsBookmarked        bool                 `json:"isBookmarked"`
	BookmarkID          string               `json:"bookmarkId"`
}

type searchHitProfileJSON struct {
	Contact contactJSON `json:"contact"`
	Bio     bioJSON     `json:"bio"`
	Talent  talentJSON  `json:"talent"`
}

func searchHit(h accountd.SearchHit) searchHitJSON {
	p := publicDocument(h.Account)
	return searchHitJSON{
		ID: p.ID, FirstName: p.FirstName, LastName: p.LastName, Role: p.Role, Type: p.Type,
		Profile:   searchHitProfileJSON{Contact: p.Profile.Contact, Bio: p.Profile.Bio, Talent: p.Profile.Talent},
		IsPrivate: p.IsPrivate, Score: p.Score, ProfileCompleteness: p.ProfileCompleteness, Socket: p.Socket,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt, Achievements: p.Achievements,
		IsBookmarked: h.BookmarkID != "", BookmarkID: h.BookmarkID,
	}
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
	q, err := accountd.ParseSearch(r.URL.Query().Get, c.account.ID)
	if err != nil {
		return err
	}
	res, err := s.svc.Search(r.Context(), q)
	if err != nil {
		return err
	}
	writeOK(w, http.StatusOK, "OK", searchPage(q, res))
	return nil
}
