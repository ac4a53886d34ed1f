package openaicompat

import (
	"bytes"

	"github.com/llm-energy-lab/energylab/internal/provider/wire"
)

// sseEvent is one dispatched Server-Sent Event.
type sseEvent struct {
	// Event is the "event:" field; "" for the default "message".
	Event string
	// Data is the event's data lines joined with "\n".
	Data string
}

// sseDecoder assembles events from lines as the HTML Living Standard's
// event-stream interpretation does (section 9.2.6): "data:" lines append to
// the data buffer, "event:" sets the type, lines starting with ":" are
// comments, "id:" and "retry:" and unknown fields are ignored, and a blank
// line dispatches the event if it has data. Lines end in "\n" or "\r\n"; a
// bare "\r" as a line end, which no chat server sends, is not supported.
// The zero value is ready to use, with no cap on an event's data.
type sseDecoder struct {
	data    []byte
	hasData bool
	event   string
	// max caps an event's data; 0 means no cap.
	max int
}

// line feeds one line (with or without its line ending) to the decoder. It
// returns the event a blank line completes, with ok true.
func (d *sseDecoder) line(l []byte) (ev sseEvent, ok bool, err error) {
	l = bytes.TrimSuffix(l, []byte("\n"))
	l = bytes.TrimSuffix(l, []byte("\r"))
	if len(l) == 0 {
		if !d.hasData {
			d.event = ""
			return sseEvent{}, false, nil
		}
		ev = sseEvent{Event: d.event, Data: string(d.data)}
		d.reset()
		return ev, true, nil
	}
	if l[0] == ':' {
		return sseEvent{}, false, nil
	}
	field, value, found := bytes.Cut(l, []byte(":"))
	if found {
		value = bytes.TrimPrefix(value, []byte(" "))
	}
	switch string(field) {
	case "data":
		if d.max > 0 && len(d.data)+len(value)+1 > d.max {
			d.reset()
			return sseEvent{}, false, wire.ErrLineTooLong
		}
		if d.hasData {
			d.data = append(d.data, '\n')
		}
		d.data = append(d.data, value...)
		d.hasData = true
	case "event":
		d.event = string(value)
	}
	return sseEvent{}, false, nil
}

// flush returns the event still being assembled when the stream ends
// without the blank line that would dispatch it. The standard discards such
// an event; the client decides whether it is complete.
func (d *sseDecoder) flush() (sseEvent, bool) {
	if !d.hasData {
		return sseEvent{}, false
	}
	ev := sseEvent{Event: d.event, Data: string(d.data)}
	d.reset()
	return ev, true
}

func (d *sseDecoder) reset() {
	d.data = d.data[:0]
	d.hasData = false
	d.event = ""
}
