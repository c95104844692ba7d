package main

import (
	"bytes"
	"io"
)

// bytesReader gives the SDK a seekable reader, as a caller uploading a byte slice would, so it can
// compute the length (and CRC-64) itself.
func bytesReader(content []byte) io.Reader { return bytes.NewReader(content) }
