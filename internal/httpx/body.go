package httpx

import (
	"errors"
	"io"
	"net/http"
)

// ErrTooLarge means a response body is larger than the caller accepts.
var ErrTooLarge = errors.New("response body too large")

// ReadBody reads a response body of at most limit bytes. When the length
// is announced the body goes into a buffer of its exact size (a caller
// keeping slices of it holds no slack, and io.ReadAll would copy it
// several times as it grows), and a larger one is ErrTooLarge before
// anything is read; otherwise it is read up to limit+1 bytes, and more
// than limit is ErrTooLarge.
func ReadBody(resp *http.Response, limit int64) ([]byte, error) {
	n := resp.ContentLength
	if n > limit {
		return nil, ErrTooLarge
	}
	if n < 0 {
		body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
		if err == nil && int64(len(body)) > limit {
			err = ErrTooLarge
		}
		return body, err
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(resp.Body, body); err != nil {
		return nil, err
	}
	return body, nil
}

// ReadPrefix reads at most limit bytes of r: the start of an error answer,
// say, which is shown, never trusted to be short.
func ReadPrefix(r io.Reader, limit int64) []byte {
	b, _ := io.ReadAll(io.LimitReader(r, limit))
	return b
}

// Drain reads what is left of a body, up to limit bytes, and closes it, so
// that the connection goes back to the pool instead of being torn down (a
// longer rest is not worth downloading: the connection is closed).
func Drain(body io.ReadCloser, limit int64) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, limit))
	_ = body.Close()
}
