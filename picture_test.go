package accountd_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"os"
	"testing"
	"time"

	"accountd"

	"accountd/internal/picturetest"
)

// twoColours is a w×h picture whose left half is red and right half blue.
func twoColours(w, h int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{255, 0, 0, 255}
			if x >= w/2 {
				c = color.RGBA{0, 0, 255, 255}
			}
			m.Set(x, y, c)
		}
	}
	return m
}

func encodeJPEG(t *testing.T, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodePNG(t *testing.T, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func encodeGIF(t *testing.T, m image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := gif.Encode(&b, m, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withEXIF puts an EXIF APP1 segment after a JPEG's start marker: IFD0
// with the orientation tag and a pointer to a GPS IFD holding a latitude
// reference, the kind of tag no picture should carry out of the server.
func withEXIF(t *testing.T, jpg []byte, orientation uint16) []byte {
	t.Helper()
	be := binary.BigEndian
	var tiff []byte
	tiff = append(tiff, "MM\x00\x2a"...)
	tiff = be.AppendUint32(tiff, 8) // IFD0 right after the header
	tiff = be.AppendUint16(tiff, 2) // two entries
	tiff = be.AppendUint16(tiff, 0x0112)
	tiff = be.AppendUint16(tiff, 3) // SHORT
	tiff = be.AppendUint32(tiff, 1)
	tiff = be.AppendUint16(tiff, orientation)
	tiff = be.AppendUint16(tiff, 0)
	gpsOffset := uint32(8 + 2 + 2*12 + 4)
	tiff = be.AppendUint16(tiff, 0x8825)
	tiff = be.AppendUint16(tiff, 4) // LONG
	tiff = be.AppendUint32(tiff, 1)
	tiff = be.AppendUint32(tiff, gpsOffset)
	tiff = be.AppendUint32(tiff, 0) // no next IFD
	tiff = be.AppendUint16(tiff, 1) // the GPS IFD: one entry
	tiff = be.AppendUint16(tiff, 0x0001)
	tiff = be.AppendUint16(tiff, 2) // ASCII
	tiff = be.AppendUint32(tiff, 2)
	tiff = append(tiff, 'N', 0, 0, 0)
	tiff = be.AppendUint32(tiff, 0)
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xff, 0xe1}
	seg = be.AppendUint16(seg, uint16(len(payload)+2))
	seg = append(seg, payload...)
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	return append(out, jpg[2:]...)
}

func hasAPP1(jpg []byte) bool {
	// Markers before the scan: FF xx and a length; APP1 is FF E1.
	for i := 2; i+4 <= len(jpg) && jpg[i] == 0xff; {
		if jpg[i+1] == 0xe1 {
			return true
		}
		if jpg[i+1] == 0xda {
			return false
		}
		i += 2 + int(binary.BigEndian.Uint16(jpg[i+2:]))
	}
	return false
}

func decodeMedia(t *testing.T, m accountd.Media) image.Image {
	t.Helper()
	img, format, err := image.Decode(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatalf("size %d: %v", m.Size, err)
	}
	if "image/"+format != m.ContentType {
		t.Fatalf("size %d: bytes are %s, content type %s", m.Size, format, m.ContentType)
	}
	return img
}

func TestEncodePicture(t *testing.T) {
	transparent := image.NewNRGBA(image.Rect(0, 0, 300, 300))
	transparent.Set(10, 10, color.NRGBA{0, 255, 0, 128})
	tests := []struct {
		name        string
		kind        accountd.PictureKind
		data        []byte
		contentType string
		sides       [][2]int // each size's width and height, smallest size first
	}{
		{"JPEG", accountd.ProfileImage, encodeJPEG(t, twoColours(2000, 1200)), "image/jpeg", [][2]int{{64, 64}, {256, 256}, {1024, 1024}}},
		{"PNG", accountd.ProfileImage, encodePNG(t, twoColours(300, 500)), "image/jpeg", [][2]int{{64, 64}, {256, 256}, {300, 300}}},
		{"GIF", accountd.ProfileImage, encodeGIF(t, twoColours(40, 40)), "image/jpeg", [][2]int{{40, 40}, {40, 40}, {40, 40}}},
		{"WebP", accountd.ProfileImage, readFile(t, "testdata/blue-purple-pink.lossy.webp"), "image/jpeg", [][2]int{{64, 64}, {100, 100}, {100, 100}}},
		{"CMYK JPEG", accountd.ProfileImage, readFile(t, "testdata/video-001.cmyk.jpeg"), "image/jpeg", [][2]int{{64, 64}, {103, 103}, {103, 103}}},
		{"transparent PNG stays PNG", accountd.ProfileImage, encodePNG(t, transparent), "image/png", [][2]int{{64, 64}, {256, 256}, {300, 300}}},
		{"background", accountd.BackgroundImage, encodeJPEG(t, twoColours(3000, 2000)), "image/jpeg", [][2]int{{600, 200}, {1500, 500}}},
		{"small background", accountd.BackgroundImage, encodePNG(t, twoColours(900, 900)), "image/jpeg", [][2]int{{600, 200}, {900, 300}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := accountd.EncodePicture(tt.kind, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if len(out) != len(tt.sides) {
				t.Fatalf("%d sizes, want %d", len(out), len(tt.sides))
			}
			for i, m := range out {
				if m.Key != out[0].Key || len(m.Key) != 64 {
					t.Errorf("size %d: key %q, want the one 64-hex key", m.Size, m.Key)
				}
				if m.ContentType != tt.contentType {
					t.Errorf("size %d: %s, want %s", m.Size, m.ContentType, tt.contentType)
				}
				b := decodeMedia(t, m).Bounds()
				if got := [2]int{b.Dx(), b.Dy()}; got != tt.sides[i] {
					t.Errorf("size %d: %v, want %v", m.Size, got, tt.sides[i])
				}
			}
		})
	}
}

func TestEncodePictureSameKey(t *testing.T) {
	data := encodePNG(t, twoColours(100, 100))
	a, err := accountd.EncodePicture(accountd.ProfileImage, data)
	if err != nil {
		t.Fatal(err)
	}
	b, err := accountd.EncodePicture(accountd.ProfileImage, data)
	if err != nil {
		t.Fatal(err)
	}
	if a[0].Key != b[0].Key {
		t.Fatalf("the same picture has keys %s and %s", a[0].Key, b[0].Key)
	}
}

// TestEncodePictureOrientation: a wide picture tagged "turn a quarter
// clockwise" (6) or "anticlockwise" (8) comes out tall, so its crop shows
// the halves one above the other; 1 leaves it as it is.
func TestEncodePictureOrientation(t *testing.T) {
	red := func(c color.Color) bool { r, g, b, _ := c.RGBA(); return r > 0xc000 && g < 0x4000 && b < 0x4000 }
	blue := func(c color.Color) bool { r, g, b, _ := c.RGBA(); return b > 0xc000 && r < 0x4000 && g < 0x4000 }
	tests := []struct {
		orientation         uint16
		topLeft, bottomLeft func(color.Color) bool
	}{
		{1, red, red},
		{2, blue, blue},
		{3, blue, blue},
		{4, red, red},
		{5, red, blue},
		{6, red, blue},
		{7, blue, red},
		{8, blue, red},
	}
	for _, tt := range tests {
		data := withEXIF(t, encodeJPEG(t, twoColours(400, 200)), tt.orientation)
		out, err := accountd.EncodePicture(accountd.ProfileImage, data)
		if err != nil {
			t.Fatal(err)
		}
		m := decodeMedia(t, out[1])
		b := m.Bounds()
		if !tt.topLeft(m.At(5, 5)) || !tt.bottomLeft(m.At(5, b.Dy()-6)) {
			t.Errorf("orientation %d: top left %v, bottom left %v", tt.orientation, m.At(5, 5), m.At(5, b.Dy()-6))
		}
	}
}

func TestEncodePictureDropsEXIF(t *testing.T) {
	data := withEXIF(t, encodeJPEG(t, twoColours(300, 300)), 1)
	if !hasAPP1(data) {
		t.Fatal("the test's upload has no APP1 segment")
	}
	out, err := accountd.EncodePicture(accountd.ProfileImage, data)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range out {
		if hasAPP1(m.Data) || bytes.Contains(m.Data, []byte("Exif")) {
			t.Errorf("size %d keeps EXIF", m.Size)
		}
	}
}

func TestEncodePictureRefuses(t *testing.T) {
	jpg := encodeJPEG(t, twoColours(200, 200))
	tests := []struct {
		name string
		data []byte
		kind accountd.Kind
	}{
		{"truncated", jpg[:len(jpg)/2], accountd.KindInvalid},
		{"text", []byte("this is not a picture, whatever its name says\n"), accountd.KindInvalid},
		{"empty", nil, accountd.KindInvalid},
		{"bomb", picturetest.PNGBomb(20000), accountd.KindInvalid},
		{"too large", make([]byte, accountd.MaxPictureBytes+1), accountd.KindTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := accountd.EncodePicture(accountd.ProfileImage, tt.data)
			var e *accountd.Error
			if !errors.As(err, &e) || e.Kind != tt.kind || len(e.Fields) != 1 || e.Fields[0].Field != "image" {
				t.Fatalf("err = %v, want kind %d naming image", err, tt.kind)
			}
			if took := time.Since(start); took > time.Second {
				t.Errorf("took %v to refuse", took)
			}
		})
	}
}
