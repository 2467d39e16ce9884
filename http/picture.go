package http

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"accountd"
)

// pictureTypes are the Content-Types a raw upload may have.
var pictureTypes = []string{"image/jpeg", "image/png", "image/gif", "image/webp"}

// maxFormOverhead is what a multipart body may hold beside its picture:
// boundaries and part headers.
const maxFormOverhead = 64 << 10

// maxUploads bounds the uploads held in memory at once, read or waiting
// for one of the domain's decode slots: each may be 10 MiB, so a burst of
// them costs at most 160 MiB; more wait to be read.
const maxUploads = 16

func (s *Server) putPicture(kind accountd.PictureKind) func(http.ResponseWriter, *http.Request, *caller) error {
	return func(w http.ResponseWriter, r *http.Request, c *caller) error {
		select {
		case s.uploads <- struct{}{}:
			defer func() { <-s.uploads }()
		case <-r.Context().Done():
			return r.Context().Err()
		}
		data, err := readPicture(w, r)
		if err != nil {
			return err
		}
		a, err := s.svc.SetPicture(r.Context(), c.account.ID, kind, data)
		if err != nil {
			return err
		}
		writeOK(w, http.StatusOK, "Picture saved", accountDocument(a, s.media))
		return nil
	}
}

func (s *Server) deletePicture(kind accountd.PictureKind) func(http.ResponseWriter, *http.Request, *caller) error {
	return func(w http.ResponseWriter, r *http.Request, c *caller) error {
		a, err := s.svc.RemovePicture(r.Context(), c.account.ID, kind)
		if err != nil {
			return err
		}
		writeOK(w, http.StatusOK, "Picture removed", accountDocument(a, s.media))
		return nil
	}
}

// readPicture reads the uploaded picture, the raw body or the form's
// field image, and at most one byte over the limit, which is enough for
// the domain to refuse it.
func readPicture(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	limit := int64(accountd.MaxPictureBytes + 1)
	switch {
	case mt == "multipart/form-data":
		mr := multipart.NewReader(http.MaxBytesReader(w, r.Body, accountd.MaxPictureBytes+maxFormOverhead), params["boundary"])
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				return nil, nil // no field image: not a picture
			}
			if err != nil {
				return nil, uploadError(err)
			}
			if part.FormName() == "image" {
				data, err := io.ReadAll(io.LimitReader(part, limit))
				if err != nil {
					return nil, uploadError(err)
				}
				return data, nil
			}
		}
	case slices.Contains(pictureTypes, mt):
		data, err := io.ReadAll(io.LimitReader(r.Body, limit))
		if err != nil {
			return nil, uploadError(err)
		}
		return data, nil
	}
	return nil, &requestError{http.StatusUnsupportedMediaType, "unsupported_media_type",
		"Send the picture as image/jpeg, image/png, image/gif or image/webp, or as the field image of multipart/form-data"}
}

// uploadError is what a failed read of an upload answers: over the limit,
// or a form cut short, which is no picture either.
func uploadError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return accountd.ErrPictureTooLarge
	}
	return &accountd.Error{Kind: accountd.KindInvalid, Code: "validation_failed", Message: "The request has invalid fields: image",
		Fields: []accountd.FieldError{{Field: "image", Message: "could not be read: " + err.Error()}}}
}

// getMedia serves a picture's bytes to anyone: an <img> sends no token.
// The bytes behind a key never change, so caches may keep them for ever.
func (s *Server) getMedia(w http.ResponseWriter, r *http.Request) error {
	size := 0
	if v := r.URL.Query().Get("size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			n = -1 // a size the domain refuses
		}
		size = n
	}
	m, err := s.svc.Media(r.Context(), r.PathValue("key"), size)
	if err != nil {
		return err
	}
	etag := `"` + m.Key + "-" + strconv.Itoa(m.Size) + `"`
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("X-Content-Type-Options", "nosniff")
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	h.Set("Content-Type", m.ContentType)
	h.Set("Content-Length", strconv.Itoa(len(m.Data)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(m.Data)
	return nil
}

// etagMatches tells whether an If-None-Match header names etag, weakly
// compared as RFC 9110 §13.1.2 says.
func etagMatches(header, etag string) bool {
	for _, v := range strings.Split(header, ",") {
		v = strings.TrimPrefix(strings.TrimSpace(v), "W/")
		if v == "*" || v == etag {
			return true
		}
	}
	return false
}
