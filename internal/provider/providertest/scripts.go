package providertest

import (
	"fmt"
	"net/http"
)

// The canned scripts below copy what the real servers send, byte for byte
// where it matters: Ollama's /api/chat NDJSON (ollama/ollama docs/api.md) and
// the OpenAI chat-completions SSE stream as OpenAI, Groq, vLLM and llama.cpp
// server send it. Each comment states the text and counts a client should
// report, so tests can compare against them.

const ollamaStamp = `"model":"llama3.2","created_at":"2025-06-01T12:00:00.000000001Z"`

// ollamaContent returns one Ollama stream line carrying answer text.
func ollamaContent(text string) string {
	return fmt.Sprintf(`{%s,"message":{"role":"assistant","content":%q},"done":false}`, ollamaStamp, text)
}

// ollamaThinking returns one Ollama stream line carrying thinking text.
func ollamaThinking(text string) string {
	return fmt.Sprintf(`{%s,"message":{"role":"assistant","content":"","thinking":%q},"done":false}`, ollamaStamp, text)
}

// OllamaDoneLine is the final line of OllamaStream: done, with
// prompt_eval_count 26, eval_count 3, total_duration 512ms, load_duration
// 12ms, prompt_eval_duration 130ms, eval_duration 350ms and done_reason
// "stop".
const OllamaDoneLine = `{` + ollamaStamp + `,"message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","total_duration":512000000,"load_duration":12000000,"prompt_eval_count":26,"prompt_eval_duration":130000000,"eval_count":3,"eval_duration":350000000}`

// OllamaStream returns a well-behaved Ollama /api/chat stream: the answer
// "Hello, world!" in three lines, then OllamaDoneLine.
func OllamaStream() Script {
	return NDJSON(ollamaContent("Hello"), ollamaContent(", world"), ollamaContent("!"), OllamaDoneLine)
}

// OllamaThinkingStream returns an Ollama stream from a thinking model asked
// to think: thinking "Let me think. The user greets me." in two lines, the
// answer "Hi!" in two lines, then a done line with prompt_eval_count 18,
// eval_count 14, done_reason "stop" and durations total 900ms, load 0,
// prompt eval 80ms, eval 700ms.
func OllamaThinkingStream() Script {
	return NDJSON(
		ollamaThinking("Let me think."),
		ollamaThinking(" The user greets me."),
		ollamaContent("Hi"),
		ollamaContent("!"),
		`{`+ollamaStamp+`,"message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","total_duration":900000000,"prompt_eval_count":18,"prompt_eval_duration":80000000,"eval_count":14,"eval_duration":700000000}`,
	)
}

// OllamaCacheHitStream returns an Ollama stream whose done line omits
// prompt_eval_count, as some Ollama versions do when the whole prompt came
// from the cache: "Hello" then done with eval_count 1.
func OllamaCacheHitStream() Script {
	return NDJSON(
		ollamaContent("Hello"),
		`{`+ollamaStamp+`,"message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","total_duration":40000000,"prompt_eval_duration":1000,"eval_count":1,"eval_duration":30000000}`,
	)
}

// OllamaErrorMidStreamMessage is the error OllamaErrorMidStream reports.
const OllamaErrorMidStreamMessage = "an error was encountered while running the model: unexpected EOF"

// OllamaErrorMidStream returns an Ollama stream that sends "Hello" and then
// an {"error": ...} line with status 200 already sent, as Ollama does when the
// runner fails during generation.
func OllamaErrorMidStream() Script {
	return NDJSON(ollamaContent("Hello"), fmt.Sprintf(`{"error":%q}`, OllamaErrorMidStreamMessage))
}

// OllamaTruncatedFinal returns an Ollama stream that sends "Hello", then
// half of its done line, then cuts the connection.
func OllamaTruncatedFinal() Script {
	return NDJSON(ollamaContent("Hello")).Then(
		Write(OllamaDoneLine[:len(OllamaDoneLine)/2]),
		CloseConnection(),
	)
}

// OllamaTruncatedFinalCleanEnd returns an Ollama stream that sends "Hello",
// then half of its done line without a newline, then ends the response
// cleanly (a proxy that dropped the rest).
func OllamaTruncatedFinalCleanEnd() Script {
	return NDJSON(ollamaContent("Hello")).Then(Write(OllamaDoneLine[:len(OllamaDoneLine)/2]))
}

// OllamaNoDone returns an Ollama stream that sends "Hello, world" and ends
// cleanly without a done line.
func OllamaNoDone() Script {
	return NDJSON(ollamaContent("Hello"), ollamaContent(", world"))
}

// OllamaCutNoDone returns an Ollama stream that sends "Hello" and then cuts
// the connection between two lines.
func OllamaCutNoDone() Script {
	return NDJSON(ollamaContent("Hello")).Then(CloseConnection())
}

// OllamaSlowStream returns an Ollama stream that sends "Hello" and then
// keeps the response open until the client leaves, for cancel tests.
func OllamaSlowStream() Script {
	return NDJSON(ollamaContent("Hello")).Then(WaitForClientGone())
}

// NginxBadGatewayTitle is the <title> of the page HTMLErrorPage(502) sends.
const NginxBadGatewayTitle = "502 Bad Gateway"

// HTMLErrorPage returns a Script that answers status with the HTML error
// page nginx sends (Content-Type text/html), as a reverse proxy does when the
// model server behind it is down.
func HTMLErrorPage(status int) Script {
	title := fmt.Sprintf("%d %s", status, http.StatusText(status))
	page := "<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n<center><h1>" + title +
		"</h1></center>\r\n<hr><center>nginx/1.24.0 (Ubuntu)</center>\r\n</body>\r\n</html>\r\n"
	return Script{Header("Content-Type", "text/html"), Header("Server", "nginx/1.24.0 (Ubuntu)"), Status(status), Write(page)}
}

const openaiHead = `"id":"chatcmpl-9f2","object":"chat.completion.chunk","created":1748779200,"model":"gpt-test","system_fingerprint":"fp_1"`

// openaiDelta returns the data of one OpenAI chunk whose delta is the given
// JSON object.
func openaiDelta(delta string) string {
	return `{` + openaiHead + `,"choices":[{"index":0,"delta":` + delta + `,"logprobs":null,"finish_reason":null}]}`
}

// openaiContent returns the data of one OpenAI chunk carrying answer text.
func openaiContent(text string) string {
	return openaiDelta(fmt.Sprintf(`{"content":%q}`, text))
}

// openaiFinish returns the data of the chunk that carries finish_reason.
func openaiFinish(reason string) string {
	return `{` + openaiHead + `,"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"` + reason + `"}]}`
}

// OpenAIStream returns a well-behaved OpenAI SSE stream for a request with
// stream_options.include_usage: a role chunk, the answer "Hello, world!" in
// three chunks, a finish_reason "stop" chunk, a usage chunk (prompt_tokens
// 26 of which cached_tokens 6, completion_tokens 3), then [DONE]. With cached
// tokens counted apart, the client reports 20 prompt tokens evaluated and 6
// cached.
func OpenAIStream() Script {
	return SSE(
		openaiDelta(`{"role":"assistant","content":""}`),
		openaiContent("Hello"),
		openaiContent(", world"),
		openaiContent("!"),
		openaiFinish("stop"),
		`{`+openaiHead+`,"choices":[],"usage":{"prompt_tokens":26,"completion_tokens":3,"total_tokens":29,"prompt_tokens_details":{"cached_tokens":6,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0}}}`,
		"[DONE]",
	)
}

// OpenAIReasoningStream returns an SSE stream in which the reasoning comes
// in delta.reasoning_content (vLLM, DeepSeek): thinking "Let me think." in
// two chunks, the answer "Hi!" in two, finish_reason "stop", usage
// prompt_tokens 18, completion_tokens 14 of which reasoning_tokens 10, then
// [DONE].
func OpenAIReasoningStream() Script {
	return SSE(
		openaiDelta(`{"role":"assistant","content":null,"reasoning_content":"Let me"}`),
		openaiDelta(`{"content":null,"reasoning_content":" think."}`),
		openaiContent("Hi"),
		openaiContent("!"),
		openaiFinish("stop"),
		`{`+openaiHead+`,"choices":[],"usage":{"prompt_tokens":18,"completion_tokens":14,"total_tokens":32,"completion_tokens_details":{"reasoning_tokens":10}}}`,
		"[DONE]",
	)
}

// ThinkTagStream returns an SSE stream from a model that writes its thinking
// inline as <think>...</think>, with both tags split across chunks: thinking
// "Let me think.", answer "\n\nHi!", finish_reason "stop", usage
// prompt_tokens 12 and completion_tokens 9 (no cached or reasoning detail),
// then [DONE].
func ThinkTagStream() Script {
	return SSE(
		openaiContent("<thi"),
		openaiContent("nk>Let me"),
		openaiContent(" think.</th"),
		openaiContent("ink>\n\nHi"),
		openaiContent("!"),
		openaiFinish("stop"),
		`{`+openaiHead+`,"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":9,"total_tokens":21}}`,
		"[DONE]",
	)
}

// GroqStream returns a stream as Groq sends it without
// stream_options.include_usage: the first chunk carries x_groq.id, the
// answer "Hello, world!" comes in three chunks, and the finish_reason "stop"
// chunk carries x_groq.usage (prompt_tokens 40, completion_tokens 3,
// prompt_time 0.002 s, completion_time 0.012 s, total_time 0.014 s), then
// [DONE].
func GroqStream() Script {
	return SSE(
		`{"id":"chatcmpl-g1","object":"chat.completion.chunk","created":1748779200,"model":"llama-3.1-8b-instant","system_fingerprint":"fp_g","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}],"x_groq":{"id":"req_01"}}`,
		openaiContent("Hello"),
		openaiContent(", world"),
		openaiContent("!"),
		`{"id":"chatcmpl-g1","object":"chat.completion.chunk","created":1748779200,"model":"llama-3.1-8b-instant","system_fingerprint":"fp_g","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"x_groq":{"id":"req_01","usage":{"queue_time":0.05,"prompt_tokens":40,"prompt_time":0.002,"completion_tokens":3,"completion_time":0.012,"total_tokens":43,"total_time":0.014}}}`,
		"[DONE]",
	)
}

// LlamaCppStream returns a stream as llama.cpp's server sends it: the answer
// "Hello" in two chunks, then a finish_reason "stop" chunk carrying timings
// (cache_n 4, prompt_n 20, prompt_ms 45.5, predicted_n 2, predicted_ms 30)
// and no usage, then [DONE].
func LlamaCppStream() Script {
	return SSE(
		openaiContent("Hel"),
		openaiContent("lo"),
		`{"choices":[{"finish_reason":"stop","index":0,"delta":{}}],"created":1748779200,"id":"chatcmpl-l","model":"gpt-3.5-turbo","system_fingerprint":"b5500","object":"chat.completion.chunk","timings":{"cache_n":4,"prompt_n":20,"prompt_ms":45.5,"prompt_per_token_ms":2.275,"prompt_per_second":439.56,"predicted_n":2,"predicted_ms":30,"predicted_per_token_ms":15,"predicted_per_second":66.67}}`,
		"[DONE]",
	)
}

// OpenAIErrorMidStreamMessage is the error message OpenAIErrorMidStream
// sends.
const OpenAIErrorMidStreamMessage = "The server had an error while processing your request."

// OpenAIErrorMidStream returns an SSE stream that sends "Hello" and then a
// data: {"error": {...}} event, as OpenAI and vLLM do when generation fails
// after the 200 was sent.
func OpenAIErrorMidStream() Script {
	return SSE(
		openaiContent("Hello"),
		fmt.Sprintf(`{"error":{"message":%q,"type":"server_error","param":null,"code":null}}`, OpenAIErrorMidStreamMessage),
	)
}

// OpenAITruncatedFinal returns an SSE stream that sends "Hello", then half
// of the finish_reason event, then cuts the connection.
func OpenAITruncatedFinal() Script {
	finish := "data: " + openaiFinish("stop")
	return SSE(openaiContent("Hello")).Then(Write(finish[:len(finish)/2]), CloseConnection())
}

// OpenAINoFinish returns an SSE stream that sends "Hello, world" and ends
// cleanly with neither a finish_reason nor [DONE].
func OpenAINoFinish() Script {
	return SSE(openaiContent("Hello"), openaiContent(", world"))
}

// OpenAIFinishNoDone returns an SSE stream that sends "Hello" and a
// finish_reason "length" chunk, then ends without [DONE] (several servers do
// so); it is a complete answer.
func OpenAIFinishNoDone() Script {
	return SSE(openaiContent("Hello"), openaiFinish("length"))
}

// OpenAISlowStream returns an SSE stream that sends "Hello" and then keeps
// the response open until the client leaves, for cancel tests.
func OpenAISlowStream() Script {
	return SSE(openaiContent("Hello")).Then(WaitForClientGone())
}
