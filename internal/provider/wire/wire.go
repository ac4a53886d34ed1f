package wire

import (
	"bufio"
	"bytes"
	"errors"
	"html"
	"mime"
	"net"
	"strings"
	"syscall"
)

// MaxLineBytes caps one line of a stream (an NDJSON line or an SSE line). A
// chat chunk is a few hundred bytes; the cap only stops a broken or hostile
// server from making the lab allocate without bound.
const MaxLineBytes = 8 << 20

// ErrLineTooLong is returned by ReadLine when a line exceeds its cap.
var ErrLineTooLong = errors.New("line too long")

// ReadLine returns the next line of r including its "\n", reading at most
// max bytes. The returned slice may alias r's buffer and is valid only until
// the next read. A nil error means the line ended with "\n"; otherwise the
// line is whatever came before the error (io.EOF at a clean end, or the read
// error), possibly empty.
func ReadLine(r *bufio.Reader, max int) ([]byte, error) {
	var long []byte
	for {
		frag, err := r.ReadSlice('\n')
		if len(long)+len(frag) > max {
			return nil, ErrLineTooLong
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long, frag...)
			continue
		}
		if long != nil {
			return append(long, frag...), err
		}
		return frag, err
	}
}

// MediaType returns the media type of a Content-Type header, lower case.
func MediaType(contentType string) string {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(contentType))
	}
	return mt
}

// IsHTML reports whether a Content-Type header names an HTML document.
func IsHTML(contentType string) bool {
	mt := MediaType(contentType)
	return mt == "text/html" || mt == "application/xhtml+xml"
}

// HTMLPage reports whether a response is an HTML page (by Content-Type or
// by its first bytes) and returns its <title>, cleaned for an error message.
func HTMLPage(contentType string, body []byte) (title string, ok bool) {
	trimmed := bytes.TrimSpace(body)
	if !IsHTML(contentType) && (len(trimmed) == 0 || trimmed[0] != '<') {
		return "", false
	}
	return HTMLTitle(trimmed), true
}

// HTMLTitle returns the text of the first <title> element of page, entity
// decoded, whitespace collapsed and cut to 120 characters; "" when there is
// none.
func HTMLTitle(page []byte) string {
	lower := asciiLower(page)
	i := bytes.Index(lower, []byte("<title"))
	if i < 0 {
		return ""
	}
	j := bytes.IndexByte(lower[i:], '>')
	if j < 0 {
		return ""
	}
	start := i + j + 1
	end := bytes.Index(lower[start:], []byte("</title"))
	if end < 0 {
		return ""
	}
	return OneLine(html.UnescapeString(string(page[start:start+end])), 120)
}

// asciiLower returns a copy of b with ASCII letters lowered. Unlike
// bytes.ToLower it never changes the length, so indices into the copy are
// indices into b.
func asciiLower(b []byte) []byte {
	out := make([]byte, len(b))
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// Unreachable reports whether err means nothing answered at the address:
// DNS failure, connection refused, or any other failure to dial.
func Unreachable(err error) bool {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}

// OneLine collapses whitespace and cuts s to n runes, for quoting server
// text in an error message.
func OneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "..."
	}
	return s
}
