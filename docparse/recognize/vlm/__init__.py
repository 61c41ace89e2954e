"""PaddleOCR-VL over an OpenAI-compatible (vLLM) server: prompts, crops, the HTTP client, the
endpoint pool, retries, and the pure post-processing of each answer (``postprocess``)."""
