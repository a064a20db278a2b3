package main

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"

	"golang.org/x/image/draw"
)

// writeIcons scales the app icon to every hicolor size under stage.
func writeIcons(src, stage string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return fmt.Errorf("decode %s: %w", src, err)
	}
	if b := img.Bounds(); b.Dx() != b.Dy() || b.Dx() < iconSizes[len(iconSizes)-1] {
		return fmt.Errorf("%s is %dx%d; the icon must be square and at least %dpx", src, b.Dx(), b.Dy(), iconSizes[len(iconSizes)-1])
	}
	for _, size := range iconSizes {
		data, err := scaledPNG(img, size)
		if err != nil {
			return err
		}
		if err := writeFile(filepath.Join(stage, stagedIcon(size)), data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// scaledPNG is img scaled to size x size (Catmull-Rom, alpha kept) as PNG.
func scaledPNG(img image.Image, size int) ([]byte, error) {
	dst := image.NewRGBA(image.Rect(0, 0, size, size))
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, img.Bounds(), draw.Src, nil)
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, dst); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
