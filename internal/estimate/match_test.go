package estimate

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		family  string
		model   string
		paramsB float64
		wantRow string
		quality Quality
		explain []string // fragments the explanation must contain
	}{
		// Provider prefixes, ":size" tags and "llama3.1" ≈ "LLaMA-3.1".
		{FamilyJegham, "ollama/llama3.1:8b", 0, "llama-3.1-8b", QualityExact, nil},
		{FamilyAES, "ollama/llama3.1:8b", 0, "meta-llama-3.1-8b", QualityExact, nil},
		{FamilyJegham, "groq/llama-3.1-8b-instant", 0, "llama-3.1-8b", QualityExact, []string{`ignored "instant"`}},
		{FamilyJegham, "groq/llama-3.3-70b-versatile", 0, "llama-3.3-70b", QualityExact, []string{`ignored "versatile"`}},
		// The row is a dated snapshot, the name is not.
		{FamilyJegham, "openai/gpt-4o", 0, "gpt-4o-mar-25", QualitySameVersion, []string{"(mar 25)"}},
		{FamilyJegham, "openai/gpt-4o-mini", 0, "gpt-4o-mini", QualityExact, nil},
		{FamilyJegham, "openai/o3-mini", 0, "o3-mini", QualityExact, nil},
		{FamilyJegham, "openai/o4-mini", 0, "o4-mini-high", QualitySameVersion, []string{"(high)"}},
		{FamilyJegham, "anthropic/claude-3-7-sonnet-20250219", 0, "claude-3.7-sonnet", QualitySameVersion, []string{"20250219"}},
		// hf.co path, organisation, -GGUF and the quantisation tag.
		{FamilyJegham, "ollama/hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M", 0, "llama-3.2-1b", QualitySameVersion,
			[]string{"instruct", "q4_k_m"}},
		// The size comes from the given parameter count (1.24B for a "1B").
		{FamilyJegham, "ollama/llama3.2", 1.24, "llama-3.2-1b", QualityExact, []string{"1.24B parameters"}},
		{FamilyJegham, "ollama/llama3.1:latest", 70.6, "llama-3.1-70b", QualityExact, []string{`ignored "latest"`}},
		// Variants: instruct against the base model's row.
		{FamilyAES, "ollama/gemma3:27b", 0, "gemma-3-27b-pt", QualitySameVersion, []string{"base variant"}},
		{FamilyAES, "ollama/qwen3:0.6b", 0, "qwen3-0.6b", QualityExact, nil},
		{FamilyAES, "ollama/phi4", 0, "phi-4", QualityExact, nil},
		// Stray spaces in the source id are gone; a direct name is exact.
		{FamilyAES, "meta-llama/Meta-Llama-3.1-8 B", 0, "meta-llama-3.1-8b", QualityExact, []string{"row's own"}},
		{FamilyAES, "HuggingFaceTB/SmolLM-135M", 0, "smollm-135m", QualityExact, nil},
		// An MoE whose name omits the active parameters.
		{FamilyAES, "ollama/qwen3:30b", 0, "qwen3-30b-a3b", QualitySameVersion, []string{"a3b"}},
		// No version in the name: same family and size only.
		{FamilyAES, "ollama/mistral:7b", 0, "mistral-7b-v0.1", QualityOtherVersion, []string{"version 0.1"}},
		{FamilyAES, "ollama/gemma2:2b", 0, "gemma-2-2b-it", QualitySameVersion, nil},
		// ML.ENERGY: the default setting is chat, the smallest batch, one H100.
		{FamilyMLEnergy, "ollama/llama3.1:8b", 0, "llama-3.1-8b-instruct.h100x1.b8.lm-arena-chat", QualitySameVersion,
			[]string{"task lm-arena-chat (default)", "batch 8 (the smallest", "1×H100 (also measured: 1×B200)"}},
		{FamilyMLEnergy, "ollama/qwen3:32b", 0, "qwen3-32b.h100x1.b8.lm-arena-chat", QualityExact, nil},
		// Precision variants: the unquantised row has fewer differences. Fewest
		// GPUs wins over H100.
		{FamilyMLEnergy, "ollama/llama3.1:405b", 0, "llama-3.1-405b-instruct.b200x8.b8.lm-arena-chat", QualitySameVersion, nil},
		{FamilyMLEnergy, "meta-llama/Llama-3.1-405B-Instruct-FP8", 0, "llama-3.1-405b-instruct-fp8.b200x4.b8.lm-arena-chat", QualityExact,
			[]string{"4×B200 (also measured: 8×H100)"}},
		// A model measured only on GPQA falls back to that task, and says so.
		{FamilyMLEnergy, "ollama/gpt-oss:20b", 0, "gpt-oss-20b.h100x1.b8.gpqa", QualityExact, []string{"no lm-arena-chat rows"}},
		// Llama 4's "17B-16E" is the active size; the total comes from the count.
		{FamilyMLEnergy, "llama4:scout", 109, "llama-4-scout-17b-16e-instruct.h100x4.b8.lm-arena-chat", QualitySameVersion, nil},
		// A row's ID picks it whatever its setting.
		{FamilyMLEnergy, "qwen3-8b.h100x1.b64.gpqa", 0, "qwen3-8b.h100x1.b64.gpqa", QualityExact, nil},
		// A different point release at the same size.
		{FamilyMLEnergy, "ollama/llama3.2:8b", 0, "llama-3.1-8b-instruct.h100x1.b8.lm-arena-chat", QualityOtherVersion, []string{"version 3.1"}},
	}
	for _, tt := range tests {
		t.Run(tt.family+" "+tt.model, func(t *testing.T) {
			f, err := Lookup(tt.family)
			if err != nil {
				t.Fatal(err)
			}
			m, err := f.Match(tt.model, tt.paramsB)
			if err != nil {
				t.Fatalf("Match: %v", err)
			}
			if m.Row.ID != tt.wantRow || m.Quality != tt.quality {
				t.Errorf("matched %s (%s), want %s (%s)\n%s", m.Row.ID, m.Quality, tt.wantRow, tt.quality, m.Explanation)
			}
			if !strings.Contains(m.Explanation, m.Row.ID) || !strings.Contains(m.Explanation, m.Quality.String()) {
				t.Errorf("explanation %q does not name the row and quality", m.Explanation)
			}
			for _, frag := range tt.explain {
				if !strings.Contains(m.Explanation, frag) {
					t.Errorf("explanation %q lacks %q", m.Explanation, frag)
				}
			}
		})
	}
}

func TestMatchFails(t *testing.T) {
	tests := []struct {
		family    string
		model     string
		paramsB   float64
		ambiguous bool
		reason    string
		closest   []string // row IDs that must be listed first, in order
	}{
		// No Qwen2.5 0.5B anywhere; the nearest Qwens are listed, none used.
		{FamilyAES, "builtin/ollama/qwen2.5:0.5b", 0, false, "no row of the same family", []string{"qwen2.5-72b-instruct"}},
		{FamilyJegham, "builtin/ollama/qwen2.5:0.5b", 0, false, "no row of the same family", nil},
		// A size that sits between rows of the same family is not rounded.
		{FamilyAES, "ollama/qwen3:32b", 0, false, "no row", []string{"qwen3-0.6b", "qwen3-30b-a3b"}},
		// gpt-4o must not fall back to the mini, nor to GPT-4.
		{FamilyJegham, "openai/gpt-5", 0, false, "no row", nil},
		{FamilyAES, "openai/gpt-4o", 0, false, "no row", []string{"gpt2"}},
		// A distilled model is another line.
		{FamilyAES, "ollama/deepseek-r1:70b", 0, false, "no row", []string{"deepseek-r1-distill-llama-70b", "deepseek-r1-distill-qwen-32b"}},
		// No size: ambiguous between the family's sizes.
		{FamilyJegham, "ollama/llama3.1", 0, true, "8b, 70b, 405b", []string{"llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b"}},
		{FamilyAES, "ollama/llama3.1", 0, true, "come in 8b", []string{"meta-llama-3.1-8b"}},
		// Same model on two hosts, five times apart: the caller must choose.
		{FamilyJegham, "deepseek-r1", 0, true, "2 rows match equally well", []string{"deepseek-r1-ds", "deepseek-r1-az"}},
		// A size between two versions' rows: Llama 3 8B or 3.1 8B?
		{FamilyJegham, "ollama/llama3.2:8b", 0, true, "equally well", []string{"llama-3-8b", "llama-3.1-8b"}},
		{FamilyAES, "", 0, false, "empty", nil},
		// The custom family starts empty.
		{FamilyCustom, "ollama/llama3.1:8b", 0, false, "no rows", nil},
	}
	for _, tt := range tests {
		t.Run(tt.family+" "+tt.model, func(t *testing.T) {
			f, err := Lookup(tt.family)
			if err != nil {
				t.Fatal(err)
			}
			m, err := f.Match(tt.model, tt.paramsB)
			if err == nil {
				t.Fatalf("matched %s (%s): %s", m.Row.ID, m.Quality, m.Explanation)
			}
			if !errors.Is(err, ErrNoMatch) {
				t.Fatalf("error %v does not wrap ErrNoMatch", err)
			}
			var nm *NoMatchError
			if !errors.As(err, &nm) {
				t.Fatalf("error %T is not a *NoMatchError", err)
			}
			if nm.Ambiguous != tt.ambiguous || !strings.Contains(nm.Reason, tt.reason) || nm.Family != tt.family {
				t.Errorf("ambiguous %v, reason %q, family %s; want %v, %q, %s", nm.Ambiguous, nm.Reason, nm.Family, tt.ambiguous, tt.reason, tt.family)
			}
			var ids []string
			for _, c := range nm.Closest {
				ids = append(ids, strings.SplitN(c, " ", 2)[0])
			}
			if len(ids) < len(tt.closest) {
				t.Fatalf("closest %v, want at least %v", ids, tt.closest)
			}
			if len(tt.closest) > 0 {
				if d := cmp.Diff(tt.closest, ids[:len(tt.closest)]); d != "" {
					t.Errorf("closest (-want +got):\n%s", d)
				}
			}
			if !strings.Contains(err.Error(), tt.model) {
				t.Errorf("error %q does not name the model", err)
			}
		})
	}
}

func TestMatchSetting(t *testing.T) {
	f, err := Lookup(FamilyMLEnergy)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		model   string
		s       Setting
		wantRow string
		wantErr string
	}{
		{"ollama/llama3.1:8b", Setting{}, "llama-3.1-8b-instruct.h100x1.b8.lm-arena-chat", ""},
		{"ollama/llama3.1:8b", Setting{Batch: 64}, "llama-3.1-8b-instruct.h100x1.b64.lm-arena-chat", ""},
		{"ollama/llama3.1:8b", Setting{GPU: "b200"}, "llama-3.1-8b-instruct.b200x1.b8.lm-arena-chat", ""},
		{"ollama/qwen3:8b", Setting{Task: "gpqa", Batch: 16}, "qwen3-8b.h100x1.b16.gpqa", ""},
		{"ollama/llama3.1:8b", Setting{Batch: 12}, "", "no lm-arena-chat rows at batch 12; measured batches: 8, 16"},
		{"ollama/llama3.1:8b", Setting{Task: "gpqa"}, "", "no gpqa rows; measured tasks: lm-arena-chat"},
		{"ollama/llama3.1:8b", Setting{GPUs: 4}, "", "measured GPU counts: 1"},
		{"ollama/llama3.1:8b", Setting{GPU: "A100"}, "", "measured GPUs: B200, H100"},
	}
	for _, tt := range tests {
		t.Run(tt.model+" "+tt.wantRow+tt.wantErr, func(t *testing.T) {
			m, err := f.MatchSetting(tt.model, 0, tt.s)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrNoMatch) {
					t.Fatalf("error = %v, want ErrNoMatch containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Row.ID != tt.wantRow {
				t.Errorf("row %s, want %s", m.Row.ID, tt.wantRow)
			}
		})
	}
	// A configuration measured twice: the first run is used and the second named.
	m, err := f.MatchSetting("Qwen/Qwen3-30B-A3B-Instruct-2507", 0, Setting{GPUs: 2, Batch: 256})
	if err != nil {
		t.Fatal(err)
	}
	if m.Row.ID != "qwen3-30b-a3b-instruct-2507.h100x2.b256.lm-arena-chat" || !strings.Contains(m.Explanation, "a second measurement") {
		t.Errorf("row %s, explanation %q", m.Row.ID, m.Explanation)
	}
}

func TestMatchParams(t *testing.T) {
	f, err := Lookup(FamilyJegham)
	if err != nil {
		t.Fatal(err)
	}
	// A given count that contradicts the name is an error, not a choice.
	if _, err := f.Match("ollama/llama3.1:8b", 70); err == nil || !strings.Contains(err.Error(), "the name says 8b") {
		t.Errorf("conflicting sizes: error = %v", err)
	}
	// A count that rounds to the name's size is fine.
	if m, err := f.Match("ollama/llama3.1:8b", 8.03); err != nil || m.Row.ID != "llama-3.1-8b" {
		t.Errorf("8.03B: %v %v", m.Row.ID, err)
	}
	if _, err := f.Match("ollama/llama3.1:8b", -1); err == nil {
		t.Error("negative parameter count accepted")
	}
}

func TestParseName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"ollama/llama3.1:8b", "llama 3.1 8b"},
		{"meta-llama/Meta-Llama-3.1-8 B", "llama 3.1 8b"},
		{"LLaMA-3.1-8B", "llama 3.1 8b"},
		{"groq/llama-3.1-8b-instant", "llama 3.1 8b"},
		{"builtin/ollama/qwen2.5:0.5b", "qwen 2.5 0.5b"},
		{"ollama/hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M", "llama 3.2 1b instruct [q4_k_m]"},
		{"ollama/llama3.1:8b-instruct-q8_0", "llama 3.1 8b instruct [q8_0]"},
		{"Qwen/Qwen3-0.6 B", "qwen 3 0.6b"},
		{"mistralai/Mixtral-8 x7B-v0.1", "mixtral 0.1 56b"},
		{"microsoft/phi-1 _5", "phi 1.5"},
		{"HuggingFaceTB/SmolLM-135M", "smollm 135m"},
		{"google/gemma-3-27b-it", "gemma 3 27b instruct"},
		{"Qwen/Qwen3-30B-A3B-Instruct-2507-FP8", "qwen 3 30b a3b instruct 2507 [fp8]"},
		{"GPT-4o (Mar ’25)", "gpt 4o (mar 25)"},
		{"DeepSeek-R1 (DS)*", "deepseek r1 (ds)"},
		{"anthropic/claude-3-5-haiku-20241022", "claude 3.5 haiku 20241022"},
		{"nvidia/NVIDIA-Nemotron-Nano-9B-v2", "nemotron 2 nano 9b"},
		{"meta-llama/Llama-4-Scout-17B-16E-Instruct", "llama 4 scout a17b-16e instruct"},
	}
	for _, tt := range tests {
		if got := parseName(tt.in).String(); got != tt.want {
			t.Errorf("parseName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzParseName(f *testing.F) {
	for _, s := range []string{"ollama/llama3.1:8b", "GPT-4o (Mar ’25)", "Mixtral-8 x7B", "phi-1 _5", "a:b:c", "((", "8x7b-8x7b", "claude-3-7-0"} {
		f.Add(s)
	}
	jeg, err := Lookup(FamilyJegham)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := parseName(s)
		if again := parseName(s); again.String() != k.String() {
			t.Fatalf("parseName(%q) is not deterministic", s)
		}
		if k.size < 0 {
			t.Fatalf("parseName(%q): negative size %g", s, k.size)
		}
		m, err := jeg.Match(s, 0)
		if err == nil && m.Quality == 0 {
			t.Fatalf("Match(%q) succeeded with no quality", s)
		}
	})
}
