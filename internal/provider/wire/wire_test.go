package wire

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestReadLine(t *testing.T) {
	type result struct {
		Line string
		Err  string
	}
	tests := []struct {
		name  string
		input string
		max   int
		want  []result
	}{
		{
			name:  "lines and a clean end",
			input: "a\nbc\n",
			max:   100,
			want:  []result{{"a\n", ""}, {"bc\n", ""}, {"", "EOF"}},
		},
		{
			name:  "unterminated last line",
			input: "a\n{\"do",
			max:   100,
			want:  []result{{"a\n", ""}, {"{\"do", "EOF"}},
		},
		{
			name:  "line longer than the read buffer",
			input: strings.Repeat("x", 40) + "\n",
			max:   100,
			want:  []result{{strings.Repeat("x", 40) + "\n", ""}, {"", "EOF"}},
		},
		{
			name:  "line over the cap",
			input: strings.Repeat("x", 101) + "\n",
			max:   100,
			want:  []result{{"", "line too long"}},
		},
		{
			name:  "line exactly at the cap",
			input: strings.Repeat("x", 99) + "\n",
			max:   100,
			want:  []result{{strings.Repeat("x", 99) + "\n", ""}, {"", "EOF"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			br := bufio.NewReaderSize(strings.NewReader(tc.input), 16)
			var got []result
			for range 10 {
				line, err := ReadLine(br, tc.max)
				r := result{Line: string(line)}
				if err != nil {
					r.Err = err.Error()
				}
				got = append(got, r)
				if err != nil {
					break
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ReadLine results (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("a read error is returned with the partial line", func(t *testing.T) {
		br := bufio.NewReaderSize(io.MultiReader(strings.NewReader("{\"a\""), errReader{}), 16)
		line, err := ReadLine(br, 100)
		if string(line) != "{\"a\"" || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("ReadLine = %q, %v; want the partial line and io.ErrUnexpectedEOF", line, err)
		}
	})
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestHTMLTitle(t *testing.T) {
	tests := []struct {
		name, page, want string
	}{
		{"nginx", "<html>\r\n<head><title>502 Bad Gateway</title></head>", "502 Bad Gateway"},
		{"upper case and attributes", `<HTML><HEAD><TITLE lang="en">Service
			Unavailable</TITLE>`, "Service Unavailable"},
		{"entities", "<title>Tom &amp; Jerry&#39;s proxy</title>", "Tom & Jerry's proxy"},
		{"no title", "<html><body>oops</body></html>", ""},
		{"unterminated", "<title>half", ""},
		{"non-ASCII before the title", "<p>İİİİ</p><title>ok</title>", "ok"},
		{"long title is cut", "<title>" + strings.Repeat("a", 300) + "</title>", strings.Repeat("a", 120) + "..."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := HTMLTitle([]byte(tc.page)); got != tc.want {
				t.Errorf("HTMLTitle = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	cases := map[string]struct {
		err  error
		want bool
	}{
		"dns":     {&net.DNSError{Err: "no such host", Name: "x.invalid"}, true},
		"dial":    {&net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, true},
		"refused": {fmt.Errorf("post: %w", syscall.ECONNREFUSED), true},
		"reset":   {&net.OpError{Op: "read", Err: syscall.ECONNRESET}, false},
		"timeout": {errors.New("context deadline exceeded"), false},
	}
	for name, c := range cases {
		if got := Unreachable(c.err); got != c.want {
			t.Errorf("%s: Unreachable = %v, want %v", name, got, c.want)
		}
	}
}

func TestHTMLPageAndOneLine(t *testing.T) {
	if title, ok := HTMLPage("text/html; charset=utf-8", []byte("<title>502</title>")); !ok || title != "502" {
		t.Errorf("HTMLPage by content type = %q, %v", title, ok)
	}
	if _, ok := HTMLPage("", []byte("  <!DOCTYPE html><p>x")); !ok {
		t.Error("HTMLPage by first byte not recognised")
	}
	if _, ok := HTMLPage("application/json", []byte(`{"error":"x"}`)); ok {
		t.Error("JSON taken for HTML")
	}
	if got := OneLine("a\n  b\tc", 10); got != "a b c" {
		t.Errorf("OneLine = %q", got)
	}
	if got := OneLine("ééééé", 3); got != "ééé..." {
		t.Errorf("OneLine cuts runes: %q", got)
	}
}
