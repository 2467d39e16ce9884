package http

import (
	"strconv"
	"strings"
	"time"

	"accountd"
)

// jsonTime is a timestamp in the API's form: RFC 3339, UTC, milliseconds.
type jsonTime time.Time

const jsonTimeLayout = "2006-01-02T15:04:05.000Z"

// MarshalText rather than MarshalJSON: encoding/json checks and compacts
// what a MarshalJSON returns, which took a third of encoding an account.
func (t jsonTime) MarshalText() ([]byte, error) {
	return time.Time(t).UTC().AppendFormat(make([]byte, 0, len(jsonTimeLayout)), jsonTimeLayout), nil
}

// optionalTime is a jsonTime that is null until it happens.
func optionalTime(t *time.Time) *jsonTime {
	if t == nil {
		return nil
	}
	j := jsonTime(*t)
	return &j
}

// accountJSON is the account document of GET /v1/account in docs/api.md,
// field for field and in its order.
type accountJSON struct {
	ID                  string            `json:"_id"`
	FirstName           string            `json:"firstName"`
	LastName            string            `json:"lastName"`
	Email               string            `json:"email"`
	EmailVerified       bool              `json:"emailVerified"`
	Role                string            `json:"role"`
	Type                string            `json:"type"`
	Profile             profileJSON       `json:"profile"`
	IsPrivate           bool              `json:"isPrivate"`
	WalletGenerated     bool              `json:"walletGenerated"`
	Score               int               `json:"score"`
	TwoFa               twoFaJSON         `json:"twoFa"`
	ProfileCompleteness int               `json:"profileCompleteness"`
	ProfileImage        *string           `json:"profileImage"`
	BackgroundImage     *string           `json:"backgroundImage"`
	Socket              socketJSON        `json:"socket"`
	LoggedInAt          *jsonTime         `json:"loggedInAt"`
	IsUserNameUpdated   bool              `json:"isUserNameUpdated"`
	ReferralCode        string            `json:"referralCode"`
	Web3Onboard         bool              `json:"web3Onboard"`
	AccountType         string            `json:"accountType"`
	CreatedAt           jsonTime          `json:"createdAt"`
	UserName            string            `json:"userName"`
	EmailVerifiedAt     *jsonTime         `json:"emailVerifiedAt"`
	Socials             socialsJSON       `json:"socials"`
	Achievements        []achievementJSON `json:"achievements"`
	IsVerified          bool              `json:"isVerified"`
	Kyc                 bool              `json:"kyc"`
	KycStatus           string            `json:"kycStatus"`
}

type profileJSON struct {
	Contact contactJSON `json:"contact"`
	Bio     bioJSON     `json:"bio"`
	Talent  talentJSON  `json:"talent"`
}

type contactJSON struct {
	Country string `json:"country"`
	State   string `json:"state"`
	City    string `json:"city"`
	Address string `json:"address"`
	Phone   string `json:"phone"`
}

type bioJSON struct {
	Title       string `json:"title"`
	Description string `json:"description"`
}

type talentJSON struct {
	About        string    `json:"about"`
	Availability string    `json:"availability"`
	Tags         []string  `json:"tags"`
	TagsIDs      []tagJSON `json:"tagsIds"`
}

type tagJSON struct {
	ID         string   `json:"_id"`
	Name       string   `json:"name"`
	Key        string   `json:"key"`
	Color      string   `json:"color"`
	Categories []string `json:"categories"`
	IsParent   bool     `json:"isParent"`
	Type       string   `json:"type"`
	EntryCount int      `json:"entryCount"`
	CreatedAt  jsonTime `json:"createdAt"`
	UpdatedAt  jsonTime `json:"updatedAt"`
	V          int      `json:"__v"`
}

type twoFaJSON struct {
	Type             string `json:"type"`
	Status           bool   `json:"status"`
	SecurityQuestion string `json:"securityQuestion"`
}

type socketJSON struct {
	Status string `json:"status"`
}

type socialsJSON struct {
	GitHub   string `json:"github"`
	Twitter  string `json:"twitter"`
	LinkedIn string `json:"linkedin"`
	Website  string `json:"website"`
}

type achievementJSON struct {
	ID        string   `json:"_id"`
	Owner     string   `json:"owner"`
	Type      string   `json:"type"`
	Total     string   `json:"total"`
	Value     string   `json:"value"`
	CreatedAt jsonTime `json:"createdAt"`
	UpdatedAt jsonTime `json:"updatedAt"`
	V         int      `json:"__v"`
}

// mediaBase is the public base URL of the pictures, which a document
// shows as absolute URLs: an <img> elsewhere must find them.
type mediaBase string

func newMediaBase(publicURL string) mediaBase {
	return mediaBase(strings.TrimRight(publicURL, "/") + "/v1/media/")
}

// url is the picture key's URL, nil when there is no picture.
func (b mediaBase) url(key string) *string {
	if key == "" {
		return nil
	}
	u := string(b) + key
	return &u
}

// accountDocument builds the account document every endpoint that shows
// an account to its owner returns.
func accountDocument(a *accountd.Account, media mediaBase) accountJSON {
	p := a.Profile
	tags := p.Talent.Tags
	if tags == nil {
		tags = []string{}
	}
	tagDocs := make([]tagJSON, len(a.Tags))
	for i, t := range a.Tags {
		tagDocs[i] = tagDocument(t)
	}
	achievements := make([]achievementJSON, len(a.Achievements))
	for i, ac := range a.Achievements {
		achievements[i] = achievementJSON{ID: ac.ID, Owner: ac.Owner, Type: ac.Type,
			Total: strconv.Itoa(ac.Total), Value: strconv.Itoa(ac.Value),
			CreatedAt: jsonTime(ac.CreatedAt), UpdatedAt: jsonTime(ac.UpdatedAt)}
	}
	return accountJSON{
		ID: a.ID, FirstName: a.FirstName, LastName: a.LastName, Email: a.Email, EmailVerified: a.EmailVerified,
		Role: a.Role, Type: a.Type,
		Profile: profileJSON{
			Contact: contactJSON(p.Contact),
			Bio:     bioJSON(p.Bio),
			Talent:  talentJSON{About: p.Talent.About, Availability: p.Talent.Availability, Tags: tags, TagsIDs: tagDocs},
		},
		IsPrivate: a.IsPrivate, WalletGenerated: a.WalletGenerated, Score: a.Score,
		TwoFa:               twoFaJSON{Type: a.TwoFA.Type, Status: a.TwoFA.Status, SecurityQuestion: a.TwoFA.SecurityQuestion},
		ProfileCompleteness: a.Completeness(),
		ProfileImage:        media.url(a.ProfileImage), BackgroundImage: media.url(a.BackgroundImage),
		// There is no live-presence channel yet, so nobody is ever online.
		Socket:     socketJSON{Status: "OFFLINE"},
		LoggedInAt: optionalTime(a.LoggedInAt), IsUserNameUpdated: a.IsUserNameUpdated,
		ReferralCode: a.ReferralCode, Web3Onboard: a.Web3Onboard, AccountType: a.AccountType,
		CreatedAt: jsonTime(a.CreatedAt), UserName: a.UserName, EmailVerifiedAt: optionalTime(a.EmailVerifiedAt),
		Socials:      socialsJSON(a.Socials),
		Achievements: achievements,
		IsVerified:   a.IsVerified, Kyc: a.KYC, KycStatus: a.KYCStatus,
	}
}

// viewJSON is what anyone signed in may see of an account, never the
// email, second factor or sessions, with a profile of type P: a search
// result shows less of the profile than the public view does.
type viewJSON[P any] struct {
	ID                  string            `json:"_id"`
	FirstName           string            `json:"firstName"`
	LastName            string            `json:"lastName"`
	Role                string            `json:"role"`
	Type                string            `json:"type"`
	Profile             P                 `json:"profile"`
	IsPrivate           bool              `json:"isPrivate"`
	Score               int               `json:"score"`
	ProfileCompleteness int               `json:"profileCompleteness"`
	ProfileImage        *string           `json:"profileImage"`
	BackgroundImage     *string           `json:"backgroundImage"`
	Socket              socketJSON        `json:"socket"`
	CreatedAt           jsonTime          `json:"createdAt"`
	UpdatedAt           jsonTime          `json:"updatedAt"`
	Achievements        []achievementJSON `json:"achievements"`
}

// listedProfileJSON is the profile a search result shows.
type listedProfileJSON struct {
	Contact contactJSON `json:"contact"`
	Bio     bioJSON     `json:"bio"`
	Talent  talentJSON  `json:"talent"`
}

// publicJSON is the data of GET /v1/account/user/{id}.
type publicJSON struct {
	viewJSON[publicProfileJSON]
	Kyc       bool   `json:"kyc"`
	KycStatus string `json:"kycStatus"`
}

type publicProfileJSON struct {
	listedProfileJSON
	Verified bool `json:"verified"`
}

// view builds the part of a's document that others may see, around the
// given profile.
func view[P any](a *accountd.Account, own accountJSON, profile P) viewJSON[P] {
	return viewJSON[P]{
		ID: own.ID, FirstName: own.FirstName, LastName: own.LastName, Role: own.Role, Type: own.Type,
		Profile: profile, IsPrivate: own.IsPrivate, Score: own.Score, ProfileCompleteness: own.ProfileCompleteness,
		ProfileImage: own.ProfileImage, BackgroundImage: own.BackgroundImage,
		Socket: own.Socket, CreatedAt: own.CreatedAt, UpdatedAt: jsonTime(a.UpdatedAt), Achievements: own.Achievements,
	}
}

// listedProfile is the profile of a's own document that a search result shows.
func listedProfile(own accountJSON) listedProfileJSON {
	return listedProfileJSON{Contact: own.Profile.Contact, Bio: own.Profile.Bio, Talent: own.Profile.Talent}
}

// publicDocument builds the public view of an account.
func publicDocument(a *accountd.Account, media mediaBase) publicJSON {
	own := accountDocument(a, media)
	return publicJSON{
		viewJSON:  view(a, own, publicProfileJSON{listedProfileJSON: listedProfile(own), Verified: a.IsVerified}),
		Kyc:       own.Kyc,
		KycStatus: own.KycStatus,
	}
}

// tagDocument is a tag as docs/api.md shows it.
func tagDocument(t accountd.Tag) tagJSON {
	return tagJSON{ID: t.ID, Name: t.Name, Key: t.Key, Color: t.Color, Categories: t.Categories,
		IsParent: t.IsParent, Type: t.Type, EntryCount: t.EntryCount,
		CreatedAt: jsonTime(t.CreatedAt), UpdatedAt: jsonTime(t.UpdatedAt)}
}
