package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"strings"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
)

// doc is one section of the project's README, rendered.
type doc struct {
	ID, Label string
	Markdown  string
	HTML      template.HTML
}

// renderDocs cuts the README into its "## " sections and renders each to
// HTML (GitHub-flavoured: tables, strikethrough, autolinks). Raw HTML in the
// markdown is not passed through.
func renderDocs(readme string) ([]doc, error) {
	md := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithParserOptions(parser.WithAutoHeadingID()))
	var docs []doc
	cur := doc{ID: "overview", Label: "Overview"}
	inFence := false
	flush := func() error {
		if strings.TrimSpace(cur.Markdown) == "" {
			return nil
		}
		var buf bytes.Buffer
		if err := md.Convert([]byte(cur.Markdown), &buf); err != nil {
			return fmt.Errorf("render docs section %q: %w", cur.Label, err)
		}
		cur.HTML = template.HTML(buf.String())
		docs = append(docs, cur)
		return nil
	}
	for _, line := range strings.SplitAfter(readme, "\n") {
		if strings.HasPrefix(line, "```") {
			inFence = !inFence
		}
		if !inFence && strings.HasPrefix(line, "## ") {
			if err := flush(); err != nil {
				return nil, err
			}
			label := strings.TrimSpace(strings.TrimPrefix(line, "## "))
			cur = doc{ID: slug(label), Label: label}
		}
		cur.Markdown += line
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return docs, nil
}

func slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

var docsTmpl = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>energylab — docs</title><link rel="stylesheet" href="/static/lab.css"></head>
<body class="docs">
<header class="top"><a class="brand" href="/">energylab</a><nav><a href="/energy">Energy Lab</a><a href="/comparison">Comparison Lab</a><a href="/docs" aria-current="page">Docs</a></nav></header>
<div class="docs-layout">
<nav class="toc" aria-label="Sections">{{range .}}<a href="#{{.ID}}">{{.Label}}</a>{{end}}</nav>
<main>{{range .}}<section id="{{.ID}}" class="doc">{{.HTML}}</section>{{else}}<p>No documentation was built into this binary.</p>{{end}}</main>
</div></body></html>
`))

func (s *Server) docsPage(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'")
	_ = docsTmpl.Execute(w, s.docs)
}
