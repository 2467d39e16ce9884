package http

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"accountd"
)

// maxBodyBytes caps every request body.
const maxBodyBytes = 1 << 20

// envelope is the shape of every response body.
type envelope struct {
	Status  string `json:"status"`
	Message string `json:"message"`
	Data    any    `json:"data"`
}

type errorData struct {
	Code   string                `json:"code"`
	Errors []accountd.FieldError `json:"errors,omitempty"`
}

// empty is the API's `"data": {}`.
var empty = struct{}{}

// writeOK writes a success envelope.
func writeOK(w http.ResponseWriter, status int, message string, data any) {
	writeEnvelope(w, status, envelope{Status: "success", Message: message, Data: data})
}

func writeEnvelope(w http.ResponseWriter, status int, env envelope) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	// The client may be gone; there is no one left to tell.
	_ = json.NewEncoder(w).Encode(env)
}

// requestError is a failure of the transport itself (the body could not be
// read as JSON at all), which the domain never sees.
type requestError struct {
	status  int
	code    string
	message string
}

func (e *requestError) Error() string { return e.message }

var statusByKind = map[accountd.Kind]int{
	accountd.KindMalformed:    http.StatusBadRequest,
	accountd.KindInvalid:      http.StatusUnprocessableEntity,
	accountd.KindUnauthorized: http.StatusUnauthorized,
	accountd.KindForbidden:    http.StatusForbidden,
	accountd.KindNotFound:     http.StatusNotFound,
	accountd.KindConflict:     http.StatusConflict,
	accountd.KindRateLimited:  http.StatusTooManyRequests,
	accountd.KindUnavailable:  http.StatusServiceUnavailable,
	accountd.KindTooLarge:     http.StatusRequestEntityTooLarge,
}

// writeError writes the error envelope for err. Anything that is not a
// known failure is logged and answered 500 without its details.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var re *requestError
	if errors.As(err, &re) {
		writeEnvelope(w, re.status, envelope{Status: "error", Message: re.message, Data: errorData{Code: re.code}})
		return
	}
	var de *accountd.Error
	if errors.As(err, &de) && de.Kind != accountd.KindInternal {
		if de.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int((de.RetryAfter+999_999_999)/1_000_000_000)))
		}
		writeEnvelope(w, statusByKind[de.Kind], envelope{Status: "error", Message: de.Message, Data: errorData{Code: de.Code, Errors: de.Fields}})
		return
	}
	if r.Context().Err() != nil {
		// The client went away; the answer goes nowhere and is no bug.
		log.DebugContext(r.Context(), "request abandoned by the client", "err", err)
	} else {
		log.ErrorContext(r.Context(), "request failed", "err", err)
	}
	writeEnvelope(w, http.StatusInternalServerError, envelope{Status: "error",
		Message: "Something went wrong on our side; try again later", Data: errorData{Code: "internal"}})
}

// decode reads a JSON body into dst, refusing what is not JSON, too large,
// malformed, or has fields dst does not have.
func decode(w http.ResponseWriter, r *http.Request, dst any) error {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" {
		return &requestError{http.StatusUnsupportedMediaType, "unsupported_media_type", "Send the body as JSON with 'Content-Type: application/json'"}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if err == nil && dec.More() {
		err = errors.New("trailing data")
	} else if err == nil {
		if _, extra := dec.Token(); extra != io.EOF {
			err = errors.New("trailing data")
		}
	}
	if err == nil {
		return nil
	}
	var tooLarge *http.MaxBytesError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooLarge):
		return &requestError{http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("The body is over %d bytes", maxBodyBytes)}
	case errors.As(err, &typeErr) && typeErr.Field == "":
		return &requestError{http.StatusBadRequest, "malformed_json", "The body must be a JSON object"}
	case errors.As(err, &typeErr):
		return &accountd.Error{Kind: accountd.KindInvalid, Code: "validation_failed",
			Message: fmt.Sprintf("The request has invalid fields: %s", typeErr.Field),
			Fields:  []accountd.FieldError{{Field: typeErr.Field, Message: "must be a " + jsonTypeName(typeErr.Type.Kind().String())}}}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &accountd.Error{Kind: accountd.KindInvalid, Code: "validation_failed",
			Message: fmt.Sprintf("The request has invalid fields: %s", field),
			Fields:  []accountd.FieldError{{Field: field, Message: "is not a field this request accepts"}}}
	case errors.Is(err, io.EOF):
		return &requestError{http.StatusBadRequest, "malformed_json", "The body is empty; send a JSON object"}
	default:
		return &requestError{http.StatusBadRequest, "malformed_json", "The body is not valid JSON: " + strings.TrimPrefix(err.Error(), "json: ")}
	}
}

func jsonTypeName(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "struct", "map":
		return "object"
	case "slice", "array":
		return "array"
	default:
		return "number"
	}
}
