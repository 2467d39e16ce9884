package storetest

import (
	"bytes"
	"strings"
	"testing"

	"accountd"
)

// picture is the renditions of a made-up picture: its bytes only need to
// come back as they went in.
func picture(key string) []accountd.Media {
	key = strings.Repeat(key, 64)[:64]
	return []accountd.Media{
		{Key: key, Size: 64, ContentType: "image/jpeg", Data: []byte("small " + key)},
		{Key: key, Size: 256, ContentType: "image/jpeg", Data: []byte("medium " + key)},
		{Key: key, Size: 1024, ContentType: "image/png", Data: []byte{0, 1, 2, 0xff}},
	}
}

func putMedia(t *testing.T, s accountd.Store, media []accountd.Media) {
	t.Helper()
	write(t, s, func(tx accountd.Tx) error { return tx.PutMedia(t.Context(), media) })
}

func readMedia(t *testing.T, s accountd.Store, key string, size int) (*accountd.Media, error) {
	t.Helper()
	var m *accountd.Media
	err := s.Read(t.Context(), func(tx accountd.Tx) (err error) {
		m, err = tx.Media(t.Context(), key, size)
		return err
	})
	return m, err
}

func testMediaRoundTrip(t *testing.T, s accountd.Store) {
	p := picture("a")
	putMedia(t, s, p)
	putMedia(t, s, p) // stored once; a second upload is no error
	for _, want := range p {
		got, err := readMedia(t, s, want.Key, want.Size)
		if err != nil {
			t.Fatalf("size %d: %v", want.Size, err)
		}
		if got.Key != want.Key || got.Size != want.Size || got.ContentType != want.ContentType || !bytes.Equal(got.Data, want.Data) {
			t.Errorf("size %d: got %+v, want %+v", want.Size, got, want)
		}
	}
	largest, err := readMedia(t, s, p[0].Key, 0)
	if err != nil || largest.Size != 1024 {
		t.Errorf("size 0: got %+v, %v; want the 1024 rendition", largest, err)
	}
	_, err = readMedia(t, s, p[0].Key, 600)
	wantNotFound(t, "a size not stored", err)
	_, err = readMedia(t, s, strings.Repeat("b", 64), 0)
	wantNotFound(t, "an unknown key", err)
}

// testDropUnusedMedia: a picture stays while any live account shows it,
// as its profile image or background, and goes with the last.
func testDropUnusedMedia(t *testing.T, s accountd.Store) {
	ctx := t.Context()
	p := picture("c")
	key := p[0].Key
	ada := createAccount(t, s, t0, "ada@example.com")
	grace := createAccount(t, s, t0, "grace@example.com")
	write(t, s, func(tx accountd.Tx) error {
		if err := tx.PutMedia(ctx, p); err != nil {
			return err
		}
		ada.ProfileImage, grace.BackgroundImage = key, key
		if err := tx.UpdateAccount(ctx, ada); err != nil {
			return err
		}
		if err := tx.UpdateAccount(ctx, grace); err != nil {
			return err
		}
		return tx.DropUnusedMedia(ctx, key)
	})
	read(t, s, func(tx accountd.Tx) error {
		a, err := tx.AccountByID(ctx, ada.ID)
		if err != nil {
			return err
		}
		if a.ProfileImage != key || a.BackgroundImage != "" {
			t.Errorf("read back profile image %q, background %q", a.ProfileImage, a.BackgroundImage)
		}
		return nil
	})
	if _, err := readMedia(t, s, key, 64); err != nil {
		t.Fatalf("shown by two accounts: %v", err)
	}
	write(t, s, func(tx accountd.Tx) error {
		ada.ProfileImage = ""
		if err := tx.UpdateAccount(ctx, ada); err != nil {
			return err
		}
		return tx.DropUnusedMedia(ctx, key)
	})
	if _, err := readMedia(t, s, key, 64); err != nil {
		t.Fatalf("still the background of one: %v", err)
	}
	write(t, s, func(tx accountd.Tx) error { return tx.DeleteAccount(ctx, grace.ID, t0) })
	for _, m := range p {
		_, err := readMedia(t, s, key, m.Size)
		wantNotFound(t, "a picture no account shows", err)
	}
}

// testDeleteAccountLeavesNoMedia counts the blobs: deleting the accounts
// leaves none of their pictures behind.
func testDeleteAccountLeavesNoMedia(t *testing.T, s accountd.Store, r Rows) {
	ctx := t.Context()
	ada := createAccount(t, s, t0, "ada@example.com")
	write(t, s, func(tx accountd.Tx) error {
		if err := tx.PutMedia(ctx, append(picture("d"), picture("e")...)); err != nil {
			return err
		}
		ada.ProfileImage, ada.BackgroundImage = picture("d")[0].Key, picture("e")[0].Key
		return tx.UpdateAccount(ctx, ada)
	})
	count := func() string {
		return text(row(t, r, "SELECT count(*) AS n FROM media WHERE key <> ?", "")["n"])
	}
	if n := count(); n != "6" {
		t.Fatalf("%s blobs stored, want 6", n)
	}
	write(t, s, func(tx accountd.Tx) error { return tx.DeleteAccount(ctx, ada.ID, t0) })
	if n := count(); n != "0" {
		t.Errorf("%s blobs left after deleting the account, want 0", n)
	}
}
