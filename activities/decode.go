package activities

import (
	"encoding/json"
	"io"
	"sync"
)

// decodeStrict decodes the first JSON value of raw into v as a
// json.Decoder with DisallowUnknownFields does, so that a typo in a
// definition's `with` fails the step instead of being ignored. Only a
// Decoder rejects unknown fields, and a new one costs more than the
// decoding of a small input does (it allocates itself and a 512-byte
// buffer), on every activity call. So decoders are kept in a pool, each
// reading from a feed that is given one input after another: a Decoder
// reads a stream of values, and one that has ended a value without an
// error and without reading past the input is where a fresh one would
// start. One that failed, that hit the end of the feed (a scalar value
// ends only there), that left bytes unread (what follows the first value,
// which Decode ignores), or whose buffer grew large is dropped instead.
func decodeStrict(raw []byte, v any) error {
	d, _ := strictDecoders.Get().(*strictDecoder)
	if d == nil {
		d = &strictDecoder{}
		d.dec = json.NewDecoder(&d.feed)
		d.dec.DisallowUnknownFields()
	}
	d.feed.data = raw
	d.fed += int64(len(raw))
	err := d.dec.Decode(v)
	if err == nil && !d.feed.eof && len(d.feed.data) == 0 && d.dec.InputOffset() == d.fed && len(raw) <= maxPooledInput {
		d.feed.data = nil
		strictDecoders.Put(d)
	}
	return err
}

// maxPooledInput is the largest input after which a decoder is kept: its
// buffer grows to hold the whole input, and the pool should not hold on
// to large buffers.
const maxPooledInput = 16 << 10

var strictDecoders sync.Pool // of *strictDecoder

type strictDecoder struct {
	feed feed
	dec  *json.Decoder
	// fed counts the bytes given to dec, so that its InputOffset tells
	// whether it consumed them all.
	fed int64
}

// feed is the reader of a pooled decoder: it yields the current input,
// then io.EOF.
type feed struct {
	data []byte
	eof  bool
}

func (f *feed) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		f.eof = true
		return 0, io.EOF
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}
