package web

import (
	"bytes"
	"net/http"

	"github.com/llm-energy-lab/energylab/internal/report"
)

func writeSVG(w http.ResponseWriter, render func(*bytes.Buffer) error) {
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

func (s *Server) runChart(w http.ResponseWriter, r *http.Request) {
	rec, err := s.b.Run(r.Context(), r.PathValue("id"))
	if err != nil {
		writeError(w, err)
		return
	}
	switch r.PathValue("chart") {
	case "power.svg":
		writeSVG(w, func(b *bytes.Buffer) error { return report.PowerChart(rec).SVG(b) })
	case "breakdown.svg":
		writeSVG(w, func(b *bytes.Buffer) error { return report.BreakdownChart(rec).SVG(b) })
	case "energy.svg":
		writeSVG(w, func(b *bytes.Buffer) error { return report.EnergyChart(rec).SVG(b) })
	default:
		writeError(w, NotFound("power.svg, breakdown.svg or energy.svg", "no chart %q", r.PathValue("chart")))
	}
}

func (s *Server) sessionChart(w http.ResponseWriter, r *http.Request) {
	recs, err := s.b.SessionRecords(r.Context(), s.session(r.URL.Query().Get("session")))
	if err != nil {
		writeError(w, err)
		return
	}
	writeSVG(w, func(b *bytes.Buffer) error { return report.SessionChart(recs).SVG(b) })
}
