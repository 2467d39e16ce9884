package accountd_test

import (
	"bytes"
	"testing"

	"accountd"
)

func TestSealerRefusesTamperingAndOtherKeys(t *testing.T) {
	key := bytes.Repeat([]byte{7}, accountd.SecretKeySize)
	s, err := accountd.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	sealed := s.Seal([]byte("JBSWY3DPEHPK3PXP"))
	if bytes.Contains(sealed, []byte("JBSWY3DPEHPK3PXP")) {
		t.Fatal("the sealed secret shows the secret")
	}
	if plain, err := s.Open(sealed); err != nil || string(plain) != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("open: %q %v", plain, err)
	}
	if bytes.Equal(sealed, s.Seal([]byte("JBSWY3DPEHPK3PXP"))) {
		t.Fatal("two seals of one secret are equal: the nonce is not fresh")
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := s.Open(sealed); err == nil {
		t.Fatal("a tampered secret opened")
	}
	other, _ := accountd.NewSealer(bytes.Repeat([]byte{8}, accountd.SecretKeySize))
	if _, err := other.Open(s.Seal([]byte("x"))); err == nil {
		t.Fatal("another key opened the secret")
	}
	if _, err := accountd.NewSealer([]byte("short")); err == nil {
		t.Fatal("a short key was taken")
	}
}
