package openaicompat

import "strings"

const (
	thinkOpen  = "<think>"
	thinkClose = "</think>"
	// maxLeadingSpace is how much leading whitespace the splitter holds
	// while waiting to see whether the content opens with <think>.
	maxLeadingSpace = 256
)

// thinkState is where a thinkSplitter is in the content stream.
type thinkState int

const (
	thinkUndecided thinkState = iota // before the first non-space text
	thinkInside                      // after <think>, before </think>
	thinkDone                        // everything else is content
)

// thinkSplitter separates inline reasoning from the answer in a content
// stream: when the content starts (after optional whitespace) with <think>,
// the text up to </think> is thinking and the rest is content; otherwise all
// of it is content. Tags may be split across chunks, so the splitter holds
// back text that could be the start of a tag (at most a few bytes, or the
// leading whitespace) until the next chunk or flush decides it. Only the
// first <think> block is recognised; the tags themselves are dropped.
type thinkSplitter struct {
	state thinkState
	held  string
}

// feed takes the next piece of content and returns the thinking and
// content text it completes.
func (s *thinkSplitter) feed(text string) (thinking, content string) {
	switch s.state {
	case thinkDone:
		return "", text
	case thinkInside:
		return s.inside(text)
	}
	s.held += text
	rest := strings.TrimLeft(s.held, " \t\r\n")
	switch {
	case len(s.held)-len(rest) > maxLeadingSpace:
		// So much leading space is not a model about to think.
	case strings.HasPrefix(rest, thinkOpen):
		s.state = thinkInside
		s.held = ""
		return s.inside(rest[len(thinkOpen):])
	case strings.HasPrefix(thinkOpen, rest):
		// Whitespace so far, or the start of "<think>": wait for more.
		return "", ""
	}
	s.state = thinkDone
	content, s.held = s.held, ""
	return "", content
}

// inside handles text after <think>: thinking up to </think>, content after.
func (s *thinkSplitter) inside(text string) (thinking, content string) {
	buf := s.held + text
	if i := strings.Index(buf, thinkClose); i >= 0 {
		s.state = thinkDone
		s.held = ""
		return buf[:i], buf[i+len(thinkClose):]
	}
	// Hold back the longest tail that could begin </think>.
	keep := 0
	for k := min(len(thinkClose)-1, len(buf)); k > 0; k-- {
		if strings.HasSuffix(buf, thinkClose[:k]) {
			keep = k
			break
		}
	}
	s.held = buf[len(buf)-keep:]
	return buf[:len(buf)-keep], ""
}

// flush returns the text still held when the content stream ends: held
// leading text is content, and an unterminated <think> block's tail is
// thinking.
func (s *thinkSplitter) flush() (thinking, content string) {
	held := s.held
	s.held = ""
	switch s.state {
	case thinkInside:
		return held, ""
	default:
		s.state = thinkDone
		return "", held
	}
}
