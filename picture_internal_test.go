package accountd

import (
	"image"
	"image/color"
	"testing"
)

// TestOrient checks each EXIF orientation on a 3×2 picture of distinct
// pixels against the tag's definition: where the stored row 0 and column 0
// are seen (EXIF 2.32, Orientation).
func TestOrient(t *testing.T) {
	const w, h = 3, 2
	src := image.NewRGBA(image.Rect(10, 20, 10+w, 20+h)) // not at the origin
	for y := range h {
		for x := range w {
			src.Set(10+x, 20+y, color.RGBA{uint8(x * 80), uint8(y * 80), 7, 255})
		}
	}
	// seenAt is where stored pixel (x, y) is seen under orientation o.
	seenAt := func(o, x, y int) (int, int) {
		switch o {
		case 2: // row 0 at the top, column 0 on the right
			return w - 1 - x, y
		case 3: // row 0 at the bottom, column 0 on the right
			return w - 1 - x, h - 1 - y
		case 4: // row 0 at the bottom, column 0 on the left
			return x, h - 1 - y
		case 5: // row 0 on the left, column 0 at the top
			return y, x
		case 6: // row 0 on the right, column 0 at the top
			return h - 1 - y, x
		case 7: // row 0 on the right, column 0 at the bottom
			return h - 1 - y, w - 1 - x
		case 8: // row 0 on the left, column 0 at the bottom
			return y, w - 1 - x
		}
		return x, y
	}
	for o := 1; o <= 8; o++ {
		got := orient(src, o)
		b := got.Bounds()
		for y := range h {
			for x := range w {
				dx, dy := seenAt(o, x, y)
				if c := got.At(b.Min.X+dx, b.Min.Y+dy); color.RGBAModel.Convert(c) != src.At(10+x, 20+y) {
					t.Errorf("orientation %d: stored (%d, %d) seen at (%d, %d) is %v, want %v", o, x, y, dx, dy, c, src.At(10+x, 20+y))
				}
			}
		}
	}
}
