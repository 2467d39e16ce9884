// Package picturetest makes the pictures that the domain's and the HTTP
// tests of uploads share.
package picturetest

import (
	"encoding/binary"
	"hash/crc32"
)

// PNGBomb is a PNG of a few dozen bytes whose header declares side×side
// pixels: refused from its header, before anything is decoded.
func PNGBomb(side uint32) []byte {
	be := binary.BigEndian
	chunk := func(out []byte, typ string, data []byte) []byte {
		out = be.AppendUint32(out, uint32(len(data)))
		body := append([]byte(typ), data...)
		out = append(out, body...)
		return be.AppendUint32(out, crc32.ChecksumIEEE(body))
	}
	ihdr := be.AppendUint32(be.AppendUint32(nil, side), side)
	ihdr = append(ihdr, 8, 2, 0, 0, 0) // 8-bit RGB
	out := chunk([]byte("\x89PNG\r\n\x1a\n"), "IHDR", ihdr)
	out = chunk(out, "IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	return chunk(out, "IEND", nil)
}
