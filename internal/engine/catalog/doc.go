// Package catalog finds GGUF model files the engine can load: files in a
// models directory, and the models already pulled into a local Ollama store
// (manifests naming a content-addressed blob), so that a user can measure the
// same weights Ollama runs without the server.
//
// It only reads the file system; it does not parse GGUF. It imports nothing
// from the rest of the lab.
package catalog
