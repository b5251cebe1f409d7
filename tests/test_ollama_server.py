"""Contract tests of the Ollama-compatible test server (tests/servers/ollama/) with the real `ollama`
client: the real-model server (SmolLM2-135M on llama-cpp-python) and the scripted one.

Kept fast: every generation asks for a few tokens (`num_predict`).
"""

from __future__ import annotations

import socket

import pytest

from need import need_module
from servers.ollama.launch import OllamaServer

ollama = need_module("ollama", "pip install -e '.[test]' (the heal extra: ollama)")

GREEDY = {"temperature": 0, "num_predict": 8}
QUESTION = [{"role": "user", "content": "Answer with one word: the capital of France?"}]
DIFF = """\
--- a/app/settings.py
+++ b/app/settings.py
@@ -1,3 +1,3 @@
 DEBUG = False
-TIMEOUT = "30"
+TIMEOUT = 30
 RETRIES = 3
"""


# --- the real model ------------------------------------------------------------------------------------


def test_list_names_the_model_with_its_details(ollama_real: OllamaServer) -> None:
    models = ollama_real.client().list().models
    assert [m.model for m in models] == [ollama_real.model]
    (model,) = models
    assert model.details.format == "gguf"
    assert model.details.family == "llama"
    assert model.details.quantization_level == "Q4_1"
    assert model.size > 50_000_000  # the real GGUF file, about 98 MB
    assert len(model.digest) == 64
    assert model.modified_at is not None


def test_show_describes_the_model(ollama_real: OllamaServer) -> None:
    shown = ollama_real.client().show(ollama_real.model)
    assert shown.modelinfo["general.architecture"] == "llama"
    assert shown.capabilities == ["completion"]
    assert "<|im_start|>" in shown.template  # SmolLM2's ChatML template, from the GGUF
    assert shown.details.parameter_size


def test_chat_answers_with_the_assistant_message_and_stats(ollama_real: OllamaServer) -> None:
    reply = ollama_real.client().chat(model=ollama_real.model, messages=QUESTION, options=GREEDY)
    assert reply.done is True
    assert reply.model == ollama_real.model
    assert reply.message.role == "assistant"
    assert reply.message.content.strip()  # a 135M model: what it says is not checked, only that it says it
    assert reply.done_reason in ("stop", "length")
    assert 0 < reply.eval_count <= GREEDY["num_predict"]
    assert reply.prompt_eval_count > 0
    assert reply.total_duration > 0


def test_chat_streams_ndjson_parts_that_add_up_to_the_whole_answer(ollama_real: OllamaServer) -> None:
    client = ollama_real.client()
    prompt = [{"role": "user", "content": "Describe a monkey in one sentence."}]
    whole = client.chat(model=ollama_real.model, messages=prompt, options=GREEDY).message.content
    parts = list(client.chat(model=ollama_real.model, messages=prompt, options=GREEDY, stream=True))
    assert len(parts) > 2
    assert all(p.done is False for p in parts[:-1])
    assert parts[-1].done is True and parts[-1].eval_count > 0 and parts[-1].done_reason
    assert "".join(p.message.content for p in parts) == whole


def test_generate_non_streaming_and_streaming(ollama_real: OllamaServer) -> None:
    client = ollama_real.client()
    reply = client.generate(model=ollama_real.model, prompt="Say hello.", options=GREEDY)
    assert reply.done is True and reply.response.strip()
    parts = list(client.generate(model=ollama_real.model, prompt="Say hello.", options=GREEDY, stream=True))
    assert parts[-1].done is True
    assert "".join(p.response for p in parts) == reply.response


def test_generate_raw_continues_the_prompt_as_is(ollama_real: OllamaServer) -> None:
    reply = ollama_real.client().generate(
        model=ollama_real.model, prompt="1, 2, 3, 4,", raw=True, options={"temperature": 0, "num_predict": 4}
    )
    assert reply.response.strip().startswith("5")


def test_num_predict_bounds_the_answer(ollama_real: OllamaServer) -> None:
    reply = ollama_real.client().chat(
        model=ollama_real.model,
        messages=[{"role": "user", "content": "Write a long story about a monkey."}],
        options={"temperature": 0, "num_predict": 3},
    )
    assert reply.eval_count <= 3
    assert reply.done_reason == "length"


def test_temperature_zero_is_deterministic(ollama_real: OllamaServer) -> None:
    client = ollama_real.client()
    prompt = [{"role": "user", "content": "Name a color."}]
    first = client.chat(model=ollama_real.model, messages=prompt, options=GREEDY).message.content
    second = client.chat(model=ollama_real.model, messages=prompt, options=GREEDY).message.content
    assert first and first == second


def test_the_same_seed_samples_the_same_text(ollama_real: OllamaServer) -> None:
    client = ollama_real.client()
    options = {"temperature": 1.0, "seed": 42, "num_predict": 12}
    prompt = [{"role": "user", "content": "Tell me a word."}]
    first = client.chat(model=ollama_real.model, messages=prompt, options=options).message.content
    second = client.chat(model=ollama_real.model, messages=prompt, options=options).message.content
    assert first == second


def test_an_unknown_model_is_a_404_response_error(ollama_real: OllamaServer) -> None:
    client = ollama_real.client()
    with pytest.raises(ollama.ResponseError) as raised:
        client.chat(model="no-such-model:1b", messages=QUESTION)
    assert raised.value.status_code == 404
    assert raised.value.error == "model 'no-such-model:1b' not found"
    with pytest.raises(ollama.ResponseError) as raised:
        list(client.generate(model="no-such-model", prompt="hi", stream=True))
    assert raised.value.status_code == 404
    with pytest.raises(ollama.ResponseError) as raised:
        client.show("no-such-model")
    assert raised.value.status_code == 404


def test_tools_are_refused_like_ollama_refuses_them_for_a_model_without_tools(
    ollama_real: OllamaServer,
) -> None:
    tool = {
        "type": "function",
        "function": {"name": "f", "description": "f", "parameters": {"type": "object"}},
    }
    with pytest.raises(ollama.ResponseError) as raised:
        ollama_real.client().chat(model=ollama_real.model, messages=QUESTION, tools=[tool])
    assert raised.value.status_code == 400
    assert "does not support tools" in raised.value.error


def test_the_call_counter_counts_requests_per_endpoint(ollama_real: OllamaServer) -> None:
    assert ollama_real.llm_calls() == 0
    client = ollama_real.client()
    client.list()
    client.show(ollama_real.model)
    assert ollama_real.llm_calls() == 0
    client.chat(model=ollama_real.model, messages=QUESTION, options={"temperature": 0, "num_predict": 2})
    client.generate(model=ollama_real.model, prompt="hi", options={"temperature": 0, "num_predict": 2})
    calls = ollama_real.calls()
    assert calls["/api/tags"] == 1 and calls["/api/show"] == 1
    assert calls["/api/chat"] == 1 and calls["/api/generate"] == 1
    assert ollama_real.llm_calls() == 2
    assert [r["body"]["messages"] for r in ollama_real.requests() if r["path"] == "/api/chat"] == [QUESTION]


def test_connection_refused_is_a_connection_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    client = ollama.Client(host=f"http://127.0.0.1:{port}")
    with pytest.raises(ConnectionError):
        client.chat(model="smollm2:135m", messages=QUESTION)


# --- scripted replies --------------------------------------------------------------------------------


def test_scripted_chat_returns_exactly_the_scripted_diff(ollama_scripted: OllamaServer) -> None:
    ollama_scripted.script(DIFF, "second")
    client = ollama_scripted.client()
    prompt = [
        {"role": "system", "content": "Answer with a unified diff."},
        {"role": "user", "content": "fix it"},
    ]
    reply = client.chat(model=ollama_scripted.model, messages=prompt, options={"temperature": 0})
    assert reply.message.content == DIFF
    assert reply.done is True and reply.message.role == "assistant"
    assert client.chat(model=ollama_scripted.model, messages=prompt).message.content == "second"
    assert ollama_scripted.llm_calls() == 2
    assert ollama_scripted.requests()[0]["body"]["messages"] == prompt


def test_scripted_streams_and_generates_the_scripted_text(ollama_scripted: OllamaServer) -> None:
    ollama_scripted.script(DIFF, "plain")
    client = ollama_scripted.client()
    parts = list(client.chat(model=ollama_scripted.model, messages=QUESTION, stream=True))
    assert parts[-1].done is True
    assert "".join(p.message.content for p in parts) == DIFF
    assert client.generate(model=ollama_scripted.model, prompt="x").response == "plain"


def test_scripted_errors_and_an_empty_script(ollama_scripted: OllamaServer) -> None:
    ollama_scripted.script({"error": "model runner crashed", "status": 500})
    client = ollama_scripted.client()
    with pytest.raises(ollama.ResponseError) as raised:
        client.chat(model=ollama_scripted.model, messages=QUESTION)
    assert (raised.value.status_code, raised.value.error) == (500, "model runner crashed")
    with pytest.raises(ollama.ResponseError, match="no scripted reply left") as raised:
        client.chat(model=ollama_scripted.model, messages=QUESTION)
    assert raised.value.status_code == 500
    with pytest.raises(ollama.ResponseError) as raised:
        client.chat(model="other:7b", messages=QUESTION)
    assert raised.value.status_code == 404


def test_the_scripted_fixture_starts_each_test_clean(ollama_scripted: OllamaServer) -> None:
    assert ollama_scripted.calls() == {}
    assert ollama_scripted.requests() == []
    with pytest.raises(ollama.ResponseError, match="no scripted reply left"):
        ollama_scripted.client().generate(model=ollama_scripted.model, prompt="x")
