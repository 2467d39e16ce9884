package accountd

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // registers the decoder image.Decode uses
	"image/jpeg"
	"image/png"
	"slices"

	"github.com/dsoprea/go-exif/v3"
	"golang.org/x/image/draw"
	"golang.org/x/image/math/f64"
	_ "golang.org/x/image/webp"
)

// PictureKind says which of an account's two pictures is meant.
type PictureKind int

const (
	ProfileImage    PictureKind = iota // square, shown as the avatar
	BackgroundImage                    // 3:1, behind the profile
)

// Limits of an upload, checked before any pixel is decoded, so that a
// small file declaring a huge image (a decompression bomb) costs nothing.
const (
	MaxPictureBytes  = 10 << 20
	MaxPicturePixels = 50_000_000
)

// Sizes kept of each kind, smallest first: a profile picture's side, a
// background's width. A smaller source is never upscaled.
var (
	ProfileImageSizes    = []int{64, 256, 1024}
	BackgroundImageSizes = []int{600, 1500}
)

// MediaSizes are every size the store keeps of some kind, for checking a
// requested size before any look-up.
var MediaSizes = append(slices.Clone(ProfileImageSizes), BackgroundImageSizes...)

// Media is one stored rendition of a picture. Key is the hex SHA-256 of
// every rendition's bytes, so an identical picture is stored once and the
// bytes behind a URL never change.
type Media struct {
	Key         string
	Size        int
	ContentType string
	Data        []byte
}

// errNotPicture is what every unreadable upload answers: the decoders'
// messages would tell a client nothing it can act on.
var errNotPicture = fieldError("image", "must be a JPEG, PNG, GIF or WebP picture")

// EncodePicture decodes data, turns it upright, crops it to kind's shape
// and re-encodes it at each of kind's sizes, which leaves every metadata
// of the upload behind. It is pure computation; Service bounds how many
// run at once.
func EncodePicture(kind PictureKind, data []byte) ([]Media, error) {
	if len(data) > MaxPictureBytes {
		return nil, ErrPictureTooLarge
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, errNotPicture
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxPicturePixels {
		return nil, fieldError("image", fmt.Sprintf("must have at most %d megapixels", MaxPicturePixels/1_000_000))
	}
	src, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, errNotPicture
	}
	src = orient(src, exifOrientation(data))
	sizes, aspect := ProfileImageSizes, 1
	if kind == BackgroundImage {
		sizes, aspect = BackgroundImageSizes, 3
	}
	crop := centreCrop(src.Bounds(), aspect)
	opaque := isOpaque(src, crop)
	var out []Media
	hash := sha256.New()
	for _, width := range sizes {
		w := min(width, crop.Dx())
		h := max(1, w/aspect)
		if aspect == 1 {
			h = w
		}
		dst := image.NewRGBA(image.Rect(0, 0, w, h))
		draw.CatmullRom.Scale(dst, dst.Bounds(), src, crop, draw.Src, nil)
		var buf bytes.Buffer
		m := Media{Size: width}
		if opaque {
			m.ContentType = "image/jpeg"
			err = jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 85})
		} else {
			m.ContentType = "image/png"
			err = png.Encode(&buf, dst)
		}
		if err != nil {
			return nil, err
		}
		m.Data = buf.Bytes()
		hash.Write(m.Data)
		out = append(out, m)
	}
	key := hex.EncodeToString(hash.Sum(nil))
	for i := range out {
		out[i].Key = key
	}
	return out, nil
}

// ErrPictureTooLarge refuses an upload over MaxPictureBytes.
var ErrPictureTooLarge = &Error{Kind: KindTooLarge, Code: "body_too_large",
	Message: fmt.Sprintf("The picture is over %d bytes", MaxPictureBytes),
	Fields:  []FieldError{{Field: "image", Message: fmt.Sprintf("must be at most %d MiB", MaxPictureBytes>>20)}}}

// centreCrop is the largest rectangle of width:1 = aspect:1 in the middle of b.
func centreCrop(b image.Rectangle, aspect int) image.Rectangle {
	w, h := b.Dx(), b.Dy()
	if w > h*aspect {
		w = h * aspect
	} else {
		h = max(1, w/aspect)
	}
	x, y := b.Min.X+(b.Dx()-w)/2, b.Min.Y+(b.Dy()-h)/2
	return image.Rect(x, y, x+w, y+h)
}

// isOpaque tells whether every pixel of r is opaque, so JPEG loses nothing.
func isOpaque(m image.Image, r image.Rectangle) bool {
	if o, ok := m.(interface{ Opaque() bool }); ok && o.Opaque() {
		return true
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if _, _, _, a := m.At(x, y).RGBA(); a != 0xffff {
				return false
			}
		}
	}
	return true
}

// exifOrientation is the EXIF orientation tag (1 to 8) of a JPEG, 1 when
// it has none: cameras store the sensor's pixels and say how to turn them.
func exifOrientation(data []byte) int {
	if len(data) < 2 || data[0] != 0xff || data[1] != 0xd8 {
		return 1
	}
	raw, err := exif.SearchAndExtractExif(data)
	if err != nil {
		return 1
	}
	// A damaged block may still give the tags before the damage.
	tags, _, _ := exif.GetFlatExifData(raw, nil)
	for _, t := range tags {
		if t.TagName == "Orientation" && t.IfdPath == "IFD" {
			if v, ok := t.Value.([]uint16); ok && len(v) == 1 && v[0] >= 1 && v[0] <= 8 {
				return int(v[0])
			}
		}
	}
	return 1
}

// orient returns m as it should be seen under EXIF orientation o: a
// mirror, a turn, or both, which nearest-neighbour sampling does exactly.
func orient(m image.Image, o int) image.Image {
	if o <= 1 || o > 8 {
		return m
	}
	b := m.Bounds()
	w, h := float64(b.Dx()), float64(b.Dy())
	// Where a point (x, y) of the stored picture, from its corner, is seen:
	// x' = a·x + b·y + c, y' = d·x + e·y + f.
	t := map[int][6]float64{
		2: {-1, 0, w, 0, 1, 0},  // mirrored
		3: {-1, 0, w, 0, -1, h}, // turned half round
		4: {1, 0, 0, 0, -1, h},  // mirrored upside down
		5: {0, 1, 0, 1, 0, 0},   // mirrored along the main diagonal
		6: {0, -1, h, 1, 0, 0},  // stored a quarter turn anticlockwise
		7: {0, -1, h, -1, 0, w}, // mirrored along the other diagonal
		8: {0, 1, 0, -1, 0, w},  // stored a quarter turn clockwise
	}[o]
	minX, minY := float64(b.Min.X), float64(b.Min.Y)
	s2d := f64.Aff3{t[0], t[1], t[2] - t[0]*minX - t[1]*minY, t[3], t[4], t[5] - t[3]*minX - t[4]*minY}
	dw, dh := b.Dx(), b.Dy()
	if o >= 5 {
		dw, dh = dh, dw
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	draw.NearestNeighbor.Transform(dst, s2d, m, b, draw.Src, nil)
	return dst
}

// pictureSlots bounds the pictures decoding at once, as Hasher bounds
// hashes: a 50-megapixel decode holds some 200 MB.
type pictureSlots chan struct{}

func (p pictureSlots) encode(ctx context.Context, kind PictureKind, data []byte) ([]Media, error) {
	select {
	case p <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-p }()
	return EncodePicture(kind, data)
}

// field is the account's key of its picture of kind.
func (k PictureKind) field(a *Account) *string {
	if k == BackgroundImage {
		return &a.BackgroundImage
	}
	return &a.ProfileImage
}

// SetPicture makes data, an uploaded picture, the account's picture of
// kind, and drops the one it replaces unless another account shows it.
func (s *Service) SetPicture(ctx context.Context, accountID string, kind PictureKind, data []byte) (*Account, error) {
	media, err := s.pictures.encode(ctx, kind, data)
	if err != nil {
		return nil, err
	}
	return s.changePicture(ctx, accountID, kind, media)
}

// RemovePicture takes the account's picture of kind away.
func (s *Service) RemovePicture(ctx context.Context, accountID string, kind PictureKind) (*Account, error) {
	return s.changePicture(ctx, accountID, kind, nil)
}

// changePicture shows media as the account's picture of kind, or none
// when media is nil, in one transaction with dropping the old blobs.
func (s *Service) changePicture(ctx context.Context, accountID string, kind PictureKind, media []Media) (*Account, error) {
	now := s.now()
	var out *Account
	err := s.store.Write(ctx, func(tx Tx) error {
		a, err := tx.AccountByID(ctx, accountID)
		if err != nil {
			return err
		}
		key := ""
		if media != nil {
			if err := tx.PutMedia(ctx, media); err != nil {
				return err
			}
			key = media[0].Key
		}
		old := *kind.field(a)
		out = a
		if old == key {
			return nil
		}
		*kind.field(a) = key
		a.UpdatedAt = now
		if err := tx.UpdateAccount(ctx, a); err != nil {
			return err
		}
		if old != "" {
			return tx.DropUnusedMedia(ctx, old)
		}
		return nil
	})
	return out, err
}

var errNoMedia = Errorf(KindNotFound, "not_found", "No such picture; it may have been replaced or removed")

// Media returns the rendition of the picture key at size, its largest
// when size is 0. Anyone may read it: an <img> sends no token.
func (s *Service) Media(ctx context.Context, key string, size int) (*Media, error) {
	if size != 0 && !slices.Contains(MediaSizes, size) {
		var v Validation
		v.Add("size", "must be one of %v", MediaSizes)
		return nil, v.queryErr()
	}
	var m *Media
	err := s.store.Read(ctx, func(tx Tx) (err error) {
		m, err = tx.Media(ctx, key, size)
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return nil, errNoMedia
	}
	return m, err
}
